"""Table 6 and Fig. 2's claims (SRGAN): the scoreboard's rows for chapter 5, not run yet.

Until the chapter records runs these claims have no ``evaluate`` and the scoreboard says "not run
yet". The paper's numbers come from :mod:`.spec`.
"""

from __future__ import annotations

from ...core.claims import Claim
from .spec import PAPER_TABLE6

CHAPTER = "notebooks/05_srgan"


def _row(method: str, test_set: str = "Set14") -> str:
    row = PAPER_TABLE6[test_set][method]
    return f"{row['PSNR']} / {row['SSIM']}"


CLAIMS = [
    Claim(
        id="table6-srgan",
        chapter=CHAPTER,
        label="",
        claim="Table 6: SRGAN with equal weights (λ2 = λ3 = 1): MTAdam recovers the prescribed "
        "weights' PSNR and SSIM, while SGD-momentum, RMSProp and Adam degrade",
        paper=f"Set14 PSNR / SSIM: MTAdam {_row('mtadam_equal')}, Adam-prescribed "
        f"{_row('adam_prescribed')}, Adam-equal {_row('adam_equal')}",
    ),
    Claim(
        id="fig2-srgan-two-terms",
        chapter=CHAPTER,
        label="",
        claim="Sec. 3, Fig. 2: a term weighted ~100x too high spoils SRGAN's SSIM; rescaling its "
        "gradient to a balanced term's magnitude fixes it",
        paper="curves only (no numbers printed)",
    ),
]
