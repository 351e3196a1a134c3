"""Table 4 and the chapter's figures, from the records only."""

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
from .spec import CURVE_METHODS, METHODS, PAPER_TABLE4, PAPER_TABLE4_MAPS, method_spec

COLORS = {
    "adam_equal": "tab:red",
    "mtadam_equal": "tab:blue",
    "adam_prescribed": "tab:green",
    "sgd_momentum": "tab:gray",
    "rmsprop": "tab:orange",
    "hyperband": "tab:purple",
    "adam_prescribed_b05": "tab:olive",
}
METRICS = [("L1", 2), ("L2", 0), ("NMSE", 3), ("FID", 2)]  # the paper's columns, with our decimals


def paper_rows(maps: bool = False) -> list[dict]:
    """The paper's Table 4 (facades, or maps -> aerial) as
    rows for ``markdown_table``, with its row names."""
    table = PAPER_TABLE4_MAPS if maps else PAPER_TABLE4
    names = {k: m["label"] for k, m in METHODS.items()}
    names["hyperband"] = (
        "Hyperband-FID"  # the paper's name: its Hyperband searched on validation FID
    )
    return [dict(method=names[k], **v) for k, v in table.items()]


def _paper(records):
    maps = any(r["config"].get("dataset") == "maps" for r in records)
    return (
        (PAPER_TABLE4_MAPS, "maps -> aerial") if maps else (PAPER_TABLE4, "facades labels -> photo")
    )


def table_rows(records: list[dict]) -> list[dict]:
    """One row per method: each paper metric as "ours
    mean ± SD (paper)", plus PSNR / SSIM (ours only)."""
    paper = _paper(records)[0]
    groups = by_method(records)
    rows = []
    for method, spec in METHODS.items():
        rs = groups.get(method, [])
        label = spec["label"]
        if method == "hyperband" and rs:
            lams = ", ".join(f"{r['metrics']['chosen_lambda2']:.3g}" for r in rs)
            label += f" (chosen lambda2: {lams}; by {rs[0]['config']['objective']})"
        row = {"method": label, "n": len(rs)}
        p = paper.get(method, {})
        for metric, dec in METRICS:
            v = values(records, method, metric)
            if metric == "FID" and rs and not v:
                row[metric] = f"n/a ({p.get(metric, '—')})"  # FID_UNAVAILABLE, said in the caption
            else:
                row[metric] = (
                    ours_and_paper(v, p.get(metric), dec)
                    if rs
                    else f"not run ({p.get(metric, '—')})"
                )
        row["PSNR"] = fmt_mean_sd(values(records, method, "PSNR"), 2)
        row["SSIM"] = fmt_mean_sd(values(records, method, "SSIM"), 3)
        rows.append(row)
    return rows


TABLE_COLUMNS = ["method", "n", "L1", "L2", "NMSE", "FID", "PSNR", "SSIM"]


def table_markdown(records: list[dict], profile: str) -> str:
    head = (
        f"**Table 4, {_paper(records)[1]}, test set, profile `{profile}`**: ours as mean ± SD over "
        "n seeds, the paper's number in brackets. L1/L2 in 0-255 pixel units, "
        "NMSE = sum (y - yhat)^2 / "
        f"sum y^2, PSNR in dB, SSIM (ours only). FID where it says n/a: {FID_UNAVAILABLE}. "
        f"Records: {provenance(records)}.\n\n"
    )
    return head + markdown_table(table_rows(records), TABLE_COLUMNS)


def ranking(records: list[dict], key: str = "L1") -> list[str]:
    """Methods sorted by their mean test metric (best first)."""
    means = {
        m: np.mean(values(records, m, key)) for m in by_method(records) if values(records, m, key)
    }
    return sorted(means, key=means.get)


def plot_val_curves(records: list[dict], metric: str = "L1", methods=CURVE_METHODS, ax=None):
    """Validation ``metric`` per epoch, mean over seeds with a min-max band (Fig. 7 for L1)."""
    import matplotlib.pyplot as plt

    ax = ax or plt.subplots()[1]
    for m in methods:
        rs = [r for r in records if r["method"] == m]
        vals = [[v.get(metric) for v in r["curves"]["val"]] for r in rs]
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
    ax.set_xlabel("epoch")
    ax.set_ylabel(f"validation {metric}" + (" (0-255 units)" if metric in ("L1", "L2") else ""))
    ax.legend()
    return ax


def sample_grid(profile: str, methods=CURVE_METHODS, k: int | None = None, seed: int = 0):
    """Figure: rows = test images; columns = input (labels), each method's output (a row of Table 4,
    an ablation variant or a balancer row), target (photo)."""
    import matplotlib.pyplot as plt

    paths = {m: samples_path(profile, m, seed) for m in methods}
    loaded = {m: np.load(p) for m, p in paths.items() if p.exists()}
    if not loaded:
        raise FileNotFoundError(
            f"no pix2pix samples at profile {profile!r}; run the experiment first"
        )
    first = next(iter(loaded.values()))
    k = k or first["input"].shape[0]
    cols = ["input"] + list(loaded) + ["target"]
    fig, axes = plt.subplots(k, len(cols), figsize=(1.7 * len(cols), 1.7 * k), squeeze=False)
    for i in range(k):
        for j, col in enumerate(cols):
            img = first[col][i] if col in ("input", "target") else loaded[col]["output"][i]
            axes[i, j].imshow(img)
            axes[i, j].set_xticks([])
            axes[i, j].set_yticks([])
            if i == 0:
                axes[i, j].set_title(
                    col
                    if col in ("input", "target")
                    else method_spec(col)["label"].replace(" (", "\n("),
                    fontsize=8,
                )
    fig.tight_layout()
    return fig


def plot_effective_weights(record: dict, ax=None):
    """MTAdam's weight of the GAN term relative to L1,
    ``n^L1_l / n^GAN_l``, per layer over training."""
    import matplotlib.pyplot as plt

    ax = ax or plt.subplots()[1]
    c = record["curves"]
    ew_all = np.asarray(c["ew"], dtype=float)  # [steps, terms, parameter tensors]
    ew = ew_all[:, 1, :] / ew_all[:, 0, :]
    names = [n.split(".", 1)[1] for n in c["layer_names"]]  # drop the generator's name "G."
    steps = c["ew_step"]
    cmap = plt.get_cmap("viridis")
    weights = [
        j
        for j, n in enumerate(names)
        if n.endswith("weight") and ew.shape[0] and np.isfinite(ew[:, j]).any()
    ]
    ends = {0: "first layer (input conv)", len(weights) - 1: "last layer (output conv)"}
    for rank, j in enumerate(weights):  # parameter order of the U-Net: input conv ... output conv
        ax.plot(
            steps,
            ew[:, j],
            color=cmap(rank / max(1, len(weights) - 1)),
            lw=1,
            label=f"{ends[rank]}: {names[j]}" if rank in ends else None,
        )
    med = np.nanmedian(ew, axis=1)
    ax.plot(steps, med, color="k", lw=2, label="median over all parameter tensors")
    ax.axhline(1 / 100, color="tab:green", ls="--", lw=1, label="prescribed ratio 1/100")
    ax.set_yscale("log")
    ax.set_xlabel("generator step")
    ax.set_ylabel("weight of L_GAN / weight of L1")
    ax.legend(fontsize=7)
    return ax
