"""A bound on the wall time of a block of pure-Python work (sympy).

sympy's ``simplify`` has no time limit and can take minutes on a law of 30
operations; a fit that must end by its deadline cannot wait for it.
``SIGALRM`` interrupts pure-Python code, so the block raises
:class:`TimeBoundExceeded` when its seconds are up.  Signals reach only a
process's main thread: elsewhere (a worker thread, a notebook's executor),
or while another timer is running, the block runs unbounded.
"""

from __future__ import annotations

import signal
import sys
import threading
from contextlib import contextmanager


REPEAT_SECONDS = 0.05
"""After the bound, the alarm repeats this often until the block ends."""


class TimeBoundExceeded(Exception):
    """The block ran past its seconds."""


@contextmanager
def within_seconds(seconds: float):
    """Raise :class:`TimeBoundExceeded` in this block after ``seconds``."""
    if (threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer")
            or signal.getitimer(signal.ITIMER_REAL)[0] > 0):
        yield
        return

    def _exceeded(signum, frame):
        raise TimeBoundExceeded(f"took longer than {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, _exceeded)
    previous_hook = sys.unraisablehook
    sys.unraisablehook = _quiet_about_the_bound(previous_hook)
    # it repeats: an exception raised where Python swallows it (a gc callback) is raised again
    signal.setitimer(signal.ITIMER_REAL, max(seconds, 1e-3), REPEAT_SECONDS)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        sys.unraisablehook = previous_hook


def _quiet_about_the_bound(previous_hook):
    """An unraisable hook that drops the bound's own exception.

    Raised inside a weakref or ``__del__`` callback, Python cannot pass it on and
    prints it as a traceback on stderr; the repeating alarm raises it again where
    it counts, so the swallowed one is noise a user should not see.
    """
    def hook(unraisable):
        if not isinstance(unraisable.exc_value, TimeBoundExceeded):
            previous_hook(unraisable)
    return hook
