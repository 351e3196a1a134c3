"""CycleGAN (mtbook.gan.nets_cyclegan, mtbook.experiments.cyclegan): networks, image pool, the six
terms, the metrics of an unpaired task, exact resume, the smoke table, and a full-size dry run."""

import copy

import numpy as np
import pytest
import torch
import torch.nn as nn

from mtbook import gan
from mtbook.core.data import horse2zebra_dir
from mtbook.experiments import cyclegan as C
from mtbook.experiments.cyclegan import claims
from mtbook.gan import nets_cyclegan as nets


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def tiny_cfg(**kw):
    cfg = dict(C.CONFIG["smoke"])
    cfg.update(kw)
    return cfg


def tiny_data(n=6, size=32, seed=0):
    g = torch.Generator().manual_seed(seed)
    a = torch.rand(n, 3, size, size, generator=g) * 2 - 1
    b = torch.tanh(a.flip(1) * 1.5)
    return {"train": (a, b), "val": (a[:2], b[:2]), "test": (a[:4], b[:3])}


# --------------------------------------------------------------------------------------- networks


def test_resnet_generator_shapes_and_cyclegan_parameter_counts():
    G = nets.ResnetGenerator(ngf=8, n_blocks=2).eval()
    out = G(torch.randn(2, 3, 64, 64))
    assert out.shape == (2, 3, 64, 64) and out.abs().max() <= 1
    with pytest.raises(ValueError, match="divisible by 4"):
        G(torch.randn(1, 3, 62, 62))
    # CycleGAN's own printout: G (resnet_9blocks) 11.378 M, D (basic, n_layers 3) 2.765 M parameters
    full = C.config("full")
    models = C.build_models(full, 0)
    assert round(sum(p.numel() for p in models["G_A"].parameters()) / 1e6, 3) == 11.378
    assert round(sum(p.numel() for p in models["D_A"].parameters()) / 1e6, 3) == 2.765
    assert not any(isinstance(m, nn.BatchNorm2d) for m in models["D_A"].modules())
    assert any(isinstance(m, nn.ReflectionPad2d) for m in models["G_A"].modules())


def test_patchgan_in_has_a_30x30_grid_and_the_70px_patchgan_geometry():
    """Instance norm makes every logit depend on the whole image (its statistics), so the 70x70
    receptive field is checked on the convolutions: the same stack as pix2pix's PatchGAN (whose
    test measures 70 px), with instance norm in place of BatchNorm and the biases kept."""
    from mtbook.gan.nets_pix2pix import PatchDiscriminator

    D = nets.PatchDiscriminatorIN(ndf=8, n_layers=3).eval()
    assert D(torch.randn(1, 3, 256, 256)).shape == (1, 1, 30, 30)
    geometry = lambda net: [
        (m.in_channels, m.out_channels, m.kernel_size, m.stride, m.padding)  # noqa: E731
        for m in net.modules()
        if isinstance(m, nn.Conv2d)
    ]
    assert geometry(D) == geometry(
        PatchDiscriminator(in_ch=3, ndf=8, n_layers=3, conditional=False)
    )
    assert sum(isinstance(m, nn.InstanceNorm2d) for m in D.modules()) == 3
    assert all(m.bias is not None for m in D.modules() if isinstance(m, nn.Conv2d))


def test_image_pool_fills_then_swaps_half_and_resumes_exactly():
    pool = nets.ImagePool(4, seed=0)
    first = torch.arange(4.0).view(4, 1, 1, 1)
    assert torch.equal(pool.query(first), first) and len(pool) == 4  # filling: returned as given
    state = copy.deepcopy(pool.state_dict())
    outs = [pool.query(torch.full((8, 1, 1, 1), 10.0 + k)) for k in range(20)]
    fresh = torch.stack(
        [(o.flatten() == 10.0 + k).float().mean() for k, o in enumerate(outs)]
    ).mean()
    # half are returned as given; of the swapped half, some return an image stored earlier in the
    # same batch
    assert 0.45 < fresh < 0.8
    for k, o in enumerate(outs):  # ... and the others are earlier images, never later ones
        assert set(o.flatten().tolist()) <= set(range(4)) | {10.0 + j for j in range(k + 1)}
    assert any(v < 4 for o in outs for v in o.flatten().tolist())
    other = nets.ImagePool(4, seed=123)
    other.load_state_dict(state)
    again = [other.query(torch.full((8, 1, 1, 1), 10.0 + k)) for k in range(20)]
    assert all(torch.equal(x, y) for x, y in zip(outs, again))
    assert torch.equal(nets.ImagePool(0).query(first), first)
    with pytest.raises(ValueError, match="size"):
        nets.ImagePool(5).load_state_dict(state)


# ------------------------------------------------------------------------------- terms and metrics


def test_weights_prescribed_suboptimal_and_relative_identity():
    assert C.term_weights(*C.PRESCRIBED) == [1, 1, 10, 10, 5, 5]  # CycleGAN's recipe
    assert C.term_weights(*C.SUBOPTIMAL) == [1, 1, 1000, 1000, 500, 500]
    assert C.TERM_NAMES[0] == "GAN_A"  # MTAdam's anchor
    assert all(C.METHODS[m]["beta1"] == 0.9 for m in C.METHODS)  # the paper's Sec. 5


class _Id(nn.Module):
    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.zeros(()))

    def forward(self, x):
        return x + self.w


def test_identity_generators_have_zero_cycle_and_identity_terms():
    data = tiny_data()
    models = {
        "G_A": _Id(),
        "G_B": _Id(),
        "D_A": nets.PatchDiscriminatorIN(ndf=4, n_layers=2),
        "D_B": nets.PatchDiscriminatorIN(ndf=4, n_layers=2),
    }
    setup = C.make_setup(models, data, tiny_cfg())
    batch = next(iter(setup.batches(torch.Generator().manual_seed(0))))
    terms = setup.generator_terms(batch, setup.forward(batch))
    assert (
        len(terms) == 6
        and all(float(t.detach()) == 0 for t in terms[2:])
        and all(float(t.detach()) > 0 for t in terms[:2])
    )
    assert set(setup.extra_state) == {"pool_fake_A", "pool_fake_B"} and setup.order == "GD"
    ident = C.identity_metrics(data["test"])
    assert C.evaluate_split(models, data["test"]) == pytest.approx(ident)
    assert ident["moved-A"] == ident["cycle-B"] == 0


def test_paper_columns_pair_image_i_with_the_other_domains_image_i_cyclically():
    a = torch.full((3, 3, 8, 8), -1.0)  # black horses
    b = torch.ones(2, 3, 8, 8)  # white zebras
    b[1] = 0.0  # ... and one grey (127.5 -> 128)
    m = C.run.side_metrics(a, a, a, b, b)  # identity on side A: horse i against zebra i mod 2
    assert m["L1"] == pytest.approx((255 + 128 + 255) / 3)
    assert m["NMSE"] == pytest.approx((2 * 255**2 + 128**2) / (2 * 255**2 + 128**2))
    assert m["moved"] == 0 and m["cycle"] == 0 and m["idt"] == 0
    blur = C.run.side_metrics(
        a, a * 0, a, b, b * 0
    )  # a grey output whatever the input: moves both domains
    assert blur["moved"] == pytest.approx(127.5, abs=1) and blur["idt"] == pytest.approx(
        (127 + 0) / 2, abs=1
    )


def test_unpaired_batches_cover_the_larger_side_and_reshuffle():
    data = tiny_data(n=6)
    data["train"] = (data["train"][0][:4], data["train"][1])  # 4 horses, 6 zebras
    setup = C.make_setup(C.build_models(tiny_cfg(), 0), data, tiny_cfg(batch_size=2))
    gen = torch.Generator().manual_seed(0)
    epoch1, epoch2 = list(setup.batches(gen)), list(setup.batches(gen))
    assert len(epoch1) == 3 and epoch1[0]["a"].shape == (2, 3, 32, 32)
    assert not all(torch.equal(x["b"], y["b"]) for x, y in zip(epoch1, epoch2))


# --------------------------------------------------------------------------------------- training


def _run(optimizer, weights, tmp_path=None, epochs=2, **kw):
    cfg = tiny_cfg(epochs=epochs, epochs_decay=0)
    return C.train_one(
        optimizer, weights, 0.9, cfg, tiny_data(), 0, tmp_path, device=torch.device("cpu"), **kw
    )


def test_mtadam_is_invariant_to_the_weights_and_adam_is_not():
    sub, pre = C.term_weights(*C.SUBOPTIMAL), C.term_weights(*C.PRESCRIBED)
    mt = [_run("mtadam", w)["test"] for w in (sub, pre)]
    ad = [_run("adam", w)["test"] for w in (sub, pre)]
    gap = lambda x, y: max(abs(x[k] - y[k]) for k in x if isinstance(x[k], float))  # noqa: E731
    assert gap(*mt) < 0.05 * gap(*ad) and gap(*ad) > 0.1


def test_resume_after_interruption_is_exact_with_the_pools(tmp_path):
    class Stop(Exception):
        pass

    def stop(epoch, val):
        if epoch == 1:
            raise Stop

    w = C.term_weights(*C.SUBOPTIMAL)
    straight = _run("mtadam", w, tmp_path / "a", epochs=3)
    with pytest.raises(Stop):
        _run("mtadam", w, tmp_path / "b", epochs=3, epoch_callback=stop)
    resumed = _run("mtadam", w, tmp_path / "b", epochs=3)
    assert straight["test"] == resumed["test"]
    assert straight["curves"]["train_d"] == resumed["curves"]["train_d"]  # the pools resumed too


def test_real_horse2zebra_loads_sorted_with_a_validation_holdout():
    cfg = tiny_cfg(size=16, train_limit=None, val_holdout=16, test_limit=None)
    data = C.load_data(cfg)
    assert [t.shape[0] for t in data["train"]] == [64, 64] and [
        t.shape[0] for t in data["val"]
    ] == [16, 16]
    assert [t.shape[0] for t in data["test"]] == [120, 140]
    assert all(
        t.shape[1:] == (3, 16, 16) and t.min() >= -1 and t.max() <= 1
        for v in data.values()
        for t in v
    )
    first = C.model.load_folder(horse2zebra_dir() / "trainA", 16, limit=1)
    assert torch.equal(first[0], data["train"][0][0])


def test_smoke_table_has_every_row_and_the_claims_read_it(tmp_path, monkeypatch):
    monkeypatch.setenv("MTADAM_RESULTS", str(tmp_path / "results"))
    monkeypatch.setenv("MTADAM_CACHE", str(tmp_path / "cache"))
    assert all(c.result("smoke") is None for c in claims.CLAIMS)  # no records yet
    recs = C.run_all("smoke", verbose=False)
    assert [r["method"] for r in recs] == list(C.METHODS)
    for r in recs:
        m = r["metrics"]
        assert all(0 <= m[f"{k}-{s}"] <= 255 for k in ("L1", "moved", "idt", "cycle") for s in "AB")
        assert m["FID-A"] is None or isinstance(m["FID-A"], float)
        assert len(r["curves"]["val"]) == 2 and len(r["curves"]["train_terms"][0]) == 6
    mt = recs[list(C.METHODS).index("mtadam_suboptimal")]
    ew = np.asarray(mt["curves"]["ew"])
    assert ew.shape[1:] == (6, len(mt["curves"]["layer_names"]))
    w = C.effective_term_weights(mt)
    assert np.all(w["G_A"][:, 0] == 1) and np.all(
        w["G_A"][:, 1] == 0
    )  # anchor GAN_A; GAN_B not on G_A
    assert np.all(w["G_B"][:, 1] == 1) and np.all(w["G_B"][:, 0] == 0)  # GAN_B anchors G_B
    hb = recs[list(C.METHODS).index("hyperband")]
    assert 1e-4 <= hb["metrics"]["chosen_lambda2"] <= 1e4 and len(hb["extra"]["trials"]) == 2
    identity = C.identity_metrics(C.load_data(C.config("smoke"))["test"])
    table = C.table_markdown(recs, "smoke", identity)
    assert table.count("\n| ") == 2 + len(C.METHODS) + 1 and "identity mapping" in table
    ours = C.translation_markdown(recs, "smoke", identity)
    assert ours.count("\n| ") == 2 + len(C.METHODS) + 1 and "idt-A" in ours
    assert set(C.time_per_iteration(recs)) == set(C.METHODS) - {"hyperband"}
    results = [c.result("smoke") for c in claims.CLAIMS]
    assert (
        results[0] is not None and results[1] is None and results[2] is not None
    )  # FID: offline blocker
    assert all(r.verdict in ("reproduces", "partly", "does not") for r in (results[0], results[2]))
    again = C.run_all("smoke", verbose=False)
    assert [r["timestamp"] for r in again] == [r["timestamp"] for r in recs]


@pytest.mark.dryrun
def test_full_size_dry_run_two_steps_on_two_real_256px_images():
    """The `full` config's models at full size (ResNet-9, ngf 64, 70x70 PatchGAN, 256 px, pool 50):
    two MTAdam steps on one real horse and one real zebra, on the CPU."""
    cfg = C.config("full")
    assert (
        cfg["size"],
        cfg["ngf"],
        cfg["n_blocks"],
        cfg["batch_size"],
        cfg["epochs"],
        cfg["epochs_decay"],
    ) == (256, 64, 9, 1, 100, 100)
    root = horse2zebra_dir()
    a = C.model.load_folder(root / "testA", 256, limit=1)
    b = C.model.load_folder(root / "testB", 256, limit=1)
    data = {"train": (a, b), "val": (a, b), "test": (a, b)}
    models = C.build_models(cfg, 0)
    before = {k: copy.deepcopy(m.state_dict()) for k, m in models.items()}
    setup = C.make_setup(models, data, dict(cfg, jitter=True))
    g, d = C.run.optimizers("mtadam", 0.9, cfg)
    out = gan.train(
        setup,
        lambdas=C.term_weights(*C.SUBOPTIMAL),
        g_opt=g,
        d_opt=d,
        epochs=2,
        log_every=1,
        device=torch.device("cpu"),
    )
    assert out["steps"] == 2 and not out["diverged"]
    assert np.asarray(out["curves"]["ew"]).shape == (2, 6, len(out["layer_names"]))
    for k, m in models.items():
        assert any(not torch.equal(before[k][n], v) for n, v in m.state_dict().items()), k
    assert len(setup.extra_state["pool_fake_B"]) == 2


def test_maps_full_dry_run_reads_the_maps_layout_and_keeps_its_own_records(tmp_path, monkeypatch):
    """maps -> aerial (`full` only): the config, the data path (a folder laid out as CycleGAN's
    maps.zip, ``trainA``/``testA`` aerial and ``trainB``/``testB`` maps with matching file numbers,
    here holding real horse2zebra test images: maps itself is a 1.5 GB download), the records'
    folder, and two MTAdam steps at full size."""
    from PIL import Image

    from mtbook.core import data as D

    cfg = C.config("full", "maps")
    assert cfg["dataset"] == "maps" and cfg["size"] == 256 and cfg["val_holdout"] == 50
    assert "dataset" not in C.config("full") and "dataset" not in C.config("cpu")
    with pytest.raises(ValueError, match="full profile only"):
        C.config("cpu", "maps")
    with pytest.raises(ValueError, match="unknown dataset 'cityscapes'"):
        C.config("full", "cityscapes")
    src = horse2zebra_dir()
    maps = tmp_path / "maps"
    counts = {"train": cfg["val_holdout"] + 1, "test": 2}
    for split, n in counts.items():
        for side, folder in (("A", "testA"), ("B", "testB")):
            (maps / f"{split}{side}").mkdir(parents=True)
            for i, f in enumerate(sorted((src / folder).glob("*.jpg"))[:n], 1):
                Image.open(f).resize((600, 600)).save(maps / f"{split}{side}" / f"{i}_{side}.jpg")
    monkeypatch.setattr(D, "maps_cyclegan_dir", lambda: maps)
    data = C.load_data(cfg)
    assert [t.shape[0] for t in data["train"]] == [1, 1]
    assert [t.shape[0] for t in data["val"]] == [50, 50]
    assert tuple(data["test"][0].shape) == (2, 3, 256, 256)
    jobs = C.jobs(cfg, ["mtadam_suboptimal"])
    assert jobs[0]["experiment"] == "cyclegan-maps"
    assert jobs[0]["config"]["task"].startswith("maps")
    assert C.checkpoint_dir("full", "x", C.experiment_name(cfg)).parent.name == "cyclegan-maps"
    models = C.build_models(cfg, 0)
    setup = C.make_setup(models, dict(data, val=data["test"]), dict(cfg, jitter=True))
    g, d = C.run.optimizers("mtadam", 0.9, cfg)
    out = gan.train(
        setup,
        lambdas=C.term_weights(*C.SUBOPTIMAL),
        g_opt=g,
        d_opt=d,
        epochs=2,
        log_every=1,
        device=torch.device("cpu"),
    )
    assert out["steps"] == 2 and not out["diverged"]
    table = C.table_markdown(
        [dict(jobs[0], metrics={}, config=jobs[0]["config"], git={}, profile="full")], "full"
    )
    assert "maps, test set" in table and "(10.6)" in table  # beside the paper's maps numbers
