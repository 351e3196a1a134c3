#!/usr/bin/env python
"""Run (or resume) the cells of Table 7 (chapter 7) through each chapter's own runner.

    MTADAM_PROFILE=cpu MTADAM_DATA=../shared/data \\
        nohup .venv/bin/python scripts/run_ablation.py toy mnist pix2pix > ablation_cpu.log 2>&1 &

Each chapter runs its MTAdam method's ablated variants (``<chapter>.ABLATION_METHODS``, derived in
its spec by :func:`mtbook.core.ablation.ablation_methods`) with its own ``run_all``; records go to
that chapter's folder, ``results/<profile>/<experiment>/<mtadam method>_<variant>__seed<s>.json``.
The full method is the chapter's MTAdam row: its stored records are the full-method cells, never
re-run here. ``toy`` is chapter 2's bench (seconds; records under ``derivation/``, full method
included, since that bench has no MTAdam-module row of its own). ``bert`` runs Table 7's two BERT
tasks, MRPC and RTE (``bert.ABLATION_TASKS``). Runs whose record exists are
skipped, so the script can be stopped and started again; runs go seed by seed.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mtbook.core.ablation import ABLATIONS  # noqa: E402
from mtbook.core.profiles import get_profile  # noqa: E402

CHAPTERS = ("toy", "mnist", "pix2pix", "cyclegan", "bert")
SEEDS = (0, 1, 2)


def run_chapter(name: str, profile: str, seeds, variants) -> list[dict]:
    if name == "toy":
        from mtbook.experiments import derivation
        from mtbook.experiments.ablation.toy import run_toy

        recs = run_toy(
            derivation.recorded_run,
            derivation.config(profile),
            profile,
            seeds=seeds,
            variants=("full", *variants),
        )
        return list(recs.values())
    mod = importlib.import_module(f"mtbook.experiments.{name}")
    if not hasattr(mod, "ABLATION_METHODS"):
        raise SystemExit(f"{name}: its spec has no ABLATION_METHODS yet (chapter 7 cannot run it)")
    methods = [m for m, s in mod.ABLATION_METHODS.items() if s["ablation"] in variants]
    # BERT: Table 7's tasks only (MRPC, RTE), not the chapter's third (STS-B)
    tasks = dict(tasks=list(mod.ABLATION_TASKS)) if hasattr(mod, "ABLATION_TASKS") else {}
    out = []
    for seed in seeds:  # seed by seed: a partial run keeps every variant at the same n
        out += mod.run_all(profile, methods=methods, seeds=[seed], **tasks)
        print(f"{name}: seed {seed} done", flush=True)
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("chapters", nargs="+", choices=CHAPTERS)
    ap.add_argument("--profile", default=None, help="smoke | cpu | full (default: $MTADAM_PROFILE)")
    ap.add_argument("--seeds", nargs="*", type=int, default=list(SEEDS))
    ap.add_argument("--variants", nargs="*", default=list(ABLATIONS), choices=list(ABLATIONS))
    args = ap.parse_args(argv)
    profile = args.profile or get_profile()
    for name in args.chapters:
        t0 = time.time()
        recs = run_chapter(name, profile, args.seeds, args.variants)
        print(f"{name}: {len(recs)} records, {time.time() - t0:.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
