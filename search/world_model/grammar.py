"""Which token may come next: the masks that keep sampled skeletons lawful.

A skeleton is written in prefix order, so when a token is chosen every node
to its left is fixed and every open slot to its right is still free.  Each
slot carries a *requirement*: a map from the dimensions its subtree may take
to the fewest nodes the rest of the tree then still needs (or "any
dimension, plus ``e`` nodes" when the dimension does not matter).  A token
is allowed when it is

- an operator of the allowed set (or a leaf), not forbidden by a nesting
  limit (``knowledge.operator_rules.NestingLimits``: at most ``max`` ``inner``
  nodes anywhere below each ``outer`` node; in prefix order every node placed
  while ``outer`` is open lies below it, so counting is exact);
- able to head a subtree that meets the slot's requirement and still leaves
  room, within the size cap, for every open slot (``DimensionTable`` gives
  the fewest nodes per dimension);
- an exact exponent exactly where ``pow`` needs one, and nowhere else.

Requirements are pushed top-down: ``exp``/``log``/``sin``... ask for a
dimensionless argument, ``a + b`` asks ``b`` for the dimension ``a`` got,
``a * b`` asks ``b`` for what is left of the parent's requirement, and the
root asks for the target's dimension (fitted constants are dimensionless,
so the affine wrap ``a + b*f`` cannot change it).

Where this look-ahead is cut short (a requirement with too many dimensions
is relaxed to "any", nesting limits are ignored by the size table, exotic
dimensions fall outside the table), a partial tree may reach a slot with no
allowed token.  The sampler then starts that sample again (rejection); its
log-probability stays that of the masked steps it took, so the proposal
density is the masked one up to a constant per dataset, which cancels in a
Hastings ratio between two world-model proposals.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from search.world_model.constraints import Constraints
from search.world_model.dimension_table import (
    DIMENSIONLESS_ARGUMENT, INFINITE, QUANTUM, SCALE, Dim, DimensionTable, add, scale, subtract,
)
from search.world_model.tokens import Vocabulary

MAX_REQUIREMENT_WORK = 40_000
"""A requirement derived by a min over (dimension x dimension) pairs costing
more than this is relaxed to "any" (cheaper; may cause a restart)."""


SMALL_REQUIREMENT = 16
"""Requirements with up to this many dimensions are costed dimension by dimension."""


class Requirement:
    """What a slot's subtree must be: dimension -> nodes still needed elsewhere.

    ``costs is None`` means any dimension, with ``extra`` more nodes needed.
    Requirements are interned by :class:`Grammar`, so ``is`` is equality.
    """

    __slots__ = ("costs", "extra", "token_costs")

    def __init__(self, costs: dict[Dim, int] | None, extra: int):
        self.costs = costs
        self.extra = extra
        self.token_costs: np.ndarray | None = None

    def cost(self, dim: Dim | None) -> int:
        if self.costs is None:
            return self.extra
        return self.costs.get(dim, INFINITE)


@dataclass
class Frame:
    """An operator whose children are not all placed yet."""

    token: int
    requirement: Requirement
    child_dims: list
    remaining: dict | None  # nesting: inner operator -> how many more may go below this node


class Grammar:
    """Masks for one vocabulary and one set of constraints.

    Building it costs one :class:`DimensionTable` search when units are
    known; masks and requirements are cached, so sampling many skeletons for
    one dataset is cheap.
    """

    def __init__(self, vocabulary: Vocabulary, constraints: Constraints, table: DimensionTable | None = None):
        if constraints.n_variables > vocabulary.max_variables:
            raise ValueError(f"{constraints.n_variables} variables; this vocabulary has "
                             f"{vocabulary.max_variables} slots")
        self.vocabulary = vocabulary
        self.constraints = constraints
        self.size = len(vocabulary)
        self.units = constraints.units_known
        self._setup_static()
        self._interned: dict = {}
        self._derived: dict = {}
        self._exponent_costs: dict = {}
        self._banned_masks: dict = {}
        self.table = None
        if self.units:
            self._setup_units(table)
            self.root = self._intern({self._to_dim(constraints.target_dimension): 0}
                                     if constraints.target_dimension is not None else None, 0)
        else:
            self.root = self._intern(None, 0)

    # --- setup ---------------------------------------------------------------
    def _setup_static(self) -> None:
        vocabulary, constraints = self.vocabulary, self.constraints
        n_ops = len(vocabulary.operators)
        allowed = np.zeros(self.size, dtype=bool)
        for i, op in enumerate(vocabulary.operators):
            allowed[i] = op in constraints.operators
        allowed[vocabulary.first_variable:vocabulary.first_variable + constraints.n_variables] = True
        allowed[vocabulary.constant:vocabulary.first_exponent] = True
        self.normal_slot = allowed
        self.exponent_slot = np.zeros(self.size, dtype=bool)
        if "pow" in constraints.operators:
            self.exponent_slot[vocabulary.first_exponent:] = True
        self.arity = np.array([vocabulary.arity(t) for t in range(self.size)])
        self.op_names = vocabulary.operators
        self.n_ops = n_ops
        self.exponent_values = [Fraction(e).limit_denominator(64) for e in vocabulary.exponents]

    def _to_dim(self, vector) -> Dim:
        return tuple(int(round(float(vector[axis]) * QUANTUM)) for axis in self.axes)

    def _setup_units(self, table: DimensionTable | None) -> None:
        dims = list(self.constraints.variable_dimensions)
        if self.constraints.target_dimension is not None:
            dims.append(self.constraints.target_dimension)
        self.axes = [axis for axis in range(len(dims[0])) if any(abs(d[axis]) > 0 for d in dims)]
        self.leaf_dims = [self._to_dim(d) for d in self.constraints.variable_dimensions]
        if table is None or table.leaf_dimensions != tuple(self.leaf_dims):
            table = DimensionTable(self.leaf_dims, self.constraints.operators, self.vocabulary.exponents,
                                   self.constraints.max_size)
        self.table = table
        self.zero = self.table.zero

    # --- requirements ----------------------------------------------------------
    def _intern(self, costs: dict | None, extra: int) -> Requirement:
        if costs is not None:
            costs = {d: c for d, c in costs.items() if c < INFINITE}
            key = ("dims", frozenset(costs.items()))
        else:
            key = ("any", extra)
        found = self._interned.get(key)
        if found is None:
            found = self._interned[key] = Requirement(costs, 0 if costs is not None else extra)
        return found

    def child_requirement(self, token: int, index: int, parent: Requirement, sibling) -> Requirement:
        """Requirement of child ``index`` of operator ``token`` under ``parent``;
        ``sibling`` is the first child's dimension (for the second child)."""
        key = (token, index, id(parent), sibling)
        found = self._derived.get(key)
        if found is None:
            found = self._derived[key] = self._derive(self.op_names[token], index, parent, sibling)
        return found

    def _derive(self, op: str, index: int, parent: Requirement, sibling) -> Requirement:
        costs, extra = parent.costs, parent.extra
        arity = 2 if op in ("add", "sub", "mul", "div", "pow") else 1
        if not self.units:
            return self._intern(None, extra + (arity - 1 - index))
        table = self.table
        if op in SCALE:
            if costs is None:
                return parent
            inverse = 1 / SCALE[op]
            out = {}
            for dim, cost in costs.items():
                child = scale(dim, inverse)
                if child is not None:
                    out[child] = cost
            return self._intern(out, 0)
        if op in DIMENSIONLESS_ARGUMENT:
            return self._intern({self.zero: parent.cost(self.zero)}, 0)
        if op in ("add", "sub"):
            if index == 1:
                return self._intern({sibling: parent.cost(sibling)}, 0)
            if costs is None:
                if len(table.size) * 1 > MAX_REQUIREMENT_WORK:
                    return self._intern(None, extra + 1)
                return self._intern({d: s + extra for d, s in table.size.items()}, 0)
            return self._intern({d: table.least(d) + c for d, c in costs.items()}, 0)
        if op in ("mul", "div"):
            if index == 1:
                if costs is None:
                    return parent
                # mul: first + second = D; div: first - second = D
                if op == "mul":
                    return self._intern({subtract(d, sibling): c for d, c in costs.items()}, 0)
                return self._intern({subtract(sibling, d): c for d, c in costs.items()}, 0)
            if costs is None:
                return self._intern(None, extra + 1)
            if len(table.size) * len(costs) > MAX_REQUIREMENT_WORK:
                return self._intern(None, min(costs.values()) + 1)
            return self._intern(self._first_operand_costs(op, costs), 0)
        if op == "pow":
            if costs is None:
                return self._intern(None, extra + 1)
            out: dict = {}
            for dim, cost in costs.items():
                for exponent in self.exponent_values:
                    base = scale(dim, 1 / exponent) if exponent != 0 else None
                    if base is not None:
                        out[base] = min(out.get(base, INFINITE), cost + 1)
            return self._intern(out, 0)
        raise ValueError(f"no dimension rule for operator {op!r}")

    def _first_operand_costs(self, op: str, costs: dict) -> dict:
        """For each dimension the first operand of ``mul``/``div`` may take,
        the fewest nodes still needed: the least second operand that makes a
        required dimension, plus that requirement's cost.  All pairs at once
        in numpy; this was the sampler's hottest loop under units."""
        if not costs:
            return {}
        table_dims = self.table.dimension_array()
        required = np.array(list(costs), dtype=np.int64)
        required_costs = np.array(list(costs.values()), dtype=np.int64)
        pairs = required[None, :, :] - table_dims[:, None, :]  # mul: first + second = required
        least = self.table.least_many(pairs if op == "mul" else -pairs)
        best = (least + required_costs[None, :]).min(axis=1)
        return {tuple(int(v) for v in table_dims[i]): int(best[i]) for i in np.flatnonzero(best < INFINITE)}

    # --- token costs -------------------------------------------------------------
    def token_costs(self, requirement: Requirement) -> np.ndarray:
        """Fewest nodes of the whole rest of the tree if each token fills the slot
        (the token's least subtree plus what the requirement still needs)."""
        if requirement.token_costs is not None:
            return requirement.token_costs
        vocabulary = self.vocabulary
        costs = np.full(self.size, INFINITE, dtype=np.int64)
        leaves = slice(vocabulary.first_variable, vocabulary.first_exponent)
        if requirement.costs is None:
            costs[:self.n_ops] = requirement.extra + 1 + np.where(self.arity[:self.n_ops] == 2, 2, 1)
            costs[leaves] = requirement.extra + 1
        else:
            table = self.table
            for i, dim in enumerate(self.leaf_dims):
                costs[vocabulary.first_variable + i] = 1 + requirement.cost(dim)
            costs[vocabulary.constant:vocabulary.first_exponent] = 1 + requirement.cost(self.zero)
            # operators with one dimension rule share one pass over the
            # requirement: functions of a dimensionless argument are only
            # dimensionless, and add and sub keep their operands' dimension
            dimensionless = table.least_rooted("exp", self.zero) + requirement.cost(self.zero)
            shared: dict[str, int] = {}
            for token, op in enumerate(self.op_names):
                if op not in self.constraints.operators:
                    continue
                if op in DIMENSIONLESS_ARGUMENT:
                    costs[token] = dimensionless
                    continue
                rule = "add" if op in ("add", "sub") else op
                if rule not in shared:
                    shared[rule] = self._least_rooted_cost(rule, requirement)
                costs[token] = shared[rule]
        requirement.token_costs = np.minimum(costs, INFINITE)
        return requirement.token_costs

    def _least_rooted_cost(self, rule: str, requirement: Requirement) -> int:
        """Fewest nodes of the rest of the tree if an operator of ``rule`` heads
        the slot: the least over the required dimensions, all at once in numpy."""
        if not requirement.costs:
            return INFINITE
        if len(requirement.costs) <= SMALL_REQUIREMENT:  # numpy costs more than it saves here
            return min(min(self.table.least_rooted(rule, dim) + cost for dim, cost in requirement.costs.items()),
                       INFINITE)
        dims = np.array(list(requirement.costs), dtype=np.int64).reshape(len(requirement.costs), -1)
        costs = np.fromiter(requirement.costs.values(), dtype=np.int64, count=len(requirement.costs))
        return int(min((self.table.least_rooted_many(rule, dims) + costs).min(), INFINITE))

    def exponent_costs(self, requirement: Requirement, base) -> np.ndarray:
        key = (id(requirement), base)
        found = self._exponent_costs.get(key)
        if found is not None:
            return found
        costs = np.full(self.size, INFINITE, dtype=np.int64)
        for i, exponent in enumerate(self.exponent_values):
            token = self.vocabulary.first_exponent + i
            if not self.units:
                costs[token] = 1 + requirement.extra
            elif base is not None:
                dim = scale(base, exponent)
                if dim is not None:
                    costs[token] = 1 + requirement.cost(dim)
        self._exponent_costs[key] = costs
        return costs

    def banned(self, names: frozenset) -> np.ndarray:
        """Mask of the operator tokens in ``names``."""
        found = self._banned_masks.get(names)
        if found is None:
            found = np.zeros(self.size, dtype=bool)
            for name in names:
                if name in self.op_names:
                    found[self.op_names.index(name)] = True
            self._banned_masks[names] = found
        return found

    def nesting_allowance(self, op: str) -> dict | None:
        """How many of each limited operator may still go below a new ``op`` node."""
        limits = self.constraints.nesting.get(op)
        return {inner: int(limit) for inner, limit in limits.items()} if limits else None

    def leaf_dimension(self, token: int):
        vocabulary = self.vocabulary
        if vocabulary.is_variable(token):
            return self.leaf_dims[token - vocabulary.first_variable]
        if vocabulary.is_exponent(token):
            return self.exponent_values[token - vocabulary.first_exponent]
        return self.zero

    def start(self) -> "DecodeState":
        return DecodeState(self)


class DecodeState:
    """A partial skeleton: the tokens so far and the open operators."""

    __slots__ = ("grammar", "tokens", "frames", "n_placed", "done", "dimension")

    def __init__(self, grammar: Grammar):
        self.grammar = grammar
        self.tokens: list[int] = []
        self.frames: list[Frame] = []
        self.n_placed = 0
        self.done = False
        self.dimension = None

    def _slot(self):
        """(requirement, pow base dimension or None, is exponent slot)."""
        if not self.frames:
            return self.grammar.root, None, False
        frame = self.frames[-1]
        index = len(frame.child_dims)
        grammar = self.grammar
        if grammar.op_names[frame.token] == "pow" and index == 1:
            return frame.requirement, frame.child_dims[0], True
        sibling = frame.child_dims[0] if index == 1 else None
        return grammar.child_requirement(frame.token, index, frame.requirement, sibling), None, False

    def parent(self) -> tuple[int, int]:
        """The open operator's token and the child index being filled (-1, 0 at the root)."""
        if not self.frames:
            return -1, 0
        frame = self.frames[-1]
        return frame.token, len(frame.child_dims)

    def mask(self) -> np.ndarray:
        """Allowed next tokens (all False at a dead end)."""
        grammar = self.grammar
        requirement, base, is_exponent = self._slot()
        budget = grammar.constraints.max_size - self.n_placed
        if is_exponent:
            return grammar.exponent_slot & (grammar.exponent_costs(requirement, base) <= budget)
        allowed = grammar.normal_slot & (grammar.token_costs(requirement) <= budget)
        banned = frozenset(inner for frame in self.frames if frame.remaining
                           for inner, left in frame.remaining.items() if left <= 0)
        if banned:
            allowed &= ~grammar.banned(banned)
        return allowed

    def push(self, token: int) -> None:
        grammar = self.grammar
        requirement, _, _ = self._slot()
        self.tokens.append(int(token))
        self.n_placed += 1
        if grammar.arity[token] > 0:
            op = grammar.op_names[token]
            for frame in self.frames:  # the new node lies below every open operator
                if frame.remaining and op in frame.remaining:
                    frame.remaining[op] -= 1
            self.frames.append(Frame(int(token), requirement, [], grammar.nesting_allowance(op)))
            return
        value = grammar.leaf_dimension(token) if grammar.units else None
        while self.frames:
            frame = self.frames[-1]
            frame.child_dims.append(value)
            if len(frame.child_dims) < grammar.arity[frame.token]:
                return
            self.frames.pop()
            value = _result_dimension(grammar.op_names[frame.token], frame.child_dims) if grammar.units else None
        self.done = True
        self.dimension = value


def _result_dimension(op: str, dims: list):
    """Dimension of an operator node from its children's (``None`` if off the lattice)."""
    if any(d is None for d in dims):
        return None
    if op in SCALE:
        return scale(dims[0], SCALE[op])
    if op in DIMENSIONLESS_ARGUMENT:
        return tuple(0 for _ in dims[0])
    if op in ("add", "sub"):
        return dims[0]
    if op == "mul":
        return add(dims[0], dims[1])
    if op == "div":
        return subtract(dims[0], dims[1])
    if op == "pow":
        return scale(dims[0], dims[1])
    raise ValueError(f"no dimension rule for operator {op!r}")
