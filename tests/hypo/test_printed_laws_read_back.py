"""Printed laws read back as the same mathematics, whatever the columns are
called: sympy's own names (E, I, S, N, oo, beta, gamma, Q, O) included."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import sympy

import hypo
from hypo.evaluate import evaluate
from hypo.printing import parse

CLASHING = [("E", "I"), ("S", "N"), ("beta", "gamma"), ("Q", "O"), ("zeta", "oo")]


@pytest.mark.parametrize("first, second", CLASHING)
def test_a_law_in_sympys_names_reads_back_with_sympify_and_parse(first, second):
    rng = np.random.default_rng(0)
    x, z = rng.uniform(1, 3, 50), rng.uniform(1, 3, 50)
    result = hypo.fit(pd.DataFrame({first: x, second: z, "y": 2.5 * x * z**2}), "y", time_limit=None,
                      max_evals=600, seed=0, mcmc=False)
    symbols = {name: sympy.Symbol(name) for name in (first, second)}
    for law in result.hypotheses[:5]:
        read = sympy.lambdify([symbols[first], symbols[second]], sympy.sympify(law.expression, locals=symbols))
        values = np.broadcast_to(read(x, z), x.shape)
        parsed = parse(law.expression, [first, second])
        expected = evaluate(law.expr, {first: x, second: z})
        assert np.allclose(values, expected, rtol=1e-9)
        assert np.allclose(evaluate(parsed, {first: x, second: z}), expected, rtol=1e-9)
    best = sympy.sympify(result.best.expression, locals=symbols)
    assert sympy.simplify(best - sympy.Rational(5, 2) * symbols[first] * symbols[second] ** 2) == 0
