"""Dreams: synthetic datasets with known skeletons, for pretraining.

A *chunk* of dreams shares one draw of rules (allowed operators, nesting
limits, size cap and, half of the time, units for the variables and the
target), because building a grammar under units costs far more than
sampling from it.  Its skeletons come from a hand-made structure prior
sampled through the same masked grammar as the model, so every dream keeps
its own rules; half of them start from a template for the structures the
seed laws cannot reach (sums of distinct terms, a sum under a root, a
Gaussian of a difference, a power law times a transcendental, nested
fractions, ratios of sines).  Each skeleton is then evaluated at once on
several datasets (constants, input ranges and noise drawn afresh), with one
compiled numpy call over all of them.  Datasets with non-finite or constant
output are thrown away.  Nothing here reads any benchmark: the prior is
generic.

A chunk is a pure function of ``(seed, index)`` (:func:`dream_chunk`), so a
training run can stop anywhere and resume at the same dream.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from hypo.evaluate import compile_expr
from hypo.operators import DEFAULT_OPERATORS, OPERATORS
from knowledge.dimensions import propagate
from search.world_model.constraints import BASE_DIMENSIONS, Constraints
from search.world_model.features import N_ROWS, DataFeatures, batch_features
from search.world_model.grammar import Grammar
from search.world_model.sampler import Trace, sample_traces
from search.world_model.tokens import Vocabulary

SKELETONS_PER_CHUNK = 48
DATASETS_PER_SKELETON = 8
"""Each skeleton is seen on this many datasets (fresh constants, ranges and
noise), as pretrained proposers in the literature do; the encoder must learn
the structure, not one draw of its constants."""

DATASETS_PER_SKELETON_WITH_UNITS = 16
"""Under units a skeleton costs about ten times as much to sample (every
slot's requirement is a set of dimensions), so it is seen on more datasets."""

TEMPLATE_SHARE = 0.5
"""Share of skeletons that start from one of :data:`TEMPLATES`."""

TEMPLATES = (
    ("add", "mul"),  # a sum of distinct terms
    ("add", "mul", "leaf", "leaf", "div"),
    ("sqrt", "sub"), ("sqrt", "add"),  # a difference or sum under a root
    ("exp", "mul", "const", "square", "sub"), ("exp", "neg", "square", "sub"),  # a Gaussian of a difference
    ("mul", "pow", "leaf", None, "sin"), ("mul", "pow", "leaf", None, "cos"),  # a power law times a transcendental
    ("mul", "pow", "leaf", None, "exp"),
    ("div", "leaf", "add", "leaf", "div"), ("inv", "add", "inv", "leaf", "inv"),  # nested fractions
    ("div", "sin"),  # a ratio of sines
)
"""Prefix openings, one entry per token: an operator name, ``"leaf"`` (a
variable or constant), ``"const"`` or ``None`` (free).  The masks still
decide: an opening the rules forbid is not taken."""

TEMPLATE_BOOST = 30.0

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
    """Fixed logits, the structure prior dreams are drawn from; a share of
    the sequences follow a template's opening."""

    def __init__(self, vocabulary: Vocabulary, n_variables: int, leaf_bias: float,
                 rng: np.random.Generator | None = None, template_share: float = 0.0):
        logits = np.full(len(vocabulary), -30.0)
        for i, op in enumerate(vocabulary.operators):
            logits[i] = np.log(OPERATOR_WEIGHT.get(op, 0.1))
        leaves = vocabulary.first_variable
        logits[leaves:leaves + n_variables] = leaf_bias + np.log(1.5 / n_variables)
        logits[vocabulary.constant] = leaf_bias - 0.3
        logits[vocabulary.first_number:vocabulary.first_exponent] = leaf_bias - 2.5
        logits[vocabulary.first_exponent:] = 0.0
        self.table = logits
        self.rng = rng
        self.template_share = template_share
        self.boosts = [_template_boosts(template, vocabulary, n_variables) for template in TEMPLATES]

    def begin(self, n):
        if self.rng is None or self.template_share <= 0:
            return None
        chosen = self.rng.integers(len(TEMPLATES), size=n)
        chosen[self.rng.random(n) >= self.template_share] = -1
        return np.zeros(n, dtype=np.int64), chosen

    def logits(self, state, previous, parent, child):
        table = np.tile(self.table, (len(previous), 1))
        if state is None:
            return table, state
        position, chosen = state
        for row in np.flatnonzero(chosen >= 0):
            boosts = self.boosts[chosen[row]]
            if position[row] < len(boosts):
                table[row] += boosts[position[row]]
        return table, (position + 1, chosen)

    def keep(self, state, rows):
        return None if state is None else (state[0][rows], state[1][rows])


def _template_boosts(template: tuple, vocabulary: Vocabulary, n_variables: int) -> list[np.ndarray]:
    boosts = []
    for entry in template:
        boost = np.zeros(len(vocabulary))
        if entry == "leaf":
            boost[vocabulary.first_variable:vocabulary.first_variable + n_variables] = TEMPLATE_BOOST
            boost[vocabulary.constant] = TEMPLATE_BOOST
        elif entry == "const":
            boost[vocabulary.constant] = TEMPLATE_BOOST
        elif entry is not None:
            boost[vocabulary.operators.index(entry)] = TEMPLATE_BOOST
        boosts.append(boost)
    return boosts


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


def random_inputs(rng: np.random.Generator, k: int, n_variables: int, n_rows: int) -> np.ndarray:
    """``(k, n_rows, n_variables)`` inputs: positive ranges mostly (physical
    magnitudes), sometimes symmetric ones."""
    low = np.exp(rng.uniform(np.log(0.1), np.log(5.0), (k, 1, n_variables)))
    high = low * rng.uniform(1.5, 10.0, (k, 1, n_variables))
    symmetric = rng.random((k, 1, n_variables)) < 0.15
    low = np.where(symmetric, -high, low)
    return low + (high - low) * rng.random((k, n_rows, n_variables))


def dream_chunk(seed: int, index: int, vocabulary: Vocabulary) -> list[Dream]:
    """Chunk ``index`` of the dream stream of ``seed``: the same dreams
    whenever it is asked for, so training can resume in the middle."""
    return make_dreams(np.random.default_rng([seed, index]), vocabulary)


def make_dreams(rng: np.random.Generator, vocabulary: Vocabulary, n_skeletons: int = SKELETONS_PER_CHUNK,
                per_skeleton: int | None = None) -> list[Dream]:
    """Dreams of up to ``n_skeletons`` skeletons under one draw of rules,
    each on up to ``per_skeleton`` datasets (by default
    :data:`DATASETS_PER_SKELETON`, or ``..._WITH_UNITS`` under units)."""
    constraints = random_constraints(rng, vocabulary)
    if per_skeleton is None:
        per_skeleton = DATASETS_PER_SKELETON_WITH_UNITS if constraints.units_known else DATASETS_PER_SKELETON
    grammar = Grammar(vocabulary, constraints)
    leaf_bias = float(rng.uniform(1.0, 1.6))
    if constraints.units_known:
        grammar = _with_target_units(grammar, leaf_bias, rng)
        if grammar is None:
            return []
    policy = PriorPolicy(vocabulary, constraints.n_variables, leaf_bias, rng, TEMPLATE_SHARE)
    traces, _ = sample_traces(policy, grammar, 2 * n_skeletons, rng)
    dreams: list[Dream] = []
    kept = 0
    for trace in traces:
        made = _dreams_of(trace, grammar, per_skeleton, rng)
        dreams.extend(made)
        kept += bool(made)
        if kept == n_skeletons:
            break
    return dreams


def _with_target_units(grammar: Grammar, leaf_bias: float, rng: np.random.Generator) -> Grammar | None:
    """The grammar that also requires the target's units, taken from a
    skeleton of the prior: the model is always told the target's units."""
    vocabulary, constraints = grammar.vocabulary, grammar.constraints
    names = [f"x{i}" for i in range(constraints.n_variables)]
    traces, _ = sample_traces(PriorPolicy(vocabulary, constraints.n_variables, leaf_bias), grammar, 4, rng)
    for trace in traces:
        skeleton = vocabulary.decode(trace.tokens, names)
        if skeleton.variables():
            dimension = tuple(float(v) for v in propagate(skeleton, constraints.dimension_map(names)).dimension)
            return Grammar(vocabulary, replace(constraints, target_dimension=dimension), grammar.table)
    return None


def _dreams_of(trace: Trace, grammar: Grammar, k: int, rng: np.random.Generator) -> list[Dream]:
    """The skeleton of ``trace`` on up to ``k`` datasets, evaluated together."""
    constraints, vocabulary = grammar.constraints, grammar.vocabulary
    names = [f"x{i}" for i in range(constraints.n_variables)]
    skeleton = vocabulary.decode(trace.tokens, names)
    if not skeleton.variables() or (skeleton.size == 1 and rng.random() < 0.8):
        return []  # a bare variable is a law, but a dull one to learn from
    if any(not node.is_leaf and not node.variables() for node in skeleton.walk()):
        return []  # an operator on constants only is just another constant
    n_constants = skeleton.n_constants
    constants = rng.choice([-1.0, 1.0], (n_constants, k, 1)) * rng.uniform(0.5, 3.0, (n_constants, k, 1))
    X = random_inputs(rng, k, constraints.n_variables, N_ROWS)
    with np.errstate(all="ignore"):
        y = compile_expr(skeleton)({name: X[:, :, i] for i, name in enumerate(names)}, constants)
        y = np.broadcast_to(np.asarray(y, dtype=float), (k, N_ROWS))
        spread, size = y.std(axis=1), np.abs(y)
        good = (np.isfinite(y).all(axis=1) & (spread > 1e-9 * (1.0 + size.mean(axis=1)))
                & (size.max(axis=1) <= 1e12))
    if not good.any():
        return []
    X, y, spread = X[good], y[good], spread[good]
    noise = rng.choice([0.0, 0.0, 0.01, 0.03], len(y))
    y = y + (noise * spread)[:, None] * rng.normal(size=y.shape)
    features = batch_features(X, y, constraints, vocabulary, rng)
    return [Dream(f, constraints, trace.tokens, trace.masks, trace.parents, trace.children) for f in features]
