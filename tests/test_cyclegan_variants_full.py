"""Chapter 7's ablation variants of the CycleGAN bench at the ``full`` sizes (ResNet-9, ngf 64,
70x70 PatchGAN, 256 px): two MTAdam steps each through the chapter's ``train_one``, on one real
horse and one real zebra, on the CPU. The Table 5 rows have their dry run in test_cyclegan.py."""

import numpy as np
import pytest
import torch

from mtbook.core.data import horse2zebra_dir
from mtbook.experiments import cyclegan as C


@pytest.fixture(scope="module")
def one_pair():
    root = horse2zebra_dir()
    a = C.model.load_folder(root / "testA", 256, limit=1)
    b = C.model.load_folder(root / "testB", 256, limit=1)
    return {"train": (a, b), "val": (a, b), "test": (a, b)}


@pytest.mark.parametrize("method", list(C.ABLATION_METHODS))
def test_full_size_dry_run_of_each_ablation_variant(method, one_pair):
    spec = C.method_spec(method)
    assert spec["optimizer"] == "mtadam" and spec["mtadam"]
    cfg = dict(C.config("full"), epochs=1, epochs_decay=1, fid_per_epoch=False, log_every=1)
    assert (cfg["size"], cfg["ngf"], cfg["n_blocks"]) == (256, 64, 9)
    res = C.run.train_one(
        "mtadam",
        C.term_weights(*spec["lambdas"]),
        spec["beta1"],
        cfg,
        one_pair,
        0,
        None,
        device=torch.device("cpu"),
        mtadam=spec["mtadam"],
    )
    assert res["steps"] == 2 and not res["diverged"]
    assert np.asarray(res["curves"]["ew"]).shape[:2] == (2, 6)
    assert all(np.isfinite(v) for k, v in res["test"].items() if k.startswith(("L1", "moved")))
