# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Using MTAdam in your project
#
# The chapters so far reproduce the paper. This one is for the reader who copies
# `mtadam/mtadam.py` into a training loop of their own: the plain loop, what loss weights do and do
# not do (and `ranks`, which do something), the learning rate against the number of terms,
# schedulers, checkpoints, GANs with two optimizers, fp16 mixed precision, gradient clipping and
# logging, and several processes. Each recipe is code that runs when this page is built.
#
# ```{admonition} The numbers on this page
# :class: note
# This chapter demonstrates the behaviour of the module's API on small synthetic problems; every
# number it prints is computed live when the notebook runs (at every profile), and none is an
# experimental result. The experiments are in chapters 1-8, whose numbers come from stored runs.
# ```
#
# Everything here is beyond the paper, which trains on one GPU in fp32 and describes neither
# clipping nor checkpoints; the module's docstring is the reference for each choice, and
# `tests/test_mtadam_practice.py` and `tests/test_mtadam_distributed.py` test them.

# %%
# Colab (or any fresh kernel): install the book's code when it is not importable. No-op in the project's venv.
import importlib.util, subprocess, sys

if importlib.util.find_spec("mtbook") is None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            "mtadam[book] @ git+https://github.com/mtadam-book/mtadam-book",
        ],
        check=True,
    )

# %%
from mtbook.core.notebook import setup

PROFILE = setup()

# %% [markdown]
# ## The plain loop
#
# A small classifier (two linear layers on 20 features, 512 examples, full batch) with the three
# terms a practitioner typically writes as `ce + 1e-4 * l1 + 1e-2 * l2`: cross-entropy, an L1
# penalty on the weights (sparsity) and an L2 penalty. With MTAdam the terms are passed as a list,
# unweighted, the task term first: it is the *anchor* whose gradient magnitude, per layer, the
# other terms are scaled to (line 8 of Algorithm 1). `.grad` is never used.

# %%
import copy
import io

import torch
import torch.nn.functional as F
from IPython.display import Markdown, display
from torch import nn

from mtadam import LossScaler, MTAdam

gen = torch.Generator().manual_seed(0)
X = torch.randn(512, 20, generator=gen, dtype=torch.float64)
w_true = torch.zeros(20, dtype=torch.float64)
w_true[:4] = torch.tensor([2.0, -1.5, 1.0, 0.5], dtype=torch.float64)
Y = (X @ w_true + 0.3 * torch.randn(512, generator=gen, dtype=torch.float64) > 0).long()


def make_model(seed=0, dtype=torch.float64):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(20, 32), nn.ReLU(), nn.Linear(32, 2)).to(dtype)


def weights_of(model):
    return [p for name, p in model.named_parameters() if name.endswith("weight")]


def penalties(model):
    """[L1 of the weights, L2 of the weights]."""
    return [sum(w.abs().sum() for w in weights_of(model)),
            sum(w.pow(2).sum() for w in weights_of(model))]  # fmt: skip


def terms(model, x=X, y=Y):
    """[cross-entropy, L1 of the weights, L2 of the weights], unweighted."""
    return [F.cross_entropy(model(x), y), *penalties(model)]


def table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    display(Markdown("\n".join(lines)))


model = make_model()
opt = MTAdam(model.parameters(), lr=1e-2)  # betas=(0.9, 0.999, 0.9) as in the paper
for _ in range(200):
    opt.step(terms(model))  # the anchor first; no weights
ce, l1, l2 = (t.item() for t in terms(model))
print(f"after 200 steps: cross-entropy {ce:.4f}, L1 {l1:.2f}, L2 {l2:.2f}")
print("grad of the first layer:", model[0].weight.grad)  # MTAdam never fills .grad

# %% [markdown]
# ## Weights do nothing; ranks do
#
# The loop above hardly fits: its cross-entropy stays near that of a constant prediction. The
# reason is the balancing, and the way out is `ranks`. Chapter 2 proves that MTAdam's trajectory does not depend on positive constant weights of the
# terms (with `norm_init="first"`, the default): multiply a term by $c$ and its running norms
# $n^i_l$ are multiplied by $c$ too, so line 8 divides $c$ out again. So the practitioner's
# `1e-4` and `1e-2` are undone: the regularisers get balanced to the task term. Below, three sets
# of weights, each for Adam on the weighted sum and for MTAdam on the weighted terms, 200 steps
# from the same initialisation.

# %%
WEIGHTS = {"(1, 1e-4, 1e-2)": (1.0, 1e-4, 1e-2), "(1, 1, 1)": (1.0, 1.0, 1.0),
           "(5, 300, 0.1)": (5.0, 300.0, 0.1)}  # fmt: skip
STEPS = 200


def train(optimizer, weights=(1.0, 1.0, 1.0), ranks=None, steps=STEPS, lr=1e-2, **kw):
    model = make_model()
    if optimizer == "adam":
        opt = torch.optim.Adam(model.parameters(), lr=lr)
    else:
        opt = MTAdam(model.parameters(), lr=lr, **kw)
    for _ in range(steps):
        ts = [w * t for w, t in zip(weights, terms(model))]
        if optimizer == "adam":
            opt.zero_grad()
            sum(ts).backward()
            opt.step()
        else:
            opt.step(ts, ranks=ranks)
    return model, opt


def summary(model):
    ce, l1, _ = terms(model)
    acc = (model(X).argmax(1) == Y).double().mean().item()
    return f"{ce.item():.4f}", f"{l1.item():.2f}", f"{acc:.3f}"


rows, finals = [], {}
for opt_name in ("adam", "mtadam"):
    for label, w in WEIGHTS.items():
        m, _ = train(opt_name, w)
        finals[opt_name, label] = torch.cat([p.detach().flatten() for p in m.parameters()])
        rows.append(("Adam, weighted sum" if opt_name == "adam" else "MTAdam, weighted terms",
                     label, *summary(m)))  # fmt: skip
table(["optimizer", "weights", "cross-entropy", "L1 of the weights", "train accuracy"], rows)
base = finals["mtadam", "(1, 1, 1)"]
for label in WEIGHTS:
    diff = (finals["mtadam", label] - base).abs().max().item()
    print(f"MTAdam, weights {label}: max |param difference| to weights (1, 1, 1) = {diff:.1e}")

# %% [markdown]
# With Adam the weights decide everything (the L1 column). With MTAdam the runs with weights
# (1, 1e-4, 1e-2) and (1, 1, 1) are the same run up to floating point (float64 here). Weighting the
# anchor too, (5, 300, 0.1), changes the trajectory only through the `eps` of line 14 (chapter 2):
# the parameters differ slightly, the summary does not. And the MTAdam rows underfit: each
# regulariser, balanced to the cross-entropy's gradient magnitude, pulls as hard as the task term,
# and the two together hold the weights near zero. This is what surprises people porting
# `ce + 1e-4 * l1 + 1e-2 * l2`.
#
# To say that a term should matter *less* (or more) than the others, use `ranks`: one positive
# number per term, applied after the balancing. Line 8 becomes
#
# $$g^i_l \leftarrow \text{rank}_i \cdot \frac{n^1_{l,t}}{n^i_{l,t}}\, g^i_l ,$$
#
# so a term of rank $r$ enters lines 9-14 with $r$ times the anchor's running gradient magnitude on
# every layer, whatever its raw scale. `effective_weights()` returns these factors for the last
# step, per term and layer (here the four tensors: weight and bias of each layer); the L1 and L2
# terms never reach the biases (NaN would mean no term did; a zero, that this term does not).

# %%
rows = []
for ranks in ([1.0, 1.0, 1.0], [1.0, 0.1, 0.1], [1.0, 0.01, 0.01], [1.0, 0.001, 0.01]):
    m, o = train("mtadam", WEIGHTS["(1, 1e-4, 1e-2)"], ranks=ranks)
    rows.append((str(ranks), *summary(m)))
table(["ranks", "cross-entropy", "L1 of the weights", "train accuracy"], rows)
m, o = train("mtadam", ranks=[1.0, 0.1, 0.01])
eff = o.effective_weights()  # [terms, layers]
names = [n for n, _ in m.named_parameters()]
table(["term"] + names, [(t, *(f"{v:.3g}" for v in eff[i].tolist()))
                          for i, t in enumerate(["ce (anchor)", "L1", "L2"])])  # fmt: skip
n = torch.stack([o.state[p]["n"] for p in m.parameters()], dim=1)  # running norms n^i_l
print("rank_i * n^1_l / n^i_l on layer 0.weight:", (eff[:, 0]).tolist())
print("n^i_l on layer 0.weight (before the ranks):", n[:, 0].tolist())

# %% [markdown]
# The factors are the raw-scale ratio $n^1_l / n^i_l$ times the rank: the ranks, not the weights,
# set how much each term moves the parameters. A rank is relative to the anchor, so give the task
# term rank 1 and the others ranks below 1 to make them regularise rather than compete.
#
# ## Learning rate and the number of terms
#
# Line 14 adds *every* term's $\hat m^i$ over one shared denominator $\sqrt{\max_i \hat v^i}$. After
# balancing, each term has the anchor's magnitude, so when the $I$ terms pull the same way the step
# is up to $I$ times Adam's with the same $\alpha$; when they are unrelated, less on average (the
# maximum still reaches $I\alpha$ on coordinates where they happen to agree). Measured on the
# first step (where Adam moves every coordinate by exactly $\alpha$): $I$ copies of one term, and
# $I$ unrelated terms (independent random targets).


# %%
def first_step_size(num_terms, same):
    model = make_model()
    before = torch.cat([p.detach().flatten() for p in model.parameters()])
    opt = MTAdam(model.parameters(), lr=1e-3)
    g = torch.Generator().manual_seed(1)
    ys = [Y if same else torch.randint(0, 2, (512,), generator=g) for _ in range(num_terms)]
    opt.step([F.cross_entropy(model(X), y) for y in ys])
    after = torch.cat([p.detach().flatten() for p in model.parameters()])
    step = (after - before).abs()
    return step.max().item() / 1e-3, step.mean().item() / 1e-3


rows = []
for num_terms in (1, 2, 5, 10):
    same, indep = first_step_size(num_terms, True), first_step_size(num_terms, False)
    rows.append((num_terms, f"{same[0]:.2f}", f"{same[1]:.2f}", f"{indep[0]:.2f}",
                 f"{indep[1]:.2f}"))  # fmt: skip
same_cols = ["same term: largest step / α", "mean step / α"]
table(["I", *same_cols, *(c.replace("same term", "unrelated terms") for c in same_cols)], rows)

# %% [markdown]
# So $\alpha$ bounds each term's contribution, not the step: the step can reach $I\alpha$ per
# coordinate. For its image-synthesis experiments the paper keeps the step size the original method
# used with Adam:
#
# > We used the learning rate as found in each method.
#
# That is the place to start; if your terms largely agree and training with $I$ terms is unstable
# at Adam's $\alpha$, try $\alpha / I$.
#
# ## Schedulers and parameter groups
#
# `MTAdam` is a `torch.optim.Optimizer`: `lr` lives in `param_groups`, so the schedulers of
# `torch.optim.lr_scheduler` drive it, and parameter groups take their own `lr` (and
# `weight_decay`, `betas`) as usual. Call `scheduler.step()` after `opt.step(losses)`.

# %%
model = make_model()
opt = MTAdam(
    [
        {"params": model[0].parameters(), "lr": 1e-2},
        {"params": model[2].parameters(), "lr": 1e-3, "weight_decay": 1e-4},
    ]
)
sched = torch.optim.lr_scheduler.StepLR(opt, step_size=3, gamma=0.5)
for step in range(7):
    opt.step(terms(model))
    sched.step()
    print(step, [f"{g['lr']:.2e}" for g in opt.param_groups])

# %% [markdown]
# ## Checkpoints
#
# `state_dict()` holds, per parameter, the step count, the moments `m` and `v` (one row per term),
# the running norms `n` and the flags `seen` (whether a term has reached the layer yet). Saving and
# loading mid-run continues the run bit for bit:


# %%
# NBVAL_CHECK_OUTPUT
def run(model, opt, t0, t1):
    for t in range(t0, t1):
        opt.step(terms(model, X[t * 32 : (t + 1) * 32], Y[t * 32 : (t + 1) * 32]))


straight = make_model()
opt = MTAdam(straight.parameters(), lr=1e-2)
run(straight, opt, 0, 12)

model = make_model()
opt = MTAdam(model.parameters(), lr=1e-2)
run(model, opt, 0, 6)
buf = io.BytesIO()
torch.save({"model": model.state_dict(), "opt": opt.state_dict()}, buf)
buf.seek(0)
ckpt = torch.load(buf)
resumed = make_model(seed=123)  # a fresh process would build new objects
opt2 = MTAdam(resumed.parameters(), lr=1e-2)
resumed.load_state_dict(ckpt["model"])
opt2.load_state_dict(ckpt["opt"])
run(resumed, opt2, 6, 12)
same = all(torch.equal(a, b) for a, b in zip(straight.parameters(), resumed.parameters()))
print(f"12 steps straight == 6 steps, save, load, 6 steps: {same}")

# %% [markdown]
# A checkpoint of another optimizer is rejected when it is loaded, with the reason, and the
# optimizer is left as it was (the next step would otherwise fail far from the cause):

# %%
# NBVAL_CHECK_OUTPUT
adam_model = make_model()
adam = torch.optim.Adam(adam_model.parameters())
sum(terms(adam_model)).backward()
adam.step()
other = make_model()
two_terms = MTAdam(other.parameters())
two_terms.step(terms(other)[:2])
before = copy.deepcopy(opt2.state_dict())
for label, state in [("Adam's state_dict", adam.state_dict()),
                     ("a 2-term MTAdam state, into this 3-term run", two_terms.state_dict())]:  # fmt: skip
    try:
        opt2.load_state_dict(state)
    except ValueError as err:
        print(f"{label}: ValueError: {err}")
after = opt2.state_dict()
unchanged = all(torch.equal(after["state"][k][name], v)
                for k, st in before["state"].items() for name, v in st.items())  # fmt: skip
print(f"state unchanged after both attempts: {unchanged}")

# %% [markdown]
# (To change the number of terms on purpose, load into a fresh `MTAdam`, which has no state yet.)
#
# ## GANs: two optimizers
#
# A generator trained on several terms (a reconstruction term and an adversarial one, as in the
# pix2pix chapter) and a discriminator on one: MTAdam for the generator, any optimizer for the
# discriminator. `opt_g.step(losses)` differentiates the terms with respect to the generator's
# parameters only, so the discriminator's `.grad` is untouched by the generator's step and the
# usual `zero_grad()`/`backward()` discipline of the discriminator is unchanged.

# %%
torch.manual_seed(0)
G = nn.Sequential(nn.Linear(4, 32), nn.ReLU(), nn.Linear(32, 4)).double()
D = nn.Sequential(nn.Linear(8, 32), nn.LeakyReLU(0.2), nn.Linear(32, 1)).double()
opt_g = MTAdam(G.parameters(), lr=2e-3)
opt_d = torch.optim.Adam(D.parameters(), lr=2e-3, betas=(0.5, 0.999))
bce = nn.BCEWithLogitsLoss()
A = torch.randn(4, 4, dtype=torch.float64, generator=gen)
for step in range(301):
    x = torch.randn(64, 4, dtype=torch.float64)
    y = torch.tanh(x @ A)  # the paired target
    # discriminator: real pairs vs generated pairs (the generator's output detached)
    opt_d.zero_grad()
    fake = G(x).detach()
    d_loss = bce(D(torch.cat([x, y], 1)), torch.ones(64, 1)) + bce(
        D(torch.cat([x, fake], 1)), torch.zeros(64, 1)
    )
    d_loss.backward()
    opt_d.step()
    # generator: L1 to the target (the anchor) and the adversarial term, unweighted
    out = G(x)
    l1 = (out - y).abs().mean()
    adv = bce(D(torch.cat([x, out], 1)), torch.ones(64, 1))
    opt_g.step([l1, adv])
    if step % 100 == 0:
        print(f"step {step:3d}  L1 {l1.item():.4f}  adversarial {adv.item():.3f}  "
              f"D {d_loss.item():.3f}  D's .grad is the D step's: "
              f"{all(p.grad is not None for p in D.parameters())}")  # fmt: skip

# %% [markdown]
# ## fp16 mixed precision
#
# `torch.amp.GradScaler` cannot drive MTAdam: it unscales and checks for overflow in `.grad`,
# which MTAdam never fills. Calling it raises an error that says so:

# %%
# NBVAL_CHECK_OUTPUT
model = make_model(dtype=torch.float32)
opt = MTAdam(model.parameters(), lr=1e-2)
x32, y32 = X.float(), Y
gscaler = torch.amp.GradScaler("cpu")
try:
    gscaler.step(opt, [gscaler.scale(loss) for loss in terms(model, x32, y32)])
except TypeError as err:
    print(f"TypeError: {err}")

# %% [markdown]
# The module's `LossScaler` does GradScaler's job, with its defaults and its rule: `opt.step(losses,
# scaler=scaler)` multiplies every term by the scale before taking its gradient, unscales the
# gradients, and when one of them (or a loss) is inf or NaN it skips the step, leaving parameters
# and state untouched, and halves the scale; after `growth_interval` good steps (2000 by default)
# it doubles it. Here, under float16 autocast on the CPU, an initial scale of $2^{40}$ forces the
# overflows (float16 ends at 65504), and `growth_interval=5` shows the growth:

# %%
model = make_model(dtype=torch.float32)
opt = MTAdam(model.parameters(), lr=1e-2)
scaler = LossScaler(init_scale=2.0**40, growth_interval=5)
log = []
for step in range(45):
    with torch.autocast("cpu", dtype=torch.float16):
        out = model(x32)  # float16
    ce = F.cross_entropy(out.float(), y32)
    opt.step([ce, *penalties(model)], scaler=scaler)
    log.append((step, scaler.scale, scaler.last_step_skipped, len(opt.state)))
first_good = next(s for s, _, skipped, _ in log if not skipped)
print(
    f"first {first_good} steps skipped (optimizer state entries meanwhile: {log[0][3]}); "
    f"skipped in all: {scaler.skipped_steps} of {len(log)}"
)
print("scale, step by step:", " ".join(f"2^{int(torch.tensor(s).log2())}" for _, s, _, _ in log))
print("output dtype under autocast:", out.dtype, "; loss", f"{ce.item():.4f}")

# %% [markdown]
# Each overflow halves the scale until the gradients fit in float16; from then on the scale doubles
# every 5 good steps until an overflow halves it again, so it hovers at the largest scale that
# fits. Save `scaler.state_dict()` in your checkpoints beside `opt.state_dict()`. (bf16 needs no
# scaling: pass no scaler, or `LossScaler(enabled=False)`.)
#
# ## Clipping and gradient logging
#
# Because `.grad` is empty, `torch.nn.utils.clip_grad_norm_` clips nothing and returns 0.
# `MTAdam(..., max_grad_norm=c)` clips instead, *each term's gradient separately*, before line 7,
# to total norm `c` over all of the optimizer's parameters: what `clip_grad_norm_(params, c)` would
# do to that term's gradient alone. `opt.grad_norms()` returns the norms before clipping, per term
# (or `per_layer=True`, per term and layer) for logging.

# %%
model = make_model()
opt = MTAdam(model.parameters(), lr=1e-2, max_grad_norm=1.0)
for step in range(3):
    losses = terms(model)
    print(f"clip_grad_norm_ sees: {torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0):.1f}")
    opt.step(losses)
    print(f"step {step}: per-term gradient norms (ce, L1, L2):",
          [f"{v:.3g}" for v in opt.grad_norms().tolist()])  # fmt: skip
print("per layer, last step:\n", opt.grad_norms(per_layer=True))

# %% [markdown]
# The L1 and L2 terms' gradients are far above 1 and are clipped to norm 1 before line 7; the
# anchor's is below 1 and passes unchanged. (Clipping a term changes its running norm $n^i_l$ and
# hence its balancing factor: the balanced gradient of a non-anchor term is unchanged by a constant
# clip factor, which line 8 divides out again; clipping the anchor scales every term.)
#
# ## Several processes
#
# With `torch.distributed` initialised (by `torchrun`, say) and more than one process, MTAdam
# averages every term's gradient over the processes before line 7 (`distributed="auto"`; pass
# `process_group=` for another group, `distributed=False` to turn it off). Every rank then takes
# the same step on the same numbers, so the replicas stay identical, and with mean-reduced terms on
# equal-sized shards the step is the one a single process would take on the union of the shards.
# The gradients are flattened into buckets (25 MB by default, as DDP's), filled term after term;
# each bucket's all-reduce starts asynchronously as soon as it is full, while the next term's
# backward pass runs: one collective per bucket plus one small one for per-term flags.
#
# **Communication.** A step all-reduces $I\,|\theta|$ numbers: each term's gradient. Adam under
# `DistributedDataParallel` all-reduces one gradient, $|\theta|$ numbers. With $I$ terms MTAdam
# sends $I$ times Adam's volume, the price of balancing the terms *after* averaging them (the
# running norms must be those of the global gradients, identical on every rank).
#
# **With `DistributedDataParallel`.** DDP averages in hooks that fire when autograd accumulates into
# `.grad`; MTAdam's `torch.autograd.grad` never does, so under DDP the per-term gradients are each
# rank's own and MTAdam's average is the only one. Wrapping the model is allowed (it still
# broadcasts the initial parameters and the buffers) but not needed.
#
# `examples/check_union.py` trains a small float64 MLP on two gloo processes, each on its half of
# every batch, then one process alone on the whole batches, and compares. This cell runs it with
# `torchrun`:

# %%
import os
from pathlib import Path

example = next(
    (p for p in (Path("examples"), Path("../examples")) if (p / "check_union.py").exists()), None
)
if example is None:
    print(
        "examples/check_union.py is not here (a pip install has no examples/); see the repository"
    )
else:
    env = dict(os.environ, OMP_NUM_THREADS="1")
    res = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2",
         str(example / "check_union.py"), "--steps", "30"],
        capture_output=True, text=True, env=env, timeout=600,
    )  # fmt: skip
    print(res.stdout)
    if res.returncode:
        print(res.stderr[-3000:])
        raise RuntimeError("torchrun failed")

# %% [markdown]
# The same holds for the MNIST chapter's network: `examples/torchrun_mnist.py` trains it on its ten
# per-class terms on several processes (gloo on CPU, NCCL on GPUs, optionally DDP-wrapped, fp16 with
# `LossScaler`); `examples/README.md` has its command and output.
#
# ## `torch.compile`
#
# Compile the model, not the step: `torch.compile(model)` works with MTAdam like with any optimizer.
# The step itself calls `torch.autograd.grad` and reads step counts to the host, so MTAdam always
# runs it eagerly: `torch.compile(opt.step)`, or a compiled function that calls it, leaves the step
# out of the graph and does not recompile at every step (tested in
# `tests/test_mtadam_practice.py`).
#
# ## In short
#
# ```python
# from mtadam import LossScaler, MTAdam
#
# opt = MTAdam(model.parameters(), lr=1e-3, max_grad_norm=None)  # averages over processes if any
# scaler = LossScaler(enabled=use_fp16)
# for x, y in loader:
#     with torch.autocast("cuda", dtype=torch.float16, enabled=use_fp16):
#         out = model(x)
#     losses = [task(out, y), reg_a(model), reg_b(out)]  # unweighted; the task term first
#     opt.step(losses, ranks=[1.0, 0.1, 0.01], scaler=scaler)  # ranks instead of weights
#     sched.step()
#     log(opt.grad_norms(), opt.effective_weights())
# torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "scaler": scaler.state_dict()}, path)
# ```
