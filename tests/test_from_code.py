"""ModelImportForm.from_code: SDK code read back into a form, by parsing it; nothing in the code is ever run."""

from __future__ import annotations

import json
import re
import sys
import textwrap
import traceback
import warnings
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from model_import_widget import ModelImportForm, Session
from model_import_widget.errors import CodeReadError
from model_import_widget.widget.from_code import fields_from_code
from test_form import make_package, valid_form

README = Path(__file__).resolve().parents[1] / "README.md"
APIS = [{"protocol": "http", "url": "/", "method": "post",
         "request": {"Content-type": "multipart/form-data",
                     "data": {"type": "object", "properties": {"images": {"type": "file"}}}},
         "response": {"Content-type": "application/json",
                      "data": {"type": "object", "properties": {"label": {"type": "integer"}}}}}]


@pytest.fixture(autouse=True)
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("MODEL_IMPORT_WIDGET_HOME", str(tmp_path / "registry"))
    monkeypatch.setenv("MODEL_IMPORT_WIDGET_BACKEND", "embedded")
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    for name in ("HUAWEICLOUD_SDK_AK", "HUAWEICLOUD_SDK_SK", "MODEL_IMPORT_WIDGET_OBS_LOCATION"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path / "registry"


@pytest.fixture
def session(home):
    with Session(backend="embedded", home=home) as s:
        yield s


def problems(info) -> list[tuple]:
    return [(p["line"], p["field"]) for p in info.value.problems]


def assert_round_trip(form, session) -> ModelImportForm:
    again = ModelImportForm.from_code(form.to_code(), session)
    assert again.value == form.value
    assert again.to_code() == form.to_code()
    assert again.wait == form.wait
    return again


# ---- round trips -----------------------------------------------------------------------------------


def test_a_full_valid_form_comes_back_from_its_code(session, tmp_path):
    form = valid_form(session, make_package(tmp_path / "pkg"), model_type="PyTorch", description="digits model",
                      runtime="python3.6", execution_code=str(tmp_path / "pkg" / "model" / "customize_service.py"),
                      source_job_id="job-1", source_job_version="V002")
    form.fields["input_params"].value = [
        {"url": "/", "param_name": "images", "param_type": "file"},
        {"url": "/", "param_name": "x", "param_type": "number", "min": "0", "max": "1", "param_desc": "a fraction"},
        {"url": "/predict", "param_name": "n", "param_type": "integer", "min": "-3", "max": "0.5"}]
    form.fields["output_params"].value = [{"url": "/", "param_name": "label", "param_type": "integer", "min": "0",
                                           "max": "9"}]
    form.fields["dependencies"].value = [
        {"package_name": "numpy", "package_version": "1.24.4", "restraint": "ATLEAST"},
        {"package_name": "Pillow", "package_version": "8.0.1", "restraint": "EXACT"},
        {"package_name": "h5py"}]
    form.set_values({"apis": APIS})  # as the form writes apis itself (from a folder's config.json, say)
    form.fields["wait"].value = "false"
    assert form.errors == []
    code = form.to_code()
    assert "Params(url='/', param_name='x', param_type='number', min=0.0, max=1.0" in code  # as the SDK takes them
    again = assert_round_trip(form, session)
    assert again.wait is False and again.errors == []
    assert json.loads(again.fields["apis"].value) == APIS


def test_an_invalid_partial_form_comes_back_as_typed(session):
    form = ModelImportForm(session, model_name="digit recognition", model_version="01.0", apis="[{",
                           input_params=[{"param_name": "y", "param_type": "number", "min": "a", "max": "1e999"}],
                           dependencies=[{"package_name": "numpy>=1.0"}], description="a <b>")
    assert {e["field"] for e in form.errors} >= {"model_name", "model_version", "model_type", "apis"}
    again = assert_round_trip(form, session)
    assert again.errors == form.errors  # the same problems, at the same fields


def test_a_blank_form_and_an_obs_source_come_back(session):
    blank = ModelImportForm(session)
    again = ModelImportForm.from_code(blank.to_code(), session)
    assert again.to_code() == blank.to_code()  # the generated name the code imports with is kept, as written
    obs = ModelImportForm(session, model_name="digits", model_version="1.0.0", model_type="MXNet",
                          source_location="obs://bucket/digits/")
    assert obs.errors == [] and "source_location_type" not in obs.to_code()  # OBS_SOURCE, the default
    assert_round_trip(obs, session)


def test_apis_typed_by_hand_come_back_as_the_same_apis(session, tmp_path):
    form = valid_form(session, make_package(tmp_path / "pkg"), model_type="PyTorch", apis=json.dumps(APIS))
    again = ModelImportForm.from_code(form.to_code(), session)
    assert again.to_code() == form.to_code()
    assert json.loads(again.value["apis"]) == json.loads(form.value["apis"])  # (laid out as the form lays out JSON)


def test_a_modelarts_forms_obs_location_comes_back_and_its_placeholder_does_not(tmp_path):
    cloud = Session(backend="modelarts", access_key="AKFROMCODE", secret_key="not-in-the-code-456", region_name="cn-north-4")
    folder = make_package(tmp_path / "pkg")
    form = valid_form(cloud, folder, model_type="PyTorch")
    form.obs_location = "obs://bucket/uploads/"
    assert "obs_location='obs://bucket/uploads/'" in form.to_code()
    again = assert_round_trip(form, cloud)
    assert again.obs_location == "obs://bucket/uploads/"
    unset = valid_form(cloud, folder, model_type="PyTorch")
    assert 'obs_location="obs://<bucket>/<folder>/"' in unset.to_code()
    assert ModelImportForm.from_code(unset.to_code(), cloud).obs_location is None
    assert "not-in-the-code-456" not in form.to_code()


# ---- the code people have: the README's, the seed's, the vendor's ----------------------------------


def readme_sdk_example() -> str:
    blocks = re.findall(r"^( *)```python\n(.*?)^\1```", README.read_text(encoding="utf-8"), flags=re.S | re.M)
    (example,) = [textwrap.dedent(body) for _, body in blocks if "Model(" in body and "Params(" in body]
    return example


def test_the_readmes_sdk_example_is_read_its_model_id_load_passed_over(session, tmp_path):
    example = readme_sdk_example()
    assert "Model(session, model_id=model.model_id)" in example  # Method 1 beside it: loads, imports nothing
    assert fields_from_code(example) == {
        "model_name": "digit_recognition", "model_version": "1.0.0", "source_location_type": "LOCAL_SOURCE",
        "source_location": "./digits", "model_type": "MXNet", "model_algorithm": "image_classification",
        "input_params": [{"url": "/", "param_name": "images", "param_type": "file"}],
        "dependencies": [{"installer": "pip", "packages": [{"package_name": "numpy", "package_version": "1.15.0",
                                                             "restraint": "EXACT"}]}]}
    form = ModelImportForm.from_code(example, session)
    assert form.fields["source_location"].value == "./digits"  # taken as written
    assert form.fields["dependencies"].value == [{"package_name": "numpy", "package_version": "1.15.0",
                                                   "restraint": "EXACT"}]
    assert form.fields["installer"].value == "pip"


SEED_EXAMPLE = """\
from modelarts.session import Session
from modelarts.model import Model
session = Session()
model_instance = Model(session,
                       model_name = "digit recognition",
                       model_version = "1.0.0",
                       source_location = model_location,
                       model_type      = "MXNet",
                       model_algorithm = "image_classification")
"""
"""The seed's closing example (importing-a-model.rst, the note), as it is written."""

SEED_METHOD_2 = """\
from modelarts.session import Session
from modelarts.model import Model
from modelarts.config.model_config import ServiceConfig,Params,Dependencies,Packages
session = Session()
model_instance = Model(
                     session,
                     model_name="input model name",              # Model name
                     model_version="1.0.0",                      # Model version
                     source_location=model_location,             # OBS path to a model file
                     model_type="MXNet",                         # Model type
                     model_algorithm="image_classification",     # Model algorithm
                     execution_code="OBS_PATH",
                     input_params=input_params,                  # For details, see the input_params format description.
                     output_params=output_params,                # For details, see the output_params format description.
                     dependencies=dependencies,                  # For details, see the dependencies format description.
                     apis=apis)
"""


def test_the_seeds_example_names_its_variable_and_reads_once_it_is_written_out(session):
    with pytest.raises(CodeReadError) as info:
        fields_from_code(SEED_EXAMPLE)
    assert problems(info) == [(7, "source_location")]
    message = str(info.value)
    assert "line 7, source_location: model_location is a variable, not a literal value" in message
    assert "write the value itself" in message and "nothing in it was run" in message
    assert info.value.advice in message and "a variable is not followed" in info.value.advice
    written_out = SEED_EXAMPLE.replace("model_location", "'obs://bucket/digits/'")
    form = ModelImportForm.from_code(written_out, session)
    assert form.value == {"model_name": "digit recognition", "model_version": "1.0.0", "model_type": "MXNet",
                          "model_algorithm": "image_classification", "source_location_type": "OBS_SOURCE",
                          "source_location": "obs://bucket/digits/"}
    assert "contains a space" in form.fields["model_name"].error  # taken as written; the rule table says why


def test_every_variable_of_the_seeds_method_2_is_named_at_once():
    with pytest.raises(CodeReadError) as info:
        fields_from_code(SEED_METHOD_2)
    assert problems(info) == [(9, "source_location"), (13, "input_params"), (14, "output_params"),
                              (15, "dependencies"), (16, "apis")]
    assert "5 problem(s)" in str(info.value)


def test_the_seeds_definitions_and_the_vendors_runtime_read_when_written_in_the_call(session):
    code = """\
        from modelarts.config.model_config import Params as P, Dependencies, Packages
        import modelarts.model
        model = modelarts.model.Model(session=session, model_name="m", model_version="1.0.0",
                                      source_location="/bucket/m/", model_type="PyTorch",
                                      environment="python3.7",
                                      input_params=P(url="url", param_name="param_name", param_type="string"),
                                      dependencies=Dependencies(installer="pip", packages=[
                                          {"package_name": "numpy", "package_version": "1.15.0", "restraint": "EXACT"},
                                          Packages(package_name="h5py", package_version="2.8.0", restraint="EXACT")]))
    """
    fields = fields_from_code(textwrap.dedent(code))
    assert fields["runtime"] == "python3.7" and "environment" not in fields  # environment= is the runtime field
    assert fields["input_params"] == [{"url": "url", "param_name": "param_name", "param_type": "string"}]
    assert [p["package_name"] for g in fields["dependencies"] for p in g["packages"]] == ["numpy", "h5py"]
    form = ModelImportForm.from_code(textwrap.dedent(code), session)
    assert form.fields["environment"].value == "python3.7"


@pytest.mark.parametrize("imports, call", [
    ("from model_import_widget import Model as M", "M"),
    ("import model_import_widget.sdk.model as mm", "mm.Model"),
    ("from model_import_widget.sdk import model", "model.Model"),
    ("", "Model"),  # a snippet pasted without its import lines
])
def test_the_sdks_spellings_of_model(imports, call):
    code = f"{imports}\nm = {call}(session, model_version='1.0.0', source_location='/b/d/', model_type='MXNet')\n"
    assert fields_from_code(code)["model_type"] == "MXNet"


def test_a_model_from_another_library_is_not_read():
    code = "from tensorflow.keras import Model\nm = Model(inputs, outputs, name='x')\n"
    with pytest.raises(CodeReadError, match="no Model\\(...\\) call in the code \\(Model here is "
                                            "tensorflow.keras.Model, not the SDK's"):
        fields_from_code(code)


# ---- nothing is run --------------------------------------------------------------------------------


def test_nothing_in_the_code_is_run_imported_or_evaluated(session, tmp_path):
    marker = tmp_path / "ran"
    code = f"""\
import this_module_does_not_exist_anywhere
from os import system
open({str(marker)!r}, "w").write("top level ran")
system("touch {marker}-system")
exec("open({str(marker)!r} + '-exec', 'w')")
model = Model(
    session,
    model_name='digits',
    model_version='1.0.0',
    source_location=__import__('os').system('touch {marker}-value'),
    description=open({str(marker)!r} + '-open', 'w').write('x'),
    model_type='PyTorch',
)
"""
    with pytest.raises(CodeReadError) as info:
        ModelImportForm.from_code(code, session)
    assert list(tmp_path.glob("ran*")) == []  # no statement ran, no value was evaluated
    assert "this_module_does_not_exist_anywhere" not in sys.modules
    assert problems(info) == [(10, "source_location"), (11, "description")]
    message = str(info.value)
    assert "__import__(...).system(...) is a call, not a literal value" in message
    assert "open(...).write(...) is a call, not a literal value" in message
    assert str(marker) not in message  # a call's arguments are never quoted


# ---- what cannot be read, and how to fix it ---------------------------------------------------------


def test_a_syntax_error_names_its_line():
    with pytest.raises(CodeReadError) as info:
        fields_from_code("m = Model(\n    session,\n    model_name='x'\n    model_version='1.0.0',\n)\n")
    assert info.value.line == 3 and "this is not valid Python" in str(info.value)
    assert isinstance(info.value, ValueError)


def test_code_without_an_import_says_how_to_write_one():
    with pytest.raises(CodeReadError, match=r"no Model\(...\) call in the code: pass code that creates one, "
                                            r"Model\(session, model_name=..."):
        fields_from_code("print('hello')\n")
    with pytest.raises(CodeReadError, match="only loads an existing model") as info:
        fields_from_code("m = Model(session, model_id='abc')\nm.delete_model()\n")
    assert info.value.line == 1


def test_several_imports_are_refused_naming_their_lines():
    code = ("a = Model(session, model_version='1.0.0', source_location='/b/d/', model_type='MXNet')\n"
            "b = Model(session, model_version='1.0.1', source_location='/b/d/', model_type='MXNet')\n")
    with pytest.raises(CodeReadError, match=r"2 Model\(...\) calls create models \(lines 1, 2\); a form holds one"):
        fields_from_code(code)


@pytest.mark.parametrize("argument, field, words", [
    ("model_name=f'digits_{n}'", "model_name", "f'digits_{n}' is an f-string, not a literal value"),
    ("model_name=prefix + '_x'", "model_name", "prefix + '_x' is an expression"),
    ("model_name=names[0]", "model_name", "names[0] is an index"),
    ("model_name=cfg.name", "model_name", "cfg.name is an attribute"),
    ("model_name=['a']", "model_name", "model_name takes text, not ['a']"),
    ("environment=env", "environment", "An Environment object is not read: give its runtime as text"),
    ("input_params=[Params(url='/', param_name=name, param_type='string')]", "input_params[0].param_name",
     "name is a variable"),
    ("input_params=[Params('/', 'x', 'string')]", "input_params[0]", "Params(...) takes keywords only"),
    ("input_params=[Params(url='/', param_nmae='x')]", "input_params[0]", "Params has no 'param_nmae'"),
    ("input_params=[{'url': '/', 'param_name': 'x', 'param_type': 'string', 'evil': 1}]", "input_params[0]",
     "Params has no 'evil'"),
    ("input_params=['x']", "input_params[0]", "must be Params(...) or a dict, not 'x'"),
    ("input_params=5", "input_params", "is a list of Params(...) or dicts, not 5"),
    ("dependencies=[Dependencies(installer='pip', packages=pkgs)]", "dependencies[0].packages", "pkgs is a variable"),
    ("dependencies=[Dependencies(installer='pip')]", "dependencies[0]", "a dependency needs packages="),
    ("apis={1: 'x'}", "apis", "the keys of apis must be text"),
    ("apis=b'[]'", "apis", "apis cannot hold b'[]' (bytes)"),
    ("apis=3", "apis", "apis must be a list of APIs"),
    ("wait='yes'", "wait", "wait must be True or False"),
    ("initial_config={'model_type': 'MXNet'}", "initial_config", "the form has no initial_config field"),
    ("modle_name='x'", "modle_name", "Model() has no argument modle_name="),
    ("**fields", "", "**fields cannot be read without running the code"),
    ("environment='python3.6', runtime='python3.7'", "runtime", "runtime= and environment= (line 1) disagree"),
])
def test_what_is_not_read_is_named_with_its_line_and_how_to_fix_it(argument, field, words):
    code = f"m = Model(session, model_version='1.0.0', source_location='/b/d/', model_type='MXNet', {argument})\n"
    with pytest.raises(CodeReadError) as info:
        fields_from_code(code)
    assert problems(info) == [(1, field)]
    assert words in str(info.value)


def test_literal_values_are_taken_as_written(session):
    code = ("m = Model(session, model_name='x', model_version=1.10, source_location='~/pkg/../pkg', "
            "model_type='PyTorch', input_params=[{'url': '/', 'param_name': 'n', 'param_type': 'number', "
            "'min': -2, 'max': +0.5}], apis='[]', wait=False, description=None, publish=True)\n")
    fields = fields_from_code(code)
    assert fields["model_version"] == "1.10"  # the number's text, not float 1.1
    assert fields["source_location"] == "~/pkg/../pkg" and fields["description"] is None
    assert fields["input_params"][0]["min"] == -2 and fields["input_params"][0]["max"] == 0.5
    assert fields["wait"] is False and "publish" not in fields
    form = ModelImportForm.from_code(code, session)
    assert form.fields["input_params"].value[0]["min"] == "-2" and form.wait is False


def test_a_string_python_warns_about_is_read_quietly_even_where_warnings_are_errors():
    code = "m = Model(session, model_version='1.0.0', source_location='/b/d/', model_type='MXNet', description='a\\d')\n"
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a SyntaxWarning (invalid escape) would become a SyntaxError
        assert fields_from_code(code)["description"] == "a\\d"


def test_publish_false_is_not_a_field_and_a_warning_says_what_the_form_does_instead():
    code = "m = Model(session, publish=False, model_version='1.0.0', source_location='/b/d/', model_type='MXNet')\n"
    with pytest.warns(UserWarning, match=r"form.submit\(publish=False\) makes the local model"):
        assert "publish" not in fields_from_code(code)


def test_arguments_given_to_from_code_win_over_the_code(session):
    code = "m = Model(session, model_version='1.0.0', source_location='/b/d/', model_type='MXNet')\n"
    form = ModelImportForm.from_code(code, session, model_version="2.0.0", language="zh")
    assert form.fields["model_version"].value == "2.0.0" and form.language == "zh"
    assert form.fields["model_type"].value == "MXNet"


# ---- secrets ---------------------------------------------------------------------------------------

SECRETS = ("AKSECRETFROMCODE", "skSecretFromCode123", "pwSecretFromCode456", "tokSecretFromCode789")


def test_the_codes_credentials_are_never_read_kept_or_shown(session, home, tmp_path, capsys):
    ak, sk, password, token = SECRETS
    code = f"""\
from modelarts.session import Session
session = Session(access_key={ak!r}, secret_key={sk!r}, project_id="p", region_name="cn-north-4")
other = Session(username="me", password={password!r}, account="acct", security_token={token!r})
model = Model(Session(access_key={ak!r}, secret_key={sk!r}), model_name="digits", model_version="1.0.0",
              source_location="/bucket/digits/", model_type="MXNet")
"""
    form = ModelImportForm.from_code(code, session)
    assert form._session is session
    default = ModelImportForm.from_code(code)  # no session given: Session(), as any form makes it
    assert default._session.backend == "embedded" and Path(default._session.home) == home
    default.save_draft(), form.save_draft()
    shown = [form.to_code(), default.to_code(), repr(form), json.dumps(form.value),
             json.dumps(form.widget.get_state(), default=str), capsys.readouterr().out]
    shown += [p.read_text(errors="replace") for p in tmp_path.rglob("*") if p.is_file()]
    # an error in the same code: its message and its whole chain quote none of them either
    broken = code.replace('model_type="MXNet"', f"model_type=Session(access_key={ak!r}).kind")
    for bad in (broken, code.replace("region_name=", "region_name")):  # a non-literal; a syntax error on that line
        with pytest.raises(CodeReadError) as info:
            ModelImportForm.from_code(bad, session)
        shown += [str(info.value), repr(info.value.problems), "".join(traceback.format_exception(info.value))]
    assert "Session(...).kind is an attribute" in shown[-6]
    for secret in SECRETS:
        assert not any(secret in text for text in shown), secret


# ---- random input ----------------------------------------------------------------------------------

FRAGMENTS = ["Model(", "session", ", ", "model_name=", "model_version=", "source_location=", "apis=", "wait=",
             "input_params=", "dependencies=", "environment=", "Params(", "Dependencies(", "Packages(", "packages=",
             "url=", "min=", "'x'", "'1.0.0'", "1", "-", "2.5", "None", "True", "[", "]", "{", "}", ":", ")", "(",
             "f'{a}'", "**k", "*a", "\n", "=", "model_id=", "import modelarts.model as m\n", "m.Model(", "#", "\\",
             "\x00", "'", "\"\"\"", "lambda: 0", "...", "b''", "1j", "{'a': [1, {'b': None}]}"]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(max_size=300), st.lists(st.sampled_from(FRAGMENTS), max_size=40).map("".join)))
def test_random_code_is_read_or_refused_with_the_documented_error(source):
    try:
        fields = fields_from_code(source)
    except CodeReadError as error:
        assert error.problems and all(p["message"] for p in error.problems)
        return
    assert isinstance(fields, dict)


literal = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
                       lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner,
                                                                                     max_size=3), max_leaves=8)
KEYS = ["model_name", "model_version", "model_type", "source_location", "runtime", "description", "apis", "wait",
        "input_params", "dependencies", "source_type"]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(st.dictionaries(st.sampled_from(KEYS), st.one_of(st.text(max_size=20), literal), max_size=6))
def test_random_literal_arguments_make_a_form_or_the_documented_error(session, arguments):
    code = "m = Model(session, " + ", ".join(f"{key}={value!r}" for key, value in arguments.items()) + ")\n"
    try:
        form = ModelImportForm.from_code(code, session)
    except CodeReadError as error:
        assert error.problems
        return
    assert ModelImportForm.from_code(form.to_code(), session).to_code() == form.to_code()
