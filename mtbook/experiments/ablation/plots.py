"""Table 7 and the chapter's figures, read from the records of the chapters that ran each cell.

The ablation runs nothing itself: every cell is a record written by a chapter's own runner
(:data:`.spec.CELLS` says which folder and which names), read here through
:func:`mtbook.core.records.load_records` (data, not code: no experiment is imported). A cell with no
record says so ("not run yet"); nothing is filled in.
"""

from __future__ import annotations

import math

import numpy as np

from ...core.ablation import SHORT, VARIANTS, method_name
from ...core.optim import MTADAM_SWITCHES
from ...core.records import load_records
from ...core.report import diff_mean_sd, fmt_mean_sd, markdown_table, provenance
from .spec import CELLS, METRIC_KEYS, PAPER_TABLE7

SIGNIFICANT = 2.0  # a difference is shown as real when it exceeds this many SD of the difference


def record_name(cell: str, variant: str) -> str:
    """The record name (method) of ``variant`` in ``cell``, e.g. ``mtadam_equal_denom_own``."""
    spec = CELLS[cell]
    name = spec["base"] if variant == "full" else method_name(spec["base"], variant)
    return spec["key"].format(name=name, variant=variant)


def metric_value(rec: dict, metric: str):
    """``rec["metrics"][metric]``; ``log10_err`` is log10 of the toy's final parameter error."""
    if metric == "log10_err":
        err = rec["metrics"].get("final_param_err")
        return math.log10(err) if err is not None and err > 0 else None
    value = rec["metrics"].get(METRIC_KEYS.get(metric, metric))
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def cell_records(cell: str, profile: str) -> dict[str, list[dict]]:
    """``{variant: records}`` of one cell at ``profile`` (empty lists where nothing was run)."""
    spec = CELLS[cell]
    if spec.get("runnable") is False:
        return {v: [] for v in VARIANTS}
    recs = load_records(spec["experiment"], profile)
    return {v: [r for r in recs if r["method"] == record_name(cell, v)] for v in VARIANTS}


def _comparable(config: dict) -> dict:
    """A record's config less what a variant changes (its name, label and switches)."""
    out = {k: v for k, v in config.items() if k not in ("method", "label", "variant", "mtadam")}
    if isinstance(out.get("generator_optimizer"), dict):
        g = out["generator_optimizer"]
        out["generator_optimizer"] = {k: v for k, v in g.items() if k not in MTADAM_SWITCHES}
    return out


def mismatched(by: dict[str, list[dict]]) -> list[str]:
    """The variants whose records were run with other settings than the full method's (apart from
    the switch): such a difference would not be the switch's alone. Empty when all agree."""
    if not by.get("full"):
        return []
    ref = _comparable(by["full"][0]["config"])
    return [v for v, rs in by.items() if any(_comparable(r["config"]) != ref for r in rs)]


def values(recs: list[dict], metric: str) -> list[float]:
    return [v for v in (metric_value(r, metric) for r in recs) if v is not None]


def difference(vals: list[float], full: list[float]) -> tuple[float, float, bool]:
    """The variant's mean minus the full method's, the SD of that difference, and whether the SD is
    assumed: with one run of the variant its own SD is unknown, and the full method's SD stands in
    for it (equal spreads: ``s_full * sqrt(1 + 1 / n_full)``)."""
    if len(vals) >= 2 or len(full) < 2:
        return (*diff_mean_sd(vals, full), False)
    s_full = float(np.std(full, ddof=1))
    return float(np.mean(vals) - np.mean(full)), s_full * math.sqrt(1 + 1 / len(full)), True


def judge(diff: float, sd: float, direction: str | None) -> str:
    """``worse`` / ``better`` (than the full method) when |diff| > 2 SD of it, else ``~``."""
    if direction is None or not (sd >= 0) or abs(diff) <= SIGNIFICANT * sd:
        return "~"
    better = diff > 0 if direction == "higher" else diff < 0
    return "better" if better else "worse"


def cell_rows(cell: str, profile: str, by: dict | None = None) -> list[dict]:
    """One row per variant: n, each metric as ``ours (paper)`` and its difference to the full
    method, ``Δ ± SD (worse/better/~)``."""
    spec = CELLS[cell]
    by = by if by is not None else cell_records(cell, profile)
    paper = {v: PAPER_TABLE7[v].get(spec["paper"], {}) for v in VARIANTS} if spec["paper"] else {}
    rows = []
    for v in VARIANTS:
        rs = by[v]
        row = {"variant": VARIANTS[v]["paper"], "n": len(rs)}
        for metric, dec, direction in spec["metrics"]:
            vals, full = values(rs, metric), values(by["full"], metric)
            theirs = paper.get(v, {}).get(metric)
            theirs = "" if theirs is None else f" ({theirs:g})"
            if not rs:
                row[metric] = f"not run yet at {profile}{theirs}"
            elif not vals:
                row[metric] = f"n/a{theirs}"
            else:
                row[metric] = fmt_mean_sd(vals, dec) + theirs
            if v != "full" and direction is not None:
                if vals and full:
                    d, sd, assumed = difference(vals, full)
                    mark = "†" if assumed else ""
                    row[f"Δ {metric}"] = (
                        f"{d:+.{dec}f} ± {sd:.{dec}f}{mark} ({judge(d, sd, direction)})"
                    )
                else:
                    row[f"Δ {metric}"] = ""
        rows.append(row)
    return rows


def cell_columns(cell: str) -> list[str]:
    cols = ["variant", "n"]
    for metric, _, direction in CELLS[cell]["metrics"]:
        cols += [metric] + ([f"Δ {metric}"] if direction is not None else [])
    return cols


def cell_markdown(cell: str, profile: str) -> str:
    """The cell's table with a caption that says where its records come from."""
    spec = CELLS[cell]
    by = cell_records(cell, profile)
    recs = [r for rs in by.values() for r in rs]
    paper = " The paper's number in brackets (one run)." if spec["paper"] else ""
    if spec.get("runnable") is False:
        source = "not runnable yet: the chapter's runner has no ablation variants"
    else:
        source = f"records `results/{profile}/{spec['experiment']}/`: {provenance(recs)}"
    odd = mismatched(by)
    if odd:
        source += (
            f". **Warning: the records of {', '.join(SHORT[v] for v in odd)} were run with other "
            "settings than the full method's (beyond the switch); their differences are not the "
            "switch's alone**"
        )
    head = (
        f"**{spec['title']}**, profile `{profile}`: mean ± SD over n seeds.{paper} "
        f"Δ: the variant's mean minus the full method's, ± the SD of that difference "
        f"(Welch; †: one run of the variant, the full method's SD stands in for its own); "
        f"*worse* / *better* when |Δ| > {SIGNIFICANT:g} SD, else ~. Full method: "
        f"the `{record_name(cell, 'full')}` records. Source: {source}.\n\n"
    )
    return head + markdown_table(cell_rows(cell, profile, by), cell_columns(cell))


def differences(cell: str, metric: str, profile: str) -> dict[str, tuple[float, float, int]]:
    """``{variant: (Δ, SD of Δ, n of the variant)}`` for the ablations that have values (SD as in
    :func:`difference`)."""
    by = cell_records(cell, profile)
    full = values(by["full"], metric)
    out = {}
    for v in VARIANTS:
        vals = values(by[v], metric)
        if v != "full" and vals and full:
            d, sd, _ = difference(vals, full)
            out[v] = (d, sd, len(vals))
    return out


def plot_cell(cell: str, metric: str, profile: str, ax=None):
    """Each variant's runs (dots), mean ± SD (bar); the full method's mean ± SD as a band."""
    import matplotlib.pyplot as plt

    ax = ax or plt.subplots(figsize=(6.4, 3.2))[1]
    by = cell_records(cell, profile)
    full = values(by["full"], metric)
    if full:
        m, s = np.mean(full), np.std(full, ddof=1) if len(full) > 1 else 0.0
        ax.axhspan(m - s, m + s, color="tab:blue", alpha=0.15, lw=0)
        ax.axhline(m, color="tab:blue", lw=1)
    for k, v in enumerate(VARIANTS):
        vals = values(by[v], metric)
        if not vals:
            ax.text(k, np.mean(full) if full else 0.0, "not run", ha="center", fontsize=7)
            continue
        color = "tab:blue" if v == "full" else "tab:red"
        ax.plot([k] * len(vals), vals, "o", color=color, alpha=0.5, ms=4)
        s = np.std(vals, ddof=1) if len(vals) > 1 else 0.0
        ax.errorbar(k + 0.15, np.mean(vals), yerr=s, fmt="s", color=color, capsize=3, ms=5)
    ax.set_xticks(range(len(VARIANTS)))
    ax.set_xticklabels([SHORT[v].replace(" ", "\n") for v in VARIANTS], fontsize=7)
    direction = dict((m, d) for m, _, d in CELLS[cell]["metrics"])[metric]
    ax.set_ylabel(f"{metric} ({direction} is better)" if direction else metric)
    ax.set_title(CELLS[cell]["title"], fontsize=9)
    return ax


def plot_toy_mechanism(runs: dict, c: float, seed: int = 0, axes=None):
    """What each variant does on the toy: after line 8, the size of each term's gradient on each
    layer (``weight * ||g^i_l||``), and the parameter error. ``runs``: ``ablation.toy.run_toy``'s
    output (records with the unsaved ``magnitudes``)."""
    import matplotlib.pyplot as plt

    variants = list(VARIANTS)
    if axes is None:
        fig, axes = plt.subplots(2, 3, figsize=(10, 5.6), sharex=True, sharey=True)
    for ax, v in zip(np.ravel(axes), variants):
        rec = runs[(v, c, seed)]
        mags = np.asarray(rec["magnitudes"], dtype=float)  # [step, term, layer]
        steps = np.arange(1, len(mags) + 1)
        for (i, term), (l, layer), style in zip(
            [(0, "L2"), (0, "L2"), (1, "L1"), (1, "L1")],
            [(0, "w1"), (1, "w2"), (0, "w1"), (1, "w2")],
            ["-", "--", "-", "--"],
        ):
            color = "tab:blue" if i == 0 else "tab:orange"
            ax.loglog(
                steps,
                np.maximum(mags[:, i, l], 1e-30),
                style,
                color=color,
                lw=1,
                label=f"{term} on {layer}",
            )
        err = np.asarray(rec["curves"]["param_err"], dtype=float)
        ax.loglog(
            rec["curves"]["step"],
            np.maximum(err, 1e-30),
            ":",
            color="black",
            lw=1,
            label="‖w − (a, b)‖",
        )
        ax.set_title(SHORT[v], fontsize=9)
        ax.set_ylim(1e-17, 1e5)
    np.ravel(axes)[0].legend(fontsize=7, loc="lower left")
    for ax in np.ravel(axes)[3:]:
        ax.set_xlabel("step")
    return axes
