"""The form's one status line and the one-line summary under it, in the form's language: pure functions of the
form's state (no widget), so what they say is tested on its own."""

from __future__ import annotations

from typing import Any, Callable

from . import i18n

STATUSES = ("draft", "local", "copying", "publishing", "published", "failed", "cancelled")
STATUS_WORDS = {"local": "Checked: a local model, registered nowhere yet (model.publish_model() imports it)",
                "copying": "Copying files…", "publishing": "Publishing {name} {version}…",
                "published": "Published {name} {version}", "cancelled": "Cancelled: nothing was registered"}
"""The status line of each status but draft and failed (they say how many problems, or why), in English."""


def ended(status: str) -> str:
    """How an import that stopped on an error ended: failed, unless its status says it ended otherwise."""
    return status if status in ("published", "cancelled", "failed") else "failed"


def status_line(status: str, *, language: str, places: list[str], count: int, reason: str,
                data: dict[str, Any]) -> str:
    """The status line. A draft counts its `count` problems and names their `places` (screen words, screen order),
    so a disabled Import says why; a failure says its `reason`; an import names its model (`data`: the import's own
    name and version, a blank name's generated one)."""
    words: Callable[..., str] = lambda english, **values: i18n.text(english, language, **values)  # noqa: E731
    if status == "draft":
        if count:
            shown = ", ".join(places[:3]) + ("…" if len(places) > 3 else "")
            return words("Draft: {count} problems to fix before importing ({fields})" if count > 1 else
                         "Draft: 1 problem to fix before importing ({fields})", count=str(count), fields=shown)
        return words("Draft: checked, nothing blocks importing")
    if status == "failed":
        return words("Import failed: {reason}", reason=reason) if reason else words("Import failed")
    return words(STATUS_WORDS[status], name=str(data.get("model_name") or ""),
                 version=str(data.get("model_version") or ""))


def summary_line(data: dict[str, Any], status: str, line: str, model_id: str, language: str) -> str:
    """One line for people (what a saved notebook shows under the form): what it imports and how it ended."""
    words = lambda english: i18n.text(english, language)  # noqa: E731
    head = (f"{words('Model import')}: {data.get('model_name')} {data.get('model_version') or words('(no version yet)')} "
            f"({data.get('model_type') or words('no model type yet')})")
    registered = model_id and status in ("copying", "publishing", "published", "failed")
    said = line if status in ("draft", "failed") else words(status)
    return f"{head} — {said}" + (f" (id {model_id})" if registered else "")
