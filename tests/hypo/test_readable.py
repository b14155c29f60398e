"""Laws as a physicist writes them: simplified under positivity, merged when equal,
constants to the shown digits (hypo.readable)."""

from __future__ import annotations

import numpy as np
import sympy

from hypo.equivalence import equal_law_groups
from hypo.printing import parse
from hypo.readable import readable_latex, readable_sympy, readable_text

POSITIVE = frozenset({"a", "M", "L", "r", "q1", "q2", "k_e"})


def test_the_kepler_law_reads_with_a_three_halves_power():
    law = parse("768556.82868932*sqrt(a*a**2/M)", ["a", "M"])
    assert readable_text(law, POSITIVE, 6) == "768557*a**(3/2)/sqrt(M)"
    assert readable_text(law, POSITIVE).startswith("768556.82868932*")  # every digit when unrounded
    assert readable_latex(law, POSITIVE) == r"\frac{768557 a^{\frac{3}{2}}}{\sqrt{M}}"


def test_clumsy_spellings_simplify_to_their_mathematics():
    x, z, L, r = sympy.symbols("x z L r")
    cases = {"z*(x + x)": 2 * x * z, "sqrt(L) + sqrt(L)": 2 * sympy.sqrt(L), "(sqrt(r)**2)**2": r**2,
             "sqrt(sqrt(L*L))": sympy.sqrt(L)}
    for text, expected in cases.items():
        law = readable_sympy(parse(text), POSITIVE)
        assert sympy.simplify(law - expected) == 0
        assert sympy.count_ops(law) <= sympy.count_ops(expected)  # as short as the physicist's spelling


def test_a_negated_negative_constant_prints_once_and_positive():
    text = readable_text(parse("x0 - (-0.2896)*x1"), POSITIVE, 4)
    assert "--" not in text.replace(" ", "") and "(-" not in text
    x0, x1 = sympy.symbols("x0 x1")
    assert sympy.simplify(sympy.sympify(text) - (x0 + 0.2896 * x1)) == 0


def test_numbers_in_a_product_fold_into_the_fitted_constant():
    text = readable_text(parse("4.439704744251214*sqrt(2*a**3/M)", ["a", "M"]), POSITIVE, 4)
    assert "sqrt(2)" not in text and text.startswith("6.279*")


def test_printed_text_parses_back_to_the_same_values():
    law = parse("1.922*1/(x + y) + sqrt(x*x)", ["x", "y"])
    text = readable_text(law, frozenset({"x", "y"}))
    x, y = sympy.symbols("x y")
    back = sympy.lambdify((x, y), sympy.sympify(text))
    assert np.isclose(back(1.5, 2.5), 1.922 / 4.0 + 1.5)


def test_laws_equal_on_a_positive_domain_are_one_group():
    class Score:
        def __init__(self, text):
            self.law = parse(text, ["k_e", "q1", "q2", "r"])

    rng = np.random.default_rng(0)
    columns = {name: rng.uniform(1.0, 3.0, 30) for name in ("k_e", "q1", "q2", "r")}
    scores = [Score("k_e*q2*sqrt(q1)**2/r**2"), Score("k_e*q2*sqrt(q1**2)/r**2"), Score("k_e*q1*q2/r")]
    assert [len(group) for group in equal_law_groups(scores, columns, frozenset(columns))] == [2, 1]
    # on both signs of q1 they differ (sqrt(q1)**2 is undefined below zero)
    assert [len(group) for group in equal_law_groups(scores, columns)] == [1, 1, 1]


def test_a_simplification_that_runs_long_is_cut_and_the_law_printed_as_found(monkeypatch):
    import time as clock

    import sympy

    from hypo import readable
    from hypo.printing import parse

    def slow(expression, *args, **kwargs):
        clock.sleep(5)
        return expression

    monkeypatch.setattr(sympy, "simplify", slow)
    monkeypatch.setattr(readable, "SIMPLIFY_SECONDS", 0.2)
    readable._readable.cache_clear()
    started = clock.perf_counter()
    text = readable.readable_text(parse("x*x + exp(x)", ["x"]))
    assert clock.perf_counter() - started < 2.0
    assert sympy.simplify is slow and "exp(x)" in text
    readable._readable.cache_clear()
