"""Dry runs of the ``full`` profile on the CPU, at full size, two steps each.

No GPU is lent to this project, so ``full`` has never run here. These tests make sure that it at
least *starts, trains, evaluates and writes its records* without a shape error, a missing key or a
NaN, so that the first GPU hour is not lost to a typo. For every experiment with a
``CONFIG["full"]`` a test

* takes the real ``config("full")`` and builds the models at full size (pix2pix: 256 px U-Net-256
  with ngf 64 = 54.414 M parameters, the 70x70 PatchGAN with ndf 64 = 2.769 M, batch 1; MNIST: the
  PyTorch example's ``MnistNet``);
* calls the experiment's own record-producing function (``run_all``, which calls ``run_grid`` ->
  ``run_or_load`` -> ``save_record``) with only the *length* of training shrunk, by wrapping the
  function that trains one run: it receives the full config (asserted) and trains with
  :func:`mtbook.core.dryrun.shrink` applied to it. pix2pix: ``epochs=1, epochs_decay=1`` on one
  real facades image (two steps, the second in the linear-decay phase at half the rate) with two
  validation and two test images at 256 px, everything else as ``full`` (jitter, batch 1,
  train-mode test images with ``test_batch_size=1``, FID per epoch). MNIST: the real
  ``train_run`` with the full config on a two-batch (128 images) subset of real MNIST. Toy and
  derivation: their ``train`` with ``steps=2``. Grids are cut to the first seed
  (:func:`mtbook.core.dryrun.limit_jobs`);
* covers every optimizer row: pix2pix's first row per distinct generator optimizer (SGD, RMSProp,
  Adam, MTAdam), MNIST's seven methods under both weight draws, the toy's three objectives and extra
  learning rates, the derivation bench with MTAdam and Adam;
* checks shapes, that every loss / metric / curve value is finite (FID may be ``None``: see below),
  that every parameter changed, and that the record was written into a temporary results directory
  (``MTADAM_RESULTS``, ``MTADAM_ALLOW_DIRTY=1``) at profile ``full``: it is loaded back and its
  config is the full one (e.g. size 256, ngf 64, epochs 100 + 100) -- the config that ``jobs()`` /
  ``run_config()`` produce for ``full``, while the metrics are those of the two-step run (the
  records live in ``tmp_path`` only; nothing here is a result).

Hyperband at full: ``run_hyperband`` must ask :func:`mtbook.core.hyperband.search` for 40 trials
and 200 epochs; the test checks that request and runs the real search with 2 trials of one full-size
step each (a real Optuna study with the HyperbandPruner at ``max_resource=200``). FID: offline (no
Inception weights; the torch hub cache points into ``tmp_path``), ``fid_status()`` says unavailable,
and ``fid_per_epoch=True`` must still run: FID is recorded as ``None`` with the reason, and
Hyperband's objective falls back to validation L1. The maps -> aerial config is checked without
downloading: config, jobs, full-size models and the loader dispatch (``load_maps`` stubbed).

Select with ``pytest -m dryrun``; one CPU thread; about a minute in all (``--durations=10``).

To add an experiment (SRGAN, CycleGAN): write ``dry_<name>(case, results, monkeypatch)`` and add one
entry to :data:`DRYRUNS`; :func:`test_every_full_config_has_a_dry_run` fails while an experiment
package with a ``CONFIG["full"]`` has none.
"""

from __future__ import annotations

import importlib
import importlib.util
import math
import os
import pkgutil
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import pytest
import torch

from mtbook.core import dryrun
from mtbook.core.metrics import fid_status
from mtbook.core.records import load_record, load_records, normalize, record_path

pytestmark = pytest.mark.dryrun
HAS_DATA = bool(os.environ.get("MTADAM_DATA"))
SEED = 0


# ------------------------------------------------------------------------------ shared pieces


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture
def results(tmp_path, monkeypatch):
    """Records, cache and torch hub in ``tmp_path``; FID unavailable, as offline."""
    root = dryrun.full_profile_env(monkeypatch, tmp_path)
    assert fid_status()[0] is False, fid_status()[1]
    return root


def check_record(
    rec: dict, results, experiment: str, method: str, seed: int = SEED, allow_none=()
) -> dict:
    """The record as stored (loaded back from disk), checked for profile, place and finiteness."""
    path = record_path(experiment, method, seed, "full")
    assert path.is_file() and path.is_relative_to(results / "full" / experiment), path
    stored = load_record(path)
    for k in ("config", "metrics", "seed", "method", "experiment"):
        assert stored[k] == rec[k], k
    assert stored["profile"] == "full"
    assert stored["device"] == ("cuda" if torch.cuda.is_available() else "cpu")
    assert isinstance(stored["override_dirty"], bool)
    assert not dryrun.non_finite(stored["metrics"], allow_none=allow_none)
    assert not dryrun.non_finite(stored["curves"], allow_none=allow_none)
    return stored


_CACHE: dict = {}


def cached(key, make):
    if key not in _CACHE:
        _CACHE[key] = make()
    return _CACHE[key]


# ------------------------------------------------------------------------------ toy


def dry_toy(case, results, monkeypatch):
    from mtbook.experiments.toy import run as T

    full = T.config("full")
    real, asked = T.train, []

    def two_steps(objective, a, b, *, steps, **kw):
        asked.append(steps)
        return real(objective, a, b, steps=2, **kw)

    monkeypatch.setattr(T, "train", two_steps)
    out = T.run_all(profile="full", verbose=False)
    n = (full["draws"] + 1 + len(full["lrs"])) * len(T.OBJECTIVES)
    assert asked == [full["steps"]] * n
    assert set(out["main"]) == set(T.OBJECTIVES) and len(out["draws"]) == full["draws"]
    assert len(load_records("toy", "full")) == n
    for rec in load_records("toy", "full"):
        stored = check_record(rec, results, "toy", rec["method"], rec["seed"])
        assert (stored["config"]["steps"], stored["config"]["batch_size"]) == (10000, 64)
        assert stored["curves"]["step"] == [1]  # every 10 steps and the first
        assert stored["metrics"]["W"] != [0.0, 0.0]  # W starts at 0


# ------------------------------------------------------------------------------ derivation


def _mtadam_step():
    from mtadam import MTAdam

    holder = {}

    def step(params, grads, lr):
        if "opt" not in holder:
            holder["opt"] = MTAdam(params, lr=lr)
        holder["opt"].step(grads=grads)

    return step


def _adam_sum_step():
    holder = {}

    def step(params, grads, lr):
        if "opt" not in holder:
            holder["opt"] = torch.optim.Adam(params, lr=lr)
        for p, *g in zip(params, *grads):
            p.grad = sum(g)
        holder["opt"].step()

    return step


def dry_derivation(case, results, monkeypatch):
    from mtbook.experiments.derivation import bench as B

    full = B.config("full")
    real, asked = B.train, []

    def two_steps(step, c, *, steps, **kw):
        asked.append(steps)
        return real(step, c, steps=2, **kw)

    monkeypatch.setattr(B, "train", two_steps)
    for name, make, c in (("dry-mtadam", _mtadam_step, 100.0), ("dry-adam", _adam_sum_step, 100.0)):
        rec = B.recorded_run(name, make, c, profile="full")
        stored = check_record(rec, results, "derivation", f"{name}-c{c:g}")
        assert stored["config"]["steps"] == full["steps"] == 5000
        assert stored["config"]["dtype"] == "float64"
        traj = rec["trajectory"]
        assert traj.shape == (2, 2) and traj.dtype == torch.float64
        assert (traj[-1] != 0).all() and torch.isfinite(traj).all()  # both layers moved from 0
    assert asked == [full["steps"]] * 2
    B.save_comparison("dry-comparison", dict(gap=1.5), dict(full, c=100.0), profile="full")
    comparison = load_record(record_path("derivation", "dry-comparison", 0, "full"))
    assert comparison["metrics"] == {"gap": 1.5} and comparison["config"]["steps"] == 5000


# ------------------------------------------------------------------------------ MNIST


def _mnist_two_batches():
    from mtbook.experiments import mnist as M

    d = M.load_mnist(train_size=256, test_size=100)  # 100 test images: 10 per digit
    bs = M.config("full")["batch_size"]
    return M.MNISTData(d.x_train[: 2 * bs], d.y_train[: 2 * bs], d.x_test, d.y_test)


def dry_mnist(case, results, monkeypatch):
    from mtbook.experiments import mnist as M
    from mtbook.experiments.mnist import run as R

    full = M.config("full")
    assert full["train_size"] is None and full["batch_size"] == 64 and len(full["seeds"]) == 100
    data = cached("mnist", _mnist_two_batches)
    grid, nets, real_net = [], [], R.MnistNet

    def net():
        m = real_net()
        nets.append((m, dryrun.snapshot(m)))
        return m

    monkeypatch.setattr(R, "MnistNet", net)
    first_seed = dryrun.limit_jobs(R.run_grid, lambda j: j["seed"] == SEED, grid)
    monkeypatch.setattr(R, "run_grid", first_seed)
    recs = M.run_all(profile="full", data=data, verbose=False)
    per_seed = len(R.jobs(dict(full, seeds=[SEED])))
    assert len(grid) == 100 * per_seed and len(recs) == per_seed == len(nets)
    assert {r["config"]["optimizer"] for r in recs} == {"sgd", "rmsprop", "adam", "mtadam"}
    for rec, (model, snap) in zip(recs, nets):
        stored = check_record(rec, results, "mnist", rec["method"])
        assert stored["config"]["profile_config"] == normalize(full)
        d = stored["extra"]["details"]
        assert (d["steps"], d["steps_per_epoch"], d["train_size"]) == (2, 2, 128)
        assert (d["batch_size"], d["evals"], d["epochs"]) == (64, 10, 1)
        m = stored["metrics"]
        assert 0 <= m["test_acc"] <= 100 and len(m["per_class_acc"]) == 10
        assert m["diverged"] is False
        c = stored["curves"]
        assert c["eval_step"] == [1, 2] and c["train_step"] == [1]
        assert len(c["train_terms"][0]) == 10
        if rec["config"]["optimizer"] == "mtadam":
            assert np.shape(c["ew_fc2"]) == (1, 10)
        assert dryrun.unchanged_params([model], snap) == [], rec["method"]


def dry_mnist_variants(case, results, monkeypatch):
    """Chapter 7's ablation variants and chapter 10's balancer rows of the MNIST bench at the full
    settings: one seed, one draw, two steps each, through the chapter's runner."""
    from mtbook.experiments import mnist as M
    from mtbook.experiments.mnist import run as R

    full = M.config("full")
    data = cached("mnist", _mnist_two_batches)
    methods = [*M.ABLATION_METHODS, *M.BALANCER_METHODS]
    grid = []
    first = dryrun.limit_jobs(R.run_grid, lambda j: j["seed"] == SEED, grid)
    monkeypatch.setattr(R, "run_grid", first)
    draw = list(M.DRAWS)[0]
    recs = M.run_all(profile="full", methods=methods, draws=[draw], data=data, verbose=False)
    assert len(recs) == len(methods) and len(grid) == len(methods) * len(full["seeds"])
    assert {r["config"]["method"] for r in recs} == set(methods)
    for rec in recs:
        stored = check_record(rec, results, "mnist", rec["method"])
        assert stored["extra"]["details"]["steps"] == 2, rec["method"]
        assert stored["metrics"]["diverged"] is False, rec["method"]
        assert 0 <= stored["metrics"]["test_acc"] <= 100


# ------------------------------------------------------------------------------ pix2pix

# pix2pix's printed sizes: "[Network G] Total number of parameters : 54.414 M", D: 2.769 M
PIX2PIX_FULL = dict(
    size=256,
    num_downs=8,
    ngf=64,
    ndf=64,
    n_layers=3,
    batch_size=1,
    epochs=100,
    epochs_decay=100,
    jitter=True,
    test_mode="train",
    test_batch_size=1,
    fid_per_epoch=True,
    hb_trials=40,
    lr=2e-4,
    gan_mode="vanilla",
    direction="BtoA",
)
PIX2PIX_PARAMS_M = (54.414, 2.769)
# one train image, two epochs (one step each; the second in the decay phase), two val / test images
PIX2PIX_DRY = dict(epochs=1, epochs_decay=1, train_limit=1, val_limit=2, test_limit=2)
PIX2PIX_HB_DRY = dict(epochs=1, epochs_decay=0, train_limit=1, val_limit=2, test_limit=2)


def _pix2pix_variants() -> list[str]:
    """Chapter 7's ablation variants and chapter 10's balancer rows on pix2pix (full size too)."""
    from mtbook.experiments.pix2pix import ABLATION_METHODS, BALANCER_METHODS

    return [*ABLATION_METHODS, *BALANCER_METHODS]


def _pix2pix_rows() -> list[str]:
    """The first row of every distinct generator optimizer (Hyperband: its own case)."""
    from mtbook.experiments.pix2pix import METHODS

    rows = {}
    for m, spec in METHODS.items():
        if spec["lambdas"][1] is not None:
            rows.setdefault(spec["optimizer"], m)
    return list(rows.values())


def _facades():
    from mtbook.experiments import pix2pix as P

    return P.load_data(dryrun.shrink(P.config("full"), train_limit=1, val_limit=2, test_limit=2))


def _check_full_pix2pix(cfg: dict):
    assert {k: cfg[k] for k in PIX2PIX_FULL} == PIX2PIX_FULL


def _patch_pix2pix(monkeypatch, full: dict, dry: dict, checkpoints: bool = False) -> dict:
    """run.load_data -> the real loader's small facades data; run.train_one gets the full config
    (asserted) and trains with ``dry`` applied (and no checkpoints unless ``checkpoints``: at full
    size one costs seconds); run.build_models keeps the models and a snapshot."""
    from mtbook.experiments.pix2pix import run as R

    data = cached("facades", _facades)
    log = dict(train=[], models=[])

    def load_data(cfg):
        assert cfg == full
        return data

    real_train, real_build = R.train_one, R.build_models

    def train_one(
        optimizer,
        lambdas,
        beta1,
        cfg,
        data,
        seed,
        ckpt_dir,
        progress=None,
        epoch_callback=None,
        device=None,
        **switches,  # mtadam= (ablation variants), balancer= (chapter 10): passed through
    ):
        assert cfg == full, "run_all must hand the full config to train_one"
        log["train"].append(
            dict(optimizer=optimizer, lambdas=[float(v) for v in lambdas], beta1=beta1)
        )
        log["ckpt"] = ckpt_dir
        return real_train(
            optimizer,
            lambdas,
            beta1,
            dryrun.shrink(cfg, **dry),
            data,
            seed,
            ckpt_dir if checkpoints else None,
            progress,
            epoch_callback,
            device,
            **switches,
        )

    def build_models(cfg, seed):
        G, D = real_build(cfg, seed)
        log["models"].append((G, D, dryrun.snapshot(G, D)))
        return G, D

    monkeypatch.setattr(R, "load_data", load_data)
    monkeypatch.setattr(R, "train_one", train_one)
    monkeypatch.setattr(R, "build_models", build_models)
    return log


def _check_pix2pix_metrics(metrics: dict):
    assert not dryrun.non_finite(metrics, allow_none=("FID",))
    assert metrics["FID"] is None and metrics["FID_note"] == fid_status()[1]
    assert 0 <= metrics["L1"] <= 255 and metrics["NMSE"] > 0


def _check_models(log: dict, n_runs: int):
    assert len(log["models"]) == n_runs
    for G, D, snap in log["models"]:
        n_g, n_d = (sum(p.numel() for p in m.parameters()) for m in (G, D))
        assert (round(n_g / 1e6, 3), round(n_d / 1e6, 3)) == PIX2PIX_PARAMS_M
        assert dryrun.unchanged_params([G, D], snap) == []
    log["models"].clear()  # 230 MB of snapshots per run


def dry_pix2pix(case, results, monkeypatch):
    if case == "hyperband":
        return _dry_pix2pix_hyperband(results, monkeypatch)
    if case == "maps":
        return _dry_pix2pix_maps(results, monkeypatch)
    from mtbook.experiments import pix2pix as P
    from mtbook.experiments.pix2pix import run as R

    full = P.config("full")
    _check_full_pix2pix(full)
    spec = P.method_spec(case)  # a Table 4 row, an ablation variant or a balancer row
    checkpoints = case in P.METHODS and spec["optimizer"] == "mtadam"  # the largest state
    log = _patch_pix2pix(monkeypatch, full, PIX2PIX_DRY, checkpoints)
    import mtbook.gan.loop as loop

    saved = []  # (name, size) of every checkpoint file when it is written

    def save_and_log(ckpt_dir, epoch, *args, **kwargs):
        save_checkpoint(ckpt_dir, epoch, *args, **kwargs)
        saved.append([(p.name, p.stat().st_size) for p in sorted(ckpt_dir.iterdir())])

    save_checkpoint = loop.save_checkpoint
    monkeypatch.setattr(loop, "save_checkpoint", save_and_log)
    [rec] = P.run_all(profile="full", methods=[case], verbose=False)
    assert log["train"] == [
        dict(optimizer=spec["optimizer"], lambdas=list(spec["lambdas"]), beta1=spec["beta1"])
    ]
    stored = check_record(rec, results, "pix2pix", case, allow_none=("FID",))
    assert stored["config"] == normalize(R.run_config(case, full))
    _check_full_pix2pix(stored["config"])
    assert stored["config"]["generator_optimizer"]["name"] == spec["optimizer"]
    m, c = stored["metrics"], stored["curves"]
    _check_pix2pix_metrics(m)
    assert m["steps"] == 2 and m["diverged"] is False
    assert c["epoch"] == [1, 2]
    assert c["lr"] == pytest.approx([2e-4, 1e-4])  # linear decay, epoch 2 of 1 + 1: 1 - 1/2
    assert len(c["val"]) == 2 and all(v["FID"] is None for v in c["val"])
    assert c["train_step"] == [1] and np.shape(c["train_terms"]) == (1, 2)
    if spec["optimizer"] == "mtadam":
        assert np.shape(c["ew"]) == (1, 2, len(c["layer_names"]))
    assert stored["extra"]["fid_status"] == fid_status()[1]
    samples = np.load(R.samples_path("full", case, SEED))
    for k in ("input", "output", "target"):
        assert samples[k].shape == (2, 256, 256, 3) and samples[k].dtype == np.uint8
    G, D, _ = log["models"][0]
    x = cached("facades", _facades)["val"][0][:1]
    with torch.no_grad():
        y = G.eval()(x)
        assert y.shape == (1, 3, 256, 256) and y.abs().max() <= 1
        assert D.eval()(x, y).shape == (1, 1, 30, 30)  # the 30x30 grid of 70x70 patches
    _check_models(log, 1)
    assert log["ckpt"].is_relative_to(results.parent / "cache" / "checkpoints" / "full" / "pix2pix")
    if checkpoints:  # the latest epoch's only; G and D alone are 57 M float32
        assert [[name for name, _ in files] for files in saved] == [
            ["epoch_0001.pt"],
            ["epoch_0002.pt"],
        ]
        assert saved[-1][0][1] > 4 * 57e6
    # at full a checkpoint is ~1 GB: deleted once the record is written (keep_checkpoints=False)
    assert not log["ckpt"].exists()


def _dry_pix2pix_hyperband(results, monkeypatch):
    from mtbook.experiments import pix2pix as P
    from mtbook.experiments.pix2pix import run as R

    full = P.config("full")
    log = _patch_pix2pix(monkeypatch, full, PIX2PIX_HB_DRY)
    real_search, asked = R.search, []

    def two_trials(train_fn, *, n_trials, max_epochs, **kw):
        asked.append(dict(n_trials=n_trials, max_epochs=max_epochs, **kw))
        return real_search(train_fn, n_trials=2, max_epochs=max_epochs, **kw)

    monkeypatch.setattr(R, "search", two_trials)
    [rec] = P.run_all(profile="full", methods=["hyperband"], verbose=False)
    assert asked == [dict(n_trials=40, max_epochs=200, seed=SEED)]
    stored = check_record(
        rec, results, "pix2pix", "hyperband", allow_none=("FID", "result", "test")
    )
    cfg = stored["config"]
    _check_full_pix2pix(cfg)
    assert cfg["objective"] == "val L1" and cfg["lambda_range"] == [1e-4, 1e4]  # no FID offline
    settings = stored["extra"]["settings"]
    assert (settings["max_epochs"], settings["n_trials"], settings["n_brackets"]) == (200, 2, 5)
    trials = stored["extra"]["trials"]
    assert len(trials) == 2 and any(t["state"] == "COMPLETE" for t in trials)
    assert all(t["epochs"] == 1 and math.isfinite(t["values"][0]) for t in trials)
    m = stored["metrics"]
    _check_pix2pix_metrics(
        {k: v for k, v in m.items() if k not in ("chosen_lambda2", "best_trial")}
    )
    assert 1e-4 <= m["chosen_lambda2"] <= 1e4 and m["best_trial"] in (0, 1) and m["steps"] == 1
    assert [t["optimizer"] for t in log["train"]] == ["adam", "adam"]
    assert [t["lambdas"][0] for t in log["train"]] == [100.0, 100.0]
    _check_models(log, 2)


def _dry_pix2pix_maps(results, monkeypatch):
    """maps -> aerial at full, not downloaded: config, jobs, models and the loader dispatch."""
    from mtbook.experiments import pix2pix as P
    from mtbook.experiments.pix2pix import model as PM
    from mtbook.experiments.pix2pix import run as R

    cfg = P.config("full", "maps")
    _check_full_pix2pix(cfg)
    assert cfg["dataset"] == "maps" and P.experiment_name(cfg) == "pix2pix-maps"
    with pytest.raises(ValueError, match="full profile only"):
        P.config("cpu", "maps")
    calls = []

    def load_maps(split, size, limit, direction):
        calls.append((split, size, limit, direction))
        x = torch.rand(2, 3, size, size) * 2 - 1
        return x, x.flip(1)

    def no_facades(*a, **k):
        raise AssertionError("the maps config loaded facades")

    monkeypatch.setattr(PM, "load_maps", load_maps)
    monkeypatch.setattr(PM, "load_facades", no_facades)
    data = P.load_data(cfg)
    assert calls == [(s, 256, None, "BtoA") for s in ("train", "val", "test")]
    jobs = R.jobs(cfg)
    assert [j["method"] for j in jobs] == list(P.METHODS)
    for j in jobs:
        assert j["experiment"] == "pix2pix-maps" and j["config"]["task"] == "maps -> aerial (BtoA)"
        _check_full_pix2pix(j["config"])
    G, D = P.build_models(cfg, SEED)
    n_g, n_d = (sum(p.numel() for p in m.parameters()) for m in (G, D))
    assert (round(n_g / 1e6, 3), round(n_d / 1e6, 3)) == PIX2PIX_PARAMS_M
    setup = P.make_setup(G, D, data, cfg)
    batches = list(setup.batches(torch.Generator().manual_seed(0)))
    assert len(batches) == 2  # batch 1
    assert batches[0]["x"].shape == (1, 3, 256, 256)  # jitter: 286 px, cropped back to 256


# ------------------------------------------------------------------------------ the registry


@dataclass(frozen=True)
class Dry:
    package: str  # the experiment package whose CONFIG["full"] this covers
    run: Callable  # run(case, results_root, monkeypatch)
    cases: tuple = ("all",)
    data: bool = False  # needs the real datasets (MTADAM_DATA)


DRYRUNS = {
    "toy": Dry("mtbook.experiments.toy", dry_toy),
    "derivation": Dry("mtbook.experiments.derivation", dry_derivation),
    "mnist": Dry("mtbook.experiments.mnist", dry_mnist, data=True),
    "pix2pix": Dry(
        "mtbook.experiments.pix2pix",
        dry_pix2pix,
        cases=(*_pix2pix_rows(), "hyperband", "maps", *_pix2pix_variants()),
        data=True,
    ),
    "mnist-variants": Dry("mtbook.experiments.mnist", dry_mnist_variants, data=True),
}
NO_DATA = pytest.mark.skipif(not HAS_DATA, reason="MTADAM_DATA not set (real datasets)")
CASES = [
    pytest.param(name, case, id=f"{name}-{case}", marks=[NO_DATA] if d.data else [])
    for name, d in DRYRUNS.items()
    for case in d.cases
]


@pytest.mark.parametrize("name, case", CASES)
def test_full_dryrun(name, case, results, monkeypatch):
    DRYRUNS[name].run(case, results, monkeypatch)


def test_pix2pix_rows_cover_every_generator_optimizer():
    from mtbook.experiments.pix2pix import METHODS

    rows = _pix2pix_rows()
    assert {METHODS[m]["optimizer"] for m in rows} == {s["optimizer"] for s in METHODS.values()}
    assert "mtadam" in {METHODS[m]["optimizer"] for m in rows}


# Experiments whose full-size dry run lives in their own test module (a test whose name contains
# "full" and "dry"); the check below verifies that such a test exists there.
DRYRUNS_ELSEWHERE = {
    "mtbook.experiments.srgan": "tests/test_srgan.py",
    "mtbook.experiments.cyclegan": "tests/test_cyclegan.py",
    "mtbook.experiments.bert": "tests/test_bert.py",
    "mtbook.experiments.balancers": "tests/test_balancers_full.py",
}


def _has_own_dry_run(package: str) -> bool:
    path = Path(__file__).resolve().parent.parent / DRYRUNS_ELSEWHERE.get(package, "-")
    return path.is_file() and any(
        line.startswith("def test_") and "full" in line and "dry" in line
        for line in path.read_text().splitlines()
    )


def test_every_full_config_has_a_dry_run():
    import mtbook.experiments as E

    covered = {d.package for d in DRYRUNS.values()}
    covered |= {p for p in DRYRUNS_ELSEWHERE if _has_own_dry_run(p)}
    missing = []
    for info in pkgutil.iter_modules(E.__path__):
        if not info.ispkg:
            continue
        pkg = importlib.import_module(f"{E.__name__}.{info.name}")
        configs = getattr(pkg, "CONFIG", None)
        if configs is None and importlib.util.find_spec(f"{pkg.__name__}.spec") is not None:
            configs = getattr(importlib.import_module(f"{pkg.__name__}.spec"), "CONFIG", None)
        if isinstance(configs, dict) and "full" in configs and pkg.__name__ not in covered:
            missing.append(pkg.__name__)
    assert not missing, (
        f"{', '.join(missing)} define(s) CONFIG['full'] but no dry run: add "
        f"one to DRYRUNS in tests/test_full_dryrun.py"
    )


def test_dryrun_helpers():
    assert dryrun.non_finite(
        {"a": [1.0, float("nan")], "b": {"FID": None, "c": None}, "s": "x"}, allow_none=("FID",)
    ) == ["a[1] (nan)", "b.c (None)"]
    with pytest.raises(KeyError, match="epoch"):
        dryrun.shrink({"epochs": 1}, epoch=2)
    net = torch.nn.Linear(2, 1)
    snap = dryrun.snapshot(net)
    with torch.no_grad():
        net.bias += 1
    assert dryrun.unchanged_params([net], snap) == ["0.weight"]
