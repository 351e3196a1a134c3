#!/usr/bin/env python3
"""Point the book at another GitHub repository (for a fork): one command, every place.

The repository URL lives in _config.yml (`repository.url`); the Colab install cell of every
notebook and the README's badge and links must match it (tests/test_frame_book.py checks).

    python scripts/set_repo_url.py https://github.com/OWNER/REPO
"""

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
URL_RE = r"https://github\.com/[\w.-]+/[\w.-]+"


def main(argv):
    if len(argv) != 1 or not re.fullmatch(URL_RE, argv[0].rstrip("/")):
        sys.exit("usage: set_repo_url.py https://github.com/OWNER/REPO")
    new = argv[0].rstrip("/")
    config = ROOT / "_config.yml"
    text = config.read_text()
    m = re.search(r"^  url: (\S+)$", text, flags=re.M)
    if not m:
        sys.exit(f"no `repository: url:` line found in {config}")
    old = m.group(1)
    files = [
        config,
        ROOT / "README.md",
        *sorted((ROOT / "notebooks").glob("*.py")),
        *sorted((ROOT / "notebooks").glob("*.ipynb")),
    ]
    for path in files:
        s = path.read_text()
        # also rewrite the colab badge path github/OWNER/REPO
        t = s.replace(old, new).replace(
            "github/" + old.split("github.com/")[1], "github/" + new.split("github.com/")[1]
        )
        if t != s:
            path.write_text(t)
            print(f"updated {path.relative_to(ROOT)}")
    print(f"repository URL: {old} -> {new}")


if __name__ == "__main__":
    main(sys.argv[1:])
