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
# # pix2pix: L1 + GAN with equal weights (Table 4)
#
# **Question.** pix2pix {cite:p}`isola2017pix2pix` trains its generator on
# $\mathcal{L} = \lambda_1 \mathcal{L}_{L1} + \lambda_2 \mathcal{L}_{GAN}$ with the prescribed
# $\lambda_1 = 100, \lambda_2 = 1$. If the two terms are simply added with equal weights, the GAN term
# dominates and Adam's result degrades. Can MTAdam, given the same *unweighted* terms, recover the
# prescribed result on its own, and how does it compare with tuning $\lambda$ by Hyperband?
#
# This is Section 5.4 and Table 4 of the paper {cite:p}`malkiel2021mtadam` on the CMP facades
# {cite:p}`tylecek2013facades` (label map → photo), scored by L1, L2, NMSE and FID
# {cite:p}`heusel2017fid` on the test split, with the validation curves of Figs. 4 and 7 and the
# samples of Fig. 12. The maps → aerial half of Table 4 runs at the `full` profile only (that data
# set is not in our offline data directory; the code downloads it).

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
# typed once in `mtbook/experiments/pix2pix/spec.py`:

# %% tags=["hide-input"]
# NBVAL_CHECK_OUTPUT
from IPython.display import Markdown, display
from mtbook.experiments.pix2pix import paper_rows
from mtbook.core.report import markdown_table

for caption, maps in [
    ("Table 4, facades (labels to photo), lower is better", False),
    ("Table 4, maps to aerial, lower is better", True),
]:
    display(
        Markdown(
            f"**{caption}** (paper)\n\n"
            + markdown_table(paper_rows(maps), ["method", "L1", "L2", "NMSE", "FID"], digits=6)
        )
    )

# %%
import matplotlib.pyplot as plt
import numpy as np
from IPython.display import Markdown, display

from mtbook.core import metrics
from mtbook.core.notebook import glue
from mtbook.core.records import figure_path
from mtbook.core.report import diff_mean_sd, markdown_table, mean_sd, provenance
from mtbook.experiments import pix2pix as P
from mtbook.gan.nets_pix2pix import receptive_field

cfg = P.config(PROFILE)

# %% [markdown]
# ## Two terms, and what "equal weights" means
#
# The paper:
#
# > The objective function of the pix2pix generator has dual-terms: Lpix2pix = λ1L1 + λ2LGAN (2)
# > Where LGAN is the GAN loss of the generator, L1 is the pixel loss, and λ1 and λ2 are set to 100
# > and 1, respectively. In our study, we train Pix2pix with equal weights, setting λ1 to 100 (which
# > implies a 1:1 ratio between the two terms).
#
# The generator $G$ maps a label map $x$ to a photo; the discriminator $D$ scores (label map, photo)
# pairs patch by patch. The generator's two terms, as pix2pix defines them (images in $[-1, 1]$):
#
# $$ \mathcal{L}_{L1} = \mathbb{E}\, \lVert y - G(x) \rVert_1, \qquad
#    \mathcal{L}_{GAN} = \mathbb{E}\, \mathrm{BCE}\big(D(x, G(x)), 1\big), $$
#
# written as a `GanSetup` for the book's one GAN loop:
#
# ```{literalinclude} ../mtbook/experiments/pix2pix/model.py
# :pyobject: make_setup
# :lineno-match:
# ```
#
# Every row of the table goes through the loop's one generator step: SGD with momentum, RMSProp and
# Adam minimise $\lambda_1 \mathcal{L}_{L1} + \lambda_2 \mathcal{L}_{GAN}$; MTAdam receives the list
# $[\lambda_1\mathcal{L}_{L1}, \lambda_2\mathcal{L}_{GAN}]$ (it is invariant to the $\lambda$s), with
# $\mathcal{L}_{L1}$ first, i.e. as the anchor $f^1$ of Algorithm 1 (line 8 rescales the GAN gradient
# of each layer to the L1 gradient's running magnitude):
#
# ```{literalinclude} ../mtbook/gan/loop.py
# :pyobject: generator_step
# :lineno-match:
# ```
#
# (In Colab, where these directives do not render: `gan.loop.generator_step??`.)
#
# ```{admonition} Deviation: "equal weights" read as lambda1 = lambda2 = 1
# :class: deviation
# :name: dev-pix2pix-equal-weights
#
# Read literally, "setting λ1 to 100" is the *prescribed* setting ($\lambda_1 = 100, \lambda_2 = 1$ is
# a 100:1 ratio), which cannot be what the "equal weights" rows are: their name, the parenthesis
# ("a 1:1 ratio"), and the gap between Adam-equal and Adam-prescribed in Table 4 and Fig. 4 all say
# 1:1. We use $\lambda_1 = \lambda_2 = 1$. For Adam, RMSProp and MTAdam the two 1:1 readings
# ($\lambda_1 = \lambda_2 = 1$ or $= 100$) are the same run up to $\epsilon$ (their updates do not change
# when the whole loss is multiplied by a constant; `tests/test_gan.py` checks this); only SGD would take
# 100x larger steps with $\lambda_1 = \lambda_2 = 100$.
# ```
#
# **Hyperband.** The paper:
#
# > In the facade experiment, Hyperband sampled at least one lambda value between 0.5 to 10, yet the
# > retrieved best model utilizes a higher lambda value of 162.89, since this value showed a preferable FID
#
# Its Hyperband searches $\lambda_2$, calls 1 its "original value", and its chosen 162.89 comes with an
# L1 (54.12) next to Adam-equal's (54.92). That fits $\lambda_1 = 100$ held fixed and $\lambda_2$
# searched (162.89 is a GAN:L1 ratio of 1.6:1, close to the equal-weights runs), so that is what we do:
# $\lambda_2$ log-uniform in $[10^{-4}, 10^4]$, Optuna's `HyperbandPruner` with epochs as the resource,
# the chosen trial's test metrics in the table.
#
# ```{admonition} Deviation: Hyperband's objective is validation L1, not FID, and it has few trials
# :class: deviation
# :name: dev-pix2pix-hyperband
#
# The paper's Hyperband "utilizes the FID metric" over 40 trials. Offline there are no Inception
# weights, so FID cannot be computed (below); our search minimises validation L1 instead, which
# rewards a small GAN weight. The `cpu` profile runs a handful of trials per seed, the `full` profile 40.
# ```
#
# **Optimizer settings.** The paper, Sec. 5:
#
# > For all Adam and MTAdam experiments, β1 = 0.9 and β2 = 0.999. For MTAdam β3 = 0.9.
#
# and, for the image-synthesis experiments, the learning rate "as found in each method": pix2pix's
# 2e-4 for every generator optimizer. We use $\beta_1 = 0.9$ for the generator and, since the paper
# says "all", for the discriminator's Adam too.
#
# ```{admonition} Deviation: pix2pix's own beta1 = 0.5, as an extra row
# :class: deviation
# :name: dev-pix2pix-beta1
#
# pix2pix's code trains both networks with Adam at $\beta_1 = 0.5$; the paper states $\beta_1 = 0.9$
# for all its Adam and MTAdam runs, which is what every row of Table 4 uses here. An extra row, not in
# the paper, runs Adam-prescribed with pix2pix's $\beta_1 = 0.5$ (generator and discriminator), so a
# reader can see what that choice does. (An earlier version of this chapter ran every row at 0.5.)
# ```
#
# The settings of this profile, and what the `full` profile does: the paper's settings where it gives
# them (optimizers, $\lambda$s, 40 Hyperband trials), else the original method's: 256 px, pix2pix's
# U-Net-256 with 64 base filters, 70x70 PatchGAN, batch 1, random jitter, 100 epochs at the initial
# rate then 100 with linear decay to zero, and test images generated with the generator in training
# mode, as pix2pix's `test.py` does without `--eval`.

# %%
G, D = P.build_models(cfg, seed=0)
n_g = sum(p.numel() for p in G.parameters())
n_d = sum(p.numel() for p in D.parameters())
print(
    {
        k: cfg[k]
        for k in (
            "size",
            "ngf",
            "num_downs",
            "ndf",
            "n_layers",
            "batch_size",
            "epochs",
            "epochs_decay",
            "lr",
            "beta2",
            "jitter",
            "test_mode",
            "hb_trials",
            "seeds",
        )
    }
)
print(
    f"generator: {n_g:,} parameters in {len(list(G.parameters()))} tensors; "
    f"discriminator: {n_d:,} parameters; PatchGAN receptive field {receptive_field(cfg['n_layers'])} px"
)

# %% [markdown]
# ```{admonition} Deviation: the cpu profile is a small pix2pix
# :class: deviation
# :name: dev-pix2pix-cpu-profile
#
# The `cpu` profile (what this page shows) must fit the whole table, three seeds per row, in about an
# hour on two CPU cores: 64 px images instead of 256, a 16-filter U-Net with 6 levels instead of 64
# filters and 8, a 3-layer PatchGAN with 16 filters, batch 8 instead of 1, 40 epochs (2000 generator
# steps) at a constant learning rate instead of 100 + 100 with decay, no jitter, and test images from
# the generator in eval mode (with batch-8 training, train-mode BatchNorm on single test images would
# be a different network). Absolute numbers are therefore not comparable with the paper's; the
# comparison between rows is what this profile can show.
# ```
#
# ## The metrics, in the paper's units
#
# Every metric sees 8-bit images in 0-255 pixel units (outputs rounded as if saved to PNG), computed
# by one function for every method (`mtbook.core.metrics`): L1 = mean absolute error, L2 = mean squared
# error, NMSE = $\sum (y - \hat y)^2 / \sum y^2$ over the test set, PSNR and SSIM from scikit-image,
# FID from pytorch-fid. The paper does not define NMSE; its table pins it down. Its L2/NMSE ratio is
# the same in every row, so the normaliser is a fixed property of the test targets, and the mean
# square of the facades test photos at 256 px in 0-255 units is that number:

# %%
# NBVAL_CHECK_OUTPUT
from mtbook.core.data import load_facades

ratios = [r["L2"] / r["NMSE"] for r in P.PAPER_TABLE4.values()]
_, photos256 = load_facades("test", size=256)
mean_square = float((((photos256 + 1) * 127.5) ** 2).mean())
print("paper, L2 / NMSE per row:", [round(v) for v in ratios])
print(f"mean square of the 106 test photos at 256 px, 0-255 units: {mean_square:.0f}")
del photos256

# %% [markdown]
# FID needs pytorch-fid's Inception weights (`pt_inception-2015-12-05-6726825d.pth`, about 95 MB),
# which it downloads on first use. Where they cannot be had, FID is recorded as unavailable with the
# reason, never replaced by a number from an untrained network:

# %%
ok, reason = metrics.fid_status()
print("FID available:", ok)
print(reason)

# %% [markdown]
# ## Training the rows
#
# One record per row and seed under `results/<profile>/pix2pix/`; runs whose record exists with the
# same config are loaded, not retrained. A long run resumes from its per-epoch checkpoint; on a GPU
# run `scripts/run_pix2pix.py` in the background. Validation metrics are recorded after every epoch
# (FID per epoch only where FID is available, at the `full` profile).

# %%
records = P.run_all(PROFILE)
by = P.by_method(records)
print(provenance(records))
print(
    "mean wall time per run (s):",
    {m: round(float(np.mean([r["wall_time"] for r in rs]))) for m, rs in by.items()},
)

# %% [markdown]
# (pix2pix-table4)=
# ## Table 4, ours beside the paper's

# %%
display(Markdown(P.table_markdown(records, PROFILE)))
if PROFILE == "smoke":
    print("smoke profile: a few steps on a handful of images -- these numbers are not results.")


# %%
# The comparisons the text below makes, as differences of means with the SD of the difference
# (sqrt(sa^2/na + sb^2/nb)), in test L1 (0-255 units).
def l1(m):
    return P.values(records, m, "L1")


for name, (a, b) in {
    "mt_vs_presc": ("mtadam_equal", "adam_prescribed"),
    "adam_vs_presc": ("adam_equal", "adam_prescribed"),
    "adam_vs_mt": ("adam_equal", "mtadam_equal"),
    "rms_vs_mt": ("rmsprop", "mtadam_equal"),
    "hb_vs_mt": ("hyperband", "mtadam_equal"),
    "b05_vs_presc": ("adam_prescribed_b05", "adam_prescribed"),
}.items():
    if l1(a) and l1(b):
        d, sd = diff_mean_sd(l1(a), l1(b))
        glue(f"p2p_{name}", d)
        glue(f"p2p_{name}_sd", sd)
        print(f"{a} - {b}: {d:+.2f} ± {sd:.2f}")
for m in P.METHODS:
    if l1(m):
        glue(f"p2p_l1_{m}", mean_sd(l1(m))[0])
if l1("adam_equal") and l1("mtadam_equal") and l1("adam_prescribed"):
    eq, mt, pr = (mean_sd(l1(m))[0] for m in ("adam_equal", "mtadam_equal", "adam_prescribed"))
    glue("p2p_gap_closed", 100 * (eq - mt) / (eq - pr))
glue("p2p_n_seeds", min(len(rs) for rs in by.values()))
if "hyperband" in by:
    glue("p2p_hb_lams", ", ".join(f"{r['metrics']['chosen_lambda2']:.3g}" for r in by["hyperband"]))

# %% [markdown]
# **What to read, and how we differ** (differences in test L1, mean ± SD of the difference over
# {glue:text}`p2p_n_seeds` seeds per row). In one sentence: equal weights hurt Adam badly, and MTAdam
# on the same equal-weight terms closes {glue:text}`p2p_gap_closed:.0f`% of the gap to the prescribed
# weights — most of it, but not all of it at this scale, where the paper found it all; and the best
# equal-weights row here is not MTAdam but RMSProp.
#
# * *Equal weights hurt Adam*: Adam-equal minus Adam-prescribed is
#   {glue:text}`p2p_adam_vs_presc:+.2f` ± {glue:text}`p2p_adam_vs_presc_sd:.2f` (the paper: 54.92 −
#   45.84 = +9.08).
# * *MTAdam recovers most of it*: MTAdam-equal minus Adam-prescribed is {glue:text}`p2p_mt_vs_presc:+.2f` ±
#   {glue:text}`p2p_mt_vs_presc_sd:.2f` (the paper: +0.66), and Adam-equal minus MTAdam-equal is
#   {glue:text}`p2p_adam_vs_mt:+.2f` ± {glue:text}`p2p_adam_vs_mt_sd:.2f` (the paper: +8.42).
# * *RMSProp with equal weights* minus MTAdam: {glue:text}`p2p_rms_vs_mt:+.2f` ±
#   {glue:text}`p2p_rms_vs_mt_sd:.2f` (the paper: +7.48). This does not reproduce: here RMSProp on the
#   equal-weight sum is as good as or better than MTAdam. RMSProp, like Adam, is invariant to the
#   overall scale of the loss but has no momentum; why it tolerates the GAN term's dominance better than
#   Adam at $\beta_1 = 0.9$ in this small setting we have not established.
# * *Hyperband* minus MTAdam: {glue:text}`p2p_hb_vs_mt:+.2f` ± {glue:text}`p2p_hb_vs_mt_sd:.2f`
#   (the paper: +7.62), with chosen $\lambda_2$ = {glue:text}`p2p_hb_lams` per seed against the paper's
#   162.89. Our search minimises validation L1, which favours a small GAN weight (a blurrier image has a
#   lower L1), and it spends several trainings per seed against one for every other row.
# * *pix2pix's own $\beta_1 = 0.5$* (extra row) minus $\beta_1 = 0.9$, both Adam-prescribed:
#   {glue:text}`p2p_b05_vs_presc:+.2f` ± {glue:text}`p2p_b05_vs_presc_sd:.2f`.
# * *SGD with momentum*: our SGD row is at {glue:text}`p2p_l1_sgd_momentum:.1f` in L1, the paper's at
#   120.12. The paper's NMSE of 1.13 means an error energy larger than the photos' own energy, i.e.
#   worse than an all-black output: their SGD run must have collapsed or diverged.
# * *Absolute values* are not comparable with the paper's (the small `cpu` pix2pix above); that our L1
#   values are of the paper's size is a coincidence of these choices. A difference whose size is below
#   about twice its SD is not distinguishable from seed noise with three seeds.
# * *FID*: not computed here (no Inception weights offline); the paper's Fig. 4 is about FID.
#
# (pix2pix-curves)=
# ## Validation curves (Figs. 7 and 4)
#
# The paper:
#
# > As can be seen, MTAdam yields a similar convergence as the Adam-prescribed. Specifically, MTAdam
# > converges substantially better than the Adam-equal-weights experiment, leading to improved L1 and
# > FID scores.

# %%
fig, ax = plt.subplots()
P.plot_val_curves(records, "L1", ax=ax)
ax.set_title(f"validation L1 per epoch (facades, profile {PROFILE}; band: min-max over seeds)")
fig.savefig(figure_path(P.EXPERIMENT, "val_l1", PROFILE))
plt.show()
if any(v.get("FID") is not None for r in records for v in r["curves"]["val"]):
    fig, ax = plt.subplots()
    P.plot_val_curves(records, "FID", ax=ax)
    fig.savefig(figure_path(P.EXPERIMENT, "val_fid", PROFILE))
    plt.show()
else:
    print("validation FID per epoch (Fig. 4):", metrics.FID_UNAVAILABLE)

# %% [markdown]
# In our curves, Adam with equal weights leaves the other two within the first epochs and oscillates
# far above them for the rest of training (the band is wide: its seeds differ a lot), while MTAdam with
# the same two terms follows Adam-prescribed at a small, roughly constant distance: the shape of the
# paper's Fig. 7, with the margin between MTAdam and the prescribed run larger than the paper's.
#
# ## Samples (Fig. 12)

# %%
fig = P.sample_grid(PROFILE, seed=cfg["seeds"][0])
fig.savefig(figure_path(P.EXPERIMENT, "samples", PROFILE))
plt.show()

# %% [markdown]
# Test images of seed {glue:text}`p2p_sample_seed` (label map, three generators, the real photo). At
# 64 px and 2000 steps every row is coarse. Adam with equal weights covers the image with a strong
# periodic grid (checkerboard) pattern and little of the label map's structure, the artefact the
# paper's Fig. 12 points at; MTAdam and Adam-prescribed give blurry facades that follow the window
# layout, MTAdam's with a faint grid along the borders.
#
# ## What weight did MTAdam give the GAN term?
#
# MTAdam rescales the GAN gradient of every layer $l$ by $n^{1}_l / n^{2}_l$ (Algorithm 1, line 8;
# term 1 is L1). That factor is the effective $\lambda_2 / \lambda_1$ per layer, recorded every few
# steps (`effective_weights()`); the prescribed ratio is $1/100$.

# %%
glue("p2p_sample_seed", cfg["seeds"][0])
if "mtadam_equal" in by:
    rec = by["mtadam_equal"][0]
    fig, ax = plt.subplots(figsize=(7, 3.8))
    P.plot_effective_weights(rec, ax=ax)
    ax.set_title(
        f"MTAdam, seed {rec['seed']}: weight of L_GAN relative to L1, per parameter tensor of G"
    )
    fig.savefig(figure_path(P.EXPERIMENT, "mtadam_effective_weights", PROFILE))
    plt.show()
    ew_all = np.asarray(rec["curves"]["ew"], dtype=float)
    ew = ew_all[:, 1, :] / ew_all[:, 0, :]
    med = np.nanmedian(ew, axis=1)
    glue("p2p_ew_first", med[0])
    glue("p2p_ew_min", float(np.nanmin(med)))
    glue("p2p_ew_last", med[-1])
    print(
        f"median over parameter tensors: first logged step {med[0]:.3g}, minimum {np.nanmin(med):.3g}, "
        f"last {med[-1]:.3g} (range at the end {np.nanmin(ew[-1]):.3g} .. {np.nanmax(ew[-1]):.3g})"
    )

# %% [markdown]
# The median factor over the generator's parameter tensors starts at {glue:text}`p2p_ew_first:.2g`
# (the GAN gradients are larger than the L1 gradients at initialisation), goes as low as
# {glue:text}`p2p_ew_min:.2g` and ends at {glue:text}`p2p_ew_last:.2g`; the layers nearest the output
# sit lowest, close to the prescribed 1/100. MTAdam does not find pix2pix's
# $\lambda$: it keeps the two terms' gradients at comparable magnitudes layer by layer, which removes the
# mismatch that equal weights hand to Adam.
#
# ## The Hyperband trials

# %%
if "hyperband" in by:
    for hb in by["hyperband"]:
        rows = [
            dict(
                trial=t["number"],
                lambda2=round(t["lam"], 4),
                state=t["state"],
                epochs=t["epochs"],
                **{"last val L1": round(t["values"][-1], 2) if t["values"] else None},
                **{"test L1": round(t["test"]["L1"], 2) if t.get("test") else None},
            )
            for t in hb["extra"]["trials"]
        ]
        display(
            Markdown(
                f"Seed {hb['seed']}: chosen lambda2 = {hb['metrics']['chosen_lambda2']:.4g} "
                f"(lambda1 = 100; objective {hb['config']['objective']})\n\n"
                + markdown_table(
                    rows, ["trial", "lambda2", "state", "epochs", "last val L1", "test L1"]
                )
            )
        )
    print(
        f"paper's choice on facades: {P.PAPER_HYPERBAND_LAMBDA}; pruner:",
        by["hyperband"][0]["extra"]["settings"],
    )

# %% [markdown]
# ## Running the `full` profile
#
# On a GPU (Colab or better): `MTADAM_PROFILE=full python scripts/run_pix2pix.py` trains the paper's
# settings where it gives them, else pix2pix's (256 px, U-Net-256, 70x70 PatchGAN, batch 1, jitter,
# 100 + 100 epochs with linear decay, train-mode test images, 40 Hyperband trials on validation FID);
# FID is computed when pytorch-fid can load its Inception weights (online, or
# `MTADAM_FID_WEIGHTS=/path/to/pt_inception-2015-12-05-6726825d.pth`). Expect days of GPU time for the
# Hyperband row alone (the paper: 40 trainings). A test (`tests/test_full_dryrun.py`) builds every
# `full` configuration at full size and takes two steps on CPU, so the code path is checked even where
# no GPU is.
