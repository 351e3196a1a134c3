"""The paper's claims and how our records bear on them: the data of the book's scoreboard.

Every experiment package has a ``claims.py`` with a list ``CLAIMS`` of :class:`Claim`: one per claim
of the paper that the chapter tests (each table, each figure's claim). A claim knows where the
chapter shows its evidence (``chapter`` = the notebook's docname, ``label`` = a MyST target
``(label)=`` in that chapter), the paper's headline number (from the experiment's ``spec``, never
retyped), and how to judge it from the records: ``evaluate(profile) -> Result | None`` (None: no
records at that profile). The scoreboard page (``scripts/summarize_results.py``) collects them all.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

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
