"""Compiled kernels (numba) over batches of postfix programs.

Start at ``interpreter`` (values and exact derivatives of one program on a
block of rows), then ``evaluation`` (whole batches on all rows), ``fitting``
(Levenberg–Marquardt on a batch) and ``posterior`` (the log-posterior terms
of fitted laws).  Importing this package compiles nothing: kernels are
compiled on first use and cached on disk (``hypo.kernels.warmup`` compiles
them ahead of a first fit).
"""

from hypo.kernels.cache import ensure_fresh

ensure_fresh()
