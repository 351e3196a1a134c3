"""The first code cell of every chapter::

    from mtbook.notebook import setup
    PROFILE = setup()

prints the profile, device and versions (so every stored notebook says what produced its
outputs), applies the book's matplotlib style, honours ``$MTADAM_THREADS`` and returns the
profile name.
"""

from __future__ import annotations

import os
import platform

from .profiles import PROFILES, get_profile

STYLE = {
    "figure.figsize": (6.4, 3.6),
    "figure.dpi": 100,
    "savefig.dpi": 120,
    "savefig.bbox": "tight",
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "legend.frameon": False,
    "font.size": 10,
}


def setup(profile: str | None = None, quiet: bool = False) -> str:
    """Print profile / device / versions, set the plot style; return the profile name.

    ``profile`` overrides ``$MTADAM_PROFILE`` for this process (it sets the variable, so the
    experiment modules see the same value).
    """
    if profile is not None:
        if profile not in PROFILES:
            raise ValueError(f"unknown profile {profile!r}; use one of {', '.join(PROFILES)}")
        os.environ["MTADAM_PROFILE"] = profile
    name = get_profile()

    import torch

    threads = os.environ.get("MTADAM_THREADS")
    if threads:
        torch.set_num_threads(int(threads))
    try:
        import matplotlib

        if not os.environ.get("DISPLAY") and "ipykernel" not in __import__("sys").modules:
            matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        plt.rcParams.update(STYLE)
    except ImportError:  # pragma: no cover - matplotlib is in requirements.txt
        pass

    if not quiet:
        if torch.cuda.is_available():
            dev = f"cuda ({torch.cuda.get_device_name(0)})"
        else:
            dev = f"cpu ({torch.get_num_threads()} threads)"
        print(f"profile: {name}   device: {dev}")
        print(f"torch {torch.__version__}, python {platform.python_version()}")
        if name == "smoke":
            print("smoke profile: this only proves the code runs; its numbers are not results.")
    return name


GLUED: dict = {}


def glue(name: str, value, display: bool = False):
    """Make ``value`` available to the page's prose as {glue:text}`name` (myst-nb), and return it.

    Numbers in the book's prose come from records through this, never typed by hand. Where myst-nb
    is not installed (a bare Colab kernel) the value is only kept in :data:`GLUED`.
    """
    if hasattr(value, "item") and getattr(value, "ndim", 1) == 0:
        value = value.item()  # numpy / torch scalars: myst-nb formats plain Python numbers only
    GLUED[name] = value
    try:
        from myst_nb import glue as _glue
    except ImportError:  # pragma: no cover - Colab without the book's extras
        return value
    _glue(name, value, display=display)
    return value
