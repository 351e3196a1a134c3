"""Presentation of records: numbers, mean ± SD, markdown tables. Reads records, never writes them.

One place for how the book prints a number: :func:`fmt_num` (significant digits), :func:`mean_sd`
and :func:`fmt_mean_sd` (sample SD, ddof = 1), :func:`ours_and_paper` (``"46.5 ± 0.3 (46.50)"``:
ours with the paper's in brackets, so a table stays narrow), :func:`markdown_table`.
"""

from __future__ import annotations

import math
from typing import Any, Iterable, Sequence

import numpy as np


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


def fmt_num(value, digits: int = 4) -> str:
    """A number with ``digits`` significant digits ("" for None; bools and strings as they are)."""
    if value is None:
        return ""
    if isinstance(value, bool) or isinstance(value, str):
        return str(value)
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    value = float(value)
    if math.isnan(value) or math.isinf(value):
        return str(value)
    return f"{value:.{digits}g}"


def fmt_fixed(value, decimals: int = 2) -> str:
    """A number with a fixed number of decimals ("" for None)."""
    if value is None:
        return ""
    value = float(value)
    if not math.isfinite(value):
        return str(value)
    return f"{value:.{decimals}f}"


def mean_sd(values) -> tuple[float, float]:
    """Mean and sample standard deviation (ddof = 1; 0 for one value; NaN for none)."""
    a = np.asarray([float(v) for v in values], dtype=float)
    if a.size == 0:
        return float("nan"), float("nan")
    return float(a.mean()), float(a.std(ddof=1)) if a.size > 1 else 0.0


def fmt_mean_sd(values, decimals: int = 1, n: bool = False) -> str:
    """``"97.0 ± 0.4"`` (``n=True`` appends ``" (n=5)"``); "" when there are no values."""
    values = list(values)
    if not values:
        return ""
    m, s = mean_sd(values)
    out = f"{m:.{decimals}f} ± {s:.{decimals}f}" if len(values) > 1 else f"{m:.{decimals}f}"
    return out + (f" (n={len(values)})" if n else "")


def ours_and_paper(values, paper, decimals: int = 2) -> str:
    """One narrow cell: ours (mean ± SD) and the paper's
    number in brackets, ``"46.49 ± 0.30 (46.50)"``."""
    ours = fmt_mean_sd(values, decimals) if list(values) else "—"
    theirs = (
        "—" if paper is None else (paper if isinstance(paper, str) else f"{paper:.{decimals}f}")
    )
    return f"{ours} ({theirs})"


def diff_mean_sd(a, b) -> tuple[float, float]:
    """Mean of ``a`` minus mean of ``b`` and the SD of
    that difference (Welch: sqrt(sa²/na + sb²/nb))."""
    ma, sa = mean_sd(a)
    mb, sb = mean_sd(b)
    na, nb = max(len(list(a)), 1), max(len(list(b)), 1)
    return ma - mb, math.sqrt(sa * sa / na + sb * sb / nb)


def by_method(records: Sequence[dict]) -> dict[str, list[dict]]:
    """Records grouped by their ``method``, in the order the methods first appear."""
    out: dict[str, list[dict]] = {}
    for r in records:
        out.setdefault(r["method"], []).append(r)
    return out


def method_values(records: Sequence[dict], method: str, metric: str) -> list[float]:
    """``metrics[metric]`` of every record of ``method`` that has it (seeds in record order)."""
    return [
        r["metrics"][metric]
        for r in by_method(records).get(method, [])
        if r["metrics"].get(metric) is not None
    ]


def markdown_table(
    rows: Sequence[dict],
    columns: Iterable[str],
    digits: int = 4,
    headers: Sequence[str] | None = None,
) -> str:
    """A MyST/GitHub markdown table of ``rows`` (dicts) with the given ``columns``.

    Columns may be dotted (``metrics.acc``); missing values are empty cells; numbers get ``digits``
    significant digits; a ``|`` inside a value is escaped. ``headers`` renames the columns.
    """
    columns = list(columns)
    if not columns:
        raise ValueError("markdown_table needs at least one column")
    if headers is None:
        headers = [c.split(".")[-1] if c not in (rows[0] if rows else {}) else c for c in columns]
    if len(headers) != len(columns):
        raise ValueError(f"{len(headers)} headers for {len(columns)} columns")
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join(" --- " for _ in columns) + "|"]
    for row in rows:
        cells = [fmt_num(get_field(row, c), digits).replace("|", "\\|") for c in columns]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def provenance(records: Sequence[dict]) -> str:
    """One line saying where a table's records come from: profile(s), runs, commits, overrides."""
    if not records:
        return "no records"
    profiles = sorted({str(r.get("profile")) for r in records})
    commits = sorted({str((r.get("git") or {}).get("commit") or "unknown")[:10] for r in records})
    dirty = sum(1 for r in records if r.get("override_dirty"))
    devices = sorted(
        {str((r.get("env") or {}).get("device_name") or r.get("device")) for r in records}
    )
    line = (
        f"{len(records)} records, profile {', '.join(f'`{p}`' for p in profiles)}, "
        f"commit{'s' if len(commits) > 1 else ''} {', '.join(commits)}, device {', '.join(devices)}"
    )
    if dirty:
        line += f"; **{dirty} written from uncommitted code (override)**"
    return line


def tail_median(values, tail: int) -> float:
    """Median of the last ``tail`` values (the 'final' level of a noisy curve)."""
    arr = np.asarray(list(values)[-tail:], dtype=float)
    return float(np.median(arr))


def order_of_magnitude(x: float) -> str:
    """``1e-4``-style order of magnitude (for printed summaries that must not depend on the CPU)."""
    if not x > 0 or not math.isfinite(x):
        return str(x)
    return f"1e{int(math.floor(math.log10(x)))}"
