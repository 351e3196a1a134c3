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
# # BERT fine-tuning: classification + L2 with equal weights (planned)
#
# **Question.** Fine-tuning BERT {cite:p}`devlin2019bert` can be written as two terms,
# $\mathcal{L} = \lambda_1 \mathcal{L}_{bce} + \lambda_2 \mathcal{L}_{reg}$, with the prescribed
# $\lambda_2 = 0.01$ (AdamW's weight decay {cite:p}`loshchilov2017adamw`). With equal weights
# ($\lambda_2 = 1$), does MTAdam still reach the accuracy of the prescribed setting?
#
# **What this chapter will reproduce.** Section 5.2 and Table 2 of the paper (later version only):
# mean ± SD over five runs on MRPC, RTE and STS-B {cite:p}`wang2019glue,dolan2005mrpc`. No
# pretrained BERT weights are available offline here, so the `cpu` profile will use a small
# transformer trained from scratch and say so; the `full` profile is the paper's setting where
# the weights can be downloaded.
#
# ```{admonition} Planned
# :class: note
# This chapter is not written yet. Below are the paper's numbers it will be compared with;
# nothing on this page is a result of ours. The paper calls every column "Accuracy"; for
# STS-B (a regression task) the GLUE metric is a correlation.
# ```

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
