"""The toy chapter's summaries and figures, from the records only."""

from __future__ import annotations

from .run import OBJECTIVES


def summary_rows(runs: dict) -> list[dict]:
    """One row per (a, b): the final (median of the tail) loss of each objective."""
    rows = []
    for k, recs in enumerate([runs["main"]] + runs["draws"]):
        any_rec = next(iter(recs.values()))
        row = {"draw": k, "a": any_rec["config"]["a"], "b": any_rec["config"]["b"]}
        for obj in OBJECTIVES:
            row[f"{obj} final loss"] = recs[obj]["metrics"]["final_loss"]
            row[f"{obj} distance to (a,b)"] = recs[obj]["metrics"]["final_param_err"]
        rows.append(row)
    return rows


def plot_curves(recs: dict, key: str, ax=None, title: str | None = None, ylabel: str | None = None):
    """One curve per objective (``key`` = loss, grad_norm, param_err, ...), log y axis."""
    import matplotlib.pyplot as plt

    ax = ax or plt.gca()
    for k, obj in enumerate(OBJECTIVES):
        c = recs[obj]["curves"]
        ax.plot(c["step"], c[key], lw=0.8, color=f"C{k}", label=OBJECTIVES[obj])
    ax.set_yscale("log")
    ax.set_xlabel("training step")
    ax.set_ylabel(key if ylabel is None else ylabel)
    if title:
        ax.set_title(title)
    return ax
