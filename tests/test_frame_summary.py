import importlib.util
from pathlib import Path

import pytest

from mtbook.core import records

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("summarize_results", ROOT / "scripts" / "summarize_results.py")
summarize_results = importlib.util.module_from_spec(spec)
spec.loader.exec_module(summarize_results)


@pytest.fixture
def results(tmp_path, monkeypatch):
    monkeypatch.setenv("MTADAM_RESULTS", str(tmp_path / "results"))
    monkeypatch.setattr(records, "PROCESS_GIT", {"commit": "0" * 40, "dirty": False, "changed": []})
    return tmp_path / "results"


def test_summary_reports_cpu_and_never_smoke(results, tmp_path):
    for seed, acc in [(0, 0.5), (1, 0.7)]:
        records.save_record("mnist", "mtadam", config={}, seed=seed, metrics={"acc": acc}, wall_time=10,
                            profile="cpu")
    records.save_record("mnist", "adam", config={}, seed=0, metrics={"acc": 0.25}, wall_time=5, profile="cpu")
    records.save_record("secret", "adam", config={}, seed=0, metrics={"acc": 0.99}, wall_time=1, profile="smoke")
    out = tmp_path / "table.md"
    assert summarize_results.main(["--results", str(results), "--out", str(out)]) == 0
    text = out.read_text()
    assert "Profile `cpu`" in text and "`mnist` (3 runs" in text
    assert "| mtadam | 2 | 0.6 ± 0.14 | 20 |" in text   # mean of 0.5, 0.7; sample SD 0.1414
    assert "| adam | 1 | 0.25 | 5 |" in text
    assert "secret" not in text and "0.99" not in text and "smoke`" not in text


def test_summary_without_records_says_so(results, tmp_path):
    out = tmp_path / "table.md"
    summarize_results.main(["--results", str(results), "--out", str(out)])
    assert "No `cpu` or `full` run records exist yet" in out.read_text()
