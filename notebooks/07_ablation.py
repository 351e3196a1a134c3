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

PAPER_TABLE_7 = {
    'Table 7 (accuracy higher is better; L1, L2, NMSE, FID lower)': {
        "columns": ['variant', 'MRPC acc', 'RTE acc', 'facades L1', 'facades L2', 'facades NMSE', 'facades FID', 'h2z L1-A', 'h2z FID-A', 'h2z L1-B', 'h2z FID-B'],
        "rows": [
            {'variant': '(i) removing lines 6-8', 'MRPC acc': 72.4, 'RTE acc': 58.5, 'facades L1': 53.45, 'facades L2': 5021, 'facades NMSE': 0.326, 'facades FID': 134.0, 'h2z L1-A': 74.7, 'h2z FID-A': 225.2, 'h2z L1-B': 71.2, 'h2z FID-B': 217.1},
            {'variant': '(ii) removing line 6, g^i_l -> g^i (one global norm)', 'MRPC acc': 83.7, 'RTE acc': 63.9, 'facades L1': 46.8, 'facades L2': 3850, 'facades NMSE': 0.258, 'facades FID': 133.5, 'h2z L1-A': 70.1, 'h2z FID-A': 75.2, 'h2z L1-B': 69.5, 'h2z FID-B': 145.7},
            {'variant': '(iii) no scaling by n^1_{l,t} in line 8', 'MRPC acc': 78.9, 'RTE acc': 64.2, 'facades L1': 46.7, 'facades L2': 3862, 'facades NMSE': 0.242, 'facades FID': 136.3, 'h2z L1-A': 72.3, 'h2z FID-A': 82.4, 'h2z L1-B': 70.6, 'h2z FID-B': 167.2},
            {'variant': '(iv) line 14: own v^i like Adam', 'MRPC acc': 84.2, 'RTE acc': 63.8, 'facades L1': 48.2, 'facades L2': 3956, 'facades NMSE': 0.245, 'facades FID': 171.5, 'h2z L1-A': 73.5, 'h2z FID-A': 210.5, 'h2z L1-B': 71.1, 'h2z FID-B': 190.3},
            {'variant': '(v) line 14: mean instead of max', 'MRPC acc': 86.3, 'RTE acc': 69.2, 'facades L1': 48.3, 'facades L2': 4020, 'facades NMSE': 0.249, 'facades FID': 156.8, 'h2z L1-A': 73.7, 'h2z FID-A': 208.4, 'h2z L1-B': 71.6, 'h2z FID-B': 173.5},
            {'variant': 'full method', 'MRPC acc': 87.2, 'RTE acc': 73.7, 'facades L1': 46.5, 'facades L2': 3822, 'facades NMSE': 0.236, 'facades FID': 130.4, 'h2z L1-A': 68.7, 'h2z FID-A': 73.0, 'h2z L1-B': 69.0, 'h2z FID-B': 139.7},
        ],
    },
}
for caption, table in PAPER_TABLE_7.items():
    display(Markdown(f"**{caption}** (paper)\n\n" + markdown_table(table["rows"], table["columns"], digits=6)))
