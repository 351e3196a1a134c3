"""Chapter 2's badly scaled toy for every method: two terms, two "layers", float64.

The bench is chapter 2's (rebuilt here from :mod:`mtbook.core.polynomial`): the coefficients w1 (of
x) and w2 (of x^2) learn ``f(x) = a x + b x^2`` from ``f^1 = mean t^2`` (L2, the anchor) and
``f^2 = c mean |t|`` (L1 weighted by c), ``t = w1 x + w2 x^2 - f(x)``, batches ``x ~ N(0, 1)``,
every run from w = 0. ``c = 1`` is the sane weighting, ``c = 1000`` the badly scaled one.

Every method sees the same batches. Each record keeps the parameters every ``every`` steps (``W``,
for the invariance comparison: the same seed at c = 1 and c = 1000) and the coefficients ``coef``
each method gave the two weighted terms (MTAdam: its effective weights averaged over the two
layers; Adam: 1 and 1).
"""

from __future__ import annotations

import time

import torch

from ...core.balancers import make_balanced
from ...core.optim import make_optimizer
from ...core.polynomial import PAPER_AB, residual
from ...core.profiles import get_profile
from ...core.records import load_record, save_record
from ...core.report import tail_median
from ...core.runs import matching_record
from .spec import C_VALUES, EXPERIMENT, TOY_METHODS, config, toy_method

DTYPE = torch.float64


def toy_terms(params, x: torch.Tensor, c: float, ab=PAPER_AB) -> list[torch.Tensor]:
    """``[f^1, f^2] = [mean t^2, c mean |t|]`` with their graphs."""
    t = residual(torch.stack(list(params)), x, *ab)
    return [(t * t).mean(), c * t.abs().mean()]


def _optimizer(method: str, params, lr: float, dwa_period: int):
    if method in ("adam", "mtadam"):
        return make_optimizer(method, params, lr=lr)
    hp = dict(period=dwa_period) if method == "dwa" else {}
    return make_balanced("adam", params, dict(method=method, **hp), lr=lr)


def train_toy(method: str, c: float, seed: int, cfg: dict) -> dict:
    """One run of ``method`` at weight ``c``; returns ``dict(curves, metrics)``.

    Curves every ``cfg["every"]`` steps: ``step``, ``param_err`` (``||w - (a, b)||``), ``l2`` (the
    anchor's value), ``W`` (the two parameters) and ``coef`` (the coefficients of the two weighted
    terms in that step's update).
    """
    if method not in TOY_METHODS:
        raise ValueError(f"unknown toy method {method!r}; use one of {', '.join(TOY_METHODS)}")
    gen = torch.Generator().manual_seed(seed)
    params = [torch.zeros((), dtype=DTYPE, requires_grad=True) for _ in range(2)]
    opt = _optimizer(method, params, cfg["lr"], cfg["dwa_period"])
    target = torch.tensor(PAPER_AB, dtype=DTYPE)
    curves = {k: [] for k in ("step", "param_err", "l2", "W", "coef")}
    for k in range(1, cfg["steps"] + 1):
        x = torch.randn(cfg["batch_size"], generator=gen, dtype=DTYPE)
        terms = toy_terms(params, x, c)
        if method == "adam":
            opt.zero_grad(set_to_none=True)
            sum(terms).backward()
            opt.step()
            coef = [1.0, 1.0]
        elif method == "mtadam":
            grads = [list(torch.autograd.grad(f, params, retain_graph=True)) for f in terms]
            opt.step(grads=grads)
            coef = torch.nanmean(opt.effective_weights(), dim=1).tolist()
        else:
            opt.step(terms, closure=lambda x=x: toy_terms(params, x, c))
            coef = opt.effective_weights()[:, 0].tolist()
        if k % cfg["every"] == 0 or k == 1:
            W = torch.stack([p.detach() for p in params])
            curves["step"].append(k)
            curves["param_err"].append(float((W - target).norm()))
            curves["l2"].append(float(terms[0].detach()))
            curves["W"].append(W.tolist())
            curves["coef"].append([float(v) for v in coef])
    tail = max(1, cfg["tail"] // cfg["every"])
    metrics = dict(
        final_param_err=tail_median(curves["param_err"], tail),
        final_l2=tail_median(curves["l2"], tail),
    )
    return dict(curves=curves, metrics=metrics)


def run_config(method: str, c: float, cfg: dict) -> dict:
    """A toy record's config: the profile's settings, the method and the weight."""
    return dict(
        {k: v for k, v in cfg.items() if k != "seeds"},
        method=method,
        c=c,
        a=PAPER_AB[0],
        b=PAPER_AB[1],
        terms="L2 (anchor), c * L1",
        dtype="float64",
    )


def run_toy(
    profile: str | None = None,
    methods=TOY_METHODS,
    c_values=C_VALUES,
    seeds=None,
    train: bool = True,
    progress: bool = True,
) -> dict:
    """``{(method, c, seed): record}``: stored records whose config matches are reused; missing
    ones are run (seconds each) and saved, unless ``train=False`` (then they are left out)."""
    from tqdm import tqdm

    profile = profile or get_profile()
    cfg = config(profile)
    seeds = cfg["seeds"] if seeds is None else list(seeds)
    jobs = [(m, c, s) for s in seeds for c in c_values for m in methods]
    out = {}
    for m, c, s in tqdm(jobs, desc="balancers on the toy", disable=not progress, mininterval=2):
        name, rc = toy_method(m, c), run_config(m, c, cfg)
        rec = matching_record(EXPERIMENT, name, s, rc, profile)
        if rec is None and train:
            t0 = time.time()
            res = train_toy(m, c, s, cfg)
            path = save_record(
                EXPERIMENT,
                name,
                config=rc,
                seed=s,
                metrics=res["metrics"],
                curves=res["curves"],
                wall_time=time.time() - t0,
                profile=profile,
            )
            rec = load_record(path)
        if rec is not None:
            out[(m, c, s)] = rec
    return out


def invariance(records: dict, method: str, seed: int, c_values=C_VALUES) -> float | None:
    """``max_k ||W_k(c=1) - W_k(c=1000)|| / ||(a, b)||`` over the logged steps: how far multiplying
    the L1 term by 1000 moves the trajectory (0: the method is invariant to that weight)."""
    a, b = (records.get((method, c, seed)) for c in c_values)
    if a is None or b is None:
        return None
    Wa = torch.tensor(a["curves"]["W"], dtype=DTYPE)
    Wb = torch.tensor(b["curves"]["W"], dtype=DTYPE)
    return float((Wa - Wb).norm(dim=1).max() / torch.tensor(PAPER_AB, dtype=DTYPE).norm())
