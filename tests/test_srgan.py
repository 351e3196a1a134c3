"""SRGAN (mtbook.gan.nets_srgan, mtbook.experiments.srgan): networks, data, metrics, the
motivation's gradient rescaling, the VGG path offline, the smoke grids, and a full-size dry run
on real images."""

import json
import urllib.error

import numpy as np
import pytest
import torch

from mtbook.experiments import srgan as S
from mtbook.experiments.srgan import model as M
from mtbook.gan.nets_srgan import SRDiscriminator, SRResNet, n_params, output_size


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def test_srresnet_is_x4_with_two_pixel_shuffles_and_srgan_size():
    G = SRResNet(n_blocks=16, nf=64)
    assert sum(isinstance(m, torch.nn.PixelShuffle) for m in G.modules()) == 2
    assert output_size(SRResNet(n_blocks=2, nf=8), 24) == 96
    # SRGAN's generator: 16 residual blocks of 64 channels, about 1.55 M parameters
    assert 1.50e6 < n_params(G) < 1.60e6
    with pytest.raises(ValueError, match="scale"):
        SRResNet(scale=3)


def test_discriminator_logit_and_eight_feature_maps():
    D = SRDiscriminator(ndf=4, dense=16)
    logit, feats = D(torch.randn(2, 3, 96, 96), features=True)
    assert logit.shape == (2, 1) and len(feats) == 8
    assert feats[-1].shape[-1] == 6  # 96 px -> four stride-2 convs -> 6x6, SRGAN's dense input
    assert D(torch.randn(2, 3, 32, 32)).shape == (2, 1)  # other sizes through the adaptive pool


def test_downscale_is_x4_and_rejects_non_multiples():
    hr = torch.full((1, 3, 16, 20), 200, dtype=torch.uint8)
    lr = M.downscale(hr)
    assert lr.shape == (1, 3, 4, 5) and lr.dtype == torch.uint8
    assert (lr == 200).all() and (M.bicubic_up(lr) == 200).all()  # a flat image stays flat
    with pytest.raises(ValueError, match="multiple"):
        M.downscale(torch.zeros(1, 3, 15, 16, dtype=torch.uint8))


def test_y_channel_psnr_ssim_as_srgan():
    white = torch.full((3, 8, 8), 255, dtype=torch.uint8)
    assert np.allclose(M.luma(white), 235.0) and np.allclose(M.luma(torch.zeros_like(white)), 16.0)
    g = torch.Generator().manual_seed(0)
    a = torch.randint(0, 256, (3, 32, 32), generator=g, dtype=torch.uint8)
    b = a.clone()
    b[:, :4] = 0  # a change inside the 4-px border only
    psnr, ssim = M.psnr_ssim_y(b, a)
    assert psnr == float("inf") and ssim == pytest.approx(1.0)
    assert M.psnr_ssim_y(b, a, shave=0)[0] < 30
    # a uniform error of d in Y (R = G = B shifted by k): PSNR = 10 log10(255^2 / d^2)
    c = (a.int() + 10).clamp(max=255).to(torch.uint8)
    a2 = a.clamp(max=245)
    c2 = a2 + 10
    d = 10 * (65.481 + 128.553 + 24.966) / 255
    assert M.psnr_ssim_y(c2, a2)[0] == pytest.approx(10 * np.log10(255**2 / d**2), abs=1e-6)
    assert c.shape == a.shape


def test_rescaled_term_has_the_reference_gradient_norm_per_tensor():
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.Tanh(), torch.nn.Linear(3, 1))
    params = list(net.parameters())
    x = torch.randn(8, 4)
    term = (net(x) ** 2).mean() * 100
    ref = net(x).abs().mean() * 1e-3
    out = M.rescaled(term, ref, params)
    assert float(out.detach()) == pytest.approx(float(term.detach()))
    g_out = torch.autograd.grad(out, params, retain_graph=True)
    g_term = torch.autograd.grad(term, params, retain_graph=True)
    g_ref = torch.autograd.grad(ref, params)
    for a, t, r in zip(g_out, g_term, g_ref):
        assert float(a.norm()) == pytest.approx(float(r.norm()), rel=1e-5)
        cos = float((a * t).sum() / (a.norm() * t.norm()))
        assert cos == pytest.approx(1.0, abs=1e-5)  # same direction as the term's own gradient


def test_feature_matching_is_zero_on_identical_and_setup_rejects_unknown_terms():
    D = SRDiscriminator(ndf=4, dense=8)
    x = torch.randn(2, 3, 32, 32)
    _, f = D(x, features=True)
    assert float(M.DFeatureMatching()(f, f).detach()) == 0.0
    G = SRResNet(n_blocks=1, nf=4)
    with pytest.raises(ValueError, match="unknown SRGAN terms"):
        M.make_setup(
            G, D, M.DFeatureMatching(), dict(train=[]), S.config("smoke"), terms=["MSE", "L1"]
        )
    with pytest.raises(ValueError, match="perceptual"):
        M.build_perceptual(dict(perceptual="vgg16"))


def test_vgg_path_fails_clearly_offline(monkeypatch, tmp_path):
    import torchvision.models._api as api

    def no_network(*a, **k):
        raise urllib.error.URLError("no network")

    monkeypatch.setattr(api, "load_state_dict_from_url", no_network)
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    with pytest.raises(
        RuntimeError, match="VGG19 ImageNet weights unavailable.*vgg19-dcbb9e9d.pth"
    ):
        M.VGGLoss()


def test_smoke_grids_write_records_with_the_perceptual_label(tmp_path, monkeypatch):
    monkeypatch.setenv("MTADAM_RESULTS", str(tmp_path / "results"))
    recs = S.run_all("smoke", verbose=False)
    methods = [r["method"] for r in recs]
    assert methods[0] == "bicubic" and set(S.METHODS) <= set(methods)
    assert all("D-feature-matching" in r["config"]["perceptual_loss"] for r in recs)
    # the bicubic record is the bicubic upsampling, scored independently here
    cfg = S.config("smoke")
    t = M.load_test("Set14", cfg)
    ours = M.set_metrics([M.bicubic_up(x[None])[0] for x in t["lr"]], t["hr"])
    assert recs[0]["metrics"]["Set14_PSNR"] == pytest.approx(ours["PSNR"])
    mt = next(r for r in recs if r["method"] == "mtadam_equal")
    ew = np.asarray(mt["curves"]["ew"])
    assert ew.shape[1] == 3 and ew.shape[2] == len(mt["curves"]["layer_names"])
    md = S.table_markdown(recs, "smoke")
    assert "(sic)" in md and "D-feature-matching" in md and "bicubic" in md
    # a second call reuses the records (no retraining: the files are not rewritten)
    path = tmp_path / "results" / "smoke" / "srgan" / "adam_equal__seed0.json"
    stamp = json.loads(path.read_text())["timestamp"]
    S.run_all("smoke", methods=["adam_equal"], verbose=False)
    assert json.loads(path.read_text())["timestamp"] == stamp
    assert [r["_path"] for r in S.run_all("smoke", stored_only=True)] == [r["_path"] for r in recs]
    mot = S.run_motivation("smoke", verbose=False)
    assert {r["method"] for r in mot} == set(S.MOTIVATION_RUNS)
    assert all(len(r["curves"]["val"]) == cfg["epochs"] for r in mot)
    assert "rescaled" in S.motivation_table(mot)


def test_full_config_dry_run_on_two_real_images(tmp_path, monkeypatch):
    """The ``full`` sizes (16 x 64 SRResNet, ndf 64 discriminator, VGG19 to conv5_4, 96 px crops):
    two generator steps and one evaluation on the CPU, on two real training images read through
    the DIV2K path (a folder laid out as DIV2K's ``train/NNNN.png`` holding two BSD200 images:
    DIV2K itself is a 3.5 GB download). The VGG here has random weights (no download offline):
    this checks shapes and the code path, never a number."""
    from PIL import Image

    from mtbook.core import data as D

    src = M.train_files(dict(train_set="sr_train"))
    div2k = tmp_path / "div2k"
    (div2k / "train").mkdir(parents=True)
    for i, f in enumerate(src[-2:], 1):  # two BSD200 images (481 x 321)
        Image.open(f).save(div2k / "train" / f"{i:04d}.png")
    monkeypatch.setattr(D, "div2k_dir", lambda: div2k)
    cfg = S.config("full")
    assert cfg["train_set"] == "div2k"
    assert [f.name for f in M.train_files(cfg)] == ["0001.png", "0002.png"]
    assert (cfg["n_blocks"], cfg["nf"], cfg["ndf"], cfg["lr_size"], cfg["perceptual"]) == (
        16,
        64,
        64,
        24,
        "vgg19",
    )
    cfg.update(
        train_limit=2,
        test_limit=1,
        batch_size=2,
        steps_per_epoch=2,
        epochs=1,
        epochs_decay=0,
        log_every=1,
        fid=False,
    )
    data = dict(train=M.load_train(cfg), Set5=M.load_test("Set5", cfg))
    assert len(data["train"]) == 2 and data["train"][0].shape[1:] == (321, 481)
    perc = M.VGGLoss(random_weights=True)
    assert perc.phi(torch.zeros(1, 3, 96, 96)).shape == (1, 512, 6, 6)
    res = S.train_one(
        "mtadam", S.EQUAL, cfg, data, seed=0, ckpt_dir=None, perc=perc, final_sets=("Set5",)
    )
    assert res["metrics"]["steps"] == 2 and not res["metrics"]["diverged"]
    assert 0 < res["metrics"]["Set5_SSIM"] <= 1 and np.isfinite(res["metrics"]["Set5_PSNR"])
    assert len(res["curves"]["val"]) == 1


def test_fid_path_takes_images_of_different_sizes(monkeypatch):
    """FID at ``full``: one image at a time through the feature network, then pytorch-fid's distance
    (a tiny stand-in network here: the FID weights are not available offline; not an FID)."""
    from mtbook.experiments.srgan import run as R

    class Pool(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.w = torch.nn.Parameter(torch.randn(4, 3, 3, 3))

        def forward(self, x):
            return [torch.nn.functional.conv2d(x, self.w).mean((2, 3), keepdim=True)]

    torch.manual_seed(0)
    net = Pool()
    monkeypatch.setattr(R, "inception_network", lambda dims: net)
    g = torch.Generator().manual_seed(0)
    imgs = [
        torch.randint(0, 256, (3, 16 + 4 * i, 20), generator=g, dtype=torch.uint8) for i in range(6)
    ]
    assert R.fid_of(imgs, imgs) == pytest.approx(0.0, abs=1e-6)
    assert R.fid_of(imgs, [255 - x for x in imgs]) > 1e-3  # 0.043 with these weights


def test_stored_only_never_trains(tmp_path, monkeypatch):
    monkeypatch.setenv("MTADAM_RESULTS", str(tmp_path / "results"))
    assert S.run_all("smoke", stored_only=True) == []
    assert S.run_motivation("smoke", stored_only=True) == []
    assert not (tmp_path / "results").exists()


def test_train_set_names_are_checked():
    with pytest.raises(ValueError, match="unknown train_set 'imagenet'"):
        M.train_files(dict(train_set="imagenet"))
