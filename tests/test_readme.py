"""The README's SDK examples run as written (on the embedded registry, in a folder holding ./digits)."""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


def python_blocks() -> list[str]:
    blocks = re.findall(r"^( *)```python\n(.*?)^\1```", README.read_text(encoding="utf-8"), flags=re.S | re.M)
    return [textwrap.dedent(body) for _, body in blocks]


@pytest.fixture
def empty_folder(tmp_path, monkeypatch):
    """An empty folder, as a newcomer runs the README in: the README makes its own ./digits."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MODEL_IMPORT_WIDGET_BACKEND", "embedded")
    monkeypatch.setenv("MODEL_IMPORT_WIDGET_HOME", str(tmp_path / "registry"))
    return tmp_path


def test_the_sdk_example_and_the_local_model_example_run_as_written(empty_folder, capsys):
    blocks = [b for b in python_blocks() if ("Model(" in b or "digits/model" in b) and "access_key" not in b
              and "ModelImportForm" not in b]
    assert len(blocks) == 5, ("the README's package folder, its SDK example, its local-model example, its local "
                              "service and its package from memory")
    namespace: dict = {}
    exec(compile(blocks[0], "README: the package folder", "exec"), namespace)
    assert (empty_folder / "digits" / "model" / "config.json").is_file()
    exec(compile(blocks[1], "README: SDK example", "exec"), namespace)
    assert capsys.readouterr().out.startswith("embedded registry at ")
    Model = namespace["Model"]
    assert Model.get_model_list(namespace["session"])["total_count"] == 0  # it deleted its model
    # what its comment says of get_model_list, with the model still there
    model = Model(namespace["session"], model_name="digit_recognition", model_version="1.0.0",
                  source_location_type="LOCAL_SOURCE", source_location="./digits", model_type="MXNet")
    assert Model.get_model_list(namespace["session"], model_name="digit_recognition")["total_count"] == 1
    model.delete_model()
    exec(compile(blocks[2], "README: local model", "exec"), namespace)
    model = namespace["model"]
    assert model.get_model_info()["model_status"] == "published" and model.get_model_id()

    pytest.importorskip("sklearn", reason="scikit-learn is installed by scripts/setup.sh (the examples extra)")
    import warnings

    from model_import_widget.sdk.predictor import RunsPackageCodeWarning

    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always")
        exec(compile(blocks[3], "README: local service", "exec"), namespace)
    assert any(issubclass(w.category, RunsPackageCodeWarning) for w in said)
    predictor = namespace["predictor"]
    assert predictor.get_service_info()["status"] == "stopped"
    assert namespace["answer"] == {"predictions": [0]} and "{'predictions': [0]}" in blocks[3]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        exec(compile(blocks[4], "README: a package from memory", "exec"), namespace)
    assert namespace["built"].response == {"predictions": [0, 0]} and "{'predictions': [0, 0]}" in blocks[4]
    assert Model.get_model_list(namespace["session"], model_name="iris")["total_count"] == 1


def test_the_package_limits_the_readme_states_are_the_rule_table_s():
    from model_import_widget import spec

    text = README.read_text(encoding="utf-8")
    assert f"more than {spec.MAX_PACKAGE_FILES:,} files".replace(",", " ") in text
    assert f"more than {spec.MAX_PACKAGE_DEPTH} folders deep" in text
    assert f"more than {spec.human_size(spec.MAX_PACKAGE_BYTES)}" in text
    assert all(f"`{name}`" in text for name in spec.SKIPPED_DIR_NAMES)
