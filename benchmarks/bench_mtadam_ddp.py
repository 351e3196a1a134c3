"""Communication of data-parallel MTAdam against Adam under DistributedDataParallel (a script).

    python benchmarks/bench_mtadam_ddp.py [--world 2] [--repeats 5]

Spawns ``--world`` gloo processes on this machine. For the MNIST CNN and I in {1, 2, 10} terms it
measures, per step: the bytes MTAdam all-reduces (counted by wrapping torch.distributed.all_reduce)
and the bytes DDP all-reduces for Adam (counted by a communication hook that sums its buckets), and
the median time of MTAdam.step(grads=...) with and without averaging. Expected: MTAdam's volume is
I x DDP's (each term's gradient; plus I*L + I four-byte flags), i.e. K terms -> K x Adam's volume.
"""

import argparse
import os
import statistics
import tempfile
import time

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from torch import nn

from mtadam import MTAdam
from mtbook.core.models import MnistNet


def worker(rank, world, tmp, repeats, out):
    os.environ["OMP_NUM_THREADS"] = "1"
    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=f"file://{tmp}/rdv", rank=rank, world_size=world)
    counted = {"bytes": 0, "calls": 0}
    real_all_reduce = dist.all_reduce

    def counting_all_reduce(tensor, *args, **kwargs):
        counted["bytes"] += tensor.numel() * tensor.element_size()
        counted["calls"] += 1
        return real_all_reduce(tensor, *args, **kwargs)

    torch.manual_seed(0)
    model = MnistNet()
    params = list(model.parameters())
    x, y = torch.randn(32, 1, 28, 28), torch.randint(0, 10, (32,))
    # Adam under DDP: bytes per backward, through a counting comm hook
    ddp = nn.parallel.DistributedDataParallel(model)
    ddp_bytes = []

    def hook(state, bucket):
        ddp_bytes.append(bucket.buffer().numel() * bucket.buffer().element_size())
        fut = dist.all_reduce(bucket.buffer(), async_op=True).get_future()
        return fut.then(lambda f: f.value()[0].div_(world))

    ddp.register_comm_hook(None, hook)
    nn.functional.nll_loss(ddp(x), y).backward()
    adam_bytes = sum(ddp_bytes)
    rows = []
    for num_terms in (1, 2, 10):
        grads = [[torch.randn_like(p) for p in params] for _ in range(num_terms)]
        times = {}
        for distributed in (True, False):
            opt = MTAdam(params, lr=1e-3, distributed=distributed)
            dist.all_reduce = counting_all_reduce
            counted.update(bytes=0, calls=0)
            opt.step(grads=grads)
            dist.all_reduce = real_all_reduce
            if distributed:
                step_bytes, step_calls = counted["bytes"], counted["calls"]
            ts = []
            for _ in range(repeats):
                dist.barrier()
                t0 = time.perf_counter()
                opt.step(grads=grads)
                ts.append(time.perf_counter() - t0)
            times[distributed] = statistics.median(ts)
        rows.append((num_terms, step_bytes, step_calls, times[True], times[False]))
    if rank == 0:
        n = sum(p.numel() for p in params)
        print(f"MNIST CNN, {n:,} parameters, {world} gloo processes on one machine")
        print(
            "| I | MTAdam bytes/step | collectives | Adam+DDP bytes/step | ratio | "
            "step with averaging (ms) | without (ms) |"
        )
        print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        for num_terms, b, calls, t_on, t_off in rows:
            print(
                f"| {num_terms} | {b:,} | {calls} | {adam_bytes:,} | {b / adam_bytes:.3f} | "
                f"{1e3 * t_on:.1f} | {1e3 * t_off:.1f} |"
            )
    dist.destroy_process_group()


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--world", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        mp.spawn(worker, args=(args.world, tmp, args.repeats, None), nprocs=args.world)
