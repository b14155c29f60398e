"""hypo: knowledge-constrained, Bayesian symbolic regression.

Start with :func:`hypo.fit` (data and knowledge in, ranked laws out) or
:class:`hypo.HypoRegressor` (the scikit-learn estimator).  Expressions are
:class:`hypo.Expr` trees; :func:`hypo.parse` reads one from text.
"""

from hypo.api import fit
from hypo.errors import DataError, HypoError
from hypo.expr import Expr
from hypo.printing import parse, to_latex, to_string, to_sympy
from hypo.result import FitResult, Law

__all__ = ["DataError", "Expr", "FitResult", "HypoError", "HypoRegressor", "Law", "fit", "parse",
           "to_latex", "to_string", "to_sympy"]
__version__ = "0.1.0"


def __getattr__(name):
    """Import the scikit-learn estimator only when asked (sklearn is slow to import)."""
    if name == "HypoRegressor":
        from hypo.estimator import HypoRegressor

        return HypoRegressor
    raise AttributeError(f"module 'hypo' has no attribute {name!r}")
