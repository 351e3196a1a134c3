"""Table 6, the motivation figure (Figs. 2/6), samples (Fig. 11), MTAdam's weights: from records."""

from __future__ import annotations

import numpy as np

from ...core.metrics import FID_UNAVAILABLE
from ...core.report import (
    by_method,
    fmt_mean_sd,
    markdown_table,
    mean_sd,
    provenance,
)
from ...core.report import (
    method_values as values,  # the chapters call <experiment>.values(...)
)
from .run import samples_path
from .spec import (
    METHODS,
    MOTIVATION_RUNS,
    PAPER_IMPOSSIBLE,
    PAPER_TABLE6,
    PERCEPTUAL_LABELS,
    SAMPLE_METHODS,
    TERM_NAMES,
)

COLORS = {
    "adam_equal": "tab:red",
    "mtadam_equal": "tab:blue",
    "adam_prescribed": "tab:green",
    "sgd_momentum": "tab:gray",
    "rmsprop": "tab:orange",
    "hyperband": "tab:purple",
}
# Fig. 2's colours: blue = the balanced pair, black = naive weight 1, red = rescaled
MOTIVATION_COLORS = {
    "a_mse_gan": "tab:blue",
    "a_mse_perc_naive": "k",
    "a_mse_perc_rescaled": "tab:red",
    "b_mse_perc": "tab:blue",
    "b_mse_gan_naive": "k",
    "b_mse_gan_rescaled": "tab:red",
}
SETS = ("Set14", "BSD100")
DECIMALS = dict(PSNR=2, SSIM=4, FID=2)
TABLE_COLUMNS = (
    ["method", "n"]
    + [f"{s} {m}" for s in SETS for m in ("PSNR", "SSIM", "FID")]
    + ["Set5 PSNR", "Set5 SSIM"]
)


def paper_cell(test_set: str, method: str, metric: str) -> str:
    v = PAPER_TABLE6.get(test_set, {}).get(method, {}).get(metric)
    if v is None:
        return "—"
    if (test_set, method, metric) in PAPER_IMPOSSIBLE:
        return f"{v} (sic)"
    return f"{v:.{DECIMALS[metric]}f}"


def paper_rows() -> list[dict]:
    """The paper's Table 6 as rows (the impossible cell marked "(sic)")."""
    rows = []
    for m, spec in METHODS.items():
        label = "Hyperband-FID" if m == "hyperband" else spec["label"]
        rows.append(
            dict(
                method=label,
                **{f"{s} {k}": paper_cell(s, m, k) for s in SETS for k in ("PSNR", "SSIM", "FID")},
            )
        )
    return rows


def table_rows(records: list[dict]) -> list[dict]:
    """One row per method (bicubic first): "ours mean ± SD (paper)" per column."""
    groups = by_method(records)
    rows = []
    for method in ["bicubic"] + list(METHODS):
        rs = groups.get(method, [])
        label = "bicubic x4" if method == "bicubic" else METHODS[method]["label"]
        if method == "hyperband" and rs:
            lams = ", ".join(f"{r['metrics']['chosen_lambda']:.3g}" for r in rs)
            label += f" (chosen lambda2 = lambda3: {lams})"
        row = {"method": label, "n": len(rs)}
        for s in SETS + ("Set5",):
            for k in ("PSNR", "SSIM", "FID"):
                if s == "Set5" and k == "FID":
                    continue
                v = values(records, method, f"{s}_{k}")
                paper = paper_cell(s, method, k) if s != "Set5" and method != "bicubic" else None
                if k == "FID" and rs and not v:
                    ours = "n/a"
                elif not rs:
                    ours = "not run"
                else:
                    ours = fmt_mean_sd(v, DECIMALS[k])
                row[f"{s} {k}"] = ours if paper is None else f"{ours} ({paper})"
        rows.append(row)
    return rows


def perceptual_label(records: list[dict]) -> str:
    kinds = sorted({r["config"].get("perceptual") for r in records if r.get("config")})
    return "; ".join(PERCEPTUAL_LABELS.get(k, str(k)) for k in kinds)


def table_markdown(records: list[dict], profile: str) -> str:
    head = (
        f"**Table 6, x4, profile `{profile}`**: ours as mean ± SD over n seeds, the paper's number "
        "in brackets. PSNR (dB) and SSIM on the Y channel, 4-px border removed, data range 255; "
        f"perceptual term: **{perceptual_label(records)}**. FID: {FID_UNAVAILABLE}. "
        f"Records: {provenance(records)}.\n\n"
    )
    return head + markdown_table(table_rows(records), TABLE_COLUMNS)


def motivation_table(records: list[dict]) -> str:
    """Final Set14 / Set5 PSNR and SSIM of the six motivation runs (mean ± SD)."""
    rows = []
    for name, spec in MOTIVATION_RUNS.items():
        row = dict(
            panel=spec["panel"], run=spec["label"], n=len(values(records, name, "Set14_PSNR"))
        )
        for s in ("Set14", "Set5"):
            row[f"{s} PSNR"] = fmt_mean_sd(values(records, name, f"{s}_PSNR"), 2)
            row[f"{s} SSIM"] = fmt_mean_sd(values(records, name, f"{s}_SSIM"), 4)
        rows.append(row)
    cols = ["panel", "run", "n"] + [f"{s} {k}" for s in ("Set14", "Set5") for k in ("PSNR", "SSIM")]
    return markdown_table(rows, cols)


def plot_motivation(records: list[dict], panel: str, metric: str = "SSIM", ax=None):
    """Validation (Set5) ``metric`` per epoch, the three runs of ``panel``: mean, min-max band."""
    import matplotlib.pyplot as plt

    ax = ax or plt.subplots()[1]
    for name, spec in MOTIVATION_RUNS.items():
        rs = by_method(records).get(name, [])
        if spec["panel"] != panel or not rs:
            continue
        a = np.asarray([[v[metric] for v in r["curves"]["val"]] for r in rs], dtype=float)
        ep = rs[0]["curves"]["epoch"]
        color = MOTIVATION_COLORS[name]
        ax.plot(
            ep, a.mean(0), marker="o", ms=3, color=color, label=f"{spec['label']} (n={len(rs)})"
        )
        ax.fill_between(ep, a.min(0), a.max(0), color=color, alpha=0.15)
    ax.set_xlabel("epoch")
    ax.set_ylabel(f"Set5 {metric} (Y)")
    ax.set_title(f"({panel})")
    ax.legend(fontsize=7)
    return ax


def sample_grid(profile: str, methods=SAMPLE_METHODS, seed: int = 0):
    """Fig. 11: rows = Set14 crops; columns = bicubic, each method's output, HR."""
    import matplotlib.pyplot as plt

    cols = ["bicubic"] + list(methods) + ["hr"]
    loaded = {}
    for c in cols:
        p = samples_path(profile, c, 0 if c in ("bicubic", "hr") else seed)
        if p.exists():
            loaded[c] = np.load(p)
    if "hr" not in loaded:
        raise FileNotFoundError(
            f"no SRGAN samples at profile {profile!r}; run the experiment first"
        )
    cols = [c for c in cols if c in loaded]
    k = loaded["hr"]["output"].shape[0]
    names = [str(n) for n in loaded["hr"]["names"]] if "names" in loaded["hr"] else [""] * k
    fig, axes = plt.subplots(k, len(cols), figsize=(1.9 * len(cols), 1.9 * k), squeeze=False)
    for i in range(k):
        for j, c in enumerate(cols):
            axes[i, j].imshow(loaded[c]["output"][i])
            axes[i, j].set_xticks([])
            axes[i, j].set_yticks([])
            if i == 0:
                title = {"bicubic": "bicubic", "hr": "HR"}.get(c) or METHODS[c]["label"].replace(
                    " (", "\n("
                )
                axes[i, j].set_title(title, fontsize=8)
            if j == 0:
                axes[i, j].set_ylabel(names[i], fontsize=8)
    fig.tight_layout()
    return fig


def effective_ratios(record: dict) -> tuple[list, np.ndarray, list[str]]:
    """(steps, ratios [steps, 2, tensors], names): MTAdam's GAN/MSE and perc/MSE weights."""
    c = record["curves"]
    ew = np.asarray(c["ew"], dtype=float)  # [logged steps, terms, parameter tensors]
    with np.errstate(divide="ignore", invalid="ignore"):
        ratios = ew[:, 1:, :] / ew[:, :1, :]
    return c["ew_step"], ratios, [n.split(".", 1)[1] for n in c["layer_names"]]


def plot_effective_weights(record: dict, axes=None):
    """Two panels: weight of GAN / weight of MSE, and perc / MSE, per weight tensor of G."""
    import matplotlib.pyplot as plt

    if axes is None:
        axes = plt.subplots(1, 2, figsize=(10, 3.8), sharex=True)[1]
    steps, ratios, names = effective_ratios(record)
    cmap = plt.get_cmap("viridis")
    weights = [
        j
        for j, n in enumerate(names)
        if n.endswith("weight") and np.isfinite(ratios[:, 0, j]).any()
    ]
    for t, (ax, term, presc) in enumerate(zip(axes, TERM_NAMES[1:], (0.001, 0.006))):
        for rank, j in enumerate(weights):
            ends = {0: f"first: {names[j]}", len(weights) - 1: f"last: {names[j]}"}
            ax.plot(
                steps,
                ratios[:, t, j],
                color=cmap(rank / max(1, len(weights) - 1)),
                lw=0.8,
                label=ends.get(rank),
            )
        ax.plot(
            steps,
            np.nanmedian(ratios[:, t, :], axis=1),
            color="k",
            lw=2,
            label="median over tensors",
        )
        ax.axhline(presc, color="tab:green", ls="--", lw=1, label=f"prescribed {presc}")
        ax.set_yscale("log")
        ax.set_xlabel("generator step")
        ax.set_ylabel(f"weight of {term} / weight of MSE")
        ax.legend(fontsize=7)
    return axes


def step_times(records: list[dict]) -> dict:
    """Training seconds per generator step (evaluation excluded): mean ± SD per method."""
    out = {}
    for m in METHODS:
        v = values(records, m, "s_per_step")
        if v:
            out[m] = mean_sd(v)
    return out
