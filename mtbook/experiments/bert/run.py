"""Table 2: fine-tuning a BERT encoder on GLUE with lambda1 L_task + lambda2 L_reg; the grid.

One run = one column of Table 2 (:data:`.spec.METHODS`) on one task and seed. Same seed = same
head initialisation and batch order for every column. One forward and one backward pass per step
for every optimizer: L_reg's gradient is the weights themselves (``d/dw 1/2 ||w||^2 = w``), so it is
added to the task's gradient (Adam, RMSProp, SGD), handed to MTAdam as its second term's gradient
(``opt.step(grads=[g_task, g_reg])``), or applied as decoupled decay (AdamW).
"""

from __future__ import annotations

import copy
import math
import time

import numpy as np
import torch
import torch.nn.functional as F

from ...core.optim import make_optimizer
from ...core.profiles import get_profile
from ...core.runs import run_grid
from .model import (
    PairModel,
    encode_pairs,
    l2_term,
    load_encoder,
    load_tokenizer,
    read_glue,
    reg_params,
    subset,
)
from .spec import (
    ENCODERS,
    EXPERIMENT,
    METHODS,
    TASKS,
    config,
    method_key,
    method_spec,
    run_settings,
)


def build_optimizer(method: str, model: torch.nn.Module, cfg: dict):
    """The column's optimizer on four groups: ``[regularized encoder weights, the head's weight
    matrix, the head's bias, the other biases and LayerNorm]``; the head's groups at
    ``head_lr_mult`` x the lr (1 at full). An ablation variant's MTAdam gets its switches."""
    spec = method_spec(method)
    decay, no_decay = reg_params(model)
    head = [p for p in decay if p is model.head.weight]
    body = [p for p in decay if p is not model.head.weight]
    wd = spec["lam2"] if spec["reg"] == "decoupled" else 0.0
    lr = cfg["sgd_lr"] if spec["optimizer"] == "sgd" else cfg["lr"]
    mult = cfg["head_lr_mult"]
    head_bias = [p for p in no_decay if p is model.head.bias]
    rest = [p for p in no_decay if p is not model.head.bias]
    groups = [
        dict(params=body, weight_decay=wd),
        dict(params=head, weight_decay=wd, lr=lr * mult),
        dict(params=head_bias, weight_decay=0.0, lr=lr * mult),
        dict(params=rest, weight_decay=0.0),
    ]
    opt = make_optimizer(spec["optimizer"], groups, lr=lr, **spec.get("mtadam", {}))
    return opt, lr, body + head, head_bias + rest


def schedule(opt, total: int, warmup: float):
    """BERT's schedule: linear warm-up over ``warmup`` of the steps, then linear decay to 0."""
    n_warm = max(1, round(total * warmup))

    def factor(step: int) -> float:  # step = number of optimizer steps taken so far
        if step < n_warm:
            return (step + 1) / n_warm
        return max(0.0, (total - step) / max(1, total - n_warm))

    return torch.optim.lr_scheduler.LambdaLR(opt, factor)


def task_loss(task: str, out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Cross-entropy on two logits (= binary cross-entropy) or MSE on the STS-B score."""
    if TASKS[task]["kind"] == "regression":
        return F.mse_loss(out, y.float())
    return F.cross_entropy(out, y)


@torch.no_grad()
def evaluate(model, task: str, data, batch_size: int = 64) -> dict:
    """Dev metrics in percent: accuracy; for STS-B Pearson and Spearman correlation (x 100)."""
    from scipy.stats import pearsonr, spearmanr

    was = model.training
    model.eval()
    preds = []
    for s in range(0, len(data), batch_size):
        x, _ = data.batch(range(s, min(len(data), s + batch_size)))
        preds.append(model(**x).float())
    model.train(was)
    pred = torch.cat(preds)
    y = data.y
    if TASKS[task]["kind"] == "regression":
        p = pred.numpy().astype(np.float64)
        t = y.numpy().astype(np.float64)
        if not np.all(np.isfinite(p)) or np.std(p) == 0:
            return dict(
                pearson=float("nan") if not np.all(np.isfinite(p)) else 0.0,
                spearman=0.0,
                mse=float(np.mean((p - t) ** 2)),
            )
        return dict(
            pearson=100.0 * float(pearsonr(p, t)[0]),
            spearman=100.0 * float(spearmanr(p, t)[0]),
            mse=float(np.mean((p - t) ** 2)),
        )
    hit = (pred.argmax(-1) == y).float()
    return dict(
        acc=100.0 * float(hit.mean()),
        predicted_positive=100.0 * float((pred.argmax(-1) == 1).float().mean()),
    )


class Encoders:
    """The pretrained encoder and tokenizer, loaded (and verified) once per process."""

    def __init__(self, name: str, pretrained: bool = True):
        self.name, self.pretrained = name, pretrained
        self._enc = self._tok = None

    def tokenizer(self):
        if self._tok is None:
            self._tok = load_tokenizer(self.name if self.pretrained else "minilm")
        return self._tok

    def encoder(self):
        if self._enc is None:
            self._enc = load_encoder(self.name, pretrained=self.pretrained)
        return copy.deepcopy(self._enc)


def task_data(encoders: Encoders, task: str, cfg: dict) -> tuple:
    """Tokenized (cached) training subset and dev set of ``task``."""
    tok = encoders.tokenizer()
    out = []
    for split, n in (("train", cfg["train_size"]), ("dev", cfg["dev_size"])):
        joint = ENCODERS[cfg["encoder"]]["pooling"] != "siamese"
        key = (encoders.name, task, split, cfg["max_len"], joint)
        enc = encode_pairs(tok, read_glue(task, split), cfg["max_len"], key=key, joint=joint)
        out.append(subset(enc, n, seed=0))
    return tuple(out)


def train_run(method: str, task: str, seed: int, cfg: dict, encoders: Encoders, bar=None) -> dict:
    """One fine-tuning run; ``dict(metrics, curves, extra)`` for its record."""
    spec = method_spec(method)
    train, dev = task_data(encoders, task, cfg)
    torch.manual_seed(seed)
    kind = TASKS[task]["kind"]
    model = PairModel(
        encoders.encoder(),
        1 if kind == "regression" else 2,
        ENCODERS[cfg["encoder"]]["pooling"],
        cfg["dropout"],
    )
    model.train()
    if kind == "regression":  # start the score head at the mean training score
        with torch.no_grad():
            model.head.bias.fill_(float(train.y.float().mean()))
    opt, lr, decay, no_decay = build_optimizer(method, model, cfg)
    params = decay + no_decay  # the optimizer's order (param_groups)
    n, bs = len(train), cfg["batch_size"]
    per_epoch = math.ceil(n / bs)
    total = per_epoch * cfg["epochs"]
    sched = schedule(opt, total, cfg["warmup"])
    lam2, reg = spec["lam2"], spec["reg"]
    g = torch.Generator().manual_seed(seed)
    curves = dict(step=[], task=[], reg=[], lr=[])
    if reg == "term":
        curves.update(ew_step=[], ew_median=[], ew_head=[], ew_layers=[])
    train_time, step, diverged = 0.0, 0, False
    for _ in range(cfg["epochs"]):
        order = torch.randperm(n, generator=g)
        for s in range(0, n, bs):
            x, y = train.batch(order[s : s + bs])
            t0 = time.perf_counter()
            loss = task_loss(task, model(**x), y)
            if reg == "term":
                g_task = torch.autograd.grad(loss, params, allow_unused=True)
                g_reg = [lam2 * p.detach() for p in decay] + [None] * len(no_decay)
                opt.step(grads=[list(g_task), g_reg])
            else:
                opt.zero_grad(set_to_none=True)
                loss.backward()
                if reg == "loss":
                    with torch.no_grad():
                        for p in decay:
                            p.grad.add_(p, alpha=lam2)
                opt.step()
            sched.step()
            train_time += time.perf_counter() - t0
            step += 1
            value = float(loss.detach())
            diverged |= not math.isfinite(value)
            curves["step"].append(step)
            curves["task"].append(value)
            curves["reg"].append(float(l2_term(decay)))
            curves["lr"].append(opt.param_groups[0]["lr"])  # the encoder's
            if reg == "term" and (step % cfg["ew_every"] == 0 or step == 1):
                ew = opt.effective_weights()[1, : len(decay)].float()  # L_reg's weight per layer
                curves["ew_step"].append(step)
                curves["ew_median"].append(float(ew.nanmedian()))
                curves["ew_head"].append(float(ew[len(decay) - 1]))  # the head's weight matrix
                curves["ew_layers"].append([float(v) for v in ew])
            if bar is not None:
                bar.update(1)
    metrics = evaluate(model, task, dev)
    metrics.update(
        train_time=train_time,
        steps=step,
        time_per_step=train_time / max(1, step),
        final_reg=curves["reg"][-1],
        initial_reg=curves["reg"][0],
        diverged=diverged,
    )
    extra = dict(lr=lr, train_size=n, dev_size=len(dev), encoder=ENCODERS[cfg["encoder"]]["label"])
    return dict(metrics=metrics, curves=curves, extra=extra)


def run_config(method: str, task: str, cfg: dict) -> dict:
    """What a record's config holds, known before training (stored runs are matched on it)."""
    return dict(
        method=method,
        task=task,
        encoder=ENCODERS[cfg["encoder"]]["label"],
        **run_settings(method),
        profile_config={k: v for k, v in cfg.items() if k not in ("seeds", "threads")},
    )


def jobs(
    cfg: dict, methods=None, tasks=None, shard: tuple[int, int] = (0, 1), seeds=None
) -> list[dict]:
    """The runs, seed-major; ``shard=(i, k)`` keeps every k-th job from the i-th (two processes
    split one grid without writing the same record). ``methods``: Table 2's columns by default, or
    any of :func:`.spec.method_spec`'s (e.g. chapter 7's ablation variants); ``seeds``: a subset of
    the profile's."""
    methods, tasks = list(methods or METHODS), list(tasks or TASKS)
    for m in methods:
        method_spec(m)  # an unknown name fails here, before any training
    seeds = list(cfg["seeds"] if seeds is None else seeds)
    unknown = sorted(set(seeds) - set(cfg["seeds"]))
    if unknown:
        raise ValueError(f"seeds {unknown} are not among this profile's {list(cfg['seeds'])}")
    out = [
        dict(
            experiment=EXPERIMENT,
            method=method_key(m, t),
            seed=s,
            name=m,
            task=t,
            config=run_config(m, t, cfg),
        )
        for s in seeds
        for t in tasks
        for m in methods
    ]
    i, k = shard
    return out[i::k]


def run_all(
    profile: str | None = None,
    methods=None,
    tasks=None,
    shard: tuple[int, int] = (0, 1),
    encoders: Encoders | None = None,
    verbose: bool = True,
    seeds=None,
) -> list[dict]:
    """Every (column, task, seed) of ``profile``; stored records with the same config are reused."""
    profile = profile or get_profile()
    cfg = config(profile)
    if cfg.get("threads"):
        torch.set_num_threads(cfg["threads"])
    encoders = encoders or Encoders(cfg["encoder"])

    def run(job, bar):
        return train_run(job["name"], job["task"], job["seed"], cfg, encoders, bar)

    def units(job):
        n = cfg["train_size"] or len(read_glue(job["task"], "train").y)
        return math.ceil(n / cfg["batch_size"]) * cfg["epochs"]

    return run_grid(
        jobs(cfg, methods, tasks, shard, seeds),
        run,
        desc=f"BERT Table 2 {profile}",
        total_units=units,
        profile=profile,
        verbose=verbose,
    )
