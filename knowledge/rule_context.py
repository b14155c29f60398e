"""What every rule shares: the rule protocol, the data context, parameter errors.

Kept apart from the registry (``knowledge.rules``) so that rule modules can
import it without importing each other.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Protocol

import numpy as np

from hypo.errors import did_you_mean
from hypo.expr import Expr
from knowledge.probes import Probes


class KnowledgeRule(Protocol):
    """Anything with a name and a graded ``violation`` can be a rule.

    ``needs_fit`` says whether the rule judges a law's *values* (then the
    constants must be fitted first) or only its structure (then the scorer
    can reject a structure before fitting it).
    """

    name: str
    needs_fit: bool

    def violation(self, expr: Expr) -> float:
        """0 when satisfied; larger when worse; never negative or NaN."""


@dataclass(frozen=True)
class RuleContext:
    """What rules may need to know about the data they judge.

    Attributes
    ----------
    feature_names : tuple of str
        The law's inputs.
    target : str
        The column the law predicts.
    units : dict of str to pint.Unit
        Units of the columns and named constants that have them.
    free_constants : bool
        Whether fitted constants may carry units.
    columns : dict of str to numpy.ndarray, optional
        The feature columns; numeric rules build their probe points from
        them, so they are required when the file has a numeric rule.
    fixed : dict of str to float, optional
        Named constants (``constants:``), which laws use as inputs with a
        fixed value.
    complexity_weights : dict of str to float, optional
        Per-operator complexity weights (``operators: complexity:``).
    """

    feature_names: tuple[str, ...]
    target: str
    units: dict
    free_constants: bool = False
    columns: dict[str, np.ndarray] | None = None
    fixed: dict[str, float] | None = None
    complexity_weights: dict[str, float] | None = None

    @cached_property
    def probes(self) -> Probes:
        """Probe points for the numeric rules, drawn once and shared by all of them."""
        if self.columns is None:
            raise ValueError("the probe points need the feature columns (columns=...)")
        return Probes.from_columns(self.columns, self.feature_names, self.fixed)


class ParameterError(ValueError):
    """A rule parameter that cannot be used.

    ``parameter`` names the offending parameter (``None``: the rule as a
    whole), ``on_key`` says whether the key itself is wrong (unknown) rather
    than its value, and ``index`` picks an item of a list value.  The loader
    turns these into a position in the file.
    """

    def __init__(self, message: str, parameter: str | None = None, on_key: bool = False,
                 index: int | None = None) -> None:
        super().__init__(message)
        self.parameter = parameter
        self.on_key = on_key
        self.index = index


def check_keys(rule: str, params: dict, known: tuple[str, ...]) -> None:
    """Refuse parameters a rule does not take, with a "did you mean"."""
    for key in params:
        if key not in known:
            takes = f"takes: {', '.join(known)}, weight" if known else "takes only: weight"
            raise ParameterError(f'{rule} has no parameter "{key}"{did_you_mean(key, (*known, "weight"))}; '
                                 f"it {takes}", key, on_key=True)


def require(rule: str, params: dict, key: str, example: str):
    """The value of a required parameter."""
    if key not in params:
        raise ParameterError(f'{rule} needs "{key}", e.g. {example}')
    return params[key]


def choice(rule: str, key: str, value, options: tuple[str, ...]) -> str:
    """A parameter that must be one of a few words."""
    if value not in options:
        raise ParameterError(f'"{key}" of {rule} must be one of {", ".join(options)}, not {value!r}'
                             f"{did_you_mean(str(value), options)}", key)
    return value


_INFINITIES = {"inf": 1.0, "+inf": 1.0, ".inf": 1.0, "+.inf": 1.0, "infinity": 1.0,
               "-inf": -1.0, "-.inf": -1.0, "-infinity": -1.0}


def number(rule: str, key: str, value, allow_infinite: bool = False) -> float:
    """A parameter that must be a number (``inf``/``-inf``, also YAML's ``.inf``, only where allowed)."""
    if allow_infinite and isinstance(value, str) and value.lower() in _INFINITIES:
        return _INFINITIES[value.lower()] * float("inf")
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
        words = "a number, inf or -inf" if allow_infinite else "a finite number"
        raise ParameterError(f'"{key}" of {rule} must be {words}, not {value!r}', key)
    if not allow_infinite and abs(value) == float("inf"):
        raise ParameterError(f'"{key}" of {rule} must be a finite number, not {value!r}', key)
    return float(value)


def variable_name(rule: str, key: str, value, index: int | None = None) -> str:
    """A parameter naming one variable."""
    if not isinstance(value, str) or not value.isidentifier():
        raise ParameterError(f'"{key}" of {rule} must name a variable, not {value!r}', key, index=index)
    return value


def require_features(rule: str, names, context: RuleContext) -> None:
    """Refuse, when the context is built, a rule naming a column that is not a feature."""
    for name in names:
        if name == context.target:
            raise ValueError(f'rule {rule} names "{name}", which is the target; '
                             "rules can only name the law's inputs")
        if name not in context.feature_names:
            raise ValueError(f'rule {rule} names "{name}", which is not a feature of the data'
                             f"{did_you_mean(name, context.feature_names)}; "
                             f"the features are: {', '.join(context.feature_names)}")
