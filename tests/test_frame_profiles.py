import importlib

import pytest
import torch

from mtbook.core import profiles


def test_env_var_selects_profile(monkeypatch):
    for name in ("smoke", "cpu", "full"):
        monkeypatch.setenv("MTADAM_PROFILE", name)
        assert profiles.get_profile() == name
    monkeypatch.setenv("MTADAM_PROFILE", " CPU ")
    assert profiles.get_profile() == "cpu"


def test_default_follows_cuda(monkeypatch):
    monkeypatch.delenv("MTADAM_PROFILE", raising=False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert profiles.get_profile() == "full"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert profiles.get_profile() == "cpu"


def test_bad_profile_names_the_variable(monkeypatch):
    monkeypatch.setenv("MTADAM_PROFILE", "huge")
    with pytest.raises(ValueError, match="MTADAM_PROFILE.*huge.*smoke, cpu, full"):
        profiles.get_profile()


def test_pick_uses_current_profile(monkeypatch):
    monkeypatch.setenv("MTADAM_PROFILE", "cpu")
    assert profiles.pick(smoke=1, cpu=2, full=3) == 2
    monkeypatch.setenv("MTADAM_PROFILE", "full")
    assert profiles.pick(smoke=1, cpu=2, full=3) == 3
    assert profiles.pick(smoke="a", cpu="b", full="c", profile="smoke") == "a"


def test_PROFILE_is_evaluated_at_import(monkeypatch):
    monkeypatch.setenv("MTADAM_PROFILE", "full")
    mod = importlib.reload(profiles)
    try:
        assert mod.PROFILE == "full"
    finally:
        monkeypatch.setenv("MTADAM_PROFILE", "smoke")
        importlib.reload(profiles)


def test_device_matches_cuda(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert profiles.device() == torch.device("cpu")
