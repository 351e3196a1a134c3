#!/usr/bin/env python
"""Run (or resume) the MNIST Table 1 grid of one profile and save one JSON record per run.

    MTADAM_PROFILE=cpu MTADAM_DATA=../shared/data \\
        nohup python scripts/run_mnist.py > mnist_cpu.log 2>&1 &

Runs whose record already exists under results/<profile>/mnist/ are skipped, so the script can be
stopped and started again. Options restrict the grid (``--methods adam mtadam``, ``--draws paper``).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mtbook.core.profiles import get_profile  # noqa: E402
from mtbook.experiments import mnist  # noqa: E402


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--profile", default=None, help="smoke | cpu | full (default: $MTADAM_PROFILE)")
    ap.add_argument("--methods", nargs="*", default=None, choices=list(mnist.METHODS))
    ap.add_argument("--draws", nargs="*", default=None, choices=list(mnist.DRAWS))
    args = ap.parse_args(argv)
    profile = args.profile or get_profile()
    t0 = time.time()
    records = mnist.run_all(profile, methods=args.methods, draws=args.draws)
    print(f"{len(records)} records, {time.time() - t0:.0f} s")
    print(mnist.table_markdown(records, profile, args.draws))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
