"""The rule table: every rule of the seed's Tables 2–5 and the REST contract, valid and invalid, with its message."""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from model_import_widget import spec
from model_import_widget.errors import SpecValidationError

BASE = {"model_version": "1.0.0", "source_location": "obs://my-bucket/models/mnist/", "model_type": "MXNet"}


def errors_of(**changes):
    data = {**BASE, **changes}
    return {e["field"]: e for e in spec.validate(data)}


def only_error(field, **changes):
    errors = errors_of(**changes)
    assert list(errors) == [field], errors
    return errors[field]


def test_base_is_valid():
    assert spec.validate(BASE) == []


# ---- model_name -------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["a", "mnist", "Model_1-b", "x" * 64, "A0"])
def test_valid_names(name):
    assert spec.validate({**BASE, "model_name": name}) == []


@pytest.mark.parametrize(
    "name, problem",
    [
        ("digit recognition", "contains a space"),
        ("1model", "must start with a letter"),
        ("_model", "must start with a letter"),
        ("x" * 65, "is 65 characters long"),
        ("模型", "must start with a letter"),
        ("a.b", "contains '.'"),
    ],
)
def test_invalid_names_say_the_rule_and_suggest(name, problem):
    error = only_error("model_name", model_name=name)
    assert error["type"] == "model_name_invalid"
    assert "1–64 letters, digits, _ or -, starting with a letter" in error["message"]
    assert problem in error["message"]
    suggestion = re.search(r"try '([^']+)'", error["message"]).group(1)
    assert spec.validate({**BASE, "model_name": suggestion}) == []


def test_seed_example_name_gets_a_valid_suggestion():
    error = only_error("model_name", model_name="digit recognition")
    assert "try 'digit_recognition'" in error["message"]


@pytest.mark.parametrize("blank", [None, "", "   "])
def test_blank_name_is_generated(blank):
    report = spec.check({**BASE, "model_name": blank})
    assert report.ok
    assert re.fullmatch(r"model-\d{8}-\d{6}-[0-9a-f]{4}", report.spec.model_name)
    assert spec.validate({**BASE, "model_name": report.spec.model_name}) == []


# ---- model_version ----------------------------------------------------------------------------------


@pytest.mark.parametrize("version", ["1.0.0", "0.0.1", "99.99.99", "10.0.5", "0.0.0"])
def test_valid_versions(version):
    assert spec.validate({**BASE, "model_version": version}) == []


@pytest.mark.parametrize("version", ["01.0.0", "100.0.0", "1.0", "1.0.0.0", "1.00.0", "a.b.c", "1.0.0 beta", "-1.0.0"])
def test_invalid_versions(version):
    error = only_error("model_version", model_version=version)
    assert error["message"] == (
        f"version must be three numbers 0–99 without leading zeros, like 1.0.0 — got {version}")


def test_missing_version_says_what_to_type():
    data = dict(BASE)
    del data["model_version"]
    (error,) = spec.validate(data)
    assert error["field"] == "model_version"
    assert "version is required" in error["message"] and "1.0.0" in error["message"]


# ---- description ------------------------------------------------------------------------------------


def test_description_rules():
    assert spec.validate({**BASE, "description": "x" * 100}) == []
    assert spec.check({**BASE, "description": ""}).spec.description is None
    long = only_error("description", description="x" * 101)
    assert "at most 100 characters" in long["message"] and "101 characters" in long["message"]
    for char in "!<>=&'\"":
        error = only_error("description", description=f"a {char} b")
        assert f"contains {char}" in error["message"]


# ---- model_type -------------------------------------------------------------------------------------


@pytest.mark.parametrize("model_type", [t.value for t in spec.ModelType])
def test_every_model_type_is_valid(model_type):
    data = {**BASE, "model_type": model_type}
    if model_type == "Custom":  # its image is its runtime
        data["runtime"] = "swr.cn-north-4.myhuaweicloud.com/my-org/my-server:1.0"
    assert spec.validate(data) == []


def test_caffe_is_accepted_and_the_seed_eight_are_there():
    names = {t.value for t in spec.ModelType}
    assert names == {"TensorFlow", "MXNet", "Spark_MLlib", "Scikit_Learn", "XGBoost", "MindSpore", "Image", "PyTorch",
                     "Caffe", "Custom"}


@pytest.mark.parametrize(
    "typed, meant",
    [("pytorch", "PyTorch"), ("sklearn", "Scikit_Learn"), ("tensorflow", "TensorFlow"), ("Tensorflow", "TensorFlow"),
     ("scikit-learn", "Scikit_Learn"), ("xgboost", "XGBoost"), ("Pytorch", "PyTorch"), ("Mindspore", "MindSpore"),
     ("Spark_Mllib", "Spark_MLlib"), ("torch", "PyTorch")],
)
def test_near_misses_get_did_you_mean(typed, meant):
    error = only_error("model_type", model_type=typed)
    assert f"did you mean '{meant}'?" in error["message"]
    assert error["type"] == "model_type_invalid"


def test_a_custom_model_needs_its_swr_image_as_runtime():
    assert only_error("runtime", model_type="Custom")["type"] == "custom_image_required"
    error = only_error("runtime", model_type="Custom", runtime="python3.6")
    assert error["type"] == "custom_image_invalid" and "<registry>/<organization>/<image>:<tag>" in error["message"]


@pytest.mark.parametrize("typed", ["Template", "Customize"])
def test_unsupported_types_say_so(typed):
    error = only_error("model_type", model_type=typed)
    assert error["type"] == "model_type_unsupported"
    assert "not supported by this import path" in error["message"]


def test_unknown_type_lists_the_choices():
    error = only_error("model_type", model_type="Banana")
    assert "TensorFlow" in error["message"] and "PyTorch" in error["message"] and "got Banana" in error["message"]


# ---- source location --------------------------------------------------------------------------------


@pytest.mark.parametrize("location", ["obs://my-bucket/dir/", "/my-bucket/dir/", "obs://bkt/a/b/c", "/bkt/d", "obs://b.k.t/x/"])
def test_valid_obs_paths(location):
    assert spec.validate({**BASE, "source_location": location}) == []


@pytest.mark.parametrize("location", ["s3://bucket/dir/", "obs://B/dir/", "bucket/dir", "obs://ab/dir/", "https://x.com/a",
                                      "obs://bucket//dir/", "/bkt/", "obs://bucket", "obs://bucket/a?b=1/",
                                      "/bucket/x#y/", "obs://bucket/%2e%2e/", "obs://bucket/a\tb/"])
def test_invalid_obs_paths(location):
    error = only_error("source_location", source_location=location)
    assert "obs://bucket/dir/ or /bucket/dir/" in error["message"]


def test_local_folder_given_as_obs_hints_local_source(tmp_path):
    error = only_error("source_location", source_location="./my_model")
    assert "LOCAL_SOURCE" in error["message"]


def test_local_source_must_exist(tmp_path):
    assert spec.validate({**BASE, "source_location_type": "LOCAL_SOURCE", "source_location": str(tmp_path)}) == []
    missing = only_error("source_location", source_location_type="LOCAL_SOURCE", source_location=str(tmp_path / "nope"))
    assert "does not exist" in missing["message"]
    (tmp_path / "file").write_text("x")
    a_file = only_error("source_location", source_location_type="LOCAL_SOURCE", source_location=str(tmp_path / "file"))
    assert "is a file, not a folder" in a_file["message"]


def test_source_location_type_rules():
    assert spec.check(BASE).spec.source_location_type is spec.SourceLocationType.OBS_SOURCE
    error = only_error("source_location_type", source_location_type="local_source")
    assert "did you mean LOCAL_SOURCE?" in error["message"]


def test_source_location_required():
    error = only_error("source_location", source_location="")
    assert "source location is required" in error["message"]


# ---- execution code ---------------------------------------------------------------------------------


def test_execution_code_inside_model_folder():
    ok = {**BASE, "execution_code": "obs://my-bucket/models/mnist/model/customize_service.py"}
    assert spec.validate(ok) == []
    slash = {**BASE, "execution_code": "/my-bucket/models/mnist/model/customize_service.py"}
    assert spec.validate(slash) == []
    elsewhere = only_error("execution_code", execution_code="obs://my-bucket/other/model/customize_service.py")
    assert "must sit in model/ of the source location" in elsewhere["message"]
    assert "obs://my-bucket/models/mnist/model/customize_service.py" in elsewhere["message"]
    wrong_name = only_error("execution_code", execution_code="obs://my-bucket/models/mnist/model/service.py")
    assert "customize_service.py" in wrong_name["message"]


def test_execution_code_local(tmp_path):
    data = {**BASE, "source_location_type": "LOCAL_SOURCE", "source_location": str(tmp_path)}
    assert spec.validate({**data, "execution_code": str(tmp_path / "model" / "customize_service.py")}) == []
    error = errors_of(**{**data, "execution_code": str(tmp_path / "customize_service.py")})
    assert list(error) == ["execution_code"]


# ---- source_type, job, runtime ----------------------------------------------------------------------


def test_source_type_only_auto_or_blank():
    assert spec.validate({**BASE, "source_type": "auto"}) == []
    assert spec.check({**BASE, "source_type": ""}).spec.source_type is None
    error = only_error("source_type", source_type="manual")
    assert "only be auto" in error["message"]


def test_runtime_known_gives_no_warning_unknown_gives_a_warning_not_an_error():
    report = spec.check({**BASE, "model_type": "PyTorch", "runtime": "python3.6"})
    assert report.ok and report.warnings == []
    unified = spec.check({**BASE, "model_type": "PyTorch",
                          "runtime": "pytorch_1.8.0-cuda_10.2-py_3.7-ubuntu_18.04-x86_64"})
    assert unified.ok and unified.warnings == []
    odd = spec.check({**BASE, "model_type": "PyTorch", "runtime": "python9.9"})
    assert odd.ok
    assert odd.warnings[0]["field"] == "runtime" and "python9.9" in odd.warnings[0]["message"]
    wrong_engine = spec.check({**BASE, "model_type": "PyTorch",
                               "runtime": "tensorflow_2.1.0-cuda_10.1-py_3.7-ubuntu_18.04-x86_64"})
    assert wrong_engine.ok and wrong_engine.warnings


def test_environment_is_the_runtime():
    report = spec.check({**BASE, "environment": "python3.7"})
    assert report.ok and report.spec.runtime == "python3.7"
    conflict = spec.validate({**BASE, "environment": "python3.7", "runtime": "python3.6"})
    assert conflict and "disagree" in conflict[0]["message"]


# ---- params -----------------------------------------------------------------------------------------


def param(**kw):
    return {"url": "/", "param_name": "images", "param_type": "number", **kw}


def test_param_valid_and_types():
    for ptype in ("string", "object", "array", "number", "integer", "file"):
        assert spec.validate({**BASE, "input_params": [param(param_type=ptype)]}) == []


def test_boolean_param_type_is_refused_as_the_service_does_with_what_to_use_instead():
    errors = spec.validate({**BASE, "input_params": [param(param_type="boolean")]})
    assert [e["field"] for e in errors] == ["input_params[0].param_type"]
    assert "no boolean type" in errors[0]["message"] and "integer (0/1)" in errors[0]["message"]


@pytest.mark.parametrize("alias, normal", [("int", "integer"), ("float", "number"), ("list", "array")])
def test_param_type_aliases_are_normalised_with_a_warning(alias, normal):
    report = spec.check({**BASE, "input_params": [param(), param(param_type=alias)]})
    assert report.ok
    assert report.spec.input_params[1].param_type.value == normal
    assert report.warnings == [{"field": "input_params[1].param_type",
                                "message": f"parameter type '{alias}' was read as '{normal}' (the JSON-schema name)"}]


def test_param_rules_each_at_its_path():
    errors = errors_of(input_params=[
        param(),
        param(url="predict"),
        param(param_name="", param_type="String"),
        param(param_name="x" * 65, min=5, max=1),
        param(param_type="string", min=0),
        param(param_desc="d" * 101, max="high"),
    ])
    assert "url must be a request path starting with /" in errors["input_params[1].url"]["message"]
    assert "parameter name is required" in errors["input_params[2].param_name"]["message"]
    assert "did you mean string?" in errors["input_params[2].param_type"]["message"]
    assert "at most 64 characters" in errors["input_params[3].param_name"]["message"]
    assert errors["input_params[3].max"]["message"] == "max must not be below min — got min 5, max 1"
    assert errors["input_params[3].max"]["type"] == "min_above_max"
    assert "only applies to number and integer" in errors["input_params[4].min"]["message"]
    assert "at most 100 characters" in errors["input_params[5].param_desc"]["message"]
    assert "max must be a number" in errors["input_params[5].max"]["message"]
    assert not any(field.startswith("input_params[0]") for field in errors)


def test_min_max_cross_rule_is_reported_with_field_errors_in_one_pass():
    errors = errors_of(model_version="1.0", input_params=[param(param_name="x" * 65, min=9, max=1)])
    assert {"model_version", "input_params[0].param_name", "input_params[0].max"} <= set(errors)


def test_params_object_and_dict_mix():
    report = spec.check({**BASE, "input_params": [spec.Params(url="/", param_name="a", param_type="string"), param()],
                         "output_params": [param(param_name="label", param_type="string")]})
    assert report.ok
    assert [p.param_name for p in report.spec.input_params] == ["a", "images"]


def test_seed_objects_check_themselves_in_the_rule_tables_words():
    with pytest.raises(ValueError) as info:
        spec.Params(url="/", param_name="x" * 65, param_type="number", min=2, max=1)
    text = str(info.value)
    assert "parameter name must be at most 64 characters" in text and "max must not be below min — got min 2, max 1" in text
    with pytest.warns(UserWarning, match="'int' was read as 'integer'"):
        normalised = spec.Params(url="/", param_name="n", param_type="int", min=0)
    assert normalised.param_type is spec.ParamType.integer
    with pytest.raises(ValueError, match="package name 'numpy', version '1.0', restraint EXACT"):
        spec.Packages(package_name="numpy==1.0")
    with pytest.raises(ValueError, match="restraint is required once a version is given"):
        spec.Packages(package_name="numpy", package_version="1.0")
    with pytest.raises(ValueError, match="min must be a number"):
        spec.Params(param_name="x", param_type="number", min="a")


def test_seed_objects_raise_spec_validation_error_with_field_paths():
    from model_import_widget.errors import SpecValidationError

    with pytest.raises(SpecValidationError) as info:
        spec.Params(url="/", param_name="", param_type="bogus")
    assert [(e["field"], e["type"]) for e in info.value.errors] == [("param_name", "string_too_short"),
                                                                    ("param_type", "enum")]
    with pytest.raises(SpecValidationError) as info:
        spec.Dependencies(installer="yum", packages=[])
    assert {e["field"] for e in info.value.errors} == {"installer", "packages"}
    assert "installer must be pip" in str(info.value)
    with pytest.raises(SpecValidationError) as info:
        spec.Schedule(time_unit="WEEKS", duration=0)
    assert {e["field"] for e in info.value.errors} == {"time_unit", "duration"}
    # nested in a model, rows keep being checked natively, at their own paths
    assert "input_params[0].param_type" in errors_of(input_params=[param(param_type="bogus")])


def test_bounds_must_be_finite_numbers():
    for bad in (True, "nan", float("inf"), "1e400"):
        errors = errors_of(input_params=[param(min=bad)])
        assert "min must be a number" in errors["input_params[0].min"]["message"], bad


@pytest.mark.parametrize("text, number", [("1", 1.0), ("-3", -3.0), ("0.5", 0.5), (".5", 0.5), ("5.", 5.0),
                                          ("+1", 1.0), ("-0", 0.0), ("1e3", 1000.0), ("1E-3", 0.001), (" 1 ", 1.0),
                                          ("1\u00a0", 1.0), ("\u30001.5\u2028", 1.5), ("007", 7.0)])
def test_a_bound_given_as_text_is_a_plain_number(text, number):
    report = spec.check({**BASE, "input_params": [param(min=text, max="1e6")]})
    assert report.ok, report.errors
    assert report.spec.input_params[0].min == number


@pytest.mark.parametrize("text", ["1_000", "\u0661\u0662", "\uff11", "0x10", "inf", "-Infinity", "NaN", "1e400",
                                  "1,000", "1 000", "\ufeff1", "1j", "e3", "."])
def test_a_bound_given_as_text_in_another_spelling_is_refused_in_words(text):
    for key in ("min", "max"):
        error = only_error(f"input_params[0].{key}", input_params=[param(**{key: text})])
        assert error["message"] == f"{key} must be a number like 0.5 or -3 — got {text}"
    # refused bounds take part in no rule between fields (no "min above max" for 1_000 against 1)
    assert list(errors_of(input_params=[param(min="1_000", max="1")])) == ["input_params[0].min"]
    assert list(errors_of(input_params=[param(param_type="string", min="0x10")])) == ["input_params[0].min"]


def test_bounds_given_as_numbers_from_code_still_work():
    made = spec.Params(param_name="x", param_type="number", min=0, max=1.5)
    assert (made.min, made.max) == (0.0, 1.5)
    assert spec.check({**BASE, "input_params": [param(min=-2, max=10**6)]}).ok
    with pytest.raises(SpecValidationError, match="max must not be below min"):
        spec.Params(param_name="x", param_type="number", min=2, max=1)


def test_the_browser_gets_the_number_spelling_and_the_strip_set():
    props = spec.ModelSpec.model_json_schema()["$defs"]["Param"]["properties"]
    assert props["min"]["x-number-pattern"] == spec.NUMBER_TEXT_PATTERN
    assert props["min"]["x-strip"] == props["param_name"]["x-strip"] == spec.STRIP_CHARS
    assert props["param_type"]["x-blank"] == spec.STRIP_CHARS
    assert "x-strip" not in props["param_type"]  # an enum's text is compared as typed: pydantic strips only str


def test_the_kernel_strips_exactly_strip_chars():
    """Over every code point but the surrogates, at both ends of text under the rule table's own model config."""
    from pydantic import BaseModel

    class Probe(BaseModel):
        model_config = spec._MODEL_CONFIG
        texts: list[str]

    chars = [chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF]
    stripped = Probe(texts=[f"{c}x{c}" for c in chars]).texts
    assert "".join(c for c, text in zip(chars, stripped) if text == "x") == spec.STRIP_CHARS
    assert all(text in ("x", f"{c}x{c}") for c, text in zip(chars, stripped))


@pytest.mark.parametrize("char", sorted(set(spec.STRIP_CHARS) | {"\ufeff", "\x1c", "\x1d", "\x1e", "\x1f", "\u200b"}))
def test_text_of_only_strip_chars_is_not_given(char):
    """A blank optional field is left out (a name is generated); the kernel's blank is STRIP_CHARS, not str.strip()."""
    errors = errors_of(model_name=char * 2, description=char)
    if char in spec.STRIP_CHARS:
        assert errors == {}
    else:
        assert set(errors) == {"model_name"}  # (a description may hold any of these)


def test_checking_does_not_change_the_callers_data():
    rows = [param(param_type="int")]
    packages = [{"package_name": "x", "package_version": 1.5, "restraint": "EXACT"}]
    data = {**BASE, "input_params": rows, "dependencies": [{"installer": "pip", "packages": packages}]}
    assert spec.check(data).ok
    assert rows[0]["param_type"] == "int" and packages[0]["package_version"] == 1.5


def test_an_obs_path_that_is_a_local_folder_gets_a_hint(tmp_path):
    report = spec.check({**BASE, "source_location": str(tmp_path)})
    assert report.ok  # /tmp/... is also a valid /bucket/dir/ form
    assert "set source_location_type to LOCAL_SOURCE" in report.warnings[0]["message"]


# ---- dependencies and packages ----------------------------------------------------------------------


def dep(*packages, installer="pip"):
    return {"installer": installer, "packages": list(packages)}


def test_seed_dependency_example():
    packages = [{"package_name": "numpy", "package_version": "1.15.0", "restraint": "EXACT"},
                {"package_name": "h5py", "package_version": "2.8.0", "restraint": "EXACT"}]
    dependency = spec.Dependencies(installer="pip", packages=packages)
    assert spec.validate({**BASE, "dependencies": [dependency]}) == []
    assert spec.validate({**BASE, "dependencies": [dep(*packages)]}) == []


def test_dependency_rules():
    errors = errors_of(dependencies=[
        dep({"package_name": "numpy"}, installer="conda"),
        dep(),
        dep({"package_name": "numpy>=1.15"}, {"package_name": "h5py", "package_version": "2.8.0"},
            {"package_name": "torch", "restraint": "EXACT"}, {"package_name": "pillow", "package_version": "not a version",
                                                             "restraint": "EXACT"},
            {"package_name": "six", "package_version": "1.0", "restraint": ">="}, {"package_name": "ba d"}),
    ])
    assert "installer must be pip" in errors["dependencies[0].installer"]["message"]
    assert "at least one package" in errors["dependencies[1].packages"]["message"]
    numpy = errors["dependencies[2].packages[0].package_name"]["message"]
    assert "package name 'numpy', version '1.15', restraint ATLEAST" in numpy
    assert errors["dependencies[2].packages[1].restraint"]["type"] == "restraint_required"
    assert errors["dependencies[2].packages[2].restraint"]["type"] == "restraint_without_version"
    assert "pip version like 1.15.0" in errors["dependencies[2].packages[3].package_version"]["message"]
    assert "did you mean ATLEAST?" in errors["dependencies[2].packages[4].restraint"]["message"]
    assert "pip distribution name" in errors["dependencies[2].packages[5].package_name"]["message"]


@pytest.mark.parametrize("version", ["1.15.0", "2.0.0rc1", "3.4.1.15", "0.11", "2023.5.5", "1.8.0+cpu", "1!2.0"])
def test_real_world_package_versions(version):
    assert spec.validate({**BASE, "dependencies": [dep({"package_name": "x", "package_version": version,
                                                         "restraint": "EXACT"})]}) == []


def test_empty_version_and_restraint_mean_absent():
    report = spec.check({**BASE, "dependencies": [dep({"package_name": "sklearn", "package_version": "", "restraint": ""})]})
    assert report.ok
    assert report.spec.dependencies[0].packages[0].package_version is None


def test_package_with_extras_is_a_valid_name():
    assert spec.validate({**BASE, "dependencies": [dep({"package_name": "ray[rllib]"})]}) == []


# ---- apis -------------------------------------------------------------------------------------------

API = {"protocol": "http", "url": "/", "method": "post",
       "request": {"Content-type": "multipart/form-data", "data": {"type": "object", "properties": {"images": {"type": "file"}}}},
       "response": {"Content-type": "application/json", "data": {"type": "object", "properties": {"label": {"type": "string"}}}}}


def test_apis_as_list_or_json_string():
    assert spec.validate({**BASE, "apis": [API]}) == []
    report = spec.check({**BASE, "apis": json.dumps([API])})
    assert report.ok and report.spec.apis[0].request.content_type == "multipart/form-data"
    assert report.spec.to_fields()["apis"][0]["request"]["Content-type"] == "multipart/form-data"


def test_apis_errors():
    bad_json = only_error("apis", apis="[{")
    assert "not valid JSON" in bad_json["message"] and "line 1" in bad_json["message"]
    errors = errors_of(apis=[{**API, "method": "put", "protocol": "ftp",
                              "request": {"Content-type": "text/xml", "data": {"type": "object"}}}])
    assert "post or get" in errors["apis[0].method"]["message"]
    assert "http or https" in errors["apis[0].protocol"]["message"]
    assert "Content-type" in errors["apis[0].request.Content-type"]["message"]
    two = only_error("apis", apis=[API, API])
    assert "only one API" in two["message"]
    assert spec.validate({**BASE, "model_type": "Image", "apis": [API, {**API, "url": "/health"}]}) == []


def test_procotol_typo_is_read_with_a_warning():
    api = {**API}
    api["procotol"] = api.pop("protocol")
    report = spec.check({**BASE, "apis": [api]})
    assert report.ok and report.spec.apis[0].protocol == "http"
    assert report.warnings[0]["field"] == "apis[0].protocol"


# ---- all at once, the reports, the schema -----------------------------------------------------------


def test_all_violations_at_once():
    errors = spec.validate({"model_name": "digit recognition", "model_version": "01.0.0", "model_type": "pytorch",
                            "source_location": "s3://x", "description": "<b>",
                            "input_params": [param(min=3, max=2)],
                            "dependencies": [dep({"package_name": "numpy", "package_version": "1.0"})]})
    fields = {e["field"] for e in errors}
    assert fields == {"model_name", "model_version", "model_type", "source_location", "description",
                      "input_params[0].max", "dependencies[0].packages[0].restraint"}
    for error in errors:
        assert set(error) == {"field", "type", "message"} and error["message"]


def test_unknown_field_is_an_error():
    error = only_error("modle_name", modle_name="x")
    assert "check the spelling" in error["message"]


def test_spec_validation_error_carries_the_errors():
    errors = spec.validate({**BASE, "model_version": "1"})
    exc = SpecValidationError(errors)
    assert isinstance(exc, ValueError) and exc.errors == errors
    assert "model_version" in str(exc)


def test_json_schema_carries_rules_and_messages_for_the_browser():
    schema = spec.ModelSpec.model_json_schema()
    props = schema["properties"]
    assert re.fullmatch(props["model_version"]["pattern"], "1.0.0")
    assert not re.fullmatch(props["model_version"]["pattern"], "01.0.0")
    assert "without leading zeros" in props["model_version"]["x-messages"]["pattern"]
    assert props["model_version"]["title"] == "Model Version" or props["model_version"]["description"].startswith("Version")
    assert set(schema["required"]) == {"model_version", "source_location", "model_type"}
    assert "Param" in schema["$defs"] and "Package" in schema["$defs"]
    restraint = schema["$defs"]["Restraint"]["enum"]
    assert restraint == ["EXACT", "ATLEAST", "ATMOST"]


def test_service_config_is_validated():
    config = spec.ServiceConfig(model_id="abc", weight=100, specification="modelarts.vm.cpu.2u", instance_count=1,
                                envs={"A": "1"})
    assert config.instance_count == 1
    with pytest.raises(ValueError):
        spec.ServiceConfig(model_id="abc", weight=101)
    with pytest.raises(ValueError):
        spec.ServiceConfig(model_id="abc", instance_count=6)


def test_seed_import_paths():
    from model_import_widget import Dependencies, Packages, Params, ServiceConfig
    from model_import_widget.sdk.config import model_config

    assert model_config.Params is Params is spec.Param
    assert model_config.Packages is Packages is spec.Package
    assert model_config.Dependencies is Dependencies is spec.Dependency
    assert model_config.ServiceConfig is ServiceConfig is spec.ServiceConfig


# ---- nothing crashes --------------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=80),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=20,
)
field_names = st.sampled_from(list(spec.ModelSpec.model_fields) + ["environment", "bogus"])
param_like = st.dictionaries(st.sampled_from(["url", "param_name", "param_type", "min", "max", "param_desc", "x"]),
                             json_values, max_size=6)
package_like = st.dictionaries(st.sampled_from(["package_name", "package_version", "restraint"]), json_values, max_size=3)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(field_names, json_values, max_size=10), st.lists(param_like, max_size=3),
       st.lists(st.fixed_dictionaries({"installer": json_values, "packages": st.lists(package_like, max_size=3)}), max_size=2))
def test_validation_never_crashes(data, params, dependencies):
    data = {**data, "input_params": params, "dependencies": dependencies}
    errors = spec.validate(data)
    assert isinstance(errors, list)
    for error in errors:
        assert isinstance(error["field"], str) and isinstance(error["message"], str) and error["message"]


@settings(max_examples=200, deadline=None)
@given(json_values)
def test_validation_of_any_value_never_crashes(value):
    assert isinstance(spec.validate({**BASE, "apis": value}), list)
    assert isinstance(spec.validate({**BASE, "input_params": value}), list)
