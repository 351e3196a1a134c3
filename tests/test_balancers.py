"""Chapter 10's loss balancers (mtbook.core.balancers): each method implemented here against its
paper's update rule on a hand-computable case; PCGrad, MGDA and UPGrad through torchjd; the step
is Adam on sum_i c_i grad f^i; the x1000 weight-invariance measure on chapter 2's toy; bad input.

The expected numbers are worked out by hand from the papers' equations (in the comments), not taken
from the code under test.
"""

from __future__ import annotations

import io
import math

import pytest
import torch

from mtbook.core import balancers as B
from mtbook.experiments.balancers import spec as bspec
from mtbook.experiments.balancers.toy import invariance, train_toy


def _grads_seen(monkeypatch):
    """Record the .grad of every parameter that Adam's step sees (and skip the step)."""
    seen = []

    def fake_step(self, closure=None):
        seen.append(
            [None if p.grad is None else p.grad.clone() for p in self.param_groups[0]["params"]]
        )

    monkeypatch.setattr(torch.optim.Adam, "step", fake_step)
    return seen


# ------------------------------------------------------------------ the update rules, by hand


def test_uncertainty_follows_kendall():
    # L = sum_i exp(-s_i) f_i / 2 + s_i / 2 with s = 0: c = (1/2, 1/2); dL/ds_i = 1/2 - f_i / 2
    # = (-1/2, +1/4) for f = (2, 1/2); Adam's first step moves each s_i by lr against its sign.
    u = B.make_balancer("uncertainty", 2, lr=0.1)
    c = u.coefficients(torch.tensor([2.0, 0.5]))
    assert c.tolist() == pytest.approx([0.5, 0.5])
    assert u.s.tolist() == pytest.approx([0.1, -0.1], abs=1e-6)
    c = u.coefficients(torch.tensor([2.0, 0.5]))
    assert c.tolist() == pytest.approx([0.5 * math.exp(-0.1), 0.5 * math.exp(0.1)], rel=1e-5)


def test_gradnorm_follows_chen():
    # step 1: w = (1, 1), ||grad_W f|| = (2, 1), L(0) = f: r = (1, 1); G = (2, 1), mean 1.5,
    # target (1.5, 1.5); dL_grad/dw_i = sign(G_i - target_i) ||grad_W f_i|| = (+2, -1); Adam's first
    # step (lr 0.025): w = (0.975, 1.025), sum already T = 2.
    g = B.make_balancer("gradnorm", 2)
    c = g.coefficients(torch.tensor([4.0, 2.0]), torch.tensor([2.0, 1.0]))
    assert c.tolist() == pytest.approx([1.0, 1.0])
    assert g.w.tolist() == pytest.approx([0.975, 1.025], abs=1e-7)
    # step 2: f = (1, 2): L~ = (1/4, 1), mean 5/8, r = (0.4, 1.6); norms (1, 1): G = w = (0.975,
    # 1.025), mean 1; target = (0.4^1.5, 1.6^1.5) = (0.2530, 2.0239): G_1 > t_1, G_2 < t_2, so the
    # gradient is (+1, -1) and w_1 goes down, w_2 up, then sum(w) = 2 again.
    c = g.coefficients(torch.tensor([1.0, 2.0]), torch.tensor([1.0, 1.0]))
    assert c.tolist() == pytest.approx([0.975, 1.025], abs=1e-7)
    assert g.w[0] < 0.975 and g.w[1] > 1.025 and float(g.w.sum()) == pytest.approx(2.0)


def test_dwa_follows_liu():
    # period 1, T = 2, K = 2: lambda = 1 for the first two periods; then w = L(t-1)/L(t-2)
    # = (2/4, 2/2) = (0.5, 1): lambda = 2 exp(w/2) / sum exp(w/2) = (0.87564, 1.12436).
    d = B.make_balancer("dwa", 2, period=1)
    assert d.coefficients(torch.tensor([4.0, 2.0])).tolist() == [1.0, 1.0]
    assert d.coefficients(torch.tensor([2.0, 2.0])).tolist() == [1.0, 1.0]
    c = d.coefficients(torch.tensor([1.0, 1.0]))
    e1, e2 = math.exp(0.25), math.exp(0.5)
    assert c.tolist() == pytest.approx([2 * e1 / (e1 + e2), 2 * e2 / (e1 + e2)], rel=1e-6)
    assert c.tolist() == pytest.approx([0.87564, 1.12436], abs=1e-5)


def test_dwa_averages_over_its_period():
    d = B.make_balancer("dwa", 2, period=2)
    for v in ([4.0, 2.0], [4.0, 2.0], [3.0, 2.0], [1.0, 2.0]):  # period means (4, 2), (2, 2)
        assert d.coefficients(torch.tensor(v)).tolist() == [1.0, 1.0]
    e1, e2 = math.exp(0.25), math.exp(0.5)
    assert d.coefficients(torch.tensor([1.0, 1.0])).tolist() == pytest.approx(
        [2 * e1 / (e1 + e2), 2 * e2 / (e1 + e2)], rel=1e-6
    )


def test_famo_follows_its_algorithm():
    # xi = 0: z = (1/2, 1/2); l = (1, 4): z/l = (0.5, 0.125), c_t = 1/0.625, c = (0.8, 0.2).
    f = B.make_balancer("famo", 2)
    c = f.coefficients(torch.tensor([1.0, 4.0]))
    assert c.tolist() == pytest.approx([0.8, 0.2], rel=1e-6)
    # after the step l = (0.5, 4): delta = (log 2, 0); grad_xi = z * (delta - z . delta)
    # = (+0.1733, -0.1733); Adam's first step (lr 0.025): xi = (-0.025, +0.025).
    f.after_step(torch.tensor([0.5, 4.0]))
    assert f.xi.detach().tolist() == pytest.approx([-0.025, 0.025], abs=1e-6)
    # equal losses now: c = z = softmax(-0.025, 0.025) = (0.4875026, 0.5124974)
    c = f.coefficients(torch.tensor([1.0, 1.0]))
    assert c.tolist() == pytest.approx([0.5 - 0.5 * math.tanh(0.025), 0.5 + 0.5 * math.tanh(0.025)])


def test_famo_without_closure_uses_the_next_values():
    f = B.make_balancer("famo", 2)
    f.coefficients(torch.tensor([1.0, 4.0]))
    f.coefficients(torch.tensor([0.5, 4.0]))  # stands in for the terms after the first step
    assert f.xi.detach().tolist() == pytest.approx([-0.025, 0.025], abs=1e-6)


def test_vqgan_adaptive_weight():
    # lambda = ||grad_L L_rec|| / (||grad_L L_GAN|| + 1e-4), clipped to [0, 1e4]
    a = B.make_balancer("vqgan", 3)
    c = a.coefficients(torch.tensor([1.0, 1.0, 1.0]), torch.tensor([2.0, 0.5, 0.0]))
    assert c.tolist() == pytest.approx([1.0, 2.0 / 0.5001, 1e4])
    c = a.coefficients(torch.tensor([1.0, 1.0, 1.0]), torch.tensor([10.0, 4.0, 0.0]))
    assert c.tolist() == pytest.approx([1.0, 10.0 / 4.0001, 1e4])  # 1e5 clipped


# ------------------------------------------------------------------ the step: Adam on sum c_i grad


def test_balanced_step_is_the_weighted_gradient(monkeypatch):
    seen = _grads_seen(monkeypatch)
    w = torch.tensor([1.0, -2.0], requires_grad=True)
    opt = B.make_balanced("adam", [w], dict(method="famo"), lr=0.1)
    f1, f2 = (w * w).sum(), 3 * w[0]  # values 5 and 3; gradients (2, -4) and (3, 0)
    opt.step([f1, f2])
    z = [0.5 / 5, 0.5 / 3]  # FAMO: c = (z / l) / sum(z / l)
    c = [z[0] / sum(z), z[1] / sum(z)]
    expect = [c[0] * 2 + c[1] * 3, c[0] * -4]
    assert seen[0][0].tolist() == pytest.approx(expect, rel=1e-6)
    assert opt.effective_weights().shape == (2, 1)
    assert w.grad is None  # .grad is not left behind


def test_balanced_last_layer_norms(monkeypatch):
    seen = _grads_seen(monkeypatch)
    a = torch.tensor([1.0], requires_grad=True)
    M = torch.tensor([[1.0, 0.0], [0.0, 1.0]], requires_grad=True)  # the last layer (2-D)
    opt = B.make_balanced("adam", [a, M], dict(method="vqgan"), lr=0.1)
    f1 = (a * M.sum()) * 1.0  # grad_M f1 = a = 1 everywhere: norm 2
    f2 = 5 * M[0, 0]  # grad_M f2: norm 5
    opt.step([f1, f2])
    lam = 2.0 / (5.0 + 1e-4)
    assert seen[0][1].flatten().tolist() == pytest.approx([1 + 5 * lam, 1, 1, 1], rel=1e-6)
    assert seen[0][0].tolist() == pytest.approx([2.0])  # grad_a f1 = M.sum()


@pytest.mark.parametrize("method", B.JACOBIAN)
def test_torchjd_methods_run_through_the_library(monkeypatch, method):
    from torchjd import aggregation

    seen = _grads_seen(monkeypatch)
    w = torch.zeros(2, requires_grad=True)
    opt = B.make_balanced("adam", [w], dict(method=method), lr=0.1)
    f1, f2 = w[0], -w[0] + w[1]  # Jacobian rows (1, 0) and (-1, 1): they conflict
    opt.step([f1, f2])
    J = torch.tensor([[1.0, 0.0], [-1.0, 1.0]])
    lib = {"pcgrad": aggregation.PCGrad, "mgda": aggregation.MGDA, "upgrad": aggregation.UPGrad}
    assert seen[0][0].tolist() == pytest.approx(lib[method]()(J).tolist(), abs=1e-4)
    if method == "pcgrad":  # Yu et al.: g1 - (g1.g2/|g2|^2) g2 + g2 - (g1.g2/|g1|^2) g1
        assert seen[0][0].tolist() == pytest.approx([0.5, 1.5], abs=1e-4)


def test_state_dict_round_trip_continues_the_same_run():
    torch.manual_seed(0)
    x = torch.randn(16, 3)

    def terms(p):
        y = x @ p
        return [(y * y).mean(), 100 * (y - 1).abs().mean()]

    p1 = torch.zeros(3, requires_grad=True)
    o1 = B.make_balanced("adam", [p1], dict(method="famo"), lr=0.01)
    for _ in range(3):
        o1.step(terms(p1), closure=lambda: terms(p1))
    p2 = p1.detach().clone().requires_grad_(True)
    o2 = B.make_balanced("adam", [p2], dict(method="famo"), lr=0.01)
    buf = io.BytesIO()  # through bytes, as a checkpoint file
    torch.save(o1.state_dict(), buf)
    buf.seek(0)
    o2.load_state_dict(torch.load(buf, weights_only=False))
    for _ in range(3):
        o1.step(terms(p1), closure=lambda: terms(p1))
        o2.step(terms(p2), closure=lambda: terms(p2))
    assert torch.equal(p1, p2)


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="unknown balancer 'nope'"):
        B.make_balancer("nope", 2)
    with pytest.raises(ValueError, match="takes no alpha"):
        B.make_balancer("famo", 2, alpha=1.0)
    with pytest.raises(ValueError, match="at least 2 terms"):
        B.make_balancer("dwa", 1)
    with pytest.raises(ValueError, match="balancers step with Adam"):
        B.make_balanced("sgd", [torch.zeros(1, requires_grad=True)], dict(method="famo"))
    opt = B.make_balanced("adam", [torch.zeros(1, requires_grad=True)], dict(method="famo"))
    with pytest.raises(ValueError, match="needs the terms"):
        opt.step()
    with pytest.raises(ValueError, match="no method 'nope'"):
        B.balancer_methods({"adam": dict(optimizer="adam")}, "nope")


# ------------------------------------------------------------------ invariance to a term's weight

INVARIANT = {"mtadam": 1e-12, "vqgan": 1e-3}  # MTAdam exactly; VQGAN up to its delta = 1e-4


def test_weight_invariance_on_the_toy():
    """Multiply the L1 term by 1000 and compare the trajectories (same batches): MTAdam and the
    VQGAN weight are invariant; Adam on the sum and every other balancer are not."""
    cfg = dict(bspec.config("smoke"), steps=200, every=5)
    moved = {}
    for m in bspec.TOY_METHODS:
        recs = {(m, c, 0): train_toy(m, c, 0, cfg) for c in bspec.C_VALUES}
        moved[m] = invariance(recs, m, 0)
    for m, v in moved.items():
        if m in INVARIANT:
            assert v < INVARIANT[m], (m, v)
        else:
            assert v > 1e-3, (m, v)


def test_specs_derive_balancer_rows_from_their_adam_rows():
    from mtbook.experiments.mnist import spec as mspec
    from mtbook.experiments.pix2pix import spec as pspec

    assert tuple(mspec.BALANCER_METHODS) == bspec.MNIST_ROWS
    assert tuple(pspec.BALANCER_METHODS) == bspec.PIX2PIX_ROWS
    famo = pspec.method_spec("adam_equal_famo")
    assert famo["lambdas"] == pspec.METHODS["adam_equal"]["lambdas"]
    assert famo["balancer"] == dict(method="famo")
    assert mspec.method_spec("adam_dwa")["balancer"] == dict(method="dwa", period=31)


def test_verdict_pairs_seeds_and_calls_only_beyond_two_sd_with_three_runs():
    from mtbook.experiments.balancers import plots as BP

    def recs(method, values, seeds=(0, 1, 2)):
        return [dict(method=method, seed=s, metrics={"acc": v}) for s, v in zip(seeds, values)]

    records = (
        recs("mt", (90.0, 91.0, 92.0))
        + recs("far", (80.0, 81.0, 82.0))  # 10 below, SD of the difference 0.82
        + recs("near", (90.5, 91.5, 92.5))  # 0.5 above: within noise
        + recs("up", (95.0, 96.0, 97.0))
        + recs("two", (99.0, 99.0), seeds=(0, 1))
        + recs("unpaired", (99.0,), seeds=(7,))
    )
    rows = dict(far="far", near="near", up="up", two="two", unpaired="unpaired", none="missing")
    ref, out = BP.versus_mtadam(records, "mt", rows, "acc", higher=True)
    by = {r["label"]: r for r in out}
    assert sorted(ref) == [90.0, 91.0, 92.0] and set(by) == {"far", "near", "up", "two"}
    assert (by["far"]["call"], by["near"]["call"], by["up"]["call"]) == ("below", "~", "above")
    assert by["far"]["diff"] == pytest.approx(-10.0) and by["far"]["sd"] == pytest.approx(
        (2 / 3) ** 0.5
    )
    assert by["two"]["n"] == 2 and by["two"]["call"] == "n < 3"
    # lower is better (L1): the same numbers swap above and below
    _, low = BP.versus_mtadam(records, "mt", dict(far="far"), "acc", higher=False)
    assert low[0]["call"] == "above"
    line = BP.verdict_line("bench", "acc", ref, out, 1)
    assert "worse: far" in line and "Better than MTAdam beyond 2 SD: up" in line
    assert "within noise: near" in line and "no call): two" in line
    assert BP.verdict_line("bench", "acc", [], [], 1).endswith("not enough records yet.")


def test_gan_to_l1_is_lambda_ratio_times_the_last_effective_weights():
    from mtbook.experiments.balancers import plots as BP

    fixed = dict(config=dict(lambdas=[100.0, 1.0]), curves={})
    assert BP.gan_to_l1(fixed) == pytest.approx(0.01)
    ew = [
        [[1.0, 1.0, 1.0], [1.0, 1.0, 1.0]],
        [[2.0, 2.0, 4.0], [0.2, 0.1, 0.4]],
    ]  # step, term, layer
    learned = dict(config=dict(lambdas=[1.0, 1.0]), curves=dict(ew=ew))
    assert BP.gan_to_l1(learned) == pytest.approx(0.1)  # median of 0.1, 0.05, 0.1
    silenced = dict(config=dict(lambdas=[1.0, 1.0]), curves=dict(ew=[[[1.0], [0.0]]]))
    assert BP.gan_to_l1(silenced) == 0.0
    assert BP._ratio_cell([0.01, 0.03]) == "0.02 (n=2)" and BP._ratio_cell([None]) == "—"
