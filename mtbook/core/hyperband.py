"""Hyperband over a loss weight lambda, with Optuna's ``HyperbandPruner`` (the paper's baseline).

The paper's Hyperband baseline runs 40 trials; each samples lambda log-uniformly in [1e-4, 1e4]
("each trial randomly sampled a different lambda from the logarithmic scale"), trains, reports a
validation score after every epoch and may be stopped early by Hyperband's successive halving; the
row of the table is the trial with the best score ("the trial that is associated with the chosen
lambda"). Here: ``optuna.samplers.RandomSampler`` (random, seeded) +
``optuna.pruners.HyperbandPruner`` (resource = epochs), minimising the objective the caller reports
(validation FID where FID is available, else validation L1; the caller names it).

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
) -> dict:
    """Run the study; return ``dict(best=trial summary, trials=[summaries], settings)``.

    A trial summary: ``number, lam, state ('COMPLETE' | 'PRUNED' | 'FAIL'), epochs, values`` (one
    objective value per epoch run) and, for complete trials, ``result`` (what ``train_fn``
    returned).
    """
    import optuna

    if n_trials < 1:
        raise ValueError(f"n_trials must be at least 1, got {n_trials}")
    if not (0 < low < high):
        raise ValueError(f"need 0 < low < high for a log-uniform lambda, got [{low}, {high}]")
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    pruner = optuna.pruners.HyperbandPruner(
        min_resource=min_epochs, max_resource=max_epochs, reduction_factor=reduction_factor
    )
    study = optuna.create_study(
        direction="minimize",
        sampler=optuna.samplers.RandomSampler(seed=seed),
        pruner=pruner,
        study_name=f"hyperband-lambda-seed{seed}",
    )
    results: dict[int, dict] = {}

    def objective(trial):
        lam = trial.suggest_float("lam", low, high, log=True)

        def report(epoch: int, value: float):
            value = float(value)
            if not math.isfinite(value):
                value = float("inf")
            trial.report(value, epoch)
            if trial.should_prune():
                raise optuna.TrialPruned(f"pruned at epoch {epoch}")

        out = train_fn(lam, trial.number, report)
        results[trial.number] = out
        value = float(out["value"])
        return value if math.isfinite(value) else float("inf")

    for _ in range(n_trials):
        study.optimize(objective, n_trials=1, catch=(FloatingPointError,))
        if progress is not None:
            progress.update(1)

    trials = []
    for t in study.trials:
        values = [t.intermediate_values[k] for k in sorted(t.intermediate_values)]
        trials.append(
            dict(
                number=t.number,
                lam=t.params.get("lam"),
                state=t.state.name,
                epochs=len(values),
                values=values,
                result=results.get(t.number),
            )
        )
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
