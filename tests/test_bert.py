"""Chapter 8 (mtbook.experiments.bert): verified encoders, GLUE reading, L_reg and how each column
applies it, MTAdam's two terms from one forward pass, RecoBERT's terms and metrics, the smoke grids,
and the full-size dry runs (bert-base built from its config without weights)."""

from __future__ import annotations

import os

import pytest
import torch

from mtbook.core import dryrun
from mtbook.core.data import DataError
from mtbook.core.records import load_record, record_path
from mtbook.experiments.bert import model as M
from mtbook.experiments.bert import recobert as RB
from mtbook.experiments.bert import run as R
from mtbook.experiments.bert import spec as S

HAS_DATA = bool(os.environ.get("MTADAM_DATA"))
needs_data = pytest.mark.skipif(not HAS_DATA, reason="needs MTADAM_DATA (GLUE)")


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def tiny_model(outputs=2, pooling="pooler"):
    from transformers import BertConfig, BertModel

    torch.manual_seed(0)
    cfg = BertConfig(
        vocab_size=50,
        hidden_size=16,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=32,
        max_position_embeddings=32,
    )
    return M.PairModel(BertModel(cfg), outputs, pooling)


def tiny_batch(pooling="pooler", n=4, length=7):
    g = torch.Generator().manual_seed(1)
    x = dict(
        input_ids=torch.randint(1, 50, (n, length), generator=g),
        token_type_ids=torch.zeros(n, length, dtype=torch.long),
        attention_mask=torch.ones(n, length, dtype=torch.long),
    )
    return dict(a=x, b=dict(x, input_ids=x["input_ids"].flip(1))) if pooling == "siamese" else x


# ------------------------------------------------------------------------------ encoders


def test_minilm_weights_are_verified_and_a_wrong_hash_is_refused(monkeypatch):
    folder = M.encoder_files("minilm")
    assert (folder / "model.safetensors").is_file() and (folder / "vocab.txt").is_file()
    M.encoder_files.cache_clear()
    bad = dict(S.ENCODERS["minilm"], sha256="0" * 64)
    monkeypatch.setitem(S.ENCODERS, "minilm", bad)
    with pytest.raises(DataError, match="not the expected"):
        M.encoder_files("minilm")
    M.encoder_files.cache_clear()
    with pytest.raises(ValueError, match="unknown encoder"):
        M.encoder_files("roberta")


def test_bert_base_offline_gives_a_clear_message(monkeypatch, tmp_path):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    M.encoder_files.cache_clear()
    with pytest.raises(DataError, match="bert-base-uncased at revision 86b5e0934494"):
        M.encoder_files("bert-base")
    M.encoder_files.cache_clear()


def test_bert_base_architecture_from_the_spec_without_weights():
    enc = M.load_encoder("bert-base", pretrained=False)
    n = sum(p.numel() for p in enc.parameters())
    # bert-base-uncased: 109,482,240 parameters with its pooler (the published count, ~110 M)
    assert n == 109_482_240
    assert enc.config.vocab_size == 30522 and enc.config.num_hidden_layers == 12


# ------------------------------------------------------------------------------ GLUE


@needs_data
def test_glue_dev_sets_have_the_published_sizes_and_targets():
    mrpc, rte, sts = (M.read_glue(t, "dev") for t in ("MRPC", "RTE", "STS-B"))
    assert (len(mrpc.y), len(rte.y), len(sts.y)) == (408, 277, 1500)
    assert set(mrpc.y.tolist()) == {0, 1} and round(float(mrpc.y.float().mean()), 3) == 0.684
    assert set(rte.y.tolist()) == {0, 1}
    assert sts.y.dtype == torch.float32 and 0 <= float(sts.y.min()) and float(sts.y.max()) <= 5
    with pytest.raises(ValueError, match="unknown GLUE task"):
        M.read_glue("QQP", "dev")
    with pytest.raises(ValueError, match="split"):
        M.read_glue("RTE", "test")


@needs_data
def test_tokenization_is_cached_and_subsets_are_fixed():
    tok = M.load_tokenizer("minilm")
    pairs = M.read_glue("RTE", "dev")
    a = M.encode_pairs(tok, pairs, 32, key=("test", "RTE", 32))
    assert M.encode_pairs(tok, pairs, 32, key=("test", "RTE", 32)) is a
    assert max(len(i) for i in a.ids) == 32 and a.ids[0][0] == tok.cls_token_id
    sep = M.encode_pairs(tok, pairs, 32, joint=False)
    assert max(len(i) for i in sep.a.ids) <= 16 and len(sep) == 277
    s1, s2 = M.subset(sep, 10, seed=0), M.subset(sep, 10, seed=0)
    assert s1.a.ids == s2.a.ids and torch.equal(s1.y, s2.y) and len(s1) == 10


# ------------------------------------------------------------------------------ L_reg


def test_l_reg_covers_weights_but_not_biases_or_layernorm_and_its_gradient_is_w():
    net = tiny_model()
    decay, no_decay = M.reg_params(net)
    names = {id(p): n for n, p in net.named_parameters()}
    assert all(not names[id(p)].endswith("bias") and "LayerNorm" not in names[id(p)] for p in decay)
    assert all(names[id(p)].endswith("bias") or "LayerNorm" in names[id(p)] for p in no_decay)
    assert len(decay) + len(no_decay) == len(list(net.parameters()))
    # value: 1/2 sum ||w||^2; its autograd gradient is w itself
    value = 0.5 * sum((p**2).sum() for p in decay)
    grads = torch.autograd.grad(value, decay)
    assert torch.allclose(M.l2_term(decay), value.detach())
    assert all(torch.equal(g, p.detach()) for g, p in zip(grads, decay))


def test_adam_equal_step_is_adam_on_task_plus_lambda2_l_reg():
    """The column's shortcut (add lambda2 * w to the task's gradient) is the gradient of the written
    objective L_task + lambda2 * 1/2 sum ||w||^2, stepped by plain Adam."""
    cfg = dict(lr=1e-3, sgd_lr=1e-3, head_lr_mult=1.0)
    x = tiny_batch()
    y = torch.tensor([0, 1, 1, 0])
    net_a, net_b = tiny_model(), tiny_model()
    net_a.eval(), net_b.eval()
    opt, _, decay, _ = R.build_optimizer("adam_equal", net_a, cfg)
    loss = R.task_loss("MRPC", net_a(**x), y)
    opt.zero_grad()
    loss.backward()
    with torch.no_grad():
        for p in decay:
            p.grad.add_(p, alpha=1.0)
    opt.step()
    ref = torch.optim.Adam(net_b.parameters(), lr=1e-3)
    dec_b, _ = M.reg_params(net_b)
    full = R.task_loss("MRPC", net_b(**x), y) + 0.5 * sum((p**2).sum() for p in dec_b)
    ref.zero_grad()
    full.backward()
    ref.step()
    for pa, pb in zip(net_a.parameters(), net_b.parameters()):
        assert torch.allclose(pa, pb, atol=1e-7)


def test_adamw_columns_decay_only_the_regularized_group_and_sgd_has_its_own_lr():
    net = tiny_model()
    cfg = dict(lr=2e-5, sgd_lr=1e-3, head_lr_mult=20.0)
    opt, lr, decay, no_decay = R.build_optimizer("adamw_prescribed", net, cfg)
    assert isinstance(opt, torch.optim.AdamW) and lr == 2e-5
    wd = {id(p): g["weight_decay"] for g in opt.param_groups for p in g["params"]}
    assert all(wd[id(p)] == 0.01 for p in decay) and all(wd[id(p)] == 0.0 for p in no_decay)
    head_lr = [g["lr"] for g in opt.param_groups if any(p is net.head.weight for p in g["params"])]
    assert head_lr == [pytest.approx(4e-4)]
    _, lr_sgd, _, _ = R.build_optimizer("sgd_momentum_equal", net, cfg)
    assert lr_sgd == 1e-3
    opt_eq, *_ = R.build_optimizer("adam_equal", net, cfg)
    assert all(g["weight_decay"] == 0.0 for g in opt_eq.param_groups)  # L_reg is in the loss


# ------------------------------------------------------------------------------ runs


@needs_data
def test_smoke_grid_writes_records_and_mtadam_uses_one_forward_per_step(tmp_path, monkeypatch):
    monkeypatch.setenv("MTADAM_RESULTS", str(tmp_path))
    encoders = R.Encoders("minilm")
    calls = []
    real = encoders.encoder

    def counting():
        enc = real()
        enc.register_forward_hook(lambda *a: calls.append(1))
        return enc

    monkeypatch.setattr(encoders, "encoder", counting)
    recs = R.run_all(
        "smoke",
        methods=["mtadam_equal", "adam_noreg"],
        tasks=["STS-B"],
        encoders=encoders,
        verbose=False,
    )
    cfg = S.config("smoke")
    steps = cfg["train_size"] // cfg["batch_size"]
    assert [r["method"] for r in recs] == ["mtadam_equal-STS-B", "adam_noreg-STS-B"]
    # siamese: two encoder calls per step (one per sentence), and one evaluation batch of two
    assert len(calls) == 2 * (2 * steps + 2)
    mt = recs[0]
    assert mt["metrics"]["steps"] == steps and not dryrun.non_finite(mt["metrics"])
    n_reg = len(M.reg_params(M.PairModel(real(), 1, "siamese"))[0])
    assert len(mt["curves"]["ew_layers"][0]) == n_reg
    assert all(v > 0 for v in mt["curves"]["ew_median"])
    assert record_path("bert", "adam_noreg-STS-B", 0, "smoke").exists()


def test_jobs_split_into_disjoint_shards():
    cfg = S.config("cpu")
    every = R.jobs(cfg)
    assert len(every) == 8 * 3 * len(cfg["seeds"])
    a, b = R.jobs(cfg, shard=(0, 2)), R.jobs(cfg, shard=(1, 2))
    keys = lambda js: {(j["method"], j["seed"]) for j in js}  # noqa: E731
    assert keys(a) | keys(b) == keys(every) and not keys(a) & keys(b)


def test_ablation_variants_set_their_switch_and_leave_the_full_column_unchanged():
    """Chapter 7's BERT cells: each variant of "MTAdam (equal weighting)" builds MTAdam with its
    switch on every group; the full column's config is still the one its stored records hold."""
    from mtbook.core.ablation import ABLATIONS, switches

    assert {s["ablation"] for s in S.ABLATION_METHODS.values()} == set(ABLATIONS)
    model = tiny_model(2, "siamese")
    cfg = S.config("cpu")
    for name, spec in S.ABLATION_METHODS.items():
        assert (spec["optimizer"], spec["reg"], spec["lam2"]) == ("mtadam", "term", 1.0)
        opt = R.build_optimizer(name, model, cfg)[0]
        for key, value in switches(spec["ablation"]).items():
            assert [g[key] for g in opt.param_groups] == [value] * len(opt.param_groups), name
        assert R.run_config(name, "MRPC", cfg)["mtadam"] == switches(spec["ablation"])
    full = R.build_optimizer("mtadam_equal", model, cfg)[0].param_groups[0]
    assert (full["normalize"], full["anchor"], full["denom"]) == ("layer", True, "max")
    stored = record_path("bert", "mtadam_equal-MRPC", 0, "cpu")
    if stored.exists():  # the chapter's MTAdam records are chapter 7's full-method cells
        assert load_record(stored)["config"] == R.run_config("mtadam_equal", "MRPC", cfg)
    assert "mtadam" not in R.run_config("mtadam_equal", "MRPC", cfg)
    with pytest.raises(ValueError, match="unknown BERT method"):
        R.jobs(cfg, methods=["mtadam_equal_no_such_switch"])
    with pytest.raises(ValueError, match="not among this profile"):
        R.jobs(cfg, seeds=[7])
    assert {j["seed"] for j in R.jobs(cfg, tasks=list(S.ABLATION_TASKS), seeds=[2])} == {2}


def test_full_config_dry_run_bert_base_two_steps(tmp_path, monkeypatch):
    """bert-base-uncased at full size (built from BertConfig, random weights: no download), the full
    config's record, two steps of batch 2 on real MRPC pairs for Adam, MTAdam (equal weights) and
    MTAdam's five ablation variants (chapter 7's BERT cells)."""
    if not HAS_DATA:
        pytest.skip("needs MTADAM_DATA (GLUE)")
    results = dryrun.full_profile_env(monkeypatch, tmp_path)
    full = S.config("full")
    assert (full["encoder"], full["batch_size"], full["epochs"], full["lr"]) == (
        "bert-base",
        32,
        3,
        2e-5,
    )
    encoders = R.Encoders("bert-base", pretrained=False)
    made = []
    real_encoder, real_train = encoders.encoder, R.train_run

    def capture():
        enc = real_encoder()
        made.append((enc, dryrun.snapshot(enc)))
        return enc

    moved = []  # per run: the full-size encoder's unchanged parameters (checked, then freed)

    def short(method, task, seed, cfg, enc, bar=None):
        assert cfg == full
        out = real_train(
            method,
            task,
            seed,
            dryrun.shrink(cfg, train_size=4, dev_size=4, batch_size=2, epochs=1),
            enc,
            bar,
        )
        encoder, snap = made.pop()  # one bert-base (and its snapshot) alive at a time
        moved.append(dryrun.unchanged_params([encoder], snap))
        return out

    monkeypatch.setattr(encoders, "encoder", capture)
    monkeypatch.setattr(R, "train_run", short)
    monkeypatch.setattr(R, "run_grid", dryrun.limit_jobs(R.run_grid, lambda j: j["seed"] == 0))
    variants = list(S.ABLATION_METHODS)
    recs = R.run_all(
        "full",
        methods=["adam_equal", "mtadam_equal", *variants],
        tasks=["MRPC"],
        encoders=encoders,
        verbose=False,
    )
    assert len(recs) == 2 + len(variants)
    assert moved == [[]] * len(recs) and made == []
    for rec in recs:
        assert dryrun.non_finite(rec["metrics"]) == [] and rec["metrics"]["steps"] == 2
        stored = load_record(record_path("bert", rec["method"], 0, "full"))
        assert stored["config"]["profile_config"]["train_size"] is None
        assert stored["config"]["encoder"] == "BERT-base (bert-base-uncased)"
        name = rec["method"].removesuffix("-MRPC")
        if name in S.ABLATION_METHODS:
            assert stored["config"]["mtadam"] == S.ABLATION_METHODS[name]["mtadam"]
    assert (results / "full" / "bert").is_dir()


# ------------------------------------------------------------------------------ RecoBERT


def test_retrieval_metrics_on_known_ranks():
    q = torch.eye(4)
    assert RB.retrieval_metrics(q, q) == {"MPR": 100.0, "MRR": 100.0, "HR@10": 100.0}
    # candidate order reversed for query 0: its true item ranks last of four
    c = torch.eye(4)
    q0 = torch.tensor([[0.0, 0.3, 0.2, 0.1]]) + torch.tensor([[0.05, 0, 0, 0]])
    m = RB.retrieval_metrics(torch.cat([q0, q[1:]]), c)
    assert m["MRR"] == pytest.approx(100 * (1 / 4 + 3) / 4)
    assert m["MPR"] == pytest.approx(100 * (0 + 3) / 4)


def test_masking_never_touches_special_tokens_and_masks_about_15_percent():
    g = torch.Generator().manual_seed(0)
    ids = torch.randint(5, 100, (64, 40), generator=g)
    special = torch.zeros_like(ids, dtype=torch.bool)
    special[:, 0] = special[:, -1] = True
    new, labels = RB.mask_tokens(ids, special, 0.15, 100, 3, g)
    chosen = labels != -100
    assert not chosen[special].any() and torch.equal(new[special], ids[special])
    assert 0.12 < chosen.float().sum() / (~special).sum() < 0.18
    assert torch.equal(labels[chosen], ids[chosen])
    assert (new[chosen] == 3).float().mean() > 0.7  # 80% [MASK]


def test_recobert_terms_one_forward_and_wines_needs_kaggle(monkeypatch, tmp_path):
    from transformers import BertConfig, BertForMaskedLM

    torch.manual_seed(0)
    model = BertForMaskedLM(
        BertConfig(
            vocab_size=120,
            hidden_size=16,
            num_hidden_layers=1,
            num_attention_heads=2,
            intermediate_size=32,
        )
    )
    tok = M.load_tokenizer("minilm")
    cfg = dict(max_len=24, mlm_prob=0.5)
    items = [("a red wine", "dark fruit and oak"), ("a white wine", "citrus and stone")]
    gen = torch.Generator().manual_seed(0)
    b = RB.make_batch(tok, items, cfg, gen)
    b["ids"] = b["ids"].clamp_max(119)
    b["labels"] = torch.where(b["labels"] == -100, b["labels"], b["labels"].clamp_max(119))
    l_mlm, l_tdm = RB.terms(model, b)
    assert l_mlm.requires_grad and l_tdm.requires_grad and l_tdm > 0
    monkeypatch.setenv("MTADAM_DATA", str(tmp_path))
    with pytest.raises(DataError, match="Kaggle login"):
        RB.wines_catalog()


@needs_data
def test_recobert_smoke_grid_records(tmp_path, monkeypatch):
    monkeypatch.setenv("MTADAM_RESULTS", str(tmp_path))
    recs = RB.run_all("smoke", methods=["mtadam", "hyperband"], verbose=False)
    assert [r["method"] for r in recs] == ["mtadam", "hyperband"]
    for r in recs:
        assert set(("MPR", "MRR", "HR@10")) <= set(r["metrics"])
        assert r["config"]["task"].startswith("proxy")
    assert 1e-4 <= recs[1]["metrics"]["chosen_lambda"] <= 1e4
    assert len(recs[1]["extra"]["trials"]) == RB.CONFIG["smoke"]["hb_trials"]


def test_full_config_dry_run_recobert_bert_base(tmp_path, monkeypatch):
    """RecoBERT at full: without the wines catalogue a clear message; the bert-base MLM model
    (random weights, no download) takes two MTAdam steps on the two terms on real RTE items."""
    if not HAS_DATA:
        pytest.skip("needs MTADAM_DATA (GLUE)")
    data_root = os.environ["MTADAM_DATA"]
    dryrun.full_profile_env(monkeypatch, tmp_path)
    monkeypatch.setenv("MTADAM_DATA", str(tmp_path))
    with pytest.raises(DataError, match="Kaggle"):
        RB.run_all("full")
    monkeypatch.setenv("MTADAM_DATA", data_root)
    full = RB.config("full")
    assert (full["encoder"], full["hb_trials"], full["batch_size"]) == ("bert-base", 40, 32)
    cfg = dryrun.shrink(
        full, train_size=2, val_size=2, test_size=3, batch_size=2, chunks=1, chunk_steps=2
    )
    models = RB.Models("bert-base", pretrained=False)
    made = []
    real = models.model

    def capture():
        m = real()
        made.append((m, dryrun.snapshot(m)))
        return m

    monkeypatch.setattr(models, "model", capture)
    out = RB.train_run("mtadam", 1.0, 0, cfg, models, RB.splits(cfg))
    assert out["metrics"]["steps"] == 2 and dryrun.non_finite(out["metrics"]) == []
    model, snap = made[0]
    assert model.bert.config.hidden_size == 768
    changed = set(snap) - set(dryrun.unchanged_params([model], snap))
    assert "0.bert.encoder.layer.11.output.dense.weight" in changed
    assert "0.cls.predictions.transform.dense.weight" in changed


def test_table2_reads_its_columns_only_not_the_ablation_runs_beside_them():
    from mtbook.experiments.bert import plots as P

    recs = [dict(method=m) for m in ("mtadam_equal-MRPC", "mtadam_equal_denom_own-MRPC", "x-RTE")]
    recs += [dict(method=S.method_key(m, t)) for m in S.METHODS for t in S.TASKS]
    kept = P.table2_records(recs)
    assert len(kept) == len(S.METHODS) * len(S.TASKS) + 1
    assert {r["method"] for r in kept} == {S.method_key(m, t) for m in S.METHODS for t in S.TASKS}
