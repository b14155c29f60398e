"""The world model: lawful samples, exact log-probabilities, save/load, training, search plug-in."""

from __future__ import annotations

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from hypo.expr import Expr, call, const, var  # noqa: E402
from hypo.operators import OPERATORS  # noqa: E402
from hypo.scoring import Scorer  # noqa: E402
from knowledge.dimensions import dimensional_offence  # noqa: E402
from knowledge.operator_rules import NestingLimits  # noqa: E402
from search.run import Budget, run_search  # noqa: E402
from search.world_model import (  # noqa: E402
    Constraints, Vocabulary, WorldModelKernel, WorldModelProposer, load, save, try_load,
)
from search.world_model.dreams import make_dreams  # noqa: E402
from search.world_model.features import dataset_features, stack  # noqa: E402
from search.world_model.grammar import Grammar  # noqa: E402
from search.world_model.model import DatasetContext, WorldModel, sequence_log_prob  # noqa: E402
from search.world_model.sampler import replay, sample_traces  # noqa: E402
from search.world_model.model import ModelPolicy  # noqa: E402
from search.world_model.train import batch_loss, training_step  # noqa: E402

DIMENSION_POOL = [(1, 0, 0), (0, 1, 0), (0, 0, 1), (1, 0, -1), (2, 1, -2), (0, 0, 0), (-3, 1, 0), (1, 0, -2)]


@pytest.fixture(autouse=True)
def one_thread():
    from search.world_model.proposer import single_threaded

    with single_threaded():
        yield


def _padded(small) -> tuple[float, ...]:
    return tuple(float(v) for v in small) + (0.0,) * 4


def _count_below(node: Expr, inner: str) -> int:
    """Oracle: ``inner`` nodes anywhere strictly below ``node``."""
    return sum(1 for child in node.children for n in child.walk() if n.op == inner)


def _violations(expr: Expr, constraints: Constraints, names: list[str]) -> list[str]:
    """Each hard rule checked from scratch, independently of the sampler's code."""
    problems = []
    if expr.size > constraints.max_size:
        problems.append("size")
    if any(not n.is_leaf and n.op not in constraints.operators for n in expr.walk()):
        problems.append("operator")
    for node in expr.walk():
        for inner, limit in constraints.nesting.get(node.op, {}).items():
            if _count_below(node, inner) > limit:
                problems.append("nesting")
    if constraints.nesting and NestingLimits(constraints.nesting).violation(expr) > 0:
        problems.append("nesting (knowledge rule)")
    if constraints.units_known:
        dims = {n: np.array(d, float) for n, d in zip(names, constraints.variable_dimensions)}
        target = None if constraints.target_dimension is None else np.array(constraints.target_dimension)
        if dimensional_offence(expr, dims, target) > 0:
            problems.append("units")
    return problems


def _random_constraints(rng: np.random.Generator) -> Constraints:
    n_variables = int(rng.integers(1, 5))
    operators = tuple(op for op in OPERATORS if rng.random() < 0.5) or ("mul",)
    nesting = {}
    if rng.random() < 0.6:
        outer = [op for op in ("sin", "exp", "sqrt", "mul", "cos", "log") if rng.random() < 0.5]
        nesting = {o: {i: int(rng.integers(0, 2)) for i in ("sin", "exp", "mul", "cos", "add") if rng.random() < 0.5}
                   for o in outer}
    variable_dimensions = target = None
    if rng.random() < 0.7:
        variable_dimensions = tuple(_padded(DIMENSION_POOL[i]) for i in rng.integers(len(DIMENSION_POOL), size=n_variables))
        if rng.random() < 0.7:
            # a reachable target: the dimension of one variable, or a product of two
            a, b = rng.integers(n_variables, size=2)
            vector = np.array(variable_dimensions[a]) + (np.array(variable_dimensions[b]) if rng.random() < 0.5 else 0)
            target = tuple(float(v) for v in vector)
    return Constraints(n_variables, operators, int(rng.integers(1, 26)), nesting, variable_dimensions, target)


def _context(model: WorldModel, constraints: Constraints, rng: np.random.Generator):
    X = rng.uniform(0.5, 3.0, size=(40, constraints.n_variables))
    y = X.sum(axis=1)
    return stack([dataset_features(X, y, constraints, model.vocabulary, rng)])


def test_ten_thousand_samples_break_no_hard_rule():
    rng = np.random.default_rng(0)
    torch.manual_seed(0)
    model = WorldModel(Vocabulary(), hidden=16)
    n_checked = 0
    settings = 0
    while n_checked < 10_000:
        constraints = _random_constraints(rng)
        names = [f"v{i}" for i in range(constraints.n_variables)]
        grammar = Grammar(model.vocabulary, constraints)
        context = DatasetContext(_context(model, constraints, rng), grammar, tuple(names))
        samples = model.sample(500, context, rng, temperature=float(rng.choice([0.5, 1.0, 3.0])))
        settings += 1
        for expr, log_prob in samples:
            assert _violations(expr, constraints, names) == [], (str(expr), constraints)
            assert math.isfinite(log_prob) and log_prob <= 1e-9
        n_checked += len(samples)
    assert settings >= 20  # many different knowledge settings were exercised


def test_an_unreachable_target_unit_gives_no_samples_not_bad_ones():
    rng = np.random.default_rng(1)
    model = WorldModel(Vocabulary(), hidden=16)
    constraints = Constraints(1, ("add", "mul"), 10, {}, (_padded((1, 0, 0)),), _padded((0, 0, 1)))
    context = DatasetContext(_context(model, constraints, rng), Grammar(model.vocabulary, constraints), ("x",))
    assert model.sample(20, context, rng) == []


def test_sampled_log_prob_equals_teacher_forced_masked_log_prob():
    rng = np.random.default_rng(2)
    torch.manual_seed(2)
    model = WorldModel(Vocabulary(), hidden=32)
    constraints = Constraints(3, ("add", "mul", "div", "sin", "sqrt", "pow"), 15, {"sin": {"sin": 0}},
                              (_padded((1, 0, 0)), _padded((0, 0, 1)), _padded((1, 0, -1))), _padded((1, 0, -1)))
    grammar = Grammar(model.vocabulary, constraints)
    features = _context(model, constraints, rng)
    traces, _ = sample_traces(ModelPolicy(model, features), grammar, 40, rng)
    assert len(traces) >= 30
    for trace in traces:
        masks, parents, children = replay(grammar, trace.tokens)
        assert np.array_equal(masks, trace.masks)
        recomputed = sequence_log_prob(model, features, trace.tokens, masks, parents, children)
        assert recomputed == pytest.approx(trace.log_prob, abs=1e-4)


def test_save_and_load_give_identical_outputs(tmp_path):
    rng = np.random.default_rng(3)
    torch.manual_seed(3)
    model = WorldModel(Vocabulary(max_variables=4), hidden=24)
    path = tmp_path / "model.pt"
    save(model, path)
    loaded = load(path)
    assert loaded.vocabulary == model.vocabulary and loaded.hidden == 24
    constraints = Constraints(2, ("add", "mul", "exp"), 12)
    features = _context(model, constraints, rng)
    context = DatasetContext(features, Grammar(model.vocabulary, constraints), ("a", "b"))
    first = model.sample(20, context, np.random.default_rng(7))
    second = loaded.sample(20, context, np.random.default_rng(7))
    assert [str(e) for e, _ in first] == [str(e) for e, _ in second]
    assert [p for _, p in first] == pytest.approx([p for _, p in second], abs=1e-12)


def test_try_load_reports_instead_of_raising(tmp_path):
    model, reason = try_load(tmp_path / "missing.pt")
    assert model is None and "missing.pt" in reason
    (tmp_path / "junk.pt").write_bytes(b"not a checkpoint")
    model, reason = try_load(tmp_path / "junk.pt")
    assert model is None and reason


def test_one_training_step_lowers_the_loss_on_a_fixed_batch():
    rng = np.random.default_rng(4)
    torch.manual_seed(4)
    vocabulary = Vocabulary()
    dreams = []
    while len(dreams) < 8:
        dreams.extend(make_dreams(rng, vocabulary, 4))
    model = WorldModel(vocabulary, hidden=32)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
    before = batch_loss(model, dreams[:8])
    training_step(model, optimizer, dreams[:8])
    assert batch_loss(model, dreams[:8]) < before


def test_dreams_keep_their_own_rules():
    rng = np.random.default_rng(5)
    vocabulary = Vocabulary()
    dreams = []
    while len(dreams) < 30:
        dreams.extend(make_dreams(rng, vocabulary, 6))
    for dream in dreams:
        names = [f"x{i}" for i in range(dream.constraints.n_variables)]
        expr = vocabulary.decode(dream.tokens, names)
        assert _violations(expr, dream.constraints, names) == []
        assert expr.variables()


def test_tokens_round_trip_with_real_names():
    vocabulary = Vocabulary()
    expr = call("add", call("mul", const(2.5), call("pow", var("mass"), Expr("num", value=-0.5))), var("speed"))
    tokens = vocabulary.encode(expr, ["speed", "mass"])
    assert str(vocabulary.decode(tokens, ["speed", "mass"])) == str(expr.with_constants([1.0]))
    assert vocabulary.encode(var("other"), ["speed"]) is None


def test_share_follows_hall_of_fame_entries():
    rng = np.random.default_rng(6)
    model = WorldModel(Vocabulary(), hidden=16)
    X = rng.uniform(1, 2, size=(30, 2))
    good = WorldModelProposer(model, X, X[:, 0] * X[:, 1], ["a", "b"], Constraints(2, ("add", "mul"), 9))
    bad = WorldModelProposer(model, X, X[:, 0] * X[:, 1], ["a", "b"], Constraints(2, ("add", "mul"), 9))
    start = good.share()
    for _ in range(20):
        good.record_outcome(16, 4)
        bad.record_outcome(16, 0)
    assert bad.share() < start < good.share()


def test_world_model_kernel_plugs_into_the_driver():
    rng = np.random.default_rng(8)
    torch.manual_seed(8)
    X = rng.uniform(1.0, 3.0, size=(60, 2))
    y = 1.5 * X[:, 0] * X[:, 1] + 0.2
    names = ["p", "q"]
    model, _ = try_load()
    if model is None:
        model = WorldModel(Vocabulary(), hidden=32)
    constraints = Constraints(2, ("add", "sub", "mul", "div", "sqrt"), 12)
    proposer = WorldModelProposer(model, X, y, names, constraints)
    scorer = Scorer({"p": X[:, 0], "q": X[:, 1]}, y, np.random.default_rng(0))
    kernel = WorldModelKernel(proposer, scorer, batch=8, update_interval=2)
    outcome = run_search(kernel, scorer, [], rng, Budget(time_limit=20.0, max_evaluations=40))
    scores = list(scorer.cache.values())
    assert scores and any(s.is_valid for s in scores)
    assert all(s.structure.variables() <= set(names) for s in scores)
    best = outcome.hall_of_fame.best()
    assert best is not None and math.isfinite(best.log_posterior) and best.nmse < 1.0
    # the kernel labels its work and its structures keep the rules
    _, info = kernel.step(rng, kernel.init(rng, []))
    assert set(info.moves) <= {"world_model"} and len(info.moves) == len(info.scores)
    for expr in proposer.propose(rng, 30):
        assert _violations(expr, constraints, names) == []


def test_shared_kernel_gives_the_world_model_its_share_and_reports_entries():
    from search.evolution import EvolutionConfig, EvolutionKernel
    from search.space import SearchSpace
    from search.world_model import SharedKernel

    rng = np.random.default_rng(9)
    X = rng.uniform(1.0, 3.0, size=(50, 2))
    y = X[:, 0] / X[:, 1]
    scorer = Scorer({"p": X[:, 0], "q": X[:, 1]}, y, np.random.default_rng(0))
    space = SearchSpace(("p", "q"), ("add", "mul", "div", "sqrt"), max_size=10)
    proposer = WorldModelProposer(WorldModel(Vocabulary(), hidden=16), X, y, ["p", "q"],
                                  Constraints(2, ("add", "mul", "div", "sqrt"), 10))
    kernel = SharedKernel(EvolutionKernel(space, scorer, EvolutionConfig(population_size=10, children_per_step=2)),
                          WorldModelKernel(proposer, scorer, batch=8))
    state = kernel.init(rng, [])
    moves = []
    for _ in range(40):
        state, info = kernel.step(rng, state)
        moves.extend(info.moves)
    assert "world_model" in moves and any(m != "world_model" for m in moves)
    assert proposer.n_proposed > 0 and 0.0 < proposer.share() <= 0.5


def test_nesting_counts_every_node_below_as_the_knowledge_rule_does():
    vocabulary = Vocabulary()
    constraints = Constraints(2, ("add", "exp", "mul"), 20, {"exp": {"exp": 1}})
    grammar = Grammar(vocabulary, constraints)
    names = ["a", "b"]
    one_below = call("exp", call("add", call("exp", var("a")), var("b")))
    two_below = call("exp", call("add", call("exp", var("a")), call("exp", var("b"))))
    assert replay(grammar, vocabulary.encode(one_below, names)) is not None
    assert replay(grammar, vocabulary.encode(two_below, names)) is None  # two exps on different paths
    assert NestingLimits({"exp": {"exp": 1}}).violation(two_below) > 0


def test_constraints_from_a_knowledge_file_with_hard_units(tmp_path):
    from knowledge import load_knowledge
    from search.world_model import constraints_for

    path = tmp_path / "k.yaml"
    path.write_text("variables:\n  d: {units: m}\n  t: {units: s}\n  v: {units: m/s}\n"
                    "operators:\n  nesting: {exp: {exp: 0}}\n"
                    "rules:\n  - dimensional_consistency: {weight: hard}\n")
    knowledge = load_knowledge(path)
    constraints = constraints_for(["d", "t"], "v", ("add", "mul", "div", "exp"), 15, knowledge)
    assert constraints.units_known and constraints.nesting == {"exp": {"exp": 0}}
    model = WorldModel(Vocabulary(), hidden=16)
    rng = np.random.default_rng(10)
    context = DatasetContext(_context(model, constraints, rng), Grammar(model.vocabulary, constraints), ("d", "t"))
    samples = model.sample(200, context, rng)
    assert samples
    for expr, _ in samples:
        assert _violations(expr, constraints, ["d", "t"]) == []
        assert knowledge.prior(["d", "t"], "v")(expr) > -math.inf


def test_proposals_run_torch_on_one_thread_and_restore_the_setting():
    import torch

    from search.world_model.proposer import single_threaded

    before = torch.get_num_threads()
    seen = []
    with pytest.raises(RuntimeError):
        with single_threaded():
            seen.append(torch.get_num_threads())
            raise RuntimeError("restored even when the block fails")
    assert seen == [1]
    assert torch.get_num_threads() == before


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_vectorized_operand_requirements_equal_the_plain_loop(seed):
    from search.world_model.dimension_table import INFINITE, subtract

    rng = np.random.default_rng(seed)
    constraints = _random_constraints(rng)
    while not constraints.units_known:
        constraints = _random_constraints(rng)
    grammar = Grammar(Vocabulary(), constraints)
    table = grammar.table
    dims = list(table.size)
    for _ in range(20):
        picked = rng.choice(len(dims), size=min(len(dims), int(rng.integers(1, 12))), replace=False)
        costs = {dims[i]: int(rng.integers(0, 8)) for i in picked}
        costs[tuple(int(v) for v in rng.integers(-3, 4, len(dims[0])) * 1728)] = 1  # maybe off the table
        for op in ("mul", "div"):
            expected = {}
            for first in table.size:
                best = min(table.least(subtract(d, first) if op == "mul" else subtract(first, d)) + c
                           for d, c in costs.items())
                if best < INFINITE:
                    expected[first] = best
            assert grammar._first_operand_costs(op, costs) == expected
