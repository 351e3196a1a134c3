"""pix2pix as a :class:`mtbook.gan.GanSetup`: the networks, the two generator terms, the data.

Generator terms, anchor first: ``[L1, L_GAN]`` with L1 = mean |G(x) - y| (images in [-1, 1]) and
L_GAN = BCE(D(x, G(x)), real). Discriminator: ``(BCE(D(x, y), real) + BCE(D(x, G(x)), fake)) / 2``.
Order per batch as pix2pix: D is updated first on the batch's fakes, then G.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ...core.data import load_facades, load_maps
from ...gan import GanSetup, gan_loss, jitter
from ...gan.nets_pix2pix import PatchDiscriminator, UNetGenerator, init_weights

TERM_NAMES = ["L1", "GAN"]


def build_models(cfg: dict, seed: int):
    """(G, D) for a config with ``ngf, num_downs, ndf,
    n_layers``, initialised from ``seed`` on the CPU."""
    torch.manual_seed(seed)
    G = init_weights(UNetGenerator(ngf=cfg["ngf"], num_downs=cfg["num_downs"]))
    D = init_weights(PatchDiscriminator(ndf=cfg["ndf"], n_layers=cfg["n_layers"]))
    return G, D


def load_data(cfg: dict) -> dict:
    """``{"train", "val", "test"}`` -> (labels, photos) tensors in [-1, 1] at ``cfg["size"]``."""
    load = load_maps if cfg.get("dataset") == "maps" else load_facades
    return {
        split: load(split, cfg["size"], cfg.get(f"{split}_limit"), cfg["direction"])
        for split in ("train", "val", "test")
    }


def make_setup(G, D, data: dict, cfg: dict, evaluate=None) -> GanSetup:
    """The GanSetup of one pix2pix run on ``data["train"]`` (batches of ``cfg["batch_size"]``)."""
    xs, ys = data["train"]
    n, bs = xs.shape[0], int(cfg["batch_size"])
    mode = cfg.get("gan_mode", "vanilla")

    def batches(gen):
        order = torch.randperm(n, generator=gen)
        for s in range(0, n - bs + 1 if n >= bs else 1, bs):
            idx = order[s : s + bs]
            x, y = xs[idx], ys[idx]
            if cfg.get("jitter"):
                x, y = jitter(x, y, size=x.shape[-1], generator=gen)
            yield dict(x=x, y=y)

    def forward(batch):
        return dict(fake=G(batch["x"]))

    def generator_terms(batch, cache):
        fake = cache["fake"]
        return [F.l1_loss(fake, batch["y"]), gan_loss(D(batch["x"], fake), True, mode)]

    def discriminator_loss(batch, cache):
        x = batch["x"]
        return 0.5 * (
            gan_loss(D(x, batch["y"]), True, mode)
            + gan_loss(D(x, cache["fake"].detach()), False, mode)
        )

    return GanSetup(
        generators={"G": G},
        discriminators={"D": D},
        term_names=list(TERM_NAMES),
        forward=forward,
        generator_terms=generator_terms,
        discriminator_loss=discriminator_loss,
        batches=batches,
        evaluate=evaluate,
        order="DG",
    )
