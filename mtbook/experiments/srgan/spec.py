"""SRGAN x4 super-resolution (paper Sec. 3 "two out of three terms", Figs. 2/6; Sec. 5.4,
Table 6, Fig. 11).

The generator's objective is ``lambda1 L_MSE + lambda2 L_GAN + lambda3 L_perc`` with SRGAN's
prescribed lambda = (1, 0.001, 0.006) and the paper's suboptimal "equal weights"
lambda2 = lambda3 = 1.
Table 6's rows, all through :func:`mtbook.gan.train` (terms anchor first: MSE, GAN, perceptual):

=================  ===========  ================================================================
row                optimizer    generator objective
=================  ===========  ================================================================
SGD-Momentum       sgd (0.9)    MSE + GAN + perc (equal weights)
RMSProp            rmsprop      MSE + GAN + perc
Adam               adam         MSE + GAN + perc
MTAdam             mtadam       [MSE, GAN, perc], unweighted (MSE is the anchor)
Hyperband          adam         MSE + lambda (GAN + perc), lambda chosen by Hyperband in [1e-4, 1e4]
Adam-prescribed    adam         MSE + 0.001 GAN + 0.006 perc
bicubic            --           the bicubic x4 upsampling of the LR input (no training)
=================  ===========  ================================================================

The perceptual term: SRGAN's VGG19 phi_{5,4} loss (MSE of the conv5_4 activations of torchvision's
ImageNet VGG19, the features scaled by 1/12.75 as SRGAN does, which is where lambda3 = 0.006 ~
1/12.75^2 comes from) where the weights can be had (``full``); offline (``cpu``, ``smoke``) the
feature-matching loss on the discriminator's eight conv activations (pix2pixHD's stand-in: MSE per
layer, averaged), labelled "D-feature-matching" in every table and record.

The motivation experiment (Fig. 2 and Fig. 6): two of the three terms, Adam, per panel three runs.
(a) MSE + 0.001 GAN (GAN well balanced); MSE + 1 perc (naive weight); MSE + perc with the
perceptual gradient of every parameter tensor rescaled to the norm of the balanced GAN term's
gradient (0.001 GAN, computed but not applied). (b) the same with the roles of GAN and perceptual
swapped (balanced weight 0.006).
"""

from __future__ import annotations

from ...core.runs import config_for

EXPERIMENT = "srgan"
MOTIVATION = "srgan-motivation"
TERM_NAMES = ["MSE", "GAN", "perc"]
PRESCRIBED = (1.0, 0.001, 0.006)
EQUAL = (1.0, 1.0, 1.0)

METHODS = {
    "sgd_momentum": dict(label="SGD-Momentum (equal weights)", optimizer="sgd", lambdas=EQUAL),
    "rmsprop": dict(label="RMSProp (equal weights)", optimizer="rmsprop", lambdas=EQUAL),
    "adam_equal": dict(label="Adam (equal weights)", optimizer="adam", lambdas=EQUAL),
    "mtadam_equal": dict(label="MTAdam (equal weights)", optimizer="mtadam", lambdas=EQUAL),
    "hyperband": dict(label="Hyperband", optimizer="adam", lambdas=(1.0, None, None)),
    "adam_prescribed": dict(label="Adam-prescribed", optimizer="adam", lambdas=PRESCRIBED),
}
PAPER_ROWS = list(METHODS)
SAMPLE_METHODS = ("adam_equal", "mtadam_equal", "adam_prescribed")

# The motivation runs: terms used, their lambdas, the rescaled term and its reference.
# "rescale": (term index in `terms`, reference term name, reference weight).
MOTIVATION_RUNS = {
    "a_mse_gan": dict(
        panel="a", label="MSE + 0.001 GAN (balanced)", terms=["MSE", "GAN"], lambdas=(1.0, 0.001)
    ),
    "a_mse_perc_naive": dict(
        panel="a", label="MSE + 1 perc (naive weight)", terms=["MSE", "perc"], lambdas=(1.0, 1.0)
    ),
    "a_mse_perc_rescaled": dict(
        panel="a",
        label="MSE + perc rescaled to |grad 0.001 GAN|",
        terms=["MSE", "perc"],
        lambdas=(1.0, 1.0),
        rescale=(1, "GAN", 0.001),
    ),
    "b_mse_perc": dict(
        panel="b", label="MSE + 0.006 perc (balanced)", terms=["MSE", "perc"], lambdas=(1.0, 0.006)
    ),
    "b_mse_gan_naive": dict(
        panel="b", label="MSE + 1 GAN (naive weight)", terms=["MSE", "GAN"], lambdas=(1.0, 1.0)
    ),
    "b_mse_gan_rescaled": dict(
        panel="b",
        label="MSE + GAN rescaled to |grad 0.006 perc|",
        terms=["MSE", "GAN"],
        lambdas=(1.0, 1.0),
        rescale=(1, "perc", 0.006),
    ),
}

# Table 6 of the paper (Set14 and BSD100, x4). The Set14 SSIM of Hyperband-FID is printed as 66.24,
# which cannot be an SSIM (it lies in [-1, 1]); kept as printed (None would hide it), flagged in
# PAPER_IMPOSSIBLE and in the chapter.
PAPER_TABLE6 = {
    "Set14": {
        "sgd_momentum": dict(PSNR=22.95, SSIM=0.6213, FID=74.92),
        "rmsprop": dict(PSNR=23.04, SSIM=0.6252, FID=72.92),
        "adam_equal": dict(PSNR=23.43, SSIM=0.6264, FID=69.96),
        "mtadam_equal": dict(PSNR=25.97, SSIM=0.7219, FID=66.03),
        "hyperband": dict(PSNR=24.89, SSIM=66.24, FID=67.26),
        "adam_prescribed": dict(PSNR=26.02, SSIM=0.7397, FID=66.59),
    },
    "BSD100": {
        "sgd_momentum": dict(PSNR=23.01, SSIM=0.5997, FID=79.45),
        "rmsprop": dict(PSNR=23.14, SSIM=0.6020, FID=76.64),
        "adam_equal": dict(PSNR=23.71, SSIM=0.6070, FID=77.24),
        "mtadam_equal": dict(PSNR=25.23, SSIM=0.6690, FID=74.97),
        "hyperband": dict(PSNR=24.80, SSIM=0.6554, FID=75.65),
        "adam_prescribed": dict(PSNR=25.16, SSIM=0.6688, FID=72.57),
    },
}
PAPER_IMPOSSIBLE = [("Set14", "hyperband", "SSIM")]
TEST_SETS = ("Set14", "BSD100", "Set5")  # Set5: a bonus column, and the per-epoch validation set
VAL_SET = "Set5"

# lr_size: LR crop side (HR = 4x); steps_per_epoch: generator steps between two validations.
_COMMON = dict(
    scale=4,
    beta1=0.9,
    beta2=0.999,
    beta3=0.9,
    n_samples=3,
    sample_size=96,
    hb_low=1e-4,
    hb_high=1e4,
)
CONFIG = {
    # seconds: proves the code path; numbers are not results
    "smoke": dict(
        _COMMON,
        seeds=[0],
        n_blocks=2,
        nf=8,
        ndf=4,
        dense=16,
        lr_size=8,
        batch_size=2,
        steps_per_epoch=2,
        epochs=2,
        epochs_decay=0,
        lr=1e-3,
        perceptual="dfm",
        train_limit=4,
        test_limit=2,
        hb_trials=2,
        log_every=1,
        threads=1,
        fid=False,
    ),
    # ~45 min for Table 6 (3 seeds) + the motivation experiment (3 seeds) on one shared thread: a
    # 4-block, 16-channel SRResNet, an 8-wide discriminator (dense 64), 24x24 LR crops (96x96 HR as
    # SRGAN), batch 4, 5 epochs of 32 steps (160 generator steps), lr 5e-4, 3 Hyperband trials.
    # Measured: ~0.3 s per Adam step and ~0.9 per MTAdam step on the shared machine, ~30 s to
    # score Set14 + BSD100.
    "cpu": dict(
        _COMMON,
        seeds=[0, 1, 2],
        n_blocks=4,
        nf=16,
        ndf=8,
        dense=64,
        lr_size=24,
        batch_size=4,
        steps_per_epoch=32,
        epochs=5,
        epochs_decay=0,
        lr=5e-4,
        perceptual="dfm",
        train_limit=None,
        test_limit=None,
        hb_trials=3,
        log_every=5,
        threads=1,
        fid=False,
    ),
    # SRGAN's sizes: 16 blocks x 64 channels, the full discriminator, 96x96 HR crops, batch 16,
    # Adam lr 1e-4 (SRGAN), VGG19 phi_5,4, 100 + 100 epochs of 1000 steps (2e5 steps), 40 trials;
    # trained on DIV2K's 800 HR images (SRGAN's ImageNet subset needs a login; see model.py)
    "full": dict(
        _COMMON,
        seeds=[0],
        train_set="div2k",
        n_blocks=16,
        nf=64,
        ndf=64,
        dense=1024,
        lr_size=24,
        batch_size=16,
        steps_per_epoch=1000,
        epochs=100,
        epochs_decay=100,
        lr=1e-4,
        perceptual="vgg19",
        train_limit=None,
        test_limit=None,
        hb_trials=40,
        log_every=100,
        threads=None,
        fid=True,
    ),
}
PERCEPTUAL_LABELS = {
    "vgg19": "VGG19 phi_5,4 (torchvision ImageNet weights)",
    "dfm": "D-feature-matching (stand-in for VGG: MSE of the discriminator's conv activations)",
}


def config(profile: str | None = None) -> dict:
    """The settings of a profile (a fresh dict)."""
    return config_for(CONFIG, profile, EXPERIMENT)
