"""Loading and validating a training set: CSV file or DataFrame to :class:`Dataset`.

This module's one job is the boundary between the user's table and the
engine.  Everything that can be wrong with a table is checked here, once,
and reported as a one-line :class:`~hypo.errors.DataError` naming the file,
the column and (for CSV files) the line, so that nothing downstream has to
guard against strings, duplicate names or missing values.

What is *not* checked here: whether the columns agree with a knowledge file
(see :meth:`knowledge.Knowledge.check_columns`) and whether the target is
constant (a constant target is a valid, if boring, law that the engine
reports).
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from hypo.csv_table import Table, read_csv, read_header
from hypo.errors import DataError, did_you_mean
from hypo.memory import rows_within
from hypo.operators import NAMED_CONSTANTS, OPERATORS, RESERVED_NAMES

__all__ = ["Dataset", "load_dataset", "column_name_problem"]

DATAFRAME_SOURCE = "<DataFrame>"
"""The ``source`` recorded for data passed as a :class:`pandas.DataFrame`."""


@dataclass(frozen=True, eq=False)
class Dataset:
    """A validated training set: finite float64 features and target.

    Parameters
    ----------
    X : numpy.ndarray
        Features, shape ``(n_rows, n_features)``, float64, all finite.
        Stored column-major so that each column (one variable of an
        expression) is a contiguous array.
    y : numpy.ndarray
        Target, shape ``(n_rows,)``, float64, all finite.
    feature_names : tuple of str
        Column name of each column of ``X``; valid Python identifiers that
        do not clash with operator or constant names.
    target : str
        Column name of ``y``.
    source : str
        Path of the CSV file, or ``"<DataFrame>"``.
    n_dropped : int
        Rows dropped because a used column held NaN or +-inf; the caller
        decides how to warn about them.

    Notes
    -----
    ``eq=False``: comparing arrays element-wise has no single truth value,
    so datasets compare by identity.
    """

    X: np.ndarray
    y: np.ndarray
    feature_names: tuple[str, ...]
    target: str
    source: str
    n_dropped: int = 0
    notes: tuple[str, ...] = ()
    """What reading left out (rows past the reading deadline or over the
    memory allowed), for the fit's notes."""

    def __post_init__(self) -> None:
        if self.X.ndim != 2 or self.y.ndim != 1 or self.X.shape[0] != self.y.shape[0]:
            raise ValueError(
                f"X must be (n_rows, n_features) and y (n_rows,); got {self.X.shape} and {self.y.shape}"
            )
        if self.X.shape[1] != len(self.feature_names):
            raise ValueError(
                f"X has {self.X.shape[1]} columns but {len(self.feature_names)} feature names were given"
            )

    @property
    def n_rows(self) -> int:
        """Number of rows (samples) kept after dropping non-finite ones."""
        return int(self.y.shape[0])

    @property
    def n_features(self) -> int:
        """Number of feature columns."""
        return len(self.feature_names)

    def columns(self) -> dict[str, np.ndarray]:
        """Feature columns by name, as views into ``X`` (no copies).

        Expression evaluation looks variables up by name, so this is the
        mapping it needs.
        """
        return {name: self.X[:, index] for index, name in enumerate(self.feature_names)}


def column_name_problem(name: object) -> str | None:
    """Say why ``name`` cannot name a variable, or return ``None`` if it can.

    A variable name must be a Python identifier (expressions are printed and
    parsed as Python/sympy code), must not be a Python keyword, and must not
    clash with an operator or named constant of :mod:`hypo.operators`.

    Parameters
    ----------
    name : object
        A column name; non-strings (pandas allows integer column labels) are
        always a problem.

    Returns
    -------
    str | None
        A clause such as ``'"lambda" is a Python keyword; rename it, e.g. to
        "lambda_1"'``, or ``None``.

    Examples
    --------
    >>> column_name_problem("a") is None
    True
    >>> column_name_problem("log")
    '"log" is the name of the operator log(); rename the column, e.g. to "log_1"'
    """
    if not isinstance(name, str):
        return f"column label {name!r} is not a string; rename it, e.g. to \"x_{name}\""
    if name == "":
        return "a column has an empty name; give every column a name in the header line"
    if not name.isidentifier():
        suggestion = re.sub(r"\W+", "_", name.strip()).strip("_") or "x"
        if not suggestion.isidentifier():
            suggestion = f"x_{suggestion}"
        return (
            f'"{name}" is not a valid variable name (use letters, digits and _, not starting '
            f'with a digit); rename the column, e.g. to "{suggestion}"'
        )
    if keyword.iskeyword(name):
        return f'"{name}" is a Python keyword; rename the column, e.g. to "{name}_1"'
    if name in RESERVED_NAMES:
        if name in OPERATORS:
            what = f"the operator {name}()"
        elif name in NAMED_CONSTANTS:
            what = f"the constant {name}"
        else:
            what = f"a reserved function name ({name})"
        return f'"{name}" is the name of {what}; rename the column, e.g. to "{name}_1"'
    return None


def load_dataset(
    data: str | Path | pd.DataFrame,
    target: str,
    features: Sequence[str] | None = None,
    min_rows: int = 5,
    deadline: float | None = None,
    max_memory: int | None = None,
    seed: int = 0,
) -> Dataset:
    """Read and validate a training set.

    Parameters
    ----------
    data : str, pathlib.Path or pandas.DataFrame
        A CSV file with one header line of column names, or a data frame.
    target : str
        Name of the column to explain.
    features : sequence of str, optional
        Columns the law may use.  By default every column except the target,
        in file order.
    min_rows : int, default 5
        Fewest usable rows accepted: below this a fit says nothing.
    deadline : float, optional
        ``time.perf_counter()`` time by which a CSV file must be read: the
        rows read by then are used (``Dataset.notes`` says so).
    max_memory : int, optional
        Bytes a fit may use (``hypo.memory``): past the rows that allows, a
        uniform random sample of them (drawn with ``seed``) is used.

    Returns
    -------
    Dataset
        Finite float64 data.  Rows with NaN or +-inf in a used column are
        dropped and counted in ``n_dropped``.

    Raises
    ------
    DataError
        If the file is missing, unreadable, empty or malformed; a column name
        is duplicated, unknown, not an identifier or reserved; a used column
        is not numeric; or fewer than ``min_rows`` usable rows remain.

    Examples
    --------
    >>> frame = pd.DataFrame({"x": [1.0, 2, 3, 4, 5], "y": [2.0, 4, 6, 8, 10]})
    >>> dataset = load_dataset(frame, target="y")
    >>> dataset.feature_names, dataset.n_rows
    (('x',), 5)
    """
    if isinstance(min_rows, bool) or not isinstance(min_rows, int) or min_rows < 1:
        raise ValueError(f"min_rows must be a positive integer, got {min_rows!r}")
    if isinstance(features, str):
        raise TypeError(f"features must be a list of column names, got the string {features!r}")
    table = _read_table(data, target, features, deadline, max_memory, seed)
    used = _choose_columns(list(table.frame.columns), table.source, target, features)
    for name in used:
        problem = column_name_problem(name)
        if problem is not None:
            raise DataError(problem, path=table.source, column=str(name))
    # one array in column order: the features' part is already the Fortran-ordered X
    values = np.empty((len(table.frame), len(used)), order="F")
    for index, name in enumerate(used):
        values[:, index] = _numeric_column(table, name)
    return _drop_non_finite(table, values, used, min_rows)


def _read_table(data: str | Path | pd.DataFrame, target: str, features, deadline: float | None,
                max_memory: int | None, seed: int) -> Table:
    """Dispatch on the input type; DataFrames are checked, never copied twice.
    Of a CSV file only the columns used are read."""
    if isinstance(data, pd.DataFrame):
        duplicated = data.columns[data.columns.duplicated()]
        if len(duplicated):
            raise DataError(
                f'column "{duplicated[0]}" appears more than once; give every column a distinct name',
                path=DATAFRAME_SOURCE,
                column=str(duplicated[0]),
            )
        return _sampled_frame(data, rows_within(max_memory, data.shape[1]), seed)
    if isinstance(data, (str, Path)):
        path = Path(data)
        header = read_header(path)
        used = _choose_columns(header, str(path), target, features)
        return read_csv(path, used, deadline, rows_within(max_memory, len(used)), seed, header)
    raise TypeError(f"data must be a CSV path or a pandas DataFrame, got {type(data).__name__}")


def _sampled_frame(frame: pd.DataFrame, max_rows: int | None, seed: int) -> Table:
    """A data frame as a table: a uniform sample of ``max_rows`` of its rows
    when it has more."""
    if max_rows is None or len(frame) <= max_rows:
        return Table(frame, DATAFRAME_SOURCE, None)
    kept = np.sort(np.random.default_rng(seed).choice(len(frame), max_rows, replace=False))
    note = (f"fitted a uniform random sample of {max_rows:,} of the data frame's {len(frame):,} rows, "
            "to stay within the memory allowed (raise max_memory to use them all)")
    return Table(frame.iloc[kept], DATAFRAME_SOURCE, None, (note,))


def _choose_columns(columns: list, source: str, target: str, features: Sequence[str] | None) -> list:
    """Return ``[*features, target]`` after checking every name exists."""
    names = [str(column) for column in columns]
    if target not in columns:
        several = "," in str(target) and all(part.strip() in names for part in str(target).split(","))
        advice = (f"one fit explains one column; fit several with hypo fit-many FILE --targets {target}"
                  if several else f"the columns are: {_listed(names)}")
        raise DataError(
            f'target column "{target}" not found{"" if several else did_you_mean(target, names)}; {advice}',
            path=source,
            column=str(target),
        )
    if features is None:
        chosen = [column for column in columns if column != target]
    else:
        chosen = list(features)
        for name in chosen:
            if name not in columns:
                raise DataError(
                    f'feature column "{name}" not found{did_you_mean(name, names)}; '
                    f"the columns are: {_listed(names)}",
                    path=source,
                    column=str(name),
                )
        if target in chosen:
            raise DataError(
                f'"{target}" is both the target and a feature; remove it from the features',
                path=source,
                column=str(target),
            )
        if len(set(chosen)) != len(chosen):
            repeated = next(name for name in chosen if chosen.count(name) > 1)
            raise DataError(
                f'feature "{repeated}" is listed twice; list each feature once',
                path=source,
                column=str(repeated),
            )
    if not chosen:
        raise DataError(
            f'no feature columns: the only column used is the target "{target}"; '
            "add at least one column of inputs",
            path=source,
        )
    return [*chosen, target]


LISTED_COLUMNS = 20


def _listed(names: list[str]) -> str:
    """The column names for a message, the first few when there are many."""
    if len(names) <= LISTED_COLUMNS:
        return ", ".join(names)
    return f"{', '.join(names[:LISTED_COLUMNS])}, ... ({len(names)} in all)"


def _numeric_column(table: Table, name) -> np.ndarray:
    """Return column ``name`` as float64, or say where its first non-number is."""
    column = table.frame[name]
    if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
        return column.to_numpy(dtype=np.float64, na_value=np.nan)
    if pd.api.types.is_bool_dtype(column):
        numeric = pd.Series(np.nan, index=column.index)
    else:
        numeric = pd.to_numeric(column, errors="coerce")
    offending = np.flatnonzero((column.notna() & numeric.isna()).to_numpy())
    if offending.size == 0:  # e.g. an object column that holds only numbers.
        return numeric.to_numpy(dtype=np.float64, na_value=np.nan)
    position = int(offending[0])
    line, where = table.where(position)
    raise DataError(
        f'column "{name}" is not numeric: {where} has "{column.iloc[position]}"; '
        "hypo needs numbers in every column it uses: fix the value, "
        "or leave the column out of the features",
        path=table.source,
        column=str(name),
        line=line,
    )


def _drop_non_finite(table: Table, values: np.ndarray, used: list, min_rows: int) -> Dataset:
    """Drop rows with NaN/inf in the used columns and enforce ``min_rows``."""
    n_rows = values.shape[0]
    if n_rows < min_rows:
        raise DataError(
            f"has {n_rows} data row{'' if n_rows == 1 else 's'}; "
            f"at least {min_rows} are needed to fit and check a law",
            path=table.source,
        )
    finite = np.isfinite(values).all(axis=1)
    n_kept = int(finite.sum())
    if n_kept < min_rows:
        first_line, first_where = table.where(int(np.flatnonzero(~finite)[0]))
        raise DataError(
            f"only {n_kept} of {n_rows} rows are usable: {n_rows - n_kept} have a missing (NaN) "
            f"or infinite value in the columns used ({', '.join(map(str, used))}), the first on "
            f"{first_where}; at least {min_rows} usable rows are needed, so fill in or remove them",
            path=table.source,
            line=first_line,
        )
    kept = values if n_kept == n_rows else np.asfortranarray(values[finite])
    return Dataset(
        X=np.asfortranarray(kept[:, :-1]),
        y=np.ascontiguousarray(kept[:, -1]),
        feature_names=tuple(str(name) for name in used[:-1]),
        target=str(used[-1]),
        source=table.source,
        n_dropped=n_rows - n_kept,
        notes=table.notes,
    )
