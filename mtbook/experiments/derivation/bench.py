"""The test bench of the derivation chapter (notebooks/02_derivation): two badly scaled terms.

The polynomial of the paper's Sec. 3 (see :mod:`mtbook.core.polynomial`), ``f(x) = a x + b x^2``,
learnt by a model with two "layers" -- the scalar coefficients ``w1`` of x and ``w2`` of x^2 -- from
two terms:

* ``f^1 = mean t^2`` (L2, the anchor: its gradient vanishes as the fit improves),
* ``f^2 = c * mean |t|`` (L1 with a weight ``c``: its gradient keeps magnitude ~c, see chapter 1),

with ``t = w1 x + w2 x^2 - f(x)`` and ``x ~ N(0, 1)`` batches. Everything is float64, so that
"identical" in the chapter means identical to ~1e-15, not to float32 rounding.

The step functions themselves are the chapter's content and live in the notebook; this module only
generates the gradients, drives a step function over a run and records it.
"""

from __future__ import annotations

import math
import time
from typing import Callable

import torch

from ...core.polynomial import PAPER_AB, residual
from ...core.profiles import get_profile
from ...core.records import load_record, normalize, save_record
from ...core.report import tail_median
from ...core.runs import config_for, matching_record

EXPERIMENT = "derivation"
DTYPE = torch.float64

CONFIG = {
    "smoke": dict(steps=1500, batch_size=64, lr=1e-3, tail=200, every=5),
    "cpu": dict(steps=5000, batch_size=64, lr=1e-3, tail=500, every=5),
    "full": dict(steps=5000, batch_size=64, lr=1e-3, tail=500, every=5),
}


def config(profile: str | None = None) -> dict:
    return config_for(CONFIG, profile, EXPERIMENT)


def init_params() -> list[torch.Tensor]:
    """The two layers, w1 and w2, both starting at 0."""
    return [torch.zeros((), dtype=DTYPE, requires_grad=True) for _ in range(2)]


def term_grads(params, x: torch.Tensor, c: float, ab=PAPER_AB):
    """``grads[i][l]``: gradient of term i (0: L2 anchor,
    1: c * L1) on layer l; and the two losses."""
    w1, w2 = params
    W = torch.stack([w1, w2])
    t = residual(W, x, *ab)
    f1 = (t * t).mean()
    f2 = c * t.abs().mean()
    g1 = torch.autograd.grad(f1, params, retain_graph=True)
    g2 = torch.autograd.grad(f2, params)
    return [[g.detach() for g in g1], [g.detach() for g in g2]], (f1.item(), f2.item())


def train(
    step: Callable,
    c: float,
    *,
    steps: int,
    batch_size: int,
    lr: float,
    seed: int = 0,
    every: int = 1,
    ab=PAPER_AB,
) -> dict:
    """Run ``step(params, grads, lr)`` for ``steps`` batches from w = 0; curves every ``every``
    steps.

    Curves: ``param_err`` = ||(w1, w2) - (a, b)||, ``l2`` (the anchor's loss), ``update`` (size of
    the parameter change of that step), and ``W`` (the parameters, for exact comparisons).
    """
    gen = torch.Generator().manual_seed(seed)
    params = init_params()
    target = torch.tensor(ab, dtype=DTYPE)
    curves = {k: [] for k in ("step", "param_err", "l2", "update")}
    trajectory = []
    for k in range(1, steps + 1):
        x = torch.randn(batch_size, generator=gen, dtype=DTYPE)
        grads, (l2, _) = term_grads(params, x, c, ab)
        before = torch.stack([p.detach().clone() for p in params])
        with torch.no_grad():
            step(params, grads, lr)
        now = torch.stack([p.detach() for p in params])
        trajectory.append(now.clone())
        if k % every == 0 or k == 1:
            curves["step"].append(k)
            curves["param_err"].append(float((now - target).norm()))
            curves["l2"].append(l2)
            curves["update"].append(float((now - before).norm()))
    return dict(curves=curves, trajectory=torch.stack(trajectory))


def recorded_run(
    name: str,
    make_step: Callable[[], Callable],
    c: float,
    cfg: dict | None = None,
    profile: str | None = None,
    seed: int = 0,
) -> dict:
    """``train`` one variant (``make_step()`` builds a fresh step function) and save its record.

    The runs are cheap, so they are always recomputed (the chapter compares trajectories exactly);
    the record is rewritten only when it is missing or its config or metrics differ.
    Returns the record (metrics: final parameter error and L2 loss, medians over the last ``tail``
    steps) with the float64 ``trajectory`` of the run added (not saved).
    """
    profile = profile or get_profile()
    cfg = dict(cfg or config(profile))
    run_cfg = dict(
        cfg,
        variant=name,
        c=c,
        a=PAPER_AB[0],
        b=PAPER_AB[1],
        terms="L2 (anchor), c * L1",
        layers="w1 (x), w2 (x^2)",
        dtype="float64",
    )
    t0 = time.time()
    out = train(
        make_step(),
        c,
        steps=cfg["steps"],
        batch_size=cfg["batch_size"],
        lr=cfg["lr"],
        seed=seed,
        every=cfg["every"],
    )
    tail = max(1, cfg["tail"] // cfg["every"])
    curves = out["curves"]
    metrics = dict(
        final_param_err=tail_median(curves["param_err"], tail),
        final_l2=tail_median(curves["l2"], tail),
        final_update=tail_median(curves["update"], tail),
    )
    method = f"{name}-c{c:g}"
    rec = matching_record(EXPERIMENT, method, seed, run_cfg, profile)
    # a new run, or the code now computes something else: (re)write the record
    if rec is None or rec["metrics"] != normalize(metrics):
        path = save_record(
            EXPERIMENT,
            method,
            config=run_cfg,
            seed=seed,
            metrics=metrics,
            curves=curves,
            wall_time=time.time() - t0,
            profile=profile,
        )
        rec = load_record(path)
    rec["trajectory"] = out["trajectory"]
    return rec


def save_comparison(name: str, metrics: dict, config: dict, profile: str | None = None) -> None:
    """Record a number the chapter derives from several runs (e.g. a maximum trajectory
    difference)."""
    profile = profile or get_profile()
    rec = matching_record(EXPERIMENT, name, 0, config, profile)
    if rec is None or rec["metrics"] != normalize(metrics):
        save_record(
            EXPERIMENT, name, config=config, seed=0, metrics=metrics, wall_time=0.0, profile=profile
        )


def log10(x: float) -> float:
    return math.log10(x) if x > 0 else float("-inf")
