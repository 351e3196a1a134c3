"""A chapter's Hyperband row shared by workers (:mod:`mtbook.gan.hyperband_row`).

Two real worker processes run the same command, ``scripts/run_pix2pix.py --methods hyperband`` at
the smoke profile with ``MTADAM_SWEEP`` naming one SQLite file, each with its own results folder
and cache (two "machines"). The training is the chapter's own; a wrapper only logs each start
(trial folder, process) and waits a little, so that the second worker is up before the first one
has taken every trial.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from mtbook.core.records import normalize, pack
from mtbook.gan import hyperband_row as H

ROOT = Path(__file__).resolve().parent.parent
pytest.importorskip("optuna")

WORKER = """
import os, runpy, sys, time
from mtbook.experiments.pix2pix import run as R
real = R.train_one
def logged(*a, **kw):
    with open(os.environ["HB_LOG"], "a") as f:
        f.write(f"{a[6].name} {os.getpid()}\\n")  # the trial's checkpoint folder
    time.sleep(float(os.environ["HB_SLEEP"]))
    return real(*a, **kw)
R.train_one = logged
sys.argv = ["run_pix2pix.py", "--methods", "hyperband"]
runpy.run_path(sys.argv_script, run_name="__main__")
""".replace("sys.argv_script", repr(str(ROOT / "scripts" / "run_pix2pix.py")))


def _worker(tmp_path, db, machine):
    env = dict(os.environ)
    env.pop("MTADAM_ALLOW_DIRTY", None)
    env.update(
        PYTHONPATH=str(ROOT),
        MTADAM_PROFILE="smoke",
        MTADAM_SWEEP=db,
        MTADAM_RESULTS=str(tmp_path / machine / "results"),
        MTADAM_CACHE=str(tmp_path / machine / "cache"),
        MTADAM_DATA=os.environ.get("MTADAM_DATA", str(ROOT.parent / "shared" / "data")),
        MTADAM_THREADS="1",
        OMP_NUM_THREADS="1",
        HB_LOG=str(tmp_path / "starts.log"),
        HB_SLEEP="3",
    )
    return subprocess.Popen(
        [sys.executable, "-c", WORKER],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _samples(path):
    with np.load(path) as f:
        return {k: f[k] for k in f.files}


def test_two_workers_share_a_pix2pix_hyperband_row_and_write_the_same_record(tmp_path):
    import optuna

    from mtbook.core import sweeps
    from mtbook.experiments import pix2pix as P

    db = f"sqlite:///{tmp_path / 'sweep.db'}"
    procs = [_worker(tmp_path, db, m) for m in ("m1", "m2")]
    outs = [p.communicate(timeout=600)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    n = P.CONFIG["smoke"]["hb_trials"]
    starts = [line.split() for line in (tmp_path / "starts.log").read_text().splitlines()]
    assert sorted(folder[:8] for folder, _ in starts) == [f"trial{i:03d}" for i in range(n)]
    assert len({pid for _, pid in starts}) == 2  # both workers trained trials, each trial once
    storage = sweeps.open_storage(db)
    [name] = [
        s.study_name
        for s in optuna.get_all_study_summaries(storage)
        if s.study_name.startswith("hyperband-pix2pix-smoke-seed0-")
    ]
    study = optuna.load_study(study_name=name, storage=storage)
    assert len(study.trials) == n and len({t.user_attrs["worker"] for t in study.trials}) == 2
    complete = [t for t in study.trials if t.state.name == "COMPLETE"]
    best = min(complete, key=lambda t: t.value)
    # one record, byte for byte on both machines, of the best trial whichever worker ran it
    m1, m2 = (tmp_path / m / "results" / "smoke" / "pix2pix" for m in ("m1", "m2"))
    text = (m1 / "hyperband__seed0.json").read_text()
    assert (m2 / "hyperband__seed0.json").read_text() == text
    rec = json.loads(text)
    assert rec["metrics"]["chosen_lambda2"] == best.params["lam"]
    assert rec["metrics"]["best_trial"] == best.user_attrs["index"]
    assert [t["state"] for t in rec["extra"]["trials"]] == [
        t.state.name for t in sorted(study.trials, key=lambda t: t.user_attrs["index"])
    ]
    stored = H.from_json(best.user_attrs["result"]["full"])
    assert rec["metrics"]["L1"] == pytest.approx(stored["test"]["L1"])
    # the best trial's samples, on both machines
    s1, s2 = (_samples(m / "samples" / "hyperband__seed0.npz") for m in (m1, m2))
    assert sorted(s1) == ["input", "output", "target"] and sorted(s2) == sorted(s1)
    for k in s1:
        assert s1[k].dtype == np.uint8 and np.array_equal(s1[k], s2[k])
        assert np.array_equal(s1[k], stored["samples"][k])


def test_one_process_with_a_storage_gives_the_row_of_the_in_memory_search(tmp_path, monkeypatch):
    from mtbook.experiments import pix2pix as P
    from mtbook.experiments.pix2pix import run as R

    monkeypatch.delenv("MTADAM_SWEEP", raising=False)
    monkeypatch.setenv("MTADAM_RESULTS", str(tmp_path / "results"))
    monkeypatch.setenv("MTADAM_CACHE", str(tmp_path / "cache-memory"))
    cfg = P.config("smoke")
    data = P.load_data(cfg)
    memory = R.run_hyperband(cfg, data, 0, "smoke")
    path = R.samples_path("smoke", "hyperband", 0)
    memory_samples = _samples(path)
    path.unlink()
    # another cache: no trial checkpoint to resume from, every trial trains again
    monkeypatch.setenv("MTADAM_CACHE", str(tmp_path / "cache-db"))
    shared = R.run_hyperband(cfg, data, 0, "smoke", sweep=f"sqlite:///{tmp_path / 'hb.db'}")
    assert shared["metrics"]["chosen_lambda2"] == memory["metrics"]["chosen_lambda2"]
    assert normalize(shared["metrics"]) == normalize(memory["metrics"])
    assert normalize(shared["extra"]) == normalize(memory["extra"])
    untimed = lambda c: {k: v for k, v in c.items() if k != "epoch_time"}  # noqa: E731
    assert pack(normalize(untimed(shared["curves"]))) == pack(normalize(untimed(memory["curves"])))
    db_samples = _samples(path)
    assert all(np.array_equal(db_samples[k], memory_samples[k]) for k in memory_samples)


def test_a_trials_output_goes_through_json_whole():
    rng = np.random.default_rng(0)
    res = dict(
        test={"L1": np.float32(3.25), "FID": None},
        curves={"loss": rng.normal(size=300).tolist(), "val": [{"L1": 1.5}], "names": ["a"]},
        samples={"input": rng.integers(0, 255, (2, 4, 4, 3), dtype=np.uint8)},
        crops=rng.normal(size=(2, 3)).astype(np.float32),
        steps=4,
    )
    stored = json.loads(json.dumps(H.to_json(res)))  # what the database gives back
    back = H.from_json(stored)
    assert back["samples"]["input"].dtype == np.uint8
    assert np.array_equal(back["samples"]["input"], res["samples"]["input"])
    assert back["crops"].dtype == np.float32 and np.array_equal(back["crops"], res["crops"])
    assert back["test"] == {"L1": 3.25, "FID": None} and back["steps"] == 4
    # the curves as a record stores them (float32 per-step lists), short lists exactly
    assert pack(normalize(back["curves"])) == pack(normalize(res["curves"]))
    assert back["curves"]["val"] == [{"L1": 1.5}] and back["curves"]["names"] == ["a"]


def test_the_study_name_follows_the_rows_config():
    row = dict(lr=2e-4, lambdas=(100.0, "searched"))
    name = H.study_name("pix2pix", "smoke", 0, row)
    assert name.startswith("hyperband-pix2pix-smoke-seed0-")
    assert H.study_name("pix2pix", "smoke", 0, dict(lr=2e-4, lambdas=[100.0, "searched"])) == name
    assert H.study_name("pix2pix", "smoke", 0, dict(row, lr=1e-4)) != name
    assert H.study_name("pix2pix", "smoke", 1, row) != name
    assert H.study_name("pix2pix", "cpu", 0, row) != name


def _curve(lam, number, report):
    quality = (np.log10(lam) - 1.0) ** 2
    for epoch in range(1, 28):
        value = quality + 1.0 / epoch
        report(epoch, value)
    return dict(value=value, lam=lam)


def test_a_study_under_another_name_keeps_the_brackets_and_trials_of_the_in_memory_search(
    tmp_path,
):
    from mtbook.core.hyperband import search

    kw = dict(n_trials=20, max_epochs=27, seed=2)  # four brackets
    memory = search(_curve, **kw)
    named = search(_curve, **kw, storage=f"sqlite:///{tmp_path}/a.db", study_name="row-xyz")
    keys = ("number", "lam", "state", "values")
    assert [[t[k] for k in keys] for t in named["trials"]] == [
        [t[k] for k in keys] for t in memory["trials"]
    ]
    assert len({t["epochs"] for t in memory["trials"]}) > 2  # pruned at several rungs
    # (with Optuna's own brackets, from "<study name>_<trial number>", the trials differ here)


def test_a_grid_worker_that_took_no_part_in_a_shared_row_writes_its_files_from_the_database(
    tmp_path, monkeypatch
):
    from mtbook.core.hyperband import search
    from mtbook.core.runs import run_grid

    db = f"sqlite:///{tmp_path / 'grid.db'}"
    trained = []

    def run(job, bar):
        if job["method"] != "row":
            return {"metrics": {"v": 1}}

        def train(lam, slot, report):
            trained.append(slot)
            return _curve(lam, slot, report)

        out = search(train, n_trials=6, max_epochs=9, seed=0, storage=job["sweep"], study_name="r")
        files = Path(os.environ["MTADAM_RESULTS"]) / "row-samples.json"  # a file beside a record
        files.parent.mkdir(parents=True, exist_ok=True)
        files.write_text(json.dumps(out["best"]["result"]))
        return {"metrics": {"lam": out["best"]["lam"]}}

    jobs = [dict(experiment="toyrow", method=m, seed=0, config={"m": m}) for m in ("a", "row")]
    kw = dict(desc="t", profile="smoke", verbose=False, sweep=db)
    recs = {}
    for machine in ("m1", "m2"):  # m2 comes when the grid is done: it ran and joined nothing
        monkeypatch.setenv("MTADAM_RESULTS", str(tmp_path / machine))
        recs[machine] = run_grid(jobs, run, shared=lambda j: j["method"] == "row", **kw)
    assert sorted(trained) == list(range(6))  # the row's trials ran once, all on m1
    assert recs["m2"][1]["metrics"] == recs["m1"][1]["metrics"]
    files = [(tmp_path / m / "row-samples.json").read_text() for m in ("m1", "m2")]
    assert files[0] == files[1]
    # without shared=, m3 gets the record but not the files beside it
    monkeypatch.setenv("MTADAM_RESULTS", str(tmp_path / "m3"))
    run_grid(jobs, run, **kw)
    assert not (tmp_path / "m3" / "row-samples.json").exists() and sorted(trained) == list(range(6))
