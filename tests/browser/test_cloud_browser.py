"""The form in a real JupyterLab importing into ModelArts — the contract server on 127.0.0.1 — with `Session()`
finding the credentials in a profile file by itself, as a person's notebook would.

The notebook's cell only points the SDK at the stand-ins (endpoint variables, the profile file's path, the OBS
folder to upload to): no secret is in any cell. `test_cloud_badge_screenshot` renders docs/form-cloud-badge.png.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from fakecloud import FakeCloud

from .conftest import Lab, OpenNotebook

pytestmark = pytest.mark.slow

CELL = """
import json, os, pathlib
os.environ.pop("MODEL_IMPORT_WIDGET_BACKEND", None)   # the test suite forces the embedded registry; not here
os.environ.update({env!r})
folder = pathlib.Path("cloud-digits")
(folder / "model").mkdir(parents=True, exist_ok=True)
(folder / "model" / "config.json").write_text(json.dumps({{"model_type": "PyTorch", "model_algorithm": "image_classification"}}))
(folder / "model" / "customize_service.py").write_text("class Service:\\n    pass\\n")
(folder / "model" / "weights.pth").write_bytes(bytes(range(256)) * 64)

from model_import_widget import ModelImportForm
form = ModelImportForm.from_folder("./cloud-digits")   # Session() inside: the profile file's credentials
form.fields["model_name"].value = "cloud_digits"
form.fields["model_version"].value = "1.0.0"
form
"""


@pytest.fixture(scope="module")
def cloud():
    with FakeCloud(publish_delay=0.3) as running:
        yield running


@pytest.fixture(scope="module")
def nb(open_notebook, lab: Lab, cloud, tmp_path_factory) -> OpenNotebook:
    profile = tmp_path_factory.mktemp("profile") / "credentials"
    profile.write_text(f"[basic]\nak = {cloud.access_key}\nsk = {cloud.secret_key}\nregion = {cloud.region}\n")
    env = {**cloud.env(), "HUAWEICLOUD_SDK_CREDENTIALS_FILE": str(profile),
           "MODEL_IMPORT_WIDGET_OBS_LOCATION": f"obs://{cloud.bucket}/notebook-uploads/",
           "MODEL_IMPORT_WIDGET_POLL_INTERVAL": "0.1", "MODEL_IMPORT_WIDGET_HTTP_BACKOFF": "0.01"}
    nb = open_notebook("cloud.ipynb", [CELL.format(env=env)])
    nb.page.locator(".mi-form .mi-header-text").wait_for()
    return nb


def test_the_badge_says_modelarts_and_where_the_credentials_came_from(nb: OpenNotebook, cloud):
    badge = nb.page.locator(".mi-form .mi-header-text")
    expect(badge).to_contain_text("ModelArts")
    expect(badge).to_contain_text(cloud.region)
    expect(badge).to_contain_text("credentials from a profile file")
    title = badge.get_attribute("title") or ""
    assert "profile" in title  # the full description, on hover
    assert cloud.secret_key not in title and cloud.secret_key not in nb.page.content()
    assert nb.kernel.eval("form._session.credential_source") == "profile"


def test_the_form_imports_into_modelarts_after_confirmation(nb: OpenNotebook, cloud):
    page = nb.page
    form = page.locator(".mi-form")
    creates_before = len(cloud.creates())
    form.get_by_role("button", name="Import model").click()
    expect(form.locator(".mi-prompt[data-prompt='confirm']")).to_contain_text("ModelArts")
    assert len(cloud.creates()) == creates_before  # nothing sent before the person confirms
    form.get_by_role("button", name="Confirm import").click()
    status = form.locator(".mi-status")
    expect(status).to_have_text("Published cloud_digits 1.0.0", timeout=30_000)
    model_id = form.locator(".mi-result code").inner_text()
    assert model_id in cloud.models
    sent = cloud.models[model_id]["request"]
    assert sent["model_name"] == "cloud_digits" and "/notebook-uploads/" in sent["source_location"]
    assert any(k.endswith("model/weights.pth") for k in cloud.obs.list_keys(cloud.bucket, "notebook-uploads/"))
    assert len(cloud.creates()) == creates_before + 1
    expect(page.locator(".mi-static-summary")).to_have_text(re.compile(r"published \(id " + re.escape(model_id) + r"\)"))


def test_cloud_badge_screenshot(nb: OpenNotebook, screenshot_dir: Path):
    """The README's picture of the badge: the top of the form, where it says where models go."""
    out_dir = Path(os.environ.get("MODEL_IMPORT_WIDGET_SCREENSHOTS") or screenshot_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    row = nb.page.locator(".mi-form .mi-header")
    row.scroll_into_view_if_needed()
    path = out_dir / "form-cloud-badge.png"
    row.screenshot(path=str(path), animations="disabled", caret="hide")
    assert path.stat().st_size > 1000
