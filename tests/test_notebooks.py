"""Every notebook in notebooks/ runs top to bottom without an error.

Each runs with the notebook folder as working directory (as Jupyter opens
it) in a kernel of *this* interpreter: a kernel spec written to a temporary
Jupyter path, so a system-wide ``python3`` kernel of another Python cannot
be picked up by mistake.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat", reason="notebook tests need nbformat (pip install nbformat)")
nbclient = pytest.importorskip("nbclient", reason="notebook tests need nbclient (pip install nbclient)")
pytest.importorskip("ipykernel", reason="notebook tests need ipykernel (pip install ipykernel)")
pytest.importorskip("matplotlib", reason="notebooks draw with matplotlib (pip install matplotlib)")

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
KERNEL = "hypo-test-python"
CELL_TIMEOUT = 300


@pytest.fixture(scope="module")
def kernel_path(tmp_path_factory) -> Path:
    """A Jupyter data folder holding one kernel spec: this Python, hypo importable."""
    folder = tmp_path_factory.mktemp("jupyter")
    spec = folder / "kernels" / KERNEL
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "hypo tests", "language": "python",
        "env": {"PYTHONPATH": str(ROOT), "MPLBACKEND": "module://matplotlib_inline.backend_inline"},
    }))
    return folder


def test_there_are_notebooks():
    assert [path.name for path in NOTEBOOKS] == ["01_quickstart.ipynb", "02_knowledge.ipynb", "03_posterior.ipynb"]


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.stem)
def test_notebook_runs(path: Path, kernel_path: Path, monkeypatch):
    notebook = nbformat.read(path, as_version=4)
    assert all(not cell.get("outputs") for cell in notebook.cells if cell.cell_type == "code"), \
        f"{path.name} has stored outputs: clear them before committing"
    monkeypatch.setenv("JUPYTER_PATH", str(kernel_path))
    client = nbclient.NotebookClient(notebook, timeout=CELL_TIMEOUT, kernel_name=KERNEL,
                                     resources={"metadata": {"path": str(path.parent)}})
    client.execute()
    errors = [output for cell in notebook.cells if cell.cell_type == "code"
              for output in cell.outputs if output.output_type == "error"]
    assert not errors
    plotting = [cell for cell in notebook.cells if cell.cell_type == "code" and ".plot_" in cell.source]
    assert plotting, f"{path.name} draws nothing"
    for cell in plotting:
        assert any("image/png" in output.get("data", {}) for output in cell.outputs), \
            f"{path.name}: no figure from\n{cell.source}"
