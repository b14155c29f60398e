"""Judge a found model against a known law: the SRBench exact-recovery criterion.

This module has one concern: read a model string, compare it with the true
sympy expression and score it on test data. It follows SRBench (La Cava et
al., "Contemporary Symbolic Regression Methods and their Relative
Performance", NeurIPS 2021): floats in the model are rounded to 3 decimals
(those below 1e-4 in magnitude become 0), and the model is a *symbolic match*
when sympy simplifies ``model - truth`` to a constant or ``model / truth`` to
a nonzero constant. A model counts as *exact* when it is a symbolic match and
its test R² exceeds 0.5 (a guard against sympy mistakes on degenerate models).

Loading problems is left to :mod:`bench.feynman_problems` and running
engines to :mod:`bench.feynman`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
import sympy
from sympy.parsing.sympy_parser import parse_expr

from hypo.time_bound import TimeBoundExceeded as SimplifyTimeout
from hypo.time_bound import within_seconds as time_limit

#: Seconds sympy may spend on both simplifications of one model. Simplify
#: can run for hours on large expressions; SRBench gives it 60 s, we give 30 s
#: so that a benchmark worker stays well inside its own deadline.
SIMPLIFY_TIME_LIMIT = 30.0

#: Decimals kept in model constants, and the magnitude below which a constant
#: is taken to be zero (both from SRBench's ``round_floats``).
ROUND_DIGITS = 3
ZERO_THRESHOLD = 1e-4

#: Relative spread below which numbers count as constant in the numeric screen
#: of :func:`could_match`: far above float64 round-off in the formulas, far
#: below any difference that 3-decimal constants can make.
NUMERIC_TOLERANCE = 1e-6

#: A model is exact only if it also predicts: SRBench's guard against
#: simplify calling a degenerate model equivalent.
EXACT_R2_THRESHOLD = 0.5


def _square(argument: sympy.Expr) -> sympy.Expr:
    return argument**2


#: Function names that formulas and engine outputs use, mapped to sympy. The
#: FSRD table writes NumPy names (``arcsin``, ``ln``); Operon prints
#: ``square``, ``cbrt`` and ``abs``. Everything else an expression names must
#: be a variable, passed in as a symbol, so that names such as ``I``, ``E_n``,
#: ``gamma`` or ``beta`` never become sympy's imaginary unit or functions.
FUNCTIONS: dict[str, object] = {
    "pi": sympy.pi,
    "exp": sympy.exp,
    "sqrt": sympy.sqrt,
    "sin": sympy.sin,
    "cos": sympy.cos,
    "tan": sympy.tan,
    "tanh": sympy.tanh,
    "asin": sympy.asin,
    "acos": sympy.acos,
    "atan": sympy.atan,
    "arcsin": sympy.asin,
    "arccos": sympy.acos,
    "arctan": sympy.atan,
    "log": sympy.log,
    "ln": sympy.log,
    "abs": sympy.Abs,
    "Abs": sympy.Abs,
    "cbrt": sympy.cbrt,
    "square": _square,
}


def parse_expression(text: str, symbols: Mapping[str, sympy.Symbol]) -> sympy.Expr:
    """Parse a formula or model string with the given variable symbols.

    Parameters
    ----------
    text : str
        Python-style infix text; ``^`` is read as power, as Operon prints it.
    symbols : mapping of str to sympy.Symbol
        Every variable name the text may use. They shadow sympy built-ins and
        carry the sign assumptions that simplify relies on.

    Returns
    -------
    sympy.Expr

    Raises
    ------
    ValueError
        If the text does not parse, with the text in the message.
    """
    namespace = {**FUNCTIONS, **symbols}
    try:
        return sympy.sympify(parse_expr(text.replace("^", "**"), local_dict=namespace))
    except Exception as error:  # sympy raises many kinds (SyntaxError, TokenError, TypeError)
        raise ValueError(f"cannot parse expression {text!r}: {error}") from error


def round_floats(expression: sympy.Expr, digits: int = ROUND_DIGITS) -> sympy.Expr:
    """Round every float of an expression, SRBench style.

    Floats below :data:`ZERO_THRESHOLD` in magnitude become 0, the others are
    rounded to ``digits`` decimals. A rounded float with an integer value
    becomes a sympy Integer, so that ``x**2.0`` compares equal to ``x**2``.
    """
    replacements = {}
    for node in sympy.preorder_traversal(expression):
        if isinstance(node, sympy.Float):
            value = float(node)
            if abs(value) < ZERO_THRESHOLD:
                replacements[node] = sympy.Integer(0)
                continue
            rounded = round(value, digits)
            replacements[node] = (
                sympy.Integer(int(rounded)) if rounded == int(rounded) else sympy.Float(rounded)
            )
    return expression.xreplace(replacements)


def _is_finite_constant(expression: sympy.Expr) -> bool:
    if expression.free_symbols:
        return False
    if expression.has(sympy.nan, sympy.zoo, sympy.oo, -sympy.oo):
        return False
    return expression.is_finite is not False


def is_symbolic_match(
    model: sympy.Expr,
    truth: sympy.Expr,
    seconds: float = SIMPLIFY_TIME_LIMIT,
) -> bool:
    """SRBench symbolic equivalence, up to an additive or multiplicative constant.

    Parameters
    ----------
    model : sympy.Expr
        The found model, built on the same symbols as ``truth``. Its floats
        are rounded with :func:`round_floats` here.
    truth : sympy.Expr
    seconds : float, default :data:`SIMPLIFY_TIME_LIMIT`
        Time allowed for both simplifications together; running out counts as
        no match.

    Returns
    -------
    bool
        True when ``simplify(model - truth)`` has no free symbols, or
        ``simplify(model / truth)`` is a nonzero constant.

    Examples
    --------
    >>> x = sympy.Symbol("x", positive=True)
    >>> is_symbolic_match(x + 1.5, x), is_symbolic_match(x**2, x)
    (True, False)
    """
    model = round_floats(sympy.sympify(model))
    try:
        with time_limit(seconds):
            difference = sympy.simplify(model - truth)
            if _is_finite_constant(difference):
                return True
            ratio = sympy.simplify(model / truth)
            if _is_finite_constant(ratio) and ratio != 0:
                return True
            if model.has(sympy.tanh, sympy.sinh, sympy.cosh) or truth.has(sympy.tanh, sympy.sinh, sympy.cosh):
                # simplify does not rewrite tanh(x) as (e^x - e^-x)/(e^x + e^-x) by itself
                rewritten = sympy.simplify((model - truth).rewrite(sympy.exp))
                return _is_finite_constant(rewritten)
            return False
    except SimplifyTimeout:
        return False
    except Exception:  # exotic sympy failures on odd models count as no match
        return False


def could_match(model_values: np.ndarray, truth_values: np.ndarray) -> bool:
    """Numeric screen: can model and truth differ by a constant or a factor?

    Sympy needs up to :data:`SIMPLIFY_TIME_LIMIT` seconds on a messy model;
    most models are plainly not equivalent, and numbers show it at once. The
    screen only says "no" when both the difference and the ratio of the
    (already rounded) model and the truth visibly vary over the data, which a
    symbolic match cannot do, so it never turns a match into a miss. When
    values are not all finite it says "maybe" and leaves the verdict to sympy.

    Parameters
    ----------
    model_values, truth_values : numpy.ndarray
        Rounded model and truth evaluated on the same rows.

    Returns
    -------
    bool
        False when a symbolic match is impossible; True when sympy must decide.
    """
    model_values = np.asarray(model_values, dtype=float)
    truth_values = np.asarray(truth_values, dtype=float)
    if not (np.all(np.isfinite(model_values)) and np.all(np.isfinite(truth_values))):
        return True
    scale = max(float(np.max(np.abs(model_values))), float(np.max(np.abs(truth_values))), 1e-300)
    if np.ptp(model_values - truth_values) <= NUMERIC_TOLERANCE * scale:
        return True
    with np.errstate(all="ignore"):
        ratio = model_values / truth_values
    if not np.all(np.isfinite(ratio)):
        return True
    return bool(np.ptp(ratio) <= NUMERIC_TOLERANCE * max(float(np.max(np.abs(ratio))), 1e-300))


def evaluate_expression(
    expression: sympy.Expr, columns: Mapping[str, np.ndarray] | pd.DataFrame
) -> np.ndarray:
    """Evaluate a sympy expression on named numpy columns.

    Parameters
    ----------
    expression : sympy.Expr
    columns : mapping of str to numpy.ndarray, or pandas.DataFrame
        Must hold a column named after every free symbol of the expression.

    Returns
    -------
    numpy.ndarray
        Float values, one per row; a constant expression is broadcast.
        Domain errors give NaN rather than raising.

    Raises
    ------
    KeyError
        If the expression names a variable that is not a column.
    """
    used = sorted(expression.free_symbols, key=lambda symbol: symbol.name)
    missing = [symbol.name for symbol in used if symbol.name not in columns]
    if missing:
        raise KeyError(f"expression uses {missing}, which are not columns of the data")
    function = sympy.lambdify(used, expression, modules="numpy")
    n_rows = len(next(iter(columns.values()))) if isinstance(columns, Mapping) else len(columns)
    with np.errstate(all="ignore"):
        values = np.asarray(
            function(*(np.asarray(columns[symbol.name], dtype=float) for symbol in used))
        )
    if np.iscomplexobj(values):
        values = np.where(np.abs(values.imag) > 0, np.nan, values.real)
    return np.broadcast_to(values.astype(float), (n_rows,)).copy()


def r2_score(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Coefficient of determination; NaN when a prediction is not finite.

    A non-finite prediction makes the whole score NaN rather than letting it
    be silently dropped, so a model that breaks on part of the test range
    never looks good.
    """
    y_true = np.asarray(y_true, dtype=float)
    y_pred = np.asarray(y_pred, dtype=float)
    if not np.all(np.isfinite(y_pred)):
        return math.nan
    total = float(np.sum((y_true - y_true.mean()) ** 2))
    residual = float(np.sum((y_true - y_pred) ** 2))
    if total == 0.0:
        return 1.0 if residual == 0.0 else -math.inf
    return 1.0 - residual / total


@dataclass(frozen=True)
class Judgement:
    """How one model fared against one known law.

    Attributes
    ----------
    symbolic_match : bool
        :func:`is_symbolic_match` of the parsed model and the truth.
    r2_test : float
        R² on the test set (NaN when the model does not evaluate everywhere).
    exact : bool
        ``symbolic_match and r2_test > 0.5``: SRBench's exact recovery.
    """

    symbolic_match: bool
    r2_test: float
    exact: bool


def judge_model(
    model_text: str,
    truth: sympy.Expr,
    symbols: Mapping[str, sympy.Symbol],
    test: pd.DataFrame,
    target: str,
    seconds: float = SIMPLIFY_TIME_LIMIT,
) -> Judgement:
    """Parse a model string and score it: symbolic match, test R², exact.

    Models that :func:`could_match` rules out on the test inputs skip sympy.

    Parameters
    ----------
    model_text : str
        The model in the data's column names.
    truth : sympy.Expr
        The true law, built on ``symbols``.
    symbols : mapping of str to sympy.Symbol
        Variable symbols shared with ``truth``.
    test : pandas.DataFrame
        Held-out data with the inputs and the ``target`` column.
    target : str
    seconds : float
        Time allowed for sympy's simplifications.

    Returns
    -------
    Judgement

    Raises
    ------
    ValueError
        If the model string does not parse.
    """
    model = parse_expression(model_text, symbols)
    r2_test = r2_score(test[target].to_numpy(), evaluate_expression(model, test))
    rounded_values = evaluate_expression(round_floats(model), test)
    symbolic_match = could_match(rounded_values, evaluate_expression(truth, test)) and (
        is_symbolic_match(model, truth, seconds)
    )
    exact = symbolic_match and r2_test > EXACT_R2_THRESHOLD
    return Judgement(symbolic_match=symbolic_match, r2_test=r2_test, exact=exact)
