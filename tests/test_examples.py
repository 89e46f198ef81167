"""apis and parameters from an example request and response (issue 11, item 4): package.apis_from_example,
package.params_from_example and ModelImportForm.set_example."""

from __future__ import annotations

import io
import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from model_import_widget import ModelImportForm, Session, config_file, package, spec

BASE = {"model_name": "m", "model_version": "1.0.0", "model_type": "PyTorch", "source_location": "/bucket/dir/"}


def test_a_file_input_makes_a_multipart_request_and_the_rest_is_typed_from_the_values(tmp_path):
    image = tmp_path / "cat.jpg"
    image.write_bytes(b"\xff\xd8\xff")
    for file_value in (image, image.read_bytes(), io.BytesIO(b"\xff\xd8")):
        apis = package.apis_from_example({"images": file_value, "threshold": 0.5, "top": 3},
                                         {"label": "cat", "scores": [0.9, 0.1], "boxes": [[1, 2], [3, 4]]})
        request, response = apis[0]["request"], apis[0]["response"]
        assert request["Content-type"] == "multipart/form-data"
        assert request["data"] == {"type": "object", "properties": {
            "images": {"type": "file"}, "threshold": {"type": "number"}, "top": {"type": "integer"}}}
        assert response == {"Content-type": "application/json", "data": {"type": "object", "properties": {
            "label": {"type": "string"}, "scores": {"type": "array", "items": {"type": "number"}},
            "boxes": {"type": "array", "items": {"type": "array", "items": {"type": "integer"}}}}}}
    plain = package.apis_from_example({"x": [1, 0.5], "meta": {"id": "a", "ok": True}})
    assert plain[0]["request"]["Content-type"] == "application/json"
    assert plain[0]["request"]["data"]["properties"] == {
        "x": {"type": "array", "items": {"type": "number"}},  # 1 and 0.5 together are numbers
        "meta": {"type": "object", "properties": {"id": {"type": "string"}, "ok": {"type": "boolean"}}}}
    assert plain[0]["response"]["data"] == {"type": "object"}  # no example answer: an object, nothing more said


def test_the_apis_pass_the_rule_table_and_read_back_as_the_same_parameters():
    request, response = {"images": b"\x89PNG", "threshold": 0.5}, {"label": "cat", "scores": [0.9]}
    apis = package.apis_from_example(request, response)
    assert spec.check({**BASE, "apis": apis}).errors == []
    read = config_file.loads(json.dumps({"model_type": "PyTorch", "model_algorithm": "image_classification",
                                         "apis": apis}))
    inputs, outputs = package.params_from_example(request, response)
    assert [(p["param_name"], p["param_type"]) for p in read.fields["input_params"]] == \
        [(p["param_name"], p["param_type"]) for p in inputs] == [("images", "file"), ("threshold", "number")]
    assert [(p["param_name"], p["param_type"]) for p in outputs] == [("label", "string"), ("scores", "array")]


def test_numpy_values_are_read_as_json_sends_them():
    numpy = pytest.importorskip("numpy", reason="numpy is not installed")
    apis = package.apis_from_example({"x": numpy.zeros((2, 3)), "k": numpy.int64(4)}, {"y": numpy.float32(0.5)})
    assert apis[0]["request"]["data"]["properties"] == {
        "x": {"type": "array", "items": {"type": "array", "items": {"type": "number"}}}, "k": {"type": "integer"}}
    assert apis[0]["response"]["data"]["properties"] == {"y": {"type": "number"}}


@pytest.mark.parametrize("request_, response, words", [
    ([1, 2], None, "must be a dict of the inputs by name"),
    ({"s": {1, 2}}, None, "request.s: a set is not JSON"),
    ({1: "a"}, None, "the key 1 is not text"),
    ({"x": math.nan}, None, "request.x: nan is not a JSON number"),
    ({"x": 1}, {"image": b"\x89PNG"}, "response.image: a file can only be an input of the request"),
    ({"x": {"deep": b"raw"}}, None, "request.x.deep: a file can only be an input"),  # files are top-level fields
])
def test_what_json_cannot_carry_is_named_with_what_to_send_instead(request_, response, words):
    with pytest.raises(ValueError, match=words.replace("(", r"\(").replace(".", r"\.")):
        package.apis_from_example(request_, response)


def test_a_path_that_is_no_file_and_a_too_deep_example_are_refused(tmp_path):
    with pytest.raises(ValueError, match="is not a file: a path in the example stands for a file input"):
        package.apis_from_example({"images": tmp_path / "missing.jpg"})
    deep: list = []
    for _ in range(spec.MAX_JSON_DEPTH + 5):
        deep = [deep]
    with pytest.raises(ValueError, match="nested more than"):
        package.apis_from_example({"x": deep})


def test_the_form_fills_apis_and_both_tables_and_a_refused_example_changes_nothing(tmp_path):
    with Session(backend="embedded", home=tmp_path / "registry") as session:
        form = ModelImportForm(session, language="en", **BASE)
        form.set_example({"images": b"\xff\xd8", "threshold": 0.5}, {"label": "cat"})
        assert form.errors == []
        assert [(r["param_name"], r["param_type"]) for r in form.fields["input_params"].value] == \
            [("images", "file"), ("threshold", "number")]
        assert [r["param_name"] for r in form.fields["output_params"].value] == ["label"]
        assert json.loads(form.fields["apis"].value)[0]["request"]["Content-type"] == "multipart/form-data"
        before = dict(form.value)
        with pytest.raises(ValueError, match=r"request\.flag: a parameter cannot be boolean"):
            form.set_example({"flag": True})
        assert form.value == before


JSON_VALUES = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
                           | st.text(max_size=5),
                           lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner,
                                                                                       max_size=4), max_leaves=20)
ANY_VALUES = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=3)
                          | st.binary(max_size=3) | st.sets(st.integers(), max_size=2),
                          lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
                              st.integers() | st.text(max_size=3), inner, max_size=3), max_leaves=12)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(JSON_VALUES)
def test_every_json_value_gets_a_schema_its_value_satisfies(value):
    from model_import_widget.dryrun import schema_problems  # the check a dry run makes of a real answer

    schema = package.apis_from_example({"v": value}, {"r": value})[0]["response"]["data"]["properties"]["r"]
    assert schema_problems(schema, value) == []


@settings(max_examples=200, deadline=None, derandomize=True)
@given(ANY_VALUES)
def test_any_value_gives_a_schema_or_a_value_error_never_a_crash(value):
    try:
        package.apis_from_example({"v": value}, value)
    except ValueError as error:
        assert str(error).startswith(("request.v", "response", "the key")), error


def test_the_readme_example_gives_what_its_comment_shows():
    import ast
    import re
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    block = next(b for b in re.findall(r"```python\n(.*?)```", readme, flags=re.S) if "apis_from_example(" in b)
    code = "\n".join(line for line in block.splitlines() if line and not line.startswith("#"))
    shown = "\n".join(line[2:] for line in block.splitlines() if line.startswith("# "))
    namespace: dict = {}
    exec(compile(code.replace("package.apis_from_example(", "result = package.apis_from_example(", 1),
                 "README: apis_from_example", "exec"), namespace)
    assert namespace["result"] == ast.literal_eval(shown)
