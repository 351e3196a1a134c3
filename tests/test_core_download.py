"""Datasets download from their source when missing and are verified file by file.

The download path runs for real: archives built from real files of the team's data directory are
served by a local ``http.server`` on 127.0.0.1 (loopback only), and the registry entry points at it.
"""

import io
import os
import socket
import tarfile
import threading
import zipfile
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from mtbook.core import data, datasets
from mtbook.core.data import DataError
from mtbook.core.datasets import Dataset, Source

_ENV = os.environ.get("MTADAM_DATA")
SHARED = Path(_ENV) if _ENV and (Path(_ENV) / "SHA256SUMS").exists() else None
needs_shared = pytest.mark.skipif(SHARED is None, reason="needs MTADAM_DATA with SHA256SUMS")
FACADE_FILES = ["test/1.jpg", "test/2.jpg", "test/3.jpg", "val/1.jpg"]


def _closed_port():
    with socket.socket() as s:  # bound then closed: connections to it are refused at once
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def dirs(tmp_path, monkeypatch):
    d, c = tmp_path / "data", tmp_path / "cache"
    d.mkdir()
    monkeypatch.setenv("MTADAM_DATA", str(d))
    monkeypatch.setenv("MTADAM_CACHE", str(c))
    monkeypatch.delenv("MTADAM_VERIFY", raising=False)
    return d, c


@pytest.fixture
def server(tmp_path):
    """``(folder, base_url, requested paths)`` of a local HTTP server; shut down afterwards."""
    www = tmp_path / "www"
    www.mkdir()
    requests = []

    class Handler(SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            requests.append(self.path)
            super().do_GET()

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), partial(Handler, directory=str(www)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield www, f"http://127.0.0.1:{httpd.server_address[1]}/", requests
    httpd.shutdown()
    httpd.server_close()
    thread.join()


def _tar(path, members):
    """A .tar.gz at ``path`` holding ``{arcname: bytes}``."""
    with tarfile.open(path, "w:gz") as tar:
        for name, blob in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(blob)
            tar.addfile(info, io.BytesIO(blob))


def _sums_file(tmp_path, name, files):
    path = tmp_path / f"{name}.sha256"
    lines = [f"{data.sha256sum(SHARED / name / rel)}  {rel}" for rel in files]
    path.write_text("# test list\n" + "\n".join(lines) + "\n")
    return path


def _tiny_facades(tmp_path, monkeypatch, url, files=FACADE_FILES):
    """Point the registry's facades entry at ``url`` with a checksum list of ``files``."""
    entry = Dataset(
        "facades",
        (Source(url if isinstance(url, tuple) else (url,), "tar", (("facades", ""),)),),
        "test",
        checksums=_sums_file(tmp_path, "facades", files),
    )
    monkeypatch.setitem(datasets.DATASETS, "facades", entry)
    return entry


def _facades_archive(www, corrupt=None, drop=None):
    members = {
        f"facades/{rel}": (SHARED / "facades" / rel).read_bytes()
        for rel in FACADE_FILES
        if rel != drop
    }
    if corrupt:
        blob = bytearray(members[f"facades/{corrupt}"])
        blob[len(blob) // 2] ^= 0xFF  # same size, one byte changed
        members[f"facades/{corrupt}"] = bytes(blob)
    _tar(www / "facades.tar.gz", members)


def _leftovers(data_folder, cache_folder):
    """Dataset, staging or download folders left behind by a failed install."""
    found = [p for p in data_folder.iterdir() if p.name.startswith(".") or p.name == "facades"]
    found += [
        p for p in (cache_folder / "facades", cache_folder / "downloads" / "facades") if p.exists()
    ]
    return found


@needs_shared
def test_download_unpacks_verifies_and_the_loader_reads_it(dirs, server, tmp_path, monkeypatch):
    d, c = dirs
    www, base, requests = server
    _facades_archive(www)
    dead = f"http://127.0.0.1:{_closed_port()}/facades.tar.gz"  # first mirror unreachable
    _tiny_facades(tmp_path, monkeypatch, (dead, base + "facades.tar.gz"))
    assert data.facades_dir() == d / "facades"
    for rel in FACADE_FILES:
        assert (d / "facades" / rel).read_bytes() == (SHARED / "facades" / rel).read_bytes()
    labels, photos = data.load_facades("test", size=32, limit=3)
    ref = data.load_pairs(SHARED / "facades" / "test", 3, 32)
    assert labels.equal(ref[0]) and photos.equal(ref[1])
    assert not [p for p in d.iterdir() if p.name.startswith(".")]  # no staging folder left
    assert not (c / "downloads" / "facades").exists()  # the archive is not kept
    assert requests == ["/facades.tar.gz"]
    data.facades_dir()
    assert requests == ["/facades.tar.gz"]  # present and verified: not downloaded again


@needs_shared
def test_read_only_data_dir_installs_into_the_cache(dirs, server, tmp_path, monkeypatch):
    d, c = dirs
    www, base, _ = server
    _facades_archive(www)
    _tiny_facades(tmp_path, monkeypatch, base + "facades.tar.gz")
    monkeypatch.setattr(datasets, "_writable", lambda folder: False)
    assert data.dataset_dir("facades") == c / "facades"
    assert not (d / "facades").exists()


@needs_shared
@pytest.mark.parametrize("fault", ["corrupt", "missing"])
def test_a_bad_archive_names_the_file_and_installs_nothing(
    dirs, server, tmp_path, monkeypatch, fault
):
    d, c = dirs
    www, base, _ = server
    _facades_archive(www, **{"corrupt" if fault == "corrupt" else "drop": "test/2.jpg"})
    url = base + "facades.tar.gz"
    _tiny_facades(tmp_path, monkeypatch, url)
    with pytest.raises(DataError, match=fault) as info:
        data.facades_dir()
    msg = str(info.value)
    assert "facades/test/2.jpg" in msg and url in msg and "MTADAM_DATA" in msg
    assert not _leftovers(d, c)  # no dataset folder, no staging folder, no archive


@needs_shared
def test_an_archive_that_is_not_one_is_reported(dirs, server, tmp_path, monkeypatch):
    d, c = dirs
    www, base, _ = server
    (www / "facades.tar.gz").write_bytes(b"<html>moved</html>")
    _tiny_facades(tmp_path, monkeypatch, base + "facades.tar.gz")
    with pytest.raises(DataError, match="not a readable tar archive") as info:
        data.facades_dir()
    assert base + "facades.tar.gz" in str(info.value)
    assert not _leftovers(d, c)


@needs_shared
def test_an_unreachable_url_names_the_url_destination_and_variable(dirs, tmp_path, monkeypatch):
    d, c = dirs
    url = f"http://127.0.0.1:{_closed_port()}/datasets/facades.tar.gz"
    _tiny_facades(tmp_path, monkeypatch, url)
    with pytest.raises(DataError) as info:
        data.facades_dir()
    msg = str(info.value)
    assert url in msg and "MTADAM_DATA" in msg and str(d / "facades") in msg
    assert not _leftovers(d, c)


@needs_shared
def test_a_present_dataset_with_a_corrupt_file_is_reported_not_used(
    dirs, server, tmp_path, monkeypatch
):
    d, _ = dirs
    www, base, requests = server
    _facades_archive(www)
    _tiny_facades(tmp_path, monkeypatch, base + "facades.tar.gz")
    for rel in FACADE_FILES:
        (d / "facades" / rel).parent.mkdir(parents=True, exist_ok=True)
        (d / "facades" / rel).write_bytes((SHARED / "facades" / rel).read_bytes())
    hashed = []
    real_sha = datasets.sha256sum
    monkeypatch.setattr(datasets, "sha256sum", lambda p: hashed.append(p) or real_sha(p))
    assert data.facades_dir() == d / "facades" and len(hashed) == len(FACADE_FILES)
    assert data.facades_dir() == d / "facades" and len(hashed) == len(FACADE_FILES)  # stamp used
    victim = d / "facades" / "val" / "1.jpg"
    blob = bytearray(victim.read_bytes())
    blob[100] ^= 0xFF
    st = victim.stat()
    victim.write_bytes(bytes(blob))  # same size ...
    os.utime(victim, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))  # ... a later mtime
    with pytest.raises(DataError, match=r"val/1\.jpg is corrupt.*not used"):
        data.facades_dir()
    with pytest.raises(DataError, match=r"val/1\.jpg is corrupt"):
        data.load_facades("val", size=32, limit=1)
    with pytest.raises(DataError, match=r"val/1\.jpg is corrupt"):
        data.dataset_dir("facades", full_check=True)
    assert victim.read_bytes() == bytes(blob) and requests == []  # reported, never replaced


@needs_shared
def test_zip_extras_are_kept_unverified_and_unsafe_members_are_refused(
    dirs, server, tmp_path, monkeypatch
):
    d, _ = dirs
    www, base, _ = server
    listed = ["testA/n02381460_1000.jpg", "trainB/n02391049_2.jpg"]
    listed = [rel for rel in listed if (SHARED / "horse2zebra" / rel).exists()]
    assert listed, "expected real horse2zebra files"
    with zipfile.ZipFile(www / "h2z.zip", "w") as zf:
        for rel in listed:
            zf.write(SHARED / "horse2zebra" / rel, f"horse2zebra/{rel}")
        zf.writestr("horse2zebra/trainA/extra.jpg", b"not listed, kept unverified")
    with zipfile.ZipFile(www / "evil.zip", "w") as zf:
        zf.writestr("horse2zebra/../../escaped.jpg", b"x")
    sums = _sums_file(tmp_path, "horse2zebra", listed)
    for archive, ok in (("evil.zip", False), ("h2z.zip", True)):
        entry = Dataset(
            "horse2zebra",
            (Source((base + archive,), "zip", (("horse2zebra", ""),)),),
            "test",
            checksums=sums,
        )
        monkeypatch.setitem(datasets.DATASETS, "horse2zebra", entry)
        if not ok:
            with pytest.raises(DataError, match="unsafe member"):
                data.horse2zebra_dir()
            assert not list(tmp_path.rglob("escaped.jpg")) and not (d / "horse2zebra").exists()
        else:
            folder = data.horse2zebra_dir()
            assert (folder / "trainA" / "extra.jpg").exists()
            assert all((folder / rel).exists() for rel in listed)


@needs_shared
def test_glue_installs_from_task_zips_and_the_mrpc_split(dirs, server, monkeypatch):
    d, _ = dirs
    www, base, _ = server
    glue = SHARED / "glue"
    for task in ("RTE", "STS-B"):
        with zipfile.ZipFile(www / f"{task}.zip", "w") as zf:
            for f in sorted((glue / task).iterdir()):
                zf.write(f, f"{task}/{f.name}")
            zf.writestr(f"{task}/test.tsv", "index\tsentence\n")  # unlabelled: kept, not listed
    for served, rel in (
        ("msr_paraphrase_train.txt", "MRPC/msr_paraphrase_train.txt"),
        ("mrpc_dev_ids.tsv", "MRPC/dev_ids.tsv"),
    ):
        (www / served).write_bytes((glue / rel).read_bytes())
    real = datasets.DATASETS["glue"]
    local = tuple(
        Source((base + s.urls[0].rsplit("/", 1)[1],), s.kind, s.moves) for s in real.sources
    )
    monkeypatch.setitem(datasets.DATASETS, "glue", Dataset("glue", local, real.about, real.build))
    folder = data.glue_dir()  # the repository's own glue.sha256: all nine files verified
    assert folder == d / "glue"
    for rel in ("MRPC/train.tsv", "MRPC/dev.tsv", "RTE/train.tsv", "STS-B/LICENSE.txt"):
        assert (folder / rel).read_bytes() == (glue / rel).read_bytes()


@needs_shared
def test_the_repository_checksum_lists_match_the_team_data_exactly():
    team = {}
    for line in (SHARED / "SHA256SUMS").read_text().splitlines():
        if line.strip():
            digest, name = line.split(maxsplit=1)
            team[name.removeprefix("./")] = digest
    ours = {}
    for name, entry in datasets.DATASETS.items():
        if entry.listing == "archive":
            continue
        for rel, digest in datasets.load_sums(entry.sums_path()).items():
            ours[f"{name}/{rel}"] = digest
    assert ours == {k: v for k, v in team.items() if not k.startswith("MNIST/")}


def test_every_listed_file_has_a_source_and_the_lists_ship_as_package_data():
    root = Path(__file__).resolve().parent.parent
    assert 'mtbook = ["core/checksums/*.sha256"]' in (root / "pyproject.toml").read_text()
    for name, entry in datasets.DATASETS.items():
        if entry.listing == "archive":  # `full`-only: published archive digests instead
            sources = entry.resolve_sources({})
            assert sources and all(len(s.sha256 or "") == 64 for s in sources), name
            assert not entry.sums_path().exists(), name
            continue
        sums = datasets.load_sums(entry.sums_path())
        assert entry.sums_path().parent == datasets.CHECKSUMS_DIR
        built = {"MRPC/train.tsv", "MRPC/dev.tsv"} if entry.build else set()
        for rel in sums:
            if rel not in built:
                url = datasets._urls(entry, sums, rel)
                assert url.startswith(("http://", "https://")) and "," not in url, (name, rel)


# --- `full`-only sets without a copy here (DIV2K, CycleGAN maps): the archive's published digest --


def _archive_dataset(www, base, monkeypatch, name="div2k", digest=None):
    """A two-image stand-in for an archive-listed dataset, served locally; returns its files."""
    files = {f"DIV2K_train_HR/{i:04d}.png": bytes(range(i, i + 64)) * (10 + i) for i in (1, 2)}
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for arc, blob in files.items():
            zf.writestr(arc, blob)
    (www / "DIV2K_train_HR.zip").write_bytes(buf.getvalue())
    import hashlib

    real = hashlib.sha256(buf.getvalue()).hexdigest()
    src = Source(
        (base + "DIV2K_train_HR.zip",), "zip", (("DIV2K_train_HR", "train"),), digest or real
    )
    monkeypatch.setitem(datasets.DATASETS, name, Dataset(name, (src,), "test", listing="archive"))
    return {arc.replace("DIV2K_train_HR/", "train/"): blob for arc, blob in files.items()}


def test_archive_listed_dataset_is_checked_by_its_digest_then_by_the_list_it_wrote(
    dirs, server, monkeypatch
):
    d, c = dirs
    www, base, requests = server
    files = _archive_dataset(www, base, monkeypatch)
    folder = datasets.dataset_dir("div2k")
    assert folder == d / "div2k" and requests == ["/DIV2K_train_HR.zip"]
    for rel, blob in files.items():
        assert (folder / rel).read_bytes() == blob
    listed = datasets.load_sums(folder / datasets.ARCHIVE_LIST)
    assert set(listed) == set(files)
    assert datasets.dataset_dir("div2k") == folder and len(requests) == 1  # no new download
    blob = bytearray((folder / "train/0002.png").read_bytes())
    blob[5] ^= 0xFF
    (folder / "train/0002.png").write_bytes(bytes(blob))
    with pytest.raises(DataError, match=r"0002\.png is corrupt"):
        datasets.dataset_dir("div2k", full_check=True)


def test_archive_with_a_wrong_digest_is_discarded_and_nothing_is_installed(
    dirs, server, monkeypatch
):
    d, c = dirs
    www, base, _ = server
    _archive_dataset(www, base, monkeypatch, digest="0" * 64)
    with pytest.raises(DataError, match="expected 0000"):
        datasets.dataset_dir("div2k")
    assert not (d / "div2k").exists() and not (c / "div2k").exists()
    assert not [p for p in d.iterdir() if p.name.startswith(".")]


def test_a_folder_without_the_written_list_is_not_trusted(dirs, server, monkeypatch):
    d, c = dirs
    www, base, requests = server
    _archive_dataset(www, base, monkeypatch)
    (d / "div2k" / "train").mkdir(parents=True)
    (d / "div2k" / "train" / "0001.png").write_bytes(b"someone else's copy")
    folder = datasets.dataset_dir("div2k")  # downloaded again, into the cache
    assert folder == c / "div2k" and len(requests) == 1
    assert (d / "div2k" / "train" / "0001.png").read_bytes() == b"someone else's copy"
