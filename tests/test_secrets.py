"""No secret ever reaches the saved notebook: not the outputs, not the widget state, not generated code."""

from __future__ import annotations

import json

import nbformat
import pytest
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell, new_notebook

from fakecloud import FakeCloud

TOKEN = "ST-do-not-leak-9a1c"


@pytest.mark.slow
def test_a_notebook_with_cloud_credentials_saves_no_secret(tmp_path, monkeypatch):
    with FakeCloud(publish_delay=0.05) as cloud:
        _run_and_search(cloud, tmp_path, monkeypatch)


def _run_and_search(cloud, tmp_path, monkeypatch):
    monkeypatch.delenv("MODEL_IMPORT_WIDGET_BACKEND", raising=False)
    monkeypatch.setenv("MODEL_IMPORT_WIDGET_HOME", str(tmp_path / "registry"))
    monkeypatch.setenv("HOME", str(tmp_path))
    for name, value in cloud.env().items():  # the cloud is the contract server on this machine
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("MODEL_IMPORT_WIDGET_POLL_INTERVAL", "0.02")
    monkeypatch.setenv("MODEL_IMPORT_WIDGET_HTTP_BACKOFF", "0.005")
    cloud.put_model_package("models/leak/")
    # The secrets reach the kernel through variables, as a careful user would pass them: then any hit in the
    # saved notebook is a leak by this package, not the user's own source code.
    secret_key, password = cloud.secret_key, cloud.password
    monkeypatch.setenv("LEAK_TEST_AK", cloud.access_key)
    monkeypatch.setenv("LEAK_TEST_SK", secret_key)
    monkeypatch.setenv("LEAK_TEST_TOKEN", TOKEN)
    monkeypatch.setenv("LEAK_TEST_PASSWORD", password)
    monkeypatch.setenv("LEAK_TEST_BUCKET", cloud.bucket)
    cells = [
        '''import os
from model_import_widget import ModelImportForm, Session
session = Session(access_key=os.environ["LEAK_TEST_AK"], secret_key=os.environ["LEAK_TEST_SK"], region_name="cn-north-4")
print(session.describe()); print(repr(session)); session''',
        '''form = ModelImportForm(session)
form.set_values({"model_name": "leak_check", "model_version": "1.0.0", "model_type": "PyTorch",
                 "source_location": f"obs://{os.environ['LEAK_TEST_BUCKET']}/models/leak/"})
form''',
        '''print(form.to_code()); print(form.value); print(form.errors)
model = form.submit(confirm=True)
print(form.status, model, model.get_model_info())''',
        '''password_session = Session(account="acme", username="bob", password=os.environ["LEAK_TEST_PASSWORD"],
                           region_name="cn-north-4")
print(password_session.describe()); ModelImportForm(password_session)''',
        '''from model_import_widget import Model
for wrong in (Session(access_key=os.environ["LEAK_TEST_AK"], secret_key=os.environ["LEAK_TEST_SK"] + "x",
                      security_token=os.environ["LEAK_TEST_TOKEN"], region_name="cn-north-4"), password_session):
    try:
        Model(wrong, model_version="1.0.0", source_location="/my-bucket/x/", model_type="PyTorch")
    except Exception as error:
        print(type(error).__name__, error)
        import traceback; traceback.print_exc()''',
    ]
    notebook = new_notebook(cells=[new_code_cell(c) for c in cells],
                            metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})
    NotebookClient(notebook, timeout=120, kernel_name="python3", store_widget_state=True,
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    path = tmp_path / "saved.ipynb"
    nbformat.write(notebook, path)
    saved = path.read_text()
    state = json.dumps(notebook.metadata.get("widgets", {}))
    # The form's own state (its one widget, with the values typed) is in the saved widget state: else this test
    # would prove nothing about what the form syncs (the cell sources alone always name ModelImportForm).
    assert "AnyModel" in state and "leak_check" in state, "the form's widget state was not saved"
    assert cloud.access_key[-4:] in saved  # the masked access key id is shown (not a secret)
    assert "published" in saved and "AuthenticationError" in saved  # a real import, and real refusals, were shown
    for secret in (secret_key, password, TOKEN):
        assert saved.count(secret) == 0, f"{secret} leaked into the saved notebook"
        assert secret not in state
