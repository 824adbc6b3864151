"""The example notebook runs from top to bottom without an error (executed with nbclient)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import ipykernel  # noqa: F401  (the kernel the notebook runs on; dev.sh installs it with nbclient)
import nbclient
import nbformat
import pytest

import socialrx

NOTEBOOK = Path(__file__).resolve().parents[2] / "examples" / "evaluating_a_service.ipynb"


# Jupyter's own libraries warn about their platform paths and event loops; not ours to fix.
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.filterwarnings("ignore::UserWarning")
def test_example_notebook_runs(tmp_path, monkeypatch):
    # The kernel imports socialrx from wherever this test did (an in-place build or an install).
    package_root = str(Path(socialrx.__file__).resolve().parents[1])
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [package_root, os.environ.get("PYTHONPATH")])))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(notebook, timeout=300, kernel_name="python3",
                                     resources={"metadata": {"path": str(tmp_path)}})
    start = time.perf_counter()
    client.execute()  # raises CellExecutionError, naming the cell, on any error
    elapsed = time.perf_counter() - start
    errors = [output for cell in notebook.cells if cell.cell_type == "code"
              for output in cell.get("outputs", []) if output.get("output_type") == "error"]
    assert errors == []
    # The report cell displays the report inline (its _repr_html_).
    html = [output["data"]["text/html"] for cell in notebook.cells if cell.cell_type == "code"
            for output in cell.get("outputs", []) if "text/html" in output.get("data", {})]
    assert any("sxr-report" in h and "data:image/png;base64," in h for h in html)
    assert elapsed < 120, f"the notebook took {elapsed:.0f} s; keep it small"


def test_notebook_is_stored_without_outputs():
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(notebook)
    assert all(not cell.get("outputs") for cell in notebook.cells if cell.cell_type == "code")
