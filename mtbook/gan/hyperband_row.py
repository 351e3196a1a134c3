"""A chapter's Hyperband row, in one process or shared by workers through a sweep database.

The GAN chapters (pix2pix, SRGAN, CycleGAN) have the same Hyperband row: ``n_trials`` trainings,
each with its own lambda, pruned by :func:`mtbook.core.hyperband.search`; the record is the best
trial's (its test metrics, curves, layer names and sample images) plus a summary of every trial.
:func:`run_row` is that row; the chapter gives it the training of one trial.

* **Without a sweep storage** (no ``sweep=`` and no ``$MTADAM_SWEEP``) the study is in memory and
  each trial's full training output stays in this process: exactly the chapters' one-process row.
* **With a storage** the study is in that database (:mod:`mtbook.core.sweeps`), named by
  :func:`study_name` from the experiment, profile, seed and a digest of the row's config (and, at
  ``cpu``/``full``, the commit: the trials of one record come from one code). Any number of
  processes running the same row join it and take its trials until none is left. A complete
  trial's full output goes into the database with it (:func:`to_json`: the curves packed as
  :func:`mtbook.core.records.pack` packs them, the sample images as compressed ``.npz`` bytes in
  base64), and every worker assembles the record from the *stored* result of the best trial,
  whichever worker ran it: every worker writes the same record and the same samples.

Inside a shared run grid (:func:`mtbook.core.runs.run_grid` with ``shared=``), a worker that has
no grid job left to claim joins the Hyperband rows other workers are running, so all the GPUs
work on the row's trials; once the grid is finished, a worker that took no part in a row runs it
again -- its study is finished, nothing trains -- to write its samples from the database.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
from pathlib import Path
from typing import Callable

import numpy as np

from ..core.records import PROCESS_GIT, normalize, pack, unpack
from ..core.sweeps import STORAGE_ENV

NPZ = "__npz__"


def storage_of(sweep: str | None = None) -> str | None:
    """The sweep storage of a row: ``sweep``, else ``$MTADAM_SWEEP``, else None (in memory)."""
    return sweep or os.environ.get(STORAGE_ENV) or None


def study_name(experiment: str, profile: str, seed: int, row: dict) -> str:
    """``hyperband-<experiment>-<profile>-seed<seed>-<digest>``: the same on every worker that
    runs the same row; another config (or, at ``cpu``/``full``, another commit) gives another."""
    key = dict(row=normalize(row))
    if profile != "smoke":
        key["commit"] = PROCESS_GIT.get("commit")
    digest = hashlib.sha1(json.dumps(key, sort_keys=True).encode()).hexdigest()[:12]
    return f"hyperband-{experiment}-{profile}-seed{int(seed)}-{digest}"


# ------------------------------------------------------------------------ a trial's full output


def _npz(arrays) -> dict:
    single = isinstance(arrays, np.ndarray)
    buf = io.BytesIO()
    np.savez_compressed(buf, **({"array": arrays} if single else arrays))
    return {NPZ: base64.b64encode(buf.getvalue()).decode("ascii"), "single": single}


def _from_npz(value: dict):
    with np.load(io.BytesIO(base64.b64decode(value[NPZ]))) as f:
        arrays = {k: f[k] for k in f.files}
    return arrays["array"] if value["single"] else arrays


def _arrays(value) -> bool:
    if isinstance(value, np.ndarray):
        return True
    return (
        isinstance(value, dict)
        and bool(value)
        and all(isinstance(v, np.ndarray) for v in value.values())
    )


def to_json(res: dict) -> dict:
    """A trial's training output as JSON can hold it, compactly: numpy arrays (and dicts of them,
    such as the samples) as compressed ``.npz`` in base64, byte for byte; ``curves`` packed
    (:func:`mtbook.core.records.pack`, as a record stores them); the rest as JSON gives it back."""
    out = {}
    for key, value in res.items():
        if _arrays(value):
            out[key] = _npz(value)
        elif key == "curves":
            out[key] = pack(normalize(value))
        else:
            out[key] = normalize(value)
    return out


def from_json(stored: dict) -> dict:
    """The inverse of :func:`to_json` (curves as plain lists, arrays as numpy arrays)."""
    out = {}
    for key, value in stored.items():
        if isinstance(value, dict) and NPZ in value:
            out[key] = _from_npz(value)
        elif key == "curves":
            out[key] = unpack(value)
        else:
            out[key] = value
    return out


def save_npz(path: Path, **arrays) -> None:
    """``np.savez_compressed`` through a temporary file: workers on one machine may write the same
    samples at once."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.stem}.{os.getpid()}.tmp.npz")
    np.savez_compressed(tmp, **arrays)
    os.replace(tmp, path)


# ----------------------------------------------------------------------------------- the row


def run_row(
    train: Callable,
    *,
    search: Callable,
    record: Callable,
    save_samples: Callable,
    chosen: str,
    objective: str,
    n_trials: int,
    max_epochs: int,
    seed: int,
    experiment: str,
    profile: str,
    row: dict,
    sweep: str | None = None,
    **ranges,
) -> dict:
    """The Hyperband row's ``dict(metrics, curves, extra)``.

    ``train(lam, number, report) -> dict(value=objective, test=test metrics, full=training
    output)`` trains one trial; ``search`` is :func:`mtbook.core.hyperband.search` (the chapter's
    name for it); ``record(full, extra)`` makes the record of the best trial's output and
    ``save_samples(full)`` writes its samples; ``chosen`` names the metric that holds the chosen
    lambda (``chosen_lambda2``). ``row``: the row's config (its study's name); ``ranges``: ``low``,
    ``high`` when the chapter's lambda range is not the paper's.
    """
    storage = storage_of(sweep)
    full: dict[int, dict] = {}

    def train_fn(lam, number, report):
        out = train(lam, number, report)
        res = out.pop("full")
        if storage is None:
            full[number] = res
        else:
            out["full"] = to_json(res)
        return out

    kw = dict(ranges)
    if storage is not None:
        kw.update(storage=storage, study_name=study_name(experiment, profile, seed, row))
    study = search(train_fn, n_trials=n_trials, max_epochs=max_epochs, seed=seed, **kw)
    best = study["best"]
    if storage is None:
        res = full[best["number"]]
    else:  # the stored result, as every worker reads it (this one's own trials included)
        res = from_json(normalize(best["result"])["full"])
    save_samples(res)
    out = record(
        res,
        dict(
            settings=study["settings"],
            objective=objective,
            trials=[
                dict(
                    number=t["number"],
                    lam=t["lam"],
                    state=t["state"],
                    epochs=t["epochs"],
                    values=t["values"],
                    test=(t["result"] or {}).get("test"),
                )
                for t in study["trials"]
            ],
        ),
    )
    out["metrics"].update({chosen: best["lam"], "best_trial": best["number"]})
    return out
