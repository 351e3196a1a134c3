"""CycleGAN on horse2zebra (paper Sec. 5.4, Table 5, Figs. 8-10): ``spec``, ``model`` (the
GanSetup), ``measures`` (the metrics of an unpaired task), ``run`` (rows, Hyperband, the grid),
``plots`` (Table 5 and figures from records), ``claims`` (the scoreboard's claims)."""

from .measures import evaluate_split, identity_metrics, side_metrics, translate  # noqa: F401
from .model import build_models, load_data, make_setup  # noqa: F401
from .plots import *  # noqa: F401,F403
from .run import (
    checkpoint_dir,
    jobs,
    run_all,
    run_config,  # noqa: F401
    run_hyperband,
    samples_path,
    train_one,
)
from .spec import *  # noqa: F401,F403
from .spec import (
    COLUMNS,
    CONFIG,
    CURVE_METHODS,
    DATASETS,  # noqa: F401
    EXPERIMENT,
    METHODS,
    PAPER_TABLE5,  # noqa: F401
    PAPER_TABLE5_MAPS,
    PRESCRIBED,
    SUBOPTIMAL,
    TERM_NAMES,
    config,
    experiment_name,  # noqa: F401
    term_weights,
)
