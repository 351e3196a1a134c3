"""Benchmarks of MTAdam (a script, not a test): step time, whole training iteration, state memory.

    python benchmarks/bench_mtadam.py [--device cpu|cuda] [--repeats 15] [--quick]

Everything is measured in one process, A/B interleaved (each repeat times every contender once, in
rotating order) and summarised by medians, so slow drifts of a shared machine hit all contenders
alike.

1. Optimizer step with precomputed gradients, MTAdam.step(grads=...) against
   torch.optim.Adam(foreach=True).step(), beside the memory-traffic floor (6I+2)/7: per element,
   MTAdam must read each term's gradient twice (norm, update), read and write each term's m and v,
   and read and write the parameter (6I + 2 accesses); Adam reads the gradient, reads/writes m, v
   and the parameter (7).
2. A whole training iteration of the MNIST CNN (batch 64) with ten per-class terms: MTAdam
   (sequential and batched per-term gradients) against its floor -- forward, ten torch.autograd.grad
   calls, one Adam step -- and against Adam on the weighted sum (one backward).
3. Optimizer-state memory against 2*I*|theta| + I*L numbers.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time

import torch
from torch import nn

from mtadam import MTAdam
from mtbook.core.models import MnistNet as Net
from mtbook.experiments.mnist import class_terms


def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize()


CLOCK = time.perf_counter  # set by --clock


def timed(fn, device):
    sync(device)
    t0 = CLOCK()
    fn()
    sync(device)
    return CLOCK() - t0


def interleaved(contenders: dict, repeats: int, device, warmup: int = 2) -> dict:
    """Median seconds per call of each contender, A/B interleaved with rotating order."""
    names = list(contenders)
    for _ in range(warmup):
        for name in names:
            contenders[name]()
    times = {name: [] for name in names}
    for r in range(repeats):
        order = names[r % len(names) :] + names[: r % len(names)]
        for name in order:
            times[name].append(timed(contenders[name], device))
    return {name: statistics.median(ts) for name, ts in times.items()}


def mlp_16m():
    return nn.Sequential(nn.Linear(2048, 4096), nn.ReLU(), nn.Linear(4096, 2048))


def step_benchmark(model_name, make_model, num_terms, device, repeats):
    torch.manual_seed(0)
    model_a = make_model().to(device)
    model_m = make_model().to(device)
    params_a, params_m = list(model_a.parameters()), list(model_m.parameters())
    for p in params_a:
        p.grad = torch.randn_like(p) * 1e-3
    grads = [[torch.randn_like(p) * 10.0 ** (i % 3) for p in params_m] for i in range(num_terms)]
    adam = torch.optim.Adam(params_a, lr=1e-6, foreach=True)
    mt = MTAdam(params_m, lr=1e-6)
    medians = interleaved(
        {"adam": adam.step, "mtadam": lambda: mt.step(grads=grads)}, repeats, device
    )
    ratio = medians["mtadam"] / medians["adam"]
    floor = (6 * num_terms + 2) / 7
    numel = sum(p.numel() for p in params_m)
    return dict(
        model=model_name,
        params=numel,
        terms=num_terms,
        adam_ms=1e3 * medians["adam"],
        mtadam_ms=1e3 * medians["mtadam"],
        ratio=ratio,
        floor=floor,
        ratio_over_floor=ratio / floor,
    )


def iteration_benchmark(device, repeats, batch_size=64):
    torch.manual_seed(0)
    x = torch.randn(batch_size, 1, 28, 28, device=device)
    y = torch.arange(batch_size, device=device) % 10
    weights = torch.linspace(1.0, 1000.0, 10).tolist()

    def make():
        torch.manual_seed(0)
        net = Net().to(device)
        net.eval()  # no dropout: every contender computes the same function
        return net

    net_seq, net_bat, net_floor, net_adam = make(), make(), make(), make()
    opt_seq = MTAdam(net_seq.parameters(), lr=1e-6, grad_mode="sequential")
    opt_bat = MTAdam(net_bat.parameters(), lr=1e-6, grad_mode="batched")
    adam_floor = torch.optim.Adam(net_floor.parameters(), lr=1e-6, foreach=True)
    adam_sum = torch.optim.Adam(net_adam.parameters(), lr=1e-6, foreach=True)
    floor_params = list(net_floor.parameters())

    def mtadam_seq():
        opt_seq.step(list(class_terms(net_seq(x), y, weights)))

    def mtadam_batched():
        opt_bat.step(list(class_terms(net_bat(x), y, weights)))

    def floor():
        terms = class_terms(net_floor(x), y, weights)
        grads = [
            torch.autograd.grad(t, floor_params, retain_graph=i < len(terms) - 1)
            for i, t in enumerate(terms)
        ]
        for p, g in zip(floor_params, grads[0]):
            p.grad = g
        adam_floor.step()

    def adam_weighted_sum():
        adam_sum.zero_grad()
        torch.stack(list(class_terms(net_adam(x), y, weights))).sum().backward()
        adam_sum.step()

    med = interleaved(
        {
            "mtadam_sequential": mtadam_seq,
            "mtadam_batched": mtadam_batched,
            "floor": floor,
            "adam_weighted_sum": adam_weighted_sum,
        },
        repeats,
        device,
    )
    return {k: 1e3 * v for k, v in med.items()}


def memory_benchmark(device):
    rows = []
    for name, make in [("mnist_cnn", Net), ("mlp_16.8M", mlp_16m)]:
        for num_terms in (1, 2, 10):
            model = make().to(device)
            params = list(model.parameters())
            opt = MTAdam(params, lr=1e-6)
            opt.step(grads=[[torch.zeros_like(p) + 1e-3 for p in params] for _ in range(num_terms)])
            state_bytes = sum(
                t.numel() * t.element_size()
                for st in opt.state.values()
                for t in st.values()
                if torch.is_tensor(t)
            )
            numel = sum(p.numel() for p in params)
            expected_numbers = 2 * num_terms * numel + num_terms * len(params)
            rows.append(
                dict(
                    model=name,
                    terms=num_terms,
                    state_bytes=state_bytes,
                    expected_bytes_fp32=4 * expected_numbers,
                    ratio=state_bytes / (4 * expected_numbers),
                )
            )
            del opt, model, params
    return rows


def main():
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--repeats", type=int, default=15)
    ap.add_argument("--quick", action="store_true", help="few repeats, for a smoke check")
    ap.add_argument("--json", help="also write the results to this JSON file")
    ap.add_argument("--readme", help="fill the results block of this README (benchmarks/README.md)")
    ap.add_argument(
        "--clock",
        choices=["wall", "cpu"],
        default="wall",
        help="wall: elapsed time (default); cpu: this thread's CPU time with torch on one "
        "thread -- for a CPU shared with other jobs, where wall time counts their turns too",
    )
    args = ap.parse_args()
    device = torch.device(args.device)
    global CLOCK
    if args.clock == "cpu":
        if device.type != "cpu":
            raise SystemExit("--clock cpu measures CPU work; use the wall clock on a GPU")
        torch.set_num_threads(1)
        CLOCK = time.thread_time
    repeats = 3 if args.quick else args.repeats
    info = dict(
        device=str(device),
        torch=torch.__version__,
        threads=torch.get_num_threads(),
        clock=args.clock,
        machine=platform.platform(),
        processor=platform.processor() or platform.machine(),
    )
    if device.type == "cuda":
        info["gpu"] = torch.cuda.get_device_name(device)
    print("# machine:", json.dumps(info))

    print("\n## 1. optimizer step (gradients precomputed), median of", repeats)
    print(
        f"{'model':<10} {'params':>10} {'I':>3} {'Adam ms':>9} {'MTAdam ms':>10} {'ratio':>7} "
        f"{'floor':>6} {'ratio/floor':>11}"
    )
    step_rows = []
    for name, make in [("mnist_cnn", Net), ("mlp_16.8M", mlp_16m)]:
        for num_terms in (1, 2, 10):
            r = step_benchmark(name, make, num_terms, device, repeats)
            step_rows.append(r)
            print(
                f"{r['model']:<10} {r['params']:>10,} {r['terms']:>3} {r['adam_ms']:>9.3f} "
                f"{r['mtadam_ms']:>10.3f} {r['ratio']:>7.2f} {r['floor']:>6.2f} "
                f"{r['ratio_over_floor']:>11.2f}"
            )
    worst = max(r["ratio_over_floor"] for r in step_rows)
    print(
        f"worst ratio/floor: {worst:.2f} (target <= 1.25): {'MET' if worst <= 1.25 else 'NOT MET'}"
    )

    print(
        "\n## 2. whole training iteration, MNIST CNN, batch 64, ten per-class terms, median of",
        repeats,
    )
    it = iteration_benchmark(device, repeats)
    for k, v in it.items():
        print(
            f"{k:<20} {v:9.2f} ms   {v / it['floor']:5.2f} x floor   "
            f"{v / it['adam_weighted_sum']:5.2f} x Adam"
        )
    best = min(it["mtadam_sequential"], it["mtadam_batched"])
    print(
        f"best MTAdam / floor: {best / it['floor']:.3f} (target <= 1.10): "
        f"{'MET' if best / it['floor'] <= 1.10 else 'NOT MET'}"
    )

    print("\n## 3. optimizer-state memory")
    mem = memory_benchmark(device)
    for r in mem:
        print(
            f"{r['model']:<10} I={r['terms']:>2}  state {r['state_bytes'] / 2**20:9.2f} MiB   "
            f"2I|theta|+IL floats {r['expected_bytes_fp32'] / 2**20:9.2f} MiB   "
            f"ratio {r['ratio']:.4f}"
        )
    results = dict(info=info, repeats=repeats, step=step_rows, iteration=it, memory=mem)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)
    if args.readme:
        write_readme(args.readme, results)


def markdown(results) -> str:
    """The results as the markdown tables of benchmarks/README.md."""
    info = results["info"]
    lines = [
        f"Measured {time.strftime('%Y-%m-%d')} on `{info['device']}`"
        + (
            f" ({info['gpu']})"
            if "gpu" in info
            else f" ({info['processor']}, {info['threads']} threads)"
        )
        + f", torch {info['torch']}, {info['machine']}; {info['clock']} clock"
        + (" (this thread's CPU time, torch on one thread)" if info["clock"] == "cpu" else "")
        + f"; medians of {results['repeats']} interleaved repeats.",
        "",
        "**1. Optimizer step, gradients precomputed** (target: ratio/floor <= 1.25 on every row)",
        "",
        "| model | parameters | I | Adam (ms) | MTAdam (ms) | ratio | floor (6I+2)/7 "
        "| ratio / floor |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in results["step"]:
        lines.append(
            f"| {r['model']} | {r['params']:,} | {r['terms']} | {r['adam_ms']:.2f} "
            f"| {r['mtadam_ms']:.2f} "
            f"| {r['ratio']:.2f} | {r['floor']:.2f} | **{r['ratio_over_floor']:.2f}** |"
        )
    it = results["iteration"]
    lines += [
        "",
        "**2. Whole training iteration**, MNIST CNN, batch 64, ten per-class terms "
        "(target: best MTAdam <= 1.10 x floor)",
        "",
        "| contender | ms | x floor | x Adam on the weighted sum |",
        "| --- | ---: | ---: | ---: |",
    ]
    labels = {
        "mtadam_sequential": "MTAdam, sequential per-term gradients",
        "mtadam_batched": "MTAdam, batched per-term gradients (is_grads_batched)",
        "floor": "floor: 10 x autograd.grad + one Adam step",
        "adam_weighted_sum": "Adam on the weighted sum (one backward)",
    }
    for k, v in it.items():
        lines.append(
            f"| {labels[k]} | {v:.1f} | {v / it['floor']:.3f} | {v / it['adam_weighted_sum']:.2f} |"
        )
    lines += [
        "",
        "**3. Optimizer state**",
        "",
        "| model | I | state (MiB) | 2I&#124;θ&#124; + IL floats (MiB) | ratio |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for r in results["memory"]:
        lines.append(
            f"| {r['model']} | {r['terms']} | {r['state_bytes'] / 2**20:.2f} | "
            f"{r['expected_bytes_fp32'] / 2**20:.2f} | {r['ratio']:.4f} |"
        )
    return "\n".join(lines)


def write_readme(path, results) -> None:
    """Replace the block between ``<!-- results:DEVICE -->`` and ``<!-- /results:DEVICE -->``."""
    kind = "gpu" if results["info"]["device"].startswith("cuda") else "cpu"
    start, end = f"<!-- results:{kind} -->", f"<!-- /results:{kind} -->"
    text = open(path).read()
    if start not in text or end not in text:
        raise SystemExit(f"{path} has no {start} ... {end} block to fill")
    head, rest = text.split(start, 1)
    _, tail = rest.split(end, 1)
    with open(path, "w") as f:
        f.write(head + start + "\n" + markdown(results) + "\n" + end + tail)


if __name__ == "__main__":
    main()
