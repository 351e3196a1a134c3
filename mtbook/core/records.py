"""JSON run records: storage only. Every number in the book comes from one of these.

A record is written by :func:`save_record` to
``results/<profile>/<experiment>/<method>__seed<seed>.json`` and holds the experiment, method,
config, seed, profile, metrics, curves, wall time and the provenance needed to trust it: device,
torch / python / platform versions, the git commit the process loaded and a UTC timestamp.

Two rules keep records honest:

* **Clean commits only.** A ``cpu`` or ``full`` record is written only by a process whose code was a
  clean commit when it started (no uncommitted change outside ``results/`` and the notebooks' stored
  outputs, ``notebooks/*.ipynb``). Otherwise :class:`DirtyTreeError` says so. A deliberate override,
  ``MTADAM_ALLOW_DIRTY=1``, writes the record with ``"override_dirty": true``, and the tables and
  the scoreboard that show it say so.
* **Compact curves.** Long numeric lists (per-step curves) are stored as base64 float32/int32 arrays
  (:func:`pack`); :func:`load_record` unpacks them, so readers see plain lists.

Presentation (tables, mean ± SD) lives in :mod:`mtbook.core.report`; running (config per profile,
run-or-load, grids) in :mod:`mtbook.core.runs`.
"""

from __future__ import annotations

import base64
import datetime as _dt
import json
import os
import platform
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np

from .profiles import PROFILES, get_profile

RESULTS_ENV = "MTADAM_RESULTS"
DIRTY_ENV = "MTADAM_ALLOW_DIRTY"
SCHEMA_VERSION = 2
CLEAN_PROFILES = ("cpu", "full")  # profiles whose records are results
PACK_MIN = 64  # lists with at least this many numbers are packed


class DirtyTreeError(RuntimeError):
    """A ``cpu``/``full`` record was about to be written from uncommitted code."""


def repo_root() -> Path:
    """The project checkout containing this package, or the working directory when installed."""
    here = Path(__file__).resolve().parents[2]
    if any((here / f).exists() for f in ("pyproject.toml", ".git", "_toc.yml")):
        return here
    return Path.cwd()


def relpath(path: Path | str) -> str:
    """``path`` relative to the repository (for printed output; never a machine's absolute path)."""
    path = Path(path).resolve()
    try:
        return str(path.relative_to(repo_root().resolve()))
    except ValueError:
        return path.name if path.is_absolute() else str(path)


def _check_profile(profile: str | None) -> str:
    name = profile or get_profile()
    if name not in PROFILES:
        raise ValueError(f"unknown profile {name!r}; use one of {', '.join(PROFILES)}")
    return name


def results_dir(profile: str | None = None) -> Path:
    """``$MTADAM_RESULTS/<profile>`` or ``<repo>/results/<profile>`` (not created)."""
    base = os.environ.get(RESULTS_ENV)
    root = Path(base).expanduser() if base else repo_root() / "results"
    return root / _check_profile(profile)


def _safe(name: str, what: str) -> str:
    name = str(name)
    if not name or "/" in name or "\\" in name or name.startswith(".") or "__" in name:
        raise ValueError(
            f"{what} name {name!r} must be non-empty, without '/', '__' or a leading '.'"
        )
    return name


def record_path(experiment: str, method: str, seed: int, profile: str | None = None) -> Path:
    """Where the record of one run lives."""
    folder = results_dir(profile) / _safe(experiment, "experiment")
    return folder / f"{_safe(method, 'method')}__seed{int(seed)}.json"


def has_record(experiment: str, method: str, seed: int, profile: str | None = None) -> bool:
    """True when that run already has a record."""
    return record_path(experiment, method, seed, profile).exists()


def figure_path(experiment: str, name: str, profile: str | None = None) -> Path:
    """``results/<profile>/<experiment>/figures/<name>.png``; the folder is created."""
    path = results_dir(profile) / _safe(experiment, "experiment") / "figures" / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


# Changes under these paths do not make the tree dirty: they are what runs produce.
OUTPUT_PATHS = (":(exclude)results", ":(exclude)notebooks/*.ipynb")


def git_info(cwd: Path | None = None) -> dict:
    """``{"commit", "dirty", "changed"}`` of the checkout; never raises (no git: all None).

    ``dirty``: a tracked file differs from the commit, or an untracked, not ignored file exists,
    outside ``results/`` and ``notebooks/*.ipynb``. ``changed``: the first few such paths.
    """
    cwd = Path(cwd) if cwd else repo_root()
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=cwd, capture_output=True, text=True, timeout=10
        )
        if commit.returncode != 0:
            return {"commit": None, "dirty": None, "changed": None}
        status = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=all", "--", ".", *OUTPUT_PATHS],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=30,
        )
        if status.returncode != 0:
            return {"commit": commit.stdout.strip(), "dirty": None, "changed": None}
        changed = [line[3:] for line in status.stdout.splitlines() if line.strip()]
        return {"commit": commit.stdout.strip(), "dirty": bool(changed), "changed": changed[:10]}
    except (OSError, subprocess.SubprocessError):
        return {"commit": None, "dirty": None, "changed": None}


def installed_commit() -> dict | None:
    """``{"commit", "dirty": False, "installed": True}`` when this package was pip-installed from a
    git URL (as the Colab cell does): pip records the commit in ``direct_url.json``. Else None."""
    try:
        from importlib.metadata import PackageNotFoundError, distribution

        info = json.loads(distribution("mtadam").read_text("direct_url.json") or "{}")
    except (PackageNotFoundError, ValueError, OSError):
        return None
    commit = (info.get("vcs_info") or {}).get("commit_id")
    if not commit or (info.get("dir_info") or {}).get("editable"):
        return None
    return {"commit": commit, "dirty": False, "changed": [], "installed": True}


# The commit of the code this process loaded, taken once at import: every record of a long run names
# the code it ran, not whatever HEAD became while it ran. Outside a checkout (installed from git, as
# on Colab) the installed commit is the code, and it is clean by construction.
PROCESS_GIT = git_info()
if PROCESS_GIT.get("commit") is None:
    PROCESS_GIT = installed_commit() or PROCESS_GIT


def check_clean(profile: str, git: dict | None = None) -> bool:
    """Raise :class:`DirtyTreeError` unless a ``profile`` record may be written now.

    Returns True when the record must be marked as written under the ``MTADAM_ALLOW_DIRTY``
    override, False when it is clean (or the profile is ``smoke``, whose records are never results).
    """
    git = PROCESS_GIT if git is None else git
    if profile not in CLEAN_PROFILES or git.get("dirty") is False:
        return False
    if os.environ.get(DIRTY_ENV, "").strip() in ("1", "true", "yes"):
        return True
    why = (
        "this process is not running from a git checkout"
        if git.get("commit") is None
        else f"the code this process loaded differs from commit {str(git['commit'])[:10]} "
        f"(changed: {', '.join(git.get('changed') or ['?'])})"
    )
    raise DirtyTreeError(
        f"refusing to write a {profile!r} record: {why}. Records of the cpu and full profiles come "
        f"from clean commits: commit your changes and run again (e.g. from a `git worktree` of the "
        f"commit). To write it anyway, marked as such, set {DIRTY_ENV}=1."
    )


def environment() -> dict:
    """Device and library versions of this process."""
    info: dict[str, Any] = {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
    }
    import torch

    info["torch"] = torch.__version__
    info["torch_threads"] = torch.get_num_threads()
    if torch.cuda.is_available():
        info.update(
            device="cuda", device_name=torch.cuda.get_device_name(0), cuda=torch.version.cuda
        )
    else:
        info.update(device="cpu", device_name=platform.processor() or platform.machine())
    for mod in ("numpy", "torchvision", "optuna", "transformers"):
        m = sys.modules.get(mod)
        if m is not None:
            info[mod] = getattr(m, "__version__", None)
    return info


# ------------------------------------------------------------------------------ compact arrays


def _numeric_array(value):
    """``value`` as a numpy array when it is a long rectangular list of numbers, else None."""
    if not isinstance(value, (list, tuple)) or not value:
        return None
    try:
        arr = np.asarray(value)
    except (ValueError, TypeError):
        return None
    if arr.dtype == object or arr.dtype.kind not in "iuf" or arr.size < PACK_MIN:
        return None
    return arr


def pack(value):
    """Long numeric lists -> ``{"__array__": dtype, "shape", "b64"}``; everything else unchanged.

    Integers are stored as int32 (int64 when they do not fit), floats as float32 (curves need no
    more; metrics are never packed because they are scalars or short lists).
    """
    if isinstance(value, dict):
        return {k: pack(v) for k, v in value.items()}
    arr = _numeric_array(value)
    if arr is not None:
        if arr.dtype.kind in "iu":
            small = arr.size == 0 or (arr.min() >= -(2**31) and arr.max() < 2**31)
            arr = arr.astype("<i4" if small else "<i8")
        else:
            arr = arr.astype("<f4")
        return {
            "__array__": arr.dtype.str,
            "shape": list(arr.shape),
            "b64": base64.b64encode(arr.tobytes()).decode("ascii"),
        }
    if isinstance(value, (list, tuple)):
        return [pack(v) for v in value]
    return value


def unpack(value):
    """The inverse of :func:`pack` (arrays come back as nested lists of Python numbers)."""
    if isinstance(value, dict):
        if "__array__" in value and "b64" in value:
            arr = np.frombuffer(base64.b64decode(value["b64"]), dtype=value["__array__"])
            return arr.reshape(value["shape"]).tolist()
        return {k: unpack(v) for k, v in value.items()}
    if isinstance(value, list):
        return [unpack(v) for v in value]
    return value


def _jsonable(obj):
    """json.dump fallback: numpy / torch scalars and arrays, paths, sets."""
    if hasattr(obj, "tolist"):
        return obj.tolist()
    if hasattr(obj, "item"):
        return obj.item()
    if isinstance(obj, Path):
        return relpath(obj)
    if isinstance(obj, (set, frozenset)):
        return sorted(obj)
    raise TypeError(f"record value of type {type(obj).__name__} is not JSON serialisable: {obj!r}")


def normalize(obj):
    """``obj`` as JSON would give it back (tuples -> lists, numpy scalars -> numbers, ...)."""
    return json.loads(json.dumps(obj, default=_jsonable, allow_nan=True))


# ------------------------------------------------------------------------------ save and load


def save_record(
    experiment: str,
    method: str,
    *,
    config: dict,
    seed: int,
    metrics: dict,
    curves: dict | None = None,
    wall_time: float,
    profile: str | None = None,
    extra: dict | None = None,
) -> Path:
    """Write the JSON record of one run and return its path (overwrites an older record).

    Raises :class:`DirtyTreeError` for a ``cpu``/``full`` record from uncommitted code (see module
    docstring) before anything is written.
    """
    profile = _check_profile(profile)
    if not isinstance(metrics, dict):
        raise TypeError(f"metrics must be a dict of name -> value, got {type(metrics).__name__}")
    override = check_clean(profile)
    env = environment()
    record = {
        "schema": SCHEMA_VERSION,
        "experiment": experiment,
        "method": method,
        "seed": int(seed),
        "profile": profile,
        "config": normalize(config),
        "metrics": normalize(metrics),
        "wall_time": float(wall_time),
        "device": env.get("device"),
        "env": env,
        "git": {k: PROCESS_GIT.get(k) for k in ("commit", "dirty")},
        "override_dirty": override,
        "timestamp": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "extra": normalize(extra or {}),
        "curves": pack(normalize(curves or {})),
    }
    path = record_path(experiment, method, seed, profile)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    with open(tmp, "w") as f:
        json.dump(record, f, default=_jsonable, allow_nan=True, separators=(",", ":"))
        f.write("\n")
    os.replace(tmp, path)  # atomic: an interrupted run never leaves a half record
    return path


def load_record(path: Path | str) -> dict:
    """One record (curves unpacked); a clear error naming the file when it is not valid JSON."""
    path = Path(path)
    try:
        with open(path) as f:
            rec = json.load(f)
    except json.JSONDecodeError as e:
        raise ValueError(
            f"record {relpath(path)} is not valid JSON ({e}); delete it and re-run that run"
        ) from e
    rec["curves"] = unpack(rec.get("curves") or {})
    rec["_path"] = relpath(path)
    return rec


def load_records(
    experiment: str, profile: str | None = None, method: str | None = None
) -> list[dict]:
    """All records of an experiment at a profile (optionally one method), sorted by method, seed."""
    folder = results_dir(profile) / _safe(experiment, "experiment")
    if not folder.is_dir():
        return []
    pattern = f"{method}__seed*.json" if method else "*__seed*.json"
    recs = [load_record(p) for p in folder.glob(pattern)]
    return sorted(recs, key=lambda r: (str(r.get("method")), int(r.get("seed", 0))))
