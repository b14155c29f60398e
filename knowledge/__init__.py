"""knowledge: what the scientist already knows (K), loaded from YAML.

Start with :func:`load_knowledge`, which returns a validated
:class:`Knowledge`; units all come from the one registry in
:mod:`knowledge.units`, and errors from :mod:`knowledge.errors`.
"""

from knowledge.errors import KnowledgeError, UnitError
from knowledge.loader import Knowledge, VariableKnowledge, load_knowledge
from knowledge.units import UNITS, dimension_vector, is_dimensionless, parse_unit

__all__ = [
    "Knowledge",
    "KnowledgeError",
    "UNITS",
    "UnitError",
    "VariableKnowledge",
    "dimension_vector",
    "is_dimensionless",
    "load_knowledge",
    "parse_unit",
]
