"""The form as a first-time user meets it, in JupyterLab and in Notebook 7: the one status line through a failed
import and a published one (with its colour), choices that say what they mean, placeholders that cannot pass for
values, path suggestions that stop at the package folder, and the whole form in Chinese — with screenshots in the
light theme, the dark theme and Chinese saved to the screenshot folder (see conftest.SCREENSHOT_DIR)."""

from __future__ import annotations

import json
import subprocess
from typing import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from .conftest import Lab, goto_notebook, new_context, serve, wait_until, write_notebook

pytestmark = pytest.mark.slow

CONFIG = {"model_type": "PyTorch", "model_algorithm": "image_classification", "runtime": "python3.6",
          "apis": [{"protocol": "http", "url": "/", "method": "post",
                    "request": {"Content-type": "application/json", "data": {"type": "object", "properties": {
                        "x": {"type": "number"}}}},
                    "response": {"Content-type": "application/json", "data": {"type": "object", "properties": {
                        "y": {"type": "number"}}}}}]}
FORM_CELL = """
from model_import_widget import ModelImportForm, Session
form = ModelImportForm.from_folder("./digits", Session(backend="embedded", home=".screens-registry"), language="en",
                                   model_name="digits")
form
"""
LIST_CELL = """
from model_import_widget import ModelList
models = ModelList(form._session, language="en")
models
"""
BREAK_NEXT_IMPORT = """
from model_import_widget.widget.run import ImportRun
_real_progress = ImportRun._progress
def _rewrite_config(self, p, _path="digits/model/config.json"):  # a training job still writing the folder
    import pathlib
    if p.bytes_done == 0 and pathlib.Path(_path).read_text().startswith("{"):
        pathlib.Path(_path).write_text("not json any more")
    _real_progress(self, p)
ImportRun._progress = _rewrite_config
"""
MEND = f"""
ImportRun._progress = _real_progress
import json, pathlib
pathlib.Path("digits/model/config.json").write_text(json.dumps({CONFIG!r}))
"""


@pytest.fixture(scope="module", params=["jupyterlab", "notebook"])
def served(request, tmp_path_factory) -> Iterator[tuple[str, Lab]]:
    app = request.param
    if app == "notebook":
        pytest.importorskip("notebook", reason="Notebook 7 is not installed: .venv/bin/pip install notebook")
    with serve(app, tmp_path_factory.mktemp(f"screens-{app}")) as server:
        model = server.root / "digits" / "model"
        model.mkdir(parents=True)
        (model / "config.json").write_text(json.dumps(CONFIG))
        (model / "customize_service.py").write_text("class Service:\n    pass\n")
        (model / "weights.pth").write_bytes(bytes(range(256)) * 64)
        (server.root / "digits" / "notes").mkdir()
        yield app, server


def status(page: Page):
    return page.locator(".mi-form .mi-status")


def status_colour(page: Page) -> tuple[int, ...]:
    text = status(page).evaluate("e => getComputedStyle(e).borderLeftColor")
    return tuple(int(float(v)) for v in text[text.index("(") + 1:text.index(")")].split(",")[:3])


def test_a_first_time_user_sees_true_status_explained_choices_and_chinese(served, browser: Browser, screenshot_dir):
    app, server = served
    fonts = subprocess.run(["fc-list", ":lang=zh"], capture_output=True, text=True).stdout
    assert fonts.strip(), "no font can show Chinese: scripts/setup.sh installs fonts-wqy-microhei (as root)"
    write_notebook(server.root / "screens.ipynb", [FORM_CELL, LIST_CELL])
    context = new_context(browser, 1100, 1400)
    page = context.new_page()
    shot = lambda name: page.locator(".mi-form").screenshot(  # noqa: E731
        path=str(screenshot_dir / f"screens-{app}-{name}.png"), animations="disabled", caret="hide")
    try:
        goto_notebook(page, server, app, "screens.ipynb")
        form = page.locator(".mi-form")
        version = form.locator(".mi-field[data-field='model_version'] input")
        models = page.locator(".mi-list")
        expect(models.locator(".mi-list-empty")).to_be_visible()  # nothing imported yet

        # a draft says how many problems block it; grey examples say "e.g."; each choice says what it means
        expect(status(page)).to_have_text("Draft: 1 problem to fix before importing (Version)")
        expect(version).to_have_attribute("placeholder", "e.g. 1.0.0")
        expect(form.locator(".mi-field[data-field='model_name'] input")).to_have_attribute(
            "placeholder", "blank: a name is generated")  # (shown once the name is cleared)
        source_type = form.locator(".mi-field[data-field='source_type'] select option")
        expect(source_type).to_have_text(["none: a model you trained or wrote", "auto: made by ExeML (automatic learning)"])
        where = form.locator(".mi-field[data-field='source_location'] input")
        where.click()
        where.press("End")
        where.press_sequentially("/")  # typing on into the package: model/ is never offered, notes/ is
        listed = lambda: where.evaluate("e => Array.from(e.list ? e.list.options : [], o => o.value)")  # noqa: E731
        wait_until(lambda: any(v.endswith("notes") for v in listed()), what="the folder's suggestions")
        assert not any(v.rstrip("/").endswith("/model") for v in listed()), listed()
        where.press("Backspace")
        version.fill("1.0.0")
        expect(status(page)).to_have_text("Draft: checked, nothing blocks importing")
        shot("draft-light")

        # an import that fails says why, in red
        kernel_run(page, BREAK_NEXT_IMPORT)
        form.get_by_role("button", name="Import model").click()
        expect(status(page)).to_contain_text("Import failed: Could not copy model/config.json: changed while it "
                                             "was being imported")
        expect(status(page)).to_have_class("mi-status mi-status-failed")
        red = status_colour(page)
        assert red[0] > 150 and red[0] > red[1] + 60, red
        shot("failed-light")
        # the models list beside the form read the registry again: the failed model, and why, one click away
        failed = models.locator(".mi-list-model").filter(has_text="digits")
        expect(failed.locator(".mi-list-chip")).to_have_text("✕Failed")
        failed.locator(".mi-list-events-button").click()
        expect(models.locator(".mi-list-reason")).to_contain_text("Why it failed: Could not copy model/config.json")
        models.screenshot(path=str(screenshot_dir / f"screens-{app}-list-failed-light.png"), animations="disabled")

        # mended on disk, checked again, imported: green, with the name and version
        kernel_run(page, MEND)
        version.fill("1.0.1")  # (Import reads the folder again)
        expect(status(page)).to_have_text("Draft: checked, nothing blocks importing")  # the failure is not left
        form.get_by_role("button", name="Import model").click()
        expect(status(page)).to_have_text("Published digits 1.0.1", timeout=60_000)
        green = status_colour(page)
        assert green[1] > green[0] + 40 and green[1] > green[2], green
        expect(models.locator(".mi-list-chip")).to_have_text(["✓Published", "✕Failed"])  # newest first
        expect(form.locator(".mi-result code")).to_have_text(wait_until(
            lambda: kernel_eval(page, "form.model_id"), what="the model id"))
        shot("published-light")

        # after a reload the form comes back from the kernel as it is: this import's status and id, nothing older
        published_id = kernel_eval(page, "form.model_id")
        page.evaluate("() => window.jupyterapp.commands.execute('docmanager:save')")
        wait_until(lambda: "mi-static-summary" in (server.root / "screens.ipynb").read_text(), what="the save")
        page.reload()
        page.wait_for_function("() => window.jupyterapp && window.jupyterapp.shell.currentWidget"
                               " && window.jupyterapp.shell.currentWidget.sessionContext"
                               " && window.jupyterapp.shell.currentWidget.sessionContext.session")
        expect(status(page)).to_have_text("Published digits 1.0.1", timeout=30_000)
        expect(form.locator(".mi-result code")).to_have_text(published_id)
        expect(page.locator(".mi-static-summary")).to_have_text(
            f"Model import: digits 1.0.1 (PyTorch) — published (id {published_id})")

        page.evaluate("() => window.jupyterapp.commands.execute('apputils:change-theme', {theme: 'JupyterLab Dark'})")
        page.wait_for_function("() => document.body.dataset.jpThemeName === 'JupyterLab Dark'")
        wait_until(lambda: status_colour(page) != green, what="the dark theme's colours")
        shot("published-dark")
        models.screenshot(path=str(screenshot_dir / f"screens-{app}-list-dark.png"), animations="disabled")
        page.evaluate("() => window.jupyterapp.commands.execute('apputils:change-theme', {theme: 'JupyterLab Light'})")

        # Chinese: the status line, the table's buttons, the choices, the badge
        form.get_by_role("button", name="中文").click()
        expect(status(page)).to_have_text("已发布 digits 1.0.1")
        expect(form.locator(".mi-header-text")).to_contain_text("本机注册表")
        expect(form.locator(".mi-table[data-field='input_params'] .mi-remove").first).to_have_attribute(
            "title", "删除第 1 行")
        expect(source_type.nth(1)).to_have_text("auto：由 ExeML（自动学习）生成")
        shot("published-chinese")
        version.fill("1.0.2")
        expect(status(page)).to_have_text("草稿：已检查，可以导入")
    finally:
        page.evaluate("() => window.jupyterapp.commands.execute('apputils:change-theme', {theme: 'JupyterLab Light'})")
        context.close()


def kernel_run(page: Page, code: str) -> None:
    """Runs `code` in the notebook's kernel, as a cell would (its output is not kept)."""
    page.evaluate("""async code => {
        const kernel = window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;
        const future = kernel.requestExecute({code, store_history: false});
        const reply = await future.done;
        if (reply.content.status !== 'ok') { throw new Error(reply.content.evalue); }
    }""", code)


def kernel_eval(page: Page, expression: str) -> str:
    return page.evaluate("""async expression => {
        const kernel = window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;
        const future = kernel.requestExecute({code: '', store_history: false,
                                              user_expressions: {r: `str(${expression})`}});
        const reply = await future.done;
        const text = reply.content.user_expressions.r.data['text/plain'];
        return text.slice(1, -1);
    }""", expression)
