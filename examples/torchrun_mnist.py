"""MTAdam on several processes: the MNIST chapter's network and its ten per-class loss terms.

    torchrun --nproc_per_node=2 examples/torchrun_mnist.py --steps 30          # CPU: gloo
    torchrun --nproc_per_node=4 examples/torchrun_mnist.py --amp               # GPUs: NCCL, fp16

Each process takes its own shard of every global batch. MTAdam averages every term's gradient
over the processes before line 7 of Algorithm 1 (``distributed="auto"``: it sees that
torch.distributed is initialised), so every rank takes the same step and the replicas stay
identical, which the script checks at the end. Wrapping the model in DistributedDataParallel
(``--ddp``) changes nothing: DDP averages in ``.grad`` hooks, which MTAdam's per-term
``torch.autograd.grad`` never fires, so MTAdam's average is the only one.

Needs the book's package for the data and the network (``pip install "mtadam[book]"``); the
optimizer itself is ``mtadam/mtadam.py`` alone.
"""

import argparse
import os
import time

import torch
import torch.distributed as dist
from torch import nn

from mtadam import LossScaler, MTAdam
from mtbook.core.models import MnistNet
from mtbook.experiments.mnist.model import class_terms, load_mnist


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--batch", type=int, default=64, help="global batch (all processes together)")
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--train-size", type=int, default=4096)
    ap.add_argument("--ddp", action="store_true", help="wrap the model in DistributedDataParallel")
    ap.add_argument("--amp", action="store_true", help="fp16 autocast + LossScaler (CUDA)")
    ap.add_argument("--max-grad-norm", type=float, default=None)
    ap.add_argument("--save", default=None, help="checkpoint path (written by rank 0)")
    args = ap.parse_args()

    cuda = torch.cuda.is_available()
    dist.init_process_group("nccl" if cuda else "gloo")
    rank, world = dist.get_rank(), dist.get_world_size()
    if cuda:
        device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", 0)))
        torch.cuda.set_device(device)
    else:
        device = torch.device("cpu")
        torch.set_num_threads(max(1, (os.cpu_count() or 1) // world))
    if args.batch % world:
        raise SystemExit(f"--batch {args.batch} must be divisible by the {world} processes")
    per_rank = args.batch // world

    data = load_mnist(train_size=args.train_size, test_size=1000)
    torch.manual_seed(0)  # the same initial weights on every rank
    model = MnistNet().to(device)
    net = nn.parallel.DistributedDataParallel(model) if args.ddp else model
    opt = MTAdam(model.parameters(), lr=args.lr, max_grad_norm=args.max_grad_norm)
    scaler = LossScaler(enabled=args.amp and cuda)
    torch.manual_seed(1 + rank)  # dropout masks differ between ranks, as in any data-parallel run
    order = torch.randperm(len(data.y_train), generator=torch.Generator().manual_seed(0))

    if rank == 0:
        print(
            f"{world} processes ({dist.get_backend()}), global batch {args.batch} "
            f"({per_rank} per process), {'DDP-wrapped' if args.ddp else 'plain'} model"
        )
    start = time.perf_counter()
    for step in range(args.steps):
        lo = (step * args.batch) % (len(order) - args.batch + 1)
        idx = order[lo + rank * per_rank : lo + (rank + 1) * per_rank]  # this rank's shard
        x, y = data.x_train[idx].to(device), data.y_train[idx].to(device)
        with torch.autocast(device.type, dtype=torch.float16, enabled=scaler.enabled):
            log_probs = net(x)
        # ten per-class terms, divided by the per-rank batch: their average over the ranks is
        # the term on the global batch. Unweighted: MTAdam balances them (class 0 is the anchor).
        terms = list(class_terms(log_probs.float(), y, torch.ones(10)))
        opt.step(terms, scaler=scaler)
        if rank == 0 and (step % 10 == 0 or step == args.steps - 1):
            norms = opt.grad_norms()
            print(
                f"step {step:3d}  loss on this shard {sum(terms).item():.4f}  "
                f"|g| anchor {norms[0].item():.3f}  max |g| {norms.max().item():.3f}"
                + (f"  scale {scaler.scale:g}" if scaler.enabled else "")
            )

    flat = torch.cat([p.detach().flatten() for p in model.parameters()])
    everyone = [torch.empty_like(flat) for _ in range(world)]
    dist.all_gather(everyone, flat)
    same = all(torch.equal(everyone[0], other) for other in everyone[1:])
    if rank == 0:
        model.eval()
        with torch.no_grad():
            pred = model(data.x_test.to(device)).argmax(1).cpu()
        acc = (pred == data.y_test).float().mean().item()
        print(
            f"{args.steps} steps in {time.perf_counter() - start:.1f} s; test accuracy "
            f"{acc:.3f} (1000 images); replicas bit-identical on all {world} ranks: {same}"
        )
        if args.save:
            torch.save(
                {
                    "model": model.state_dict(),
                    "opt": opt.state_dict(),
                    "scaler": scaler.state_dict(),
                },
                args.save,
            )
    dist.destroy_process_group()
    if not same:
        raise SystemExit("replicas differ")


if __name__ == "__main__":
    main()
