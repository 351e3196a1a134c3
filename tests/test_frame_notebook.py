import pytest

from mtbook.core.notebook import setup


def test_setup_prints_profile_and_returns_it(capsys, monkeypatch):
    monkeypatch.setenv("MTADAM_PROFILE", "smoke")
    assert setup() == "smoke"
    out = capsys.readouterr().out
    assert "profile: smoke" in out and "torch" in out and "not results" in out


def test_setup_override_sets_env(monkeypatch, capsys):
    monkeypatch.setenv("MTADAM_PROFILE", "smoke")
    assert setup("cpu") == "cpu"
    import os

    assert os.environ["MTADAM_PROFILE"] == "cpu"
    assert "not results" not in capsys.readouterr().out
    with pytest.raises(ValueError, match="unknown profile"):
        setup("tiny")
