"""Table 7's claims (ablation of Algorithm 1), judged from the records of the chapters' runners.

The paper (Sec. 5.5): "the per-layer analysis is crucial", "the anchor helps", "max" beats the other
denominators: every ablated variant ends worse than the full method. One claim per task of Table 7
(facades, horse2zebra, BERT), each judged on the task's first metric (facades: test L1;
horse2zebra: test L1 of A -> B; BERT: dev accuracy on MRPC and on RTE, the verdict of the two the
weaker one) with :func:`mtbook.core.claims.judge_baselines`:

* **reproduces**: every ablated variant is worse than the full method by more than 2 SD of the
  difference (Welch), with n >= 3 runs in every row;
* **partly**: all worse with n < 3, or some of them worse;
* **does not**: none of them worse;
* **not run yet**: some variant (or the full method) has no record at that profile; the reason
  names the variants missing.

The paper's numbers come from :data:`.spec.PAPER_TABLE7` (single runs).
"""

from __future__ import annotations

from ...core.ablation import ABLATIONS, SHORT
from ...core.claims import Claim, Result, judge_baselines
from ...core.report import fmt_mean_sd
from .plots import cell_records, values
from .spec import CELLS, PAPER_TABLE7

CHAPTER = "notebooks/07_ablation"


def _span(task: str, metric: str) -> str:
    """``"full 46.5, ablations 46.7–53.45"``: one column of Table 7."""
    ablated = [row[task][metric] for key, row in PAPER_TABLE7.items() if key != "full"]
    return f"full {PAPER_TABLE7['full'][task][metric]}, ablations {min(ablated)}–{max(ablated)}"


def _judge_cell(cell: str, profile: str) -> Result | None:
    """ "Every ablated variant is worse than the full method" on ``cell``'s first metric."""
    metric, dec, direction = CELLS[cell]["metrics"][0]
    by = cell_records(cell, profile)
    if not any(by.values()):
        return None
    vals = {v: values(rs, metric) for v, rs in by.items()}
    missing = [SHORT[v] for v, x in vals.items() if not x]
    records = [r for rs in by.values() for r in rs]
    ours = f"{metric}: " + ", ".join(
        f"{SHORT[v]} {fmt_mean_sd(x, dec)}" for v, x in vals.items() if x
    )
    if missing:
        n = min([len(x) for x in vals.values() if x] or [0])
        res = Result(ours, n, "not run yet", f"no records of {', '.join(missing)}")
    else:
        baselines = {SHORT[v]: vals[v] for v in ABLATIONS}
        verdict, reason = judge_baselines(vals["full"], baselines, direction, "full MTAdam")
        res = Result(ours, min(map(len, vals.values())), verdict, reason)
    res.records = records
    return res


# From the weakest verdict to the strongest: a claim over several cells gets its weakest cell's.
_ORDER = ("not run yet", "does not", "partly", "reproduces")


def all_worse(*cells: str):
    """Evaluate "every ablated variant is worse than the full method" on each cell's first metric;
    with several cells (BERT: MRPC and RTE) the claim holds as far as its weakest cell does."""

    def evaluate(profile: str) -> Result | None:
        results = {c: _judge_cell(c, profile) for c in cells}
        if all(r is None for r in results.values()):
            return None
        if len(cells) == 1:
            return results[cells[0]]
        missing = [c for c, r in results.items() if r is None]
        if missing:
            done = [r for r in results.values() if r is not None]
            res = Result(
                "; ".join(f"{c}: {r.ours}" for c, r in results.items() if r is not None),
                min(r.seeds for r in done),
                "not run yet",
                f"no records of {', '.join(missing)}",
            )
            res.records = [x for r in done for x in r.records]
            return res
        verdict = min((r.verdict for r in results.values()), key=_ORDER.index)
        res = Result(
            "; ".join(f"{c} {r.ours}" for c, r in results.items()),
            min(r.seeds for r in results.values()),
            verdict,
            "; ".join(f"{c} ({r.verdict}): {r.reason}" for c, r in results.items()),
        )
        res.records = [x for r in results.values() for x in r.records]
        return res

    return evaluate


_CLAIM = (
    "each part of Algorithm 1 matters: without the per-layer normalisation (i, ii), the anchor "
    "(iii) or the max in line 14 (iv, v), MTAdam ends worse"
)

CLAIMS = [
    Claim(
        id="table7-facades",
        chapter=CHAPTER,
        label="ablation-table7",
        claim=f"Table 7 (pix2pix facades): {_CLAIM}",
        paper=f"facades L1: {_span('facades', 'L1')}",
        evaluate=all_worse("facades"),
    ),
    Claim(
        id="table7-horse2zebra",
        chapter=CHAPTER,
        label="ablation-table7",
        claim=f"Table 7 (CycleGAN horse2zebra): {_CLAIM}",
        paper=f"horse2zebra L1-A: {_span('horse2zebra', 'L1-A')}, "
        f"FID-A: {_span('horse2zebra', 'FID-A')}",
        evaluate=all_worse("horse2zebra"),
    ),
    Claim(
        id="table7-bert",
        chapter=CHAPTER,
        label="ablation-table7",
        claim=f"Table 7 (BERT, MRPC and RTE): {_CLAIM}",
        paper=f"MRPC acc.: {_span('MRPC', 'Acc')}; RTE acc.: {_span('RTE', 'Acc')}",
        evaluate=all_worse("MRPC", "RTE"),
    ),
]
