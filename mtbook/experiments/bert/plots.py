"""Tables 2 and 3, MTAdam's effective weight of L_reg, and the time per step: from records."""

from __future__ import annotations

import numpy as np

from ...core.report import by_method, fmt_mean_sd, markdown_table, mean_sd, provenance
from .recobert import METHODS as T3_METHODS
from .spec import (
    ENCODERS,
    METHODS,
    PAPER_TABLE2,
    PAPER_TABLE2_NAMES,
    PAPER_TABLE3,
    PAPER_TABLE3_NAMES,
    TASKS,
    method_key,
)

T3_METRICS = ("MPR", "MRR", "HR@10")
STSB = "STS-B"


def table2_records(records: list[dict]) -> list[dict]:
    """The records of Table 2's columns (every task), without the other runs stored beside them
    (chapter 7's ablation variants of the MTAdam column)."""
    keys = {method_key(m, t) for m in METHODS for t in TASKS}
    return [r for r in records if r["method"] in keys]


def t2_values(records: list[dict], method: str, task: str, metric: str | None = None) -> list:
    """The dev metric of column ``method`` on ``task`` over seeds (accuracy; STS-B: ``metric``,
    default Pearson)."""
    metric = metric or ("pearson" if task == STSB else "acc")
    return [
        r["metrics"][metric]
        for r in by_method(records).get(method_key(method, task), [])
        if r["metrics"].get(metric) is not None
    ]


def encoder_label(records: list[dict]) -> str:
    labels = sorted({(r.get("config") or {}).get("encoder", "?") for r in records})
    return ", ".join(labels) or ENCODERS["minilm"]["label"]


def table2_rows(records: list[dict]) -> list[dict]:
    """Rows = the paper's columns; cells "ours mean ± SD (paper)"; STS-B Pearson and Spearman."""
    rows = []
    for m in METHODS:
        row = dict(column=PAPER_TABLE2_NAMES[m], n=len(t2_values(records, m, "MRPC")))
        for t in TASKS:
            paper = "{:.1f} ± {:.1f}".format(*PAPER_TABLE2[m][t])
            if t == STSB:
                p, s = t2_values(records, m, t, "pearson"), t2_values(records, m, t, "spearman")
                row["STS-B Pearson"] = f"{fmt_mean_sd(p, 1) if p else 'not run'} ({paper})"
                row["STS-B Spearman"] = fmt_mean_sd(s, 1) if s else "not run"
            else:
                v = t2_values(records, m, t)
                row[t] = f"{fmt_mean_sd(v, 1) if v else 'not run'} ({paper})"
        rows.append(row)
    return rows


def table2_markdown(records: list[dict], profile: str) -> str:
    head = (
        f"**Table 2, profile `{profile}`, encoder: {encoder_label(records)}**. Dev-set accuracy "
        "(%) for MRPC and RTE, Pearson and Spearman correlation (x 100) for STS-B; ours as mean ± "
        "SD over n seeds, the paper's BERT-base number (mean ± SD of 5) in brackets. "
        f"Records: {provenance(records)}.\n\n"
    )
    cols = ["column", "n", "MRPC", "RTE", "STS-B Pearson", "STS-B Spearman"]
    return head + markdown_table(table2_rows(records), cols)


def table3_rows(records: list[dict]) -> list[dict]:
    groups = by_method(records)
    rows = []
    if "pretrained" in groups:
        r = groups["pretrained"]
        rows.append(
            dict(
                row="pretrained encoder, no training (ours only)",
                n=len(r),
                **{k: fmt_mean_sd([x["metrics"][k] for x in r], 1) for k in T3_METRICS},
            )
        )
    for m in T3_METHODS:
        rs = groups.get(m, [])
        label = PAPER_TABLE3_NAMES[m]
        if m == "hyperband" and rs:
            lams = ", ".join(f"{r['metrics']['chosen_lambda']:.3g}" for r in rs)
            label += f" (chosen λ: {lams})"
        row = dict(row=label, n=len(rs))
        for k in T3_METRICS:
            v = [r["metrics"][k] for r in rs]
            row[k] = f"{fmt_mean_sd(v, 1) if v else 'not run'} ({PAPER_TABLE3[m][k]})"
        rows.append(row)
    return rows


def table3_markdown(records: list[dict], profile: str) -> str:
    tasks = sorted({(r.get("config") or {}).get("task", "?") for r in records})
    head = (
        f"**Table 3, profile `{profile}`, encoder: {encoder_label(records)}; task: "
        f"{'; '.join(tasks)}**. In percent, higher is better; ours as mean ± SD over n seeds, "
        "the paper's wines numbers in brackets (a different task: compare orderings, not values). "
        f"Records: {provenance(records)}.\n\n"
    )
    return head + markdown_table(table3_rows(records), ["row", "n", *T3_METRICS])


def effective_weight_curves(records: list[dict], task: str) -> tuple[np.ndarray, np.ndarray]:
    """Steps and MTAdam's effective weight of L_reg, median over layers, one row per seed."""
    rs = by_method(records).get(method_key("mtadam_equal", task), [])
    if not rs:
        return np.zeros(0), np.zeros((0, 0))
    steps = np.asarray(rs[0]["curves"]["ew_step"])
    return steps, np.asarray([r["curves"]["ew_median"] for r in rs], dtype=float)


def plot_effective_weights(records: list[dict], ax=None):
    """MTAdam's effective weight of the L2 term (median over the regularised layers of
    ``n^task_l / n^reg_l``) over training, per task, every seed; log scale. For comparison the
    prescribed lambda2 = 0.01 (a horizontal line)."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3.2))
    for t, c in zip(TASKS, ("tab:blue", "tab:orange", "tab:green")):
        steps, w = effective_weight_curves(records, t)
        for i, row in enumerate(w):
            ax.plot(steps, row, color=c, alpha=0.8, lw=1, label=t if i == 0 else None)
    ax.axhline(0.01, color="k", ls="--", lw=1, label="prescribed λ2 = 0.01")
    ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel("effective weight of L_reg")
    ax.legend(fontsize=7)
    return ax


def step_time_ratio(records: list[dict]) -> dict:
    """Training seconds per step (evaluation excluded), MTAdam vs Adam with the same equal-weights
    objective, per task: ``{task: (adam mean, mtadam mean, ratio of means)}`` and ``"all"`` (the
    ratio of the medians over every run's seconds per step)."""
    out = {}
    a_all, m_all = [], []
    for t in TASKS:
        a = t2_values(records, "adam_equal", t, "time_per_step")
        m = t2_values(records, "mtadam_equal", t, "time_per_step")
        if a and m:
            out[t] = (mean_sd(a)[0], mean_sd(m)[0], mean_sd(m)[0] / mean_sd(a)[0])
            a_all += a
            m_all += m
    if a_all:
        out["all"] = (
            float(np.median(a_all)),
            float(np.median(m_all)),
            float(np.median(m_all) / np.median(a_all)),
        )
    return out
