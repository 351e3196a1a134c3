"""pix2pix on facades, labels -> photo (paper Sec. 5.4, Table 4, Figs. 4, 7, 12).

The generator's objective is ``lambda1 L1 + lambda2 L_GAN``; pix2pix prescribes lambda1 = 100,
lambda2 = 1. The six rows of Table 4, all through :func:`mtbook.gan.train`:

=================  ===========  ==========================================================
row                optimizer    generator objective
=================  ===========  ==========================================================
SGD-Momentum       sgd (0.9)    L1 + L_GAN (equal weights)
RMSProp            rmsprop      L1 + L_GAN
Adam               adam         L1 + L_GAN
MTAdam             mtadam       [L1, L_GAN], unweighted (L1 is the anchor)
Hyperband          adam         100 L1 + lambda L_GAN, lambda chosen by Hyperband in [1e-4, 1e4]
Adam-prescribed    adam         100 L1 + 1 L_GAN
=================  ===========  ==========================================================

"Equal weights" is lambda1 = lambda2 = 1. The paper's sentence ("we train Pix2pix with equal
weights, setting lambda1 to 100 (which implies a 1:1 ratio between the two terms)") cannot be read
literally: lambda1 = 100 with lambda2 = 1 is the prescribed 100:1 setting, not 1:1. Its name (equal
weights), its parenthesis (a 1:1 ratio) and the Adam-equal vs Adam-prescribed gap of Table 4 and
Fig. 4 all say 1:1; "setting lambda1 to 1" (or lambda2 to 100) is the likely intent. For Adam,
RMSProp and MTAdam, lambda1 = lambda2 = 1 and lambda1 = lambda2 = 100 are the same run up to eps (the
update is invariant to a common scale of the loss); only SGD would move 100x faster with the latter.

The Hyperband row searches lambda2 with lambda1 = 100 fixed: the paper searches "on lambda2", calls 1
its "original value", and reports a chosen lambda of 162.89 whose L1 (54.12) sits next to Adam-equal
(54.92), which fits a GAN:L1 ratio of 1.6:1 (lambda1 = 100), not one of 16000:1 (lambda1 = 1).

Hyper-parameters: lr 2e-4 for every generator optimizer ("the learning rate as found in each
method"), betas (0.5, 0.999) for Adam and MTAdam (beta3 = 0.9), SGD momentum 0.9, RMSProp's PyTorch
defaults otherwise; the discriminator keeps Adam(2e-4, (0.5, 0.999)). Metrics: :mod:`mtbook.metrics`.
"""

from __future__ import annotations

import math
import time
from pathlib import Path

import numpy as np
import torch

from .profiles import get_profile

EXPERIMENT = "pix2pix"
SEED = 0
PRESCRIBED = (100.0, 1.0)
EQUAL = (1.0, 1.0)

METHODS = {
    "sgd_momentum": dict(label="SGD-Momentum (equal weights)", optimizer="sgd", lambdas=EQUAL),
    "rmsprop": dict(label="RMSProp (equal weights)", optimizer="rmsprop", lambdas=EQUAL),
    "adam_equal": dict(label="Adam (equal weights)", optimizer="adam", lambdas=EQUAL),
    "mtadam_equal": dict(label="MTAdam (equal weights)", optimizer="mtadam", lambdas=EQUAL),
    "hyperband": dict(label="Hyperband", optimizer="adam", lambdas=(PRESCRIBED[0], None)),
    "adam_prescribed": dict(label="Adam-prescribed", optimizer="adam", lambdas=PRESCRIBED),
}
CURVE_METHODS = ("adam_equal", "mtadam_equal", "adam_prescribed")

# Table 4 of the paper, facades (labels -> photo), test set, lower is better.
PAPER_TABLE4 = {
    "sgd_momentum": dict(L1=120.12, L2=18308, NMSE=1.132, FID=339.40),
    "rmsprop": dict(L1=53.98, L2=4913, NMSE=0.303, FID=136.10),
    "adam_equal": dict(L1=54.92, L2=5074, NMSE=0.313, FID=133.55),
    "mtadam_equal": dict(L1=46.50, L2=3822, NMSE=0.236, FID=130.38),
    "hyperband": dict(L1=54.12, L2=4992, NMSE=0.308, FID=141.96),
    "adam_prescribed": dict(L1=45.84, L2=3811, NMSE=0.235, FID=130.50),
}
# ... and maps -> aerial (the `full` profile only)
PAPER_TABLE4_MAPS = {
    "sgd_momentum": dict(L1=45.1, L2=3428.3, NMSE=0.491, FID=102.45),
    "rmsprop": dict(L1=42.4, L2=3056.7, NMSE=0.435, FID=95.74),
    "adam_equal": dict(L1=38.1, L2=2632.3, NMSE=0.368, FID=88.08),
    "mtadam_equal": dict(L1=33.6, L2=2096.9, NMSE=0.293, FID=86.40),
    "hyperband": dict(L1=35.14, L2=2391.2, NMSE=0.341, FID=86.45),
    "adam_prescribed": dict(L1=34.4, L2=2163.4, NMSE=0.303, FID=85.76),
}
PAPER_HYPERBAND_LAMBDA = 162.89

_COMMON = dict(lr=2e-4, seed=SEED, direction="BtoA", n_samples=4, log_every=5)
CONFIG = {
    # seconds: proves the code path; numbers are not results
    "smoke": dict(_COMMON, size=32, num_downs=5, ngf=8, ndf=8, n_layers=2, batch_size=4, epochs=2,
                  train_limit=8, val_limit=4, test_limit=4, jitter=False, hb_trials=2, log_every=1,
                  fid_per_epoch=False, threads=1),
    # ~35 min for the whole table on 2 shared CPU cores: 64 px, a 16-filter U-Net (6 levels) and a
    # 3-layer PatchGAN, batch 8, 40 epochs (2000 steps); one thread (two 2-thread jobs on 2 cores
    # oversubscribe: measured 30x slower per step)
    "cpu": dict(_COMMON, size=64, num_downs=6, ngf=16, ndf=16, n_layers=3, batch_size=8, epochs=40,
                train_limit=None, val_limit=None, test_limit=None, jitter=False, hb_trials=6,
                fid_per_epoch=False, log_every=10, threads=1),
    # the paper: 256 px, pix2pix's U-Net-256 and 70x70 PatchGAN, batch 1, jitter, 200 epochs, 40 trials
    "full": dict(_COMMON, size=256, num_downs=8, ngf=64, ndf=64, n_layers=3, batch_size=1, epochs=200,
                 train_limit=None, val_limit=None, test_limit=None, jitter=True, hb_trials=40,
                 fid_per_epoch=True, log_every=100, threads=None),
}


DATASETS = ("facades", "maps")


def config(profile: str | None = None, dataset: str = "facades") -> dict:
    """The settings of a profile. ``dataset="maps"`` (maps -> aerial) exists at ``full`` only: the maps
    set is downloaded on demand (not in the offline data directory)."""
    name = profile or get_profile()
    if name not in CONFIG:
        raise ValueError(f"unknown profile {name!r}; use one of {', '.join(CONFIG)}")
    if dataset not in DATASETS:
        raise ValueError(f"unknown dataset {dataset!r}; use one of {', '.join(DATASETS)}")
    cfg = dict(CONFIG[name])
    if dataset != "facades":
        if name != "full":
            raise ValueError(f"the {dataset} half of Table 4 runs at the full profile only (GPU, download)")
        cfg["dataset"] = dataset
    return cfg


def experiment_name(cfg: dict) -> str:
    """``pix2pix`` (facades) or ``pix2pix-maps``: the folder of the records."""
    return EXPERIMENT if cfg.get("dataset", "facades") == "facades" else f"{EXPERIMENT}-{cfg['dataset']}"


def load_data(cfg: dict) -> dict:
    """``{"train", "val", "test"}`` -> (labels, photos) tensors in [-1, 1] at ``cfg["size"]``."""
    from .data import load_facades, load_maps

    load = load_maps if cfg.get("dataset") == "maps" else load_facades
    return {split: load(split, cfg["size"], cfg.get(f"{split}_limit"), cfg["direction"])
            for split in ("train", "val", "test")}


def checkpoint_dir(profile: str, name: str, experiment: str = EXPERIMENT) -> Path:
    """Checkpoints live in the writable cache (``$MTADAM_CACHE``), outside the repository."""
    from .data import cache_dir

    return cache_dir() / "checkpoints" / profile / experiment / name


def _val_metrics(cfg):
    from .gan import predict
    from .metrics import image_metrics

    def evaluate(G, x, y):
        return image_metrics(predict(G, x), y, fid=bool(cfg.get("fid_per_epoch")))

    return evaluate


def _train_one(optimizer, lambdas, cfg, data, profile, name, progress=None, epoch_callback=None):
    from . import gan
    from .metrics import fid_status, image_metrics, to_uint8

    if cfg.get("threads"):
        torch.set_num_threads(int(cfg["threads"]))
    t0 = time.time()
    out = gan.train(optimizer=optimizer, lambdas=lambdas, data=data, cfg=cfg, seed=cfg["seed"],
                    ckpt_dir=checkpoint_dir(profile, name, experiment_name(cfg)), progress=progress,
                    epoch_callback=epoch_callback, evaluate=_val_metrics(cfg))
    G = out["G"]
    x_test, y_test = data["test"]
    pred = gan.predict(G, x_test)
    test = image_metrics(pred, y_test, fid=True)
    k = int(cfg["n_samples"])
    samples = dict(input=to_uint8(x_test[:k]), output=to_uint8(pred[:k]), target=to_uint8(y_test[:k]))
    return dict(test=test, curves=out["curves"], layer_names=out["layer_names"], diverged=out["diverged"],
                steps=out["steps"], samples=samples, fid_status=fid_status()[1], train_time=time.time() - t0)


def samples_path(profile: str, method: str, experiment: str = EXPERIMENT) -> Path:
    from .records import results_dir

    return results_dir(profile) / experiment / "samples" / f"{method}.npz"


def _run_config(method: str, cfg: dict, lambdas) -> dict:
    spec = METHODS[method]
    return dict(method=method, label=spec["label"], optimizer=spec["optimizer"],
                lambda1=lambdas[0], lambda2=lambdas[1], anchor="L1" if spec["optimizer"] == "mtadam" else None,
                betas=(0.5, 0.999, 0.9) if spec["optimizer"] == "mtadam" else
                ((0.5, 0.999) if spec["optimizer"] == "adam" else None),
                momentum=0.9 if spec["optimizer"] == "sgd" else None,
                discriminator="Adam(lr 2e-4, betas (0.5, 0.999))", task="facades labels -> photo (BtoA)",
                **cfg)


def _metrics_from(res: dict) -> dict:
    m = dict(res["test"])
    m.update(diverged=res["diverged"], steps=res["steps"])
    return m


def run_method(method: str, profile: str | None = None, data=None, progress=None, dataset: str = "facades") -> dict:
    """The record of one row (trained and saved unless a record with the same config exists)."""
    from .records import has_record, load_record, record_path, save_record

    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; use one of {', '.join(METHODS)}")
    profile = profile or get_profile()
    cfg = config(profile, dataset)
    exp = experiment_name(cfg)
    if method == "hyperband":
        return run_hyperband(profile, data, progress, dataset)
    spec = METHODS[method]
    run_cfg = _run_config(method, cfg, spec["lambdas"])
    if has_record(exp, method, cfg["seed"], profile):
        rec = load_record(record_path(exp, method, cfg["seed"], profile))
        if rec.get("config") == json_roundtrip(run_cfg):
            return rec
    data = data or load_data(cfg)
    t0 = time.time()
    res = _train_one(spec["optimizer"], spec["lambdas"], cfg, data, profile, f"{method}__seed{cfg['seed']}",
                     progress)
    _save_samples(profile, method, res["samples"], exp)
    curves = dict(res["curves"], layer_names=res["layer_names"])
    path = save_record(exp, method, config=run_cfg, seed=cfg["seed"], metrics=_metrics_from(res),
                       curves=curves, wall_time=time.time() - t0, profile=profile,
                       extra=dict(fid_status=res["fid_status"]))
    return load_record(path)


def json_roundtrip(obj):
    import json

    return json.loads(json.dumps(obj))


def _save_samples(profile, method, samples, experiment=EXPERIMENT):
    path = samples_path(profile, method, experiment)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(path, **samples)


def hyperband_objective_name(cfg: dict) -> str:
    from .metrics import fid_status

    return "val FID" if (fid_status()[0] and cfg.get("fid_per_epoch")) else "val L1"


def run_hyperband(profile: str | None = None, data=None, progress=None, dataset: str = "facades") -> dict:
    """The Hyperband row: Optuna Hyperband over lambda2 (lambda1 = 100); the best trial's test metrics."""
    from .hyperband import search
    from .records import has_record, load_record, record_path, save_record

    profile = profile or get_profile()
    cfg = config(profile, dataset)
    exp = experiment_name(cfg)
    objective = hyperband_objective_name(cfg)
    key = "FID" if objective == "val FID" else "L1"
    run_cfg = _run_config("hyperband", cfg, (PRESCRIBED[0], "searched"))
    run_cfg.update(objective=objective, n_trials=cfg["hb_trials"], lambda_range=[1e-4, 1e4])
    if has_record(exp, "hyperband", cfg["seed"], profile):
        rec = load_record(record_path(exp, "hyperband", cfg["seed"], profile))
        if rec.get("config") == json_roundtrip(run_cfg):
            return rec
    data = data or load_data(cfg)
    t0 = time.time()
    full = {}

    def train_fn(lam, number, report):
        res = _train_one("adam", (PRESCRIBED[0], lam), cfg, data, profile,
                         f"hyperband__seed{cfg['seed']}/trial{number:03d}_lam{lam:.6g}", progress,
                         epoch_callback=lambda epoch, val: report(epoch, val[key]))
        full[number] = res
        return dict(value=res["curves"]["val"][-1][key], test=res["test"])

    study = search(train_fn, n_trials=cfg["hb_trials"], max_epochs=cfg["epochs"], seed=cfg["seed"])
    best = study["best"]
    res = full[best["number"]]
    _save_samples(profile, "hyperband", res["samples"], exp)
    metrics = _metrics_from(res)
    metrics.update(chosen_lambda2=best["lam"], best_trial=best["number"])
    trials = [dict(number=t["number"], lam=t["lam"], state=t["state"], epochs=t["epochs"], values=t["values"],
                   test=(t["result"] or {}).get("test")) for t in study["trials"]]
    path = save_record(exp, "hyperband", config=run_cfg, seed=cfg["seed"], metrics=metrics,
                       curves=dict(res["curves"], layer_names=res["layer_names"]), wall_time=time.time() - t0,
                       profile=profile, extra=dict(trials=trials, settings=study["settings"],
                                                   fid_status=res["fid_status"]))
    return load_record(path)


def run_all(profile: str | None = None, methods=None, verbose: bool = True, dataset: str = "facades") -> list[dict]:
    """Every row of ``profile`` (reusing records whose config matches); returns the records."""
    from tqdm.auto import tqdm

    profile = profile or get_profile()
    cfg = config(profile, dataset)
    methods = list(methods or METHODS)
    data = None
    recs = []
    n_train = cfg["train_limit"] or 400
    per_run = max(1, n_train // cfg["batch_size"]) * cfg["epochs"]
    total = per_run * (len(methods) - ("hyperband" in methods) + ("hyperband" in methods) * cfg["hb_trials"])
    from .records import has_record

    missing = [m for m in methods if not has_record(experiment_name(cfg), m, cfg["seed"], profile)]
    if verbose and not missing:
        print(f"all {len(methods)} pix2pix rows of profile {profile!r} have records; reusing them")
    with tqdm(total=total, desc=f"pix2pix {profile} (steps; Hyperband counted at most)", mininterval=5,
              disable=not verbose or not missing) as bar:
        for method in methods:
            bar.set_postfix_str(method)
            if data is None:
                data = load_data(cfg)
            recs.append(run_method(method, profile, data, bar, dataset))
    return recs


# --------------------------------------------------------------------------------------- tables

def fmt(v, digits=2):
    if v is None:
        return None
    if isinstance(v, float) and not math.isfinite(v):
        return str(v)
    return round(float(v), digits) if abs(float(v)) < 100 else round(float(v), max(0, digits - 2))


def paper_rows(maps: bool = False) -> list[dict]:
    """The paper's Table 4 (facades, or maps -> aerial) as rows for ``markdown_table``, with its row names."""
    table = PAPER_TABLE4_MAPS if maps else PAPER_TABLE4
    names = {k: m["label"] for k, m in METHODS.items()}
    names["hyperband"] = "Hyperband-FID"  # the paper's name: its Hyperband searched on validation FID
    return [dict(method=names[k], **v) for k, v in table.items()]


def _paper(records):
    maps = any(r["config"].get("dataset") == "maps" for r in records)
    return (PAPER_TABLE4_MAPS, "maps -> aerial") if maps else (PAPER_TABLE4, "facades labels -> photo")


def table_rows(records: list[dict]) -> list[dict]:
    """Our test metrics beside the paper's, one row per method in Table 4's order."""
    from .metrics import FID_UNAVAILABLE

    by = {r["method"]: r for r in records}
    rows = []
    for method, spec in METHODS.items():
        paper = _paper(records)[0][method]
        r = by.get(method)
        m = r["metrics"] if r else {}
        label = spec["label"]
        if method == "hyperband" and r:
            label += f" (lambda2 = {m['chosen_lambda2']:.3g}, by {r['config']['objective']})"
        fid = m.get("FID")
        rows.append({
            "method": label,
            "L1": fmt(m.get("L1")) if r else "missing", "L2": fmt(m.get("L2"), 0) if r else "missing",
            "NMSE": fmt(m.get("NMSE"), 3) if r else "missing",
            "PSNR": fmt(m.get("PSNR")) if r else "", "SSIM": fmt(m.get("SSIM"), 3) if r else "",
            "FID": (fmt(fid) if fid is not None else FID_UNAVAILABLE) if r else "missing",
            "paper L1": paper["L1"], "paper L2": paper["L2"], "paper NMSE": paper["NMSE"], "paper FID": paper["FID"],
        })
    return rows


TABLE_COLUMNS = ["method", "L1", "L2", "NMSE", "PSNR", "SSIM", "FID", "paper L1", "paper L2", "paper NMSE",
                 "paper FID"]


def table_markdown(records: list[dict], profile: str) -> str:
    from .records import markdown_table

    head = (f"**Table 4, {_paper(records)[1]}, test set ({len(records)} of {len(METHODS)} rows, "
            f"profile `{profile}`)**. Ours: L1/L2 in 0-255 pixel units, NMSE = sum (y - yhat)^2 / sum y^2, "
            f"PSNR in dB, SSIM; paper's columns copied from its Table 4.\n\n")
    return head + markdown_table(table_rows(records), TABLE_COLUMNS, digits=6)


def ranking(records: list[dict], key: str = "L1") -> list[str]:
    """Methods sorted by a test metric (best first)."""
    return [r["method"] for r in sorted(records, key=lambda r: r["metrics"].get(key, float("inf")))]


# --------------------------------------------------------------------------------------- figures

COLORS = {"adam_equal": "tab:red", "mtadam_equal": "tab:blue", "adam_prescribed": "tab:green",
          "sgd_momentum": "tab:gray", "rmsprop": "tab:orange", "hyperband": "tab:purple"}


def plot_val_curves(records: list[dict], metric: str = "L1", methods=CURVE_METHODS, ax=None):
    """Validation ``metric`` per epoch (Fig. 7 for L1, Fig. 4 for FID)."""
    import matplotlib.pyplot as plt

    ax = ax or plt.subplots()[1]
    by = {r["method"]: r for r in records}
    for m in methods:
        if m not in by:
            continue
        c = by[m]["curves"]
        vals = [v.get(metric) for v in c["val"]]
        if all(v is None for v in vals):
            continue
        ax.plot(c["epoch"], vals, marker="o", ms=3, color=COLORS[m], label=METHODS[m]["label"])
    ax.set_xlabel("epoch")
    ax.set_ylabel(f"validation {metric}" + (" (0-255 units)" if metric in ("L1", "L2") else ""))
    ax.legend()
    return ax


def sample_grid(profile: str, methods=CURVE_METHODS, k: int | None = None):
    """Figure: rows = test images; columns = input (labels), each method's output, target (photo)."""
    import matplotlib.pyplot as plt

    loaded = {m: np.load(samples_path(profile, m)) for m in methods if samples_path(profile, m).exists()}
    if not loaded:
        raise FileNotFoundError(f"no pix2pix samples at profile {profile!r}; run the experiment first")
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
                axes[i, j].set_title(col if col in ("input", "target") else METHODS[col]["label"].replace(" (", "\n("),
                                     fontsize=8)
    fig.tight_layout()
    return fig


def plot_effective_weights(record: dict, ax=None):
    """MTAdam's weight of the GAN term relative to L1, ``n^L1_l / n^GAN_l``, per layer over training."""
    import matplotlib.pyplot as plt

    ax = ax or plt.subplots()[1]
    c = record["curves"]
    ew = np.asarray(c["ew_gan_over_l1"], dtype=float)  # [steps, layers]
    names = c["layer_names"]
    steps = c["ew_step"]
    cmap = plt.get_cmap("viridis")
    weights = [j for j, n in enumerate(names) if n.endswith("weight") and ew.shape[0] and
               np.isfinite(ew[:, j]).any()]
    ends = {0: "first layer (input conv)", len(weights) - 1: "last layer (output conv)"}
    for rank, j in enumerate(weights):  # parameter order of the U-Net: input conv ... output conv
        ax.plot(steps, ew[:, j], color=cmap(rank / max(1, len(weights) - 1)), lw=1,
                label=f"{ends[rank]}: {names[j]}" if rank in ends else None)
    med = np.nanmedian(ew, axis=1)
    ax.plot(steps, med, color="k", lw=2, label="median over all parameter tensors")
    ax.axhline(1 / 100, color="tab:green", ls="--", lw=1, label="prescribed ratio 1/100")
    ax.set_yscale("log")
    ax.set_xlabel("generator step")
    ax.set_ylabel("weight of L_GAN / weight of L1")
    ax.legend(fontsize=7)
    return ax
