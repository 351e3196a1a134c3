"""MNIST with ten loss terms (paper Sec. 5.1, Table 1): what is run, and what the paper reports.

MNIST is turned into a ten-term objective: term i is the negative log-likelihood of the batch's
samples of digit i, weighted by a random weight w_i. The test accuracy is unweighted, so classes
with small weights underfit. Methods (Table 1): SGD with momentum, RMSProp and Adam on the weighted
sum, MTAdam on the same ten weighted terms, Adam with equal weights; plus two rows of ours that
separate the imbalance from the overall scale (SGD on w / mean w) and from RMSProp's default lr.

The one source of truth for the chapter, the tests and the scoreboard: :data:`PAPER_TABLE1`,
:data:`METHODS`, :data:`DRAWS`, :data:`CONFIG` and :data:`CLAIMS`.
"""

from __future__ import annotations

from ...core.ablation import ablation_methods
from ...core.balancers import balancer_methods
from ...core.runs import config_for

EXPERIMENT = "mnist"
NUM_CLASSES = 10
MEAN, STD = 0.1307, 0.3081  # the PyTorch MNIST example's Normalize((0.1307,), (0.3081,))

# Table 1 of the paper (100 runs): mean and SD of the test accuracy in percent.
PAPER_TABLE1 = {
    "sgd_momentum": (85.4, 1.2),
    "rmsprop": (87.2, 1.0),
    "adam": (88.8, 0.8),
    "mtadam": (97.9, 0.1),
    "adam_equal": (98.3, 0.1),
}

# The five methods. lr: PyTorch's default for each optimizer (Adam 1e-3, RMSprop 1e-2) and 1e-3
# (the default of torch.optim.SGD since torch 2.x; the paper does not give SGD's lr) with momentum
# 0.9 for SGD; "weights": the weighted terms ("drawn") or all weights equal to 1 ("equal").
# See the chapter for why these choices and what changes with other learning rates.
METHODS = {
    "sgd_momentum": dict(
        label="SGD-Momentum", optimizer="sgd", lr=1e-3, momentum=0.9, weights="drawn"
    ),
    "sgd_momentum_norm": dict(
        label="SGD-Momentum (w / mean w)",
        optimizer="sgd",
        lr=1e-3,
        momentum=0.9,
        weights="drawn_normalized",
    ),
    "rmsprop": dict(label="RMSProp", optimizer="rmsprop", lr=1e-2, weights="drawn"),
    "rmsprop_lr1e-3": dict(
        label="RMSProp (lr 1e-3)", optimizer="rmsprop", lr=1e-3, weights="drawn"
    ),
    "adam": dict(label="Adam", optimizer="adam", lr=1e-3, weights="drawn"),
    "mtadam": dict(label="MTAdam", optimizer="mtadam", lr=1e-3, weights="drawn"),
    "adam_equal": dict(label="Adam (equal weights)", optimizer="adam", lr=1e-3, weights="equal"),
}

# Table 7's variants on this bench (chapter 7): MTAdam with one part of Algorithm 1 switched off,
# e.g. "mtadam_denom_own"; not rows of Table 1 (the full method is "mtadam" itself)
ABLATION_METHODS = ablation_methods(METHODS, "mtadam")
# Chapter 10's loss balancers on this bench: Adam on the same drawn-weight terms, its step's
# coefficients set by a balancer (mtbook.core.balancers), e.g. "adam_famo"; not rows of Table 1.
# DWA's "epoch" is 31 steps (a tenth of the cpu epoch: this bench trains one epoch).
BALANCER_METHODS = balancer_methods(METHODS, "adam", hp={"dwa": dict(period=31)})


def method_spec(method: str) -> dict:
    """The settings of a row of Table 1, an ablation variant (chapter 7) or a balancer
    (chapter 10)."""
    if method in METHODS:
        return METHODS[method]
    if method in ABLATION_METHODS:
        return ABLATION_METHODS[method]
    if method in BALANCER_METHODS:
        return BALANCER_METHODS[method]
    known = [*METHODS, *ABLATION_METHODS, *BALANCER_METHODS]
    raise ValueError(f"unknown MNIST method {method!r}; use one of {', '.join(known)}")


DRAWS = {
    "paper": "U(1, 1000) for all ten classes (the paper's text)",
    "script": "w_0 = 1, w_1..w_9 ~ U(0, 1000) (the authors' public script)",
}

# SGD is the one method here that is not invariant to the overall scale of the loss: the weighted
# sum is ~500x a plain NLL, so at lr 1e-3 SGD takes ~500x larger steps than on the unweighted loss.
# "sgd_momentum_norm" divides the drawn weights by their mean (same imbalance, unit mean weight),
# which separates the effect of the imbalance from that of the overall scale. The paper has one SGD
# row; both of ours are printed beside it.
# RMSProp at its PyTorch default lr 1e-2 collapses in some runs here; "rmsprop_lr1e-3" is the same
# at Adam's lr. Both are printed beside the paper's one RMSProp row.
PAPER_TABLE1["sgd_momentum_norm"] = PAPER_TABLE1["sgd_momentum"]
PAPER_TABLE1["rmsprop_lr1e-3"] = PAPER_TABLE1["rmsprop"]

# Per-profile settings. train_size: samples of the training set used (None = all 60,000), drawn
# once with a fixed seed and class-stratified; one epoch over them as the authors' script does.
# evals: test-set evaluations spread evenly over training; the last one is the final accuracy on the
# whole test set (test_size), the earlier ones use a fixed stratified subset of curve_test_size.
CONFIG = {
    "smoke": dict(
        seeds=[0],
        train_size=640,
        test_size=1000,
        curve_test_size=500,
        epochs=1,
        batch_size=64,
        test_batch_size=1000,
        evals=2,
        log_every=5,
        threads=1,
    ),
    "cpu": dict(
        seeds=[0, 1, 2, 3, 4],
        train_size=20000,
        test_size=None,
        curve_test_size=2000,
        epochs=1,
        batch_size=64,
        test_batch_size=1000,
        evals=4,
        log_every=10,
        threads=1,
    ),
    "full": dict(
        seeds=list(range(100)),
        train_size=None,
        test_size=None,
        curve_test_size=None,
        epochs=1,
        batch_size=64,
        test_batch_size=1000,
        evals=10,
        log_every=20,
        threads=None,
    ),
}


def config(profile: str | None = None) -> dict:
    """The settings of ``profile`` (default: the current one), as a fresh dict."""
    return config_for(CONFIG, profile, EXPERIMENT)


def method_key(method: str, draw: str) -> str:
    """Record name of one (method, weight draw), e.g. ``adam-paper``.

    A method that does not use the drawn weights (``adam_equal``) is the same run under both draws:
    it has one record, named after the method alone.
    """
    spec = method_spec(method)
    if draw not in DRAWS:
        raise ValueError(f"unknown weight draw {draw!r}; use one of {', '.join(DRAWS)}")
    return method if spec["weights"] == "equal" else f"{method}-{draw}"
