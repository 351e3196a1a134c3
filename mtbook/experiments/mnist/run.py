"""Training MNIST runs and the resumable grid of the chapter (records via :mod:`mtbook.core`)."""

from __future__ import annotations

import math
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from ...core.balancers import JACOBIAN, make_balanced, state_bytes
from ...core.models import MnistNet
from ...core.optim import is_multi_term, make_optimizer
from ...core.profiles import device, get_profile
from ...core.runs import run_grid
from .model import (
    MNISTData,
    class_terms,
    draw_weights,
    load_mnist,
    per_term_grads,
    stratified_subset,
)
from .spec import DRAWS, EXPERIMENT, METHODS, NUM_CLASSES, config, method_key, method_spec


@torch.no_grad()
def evaluate(model: nn.Module, x: torch.Tensor, y: torch.Tensor, batch_size: int = 1000) -> dict:
    """Unweighted test accuracy (percent), per-class accuracy (percent) and mean NLL."""
    was_training = model.training
    model.eval()
    correct = torch.zeros(NUM_CLASSES, device=y.device)
    count = torch.bincount(y, minlength=NUM_CLASSES).float()
    nll = 0.0
    for s in range(0, x.shape[0], batch_size):
        out = model(x[s : s + batch_size])
        t = y[s : s + batch_size]
        nll += F.nll_loss(out, t, reduction="sum").item()
        hit = (out.argmax(1) == t).float()
        correct.index_add_(0, t, hit)
    model.train(was_training)
    per_class = (100.0 * correct / count.clamp_min(1)).cpu().tolist()
    return dict(
        acc=100.0 * correct.sum().item() / x.shape[0], per_class_acc=per_class, nll=nll / x.shape[0]
    )


def train_run(method: str, draw: str, seed: int, data: MNISTData, cfg: dict, progress=None) -> dict:
    """Train one model with one method; returns ``dict(config, metrics, curves)`` for a record.

    Same seed = same class weights, same initial network, same batch order for every method.
    ``method``: a row of Table 1, an ablation variant of MTAdam (``spec.ABLATION_METHODS``) or a
    balancer (``spec.BALANCER_METHODS``: Adam stepping through :class:`mtbook.core.balancers.
    Balanced`). Metrics also hold ``sec_per_step`` (CPU seconds of the training steps only) and
    ``state_bytes`` (:func:`mtbook.core.balancers.state_bytes`).
    """
    spec = method_spec(method)
    balancer = spec.get("balancer")
    multi = is_multi_term(spec["optimizer"]) or bool(balancer)
    drawn = draw_weights(draw, seed)
    weights = {
        "drawn": drawn,
        "drawn_normalized": drawn / drawn.mean(),
        "equal": np.ones(NUM_CLASSES),
    }[spec["weights"]]
    torch.manual_seed(seed)
    dev = data.x_train.device
    model = MnistNet().to(
        dev
    )  # initialised on the CPU (same initial network on every device), then moved
    params = [p for p in model.parameters() if p.requires_grad]
    param_names = [n for n, p in model.named_parameters() if p.requires_grad]
    if balancer:
        opt = make_balanced(spec["optimizer"], params, balancer, lr=spec["lr"])
    else:
        opt = make_optimizer(
            spec["optimizer"],
            params,
            lr=spec["lr"],
            momentum=spec.get("momentum"),
            **spec.get("mtadam", {}),
        )
    w_t = torch.tensor(weights, dtype=torch.float32, device=dev)

    bs = cfg["batch_size"]
    n = data.x_train.shape[0]
    per_epoch = math.ceil(n / bs)
    total = per_epoch * cfg["epochs"]
    eval_at = sorted({max(1, round(total * k / cfg["evals"])) for k in range(1, cfg["evals"] + 1)})
    g = torch.Generator().manual_seed(seed)
    curve_idx = stratified_subset(data.y_test.cpu(), cfg.get("curve_test_size")).to(dev)

    curves = dict(
        eval_step=[],
        eval_acc=[],
        eval_per_class_acc=[],
        train_step=[],
        train_loss=[],
        train_terms=[],
    )
    if multi:
        curves.update(ew_step=[], ew_mean=[], ew_fc2=[])
    fc2_index = param_names.index("fc2.weight")
    step = 0
    diverged = False
    step_time = 0.0
    model.train()
    for _ in range(cfg["epochs"]):
        order = torch.randperm(n, generator=g)
        for s in range(0, n, bs):
            idx = order[s : s + bs].to(dev)
            x, y = data.x_train[idx], data.y_train[idx]
            t0 = time.process_time()  # CPU seconds: comparable between runs on a busy machine
            if balancer and balancer["method"] in JACOBIAN:  # every term's full gradient
                grads, terms = per_term_grads(model, x, y, weights, params)
                opt.step(grads=grads, values=terms)
                loss_value = float(terms.sum())
            elif balancer:  # the terms of one forward; FAMO re-evaluates them after the step
                terms = class_terms(model(x), y, w_t)
                opt.step(list(terms), closure=lambda x=x, y=y: class_terms(model(x), y, w_t))
                terms = terms.detach()
                loss_value = float(terms.sum())
            elif multi:
                grads, terms = per_term_grads(model, x, y, weights, params)
                opt.step(grads=grads)
                loss_value = float(terms.sum())
            else:
                out = model(x)
                terms = class_terms(out, y, w_t)
                loss = terms.sum()
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                loss_value = float(loss.detach())
                terms = terms.detach()
            step_time += time.process_time() - t0
            step += 1
            if not math.isfinite(loss_value):
                diverged = True
            if step % cfg["log_every"] == 0 or step == 1:
                curves["train_step"].append(step)
                curves["train_loss"].append(loss_value)
                curves["train_terms"].append([round(float(t), 6) for t in terms.cpu()])
                if multi:
                    ew = opt.effective_weights().cpu()
                    curves["ew_step"].append(step)
                    curves["ew_mean"].append(torch.nanmean(ew, dim=1).tolist())
                    curves["ew_fc2"].append(ew[:, fc2_index].tolist())
            if step in eval_at and step != total:
                ev = evaluate(
                    model, data.x_test[curve_idx], data.y_test[curve_idx], cfg["test_batch_size"]
                )
                curves["eval_step"].append(step)
                curves["eval_acc"].append(ev["acc"])
                curves["eval_per_class_acc"].append(ev["per_class_acc"])
            if progress is not None:
                progress.update(1)
    final = evaluate(model, data.x_test, data.y_test, cfg["test_batch_size"])
    curves["eval_step"].append(step)
    curves["eval_acc"].append(final["acc"])
    curves["eval_per_class_acc"].append(final["per_class_acc"])
    run_config = dict(
        method=method,
        draw=None if spec["weights"] == "equal" else draw,
        draw_description=None if spec["weights"] == "equal" else DRAWS[draw],
        label=spec["label"],
        optimizer=spec["optimizer"],
        lr=spec["lr"],
        momentum=spec.get("momentum"),
        **({"mtadam": dict(spec["mtadam"])} if spec.get("mtadam") else {}),
        **({"balancer": dict(balancer)} if balancer else {}),
        weights_used=spec["weights"],
        class_weights=[float(v) for v in weights],
        drawn_weights=[float(v) for v in drawn],
        steps=total,
        steps_per_epoch=per_epoch,
        train_size=n,
        test_size=int(data.x_test.shape[0]),
        curve_test_size=int(curve_idx.numel()),
        **{k: cfg[k] for k in ("epochs", "batch_size", "test_batch_size", "evals", "log_every")},
    )
    metrics = dict(
        test_acc=final["acc"],
        per_class_acc=final["per_class_acc"],
        test_nll=final["nll"],
        diverged=diverged or not math.isfinite(final["nll"]),
        sec_per_step=step_time / max(1, step),
        state_bytes=state_bytes(opt),
    )
    return dict(config=run_config, metrics=metrics, curves=curves)


def draw_invariance(
    data: MNISTData, steps: int, eps: float, seed: int = 0, batch_size: int = 64
) -> list[float]:
    """Train MTAdam on the two weight draws side by side (same seed, batches, dropout masks) and
    return, after each step, the relative distance ``||theta_paper - theta_script|| /
    ||theta_paper||``.

    With ``norm_init="first"`` MTAdam is invariant to the term weights up to its ``eps``: this
    measures how far "up to eps" (and float rounding) takes two runs apart.
    """
    models, opts, weights = {}, {}, {}
    for draw in DRAWS:
        torch.manual_seed(seed)
        models[draw] = MnistNet()
        opts[draw] = make_optimizer(
            "mtadam", models[draw].parameters(), lr=METHODS["mtadam"]["lr"], eps=eps
        )
        weights[draw] = draw_weights(draw, seed)
    order = torch.randperm(data.x_train.shape[0], generator=torch.Generator().manual_seed(seed))
    out = []
    for step in range(steps):
        idx = order[step * batch_size : (step + 1) * batch_size]
        x, y = data.x_train[idx], data.y_train[idx]
        for draw in DRAWS:
            torch.manual_seed(seed * 100003 + step)  # the same dropout masks in both runs
            grads, _ = per_term_grads(models[draw], x, y, weights[draw])
            opts[draw].step(grads=grads)
        a, b = (torch.cat([p.detach().flatten() for p in models[d].parameters()]) for d in DRAWS)
        out.append(float((a - b).norm() / a.norm()))
    return out


def run_config(method: str, draw: str, seed: int, cfg: dict) -> dict:
    """What a record's config holds, known before training (so stored runs are matched exactly).

    An ablation variant's config also holds its MTAdam switches (``mtadam``), a balancer's its
    ``balancer``; Table 1's rows have neither key, so their stored records still match."""
    spec = method_spec(method)
    equal = spec["weights"] == "equal"
    return dict(
        method=method,
        draw=None if equal else draw,
        label=spec["label"],
        optimizer=spec["optimizer"],
        lr=spec["lr"],
        momentum=spec.get("momentum"),
        **({"mtadam": dict(spec["mtadam"])} if spec.get("mtadam") else {}),
        **({"balancer": dict(spec["balancer"])} if spec.get("balancer") else {}),
        weights_used=spec["weights"],
        profile_config=cfg,
    )


def jobs(cfg: dict, methods=None, draws=None) -> list[dict]:
    """The distinct runs of the grid, seed-major (partial grids stay balanced); one job per record.

    ``adam_equal`` does not depend on the draw, so it runs once per seed (under the first draw).
    """
    methods = list(methods or METHODS)
    draws = list(draws or DRAWS)
    out, seen = [], set()
    for s in cfg["seeds"]:
        for d in draws:
            for m in methods:
                key = method_key(m, d)
                if (key, s) not in seen:
                    seen.add((key, s))
                    out.append(
                        dict(
                            experiment=EXPERIMENT,
                            method=key,
                            seed=s,
                            name=m,
                            draw=d,
                            config=run_config(m, d, s, cfg),
                        )
                    )
    return out


def run_all(
    profile: str | None = None,
    methods=None,
    draws=None,
    data: MNISTData | None = None,
    verbose: bool = True,
    seeds=None,
) -> list[dict]:
    """Every (method, draw, seed) of ``profile``: stored records whose config matches are reused,
    missing or stale ones are run (one tqdm bar over steps); returns the records in grid order.

    ``seeds``: a subset of the profile's seeds (e.g. the ablation's first three); the configs stay
    the profile's (they hold its seed list), so the records are those of the full grid."""
    profile = profile or get_profile()
    cfg = config(profile)
    grid = jobs(cfg, methods, draws)
    if seeds is not None:
        unknown = set(seeds) - set(cfg["seeds"])
        if unknown:
            raise ValueError(f"seeds {sorted(unknown)} are not seeds of profile {profile!r}")
        grid = [j for j in grid if j["seed"] in set(seeds)]
    state = {"data": data}

    def run(job, bar):
        if state["data"] is None:
            if cfg.get("threads"):
                torch.set_num_threads(cfg["threads"])
            state["data"] = load_mnist(cfg["train_size"], cfg["test_size"]).to(device())
        out = train_run(job["name"], job["draw"], job["seed"], state["data"], cfg, progress=bar)
        return dict(metrics=out["metrics"], curves=out["curves"], extra=dict(details=out["config"]))

    steps = math.ceil((cfg["train_size"] or 60000) / cfg["batch_size"]) * cfg["epochs"]
    return run_grid(
        grid,
        run,
        desc=f"MNIST {profile}",
        total_units=lambda j: steps,
        profile=profile,
        verbose=verbose,
    )
