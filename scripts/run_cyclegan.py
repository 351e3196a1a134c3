#!/usr/bin/env python
"""Run (or resume) the CycleGAN Table 5 rows of one profile; one JSON record per row and seed.

    MTADAM_PROFILE=cpu MTADAM_DATA=../shared/data \
        nohup .venv/bin/python scripts/run_cyclegan.py > cyclegan_cpu.log 2>&1 &

Rows whose record exists (with the same config) are skipped; a row that was interrupted resumes
from its latest per-epoch checkpoint (under $MTADAM_CACHE/checkpoints/<profile>/cyclegan/),
Hyperband trial by trial. Runs go seed by seed, the three rows of the curves first (Adam-suboptimal,
MTAdam-suboptimal, Adam-prescribed), so a partial run still gives the chapter's main contrast.

On several GPUs, machines or Colab sessions, run the same command on each with one sweep database
(``MTADAM_SWEEP``; book/sweeps.md): every run (row x seed) is done once, by whichever worker is
free, and a worker with no run left to take joins the Hyperband rows that others hold, taking their
trials one by one; every worker ends with every record and the Hyperband rows' samples. Seed
by seed, as above::

    MTADAM_SWEEP=postgresql://user:password@host:5432/db MTADAM_PROFILE=full \\
        CUDA_VISIBLE_DEVICES=0 python scripts/run_cyclegan.py --methods hyperband
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mtbook.core.profiles import get_profile  # noqa: E402
from mtbook.experiments import cyclegan  # noqa: E402

ORDER = [
    "adam_suboptimal",
    "mtadam_suboptimal",
    "adam_prescribed",
    "rmsprop",
    "sgd_momentum",
    "hyperband",
]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--profile", default=None, help="smoke | cpu | full (default: $MTADAM_PROFILE)")
    ap.add_argument("--methods", nargs="*", default=ORDER, choices=list(cyclegan.METHODS))
    ap.add_argument(
        "--dataset",
        default="horse2zebra",
        choices=cyclegan.DATASETS,
        help="maps: maps <-> aerial photos, full profile only (downloads 1.5 GB)",
    )
    args = ap.parse_args(argv)
    profile = args.profile or get_profile()
    t0 = time.time()
    records = []
    cfg = cyclegan.config(profile, args.dataset)
    for seed in cfg["seeds"]:  # seed by seed: every row of seed 0 first
        records += cyclegan.run_all(
            profile, methods=args.methods, seeds=[seed], dataset=args.dataset
        )
        print(f"seed {seed} done, {time.time() - t0:.0f} s", flush=True)
    for r in records:
        print(f"{r['method']} seed {r['seed']}: wall {r['wall_time']:.0f} s", flush=True)
    print(f"{len(records)} records, {time.time() - t0:.0f} s")
    print(cyclegan.table_markdown(records, profile))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
