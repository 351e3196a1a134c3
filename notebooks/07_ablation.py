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
# # Ablation: which lines of Algorithm 1 matter? (planned)
#
# **Question.** MTAdam changes Adam in three places: per-layer magnitudes $n^i_{l,t}$ (lines 6-7),
# rescaling every term to the anchor's magnitude $n^1_{l,t}$ (line 8), and dividing by the
# largest second moment $\max_i \hat v^i_t$ (line 14). Which of them is needed?
#
# **What this chapter will reproduce.** Section 5.5 and Table 7 of the paper, with the optimizer's
# ablation switches: (i) `normalize="none"`, (ii) `normalize="global"`, (iii) `anchor=False`,
# (iv) `denom="own"`, (v) `denom="mean"`, each on the equal-weights pix2pix facades and the
# suboptimal CycleGAN horse2zebra settings of chapters 4 and 6 (and, if time allows, BERT on MRPC
# and RTE from chapter 8).
#
# ```{admonition} Planned
# :class: note
# This chapter is not written yet. Below are the paper's numbers it will be compared with;
# nothing on this page is a result of ours.
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
# typed once in `mtbook/experiments/ablation/spec.py`.

# %% tags=["hide-input"]
# NBVAL_CHECK_OUTPUT
from IPython.display import Markdown, display

from mtbook.core.report import markdown_table
from mtbook.experiments.ablation.spec import PAPER_TABLE7, VARIANTS

columns = ["variant"] + [
    f"{task} {metric}" for task, metrics in PAPER_TABLE7["full"].items() for metric in metrics
]
rows = [
    {
        "variant": VARIANTS[key]["paper"],
        **{
            f"{task} {metric}": value
            for task, metrics in row.items()
            for metric, value in metrics.items()
        },
    }
    for key, row in PAPER_TABLE7.items()
]
display(
    Markdown(
        "**Table 7 (accuracy higher is better; L1, L2, NMSE, FID lower)** (paper)\n\n"
        + markdown_table(rows, columns, digits=6)
    )
)
