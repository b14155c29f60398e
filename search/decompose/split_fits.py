"""Separability tests for noisy data: the split's law against the same law with interactions.

Where noise leaves the smooth model's values too unsure for the value tests
of ``search.decompose.separability`` (about 1% noise and up), the rows
answer directly.  A least-squares fit of the split's form, in polynomials
of each side's inputs,

* additive, ``g(A) + h(B)``: one linear least-squares problem;
* multiplicative, ``g(A) * h(B)``: alternating least squares (rank one);

is nested in a larger linear model: the split's own columns (for a product,
its tangent ``a(A)*h(B) + g(A)*b(B)``, which holds ``g*h``) and low-degree
products of the two sides' polynomials, the interactions a separable law
lacks.  An F test asks whether the interactions explain more than the noise:
for a separable law they fit only noise; a law that does not separate
leaves its interaction for them.  All rows serve both fits, so the test
sees interactions well below the noise of one row.  Fitted to many rows,
the split averages the noise away, so the chosen one also gives the sides'
values for the sub-problems (:meth:`SplitFit.predict`).
"""

from __future__ import annotations

import itertools
import math
import time
from dataclasses import dataclass

import numpy as np

SIGNIFICANCE = 1e-3
"""A split passes while its interactions' F statistic is below the
``1 - SIGNIFICANCE`` quantile of its null distribution.  Set on
``bench/symmetry_tests.py``'s generated laws."""

MAX_SIDE_TERMS = 45
"""Polynomial terms of one side (degree 8 in two inputs, 4 in three)."""

MAX_INTERACTION_TERMS = 10
"""Polynomial terms of each side in the interactions (degree 3 in two inputs)."""

MIN_ROWS_PER_TERM = 4
"""The tests are asked only with this many rows per term of the larger model."""

MAX_DEGREE = 10

ALS_ROUNDS = 12
"""Rounds of alternating least squares for a product (each side in turn)."""

RIDGE = 1e-10
"""Relative ridge on the normal equations (only against exact collinearity)."""


def degree_for(n_inputs: int, max_terms: int) -> int:
    """The largest total degree whose polynomial in ``n_inputs`` inputs has
    at most ``max_terms`` terms (at least 1)."""
    degree = 1
    while degree < MAX_DEGREE and math.comb(n_inputs + degree + 1, degree + 1) <= max_terms:
        degree += 1
    return degree


class PolynomialBasis:
    """Legendre polynomials of total degree at most ``degree`` in some
    columns, on the data's range of each mapped to [-1, 1] (well conditioned
    where plain powers of inputs in [1, 5] are not)."""

    def __init__(self, X: np.ndarray, columns: tuple[int, ...], degree: int):
        self.columns, self.degree = tuple(columns), degree
        self.low, self.high = X[:, self.columns].min(axis=0), X[:, self.columns].max(axis=0)
        self.high = np.where(self.high > self.low, self.high, self.low + 1.0)
        # a column of few distinct values takes fewer powers: the others would repeat its columns
        caps = [min(degree, len(np.unique(X[:, j])) - 1) for j in self.columns]
        self.exponents = [powers for powers in itertools.product(range(degree + 1), repeat=len(self.columns))
                          if sum(powers) <= degree and all(power <= cap for power, cap in zip(powers, caps))]

    def __call__(self, points: np.ndarray) -> np.ndarray:
        scaled = 2 * (points[:, self.columns] - self.low) / (self.high - self.low) - 1
        tables = [np.polynomial.legendre.legvander(scaled[:, j], self.degree) for j in range(len(self.columns))]
        design = np.ones((len(points), len(self.exponents)))
        for term, powers in enumerate(self.exponents):
            for j, power in enumerate(powers):
                if power:
                    design[:, term] *= tables[j][:, power]
        return design


def _solve(design: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Least squares through the normal equations (fast for the many small
    systems of alternating least squares; the Legendre columns are well
    conditioned)."""
    gram = design.T @ design
    gram[np.diag_indices_from(gram)] += RIDGE * max(float(np.trace(gram)), 1e-300) / len(gram)
    try:
        return np.linalg.solve(gram, design.T @ y)
    except np.linalg.LinAlgError:
        return np.linalg.lstsq(design, y, rcond=None)[0]


def _rss(design: np.ndarray, y: np.ndarray) -> float:
    return float(np.sum((design @ _solve(design, y) - y) ** 2))


@dataclass
class SplitFit:
    """A split's fitted law: ``g(A) + h(B)`` or ``g(A) * h(B)``."""

    kind: str
    side_a: PolynomialBasis
    side_b: PolynomialBasis
    a: np.ndarray
    b: np.ndarray

    def predict(self, points: np.ndarray) -> np.ndarray:
        g, h = self.side_a(points) @ self.a, self.side_b(points) @ self.b
        return g + h if self.kind == "additive" else g * h


def fit_split(kind: str, A: np.ndarray, B: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Coefficients of the split's least-squares law in the sides' columns
    ``A`` and ``B`` (their first column is the constant)."""
    if kind == "additive":
        coefficients = _solve(_additive(A, B), y)
        return coefficients[:A.shape[1]], np.concatenate([[0.0], coefficients[A.shape[1]:]])
    return _rank_one(A, B, y)


def _additive(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    """The columns of ``g(A) + h(B)``, with one constant (in g)."""
    return np.concatenate([A, B[:, 1:]], axis=1)


def _rank_one(A: np.ndarray, B: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Coefficients of ``(A @ a) * (B @ b)`` nearest ``y``: alternating least
    squares from two starts (each side fitted alone first), the better kept."""
    best, best_error = None, np.inf
    for first_a in (True, False):
        if first_a:
            a = _solve(A, y)
            b = _solve(B * (A @ a)[:, None], y)
        else:
            b = _solve(B, y)
            a = _solve(A * (B @ b)[:, None], y)
        for _ in range(ALS_ROUNDS):
            a = _solve(A * (B @ b)[:, None], y)
            b = _solve(B * (A @ a)[:, None], y)
        error = float(np.sum(((A @ a) * (B @ b) - y) ** 2))
        if error < best_error:
            best, best_error = (a, b), error
    return best


def f_quantile(extra_terms: int, residual_dof: int) -> float:
    """The ``1 - SIGNIFICANCE`` quantile of the F distribution."""
    from scipy.stats import f

    return float(f.ppf(1 - SIGNIFICANCE, extra_terms, residual_dof))


@dataclass(frozen=True)
class SplitFound:
    """A split that passed: its kind, side A (input indices), its F
    statistic over the threshold, and its law fitted to all rows."""

    kind: str
    group: tuple[int, ...]
    ratio: float
    model: SplitFit

    @property
    def confidence(self) -> float:
        """1 when the interactions explain nothing, 0 at the threshold."""
        return float(np.clip(1.0 - self.ratio, 0.0, 1.0))


class SplitTests:
    """The F tests of every split of one data set (rows ``X``, target ``y``)."""

    def __init__(self, X: np.ndarray, y: np.ndarray):
        self.X, self.y = X, y
        scale = float(np.std(y))
        self.y_scaled = y / scale if scale > 0 else y  # not centred: g*h less a constant is no product
        self.trusted = scale > 0 and np.all(np.isfinite(y))

    def _bases(self, columns: tuple[int, ...]) -> tuple[PolynomialBasis, PolynomialBasis]:
        return (PolynomialBasis(self.X, columns, degree_for(len(columns), MAX_SIDE_TERMS)),
                PolynomialBasis(self.X, columns, degree_for(len(columns), MAX_INTERACTION_TERMS)))

    def ratios(self, group: tuple[int, ...]) -> dict[str, float]:
        """Each kind's F statistic over its threshold for the split of
        ``group`` (A) from the other inputs (below 1 passes); NaN where the
        test cannot be asked or one side does not move the target."""
        other = tuple(j for j in range(self.X.shape[1]) if j not in group)
        nothing = {"additive": float("nan"), "multiplicative": float("nan")}
        if not self.trusted or not group or not other:
            return nothing
        (side_a, near_a), (side_b, near_b) = self._bases(tuple(group)), self._bases(other)
        A, B, y = side_a(self.X), side_b(self.X), self.y_scaled
        interactions = (near_a(self.X)[:, 1:, None] * near_b(self.X)[:, None, 1:]).reshape(len(y), -1)
        n, terms = len(y), A.shape[1] + B.shape[1] + interactions.shape[1]
        if n < MIN_ROWS_PER_TERM * terms:
            return nothing
        additive = _additive(A, B)
        everything = np.concatenate([additive, interactions], axis=1)
        rss_everything = _rss(everything, y)
        for alone in (A, B):  # a side that adds nothing the noise could not is not a side
            if self._f_ratio(_rss(alone, y), alone.shape[1], rss_everything, everything.shape[1]) < 1:
                return nothing
        a, b = _rank_one(A, B, y)
        g, h = A @ a, B @ b
        tangent = np.concatenate([A * h[:, None], B[:, 1:] * g[:, None], interactions], axis=1)  # holds g*h
        terms_product = A.shape[1] + B.shape[1] - 1
        return {"additive": self._f_ratio(_rss(additive, y), additive.shape[1], rss_everything, everything.shape[1]),
                "multiplicative": self._f_ratio(float(np.sum((g * h - y) ** 2)), terms_product, _rss(tangent, y),
                                                tangent.shape[1])}

    def _f_ratio(self, rss_small: float, terms_small: int, rss_large: float, terms_large: int) -> float:
        """The F statistic of the larger model's extra terms over its threshold."""
        n = len(self.y)
        extra, dof = terms_large - terms_small, n - terms_large
        if extra <= 0 or dof <= 0:
            return float("nan")
        if rss_large <= 0:
            return 0.0 if rss_small <= 0 else float("inf")
        statistic = max(rss_small - rss_large, 0.0) / extra / (rss_large / dof)
        return statistic / f_quantile(extra, dof)

    def found(self, kind: str, group: tuple[int, ...], ratio: float) -> SplitFound:
        """A passed split, its law fitted to all rows in the target's units."""
        other = tuple(j for j in range(self.X.shape[1]) if j not in group)
        (side_a, _), (side_b, _) = self._bases(tuple(group)), self._bases(other)
        a, b = fit_split(kind, side_a(self.X), side_b(self.X), self.y)
        return SplitFound(kind, tuple(group), ratio, SplitFit(kind, side_a, side_b, a, b))


def split_separations(tests: SplitTests, groups, deadline: float | None = None) -> list[SplitFound]:
    """The split among ``groups`` that passes most surely (a list of at most
    one); those not reached by ``deadline`` (``time.perf_counter()``) are
    not asked."""
    passed = []
    for group in groups:
        if deadline is not None and time.perf_counter() > deadline:
            break
        for kind, ratio in tests.ratios(group).items():
            if np.isfinite(ratio) and ratio < 1:
                passed.append((ratio, kind, group))
    return [tests.found(kind, group, ratio) for ratio, kind, group in sorted(passed)[:1]]
