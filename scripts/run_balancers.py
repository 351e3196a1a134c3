#!/usr/bin/env python
"""Run (or resume) chapter 10's cells: the loss balancers beside MTAdam on three benches.

    MTADAM_PROFILE=cpu MTADAM_DATA=../shared/data \\
        nohup .venv/bin/python scripts/run_balancers.py toy mnist pix2pix cost > bal.log 2>&1 &

* ``toy``: chapter 2's bench for every method at c = 1 and 1000 (``mtbook.experiments.balancers``;
  records under ``balancers/``), seed by seed.
* ``mnist`` / ``pix2pix``: each chapter's ``BALANCER_METHODS`` through its own ``run_all`` (records
  in that chapter's folder), seed by seed (MNIST: the paper's draw first, then the script's).
* ``cost``: CPU seconds per training step (one thread; a busy machine slows wall time, not this)
  and optimizer state of every method on MNIST and pix2pix,
  measured side by side in one process (a short run of each, interleaved, ``--repeats`` times):
  one record per bench, ``balancers/cost-<bench>``.

Runs whose record exists are skipped, so the script can be stopped and started again.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mtbook.core.profiles import get_profile  # noqa: E402

PARTS = ("toy", "mnist", "pix2pix", "cost")
SEEDS = (0, 1, 2)


def run_toy(profile, seeds):
    from mtbook.experiments.balancers import run_toy

    for s in seeds:
        run_toy(profile, seeds=[s])
        print(f"toy: seed {s} done {time.strftime('%H:%M:%S')}", flush=True)


def run_mnist(profile, seeds, draws=("paper", "script")):
    from mtbook.experiments import mnist

    for d in draws:
        for s in seeds:
            mnist.run_all(profile, methods=list(mnist.spec.BALANCER_METHODS), draws=[d], seeds=[s])
            print(f"mnist: {d} seed {s} done {time.strftime('%H:%M:%S')}", flush=True)


def run_pix2pix(profile, seeds):
    from mtbook.experiments import pix2pix

    for s in seeds:
        pix2pix.run_all(profile, methods=list(pix2pix.spec.BALANCER_METHODS), seeds=[s])
        print(f"pix2pix: seed {s} done {time.strftime('%H:%M:%S')}", flush=True)


def cost_mnist(profile, repeats: int, steps: int = 20) -> dict:
    """Every method on ``steps`` MNIST steps (chapter 3's runner, a short training set)."""
    from mtbook.experiments import mnist

    cfg = dict(mnist.config(profile), train_size=steps * 64, test_size=1000, evals=1)
    cfg["curve_test_size"] = 500
    data = mnist.load_mnist(cfg["train_size"], cfg["test_size"])
    methods = ["adam", "mtadam", *mnist.spec.BALANCER_METHODS]
    out = {m: dict(sec_per_step=[], state_bytes=None) for m in methods}
    for _ in range(repeats):
        for m in methods:
            met = mnist.train_run(m, "paper", 0, data, cfg)["metrics"]
            out[m]["sec_per_step"].append(met["sec_per_step"])
            out[m]["state_bytes"] = met["state_bytes"]
    return dict(out=out, config=dict(steps=steps, batch_size=64, draw="paper", seed=0))


def cost_pix2pix(profile, repeats: int, steps: int = 8) -> dict:
    """Every method on ``steps`` pix2pix iterations (D step, then G step, chapter 4's networks)."""
    import torch

    from mtbook.core.balancers import is_balanced, make_balanced, state_bytes
    from mtbook.core.optim import is_multi_term, make_optimizer
    from mtbook.experiments import pix2pix
    from mtbook.experiments.pix2pix.model import build_models, load_data, make_setup
    from mtbook.gan.loop import discriminator_step, generator_step

    cfg = dict(pix2pix.config(profile), train_limit=steps * 8, val_limit=8, test_limit=8)
    data = load_data(cfg)
    methods = ["adam_equal", "mtadam_equal", *pix2pix.spec.BALANCER_METHODS]
    out = {m: dict(sec_per_step=[], g_sec_per_step=[], state_bytes=None) for m in methods}
    for _ in range(repeats):
        for m in methods:
            spec = pix2pix.spec.method_spec(m)
            G, D = build_models(cfg, 0)
            setup = make_setup(G, D, data, cfg)
            g, d = pix2pix.run.optimizers(
                spec["optimizer"], spec["beta1"], cfg, None, spec.get("balancer")
            )
            g, d = dict(g), dict(d)
            multi = is_multi_term(g["name"]) or is_balanced(g)
            make_g = make_balanced if is_balanced(g) else make_optimizer
            opt_g = make_g(g.pop("name"), G.parameters(), **g)
            opt_d = make_optimizer(d.pop("name"), D.parameters(), **d)
            t_all, t_g = [], []
            for batch in setup.batches(torch.Generator().manual_seed(0)):
                t0 = time.process_time()
                cache = setup.forward(batch)
                discriminator_step(setup, opt_d, batch, cache)
                t1 = time.process_time()
                generator_step(setup, opt_g, multi, batch, cache, list(spec["lambdas"]))
                t2 = time.process_time()
                t_all.append(t2 - t0)
                t_g.append(t2 - t1)
            out[m]["sec_per_step"].append(statistics.median(t_all[1:]))
            out[m]["g_sec_per_step"].append(statistics.median(t_g[1:]))
            out[m]["state_bytes"] = state_bytes(opt_g)
    return dict(out=out, config=dict(steps=steps, batch_size=cfg["batch_size"], size=cfg["size"]))


def run_cost(profile, repeats: int):
    from mtbook.core.records import save_record
    from mtbook.experiments.balancers import EXPERIMENT

    for bench, fn in (("mnist", cost_mnist), ("pix2pix", cost_pix2pix)):
        t0 = time.time()
        res = fn(profile, repeats)
        metrics = {}
        for m, v in res["out"].items():
            metrics[m] = dict(v, sec_per_step_median=statistics.median(v["sec_per_step"]))
            if "g_sec_per_step" in v:
                metrics[m]["g_sec_per_step_median"] = statistics.median(v["g_sec_per_step"])
        save_record(
            EXPERIMENT,
            f"cost-{bench}",
            config=dict(res["config"], bench=bench, repeats=repeats),
            seed=0,
            metrics=metrics,
            wall_time=time.time() - t0,
            profile=profile,
        )
        print(f"cost: {bench} done {time.strftime('%H:%M:%S')}", flush=True)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("parts", nargs="+", choices=PARTS)
    ap.add_argument("--profile", default=None, help="smoke | cpu | full (default: $MTADAM_PROFILE)")
    ap.add_argument("--seeds", nargs="*", type=int, default=list(SEEDS))
    ap.add_argument("--draws", nargs="*", default=["paper", "script"], help="MNIST weight draws")
    ap.add_argument("--repeats", type=int, default=3, help="cost: rounds over the methods")
    args = ap.parse_args(argv)
    profile = args.profile or get_profile()
    for part in args.parts:
        t0 = time.time()
        if part == "toy":
            run_toy(profile, args.seeds)
        elif part == "mnist":
            run_mnist(profile, args.seeds, args.draws)
        elif part == "pix2pix":
            run_pix2pix(profile, args.seeds)
        else:
            run_cost(profile, args.repeats)
        print(f"{part}: {time.time() - t0:.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
