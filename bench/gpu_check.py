"""Check hypo's torch kernels on a GPU against the compiled CPU kernels, and time them.

Run by ``bench/gpu_check.sh`` on a machine with a GPU.  For random trees on
10^4 to 10^7 rows it evaluates the batch on the GPU (float64 and float32)
and with the compiled CPU kernels (float64), checks the relative errors
(below 1e-6 in float64 and 1e-3 in float32, where both are finite and of
moderate size), fits the constants of a batch on both and compares the
errors, compares the Gaussian log-likelihood, and prints node-evaluations
per second.  Exit status 1 when a check fails, 2 when there is no GPU.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

ROW_COUNTS = (10_000, 100_000, 1_000_000, 10_000_000)
NODE_ROWS = 200_000_000
"""Trees times rows per size (fewer trees on more rows, so memory stays small)."""


def random_batch(n_trees: int, names, seed: int = 0):
    from hypo.program import encode
    from search.space import SearchSpace

    rng = np.random.default_rng(seed)
    space = SearchSpace(tuple(names), ("add", "sub", "mul", "div", "square", "sqrt", "exp", "log", "sin", "cos",
                                       "tanh"))
    trees = []
    while len(trees) < n_trees:
        tree = space.random_tree(rng, max_depth=6)
        if 8 <= tree.size <= 30:
            trees.append(tree)
    return encode(trees, names)


def relative_error(a: np.ndarray, b: np.ndarray) -> float:
    usable = np.isfinite(a) & np.isfinite(b) & (np.abs(b) < 1e6) & (np.abs(b) > 1e-6)
    if not usable.any():
        return 0.0
    return float(np.max(np.abs(a[usable] - b[usable]) / np.maximum(np.abs(b[usable]), 1.0)))


def main() -> int:
    import torch

    from hypo import torch_kernels
    from hypo.kernels.evaluation import batch_values, variables_by_row

    if not torch.cuda.is_available():
        print("gpu_check: torch sees no GPU here; nothing to check", file=sys.stderr)
        return 2
    device = torch.device("cuda")
    print(f"GPU: {torch.cuda.get_device_name(0)}; torch {torch.__version__}")
    names = ("x0", "x1", "x2", "x3", "x4")
    failures = 0
    for n_rows in ROW_COUNTS:
        n_trees = max(10, min(2000, NODE_ROWS // n_rows))
        batch = random_batch(n_trees, names)
        rng = np.random.default_rng(1)
        X = variables_by_row({name: rng.uniform(0.5, 2.0, n_rows) for name in names}, names)
        nodes = int(batch.lengths.sum()) * n_rows
        started = time.perf_counter()
        with np.errstate(all="ignore"):
            expected = batch_values(batch, X)
        cpu_seconds = time.perf_counter() - started
        line = f"{n_rows:>9} rows x {n_trees:>4} trees: CPU float64 {nodes / cpu_seconds / 1e9:6.2f} G node-evals/s"
        for dtype, tolerance in ((torch.float64, 1e-6), (torch.float32, 1e-3)):
            X_device = torch.as_tensor(X, device=device, dtype=dtype)
            torch_kernels.evaluate(batch, X_device)  # warm-up
            torch.cuda.synchronize()
            started = time.perf_counter()
            values = torch_kernels.evaluate(batch, X_device)
            torch.cuda.synchronize()
            seconds = time.perf_counter() - started
            error = relative_error(values.double().cpu().numpy(), expected)
            ok = error < tolerance
            failures += not ok
            name = "float64" if dtype == torch.float64 else "float32"
            line += f" | GPU {name} {nodes / seconds / 1e9:7.2f} G/s, error {error:.1e} {'ok' if ok else 'FAIL'}"
        print(line, flush=True)
    failures += check_fits(device)
    print("gpu_check: all checks passed" if not failures else f"gpu_check: {failures} check(s) failed")
    return 1 if failures else 0


def check_fits(device) -> int:
    """Batched fits and the Gaussian likelihood on the GPU against the CPU."""
    import torch

    from hypo import torch_kernels
    from hypo.compiled import KernelPosterior, RowSet, score_batch
    from hypo.kernels.evaluation import variables_by_row
    from hypo.likelihood import LikelihoodConfig, log_likelihood
    from hypo.program import decode_row
    from hypo.structure_prior import StructurePrior

    names = ("x0", "x1", "x2")
    rng = np.random.default_rng(2)
    n_rows = 100_000
    columns = {name: rng.uniform(1.0, 3.0, n_rows) for name in names}
    y = 2.0 * columns["x0"] * np.exp(-0.3 * columns["x1"]) + np.sin(columns["x2"]) + rng.normal(0, 0.01, n_rows)
    batch = random_batch(200, names, seed=3)
    structures = [decode_row(batch, i, names) for i in range(len(batch))]
    X = variables_by_row(columns, names)
    started = time.perf_counter()
    _, errors, _, _ = torch_kernels.fit_constants(batch, torch.as_tensor(X, device=device),
                                                  torch.as_tensor(y, device=device),
                                                  torch.ones(n_rows, dtype=torch.float64, device=device))
    torch.cuda.synchronize()
    gpu_seconds = time.perf_counter() - started
    rows = RowSet.build(X, y, np.ones(n_rows))
    started = time.perf_counter()
    with np.errstate(all="ignore"):
        cpu = score_batch(structures, names, rows, rows, KernelPosterior.build(LikelihoodConfig(), StructurePrior(),
                                                                               False))
    cpu_seconds = time.perf_counter() - started
    gpu_errors = errors.cpu().numpy()
    both = np.isfinite(gpu_errors) & np.isfinite(cpu.fit_errors)
    # fits may stop at different points in flat valleys: compare the fitted errors loosely
    agreement = float(np.mean(np.abs(gpu_errors[both] - cpu.fit_errors[both])
                              <= 1e-3 * np.maximum(cpu.fit_errors[both], 1e-12)))
    residual = y - y.mean()
    likelihood = torch_kernels.gaussian_log_likelihood(torch.as_tensor(residual[None, :], device=device),
                                                       torch.ones(n_rows, dtype=torch.float64, device=device))
    reference = log_likelihood(residual).total
    likelihood_error = abs(float(likelihood[0]) - reference) / abs(reference)
    ok = agreement >= 0.9 and likelihood_error < 1e-9
    print(f"fits of 200 structures on {n_rows} rows: GPU {gpu_seconds:.2f} s, CPU {cpu_seconds:.2f} s; "
          f"fitted errors agree on {agreement:.1%}; log-likelihood relative error {likelihood_error:.1e} "
          f"{'ok' if ok else 'FAIL'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
