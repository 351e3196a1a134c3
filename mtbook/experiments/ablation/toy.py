"""Table 7's variants on chapter 2's badly scaled toy (two terms, two "layers", float64).

The bench is chapter 2's (:mod:`mtbook.experiments.derivation`): ``f^1 = mean t^2`` (L2, the
anchor) and ``f^2 = c mean |t|`` (L1 weighted by c) on the coefficients w1 (of x) and w2 (of x^2).
Each variant is :class:`mtadam.MTAdam` with its switch (:func:`mtbook.core.ablation.module_step`),
driven by chapter 2's ``recorded_run``, which the caller passes in (an experiment never imports
another): the records live with chapter 2's, under ``results/<profile>/derivation/``, named
``ablation-<variant>-c<c>``, and their config holds the switches (``mtadam``).
"""

from __future__ import annotations

from typing import Callable

from ...core.ablation import VARIANTS, module_step, switches

C_VALUES = (1.0, 1000.0)  # chapter 2's weights of the L1 term
SEEDS = (0, 1, 2)  # batch draws; the bench starts every run at w = 0
TOY_EXPERIMENT = "derivation"  # chapter 2's records folder


def toy_method(variant: str, c: float) -> str:
    """The record name of ``variant`` at weight ``c`` (``recorded_run`` appends ``-c<c>``)."""
    switches(variant)  # validates
    return f"ablation-{variant}-c{c:g}"


def toy_config(base: dict, variant: str) -> dict:
    """Chapter 2's config of a profile with the optimizer and its switches added."""
    return dict(base, optimizer="mtadam.MTAdam", mtadam=switches(variant))


def run_toy(
    recorded_run: Callable,
    base_config: dict,
    profile: str,
    seeds=SEEDS,
    c_values=C_VALUES,
    variants=tuple(VARIANTS),
    progress: bool = True,
) -> dict:
    """``{(variant, c, seed): record}`` of every run, each recomputed (seconds) and saved.

    ``recorded_run`` and ``base_config``: chapter 2's ``derivation.recorded_run`` and
    ``derivation.config(profile)``. Each record also carries, unsaved, ``weights`` and
    ``magnitudes`` per step (``[step][term][layer]``, see ``module_step``).
    """
    from tqdm import tqdm

    jobs = [(v, c, s) for s in seeds for c in c_values for v in variants]
    out = {}
    for v, c, s in tqdm(jobs, desc="ablation on the toy", disable=not progress, mininterval=2):
        made: dict = {}

        def make(v=v, made=made):
            made["step"] = module_step(**switches(v))
            return made["step"]

        rec = recorded_run(
            f"ablation-{v}", make, c, cfg=toy_config(base_config, v), profile=profile, seed=s
        )
        rec["weights"] = made["step"].holder["weights"]
        rec["magnitudes"] = made["step"].holder["magnitudes"]
        out[(v, c, s)] = rec
    return out
