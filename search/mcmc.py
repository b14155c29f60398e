"""Parallel-tempering Metropolis–Hastings over expression trees.

Samples structures ``h`` from ``π(h) ∝ exp(log_density(h))``, as the
Bayesian Machine Scientist does (Guimerà et al., 2020).  One step lets each
of several chains try ``proposals_per_step`` reversible moves from
``search.mcmc_moves``, accepted with probability

    α = min(1, π_β(h') q(h|h') / (π_β(h) q(h'|h))),

where chain ``k`` targets the tempered density
``π_β(h) ∝ exp(β_k · log_likelihood(h) + log_prior(h))``, β_k = 1/T_k on a
geometric ladder from 1 to ``max_temperature``.  Only the likelihood is
tempered (``log_likelihood = log_density − log_prior``), so hot chains
still respect the priors (a forbidden structure stays forbidden) while they
cross the likelihood's valleys.  After the moves, neighbouring chains of
alternating parity propose to swap states (deterministic even–odd swaps,
Syed et al., 2019), accepted with probability
``min(1, exp((β_k − β_{k+1}) · (L_{k+1} − L_k)))``.  Each part preserves
the joint target, so chain 0 samples ``π`` itself.

The kernel samples *trees*: ``x*y`` and ``y*x`` are two states with one
density, so the chain visits a hypothesis in proportion to its density
times its number of spellings.  Probabilities over hypotheses are therefore
computed from the scores, by canonical form (``hypo.posterior``), not from
visit counts.  The kernel follows ``search.base.SearchKernel`` and runs
under ``search.run.run_search``.
"""

from __future__ import annotations

import math
from array import array
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np

from hypo.expr import Expr
from hypo.scoring import Score
from search.base import StepInfo
from search.mcmc_moves import DEFAULT_MCMC_MOVE_WEIGHTS, MCMC_MOVES, TreeGrammar, check_mcmc_move_names
from search.space import SearchSpace

INIT_ATTEMPTS = 200
"""Random trees tried per chain to find a starting state of finite density."""


@dataclass(frozen=True)
class MCMCConfig:
    """Settings of the MCMC kernel.

    Parameters
    ----------
    n_chains : int
        Chains in the temperature ladder (1: plain Metropolis–Hastings).
    max_temperature : float
        Temperature of the hottest chain; the likelihood of a law fitted to
        n rows differs between structures by O(n) nats, so hot chains need
        temperatures of tens to hundreds to move freely.
    temperatures : tuple of float, optional
        An explicit ladder (first must be 1), overriding the two above.
    proposals_per_step : int
        Moves each chain tries per step, before one round of swaps.
    move_weights : dict[str, float]
        How often each move of ``search.mcmc_moves.MCMC_MOVES`` is drawn.
    grow_depth : int
        Depth of the subtrees ``replace_subtree`` grows (and of random starts).
    """

    n_chains: int = 4
    max_temperature: float = 100.0
    temperatures: tuple[float, ...] | None = None
    proposals_per_step: int = 2
    move_weights: dict = field(default_factory=lambda: dict(DEFAULT_MCMC_MOVE_WEIGHTS))
    grow_depth: int = 3

    def ladder(self) -> tuple[float, ...]:
        """The temperatures, coldest (1) first."""
        if self.temperatures is not None:
            return tuple(float(t) for t in self.temperatures)
        if self.n_chains == 1:
            return (1.0,)
        return tuple(float(self.max_temperature ** (k / (self.n_chains - 1))) for k in range(self.n_chains))

    def __post_init__(self):
        ladder = self.ladder()
        if not ladder or ladder[0] != 1.0 or any(b <= a for a, b in zip(ladder, ladder[1:])):
            raise ValueError(f"temperatures must start at 1 and increase, got {ladder}")
        if self.proposals_per_step < 1:
            raise ValueError(f"proposals_per_step must be at least 1, got {self.proposals_per_step}")
        check_mcmc_move_names(self.move_weights)
        if sum(self.move_weights.values()) <= 0:
            raise ValueError("at least one MCMC move needs a positive weight")


@dataclass(frozen=True)
class ChainState:
    """One chain's current tree and its target terms.

    ``log_density`` is the untempered target; ``log_prior`` is its untempered
    part, so the likelihood is their difference.
    """

    expr: Expr
    log_density: float
    log_prior: float
    score: Score | None = None

    @property
    def log_likelihood(self) -> float:
        if not math.isfinite(self.log_density):
            return -math.inf
        return self.log_density - self.log_prior

    def tempered(self, beta: float) -> float:
        """``log π_β`` up to a constant."""
        if not math.isfinite(self.log_density):
            return -math.inf
        return beta * self.log_likelihood + self.log_prior


@dataclass
class MCMCDiagnostics:
    """Running tallies of a run, updated in place (successive states share it).

    Attributes
    ----------
    proposed, accepted : numpy.ndarray
        Counts per chain (rows, coldest first) and move (columns, in
        ``move_names`` order).  A move that does not apply, or a tree over
        the size limit, counts as proposed and rejected.
    swaps_proposed, swaps_accepted : numpy.ndarray
        Counts per neighbouring pair ``(k, k+1)``.
    cold_trace : array of float
        The cold chain's log-density after every step.
    cold_visits : Counter
        Visits of the cold chain to each tree, one per proposal.
    """

    move_names: tuple[str, ...]
    proposed: np.ndarray
    accepted: np.ndarray
    swaps_proposed: np.ndarray
    swaps_accepted: np.ndarray
    cold_trace: array = field(default_factory=lambda: array("d"))
    cold_visits: Counter = field(default_factory=Counter)

    @classmethod
    def empty(cls, n_chains: int, move_names: tuple[str, ...]) -> "MCMCDiagnostics":
        shape = (n_chains, len(move_names))
        return cls(move_names, np.zeros(shape, int), np.zeros(shape, int),
                   np.zeros(max(n_chains - 1, 0), int), np.zeros(max(n_chains - 1, 0), int))

    def acceptance_rates(self) -> np.ndarray:
        """Accepted over proposed, per chain and move (NaN where nothing was proposed)."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return self.accepted / self.proposed

    def swap_rates(self) -> np.ndarray:
        with np.errstate(invalid="ignore", divide="ignore"):
            return self.swaps_accepted / self.swaps_proposed


@dataclass(frozen=True)
class MCMCState:
    """All chains, coldest first, plus the run's diagnostics."""

    chains: tuple[ChainState, ...]
    temperatures: tuple[float, ...]
    n_steps: int
    diagnostics: MCMCDiagnostics

    @property
    def cold(self) -> ChainState:
        return self.chains[0]


def metropolis_log_ratio(current: float, proposal: float, log_q_forward: float, log_q_reverse: float) -> float:
    """``log`` of the Metropolis–Hastings ratio ``π(h')q(h|h') / (π(h)q(h'|h))``.

    From a state of zero density every proposal is accepted (the chain must
    be able to leave an invalid start); into one, none is.
    """
    if not math.isfinite(proposal) or not math.isfinite(log_q_reverse):
        return -math.inf
    if not math.isfinite(current):
        return math.inf
    return proposal - current + log_q_reverse - log_q_forward


class MCMCKernel:
    """Parallel-tempering MCMC over structures (see the module docstring).

    Give the target as exactly one of

    ``score_fn``
        a :class:`hypo.scoring.Scorer` (or any ``expr -> Score``): the
        target is ``score.log_posterior`` and every score reaches the hall
        of fame through ``StepInfo``, as with ``EvolutionKernel``;
    ``log_density_fn``
        any ``expr -> float``; ``StepInfo.scores`` is then empty.

    ``log_prior_fn`` (``expr -> float``), when given, is the part of the
    target that is not tempered.  Without it, a scorer's target is tempered
    in its likelihood only (the rest of the log-posterior is the untempered
    part), and a ``log_density_fn`` is tempered whole.
    """

    name = "mcmc"

    def __init__(self, space: SearchSpace, score_fn: Callable[[Expr], Score] | None = None, *,
                 log_density_fn: Callable[[Expr], float] | None = None,
                 log_prior_fn: Callable[[Expr], float] | None = None,
                 config: MCMCConfig | None = None, grammar: TreeGrammar | None = None):
        if (score_fn is None) == (log_density_fn is None):
            raise ValueError("give exactly one of score_fn (a Scorer) or log_density_fn (expr -> float)")
        self.space = space
        self.score_fn = score_fn
        self.log_density_fn = log_density_fn
        self.log_prior_fn = log_prior_fn
        self.config = config or MCMCConfig()
        self.grammar = grammar or TreeGrammar.from_space(space, grow_depth=self.config.grow_depth)
        self.move_names = tuple(name for name, w in self.config.move_weights.items() if w > 0)
        weights = np.array([self.config.move_weights[n] for n in self.move_names], dtype=float)
        self.move_probabilities = weights / weights.sum()
        self._move_cumulative = np.cumsum(self.move_probabilities)
        self.betas = tuple(1.0 / t for t in self.config.ladder())

    # --- the target --------------------------------------------------------------
    def evaluate(self, expr: Expr) -> ChainState:
        """The target terms of one tree (no size check)."""
        return self.evaluate_batch([expr])[0]

    def evaluate_batch(self, exprs: Sequence[Expr]) -> list[ChainState]:
        """The target terms of many trees, scored in one batch when the
        scorer takes batches.  With a scorer and no ``log_prior_fn``, the
        untempered part is everything but the likelihood at the fitted
        constants (the constants' Occam factor and every prior), so only
        the likelihood is tempered, as in the evolution's islands."""
        log_priors = [self.log_prior_fn(e) if self.log_prior_fn is not None else 0.0 for e in exprs]
        states: list[ChainState | None] = [None] * len(exprs)
        wanted = [i for i, value in enumerate(log_priors) if math.isfinite(value)]
        for i, value in enumerate(log_priors):
            if not math.isfinite(value):
                states[i] = ChainState(exprs[i], -math.inf, value)
        if self.score_fn is None:
            for i in wanted:
                states[i] = ChainState(exprs[i], float(self.log_density_fn(exprs[i])), log_priors[i])
            return states
        batch = getattr(self.score_fn, "score_batch", None)
        scores = batch([exprs[i] for i in wanted]) if batch else [self.score_fn(exprs[i]) for i in wanted]
        for i, score in zip(wanted, scores):
            untempered = log_priors[i]
            if self.log_prior_fn is None and score.terms is not None and score.is_valid:
                untempered = score.log_posterior - score.terms.log_likelihood
            states[i] = ChainState(exprs[i], score.log_posterior, untempered, score)
        return states

    def _admits(self, expr: Expr) -> bool:
        """Size limit and the space's hard rules (``SearchSpace.constraint``,
        when the space has one): a tree they exclude has density zero, so it is
        rejected without scoring."""
        if expr.size > self.grammar.max_size:
            return False
        constraint = getattr(self.space, "constraint", None)
        return constraint is None or bool(constraint(expr))

    # --- init ------------------------------------------------------------------------
    def init(self, rng: np.random.Generator, seeds: Sequence[Expr] = ()) -> MCMCState:
        """Chains start from the admissible seeds (best first, cycled), else
        from random grown trees of finite density.  Seeds written outside the
        grammar (a named constant, an exponent it lacks) are skipped: the way
        back to them would have probability zero."""
        grammar = self.grammar
        starts = []
        for seed in seeds:
            tree = grammar.normalize(seed)
            if grammar.admits(tree) and self._admits(tree):
                state = self.evaluate(tree)
                if math.isfinite(state.log_density):
                    starts.append(state)
        starts.sort(key=lambda s: -s.log_density)
        chains = []
        for k in range(len(self.betas)):
            chains.append(starts[k % len(starts)] if starts else self._random_start(rng))
        diagnostics = MCMCDiagnostics.empty(len(chains), self.move_names)
        return MCMCState(tuple(chains), self.config.ladder(), 0, diagnostics)

    def _random_start(self, rng: np.random.Generator) -> ChainState:
        state = None
        for _ in range(INIT_ATTEMPTS):
            tree = self.grammar.grow(rng)
            if not self._admits(tree):
                continue
            state = self.evaluate(tree)
            if math.isfinite(state.log_density):
                return state
        return state if state is not None else self.evaluate(self.grammar.leaves[0])

    # --- step ----------------------------------------------------------------------------
    def step(self, rng: np.random.Generator, state: MCMCState) -> tuple[MCMCState, StepInfo]:
        """Each chain proposes ``proposals_per_step`` times; every round of
        proposals (one per chain) is scored as one batch, then accepted or
        rejected chain by chain."""
        diagnostics = state.diagnostics
        scores, moves = [], []
        chains = list(state.chains)
        for _ in range(self.config.proposals_per_step):
            drafts = [self._draft(rng, chain, k, diagnostics) for k, chain in enumerate(chains)]
            proposed = self.evaluate_batch([new for _, _, new in drafts if new is not None])
            for k, (index, name, new) in enumerate(drafts):
                moves.append(name)
                if new is not None:
                    proposal = proposed.pop(0)
                    if proposal.score is not None:
                        scores.append(proposal.score)
                    chains[k] = self._accept_or_reject(rng, chains[k], proposal, self.betas[k], k, index,
                                                       diagnostics)
                if k == 0:
                    diagnostics.cold_visits[chains[0].expr] += 1
        self._swap(rng, chains, state.n_steps % 2, diagnostics)
        diagnostics.cold_trace.append(chains[0].log_density)
        new_state = MCMCState(tuple(chains), state.temperatures, state.n_steps + 1, diagnostics)
        return new_state, StepInfo(tuple(scores), tuple(moves))

    def _draft(self, rng: np.random.Generator, chain: ChainState, k: int, diagnostics: MCMCDiagnostics):
        """``(move index, move name, proposed tree or None)`` for one chain; None
        when the move does not apply or the tree breaks a limit or hard rule."""
        index = min(int(np.searchsorted(self._move_cumulative, rng.random(), side="right")),
                    len(self.move_names) - 1)
        name = self.move_names[index]
        diagnostics.proposed[k, index] += 1
        new = MCMC_MOVES[name].propose(self.grammar, chain.expr, rng)
        if new is None or new == chain.expr or not self._admits(new):
            return index, name, None
        return index, name, new

    def _accept_or_reject(self, rng: np.random.Generator, chain: ChainState, proposal: ChainState, beta: float,
                          k: int, index: int, diagnostics: MCMCDiagnostics) -> ChainState:
        """Metropolis–Hastings with the exact proposal probabilities of the move."""
        move = MCMC_MOVES[self.move_names[index]]
        log_ratio = metropolis_log_ratio(chain.tempered(beta), proposal.tempered(beta),
                                         move.log_probability(self.grammar, chain.expr, proposal.expr),
                                         move.log_probability(self.grammar, proposal.expr, chain.expr))
        if log_ratio >= 0 or rng.random() < math.exp(log_ratio):
            diagnostics.accepted[k, index] += 1
            return proposal
        return chain

    def _swap(self, rng: np.random.Generator, chains: list[ChainState], parity: int,
              diagnostics: MCMCDiagnostics) -> None:
        """Swap proposals between pairs ``(k, k+1)`` with ``k % 2 == parity``."""
        for k in range(parity, len(chains) - 1, 2):
            diagnostics.swaps_proposed[k] += 1
            cold, hot = chains[k].log_likelihood, chains[k + 1].log_likelihood
            with np.errstate(invalid="ignore"):
                log_ratio = (self.betas[k] - self.betas[k + 1]) * (hot - cold)
            if math.isnan(log_ratio):
                continue
            if log_ratio >= 0 or rng.random() < math.exp(log_ratio):
                chains[k], chains[k + 1] = chains[k + 1], chains[k]
                diagnostics.swaps_accepted[k] += 1


__all__ = ["ChainState", "MCMCConfig", "MCMCDiagnostics", "MCMCKernel", "MCMCState", "metropolis_log_ratio"]
