"""MNIST with ten loss terms (paper Sec. 5.1, Table 1).

``spec`` (the paper's table, methods, draws, CONFIG per profile, claims) · ``model`` (terms,
per-term gradients, data) · ``run`` (training, the grid) · ``plots`` (tables and figures from
records).
"""

from .model import *  # noqa: F401,F403
from .model import (  # noqa: F401  # noqa: F401
    MNISTData,
    authors_terms,
    class_terms,
    draw_weights,
    load_mnist,
    per_term_grads,
    stratified_subset,
    weighted_loss,
)
from .plots import *  # noqa: F401,F403
from .run import draw_invariance, evaluate, jobs, run_all, run_config, train_run  # noqa: F401
from .spec import *  # noqa: F401,F403
from .spec import CONFIG, DRAWS, EXPERIMENT, METHODS, NUM_CLASSES, PAPER_TABLE1, config, method_key  # noqa: F401
