"""The ablation of Algorithm 1 (paper Sec. 5.5, Table 7); chapter 7.

Runs nothing of its own: each cell is run by the chapter that owns the task (its spec derives the
variants of its MTAdam method with :func:`mtbook.core.ablation.ablation_methods`; chapter 2's toy
through :mod:`.toy`), and ``plots`` reads their records. ``spec``: the paper's table and where each
cell's records live; ``claims``: the scoreboard's rows."""
