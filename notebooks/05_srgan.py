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
# # SRGAN: MSE + GAN + perceptual with equal weights (planned)
#
# **Question.** SRGAN {cite:p}`ledig2017srgan` combines
# $\mathcal{L} = \lambda_1 \mathcal{L}_{MSE} + \lambda_2 \mathcal{L}_{GAN} + \lambda_3 \mathcal{L}_{perc}$
# with $\lambda = (1, 0.001, 0.006)$. With $\lambda_2 = \lambda_3 = 1$ the GAN and perceptual
# terms swamp the pixel loss. Does MTAdam still train a good 4x super-resolution network?
#
# **What this chapter will reproduce.** Section 5.4 and Table 6 of the paper: SRGAN with equal
# weights trained with SGD-momentum, RMSProp, Adam and MTAdam, against Adam with the prescribed
# weights, scored by PSNR, SSIM {cite:p}`wang2004ssim` and FID on Set14
# {cite:p}`zeyde2010set14` and BSD100 {cite:p}`martin2001bsd` (training on T91 + BSD200 at `cpu`).
#
# ```{admonition} Planned
# :class: note
# This chapter is not written yet. Below are the paper's numbers it will be compared with;
# nothing on this page is a result of ours. The paper prints 66.24 as the Set14 SSIM of
# Hyperband-FID, which cannot be an SSIM (it lies in [0, 1]); it is copied here as printed.
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

PAPER_TABLE_6 = {
    'Table 6, Set14 (PSNR, SSIM higher is better; FID lower)': {
        "columns": ['method', 'PSNR', 'SSIM', 'FID'],
        "rows": [
            {'method': 'SGD-Momentum (equal weights)', 'PSNR': 22.95, 'SSIM': 0.6213, 'FID': 74.92},
            {'method': 'RMSProp (equal weights)', 'PSNR': 23.04, 'SSIM': 0.6252, 'FID': 72.92},
            {'method': 'Adam (equal weights)', 'PSNR': 23.43, 'SSIM': 0.6264, 'FID': 69.96},
            {'method': 'MTAdam (equal weights)', 'PSNR': 25.97, 'SSIM': 0.7219, 'FID': 66.03},
            {'method': 'Hyperband-FID', 'PSNR': 24.89, 'SSIM': 66.24, 'FID': 67.26},
            {'method': 'Adam-prescribed', 'PSNR': 26.02, 'SSIM': 0.7397, 'FID': 66.59},
        ],
    },
    'Table 6, BSD100 (PSNR, SSIM higher is better; FID lower)': {
        "columns": ['method', 'PSNR', 'SSIM', 'FID'],
        "rows": [
            {'method': 'SGD-Momentum (equal weights)', 'PSNR': 23.01, 'SSIM': 0.5997, 'FID': 79.45},
            {'method': 'RMSProp (equal weights)', 'PSNR': 23.14, 'SSIM': 0.602, 'FID': 76.64},
            {'method': 'Adam (equal weights)', 'PSNR': 23.71, 'SSIM': 0.607, 'FID': 77.24},
            {'method': 'MTAdam (equal weights)', 'PSNR': 25.23, 'SSIM': 0.669, 'FID': 74.97},
            {'method': 'Hyperband-FID', 'PSNR': 24.8, 'SSIM': 0.6554, 'FID': 75.65},
            {'method': 'Adam-prescribed', 'PSNR': 25.16, 'SSIM': 0.6688, 'FID': 72.57},
        ],
    },
}
for caption, table in PAPER_TABLE_6.items():
    display(Markdown(f"**{caption}** (paper)\n\n" + markdown_table(table["rows"], table["columns"], digits=6)))
