"""The book's frame: TOC complete, every chapter
starts with the Colab + setup cells, one repo URL."""

import re
from pathlib import Path

import nbformat
import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())
TOC = yaml.safe_load((ROOT / "_toc.yml").read_text())
REPO_URL = CONFIG["repository"]["url"]
CHAPTERS = [
    "01_polynomial_toy",
    "02_derivation",
    "03_mnist",
    "04_pix2pix",
    "05_srgan",
    "06_cyclegan",
    "07_ablation",
    "08_bert",
    "09_in_practice",
    "10_balancers",
]


def toc_files():
    files = [TOC["root"]]
    for part in TOC.get("parts", []):
        files += [c["file"] for c in part.get("chapters", [])]
    return files


def test_toc_lists_the_chapters_in_order():
    nbs = [f.split("/")[-1] for f in toc_files() if f.startswith("notebooks/")]
    assert nbs == CHAPTERS


@pytest.mark.parametrize("entry", toc_files())
def test_toc_entry_exists(entry):
    found = [p for p in (ROOT / f"{entry}.md", ROOT / f"{entry}.ipynb") if p.exists()]
    assert found, f"_toc.yml lists {entry}, but neither {entry}.md nor {entry}.ipynb exists"


def test_every_notebook_is_in_the_toc():
    listed = set(toc_files())
    stray = [
        p.name for p in (ROOT / "notebooks").glob("*.ipynb") if f"notebooks/{p.stem}" not in listed
    ]
    assert not stray, f"notebooks not in _toc.yml: {stray}"


def test_execution_is_off_and_bibliography_configured():
    assert CONFIG["execute"]["execute_notebooks"] == "off"
    assert CONFIG["launch_buttons"]["colab_url"].startswith("https://colab.research.google.com")
    bib = (ROOT / CONFIG["bibtex_bibfiles"][0]).read_text()
    for key in (
        "malkiel2021mtadam",
        "kingma2014adam",
        "isola2017pix2pix",
        "zhu2017cyclegan",
        "ledig2017srgan",
        "devlin2019bert",
        "li2017hyperband",
        "heusel2017fid",
        "wang2004ssim",
        "lecun1998mnist",
        "tieleman2012rmsprop",
    ):
        assert re.search(r"@\w+\{" + key + ",", bib), key


@pytest.mark.parametrize("path", sorted((ROOT / "notebooks").glob("*.ipynb")), ids=lambda p: p.stem)
def test_notebook_starts_with_colab_and_setup_cells(path):
    code = [c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"]
    assert len(code) >= 2, f"{path.name}: needs the Colab install cell and the setup cell first"
    colab, setup = code[0], code[1]
    assert 'find_spec("mtbook")' in colab and "pip" in colab, (
        f"{path.name}: first code cell must be the Colab install cell "
        "(see README, 'How to add a chapter')"
    )
    assert f"git+{REPO_URL}" in colab, (
        f"{path.name}: Colab cell installs from a different URL than _config.yml's {REPO_URL} "
        f"(run scripts/set_repo_url.py)"
    )
    assert "from mtbook.core.notebook import setup" in setup and "setup()" in setup, (
        f"{path.name}: second code cell must be "
        "`from mtbook.core.notebook import setup; PROFILE = setup()`"
    )


def test_readme_uses_the_same_repo_url():
    readme = (ROOT / "README.md").read_text()
    urls = set(re.findall(r"https://github\.com/[\w.-]+/[\w.-]+", readme)) - {
        "https://github.com/OWNER/REPO"
    }
    assert urls == {REPO_URL}, f"README mentions {urls}, _config.yml says {REPO_URL}"
    badges = set(re.findall(r"colab\.research\.google\.com/github/([\w.-]+/[\w.-]+)/", readme))
    assert badges == {REPO_URL.split("github.com/")[1]}, f"Colab badge points at {badges}"
