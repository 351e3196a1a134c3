"""Chapter 10 (beyond the paper): MTAdam among the loss balancers, on the paper's benches.

``spec`` (methods, benches, CONFIG of the toy) · ``toy`` (chapter 2's badly scaled toy, every
method, effective weights over time) · ``plots`` (tables and figures from records) · ``claims``.
The balancers themselves are :mod:`mtbook.core.balancers`; MNIST and pix2pix run them through their
own runners (``BALANCER_METHODS`` in their specs; ``scripts/run_balancers.py``).
"""

from .spec import *  # noqa: F401,F403
from .spec import BALANCERS, CONFIG, EXPERIMENT, config  # noqa: F401
from .toy import run_toy, toy_terms, train_toy  # noqa: F401
