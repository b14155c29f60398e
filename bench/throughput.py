"""How many hypotheses per CPU-second: hypo beside pyoperon, in one process, one thread each.

Cases (``--cases``, default all):

``exact``, ``noisy``, ``kepler``
    A real search of ``--seconds`` (30) on y = x0*x1/(4*pi*x2**2) with 1,000
    rows (exact, then with 1% noise) and on ``examples/kepler.csv`` (with its
    knowledge file's operators and ``G``, its units not binding: with them
    the admissible structures of up to 30 nodes are so few that the search
    meets almost only known ones, 0.5% new among 400,000 proposals in 8 s,
    and structures per second measure the space, not the engine).  hypo runs with ``stop_early=False`` so that both
    engines search for the whole time; structures fitted per CPU-second are
    hypo's fits (``stats["evaluations"]``) and Operon's individuals
    (generations times its offspring pool of 1,000, plus the first
    population).  The early-stopping fit (the default) is timed as well.
``batch``
    10,000 random trees of Operon's balanced tree creator (about 25 nodes)
    on 1,000 rows: Operon's ``EvaluateTrees`` (float32) against hypo's
    compiled interpreter (float64) on the very same trees, best of five;
    the two must agree (relative 1e-3, where both are finite).
``rows``
    One hypo fit at 1,000,000 rows with ``max_evals`` 3,000: CPU
    milliseconds per fitted structure.

CPU time is ``time.process_time()`` of this process, so a busy machine
slows both engines alike; the printed numbers are ratios.  Usage::

    .venv/bin/python bench/throughput.py --seconds 30 --output bench/results/throughput.json
"""

from __future__ import annotations

import os

for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

import argparse  # noqa: E402
import math  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

ROOT = Path(__file__).resolve().parents[1]
OPERON_POPULATION = 1000
"""pyoperon's default population and offspring pool."""

REPEATS = 5
"""Timed repetitions of the batch evaluation (the best of each engine counts)."""


def search_case(name: str, seed: int = 0) -> tuple[pd.DataFrame, str, object]:
    """The data of a search case: frame, target, knowledge file."""
    if name == "kepler":
        from dataclasses import replace

        from knowledge import load_knowledge

        knowledge = replace(load_knowledge(ROOT / "examples" / "kepler.yaml"), units_bind=False)
        return pd.read_csv(ROOT / "examples" / "kepler.csv"), "T", knowledge
    rng = np.random.default_rng(seed)
    X = rng.uniform(1, 5, (1000, 3))
    y = X[:, 0] * X[:, 1] / (4 * np.pi * X[:, 2] ** 2)
    if name == "noisy":
        y = y + rng.normal(0, 0.01 * np.sqrt(np.mean(y**2)), len(y))
    return pd.DataFrame({"x0": X[:, 0], "x1": X[:, 1], "x2": X[:, 2], "y": y}), "y", None


def run_hypo(frame, target, knowledge, seconds: float, stop_early: bool) -> dict:
    import hypo

    started = time.process_time()
    wall = time.perf_counter()
    result = hypo.fit(frame, target=target, knowledge=knowledge, time_limit=seconds, seed=0,
                      stop_early=stop_early)
    cpu = time.process_time() - started
    return {"cpu_seconds": cpu, "wall_seconds": time.perf_counter() - wall,
            "structures": int(result.stats["evaluations"]), "per_cpu_second": result.stats["evaluations"] / cpu,
            "best": result.best.expression, "stop_reason": result.stats["stop_reason"]}


def run_operon(frame, target, seconds: float) -> dict:
    from pyoperon.sklearn import SymbolicRegressor

    from bench.engines import OPERON_NOISE_FLOOR, OPERON_SYMBOLS

    inputs = [c for c in frame.columns if c != target]
    X = frame[inputs].to_numpy(dtype=np.float32)
    y = frame[target].to_numpy(dtype=np.float32)
    rms = math.sqrt(float(np.mean(y.astype(float) ** 2)))
    regressor = SymbolicRegressor(
        allowed_symbols=OPERON_SYMBOLS, objectives=["r2", "length"], reinserter="keep-best",
        offspring_generator="basic", optimizer="lm", optimizer_iterations=10, max_length=30, n_threads=1,
        max_time=max(1, int(round(seconds))), generations=10**9, max_evaluations=10**12,
        model_selection_criterion="minimum_description_length", uncertainty=[OPERON_NOISE_FLOOR * rms],
        random_state=0, population_size=OPERON_POPULATION, pool_size=OPERON_POPULATION)
    started = time.process_time()
    regressor.fit(X, y)
    cpu = time.process_time() - started
    individuals = (int(regressor.stats_["generations"]) + 1) * OPERON_POPULATION
    return {"cpu_seconds": cpu, "structures": individuals, "per_cpu_second": individuals / cpu,
            "generations": int(regressor.stats_["generations"])}


def _operon_tree_to_expr(tree, names: dict):
    """An Operon tree as a hypo tree (Operon keeps its nodes in postfix order
    with the first operand nearest its operator)."""
    from hypo.expr import call, num, var

    operators = {"Add": "add", "Sub": "sub", "Mul": "mul", "Div": "div", "Exp": "exp", "Log": "log",
                 "Sin": "sin", "Cos": "cos", "Sqrt": "sqrt", "Square": "square", "Tanh": "tanh"}
    nodes = tree.Nodes

    def build(index):
        node = nodes[index]
        kind = node.Type.name
        if kind == "Variable":
            leaf = var(names[node.HashValue])
            return (leaf if node.Value == 1.0 else call("mul", num(float(node.Value)), leaf)), index - 1
        if kind == "Constant":
            return num(float(node.Value)), index - 1
        children, position = [], index - 1
        for _ in range(node.Arity):
            child, position = build(position)
            children.append(child)
        return call(operators[kind], *children), position

    return build(len(nodes) - 1)[0]


def batch_case(n_trees: int = 10_000, n_rows: int = 1000) -> dict:
    """Operon's and hypo's evaluation of the same random trees."""
    import pyoperon as operon
    from pyoperon.sklearn import _KNOWN_SYMBOLS

    from bench.engines import OPERON_SYMBOLS
    from hypo.kernels.evaluation import evaluate_batch, variables_by_row
    from hypo.program import ARITY, encode

    rng = np.random.default_rng(0)
    X = rng.uniform(0.5, 2.0, (n_rows, 5))
    dataset = operon.Dataset(np.asfortranarray(X))
    config = 0
    for symbol in OPERON_SYMBOLS.split(","):
        config |= int(_KNOWN_SYMBOLS[symbol])
    problem = operon.Problem(dataset)
    problem.ConfigurePrimitiveSet(config)
    primitives = problem.PrimitiveSet  # kept: the creator holds a reference to it
    variables = list(dataset.Variables)
    creator = operon.BalancedTreeCreator(primitives, [v.Hash for v in variables], 0.0)
    generator = operon.RandomGenerator(0)
    trees = [creator(generator, 25, 1, 10) for _ in range(n_trees)]
    result = np.zeros(n_trees * n_rows, dtype=np.float32)
    rows = operon.Range(0, n_rows)
    names = {v.Hash: v.Name for v in variables}
    exprs = [_operon_tree_to_expr(tree, names) for tree in trees]
    column_names = [v.Name for v in variables]
    batch = encode(exprs, column_names)
    X_rows = variables_by_row({name: X[:, i] for i, name in enumerate(column_names)}, column_names)
    out = np.empty((n_trees, n_rows))
    operon_seconds, hypo_seconds = math.inf, math.inf
    with np.errstate(all="ignore"):
        evaluate_batch(batch.ops, batch.args, batch.vals, batch.lengths, X_rows, ARITY, out)
        for _ in range(REPEATS):  # interleaved, best of each: the machine's load hits both alike
            started = time.process_time()
            operon.EvaluateTrees(trees, dataset, rows, result, 1)
            operon_seconds = min(operon_seconds, time.process_time() - started)
            started = time.process_time()
            evaluate_batch(batch.ops, batch.args, batch.vals, batch.lengths, X_rows, ARITY, out)
            hypo_seconds = min(hypo_seconds, time.process_time() - started)
    ours = out.astype(np.float32).ravel()
    both = np.isfinite(result) & np.isfinite(ours) & (np.abs(ours) < 1e30)
    agree = float(np.mean(np.abs(result[both] - ours[both]) <= 1e-3 * np.maximum(1.0, np.abs(ours[both]))))
    operon_nodes = sum(tree.Length for tree in trees) * n_rows
    return {"trees": n_trees, "rows": n_rows, "mean_operon_length": operon_nodes / n_rows / n_trees,
            "mean_hypo_length": float(batch.lengths.mean()), "operon_seconds": operon_seconds,
            "hypo_seconds": hypo_seconds, "operon_gnodes_per_second": operon_nodes / operon_seconds / 1e9,
            "hypo_gnodes_per_second": operon_nodes / hypo_seconds / 1e9, "ratio": operon_seconds / hypo_seconds,
            "agreement": agree}


def rows_case(n_rows: int = 1_000_000, max_evals: int = 3000) -> dict:
    import hypo

    rng = np.random.default_rng(0)
    X = rng.uniform(1, 5, (n_rows, 3))
    y = X[:, 0] * X[:, 1] / (4 * np.pi * X[:, 2] ** 2)
    y = y + rng.normal(0, 0.01 * np.sqrt(np.mean(y**2)), n_rows)
    frame = pd.DataFrame({"x0": X[:, 0], "x1": X[:, 1], "x2": X[:, 2], "y": y})
    started = time.process_time()
    result = hypo.fit(frame, target="y", time_limit=None, max_evals=max_evals, seed=0)
    cpu = time.process_time() - started
    return {"rows": n_rows, "structures": int(result.stats["evaluations"]), "cpu_seconds": cpu,
            "ms_per_structure": 1000 * cpu / result.stats["evaluations"], "best": result.best.expression}


def warm_up() -> None:
    """Load hypo's compiled kernels and imports before any timing."""
    import hypo

    frame, target, _ = search_case("noisy")
    hypo.fit(frame.iloc[:100], target=target, time_limit=None, max_evals=200, seed=0)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0, help="search time per engine and case (30)")
    parser.add_argument("--cases", default="exact,noisy,kepler,batch,rows")
    parser.add_argument("--output", help="write the results as JSON")
    args = parser.parse_args(argv)
    cases = [c.strip() for c in args.cases.split(",") if c.strip()]
    warm_up()
    report = {"seconds": args.seconds, "cases": {}}
    for case in cases:
        if case in ("exact", "noisy", "kepler"):
            frame, target, knowledge = search_case(case)
            early = run_hypo(frame, target, knowledge, args.seconds, stop_early=True)
            ours = run_hypo(frame, target, knowledge, args.seconds, stop_early=False)
            theirs = run_operon(frame, target, args.seconds)
            entry = {"hypo": ours, "hypo_default": early, "pyoperon": theirs,
                     "ratio": ours["per_cpu_second"] / theirs["per_cpu_second"]}
            print(f"{case:7s} hypo {ours['per_cpu_second']:9.0f} structures/CPU-s   pyoperon "
                  f"{theirs['per_cpu_second']:9.0f} individuals/CPU-s   ratio {entry['ratio']:.2f}   "
                  f"(default fit: {early['wall_seconds']:.1f} s, {early['stop_reason']})", flush=True)
        elif case == "batch":
            entry = batch_case()
            print(f"batch   hypo {entry['hypo_gnodes_per_second']:.2f} G node-evaluations/s (float64)   pyoperon "
                  f"{entry['operon_gnodes_per_second']:.2f} (float32)   ratio {entry['ratio']:.2f}   "
                  f"agreement {entry['agreement']:.4f}", flush=True)
        elif case == "rows":
            entry = rows_case()
            print(f"rows    {entry['rows']} rows: {entry['ms_per_structure']:.2f} CPU-ms per structure "
                  f"({entry['structures']} structures, {entry['cpu_seconds']:.1f} CPU-s)", flush=True)
        else:
            parser.error(f"unknown case {case!r}")
        report["cases"][case] = entry
    if args.output:
        from bench.feynman import write_json_atomically

        write_json_atomically(Path(args.output), report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
