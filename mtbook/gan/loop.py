"""One GAN training loop for every experiment and every optimizer of the book.

The experiment describes its GAN in a :class:`GanSetup`: any number of generators and
discriminators, a ``forward(batch)`` that makes the fakes, the generator's loss **terms** (a list,
anchor first) with their **lambdas** (a list), and the discriminators' loss. The loop owns the rest:

* the generators' optimizer from the registry (:mod:`mtbook.core.optim`): ``sgd``, ``rmsprop``,
  ``adam``, ``adamw`` step on ``sum_i lambda_i term_i`` (discriminators frozen, as pix2pix and
  CycleGAN do); ``mtadam`` steps on the list ``[lambda_i term_i]`` (it is invariant to the lambdas;
  gradients w.r.t. the generators' parameters only, the discriminators' ``.grad`` untouched);
* a generator optimizer spec with a ``balancer`` (chapter 10: :mod:`mtbook.core.balancers`) is Adam
  on the balanced terms; it takes the list ``[lambda_i term_i]`` as MTAdam does (and, for FAMO, the
  terms again after its step, from a second forward on the same batch);
* the discriminators' optimizer (Adam by default) on their loss;
* the order of the two updates per batch (``"DG"``: pix2pix, D first on the same fakes; ``"GD"``:
  CycleGAN);
* learning-rate schedules (:mod:`mtbook.gan.schedule`: constant, then linear decay);
* curves (term values, D loss, learning rate, MTAdam's effective weights, per-epoch validation);
* a checkpoint per epoch and exact resume (models, optimizers, schedulers, RNG states, curves).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

import torch
import torch.nn as nn

from ..core.balancers import is_balanced, make_balanced
from ..core.optim import is_multi_term, make_optimizer
from .checkpoint import latest_checkpoint, restore, save_checkpoint
from .schedule import make_scheduler
from .utils import set_requires_grad


@dataclass
class GanSetup:
    """What an experiment hands to :func:`train` (modules already on their device)."""

    generators: dict[str, nn.Module]
    discriminators: dict[str, nn.Module]
    term_names: list[str]
    forward: Callable[[dict], dict]  # batch -> cache (fakes, ...)
    generator_terms: Callable[[dict, dict], list]  # (batch, cache) -> unweighted terms
    discriminator_loss: Callable[[dict, dict], torch.Tensor]  # (batch, cache) -> D loss
    batches: Callable[[torch.Generator], Iterable[dict]]  # one epoch of batches (CPU tensors)
    evaluate: Callable[[], dict] | None = None  # validation metrics after each epoch
    order: str = "DG"
    extra_state: dict = field(
        default_factory=dict
    )  # e.g. an image pool: name -> object with state_dict()


def _gen_params(setup: GanSetup) -> list:
    return [p for g in setup.generators.values() for p in g.parameters() if p.requires_grad]


def _disc_params(setup: GanSetup) -> list:
    return [p for d in setup.discriminators.values() for p in d.parameters() if p.requires_grad]


def generator_step(
    setup: GanSetup, opt, multi_term: bool, batch: dict, cache: dict, lambdas: list[float]
) -> list[float]:
    """One generator update; returns the unweighted term values."""
    discs = list(setup.discriminators.values())
    if multi_term:
        terms = setup.generator_terms(batch, cache)
        weighted = [lam * t for lam, t in zip(lambdas, terms)]
        if getattr(opt, "takes_closure", False):  # a balancer (FAMO: the terms after its step)

            def again():
                again_terms = setup.generator_terms(batch, setup.forward(batch))
                return [lam * t for lam, t in zip(lambdas, again_terms)]

            opt.step(weighted, closure=again)
        else:
            opt.step(weighted)
    else:
        set_requires_grad(discs, False)
        terms = setup.generator_terms(batch, cache)
        opt.zero_grad(set_to_none=True)
        sum(lam * t for lam, t in zip(lambdas, terms)).backward()
        opt.step()
        set_requires_grad(discs, True)
    return [float(t.detach()) for t in terms]


def discriminator_step(setup: GanSetup, opt, batch: dict, cache: dict) -> float:
    set_requires_grad(list(setup.discriminators.values()), True)
    opt.zero_grad(set_to_none=True)
    loss = setup.discriminator_loss(batch, cache)
    loss.backward()
    opt.step()
    return float(loss.detach())


def train(
    setup: GanSetup,
    *,
    lambdas,
    g_opt: dict,
    d_opt: dict,
    epochs: int,
    epochs_decay: int = 0,
    log_every: int = 10,
    device=None,
    seed: int = 0,
    ckpt_dir=None,
    run_id: dict | None = None,
    progress=None,
    epoch_callback=None,
) -> dict:
    """Train for ``epochs + epochs_decay`` epochs; return ``dict(curves, steps, diverged,
    layer_names)``.

    ``g_opt`` / ``d_opt``: ``dict(name=..., lr=..., **hyper-parameters)`` for
    :func:`mtbook.core.optim.make_optimizer`. ``ckpt_dir``: a checkpoint per epoch; an existing one
    of the same ``run_id`` is resumed exactly (another run's raises ValueError).
    ``epoch_callback(epoch, val)`` runs after each epoch (Hyperband prunes by raising there).
    """
    lambdas = [float(v) for v in lambdas]
    if len(lambdas) != len(setup.term_names):
        raise ValueError(
            f"{len(lambdas)} lambdas for {len(setup.term_names)} terms {setup.term_names}"
        )
    if setup.order not in ("DG", "GD"):
        raise ValueError(f"order must be 'DG' or 'GD', got {setup.order!r}")
    g_opt, d_opt = dict(g_opt), dict(d_opt)
    multi = is_multi_term(g_opt["name"]) or is_balanced(g_opt)
    make_g = make_balanced if is_balanced(g_opt) else make_optimizer
    opt_g = make_g(g_opt.pop("name"), _gen_params(setup), **g_opt)
    opt_d = make_optimizer(d_opt.pop("name"), _disc_params(setup), **d_opt)
    scheds = [make_scheduler(o, epochs, epochs_decay) for o in (opt_g, opt_d)]
    gen = torch.Generator().manual_seed(seed)
    names = [
        f"{k}.{n}"
        for k, g in setup.generators.items()
        for n, p in g.named_parameters()
        if p.requires_grad
    ]
    curves = dict(epoch=[], val=[], lr=[], epoch_time=[], train_step=[], train_terms=[], train_d=[])
    if multi:
        curves.update(ew_step=[], ew=[])
    modules = {
        **{f"G:{k}": m for k, m in setup.generators.items()},
        **{f"D:{k}": m for k, m in setup.discriminators.items()},
    }
    stateful = dict(
        modules, opt_g=opt_g, opt_d=opt_d, sched_g=scheds[0], sched_d=scheds[1], **setup.extra_state
    )
    start_epoch, step = 0, 0
    ckpt = latest_checkpoint(ckpt_dir)
    if ckpt is not None:
        extra = restore(ckpt, stateful, gen, run_id)
        curves, start_epoch, step = extra["curves"], extra["epoch"], extra["step"]
        if epoch_callback is not None:  # replay the finished epochs' reports (Hyperband)
            for e, v in zip(curves["epoch"], curves["val"]):
                epoch_callback(e, v)
    for m in modules.values():
        m.train()
    for epoch in range(start_epoch + 1, epochs + epochs_decay + 1):
        t0 = time.time()
        curves["lr"].append(opt_g.param_groups[0]["lr"])
        for batch in setup.batches(gen):
            batch = {
                k: v.to(device) if torch.is_tensor(v) and device is not None else v
                for k, v in batch.items()
            }
            cache = setup.forward(batch)
            if setup.order == "DG":
                d_loss = discriminator_step(setup, opt_d, batch, cache)
                terms = generator_step(setup, opt_g, multi, batch, cache, lambdas)
            else:
                terms = generator_step(setup, opt_g, multi, batch, cache, lambdas)
                d_loss = discriminator_step(setup, opt_d, batch, cache)
            step += 1
            if step % int(log_every) == 0 or step == 1:
                curves["train_step"].append(step)
                curves["train_terms"].append(terms)
                curves["train_d"].append(d_loss)
                if multi:
                    curves["ew_step"].append(step)
                    curves["ew"].append(opt_g.effective_weights().cpu().tolist())
            if progress is not None:
                progress.update(1)
        for s in scheds:
            s.step()
        val = setup.evaluate() if setup.evaluate is not None else {}
        curves["epoch"].append(epoch)
        curves["val"].append(val)
        curves["epoch_time"].append(time.time() - t0)
        if ckpt_dir is not None:
            save_checkpoint(
                Path(ckpt_dir),
                epoch,
                stateful,
                gen,
                run_id,
                dict(curves=curves, epoch=epoch, step=step),
            )
        if epoch_callback is not None:
            epoch_callback(epoch, val)
    diverged = not all(math.isfinite(v) for t in curves["train_terms"] for v in t)
    return dict(curves=curves, steps=step, diverged=diverged, layer_names=names)


RUN_ID_SKIP = ("threads", "seeds", "hb_trials")  # config keys that do not change a run's training


def train_from_config(
    setup: GanSetup,
    cfg: dict,
    *,
    lambdas,
    g_opt: dict,
    d_opt: dict,
    seed: int,
    identity: dict,
    **kw,
) -> dict:
    """:func:`train` with the schedule of an experiment's config (``epochs``, ``epochs_decay``,
    ``log_every``) and a checkpoint identity made of ``identity``, the seed and the config (less the
    keys in :data:`RUN_ID_SKIP`). ``kw``: device, ckpt_dir, progress, epoch_callback."""
    run_id = dict(identity, seed=seed, **{k: v for k, v in cfg.items() if k not in RUN_ID_SKIP})
    return train(
        setup,
        lambdas=lambdas,
        g_opt=g_opt,
        d_opt=d_opt,
        epochs=cfg["epochs"],
        epochs_decay=cfg.get("epochs_decay", 0),
        log_every=cfg["log_every"],
        seed=seed,
        run_id=run_id,
        **kw,
    )


def steps_per_epoch(n: int, batch_size: int) -> int:
    """Batches per epoch when the last incomplete batch is dropped (at least one)."""
    return max(1, n // batch_size)
