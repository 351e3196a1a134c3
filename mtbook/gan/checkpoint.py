"""Checkpoints of a GAN run: one file per epoch (the latest kept), written atomically.

A checkpoint holds the ``state_dict()`` of every stateful object of the run (models, optimizers,
schedulers, an image pool), the data-order generator, the CPU and CUDA RNG states, and the loop's
own counters and curves; restoring it continues the run exactly as if it had not been interrupted.
It also holds the run's identity (``run_id``): resuming another run's checkpoint raises.
"""

from __future__ import annotations

from pathlib import Path

import torch


def latest_checkpoint(ckpt_dir) -> Path | None:
    """The newest ``epoch_XXXX.pt`` in ``ckpt_dir``, or None."""
    if ckpt_dir is None or not Path(ckpt_dir).is_dir():
        return None
    found = sorted(Path(ckpt_dir).glob("epoch_*.pt"))
    return found[-1] if found else None


def save_checkpoint(
    ckpt_dir: Path, epoch: int, stateful: dict, gen: torch.Generator, run_id, extra: dict
):
    ckpt_dir.mkdir(parents=True, exist_ok=True)
    state = {k: v.state_dict() for k, v in stateful.items()}
    state.update(
        _gen=gen.get_state(),
        _torch_rng=torch.get_rng_state(),
        _run=run_id,
        _extra=extra,
        _cuda_rng=torch.cuda.get_rng_state_all() if torch.cuda.is_available() else None,
    )
    path = ckpt_dir / f"epoch_{epoch:04d}.pt"
    tmp = path.with_suffix(".tmp")
    torch.save(state, tmp)
    tmp.replace(path)
    for old in sorted(ckpt_dir.glob("epoch_*.pt"))[:-1]:
        old.unlink()  # keep the latest only


def restore(path: Path, stateful: dict, gen: torch.Generator, run_id) -> dict:
    """Load a checkpoint into ``stateful`` and ``gen``; return the loop's extra state."""
    state = torch.load(path, map_location="cpu", weights_only=False)
    if state.get("_run") not in (None, run_id):
        raise ValueError(
            f"checkpoint {path} belongs to another run ({state['_run']}), not {run_id}; "
            f"delete {Path(path).parent} or use another checkpoint directory"
        )
    missing = [k for k in stateful if k not in state]
    if missing:
        raise ValueError(f"checkpoint {path} lacks {', '.join(missing)}; delete it and re-run")
    for k, obj in stateful.items():
        obj.load_state_dict(state[k])
    gen.set_state(state["_gen"])
    torch.set_rng_state(state["_torch_rng"])
    if state.get("_cuda_rng") is not None and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["_cuda_rng"])
    return state["_extra"]
