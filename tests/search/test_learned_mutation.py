"""Learned mutation: the world model rewrites one subtree of a law and keeps the rest."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from hypo.expr import call, const, var  # noqa: E402
from search.world_model import Constraints, Vocabulary, WorldModelKernel, WorldModelProposer  # noqa: E402
from search.world_model.grammar import Grammar  # noqa: E402
from search.world_model.model import ModelPolicy, WorldModel  # noqa: E402
from search.world_model.mutation import HolePolicy, subtree_end  # noqa: E402
from search.world_model.sampler import sample_traces  # noqa: E402
from search.world_model.features import dataset_features, stack  # noqa: E402

NAMES = ["a", "b", "c"]
LAW = call("div", call("mul", var("a"), call("sin", var("b"))), call("add", var("c"), const(1.0)))


@pytest.fixture()
def model():
    torch.manual_seed(0)
    return WorldModel(Vocabulary(), hidden=16)


def _data():
    rng = np.random.default_rng(0)
    X = rng.uniform(1, 3, (80, 3))
    return X, X[:, 0] * np.sin(X[:, 1]) / (X[:, 2] + 1)


def test_subtree_end_spans_a_whole_subtree():
    vocabulary = Vocabulary()
    tokens = vocabulary.encode(LAW, NAMES)
    arity = Grammar(vocabulary, Constraints(3, ("add", "mul", "div", "sin"), 20)).arity
    assert subtree_end(tokens, 0, arity) == len(tokens)
    assert subtree_end(tokens, 1, arity) == 5  # mul a sin b
    assert subtree_end(tokens, 3, arity) == 5  # sin b
    assert subtree_end(tokens, 5, arity) == 8  # add c C


@pytest.mark.parametrize("start", [1, 2, 3, 5, 7])
def test_every_sample_keeps_the_law_outside_the_hole(model, start):
    vocabulary = Vocabulary()
    constraints = Constraints(3, ("add", "sub", "mul", "div", "sin", "exp"), 20)
    grammar = Grammar(vocabulary, constraints)
    tokens = vocabulary.encode(LAW, NAMES)
    end = subtree_end(tokens, start, grammar.arity)
    X, y = _data()
    inner = ModelPolicy(model, stack([dataset_features(X, y, constraints, vocabulary, np.random.default_rng(0))]))
    traces, _ = sample_traces(HolePolicy(inner, tokens[:start], tokens[end:], grammar.arity), grammar, 40,
                              np.random.default_rng(start))
    assert len(traces) >= 30
    rewritten = kept = 0
    for trace in traces:
        sample = list(trace.tokens)
        assert sample[:start] == tokens[:start]
        hole_end = subtree_end(sample, start, grammar.arity)
        if sample[hole_end:] == tokens[end:]:  # else the new subtree left no room for the rest
            kept += 1
            rewritten += sample[start:hole_end] != tokens[start:end]
    assert kept >= 0.6 * len(traces) and rewritten >= 10


def _one_subtree_apart(variant: list, law: list, arity) -> bool:
    return any(variant[:start] == law[:start]
               and variant[subtree_end(variant, start, arity):] == law[subtree_end(law, start, arity):]
               for start in range(1, len(law)))


def test_mutations_rewrite_one_subtree_and_feed_the_kernel(model):
    X, y = _data()
    constraints = Constraints(3, ("add", "sub", "mul", "div", "sin", "exp"), 20)
    proposer = WorldModelProposer(model, X, y, NAMES, constraints)
    vocabulary, arity = Vocabulary(), proposer.grammar.arity
    law = vocabulary.encode(LAW, NAMES)
    rng = np.random.default_rng(1)
    variants = [v for _ in range(5) for v in proposer.propose_mutations(rng, LAW, 8)]
    assert len(variants) >= 10
    for variant in variants:
        tokens = vocabulary.encode(variant, NAMES)
        assert tokens != law and _one_subtree_apart(tokens, law, arity)
    from hypo.scoring import Scorer

    scorer = Scorer({name: X[:, i] for i, name in enumerate(NAMES)}, y, np.random.default_rng(0))
    kernel = WorldModelKernel(proposer, scorer, whole=False, mutations=True)
    state = kernel.init(rng, [LAW])
    state, info = kernel.step(rng, state)
    assert info.scores and set(info.moves) == {"world_model"}
    with pytest.raises(ValueError):
        WorldModelKernel(proposer, scorer, whole=False, mutations=False)
