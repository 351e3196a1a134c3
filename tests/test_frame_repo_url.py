"""scripts/set_repo_url.py moves every place that names the repository (for a fork) at once."""

import shutil
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
OLD = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]["url"]


def test_set_repo_url_rewrites_config_readme_and_notebooks(tmp_path):
    (tmp_path / "scripts").mkdir()
    (tmp_path / "notebooks").mkdir()
    shutil.copy(ROOT / "scripts" / "set_repo_url.py", tmp_path / "scripts")
    for name in ("_config.yml", "README.md"):
        shutil.copy(ROOT / name, tmp_path)
    for nb in ROOT.glob("notebooks/0[4-8]_*"):
        shutil.copy(nb, tmp_path / "notebooks")
    new = "https://github.com/someone/my-fork"
    out = subprocess.run(
        [sys.executable, str(tmp_path / "scripts" / "set_repo_url.py"), new],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert f"{OLD} -> {new}" in out
    assert yaml.safe_load((tmp_path / "_config.yml").read_text())["repository"]["url"] == new
    readme = (tmp_path / "README.md").read_text()
    assert OLD not in readme and "colab.research.google.com/github/someone/my-fork/" in readme
    for nb in (tmp_path / "notebooks").iterdir():
        text = nb.read_text()
        assert OLD not in text and f"git+{new}" in text, nb.name


def test_set_repo_url_rejects_a_non_github_url(tmp_path):
    r = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "set_repo_url.py"), "ftp://example.org/x"],
        capture_output=True,
        text=True,
    )
    assert r.returncode != 0 and "usage" in r.stderr
