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
# # CycleGAN: six terms, cycle loss weighted 100x too high (planned)
#
# **Question.** CycleGAN {cite:p}`zhu2017cyclegan` balances six terms,
# $\lambda_1(\mathcal{L}_{GAN_A} + \mathcal{L}_{GAN_B}) + \lambda_2(\mathcal{L}_{cyc_A} + \mathcal{L}_{cyc_B})
# + \lambda_3(\mathcal{L}_{idt_A} + \mathcal{L}_{idt_B})$ with $\lambda = (1, 10, 0.5)$.
# With $\lambda_2 = 1000$ the cycle loss dominates and Adam collapses to the identity mapping.
# Does MTAdam still learn to turn horses into zebras?
#
# **What this chapter will reproduce.** Section 5.4 and Table 5 of the paper: CycleGAN with
# $\lambda_2 = 1000$ trained with SGD-momentum, RMSProp, Adam and MTAdam, against Adam with the
# prescribed weights, on horse2zebra (a subset of the training images at `cpu`), scored by L1,
# L2, NMSE and FID in both directions. The maps-to-aerial half is out of scope here.
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

PAPER_TABLE_5 = {
    'Table 5, horse to zebra (A) and zebra to horse (B), lower is better': {
        "columns": ['method', 'L1-A', 'L2-A', 'NMSE-A', 'FID-A', 'L1-B', 'L2-B', 'NMSE-B', 'FID-B'],
        "rows": [
            {'method': 'SGD-Momentum (suboptimal weights)', 'L1-A': 82.3, 'L2-A': 10217, 'NMSE-A': 0.5866, 'FID-A': 283.3, 'L1-B': 127.0, 'L2-B': 20331, 'NMSE-B': 0.9898, 'FID-B': 406.3},
            {'method': 'RMSProp (suboptimal weights)', 'L1-A': 73.8, 'L2-A': 8384, 'NMSE-A': 0.4814, 'FID-A': 233.9, 'L1-B': 70.6, 'L2-B': 7683, 'NMSE-B': 0.374, 'FID-B': 230.9},
            {'method': 'Adam (suboptimal weights)', 'L1-A': 74.4, 'L2-A': 8421, 'NMSE-A': 0.4935, 'FID-A': 229.6, 'L1-B': 72.3, 'L2-B': 7742, 'NMSE-B': 0.3842, 'FID-B': 227.1},
            {'method': 'MTAdam (suboptimal weights)', 'L1-A': 68.7, 'L2-A': 7235, 'NMSE-A': 0.4151, 'FID-A': 73.0, 'L1-B': 69.0, 'L2-B': 7281, 'NMSE-B': 0.3545, 'FID-B': 139.7},
            {'method': 'Hyperband-FID', 'L1-A': 72.3, 'L2-A': 8049, 'NMSE-A': 0.4687, 'FID-A': 189.2, 'L1-B': 71.8, 'L2-B': 7584, 'NMSE-B': 0.3746, 'FID-B': 192.6},
            {'method': 'Adam-prescribed', 'L1-A': 68.6, 'L2-A': 7248, 'NMSE-A': 0.4161, 'FID-A': 70.6, 'L1-B': 68.6, 'L2-B': 7207, 'NMSE-B': 0.3509, 'FID-B': 143.8},
        ],
    },
    'Table 5, maps to aerial, lower is better': {
        "columns": ['method', 'L1-A', 'L2-A', 'NMSE-A', 'FID-A', 'L1-B', 'L2-B', 'NMSE-B', 'FID-B'],
        "rows": [
            {'method': 'SGD-Momentum (suboptimal weights)', 'L1-A': 26.7, 'L2-A': 1102, 'NMSE-A': 0.0209, 'FID-A': 437.5, 'L1-B': 73.01, 'L2-B': 7146, 'NMSE-B': 1.0, 'FID-B': 738.6},
            {'method': 'RMSProp (suboptimal weights)', 'L1-A': 12.9, 'L2-A': 389, 'NMSE-A': 0.0074, 'FID-A': 170.2, 'L1-B': 36.81, 'L2-B': 2260, 'NMSE-B': 0.3154, 'FID-B': 231.3},
            {'method': 'Adam (suboptimal weights)', 'L1-A': 12.9, 'L2-A': 386, 'NMSE-A': 0.0073, 'FID-A': 166.3, 'L1-B': 37.0, 'L2-B': 2270, 'NMSE-B': 0.3161, 'FID-B': 234.2},
            {'method': 'MTAdam (suboptimal weights)', 'L1-A': 10.6, 'L2-A': 376, 'NMSE-A': 0.0071, 'FID-A': 113.0, 'L1-B': 35.37, 'L2-B': 2242, 'NMSE-B': 0.3137, 'FID-B': 48.8},
            {'method': 'Hyperband-FID', 'L1-A': 12.9, 'L2-A': 387, 'NMSE-A': 0.0073, 'FID-A': 169.4, 'L1-B': 36.91, 'L2-B': 2226, 'NMSE-B': 0.3102, 'FID-B': 233.1},
            {'method': 'Adam-prescribed', 'L1-A': 8.5, 'L2-A': 301, 'NMSE-A': 0.0057, 'FID-A': 116.1, 'L1-B': 35.45, 'L2-B': 2250, 'NMSE-B': 0.3148, 'FID-B': 46.8},
        ],
    },
}
for caption, table in PAPER_TABLE_5.items():
    display(Markdown(f"**{caption}** (paper)\n\n" + markdown_table(table["rows"], table["columns"], digits=6)))
