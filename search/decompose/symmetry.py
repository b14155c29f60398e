"""Symmetry tests on the data's gradients (AI Feynman's questions, asked of
a local smooth model instead of a neural network).

* translational: f depends on ``x_i - x_j`` only through the pair, so moving
  both by the same amount leaves it unchanged: ``∂f/∂x_i + ∂f/∂x_j = 0``;
* scaling: f depends on ``x_i / x_j``: ``x_i ∂f/∂x_i + x_j ∂f/∂x_j = 0``.

Each test's statistic is scale-free (the violation over the size of the
terms, medians over probe points) and passes below :data:`THRESHOLD`; the
gradients' own error decides whether any test is asked.  With units, only
pairs of one dimension are asked.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from search.decompose.gradients import Gradients

THRESHOLD = 0.1
"""Largest statistic that passes on exact gradients; noisier ones allow
:data:`ERROR_SLOPE` times their error more.  On the generated laws of
``bench/symmetry_tests.py`` true symmetries give medians of 0.01-0.03 at
noise 0 and 0.03-0.06 at 1% noise (scaling: 5% of them above 0.16), absent
ones 0.6 and up (5% quantile): the bench measures the error rates."""

ERROR_SLOPE = 0.5
"""Allowance per unit of the gradients' own error: at 1% noise a fixed
threshold of 0.1 missed 17.5% of the scaling symmetries, this one 4.5%,
with no false positive added at either noise level."""

MAX_ERROR = 0.3
"""Gradients whose two neighbourhood sizes disagree by more than this
(relative, median) are too noisy for any test to be trusted."""

MIN_INFLUENCE = 1e-3
"""A pair whose inputs hardly move the target (relative to the strongest
input) is not tested: a symmetry of nothing is no symmetry."""


@dataclass(frozen=True)
class Symmetry:
    """A passed test: ``kind`` ("translational" or "scaling") in inputs
    ``first`` and ``second`` (indices), with its statistic and threshold."""

    kind: str
    first: int
    second: int
    statistic: float
    threshold: float

    @property
    def confidence(self) -> float:
        """1 at a statistic of 0, 0 at the threshold."""
        return max(0.0, 1.0 - self.statistic / self.threshold)


def threshold_for(gradients: Gradients) -> float | None:
    """The statistic below which a test passes, or None when the gradients
    are too noisy to test anything."""
    return THRESHOLD + ERROR_SLOPE * gradients.error if gradients.error <= MAX_ERROR else None


def statistic(gradients: Gradients, kind: str, first: int, second: int) -> float:
    """The test's violation over its scale (0 = perfectly symmetric); NaN
    where the pair does not move the target."""
    g, x = gradients.values, gradients.points
    if kind == "translational":
        a, b = g[:, first], g[:, second]
    elif kind == "scaling":
        a, b = x[:, first] * g[:, first], x[:, second] * g[:, second]
    else:
        raise ValueError(kind)
    size = np.median(np.abs(a) + np.abs(b))
    terms = np.abs(g * x) if kind == "scaling" else np.abs(g)
    strongest = np.max(np.median(terms, axis=0))
    if not np.isfinite(size) or size <= MIN_INFLUENCE * strongest or np.median(np.abs(a)) <= 0.1 * size \
            or np.median(np.abs(b)) <= 0.1 * size:
        return float("nan")
    return float(np.median(np.abs(a + b)) / size)


def symmetries(gradients: Gradients, pairs: list[tuple[int, int]], kinds=("translational", "scaling"),
               positive: np.ndarray | None = None) -> list[Symmetry]:
    """Every passed test among ``pairs``, most certain first.  Scaling is
    asked only of inputs that keep one sign (``positive``)."""
    threshold = threshold_for(gradients)
    if threshold is None:
        return []
    found = []
    for kind in kinds:
        for first, second in pairs:
            if kind == "scaling" and positive is not None and not (positive[first] and positive[second]):
                continue
            value = statistic(gradients, kind, first, second)
            if np.isfinite(value) and value < threshold:
                found.append(Symmetry(kind, first, second, value, threshold))
    return sorted(found, key=lambda symmetry: symmetry.statistic)


def disjoint(found: list[Symmetry]) -> list[Symmetry]:
    """The most certain symmetries that share no input, in order."""
    used, chosen = set(), []
    for symmetry in found:
        if symmetry.first in used or symmetry.second in used:
            continue
        chosen.append(symmetry)
        used.update((symmetry.first, symmetry.second))
    return chosen
