"""Every chapter is a Jupytext pair notebooks/NAME.py (percent) + notebooks/NAME.ipynb, in sync.

Fails when one side of a pair is missing, or when the cells differ in either direction (a cell
edited, added or removed in the .py but not synced into the .ipynb, or the other way round).
Fix with `jupytext --sync notebooks/NAME.py` (the newer file wins) and re-run.
"""

from pathlib import Path

import jupytext
import nbformat
import pytest

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"


def pairs(folder: Path = NOTEBOOKS):
    stems = sorted({p.stem for p in folder.glob("*.py")} | {p.stem for p in folder.glob("*.ipynb")})
    return [folder / s for s in stems]


def cells(nb):
    return [(c.cell_type, c.source.strip(), tuple(c.metadata.get("tags", ()))) for c in nb.cells]


def pair_problems(stem: Path) -> list[str]:
    """Human-readable differences between STEM.py and STEM.ipynb (empty when in sync)."""
    py, ipynb = stem.with_suffix(".py"), stem.with_suffix(".ipynb")
    missing = [p.name for p in (py, ipynb) if not p.exists()]
    if missing:
        return [
            f"{stem.name}: missing {' and '.join(missing)} (create it with "
            f"`jupytext --set-formats ipynb,py:percent {(py if py.exists() else ipynb).name}`)"
        ]
    from_py = cells(jupytext.read(py, fmt="py:percent"))
    from_nb = cells(nbformat.read(ipynb, as_version=4))
    problems = []
    for i, (a, b) in enumerate(zip(from_py, from_nb)):
        if a != b:
            what = "cell type" if a[0] != b[0] else ("tags" if a[1] == b[1] else "source")
            first = next(
                (x for x, y in zip(a[1].splitlines() + [""], b[1].splitlines() + [""]) if x != y),
                "",
            )
            problems.append(
                f"{stem.name}: cell {i} differs in {what} between .py and .ipynb "
                f"(first differing .py line: {first!r})"
            )
    if len(from_py) != len(from_nb):
        problems.append(
            f"{stem.name}: {py.name} has {len(from_py)} cells, {ipynb.name} has {len(from_nb)}"
        )
    return problems


def test_there_are_notebooks():
    assert pairs(), f"no notebooks found in {NOTEBOOKS}"


@pytest.mark.parametrize("stem", pairs(), ids=lambda p: p.name)
def test_pair_in_sync(stem):
    problems = pair_problems(stem)
    assert not problems, "\n".join(problems) + f"\nfix: jupytext --sync notebooks/{stem.name}.py"


# The checker itself must catch each kind of drift (so the test above can fail).
def _make_pair(tmp_path, source):
    py = tmp_path / "nb.py"
    py.write_text(source)
    nb = jupytext.read(py, fmt="py:percent")
    jupytext.write(nb, tmp_path / "nb.ipynb")
    return tmp_path / "nb"


SOURCE = "# %% [markdown]\n# # Title\n\n# %%\nx = 1\nprint(x)\n"


def test_checker_accepts_synced_pair(tmp_path):
    assert pair_problems(_make_pair(tmp_path, SOURCE)) == []


def test_checker_catches_py_edit(tmp_path):
    stem = _make_pair(tmp_path, SOURCE)
    stem.with_suffix(".py").write_text(SOURCE.replace("x = 1", "x = 2"))
    assert any("cell 1 differs in source" in p for p in pair_problems(stem))


def test_checker_catches_ipynb_edit(tmp_path):
    stem = _make_pair(tmp_path, SOURCE)
    nb = nbformat.read(stem.with_suffix(".ipynb"), as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell("y = 3"))
    nbformat.write(nb, stem.with_suffix(".ipynb"))
    assert any("has 2 cells" in p and "has 3" in p for p in pair_problems(stem))


def test_checker_catches_cell_type_change(tmp_path):
    stem = _make_pair(tmp_path, SOURCE)
    stem.with_suffix(".py").write_text(SOURCE.replace("# %%\nx = 1", "# %% [markdown]\nx = 1"))
    assert any("cell type" in p for p in pair_problems(stem))


def test_checker_catches_missing_side(tmp_path):
    stem = _make_pair(tmp_path, SOURCE)
    stem.with_suffix(".ipynb").unlink()
    assert "missing nb.ipynb" in pair_problems(stem)[0]
