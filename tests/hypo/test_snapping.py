"""Exact constants replace fitted ones only when the data cannot tell them apart."""

import math

import numpy as np
import pytest

from hypo.evaluate import evaluate
from hypo.expr import call, const, num, var
from hypo.printing import to_string
from hypo.snapping import exact_form, snap_constants


@pytest.mark.parametrize("value, text", [
    (1 / (2 * math.pi), "1/(2*pi)"), (2 * math.pi, "2*pi"), (math.pi**2, "pi**2"),
    (0.5, "1/2"), (3.0, "3"), (1 / math.sqrt(2 * math.pi), "1/sqrt(2*pi)"), (-4 * math.pi, "(-4)*pi"),
])
def test_exact_form_finds_simple_numbers(value, text):
    found = exact_form(value * (1 + 1e-9))
    assert found is not None
    assert math.isclose(evaluate(found, {"x": np.ones(1)})[0], value, rel_tol=1e-12)
    assert to_string(found) == text


@pytest.mark.parametrize("value", [3.0713, 0.0, math.inf, 1.2345678])
def test_no_exact_form_for_arbitrary_numbers(value):
    assert exact_form(value) is None


def _loss_on(x, y):
    def loss(expr):
        return float(np.mean((evaluate(expr, {"x": x}) - y) ** 2))
    return loss


def test_snap_keeps_law_value_when_exact():
    x = np.linspace(1, 3, 50)
    y = np.sin(2 * math.pi * x) + 0.5 * x
    law = call("add", call("sin", call("mul", const(6.283185307), var("x"))), call("mul", const(0.5000000001), var("x")))
    snapped = snap_constants(law, _loss_on(x, y), tolerance=1e-12)
    assert snapped.n_constants == 0
    assert "pi" in to_string(snapped)
    assert np.allclose(evaluate(snapped, {"x": x}), y, rtol=1e-12)


def test_snap_refused_when_fit_gets_worse():
    x = np.linspace(1, 3, 50)
    y = 3.1416 * x  # not pi: the data tell them apart
    law = call("mul", const(3.1416), var("x"))
    assert snap_constants(law, _loss_on(x, y), tolerance=1e-20) == law


def test_folded_numbers_are_written_symbolically():
    law = call("mul", num(1 / (2 * math.pi)), var("x"))
    snapped = snap_constants(law, lambda e: 0.0, tolerance=0.0)
    assert "pi" in to_string(snapped)
