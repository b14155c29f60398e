"""Structures fitted per wall-second with the evolution's islands on 1 and 2
Dask workers (``hypo fit --workers``), and on an external scheduler with two
worker processes this script starts on localhost.

One law no seed explains (so the search runs the whole time, with
``stop_early=False``), the same seed and time limit for every arm, run one
after another in this process.  The rate counts the whole fit (start-up of
the cluster, the seeds, the report), so it is what a user gets; the CPU
seconds of this process and of its children are printed beside it.  On a
machine with two cores, ``--workers 2`` can at most double the rate.

Usage::

    .venv/bin/python bench/parallel.py --seconds 60 --output bench/results/parallel.json
"""

from __future__ import annotations

import os

for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import psutil  # noqa: E402

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def problem(seed: int = 0) -> pd.DataFrame:
    """A sum of a ratio and a transcendental of a product: beyond the seeds."""
    rng = np.random.default_rng(seed)
    x1, x2, x3 = rng.uniform(1, 3, (3, 1000))
    return pd.DataFrame({"x1": x1, "x2": x2, "x3": x3, "y": np.sin(x1 * x2) / (1 + x3**2) + x1 * np.exp(-x3)})


def cpu_seconds(processes: list[psutil.Process]) -> float:
    total = 0.0
    for process in processes:
        try:
            times = process.cpu_times()
            total += times.user + times.system
        except psutil.Error:
            pass
    return total


def run_arm(name: str, frame: pd.DataFrame, seconds: float, workers: int, scheduler: str | None,
            extra: list[psutil.Process]) -> dict:
    from hypo.api import fit

    me = psutil.Process()
    before_cpu = time.process_time() + cpu_seconds(extra)
    started = time.perf_counter()
    result = fit(frame, "y", time_limit=seconds, workers=workers, scheduler=scheduler, seed=0, mcmc=False,
                 decompose=False, stop_early=False)
    wall = time.perf_counter() - started
    children = me.children(recursive=True)
    cpu = time.process_time() + cpu_seconds(extra) - before_cpu
    entry = {"arm": name, "wall_seconds": round(wall, 2), "evaluations": result.stats["evaluations"],
             "per_wall_second": result.stats["evaluations"] / wall, "cpu_seconds_this_and_external": round(cpu, 2),
             "children_alive_after": len(children), "best": result.best.expression, "nmse": result.best.nmse,
             "workers": result.stats.get("search_workers")}
    print(f"{name:<22} {entry['evaluations']:>9} fits in {wall:6.1f} s = {entry['per_wall_second']:8.0f} /s  "
          f"nmse {result.best.nmse:.2e}", flush=True)
    return entry


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def external_cluster(n_workers: int) -> tuple[str, list[subprocess.Popen]]:
    """A ``dask scheduler`` and ``n_workers`` single-threaded ``dask worker``
    processes on localhost, as a user would start them."""
    from distributed import Client

    dask = str(Path(sys.executable).with_name("dask"))
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    processes = [subprocess.Popen([dask, "scheduler", "--host", "127.0.0.1", "--port", str(port),
                                   "--no-dashboard"], **quiet)]
    for _ in range(n_workers):
        processes.append(subprocess.Popen([dask, "worker", address, "--nthreads", "1", "--no-dashboard",
                                           "--no-nanny"], **quiet))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with Client(address, timeout="5s") as client:
                if len(client.scheduler_info()["workers"]) >= n_workers:
                    return address, processes
        except (OSError, TimeoutError):
            pass
        time.sleep(0.5)
    for process in processes:
        process.kill()
    raise RuntimeError(f"the external cluster at {address} did not start")


def killed_worker_arm(frame: pd.DataFrame, seconds: float, folder: Path) -> dict:
    """``hypo fit --workers 2`` as a user runs it, one worker SIGKILLed once
    both are evolving: the wall time against the limit, and the JSON written."""
    import signal

    data, output = folder / "parallel-data.csv", folder / "parallel-out.json"
    frame.to_csv(data, index=False)
    output.unlink(missing_ok=True)
    hypo = str(Path(sys.executable).with_name("hypo"))
    started = time.perf_counter()
    process = subprocess.Popen([hypo, "fit", str(data), "--target", "y", "--time-limit", str(seconds), "--workers",
                                "2", "--no-mcmc", "--no-decompose", "--quiet", "--output", str(output)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    killed_at = None
    while process.poll() is None and killed_at is None:
        time.sleep(0.25)
        try:
            workers = [p for p in psutil.Process(process.pid).children(recursive=True)
                       if "spawn_main" in " ".join(p.cmdline()) and p.cpu_times().user > 4.0]
        except psutil.Error:
            continue
        if len(workers) >= 2:
            workers[0].send_signal(signal.SIGKILL)
            killed_at = time.perf_counter() - started
    _, stderr = process.communicate(timeout=seconds * 2 + 60)
    wall = time.perf_counter() - started
    saved = json.loads(output.read_text()) if output.exists() else None
    entry = {"arm": "workers 2, one SIGKILLed", "limit": seconds, "wall_seconds": round(wall, 2),
             "killed_at": None if killed_at is None else round(killed_at, 2), "exit": process.returncode,
             "json_written": saved is not None,
             "search_workers": saved["stats"].get("search_workers") if saved else None,
             "best": saved["best"]["expression"] if saved else None,
             "lost_note": any("worker was lost" in line for line in stderr.splitlines())}
    print(f"{entry['arm']:<22} killed at {entry['killed_at']} s, ended at {wall:.1f} s (limit {seconds:g}), "
          f"exit {process.returncode}, JSON {'written' if saved else 'MISSING'}, {entry['search_workers']}", flush=True)
    return entry


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="time limit of each fit (60)")
    parser.add_argument("--output", help="JSON file for the results")
    args = parser.parse_args()
    frame = problem()
    results = [run_arm("workers 1", frame, args.seconds, 1, None, []),
               run_arm("workers 2 (local)", frame, args.seconds, 2, None, [])]
    address, processes = external_cluster(2)
    try:
        external = [psutil.Process(p.pid) for p in processes]
        results.append(run_arm("external scheduler, 2", frame, args.seconds, 1, address, external))
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
    import tempfile
    with tempfile.TemporaryDirectory() as folder:
        killed = killed_worker_arm(frame, min(args.seconds, 30.0), Path(folder))
    base = results[0]["per_wall_second"]
    ratios = {entry["arm"]: entry["per_wall_second"] / base for entry in results}
    for arm, ratio in ratios.items():
        print(f"{arm:<22} {ratio:5.2f} x workers 1")
    if args.output:
        Path(args.output).parent.mkdir(parents=True, exist_ok=True)
        Path(args.output).write_text(json.dumps({"seconds": args.seconds, "cpu_count": os.cpu_count(),
                                                 "results": results, "ratios": ratios, "killed_worker": killed},
                                                indent=2))


if __name__ == "__main__":
    main()
