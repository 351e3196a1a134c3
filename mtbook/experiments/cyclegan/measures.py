"""The measures of an unpaired task, per side, on a split of (horses, zebras).

horse2zebra is unpaired: a translated horse has no true zebra to compare with. Per side
(A: horse -> zebra, the translation ``G_A(a)``; B: zebra -> horse, ``G_B(b)``), all in 0-255 units
on 8-bit images (:mod:`mtbook.core.metrics`):

* ``L1-A, L2-A, NMSE-A`` -- the paper's columns as we reconstruct them: the translation of test
  horse ``i`` against test zebra ``i`` (sorted file names; zebra ``i mod |B|``), the partner
  CycleGAN's unaligned test loader gives it; NMSE normalised by those zebras' energy. An unrelated
  real image of the target domain, so this measures only how close the output's pixel statistics are
  to the target domain's. (An identity mapping scores 74.1 / 8444 / 0.493 on side A at 256 px, the
  paper's Adam-suboptimal row to within 0.3 / 0.3% / 0.0002: see the chapter.) Side B likewise,
  zebra ``j`` against horse ``j mod |A|``.
* ``FID-A`` -- FID of the translated horses against the real test zebras (``FID-B`` likewise);
  ``None`` with the reason where the Inception weights are not available.
* ``moved-A`` -- mean |G_A(a) - a|: how far the translation is from its input; 0 for the identity
  mapping (the paper's claim is that Adam with lambda2 = 1000 collapses to it).
* ``idt-A`` -- mean |G_A(b) - b|: how far the horse -> zebra generator moves a *zebra* (the identity
  term idt_A, in pixels), which it should leave alone. A generator that only blurs moves both
  domains; one that translates moves horses more than zebras (how much more a blur moves one domain
  than the other depends on the images, so compare rows, not against 0).
* ``cycle-A`` -- mean |G_B(G_A(a)) - a|, the cycle reconstruction error (term cycle_A, in pixels).
"""

from __future__ import annotations

import numpy as np
import torch

from ... import gan
from ...core.metrics import fid as fid_score
from ...core.metrics import fid_status, pixel_metrics, to_uint8


def _l1(x: np.ndarray, y: np.ndarray) -> float:
    return float(np.abs(x.astype(np.float64) - y.astype(np.float64)).mean())


def side_metrics(
    inputs: torch.Tensor,
    fakes: torch.Tensor,
    recs: torch.Tensor,
    others: torch.Tensor,
    idts: torch.Tensor,
    fid: bool = False,
) -> dict:
    """One side's metrics (module docstring): ``fakes`` = translations of ``inputs``, ``recs`` their
    reconstructions, ``others`` = the real images of the target domain (paired by index,
    cyclically), ``idts`` = the same generator applied to ``others``."""
    u_in, u_fake, u_others = to_uint8(inputs), to_uint8(fakes), to_uint8(others)
    pm = pixel_metrics(u_fake, u_others[np.arange(len(u_in)) % len(others)])
    out = dict(
        L1=pm["L1"],
        L2=pm["L2"],
        NMSE=pm["NMSE"],
        moved=_l1(u_fake, u_in),
        idt=_l1(to_uint8(idts), u_others),
        cycle=_l1(to_uint8(recs), u_in),
    )
    if fid:
        ok, reason = fid_status()
        if ok:
            try:
                out["FID"] = fid_score(fakes, others)
            except Exception as e:  # a failed download etc.: report, never invent a number
                out["FID"], out["FID_note"] = None, f"FID failed: {type(e).__name__}: {e}"
        else:
            out["FID"], out["FID_note"] = None, reason
    return out


@torch.no_grad()
def translate(models: dict, a: torch.Tensor, b: torch.Tensor, batch_size: int = 16) -> dict:
    """``fake_B = G_A(a), rec_A = G_B(fake_B), fake_A = G_B(b), rec_B = G_A(fake_A)``,
    ``idt_A = G_A(b)``, ``idt_B = G_B(a)`` on the CPU.
    (Instance norm without running statistics and no dropout: train and eval mode are the same.)"""
    fake_B = gan.predict(models["G_A"], a, batch_size)
    fake_A = gan.predict(models["G_B"], b, batch_size)
    return dict(
        fake_B=fake_B,
        rec_A=gan.predict(models["G_B"], fake_B, batch_size),
        fake_A=fake_A,
        rec_B=gan.predict(models["G_A"], fake_A, batch_size),
        idt_A=gan.predict(models["G_A"], b, batch_size),
        idt_B=gan.predict(models["G_B"], a, batch_size),
    )


def evaluate_split(models: dict, split: tuple, fid: bool = False, batch_size: int = 16) -> dict:
    """``{"L1-A", ..., "moved-A", "cycle-A", "L1-B", ...}`` of one split ``(horses, zebras)``."""
    a, b = split
    t = translate(models, a, b, batch_size)
    out = {}
    for side, (x, fake, rec, other, idt) in {
        "A": (a, t["fake_B"], t["rec_A"], b, t["idt_A"]),
        "B": (b, t["fake_A"], t["rec_B"], a, t["idt_B"]),
    }.items():
        out.update(
            {f"{k}-{side}": v for k, v in side_metrics(x, fake, rec, other, idt, fid).items()}
        )
    return out


def identity_metrics(split: tuple) -> dict:
    """The metrics of the identity mapping (output = input): a reference row, from the data."""
    a, b = split
    out = {}
    for side, (x, other) in {"A": (a, b), "B": (b, a)}.items():
        m = side_metrics(x, x, x, other, other)
        out.update({f"{k}-{side}": v for k, v in m.items()})
    return out
