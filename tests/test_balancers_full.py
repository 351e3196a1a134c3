"""The `full` configuration of chapter 10's own bench (chapter 2's toy; the MNIST and pix2pix
balancer rows run through those chapters' runners and their dry runs): every toy method at the full
settings, two steps, on the CPU."""

import math

import pytest

from mtbook.experiments.balancers import spec
from mtbook.experiments.balancers.toy import train_toy


@pytest.mark.parametrize("method", spec.TOY_METHODS)
def test_full_config_dry_run_two_steps_per_toy_method(method):
    full = spec.config("full")
    assert full["steps"] >= 1000 and full["seeds"] == [0, 1, 2]  # the real size, not smoke's
    cfg = dict(full, steps=2, every=1, tail=1)
    out = train_toy(method, 1000.0, 0, cfg)
    assert out["curves"]["step"] == [1, 2]
    W = out["curves"]["W"]
    assert W[0] != [0.0, 0.0] and W[1] != W[0], "the parameters must move at every step"
    assert all(math.isfinite(v) for v in out["metrics"].values())
    assert all(math.isfinite(c) for row in out["curves"]["coef"] for c in row)
