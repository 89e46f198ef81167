"""Drive a ModelImportForm as its browser front end does — the messages FormView gets (edits, clicks) — and read
what the browser would show (buttons, questions, summary, the import's part), without a browser."""

from __future__ import annotations

from typing import Any


def button(form, action: str) -> dict | None:
    """The button `action` if the browser shows it (None if hidden or absent)."""
    return next((b for b in form.widget.buttons if b["id"] == action and b.get("visible", True) is not False), None)


def import_enabled(form) -> bool:
    shown = button(form, "import")
    return bool(shown and shown.get("enabled", True))


def import_blocked(form) -> bool:
    """Import cannot start: a click, as the browser sends it (a form nobody tried to import yet lets it be clicked,
    to show what is missing), starts nothing, and then the button waits until nothing blocks."""
    if import_enabled(form):
        click(form, "import")
    return not form.busy and form.status == "draft" and not form.model_id and not import_enabled(form)


def click(form, action: str) -> None:
    form.widget._handle(form.widget, {"kind": "click", "id": action}, [])


def type_in(form, key: str, value: Any) -> None:
    form.widget._handle(form.widget, {"kind": "edit", "seq": form.widget.answered + 1, "key": key, "value": value}, [])


def prompt(form, name: str) -> dict | None:
    return next((p for p in form.widget.prompts if p["id"] == name), None)


def summary(form) -> str:
    shown = form.widget.summary
    return "\n".join([shown.get("title", ""), *shown.get("lines", [])]) if shown else ""


def run_text(form) -> str:
    run = form.widget.run
    parts = [run.get("text", ""), run.get("progress", ""), *(e["info"] for e in run.get("events", [])),
             run.get("result_id", ""), run.get("snippet", "")]
    return "\n".join(p for p in parts if p)


def notice(form) -> str:
    return form.widget.notice.get("text", "")
