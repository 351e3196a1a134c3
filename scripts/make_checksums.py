"""Regenerate the repository's per-dataset checksum lists from a data directory.

    python scripts/make_checksums.py [DATA_DIR] [--out mtbook/core/checksums] [--check]

For every dataset in ``mtbook.core.datasets.DATASETS`` this hashes each file under
``DATA_DIR/<name>/`` and writes ``<out>/<name>.sha256`` (lines ``sha256  relative/path``, paths
relative to ``DATA_DIR/<name>``, sorted). DATA_DIR defaults to ``$MTADAM_DATA``. When
``DATA_DIR/SHA256SUMS`` exists, every hash is cross-checked against it and a difference is an error.
With ``--check`` nothing is written: the exit status says whether the lists are up to date.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mtbook.core.data import sha256sum  # noqa: E402
from mtbook.core.datasets import CHECKSUMS_DIR, DATASETS  # noqa: E402

HEADER = "# sha256 of every file of {name}/ (paths relative to it); scripts/make_checksums.py\n"


def render(folder: Path, name: str) -> str:
    """The checksum list of every regular file under ``folder``, sorted by relative path."""
    files = sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.startswith("."))
    lines = [f"{sha256sum(p)}  {p.relative_to(folder).as_posix()}\n" for p in files]
    return HEADER.format(name=name) + "".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("data_dir", nargs="?", default=os.environ.get("MTADAM_DATA"))
    ap.add_argument("--out", default=str(CHECKSUMS_DIR))
    ap.add_argument("--check", action="store_true", help="compare only, write nothing")
    args = ap.parse_args(argv)
    if not args.data_dir:
        ap.error("give DATA_DIR or set MTADAM_DATA")
    base, out = Path(args.data_dir), Path(args.out)
    team = {}
    if (base / "SHA256SUMS").exists():
        for line in (base / "SHA256SUMS").read_text().splitlines():
            if line.strip():
                digest, name = line.split(maxsplit=1)
                team[name.lstrip("*").removeprefix("./")] = digest
    stale = 0
    for name in DATASETS:
        if DATASETS[name].listing == "archive":  # no copy here: checked by its archive's digest
            continue
        text = render(base / name, name)
        for line in text.splitlines()[1:]:
            digest, rel = line.split("  ", 1)
            if team and team.get(f"{name}/{rel}") != digest:
                print(f"{name}/{rel}: {digest} differs from {base / 'SHA256SUMS'}", file=sys.stderr)
                return 2
        path = out / f"{name}.sha256"
        if args.check:
            if not path.exists() or path.read_text() != text:
                print(f"{path} is out of date", file=sys.stderr)
                stale += 1
        else:
            out.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
            print(f"{path}: {len(text.splitlines()) - 1} files")
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
