"""pix2pix on facades, labels -> photo (paper Sec. 5.4, Table 4, Figs. 4, 7, 12).

The generator's objective is ``lambda1 L1 + lambda2 L_GAN``; pix2pix prescribes lambda1 = 100,
lambda2 = 1. The six rows of Table 4, all through :func:`mtbook.gan.train`:

=================  ===========  ==========================================================
row                optimizer    generator objective
=================  ===========  ==========================================================
SGD-Momentum       sgd (0.9)    L1 + L_GAN (equal weights)
RMSProp            rmsprop      L1 + L_GAN
Adam               adam         L1 + L_GAN
MTAdam             mtadam       [L1, L_GAN], unweighted (L1 is the anchor)
Hyperband          adam         100 L1 + lambda L_GAN, lambda chosen by Hyperband in [1e-4, 1e4]
Adam-prescribed    adam         100 L1 + 1 L_GAN
=================  ===========  ==========================================================

"Equal weights" is lambda1 = lambda2 = 1. The paper's sentence ("we train Pix2pix with equal
weights, setting lambda1 to 100 (which implies a 1:1 ratio between the two terms)") cannot be read
literally: lambda1 = 100 with lambda2 = 1 is the prescribed 100:1 setting, not 1:1. Its name (equal
weights), its parenthesis (a 1:1 ratio) and the Adam-equal vs Adam-prescribed gap of Table 4 and
Fig. 4 all say 1:1; "setting lambda1 to 1" (or lambda2 to 100) is the likely intent. For Adam,
RMSProp and MTAdam, lambda1 = lambda2 = 1 and lambda1 = lambda2 = 100 are the same run up to eps
(the update is invariant to a common scale of the loss); only SGD would move 100x faster with the
latter.

The Hyperband row searches lambda2 with lambda1 = 100 fixed: the paper searches "on lambda2", calls
1 its "original value", and reports a chosen lambda of 162.89 whose L1 (54.12) sits next to
Adam-equal (54.92), which fits a GAN:L1 ratio of 1.6:1 (lambda1 = 100), not one of 16000:1
(lambda1 = 1).

Hyper-parameters: lr 2e-4 for every generator optimizer ("the learning rate as found in each
method"); betas (0.9, 0.999) for Adam and MTAdam (beta3 = 0.9), as the paper's Sec. 5 states "for
all Adam and MTAdam experiments", and for the discriminator's Adam too (pix2pix's own code uses
beta1 = 0.5: the extra row ``adam_prescribed_b05`` runs that recipe); SGD momentum 0.9; RMSProp's
PyTorch defaults otherwise. Where the paper is silent, ``full`` follows the original method: 100
epochs at the initial rate and 100 with linear decay to zero, batch 1, jitter, test images generated
with the generator in training mode (pix2pix's ``test.py`` without ``--eval``). Metrics:
:mod:`mtbook.core.metrics`.
"""

from __future__ import annotations

from ...core.ablation import ablation_methods
from ...core.balancers import balancer_methods
from ...core.runs import config_for

EXPERIMENT = "pix2pix"
PRESCRIBED = (100.0, 1.0)
EQUAL = (1.0, 1.0)

# beta1: the generator's and the discriminator's Adam/MTAdam beta1 (0.9: the paper; 0.5: pix2pix's
# code)
METHODS = {
    "sgd_momentum": dict(
        label="SGD-Momentum (equal weights)", optimizer="sgd", lambdas=EQUAL, beta1=0.9
    ),
    "rmsprop": dict(label="RMSProp (equal weights)", optimizer="rmsprop", lambdas=EQUAL, beta1=0.9),
    "adam_equal": dict(label="Adam (equal weights)", optimizer="adam", lambdas=EQUAL, beta1=0.9),
    "mtadam_equal": dict(
        label="MTAdam (equal weights)", optimizer="mtadam", lambdas=EQUAL, beta1=0.9
    ),
    "hyperband": dict(
        label="Hyperband", optimizer="adam", lambdas=(PRESCRIBED[0], None), beta1=0.9
    ),
    "adam_prescribed": dict(
        label="Adam-prescribed", optimizer="adam", lambdas=PRESCRIBED, beta1=0.9
    ),
    "adam_prescribed_b05": dict(
        label="Adam-prescribed, beta1 = 0.5 (pix2pix's code; not in the paper)",
        optimizer="adam",
        lambdas=PRESCRIBED,
        beta1=0.5,
        extra=True,
    ),
}
PAPER_ROWS = [m for m, spec in METHODS.items() if not spec.get("extra")]
# Table 7 (chapter 7): MTAdam-equal with one part of Algorithm 1 switched off, e.g.
# "mtadam_equal_denom_own"; not rows of Table 4 (the full method is "mtadam_equal" itself)
ABLATION_METHODS = ablation_methods(METHODS, "mtadam_equal")
# Chapter 10's loss balancers: Adam-equal's terms and settings, the generator's step balanced by
# mtbook.core.balancers, e.g. "adam_equal_famo"; not rows of Table 4. DWA's "epoch" is 50 steps
# (the cpu profile's epoch).
BALANCER_METHODS = balancer_methods(METHODS, "adam_equal", hp={"dwa": dict(period=50)})


def method_spec(method: str) -> dict:
    """The settings of a row of Table 4, an ablation variant (chapter 7) or a balancer (chapter
    10)."""
    if method in METHODS:
        return METHODS[method]
    if method in ABLATION_METHODS:
        return ABLATION_METHODS[method]
    if method in BALANCER_METHODS:
        return BALANCER_METHODS[method]
    known = [*METHODS, *ABLATION_METHODS, *BALANCER_METHODS]
    raise ValueError(f"unknown pix2pix method {method!r}; use one of {', '.join(known)}")


CURVE_METHODS = ("adam_equal", "mtadam_equal", "adam_prescribed")

# Table 4 of the paper, facades (labels -> photo), test set, lower is better.
PAPER_TABLE4 = {
    "sgd_momentum": dict(L1=120.12, L2=18308, NMSE=1.132, FID=339.40),
    "rmsprop": dict(L1=53.98, L2=4913, NMSE=0.303, FID=136.10),
    "adam_equal": dict(L1=54.92, L2=5074, NMSE=0.313, FID=133.55),
    "mtadam_equal": dict(L1=46.50, L2=3822, NMSE=0.236, FID=130.38),
    "hyperband": dict(L1=54.12, L2=4992, NMSE=0.308, FID=141.96),
    "adam_prescribed": dict(L1=45.84, L2=3811, NMSE=0.235, FID=130.50),
}
# ... and maps -> aerial (the `full` profile only)
PAPER_TABLE4_MAPS = {
    "sgd_momentum": dict(L1=45.1, L2=3428.3, NMSE=0.491, FID=102.45),
    "rmsprop": dict(L1=42.4, L2=3056.7, NMSE=0.435, FID=95.74),
    "adam_equal": dict(L1=38.1, L2=2632.3, NMSE=0.368, FID=88.08),
    "mtadam_equal": dict(L1=33.6, L2=2096.9, NMSE=0.293, FID=86.40),
    "hyperband": dict(L1=35.14, L2=2391.2, NMSE=0.341, FID=86.45),
    "adam_prescribed": dict(L1=34.4, L2=2163.4, NMSE=0.303, FID=85.76),
}
PAPER_HYPERBAND_LAMBDA = 162.89

# epochs at the initial rate + epochs_decay with linear decay to zero (pix2pix: 100 + 100).
# test_mode: generator mode when generating test images ("train": pix2pix's test.py without --eval).
_COMMON = dict(lr=2e-4, beta2=0.999, beta3=0.9, direction="BtoA", n_samples=4, gan_mode="vanilla")
CONFIG = {
    # seconds: proves the code path; numbers are not results
    "smoke": dict(
        _COMMON,
        seeds=[0],
        size=32,
        num_downs=5,
        ngf=8,
        ndf=8,
        n_layers=2,
        batch_size=4,
        epochs=2,
        epochs_decay=0,
        train_limit=8,
        val_limit=4,
        test_limit=4,
        jitter=False,
        test_mode="eval",
        test_batch_size=16,
        hb_trials=2,
        log_every=1,
        fid_per_epoch=False,
        threads=1,
    ),
    # about an hour for the whole table (3 seeds) on 2 CPU cores: 64 px, a 16-filter U-Net
    # (6 levels) and a 3-layer PatchGAN, batch 8, 40 epochs (2000 steps), constant lr, eval-mode
    # test images (batch statistics of batch 8 in training; see the chapter). One thread per run.
    "cpu": dict(
        _COMMON,
        seeds=[0, 1, 2],
        size=64,
        num_downs=6,
        ngf=16,
        ndf=16,
        n_layers=3,
        batch_size=8,
        epochs=40,
        epochs_decay=0,
        train_limit=None,
        val_limit=None,
        test_limit=None,
        jitter=False,
        test_mode="eval",
        test_batch_size=16,
        hb_trials=6,
        fid_per_epoch=False,
        log_every=10,
        threads=1,
    ),
    # the paper's settings where it gives them (betas, lr, lambdas, 40 Hyperband trials), else
    # pix2pix's: 256 px, U-Net-256, 70x70 PatchGAN, batch 1, jitter, 100 + 100 epochs, train-mode
    # test
    "full": dict(
        _COMMON,
        seeds=[0],
        size=256,
        num_downs=8,
        ngf=64,
        ndf=64,
        n_layers=3,
        batch_size=1,
        epochs=100,
        epochs_decay=100,
        train_limit=None,
        val_limit=None,
        test_limit=None,
        jitter=True,
        test_mode="train",
        test_batch_size=1,
        hb_trials=40,
        fid_per_epoch=True,
        log_every=100,
        threads=None,
        keep_checkpoints=False,
    ),
}
DATASETS = ("facades", "maps")


def config(profile: str | None = None, dataset: str = "facades") -> dict:
    """The settings of a profile. ``dataset="maps"`` (maps -> aerial) exists at ``full`` only: the
    maps set is downloaded on demand (not in the offline data directory)."""
    cfg = config_for(CONFIG, profile, EXPERIMENT)
    if dataset not in DATASETS:
        raise ValueError(f"unknown dataset {dataset!r}; use one of {', '.join(DATASETS)}")
    if dataset != "facades":
        if cfg["size"] != 256:
            raise ValueError(
                f"the {dataset} half of Table 4 runs at the full profile only (GPU, download)"
            )
        cfg["dataset"] = dataset
    return cfg


def experiment_name(cfg: dict) -> str:
    """``pix2pix`` (facades) or ``pix2pix-maps``: the folder of the records."""
    return (
        EXPERIMENT
        if cfg.get("dataset", "facades") == "facades"
        else f"{EXPERIMENT}-{cfg['dataset']}"
    )
