"""The Feynman Symbolic Regression Database as Python objects, and its data sets.

This module has one concern: turn the two FSRD tables (``FeynmanEquations.csv``
and ``units.csv``, see ``shared/benchmarks/feynman/SOURCE.md``) into frozen
:class:`FeynmanProblem` records with a sympy ground truth, and sample data
sets from them. It repairs the two known typos of the tables when loading
(the wrong ``# variables`` column and the sign of ``mu_drift``) and leaves the
CSV files untouched. Judging a model against the truth is left to
:mod:`bench.exact_match`; running engines is left to :mod:`bench.feynman`.
"""

from __future__ import annotations

import difflib
import functools
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import sympy

from bench.exact_match import evaluate_expression, parse_expression

#: Environment variable that points at a folder holding the two FSRD tables;
#: it overrides the copy in ``shared/`` beside the repository.
FEYNMAN_DIR_VARIABLE = "HYPO_FEYNMAN_DIR"

#: Base units of ``units.csv``, in its column order. ``T`` in the file is the
#: kelvin; the pint spelling of each is given in :data:`PINT_BASE_UNITS`.
UNIT_COLUMNS = ("m", "s", "kg", "T", "V")
PINT_BASE_UNITS = ("m", "s", "kg", "K", "V")

#: The one dimensional error in ``units.csv`` (SOURCE.md): the drift velocity
#: constant is a mobility-like quantity, s / kg, not kg / s.
UNIT_FIXES = {"mu_drift": (0, 1, -1, 0, 0)}

#: The FSRD has ten variable slots per row.
MAX_VARIABLES = 10


@dataclass(frozen=True)
class FeynmanProblem:
    """One equation of the FSRD.

    Attributes
    ----------
    id : str
        Equation identifier from the Feynman Lectures, e.g. ``"I.6.2a"``.
    number : int
        FSRD index, 1 to 100 (not in file order).
    output : str
        Name of the output variable, used as the target column name.
    formula : str
        The formula as written in the table (NumPy spelling: ``arcsin``, ``ln``).
    variables : tuple of (str, float, float)
        ``(name, low, high)`` of every input, in table order. Counted from the
        non-empty name cells, because the ``# variables`` column is wrong for
        six rows.
    """

    id: str
    number: int
    output: str
    formula: str
    variables: tuple[tuple[str, float, float], ...]

    @property
    def variable_names(self) -> tuple[str, ...]:
        """Names of the inputs, in table order (the data set's column order)."""
        return tuple(name for name, _, _ in self.variables)

    @property
    def n_variables(self) -> int:
        """Number of inputs."""
        return len(self.variables)

    @functools.cached_property
    def symbols(self) -> dict[str, sympy.Symbol]:
        """One sympy symbol per input, with the sign its sampling range implies.

        A symbol is declared positive when its low bound is above zero and
        nonnegative when it is zero, so that simplify may use
        ``sqrt(x**2) == x``. Model strings must be parsed with these same
        symbols, otherwise sympy would treat them as different variables.
        """
        return {name: _make_symbol(name, low) for name, low, _ in self.variables}

    @functools.cached_property
    def expression(self) -> sympy.Expr:
        """The ground truth as a sympy expression in :attr:`symbols`."""
        return parse_expression(self.formula, self.symbols)


def _make_symbol(name: str, low: float) -> sympy.Symbol:
    if low > 0:
        return sympy.Symbol(name, positive=True)
    if low == 0:
        return sympy.Symbol(name, nonnegative=True)
    return sympy.Symbol(name, real=True)


def feynman_dir() -> Path:
    """Folder holding ``FeynmanEquations.csv`` and ``units.csv``.

    Returns
    -------
    pathlib.Path
        ``$HYPO_FEYNMAN_DIR`` when set, else ``shared/benchmarks/feynman``
        beside the repository root (the layout of the project's workspace).
    """
    override = os.environ.get(FEYNMAN_DIR_VARIABLE)
    if override:
        return Path(override)
    return Path(__file__).resolve().parents[1].parent / "shared" / "benchmarks" / "feynman"


def _table_path(directory: Path | None, filename: str) -> Path:
    path = (directory if directory is not None else feynman_dir()) / filename
    if not path.is_file():
        raise FileNotFoundError(
            f"FSRD table not found at {path}; set {FEYNMAN_DIR_VARIABLE} to the "
            "folder that holds FeynmanEquations.csv and units.csv"
        )
    return path


def load_problems(directory: Path | None = None) -> list[FeynmanProblem]:
    """Read every equation of ``FeynmanEquations.csv``, in file order.

    Parameters
    ----------
    directory : pathlib.Path, optional
        Folder of the tables; defaults to :func:`feynman_dir`.

    Returns
    -------
    list of FeynmanProblem
        The 100 problems.

    Examples
    --------
    >>> problems = load_problems()
    >>> problems[0].id, problems[0].variable_names
    ('I.6.2a', ('theta',))
    """
    table = pd.read_csv(_table_path(directory, "FeynmanEquations.csv"), dtype=str)
    problems = []
    for row in table.to_dict("records"):
        variables = []
        for slot in range(1, MAX_VARIABLES + 1):
            name = row.get(f"v{slot}_name")
            if not isinstance(name, str) or not name.strip():
                continue
            variables.append(
                (name.strip(), float(row[f"v{slot}_low"]), float(row[f"v{slot}_high"]))
            )
        problems.append(
            FeynmanProblem(
                id=row["Filename"].strip(),
                number=int(row["Number"]),
                output=row["Output"].strip(),
                formula=row["Formula"].strip(),
                variables=tuple(variables),
            )
        )
    return problems


def load_units(directory: Path | None = None) -> dict[str, tuple[int, int, int, int, int]]:
    """Read ``units.csv`` as exponents of (m, s, kg, K, V) per variable name.

    The ``mu_drift`` row is corrected (see :data:`UNIT_FIXES`).

    Parameters
    ----------
    directory : pathlib.Path, optional
        Folder of the tables; defaults to :func:`feynman_dir`.

    Returns
    -------
    dict
        Variable name to a tuple of five integer exponents.
    """
    table = pd.read_csv(_table_path(directory, "units.csv"))
    units = {
        str(row["Variable"]).strip(): tuple(int(row[column]) for column in UNIT_COLUMNS)
        for row in table.to_dict("records")
    }
    units.update(UNIT_FIXES)
    return units


def pint_unit_string(exponents: Sequence[int]) -> str:
    """Spell unit exponents the way pint parses them.

    Parameters
    ----------
    exponents : sequence of int
        Exponents of (m, s, kg, K, V), as returned by :func:`load_units`.

    Returns
    -------
    str
        e.g. ``"m**2 * s**-2 * kg"``, or ``"dimensionless"``.
    """
    factors = []
    for unit, exponent in zip(PINT_BASE_UNITS, exponents, strict=True):
        if exponent == 1:
            factors.append(unit)
        elif exponent != 0:
            factors.append(f"{unit}**{exponent}")
    return " * ".join(factors) if factors else "dimensionless"


def select_problems(
    problems: Sequence[FeynmanProblem], selection: str | None
) -> list[FeynmanProblem]:
    """Pick problems by a comma list of ids, a count, or a ``start:stop`` slice.

    Parameters
    ----------
    problems : sequence of FeynmanProblem
        All problems, in file order.
    selection : str or None
        ``"I.6.2a,I.12.1"`` (ids), ``"10"`` (the first ten) or ``"10:20"``
        (file positions 10 to 19). None or empty selects all.

    Returns
    -------
    list of FeynmanProblem

    Raises
    ------
    ValueError
        If an id is unknown; the message suggests close matches.
    """
    if not selection:
        return list(problems)
    selection = selection.strip()
    if selection.isdigit():
        return list(problems[: int(selection)])
    if ":" in selection and all(part.strip().isdigit() or not part.strip() for part in selection.split(":")):
        start, _, stop = selection.partition(":")
        return list(problems[slice(int(start) if start.strip() else None, int(stop) if stop.strip() else None)])
    by_id = {problem.id: problem for problem in problems}
    chosen = []
    for wanted in (part.strip() for part in selection.split(",") if part.strip()):
        if wanted not in by_id:
            hints = difflib.get_close_matches(wanted, by_id, n=3)
            raise ValueError(
                f"unknown Feynman problem id {wanted!r}"
                + (f"; did you mean {', '.join(hints)}?" if hints else "")
            )
        chosen.append(by_id[wanted])
    return chosen


def make_dataset(
    problem: FeynmanProblem,
    n_rows: int = 1000,
    seed: int | Sequence[int] = 0,
    noise: float = 0.0,
) -> pd.DataFrame:
    """Sample a data set the way the FSRD was made, optionally with noise.

    Every input is drawn independently and uniformly in ``[low, high]`` and
    the output is computed from the formula. With ``noise > 0`` Gaussian noise
    of standard deviation ``noise * RMS(y)`` is added to the output, the
    SRBench convention (so ``noise=0.01`` is "1 % noise").

    Parameters
    ----------
    problem : FeynmanProblem
    n_rows : int, default 1000
    seed : int or sequence of int, default 0
        Passed to :func:`numpy.random.default_rng`; a sequence lets callers
        derive independent streams (``[seed, problem.number, split]``).
    noise : float, default 0.0
        Relative noise level.

    Returns
    -------
    pandas.DataFrame
        One column per input, in table order, then the output column.
    """
    rng = np.random.default_rng(seed)
    columns = {
        name: rng.uniform(low, high, size=n_rows) for name, low, high in problem.variables
    }
    output = evaluate_expression(problem.expression, columns)
    if noise > 0:
        root_mean_square = math.sqrt(float(np.mean(output**2)))
        output = output + rng.normal(0.0, noise * root_mean_square, size=n_rows)
    frame = pd.DataFrame(columns)
    frame[problem.output] = output
    return frame


def make_train_test(
    problem: FeynmanProblem,
    n_rows: int = 1000,
    seed: int = 0,
    noise: float = 0.0,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Training set (noisy when asked) and a noise-free test set of equal size.

    The two sets use independent random streams derived from ``(seed,
    problem.number)``, so every engine sees identical data for a problem and
    problems do not share samples. As in SRBench, noise is added to the
    training target only; the test set measures recovery of the true law.

    Returns
    -------
    (pandas.DataFrame, pandas.DataFrame)
        ``(train, test)``.
    """
    train = make_dataset(problem, n_rows, seed=[seed, problem.number, 0], noise=noise)
    test = make_dataset(problem, n_rows, seed=[seed, problem.number, 1], noise=0.0)
    return train, test
