"""ModelList: the session's registry as a table (name, version, type, status, size, created) with paging, each model's
events and a two-step delete, drawn by one anywidget (static/list.js and list.css, built from js/form/src/list.ts).

Reads and deletes through `Model` only; no rule and no secret is a trait. `registry_changed(session)` refreshes every
live list on the same registry: a delete in any list calls it, and so should whatever imports a model.
"""

from __future__ import annotations

import datetime as _dt
import logging
import os
import threading
import weakref
from pathlib import Path
from typing import Any, Optional

import anywidget
from traitlets import Dict, Int, List, TraitError, Unicode, observe, validate

from ..errors import ModelImportError
from ..spec import human_size
from . import i18n

STATIC = Path(__file__).resolve().parent.parent / "static"

# model_status -> (words, kind): the kind colours the chip (ok green, error red, progress blue, pending amber); the
# words always say it too. The statuses are the service's (publishing, published, failed, building,
# building_failed) plus those a list may meet while something else works on the model.
STATUSES: dict[str, tuple[str, str]] = {
    "published": ("Published", "ok"),
    "publishing": ("Publishing", "progress"),
    "building": ("Building", "progress"),
    "copying": ("Copying", "progress"),
    "failed": ("Failed", "error"),
    "building_failed": ("Build failed", "error"),
    "deleting": ("Deleting", "pending"),
    "local": ("Local", "neutral"),
}
EVENT_TYPES = {"normal": "Info", "warning": "Warning", "failed": "Failed"}
_FAILED = frozenset(status for status, (_, kind) in STATUSES.items() if kind == "error")
_READ_ERROR = "Could not read the models: {error}"

_log = logging.getLogger(__name__)
_lists: "weakref.WeakSet[ModelList]" = weakref.WeakSet()
_lists_lock = threading.Lock()


def registry_changed(session: Any) -> None:
    """Refresh every live ModelList whose session is on the same registry as `session`: the same embedded registry
    folder, or the same ModelArts region and project. Call it once a model was imported or deleted; safe from any
    thread. A list that cannot read the registry says why in its `message`; nothing is raised here."""
    changed = registry_key(session)
    with _lists_lock:
        shown = list(_lists)
    for model_list in shown:
        if model_list.comm is None:  # closed: nothing draws it any more
            with _lists_lock:
                _lists.discard(model_list)
            continue
        try:
            if same_registry(changed, registry_key(model_list._session)):
                model_list._reload()
        except Exception:  # one broken list must not keep the others (or the import that called) from going on
            _log.exception("refreshing a ModelList after the registry changed failed")


def registry_key(session: Any) -> tuple[str, ...]:
    """What identifies a session's registry: ("embedded", real path of its home) or ("modelarts", region, project;
    '' when the project is looked up later)."""
    backend = getattr(session, "backend", None)
    if backend == "embedded":
        return ("embedded", os.path.realpath(os.path.expanduser(os.fspath(session.home))))
    if backend == "modelarts":
        return ("modelarts", str(getattr(session, "region_name", "") or ""), str(getattr(session, "project_id", "") or ""))
    return ("object", str(id(session)))


def same_registry(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    """Two registry keys name the same registry; a cloud session whose project is not known yet matches any project
    of its region (refreshing once too often costs a request, missing a change shows a stale list)."""
    if a[0] == b[0] == "modelarts":
        return a[1] == b[1] and (not a[2] or not b[2] or a[2] == b[2])
    return a == b


class ModelList(anywidget.AnyWidget):
    """The registry's models, newest first, `page_size` per page: status chips, each model's events one click away,
    Delete asked once before it deletes. `ModelList(session=None, *, model_name=None, page_size=20, language=None)`;
    `session=None` means `Session()`, `model_name` shows only the models whose name contains it."""

    _esm = STATIC / "list.js"
    _css = STATIC / "list.css"

    models = List(Dict(), help="The models on the page, as Model.get_model_list lists them (model_id and the "
                               "columns).").tag(sync=True)
    total_count = Int(0, help="How many models the registry has (matching model_name), on every page.").tag(sync=True)
    message = Unicode("", help="What the last delete did, or why the registry could not be read; '' for nothing."
                      ).tag(sync=True)
    message_level = Unicode("", help="'success' or 'error': how the message is coloured (its words say it too)."
                            ).tag(sync=True)
    page = Int(0, help="The page shown: 0 is the newest models.").tag(sync=True)
    page_size = Int(20, help="Models per page.").tag(sync=True)
    language = Unicode("en", help="en or zh.").tag(sync=True)
    rows = List(Dict(), help="The models as shown: [{id, name, version, type, status, status_label, status_kind, size, "
                             "size_title, created, created_title, description, delete_title, events_title}].").tag(sync=True)
    confirming = Unicode("", help="The model whose Delete was clicked once: its Confirm deletes it.").tag(sync=True)
    events = Dict(help="model_id -> {title, reason, items: [{type, label, info, time}], error}: the open event lists."
                  ).tag(sync=True)
    busy = Unicode("", help="The model being deleted ('' when none).").tag(sync=True)
    labels = Dict(help="The words the browser shows: headers, buttons, the range, the question, where the registry "
                       "is.").tag(sync=True)

    def __init__(self, session: Any = None, *, model_name: Optional[str] = None, page_size: int = 20,
                 language: Optional[str] = None, **kwargs: Any):
        if isinstance(page_size, bool) or not isinstance(page_size, int) or page_size < 1:
            raise ValueError(f"page_size must be a whole number of at least 1, not {page_size!r}")
        super().__init__(**kwargs)
        if session is None:
            from ..sdk.session import Session

            session = Session()
        self._session, self._filter = session, model_name or None
        self._lock = threading.RLock()  # a click (kernel thread) and registry_changed (an import's thread) may meet
        self._note: Optional[tuple[str, dict[str, str], str]] = None  # the message: (English, values, level)
        self._unreadable = False  # the last read failed: the message says why, no range is shown
        with self.hold_sync():
            self.page_size = page_size
            self.language = language or i18n.default_language()
        self.on_msg(self._handle)
        with _lists_lock:
            _lists.add(self)
        self._built = True
        self.refresh()

    # ---- what code (and the buttons) do -------------------------------------------------------------------------

    def refresh(self) -> None:
        """Read the registry again and forget the last message. The page stays, or moves back to the last page that
        has models when deletes emptied it."""
        with self._lock:
            self._note = None
            self._reload()

    def delete(self, model_id: str) -> None:
        """Delete one model (no question asked: the browser's Delete asks first), say in `message` what happened, and
        refresh every list on this registry."""
        from ..sdk.model import Model

        with self._lock:
            shown = self._model_words(model_id)
            self.confirming, self.busy = "", model_id
            try:
                model = Model(self._session, model_id=model_id)
                if shown == model_id:  # not on this page (deleted from code): name it all the same
                    info = model.get_model_info()
                    shown = " ".join(str(info[key]) for key in ("model_name", "model_version") if info.get(key))
                result = model.delete_model()
            except (ModelImportError, OSError) as exc:
                self._note = ("Could not delete {model}: {error}", {"model": shown, "error": str(exc)}, "error")
            else:
                failed = [f for f in result.get("delete_failed_list") or [] if f.get("model_id") == model_id]
                error = (failed[0].get("error_msg") or failed[0].get("error_code")) if failed else None
                if error:
                    self._note = ("Could not delete {model}: {error}", {"model": shown, "error": str(error)}, "error")
                elif failed or model_id not in (result.get("delete_success_list") or []):
                    self._note = ("Could not delete {model}: the registry did not report it deleted",
                                  {"model": shown}, "error")
                else:
                    self._note = ("Deleted {model}", {"model": shown}, "success")
            finally:
                self.busy = ""
            self.events = {key: value for key, value in self.events.items() if key != model_id}
        registry_changed(self._session)
        if self.comm is None:  # closed meanwhile: registry_changed skipped it, but code may still read it
            self._reload()

    # ---- reading ------------------------------------------------------------------------------------------------

    def _reload(self) -> None:
        """Read the page again (keeping the message unless it was a failed read), and redraw."""
        with self._lock:
            page = self.page
            try:
                listing = self._read(page)
                if not listing["models"] and page > 0:  # deleted from under us: the last page that has models
                    page = max(listing["total_count"] - 1, 0) // self.page_size
                    listing = self._read(page)
            except (ModelImportError, OSError) as exc:  # (OSError: a home that is not a folder, a full disk)
                self._note = (_READ_ERROR, {"error": str(exc)}, "error")
                listing = {"total_count": 0, "models": []}
                self._unreadable = True
            else:
                self._unreadable = False
                if self._note is not None and self._note[0] == _READ_ERROR:
                    self._note = None
            shown = {item["model_id"] for item in listing["models"]}
            with self.hold_sync():
                self.page = page
                self.models = listing["models"]
                self.total_count = listing["total_count"]
                if self.confirming not in shown:
                    self.confirming = ""
                # open event lists stay open, read again (a publishing model's grow)
                self.events = {model_id: self._read_events(model_id) for model_id in self.events if model_id in shown}
                self._render()

    def _read(self, page: int) -> dict[str, Any]:
        from ..sdk.model import Model

        return Model.get_model_list(self._session, model_name=self._filter, offset=page, limit=self.page_size)

    def _read_events(self, model_id: str) -> dict[str, Any]:
        from ..sdk.model import Model

        t = self._words
        item = self._item(model_id) or {}
        title = t("Events of {model}", model=self._model_words(model_id))
        try:
            events = Model(self._session, model_id=model_id).get_model_events()
        except (ModelImportError, OSError) as exc:
            return {"title": title, "reason": "", "items": [], "error": t("Could not read the events: {error}",
                                                                          error=str(exc))}
        items = [{"type": str(e.get("event_type") or ""),
                  "label": t(EVENT_TYPES.get(str(e.get("event_type")), str(e.get("event_type") or ""))),
                  "info": i18n.event_text(str(e.get("event_info") or ""), self.language),
                  "time": _time(e.get("create_time"), seconds=True)} for e in events]
        failures = [e["info"] for e in items if e["type"] == "failed"]
        reason = failures[-1] if failures and item.get("model_status") in _FAILED else ""
        return {"title": title, "reason": reason, "items": items, "error": ""}

    # ---- the browser --------------------------------------------------------------------------------------------

    def _handle(self, _widget: Any, content: Any, _buffers: Any) -> None:
        """{"kind": "click", "id": action} from the browser; anything else (another front end's bug) is ignored."""
        if isinstance(content, dict) and content.get("kind") == "click" and isinstance(content.get("id"), str):
            self._clicked(content["id"])

    def _clicked(self, action: str) -> None:
        """refresh, newer, older, cancel; delete:<id> (asks), confirm:<id> (deletes the model asked about),
        events:<id> (opens or closes its events). Ids not on the page (a stale browser) are ignored."""
        verb, _, model_id = action.partition(":")
        if verb == "confirm":
            with self._lock:
                asked = bool(model_id) and self.confirming == model_id and self._item(model_id) is not None
            if asked:  # (outside the lock: the delete refreshes the other lists, each under its own lock)
                self.delete(model_id)
            return
        with self._lock:
            if verb == "refresh":
                self.refresh()
            elif verb in ("newer", "older"):
                self._turn(-1 if verb == "newer" else +1)
            elif verb == "cancel":
                self.confirming = ""
                self._render()
            elif self._item(model_id) is None:
                return
            elif verb == "delete":
                self.confirming = model_id  # the second click arrives as confirm: a double click only asks
                self._render()
            elif verb == "events":
                opened = dict(self.events)
                if opened.pop(model_id, None) is None:
                    opened[model_id] = self._read_events(model_id)
                self.events = opened

    def _turn(self, step: int) -> None:
        last_page = max(self.total_count - 1, 0) // self.page_size
        self.page = max(0, min(self.page + step, last_page))
        self.confirming = ""
        self._reload()

    @validate("page_size")
    def _valid_page_size(self, proposal: Any) -> int:
        if proposal["value"] < 1:
            raise TraitError(f"page_size must be at least 1, not {proposal['value']}")
        return proposal["value"]

    @observe("page_size")
    def _page_size_changed(self, _change: Any) -> None:
        if getattr(self, "_built", False):  # the first page of the new size
            with self._lock:
                self.page, self.confirming = 0, ""
                self._reload()

    @observe("language")
    def _language_changed(self, _change: Any) -> None:
        if getattr(self, "_built", False):
            with self._lock, self.hold_sync():
                self.events = {model_id: self._read_events(model_id) for model_id in self.events}
                self._render()

    def _render(self) -> None:
        """Every word the browser shows, in the list's language, from the state."""
        t = self._words
        first = self.page * self.page_size
        if self._unreadable:
            shown = ""  # not "No models": the message says why none can be shown
        elif len(self.models) == 1:
            shown = t("{first} of {total}", first=str(first + 1), total=str(self.total_count))
        elif self.models:
            shown = t("{first}–{last} of {total}", first=str(first + 1), last=str(first + len(self.models)),
                      total=str(self.total_count))
        elif self._filter:
            shown = t("No models named like “{name}”", name=self._filter)
        else:
            shown = t("No models")
        rows = []
        for item in self.models:
            words = self._model_words(item["model_id"])
            label, kind = STATUSES.get(str(item.get("model_status")), (str(item.get("model_status") or ""), "neutral"))
            rows.append({
                "id": item["model_id"],
                "name": str(item.get("model_name") or ""),
                "version": str(item.get("model_version") or ""),
                "type": str(item.get("model_type") or ""),
                "status": str(item.get("model_status") or ""),
                "status_label": t(label),
                "status_kind": kind,
                "size": _size(item.get("model_size")),
                "size_title": t("{count} bytes", count=f"{int(item['model_size']):,}") if item.get("model_size") is not None else "",
                "created": _time(item.get("create_at")),
                "created_title": _time(item.get("create_at"), seconds=True),
                "description": str(item.get("description") or ""),
                "delete_title": t("Delete {model}", model=words),
                "events_title": t("Events of {model}", model=words),
            })
        if not self.confirming:
            question = ""
        elif registry_key(self._session)[0] == "modelarts":
            question = t("Delete {model} from ModelArts? “Yes, delete” removes it (its files in OBS stay); Cancel "
                         "keeps it.", model=self._model_words(self.confirming))
        else:
            question = t("Delete {model}? “Yes, delete” removes it and the files the registry keeps for it; Cancel "
                         "keeps it.", model=self._model_words(self.confirming))
        note = self._note
        with self.hold_sync():
            self.rows = rows
            self.labels = {
                "title": t("Models"), "where": self._where(), "range": shown, "question": question,
                "name": t("Name"), "version": t("Version"), "type": t("Type"), "status": t("Status"),
                "size": t("Size"), "created": t("Created"), "actions": t("Actions"),
                "refresh": t("Refresh"), "newer": t("Newer"), "older": t("Older"), "events": t("Events"),
                "delete": t("Delete"), "confirm": t("Yes, delete"), "cancel": t("Cancel"),
                "reason": t("Why it failed:"), "no_events": t("No events recorded."), "model_id": t("Model ID"),
                "newer_title": t("Newer models"), "older_title": t("Older models"),
                "refresh_title": t("Read the registry again"),
            }
            self.message = t(note[0], **note[1]) if note else ""
            self.message_level = note[2] if note else ""

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        """The live list, and as its text/plain the page as text: what a saved notebook shows without a kernel."""
        bundle = super()._repr_mimebundle_(**kwargs)
        data = bundle[0] if isinstance(bundle, tuple) else bundle
        if isinstance(data, dict):
            lines = [f"{self.labels.get('title', 'Models')} ({self.labels.get('where', '')}): "
                     f"{self.labels.get('range', '')}"]
            lines += [f"  {row['name']} {row['version']}  {row['type']}  {row['status_label']}  {row['created']}"
                      for row in self.rows]
            data["text/plain"] = "\n".join(lines + ([self.message] if self.message else []))
        return bundle

    # ---- words --------------------------------------------------------------------------------------------------

    def _words(self, english: str, **values: str) -> str:
        return i18n.text(english, self.language if self.language in i18n.LANGUAGES else "en", **values)

    def _item(self, model_id: str) -> Optional[dict[str, Any]]:
        return next((item for item in self.models if item.get("model_id") == model_id), None) if model_id else None

    def _model_words(self, model_id: str) -> str:
        """'digits 1.0.0' for a model on the page, else its id."""
        item = self._item(model_id)
        if item is None:
            return model_id
        return " ".join(str(part) for part in (item.get("model_name"), item.get("model_version")) if part) or model_id

    def _where(self) -> str:
        key = registry_key(self._session)
        if key[0] == "embedded":
            return self._words("Embedded registry at {home}", home=key[1])
        if key[0] == "modelarts":
            where = key[1] or self._words("no region")
            return f"ModelArts · {where}" + (f" · {key[2]}" if key[2] else "")
        return ""


def _size(value: Any) -> str:
    return "" if value is None else human_size(float(value))


def _time(value: Any, *, seconds: bool = False) -> str:
    """A time in milliseconds since the epoch, in this machine's time zone: 2024-05-01 12:34 (:56 with seconds)."""
    if value in (None, ""):
        return ""
    try:
        moment = _dt.datetime.fromtimestamp(int(value) / 1000)
    except (TypeError, ValueError, OverflowError, OSError):
        return str(value)
    return moment.strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")
