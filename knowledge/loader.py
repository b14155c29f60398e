"""Reading a knowledge file: YAML text to a validated :class:`Knowledge`.

This module checks the *shape* of what the scientist wrote (which sections,
which variables with which units, which operators) and reports every mistake
at its ``FILE:LINE:COL``.  It does not score anything: turning knowledge into
a log-prior is ``knowledge/prior.py``'s job.  Sections are read by their
own modules: ``operator_sections``, ``constant_sections``, ``rule_sections``;
the whole file is also kept as plain data in :attr:`Knowledge.raw`.

Safety: the file is composed and constructed with PyYAML's ``SafeLoader``,
so tags such as ``!!python/object/apply`` are refused, never executed.  The
node tree is walked directly (rather than ``yaml.safe_load``'s plain dict) so
that every key and value still has its line and column, and so that
duplicate keys, which ``safe_load`` silently overwrites, are reported.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import yaml

from hypo.errors import did_you_mean
from hypo.operators import DEFAULT_OPERATORS
from knowledge import default_units
from knowledge.constant_sections import NamedConstant, read_constants
from knowledge.errors import KnowledgeError
from knowledge.operator_rules import NestingLimits
from knowledge.operator_sections import OperatorKnowledge, read_operators
from knowledge.prior import DEFAULT_LAMBDA, HARD, WeightedRule, build_prior
from knowledge.reachability import unreachable_reason
from knowledge.rule_sections import read_fitted_constants, read_lambda, read_rules
from knowledge.rules import DimensionalConsistency, RuleContext
from knowledge.variable_sections import VariableKnowledge, read_units, read_variables
from knowledge.yaml_nodes import error_at, read_mapping

__all__ = ["VariableKnowledge", "NamedConstant", "Knowledge", "load_knowledge", "SECTIONS"]

CHECKED_SECTIONS = ("variables", "constants", "operators", "rules", "lambda", "fitted_constants",
                    "dimensional_consistency")
"""Top-level sections this module validates."""

LATER_SECTIONS = ("description",)
"""Top-level sections accepted and kept in ``raw`` only."""

MAX_KNOWLEDGE_BYTES = 1_000_000
"""Largest knowledge file read: parsing a 50 MB one would eat a fit's time limit."""

SECTIONS = CHECKED_SECTIONS + LATER_SECTIONS
"""Every top-level key a knowledge file may use; anything else is a typo."""



@dataclass(frozen=True)
class Knowledge:
    """The validated content of one knowledge file.

    Parameters
    ----------
    variables : dict of str to VariableKnowledge
        Described columns, in file order.
    allowed_operators : tuple of str | None
        The ``operators: allowed:`` list, or ``None`` when the file does not
        restrict them (then :data:`hypo.operators.DEFAULT_OPERATORS` apply).
        The operators to search are :meth:`operator_names`.
    source : str
        Path of the file, or ``"<none>"`` for :meth:`empty`.
    raw : dict
        The whole file as plain data (safe-loaded).
    rules : tuple of (name, parameters, weight)
        The ``rules:`` section (see ``knowledge.rule_sections``).
    fitted_constants : {"dimensionless", "free"}
        Whether fitted constants may carry units.
    forbidden_operators : tuple of str
        ``operators: forbidden:``, taken out of the allowed or default list.
    nesting : dict of str to dict of str to int
        ``operators: nesting:``, applied as a hard rule by :meth:`prior`.
    complexity_weights : dict of str to float | None
        ``operators: complexity:``, per-operator weights for
        ``Expr.complexity`` (and the ``max_complexity`` rule).
    constants : dict of str to NamedConstant
        ``constants:``, the named constants laws may use with fixed values.
    units_bind : bool
        ``dimensional_consistency: on`` (default) or ``off``: whether declared
        units make the dimensional rule hard by default
        (``knowledge.default_units``).
    """

    variables: dict[str, VariableKnowledge]
    allowed_operators: tuple[str, ...] | None
    source: str
    raw: dict
    rules: tuple = ()
    fitted_constants: str = "dimensionless"
    forbidden_operators: tuple[str, ...] = ()
    nesting: dict = field(default_factory=dict)
    complexity_weights: dict | None = None
    constants: dict[str, NamedConstant] = field(default_factory=dict)
    units_bind: bool = True

    @classmethod
    def empty(cls) -> Knowledge:
        """Knowledge of someone who knows nothing: no units, default operators."""
        return cls(variables={}, allowed_operators=None, source="<none>", raw={})

    def operator_names(self) -> tuple[str, ...]:
        """The operators to search: the ``allowed`` list (or the defaults) minus ``forbidden``."""
        names = DEFAULT_OPERATORS if self.allowed_operators is None else self.allowed_operators
        return tuple(name for name in names if name not in self.forbidden_operators)

    def prior(self, feature_names: Sequence[str], target: str,
              columns: dict[str, np.ndarray] | None = None):
        """The log-prior ``expr -> log P(expr | K)`` for these columns, or ``None``
        when the file declares no rule (and no nesting limits).

        Parameters
        ----------
        feature_names : sequence of str
            The law's inputs (named constants are added by name).
        target : str
            The target column.
        columns : dict of str to numpy.ndarray, optional
            The feature columns.  Required when the file has a rule on the
            law's values (``symmetric``, ``monotonic``, ``bounded``,
            ``limit``): they probe the law inside and beyond the data range.

        Raises
        ------
        ValueError
            When a rule names a column that is not a feature, or a value rule
            gets no ``columns``.
        """
        used = {*feature_names, target}
        units = {name: v.units for name, v in self.variables.items() if v.units is not None and name in used}
        units.update({name: constant.units for name, constant in self.constants.items()})
        context = RuleContext(tuple(feature_names), target, units, self.fitted_constants == "free",
                              columns=columns,
                              fixed={name: constant.value for name, constant in self.constants.items()},
                              complexity_weights=self.complexity_weights)
        extra = (WeightedRule(NestingLimits(self.nesting), HARD),) if self.nesting else ()
        if default_units.applies(self, feature_names, target):
            unit_context = default_units.default_context(self, context, feature_names, target)
            extra += (WeightedRule(DimensionalConsistency.from_context(unit_context), HARD),)
        return build_prior(self.rules, context, extra)

    def check_columns(
        self,
        feature_names: Sequence[str],
        target: str,
        data_columns: Sequence[str] | None = None,
    ) -> list[str]:
        """Compare the described variables with the data's columns.

        Parameters
        ----------
        feature_names : sequence of str
            The features the search will use.
        target : str
            The target column.
        data_columns : sequence of str, optional
            Every column of the data file.  Give it when features were chosen
            explicitly, so that describing a column that exists but is not
            used is not an error.  Defaults to ``[*feature_names, target]``.

        Returns
        -------
        list of str
            One warning per used column the file does not describe (its
            units are unknown, so unit rules cannot check expressions using
            it), then :meth:`unit_warnings`.  Empty when the file describes
            no variables at all: then the user is not using units and a
            warning per column would be noise.

        Raises
        ------
        KnowledgeError
            At the line of the first variable that is not a column of the
            data (a misspelt name would otherwise silently disable its
            units), or of a named constant that has a column's name.
        """
        used = [*feature_names, target]
        available = list(data_columns) if data_columns is not None else used
        for name, variable in self.variables.items():
            if name not in available:
                raise KnowledgeError(
                    f'variable "{name}" is described here but is not a column of the data'
                    f"{did_you_mean(name, available)}; the columns are: {', '.join(available)}; "
                    "fix the name or remove the entry",
                    path=self.source,
                    line=variable.line,
                    column=variable.column,
                )
        for name, constant in self.constants.items():
            if name in available:
                raise KnowledgeError(
                    f'constant "{name}" has the name of a column of the data; rename the constant '
                    "(or describe the column under \"variables:\" and drop the constant)",
                    path=self.source, line=constant.line, column=constant.column,
                )
        if not self.variables:
            return []
        units_note = default_units.note(self, feature_names, target)
        unit_notes = [units_note] if units_note else self.unit_warnings(feature_names, target)
        return [
            f'column "{name}" is not described under "variables:" in {self.source}; '
            "its units are unknown, so unit rules cannot check it (add it with its units)"
            for name in used
            if name not in self.variables
        ] + unit_notes

    def unit_warnings(self, feature_names: Sequence[str], target: str) -> list[str]:
        """A warning when no product of powers of the inputs' units (features and
        named constants) has the target's units, so no law can be dimensionally
        consistent; it says why (e.g. no input carries ``[mass]``).

        Empty when fitted constants may carry units (``fitted_constants:
        free``: a constant can supply any dimension) or when the target or a
        feature has no declared units (nothing can be concluded).
        """
        if self.fitted_constants == "free":
            return []
        target_units = self.variables[target].units if target in self.variables else None
        inputs = {name: self.variables[name].units if name in self.variables else None for name in feature_names}
        if target_units is None or any(units is None for units in inputs.values()):
            return []
        inputs.update({name: constant.units for name, constant in self.constants.items()})
        reason = unreachable_reason(inputs, target_units)
        if reason is None:
            return []
        return [f'the units of target "{target}" ({target_units:~}) cannot be made from the inputs\' units: '
                f"{reason}; no dimensionally consistent law exists, so add the missing input, a named "
                'constant under "constants:", or write "fitted_constants: free"']


def load_knowledge(path: str | Path) -> Knowledge:
    """Read and validate a knowledge file.

    Parameters
    ----------
    path : str or pathlib.Path
        A YAML file with any of the sections :data:`SECTIONS` (the schema is
        ``docs/knowledge.md``).

    Returns
    -------
    Knowledge

    Raises
    ------
    KnowledgeError
        For a missing or unreadable file, YAML syntax errors, unsafe tags,
        unknown sections, keys, operators, rules or units, non-identifier
        variable or constant names, bad rule parameters (with a "did you
        mean" for unknown names), and duplicate keys, each at its
        ``FILE:LINE:COL``.

    Examples
    --------
    >>> knowledge = load_knowledge("examples/kepler.yaml")  # doctest: +SKIP
    >>> knowledge.variables["a"].units  # doctest: +SKIP
    <Unit('meter')>
    """
    source = str(path)
    text = _read_text(Path(path), source)
    try:
        loader = yaml.SafeLoader(text)
    except yaml.reader.ReaderError as error:  # a control character PyYAML refuses before parsing
        raise KnowledgeError(f"character #x{error.character:04x} (at character {error.position + 1}) is not allowed "
                             "in YAML; remove it or write the file as plain text", path=source) from None
    try:
        root = loader.get_single_node()
        raw = loader.construct_document(root) if root is not None else None
    except yaml.MarkedYAMLError as error:
        raise _yaml_error(error, source) from None
    except yaml.YAMLError as error:
        raise KnowledgeError(f"not valid YAML ({error}); fix the syntax", path=source) from None
    except RecursionError:
        raise KnowledgeError("brackets or mappings are nested too deeply to be a knowledge file; "
                             "flatten the YAML", path=source) from None
    finally:
        loader.dispose()
    if root is None:
        raise KnowledgeError(
            "file is empty; write at least a 'variables:' or 'operators:' section", path=source
        )
    if not isinstance(root, yaml.MappingNode):
        raise error_at(root, source, "the top level must be a mapping with sections such as "
                  "'variables:' and 'operators:'")
    sections = read_mapping(root, source, "the file")
    for key, (key_node, _) in sections.items():
        if key not in SECTIONS:
            raise error_at(key_node, source, f'unknown section "{key}"{did_you_mean(key, SECTIONS)}; '
                      f"known sections are: {', '.join(SECTIONS)}")
    variables = {}
    if "variables" in sections:
        variables = read_variables(sections["variables"][1], source)
    constants = {}
    if "constants" in sections:
        constants = read_constants(sections["constants"][1], source, variables, read_units)
    operators = OperatorKnowledge()
    if "operators" in sections:
        operators = read_operators(sections["operators"][1], source)
    default_weight = DEFAULT_LAMBDA
    if "lambda" in sections:
        default_weight = read_lambda(sections["lambda"][1], source)
    fitted = "dimensionless"
    if "fitted_constants" in sections:
        fitted = read_fitted_constants(sections["fitted_constants"][1], source)
    rules = read_rules(sections["rules"][1], source, default_weight, tuple(variables)) if "rules" in sections else ()
    units_bind = default_units.read_switch(sections["dimensional_consistency"][1], source) \
        if "dimensional_consistency" in sections else True
    return Knowledge(variables=variables, allowed_operators=operators.allowed, source=source, raw=raw,
                     rules=rules, fitted_constants=fitted, forbidden_operators=operators.forbidden,
                     nesting=operators.nesting, complexity_weights=operators.complexity, constants=constants,
                     units_bind=units_bind)


def _read_text(path: Path, source: str) -> str:
    """Return the file's text, turning every I/O failure into a KnowledgeError."""
    if not path.is_file():
        what = "is a directory, not a file" if path.is_dir() else "not found"
        raise KnowledgeError(f"knowledge file {what}; check the path", path=source)
    if path.stat().st_size > MAX_KNOWLEDGE_BYTES:
        raise KnowledgeError(f"is {path.stat().st_size:,} bytes; a knowledge file is at most "
                             f"{MAX_KNOWLEDGE_BYTES:,} (units, operators and rules); keep long texts elsewhere",
                             path=source)
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as error:
        raise KnowledgeError(
            f"is not UTF-8 text (undecodable byte at offset {error.start}); save it as UTF-8",
            path=source,
        ) from None
    except OSError as error:
        raise KnowledgeError(
            f"cannot be read ({error.strerror}); check that the file is readable", path=source
        ) from None


def _yaml_error(error: yaml.MarkedYAMLError, source: str) -> KnowledgeError:
    """One-line KnowledgeError from PyYAML's multi-line syntax error."""
    mark = error.problem_mark or error.context_mark
    problem = error.problem or error.context or "invalid YAML"
    if isinstance(error, yaml.constructor.ConstructorError) and "constructor for the tag" in problem:
        message = (f"{problem}; knowledge files are plain data and tags like "
                   "!!python/... are refused: remove the tag")
    else:
        context = f" ({error.context})" if error.context and error.problem else ""
        message = (f"YAML syntax error: {problem}{context}; fix the syntax here "
                   "(check indentation, closing brackets and quotes)")
    if mark is None:
        return KnowledgeError(message, path=source)
    return KnowledgeError(message, path=source, line=mark.line + 1, column=mark.column + 1)
