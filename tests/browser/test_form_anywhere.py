"""The form needs no extension of ours: with the project's JupyterLab extension disabled (`jupyter labextension
disable`), in JupyterLab and in Notebook 7, the form renders, checks each keystroke in the browser, shows a hostile
value as text, and "Insert code below" — with no extension to add the cell — copies the code or shows it to copy,
and says so. The form's front end comes with the widget (anywidget)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Iterator

import pytest
from playwright.sync_api import Browser, expect

from .conftest import Lab, goto_notebook, new_context, serve, write_notebook

pytestmark = pytest.mark.slow

HOSTILE = '<img src=x onerror="window.__pwned = 1">'
CELL = f"""
from model_import_widget import ModelImportForm
form = ModelImportForm(model_name="anywhere", model_version="1.0.0", model_type="PyTorch",
                       source_location="obs://bucket/dir/", description={HOSTILE!r})
form
"""
VERSION_MESSAGE = "version must be three numbers 0–99 without leading zeros, like 1.0.0 — got 01.0.0"


@pytest.fixture(scope="module", params=["jupyterlab", "notebook"])
def server(request, tmp_path_factory) -> Iterator[tuple[str, Lab]]:
    """JupyterLab or Notebook 7 with model-import-widget disabled, as `jupyter labextension disable` leaves it."""
    app = request.param
    if app == "notebook":
        pytest.importorskip("notebook", reason="Notebook 7 is not installed: .venv/bin/pip install notebook")
    base = tmp_path_factory.mktemp(f"{app}-without-extension")
    with serve(app, base, disabled=("model-import-widget",)) as served:
        page_config = json.loads((base / "config" / "labconfig" / "page_config.json").read_text())
        assert page_config["disabledExtensions"].get("model-import-widget") is True, page_config
        venv_config = Path(sys.prefix) / "etc" / "jupyter" / "labconfig" / "page_config.json"
        assert not venv_config.exists() or "model-import-widget" not in venv_config.read_text()  # this server only
        yield app, served


def test_the_form_works_with_our_extension_disabled(server, browser: Browser, screenshot_dir):
    app, served = server
    write_notebook(served.root / "anywhere.ipynb", [CELL])
    context = new_context(browser, 1280, 1000)
    errors: list[str] = []
    page = context.new_page()
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        goto_notebook(page, served, app, "anywhere.ipynb")
        plugins = page.evaluate("() => Array.from(window.jupyterapp.listPlugins ? window.jupyterapp.listPlugins() : [])")
        assert not any(p.startswith("model-import-widget") for p in plugins), "our extension is still on"
        form = page.locator(".mi-form")
        version = form.locator(".mi-field[data-field='model_version'] input")
        expect(version).to_have_value("1.0.0", timeout=30_000)
        expect(form.locator(".mi-field[data-field='description'] textarea")).to_have_value(HOSTILE)
        assert form.locator("img").count() == 0 and page.evaluate("() => window.__pwned") is None

        version.fill("01.0.0")  # the browser's own check, from the rule table's JSON Schema
        message = page.locator(f"[id='{version.get_attribute('aria-describedby')}']")
        expect(message).to_have_text(VERSION_MESSAGE)
        expect(form.get_by_role("button", name="Import model")).to_be_disabled()

        form.get_by_role("button", name="Insert code below").click()  # nothing of ours adds a cell here
        notice = form.locator(".mi-notice")
        expect(notice).to_contain_text("new cell")
        code = form.locator(".mi-code")
        if "copied" not in notice.inner_text():  # the page may not write to the clipboard: then it shows the code
            expect(code).to_contain_text("Model(")
        assert page.locator(".jp-Cell").count() == 1  # no cell was added by anything
        page.screenshot(path=str(screenshot_dir / f"form-without-extension-{app}.png"))
        assert not [e for e in errors if "model" in e.lower() or "anywidget" in e.lower()], errors
    finally:
        context.close()
