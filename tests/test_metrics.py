"""Image metrics (mtbook.metrics): definitions on known inputs, and the FID code path.

The Frechet-distance tests use pytorch-fid's InceptionV3 built with *random* weights: they check the
code path (features -> Gaussian statistics -> distance), and the values are not FID.
"""

import math

import numpy as np
import pytest
import torch

from mtbook.core import metrics


def _images(n, size=16, seed=0):
    rng = np.random.RandomState(seed)
    return rng.randint(40, 200, size=(n, size, size, 3)).astype(np.uint8)


def test_to_uint8_maps_minus_one_to_zero_and_one_to_255_and_clamps():
    t = torch.tensor([-1.0, 1.0, 0.0, -3.0, 3.0]).view(1, 1, 1, 5)
    u = metrics.to_uint8(t)
    assert u.shape == (1, 1, 5, 1) and u.dtype == np.uint8
    assert u.ravel().tolist() == [0, 255, 128, 0, 255]


def test_pixel_metrics_of_a_constant_offset():
    target = _images(3)
    d = 10
    pred = target + np.uint8(d)
    m = metrics.pixel_metrics(pred, target)
    assert m["L1"] == pytest.approx(d)
    assert m["L2"] == pytest.approx(d * d)
    t = target.astype(np.float64)
    assert m["NMSE"] == pytest.approx(d * d * t.size / (t**2).sum())
    assert m["PSNR"] == pytest.approx(10 * math.log10(255**2 / d**2))
    assert 0 < m["SSIM"] <= 1


def test_identical_images_are_perfect_and_noise_lowers_ssim():
    target = _images(2, size=32)
    same = metrics.pixel_metrics(target.copy(), target)
    assert same["L1"] == 0 and same["L2"] == 0 and same["NMSE"] == 0
    assert same["SSIM"] == pytest.approx(1.0)
    assert same["PSNR"] == math.inf
    rng = np.random.RandomState(1)
    noisy = np.clip(target.astype(int) + rng.randint(-60, 61, size=target.shape), 0, 255).astype(
        np.uint8
    )
    assert metrics.pixel_metrics(noisy, target)["SSIM"] < 0.9


def test_pixel_metrics_reject_mismatched_shapes():
    with pytest.raises(ValueError, match="differs"):
        metrics.pixel_metrics(_images(2), _images(3))


def test_frechet_distance_of_known_gaussians():
    rng = np.random.RandomState(0)
    a = rng.randn(5, 5)
    sigma = a @ a.T + np.eye(5)
    mu = rng.randn(5)
    shift = np.array([1.0, -2.0, 0.5, 0.0, 3.0])
    assert metrics.frechet_distance(mu, sigma, mu, sigma) == pytest.approx(0.0, abs=1e-6)
    assert metrics.frechet_distance(mu, sigma, mu + shift, sigma) == pytest.approx(
        (shift**2).sum(), rel=1e-6
    )
    # diagonal covariances: Tr(S1 + S2 - 2 sqrt(S1 S2)) = sum (s1 - s2)^2 for standard deviations
    # s1, s2
    s1, s2 = np.array([1.0, 2.0, 3.0]), np.array([2.0, 2.0, 1.0])
    expected = ((s1 - s2) ** 2).sum()
    assert metrics.frechet_distance(
        np.zeros(3), np.diag(s1**2), np.zeros(3), np.diag(s2**2)
    ) == pytest.approx(expected)


def test_frechet_distance_on_random_weight_inception_features():
    """pytorch-fid's network, untrained: identical sets ->
    0; features shifted by d -> |d|^2 (not FID)."""
    net = metrics.inception_network(dims=64, random_weights=True)
    g = torch.Generator().manual_seed(0)
    images = torch.rand(80, 3, 24, 24, generator=g) * 2 - 1
    feats = metrics.activations(net, images, batch_size=40)
    assert feats.shape == (80, 64)
    assert np.isfinite(feats).all() and feats.std() > 0
    mu, sigma = metrics.gaussian_stats(feats)
    assert metrics.frechet_distance(mu, sigma, mu, sigma) == pytest.approx(0.0, abs=1e-4)
    d = np.linspace(-1, 1, 64) * feats.std()
    mu2, sigma2 = metrics.gaussian_stats(feats + d)
    assert metrics.frechet_distance(mu, sigma, mu2, sigma2) == pytest.approx((d**2).sum(), rel=1e-3)
    # different images -> a positive distance
    other = metrics.activations(net, torch.rand(80, 3, 24, 24, generator=g) * 0.2, batch_size=40)
    assert metrics.frechet_distance(mu, sigma, *metrics.gaussian_stats(other)) > 0


@pytest.fixture
def no_fid_weights(tmp_path, monkeypatch):
    monkeypatch.delenv(metrics.FID_WEIGHTS_ENV, raising=False)
    monkeypatch.delenv(metrics.FID_DOWNLOAD_ENV, raising=False)
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path / "hub"))
    monkeypatch.setattr(metrics, "_FID_NET", None)


def test_without_weights_fid_is_unavailable_with_a_reason(no_fid_weights):
    ok, reason = metrics.fid_status()
    assert (
        not ok and reason.startswith(metrics.FID_UNAVAILABLE) and metrics.FID_WEIGHTS_FILE in reason
    )
    with pytest.raises(metrics.FIDUnavailable):
        metrics.inception_network()
    x = torch.rand(2, 3, 16, 16) * 2 - 1
    m = metrics.image_metrics(x, x)
    assert m["FID"] is None and m["FID_note"] == reason
    assert m["L1"] == 0


def test_a_bad_weights_path_is_reported(no_fid_weights, monkeypatch, tmp_path):
    monkeypatch.setenv(metrics.FID_WEIGHTS_ENV, str(tmp_path / "missing.pth"))
    ok, reason = metrics.fid_status()
    assert not ok and "missing.pth" in reason


def test_weights_file_is_loaded_into_pytorch_fid_network(no_fid_weights, monkeypatch, tmp_path):
    """A weights file at $MTADAM_FID_WEIGHTS is what
    the network gets (here: a saved random network)."""
    import pytorch_fid.inception as pi

    torch.manual_seed(3)
    with metrics._patched_fid_inception(None):
        src = pi.fid_inception_v3()
    path = tmp_path / metrics.FID_WEIGHTS_FILE
    torch.save(src.state_dict(), path)
    monkeypatch.setenv(metrics.FID_WEIGHTS_ENV, str(path))
    assert metrics.fid_status()[0]
    net = metrics.inception_network(dims=64)
    assert torch.equal(net.blocks[0][0].conv.weight, src.Conv2d_1a_3x3.conv.weight)
