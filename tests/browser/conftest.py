"""A real JupyterLab (from this venv, with this package's labextension) and Debian's Chromium driven by Playwright.

`lab` starts `jupyter lab` on 127.0.0.1 with a temporary root, settings and runtime directory, no auth, news
off and comm messages kept off kernel subshells (so a busy kernel really cannot answer the widgets).
`open_notebook` writes a notebook, opens it, runs every cell and hands back the page plus a second client
of the notebook's own kernel, to read and set widget traits as a cell would.
"""

from __future__ import annotations

import ast
import contextlib
import json
import os
import queue
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

import nbformat
import pytest
from jupyter_client import BlockingKernelClient
from playwright.sync_api import Browser, Page, sync_playwright

CHROMIUM = "/usr/bin/chromium"
# No sandbox (root in a container) and none of the background traffic a fresh profile starts: the tests' network
# guard (tests/netguard) covers Python processes only, so Chromium itself must not try.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-domain-reliability",
    "--disable-client-side-phishing-detection",
    "--disable-sync",
    "--disable-default-apps",
    "--no-first-run",
    "--no-pings",
    "--disable-features=Translate,OptimizationHints,MediaRouter",
    # Names other than this machine's resolve to nothing, so no background request can leave it either.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1",
]
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]", "::1")
OUTSIDE_REQUESTS: list[str] = []
"""Every request a test page made to an address that is not this machine (the run fails if any)."""


def _note_outside(request: Any) -> None:
    from urllib.parse import urlsplit

    url = request.url
    if url.startswith(("http://", "https://", "ws://", "wss://")) and urlsplit(url).hostname not in LOOPBACK_HOSTS:
        OUTSIDE_REQUESTS.append(url)
SETTINGS_OVERRIDES = {
    # The news toast would cover the widgets in screenshots, and fetching news needs the network.
    "@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": False},
    # Comm messages wait behind a running cell instead of being answered on a subshell.
    "@jupyterlab/apputils-extension:kernels-settings": {"commsOverSubshells": "disabled"},
}
SCREENSHOT_DIR = Path(tempfile.gettempdir()) / "model_import_widget-screenshots"

COLOR_OF = """([element, variable]) => {
    const probe = document.createElement('span');
    probe.style.color = `var(${variable})`;
    document.body.appendChild(probe);
    const wanted = getComputedStyle(probe).color;
    probe.remove();
    return [getComputedStyle(element).color, wanted];
}"""
"""[an element's colour, the colour a CSS variable names], for page.evaluate: a theme's colour, as rendered."""


def write_notebook(path: Path, cells: list[str]) -> None:
    """A notebook of these code cells on the Python 3 kernel."""
    nbformat.write(nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell(source) for source in cells],
        metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}), path)


def new_context(browser: Browser, width: int, height: int, timeout_ms: int = 30_000) -> Any:
    """A browser context of this viewport whose requests the network guard watches (only this machine)."""
    context = browser.new_context(viewport={"width": width, "height": height})
    context.on("request", _note_outside)
    context.set_default_timeout(timeout_ms)
    return context


def goto_notebook(page: Page, served: "Lab", app: str, name: str) -> None:
    """Opens notebook `name` of `served` (JupyterLab or Notebook 7), waits for its kernel and runs all its cells."""
    page.goto(f"{served.url}/lab/tree/{name}?reset" if app == "jupyterlab" else f"{served.url}/notebooks/{name}")
    page.wait_for_function("() => window.jupyterapp && window.jupyterapp.shell.currentWidget"
                           " && window.jupyterapp.shell.currentWidget.sessionContext"
                           " && window.jupyterapp.shell.currentWidget.sessionContext.session"
                           " && window.jupyterapp.shell.currentWidget.sessionContext.session.kernel")
    page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle'], .jp-NotebookPanel").first.wait_for()
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")


def wait_until(predicate: Callable[[], Any], timeout: float = 15.0, interval: float = 0.05, what: str = "") -> Any:
    """Polls `predicate` until it returns something truthy; fails with `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what or predicate} (last: {last!r})")


@dataclass
class Lab:
    url: str
    root: Path
    runtime_dir: Path

    def get(self, path: str) -> Any:
        with urllib.request.urlopen(f"{self.url}{path}", timeout=5) as response:
            return json.loads(response.read())


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def serve(app: str, base: Path, *, disabled: tuple[str, ...] = ()) -> Iterator[Lab]:
    """`jupyter lab` (app "jupyterlab") or `jupyter notebook` (Notebook 7, app "notebook") from this venv on
    127.0.0.1: no auth, a temporary root, settings, config and runtime folder under `base`, the settings overrides,
    the app on window.jupyterapp; `disabled` labextensions turned off for this server only (--level=user, in its
    own config folder). Stopped (its kernels with it) on exit."""
    root, settings, runtime, config = base / "root", base / "app-settings", base / "runtime", base / "config"
    for folder in (root, settings, runtime, config, base / "user-settings", base / "workspaces"):
        folder.mkdir()
    (settings / "overrides.json").write_text(json.dumps(SETTINGS_OVERRIDES))
    env = {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(config),
        "JUPYTER_RUNTIME_DIR": str(runtime),
        "IPYTHONDIR": str(base / "ipython"),
        "MODEL_IMPORT_WIDGET_HOME": str(base / "registry"),
        "MODEL_IMPORT_WIDGET_BACKEND": "embedded",
    }
    for extension in disabled:  # --level=user: the default (sys_prefix) would write the venv's own config
        done = subprocess.run([os.path.join(os.path.dirname(sys.executable), "jupyter"), "labextension", "disable",
                               "--level=user", extension], env=env, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
    appclass = "LabApp" if app == "jupyterlab" else "JupyterNotebookApp"
    port = _free_port()
    command = [
        sys.executable, "-m", app,
        "--no-browser", "--allow-root", "--ip=127.0.0.1", f"--port={port}", "--ServerApp.port_retries=0",
        "--IdentityProvider.token=", "--ServerApp.password=", "--ServerApp.disable_check_xsrf=True",
        f"--ServerApp.root_dir={root}",
        f"--{appclass}.app_settings_dir={settings}",
        f"--{appclass}.user_settings_dir={base / 'user-settings'}",
        f"--{appclass}.workspaces_dir={base / 'workspaces'}",
        # Tests drive the app's own commands (run all cells, change theme) through window.jupyterapp.
        f"--{appclass}.expose_app_in_browser=True",
    ]
    log_path = base / f"{app}.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(command, cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    server = Lab(url=f"http://127.0.0.1:{port}", root=root, runtime_dir=runtime)

    def ready() -> bool:
        if process.poll() is not None:
            raise AssertionError(f"jupyter {app} exited with {process.returncode}:\n{log_path.read_text()[-3000:]}")
        try:
            return bool(server.get("/api/status"))
        except OSError:
            return False

    try:
        wait_until(ready, timeout=60, interval=0.2, what=f"jupyter {app} to answer /api/status")
        yield server
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)  # the server shuts its kernels down
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


@pytest.fixture(scope="session")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    with serve("jupyterlab", tmp_path_factory.mktemp("jupyterlab")) as served:
        kernels = served.get("/lab/api/settings/@jupyterlab/apputils-extension:kernels-settings")
        default = kernels["schema"]["properties"]["commsOverSubshells"]["default"]  # overrides set defaults
        assert default == "disabled", f"settings overrides not applied: commsOverSubshells is {default!r}"
        yield served


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} is missing: bash scripts/setup.sh installs Debian's chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
    assert not OUTSIDE_REQUESTS, f"the browser tried to reach other machines: {OUTSIDE_REQUESTS[:10]}"


class Kernel:
    """A second client of the notebook's kernel: what it runs, it runs as a cell would (same globals)."""

    def __init__(self, connection_file: Path):
        self.client = BlockingKernelClient()
        self.client.load_connection_file(str(connection_file))
        self.client.start_channels()
        self.client.wait_for_ready(timeout=30)

    def start(self, code: str) -> str:
        """Sends `code` and returns at once with its message id (the kernel is then busy with it)."""
        return self.client.execute(code, store_history=False)

    def wait_busy(self, msg_id: str, timeout: float = 10) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                msg = self.client.get_iopub_msg(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                break
            if (msg["parent_header"].get("msg_id") == msg_id and msg["msg_type"] == "status"
                    and msg["content"]["execution_state"] == "busy"):
                return
        raise AssertionError("the kernel did not start the cell")

    def reply_ready(self) -> bool:
        return self.client.shell_channel.msg_ready()

    def wait_reply(self, msg_id: str, timeout: float = 30) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            reply = self.client.get_shell_msg(timeout=max(0.01, deadline - time.monotonic()))
            if reply["parent_header"].get("msg_id") == msg_id:
                content = reply["content"]
                if content["status"] != "ok":
                    raise AssertionError(f"kernel error: {content.get('ename')}: {content.get('evalue')}")
                return content

    def run(self, code: str, timeout: float = 30) -> None:
        self.wait_reply(self.start(code), timeout)

    def eval(self, expression: str, timeout: float = 30) -> Any:
        """The JSON value of `expression` in the notebook's namespace."""
        msg_id = self.client.execute("", store_history=False,
                                     user_expressions={"r": f"__import__('json').dumps({expression})"})
        result = self.wait_reply(msg_id, timeout)["user_expressions"]["r"]
        if result["status"] != "ok":
            raise AssertionError(f"{expression}: {result.get('ename')}: {result.get('evalue')}")
        return json.loads(ast.literal_eval(result["data"]["text/plain"]))

    def close(self) -> None:
        self.client.stop_channels()


@dataclass
class OpenNotebook:
    page: Page
    kernel: Kernel


@pytest.fixture(scope="module")
def open_notebook(lab: Lab, browser: Browser) -> Iterator[Callable[[str, list[str]], OpenNotebook]]:
    """Writes a notebook of code cells, opens it in JupyterLab and runs all its cells."""
    opened: list[tuple[Any, Kernel]] = []

    def open_(name: str, cells: list[str]) -> OpenNotebook:
        write_notebook(lab.root / name, cells)
        context = new_context(browser, 1280, 1000, timeout_ms=20_000)
        page = context.new_page()
        page.goto(f"{lab.url}/lab/tree/{name}?reset")
        page.wait_for_function("() => window.jupyterapp && window.jupyterapp.shell.currentWidget"
                               " && window.jupyterapp.shell.currentWidget.sessionContext"
                               " && window.jupyterapp.shell.currentWidget.sessionContext.session"
                               " && window.jupyterapp.shell.currentWidget.sessionContext.session.kernel")
        page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']").wait_for()
        page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
        kernel_id = wait_until(lambda: next((s["kernel"]["id"] for s in lab.get("/api/sessions")
                                             if s["path"].endswith(name)), None), what="the notebook's kernel")
        connection_file = lab.runtime_dir / f"kernel-{kernel_id}.json"
        wait_until(connection_file.exists, what=str(connection_file))
        kernel = Kernel(connection_file)
        opened.append((context, kernel))
        return OpenNotebook(page=page, kernel=kernel)

    yield open_
    for context, kernel in opened:
        kernel.close()
        context.close()


@pytest.fixture(scope="session")
def screenshot_dir() -> Path:
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    return SCREENSHOT_DIR


@pytest.fixture(scope="module")
def notebook7(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    """`jupyter notebook` (Notebook 7) from this venv, started as `lab` starts JupyterLab."""
    pytest.importorskip("notebook", reason="Notebook 7 is not installed: .venv/bin/pip install notebook")
    with serve("notebook", tmp_path_factory.mktemp("notebook7")) as served:
        yield served

