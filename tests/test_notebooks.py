"""The tutorial notebooks run top to bottom on the embedded registry; a cell that errors fails the test."""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs_top_to_bottom(path, tmp_path, monkeypatch):
    monkeypatch.setenv("MODEL_IMPORT_WIDGET_BACKEND", "embedded")
    monkeypatch.setenv("MODEL_IMPORT_WIDGET_HOME", str(tmp_path / "registry"))
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(notebook, timeout=180, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}})
    client.execute()  # raises CellExecutionError on the first failing cell
    errors = [o for c in notebook.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert errors == []
    assert os.listdir(tmp_path / "registry"), "the notebook stored nothing in the embedded registry"
    if path.name == "01_quickstart.ipynb":
        # reopened without a kernel, the saved output still says what was imported
        saved = nbformat.writes(notebook)
        assert "Model import: quickstart_digits 1.0.0 (PyTorch) — published, id " in saved


def test_there_is_a_notebook():
    assert NOTEBOOKS
