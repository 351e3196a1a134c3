"""The ablation of Algorithm 1 (paper Sec. 5.5, Table 7); chapter 7, planned.

For now only ``spec`` (the paper's table) and ``claims`` (the scoreboard's row)."""
