"""Training the rows of Table 4 through the GAN loop, the Hyperband row, and the resumable grid."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import torch

from ... import gan
from ...core.ablation import with_switches
from ...core.data import cache_dir
from ...core.hyperband import search
from ...core.metrics import fid_status, image_metrics, to_uint8
from ...core.profiles import device as default_device
from ...core.profiles import get_profile
from ...core.records import results_dir
from ...core.runs import run_grid
from ...gan import hyperband_row
from .model import TERM_NAMES, build_models, load_data, make_setup
from .spec import METHODS, PRESCRIBED, config, experiment_name, method_spec


def checkpoint_dir(profile: str, name: str, experiment: str) -> Path:
    """Checkpoints live in the writable cache (``$MTADAM_CACHE``), outside the repository."""
    return cache_dir() / "checkpoints" / profile / experiment / name


def samples_path(profile: str, method: str, seed: int, experiment: str = "pix2pix") -> Path:
    return results_dir(profile) / experiment / "samples" / f"{method}__seed{seed}.npz"


def optimizers(
    optimizer: str, beta1: float, cfg: dict, mtadam: dict | None = None, balancer=None
) -> tuple[dict, dict]:
    """The generator's optimizer (registry spec) and
    the discriminator's Adam, from a row's settings (``mtadam``: an ablation's switches;
    ``balancer``: chapter 10's balancer of the generator's Adam)."""
    g = dict(name=optimizer, lr=cfg["lr"])
    if optimizer in ("adam", "mtadam"):
        g.update(beta1=beta1, beta2=cfg["beta2"])
    if optimizer == "mtadam":
        g.update(beta3=cfg["beta3"])
    d = dict(name="adam", lr=cfg["lr"], beta1=beta1, beta2=cfg["beta2"])
    if balancer:
        g["balancer"] = dict(balancer)
    return with_switches(g, mtadam), d


def train_one(
    optimizer: str,
    lambdas,
    beta1: float,
    cfg: dict,
    data: dict,
    seed: int,
    ckpt_dir,
    progress=None,
    epoch_callback=None,
    device=None,
    mtadam: dict | None = None,
    balancer: dict | None = None,
) -> dict:
    """Train one pix2pix run; return test metrics, curves, samples (the record's content).

    ``mtadam``: MTAdam switches of an ablation variant (chapter 7); ``balancer``: the generator's
    balancer (chapter 10); None for the rows of Table 4."""
    if cfg.get("threads"):
        torch.set_num_threads(int(cfg["threads"]))
    device = device or default_device()
    G, D = build_models(cfg, seed)
    G, D = G.to(device), D.to(device)
    mode, tbs = cfg.get("test_mode", "eval"), int(cfg.get("test_batch_size", 16))

    def evaluate():
        return image_metrics(
            gan.predict(G, data["val"][0], tbs, mode),
            data["val"][1],
            fid=bool(cfg.get("fid_per_epoch")),
        )

    setup = make_setup(G, D, data, cfg, evaluate)
    g_opt, d_opt = optimizers(optimizer, beta1, cfg, mtadam, balancer)
    identity = dict(optimizer=optimizer, lambdas=list(lambdas), beta1=beta1)
    if mtadam:
        identity["mtadam"] = dict(mtadam)
    if balancer:
        identity["balancer"] = dict(balancer)
    out = gan.train_from_config(
        setup,
        cfg,
        lambdas=lambdas,
        g_opt=g_opt,
        d_opt=d_opt,
        seed=seed,
        identity=identity,
        device=device,
        ckpt_dir=ckpt_dir,
        progress=progress,
        epoch_callback=epoch_callback,
    )
    x_test, y_test = data["test"]
    pred = gan.predict(G, x_test, tbs, mode)
    k = int(cfg["n_samples"])
    return dict(
        test=image_metrics(pred, y_test, fid=True),
        curves=out["curves"],
        steps=out["steps"],
        diverged=out["diverged"],
        layer_names=out["layer_names"],
        fid_status=fid_status()[1],
        samples=dict(
            input=to_uint8(x_test[:k]), output=to_uint8(pred[:k]), target=to_uint8(y_test[:k])
        ),
    )


def run_config(method: str, cfg: dict) -> dict:
    """A row's identity (what its record's config holds)."""
    spec = method_spec(method)
    g, d = optimizers(
        spec["optimizer"], spec["beta1"], cfg, spec.get("mtadam"), spec.get("balancer")
    )
    lam2 = "searched" if spec["lambdas"][1] is None else spec["lambdas"][1]
    return dict(
        method=method,
        label=spec["label"],
        lambdas=[spec["lambdas"][0], lam2],
        terms=list(TERM_NAMES),
        anchor="L1" if spec["optimizer"] == "mtadam" else None,
        generator_optimizer=g,
        discriminator_optimizer=d,
        task="facades labels -> photo (BtoA)"
        if cfg.get("dataset", "facades") == "facades"
        else "maps -> aerial (BtoA)",
        **{k: v for k, v in cfg.items() if k not in ("seeds", "threads")},
    )


def _record(res: dict, extra: dict | None = None) -> dict:
    metrics = dict(res["test"], diverged=res["diverged"], steps=res["steps"])
    return dict(
        metrics=metrics,
        curves=dict(res["curves"], layer_names=res["layer_names"]),
        extra=dict(fid_status=res["fid_status"], **(extra or {})),
    )


def _save_samples(profile, method, seed, samples, experiment):
    hyperband_row.save_npz(samples_path(profile, method, seed, experiment), **samples)


def hyperband_objective(cfg: dict) -> str:
    return "val FID" if (fid_status()[0] and cfg.get("fid_per_epoch")) else "val L1"


def run_hyperband(
    cfg: dict, data: dict, seed: int, profile: str, progress=None, sweep: str | None = None
) -> dict:
    """Optuna Hyperband over lambda2 (lambda1 = 100);
    the best trial's test metrics and all trials. ``sweep`` (default ``$MTADAM_SWEEP``): a
    database the row's trials are shared through (:mod:`mtbook.gan.hyperband_row`)."""
    exp = experiment_name(cfg)
    objective = hyperband_objective(cfg)
    key = "FID" if objective == "val FID" else "L1"
    beta1 = METHODS["hyperband"]["beta1"]

    def train(lam, number, report):
        ckpt = checkpoint_dir(profile, f"hyperband__seed{seed}/trial{number:03d}_lam{lam:.6g}", exp)
        res = train_one(
            "adam",
            (PRESCRIBED[0], lam),
            beta1,
            cfg,
            data,
            seed,
            ckpt,
            progress,
            epoch_callback=lambda epoch, val: report(epoch, val[key]),
        )
        return dict(value=res["curves"]["val"][-1][key], test=res["test"], full=res)

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
    exp = experiment_name(cfg)
    out = []
    for seed in cfg["seeds"]:
        for m in methods or METHODS:
            c = run_config(m, cfg)
            if m == "hyperband":
                c.update(objective=hyperband_objective(cfg), lambda_range=[1e-4, 1e4])
            out.append(dict(experiment=exp, method=m, seed=seed, config=c))
    return out


def run_all(
    profile: str | None = None,
    methods=None,
    verbose: bool = True,
    dataset: str = "facades",
    seeds=None,
) -> list[dict]:
    """Every row x seed of ``profile`` (stored records with the same config are reused)."""
    profile = profile or get_profile()
    cfg = config(profile, dataset)
    if seeds is not None:
        cfg["seeds"] = list(seeds)
    state = {}

    def run(job, bar):
        if "data" not in state:
            state["data"] = load_data(cfg)
        data = state["data"]
        m, seed, exp = job["method"], job["seed"], job["experiment"]
        if m == "hyperband":
            return run_hyperband(cfg, data, seed, profile, bar, sweep=job.get("sweep"))
        spec = method_spec(m)
        res = train_one(
            spec["optimizer"],
            spec["lambdas"],
            spec["beta1"],
            cfg,
            data,
            seed,
            checkpoint_dir(profile, f"{m}__seed{seed}", exp),
            bar,
            mtadam=spec.get("mtadam"),
            balancer=spec.get("balancer"),
        )
        _save_samples(profile, m, seed, res["samples"], exp)
        return _record(res)

    def after_save(job):  # checkpoints only serve an interrupted run; at full they are ~1 GB each
        if not cfg.get("keep_checkpoints", True):
            folder = checkpoint_dir(
                profile, f"{job['method']}__seed{job['seed']}", job["experiment"]
            )
            shutil.rmtree(folder, ignore_errors=True)

    n_train = cfg["train_limit"] or 400
    per_run = gan.steps_per_epoch(n_train, cfg["batch_size"]) * (
        cfg["epochs"] + cfg.get("epochs_decay", 0)
    )
    t0 = time.time()
    recs = run_grid(
        jobs(cfg, methods),
        run,
        desc=f"pix2pix {profile} (steps; Hyperband counted at most)",
        total_units=lambda j: per_run * (cfg["hb_trials"] if j["method"] == "hyperband" else 1),
        profile=profile,
        verbose=verbose,
        after_save=after_save,
        shared=lambda j: j["method"] == "hyperband",  # its trials: every idle worker joins
    )
    if verbose and time.time() - t0 > 60:
        print(f"pix2pix {profile}: {len(recs)} records in {time.time() - t0:.0f} s")
    return recs
