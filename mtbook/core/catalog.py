"""The dataset registry: every dataset a chapter uses, where its files come from, how it unpacks.

:mod:`mtbook.core.datasets` installs and verifies them (``dataset_dir(name)``); the names here are
importable from there too (``from mtbook.core.datasets import DATASETS, Dataset, Source``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

CHECKSUMS_DIR = Path(__file__).with_name("checksums")


@dataclass(frozen=True)
class Source:
    """One download: ``urls`` are mirrors of the same bytes, tried in order when one is unreachable.

    ``kind`` is ``"tar"``, ``"zip"`` or ``"file"``. ``moves`` maps a path inside the unpacked
    archive to a path inside the dataset folder (``""`` = the folder itself); a ``"file"`` has one
    move, ``("", destination)``.
    """

    urls: tuple[str, ...]
    kind: str
    moves: tuple[tuple[str, str], ...]
    sha256: str | None = None  # the download's published digest, checked before unpacking


@dataclass(frozen=True)
class Dataset:
    """A dataset folder: its sources (a tuple, or a function of the checksum list), an optional
    ``build`` step run on the staging folder after unpacking, and its checksum list.

    ``listing="repository"``: the per-file list is ``checksums/<name>.sha256`` in this repository
    (made from the team's copy). ``listing="archive"``: no copy exists here (the ``full``-only
    sets), so every source carries its archive's *published* sha256, checked before unpacking, and
    the per-file list is written into the dataset folder at install (:data:`ARCHIVE_LIST`) to check
    the unpacked files on every later use.
    """

    name: str
    sources: tuple[Source, ...] | Callable[[dict[str, str]], tuple[Source, ...]]
    about: str
    build: Callable[[Path], None] | None = None
    checksums: Path | None = None
    listing: str = "repository"

    def sums_path(self) -> Path:
        return self.checksums or CHECKSUMS_DIR / f"{self.name}.sha256"

    def resolve_sources(self, sums: dict[str, str]) -> tuple[Source, ...]:
        return self.sources(sums) if callable(self.sources) else self.sources


def _raw(repo: str, commit: str, pairs) -> tuple[Source, ...]:
    """Per-file sources from a GitHub repository pinned to a commit: ``(path in repo, dest)``."""
    base = f"https://raw.githubusercontent.com/{repo}/{commit}/"
    return tuple(Source((base + src,), "file", (("", dest),)) for src, dest in pairs)


def _listed(sums: dict[str, str], folder: str) -> list[str]:
    return sorted(rel.split("/", 1)[1] for rel in sums if rel.startswith(folder + "/"))


# Set5/Set14 (Bevilacqua et al. 2012; Zeyde et al. 2010) and BSD100 (the BSDS300 test images) have
# no single canonical archive whose files match the book's: the originals are BMP/JPEG (BSD100 is
# 481x321). The sources are the public copies the team's files were taken from, pinned to their
# commits, so the bytes are the listed ones (shared/data/MANIFEST.md). Set5/Set14: the colour
# `CSet5`/`CSet14` folders, same file names (uncertain: names taken from the manifest, not checked
# online). BSD100: `data/bsd100/img_001.png`..`img_100.png` (480x320 crops), renamed to their
# Berkeley ids; the source numbers the ids sorted as strings (img_001 -> 101085, ...,
# img_012 -> 12084, ..., img_100 -> 97033).
_DENOISE = ("majedelhelou/denoising_datasets", "58234876fef6f1b56306705c78dfd40cdb837b86")
_DCSCN = ("jiny2001/dcscn-super-resolution", "d382bc30d41c94ac72f8cb148d61cc4864b3b380")
_SRCNN = ("tegg89/SRCNN-Tensorflow", "78be1a24697935fc39a3a8cf59a6632264afade7")


def _sr_sources(sums: dict[str, str]) -> tuple[Source, ...]:
    pairs = [(f"C{s}/{n}", f"{s}/{n}") for s in ("Set5", "Set14") for n in _listed(sums, s)]
    bsd = [
        (f"data/bsd100/img_{i:03d}.png", f"BSD100/{n}")
        for i, n in enumerate(sorted(_listed(sums, "BSD100"), key=lambda n: n[:-4]), 1)
    ]
    return _raw(*_DENOISE, pairs) + _raw(*_DCSCN, bsd)


# T91 (Yang et al. 2010, as distributed with SRCNN): the authors' pages no longer serve the bare
# images, so each file comes from jiny2001's copy, with tegg89's byte-identical `Train/` as mirror.
# BSD200: the canonical BSDS500 release (its train split is BSDS300's); the team's files came from
# the BIDS/BSDS500 mirror of that release (uncertain: assumed byte-identical, not checked online).
_BSR = "eecs.berkeley.edu/Research/Projects/CS/vision/grouping/BSR/BSR_bsds500.tgz"
BSR_URLS = (f"https://www2.{_BSR}", f"http://www.{_BSR}")


def _sr_train_sources(sums: dict[str, str]) -> tuple[Source, ...]:
    t91 = []
    for n in _listed(sums, "T91"):
        urls = (
            f"https://raw.githubusercontent.com/{_DCSCN[0]}/{_DCSCN[1]}/data/yang91/{n}",
            f"https://raw.githubusercontent.com/{_SRCNN[0]}/{_SRCNN[1]}/Train/{n}",
        )
        t91.append(Source(urls, "file", (("", f"T91/{n}"),)))
    bsd = Source(BSR_URLS, "tar", (("BSR/BSDS500/data/images/train", "BSD200"),))
    return tuple(t91) + (bsd,)


# GLUE, as GLUE's download_glue_data.py makes it: RTE and STS-B are the task zips; MRPC is not
# hosted by GLUE (licence), so the script downloads SentEval's tokenized `msr_paraphrase_train.txt`
# and GLUE's `mrpc_dev_ids.tsv` and splits train/dev itself (:func:`split_mrpc`). The two MRPC
# downloads' sha256 equal the ones Hugging Face `datasets` records for these URLs; the task zips
# are assumed to hold the team's bytes (uncertain, not checked online).
GLUE = "https://dl.fbaipublicfiles.com/glue/data/"
SENTEVAL = "https://dl.fbaipublicfiles.com/senteval/senteval_data/"


def split_mrpc(folder: Path) -> None:
    """Write ``MRPC/train.tsv`` and ``MRPC/dev.tsv`` from ``msr_paraphrase_train.txt`` as GLUE does:
    header kept in both, a row goes to dev when its id pair is in ``dev_ids.tsv``, order kept."""
    mrpc = folder / "MRPC"
    with open(mrpc / "dev_ids.tsv", encoding="utf8") as f:
        dev_ids = {tuple(row.strip().split("\t")) for row in f}
    with (
        open(mrpc / "msr_paraphrase_train.txt", encoding="utf8") as src,
        open(mrpc / "train.tsv", "w", encoding="utf8") as train,
        open(mrpc / "dev.tsv", "w", encoding="utf8") as dev,
    ):
        header = src.readline()
        train.write(header)
        dev.write(header)
        for row in src:
            label, id1, id2, s1, s2 = row.strip().split("\t")
            out = dev if (id1, id2) in dev_ids else train
            out.write("\t".join((label, id1, id2, s1, s2)) + "\n")


PIX2PIX = "http://efrosgans.eecs.berkeley.edu/pix2pix/datasets/"
CYCLEGAN = "efrosgans.eecs.berkeley.edu/cyclegan/datasets/"
ARCHIVE_LIST = ".sha256-from-archive"  # the per-file list of a ``listing="archive"`` dataset

# Published archive digests (size in bytes, sha256) for the `full`-only sets, as TensorFlow
# Datasets lists them (tensorflow_datasets/url_checksums/div2k.txt and cycle_gan.txt): the only
# published hashes of these files we know of. CycleGAN's maps.zip is the one TFDS fetched from
# people.eecs.berkeley.edu/~taesung_park, which now redirects to efrosgans.eecs.berkeley.edu.
_DIV2K = "data.vision.ee.ethz.ch/cvl/DIV2K/"
# (sizes: 3530603713, 448993893 and 1476754427 bytes)
DIV2K_TRAIN_SHA256 = "9d0b9c463f6e35b6c62cc6a930ee2224f670b34c1df841a57670f9acf0f6c335"
DIV2K_VALID_SHA256 = "20dd31fd84d777bc1cf5d6b7654a3f569c0aec74458ae094122ad1d0489900fc"
MAPS_CYCLEGAN_SHA256 = "639534f69dbf9f36bef8d6292a7698006361221f83f0285d7c9ca78afe6e8a9e"

DATASETS: dict[str, Dataset] = {
    d.name: d
    for d in (
        Dataset(
            "facades",
            (Source((PIX2PIX + "facades.tar.gz",), "tar", (("facades", ""),)),),
            "pix2pix facades (Isola et al.; CMP Facade Database): {train,val,test}/N.jpg",
        ),
        Dataset(
            "horse2zebra",
            (
                Source(
                    (f"https://{CYCLEGAN}horse2zebra.zip", f"http://{CYCLEGAN}horse2zebra.zip"),
                    "zip",
                    (("horse2zebra", ""),),
                ),
            ),
            "CycleGAN horse2zebra: {trainA,trainB,testA,testB}; the list holds an 80+80 train "
            "subset and the full test sets, the archive's other train images are kept unverified",
        ),
        Dataset(
            "maps_cyclegan",
            (
                Source(
                    (f"https://{CYCLEGAN}maps.zip", f"http://{CYCLEGAN}maps.zip"),
                    "zip",
                    tuple((f"maps/{p}{s}", f"{p}{s}") for p in ("train", "test") for s in "AB"),
                    sha256=MAPS_CYCLEGAN_SHA256,
                ),
            ),
            "CycleGAN maps (Google Maps, NYC): trainA/testA aerial photos, trainB/testB maps, "
            "600x600 JPEGs; `full` only",
            listing="archive",
        ),
        Dataset(
            "div2k",
            (
                Source(
                    (f"https://{_DIV2K}DIV2K_train_HR.zip", f"http://{_DIV2K}DIV2K_train_HR.zip"),
                    "zip",
                    (("DIV2K_train_HR", "train"),),
                    sha256=DIV2K_TRAIN_SHA256,
                ),
                Source(
                    (f"https://{_DIV2K}DIV2K_valid_HR.zip", f"http://{_DIV2K}DIV2K_valid_HR.zip"),
                    "zip",
                    (("DIV2K_valid_HR", "valid"),),
                    sha256=DIV2K_VALID_SHA256,
                ),
            ),
            "DIV2K (Agustsson & Timofte 2017) HR PNGs: train/0001-0800, valid/0801-0900 (2K "
            "resolution); SRGAN's training set at `full`",
            listing="archive",
        ),
        Dataset("sr", _sr_sources, "SR benchmarks Set5, Set14, BSD100 (HR PNG)"),
        Dataset("sr_train", _sr_train_sources, "SR training sets T91 (BMP) and BSD200 (JPEG)"),
        Dataset(
            "glue",
            (
                Source((GLUE + "RTE.zip",), "zip", (("RTE", "RTE"),)),
                Source((GLUE + "STS-B.zip",), "zip", (("STS-B", "STS-B"),)),
                Source(
                    (SENTEVAL + "msr_paraphrase_train.txt",),
                    "file",
                    (("", "MRPC/msr_paraphrase_train.txt"),),
                ),
                Source((GLUE + "mrpc_dev_ids.tsv",), "file", (("", "MRPC/dev_ids.tsv"),)),
            ),
            "GLUE MRPC, RTE, STS-B (train and dev)",
            build=split_mrpc,
        ),
    )
}
