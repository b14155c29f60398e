"""Dreams: synthetic datasets with known skeletons, for pretraining.

A dream draws random rules (allowed operators, nesting limits, size cap and,
half of the time, units for the variables), a skeleton from a hand-made
structure prior sampled through the same masked grammar as the model (so
every dream keeps its own rules), random constants and input ranges, and
evaluates it with a little noise.  Dreams with non-finite or constant output
are thrown away.  Nothing here reads any benchmark: the prior is generic.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from hypo.evaluate import evaluate
from hypo.operators import DEFAULT_OPERATORS, OPERATORS
from knowledge.dimensions import propagate
from search.world_model.constraints import BASE_DIMENSIONS, Constraints
from search.world_model.features import DataFeatures, dataset_features
from search.world_model.grammar import Grammar
from search.world_model.sampler import Trace, replay, sample_traces
from search.world_model.tokens import Vocabulary

N_DREAM_ROWS = 200

OPERATOR_WEIGHT = {"add": 1.2, "sub": 0.8, "mul": 1.6, "div": 1.2, "pow": 0.5, "square": 0.6, "sqrt": 0.6,
                   "inv": 0.4, "exp": 0.4, "log": 0.3, "sin": 0.4, "cos": 0.4, "neg": 0.1, "cube": 0.2,
                   "tan": 0.1, "tanh": 0.2, "asin": 0.1, "acos": 0.1, "atan": 0.1, "abs": 0.1}
"""Relative prior weights of operators: arithmetic builds most laws."""

PHYSICAL_DIMENSIONS = [
    (1, 0, 0), (0, 1, 0), (0, 0, 1), (1, 0, -1), (1, 0, -2), (0, 0, -1), (1, 1, -2), (2, 1, -2),
    (-3, 1, 0), (0, 0, 0), (2, 0, 0), (3, 0, 0), (0, 1, -2), (-1, 1, -2), (2, 1, -3),
]
"""Dimension vectors over (length, mass, time) that variables of dreams draw
from: lengths, masses, times, speeds, forces, energies, densities, ..."""


@dataclass(frozen=True)
class Dream:
    """One synthetic dataset and the skeleton that made it."""

    features: DataFeatures
    constraints: Constraints
    tokens: tuple[int, ...]
    masks: np.ndarray
    parents: np.ndarray
    children: np.ndarray


class PriorPolicy:
    """Fixed logits: the structure prior dreams are drawn from."""

    def __init__(self, vocabulary: Vocabulary, n_variables: int, leaf_bias: float):
        logits = np.full(len(vocabulary), -30.0)
        for i, op in enumerate(vocabulary.operators):
            logits[i] = np.log(OPERATOR_WEIGHT.get(op, 0.1))
        leaves = vocabulary.first_variable
        logits[leaves:leaves + n_variables] = leaf_bias + np.log(1.5 / n_variables)
        logits[vocabulary.constant] = leaf_bias - 0.3
        logits[vocabulary.first_number:vocabulary.first_exponent] = leaf_bias - 2.5
        logits[vocabulary.first_exponent:] = 0.0
        self.table = logits

    def begin(self, n):
        return None

    def logits(self, state, previous, parent, child):
        return np.tile(self.table, (len(previous), 1)), state

    def keep(self, state, rows):
        return state


def random_constraints(rng: np.random.Generator, vocabulary: Vocabulary) -> Constraints:
    """Rules of one dream: operators, size cap, nesting and maybe units."""
    n_variables = int(rng.choice(np.arange(1, 9), p=[0.14, 0.22, 0.2, 0.16, 0.12, 0.08, 0.05, 0.03]))
    n_variables = min(n_variables, vocabulary.max_variables)
    if rng.random() < 0.5:
        operators = DEFAULT_OPERATORS
    else:
        operators = ("add", "mul") + tuple(op for op in OPERATORS if op not in ("add", "mul") and rng.random() < 0.45)
    nesting = {}
    if rng.random() < 0.3:
        nesting = {op: {"sin": 0, "cos": 0, "exp": 0, "log": 0} for op in ("sin", "cos", "exp", "log")}
    max_size = int(rng.choice([12, 20, 30]))
    variable_dimensions = None
    if rng.random() < 0.5:
        picks = rng.integers(len(PHYSICAL_DIMENSIONS), size=n_variables)
        variable_dimensions = tuple(_padded(PHYSICAL_DIMENSIONS[p]) for p in picks)
    return Constraints(n_variables, tuple(operators), max_size, nesting, variable_dimensions, None)


def _padded(small: tuple) -> tuple[float, ...]:
    return tuple(float(v) for v in small) + (0.0,) * (len(BASE_DIMENSIONS) - len(small))


def random_inputs(rng: np.random.Generator, n_variables: int, n_rows: int) -> np.ndarray:
    """Positive ranges mostly (physical magnitudes), sometimes symmetric ones."""
    columns = []
    for _ in range(n_variables):
        low = float(np.exp(rng.uniform(np.log(0.1), np.log(5.0))))
        high = low * float(rng.uniform(1.5, 10.0))
        column = rng.uniform(low, high, n_rows)
        if rng.random() < 0.15:
            column = rng.uniform(-high, high, n_rows)
        columns.append(column)
    return np.stack(columns, axis=1)


def make_dreams(rng: np.random.Generator, vocabulary: Vocabulary, n: int = 8) -> list[Dream]:
    """Up to ``n`` dreams sharing one draw of rules (building a grammar costs
    more than sampling from it, so rules are reused for a few dreams)."""
    constraints = random_constraints(rng, vocabulary)
    grammar = Grammar(vocabulary, constraints)
    policy = PriorPolicy(vocabulary, constraints.n_variables, float(rng.uniform(1.0, 1.6)))
    traces, _ = sample_traces(policy, grammar, 2 * n, rng)
    dreams, targets = [], {}
    for trace in traces:
        dream = _dream_from(trace, grammar, targets, rng)
        if dream is not None:
            dreams.append(dream)
        if len(dreams) == n:
            break
    return dreams


def _dream_from(trace: Trace, grammar: Grammar, targets: dict, rng: np.random.Generator) -> Dream | None:
    constraints, vocabulary = grammar.constraints, grammar.vocabulary
    names = [f"x{i}" for i in range(constraints.n_variables)]
    skeleton = vocabulary.decode(trace.tokens, names)
    if not skeleton.variables() or (skeleton.size == 1 and rng.random() < 0.8):
        return None  # a bare variable is a law, but a dull one to learn from
    if any(not node.is_leaf and not node.variables() for node in skeleton.walk()):
        return None  # an operator on constants only is just another constant
    masks, parents, children = trace.masks, trace.parents, trace.children
    if constraints.units_known:
        # the model is told the target's units, so replay under them
        dimension = tuple(float(v) for v in propagate(skeleton, constraints.dimension_map(names)).dimension)
        if dimension not in targets:
            targets[dimension] = Grammar(vocabulary, replace(constraints, target_dimension=dimension), grammar.table)
        replayed = replay(targets[dimension], trace.tokens)
        if replayed is None:
            return None
        constraints = targets[dimension].constraints
        masks, parents, children = replayed
    values = [float(rng.choice([-1, 1]) * rng.uniform(0.5, 3.0)) for _ in range(skeleton.n_constants)]
    expr = skeleton.with_constants(values)
    X = random_inputs(rng, constraints.n_variables, N_DREAM_ROWS)
    y = evaluate(expr, {name: X[:, i] for i, name in enumerate(names)})
    if not np.all(np.isfinite(y)) or np.std(y) <= 1e-9 * (1.0 + np.abs(y).mean()) or np.abs(y).max() > 1e12:
        return None
    y = y + rng.choice([0.0, 0.0, 0.01, 0.03]) * np.std(y) * rng.normal(size=len(y))
    features = dataset_features(X, y, constraints, vocabulary, rng)
    return Dream(features, constraints, trace.tokens, masks, parents, children)
