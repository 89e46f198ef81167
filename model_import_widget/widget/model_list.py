"""ModelList: browse the session's registry (name, version, type, status, size, created) with refresh and delete.

Reads and deletes through `Model` only; no rule and no secret here.
"""

from __future__ import annotations

import datetime as _dt
import html
from typing import Any

from ipywidgets import HTML, Button, HBox, Layout, VBox
from traitlets import Int, List, Unicode

from ..errors import ModelImportError

COLUMNS = ("model_name", "model_version", "model_type", "model_status", "model_size", "create_at")
HEADERS = ("Name", "Version", "Type", "Status", "Size", "Created")


class ModelList(VBox):
    """A table of the registry's models, newest first, `page_size` per page."""

    models = List(help="The rows shown: dicts with model_id and the columns.").tag(sync=True)
    total_count = Int(0).tag(sync=True)
    message = Unicode("").tag(sync=True)

    def __init__(self, session: Any = None, *, model_name: str | None = None, page_size: int = 20):
        super().__init__(layout=Layout(width="100%", max_width="64em"))
        self.add_class("mi-model-list")
        if session is None:
            from ..sdk.session import Session

            session = Session()
        self._session, self._filter, self.page_size, self.page = session, model_name, page_size, 0
        self._refresh_button = Button(description="Refresh", icon="refresh")
        self._refresh_button.on_click(lambda _: self.refresh())
        self._prev = Button(description="Newer", icon="arrow-left")
        self._next = Button(description="Older", icon="arrow-right")
        self._prev.on_click(lambda _: self._page(-1))
        self._next.on_click(lambda _: self._page(+1))
        self._table = VBox()
        self._note = HTML()
        self.refresh()

    def refresh(self) -> None:
        """Read the registry again."""
        from ..sdk.model import Model

        try:
            listing = Model.get_model_list(self._session, model_name=self._filter, offset=self.page, limit=self.page_size)
        except ModelImportError as exc:
            self.message = str(exc)
            listing = {"total_count": 0, "models": []}
        else:
            self.message = ""
        self.models = listing["models"]
        self.total_count = listing["total_count"]
        self._render()

    def delete(self, model_id: str) -> None:
        """Delete one model and refresh."""
        from ..sdk.model import Model

        try:
            Model(self._session, model_id=model_id).delete_model()
            note = f"deleted {model_id}"
        except ModelImportError as exc:
            note = str(exc)
        self.refresh()
        self.message = note
        self._render()

    def _delete_clicked(self, button: Button, model_id: str) -> None:
        """A first click asks (the button turns red and says so); the second click deletes."""
        if button.button_style != "danger":
            button.button_style, button.description, button.icon = "danger", "Sure?", "warning"
            return
        self.delete(model_id)

    def _page(self, step: int) -> None:
        last_page = max(self.total_count - 1, 0) // self.page_size
        self.page = max(0, min(self.page + step, last_page))
        self.refresh()

    def _render(self) -> None:
        cell = Layout(width="9em")
        rows = [HBox([HTML(f"<b>{h}</b>", layout=cell) for h in HEADERS] + [HTML("", layout=Layout(width="6em"))])]
        for item in self.models:
            values = [_show(key, item.get(key)) for key in COLUMNS]
            delete = Button(description="Delete", icon="trash", layout=Layout(width="6em"),
                            tooltip=f"Delete {item.get('model_name')} {item.get('model_version')}")
            delete.on_click(lambda button, model_id=item["model_id"]: self._delete_clicked(button, model_id))
            rows.append(HBox([HTML(html.escape(v), layout=cell) for v in values] + [delete]))
        self._table.children = rows
        first = self.page * self.page_size
        shown = f"{first + 1}–{first + len(self.models)} of {self.total_count}" if self.models else "no models"
        self._note.value = f"<span>{html.escape(shown)}</span>" + (
            f" <span style='color: var(--jp-error-color1)'>{html.escape(self.message)}</span>" if self.message else "")
        self._prev.disabled = self.page == 0
        self._next.disabled = first + self.page_size >= self.total_count
        self.children = [HBox([self._refresh_button, self._prev, self._next, self._note]), self._table]


def _show(key: str, value: Any) -> str:
    if value is None:
        return ""
    if key == "model_size":
        size = float(value)
        for unit in ("B", "KB", "MB", "GB"):
            if size < 1024 or unit == "GB":
                return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
            size /= 1024
    if key == "create_at":
        return _dt.datetime.fromtimestamp(int(value) / 1000).strftime("%Y-%m-%d %H:%M")
    return str(value)
