"""How hypo's fitting code runs numpy, in the driver and in search workers alike."""

from __future__ import annotations

import contextlib
import warnings

import numpy as np


@contextlib.contextmanager
def fitting_numerics():
    """numpy's linear algebra on one thread (several fits, or workers, share
    a machine, and CPU time measures the work), and the overflows and
    divisions by zero of candidate laws quiet: such a law is scored, not
    reported, and numpy's warnings about it would only alarm the user."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1), np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        yield
