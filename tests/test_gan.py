"""The GAN toolkit (mtbook.gan), the facades loader,
Hyperband and the pix2pix experiment at smoke size."""

import copy

import numpy as np
import pytest
import torch

from mtbook import gan
from mtbook.core.optim import OPTIMIZERS, make_optimizer
from mtbook.experiments import pix2pix as P
from mtbook.gan import nets_pix2pix as nets
from mtbook.gan.schedule import linear_decay_factor


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """Small convolutions: one thread is faster, and leaves the other core to a background run."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def tiny_cfg(**kw):
    cfg = dict(
        epochs=2,
        epochs_decay=0,
        batch_size=4,
        lr=2e-4,
        beta2=0.999,
        beta3=0.9,
        ngf=4,
        num_downs=5,
        ndf=4,
        n_layers=2,
        jitter=False,
        log_every=1,
        n_samples=2,
        test_mode="eval",
        test_batch_size=4,
    )
    cfg.update(kw)
    return cfg


def tiny_data(n=8, size=32, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(n, 3, size, size, generator=g) * 2 - 1
    y = torch.tanh(x.flip(1) * 1.5)  # a fixed, learnable mapping
    return {"train": (x, y), "val": (x[:4], y[:4]), "test": (x[:4], y[:4])}


def test_generator_output_shape_and_range():
    G = nets.init_weights(nets.UNetGenerator(ngf=8, num_downs=6)).eval()
    out = G(torch.randn(2, 3, 64, 64))
    assert out.shape == (2, 3, 64, 64)
    assert out.abs().max() <= 1
    G8 = nets.UNetGenerator(ngf=4, num_downs=8).eval()  # pix2pix's U-Net-256 depth
    assert G8(torch.randn(1, 3, 256, 256)).shape == (1, 3, 256, 256)
    with pytest.raises(ValueError, match="divisible"):
        G(torch.randn(1, 3, 48, 48))


def test_patchgan_output_grid_and_70px_receptive_field():
    D = nets.init_weights(nets.PatchDiscriminator(ndf=8, n_layers=3)).eval()
    x = torch.zeros(1, 3, 256, 256, requires_grad=True)
    y = torch.zeros(1, 3, 256, 256)
    out = D(x, y)
    assert out.shape == (1, 1, 30, 30)  # pix2pix's 30x30 patch grid at 256 px
    out[0, 0, 15, 15].backward()
    rows = torch.nonzero(x.grad[0].abs().sum(dim=(0, 2)))
    cols = torch.nonzero(x.grad[0].abs().sum(dim=(0, 1)))
    assert int(rows.max() - rows.min() + 1) == 70 and int(cols.max() - cols.min() + 1) == 70
    assert nets.receptive_field(3) == 70


def pix2pix_setup(cfg=None, data=None, seed=0):
    cfg = cfg or tiny_cfg()
    G, D = P.build_models(cfg, seed)
    return P.make_setup(G, D, data or tiny_data(), cfg), G, D


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_one_generator_step_changes_g_only(optimizer):
    setup, G, D = pix2pix_setup()
    x, y = tiny_data()["train"]
    batch = dict(x=x[:4], y=y[:4])
    opt_g = make_optimizer(optimizer, G.parameters(), lr=1e-2)
    D_before = {k: v.detach().clone() for k, v in D.named_parameters()}
    G_before = copy.deepcopy(G.state_dict())
    sentinel = [torch.full_like(p, 7.0) for p in D.parameters()]
    for p, s in zip(D.parameters(), sentinel):
        p.grad = s.clone()
    cache = setup.forward(batch)
    terms = gan.loop.generator_step(setup, opt_g, optimizer == "mtadam", batch, cache, [1.0, 1.0])
    assert len(terms) == 2 and all(np.isfinite(terms))
    changed = [
        not torch.equal(G_before[k], v) for k, v in G.state_dict().items() if v.is_floating_point()
    ]
    assert any(changed)
    for k, v in D.named_parameters():  # (BatchNorm running statistics do move, as in pix2pix)
        assert torch.equal(D_before[k], v), f"discriminator {k} changed in a generator step"
    assert all(p.requires_grad for p in D.parameters())
    if (
        optimizer == "mtadam"
    ):  # MTAdam never writes .grad: D's gradients are left exactly as they were
        for p, s in zip(D.parameters(), sentinel):
            assert torch.equal(p.grad, s)
        assert opt_g.effective_weights().shape == (2, len(list(G.parameters())))


def _train(optimizer, lambdas, epochs=2, seed=0, **kw):
    cfg = tiny_cfg(epochs=epochs)
    setup, G, D = pix2pix_setup(cfg, seed=seed)
    g_opt = dict(name=optimizer, lr=1e-3)
    out = gan.train(
        setup,
        lambdas=lambdas,
        g_opt=g_opt,
        d_opt=dict(name="adam", lr=1e-3),
        epochs=epochs,
        seed=seed,
        **kw,
    )
    return torch.cat([p.detach().flatten() for p in G.parameters()]), out


def _g_steps(optimizer, lambdas, steps=3):
    setup, G, D = pix2pix_setup()
    x, y = tiny_data()["train"]
    batch = dict(x=x[:4], y=y[:4])
    opt = make_optimizer(optimizer, G.parameters())
    for _ in range(steps):
        gan.loop.generator_step(
            setup, opt, optimizer == "mtadam", batch, setup.forward(batch), lambdas
        )
    return torch.cat([p.detach().flatten() for p in G.parameters()])


def test_lambdas_matter_for_adam_but_not_the_common_scale():
    """Adam on 100 L1 + 1 GAN differs from 1 L1 + 1 GAN; 100
    L1 + 100 GAN equals the latter (scale invariance)."""
    equal, same_ratio, prescribed = (
        _g_steps("adam", lam) for lam in ([1, 1], [100, 100], [100, 1])
    )
    assert (equal - same_ratio).abs().median() < 0.01 * (equal - prescribed).abs().median()


def test_mtadam_in_the_loop_is_invariant_to_the_lambdas():
    """MTAdam gets the weighted terms; with norm_init "first" the weights cancel (up to eps)."""
    equal, prescribed = (_g_steps("mtadam", lam) for lam in ([1, 1], [100, 1]))
    adam_gap = (_g_steps("adam", [1, 1]) - _g_steps("adam", [100, 1])).abs().median()
    assert (equal - prescribed).abs().median() < 0.01 * adam_gap


def test_two_generators_two_discriminators_four_terms():
    """The loop is not pix2pix-shaped: a tiny cycle
    setup with G_AB, G_BA, D_A, D_B and four terms."""
    torch.manual_seed(0)
    G = {"AB": nets.UNetGenerator(ngf=4, num_downs=5), "BA": nets.UNetGenerator(ngf=4, num_downs=5)}
    D = {
        k: nets.PatchDiscriminator(in_ch=3, ndf=4, n_layers=2, conditional=False)
        for k in ("A", "B")
    }
    a, b = tiny_data()["train"]

    def forward(batch):
        return dict(fb=G["AB"](batch["a"]), fa=G["BA"](batch["b"]))

    def terms(batch, c):
        return [
            gan.gan_loss(D["B"](c["fb"]), True, "lsgan"),
            gan.gan_loss(D["A"](c["fa"]), True, "lsgan"),
            (G["BA"](c["fb"]) - batch["a"]).abs().mean(),
            (G["AB"](c["fa"]) - batch["b"]).abs().mean(),
        ]

    def d_loss(batch, c):
        return sum(
            gan.gan_loss(D[k](batch[k.lower()]), True, "lsgan")
            + gan.gan_loss(D[k](c["f" + k.lower()].detach()), False, "lsgan")
            for k in ("A", "B")
        )

    def batches(gen):
        yield dict(a=a[:4], b=b[:4])

    setup = gan.GanSetup(
        generators=G,
        discriminators=D,
        term_names=["GAN_B", "GAN_A", "cyc_A", "cyc_B"],
        forward=forward,
        generator_terms=terms,
        discriminator_loss=d_loss,
        batches=batches,
        order="GD",
    )
    before = {k: copy.deepcopy(m.state_dict()) for k, m in {**G, **D}.items()}
    out = gan.train(
        setup,
        lambdas=[1, 1, 10, 10],
        g_opt=dict(name="mtadam", lr=1e-3),
        d_opt=dict(name="adam", lr=1e-3),
        epochs=2,
        log_every=1,
    )
    for k, m in {**G, **D}.items():
        assert any(not torch.equal(before[k][n], v) for n, v in m.state_dict().items()), k
    assert np.asarray(out["curves"]["ew"]).shape[:2] == (2, 4)
    assert len(out["curves"]["train_terms"][0]) == 4 and out["layer_names"][0].startswith("AB.")
    with pytest.raises(ValueError, match="3 lambdas for 4 terms"):
        gan.train(
            setup, lambdas=[1, 1, 1], g_opt=dict(name="adam"), d_opt=dict(name="adam"), epochs=1
        )


def test_linear_decay_is_pix2pix_rule_and_the_loop_follows_it():
    # pix2pix: lr_l = 1 - max(0, epoch + epoch_count - n_epochs) / (n_epochs_decay + 1),
    # epoch_count = 1
    assert [linear_decay_factor(e, 2, 3) for e in range(5)] == [1.0, 1.0, 0.75, 0.5, 0.25]
    _, out = _train("adam", [1, 1], epochs=2, log_every=100, epochs_decay=3)
    assert out["curves"]["lr"] == pytest.approx([1e-3, 1e-3, 0.75e-3, 0.5e-3, 0.25e-3])
    _, const = _train("adam", [1, 1], epochs=3)
    assert const["curves"]["lr"] == pytest.approx([1e-3] * 3)


def test_train_mode_prediction_leaves_the_generator_untouched():
    G, _ = P.build_models(tiny_cfg(), 0)
    x = tiny_data()["train"][0]
    state = copy.deepcopy(G.state_dict())
    torch.manual_seed(0)
    train_mode = gan.predict(G, x, batch_size=1, mode="train")
    evaluated = gan.predict(G, x, batch_size=4, mode="eval")
    assert train_mode.shape == evaluated.shape and not torch.allclose(train_mode, evaluated)
    for k, v in G.state_dict().items():  # running statistics not updated by testing
        assert torch.equal(state[k], v), k
    with pytest.raises(ValueError, match="mode"):
        gan.predict(G, x, mode="test")


@pytest.mark.parametrize("optimizer", ["adam", "mtadam"])
def test_resume_from_checkpoint_continues_identically(tmp_path, optimizer):
    data = tiny_data()
    run = lambda epochs, d, **kw: P.train_one(
        optimizer,
        (1.0, 1.0),
        0.9,
        tiny_cfg(epochs=epochs),
        data,
        3,
        tmp_path / d,
        device=torch.device("cpu"),
        **kw,
    )
    run(3, "a")
    with pytest.raises(ValueError, match="another run"):  # a checkpoint of 1 epoch is another run's
        run(1, "b"), run(3, "b")
    assert gan.checkpoint.latest_checkpoint(tmp_path / "b").name == "epoch_0001.pt"


def test_resume_after_interruption_is_exact(tmp_path):
    """Interrupt a 3-epoch run after epoch 1 (by raising
    in the callback), resume: identical results."""
    data = tiny_data()

    class Stop(Exception):
        pass

    def stop_after_1(epoch, val):
        if epoch == 1:
            raise Stop

    run = lambda d, **kw: P.train_one(
        "mtadam",
        (1.0, 1.0),
        0.9,
        tiny_cfg(epochs=3),
        data,
        3,
        tmp_path / d,
        device=torch.device("cpu"),
        **kw,
    )
    straight = run("a")
    with pytest.raises(Stop):
        run("b", epoch_callback=stop_after_1)
    replayed = []
    resumed = run("b", epoch_callback=lambda e, v: replayed.append(e))
    assert replayed == [1, 2, 3]  # the finished epoch is reported again, then the new ones
    assert straight["test"] == resumed["test"]
    assert straight["curves"]["train_terms"] == resumed["curves"]["train_terms"]
    assert straight["curves"]["val"] == resumed["curves"]["val"]


def test_training_reduces_l1_on_a_learnable_mapping():
    cfg = tiny_cfg(epochs=15, lr=2e-3, ngf=8)
    res = P.train_one(
        "adam", (100, 1), 0.9, cfg, tiny_data(n=16), 0, None, device=torch.device("cpu")
    )
    val = [v["L1"] for v in res["curves"]["val"]]
    assert val[-1] < 0.85 * val[0]


def test_optimizer_registry_rejects_unknown_names_and_settings():
    with pytest.raises(ValueError, match="unknown optimizer"):
        make_optimizer("adagrad", [torch.zeros(1, requires_grad=True)])
    with pytest.raises(ValueError, match="takes no beta3"):
        make_optimizer("adam", [torch.zeros(1, requires_grad=True)], beta3=0.9)
    opt = make_optimizer(
        "mtadam", [torch.zeros(1, requires_grad=True)], lr=0.1, beta1=0.5, denom="mean"
    )
    assert opt.defaults["betas"] == (0.5, 0.999, 0.9) and opt.defaults["denom"] == "mean"


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


def test_pix2pix_smoke_table_has_every_row(tmp_path, monkeypatch):
    monkeypatch.setenv("MTADAM_RESULTS", str(tmp_path / "results"))
    monkeypatch.setenv("MTADAM_CACHE", str(tmp_path / "cache"))
    recs = P.run_all("smoke", verbose=False)
    assert [r["method"] for r in recs] == list(P.METHODS)
    for r in recs:
        m = r["metrics"]
        assert r["profile"] == "smoke"
        assert 0 <= m["L1"] <= 255 and m["L2"] >= m["L1"] ** 2 - 1e-6  # E[d^2] >= E[|d|]^2
        assert m["FID"] is None or isinstance(m["FID"], float)
        assert len(r["curves"]["val"]) == P.CONFIG["smoke"]["epochs"]
        g = r["config"]["generator_optimizer"]
        if g["name"] in ("adam", "mtadam"):  # the paper's beta1 unless the row says otherwise
            assert g["beta1"] == P.METHODS[r["method"]]["beta1"]
        assert r["config"]["discriminator_optimizer"]["beta1"] == P.METHODS[r["method"]]["beta1"]
    hb = recs[list(P.METHODS).index("hyperband")]
    assert 1e-4 <= hb["metrics"]["chosen_lambda2"] <= 1e4
    assert len(hb["extra"]["trials"]) == P.CONFIG["smoke"]["hb_trials"]
    mt = recs[list(P.METHODS).index("mtadam_equal")]
    assert np.asarray(mt["curves"]["ew"]).shape[1:] == (2, len(mt["curves"]["layer_names"]))
    table = P.table_markdown(recs, "smoke")
    assert table.count("\n| ") == 2 + len(P.METHODS) and "`smoke`" in table
    again = P.run_all("smoke", verbose=False)  # records are reused, not re-run
    assert [r["timestamp"] for r in again] == [r["timestamp"] for r in recs]


def test_paper_betas_and_full_schedule():
    cpu, full = P.config("cpu"), P.config("full")
    assert all(
        P.METHODS[m]["beta1"] == 0.9 for m in P.PAPER_ROWS
    )  # Sec. 5: beta1 = 0.9, beta2 = 0.999
    assert cpu["beta2"] == full["beta2"] == 0.999 and len(cpu["seeds"]) >= 3
    assert (full["epochs"], full["epochs_decay"], full["test_mode"], full["test_batch_size"]) == (
        100,
        100,
        "train",
        1,
    )


def test_maps_runs_at_full_only_in_their_own_folder():
    with pytest.raises(ValueError, match="full profile only"):
        P.config("cpu", dataset="maps")
    cfg = P.config("full", dataset="maps")
    assert P.experiment_name(cfg) == "pix2pix-maps"
    assert P.experiment_name(P.config("cpu")) == "pix2pix"
    assert "dataset" not in P.config("cpu")  # facades configs (and their records) unchanged


def test_jitter_crops_and_flips_input_and_target_alike():
    g = torch.Generator().manual_seed(0)
    x = torch.rand(2, 3, 32, 32, generator=g)
    for seed in range(4):
        xj, yj = gan.jitter(x, x.clone(), size=32, generator=torch.Generator().manual_seed(seed))
        assert xj.shape == (2, 3, 32, 32) and torch.equal(xj, yj)
    outs = [
        gan.jitter(x, x, size=32, generator=torch.Generator().manual_seed(s))[0] for s in range(4)
    ]
    assert any(not torch.equal(outs[0], o) for o in outs[1:])


def test_an_interrupted_hyperband_row_resumes_from_its_trial_checkpoints(tmp_path, monkeypatch):
    """Without its record, the Hyperband row is rebuilt from the trials' checkpoints: the replayed
    epoch reports give the same pruning decisions, the same chosen lambda and the same test
    metrics."""
    monkeypatch.setenv("MTADAM_RESULTS", str(tmp_path / "results"))
    monkeypatch.setenv("MTADAM_CACHE", str(tmp_path / "cache"))
    from mtbook.core.records import record_path

    [first] = P.run_all("smoke", methods=["hyperband"], verbose=False)
    ckpts = {p: p.stat().st_mtime_ns for p in (tmp_path / "cache").rglob("epoch_*.pt")}
    assert len(ckpts) == P.CONFIG["smoke"]["hb_trials"]
    record_path(
        "pix2pix", "hyperband", 0, "smoke"
    ).unlink()  # "interrupted" before the record was written
    [again] = P.run_all("smoke", methods=["hyperband"], verbose=False)
    assert again["metrics"] == first["metrics"]
    assert [(t["lam"], t["state"], t["epochs"]) for t in again["extra"]["trials"]] == [
        (t["lam"], t["state"], t["epochs"]) for t in first["extra"]["trials"]
    ]
    now = {p: p.stat().st_mtime_ns for p in (tmp_path / "cache").rglob("epoch_*.pt")}
    assert now == ckpts  # no epoch was trained again (no checkpoint rewritten)


def test_checkpoints_are_deleted_after_the_record_when_not_kept(tmp_path, monkeypatch):
    """At full, a checkpoint is ~1 GB (40 Hyperband trials:
    ~27 GB); once the record exists it is deleted."""
    monkeypatch.setenv("MTADAM_RESULTS", str(tmp_path / "results"))
    monkeypatch.setenv("MTADAM_CACHE", str(tmp_path / "cache"))
    monkeypatch.setitem(P.CONFIG, "smoke", dict(P.CONFIG["smoke"], keep_checkpoints=False))
    [rec] = P.run_all("smoke", methods=["hyperband"], verbose=False)
    assert rec["method"] == "hyperband" and not list((tmp_path / "cache").rglob("epoch_*.pt"))
    assert P.CONFIG["full"]["keep_checkpoints"] is False and P.CONFIG["cpu"].get(
        "keep_checkpoints", True
    )
