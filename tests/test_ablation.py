"""The ablation of Algorithm 1 (chapter 7, Table 7): variants as MTAdam switches, run through the
chapters' own runners (pix2pix, MNIST, chapter 2's toy), and the chapter's table."""

import json

import numpy as np
import pytest
import torch

from mtbook.core import ablation as A
from mtbook.core.records import load_records
from mtbook.core.runs import matching_record
from mtbook.experiments import cyclegan as C
from mtbook.experiments import derivation
from mtbook.experiments import mnist as M
from mtbook.experiments import pix2pix as P
from mtbook.experiments.ablation import spec as S
from mtbook.experiments.ablation import toy as T

EXPECTED_SWITCHES = {  # Table 7's rows as the paper words them, as MTAdam keyword arguments
    "normalize_none": {"normalize": "none"},
    "normalize_global": {"normalize": "global"},
    "no_anchor": {"anchor": False},
    "denom_own": {"denom": "own"},
    "denom_mean": {"denom": "mean"},
}


def test_variants_are_the_five_switches_and_the_full_method():
    assert set(A.ABLATIONS) == set(EXPECTED_SWITCHES)
    for v, sw in EXPECTED_SWITCHES.items():
        assert A.switches(v) == sw
    assert A.switches("full") == {} and set(S.PAPER_TABLE7) == set(A.VARIANTS)
    with pytest.raises(ValueError, match="unknown ablation variant 'denom_max'"):
        A.switches("denom_max")
    assert A.method_name("mtadam", "full") == "mtadam"  # the full method is the chapter's own


def test_with_switches_leaves_the_full_method_alone_and_rejects_bad_input():
    g = dict(name="mtadam", lr=2e-4, beta1=0.9)
    assert A.with_switches(g, {}) == g and A.with_switches(g, None) == g
    assert A.with_switches(g, {"denom": "own"}) == dict(g, denom="own")
    assert g == dict(name="mtadam", lr=2e-4, beta1=0.9)  # not modified
    with pytest.raises(ValueError, match="for optimizer 'adam'"):
        A.with_switches(dict(name="adam", lr=1e-3), {"denom": "own"})
    with pytest.raises(ValueError, match="not MTAdam switches: colour"):
        A.with_switches(g, {"colour": "red"})


def test_ablation_methods_only_from_an_mtadam_method():
    with pytest.raises(ValueError, match="only MTAdam is ablated"):
        A.ablation_methods(P.METHODS, "adam_equal")
    with pytest.raises(ValueError, match="no method 'nope'"):
        A.ablation_methods(P.METHODS, "nope")
    with pytest.raises(ValueError, match="not derived"):
        A.ablation_methods(P.METHODS, "mtadam_equal", variants=("full",))


def _diff(a: dict, b: dict) -> dict:
    return {k: (a.get(k), b.get(k)) for k in set(a) | set(b) if a.get(k) != b.get(k)}


@pytest.mark.parametrize("variant", list(EXPECTED_SWITCHES))
@pytest.mark.parametrize("chapter,base", [(P, "mtadam_equal"), (C, "mtadam_suboptimal")])
def test_gan_variant_differs_from_full_mtadam_in_its_switch_only(chapter, base, variant):
    cfg = chapter.config("cpu")
    name = A.method_name(base, variant)
    assert name in chapter.ABLATION_METHODS and name not in chapter.METHODS  # not a table row
    full, var = chapter.run_config(base, cfg), chapter.run_config(name, cfg)
    assert set(_diff(full, var)) == {"method", "label", "generator_optimizer"}
    g_full, g_var = full["generator_optimizer"], var["generator_optimizer"]
    assert _diff(g_full, g_var) == {k: (None, v) for k, v in EXPECTED_SWITCHES[variant].items()}


@pytest.mark.parametrize("variant", list(EXPECTED_SWITCHES))
def test_mnist_variant_differs_from_full_mtadam_in_its_switch_only(variant):
    cfg = M.config("cpu")
    name = A.method_name("mtadam", variant)
    assert name in M.ABLATION_METHODS and name not in M.METHODS
    for draw in M.DRAWS:
        full = M.run_config("mtadam", draw, 0, cfg)
        var = M.run_config(name, draw, 0, cfg)
        assert _diff(full, var) == {
            "method": ("mtadam", name),
            "label": (full["label"], var["label"]),
            "mtadam": (None, EXPECTED_SWITCHES[variant]),
        }
        assert M.method_key(name, draw) == f"{name}-{draw}"


@pytest.mark.parametrize("chapter", [P, M, C])
def test_every_stored_cpu_record_still_matches_its_config(chapter):
    """Adding the variants changed no row's config: the chapters' cpu records are still reused."""
    jobs = chapter.jobs(chapter.config("cpu"))  # the chapter's own rows, every seed
    assert len(load_records(chapter.EXPERIMENT, "cpu")) >= len(jobs) > 0
    unmatched = [
        (j["method"], j["seed"])
        for j in jobs
        if not matching_record(j["experiment"], j["method"], j["seed"], j["config"], "cpu")
    ]
    assert unmatched == []


def test_mnist_variant_runs_through_the_chapters_runner(tmp_path, monkeypatch):
    """A variant's record holds its switch, and the switch reaches the optimizer: with no
    normalisation every effective weight is 1; the full method weighs the terms unequally."""
    from tests.test_mnist import TINY, _tiny_data

    monkeypatch.setenv("MTADAM_RESULTS", str(tmp_path))
    monkeypatch.setitem(M.CONFIG, "smoke", dict(TINY))
    name = A.method_name("mtadam", "normalize_none")
    recs = M.run_all(
        "smoke", methods=[name, "mtadam"], draws=["paper"], data=_tiny_data(), verbose=False
    )
    by = {r["method"]: r for r in recs}
    path = tmp_path / "smoke" / "mnist" / f"{name}-paper__seed0.json"
    assert json.loads(path.read_text())["config"]["mtadam"] == {"normalize": "none"}
    assert "mtadam" not in by["mtadam-paper"]["config"]
    ew_none = np.asarray(by[f"{name}-paper"]["curves"]["ew_fc2"])
    ew_full = np.asarray(by["mtadam-paper"]["curves"]["ew_fc2"])
    assert np.allclose(ew_none, 1.0)
    assert not np.allclose(ew_full, 1.0)


def test_pix2pix_variant_runs_through_the_chapters_runner(tmp_path, monkeypatch):
    monkeypatch.setenv("MTADAM_RESULTS", str(tmp_path / "results"))
    monkeypatch.setenv("MTADAM_CACHE", str(tmp_path / "cache"))
    name = A.method_name("mtadam_equal", "no_anchor")
    (rec,) = P.run_all("smoke", methods=[name], verbose=False)
    assert rec["method"] == name
    assert rec["config"]["generator_optimizer"]["anchor"] is False
    ew = np.asarray(rec["curves"]["ew"])  # [log step, term, layer]: 1 / n^i_l, not n^1_l / n^i_l
    assert ew.shape[1] == 2 and not np.allclose(ew[:, 0], 1.0)


def test_cyclegan_variant_runs_through_the_chapters_runner(tmp_path, monkeypatch):
    monkeypatch.setenv("MTADAM_RESULTS", str(tmp_path / "results"))
    monkeypatch.setenv("MTADAM_CACHE", str(tmp_path / "cache"))
    name = A.method_name("mtadam_suboptimal", "denom_mean")
    (rec,) = C.run_all("smoke", methods=[name], verbose=False)
    assert rec["method"] == name
    assert rec["config"]["generator_optimizer"]["denom"] == "mean"
    assert (
        "denom" not in C.run_config("mtadam_suboptimal", C.config("smoke"))["generator_optimizer"]
    )


def test_toy_variants_weigh_the_terms_as_their_lines_say(tmp_path, monkeypatch):
    """Chapter 2's bench through its own recorded_run: what each switch does to the weights."""
    monkeypatch.setenv("MTADAM_RESULTS", str(tmp_path))
    cfg = dict(derivation.config("smoke"), steps=40, tail=10)
    recs = T.run_toy(
        derivation.recorded_run, cfg, "smoke", seeds=(0,), c_values=(1000.0,), progress=False
    )
    assert len(recs) == len(A.VARIANTS)
    w = {v: np.asarray(recs[(v, 1000.0, 0)]["weights"]) for v in A.VARIANTS}  # [step, term, layer]
    assert np.allclose(w["full"][:, 0], 1.0)  # the anchor keeps its own scale
    assert not np.allclose(w["full"][:, 1, 0], w["full"][:, 1, 1])  # one weight per layer
    assert np.allclose(w["normalize_none"], 1.0)
    assert np.allclose(w["normalize_global"][:, 1, 0], w["normalize_global"][:, 1, 1])
    assert not np.allclose(w["no_anchor"][:, 0], 1.0)  # 1 / n^1_l
    mags = np.asarray(recs[("no_anchor", 1000.0, 0)]["magnitudes"])
    med = np.median(mags[5:], axis=0)  # ||g^i_l|| / n^i_l: about 1 (n is its running mean)
    assert ((med > 0.5) & (med < 2.0)).all()  # every term on every layer on a unit scale
    for v in ("denom_own", "denom_mean"):  # line 14 only: the weights are the full method's
        assert np.allclose(w[v][0], w["full"][0])
    rec = recs[("denom_mean", 1000.0, 0)]
    stored = json.loads(
        (tmp_path / "smoke" / "derivation" / "ablation-denom_mean-c1000__seed0.json").read_text()
    )
    assert stored["config"]["mtadam"] == {"denom": "mean"} and rec["method"] == T.toy_method(
        "denom_mean", 1000.0
    )
    traj = {v: recs[(v, 1000.0, 0)]["trajectory"] for v in A.VARIANTS}
    assert all(not torch.equal(traj[v], traj["full"]) for v in A.ABLATIONS)  # each one matters


def test_a_variant_run_with_other_settings_is_flagged():
    from mtbook.experiments.ablation import plots as AP

    g = dict(name="mtadam", lr=2e-4)
    full = {"config": dict(method="m", label="M", generator_optimizer=g, epochs=40)}
    ok = {
        "config": dict(method="m_x", label="X", generator_optimizer=dict(g, denom="own"), epochs=40)
    }
    bad = {"config": dict(ok["config"], epochs=20)}
    assert AP.mismatched({"full": [full], "denom_own": [ok]}) == []
    assert AP.mismatched({"full": [full], "denom_own": [ok], "denom_mean": [bad]}) == ["denom_mean"]


def test_table_cells_say_not_run_and_judge_only_beyond_two_sd(tmp_path, monkeypatch):
    from mtbook.core.records import save_record
    from mtbook.experiments.ablation import plots as AP

    monkeypatch.setenv("MTADAM_RESULTS", str(tmp_path))
    cfg = P.run_config("mtadam_equal", P.config("cpu"))
    for seed, l1 in enumerate((40.0, 41.0, 42.0)):
        save_record(
            "pix2pix",
            "mtadam_equal",
            config=cfg,
            seed=seed,
            metrics={"L1": l1},
            wall_time=1.0,
            profile="smoke",
        )
    name = A.method_name("mtadam_equal", "denom_own")
    for seed, l1 in enumerate((50.0, 51.0, 52.0)):
        save_record(
            "pix2pix",
            name,
            config=P.run_config(name, P.config("cpu")),
            seed=seed,
            metrics={"L1": l1},
            wall_time=1.0,
            profile="smoke",
        )
    rows = {r["variant"]: r for r in AP.cell_rows("facades", "smoke")}
    own = rows[S.VARIANTS["denom_own"]["paper"]]
    assert own["n"] == 3 and own["L1"] == "51.00 ± 1.00 (48.2)"
    assert own["Δ L1"].startswith("+10.00 ± 0.82") and own["Δ L1"].endswith("(worse)")
    none = rows[S.VARIANTS["normalize_none"]["paper"]]
    assert none["n"] == 0 and none["L1"] == "not run yet at smoke (53.45)"
    assert AP.judge(1.0, 0.6, "lower") == "~" and AP.judge(-2.0, 0.6, "higher") == "worse"


def test_one_run_borrows_the_full_methods_spread():
    from mtbook.experiments.ablation import plots as AP

    d, sd, assumed = AP.difference([50.0], [40.0, 41.0, 42.0])
    assert assumed and d == 9.0 and sd == pytest.approx(1.0 * (1 + 1 / 3) ** 0.5)
    d, sd, assumed = AP.difference([50.0, 52.0], [40.0, 42.0])
    assert not assumed and d == 10.0 and sd == pytest.approx(((2 + 2) / 2) ** 0.5)


def test_bert_cells_read_accuracy_and_the_claim_takes_its_weaker_task(tmp_path, monkeypatch):
    """MRPC and RTE cells read the BERT runner's "acc"; Table 7's BERT claim is judged on both
    tasks and holds only as far as the weaker one: all worse on MRPC, none worse on RTE -> "does
    not"; RTE without records -> "not run yet"."""
    from mtbook.core.records import save_record
    from mtbook.experiments.ablation import claims as AC
    from mtbook.experiments.ablation import plots as AP
    from mtbook.experiments.bert import run as BR
    from mtbook.experiments.bert import spec as BS

    monkeypatch.setenv("MTADAM_RESULTS", str(tmp_path))
    cfg = BS.config("cpu")
    claim = next(c for c in AC.CLAIMS if c.id == "table7-bert")

    def save(name, task, accs):
        for seed, acc in enumerate(accs):
            save_record(
                "bert",
                BS.method_key(name, task),
                config=BR.run_config(name, task, cfg),
                seed=seed,
                metrics={"acc": acc},
                wall_time=1.0,
                profile="smoke",
            )

    save("mtadam_equal", "MRPC", (80.0, 81.0, 82.0))
    for name in BS.ABLATION_METHODS:
        save(name, "MRPC", (70.0, 71.0, 72.0))
    rows = {r["variant"]: r for r in AP.cell_rows("MRPC", "smoke")}
    assert rows[S.VARIANTS["full"]["paper"]]["Acc"] == "81.0 ± 1.0 (87.2)"
    assert rows[S.VARIANTS["denom_own"]["paper"]]["Δ Acc"].endswith("(worse)")
    assert AP.mismatched(AP.cell_records("MRPC", "smoke")) == []
    res = claim.evaluate("smoke")
    assert res.verdict == "not run yet" and "RTE" in res.reason
    assert AC.all_worse("MRPC")("smoke").verdict == "reproduces"
    save("mtadam_equal", "RTE", (60.0, 61.0, 62.0))
    for name in BS.ABLATION_METHODS:
        save(name, "RTE", (60.0, 61.0, 62.0))
    res = claim.evaluate("smoke")
    assert res.verdict == "does not" and res.seeds == 3
    assert "MRPC (reproduces)" in res.reason and "RTE (does not)" in res.reason
