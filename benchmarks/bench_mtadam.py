"""Benchmarks of MTAdam (a script, not a test): step time, whole training iteration, state memory.

    python benchmarks/bench_mtadam.py [--device cpu|cuda] [--repeats 15] [--quick]

Everything is measured in one process, A/B interleaved (each repeat times every contender once, in
rotating order) and summarised by medians, so slow drifts of a shared machine hit all contenders alike.

1. Optimizer step with precomputed gradients, MTAdam.step(grads=...) against
   torch.optim.Adam(foreach=True).step(), beside the memory-traffic floor (6I+2)/7: per element, MTAdam
   must read each term's gradient twice (norm, update), read and write each term's m and v, and read and
   write the parameter (6I + 2 accesses); Adam reads the gradient, reads/writes m, v and the parameter (7).
2. A whole training iteration of the MNIST CNN (batch 64) with ten per-class terms: MTAdam (sequential
   and batched per-term gradients) against its floor -- forward, ten torch.autograd.grad calls, one Adam
   step -- and against Adam on the weighted sum (one backward).
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
from mtbook.mnist import Net, class_terms


def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize()


def timed(fn, device):
    sync(device)
    t0 = time.perf_counter()
    fn()
    sync(device)
    return time.perf_counter() - t0


def interleaved(contenders: dict, repeats: int, device, warmup: int = 2) -> dict:
    """Median seconds per call of each contender, A/B interleaved with rotating order."""
    names = list(contenders)
    for _ in range(warmup):
        for name in names:
            contenders[name]()
    times = {name: [] for name in names}
    for r in range(repeats):
        order = names[r % len(names):] + names[:r % len(names)]
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
    medians = interleaved({"adam": adam.step, "mtadam": lambda: mt.step(grads=grads)}, repeats, device)
    ratio = medians["mtadam"] / medians["adam"]
    floor = (6 * num_terms + 2) / 7
    numel = sum(p.numel() for p in params_m)
    return dict(model=model_name, params=numel, terms=num_terms, adam_ms=1e3 * medians["adam"],
                mtadam_ms=1e3 * medians["mtadam"], ratio=ratio, floor=floor, ratio_over_floor=ratio / floor)


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
        grads = [torch.autograd.grad(t, floor_params, retain_graph=i < len(terms) - 1)
                 for i, t in enumerate(terms)]
        for p, g in zip(floor_params, grads[0]):
            p.grad = g
        adam_floor.step()

    def adam_weighted_sum():
        adam_sum.zero_grad()
        torch.stack(list(class_terms(net_adam(x), y, weights))).sum().backward()
        adam_sum.step()

    med = interleaved({"mtadam_sequential": mtadam_seq, "mtadam_batched": mtadam_batched,
                       "floor": floor, "adam_weighted_sum": adam_weighted_sum}, repeats, device)
    return {k: 1e3 * v for k, v in med.items()}


def memory_benchmark(device):
    rows = []
    for name, make in [("mnist_cnn", Net), ("mlp_16.8M", mlp_16m)]:
        for num_terms in (1, 2, 10):
            model = make().to(device)
            params = list(model.parameters())
            opt = MTAdam(params, lr=1e-6)
            opt.step(grads=[[torch.zeros_like(p) + 1e-3 for p in params] for _ in range(num_terms)])
            state_bytes = sum(t.numel() * t.element_size() for st in opt.state.values()
                              for t in st.values() if torch.is_tensor(t))
            numel = sum(p.numel() for p in params)
            expected_numbers = 2 * num_terms * numel + num_terms * len(params)
            rows.append(dict(model=name, terms=num_terms, state_bytes=state_bytes,
                             expected_bytes_fp32=4 * expected_numbers,
                             ratio=state_bytes / (4 * expected_numbers)))
            del opt, model, params
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--repeats", type=int, default=15)
    ap.add_argument("--quick", action="store_true", help="few repeats, for a smoke check")
    ap.add_argument("--json", help="also write the results to this JSON file")
    args = ap.parse_args()
    device = torch.device(args.device)
    repeats = 3 if args.quick else args.repeats
    info = dict(device=str(device), torch=torch.__version__, threads=torch.get_num_threads(),
                machine=platform.platform(), processor=platform.processor() or platform.machine())
    if device.type == "cuda":
        info["gpu"] = torch.cuda.get_device_name(device)
    print("# machine:", json.dumps(info))

    print("\n## 1. optimizer step (gradients precomputed), median of", repeats)
    print(f"{'model':<10} {'params':>10} {'I':>3} {'Adam ms':>9} {'MTAdam ms':>10} {'ratio':>7} "
          f"{'floor':>6} {'ratio/floor':>11}")
    step_rows = []
    for name, make in [("mnist_cnn", Net), ("mlp_16.8M", mlp_16m)]:
        for num_terms in (1, 2, 10):
            r = step_benchmark(name, make, num_terms, device, repeats)
            step_rows.append(r)
            print(f"{r['model']:<10} {r['params']:>10,} {r['terms']:>3} {r['adam_ms']:>9.3f} "
                  f"{r['mtadam_ms']:>10.3f} {r['ratio']:>7.2f} {r['floor']:>6.2f} {r['ratio_over_floor']:>11.2f}")
    worst = max(r["ratio_over_floor"] for r in step_rows)
    print(f"worst ratio/floor: {worst:.2f} (target <= 1.25): {'MET' if worst <= 1.25 else 'NOT MET'}")

    print("\n## 2. whole training iteration, MNIST CNN, batch 64, ten per-class terms, median of", repeats)
    it = iteration_benchmark(device, repeats)
    for k, v in it.items():
        print(f"{k:<20} {v:9.2f} ms   {v / it['floor']:5.2f} x floor   {v / it['adam_weighted_sum']:5.2f} x Adam")
    best = min(it["mtadam_sequential"], it["mtadam_batched"])
    print(f"best MTAdam / floor: {best / it['floor']:.3f} (target <= 1.10): "
          f"{'MET' if best / it['floor'] <= 1.10 else 'NOT MET'}")

    print("\n## 3. optimizer-state memory")
    mem = memory_benchmark(device)
    for r in mem:
        print(f"{r['model']:<10} I={r['terms']:>2}  state {r['state_bytes'] / 2**20:9.2f} MiB   "
              f"2I|theta|+IL floats {r['expected_bytes_fp32'] / 2**20:9.2f} MiB   ratio {r['ratio']:.4f}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(dict(info=info, step=step_rows, iteration=it, memory=mem), f, indent=1)


if __name__ == "__main__":
    main()
