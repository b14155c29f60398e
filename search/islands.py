"""The evolution's islands on Dask workers: every core (or machine) runs its
own copy of the compiled evolution on the same data, and they swap their
best laws through the driver after every round.

To ``search.run.run_search`` this is one more kernel: a step is one round,
in which every worker runs its islands for :data:`ROUND_SECONDS` (or a fixed
number of steps under an evaluation budget, so a seeded run with a fixed
number of workers is reproducible) and returns the laws its islands
emitted, already scored with every knowledge rule, and its elites.  The
driver hands each worker the other workers' elites as immigrants at the
start of the next round.

A worker that dies (or stops answering) is replaced by a new island group
started from the last elites, on another worker when one is left, else in
the driver's own process: its laws already reached the hall of fame, so no
result is lost.
"""

from __future__ import annotations

import copy
import pickle
import time
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from hypo.expr import Expr
from hypo.numerics import fitting_numerics
from search.base import StepInfo
from search.hall_of_fame import HallOfFame

ROUND_SECONDS = 0.25
"""Wall time of one round under a time limit: migration costs a round trip
through the scheduler (a few milliseconds), so rounds are long against it,
and short enough that the driver's clock and stopping rule stay prompt."""

STEPS_PER_ROUND = 4
"""Evolution steps of one round under an evaluation budget (reproducible)."""

N_ELITES = 8
"""Laws each worker sends the others per round."""

ANSWER_SECONDS = 30.0
"""A worker that has not answered a round this long after it should have is lost."""

GRACE_SECONDS = 2.0
"""Near the search's deadline, how long past it a slow answer is awaited."""


class IslandWorker:
    """One worker's island group (a Dask actor): a copy of the evolution
    kernel, its state, its random stream and the best laws it has seen."""

    def __init__(self, kernel_blob: bytes):
        from search.evolution import CACHE_SLOTS, _empty_cache

        self.kernel = pickle.loads(kernel_blob)
        self.kernel._cache = _empty_cache(CACHE_SLOTS, self.kernel.scorer.limits.max_constants)
        self.state = None
        self.rng = None
        self.hall = HallOfFame()

    def start(self, seed: int, seeds: list) -> dict:
        self.rng = np.random.default_rng(seed)
        scorer = self.kernel.scorer
        before = (scorer.n_evaluations, scorer.n_calls)
        with fitting_numerics():
            self.state = self.kernel.init(self.rng, seeds)
        return {"evaluations": scorer.n_evaluations - before[0], "calls": scorer.n_calls - before[1]}

    def run(self, immigrants: list, seconds: float | None, steps: int | None, evaluations: int | None) -> dict:
        """Take in ``immigrants``, then evolve for ``seconds`` or ``steps``
        (at most ``evaluations`` more fits); return what was emitted."""
        with fitting_numerics():
            return self._run(immigrants, seconds, steps, evaluations)

    def _run(self, immigrants: list, seconds: float | None, steps: int | None, evaluations: int | None) -> dict:
        kernel, scorer = self.kernel, self.kernel.scorer
        if immigrants:
            self.state = kernel.immigrate(self.state, immigrants)
        before = (scorer.n_evaluations, scorer.n_calls)
        kernel.limit_evaluations(None if evaluations is None else scorer.n_evaluations + evaluations)
        scores, moves, done = [], [], 0
        started = time.perf_counter()
        while True:
            self.state, info = kernel.step(self.rng, self.state)
            scores += info.scores
            moves += info.moves
            done += 1
            if steps is not None and done >= steps:
                break
            if seconds is not None and time.perf_counter() - started >= seconds:
                break
            if evaluations is not None and scorer.n_evaluations - before[0] >= evaluations:
                break
        for score in scores:
            self.hall.update(score)
        return {"scores": scores, "moves": moves, "elites": self.hall.top()[:N_ELITES],
                "evaluations": scorer.n_evaluations - before[0], "calls": scorer.n_calls - before[1],
                "engine": kernel.engine_counters()}


@dataclass
class IslandsState:
    """The driver's view: which workers hold island groups, and the laws
    waiting to be sent to each."""

    actors: list
    inbox: list = field(default_factory=list)


class DaskIslandsKernel:
    """The evolution kernel run as island groups on ``n_workers`` workers of
    ``client`` (all of them when None)."""

    name = "evolution"

    def __init__(self, kernel, client, n_workers: int | None, on_note=None, deadline: float | None = None):
        self.local = kernel
        self.scorer = kernel.scorer
        self.client = client
        self.n_workers = n_workers
        self.max_evaluations: int | None = None
        self.note = on_note or (lambda text: None)
        self.lost = 0
        self.elites: list = []
        self._engine: list[dict | None] = []
        self._blob = None
        self.deadline = deadline
        """``perf_counter`` time the search must end by: no wait for a worker runs past it."""

    def _patience(self, seconds: float = 0.0) -> float:
        """How long to wait for a worker's answer: long for a worker that may
        hang, but not far past the search's deadline."""
        if self.deadline is None:
            return seconds + ANSWER_SECONDS
        return seconds + min(ANSWER_SECONDS, max(GRACE_SECONDS, self.deadline - time.perf_counter() + GRACE_SECONDS))

    def _past_deadline(self) -> bool:
        return self.deadline is not None and time.perf_counter() >= self.deadline

    def limit_evaluations(self, max_evaluations: int | None) -> None:
        self.max_evaluations = max_evaluations

    def init(self, rng: np.random.Generator, seeds: Sequence[Expr]) -> IslandsState:
        self._blob = _kernel_blob(self.local)
        self._seeds = list(seeds)
        addresses = sorted(self.client.scheduler_info()["workers"])[:self.n_workers]
        self.n_workers = len(addresses)
        seeds_of = [int(rng.integers(2**31)) for _ in addresses]
        pending = [self._submit_actor(address, seed, self._seeds) for address, seed in zip(addresses, seeds_of)]
        actors = []
        for call, seed in zip(pending, seeds_of):
            try:
                actors.append(self._started(*call))
            except Exception:  # the worker died while its islands started
                actors.append(self._restart(seed, self._seeds))
        self._engine = [None] * len(actors)
        return IslandsState(actors, [[] for _ in actors])

    def _submit_actor(self, address: str | None, seed: int, seeds: list) -> tuple:
        """Ask for an island group on ``address`` (any worker when None),
        without waiting: every worker unpickles and starts at once."""
        workers = None if address is None else [address]
        future = self.client.submit(IslandWorker, self._blob, actor=True, workers=workers,
                                    allow_other_workers=address is None, pure=False)
        return future, seed, seeds

    def _started(self, future, seed: int, seeds: list):
        actor = future.result(timeout=self._patience())
        self._count(actor.start(seed, seeds).result(timeout=self._patience()))
        return actor

    def _start_actor(self, address: str | None, seed: int, seeds: list):
        return self._started(*self._submit_actor(address, seed, seeds))

    def step(self, rng: np.random.Generator, state: IslandsState) -> tuple[IslandsState, StepInfo]:
        seconds, steps, shares = self._round_plan(len(state.actors))
        calls = [actor.run(inbox, seconds, steps, share) if share != 0 else None
                 for actor, inbox, share in zip(state.actors, state.inbox, shares)]
        scores, moves, elites = [], [], []
        answers: list[dict | None] = []
        wait = self._patience(seconds or 0.0)
        for call in calls:
            try:
                answers.append(None if call is None else call.result(timeout=wait))
            except TimeoutError:  # slow at the deadline (the search ends now), or hung: restarted below
                answers.append(None if self._past_deadline() else _LOST)
            except Exception:  # the worker died: its island group is restarted below
                answers.append(_LOST)
        for index, answer in enumerate(answers):
            if answer is _LOST:
                state.actors[index] = self._replace(rng)
                continue
            if answer is None:
                continue
            scores += answer["scores"]
            moves += answer["moves"]
            elites.append(answer["elites"])
            self._count(answer)
            self._engine[index] = answer["engine"]
        self._remember(elites)
        inbox = [[law for j, group in enumerate(elites) if j != i for law in group] for i in range(len(state.actors))]
        return IslandsState(state.actors, inbox), StepInfo(tuple(scores), tuple(moves))

    def _round_plan(self, n_actors: int):
        """Seconds or steps of the next round (never past the deadline), and
        each worker's share of the fits left under an evaluation budget."""
        if self.max_evaluations is None:
            seconds = ROUND_SECONDS
            if self.deadline is not None:
                seconds = max(min(seconds, self.deadline - time.perf_counter()), 0.01)
            return seconds, None, [None] * n_actors
        left = max(self.max_evaluations - self.scorer.n_evaluations, 0)
        shares = [left // n_actors + (1 if i < left % n_actors else 0) for i in range(n_actors)]
        return None, STEPS_PER_ROUND, shares

    def _replace(self, rng: np.random.Generator):
        """A new island group for a lost one, from the last elites."""
        return self._restart(int(rng.integers(2**31)), [score.structure for score in self.elites] or self._seeds)

    def _restart(self, seed: int, seeds: list):
        """An island group on any worker left, else in this process."""
        self.lost += 1
        try:
            actor = self._start_actor(None, seed, seeds)
            self.note(f"a search worker was lost; its islands restarted from {len(seeds)} laws")
            return actor
        except Exception:
            self.note("a search worker was lost and no other was left; its islands continue in this process")
            return _LocalActor(self._blob, seed, seeds, self)

    def _remember(self, elites: list[list]) -> None:
        hall = HallOfFame()
        for score in [*self.elites, *(law for group in elites for law in group)]:
            hall.update(score)
        self.elites = hall.top()[:N_ELITES * max(self.n_workers, 1)]

    def _count(self, counts: dict) -> None:
        self.scorer.n_evaluations += int(counts["evaluations"])
        self.scorer.n_calls += int(counts["calls"])

    def immigrate(self, state: IslandsState, scores) -> IslandsState:
        """Laws found beside the evolution (sums of its pieces, the world
        model) go to every worker with the next round."""
        laws = [score for score in scores if score.is_valid]
        return IslandsState(state.actors, [inbox + laws for inbox in state.inbox]) if laws else state

    def summary(self) -> dict:
        """For the report: workers used, island groups lost and restarted."""
        return {"workers": self.n_workers, "lost": self.lost}

    def engine_counters(self) -> dict | None:
        return _summed(self._engine)


_LOST = object()


def _summed(tallies) -> dict | None:
    """The engines' tallies added up (None when none has reported)."""
    known = [tally for tally in tallies if tally]
    return {key: sum(tally[key] for tally in known) for key in known[0]} if known else None


class _LocalActor:
    """An island group in the driver's process, answering like an actor."""

    def __init__(self, blob: bytes, seed: int, seeds: list, owner: DaskIslandsKernel):
        self.worker = IslandWorker(blob)
        owner._count(self.worker.start(seed, seeds))

    def run(self, *arguments):
        return _Done(self.worker.run(*arguments))


class _Done:
    def __init__(self, value):
        self.value = value

    def result(self, timeout=None):
        return self.value


def _kernel_blob(kernel) -> bytes:
    """The kernel as bytes for the workers, without its structure cache (23
    MB of zeros; each worker makes its own)."""
    import cloudpickle

    light = copy.copy(kernel)
    light._cache = None
    light.scorer = copy.copy(kernel.scorer)
    light.scorer.cache = {}
    return cloudpickle.dumps(light)


class IslandsWhenReady:
    """The evolution in this process until the cluster is up, then on its
    workers, started from the best laws found meanwhile: the search never
    waits for workers to start (a second or more) under a time limit.  Under
    an evaluation budget alone it waits for them, so that a seeded run is
    reproducible."""

    name = "evolution"

    def __init__(self, local, cluster, make_islands, notes: list[str], wait: bool):
        self.local, self.cluster, self.make_islands = local, cluster, make_islands
        self.notes, self.wait = notes, wait
        self.active = local
        self.islands: DaskIslandsKernel | None = None
        self.hall = HallOfFame()
        self.max_evaluations: int | None = None
        self.seeds: list = []

    def limit_evaluations(self, max_evaluations: int | None) -> None:
        self.max_evaluations = max_evaluations
        self.local.limit_evaluations(max_evaluations)

    def init(self, rng: np.random.Generator, seeds: Sequence[Expr]):
        self.seeds = list(seeds)
        if self.wait and self._switch(wait=None):
            return self.active.init(rng, self.seeds)
        return self.local.init(rng, self.seeds)

    def step(self, rng: np.random.Generator, state):
        if self.active is self.local and self.cluster.ready() and self._switch(wait=0.0):
            best = [score.structure for score in self.hall.top()[:N_ELITES * 4]]
            state = self.active.init(rng, best + self.seeds)
        state, info = self.active.step(rng, state)
        for score in info.scores:
            self.hall.update(score)
        return state, info

    def _switch(self, wait: float | None) -> bool:
        client = self.cluster.client(self.notes, wait)
        if client is None:
            self.cluster = _NeverReady()
            return False
        self.islands = self.active = self.make_islands(client)
        self.islands.limit_evaluations(self.max_evaluations)
        return True

    def immigrate(self, state, scores):
        return self.active.immigrate(state, scores)

    def engine_counters(self) -> dict | None:
        return _summed([self.local.engine_counters(), self.islands.engine_counters() if self.islands else None])

    def summary(self) -> dict:
        """Workers used (1 when the cluster never came up), island groups lost."""
        return self.islands.summary() if self.islands is not None else {"workers": 1, "lost": 0}


class _NeverReady:
    def ready(self) -> bool:
        return False
