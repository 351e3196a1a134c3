"""Image metrics, computed the same way for every method of the image-synthesis chapters.

Every metric sees the images as a viewer would: generator outputs and targets (tensors in [-1, 1])
are mapped to **0..255 pixel units and rounded to 8-bit**, as if saved to PNG
(``u = round((t + 1) / 2 * 255)``), then

* ``L1``   = mean |y - yhat| over all pixels, channels and images (0..255 units);
* ``L2``   = mean (y - yhat)^2 over all pixels, channels and images (0..255 units, i.e. the MSE);
* ``NMSE`` = sum (y - yhat)^2 / sum y^2 over the whole set (0..255 units): the squared error
  normalised by the energy of the targets. The paper's Table 4 fits this definition: its L2/NMSE
  ratio is the same for every row (about 16.2e3), i.e. a fixed property of the test targets, and the
  mean square of the facades test photos at 256 px in 0..255 units is 16.18e3 (the chapter computes
  it);
* ``PSNR`` = scikit-image ``peak_signal_noise_ratio`` with ``data_range=255``, mean over images
  (dB);
* ``SSIM`` = scikit-image ``structural_similarity`` (``channel_axis=-1``, ``data_range=255``, 7x7
  window), mean over images;
* ``FID``  = pytorch-fid: Frechet distance between Gaussians fitted to the 2048-d pool3 features of
  pytorch-fid's FID InceptionV3 for the generated and the target images (the network sees [0, 1]
  images resized to 299x299, as pytorch-fid does). It needs the FID Inception weights
  (``pt_inception-2015-12-05-6726825d.pth``): from ``$MTADAM_FID_WEIGHTS``, from the torch hub cache
  (``~/.cache/torch/hub/checkpoints``), or downloaded when ``$MTADAM_FID_DOWNLOAD=1``. Without them,
  :func:`fid_status` says why and FID is recorded as unavailable (``None`` plus the reason) -- never
  a number from an untrained network.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import numpy as np
import torch

FID_WEIGHTS_FILE = "pt_inception-2015-12-05-6726825d.pth"
FID_WEIGHTS_ENV = "MTADAM_FID_WEIGHTS"
FID_DOWNLOAD_ENV = "MTADAM_FID_DOWNLOAD"
FID_UNAVAILABLE = "n/a (no Inception weights offline)"


class FIDUnavailable(RuntimeError):
    """The FID Inception weights cannot be had here; the message says why."""


def to_uint8(t: torch.Tensor) -> np.ndarray:
    """``[N, C, H, W]`` in [-1, 1] -> ``[N, H, W, C]`` uint8 in 0..255 (clamped, rounded)."""
    if t.ndim != 4:
        raise ValueError(f"expected an image batch [N, C, H, W], got shape {tuple(t.shape)}")
    u = ((t.detach().float().cpu().clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8)
    return u.permute(0, 2, 3, 1).numpy()


def pixel_metrics(pred: np.ndarray, target: np.ndarray) -> dict:
    """L1, L2, NMSE, PSNR, SSIM of uint8 image batches
    ``[N, H, W, C]`` (definitions in the module doc)."""
    from skimage.metrics import peak_signal_noise_ratio, structural_similarity

    if pred.shape != target.shape:
        raise ValueError(f"prediction shape {pred.shape} differs from target shape {target.shape}")
    p = pred.astype(np.float64)
    t = target.astype(np.float64)
    diff = p - t
    psnr, ssim = [], []
    for a, b in zip(pred, target):
        with np.errstate(divide="ignore"):
            psnr.append(peak_signal_noise_ratio(b, a, data_range=255))
        ssim.append(structural_similarity(b, a, channel_axis=-1, data_range=255))
    return dict(
        L1=float(np.abs(diff).mean()),
        L2=float((diff**2).mean()),
        NMSE=float((diff**2).sum() / max((t**2).sum(), 1e-12)),
        PSNR=float(np.mean(psnr)),
        SSIM=float(np.mean(ssim)),
    )


# --------------------------------------------------------------------------------------- FID


def _tilde(path: Path) -> str:
    """``path`` with the home directory written as ``~`` (messages end up in stored notebooks)."""
    home = str(Path.home())
    return "~" + str(path)[len(home) :] if str(path).startswith(home) else str(path)


def _hub_weights() -> Path:
    return Path(torch.hub.get_dir()) / "checkpoints" / FID_WEIGHTS_FILE


def fid_weights_path() -> Path | None:
    """Where the FID Inception weights are (``$MTADAM_FID_WEIGHTS``
    or the torch hub cache), else None."""
    env = os.environ.get(FID_WEIGHTS_ENV)
    if env:
        path = Path(env).expanduser()
        if not path.is_file():
            raise FIDUnavailable(f"{FID_WEIGHTS_ENV}={env} is not a file")
        return path
    hub = _hub_weights()
    return hub if hub.is_file() else None


def fid_status() -> tuple[bool, str]:
    """``(available, reason)``: whether FID can be computed here and, if not, why."""
    try:
        path = fid_weights_path()
    except FIDUnavailable as e:
        return False, str(e)
    if path is not None:
        return True, f"FID Inception weights from {path}"
    if os.environ.get(FID_DOWNLOAD_ENV) == "1":
        return True, "FID Inception weights will be downloaded by pytorch-fid"
    return False, (
        f"{FID_UNAVAILABLE}: {FID_WEIGHTS_FILE} is neither at ${FID_WEIGHTS_ENV} nor in "
        f"{_tilde(_hub_weights().parent)}; set {FID_DOWNLOAD_ENV}=1 to let pytorch-fid download it"
    )


@contextlib.contextmanager
def _patched_fid_inception(state_dict):
    """Make pytorch-fid build its FID InceptionV3 with ``state_dict`` (None: keep random init)."""
    import pytorch_fid.inception as pi

    def build():
        inception = pi._inception_v3(num_classes=1008, aux_logits=False, weights=None)
        inception.Mixed_5b = pi.FIDInceptionA(192, pool_features=32)
        inception.Mixed_5c = pi.FIDInceptionA(256, pool_features=64)
        inception.Mixed_5d = pi.FIDInceptionA(288, pool_features=64)
        inception.Mixed_6b = pi.FIDInceptionC(768, channels_7x7=128)
        inception.Mixed_6c = pi.FIDInceptionC(768, channels_7x7=160)
        inception.Mixed_6d = pi.FIDInceptionC(768, channels_7x7=160)
        inception.Mixed_6e = pi.FIDInceptionC(768, channels_7x7=192)
        inception.Mixed_7b = pi.FIDInceptionE_1(1280)
        inception.Mixed_7c = pi.FIDInceptionE_2(2048)
        if state_dict is not None:
            inception.load_state_dict(state_dict)
        return inception

    original = pi.fid_inception_v3
    pi.fid_inception_v3 = build
    try:
        yield
    finally:
        pi.fid_inception_v3 = original


def inception_network(dims: int = 2048, random_weights: bool = False, seed: int = 0):
    """pytorch-fid's FID InceptionV3 (eval mode) returning the ``dims``-d features.

    ``random_weights=True`` builds the same network untrained (for tests of the code path only: its
    distances are **not FID**). Otherwise the FID weights are required (FIDUnavailable if absent).
    """
    from pytorch_fid.inception import InceptionV3

    block = InceptionV3.BLOCK_INDEX_BY_DIM[dims]
    if random_weights:
        torch.manual_seed(seed)
        with _patched_fid_inception(None):
            net = InceptionV3([block])
        return net.eval()
    ok, reason = fid_status()
    if not ok:
        raise FIDUnavailable(reason)
    path = fid_weights_path()
    if path is None:  # allowed to download: pytorch-fid's own loader (torch hub cache)
        return InceptionV3([block]).eval()
    state = torch.load(path, map_location="cpu", weights_only=True)
    with _patched_fid_inception(state):
        net = InceptionV3([block])
    return net.eval()


@torch.no_grad()
def activations(net, images: torch.Tensor, batch_size: int = 32) -> np.ndarray:
    """Features ``[N, dims]`` of images in [-1, 1] (mapped to [0, 1] for pytorch-fid's network)."""
    feats = []
    dev = next(net.parameters()).device
    for s in range(0, images.shape[0], batch_size):
        batch = ((images[s : s + batch_size].float().clamp(-1, 1) + 1) / 2).to(dev)
        out = net(batch)[0]
        if out.shape[2] != 1 or out.shape[3] != 1:  # as pytorch-fid's get_activations does
            out = torch.nn.functional.adaptive_avg_pool2d(out, output_size=(1, 1))
        feats.append(out.reshape(out.shape[0], -1).cpu().numpy())
    return np.concatenate(feats).astype(np.float64)


def gaussian_stats(feats: np.ndarray):
    """Mean and covariance (rows = samples) as pytorch-fid computes them."""
    return feats.mean(axis=0), np.cov(feats, rowvar=False)


def frechet_distance(mu1, sigma1, mu2, sigma2) -> float:
    """||mu1 - mu2||^2 + Tr(S1 + S2 - 2 (S1 S2)^(1/2)) -- pytorch-fid's own implementation."""
    from pytorch_fid.fid_score import calculate_frechet_distance

    return float(
        calculate_frechet_distance(
            np.atleast_1d(mu1), np.atleast_2d(sigma1), np.atleast_1d(mu2), np.atleast_2d(sigma2)
        )
    )


_FID_NET = None


def fid(pred: torch.Tensor, target: torch.Tensor) -> float:
    """FID between generated and target images (both
    [-1, 1]); FIDUnavailable without the weights."""
    global _FID_NET
    if _FID_NET is None:
        from .profiles import device

        _FID_NET = inception_network(2048).to(device())
    a = activations(_FID_NET, to_uint8_float(pred))
    b = activations(_FID_NET, to_uint8_float(target))
    return frechet_distance(*gaussian_stats(a), *gaussian_stats(b))


def to_uint8_float(t: torch.Tensor) -> torch.Tensor:
    """The 8-bit-rounded version of ``t`` back in
    [-1, 1] (FID sees the same pixels as the others)."""
    return ((t.detach().float().cpu().clamp(-1, 1) + 1) * 127.5).round() / 127.5 - 1


def image_metrics(pred: torch.Tensor, target: torch.Tensor, fid: bool = True) -> dict:
    """All metrics of a set of predictions (``[N, 3, H, W]`` in [-1, 1]) against the targets.

    ``FID`` is a float when available; otherwise ``None`` with ``FID_note`` giving the reason.
    """
    out = pixel_metrics(to_uint8(pred), to_uint8(target))
    if fid:
        ok, reason = fid_status()
        if ok:
            try:
                out["FID"] = globals()["fid"](pred, target)
            except Exception as e:  # a failed download etc.: report, never invent a number
                out["FID"], out["FID_note"] = None, f"FID failed: {type(e).__name__}: {e}"
        else:
            out["FID"], out["FID_note"] = None, reason
    return out
