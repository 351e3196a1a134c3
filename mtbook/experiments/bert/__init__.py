"""BERT fine-tuning with an over-weighted L2 term (paper Sec. 5.2, Table 2) and RecoBERT (Sec. 5.3,
Table 3); chapter 8.

``spec`` (the paper's tables, the columns, CONFIG per profile) · ``model`` (verified encoders, GLUE,
the task head, L_reg) · ``run`` (Table 2's runs and grid) · ``recobert`` (Table 3) · ``plots``
(tables and figures from records) · ``claims`` (the scoreboard's rows).
"""

from .run import run_all  # noqa: F401
from .spec import (  # noqa: F401
    ABLATION_METHODS,
    ABLATION_TASKS,
    BERT_BASE_CONFIG,
    CONFIG,
    ENCODERS,
    EXPERIMENT,
    METHODS,
    PAPER_TABLE2,
    PAPER_TABLE2_NAMES,
    PAPER_TABLE3,
    PAPER_TABLE3_NAMES,
    TASKS,
    config,
    method_key,
    method_spec,
)
