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
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import Optional

import torch
from torch import Tensor
from torch.optim.optimizer import Optimizer

__all__ = ["MTAdam"]

_NORM_INITS = ("first", "one")
_NORMALIZE = ("layer", "global", "none")
_DENOMS = ("max", "own", "mean")
_GRAD_MODES = ("auto", "sequential", "batched")


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

    Example::

        opt = MTAdam(model.parameters(), lr=1e-3)
        out = model(x)
        # anchor first, no weights needed
        opt.step([l1(out, y), gan_loss(out), perceptual(out, y)])
    """

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
        self._force_host_scalars: Optional[bool] = None

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
        super().load_state_dict(state_dict)
        # torch casts every floating state tensor to the parameter's dtype; restore ours.
        for p, st in self.state.items():
            if "seen" in st:
                st["seen"] = st["seen"].to(dtype=torch.bool)
                st["n"] = st["n"].to(dtype=_calc_dtype(p.dtype))

    def _grads_from_losses(self, losses, params, retain_graph: bool):
        """Per-term gradients w.r.t. this optimizer's parameters only (never touches ``.grad``)."""
        num_terms = len(losses)
        trainable = [j for j, p in enumerate(params) if p.requires_grad]
        if not trainable:
            raise ValueError("none of this optimizer's parameters requires grad")
        tparams = [params[j] for j in trainable]
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
                per_term = [[None if g is None else g[i] for g in gs] for i in range(num_terms)]
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
                    per_term.append(list(gs))
        grads = []
        for row in per_term:
            full = [None] * len(params)
            for j, g in zip(trainable, row):
                full[j] = g
            grads.append(full)
        return grads

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

    @torch.no_grad()
    def step(self, losses=None, *, ranks=None, grads=None, retain_graph: bool = False):
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

        A step that raises changes neither the parameters nor the optimizer state.
        """
        if (losses is None) == (grads is None):
            raise ValueError(
                "pass exactly one of `losses` (loss terms) or `grads` (per-term gradients)"
            )
        params = self._all_params()
        loss_values = None
        if losses is not None:
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
            num_terms = len(losses)
            self._check_num_terms(num_terms)
            ranks = self._check_ranks(ranks, num_terms)
            loss_values = [loss.detach().reshape(()) for loss in losses]
            grads = self._grads_from_losses(losses, params, retain_graph)  # lines 4-5
        else:
            grads = self._check_grads(grads, params)
            num_terms = len(grads)
            self._check_num_terms(num_terms)
            ranks = self._check_ranks(ranks, num_terms)

        # ---- phase A: everything that can fail, without touching parameters or state
        plans = []
        offset = 0
        for gi, group in enumerate(self.param_groups):
            plan = self._plan_group(group, gi, grads, offset, num_terms)
            offset += len(group["params"])
            if plan is not None:
                plans.append(plan)
        if self.check_finite:
            self._raise_if_not_finite(plans, loss_values)

        # ---- phase B: the update
        weights = [self._update_group(plan, num_terms, ranks) for plan in plans]
        if weights:  # a step where no term reached any parameter changes nothing
            self._last_weights = weights
        return None

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

    @staticmethod
    def _raise_if_not_finite(plans, loss_values) -> None:
        flags = [torch.isfinite(plan["norms"]).all(dim=1) for plan in plans]  # [I] per group
        if not flags and loss_values is None:
            return
        if loss_values is not None:
            flags.append(torch.isfinite(torch.stack([v.to(flags[0].device) for v in loss_values])))
        ok = torch.stack([f.to(flags[0].device) for f in flags]).all(dim=0)  # [I]
        if bool(ok.all()):  # the step's one device-to-host synchronisation
            return
        bad = [i for i, good in enumerate(ok.tolist()) if not good]
        what = "loss or gradient" if loss_values is not None else "gradient"
        raise ValueError(
            f"non-finite (inf or NaN) {what} in loss term(s) {bad}; nothing was updated"
        )

    def _update_group(self, plan, num_terms: int, ranks):
        group, active, flat, norms = plan["group"], plan["active"], plan["flat"], plan["norms"]
        cdtype = plan["cdtype"]
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
        scale_flat = scale.reshape(-1)
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
