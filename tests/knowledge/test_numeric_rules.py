"""Rules on a law's values: 0 when kept, graded by how much of the range breaks them and by how much."""

import math

import numpy as np
import pytest

from hypo.expr import call, const, var
from hypo.printing import parse
from knowledge.limit_rule import Limit
from knowledge.numeric_rules import Bounded, Monotonic, Symmetric
from knowledge.probes import Probes, Span, graded, spread
from knowledge.rule_context import ParameterError, RuleContext

NAMES = ["x1", "x2", "x3", "r", "z"]


@pytest.fixture(scope="module")
def context():
    rng = np.random.default_rng(3)
    columns = {"x1": rng.uniform(1, 10, 60), "x2": rng.uniform(1, 10, 60), "x3": rng.uniform(1, 10, 60),
               "r": rng.uniform(1, 10, 60), "z": rng.uniform(-2, 3, 60)}
    return RuleContext(tuple(columns), "y", {}, columns=columns)


def law(text):
    return parse(text, NAMES)


# --- symmetric -----------------------------------------------------------------------------------


def test_products_and_sums_are_symmetric_and_differences_antisymmetric(context):
    symmetric = Symmetric.from_context(context, variables=["x1", "x2"])
    anti = Symmetric.from_context(context, variables=["x1", "x2"], sign="anti")
    assert symmetric.violation(law("x1*x2")) == 0 and symmetric.violation(law("x1 + x2 + r")) == 0
    assert anti.violation(law("x1 - x2")) == 0 and anti.violation(law("(x1 - x2)*r")) == 0
    assert symmetric.violation(law("x1 - x2")) > 0 and anti.violation(law("x1*x2")) > 0


def test_symmetry_violation_grows_with_the_asymmetric_part(context):
    rule = Symmetric.from_context(context, variables=["x1", "x2"])
    slight, strong = rule.violation(law("x1*x2 + 0.01*x1")), rule.violation(law("x1*x2 + x1"))
    assert 0 < slight < strong < rule.violation(law("x1/x2"))


def test_three_variables_must_be_symmetric_under_every_swap(context):
    rule = Symmetric.from_context(context, variables=["x1", "x2", "x3"])
    assert rule.violation(law("x1*x2*x3")) == 0 and rule.violation(law("x1 + x2 + x3")) == 0
    assert rule.violation(law("x1*x2 + x3")) > 0  # symmetric in x1, x2 only


def test_defined_on_one_side_of_the_mirror_only_is_a_full_violation(context):
    rule = Symmetric.from_context(context, variables=["x1", "x2"])
    assert rule.violation(law("sqrt(x1 - x2)")) > rule.violation(law("x1*x2 + x1"))


# --- monotonic -----------------------------------------------------------------------------------


def test_monotonic_accepts_laws_that_go_one_way(context):
    increasing = Monotonic.from_context(context, variable="r", direction="increasing")
    decreasing = Monotonic.from_context(context, variable="r", direction="decreasing")
    for text in ("r", "r**2", "log(r)", "2*r + z", "x1"):  # "x1": flat in r is allowed
        assert increasing.violation(law(text)) == 0, text
    assert decreasing.violation(law("1/r**2")) == 0 and decreasing.violation(law("exp(-r)*x1")) == 0
    assert increasing.violation(law("1/r")) > 0 and decreasing.violation(law("r")) > 0


def test_breaking_monotonicity_on_more_of_the_range_costs_more(context):
    increasing = Monotonic.from_context(context, variable="r", direction="increasing")
    grades = [increasing.violation(law(f"(r - {turn})**2")) for turn in (2, 5, 8)]
    assert 0 < grades[0] < grades[1] < grades[2]
    assert grades[2] < increasing.violation(law("1/r"))  # never increasing at all


def test_a_pole_inside_the_range_breaks_monotonicity(context):
    decreasing = Monotonic.from_context(context, variable="r", direction="decreasing")
    assert decreasing.violation(law("1/(r - 5)")) > 0


# --- bounded -------------------------------------------------------------------------------------


def test_bounded_is_zero_inside_the_bounds(context):
    positive = Bounded.from_context(context, min=0)
    unit = Bounded.from_context(context, min=0, max=1)
    assert positive.violation(law("r")) == 0 and positive.violation(law("z**2")) == 0
    assert unit.violation(law("tanh(r)")) == 0 and unit.violation(law("exp(-r)")) == 0


def test_bounded_grows_with_how_often_and_how_far_the_law_leaves(context):
    positive = Bounded.from_context(context, min=0)
    grades = [positive.violation(law(f"r - {shift}")) for shift in (1, 3, 8)]
    assert 0 < grades[0] < grades[1] < grades[2]
    below_max = Bounded.from_context(context, max=0)
    assert below_max.violation(law("-r")) == 0 and below_max.violation(law("r")) > 0


def test_bounded_skips_undefined_values_but_not_infinite_ones(context):
    positive = Bounded.from_context(context, min=0)
    assert positive.violation(law("sqrt(z)")) == 0  # NaN for z < 0: undefined, not negative
    assert Bounded.from_context(context, max=1).violation(law("1/z")) > 0


# --- limit ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("params, keeps, breaks", [
    ({"to": "inf", "value": 0}, ["1/r", "1/r**2", "exp(-r)", "1/sqrt(r)", "x1/r"], ["r", "1 - 1/r", "cos(r)"]),
    ({"to": ".inf", "value": "inf"}, ["r", "log(r)", "sqrt(r)", "exp(r)"], ["1/r", "1 - 1/r", "-r"]),
    ({"to": 0, "value": "inf"}, ["1/r", "1/r**2", "-log(r)"], ["r", "log(r)", "1 - 1/r"]),
    ({"to": 0, "value": 1}, ["cos(r)", "1 + r", "exp(r)"], ["1/r", "r"]),
    ({"to": "-inf", "value": "-inf"}, ["r", "r**3"], ["r**2", "exp(r)"]),
])
def test_limit(context, params, keeps, breaks):
    rule = Limit.from_context(context, variable="r", **params)
    for text in keeps:
        assert rule.violation(law(text)) == 0, text
    for text in breaks:
        assert rule.violation(law(text)) > 0, text


def test_limit_is_approached_from_both_sides_when_the_data_has_both_signs(context):
    rule = Limit.from_context(context, variable="z", to=0, value=0)
    assert rule.violation(law("z")) == 0 and rule.violation(law("z**2*x1")) == 0
    assert rule.violation(law("abs(z) + 1")) > 0


def test_limit_to_a_wrong_value_costs_more_when_further(context):
    rule = Limit.from_context(context, variable="r", to="inf", value=0)
    assert 0 < rule.violation(law("0.01 + 1/r")) < rule.violation(law("1 + 1/r"))


# --- shared behaviour ----------------------------------------------------------------------------


def test_violations_are_scale_free_and_ignore_affine_rescaling(context):
    rule = Monotonic.from_context(context, variable="r", direction="increasing")
    base = rule.violation(law("(r - 5)**2"))
    rescaled = call("add", const(3e7), call("mul", const(2e9), law("(r - 5)**2")))
    assert rule.violation(rescaled) == pytest.approx(base, rel=1e-6)
    symmetric = Symmetric.from_context(context, variables=["x1", "x2"])
    assert symmetric.violation(call("mul", const(1e-12), law("x1*x2 + x1"))) == pytest.approx(
        symmetric.violation(law("x1*x2 + x1")), rel=1e-6)


def test_probes_are_deterministic_and_results_cached(context):
    first = Symmetric.from_context(context, variables=["x1", "x2"])
    second = Symmetric.from_context(context, variables=["x1", "x2"])
    expr = law("x1*x2 + x1")
    assert first.violation(expr) == second.violation(expr)
    assert expr in first.cache.entries
    first.cache.entries[expr] = 123.0
    assert first.violation(expr) == 123.0


def test_fitted_constants_are_used(context):
    rule = Bounded.from_context(context, min=0)
    structure = call("sub", var("r"), const(1.0))
    assert rule.violation(structure.with_constants([0.0])) == 0
    assert rule.violation(structure.with_constants([20.0])) > 0


def test_named_constants_take_their_fixed_value(context):
    with_g = RuleContext(context.feature_names, "y", {}, columns=context.columns, fixed={"G": -2.0})
    rule = Bounded.from_context(with_g, min=0)
    assert rule.violation(parse("G*r", [*NAMES, "G"])) > 0
    assert rule.violation(parse("G*G*r", [*NAMES, "G"])) == 0


def test_positive_columns_are_probed_positive_and_widened_by_factors():
    span = Span.of(np.array([2.0, 50.0]))
    wide = span.widened()
    assert span.log and wide.low == pytest.approx(2.0 / 25) and wide.high == pytest.approx(50.0 * 25)
    signed = Span.of(np.array([-1.0, 3.0])).widened()
    assert (signed.low, signed.high) == (-5.0, 7.0)
    assert Span.of(np.array([0.0, 4.0])).widened().low == 0.0  # never below zero if the data is not
    probes = Probes.from_columns({"r": np.array([2.0, 50.0])}, ["r"])
    assert probes.inside["r"].min() >= 2.0 and probes.inside["r"].max() <= 50.0
    assert probes.beyond["r"].min() > 0 and probes.beyond["r"].max() > 50.0


def test_graded_adds_the_fraction_and_the_size():
    assert graded(np.array([0.0, 1e-9, np.nan])) == 0
    assert graded(np.array([1.0, 0.0])) == pytest.approx(0.5 + 0.5)
    assert graded(np.array([np.inf, 0.0])) == pytest.approx(0.5 + 5.0)  # one probe's size is capped
    assert spread(np.array([5.0, 5.0])) == 5.0 and spread(np.array([np.nan])) == 1.0


def test_numeric_rules_need_the_data_and_known_features(context):
    bare = RuleContext(context.feature_names, "y", {})
    with pytest.raises(ValueError, match="pass columns="):
        Monotonic.from_context(bare, variable="r", direction="increasing")
    with pytest.raises(ValueError, match='"rr", which is not a feature.*did you mean "r"'):
        Monotonic.from_context(context, variable="rr", direction="increasing")
    with pytest.raises(ValueError, match="which is the target"):
        Limit.from_context(context, variable="y", to=0, value=0)


@pytest.mark.parametrize("rule, params, parameter", [
    (Symmetric, {"variables": ["x1"]}, "variables"),
    (Symmetric, {"variables": ["x1", "x1"]}, "variables"),
    (Symmetric, {"variables": ["x1", "x2"], "sign": "minus"}, "sign"),
    (Monotonic, {"variable": "r", "direction": "up"}, "direction"),
    (Monotonic, {"variable": "r", "directon": "increasing"}, "directon"),
    (Bounded, {}, None),
    (Bounded, {"min": 2, "max": 1}, "max"),
    (Bounded, {"min": "zero"}, "min"),
    (Limit, {"variable": "r", "to": "far", "value": 0}, "to"),
    (Limit, {"variable": "r", "to": 0}, None),
])
def test_bad_parameters_name_the_parameter(rule, params, parameter):
    with pytest.raises(ParameterError) as caught:
        rule.check_parameters(**params)
    assert caught.value.parameter == parameter


def test_every_numeric_rule_needs_a_fit():
    assert all(rule.needs_fit for rule in (Symmetric, Monotonic, Bounded, Limit))
    assert Limit.check_parameters(variable="r", to="-.inf", value=2)["point"] == -math.inf
