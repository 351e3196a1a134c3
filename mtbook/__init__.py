"""Shared experiment code for the MTAdam book.

One importable place for what every chapter needs: run profiles (:mod:`mtbook.profiles`),
data files (:mod:`mtbook.data`), JSON run records and tables (:mod:`mtbook.records`) and the
first cell of every notebook (:mod:`mtbook.notebook`). Per-experiment code (models, training
loops, metrics) lives in one module per experiment beside these.

The optimizer itself lives in the separate package :mod:`mtadam`, which never imports this one.
"""

__all__ = ["profiles", "records", "data", "notebook"]
