#!/usr/bin/env python
"""Run (or resume) the pix2pix Table 4 rows of one profile; one JSON record per row.

    MTADAM_PROFILE=cpu MTADAM_DATA=../shared/data \\
        nohup .venv/bin/python scripts/run_pix2pix.py > pix2pix_cpu.log 2>&1 &

Rows whose record exists (with the same config) are skipped; a row that was interrupted resumes
from its latest per-epoch checkpoint (under $MTADAM_CACHE/checkpoints/<profile>/pix2pix/), Hyperband
trial by trial. The default order runs the three rows of the curves first (Adam-equal, MTAdam-equal,
Adam-prescribed), so a partial run still gives the chapter's figures.

On several GPUs, machines or Colab sessions, run the same command on each with one sweep database
(``MTADAM_SWEEP``; book/sweeps.md): every run (row x seed) is done once, by whichever worker is
free, and a worker with no run left to take joins the Hyperband rows that others hold, taking their
trials one by one; every worker ends with every record and the Hyperband rows' samples::

    MTADAM_SWEEP=postgresql://user:password@host:5432/db MTADAM_PROFILE=full \\
        CUDA_VISIBLE_DEVICES=0 python scripts/run_pix2pix.py --methods hyperband
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mtbook.core.profiles import get_profile  # noqa: E402
from mtbook.experiments import pix2pix  # noqa: E402

ORDER = [
    "adam_equal",
    "mtadam_equal",
    "adam_prescribed",
    "rmsprop",
    "sgd_momentum",
    "hyperband",
    "adam_prescribed_b05",
]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--profile", default=None, help="smoke | cpu | full (default: $MTADAM_PROFILE)")
    ap.add_argument("--methods", nargs="*", default=ORDER, choices=list(pix2pix.METHODS))
    ap.add_argument(
        "--dataset",
        default="facades",
        choices=list(pix2pix.DATASETS),
        help="maps = maps -> aerial, full profile only (downloads the maps set)",
    )
    args = ap.parse_args(argv)
    profile = args.profile or get_profile()
    t0 = time.time()
    records = pix2pix.run_all(profile, methods=args.methods, dataset=args.dataset)
    for r in records:
        print(f"{r['method']}: wall {r['wall_time']:.0f} s")
    print(f"{len(records)} records, {time.time() - t0:.0f} s")
    print(pix2pix.table_markdown(records, profile))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
