#!/usr/bin/env python
"""Run (or resume) the BERT Table 2 grid of one profile and save one JSON record per run.

    MTADAM_PROFILE=cpu MTADAM_DATA=../shared/data \\
        nohup python scripts/run_bert.py --shard 0/2 > bert_cpu_0.log 2>&1 &
    MTADAM_PROFILE=cpu MTADAM_DATA=../shared/data \\
        nohup python scripts/run_bert.py --shard 1/2 > bert_cpu_1.log 2>&1 &

Runs whose record already exists under results/<profile>/bert/ are skipped, so the script can be
stopped and started again. ``--shard i/k`` keeps every k-th run from the i-th: k processes split the
grid without writing the same record. ``--methods`` / ``--tasks`` restrict the grid.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mtbook.core.profiles import get_profile  # noqa: E402
from mtbook.core.runs import parse_shard  # noqa: E402
from mtbook.experiments.bert import METHODS, TASKS  # noqa: E402
from mtbook.experiments.bert.run import run_all  # noqa: E402


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--profile", default=None, help="smoke | cpu | full (default: $MTADAM_PROFILE)")
    ap.add_argument("--methods", nargs="*", default=None, choices=list(METHODS))
    ap.add_argument("--tasks", nargs="*", default=None, choices=list(TASKS))
    ap.add_argument("--shard", type=parse_shard, default=(0, 1), help="i/k: every k-th run from i")
    args = ap.parse_args(argv)
    profile = args.profile or get_profile()
    t0 = time.time()
    records = run_all(profile, methods=args.methods, tasks=args.tasks, shard=args.shard)
    print(f"{len(records)} records, {time.time() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
