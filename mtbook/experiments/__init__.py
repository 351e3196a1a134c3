"""One package per experiment of the book. Each imports :mod:`mtbook.core` (and :mod:`mtbook.gan`),
never another experiment; each has ``spec`` (the paper's numbers and claims, methods, CONFIG per
profile), the model and terms, ``run`` and ``plots`` (which only read records)."""
