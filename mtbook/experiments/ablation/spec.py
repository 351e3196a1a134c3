"""The paper's Table 7 (ablation of Algorithm 1), as printed in its later version (Sec. 5.5).

One copy of the numbers for the chapter (``notebooks/07_ablation``), the tests and the scoreboard.
Each variant is one of :class:`mtadam.MTAdam`'s ablation switches (``VARIANTS[...]["mtadam"]``), run
on the suboptimal settings of three chapters: BERT on MRPC and RTE (accuracy, higher is better),
pix2pix on facades and CycleGAN on horse2zebra (errors and FID, lower is better). The text says
"zebra2horse", the table's header "horse2zebra"; the "Full method" row repeats Tables 2, 4 and 5's
MTAdam rows (pix2pix rounded: L1 46.5, FID 130.4).
"""

from __future__ import annotations

from ...core.ablation import ABLATIONS, SHORT, VARIANTS  # noqa: F401

EXPERIMENT = "ablation"

# the variants and their MTAdam switches: one mapping for every chapter (mtbook.core.ablation)
# variant -> task -> metric -> value
PAPER_TABLE7 = {
    "normalize_none": {
        "MRPC": {"Acc": 72.4},
        "RTE": {"Acc": 58.5},
        "facades": {"L1": 53.45, "L2": 5021, "NMSE": 0.326, "FID": 134.0},
        "horse2zebra": {"L1-A": 74.7, "FID-A": 225.2, "L1-B": 71.2, "FID-B": 217.1},
    },
    "normalize_global": {
        "MRPC": {"Acc": 83.7},
        "RTE": {"Acc": 63.9},
        "facades": {"L1": 46.8, "L2": 3850, "NMSE": 0.258, "FID": 133.5},
        "horse2zebra": {"L1-A": 70.1, "FID-A": 75.2, "L1-B": 69.5, "FID-B": 145.7},
    },
    "no_anchor": {
        "MRPC": {"Acc": 78.9},
        "RTE": {"Acc": 64.2},
        "facades": {"L1": 46.7, "L2": 3862, "NMSE": 0.242, "FID": 136.3},
        "horse2zebra": {"L1-A": 72.3, "FID-A": 82.4, "L1-B": 70.6, "FID-B": 167.2},
    },
    "denom_own": {
        "MRPC": {"Acc": 84.2},
        "RTE": {"Acc": 63.8},
        "facades": {"L1": 48.2, "L2": 3956, "NMSE": 0.245, "FID": 171.5},
        "horse2zebra": {"L1-A": 73.5, "FID-A": 210.5, "L1-B": 71.1, "FID-B": 190.3},
    },
    "denom_mean": {
        "MRPC": {"Acc": 86.3},
        "RTE": {"Acc": 69.2},
        "facades": {"L1": 48.3, "L2": 4020, "NMSE": 0.249, "FID": 156.8},
        "horse2zebra": {"L1-A": 73.7, "FID-A": 208.4, "L1-B": 71.6, "FID-B": 173.5},
    },
    "full": {
        "MRPC": {"Acc": 87.2},
        "RTE": {"Acc": 73.7},
        "facades": {"L1": 46.5, "L2": 3822, "NMSE": 0.236, "FID": 130.4},
        "horse2zebra": {"L1-A": 68.7, "FID-A": 73.0, "L1-B": 69.0, "FID-B": 139.7},
    },
}

# Where each cell of Table 7 (and of our extension) comes from: the chapter whose runner runs it
# (``experiment``: its records folder), its MTAdam method (the full method: its stored records),
# ``key``: the record name of a method (``{name}`` = the chapter's method name of the variant,
# ``{variant}``), and the metrics shown: (name, decimals, which way is better; None: not judged).
# ``paper``: the task's column of PAPER_TABLE7 (None: our extension).
CELLS = {
    "facades": dict(
        title="pix2pix, facades, equal weights (chapter 4)",
        experiment="pix2pix",
        base="mtadam_equal",
        key="{name}",
        metrics=[("L1", 2, "lower"), ("L2", 0, "lower"), ("NMSE", 3, "lower"), ("FID", 1, "lower")],
        paper="facades",
        chapter="notebooks/04_pix2pix",
    ),
    "horse2zebra": dict(
        title="CycleGAN, horse2zebra, suboptimal weights (chapter 6)",
        experiment="cyclegan",
        base="mtadam_suboptimal",
        key="{name}",
        metrics=[
            ("L1-A", 2, "lower"),
            ("FID-A", 1, "lower"),
            ("L1-B", 2, "lower"),
            ("FID-B", 1, "lower"),
            ("moved-A", 2, None),
            ("moved-B", 2, None),
        ],
        paper="horse2zebra",
        chapter="notebooks/06_cyclegan",
    ),
    "MRPC": dict(
        title="BERT, MRPC (chapter 8)",
        experiment="bert",
        base="mtadam_equal",
        key="{name}-MRPC",
        metrics=[("Acc", 1, "higher")],
        paper="MRPC",
        chapter="notebooks/08_bert",
    ),
    "RTE": dict(
        title="BERT, RTE (chapter 8)",
        experiment="bert",
        base="mtadam_equal",
        key="{name}-RTE",
        metrics=[("Acc", 1, "higher")],
        paper="RTE",
        chapter="notebooks/08_bert",
    ),
    "mnist-paper": dict(
        title="MNIST, ten weighted terms, the paper's draw U(1, 1000) (chapter 3)",
        experiment="mnist",
        base="mtadam",
        key="{name}-paper",
        metrics=[("test_acc", 2, "higher")],
        paper=None,
        chapter="notebooks/03_mnist",
    ),
    "mnist-script": dict(
        title="MNIST, ten weighted terms, the authors' script's draw (chapter 3)",
        experiment="mnist",
        base="mtadam",
        key="{name}-script",
        metrics=[("test_acc", 2, "higher")],
        paper=None,
        chapter="notebooks/03_mnist",
    ),
    "toy-c1": dict(
        title="chapter 2's toy, L2 (anchor) + 1 x L1",
        experiment="derivation",
        base="ablation-full",  # the bench has no MTAdam-module row: the full method runs here too
        key="ablation-{variant}-c1",
        metrics=[("log10_err", 2, "lower")],
        paper=None,
        chapter="notebooks/02_derivation",
    ),
    "toy-c1000": dict(
        title="chapter 2's toy, L2 (anchor) + 1000 x L1",
        experiment="derivation",
        base="ablation-full",
        key="ablation-{variant}-c1000",
        metrics=[("log10_err", 2, "lower")],
        paper=None,
        chapter="notebooks/02_derivation",
    ),
}
# A column of Table 7 whose record metric has another name: BERT's records say "acc" (in %).
METRIC_KEYS = {"Acc": "acc"}
TABLE7_CELLS = ("facades", "horse2zebra", "MRPC", "RTE")
EXTENSION_CELLS = ("mnist-paper", "mnist-script", "toy-c1", "toy-c1000")
