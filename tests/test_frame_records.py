import json
import math
import subprocess

import pytest

from mtbook.core import records, report

CLEAN = {"commit": "0" * 40, "dirty": False, "changed": []}
DIRTY = {"commit": "0" * 40, "dirty": True, "changed": ["mtbook/x.py"]}


@pytest.fixture
def results(tmp_path, monkeypatch):
    monkeypatch.setenv("MTADAM_RESULTS", str(tmp_path / "results"))
    monkeypatch.delenv("MTADAM_ALLOW_DIRTY", raising=False)
    monkeypatch.setattr(records, "PROCESS_GIT", dict(CLEAN))
    return tmp_path / "results"


def test_round_trip(results):
    cfg = {"lr": 1e-3, "betas": [0.9, 0.999, 0.9], "epochs": 2}
    path = records.save_record(
        "mnist",
        "mtadam",
        config=cfg,
        seed=3,
        metrics={"acc": 0.975},
        curves={"loss": [1.5, 0.7]},
        wall_time=12.5,
        extra={"note": "x"},
    )
    assert path == results / "smoke" / "mnist" / "mtadam__seed3.json"
    raw = json.loads(path.read_text())
    for key in (
        "experiment",
        "method",
        "config",
        "seed",
        "profile",
        "device",
        "metrics",
        "curves",
        "wall_time",
        "git",
        "timestamp",
        "env",
    ):
        assert key in raw, key
    assert raw["profile"] == "smoke" and raw["seed"] == 3 and raw["config"] == cfg
    assert raw["env"]["torch"] and raw["env"]["python"] and raw["env"]["platform"]
    [rec] = records.load_records("mnist")
    assert rec["metrics"] == {"acc": 0.975} and rec["curves"] == {"loss": [1.5, 0.7]}
    assert rec["wall_time"] == 12.5 and rec["extra"] == {"note": "x"}
    assert records.has_record("mnist", "mtadam", 3) and not records.has_record("mnist", "mtadam", 4)


def test_profile_and_method_filters(results):
    for method, seed in [("adam", 0), ("adam", 1), ("mtadam", 0)]:
        records.save_record("toy", method, config={}, seed=seed, metrics={"m": seed}, wall_time=0)
    records.save_record("toy", "adam", config={}, seed=0, metrics={}, wall_time=0, profile="cpu")
    assert [(r["method"], r["seed"]) for r in records.load_records("toy")] == [
        ("adam", 0),
        ("adam", 1),
        ("mtadam", 0),
    ]
    assert len(records.load_records("toy", method="adam")) == 2
    assert len(records.load_records("toy", profile="cpu")) == 1
    assert records.load_records("nothing") == []


def test_numpy_and_torch_values_are_stored(results):
    import numpy as np
    import torch

    path = records.save_record(
        "x",
        "m",
        config={"a": np.float32(0.5)},
        seed=0,
        metrics={"t": torch.tensor(2.0), "v": np.arange(3), "nan": math.nan},
        wall_time=np.float64(1.0),
    )
    rec = records.load_record(path)
    assert (
        rec["config"]["a"] == 0.5
        and rec["metrics"]["t"] == 2.0
        and rec["metrics"]["v"] == [0, 1, 2]
    )
    assert math.isnan(rec["metrics"]["nan"])


def test_bad_names_and_corrupt_record(results):
    with pytest.raises(ValueError, match="method name"):
        records.save_record("x", "a/b", config={}, seed=0, metrics={}, wall_time=0)
    path = records.save_record("x", "ok", config={}, seed=0, metrics={}, wall_time=0)
    path.write_text("{ truncated")
    with pytest.raises(ValueError, match=str(path.name)):
        records.load_records("x")


def test_git_info_outside_a_checkout(tmp_path):
    assert records.git_info(tmp_path) == {"commit": None, "dirty": None, "changed": None}


def test_git_info_commit_and_dirty(tmp_path):
    def git(*args):
        subprocess.run(["git", *args], cwd=tmp_path, check=True, capture_output=True)

    git("init", "-q")
    (tmp_path / "f.txt").write_text("a")
    git("add", "f.txt")
    git("-c", "user.email=t@t", "-c", "user.name=t", "commit", "-qm", "init")
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=tmp_path, capture_output=True, text=True
    ).stdout.strip()
    assert records.git_info(tmp_path) == {"commit": head, "dirty": False, "changed": []}
    # what runs produce does not make the tree dirty: records and the notebooks' stored outputs
    (tmp_path / "results" / "cpu").mkdir(parents=True)
    (tmp_path / "results" / "cpu" / "r.json").write_text("{}")
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "notebooks" / "01.ipynb").write_text("{}")
    assert records.git_info(tmp_path)["dirty"] is False
    (tmp_path / "notebooks" / "01.py").write_text("x = 1")  # an untracked source file does
    assert records.git_info(tmp_path) == {
        "commit": head,
        "dirty": True,
        "changed": ["notebooks/01.py"],
    }
    (tmp_path / "notebooks" / "01.py").unlink()
    (tmp_path / "f.txt").write_text("b")
    assert records.git_info(tmp_path) == {"commit": head, "dirty": True, "changed": ["f.txt"]}


def test_git_info_without_git_binary(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    assert records.git_info(tmp_path) == {"commit": None, "dirty": None, "changed": None}


def test_figure_path(results):
    p = records.figure_path("mnist", "curves")
    assert p == results / "smoke" / "mnist" / "figures" / "curves.png" and p.parent.is_dir()


def test_markdown_table():
    rows = [{"method": "adam", "metrics": {"acc": 0.123456}}, {"method": "a|b", "metrics": {}}]
    table = report.markdown_table(rows, ["method", "metrics.acc"])
    assert table.splitlines() == [
        "| method | acc |",
        "| --- | --- |",
        "| adam | 0.1235 |",
        "| a\\|b |  |",
    ]


def test_cpu_and_full_records_need_a_clean_commit(results, monkeypatch):
    monkeypatch.setattr(records, "PROCESS_GIT", dict(DIRTY))
    for profile in ("cpu", "full"):
        with pytest.raises(records.DirtyTreeError, match="mtbook/x.py.*MTADAM_ALLOW_DIRTY"):
            records.save_record(
                "x", "m", config={}, seed=0, metrics={}, wall_time=0, profile=profile
            )
        assert not records.has_record("x", "m", 0, profile)
    # smoke records are never results: written from any tree, never marked
    path = records.save_record(
        "x", "m", config={}, seed=0, metrics={}, wall_time=0, profile="smoke"
    )
    assert records.load_record(path)["override_dirty"] is False
    # the deliberate override writes the record and marks it
    monkeypatch.setenv("MTADAM_ALLOW_DIRTY", "1")
    path = records.save_record("x", "m", config={}, seed=0, metrics={}, wall_time=0, profile="cpu")
    rec = records.load_record(path)
    assert rec["override_dirty"] is True and rec["git"]["dirty"] is True
    assert "uncommitted code (override)" in report.provenance([rec])


def test_clean_cpu_record_is_not_marked(results):
    path = records.save_record("x", "m", config={}, seed=0, metrics={}, wall_time=0, profile="cpu")
    rec = records.load_record(path)
    assert rec["override_dirty"] is False and rec["git"] == {"commit": "0" * 40, "dirty": False}
    assert "override" not in report.provenance([rec])


def test_long_curves_are_packed_and_unpacked_exactly(results):
    import numpy as np

    steps = list(range(1, 1001))
    loss = [float(np.float32(1.0 / k)) for k in steps]  # float32-representable: exact round trip
    grid = [[0.5, float("nan"), 2.0]] * 100
    short = [1.0, 2.0]
    path = records.save_record(
        "x",
        "m",
        config={},
        seed=0,
        metrics={"acc": 0.5},
        wall_time=0,
        curves={"step": steps, "loss": loss, "grid": grid, "short": short, "names": ["a"] * 100},
    )
    raw = path.read_text()
    plain = len(json.dumps({"step": steps, "loss": loss}))
    assert '"__array__"' in raw and len(raw) < plain / 2
    c = records.load_record(path)["curves"]
    assert (
        c["step"] == steps
        and c["loss"] == loss
        and c["short"] == short
        and c["names"] == ["a"] * 100
    )
    assert np.isnan(c["grid"][0][1]) and c["grid"][99][2] == 2.0 and len(c["grid"]) == 100
    assert isinstance(c["step"][0], int)


def test_stored_paths_are_relative(results, tmp_path):
    from pathlib import Path

    path = records.save_record(
        "x",
        "m",
        config={"file": records.repo_root() / "results" / "a.json"},
        seed=0,
        metrics={},
        wall_time=0,
    )
    rec = records.load_record(path)
    assert rec["config"]["file"] == "results/a.json"
    assert not Path(rec["_path"]).is_absolute() or not str(rec["_path"]).startswith(
        str(records.repo_root())
    )


def test_a_dirty_grid_refuses_before_training(results, monkeypatch):
    from mtbook.core.runs import run_grid

    monkeypatch.setattr(records, "PROCESS_GIT", dict(DIRTY))
    ran = []
    job = dict(experiment="x", method="m", seed=0, config={"a": 1})
    with pytest.raises(records.DirtyTreeError):
        run_grid(
            [job],
            lambda j, bar: ran.append(j) or {"metrics": {}},
            desc="t",
            profile="cpu",
            verbose=False,
        )
    assert ran == []  # nothing was trained
    # stored records are still read from a dirty tree (a chapter executed at cpu only reads)
    monkeypatch.setattr(records, "PROCESS_GIT", dict(CLEAN))
    run_grid([job], lambda j, bar: {"metrics": {"v": 1}}, desc="t", profile="cpu", verbose=False)
    monkeypatch.setattr(records, "PROCESS_GIT", dict(DIRTY))
    [rec] = run_grid([job], lambda j, bar: ran.append(j), desc="t", profile="cpu", verbose=False)
    assert rec["metrics"] == {"v": 1} and ran == []


def test_installed_from_git_names_the_installed_commit(monkeypatch):
    import importlib.metadata as md

    class Dist:
        def read_text(self, name):
            assert name == "direct_url.json"
            return json.dumps(
                {"url": "https://github.com/o/r", "vcs_info": {"vcs": "git", "commit_id": "a" * 40}}
            )

    monkeypatch.setattr(md, "distribution", lambda name: Dist())
    assert records.installed_commit() == {
        "commit": "a" * 40,
        "dirty": False,
        "changed": [],
        "installed": True,
    }

    class Editable(Dist):
        def read_text(self, name):
            return json.dumps({"url": "file:///x", "dir_info": {"editable": True}})

    monkeypatch.setattr(md, "distribution", lambda name: Editable())
    assert records.installed_commit() is None
