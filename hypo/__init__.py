"""hypo: knowledge-constrained, Bayesian symbolic regression.

Start with :func:`hypo.fit` (data and knowledge in, ranked laws out) or
:class:`hypo.HypoRegressor` (the scikit-learn estimator).  Expressions are
:class:`hypo.Expr` trees; :func:`hypo.parse` reads one from text.

Names are imported on first use: the search packages import ``hypo``'s
expression modules, and scikit-learn and torch are slow to import.
"""

__all__ = ["DataError", "Expr", "FitResult", "HypoError", "HypoRegressor", "Law", "fit", "load", "parse",
           "to_latex", "to_string", "to_sympy"]
__version__ = "0.1.0"

_LAZY = {"fit": "hypo.api", "load": "hypo.saved", "FitResult": "hypo.result", "Law": "hypo.result",
         "HypoRegressor": "hypo.estimator", "DataError": "hypo.errors", "HypoError": "hypo.errors",
         "Expr": "hypo.expr", "parse": "hypo.printing", "to_latex": "hypo.printing",
         "to_string": "hypo.printing", "to_sympy": "hypo.printing"}
"""Everything is imported on first use: ``import hypo`` loads no numerical library."""


def __getattr__(name):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'hypo' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)
