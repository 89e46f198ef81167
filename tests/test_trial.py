"""The form's "Try locally" and ModelImportForm.from_object: real packages, real worker processes, driven as the
browser drives the form (its clicks and the edited request arrive as the view's messages and traits)."""

from __future__ import annotations

import json
import textwrap
import time
from pathlib import Path

import pytest

from model_import_widget import ModelImportForm, Session
from model_import_widget.widget import i18n


@pytest.fixture
def session(tmp_path):
    return Session(backend="embedded", home=tmp_path / "registry")


def wait_for_state(form, *states, seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if form.widget.trial.get("state") in states:
            return form.widget.trial
        time.sleep(0.05)
    pytest.fail(f"the panel stayed {form.widget.trial.get('state')!r}: {form.widget.trial}")


def visible(form, button):
    return any(b["id"] == button and b.get("visible", True) for b in form.widget.buttons)


def panel_buttons(form):
    return [b["id"] for b in form.widget.trial.get("buttons", [])]


def write_package(root: Path, service: str) -> Path:
    model = root / "model"
    model.mkdir(parents=True)
    (model / "customize_service.py").write_text(textwrap.dedent(service))
    (model / "config.json").write_text(json.dumps({
        "model_type": "PyTorch", "model_algorithm": "predict_analysis",
        "apis": [{"url": "/", "method": "post",
                  "request": {"Content-type": "application/json", "data": {"type": "object", "properties": {
                      "numbers": {"type": "array", "items": {"type": "number"}}}}},
                  "response": {"Content-type": "application/json", "data": {"type": "object", "properties": {
                      "total": {"type": "number"}}}}}]}))
    (model / "weights.pth").write_bytes(b"\0" * 16)
    return root


ADDER = """\
from model_service.pytorch_model_service import PTServingBaseService

class Service(PTServingBaseService):
    def _inference(self, data):
        return {"total": sum(data["numbers"])}
"""


def test_from_object_fills_the_form_and_try_locally_answers_with_the_example(session, tmp_path, monkeypatch):
    sklearn = pytest.importorskip("sklearn", reason="scikit-learn is installed by scripts/setup.sh (examples extra)")
    from sklearn.datasets import load_iris
    from sklearn.tree import DecisionTreeClassifier

    X, y = load_iris(return_X_y=True)
    monkeypatch.chdir(tmp_path)
    with pytest.warns(UserWarning, match="The runtime python3.6 has Python 3.6, too old for"):
        form = ModelImportForm.from_object(DecisionTreeClassifier(max_depth=2).fit(X, y), example=X[:2],
                                           session=session, model_name="iris_tree", model_version="1.0.0")
    assert form.built_package.folder == tmp_path / "decision_tree_classifier_package"
    assert form.fields["model_type"].value == "Scikit_Learn"
    assert {r["package_name"] for r in form.fields["dependencies"].value} == {"joblib", "numpy", "scikit-learn"}
    # what build warned of is in the form too, at the runtime (the pins need a newer Python than python3.6)
    assert "the runtime python3.6 has Python 3.6, too old for" in form.fields["runtime"].warning
    assert any(w["field"] == "runtime" for w in form.warnings)
    assert visible(form, "try")

    form.widget._handle(form.widget, {"kind": "click", "id": "try", "seq": 1}, [])
    panel = form.widget.trial
    assert panel["state"] == "ask" and "on this machine" in panel["text"] and "as you" in panel["text"]
    assert json.loads(panel["request"]) == {"instances": X[:2].tolist()}
    assert panel_buttons(form) == ["trial:run", "trial:close"]

    form.widget.trial_request = json.dumps({"instances": X[50:53].tolist()})  # edited in the browser
    form.widget._handle(form.widget, {"kind": "click", "id": "trial:run", "seq": 2}, [])
    panel = wait_for_state(form, "done", "failed")
    assert panel["state"] == "done", panel
    assert panel["level"] == "success" and panel["text"].startswith("Answered in")
    answer = json.loads(next(d["text"] for d in panel["details"] if d["label"] == "Answer"))
    assert answer == {"predictions": [1, 1, 1]}
    assert any(d["text"] == "The answer fits config.json's apis." for d in panel["details"])
    stage_times = next(d["text"] for d in panel["details"] if d["label"] == "Stage times")
    assert "preprocess" in stage_times and "inference" in stage_times and "postprocess" in stage_times

    form.widget._handle(form.widget, {"kind": "click", "id": "trial:use_answer", "seq": 3}, [])
    assert [p["param_name"] for p in form.fields["output_params"].value] == ["predictions"]
    note = next(d["text"] for d in form.widget.trial["details"] if d["label"] == "Example")
    assert note == "The parameters and apis already follow this answer: nothing changed."  # build wrote them so
    assert form.status == "draft" and not form.errors
    form.language = "zh"
    assert "毫秒内应答（含启动模型包共" in form.widget.trial["text"]
    assert form.submit().get_model_info()["model_status"] == "published"


def test_a_missing_module_is_named_and_offered_as_a_dependency(session, tmp_path):
    folder = write_package(tmp_path / "pkg", "import xgboost_not_here_either\n" + ADDER)
    form = ModelImportForm.from_folder(folder, session, model_name="adder", model_version="1.0.0")
    form._clicked("try")
    form._clicked("trial:run")
    panel = wait_for_state(form, "done", "failed")
    assert panel["state"] == "failed" and panel["level"] == "error"
    assert "No module named 'xgboost_not_here_either'" in panel["text"]
    assert "trial:add:xgboost_not_here_either" in panel_buttons(form)
    traceback = next(d["text"] for d in panel["details"] if d["label"].startswith("Traceback"))
    assert 'customize_service.py", line 1, in <module>' in traceback and "worker.py" not in traceback
    form._clicked("trial:add:xgboost_not_here_either")
    assert [r["package_name"] for r in form.fields["dependencies"].value] == ["xgboost_not_here_either"]


def test_an_answer_that_does_not_fit_the_apis_is_said(session, tmp_path):
    folder = write_package(tmp_path / "pkg", ADDER.replace('{"total": sum(data["numbers"])}', '{"total": "many"}'))
    form = ModelImportForm.from_folder(folder, session)
    form._clicked("try")
    assert json.loads(form.widget.trial["request"]) == {"numbers": [0]}  # from the apis' request schema
    form._clicked("trial:run")
    panel = wait_for_state(form, "done", "failed")
    assert panel["state"] == "done" and panel["level"] == "warning"
    problems = next(d["text"] for d in panel["details"] if d["label"] == "Does not fit config.json's apis")
    assert problems == "response.total: expected number, got string"


def test_a_hang_can_be_stopped_and_bad_json_is_refused(session, tmp_path):
    folder = write_package(tmp_path / "pkg", ADDER.replace('return {"total": sum(data["numbers"])}',
                                                           'while True:\n            pass'))
    form = ModelImportForm.from_folder(folder, session)
    form._clicked("try")
    form.widget.trial_request = "{not json"
    form._clicked("trial:run")
    assert form.widget.trial["state"] == "bad_request" and "cannot be sent" in form.widget.trial["text"]
    form.widget.trial_request = '{"numbers": [1]}'
    form._clicked("trial:run")
    assert form.widget.trial["state"] == "running" and panel_buttons(form) == ["trial:stop"]
    time.sleep(1.0)
    form._clicked("trial:stop")
    panel = wait_for_state(form, "failed", seconds=10)
    assert panel["text"] == "Stopped before it answered."
    form._clicked("trial:close")
    assert form.widget.trial == {}


def test_try_locally_is_offered_only_for_a_local_package(session, tmp_path):
    form = ModelImportForm(session)
    assert not visible(form, "try")
    form.set_values({"source_location_type": "LOCAL_SOURCE", "source_location": str(tmp_path)})
    assert not visible(form, "try")
    folder = write_package(tmp_path / "pkg", ADDER)
    form.set_values({"source_location": str(folder)})
    assert visible(form, "try")


def test_the_panel_speaks_chinese(session, tmp_path):
    folder = write_package(tmp_path / "pkg", ADDER)
    form = ModelImportForm.from_folder(folder, session, language="zh")
    i18n.MISSING.clear()
    form._clicked("try")
    assert "只运行你信任的模型包" in form.widget.trial["text"]
    form._clicked("trial:run")
    wait_for_state(form, "done")
    assert "毫秒内应答（含启动模型包共" in form.widget.trial["text"]
    form._refresh_buttons()
    assert not i18n.MISSING, i18n.MISSING


def test_json_in_the_panel_is_readable_and_the_same_json():
    from hypothesis import given, strategies as st

    from model_import_widget.widget.trial import readable_json

    values = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
                          lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
                          max_leaves=20)

    @given(values)
    def same(value):
        assert json.loads(readable_json(value)) == value

    same()
    assert readable_json({"instances": [[0.0, 1.5], [2, 3]]}) == '{\n  "instances": [\n    [0.0, 1.5],\n    [2, 3]\n  ]\n}'


def test_closing_while_it_runs_leaves_the_panel_closed(session, tmp_path):
    folder = write_package(tmp_path / "pkg", "import time\ntime.sleep(1.5)\n" + ADDER)  # a slow start
    form = ModelImportForm.from_folder(folder, session)
    form._clicked("try")
    form._clicked("trial:run")
    form._clicked("trial:close")  # before the worker has even answered
    time.sleep(2.5)
    assert form.widget.trial == {}, "a run finishing after Close opened the panel again"
    form._clicked("try")
    form._clicked("trial:run")
    form._clicked("trial:stop")  # stopped while starting: it must not answer as if nothing happened
    panel = wait_for_state(form, "failed", seconds=10)
    assert panel["text"] == "Stopped before it answered."


def test_a_huge_or_deeply_nested_request_is_refused_without_echoing_it(session, tmp_path):
    from model_import_widget import spec

    folder = write_package(tmp_path / "pkg", ADDER)
    form = ModelImportForm.from_folder(folder, session)
    form._clicked("try")
    shown = form.widget.trial["request"]
    form.widget.trial_request = "[" * 600_001 + "]" * 600_001
    form._clicked("trial:run")
    assert form.widget.trial["state"] == "bad_request"
    assert "takes at most 1,000,000" in form.widget.trial["text"] and form.widget.trial["request"] == shown
    form.widget.trial_request = "[" * 100_000 + "]" * 100_000  # under the size limit, too deep for json
    form._clicked("trial:run")
    assert "nested too deeply" in form.widget.trial["text"]
    assert len(form.widget.trial["request"]) <= spec.MAX_TRIAL_REQUEST_CHARS


def test_what_is_not_the_package_s_fault_is_not_blamed_on_it(session, tmp_path):
    """The stand-in base class's own _inference, a file placeholder not replaced, and Back to the example."""
    folder = write_package(tmp_path / "pkg", """\
        from model_service.pytorch_model_service import PTServingBaseService

        class Service(PTServingBaseService):
            pass
        """)
    form = ModelImportForm.from_folder(folder, session)
    form._clicked("try")
    form._clicked("trial:run")
    panel = wait_for_state(form, "done", "failed")
    assert panel["level"] == "warning" and panel["text"].startswith(
        "Try locally cannot run this package's inference (in _inference): ModelArts' PTServingBaseService runs the "
        "engine on the weights there")
    assert "package's code failed" not in panel["text"] and "_StandInService" not in panel["text"]
    assert not any(d["label"].startswith("Traceback") for d in panel["details"])

    document = json.loads((folder / "model" / "config.json").read_text())
    document["apis"][0]["request"] = {"Content-type": "multipart/form-data",
                                      "data": {"type": "object", "properties": {"images": {"type": "file"}}}}
    (folder / "model" / "config.json").write_text(json.dumps(document))
    form._clicked("trial:close")
    form._trial.request_text = ""
    form._clicked("try")
    assert json.loads(form.widget.trial["request"]) == {"images": "path/to/a/file"}
    form._clicked("trial:run")
    panel = form.widget.trial
    assert panel["state"] == "bad_request" and "path/to/a/file is not a file here: replace it with the path of a " \
        "file on this machine" in panel["text"]
    form.widget.trial_request = '{"broken": '
    form._clicked("trial:reset")
    assert json.loads(form.widget.trial["request"]) == {"images": "path/to/a/file"}
