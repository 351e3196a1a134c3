"""The pix2pix image-pair sets (facades, maps): folders and loaders of side-by-side pairs.

Every file of these sets is a ``2h x h`` JPEG holding two images side by side (A left, B right);
:func:`load_pairs` cuts, resizes and scales them to float tensors in [-1, 1]. The folders come from
:mod:`mtbook.core.data` (download, checksums, clear errors); every name here is also importable
from there (``from mtbook.core.data import load_facades``), as it always was.
"""

from __future__ import annotations

from pathlib import Path

# --- pix2pix facades ---------------------------------------------------------------------------
# The pix2pix authors' facades set (Isola et al., from the CMP Facade Database, Tylecek and Sara):
# every file is a 512x256 JPEG, photo on the left half, colour label map on the right half, so the
# labels -> photo task reads the right half (B) and predicts the left half (A): direction "BtoA".
FACADES_URL = "http://efrosgans.eecs.berkeley.edu/pix2pix/datasets/facades.tar.gz"
FACADES_SPLITS = {"train": 400, "val": 100, "test": 106}


def facades_dir() -> Path:
    """The verified facades folder (``train/``, ``val/``, ``test/``), downloaded from
    :data:`FACADES_URL` when missing; a corrupt file raises DataError."""
    from .data import dataset_dir

    return dataset_dir("facades")


def load_facades(split: str, size: int = 256, limit: int | None = None, direction: str = "BtoA"):
    """``(inputs, targets)`` of one facades split as float tensors ``[N, 3, size, size]`` in
    [-1, 1].

    ``direction="BtoA"`` (labels -> photo, the paper's task): input = right half (label map),
    target = left half (photo); ``"AtoB"`` swaps them. Each half is resized to ``size`` (bicubic, as
    pix2pix does). ``limit`` keeps the first ``limit`` files in numeric order (1.jpg, 2.jpg, ...).
    """
    if split not in FACADES_SPLITS:
        raise ValueError(f"unknown facades split {split!r}; use one of {', '.join(FACADES_SPLITS)}")
    n = FACADES_SPLITS[split] if limit is None else min(int(limit), FACADES_SPLITS[split])
    return load_pairs(facades_dir() / split, n, size, direction)


def load_pairs(folder: Path, n: int, size: int = 256, direction: str = "BtoA"):
    """``(inputs, targets)`` from ``folder/1.jpg`` .. ``folder/n.jpg`` (pix2pix side-by-side
    pairs, A left)."""
    import numpy as np
    import torch
    from PIL import Image

    from .data import DataError

    if direction not in ("BtoA", "AtoB"):
        raise ValueError(
            "direction must be 'BtoA' (B = right half -> A = left half) or 'AtoB', "
            f"got {direction!r}"
        )
    if int(size) < 8:
        raise ValueError(f"image size must be at least 8 pixels, got {size}")
    photos, labels = [], []
    for k in range(1, n + 1):
        path = Path(folder) / f"{k}.jpg"
        if not path.exists():
            raise DataError(f"{path} is missing")
        with Image.open(path) as im:
            im = im.convert("RGB")
            w, h = im.size
            if w != 2 * h:
                raise DataError(
                    f"{path} is {w}x{h}; a pix2pix pair must be twice as wide as it is high."
                )
            halves = [im.crop((0, 0, h, h)), im.crop((h, 0, w, h))]
            a, b = [
                np.asarray(x.resize((size, size), Image.BICUBIC), dtype=np.float32) for x in halves
            ]
        photos.append(a)
        labels.append(b)

    def to_tensor(arrays):
        t = torch.from_numpy(np.stack(arrays)).permute(0, 3, 1, 2).contiguous()
        return t / 127.5 - 1.0

    a, b = to_tensor(photos), to_tensor(labels)
    return (b, a) if direction == "BtoA" else (a, b)


# --- pix2pix maps (maps <-> aerial photos): `full` profile only, downloaded on demand ------------
# Not in the team's data directory and with no published checksum: the archive is downloaded from
# the pix2pix authors' server, unpacked into the cache, and checked for the published file counts
# (train 1096, val 1098 pairs, aerial photo left = A, map right = B; maps -> aerial is "BtoA").
MAPS_URL = "http://efrosgans.eecs.berkeley.edu/pix2pix/datasets/maps.tar.gz"
MAPS_SPLITS = {"train": 1096, "val": 1098}


def maps_dir() -> Path:
    """``<data or cache dir>/maps`` with ``train/`` and ``val/``; downloaded and unpacked when
    missing.

    Raises DataError (naming the URL and ``$MTADAM_DATA``) offline, or when a split does not hold
    the expected number of images (a truncated or different archive is reported, not used).
    """
    import tarfile

    from .data import DataError, cache_dir, data_dir, download

    for base in (data_dir(), cache_dir()):
        folder = base / "maps"
        if all((folder / s).is_dir() for s in MAPS_SPLITS):
            break
    else:
        archive = download(MAPS_URL, cache_dir() / "maps.tar.gz", None, desc="maps.tar.gz")
        with tarfile.open(archive) as tar:
            tar.extractall(cache_dir(), filter="data")
        folder = cache_dir() / "maps"
    for split, expected in MAPS_SPLITS.items():
        found = len(list((folder / split).glob("*.jpg")))
        if found != expected:
            raise DataError(
                f"{folder / split} holds {found} images, expected {expected} "
                f"(the pix2pix maps set from {MAPS_URL}); delete it and download again."
            )
    return folder


def load_maps(split: str, size: int = 256, limit: int | None = None, direction: str = "BtoA"):
    """Like :func:`load_facades` for the maps set (``"BtoA"``: map -> aerial photo); ``"test"`` =
    ``"val"`` (pix2pix evaluates maps on its val split, the archive has no test split)."""
    split = "val" if split == "test" else split
    if split not in MAPS_SPLITS:
        raise ValueError(f"unknown maps split {split!r}; use one of {', '.join(MAPS_SPLITS)}")
    n = MAPS_SPLITS[split] if limit is None else min(int(limit), MAPS_SPLITS[split])
    return load_pairs(maps_dir() / split, n, size, direction)
