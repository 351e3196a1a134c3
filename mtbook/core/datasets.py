"""Every dataset a chapter uses: where it comes from, how it unpacks, and ``dataset_dir(name)``.

Each dataset ``<name>`` lives in ``<data dir>/<name>/`` (or ``<cache dir>/<name>/``) and is checked
file by file against ``mtbook/core/checksums/<name>.sha256``, a list kept in the repository (made
from the team's data directory by ``scripts/make_checksums.py``). The archives' own hashes are not
known, so what is verified is every unpacked file. Files an archive holds beyond the list (the full
horse2zebra training sets, GLUE's unlabelled test files, BSDS500's Thumbs.db) are kept but not
verified; every listed file must exist and match.

The ``full``-only sets that no copy of ours exists for (DIV2K, CycleGAN's maps) have
``listing="archive"``: each download is checked against its archive's published sha256 before it is
unpacked, and the per-file list is written into the dataset folder at install
(``.sha256-from-archive``) and checked on every later use as above. A folder without that list
(not installed by this module) is not trusted: the dataset is downloaded again into the cache.

A missing dataset is downloaded (progress bar), unpacked into a hidden staging folder next to its
final place, laid out as below, verified, and only then renamed into place: a corrupt or missing
file raises :class:`~mtbook.core.data.DataError` naming the file, the URL and ``$MTADAM_DATA``, and
leaves nothing half-done. A present dataset with a corrupt file is reported, never used and never
silently replaced.

Verification is cached: a stamp in ``<cache dir>/verified/`` records each verified file's size,
mtime and inode (and the checksum list's hash); a file whose stat still matches is not hashed
again. Trade-off: a file altered in place with its size and mtime kept (deliberately, or by bit rot)
goes unnoticed until the stamp is removed. ``MTADAM_VERIFY=full`` (or ``full_check=True``) hashes
every file on every call.

The registry itself (:data:`DATASETS`, :class:`Dataset`, :class:`Source`) is in
:mod:`mtbook.core.catalog`; this module installs and verifies what it lists.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import tarfile
import tempfile
import zipfile
from dataclasses import replace
from pathlib import Path, PurePosixPath

from .catalog import ARCHIVE_LIST, DATASETS, Dataset, Source
from .catalog import CHECKSUMS_DIR as CHECKSUMS_DIR
from .data import DATA_ENV, DataError, _writable, cache_dir, data_dir, download, sha256sum


def load_sums(path: Path) -> dict[str, str]:
    """``{relative path: sha256}`` from a list of ``sha256  path`` lines (``#`` lines skipped)."""
    sums = {}
    for line in Path(path).read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            digest, rel = line.split(maxsplit=1)
            sums[rel.lstrip("*").removeprefix("./")] = digest.lower()
    if not sums:
        raise DataError(f"{path} lists no files.")
    return sums


def _stamp_path(folder: Path) -> Path:
    key = hashlib.sha256(str(folder.resolve()).encode()).hexdigest()[:16]
    return cache_dir() / "verified" / f"{folder.name}-{key}.json"


def _check(ds: Dataset, folder: Path, sums: dict[str, str], full: bool) -> list[str]:
    """The listed files missing under ``folder``; raises DataError on the first corrupt one.

    Files whose (size, mtime, inode) match the stamp of an earlier check are not hashed again.
    """
    sums_hash = hashlib.sha256(ds.sums_path().read_bytes()).hexdigest()
    stamp_file, old = _stamp_path(folder), {}
    if not full:
        try:
            saved = json.loads(stamp_file.read_text())
            old = saved["files"] if saved.get("sums") == sums_hash else {}
        except (OSError, ValueError, KeyError):
            old = {}
    missing, fresh = [], {}
    try:
        for rel, digest in sums.items():
            path = folder / rel
            try:
                key = _key(path)
            except FileNotFoundError:
                missing.append(rel)
                continue
            if old.get(rel) != key:
                actual = sha256sum(path)
                if actual != digest:
                    raise DataError(
                        f"{path} is corrupt: its sha256 is {actual}, expected {digest} "
                        f"({ds.sums_path().name}). It was not used. Delete {folder} to download "
                        f"{ds.name} again from {_urls(ds, sums, rel)}, or set {DATA_ENV} to a "
                        f"directory holding a good copy of {ds.name}/."
                    )
            fresh[rel] = key
    finally:
        _save_stamp(stamp_file, sums_hash, fresh)
    return missing


def _save_stamp(stamp_file: Path, sums_hash: str, files: dict) -> None:
    try:
        stamp_file.parent.mkdir(parents=True, exist_ok=True)
        stamp_file.write_text(json.dumps({"sums": sums_hash, "files": files}))
    except OSError:
        pass  # a read-only cache only costs re-hashing next time


def _key(path: Path) -> list[int]:
    st = path.stat()
    return [st.st_size, st.st_mtime_ns, st.st_ino]


def _urls(ds: Dataset, sums: dict[str, str], rel: str | None = None) -> str:
    """The URL(s) a listed file comes from (all of the dataset's when it is not known)."""
    sources = ds.resolve_sources(sums)
    if rel is not None:
        for src in sources:
            for _, dest in src.moves:
                if (
                    src.kind == "file"
                    and rel == dest
                    or src.kind != "file"
                    and (dest == "" or rel == dest or rel.startswith(dest + "/"))
                ):
                    return " or ".join(src.urls)
    urls = [u for s in sources for u in s.urls[:1]]
    return ", ".join(urls[:3]) + (f" (and {len(urls) - 3} more)" if len(urls) > 3 else "")


def _safe_unpack(src: Source, url: str, archive: Path, out: Path) -> None:
    """Unpack a tar (``filter="data"``) or zip (member paths checked) archive into ``out``."""
    try:
        if src.kind == "tar":
            with tarfile.open(archive) as tar:
                tar.extractall(out, filter="data")
        else:
            with zipfile.ZipFile(archive) as zf:
                for info in zf.infolist():
                    parts = PurePosixPath(info.filename.replace("\\", "/")).parts
                    link = stat.S_ISLNK(info.external_attr >> 16)
                    if link or not parts or parts[0] == "/" or ".." in parts or ":" in parts[0]:
                        raise DataError(
                            f"{url} holds an unsafe member {info.filename!r}; not used."
                        )
                zf.extractall(out)
    except (tarfile.TarError, zipfile.BadZipFile, OSError, EOFError) as e:
        raise DataError(
            f"{url} is not a readable {src.kind} archive ({e}); it was discarded. "
            f"Set {DATA_ENV} to a directory that holds the dataset instead."
        ) from e


def _place(src: Source, url: str, fetched: Path, staging: Path, work: Path) -> None:
    """Unpack ``fetched`` and move the parts named by ``src.moves`` into ``staging``."""
    if src.kind == "file":
        dest = staging / src.moves[0][1]
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(fetched, dest)
        return
    out = Path(tempfile.mkdtemp(prefix="unpack-", dir=work))
    _safe_unpack(src, url, fetched, out)
    for inner, dest in src.moves:
        part = out / inner
        if not part.exists():
            raise DataError(
                f"{url} holds no {inner!r}: not the expected archive; nothing installed."
            )
        files = [part] if part.is_file() else sorted(p for p in part.rglob("*") if p.is_file())
        for f in files:
            target = staging / dest / f.relative_to(part) if f != part else staging / dest
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(f, target)
    shutil.rmtree(out)


def _install(ds: Dataset, sums: dict[str, str] | None) -> Path:
    """Download, unpack, lay out and verify ``ds`` in a staging folder, then rename it into place.

    The place is ``data_dir()/name`` when the data directory is writable and holds no ``name/``,
    ``cache_dir()/name`` otherwise (an incomplete earlier copy there is swapped out)."""
    free = _writable(data_dir()) and not (data_dir() / ds.name).exists()
    base = data_dir() if free else cache_dir()
    base.mkdir(parents=True, exist_ok=True)
    target = base / ds.name
    work = Path(tempfile.mkdtemp(prefix=f".{ds.name}.partial-", dir=base))
    downloads = cache_dir() / "downloads" / ds.name
    try:
        staging = work / ds.name
        staging.mkdir()
        for i, src in enumerate(ds.resolve_sources(sums)):
            name = PurePosixPath(src.urls[0].split("?")[0]).name
            errors = []
            for url in src.urls:
                try:
                    fetched = download(
                        url, downloads / f"{i:03d}" / name, src.sha256, desc=f"{ds.name}: {name}"
                    )
                    break
                except DataError as e:
                    errors.append(str(e).splitlines()[0])
            else:
                raise DataError(
                    "\n".join(errors) + f"\nThe {ds.name} dataset could not be downloaded to "
                    f"{target}. Offline? Set {DATA_ENV} to a directory holding {ds.name}/ ("
                    + (
                        f"installed by this module: it writes {ARCHIVE_LIST} there"
                        if sums is None
                        else f"the files listed in {ds.sums_path()}"
                    )
                    + ")."
                )
            _place(src, url, fetched, staging, work)
        if ds.build:
            try:
                ds.build(staging)
            except (OSError, ValueError) as e:  # a download that is not what the build expects
                raise DataError(
                    f"Could not lay out {ds.name} from {_urls(ds, sums)} ({e}); "
                    f"nothing was installed. Set {DATA_ENV} to a directory holding "
                    f"a good copy of {ds.name}/."
                ) from e
        if sums is None:  # listing="archive": the archives were verified; list what they held
            sums = _write_archive_list(ds, staging)
        else:
            for rel, digest in sums.items():
                path = staging / rel
                if not path.is_file():
                    raise DataError(
                        f"{ds.name}/{rel} is missing from what {_urls(ds, sums, rel)} "
                        f"unpacked to; nothing was installed. Set {DATA_ENV} to a "
                        f"directory holding a good copy of {ds.name}/."
                    )
                actual = sha256sum(path)
                if actual != digest:
                    raise DataError(
                        f"{ds.name}/{rel} as downloaded from {_urls(ds, sums, rel)} is "
                        f"corrupt: sha256 {actual}, expected {digest}; nothing was "
                        f"installed. Set {DATA_ENV} to a directory holding a good copy."
                    )
        if target.exists():  # an incomplete earlier copy in the cache: swap it out
            os.replace(target, work / "old")
        os.replace(staging, target)
    finally:
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(downloads, ignore_errors=True)
    sums_path = target / ARCHIVE_LIST if ds.listing == "archive" else ds.sums_path()
    sums_hash = hashlib.sha256(sums_path.read_bytes()).hexdigest()
    _save_stamp(_stamp_path(target), sums_hash, {rel: _key(target / rel) for rel in sums})
    return target


def _write_archive_list(ds: Dataset, staging: Path) -> dict[str, str]:
    """Hash every file unpacked into ``staging`` and write the list there (``ARCHIVE_LIST``)."""
    files = sorted(p for p in staging.rglob("*") if p.is_file())
    if not files:
        raise DataError(f"{_urls(ds, {})} unpacked to no files; nothing was installed.")
    sums = {p.relative_to(staging).as_posix(): sha256sum(p) for p in files}
    digests = ", ".join(f"{s.urls[0]} sha256 {s.sha256}" for s in ds.resolve_sources({}))
    lines = [f"# {ds.name}: the files of the verified archive(s) {digests}"]
    lines += [f"{digest}  {rel}" for rel, digest in sums.items()]
    (staging / ARCHIVE_LIST).write_text("\n".join(lines) + "\n")
    return sums


def dataset_dir(name: str, full_check: bool | None = None) -> Path:
    """The folder of dataset ``name``, every listed file present and verified.

    Looks in ``data_dir()/name`` then ``cache_dir()/name``; a complete verified copy is returned.
    A corrupt listed file raises DataError (reported, never used, never replaced). When no complete
    copy exists, the dataset is downloaded and installed (see the module docstring): into the data
    directory when it is writable and holds no ``name/`` yet, into the cache otherwise.
    """
    if name not in DATASETS:
        raise ValueError(f"unknown dataset {name!r}; known: {', '.join(DATASETS)}")
    ds = DATASETS[name]
    if full_check is None:
        full_check = os.environ.get("MTADAM_VERIFY", "").lower() == "full"
    archive = ds.listing == "archive"
    if archive and any(s.sha256 is None for s in ds.resolve_sources({})):
        raise ValueError(f"dataset {name!r} has listing='archive' but a source without sha256")
    sums = None if archive else load_sums(ds.sums_path())
    seen = set()
    for base in (data_dir(), cache_dir()):
        folder = base / name
        if folder.is_dir() and folder.resolve() not in seen:
            seen.add(folder.resolve())
            listed = replace(ds, checksums=folder / ARCHIVE_LIST) if archive else ds
            if archive and not listed.sums_path().is_file():
                continue  # not installed by us: no list to check it against
            if not _check(listed, folder, load_sums(listed.sums_path()), full_check):
                return folder
    return _install(ds, sums)
