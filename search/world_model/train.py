"""Pretraining on dreams: teacher-forced cross-entropy of skeletons given their data.

Dreams are made as training goes (``dreams.py``) and kept in a buffer that
each step draws its batch from, so a step's cost is not tied to dream
making.  The loss is that of the *masked* distribution, the one sampling
uses.  Progress is logged as loss and held-out skeleton accuracy: top-1 by
greedy decoding, top-10 among the 10 most likely distinct skeletons of
:data:`N_EVALUATION_SAMPLES` samples, both compared by canonical structure.
"""

from __future__ import annotations

import time
from typing import Callable, Sequence

import numpy as np
import torch

from hypo.canonical import structure_key
from search.world_model.checkpoint import save
from search.world_model.dreams import Dream, make_dreams
from search.world_model.features import stack
from search.world_model.grammar import Grammar
from search.world_model.model import ModelPolicy, WorldModel, masked_sequence_loss
from search.world_model.sampler import sample_traces
from search.world_model.tokens import Vocabulary

BATCH_SIZE = 64
BUFFER_SIZE = 20_000
LEARNING_RATE = 1e-3
DREAMS_PER_STEP = 4
"""New dreams made per optimizer step; older ones are reused from the buffer."""

N_HELD_OUT = 150
N_EVALUATION_SAMPLES = 32


def make_batch(dreams: Sequence[Dream]) -> tuple[dict, torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Features, padded tokens, parents, children, masks and lengths of some dreams."""
    length = max(len(d.tokens) for d in dreams)
    size = dreams[0].masks.shape[1]
    tokens = np.zeros((len(dreams), length), dtype=np.int64)
    parents = np.full((len(dreams), length), -1, dtype=np.int64)
    children = np.zeros((len(dreams), length), dtype=np.int64)
    masks = np.ones((len(dreams), length, size), dtype=bool)
    for i, dream in enumerate(dreams):
        n = len(dream.tokens)
        tokens[i, :n], parents[i, :n], children[i, :n], masks[i, :n] = dream.tokens, dream.parents, dream.children, dream.masks
    lengths = torch.as_tensor([len(d.tokens) for d in dreams])
    return (stack([d.features for d in dreams]), torch.as_tensor(tokens), torch.as_tensor(parents),
            torch.as_tensor(children), torch.as_tensor(masks), lengths)


def training_step(model: WorldModel, optimizer: torch.optim.Optimizer, dreams: Sequence[Dream],
                  weights: torch.Tensor | None = None) -> float:
    """One gradient step on ``dreams``; returns the loss before the step."""
    features, tokens, parents, children, masks, lengths = make_batch(dreams)
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


def dream_set(rng: np.random.Generator, vocabulary: Vocabulary, n: int) -> list[Dream]:
    dreams: list[Dream] = []
    while len(dreams) < n:
        dreams.extend(make_dreams(rng, vocabulary, 4))
    return dreams[:n]


def train(out: str, minutes: float = 10.0, device: str = "cpu", seed: int = 0, hidden: int = 128,
          log: Callable[[str], None] = print, evaluation_interval: float = 180.0) -> WorldModel:
    """Pretrain a world model on dreams for ``minutes`` and save it to ``out``.

    ``device`` is accepted for the command line; dream making dominates the
    cost and runs on the CPU, so the network also stays on the CPU.
    """
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    vocabulary = Vocabulary()
    model = WorldModel(vocabulary, hidden)
    model.eval()
    optimizer = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE)
    n_parameters = sum(p.numel() for p in model.parameters())
    log(f"world model: {n_parameters} parameters, hidden {hidden}, device {device} (dreams on cpu), seed {seed}")
    held_out = dream_set(np.random.default_rng([seed, 1]), vocabulary, N_HELD_OUT)
    start = time.perf_counter()
    deadline = start + 60.0 * minutes
    buffer: list[Dream] = []
    steps, next_evaluation, losses = 0, start + evaluation_interval, []
    while time.perf_counter() < deadline:
        while len(buffer) < BATCH_SIZE or len(buffer) < DREAMS_PER_STEP * (steps + 1) and len(buffer) < BUFFER_SIZE:
            buffer.extend(make_dreams(rng, vocabulary, 8))
            if time.perf_counter() > deadline:
                break
        picks = rng.choice(len(buffer), BATCH_SIZE, replace=False)
        losses.append(training_step(model, optimizer, [buffer[i] for i in picks]))
        steps += 1
        if steps % 50 == 0:
            log(f"{time.perf_counter() - start:7.1f}s step {steps:5d} dreams {len(buffer):6d} "
                f"train loss {np.mean(losses[-50:]):.3f}")
        if time.perf_counter() >= next_evaluation:
            next_evaluation += evaluation_interval
            _evaluate(model, held_out, rng, log, start)
    _evaluate(model, held_out, rng, log, start)
    save(model, out, {"seed": seed, "minutes": minutes, "steps": steps, "dreams": len(buffer)})
    log(f"saved {out} after {steps} steps on {len(buffer)} dreams in {time.perf_counter() - start:.0f}s")
    return model


def _evaluate(model, held_out, rng, log, start) -> None:
    loss = batch_loss(model, held_out)
    top1, top10 = skeleton_accuracy(model, held_out, np.random.default_rng(0))
    log(f"{time.perf_counter() - start:7.1f}s held-out loss {loss:.3f} top-1 {top1:.3f} top-10 {top10:.3f} "
        f"({len(held_out)} dreams)")
