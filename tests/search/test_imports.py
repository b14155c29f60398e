"""Every package module must be importable on its own, as the first hypo import of a program.

(``hypo/__init__`` once imported ``hypo.api`` eagerly, which imports ``search`` and
``knowledge``; importing one of those first then failed with a circular ImportError.)
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

# A sample: each import rebuilds pint's unit registry (about half a second).
MODULES = ["hypo", "search.space", "search.moves", "search.evolution", "knowledge"]

# One interpreter for all modules: before each import, forget hypo's own packages
# (third-party ones stay loaded, which keeps this fast and does not change the outcome).
SCRIPT = """
import importlib, json, sys
results = {}
for module in sys.argv[1:]:
    for name in [n for n in sys.modules if n.split(".")[0] in ("hypo", "search", "knowledge")]:
        del sys.modules[name]
    try:
        importlib.import_module(module)
        results[module] = ""
    except Exception as error:
        results[module] = f"{type(error).__name__}: {error}"
print(json.dumps(results))
"""


@pytest.fixture(scope="module")
def import_errors() -> dict[str, str]:
    completed = subprocess.run([sys.executable, "-c", SCRIPT, *MODULES], capture_output=True, text=True,
                               timeout=300, check=True)
    return json.loads(completed.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("module", MODULES)
def test_module_imports_first(module, import_errors):
    assert import_errors[module] == ""


def test_public_names_resolve():
    import hypo

    for name in hypo.__all__:
        assert getattr(hypo, name) is not None
