"""Symbolic-regression engines the Feynman benchmark can run, by name.

This module has one concern: wrap each engine behind the same call,
``engine(train, target, time_limit, seed, *, noise=0.0) -> str``, returning
the chosen model as a string in the data's column names that
:func:`bench.exact_match.parse_expression` reads. Every engine imports its
library inside the function, so the benchmark starts without them and a
worker process only loads the engine it runs. Scoring is left to
:mod:`bench.exact_match`.
"""

from __future__ import annotations

import difflib
import importlib.util
import math
import re
import time
from collections.abc import Callable

import numpy as np
import pandas as pd

#: ``(train, target, time_limit, seed, *, noise) -> model string``.
Engine = Callable[..., str]


class EngineUnavailable(RuntimeError):
    """The engine's library is not installed; the message says how to get it."""


def fit_hypo(
    train: pd.DataFrame, target: str, time_limit: float, seed: int, *, noise: float = 0.0,
    knowledge: str | None = None, world_model: bool = False, decompose: bool = True, workers: int = 1,
) -> tuple[str, dict]:
    """Run hypo; return its best expression and that law's posterior probability.

    ``noise`` is not passed on: hypo estimates the noise level itself.
    ``knowledge`` is a knowledge file (the ``--units`` runs).
    """
    import hypo

    result = hypo.fit(train, target=target, knowledge=knowledge, time_limit=time_limit, seed=seed,
                      progress=False, world_model=world_model, decompose=decompose, workers=workers)
    extras = {"probability": float(result.best.posterior),
              "decompositions": len(result.stats.get("decompositions", ())),
              "search_workers": result.stats.get("search_workers", {}).get("workers", 1)}
    if world_model:
        extras["world_model_best"] = bool(result.stats.get("world_model_best", False))
        extras["world_model_laws"] = int(result.stats.get("world_model_laws", 0))
        extras["world_model_proposed"] = int(result.stats.get("world_model_proposed", 0))
        extras["world_model_entered"] = int(result.stats.get("world_model_entered", 0))
    return str(result.best.expression), extras


def fit_hypo_with_world_model(train: pd.DataFrame, target: str, time_limit: float, seed: int, *,
                              noise: float = 0.0, knowledge: str | None = None) -> tuple[str, dict]:
    """hypo with the world model on: the other arm of the world-model ablation."""
    return fit_hypo(train, target, time_limit, seed, noise=noise, knowledge=knowledge, world_model=True)


def _with_world_model_roles(roles: tuple[str, ...]) -> Engine:
    """hypo with only some of the world model's roles (``hypo.phases.WORLD_MODEL_ROLES``), to measure each alone."""
    def engine(train: pd.DataFrame, target: str, time_limit: float, seed: int, *, noise: float = 0.0,
               knowledge: str | None = None) -> tuple[str, dict]:
        import hypo.phases

        hypo.phases.WORLD_MODEL_ROLES = roles  # each fit runs in a process of its own
        return fit_hypo(train, target, time_limit, seed, noise=noise, knowledge=knowledge, world_model=True)
    engine.__doc__ = f"hypo with the world model's {' and '.join(roles)} only"
    return engine


def fit_hypo_without_decomposition(train: pd.DataFrame, target: str, time_limit: float, seed: int, *,
                                   noise: float = 0.0, knowledge: str | None = None) -> tuple[str, dict]:
    """hypo without the symmetry sub-problems: the other arm of their ablation."""
    return fit_hypo(train, target, time_limit, seed, noise=noise, knowledge=knowledge, decompose=False)


def fit_hypo_on_two_workers(train: pd.DataFrame, target: str, time_limit: float, seed: int, *,
                            noise: float = 0.0, knowledge: str | None = None) -> tuple[str, dict]:
    """hypo with the islands on two Dask workers: the other arm of the ``--workers`` ablation."""
    return fit_hypo(train, target, time_limit, seed, noise=noise, knowledge=knowledge, workers=2)


#: Operon's primitive set for the Feynman benchmark: the operators the FSRD
#: formulas use apart from arcsin/arccos (2 of 100), with ``square`` as a
#: cheap power. ``pow`` is left out because real-valued exponents of
#: negative intermediate values give NaN and steer the search to fractional
#: powers that never match exactly.
OPERON_SYMBOLS = "add,sub,mul,div,square,sqrt,exp,log,sin,cos,tanh,constant,variable"

#: Operon's MDL needs the noise standard deviation. On noise-free data we use
#: this fraction of RMS(y) instead of zero: a model whose error is below it is
#: indistinguishable from the truth after 3-decimal rounding anyway.
OPERON_NOISE_FLOOR = 1e-3

#: Digits Operon prints per constant: enough that the printed model predicts
#: like the fitted one; :func:`bench.exact_match.round_floats` rounds later.
OPERON_PRECISION = 10


def fit_pyoperon(
    train: pd.DataFrame, target: str, time_limit: float, seed: int, *, noise: float = 0.0
) -> str:
    """Run Operon (pyoperon's sklearn ``SymbolicRegressor``) as in SRBench.

    NSGA-II on (R², length); 10 Levenberg–Marquardt steps per individual; trees
    of at most 30 nodes; one thread; the model printed is the one of the final
    Pareto front with the smallest minimum description length, with the noise
    standard deviation ``noise * RMS(y)`` (floored) as its uncertainty.
    Generation and evaluation budgets are set out of reach so that the time
    limit ends the run.
    """
    try:
        from pyoperon.sklearn import SymbolicRegressor
    except ImportError as error:
        raise EngineUnavailable(
            "pyoperon is not installed; install it with `pip install pyoperon`"
        ) from error

    inputs = [column for column in train.columns if column != target]
    # pyoperon 0.6.2's wheel evaluates in float32 and rejects float64 targets
    # when it fits the linear scaling at the end, so both go in as float32.
    features = train[inputs].to_numpy(dtype=np.float32)
    output = train[target].to_numpy(dtype=np.float32)
    root_mean_square = math.sqrt(float(np.mean(output.astype(float) ** 2)))
    uncertainty = max(noise, OPERON_NOISE_FLOOR) * max(root_mean_square, 1e-12)
    regressor = SymbolicRegressor(
        allowed_symbols=OPERON_SYMBOLS,
        objectives=["r2", "length"],  # two objectives: pyoperon runs NSGA-II
        reinserter="keep-best",
        offspring_generator="basic",
        optimizer="lm",
        optimizer_iterations=10,
        max_length=30,
        n_threads=1,
        max_time=max(1, int(round(time_limit))),
        generations=10**9,
        max_evaluations=10**12,
        model_selection_criterion="minimum_description_length",
        uncertainty=[uncertainty],
        random_state=seed,
    )
    regressor.fit(features, output)
    text = regressor.get_model_string(regressor.model_, precision=OPERON_PRECISION, names=inputs)
    return operon_to_python(text)


def operon_to_python(text: str) -> str:
    """Rewrite Operon's infix output so that sympy parses it.

    Operon writes powers as ``a ^ b`` (always parenthesized) and otherwise uses
    names in :data:`bench.exact_match.FUNCTIONS`.
    """
    return text.replace("^", "**")


#: gplearn's function names, for its prefix programs, mapped to infix templates.
_GPLEARN_FUNCTIONS = {
    "add": "({0} + {1})", "sub": "({0} - {1})", "mul": "({0} * {1})",
    "div": "({0} / {1})", "sqrt": "sqrt(abs({0}))", "log": "log(abs({0}))",
    "neg": "(-{0})", "inv": "(1 / {0})", "abs": "abs({0})", "sin": "sin({0})",
    "cos": "cos({0})", "tan": "tan({0})",
}


def fit_gplearn(
    train: pd.DataFrame, target: str, time_limit: float, seed: int, *, noise: float = 0.0
) -> str:
    """Run gplearn's ``SymbolicRegressor``, one generation at a time until time is up.

    gplearn has no time limit of its own, so generations are added with
    ``warm_start`` while time remains. Its protected division and logarithm
    are printed as plain ones (they differ only where gplearn's guards fire).
    """
    if importlib.util.find_spec("gplearn") is None:
        raise EngineUnavailable(
            "gplearn is not installed; install it with `pip install gplearn` "
            "or drop it from --engine"
        )
    from gplearn.genetic import SymbolicRegressor

    inputs = [column for column in train.columns if column != target]
    regressor = SymbolicRegressor(
        population_size=1000,
        generations=1,
        function_set=tuple(_GPLEARN_FUNCTIONS),
        warm_start=True,
        random_state=seed,
        n_jobs=1,
    )
    deadline = time.monotonic() + time_limit
    generation = 1
    while True:
        regressor.set_params(generations=generation)
        regressor.fit(train[inputs].to_numpy(), train[target].to_numpy())
        generation += 1
        if time.monotonic() >= deadline:
            break
    return gplearn_to_python(str(regressor._program), inputs)


def gplearn_to_python(program: str, inputs: list[str]) -> str:
    """Turn a gplearn prefix program (``add(X0, mul(X1, 0.5))``) into infix text."""
    tokens = re.findall(r"[A-Za-z_][A-Za-z_0-9]*|-?\d+\.?\d*(?:e-?\d+)?|[(),]", program)
    position = 0

    def read() -> str:
        nonlocal position
        token = tokens[position]
        position += 1
        if token in _GPLEARN_FUNCTIONS:
            position += 1  # "("
            arguments = [read()]
            while tokens[position] == ",":
                position += 1
                arguments.append(read())
            position += 1  # ")"
            return _GPLEARN_FUNCTIONS[token].format(*arguments)
        if re.fullmatch(r"X\d+", token):
            return inputs[int(token[1:])]
        return f"({token})"

    return read()


#: Engines by the name ``--engine`` takes.
ENGINES: dict[str, Engine] = {
    "hypo": fit_hypo,
    "hypo-wm": fit_hypo_with_world_model,
    "hypo-wm-proposals": _with_world_model_roles(("proposals",)),
    "hypo-wm-prior": _with_world_model_roles(("prior",)),
    "hypo-wm-mutations": _with_world_model_roles(("mutations",)),
    "hypo-wm-fixed": _with_world_model_roles(("proposals", "prior", "mutations")),
    "hypo-nodc": fit_hypo_without_decomposition,
    "hypo-w2": fit_hypo_on_two_workers,
    "pyoperon": fit_pyoperon,
    "gplearn": fit_gplearn,
}

#: The Python module each engine needs, to check availability before a run.
ENGINE_MODULES = {name: "hypo" for name in ENGINES if name.startswith("hypo")} | {"pyoperon": "pyoperon",
                                                                                  "gplearn": "gplearn"}


def get_engine(name: str) -> Engine:
    """Look an engine up by name.

    Raises
    ------
    KeyError
        If the name is unknown; the message lists the known names.
    """
    if name not in ENGINES:
        hints = difflib.get_close_matches(name, ENGINES, n=1)
        hint = f"; did you mean {hints[0]!r}?" if hints else ""
        raise KeyError(f"unknown engine {name!r}{hint} Known engines: {', '.join(ENGINES)}")
    return ENGINES[name]


def unavailable_reason(name: str) -> str | None:
    """Why an engine cannot run here, or None when its library is importable.

    Only looks for the module (no import), so it is cheap to call in the
    benchmark's parent process.
    """
    module = ENGINE_MODULES[name]
    if importlib.util.find_spec(module) is None:
        return f"engine {name!r} is unavailable: {module} is not installed (pip install {module})"
    return None
