"""MTAdam on several processes (gloo, two CPU processes, torch.multiprocessing.spawn).

Every scenario runs in the same two workers (one spawn, a few seconds); the workers save their
parameters and the main process compares them: with each other (bit-identical replicas) and with
one process that steps on the union of the two ranks' batches.
"""

import os

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from torch import nn

from mtadam import LossScaler, MTAdam

WORLD = 2
STEPS = 12
PER_RANK = 8


def make_model(seed=0):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(4, 16), nn.Tanh(), nn.Linear(16, 3)).double()


def union_batch(t):
    gen = torch.Generator().manual_seed(100 + t)
    x = torch.randn(WORLD * PER_RANK, 4, generator=gen, dtype=torch.float64)
    y = torch.randn(WORLD * PER_RANK, 3, generator=gen, dtype=torch.float64)
    return x, y


def rank_batch(t, rank):
    x, y = union_batch(t)
    rows = slice(rank * PER_RANK, (rank + 1) * PER_RANK)
    return x[rows], y[rows]


def terms(out, y, model):
    """Three differently scaled, mean-reduced terms (the anchor first)."""
    weight_sq = sum(p.pow(2).sum() for p in model.parameters())
    return [
        (out - y).pow(2).mean(),
        1e3 * (out - y).abs().mean(),
        1e-2 * (out[:, 0] - y[:, 0]).abs().mean() + 1e-3 * weight_sq,
    ]


def per_term_grads(losses, params):
    return [
        [g.detach() for g in torch.autograd.grad(loss, params, retain_graph=True)]
        for loss in losses
    ]


def train(model, opt, batches, via="losses", scaler=None, poison=None):
    params = list(model.parameters())
    for t, (x, y) in enumerate(batches):
        losses = terms(model(x), y, model)
        if poison is not None and t == poison:
            losses[1] = losses[1] * float("inf")  # a forced overflow
        if via == "losses":
            opt.step(losses, scaler=scaler)
        else:
            opt.step(grads=per_term_grads(losses, params))
    return [p.detach().clone() for p in params]


def worker(rank, tmp):
    os.environ["OMP_NUM_THREADS"] = "1"
    torch.set_num_threads(1)
    dist.init_process_group(
        "gloo", init_method=f"file://{tmp}/rendezvous", rank=rank, world_size=WORLD
    )
    out = {}
    batches = [rank_batch(t, rank) for t in range(STEPS)]
    # losses path, plain model
    model = make_model()
    out["losses"] = train(model, MTAdam(model.parameters(), lr=1e-2), batches)
    # grads path, tiny buckets (many collectives); the caller's gradient tensors stay untouched
    model = make_model()
    params = list(model.parameters())
    opt = MTAdam(params, lr=1e-2, bucket_cap_mb=1e-4)
    untouched = True
    for x, y in batches:
        g = per_term_grads(terms(model(x), y, model), params)
        copies = [[t.clone() for t in row] for row in g]
        opt.step(grads=g)
        untouched &= all(torch.equal(a, b) for r, c in zip(g, copies) for a, b in zip(r, c))
    out["grads"] = [p.detach().clone() for p in params]
    out["grads_untouched"] = untouched
    # a NaN loss on rank 1 only: every rank raises, nothing changes anywhere
    model = make_model()
    opt = MTAdam(model.parameters(), lr=1e-2)
    train(model, opt, batches[:2])
    x, y = batches[2]
    losses = terms(model(x), y, model)
    if rank == 1:
        losses[2] = losses[2] * float("nan")
    try:
        opt.step(losses)
        out["nan_raised"] = False
    except ValueError as err:
        out["nan_raised"] = "[2]" in str(err)
    out["nan"] = train(model, opt, batches[3:])
    # process_group: a group of this rank alone means no averaging
    alone = [dist.new_group([r]) for r in range(WORLD)][rank]
    model = make_model()
    opt = MTAdam(model.parameters(), lr=1e-2, process_group=alone)
    out["alone"] = train(model, opt, batches)
    # the model wrapped in DistributedDataParallel; buckets of ~1.7 terms (1,048 bytes a term),
    # so that buckets span terms and start during the next term's backward pass
    model = make_model()
    ddp = nn.parallel.DistributedDataParallel(model)
    opt = MTAdam(ddp.parameters(), lr=1e-2, bucket_cap_mb=1800 / 2**20)
    params = list(ddp.parameters())
    for x, y in batches:
        opt.step(terms(ddp(x), y, model))
    out["ddp"] = [p.detach().clone() for p in params]
    out["ddp_grad_is_none"] = all(p.grad is None for p in params)
    # a term that reaches the last layer's bias on rank 1 only (None on rank 0)
    model = make_model()
    params = list(model.parameters())
    opt = MTAdam(params, lr=1e-2)
    for x, y in batches:
        g = per_term_grads(terms(model(x), y, model), params)
        if rank == 0:
            g[2][-1] = None
        opt.step(grads=g)
    out["absent"] = [p.detach().clone() for p in params]
    # dynamic loss scaling with an overflow on rank 1 only, at step 3
    model = make_model()
    scaler = LossScaler(init_scale=2.0**10, growth_interval=4)
    opt = MTAdam(model.parameters(), lr=1e-2)
    out["scaler"] = train(model, opt, batches, scaler=scaler, poison=3 if rank == 1 else None)
    out["scaler_state"] = scaler.state_dict()
    # distributed=False: each rank on its own
    model = make_model()
    opt = MTAdam(model.parameters(), lr=1e-2, distributed=False)
    out["off"] = train(model, opt, batches)
    torch.save(out, f"{tmp}/rank{rank}.pt")
    dist.destroy_process_group()


@pytest.fixture(scope="module")
def ranks(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("dist")
    mp.spawn(worker, args=(str(tmp),), nprocs=WORLD, join=True)
    return [torch.load(tmp / f"rank{r}.pt") for r in range(WORLD)]


def single_process(via="losses"):
    model = make_model()
    opt = MTAdam(model.parameters(), lr=1e-2)
    return train(model, opt, [union_batch(t) for t in range(STEPS)], via=via)


def max_diff(a, b):
    return max((x - y).abs().max().item() for x, y in zip(a, b))


@pytest.mark.parametrize("case", ["losses", "grads", "ddp", "absent", "scaler", "nan"])
def test_ranks_stay_bit_identical(ranks, case):
    assert all(torch.equal(a, b) for a, b in zip(ranks[0][case], ranks[1][case]))


@pytest.mark.parametrize("case", ["off", "alone"])
def test_without_averaging_ranks_drift_apart(ranks, case):
    # distributed=False, or a process_group holding this rank alone
    assert max_diff(ranks[0][case], ranks[1][case]) > 1e-3
    torch.testing.assert_close(ranks[0][case], ranks[0]["off"], rtol=0, atol=0)


def test_grads_passed_in_are_not_modified(ranks):
    assert ranks[0]["grads_untouched"] and ranks[1]["grads_untouched"]


def test_nonfinite_loss_on_one_rank_raises_on_every_rank(ranks):
    assert ranks[0]["nan_raised"] and ranks[1]["nan_raised"]


@pytest.mark.parametrize("case", ["losses", "grads", "ddp"])
def test_equals_one_process_on_the_union_of_the_batches(ranks, case):
    ref = single_process()
    assert max_diff(ranks[0][case], ref) < 1e-12
    start = [p.detach() for p in make_model().parameters()]
    assert max_diff(ref, start) > 1e-2  # the comparison is not between untrained models


def test_ddp_wrapper_is_not_a_second_average(ranks):
    # DDP's reducer fires when autograd accumulates into .grad; MTAdam's autograd.grad never does
    assert ranks[0]["ddp_grad_is_none"]
    assert torch.equal(
        torch.cat([p.flatten() for p in ranks[0]["ddp"]]),
        torch.cat([p.flatten() for p in ranks[0]["losses"]]),
    )


def test_missing_gradient_on_one_rank_is_a_zero_in_the_average(ranks):
    model = make_model()
    params = list(model.parameters())
    opt = MTAdam(params, lr=1e-2)
    for t in range(STEPS):
        rows = []
        for rank in range(WORLD):
            x, y = rank_batch(t, rank)
            g = per_term_grads(terms(model(x), y, model), params)
            if rank == 0:
                g[2][-1] = torch.zeros_like(params[-1])
            rows.append(g)
        opt.step(grads=[[(a + b) / 2 for a, b in zip(r0, r1)] for r0, r1 in zip(*rows)])
    assert max_diff(ranks[0]["absent"], params) < 1e-12


def test_overflow_on_one_rank_skips_the_step_on_every_rank(ranks):
    s0, s1 = ranks[0]["scaler_state"], ranks[1]["scaler_state"]
    assert s0 == s1
    assert s0["skipped_steps"] == 1
    # 2**10, halved at the overflow (step 3), doubled after each 4 good steps (7, 11): 2**11
    assert s0["scale"] == 2.0**11
