"""Is the target a function of one combination of its inputs?

``f = F(u)`` with ``u = prod(x_i**e_i)`` makes ``x_i ∂f/∂x_i = F'(u) u e_i``:
the inputs' elasticity terms keep fixed ratios ``e_i / e_j`` at every
point, whatever ``F`` is.  Where they do (and the ratios are simple
fractions), the problem becomes one in the single input ``u``, which the
search solves easily (``tanh(mom*B/(kb*T))`` is ``F(u)`` with
``u = mom*B/(kb*T)``).  Read from the gradient direction of the local
fits, as AI Feynman reads it from its network's; the data then decide:
``u`` alone must predict the target about as well as all inputs do.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from search.decompose.gradients import Gradients
from search.decompose.separability import prediction_error

MAX_SPREAD = 0.3
"""Largest spread of a ratio over probe points (its median absolute
deviation over its median) for it to propose an exponent: the local fits'
gradients carry several percent of error; the data decide after."""

TOLERANCE = 0.15
"""A ratio this close (relative) to a simple fraction proposes it."""

MAX_RATIO = 1.5
"""The target passes as ``F(u)`` when predicting it from ``u`` alone errs at
most this many times as much as predicting it from all inputs."""


def single_combination(gradients: Gradients, X: np.ndarray, y: np.ndarray,
                       positive: np.ndarray) -> tuple[dict[int, Fraction], float] | None:
    """The exponents ``{input: e}`` of the one monomial ``u`` the target
    depends through, the strongest input's +-1 (proposed by the gradients'
    ratios, kept when ``u`` alone predicts the target about as well as all
    inputs do), with the confidence of that test; None when there is none,
    or only one input to combine.  Only inputs of one sign are combined."""
    d = X.shape[1]
    if d < 2 or not np.all(positive):
        return None
    terms = gradients.points * gradients.values                      # x_i * df/dx_i
    strongest = int(np.argmax(np.median(np.abs(terms), axis=0)))
    reference = terms[:, strongest]
    usable = np.abs(reference) >= 0.1 * np.median(np.abs(reference))
    if usable.sum() < 0.5 * len(reference):
        return None
    exponents = {}
    for index in range(d):
        ratios = terms[usable, index] / reference[usable]
        centre = float(np.median(ratios))
        if abs(centre) < 1e-2 or np.median(np.abs(ratios - centre)) > MAX_SPREAD * abs(centre):
            return None
        exponent = _simple_fraction(centre)
        if exponent is None:
            return None
        exponents[index] = exponent
    if sum(exponents.values()) < 0:  # u or 1/u: the one with more positive powers reads better
        exponents = {index: -e for index, e in exponents.items()}
    with np.errstate(all="ignore"):
        u = np.prod([np.abs(X[:, index]) ** float(e) for index, e in exponents.items()], axis=0)
    if not np.all(np.isfinite(u)) or np.ptp(u) == 0:
        return None
    probes = np.random.default_rng(0).choice(len(y), size=min(300, len(y)), replace=False)
    alone, everything = prediction_error(u[:, None], y, probes), prediction_error(X, y, probes)
    if alone > MAX_RATIO * everything:
        return None
    return exponents, max(0.0, 1.0 - alone / (MAX_RATIO * everything)) if everything > 0 else 1.0
def _simple_fraction(value: float) -> Fraction | None:
    candidate = Fraction(value).limit_denominator(4)
    if candidate == 0 or abs(candidate) > 4 or abs(float(candidate) - value) > TOLERANCE * abs(value):
        return None
    return candidate
