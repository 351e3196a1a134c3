"""Table 7's claims (ablation of Algorithm 1), judged from the records of the chapters' runners.

The paper (Sec. 5.5): "the per-layer analysis is crucial", "the anchor helps", "max" beats the other
denominators: every ablated variant ends worse than the full method. One claim per task of Table 7
(facades, horse2zebra, BERT), each judged on the task's first metric (facades: test L1;
horse2zebra: test L1 of A -> B; BERT: accuracy) with :func:`mtbook.core.claims.judge_baselines`:

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


def all_worse(cell: str):
    """Evaluate "every ablated variant is worse than the full method" on ``cell``'s first metric."""
    metric, dec, direction = CELLS[cell]["metrics"][0]

    def evaluate(profile: str) -> Result | None:
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
        evaluate=None,  # the BERT chapter's runner has no ablation variants yet
    ),
]
