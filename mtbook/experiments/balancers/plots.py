"""Chapter 10's tables and figures, from records only (the toy's here, MNIST's and pix2pix's in
their chapters' folders, the side-by-side cost measurements under ``balancers/cost-<bench>``).

Every table has a row per method and says ``not run yet at <profile>`` where a cell has no record;
``n`` is the number of runs behind each cell.
"""

from __future__ import annotations

import math

import numpy as np

from ...core.balancers import JACOBIAN
from ...core.report import by_method, fmt_mean_sd, markdown_table
from .spec import (
    BALANCERS,
    C_VALUES,
    LABELS,
    MNIST_REFERENCES,
    PIX2PIX_REFERENCES,
    TOY_METHODS,
)
from .toy import invariance

NOT_RUN = "not run yet at {profile}"
INVARIANT_BELOW = 1e-3  # a trajectory moved by less than this (relative) counts as invariant
COLORS = {"adam": "tab:red", "mtadam": "tab:blue", "adam_equal": "tab:green"}
PALETTE = ["tab:orange", "tab:purple", "tab:brown", "tab:pink", "tab:gray", "tab:olive"]
PALETTE += ["tab:cyan", "black"]  # the balancers, in METHODS order (never Adam's or MTAdam's)
PIX2PIX_METRICS = [("L1", 2), ("L2", 0), ("NMSE", 3), ("PSNR", 2), ("SSIM", 3)]


def _cell(values, decimals, profile):
    return fmt_mean_sd(values, decimals, n=True) if values else NOT_RUN.format(profile=profile)


def _sci(values, profile) -> str:
    """``"3.1e-04 ± 2e-05 (n=3)"``: small errors in scientific notation."""
    if not values:
        return NOT_RUN.format(profile=profile)
    m, sd = float(np.mean(values)), float(np.std(values, ddof=1)) if len(values) > 1 else 0.0
    return (f"{m:.1e} ± {sd:.0e}" if len(values) > 1 else f"{m:.1e}") + f" (n={len(values)})"


def invariance_by_method(toy_records: dict) -> dict[str, list[float]]:
    """``{method: [trajectory change per seed]}`` on the toy (c = 1 vs c = 1000)."""
    seeds = sorted({s for (_, _, s) in toy_records})
    out = {}
    for m in TOY_METHODS:
        vals = [invariance(toy_records, m, s) for s in seeds]
        out[m] = [v for v in vals if v is not None]
    return out


def invariance_cell(values: list[float]) -> str:
    """``"yes (3e-16)"`` / ``"no (0.15)"``: the largest change over the seeds, and the verdict."""
    if not values:
        return "not run yet"
    worst = max(values)
    word = "yes" if worst < INVARIANT_BELOW else "no"
    return f"{word} ({worst:.0e}, n={len(values)})" if worst < 0.01 else f"{word} ({worst:.2f})"


def toy_rows(toy_records: dict, profile: str) -> list[dict]:
    """One row per method: final parameter error at each c (tail median, mean over seeds) and the
    invariance to the L1 weight."""
    inv = invariance_by_method(toy_records)
    rows = []
    for m in TOY_METHODS:
        row = {"method": LABELS[m]}
        for c in C_VALUES:
            vals = [
                r["metrics"]["final_param_err"]
                for (mm, cc, _), r in toy_records.items()
                if mm == m and cc == c
            ]
            row[f"c = {c:g}"] = _sci(vals, profile)
        row["invariant to ×1000 on L1"] = invariance_cell(inv[m])
        rows.append(row)
    return rows


def toy_table(toy_records: dict, profile: str) -> str:
    rows = toy_rows(toy_records, profile)
    cols = list(rows[0])
    headers = ["method", *[f"‖w − (a, b)‖, {c}" for c in cols[1:3]], cols[3]]
    return markdown_table(rows, cols, headers=headers)


def toy_weights_figure(toy_records: dict, seed: int = 0, methods=TOY_METHODS):
    """Per c, the weight each method put on the *unweighted* L1 term relative to the L2 anchor,
    ``c * coef_2 / coef_1``, over training (log scale): curves that coincide between the two
    panels belong to methods that undo the factor 1000."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(C_VALUES), figsize=(11, 4), sharey=True)
    for ax, c in zip(axes, C_VALUES):
        for k, m in enumerate(methods):
            rec = toy_records.get((m, c, seed))
            if rec is None:
                continue
            coef = np.asarray(rec["curves"]["coef"], dtype=float)
            with np.errstate(divide="ignore", invalid="ignore"):
                ratio = c * coef[:, 1] / coef[:, 0]
            ax.plot(
                rec["curves"]["step"],
                ratio,
                label=LABELS[m].split(" — ")[0],
                color=COLORS.get(m) or PALETTE[(k - 2) % len(PALETTE)],
                lw=2.2 if m in ("mtadam", "adam") else 1.2,
                ls="-" if m in ("adam", "mtadam") or k % 2 else "--",
            )
        ax.set_yscale("log")
        ax.set_title(f"c = {c:g}: L2 + {c:g} · L1")
        ax.set_xlabel("step")
    axes[0].set_ylabel("weight on L1 / weight on L2 (unweighted terms)")
    axes[-1].legend(fontsize=7, loc="center left", bbox_to_anchor=(1.0, 0.5))
    fig.tight_layout()
    return fig


def _cost(cost_record, method: str, base: str, key: str = "sec_per_step_median"):
    if cost_record is None:
        return "not measured yet"
    m, b = cost_record["metrics"].get(method), cost_record["metrics"].get(base)
    if not m or not b or not b.get(key):
        return "not measured yet"
    return f"{m[key] / b[key]:.2f}×"


def _memory(cost_record, method: str, base: str):
    if cost_record is None:
        return "not measured yet"
    m, b = cost_record["metrics"].get(method), cost_record["metrics"].get(base)
    if not m or not b:
        return "not measured yet"
    return f"{m['state_bytes'] / b['state_bytes']:.2f}×"


def gradients_held(method: str | None) -> str:
    """What a method's step needs beyond one backward of the weighted sum (its transient memory):
    MTAdam and the Jacobian methods every term's full gradient, GradNorm and VQGAN's weight each
    term's gradient on the last layer, the others nothing."""
    if method == "mtadam" or method in JACOBIAN:
        return "every term's, full"
    if method in ("gradnorm", "vqgan"):
        return "every term's, last layer"
    return "none"


def _inv_for(inv: dict, balancer: str | None) -> str:
    return invariance_cell(inv.get(balancer, [])) if balancer else "—"


def mnist_rows(mnist_records, cost_record, toy_records, profile: str, draws=("paper", "script")):
    """One row per method on MNIST: test accuracy per weight draw (mean ± SD, n), seconds per step
    and optimizer state relative to Adam (side by side, ``cost-mnist``), invariance (toy)."""
    groups = by_method(mnist_records)
    inv = invariance_by_method(toy_records)
    names = [*MNIST_REFERENCES, *(f"adam_{b}" for b in BALANCERS)]
    rows = []
    for name in names:
        bal = name[len("adam_") :] if name[len("adam_") :] in BALANCERS else None
        label = {
            "adam": "Adam (weighted sum)",
            "mtadam": "MTAdam",
            "adam_equal": "Adam, all weights 1 (oracle)",
        }.get(name) or LABELS[bal]
        row = {"method": label}
        for d in draws:
            key = name if name == "adam_equal" else f"{name}-{d}"
            vals = [r["metrics"]["test_acc"] for r in groups.get(key, [])]
            row[f"accuracy, {d} draw"] = _cell(vals, 1, profile)
        row["s / step ÷ Adam"] = _cost(
            cost_record, name if name != "adam_equal" else "adam", "adam"
        )
        row["state ÷ Adam"] = _memory(cost_record, name if name != "adam_equal" else "adam", "adam")
        inv_key = "adam" if name == "adam" else "mtadam" if name == "mtadam" else bal
        row["per-term gradients"] = gradients_held(inv_key)
        row["invariant (toy)"] = _inv_for(inv, inv_key) if name != "adam_equal" else "—"
        rows.append(row)
    return rows


def gan_to_l1(record: dict) -> float | None:
    """pix2pix: the weight on the GAN term relative to L1's at the end of a run,
    ``lambda_GAN w_GAN / (lambda_L1 w_L1)`` (``w``: the run's last effective weights, median over
    the generator's tensors; 1 where the method has none). Adam-prescribed: 0.01; a method that
    silences the adversarial term: ~0."""
    lam = record["config"].get("lambdas") or [1.0, 1.0]
    ratio = float(lam[1]) / float(lam[0])
    ew = (record.get("curves") or {}).get("ew")
    if ew is not None:
        a = np.asarray(ew, dtype=float)  # [logged step, term, tensor]
        if a.ndim != 3 or not len(a):
            return None
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio *= float(np.nanmedian(a[-1, 1] / a[-1, 0]))
    return ratio


def _ratio_cell(values: list) -> str:
    vals = [v for v in values if v is not None and math.isfinite(v)]
    if not vals:
        return "—"
    m = float(np.mean(vals))
    return (f"{m:.2g}" if m >= 1e-3 or m == 0 else f"{m:.0e}") + f" (n={len(vals)})"


def pix2pix_rows(pix_records, cost_record, toy_records, profile: str):
    """One row per method on pix2pix facades (equal weights): test L1, L2, NMSE, PSNR, SSIM
    (mean ± SD, n), the weight on the GAN term relative to L1's at the end (:func:`gan_to_l1`,
    mean over seeds), seconds per iteration and per generator step, generator optimizer state
    relative to Adam's (``cost-pix2pix``), invariance (toy)."""
    groups = by_method(pix_records)
    inv = invariance_by_method(toy_records)
    names = [*PIX2PIX_REFERENCES, *(f"adam_equal_{b}" for b in BALANCERS)]
    rows = []
    for name in names:
        suffix = name[len("adam_equal_") :]
        bal = suffix if name.startswith("adam_equal_") and suffix in BALANCERS else None
        label = {
            "adam_equal": "Adam (equal weights)",
            "mtadam_equal": "MTAdam (equal weights)",
            "adam_prescribed": "Adam-prescribed (100 : 1)",
        }.get(name) or LABELS[bal]
        rs = groups.get(name, [])
        row = {"method": label}
        for metric, dec in PIX2PIX_METRICS:
            vals = [r["metrics"][metric] for r in rs if r["metrics"].get(metric) is not None]
            row[metric] = _cell(vals, dec, profile) if metric == "L1" or vals else "—"
        row["GAN : L1 weight (end)"] = _ratio_cell([gan_to_l1(r) for r in rs])
        cost_name = "adam_equal" if name == "adam_prescribed" else name
        row["s / iteration ÷ Adam"] = _cost(cost_record, cost_name, "adam_equal")
        row["G step ÷ Adam's"] = _cost(
            cost_record, cost_name, "adam_equal", "g_sec_per_step_median"
        )
        row["G state ÷ Adam"] = _memory(cost_record, cost_name, "adam_equal")
        inv_key = {"adam_equal": "adam", "mtadam_equal": "mtadam"}.get(name, bal)
        row["per-term gradients"] = gradients_held(inv_key)
        row["invariant (toy)"] = _inv_for(inv, inv_key) if name != "adam_prescribed" else "—"
        rows.append(row)
    return rows


def table(rows: list[dict]) -> str:
    return markdown_table(rows, list(rows[0]))


def class_weight_spread(record: dict) -> tuple[list[int], list[float]]:
    """MNIST: ``log10(max_i / min_i)`` of the weight each step put on the ten *unweighted* class
    terms (``coef_i * w_i``) over training; 0 = the ten classes weighted alike."""
    w = np.asarray(record["extra"]["details"]["class_weights"], dtype=float)
    curves = record["curves"]
    if "ew_mean" in curves:
        steps, coef = curves["ew_step"], np.asarray(curves["ew_mean"], dtype=float)
    else:  # Adam: coefficients 1
        steps, coef = curves["train_step"], np.ones((len(curves["train_step"]), len(w)))
    eff = coef * w[None, :]
    with np.errstate(divide="ignore", invalid="ignore"):
        spread = np.log10(eff.max(axis=1) / np.where(eff.min(axis=1) > 0, eff.min(axis=1), np.nan))
    return list(steps), [float(v) if math.isfinite(v) else float("nan") for v in spread]


def mnist_weights_figure(mnist_records, draw: str = "paper", seed: int = 0):
    """The spread of the effective class weights over training, one line per method (MNIST)."""
    import matplotlib.pyplot as plt

    groups = by_method(mnist_records)
    fig, ax = plt.subplots(figsize=(8, 4))
    names = ["adam", "mtadam", *(f"adam_{b}" for b in BALANCERS)]
    for k, name in enumerate(names):
        rec = next((r for r in groups.get(f"{name}-{draw}", []) if r["seed"] == seed), None)
        if rec is None:
            continue
        steps, spread = class_weight_spread(rec)
        bal = name[len("adam_") :]
        label = LABELS.get(name) or LABELS[bal]
        ax.plot(
            steps,
            spread,
            label=label.split(" — ")[0],
            color=COLORS.get(name) or PALETTE[(k - 2) % len(PALETTE)],
            lw=2.2 if name in ("adam", "mtadam") else 1.2,
            ls="-" if name in ("adam", "mtadam") or k % 2 else "--",
        )
    ax.set_xlabel("step")
    ax.set_ylabel("log10(max / min) of the class weights")
    ax.set_title(
        f"MNIST, {draw} draw, seed {seed}: how unequal the ten unweighted terms' weights are"
    )
    ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.0, 0.5))
    fig.tight_layout()
    return fig


# ------------------------------------------------------------------------------ the verdict

SIGNIFICANT = 2.0  # a difference is called real when it exceeds this many SD of the difference


def versus_mtadam(records, mtadam: str, rows: dict, metric: str, higher: bool, seeds=None):
    """Each row's mean minus MTAdam's on ``metric``, on the seeds both have (same weights, network
    and batches), with the SD of that difference (Welch) and a call: ``"above"`` / ``"below"``
    MTAdam (better / worse) beyond :data:`SIGNIFICANT` SD, ``"~"`` within it, ``"n < 3"`` when
    either side has fewer than three runs (no call about noise). ``rows``: ``{label: method}``.
    Returns ``(mtadam_values, [dict(label, n, mean, diff, sd, call)])``, rows without records
    left out."""
    from ...core.claims import MIN_SEEDS
    from ...core.report import diff_mean_sd

    def vals(method, keep):
        return {
            r["seed"]: float(r["metrics"][metric])
            for r in records
            if r["method"] == method
            and r["metrics"].get(metric) is not None
            and (keep is None or r["seed"] in keep)
        }

    ref = vals(mtadam, seeds)
    out = []
    for label, method in rows.items():
        mine = vals(method, seeds)
        common = sorted(set(mine) & set(ref))
        if not common:
            continue
        a, b = [mine[s] for s in common], [ref[s] for s in common]
        diff, sd = diff_mean_sd(a, b)
        if len(common) < MIN_SEEDS:
            call = "n < 3"
        elif abs(diff) <= SIGNIFICANT * sd:
            call = "~"
        else:
            call = "above" if (diff > 0) == higher else "below"
        out.append(
            dict(label=label, n=len(common), mean=float(np.mean(a)), diff=diff, sd=sd, call=call)
        )
    return list(ref.values()), out


def verdict_line(title: str, unit: str, ref: list, rows: list[dict], decimals: int) -> str:
    """One bullet of the chapter's verdict: MTAdam's mean ± SD, each method's Δ ± SD and call,
    then who is above, below or within noise of MTAdam."""
    if not ref or not rows:
        return f"* **{title}**: not enough records yet."
    head = f"* **{title}** ({unit}): MTAdam {fmt_mean_sd(ref, decimals, n=True)}. Δ to MTAdam: "
    parts = [
        f"{r['label']} {r['diff']:+.{decimals}f}"
        + (f" (n={r['n']}, no call)" if r["call"] == "n < 3" else "")
        + (f" ± {r['sd']:.{decimals}f} (n={r['n']}, {r['call']})" if r["call"] != "n < 3" else "")
        for r in rows
    ]
    groups = {c: [r["label"] for r in rows if r["call"] == c] for c in ("above", "below", "~")}
    tail = (
        f". Better than MTAdam beyond {SIGNIFICANT:g} SD: {', '.join(groups['above']) or 'none'}; "
        f"worse: {', '.join(groups['below']) or 'none'}; within noise: "
        f"{', '.join(groups['~']) or 'none'}"
    )
    few = [r["label"] for r in rows if r["call"] == "n < 3"]
    if few:
        tail += f"; fewer than 3 runs (no call): {', '.join(few)}"
    return head + "; ".join(parts) + tail + "."
