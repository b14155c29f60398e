"""A torch "world model" that proposes candidate structures for a dataset.

It proposes, never scores: candidates (with the log-probability of the
masked distribution that drew them, for Hastings corrections) go to the one
scorer like any other move's.  Where to start reading:

- ``tokens.py``: the prefix vocabulary (operators, variable slots, ``C``);
- ``constraints.py``: the hard rules and an independent check of them;
- ``dimension_table.py`` and ``grammar.py``: the masks that keep samples lawful;
- ``sampler.py``: masked sampling and replay, shared by model and dream prior;
- ``features.py`` and ``model.py``: the set encoder and the GRU decoder;
- ``dreams.py`` and ``train.py``: synthetic data and pretraining;
- ``checkpoint.py``: save / load (``try_load`` never raises);
- ``proposer.py`` and ``kernel.py``: online use inside a search.

Torch is imported only by the modules that need it, so importing this
package is cheap.
"""

from __future__ import annotations

from search.world_model.checkpoint import DEFAULT_CHECKPOINT, load, save, try_load
from search.world_model.constraints import Constraints, hard_rule_problems
from search.world_model.kernel import MOVE_NAME, SharedKernel, WorldModelKernel
from search.world_model.proposer import WorldModelProposer, constraints_for
from search.world_model.tokens import Vocabulary

__all__ = ["Constraints", "DEFAULT_CHECKPOINT", "MOVE_NAME", "SharedKernel", "Vocabulary", "WorldModelKernel",
           "WorldModelProposer", "constraints_for", "hard_rule_problems", "load", "save", "try_load"]
