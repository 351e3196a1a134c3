"""Table 5 and the chapter's figures, from the records only."""

from __future__ import annotations

import numpy as np

from ...core.metrics import FID_UNAVAILABLE
from ...core.report import (
    by_method,
    fmt_mean_sd,
    markdown_table,
    ours_and_paper,
    provenance,
)
from ...core.report import (
    method_values as values,  # the chapters call <experiment>.values(...)
)
from .run import samples_path
from .spec import COLUMNS, CURVE_METHODS, METHODS, PAPER_TABLE5, PAPER_TABLE5_MAPS, TERM_NAMES

COLORS = {
    "adam_suboptimal": "tab:red",
    "mtadam_suboptimal": "tab:blue",
    "adam_prescribed": "tab:green",
    "sgd_momentum": "tab:gray",
    "rmsprop": "tab:orange",
    "hyperband": "tab:purple",
}
DECIMALS = {"L1": 1, "L2": 0, "NMSE": 4, "FID": 1, "moved": 1, "idt": 1, "cycle": 1}
SIDES = {"A": "horse -> zebra", "B": "zebra -> horse"}


def paper_rows(maps: bool = False) -> list[dict]:
    """The paper's Table 5 (horse2zebra, or maps -> aerial) as rows for ``markdown_table``."""
    table = PAPER_TABLE5_MAPS if maps else PAPER_TABLE5
    names = {k: m["label"] for k, m in METHODS.items()}
    names["hyperband"] = (
        "Hyperband-FID"  # the paper's name: its Hyperband searched on validation FID
    )
    return [dict(method=names[k], **v) for k, v in table.items()]


OURS = ["moved-A", "idt-A", "cycle-A", "moved-B", "idt-B", "cycle-B"]


def _is_maps(records: list[dict]) -> bool:
    return any(r["config"].get("dataset") == "maps" for r in records)


def table_rows(records: list[dict], identity: dict | None = None, ours: bool = False) -> list[dict]:
    """One row per method: the paper's columns as "ours mean ± SD (paper)" (``ours=True``: our
    translation measures, :data:`OURS`); ``identity`` (the metrics of output = input on the test
    set) adds a reference row. Records of the maps set are shown beside the paper's maps table."""
    groups = by_method(records)
    paper = PAPER_TABLE5_MAPS if _is_maps(records) else PAPER_TABLE5
    rows = []
    for method, spec in METHODS.items():
        rs = groups.get(method, [])
        label = spec["label"]
        if method == "hyperband" and rs:
            lams = ", ".join(f"{r['metrics']['chosen_lambda2']:.3g}" for r in rs)
            label += f" (chosen lambda2: {lams}; by {rs[0]['config']['objective']})"
        row = {"method": label, "n": len(rs)}
        p = paper.get(method, {})
        for col in OURS if ours else COLUMNS:
            dec = DECIMALS[col.split("-")[0]]
            if ours:
                row[col] = fmt_mean_sd(values(records, method, col), dec) if rs else "not run"
                continue
            v = values(records, method, col)
            if col.startswith("FID") and rs and not v:
                row[col] = f"{FID_UNAVAILABLE.split(' (')[0]} ({p.get(col, '—')})"
            else:
                row[col] = (
                    ours_and_paper(v, p.get(col), dec) if rs else f"not run ({p.get(col, '—')})"
                )
        rows.append(row)
    if identity is not None:
        row = {"method": "identity mapping (output = input; no training)", "n": 0}
        for col in OURS if ours else COLUMNS:
            v = identity.get(col)
            row[col] = "" if v is None else f"{v:.{DECIMALS[col.split('-')[0]]}f}"
        rows.append(row)
    return rows


TABLE_COLUMNS = ["method", "n"] + COLUMNS


def table_markdown(records: list[dict], profile: str, identity: dict | None = None) -> str:
    if _is_maps(records):
        task = "maps, test set"
        sides = "A: aerial photo -> map, B: map -> aerial photo (the paper's maps -> aerial)"
        pairs = "its true partner (same file number)"
    else:
        task = "horse2zebra, test set"
        sides = "A: horse -> zebra, B: zebra -> horse"
        pairs = "the unrelated real test image i of the other domain"
    head = (
        f"**Table 5, {task}, profile `{profile}`**: ours as mean ± SD over n seeds, "
        f"the paper's number in brackets. {sides}. L1/L2/NMSE: translation of test image i "
        f"against {pairs}, 0-255 units. Records: {provenance(records)}.\n\n"
    )
    return head + markdown_table(table_rows(records, identity), TABLE_COLUMNS)


def translation_markdown(records: list[dict], profile: str, identity: dict | None = None) -> str:
    """Our measures of whether translation happened (not in the paper), same records."""
    head = (
        f"**Did translation happen? test set, profile `{profile}`**, mean ± SD over seeds, "
        f"0-255 units. "
        f"moved: mean |G(x) - x| on the source domain (0 for the identity mapping); idt: mean "
        f"|G(y) - y| on the target domain; cycle: mean |reconstruction - input|.\n\n"
    )
    return head + markdown_table(table_rows(records, identity, ours=True), ["method", "n"] + OURS)


def mean_metric(records: list[dict], method: str, metric: str) -> float:
    v = values(records, method, metric)
    return float(np.mean(v)) if v else float("nan")


def plot_val_curves(records: list[dict], metric: str = "moved", methods=CURVE_METHODS, axes=None):
    """Validation ``metric`` per epoch for both sides (Fig. 8's layout: top zebras, bottom horses),
    mean over seeds with a min-max band."""
    import matplotlib.pyplot as plt

    if axes is None:
        axes = plt.subplots(2, 1, figsize=(6.4, 5.2), sharex=True)[1]
    for ax, side in zip(axes, "AB"):
        key = f"{metric}-{side}"
        for m in methods:
            rs = [r for r in records if r["method"] == m]
            vals = [[v.get(key) for v in r["curves"]["val"]] for r in rs]
            if not rs or any(v is None for row in vals for v in row):
                continue
            a = np.asarray(vals, dtype=float)
            ep = rs[0]["curves"]["epoch"]
            ax.plot(
                ep,
                a.mean(0),
                marker="o",
                ms=2,
                color=COLORS[m],
                label=f"{METHODS[m]['label']} (n={len(rs)})",
            )
            ax.fill_between(ep, a.min(0), a.max(0), color=COLORS[m], alpha=0.15)
        ax.set_ylabel(f"val {key}")
        ax.set_title(
            f"{SIDES[side]} ({'generated zebras' if side == 'A' else 'generated horses'})",
            fontsize=9,
        )
    axes[-1].set_xlabel("epoch")
    axes[0].legend(fontsize=7)
    return axes


def sample_grid(
    profile: str, side: str = "A", methods=CURVE_METHODS, k: int | None = None, seed: int = 0
):
    """Figure: rows = test images; columns = input, each method's translation (side A:
    horse -> zebra,     Fig. 9; side B: zebra -> horse, Fig. 10)."""
    import matplotlib.pyplot as plt

    loaded = {
        m: np.load(samples_path(profile, m, seed))
        for m in methods
        if samples_path(profile, m, seed).exists()
    }
    if not loaded:
        raise FileNotFoundError(
            f"no cyclegan samples at profile {profile!r}; run the experiment first"
        )
    real, fake = ("real_A", "fake_B") if side == "A" else ("real_B", "fake_A")
    first = next(iter(loaded.values()))
    k = k or first[real].shape[0]
    cols = ["input"] + list(loaded)
    fig, axes = plt.subplots(k, len(cols), figsize=(1.8 * len(cols), 1.8 * k), squeeze=False)
    for i in range(k):
        for j, col in enumerate(cols):
            axes[i, j].imshow(first[real][i] if col == "input" else loaded[col][fake][i])
            axes[i, j].set_xticks([])
            axes[i, j].set_yticks([])
            if i == 0:
                title = (
                    ("horse" if side == "A" else "zebra")
                    if col == "input"
                    else METHODS[col]["label"]
                )
                axes[i, j].set_title(title.replace(" (", "\n("), fontsize=8)
    fig.tight_layout()
    return fig


def effective_term_weights(record: dict) -> dict[str, np.ndarray]:
    """Per generator, ``[logged steps, 6]``: the median over its weight tensors of MTAdam's
    effective weight of each *raw* term relative to the generator's anchor (GAN_A on G_A, GAN_B on
    G_B): ``lambda_i * n^anchor_l / n^i_l`` (the user's lambda_i cancels in the product). 0 = never
    reached."""
    c = record["curves"]
    ew = (
        np.asarray(c["ew"], dtype=float)
        * np.asarray(record["config"]["weights"], dtype=float)[None, :, None]
    )
    out = {}
    for g in ("G_A", "G_B"):
        cols = [
            j
            for j, n in enumerate(c["layer_names"])
            if n.startswith(g + ".") and n.endswith("weight")
        ]
        out[g] = np.median(ew[:, :, cols], axis=2)
    return out


def plot_effective_weights(record: dict, axes=None):
    """MTAdam's effective weight of the six terms per generator over training (log scale), with the
    prescribed weights relative to the GAN term (cycle 10, identity 5) for comparison."""
    import matplotlib.pyplot as plt

    if axes is None:
        axes = plt.subplots(1, 2, figsize=(9, 3.4), sharey=True)[1]
    steps = record["curves"]["ew_step"]
    styles = {"GAN": "-", "cycle": "--", "idt": ":"}
    colors = {"A": "tab:blue", "B": "tab:orange"}
    for ax, (g, w) in zip(axes, effective_term_weights(record).items()):
        for i, name in enumerate(TERM_NAMES):
            if np.all(w[:, i] == 0):
                continue  # a term that never reaches this generator (GAN_B on G_A, ...)
            kind, side = name.split("_")
            ax.plot(steps, w[:, i], styles[kind], color=colors[side], label=name)
        ax.axhline(10, color="tab:green", lw=0.8, alpha=0.6)
        ax.axhline(5, color="tab:green", lw=0.8, alpha=0.6, ls=":")
        ax.set_yscale("log")
        ax.set_title(f"{g} (anchor {'GAN_A' if g == 'G_A' else 'GAN_B'})", fontsize=9)
        ax.set_xlabel("generator step")
    axes[0].set_ylabel("effective weight / anchor's")
    axes[0].legend(fontsize=7, ncol=2)
    return axes


def time_per_iteration(records: list[dict]) -> dict[str, float]:
    """Mean seconds per training iteration (G and D steps, with the per-epoch validation), per
    method     (Hyperband excluded: its record holds only the best trial)."""
    out = {}
    for m, rs in by_method(records).items():
        if m != "hyperband":
            out[m] = float(
                np.mean([sum(r["curves"]["epoch_time"]) / r["metrics"]["steps"] for r in rs])
            )
    return out
