# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
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
# # Deriving MTAdam, line by line
#
# **Question.** Adam {cite:p}`kingma2014adam` follows one objective $f_t(\theta)$. Our objective is
# a sum of terms $\sum_i \lambda_i f^i_t(\theta)$ whose weights $\lambda_i$ we do not trust. What
# should one optimisation step look like so that the weights stop mattering?
#
# We start from Adam (Algorithm 1, left, in the paper {cite:p}`malkiel2021mtadam`) and add one idea
# at a time. Each idea comes with its equation, the few lines that compute it, and the smallest
# experiment that shows why it is needed. At the end we import the finished optimizer,
# `mtadam.MTAdam`, check that it computes exactly what we derived, and look at its source: one file
# you can copy.
#
# Line numbers ("line 7") always refer to MTAdam's side of Algorithm 1 of the paper, which the
# module's docstring (`mtadam/mtadam.py`) transcribes; this is that text:
#
# ```{literalinclude} ../mtadam/mtadam.py
# :language: text
# :start-after: "decay rates beta1, beta2, beta3::"
# :end-before: "The first term is the *anchor*"
# :dedent:
# ```
#
# (In Colab or Jupyter the box above shows only its source; `import mtadam; print(mtadam.__doc__)`
# prints the docstring it quotes.) The paper describes it:
#
# > In line 1, MTAdam initializes I pairs of first and second moment vectors. This is similar to
# > Adam, except for initializing a pair of moments for each loss term. In line 2, and different
# > from Adam, MTAdam initializes I first moments for the magnitude of the gradients, per layer.

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

# %%

import matplotlib.pyplot as plt
import torch

from mtbook.experiments import derivation as bench
from mtbook.core.records import figure_path

cfg = bench.config(PROFILE)
print(f"{cfg['steps']} steps of batch {cfg['batch_size']}, lr {cfg['lr']}, float64")

# %% [markdown]
# ## The test bench: two terms, badly scaled
#
# We reuse the polynomial of chapter 1: learn $f(x) = a x + b x^2$ ($a = 1.52$, $b = -0.29$) with
# a model $w_1 x + w_2 x^2$ from batches $x \sim \mathcal{N}(0, 1)$. To have more than one "layer",
# the two coefficients are two separate parameter tensors: layer 1 is $w_1$, layer 2 is $w_2$.
# With $t = w_1 x + w_2 x^2 - f(x)$, the objective has two terms:
#
# $$f^1 = \operatorname{mean}\, t^2 \quad\text{(L2, the anchor)}, \qquad
#   f^2 = c \cdot \operatorname{mean}\, |t| \quad\text{(L1, weighted by } c).$$
#
# Chapter 1 showed the difference between them: the L2 gradient $2t$ shrinks as the fit improves,
# the L1 gradient $\pm 1$ does not, so L1 alone stalls. The weight $c$ plays the role of a
# badly chosen $\lambda$: we run everything at $c = 1$ and at $c = 1000$.
# `bench.term_grads` returns `grads[i][l]`, the gradient of term $i$ on layer $l$ (line 5), and
# `bench.recorded_run` drives a step function over a run and saves its record.

# %%
C_VALUES = [1.0, 1000.0]
runs = {}


def show(names, title, key="param_err", ylabel=r"$\|w - (a, b)\|$", fname=None):
    fig, ax = plt.subplots(figsize=(6.4, 3.4))
    for name in names:
        for c, style in zip(C_VALUES, ["-", ":"]):
            rec = runs[(name, c)]
            ax.semilogy(rec["curves"]["step"], rec["curves"][key], style, label=f"{name}, c={c:g}")
    ax.set_xlabel("step")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend(fontsize=8, ncol=2)
    if fname:
        fig.savefig(figure_path(bench.EXPERIMENT, fname, PROFILE))
    plt.show()


def final(name):
    return "   ".join(
        f"c={c:g}: {runs[(name, c)]['metrics']['final_param_err']:.1e}" for c in C_VALUES
    )


# %% [markdown]
# ## Step 0 — Adam on the weighted sum
#
# Adam keeps a running mean $m$ and a running uncentred variance $v$ of the gradient, corrects
# their bias towards zero, and steps by their ratio:
#
# $$m_t = \beta_1 m_{t-1} + (1-\beta_1) g, \quad v_t = \beta_2 v_{t-1} + (1-\beta_2) g^2, \quad
#   \theta_t = \theta_{t-1} - \alpha \frac{m_t / (1-\beta_1^t)}{\sqrt{v_t / (1-\beta_2^t)} + \epsilon}.$$
#
# With several terms the only thing Adam can do is step on the gradient of the sum,
# $g = \sum_i g^i$.


# %%
def make_adam(betas=(0.9, 0.999), eps=1e-8):
    b1, b2 = betas
    state = {"t": 0}

    def step(params, grads, lr):
        state["t"] += 1
        t = state["t"]
        for l, p in enumerate(params):
            g = sum(grads[i][l] for i in range(len(grads)))  # the weighted sum's gradient
            m = state[("m", l)] = b1 * state.get(("m", l), 0) + (1 - b1) * g
            v = state[("v", l)] = b2 * state.get(("v", l), 0) + (1 - b2) * g**2
            p -= lr * (m / (1 - b1**t)) / ((v / (1 - b2**t)).sqrt() + eps)

    return step


for c in C_VALUES:
    runs[("Adam on the sum", c)] = bench.recorded_run("adam-sum", make_adam, c)
show(["Adam on the sum"], "Step 0: Adam on f1 + c f2", fname="step0_adam")
print("final parameter error:", final("Adam on the sum"))

# %% [markdown]
# Two things to see. The curve depends on $c$: the weight decides how the two gradients mix in
# $g$. And neither run converges: close to the solution the L1 gradient ($\pm c$) dominates the
# vanishing L2 gradient ($2t$), so the sum behaves like L1 and stalls, whatever $c$.

# %% [markdown]
# ## Step 1 — one pair of moments per term (lines 1, 9–12)
#
# Give every term its own moments, $m^i$ and $v^i$ (line 1 initialises them, lines 9–12 update them
# exactly as Adam does), and let every term take its own Adam step:
#
# $$\theta_t = \theta_{t-1} - \alpha \sum_i \frac{\hat m^i_t}{\sqrt{\hat v^i_t} + \epsilon}.$$
#
# The paper:
#
# > Then, in lines 9-12, MTAdam updates the first and second moments for each parameter and each
# > loss term and computes their bias correction. This is similar to Adam, except that the moments
# > are calculated separately for each loss term.
#
# Since $\hat m^i / \sqrt{\hat v^i}$ does not change when $g^i$ is multiplied by a constant, the
# weights are gone (up to $\epsilon$).


# %%
def make_per_term(betas=(0.9, 0.999), eps=1e-8):
    b1, b2 = betas
    state = {"t": 0}

    def step(params, grads, lr):
        state["t"] += 1
        t = state["t"]
        for l, p in enumerate(params):
            for i in range(len(grads)):
                g = grads[i][l]
                m = state[("m", i, l)] = b1 * state.get(("m", i, l), 0) + (1 - b1) * g  # line 9
                v = state[("v", i, l)] = b2 * state.get(("v", i, l), 0) + (1 - b2) * g**2  # line 10
                mhat, vhat = m / (1 - b1**t), v / (1 - b2**t)  # lines 11-12
                p -= lr * mhat / (vhat.sqrt() + eps)  # own denominator

    return step


for c in C_VALUES:
    runs[("own moments", c)] = bench.recorded_run("per-term-moments", make_per_term, c)
show(["Adam on the sum", "own moments"], "Step 1: per-term moments", fname="step1_moments")
print("final parameter error:", final("own moments"))

# %% [markdown]
# The two $c$ curves of the per-term run lie on top of each other: the weight no longer matters.
# But the run still stalls. Each term takes a full Adam-sized step of its own, and the L1 term's
# step does not shrink as the fit improves: nothing tells it that the L2 term, which converges
# well, is already close. That is the observation of the paper's Sec. 3 (chapter 1): scaled to
# the *L2 gradient's* magnitude, L1 converges.

# %% [markdown]
# ## Step 2 — per-layer magnitudes and the anchor (lines 2, 6–8)
#
# Keep, for every term $i$ and layer $l$, a running average of the gradient's magnitude (line 7),
#
# $$n^i_{l,t} = \beta_3\, n^i_{l,t-1} + (1-\beta_3)\, \|g^i_l\|_2 ,$$
#
# and rescale each term's gradient on each layer to the magnitude of the first term, the
# *anchor* (line 8):
#
# $$g^i_l \leftarrow \frac{n^1_{l,t}}{n^i_{l,t}}\, g^i_l .$$
#
# The paper:
#
# > In lines 6-8, MTAdam iterates over the layers, updates the moving average of the magnitude for
# > each layer and loss, and normalizes the gradients of the current layer and loss term
#
# After line 8 every term has, on every layer, the running magnitude of the anchor. Two things
# follow. The weights $\lambda_i$ cancel in the ratio. And because the anchor is a real loss, not a
# constant, its magnitude carries the progress of training: as L2 converges, $n^1$ shrinks, and the
# rescaled L1 gradient shrinks with it. We first start $n$ at the first observed norm (more on
# line 2 in step 4).
#
# ```{admonition} Deviation: a layer is one parameter tensor
# :class: deviation
# :name: dev-derivation-layer
#
# The paper keeps one running norm per loss term and *layer* but does not say what a layer is;
# we keep one per parameter tensor, as the authors' public code does, so a layer's weight and its
# bias are two "layers" with norms of their own. (`normalize="global"`, the paper's ablation (ii),
# keeps one norm per term for a whole parameter group instead.)
# ```


# %%
def make_normalised(betas=(0.9, 0.999, 0.9), eps=1e-8, anchor=True, denom="own"):
    b1, b2, b3 = betas
    state = {"t": 0}

    def step(params, grads, lr):
        state["t"] += 1
        t = state["t"]
        num_terms = len(grads)
        for l, p in enumerate(params):
            n = state.setdefault(("n", l), [None] * num_terms)
            for i in range(num_terms):  # line 7
                norm = grads[i][l].norm()
                n[i] = norm if n[i] is None else b3 * n[i] + (1 - b3) * norm
            mhat, vhat = [], []
            for i in range(num_terms):
                g = (n[0] if anchor else 1.0) * grads[i][l] / n[i]  # line 8
                m = state[("m", i, l)] = b1 * state.get(("m", i, l), 0) + (1 - b1) * g  # line 9
                v = state[("v", i, l)] = b2 * state.get(("v", i, l), 0) + (1 - b2) * g**2  # line 10
                mhat.append(m / (1 - b1**t))  # line 11
                vhat.append(v / (1 - b2**t))  # line 12
            vmax = torch.stack(vhat).max(dim=0).values
            vmean = torch.stack(vhat).mean(dim=0)
            for i in range(num_terms):  # line 13
                d = {"own": vhat[i], "max": vmax, "mean": vmean}[denom]
                p -= lr * mhat[i] / (d.sqrt() + eps)  # line 14

    return step


for c in C_VALUES:
    runs[("normalised, own", c)] = bench.recorded_run("normalised-own", make_normalised, c)
    runs[("no anchor, own", c)] = bench.recorded_run(
        "unit-norm-own", lambda: make_normalised(anchor=False), c
    )
show(
    ["own moments", "no anchor, own", "normalised, own"],
    "Step 2: rescale to the anchor, per layer",
    fname="step2_anchor",
)
for name in ["own moments", "no anchor, own", "normalised, own"]:
    print(f"{name:>16}: final parameter error", final(name))

# %% [markdown]
# Rescaled to the anchor, the run converges to the solution (to the precision of float64), at
# $c = 1$ and $c = 1000$ alike. Rescaling to a constant instead (unit norm, "no anchor": line 8
# with $n^1$ replaced by 1, the paper's ablation (iii)) removes the weights too, but stalls: the
# step no longer learns from the anchor that training is progressing. That is the paper's reason
# for the anchor:
#
# > By linking the magnitude to that of a concrete loss, and not to a static value (e.g.,
# > normalizing to have a unit norm), we maintain the relationship between the training
# > progression and the learning rate.
#
# **Why per layer?** The ratio $n^1_l / n^i_l$ is the weight MTAdam gives term $i$ on layer $l$.
# It differs between layers because the terms' gradients are shaped differently on each layer:
# here L1 and L2 weigh the $x$ and $x^2$ coefficients differently. The plot shows the weight of
# the L1 term (at $c = 1$) on each layer over training, as the finished optimizer reports it
# (`MTAdam.effective_weights()`): a different, changing weight per layer — something no single
# $\lambda$ can express.

# %%
from mtadam import MTAdam


def make_module(**kwargs):
    holder = {}

    def step(params, grads, lr):
        if "opt" not in holder:
            holder["opt"] = MTAdam(params, lr=lr, **kwargs)
            holder["weights"] = []
        holder["opt"].step(grads=grads)
        holder["weights"].append(holder["opt"].effective_weights()[1].tolist())

    step.holder = holder
    return step


module_step = make_module()
out = bench.train(module_step, 1.0, steps=cfg["steps"], batch_size=cfg["batch_size"], lr=cfg["lr"])
weights = torch.tensor(module_step.holder["weights"])
fig, ax = plt.subplots(figsize=(6.4, 3.2))
ax.semilogy(weights[:, 0], label=r"layer 1 ($w_1$, coefficient of $x$)")
ax.semilogy(weights[:, 1], label=r"layer 2 ($w_2$, coefficient of $x^2$)")
ax.set_xlabel("step")
ax.set_ylabel(r"weight of L1: $n^1_l / n^2_l$")
ax.set_title("Effective weight of the L1 term, per layer (c = 1)")
ax.legend()
fig.savefig(figure_path(bench.EXPERIMENT, "effective_weights", PROFILE))
plt.show()
bench.save_comparison(
    "effective-weights-c1",
    dict(
        first_step=weights[0].tolist(),
        step_100=weights[min(99, len(weights) - 1)].tolist(),
        last_step=weights[-1].tolist(),
    ),
    dict(cfg, c=1.0, optimizer="mtadam.MTAdam defaults"),
)
print(
    "weight of the L1 term on (layer 1, layer 2) at step 1:",
    [f"{w:.2f}" for w in weights[0].tolist()],
    "  at step 100:",
    [f"{w:.2f}" for w in weights[min(99, len(weights) - 1)].tolist()],
)

# %% [markdown]
# Both weights fall by orders of magnitude: as the L2 anchor converges, its gradient magnitude
# falls, and the L1 term is scaled down with it. That is exactly the rescaling of the paper's
# Fig. 1, done by a running average rather than per batch, and per layer.

# %% [markdown]
# ## Step 3 — one denominator: the largest second moment (lines 13–14)
#
# After line 8 the terms are on one scale, so they can share a denominator. MTAdam takes the
# largest second moment of all terms (line 14):
#
# $$\theta_t = \theta_{t-1} - \alpha \sum_i \frac{\hat m^i_t}{\sqrt{\max_j \hat v^j_t} + \epsilon}.$$
#
# Elementwise $\max_j \hat v^j \ge \hat v^i$, so each term's step is never larger than its own
# Adam step: if any one term is uncertain (large second moment: noisy, or in a region where a
# small move changes it a lot), the whole step is small. The paper (Sec. 4):
#
# > The motivation for this is that even if one of the losses is in a high-sensitivity region,
# > where small updates create rapid changes to this term, then the step, regardless of the term
# > which led to it, should be small.
#
# The paper's ablation (iv) replaces the max by each term's own $\hat v^i$ (our step 2
# so far), (v) by the mean.

# %%
for c in C_VALUES:
    runs[("normalised, max (MTAdam)", c)] = bench.recorded_run(
        "mtadam", lambda: make_normalised(denom="max"), c
    )
    runs[("normalised, mean", c)] = bench.recorded_run(
        "normalised-mean", lambda: make_normalised(denom="mean"), c
    )
names = ["normalised, own", "normalised, mean", "normalised, max (MTAdam)"]
show(names, "Step 3: which denominator", fname="step3_denominator")
for name in names:
    print(f"{name:>25}: final parameter error", final(name))
early = slice(0, len(runs[names[0], 1.0]["curves"]["update"]) // 5)  # the first fifth of the run
for name in names[1:]:
    ratio = torch.tensor(runs[name, 1.0]["curves"]["update"][early]) / torch.tensor(
        runs["normalised, own", 1.0]["curves"]["update"][early]
    )
    print(
        f"step size of '{name}' / 'normalised, own' over the first fifth (c=1): "
        f"median {ratio.median().item():.2f}, range {ratio.min().item():.2f}-{ratio.max().item():.2f}"
    )

# %% [markdown]
# On this two-term toy the three denominators are almost indistinguishable: all converge, and the
# total step sizes differ by a few percent either way. (The inequality holds term by term for the
# same moments; the runs' trajectories differ, and the terms' steps partly cancel, so the totals
# need not be ordered.) A toy with two noiseless terms cannot show what the max buys; the
# paper's evidence is its ablation on pix2pix and CycleGAN (Table 7), which the ablation chapter
# reproduces. What the toy does show is that the max costs nothing here. Note also, in the plot,
# that the rescaled runs start slower than the unscaled ones: the L1 term is weighted down from
# the first step, and the L2 anchor alone moves with Adam-sized, not larger, steps.
#
# Steps 1–3 together are Algorithm 1. What remains is the one line we skipped.

# %% [markdown]
# (derivation-invariance)=
# ## Step 4 — where the running norms start (line 2), and exact invariance to the weights
#
# Algorithm 1 starts every running norm at $n^i_{l,0} = 1$ (line 2). The authors' public code
# ([github.com/ItzikMalkiel/MTAdam](https://github.com/ItzikMalkiel/MTAdam), the address the paper
# gives) instead starts it at the first step's norm. The difference matters exactly when weights
# are badly chosen: with $n_0 = 1$ a term whose gradients have magnitude 1000 has, after $t$ steps,
# $n_t = \beta_3^t \cdot 1 + (1 - \beta_3^t)\cdot 1000$ — for the first
# $\sim 1/(1-\beta_3) = 10$ steps its gradient is rescaled by a factor that still remembers the
# arbitrary 1.
#
# ```{admonition} Deviation: the running norms start at the first observed norm, not at 1
# :class: deviation
# :name: dev-derivation-norm-init
#
# Algorithm 1 sets $n^i_{l,0} = 1$ (line 2); `mtadam.MTAdam` by default starts the running norm of
# term $i$ on layer $l$ at the first non-zero norm it observes there (`norm_init="first"`). The
# authors' public code does the same (it takes the first step's norm), and it makes MTAdam exactly
# invariant to constant weights on the terms (the claim below); with $n_0 = 1$ a term with
# gradients of size 1000 is under-normalised by up to 1000x for its first ~10 steps. "First
# non-zero" rather than "first step": a term that does not reach a layer at step 1 (an absent
# class, say) would otherwise start at 0 and be amplified about $1/(1-\beta_3)$ times when it first
# appears. `norm_init="one"` is line 2 as printed.
# ```
#
# **Claim.** With the first-norm start, MTAdam is exactly invariant to multiplying any term by a
# constant $c > 0$, up to $\epsilon$.
#
# **Proof.** Scale a term $i > 1$ by $c$: every $\|g^i_l\|$ is multiplied by $c$, line 7 is linear
# and starts at the first of them, so every $n^i_{l,t}$ is multiplied by $c$ and line 8,
# $n^1 (c\, g^i) / (c\, n^i)$, is unchanged. Scale the anchor by $c$: $n^1$ is multiplied by $c$, so
# after line 8 every term's gradient is, hence every $m^i$ by $c$ and every $v^i$ by $c^2$, and
# line 14 gives $\alpha\, c\, \hat m / (c \sqrt{\max \hat v} + \epsilon)$: the same step up to $\epsilon$. ∎
#
# Numerically, with the finished module (`norm_init="first"`, its default, or `"one"`, Algorithm 1
# as printed), weighting the anchor by 1000 and the L1 term by 1/1000 at once, with $\epsilon = 0$:


# %%
def weighted(weights, **kwargs):
    """The module stepping on the terms multiplied by `weights`."""
    inner = make_module(**kwargs)

    def step(params, grads, lr):
        inner(params, [[w * g for g in row] for w, row in zip(weights, grads)], lr)

    return step


def invariance(norm_init):
    a, b = (
        bench.train(
            weighted(w, eps=0.0, norm_init=norm_init),
            1.0,
            steps=cfg["steps"],
            batch_size=cfg["batch_size"],
            lr=cfg["lr"],
        )["trajectory"]
        for w in [(1.0, 1.0), (1000.0, 1e-3)]
    )
    return ((a - b).abs() / b.abs().clamp_min(1e-300)).max().item()


diffs = {init: invariance(init) for init in ["first", "one"]}
bench.save_comparison(
    "invariance",
    {f"max_rel_diff_{k}": v for k, v in diffs.items()},
    dict(cfg, weights="(1, 1) vs (1000, 1e-3)", eps=0.0),
)

# %%
# NBVAL_CHECK_OUTPUT
for init, d in diffs.items():
    print(f'norm_init="{init}": trajectories identical to 1e-9 relative: {d < 1e-9}')

# %% [markdown]
# The first-norm start gives the same trajectory to rounding error (largest relative difference
# printed below); $n_0 = 1$ does not. That is why the module's default is
# `norm_init="first"`: it is what the authors' public code does, and it makes the weights exactly
# irrelevant. `norm_init="one"` remains available as Algorithm 1 prints it.

# %%
print({k: f"{v:.1e}" for k, v in diffs.items()})

# %% [markdown]
# ## Memory and time: $O(I\,|\theta|)$
#
# Per parameter element MTAdam keeps $m^i$ and $v^i$ for every term: $2I$ numbers where Adam keeps
# 2; plus one running norm per term and layer, $I \cdot L$ numbers — negligible. A step reads each
# term's gradient twice (its norm, then the update), reads and writes each $m^i$ and $v^i$, and
# reads and writes the parameter: $6I + 2$ memory accesses per element against Adam's 7. So both
# memory and time grow linearly in the number of terms, as the paper says:
#
# > MTAdam utilizes I different pairs of 1st and 2nd moments for each parameter and also I first
# > moments magnitude for each layer.
#
# The module's state, on the MNIST network of chapter 3 (1.2 M parameters):

# %%
from mtbook.core.models import MnistNet as Net

net = Net()
numel, layers = sum(p.numel() for p in net.parameters()), len(list(net.parameters()))
for num_terms in (1, 2, 10):
    opt = MTAdam(net.parameters())
    opt.step(grads=[[torch.ones_like(p) for p in net.parameters()] for _ in range(num_terms)])
    floats = sum(
        t.numel() for st in opt.state.values() for k, t in st.items() if k in ("m", "v", "n")
    )
    print(
        f"I = {num_terms:>2}: state {floats:>11,} numbers = 2*I*|theta| + I*L = "
        f"{2 * num_terms * numel + num_terms * layers:>11,}"
    )

# %% [markdown]
# Measured step times against `torch.optim.Adam` and against this memory-traffic floor are in the
# benchmark, `benchmarks/README.md`. In practice the optimizer is rarely the cost: computing $I$
# gradients instead of one is (chapter 3 shows a case where they come almost for free).

# %% [markdown]
# (derivation-module)=
# ## The finished module computes what we derived
#
# `mtadam.MTAdam` is steps 1–4 written for speed: all terms and parameters at once with
# `torch._foreach_*` operations, state in `param_groups`/`state`/`state_dict` like
# `torch.optim.Adam`, per-term gradients from a list of losses, and the choices Algorithm 1 leaves
# open decided and documented (in its docstring, and here):
#
# ```{admonition} Deviation: weight decay, once per step, inside the anchor term
# :class: deviation
# :name: dev-derivation-weight-decay
#
# Algorithm 1 has no weight decay; with `weight_decay > 0`, `MTAdam` adds the L2 penalty's
# gradient $\lambda_{wd}\,\theta$ once per step to the anchor term's gradient, before its norm is
# taken, as if $\frac{\lambda_{wd}}{2}\lVert\theta\rVert^2$ were part of the first loss term. The
# authors' public code instead adds it to every term's normalised gradient, $I$ times per step, so
# its decay grows with the number of terms. With `decoupled_weight_decay=True` the parameters are
# decayed as AdamW does, $\theta \leftarrow (1 - \alpha\lambda_{wd})\,\theta$.
# ```
#
# ```{admonition} Deviation: terms that do not reach a layer
# :class: deviation
# :name: dev-derivation-absent-terms
#
# Algorithm 1 assumes that every term has a gradient on every layer; when a term's gradient on a
# layer is zero (a term computed from one head of a network with several, the loss of a digit
# absent from the batch), `MTAdam` gives it a zero normalised gradient there instead of dividing
# by a zero running norm. On a layer the anchor has never reached, the first term that has reached
# it acts as that layer's anchor, much as the authors' public code does.
# ```
#
# On our bench it follows the chapter's `make_normalised(denom="max")` step for step:

# %%
chapter = bench.train(
    make_normalised(denom="max"),
    1000.0,
    steps=cfg["steps"],
    batch_size=cfg["batch_size"],
    lr=cfg["lr"],
)["trajectory"]
module = bench.train(
    make_module(), 1000.0, steps=cfg["steps"], batch_size=cfg["batch_size"], lr=cfg["lr"]
)["trajectory"]
max_diff = (chapter - module).abs().max().item()
bench.save_comparison("module-vs-chapter", dict(max_abs_diff=max_diff), dict(cfg, c=1000.0))

# %%
# NBVAL_CHECK_OUTPUT
print(f"module and chapter agree at every step to 1e-12: {max_diff < 1e-12}")

# %% [markdown]
# The heart of the module is two methods of `mtadam/mtadam.py` (the whole file, with validation,
# per-term gradients and checkpointing, depends on torch only, so you can copy it into your
# project). Per parameter group, `_plan_group` collects line 5's gradients of the terms and their
# norms, and adds coupled weight decay to the anchor term:
#
# ```{literalinclude} ../mtadam/mtadam.py
# :pyobject: MTAdam._plan_group
# :lineno-match:
# ```
#
# and `_update_group` does lines 1–2 (lazily, at the first step) and 6–14:
#
# ```{literalinclude} ../mtadam/mtadam.py
# :pyobject: MTAdam._update_group
# :lineno-match:
# ```
#
# (In Colab or Jupyter, where the boxes above show only their source: `MTAdam._update_group??`
# shows the code, and `mtadam.__file__` is the file.)

# %% [markdown]
# Using it takes one change to a training loop: pass the list of (unweighted) terms, anchor first,
# instead of calling `backward()` on their weighted sum.
#
# ```python
# from mtadam import MTAdam
#
# opt = MTAdam(model.parameters(), lr=1e-3)          # betas=(0.9, 0.999, 0.9)
# for x, y in loader:
#     out = model(x)
#     opt.step([l1(out, y), gan_loss(out), perceptual(out, y)])   # no lambdas
# ```
#
# The next chapter puts it to work on MNIST with ten terms.
