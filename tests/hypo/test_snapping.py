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


@pytest.mark.parametrize("value, window, text", [
    (0.50031, 1e-3, "1/2"),
    (0.07960, 2e-4, "1/(4*pi)"),
    (-6.2795, 0.01, "-2*pi"),
    (0.93, 1e-3, None),       # no half, third or quarter of a known multiplier is near
    (0.50031, 0.0, None),     # no window, no snap
])
def test_a_noisy_constant_is_offered_only_simple_forms_within_its_window(value, window, text):
    from hypo.snapping import simple_form_within

    form = simple_form_within(value, window)
    if text is None:
        assert form is None
    else:
        assert to_string(form).replace(" ", "") == text.replace(" ", "") or \
            math.isclose(float(evaluate(form, {})[0]), eval(text, {"pi": math.pi}), rel_tol=1e-12)
        assert abs(float(evaluate(form, {})[0]) - value) <= window


def test_final_laws_write_a_noisy_constant_exactly_when_the_posterior_prefers_it():
    from hypo.final_laws import _snapped_within_noise
    from hypo.posterior import NOISE_FLOOR  # noqa: F401  (the scorer's floor applies)
    from hypo.scoring import PosteriorModel, Scorer

    rng = np.random.default_rng(5)
    x = rng.uniform(0.5, 4.0, 1000)
    y = 3.0 * np.exp(-x / 2) * (1 + 0.01 * rng.normal(size=1000))
    scorer = Scorer({"x": x}, y, np.random.default_rng(0), posterior_model=PosteriorModel())
    structure = call("mul", const(1.0), call("exp", call("mul", const(-1.0), var("x"))))
    fitted = scorer.refit(scorer(structure))
    inner = [c for c in fitted.law.constants()]
    assert not any(abs(c + 0.5) < 1e-6 for c in inner)  # noise keeps the fit off the exact value
    snapped = _snapped_within_noise(scorer, fitted)
    assert snapped.log_posterior > fitted.log_posterior
    assert snapped.law.n_constants < fitted.law.n_constants
    prediction = evaluate(snapped.law, {"x": x})
    assert np.allclose(prediction, 3.0 * np.exp(-x / 2), rtol=0.01)


def test_a_unit_factor_is_dropped_not_written():
    from hypo.final_laws import _with_exact

    law = call("add", call("mul", const(0.9986), var("a")), call("mul", var("b"), const(2.0)))
    assert to_string(_with_exact(law, 2, num(1.0))) == "a + b*2.0"
    assert to_string(_with_exact(law, 6, num(1.0))) == "0.9986*a + b"


def test_dropping_a_unit_factor_leaves_the_earlier_constants_reachable():
    # (x + c*x**2) * s with s -> 1 removes the outer mul node, which shifts
    # every position inside its first child, c's among them
    from hypo.constants import fit_constants
    from hypo.final_laws import _snapped_within_noise
    from hypo.scoring import PosteriorModel, Scorer

    rng = np.random.default_rng(3)
    x = rng.uniform(0.5, 3.0, 1000)
    y = (x + 0.5 * x**2) * (1 + 0.01 * rng.normal(size=1000))
    scorer = Scorer({"x": x}, y, np.random.default_rng(0), posterior_model=PosteriorModel())
    law = call("mul", call("add", var("x"), call("mul", const(0.5), call("square", var("x")))), const(1.0))
    law = law.with_constants(fit_constants(law, scorer.columns, y, linear_scaling=False, max_iterations=50).params)
    fitted = scorer.score_law(law, "k")
    snapped = _snapped_within_noise(scorer, fitted)
    assert snapped.law.n_constants == 0
    assert to_string(snapped.law) == "x + 1/2*x**2"


def test_a_rounding_offset_snaps_to_zero_and_leaves_the_law():
    x = np.linspace(1, 3, 50)
    y = np.sqrt(x**2 + 1)
    law = call("sqrt", call("add", call("add", call("mul", var("x"), var("x")), num(1.0)), const(1.4e-16)))
    snapped = snap_constants(law, _loss_on(x, y), tolerance=1e-28)
    assert snapped.n_constants == 0 and "e-16" not in to_string(snapped)
    assert np.allclose(evaluate(snapped, {"x": x}), y, rtol=1e-14)


def test_a_small_constant_that_matters_is_kept():
    x = np.linspace(1, 3, 50)
    y = 1e-10 * x
    law = call("mul", const(1e-10), var("x"))
    assert snap_constants(law, _loss_on(x, y), tolerance=1e-40) == law
