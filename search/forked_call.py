"""One function call on a second core: a forked copy of this process computes
it while this one goes on with other work.

The seed generators are plain Python and NumPy that hold the interpreter's
lock, so threads do not run them side by side; a fork does, at the cost of
a few milliseconds and no pickling of the inputs (the child sees this
process's memory as it was).  Only the result travels back, pickled, through
a pipe.  The child ignores Ctrl-C (the parent ends it) and leaves with
``os._exit``, so it never runs this process's exit handlers or finalizers.
Where the child fails, dies or is late, :meth:`ForkedCall.result` says so
(``MISSING``) and the caller decides whether to compute the call itself.
"""

from __future__ import annotations

import os
import pickle
import select
import signal
import sys
import time

MISSING = object()
"""What :meth:`ForkedCall.result` returns when the child gave no result."""


def can_fork() -> bool:
    """Whether a fork is safe here: on Linux.  Windows has no fork, and on
    macOS system libraries (Accelerate's BLAS among them) may crash or hang
    in a forked child, which is why Python starts processes by spawning there."""
    return sys.platform.startswith("linux") and hasattr(os, "fork")


class ForkedCall:
    """``function(*arguments)``, computed in a forked child process.

    Use as a context manager (or call :meth:`close`) so that the child is
    ended whatever happens to the caller.
    """

    def __init__(self, function, *arguments):
        reading, writing = os.pipe()
        self._pid = os.fork()
        if self._pid == 0:  # the child: compute, send, leave without cleaning up the parent's world
            os.close(reading)
            _run_in_child(writing, function, arguments)
        os.close(writing)
        self._reading = reading

    def result(self, deadline: float | None = None):
        """The call's value, waiting until ``deadline`` (a ``time.perf_counter()``
        value; None waits as long as it takes); :data:`MISSING` when the child
        failed, died or had not finished by then.  Ends the child."""
        chunks = []
        try:
            while True:
                timeout = None if deadline is None else max(0.0, deadline - time.perf_counter())
                ready, _, _ = select.select([self._reading], [], [], timeout)
                if not ready:
                    return MISSING
                chunk = os.read(self._reading, 1 << 20)
                if not chunk:
                    break
                chunks.append(chunk)
        finally:
            self.close()
        try:
            status, value = pickle.loads(b"".join(chunks))
        except Exception:  # nothing sent (the child died) or cut short
            return MISSING
        return value if status == "ok" else MISSING

    def close(self) -> None:
        """End the child (if it still runs) and reap it."""
        if self._pid is None:
            return
        try:
            os.kill(self._pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        os.waitpid(self._pid, 0)
        os.close(self._reading)
        self._pid = None

    def __enter__(self) -> ForkedCall:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _run_in_child(writing: int, function, arguments) -> None:
    """The child's whole life: compute, send the pickled ``(status, value)``, exit."""
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
        try:
            payload = pickle.dumps(("ok", function(*arguments)))
        except BaseException:
            payload = pickle.dumps(("error", None))
        view = memoryview(payload)
        while view:
            view = view[os.write(writing, view):]
    finally:
        os._exit(0)


CLAIM_PATIENCE = 5.0
"""Seconds to wait for the shared job counter; longer means the other
process died holding it, and the jobs left are run by whoever still can."""


def in_two_processes(jobs: list, deadline: float | None = None) -> list:
    """Call every job (a function of no arguments) once, this process and a
    forked one each taking the next job not yet taken, so that neither waits
    while work is left; the values in the jobs' order.  A job the fork took
    but did not deliver by ``deadline`` is :data:`MISSING`."""
    import multiprocessing

    counter = multiprocessing.get_context("fork").Value("i", 0)

    def take_turns() -> dict:
        done = {}
        while True:
            if not counter.get_lock().acquire(timeout=CLAIM_PATIENCE):
                return done
            index = counter.value
            counter.value += 1
            counter.get_lock().release()
            if index >= len(jobs):
                return done
            done[index] = jobs[index]()

    values = [MISSING] * len(jobs)
    with ForkedCall(take_turns) as other:
        mine = take_turns()
        theirs = other.result(deadline)
    for index, value in [*mine.items(), *({} if theirs is MISSING else theirs).items()]:
        values[index] = value
    return values
