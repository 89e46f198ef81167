"""The models list (ModelList: one anywidget) in a real JupyterLab: what a person sees and does.

One notebook imports five models into the server's embedded registry (one with a 64-character name, one that
fails) and shows two lists of it, one in English and one in Chinese. The tests measure the drawing (no clipped
button, no wrapped date), ask and abandon a delete, delete, open the failed model's events, and save screenshots
in light, dark and Chinese to the screenshot folder the other browser tests use.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Locator, Page, expect

from .conftest import COLOR_OF, OpenNotebook, wait_until

pytestmark = pytest.mark.slow

LONG_NAME = "resnet50_imagenet_finetuned_on_retail_shelf_products_v2_quantize"
assert len(LONG_NAME) == 64

SETUP = f"""
import json, pathlib, tempfile
from model_import_widget import Model, ModelList, Session

session = Session()  # the server's embedded registry (MODEL_IMPORT_WIDGET_HOME)
root = pathlib.Path(tempfile.mkdtemp())

def package(name, size=300_000):
    folder = root / name / "model"
    folder.mkdir(parents=True)
    (folder / "config.json").write_text(json.dumps({{"model_type": "PyTorch", "model_algorithm": "image_classification"}}))
    (folder / "customize_service.py").write_text("class Service:\\n    pass\\n")
    (folder / "weights.pth").write_bytes(b"w" * size)
    return root / name

def fields(name, version):
    return dict(model_name=name, model_version=version, model_type="PyTorch", source_location_type="LOCAL_SOURCE",
                source_location=str(package(f"{{name}}-{{version}}")))

ids = {{}}
ids["digits 1.0.0"] = Model(session, **fields("digits", "1.0.0")).get_model_id()
ids["digits 1.0.1"] = Model(session, description="digits again, trained longer", **fields("digits", "1.0.1")).get_model_id()
ids["long"] = Model(session, **fields("{LONG_NAME}", "10.10.10")).get_model_id()

# A failed import: config.json is rewritten as the import starts, as when a training job still writes the folder.
broken = fields("broken_model", "1.0.0")
config = pathlib.Path(broken["source_location"]) / "model" / "config.json"
def rewrite_once(progress):
    if progress.bytes_done == 0 and config.read_text().startswith("{{"):
        config.write_text("not json any more")
ids["failed"] = session.client.create_model(broken, progress=rewrite_once)
assert session.client.wait_model(ids["failed"], timeout=30)["model_status"] == "failed"
ids["newest"] = Model(session, **fields("digits", "2.0.0")).get_model_id()

shown = ModelList(session, page_size=10, language="en")
shown
"""

CHINESE = """
zh = ModelList(Session(), page_size=10, language="zh")
zh
"""

# Every problem of fit in one list: a clipped button or cell, a value that wraps onto a second line.
FIT_PROBLEMS = """root => {
    const problems = [];
    // lines of text in a node: its text's boxes, those that overlap vertically being one line
    const lines = node => {
        const range = document.createRange();
        range.selectNodeContents(node);
        const boxes = Array.from(range.getClientRects()).filter(r => r.width > 0 && r.height > 0)
            .sort((a, b) => a.top - b.top);
        let count = 0, bottom = -Infinity;
        for (const box of boxes) {
            if (box.top >= bottom - 1) count += 1;
            bottom = Math.max(bottom, box.bottom);
        }
        return count;
    };
    for (const button of root.querySelectorAll('button')) {
        if (button.scrollWidth > button.clientWidth) {
            problems.push(`button "${button.textContent}" clipped: ${button.scrollWidth} > ${button.clientWidth}`);
        }
        for (const label of button.querySelectorAll('.mi-list-button-label')) {
            if (lines(label) > 1) problems.push(`button label "${label.textContent}" wraps`);
        }
    }
    const cells = root.querySelectorAll('.mi-list-head .mi-list-cell, .mi-list-model .mi-list-cell:not(.mi-list-name)');
    for (const cell of cells) {
        if (cell.scrollWidth > cell.clientWidth) {
            problems.push(`cell "${cell.textContent}" clipped: ${cell.scrollWidth} > ${cell.clientWidth}`);
        }
    }
    const oneLine = '.mi-list-created, .mi-list-version, .mi-list-type, .mi-list-size, .mi-list-chip, '
        + '.mi-list-name-text, .mi-list-head .mi-list-cell, .mi-list-range';
    for (const value of root.querySelectorAll(oneLine)) {
        if (value.textContent && lines(value) > 1) problems.push(`"${value.textContent}" is on ${lines(value)} lines`);
    }
    // nothing sticks out of the list (an output area cuts what does), and the text under a row (the question, the
    // events) stays in view even when the table itself has to scroll sideways
    const inside = (node, frame, what) => {
        const r = node.getBoundingClientRect(), f = frame.getBoundingClientRect();
        if (r.width && (r.left < f.left - 0.5 || r.right > f.right + 0.5)) {
            problems.push(`"${node.textContent.slice(0, 40)}" sticks out of ${what}: ${r.left}..${r.right} `
                + `outside ${f.left}..${f.right}`);
        }
    };
    inside(root, root.parentElement, 'the output');
    for (const node of root.querySelectorAll('.mi-list-bar *, .mi-list-message')) inside(node, root, 'the list');
    for (const node of root.querySelectorAll('.mi-list-wide > *')) {
        inside(node, root.querySelector('.mi-list-scroll'), 'the visible table');
    }
    const scroll = root.querySelector('.mi-list-scroll');
    if (scroll && scroll.scrollWidth > scroll.clientWidth) {
        problems.push(`the table is wider than the output: ${scroll.scrollWidth} > ${scroll.clientWidth}`);
    }
    return problems;
}"""



@pytest.fixture(scope="module")
def nb(open_notebook) -> OpenNotebook:
    nb = open_notebook("model_list.ipynb", [SETUP, CHINESE])
    english(nb.page).locator(".mi-list-model").nth(4).wait_for(timeout=60_000)
    chinese(nb.page).locator(".mi-list-model").nth(4).wait_for(timeout=60_000)
    nb.page.evaluate("() => window.jupyterapp.commands.execute('notebook:hide-all-cell-code')")
    return nb


def english(page: Page) -> Locator:
    return page.locator(".mi-list[lang='en']")


def chinese(page: Page) -> Locator:
    return page.locator(".mi-list[lang='zh-CN']")


def row(shown: Locator, model_id: str) -> Locator:
    return shown.locator(f".mi-list-model[data-model-id='{model_id}']")


def output_of(shown: Locator) -> Locator:
    return shown.locator("xpath=ancestor::div[contains(@class, 'jp-OutputArea-output')][1]")


def set_theme(page: Page, theme: str) -> None:
    page.evaluate("theme => window.jupyterapp.commands.execute('apputils:change-theme', {theme})", theme)
    page.wait_for_function("theme => document.body.dataset.jpThemeName === theme", arg=theme)
    # the theme's stylesheet applies a moment later: until then the page keeps the other theme's background
    light = theme == "JupyterLab Light"
    page.wait_for_function("light => { const c = getComputedStyle(document.querySelector('.jp-NotebookPanel'))"
                           ".backgroundColor.match(/\\d+/g).map(Number); return light ? c[0] > 128 : c[0] < 128; }",
                           arg=light)


def shoot(shown: Locator, path) -> None:
    output = output_of(shown)
    output.scroll_into_view_if_needed()
    output.screenshot(path=str(path), animations="disabled", caret="hide")


def test_everything_fits_in_both_languages(nb: OpenNotebook, screenshot_dir):
    page = nb.page
    for shown in (english(page), chinese(page)):
        assert shown.evaluate(FIT_PROBLEMS) == []
    ids = nb.kernel.eval("ids")
    name = row(english(page), ids["long"]).locator(".mi-list-name-text")
    expect(name).to_have_attribute("title", LONG_NAME)  # the full name on hover, when it is cut
    assert name.evaluate("e => getComputedStyle(e).textOverflow") == "ellipsis"
    expect(english(page).locator(".mi-list-head")).to_contain_text("Created")
    expect(chinese(page).locator(".mi-list-head")).to_contain_text("创建时间")
    expect(english(page).locator(".mi-list-range")).to_have_text("1–5 of 5")
    expect(chinese(page).locator(".mi-list-range")).to_have_text("第 1–5 个，共 5 个")
    shoot(english(page), screenshot_dir / "model-list-light.png")
    shoot(chinese(page), screenshot_dir / "model-list-zh.png")


def test_status_chips_say_it_in_words_and_colour(nb: OpenNotebook):
    page, ids = nb.page, nb.kernel.eval("ids")
    published = row(english(page), ids["digits 1.0.0"]).locator(".mi-list-chip")
    failed = row(english(page), ids["failed"]).locator(".mi-list-chip")
    expect(published).to_have_text("✓Published")
    expect(failed).to_have_text("✕Failed")
    expect(row(chinese(page), ids["failed"]).locator(".mi-list-chip")).to_have_text("✕失败")
    border = "e => getComputedStyle(e).borderTopColor"
    probe = """variable => { const p = document.createElement('span'); p.style.color = `var(${variable})`;
        document.body.appendChild(p); const c = getComputedStyle(p).color; p.remove(); return c; }"""
    assert published.evaluate(border) == page.evaluate(probe, "--jp-success-color1")
    assert failed.evaluate(border) == page.evaluate(probe, "--jp-error-color1")


def test_a_failed_models_events_are_one_click_away(nb: OpenNotebook, screenshot_dir):
    page, ids = nb.page, nb.kernel.eval("ids")
    shown = english(page)
    toggle = row(shown, ids["failed"]).locator(".mi-list-events-button")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    toggle.click()
    events = shown.locator(f".mi-list-events[data-model-id='{ids['failed']}']")
    expect(events.locator(".mi-list-reason")).to_contain_text("Why it failed:")
    expect(events.locator(".mi-list-reason")).to_contain_text("model/config.json: changed while it was being imported")
    expect(events.locator(".mi-list-event[data-type='failed']")).to_have_count(1)
    expect(events.locator(".mi-list-event").first).to_contain_text("Import started")
    expect(toggle).to_have_attribute("aria-expanded", "true")
    assert shown.evaluate(FIT_PROBLEMS) == []
    shoot(shown, screenshot_dir / "model-list-events-light.png")
    toggle.click()
    expect(events).to_have_count(0)


def test_delete_asks_can_be_abandoned_and_says_what_it_deleted(nb: OpenNotebook, screenshot_dir):
    page, ids = nb.page, nb.kernel.eval("ids")
    shown = english(page)
    target = row(shown, ids["digits 1.0.0"])
    delete = target.locator(".mi-list-delete")
    width = delete.evaluate("e => e.getBoundingClientRect().width")
    delete.click()
    question = shown.locator(".mi-list-question")
    expect(question).to_contain_text("Delete digits 1.0.0?")
    expect(delete).to_have_attribute("aria-pressed", "true")
    expect(delete.locator(".mi-list-button-label:not(.mi-list-hidden-label)")).to_have_text("Yes, delete")
    assert delete.evaluate("e => e.getBoundingClientRect().width") == width  # nothing moves when it asks
    assert shown.evaluate(FIT_PROBLEMS) == []
    shoot(shown, screenshot_dir / "model-list-asking-light.png")

    page.keyboard.press("Escape")  # abandoned: nothing deleted
    expect(question).to_have_count(0)
    expect(delete.locator(".mi-list-button-label:not(.mi-list-hidden-label)")).to_have_text("Delete")
    question_cancel = shown.locator(".mi-list-cancel")
    delete.click()
    question_cancel.click()  # ... and by its own button
    expect(question).to_have_count(0)
    assert ids["digits 1.0.0"] in nb.kernel.eval("[m['model_id'] for m in shown.models]")

    delete.click()
    expect(delete).to_have_attribute("aria-pressed", "true")
    delete.click()
    message = shown.locator(".mi-list-message")
    expect(message).to_have_text("Deleted digits 1.0.0")
    expect(message).to_have_attribute("data-level", "success")
    color, error_color = page.evaluate(COLOR_OF, [message.element_handle(), "--jp-error-color1"])
    assert color != error_color, "a success is not in the error colour"
    expect(target).to_have_count(0)
    expect(shown.locator(".mi-list-range")).to_have_text("1–4 of 4")
    # the Chinese list is on the same registry: it was refreshed too
    expect(row(chinese(page), ids["digits 1.0.0"])).to_have_count(0)
    expect(chinese(page).locator(".mi-list-range")).to_have_text("第 1–4 个，共 4 个")
    assert wait_until(lambda: nb.kernel.eval(f"__import__('model_import_widget').Model.get_model_list(session)"
                                             f"['total_count']") == 4, what="the model to be gone")
    shoot(shown, screenshot_dir / "model-list-deleted-light.png")


def test_dark_theme(nb: OpenNotebook, screenshot_dir):
    page, ids = nb.page, nb.kernel.eval("ids")
    row(english(page), ids["failed"]).locator(".mi-list-events-button").click()
    expect(english(page).locator(".mi-list-reason")).to_be_visible()
    try:
        set_theme(page, "JupyterLab Dark")
        for shown in (english(page), chinese(page)):
            assert shown.evaluate(FIT_PROBLEMS) == []
            name = shown.locator(".mi-list-name-text").first
            color, wanted = page.evaluate(COLOR_OF, [name.element_handle(), "--jp-ui-font-color1"])
            assert color == wanted, "the names are not in the theme's text colour"
        reason = english(page).locator(".mi-list-reason")
        color, wanted = page.evaluate(COLOR_OF, [reason.element_handle(), "--jp-error-color1"])
        assert color == wanted
        shoot(english(page), screenshot_dir / "model-list-dark.png")
        shoot(chinese(page), screenshot_dir / "model-list-zh-dark.png")
    finally:
        set_theme(page, "JupyterLab Light")


def test_a_narrow_notebook_scrolls_the_table_instead_of_cutting_it(nb: OpenNotebook, screenshot_dir):
    page = nb.page
    viewport = page.viewport_size
    try:
        page.set_viewport_size({"width": 640, "height": viewport["height"]})
        shown = english(page)
        wait_until(lambda: shown.evaluate("e => e.getBoundingClientRect().width") < 600, what="a narrow output")
        problems = shown.evaluate(FIT_PROBLEMS)
        assert [p for p in problems if not p.startswith("the table is wider")] == []
        assert shown.locator(".mi-list-scroll").evaluate("e => getComputedStyle(e).overflowX") == "auto"
        shoot(shown, screenshot_dir / "model-list-narrow-light.png")
    finally:
        page.set_viewport_size(viewport)
