"""The form needs no extension of ours: with the project's JupyterLab extension disabled (`jupyter labextension
disable`), in JupyterLab and in Notebook 7, the form renders, checks each keystroke in the browser, shows a hostile
value as text, and "Insert code below" — with no extension to add the cell — copies the code or shows it to copy,
and says so. The form's front end comes with the widget (anywidget)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Iterator

import nbformat
import pytest
from playwright.sync_api import Browser, expect

from .conftest import SETTINGS_OVERRIDES, Lab, _free_port, _note_outside, wait_until

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
    root, settings, runtime, config = base / "root", base / "app-settings", base / "runtime", base / "config"
    for folder in (root, settings, runtime, config, base / "user-settings", base / "workspaces"):
        folder.mkdir()
    (settings / "overrides.json").write_text(json.dumps(SETTINGS_OVERRIDES))
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(config), "JUPYTER_RUNTIME_DIR": str(runtime),
           "IPYTHONDIR": str(base / "ipython"), "MODEL_IMPORT_WIDGET_HOME": str(base / "registry"),
           "MODEL_IMPORT_WIDGET_BACKEND": "embedded"}
    # --level=user: into this server's own JUPYTER_CONFIG_DIR. The default level (sys_prefix) would write the
    # venv's etc/jupyter and turn the extension off for every later JupyterLab of this venv.
    disabled = subprocess.run([os.path.join(os.path.dirname(sys.executable), "jupyter"), "labextension", "disable",
                               "--level=user", "model-import-widget"], env=env, capture_output=True, text=True)
    assert disabled.returncode == 0, disabled.stderr
    page_config = json.loads((config / "labconfig" / "page_config.json").read_text())
    assert page_config["disabledExtensions"].get("model-import-widget") is True, page_config
    assert not (Path(sys.prefix) / "etc" / "jupyter" / "labconfig" / "page_config.json").exists() or \
        "model-import-widget" not in (Path(sys.prefix) / "etc" / "jupyter" / "labconfig" / "page_config.json").read_text()
    appclass = "LabApp" if app == "jupyterlab" else "JupyterNotebookApp"
    port = _free_port()
    command = [sys.executable, "-m", app, "--no-browser", "--allow-root", "--ip=127.0.0.1", f"--port={port}",
               "--ServerApp.port_retries=0", "--IdentityProvider.token=", "--ServerApp.password=",
               "--ServerApp.disable_check_xsrf=True", f"--ServerApp.root_dir={root}",
               f"--{appclass}.app_settings_dir={settings}", f"--{appclass}.user_settings_dir={base / 'user-settings'}",
               f"--{appclass}.workspaces_dir={base / 'workspaces'}", f"--{appclass}.expose_app_in_browser=True"]
    log_path = base / "server.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(command, cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    served = Lab(url=f"http://127.0.0.1:{port}", root=root, runtime_dir=runtime)

    def ready() -> bool:
        if process.poll() is not None:
            raise AssertionError(f"{app} exited with {process.returncode}:\n{log_path.read_text()[-3000:]}")
        try:
            return bool(served.get("/api/status"))
        except OSError:
            return False

    try:
        wait_until(ready, timeout=60, interval=0.2, what=f"{app} to answer /api/status")
        yield app, served
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def test_the_form_works_with_our_extension_disabled(server, browser: Browser, screenshot_dir):
    app, served = server
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(CELL)], metadata={
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})
    nbformat.write(notebook, served.root / "anywhere.ipynb")
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    context.on("request", _note_outside)
    context.set_default_timeout(30_000)
    errors: list[str] = []
    page = context.new_page()
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        page.goto(f"{served.url}/lab/tree/anywhere.ipynb?reset" if app == "jupyterlab"
                  else f"{served.url}/notebooks/anywhere.ipynb")
        page.wait_for_function("() => window.jupyterapp && window.jupyterapp.shell.currentWidget"
                               " && window.jupyterapp.shell.currentWidget.sessionContext"
                               " && window.jupyterapp.shell.currentWidget.sessionContext.session"
                               " && window.jupyterapp.shell.currentWidget.sessionContext.session.kernel")
        plugins = page.evaluate("() => Array.from(window.jupyterapp.listPlugins ? window.jupyterapp.listPlugins() : [])")
        assert not any(p.startswith("model-import-widget") for p in plugins), "our extension is still on"
        page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle'], .jp-NotebookPanel").first.wait_for()
        page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
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
