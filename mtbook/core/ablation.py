"""The ablation of Algorithm 1 (paper Sec. 5.5, Table 7): which MTAdam switch each variant sets.

One mapping, :data:`VARIANTS`, for every chapter that runs the ablation. Each variant is one of
:class:`mtadam.MTAdam`'s switches (see its module docstring) and changes one part of Algorithm 1:

====================  ======================  ================================================
variant               switch                  Algorithm 1
====================  ======================  ================================================
``normalize_none``    ``normalize="none"``    (i) lines 6-8 dropped: no magnitude normalisation
``normalize_global``  ``normalize="global"``  (ii) one running norm per term over all layers
``no_anchor``         ``anchor=False``        (iii) line 8 without the anchor's n^1_l
``denom_own``         ``denom="own"``         (iv) line 14 with each term's own vhat^i (Adam-like)
``denom_mean``        ``denom="mean"``        (v) line 14 with the mean of the vhat^i, not the max
``full``              (none)                  Algorithm 1 as is
====================  ======================  ================================================

A chapter runs the ablation through its own runner: its ``spec`` derives the variants of its MTAdam
method with :func:`ablation_methods` (same settings, plus ``mtadam=<switches>``), and its runner
passes ``mtadam`` into the generator's optimizer with :func:`with_switches`. The full method is the
chapter's MTAdam method itself (same config, same record): it is never derived or re-run.
"""

from __future__ import annotations

from .optim import MTADAM_SWITCHES

VARIANTS = {
    "normalize_none": dict(paper="(i) Removing L6–8", mtadam=dict(normalize="none")),
    "normalize_global": dict(
        paper="(ii) Removing L6, changing g^i_l to g^i", mtadam=dict(normalize="global")
    ),
    "no_anchor": dict(paper="(iii) No scaling by n^1_{l,t} in L8", mtadam=dict(anchor=False)),
    "denom_own": dict(paper="(iv) Line 14: scaling like Adam", mtadam=dict(denom="own")),
    "denom_mean": dict(
        paper="(v) Line 14: scaling by mean instead of max", mtadam=dict(denom="mean")
    ),
    "full": dict(paper="Full method", mtadam={}),
}
ABLATIONS = tuple(k for k in VARIANTS if k != "full")  # the five ablated variants, (i)-(v)
SHORT = {
    "normalize_none": "(i) no normalisation",
    "normalize_global": "(ii) global norm",
    "no_anchor": "(iii) no anchor",
    "denom_own": "(iv) own denominator",
    "denom_mean": "(v) mean denominator",
    "full": "full MTAdam",
}


def switches(variant: str) -> dict:
    """The MTAdam keyword arguments of ``variant`` (``{}`` for ``"full"``), as a fresh dict."""
    if variant not in VARIANTS:
        raise ValueError(f"unknown ablation variant {variant!r}; use one of {', '.join(VARIANTS)}")
    return dict(VARIANTS[variant]["mtadam"])


def method_name(base: str, variant: str) -> str:
    """The record name of ``variant`` of a chapter's MTAdam method ``base``; ``base`` for full."""
    switches(variant)  # validates
    return base if variant == "full" else f"{base}_{variant}"


def ablation_methods(methods: dict, base: str, variants=ABLATIONS) -> dict:
    """``{name: spec}`` of the ablated variants of ``methods[base]`` (an MTAdam method).

    Each spec is ``methods[base]`` with ``mtadam`` (the switches), ``ablation`` (the variant),
    ``base`` and ``extra=True`` added and its label extended. ``"full"`` is not derived: the full
    method is ``methods[base]`` itself.
    """
    if base not in methods:
        raise ValueError(f"no method {base!r} to ablate; the methods are {', '.join(methods)}")
    spec = methods[base]
    if spec.get("optimizer") != "mtadam":
        raise ValueError(f"method {base!r} uses {spec.get('optimizer')!r}; only MTAdam is ablated")
    if spec.get("mtadam"):
        raise ValueError(f"method {base!r} already sets MTAdam switches {spec['mtadam']}")
    out = {}
    for v in variants:
        if v == "full":
            raise ValueError("'full' is the chapter's own MTAdam method; it is not derived")
        out[method_name(base, v)] = dict(
            spec,
            label=f"{spec['label']}, {SHORT[v]}",
            mtadam=switches(v),
            ablation=v,
            base=base,
            extra=True,
        )
    return out


def with_switches(opt_spec: dict, mtadam: dict | None) -> dict:
    """An optimizer spec (``dict(name=..., **hp)``) with MTAdam switches added.

    ``mtadam`` empty or None returns ``opt_spec`` unchanged (same dict contents): the full method's
    config, and so its stored records, do not change. Switches on another optimizer, or names that
    are not MTAdam switches, raise a ValueError.
    """
    if not mtadam:
        return opt_spec
    if opt_spec.get("name") != "mtadam":
        raise ValueError(f"MTAdam switches {mtadam} given for optimizer {opt_spec.get('name')!r}")
    unknown = set(mtadam) - set(MTADAM_SWITCHES)
    if unknown:
        raise ValueError(
            f"not MTAdam switches: {', '.join(sorted(unknown))}; use {', '.join(MTADAM_SWITCHES)}"
        )
    return dict(opt_spec, **mtadam)


def variant_of(spec: dict) -> str:
    """The variant of a method spec or a record's config: ``spec["ablation"]``, else ``"full"``."""
    return spec.get("ablation") or "full"


def module_step(**mtadam):
    """A step function ``step(params, grads, lr)`` for chapter 2's bench: :class:`mtadam.MTAdam`
    with the switches ``mtadam``, built at the first call. After every step ``step.holder`` gets
    ``weights`` (:meth:`~mtadam.MTAdam.effective_weights`, ``[I][L]``) and ``magnitudes``: the norm
    of each term's gradient on each layer after line 8, ``weight * ||g^i_l||`` (``[I][L]``)."""
    import torch

    from mtadam import MTAdam

    holder: dict = {"weights": [], "magnitudes": []}

    def step(params, grads, lr):
        if "opt" not in holder:
            holder["opt"] = MTAdam(params, lr=lr, **mtadam)
        holder["opt"].step(grads=grads)
        w = holder["opt"].effective_weights()
        norms = torch.tensor([[float(g.norm()) for g in row] for row in grads], dtype=w.dtype)
        holder["weights"].append(w.tolist())
        holder["magnitudes"].append((w * norms).tolist())

    step.holder = holder
    return step
