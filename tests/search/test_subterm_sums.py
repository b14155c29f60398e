"""Sums of the search's own pieces (``search.subterm_sums``) and the kernel
that offers them during the evolution (``search.subterm_kernel``)."""

from __future__ import annotations

import numpy as np
import pandas as pd

import hypo
from hypo.constants import fit_constants
from hypo.evaluate import evaluate
from hypo.printing import parse
from knowledge.dimensions import propagate
from search.base import StepInfo
from search.subterm_kernel import FIRST_STEP, MOVE_NAME, SubtermSumsKernel
from search.subterm_sums import pieces, subterm_sums, term_dictionary

OPERATORS = ("add", "sub", "mul", "div", "exp", "log", "sin", "cos", "sqrt")


def columns(names: str, n: int = 400, seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    return {name: rng.uniform(1, 3, n) for name in names}


def exact_after_refit(laws, c: dict, y: np.ndarray) -> bool:
    """Whether one of ``laws`` fits ``y`` to rounding once its constants are refitted."""
    return any(fit_constants(law, c, y, max_iterations=100).mse < 1e-20 * np.mean(y**2) for law in laws)


def test_a_sum_of_pieces_of_two_wrong_laws_is_found():
    """``exp(-b/c)`` sits in one wrong law, ``b**2*c`` in another: neither
    law is right and the fixed monomial dictionary of the seeds has no
    ``exp(-b/c)``, but a sum of the pieces is the law."""
    c = columns("abc")
    y = c["a"] * np.exp(-c["b"] / c["c"]) + c["b"] ** 2 * c["c"]
    laws = [parse("c*exp(-1.3*b/c) + 2.1*a"), parse("b**2*c + sin(a)")]
    sums = subterm_sums(laws, c, y, OPERATORS)
    assert exact_after_refit(sums, c, y)
    assert not exact_after_refit(laws, c, y)


def test_the_pieces_are_sub_expressions_functions_of_small_ones_and_the_inputs():
    found = pieces([parse("2.5*exp(-a/b) + c*sqrt(a)")], ("a", "b", "c"), OPERATORS)
    assert parse("exp(-a/b)") in found  # its coefficient dropped: the regression fits its own
    assert parse("a/b") in found and parse("c*sqrt(a)") in found
    assert parse("2.5*exp(-a/b) + c*sqrt(a)") not in found  # a whole sum is its terms
    assert parse("cos(a/b)") in found  # a function of a small piece
    assert {parse("a"), parse("b**2"), parse("sqrt(c)")} <= set(found)
    assert parse("cos(a/b)") not in pieces([parse("2.5*exp(-a/b)")], ("a", "b"), ("add", "mul", "div"))


def test_with_units_every_term_has_the_target_dimension():
    """x in metres, t in seconds, the target a speed: ``x/t`` and
    ``x*t/t**2`` may enter, ``x`` and ``x*t`` may not."""
    c = columns("xt")
    dimensions = {"x": np.array([1.0, 0.0]), "t": np.array([0.0, 1.0])}
    speed = np.array([1.0, -1.0])
    laws = [parse("x/t + 0.3*x*t"), parse("sqrt(x)*t")]
    terms = term_dictionary(laws, c, OPERATORS, dimensions, speed)
    assert terms
    for builder, values in terms:
        term = builder()
        check = propagate(term, dimensions)
        assert check.offence == 0 and np.allclose(check.dimension, speed), str(term)
        assert np.allclose(evaluate(term, c), values)
    unfiltered = term_dictionary(laws, c, OPERATORS)
    assert len(unfiltered) > 3 * len(terms)


class _CountingEvolution:
    """A stand-in for the evolution: each step offers one fixed law."""

    name = "evolution"

    def __init__(self, scorer, law):
        self.scorer, self.law, self.immigrants = scorer, law, []

    def init(self, rng, seeds):
        return 0

    def step(self, rng, state):
        return state + 1, StepInfo(tuple(self.scorer.score_batch([self.law])), ("mutate",))

    def immigrate(self, state, scores):
        self.immigrants += list(scores)
        return state


def test_the_kernel_offers_sums_at_doubling_steps_and_they_join_the_islands():
    from hypo.scoring import Scorer

    c = columns("abc")
    y = c["a"] * np.exp(-c["b"] / c["c"]) + c["b"] ** 2 * c["c"]
    scorer = Scorer(c, y, np.random.default_rng(0))
    evolution = _CountingEvolution(scorer, parse("c*exp(-b/c) + b**2*sin(a)"))  # right pieces, wrong law
    kernel = SubtermSumsKernel(evolution, scorer, OPERATORS)
    rng = np.random.default_rng(0)
    state = kernel.init(rng, [parse("b**2*c")])
    offered_at = []
    for step in range(1, 4 * FIRST_STEP + 1):
        state, info = kernel.step(rng, state)
        if MOVE_NAME in info.moves:
            offered_at.append(step)
    assert offered_at == [FIRST_STEP]  # at 2x and 4x the best laws had not changed: nothing new to combine
    assert evolution.immigrants and min(score.nmse for score in evolution.immigrants) < 1e-20
    summary = kernel.summary([evolution.immigrants[0].key])
    assert summary["entered"] >= 1 and summary["best"] is True
    assert kernel.law is evolution.law  # other attributes are the evolution's


def test_a_fit_reports_what_the_sums_brought():
    c = columns("abc", n=300)
    frame = pd.DataFrame(c)
    frame["f"] = c["a"] * np.exp(-c["b"] / c["c"]) + c["b"] ** 2 * c["c"]
    result = hypo.fit(frame, target="f", max_evals=30_000, seed=0, progress=False)
    summary = result.stats["subterm_sums"]
    assert set(summary) == {"proposed", "entered", "laws", "best"}
    assert summary["proposed"] > 0
