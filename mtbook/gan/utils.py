"""Small pieces every GAN experiment uses: adversarial losses, freezing, augmentation, inference."""

from __future__ import annotations

import copy

import torch
import torch.nn as nn
import torch.nn.functional as F

GAN_MODES = ("vanilla", "lsgan")


def gan_loss(logits: torch.Tensor, real: bool, mode: str = "vanilla") -> torch.Tensor:
    """The adversarial loss against all-ones (``real``) or all-zeros targets.

    ``"vanilla"``: BCE with logits (pix2pix). ``"lsgan"``: mean squared error (CycleGAN).
    """
    target = torch.ones_like(logits) if real else torch.zeros_like(logits)
    if mode == "vanilla":
        return F.binary_cross_entropy_with_logits(logits, target)
    if mode == "lsgan":
        return F.mse_loss(logits, target)
    raise ValueError(f"unknown GAN loss {mode!r}; use one of {', '.join(GAN_MODES)}")


def set_requires_grad(nets, flag: bool):
    """Switch ``requires_grad`` of every parameter of ``nets`` (a module or a list of modules)."""
    for net in [nets] if isinstance(nets, nn.Module) else nets:
        for p in net.parameters():
            p.requires_grad_(flag)


def jitter(*images: torch.Tensor, size: int, generator: torch.Generator):
    """pix2pix's augmentation: resize to size*286/256,
    one random crop and one flip for all ``images``."""
    big = int(round(size * 286 / 256))
    if big <= size:
        return images
    out = [F.interpolate(x, size=(big, big), mode="bilinear", align_corners=False) for x in images]
    i, j = (int(v) for v in torch.randint(0, big - size + 1, (2,), generator=generator))
    out = [x[..., i : i + size, j : j + size] for x in out]
    if torch.rand((), generator=generator) < 0.5:
        out = [x.flip(-1) for x in out]
    return tuple(out)


@torch.no_grad()
def predict(
    G: nn.Module, x: torch.Tensor, batch_size: int = 16, mode: str = "eval"
) -> torch.Tensor:
    """``G(x)`` in [-1, 1] on the CPU (G may be on a GPU), ``batch_size`` images at a time.

    ``mode="eval"``: eval-mode BatchNorm (running statistics), no dropout. ``mode="train"``: as
    pix2pix's and CycleGAN's ``test.py`` do without ``--eval``: batch statistics and dropout on, on
    a copy of G (so the running statistics of G are not changed by testing).
    """
    if mode not in ("eval", "train"):
        raise ValueError(f"predict mode must be 'eval' or 'train', got {mode!r}")
    net = copy.deepcopy(G) if mode == "train" else G
    was = G.training
    net.train(mode == "train")
    dev = next(net.parameters()).device
    out = torch.cat(
        [net(x[s : s + batch_size].to(dev)).cpu() for s in range(0, x.shape[0], batch_size)]
    )
    G.train(was)
    return out
