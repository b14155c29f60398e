"""Seeds found in pi space are laws in the original variables."""

import numpy as np

from hypo.evaluate import evaluate
from knowledge.dimensions import dimension_matrix, dimensional_offence
from knowledge.units import parse_unit
from search.pi_seeds import has_group_variables, pi_seeds


def test_barometric_law_is_seeded_exactly():
    rng = np.random.default_rng(0)
    names = {"n0": "1/m^3", "m": "kg", "g": "m/s^2", "x": "m", "kb": "J/K", "T": "K"}
    columns = {name: rng.uniform(1, 3, 128) for name in names}
    y = columns["n0"] * np.exp(-columns["m"] * columns["g"] * columns["x"] / (columns["kb"] * columns["T"]))
    _, vectors = dimension_matrix({**{n: parse_unit(u) for n, u in names.items()}, "n": parse_unit("1/m^3")})
    target = vectors.pop("n")
    operators = ("add", "sub", "mul", "div", "exp", "log", "sqrt", "sin", "cos", "pow", "square", "inv")
    seeds = pi_seeds(columns, y, vectors, target, operators)
    assert seeds
    assert not any(has_group_variables(s) for s in seeds)
    best = None
    for seed in seeds:
        with np.errstate(all="ignore"):
            values = evaluate(seed, columns)
        if not np.all(np.isfinite(values)) or np.ptp(values) == 0:
            continue
        # seeds are structures: compare up to a fitted scale
        scale = float(values @ y / (values @ values))
        error = float(np.max(np.abs(scale * values - y) / np.abs(y)))
        if best is None or error < best[0]:
            best = (error, seed)
    assert best[0] < 1e-9
    assert dimensional_offence(best[1], vectors, target) == 0
