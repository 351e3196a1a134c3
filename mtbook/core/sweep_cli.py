"""The sweep worker's command line: ``python -m mtbook.core.sweep_cli <command> ...``.

Start the same command on every GPU, machine or Colab session; each is one worker of the study.
A chapter's table, its Hyperband rows' trials included, is shared by its runner itself
(``MTADAM_SWEEP=URL MTADAM_PROFILE=full python scripts/run_pix2pix.py --methods hyperband`` on
every GPU; :mod:`mtbook.gan.hyperband_row`). Here::

    # a Hyperband search over lambda with your training function, 40 trials shared by all workers
    CUDA_VISIBLE_DEVICES=0 python -m mtbook.core.sweep_cli hyperband --storage URL \\
        --study my-search --train mtbook.core.sweep_cli:toy_train --trials 40 --max-epochs 200
    # the run grid (methods x seeds) of a chapter: each job done once, by whichever worker is free
    CUDA_VISIBLE_DEVICES=1 MTADAM_PROFILE=full \\
        python -m mtbook.core.sweep_cli grid pix2pix --storage URL
    python -m mtbook.core.sweep_cli status --storage URL [--study NAME]   # who ran what
    python -m mtbook.core.sweep_cli retry --storage URL --study NAME      # queue failed ones again

``URL``: ``postgresql://user:password@host:5432/db`` (shared), ``sqlite:///file.db`` (one machine)
or ``sqlite`` (the default file ``$MTADAM_CACHE/sweeps/sweeps.db``); default ``$MTADAM_SWEEP``.
``--train module:function`` names ``function(lam, slot, report) -> dict(value=..., ...)``, as
:func:`mtbook.core.hyperband.search` calls it; :func:`toy_train` is a cheap stand-in for demos.
"""

from __future__ import annotations

import argparse
import importlib
import json
import math
import os
import sys
import time

from . import sweeps


def toy_train(lam: float, slot: int, report) -> dict:
    """A stand-in for a training run: ``(log10 lam - 1)^2 + 1/epoch``, ``$MTADAM_TOY_EPOCHS``
    epochs (default 9) of ``$MTADAM_TOY_SLEEP`` seconds each (default 0), with a checkpoint per
    epoch under ``$MTADAM_CACHE/sweeps/toy/`` that a retried trial resumes from. With
    ``$MTADAM_TOY_LOG`` set, each start appends ``slot worker first-epoch`` to that file."""
    from .data import cache_dir

    epochs = int(os.environ.get("MTADAM_TOY_EPOCHS", "9"))
    sleep = float(os.environ.get("MTADAM_TOY_SLEEP", "0"))
    ckpt = cache_dir() / "sweeps" / "toy" / f"slot{slot:03d}_lam{lam:.6g}.json"
    ckpt.parent.mkdir(parents=True, exist_ok=True)
    start = json.loads(ckpt.read_text())["epoch"] if ckpt.exists() else 0
    if os.environ.get("MTADAM_TOY_LOG"):
        with open(os.environ["MTADAM_TOY_LOG"], "a") as f:
            f.write(f"{slot} {sweeps.worker_name()} {start + 1}\n")
    value = math.inf
    try:
        for epoch in range(start + 1, epochs + 1):
            time.sleep(sleep)
            value = (math.log10(lam) - 1.0) ** 2 + 1.0 / epoch
            ckpt.write_text(json.dumps({"epoch": epoch}))
            report(epoch, value)
    except Exception:  # pruned or failed: a later trial with this slot and lambda starts afresh
        ckpt.unlink(missing_ok=True)
        raise
    ckpt.unlink(missing_ok=True)
    return dict(value=value, lam=lam, resumed_from=start, worker=sweeps.worker_name())


def _function(spec: str):
    module, _, name = spec.partition(":")
    if not module or not name:
        raise ValueError(f"--train {spec!r}: use module:function, e.g. {__name__}:toy_train")
    fn = getattr(importlib.import_module(module), name, None)
    if not callable(fn):
        raise ValueError(f"--train {spec!r}: module {module} has no function {name}")
    return fn


def _storage(args):
    if not hasattr(args, "heartbeat"):
        return sweeps.open_storage(args.storage)
    return sweeps.open_storage(
        args.storage,
        heartbeat_interval=args.heartbeat,
        grace_period=args.grace,
        max_retry=args.max_retry,
    )


def cmd_hyperband(args) -> int:
    from .hyperband import HIGH, LOW

    train_fn = _function(args.train)  # before the study exists: bad input changes nothing
    storage = _storage(args)
    study = sweeps.hyperband_study(
        storage,
        args.study,
        n_trials=args.trials,
        max_epochs=args.max_epochs,
        seed=args.seed,
        low=args.low if args.low is not None else LOW,
        high=args.high if args.high is not None else HIGH,
        reduction_factor=args.reduction_factor,
        min_epochs=args.min_epochs,
    )
    t0 = time.time()
    mine = sweeps.run_hyperband_worker(study, storage, train_fn, poll=args.poll)
    print(f"{sweeps.worker_name()}: ran slots {mine} in {time.time() - t0:.1f} s; study finished")
    return _print_status(study)


def cmd_grid(args) -> int:
    if args.storage:
        os.environ[sweeps.STORAGE_ENV] = args.storage
    os.environ.setdefault(sweeps.STORAGE_ENV, sweeps.DEFAULT)
    module = importlib.import_module(f"mtbook.experiments.{args.experiment}")
    records = module.run_all(args.profile)
    print(f"{len(records)} records of {args.experiment}")
    return 0


def _print_status(study) -> int:
    final = sweeps.final_trials(study)
    attempts: dict[int, int] = {}
    for t in study.get_trials(deepcopy=False):
        if "index" in t.user_attrs:
            attempts[t.user_attrs["index"]] = attempts.get(t.user_attrs["index"], 0) + 1
    print(f"study {study.study_name}: {len(final)} finished slots, {len(study.trials)} trials")
    print(f"{'slot':>4} {'trial':>5} {'what':>24} {'state':>8} {'value':>9} {'s':>6} tries worker")
    for slot, t in sorted(final.items()):
        what = t.user_attrs.get("job") or f"lam={t.params.get('lam', float('nan')):.4g}"
        secs = (
            (t.datetime_complete - t.datetime_start).total_seconds()
            if t.datetime_complete and t.datetime_start
            else float("nan")
        )
        value = t.value if t.value is not None else float("nan")
        print(
            f"{slot:>4} {t.number:>5} {what:>24} {t.state.name:>8} {value:>9.4g} {secs:>6.1f} "
            f"{attempts.get(slot, 0):>5} {t.user_attrs.get('worker')}"
        )
    return 0


def cmd_status(args) -> int:
    import optuna

    storage = _storage(args)
    if not args.study:
        for s in optuna.get_all_study_summaries(storage):
            print(f"{s.study_name}: {s.n_trials} trials")
        return 0
    return _print_status(optuna.load_study(study_name=args.study, storage=storage))


def cmd_retry(args) -> int:
    import optuna

    storage = _storage(args)
    study = optuna.load_study(study_name=args.study, storage=storage)
    active = {t.user_attrs.get("index") for t in study.get_trials(states=sweeps.active_states())}
    final = sweeps.final_trials(study)
    again = sorted(i for i, t in final.items() if t.state.name == "FAIL" and i not in active)
    for i in again:
        sweeps.retry_callback(None)(study, final[i])
    print(f"{study.study_name}: {len(again)} failed slot(s) queued again: {again}")
    return 0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m mtbook.core.sweep_cli",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = ap.add_subparsers(dest="command", required=True)

    def common(p):
        p.add_argument("--storage", default=None, help="database URL (default: $MTADAM_SWEEP)")
        return p

    h = common(sub.add_parser("hyperband", help="work on (create if new) a Hyperband study"))
    h.add_argument("--heartbeat", type=int, default=60, help="seconds between heartbeats")
    h.add_argument("--grace", type=int, default=None, help="seconds silent = dead (default 2x)")
    h.add_argument("--max-retry", type=int, default=3, help="retries of a dead worker's trial")
    h.add_argument("--study", required=True)
    h.add_argument("--train", required=True, help="module:function(lam, slot, report) -> dict")
    h.add_argument("--trials", type=int, required=True)
    h.add_argument("--max-epochs", type=int, required=True)
    h.add_argument("--seed", type=int, default=0)
    h.add_argument("--low", type=float, default=None)
    h.add_argument("--high", type=float, default=None)
    h.add_argument("--reduction-factor", type=int, default=3)
    h.add_argument("--min-epochs", type=int, default=1)
    h.add_argument("--poll", type=float, default=1.0, help="seconds between looks when idle")
    h.set_defaults(fn=cmd_hyperband)
    g = common(sub.add_parser("grid", help="work on an experiment's run grid"))
    g.add_argument("experiment", help="a package of mtbook.experiments, e.g. pix2pix")
    g.add_argument("--profile", default=None)
    g.set_defaults(fn=cmd_grid)
    s = common(sub.add_parser("status", help="the studies, or one study's trials"))
    s.add_argument("--study", default=None)
    s.set_defaults(fn=cmd_status)
    r = common(sub.add_parser("retry", help="queue a study's failed trials again"))
    r.add_argument("--study", required=True)
    r.set_defaults(fn=cmd_retry)
    args = ap.parse_args(argv)
    try:
        return args.fn(args)
    except ValueError as e:  # bad input: one clear line
        print(f"error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
