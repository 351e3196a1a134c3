"""Training the rows of Table 6 and the motivation runs (the GAN loop); Hyperband; the grids."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import torch

from ... import gan
from ...core.data import cache_dir
from ...core.hyperband import search
from ...core.metrics import (
    activations,
    fid_status,
    frechet_distance,
    gaussian_stats,
    inception_network,
)
from ...core.profiles import device as default_device
from ...core.profiles import get_profile
from ...core.records import results_dir
from ...core.runs import matching_record, run_grid
from ...gan import hyperband_row
from . import model as M
from .spec import (
    EXPERIMENT,
    METHODS,
    MOTIVATION,
    MOTIVATION_RUNS,
    PERCEPTUAL_LABELS,
    TERM_NAMES,
    VAL_SET,
    config,
)

FINAL_SETS = ("Set14", "BSD100", "Set5")
# The Hyperband row costs hb_trials trainings per seed. Every profile runs it for every seed (at
# `cpu` it once ran for seed 0 only; the table's n column says how many seeds a row has). A profile
# may name a subset here to save time.
HYPERBAND_SEEDS: dict[str, tuple[int, ...]] = {}


def checkpoint_dir(profile: str, name: str, experiment: str = EXPERIMENT) -> Path:
    """Checkpoints live in the writable cache (``$MTADAM_CACHE``), outside the repository."""
    return cache_dir() / "checkpoints" / profile / experiment / name


def samples_path(profile: str, method: str, seed: int) -> Path:
    return results_dir(profile) / EXPERIMENT / "samples" / f"{method}__seed{seed}.npz"


def optimizers(optimizer: str, cfg: dict) -> tuple[dict, dict]:
    """The generator's optimizer (registry spec) and the discriminator's Adam (beta1 0.9, paper)."""
    g = dict(name=optimizer, lr=cfg["lr"])
    if optimizer in ("adam", "mtadam"):
        g.update(beta1=cfg["beta1"], beta2=cfg["beta2"])
    if optimizer == "mtadam":
        g.update(beta3=cfg["beta3"])
    return g, dict(name="adam", lr=cfg["lr"], beta1=cfg["beta1"], beta2=cfg["beta2"])


def fid_of(preds: list, hrs: list) -> float:
    """FID between SR outputs and HR images of different sizes (one image at a time, Inception)."""
    net = inception_network(2048).to(default_device())
    feats = [
        np.concatenate([activations(net, M.to_unit(x[None])) for x in xs]) for xs in (preds, hrs)
    ]
    return frechet_distance(*gaussian_stats(feats[0]), *gaussian_stats(feats[1]))


def test_metrics(preds: dict, data: dict, fid: bool) -> dict:
    """``{set}_PSNR``, ``{set}_SSIM`` (and ``{set}_FID`` or None with a note) for each test set."""
    out = {}
    ok, reason = fid_status()
    for name, pr in preds.items():
        m = M.set_metrics(pr, data[name]["hr"])
        out.update({f"{name}_{k}": v for k, v in m.items()})
        if name != "Set5":
            out[f"{name}_FID"] = fid_of(pr, data[name]["hr"]) if (fid and ok) else None
    if not (fid and ok):
        out["FID_note"] = reason if not ok else "FID not computed at this profile"
    return out


def crops(images: list, cfg: dict) -> np.ndarray:
    """The Fig. 11 crops: the centre ``sample_size`` px of the first ``n_samples`` Set14 images."""
    s = int(cfg["sample_size"])
    out = []
    for im in images[: int(cfg["n_samples"])]:
        y, x = max(0, (im.shape[1] - s) // 2), max(0, (im.shape[2] - s) // 2)
        out.append(im[:, y : y + s, x : x + s].permute(1, 2, 0).numpy())
    return np.stack(out)


def train_one(
    optimizer: str,
    lambdas,
    cfg: dict,
    data: dict,
    seed: int,
    ckpt_dir,
    terms=None,
    rescale=None,
    progress=None,
    epoch_callback=None,
    device=None,
    perc=None,
    final_sets=FINAL_SETS,
) -> dict:
    """Train one SRGAN run; return test metrics, curves, samples (the record's content)."""
    if cfg.get("threads"):
        torch.set_num_threads(int(cfg["threads"]))
    device = device or default_device()
    G, D = M.build_models(cfg, seed)
    G, D = G.to(device), D.to(device)
    perc = perc or M.build_perceptual(cfg)
    if isinstance(perc, torch.nn.Module):
        perc = perc.to(device)

    def evaluate():
        t0 = time.time()
        val = M.set_metrics(M.super_resolve(G, data[VAL_SET]["lr"]), data[VAL_SET]["hr"])
        return dict(val, eval_s=time.time() - t0)

    setup = M.make_setup(G, D, perc, data, cfg, terms=terms, rescale=rescale, evaluate=evaluate)
    g_opt, d_opt = optimizers(optimizer, cfg)
    out = gan.train_from_config(
        setup,
        cfg,
        lambdas=lambdas,
        g_opt=g_opt,
        d_opt=d_opt,
        seed=seed,
        identity=dict(
            optimizer=optimizer, lambdas=list(lambdas), terms=setup.term_names, rescale=rescale
        ),
        device=device,
        ckpt_dir=ckpt_dir,
        progress=progress,
        epoch_callback=epoch_callback,
    )
    c = out["curves"]
    train_s = sum(c["epoch_time"]) - sum(v.get("eval_s", 0.0) for v in c["val"])
    preds = {name: M.super_resolve(G, data[name]["lr"]) for name in final_sets}
    metrics = dict(
        test_metrics(preds, data, bool(cfg.get("fid"))),
        s_per_step=train_s / max(1, out["steps"]),
        diverged=out["diverged"],
        steps=out["steps"],
    )
    return dict(
        metrics=metrics,
        curves=dict(c, layer_names=out["layer_names"]),
        samples=crops(preds["Set14"], cfg) if "Set14" in preds else None,
    )


def _record(res: dict, extra: dict | None = None) -> dict:
    return dict(metrics=res["metrics"], curves=res["curves"], extra=extra or {})


def _save_samples(profile: str, method: str, seed: int, samples: np.ndarray):
    hyperband_row.save_npz(samples_path(profile, method, seed), output=samples)


def bicubic_record(cfg: dict, data: dict, profile: str) -> dict:
    """The bicubic row: the x4 bicubic upsampling of the LR test images, scored like every row."""
    preds = {name: [M.bicubic_up(x[None])[0] for x in data[name]["lr"]] for name in FINAL_SETS}
    path = samples_path(profile, "hr", 0)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        path, output=crops(data["Set14"]["hr"], cfg), names=np.array(data["Set14"]["names"])
    )
    _save_samples(profile, "bicubic", 0, crops(preds["Set14"], cfg))
    return dict(metrics=test_metrics(preds, data, bool(cfg.get("fid"))), curves=None, extra={})


def hyperband_objective(cfg: dict) -> str:
    return f"-{VAL_SET} SSIM (Y)"


def run_hyperband(
    cfg: dict, data: dict, seed: int, profile: str, progress=None, sweep: str | None = None
) -> dict:
    """Optuna Hyperband over lambda = lambda2 = lambda3 (lambda1 = 1): best trial, all trials.
    ``sweep`` (default ``$MTADAM_SWEEP``): a database the row's trials are shared through
    (:mod:`mtbook.gan.hyperband_row`)."""

    def train(lam, number, report):
        ckpt = checkpoint_dir(profile, f"hyperband__seed{seed}/trial{number:03d}_lam{lam:.6g}")
        res = train_one(
            "adam",
            (1.0, lam, lam),
            cfg,
            data,
            seed,
            ckpt,
            progress=progress,
            epoch_callback=lambda epoch, val: report(epoch, -val["SSIM"]),
        )
        return dict(value=-res["curves"]["val"][-1]["SSIM"], test=res["metrics"], full=res)

    return hyperband_row.run_row(
        train,
        search=search,
        record=_record,
        save_samples=lambda res: _save_samples(profile, "hyperband", seed, res["samples"]),
        chosen="chosen_lambda",
        objective=hyperband_objective(cfg),
        n_trials=cfg["hb_trials"],
        max_epochs=cfg["epochs"] + cfg.get("epochs_decay", 0),
        seed=seed,
        experiment=EXPERIMENT,
        profile=profile,
        row=run_config("hyperband", cfg),
        sweep=sweep,
        low=cfg["hb_low"],
        high=cfg["hb_high"],
    )


def _common(cfg: dict) -> dict:
    return dict(
        perceptual_loss=PERCEPTUAL_LABELS[cfg["perceptual"]],
        **{k: v for k, v in cfg.items() if k not in ("seeds", "threads")},
    )


def run_config(method: str, cfg: dict) -> dict:
    """A row's identity (what its record's config holds)."""
    if method == "bicubic":
        return dict(method="bicubic", label="bicubic x4", **_common(cfg))
    spec = METHODS[method]
    g, d = optimizers(spec["optimizer"], cfg)
    lams = ["searched" if v is None else v for v in spec["lambdas"]]
    c = dict(
        method=method,
        label=spec["label"],
        lambdas=lams,
        terms=list(TERM_NAMES),
        anchor="MSE" if spec["optimizer"] == "mtadam" else None,
        generator_optimizer=g,
        discriminator_optimizer=d,
        **_common(cfg),
    )
    if method == "hyperband":
        c.update(
            objective=hyperband_objective(cfg),
            lambda_range=[cfg["hb_low"], cfg["hb_high"]],
            searched="lambda2 = lambda3",
        )
    return c


def motivation_config(name: str, cfg: dict) -> dict:
    spec = MOTIVATION_RUNS[name]
    g, d = optimizers("adam", cfg)
    return dict(
        method=name,
        **{k: v for k, v in spec.items()},
        generator_optimizer=g,
        discriminator_optimizer=d,
        **_common(cfg),
    )


def stored_records(jobs: list[dict], profile: str) -> list[dict]:
    """The stored records matching ``jobs`` (same config); prints the runs that have none."""
    recs = [
        matching_record(j["experiment"], j["method"], j["seed"], j["config"], profile) for j in jobs
    ]
    missing = [f"{j['method']} seed {j['seed']}" for j, r in zip(jobs, recs) if r is None]
    if missing:
        print(f"no stored record (not trained here): {', '.join(missing)}")
    return [r for r in recs if r is not None]


def _state_data(state: dict, cfg: dict) -> dict:
    if "data" not in state:
        state["data"] = M.load_data(cfg)
    return state["data"]


def run_all(
    profile: str | None = None,
    methods=None,
    verbose: bool = True,
    seeds=None,
    stored_only: bool = False,
) -> list[dict]:
    """Table 6: the bicubic row and every row x seed of ``profile`` (matching records reused).

    ``stored_only=True``: never train; return the matching stored records (missing runs are named).
    """
    profile = profile or get_profile()
    cfg = config(profile)
    if seeds is not None:
        cfg["seeds"] = list(seeds)
    methods = list(methods or METHODS)
    jobs = [
        dict(experiment=EXPERIMENT, method="bicubic", seed=0, config=run_config("bicubic", cfg))
    ]
    hb_seeds = HYPERBAND_SEEDS.get(profile)
    jobs += [
        dict(experiment=EXPERIMENT, method=m, seed=s, config=run_config(m, cfg))
        for s in cfg["seeds"]
        for m in methods
        if m != "hyperband" or hb_seeds is None or s in hb_seeds
    ]
    state = {}

    def run(job, bar):
        data = _state_data(state, cfg)
        m, seed = job["method"], job["seed"]
        if m == "bicubic":
            return bicubic_record(cfg, data, profile)
        if m == "hyperband":
            return run_hyperband(cfg, data, seed, profile, bar, sweep=job.get("sweep"))
        spec = METHODS[m]
        res = train_one(
            spec["optimizer"],
            spec["lambdas"],
            cfg,
            data,
            seed,
            checkpoint_dir(profile, f"{m}__seed{seed}"),
            progress=bar,
        )
        _save_samples(profile, m, seed, res["samples"])
        return _record(res)

    per_run = cfg["steps_per_epoch"] * (cfg["epochs"] + cfg.get("epochs_decay", 0))
    units = {"bicubic": 0, "hyperband": per_run * cfg["hb_trials"]}
    if stored_only:
        return stored_records(jobs, profile)
    return run_grid(
        jobs,
        run,
        desc=f"srgan {profile} (steps; Hyperband counted at most)",
        total_units=lambda j: units.get(j["method"], per_run),
        profile=profile,
        verbose=verbose,
        shared=lambda j: j["method"] == "hyperband",  # its trials: every idle worker joins
    )


def run_motivation(
    profile: str | None = None,
    runs=None,
    verbose: bool = True,
    seeds=None,
    stored_only: bool = False,
) -> list[dict]:
    """Fig. 2 / Fig. 6: the six two-term runs x seeds (records under ``srgan-motivation``);
    ``stored_only`` as in :func:`run_all`."""
    profile = profile or get_profile()
    cfg = config(profile)
    if seeds is not None:
        cfg["seeds"] = list(seeds)
    jobs = [
        dict(experiment=MOTIVATION, method=n, seed=s, config=motivation_config(n, cfg))
        for s in cfg["seeds"]
        for n in (runs or MOTIVATION_RUNS)
    ]
    state = {}

    def run(job, bar):
        data = _state_data(state, cfg)
        spec, seed = MOTIVATION_RUNS[job["method"]], job["seed"]
        res = train_one(
            "adam",
            spec["lambdas"],
            cfg,
            data,
            seed,
            checkpoint_dir(profile, f"{job['method']}__seed{seed}", MOTIVATION),
            terms=spec["terms"],
            rescale=spec.get("rescale"),
            progress=bar,
            final_sets=("Set14", "Set5"),
        )
        return _record(res)

    per_run = cfg["steps_per_epoch"] * (cfg["epochs"] + cfg.get("epochs_decay", 0))
    if stored_only:
        return stored_records(jobs, profile)
    return run_grid(
        jobs,
        run,
        desc=f"srgan motivation {profile} (steps)",
        total_units=lambda j: per_run,
        profile=profile,
        verbose=verbose,
    )
