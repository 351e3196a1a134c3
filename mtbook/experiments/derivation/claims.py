"""Chapter 2's claims about Algorithm 1, judged from what it records (``bench.save_comparison``).

* **Invariance to the terms' weights** (record ``invariance``): the chapter trains the finished
  module on the bench's two terms weighted (1, 1) and (1000, 1e-3), with eps = 0, and records the
  largest relative difference of the two trajectories for each start of the running norms
  (``max_rel_diff_first``: the authors' code's first-norm start, the module's default;
  ``max_rel_diff_one``: n = 1, Algorithm 1 as printed). **reproduces**: ``max_rel_diff_first``
  < 1e-9 (the chapter's threshold); **does not** otherwise.
* **The module computes the derivation** (record ``module-vs-chapter``): ``mtadam.MTAdam`` against
  the chapter's own step function (per-layer normalisation to the anchor, max denominator), same
  bench and batches, largest absolute parameter difference over the run. **reproduces**: < 1e-12;
  **does not** otherwise.

Both are exact comparisons of deterministic float64 runs, not differences of noisy means over
seeds, so one run decides them (the n < 3 rule of the other chapters is about differences of means).
"""

from __future__ import annotations

from ...core.claims import Claim, Result
from ...core.records import load_records
from .bench import EXPERIMENT

CHAPTER = "notebooks/02_derivation"
INVARIANCE_TOL = 1e-9  # relative trajectory difference counted as "identical"
MODULE_TOL = 1e-12  # absolute parameter difference counted as "the same computation"


def _record(name: str, profile: str):
    """(the record or None, whether the profile has any derivation records)."""
    recs = load_records(EXPERIMENT, profile)
    return next((r for r in recs if r["method"] == name), None), bool(recs)


def _result(ours, verdict, reason, rec) -> Result:
    res = Result(ours=ours, seeds=1, verdict=verdict, reason=reason)
    res.records = [rec]  # the scoreboard shows its commit and any uncommitted-code override
    return res


def invariance(profile: str) -> Result | None:
    rec, any_recs = _record("invariance", profile)
    if rec is None:
        return Result("—", 0, "not run yet", "no `invariance` record") if any_recs else None
    first = rec["metrics"]["max_rel_diff_first"]
    one = rec["metrics"].get("max_rel_diff_one")
    ours = f"max. relative trajectory difference {first:.0e} (first-norm start)"
    if one is not None:
        ours += f", {one:.0e} (n = 1 start)"
    weights = rec["config"].get("weights", "two weightings")
    if first >= INVARIANCE_TOL:
        why = f"{weights}: trajectories differ by {first:.1e} >= {INVARIANCE_TOL:g}"
        return _result(ours, "does not", why, rec)
    why = f"{weights}: identical to < {INVARIANCE_TOL:g} with the first-norm start"
    if one is not None and one >= INVARIANCE_TOL:
        why += "; not with Alg. 1's n = 1 start"
    return _result(ours, "reproduces", why, rec)


def module_matches(profile: str) -> Result | None:
    rec, any_recs = _record("module-vs-chapter", profile)
    if rec is None:
        return Result("—", 0, "not run yet", "no `module-vs-chapter` record") if any_recs else None
    d = rec["metrics"]["max_abs_diff"]
    steps = rec["config"].get("steps", "?")
    ours = f"max. absolute parameter difference {d:.0e} over {steps} steps"
    if d < MODULE_TOL:
        return _result(ours, "reproduces", f"same trajectory to < {MODULE_TOL:g}", rec)
    return _result(ours, "does not", f"trajectories differ by {d:.1e} >= {MODULE_TOL:g}", rec)


CLAIMS = [
    Claim(
        id="derivation-invariance",
        chapter=CHAPTER,
        label="derivation-invariance",
        claim="Alg. 1: MTAdam does not depend on the terms' weights (exactly, when the running "
        "norms start at the first norm, as in the authors' code)",
        paper="no number: Alg. 1, line 8 rescales every term to the anchor's magnitude "
        '("fast recovery from suboptimal initial loss weighting")',
        evaluate=invariance,
    ),
    Claim(
        id="derivation-module",
        chapter=CHAPTER,
        label="derivation-module",
        claim="Alg. 1: the module `mtadam.MTAdam` computes Algorithm 1 as the chapter derives it",
        paper="Algorithm 1 (no number)",
        evaluate=module_matches,
    ),
]
