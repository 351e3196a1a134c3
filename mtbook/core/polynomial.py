"""The polynomial of the paper's Sec. 3, shared by chapter 1 (the toy) and chapter 2 (the
derivation).

A two-parameter linear model ``(x, x^2) . W`` learns ``f(x) = a x + b x^2`` from ``x ~ N(0, 1)``;
the paper's values are ``a = 1.52, b = -0.29``.
"""

from __future__ import annotations

import torch

PAPER_AB = (1.52, -0.29)  # the values of Sec. 3


def features(x: torch.Tensor) -> torch.Tensor:
    """The model's inputs (x, x^2), shape [B, 2]."""
    return torch.stack([x, x * x], dim=1)


def residual(W: torch.Tensor, x: torch.Tensor, a: float, b: float) -> torch.Tensor:
    """t = (x, x^2) . W - f(x), f(x) = a x + b x^2."""
    return features(x) @ W - (a * x + b * x * x)
