"""Shared test settings: deterministic hypothesis runs and slow-marking by parameter id."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, settings

# Every property test is seeded: derandomize makes hypothesis draw the same
# examples on every run, so a failure (or a strict xfail) is reproducible.
settings.register_profile(
    "hypo",
    derandomize=True,
    deadline=None,
    max_examples=100,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    database=None,
)
settings.load_profile("hypo")


def pytest_collection_modifyitems(config, items):
    """Mark as slow the parametrized cases a module lists in ``SLOW_PARAMS``.

    Used where the parameters come from a generator we do not control
    (scikit-learn's ``parametrize_with_checks``).
    """
    for item in items:
        slow = getattr(item.module, "SLOW_PARAMS", ())
        callspec = getattr(item, "callspec", None)
        if callspec is not None and any(name in callspec.id for name in slow):
            item.add_marker(pytest.mark.slow)
