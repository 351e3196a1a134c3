"""MTAdam: Adam for objectives made of several loss terms (Malkiel & Wolf).

This file is self-contained (it depends on torch only): copy it into a project and
``from mtadam import MTAdam``. The book that derives it line by line lives beside it.

Algorithm 1 of the paper (MTAdam), with I loss terms f^1..f^I and L layers
(here: one layer = one parameter tensor), step size alpha, decay rates beta1, beta2, beta3::

     1  for i = 1..I:  m^i_0, v^i_0 <- 0, 0
     2  for l = 1..L:  n^i_{l,0} <- 1                        (norm_init="one"; see below)
     3  while t = 1..T:
     4    for i = 1..I:
     5      g^i = (g^i_1..g^i_L) <- grad_theta f^i_t(theta_{t-1})
     6      for l = 1..L:
     7        n^i_{l,t} <- beta3 * n^i_{l,t-1} + (1 - beta3) * ||g^i_l||_2
     8        g^i_l <- n^1_{l,t} * g^i_l / n^i_{l,t}
     9      m^i_t <- beta1 * m^i_{t-1} + (1 - beta1) * g^i
    10      v^i_t <- beta2 * v^i_{t-1} + (1 - beta2) * (g^i)^2
    11      mhat^i_t <- m^i_t / (1 - beta1^t)
    12      vhat^i_t <- v^i_t / (1 - beta2^t)
    13    for i = 1..I:
    14      theta_{t-1} <- theta_{t-1} - alpha * mhat^i_t / (sqrt(max(vhat^1_t..vhat^I_t)) + eps)
    15    theta_t <- theta_{t-1}

The first term is the *anchor*: every other term's gradient is rescaled, per layer, so that its
running magnitude n^i_l matches the anchor's n^1_l. Since the denominator of line 14 is shared by
all terms, the loop of lines 13-14 is computed as one update,
``theta -= alpha / (1 - beta1^t) * (sum_i m^i) / (sqrt(max_i v^i) / sqrt(1 - beta2^t) + eps)``.

Choices this implementation makes where Algorithm 1 is silent (all documented, all tested):

* ``norm_init`` (line 2). ``"one"`` is Algorithm 1 as printed: n_0 = 1. ``"first"`` (default) starts
  the running norm of term i on layer l at the first non-zero norm observed there, as the authors'
  public code does (it starts at the first step's norm). The default is ``"first"`` because (a) it
  is what produced the paper's numbers, and (b) it makes MTAdam *exactly* invariant to the scale of
  each term (proof below), which is the property the paper's experiments test: with ``"one"`` a term
  whose gradients are 1000x larger than 1 starts with n ~ 1 and is under-normalised by up to 1000x
  for the first ~1/(1-beta3) steps.
  "First non-zero" rather than "first step": a term that does not reach a layer at step 1 (an absent
  class, say) would otherwise start its running norm at 0 and be amplified ~1/(1-beta3) times when
  it first appears.

* Invariance (``norm_init="first"``). Multiply term i (i > 1) by c > 0. Its gradients g^i_{l,t}
  become c g^i_{l,t} at every step, so every ||g^i_l|| is multiplied by c; n^i_l starts at the first
  of them and line 7 is linear, so n^i_{l,t} becomes c n^i_{l,t} at every t; line 8 then gives
  n^1 (c g^i) / (c n^i) = n^1 g^i / n^i: identical. Multiply the anchor (i = 1) by c: n^1 becomes c
  n^1, so after line 8 *every* term's gradient is multiplied by c, hence every m^i by c and every
  v^i by c^2, and line 14 gives alpha c mhat / (c sqrt(max vhat) + eps): identical up to eps. Hence
  the trajectory does not depend on positive constant weights of the terms (up to eps).

* A term that does not reach a layer (zero gradient there) gets a zero normalised gradient and never
  a NaN (n = 0 gives scale 0). If the anchor has never reached a layer (its gradient there has been
  zero at every step so far), the first term that has reached it acts as that layer's anchor.

* Weight decay is applied once per step, not once per term: coupled (L2, as ``torch.optim.Adam``) it
  is added to the anchor term's gradient, as if ``weight_decay/2 * ||theta||^2`` were part of the
  first loss term; ``decoupled_weight_decay=True`` decays the parameters as AdamW does.

* ``ranks`` (optional, one positive number per term) multiply each term's normalised gradient
  (line 8 becomes ``g^i_l <- rank_i * n^1_l * g^i_l / n^i_l``): an importance after balancing.

Ablations of the paper's Table 7, each the line of Algorithm 1 it changes:

* ``normalize="none"``   (i)   drop lines 6-8 (no magnitude normalisation at all).
* ``normalize="global"`` (ii)  lines 6-8 applied once to the whole gradient of a param group (one
  running norm per term over all its parameters) instead of per layer.
* ``anchor=False``       (iii) line 8 becomes ``g^i_l <- g^i_l / n^i_{l,t}`` (no anchor scaling).
* ``denom="own"``        (iv)  line 14 uses each term's own ``vhat^i`` (Adam-like).
* ``denom="mean"``       (v)   line 14 uses the mean ``(1/I) sum_i vhat^i`` instead of the max.

After each step, :meth:`MTAdam.effective_weights` returns the weight MTAdam gave each term on each
layer, ``rank_i * n^anchor_l / n^i_l``.

Cost: state is m^i and v^i per term (2 I |theta| numbers) plus n^i_l per term and layer (I L), i.e.
O(I |theta|); a step reads and writes O(I |theta|) numbers with in-place torch ``_foreach`` ops over
all terms and parameters at once (never a Python loop over parameters), and allocates one temporary
the size of the parameters (the shared denominator), as ``torch.optim.Adam`` does.

In a training loop (each point tested in ``tests/test_mtadam_practice.py`` and
``tests/test_mtadam_distributed.py``):

* ``.grad`` is never populated: :meth:`MTAdam.step` takes each term's gradient with
  ``torch.autograd.grad``. So ``torch.nn.utils.clip_grad_norm_`` (which reads ``.grad``) clips
  nothing, and gradient logging that reads ``.grad`` sees ``None``. Use ``max_grad_norm`` to clip
  and :meth:`MTAdam.grad_norms` to log.

* Clipping (``max_grad_norm``): each term's gradient is clipped *separately*, before line 7, to
  total 2-norm ``max_grad_norm`` over all of the optimizer's parameters -- what
  ``clip_grad_norm_(params, max_grad_norm)`` would do to that term's gradient alone (with coupled
  weight decay included in the anchor term's gradient). The clipped gradient is what lines 7-10 see.
  It is applied as a factor inside lines 7-10 (no copy of the gradients).

* Several processes (``distributed="auto"``, the default): when ``torch.distributed`` is
  initialised and the process group (``process_group``, default the world) has more than one
  process, every term's gradient is averaged over the group before line 7, for ``step(losses)`` and
  ``step(grads=...)`` alike. Every rank then runs the same update on the same numbers, so replicas
  stay bit-identical, and with mean-reduced losses on equal-sized per-rank batches the step is the
  one a single process would take on the union of the batches. The gradients are flattened into
  buckets of at most ``bucket_cap_mb`` (per device and dtype, filled term after term), and each
  bucket's all-reduce starts asynchronously as soon as it is full, while the next term's backward
  pass runs: one collective per bucket, plus one small one for the flags (which term reached
  which parameter on any rank, which loss was non-finite on any rank). Volume: I |theta| numbers
  per step, I times what Adam under ``DistributedDataParallel`` all-reduces (|theta|, one averaged
  gradient): with K terms, K x Adam's all-reduce volume. ``distributed=False`` turns this off.
  ``DistributedDataParallel`` and MTAdam: DDP averages in hooks that fire when autograd accumulates
  into ``.grad``; ``torch.autograd.grad`` never does, so under DDP the per-term gradients are the
  rank's own and MTAdam's all-reduce is the only one (never twice). Wrapping the model in DDP is
  therefore allowed (it still broadcasts parameters and buffers) but not needed. Do not hand MTAdam
  gradients that DDP already averaged (``grads=[[p.grad ...]]`` after ``loss.backward()`` on a DDP
  model) with ``distributed`` on: the average would be taken again (the same values up to
  rounding, and wasted communication).
  An inf/NaN on one rank is seen by all (it is part of the average and of the flags), so every rank
  raises, or with a ``LossScaler`` skips, together. A bad input caught before the all-reduce (a
  wrong shape, a wrong number of terms) raises on the rank that has it while the others wait in
  the collective, as a mismatch does under DDP.

* fp16 mixed precision: ``torch.amp.GradScaler`` cannot drive MTAdam (it unscales and checks
  ``.grad``); ``scaler.step(opt, ...)`` raises a ``TypeError`` saying so. Use
  ``opt.step(losses, scaler=LossScaler())``: every term is multiplied by the scale before its
  gradient is taken, the gradients are unscaled, and a step whose gradients (or losses) are inf or
  NaN is skipped with parameters and state untouched; the scale then backs off, and grows again
  after ``growth_interval`` good steps, with ``GradScaler``'s defaults and semantics.

* ``torch.compile``: compile the model, not the step. The step calls ``torch.autograd.grad``,
  reads per-parameter step counts to the host and synchronises once for its finiteness check, so
  a compiled step would break its graph at each of these and re-specialise on the step count (a
  recompilation every step). :meth:`MTAdam.step` therefore always runs eagerly:
  ``torch.compile(opt.step)`` or a compiled training function that calls it runs the step outside
  the graph, with no recompilation.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import Optional

import torch
from torch import Tensor
from torch.optim.optimizer import Optimizer

__all__ = ["MTAdam", "LossScaler"]

_NORM_INITS = ("first", "one")
_NORMALIZE = ("layer", "global", "none")
_DENOMS = ("max", "own", "mean")
_GRAD_MODES = ("auto", "sequential", "batched")
# what a state_dict of MTAdam holds: per param group, and per parameter
_GROUP_KEYS = ("betas", "norm_init", "normalize", "anchor", "denom")
_STATE_KEYS = ("step", "m", "v", "n", "seen")


def _calc_dtype(dtype: torch.dtype) -> torch.dtype:
    """dtype of the running norms n: float64 for float64 params, else float32 (bf16/fp16 too)."""
    return torch.float64 if dtype == torch.float64 else torch.float32


class MTAdam(Optimizer):
    r"""Multi-term Adam (Algorithm 1 of Malkiel & Wolf), see the module docstring.

    Args:
        params: iterable of parameters or of dicts defining parameter groups.
        lr (float): step size alpha (default 1e-3).
        betas (tuple of 3 floats): beta1, beta2 (Adam's moments) and beta3 (running norm of each
            term's gradient per layer) (default (0.9, 0.999, 0.9), as in the paper).
        eps (float): added to the denominator of line 14 (default 1e-8).
        weight_decay (float): L2 penalty, applied once per step (default 0).
        decoupled_weight_decay (bool): AdamW-style decay ``theta *= 1 - lr * weight_decay``
            instead of
            the L2 gradient (default False).
        norm_init (str): ``"first"`` (default) or ``"one"`` (Algorithm 1 line 2).
        normalize (str): ``"layer"`` (default), ablations ``"global"`` (ii) and ``"none"`` (i).
        anchor (bool): True (default); False is ablation (iii).
        denom (str): ``"max"`` (default), ablations ``"own"`` (iv) and ``"mean"`` (v).
        grad_mode (str): how :meth:`step` computes per-term gradients from ``losses``:
            ``"sequential"`` (one ``torch.autograd.grad`` per term), ``"batched"`` (one call with
            ``is_grads_batched=True``) or ``"auto"`` (default: batched on CUDA, sequential on CPU,
            where batched measured slower; falls back to sequential if batching fails).
        check_finite (bool): check every loss and gradient for inf/NaN before changing anything and
            raise ``ValueError`` naming the term (default True). The check costs one device-to-host
            synchronisation per step; it is the only one in :meth:`step`.
        max_grad_norm (float or None): clip each term's gradient, before line 7, to this total
            2-norm over all parameters (default None: no clipping). See the module docstring.
        distributed (``"auto"``, True or False): average every term's gradient over
            ``process_group`` before line 7. ``"auto"`` (default): when ``torch.distributed`` is
            initialised and the group has more than one process; True: the same, but raise if
            ``torch.distributed`` is not initialised; False: never.
        process_group: the ``torch.distributed`` group to average over (default: the world).
        bucket_cap_mb (float): size of the flattened all-reduce buckets (default 25, as DDP).

    ``.grad`` is neither read nor written; to clip use ``max_grad_norm``, to log the gradients
    :meth:`grad_norms`, for fp16 :class:`LossScaler` (``torch.amp.GradScaler`` reads ``.grad``).

    Example::

        opt = MTAdam(model.parameters(), lr=1e-3)
        out = model(x)
        # unweighted terms, anchor first: constant weights would be undone (see the invariance)
        opt.step([l1(out, y), gan_loss(out), perceptual(out, y)])
        # to make a term matter more or less *after* balancing, use ranks, not weights:
        opt.step([l1(out, y), gan_loss(out), perceptual(out, y)], ranks=[1.0, 0.1, 0.5])
    """

    # torch.amp.GradScaler calls step() directly (with grad_scale / found_inf attributes set) on
    # optimizers that say they handle scaling; MTAdam uses that only to raise a clear error.
    _step_supports_amp_scaling = True

    def __init__(
        self,
        params,
        lr: float = 1e-3,
        betas: Sequence[float] = (0.9, 0.999, 0.9),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        decoupled_weight_decay: bool = False,
        norm_init: str = "first",
        normalize: str = "layer",
        anchor: bool = True,
        denom: str = "max",
        grad_mode: str = "auto",
        check_finite: bool = True,
        max_grad_norm: Optional[float] = None,
        distributed="auto",
        process_group=None,
        bucket_cap_mb: float = 25.0,
    ):
        if isinstance(lr, Tensor):
            raise TypeError("lr must be a Python float, not a tensor")
        if not (isinstance(lr, (int, float)) and math.isfinite(lr) and lr >= 0.0):
            raise ValueError(f"Invalid learning rate: {lr!r} (must be a finite number >= 0)")
        if not (isinstance(eps, (int, float)) and math.isfinite(eps) and eps >= 0.0):
            raise ValueError(f"Invalid eps: {eps!r} (must be a finite number >= 0)")
        if not (
            isinstance(weight_decay, (int, float))
            and math.isfinite(weight_decay)
            and weight_decay >= 0.0
        ):
            raise ValueError(
                f"Invalid weight_decay: {weight_decay!r} (must be a finite number >= 0)"
            )
        try:
            betas = tuple(float(b) for b in betas)
        except TypeError:
            raise TypeError(
                f"betas must be a sequence of three floats (beta1, beta2, beta3), got {betas!r}"
            ) from None
        if len(betas) != 3:
            raise ValueError(
                f"betas must have three values (beta1, beta2, beta3), got {len(betas)}: {betas!r}"
            )
        for k, b in enumerate(betas):
            if not 0.0 <= b < 1.0:
                raise ValueError(f"Invalid beta{k + 1}: {b!r} (must be in [0, 1))")
        if norm_init not in _NORM_INITS:
            raise ValueError(f"norm_init must be one of {_NORM_INITS}, got {norm_init!r}")
        if normalize not in _NORMALIZE:
            raise ValueError(f"normalize must be one of {_NORMALIZE}, got {normalize!r}")
        if not isinstance(anchor, bool):
            raise TypeError(f"anchor must be a bool, got {anchor!r}")
        if denom not in _DENOMS:
            raise ValueError(f"denom must be one of {_DENOMS}, got {denom!r}")
        if grad_mode not in _GRAD_MODES:
            raise ValueError(f"grad_mode must be one of {_GRAD_MODES}, got {grad_mode!r}")
        if max_grad_norm is not None and not (
            isinstance(max_grad_norm, (int, float))
            and math.isfinite(max_grad_norm)
            and max_grad_norm > 0.0
        ):
            raise ValueError(
                f"Invalid max_grad_norm: {max_grad_norm!r} (must be None or a finite number > 0)"
            )
        if not (distributed is True or distributed is False or distributed == "auto"):
            raise ValueError(f"distributed must be 'auto', True or False, got {distributed!r}")
        if not (isinstance(bucket_cap_mb, (int, float)) and bucket_cap_mb > 0):
            raise ValueError(f"Invalid bucket_cap_mb: {bucket_cap_mb!r} (must be > 0)")
        defaults = dict(
            lr=float(lr),
            betas=betas,
            eps=float(eps),
            weight_decay=float(weight_decay),
            decoupled_weight_decay=bool(decoupled_weight_decay),
            norm_init=norm_init,
            normalize=normalize,
            anchor=anchor,
            denom=denom,
        )
        super().__init__(params, defaults)
        self.grad_mode = grad_mode
        self.check_finite = bool(check_finite)
        self._batched_failed = False
        self._last_weights: Optional[list] = None
        self._last_norms: Optional[list] = None
        self._force_host_scalars: Optional[bool] = None
        self.max_grad_norm = None if max_grad_norm is None else float(max_grad_norm)
        self.distributed = distributed
        self.process_group = process_group
        self.bucket_cap_mb = float(bucket_cap_mb)

    # ------------------------------------------------------------------ helpers

    def _host_scalars(self, device) -> bool:
        """Whether per-tensor factors are read to the host (CPU: free) or kept on the device."""
        if self._force_host_scalars is not None:  # for tests of both paths on one machine
            return self._force_host_scalars
        return device.type == "cpu"

    def _all_params(self) -> list:
        return [p for group in self.param_groups for p in group["params"]]

    def _num_terms_in_state(self) -> Optional[int]:
        for st in self.state.values():
            if "m" in st:
                return st["m"].shape[0]
        return None

    def load_state_dict(self, state_dict) -> None:
        """Load a state of MTAdam; anything else is rejected before anything changes.

        Raises ``ValueError`` naming what is wrong when the state is not MTAdam's: a group without
        beta3 or MTAdam's settings (``norm_init``, ``normalize``, ``anchor``, ``denom``), a
        parameter state that lacks ``m``, ``v``, ``n``, ``seen`` (``exp_avg``/``exp_avg_sq`` is
        ``torch.optim.Adam``'s), moments whose shape is not ``[I, *param.shape]``, or parameters
        that disagree on the number of terms I.
        """
        self._check_state_dict(state_dict)
        super().load_state_dict(state_dict)
        # torch casts every floating state tensor to the parameter's dtype; restore ours.
        for p, st in self.state.items():
            if "seen" in st:
                st["seen"] = st["seen"].to(dtype=torch.bool)
                st["n"] = st["n"].to(dtype=_calc_dtype(p.dtype))

    def _check_state_dict(self, state_dict) -> None:
        if not isinstance(state_dict, dict) or not {"state", "param_groups"} <= set(state_dict):
            raise ValueError("not an optimizer state_dict (needs 'state' and 'param_groups')")
        groups = state_dict["param_groups"]
        if any("exp_avg" in st for st in state_dict["state"].values()):
            raise ValueError(
                "not an MTAdam state: it holds exp_avg/exp_avg_sq, torch.optim.Adam's state "
                "(MTAdam's is m, v, n, seen per parameter, with one row per loss term)"
            )
        if len(groups) != len(self.param_groups):
            raise ValueError(
                f"the state has {len(groups)} parameter groups, this optimizer "
                f"{len(self.param_groups)}"
            )
        shapes = {}
        for gi, (saved, group) in enumerate(zip(groups, self.param_groups)):
            missing = [k for k in _GROUP_KEYS if k not in saved]
            if missing:
                raise ValueError(
                    f"not an MTAdam state: param group {gi} lacks {missing} "
                    "(MTAdam's group settings)"
                )
            if len(tuple(saved["betas"])) != 3:
                raise ValueError(
                    f"not an MTAdam state: param group {gi} has betas {tuple(saved['betas'])!r}, "
                    "without beta3"
                )
            if len(saved["params"]) != len(group["params"]):
                raise ValueError(
                    f"param group {gi} of the state has {len(saved['params'])} parameters, "
                    f"this optimizer's {len(group['params'])}"
                )
            shapes.update({k: tuple(p.shape) for k, p in zip(saved["params"], group["params"])})
        num_terms = None
        for key, st in state_dict["state"].items():
            if key not in shapes:
                raise ValueError(f"the state has an entry for parameter {key!r}, in no group")
            missing = [k for k in _STATE_KEYS if k not in st]
            if missing:
                adam = " (this is torch.optim.Adam's state)" if "exp_avg" in st else ""
                raise ValueError(f"not an MTAdam state: parameter {key!r} lacks {missing}{adam}")
            terms = st["m"].shape[0] if st["m"].dim() > 0 else 0
            for name in ("m", "v"):
                if tuple(st[name].shape) != (terms, *shapes[key]):
                    raise ValueError(
                        f"state '{name}' of parameter {key!r} has shape {tuple(st[name].shape)}, "
                        f"expected [I, {', '.join(map(str, shapes[key]))}] (I terms)"
                    )
            for name in ("n", "seen"):
                if tuple(st[name].shape) != (terms,):
                    raise ValueError(
                        f"state '{name}' of parameter {key!r} has shape {tuple(st[name].shape)} "
                        f"but its m has {terms} terms"
                    )
            if num_terms is None:
                num_terms = terms
            elif terms != num_terms:
                raise ValueError(
                    f"parameter {key!r} has state for {terms} terms, others for {num_terms}"
                )
        current = self._num_terms_in_state()
        if num_terms is not None and current is not None and current != num_terms:
            raise ValueError(
                f"the state is for {num_terms} loss terms but this optimizer's is for {current} "
                "(load into a fresh MTAdam to change the number of terms)"
            )

    def _grads_from_losses(self, losses, params, retain_graph: bool, on_row=None):
        """Per-term gradients w.r.t. this optimizer's parameters only (never touches ``.grad``).

        ``on_row``: called with each term's gradients (over all parameters) as soon as they exist,
        so that averaging term i over processes overlaps the backward pass of term i + 1; the rows
        are then not kept (None is returned for each).
        """
        num_terms = len(losses)
        trainable = [j for j, p in enumerate(params) if p.requires_grad]
        if not trainable:
            raise ValueError("none of this optimizer's parameters requires grad")
        tparams = [params[j] for j in trainable]

        def full_row(row):  # over all parameters, None for those that do not require grad
            full = [None] * len(params)
            for j, g in zip(trainable, row):
                full[j] = g
            return full

        use_batched = self.grad_mode == "batched" or (
            self.grad_mode == "auto"
            and tparams[0].is_cuda
            and not self._batched_failed
            and num_terms > 1
        )
        # line 5, for every term i: g^i = (g^i_1..g^i_L) <- grad_theta f^i_t(theta_{t-1})
        per_term = None
        if use_batched:
            try:
                with torch.enable_grad():
                    stacked = torch.stack([loss.reshape(()) for loss in losses])
                    eye = torch.eye(num_terms, dtype=stacked.dtype, device=stacked.device)
                    gs = torch.autograd.grad(
                        stacked,
                        tparams,
                        grad_outputs=eye,
                        retain_graph=retain_graph,
                        allow_unused=True,
                        is_grads_batched=True,
                    )
                per_term = [
                    full_row([None if g is None else g[i] for g in gs]) for i in range(num_terms)
                ]
                if on_row is not None:
                    for row in per_term:
                        on_row(row)
                    per_term = [None] * num_terms
            except RuntimeError as err:
                if self.grad_mode == "batched":
                    raise
                self._batched_failed = True
                warnings.warn(
                    f"MTAdam: batched per-term gradients failed ({err}); using sequential ones",
                    stacklevel=2,
                )
        if per_term is None:
            per_term = []
            with torch.enable_grad():
                for i, loss in enumerate(losses):
                    gs = torch.autograd.grad(
                        loss,
                        tparams,
                        retain_graph=retain_graph or i < num_terms - 1,
                        allow_unused=True,
                    )
                    if all(g is None for g in gs):
                        raise ValueError(
                            f"loss term {i} does not depend on any parameter of this optimizer"
                        )
                    if on_row is None:
                        per_term.append(full_row(gs))
                    else:
                        on_row(full_row(gs))  # its all-reduce runs during the next backward
                        per_term.append(None)
        return per_term

    def _check_grads(self, grads, params) -> list:
        if not isinstance(grads, (list, tuple)) or len(grads) == 0:
            raise ValueError("grads must be a non-empty list over terms of lists over parameters")
        out = []
        for i, row in enumerate(grads):
            if not isinstance(row, (list, tuple)):
                raise TypeError(
                    f"grads[{i}] must be a list over parameters, got {type(row).__name__}"
                )
            if len(row) != len(params):
                raise ValueError(
                    f"grads[{i}] has {len(row)} entries but the optimizer has "
                    f"{len(params)} parameters "
                    "(one entry per parameter in param_groups order; None for no gradient)"
                )
            for j, (g, p) in enumerate(zip(row, params)):
                if g is None:
                    continue
                if not isinstance(g, Tensor):
                    raise TypeError(
                        f"grads[{i}][{j}] must be a tensor or None, got {type(g).__name__}"
                    )
                if g.shape != p.shape:
                    raise ValueError(
                        f"grads[{i}][{j}] has shape {tuple(g.shape)} but parameter {j} has "
                        f"shape {tuple(p.shape)}"
                    )
                if g.device != p.device:
                    raise ValueError(
                        f"grads[{i}][{j}] is on {g.device} but parameter {j} is on {p.device}"
                    )
                if g.is_sparse:
                    raise ValueError(f"grads[{i}][{j}] is sparse; MTAdam needs dense gradients")
            out.append(list(row))  # an all-None row is a term that is zero at this step
        return out

    # ------------------------------------------------------------------ the step

    def step(self, losses=None, *, ranks=None, grads=None, retain_graph=False, scaler=None):
        """One MTAdam step (Algorithm 1, lines 4-15).

        Args:
            losses: sequence of scalar loss tensors, *unweighted*; the first is the anchor. Their
                gradients are taken w.r.t. this optimizer's parameters only (``.grad`` is not used
                nor written). The graph is freed after the last term unless ``retain_graph``.
            ranks: optional sequence of positive floats, one per term, applied after normalisation.
            grads: instead of ``losses``, precomputed per-term gradients: a list over terms of lists
                over this optimizer's parameters (param_groups order), ``None`` where a term has no
                gradient (a row of ``None`` is a term that is zero at this step). Not modified.
            retain_graph: keep the autograd graph of ``losses`` after the step.
            scaler: a :class:`LossScaler` for fp16 mixed precision. With ``losses`` each term is
                multiplied by ``scaler.scale`` before its gradient is taken; ``grads`` must then be
                gradients of the scaled terms. The gradients are unscaled before line 7; a step
                with an inf/NaN gradient or loss is skipped (nothing changes), the scale backs off.

        A step that raises changes neither the parameters nor the optimizer state. With several
        processes (see ``distributed``) every rank must call it, with the same number of terms.
        """
        if hasattr(self, "grad_scale") or hasattr(self, "found_inf"):  # set by torch's GradScaler
            for name in ("grad_scale", "found_inf"):
                self.__dict__.pop(name, None)
            raise TypeError(
                "torch.amp.GradScaler cannot drive MTAdam: it unscales and checks `.grad`, which "
                "MTAdam never fills. Use opt.step(losses, scaler=mtadam.LossScaler()) instead"
            )
        if torch.compiler.is_compiling():  # run eagerly (see the module docstring)
            return _run_eagerly(self._step, losses, ranks, grads, retain_graph, scaler)
        return self._step(losses, ranks, grads, retain_graph, scaler)

    @torch.no_grad()
    def _step(self, losses, ranks, grads, retain_graph, scaler):
        if (losses is None) == (grads is None):
            raise ValueError(
                "pass exactly one of `losses` (loss terms) or `grads` (per-term gradients)"
            )
        if scaler is not None and not isinstance(scaler, LossScaler):
            raise TypeError(f"scaler must be an mtadam.LossScaler, got {type(scaler).__name__}")
        if scaler is not None and not scaler.enabled:
            scaler = None  # a disabled scaler is no scaler (bf16, fp32)
        params = self._all_params()
        group = self._process_group()
        scale = scaler.scale if scaler is not None else None
        loss_ok = None  # [I] bool: which terms' loss values are finite
        own = False  # whether the gradient tensors are ours to modify in place
        if losses is not None:
            losses = self._check_losses(losses)
            num_terms = len(losses)
            self._check_num_terms(num_terms)
            ranks = self._check_ranks(ranks, num_terms)
            loss_values = torch.stack([loss.detach().reshape(()).float() for loss in losses])
            loss_ok = torch.isfinite(loss_values)
            if scale is not None:
                s = torch.tensor(scale, dtype=torch.float32, device=losses[0].device)
                with torch.enable_grad():  # fp16 * fp32 0-dim -> fp32, as GradScaler does
                    losses = [loss * s for loss in losses]
            averager = None
            if group is not None:  # average every term's gradient over the processes
                averager = _TermAverager(params, group, int(self.bucket_cap_mb * 2**20))
            grads = self._grads_from_losses(  # lines 4-5
                losses, params, retain_graph, on_row=None if averager is None else averager.add
            )
            if averager is not None:
                grads, loss_ok = averager.finish(loss_ok)
            own = True
        else:
            grads = self._check_grads(grads, params)
            num_terms = len(grads)
            self._check_num_terms(num_terms)
            ranks = self._check_ranks(ranks, num_terms)
            if group is not None:  # average every term's gradient over the processes
                averager = _TermAverager(params, group, int(self.bucket_cap_mb * 2**20))
                for row in grads:
                    averager.add(row)
                grads, loss_ok = averager.finish(None)
                own = True
        if scale is not None:  # unscale (in place only on tensors this step created)
            flat = [g for row in grads for g in row if g is not None]
            if own:
                torch._foreach_mul_(flat, 1.0 / scale)
            else:
                it = iter(torch._foreach_mul(flat, 1.0 / scale))
                grads = [[None if g is None else next(it) for g in row] for row in grads]

        # ---- phase A: everything that can fail, without touching parameters or state
        plans = []
        offset = 0
        for gi, pgroup in enumerate(self.param_groups):
            plan = self._plan_group(pgroup, gi, grads, offset, num_terms)
            offset += len(pgroup["params"])
            if plan is not None:
                plans.append(plan)
        clip = self._clip_factors(plans, num_terms)
        if self.check_finite or scaler is not None:
            bad = self._nonfinite_terms(plans, loss_ok)  # the step's one host synchronisation
            if bad and scaler is not None:
                scaler._update(found_inf=True)  # skip: parameters and state untouched
                return None
            if bad:
                what = "loss or gradient" if loss_ok is not None else "gradient"
                raise ValueError(
                    f"non-finite (inf or NaN) {what} in loss term(s) {bad}; nothing was updated"
                )
        if scaler is not None:
            scaler._update(found_inf=False)

        # ---- phase B: the update
        weights = [self._update_group(plan, num_terms, ranks, clip) for plan in plans]
        if weights:  # a step where no term reached any parameter changes nothing
            self._last_weights = weights
            self._last_norms = [(plan["idx"], plan["norms"]) for plan in plans]
        return None

    def _process_group(self):
        """The process group to average over, or None (one process, or distributed=False)."""
        if self.distributed is False:
            return None
        import torch.distributed as dist

        if not (dist.is_available() and dist.is_initialized()):
            if self.distributed is True:
                raise RuntimeError(
                    "distributed=True but torch.distributed is not initialised "
                    "(call torch.distributed.init_process_group first)"
                )
            return None
        group = self.process_group if self.process_group is not None else dist.group.WORLD
        return group if dist.get_world_size(group) > 1 else None

    @staticmethod
    def _check_losses(losses) -> list:
        if isinstance(losses, Tensor):
            raise TypeError(
                "losses must be a sequence of scalar loss tensors (one per term), "
                "not a single tensor"
            )
        try:
            losses = list(losses)
        except TypeError:
            raise TypeError(
                f"losses must be a sequence of scalar tensors, got {type(losses).__name__}"
            ) from None
        if not losses:
            raise ValueError("losses is empty: pass at least one loss term")
        for i, loss in enumerate(losses):
            if not isinstance(loss, Tensor):
                raise TypeError(f"loss term {i} is a {type(loss).__name__}, not a tensor")
            if loss.numel() != 1:
                raise ValueError(f"loss term {i} is not a scalar (shape {tuple(loss.shape)})")
            if not loss.requires_grad:
                raise ValueError(
                    f"loss term {i} does not require grad: it is not connected to any parameter"
                )
        return losses

    def _clip_factors(self, plans, num_terms: int):
        """[I] factors min(1, max_grad_norm / ||g^i||) over all parameters, or None."""
        if self.max_grad_norm is None or not plans:
            return None
        device = plans[0]["norms"].device
        sq = sum(plan["norms"].square().sum(dim=1).to(device, torch.float64) for plan in plans)
        return (self.max_grad_norm / (sq.sqrt() + 1e-6)).clamp(max=1.0)

    @staticmethod
    def _nonfinite_terms(plans, loss_ok) -> list:
        """Indices of terms with a non-finite gradient (or loss); one device-to-host sync."""
        flags = [torch.isfinite(plan["norms"]).all(dim=1) for plan in plans]  # [I] per group
        if loss_ok is not None:
            flags.append(loss_ok)
        if not flags:
            return []
        ok = torch.stack([f.to(flags[0].device) for f in flags]).all(dim=0)  # [I]
        if bool(ok.all()):
            return []
        return [i for i, good in enumerate(ok.tolist()) if not good]

    def _check_num_terms(self, num_terms: int) -> None:
        previous = self._num_terms_in_state()
        if previous is not None and previous != num_terms:
            raise ValueError(
                f"got {num_terms} loss terms but the optimizer state was built for {previous}; "
                "the number of terms must stay the same from step to step"
            )

    @staticmethod
    def _check_ranks(ranks, num_terms: int):
        if ranks is None:
            return None
        if isinstance(ranks, Tensor):
            ranks = ranks.detach().cpu().tolist()
        try:
            ranks = [float(r) for r in ranks]
        except (TypeError, ValueError):
            raise TypeError(
                f"ranks must be a sequence of {num_terms} positive numbers, got {ranks!r}"
            ) from None
        if len(ranks) != num_terms:
            raise ValueError(f"ranks has {len(ranks)} values but there are {num_terms} loss terms")
        for i, r in enumerate(ranks):
            if not (math.isfinite(r) and r > 0.0):
                raise ValueError(f"ranks[{i}] = {r!r} must be a finite positive number")
        return ranks

    def _plan_group(self, group, group_index, grads, offset, num_terms):
        """Collect the group's active parameters, their
        per-term gradients and norms (no mutation)."""
        gparams = group["params"]
        active, idx = [], []
        for j, p in enumerate(gparams):
            if any(grads[i][offset + j] is not None for i in range(num_terms)):
                active.append(p)
                idx.append(offset + j)
        if not active:
            return None
        device = active[0].device
        if any(p.device != device for p in active):
            raise ValueError(
                f"param group {group_index} has parameters on several devices; "
                "put one device per group"
            )
        if any(not p.is_floating_point() for p in active):
            raise TypeError(f"param group {group_index} has a non-floating-point parameter")
        # g[i][k]: gradient of term i on active parameter k; a missing gradient is zero.
        g = [
            [
                grads[i][j] if grads[i][j] is not None else torch.zeros_like(p)
                for j, p in zip(idx, active)
            ]
            for i in range(num_terms)
        ]
        wd = group["weight_decay"]
        if wd != 0.0 and not group["decoupled_weight_decay"]:
            g[0] = torch._foreach_add(
                g[0], active, alpha=wd
            )  # L2 once per step, inside the anchor term
        cdtype = torch.float64 if any(p.dtype == torch.float64 for p in active) else torch.float32
        flat = [t for row in g for t in row]
        # ||g^i_l||_2 of line 7, for every term i and layer l at once: norms[i, l]
        norms = torch.stack([x.to(cdtype) for x in torch._foreach_norm(flat)]).view(
            num_terms, len(active)
        )
        return dict(group=group, active=active, idx=idx, flat=flat, norms=norms, cdtype=cdtype)

    def _update_group(self, plan, num_terms: int, ranks, clip=None):
        group, active, flat, norms = plan["group"], plan["active"], plan["flat"], plan["norms"]
        cdtype = plan["cdtype"]
        if clip is not None:  # max_grad_norm: line 5's g^i becomes clip_i g^i, so ||g^i_l|| too
            clip = clip.to(device=norms.device, dtype=cdtype).unsqueeze(1)
            norms = norms * clip
        beta1, beta2, beta3 = group["betas"]
        lr, eps, wd = group["lr"], group["eps"], group["weight_decay"]
        nparams = len(active)
        device = active[0].device

        # lines 1-2, lazily at a parameter's first step: m^i_0, v^i_0 <- 0, 0 and n^i_{l,0} <- 1
        # (norm_init="one"; "first" marks n unseen instead, and line 7 starts it at the first norm)
        for p in active:
            st = self.state[p]
            if "m" not in st:
                st["step"] = torch.tensor(0.0, dtype=torch.float32)
                st["m"] = torch.zeros((num_terms, *p.shape), dtype=p.dtype, device=p.device)
                st["v"] = torch.zeros((num_terms, *p.shape), dtype=p.dtype, device=p.device)
                init = 1.0 if group["norm_init"] == "one" else 0.0
                st["n"] = torch.full(
                    (num_terms,), init, dtype=_calc_dtype(p.dtype), device=p.device
                )
                st["seen"] = torch.zeros((num_terms,), dtype=torch.bool, device=p.device)
        states = [self.state[p] for p in active]
        steps = [st["step"] for st in states]
        torch._foreach_add_(steps, 1.0)  # line 3: t <- t + 1
        step_values = [s.item() for s in steps]  # CPU tensors: no device synchronisation
        bias1 = [1.0 - beta1**t for t in step_values]
        bias2_sqrt = [math.sqrt(1.0 - beta2**t) for t in step_values]

        # lines 6-8 for all layers l at once (one column per layer): n^i_{l,t-1}
        n_prev = torch.stack([st["n"].to(cdtype) for st in states], dim=1)  # [I, P]
        seen_prev = torch.stack([st["seen"] for st in states], dim=1)
        if group["normalize"] == "global":  # ablation (ii): one layer = the whole param group
            norms = norms.square().sum(dim=1, keepdim=True).sqrt().expand(num_terms, nparams)
        nonzero = norms > 0
        # line 7: n^i_{l,t} <- beta3 n^i_{l,t-1} + (1 - beta3) ||g^i_l||_2
        #   (norm_init="first": a running norm not yet seen starts at the first non-zero norm)
        if group["norm_init"] == "first":
            ema = torch.where(seen_prev, beta3 * n_prev + (1.0 - beta3) * norms, norms)
        else:
            ema = beta3 * n_prev + (1.0 - beta3) * norms
        seen = seen_prev | nonzero
        # line 8: g^i_l <- n^1_{l,t} g^i_l / n^i_{l,t}, kept as the factor
        # scale[i, l] = n^1_{l,t} / n^i_{l,t}, applied in lines 9-10 (gradients are never copied)
        if group["normalize"] == "none":  # ablation (i): no line 8
            scale = torch.ones((num_terms, nparams), dtype=cdtype, device=device)
        else:
            if group["anchor"]:  # n^1_{l,t}: the anchor (or the first term to reach layer l)
                first_seen = seen.to(torch.uint8).argmax(
                    dim=0, keepdim=True
                )  # the anchor, or the fallback
                numer = ema.gather(0, first_seen)
            else:  # ablation (iii): g^i_l <- g^i_l / n^i_{l,t}
                numer = torch.ones((1, nparams), dtype=cdtype, device=device)
            safe = torch.where(ema > 0, ema, torch.ones_like(ema))
            scale = torch.where(ema > 0, numer / safe, torch.zeros_like(ema))
        if ranks is not None:  # line 8 with ranks: g^i_l <- rank_i n^1_{l,t} g^i_l / n^i_{l,t}
            scale = scale * torch.tensor(ranks, dtype=cdtype, device=device).unsqueeze(1)
        # line 7: store n^i_{l,t}
        torch._foreach_copy_([st["n"] for st in states], list(ema.unbind(1)))
        torch._foreach_copy_([st["seen"] for st in states], list(seen.unbind(1)))

        # lines 9-10, all terms and parameters at once, in place. The scale of line 8 enters as
        # factors: m <- beta1 m + ((1-beta1) s) g,  v <- beta2 v + ((1-beta2) s^2) g^2.
        m_flat = [st["m"][i] for i in range(num_terms) for st in states]
        v_flat = [st["v"][i] for i in range(num_terms) for st in states]
        scale_flat = (scale if clip is None else scale * clip).reshape(-1)
        uniform = all(t.dtype == flat[0].dtype for t in flat)
        c1 = (
            ((1.0 - beta1) * scale_flat).to(flat[0].dtype)
            if uniform
            else (1.0 - beta1) * scale_flat
        )
        c1 = [c if uniform else c.to(t.dtype) for c, t in zip(c1.unbind(), flat)]
        # line 9: m^i_t <- beta1 m^i_{t-1} + (1 - beta1) g^i  (g^i of line 8 = scale g^i of line 5)
        torch._foreach_mul_(m_flat, beta1)
        torch._foreach_addcmul_(
            m_flat, flat, c1
        )  # 0-dim factors broadcast: no copy of the gradients
        # line 10: v^i_t <- beta2 v^i_{t-1} + (1 - beta2) (g^i)^2  (the scale enters squared)
        torch._foreach_mul_(v_flat, beta2)
        c2 = (1.0 - beta2) * scale_flat * scale_flat
        if self._host_scalars(device):
            # on the CPU, reading the factors is free (no device to synchronise with) and the
            # scalar-list kernel needs no temporary the size of the gradients
            torch._foreach_addcmul_(v_flat, flat, flat, c2.tolist())
        else:
            # on an accelerator a temporary is cheap (caching allocator) and avoids a
            # synchronisation
            c2 = [c.to(t.dtype) for c, t in zip(c2.unbind(), flat)]
            torch._foreach_addcmul_(v_flat, flat, torch._foreach_mul(flat, c2))

        if wd != 0.0 and group["decoupled_weight_decay"]:
            torch._foreach_mul_(active, 1.0 - lr * wd)

        # lines 11-14: -lr/(1-b1^t) * m / (sqrt(v)/sqrt(1-b2^t) + eps)
        #            = -lr*sqrt(1-b2^t)/(1-b1^t) * m / (sqrt(v) + eps*sqrt(1-b2^t))
        #              (one pass fewer)
        # The shared denominator is the step's one temporary (as in torch.optim.Adam); each term's
        # m then updates the parameters through it, so no sum of the m's is materialised.
        # line 11: mhat^i_t <- m^i_t / (1 - beta1^t) and line 12: vhat^i_t <- v^i_t / (1 - beta2^t),
        # folded into the step size and eps (bias1, bias2_sqrt above), never materialised
        step_sizes = [-lr * b2 / b1 for b1, b2 in zip(bias1, bias2_sqrt)]
        eps_scaled = [eps * b2 for b2 in bias2_sqrt]
        m_rows = [m_flat[i * nparams : (i + 1) * nparams] for i in range(num_terms)]
        v_rows = [v_flat[i * nparams : (i + 1) * nparams] for i in range(num_terms)]
        if group["denom"] == "own":  # ablation (iv): line 14 with each term's own vhat^i
            den = None
            for i in range(num_terms):  # line 13: for i = 1..I
                if den is None:
                    den = torch._foreach_sqrt(v_rows[i])
                else:
                    torch._foreach_copy_(den, v_rows[i])
                    torch._foreach_sqrt_(den)
                torch._foreach_add_(den, eps_scaled)
                # line 14, own denominator: theta <- theta - alpha mhat^i / (sqrt(vhat^i) + eps)
                torch._foreach_addcdiv_(active, m_rows[i], den, step_sizes)
            return plan["idx"], scale
        # line 14, the shared denominator: sqrt(max(vhat^1_t..vhat^I_t)) + eps
        if num_terms == 1:
            den = torch._foreach_sqrt(v_rows[0])
        else:
            if group["denom"] == "max":
                den = torch._foreach_maximum(v_rows[0], v_rows[1])
                for i in range(2, num_terms):
                    torch._foreach_maximum_(den, v_rows[i])
            else:  # "mean", ablation (v): the mean of the vhat^i instead of the max
                den = torch._foreach_add(v_rows[0], v_rows[1])
                for i in range(2, num_terms):
                    torch._foreach_add_(den, v_rows[i])
                torch._foreach_mul_(den, 1.0 / num_terms)
            torch._foreach_sqrt_(den)
        torch._foreach_add_(den, eps_scaled)
        for i in range(num_terms):  # line 13: for i = 1..I
            # line 14: theta_{t-1} <- theta_{t-1} - alpha mhat^i_t / (sqrt(max_i vhat^i_t) + eps)
            torch._foreach_addcdiv_(active, m_rows[i], den, step_sizes)
        # line 15: theta_t <- theta_{t-1} (the parameters were updated in place)
        return plan["idx"], scale

    def effective_weights(self) -> Tensor:
        """Weight of each term on each layer in the last step: ``rank_i * n^anchor_l / n^i_l``.

        Returns a float tensor of shape ``[I, L]`` over all parameters of the optimizer in
        param_groups order (on the parameters' device); NaN for parameters no term reached in the
        last step. With ``normalize="none"`` this is just the ranks.
        """
        if self._last_weights is None:
            raise RuntimeError("effective_weights() is available after the first step()")
        num_params = len(self._all_params())
        parts = self._last_weights
        num_terms = parts[0][1].shape[0]
        device = parts[0][1].device
        out = torch.full((num_terms, num_params), float("nan"), dtype=torch.float64, device=device)
        for idx, scale in parts:
            out[:, torch.tensor(idx, device=device)] = scale.to(device=device, dtype=torch.float64)
        return out

    def grad_norms(self, per_layer: bool = False) -> Tensor:
        """2-norms of each term's gradient in the last step, for logging (``.grad`` stays None).

        The gradients are those line 7 sees before clipping: averaged over the processes,
        unscaled, coupled weight decay included in the anchor's. ``per_layer=False`` (default):
        a ``[I]`` tensor, each term's norm over all parameters (what ``clip_grad_norm_`` would
        return for that term alone); ``per_layer=True``: ``[I, L]`` over all parameters in
        param_groups order, NaN for parameters no term reached in the last step.
        """
        if self._last_norms is None:
            raise RuntimeError("grad_norms() is available after the first step()")
        device = self._last_norms[0][1].device
        num_terms = self._last_norms[0][1].shape[0]
        out = torch.full(
            (num_terms, len(self._all_params())), float("nan"), dtype=torch.float64, device=device
        )
        for idx, norms in self._last_norms:
            out[:, torch.tensor(idx, device=device)] = norms.to(device=device, dtype=torch.float64)
        return out if per_layer else out.nan_to_num().square().sum(dim=1).sqrt()


def _run_eagerly(fn, *args):
    """Call ``fn`` outside a graph that torch.compile is tracing (one graph break, no recompile)."""
    return torch.compiler.disable(fn, recursive=True)(*args)


class _TermAverager:
    """Averages per-term gradients over a process group, term by term as they are computed.

    :meth:`add` packs one term's gradients, in parameter order, into flat buckets of at most
    ``bucket_bytes`` per (device, dtype) -- a zero where this rank has no gradient; a bucket fills
    across terms, and its all-reduce (SUM) starts asynchronously as soon as it is full, so it runs
    while the next term's backward pass does. :meth:`finish` starts the last buckets, all-reduces
    the flags (which term reached which parameter on any rank, which term's loss was non-finite on
    any rank), waits for the buckets and divides by the world size. The caller's tensors are never
    modified (the buckets are copies). Every rank issues the same collectives in the same order.
    """

    def __init__(self, params, group, bucket_bytes: int):
        import torch.distributed as dist

        self.dist, self.params, self.group, self.cap = dist, params, group, bucket_bytes
        self.world = dist.get_world_size(group)
        self.present = []  # per term: which parameters this rank has a gradient for
        self.open = {}  # (device, dtype) -> (slots [(term, param)], tensors, bytes)
        self.pending = []  # (slots, flat bucket, async handle)

    def _launch(self, key) -> None:
        slots, parts, _ = self.open.pop(key)
        flat = torch.cat(parts)
        self.pending.append(
            (slots, flat, self.dist.all_reduce(flat, group=self.group, async_op=True))
        )

    def add(self, row) -> None:
        i = len(self.present)
        self.present.append([g is not None for g in row])
        for j, (p, g) in enumerate(zip(self.params, row)):
            key, size = (p.device, p.dtype), p.numel() * p.element_size()
            if key in self.open and self.open[key][2] + size > self.cap:
                self._launch(key)  # full: its all-reduce starts now
            slots, parts, used = self.open.setdefault(key, ([], [], 0))
            slots.append((i, j))
            parts.append(p.new_zeros(p.numel()) if g is None else g.reshape(-1).to(p.dtype))
            self.open[key] = (slots, parts, used + size)
        for key in list(self.open):  # start now what the next term's first slot would overflow
            first = next(p for p in self.params if (p.device, p.dtype) == key)
            if self.open[key][2] + first.numel() * first.element_size() > self.cap:
                self._launch(key)

    def finish(self, loss_ok):
        """The averaged gradients (None where no rank had one) and the terms' finite losses."""
        for key in list(self.open):
            self._launch(key)
        num_terms, num_params = len(self.present), len(self.params)
        bad_loss = [] if loss_ok is None else (~loss_ok).float().cpu().tolist()
        flags = torch.tensor(
            [float(x) for row in self.present for x in row] + bad_loss, dtype=torch.float32
        ).to(self.params[0].device)
        self.dist.all_reduce(flags, group=self.group)
        flags = flags.cpu()
        anywhere = flags[: num_terms * num_params].view(num_terms, num_params) > 0
        out = [[None] * num_params for _ in range(num_terms)]
        for slots, flat, handle in self.pending:
            handle.wait()
            flat.div_(self.world)
            offset = 0
            for i, j in slots:
                n = self.params[j].numel()
                if anywhere[i, j]:
                    out[i][j] = flat[offset : offset + n].view_as(self.params[j])
                offset += n
        if loss_ok is not None:
            loss_ok = (flags[num_terms * num_params :] == 0).to(loss_ok.device)
        return out, loss_ok


class LossScaler:
    """Dynamic loss scaling for fp16 mixed precision with MTAdam: ``opt.step(losses, scaler=s)``.

    The semantics and defaults of ``torch.amp.GradScaler`` (which cannot drive MTAdam: it reads
    ``.grad``): the step multiplies every term by ``scale`` before taking its gradient, unscales
    the gradients, and if any gradient or loss is inf/NaN it skips the update (parameters and state
    untouched) and multiplies ``scale`` by ``backoff_factor``; after ``growth_interval``
    consecutive good steps it multiplies ``scale`` by ``growth_factor``. The scale lives on the
    host (the step reads its finiteness check there anyway). Save it with the optimizer:
    ``state_dict()`` / ``load_state_dict()``. ``enabled=False`` makes it a no-op (bf16, fp32).

    Example::

        scaler = LossScaler()
        with torch.autocast("cuda", dtype=torch.float16):
            out = model(x)
            losses = [ce(out, y), l1(out, y)]
        opt.step(losses, scaler=scaler)
        if scaler.last_step_skipped: ...  # an overflow: nothing was updated
    """

    def __init__(
        self,
        init_scale: float = 2.0**16,
        growth_factor: float = 2.0,
        backoff_factor: float = 0.5,
        growth_interval: int = 2000,
        enabled: bool = True,
    ):
        if not (math.isfinite(init_scale) and init_scale > 0):
            raise ValueError(f"init_scale must be a finite number > 0, got {init_scale!r}")
        if not growth_factor > 1.0:
            raise ValueError(f"growth_factor must be > 1, got {growth_factor!r}")
        if not 0.0 < backoff_factor < 1.0:
            raise ValueError(f"backoff_factor must be in (0, 1), got {backoff_factor!r}")
        if not (isinstance(growth_interval, int) and growth_interval > 0):
            raise ValueError(f"growth_interval must be an int > 0, got {growth_interval!r}")
        self.scale = float(init_scale)
        self.growth_factor = float(growth_factor)
        self.backoff_factor = float(backoff_factor)
        self.growth_interval = growth_interval
        self.enabled = bool(enabled)
        self.growth_tracker = 0  # consecutive good steps since the last change of scale
        self.last_step_skipped = False
        self.skipped_steps = 0

    def _update(self, found_inf: bool) -> None:
        self.last_step_skipped = found_inf
        if found_inf:
            self.scale *= self.backoff_factor
            self.growth_tracker = 0
            self.skipped_steps += 1
            return
        self.growth_tracker += 1
        if self.growth_tracker == self.growth_interval:
            self.scale *= self.growth_factor
            self.growth_tracker = 0

    def state_dict(self) -> dict:
        return {k: getattr(self, k) for k in ("scale", "growth_tracker", "skipped_steps")}

    def load_state_dict(self, state: dict) -> None:
        missing = [k for k in ("scale", "growth_tracker") if k not in state]
        if missing:
            raise ValueError(f"not a LossScaler state: lacks {missing}")
        self.scale = float(state["scale"])
        self.growth_tracker = int(state["growth_tracker"])
        self.skipped_steps = int(state.get("skipped_steps", 0))
