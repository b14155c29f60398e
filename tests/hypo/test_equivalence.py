"""Equivalent spellings of one law are one hypothesis; laws that part beyond
the data are not."""

from types import SimpleNamespace

import numpy as np

from hypo.equivalence import distinct_laws
from hypo.printing import parse


def _scores(*texts):
    return [SimpleNamespace(law=parse(t), name=t) for t in texts]


def test_spellings_of_one_law_collapse_to_the_first():
    columns = {"a": np.linspace(1, 3, 40), "M": np.linspace(2, 5, 40)}
    kept = distinct_laws(_scores("3*a**1.5/sqrt(M)", "3*a**2/sqrt(M)/sqrt(a)", "3*a**2/sqrt(M)"), columns)
    assert [s.name for s in kept] == ["3*a**1.5/sqrt(M)", "3*a**2/sqrt(M)"]


def test_laws_equal_on_the_data_but_not_beyond_stay_apart():
    columns = {"x": np.linspace(1, 3, 40)}  # x > 0: abs(x) == x on the data
    kept = distinct_laws(_scores("2*x", "2*abs(x)"), columns)
    assert len(kept) == 2


def test_different_constants_are_different_laws():
    columns = {"x": np.linspace(1, 3, 40)}
    kept = distinct_laws(_scores("2*x", "2.000001*x"), columns)
    assert len(kept) == 2


def test_a_named_constant_column_stays_fixed():
    columns = {"a": np.linspace(1, 3, 40), "G": np.full(40, 6.674e-11)}
    kept = distinct_laws(_scores("3*a", f"{3 / 6.674e-11!r}*G*a"), columns)
    assert len(kept) == 1
