"""Hyperband over a loss weight lambda, with Optuna's ``HyperbandPruner`` (the paper's baseline).

The paper's Hyperband baseline runs 40 trials; each samples lambda log-uniformly in [1e-4, 1e4]
("each trial randomly sampled a different lambda from the logarithmic scale"), trains, reports a
validation score after every epoch and may be stopped early by Hyperband's successive halving; the
row of the table is the trial with the best score ("the trial that is associated with the chosen
lambda"). Here: ``optuna.samplers.RandomSampler`` (random, seeded) +
``optuna.pruners.HyperbandPruner`` (resource = epochs), minimising the objective the caller reports
(validation FID where FID is available, else validation L1; the caller names it). The study may
live in a database that several workers share (:mod:`mtbook.core.sweeps`).

:func:`search` is generic: it knows nothing about GANs. ``train_fn(lam, trial_number, report)``
trains one trial, calls ``report(epoch, value)`` after every epoch (which raises
``optuna.TrialPruned`` when Hyperband stops the trial) and returns ``dict(value=final objective,
**anything)`` when it completes.
"""

from __future__ import annotations

import math
from typing import Callable

LOW, HIGH = 1e-4, 1e4


def search(
    train_fn: Callable,
    *,
    n_trials: int,
    max_epochs: int,
    seed: int = 0,
    low: float = LOW,
    high: float = HIGH,
    reduction_factor: int = 3,
    min_epochs: int = 1,
    progress=None,
    storage=None,
    study_name: str | None = None,
) -> dict:
    """Run the study; return ``dict(best=trial summary, trials=[summaries], settings)``.

    A trial summary: ``number, lam, state ('COMPLETE' | 'PRUNED' | 'FAIL'), epochs, values`` (one
    objective value per epoch run) and, for complete trials, ``result`` (what ``train_fn``
    returned).

    The lambdas are drawn from ``seed`` before the first trial (:func:`mtbook.core.sweeps.
    presample_lambdas`, the values a ``RandomSampler(seed)`` study draws) and enqueued, one trial
    each. ``storage=None`` keeps the study in memory, in this process. A storage (a database URL,
    ``"sqlite"`` for the default file, or an ``optuna`` storage) puts it in a database that other
    workers (``python -m mtbook.core.sweep_cli hyperband``) may join: this process then runs
    trials until none is left, waits for the others' and returns every trial (``result`` of
    another worker's trial is what JSON kept of it). One worker on a database gives the same
    trials as in memory, whatever the ``study_name``: each trial's bracket is drawn from the seed
    and its number.
    """
    import optuna

    from . import sweeps

    if n_trials < 1:
        raise ValueError(f"n_trials must be at least 1, got {n_trials}")
    if not (0 < low < high):
        raise ValueError(f"need 0 < low < high for a log-uniform lambda, got [{low}, {high}]")
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    if storage is None:
        storage = optuna.storages.InMemoryStorage()
    elif isinstance(storage, str):
        storage = sweeps.open_storage(storage)
    study = sweeps.hyperband_study(
        storage,
        study_name or f"hyperband-lambda-seed{seed}",
        bracket_key=f"hyperband-lambda-seed{seed}",  # the brackets of the one-process search
        n_trials=n_trials,
        max_epochs=max_epochs,
        seed=seed,
        low=low,
        high=high,
        reduction_factor=reduction_factor,
        min_epochs=min_epochs,
    )
    results: dict[int, dict] = {}
    sweeps.run_hyperband_worker(study, storage, train_fn, results=results, progress=progress)
    trials = sweeps.hyperband_trials(study, results)
    complete = [t for t in trials if t["state"] == "COMPLETE"]
    if not complete:
        raise RuntimeError("Hyperband: no trial completed; raise n_trials")
    best = min(complete, key=lambda t: t["result"]["value"])
    return dict(
        best=best,
        trials=trials,
        settings=dict(
            n_trials=n_trials,
            max_epochs=max_epochs,
            min_epochs=min_epochs,
            reduction_factor=reduction_factor,
            low=low,
            high=high,
            seed=seed,
            sampler="optuna RandomSampler",
            pruner="optuna HyperbandPruner",
            n_brackets=int(math.floor(math.log(max_epochs / min_epochs, reduction_factor))) + 1,
        ),
    )
