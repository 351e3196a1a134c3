"""The polynomial toy (mtbook.toy): gradients, the rescaling, the L1 stall, run caching."""

import numpy as np
import pytest
import torch

from mtbook.core.polynomial import residual
from mtbook.core.runs import run_or_load
from mtbook.experiments import toy


def _autograd_grads(W, x, a, b):
    W = W.clone().requires_grad_(True)
    t = residual(W, x, a, b)
    (g1,) = torch.autograd.grad(t.abs().mean(), W, retain_graph=True)
    (g2,) = torch.autograd.grad((t * t).mean(), W)
    return g1, g2


def test_written_out_gradients_match_autograd():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(64, generator=g, dtype=torch.float64)
    W = torch.tensor([0.3, 0.7], dtype=torch.float64)
    a1, a2 = _autograd_grads(W, x, 1.52, -0.29)
    g1, l1, _ = toy.objective_grad("l1", W, x, 1.52, -0.29)
    g2, _, l2 = toy.objective_grad("l2", W, x, 1.52, -0.29)
    assert torch.allclose(g1, a1, rtol=1e-12) and torch.allclose(g2, a2, rtol=1e-12)
    t = (0.3 - 1.52) * x + (0.7 + 0.29) * x * x
    assert l1 == pytest.approx(float(t.abs().mean())) and l2 == pytest.approx(float((t * t).mean()))


def test_scaled_l1_has_l1_direction_and_l2_norm():
    g = torch.Generator().manual_seed(1)
    x = torch.randn(32, generator=g, dtype=torch.float64)
    W = torch.tensor([-0.5, 1.1], dtype=torch.float64)
    a1, a2 = _autograd_grads(W, x, 0.4, 0.9)
    gs, _, _ = toy.objective_grad("l1_scaled", W, x, 0.4, 0.9)
    assert float(gs.norm()) == pytest.approx(float(a2.norm()), rel=1e-12)
    assert torch.allclose(gs / gs.norm(), a1 / a1.norm(), rtol=1e-12)


def test_l1_gradient_does_not_shrink_near_the_optimum_but_l2_does():
    """d|t|/dt = +-1 against dt^2/dt = 2t: 1000x closer
    to the optimum, L2's gradient is ~1000x smaller."""
    g = torch.Generator().manual_seed(2)
    x = torch.randn(4096, generator=g, dtype=torch.float64)
    a, b = 1.52, -0.29
    norms = {}
    for delta in (1e-1, 1e-4):
        W = torch.tensor([a + delta, b - delta], dtype=torch.float64)
        norms[delta] = [float(toy.objective_grad(o, W, x, a, b)[0].norm()) for o in ("l1", "l2")]
    (l1_far, l2_far), (l1_near, l2_near) = norms[1e-1], norms[1e-4]
    assert l1_near > 0.5 * l1_far  # L1: same size
    assert l2_near == pytest.approx(l2_far * 1e-3, rel=1e-6)  # L2: proportional to the error


def test_adam_on_l1_stalls_where_l2_and_scaled_l1_keep_converging():
    """The claim of Sec. 3 / Fig. 1, on a short run at lr 1e-2."""
    final = {}
    for obj in toy.OBJECTIVES:
        out = toy.train(obj, 1.52, -0.29, steps=1500, batch_size=64, lr=1e-2, seed=0)
        final[obj] = np.median(out["curves"]["param_err"][-200:])
    assert final["l2"] < 1e-3 * final["l1"]
    assert final["l1_scaled"] < 1e-2 * final["l1"]


def test_l1_stall_level_grows_with_the_learning_rate():
    err = [
        np.median(
            toy.train("l1", 1.52, -0.29, steps=1500, batch_size=64, lr=lr, seed=0)["curves"]["l1"][
                -300:
            ]
        )
        for lr in (1e-2, 1e-1)
    ]
    assert 3 < err[1] / err[0] < 30


def test_train_is_deterministic_and_paired():
    a = toy.train("l1", 0.4, 0.9, steps=50, batch_size=8, lr=1e-2, seed=3)
    b = toy.train("l1", 0.4, 0.9, steps=50, batch_size=8, lr=1e-2, seed=3)
    assert a == b
    c = toy.train("l2", 0.4, 0.9, steps=1, batch_size=8, lr=1e-2, seed=3)
    # same first batch for every objective (paired): the first L1 value is the same
    assert c["curves"]["l1"][0] == a["curves"]["l1"][0]


def test_ab_draws():
    d = toy.ab_draws(4, seed=7)
    assert d[0] == toy.PAPER_AB and len(d) == 5
    assert all(-2 <= v <= 2 for ab in d[1:] for v in ab)
    assert d == toy.ab_draws(4, seed=7) and d != toy.ab_draws(4, seed=8)


def test_unknown_objective_is_rejected():
    with pytest.raises(ValueError, match="objective"):
        toy.objective_grad("l3", torch.zeros(2), torch.zeros(3), 1.0, 1.0)


def test_run_or_load_reuses_matching_records_only(tmp_path, monkeypatch):
    monkeypatch.setenv("MTADAM_RESULTS", str(tmp_path))
    calls = []

    def fn():
        calls.append(1)
        return dict(metrics={"x": len(calls)}, curves={})

    r1 = run_or_load("toytest", "m", 0, {"k": 1}, fn, profile="smoke")
    r2 = run_or_load("toytest", "m", 0, {"k": 1}, fn, profile="smoke")
    assert len(calls) == 1 and r1["metrics"] == r2["metrics"] == {"x": 1}
    r3 = run_or_load("toytest", "m", 0, {"k": 2}, fn, profile="smoke")  # config changed: re-run
    assert len(calls) == 2 and r3["metrics"] == {"x": 2}
    assert (tmp_path / "smoke" / "toytest" / "m__seed0.json").exists()
