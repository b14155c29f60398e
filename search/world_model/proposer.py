"""Online use of the world model on one dataset: propose, adapt, earn a share.

:class:`WorldModelProposer` turns the pretrained model into structures with
the dataset's real variable names (``propose``), fine-tunes it on the best
laws the search has found so far (``update``: cross-entropy on the top
quantile, a few cheap steps, so proposals drift towards what fits this
data), and keeps a running rate of how often its proposals enter the hall of
fame, from which :meth:`share` says what fraction of all proposals it has
earned.  It never scores anything (``kernel.py`` does, through the scorer).
"""

from __future__ import annotations

import copy
import math
from contextlib import contextmanager
from typing import Sequence

import numpy as np

from hypo.expr import Expr
from search.world_model.constraints import Constraints, dimension_vector_of, hard_rule_problems
from search.world_model.features import stack
from search.world_model.grammar import Grammar
from search.world_model.sampler import replay, sample_traces

INITIAL_SHARE = 0.15
MIN_SHARE = 0.02
MAX_SHARE = 0.5
REFERENCE_RATE = 0.05
"""Hall-of-fame entry rate at which the share stays at :data:`INITIAL_SHARE`;
a proposer whose structures enter twice as often earns twice the share."""

PRIOR_PROPOSALS = 40.0
"""Pseudo-proposals at the reference rate: the share moves only after real evidence."""

MEMORY = 0.95
"""Each new outcome report discounts older counts by this factor, so the
share follows the search as it moves from easy to hard improvements."""

TOP_QUANTILE = 0.25
SYMBOL_SAMPLES = 32
"""Proposals whose operators and variables make the data-conditioned prior of the moves."""

UPDATE_STEPS = 2
UPDATE_LEARNING_RATE = 3e-4


def constraints_for(feature_names: Sequence[str], target: str, operators: Sequence[str], max_size: int,
                    knowledge=None, nesting: dict | None = None) -> Constraints:
    """Hard rules of a search in the world model's terms, from a ``knowledge.Knowledge``.

    Units are masked only when the knowledge makes ``dimensional_consistency``
    a hard rule; otherwise they only inform the encoder.  ``nesting``
    defaults to the knowledge's ``operators: nesting:`` limits.
    """
    if nesting is None and knowledge is not None:
        nesting = getattr(knowledge, "nesting", None)
    variable_dimensions = target_dimension = None
    free_constants, hard_units = False, False
    if knowledge is not None:
        described = knowledge.variables
        variable_dimensions = tuple(
            dimension_vector_of(described[name].units) if name in described and described[name].units is not None
            else None for name in feature_names)
        if target in described and described[target].units is not None:
            target_dimension = dimension_vector_of(described[target].units)
        free_constants = knowledge.fitted_constants == "free"
        hard_units = any(name == "dimensional_consistency" and math.isinf(weight)
                         for name, _, weight in knowledge.rules)
    return Constraints(len(feature_names), tuple(operators), int(max_size), dict(nesting or {}),
                       variable_dimensions, target_dimension, free_constants, hard_units)


@contextmanager
def single_threaded():
    """Run torch on one thread inside the block, then restore the setting.

    The proposer's tensors are tiny (a batch of 16-64 sequences, a hidden
    state of a few hundred): splitting them over threads costs more than it
    saves, and on a busy machine far more.  Measured on the 2-core machine
    kind beside another busy process: 320 samples in 0.54 s on one thread
    against 3.6 s with torch's default.
    """
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


class WorldModelProposer:
    """Structure proposals for one dataset from a (copied) pretrained model.

    Parameters
    ----------
    model : search.world_model.model.WorldModel
        Pretrained model; it is copied, so fine-tuning here leaves it untouched.
    X : numpy.ndarray
        Features, shape (rows, n_features), in the order of ``feature_names``.
    y : numpy.ndarray
        Target.
    feature_names : sequence of str
        Real column names, used in the proposed expressions.
    constraints : Constraints
        The hard rules (see :func:`constraints_for`).
    temperature : float
        Sampling temperature (above 1 explores more).
    """

    def __init__(self, model, X: np.ndarray, y: np.ndarray, feature_names: Sequence[str],
                 constraints: Constraints, temperature: float = 1.0, seed: int = 0):

        self.model = copy.deepcopy(model)
        self.model.eval()
        self.feature_names = list(feature_names)
        self.constraints = constraints
        self.temperature = temperature
        self.grammar = Grammar(self.model.vocabulary, constraints)
        from search.world_model.features import dataset_features

        self.features = stack([dataset_features(np.asarray(X, float), np.asarray(y, float), constraints,
                                                self.model.vocabulary, np.random.default_rng(seed))])
        self._policy = None
        self._optimizer = None  # made at the first update: building Adam imports torch._dynamo (2 s)
        self.n_proposed = 0.0
        self.n_entered = 0.0
        self.n_rejected = 0
        self.n_dead_ends = 0

    @property
    def policy(self):
        from search.world_model.model import ModelPolicy

        if self._policy is None:
            self._policy = ModelPolicy(self.model, self.features)
        return self._policy

    # --- proposing ---------------------------------------------------------------
    def propose_with_log_prob(self, rng: np.random.Generator, n: int) -> list[tuple[Expr, float]]:
        """Up to ``n`` structures with the log-probability of the masked
        distribution that drew them (for Hastings corrections)."""
        with single_threaded():
            traces, dead = sample_traces(self.policy, self.grammar, n, rng, self.temperature)
        self.n_dead_ends += dead
        out = []
        for trace in traces:
            expr = self.model.vocabulary.decode(trace.tokens, self.feature_names)
            if hard_rule_problems(expr, self.constraints, self.feature_names):
                self.n_rejected += 1  # the last guard; masks should make this unreachable
                continue
            out.append((expr, trace.log_prob))
        return out

    def propose(self, rng: np.random.Generator, n: int) -> list[Expr]:
        """Up to ``n`` structures (free constants start at 1)."""
        return [expr for expr, _ in self.propose_with_log_prob(rng, n)]

    def propose_mutations(self, rng: np.random.Generator, expr: Expr, n: int) -> list[Expr]:
        """Up to ``n`` variants of ``expr`` with one random subtree (not the
        whole law) rewritten by the model (``mutation.py``); none when
        ``expr`` cannot be written in the vocabulary."""
        from search.world_model.mutation import HolePolicy, subtree_end

        tokens = self.model.vocabulary.encode(expr, self.feature_names)
        if tokens is None or len(tokens) < 2:
            return []
        start = int(rng.integers(1, len(tokens)))
        end = subtree_end(tokens, start, self.grammar.arity)
        policy = HolePolicy(self.policy, tokens[:start], tokens[end:], self.grammar.arity)
        with single_threaded():
            traces, dead = sample_traces(policy, self.grammar, n, rng, self.temperature)
        self.n_dead_ends += dead
        out = []
        for trace in traces:
            sample = list(trace.tokens)
            if sample == list(tokens) or sample[subtree_end(sample, start, self.grammar.arity):] != tokens[end:]:
                continue  # the law itself, or a hole so big that the rest of the law no longer fitted
            variant = self.model.vocabulary.decode(trace.tokens, self.feature_names)
            if hard_rule_problems(variant, self.constraints, self.feature_names):
                self.n_rejected += 1
                continue
            out.append(variant)
        return out

    def log_prob(self, expr: Expr) -> float:
        """Log-probability of proposing ``expr`` (``-inf`` when it cannot be proposed)."""
        from search.world_model.model import sequence_log_prob

        tokens = self.model.vocabulary.encode(expr, self.feature_names)
        replayed = None if tokens is None else replay(self.grammar, tokens)
        if replayed is None:
            return -math.inf
        masks, parents, children = replayed
        with single_threaded():
            return sequence_log_prob(self.model, self.features, tokens, masks, parents, children)

    def symbol_weights(self, rng: np.random.Generator, n: int = SYMBOL_SAMPLES) -> tuple[tuple[str, float], ...]:
        """How often ``n`` proposals for these data use each operator and
        variable: a data-conditioned prior for the evolution's moves
        (``search.space.SearchSpace.symbol_weights``)."""
        counts: dict[str, float] = {}
        for expr in self.propose(rng, n):
            for node in expr.walk():
                name = node.name if node.op == "var" else None if node.is_leaf else node.op
                if name is not None:
                    counts[name] = counts.get(name, 0.0) + 1.0
        return tuple(sorted(counts.items()))

    # --- adapting ------------------------------------------------------------------
    def update(self, best_exprs_with_scores: Sequence[tuple[Expr, float]]) -> float | None:
        """Fine-tune on the top quantile of ``(structure, score)`` pairs (higher
        score is better, e.g. the log-posterior); returns the loss, or ``None``
        when none of them can be written in the vocabulary under the rules."""
        import torch

        from search.world_model.dreams import Dream
        from search.world_model.features import DataFeatures
        from search.world_model.train import training_step

        ranked = sorted((pair for pair in best_exprs_with_scores if math.isfinite(pair[1])),
                        key=lambda pair: pair[1], reverse=True)
        ranked = ranked[:max(1, int(math.ceil(TOP_QUANTILE * len(ranked))))]
        features = DataFeatures(*(self.features[name][0] for name in ("rows", "variables", "present", "globals")))
        examples = []
        for expr, _ in ranked:
            tokens = self.model.vocabulary.encode(expr, self.feature_names)
            replayed = None if tokens is None else replay(self.grammar, tokens)
            if replayed is not None:
                examples.append(Dream(features, self.constraints, tuple(tokens), *replayed))
        if not examples:
            return None
        weights = torch.linspace(1.0, 0.5, len(examples))  # the best law counts most
        if self._optimizer is None:
            self._optimizer = torch.optim.Adam(self.model.parameters(), lr=UPDATE_LEARNING_RATE)
        loss = None
        with single_threaded():
            for _ in range(UPDATE_STEPS):
                loss = training_step(self.model, self._optimizer, examples, weights)
        self._policy = None
        return loss

    # --- share -----------------------------------------------------------------------
    def record_outcome(self, n_proposed: int, n_entered: int) -> None:
        """Report how many of ``n_proposed`` proposals entered the hall of fame."""
        self.n_proposed = MEMORY * self.n_proposed + n_proposed
        self.n_entered = MEMORY * self.n_entered + n_entered

    def share(self) -> float:
        """Fraction of all proposals this proposer should make now."""
        rate = (self.n_entered + PRIOR_PROPOSALS * REFERENCE_RATE) / (self.n_proposed + PRIOR_PROPOSALS)
        return float(np.clip(INITIAL_SHARE * rate / REFERENCE_RATE, MIN_SHARE, MAX_SHARE))


__all__ = ["WorldModelProposer", "constraints_for"]
