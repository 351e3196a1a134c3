"""The polynomial toy of the paper's Sec. 3 (Figs. 1 and 5): why one term can set another's scale.

A two-parameter linear model ``(x, x^2) . W`` learns ``f(x) = a x + b x^2`` from batches of
``x ~ N(0, 1)``, trained by Adam on one of three objectives:

* ``l1``         mean |t|,   with t = (x, x^2) . W - f(x)
* ``l2``         mean t^2
* ``l1_scaled``  mean |t|, whose gradient is rescaled to the norm of the L2 gradient of the same
  batch before Adam sees it: g_L1 * ||g_L2|| / ||g_L1|| (the paper's Sec. 3 rescaling).

Everything is cheap, so every profile runs the same settings (:data:`CONFIG`), and the same seeds
give the same batches for the three objectives (paired comparison).

Runs go through :func:`mtbook.core.runs.run_or_load` (a record whose config matches is reused).
"""

from __future__ import annotations

import numpy as np
import torch

from ...core.polynomial import PAPER_AB, features, residual  # noqa: F401
from ...core.report import order_of_magnitude, tail_median  # noqa: F401
from ...core.runs import config_for, run_or_load

EXPERIMENT = "toy"
OBJECTIVES = {
    "l1": "L1",
    "l2": "L2",
    "l1_scaled": "L1, gradient scaled to the L2 gradient's norm",
}

_SETTINGS = dict(
    steps=10000,  # Adam steps per run
    batch_size=64,  # samples of x per step
    lr=1e-3,  # torch.optim.Adam's default (the paper: "default parameters in pytorch")
    draws=5,  # extra (a, b) draws beside the paper's, a, b ~ U(-2, 2)
    draw_seed=2021,  # seed of the (a, b) draws
    lrs=[1e-2, 1e-1],  # extra learning rates for the L1 stall-level check (draw 0)
    tail=500,  # "final" loss = median over the last `tail` steps
)
# The toy is cheap: every profile runs it in full.
CONFIG = {"smoke": dict(_SETTINGS), "cpu": dict(_SETTINGS), "full": dict(_SETTINGS)}


def config(profile: str | None = None) -> dict:
    return config_for(CONFIG, profile, EXPERIMENT)


def ab_draws(n: int, seed: int = 2021) -> list[tuple[float, float]]:
    """The paper's (a, b) followed by ``n`` draws of (a, b) ~ U(-2, 2)^2 (rounded to 2 decimals)."""
    rng = np.random.RandomState(seed)
    extra = [tuple(float(v) for v in np.round(rng.uniform(-2.0, 2.0, size=2), 2)) for _ in range(n)]
    return [PAPER_AB] + extra


def l1_grad(t: torch.Tensor, X: torch.Tensor) -> torch.Tensor:
    """Gradient of mean |t| w.r.t. W: mean of sign(t)
    (x, x^2). Its size does not shrink as t -> 0."""
    return (torch.sign(t).unsqueeze(1) * X).mean(0)


def l2_grad(t: torch.Tensor, X: torch.Tensor) -> torch.Tensor:
    """Gradient of mean t^2 w.r.t. W: mean of 2 t (x, x^2). It vanishes with t."""
    return (2.0 * t.unsqueeze(1) * X).mean(0)


def objective_grad(objective: str, W: torch.Tensor, x: torch.Tensor, a: float, b: float):
    """The gradient Adam receives for ``objective`` on batch ``x``, with the batch's L1 and L2
    losses.

    The gradients are written out (d|t|/dt = sign t, dt^2/dt = 2t); ``tests/test_toy.py`` checks
    them against autograd. Returns ``(grad, l1, l2)`` with the losses as floats.
    """
    if objective not in OBJECTIVES:
        raise ValueError(f"unknown objective {objective!r}; use one of {', '.join(OBJECTIVES)}")
    with torch.no_grad():
        X = features(x)
        t = X @ W - (a * x + b * x * x)
        l1 = float(t.abs().mean())
        l2 = float((t * t).mean())
        if objective == "l1":
            g = l1_grad(t, X)
        elif objective == "l2":
            g = l2_grad(t, X)
        else:
            g1, g2 = l1_grad(t, X), l2_grad(t, X)
            n1 = g1.norm()
            g = g1 * (g2.norm() / n1) if n1 > 0 else g1
    return g, l1, l2


def train(
    objective: str,
    a: float,
    b: float,
    *,
    steps: int,
    batch_size: int,
    lr: float,
    seed: int,
    every: int = 1,
) -> dict:
    """Adam (torch.optim.Adam, defaults but ``lr``) from W = 0 on ``objective``; curves every
    ``every`` steps.

    Curves: ``loss`` (the objective's own loss: L1 for l1 and l1_scaled, L2 for l2), ``l1``, ``l2``,
    ``grad_norm`` (norm of the gradient Adam receives) and ``param_err`` (||W - (a, b)||).
    """
    gen = torch.Generator().manual_seed(seed)
    W = torch.zeros(2)
    opt = torch.optim.Adam([W], lr=lr)
    target = torch.tensor([a, b])
    curves = {k: [] for k in ("step", "loss", "l1", "l2", "grad_norm", "param_err")}
    for step in range(1, steps + 1):
        x = torch.randn(batch_size, generator=gen)
        g, l1, l2 = objective_grad(objective, W, x, a, b)
        W.grad = g
        opt.step()  # torch.optim.Adam, exactly as for a network
        if step % every == 0 or step == 1:
            curves["step"].append(step)
            curves["loss"].append(l2 if objective == "l2" else l1)
            curves["l1"].append(l1)
            curves["l2"].append(l2)
            curves["grad_norm"].append(float(g.norm()))
            curves["param_err"].append(float((W - target).norm()))
    return dict(
        curves={k: [float(f"{v:.4g}") for v in vs] for k, vs in curves.items()}, W=W.tolist()
    )


def _one(objective: str, draw: int, a: float, b: float, cfg: dict, lr: float, profile: str | None):
    method = objective if lr == cfg["lr"] else f"{objective}-lr{lr:g}"
    run_cfg = dict(
        objective=objective,
        objective_label=OBJECTIVES[objective],
        a=a,
        b=b,
        draw=draw,
        steps=cfg["steps"],
        batch_size=cfg["batch_size"],
        lr=lr,
        optimizer="torch.optim.Adam",
        init="W = 0",
        x="N(0, 1)",
        every=10,
    )

    def fn():
        out = train(
            objective,
            a,
            b,
            steps=cfg["steps"],
            batch_size=cfg["batch_size"],
            lr=lr,
            seed=draw,
            every=run_cfg["every"],
        )
        c = out["curves"]
        tail = max(1, cfg["tail"] // run_cfg["every"])
        metrics = dict(
            final_loss=tail_median(c["loss"], tail),
            final_l1=tail_median(c["l1"], tail),
            final_l2=tail_median(c["l2"], tail),
            final_grad_norm=tail_median(c["grad_norm"], tail),
            final_param_err=tail_median(c["param_err"], tail),
            W=out["W"],
        )
        return dict(metrics=metrics, curves=c)

    return run_or_load(EXPERIMENT, method, draw, run_cfg, fn, profile)


def run_all(profile: str | None = None, verbose: bool = True) -> dict:
    """Every toy run of ``profile`` (reusing records): returns ``{"main": {obj: rec}, "draws":
    [...], "lrs": {...}}``.

    ``main``: the paper's (a, b) at the default lr; ``draws``: one ``{obj: rec}`` per extra (a, b);
    ``lrs``: ``{lr: {obj: rec}}`` for the extra learning rates (paper's (a, b)).
    """
    from tqdm import tqdm

    cfg = config(profile)
    ab = ab_draws(cfg["draws"], cfg["draw_seed"])
    jobs = [(obj, k, a, b, cfg["lr"]) for k, (a, b) in enumerate(ab) for obj in OBJECTIVES]
    jobs += [(obj, 0, ab[0][0], ab[0][1], lr) for lr in cfg["lrs"] for obj in OBJECTIVES]
    out: dict = {
        "main": {},
        "draws": [dict() for _ in ab[1:]],
        "lrs": {lr: {} for lr in cfg["lrs"]},
    }
    for obj, k, a, b, lr in tqdm(
        jobs, desc="polynomial toy runs", disable=not verbose, mininterval=2
    ):
        rec = _one(obj, k, a, b, cfg, lr, profile)
        if lr != cfg["lr"]:
            out["lrs"][lr][obj] = rec
        elif k == 0:
            out["main"][obj] = rec
        else:
            out["draws"][k - 1][obj] = rec
    return out
