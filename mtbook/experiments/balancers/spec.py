"""What chapter 10 runs: every balancer of :mod:`mtbook.core.balancers` beside Adam and MTAdam on
three benches of the paper's chapters, with the same terms and the same suboptimal weights.

=========  =======================================  ==============================================
bench      terms and weights                        rows (record names)
=========  =======================================  ==============================================
toy        chapter 2: L2 (anchor) + c L1, c = 1000  ``toy-<method>-c<c>`` here (this package)
MNIST      chapter 3: ten class terms, drawn w_i    ``adam_<balancer>-<draw>`` under ``mnist/``
pix2pix    chapter 4: L1 + L_GAN, equal weights     ``adam_equal_<balancer>`` under ``pix2pix/``
=========  =======================================  ==============================================

On MNIST and pix2pix the balancers are Adam-rows of those chapters with a ``balancer`` (their specs'
``BALANCER_METHODS``); their references (Adam on the weighted sum, MTAdam, Adam with the oracle /
prescribed weights) are those chapters' own records. The toy runs here, on chapter 2's bench
rebuilt from :mod:`mtbook.core.polynomial` (an experiment never imports another).
"""

from __future__ import annotations

from ...core.balancers import JACOBIAN, METHODS
from ...core.runs import config_for

EXPERIMENT = "balancers"
BALANCERS = tuple(METHODS)  # uncertainty, gradnorm, dwa, famo, vqgan, pcgrad, mgda, upgrad
OWN = tuple(m for m in BALANCERS if m not in JACOBIAN)  # implemented in mtbook.core.balancers
TOY_METHODS = ("adam", "mtadam", *BALANCERS)
C_VALUES = (1.0, 1000.0)  # chapter 2's weights of the L1 term; 1000 is the badly scaled one
LABELS = {
    "adam": "Adam (weighted sum)",
    "mtadam": "MTAdam",
    **{m: f"{s['label']} — {s['paper']}" for m, s in METHODS.items()},
}

# the references on the two chapters' benches (their own rows) and the balancer rows' names
MNIST_REFERENCES = ("adam", "mtadam", "adam_equal")  # adam_equal: the oracle (all weights 1)
PIX2PIX_REFERENCES = ("adam_equal", "mtadam_equal", "adam_prescribed")
MNIST_ROWS = tuple(f"adam_{m}" for m in BALANCERS)
PIX2PIX_ROWS = tuple(f"adam_equal_{m}" for m in BALANCERS)
SEEDS = (0, 1, 2)  # the seeds chapter 10 runs on MNIST and pix2pix (>= 3 before any claim)

# chapter 2's toy (float64, x ~ N(0, 1) batches, every run from w = 0); dwa_period: DWA's "epoch"
CONFIG = {
    "smoke": dict(steps=300, batch_size=64, lr=1e-3, tail=50, every=5, seeds=[0], dwa_period=15),
    "cpu": dict(
        steps=5000, batch_size=64, lr=1e-3, tail=500, every=10, seeds=[0, 1, 2], dwa_period=250
    ),
    "full": dict(
        steps=5000, batch_size=64, lr=1e-3, tail=500, every=10, seeds=[0, 1, 2], dwa_period=250
    ),
}


def config(profile: str | None = None) -> dict:
    """The toy's settings at ``profile`` (default: the current one), as a fresh dict."""
    return config_for(CONFIG, profile, EXPERIMENT)


def toy_method(method: str, c: float) -> str:
    """The record name of ``method`` on the toy at weight ``c``, e.g. ``toy-famo-c1000``."""
    if method not in TOY_METHODS:
        raise ValueError(f"unknown toy method {method!r}; use one of {', '.join(TOY_METHODS)}")
    return f"toy-{method}-c{c:g}"
