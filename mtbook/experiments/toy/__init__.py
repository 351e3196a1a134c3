"""The polynomial toy of the paper's Sec. 3 (Figs.
1 and 5): ``run`` (training, records), ``plots``."""

from .plots import plot_curves, summary_rows  # noqa: F401
from .run import *  # noqa: F401,F403
from .run import (
    CONFIG,
    EXPERIMENT,
    OBJECTIVES,
    PAPER_AB,
    ab_draws,
    config,
    objective_grad,
    run_all,
    train,
)  # noqa: F401
