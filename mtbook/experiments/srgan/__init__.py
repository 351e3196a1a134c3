"""SRGAN x4 (paper Sec. 3 Figs. 2/6, Sec. 5.4 Table 6, Fig. 11): ``spec``, ``model`` (data, terms,
the GanSetup, metrics), ``run`` (rows, motivation runs, Hyperband, grids), ``plots`` (tables,
figures from records), ``claims`` (the scoreboard's view)."""

from .model import build_models, build_perceptual, load_data, make_setup  # noqa: F401
from .plots import *  # noqa: F401,F403
from .run import (  # noqa: F401
    bicubic_record,
    checkpoint_dir,
    motivation_config,
    run_all,
    run_config,
    run_hyperband,
    run_motivation,
    samples_path,
    train_one,
)
from .spec import *  # noqa: F401,F403
from .spec import (  # noqa: F401
    CONFIG,
    EXPERIMENT,
    METHODS,
    MOTIVATION,
    MOTIVATION_RUNS,
    PAPER_TABLE6,
    PRESCRIBED,
    config,
)
