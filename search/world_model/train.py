"""Pretraining on dreams: teacher-forced cross-entropy of skeletons given their data.

Dreams stream in *groups* of chunks (``dreams.dream_chunk``), shuffled
within the group, and each is trained on once: the earlier model overfit a
small buffer of reused dreams.  A group is a pure function of the seed and
its index, so a checkpoint that carries the optimizer state and the stream
position resumes the very same run (:func:`train` with ``resume=True``).
The loss is that of the *masked* distribution, the one sampling uses.
Progress is logged as loss and held-out skeleton accuracy: top-1 by greedy
decoding, top-10 among the 10 most likely distinct skeletons of
:data:`N_EVALUATION_SAMPLES` samples, both compared by canonical structure.
"""

from __future__ import annotations

import os
import signal
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
import torch

from hypo.canonical import structure_key
from search.world_model.checkpoint import load_training, save
from search.world_model.dreams import Dream, dream_chunk, make_dreams
from search.world_model.features import stack
from search.world_model.grammar import Grammar
from search.world_model.model import ModelPolicy, WorldModel, masked_sequence_loss
from search.world_model.sampler import sample_traces
from search.world_model.tokens import Vocabulary

BATCH_SIZE = 128
"""Dreams per step: on one CPU thread 128 trains 1.4 times as many dreams per second as 64."""

LEARNING_RATE = 1e-3
CHUNKS_PER_GROUP = 16
"""Chunks shuffled together, so that a batch mixes about 16 draws of rules."""

SAVE_INTERVAL = 300.0
"""Seconds between checkpoints written during training (and one at the end)."""

N_HELD_OUT = 150
N_EVALUATION_SAMPLES = 32


def make_batch(dreams: Sequence[Dream]) -> tuple[dict, torch.Tensor, ...]:
    """Features, padded tokens, parents, children, masks and lengths of some dreams."""
    length = max(len(d.tokens) for d in dreams)
    size = dreams[0].masks.shape[1]
    tokens = np.zeros((len(dreams), length), dtype=np.int64)
    parents = np.full((len(dreams), length), -1, dtype=np.int64)
    children = np.zeros((len(dreams), length), dtype=np.int64)
    masks = np.ones((len(dreams), length, size), dtype=bool)
    for i, dream in enumerate(dreams):
        n = len(dream.tokens)
        tokens[i, :n], parents[i, :n] = dream.tokens, dream.parents
        children[i, :n], masks[i, :n] = dream.children, dream.masks
    lengths = torch.as_tensor([len(d.tokens) for d in dreams])
    return (stack([d.features for d in dreams]), torch.as_tensor(tokens), torch.as_tensor(parents),
            torch.as_tensor(children), torch.as_tensor(masks), lengths)


def training_step(model: WorldModel, optimizer: torch.optim.Optimizer, dreams: Sequence[Dream],
                  weights: torch.Tensor | None = None, device: str = "cpu") -> float:
    """One gradient step on ``dreams``; returns the loss before the step."""
    features, tokens, parents, children, masks, lengths = make_batch(dreams)
    if device != "cpu":
        features = {name: torch.as_tensor(value, device=device) for name, value in features.items()}
        tokens, parents, children, masks, lengths = (t.to(device) for t in (tokens, parents, children, masks, lengths))
    model.train()
    logits = model.sequence_logits(features, tokens, parents, children)
    loss = masked_sequence_loss(logits, tokens, masks, lengths, weights)
    optimizer.zero_grad()
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    optimizer.step()
    model.eval()
    return loss.item()


def batch_loss(model: WorldModel, dreams: Sequence[Dream]) -> float:
    features, tokens, parents, children, masks, lengths = make_batch(dreams)
    with torch.no_grad():
        return float(masked_sequence_loss(model.sequence_logits(features, tokens, parents, children),
                                          tokens, masks, lengths))


def skeleton_accuracy(model: WorldModel, dreams: Sequence[Dream], rng: np.random.Generator) -> tuple[float, float]:
    """Fractions of dreams whose skeleton is the greedy decode (top-1) and
    among the 10 likeliest distinct samples (top-10)."""
    vocabulary = model.vocabulary
    top1 = top10 = 0
    for dream in dreams:
        names = [f"x{i}" for i in range(dream.constraints.n_variables)]
        truth = structure_key(vocabulary.decode(dream.tokens, names))
        grammar = Grammar(vocabulary, dream.constraints)
        policy = ModelPolicy(model, stack([dream.features]))
        greedy, _ = sample_traces(policy, grammar, 1, rng, greedy=True)
        samples, _ = sample_traces(policy, grammar, N_EVALUATION_SAMPLES, rng)
        best: dict[str, float] = {}
        for trace in samples + greedy:
            key = structure_key(vocabulary.decode(trace.tokens, names))
            best[key] = max(best.get(key, -np.inf), trace.log_prob)
        ranked = sorted(best, key=best.get, reverse=True)[:10]
        top1 += bool(greedy) and structure_key(vocabulary.decode(greedy[0].tokens, names)) == truth
        top10 += truth in ranked
    return top1 / len(dreams), top10 / len(dreams)


def held_out_dreams(seed, vocabulary: Vocabulary, n: int) -> list[Dream]:
    """``n`` fresh dreams of distinct skeletons, from a stream training never reads."""
    rng = np.random.default_rng([seed, 1])
    dreams: list[Dream] = []
    while len(dreams) < n:
        dreams.extend(make_dreams(rng, vocabulary, 4, per_skeleton=1))
    return dreams[:n]


def dream_group(seed: int, index: int, vocabulary: Vocabulary, chunks: int = CHUNKS_PER_GROUP) -> list[Dream]:
    """Group ``index`` of the training stream: its chunks' dreams in a seeded shuffle."""
    dreams: list[Dream] = []
    for chunk in range(index * chunks, (index + 1) * chunks):
        dreams.extend(dream_chunk(seed, chunk, vocabulary))
    order = np.random.default_rng([seed, 2, index]).permutation(len(dreams))
    return [dreams[i] for i in order]


@dataclass
class DreamStream:
    """The training dreams in order; ``group`` and ``offset`` are all a checkpoint needs to resume."""

    seed: int
    vocabulary: Vocabulary
    group: int = 0
    offset: int = 0
    chunks: int = CHUNKS_PER_GROUP
    processes: int = 0
    _current: list = field(default_factory=list, repr=False)
    _pending: dict = field(default_factory=dict, repr=False)
    _pool: ProcessPoolExecutor | None = field(default=None, repr=False)

    def take(self, n: int) -> list[Dream]:
        """The next ``n`` dreams."""
        out: list[Dream] = []
        while len(out) < n:
            if not self._current:
                self._current = self._group(self.group)
            piece = self._current[self.offset:self.offset + n - len(out)]
            out.extend(piece)
            self.offset += len(piece)
            if self.offset >= len(self._current):
                self.group, self.offset, self._current = self.group + 1, 0, []
        return out

    def _group(self, index: int) -> list[Dream]:
        if self.processes <= 0:
            return dream_group(self.seed, index, self.vocabulary, self.chunks)
        if self._pool is None:
            self._pool = ProcessPoolExecutor(self.processes, initializer=_ignore_interrupts)
        for ahead in range(index, index + self.processes + 1):  # keep every dream maker busy
            if ahead not in self._pending:
                self._pending[ahead] = self._pool.submit(dream_group, self.seed, ahead, self.vocabulary, self.chunks)
        return self._pending.pop(index).result()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None


def _stop_on_sigterm():
    """Make SIGTERM (a batch system's stop, or ``kill``) stop training as
    Ctrl-C does, saving; returns the handler it replaced (None off the main thread)."""
    def interrupt(signum, frame):
        raise KeyboardInterrupt

    try:
        return signal.signal(signal.SIGTERM, interrupt)
    except ValueError:  # not the main thread
        return None


def _ignore_interrupts() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the trainer's to handle


def train(out: str, minutes: float = 10.0, device: str = "cpu", seed: int = 0, hidden: int = 128,
          log: Callable[[str], None] = print, evaluation_interval: float = 600.0, resume: bool = False,
          max_steps: int | None = None, dream_processes: int = 0, chunks: int = CHUNKS_PER_GROUP,
          n_held_out: int = N_HELD_OUT) -> WorldModel:
    """Pretrain a world model on dreams for ``minutes`` (or ``max_steps``) and save it to ``out``.

    With ``resume`` and an existing ``out``, training continues from its
    weights, optimizer state and place in the dream stream (its seed, size
    and grouping override the arguments).  ``dream_processes`` extra
    processes make dreams ahead (a GPU trains faster than one core dreams).
    Ctrl-C or SIGTERM stops training and still saves.
    """
    vocabulary = Vocabulary()
    previous = load_training(out) if resume and Path(out).exists() else None
    if previous is not None:
        model, state = previous
        if state is not None:
            seed, chunks = int(state["seed"]), int(state["chunks"])
    else:
        torch.manual_seed(seed)
        model, state = WorldModel(vocabulary, hidden), None
    model.to(device)
    model.eval()
    optimizer = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE)
    stream = DreamStream(seed, model.vocabulary, chunks=chunks, processes=dream_processes)
    steps, dreams_seen, loss_log = 0, 0, []
    if state is not None:
        optimizer.load_state_dict(state["optimizer"])
        torch.set_rng_state(state["torch_rng"])
        steps, dreams_seen, loss_log = int(state["steps"]), int(state["dreams"]), list(state["losses"])
        stream.group, stream.offset = int(state["group"]), int(state["offset"])
        log(f"resumed {out} at step {steps} after {dreams_seen} dreams")
    n_parameters = sum(p.numel() for p in model.parameters())
    held_out: list[Dream] = []

    def checkpoint() -> None:
        training = {"optimizer": optimizer.state_dict(), "torch_rng": torch.get_rng_state(), "steps": steps,
                    "dreams": dreams_seen, "losses": loss_log, "group": stream.group, "offset": stream.offset,
                    "seed": seed, "chunks": chunks}
        notes = {"seed": seed, "steps": steps, "dreams": dreams_seen}
        _save_atomically(model, out, notes, training)

    start = time.perf_counter()
    deadline = start + 60.0 * minutes
    next_save, next_evaluation = start + SAVE_INTERVAL, start + evaluation_interval
    recent: list[float] = []
    interrupted = False
    previous_handler = _stop_on_sigterm()
    try:
        log(f"world model: {n_parameters} parameters, hidden {model.hidden}, device {device}, seed {seed}, "
            f"batch {BATCH_SIZE}, dream processes {dream_processes}")
        held_out = held_out_dreams(seed, model.vocabulary, n_held_out) if n_held_out else []
        while time.perf_counter() < deadline and (max_steps is None or steps < max_steps):
            batch = stream.take(BATCH_SIZE)
            loss = training_step(model, optimizer, batch, device=device)
            steps, dreams_seen = steps + 1, dreams_seen + len(batch)
            loss_log.append(loss)
            recent.append(loss)
            if steps % 50 == 0:
                elapsed = time.perf_counter() - start
                log(f"{elapsed:7.1f}s step {steps:6d} dreams {dreams_seen:8d} train loss {np.mean(recent):.3f}")
                recent = []
            now = time.perf_counter()
            if held_out and now >= next_evaluation:
                next_evaluation = now + evaluation_interval
                _evaluate(model, held_out, log, start)
            if now >= next_save:
                next_save = now + SAVE_INTERVAL
                checkpoint()
    except KeyboardInterrupt:
        interrupted = True
        log("interrupted: saving")
    finally:
        stream.close()
        if previous_handler is not None:
            signal.signal(signal.SIGTERM, previous_handler)
    if held_out and not interrupted:  # the user is waiting after a Ctrl-C
        _evaluate(model, held_out, log, start)
    checkpoint()
    log(f"saved {out} after {steps} steps on {dreams_seen} dreams ({time.perf_counter() - start:.0f}s this run)")
    model.to("cpu")
    return model


def _save_atomically(model, out, notes, training) -> None:
    """Write beside ``out`` and rename, so an interrupted save never leaves half a checkpoint."""
    partial = f"{out}.partial"
    device = next(model.parameters()).device
    save(model.to("cpu"), partial, notes, training)
    model.to(device)
    os.replace(partial, out)


def _evaluate(model, held_out, log, start) -> None:
    device = next(model.parameters()).device
    model.to("cpu")
    loss = batch_loss(model, held_out)
    top1, top10 = skeleton_accuracy(model, held_out, np.random.default_rng(0))
    model.to(device)
    log(f"{time.perf_counter() - start:7.1f}s held-out loss {loss:.3f} top-1 {top1:.3f} top-10 {top10:.3f} "
        f"({len(held_out)} dreams)")
