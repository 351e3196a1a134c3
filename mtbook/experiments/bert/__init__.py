"""BERT fine-tuning (paper Sec. 5.2, Table 2) and RecoBERT (Sec. 5.3, Table 3); chapter 8, planned.

For now only ``spec`` (the paper's tables) and ``claims`` (the scoreboard's rows)."""
