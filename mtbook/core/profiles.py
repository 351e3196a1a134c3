"""Run profiles: one switch that sizes every experiment in the book.

``smoke``  seconds; proves the code path. Its numbers are never reported as results.
``cpu``    minutes on a laptop CPU; small but meaningful (fewer seeds/epochs, smaller images).
``full``   the paper's settings where it gives them, else the original method's; a GPU.

The profile comes from the environment variable ``MTADAM_PROFILE``; without it the default is
``full`` when CUDA is available and ``cpu`` otherwise. CI and the tests force ``smoke``.

Per-experiment settings per profile live in that experiment's module (e.g. ``mtbook.mnist.CONFIG``),
selected with the name returned by :func:`get_profile`.
"""

from __future__ import annotations

import os

PROFILES = ("smoke", "cpu", "full")
ENV_VAR = "MTADAM_PROFILE"


def _cuda_available() -> bool:
    try:
        import torch
    except ImportError:  # pragma: no cover - torch is a hard requirement of the book
        return False
    return bool(torch.cuda.is_available())


def get_profile() -> str:
    """The current profile name: ``$MTADAM_PROFILE`` or the automatic default.

    Raises ValueError naming the variable and the allowed values on a bad value.
    """
    value = os.environ.get(ENV_VAR, "").strip().lower()
    if not value:
        return "full" if _cuda_available() else "cpu"
    if value not in PROFILES:
        raise ValueError(
            f"{ENV_VAR}={os.environ.get(ENV_VAR)!r} is not a profile; "
            f"use one of {', '.join(PROFILES)}"
        )
    return value


def pick(smoke=None, cpu=None, full=None, *, profile: str | None = None):
    """The argument named after the current profile (or ``profile`` if given).

    >>> pick(smoke=1, cpu=10, full=100, profile="cpu")
    10
    """
    name = profile or get_profile()
    if name not in PROFILES:
        raise ValueError(f"unknown profile {name!r}; use one of {', '.join(PROFILES)}")
    return {"smoke": smoke, "cpu": cpu, "full": full}[name]


def device():
    """``torch.device('cuda')`` when CUDA is available, else ``torch.device('cpu')``."""
    import torch

    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


PROFILE = get_profile()
"""The profile evaluated at import time (notebooks read this once at the top)."""
