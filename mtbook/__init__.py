"""Shared experiment code for the MTAdam book.

* :mod:`mtbook.core` -- profiles, data, records (storage), runs (config per profile, run-or-load,
  grids), the optimizer registry, report (tables, mean ± SD), metrics, Hyperband, notebook setup.
* :mod:`mtbook.gan` -- one GAN training loop for any number of generators, discriminators and terms.
* :mod:`mtbook.experiments` -- one small package per experiment (toy, derivation, mnist, pix2pix).

The optimizer itself lives in the separate package :mod:`mtadam`, which never imports this one.
"""
