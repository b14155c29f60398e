"""From the hall of fame to the reported laws: refit, exact constants,
full posterior, merged equivalents, probabilities."""

from __future__ import annotations

import math
import time
from dataclasses import replace

import numpy as np

from hypo.equivalence import equal_law_groups
from hypo.posterior import NOISE_FLOOR, posterior_by_structure
from hypo.result import Law
from hypo.scoring import Scorer
from hypo.constants import fit_constants
from hypo.snapping import simple_form_within, snap_constants

N_REFIT = 25
"""How many of the best laws are refitted on all rows before reporting."""


def final_laws(scorer: Scorer, hall, prior, positive: frozenset[str] = frozenset(),
               named_constants: dict[str, float] | None = None,
               deadline: float | None = None) -> tuple[list[Law], list[Law], float, list[str]]:
    """Refit the best laws on all rows, rank them by log-posterior, and
    normalize over the hypotheses; laws equal on the data's domain (``positive``
    variables stay positive) are one law carrying their summed probability.
    Also the best law's noise scale and each law's structure key.  Past
    ``deadline`` (``time.perf_counter`` time) fewer laws are reported: the
    best one always, then the Pareto front and the most probable in turn."""
    best = hall.top()[:1]
    candidates = best + hall.pareto_front() + hall.top()[1:N_REFIT]
    refitted, seen = [], set()
    for score in candidates:
        if score.key in seen:
            continue
        if refitted and _past(deadline):
            break
        seen.add(score.key)
        refitted.append(_snapped(scorer, scorer.refit(score)))
    # the first law is brought to its mode whatever the time: a fit reports at least one
    converged = (_converged(scorer, score, deadline if index else None) for index, score in enumerate(refitted))
    refitted = [s for s in converged if s is not None and s.is_valid]
    refitted.sort(key=lambda s: s.log_posterior, reverse=True)
    refitted[:N_NOISY_SNAP] = [s if _past(deadline) else _snapped_within_noise(scorer, s)
                               for s in refitted[:N_NOISY_SNAP]]
    refitted.sort(key=lambda s: s.log_posterior, reverse=True)
    probabilities = posterior_by_structure([s.key for s in refitted], [s.log_posterior for s in refitted])
    groups = equal_law_groups(refitted, scorer.columns, positive)
    refitted = [members[0] for members in groups]
    merged = [sum(probabilities.get(key, 0.0) for key in {s.key for s in members}) for members in groups]
    laws = [_law(s, probability, prior, positive, named_constants or {}) for s, probability in zip(refitted, merged)]
    pareto = pareto_front(laws)
    sigma = refitted[0].terms.sigma if refitted and refitted[0].terms is not None else math.nan
    return laws, pareto, float(sigma), [s.key for s in refitted]


def _past(deadline: float | None) -> bool:
    return deadline is not None and time.perf_counter() > deadline


def readable_within(laws: list[Law], deadline: float | None) -> list[Law]:
    """``laws`` with their printed forms simplified (``hypo.readable``, up to
    0.3 s a law) while time is left before ``deadline``: the best law always,
    then the Pareto front, then the rest in order; a law reached too late is
    printed as found (``Law.simplified`` False)."""
    if deadline is None:
        return laws
    front = {id(law) for law in pareto_front(laws)}
    order = sorted(range(len(laws)), key=lambda i: (i > 0, id(laws[i]) not in front, i))
    out = list(laws)
    for position, index in enumerate(order):
        if position > 0 and _past(deadline):
            out[index] = replace(laws[index], simplified=False)
        else:
            laws[index].sympy()  # cached for every later print
    return out


def pareto_front(laws: list[Law]) -> list[Law]:
    """The reported laws no simpler one beats in error (``Law.nmse``, weighted as
    the fit weighs rows), by increasing complexity: drawn on that same error,
    the front only goes down."""
    front, best_error = [], math.inf
    for law in sorted(laws, key=lambda law: (law.complexity, law.nmse)):
        if law.nmse < best_error:
            front.append(law)
            best_error = law.nmse
    return front


def _law(score, probability: float, prior, positive: frozenset[str], named_constants: dict[str, float]) -> Law:
    terms = score.terms
    violations = prior.violations(score.law) if prior is not None else {}
    context = {"positive": positive, "named_constants": named_constants, "nmse": float(score.nmse)}
    if terms is None:
        return Law(score.law, score.complexity, score.mse, score.log_posterior, float(probability),
                   log_prior=score.log_prior, violations=violations, **context)
    return Law(score.law, score.complexity, score.mse, score.log_posterior, float(probability),
               log_likelihood=terms.log_likelihood, log_prior=terms.log_knowledge_prior,
               log_structure_prior=terms.log_structure_prior, violations=violations,
               covariance=terms.covariance, sigma=float(terms.sigma), **context)


EVIDENCE_EXCESS = 10.0
"""Most nats a reported law's evidence may exceed its own log-likelihood.
The evidence is the structure's, at its posterior mode one Newton step from
the fitted constants; when that step gains more, the fit stopped far from
the mode and the printed constants would not be the ones scored."""

CONVERGE_ITERATIONS = 200
"""Levenberg-Marquardt iterations allowed to bring such a law to its mode."""


def _converged(scorer: Scorer, score, deadline: float | None = None):
    """``score`` with its constants at the mode its evidence speaks of: refitted
    longer when they are far from it; None when even that does not get there
    (or there is no time left to try)."""
    if not _far_from_mode(score):
        return score
    if _past(deadline):
        return None
    refitted = _refitted(scorer, score.law, score, max_iterations=CONVERGE_ITERATIONS)
    return None if refitted is None or _far_from_mode(refitted) else refitted


def _far_from_mode(score) -> bool:
    terms = score.terms
    return (terms is not None and math.isfinite(terms.log_evidence) and math.isfinite(terms.log_likelihood)
            and terms.log_evidence - terms.log_likelihood > EVIDENCE_EXCESS)


SNAP_NATS = 0.5
"""Largest loss of log-likelihood (in nats, at the noise floor) accepted to
write a fitted constant in its exact form."""


def _snapped(scorer: Scorer, score):
    """The score of the law with exact constants (``1/(2*pi)`` for 0.159...),
    when they fit as well as the fitted ones; else the score unchanged."""
    if not score.is_valid:
        return score
    n = scorer.n_rows
    tolerance = (score.nmse + NOISE_FLOOR) * math.exp(2 * SNAP_NATS / n) - NOISE_FLOOR

    scored = {}  # each candidate is scored once, the accepted one included

    def loss(law):
        scored[law] = scorer.score_law(law, score.key, score.structure)
        return scored[law].nmse if scored[law] is not None else math.inf

    law = snap_constants(score.law, loss, tolerance)
    if law is score.law:
        return score
    snapped = scored[law] if law in scored else scorer.score_law(law, score.key, score.structure)
    return snapped if snapped is not None else score


N_NOISY_SNAP = 8
"""How many of the most probable laws are tried with noisy constants written
exactly (each try is a refit and a full posterior)."""

NOISY_SNAP_SIGMAS = 2.0
"""A noisy constant is tried as an exact form within this many of its
standard deviations (Laplace covariance)."""


def _snapped_within_noise(scorer: Scorer, score):
    """The law with constants the data know only roughly written exactly,
    where the full posterior prefers it: fixing a constant saves its Occam
    cost, and the likelihood loss of a value within its error bars is small.
    Bayesian model comparison, one constant at a time (``score`` must carry
    the full posterior terms)."""
    terms = score.terms
    if terms is None or terms.covariance is None or not score.is_valid:
        return score
    deviations = np.sqrt(np.clip(np.diag(np.atleast_2d(terms.covariance)), 0.0, None))
    if len(deviations) != score.law.n_constants:
        return score
    best = score
    # constants are visited last to first by their rank among the constants:
    # a replacement (which may drop a ``*1`` node and shift the preorder
    # positions after it) leaves the ranks of the earlier constants alone
    for rank in reversed(range(len(deviations))):
        index = _constant_positions(best.law)[rank]
        exact = simple_form_within(best.law.subtree(index).value, NOISY_SNAP_SIGMAS * deviations[rank])
        if exact is None:
            continue
        candidate = _refitted(scorer, _with_exact(best.law, index, exact), score)
        if candidate is not None and candidate.log_posterior > best.log_posterior:
            best = candidate
    return best


def _constant_positions(law) -> list[int]:
    """Preorder positions of the free constants (their order is the covariance's)."""
    return [i for i, node in enumerate(law.walk()) if node.op == "const"]


def _with_exact(law, index: int, exact):
    """``law`` with the constant at ``index`` replaced by ``exact``; a factor
    of exactly 1 is dropped rather than written (``I1``, not ``1*I1``)."""
    if exact.op == "num" and exact.name is None and exact.value == 1.0:
        for position, node in enumerate(law.walk()):
            if node.op != "mul":
                continue
            second = position + 1 + sum(1 for _ in node.children[0].walk())
            if index in (position + 1, second):
                return law.replace_at(position, node.children[1 if index == position + 1 else 0])
    return law.replace_at(index, exact)


def _refitted(scorer: Scorer, law, score, max_iterations: int = 50):
    """``law`` with its remaining free constants refitted, under the full posterior; None if invalid."""
    if law.n_constants:
        fit = fit_constants(law, scorer.columns, scorer.y, linear_scaling=False, max_iterations=max_iterations,
                            weights=scorer.kernel_weights)
        if not math.isfinite(fit.mse):
            return None
        law = law.with_constants(fit.params)
    fitted = scorer.score_law(law, score.key, score.structure)
    if fitted is None or not fitted.is_valid:
        return None
    return fitted

