"""Table 7 (ablation of Algorithm 1): the scoreboard's row for chapter 7, not run yet.

The chapter is planned; until it records runs the claim has no ``evaluate`` and the scoreboard says
"not run yet". The paper's numbers come from :mod:`.spec`.
"""

from __future__ import annotations

from ...core.claims import Claim
from .spec import PAPER_TABLE7

CHAPTER = "notebooks/07_ablation"


def _span(task: str, metric: str) -> str:
    """``"full 46.5, ablations 46.7–53.45"``: one column of Table 7."""
    ablated = [row[task][metric] for key, row in PAPER_TABLE7.items() if key != "full"]
    return f"full {PAPER_TABLE7['full'][task][metric]}, ablations {min(ablated)}–{max(ablated)}"


CLAIMS = [
    Claim(
        id="table7-ablation",
        chapter=CHAPTER,
        label="",
        claim="Table 7: each part of Algorithm 1 matters: removing the per-layer normalisation, "
        "the anchor or the max in line 14 makes MTAdam worse",
        paper=f"MRPC acc.: {_span('MRPC', 'Acc')}; facades L1: {_span('facades', 'L1')}; "
        f"horse2zebra FID-A: {_span('horse2zebra', 'FID-A')}",
    ),
]
