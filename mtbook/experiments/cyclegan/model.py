"""CycleGAN as a :class:`mtbook.gan.GanSetup`: two generators, two discriminators, six terms, data.

Names as in CycleGAN's code: ``G_A``: A (horse) -> B (zebra), ``G_B``: B -> A; ``D_A`` tells real
zebras from ``G_A``'s fakes, ``D_B`` real horses from ``G_B``'s. The generators' six terms, in the
paper's order (Eq. 3; the first, ``GAN_A``, is MTAdam's anchor), images in [-1, 1]::

    GAN_A   = MSE(D_A(G_A(a)), 1)          cycle_A = |G_B(G_A(a)) - a|      idt_A = |G_A(b) - b|
    GAN_B   = MSE(D_B(G_B(b)), 1)          cycle_B = |G_A(G_B(b)) - b|      idt_B = |G_B(a) - a|

(least-squares GAN; L1 = mean absolute error). Discriminators, on a pool of 50 earlier fakes:
``0.5 (MSE(D_A(b), 1) + MSE(D_A(pool(G_A(a))), 0)) + 0.5 (same for D_B)``. Per batch the generators
are updated first, then the discriminators (``order="GD"``), as CycleGAN does.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from ...core import data as core_data
from ...core.data import DataError
from ...gan import GanSetup, gan_loss, jitter
from ...gan.nets_cyclegan import ImagePool, PatchDiscriminatorIN, ResnetGenerator
from ...gan.nets_pix2pix import init_weights
from .spec import TERM_NAMES

SPLITS = {"trainA", "trainB", "testA", "testB"}


def build_models(cfg: dict, seed: int) -> dict:
    """``{"G_A", "G_B", "D_A", "D_B"}`` for a config (``ngf, n_blocks, ndf, n_layers``),
    initialised from ``seed``."""
    torch.manual_seed(seed)
    G = {
        k: init_weights(ResnetGenerator(ngf=cfg["ngf"], n_blocks=cfg["n_blocks"]))
        for k in ("G_A", "G_B")
    }
    D = {
        k: init_weights(PatchDiscriminatorIN(ndf=cfg["ndf"], n_layers=cfg["n_layers"]))
        for k in ("D_A", "D_B")
    }
    return {**G, **D}


def load_folder(folder: Path, size: int, limit: int | None = None) -> torch.Tensor:
    """The JPEGs of ``folder`` in sorted file-name order (as CycleGAN's loader),
    ``[N, 3, size, size]``     in [-1, 1] (RGB: one zebra is grayscale; bicubic resize)."""
    from PIL import Image

    files = sorted(Path(folder).glob("*.jpg"))
    if not files:
        raise DataError(f"{folder} holds no .jpg images")
    files = files[:limit] if limit else files
    arrays = []
    for f in files:
        with Image.open(f) as im:
            im = im.convert("RGB")
            if im.size != (size, size):
                im = im.resize((size, size), Image.BICUBIC)
            arrays.append(np.asarray(im, dtype=np.float32))
    return torch.from_numpy(np.stack(arrays)).permute(0, 3, 1, 2).contiguous() / 127.5 - 1.0


def load_data(cfg: dict, root: Path | None = None) -> dict:
    """``{"train", "val", "test"}`` -> (side A, side B): horses and zebras, or (``cfg["dataset"]
    == "maps"``) aerial photos and maps.

    The last ``val_holdout`` training images of each side (sorted names) are held out as the
    validation set (horse2zebra has no validation split); ``train_limit`` caps the rest. The test
    sets are complete unless ``test_limit`` is set.
    """
    if root is None:
        maps = cfg.get("dataset", "horse2zebra") == "maps"
        root = core_data.maps_cyclegan_dir() if maps else core_data.horse2zebra_dir()
    root = Path(root)
    hold = int(cfg["val_holdout"])
    out = {"train": [], "val": [], "test": []}
    for side in ("A", "B"):
        train = load_folder(root / f"train{side}", cfg["size"])
        if train.shape[0] <= hold:
            raise DataError(
                f"{root / f'train{side}'} holds {train.shape[0]} images; need more than the "
                f"{hold} held out for validation"
            )
        rest, val = train[: train.shape[0] - hold], train[train.shape[0] - hold :]
        out["train"].append(rest[: cfg["train_limit"]] if cfg.get("train_limit") else rest)
        out["val"].append(val)
        out["test"].append(load_folder(root / f"test{side}", cfg["size"], cfg.get("test_limit")))
    return {k: tuple(v) for k, v in out.items()}


def make_setup(models: dict, data: dict, cfg: dict, evaluate=None, seed: int = 0) -> GanSetup:
    """The GanSetup of one CycleGAN run on ``data["train"]`` (unpaired batches of
    ``cfg["batch_size"]``)."""
    G_A, G_B, D_A, D_B = (models[k] for k in ("G_A", "G_B", "D_A", "D_B"))
    A, B = data["train"]
    na, nb, bs = A.shape[0], B.shape[0], int(cfg["batch_size"])
    pools = {
        "pool_fake_B": ImagePool(cfg["pool_size"], seed=1000 + seed),  # fakes for D_A
        "pool_fake_A": ImagePool(cfg["pool_size"], seed=2000 + seed),
    }  # fakes for D_B

    def batches(gen):
        # an epoch is max(|A|, |B|) images as in CycleGAN's unaligned loader: A in a shuffled order,
        # B independently shuffled, so the pairs change every epoch
        oa, ob = torch.randperm(na, generator=gen), torch.randperm(nb, generator=gen)
        for s in range(max(1, max(na, nb) // bs)):
            idx = torch.arange(s * bs, (s + 1) * bs)
            a, b = A[oa[idx % na]], B[ob[idx % nb]]
            if cfg.get(
                "jitter"
            ):  # CycleGAN: resize to 286, random 256 crop, flip; each side its own
                (a,), (b,) = (
                    jitter(a, size=a.shape[-1], generator=gen),
                    jitter(b, size=b.shape[-1], generator=gen),
                )
            yield dict(a=a, b=b)

    def forward(batch):
        a, b = batch["a"], batch["b"]
        fake_B, fake_A = G_A(a), G_B(b)
        return dict(
            fake_B=fake_B,
            fake_A=fake_A,
            rec_A=G_B(fake_B),
            rec_B=G_A(fake_A),
            idt_A=G_A(b),
            idt_B=G_B(a),
        )

    def generator_terms(batch, c):
        a, b = batch["a"], batch["b"]
        return [
            gan_loss(D_A(c["fake_B"]), True, "lsgan"),
            gan_loss(D_B(c["fake_A"]), True, "lsgan"),
            F.l1_loss(c["rec_A"], a),
            F.l1_loss(c["rec_B"], b),
            F.l1_loss(c["idt_A"], b),
            F.l1_loss(c["idt_B"], a),
        ]

    def discriminator_loss(batch, c):
        fake_B = pools["pool_fake_B"].query(c["fake_B"])
        fake_A = pools["pool_fake_A"].query(c["fake_A"])
        loss_A = 0.5 * (
            gan_loss(D_A(batch["b"]), True, "lsgan") + gan_loss(D_A(fake_B), False, "lsgan")
        )
        loss_B = 0.5 * (
            gan_loss(D_B(batch["a"]), True, "lsgan") + gan_loss(D_B(fake_A), False, "lsgan")
        )
        return loss_A + loss_B

    return GanSetup(
        generators={"G_A": G_A, "G_B": G_B},
        discriminators={"D_A": D_A, "D_B": D_B},
        term_names=list(TERM_NAMES),
        forward=forward,
        generator_terms=generator_terms,
        discriminator_loss=discriminator_loss,
        batches=batches,
        evaluate=evaluate,
        order="GD",
        extra_state=pools,
    )
