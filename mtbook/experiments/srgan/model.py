"""SRGAN as a :class:`mtbook.gan.GanSetup`: data, the three terms, the motivation's rescaling,
metrics.

Data. Training HR images: ``sr_train`` (T91 + BSD200; images smaller than one HR crop are skipped)
at ``cpu``; at ``full`` (``train_set="div2k"``) the 800 DIV2K training images (SRGAN trained on
350 thousand ImageNet images, which need a login; DIV2K is the open 2K set SR work trains on since
2017). All training images are held in memory as uint8: about 6 GB for DIV2K.
Each step draws ``batch_size`` random HR crops of ``4 * lr_size`` px (random horizontal flip) and
makes the LR input by bicubic x4 downsampling (PyTorch's antialiased bicubic, the kernel of MATLAB's
``imresize``), rounded to 8 bit as a saved LR image would be. Test: Set14, BSD100, Set5, each HR
image cropped to a multiple of 4 ("mod-crop"), its LR made the same way. Images in [-1, 1].

Terms (images in [-1, 1]), anchor first: ``MSE`` = mean (G(x) - y)^2; ``GAN`` = BCE(D(G(x)), real)
(SRGAN's -log D(G(x))); ``perc`` = :class:`VGGLoss` or :class:`DFeatureMatching` (see ``spec``).
Discriminator: BCE(D(y), real) + BCE(D(G(x)), fake), updated before G on the same fakes ("DG").

Metrics as SRGAN reports them: PSNR and SSIM on the **Y channel** (ITU-R BT.601 luma, MATLAB's
``rgb2ycbcr``: Y = 16 + (65.481 R + 128.553 G + 24.966 B) / 255 for 8-bit R, G, B), after removing
a **4-pixel border** (the scale) from each side, **data range 255**; SSIM with Wang et al.'s
Gaussian window (sigma 1.5, population covariances). SR papers evaluate luma because the eye is most
sensitive to it and the chroma of a bicubic upsampling is hard to beat; the border is dropped
because no method can know the pixels beyond the image edge. Outputs are clamped and rounded to
8 bit first.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from ...gan import GanSetup, gan_loss
from ...gan.nets_srgan import SRDiscriminator, SRResNet

VGG_FILE = (
    "vgg19-dcbb9e9d.pth"  # torchvision's ImageNet VGG19; the hash prefix is checked on download
)


# ------------------------------------------------------------------------------------------ data


def _sr_dirs() -> tuple[Path, Path]:
    from ...core import data

    return data.sr_dir(), data.sr_train_dir()


def read_rgb(path: Path) -> torch.Tensor:
    """One image as a uint8 tensor [3, H, W] (grayscale images become 3 equal channels)."""
    from PIL import Image

    with Image.open(path) as im:
        return torch.from_numpy(np.asarray(im.convert("RGB")).copy()).permute(2, 0, 1).contiguous()


def downscale(hr: torch.Tensor, scale: int = 4) -> torch.Tensor:
    """uint8 [N, 3, H, W] -> uint8 [N, 3, H/scale, W/scale]: antialiased bicubic, rounded."""
    if hr.shape[-1] % scale or hr.shape[-2] % scale:
        raise ValueError(f"HR size {tuple(hr.shape[-2:])} is not a multiple of the scale {scale}")
    lr = F.interpolate(
        hr.float(), scale_factor=1 / scale, mode="bicubic", antialias=True, align_corners=False
    )
    return lr.round().clamp(0, 255).to(torch.uint8)


def bicubic_up(lr: torch.Tensor, scale: int = 4) -> torch.Tensor:
    """The bicubic baseline: uint8 LR -> uint8 HR (x ``scale``)."""
    up = F.interpolate(lr.float(), scale_factor=scale, mode="bicubic", align_corners=False)
    return up.round().clamp(0, 255).to(torch.uint8)


def to_unit(u8: torch.Tensor) -> torch.Tensor:
    return u8.float() / 127.5 - 1


def to_u8(t: torch.Tensor) -> torch.Tensor:
    return ((t.detach().float().cpu().clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8)


TRAIN_SETS = ("sr_train", "div2k")


def train_files(cfg: dict) -> list[Path]:
    """The training images of ``cfg["train_set"]`` (default ``sr_train``: T91 then BSD200)."""
    from ...core import data

    name = cfg.get("train_set", "sr_train")
    if name not in TRAIN_SETS:
        raise ValueError(f"unknown train_set {name!r}; use one of {', '.join(TRAIN_SETS)}")
    if name == "div2k":
        root = data.div2k_dir()
        files = sorted((root / "train").glob("*.png"))
    else:
        root = _sr_dirs()[1]
        files = sorted((root / "T91").glob("*.bmp")) + sorted((root / "BSD200").glob("*.jpg"))
    if not files:
        raise FileNotFoundError(f"no training images ({name}) under {root}")
    return files


def load_train(cfg: dict) -> list[torch.Tensor]:
    """The HR training images (uint8 [3, H, W]) at least one HR crop large."""
    files = train_files(cfg)
    hr = cfg["scale"] * cfg["lr_size"]
    imgs = [
        im
        for im in (read_rgb(f) for f in files[: cfg.get("train_limit") or None])
        if im.shape[1] >= hr and im.shape[2] >= hr
    ]
    if not imgs:
        raise ValueError(f"no training image is at least {hr}x{hr} px")
    return imgs


def load_test(name: str, cfg: dict) -> dict:
    """``dict(names, hr=[uint8 [3, H, W]], lr=[uint8 [3, H/4, W/4]])``: a test set, mod-cropped."""
    folder = _sr_dirs()[0] / name
    files = sorted(folder.glob("*.png"))[: cfg.get("test_limit") or None]
    if not files:
        raise FileNotFoundError(f"no PNG images in {folder}")
    s = cfg["scale"]
    hrs = []
    for f in files:
        im = read_rgb(f)
        hrs.append(im[:, : im.shape[1] // s * s, : im.shape[2] // s * s])
    return dict(names=[f.stem for f in files], hr=hrs, lr=[downscale(h[None], s)[0] for h in hrs])


def load_data(cfg: dict) -> dict:
    return dict(
        train=load_train(cfg),
        **{name: load_test(name, cfg) for name in ("Set14", "BSD100", "Set5")},
    )


def random_batch(images: list[torch.Tensor], cfg: dict, gen: torch.Generator) -> dict:
    """``dict(lr, hr)`` in [-1, 1]: random HR crops (and flips) of random images; LR: bicubic x4."""
    hr_size = cfg["scale"] * cfg["lr_size"]
    crops = []
    for i in torch.randint(0, len(images), (int(cfg["batch_size"]),), generator=gen).tolist():
        im = images[i]
        y = int(torch.randint(0, im.shape[1] - hr_size + 1, (1,), generator=gen))
        x = int(torch.randint(0, im.shape[2] - hr_size + 1, (1,), generator=gen))
        c = im[:, y : y + hr_size, x : x + hr_size]
        crops.append(c.flip(-1) if torch.rand((), generator=gen) < 0.5 else c)
    hr = torch.stack(crops)
    return dict(lr=to_unit(downscale(hr, cfg["scale"])), hr=to_unit(hr))


# ------------------------------------------------------------------------------------ perceptual


class DFeatureMatching:
    """Perceptual stand-in: mean over D's conv layers of MSE(D_k(G(x)), D_k(y)) (as pix2pixHD)."""

    name = "dfm"

    def __call__(self, fake_feats: list, real_feats: list) -> torch.Tensor:
        per_layer = [F.mse_loss(a, b.detach()) for a, b in zip(fake_feats, real_feats)]
        return sum(per_layer) / len(per_layer)


class VGGLoss(nn.Module):
    """SRGAN's VGG19 phi_5,4 loss: MSE of conv5_4 activations (after ReLU) / 12.75, with
    ImageNet input normalisation.

    The weights are torchvision's ``IMAGENET1K_V1`` (``vgg19-dcbb9e9d.pth``), loaded through
    torchvision, which downloads them to the torch hub cache and checks the SHA-256 prefix in
    the file name (``check_hash=True``). Offline and absent: RuntimeError saying so.
    ``random_weights=True`` builds the same network untrained, for tests of the code path only
    (never a result).
    """

    name = "vgg19"

    def __init__(self, random_weights: bool = False):
        super().__init__()
        from torchvision.models import VGG19_Weights, vgg19

        if random_weights:
            net = vgg19(weights=None)
        else:
            try:
                net = vgg19(weights=VGG19_Weights.IMAGENET1K_V1)
            except Exception as e:  # no network, or a corrupt file (hash mismatch)
                hub = Path(torch.hub.get_dir()) / "checkpoints" / VGG_FILE
                raise RuntimeError(
                    f"VGG19 ImageNet weights unavailable: {VGG_FILE} is not in {hub.parent} "
                    f"and could not be downloaded and verified ({type(e).__name__}: {e}). "
                    "The perceptual term at the full profile needs them; the cpu profile "
                    "uses the D-feature-matching stand-in."
                ) from e
        self.features = net.features[:36].eval()  # up to relu5_4 (before the 5th max-pool)
        for p in self.features.parameters():
            p.requires_grad_(False)
        self.register_buffer("mean", torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1))

    def phi(self, x):
        return self.features(((x + 1) / 2 - self.mean) / self.std) / 12.75

    def forward(self, fake, real):
        with torch.no_grad():
            target = self.phi(real)
        return F.mse_loss(self.phi(fake), target)


def build_perceptual(cfg: dict, random_weights: bool = False):
    kind = cfg["perceptual"]
    if kind == "dfm":
        return DFeatureMatching()
    if kind == "vgg19":
        return VGGLoss(random_weights=random_weights)
    raise ValueError(f"unknown perceptual loss {kind!r}; use 'vgg19' or 'dfm'")


def build_models(cfg: dict, seed: int):
    """(G, D) for a config, initialised from ``seed`` on the CPU."""
    torch.manual_seed(seed)
    G = SRResNet(n_blocks=cfg["n_blocks"], nf=cfg["nf"], scale=cfg["scale"])
    D = SRDiscriminator(ndf=cfg["ndf"], dense=cfg["dense"])
    return G, D


# ------------------------------------------------------------------------------------- the setup


def rescaled(
    term: torch.Tensor, ref: torch.Tensor, params: list, eps: float = 1e-12
) -> torch.Tensor:
    """``term`` whose gradient, per parameter tensor, is rescaled to the norm of ``ref``'s gradient.

    Returns a tensor with ``term``'s value and the gradient
    ``sum_l (|g_ref,l| / |g_term,l|) g_term,l``
    (a linear surrogate); ``ref``'s gradient is only measured, never applied.
    """
    g_t = torch.autograd.grad(term, params, retain_graph=True, allow_unused=True)
    g_r = torch.autograd.grad(ref, params, retain_graph=True, allow_unused=True)
    sur = term.new_zeros(())
    for p, a, b in zip(params, g_t, g_r):
        if a is not None and b is not None:
            sur = sur + (p * (a * (b.norm() / (a.norm() + eps))).detach()).sum()
    return sur - sur.detach() + term.detach()


def make_setup(
    G, D, perc, data: dict, cfg: dict, terms=None, rescale=None, evaluate=None
) -> GanSetup:
    """The GanSetup of one run: generator terms ``terms`` (names from MSE, GAN, perc; anchor first).

    ``rescale=(index, reference_name, reference_weight)``: the term at ``index`` gets the gradient
    magnitude of ``reference_weight * reference`` per parameter tensor (the motivation's red
    curves).
    """
    terms = list(terms or ["MSE", "GAN", "perc"])
    unknown = set(terms) - {"MSE", "GAN", "perc"}
    if unknown:
        raise ValueError(f"unknown SRGAN terms {sorted(unknown)}")
    images = data["train"]
    g_params = [p for p in G.parameters() if p.requires_grad]

    def batches(gen):
        for _ in range(int(cfg["steps_per_epoch"])):
            yield random_batch(images, cfg, gen)

    def forward(batch):
        return dict(fake=G(batch["lr"]))

    def all_terms(batch, cache, needed):
        fake, hr, out = cache["fake"], batch["hr"], {}
        d_needed = "GAN" in needed or ("perc" in needed and isinstance(perc, DFeatureMatching))
        if d_needed:
            logit, feats = D(fake, features=True)
            out["GAN"] = gan_loss(logit, True)
        if "MSE" in needed:
            out["MSE"] = F.mse_loss(fake, hr)
        if "perc" in needed:
            if isinstance(perc, DFeatureMatching):
                with torch.no_grad():
                    real_feats = D(hr, features=True)[1]
                out["perc"] = perc(feats, real_feats)
            else:
                out["perc"] = perc(fake, hr)
        return out

    def generator_terms(batch, cache):
        needed = set(terms) | ({rescale[1]} if rescale else set())
        vals = all_terms(batch, cache, needed)
        out = [vals[n] for n in terms]
        if rescale:
            i, ref, w = rescale
            out[i] = rescaled(out[i], w * vals[ref], g_params)
        return out

    def discriminator_loss(batch, cache):
        return gan_loss(D(batch["hr"]), True) + gan_loss(D(cache["fake"].detach()), False)

    return GanSetup(
        generators={"G": G},
        discriminators={"D": D},
        term_names=terms,
        forward=forward,
        generator_terms=generator_terms,
        discriminator_loss=discriminator_loss,
        batches=batches,
        evaluate=evaluate,
        order="DG",
    )


# ------------------------------------------------------------------------------------- metrics


def luma(u8: torch.Tensor) -> np.ndarray:
    """uint8 [3, H, W] -> float64 Y [H, W] (BT.601, 16..235, MATLAB's rgb2ycbcr)."""
    r, g, b = u8.double().numpy()
    return 16.0 + (65.481 * r + 128.553 * g + 24.966 * b) / 255.0


def psnr_ssim_y(pred: torch.Tensor, target: torch.Tensor, shave: int = 4) -> tuple[float, float]:
    """PSNR (dB) and SSIM of two uint8 [3, H, W] images on Y, ``shave`` px border off, range 255."""
    from skimage.metrics import structural_similarity

    if pred.shape != target.shape:
        raise ValueError(
            f"prediction shape {tuple(pred.shape)} differs from target {tuple(target.shape)}"
        )
    a, b = luma(pred), luma(target)
    if shave:
        a, b = a[shave:-shave, shave:-shave], b[shave:-shave, shave:-shave]
    mse = float(((a - b) ** 2).mean())
    psnr = float("inf") if mse == 0 else 10 * np.log10(255.0**2 / mse)
    ssim = structural_similarity(
        a, b, data_range=255.0, gaussian_weights=True, sigma=1.5, use_sample_covariance=False
    )
    return psnr, float(ssim)


@torch.no_grad()
def super_resolve(G, lrs: list[torch.Tensor]) -> list[torch.Tensor]:
    """G (eval mode) on each uint8 LR image; uint8 HR outputs on the CPU."""
    was = G.training
    G.eval()
    dev = next(G.parameters()).device
    out = [to_u8(G(to_unit(x[None]).to(dev))[0]) for x in lrs]
    G.train(was)
    return out


def set_metrics(preds: list[torch.Tensor], hrs: list[torch.Tensor], shave: int = 4) -> dict:
    """Mean PSNR and SSIM (Y, border ``shave``) over a test set."""
    vals = np.array([psnr_ssim_y(p, h, shave) for p, h in zip(preds, hrs)])
    return dict(PSNR=float(vals[:, 0].mean()), SSIM=float(vals[:, 1].mean()))
