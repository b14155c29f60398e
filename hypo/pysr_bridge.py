"""PySR under hypo's knowledge and posterior: the knowledge K as
``PySRRegressor`` options, and a PySR hall of fame read back as laws that
hypo refits, filters by the hard rules and ranks by its posterior.

PySR runs in Julia, which these build machines cannot download, so the
translation and the reading of a saved hall of fame are plain Python and
tested always; :func:`run_pysr` needs ``pysr`` and a Julia installation and
says so in one line when either is missing.
"""

from __future__ import annotations

import csv
import math
import os
import re
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hypo.errors import HypoError
from hypo.expr import Expr
from hypo.printing import ParseError, parse
from knowledge import Knowledge
from knowledge.units import dimension_vector

BINARY_NAMES = {"add": "+", "sub": "-", "mul": "*", "div": "/", "pow": "^"}
"""hypo's binary operators as PySR (Julia) writes them; unary ones share names."""

UNARY_NAMES = ("neg", "square", "cube", "inv", "sqrt", "exp", "log", "sin", "cos", "tan", "tanh",
               "asin", "acos", "atan", "abs")

SI_SYMBOLS = {"[mass]": "kg", "[length]": "m", "[time]": "s", "[current]": "A", "[temperature]": "K",
              "[substance]": "mol", "[luminosity]": "cd"}

DIMENSION_PENALTY = 1000.0
"""PySR's loss added to a law whose units do not match, when units bind:
large, because hypo drops such laws anyway when it re-scores them."""


@dataclass(frozen=True)
class PySRSettings:
    """What ``knowledge`` says, as ``PySRRegressor(**regressor).fit(X, y, **fit)``."""

    regressor: dict
    fit: dict


def pysr_settings(knowledge: Knowledge, feature_names: Sequence[str], target: str, max_size: int = 30,
                  operators: Sequence[str] | None = None, time_limit: float | None = None,
                  seed: int | None = None) -> PySRSettings:
    """The PySR run that searches the space ``knowledge`` allows.

    Operators (allowed minus forbidden), their complexities, the nesting
    limits (PySR's ``nested_constraints`` has hypo's meaning: at most N
    inner nodes below each outer one), the largest law, and the units of
    the inputs and the target when the file declares them (a penalty on
    inconsistent laws when units bind).
    """
    names = tuple(operators) if operators is not None else knowledge.operator_names()
    unknown = [name for name in names if name not in BINARY_NAMES and name not in UNARY_NAMES]
    if unknown:
        raise HypoError(f"operator(s) {', '.join(unknown)} have no PySR equivalent; leave them out to use "
                        "--engine pysr")
    options = {
        "binary_operators": [BINARY_NAMES[name] for name in names if name in BINARY_NAMES],
        "unary_operators": [name for name in names if name in UNARY_NAMES],
        "maxsize": int(min([max_size, *_hard_complexity_limits(knowledge)])),
    }
    if knowledge.nesting:
        options["nested_constraints"] = {_pysr_name(outer): {_pysr_name(inner): int(limit)
                                                             for inner, limit in inner_limits.items()}
                                         for outer, inner_limits in knowledge.nesting.items()}
    if knowledge.complexity_weights:
        options["complexity_of_operators"] = {_pysr_name(name): float(weight)
                                              for name, weight in knowledge.complexity_weights.items()
                                              if name in names and weight is not None}
    if "pow" in names:  # exponents are constants or small expressions, as hypo's grammar has them
        options["constraints"] = {"^": (-1, 1)}
    fit = {"variable_names": list(feature_names)}
    units = _units(knowledge, feature_names, target)
    if units is not None:
        fit["X_units"], fit["y_units"] = units
        if knowledge.units_bind:
            options["dimensional_constraint_penalty"] = DIMENSION_PENALTY
    if time_limit is not None and math.isfinite(time_limit):
        options["timeout_in_seconds"] = float(time_limit)
    if seed is not None:  # PySR is reproducible only serially
        options.update(random_state=int(seed), deterministic=True, parallelism="serial")
    return PySRSettings(options, fit)


def _hard_complexity_limits(knowledge: Knowledge) -> list[int]:
    """``max_complexity`` rules with weight ``hard``: PySR's ``maxsize`` too."""
    return [int(parameters["limit"]) for name, parameters, weight in knowledge.rules
            if name == "max_complexity" and math.isinf(weight)]


def _pysr_name(name: str) -> str:
    return BINARY_NAMES.get(name, name)


def _units(knowledge: Knowledge, feature_names: Sequence[str], target: str):
    """Units as SI text PySR reads (``"kg*m*s^(-2)"``), or None when the file
    leaves any input or the target without units."""
    variables = knowledge.variables
    if any(variables.get(name) is None or variables[name].units is None for name in (*feature_names, target)):
        return None
    return [si_text(variables[name].units) for name in feature_names], si_text(variables[target].units)


def si_text(unit) -> str:
    """A unit's dimension as SI base units in Julia syntax; ``"1"`` when dimensionless."""
    parts = []
    for dimension, exponent in sorted(dimension_vector(unit).items()):
        symbol = SI_SYMBOLS[dimension]
        power = int(exponent) if float(exponent).is_integer() else float(exponent)
        parts.append(symbol if power == 1 else f"{symbol}^({power})")
    return "*".join(parts) or "1"


def read_hall_of_fame(path: str | Path, feature_names: Sequence[str], constant_names: Sequence[str] = ()
                      ) -> tuple[list[Expr], list[str]]:
    """The laws of a PySR hall of fame (``hall_of_fame.csv``: Complexity,
    Loss, Equation) or of a text file with one formula per line, written
    in ``feature_names`` (or PySR's ``x0, x1, ...``); numbers become free
    constants hypo refits; the knowledge file's named constants may appear
    by name.  Returns the laws and a note per line skipped."""
    path = Path(path)
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise HypoError(f"{path}: no such file; give a PySR hall_of_fame.csv or a file of formulas, "
                        "one per line") from None
    except (OSError, UnicodeDecodeError) as error:
        raise HypoError(f"{path}: cannot read it ({error}); give a PySR hall_of_fame.csv or a text file") from None
    formulas = _formulas(text, path)
    laws, skipped = [], []
    renames = {f"x{i}": name for i, name in enumerate(feature_names)} if not _uses_names(formulas, feature_names) \
        else {}
    for line, formula in formulas:
        try:
            laws.append(parse(_hypo_syntax(formula, renames), [*feature_names, *constant_names]))
        except ParseError as error:
            skipped.append(f"{path}:{line}: skipped ({error})")
    if not laws:
        raise HypoError(f"{path}: no law could be read ({skipped[0] if skipped else 'the file is empty'}); "
                        "give a PySR hall_of_fame.csv or formulas in the data's column names")
    return laws, skipped


def _formulas(text: str, path: Path) -> list[tuple[int, str]]:
    lines = text.splitlines()
    header = next((line for line in lines if line.strip()), "")
    if "equation" not in header.lower():
        return [(i + 1, line.strip()) for i, line in enumerate(lines) if line.strip() and not line.startswith("#")]
    delimiter = "|" if header.count("|") > header.count(",") else ","
    reader = csv.DictReader(lines, delimiter=delimiter)
    column = next((name for name in reader.fieldnames or () if name.strip().lower() == "equation"), None)
    if column is None:
        raise HypoError(f"{path}:1: no Equation column; give the hall_of_fame.csv PySR writes")
    return [(reader.line_num, row[column].strip()) for row in reader if (row.get(column) or "").strip()]


def _uses_names(formulas: list[tuple[int, str]], feature_names: Sequence[str]) -> bool:
    """Whether the formulas are written in the column names, not ``x0, x1, ...``."""
    words = {word for _, formula in formulas for word in re.findall(r"[A-Za-z_]\w*", formula)}
    return bool(words & set(feature_names)) or not any(re.fullmatch(r"x\d+", word) for word in words)


def _hypo_syntax(formula: str, renames: dict[str, str]) -> str:
    """PySR's Julia-flavoured text as Python: ``^`` is a power, units in
    brackets after constants are dropped, ``x3`` becomes the fourth column."""
    text = re.sub(r"\[[^\]]*\]", "", formula).replace("^", "**")
    if renames:
        text = re.sub(r"\bx(\d+)\b", lambda m: renames.get(m.group(0), m.group(0)), text)
    return text


def julia_problem() -> str | None:
    """Why PySR cannot run here, or None when it can."""
    try:
        import importlib.util
        if importlib.util.find_spec("pysr") is None:
            return "the pysr package is not installed (pip install 'hypo[pysr]')"
    except (ImportError, ValueError):
        return "the pysr package cannot be imported"
    if not (shutil.which("julia") or os.environ.get("PYTHON_JULIAPKG_EXE") or os.environ.get("JULIA_BINDIR")):
        return "Julia is not installed (PySR runs in Julia; install it from julialang.org, it cannot be " \
               "downloaded on machines without internet)"
    return None


def check_pysr_runs() -> None:
    """A one-line error when PySR cannot run here."""
    problem = julia_problem()
    if problem is not None:
        raise HypoError(f"--engine pysr cannot run: {problem}; use --engine hypo, or --start-laws with a "
                        "hall_of_fame.csv PySR wrote elsewhere")


def run_pysr(X: np.ndarray, y: np.ndarray, settings: PySRSettings) -> list[str]:
    """Run PySR and return its hall of fame's equations, in the column names."""
    check_pysr_runs()
    from pysr import PySRRegressor  # imports Julia: only here

    model = PySRRegressor(**settings.regressor)
    model.fit(X, y, **settings.fit)
    return [str(equation) for equation in model.equations_["equation"]]


PYSR_SHARE = 0.7
"""Of the time limit, PySR's search; hypo re-scores its laws and searches on
in the rest."""


def outside_laws(data, target: str, settings: dict, run_engine: bool, start_file: str | None
                 ) -> tuple[dict, list[str]]:
    """``settings`` for :func:`hypo.api.fit` with the laws of a PySR run
    (``run_engine``) and of ``start_file`` as ``start_laws``, and the notes
    to show; the time limit left to hypo shrinks by PySR's share."""
    from hypo.data import load_dataset
    from hypo.fit_inputs import load_knowledge_argument

    if run_engine:
        check_pysr_runs()
    settings, notes, laws = dict(settings), [], []
    features = settings.get("features")
    knowledge = load_knowledge_argument(settings.get("knowledge"))
    constant_names = list(knowledge.constants)
    if run_engine:
        dataset = load_dataset(data, target=target, features=features)
        names = dataset.feature_names
        limit = settings.get("time_limit")
        pysr_limit = None if limit is None else PYSR_SHARE * limit
        options = pysr_settings(knowledge, names, target, settings.get("max_size", 30), None, pysr_limit,
                                settings.get("seed"))
        equations = run_pysr(dataset.X, dataset.y, options)
        for equation in equations:
            try:
                laws.append(parse(_hypo_syntax(equation, {}), [*names, *constant_names]))
            except ParseError as error:
                notes.append(f"PySR law skipped ({error})")
        notes.append(f"PySR proposed {len(equations)} laws in {pysr_limit:g} s; hypo re-scores them"
                     if pysr_limit else f"PySR proposed {len(equations)} laws; hypo re-scores them")
        if limit is not None:
            settings["time_limit"] = limit - pysr_limit
    else:
        names = _column_names(data, target, features, settings.get("sigma_column"))
    if start_file:
        read, skipped = read_hall_of_fame(start_file, names, constant_names)
        laws += read
        if skipped:
            notes.append(f"{len(skipped)} line(s) of {start_file} not read; the first: {skipped[0]}")
    settings["start_laws"] = laws
    return settings, notes


def _column_names(data, target: str, features, sigma_column) -> list[str]:
    """The inputs a fit of ``target`` will use, from the CSV's header alone."""
    if features:
        return list(features)
    import pandas as pd

    try:
        header = [str(name) for name in pd.read_csv(data, nrows=0).columns]
    except (OSError, ValueError) as error:
        raise HypoError(f"{data}: cannot read its header ({' '.join(str(error).split())}); give a CSV file "
                        "with a header line") from None
    return [name for name in header if name not in (target, sigma_column)]
