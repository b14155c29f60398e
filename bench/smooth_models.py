"""Which smooth model of the data the decomposition tests should ask:
held-out error and fitting time of the local quadratic and radial-basis models
(``search.decompose.smooth_model``) beside a small torch network trained
for a few thousand steps, as AI Feynman uses one (for far longer).

Each function joins two pieces of ``bench/symmetry_tests.PIECES`` over four
inputs drawn in [1, 5] (1,000 rows to fit, 300 noise-free rows to test).
Printed: per model and noise level, the median over functions of the median
absolute error on the test rows (in units of the target's median absolute
deviation) and the median seconds to fit and predict.

Usage::

    .venv/bin/python bench/smooth_models.py --functions 20 --steps 3000
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.symmetry_tests import PIECES  # noqa: E402
from search.decompose.smooth_model import local_quadratic, radial_basis  # noqa: E402


def torch_network(steps: int):
    """A builder: two tanh layers of 64, Adam on standardized inputs and
    target, full batch, ``steps`` steps on one thread."""

    def build(X: np.ndarray, y: np.ndarray):
        import torch

        torch.manual_seed(0)
        torch.set_num_threads(1)
        mean, scale = X.mean(axis=0), X.std(axis=0)
        y_mean, y_scale = y.mean(), y.std() or 1.0
        inputs = torch.tensor((X - mean) / scale, dtype=torch.float32)
        target = torch.tensor((y - y_mean) / y_scale, dtype=torch.float32)[:, None]
        network = torch.nn.Sequential(torch.nn.Linear(X.shape[1], 64), torch.nn.Tanh(),
                                      torch.nn.Linear(64, 64), torch.nn.Tanh(), torch.nn.Linear(64, 1))
        optimizer = torch.optim.Adam(network.parameters(), lr=3e-3)
        schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, steps)
        for _ in range(steps):
            optimizer.zero_grad()
            loss = torch.mean((network(inputs) - target) ** 2)
            loss.backward()
            optimizer.step()
            schedule.step()

        def predict(points: np.ndarray) -> np.ndarray:
            with torch.no_grad():
                values = network(torch.tensor((points - mean) / scale, dtype=torch.float32))
            return values.numpy()[:, 0] * y_scale + y_mean

        return predict

    return build


def measure(n_functions: int, noise: float, steps: int, seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    builders = {"local quadratic": local_quadratic, "radial basis": radial_basis, "torch network": torch_network(steps)}
    errors = {name: [] for name in builders}
    times = {name: [] for name in builders}
    for index in range(n_functions):
        first, second = PIECES[index % len(PIECES)], PIECES[(3 * index + 1) % len(PIECES)]
        join = np.add if index % 2 else np.multiply
        X = rng.uniform(1, 5, (1300, 4))
        clean = join(first(X[:, 0], X[:, 1]), second(X[:, 2], X[:, 3]))
        y = clean + noise * np.sqrt(np.mean(clean**2)) * rng.normal(size=len(clean))
        spread = np.median(np.abs(clean - np.median(clean)))
        for name, build in builders.items():
            started = time.perf_counter()
            predicted = build(X[:1000], y[:1000])(X[1000:])
            times[name].append(time.perf_counter() - started)
            errors[name].append(float(np.median(np.abs(predicted - clean[1000:])) / spread))
    return {name: {"median_error": float(np.median(errors[name])), "median_seconds": float(np.median(times[name]))}
            for name in builders}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--functions", type=int, default=20)
    parser.add_argument("--steps", type=int, default=3000, help="Adam steps of the network (default 3000)")
    parser.add_argument("--noise", default="0,0.01")
    args = parser.parse_args(argv)
    for noise in (float(value) for value in args.noise.split(",")):
        for name, row in measure(args.functions, noise, args.steps).items():
            print(f"noise {noise:<5g} {name:16} median error {row['median_error']:.5f}  "
                  f"median seconds {row['median_seconds']:.2f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
