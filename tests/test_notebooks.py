"""The tutorials run top to bottom on their own temporary registry: a cell that errors fails the test, and running them
leaves the repository, the user's own registry and any cloud account alone (even with cloud credentials set)."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from model_import_widget import Model, Session

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))
# What each tutorial leaves in its own registry: (name, version) of every model still there at the end.
LEFT_IN_TUTORIAL_REGISTRY = {
    "01_quickstart.ipynb": [("quickstart_sklearn_digits", "1.0.0"), ("quickstart_digits", "1.0.0")],
    "02_form_from_code.ipynb": [("digit_recognition", "1.0.1"), ("digit_recognition", "1.0.0")],
    "03_sdk_alone.ipynb": [],  # it deletes the two models it imported
}


def repo_state() -> tuple[str, dict[str, str]]:
    """`git status` of notebooks/ and the repository's top level (ignored files included), and the notebooks' hashes."""
    status = ""
    if (REPO / ".git").exists():
        lines = subprocess.run(["git", "-C", str(REPO), "status", "--porcelain", "--ignored"], capture_output=True,
                               text=True, check=True).stdout.splitlines()
        status = "\n".join(line for line in lines
                           if line[3:].startswith("notebooks/") or "/" not in line[3:].strip('"').rstrip("/"))
    hashes = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in (REPO / "notebooks").iterdir() if p.is_file()}
    return status, hashes


def make_package(root: Path) -> Path:
    (root / "model").mkdir(parents=True)
    (root / "model" / "config.json").write_text(json.dumps({"model_type": "PyTorch", "model_algorithm": "mine"}))
    (root / "model" / "customize_service.py").write_text("class Service:\n    pass\n")
    (root / "model" / "weights.pth").write_bytes(b"the user's own weights")
    return root


@pytest.fixture
def users_machine(tmp_path, monkeypatch):
    """A machine with cloud credentials and a registry at MODEL_IMPORT_WIDGET_HOME holding the user's own models,
    named as the tutorials name theirs."""
    for name in list(os.environ):
        if name.startswith(("HUAWEICLOUD_", "MODEL_IMPORT_WIDGET_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("HUAWEICLOUD_SDK_AK", "AKIDTUTORIALTEST01")
    monkeypatch.setenv("HUAWEICLOUD_SDK_SK", "not-a-real-secret-key-0123456789")
    monkeypatch.setenv("HUAWEICLOUD_SDK_PROJECT_ID", "0123456789abcdef0123456789abcdef")
    monkeypatch.setenv("HUAWEICLOUD_SDK_REGION", "cn-north-4")
    monkeypatch.setenv("MODEL_IMPORT_WIDGET_HOME", str(tmp_path / "users-registry"))
    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmp"))  # where the kernel's tempfile.mkdtemp puts the tutorial's
    (tmp_path / "home").mkdir()
    (tmp_path / "tmp").mkdir()
    assert Session().backend == "modelarts"  # so a tutorial that relied on Session() alone would reach the cloud
    with Session(backend="embedded", home=tmp_path / "users-registry") as session:
        package = make_package(tmp_path / "users-package")
        for name in ("quickstart_digits", "my_quickstart_digits_v2", "digit_recognition"):
            Model(session, model_name=name, model_version="1.0.0", source_location_type="LOCAL_SOURCE",
                  source_location=str(package), model_type="PyTorch", model_algorithm="mine")
        users_models = Model.get_model_list(session)["models"]
    assert len(users_models) == 3
    return tmp_path, users_models


def assert_left_alone(tmp_path: Path, users_models: list[dict], before: tuple) -> None:
    with Session(backend="embedded", home=tmp_path / "users-registry") as session:
        assert Model.get_model_list(session)["models"] == users_models, "the user's own models changed"
    assert not (tmp_path / "home" / ".model_import_widget").exists(), "the default registry was used"
    assert repo_state() == before, "running the tutorial changed the repository"


def tutorial_registry(tmp_path: Path) -> Path:
    (folder,) = (tmp_path / "tmp").glob("model_import_tutorial-*")
    return folder / "registry"


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs_top_to_bottom_on_its_own_registry(path, users_machine):
    tmp_path, users_models = users_machine
    before = repo_state()
    notebook = nbformat.read(path, as_version=4)
    assert all(not c.get("outputs") and c.get("execution_count") is None for c in notebook.cells
               if c.cell_type == "code"), "the notebook is stored with outputs: clear them"
    assert re.search(r"temporary embedded registry.*Nothing here touches your own\s+models\s+or any cloud account",
                     notebook.cells[0].source, re.S), "the first cell must say where models go"
    (tmp_path / "kernel-cwd").mkdir()
    client = NotebookClient(notebook, timeout=180, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path / "kernel-cwd")}})
    client.execute()  # raises CellExecutionError on the first failing cell
    errors = [o for c in notebook.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert errors == []
    saved = nbformat.writes(notebook)
    assert "embedded registry at " + str(tutorial_registry(tmp_path)) in saved
    with Session(backend="embedded", home=tutorial_registry(tmp_path)) as session:
        left = [(m["model_name"], m["model_version"]) for m in Model.get_model_list(session)["models"]]
    assert left == LEFT_IN_TUTORIAL_REGISTRY[path.name]
    if path.name == "01_quickstart.ipynb":
        # reopened without a kernel, the saved output still says what was imported
        assert "Model import: quickstart_digits 1.0.0 (PyTorch) — published (id " in saved
        # the model from memory: its local service answered with the labels of the rows it was sent
        assert "answer: {'predictions': [0, 1, 2]}   labels: [0, 1, 2]" in saved
        assert "Model import: quickstart_sklearn_digits 1.0.0 (Scikit_Learn) — published (id " in saved
    assert_left_alone(tmp_path, users_models, before)


@pytest.mark.slow
def test_run_notebook_script_saves_the_executed_copy_outside_the_repository(users_machine):
    tmp_path, users_models = users_machine
    before = repo_state()
    run = subprocess.run([sys.executable, str(REPO / "scripts" / "run_notebook.py"),
                          str(REPO / "notebooks" / "01_quickstart.ipynb")],
                         capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert "published" in run.stdout
    copy = Path(run.stdout.rsplit("executed copy saved to ", 1)[1].strip())
    assert copy.is_file() and REPO not in copy.parents and copy.parent.parent == tmp_path / "tmp"
    assert "quickstart_digits 1.0.0 (PyTorch) — published" in copy.read_text()
    assert_left_alone(tmp_path, users_models, before)


def test_there_is_a_notebook():
    assert NOTEBOOKS


def test_the_headless_run_prints_what_a_person_reads():
    """`bash scripts/run.sh --headless` printed `<...FormView object at 0x…>` and `<IPython.core.display.HTML
    object>` where the form was: it prints the form's summary instead."""
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[1]
    done = subprocess.run([sys.executable, str(root / "scripts" / "run_notebook.py"),
                           str(root / "notebooks" / "01_quickstart.ipynb")],
                          capture_output=True, text=True, timeout=600, cwd=root)
    assert done.returncode == 0, done.stderr[-3000:]
    assert " object at 0x" not in done.stdout and "object>" not in done.stdout, done.stdout
    assert "Model import: " in done.stdout and "Draft: 1 problem to fix before importing (Version)" in done.stdout
