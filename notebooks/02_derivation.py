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
# Line numbers ("line 7") always refer to MTAdam's side of Algorithm 1, transcribed here:
#
# ```text
#  1  for i = 1..I:  m^i_0, v^i_0 <- 0, 0
#  2  for l = 1..L:  n^i_{l,0} <- 1
#  3  while t = 1..T:
#  4    for i = 1..I:
#  5      g^i = (g^i_1..g^i_L) <- grad f^i_t(theta_{t-1})
#  6      for l = 1..L:
#  7        n^i_{l,t} <- beta3 n^i_{l,t-1} + (1 - beta3) ||g^i_l||_2
#  8        g^i_l <- n^1_{l,t} g^i_l / n^i_{l,t}
#  9      m^i_t <- beta1 m^i_{t-1} + (1 - beta1) g^i
# 10      v^i_t <- beta2 v^i_{t-1} + (1 - beta2) (g^i)^2
# 11      mhat^i_t <- m^i_t / (1 - beta1^t)
# 12      vhat^i_t <- v^i_t / (1 - beta2^t)
# 13    for i = 1..I:
# 14      theta_{t-1} <- theta_{t-1} - alpha mhat^i_t / (sqrt(max(vhat^1_t..vhat^I_t)) + eps)
# 15    theta_t <- theta_{t-1}
# ```

# %%
# Colab (or any fresh kernel): install the book's code when it is not importable. No-op in the project's venv.
import importlib.util, subprocess, sys
if importlib.util.find_spec("mtbook") is None:
    subprocess.run([sys.executable, "-m", "pip", "install", "-q",
                    "mtadam[book] @ git+https://github.com/mtadam-book/mtadam-book"], check=True)

# %%
from mtbook.core.notebook import setup
PROFILE = setup()

# %%
import math

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
    return "   ".join(f"c={c:g}: {runs[(name, c)]['metrics']['final_param_err']:.1e}" for c in C_VALUES)


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
            g = sum(grads[i][l] for i in range(len(grads)))          # the weighted sum's gradient
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
                m = state[("m", i, l)] = b1 * state.get(("m", i, l), 0) + (1 - b1) * g      # line 9
                v = state[("v", i, l)] = b2 * state.get(("v", i, l), 0) + (1 - b2) * g**2   # line 10
                mhat, vhat = m / (1 - b1**t), v / (1 - b2**t)                              # lines 11-12
                p -= lr * mhat / (vhat.sqrt() + eps)                                       # own denominator
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
# After line 8 every term has, on every layer, the running magnitude of the anchor. Two things
# follow. The weights $\lambda_i$ cancel in the ratio. And because the anchor is a real loss, not a
# constant, its magnitude carries the progress of training: as L2 converges, $n^1$ shrinks, and the
# rescaled L1 gradient shrinks with it. We first start $n$ at the first observed norm (more on
# line 2 in step 4).

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
            for i in range(num_terms):                                                     # line 7
                norm = grads[i][l].norm()
                n[i] = norm if n[i] is None else b3 * n[i] + (1 - b3) * norm
            mhat, vhat = [], []
            for i in range(num_terms):
                g = (n[0] if anchor else 1.0) * grads[i][l] / n[i]                         # line 8
                m = state[("m", i, l)] = b1 * state.get(("m", i, l), 0) + (1 - b1) * g      # line 9
                v = state[("v", i, l)] = b2 * state.get(("v", i, l), 0) + (1 - b2) * g**2   # line 10
                mhat.append(m / (1 - b1**t))                                               # line 11
                vhat.append(v / (1 - b2**t))                                               # line 12
            vmax = torch.stack(vhat).max(dim=0).values
            vmean = torch.stack(vhat).mean(dim=0)
            for i in range(num_terms):                                                     # line 13
                d = {"own": vhat[i], "max": vmax, "mean": vmean}[denom]
                p -= lr * mhat[i] / (d.sqrt() + eps)                                       # line 14
    return step


for c in C_VALUES:
    runs[("normalised, own", c)] = bench.recorded_run("normalised-own", make_normalised, c)
    runs[("no anchor, own", c)] = bench.recorded_run(
        "unit-norm-own", lambda: make_normalised(anchor=False), c)
show(["own moments", "no anchor, own", "normalised, own"], "Step 2: rescale to the anchor, per layer",
     fname="step2_anchor")
for name in ["own moments", "no anchor, own", "normalised, own"]:
    print(f"{name:>16}: final parameter error", final(name))

# %% [markdown]
# Rescaled to the anchor, the run converges to the solution (to the precision of float64), at
# $c = 1$ and $c = 1000$ alike. Rescaling to a constant instead (unit norm, "no anchor": line 8
# with $n^1$ replaced by 1, the paper's ablation (iii)) removes the weights too, but stalls: the
# step no longer learns from the anchor that training is progressing.
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
bench.save_comparison("effective-weights-c1", dict(
    first_step=weights[0].tolist(), step_100=weights[min(99, len(weights) - 1)].tolist(),
    last_step=weights[-1].tolist()), dict(cfg, c=1.0, optimizer="mtadam.MTAdam defaults"))
print("weight of the L1 term on (layer 1, layer 2) at step 1:",
      [f"{w:.2f}" for w in weights[0].tolist()], "  at step 100:",
      [f"{w:.2f}" for w in weights[min(99, len(weights) - 1)].tolist()])

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
# small move changes it a lot), the whole step is small, "regardless of the term which led to it"
# (Sec. 4). The paper's ablation (iv) replaces the max by each term's own $\hat v^i$ (our step 2
# so far), (v) by the mean.

# %%
for c in C_VALUES:
    runs[("normalised, max (MTAdam)", c)] = bench.recorded_run(
        "mtadam", lambda: make_normalised(denom="max"), c)
    runs[("normalised, mean", c)] = bench.recorded_run(
        "normalised-mean", lambda: make_normalised(denom="mean"), c)
names = ["normalised, own", "normalised, mean", "normalised, max (MTAdam)"]
show(names, "Step 3: which denominator", fname="step3_denominator")
for name in names:
    print(f"{name:>25}: final parameter error", final(name))
early = slice(0, len(runs[names[0], 1.0]["curves"]["update"]) // 5)  # the first fifth of the run
for name in names[1:]:
    ratio = torch.tensor(runs[name, 1.0]["curves"]["update"][early]) / torch.tensor(
        runs["normalised, own", 1.0]["curves"]["update"][early])
    print(f"step size of '{name}' / 'normalised, own' over the first fifth (c=1): "
          f"median {ratio.median().item():.2f}, range {ratio.min().item():.2f}-{ratio.max().item():.2f}")

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
# ## Step 4 — where the running norms start (line 2), and exact invariance to the weights
#
# Algorithm 1 starts every running norm at $n^i_{l,0} = 1$ (line 2). The authors' public code
# instead starts it at the first observed norm. The difference matters exactly when weights are
# badly chosen: with $n_0 = 1$ a term whose gradients have magnitude 1000 has, after $t$ steps,
# $n_t = \beta_3^t \cdot 1 + (1 - \beta_3^t)\cdot 1000$ — for the first $\sim 1/(1-\beta_3) = 10$ steps
# its gradient is rescaled by a factor that still remembers the arbitrary 1.
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
    a, b = (bench.train(weighted(w, eps=0.0, norm_init=norm_init), 1.0, steps=cfg["steps"],
                        batch_size=cfg["batch_size"], lr=cfg["lr"])["trajectory"]
            for w in [(1.0, 1.0), (1000.0, 1e-3)])
    return ((a - b).abs() / b.abs().clamp_min(1e-300)).max().item()


diffs = {init: invariance(init) for init in ["first", "one"]}
bench.save_comparison("invariance", {f"max_rel_diff_{k}": v for k, v in diffs.items()},
                      dict(cfg, weights="(1, 1) vs (1000, 1e-3)", eps=0.0))

# %%
# NBVAL_CHECK_OUTPUT
for init, d in diffs.items():
    print(f'norm_init="{init}": trajectories identical to 1e-9 relative: {d < 1e-9}')

# %% [markdown]
# The first-norm start gives the same trajectory to rounding error (largest relative difference
# printed below); $n_0 = 1$ does not. That is why the module's default is
# `norm_init="first"`: it is what the paper's experiments ran (the authors' code) and it makes the
# weights exactly irrelevant. `norm_init="one"` remains available as Algorithm 1 prints it.

# %%
print({k: f"{v:.1e}" for k, v in diffs.items()})

# %% [markdown]
# ## Memory and time: $O(I\,|\theta|)$
#
# Per parameter element MTAdam keeps $m^i$ and $v^i$ for every term: $2I$ numbers where Adam keeps
# 2; plus one running norm per term and layer, $I \cdot L$ numbers — negligible. A step reads each
# term's gradient twice (its norm, then the update), reads and writes each $m^i$ and $v^i$, and
# reads and writes the parameter: $6I + 2$ memory accesses per element against Adam's 7. So both
# memory and time grow linearly in the number of terms. The module's state, on the MNIST network
# of chapter 3 (1.2 M parameters):

# %%
from mtbook.core.models import MnistNet as Net

net = Net()
numel, layers = sum(p.numel() for p in net.parameters()), len(list(net.parameters()))
for num_terms in (1, 2, 10):
    opt = MTAdam(net.parameters())
    opt.step(grads=[[torch.ones_like(p) for p in net.parameters()] for _ in range(num_terms)])
    floats = sum(t.numel() for st in opt.state.values() for k, t in st.items() if k in ("m", "v", "n"))
    print(f"I = {num_terms:>2}: state {floats:>11,} numbers = 2*I*|theta| + I*L = "
          f"{2 * num_terms * numel + num_terms * layers:>11,}")

# %% [markdown]
# Measured step times against `torch.optim.Adam` and against this memory-traffic floor are in the
# benchmark, `benchmarks/README.md`. In practice the optimizer is rarely the cost: computing $I$
# gradients instead of one is (chapter 3 shows a case where they come almost for free).

# %% [markdown]
# ## The finished module computes what we derived
#
# `mtadam.MTAdam` is steps 1–4 written for speed: all terms and parameters at once with
# `torch._foreach_*` operations, state in `param_groups`/`state`/`state_dict` like
# `torch.optim.Adam`, per-term gradients from a list of losses, and the choices Algorithm 1 leaves
# open (a term that does not reach a layer, an anchor that does not, weight decay) decided and
# documented. On our bench it follows the chapter's `make_normalised(denom="max")` step for step:

# %%
chapter = bench.train(make_normalised(denom="max"), 1000.0, steps=cfg["steps"], batch_size=cfg["batch_size"],
                      lr=cfg["lr"])["trajectory"]
module = bench.train(make_module(), 1000.0, steps=cfg["steps"], batch_size=cfg["batch_size"],
                     lr=cfg["lr"])["trajectory"]
max_diff = (chapter - module).abs().max().item()
bench.save_comparison("module-vs-chapter", dict(max_abs_diff=max_diff), dict(cfg, c=1000.0))

# %%
# NBVAL_CHECK_OUTPUT
print(f"module and chapter agree at every step to 1e-12: {max_diff < 1e-12}")

# %% [markdown]
# The heart of the module, lines 6–14 for one parameter group (the whole file, with validation,
# per-term gradients and checkpointing, is `mtadam/mtadam.py`; it depends on torch only, so you can
# copy it into your project):

# %% tags=["hide-output"]
import inspect

print(inspect.getsource(MTAdam._update_group))

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
