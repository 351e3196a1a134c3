"""Table 3: RecoBERT, ``L_MLM + lambda L_TDM``, on the wines task (full) or a labelled proxy (cpu).

RecoBERT (Malkiel et al., 2020) trains a BERT encoder on a catalogue of (title, description) items
with two self-supervised terms on the input ``[CLS] title [SEP] description [SEP]``:

* ``L_MLM``: BERT's masked language model (15% of the non-special tokens; of those 80% ``[MASK]``,
  10% a random token, 10% kept), cross-entropy on the masked positions;
* ``L_TDM``: the title-description model: the cosine of the mean-pooled title and description token
  embeddings, mapped to ``p = (1 + cos) / 2`` and scored by binary cross-entropy against "same item"
  (half the pairs of a batch get another item's description, label 0). The paper: "a standard cross
  entropy employed over the cosine between the averaged pooled embeddings of the title and
  description tokens".

**Full (the paper).** The wine-reviews catalogue (Kaggle, zynicide/wine-reviews; needs a Kaggle
login, so :func:`wines_catalog` says how to put it in place) and the sommelier-annotated similarity
test set (Zenodo record 3653403, :data:`ZENODO_RECORD`).

**Proxy (cpu).** No wines offline. A real public set of short-text / paragraph pairs is: GLUE RTE
(a paragraph and a one-sentence hypothesis written about it). Each pair is an "item", its
hypothesis the "title" and its paragraph the "description". Training items come from RTE's
training file, test items from its dev file (paraphrase pairs were tried first: the pretrained
all-MiniLM-L6-v2 already retrieves them at MRR 98.9%, no room to measure anything; on RTE its MRR
is 93%). Test = retrieve each item's own description by its title among all test descriptions
(texts encoded alone, mean-pooled, cosine), scored with the paper's metrics: MPR (mean percentile
rank of the true description, 100 = always first), MRR and HR@10, in percent. This is a retrieval
proxy for RecoBERT's objective, not the wines similarity task; every table says so.
"""

from __future__ import annotations

import copy
import math
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from ...core.data import DataError, data_dir
from ...core.optim import make_optimizer
from ...core.profiles import get_profile
from ...core.runs import config_for, run_grid
from .model import encoder_files, load_tokenizer, read_glue
from .spec import BERT_BASE_CONFIG, ENCODERS

EXPERIMENT = "recobert"
ZENODO_RECORD = "https://zenodo.org/records/3653403"  # doi:10.5281/zenodo.3653403 (wines test set)
KAGGLE_WINES = "https://www.kaggle.com/zynicide/wine-reviews"
PROXY_LABEL = (
    "proxy: retrieve each GLUE RTE hypothesis's own paragraph among all dev paragraphs, "
    "not the wines task"
)

# Table 3's rows. lambda = 1 everywhere ("equal weights" is RecoBERT's own setting); Hyperband
# searches lambda in [1e-4, 1e4] (log) on the validation loss L_MLM + L_TDM.
METHODS = {
    "sgd_momentum": dict(optimizer="sgd"),
    "rmsprop": dict(optimizer="rmsprop"),
    "adam_prescribed": dict(optimizer="adam"),
    "mtadam": dict(optimizer="mtadam"),
    "hyperband": dict(optimizer="adam"),
}

# cpu: MiniLM stand-in, 24 steps of batch 16 (3 chunks of 8) on 576 training items, max 96
# tokens, validation loss on 48 held-out training items after each chunk, the 262 distinct dev
# items as the test, 3 seeds; Hyperband 4 trials x up to 3 rungs of 8 steps (the paper: 40 trials).
CONFIG = {
    "smoke": dict(
        encoder="minilm",
        max_len=32,
        train_size=32,
        val_size=16,
        test_size=32,
        batch_size=8,
        chunks=2,
        chunk_steps=2,
        lr=5e-5,
        sgd_lr=1e-3,
        mlm_prob=0.15,
        seeds=(0,),
        hb_trials=2,
        threads=1,
    ),
    "cpu": dict(
        encoder="minilm",
        max_len=96,
        train_size=576,
        val_size=48,
        test_size=None,
        batch_size=16,
        chunks=3,
        chunk_steps=8,
        lr=5e-5,
        sgd_lr=1e-3,
        mlm_prob=0.15,
        seeds=(0, 1, 2),
        hb_trials=4,
        threads=1,
    ),
    "full": dict(
        encoder="bert-base",
        max_len=256,
        train_size=None,
        val_size=1000,
        test_size=None,
        batch_size=32,
        chunks=3,
        chunk_steps=None,
        lr=2e-5,
        sgd_lr=1e-3,
        mlm_prob=0.15,
        seeds=(0, 1, 2),
        hb_trials=40,
        threads=None,
    ),
}


def config(profile: str | None = None) -> dict:
    return config_for(CONFIG, profile, EXPERIMENT)


# ------------------------------------------------------------------------------ data


def download_wines_testset(dest: Path | None = None) -> list[Path]:
    """Download the sommelier-annotated wines test set from Zenodo (:data:`ZENODO_RECORD`) into
    ``dest`` (default ``$MTADAM_DATA/wines``), every file checked against the md5 Zenodo lists."""
    import hashlib
    import json
    import urllib.request

    from ...core.data import download

    dest = Path(dest) if dest else data_dir() / "wines"
    api = ZENODO_RECORD.replace("/records/", "/api/records/")
    try:
        with urllib.request.urlopen(api, timeout=30) as r:
            files = json.load(r)["files"]
    except OSError as e:
        raise DataError(
            f"cannot reach {api} ({e}); the wines test set needs the internet once"
        ) from e
    out = []
    for f in files:
        path = download(f["links"]["self"], dest / f["key"], desc=f["key"])
        algo, _, want = str(f.get("checksum", "")).partition(":")
        if algo == "md5" and hashlib.md5(path.read_bytes()).hexdigest() != want:
            raise DataError(f"{path}: md5 differs from Zenodo's {want}; not used")
        out.append(path)
    return out


def wines_items() -> list[tuple[str, str]]:
    """(title, description) of every wine of the catalogue (full profile)."""
    import csv

    with open(wines_catalog(), encoding="utf-8", newline="") as f:
        return [(r["title"], r["description"]) for r in csv.DictReader(f)]


def wines_catalog() -> Path:
    """The wine-reviews catalogue (full): ``$MTADAM_DATA/wines/winemag-data-130k-v2.csv``."""
    path = data_dir() / "wines" / "winemag-data-130k-v2.csv"
    if not path.is_file():
        raise DataError(
            f"the wines catalogue is not at {path}. It needs a Kaggle login: download "
            f"winemag-data-130k-v2.csv from {KAGGLE_WINES} (or `kaggle datasets download "
            f"zynicide/wine-reviews`), put it there, and fetch the sommelier test set from "
            f"{ZENODO_RECORD} into the same folder. Offline the chapter runs the labelled proxy."
        )
    return path


def proxy_items(split: str) -> list[tuple[str, str]]:
    """(title, description) items of the proxy: GLUE RTE pairs of ``train`` or ``dev``, the short
    hypothesis as the "title", the paragraph it was written from as the "description" (every pair,
    entailed or not: each hypothesis is about its own paragraph)."""
    rte = read_glue("RTE", split)
    seen, out = set(), []
    for t, d in zip(rte.s2, rte.s1):  # one item per distinct title and per distinct description
        if t not in seen and d not in seen:
            seen.update((t, d))
            out.append((t, d))
    return out


def splits(cfg: dict) -> dict:
    """Fixed (seed 0) train / validation / test items of the proxy."""
    train = proxy_items("train")
    order = np.random.default_rng(0).permutation(len(train))
    val = [train[i] for i in order[: cfg["val_size"]]]
    rest = [train[i] for i in order[cfg["val_size"] :]]
    test = proxy_items("dev")
    if cfg["test_size"]:
        test = [
            test[i] for i in np.random.default_rng(1).permutation(len(test))[: cfg["test_size"]]
        ]
    return dict(train=rest[: cfg["train_size"]] if cfg["train_size"] else rest, val=val, test=test)


# ------------------------------------------------------------------------------ model and terms


def load_mlm(name: str, pretrained: bool = True):
    """``BertForMaskedLM``: the verified encoder; MiniLM ships no MLM head, so its head (transform
    + LayerNorm; the decoder is tied to the word embeddings) starts fresh."""
    from transformers import BertConfig, BertForMaskedLM

    if not pretrained:
        return BertForMaskedLM(BertConfig(**BERT_BASE_CONFIG))
    return BertForMaskedLM.from_pretrained(str(encoder_files(name)))


def mask_tokens(ids, special, mlm_prob: float, vocab: int, mask_id: int, gen):
    """BERT's masking: returns (input ids, labels with -100 where not predicted)."""
    labels = ids.clone()
    prob = torch.full(ids.shape, mlm_prob)
    prob[special] = 0.0
    chosen = torch.bernoulli(prob, generator=gen).bool()
    labels[~chosen] = -100
    ids = ids.clone()
    to_mask = torch.bernoulli(torch.full(ids.shape, 0.8), generator=gen).bool() & chosen
    ids[to_mask] = mask_id
    rnd = torch.bernoulli(torch.full(ids.shape, 0.5), generator=gen).bool() & chosen & ~to_mask
    ids[rnd] = torch.randint(vocab, ids.shape, generator=gen)[rnd]
    return ids, labels


def make_batch(tok, items, cfg: dict, gen) -> dict:
    """About half the items keep their description (label 1), the others get the next item's
    (label 0); then BERT's masking."""
    n = len(items)
    neg = torch.rand(n, generator=gen) < 0.5
    descr = [items[(i + 1) % n][1] if neg[i] and n > 1 else items[i][1] for i in range(n)]
    enc = tok(
        [t for t, _ in items],
        descr,
        truncation=True,
        max_length=cfg["max_len"],
        padding=True,
        return_tensors="pt",
        return_special_tokens_mask=True,
    )
    special = enc["special_tokens_mask"].bool() | (enc["attention_mask"] == 0)
    ids, labels = mask_tokens(
        enc["input_ids"], special, cfg["mlm_prob"], tok.vocab_size, tok.mask_token_id, gen
    )
    return dict(
        ids=ids,
        labels=labels,
        types=enc["token_type_ids"],
        attn=enc["attention_mask"],
        special=special,
        same=(~neg).float(),
    )


def terms(model, b: dict) -> tuple[torch.Tensor, torch.Tensor]:
    """``(L_MLM, L_TDM)`` of a batch from one forward pass (MLM logits on masked positions only)."""
    h = model.bert(input_ids=b["ids"], token_type_ids=b["types"], attention_mask=b["attn"])
    h = h.last_hidden_state
    where = b["labels"] != -100
    logits = model.cls(h[where])
    l_mlm = F.cross_entropy(logits, b["labels"][where]) if where.any() else h.sum() * 0
    words = ~b["special"]
    t_mask = ((b["types"] == 0) & words).unsqueeze(-1).float()
    d_mask = ((b["types"] == 1) & words).unsqueeze(-1).float()
    f_t = (h * t_mask).sum(1) / t_mask.sum(1).clamp_min(1)
    f_d = (h * d_mask).sum(1) / d_mask.sum(1).clamp_min(1)
    p = ((1 + F.cosine_similarity(f_t, f_d, dim=-1)) / 2).clamp(1e-6, 1 - 1e-6)
    return l_mlm, F.binary_cross_entropy(p, b["same"])


@torch.no_grad()
def embed(model, tok, texts, max_len: int, batch_size: int = 64) -> torch.Tensor:
    """Each text alone (``[CLS] text [SEP]``), mean of its word-token embeddings, L2-normalised."""
    was = model.training
    model.eval()
    out = []
    for s in range(0, len(texts), batch_size):
        enc = tok(
            texts[s : s + batch_size],
            truncation=True,
            max_length=max_len,
            padding=True,
            return_tensors="pt",
            return_special_tokens_mask=True,
        )
        h = model.bert(input_ids=enc["input_ids"], attention_mask=enc["attention_mask"])
        m = ((enc["special_tokens_mask"] == 0) & (enc["attention_mask"] == 1)).unsqueeze(-1)
        out.append((h.last_hidden_state * m).sum(1) / m.sum(1).clamp_min(1))
    model.train(was)
    return F.normalize(torch.cat(out), dim=-1)


def retrieval_metrics(q: torch.Tensor, c: torch.Tensor) -> dict:
    """Query i's true candidate is i: MPR, MRR, HR@10 in percent (higher is better)."""
    sim = q @ c.T
    true = sim.diagonal().unsqueeze(1)
    rank = 1 + (sim > true).sum(1).float()  # ties count in the query's favour
    n = sim.shape[1]
    return dict(
        MPR=100.0 * float(((n - rank) / max(1, n - 1)).mean()),
        MRR=100.0 * float((1.0 / rank).mean()),
        **{"HR@10": 100.0 * float((rank <= 10).float().mean())},
    )


def test_metrics(model, tok, items, max_len: int) -> dict:
    titles = embed(model, tok, [t for t, _ in items], max_len)
    descr = embed(model, tok, [d for _, d in items], max_len)
    return retrieval_metrics(titles, descr)


@torch.no_grad()
def val_loss(model, tok, items, cfg: dict, seed: int = 12345) -> float:
    """``L_MLM + L_TDM`` (lambda-free, fixed masks and negatives) on the validation items."""
    was = model.training
    model.eval()
    gen = torch.Generator().manual_seed(seed)
    total, bs = 0.0, cfg["batch_size"]
    for s in range(0, len(items), bs):
        a, b = terms(model, make_batch(tok, items[s : s + bs], cfg, gen))
        total += float(a + b) * len(items[s : s + bs])
    model.train(was)
    return total / max(1, len(items))


# ------------------------------------------------------------------------------ training


class Models:
    """Tokenizer and pretrained MLM model, loaded (and verified) once per process."""

    def __init__(self, name: str, pretrained: bool = True):
        self.name, self.pretrained = name, pretrained
        self._m = self._tok = None

    def tokenizer(self):
        if self._tok is None:
            self._tok = load_tokenizer(self.name if self.pretrained else "minilm")
        return self._tok

    def model(self):
        if self._m is None:
            self._m = load_mlm(self.name, self.pretrained)
        return copy.deepcopy(self._m)


def train_run(
    optimizer: str,
    lam: float,
    seed: int,
    cfg: dict,
    models: Models,
    data: dict,
    report=None,
    bar=None,
) -> dict:
    """Train ``chunks`` x ``chunk_steps`` steps on ``L_MLM + lam L_TDM`` (MTAdam: the two terms,
    MLM the anchor); ``report(chunk, validation loss)`` after each chunk (Hyperband)."""
    tok = models.tokenizer()
    torch.manual_seed(seed)
    model = models.model()
    model.train()
    params = [p for p in model.parameters() if p.requires_grad]
    lr = cfg["sgd_lr"] if optimizer == "sgd" else cfg["lr"]
    opt = make_optimizer(optimizer, params, lr=lr)
    train, bs = data["train"], cfg["batch_size"]
    per_chunk = cfg["chunk_steps"] or math.ceil(len(train) / bs)
    gen = torch.Generator().manual_seed(seed)
    order = torch.randperm(len(train), generator=gen).tolist()
    curves = dict(step=[], mlm=[], tdm=[], val=[])
    if optimizer == "mtadam":
        curves.update(ew_step=[], ew_tdm_median=[])
    step, pos, train_time = 0, 0, 0.0
    for chunk in range(cfg["chunks"]):
        for _ in range(per_chunk):
            if pos + bs > len(order):
                order, pos = torch.randperm(len(train), generator=gen).tolist(), 0
            batch = make_batch(tok, [train[i] for i in order[pos : pos + bs]], cfg, gen)
            pos += bs
            t0 = time.perf_counter()
            l_mlm, l_tdm = terms(model, batch)
            if optimizer == "mtadam":
                opt.step([l_mlm, lam * l_tdm])
            else:
                opt.zero_grad(set_to_none=True)
                (l_mlm + lam * l_tdm).backward()
                opt.step()
            train_time += time.perf_counter() - t0
            step += 1
            curves["step"].append(step)
            curves["mlm"].append(float(l_mlm.detach()))
            curves["tdm"].append(float(l_tdm.detach()))
            if optimizer == "mtadam" and step % 4 == 1:
                curves["ew_step"].append(step)
                curves["ew_tdm_median"].append(float(opt.effective_weights()[1].nanmedian()))
            if bar is not None:
                bar.update(1)
        v = val_loss(model, tok, data["val"], cfg)
        curves["val"].append(v)
        if report is not None:
            report(chunk + 1, v)
    metrics = test_metrics(model, tok, data["test"], cfg["max_len"])
    metrics.update(
        val_loss=curves["val"][-1],
        train_time=train_time,
        steps=step,
        time_per_step=train_time / max(1, step),
    )
    return dict(metrics=metrics, curves=curves)


def run_config(method: str, cfg: dict) -> dict:
    return dict(
        method=method,
        task=PROXY_LABEL if cfg["encoder"] == "minilm" else "wines similarity",
        encoder=ENCODERS[cfg["encoder"]]["label"],
        **METHODS[method],
        lam=None if method == "hyperband" else 1.0,
        profile_config={k: v for k, v in cfg.items() if k not in ("seeds", "threads")},
    )


def run_hyperband(seed: int, cfg: dict, models: Models, data: dict, bar=None) -> dict:
    """Hyperband over lambda (Adam); the row is the chosen trial's run (lowest validation loss)."""
    from ...core.hyperband import search

    def train_fn(lam, number, report):
        out = train_run("adam", lam, seed, cfg, models, data, report=report, bar=bar)
        return dict(value=out["metrics"]["val_loss"], **out)

    res = search(train_fn, n_trials=cfg["hb_trials"], max_epochs=cfg["chunks"], seed=seed)
    best = res["best"]
    metrics = dict(best["result"]["metrics"], chosen_lambda=best["lam"])
    trials = [dict(lam=t["lam"], state=t["state"], values=t["values"]) for t in res["trials"]]
    return dict(
        metrics=metrics,
        curves=best["result"]["curves"],
        extra=dict(trials=trials, settings=res["settings"]),
    )


def pretrained_metrics(profile: str | None = None) -> dict:
    """The untrained encoder's test metrics (a reference line: what fine-tuning starts from)."""
    cfg = config(profile)
    models = Models(cfg["encoder"])
    return test_metrics(models.model(), models.tokenizer(), splits(cfg)["test"], cfg["max_len"])


def jobs(cfg: dict, methods=None, shard: tuple[int, int] = (0, 1)) -> list[dict]:
    out = [
        dict(experiment=EXPERIMENT, method=m, seed=s, config=run_config(m, cfg))
        for s in cfg["seeds"]
        for m in (methods or METHODS)
    ]
    if methods is None:  # the untrained encoder, once: what fine-tuning starts from
        out.insert(
            0,
            dict(
                experiment=EXPERIMENT,
                method="pretrained",
                seed=0,
                config=dict(
                    run_config("adam_prescribed", cfg),
                    method="pretrained",
                    optimizer=None,
                    lam=None,
                ),
            ),
        )
    return out[shard[0] :: shard[1]]


def run_all(profile=None, methods=None, shard=(0, 1), models: Models | None = None, verbose=True):
    """Every (row, seed) of Table 3 at ``profile``; stored records with the same config reused."""
    profile = profile or get_profile()
    cfg = config(profile)
    if cfg.get("threads"):
        torch.set_num_threads(cfg["threads"])
    if cfg["encoder"] != "minilm":
        wines_catalog()  # the paper's task: a clear message where the data needs a login
        raise NotImplementedError(
            "RecoBERT on the wines task: the catalogue loader (wines_items) and the Zenodo "
            "test-set download (download_wines_testset) exist, but the test set's file format "
            "could not be checked offline, so its evaluation is not written yet; run the cpu "
            "proxy instead"
        )
    models = models or Models(cfg["encoder"])
    state = {}

    def run(job, bar):
        if "data" not in state:
            state["data"] = splits(cfg)
        if job["method"] == "pretrained":
            m = models.model()
            return dict(
                metrics=test_metrics(m, models.tokenizer(), state["data"]["test"], cfg["max_len"])
            )
        if job["method"] == "hyperband":
            return run_hyperband(job["seed"], cfg, models, state["data"], bar)
        out = train_run(
            METHODS[job["method"]]["optimizer"],
            1.0,
            job["seed"],
            cfg,
            models,
            state["data"],
            bar=bar,
        )
        return dict(metrics=out["metrics"], curves=out["curves"])

    def units(job):
        if job["method"] == "pretrained":
            return 0
        steps = cfg["chunks"] * (cfg["chunk_steps"] or 1)
        return steps * (cfg["hb_trials"] if job["method"] == "hyperband" else 1)

    return run_grid(
        jobs(cfg, methods, shard),
        run,
        desc=f"RecoBERT Table 3 {profile}",
        total_units=units,
        profile=profile,
        verbose=verbose,
    )
