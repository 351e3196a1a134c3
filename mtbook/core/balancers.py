"""Loss balancers from the multi-task literature, beside MTAdam (chapter 10, "Beyond the paper").

Every method here is Adam on a combination of the terms ``f^1 .. f^I`` that a bench hands over
(the same terms, with the same suboptimal weights, that Adam sums and MTAdam balances). A method
only decides the coefficients ``c_i`` of the step's gradient ``sum_i c_i grad f^i``; Adam, with
the bench's lr and betas, then steps on it. :class:`Balanced` is that optimizer; it takes the list
of terms like :class:`mtadam.MTAdam` (``step(losses)`` or ``step(grads=..., values=...)``), so the
chapters' runners drive it through the same multi-term path.

==============  ======================================  ==========================================
method          paper                                   what sets ``c_i``
==============  ======================================  ==========================================
``uncertainty``  Kendall, Gal & Cipolla 2018             learned log-variances ``s_i``
``gradnorm``     Chen et al. 2018 (GradNorm)             learned ``w_i``, gradient norms on a layer
``dwa``          Liu, Johns & Davison 2019 (DWA)          ratios of recent mean losses
``famo``         Liu et al. 2023 (FAMO)                   learned logits, log-loss decrease
``vqgan``        Esser et al. 2021 (taming / VQGAN)       gradient-norm ratio on the last layer
``pcgrad``       Yu et al. 2020, through ``torchjd``      projection of conflicting gradients
``mgda``         Sener & Koltun 2018, ``torchjd``         min-norm point of the gradients' hull
``upgrad``       Quinton & Rey 2024, ``torchjd``          projection onto the dual cone
==============  ======================================  ==========================================

The first five are implemented here once (each class's docstring quotes its update rule; the
tests check each against that rule on a hand-computable case). The last three are the maintained
library's aggregators (``torchjd.aggregation``): we only build the Jacobian (one row per term) and
call the library's weighting on it.

:data:`METHODS` is the one table of these methods; a chapter derives its rows with
:func:`balancer_methods` (from its Adam row, as :func:`mtbook.core.ablation.ablation_methods`
derives MTAdam's variants).
"""

from __future__ import annotations

import math

import torch

METHODS = {
    "uncertainty": dict(label="Uncertainty weighting", paper="Kendall et al. 2018", hp={}),
    "gradnorm": dict(
        label="GradNorm", paper="Chen et al. 2018", hp=dict(alpha=1.5, weight_lr=0.025)
    ),
    "dwa": dict(label="DWA", paper="Liu et al. 2019", hp=dict(temperature=2.0, period=1)),
    "famo": dict(label="FAMO", paper="Liu et al. 2023", hp=dict(w_lr=0.025, gamma=1e-5)),
    "vqgan": dict(
        label="Adaptive weight (VQGAN)", paper="Esser et al. 2021", hp=dict(delta=1e-4, max=1e4)
    ),
    "pcgrad": dict(label="PCGrad (torchjd)", paper="Yu et al. 2020", hp={}),
    "mgda": dict(label="MGDA (torchjd)", paper="Sener & Koltun 2018", hp={}),
    "upgrad": dict(label="UPGrad (torchjd)", paper="Quinton & Rey 2024", hp={}),
}
JACOBIAN = ("pcgrad", "mgda", "upgrad")  # through torchjd


def _present(values: torch.Tensor) -> torch.Tensor:
    """Terms with a positive value this step (a class absent from an MNIST batch gives 0)."""
    return values > 0


class Balancer:
    """What a method keeps between steps and how it turns the terms into coefficients ``c_i``.

    ``needs``: ``"values"`` (the term values only: one backward of ``sum c_i f^i``),
    ``"last_layer"`` (also each term's gradient norm on the last layer) or ``"jacobian"`` (every
    term's full gradient). Learned per-term tensors (``s``, ``w``,
    ``xi``) have their own Adam inside the balancer.
    """

    needs = "values"
    wants_closure = False

    def __init__(self, num_terms: int):
        if num_terms < 2:
            raise ValueError(f"a balancer needs at least 2 terms, got {num_terms}")
        self.num_terms = num_terms

    def coefficients(self, values: torch.Tensor, last_norms=None) -> torch.Tensor:
        raise NotImplementedError

    def after_step(self, values: torch.Tensor) -> None:
        """The terms again after the step (FAMO only)."""

    def state_dict(self) -> dict:
        return {k: v for k, v in vars(self).items() if not k.startswith("_")}

    def load_state_dict(self, state: dict) -> None:
        for k, v in state.items():
            cur = getattr(self, k, None)
            if torch.is_tensor(cur) and torch.is_tensor(v):
                cur.data.copy_(v)
            else:
                setattr(self, k, v)

    def state_bytes(self) -> int:
        return sum(t.numel() * t.element_size() for t in _tensors(self.state_dict()))


class Uncertainty(Balancer):
    """Uncertainty weighting, Kendall, Gal & Cipolla (CVPR 2018), their Eq. 7 for every term:

    > L(W, sigma_1, sigma_2) = 1/(2 sigma_1^2) L_1(W) + 1/(2 sigma_2^2) L_2(W)
    > + log sigma_1 + log sigma_2

    with ``s_i = log sigma_i^2`` learned beside the network (the usual stable form):
    ``L = sum_i 1/2 exp(-s_i) f^i + 1/2 s_i``. So ``c_i = exp(-s_i) / 2`` and
    ``dL/ds_i = 1/2 - exp(-s_i) f^i / 2``; ``s`` starts at 0 and its own Adam with the bench's lr
    and betas (no lr schedule) updates it at every step, from the same point as the network.
    """

    def __init__(self, num_terms: int, like=None, lr=1e-3, betas=(0.9, 0.999)):
        super().__init__(num_terms)
        like = torch.zeros(()) if like is None else like
        self.s = torch.zeros(num_terms, dtype=like.dtype, device=like.device)
        self._opt = torch.optim.Adam([self.s], lr=float(lr), betas=tuple(betas))

    def coefficients(self, values, last_norms=None):
        c = 0.5 * torch.exp(-self.s.detach())
        self.s.grad = (0.5 - c * values.to(self.s)).detach()
        self._opt.step()
        return c

    def state_dict(self):
        return dict(s=self.s, opt=self._opt.state_dict())

    def load_state_dict(self, state):
        self.s.data.copy_(state["s"])
        self._opt.load_state_dict(state["opt"])


class GradNorm(Balancer):
    """GradNorm, Chen, Badrinarayanan, Lee & Rabinovich (ICML 2018), Sec. 3.2 and Algorithm 1:

    > G_W^(i)(t) = ||grad_W w_i(t) L_i(t)||_2,  L~_i(t) = L_i(t)/L_i(0),
    > r_i(t) = L~_i(t) / E_task[L~_i(t)],
    > L_grad(t; w_i(t)) = sum_i | G_W^(i)(t) - Gbar_W(t) x [r_i(t)]^alpha |_1

    with the target ``Gbar_W(t) [r_i(t)]^alpha`` a constant, ``w_i`` updated on ``grad_w L_grad``
    and then renormalised so that ``sum_i w_i = T`` (the number of terms). ``W`` is the last
    shared layer (here the model's last weight). ``c_i = w_i(t)``. ``w`` has its own Adam
    (``weight_lr``), ``alpha`` 1.5.
    """

    needs = "last_layer"

    def __init__(self, num_terms: int, alpha: float = 1.5, weight_lr: float = 0.025):
        super().__init__(num_terms)
        self.alpha, self.weight_lr = float(alpha), float(weight_lr)
        self.w = torch.ones(num_terms, dtype=torch.float64)
        self.L0 = torch.zeros(num_terms, dtype=torch.float64)
        self._opt = torch.optim.Adam([self.w], lr=self.weight_lr)

    def coefficients(self, values, last_norms=None):
        values = values.detach().to(torch.float64).cpu()
        norms = last_norms.detach().to(torch.float64).cpu()
        first = (self.L0 == 0) & _present(values)  # L_i(0): the first step the term is present
        self.L0[first] = values[first]
        c = self.w.detach().clone()
        ok = _present(values) & (self.L0 > 0)
        if ok.sum() >= 2:
            G = self.w.detach() * norms
            ratio = torch.zeros_like(values)
            ratio[ok] = values[ok] / self.L0[ok]
            r = ratio / ratio[ok].mean()
            target = G[ok].mean() * r.pow(self.alpha)
            grad = torch.sign(G - target) * norms
            self.w.grad = torch.where(ok, grad, torch.zeros_like(grad))
            self._opt.step()
            with torch.no_grad():
                self.w.clamp_(min=1e-8)
                self.w.mul_(self.num_terms / self.w.sum())
        return c.to(values.dtype)

    def state_dict(self):
        return dict(w=self.w, L0=self.L0, opt=self._opt.state_dict())

    def load_state_dict(self, state):
        self.w.data.copy_(state["w"])
        self.L0.copy_(state["L0"])
        self._opt.load_state_dict(state["opt"])


class DWA(Balancer):
    """Dynamic Weight Average, Liu, Johns & Davison (CVPR 2019, MTAN), their Eq. 7:

    > lambda_k(t) := K exp(w_k(t-1)/T) / sum_i exp(w_i(t-1)/T),
    > w_k(t-1) = L_k(t-1) / L_k(t-2)

    with ``L_k`` the term's mean over an epoch, ``T = 2`` and ``lambda_k = 1`` for the first two
    epochs. Here an "epoch" is a ``period`` of steps (a bench with one epoch has no ratio
    otherwise); ``c_k = lambda_k`` for every step of the next period.
    """

    def __init__(self, num_terms: int, temperature: float = 2.0, period: int = 1):
        super().__init__(num_terms)
        if int(period) < 1:
            raise ValueError(f"DWA's period must be >= 1 step, got {period}")
        self.T, self.period = float(temperature), int(period)
        self.sum = torch.zeros(num_terms, dtype=torch.float64)
        self.count = 0
        self.means: list = []  # the mean of each finished period (the last two kept)
        self.lam = torch.ones(num_terms, dtype=torch.float64)

    def coefficients(self, values, last_norms=None):
        c = self.lam.clone().to(values.dtype)
        self.sum += values.detach().to(torch.float64).cpu()
        self.count += 1
        if self.count == self.period:
            self.means = [*self.means, self.sum / self.count][-2:]
            self.sum, self.count = torch.zeros_like(self.sum), 0
            if len(self.means) == 2:
                prev, prev2 = self.means[1], self.means[0]
                w = torch.where(prev2 > 0, prev / prev2.clamp_min(1e-300), torch.ones_like(prev))
                self.lam = self.num_terms * torch.softmax(w / self.T, dim=0)
        return c.to(values.device)


class FAMO(Balancer):
    """FAMO, Liu, Liu, Jin, Stone & Liu (NeurIPS 2023), their Algorithm 1 (min losses 0):

    > z_t = Softmax(xi_t),  c_t = (sum_i z_{i,t} / l_{i,t})^{-1},
    > theta_{t+1} = theta_t - alpha sum_i c_t z_{i,t} / l_{i,t} grad l_{i,t},
    > delta = [grad z_1(xi_t), ..., grad z_k(xi_t)]^T [log l_{1,t} - log l_{1,t+1}, ...]^T,
    > xi_{t+1} = xi_t - beta (delta + gamma xi_t)

    so ``c_i = c_t z_i / (l_i + eps)``. As the authors' code: ``xi`` starts at 0 and its step is
    Adam's (``w_lr`` 0.025, weight decay ``gamma``); ``l_{t+1}`` is the terms on the same batch
    after the step (a closure re-evaluates them; without one, the next step's values stand in).
    Terms absent from a batch (value 0) get ``c_i = 0`` and no ``xi`` update.
    """

    wants_closure = True

    def __init__(self, num_terms: int, w_lr: float = 0.025, gamma: float = 1e-5, eps=1e-8):
        super().__init__(num_terms)
        self.xi = torch.zeros(num_terms, dtype=torch.float64, requires_grad=True)
        self.eps = float(eps)
        self.prev = None
        self._opt = torch.optim.Adam([self.xi], lr=float(w_lr), weight_decay=float(gamma))

    def coefficients(self, values, last_norms=None):
        v = values.detach().to(torch.float64).cpu()
        if self.prev is not None:  # no closure was given last step: use this step's values
            self.after_step(values)
        z = torch.softmax(self.xi.detach(), dim=0)
        ok = _present(v)
        q = torch.where(ok, z / (v + self.eps), torch.zeros_like(z))
        self.prev = v
        return (q / q.sum()).to(values.dtype).to(values.device)

    def after_step(self, values):
        if self.prev is None:
            return
        new = values.detach().to(torch.float64).cpu()
        ok = _present(self.prev) & _present(new)
        delta = torch.where(
            ok, (self.prev + self.eps).log() - (new + self.eps).log(), torch.zeros_like(new)
        )
        with torch.enable_grad():
            (g,) = torch.autograd.grad(torch.softmax(self.xi, dim=0), self.xi, grad_outputs=delta)
        self.xi.grad = g
        self._opt.step()
        self.prev = None

    def state_dict(self):
        return dict(xi=self.xi.detach(), prev=self.prev, opt=self._opt.state_dict())

    def load_state_dict(self, state):
        self.xi.data.copy_(state["xi"])
        self.prev = state["prev"]
        self._opt.load_state_dict(state["opt"])


class AdaptiveWeight(Balancer):
    """The adaptive GAN weight of taming-transformers (Esser, Rombach & Ommer, CVPR 2021, Eq. 7):

    > lambda = grad_{G_L}[L_rec] / (grad_{G_L}[L_GAN] + delta)

    on ``G_L``, the last layer, with delta = 1e-4 and lambda clipped to [0, 1e4] and detached, as
    their ``calculate_adaptive_weight``. For I terms, term 1 (the anchor, as MTAdam's) keeps
    ``c_1 = 1`` and every other term gets ``c_i = ||grad_L f^1|| / (||grad_L f^i|| + delta)``.
    """

    needs = "last_layer"

    def __init__(self, num_terms: int, delta: float = 1e-4, max: float = 1e4):  # noqa: A002
        super().__init__(num_terms)
        self.delta, self.max = float(delta), float(max)

    def coefficients(self, values, last_norms=None):
        n = last_norms.detach().to(values.dtype)
        c = (n[0] / (n + self.delta)).clamp(0.0, self.max)
        c[0] = 1.0
        return c.detach()


class Aggregator(Balancer):
    """PCGrad, MGDA or UPGrad from ``torchjd.aggregation``: the library's weighting of the
    Jacobian ``J`` (one row per term's gradient) gives ``c`` and the step is ``c^T J``, which is
    the library aggregator's output. Rows of absent terms (zero gradient) are left out."""

    needs = "jacobian"

    def __init__(self, num_terms: int, method: str):
        super().__init__(num_terms)
        from torchjd import aggregation

        self.method = method
        self._agg = {"pcgrad": aggregation.PCGrad, "mgda": aggregation.MGDA}.get(
            method, aggregation.UPGrad
        )()

    def jacobian_coefficients(self, J: torch.Tensor) -> torch.Tensor:
        c = torch.zeros(J.shape[0], dtype=J.dtype, device=J.device)
        ok = J.norm(dim=1) > 0
        if ok.sum() == 1:
            c[ok] = 1.0
        elif ok.sum() > 1:
            c[ok] = self._agg.weighting(J[ok]).to(J.dtype)
        return c

    def state_dict(self):
        return {}


def make_balancer(method: str, num_terms: int, like=None, lr=1e-3, betas=(0.9, 0.999), **hp):
    """Balancer ``method`` (a key of :data:`METHODS`) for ``num_terms`` terms with its defaults
    overridden by ``hp``; unknown methods or hyper-parameters raise a ValueError naming them.
    ``like``, ``lr``, ``betas``: the dtype and device, and the Adam, of uncertainty's ``s``."""
    if method not in METHODS:
        raise ValueError(f"unknown balancer {method!r}; use one of {', '.join(METHODS)}")
    extra = set(hp) - set(METHODS[method]["hp"])
    if extra:
        raise ValueError(f"balancer {method!r} takes no {', '.join(sorted(extra))}")
    kw = dict(METHODS[method]["hp"], **hp)
    if method in JACOBIAN:
        return Aggregator(num_terms, method)
    if method == "uncertainty":
        return Uncertainty(num_terms, like=like, lr=lr, betas=betas)
    cls = dict(gradnorm=GradNorm, dwa=DWA, famo=FAMO, vqgan=AdaptiveWeight)[method]
    return cls(num_terms, **kw)


def _tensors(obj):
    if torch.is_tensor(obj):
        yield obj
    elif isinstance(obj, dict):
        for v in obj.values():
            yield from _tensors(v)
    elif isinstance(obj, (list, tuple)):
        for v in obj:
            yield from _tensors(v)


def state_bytes(optimizer) -> int:
    """Bytes of every tensor an optimizer keeps between steps (its ``state`` and, for
    :class:`Balanced`, the balancer's), the parameters themselves excluded."""
    total = sum(t.numel() * t.element_size() for t in _tensors(list(optimizer.state.values())))
    if isinstance(optimizer, Balanced):
        total += optimizer.balancer.state_bytes() if optimizer.balancer else 0
    return total


class Balanced(torch.optim.Adam):
    """Adam on ``sum_i c_i grad f^i`` with the coefficients ``c`` of a :class:`Balancer`.

    ``step(losses)``: the list of terms (graphs attached). Methods that need the values only do
    one backward of ``sum c_i f^i``; ``"last_layer"`` methods first take each term's gradient on
    ``last_layer`` (default: the last parameter with 2+ dimensions, else all); ``"jacobian"``
    methods each term's full gradient. ``step(grads=..., values=...)``: per-term gradients
    ``grads[i][j]`` (term i, parameter j) already computed, as :class:`mtadam.MTAdam` takes them.
    ``closure()``: the terms' values again after the step (FAMO). Gradients go to the parameters'
    ``.grad`` only through this step (other modules' ``.grad`` untouched).
    """

    takes_closure = True  # step(..., closure=): the terms again after the step (FAMO uses it)

    def __init__(
        self,
        params,
        balancer: dict,
        lr=1e-3,
        betas=(0.9, 0.999),
        eps=1e-8,
        weight_decay=0.0,
        last_layer=None,
    ):
        params = list(params)
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay)
        self.spec = dict(balancer)
        if self.spec.get("method") not in METHODS:
            raise ValueError(f"balancer spec needs method= one of {', '.join(METHODS)}")
        self.balancer: Balancer | None = None
        self._model_params = params
        if last_layer is None:
            big = [p for p in params if p.dim() >= 2]
            last_layer = [big[-1]] if big else params
        self._last = list(last_layer)
        self._last_idx = [next(j for j, q in enumerate(params) if q is p) for p in self._last]
        self._last_c = None
        self.buffer_bytes = 0  # per-term gradient bytes the last step materialised

    def _ensure(self, num_terms: int):
        if self.balancer is None:
            hp = {k: v for k, v in self.spec.items() if k != "method"}
            g = self.param_groups[0]
            self.balancer = make_balancer(
                self.spec["method"],
                num_terms,
                like=self._model_params[0],
                lr=g["lr"],
                betas=g["betas"],
                **hp,
            )
        elif self.balancer.num_terms != num_terms:
            raise ValueError(
                f"{num_terms} terms, but this optimizer balanced {self.balancer.num_terms}"
            )

    def effective_weights(self) -> torch.Tensor:
        """``[I, L]``: the coefficient of each term on each parameter in the last step (the same
        for every parameter), as :meth:`mtadam.MTAdam.effective_weights` lays it out."""
        if self._last_c is None:
            raise RuntimeError("effective_weights() is available after the first step()")
        L = len(self._model_params)
        return self._last_c.to(torch.float64)[:, None].expand(-1, L).clone()

    @torch.no_grad()
    def step(self, losses=None, *, grads=None, values=None, closure=None):  # noqa: C901
        params = self._model_params
        if losses is None and grads is None:
            raise ValueError("step() needs the terms (losses) or their gradients (grads=)")
        if losses is not None:
            losses = list(losses)
            values = torch.stack([torch.as_tensor(f).detach().reshape(()) for f in losses])
        elif values is None:
            raise ValueError("step(grads=...) needs the terms' values too (values=)")
        values = torch.as_tensor(values).detach()
        num = len(losses) if losses is not None else len(grads)
        self._ensure(num)
        b = self.balancer
        elt = params[0].element_size()

        def term_grads(f, ps):
            with torch.enable_grad():
                gs = torch.autograd.grad(f, ps, retain_graph=True, allow_unused=True)
            return [torch.zeros_like(p) if g is None else g for g, p in zip(gs, ps)]

        if b.needs == "jacobian":
            if grads is None:
                grads = [term_grads(f, params) for f in losses]
            J = torch.stack([torch.cat([g.reshape(-1) for g in row]) for row in grads])
            c = b.jacobian_coefficients(J)
            flat = c.to(J.dtype) @ J
            self.buffer_bytes = J.numel() * elt
            out, k = [], 0
            for p in params:
                out.append(flat[k : k + p.numel()].view_as(p))
                k += p.numel()
        else:
            norms = None
            if b.needs == "last_layer":
                if grads is not None:
                    rows = [[row[j] for j in self._last_idx] for row in grads]
                else:
                    rows = [term_grads(f, self._last) for f in losses]
                norms = torch.stack([torch.sqrt(sum((g * g).sum() for g in r)) for r in rows])
                self.buffer_bytes = num * sum(p.numel() for p in self._last) * elt
            else:
                self.buffer_bytes = 0
            c = b.coefficients(values, norms)
            if grads is not None:
                out = [
                    sum(float(c[i]) * grads[i][j] for i in range(num)) for j in range(len(params))
                ]
            else:
                with torch.enable_grad():
                    total = sum(c[i].to(losses[i].dtype) * losses[i] for i in range(num))
                    gs = torch.autograd.grad(total, params, allow_unused=True)
                out = [torch.zeros_like(p) if g is None else g for g, p in zip(gs, params)]
        for p, g in zip(params, out):
            p.grad = g.detach().to(p.dtype)
        self._last_c = c.detach().cpu()
        super().step()
        for p in params:
            p.grad = None
        if closure is not None and b.wants_closure:
            new = closure()
            b.after_step(torch.stack([torch.as_tensor(f).detach().reshape(()) for f in new]))

    def state_dict(self):
        out = super().state_dict()
        out["balancer"] = None if self.balancer is None else self.balancer.state_dict()
        out["balancer_terms"] = None if self.balancer is None else self.balancer.num_terms
        return out

    def load_state_dict(self, state):
        state = dict(state)
        bal, num = state.pop("balancer", None), state.pop("balancer_terms", None)
        if bal is not None:
            self._ensure(num)
            self.balancer.load_state_dict(bal)
        super().load_state_dict(state)


def is_balanced(opt_spec: dict) -> bool:
    """True for an optimizer spec (``dict(name=..., **hp)``) that carries a ``balancer``."""
    return bool(opt_spec.get("balancer"))


def make_balanced(name: str, params, balancer: dict, **hp) -> Balanced:
    """The registry's way in: ``name`` must be ``"adam"`` (every balancer steps with Adam);
    ``hp``: ``lr``, ``beta1``, ``beta2``, ``eps``, ``weight_decay``, ``last_layer``."""
    if name != "adam":
        raise ValueError(f"balancers step with Adam; got optimizer {name!r}")
    allowed = {"lr", "beta1", "beta2", "eps", "weight_decay", "last_layer"}
    extra = set(hp) - allowed
    if extra:
        raise ValueError(f"a balanced Adam takes no {', '.join(sorted(extra))}")
    hp = {k: v for k, v in hp.items() if v is not None}
    betas = (hp.pop("beta1", 0.9), hp.pop("beta2", 0.999))
    return Balanced(params, balancer, betas=betas, **hp)


def balancer_methods(methods: dict, base: str, names=tuple(METHODS), hp: dict | None = None):
    """``{f"{base}_{name}": spec}``: the chapter's Adam row ``methods[base]`` with ``balancer``
    (``dict(method=name, **hp[name])``), ``base`` and ``extra=True`` added, its label replaced."""
    if base not in methods:
        raise ValueError(f"no method {base!r}; the methods are {', '.join(methods)}")
    spec = methods[base]
    if spec.get("optimizer") != "adam":
        raise ValueError(f"method {base!r} uses {spec.get('optimizer')!r}; balancers use Adam")
    hp = hp or {}
    out = {}
    for name in names:
        if name not in METHODS:
            raise ValueError(f"unknown balancer {name!r}; use one of {', '.join(METHODS)}")
        out[f"{base}_{name}"] = dict(
            spec,
            label=METHODS[name]["label"],
            balancer=dict(method=name, **hp.get(name, {})),
            base=base,
            extra=True,
        )
    return out


def log_ratio(c: torch.Tensor) -> list[float]:
    """log10 of each coefficient relative to the first term's (for plots)."""
    c = c.to(torch.float64)
    return [math.log10(float(x / c[0])) if x > 0 and c[0] > 0 else float("nan") for x in c]
