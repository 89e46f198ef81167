"""What a person sees and does with the form's front end (FormView: one anywidget) in a real JupyterLab.

One notebook holds a version field (the rule table's real schema fragment, with a kernel-side observer that
stands in for the form's kernel check), a parameter table, one field of each kind, and fields that each
check one value the browser must word exactly as the kernel does — each drawn by FormView from the state the
form would give it.
"""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import Locator, Page, expect

from model_import_widget import spec

from .conftest import COLOR_OF, OpenNotebook, wait_until

pytestmark = pytest.mark.slow

SCHEMA = spec.ModelSpec.model_json_schema()
DEFS = SCHEMA["$defs"]
VALID = {"model_name": "digits", "model_version": "1.0.0", "source_location": "obs://bucket/dir/",
         "model_type": "MXNet"}


def kernel_message(field: str, value) -> str:
    """What the kernel's rule table says about `value` in `field` (a dotted path for table cells)."""
    data = dict(VALID)
    if field.startswith("input_params."):
        data["input_params"] = [{"param_name": "x", "param_type": "number", **{field.split(".")[1]: value}}]
        field = f"input_params[0].{field.split('.')[1]}"
    else:
        data[field] = value
    errors = [e for e in spec.validate(data) if e["field"] == field]
    assert len(errors) == 1, errors
    return errors[0]["message"]


def resolved(prop: dict) -> dict:
    """A property with its enum $ref folded in, as the form hands it to the browser."""
    prop = dict(prop)
    ref = prop.pop("$ref", None)
    return {**DEFS[ref.split("/")[-1]], **prop} if ref else prop


PROPS = SCHEMA["properties"]
PARAM = DEFS["Param"]["properties"]
VERSION_MESSAGE = "version must be three numbers 0–99 without leading zeros, like 1.0.0 — got 01.0.0"

# (schema fragment, value, message the browser must show): the kernel's own words wherever it has a rule.
CHECK_CASES = [
    (PROPS["model_version"], "01.0.0", kernel_message("model_version", "01.0.0")),
    (PROPS["model_version"], "é" * 50, kernel_message("model_version", "é" * 50)),            # 40-char cut
    (PROPS["source_job_id"], "x" * 70, kernel_message("source_job_id", "x" * 70)),              # anyOf + maxLength
    (PROPS["execution_code"], "model/run.py", kernel_message("execution_code", "model/run.py")),  # anyOf + pattern
    (PROPS["execution_code"], "model/customize_service.py", ""),
    (resolved(PROPS["source_location_type"]), "FTP", kernel_message("source_location_type", "FTP")),  # enum
    (PROPS["source_type"], "manual", kernel_message("source_type", "manual")),                 # const in anyOf
    (PARAM["min"], "abc", kernel_message("input_params.min", "abc")),                          # type number
    (PARAM["min"], "-1.5e3", ""),
    (PARAM["param_name"], "", ""),                        # blank and not marked required: nothing yet
    ({"pattern": "^a+$"}, "b", "case10: does not have the expected form — got b"),  # a rule without a message
    ({"pattern": "(?P<x>a)", "x-messages": {"pattern": "never shown"}}, "b", ""),  # Python-only regex: kernel's job
]

SETUP = """
from model_import_widget.spec import ModelSpec
from model_import_widget.widget.view import FormView

SCHEMA = ModelSpec.model_json_schema()
DEFS = SCHEMA["$defs"]
REGISTERED = {"9.9.9"}


class Field:
    # One field of a FormView, read and set as the form sets its fields: value, error, warning, hint, errors
    # (a table's cells). What the browser sends arrives through the view's on_edit, as in the form.
    def __init__(self, view, key):
        self.view, self.key, self.observers = view, key, []

    def observe(self, callback, name="value"):
        self.observers.append(callback)

    def _message(self, name, text):
        shown = dict(self.view.messages.get(self.key, {}))
        shown[name] = text
        self.view.messages = {**self.view.messages, self.key: {k: v for k, v in shown.items() if v}}

    value = property(lambda self: self.view.values.get(self.key, ""),
                     lambda self, v: setattr(self.view, "values", {**self.view.values, self.key: v}))
    error = property(lambda self: self.view.messages.get(self.key, {}).get("error", ""),
                     lambda self, v: self._message("error", v))
    warning = property(lambda self: "", lambda self, v: self._message("warning", v))
    hint = property(lambda self: "", lambda self, v: self._message("hint", v))
    errors = property(lambda self: {}, lambda self, v: self._message("cells", v))


def drawn(specs, values, messages=None, disabled=False):
    # A FormView drawing `specs` (the form's own front end), and a Field for each
    fields = {}

    def edited(key, value):
        fields[key].value = value
        for callback in fields[key].observers:
            callback({"new": value})

    view = FormView(on_edit=edited, on_click=lambda _: None)
    view.sections = [{"title": "", "fields": specs}]
    view.values, view.messages, view.disabled = values, messages or {}, disabled
    fields.update((spec["key"], Field(view, spec["key"])) for spec in specs)
    return view, fields


view, shown = drawn([{"key": "model_version", "kind": "text", "label": "Version", "required": True,
                       "tooltip": "Three numbers 0–99, like 1.0.0", "placeholder": "1.0.0",
                       "schema": SCHEMA["properties"]["model_version"]}], {"model_version": ""})
version = shown["model_version"]
received = []

def kernel_check(change):
    # Stands in for the form's kernel-side check: a rule the browser cannot know.
    received.append(change["new"])
    version.error = f"version {change['new']} is already registered" if change["new"] in REGISTERED else ""

version.observe(kernel_check, "value")
view
"""

TABLE = """
PARAM = DEFS["Param"]["properties"]
TYPES = DEFS["ParamType"]["enum"]
table_view, tables = drawn([{
    "key": "input_params", "kind": "table", "label": "Input parameters", "tooltip": "The inference API's inputs",
    "add_label": "Add parameter",
    "columns": [
        {"key": "param_name", "label": "Name", "tooltip": "The field name in the request", "kind": "text",
         "schema": dict(PARAM["param_name"], required=True)},
        {"key": "param_type", "label": "Type", "tooltip": "A JSON-schema type", "kind": "select", "options": TYPES,
         "default": "string",
         "schema": {"enum": TYPES, "x-messages": PARAM["param_type"]["x-messages"], "required": True}},
    ]}], {"input_params": [{"param_name": "images", "param_type": "file"}, {"param_name": "label", "param_type": "string"}]})
table = tables["input_params"]
table_changes = []
table.observe(lambda change: table_changes.append(change["new"]), "value")
from model_import_widget import spec as _spec
def table_check(change):  # the kernel's verdict on the rows, as the form gives it: the rule table's cell errors
    data = {"model_version": "1.0.0", "source_location": "obs://bucket/dir/", "model_type": "MXNet",
            "input_params": [{k: v for k, v in r.items() if v.strip()} for r in change["new"]]}
    table.errors = {e["field"][len("input_params["):].replace("].", ".", 1): e["message"]
                    for e in _spec.validate(data) if e["field"].startswith("input_params[")}
table.observe(table_check, "value")
table_view
"""

KINDS = """
import ipywidgets
kinds_view, kinds = drawn([
    {"key": "model_type", "label": "Model type", "kind": "select", "options": DEFS["ModelType"]["enum"],
     "required": True, "schema": DEFS["ModelType"]},
    {"key": "model_algorithm", "label": "Algorithm", "kind": "combo",
     "options": ["image_classification", "object_detection"]},
    {"key": "description", "label": "Description", "kind": "textarea"},
    {"key": "publish", "label": "Publish", "kind": "checkbox", "tooltip": "Publish once imported"},
], {"model_type": "PyTorch", "model_algorithm": "", "description": "A digit classifier", "publish": "true"},
   {"model_algorithm": {"hint": "Free text; the list only suggests"},
    "description": {"warning": "Shown to every user of the model"}})
runtime_view, _ = drawn([{"key": "runtime", "label": "Runtime", "kind": "text"}], {"runtime": "python3.6"},
                        disabled=True)
ipywidgets.VBox([kinds_view, runtime_view])
"""

CASES = f"""
import json
CASES = json.loads({json.dumps(json.dumps([[schema, value] for schema, value, _ in CHECK_CASES]))})
cases_view, _ = drawn([{{"key": f"case{{i}}", "kind": "text", "label": f"Case {{i}}", "schema": schema}}
                       for i, (schema, value) in enumerate(CASES)],
                      {{f"case{{i}}": value for i, (schema, value) in enumerate(CASES)}})
cases_view
"""


@pytest.fixture(scope="module")
def nb(open_notebook) -> OpenNotebook:
    nb = open_notebook("widgets.ipynb", [SETUP, TABLE, KINDS, CASES])
    nb.page.locator(f".mi-field[data-field='case{len(CHECK_CASES) - 1}']").wait_for()
    return nb


def field(page: Page, name: str) -> Locator:
    return page.locator(f".mi-field[data-field='{name}']")


def message_of(page: Page, control: Locator) -> Locator:
    """The element the control's aria-describedby names first: what a screen reader reads with it."""
    described_by = control.get_attribute("aria-describedby")
    assert described_by, "the control has no aria-describedby"
    return page.locator(f"[id='{described_by.split()[0]}']")


def test_label_is_tied_to_its_control(nb: OpenNotebook):
    page = nb.page
    version = field(page, "model_version")
    label, control = version.locator("label"), version.locator("input")
    assert label.get_attribute("for") == control.get_attribute("id")
    expect(label).to_have_attribute("title", "Three numbers 0–99, like 1.0.0")
    expect(control).to_have_attribute("placeholder", "1.0.0")
    expect(control).to_have_attribute("aria-required", "true")
    label.click()
    expect(control).to_be_focused()
    expect(page.get_by_label("Version", exact=True)).to_have_attribute("id", control.get_attribute("id"))


def test_browser_checks_each_keystroke_while_the_kernel_is_busy(nb: OpenNotebook):
    page, kernel = nb.page, nb.kernel
    kernel.run("version.value = ''; version.error = ''; received.clear()")
    control = field(page, "model_version").locator("input")
    message = message_of(page, control)
    expect(control).to_have_value("")

    cell = kernel.start("import time; time.sleep(5)")
    kernel.wait_busy(cell)
    control.click()
    control.press_sequentially("01.0.0")
    expect(message).to_have_text(VERSION_MESSAGE)
    expect(message).to_be_visible()
    expect(control).to_have_attribute("aria-invalid", "true")
    message_box, control_box = message.bounding_box(), control.bounding_box()
    assert message_box["y"] >= control_box["y"] + control_box["height"] - 1, "the message is not under the control"

    control.fill("")
    expect(message).to_have_text(PROPS["model_version"]["x-messages"]["required"])
    control.press_sequentially("1.0.0")
    expect(message).to_be_empty()
    expect(message).to_be_hidden()
    expect(control).not_to_have_attribute("aria-invalid", "true")
    assert not kernel.reply_ready(), "the kernel finished its cell: the messages may have come from it"

    kernel.wait_reply(cell)
    wait_until(lambda: kernel.eval("version.value") == "1.0.0", what="the kernel to receive 1.0.0")
    assert kernel.eval("received[-1]") == "1.0.0"


def test_kernel_error_warning_hint_and_prefill_show(nb: OpenNotebook):
    page, kernel = nb.page, nb.kernel
    kernel.run("version.value = '1.0.0'; version.error = version.warning = version.hint = ''")
    control = field(page, "model_version").locator("input")
    message = message_of(page, control)
    expect(control).to_have_value("1.0.0")

    control.fill("9.9.9")  # passes the browser's check; the kernel's observer refuses it
    expect(message).to_have_text("version 9.9.9 is already registered")
    expect(control).to_have_attribute("aria-invalid", "true")
    assert kernel.eval("version.value") == "9.9.9"
    control.press("Backspace")
    control.press_sequentially("8")
    expect(message).to_be_empty()
    expect(control).not_to_have_attribute("aria-invalid", "true")
    wait_until(lambda: kernel.eval("version.value") == "9.9.8")

    kernel.run("version.error = 'set by the kernel'")
    expect(message).to_have_text("set by the kernel")
    expect(control).to_have_attribute("aria-invalid", "true")

    kernel.run("version.error = ''; version.warning = 'version 9.9.8 exists as a draft'")
    expect(message).to_have_text("version 9.9.8 exists as a draft")
    expect(message).to_have_attribute("data-level", "warning")
    expect(control).not_to_have_attribute("aria-invalid", "true")

    kernel.run("version.warning = ''; version.hint = 'the next free version is 1.0.1'")
    expect(message).to_have_attribute("data-level", "hint")
    expect(message).to_have_text("the next free version is 1.0.1")

    kernel.run("version.hint = ''; version.value = '2.0.0'")  # a prefill from code
    expect(control).to_have_value("2.0.0")
    expect(message).to_be_empty()
    kernel.run("version.value = '02.0.0'")  # a prefill the browser's check refuses
    expect(message).to_have_text(VERSION_MESSAGE.replace("01.0.0", "02.0.0"))


def test_table_buttons_edit_the_kernel_list(nb: OpenNotebook):
    page, kernel = nb.page, nb.kernel
    kernel.run("table.errors = {}; table.value = [{'param_name': 'images', 'param_type': 'file'},"
               " {'param_name': 'label', 'param_type': 'string'}]; table_changes.clear()")
    table = page.locator(".mi-table[data-field='input_params']")
    expect(table.locator("caption")).to_have_text("Input parameters")
    headers = table.locator("thead th[data-key]")
    expect(headers).to_have_text(["Name", "Type"])
    expect(headers.first).to_have_attribute("title", "The field name in the request")
    expect(table.get_by_role("textbox", name="Name in row 2")).to_have_value("label")

    def names() -> list[str]:
        return [row["param_name"] for row in kernel.eval("table.value")]

    page.get_by_role("button", name="Add parameter").click()
    new_name = table.get_by_role("textbox", name="Name in row 3")
    expect(new_name).to_be_focused()
    expect(table.get_by_role("combobox", name="Type in row 3")).to_have_value("string")
    page.keyboard.type("scores")
    wait_until(lambda: kernel.eval("table.value") == [
        {"param_name": "images", "param_type": "file"}, {"param_name": "label", "param_type": "string"},
        {"param_name": "scores", "param_type": "string"}], what="the typed row in the kernel")

    page.get_by_role("button", name="Move row 3 up").click()
    wait_until(lambda: names() == ["images", "scores", "label"], what="row 3 moved up")
    expect(page.get_by_role("button", name="Move row 2 up")).to_be_focused()  # focus follows the row
    page.keyboard.press("Enter")
    wait_until(lambda: names() == ["scores", "images", "label"], what="row 2 moved up by keyboard")
    expect(page.get_by_role("button", name="Move row 1 up")).to_be_disabled()
    focused = page.get_by_role("button", name="Move row 1 down")
    expect(focused).to_be_focused()
    assert focused.evaluate("e => e.matches(':focus-visible') && getComputedStyle(e).outlineStyle !== 'none'"), \
        "keyboard focus on the row buttons is not visible"
    page.keyboard.press("Space")
    wait_until(lambda: names() == ["images", "scores", "label"], what="row 1 moved down by keyboard")
    expect(page.get_by_role("button", name="Move row 3 down")).to_be_disabled()

    page.get_by_role("button", name="Remove row 2").click()
    wait_until(lambda: names() == ["images", "label"], what="row 2 removed")
    expect(page.get_by_role("button", name="Remove row 2")).to_be_focused()
    table.get_by_role("combobox", name="Type in row 2").select_option("number")
    wait_until(lambda: kernel.eval("table.value[1]['param_type']") == "number")
    # One observer call per edit: each sent a new list, none mutated the kernel's.
    assert kernel.eval("len(table_changes)") >= 7

    name = table.get_by_role("textbox", name="Name in row 1")
    name.fill("y" * 65)
    expect(message_of(page, name)).to_have_text(kernel_message("input_params.param_name", "y" * 65))
    expect(name).to_have_attribute("aria-invalid", "true")
    name.fill("")
    expect(message_of(page, name)).to_have_text(PARAM["param_name"]["x-messages"]["required"])
    name.fill("images")
    expect(message_of(page, name)).to_be_empty()
    expect(name).not_to_have_attribute("aria-invalid", "true")

    kernel.run("table.errors = {'1.param_type': 'a number input needs min below max', '0': 'duplicates an output'}")
    kind = table.get_by_role("combobox", name="Type in row 2")
    expect(message_of(page, kind)).to_have_text("a number input needs min below max")
    expect(kind).to_have_attribute("aria-invalid", "true")
    row_message = page.locator(f"[id='{name.get_attribute('aria-describedby').split()[1]}']")
    expect(row_message).to_have_text("duplicates an output")


def test_every_kind_of_control(nb: OpenNotebook):
    page, kernel = nb.page, nb.kernel
    select = field(page, "model_type").locator("select")
    expect(select).to_have_value("PyTorch")
    expect(select.locator("option")).to_have_count(len(DEFS["ModelType"]["enum"]))
    select.select_option("MXNet")
    wait_until(lambda: kernel.eval("kinds['model_type'].value") == "MXNet")

    combo = field(page, "model_algorithm").locator("input")
    datalist = page.locator(f"datalist[id='{combo.get_attribute('list')}']")
    expect(datalist.locator("option")).to_have_count(2)
    expect(message_of(page, combo)).to_have_attribute("data-level", "hint")
    combo.fill("my_own_task")
    wait_until(lambda: kernel.eval("kinds['model_algorithm'].value") == "my_own_task")

    textarea = field(page, "description").locator("textarea")
    expect(textarea).to_have_value("A digit classifier")
    expect(message_of(page, textarea)).to_have_text("Shown to every user of the model")

    checkbox = page.get_by_label("Publish")
    expect(checkbox).to_be_checked()
    field(page, "publish").locator("label").click()
    expect(checkbox).not_to_be_checked()
    wait_until(lambda: kernel.eval("kinds['publish'].value") == "false")

    expect(field(page, "runtime").locator("input")).to_be_disabled()


def test_browser_words_each_check_as_the_kernel_does(nb: OpenNotebook):
    shown = nb.page.evaluate("""() => Array.from(document.querySelectorAll(".mi-field[data-field^='case']"),
        el => [el.dataset.field, el.querySelector('.mi-message').textContent])""")
    assert dict(shown) == {f"case{i}": expected for i, (_, _, expected) in enumerate(CHECK_CASES)}




def test_light_and_dark_themes(nb: OpenNotebook, screenshot_dir):
    page, kernel = nb.page, nb.kernel
    kernel.run("version.value = '01.0.0'; kinds['description'].warning = 'Shown to every user of the model';"
               "table.errors = {'1.param_type': 'a number input needs min below max'}")
    version_message = message_of(page, field(page, "model_version").locator("input"))
    warning = message_of(page, field(page, "description").locator("textarea"))
    expect(version_message).to_have_text(VERSION_MESSAGE)
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:hide-all-cell-code')")
    page.locator(".jp-NotebookPanel .jp-Cell").first.scroll_into_view_if_needed()
    control = field(page, "model_version").locator("input")
    colors = {}
    for theme in ("JupyterLab Light", "JupyterLab Dark"):
        page.evaluate("theme => window.jupyterapp.commands.execute('apputils:change-theme', {theme})", theme)
        page.wait_for_function("theme => document.body.dataset.jpThemeName === theme", arg=theme)
        # Until the theme's stylesheet applies, the control keeps the other theme's background.
        page.wait_for_function("([e, others]) => !others.includes(getComputedStyle(e).backgroundColor)",
                               arg=[control.element_handle(), list(colors.values())])
        error_color, wanted = page.evaluate(COLOR_OF, [version_message.element_handle(), "--jp-error-color1"])
        assert error_color == wanted, f"{theme}: the error is not in --jp-error-color1"
        warning_color, wanted = page.evaluate(COLOR_OF, [warning.element_handle(), "--jp-warn-color1"])
        assert warning_color == wanted, f"{theme}: the warning is not in --jp-warn-color1"
        colors[theme] = control.evaluate("e => getComputedStyle(e).backgroundColor")
        name = theme.split()[-1].lower()
        page.locator(".jp-NotebookPanel").screenshot(path=str(screenshot_dir / f"notebook-{name}.png"))
        for output in ("model_version", "input_params", "model_type"):
            page.locator(f".jp-OutputArea-output:has([data-field='{output}'])").screenshot(
                path=str(screenshot_dir / f"{output}-{name}.png"))
    page.evaluate("() => window.jupyterapp.commands.execute('apputils:change-theme', {theme: 'JupyterLab Light'})")
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:show-all-cell-code')")
