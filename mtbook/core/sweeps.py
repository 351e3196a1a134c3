"""Sweeps across processes and machines: one Optuna study in a database, many workers.

The paper's Hyperband baseline took "16 days (four V100 GPUs running in parallel for 4 days)". Here
a sweep -- the trials of a Hyperband search, or the jobs (method x seed) of a run grid -- is an
Optuna study in an RDB storage, and any number of worker processes, on one machine or many, take
its trials until none is left:

* **Storage.** :func:`storage_url`: a database URL (``postgresql://user:pw@host/db`` to share one
  study among machines and Colab sessions, ``sqlite:///path.db`` for one machine), or the default,
  a local SQLite file ``$MTADAM_CACHE/sweeps/sweeps.db`` -- in the writable cache beside the
  checkpoints a retried trial resumes from, outside the repository (a binary database does not
  belong in ``results/``, which holds the committed records).
* **Every trial is enqueued once, by the process that creates the study** (:func:`create_or_join`:
  the database's unique study name decides which process that is; the others wait until it marks
  the study ``ready``). A worker *claims* a waiting trial with Optuna's atomic WAITING -> RUNNING
  transition (:func:`claim`) and never asks Optuna for a new one, so the number of trials is fixed
  whatever the number of workers, and no trial runs twice.
* **Hyperband's lambdas are drawn before any worker starts** (:func:`presample_lambdas`): the values
  Optuna's ``RandomSampler(seed)`` gives a one-process study, trial by trial. With the sampler in
  the loop, which lambda a trial gets would depend on which worker asked first; enqueued, the set of
  lambdas (and each trial's number) is the same for 1 or 40 workers. So is each trial's Hyperband
  bracket: it is drawn from a key and the trial's slot (:func:`slot_hyperband_pruner`), not from
  the study's name and Optuna's trial number, so a study under any name, and a retried trial, keep
  the brackets of the one-process search. What does still depend on scheduling with several
  workers is *pruning*: successive halving compares a trial with the trials of its bracket that
  have reported by then. One worker reproduces the in-memory search exactly.
* **A killed worker.** A running trial sends a heartbeat every ``heartbeat_interval`` seconds; one
  silent for ``grace_period`` is failed by the next worker that looks (Optuna's
  ``fail_stale_trials``) and put back in the queue as a new WAITING trial with the same parameters
  and the same *slot* (``user_attrs['index']``, the number the training names its checkpoint folder
  by), up to ``max_retry`` times. The training resumes from its own checkpoint where that folder is
  reachable (the same machine, or a shared ``$MTADAM_CACHE``); elsewhere it starts again.
  Ctrl-C puts the interrupted trial back in the queue at once.
* **Results** are written per trial into the database (``user_attrs['result']`` for Hyperband, the
  record's JSON text for a grid job), so a study's results can be collected from any machine.

:func:`run_hyperband_worker` runs Hyperband trials; :func:`mtbook.core.runs.run_grid` shares its
jobs through :func:`grid_study` when it is given a storage (``sweep=`` or ``$MTADAM_SWEEP``).
The command line is ``python -m mtbook.core.sweep_cli`` (:mod:`mtbook.core.sweep_cli`).
"""

from __future__ import annotations

import contextlib
import math
import os
import socket
import threading
import time
import warnings
from typing import Callable

STORAGE_ENV = "MTADAM_SWEEP"
DEFAULT = "sqlite"  # the word that names the default local SQLite file
ACTIVE = ("WAITING", "RUNNING")


# ------------------------------------------------------------------------------------ storage


def default_db():
    from .data import cache_dir

    folder = cache_dir() / "sweeps"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / "sweeps.db"


def storage_url(url: str | None = None) -> str:
    """``url``, else ``$MTADAM_SWEEP``, else the default SQLite file; ``"sqlite"`` names it too."""
    url = (url or os.environ.get(STORAGE_ENV) or DEFAULT).strip()
    if url == DEFAULT:
        return f"sqlite:///{default_db()}"
    if "://" not in url:
        raise ValueError(
            f"sweep storage {url!r} is not a database URL; use e.g. 'sqlite:///sweeps.db', "
            f"'postgresql://user:password@host:5432/db', or {DEFAULT!r} for the default file "
            f"$MTADAM_CACHE/sweeps/sweeps.db"
        )
    return url


def _driver(url: str) -> str:
    """``postgresql://`` with the driver that is installed: SQLAlchemy 2 means psycopg (3) by it,
    the optional extra ``mtadam[sweeps]`` installs psycopg2; a clear error when neither is."""
    import importlib.util

    if not url.startswith(("postgresql://", "postgres://")):
        return url
    rest = url.split("://", 1)[1]
    for module, dialect in (("psycopg", "postgresql+psycopg"), ("psycopg2", "postgresql+psycopg2")):
        if importlib.util.find_spec(module) is not None:
            return f"{dialect}://{rest}"
    raise ValueError(
        "a postgresql:// sweep storage needs a PostgreSQL driver: pip install psycopg2-binary "
        "(or pip install 'mtadam[sweeps]')"
    )


def retry_callback(max_retry: int | None):
    import optuna

    cls = getattr(optuna.storages, "RetryHeartbeatStaleTrialCallback", None)
    cls = cls or optuna.storages.RetryFailedTrialCallback  # optuna < 4.9
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ExperimentalWarning
        return cls(max_retry=max_retry, inherit_intermediate_values=True)


def open_storage(
    url: str | None = None,
    *,
    heartbeat_interval: int = 60,
    grace_period: int | None = None,
    max_retry: int | None = 3,
):
    """An ``optuna.storages.RDBStorage`` with heartbeats and retry of stale trials."""
    import optuna
    import sqlalchemy

    if int(heartbeat_interval) < 1:
        raise ValueError(
            f"heartbeat_interval must be a whole number >= 1, got {heartbeat_interval}"
        )
    url = _driver(storage_url(url))
    if url.startswith("sqlite"):  # several processes on one file: wait for the lock, don't fail
        engine = {"connect_args": {"timeout": 120}}
    else:
        engine = {"pool_pre_ping": True}
    kw = dict(
        url=url,
        engine_kwargs=engine,
        heartbeat_interval=int(heartbeat_interval),
        grace_period=int(grace_period or 2 * heartbeat_interval),
    )
    for attempt in range(5):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # ExperimentalWarning of the heartbeat options
            retry = retry_callback(max_retry)
            try:
                try:
                    storage = optuna.storages.RDBStorage(**kw, heartbeat_stale_trial_callback=retry)
                except TypeError:  # optuna < 4.9 names it failed_trial_callback
                    storage = optuna.storages.RDBStorage(**kw, failed_trial_callback=retry)
                if url.startswith("sqlite"):
                    _serializable_sqlite(storage.engine)
                return storage
            except (sqlalchemy.exc.OperationalError, sqlalchemy.exc.IntegrityError):
                # two workers creating the tables of a new database at once: the loser retries
                if attempt == 4:
                    raise
                time.sleep(0.5 + attempt)


def _serializable_sqlite(engine) -> None:
    """Make every SQLite transaction ``BEGIN IMMEDIATE`` (SQLAlchemy's recipe), in WAL mode.

    Optuna claims a waiting trial by reading its state and writing RUNNING in one transaction,
    ``SELECT ... FOR UPDATE``; SQLite ignores ``FOR UPDATE`` and Python's sqlite3 starts the
    transaction only at the write, so two processes could both read WAITING and both run the trial
    (seen here with two workers). Taking the write lock at ``BEGIN`` serialises the pair. WAL
    (``journal_mode=WAL, synchronous=NORMAL``) makes a commit cost no fsync (14 ms each here):
    keep the file on a local disk, not a network drive.
    """
    from sqlalchemy import event

    @event.listens_for(engine, "connect")
    def _no_pysqlite_transactions(dbapi_connection, record):
        dbapi_connection.isolation_level = None
        # a write-ahead log without an fsync per commit: a trial reports after every epoch
        dbapi_connection.execute("PRAGMA journal_mode=WAL")
        dbapi_connection.execute("PRAGMA synchronous=NORMAL")

    @event.listens_for(engine, "begin")
    def _begin_immediate(connection):
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    engine.dispose()  # connections opened before the listeners existed are not reused


def worker_name() -> str:
    gpu = os.environ.get("CUDA_VISIBLE_DEVICES")
    return f"{socket.gethostname()}:{os.getpid()}" + (f":gpu{gpu}" if gpu else "")


# ------------------------------------------------------------------------------ create or join


def create_or_join(
    storage,
    study_name: str,
    *,
    spec: dict,
    enqueue: Callable,
    direction: str = "minimize",
    sampler=None,
    pruner=None,
    wait_s: float = 120.0,
):
    """Create the study and enqueue its trials (``enqueue(study)``), or join the existing one.

    Exactly one process creates a study (the storage's unique name decides); the others wait until
    it is ``ready``. A study created with another ``spec`` (settings) is refused: name a new study.
    """
    import optuna

    from .records import normalize

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    spec = normalize(spec)
    try:
        study = optuna.create_study(
            storage=storage,
            study_name=study_name,
            direction=direction,
            sampler=sampler,
            pruner=pruner,
        )
    except optuna.exceptions.DuplicatedStudyError:
        study = optuna.load_study(
            study_name=study_name, storage=storage, sampler=sampler, pruner=pruner
        )
    else:
        study.set_user_attr("spec", spec)
        enqueue(study)
        study.set_user_attr("ready", True)
        return study
    deadline = time.time() + wait_s
    while not study.user_attrs.get("ready"):
        if time.time() > deadline:
            raise RuntimeError(
                f"study {study_name!r} exists but its creator never finished enqueuing its trials "
                f"(it died?); delete it (optuna.delete_study) and start again"
            )
        time.sleep(0.2)
    if study.user_attrs.get("spec") != spec:
        theirs = study.user_attrs.get("spec") or {}
        diff = sorted(k for k in set(spec) | set(theirs) if spec.get(k) != theirs.get(k))
        raise ValueError(
            f"study {study_name!r} in this storage was created with other settings "
            f"(differing: {', '.join(diff)}); give this sweep another study name"
        )
    return study


# --------------------------------------------------------------------------- claim and beat


def claim(study, storage, worker: str | None = None):
    """The next waiting trial as an ``optuna.Trial`` now RUNNING for this worker, or None.

    First fails the trials whose heartbeat stopped (their retries join the queue).
    """
    import optuna
    from optuna.trial import TrialState

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        optuna.storages.fail_stale_trials(study)
    study_id = storage.get_study_id_from_name(study.study_name)
    for t in study.get_trials(deepcopy=False, states=(TrialState.WAITING,)):
        trial_id = storage.get_trial_id_from_study_id_trial_number(study_id, t.number)
        try:
            if not storage.set_trial_state_values(trial_id, state=TrialState.RUNNING):
                continue  # another worker took it first
        except optuna.exceptions.UpdateFinishedTrialError:
            continue
        if getattr(storage, "get_heartbeat_interval", lambda: None)():
            storage.record_heartbeat(trial_id)  # a trial without a heartbeat is never found stale
        trial = optuna.trial.Trial(study, trial_id)
        trial.set_user_attr("worker", worker or worker_name())
        return trial
    return None


@contextlib.contextmanager
def heartbeat(storage, trial):
    """Record the trial's heartbeat every ``heartbeat_interval`` s while the block runs."""
    interval = getattr(storage, "get_heartbeat_interval", lambda: None)()
    if not interval:
        yield
        return
    stop = threading.Event()

    def beat():
        while True:
            storage.record_heartbeat(trial._trial_id)
            if stop.wait(interval):
                return

    thread = threading.Thread(target=beat, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def requeue(study, storage, trial) -> None:
    """Fail ``trial`` and put a copy (same slot and parameters) back in the queue: an interrupted
    trial (Ctrl-C) is taken again by the next worker instead of being lost."""
    from optuna.trial import TrialState

    study.tell(trial, state=TrialState.FAIL)
    retry_callback(None)(study, storage.get_trial(trial._trial_id))


def active_states():
    from optuna.trial import TrialState

    return (TrialState.WAITING, TrialState.RUNNING)


def finished(study) -> bool:
    """No trial waits and none runs (a worker whose heartbeat stopped is failed first)."""
    import optuna

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        optuna.storages.fail_stale_trials(study)
    return not study.get_trials(deepcopy=False, states=active_states())


def final_trials(study) -> dict:
    """``{slot: the last finished attempt of it}`` (a retried trial supersedes the stale one)."""
    out = {}
    for t in study.get_trials(deepcopy=False):
        if "index" in t.user_attrs and t.state.is_finished():
            i = int(t.user_attrs["index"])
            if i not in out or t.number > out[i].number:
                out[i] = t
    return out


def work(
    study,
    storage,
    run_trial: Callable,
    *,
    poll: float = 1.0,
    worker: str | None = None,
    idle: Callable[[], bool] | None = None,
):
    """Claim and run trials until the study is finished; ``run_trial(trial)`` tells the result.

    Returns the slots this worker ran. While other workers' trials run, it waits (polling), so a
    trial whose worker dies is retried by a survivor. ``idle()``, when given, is called instead of
    waiting while there is nothing to claim: it may help with the running trials (a run grid's
    worker joins a Hyperband row's trials) and returns True if it did something.
    """
    done = []
    while True:
        trial = claim(study, storage, worker)
        if trial is None:
            if finished(study):
                return done
            if idle is None or not idle():
                time.sleep(poll)
            continue
        with heartbeat(storage, trial):
            try:
                run_trial(trial)
            except KeyboardInterrupt:
                requeue(study, storage, trial)
                raise
        done.append(int(trial.user_attrs["index"]))


# -------------------------------------------------------------------------------- Hyperband


def presample_lambdas(n_trials: int, seed: int, low: float, high: float) -> list[float]:
    """The lambdas ``RandomSampler(seed)`` gives trials 0, 1, ... of a one-process study."""
    import optuna

    sampler = optuna.samplers.RandomSampler(seed=seed)
    dist = optuna.distributions.FloatDistribution(low, high, log=True)
    return [float(sampler.sample_independent(None, None, "lam", dist)) for _ in range(n_trials)]


def slot_hyperband_pruner(bracket_key: str, **kw):
    """Optuna's ``HyperbandPruner`` whose trial goes to the bracket that Optuna would give trial
    number ``slot`` of a study named ``bracket_key`` (the crc32 of ``"<name>_<number>"``): in one
    process (slot = number, name = key) the same brackets as Optuna's; under another study name,
    and for a retried trial (a new number, the same slot), still the same."""
    import binascii

    import optuna

    class SlotHyperbandPruner(optuna.pruners.HyperbandPruner):
        def _get_bracket_id(self, study, trial) -> int:
            if len(self._pruners) == 0:
                return 0
            slot = trial.user_attrs.get("index", trial.number)
            n = (
                binascii.crc32(f"{bracket_key}_{slot}".encode())
                % self._total_trial_allocation_budget
            )
            for bracket_id, budget in enumerate(self._trial_allocation_budgets):
                n -= budget
                if n < 0:
                    return bracket_id
            raise AssertionError("unreachable: the budgets add up to the total")

    return SlotHyperbandPruner(**kw)


def hyperband_study(
    storage,
    study_name: str,
    *,
    n_trials: int,
    max_epochs: int,
    seed: int,
    low: float,
    high: float,
    reduction_factor: int = 3,
    min_epochs: int = 1,
    bracket_key: str | None = None,
):
    """Create (enqueuing every trial's lambda) or join the Hyperband study ``study_name``.

    ``bracket_key`` (default: ``study_name``) draws each slot's bracket
    (:func:`slot_hyperband_pruner`)."""
    import optuna

    if n_trials < 1:
        raise ValueError(f"n_trials must be at least 1, got {n_trials}")
    if not (0 < low < high):
        raise ValueError(f"need 0 < low < high for a log-uniform lambda, got [{low}, {high}]")
    if not (1 <= min_epochs <= max_epochs):
        raise ValueError(f"need 1 <= min_epochs <= max_epochs, got {min_epochs}, {max_epochs}")

    bracket_key = bracket_key or study_name
    pruner = slot_hyperband_pruner(
        bracket_key,
        min_resource=min_epochs,
        max_resource=max_epochs,
        reduction_factor=reduction_factor,
    )
    spec = dict(
        kind="hyperband",
        n_trials=n_trials,
        max_epochs=max_epochs,
        seed=seed,
        low=low,
        high=high,
        reduction_factor=reduction_factor,
        min_epochs=min_epochs,
        brackets=bracket_key,
    )

    def enqueue(study):
        for i, lam in enumerate(presample_lambdas(n_trials, seed, low, high)):
            study.enqueue_trial({"lam": lam}, user_attrs={"index": i})

    return create_or_join(
        storage,
        study_name,
        spec=spec,
        enqueue=enqueue,
        sampler=optuna.samplers.RandomSampler(seed=seed),
        pruner=pruner,
    )


def run_hyperband_worker(
    study,
    storage,
    train_fn: Callable,
    *,
    results: dict | None = None,
    catch=(FloatingPointError,),
    progress=None,
    poll: float = 1.0,
    worker: str | None = None,
) -> list[int]:
    """Run trials of a :func:`hyperband_study` until it is finished.

    ``train_fn(lam, slot, report)`` as in :func:`mtbook.core.hyperband.search`. Its result goes to
    ``results[slot]`` (in this process) and, when JSON can hold it, to the trial's
    ``user_attrs['result']`` (in the database). Returns the slots this worker ran.
    """
    import optuna
    from optuna.trial import TrialState

    from .records import normalize

    spec = study.user_attrs["spec"]

    def run_trial(trial):
        lam = trial.suggest_float("lam", spec["low"], spec["high"], log=True)
        slot = int(trial.user_attrs["index"])

        def report(epoch: int, value: float):
            value = float(value)
            trial.report(value if math.isfinite(value) else float("inf"), epoch)
            if trial.should_prune():
                raise optuna.TrialPruned(f"pruned at epoch {epoch}")

        try:
            out = train_fn(lam, slot, report)
        except optuna.TrialPruned:
            study.tell(trial, state=TrialState.PRUNED)
        except catch as e:
            trial.set_user_attr("error", repr(e))
            study.tell(trial, state=TrialState.FAIL)
        except KeyboardInterrupt:
            raise
        except BaseException as e:
            trial.set_user_attr("error", repr(e))
            study.tell(trial, state=TrialState.FAIL)
            raise
        else:
            if results is not None:
                results[slot] = out
            try:
                trial.set_user_attr("result", normalize(out))
            except (TypeError, ValueError):  # not JSON: keep the objective only
                trial.set_user_attr("result", {"value": normalize(out["value"])})
            value = float(out["value"])
            study.tell(trial, value if math.isfinite(value) else float("inf"))
        if progress is not None:
            progress.update(1)

    return work(study, storage, run_trial, poll=poll, worker=worker)


def hyperband_trials(study, results: dict | None = None) -> list[dict]:
    """One summary per slot (its last attempt): ``number`` (the slot), ``lam``, ``state``,
    ``epochs``, ``values``, ``result``; and ``trial`` (Optuna's number), ``worker``,
    ``attempts``."""
    results = results or {}
    attempts: dict[int, int] = {}
    for t in study.get_trials(deepcopy=False):
        if "index" in t.user_attrs:
            attempts[int(t.user_attrs["index"])] = attempts.get(int(t.user_attrs["index"]), 0) + 1
    out = []
    for slot, t in sorted(final_trials(study).items()):
        values = [t.intermediate_values[k] for k in sorted(t.intermediate_values)]
        result = None
        if t.state.name == "COMPLETE":
            result = results.get(slot, t.user_attrs.get("result"))
        out.append(
            dict(
                number=slot,
                lam=t.params.get("lam"),
                state=t.state.name,
                epochs=len(values),
                values=values,
                result=result,
                trial=t.number,
                worker=t.user_attrs.get("worker"),
                attempts=attempts[slot],
            )
        )
    return out


# -------------------------------------------------------------------------------- run grids


def grid_name(jobs: list[dict], profile: str) -> str:
    """The study name of a grid: the same on every machine that runs the same jobs and configs."""
    import hashlib
    import json

    from .records import normalize

    keys = [[j["experiment"], j["method"], int(j["seed"]), j["config"]] for j in jobs]
    digest = hashlib.sha1(json.dumps(normalize(keys), sort_keys=True).encode()).hexdigest()[:12]
    experiments = "+".join(dict.fromkeys(j["experiment"] for j in jobs))
    return f"grid-{profile}-{experiments}-{digest}"


def grid_study(storage, jobs: list[dict], profile: str, study_name: str | None = None):
    """Create (one trial per job, in job order) or join the grid study of ``jobs``."""
    from .records import PROCESS_GIT

    keys = [f"{j['experiment']}/{j['method']}/seed{j['seed']}" for j in jobs]
    # a cpu/full record comes from one commit: workers of another commit are refused
    commit = PROCESS_GIT.get("commit") if profile != "smoke" else None

    def enqueue(study):
        study.set_user_attr("commit", commit)
        for i, key in enumerate(keys):
            study.enqueue_trial({}, user_attrs={"index": i, "job": key})

    return create_or_join(
        storage,
        study_name or grid_name(jobs, profile),
        spec=dict(kind="grid", profile=profile, jobs=keys),
        enqueue=enqueue,
    )
