"""The neural structure model: a set encoder of the data (V) and a GRU decoder of skeletons (M).

The encoder is permutation-invariant over rows (a shared row network,
then mean and max pooling, as in DeepSets) and gives each variable slot its
own embedding from its statistics and units.  The decoder writes prefix
tokens; at each step it sees the previous token, the open operator and the
child index, and a pointer term lets variable logits depend on each
variable's embedding.  Logits only: masking and sampling are
``search.world_model.sampler``'s, so the model never decides what is lawful.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from hypo.expr import Expr
from search.world_model.grammar import Grammar

from search.world_model.features import GLOBAL_EXTRA, VARIABLE_FEATURES
from search.world_model.sampler import masked_log_softmax, sample_traces
from search.world_model.tokens import Vocabulary

DEFAULT_HIDDEN = 128


class WorldModel(nn.Module):
    """Encoder plus decoder; ``config`` holds everything needed to rebuild it."""

    def __init__(self, vocabulary: Vocabulary | None = None, hidden: int = DEFAULT_HIDDEN):
        super().__init__()
        self.vocabulary = vocabulary or Vocabulary()
        self.hidden = hidden
        slots, size = self.vocabulary.max_variables, len(self.vocabulary)
        n_globals = len(self.vocabulary.operators) + GLOBAL_EXTRA
        self.row_net = nn.Sequential(nn.Linear(2 * slots + 2, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU())
        self.variable_net = nn.Sequential(nn.Linear(VARIABLE_FEATURES + hidden, hidden), nn.ReLU(),
                                          nn.Linear(hidden, hidden))
        self.slot_embedding = nn.Parameter(torch.zeros(slots, hidden))
        self.context_net = nn.Sequential(nn.Linear(3 * hidden + n_globals, hidden), nn.ReLU(),
                                         nn.Linear(hidden, hidden))
        self.token_embedding = nn.Embedding(size + 1, hidden)  # last index: start of sequence
        self.parent_embedding = nn.Embedding(size + 1, hidden)  # last index: at the root
        self.child_embedding = nn.Embedding(2, hidden)
        self.initial = nn.Linear(hidden, hidden)
        self.cell = nn.GRUCell(2 * hidden, hidden)
        self.output = nn.Linear(hidden, size)
        self.pointer = nn.Linear(hidden, hidden)

    def sample(self, n: int, context: "DatasetContext", rng: np.random.Generator | None = None,
               temperature: float = 1.0) -> list[tuple[Expr, float]]:
        """Up to ``n`` lawful structures with their masked log-probabilities (see :func:`sample`)."""
        return sample(self, n, context, rng, temperature)

    @property
    def config(self) -> dict:
        return {"vocabulary": self.vocabulary.to_config(), "hidden": self.hidden}

    # --- encoder -----------------------------------------------------------------
    def encode(self, batch: dict) -> tuple[torch.Tensor, torch.Tensor]:
        """Context vectors ``(B, H)`` and variable embeddings ``(B, slots, H)``."""
        rows = torch.as_tensor(batch["rows"])
        pooled_rows = self.row_net(rows)
        pooled = torch.cat([pooled_rows.mean(dim=1), pooled_rows.amax(dim=1)], dim=-1)
        present = torch.as_tensor(batch["present"]).unsqueeze(-1)
        variables = torch.as_tensor(batch["variables"])
        slots = variables.shape[1]
        shared = pooled_rows.mean(dim=1, keepdim=True)[..., :].expand(-1, slots, -1)
        embedded = (self.variable_net(torch.cat([variables, shared], dim=-1)) + self.slot_embedding) * present
        mean_variable = embedded.sum(dim=1) / present.sum(dim=1).clamp(min=1.0)
        context = self.context_net(torch.cat([pooled, mean_variable, torch.as_tensor(batch["globals"])], dim=-1))
        return context, embedded

    # --- decoder -----------------------------------------------------------------
    def begin_state(self, context: torch.Tensor) -> torch.Tensor:
        return torch.tanh(self.initial(context))

    def step(self, hidden: torch.Tensor, context: torch.Tensor, variables: torch.Tensor,
             previous: torch.Tensor, parent: torch.Tensor, child: torch.Tensor):
        """Logits ``(B, V)`` for the next token and the new hidden state."""
        size = len(self.vocabulary)
        previous = torch.where(previous < 0, torch.full_like(previous, size), previous)
        parent = torch.where(parent < 0, torch.full_like(parent, size), parent)
        step_input = (self.token_embedding(previous) + self.parent_embedding(parent)
                      + self.child_embedding(child.clamp(0, 1)))
        hidden = self.cell(torch.cat([step_input, context], dim=-1), hidden)
        logits = self.output(hidden)
        first = self.vocabulary.first_variable
        pointer = torch.einsum("bh,bsh->bs", self.pointer(hidden), variables) / self.hidden**0.5
        logits = torch.cat([logits[:, :first], logits[:, first:first + pointer.shape[1]] + pointer,
                            logits[:, first + pointer.shape[1]:]], dim=-1)
        return logits, hidden

    def sequence_logits(self, batch: dict, tokens: torch.Tensor, parents: torch.Tensor,
                        children: torch.Tensor) -> torch.Tensor:
        """Teacher-forced logits ``(B, T, V)`` for padded token sequences ``(B, T)``."""
        context, variables = self.encode(batch)
        hidden = self.begin_state(context)
        previous = torch.full((tokens.shape[0],), -1, dtype=torch.long, device=tokens.device)
        out = []
        for t in range(tokens.shape[1]):
            logits, hidden = self.step(hidden, context, variables, previous, parents[:, t], children[:, t])
            out.append(logits)
            previous = tokens[:, t]
        return torch.stack(out, dim=1)


def masked_sequence_loss(logits: torch.Tensor, tokens: torch.Tensor, masks: torch.Tensor,
                         lengths: torch.Tensor, weights: torch.Tensor | None = None) -> torch.Tensor:
    """Mean negative log-likelihood of the tokens under the masked distributions."""
    masked = logits.masked_fill(~masks, -1e9)
    log_p = torch.log_softmax(masked, dim=-1).gather(-1, tokens.unsqueeze(-1)).squeeze(-1)
    steps = torch.arange(tokens.shape[1], device=tokens.device).unsqueeze(0) < lengths.unsqueeze(1)
    per_sequence = (log_p * steps).sum(dim=1)
    if weights is None:
        return -per_sequence.sum() / steps.sum()
    return -(weights * per_sequence).sum() / (weights * lengths).sum()


@dataclass(frozen=True)
class DatasetContext:
    """What sampling needs about one dataset: encoder inputs, rules, names."""

    features: dict  # a batch of one, from ``features.stack``
    grammar: Grammar
    variable_names: tuple[str, ...]


def sample(model: WorldModel, n: int, context: DatasetContext, rng: np.random.Generator | None = None,
           temperature: float = 1.0) -> list[tuple[Expr, float]]:
    """Up to ``n`` structures for ``context`` with their masked log-probabilities."""
    rng = rng if rng is not None else np.random.default_rng()
    traces, _ = sample_traces(ModelPolicy(model, context.features), context.grammar, n, rng, temperature)
    names = list(context.variable_names)
    return [(model.vocabulary.decode(t.tokens, names), t.log_prob) for t in traces]


class ModelPolicy:
    """The model as a sampling policy for one dataset (see ``sampler.Policy``)."""

    def __init__(self, model: WorldModel, batch: dict):
        self.model = model
        with torch.no_grad():
            self.context, self.variables = model.encode(batch)

    def begin(self, n: int):
        context = self.context.expand(n, -1)
        variables = self.variables.expand(n, -1, -1)
        with torch.no_grad():
            return (self.model.begin_state(context), context, variables)

    def logits(self, state, previous, parent, child):
        hidden, context, variables = state
        with torch.no_grad():
            logits, hidden = self.model.step(hidden, context, variables, torch.as_tensor(previous, dtype=torch.long),
                                             torch.as_tensor(parent, dtype=torch.long),
                                             torch.as_tensor(child, dtype=torch.long))
        return logits.double().numpy(), (hidden, context, variables)

    def keep(self, state, rows):
        rows = torch.as_tensor(rows, dtype=torch.long)
        return tuple(part[rows] for part in state)


def sequence_log_prob(model: WorldModel, batch: dict, tokens, masks: np.ndarray, parents, children) -> float:
    """Masked log-probability of one token sequence (the teacher-forced check
    of a sampled ``log_prob``; ``batch`` holds one dataset)."""
    with torch.no_grad():
        logits = model.sequence_logits(batch, torch.as_tensor([list(tokens)], dtype=torch.long),
                                       torch.as_tensor([list(parents)], dtype=torch.long),
                                       torch.as_tensor([list(children)], dtype=torch.long))[0]
    log_p = masked_log_softmax(logits.double().numpy(), masks)
    return float(sum(log_p[t, token] for t, token in enumerate(tokens)))
