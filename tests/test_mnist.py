"""MNIST with ten loss terms (mtbook.mnist): term
definitions, per-term gradients, runner, tables."""

import json
import math
import os

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from mtbook.core.models import MnistNet
from mtbook.experiments import mnist as M


def _batch(n=24, absent=(3, 7), seed=0):
    """A random batch of images whose labels avoid the classes in ``absent``."""
    g = torch.Generator().manual_seed(seed)
    present = [c for c in range(10) if c not in absent]
    y = torch.tensor(present)[torch.randint(len(present), (n,), generator=g)]
    x = torch.randn(n, 1, 28, 28, generator=g)
    return x, y


def _log_probs(n, seed=1):
    g = torch.Generator().manual_seed(seed)
    return F.log_softmax(torch.randn(n, 10, generator=g, dtype=torch.float64), dim=1)


def test_class_terms_finite_and_zero_for_absent_class():
    _, y = _batch(absent=(3, 7))
    lp = _log_probs(len(y))
    w = np.arange(1, 11) * 10.0
    terms = M.class_terms(lp, y, w)
    assert terms.shape == (10,)
    assert torch.isfinite(terms).all()
    assert terms[3] == 0 and terms[7] == 0
    assert (terms[[c for c in range(10) if c not in (3, 7)]] > 0).all()


def test_class_terms_sum_is_class_weighted_mean_nll():
    _, y = _batch(n=40, absent=(5,))
    lp = _log_probs(len(y))
    w = np.random.RandomState(3).uniform(1, 1000, 10)
    expected = sum(w[int(y[j])] * -float(lp[j, y[j]]) for j in range(len(y))) / len(y)
    assert float(M.class_terms(lp, y, w).sum()) == pytest.approx(expected, rel=1e-12)
    assert float(M.weighted_loss(lp, y, w)) == pytest.approx(expected, rel=1e-12)
    # term i alone: w_i * (sum of the class-i NLLs) / B
    i = int(y[0])
    mine = [-float(lp[j, i]) for j in range(len(y)) if int(y[j]) == i]
    assert float(M.class_terms(lp, y, w)[i]) == pytest.approx(w[i] * sum(mine) / len(y), rel=1e-12)


def test_class_terms_rejects_bad_shapes():
    lp = _log_probs(5)
    with pytest.raises(ValueError, match="weights"):
        M.class_terms(lp, torch.zeros(5, dtype=torch.long), [1.0] * 9)
    with pytest.raises(ValueError, match="target"):
        M.class_terms(lp, torch.zeros(4, dtype=torch.long), [1.0] * 10)


def test_authors_terms_cancel_weight_and_are_nan_for_absent_class():
    y = torch.tensor([c for c in range(10) if c != 2] * 3)  # every class but 2, three times each
    lp = _log_probs(len(y))
    w = np.random.RandomState(0).uniform(1, 1000, 10)
    t = M.authors_terms(lp, y, w)
    assert math.isnan(float(t[2]))
    for i in range(10):
        if i == 2:
            continue
        rows = (y == i).nonzero(as_tuple=True)[0]
        # the weight cancels: the term is the plain mean NLL of class i
        assert float(t[i]) == pytest.approx(float(-lp[rows, i].mean()), rel=1e-10)


def test_draw_weights():
    p = M.draw_weights("paper", 0)
    s = M.draw_weights("script", 0)
    assert p.shape == s.shape == (10,)
    assert (p >= 1).all() and (p <= 1000).all()
    assert s[0] == 1.0 and (s[1:] >= 0).all() and (s[1:] <= 1000).all()
    assert np.array_equal(M.draw_weights("paper", 4), M.draw_weights("paper", 4))
    assert not np.allclose(M.draw_weights("paper", 4), M.draw_weights("paper", 5))
    with pytest.raises(ValueError, match="draw"):
        M.draw_weights("uniform", 0)


class TinyNet(torch.nn.Module):
    """A small stand-in with the same kind of layers as M.Net (conv, max-pool, dropout, linear)."""

    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(1, 4, 5, 3)
        self.drop = torch.nn.Dropout(0.25)
        self.fc = torch.nn.Linear(4 * 4 * 4, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv(x)), 2)
        return F.log_softmax(self.fc(torch.flatten(self.drop(x), 1)), dim=1)


def _full_batch_term_grads(model, x, y, w, params):
    out = model(x)
    terms = M.class_terms(out, y, w)
    return [
        list(torch.autograd.grad(terms[i], params, retain_graph=True, allow_unused=True))
        for i in range(10)
    ]


def test_sub_batch_grads_equal_full_batch_autograd_grads():
    torch.manual_seed(0)
    model = MnistNet().double().eval()  # dropout off: the forward pass is deterministic
    params = list(model.parameters())
    x, y = _batch(n=12, absent=(4,))
    x = x.double()
    w = np.random.RandomState(1).uniform(1, 1000, 10)
    sub, terms = M.per_term_grads(model, x, y, w, params)
    full = _full_batch_term_grads(model, x, y, w, params)
    for i in range(10):
        for gs, gf, p in zip(sub[i], full[i], params):
            gf = torch.zeros_like(p) if gf is None else gf
            assert torch.allclose(gs, gf, rtol=1e-9, atol=1e-12), f"term {i}"
    assert all(float(g.abs().sum()) == 0.0 for g in sub[4])  # absent class: zero gradient
    assert torch.allclose(terms.double(), M.class_terms(model(x), y, w).detach(), rtol=1e-5)
    # and their sum is the gradient of the weighted sum
    total = torch.autograd.grad(M.weighted_loss(model(x), y, w), params)
    for j in range(len(params)):
        assert torch.allclose(sum(sub[i][j] for i in range(10)), total[j], rtol=1e-9, atol=1e-12)


def test_mtadam_step_from_sub_batch_grads_equals_step_from_losses():
    from mtadam import MTAdam

    x, y = _batch(n=16, absent=(0, 9))  # the anchor class absent too
    w = np.random.RandomState(2).uniform(1, 1000, 10)
    models = []
    for use_grads in (False, True):
        torch.manual_seed(0)
        model = TinyNet().double().eval()
        opt = MTAdam(model.parameters(), lr=1e-3)
        for step in range(3):
            xs, ys = _batch(n=16, absent=(0, 9) if step == 0 else (), seed=step)
            xs = xs.double()
            if use_grads:
                grads, _ = M.per_term_grads(model, xs, ys, w)
                opt.step(grads=grads)
            else:
                terms = M.class_terms(model(xs), ys, w)
                opt.step([terms[i] for i in range(10)])
        models.append(model)
    for p, q in zip(models[0].parameters(), models[1].parameters()):
        assert torch.allclose(p, q, rtol=1e-9, atol=1e-12)


def test_stratified_subset():
    labels = torch.arange(1000) % 10
    idx = M.stratified_subset(labels, 200)
    assert len(idx) == 200 and len(set(idx.tolist())) == 200
    assert torch.bincount(labels[idx], minlength=10).tolist() == [20] * 10
    assert torch.equal(idx, M.stratified_subset(labels, 200))
    assert torch.equal(M.stratified_subset(labels, None), torch.arange(1000))
    with pytest.raises(ValueError):
        M.stratified_subset(labels, 0)


def test_evaluate_counts_per_class():
    class Fixed(torch.nn.Module):
        """Predicts class 1 for every image."""

        def forward(self, x):
            out = torch.full((x.shape[0], 10), -10.0)
            out[:, 1] = 0.0
            return F.log_softmax(out, 1)

    y = torch.tensor([1, 1, 1, 2, 2, 3, 3, 3])
    ev = M.evaluate(Fixed(), torch.zeros(8, 1, 28, 28), y, batch_size=3)
    assert ev["acc"] == pytest.approx(100 * 3 / 8)
    assert ev["per_class_acc"][1] == 100.0 and ev["per_class_acc"][2] == 0.0


def _tiny_data(n_train=96, n_test=40):
    g = torch.Generator().manual_seed(0)
    return M.MNISTData(
        torch.randn(n_train, 1, 28, 28, generator=g),
        torch.arange(n_train) % 10,
        torch.randn(n_test, 1, 28, 28, generator=g),
        torch.arange(n_test) % 10,
    )


TINY = dict(
    seeds=[0],
    train_size=None,
    test_size=None,
    curve_test_size=20,
    epochs=1,
    batch_size=32,
    test_batch_size=50,
    evals=3,
    log_every=1,
    threads=None,
)


@pytest.mark.parametrize("method", list(M.METHODS))
def test_train_run_records_curves(method):
    out = M.train_run(method, "script", 0, _tiny_data(), TINY)
    c = out["curves"]
    assert out["config"]["steps"] == 3
    assert c["eval_step"] == [1, 2, 3] and len(c["eval_acc"]) == 3
    assert c["eval_acc"][-1] == out["metrics"]["test_acc"]
    assert len(out["metrics"]["per_class_acc"]) == 10
    w = np.asarray(out["config"]["class_weights"])
    if M.METHODS[method]["weights"] == "equal":
        assert (w == 1).all()
    elif M.METHODS[method]["weights"] == "drawn_normalized":
        assert w.mean() == pytest.approx(1.0)
    else:
        assert np.allclose(w, M.draw_weights("script", 0))
    if method == "mtadam":
        ew = np.asarray(c["ew_fc2"])
        assert ew.shape == (3, 10)
        assert ew[:, 0] == pytest.approx(1.0)  # the anchor's own weight


def test_mtadam_is_invariant_to_the_class_weights():
    """norm_init='first': the two weight draws give the same MTAdam run (up to eps)."""
    a = M.train_run("mtadam", "paper", 0, _tiny_data(64, 20), TINY)
    b = M.train_run("mtadam", "script", 0, _tiny_data(64, 20), TINY)
    assert a["metrics"]["test_nll"] == pytest.approx(b["metrics"]["test_nll"], rel=1e-4)
    assert not np.allclose(a["config"]["class_weights"], b["config"]["class_weights"])


def test_run_all_skips_runs_with_records(tmp_path, monkeypatch):
    monkeypatch.setenv("MTADAM_RESULTS", str(tmp_path))
    monkeypatch.setitem(M.CONFIG, "smoke", dict(TINY))
    recs = M.run_all(
        "smoke", methods=["adam", "mtadam"], draws=["paper"], data=_tiny_data(), verbose=False
    )
    assert sorted(r["method"] for r in recs) == ["adam-paper", "mtadam-paper"]
    path = tmp_path / "smoke" / "mnist" / "adam-paper__seed0.json"
    assert json.loads(path.read_text())["config"]["lr"] == 1e-3

    def boom(*a, **k):
        raise AssertionError("an existing run was re-run")

    monkeypatch.setattr(M, "train_run", boom)
    again = M.run_all(
        "smoke", methods=["adam", "mtadam"], draws=["paper"], data=_tiny_data(), verbose=False
    )
    assert len(again) == 2


def test_table_rows_mean_sd():
    recs = [{"method": "adam-paper", "metrics": {"test_acc": v}} for v in (90.0, 92.0, 94.0)]
    rows = {r["method"]: r for r in M.table_rows(recs, draws=["paper"])}
    assert rows["Adam"]["paper draw"] == "92.0 ± 2.0 (n=3)"
    assert rows["Adam"]["paper (100 runs)"] == "88.8 ± 0.8"
    assert rows["MTAdam"]["paper draw"] == ""


@pytest.mark.skipif(
    not os.environ.get("MTADAM_DATA"), reason="MTADAM_DATA not set (real MNIST files)"
)
def test_load_real_mnist_subset():
    d = M.load_mnist(train_size=1000, test_size=500)
    assert abs(d.x_train.shape[0] - 1000) <= 5 and d.x_train.shape[1:] == (1, 28, 28)
    assert abs(d.x_test.shape[0] - 500) <= 5
    assert torch.bincount(d.y_train, minlength=10).min() >= 80
    # Normalize((0.1307,), (0.3081,)) of the raw pixels: roughly zero mean, unit SD
    assert abs(float(d.x_train.mean())) < 0.1 and abs(float(d.x_train.std()) - 1) < 0.1


def test_gaps_to_paper_and_lightest_weight_ratio():
    recs = [
        {
            "method": "adam-script",
            "metrics": {"test_acc": v},
            "extra": {"details": {"drawn_weights": [1.0] + [500.0] * 9}},
        }
        for v in (87.8, 89.8)
    ]
    rows = {r["method"]: r for r in M.gaps_to_paper(recs)}
    assert rows["Adam"]["script draw"] == pytest.approx(88.8 - 88.8)
    assert rows["Adam"]["paper draw"] is None
    assert M.lightest_weight_ratio(recs[0]) == pytest.approx(1 / 500)
