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
    subprocess.run([sys.executable, "-m", "pip", "install", "-q",
                    "mtadam[book] @ git+https://github.com/mtadam-book/mtadam-book"], check=True)

# %%
from mtbook.core.notebook import setup
PROFILE = setup()

# %% [markdown]
# ## The paper's numbers
#
# As printed in the later version of the paper (the one with Algorithm 1 and the BERT experiments); copied by hand from its tables.

# %% tags=["hide-input"]
# NBVAL_CHECK_OUTPUT
from IPython.display import Markdown, display
from mtbook.core.records import markdown_table

PAPER_TABLE_2 = {
    'Table 2, mean ± SD over five runs': {
        "columns": ['setting', 'optimizer', 'MRPC', 'RTE', 'STS-B'],
        "rows": [
            {'setting': 'no reg.', 'optimizer': 'Adam', 'MRPC': '85.9 ± 3.0', 'RTE': '68.5 ± 11.5', 'STS-B': '90.1 ± 0.4'},
            {'setting': 'equal weighting', 'optimizer': 'SGD-Momentum', 'MRPC': '68.3 ± 0', 'RTE': '60.5 ± 1.2', 'STS-B': '80.7 ± 1.3'},
            {'setting': 'equal weighting', 'optimizer': 'RMSProp', 'MRPC': '68.3 ± 0', 'RTE': '54 ± 2.7', 'STS-B': '80.2 ± 1.4'},
            {'setting': 'equal weighting', 'optimizer': 'Adam', 'MRPC': '68.3 ± 0', 'RTE': '55.5 ± 2.8', 'STS-B': '81.3 ± 1.0'},
            {'setting': 'equal weighting', 'optimizer': 'AdamW', 'MRPC': '86.9 ± 1.1', 'RTE': '72.2 ± 1.9', 'STS-B': '89.5 ± 0.1'},
            {'setting': 'equal weighting', 'optimizer': 'MTAdam', 'MRPC': '87.2 ± 1.1', 'RTE': '73.7 ± 1.8', 'STS-B': '90.4 ± 0.2'},
            {'setting': 'prescribed weights', 'optimizer': 'Adam', 'MRPC': '87.2 ± 1.3', 'RTE': '70.0 ± 3.0', 'STS-B': '90.4 ± 0.1'},
            {'setting': 'prescribed weights', 'optimizer': 'AdamW', 'MRPC': '86.9 ± 1.1', 'RTE': '69.6 ± 4.5', 'STS-B': '90.4 ± 0.2'},
        ],
    },
}
for caption, table in PAPER_TABLE_2.items():
    display(Markdown(f"**{caption}** (paper)\n\n" + markdown_table(table["rows"], table["columns"], digits=6)))
