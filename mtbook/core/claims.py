"""The paper's claims and how our records bear on them: the data of the book's scoreboard.

Every experiment package has a ``claims.py`` with a list ``CLAIMS`` of :class:`Claim`: one per claim
of the paper that the chapter tests (each table, each figure's claim). A claim knows where the
chapter shows its evidence (``chapter`` = the notebook's docname, ``label`` = a MyST target
``(label)=`` in that chapter), the paper's headline number (from the experiment's ``spec``, never
retyped), and how to judge it from the records: ``evaluate(profile) -> Result | None`` (None: no
records at that profile). The scoreboard page (``scripts/summarize_results.py``) collects them all.

The verdict rules the chapters share are here too, so that every chapter judges alike. ``n`` = runs
per row, M = MTAdam, T = the row it should match (target), W = the row it should beat (worse);
``direction`` is ``"higher"`` (accuracy, PSNR) or ``"lower"`` (errors, FID): which way is better.

* :func:`measure_recovery` + :func:`recovery_verdict` -- "M close to T and better than W":
  *close*: M is not worse than T by more than max(1 :func:`pooled_sd` of M and T,
  :data:`CLOSE_FRACTION` of the gap between T and W); *better*: M beats W by more than
  :data:`SIGNIFICANT` SD of the difference (Welch).
* :func:`judge_baselines` -- "every baseline worse than the reference by > 2 SD of the difference".
* Both: **reproduces** when it holds with n >= :data:`MIN_SEEDS`; **partly** when it holds with
  fewer runs ("n < 3: ..."), or holds only in part; **does not** otherwise (for
  :func:`judge_baselines` only with n >= :data:`MIN_SEEDS`: fewer runs cannot show that a
  difference is absent, so that is **partly**, "too few runs to judge").
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

from .report import diff_mean_sd, mean_sd

VERDICTS = ("reproduces", "partly", "does not", "not run yet", "cannot run offline")


@dataclass
class Result:
    """What our records say about a claim at one profile."""

    ours: str  # our headline number(s), e.g. "97.0 ± 0.4 (n=5)"
    seeds: int  # runs per row behind it
    verdict: str  # one of VERDICTS
    reason: str  # one line: why that verdict
    records: list = field(default_factory=list, repr=False)  # the records it rests on (provenance)

    def __post_init__(self):
        if self.verdict not in VERDICTS:
            raise ValueError(f"verdict {self.verdict!r} is not one of {', '.join(VERDICTS)}")


@dataclass
class Claim:
    id: str  # unique, e.g. "table1-mtadam"
    chapter: str  # docname of the chapter, e.g. "notebooks/03_mnist"
    label: str  # MyST target in that chapter where the evidence is
    claim: str  # the paper's claim in one line
    paper: str  # the paper's headline number(s)
    evaluate: Callable[[str], "Result | None"] | None = (
        None  # None: nothing of ours can test it yet
    )
    offline_blocker: str | None = None  # set when the claim cannot be tested offline (e.g. FID)

    def result(self, profile: str) -> Result | None:
        return self.evaluate(profile) if self.evaluate is not None else None


# --------------------------------------------------------------------------- shared verdict rules

MIN_SEEDS = 3  # fewer runs per row: never "reproduces" about a difference
SIGNIFICANT = 2.0  # "better" / "worse": by more than this many SD of the difference
CLOSE_FRACTION = 0.1  # "close": within 1 pooled SD, or within this fraction of the gap
DIRECTIONS = {"higher": 1.0, "lower": -1.0}


def _sign(direction: str) -> float:
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be 'higher' or 'lower' (is better), got {direction!r}")
    return DIRECTIONS[direction]


def pooled_sd(a, b) -> float:
    """sqrt((sd_a² + sd_b²) / 2), the sample SDs of ``a`` and ``b``."""
    return math.sqrt((mean_sd(a)[1] ** 2 + mean_sd(b)[1] ** 2) / 2)


def with_n(ok: bool, n: int, reason: str) -> tuple[str, str]:
    """``("reproduces", reason)`` if ``ok`` with ``n >= MIN_SEEDS``; ``("partly", "n < 3: ...")``
    if ``ok`` with fewer; ``("", reason)`` if not ``ok`` (the caller decides)."""
    if ok:
        return ("partly", "n < 3: " + reason) if n < MIN_SEEDS else ("reproduces", reason)
    return "", reason


@dataclass
class Recovery:
    """The numbers behind "M close to T and better than W" (see :func:`measure_recovery`)."""

    close: bool
    better: bool
    slack: float  # the "close" limit
    gap: float  # mean(M) - mean(T)
    diff: float  # mean(M) - mean(W)
    diff_sd: float  # its SD (Welch)
    n: int  # the fewest runs of the three rows


def measure_recovery(m, target, worse, direction: str) -> Recovery:
    """Is ``m`` close to ``target`` and better than ``worse``? (``direction``: which is better)"""
    sign = _sign(direction)
    slack = max(
        pooled_sd(m, target), CLOSE_FRACTION * sign * (mean_sd(target)[0] - mean_sd(worse)[0])
    )
    mm, mt = mean_sd(m)[0], mean_sd(target)[0]
    d, sd = diff_mean_sd(*((m, worse) if sign > 0 else (worse, m)))  # > 0: M is better
    return Recovery(
        close=mm >= mt - slack if sign > 0 else mm <= mt + slack,
        better=d > SIGNIFICANT * sd,
        slack=slack,
        gap=mm - mt,
        diff=sign * d,
        diff_sd=sd,
        n=min(len(m), len(target), len(worse)),
    )


def recovery_verdict(r: Recovery, reason: str) -> tuple[str, str]:
    """(verdict, reason): reproduces / partly (n < 3, or close or better only) / does not."""
    verdict, reason = with_n(r.close and r.better, r.n, reason)
    return verdict or ("partly" if r.close or r.better else "does not"), reason


def judge_baselines(reference, baselines: dict, direction: str, versus: str) -> tuple[str, str]:
    """(verdict, reason) of "every baseline worse than ``reference`` by > 2 SD of the difference".

    ``baselines``: ``{short name: values}``; the reason lists each baseline's mean minus the
    reference's, ± the SD of that difference, after ``"vs <versus>: "``."""
    sign = _sign(direction)
    worse, parts = [], []
    for name, values in baselines.items():
        pair = (reference, values) if sign > 0 else (values, reference)
        d, sd = diff_mean_sd(*pair)  # > 0: the reference is better
        worse.append(d > SIGNIFICANT * sd)
        shown = -sign * d  # the baseline's mean minus the reference's
        parts.append(f"{name} {shown:+.2f} ± {sd:.2f}{'' if worse[-1] else ' (not significant)'}")
    n = min([len(reference)] + [len(v) for v in baselines.values()])
    verdict, reason = with_n(all(worse), n, f"vs {versus}: " + ", ".join(parts))
    if not verdict and n < MIN_SEEDS:  # too few runs to say the differences are not there
        return "partly", f"n < {MIN_SEEDS}, too few runs to judge: " + reason
    return verdict or ("partly" if any(worse) else "does not"), reason
