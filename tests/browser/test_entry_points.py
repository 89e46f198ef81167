"""The labextension's entry points to the form, used as a person uses them in a real JupyterLab and Notebook 7.

The launcher card and the command palette open a new notebook with a running form in the file browser's folder;
the file browser's menu on a folder opens one filled from that folder; the form's "insert code below" event puts
a code cell right under the form's cell. Each test works in a folder of its own in the server's root.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any, Iterator

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from .conftest import Lab, OpenNotebook, _note_outside

pytestmark = pytest.mark.slow

NEW_FORM_CODE = "from model_import_widget import ModelImportForm\n\nform = ModelImportForm()\nform"
CONFIG = {"model_type": "TensorFlow", "model_algorithm": "image_classification", "runtime": "python3.6"}
QUOTED_FOLDER = 'Bob\'s "best" model'
# Line breaks (one that Python's str.splitlines and IPython split lines on, too), a backslash, non-ASCII.
ODD_FOLDER = "line\nbreak \\ ü\u2028end"
INSERT_CODE_EVENT = "model-import-widget:insert-code"
PLUGIN = "model-import-widget:entry-points"

DISPATCH = """([selector, code]) => {
    const element = document.querySelector(selector);
    if (!element) throw new Error(`nothing matches ${selector}`);
    return element.dispatchEvent(new CustomEvent(%s, {
        bubbles: true, cancelable: true, composed: true, detail: {code}}));
}""" % json.dumps(INSERT_CODE_EVENT)


def folder_form_code(literal: str) -> str:
    return f"from model_import_widget import ModelImportForm\n\nform = ModelImportForm.from_folder({literal})\nform"


def make_model_folder(folder: Path) -> None:
    (folder / "model").mkdir(parents=True)
    (folder / "model" / "config.json").write_text(json.dumps(CONFIG))
    (folder / "model" / "customize_service.py").write_text(
        "class Service:\n    def _inference(self, data):\n        return data\n")


def new_page(browser: Browser) -> Page:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.on("request", _note_outside)
    context.set_default_timeout(20_000)
    return context.new_page()


def wait_for_entry_points(page: Page) -> None:
    """Waits for the entry-points plugin to be active; says why when the page did not load it at all."""
    try:
        page.wait_for_function(f"() => window.jupyterapp && window.jupyterapp.isPluginActivated({PLUGIN!r})",
                               timeout=15_000)
    except Exception:
        config = json.loads(page.locator("#jupyter-config-data").text_content() or "{}")
        raise AssertionError(
            f"{PLUGIN} is not active on {page.url}; the page's disabledExtensions: "
            f"{config.get('disabledExtensions')} (a `jupyter labextension disable` writes "
            "<venv>/etc/jupyter/labconfig/page_config.json unless given --level=user)") from None


@pytest.fixture(scope="module")
def page(lab: Lab, browser: Browser) -> Iterator[Page]:
    """One JupyterLab page for the module, opened fresh (no restored workspace: the launcher shows)."""
    page = new_page(browser)
    page.goto(f"{lab.url}/lab?reset")
    wait_for_entry_points(page)
    page.locator(".jp-Launcher").wait_for()
    page.locator(".jp-DirListing-content").wait_for()
    yield page
    page.context.close()


def work_folder(lab: Lab, name: str) -> Path:
    folder = lab.root / name
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    return folder


def browse_to(page: Page, name: str) -> None:
    """Opens the root's folder `name` in the file browser by double-clicking it, as a person does."""
    page.locator(".jp-BreadCrumbs-home").click()
    listing_item(page, name).dblclick()
    expect(page.locator(".jp-BreadCrumbs")).to_contain_text(name)


def listing_item(page: Page, name: str) -> Locator:
    return page.locator(".jp-DirListing-item").filter(
        has=page.locator(".jp-DirListing-itemText", has_text=name)).first


def open_launcher(page: Page) -> Locator:
    """A new launcher from the file browser's + button; it lists the browser's folder."""
    page.locator(".jp-FileBrowser-toolbar [data-command='launcher:create']").click()
    launcher = page.locator(".jp-Launcher").last
    launcher.wait_for()
    return launcher


def current_notebook(page: Page, path: str) -> Locator:
    """Waits for the notebook at `path` to be the current tab, and returns its panel."""
    page.wait_for_function(
        "path => { const w = window.jupyterapp.shell.currentWidget;"
        " return w && w.context && w.context.path === path }", arg=path)
    tab = page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab.lm-mod-current")
    expect(tab).to_contain_text(path.rsplit("/", 1)[-1])
    return page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)")


def cell_sources(page: Page) -> list[str]:
    return page.evaluate(
        "() => window.jupyterapp.shell.currentWidget.content.model.sharedModel.cells.map(c => c.getSource())")


def expect_form_ran(panel: Locator) -> None:
    """The one cell ran (its prompt shows an execution count) and shows the form."""
    expect(panel.locator(".jp-Cell")).to_have_count(1)
    expect(panel.locator(".jp-Cell .jp-InputPrompt")).to_have_text("[1]:", timeout=30_000)
    expect(panel.locator(".mi-form .mi-field[data-field='model_name'] .mi-control")).to_be_visible()
    expect(panel.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")).to_have_count(0)


def saved_cells(path: Path) -> tuple[list[str], dict[str, Any]]:
    notebook = json.loads(path.read_text())
    return ["".join(cell["source"]) for cell in notebook["cells"]], notebook["metadata"]["kernelspec"]


def close_current(page: Page) -> None:
    """Saves and closes the current notebook and shuts its kernel down, so the kernels do not pile up."""
    page.evaluate("""async () => {
        const notebook = window.jupyterapp.shell.currentWidget;
        await notebook.context.save();
        await notebook.sessionContext.shutdown();
        notebook.dispose();
    }""")


def test_launcher_card_opens_a_running_form_notebook_in_the_current_folder(
        page: Page, lab: Lab, screenshot_dir: Path):
    folder = work_folder(lab, "from_launcher")
    (folder / "import_model.txt").write_text("not a notebook: its name is free")
    browse_to(page, "from_launcher")
    launcher = open_launcher(page)
    expect(launcher.locator(".jp-Launcher-cwd")).to_contain_text("from_launcher")
    section = launcher.locator(".jp-Launcher-section").filter(has_text="Model import")
    card = section.locator(".jp-LauncherCard")
    expect(card).to_have_count(1)
    expect(card.locator(".jp-LauncherCard-label")).to_have_text("Import model…")
    expect(card).to_have_attribute("title", "Open a new notebook with the model import form")
    expect(card.locator(".jp-LauncherCard-icon svg")).to_be_visible()  # our icon, not a letter
    section.screenshot(path=str(screenshot_dir / "entry-launcher-card.png"), animations="disabled")
    page.screenshot(path=str(screenshot_dir / "entry-launcher.png"), animations="disabled")

    card.click()
    panel = current_notebook(page, "from_launcher/import_model.ipynb")
    expect_form_ran(panel)
    assert cell_sources(page) == [NEW_FORM_CODE]
    assert saved_cells(folder / "import_model.ipynb") == ([NEW_FORM_CODE], {
        "name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"})
    close_current(page)

    open_launcher(page).locator(".jp-LauncherCard", has_text="Import model…").click()
    expect_form_ran(current_notebook(page, "from_launcher/import_model-1.ipynb"))
    assert saved_cells(folder / "import_model-1.ipynb")[0] == [NEW_FORM_CODE]
    close_current(page)
    assert sorted(p.name for p in folder.iterdir() if not p.name.startswith(".")) == [
        "import_model-1.ipynb", "import_model.ipynb", "import_model.txt"]


def test_command_palette_opens_a_running_form_notebook(page: Page, lab: Lab):
    folder = work_folder(lab, "from_palette")
    nbformat_empty = {"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    (folder / "import_model.ipynb").write_text(json.dumps(nbformat_empty))  # taken: the next name is used
    browse_to(page, "from_palette")
    page.locator(".jp-DirListing-content").click(position={"x": 5, "y": 5}, force=True)
    page.keyboard.press("ControlOrMeta+Shift+C")
    palette = page.locator("#modal-command-palette")
    search = palette.locator("input")
    expect(search).to_be_focused()
    search.press_sequentially("Import model")
    item = palette.locator(".lm-CommandPalette-item.lm-mod-active")
    expect(item).to_contain_text("Import model…")
    # Its category (the modal palette hides category headers while searching).
    expect(palette.locator(".lm-CommandPalette-header", has_text="Model import")).to_be_attached()
    search.press("Enter")

    panel = current_notebook(page, "from_palette/import_model-1.ipynb")
    expect_form_ran(panel)
    assert saved_cells(folder / "import_model-1.ipynb")[0] == [NEW_FORM_CODE]
    assert json.loads((folder / "import_model.ipynb").read_text()) == nbformat_empty  # never overwritten
    close_current(page)


def context_menu_labels(page: Page, name: str) -> list[str]:
    listing_item(page, name).click(button="right")
    menu = page.locator(".lm-Menu").first
    menu.wait_for()
    return menu.locator(".lm-Menu-item:not(.lm-mod-hidden) .lm-Menu-itemLabel").all_inner_texts()


def test_folder_context_menu_opens_a_form_filled_from_the_folder(page: Page, lab: Lab, screenshot_dir: Path):
    folder = work_folder(lab, "from_menu")
    make_model_folder(folder / "digits")
    make_model_folder(folder / QUOTED_FOLDER)
    (folder / "notes.txt").write_text("a file, not a model folder")
    browse_to(page, "from_menu")

    assert "Import as model…" not in context_menu_labels(page, "notes.txt")
    page.keyboard.press("Escape")
    labels = context_menu_labels(page, "digits")
    assert labels.count("Import as model…") == 1, labels
    entry = page.locator(".lm-Menu .lm-Menu-item", has_text="Import as model…")
    expect(entry.locator(".lm-Menu-itemIcon svg")).to_be_visible()
    page.locator(".lm-Menu").first.screenshot(path=str(screenshot_dir / "entry-folder-menu.png"),
                                              animations="disabled")
    entry.click()

    panel = current_notebook(page, "from_menu/import_model.ipynb")
    expect_form_ran(panel)
    assert cell_sources(page) == [folder_form_code('"digits"')]
    expect(panel.locator(".mi-field[data-field='model_type'] .mi-control")).to_have_value("TensorFlow")
    expect(panel.locator(".mi-field[data-field='model_algorithm'] .mi-control")).to_have_value("image_classification")
    close_current(page)

    context_menu_labels(page, QUOTED_FOLDER)
    page.locator(".lm-Menu .lm-Menu-item", has_text="Import as model…").click()
    panel = current_notebook(page, "from_menu/import_model-1.ipynb")
    expect_form_ran(panel)
    assert cell_sources(page) == [folder_form_code('"Bob\'s \\"best\\" model"')]
    expect(panel.locator(".mi-field[data-field='model_type'] .mi-control")).to_have_value("TensorFlow")
    expect(panel.locator(".mi-field[data-field='source_location'] .mi-control")).to_have_value(QUOTED_FOLDER)
    close_current(page)

    # A name no one would type: selected in the browser, then the same command the menu runs.
    make_model_folder(folder / ODD_FOLDER)
    page.evaluate("""async name => {
        const browser = window.jupyterapp.shell.widgets('left').find(w => w.id === 'filebrowser');
        await browser.model.refresh();
        await browser.selectItemByName(name);
        void window.jupyterapp.commands.execute('model-import-widget:import-folder');
    }""", ODD_FOLDER)
    panel = current_notebook(page, "from_menu/import_model-2.ipynb")
    expect_form_ran(panel)
    assert cell_sources(page) == [folder_form_code('"line\\nbreak \\\\ ü\\u2028end"')]
    expect(panel.locator(".mi-field[data-field='model_type'] .mi-control")).to_have_value("TensorFlow")
    close_current(page)


FORM_CELL = "from model_import_widget import ModelImportForm\nform = ModelImportForm()\nform"


def test_forms_insert_code_button_adds_its_code_in_a_cell_right_below(open_notebook, screenshot_dir: Path):
    nb: OpenNotebook = open_notebook("insert_button.ipynb", [FORM_CELL, "after = 1"])
    page = nb.page
    cells = page.locator(".jp-NotebookPanel .jp-Cell")
    form = cells.nth(0).locator(".mi-form")
    form.get_by_role("button", name="Insert code below").click()

    expect(cells).to_have_count(3)
    code = nb.kernel.eval("form.to_code()")
    assert code.strip()
    assert cell_sources(page) == [FORM_CELL, code, "after = 1"]
    expect(cells.nth(1)).to_contain_class("jp-mod-active")
    expect(cells.nth(1).locator(".jp-InputPrompt")).to_have_text("[ ]:")  # inserted, not run
    expect(form.locator(".mi-notice")).to_have_text("The code is in a new cell below the form.")
    page.locator(".jp-NotebookPanel .jp-Notebook").screenshot(
        path=str(screenshot_dir / "entry-inserted-cell.png"), animations="disabled", caret="hide")


def test_insert_code_event_adds_a_cell_right_below_the_dispatching_cell(open_notebook):
    nb: OpenNotebook = open_notebook("insert_code.ipynb", [FORM_CELL, "after = 1"])
    page = nb.page
    cells = page.locator(".jp-NotebookPanel .jp-Cell")
    form = cells.nth(0).locator(".mi-form")
    form.locator(".mi-field[data-field='model_name'] .mi-control").wait_for()
    code = 'model = Model(session, model_name="digits")\nprint(model.get_model_info())'

    # From outside any output (the cell's editor, the page itself): not handled, nothing inserted.
    assert page.evaluate(DISPATCH, [".jp-NotebookPanel .jp-Cell:first-child .jp-InputArea", "nope"]) is True
    assert page.evaluate(DISPATCH, ["body", "nope"]) is True
    expect(cells).to_have_count(2)

    handled = page.evaluate(DISPATCH, [".jp-NotebookPanel .jp-Cell:first-child .mi-form .mi-field", code])
    assert handled is False  # cancelled: the form knows a front end took it (no clipboard fallback)
    expect(cells).to_have_count(3)
    assert nb.page.evaluate("() => window.jupyterapp.shell.currentWidget.content.model.sharedModel.cells"
                            ".map(c => [c.cell_type, c.getSource()])") == [
        ["code", FORM_CELL], ["code", code], ["code", "after = 1"]]
    expect(cells.nth(1)).to_contain_class("jp-mod-active")
    expect(cells.nth(1).locator(".jp-InputPrompt")).to_have_text("[ ]:")

    # From inside a shadow root in the output (a composed event): handled the same way.
    shadow = """([code, name]) => {
        const host = document.querySelector('.jp-NotebookPanel .jp-Cell:first-child .mi-form');
        const root = host.appendChild(document.createElement('div')).attachShadow({mode: 'open'});
        const button = root.appendChild(document.createElement('button'));
        return button.dispatchEvent(new CustomEvent(name, {
            bubbles: true, cancelable: true, composed: true, detail: {code}}));
    }"""
    assert page.evaluate(shadow, ["from_shadow = 1", INSERT_CODE_EVENT]) is False
    expect(cells).to_have_count(4)
    assert cell_sources(page)[1] == "from_shadow = 1"

    # The command inserts below the active cell (the one just inserted).
    page.evaluate("code => window.jupyterapp.commands.execute('model-import-widget:insert-code', {code})",
                  "by_command = 2")
    expect(cells).to_have_count(5)
    assert cell_sources(page) == [FORM_CELL, "from_shadow = 1", "by_command = 2", code, "after = 1"]
    expect(cells.nth(2)).to_contain_class("jp-mod-active")

    # A command for the form's own use: not offered in the palette.
    page.keyboard.press("Escape")
    page.keyboard.press("ControlOrMeta+Shift+C")
    search = page.locator("#modal-command-palette input")
    search.press_sequentially("Insert code below the active")
    expect(page.locator("#modal-command-palette .lm-CommandPalette-item")).to_have_count(0)
    search.press("Escape")


def extension_errors(messages: list[str]) -> list[str]:
    """Errors of ours: a plugin that failed to activate is named; a missing required service says "No provider"."""
    return [m for m in messages if "model-import-widget" in m or "model_import_widget" in m or "No provider for" in m]


def test_notebook7_loads_the_extension_and_handles_insert_code(notebook7: Lab, browser: Browser):
    (notebook7.root / "n7.ipynb").write_text(json.dumps({
        "cells": [{"cell_type": "code", "source": FORM_CELL, "metadata": {}, "outputs": [],
                   "execution_count": None}],
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
        "nbformat": 4, "nbformat_minor": 5}))
    make_model_folder(notebook7.root / "digits")
    page = new_page(browser)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        # The tree page: no launcher there, and the folder menu still has the entry.
        page.goto(f"{notebook7.url}/tree")
        wait_for_entry_points(page)
        listing_item(page, "digits").wait_for()
        assert "Import as model…" in context_menu_labels(page, "digits")
        # Notebook 7 opens a notebook in a tab of its own (there the person presses Run).
        with page.context.expect_page() as opened:
            page.locator(".lm-Menu .lm-Menu-item", has_text="Import as model…").click()
        opened.value.wait_for_url("**/notebooks/import_model.ipynb")
        assert saved_cells(notebook7.root / "import_model.ipynb")[0] == [folder_form_code('"digits"')]
        opened.value.close()

        page.goto(f"{notebook7.url}/notebooks/n7.ipynb")
        wait_for_entry_points(page)
        page.wait_for_function("() => { const w = window.jupyterapp.shell.currentWidget;"
                               " return w && w.sessionContext && w.sessionContext.session"
                               " && w.sessionContext.session.kernel }")
        page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']").wait_for()
        page.evaluate("() => { void window.jupyterapp.commands.execute('notebook:run-all-cells') }")
        cells = page.locator(".jp-Notebook .jp-Cell")
        cells.nth(0).locator(".mi-form .mi-field[data-field='model_name'] .mi-control").wait_for(timeout=30_000)
        handled = page.evaluate(DISPATCH, [".jp-Notebook .jp-Cell:first-child .mi-form", "inserted = 7"])
        assert handled is False
        expect(cells).to_have_count(2)
        expect(cells.nth(1)).to_contain_class("jp-mod-active")
        sources = "() => window.jupyterapp.shell.currentWidget.content.model.sharedModel.cells.map(c => c.getSource())"
        assert page.evaluate(sources) == [FORM_CELL, "inserted = 7"]
        # The form's own button, as a person uses it: its code goes right below the form, above the first.
        cells.nth(0).locator(".mi-form").get_by_role("button", name="Insert code below").click()
        expect(cells).to_have_count(3)
        expect(cells.nth(0).locator(".mi-notice")).to_have_text("The code is in a new cell below the form.")
        form_code, inserted = page.evaluate(sources)[1:]
        assert inserted == "inserted = 7" and form_code.strip() and form_code != FORM_CELL
    finally:
        page.context.close()
    assert not extension_errors(errors), errors
