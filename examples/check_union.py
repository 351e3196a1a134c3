"""Check that data-parallel MTAdam is MTAdam on the union of the processes' batches.

    torchrun --nproc_per_node=2 examples/check_union.py

Every process trains the same small float64 MLP on its shard of each global batch (three mean-
reduced terms, badly scaled); MTAdam averages every term's gradient over the processes. Then rank 0
trains a fresh copy alone (``distributed=False``) on the whole global batches and prints the largest
parameter difference, and every rank reports whether its parameters equal rank 0's bit for bit.
"""

import argparse

import torch
import torch.distributed as dist
from torch import nn

from mtadam import MTAdam


def make_model():
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(4, 32), nn.Tanh(), nn.Linear(32, 3)).double()


def terms(model, x, y):
    out = model(x)
    return [
        (out - y).pow(2).mean(),  # the anchor
        1e3 * (out - y).abs().mean(),
        1e-4 * sum(p.pow(2).sum() for p in model.parameters()),
    ]


def global_batch(step, size):
    gen = torch.Generator().manual_seed(step)
    return torch.randn(size, 4, generator=gen).double(), torch.randn(
        size, 3, generator=gen
    ).double()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=50)
    ap.add_argument("--per-rank", type=int, default=16)
    args = ap.parse_args()
    dist.init_process_group("gloo")
    rank, world = dist.get_rank(), dist.get_world_size()
    size = args.per_rank * world

    model = make_model()
    opt = MTAdam(model.parameters(), lr=1e-2)  # distributed="auto": averages over the world
    for step in range(args.steps):
        x, y = global_batch(step, size)
        rows = slice(rank * args.per_rank, (rank + 1) * args.per_rank)
        opt.step(terms(model, x[rows], y[rows]))
    flat = torch.cat([p.detach().flatten() for p in model.parameters()])
    everyone = [torch.empty_like(flat) for _ in range(world)]
    dist.all_gather(everyone, flat)
    identical = all(torch.equal(everyone[0], other) for other in everyone)

    if rank == 0:
        alone = make_model()
        opt1 = MTAdam(alone.parameters(), lr=1e-2, distributed=False)
        for step in range(args.steps):
            opt1.step(terms(alone, *global_batch(step, size)))
        ref = torch.cat([p.detach().flatten() for p in alone.parameters()])
        moved = ref - torch.cat([p.detach().flatten() for p in make_model().parameters()])
        print(
            f"{world} processes x {args.per_rank} rows vs 1 process x {size} rows, "
            f"{args.steps} steps, float64"
        )
        print(f"  parameters moved by up to      {moved.abs().max().item():.3g}")
        print(f"  max |difference| to one process {(flat - ref).abs().max().item():.3g}")
        print(f"  ranks bit-identical:            {identical}")
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
