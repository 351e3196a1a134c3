"""Dry runs of the ``full`` profile on the CPU: the full configuration, a few steps, a real record.

Nobody here can run ``full`` (it needs a GPU), so nothing would tell us that it breaks until someone
pays for a GPU and loses an afternoon. A dry run takes an experiment's real ``CONFIG["full"]``,
builds its models at full size and drives the experiment's *own* record-producing function
(``run_all`` and what it calls) for a couple of steps, with only the length of training shrunk: the
function that trains one run is wrapped so that it gets the full config with fewer epochs / steps
(:func:`shrink`), and the grid of jobs is cut to one seed (:func:`limit_jobs`). Everything else --
model sizes, batch size, evaluation mode, learning-rate schedule, the record's config -- is the
full profile's. Records go to a temporary results directory (:func:`full_profile_env`), never to
``results/``. Used by ``tests/test_full_dryrun.py``.

The helpers are generic (a ``monkeypatch``-like object with ``setenv`` / ``delenv`` is enough):

* :func:`full_profile_env` -- records, cache and torch hub into a temporary folder, dirty tree
  allowed, no FID weights (offline);
* :func:`shrink` -- a copy of a config with some of its *existing* keys changed (a typo raises);
* :func:`snapshot` / :func:`unchanged_params` -- did training move every parameter;
* :func:`non_finite` -- paths of NaN / inf numbers (and of ``None`` where none is allowed) in a
  record's nested metrics and curves;
* :func:`limit_jobs` -- a ``run_grid`` that runs only the jobs a predicate keeps.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Callable

import torch

DRY_ENV = {"MTADAM_ALLOW_DIRTY": "1"}
FID_ENVS = ("MTADAM_FID_WEIGHTS", "MTADAM_FID_DOWNLOAD")


def full_profile_env(monkeypatch, tmp: Path | str) -> Path:
    """Point ``MTADAM_RESULTS``, ``MTADAM_CACHE``, ``TORCH_HOME`` into ``tmp``; allow dirty trees.

    ``MTADAM_ALLOW_DIRTY=1``: a ``full`` record is refused from uncommitted code otherwise
    (:func:`mtbook.core.records.check_clean`). The FID variables are removed and the torch hub
    cache is empty, so FID is unavailable as it is offline. Returns the results root.
    """
    tmp = Path(tmp)
    results = tmp / "results"
    monkeypatch.setenv("MTADAM_RESULTS", str(results))
    monkeypatch.setenv("MTADAM_CACHE", str(tmp / "cache"))
    monkeypatch.setenv("TORCH_HOME", str(tmp / "torch"))
    for k, v in DRY_ENV.items():
        monkeypatch.setenv(k, v)
    for k in FID_ENVS:
        monkeypatch.delenv(k, raising=False)
    return results


def shrink(cfg: dict, **changes) -> dict:
    """``dict(cfg, **changes)``; every changed key must be in ``cfg`` already (else KeyError)."""
    unknown = sorted(set(changes) - set(cfg))
    if unknown:
        raise KeyError(f"shrink: {', '.join(unknown)} not in the config (keys: {', '.join(cfg)})")
    return dict(cfg, **changes)


def snapshot(*modules: torch.nn.Module) -> dict:
    """Copies of every parameter of ``modules``, by ``"<module index>.<name>"``."""
    return {
        f"{i}.{n}": p.detach().clone()
        for i, m in enumerate(modules)
        for n, p in m.named_parameters()
    }


def unchanged_params(modules, snap: dict) -> list[str]:
    """Names (as in :func:`snapshot`) of parameters still equal to their snapshot."""
    now = {f"{i}.{n}": p.detach() for i, m in enumerate(modules) for n, p in m.named_parameters()}
    if set(now) != set(snap):
        raise ValueError("the modules' parameters differ from the snapshot's")
    return [k for k, v in snap.items() if torch.equal(v, now[k].to(v.device))]


def non_finite(obj, path: str = "", allow_none: tuple = ()) -> list[str]:
    """Paths (``a.b[3]``) of NaN / inf numbers in nested dicts and lists, and of ``None`` values
    whose key is not in ``allow_none``. Booleans and strings are ignored."""
    bad = []
    if isinstance(obj, dict):
        for k, v in obj.items():
            p = f"{path}.{k}" if path else str(k)
            if v is None:
                if k not in allow_none:
                    bad.append(p + " (None)")
            else:
                bad += non_finite(v, p, allow_none)
    elif isinstance(obj, (list, tuple)):
        for i, v in enumerate(obj):
            p = f"{path}[{i}]"
            bad += non_finite(v, p, allow_none) if v is not None else [f"{p} (None)"]
    elif isinstance(obj, (int, float)) and not isinstance(obj, bool):
        if not math.isfinite(obj):
            bad.append(f"{path} ({obj})")
    return bad


def limit_jobs(
    run_grid: Callable, keep: Callable[[dict], bool], seen: list | None = None
) -> Callable:
    """A ``run_grid`` that passes on only the jobs ``keep(job)`` accepts (all jobs are appended to
    ``seen`` first, so a test can check the full grid the experiment asked for)."""

    def limited(jobs, run, **kwargs):
        jobs = list(jobs)
        if seen is not None:
            seen.extend(jobs)
        return run_grid([j for j in jobs if keep(j)], run, **kwargs)

    return limited
