"""pix2pix on facades (paper Sec. 5.4, Table 4, Figs. 4, 7, 12): ``spec``, ``model`` (the GanSetup),
``run`` (rows, Hyperband, the grid), ``plots`` (Table 4 and figures from records)."""

from .model import TERM_NAMES, build_models, load_data, make_setup  # noqa: F401
from .plots import *  # noqa: F401,F403
from .plots import paper_rows, ranking, table_markdown, table_rows  # noqa: F401
from .run import checkpoint_dir, jobs, run_all, run_config, run_hyperband, samples_path, train_one  # noqa: F401
from .spec import *  # noqa: F401,F403
from .spec import CONFIG, EXPERIMENT, METHODS, PAPER_TABLE4, PRESCRIBED, config, experiment_name  # noqa: F401
