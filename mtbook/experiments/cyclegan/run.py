"""Training the rows of Table 5 through the GAN loop, the Hyperband row, and the resumable grid.

The metrics of each run (an unpaired task) are :mod:`.measures`.
"""

from __future__ import annotations

import time
from pathlib import Path

import torch

from ... import gan
from ...core.ablation import with_switches
from ...core.data import cache_dir
from ...core.hyperband import search
from ...core.metrics import fid_status, to_uint8
from ...core.profiles import device as default_device
from ...core.profiles import get_profile
from ...core.records import results_dir
from ...core.runs import matching_record, run_grid
from ...gan import hyperband_row
from .measures import evaluate_split, identity_metrics, side_metrics, translate  # noqa: F401
from .model import build_models, load_data, make_setup
from .spec import (
    EXPERIMENT,
    METHODS,
    TASKS,
    TERM_NAMES,
    config,
    experiment_name,
    method_spec,
    term_weights,
)


def checkpoint_dir(profile: str, name: str, experiment: str = EXPERIMENT) -> Path:
    """Checkpoints live in the writable cache (``$MTADAM_CACHE``), outside the repository."""
    return cache_dir() / "checkpoints" / profile / experiment / name


def samples_path(profile: str, method: str, seed: int, experiment: str = EXPERIMENT) -> Path:
    return results_dir(profile) / experiment / "samples" / f"{method}__seed{seed}.npz"


def optimizers(
    optimizer: str, beta1: float, cfg: dict, mtadam: dict | None = None
) -> tuple[dict, dict]:
    """The generators' optimizer (registry spec) and the discriminators' Adam, for a row
    (``mtadam``: an ablation variant's switches, chapter 7)."""
    g = dict(name=optimizer, lr=cfg["lr"])
    if optimizer in ("adam", "mtadam"):
        g.update(beta1=beta1, beta2=cfg["beta2"])
    if optimizer == "mtadam":
        g.update(beta3=cfg["beta3"])
    d = dict(name="adam", lr=cfg["lr"], beta1=beta1, beta2=cfg["beta2"])
    return with_switches(g, mtadam), d


def train_one(
    optimizer: str,
    weights,
    beta1: float,
    cfg: dict,
    data: dict,
    seed: int,
    ckpt_dir,
    progress=None,
    epoch_callback=None,
    device=None,
    mtadam: dict | None = None,
) -> dict:
    """Train one CycleGAN run with the six term ``weights``; return metrics, curves, samples.

    ``mtadam``: MTAdam switches of an ablation variant (chapter 7); None for the rows of Table 5."""
    if cfg.get("threads"):
        torch.set_num_threads(int(cfg["threads"]))
    device = device or default_device()
    models = {k: m.to(device) for k, m in build_models(cfg, seed).items()}
    tbs = int(cfg.get("test_batch_size", 16))

    def evaluate():
        return evaluate_split(
            models, data["val"], fid=bool(cfg.get("fid_per_epoch")), batch_size=tbs
        )

    setup = make_setup(models, data, cfg, evaluate, seed)
    g_opt, d_opt = optimizers(optimizer, beta1, cfg, mtadam)
    identity = dict(optimizer=optimizer, weights=list(weights), beta1=beta1)
    if mtadam:
        identity["mtadam"] = dict(mtadam)
    out = gan.train_from_config(
        setup,
        cfg,
        lambdas=weights,
        g_opt=g_opt,
        d_opt=d_opt,
        seed=seed,
        identity=identity,
        device=device,
        ckpt_dir=ckpt_dir,
        progress=progress,
        epoch_callback=epoch_callback,
    )
    a, b = data["test"]
    test = evaluate_split(models, (a, b), fid=True, batch_size=tbs)
    k = int(cfg["n_samples"])
    t = translate(models, a[:k], b[:k], tbs)
    samples = dict(
        real_A=to_uint8(a[:k]),
        fake_B=to_uint8(t["fake_B"]),
        rec_A=to_uint8(t["rec_A"]),
        real_B=to_uint8(b[:k]),
        fake_A=to_uint8(t["fake_A"]),
        rec_B=to_uint8(t["rec_B"]),
    )
    return dict(
        test=test,
        curves=out["curves"],
        steps=out["steps"],
        diverged=out["diverged"],
        layer_names=out["layer_names"],
        fid_status=fid_status()[1],
        samples=samples,
    )


def run_config(method: str, cfg: dict) -> dict:
    """A row's identity (what its record's config holds)."""
    spec = method_spec(method)
    g, d = optimizers(spec["optimizer"], spec["beta1"], cfg, spec.get("mtadam"))
    lam = list(spec["lambdas"])
    return dict(
        method=method,
        label=spec["label"],
        lambdas=[v if v is not None else "searched" for v in lam],
        weights=term_weights(*lam) if None not in lam else None,
        identity_weight="lambda3 * lambda2",
        terms=list(TERM_NAMES),
        anchor="GAN_A (GAN_B on G_B)" if spec["optimizer"] == "mtadam" else None,
        generator_optimizer=g,
        discriminator_optimizer=d,
        task=TASKS[cfg.get("dataset", "horse2zebra")],
        **{k: v for k, v in cfg.items() if k not in ("seeds", "threads")},
    )


def _record(res: dict, extra: dict | None = None) -> dict:
    metrics = dict(res["test"], diverged=res["diverged"], steps=res["steps"])
    return dict(
        metrics=metrics,
        curves=dict(res["curves"], layer_names=res["layer_names"]),
        extra=dict(fid_status=res["fid_status"], **(extra or {})),
    )


def _save_samples(profile, method, seed, samples, experiment=EXPERIMENT):
    hyperband_row.save_npz(samples_path(profile, method, seed, experiment), **samples)


def hyperband_objective(cfg: dict) -> str:
    return "val FID" if (fid_status()[0] and cfg.get("fid_per_epoch")) else "val L1"


def run_hyperband(
    cfg: dict, data: dict, seed: int, profile: str, progress=None, sweep: str | None = None
) -> dict:
    """Optuna Hyperband over lambda2 (lambda1 = 1, identity = lambda2 / 2); the best trial's test
    metrics and all trials. Objective: the mean over both sides of validation FID (paper) or, where
    FID is not available, of the paper-style L1. ``sweep`` (default ``$MTADAM_SWEEP``): a database
    the row's trials are shared through (:mod:`mtbook.gan.hyperband_row`)."""
    objective = hyperband_objective(cfg)
    key = "FID" if objective == "val FID" else "L1"
    spec = METHODS["hyperband"]
    exp = experiment_name(cfg)

    def train(lam, number, report):
        ckpt = checkpoint_dir(profile, f"hyperband__seed{seed}/trial{number:03d}_lam{lam:.6g}", exp)
        weights = term_weights(spec["lambdas"][0], lam, spec["lambdas"][2])
        score = lambda val: 0.5 * (val[f"{key}-A"] + val[f"{key}-B"])  # noqa: E731
        res = train_one(
            "adam",
            weights,
            spec["beta1"],
            cfg,
            data,
            seed,
            ckpt,
            progress,
            epoch_callback=lambda epoch, val: report(epoch, score(val)),
        )
        return dict(value=score(res["curves"]["val"][-1]), test=res["test"], full=res)

    return hyperband_row.run_row(
        train,
        search=search,
        record=_record,
        save_samples=lambda res: _save_samples(profile, "hyperband", seed, res["samples"], exp),
        chosen="chosen_lambda2",
        objective=objective,
        n_trials=cfg["hb_trials"],
        max_epochs=cfg["epochs"] + cfg.get("epochs_decay", 0),
        seed=seed,
        experiment=exp,
        profile=profile,
        row=dict(run_config("hyperband", cfg), objective=objective),
        sweep=sweep,
    )


def jobs(cfg: dict, methods=None) -> list[dict]:
    out = []
    for seed in cfg["seeds"]:
        for m in methods or METHODS:
            c = run_config(m, cfg)
            if m == "hyperband":
                c.update(objective=hyperband_objective(cfg), lambda_range=[1e-4, 1e4])
            out.append(dict(experiment=experiment_name(cfg), method=m, seed=seed, config=c))
    return out


def run_all(
    profile: str | None = None,
    methods=None,
    verbose: bool = True,
    seeds=None,
    train: bool = True,
    dataset: str = "horse2zebra",
) -> list[dict]:
    """Every row x seed of ``profile`` on ``dataset`` (stored records with the same config are
    reused; ``dataset="maps"`` at ``full`` only, records under ``cyclegan-maps``).

    ``train=False`` only reads: the stored records whose config matches, missing runs left out (the
    chapter at ``cpu``/``full`` reads what ``scripts/run_cyclegan.py`` wrote, never retrains).
    """
    profile = profile or get_profile()
    cfg = config(profile, dataset)
    if seeds is not None:
        cfg["seeds"] = list(seeds)
    if not train:
        found = [
            matching_record(j["experiment"], j["method"], j["seed"], j["config"], profile)
            for j in jobs(cfg, methods)
        ]
        return [r for r in found if r is not None]
    state = {}

    def run(job, bar):
        if "data" not in state:
            state["data"] = load_data(cfg)
        data = state["data"]
        m, seed = job["method"], job["seed"]
        if m == "hyperband":
            rec = run_hyperband(cfg, data, seed, profile, sweep=job.get("sweep"))
        else:
            spec = method_spec(m)
            res = train_one(
                spec["optimizer"],
                term_weights(*spec["lambdas"]),
                spec["beta1"],
                cfg,
                data,
                seed,
                checkpoint_dir(profile, f"{m}__seed{seed}", experiment_name(cfg)),
                mtadam=spec.get("mtadam"),
            )
            _save_samples(profile, m, seed, res["samples"], experiment_name(cfg))
            rec = _record(res)
        bar.update(1)
        return rec

    t0 = time.time()
    recs = run_grid(
        jobs(cfg, methods),
        run,
        desc=f"{experiment_name(cfg)} {profile} (runs)",
        profile=profile,
        verbose=verbose,
        shared=lambda j: j["method"] == "hyperband",  # its trials: every idle worker joins
    )
    if verbose and time.time() - t0 > 60:
        print(f"cyclegan {profile}: {len(recs)} records in {time.time() - t0:.0f} s")
    return recs
