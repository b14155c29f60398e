"""knowledge: what the scientist already knows (K), loaded from YAML.

Start with :func:`load_knowledge`, which returns a validated
:class:`Knowledge`; ``Knowledge.prior`` turns its rules into a log-prior
(:mod:`knowledge.prior`).  Units all come from the one registry in
:mod:`knowledge.units`, and errors from :mod:`knowledge.errors`.  The file
format is documented in ``docs/knowledge.md``.
"""

from knowledge.errors import KnowledgeError, UnitError
from knowledge.loader import Knowledge, NamedConstant, VariableKnowledge, load_knowledge
from knowledge.units import dimension_vector, is_dimensionless, parse_unit

__all__ = [
    "Knowledge",
    "KnowledgeError",
    "NamedConstant",
    "UNITS",
    "UnitError",
    "VariableKnowledge",
    "dimension_vector",
    "is_dimensionless",
    "load_knowledge",
    "parse_unit",
]


def __getattr__(name: str):
    """``UNITS``, the shared pint registry, built on first use (``knowledge.units``)."""
    if name == "UNITS":
        from knowledge.units import registry

        return registry()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
