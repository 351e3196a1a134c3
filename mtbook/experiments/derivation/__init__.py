"""The test bench of chapter 2 (the derivation): two badly scaled terms on the Sec. 3 polynomial."""

from .bench import *  # noqa: F401,F403
from .bench import (
    CONFIG,
    DTYPE,
    EXPERIMENT,
    config,
    init_params,
    recorded_run,
    save_comparison,
    term_grads,
    train,
)  # noqa: F401
