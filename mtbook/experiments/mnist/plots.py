"""The chapter's tables and figures, from the records only (never from a training run)."""

from __future__ import annotations

import numpy as np

from ...core.report import fmt_mean_sd, markdown_table, mean_sd
from .spec import DRAWS, METHODS, NUM_CLASSES, PAPER_TABLE1, method_key


def _by(records, method, draw):
    key = method_key(method, draw)
    return [r for r in records if r["method"] == key]


def table_rows(records: list[dict], draws=None) -> list[dict]:
    """One row per method: our mean ± SD test accuracy per draw, runs per draw, and the paper's."""
    draws = list(draws or DRAWS)
    rows = []
    for method, spec in METHODS.items():
        row = {"method": spec["label"], "lr": f"{spec['lr']:g}"}
        for d in draws:
            rs = _by(records, method, d)
            row[f"{d} draw"] = (
                fmt_mean_sd([r["metrics"]["test_acc"] for r in rs]) + f" (n={len(rs)})"
                if rs
                else ""
            )
        pm, ps = PAPER_TABLE1[method]
        row["paper (100 runs)"] = f"{pm:.1f} ± {ps:.1f}"
        rows.append(row)
    return rows


def table_markdown(records: list[dict], profile: str, draws=None) -> str:
    rows = table_rows(records, draws)
    cols = ["method", "lr"] + [f"{d} draw" for d in (draws or DRAWS)] + ["paper (100 runs)"]
    return f"Test accuracy (%), mean ± SD over runs, profile `{profile}`\n\n" + markdown_table(
        rows, cols
    )


def gaps_to_paper(records: list[dict], draws=None) -> list[dict]:
    """Per method: our mean minus the paper's mean (percentage points), one column per draw."""
    rows = []
    for method, spec in METHODS.items():
        row = {"method": spec["label"]}
        for d in draws or DRAWS:
            rs = _by(records, method, d)
            row[f"{d} draw"] = (
                mean_sd([r["metrics"]["test_acc"] for r in rs])[0] - PAPER_TABLE1[method][0]
                if rs
                else None
            )
        rows.append(row)
    return rows


def lightest_weight_ratio(record: dict) -> float:
    """min_i w_i / median_i w_i of a run's drawn weights
    (how much lighter the lightest digit is)."""
    w = np.asarray(record["extra"]["details"]["drawn_weights"])
    return float(w.min() / np.median(w))


def plot_lightest_weight(
    records: list[dict], methods=("adam", "rmsprop_lr1e-3", "mtadam"), ax=None
):
    """Test accuracy of every run against min w / median
    w, one colour per method, one marker per draw."""
    import matplotlib.pyplot as plt

    ax = ax or plt.gca()
    markers = dict(zip(DRAWS, ("o", "s")))
    keys = list(METHODS)
    for method in methods:
        k = keys.index(method)
        for d in DRAWS:
            rs = _by(records, method, d)
            if rs:
                ax.scatter(
                    [lightest_weight_ratio(r) for r in rs],
                    [r["metrics"]["test_acc"] for r in rs],
                    marker=markers[d],
                    color=f"C{k}",
                    s=25,
                    alpha=0.8,
                    label=f"{METHODS[method]['label']}, {d} draw",
                )
    ax.set_xscale("log")
    ax.set_xlabel("lightest weight / median weight of the run")
    ax.set_ylabel("test accuracy (%)")
    return ax


def plot_per_class(
    records: list[dict], draw: str, ax=None, relative: bool = True, min_acc: float = 50.0
):
    """Final per-class test accuracy against the class weight, every run, one colour per method.

    ``relative``: plot the difference to Adam with equal weights on the same digit and seed (which
    removes how hard each digit is). Methods whose mean accuracy is below ``min_acc`` (collapsed
    runs) are left out and named in the title.
    """
    import matplotlib.pyplot as plt

    ax = ax or plt.gca()
    ref = {r["seed"]: r["metrics"]["per_class_acc"] for r in _by(records, "adam_equal", draw)}
    skipped = []
    for k, (method, spec) in enumerate(METHODS.items()):
        rs = _by(records, method, draw)
        if not rs or (relative and method == "adam_equal"):
            continue
        if mean_sd([r["metrics"]["test_acc"] for r in rs])[0] < min_acc:
            skipped.append(spec["label"])
            continue
        xs, ys = [], []
        for r in rs:
            if relative and r["seed"] not in ref:
                continue
            xs += r["extra"]["details"]["drawn_weights"]
            acc = np.asarray(r["metrics"]["per_class_acc"])
            ys += list(acc - np.asarray(ref[r["seed"]])) if relative else list(acc)
        ax.scatter(xs, ys, s=12, alpha=0.7, label=spec["label"], color=f"C{k}")
    ax.set_xscale("log")
    ax.set_xlabel("class weight $w_i$")
    if relative:
        ax.axhline(0.0, color="k", lw=0.8)
        ax.set_ylabel("class accuracy minus Adam-equal's (points)")
    else:
        ax.set_ylabel("test accuracy of the class (%)")
    title = DRAWS[draw].split(" (")[0]
    if skipped:
        title += f"\n(not shown, mean accuracy < {min_acc:g}%: {', '.join(skipped)})"
    ax.set_title(title, fontsize=9)
    return ax


def plot_curves(records: list[dict], draw: str, ax=None):
    """Test accuracy during training (mean over runs, shaded min-max), one line per method."""
    import matplotlib.pyplot as plt

    ax = ax or plt.gca()
    for k, (method, spec) in enumerate(METHODS.items()):
        rs = _by(records, method, draw)
        if not rs:
            continue
        steps = np.asarray(rs[0]["curves"]["eval_step"])
        per_epoch = rs[0]["extra"]["details"]["steps_per_epoch"]
        acc = np.asarray([r["curves"]["eval_acc"] for r in rs])
        ax.plot(
            steps / per_epoch, acc.mean(0), marker="o", ms=3, label=spec["label"], color=f"C{k}"
        )
        ax.fill_between(steps / per_epoch, acc.min(0), acc.max(0), alpha=0.15, color=f"C{k}")
    ax.set_xlabel("epoch")
    ax.set_ylabel("test accuracy (%)")
    return ax


def plot_effective_weights(record: dict, axes=None):
    """MTAdam's effective weight per class (n^anchor / n^i, fc2 layer and mean over layers) and the
    resulting net weight on each class's NLL, w_i * effective_i / w_0, over training."""
    import matplotlib.pyplot as plt

    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(11, 3.6))
    c = record["curves"]
    steps = np.asarray(c["ew_step"])
    w = np.asarray(record["extra"]["details"]["class_weights"])
    fc2 = np.asarray(c["ew_fc2"])  # [T, 10]
    mean = np.asarray(c["ew_mean"])
    cmap = plt.get_cmap("viridis")
    order = np.argsort(w)
    colors = {i: cmap(r / (NUM_CLASSES - 1)) for r, i in enumerate(order)}
    for i in range(NUM_CLASSES):
        axes[0].plot(steps, fc2[:, i], color=colors[i], lw=1, label=f"{i} (w={w[i]:.0f})")
        axes[0].plot(steps, mean[:, i], color=colors[i], lw=0.8, ls=":")
        axes[1].plot(steps, w[i] * fc2[:, i] / w[0], color=colors[i], lw=1)
    axes[0].set_yscale("log")
    axes[0].set_xlabel("step")
    axes[0].set_ylabel("effective weight $n^1_l / n^i_l$")
    axes[0].set_title("fc2 (solid), mean over layers (dotted)")
    axes[0].legend(fontsize=7, ncol=2, title="class", title_fontsize=7)
    axes[1].set_yscale("log")
    net = w[None, :] * fc2 / w[0]
    axes[1].set_ylim(min(0.1, np.nanmin(net) / 1.5), max(10.0, np.nanmax(net) * 1.5))
    axes[1].set_xlabel("step")
    axes[1].set_ylabel("$w_i \\cdot$ effective weight / $w_0$")
    axes[1].set_title("net weight on each class's NLL (fc2)")
    return axes
