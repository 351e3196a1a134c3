"""Chapter 10 compares MTAdam with methods the paper does not run, so none of its rows tests a
claim of the paper: the scoreboard has nothing from this chapter (its verdict is the chapter's
own, in its closing section)."""

from __future__ import annotations

CHAPTER = "notebooks/10_balancers"
CLAIMS: list = []
