"""CycleGAN on horse2zebra with six loss terms (paper Sec. 5.4, Table 5, appendix Figs. 8-10).

The generators' objective (the paper's Eq. 3)::

    lambda1 (GAN_A + GAN_B) + lambda2 (cycle_A + cycle_B) + lambda3 (idt_A + idt_B)

with the prescribed lambda = (1, 10, 0.5) and the paper's suboptimal lambda2 = 1000 ("leaving
lambda1 and lambda3 unchanged"). **lambda3 is relative**, as in CycleGAN's code (``--lambda_identity
0.5`` scales the identity loss by ``lambda_identity * lambda_A``): the weight of each identity term
is ``lambda3 * lambda2`` -- 5 with the prescribed weights (CycleGAN's recipe), 500 with the
suboptimal ones (what changing ``--lambda_A/--lambda_B`` to 1000 in that code gives).
:func:`term_weights`.

Rows of Table 5, all through :func:`mtbook.gan.train`:

=================  ===========  ============================================================
row                optimizer    generators' weights (GAN, GAN, cyc, cyc, idt, idt)
=================  ===========  ============================================================
SGD-Momentum       sgd (0.9)    suboptimal (1, 1, 1000, 1000, 500, 500)
RMSProp            rmsprop      suboptimal
Adam               adam         suboptimal
MTAdam             mtadam       suboptimal (invariant to them); anchor GAN_A (see below)
Hyperband          adam         (1, 1, lam, lam, lam/2, lam/2), lam by Hyperband in [1e-4, 1e4]
Adam-prescribed    adam         (1, 1, 10, 10, 5, 5)
=================  ===========  ============================================================

MTAdam's anchor is the first term, ``GAN_A``: the adversarial terms are the ones whose weight the
paper keeps at 1, so every other term is brought to the adversarial gradient's running magnitude.
GAN_A reaches only G_A; on G_B's layers the first term that reaches them, ``GAN_B``, acts as the
anchor (:mod:`mtadam`'s fallback), so each generator is anchored on its own adversarial term.

Hyper-parameters: lr 2e-4 (CycleGAN's) for every generator optimizer and the discriminators' Adam;
betas (0.9, 0.999) for Adam and MTAdam (beta3 = 0.9) as the paper's Sec. 5 states, and for the
discriminators' Adam (CycleGAN's code: beta1 = 0.5); SGD momentum 0.9; RMSProp's PyTorch defaults.
``full``: CycleGAN's settings (256 px, ResNet-9 generators, 70x70 PatchGAN, batch 1, pool 50,
jitter, 100 + 100 epochs with linear decay, 40 Hyperband trials).
"""

from __future__ import annotations

from ...core.ablation import ablation_methods
from ...core.runs import config_for

EXPERIMENT = "cyclegan"
TERM_NAMES = ["GAN_A", "GAN_B", "cycle_A", "cycle_B", "idt_A", "idt_B"]
PRESCRIBED = (1.0, 10.0, 0.5)  # (lambda1, lambda2, lambda3), lambda3 relative to lambda2
SUBOPTIMAL = (1.0, 1000.0, 0.5)


def term_weights(lam1: float, lam2: float, lam3: float) -> list[float]:
    """The six terms' weights from (lambda1, lambda2, lambda3); identity = lambda3 * lambda2."""
    return [lam1, lam1, lam2, lam2, lam3 * lam2, lam3 * lam2]


# beta1: the generators' and the discriminators' Adam/MTAdam beta1 (0.9: the paper)
METHODS = {
    "sgd_momentum": dict(
        label="SGD-Momentum (suboptimal weights)", optimizer="sgd", lambdas=SUBOPTIMAL, beta1=0.9
    ),
    "rmsprop": dict(
        label="RMSProp (suboptimal weights)", optimizer="rmsprop", lambdas=SUBOPTIMAL, beta1=0.9
    ),
    "adam_suboptimal": dict(
        label="Adam (suboptimal weights)", optimizer="adam", lambdas=SUBOPTIMAL, beta1=0.9
    ),
    "mtadam_suboptimal": dict(
        label="MTAdam (suboptimal weights)", optimizer="mtadam", lambdas=SUBOPTIMAL, beta1=0.9
    ),
    "hyperband": dict(label="Hyperband", optimizer="adam", lambdas=(1.0, None, 0.5), beta1=0.9),
    "adam_prescribed": dict(
        label="Adam-prescribed", optimizer="adam", lambdas=PRESCRIBED, beta1=0.9
    ),
}
CURVE_METHODS = ("adam_suboptimal", "mtadam_suboptimal", "adam_prescribed")
# Table 7 (chapter 7): MTAdam-suboptimal with one part of Algorithm 1 switched off, e.g.
# "mtadam_suboptimal_denom_own"; not rows of Table 5 (the full method is "mtadam_suboptimal")
ABLATION_METHODS = ablation_methods(METHODS, "mtadam_suboptimal")


def method_spec(method: str) -> dict:
    """The settings of a row of Table 5 or of an ablation variant (chapter 7)."""
    if method in METHODS:
        return METHODS[method]
    if method in ABLATION_METHODS:
        return ABLATION_METHODS[method]
    raise ValueError(
        f"unknown CycleGAN method {method!r}; use one of {', '.join([*METHODS, *ABLATION_METHODS])}"
    )


COLUMNS = ["L1-A", "L2-A", "NMSE-A", "FID-A", "L1-B", "L2-B", "NMSE-B", "FID-B"]
# Table 5 of the paper, horse2zebra, test set, lower is better. A: horse -> zebra, B: zebra -> horse
# (Fig. 8: "(top) generated zebra images. (bottom) generated horse images").
PAPER_TABLE5 = {
    "sgd_momentum": {
        "L1-A": 82.3,
        "L2-A": 10217,
        "NMSE-A": 0.5866,
        "FID-A": 283.3,
        "L1-B": 127.0,
        "L2-B": 20331,
        "NMSE-B": 0.9898,
        "FID-B": 406.3,
    },
    "rmsprop": {
        "L1-A": 73.8,
        "L2-A": 8384,
        "NMSE-A": 0.4814,
        "FID-A": 233.9,
        "L1-B": 70.6,
        "L2-B": 7683,
        "NMSE-B": 0.3740,
        "FID-B": 230.9,
    },
    "adam_suboptimal": {
        "L1-A": 74.4,
        "L2-A": 8421,
        "NMSE-A": 0.4935,
        "FID-A": 229.6,
        "L1-B": 72.3,
        "L2-B": 7742,
        "NMSE-B": 0.3842,
        "FID-B": 227.1,
    },
    "mtadam_suboptimal": {
        "L1-A": 68.7,
        "L2-A": 7235,
        "NMSE-A": 0.4151,
        "FID-A": 73.0,
        "L1-B": 69.0,
        "L2-B": 7281,
        "NMSE-B": 0.3545,
        "FID-B": 139.7,
    },
    "hyperband": {
        "L1-A": 72.3,
        "L2-A": 8049,
        "NMSE-A": 0.4687,
        "FID-A": 189.2,
        "L1-B": 71.8,
        "L2-B": 7584,
        "NMSE-B": 0.3746,
        "FID-B": 192.6,
    },
    "adam_prescribed": {
        "L1-A": 68.6,
        "L2-A": 7248,
        "NMSE-A": 0.4161,
        "FID-A": 70.6,
        "L1-B": 68.6,
        "L2-B": 7207,
        "NMSE-B": 0.3509,
        "FID-B": 143.8,
    },
}
# ... and maps -> aerial (`full` only: `config("full", "maps")`, records under `cyclegan-maps`)
PAPER_TABLE5_MAPS = {
    "sgd_momentum": {
        "L1-A": 26.7,
        "L2-A": 1102,
        "NMSE-A": 0.0209,
        "FID-A": 437.5,
        "L1-B": 73.01,
        "L2-B": 7146,
        "NMSE-B": 1.0,
        "FID-B": 738.6,
    },
    "rmsprop": {
        "L1-A": 12.9,
        "L2-A": 389,
        "NMSE-A": 0.0074,
        "FID-A": 170.2,
        "L1-B": 36.81,
        "L2-B": 2260,
        "NMSE-B": 0.3154,
        "FID-B": 231.3,
    },
    "adam_suboptimal": {
        "L1-A": 12.9,
        "L2-A": 386,
        "NMSE-A": 0.0073,
        "FID-A": 166.3,
        "L1-B": 37.0,
        "L2-B": 2270,
        "NMSE-B": 0.3161,
        "FID-B": 234.2,
    },
    "mtadam_suboptimal": {
        "L1-A": 10.6,
        "L2-A": 376,
        "NMSE-A": 0.0071,
        "FID-A": 113.0,
        "L1-B": 35.37,
        "L2-B": 2242,
        "NMSE-B": 0.3137,
        "FID-B": 48.8,
    },
    "hyperband": {
        "L1-A": 12.9,
        "L2-A": 387,
        "NMSE-A": 0.0073,
        "FID-A": 169.4,
        "L1-B": 36.91,
        "L2-B": 2226,
        "NMSE-B": 0.3102,
        "FID-B": 233.1,
    },
    "adam_prescribed": {
        "L1-A": 8.5,
        "L2-A": 301,
        "NMSE-A": 0.0057,
        "FID-A": 116.1,
        "L1-B": 35.45,
        "L2-B": 2250,
        "NMSE-B": 0.3148,
        "FID-B": 46.8,
    },
}

# epochs at the initial rate + epochs_decay with linear decay to zero (CycleGAN: 100 + 100).
# val_holdout: the last images of trainA / trainB, held out as validation (no val split exists).
_COMMON = dict(lr=2e-4, beta2=0.999, beta3=0.9, n_samples=4, pool_size=50, test_batch_size=16)
CONFIG = {
    # seconds: proves the code path; numbers are not results
    "smoke": dict(
        _COMMON,
        seeds=[0],
        size=32,
        ngf=4,
        n_blocks=1,
        ndf=4,
        n_layers=2,
        batch_size=2,
        epochs=1,
        epochs_decay=1,
        train_limit=4,
        val_holdout=2,
        test_limit=4,
        pool_size=4,
        jitter=False,
        hb_trials=2,
        log_every=1,
        fid_per_epoch=False,
        threads=1,
    ),
    # the whole table (6 rows x 3 seeds, 3 Hyperband trials per seed) in about 10 CPU-minutes on one
    # thread (measured: about 1.5 s of CPU per epoch, 5-6x that in wall time on the shared 2-core
    # machine): 32 px, ngf 8 with 2 residual blocks, ndf 8, 64 + 64 training images (16 + 16 held
    # out), batch 4, 10 + 10 epochs (320 generator steps)
    "cpu": dict(
        _COMMON,
        seeds=[0, 1, 2],
        size=32,
        ngf=8,
        n_blocks=2,
        ndf=8,
        n_layers=3,
        batch_size=4,
        epochs=10,
        epochs_decay=10,
        train_limit=None,
        val_holdout=16,
        test_limit=None,
        jitter=False,
        hb_trials=3,
        log_every=4,
        fid_per_epoch=False,
        threads=1,
    ),
    # CycleGAN's settings (the complete training set downloads; 50 + 50 held out for validation)
    "full": dict(
        _COMMON,
        seeds=[0],
        size=256,
        ngf=64,
        n_blocks=9,
        ndf=64,
        n_layers=3,
        batch_size=1,
        epochs=100,
        epochs_decay=100,
        train_limit=None,
        val_holdout=50,
        test_limit=None,
        jitter=True,
        hb_trials=40,
        log_every=100,
        fid_per_epoch=True,
        threads=None,
    ),
}


# The datasets of Table 5. maps (CycleGAN's maps.zip: A = aerial photo, B = Google map, aligned
# pairs with the same file number) is the `full` profile's only: a 1.5 GB download, not in the
# offline data directory. The paper's "maps -> aerial" is G_B; on maps the L1/L2/NMSE columns
# compare each translation with its true partner, so they are paired measures there.
DATASETS = ("horse2zebra", "maps")
TASKS = {
    "horse2zebra": "horse2zebra (A: horse, B: zebra)",
    "maps": "maps (A: aerial photo, B: map; maps -> aerial is G_B)",
}


def config(profile: str | None = None, dataset: str = "horse2zebra") -> dict:
    """The settings of a profile (``smoke``, ``cpu``, ``full``); ``dataset="maps"`` at ``full``
    only (horse2zebra's configs hold no ``dataset`` key, as their stored records do)."""
    cfg = config_for(CONFIG, profile, EXPERIMENT)
    if dataset not in DATASETS:
        raise ValueError(f"unknown dataset {dataset!r}; use one of {', '.join(DATASETS)}")
    if dataset != "horse2zebra":
        if cfg["size"] != 256:
            raise ValueError(
                f"the {dataset} half of Table 5 runs at the full profile only (GPU, download)"
            )
        cfg["dataset"] = dataset
    return cfg


def experiment_name(cfg: dict) -> str:
    """``cyclegan`` (horse2zebra) or ``cyclegan-maps``: the folder of the records."""
    dataset = cfg.get("dataset", "horse2zebra")
    return EXPERIMENT if dataset == "horse2zebra" else f"{EXPERIMENT}-{dataset}"
