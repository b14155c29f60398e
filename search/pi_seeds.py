"""Seeds found in Buckingham-pi space and mapped back to the inputs.

With units known, ``y = M0 * f(pi_1, ..., pi_k)`` (``knowledge.buckingham``).
The seed generators of ``search.seeds`` run on the reduced problem: the
groups as inputs and ``y / M0`` as target.  There, a law such as
``n0 * exp(-m*g*x/(kb*T))`` is a function of one variable instead of five,
which is within reach of every generator.  Each reduced seed becomes a law
in the original variables by substituting the groups' monomials and
multiplying by ``M0``.
"""

from __future__ import annotations

import time

import numpy as np

from hypo.expr import Expr, call
from knowledge.buckingham import PiBasis, monomial_values, pi_bases
from search.seeds import initial_seeds, monomial

GROUP_PREFIX = "pi_group_"
MIN_SPREAD = 1e-9
"""A group whose values vary less than this (relative) is a constant: dropped."""


def pi_seeds(columns: dict, y: np.ndarray, vectors: dict[str, np.ndarray], target: np.ndarray,
             operators=(), deadline: float | None = None, n_bases: int = 2) -> list[Expr]:
    """Seeds from the simplest ``n_bases`` pi bases, in the original variables.

    Parameters
    ----------
    columns : dict of str to numpy.ndarray
        The inputs (the rows used for fitting).
    vectors : dict of str to numpy.ndarray
        Dimension vector of each input (all inputs must be present).
    target : numpy.ndarray
        Dimension vector of ``y``.
    """
    seeds: list[Expr] = []
    for basis in pi_bases(vectors, target, limit=n_bases):
        if deadline is not None and time.perf_counter() > deadline:
            break
        seeds += _seeds_for_basis(columns, y, basis, operators, deadline)
    return seeds


def _seeds_for_basis(columns, y, basis: PiBasis, operators, deadline) -> list[Expr]:
    n_rows = len(y)
    scale = monomial_values(basis.target_monomial, columns, n_rows)
    with np.errstate(all="ignore"):
        reduced_y = y / scale
    if not np.all(np.isfinite(reduced_y)):
        return []
    groups, reduced = {}, {}
    for group in basis.groups:
        values = monomial_values(group, columns, n_rows)
        if not np.all(np.isfinite(values)):
            continue
        spread = np.ptp(values) / max(float(np.max(np.abs(values))), 1e-300)
        if spread < MIN_SPREAD:
            continue
        name = f"{GROUP_PREFIX}{len(groups)}"
        groups[name] = group
        reduced[name] = values
    outer = monomial(basis.target_monomial) if basis.target_monomial else None
    if not reduced:
        return [outer] if outer is not None else []
    found = initial_seeds(reduced, reduced_y, operators, deadline)
    mapping = {name: monomial(group) for name, group in groups.items()}
    laws = []
    for seed in found:
        law = substitute(seed, mapping)
        laws.append(call("mul", outer, law) if outer is not None else law)
    return laws


def substitute(expr: Expr, mapping: dict[str, Expr]) -> Expr:
    """``expr`` with each variable named in ``mapping`` replaced by its tree."""
    if expr.op == "var":
        return mapping.get(expr.name, expr)
    if expr.is_leaf:
        return expr
    return call(expr.op, *(substitute(child, mapping) for child in expr.children))


def has_group_variables(expr: Expr) -> bool:
    """Whether a reduced-space name leaked into ``expr`` (a bug if so)."""
    return any(n.op == "var" and n.name.startswith(GROUP_PREFIX) for n in expr.walk())


__all__ = ["pi_seeds", "substitute", "GROUP_PREFIX"]
