"""config_file: own fixtures and the 30 real config.json files, tolerance, errors with positions, round trips."""

from __future__ import annotations

import codecs
import dataclasses
import enum
import json
import os
import stat
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from model_import_widget import config_file, spec
from model_import_widget.config_file import ConfigFile, ConfigWarning, dumps, load, loads, write
from model_import_widget.errors import ConfigFileError

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "configs"
BROKEN_FIXTURE = "tensorflow-broken-wrapped-comment.json"
BASE_FIELDS = {"model_name": "m", "model_version": "1.0.0", "source_location": "/bucket/dir/"}
RECOVERABLE_FIXTURES = sorted(p.name for p in FIXTURES.glob("*.json") if p.name != BROKEN_FIXTURE)


def fixture(name: str) -> Path:
    return FIXTURES / name


@pytest.fixture(scope="session")
def corpus(real_corpus):
    """`corpus(number)`: that file of the shared real-world corpus (the tests using it skip without it)."""
    def find(number: int) -> Path:
        (found,) = real_corpus.glob(f"{number:02d}-*.json")
        return found
    return find


def messages(result: ConfigFile) -> list[str]:
    return [str(w) for w in result.warnings]


def warned(result: ConfigFile, text: str, line: int | None = ...) -> ConfigWarning:
    hits = [w for w in result.warnings if text in w.message and (line is ... or w.line == line)]
    assert hits, f"no warning containing {text!r} (line {line}) in {messages(result)}"
    return hits[0]


def package(fields: dict, name: str) -> dict:
    return next(p for group in fields["dependencies"] for p in group["packages"] if p["package_name"] == name)


# --------------------------------------------------------------------------------------- the project's fixtures


@pytest.mark.parametrize("name", RECOVERABLE_FIXTURES)
def test_every_fixture_loads_and_writes_back_without_what_was_repaired(name, tmp_path):
    first = load(fixture(name))
    assert first.fields["model_type"] and first.fields["model_algorithm"] and first.path == fixture(name)
    if "apis" in first.fields:
        (api,) = first.fields["apis"]
        assert api["url"] == "/" and api["method"] == "post" and "procotol" not in api
        assert first.fields["input_params"] and all(p["url"] == "/" for p in first.fields["input_params"])
    again = load(write(tmp_path / "config.json", first.fields))
    assert again.fields == first.fields
    repaired = ("comment", "procotol", "misspelt", "trailing comma", "GBK", "empty", "moved", "read as the boolean")
    assert not [w for w in messages(again) if any(r in w for r in repaired)]


def test_fixture_clean_file_loads_without_warnings():
    result = load(fixture("pytorch-object-detection.json"))
    assert result.warnings == [] and result.encoding == "utf-8"
    assert result.fields["apis"][0]["protocol"] == "https"
    assert [p["param_name"] for p in result.fields["output_params"]] == [
        "detection_classes", "detection_boxes", "detection_scores"]


def test_fixture_comments_typos_and_commented_out_metrics():
    assert not fixture("pytorch-comments.json").read_bytes().endswith(b"\n")
    result = load(fixture("pytorch-comments.json"))
    warned(result, "6 comments removed", line=2)
    warned(result, '"procotol" misspelt', line=9)
    warned(result, 'response Content-type "multipart/from-data" misspelt', line=17)
    fields = result.fields
    assert "metrics" not in fields  # commented out in the file
    assert fields["model_algorithm"] == "image_classification"  # the tab-indented line
    assert fields["apis"][0]["protocol"] == "https"
    assert fields["apis"][0]["response"]["Content-type"] == "multipart/form-data"
    assert fields["input_params"] == [{"url": "/", "param_name": "photo", "param_type": "file"}]
    assert fields["dependencies"] == [{"installer": "pip", "packages": [
        {"restraint": "EXACT", "package_version": "1.6.0", "package_name": "torch"}]}]


def test_fixture_trailing_comma_left_by_a_commented_out_block_in_a_crlf_file():
    assert b"\r\n" in fixture("pytorch-trailing-comma-crlf.json").read_bytes()
    result = load(fixture("pytorch-trailing-comma-crlf.json"))
    warned(result, "4 comments removed", line=5)
    warned(result, "trailing comma before the end of the object removed", line=15)
    warned(result, '"procotol" misspelt', line=10)
    assert "dependencies" not in result.fields
    assert [p["param_name"] for p in result.fields["output_params"]] == ["boxes", "classes"]


def test_fixture_gbk_file_is_read_and_said_so():
    data = fixture("pytorch-gbk-comments.json").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    assert "模型类型" in data.decode("gbk")
    result = load(fixture("pytorch-gbk-comments.json"))
    assert result.encoding == "gb18030"
    gbk = warned(result, "not UTF-8: read as Chinese GBK")
    assert gbk.line == 3 and str(gbk).startswith("line 3: ")
    warned(result, "2 comments removed", line=3)
    warned(result, 'response Content-type "applicaton/json" misspelt', line=13)
    assert "runtime" not in result.fields and result.fields["metrics"]["accuracy"] == 1
    assert [p["param_name"] for p in result.fields["output_params"]] == ["logits"]


def test_fixture_wrapped_comment_raises_with_the_line_of_the_bare_words():
    with pytest.raises(ConfigFileError) as caught:
        load(fixture(BROKEN_FIXTURE))
    error = caught.value
    assert (error.line, error.column) == (7, 1)
    assert error.path == str(fixture(BROKEN_FIXTURE))
    assert "line 7, column 1" in str(error)
    assert "'response'" in str(error) and "comment on line 6 probably wrapped" in str(error)


def test_fixture_tab_indented_pins_and_no_runtime():
    result = load(fixture("tensorflow-tabs-atleast.json"))
    packages = result.fields["dependencies"][0]["packages"]
    assert [p["restraint"] for p in packages] == ["ATLEAST"] * 9
    assert package(result.fields, "absl-py")["package_version"] == "1.6.0"
    assert "runtime" not in result.fields
    assert [str(w) for w in result.warnings] == ['line 5: "procotol" misspelt: read as "protocol"']


def test_fixture_one_line_file_keeps_extra_keys_and_reads_text_booleans():
    result = load(fixture("mxnet-minified.json"))
    fields = result.fields
    assert fields["tunable"] is False and fields["model_source"] == "algos" and fields["dependencies"] == []
    warned(result, '"tunable" is the text "false"', line=1)
    warned(result, 'response "required" names "predicted_label"', line=1)


def test_fixture_item_typo_in_a_schema():
    result = load(fixture("mindspore-template.json"))
    warned(result, '"item" misspelt in the schema of "mask"', line=13)
    assert result.fields["apis"][0]["response"]["data"]["properties"]["mask"]["items"] == [{"type": "number"}]
    assert result.fields["metrics"] == {"MIoU": 0.72}


def test_fixture_packages_as_people_write_them():
    result = load(fixture("pytorch-packages-quirks.json"))
    empty = warned(result, 'package "jieba": empty package_version and restraint removed')
    assert empty.line == 18 and "latest version" in empty.message
    assert package(result.fields, "jieba") == {"package_name": "jieba"}
    assert package(result.fields, "tqdm") == {"package_name": "tqdm"}
    assert warned(result, 'package "requests" is listed twice (first on line 22)').line == 23
    assert len(result.fields["dependencies"]) == 2
    warned(result, '"required" sat beside "data" in response', line=13)
    response = result.fields["apis"][0]["response"]
    assert "required" not in response and response["data"]["required"] == ["label"]
    assert result.fields["metrics"] == {"f1": 1, "accuracy": 1, "precision": 1, "recall": 1}


def test_fixture_bare_request_without_apis_is_kept_and_reported():
    result = load(fixture("tensorflow-no-apis.json"))
    warning = warned(result, 'a top-level "request" was found but no "apis"')
    assert warning.line == 5 and "Move it into" in warning.message
    assert "apis" not in result.fields and "input_params" not in result.fields
    assert result.fields["request"]["data"]["properties"]["text"] == {"type": "file"}


# -------------------------------------------------------------------------------- the real-world corpus (../shared)

MODEL_TYPES = {**dict.fromkeys(range(1, 13), "PyTorch"), **dict.fromkeys(range(13, 22), "TensorFlow"),
               22: "MXNet", 23: "MXNet", 24: "Caffe", 25: "MindSpore", 26: "MindSpore", 27: "Customize",
               28: "XGBoost", 29: "Image", 30: "Spark_MLlib"}
RECOVERABLE = [n for n in range(1, 31) if n != 20]


def test_the_corpus_is_there(real_corpus):
    assert len(list(real_corpus.glob("[0-3][0-9]-*.json"))) == 30


@pytest.mark.parametrize("number", RECOVERABLE)
def test_every_recoverable_file_loads_with_its_model_type_and_apis(number, corpus):
    result = load(corpus(number))
    fields = result.fields
    assert fields["model_type"] == MODEL_TYPES[number]
    assert isinstance(fields["model_algorithm"], str) and fields["model_algorithm"]
    assert result.path == corpus(number)
    if number == 18:
        assert "apis" not in fields and "input_params" not in fields
        return
    (api,) = fields["apis"]
    assert api["url"] == "/" and api["method"] == "post" and "procotol" not in api
    assert fields["input_params"] and all(p["url"] == "/" for p in fields["input_params"])
    assert all(set(p) <= {"url", "param_name", "param_type", "param_desc", "min", "max"} for p in fields["input_params"])


@pytest.mark.parametrize("number", RECOVERABLE)
def test_writing_a_corpus_file_back_round_trips_and_leaves_only_real_problems(number, tmp_path, corpus):
    first = load(corpus(number))
    written = write(tmp_path / "config.json", first.fields)
    again = load(written)
    assert again.fields == first.fields
    repaired = ("comment", "procotol", "misspelt", "trailing comma", "GBK", "empty", "moved", "read as the boolean")
    assert not [w for w in messages(again) if any(r in w for r in repaired)]
    text = written.read_text(encoding="utf-8")
    assert json.loads(text) is not None and text.endswith("}\n")


def test_files_without_quirks_load_without_warnings(corpus):
    for number in (2, 3, 5, 6, 16, 17, 24):
        assert load(corpus(number)).warnings == [], number


def test_01_comments_typos_and_commented_out_metrics(corpus):
    result = load(corpus(1))
    assert warned(result, "11 comments removed", line=2)
    warned(result, '"procotol" misspelt', line=22)
    warned(result, 'response Content-type "multipart/from-data" misspelt', line=37)
    fields = result.fields
    assert "metrics" not in fields  # it is commented out in the file
    assert fields["runtime"] == "python3.6"
    assert fields["apis"][0]["protocol"] == "https"
    assert fields["apis"][0]["response"]["Content-type"] == "multipart/form-data"
    assert fields["dependencies"] == [{"installer": "pip", "packages": [
        {"restraint": "EXACT", "package_version": "1.4.0", "package_name": "torch"}]}]
    assert fields["input_params"] == [{"url": "/", "param_name": "images", "param_type": "file"}]
    assert [p["param_name"] for p in fields["output_params"]] == ["detection_classes", "detection_boxes",
                                                                 "detection_scores"]


def test_02_param_types_are_kept_as_written(corpus):
    fields = load(corpus(2)).fields
    assert fields["model_algorithm"] == "LayoutLMv3"
    assert {p["param_name"]: p["param_type"] for p in fields["output_params"]}["items"] == "list"
    assert [p["package_name"] for p in fields["dependencies"][0]["packages"]] == [
        "torchvision", "torch", "torchtext", "transformers", "datasets"]


def test_04_empty_versions_and_restraints_are_dropped_with_a_warning_each(corpus):
    result = load(corpus(4))
    empties = [w for w in result.warnings if "empty package_version and restraint removed" in w.message]
    assert [w.line for w in empties] == [77, 82, 87, 92, 97]
    assert "scikit-image" in empties[0].message and "latest version" in empties[0].message
    assert package(result.fields, "sklearn") == {"package_name": "sklearn"}
    assert package(result.fields, "numpy") == {"package_name": "numpy", "package_version": "1.16.4",
                                               "restraint": "EXACT"}
    assert len(result.fields["dependencies"][0]["packages"]) == 10


def test_05_crlf_and_name_only_packages(corpus):
    assert b"\r\n" in corpus(5).read_bytes()
    result = load(corpus(5))
    assert package(result.fields, "tqdm") == {"package_name": "tqdm"}
    assert result.fields["input_params"] == [{"url": "/", "param_name": "input_img", "param_type": "file"}]


def test_06_two_dependency_groups_keep_their_packages(corpus):
    fields = load(corpus(6)).fields
    assert len(fields["dependencies"]) == 2
    assert package(fields, "scikit-learn") == {"restraint": "EXACT", "package_name": "scikit-learn",
                                               "package_version": "0.19.1"}
    assert fields["input_params"] == [{"url": "/", "param_name": "sample", "param_type": "array"}]
    assert fields["apis"][0]["request"]["data"]["properties"]["sample"]["minItems"] == 20


def test_07_required_beside_data_is_moved_and_content_type_mismatch_reported(corpus):
    result = load(corpus(7))
    warned(result, '"required" sat beside "data" in response', line=41)
    warned(result, 'file parameter "all_data" but Content-type application/json', line=13)
    warned(result, 'Content-type "multipart/json" is not one ModelArts documents', line=26)
    warned(result, '"procotol" misspelt', line=8)
    response = result.fields["apis"][0]["response"]
    assert "required" not in response
    assert response["data"]["required"] == ["pathloss", "uplink_loss", "downlink_loss"]
    assert result.fields["model_algorithm"] == "Radio Map Reconstruction"


def test_08_sixteen_dependency_groups_and_a_duplicate_package(corpus):
    result = load(corpus(8))
    groups = result.fields["dependencies"]
    assert len(groups) == 16 and all(g["installer"] == "pip" and len(g["packages"]) == 1 for g in groups)
    duplicate = warned(result, 'package "requests" is listed twice (first on line 123)')
    assert duplicate.line == 193
    assert package(result.fields, "regex")["package_version"] == "2023.5.5"
    assert result.fields["runtime"] == "pytorch_1.8.0-cuda_10.2-py_3.7-ubuntu_18.04-x86_64"


def test_09_empty_restraints_and_integer_metrics(corpus):
    result = load(corpus(9))
    assert len([w for w in result.warnings if "empty restraint and package_version" in w.message]) == 4
    assert package(result.fields, "torchvision") == {"restraint": "ATLEAST", "package_version": "0.11",
                                                     "package_name": "torchvision"}
    assert result.fields["metrics"] == {"f1": 1, "accuracy": 1, "precision": 1, "recall": 1}


def test_10_comments_around_a_url_in_a_comment_and_object_outputs_are_not_flattened(corpus):
    result = load(corpus(10))
    warned(result, "14 comments removed", line=5)
    warned(result, 'response Content-type "applicaton/json" misspelt', line=54)
    assert result.fields["apis"][0]["response"]["Content-type"] == "application/json"
    assert result.fields["output_params"] == [{"url": "/", "param_name": "output", "param_type": "object"}]
    assert "dependencies" not in result.fields and "metrics" not in result.fields


def test_11_trailing_comma_left_by_a_commented_out_block(corpus):
    result = load(corpus(11))
    warned(result, "trailing comma before the end of the object removed", line=71)
    warned(result, "comments removed", line=52)
    assert "dependencies" not in result.fields
    assert result.fields["metrics"] == {"f1": 0.0, "recall": 0.0, "precision": 0.0, "accuracy": 0.0}
    assert [p["param_name"] for p in result.fields["output_params"]] == [
        "detection_classes", "detection_scores", "detection_boxes"]


def test_12_gbk_file_is_read_and_said_so(corpus):
    with pytest.raises(UnicodeDecodeError):
        corpus(12).read_bytes().decode("utf-8")
    result = load(corpus(12))
    assert result.encoding == "gb18030"
    gbk = warned(result, "not UTF-8: read as Chinese GBK")
    assert gbk.line == 3 and str(gbk).startswith("line 3: ")
    warned(result, "comments removed", line=3)
    assert "runtime" not in result.fields
    assert result.fields["metrics"]["accuracy"] == 1
    assert [p["param_name"] for p in result.fields["output_params"]] == ["logits"]


def test_13_and_14_tab_indented_pins(corpus):
    thirteen, fourteen = load(corpus(13)).fields, load(corpus(14)).fields
    assert [p["restraint"] for p in thirteen["dependencies"][0]["packages"]] == ["ATLEAST"] * 9
    assert package(fourteen, "opencv-python-headless")["package_version"] == "3.4.1.15"
    assert "runtime" not in thirteen and "runtime" not in fourteen


def test_16_17_runtime_and_versions_kept_verbatim(corpus):
    assert load(corpus(16)).fields["runtime"] == "tf1.13-python3.6-cpu"
    assert package(load(corpus(16)).fields, "Keras")["package_version"] == "2.2.4"
    assert package(load(corpus(17)).fields, "tensorflow")["package_version"] == "2.0.0rc1"


def test_18_bare_request_without_apis_is_kept_and_reported(corpus):
    result = load(corpus(18))
    warning = warned(result, 'a top-level "request" was found but no "apis"')
    assert warning.line == 5 and "Move it into" in warning.message
    assert result.fields["request"]["data"]["properties"]["text"] == {"type": "file"}


def test_19_builtin_algorithm_output_keeps_extra_keys_and_fixes_item(corpus):
    result = load(corpus(19))
    fields = result.fields
    assert fields["algorithm"] == "retinanet_resnet_v1_50" and fields["model_source"] == "algos"
    warned(result, '"item" misspelt in the schema of "detection_classes"', line=1)
    classes = fields["apis"][0]["response"]["data"]["properties"]["detection_classes"]
    assert classes == {"items": {"type": "string"}, "type": "array"}
    assert {p["param_name"]: p["param_type"] for p in fields["output_params"]}["detection_scores"] == "number"
    assert package(fields, "h5py") == {"package_name": "h5py"}


def test_20_wrapped_comments_raise_with_the_line_of_the_bare_words(corpus):
    with pytest.raises(ConfigFileError) as caught:
        load(corpus(20))
    error = caught.value
    assert (error.line, error.column) == (7, 1)
    assert error.path == str(corpus(20))
    assert "line 7, column 1" in str(error)
    assert "'response'" in str(error) and "comment on line 6 probably wrapped" in str(error)


def test_21_leading_whitespace_and_empty_metrics(corpus):
    assert corpus(21).read_bytes().startswith(b"  {")
    result = load(corpus(21))
    assert result.fields["metrics"] == {} and result.fields["runtime"] == "python2.7"
    assert len([w for w in result.warnings if '"applicaton/json" misspelt' in w.message]) == 2


def test_22_required_names_an_undefined_property(corpus):
    result = load(corpus(22))
    warned(result, 'response "required" names "predicted_label"')
    assert result.fields["dependencies"] == []


def test_23_execution_code_is_kept(corpus):
    fields = load(corpus(23)).fields
    assert fields["execution_code"] == "https://obs-6809.obs.myhwclouds.com/code/classification.py"


def test_24_caffe_builtin_keys(corpus):
    fields = load(corpus(24)).fields
    assert fields["tunable"] is False and fields["service_name"] == "builtin_algorithms"
    assert fields["metrics"]["accuracy"] == 1.0


def test_25_26_mindspore_templates(corpus):
    assert load(corpus(25)).fields["metrics"] == {"MIoU": 0.761577}
    result = load(corpus(26))
    warned(result, '"item" misspelt in the schema of "result"', line=27)
    assert result.fields["apis"][0]["response"]["data"]["properties"]["result"]["items"] == [{"type": "string"}]


def test_27_unsupported_model_type_is_reported_in_the_rule_tables_words_and_text_plain_passes_as_there(corpus):
    result = load(corpus(27))
    warned(result, "model type 'Customize' is not supported by this import path", line=4)
    assert spec.explain_model_type("Customize") in messages(result)[0]  # the rule table's words, not a copy
    # text/plain is a Content-type the rule table takes: the file reader does not warn about it either
    assert not [w for w in result.warnings if "text/plain" in w.message]
    assert not [e for e in spec.validate({**BASE_FIELDS, "apis": result.fields["apis"], "model_type": "Image"})
                if "content" in e["field"].lower()]
    assert result.fields["apis"][0]["request"]["Content-type"] == "text/plain"
    assert package(result.fields, "gym[atari]")["package_version"] == "0.18.0"


def test_28_api_without_protocol(corpus):
    result = load(corpus(28))
    assert "protocol" not in result.fields["apis"][0]
    warned(result, '"applicaton/json" misspelt', line=34)


def test_29_image_model_without_swr_location(corpus):
    result = load(corpus(29))
    assert result.fields["model_type"] == "Image"
    warned(result, 'Image model imported from OBS needs "swr_location"')


def test_30_string_boolean_and_request_wrapped_in_data(corpus):
    result = load(corpus(30))
    assert result.fields["tunable"] is False
    warned(result, '"tunable" is the text "false"', line=1)
    assert result.fields["input_params"] == [{"url": "/", "param_name": "data", "param_type": "object"}]


# ---------------------------------------------------------------------------------------------- tolerance


def test_slashes_inside_strings_survive_comment_removal():
    text = '{"model_type": "PyTorch", // a comment\n "swr_location": "http://x/y//z/*not a comment*/",\n' \
           ' /* block\n comment */ "model_algorithm": "a//b"}'
    result = loads(text)
    assert result.fields["swr_location"] == "http://x/y//z/*not a comment*/"
    assert result.fields["model_algorithm"] == "a//b"
    warned(result, "2 comments removed", line=1)


def test_escaped_quotes_do_not_end_a_string_for_the_comment_scanner():
    result = loads(r'{"model_algorithm": "say \"//hi\" \\", "model_type": "PyTorch"}')
    assert result.fields["model_algorithm"] == 'say "//hi" \\'


def test_positions_are_those_of_the_original_file_after_comments():
    text = '{\n  /* one\n     two */ "model_type": "PyTorch", // x\n  "runtime": "a" "b": 1\n}'
    with pytest.raises(ConfigFileError) as caught:
        loads(text, path="model/config.json")
    assert (caught.value.line, caught.value.column) == (4, 18)
    assert str(caught.value).startswith("model/config.json, line 4, column 18: expected , or }")


def test_unclosed_block_comment_points_at_its_start():
    with pytest.raises(ConfigFileError) as caught:
        loads('{"model_type": "PyTorch",\n   /* never closed\n}')
    assert (caught.value.line, caught.value.column) == (2, 4)


def test_crlf_tabs_bom_and_trailing_commas_in_lists():
    text = '\ufeff{\r\n\t"model_type": "TensorFlow",\r\n\t"dependencies": [{"installer": "pip", "packages": ' \
           '[{"package_name": "numpy"},]},],\r\n}\r\n'
    result = loads(text.encode("utf-8"))
    assert result.fields["dependencies"] == [{"installer": "pip", "packages": [{"package_name": "numpy"}]}]
    assert len([w for w in result.warnings if "trailing comma" in w.message]) == 3
    warned(result, "byte-order mark", line=1)
    assert result.encoding == "utf-8-sig"


def test_utf16_with_bom_is_read_with_a_warning():
    result = loads(codecs.BOM_UTF16_LE + '{"model_type": "PyTorch"}'.encode("utf-16-le"))
    assert result.fields["model_type"] == "PyTorch"
    warned(result, "UTF-16")


def test_bytes_that_are_neither_utf8_nor_gbk_raise_with_their_position():
    with pytest.raises(ConfigFileError) as caught:
        loads(b'{\n  "model_type": "a\x80"}')
    assert (caught.value.line, caught.value.column) == (2, 19)
    assert "not UTF-8" in str(caught.value)


@pytest.mark.parametrize("text, expected", [
    ("", "the file is empty"),
    ("   \n ", "the file is empty"),
    ("[]", "starts with a list"),
    ('"PyTorch"', "starts with the value"),
    ("null", "starts with the value"),
    ('{"a": 1} {"b": 2}', "after the closing }"),
    ('{"a": True}', "JSON spells it true"),
    ("{'a': 1}", 'expected a "quoted" key'),
    ('{"a": NaN}', "no NaN"),
    ('{"a": "x\n"}', "not closed on the same line"),
    ('{"a": "x', "never closed"),
    ('{"a": 1', "never closed with }"),
    ('{"a": [1, 2}', "expected , or ]"),
    ('{"a": 1e999}', "too large"),
    ('{"a": ' + "1" * 5000 + "}", "too large"),
    ('{"a": "\\x"}', "bad text value"),
    ("[" * 1000, "starts with a list"),
    ('{"a":' + "[" * 1000 + "]" * 1000 + "}", "nested more than"),
])
def test_unreadable_content_raises_config_file_error(text, expected):
    with pytest.raises(ConfigFileError) as caught:
        loads(text)
    assert expected in str(caught.value)
    assert caught.value.line is not None and caught.value.column is not None


def test_load_of_a_missing_file_or_folder_raises_config_file_error(tmp_path):
    with pytest.raises(ConfigFileError, match="cannot be read"):
        load(tmp_path / "absent.json")
    with pytest.raises(ConfigFileError, match="no config.json in the folder"):
        load(tmp_path)


def test_load_finds_config_json_in_a_package_folder(tmp_path):
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "config.json").write_text('{"model_type": "PyTorch"}')
    assert load(tmp_path).path == tmp_path / "model" / "config.json"


def test_warning_renders_its_line():
    assert str(ConfigWarning("x", 3)) == "line 3: x"
    assert str(ConfigWarning("x")) == "x"


# ---------------------------------------------------------------------------------------- warnings on content


def test_typos_and_odd_values_are_repaired_and_reported():
    result = loads("""{
        "model_type": "pytorch",
        "model_algorithm": "a",
        "tunable": "True",
        "runtime": null,
        "dependences": [],
        "apis": {"procotol": "http", "protocol": "https", "url": "/",
                 "request": {"Content-Type": "Application/JSON", "data": {"type": "object",
                             "properties": {"item": {"type": "string"}, "n": {"type": "int", "minimum": 1,
                                                                               "maximum": 9, "description": "d"}}}}},
        "metrics": {"f1": "0.5"},
        "dependencies": {"installer": "conda", "packages": [{"package_name": "numpy==1.0"},
                                                            {"package_name": "x", "package_version": "1.0"}]},
        "model_algorithm": "b"
    }""")
    fields = result.fields
    warned(result, 'model_type "pytorch" is spelled "PyTorch"', line=2)
    warned(result, '"tunable" is the text "True"', line=4)
    warned(result, '"runtime" is null', line=5)
    warned(result, 'unknown key "dependences" kept as is (did you mean "dependencies"?)', line=6)
    warned(result, '"apis" should be a list', line=7)
    warned(result, 'both "procotol" and "protocol"', line=7)
    warned(result, '"Content-Type" read as "Content-type"', line=8)
    warned(result, 'Content-type "Application/JSON" read as "application/json"', line=8)
    warned(result, 'metric "f1" is the text "0.5"', line=11)
    warned(result, '"dependencies" should be a list', line=12)
    warned(result, 'installer "conda"', line=12)
    warned(result, "not in the name")
    warned(result, 'package "x": a package_version needs a restraint')
    warned(result, 'key "model_algorithm" appears twice in the same object (first on line 3)', line=14)
    assert fields["tunable"] is True and "runtime" not in fields and fields["model_algorithm"] == "b"
    assert fields["apis"] == [{"protocol": "https", "url": "/", "request": {
        "Content-type": "application/json", "data": {"type": "object", "properties": {
            "item": {"type": "string"}, "n": {"type": "int", "minimum": 1, "maximum": 9, "description": "d"}}}}}]
    assert fields["input_params"] == [
        {"url": "/", "param_name": "item", "param_type": "string"},
        {"url": "/", "param_name": "n", "param_type": "int", "param_desc": "d", "min": 1, "max": 9}]
    assert fields["output_params"] == []


def test_missing_required_keys_and_apis_are_reported():
    result = loads("{}")
    assert result.fields == {}
    warned(result, '"model_type" is missing')
    warned(result, '"model_algorithm" is missing')
    warned(result, 'no "apis"')


def test_more_than_one_api_is_only_for_image_models():
    two = '[{"url": "/"}, {"url": "/b"}]'
    result = loads(f'{{"model_type": "PyTorch", "model_algorithm": "a", "apis": {two}}}')
    # the rule table's own words (spec.api_problems), the ones the form shows for the same apis
    said = {message for _, _, message, _ in spec.api_problems("PyTorch", result.fields["apis"])}
    assert len(said) == 2 and said == {w.message for w in result.warnings}
    warned(result, "a PyTorch model can have only one API")
    warned(result, "the API url must be / for PyTorch models")
    image = loads(f'{{"model_type": "Image", "model_algorithm": "a", "swr_location": "s", "apis": {two}}}')
    assert image.warnings == []
    assert [p["url"] for p in image.fields["input_params"]] == []


def test_only_keys_present_in_the_file_appear():
    assert loads('{"model_type": "PyTorch", "model_algorithm": "a", "x": {"y": [1]}}').fields == {
        "model_type": "PyTorch", "model_algorithm": "a", "x": {"y": [1]}}


def test_an_item_property_is_not_mistaken_for_the_items_typo():
    result = loads('{"apis": [{"request": {"data": {"properties": {"item": {"type": "string"}}}}}]}')
    assert result.fields["apis"][0]["request"]["data"]["properties"] == {"item": {"type": "string"}}
    assert not [w for w in result.warnings if "misspelt" in w.message]


# -------------------------------------------------------------------------------------------------- writing


def test_written_file_has_the_spelling_the_service_expects(tmp_path):
    path = write(tmp_path / "config.json", load(fixture("pytorch-gbk-comments.json")).fields)
    text = path.read_text(encoding="utf-8")
    assert text.endswith("}\n") and '\n    "model_algorithm": "image_classification",\n' in text
    assert '"protocol": "http"' in text and "procotol" not in text
    assert '"Content-type": "application/json"' in text and "applicaton" not in text
    assert "input_params" not in text  # they travel inside apis
    assert list(json.loads(text))[:3] == ["model_algorithm", "model_type", "metrics"]


def test_non_ascii_is_written_as_utf8_and_lone_surrogates_stay_escaped(tmp_path):
    path = write(tmp_path / "config.json", {"model_type": "PyTorch", "model_algorithm": "图片分类"})
    assert "图片分类" in path.read_text(encoding="utf-8")
    odd = loads('{"model_algorithm": "\\ud800"}').fields
    assert loads(write(tmp_path / "config.json", odd).read_bytes()).fields == odd


def test_write_is_atomic_keeps_the_mode_and_accepts_a_folder(tmp_path):
    target = tmp_path / "config.json"
    target.write_text("old")
    target.chmod(0o640)
    assert write(tmp_path, {"model_type": "PyTorch"}) == target
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert json.loads(target.read_text()) == {"model_type": "PyTorch"}
    assert sorted(os.listdir(tmp_path)) == ["config.json"]


def test_write_builds_apis_from_params_one_per_url():
    fields = {
        "model_type": "PyTorch", "model_algorithm": "a",
        "input_params": [{"url": "/", "param_name": "images", "param_type": "file", "param_desc": None},
                         {"url": "/", "param_name": "k", "param_type": "int", "min": 1, "max": 5},
                         {"url": "/text", "param_name": "t", "param_type": "string", "param_desc": "words"}],
        "output_params": [{"url": "/", "param_name": "label", "param_type": "string"}],
    }
    document = json.loads(dumps(fields))
    assert [api["url"] for api in document["apis"]] == ["/", "/text"]
    first, second = document["apis"]
    assert first["protocol"] == "http" and first["method"] == "post"
    assert first["request"] == {"Content-type": "multipart/form-data", "data": {"type": "object", "properties": {
        "images": {"type": "file"}, "k": {"type": "int", "minimum": 1, "maximum": 5}}}}
    assert first["response"]["data"]["properties"] == {"label": {"type": "string"}}
    assert second["request"]["Content-type"] == "application/json"
    assert second["request"]["data"]["properties"] == {"t": {"type": "string", "description": "words"}}
    reloaded = loads(dumps(fields)).fields
    assert reloaded["input_params"] == [{k: v for k, v in p.items() if v is not None} for p in fields["input_params"]]
    assert reloaded["output_params"] == fields["output_params"]


def test_edited_params_update_the_apis_and_keep_the_rest_of_the_schema():
    fields = load(fixture("tensorflow-tabs-atleast.json")).fields
    fields["input_params"] = [{"url": "/", "param_name": "images", "param_type": "file", "param_desc": "a photo"}]
    fields["output_params"] = [p for p in fields["output_params"] if p["param_name"] == "scores"]
    document = json.loads(dumps(fields))
    response = document["apis"][0]["response"]
    assert list(response["data"]["properties"]) == ["scores"]
    assert response["data"]["properties"]["scores"]["items"]["maxItems"] == 2  # nested schema kept
    assert response["data"]["required"] == ["predicted_label", "scores"]
    assert document["apis"][0]["request"]["data"]["properties"]["images"] == {"type": "file", "description": "a photo"}
    reloaded = loads(dumps(fields)).fields
    assert reloaded["input_params"] == fields["input_params"]
    assert reloaded["output_params"] == fields["output_params"]


def test_write_accepts_enums_and_dataclasses():
    class Kind(str, enum.Enum):
        PYTORCH = "PyTorch"

    @dataclasses.dataclass
    class Package:
        package_name: str
        package_version: str | None = None
        restraint: str | None = None

    fields = {"model_type": Kind.PYTORCH, "model_algorithm": "a", "runtime": None,
              "dependencies": [{"installer": "pip", "packages": [Package("numpy"), Package("torch", "1.8.0", "EXACT")]}]}
    document = json.loads(dumps(fields))
    assert document == {"model_type": "PyTorch", "model_algorithm": "a", "dependencies": [
        {"installer": "pip", "packages": [{"package_name": "numpy"},
                                          {"package_name": "torch", "package_version": "1.8.0", "restraint": "EXACT"}]}]}


def test_write_refuses_params_without_names():
    with pytest.raises(ValueError, match="input_params\\[0\\] needs a param_name"):
        dumps({"input_params": [{"param_type": "string"}]})


# ------------------------------------------------------------------------------------------ property-based

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def only_config_file_errors(data) -> ConfigFile | None:
    try:
        return loads(data)
    except ConfigFileError as error:
        assert error.line is None or error.line >= 1
        return None


@FUZZ
@given(st.binary(max_size=400))
def test_any_bytes_give_a_result_or_a_config_file_error(data):
    only_config_file_errors(data)


@FUZZ
@given(st.text(max_size=300))
def test_any_text_gives_a_result_or_a_config_file_error(text):
    only_config_file_errors(text)


TOKENS = st.sampled_from(['{', '}', '[', ']', ',', ':', '"a"', '"', '\\', '//', '/*', '*/', '\n', '\r', ' ', '1',
                          '-', '.5', 'e9', 'true', 'null', '"apis"', '"procotol"', '"item"', '"\\u00e9"', '\t',
                          '"Content-type"', '"packages"', '"dependencies"', '\u3000', '\ufeff', '"x\\"//"'])


@FUZZ
@given(st.lists(TOKENS, max_size=60).map("".join))
def test_json_like_token_soup_gives_a_result_or_a_config_file_error(text):
    only_config_file_errors(text)
    only_config_file_errors(text.encode("gb18030"))


KEYS = st.sampled_from(["model_type", "model_algorithm", "runtime", "apis", "dependencies", "metrics", "tunable",
                        "request", "response", "data", "properties", "packages", "package_name", "package_version",
                        "restraint", "installer", "procotol", "protocol", "url", "Content-type", "Content-Type",
                        "item", "items", "type", "required", "input_params", "output_params", "param_name",
                        "health", "swr_location", ""]) | st.text(max_size=6)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
    | st.sampled_from(["", "pip", "EXACT", "Image", "/", "file", "applicaton/json", "true"]) | st.text(max_size=8),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(KEYS, children, max_size=5),
    max_leaves=30)


@FUZZ
@given(JSON_VALUES)
def test_any_json_value_gives_a_result_or_a_config_file_error_and_writing_reaches_a_fixed_point(value):
    text = json.dumps(value)
    result = only_config_file_errors(text)
    assert (result is not None) == isinstance(value, dict)
    if result is None:
        return
    assert result.fields == loads(json.dumps(value, indent=2).encode("utf-8")).fields
    try:
        once = loads(dumps(result.fields)).fields
    except ValueError:  # e.g. input_params that are not params: write refuses them
        return
    assert loads(dumps(once)).fields == once


NAMES = st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True)
VERSIONS = st.from_regex(r"[0-9]{1,2}(\.[0-9]{1,2}){0,3}", fullmatch=True)
PACKAGES = st.one_of(
    st.fixed_dictionaries({"package_name": NAMES}),
    st.fixed_dictionaries({"package_name": NAMES, "package_version": VERSIONS,
                           "restraint": st.sampled_from(["EXACT", "ATLEAST", "ATMOST"])}))
PARAMS = st.fixed_dictionaries(
    {"url": st.sampled_from(["/", "/predict"]), "param_name": NAMES,
     "param_type": st.sampled_from(["string", "number", "integer", "int", "float", "file", "array", "object", "list"])},
    optional={"param_desc": st.text(max_size=12), "min": st.integers(-9, 0), "max": st.floats(1, 99)})
PARAM_LISTS = st.lists(PARAMS, max_size=5, unique_by=lambda p: (p["url"], p["param_name"]))
EXTRA = st.dictionaries(st.from_regex(r"x_[a-z]{1,6}", fullmatch=True),
                        JSON_VALUES.filter(lambda v: v is not None), max_size=2)


@st.composite
def field_dicts(draw, with_params: bool):
    fields = {"model_type": draw(st.sampled_from(["PyTorch", "TensorFlow", "MindSpore", "XGBoost"])),
              "model_algorithm": draw(NAMES)}
    if draw(st.booleans()):
        fields["runtime"] = draw(st.sampled_from(["python3.6", "pytorch_1.8.0-cuda_10.2-py_3.7-ubuntu_18.04-x86_64"]))
    if draw(st.booleans()):
        fields["metrics"] = draw(st.dictionaries(st.sampled_from(["f1", "recall", "precision", "accuracy"]),
                                                 st.floats(0, 1)))
    if draw(st.booleans()):
        fields["dependencies"] = draw(st.lists(st.fixed_dictionaries(
            {"installer": st.just("pip"), "packages": st.lists(PACKAGES, min_size=1, max_size=3)}), max_size=3))
    if with_params:
        fields["input_params"] = draw(PARAM_LISTS)
        fields["output_params"] = draw(PARAM_LISTS)
    fields.update(draw(EXTRA))
    return fields


@FUZZ
@given(field_dicts(with_params=False))
def test_round_trip_of_generated_fields(fields):
    assert loads(dumps(fields)).fields == fields


@FUZZ
@given(field_dicts(with_params=True))
def test_round_trip_of_generated_params_builds_apis_that_give_them_back(fields):
    loaded = loads(dumps(fields)).fields
    api_urls = list(dict.fromkeys(p["url"] for p in fields["input_params"] + fields["output_params"]))
    assert [api["url"] for api in loaded.pop("apis")] == api_urls
    for key in ("input_params", "output_params"):
        urls_first_seen = list(dict.fromkeys(p["url"] for p in fields["input_params"] + fields["output_params"]))
        expected = sorted(fields[key], key=lambda p: urls_first_seen.index(p["url"]))
        assert loaded[key] == expected
    assert {k: v for k, v in loaded.items() if "params" not in k} == {
        k: v for k, v in fields.items() if "params" not in k}


@settings(max_examples=25, deadline=None)
@given(field_dicts(with_params=True))
def test_round_trip_through_a_real_file(fields):
    with tempfile.TemporaryDirectory() as folder:
        once = load(write(Path(folder) / "config.json", fields)).fields
        assert load(write(Path(folder) / "config.json", once)).fields == once
        assert os.listdir(folder) == ["config.json"]


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(sorted(FIXTURES.glob("*.json"))), st.integers(0, 10_000), st.binary(max_size=3),
       st.integers(0, 3))
def test_damaged_fixture_files_give_a_result_or_a_config_file_error(path, at, insert, delete):
    data = path.read_bytes()
    at %= len(data)
    only_config_file_errors(data[:at] + insert + data[at + delete:])


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(RECOVERABLE + [20]), st.integers(0, 10_000), st.binary(max_size=3), st.integers(0, 3))
def test_damaged_corpus_files_give_a_result_or_a_config_file_error(corpus, number, at, insert, delete):
    data = corpus(number).read_bytes()
    at %= len(data)
    only_config_file_errors(data[:at] + insert + data[at + delete:])


def test_module_keeps_its_public_names():
    assert {"ConfigFile", "ConfigWarning", "load", "loads", "write"} <= set(config_file.__all__)


def test_update_keeps_the_file_s_other_keys_backs_it_up_elsewhere_and_never_writes_through_a_link(tmp_path):
    from model_import_widget import config_file as cf

    model = tmp_path / "pkg" / "model"
    model.mkdir(parents=True)
    path = model / "config.json"
    old = b'{"model_type": "PyTorch", "metrics": {"f1": 0.9}, "runtime": "python3.6"}'
    path.write_bytes(old)
    backups = tmp_path / "home" / "config-backups"
    with pytest.raises(FileExistsError, match="overwrite=True"):
        cf.update(path, {"runtime": "python3.7"}, backup_dir=backups)
    assert path.read_bytes() == old and not backups.exists()  # refused: nothing written, nothing kept
    written, backup = cf.update(path, {"runtime": "python3.7"}, backup_dir=backups, overwrite=True)
    assert written == path and backup is not None and backup.parent == backups and backup.read_bytes() == old
    now = cf.load(path).fields
    assert now["runtime"] == "python3.7" and now["metrics"] == {"f1": 0.9} and now["model_type"] == "PyTorch"
    assert sorted(p.name for p in model.iterdir()) == ["config.json"]  # no backup inside the package
    victim = tmp_path / "bashrc"
    victim.write_text("keep me")
    path.unlink()
    path.symlink_to(victim)
    with pytest.raises(ValueError, match="symbolic link"):
        cf.update(path, {"runtime": "python3.7"}, backup_dir=backups, overwrite=True)
    assert victim.read_text() == "keep me"
    fresh, none = cf.update(tmp_path / "new" / "model" / "config.json", {"model_type": "TensorFlow"}, backup_dir=backups)
    assert none is None and cf.load(fresh).fields["model_type"] == "TensorFlow"
