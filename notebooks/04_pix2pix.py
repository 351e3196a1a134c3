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
# # pix2pix: L1 + GAN with equal weights (planned)
#
# **Question.** pix2pix {cite:p}`isola2017pix2pix` trains its generator on
# $\mathcal{L} = \lambda_1 \mathcal{L}_{L1} + \lambda_2 \mathcal{L}_{GAN}$ with the prescribed
# $\lambda_1 = 100, \lambda_2 = 1$. If the two terms are simply added with equal weight (a 1:1
# ratio, i.e. the L1 term 100 times too weak), can MTAdam recover the prescribed result on its own?
#
# **What this chapter will reproduce.** Section 5.4 and Table 4 of the paper (later version;
# the earlier version calls the settings "Unbalanced" and "Balanced"): pix2pix trained on the CMP
# facades {cite:p}`tylecek2013facades` (labels to photo) with equal weights using SGD-momentum,
# RMSProp, Adam and MTAdam, against Adam with the prescribed weights, scored by L1, L2, NMSE and
# FID {cite:p}`heusel2017fid` on the test split; plus the FID-per-epoch curves of Figure 4.
# The `cpu` profile will use small images and few epochs; the `full` profile the paper's settings.
# The maps-to-aerial half of the table is out of scope here (that data set is not in our data directory).
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
    subprocess.run([sys.executable, "-m", "pip", "install", "-q",
                    "mtadam[book] @ git+https://github.com/mtadam-book/mtadam-book"], check=True)

# %%
from mtbook.notebook import setup
PROFILE = setup()

# %% [markdown]
# ## The paper's numbers
#
# As printed in the later version of the paper (the one with Algorithm 1 and the BERT experiments); copied by hand from its tables.

# %% tags=["hide-input"]
# NBVAL_CHECK_OUTPUT
from IPython.display import Markdown, display
from mtbook.records import markdown_table

PAPER_TABLE_4 = {
    'Table 4, facades (labels to photo), lower is better': {
        "columns": ['method', 'L1', 'L2', 'NMSE', 'FID'],
        "rows": [
            {'method': 'SGD-Momentum (equal weights)', 'L1': 120.12, 'L2': 18308, 'NMSE': 1.132, 'FID': 339.4},
            {'method': 'RMSProp (equal weights)', 'L1': 53.98, 'L2': 4913, 'NMSE': 0.303, 'FID': 136.1},
            {'method': 'Adam (equal weights)', 'L1': 54.92, 'L2': 5074, 'NMSE': 0.313, 'FID': 133.55},
            {'method': 'MTAdam (equal weights)', 'L1': 46.5, 'L2': 3822, 'NMSE': 0.236, 'FID': 130.38},
            {'method': 'Hyperband-FID', 'L1': 54.12, 'L2': 4992, 'NMSE': 0.308, 'FID': 141.96},
            {'method': 'Adam-prescribed', 'L1': 45.84, 'L2': 3811, 'NMSE': 0.235, 'FID': 130.5},
        ],
    },
    'Table 4, maps to aerial, lower is better': {
        "columns": ['method', 'L1', 'L2', 'NMSE', 'FID'],
        "rows": [
            {'method': 'SGD-Momentum (equal weights)', 'L1': 45.1, 'L2': 3428.3, 'NMSE': 0.491, 'FID': 102.45},
            {'method': 'RMSProp (equal weights)', 'L1': 42.4, 'L2': 3056.7, 'NMSE': 0.435, 'FID': 95.74},
            {'method': 'Adam (equal weights)', 'L1': 38.1, 'L2': 2632.3, 'NMSE': 0.368, 'FID': 88.08},
            {'method': 'MTAdam (equal weights)', 'L1': 33.6, 'L2': 2096.9, 'NMSE': 0.293, 'FID': 86.4},
            {'method': 'Hyperband-FID', 'L1': 35.14, 'L2': 2391.2, 'NMSE': 0.341, 'FID': 86.45},
            {'method': 'Adam-prescribed', 'L1': 34.4, 'L2': 2163.4, 'NMSE': 0.303, 'FID': 85.76},
        ],
    },
}
for caption, table in PAPER_TABLE_4.items():
    display(Markdown(f"**{caption}** (paper)\n\n" + markdown_table(table["rows"], table["columns"], digits=6)))
