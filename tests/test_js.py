"""The front end's own tests (js/form/test, node's test runner), run from here so the README's test command runs
them: the edit/answer sequence, and the browser's checker against the kernel's on cases built from the rule
table — for each field and value the browser must flag an error exactly when the kernel does, in its words."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from model_import_widget import spec
from model_import_widget.widget.binding import model_schema as _model_schema, resolve as _resolve

FORM_JS = Path(__file__).resolve().parents[1] / "js" / "form"
BEYOND_SCHEMA = {"local_path", "obs_path"}  # the kernel looks at the disk or at other fields: no schema can

BASE = {"model_name": "digits", "model_version": "1.0.0", "model_type": "PyTorch",
        "source_location_type": "LOCAL_SOURCE", "source_location": "./digits"}
SAMPLES = {
    "model_name": ["digits", "1abc", "a" * 64, "a" * 65, "名字", "a b", "-x", "x_y-z"],
    "model_version": ["1.0.0", "01.0.0", "1.0", "99.99.99", "100.0.0", "1.0.0.0", " 1.0.0", "1.0.0\t", "a.b.c"],
    "model_type": ["PyTorch", "Torch", "pytorch", "Image", "TensorFlow", "Custom", "tensorflow2"],
    "source_location": ["./digits", "x" * 1024, "x" * 1025],
    "description": ["fine", "x" * 100, "x" * 101, "<img src=x onerror=alert(1)>"],
    "runtime": ["python3.6", "r" * 256, "r" * 257],
    "model_algorithm": ["image_classification", "1abc", "a" * 36, "a" * 37, "x&y"],
}


def cases() -> list[dict]:
    schema = _model_schema()
    required = set(schema.get("required", []))
    made = []
    for field, values in SAMPLES.items():
        browser_schema = _resolve(schema["properties"][field], schema)
        if field in required:
            browser_schema["required"] = True
        for value in values:
            report = spec.check({**BASE, field: value})
            error = next((e for e in report.errors if e["field"] == field and e["type"] not in BEYOND_SCHEMA), None)
            made.append({"field": field, "schema": browser_schema, "value": value,
                         "kernel": error["message"] if error else "",
                         # the kernel's own validators word some rules more fully ("did you mean 'PyTorch'?"):
                         # the browser must agree on whether there is an error; on the words where pydantic's are
                         "same_words": bool(error) and error["type"].startswith("string_")})
    return made


def test_the_front_end_tests_pass_and_the_browser_checks_as_the_kernel_does(tmp_path):
    npm = shutil.which("npm")
    if npm is None or not (FORM_JS / "node_modules").is_dir():
        pytest.fail("js/form is not installed: the README's setup (pip install -e .) builds it with npm; run "
                    "`npm --prefix js/form ci` if it was skipped")
    made = cases()
    assert sum(1 for c in made if c["kernel"]) >= 12 and sum(1 for c in made if not c["kernel"]) >= 12  # both kinds
    path = tmp_path / "cases.json"
    path.write_text(json.dumps(made, ensure_ascii=False))
    done = subprocess.run([npm, "test"], cwd=FORM_JS, capture_output=True, text=True, timeout=300,
                          env={**__import__("os").environ, "MI_CASES": str(path)})
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "# fail 0" in done.stdout and f"agrees with the kernel on {len(made)} cases" in done.stdout
