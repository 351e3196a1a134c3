#!/usr/bin/env python
"""Run (or resume) the SRGAN chapter's runs of one profile: Table 6 and the motivation (Figs. 2/6).

    MTADAM_PROFILE=cpu MTADAM_DATA=../shared/data \
        nohup .venv/bin/python scripts/run_srgan.py > srgan_cpu.log 2>&1 &

Seed by seed (all Table 6 rows, then the six motivation runs), so a partial run still gives every
row and both panels with fewer seeds. Runs whose record exists (same config) are skipped; an
interrupted run resumes from its latest per-epoch checkpoint (under $MTADAM_CACHE/checkpoints/).

On several GPUs, machines or Colab sessions, run the same command on each with one sweep database
(``MTADAM_SWEEP``; book/sweeps.md): every run (row x seed) is done once, by whichever worker is
free, and a worker with no run left to take joins the Hyperband rows that others hold, taking their
trials one by one; every worker ends with every record and the Hyperband rows' samples. Seed
by seed: the workers finish one seed together before the next::

    MTADAM_SWEEP=postgresql://user:password@host:5432/db MTADAM_PROFILE=full \\
        CUDA_VISIBLE_DEVICES=0 python scripts/run_srgan.py --methods hyperband
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mtbook.core.profiles import get_profile  # noqa: E402
from mtbook.experiments import srgan  # noqa: E402

ORDER = ["adam_equal", "mtadam_equal", "adam_prescribed", "rmsprop", "sgd_momentum", "hyperband"]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--profile", default=None, help="smoke | cpu | full (default: $MTADAM_PROFILE)")
    ap.add_argument("--methods", nargs="*", default=ORDER, choices=list(srgan.METHODS))
    ap.add_argument("--skip-motivation", action="store_true", help="Table 6 only")
    ap.add_argument("--skip-table", action="store_true", help="the motivation runs only")
    args = ap.parse_args(argv)
    profile = args.profile or get_profile()
    t0 = time.time()
    for seed in srgan.config(profile)["seeds"]:
        if not args.skip_table:
            srgan.run_all(profile, methods=args.methods, seeds=[seed])
        if not args.skip_motivation:
            srgan.run_motivation(profile, seeds=[seed])
        print(f"seed {seed} done, {time.time() - t0:.0f} s", flush=True)
    if not args.skip_table:
        records = srgan.run_all(profile, methods=args.methods, verbose=False)
        print(srgan.table_markdown(records, profile))
        print("s per step:", srgan.step_times(records))
    if not args.skip_motivation:
        print(srgan.motivation_table(srgan.run_motivation(profile, verbose=False)))
    print(f"total {time.time() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
