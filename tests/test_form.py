"""The import form driven from code, as a person drives it: set fields, read messages, submit to a registry in tmp_path."""

from __future__ import annotations

import json
import re
import shutil
import threading
import time
from pathlib import Path

import pytest

from model_import_widget import Model, ModelImportForm, ModelList, Session, spec
from model_import_widget.errors import (DuplicateModelError, ImportCancelledError, ImportFailedError, PackageError,
                                        SpecValidationError)
from model_import_widget.widget.fields import FieldTraits, TableTraits
from form_driver import button, click, import_blocked, import_enabled, notice, prompt, run_text, summary, type_in
from model_import_widget.spec import next_free_version

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "configs"
DETECTION = FIXTURES / "pytorch-object-detection.json"  # clean: PyTorch object_detection, four pinned packages


@pytest.fixture(autouse=True)
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("MODEL_IMPORT_WIDGET_HOME", str(tmp_path / "registry"))
    monkeypatch.setenv("MODEL_IMPORT_WIDGET_BACKEND", "embedded")
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    return tmp_path / "registry"


@pytest.fixture
def session(home):
    with Session(backend="embedded", home=home) as s:
        yield s


def make_package(root: Path, config: dict | Path | None = None, *, extra_files: int = 0) -> Path:
    model = root / "model"
    model.mkdir(parents=True)
    if isinstance(config, Path):
        shutil.copy(config, model / "config.json")
    else:
        (model / "config.json").write_text(json.dumps(config or {"model_type": "PyTorch", "model_algorithm": "image_classification"}))
    (model / "customize_service.py").write_text("class Service:\n    pass\n")
    (model / "weights.pth").write_bytes(b"w" * 4096)
    for index in range(extra_files):
        (model / f"part-{index:04d}.bin").write_bytes(index.to_bytes(4, "big") * 2048)
    return root


def valid_form(session, folder: Path, **more) -> ModelImportForm:
    form = ModelImportForm(session)
    form.fields["model_name"].value = "digits"
    form.fields["model_version"].value = "1.0.0"
    form.fields["source_location_type"].value = "LOCAL_SOURCE"
    form.fields["source_location"].value = str(folder)
    for key, value in more.items():
        form.fields[key].value = value
    return form


def messages(form) -> dict[str, str]:
    return {e["field"]: e["message"] for e in form.errors}


# ---- building --------------------------------------------------------------------------------------


def test_fields_in_the_seeds_order_with_labels_and_tooltips_from_the_rule_table(session):
    form = ModelImportForm(session)
    assert list(form.fields)[:5] == ["model_name", "model_version", "model_type", "model_algorithm", "description"]
    for key in ("source_location", "execution_code", "input_params", "output_params", "dependencies", "apis", "runtime"):
        assert key in form.fields
    assert form.fields["model_version"].label == "Version"
    assert "without leading zeros" in form.fields["model_version"].tooltip
    assert isinstance(form.fields["model_version"], FieldTraits)
    assert isinstance(form.fields["input_params"], TableTraits)
    schema = form.fields["model_version"].schema
    assert schema["required"] is True and re.fullmatch(schema["pattern"], "1.0.0")
    assert "without leading zeros" in schema["x-messages"]["pattern"]
    assert form.fields["model_type"].options[1:] == [t.value for t in spec.ModelType]


def test_an_empty_form_is_quiet_until_an_import_is_tried_then_lists_what_is_required(session):
    form = ModelImportForm(session)
    assert {e["field"] for e in form.errors} == {"model_version", "source_location", "model_type"}
    assert "version is required" in form.fields["model_version"].error  # the kernel knows (the browser hides it)
    # nothing tried yet: no list of problems, and Import can be clicked to find out what is missing
    assert summary(form) == "" and import_enabled(form) and not form.widget.attempted
    # the status line counts them, and names them in the screen's words
    assert form.widget.run["text"] == "Draft: 3 problems to fix before importing (Version, Model type, Source location)"
    click(form, "import")
    assert form.widget.attempted and not import_enabled(form)
    assert "Fix these before importing" in summary(form) and "Version: version is required" in summary(form)
    assert session.client.list_models()["total_count"] == 0
    with pytest.raises(SpecValidationError) as info:
        form.submit()
    assert info.value.errors == form.errors


# ---- live checks: every rule at its field ----------------------------------------------------------


def test_the_seeds_own_example_name_shows_an_error_and_a_valid_suggestion(session):
    form = ModelImportForm(session)
    form.fields["model_name"].value = "digit recognition"
    error = form.fields["model_name"].error
    assert "contains a space" in error and "try 'digit_recognition'" in error
    assert form.fields["model_name"].value == "digit recognition"  # nothing typed is lost
    form.fields["model_name"].value = "digit_recognition"
    assert form.fields["model_name"].error == ""


@pytest.mark.parametrize("key, typed, expected", [
    ("model_version", "1.0", "version must be three numbers 0–99 without leading zeros, like 1.0.0 — got 1.0"),
    ("model_version", "01.0.0", "— got 01.0.0"),
    ("model_type", "pytorch", "did you mean 'PyTorch'?"),
    ("model_type", "Template", "not supported by this import path"),
    ("model_algorithm", "1abc", "must start with a letter"),
    ("description", "a <b>", "contains <>"),
    ("source_type", "manual", "only be auto"),
    ("execution_code", "run.py", "customize_service.py"),
    ("apis", "[{", "not valid JSON"),
])
def test_each_field_rule_shows_at_its_field(session, tmp_path, key, typed, expected):
    form = valid_form(session, make_package(tmp_path / "pkg"), model_type="PyTorch")
    assert form.errors == []
    form.fields[key].value = typed
    assert expected in form.fields[key].error
    assert [e["field"] for e in form.errors] == [key]
    assert import_blocked(form)


def test_cross_field_rules_show_at_the_field_they_concern(session, tmp_path):
    folder = make_package(tmp_path / "pkg")
    form = valid_form(session, folder, model_type="PyTorch")
    form.fields["execution_code"].value = str(tmp_path / "elsewhere" / "customize_service.py")
    assert "must sit in model/ of the source location" in form.fields["execution_code"].error
    form.fields["execution_code"].value = str(folder / "model" / "customize_service.py")
    assert form.fields["execution_code"].error == ""
    form.fields["input_params"].value = [{"url": "/", "param_name": "x", "param_type": "number", "min": "5", "max": "1"}]
    assert form.fields["input_params"].errors == {"0.max": "max must not be below min — got min 5, max 1"}
    form.fields["dependencies"].value = [{"package_name": "numpy", "package_version": "1.15.0", "restraint": ""}]
    assert "restraint is required" in form.fields["dependencies"].errors["0.restraint"]
    assert {e["field"] for e in form.errors} == {"input_params[0].max", "dependencies[0].packages[0].restraint"}


def test_table_cells_are_checked_one_by_one(session, tmp_path):
    form = valid_form(session, make_package(tmp_path / "pkg"), model_type="PyTorch")
    form.fields["output_params"].value = [
        {"url": "/", "param_name": "ok", "param_type": "string"},
        {"url": "predict", "param_name": "", "param_type": "string", "min": "1"},
    ]
    errors = form.fields["output_params"].errors
    assert set(errors) == {"1.url", "1.param_name", "1.min"}
    assert "starting with /" in errors["1.url"] and "only applies to number" in errors["1.min"]
    form.fields["dependencies"].value = [{"package_name": "numpy>=1.0"}]
    assert "package name 'numpy', version '1.0', restraint ATLEAST" in form.fields["dependencies"].errors["0.package_name"]
    form.fields["installer"].value = "conda"
    assert "installer must be pip" in form.fields["installer"].error


def test_source_location_rules(session, tmp_path):
    form = valid_form(session, make_package(tmp_path / "pkg"), model_type="PyTorch")
    form.fields["source_location"].value = str(tmp_path / "missing")
    assert "does not exist" in form.fields["source_location"].error
    form.fields["source_location_type"].value = "OBS_SOURCE"
    form.fields["source_location"].value = "obs://My Bucket/x"
    assert "obs://bucket/dir/" in form.fields["source_location"].error


def test_blank_name_shows_the_name_that_will_be_generated(session):
    form = ModelImportForm(session)
    hint = form.fields["model_name"].hint
    generated = re.search(r"model-\d{8}-\d{6}-[0-9a-f]{4}", hint).group(0)
    # the grey text in the empty control says what happens; it is not a name that could pass for one typed in
    assert form.fields["model_name"].placeholder == "blank: a name is generated"
    assert form.fields["model_version"].placeholder == "e.g. 1.0.0"
    form.fields["model_version"].value = "1.0.0"
    assert generated in form.fields["model_name"].hint  # stable while typing
    form.fields["model_name"].value = "named"
    assert form.fields["model_name"].hint == ""


def test_warnings_do_not_block(session, tmp_path):
    form = valid_form(session, make_package(tmp_path / "pkg"), model_type="PyTorch", runtime="python9.9")
    assert form.errors == [] and import_enabled(form)
    assert "python9.9" in form.fields["runtime"].warning
    form.fields["model_type"].value = "TensorFlow"
    assert "tf1.13-python3.6-cpu" in form.fields["runtime"].options


def test_value_trait_and_setting_it_from_code(session, tmp_path):
    folder = make_package(tmp_path / "pkg")
    form = valid_form(session, folder, model_type="PyTorch")
    assert form.value == {"model_name": "digits", "model_version": "1.0.0", "model_type": "PyTorch",
                          "model_algorithm": "image_classification",  # filled from the folder's config.json
                          "source_location_type": "LOCAL_SOURCE", "source_location": str(folder)}
    form.value = {**form.value, "model_version": "2.0.0", "input_params": [{"url": "/", "param_name": "a", "param_type": "int"}]}
    assert form.fields["model_version"].value == "2.0.0"
    assert form.fields["input_params"].value[0]["param_type"] == "int"
    assert "read as 'integer'" in form.fields["input_params"].warning


# ---- prefill ---------------------------------------------------------------------------------------


def assert_prefilled(form, model_type, algorithm, inputs, packages):
    assert form.fields["source_location_type"].value == "LOCAL_SOURCE"
    assert form.fields["model_type"].value == model_type
    assert form.fields["model_algorithm"].value == algorithm
    assert [row["param_name"] for row in form.fields["input_params"].value] == inputs
    assert len(form.fields["dependencies"].value) == packages
    assert json.loads(form.fields["apis"].value)[0]["url"] == "/"


@pytest.mark.parametrize("name, model_type, algorithm, inputs, packages", [
    ("pytorch-object-detection.json", "PyTorch", "object_detection", ["images"], 4),
    ("tensorflow-tabs-atleast.json", "TensorFlow", "image_classification", ["images"], 9),
    ("mxnet-minified.json", "MXNet", "image_classification", ["images"], 0),
    ("mindspore-template.json", "MindSpore", "semantic_segmentation", ["images"], 0),
    ("pytorch-gbk-comments.json", "PyTorch", "image_classification", ["images"], 0),
])
def test_prefill_from_fixture_folders(session, tmp_path, name, model_type, algorithm, inputs, packages):
    form = ModelImportForm.from_folder(make_package(tmp_path / "pkg", FIXTURES / name), session)
    assert_prefilled(form, model_type, algorithm, inputs, packages)


@pytest.mark.parametrize("number, model_type, algorithm, inputs, packages", [
    (3, "PyTorch", "object_detection", ["images"], 4),
    (13, "TensorFlow", "image_classification", ["images"], 9),
    (22, "MXNet", "image_classification", ["images"], 0),
    (25, "MindSpore", "semantic_segmentation", ["images"], 0),
])
def test_prefill_from_corpus_folders(real_corpus, session, tmp_path, number, model_type, algorithm, inputs, packages):
    (config,) = real_corpus.glob(f"{number:02d}-*.json")
    form = ModelImportForm.from_folder(make_package(tmp_path / "pkg", config), session)
    assert_prefilled(form, model_type, algorithm, inputs, packages)


def test_prefill_shows_lint_beside_the_field(session, tmp_path):
    folder = tmp_path / "pkg"
    (folder / "model").mkdir(parents=True)
    (folder / "model" / "config.json").write_text('{"model_type": "PyTorch", // a comment\n "model_algorithm": "x"}')
    form = ModelImportForm.from_folder(folder, session)
    assert "customize_service.py" in form.fields["source_location"].error  # the import would fail: it blocks
    assert import_blocked(form)
    (folder / "model" / "customize_service.py").write_text("class Service:\n    pass\n")
    (folder / "model" / "my weights.pth").write_bytes(b"w")
    form.prefill_from_folder(folder)
    form._recheck()
    assert form.fields["source_location"].error == ""
    assert "space" in form.fields["source_location"].warning  # lint that does not block shows as a warning


def test_prefill_never_overwrites_what_the_user_typed_without_asking(session, tmp_path):
    folder = make_package(tmp_path / "pkg", DETECTION)
    form = ModelImportForm(session)
    form.fields["model_algorithm"].value = "my_algorithm"
    form.fields["source_location_type"].value = "LOCAL_SOURCE"
    form.fields["source_location"].value = str(folder)
    assert form.fields["model_algorithm"].value == "my_algorithm"
    assert form.fields["model_type"].value == "PyTorch"  # was empty: filled
    assert prompt(form, "prefill")["text"] == "config.json has other values for: Algorithm"  # the screen's words
    form.apply_prefill()
    assert form.fields["model_algorithm"].value == "object_detection"


def test_write_config_round_trips(session, tmp_path):
    folder = make_package(tmp_path / "pkg", DETECTION)
    form = ModelImportForm.from_folder(folder, session)
    form.fields["model_algorithm"].value = "object_detection2"
    out = form.write_config(tmp_path / "out" / "config.json")
    again = ModelImportForm.from_folder(folder, session)
    from model_import_widget import config_file

    written = config_file.load(out).fields
    assert written["model_algorithm"] == "object_detection2"
    assert written["model_type"] == "PyTorch"
    assert [p["package_name"] for g in written["dependencies"] for p in g["packages"]] == \
        [r["package_name"] for r in again.fields["dependencies"].value]


# ---- submit ----------------------------------------------------------------------------------------


def test_submit_imports_and_reports(session, tmp_path):
    form = valid_form(session, make_package(tmp_path / "pkg"), model_type="PyTorch")
    ended = []
    form.on_submit(ended.append)
    model = form.submit()
    assert isinstance(model, Model) and form.status == "published" and form.model_id == model.model_id
    assert ended == [form]
    assert model.get_model_info()["model_status"] == "published"
    assert model.model_id in run_text(form) and "Model(session, model_id=" in run_text(form)
    assert "published" in run_text(form).lower()
    assert any(e["event_info"] == "Model published" for e in model.get_model_events())
    assert "fraction" not in form.widget.run  # the progress bar goes once the import ends


def test_submit_wait_false_goes_on_in_the_background(session, tmp_path):
    form = valid_form(session, make_package(tmp_path / "pkg", extra_files=20), model_type="PyTorch")
    assert form.submit(wait=False) is None
    form._run.join(30)
    assert form.status == "published"


def test_duplicate_is_caught_before_sending_and_the_next_version_offered(session, tmp_path):
    form = valid_form(session, make_package(tmp_path / "pkg"), model_type="PyTorch")
    form.submit()
    again = valid_form(session, make_package(tmp_path / "pkg2"), model_type="PyTorch")
    with pytest.raises(DuplicateModelError):
        again.submit()
    assert "the next free version is 1.0.1" in again.fields["model_version"].error
    assert prompt(again, "version")["buttons"][0]["label"] == "Use version 1.0.1"
    click(again, "use_version")
    assert again.fields["model_version"].value == "1.0.1"
    assert again.submit().get_model_info()["model_version"] == "1.0.1"
    assert Model.get_model_list(session)["total_count"] == 2


def test_next_free_version():
    assert next_free_version("1.0.0", {"1.0.0"}) == "1.0.1"
    assert next_free_version("1.0.0", {"1.0.0", "1.0.1"}) == "1.0.2"
    assert next_free_version("1.0.99", {"1.0.99"}) == "1.1.0"
    assert next_free_version("1.99.99", set()) == "2.0.0"


def test_cancel_mid_copy_leaves_nothing_registered(session, tmp_path):
    form = valid_form(session, make_package(tmp_path / "pkg", extra_files=300), model_type="PyTorch")
    started = threading.Event()

    def cancel_once_copying(change):
        if "files" in change["new"].get("progress", "") and not started.is_set():
            started.set()
            form.cancel()

    form.widget.observe(cancel_once_copying, "run")
    with pytest.raises(ImportCancelledError):
        form.submit()
    assert form.status == "cancelled" and form.model_id == ""
    assert Model.get_model_list(session)["total_count"] == 0
    assert form.fields["model_version"].value == "1.0.0"  # the form keeps everything


def test_a_package_broken_after_it_was_chosen_is_refused_at_its_field_and_nothing_is_registered(session, tmp_path):
    folder = make_package(tmp_path / "pkg")
    form = valid_form(session, folder, model_type="PyTorch")
    (folder / "model" / "customize_service.py").unlink()  # the folder changed after it was chosen
    (folder / "model" / "config.json").unlink()
    with pytest.raises(SpecValidationError):  # the form reads the folder again before it imports
        form.submit()
    assert form.status == "draft" and form.model_id == ""
    message = form.fields["source_location"].error
    assert "model/config.json is missing" in message and "model/customize_service.py is missing" in message
    assert session.client.list_models()["total_count"] == 0
    click(form, "check_again")  # after fixing the files
    (folder / "model" / "config.json").write_text(json.dumps({"model_type": "PyTorch"}))
    (folder / "model" / "customize_service.py").write_text("class Service:\n    pass\n")
    assert form.submit().get_model_info()["model_version"] == "1.0.0"  # the same name and version


def test_failed_import_raises_after_the_form_shows_it(session, tmp_path):
    folder = make_package(tmp_path / "pkg")
    form = valid_form(session, folder, model_type="PyTorch")
    config = folder / "model" / "config.json"

    def rewrite_once(_form_progress):  # as a training job still writing the folder would, once the copy starts
        if config.read_text().startswith("{"):
            config.write_text("[]")

    original = session.client.create_model
    session.client.create_model = lambda fields, **kw: original(fields, **{**kw, "progress": _chain(kw, rewrite_once)})
    with pytest.raises(ImportFailedError):
        form.submit()
    assert form.status == "failed"
    assert "config.json" in run_text(form)


def _chain(kwargs, first):
    def both(progress):
        first(progress)
        if kwargs.get("progress"):
            kwargs["progress"](progress)
    return both


def test_to_code_makes_an_equal_model(session, tmp_path):
    folder = make_package(tmp_path / "pkg", DETECTION)
    form = ModelImportForm.from_folder(folder, session)
    form.fields["model_name"].value = "from_form"
    form.fields["model_version"].value = "1.0.0"
    form.fields["description"].value = "made by the form"
    by_form = form.submit().get_model_info()
    code = form.to_code().replace("model_version='1.0.0'", "model_version='1.0.1'")
    namespace: dict = {}
    exec(compile(code, "to_code", "exec"), namespace)
    by_code = namespace["model"].get_model_info()
    ignore = {"model_id", "model_version", "create_at"}
    assert {k: v for k, v in by_form.items() if k not in ignore} == {k: v for k, v in by_code.items() if k not in ignore}


def test_cloud_session_asks_before_submitting(monkeypatch, tmp_path):
    monkeypatch.delenv("MODEL_IMPORT_WIDGET_BACKEND")
    session = Session(access_key="AKFORMTEST", secret_key="not-shown-anywhere-123", region_name="cn-north-4")
    form = ModelImportForm(session)
    assert "ModelArts" in form.widget.header and "not-shown-anywhere-123" not in form.widget.header + form.widget.header_detail
    form.set_values({"model_version": "1.0.0", "source_location": "/bucket/dir/", "model_type": "PyTorch"})
    with pytest.raises(Exception, match="confirm"):
        form.submit()
    assert "This imports the model into" in prompt(form, "confirm")["text"]
    assert "Session()" in form.to_code() and "not-shown-anywhere-123" not in form.to_code()


def test_badge_says_which_backend(session):
    form = ModelImportForm(session)
    assert "Embedded registry" in form.widget.header and str(session.home) in form.widget.header
    assert form.widget.header_detail == session.describe()  # the full line, on hover


# ---- comfort ---------------------------------------------------------------------------------------


def test_chinese_labels_and_switching(session):
    form = ModelImportForm(session, language="zh")
    assert form.fields["model_version"].label == "版本"
    assert "版本必填" in form.fields["model_version"].schema["x-messages"]["required"]
    form.fields["model_version"].value = "01.0.0"
    assert form.fields["model_version"].error == "版本须为三个 0–99 的数字，不带前导零，例如 1.0.0（当前：01.0.0）"
    assert form.errors[0]["message"].startswith("version must be")  # the API stays in English
    form.fields["input_params"].value = [{"url": "/", "param_name": "x", "param_type": "number", "min": "2", "max": "1"}]
    assert form.fields["input_params"].errors["0.max"] == "最大值不能小于最小值（当前：min 2, max 1）"
    form.language = "en"
    assert form.fields["model_version"].label == "Version"
    assert form.fields["model_version"].error.startswith("version must be three numbers")
    assert button(form, "import")["label"] == "Import model"


def test_language_follows_the_locale(session, monkeypatch):
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    monkeypatch.delenv("LC_ALL", raising=False)
    monkeypatch.delenv("LC_MESSAGES", raising=False)
    assert ModelImportForm(session).language == "zh"


def test_draft_survives_a_restart(session, tmp_path):
    form = ModelImportForm(session)
    form.fields["model_name"].value = "draft_model"
    form.fields["input_params"].value = [{"url": "/", "param_name": "x", "param_type": "string"}]
    restored = ModelImportForm.restore(session)
    assert restored.fields["model_name"].value == "draft_model"
    assert restored.fields["input_params"].value[0]["param_name"] == "x"


def test_static_summary_for_the_saved_notebook(session, tmp_path):
    form = valid_form(session, make_package(tmp_path / "pkg"), model_type="PyTorch")
    form.submit()
    bundle = form._repr_mimebundle_()
    text = (bundle[0] if isinstance(bundle, tuple) else bundle)["text/plain"]
    assert "digits 1.0.0 (PyTorch)" in text and "published" in text and form.model_id in text


def test_model_list_browses_and_deletes(session, tmp_path):
    folder = make_package(tmp_path / "pkg")
    for version in ("1.0.0", "1.0.1", "1.0.2"):
        valid_form(session, folder, model_type="PyTorch", model_version=version).submit()
    browser = ModelList(session, page_size=2, language="en")
    assert browser.total_count == 3 and [m["model_version"] for m in browser.models] == ["1.0.2", "1.0.1"]
    browser._clicked("older")
    assert [m["model_version"] for m in browser.models] == ["1.0.0"]
    browser._clicked("newer")
    newest = browser.models[0]["model_id"]
    browser._clicked(f"delete:{newest}")  # asks first
    assert browser.total_count == 3 and browser.confirming == newest
    browser._clicked(f"confirm:{newest}")
    assert browser.total_count == 2 and browser.message == "Deleted digits 1.0.2" and browser.message_level == "success"
    assert [m["model_version"] for m in browser.models] == ["1.0.1", "1.0.0"]


def test_a_models_list_refreshes_when_the_form_beside_it_imports(session, tmp_path):
    shown = ModelList(session, language="en")
    assert shown.total_count == 0
    valid_form(session, make_package(tmp_path / "pkg"), model_type="PyTorch").submit()
    assert shown.total_count == 1  # the form's import ended: every list on the registry read it again


def test_language_toggle_and_config_button(session, tmp_path):
    form = ModelImportForm.from_folder(make_package(tmp_path / "pkg", DETECTION), session, language="en")
    click(form, "lang:zh")
    assert form.language == "zh" and form.fields["model_type"].label == "模型类型"
    assert form.widget.sections[0]["fields"][2]["label"] == "模型类型"  # what the browser draws
    assert button(form, "lang:en")["label"] == "English"
    assert button(form, "write_config") is not None
    click(form, "write_config")  # the package has a config.json: it asks first, in the form's language
    asked = prompt(form, "confirm")
    assert [b["label"] for b in asked["buttons"]] == ["替换 config.json", "取消"]
    assert asked["text"].endswith("已存在。要用表单中的内容替换它吗？表单未编辑的内容保持不变，旧文件保存在注册表目录中。")
    click(form, "confirm")
    assert notice(form).startswith("已写入 ") and "（旧文件保存在 " in notice(form) and prompt(form, "confirm") is None
    assert form.widget.run["text"] == "草稿：导入前还有 1 个问题需要修正（版本）"  # the status line too
    assert (tmp_path / "pkg" / "model" / "config.json").read_text().count('"model_type": "PyTorch"') == 1


# ---- what a demanding user would try -------------------------------------------------------------


def test_typing_a_path_does_not_walk_the_folders_on_the_way(session, tmp_path, monkeypatch):
    folder = make_package(tmp_path / "pkg", DETECTION)
    inspected = []
    original = ModelImportForm.prefill_from_folder
    monkeypatch.setattr(ModelImportForm, "prefill_from_folder", lambda self, f: inspected.append(str(f)) or original(self, f))
    form = ModelImportForm(session)
    form.fields["source_location_type"].value = "LOCAL_SOURCE"
    typed = str(folder)
    for end in range(1, len(typed) + 1):
        form.fields["source_location"].value = typed[:end]
    assert inspected == [typed]  # only the model package itself, once
    assert form.fields["model_type"].value == "PyTorch"


def test_write_config_keeps_what_the_form_does_not_edit(session, tmp_path):
    folder = make_package(tmp_path / "pkg", {"model_type": "PyTorch", "model_algorithm": "a",
                                             "metrics": {"accuracy": 0.9}, "health": {"url": "/health"}})
    form = ModelImportForm.from_folder(folder, session)
    form.fields["model_algorithm"].value = "image_classification"
    with pytest.raises(FileExistsError, match="overwrite=True"):  # asks first
        form.write_config()
    assert json.loads((folder / "model" / "config.json").read_text())["model_algorithm"] == "a"
    form.write_config(overwrite=True)
    written = json.loads((folder / "model" / "config.json").read_text())
    assert written["metrics"] == {"accuracy": 0.9} and written["health"]["url"] == "/health"
    assert written["model_algorithm"] == "image_classification"
    backup = form.last_config_backup  # kept in the registry's home, never in the package the next import copies
    assert backup.parent == Path(session.home) / "config-backups"
    assert json.loads(backup.read_text())["model_algorithm"] == "a"
    assert sorted(p.name for p in (folder / "model").iterdir()) == ["config.json", "customize_service.py", "weights.pth"]


def test_write_config_never_writes_through_a_link(session, tmp_path):
    folder = make_package(tmp_path / "pkg")
    precious = tmp_path / "bashrc"
    precious.write_text("export IMPORTANT=1\n")
    config = folder / "model" / "config.json"
    config.unlink()
    config.symlink_to(precious)
    form = ModelImportForm.from_folder(folder, session)
    with pytest.raises(ValueError, match="symbolic link"):
        form.write_config(overwrite=True)
    assert precious.read_text() == "export IMPORTANT=1\n" and config.is_symlink()
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    linked = tmp_path / "pkg2"
    linked.mkdir()
    (linked / "model").symlink_to(outside)
    form.fields["source_location"].value = str(linked)
    with pytest.raises(ValueError, match="outside the package"):
        form.write_config(overwrite=True)
    assert list(outside.iterdir()) == []


def test_the_write_config_button_asks_before_replacing(session, tmp_path):
    folder = make_package(tmp_path / "pkg", {"model_type": "PyTorch", "model_algorithm": "a"})
    form = ModelImportForm.from_folder(folder, session)
    form.fields["model_algorithm"].value = "image_classification"
    click(form, "write_config")
    assert json.loads((folder / "model" / "config.json").read_text())["model_algorithm"] == "a"  # not yet
    asked = prompt(form, "confirm")
    assert "exists" in asked["text"] and asked["buttons"][0]["label"] == "Replace config.json"
    click(form, "confirm")
    assert json.loads((folder / "model" / "config.json").read_text())["model_algorithm"] == "image_classification"
    assert "the old one is kept at" in notice(form)


def test_a_cloud_form_shows_where_models_go_without_building_a_client(monkeypatch):
    monkeypatch.delenv("MODEL_IMPORT_WIDGET_BACKEND")
    session = Session(access_key="AKFORMTEST", secret_key="not-shown-anywhere-123", region_name="cn-north-4")
    form = ModelImportForm(session)
    assert "ModelArts" in form.widget.header and "cn-north-4" in form.widget.header
    assert "explicit credentials" in form.widget.header
    assert session._client is None  # showing the form sent nothing and built no network client
    assert "not-shown-anywhere-123" not in json.dumps(form.widget.get_state(), default=str)  # nor in any trait
    no_region = ModelImportForm(Session(access_key="AKFORMTEST", secret_key="not-shown-anywhere-123"))
    assert "no region" in no_region.widget.header and "HUAWEICLOUD_SDK_REGION" in no_region.widget.header


def test_status_is_copying_until_the_files_are_in(session, tmp_path, monkeypatch):
    from model_import_widget.registry.backend import EmbeddedRegistry

    checked = EmbeddedRegistry._check_package

    def slow_check(self, job, stored):  # the package check after the copy takes a while, as a big config does
        time.sleep(0.6)
        return checked(self, job, stored)

    monkeypatch.setattr(EmbeddedRegistry, "_check_package", slow_check)
    form = valid_form(session, make_package(tmp_path / "pkg", extra_files=150), model_type="PyTorch")
    seen = []
    form.observe(lambda change: seen.append((change["new"], form.widget.run.get("progress", ""))), "status")
    form.submit()
    assert [status for status, _ in seen] == ["copying", "publishing", "published"]
    files = len(list((tmp_path / "pkg").rglob("*.*")))
    assert seen[1][1].startswith(f"{files}/{files} files")  # publishing only once every file is copied


def test_a_new_untouched_form_does_not_overwrite_the_draft(session):
    form = ModelImportForm(session)
    form.fields["model_name"].value = "keep_me"
    form.save_draft()
    ModelImportForm(session).save_draft()  # untouched
    assert ModelImportForm.restore(session).fields["model_name"].value == "keep_me"


def test_after_a_duplicate_the_summary_says_so(session, tmp_path):
    valid_form(session, make_package(tmp_path / "pkg"), model_type="PyTorch").submit()
    again = valid_form(session, make_package(tmp_path / "pkg2"), model_type="PyTorch")
    click(again, "import")
    assert "exists already" in summary(again) and not import_enabled(again)


def test_environment_is_the_runtime_field(session):
    form = ModelImportForm(session, environment="python3.6")
    assert form.fields["environment"] is form.fields["runtime"]
    assert form.fields["runtime"].value == "python3.6"
    with pytest.raises(KeyError, match="the fields are"):
        form.fields["modle_name"]


def test_runtimes_offered_for_every_engine(session):
    form = ModelImportForm(session, model_type="MindSpore")
    assert "mindspore_2.0.0-cann_6.3.0-py_3.7-euler_2.8.3-aarch64" in form.fields["runtime"].options


def test_submit_publish_false_makes_a_local_model_then_publish_model_imports_it(session, tmp_path):
    form = valid_form(session, make_package(tmp_path / "pkg"), model_type="PyTorch")
    model = form.submit(publish=False)
    assert form.status == "local" and "registered nowhere" in run_text(form)
    assert model.is_local and model.get_model_id().startswith("local-")
    assert session.client.list_models()["total_count"] == 0
    assert model.publish_model()["model_status"] == "published"
    assert [m["model_id"] for m in session.client.list_models()["models"]] == [model.get_model_id()]


def test_the_code_waits_as_the_wait_box_says(session, tmp_path):
    form = valid_form(session, make_package(tmp_path / "pkg"), model_type="PyTorch")
    assert "    wait=True,\n" in form.to_code() and "publish=" not in form.to_code()
    form.fields["wait"].value = "false"
    assert "    wait=False,\n" in form.to_code()
    restored_from_old_draft = ModelImportForm(session, publish=False)  # what drafts saved before wait= hold
    assert restored_from_old_draft.wait is False


def test_a_new_folder_replaces_what_the_last_folder_filled_in_and_clears_what_it_lacks(session, tmp_path):
    detection = make_package(tmp_path / "detection", DETECTION)
    form = ModelImportForm.from_folder(detection, session)
    assert form.fields["model_algorithm"].value == "object_detection" and form.fields["dependencies"].value
    bare = tmp_path / "bare"
    (bare / "model").mkdir(parents=True)
    (bare / "model" / "config.json").write_text(json.dumps({"model_type": "TensorFlow"}))
    form.fields["source_location"].value = str(bare)
    assert form.fields["model_type"].value == "TensorFlow"  # the new folder's, replacing the last one's
    assert form.fields["model_algorithm"].value == "" and form.fields["dependencies"].value == []  # not this model's
    assert form.fields["apis"].value == ""


def test_what_the_user_typed_is_kept_when_another_folder_is_chosen(session, tmp_path):
    form = ModelImportForm.from_folder(make_package(tmp_path / "a", DETECTION), session)
    form.fields["model_algorithm"].value = "my_own_words"
    form.fields["source_location"].value = str(make_package(tmp_path / "b", {"model_type": "PyTorch"}))
    assert form.fields["model_algorithm"].value == "my_own_words"


def test_a_package_fixed_on_disk_is_checked_again_from_the_form(session, tmp_path):
    folder = tmp_path / "bare"
    (folder / "model").mkdir(parents=True)
    (folder / "model" / "weights.pth").write_bytes(b"w" * 100)
    form = valid_form(session, folder, model_type="PyTorch")
    message = form.fields["source_location"].error
    assert message.count("model/config.json") == 1 and "model/customize_service.py is missing" in message
    assert import_blocked(form) and button(form, "check_again") is not None
    (folder / "model" / "config.json").write_text(json.dumps({"model_type": "PyTorch"}))
    (folder / "model" / "customize_service.py").write_text("class Service:\n    pass\n")
    click(form, "check_again")
    assert form.errors == [] and import_enabled(form)
    assert button(form, "check_again") is None


def test_the_backends_package_refusal_lands_at_the_folder_and_leaves_import_clickable(session, tmp_path):
    form = valid_form(session, make_package(tmp_path / "pkg"), model_type="PyTorch")
    form._show_backend_error(PackageError([{"path": "model/config.json", "message": "model/config.json is missing"},
                                           {"path": None, "message": "another problem"}], "pkg"))
    assert form.fields["source_location"].error == "model/config.json is missing; another problem"
    assert [e["field"] for e in form.errors] == ["source_location", "source_location"]
    assert import_enabled(form)


def test_the_folder_picker_browses_from_the_kernel_and_fills_the_source(session, tmp_path, monkeypatch):
    folder = make_package(tmp_path / "projects" / "digits", DETECTION)
    (tmp_path / "projects" / ".hidden").mkdir()
    (tmp_path / "projects" / "notes.txt").write_text("a file, not listed")
    monkeypatch.chdir(tmp_path)
    form = ModelImportForm(session, source_location_type="LOCAL_SOURCE")
    click(form, "pick")
    assert form.widget.picker["path"] == str(tmp_path) and button(form, "pick") is None
    assert [e["name"] for e in form.widget.picker["entries"]] == ["projects"]
    click(form, "pick:open:projects")
    assert form.widget.picker["entries"] == [{"name": "digits", "package": True}]  # hidden and files left out
    click(form, "pick:open:../../etc")  # not one of the folders shown: ignored
    assert form.widget.picker["path"] == str(tmp_path / "projects")
    click(form, "pick:open:digits")
    assert form.widget.picker["package"] is True
    click(form, "pick:choose")
    assert form.widget.picker == {} and form.fields["source_location"].value == str(folder)
    assert form.fields["model_type"].value == "PyTorch"  # chosen as if typed: filled in from the folder
    click(form, "pick")
    click(form, "pick:up")
    assert form.widget.picker["path"] == str(tmp_path / "projects")
    click(form, "pick:close")
    assert form.widget.picker == {}


def test_on_submit_callbacks_register_once_can_be_removed_and_a_failing_one_is_shown(session, tmp_path):
    form = valid_form(session, make_package(tmp_path / "pkg"), model_type="PyTorch")
    calls = []

    def broken(_form):
        raise RuntimeError("callback broke")

    form.on_submit(calls.append)
    form.on_submit(calls.append)  # registered once
    form.on_submit(broken)
    form.on_submit(lambda f: calls.append("removed"), remove=True)  # never registered: nothing to remove
    form.submit()
    assert calls == [form] and "callback broke" in notice(form)
    form.on_submit(calls.append, remove=True)
    assert form._submit_callbacks.callbacks == [broken]


def test_an_edit_from_the_browser_is_checked_and_answered_with_its_messages(session, tmp_path):
    form = valid_form(session, make_package(tmp_path / "pkg"), model_type="PyTorch")
    type_in(form, "model_version", "01.0.0")
    assert form.fields["model_version"].value == "01.0.0" and form.widget.answered == 1
    assert "— got 01.0.0" in form.widget.messages["model_version"]["error"]  # in the same update as the answer
    assert import_blocked(form)
    type_in(form, "input_params", [{"url": "/", "param_name": "x", "param_type": "number", "evil": "dropped"}])
    assert form.fields["input_params"].value == [{"url": "/", "param_name": "x", "param_type": "number"}]
    form.busy = True  # while an import runs, the fields take no edit
    type_in(form, "model_version", "2.0.0")
    assert form.fields["model_version"].value == "01.0.0" and form.widget.answered == 3


def test_suggested_version_is_there_before_any_duplicate(session):
    form = ModelImportForm(session)
    assert form.suggested_version == ""  # readable (empty) before a duplicate is found, not an AttributeError


def test_the_saved_summary_of_a_blank_form_says_what_is_missing_in_words(session):
    text = ModelImportForm(session).summary_text()
    assert "(no version yet)" in text and "(no model type yet)" in text and "?" not in text


def test_the_code_names_a_home_only_when_the_user_chose_one(tmp_path, monkeypatch):
    monkeypatch.setenv("MODEL_IMPORT_WIDGET_HOME", str(tmp_path / "found-home"))
    found = ModelImportForm(Session(backend="embedded")).to_code()
    assert 'session = Session(backend="embedded")\n' in found and str(tmp_path) not in found  # no local path
    chosen = ModelImportForm(Session(backend="embedded", home=tmp_path / "chosen")).to_code()
    assert f'session = Session(backend="embedded", home={str(tmp_path / "chosen")!r})' in chosen


def test_path_suggestions_offer_the_package_folder_never_its_model_folder(session, tmp_path):
    """Suggesting …/digits/model sent people one level too deep: the source is the folder that contains model/."""
    make_package(tmp_path / "work" / "digits")
    (tmp_path / "work" / "notes").mkdir()
    make_package(tmp_path / "work" / "zoo")
    form = ModelImportForm(session)
    form.set_values({"source_location_type": "LOCAL_SOURCE", "source_location": str(tmp_path / "work") + "/"})
    offered = form.fields["source_location"].options
    assert offered == [str(tmp_path / "work" / n) for n in ("digits", "zoo", "notes")]  # packages first
    form.fields["source_location"].value = str(tmp_path / "work" / "digits")
    assert not any(o.endswith("/model") for o in form.fields["source_location"].options)


def test_every_choice_of_a_drop_down_says_what_it_means(session):
    form = ModelImportForm(session, language="en")
    fields = {f["key"]: f for s in form.widget.sections for f in s["fields"]}
    assert fields["source_type"]["option_labels"] == {"": "none: a model you trained or wrote",
                                                      "auto": "auto: made by ExeML (automatic learning)"}
    assert set(fields["source_location_type"]["option_labels"]) == set(fields["source_location_type"]["options"])
    restraint = next(c for c in fields["dependencies"]["columns"] if c["key"] == "restraint")
    assert restraint["option_labels"][""] == "any version"
    chinese = {f["key"]: f for s in ModelImportForm(session, language="zh").widget.sections for f in s["fields"]}
    assert all(not label.isascii() for label in chinese["source_type"]["option_labels"].values())


def test_clicking_import_marks_an_import_tried_so_the_browser_shows_every_error(session):
    form = ModelImportForm(session)
    type_in(form, "model_name", "digits")
    form.fields["model_version"].value = "1.0.0"
    assert form.widget.attempted is False  # a new form, edited or not: blank fields' errors wait in the browser
    assert "source location is required" in form.fields["source_location"].error  # (the kernel knows them)
    click(form, "import")
    assert form.widget.attempted is True
    assert form.widget.get_state()["attempted"] is True  # synced to the browser
    assert {e["field"] for e in form.errors} == {"source_location", "model_type"}  # the click imported nothing


def test_a_taken_version_is_found_as_it_is_typed_on_the_embedded_registry(session, tmp_path):
    folder = make_package(tmp_path / "pkg")
    valid_form(session, folder, model_type="PyTorch").submit()  # digits 1.0.0
    form = valid_form(session, folder, model_type="PyTorch", model_version="1.0.1")
    assert form.errors == [] and prompt(form, "version") is None
    form.fields["model_version"].value = "1.0.0"
    assert "digits 1.0.0 exists already" in form.fields["model_version"].error  # before any click
    assert prompt(form, "version")["buttons"][0]["label"] == "Use version 1.0.1"
    assert form.widget.run["text"] == "Draft: 1 problem to fix before importing (Version)"
    click(form, "use_version")
    assert form.fields["model_version"].value == "1.0.1" and form.errors == [] and prompt(form, "version") is None


def test_after_an_import_the_form_waits_for_a_change_and_the_code_and_notices_follow_it(session, tmp_path):
    form = valid_form(session, make_package(tmp_path / "pkg"), model_type="PyTorch")
    click(form, "code")
    assert "model_version='1.0.0'" in form.widget.code or 'model_version="1.0.0"' in form.widget.code
    form.fields["model_version"].value = "1.0.3"
    assert "1.0.3" in form.widget.code  # the code shown follows the form
    form.widget.notice = {"text": "The code is in a new cell below the form.", "level": ""}
    form.submit()
    assert form.status == "published" and not import_enabled(form)  # a second click would only find it taken
    form.fields["model_version"].value = "1.0.4"
    assert form.status == "draft" and import_enabled(form) and form.widget.notice == {}


def test_switching_language_shows_the_imports_events_in_the_new_one(session, tmp_path):
    form = valid_form(session, make_package(tmp_path / "pkg"), model_type="PyTorch")
    form.submit()
    assert form.widget.run["events"][-1]["info"] == "Model published"
    click(form, "lang:zh")
    assert form.widget.run["events"][-1]["info"] == "模型已发布" and form.widget.run["text"] == "已发布 digits 1.0.0"
    assert "已发布" in form._static_summary()
    click(form, "lang:en")
    assert form.widget.run["events"][-1]["info"] == "Model published"


def test_the_packages_the_code_imports_are_offered_pinned_and_land_in_the_table(session, tmp_path):
    import importlib.metadata as metadata

    from model_import_widget.widget import i18n

    folder = make_package(tmp_path / "pkg")
    service = folder / "model" / "customize_service.py"
    service.write_text(service.read_text() + "\nimport yaml\nimport traitlets\nimport no_such_module_anywhere\n")
    i18n.MISSING.clear()
    for language in ("en", "zh"):
        form = ModelImportForm.from_folder(folder, session, language=language)
        offered = prompt(form, "dependencies")
        assert f"PyYAML {metadata.version('PyYAML')}" in offered["text"] and "no_such_module_anywhere" in offered["text"]
    assert i18n.MISSING == set()
    click(form, "add_dependencies")
    rows = {r["package_name"]: r for r in form.fields["dependencies"].value}
    assert rows["PyYAML"] == {"package_name": "PyYAML", "package_version": metadata.version("PyYAML"),
                              "restraint": "ATLEAST"}
    assert "traitlets" in rows and "no_such_module_anywhere" not in rows and prompt(form, "dependencies") is None
    assert not [e for e in form.errors if e["field"].startswith("dependencies")]
    again = ModelImportForm.from_folder(folder, session, language="en")
    click(again, "skip_dependencies")
    assert prompt(again, "dependencies") is None and again.fields["dependencies"].value == []
