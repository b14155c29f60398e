"""Telling apart laws that are only spelt differently.

``a**2/sqrt(a)`` and ``a**(3/2)`` are one hypothesis: counting both would
split its posterior mass and fill the report with copies.  Canonical forms
(``hypo.canonical``) catch the simple cases; this module catches the rest by
evaluation.  Two laws are the same when they agree to rounding on the data
and on probe points far beyond it (where ``|x|`` and ``x`` would part), and
are undefined at the same points.
"""

from __future__ import annotations

import numpy as np

from hypo.evaluate import evaluate

RELATIVE_TOLERANCE = 1e-9
N_PROBES = 256
PROBE_SEED = 12345


def probe_columns(columns: dict[str, np.ndarray], n_rows: int = N_PROBES,
                  positive: frozenset[str] = frozenset()) -> dict[str, np.ndarray]:
    """The data's rows plus points in a range three times as wide as the data's,
    drawn from a fixed seed: on both sides of zero, except for ``positive``
    variables, which are probed on a log scale over ten times their range."""
    rng = np.random.default_rng(PROBE_SEED)
    probes = {}
    for name, values in columns.items():
        values = np.asarray(values, dtype=float)
        low, high = float(values.min()), float(values.max())
        if low == high:  # a named constant (G) or a fixed setting stays fixed
            probes[name] = np.full(len(values[:n_rows]) + n_rows, low)
            continue
        if name in positive and low > 0:
            wide = np.exp(rng.uniform(np.log(low / 10), np.log(high * 10), n_rows))
        else:
            span = max(high - low, abs(high), 1.0)
            wide = rng.uniform(low - span, high + span, n_rows)
        probes[name] = np.concatenate([values[:n_rows], wide])
    return probes


def same_law(first: np.ndarray, second: np.ndarray) -> bool:
    """Whether two laws' values on the probes agree to rounding."""
    defined = np.isfinite(first)
    if not np.array_equal(defined, np.isfinite(second)) or not defined.any():
        return False
    a, b = first[defined], second[defined]
    scale = np.maximum(np.abs(a), np.abs(b))
    return bool(np.all(np.abs(a - b) <= RELATIVE_TOLERANCE * np.maximum(scale, 1e-300)))


def equal_law_groups(scores: list, columns: dict[str, np.ndarray], positive: frozenset[str] = frozenset()) -> list:
    """``scores`` (best first) grouped into laws equal on the probes (each group
    best first, groups in order of their best member)."""
    probes = probe_columns(columns, positive=positive)
    n_probes = len(next(iter(probes.values())))
    groups, values = [], []
    for score in scores:
        with np.errstate(all="ignore"):
            current = np.broadcast_to(evaluate(score.law, probes), (n_probes,))
        match = next((i for i, previous in enumerate(values) if same_law(current, previous)), None)
        if match is None:
            groups.append([score])
            values.append(current)
        else:
            groups[match].append(score)
    return groups


def distinct_laws(scores: list, columns: dict[str, np.ndarray]) -> list:
    """``scores`` (best first) without later ones that equal an earlier law."""
    return [members[0] for members in equal_law_groups(scores, columns)]
