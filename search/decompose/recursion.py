"""Sub-problems from the data's symmetries and separabilities, solved by the
ordinary fit, their laws brought back in the original inputs.

One decomposition takes up to three steps, each on what the last left:

1. every disjoint symmetry found at once: a translational one in ``(a, b)``
   makes a new input ``a - b`` in their place, a scaling one ``a / b``
   (three coordinate differences become three inputs);
2. power-law factors: ``y = x**e * T(rest)`` divides the target by ``x**e``
   and drops ``x`` (steps 1 and 2 repeat while they find factors: fewer
   inputs sharpen the local fits); then, if what is left is ``F(u)`` of one
   monomial ``u`` of all its inputs, ``u`` becomes the only input;
3. when neither applied, a separable law, ``g(A) + h(B)`` or
   ``g(A) * h(B)``, of the target or of ``y**2``, ``sqrt(y)``, ``1/y``,
   ``asin(y)``, ``acos(y)`` (``search.decompose.separable``): the smooth
   model gives each side with the other held at a central row, and each
   side is fitted alone.

Each sub-fit runs under the same knowledge (new inputs keep their pair's
units, a divided target its units over the factor's) and a share of the
budget.  Its best laws, written back in the original inputs (and the two
sides of a separable law joined), are candidate laws of the whole problem:
the search refits and scores them on the original data, and the posterior
decides.
"""

from __future__ import annotations

import contextvars
import itertools
import time
from dataclasses import dataclass

import numpy as np

from hypo.errors import HypoError
from hypo.expr import Expr
from hypo.operators import DEFAULT_OPERATORS
from search.decompose.combination import single_combination
from search.decompose.gradients import estimate_gradients
from search.decompose.separability import MAX_MODEL_ERROR, POWER_THRESHOLD, power_factors
from search.decompose.separable import best_separation, joined_law, remainder_problem, side_problems
from search.decompose.smooth_model import SmoothModel
from search.decompose.subproblem import (SubProblem, as_combination, divided_by_powers, original_problem,
                                         with_new_inputs)
from search.decompose.symmetry import MAX_ERROR, disjoint, symmetries

MAX_ROWS = 2_000
"""Rows given to a sub-fit: its laws are refitted on all rows afterwards."""

N_LAWS = 10
"""Laws of a sub-fit brought back as candidates."""

N_SIDE_LAWS = 4
"""Laws of each side of a separable law joined pairwise (16 candidates)."""

TEST_SHARE = 0.25
"""Share of the decomposition's time the separability tests may take."""

MAX_ROUNDS = 3
"""Rounds of symmetries and power-law factors in one decomposition."""

MIN_SECONDS = 1.0
"""Shortest sub-fit worth starting."""

_inside_a_sub_fit = contextvars.ContextVar("inside_a_sub_fit", default=False)


@dataclass(frozen=True)
class Decomposition:
    """One applied step, for the report: its ``kind``, the ``inputs`` it
    joined (for a separability, the first side's), how sure the test was,
    and what it made."""

    kind: str
    inputs: tuple[str, ...]
    confidence: float
    result: str

    def describe(self) -> str:
        what = {"translational": "translational symmetry", "scaling": "scaling symmetry",
                "power": "power-law factor", "combination": "a function of one combination",
                "additive": "additive separability",
                "multiplicative": "multiplicative separability"}[self.kind]
        return f"{what} in ({', '.join(self.inputs)}): confidence {self.confidence:.2f} -> {self.result}"

    def to_dict(self) -> dict:
        return {"kind": self.kind, "inputs": list(self.inputs), "confidence": self.confidence,
                "result": self.result}


def decomposed_laws(X: np.ndarray, y: np.ndarray, names: tuple[str, ...], target: str, knowledge,
                    rng: np.random.Generator, deadline: float | None, max_evals: int | None,
                    seed: int, fit_options: dict, tried: dict | None = None,
                    clean_deadline: float | None = None) -> tuple[list[Expr], list[Decomposition]]:
    """Candidate laws from sub-fits on the decompositions found, and the
    steps applied (none: no laws).  ``tried`` (if given) counts the tests
    asked, by kind, and lists under ``"skipped"`` those not asked and why.
    The sub-fits end by ``deadline``, or by ``clean_deadline`` when a
    smooth model finds the data free of noise (they stop early there).
    Ctrl-C during a sub-fit raises :class:`SubFitInterrupted` carrying the
    laws found so far."""
    if _inside_a_sub_fit.get() or not _time_for_a_sub_fit(deadline):
        return [], []
    tried = {} if tried is None else tried
    rows = rng.choice(len(y), size=min(MAX_ROWS, len(y)), replace=False)
    problem = original_problem(X[rows], y[rows], names, target, knowledge)
    gradients = estimate_gradients(problem.X, problem.y, rng)
    if gradients is None:
        _skipped(tried, f"sub-problems not sought: {len(problem.y)} rows are too few for a smooth model of "
                        f"{len(names)} inputs")
        return [], []
    model = SmoothModel(problem.X, problem.y, rng)
    if clean_deadline is not None and model.error <= MAX_MODEL_ERROR:
        deadline = clean_deadline if deadline is None else max(deadline, clean_deadline)
    problem, gradients, applied = _symmetries_and_factors(problem, gradients, knowledge, tried, rng)
    if gradients is not None:
        problem, combined = _apply_combination(problem, gradients, tried)
        applied += combined
    if applied:
        laws = _solved(problem, knowledge, deadline, max_evals, seed, fit_options, applied, N_LAWS)
        return [problem.original_law(law) for law in laws], applied
    return _separable_laws(problem, knowledge, rng, deadline, max_evals, seed, fit_options, tried, model)


def _symmetries_and_factors(problem: SubProblem, gradients, knowledge, tried: dict, rng):
    """Symmetries, then power-law factors, again while either finds one:
    with fewer inputs the local fits grow sharper, so a symmetry hidden
    by six inputs' curvature (III.9.52's ``omega - omega_0`` beside three
    factors) shows once the factors are gone."""
    applied = []
    for _ in range(MAX_ROUNDS):
        if gradients.error > MAX_ERROR:
            _skipped(tried, f"symmetries among {', '.join(problem.names)} not sought: the local fits' gradients "
                            f"disagree by {gradients.error:.0%} (noisy or rapidly varying data; trusted up to "
                            f"{MAX_ERROR:.0%})")
        problem, found = _apply_symmetries(problem, gradients, knowledge, tried)
        if found:
            gradients = estimate_gradients(problem.X, problem.y, rng)
        if gradients is None:
            return problem, None, applied + found
        problem, factors = _apply_power_factors(problem, gradients, tried)
        if factors:
            gradients = estimate_gradients(problem.X, problem.y, rng)
        applied += found + factors
        if not factors or gradients is None:
            break
    return problem, gradients, applied


class SubFitInterrupted(KeyboardInterrupt):
    """Ctrl-C came during a sub-fit: the fit stops, keeping these laws."""

    def __init__(self, laws: list[Expr], applied: list[Decomposition]):
        super().__init__()
        self.laws, self.applied = laws, applied


def _skipped(tried: dict, reason: str) -> None:
    """A test not asked, and why: a note for the report."""
    tried.setdefault("skipped", []).append(reason)


def _time_for_a_sub_fit(deadline: float | None) -> bool:
    return deadline is None or deadline - time.perf_counter() >= MIN_SECONDS


def _apply_symmetries(problem: SubProblem, gradients, knowledge, tried: dict):
    names = problem.names
    pairs = _admissible_pairs(names, knowledge)
    positive = problem.one_signed
    tried["translational"] = tried.get("translational", 0) + len(pairs)
    tried["scaling"] = tried.get("scaling", 0) + sum(bool(positive[a] and positive[b]) for a, b in pairs)
    chosen = disjoint(symmetries(gradients, pairs, positive=positive))
    if not chosen:
        return problem, []
    taken = set(names) | {problem.target}
    steps, applied = [], []
    for symmetry in chosen:
        a, b = names[symmetry.first], names[symmetry.second]
        word, sign = ("minus", "-") if symmetry.kind == "translational" else ("over", "/")
        new = _fresh(f"{a}_{word}_{b}", taken)
        taken.add(new)
        steps.append((symmetry.kind, a, b, new))
        applied.append(Decomposition(symmetry.kind, (a, b), symmetry.confidence, f"{a} {sign} {b}"))
    return with_new_inputs(problem, steps), applied


def _apply_power_factors(problem: SubProblem, gradients, tried: dict):
    positive = problem.one_signed
    tried["power"] = tried.get("power", 0) + int(positive.sum())
    factors = power_factors(gradients, problem.X, problem.y, positive)
    if not factors or len(factors) >= len(problem.names):  # a pure monomial: the seeds have it
        return problem, []
    names = problem.names
    powers = {names[factor.index]: factor.exponent for factor in factors}
    applied = [Decomposition("power", (names[factor.index],),
                             min(1.0, max(0.0, 1.0 - (factor.statistic - 1.0) / (POWER_THRESHOLD - 1.0))),
                             f"{problem.target} / {names[factor.index]}**{factor.exponent}") for factor in factors]
    return divided_by_powers(problem, powers), applied


def _apply_combination(problem: SubProblem, gradients, tried: dict):
    """The problem in one input when the target is a function of one
    monomial of all its inputs (``search.decompose.combination``)."""
    if len(problem.names) < 2:
        return problem, []
    positive = problem.one_signed
    tried["single combination"] = tried.get("single combination", 0) + 1
    found = single_combination(gradients, problem.X, problem.y, positive)
    if found is None:
        return problem, []
    exponents, confidence = found
    names = problem.names
    powers = {names[index]: exponent for index, exponent in exponents.items()}
    new = _fresh("u", set(names) | {problem.target})
    text = " * ".join(name if e == 1 else f"{name}**{e}" for name, e in powers.items())
    applied = [Decomposition("combination", names, confidence, f"{problem.target} = F({text})")]
    return as_combination(problem, powers, new), applied


def _separable_laws(problem: SubProblem, knowledge, rng, deadline, max_evals, seed, fit_options, tried, model):
    """Laws ``g(A) op h(B)`` (or a transform of the target undone around
    them) from the best separable split.  The side that moves the target
    more is fitted first, on the smooth model's values with the other side
    held fixed; the other side then on the data divided by (or less) that
    law, so that it does not inherit the model's errors."""
    if len(problem.names) < 2:
        return [], []
    testing_ends = None if deadline is None else time.perf_counter() + TEST_SHARE * (deadline - time.perf_counter())
    operators = fit_options.get("operators") or DEFAULT_OPERATORS
    separation = best_separation(problem, operators, rng, testing_ends, tried, model)
    if separation is None:
        return [], []
    names = problem.names
    side_a = tuple(names[j] for j in separation.group)
    side_b = tuple(name for name in names if name not in side_a)
    join = {"additive": "+", "multiplicative": "*"}[separation.kind]
    transformed = separation.transform.name.replace("y", problem.target, 1)
    applied = [Decomposition(separation.kind, side_a, separation.confidence,
                             f"{transformed} = g({', '.join(side_a)}) {join} h({', '.join(side_b)})")]
    first, second = side_problems(separation, problem, side_a, side_b, rng)
    sub_evals = None if max_evals is None else max_evals // 2
    first_laws = _solved(first, knowledge, _halfway(deadline), sub_evals, seed, fit_options, applied, N_SIDE_LAWS)
    if not first_laws:
        return [], applied
    rest = remainder_problem(separation, problem, second, first_laws[0])
    if rest is None:
        return [], applied
    second_laws = _solved(rest, knowledge, deadline, sub_evals, seed, fit_options, applied, N_SIDE_LAWS)
    laws = [joined_law(separation, g, h) for g, h in itertools.product(first_laws, second_laws)]
    return [problem.original_law(law) for law in laws], applied


def _halfway(deadline: float | None) -> float | None:
    return None if deadline is None else time.perf_counter() + (deadline - time.perf_counter()) / 2


def _solved(problem: SubProblem, knowledge, deadline, max_evals, seed, fit_options, applied, n_laws) -> list[Expr]:
    """The best laws of a sub-fit on ``problem`` (in its own inputs)."""
    if not _time_for_a_sub_fit(deadline):
        return []
    from hypo.api import fit

    frame, sub_knowledge = problem.frame_and_knowledge(knowledge)
    token = _inside_a_sub_fit.set(True)
    try:
        seconds = None if deadline is None else deadline - time.perf_counter()
        result = fit(frame, problem.target, knowledge=sub_knowledge, time_limit=seconds, max_evals=max_evals,
                     seed=seed, mcmc=False, **fit_options)
    except HypoError:  # a sub-problem the fit refuses (e.g. too few distinct rows) gives no laws
        return []
    finally:
        _inside_a_sub_fit.reset(token)
    laws = [law.expr for law in result.hypotheses[:n_laws]]
    if result.stats.get("stop_reason") == "interrupted":
        raise SubFitInterrupted([problem.original_law(law) for law in laws], applied)
    return laws


def _admissible_pairs(names: tuple[str, ...], knowledge) -> list[tuple[int, int]]:
    """Pairs of inputs a symmetry may join: with units, only those of one
    dimension (``a - b`` of a length and a time means nothing)."""
    units = [getattr(knowledge.variables.get(name), "units", None) for name in names]
    pairs = []
    for first in range(len(names)):
        for second in range(first + 1, len(names)):
            a, b = units[first], units[second]
            if a is not None and b is not None and a.dimensionality != b.dimensionality:
                continue
            pairs.append((first, second))
    return pairs


def _fresh(name: str, taken: set[str]) -> str:
    candidate, number = name, 2
    while candidate in taken:
        candidate, number = f"{name}_{number}", number + 1
    return candidate
