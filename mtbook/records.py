"""JSON run records: every number in the book comes from one of these.

A record is written by :func:`save_record` to
``results/<profile>/<experiment>/<method>__seed<seed>.json`` and holds the experiment, method,
config, seed, profile, metrics, per-epoch curves, wall time and the provenance needed to trust it:
device, torch / python / platform versions, git commit (+ dirty flag) and a UTC timestamp.

Tables and plots in the book are generated from records with :func:`load_records` and
:func:`markdown_table`; notebooks reuse an existing record (:func:`has_record`) instead of
re-running, which makes long runs resumable at run level.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import os
import platform
import subprocess
import sys
from pathlib import Path
from typing import Any, Iterable, Sequence

from .profiles import PROFILES, get_profile

RESULTS_ENV = "MTADAM_RESULTS"
SCHEMA_VERSION = 1


def repo_root() -> Path:
    """The project checkout containing this package, or the working directory when installed.

    With an editable install / PYTHONPATH checkout this is the repository root; when the package
    was pip-installed (e.g. on Colab) results go under the current working directory instead.
    """
    here = Path(__file__).resolve().parent.parent
    if (here / "pyproject.toml").exists() or (here / ".git").exists() or (here / "_toc.yml").exists():
        return here
    return Path.cwd()


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
        raise ValueError(f"{what} name {name!r} must be non-empty, without '/', '__' or a leading '.'")
    return name


def record_path(experiment: str, method: str, seed: int, profile: str | None = None) -> Path:
    """Where the record of one run lives."""
    return results_dir(profile) / _safe(experiment, "experiment") / f"{_safe(method, 'method')}__seed{int(seed)}.json"


def has_record(experiment: str, method: str, seed: int, profile: str | None = None) -> bool:
    """True when that run already has a record (callers skip re-running it)."""
    return record_path(experiment, method, seed, profile).exists()


def figure_path(experiment: str, name: str, profile: str | None = None) -> Path:
    """``results/<profile>/<experiment>/figures/<name>.png``; the folder is created."""
    path = results_dir(profile) / _safe(experiment, "experiment") / "figures" / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def git_info(cwd: Path | None = None) -> dict:
    """``{"commit": sha or None, "dirty": bool or None}``; never raises (no git, no checkout)."""
    cwd = Path(cwd) if cwd else repo_root()
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=cwd, capture_output=True, text=True, timeout=10
        )
        if commit.returncode != 0:
            return {"commit": None, "dirty": None}
        status = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=cwd, capture_output=True, text=True, timeout=30,
        )
        dirty = bool(status.stdout.strip()) if status.returncode == 0 else None
        return {"commit": commit.stdout.strip(), "dirty": dirty}
    except (OSError, subprocess.SubprocessError):
        return {"commit": None, "dirty": None}


# The commit of the code this process loaded: taken once, at import, so that every record of a long
# run names the code it ran, not whatever HEAD became while it ran ("dirty": uncommitted changes then).
PROCESS_GIT = git_info()


def environment() -> dict:
    """Device and library versions of this process."""
    info: dict[str, Any] = {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
    }
    try:
        import torch

        info["torch"] = torch.__version__
        info["torch_threads"] = torch.get_num_threads()
        if torch.cuda.is_available():
            info["device"] = "cuda"
            info["device_name"] = torch.cuda.get_device_name(0)
            info["cuda"] = torch.version.cuda
        else:
            info["device"] = "cpu"
            info["device_name"] = platform.processor() or platform.machine()
    except ImportError:  # pragma: no cover
        info["torch"] = None
        info["device"] = "cpu"
    for mod in ("numpy", "torchvision"):
        m = sys.modules.get(mod)
        if m is not None:
            info[mod] = getattr(m, "__version__", None)
    return info


def _jsonable(obj):
    """json.dump fallback: numpy / torch scalars and arrays, paths, tuples."""
    if hasattr(obj, "tolist"):
        return obj.tolist()
    if hasattr(obj, "item"):
        return obj.item()
    if isinstance(obj, Path):
        return str(obj)
    if isinstance(obj, (set, frozenset)):
        return sorted(obj)
    raise TypeError(f"record value of type {type(obj).__name__} is not JSON serialisable: {obj!r}")


def save_record(experiment: str, method: str, *, config: dict, seed: int, metrics: dict,
                curves: dict | None = None, wall_time: float, profile: str | None = None,
                extra: dict | None = None) -> Path:
    """Write the JSON record of one run and return its path (overwrites an older record)."""
    profile = _check_profile(profile)
    if not isinstance(metrics, dict):
        raise TypeError(f"metrics must be a dict of name -> value, got {type(metrics).__name__}")
    env = environment()
    record = {
        "schema": SCHEMA_VERSION,
        "experiment": experiment,
        "method": method,
        "seed": int(seed),
        "profile": profile,
        "config": config,
        "metrics": metrics,
        "curves": curves or {},
        "wall_time": float(wall_time),
        "device": env.get("device"),
        "env": env,
        "git": PROCESS_GIT,
        "timestamp": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "extra": extra or {},
    }
    path = record_path(experiment, method, seed, profile)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    with open(tmp, "w") as f:
        json.dump(record, f, indent=1, default=_jsonable, allow_nan=True)
        f.write("\n")
    os.replace(tmp, path)  # atomic: an interrupted run never leaves a half record
    return path


def load_record(path: Path | str) -> dict:
    """One record; a clear error naming the file when it is not valid JSON."""
    path = Path(path)
    try:
        with open(path) as f:
            rec = json.load(f)
    except json.JSONDecodeError as e:
        raise ValueError(f"record {path} is not valid JSON ({e}); delete it and re-run that run") from e
    rec["_path"] = str(path)
    return rec


def load_records(experiment: str, profile: str | None = None, method: str | None = None) -> list[dict]:
    """All records of an experiment at a profile (optionally one method), sorted by method, seed."""
    folder = results_dir(profile) / _safe(experiment, "experiment")
    if not folder.is_dir():
        return []
    pattern = f"{method}__seed*.json" if method else "*__seed*.json"
    recs = [load_record(p) for p in folder.glob(pattern)]
    return sorted(recs, key=lambda r: (str(r.get("method")), int(r.get("seed", 0))))


def get_field(row: dict, column: str):
    """``row[column]``, with dotted names reaching into nested dicts (``metrics.acc``)."""
    if column in row:
        return row[column]
    value: Any = row
    for part in column.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def format_value(value, digits: int = 4) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return str(value)
        return f"{value:.{digits}g}"
    return str(value)


def markdown_table(rows: Sequence[dict], columns: Iterable[str], digits: int = 4) -> str:
    """A GitHub/MyST markdown table of ``rows`` (dicts) with the given ``columns``.

    Columns may be dotted (``metrics.acc``); missing values are empty cells; floats get
    ``digits`` significant digits; a ``|`` inside a value is escaped.
    """
    columns = list(columns)
    if not columns:
        raise ValueError("markdown_table needs at least one column")
    header = [c.split(".")[-1] if c not in (rows[0] if rows else {}) else c for c in columns]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in columns) + "|"]
    for row in rows:
        cells = [format_value(get_field(row, c), digits).replace("|", "\\|") for c in columns]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)
