"""The form and its kernel, in Chromium: a hostile value is shown as text and never runs; a busy kernel is named
and Import waits for it; after a kernel restart the old form says it is disconnected and nothing in it works."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .conftest import OpenNotebook, wait_until

pytestmark = pytest.mark.slow

HOSTILE = '<img src=x onerror="window.__pwned = 1">'

SETUP = f"""
from model_import_widget import ModelImportForm
form = ModelImportForm(model_name="kernel_form", model_version="1.0.0", model_type="PyTorch",
                       source_location="obs://bucket/dir/", description={HOSTILE!r})
form
"""


@pytest.fixture(scope="module")
def nb(open_notebook) -> OpenNotebook:
    nb = open_notebook("kernel_form.ipynb", [SETUP])
    nb.page.locator(".mi-form .mi-field[data-field='description'] textarea").wait_for()
    return nb


def test_a_hostile_description_is_shown_as_text_and_never_runs(nb: OpenNotebook):
    form = nb.page.locator(".mi-form")
    expect(form.locator(".mi-field[data-field='description'] textarea")).to_have_value(HOSTILE)
    # the rule names the characters, as text (a prefilled wrong value shows its error at once)
    expect(form.locator(".mi-field[data-field='description'] .mi-message")).to_contain_text("<=>")
    assert form.locator("img").count() == 0
    assert nb.page.evaluate("() => window.__pwned") is None


def test_a_busy_kernel_is_named_and_import_waits_for_its_answer(nb: OpenNotebook):
    page, kernel = nb.page, nb.kernel
    kernel.run("form.fields['description'].value = 'fine'")
    form = page.locator(".mi-form")
    import_button = form.get_by_role("button", name="Import model")
    expect(import_button).to_be_enabled()
    cell = kernel.start("import time\nend = time.time() + 9\nwhile time.time() < end: pass")  # holds the GIL
    kernel.wait_busy(cell)
    version = form.locator(".mi-field[data-field='model_version'] input")
    version.fill("1.0.1")
    expect(import_button).to_be_disabled()  # the kernel has not checked 1.0.1 yet
    banner = form.locator(".mi-banner")
    expect(banner).to_contain_text("has not answered yet", timeout=8000)
    kernel.wait_reply(cell)
    expect(banner).to_be_hidden(timeout=15000)
    expect(import_button).to_be_enabled()
    wait_until(lambda: kernel.eval("form.fields['model_version'].value") == "1.0.1")


def test_the_folder_picker_browses_from_the_kernel(nb: OpenNotebook):
    page, kernel = nb.page, nb.kernel
    kernel.run("import os; os.makedirs('picked/model', exist_ok=True); "
               "form.fields['source_location_type'].value = 'LOCAL_SOURCE'; form.fields['source_location'].value = ''")
    form = page.locator(".mi-form")
    form.get_by_role("button", name="Choose a folder…").click()
    picker = form.locator(".mi-picker")
    expect(picker.locator(".mi-picker-path")).to_have_text(kernel.eval("os.getcwd()"))
    picker.get_by_role("button", name="picked/").click()
    expect(picker.locator(".mi-picker-path")).to_have_text(kernel.eval("os.path.abspath('picked')"))
    expect(picker.locator(".mi-picker-head .mi-picker-badge")).to_have_text("model package")
    picker.get_by_role("button", name="Choose this folder").click()
    expect(picker).to_be_hidden()
    expect(form.locator(".mi-field[data-field='source_location'] input")).to_have_value(
        kernel.eval("os.path.abspath('picked')"))


def test_after_a_kernel_restart_the_old_form_says_it_is_disconnected(nb: OpenNotebook):
    page = nb.page
    form = page.locator(".mi-form")
    page.evaluate("() => window.jupyterapp.shell.currentWidget.sessionContext.session.kernel.restart()")
    banner = form.locator(".mi-banner")
    expect(banner).to_contain_text("lost its kernel", timeout=20000)
    expect(form.get_by_role("button", name="Import model")).to_be_disabled()
    expect(form.locator(".mi-field[data-field='model_name'] input")).to_be_disabled()
