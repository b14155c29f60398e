"""Dask clusters for hypo: a local cluster of single-threaded worker
processes or a running scheduler (``tcp://host:8786``), for the search's
islands (:class:`SearchCluster`, ``search.islands``) and for many fits at
once (``hypo.fit_many``).
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import threading

from hypo.errors import HypoError

WORKER_DEATHS_ALLOWED = 2


@contextlib.contextmanager
def dask_client(workers: int | None = None, scheduler: str | None = None, close_in_background: bool = False):
    """A client of a running scheduler, or of a local cluster of ``workers``
    single-threaded processes that is shut down on exit (in a background
    thread with ``close_in_background``: shutting down takes a second or
    two that a fit's time limit should not pay)."""
    try:
        import dask
        from distributed import Client, LocalCluster
    except ImportError:
        raise HypoError("running on a cluster needs dask.distributed; install it with "
                        "pip install 'dask[distributed]' or use --workers 1") from None
    dask.config.set({"distributed.scheduler.allowed-failures": WORKER_DEATHS_ALLOWED})
    cluster = None
    try:
        if scheduler:
            client = Client(scheduler, timeout="10s")
        else:
            cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                   dashboard_address=":0", silence_logs=logging.CRITICAL)
            client = Client(cluster)
            # the scheduler in this process times garbage collections from a gc callback, where an
            # exception is swallowed: hypo's time bounds (a SIGALRM raising in the report) would not hold
            from distributed.gc import disable_gc_diagnosis
            disable_gc_diagnosis(force=True)
            client.run(_ignore_ctrl_c)
    except RuntimeError as error:  # spawned workers re-import the caller's script
        raise HypoError(f"cannot start worker processes ({' '.join(str(error).split())}); from a script, call "
                        "hypo under if __name__ == '__main__':") from None
    except (OSError, TimeoutError, ValueError) as error:
        where = scheduler or "a local cluster"
        raise HypoError(f"cannot connect to {where} ({' '.join(str(error).split())}); check that the "
                        "scheduler runs and the address is tcp://HOST:PORT") from None
    try:
        yield client
    finally:
        if close_in_background:
            closing = threading.Thread(target=_close, args=(client, cluster), daemon=True)
            closing.start()
            atexit.register(closing.join, 10)  # before Dask's own exit handler, which would close it again
        else:
            _close(client, cluster)


def _close(client, cluster) -> None:
    with contextlib.suppress(Exception):
        client.close(timeout=5)
    if cluster is not None:
        with contextlib.suppress(Exception):
            cluster.close(timeout=5)


class SearchCluster:
    """The cluster the evolution's islands will run on, started in a
    background thread while the search begins in this process, its workers'
    imports done before the islands move there."""

    def __init__(self, workers: int, scheduler: str | None):
        self._stack = contextlib.ExitStack()
        self._client = None
        self._error: Exception | None = None
        self._thread = threading.Thread(target=self._start, args=(workers, scheduler), daemon=True)
        self._thread.start()

    def _start(self, workers: int, scheduler: str | None) -> None:
        try:
            self._client = self._stack.enter_context(dask_client(workers, scheduler, close_in_background=True))
            self._client.run(_import_search)
        except Exception as error:  # said as a note when the search asks for the client
            self._error = error

    def client(self, notes: list[str], wait: float | None):
        """The client, or None (with a note) when the cluster failed or is
        not up within ``wait`` seconds: the search then runs here alone."""
        self._thread.join(wait)
        if self._thread.is_alive():
            notes.append("the search workers were not ready in time; the search ran in this process alone")
            return None
        if self._error is not None:
            reason = " ".join(str(self._error).split()) or type(self._error).__name__
            notes.append(f"the search ran in this process alone: {reason}")
            return None
        return self._client

    def ready(self) -> bool:
        """Whether the cluster is up (or failed to start): asking is then instant."""
        return not self._thread.is_alive()

    def close(self) -> None:
        """Shut the cluster down without waiting for it (nor for its start)."""
        def close_when_started():
            self._thread.join()
            self._stack.close()
        threading.Thread(target=close_when_started, daemon=True).start()


def _ignore_ctrl_c() -> None:
    """In a local worker: Ctrl-C reaches the whole process group, and it is
    the driver's to answer (keep the laws, shut the cluster down); a worker
    dying of it would only print a traceback."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _import_search() -> None:
    """Load the evolution's modules (and their compiled kernels' caches) in a worker."""
    import search.engine.evolve  # noqa: F401
    import search.evolution  # noqa: F401


def start_search_cluster(workers: int, scheduler: str | None) -> SearchCluster | None:
    """A cluster for the search's islands when more than one process or a
    scheduler is asked for; None otherwise."""
    return SearchCluster(workers, scheduler) if workers > 1 or scheduler else None
