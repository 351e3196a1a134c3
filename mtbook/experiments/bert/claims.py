"""Tables 2 (BERT) and 3 (RecoBERT): the scoreboard's rows for chapter 8, not run yet.

The chapter is planned; until it records runs these claims have no ``evaluate``, and the scoreboard
says "not run yet" (Table 2) or "cannot run offline" (Table 3: neither the wines catalog nor a
pretrained BERT is in the offline data). The paper's numbers come from :mod:`.spec`.
"""

from __future__ import annotations

from ...core.claims import Claim
from .spec import PAPER_TABLE2, PAPER_TABLE3

CHAPTER = "notebooks/08_bert"
TASKS = ("MRPC", "RTE", "STS-B")
T3_METRICS = ("MPR", "MRR", "HR@10")


def _t2(key: str) -> str:
    return " / ".join(str(PAPER_TABLE2[key][t][0]) for t in TASKS)


def _t3(key: str) -> str:
    return " / ".join(str(PAPER_TABLE3[key][m]) for m in T3_METRICS)


CLAIMS = [
    Claim(
        id="table2-bert",
        chapter=CHAPTER,
        label="",
        claim="Table 2: fine-tuning BERT with the L2 term weighted equally (λ2 = 1), MTAdam "
        "reaches Adam with the prescribed weights, where Adam, RMSProp and SGD-momentum "
        "fail",
        paper=f"{' / '.join(TASKS)}: MTAdam {_t2('mtadam_equal')}, Adam-prescribed "
        f"{_t2('adam_prescribed')}, Adam-equal {_t2('adam_equal')} (mean of 5 runs)",
    ),
    Claim(
        id="table3-recobert",
        chapter=CHAPTER,
        label="",
        claim="Table 3: RecoBERT trained with MTAdam beats every baseline, Hyperband over λ "
        "included",
        paper=f"{' / '.join(T3_METRICS)} (%): MTAdam {_t3('mtadam')}, Hyperband "
        f"{_t3('hyperband')}, Adam-prescribed {_t3('adam_prescribed')}",
        offline_blocker="the wines catalog and a pretrained BERT are not available offline",
    ),
]
