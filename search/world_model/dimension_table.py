"""Smallest trees that reach each dimension: the look-ahead behind unit masking.

To mask a token the sampler must know whether the tree can still be
finished with the right units inside the size budget: ``mul`` at a slot
that needs ``m/s`` is fine only if some ``a*b`` with those units fits.  This
module answers "how many nodes at least for a subtree of dimension ``d``,
overall and rooted at each operator" by a breadth-first search over
dimensions, once per dataset.

Dimensions are integer vectors in units of ``1/QUANTUM`` of an exponent
(exact arithmetic: ``sqrt`` halves, ``pow`` by 1.5 multiplies by 3/2), over
the base dimensions the variables actually use.  The search is bounded (size,
exponent box, number of dimensions), so some exotic dimensions count as
unreachable: the masks then forbid a few valid trees, never allow an invalid
one.
"""

from __future__ import annotations

from fractions import Fraction
from functools import lru_cache
from typing import Iterable

import numpy as np

QUANTUM = 1728
"""Dimension exponents are stored as integer multiples of 1/1728 (= 1/(2^6 3^3)),
so halving, thirding and the exponents of ``search.space.EXPONENTS`` stay exact
for any tree a search would call a law."""

EXPONENT_BOX = 8
"""Dimensions with an exponent beyond +-8 are treated as unreachable."""

MAX_DIMENSIONS = 500
"""Stop the search after this many distinct dimensions (it is quadratic in
them); the first ones found are those of the smallest trees."""

LEVEL_DIMENSIONS = 60
"""At most this many new dimensions per tree size, so that the fractional
powers of small trees cannot fill the table before products of three or four
variables (most laws) are reached."""

MAX_TABLE_SIZE = 10
"""Trees beyond this size are not enumerated: a dimension first reachable
only by a larger tree counts as unreachable (conservative)."""

INFINITE = 10**6

SCALE = {"square": Fraction(2), "cube": Fraction(3), "sqrt": Fraction(1, 2), "inv": Fraction(-1),
         "neg": Fraction(1), "abs": Fraction(1)}
"""Unary operators that multiply their argument's dimension."""

DIMENSIONLESS_ARGUMENT = frozenset({"exp", "log", "sin", "cos", "tan", "tanh", "asin", "acos", "atan"})
"""Unary operators whose argument and result are dimensionless."""

Dim = tuple[int, ...]


def scale(dim: Dim, factor: Fraction) -> Dim | None:
    """``dim * factor``, or ``None`` when it leaves the integer lattice."""
    numerator, denominator = factor.numerator, factor.denominator
    out = []
    for value in dim:
        scaled, remainder = divmod(value * numerator, denominator)
        if remainder:
            return None
        out.append(scaled)
    return tuple(out)


def add(a: Dim, b: Dim) -> Dim:
    return tuple(x + y for x, y in zip(a, b))


def subtract(a: Dim, b: Dim) -> Dim:
    return tuple(x - y for x, y in zip(a, b))


class DimensionTable:
    """Least tree sizes per dimension, for one set of leaf dimensions and operators.

    Parameters
    ----------
    leaf_dimensions : iterable of Dim
        Dimensions of the variables (the dimensionless constant is added).
    operators : iterable of str
        Allowed operators.
    exponents : iterable of float
        Exact exponents ``pow`` may take.
    max_size : int
        Size cap of the trees (bounded by :data:`MAX_TABLE_SIZE`).
    """

    def __init__(self, leaf_dimensions: Iterable[Dim], operators: Iterable[str],
                 exponents: Iterable[float], max_size: int):
        leaves = list(leaf_dimensions)
        self.leaf_dimensions = tuple(leaves)
        self.width = len(leaves[0]) if leaves else 0
        self.zero: Dim = (0,) * self.width
        self.operators = tuple(operators)
        self.exponents = tuple(Fraction(e).limit_denominator(64) for e in exponents)
        self.limit = EXPONENT_BOX * QUANTUM
        self.size: dict[Dim, int] = {}
        self.rooted: dict[str, dict[Dim, int]] = {"mul": {}, "div": {}}
        self._rooted_cache: dict = {}
        self._arrays = None
        self._build([self.zero, *leaves], min(max_size, MAX_TABLE_SIZE))

    def _inside(self, dim: Dim | None) -> bool:
        return dim is not None and all(-self.limit <= v <= self.limit for v in dim)

    def _build(self, leaves: list[Dim], max_size: int) -> None:
        levels: dict[int, list[Dim]] = {1: []}
        for dim in leaves:
            if dim not in self.size:
                self.size[dim] = 1
                levels[1].append(dim)
        scales = [SCALE[op] for op in self.operators if op in SCALE]
        for size in range(2, max_size + 1):
            found: list[Dim] = []

            def offer(dim: Dim | None) -> None:
                if (self._inside(dim) and dim not in self.size and len(self.size) < MAX_DIMENSIONS
                        and len(found) < LEVEL_DIMENSIONS):
                    self.size[dim] = size
                    found.append(dim)

            for op in ("mul", "div"):
                if op not in self.operators:
                    continue
                rooted = self.rooted[op]
                combine = add if op == "mul" else subtract
                for left_size in range(1, size - 1):
                    for left in levels.get(left_size, ()):
                        for right in levels.get(size - 1 - left_size, ()):
                            dim = combine(left, right)
                            if dim not in rooted:
                                if dim not in self.size:
                                    offer(dim)
                                if dim in self.size:
                                    rooted[dim] = size
            for factor in scales:
                for dim in levels.get(size - 1, ()):
                    offer(scale(dim, factor))
            if "pow" in self.operators:
                for dim in levels.get(size - 2, ()):
                    for exponent in self.exponents:
                        offer(scale(dim, exponent))
            levels[size] = found

    def least(self, dim: Dim | None) -> int:
        """Fewest nodes of a tree with dimension ``dim`` (``INFINITE`` if none known)."""
        return INFINITE if dim is None else self.size.get(dim, INFINITE)

    def dimension_array(self) -> np.ndarray:
        """The known dimensions as rows of an int array, in the order of ``size``."""
        return self._indexed()[0]

    def least_many(self, dims: np.ndarray) -> np.ndarray:
        """:meth:`least` of every dimension in ``dims`` (shape ``(..., width)``)
        at once: a hash lookup confirmed against the stored dimension, so a
        collision can only hide a dimension (a stricter mask), never invent one."""
        sizes = self._indexed()[1]
        return np.append(sizes, INFINITE)[self._positions(dims)]

    def _indexed(self):
        """Dimensions (m, width), their least sizes, and a sorted hash index (built once)."""
        if self._arrays is None:
            dims = np.array(list(self.size), dtype=np.int64).reshape(len(self.size), -1)
            sizes = np.array(list(self.size.values()), dtype=np.int64)
            with np.errstate(over="ignore"):
                keys = dims @ _hash_weights(dims.shape[1])
            order = np.argsort(keys, kind="stable")
            self._arrays = (dims, sizes, order, keys[order])
        return self._arrays

    def least_rooted(self, op: str, dim: Dim) -> int:
        """Fewest nodes of a tree of dimension ``dim`` whose root is ``op``."""
        key = (op, dim)
        found = self._rooted_cache.get(key)
        if found is None:
            found = self._rooted_cache[key] = self._least_rooted(op, dim)
        return found

    def least_rooted_many(self, op: str, dims: np.ndarray) -> np.ndarray:
        """:meth:`least_rooted` of every row of ``dims`` (shape ``(m, width)``)
        at once, for ``op`` a scaling, ``add``/``sub``, ``mul``/``div`` or ``pow``."""
        if op in ("add", "sub"):
            return np.minimum(1 + 2 * self.least_many(dims), INFINITE)
        if op in ("mul", "div"):
            return self._rooted_array(op)[self._positions(dims)]
        factors = [1 / SCALE[op]] if op in SCALE else [1 / e for e in self.exponents if e != 0]
        extra = 1 if op in SCALE else 2
        best = np.full(len(dims), INFINITE, dtype=np.int64)
        for factor in factors:
            scaled = dims * factor.numerator
            exact = np.all(scaled % factor.denominator == 0, axis=-1)
            best = np.minimum(best, np.where(exact, extra + self.least_many(scaled // factor.denominator), INFINITE))
        return np.minimum(best, INFINITE)

    def _positions(self, dims: np.ndarray) -> np.ndarray:
        """Index of each row of ``dims`` in :meth:`dimension_array`, or its length when unknown."""
        table_dims, _, order, sorted_keys = self._indexed()
        with np.errstate(over="ignore"):
            keys = dims @ _hash_weights(dims.shape[-1])
        position = np.minimum(np.searchsorted(sorted_keys, keys), len(sorted_keys) - 1)
        candidate = order[position]
        found = (sorted_keys[position] == keys) & np.all(table_dims[candidate] == dims, axis=-1)
        return np.where(found, candidate, len(table_dims))

    def _rooted_array(self, op: str) -> np.ndarray:
        """Least sizes of ``op``-rooted trees aligned with :meth:`dimension_array`, plus a last ``INFINITE``."""
        key = ("array", op)
        if key not in self._rooted_cache:
            table_dims = self.dimension_array()
            rooted = self.rooted[op]
            self._rooted_cache[key] = np.array([rooted.get(tuple(int(v) for v in d), INFINITE) for d in table_dims]
                                               + [INFINITE], dtype=np.int64)
        return self._rooted_cache[key]

    def _least_rooted(self, op: str, dim: Dim) -> int:
        if op in SCALE:
            return 1 + self.least(scale(dim, 1 / SCALE[op]))
        if op in DIMENSIONLESS_ARGUMENT:
            return 1 + self.least(self.zero) if dim == self.zero else INFINITE
        if op in ("add", "sub"):
            return 1 + 2 * self.least(dim)
        if op in ("mul", "div"):
            return self.rooted[op].get(dim, INFINITE)
        if op == "pow":
            best = INFINITE
            for exponent in self.exponents:
                if exponent != 0:
                    best = min(best, 2 + self.least(scale(dim, 1 / exponent)))
            return best
        raise ValueError(f"no dimension rule for operator {op!r}")


@lru_cache(maxsize=None)
def _hash_weights(width: int) -> np.ndarray:
    """Fixed random multipliers hashing an integer dimension vector to one int64."""
    return np.random.default_rng(20261127).integers(1, 2**62, size=width, dtype=np.int64)
