import gzip
import hashlib
import os
import socket

import pytest

from mtbook.core import data
from mtbook.core.data import DataError


def _free_port():
    with socket.socket() as s:  # a port nothing listens on: connections are refused at once
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def dirs(tmp_path, monkeypatch):
    d, c = tmp_path / "data", tmp_path / "cache"
    d.mkdir()
    monkeypatch.setenv("MTADAM_DATA", str(d))
    monkeypatch.setenv("MTADAM_CACHE", str(c))
    return d, c


def test_fetch_returns_verified_existing_file(dirs):
    d, _ = dirs
    (d / "sub").mkdir()
    (d / "sub" / "x.bin").write_bytes(b"hello")
    sha = hashlib.sha256(b"hello").hexdigest()
    assert data.fetch("sub/x.bin", "http://127.0.0.1:1/never-used", sha) == d / "sub" / "x.bin"


def test_checksum_mismatch_is_reported_not_used(dirs):
    d, _ = dirs
    (d / "x.bin").write_bytes(b"hello, but corrupted")
    good = hashlib.sha256(b"hello").hexdigest()
    with pytest.raises(DataError, match=r"x\.bin is corrupt.*expected " + good):
        data.fetch("x.bin", f"http://127.0.0.1:{_free_port()}/x.bin", good)
    assert (d / "x.bin").read_bytes() == b"hello, but corrupted"  # reported, not silently replaced


def test_offline_error_names_file_url_and_variable(dirs):
    url = f"http://127.0.0.1:{_free_port()}/datasets/weights.pth"
    with pytest.raises(DataError) as info:
        data.fetch("models/weights.pth", url, "0" * 64)
    msg = str(info.value)
    assert "weights.pth" in msg and url in msg and "MTADAM_DATA" in msg
    d, c = dirs
    assert not (d / "models" / "weights.pth").exists()
    assert not list(d.rglob("*.part"))  # no half-written file left behind


def test_download_verifies_and_discards_bad_bytes(dirs, tmp_path):
    import threading
    from functools import partial
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    served = tmp_path / "served"
    served.mkdir()
    (served / "f.bin").write_bytes(b"payload")
    handler = partial(SimpleHTTPRequestHandler, directory=str(served))
    handler.log_message = lambda *a: None
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{httpd.server_address[1]}/f.bin"
        with pytest.raises(DataError, match="download was discarded"):
            data.fetch("f.bin", url, hashlib.sha256(b"other").hexdigest())
        d, _ = dirs
        assert not (d / "f.bin").exists()
        path = data.fetch("f.bin", url, hashlib.sha256(b"payload").hexdigest())
        assert path.read_bytes() == b"payload"
    finally:
        httpd.shutdown()


def test_read_only_data_dir_downloads_into_cache(dirs, monkeypatch):
    d, c = dirs
    monkeypatch.setattr(data, "_writable", lambda folder: False)
    calls = []
    monkeypatch.setattr(
        data, "download", lambda url, dest, sha, desc=None: calls.append(dest) or dest
    )
    data.fetch("a/b.bin", "http://example.invalid/b.bin", "0" * 64)
    assert calls == [c / "a" / "b.bin"]


def test_checked_dir_detects_corrupt_and_missing(dirs):
    d, _ = dirs
    (d / "set").mkdir()
    (d / "set" / "1.jpg").write_bytes(b"one")
    (d / "set" / "2.jpg").write_bytes(b"two")
    sums = [
        f"{hashlib.sha256(b).hexdigest()}  ./set/{n}"
        for n, b in (("1.jpg", b"one"), ("2.jpg", b"two"))
    ]
    (d / "SHA256SUMS").write_text("\n".join(sums) + "\n")
    assert data.checked_dir("set") == d / "set"
    (d / "set" / "2.jpg").write_bytes(b"tw0")
    with pytest.raises(DataError, match=r"2\.jpg is corrupt"):
        data.checked_dir("set")
    (d / "set" / "2.jpg").unlink()
    with pytest.raises(DataError, match=r"2\.jpg is missing"):
        data.checked_dir("set")


_DATA = os.environ.get("MTADAM_DATA") or os.path.join(
    os.path.dirname(__file__), "..", "..", "shared", "data"
)
SHARED = os.path.join(_DATA, "MNIST", "raw")


@pytest.mark.skipif(not os.path.isdir(SHARED), reason="needs the shared MNIST files")
def test_mnist_root_is_writable_copy_loadable_by_torchvision(tmp_path, monkeypatch):
    import torchvision

    shared = os.path.abspath(os.path.join(SHARED, "..", ".."))
    monkeypatch.setenv("MTADAM_DATA", shared)
    monkeypatch.setenv("MTADAM_CACHE", str(tmp_path / "cache"))
    root = data.mnist_root()
    assert root.is_relative_to(tmp_path)
    ds = torchvision.datasets.MNIST(root, train=False, download=False)
    assert len(ds) == 10000
    img, label = ds[0]
    assert img.size == (28, 28) and 0 <= label <= 9


def test_mnist_corrupt_source_is_rejected(tmp_path, monkeypatch):
    d = tmp_path / "data" / "MNIST" / "raw"
    d.mkdir(parents=True)
    for name in data.MNIST_FILES:
        with gzip.open(d / name, "wb") as f:
            f.write(b"not mnist")
    monkeypatch.setenv("MTADAM_DATA", str(tmp_path / "data"))
    monkeypatch.setenv("MTADAM_CACHE", str(tmp_path / "cache"))
    with pytest.raises(DataError, match="corrupt"):
        data.mnist_root()
