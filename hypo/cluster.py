"""Fits as tasks on dask.distributed: a local cluster of worker processes
(one per core by default) or an existing scheduler (``tcp://host:8786``).

Each fit is one task, so a worker that dies costs only the fit it was
running: the scheduler hands that task to another worker (and gives up
after a few deaths, which becomes that fit's error row, not the run's).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator

from hypo.errors import HypoError
from hypo.fit_many import FitJob, error_row, run_job

WORKER_DEATHS_ALLOWED = 2


@contextlib.contextmanager
def dask_executor(workers: int | None = None, scheduler: str | None = None):
    """A function running jobs on a Dask cluster and yielding their summary
    rows as they finish; the local cluster is shut down on exit."""
    try:
        import dask
        from distributed import Client, LocalCluster
    except ImportError:
        raise HypoError("running fits on a cluster needs dask.distributed; install it with "
                        "pip install 'dask[distributed]' or use --workers 1") from None
    dask.config.set({"distributed.scheduler.allowed-failures": WORKER_DEATHS_ALLOWED})
    cluster = None
    try:
        if scheduler:
            client = Client(scheduler, timeout="10s")
        else:
            cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                   dashboard_address=None, silence_logs=logging.ERROR)
            client = Client(cluster)
    except (OSError, TimeoutError, ValueError) as error:
        where = scheduler or "a local cluster"
        raise HypoError(f"cannot connect to {where} ({' '.join(str(error).split())}); check that the "
                        "scheduler runs and the address is tcp://HOST:PORT") from None
    try:
        yield lambda jobs: _run_on(client, jobs)
    finally:
        with contextlib.suppress(Exception):
            client.close(timeout=5)
        if cluster is not None:
            with contextlib.suppress(Exception):
                cluster.close(timeout=5)


def _run_on(client, jobs: list[FitJob]) -> Iterator[dict]:
    from distributed import as_completed

    futures = {client.submit(run_job, job, pure=False, key=f"fit-{index}-{job.output.name}"): job
               for index, job in enumerate(jobs)}
    try:
        for future in as_completed(futures):
            job = futures[future]
            try:
                yield future.result()
            except Exception as error:  # a worker that kept dying, or a bug inside one fit: that fit's row
                yield error_row(job, f"the fit failed on the cluster ({type(error).__name__}: {error})")
    finally:
        client.cancel(list(futures))
