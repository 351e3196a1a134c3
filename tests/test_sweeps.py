"""Sweeps across processes: Hyperband and run grids as Optuna studies in a database.

Worker processes are real subprocesses on one SQLite file (``python -m mtbook.core.sweep_cli`` and
``run_grid(sweep=...)``); the training is the cheap :func:`mtbook.core.sweep_cli.toy_train`, which
logs every start (slot, worker, first epoch) so that a trial run twice would show.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from mtbook.core import sweeps

ROOT = Path(__file__).resolve().parent.parent
pytest.importorskip("optuna")


def _env(tmp_path, **extra):
    env = dict(os.environ)
    env.update(
        PYTHONPATH=str(ROOT),
        MTADAM_CACHE=str(tmp_path / "cache"),
        MTADAM_PROFILE="smoke",
        OMP_NUM_THREADS="1",
        MTADAM_TOY_LOG=str(tmp_path / "starts.log"),
    )
    env.update({k: str(v) for k, v in extra.items()})
    return env


def _worker(tmp_path, db, study, *args, **env):
    cmd = [sys.executable, "-m", "mtbook.core.sweep_cli", "hyperband", "--storage", db]
    cmd += ["--study", study, "--train", "mtbook.core.sweep_cli:toy_train", *map(str, args)]
    return subprocess.Popen(
        cmd, env=_env(tmp_path, **env), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )


def _starts(tmp_path):
    lines = (tmp_path / "starts.log").read_text().split()
    return [(int(s), w, int(e)) for s, w, e in zip(lines[::3], lines[1::3], lines[2::3])]


def _text(path):
    try:
        return path.read_text()
    except FileNotFoundError:
        return ""


def _load(db, study):
    import optuna

    return optuna.load_study(study_name=study, storage=sweeps.open_storage(db))


# --------------------------------------------------------------------- two workers, one study


def test_two_worker_processes_share_one_hyperband_study_and_run_each_trial_once(tmp_path):
    db = f"sqlite:///{tmp_path / 'sweep.db'}"
    n = 8
    args = ("--trials", n, "--max-epochs", 4, "--seed", 3, "--heartbeat", 1, "--poll", 0.2)
    env = dict(MTADAM_TOY_SLEEP=0.1, MTADAM_TOY_EPOCHS=4)
    procs = [_worker(tmp_path, db, "hb", *args, **env) for _ in range(2)]
    outs = [p.communicate(timeout=120)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    starts = _starts(tmp_path)
    slots = sorted(s for s, _, _ in starts)
    assert slots == list(range(n))  # every trial ran, none twice
    assert len({w for _, w, _ in starts}) == 2  # both workers took trials
    study = _load(db, "hb")
    assert len(study.trials) == n  # no extra trial was created by a worker asking for more
    assert {t.state.name for t in study.trials} <= {"COMPLETE", "PRUNED"}
    # the lambdas are the seed's, in slot order, whatever worker ran them
    lams = [t.params["lam"] for t in sorted(study.trials, key=lambda t: t.user_attrs["index"])]
    assert lams == sweeps.presample_lambdas(n, 3, 1e-4, 1e4)
    complete = [t for t in study.trials if t.state.name == "COMPLETE"]
    assert all(t.user_attrs["result"]["value"] == t.value for t in complete)  # written per trial


def test_a_killed_workers_trial_is_retried_by_another_worker_and_resumes(tmp_path):
    db = f"sqlite:///{tmp_path / 'sweep.db'}"
    # no pruning (the first rung, epoch 50, is never reached): every trial must complete
    args = ("--trials", 5, "--max-epochs", 100, "--min-epochs", 50, "--heartbeat", 1)
    args += ("--grace", 3, "--poll", 0.2)
    slow = _worker(tmp_path, db, "hb", *args, MTADAM_TOY_SLEEP=0.4, MTADAM_TOY_EPOCHS=6)
    ckpt = tmp_path / "cache" / "sweeps" / "toy"
    deadline = time.time() + 60
    while not any('"epoch": 2' in _text(p) for p in ckpt.glob("*.json")):
        assert time.time() < deadline and slow.poll() is None, "the first worker never got going"
        time.sleep(0.05)
    slow.send_signal(signal.SIGKILL)  # mid-trial: no chance to clean up
    slow.wait()
    other = _worker(tmp_path, db, "hb", *args, MTADAM_TOY_SLEEP=0.02, MTADAM_TOY_EPOCHS=6)
    out = other.communicate(timeout=120)[0]
    assert other.returncode == 0, out
    study = _load(db, "hb")
    final = sweeps.final_trials(study)
    assert sorted(final) == list(range(5))
    assert {t.state.name for t in final.values()} == {"COMPLETE"}
    killed = [t for t in study.trials if t.state.name == "FAIL"]
    assert len(killed) == 1  # failed by the survivor once its heartbeat stopped
    slot = killed[0].user_attrs["index"]
    retry = final[slot]
    assert retry.system_attrs["failed_trial"] == killed[0].number
    assert (
        retry.params == killed[0].params
        and retry.user_attrs["worker"] != killed[0].user_attrs["worker"]
    )
    assert retry.user_attrs["result"]["resumed_from"] >= 2  # from the dead worker's checkpoint
    starts = _starts(tmp_path)
    assert sorted(s for s, _, _ in starts) == sorted([*range(5), slot])  # only it ran twice
    assert [e for s, _, e in starts if s == slot][1] >= 3


# ------------------------------------------------------------- one process: same as in memory


def _curve(lam, number, report):
    quality = (np.log10(lam) - 1.0) ** 2
    for epoch in range(1, 10):
        value = quality + 1.0 / epoch
        report(epoch, value)
    return dict(value=value, lam=lam)


def test_one_worker_on_a_database_gives_the_in_memory_search(tmp_path):
    from mtbook.core.hyperband import search

    memory = search(_curve, n_trials=10, max_epochs=9, seed=1)
    db = search(_curve, n_trials=10, max_epochs=9, seed=1, storage=f"sqlite:///{tmp_path}/a.db")
    keys = ("number", "lam", "state", "values")
    assert [[t[k] for k in keys] for t in db["trials"]] == [
        [t[k] for k in keys] for t in memory["trials"]
    ]
    assert any(t["state"] == "PRUNED" for t in memory["trials"])
    assert db["best"]["number"] == memory["best"]["number"]
    # joining the finished study again trains nothing and returns the same trials
    again = search(
        lambda *a: pytest.fail("trained again"),
        n_trials=10,
        max_epochs=9,
        seed=1,
        storage=f"sqlite:///{tmp_path}/a.db",
    )
    assert again["best"]["lam"] == db["best"]["lam"]
    assert again["best"]["result"]["value"] == pytest.approx(db["best"]["result"]["value"])


@pytest.mark.parametrize("experiment", ["pix2pix", "cyclegan"])
def test_the_presampled_lambdas_are_those_of_the_stored_hyperband_records(experiment):
    # records written by the one-process study before lambdas were enqueued
    for seed in range(3):
        path = ROOT / "results" / "cpu" / experiment / f"hyperband__seed{seed}.json"
        if not path.exists():
            pytest.skip(f"no stored record {path.name}")
        rec = json.loads(path.read_text())
        trials = sorted(rec["extra"]["trials"], key=lambda t: t["number"])
        s = rec["extra"]["settings"]
        assert [t["lam"] for t in trials] == sweeps.presample_lambdas(
            s["n_trials"], s["seed"], s["low"], s["high"]
        )


def test_ctrl_c_puts_the_running_trial_back_in_the_queue(tmp_path):
    from mtbook.core.hyperband import search

    db = f"sqlite:///{tmp_path}/a.db"
    calls = []

    def interrupted(lam, number, report):
        calls.append(number)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return _curve(lam, number, report)

    with pytest.raises(KeyboardInterrupt):
        search(interrupted, n_trials=3, max_epochs=9, seed=0, storage=db)
    out = search(interrupted, n_trials=3, max_epochs=9, seed=0, storage=db)
    assert calls == [0, 1, 2, 1]  # slot 1 again (its copy joined the end of the queue), 0 not
    assert [t["attempts"] for t in out["trials"]] == [1, 2, 1]
    assert [t["state"] for t in out["trials"]] != ["FAIL"] * 3


# ------------------------------------------------------------------------------- bad input


def test_bad_storage_and_a_study_of_other_settings_are_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("MTADAM_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv(sweeps.STORAGE_ENV, raising=False)
    with pytest.raises(ValueError, match="not a database URL"):
        sweeps.storage_url("my-sweeps.db")
    assert sweeps.storage_url() == f"sqlite:///{tmp_path / 'cache' / 'sweeps' / 'sweeps.db'}"
    storage = sweeps.open_storage(f"sqlite:///{tmp_path}/a.db")
    kw = dict(n_trials=3, max_epochs=9, seed=0, low=1e-4, high=1e4)
    sweeps.hyperband_study(storage, "s", **kw)
    with pytest.raises(ValueError, match="other settings.*n_trials"):
        sweeps.hyperband_study(storage, "s", **dict(kw, n_trials=4))
    assert len(_load(f"sqlite:///{tmp_path}/a.db", "s").trials) == 3  # nothing was added


# ------------------------------------------------------------------------------- run grids

GRID = """
import json, os, sys, time
from mtbook.core import records
from mtbook.core.runs import run_grid
records.environment = lambda: {"device": "test"}  # provenance without importing torch (seconds)
jobs = [dict(experiment="toygrid", method=m, seed=s, config={"m": m, "k": 1})
        for m in ("a", "b", "c") for s in (0, 1, 2)]
def run(job, bar):
    with open(os.environ["GRID_LOG"], "a") as f:
        f.write(f"{job['method']}{job['seed']} {os.getpid()}\\n")
    time.sleep(0.15)
    if job["method"] == "c" and job["seed"] == 2 and os.environ.get("GRID_FAIL"):
        raise RuntimeError("c2 broke")
    return {"metrics": {"score": len(job["method"]) + job["seed"]}}
recs = run_grid(jobs, run, desc="toy grid", profile="smoke", verbose=False, sweep=sys.argv[1])
print(json.dumps([[r["method"], r["seed"], r["metrics"]["score"]] for r in recs]))
"""


def _grid(tmp_path, db, machine, **env):
    return subprocess.Popen(
        [sys.executable, "-c", GRID, db],
        env=_env(
            tmp_path, MTADAM_RESULTS=tmp_path / machine, GRID_LOG=tmp_path / "grid.log", **env
        ),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_a_run_grid_shared_by_two_processes_does_each_job_once_and_both_get_every_record(tmp_path):
    db = f"sqlite:///{tmp_path / 'grid.db'}"
    procs = [_grid(tmp_path, db, machine) for machine in ("m1", "m2")]  # two results folders
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    log = (tmp_path / "grid.log").read_text().split()
    jobs, pids = log[::2], log[1::2]
    assert sorted(jobs) == sorted(f"{m}{s}" for m in "abc" for s in range(3))  # once each
    assert len(set(pids)) == 2
    expected = [[m, s, 1 + s] for m in "abc" for s in range(3)]
    assert [json.loads(o.strip().splitlines()[-1]) for o, _ in outs] == [expected, expected]
    # every record on both "machines", byte for byte the one its runner saved (its provenance)
    m1, m2 = (sorted((tmp_path / m / "smoke" / "toygrid").glob("*.json")) for m in ("m1", "m2"))
    assert [f.name for f in m1] == [f.name for f in m2] and len(m1) == 9
    assert all(a.read_text() == b.read_text() for a, b in zip(m1, m2))


def test_a_failed_grid_job_is_reported_and_runs_again_after_retry(tmp_path):
    db = f"sqlite:///{tmp_path / 'grid.db'}"
    p = _grid(tmp_path, db, "m1", GRID_FAIL=1)
    _, err = p.communicate(timeout=120)
    assert p.returncode != 0 and "c2 broke" in err
    p = _grid(tmp_path, db, "m2")  # another machine joins: c2 is failed, not silently missing
    _, err = p.communicate(timeout=120)
    assert p.returncode != 0 and "job c seed 2 failed" in err and "retry --study" in err
    study = err.split("retry --study ")[1].split()[0]
    from mtbook.core.sweep_cli import main

    assert main(["retry", "--storage", db, "--study", study]) == 0
    p = _grid(tmp_path, db, "m2")
    out, err = p.communicate(timeout=120)
    assert p.returncode == 0, err
    log = (tmp_path / "grid.log").read_text().split()[::2]
    assert log.count("c2") == 2 and all(log.count(j) == 1 for j in set(log) - {"c2"})


def test_postgresql_urls_get_an_installed_driver_or_a_clear_error(monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(ValueError, match="psycopg2-binary"):
        sweeps._driver("postgresql://u:p@host/db")
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name: real("json") if name == "psycopg2" else None
    )
    assert sweeps._driver("postgresql://u:p@host/db") == "postgresql+psycopg2://u:p@host/db"
    assert sweeps._driver("sqlite:///a.db") == "sqlite:///a.db"


def test_a_cpu_grid_refuses_a_worker_at_another_commit(tmp_path, monkeypatch):
    from mtbook.core import records
    from mtbook.core.runs import run_grid

    monkeypatch.setenv("MTADAM_RESULTS", str(tmp_path / "results"))
    monkeypatch.setattr(records, "PROCESS_GIT", {"commit": "a" * 40, "dirty": False})
    db = f"sqlite:///{tmp_path}/g.db"
    job = dict(experiment="x", method="m", seed=0, config={"a": 1})
    kw = dict(desc="t", profile="cpu", verbose=False, sweep=db)
    [rec] = run_grid([job], lambda j, bar: {"metrics": {"v": 1}}, **kw)
    assert rec["metrics"] == {"v": 1}
    monkeypatch.setattr(records, "PROCESS_GIT", {"commit": "b" * 40, "dirty": False})
    with pytest.raises(RuntimeError, match="created at commit aaaaaaaaaa.*same commit"):
        run_grid([job], lambda j, bar: pytest.fail("trained"), **kw)


def test_the_worker_command_refuses_a_bad_training_function_before_creating_anything(
    tmp_path, capsys
):
    from mtbook.core.sweep_cli import main

    db = tmp_path / "w.db"
    args = ["hyperband", "--storage", f"sqlite:///{db}", "--study", "s", "--trials", "2"]
    args += ["--max-epochs", "3", "--train"]
    assert main([*args, "mtbook.core.sweep_cli:no_such_function"]) == 2
    assert main([*args, "no-colon"]) == 2
    err = capsys.readouterr().err
    assert "has no function no_such_function" in err and "use module:function" in err
    assert not db.exists()
