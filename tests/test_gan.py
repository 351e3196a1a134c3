"""The GAN toolkit (mtbook.gan), the facades loader, Hyperband and the pix2pix experiment at smoke size."""

import copy

import numpy as np
import pytest
import torch

from mtbook import gan


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """Small convolutions: one thread is faster, and leaves the other core to a background run."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def tiny_cfg(**kw):
    cfg = dict(epochs=2, batch_size=4, lr=2e-4, ngf=4, num_downs=5, ndf=4, n_layers=2, jitter=False,
               log_every=1)
    cfg.update(kw)
    return cfg


def tiny_data(n=8, size=32, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(n, 3, size, size, generator=g) * 2 - 1
    y = torch.tanh(x.flip(1) * 1.5)  # a fixed, learnable mapping
    return {"train": (x, y), "val": (x[:4], y[:4])}


def test_generator_output_shape_and_range():
    G = gan.init_weights(gan.UNetGenerator(ngf=8, num_downs=6)).eval()
    out = G(torch.randn(2, 3, 64, 64))
    assert out.shape == (2, 3, 64, 64)
    assert out.abs().max() <= 1
    G8 = gan.UNetGenerator(ngf=4, num_downs=8).eval()  # pix2pix's U-Net-256 depth
    assert G8(torch.randn(1, 3, 256, 256)).shape == (1, 3, 256, 256)
    with pytest.raises(ValueError, match="divisible"):
        G(torch.randn(1, 3, 48, 48))


def test_patchgan_output_grid_and_70px_receptive_field():
    D = gan.init_weights(gan.PatchDiscriminator(ndf=8, n_layers=3)).eval()
    x = torch.zeros(1, 3, 256, 256, requires_grad=True)
    y = torch.zeros(1, 3, 256, 256)
    out = D(x, y)
    assert out.shape == (1, 1, 30, 30)  # pix2pix's 30x30 patch grid at 256 px
    out[0, 0, 15, 15].backward()
    rows = torch.nonzero(x.grad[0].abs().sum(dim=(0, 2)))
    cols = torch.nonzero(x.grad[0].abs().sum(dim=(0, 1)))
    assert int(rows.max() - rows.min() + 1) == 70 and int(cols.max() - cols.min() + 1) == 70
    assert gan.receptive_field(3) == 70


@pytest.mark.parametrize("optimizer", gan.OPTIMIZERS)
def test_one_generator_step_changes_g_only(optimizer):
    cfg = tiny_cfg()
    G, D = gan.build_models(cfg, seed=0)
    data = tiny_data()
    x, y = data["train"][0][:4], data["train"][1][:4]
    opt_g = gan.make_optimizer(optimizer, G.parameters(), lr=1e-2)
    D_before = {k: v.detach().clone() for k, v in D.named_parameters()}
    G_before = copy.deepcopy(G.state_dict())
    sentinel = [torch.full_like(p, 7.0) for p in D.parameters()]
    for p, s in zip(D.parameters(), sentinel):
        p.grad = s.clone()
    fake = G(x)
    terms = gan.generator_step(G, D, opt_g, optimizer, x, y, fake, (1.0, 1.0))
    assert len(terms) == 2 and all(np.isfinite(terms))
    changed = [not torch.equal(G_before[k], v) for k, v in G.state_dict().items() if v.is_floating_point()]
    assert any(changed)
    for k, v in D.named_parameters():  # (BatchNorm running statistics do move, as in pix2pix)
        assert torch.equal(D_before[k], v), f"discriminator {k} changed in a generator step"
    assert all(p.requires_grad for p in D.parameters())
    if optimizer == "mtadam":  # MTAdam never writes .grad: D's gradients are left exactly as they were
        for p, s in zip(D.parameters(), sentinel):
            assert torch.equal(p.grad, s)
        ew = opt_g.effective_weights()
        assert ew.shape == (2, len(list(G.parameters())))


def test_lambdas_matter_for_adam_but_not_the_common_scale():
    """Adam on 100 L1 + 1 GAN differs from 1 L1 + 1 GAN; 100 L1 + 100 GAN equals the latter (scale invariance)."""
    data = tiny_data()
    x, y = data["train"][0][:4], data["train"][1][:4]

    def after(lambdas):
        G, D = gan.build_models(tiny_cfg(), seed=0)
        opt = gan.make_optimizer("adam", G.parameters())
        for _ in range(3):
            gan.generator_step(G, D, opt, "adam", x, y, G(x), lambdas)
        return torch.cat([p.detach().flatten() for p in G.parameters()])

    equal, same_ratio, prescribed = after((1, 1)), after((100, 100)), after((100, 1))
    # equal up to Adam's eps (a few weights whose gradients are below eps = 1e-8 differ); the 100:1
    # ratio moves the weights elsewhere
    assert (equal - same_ratio).abs().median() < 0.01 * (equal - prescribed).abs().median()


@pytest.mark.parametrize("optimizer", ["adam", "mtadam"])
def test_resume_from_checkpoint_continues_identically(tmp_path, optimizer):
    data = tiny_data()
    kw = dict(optimizer=optimizer, lambdas=(1.0, 1.0), data=data, seed=3)
    straight = gan.train(cfg=tiny_cfg(epochs=3), ckpt_dir=tmp_path / "a", **kw)
    gan.train(cfg=tiny_cfg(epochs=1), ckpt_dir=tmp_path / "b", **kw)  # "interrupted" after epoch 1
    assert gan.latest_checkpoint(tmp_path / "b").name == "epoch_0001.pt"
    replayed = []
    resumed = gan.train(cfg=tiny_cfg(epochs=3), ckpt_dir=tmp_path / "b",
                        epoch_callback=lambda e, v: replayed.append(e), **kw)
    assert replayed == [1, 2, 3]  # the finished epoch is reported again, then the new ones
    for (k, a), b in zip(straight["G"].state_dict().items(), resumed["G"].state_dict().values()):
        assert torch.equal(a, b), k
    for a, b in zip(straight["D"].state_dict().values(), resumed["D"].state_dict().values()):
        assert torch.equal(a, b)
    assert straight["curves"]["train_l1"] == resumed["curves"]["train_l1"]
    assert straight["curves"]["val"] == resumed["curves"]["val"]


def test_a_checkpoint_of_another_run_is_not_resumed(tmp_path):
    data = tiny_data()
    gan.train(optimizer="adam", lambdas=(1, 1), data=data, seed=0, cfg=tiny_cfg(epochs=1), ckpt_dir=tmp_path)
    with pytest.raises(ValueError, match="another run"):
        gan.train(optimizer="adam", lambdas=(100, 1), data=data, seed=0, cfg=tiny_cfg(epochs=2), ckpt_dir=tmp_path)


def test_training_reduces_l1_on_a_learnable_mapping():
    data = tiny_data(n=16)
    out = gan.train(optimizer="adam", lambdas=(100, 1), data=data, seed=0,
                    cfg=tiny_cfg(epochs=15, batch_size=4, lr=2e-3, ngf=8))
    val = [v["L1"] for v in out["curves"]["val"]]
    assert val[-1] < 0.85 * val[0]


def test_unknown_optimizer_is_rejected():
    with pytest.raises(ValueError, match="unknown optimizer"):
        gan.make_optimizer("adagrad", [torch.zeros(1, requires_grad=True)])


# --------------------------------------------------------------------------------------- data

def test_facades_loader_reads_pairs_in_the_right_direction():
    from mtbook.core.data import load_facades

    labels, photos = load_facades("test", size=32, limit=3)
    assert labels.shape == photos.shape == (3, 3, 32, 32)
    assert labels.min() >= -1 and labels.max() <= 1
    a, b = load_facades("test", size=32, limit=3, direction="AtoB")
    assert torch.equal(a, photos) and torch.equal(b, labels)
    # label maps are flat colour regions: far fewer distinct colours than the photos
    n_colours = lambda t: len(torch.unique((t[0] * 127.5).round().reshape(3, -1).T, dim=0))
    assert n_colours(labels) < n_colours(photos)
    with pytest.raises(ValueError, match="split"):
        load_facades("training", size=32)


def test_a_corrupt_facades_file_is_reported(tmp_path, monkeypatch):
    from mtbook.core.data import DataError, load_facades, sha256sum
    from mtbook.core.data import data_dir as real_data_dir

    src = real_data_dir() / "facades" / "test" / "1.jpg"
    folder = tmp_path / "facades" / "test"
    folder.mkdir(parents=True)
    good = src.read_bytes()
    (folder / "1.jpg").write_bytes(good[:-100] + b"\0" * 100)
    (tmp_path / "SHA256SUMS").write_text(f"{sha256sum(src)}  facades/test/1.jpg\n")
    monkeypatch.setenv("MTADAM_DATA", str(tmp_path))
    with pytest.raises(DataError, match=r"1\.jpg is corrupt"):
        load_facades("test", size=32, limit=1)


# --------------------------------------------------------------------------------------- hyperband

def test_hyperband_finds_the_best_lambda_among_complete_trials_and_prunes():
    from mtbook.core.hyperband import search

    def train_fn(lam, number, report):
        # a loss curve that improves with epochs and is best at lambda = 10
        quality = (np.log10(lam) - 1.0) ** 2
        for epoch in range(1, 10):
            value = quality + 1.0 / epoch
            report(epoch, value)
        return dict(value=value, lam=lam)

    out = search(train_fn, n_trials=20, max_epochs=9, seed=0)
    lams = [t["lam"] for t in out["trials"]]
    assert all(1e-4 <= v <= 1e4 for v in lams)
    complete = [t for t in out["trials"] if t["state"] == "COMPLETE"]
    assert any(t["state"] == "PRUNED" for t in out["trials"])
    best = min(complete, key=lambda t: t["result"]["value"])
    assert out["best"]["number"] == best["number"]
    assert all(t["result"] is None for t in out["trials"] if t["state"] == "PRUNED")
    assert sum(t["epochs"] for t in out["trials"]) < 20 * 9  # pruning saved training epochs


# --------------------------------------------------------------------------------------- experiment

def test_pix2pix_smoke_table_has_six_rows(tmp_path, monkeypatch):
    monkeypatch.setenv("MTADAM_RESULTS", str(tmp_path / "results"))
    monkeypatch.setenv("MTADAM_CACHE", str(tmp_path / "cache"))
    from mtbook.experiments import pix2pix

    recs = pix2pix.run_all("smoke", verbose=False)
    assert [r["method"] for r in recs] == list(pix2pix.METHODS)
    for r in recs:
        m = r["metrics"]
        assert r["profile"] == "smoke"
        assert 0 <= m["L1"] <= 255 and m["L2"] >= m["L1"] ** 2 - 1e-6  # E[d^2] >= E[|d|]^2
        assert m["FID"] is None or isinstance(m["FID"], float)
        assert len(r["curves"]["val"]) == pix2pix.CONFIG["smoke"]["epochs"]
    hb = recs[list(pix2pix.METHODS).index("hyperband")]
    assert 1e-4 <= hb["metrics"]["chosen_lambda2"] <= 1e4
    assert len(hb["extra"]["trials"]) == pix2pix.CONFIG["smoke"]["hb_trials"]
    mt = recs[list(pix2pix.METHODS).index("mtadam_equal")]
    assert len(mt["curves"]["ew_gan_over_l1"][0]) == len(mt["curves"]["layer_names"])
    table = pix2pix.table_markdown(recs, "smoke")
    assert table.count("\n| ") == 2 + len(pix2pix.METHODS) and "`smoke`" in table
    again = pix2pix.run_all("smoke", verbose=False)  # records are reused, not re-run
    assert [r["timestamp"] for r in again] == [r["timestamp"] for r in recs]


def test_maps_runs_at_full_only_in_their_own_folder():
    from mtbook.experiments import pix2pix

    with pytest.raises(ValueError, match="full profile only"):
        pix2pix.config("cpu", dataset="maps")
    cfg = pix2pix.config("full", dataset="maps")
    assert pix2pix.experiment_name(cfg) == "pix2pix-maps"
    assert pix2pix.experiment_name(pix2pix.config("cpu")) == "pix2pix"
    assert "dataset" not in pix2pix.config("cpu")  # facades configs (and their records) unchanged


def test_jitter_crops_and_flips_input_and_target_alike():
    g = torch.Generator().manual_seed(0)
    x = torch.rand(2, 3, 32, 32, generator=g)
    for seed in range(4):
        xj, yj = gan.jitter(x, x.clone(), 32, torch.Generator().manual_seed(seed))
        assert xj.shape == (2, 3, 32, 32) and torch.equal(xj, yj)
    outs = [gan.jitter(x, x, 32, torch.Generator().manual_seed(s))[0] for s in range(4)]
    assert any(not torch.equal(outs[0], o) for o in outs[1:])


def test_an_interrupted_hyperband_row_resumes_from_its_trial_checkpoints(tmp_path, monkeypatch):
    """Without its record, the Hyperband row is rebuilt from the trials' checkpoints: the replayed
    epoch reports give the same pruning decisions, the same chosen lambda and the same test metrics."""
    monkeypatch.setenv("MTADAM_RESULTS", str(tmp_path / "results"))
    monkeypatch.setenv("MTADAM_CACHE", str(tmp_path / "cache"))
    from mtbook.experiments import pix2pix
    from mtbook.core.records import record_path

    first = pix2pix.run_method("hyperband", "smoke")
    ckpts = {p: p.stat().st_mtime_ns for p in (tmp_path / "cache").rglob("epoch_*.pt")}
    assert len(ckpts) == pix2pix.CONFIG["smoke"]["hb_trials"]
    record_path("pix2pix", "hyperband", 0, "smoke").unlink()  # "interrupted" before the record was written
    again = pix2pix.run_method("hyperband", "smoke")
    assert again["metrics"] == first["metrics"]
    assert [(t["lam"], t["state"], t["epochs"]) for t in again["extra"]["trials"]] == \
        [(t["lam"], t["state"], t["epochs"]) for t in first["extra"]["trials"]]
    now = {p: p.stat().st_mtime_ns for p in (tmp_path / "cache").rglob("epoch_*.pt")}
    assert now == ckpts  # no epoch was trained again (no checkpoint rewritten)
