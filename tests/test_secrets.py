"""No secret ever reaches the saved notebook: not the outputs, not the widget state, not generated code."""

from __future__ import annotations

import json

import nbformat
import pytest
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell, new_notebook

SECRET_KEY = "SK-do-not-leak-7f3a9c1e5b"
PASSWORD = "Pw-do-not-leak-2d8e6b"
TOKEN = "ST-do-not-leak-9a1c"


@pytest.mark.slow
def test_a_notebook_with_cloud_credentials_saves_no_secret(tmp_path, monkeypatch):
    monkeypatch.delenv("MODEL_IMPORT_WIDGET_BACKEND", raising=False)
    monkeypatch.setenv("MODEL_IMPORT_WIDGET_HOME", str(tmp_path / "registry"))
    monkeypatch.setenv("HOME", str(tmp_path))
    # The secrets reach the kernel through variables, as a careful user would pass them: then any hit in the
    # saved notebook is a leak by this package, not the user's own source code.
    monkeypatch.setenv("LEAK_TEST_SK", SECRET_KEY)
    monkeypatch.setenv("LEAK_TEST_TOKEN", TOKEN)
    monkeypatch.setenv("LEAK_TEST_PASSWORD", PASSWORD)
    cells = [
        '''import os
from model_import_widget import ModelImportForm, Session
session = Session(access_key="AKIDLEAKTEST0001", secret_key=os.environ["LEAK_TEST_SK"],
                  security_token=os.environ["LEAK_TEST_TOKEN"], project_id="0123456789abcdef", region_name="cn-north-4")
print(session.describe()); print(repr(session)); session''',
        '''form = ModelImportForm(session)
form.set_values({"model_name": "leak_check", "model_version": "1.0.0", "model_type": "PyTorch",
                 "source_location": "obs://my-bucket/models/leak/"})
form''',
        '''print(form.to_code()); print(form.value); print(form.errors)
try:
    form.submit()
except Exception as error:
    print(type(error).__name__, error)''',
        '''password_session = Session(account="acme", username="bob", password=os.environ["LEAK_TEST_PASSWORD"],
                           region_name="cn-north-4")
print(password_session.describe()); ModelImportForm(password_session)''',
        '''from model_import_widget import Model
try:
    Model(session, model_version="1.0.0", source_location="/my-bucket/x/", model_type="PyTorch")
except Exception as error:
    print(type(error).__name__, error)''',
    ]
    notebook = new_notebook(cells=[new_code_cell(c) for c in cells],
                            metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})
    NotebookClient(notebook, timeout=120, kernel_name="python3", store_widget_state=True,
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    path = tmp_path / "saved.ipynb"
    nbformat.write(notebook, path)
    saved = path.read_text()
    state = json.dumps(notebook.metadata.get("widgets", {}))
    assert "ModelImportForm" in saved or "FieldModel" in state, "the widget state was not saved: the test proves nothing"
    assert "AKIDLEAKTEST0001"[-4:] in saved  # the masked access key id is shown (not a secret)
    for secret in (SECRET_KEY, PASSWORD, TOKEN):
        assert saved.count(secret) == 0, f"{secret} leaked into the saved notebook"
        assert secret not in state
