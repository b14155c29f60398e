"""The MCMC kernel: exact proposal probabilities, detailed balance, agreement with
exact enumeration on a tiny hypothesis space, and the kernel contract under run_search."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pytest

from hypo.expr import Expr, call, const, num, var
from hypo.scoring import Score, Scorer
from search.base import StepInfo
from search.mcmc import ChainState, MCMCConfig, MCMCKernel, MCMCState, metropolis_log_ratio
from search.mcmc_moves import FREE_CONSTANT, MCMC_MOVES, TreeGrammar
from search.run import Budget, run_search
from search.space import SearchSpace

TINY = SearchSpace(("x",), ("add", "mul", "sin", "exp"), max_size=4, const_probability=0.0,
                   integer_probability=0.0)
SMALL = SearchSpace(("x", "y"), ("add", "mul", "sub", "sin", "exp"), max_size=9, const_probability=0.1,
                    integer_probability=0.1)


def enumerate_trees(max_size: int) -> list[Expr]:
    """Every tree over leaf x and {sin, exp, add, mul} with at most ``max_size`` nodes."""
    by_size = {1: [var("x")]}
    for size in range(2, max_size + 1):
        trees = [Expr(op, (child,)) for op in ("sin", "exp") for child in by_size[size - 1]]
        for left in range(1, size - 1):
            trees += [Expr(op, (a, b)) for op in ("add", "mul")
                      for a in by_size[left] for b in by_size[size - 1 - left]]
        by_size[size] = trees
    return [tree for trees in by_size.values() for tree in trees]


def arbitrary_log_density(expr: Expr) -> float:
    """A fixed, irregular function of the tree (no structure for the sampler to exploit)."""
    return 1.5 * math.sin(7.3 * len(str(expr)) + 3.1 * expr.size + sum(ord(c) for c in str(expr)) % 17)


def test_tiny_space_has_the_expected_size():
    trees = enumerate_trees(4)
    assert len(trees) == len(set(trees)) == 29


def test_sampler_matches_exact_enumeration():
    trees = enumerate_trees(4)
    log_density = {tree: arbitrary_log_density(tree) for tree in trees}
    exact = np.exp(np.array([log_density[t] for t in trees]))
    exact /= exact.sum()
    kernel = MCMCKernel(TINY, log_density_fn=log_density.__getitem__,
                        config=MCMCConfig(n_chains=3, max_temperature=4.0, proposals_per_step=2))
    rng = np.random.default_rng(7)
    state = kernel.init(rng, [var("x")])
    for _ in range(15_000):
        state, info = kernel.step(rng, state)
    visits = state.diagnostics.cold_visits
    assert set(visits) <= set(trees)
    total = sum(visits.values())
    sampled = np.array([visits[t] / total for t in trees])
    assert 0.5 * np.abs(sampled - exact).sum() < 0.05
    rates = state.diagnostics.acceptance_rates()
    assert rates.shape == (3, 3) and np.all((rates > 0) & (rates < 1))
    assert np.all(state.diagnostics.swap_rates() > 0.2)
    assert len(state.diagnostics.cold_trace) == state.n_steps == 15_000


# --- proposal probabilities ---------------------------------------------------------------------------
START = call("add", call("sin", var("x")), call("mul", var("y"), FREE_CONSTANT))


@pytest.mark.parametrize("move", list(MCMC_MOVES))
def test_proposal_probabilities_match_empirical_frequencies(move):
    grammar = TreeGrammar.from_space(SMALL)
    rng = np.random.default_rng(11)
    n_draws = 20_000
    counts = Counter(MCMC_MOVES[move].propose(grammar, START, rng) for _ in range(n_draws))
    counts.pop(None, None)
    counts.pop(START, None)
    assert counts
    for new, count in counts.items():
        q = math.exp(MCMC_MOVES[move].log_probability(grammar, START, new))
        tolerance = 4.5 * math.sqrt(q * (1 - q) / n_draws) + 2.0 / n_draws
        assert abs(count / n_draws - q) < tolerance, (str(new), count / n_draws, q)


def test_node_replacement_probabilities_sum_to_one():
    grammar = TreeGrammar.from_space(SMALL)
    move = MCMC_MOVES["replace_node"]
    neighbours = set()
    for index, node in enumerate(START.walk()):
        if node.is_leaf:
            options = [leaf for leaf in grammar.leaves if leaf != node]
        else:
            options = [Expr(op, node.children) for op in grammar.of_arity(len(node.children)) if op != node.op]
        neighbours.update(START.replace_at(index, option) for option in options)
    total = sum(math.exp(move.log_probability(grammar, START, new)) for new in neighbours)
    assert total == pytest.approx(1.0, rel=1e-12)


def test_subtree_replacement_counts_every_position_that_gives_the_new_tree():
    grammar = TreeGrammar.from_space(SMALL)
    old, new = call("add", var("x"), var("y")), call("add", var("x"), var("x"))
    # replace the leaf y by x, or the whole root by add(x, x)
    expected = (grammar.grow_probability(new) + grammar.grow_probability(var("x"))) / old.size
    assert math.exp(MCMC_MOVES["replace_subtree"].log_probability(grammar, old, new)) == pytest.approx(expected)


def test_root_moves_are_each_others_reverse():
    grammar = TreeGrammar.from_space(SMALL)
    root = MCMC_MOVES["root"]
    tree = call("sin", var("x"))
    wrapped = call("mul", tree, var("y"))
    n_operators = len(grammar.operators)
    forward = 0.5 * (1 / n_operators) * 0.5 * grammar.leaf_probability(var("y"))
    assert math.exp(root.log_probability(grammar, tree, wrapped)) == pytest.approx(forward)
    assert math.exp(root.log_probability(grammar, wrapped, tree)) == pytest.approx(0.5 * 0.5)
    # a root whose other child is not a leaf cannot be removed
    assert root.log_probability(grammar, call("add", tree, tree), tree) == -math.inf


def target(expr: Expr) -> float:
    return -0.8 * expr.size + math.cos(sum(ord(c) for c in str(expr)))


@pytest.mark.parametrize("move", list(MCMC_MOVES))
@pytest.mark.parametrize("beta", [1.0, 0.3])
def test_detailed_balance_for_random_pairs(move, beta):
    grammar = TreeGrammar.from_space(SMALL)
    rng = np.random.default_rng(5)
    checked = 0
    while checked < 60:
        tree = grammar.grow(rng)
        new = MCMC_MOVES[move].propose(grammar, tree, rng)
        if new is None or new == tree:
            continue
        forward = MCMC_MOVES[move].log_probability(grammar, tree, new)
        reverse = MCMC_MOVES[move].log_probability(grammar, new, tree)
        assert math.isfinite(forward) and math.isfinite(reverse), (str(tree), str(new))
        pi_old, pi_new = beta * target(tree), beta * target(new)
        alpha_forward = min(1.0, math.exp(metropolis_log_ratio(pi_old, pi_new, forward, reverse)))
        alpha_reverse = min(1.0, math.exp(metropolis_log_ratio(pi_new, pi_old, reverse, forward)))
        flow_forward = math.exp(pi_old + forward) * alpha_forward
        flow_reverse = math.exp(pi_new + reverse) * alpha_reverse
        assert flow_forward == pytest.approx(flow_reverse, rel=1e-10)
        checked += 1


def test_metropolis_ratio_handles_zero_density():
    assert metropolis_log_ratio(-math.inf, -3.0, 0.0, 0.0) == math.inf
    assert metropolis_log_ratio(-3.0, -math.inf, 0.0, 0.0) == -math.inf
    assert metropolis_log_ratio(-3.0, -1.0, -math.inf, -math.inf) == -math.inf


# --- the kernel contract ----------------------------------------------------------------------------------------
def test_only_the_likelihood_is_tempered():
    """A structure the prior forbids is never held, even by the hottest chain."""
    def prior(expr):
        return -math.inf if any(n.op == "exp" for n in expr.walk()) else -0.5 * expr.size

    def density(expr):
        return prior(expr) + 3.0 * sum(n.op == "sin" for n in expr.walk())

    kernel = MCMCKernel(TINY, log_density_fn=density, log_prior_fn=prior,
                        config=MCMCConfig(n_chains=3, max_temperature=1e6))
    rng = np.random.default_rng(0)
    state = kernel.init(rng)
    held = set()
    for _ in range(500):
        state, _ = kernel.step(rng, state)
        held.update(chain.expr for chain in state.chains)
    assert held and not any(n.op == "exp" for tree in held for n in tree.walk())
    hot = state.chains[-1]
    assert hot.tempered(1e-6) == pytest.approx(1e-6 * hot.log_likelihood + hot.log_prior)


def test_seeds_are_normalized_and_foreign_ones_skipped():
    kernel = MCMCKernel(SMALL, log_density_fn=lambda e: -float(e.size), config=MCMCConfig(n_chains=2))
    seeds = [call("mul", const(3.7), var("x")), call("mul", num(0, name="pi"), var("x"))]
    state = kernel.init(np.random.default_rng(0), seeds)
    assert [chain.expr for chain in state.chains] == [call("mul", FREE_CONSTANT, var("x"))] * 2


def test_bad_configuration_is_refused_with_a_hint():
    with pytest.raises(ValueError, match='did you mean "root"'):
        MCMCConfig(move_weights={"roots": 1.0})
    with pytest.raises(ValueError, match="start at 1"):
        MCMCConfig(temperatures=(2.0, 4.0))
    with pytest.raises(ValueError, match="exactly one"):
        MCMCKernel(SMALL)
    assert MCMCConfig(n_chains=3, max_temperature=100.0).ladder() == pytest.approx((1.0, 10.0, 100.0))


def test_kernel_follows_the_kernel_contract_with_a_scorer():
    rng = np.random.default_rng(0)
    x0, x1 = rng.uniform(1.0, 3.0, (2, 200))
    scorer = Scorer({"x0": x0, "x1": x1}, x0 * x1 + np.sin(x0), np.random.default_rng(1))
    space = SearchSpace(("x0", "x1"), ("add", "mul", "sub", "sin", "square"), max_size=9)
    kernel = MCMCKernel(space, scorer, config=MCMCConfig(n_chains=3, max_temperature=50.0))
    state = kernel.init(np.random.default_rng(2), [call("mul", var("x0"), var("x1"))])
    assert state.cold.score is scorer(call("mul", var("x0"), var("x1")))
    for _ in range(5):
        state, info = kernel.step(np.random.default_rng(3), state)
    assert isinstance(state, MCMCState) and isinstance(info, StepInfo)
    assert all(isinstance(score, Score) for score in info.scores)
    assert len(info.moves) == 3 * kernel.config.proposals_per_step
    assert isinstance(state.cold, ChainState) and state.cold.log_density == state.cold.score.log_posterior
    assert state.diagnostics.proposed.sum() == 5 * len(info.moves)


@pytest.mark.parametrize("seed", [0, 1])
def test_kernel_finds_a_law_one_move_away_under_the_driver(seed):
    rng = np.random.default_rng(0)
    x0, x1 = rng.uniform(1.0, 3.0, (2, 200))
    scorer = Scorer({"x0": x0, "x1": x1}, 3.0 * x0 * x1 + 1.0, np.random.default_rng(1))
    space = SearchSpace(("x0", "x1"), ("add", "mul", "sub", "sin", "square"), max_size=9)
    kernel = MCMCKernel(space, scorer, config=MCMCConfig(n_chains=3, max_temperature=50.0))
    outcome = run_search(kernel, scorer, [var("x0")], np.random.default_rng(seed),
                         Budget(time_limit=None, max_evaluations=300))
    best = outcome.hall_of_fame.best()
    assert outcome.n_steps > 0 and best.nmse < 1e-20


def test_hard_constraint_of_the_space_is_never_entered():
    if "constraint" not in SearchSpace.__dataclass_fields__:
        pytest.skip("this SearchSpace has no hard constraint")
    space = SearchSpace(("x",), ("add", "mul", "sin", "exp"), max_size=6, const_probability=0.0,
                        integer_probability=0.0, constraint=lambda e: all(n.op != "sin" for n in e.walk()))
    kernel = MCMCKernel(space, log_density_fn=lambda e: 0.0, config=MCMCConfig(n_chains=2))
    rng = np.random.default_rng(1)
    state = kernel.init(rng)
    for _ in range(300):
        state, _ = kernel.step(rng, state)
    visited = set(state.diagnostics.cold_visits)
    assert len(visited) > 5 and not any(n.op == "sin" for tree in visited for n in tree.walk())
