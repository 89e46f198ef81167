"""The quick start's model from memory, in JupyterLab and Notebook 7, as a newcomer meets it: the notebook runs top
to bottom, the form built from the scikit-learn object says what it found, and "Try locally" says what it will run
before running it, then shows the real answer with its stage times; a broken request says so. Screenshots are saved
as try-{app}-{ask,answer,bad-request}.png (see conftest.SCREENSHOT_DIR); with MODEL_IMPORT_WIDGET_SCREENSHOTS set
(scripts/screenshot.py), the answer in JupyterLab also goes there as try-locally.png, the README's picture."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Iterator

import pytest
from playwright.sync_api import Browser, expect

from .conftest import Lab, goto_notebook, new_context, serve

pytestmark = pytest.mark.slow

QUICKSTART = Path(__file__).resolve().parents[2] / "notebooks" / "01_quickstart.ipynb"


@pytest.fixture(scope="module", params=["jupyterlab", "notebook"])
def served(request, tmp_path_factory) -> Iterator[tuple[str, Lab]]:
    app = request.param
    if app == "notebook":
        pytest.importorskip("notebook", reason="Notebook 7 is not installed: .venv/bin/pip install notebook")
    pytest.importorskip("sklearn", reason="scikit-learn is installed by scripts/setup.sh (the examples extra)")
    with serve(app, tmp_path_factory.mktemp(f"try-{app}")) as server:
        shutil.copy(QUICKSTART, server.root / "quickstart.ipynb")
        yield app, server


def test_the_quick_start_model_from_memory_is_tried_locally(served, browser: Browser, screenshot_dir):
    app, server = served
    context = new_context(browser, 1100, 1500, timeout_ms=60_000)
    page = context.new_page()
    try:
        goto_notebook(page, server, app, "quickstart.ipynb")
        form = page.locator(".mi-form").nth(1)  # the second form: the scikit-learn classifier's
        expect(form.locator(".mi-status")).to_have_text(
            "Published quickstart_sklearn_digits 1.0.0", timeout=120_000)  # the notebook imported it at the end
        expect(form.locator(".mi-field[data-field='model_type'] select")).to_have_value("Scikit_Learn")
        packages = form.locator(".mi-table[data-field='dependencies'] tbody tr")
        expect(packages).to_have_count(3)  # joblib, numpy, scikit-learn, pinned to the kernel's versions

        form.get_by_role("button", name="Try locally").click()
        panel = form.locator(".mi-trial")
        expect(panel.locator(".mi-trial-text")).to_contain_text("customize_service.py on this machine")
        expect(panel.locator(".mi-trial-text")).to_contain_text("Run only packages you trust.")
        request = panel.locator("textarea.mi-trial-request")
        example = json.loads(request.input_value())
        assert len(example["instances"]) == 2 and len(example["instances"][0]) == 64, example
        panel.locator(".mi-trial-title").scroll_into_view_if_needed()
        panel.screenshot(path=str(screenshot_dir / f"try-{app}-ask.png"), animations="disabled")

        panel.get_by_role("button", name="Run it").click()
        expect(panel.locator(".mi-trial-text")).to_contain_text("Answered in", timeout=60_000)
        expect(panel).to_have_attribute("data-level", "success")
        answer = panel.locator(".mi-trial-detail").filter(has_text="Answer").locator("pre")
        assert json.loads(answer.text_content()) == {"predictions": [0, 1]}  # load_digits' first two rows
        expect(panel.locator(".mi-trial-detail").filter(has_text="Stage times")).to_contain_text(
            "inference")
        expect(panel).to_contain_text("The answer fits config.json's apis.")
        panel.screenshot(path=str(screenshot_dir / f"try-{app}-answer.png"), animations="disabled")
        if os.environ.get("MODEL_IMPORT_WIDGET_SCREENSHOTS") and app == "jupyterlab":  # scripts/screenshot.py
            panel.screenshot(path=str(Path(os.environ["MODEL_IMPORT_WIDGET_SCREENSHOTS"]) / "try-locally.png"),
                             animations="disabled")

        request.fill('{"instances": [[0, 1,')  # a person's half-typed request
        panel.get_by_role("button", name="Run again").click()
        expect(panel.locator(".mi-trial-text")).to_contain_text("The sample request cannot be sent")
        expect(panel).to_have_attribute("data-level", "error")
        expect(request).to_have_value('{"instances": [[0, 1,')  # what was typed stays
        panel.screenshot(path=str(screenshot_dir / f"try-{app}-bad-request.png"), animations="disabled")
        panel.get_by_role("button", name="Close").click()
        expect(panel).to_be_hidden()
    finally:
        context.close()
