#!/usr/bin/env python
"""Run (or resume) the RecoBERT Table 3 grid of one profile and save one JSON record per run.

    MTADAM_PROFILE=cpu MTADAM_DATA=../shared/data \\
        nohup python scripts/run_recobert.py --shard 0/2 > recobert_cpu_0.log 2>&1 &

At ``cpu`` this is the labelled proxy (retrieval on GLUE RTE with the MiniLM stand-in); at ``full``
the wines task, whose catalogue needs a Kaggle login (a clear message says where to put it).
Runs whose record already exists under results/<profile>/recobert/ are skipped. ``--shard i/k``
keeps every k-th run from the i-th, so k processes split the grid.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mtbook.core.profiles import get_profile  # noqa: E402
from mtbook.core.runs import parse_shard  # noqa: E402
from mtbook.experiments.bert.recobert import METHODS, run_all  # noqa: E402


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--profile", default=None, help="smoke | cpu | full (default: $MTADAM_PROFILE)")
    ap.add_argument("--methods", nargs="*", default=None, choices=list(METHODS))
    ap.add_argument("--shard", type=parse_shard, default=(0, 1), help="i/k: every k-th run from i")
    args = ap.parse_args(argv)
    t0 = time.time()
    records = run_all(args.profile or get_profile(), methods=args.methods, shard=args.shard)
    print(f"{len(records)} records, {time.time() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
