"""Running experiments: the config of a profile, run-or-load, and a resumable grid of runs.

* :func:`config_for` -- ``CONFIG[profile]`` of an experiment as a fresh dict (one error message for
  an unknown profile, everywhere).
* :func:`run_or_load` -- the record of one run: reused when a record exists whose config equals
  the requested one *after JSON normalisation* (tuples and lists compare equal, as they do once
  stored); otherwise the run is done and its record saved. A record with another config is not
  silently reused: it is re-run (and overwritten), and the reason is printed.
* :func:`run_grid` -- many runs with one tqdm bar; finished runs are skipped, so an interrupted grid
  resumes where it stopped (run-level resume; long single runs checkpoint themselves).
  With a sweep storage (``sweep=`` or ``$MTADAM_SWEEP``: a database URL, or ``sqlite`` for the
  default file) the jobs are trials of one Optuna study (:mod:`mtbook.core.sweeps`): every process
  that runs the same grid -- on this machine or another -- takes jobs until none is left, so each
  job is done once; each job's record goes into the database, and every process ends with all the
  records (those done elsewhere are written here as they were saved there). A *shared* job is a
  sweep itself (a Hyperband row, :mod:`mtbook.gan.hyperband_row`): one worker claims it, and every
  worker that has no job left to claim joins it instead of waiting.
"""

from __future__ import annotations

import os
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
    sweep: str | None = None,
    shared: Callable[[dict], bool] | None = None,
) -> list[dict]:
    """Run every job that has no matching record; return all their records in job order.

    A job is ``dict(experiment, method, seed, config, **anything)``; ``run(job, bar)`` trains it and
    returns ``dict(metrics, curves, extra)`` (it may advance ``bar`` by ``total_units(job)``).
    ``after_save(job)`` runs once a job's record is written (e.g. to delete its checkpoints).
    ``sweep``: share the jobs with other processes through that storage (default
    ``$MTADAM_SWEEP``; unset: this process runs them all, as before). In a sweep, ``run`` gets
    the job with ``sweep`` (the storage) added, and ``shared(job)`` True marks a job whose run is
    itself a sweep in that storage (a Hyperband row's trials): a worker with no job left to claim
    calls ``run(job, bar)`` on such a job that another worker holds, to help with its trials (it
    writes no record of it: the holder's record comes from the database at the end); a worker
    that took no part in a shared job calls it once the grid is finished, when that job's own
    sweep is finished too, so that it writes the job's other files from the database.
    """
    from tqdm import tqdm  # plain bar: no ipywidgets warning in stored notebook outputs

    from .sweeps import STORAGE_ENV

    profile = profile or get_profile()
    jobs = list(jobs)
    sweep = sweep or os.environ.get(STORAGE_ENV)
    if sweep and jobs:
        return _run_grid_sweep(
            jobs, run, sweep, desc, total_units, profile, verbose, after_save, shared
        )
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


def _run_grid_sweep(jobs, run, sweep, desc, total_units, profile, verbose, after_save, shared):
    """:func:`run_grid` through an Optuna study that other processes share (one trial per job)."""
    from optuna.trial import TrialState
    from tqdm import tqdm

    from . import sweeps
    from .records import PROCESS_GIT

    stored = [
        matching_record(j["experiment"], j["method"], j["seed"], j["config"], profile) for j in jobs
    ]
    if any(r is None for r in stored):
        check_clean(profile)
    storage = sweeps.open_storage(sweep)
    study = sweeps.grid_study(storage, jobs, profile)
    spec_commit = study.user_attrs.get("commit")
    if spec_commit and PROCESS_GIT.get("commit") != spec_commit:
        raise RuntimeError(
            f"{desc}: study {study.study_name!r} was created at commit {spec_commit[:10]}, this "
            f"process runs {str(PROCESS_GIT.get('commit'))[:10]}; every worker of a {profile!r} "
            f"grid must run the same commit"
        )
    bar = tqdm(
        total=sum(total_units(j) for j, r in zip(jobs, stored) if r is None),
        desc=f"{desc}: sweep {study.study_name}",
        mininterval=5,
        disable=not verbose,
    )

    def run_trial(trial):
        i = int(trial.user_attrs["index"])
        job = jobs[i]
        bar.set_postfix_str(f"{job['method']} seed {job['seed']}")
        ran = []
        try:
            run_or_load(
                job["experiment"],
                job["method"],
                job["seed"],
                job["config"],
                lambda: ran.append(1) or run(dict(job, sweep=sweep), bar),
                profile,
            )
        except KeyboardInterrupt:
            raise
        except BaseException as e:
            trial.set_user_attr("error", repr(e))
            study.tell(trial, state=TrialState.FAIL)
            raise
        if ran and after_save is not None:
            after_save(job)
        path = record_path(job["experiment"], job["method"], job["seed"], profile)
        trial.set_user_attr("record", path.read_text())
        trial.set_user_attr("ran", bool(ran))  # False: an existing record was uploaded
        study.tell(trial, 0.0)

    joined = set()

    def join_shared() -> bool:
        """Help with a shared job another worker holds (its trials); True if there was one."""
        if shared is None:
            return False
        for t in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
            i = int(t.user_attrs["index"])
            if i in joined or not shared(jobs[i]):
                continue
            joined.add(i)
            bar.set_postfix_str(f"joined {jobs[i]['method']} seed {jobs[i]['seed']}")
            run(dict(jobs[i], sweep=sweep), bar)  # returns once that job's own sweep is finished
            if after_save is not None:
                after_save(jobs[i])  # e.g. this worker's checkpoints of its trials
            return True
        return False

    mine = sweeps.work(study, storage, run_trial, idle=join_shared)
    final = sweeps.final_trials(study)
    if shared is not None:  # the files a shared job writes beside its record (samples): from the
        for i, t in sorted(final.items()):  # finished sweep in the database, nothing trains again
            if shared(jobs[i]) and t.user_attrs.get("ran") and i not in joined and i not in mine:
                run(dict(jobs[i], sweep=sweep), bar)
    bar.close()
    out = []
    for i, (job, rec) in enumerate(zip(jobs, stored)):
        key = (job["experiment"], job["method"], job["seed"], job["config"], profile)
        rec = matching_record(*key)
        if rec is None:
            t = final.get(i)
            if t is None or t.state.name != "COMPLETE":
                why = t.user_attrs.get("error") if t is not None else "no finished trial"
                raise RuntimeError(
                    f"{desc}: job {job['method']} seed {job['seed']} failed on worker "
                    f"{t.user_attrs.get('worker') if t is not None else '?'}: {why}. Queue it "
                    f"again: python -m mtbook.core.sweep_cli retry --study {study.study_name}"
                )
            path = record_path(job["experiment"], job["method"], job["seed"], profile)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(t.user_attrs["record"])  # verbatim: the provenance of where it ran
            rec = matching_record(*key)
            if rec is None:
                raise RuntimeError(f"{desc}: the sweep's record {path.name} has another config")
        out.append(rec)
    if verbose:
        workers = {t.user_attrs.get("worker") for t in final.values() if t.user_attrs.get("ran")}
        print(f"{desc}: {len(out)} records; {study.study_name} ran on {len(workers)} worker(s)")
    return out


def parse_shard(text: str) -> tuple[int, int]:
    """``"i/k"`` -> ``(i, k)`` for a script's ``--shard`` (every k-th job from the i-th, so that k
    processes split a grid without colliding); ``argparse.ArgumentTypeError`` otherwise."""
    import argparse

    try:
        i, k = (int(v) for v in text.split("/"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"--shard wants i/k (e.g. 0/2), got {text!r}") from None
    if not 0 <= i < k:
        raise argparse.ArgumentTypeError(f"--shard i/k needs 0 <= i < k, got {text!r}")
    return i, k
