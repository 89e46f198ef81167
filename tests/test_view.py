"""widget/view.py: the form's one widget and its edit/answer protocol, without a browser (the browser side is
tests/browser/test_form_view.py and js/form/test)."""

from __future__ import annotations

import ipywidgets

from model_import_widget.widget.view import FormView


def made_view():
    got: list = []
    view = FormView(on_edit=lambda key, value: got.append(("edit", key, value)),
                    on_click=lambda button: got.append(("click", button)))
    return view, got


def test_one_form_view_opens_two_comm_models_its_own_and_its_layout():
    before = set(ipywidgets.Widget.widgets)
    view, _ = made_view()
    opened = set(ipywidgets.Widget.widgets) - before
    assert len(opened) == 2 and view.model_id in opened
    assert view._esm.strip().startswith(("var", "function", "const", "let", "import", "export", "(", "!"))  # built
    assert ".mi-form" in view._css
    view.close()


def test_an_edit_is_applied_then_answered_with_its_number_and_clicks_are_passed_on():
    view, got = made_view()
    view._handle(view, {"kind": "edit", "seq": 3, "key": "model_version", "value": "1.0.0"}, [])
    assert got == [("edit", "model_version", "1.0.0")] and view.answered == 3
    view._handle(view, {"kind": "edit", "seq": 2, "key": "model_version", "value": "old"}, [])  # late: applied,
    assert view.answered == 3  # but never moves the answer back
    view._handle(view, {"kind": "edit", "seq": 4, "key": "input_params", "value": [{"url": "/", "param_name": "x"}]},
                 [])
    view._handle(view, {"kind": "click", "id": "import"}, [])
    assert got[-2:] == [("edit", "input_params", [{"url": "/", "param_name": "x"}]), ("click", "import")]
    view.close()


def test_malformed_messages_are_ignored():
    view, got = made_view()
    for content in (None, "edit", {"kind": "edit", "key": 1, "seq": 1, "value": "x"},
                    {"kind": "edit", "key": "a", "seq": "1", "value": "x"},
                    {"kind": "edit", "key": "a", "seq": 1, "value": {"not": "text"}},
                    {"kind": "edit", "key": "a", "seq": 1, "value": [{"cell": 3}]},
                    {"kind": "click", "id": ["import"]}, {"kind": "run", "code": "import os"}):
        view._handle(view, content, [])
    assert got == [] and view.answered == 0
    view.close()


def test_attempted_is_a_synced_bool_that_starts_false():
    view, _ = made_view()
    assert view.attempted is False
    assert view.trait_metadata("attempted", "sync") is True
    assert "import was tried" in view.trait_metadata("attempted", "help")
    view.attempted = True
    assert view.get_state()["attempted"] is True
    view.close()
