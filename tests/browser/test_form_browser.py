"""The whole import form in a real JupyterLab, as a person sees and uses it.

A notebook makes a small PyTorch model folder in the server's root, opens `ModelImportForm.from_folder` on it with
an embedded registry and shows it. The tests read what the page shows (sections, prefilled fields and rows,
messages under fields and cells, the Import button, the status) and do what a person does (type, click), and
check the kernel's side with a second client of the notebook's kernel.

`test_readme_screenshots` also renders the README's pictures; `scripts/screenshot.py` runs it with
MODEL_IMPORT_WIDGET_SCREENSHOTS=docs to refresh docs/form.png and docs/form-dark.png.
"""

from __future__ import annotations

import json
import os
import re
import struct
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect

from model_import_widget import spec

from .conftest import Lab, OpenNotebook, wait_until

pytestmark = pytest.mark.slow

CONFIG = {
    "model_type": "PyTorch",
    "model_algorithm": "image_classification",
    "runtime": "python3.6",
    "apis": [{
        "protocol": "http", "url": "/", "method": "post",
        "request": {"Content-type": "multipart/form-data", "data": {"type": "object", "properties": {
            "images": {"type": "file"},
            "threshold": {"type": "number", "minimum": 0, "maximum": 1}}}},
        "response": {"Content-type": "application/json", "data": {"type": "object", "properties": {
            "predicted_label": {"type": "string"},
            "scores": {"type": "array"}}}},
    }],
    "dependencies": [{"installer": "pip", "packages": [
        {"package_name": "numpy", "package_version": "1.24.4", "restraint": "ATLEAST"}]}],
}

FOLDER_CELL = """
import json, pathlib
from model_import_widget import ModelImportForm, Session

# The server's root, where the notebook's kernel runs: paths below are relative to it, as a person types them.
assert pathlib.Path.cwd() == pathlib.Path({root!r}), pathlib.Path.cwd()
folder = pathlib.Path("digits")
(folder / "model").mkdir(parents=True, exist_ok=True)
(folder / "model" / "config.json").write_text(json.dumps({config!r}, indent=2))
(folder / "model" / "customize_service.py").write_text("class Service:\\n    def _inference(self, data):\\n        return data\\n")
(folder / "model" / "weights.pth").write_bytes(bytes(range(256)) * 16)
"""

FORM_CELL = """
form = ModelImportForm.from_folder("./digits", Session(backend="embedded", home=".model_import_widget"))
form
"""

PLAIN_CELL = """
plain = ModelImportForm.from_folder("./digits", Session(backend="embedded", home="plain-registry"))
plain.fields["model_name"].value = "plain_form"
plain
"""

BLANK_CELL = """
blank = ModelImportForm(Session(backend="embedded", home="blank-registry"))
blank
"""

SECTIONS = ["Basics", "Source", "Interface", "Dependencies", "Advanced"]
VERSION_REQUIRED = spec.ModelSpec.model_json_schema()["properties"]["model_version"]["x-messages"]["required"]
VERSION_BAD = "version must be three numbers 0–99 without leading zeros, like 1.0.0 — got 01.0.0"
MIN_ABOVE_MAX = "max must not be below min — got min 5, max 1"
SCREENSHOTS_ENV = "MODEL_IMPORT_WIDGET_SCREENSHOTS"


@pytest.fixture(scope="module")
def nb(open_notebook, lab: Lab) -> OpenNotebook:
    nb = open_notebook("form.ipynb", [FOLDER_CELL.format(root=str(lab.root), config=CONFIG), FORM_CELL, PLAIN_CELL,
                                      BLANK_CELL])
    # A row of the last table: the form has rendered down to its last section.
    form_of(nb.page).locator(".mi-table[data-field='dependencies'] tbody tr").first.wait_for()
    return nb


def form_of(page: Page) -> Locator:
    """The form under test (not the one displayed plainly in the third cell)."""
    return page.locator(".jp-Cell").nth(1).locator(".mi-form")


def field(page: Page, key: str) -> Locator:
    return form_of(page).locator(f".mi-field[data-field='{key}']")


def control_of(page: Page, key: str) -> Locator:
    return field(page, key).locator(".mi-control")


def message_of(page: Page, control: Locator) -> Locator:
    """The element the control's aria-describedby names first: what a screen reader reads with it."""
    described_by = control.get_attribute("aria-describedby")
    assert described_by, "the control has no aria-describedby"
    return page.locator(f"[id='{described_by.split()[0]}']")


def table(page: Page, key: str) -> Locator:
    return form_of(page).locator(f".mi-table[data-field='{key}']")


def cell(page: Page, key: str, column: str, row: int) -> Locator:
    """A table cell's control by its accessible name, e.g. 'Maximum in row 2'."""
    return table(page, key).get_by_label(f"{column} in row {row}", exact=True)


def import_button(page: Page) -> Locator:
    return form_of(page).get_by_role("button", name="Import model")


def retype(control: Locator, text: str) -> None:
    """Selects the control's text and types `text` over it key by key, as a person does."""
    control.click()
    control.press("ControlOrMeta+a")
    control.press_sequentially(text)


def ensure_typed(control: Locator, text: str) -> None:
    """Types `text` unless the control holds it already (what an earlier test may have left)."""
    if control.input_value() != text:
        retype(control, text)


class HeldKernel:
    """Keeps the notebook's kernel busy in a cell until released, so widget messages wait for it."""

    def __init__(self, nb: OpenNotebook, flag: Path):
        self.kernel, self.flag = nb.kernel, flag

    def __enter__(self) -> "HeldKernel":
        self.flag.unlink(missing_ok=True)
        self.msg_id = self.kernel.start(
            f"import os, time\nwhile not os.path.exists({str(self.flag)!r}):\n    time.sleep(0.01)")
        try:
            self.kernel.wait_busy(self.msg_id)
        except BaseException:
            self.flag.touch()  # never leave the kernel looping for the tests after this one
            raise
        return self

    def still_busy(self) -> bool:
        return not self.kernel.reply_ready()

    def __exit__(self, *exc) -> None:
        self.flag.touch()
        self.kernel.wait_reply(self.msg_id)


def test_the_form_renders_as_it_displays_itself(nb: OpenNotebook):
    """`form` as a cell's last line must show the form, not only the summary line under it."""
    plain_output = nb.page.locator(".jp-Cell").nth(2).locator(".jp-OutputArea")
    expect(plain_output.locator(".mi-static-summary")).to_contain_text("plain_form")
    expect(plain_output.locator(".mi-form .mi-field[data-field='model_name'] input")).to_have_value("plain_form")


def test_sections_and_prefilled_fields_render(nb: OpenNotebook):
    page = nb.page
    expect(form_of(page).locator(".mi-section-title")).to_have_text(SECTIONS)
    expect(form_of(page).locator(".mi-header-text")).to_contain_text("Embedded registry")

    expect(control_of(page, "model_type")).to_have_value("PyTorch")
    expect(control_of(page, "model_algorithm")).to_have_value("image_classification")
    expect(control_of(page, "source_location_type")).to_have_value("LOCAL_SOURCE")
    expect(control_of(page, "source_location")).to_have_value("./digits")
    expect(control_of(page, "runtime")).to_have_value("python3.6")
    expect(control_of(page, "installer")).to_have_value("pip")
    expect(control_of(page, "wait")).to_be_checked()
    assert json.loads(control_of(page, "apis").input_value())[0]["request"]["data"]["properties"]["threshold"] \
        == {"type": "number", "minimum": 0, "maximum": 1}

    inputs = table(page, "input_params")
    expect(inputs.locator("caption")).to_have_text("Input parameters")
    expect(inputs.locator("tbody tr")).to_have_count(2)
    expect(cell(page, "input_params", "Parameter name", 1)).to_have_value("images")
    expect(cell(page, "input_params", "Type", 1)).to_have_value("file")
    expect(cell(page, "input_params", "Parameter name", 2)).to_have_value("threshold")
    expect(cell(page, "input_params", "Type", 2)).to_have_value("number")
    expect(cell(page, "input_params", "Minimum", 2)).to_have_value("0")
    expect(cell(page, "input_params", "Maximum", 2)).to_have_value("1")
    expect(cell(page, "output_params", "Parameter name", 1)).to_have_value("predicted_label")

    expect(table(page, "dependencies").locator("tbody tr")).to_have_count(1)
    expect(cell(page, "dependencies", "Package", 1)).to_have_value("numpy")
    expect(cell(page, "dependencies", "Version", 1)).to_have_value("1.24.4")
    expect(cell(page, "dependencies", "Restraint", 1)).to_have_value("ATLEAST")

    # Nothing typed yet: the version is what is missing. The status line counts it; the field itself stays quiet
    # until the person changes it or tries to import (a blank field is not yet a wrong one), and Import can be
    # clicked to find out (test_a_blank_form_shows_no_error_until_changed_or_an_import_is_tried clicks it).
    version = control_of(page, "model_version")
    expect(message_of(page, version)).to_be_empty()
    expect(version).not_to_have_attribute("aria-invalid", "true")
    expect(form_of(page).locator(".mi-message[data-level='error']")).to_have_count(0)
    expect(form_of(page).locator(".mi-status")).to_have_text("Draft: 1 problem to fix before importing (Version)")
    expect(form_of(page).locator(".mi-summary")).to_be_hidden()
    expect(import_button(page)).to_be_enabled()


def test_readme_screenshots(nb: OpenNotebook, screenshot_dir: Path):
    """The README's pictures: the prefilled form with one live error (a version with a leading zero)."""
    page = nb.page
    version = control_of(page, "model_version")
    retype(version, "01.0.0")
    expect(message_of(page, version)).to_have_text(VERSION_BAD)
    wait_until(lambda: nb.kernel.eval("form.fields['model_version'].value") == "01.0.0", what="the kernel to catch up")
    expect(form_of(page).locator(".mi-status")).to_have_text("Draft: 1 problem to fix before importing (Version)")
    version.blur()

    out_dir = Path(os.environ.get(SCREENSHOTS_ENV) or screenshot_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:hide-all-cell-code')")
    page.evaluate("() => window.jupyterapp.shell.collapseLeft()")
    output = page.locator(".jp-Cell").nth(1).locator(".jp-OutputArea-output:has(.mi-form)")
    viewport = page.viewport_size
    shots: dict[str, Path] = {}
    output.evaluate("e => { e.style.padding = '12px 16px'; }")  # a margin around the form in the picture
    try:
        # An output about 900 px wide, and tall enough that the whole form is on screen (the notebook scrolls
        # inside the page, so a taller element would be cut).
        box = output.bounding_box()
        page.set_viewport_size({"width": round(viewport["width"] + 900 - box["width"]),
                                "height": max(viewport["height"], round(box["height"]) + 400)})
        wait_until(lambda: abs(output.bounding_box()["width"] - 900) <= 2, what="the output to be 900 px wide")
        output.scroll_into_view_if_needed()
        backgrounds: list[str] = []
        for theme, name in (("JupyterLab Light", "form.png"), ("JupyterLab Dark", "form-dark.png")):
            page.evaluate("theme => window.jupyterapp.commands.execute('apputils:change-theme', {theme})", theme)
            page.wait_for_function("theme => document.body.dataset.jpThemeName === theme", arg=theme)
            # Until the theme's stylesheet applies, the control keeps the other theme's background.
            page.wait_for_function("([e, others]) => !others.includes(getComputedStyle(e).backgroundColor)",
                                   arg=[version.element_handle(), backgrounds])
            backgrounds.append(version.evaluate("e => getComputedStyle(e).backgroundColor"))
            shots[name] = out_dir / name
            output.screenshot(path=str(shots[name]), animations="disabled", caret="hide")
    finally:
        page.evaluate("() => window.jupyterapp.commands.execute('apputils:change-theme', {theme: 'JupyterLab Light'})")
        page.evaluate("() => window.jupyterapp.commands.execute('notebook:show-all-cell-code')")
        page.set_viewport_size(viewport)
        output.evaluate("e => { e.style.padding = ''; }")
    for path in shots.values():
        width, height = png_size(path)
        assert 880 <= width <= 920 and height > 1000, f"{path}: {width}x{height}"
        assert path.stat().st_size < 300_000, f"{path} is {path.stat().st_size} bytes"


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()[:24]
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return struct.unpack(">II", data[16:24])


def test_version_is_checked_in_the_browser_and_blocks_import(nb: OpenNotebook, lab: Lab):
    page, kernel = nb.page, nb.kernel
    version = control_of(page, "model_version")
    message = message_of(page, version)
    retype(version, "1.0.0")
    expect(message).to_be_empty()
    expect(import_button(page)).to_be_enabled()

    with HeldKernel(nb, lab.root / "release-kernel") as held:
        retype(version, "01.0.0")
        expect(message).to_have_text(VERSION_BAD)
        expect(message).to_be_visible()
        expect(version).to_have_attribute("aria-invalid", "true")
        assert held.still_busy(), "the kernel answered: the message may have come from it"
    expect(import_button(page)).to_be_disabled()
    assert [e["field"] for e in kernel.eval("form.errors")] == ["model_version"]

    retype(version, "1.0.0")
    expect(message).to_be_empty()
    expect(message).to_be_hidden()
    expect(version).not_to_have_attribute("aria-invalid", "true")
    expect(import_button(page)).to_be_enabled()
    assert kernel.eval("form.errors") == []


# (typed, good): the kernel strips U+0085 and U+00A0, not U+FEFF (JavaScript's trim() does the opposite for both);
# Arabic-Indic digits are no version.
VERSIONS = [(" 1.0.0", True), ("1.0.0 ", True), ("1.0.0\u00a0", True), ("\u0661.0.0", False), ("\u00851.0.0", True),
            ("1.0.0\ufeff", False)]


@pytest.mark.parametrize("typed, good", VERSIONS, ids=lambda v: ascii(v) if isinstance(v, str) else str(v))
def test_once_the_kernel_has_answered_the_version_message_and_import_agree(nb: OpenNotebook, typed: str, good: bool):
    page, kernel = nb.page, nb.kernel
    version = control_of(page, "model_version")
    message = message_of(page, version)
    try:
        version.fill(typed)
        wait_until(lambda: kernel.eval("form.fields['model_version'].value") == typed, what="the kernel to have it")
        kernel_error = kernel.eval("form.fields['model_version'].error")
        assert (kernel_error == "") == good, kernel_error
        if good:
            expect(message).to_be_empty()
            expect(version).not_to_have_attribute("aria-invalid", "true")
            expect(import_button(page)).to_be_enabled()  # (the rest of the form is valid)
        else:
            expect(message).to_have_text(kernel_error)
            expect(version).to_have_attribute("aria-invalid", "true")
            expect(import_button(page)).to_be_disabled()
            expect(form_of(page).locator(".mi-status")).to_have_text("Draft: 1 problem to fix before importing (Version)")
    finally:
        retype(version, "1.0.0")
        wait_until(lambda: kernel.eval("form.fields['model_version'].value") == "1.0.0", what="the version back")
    expect(message).to_be_empty()
    expect(import_button(page)).to_be_enabled()


def test_a_blank_form_shows_no_error_until_changed_or_an_import_is_tried(nb: OpenNotebook):
    page, kernel = nb.page, nb.kernel
    blank = page.locator(".jp-Cell").nth(3).locator(".mi-form")
    version = blank.locator(".mi-field[data-field='model_version'] .mi-control")
    version.wait_for()
    required = kernel.eval("{e['field']: e['message'] for e in blank.errors}")
    assert set(required) == {"model_version", "source_location", "model_type"}, required
    errors_shown = blank.locator(".mi-message[data-level='error']")
    expect(errors_shown).to_have_count(0)
    expect(blank.locator("[aria-invalid='true']")).to_have_count(0)
    expect(blank.locator(".mi-summary")).to_be_hidden()  # nothing tried yet: no list of problems either
    expect(blank.locator(".mi-status")).to_have_text(  # but counted, and named
        "Draft: 3 problems to fix before importing (Version, Model type, Source location)")
    expect(blank.locator(".mi-field[data-field='model_name'] .mi-message")).to_have_attribute("data-level", "hint")

    # A field the person changed shows its error (here: typed, then emptied again); the others stay quiet.
    version.fill("1")
    version.fill("")
    wait_until(lambda: kernel.eval("blank.fields['model_version'].value") == "", what="the kernel to have it")
    expect(blank.locator(".mi-field[data-field='model_version'] .mi-message")).to_have_text(required["model_version"])
    expect(errors_shown).to_have_count(1)

    # A version error shows: Import waits for it. Made valid again (the other fields untouched, quiet), Import can be
    # clicked, and the click shows every field's error and the list of them.
    import_blank = blank.get_by_role("button", name="Import model")
    expect(import_blank).to_be_disabled()
    version.fill("1.0.0")
    expect(errors_shown).to_have_count(0)
    expect(import_blank).to_be_enabled()
    import_blank.click()
    wait_until(lambda: kernel.eval("blank.widget.attempted") is True, what="the click to arrive")
    required.pop("model_version")
    expect(blank.locator(".mi-summary-line")).to_have_text([f"Model type: {required['model_type']}",  # screen order
                                                           f"Source location: {required['source_location']}"])
    expect(import_blank).to_be_disabled()
    assert kernel.eval("blank.status") == "draft" and kernel.eval("blank.model_id") == ""
    for key, text in required.items():
        field = blank.locator(f".mi-field[data-field='{key}']")
        expect(field.locator(".mi-message")).to_have_text(text)
        expect(field.locator(".mi-control")).to_have_attribute("aria-invalid", "true")
    expect(errors_shown).to_have_count(len(required))


def test_blank_name_hint_and_the_kernels_suggestion(nb: OpenNotebook):
    page, kernel = nb.page, nb.kernel
    name = control_of(page, "model_name")
    message = message_of(page, name)
    generated = kernel.eval("form._generated_name")
    assert re.fullmatch(r"model-\d{8}-\d{6}-[0-9a-f]{4}", generated), generated
    expect(name).to_have_value("")
    expect(name).to_have_attribute("placeholder", "blank: a name is generated")
    expect(message).to_have_text(f"A name will be generated: {generated}")
    expect(message).to_have_attribute("data-level", "hint")

    retype(name, "digit recognition")
    expect(message).to_have_attribute("data-level", "error")
    expect(name).to_have_attribute("aria-invalid", "true")
    wait_until(lambda: kernel.eval("form.fields['model_name'].value") == "digit recognition")
    kernel_message = kernel.eval("form.fields['model_name'].error")
    assert "try 'digit_recognition'" in kernel_message
    expect(message).to_have_text(kernel_message)
    expect(form_of(page).locator(".mi-status")).to_have_text("Draft: 1 problem to fix before importing (Model name)")
    expect(import_button(page)).to_be_disabled()

    name.fill("")
    expect(message).to_have_text(f"A name will be generated: {generated}")
    retype(name, "digit_recognition")
    expect(message).to_be_empty()
    expect(import_button(page)).to_be_enabled()


def test_the_kernels_name_suggestion_shows_under_the_field(nb: OpenNotebook):
    page = nb.page
    name = control_of(page, "model_name")
    retype(name, "digit recognition")
    try:
        expect(message_of(page, name)).to_contain_text("try 'digit_recognition'", timeout=3_000)
    finally:
        retype(name, "digit_recognition")
        expect(message_of(page, name)).to_be_empty()


def test_cross_field_rule_arrives_at_its_cell(nb: OpenNotebook):
    page, kernel = nb.page, nb.kernel
    ensure_typed(control_of(page, "model_version"), "1.0.0")
    low, high = cell(page, "input_params", "Minimum", 2), cell(page, "input_params", "Maximum", 2)
    expect(cell(page, "input_params", "Type", 2)).to_have_value("number")
    retype(low, "5")
    retype(high, "1")
    expect(message_of(page, high)).to_have_text(MIN_ABOVE_MAX)
    expect(high).to_have_attribute("aria-invalid", "true")
    expect(message_of(page, low)).to_be_empty()
    expect(low).not_to_have_attribute("aria-invalid", "true")
    expect(table(page, "input_params").locator("tbody tr").nth(1)).to_have_class(re.compile(r"\bmi-invalid\b"))
    expect(import_button(page)).to_be_disabled()
    assert kernel.eval("form.errors") == [{"field": "input_params[1].max", "type": "min_above_max",
                                           "message": MIN_ABOVE_MAX}]

    retype(low, "0")
    expect(message_of(page, high)).to_be_empty()
    expect(high).not_to_have_attribute("aria-invalid", "true")
    expect(import_button(page)).to_be_enabled()


def test_import_publishes_and_shows_the_model_id(nb: OpenNotebook):
    page, kernel = nb.page, nb.kernel
    # What the earlier tests left, as a person would have typed it.
    ensure_typed(control_of(page, "model_name"), "digit_recognition")
    ensure_typed(control_of(page, "model_version"), "1.0.0")
    ensure_typed(cell(page, "input_params", "Minimum", 2), "0")
    expect(form_of(page).locator(".mi-summary")).to_be_hidden()  # nothing blocks importing

    import_button(page).click()
    status = form_of(page).locator(".mi-status")
    expect(status).to_have_text("Published digit_recognition 1.0.0", timeout=30_000)
    expect(status).to_have_class(re.compile(r"\bmi-status-published\b"))
    model_id = form_of(page).locator(".mi-result code")
    expect(model_id).to_be_visible()
    shown_id = model_id.inner_text()
    assert shown_id and shown_id == kernel.eval("form.model_id")
    expect(form_of(page).locator(".mi-snippet")).to_have_text(f'Model(session, model_id="{shown_id}")')
    assert kernel.eval("form.status") == "published"
    expect(import_button(page)).to_be_disabled()  # imported: a second click would only find it taken
    # The line under the form, which stays readable in the saved notebook, follows the import.
    expect(page.locator(".jp-Cell").nth(1).locator(".mi-static-summary")).to_have_text(
        f"Model import: digit_recognition 1.0.0 (PyTorch) — published (id {shown_id})")
    kernel.run("from model_import_widget import Model\n"
               "imported = Model(Session(backend='embedded', home='.model_import_widget'),"
               " model_id=form.model_id).get_model_info()")
    info = kernel.eval("{k: imported[k] for k in ('model_name', 'model_version', 'model_type', 'model_status')}")
    assert info == {"model_name": "digit_recognition", "model_version": "1.0.0", "model_type": "PyTorch",
                    "model_status": "published"}


def test_a_package_fixed_on_disk_is_checked_again_and_imports(nb: OpenNotebook):
    """A folder missing both files: the message names both, Import waits; fixed on disk, one click checks again."""
    page, kernel = nb.page, nb.kernel
    kernel.run("bare = pathlib.Path('bare_pkg'); (bare / 'model').mkdir(parents=True, exist_ok=True)\n"
               "(bare / 'model' / 'weights.pth').write_bytes(b'w' * 2048)")
    retype(control_of(page, "model_name"), "bare_model")
    location = control_of(page, "source_location")
    retype(location, "bare_pkg")
    location.press("Tab")
    message = message_of(page, location)
    expect(message).to_contain_text("model/config.json is missing")
    expect(message).to_contain_text("model/customize_service.py is missing")
    expect(import_button(page)).to_be_disabled()
    again = form_of(page).get_by_role("button", name="Check the folder again")
    expect(again).to_be_visible()
    assert kernel.eval("form._session.client.list_models(model_name='bare_model')['total_count']") == 0

    kernel.run("(bare / 'model' / 'config.json').write_text('{\"model_type\": \"PyTorch\"}')\n"
               "(bare / 'model' / 'customize_service.py').write_text('class Service:\\n    pass\\n')")
    again.click()
    expect(message).not_to_contain_text("is missing: ModelArts needs")  # what remains are warnings
    expect(location).not_to_have_attribute("aria-invalid", "true")
    expect(again).to_be_hidden()
    expect(import_button(page)).to_be_enabled()
    earlier_id = kernel.eval("form.model_id")  # the earlier test's import
    import_button(page).click()
    wait_until(lambda: kernel.eval("form.status") == "published" and kernel.eval("form.model_id") not in ("", earlier_id),
               timeout=30, what="the new import to publish")
    expect(form_of(page).locator(".mi-status")).to_have_text("Published bare_model 1.0.0")
    expect(form_of(page).locator(".mi-result code")).to_have_text(kernel.eval("form.model_id"))
    assert kernel.eval("form._model.get_model_info()['model_name']") == "bare_model"
