"""The one optimizer registry of the book: every experiment builds its optimizers here.

``make_optimizer(name, params, **hp)`` with ``name`` one of :data:`OPTIMIZERS`:

=========  ==========================================================================
sgd        ``torch.optim.SGD(lr, momentum=0.9)``
rmsprop    ``torch.optim.RMSprop(lr)`` (PyTorch's other defaults)
adam       ``torch.optim.Adam(lr, betas=(beta1, beta2))``
adamw      ``torch.optim.AdamW(lr, betas, weight_decay)``
mtadam     ``mtadam.MTAdam(lr, betas=(beta1, beta2, beta3))`` plus its switches
=========  ==========================================================================

MTAdam's ablation switches (``normalize``, ``anchor``, ``denom``, ``norm_init``) pass straight
through, so an ablation row is ``make_optimizer("mtadam", params, denom="mean")``. Unknown names or
hyper-parameters that an optimizer does not take raise a ValueError naming them.
"""

from __future__ import annotations

import torch

OPTIMIZERS = ("sgd", "rmsprop", "adam", "adamw", "mtadam")
MTADAM_SWITCHES = ("normalize", "anchor", "denom", "norm_init", "eps", "weight_decay")

_ALLOWED = {
    "sgd": {"lr", "momentum", "weight_decay"},
    "rmsprop": {"lr", "alpha", "eps", "momentum", "weight_decay"},
    "adam": {"lr", "beta1", "beta2", "eps", "weight_decay"},
    "adamw": {"lr", "beta1", "beta2", "eps", "weight_decay"},
    "mtadam": {"lr", "beta1", "beta2", "beta3", *MTADAM_SWITCHES},
}


def is_multi_term(name: str) -> bool:
    """True for optimizers that take the list of terms (``step(losses)``) rather than their sum."""
    return name == "mtadam"


def make_optimizer(name: str, params, **hp):
    """Build optimizer ``name`` on ``params`` with
    hyper-parameters ``hp`` (None values are dropped)."""
    if name not in _ALLOWED:
        raise ValueError(f"unknown optimizer {name!r}; use one of {', '.join(OPTIMIZERS)}")
    hp = {k: v for k, v in hp.items() if v is not None}
    extra = set(hp) - _ALLOWED[name]
    if extra:
        raise ValueError(
            f"optimizer {name!r} takes no {', '.join(sorted(extra))}; "
            f"it takes {', '.join(sorted(_ALLOWED[name]))}"
        )
    params = list(params)
    lr = hp.pop("lr", 1e-3)
    b1, b2 = hp.pop("beta1", 0.9), hp.pop("beta2", 0.999)
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr, momentum=hp.pop("momentum", 0.9), **hp)
    if name == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr, **hp)
    if name == "adam":
        return torch.optim.Adam(params, lr=lr, betas=(b1, b2), **hp)
    if name == "adamw":
        return torch.optim.AdamW(params, lr=lr, betas=(b1, b2), **hp)
    from mtadam import MTAdam

    return MTAdam(params, lr=lr, betas=(b1, b2, hp.pop("beta3", 0.9)), **hp)
