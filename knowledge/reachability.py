"""Can the target's units be built from the inputs' units at all?

A dimensionally consistent law multiplies powers of its inputs (and of
named constants); pure-number constants and functions of dimensionless
groups add no dimension.  So the target's dimension vector must be a
linear combination of the inputs' vectors, with real exponents.  If it is
not, no law can be consistent, and the user should hear it before a search.
"""

from __future__ import annotations

import numpy as np

from knowledge.dimensions import dimension_matrix

_TARGET = "\0target"  # a key no input can have


def unreachable_reason(inputs: dict, target_unit) -> str | None:
    """Why no product of powers of ``inputs`` (name to pint unit) has the
    dimension of ``target_unit``; ``None`` when one does."""
    base, vectors = dimension_matrix({**inputs, _TARGET: target_unit})
    target = vectors.pop(_TARGET)
    if not target.any():
        return None  # a pure number is every input to the power 0
    carried = np.zeros(len(base), dtype=bool)
    for vector in vectors.values():
        carried |= vector != 0
    missing = [dimension for dimension, need, has in zip(base, target, carried) if need and not has]
    if missing:
        return f"no input carries the dimension {', '.join(missing)}"
    matrix = np.column_stack(list(vectors.values()))
    exponents, *_ = np.linalg.lstsq(matrix, target, rcond=None)
    if np.linalg.norm(matrix @ exponents - target) <= 1e-9 * max(1.0, float(np.linalg.norm(target))):
        return None
    listed = ", ".join(f"{name} [{unit:~}]" for name, unit in inputs.items())
    return f"no product of powers of {listed} has its dimension"
