"""Buckingham-pi groups: the dimensionless combinations of the inputs.

If a law is dimensionally consistent, it can be written
``y = M0 * f(pi_1, ..., pi_k)``, where ``M0`` is a monomial of the inputs
with the target's dimension and the ``pi_i`` are dimensionless monomials
(a basis of the nullspace of the dimension matrix).  ``f`` has fewer
arguments than the law has inputs, so it is easier to find; a law found
for ``f`` is mapped back by substituting the monomials.

A basis is not unique.  Each choice of "repeating" variables (a maximal set
with independent dimensions) gives one: every other variable, divided by
the power product of the repeating ones that balances it, is one group.
Bases are ranked by how simple their monomials are (small, whole
exponents), as a physicist would pick them.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

MAX_BASES_TRIED = 400
"""Choices of repeating variables examined (ten inputs with four base
dimensions give at most 210)."""


@dataclass(frozen=True)
class PiBasis:
    """One way to write a law as ``M0 * f(pi groups)``.

    Attributes
    ----------
    groups : tuple of dict
        Each dimensionless group as ``{variable: exponent}``.
    target_monomial : dict
        ``M0``, a monomial with the target's dimension (empty when the
        target is dimensionless).
    repeating : tuple of str
        The variables that carry the dimensions.
    """

    groups: tuple[dict[str, Fraction], ...]
    target_monomial: dict[str, Fraction]
    repeating: tuple[str, ...]

    @property
    def cost(self) -> float:
        """Sum of |exponents|, with fractions counting double."""
        total = 0.0
        for monomial in (*self.groups, self.target_monomial):
            for exponent in monomial.values():
                total += abs(float(exponent)) * (1 if exponent.denominator == 1 else 2)
        return total


def pi_bases(vectors: dict[str, np.ndarray], target: np.ndarray, limit: int = 3) -> list[PiBasis]:
    """The simplest ``limit`` bases for inputs ``vectors`` and target dimension ``target``.

    Empty when the target's dimension cannot be built from the inputs' (then
    no dimensionally consistent law exists with dimensionless constants).
    """
    names = list(vectors)
    if not names:
        return []
    matrix = np.column_stack([vectors[n] for n in names]).astype(float)
    rank = np.linalg.matrix_rank(matrix) if matrix.size else 0
    if rank == 0:
        return [PiBasis(tuple({n: Fraction(1)} for n in names), {}, ())] if not np.any(target) else []
    bases = []
    for chosen in itertools.islice(itertools.combinations(range(len(names)), rank), MAX_BASES_TRIED):
        columns = matrix[:, chosen]
        if np.linalg.matrix_rank(columns) < rank:
            continue
        basis = _basis_for(names, matrix, list(chosen), target)
        if basis is not None:
            bases.append(basis)
    bases.sort(key=lambda b: b.cost)
    distinct, seen = [], set()
    for basis in bases:
        key = (frozenset(_oriented(g) for g in basis.groups), _oriented(basis.target_monomial, flip=False))
        if key not in seen:
            seen.add(key)
            distinct.append(basis)
    return distinct[:limit]


def _oriented(monomial: dict[str, Fraction], flip: bool = True) -> tuple:
    """A group and its inverse carry the same information: one key for both."""
    items = sorted(monomial.items())
    if flip and items and items[0][1] < 0:
        items = [(n, -e) for n, e in items]
    return tuple(items)


def _basis_for(names, matrix, chosen, target) -> PiBasis | None:
    repeating = [names[i] for i in chosen]
    columns = matrix[:, chosen]
    target_exponents = _solve(columns, target)
    if target_exponents is None:
        return None
    groups = []
    for j, name in enumerate(names):
        if j in chosen:
            continue
        exponents = _solve(columns, -matrix[:, j])
        if exponents is None:
            return None
        group = {name: Fraction(1)}
        group.update({r: e for r, e in zip(repeating, exponents) if e != 0})
        groups.append(group)
    target_monomial = {r: e for r, e in zip(repeating, target_exponents) if e != 0}
    return PiBasis(tuple(groups), target_monomial, tuple(repeating))


def _solve(columns: np.ndarray, right: np.ndarray) -> list[Fraction] | None:
    """Exact small-fraction solution of ``columns @ x = right``, or None."""
    solution, *_ = np.linalg.lstsq(columns, right, rcond=None)
    if np.abs(columns @ solution - right).max(initial=0.0) > 1e-9:
        return None
    fractions = [Fraction(float(v)).limit_denominator(6) for v in solution]
    check = columns @ np.array([float(f) for f in fractions]) - right
    if np.abs(check).max(initial=0.0) > 1e-9:
        return None
    return fractions


def monomial_values(monomial: dict[str, Fraction], columns: dict[str, np.ndarray], n_rows: int) -> np.ndarray:
    """Values of ``prod(x**e)`` on the rows of ``columns``."""
    values = np.ones(n_rows)
    with np.errstate(all="ignore"):
        for name, exponent in monomial.items():
            values = values * np.asarray(columns[name], dtype=float) ** float(exponent)
    return values


def declared_dimensions(units: dict, names) -> dict[str, np.ndarray] | None:
    """Dimension vectors of ``names`` from ``units`` (name to pint unit or
    None); None unless every name has a unit."""
    from knowledge.dimensions import dimension_matrix

    if not names or any(units.get(name) is None for name in names):
        return None
    _, vectors = dimension_matrix({name: units[name] for name in names})
    return vectors
