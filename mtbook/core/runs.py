"""Running experiments: the config of a profile, run-or-load, and a resumable grid of runs.

* :func:`config_for` -- ``CONFIG[profile]`` of an experiment as a fresh dict (one error message for
  an unknown profile, everywhere).
* :func:`run_or_load` -- the record of one run: reused when a record exists whose config equals
  the requested one *after JSON normalisation* (tuples and lists compare equal, as they do once
  stored); otherwise the run is done and its record saved. A record with another config is not
  silently reused: it is re-run (and overwritten), and the reason is printed.
* :func:`run_grid` -- many runs with one tqdm bar; finished runs are skipped, so an interrupted grid
  resumes where it stopped (run-level resume; long single runs checkpoint themselves).
"""

from __future__ import annotations

import time
from typing import Callable, Iterable

from .profiles import get_profile
from .records import check_clean, has_record, load_record, normalize, record_path, save_record


def config_for(configs: dict, profile: str | None = None, experiment: str = "experiment") -> dict:
    """``configs[profile]`` (default: the current profile) as a fresh dict."""
    name = profile or get_profile()
    if name not in configs:
        raise ValueError(f"{experiment}: unknown profile {name!r}; use one of {', '.join(configs)}")
    return dict(configs[name])


def matching_record(
    experiment: str, method: str, seed: int, config: dict, profile: str | None = None
) -> dict | None:
    """The stored record of that run if its config
    equals ``config`` (JSON-normalised), else None."""
    if not has_record(experiment, method, seed, profile):
        return None
    rec = load_record(record_path(experiment, method, seed, profile))
    return rec if rec.get("config") == normalize(config) else None


def run_or_load(
    experiment: str,
    method: str,
    seed: int,
    config: dict,
    fn: Callable[[], dict],
    profile: str | None = None,
    verbose: bool = False,
) -> dict:
    """The record of one run; ``fn()`` returns ``dict(metrics, curves=None, extra=None)``."""
    profile = profile or get_profile()
    rec = matching_record(experiment, method, seed, config, profile)
    if rec is not None:
        return rec
    check_clean(profile)  # before the run, not after it
    if verbose and has_record(experiment, method, seed, profile):
        print(f"{experiment}/{method} seed {seed}: stored record has another config; re-running")
    t0 = time.time()
    out = fn()
    path = save_record(
        experiment,
        method,
        config=config,
        seed=seed,
        metrics=out["metrics"],
        curves=out.get("curves"),
        wall_time=time.time() - t0,
        profile=profile,
        extra=out.get("extra"),
    )
    return load_record(path)


def run_grid(
    jobs: Iterable[dict],
    run: Callable[[dict, object], dict],
    *,
    desc: str,
    total_units: Callable[[dict], int] = lambda job: 1,
    profile: str | None = None,
    verbose: bool = True,
    after_save: Callable[[dict], None] | None = None,
) -> list[dict]:
    """Run every job that has no matching record; return all their records in job order.

    A job is ``dict(experiment, method, seed, config, **anything)``; ``run(job, bar)`` trains it and
    returns ``dict(metrics, curves, extra)`` (it may advance ``bar`` by ``total_units(job)``).
    ``after_save(job)`` runs once a job's record is written (e.g. to delete its checkpoints).
    """
    from tqdm import tqdm  # plain bar: no ipywidgets warning in stored notebook outputs

    profile = profile or get_profile()
    jobs = list(jobs)
    stored = [
        matching_record(j["experiment"], j["method"], j["seed"], j["config"], profile) for j in jobs
    ]
    todo = [j for j, r in zip(jobs, stored) if r is None]
    if todo:
        check_clean(profile)  # refuse before hours of training, not when the first record is saved
    if verbose and not todo:
        print(f"{desc}: all {len(jobs)} runs of profile {profile!r} have records; reusing them")
    bar = tqdm(
        total=sum(total_units(j) for j in todo),
        desc=f"{desc}: {len(todo)} runs",
        mininterval=5,
        disable=not verbose or not todo,
    )
    out = []
    for job, rec in zip(jobs, stored):
        if rec is None:
            bar.set_postfix_str(f"{job['method']} seed {job['seed']}")
            rec = run_or_load(
                job["experiment"],
                job["method"],
                job["seed"],
                job["config"],
                lambda job=job: run(job, bar),
                profile,
            )
            if after_save is not None:
                after_save(job)
        out.append(rec)
    bar.close()
    return out
