"""The form's one widget: an anywidget whose front end (static/form.js, built from js/form/) draws every field,
table, message, question, button and the import's progress, in any notebook front end that runs ipywidgets.

The kernel owns the state: the traits below (no secret is ever one of them: they are saved into the notebook).
The browser sends two kinds of custom message: {"kind": "edit", "seq", "key", "value"} when a person changes a
field, and {"kind": "click", "id", "seq"} for a button; both are numbered in one sequence. After applying an edit the kernel sets `answered` to its `seq`
in the same update as the messages it computed, so the browser knows which messages are for what is on screen.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import anywidget
from traitlets import Bool, Dict, Int, List, Unicode

STATIC = Path(__file__).resolve().parent.parent / "static"


class FormView(anywidget.AnyWidget):
    """The form's state as the browser shows it; `on_edit(key, value)` and `on_click(id)` get what people do."""

    _esm = STATIC / "form.js"
    _css = STATIC / "form.css"

    sections = List(Dict(), help="[{title, fields: [{key, kind, label, tooltip, required, schema, options, placeholder, "
                                 "columns, add_label}]}]: what to draw; sent again only when the language changes.").tag(sync=True)
    values = Dict(help="key -> the field's text ('true'/'false' for a checkbox), or a table's rows.").tag(sync=True)
    messages = Dict(help="key -> {error, warning, hint, cells: {'row.column': message}}.").tag(sync=True)
    options = Dict(help="key -> choices of a select or combo field, when they change after drawing.").tag(sync=True)
    disabled = Bool(False, help="No field takes input (an import is running).").tag(sync=True)
    answered = Int(0, help="The last edit the kernel has applied and checked.").tag(sync=True)
    attempted = Bool(False, help="An import was tried (Import clicked): the browser shows every field's error, also on "
                                 "fields nobody has changed (before that, a blank field's error waits).").tag(sync=True)
    header = Unicode("", help="Where models go, in a few words.").tag(sync=True)
    header_detail = Unicode("", help="The session's full description (never a secret), shown on hover.").tag(sync=True)
    summary = Dict(help="What blocks importing: {title, lines: [one line per problem]}; {} when nothing does.").tag(sync=True)
    prompts = List(Dict(), help="Questions under the fields: [{id, text, level, buttons: [{id, label, style}]}].").tag(sync=True)
    buttons = List(Dict(), help="The action bar: [{id, label, style, enabled, visible, needs_checked, place, title}] "
                                "(place 'header': beside the header, as the language switch).").tag(sync=True)
    run = Dict(help="The import: {status, text, fraction, progress, events: [{type, info}], result_id, snippet}.").tag(sync=True)
    notice = Dict(help="One status line: {text, level}.").tag(sync=True)
    code = Unicode("", help="The SDK code shown under the form ('' hides it).").tag(sync=True)
    picker = Dict(help="The folder picker when open: {path, entries: [{name, package}], error, package, can_go_up}; "
                       "{} when closed. Clicks: pick:up, pick:open:<name>, pick:choose, pick:close.").tag(sync=True)
    trial = Dict(help="The Try locally panel: {state, title, text, level, request, request_label, details: [{label, "
                      "text, pre}], buttons}; {} when closed.").tag(sync=True)
    trial_request = Unicode("", help="The sample request as edited in the Try locally panel.").tag(sync=True)
    lang = Unicode("en").tag(sync=True)
    labels = Dict(help="Words the browser shows on its own (no kernel to ask): disconnected, no_answer.").tag(sync=True)

    def __init__(self, *, on_edit: Callable[[str, Any], None], on_click: Callable[[str], None], **kwargs: Any):
        super().__init__(**kwargs)
        self._on_edit, self._on_click = on_edit, on_click
        self.on_msg(self._handle)

    def _handle(self, _widget: Any, content: Any, _buffers: Any) -> None:
        """What the browser sent; anything malformed (another front end's bug, a hostile page) is ignored."""
        if not isinstance(content, dict):
            return
        if content.get("kind") == "edit":
            key, seq, value = content.get("key"), content.get("seq"), content.get("value")
            if not isinstance(key, str) or not isinstance(seq, int) or not _plain(value):
                return
            with self.hold_sync():
                self._on_edit(key, value)
                self.answered = max(self.answered, seq)
        elif content.get("kind") == "click" and isinstance(content.get("id"), str):
            seq = content.get("seq")
            with self.hold_sync():
                if isinstance(seq, int):
                    self.answered = max(self.answered, seq)  # the click arrived: the kernel is there
                self._on_click(content["id"])

    def insert_code(self, code: str, *, inserted: str, copied: str, manual: str) -> None:
        """Ask the notebook to put `code` in a new cell below the form; the browser then shows `inserted`, or, where
        no notebook extension answers, copies the code (`copied`) or shows it to copy by hand (`manual`)."""
        self.send({"kind": "insert-code", "code": code, "inserted": inserted, "copied": copied, "manual": manual})


def _plain(value: Any) -> bool:
    """A field's value as the browser sends it: text, or rows of text cells."""
    if isinstance(value, str):
        return True
    return isinstance(value, list) and all(
        isinstance(row, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in row.items())
        for row in value)
