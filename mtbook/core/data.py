"""Datasets and weights: one data directory, checksums, clear errors.

Files are looked up under the data directory ``$MTADAM_DATA`` (default: the user cache dir,
``~/.cache/mtadam``). A missing file is downloaded from its canonical public URL with a progress
bar and verified against a known SHA-256; offline, :class:`DataError` names the file, the URL and
the variable to set. A file whose checksum does not match is reported and never used.

The data directory may be read-only (CI and the tests point it at the team's ``shared/data``):
anything that has to be written (downloads when the data dir is not writable, the unpacked MNIST
copy that torchvision wants) goes to the writable cache ``$MTADAM_CACHE`` (default
``~/.cache/mtadam``).

Dataset folders (facades, horse2zebra, the SR sets, GLUE) are verified file by file against
checksum lists kept in the repository and downloaded from their canonical sources when missing:
:func:`dataset_dir` (the registry and the install procedure are in :mod:`mtbook.core.datasets`).
The pix2pix pair loaders (:func:`load_facades`, :func:`load_maps`, :func:`load_pairs`) live in
:mod:`mtbook.core.images` and are importable from here.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import shutil
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

from . import images as _images

DATA_ENV = "MTADAM_DATA"
CACHE_ENV = "MTADAM_CACHE"

# The pix2pix pair sets live in mtbook.core.images; their names are importable from here as before.
FACADES_URL, FACADES_SPLITS = _images.FACADES_URL, _images.FACADES_SPLITS
MAPS_URL, MAPS_SPLITS = _images.MAPS_URL, _images.MAPS_SPLITS
facades_dir, load_facades, load_pairs = (
    _images.facades_dir,
    _images.load_facades,
    _images.load_pairs,
)
maps_dir, load_maps = _images.maps_dir, _images.load_maps


class DataError(RuntimeError):
    """A data file is missing, cannot be downloaded, or fails its checksum."""


def _user_cache() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base).expanduser() / "mtadam"


def data_dir() -> Path:
    """``$MTADAM_DATA`` or ``~/.cache/mtadam`` (where datasets are looked up first)."""
    value = os.environ.get(DATA_ENV)
    return Path(value).expanduser().resolve() if value else _user_cache()


def cache_dir() -> Path:
    """A writable directory: ``$MTADAM_CACHE`` or ``~/.cache/mtadam`` (created)."""
    value = os.environ.get(CACHE_ENV)
    path = Path(value).expanduser() if value else _user_cache()
    path.mkdir(parents=True, exist_ok=True)
    return path


def sha256sum(path: Path | str, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(chunk), b""):
            h.update(block)
    return h.hexdigest()


def verify(path: Path | str, sha256: str) -> Path:
    """Return ``path`` if its SHA-256 is ``sha256``;
    raise DataError saying it is corrupt otherwise."""
    path = Path(path)
    actual = sha256sum(path)
    if actual != sha256.lower():
        raise DataError(
            f"{path} is corrupt: its sha256 is {actual}, expected {sha256}. "
            f"It was not used. Delete it (or replace it with a good copy) and run again."
        )
    return path


def _writable(folder: Path) -> bool:
    probe = folder
    while not probe.exists():
        probe = probe.parent
    return os.access(probe, os.W_OK)


def download(url: str, dest: Path, sha256: str | None = None, desc: str | None = None) -> Path:
    """Download ``url`` to ``dest`` with a tqdm progress bar; verify; atomic rename.

    Raises DataError naming the file, the URL and ``$MTADAM_DATA`` when the download fails.
    """
    from tqdm import tqdm

    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=dest.name + ".", suffix=".part", dir=dest.parent)
    try:
        try:
            req = urllib.request.Request(url, headers={"User-Agent": "mtadam-book"})
            with urllib.request.urlopen(req, timeout=60) as resp, os.fdopen(fd, "wb") as out:
                total = int(resp.headers.get("Content-Length") or 0) or None
                with tqdm(total=total, unit="B", unit_scale=True, desc=desc or dest.name) as bar:
                    for block in iter(lambda: resp.read(1 << 16), b""):
                        out.write(block)
                        bar.update(len(block))
        except (urllib.error.URLError, OSError, ValueError) as e:
            reason = getattr(e, "reason", e)
            raise DataError(
                f"Could not download {dest.name} from {url} ({reason}).\n"
                f"Offline? Put the file at {dest}"
                + (f" (sha256 {sha256})" if sha256 else "")
                + f", or set the environment variable {DATA_ENV} to a directory that already "
                "holds it."
            ) from e
        if sha256:
            actual = sha256sum(tmp)
            if actual != sha256.lower():
                raise DataError(
                    f"Downloaded {dest.name} from {url}, but its sha256 is {actual}, "
                    f"expected {sha256}; "
                    f"the download was discarded."
                )
        os.replace(tmp, dest)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return dest


def fetch(relpath: str, url: str, sha256: str) -> Path:
    """The verified local path of ``relpath`` (relative to the data directory).

    Looks in ``data_dir()`` then in ``cache_dir()``; downloads from ``url`` when missing (into the
    data dir if writable, else into the cache). A present file with a wrong checksum raises
    DataError (reported, never used, never silently replaced).
    """
    rel = Path(relpath)
    if rel.is_absolute() or ".." in rel.parts:
        raise ValueError(f"relpath must be relative to the data directory, got {relpath!r}")
    candidates = [data_dir() / rel]
    cache = (
        _user_cache() if not os.environ.get(CACHE_ENV) else Path(os.environ[CACHE_ENV]).expanduser()
    )
    if cache / rel != candidates[0]:
        candidates.append(cache / rel)
    for path in candidates:
        if path.exists():
            return verify(path, sha256)
    target = candidates[0] if _writable(candidates[0].parent) else cache_dir() / rel
    return download(url, target, sha256, desc=str(rel))


# --- MNIST --------------------------------------------------------------------------------------
# The canonical files (LeCun, Cortes, Burges), as torchvision downloads them. md5s are the canonical
# ones torchvision checks; sha256s of the same bytes (shared/data/SHA256SUMS).
MNIST_MIRROR = "https://ossci-datasets.s3.amazonaws.com/mnist/"
MNIST_FILES = {
    # name: (sha256 of the .gz, md5 of the .gz, md5 of the gunzipped file)
    "train-images-idx3-ubyte.gz": (
        "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
        "f68b3c2dcbeaaa9fbdd348bbdeb94873",
        "6bbc9ace898e44ae57da46a324031adb",
    ),
    "train-labels-idx1-ubyte.gz": (
        "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
        "d53e105ee54ea40749a09fcbcd1e9432",
        "a25bea736e30d166cdddb491f175f624",
    ),
    "t10k-images-idx3-ubyte.gz": (
        "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
        "9fb629c4189551a2d022fa330f9573f3",
        "2646ac647ad5339dbf082846283269ea",
    ),
    "t10k-labels-idx1-ubyte.gz": (
        "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
        "ec29112dd5afa0611ce80d1b7f02629c",
        "27ae3e4e09519cfbb04c329615203637",
    ),
}


def _md5(path: Path) -> str:
    h = hashlib.md5()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def mnist_root() -> Path:
    """A writable root holding ``MNIST/raw`` (the four .gz files and their unpacked copies).

    The .gz files come from ``$MTADAM_DATA/MNIST/raw`` (downloaded if missing) and are verified
    by SHA-256; they are copied into ``$MTADAM_CACHE/mnist`` and unpacked there, so that
    ``torchvision.datasets.MNIST(mnist_root(), download=False)`` works even when the data
    directory is read-only.
    """
    root = cache_dir() / "mnist"
    raw = root / "MNIST" / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    for name, (sha, _md5_gz, md5_raw) in MNIST_FILES.items():
        src = fetch(f"MNIST/raw/{name}", MNIST_MIRROR + name, sha)
        dst = raw / name
        if dst.resolve() != src.resolve():
            if not dst.exists() or sha256sum(dst) != sha:
                shutil.copyfile(src, dst.with_suffix(".gz.tmp"))
                os.replace(dst.with_suffix(".gz.tmp"), dst)
        unpacked = raw / name[: -len(".gz")]
        if not unpacked.exists() or _md5(unpacked) != md5_raw:
            tmp = unpacked.with_suffix(".tmp")
            with gzip.open(dst, "rb") as fin, open(tmp, "wb") as fout:
                shutil.copyfileobj(fin, fout)
            if _md5(tmp) != md5_raw:
                tmp.unlink()
                raise DataError(
                    f"{dst} unpacks to data with the wrong md5 (expected {md5_raw}); not used."
                )
            os.replace(tmp, unpacked)
    return root


# --- verified dataset folders (pix2pix facades, horse2zebra, SR sets, GLUE) ----------------------
# Each is downloaded from its canonical source when missing and verified file by file against the
# checksum list kept in the repository (mtbook/core/checksums/); see mtbook.core.datasets.


def dataset_dir(name: str, full_check: bool | None = None) -> Path:
    """The verified folder of a registered dataset, downloaded when missing
    (:func:`mtbook.core.datasets.dataset_dir`)."""
    from .datasets import dataset_dir as _dataset_dir

    return _dataset_dir(name, full_check)


def checked_dir(relpath: str, sums_file: str = "SHA256SUMS") -> Path:
    """A verified folder. A registered dataset name (``"facades"``, ``"glue"``, ...) goes through
    :func:`dataset_dir` (the repository's checksums; downloaded when missing). Any other
    ``relpath`` is ``data_dir()/relpath`` checked against the files listed for it in
    ``data_dir()/sums_file``; DataError names the first missing or corrupt file.
    """
    from .datasets import DATASETS

    if relpath.strip("/") in DATASETS and sums_file == "SHA256SUMS":
        return dataset_dir(relpath.strip("/"))
    base = data_dir()
    folder = base / relpath
    sums = base / sums_file
    if not folder.is_dir():
        raise DataError(
            f"{folder} does not exist. Set {DATA_ENV} to a data directory that holds {relpath}/."
        )
    if not sums.exists():
        raise DataError(f"{sums} is missing, so the files under {folder} cannot be verified.")
    prefix = relpath.strip("/") + "/"
    listed = 0
    for line in sums.read_text().splitlines():
        if not line.strip():
            continue
        digest, name = line.split(maxsplit=1)
        name = name.lstrip("*").removeprefix("./")
        if name.startswith(prefix):
            path = base / name
            if not path.exists():
                raise DataError(f"{path} is missing (listed in {sums}).")
            verify(path, digest)
            listed += 1
    if not listed:
        raise DataError(f"{sums} lists no files under {relpath}/; cannot verify {folder}.")
    return folder


def horse2zebra_dir() -> Path:
    """CycleGAN horse2zebra: ``trainA``, ``trainB``, ``testA``, ``testB`` (256x256 JPEGs; one trainB
    file is grayscale, so convert to RGB when loading)."""
    return dataset_dir("horse2zebra")


def sr_dir() -> Path:
    """SR benchmarks, HR PNGs: ``Set5/``, ``Set14/``, ``BSD100/`` (480x320 crops, Berkeley ids)."""
    return dataset_dir("sr")


def sr_train_dir() -> Path:
    """SR training sets: ``T91/`` (91 BMPs) and ``BSD200/`` (200 BSDS500 train JPEGs)."""
    return dataset_dir("sr_train")


def div2k_dir() -> Path:
    """DIV2K HR: ``train/0001.png``..``0800.png`` and ``valid/0801.png``..``0900.png`` (about 2K
    px; downloaded at ``full``, 4 GB, checked against the archives' published sha256)."""
    return dataset_dir("div2k")


def maps_cyclegan_dir() -> Path:
    """CycleGAN maps: ``trainA``/``testA`` aerial photos, ``trainB``/``testB`` maps (600x600 JPEGs;
    downloaded at ``full``, 1.5 GB, checked against the archive's published sha256)."""
    return dataset_dir("maps_cyclegan")


def glue_dir() -> Path:
    """GLUE ``MRPC/``, ``RTE/``, ``STS-B/`` with ``train.tsv`` and ``dev.tsv`` (tab-separated, read
    with quoting off)."""
    return dataset_dir("glue")
