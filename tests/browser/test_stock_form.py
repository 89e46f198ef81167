"""The form built from stock ipywidgets (what VS Code and Colab users get) renders and checks in a real JupyterLab.

Every field and table must draw (none as "Click to show javascript error.", ipywidgets#3860), show its label and
tooltip, and show the kernel's message under a field as a person types.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Locator, expect

from .conftest import OpenNotebook, wait_until

pytestmark = pytest.mark.slow

STOCK_CELL = """
import tempfile
from model_import_widget import ModelImportForm, Session

session = Session(backend="embedded", home=tempfile.mkdtemp(prefix="model_import_widget-stock-form-"))
form = ModelImportForm(frontend="stock", session=session, language="en")
form
"""
VERSION_BAD = "version must be three numbers 0–99 without leading zeros, like 1.0.0 — got 01.0.0"
SCREENSHOT = "/tmp/stock_form.png"
ERROR_MARKERS = ".jupyter-widgets-error-widget, .jp-mod-error"


@pytest.fixture(scope="module")
def nb(open_notebook) -> OpenNotebook:
    nb = open_notebook("stock_form.ipynb", [STOCK_CELL])
    keys = nb.kernel.eval("list(form.fields)")
    output = nb.page.locator(".jp-Cell").first.locator(".jp-Cell-outputArea")
    output.get_by_role("button", name="Import model").wait_for()
    # Each field draws its own view; one that failed shows the error view instead, so wait for either.
    wait_until(lambda: output.locator(".mi-stock-field, .mi-stock-table").count() == len(keys)
               or output.locator(ERROR_MARKERS).count(), what="every field of the stock form to render")
    return nb


def output_of(nb: OpenNotebook) -> Locator:
    return nb.page.locator(".jp-Cell").first.locator(".jp-Cell-outputArea")


def field(nb: OpenNotebook, key: str) -> Locator:
    return output_of(nb).locator(f".mi-field-{key}")


def test_every_field_renders_without_a_javascript_error(nb: OpenNotebook):
    output = output_of(nb)
    nb.page.set_viewport_size({"width": 1100, "height": 2400})  # the whole form at once in the picture
    output.screenshot(path=SCREENSHOT, animations="disabled", caret="hide")
    assert output.get_by_text("Click to show javascript error").count() == 0
    assert output.locator(ERROR_MARKERS).count() == 0
    keys = nb.kernel.eval("list(form.fields)")
    assert output.locator(".mi-stock-field, .mi-stock-table").count() == len(keys) > 10


def test_every_field_shows_its_label(nb: OpenNotebook):
    labels = nb.kernel.eval("{key: widget.label for key, widget in form.fields.items()}")
    for key, label in labels.items():
        assert label, key
        expect(field(nb, key).get_by_text(label, exact=True).first).to_be_visible()


def test_tooltips_are_on_the_label_and_follow_the_python_trait(nb: OpenNotebook):
    tooltip = nb.kernel.eval("form.fields['model_version'].tooltip")
    assert tooltip
    label = field(nb, "model_version").locator(".widget-label span[title]")
    expect(label).to_have_attribute("title", tooltip)
    nb.kernel.run("form.fields['model_version'].tooltip = 'Three numbers, like 2.0.1'")
    expect(label).to_have_attribute("title", "Three numbers, like 2.0.1")
    table_tooltip = nb.kernel.eval("form.fields['input_params'].tooltip")
    expect(field(nb, "input_params").locator("b").first).to_have_attribute("title", table_tooltip)
    assert output_of(nb).locator(ERROR_MARKERS).count() == 0


def test_a_bad_version_shows_its_message_under_the_field_and_a_good_one_clears_it(nb: OpenNotebook):
    version = field(nb, "model_version")
    control = version.locator("input")
    message = version.locator(".widget-html")
    control.click()
    control.press("ControlOrMeta+a")
    control.press_sequentially("01.0.0")
    expect(message).to_have_text(VERSION_BAD)
    expect(message.get_by_role("alert")).to_be_visible()
    assert nb.kernel.eval("form.fields['model_version'].error") == VERSION_BAD
    control.press("ControlOrMeta+a")
    control.press_sequentially("1.0.0")
    expect(message).to_have_text("")
    assert nb.kernel.eval("form.fields['model_version'].error") == ""
    assert nb.kernel.eval("form.fields['model_version'].value") == "1.0.0"
