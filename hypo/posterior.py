"""The one place where fit and prior are combined into a log-posterior.

Until the full Bayesian treatment lands (Laplace-integrated likelihood and
the knowledge prior), the score is a documented stand-in with the same shape:

    log_posterior = -n/2 * log(nmse + NOISE_FLOOR)          (fit)
                    - complexity * NATS_PER_COMPLEXITY        (structure prior)
                    - n_constants/2 * log(n)                  (BIC price of a constant)
                    + log_prior                               (knowledge, 0 for now)

``nmse`` is the mean squared error divided by the target's variance, so the
score does not depend on the target's units.  ``posterior`` normalizes
``exp(log_posterior)`` over the distinct laws found.
"""

from __future__ import annotations

import math

import numpy as np

NOISE_FLOOR = 1e-10
"""Relative error below which two laws count as fitting equally well.

Double-precision evaluation of an exact law leaves relative errors around
1e-15..1e-12; the floor stops a longer formula from winning by shaving
rounding noise, so among laws exact to ten digits the simplest wins.
"""

NATS_PER_COMPLEXITY = math.log(10.0)
"""Price of one unit of complexity: about one choice among ten symbols."""


def log_posterior(nmse: float, complexity: float, n_constants: int, n_rows: int,
                  log_prior: float = 0.0) -> float:
    """Stand-in log-posterior of one fitted law (see the module docstring)."""
    if not math.isfinite(nmse) or not math.isfinite(log_prior):
        return -math.inf
    fit = -0.5 * n_rows * math.log(nmse + NOISE_FLOOR)
    return fit - complexity * NATS_PER_COMPLEXITY - 0.5 * n_constants * math.log(max(n_rows, 2)) + log_prior


def normalize(log_posteriors) -> np.ndarray:
    """Posterior probabilities from log-posteriors (log-sum-exp, -inf gives 0)."""
    values = np.asarray(list(log_posteriors), dtype=float)
    if values.size == 0 or not np.any(np.isfinite(values)):
        return np.zeros_like(values)
    shifted = values - np.max(values[np.isfinite(values)])
    weights = np.where(np.isfinite(shifted), np.exp(shifted), 0.0)
    return weights / weights.sum()
