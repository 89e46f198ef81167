"""One import started from the form: a worker thread, its progress, cancel, status and events.

`ImportRun` knows nothing of widgets: it changes its own state and calls `on_change(run)` after each change (from
the worker thread); the form shows that state. `ImportRun.start()` returns at once; `join()` waits.
"""

from __future__ import annotations

import threading
import time
from typing import Any, Callable, Optional

from .. import spec
from . import i18n
from ..backend import FINAL_STATUSES
from ..errors import ImportCancelledError, ImportFailedError, ModelNotFoundError, SpecValidationError

PROGRESS_EVERY = 0.1
"""Seconds between progress updates shown (the last one always shows)."""


class ImportRun:
    """Import `data` (fields as the SDK takes them) through `session`, in a thread.

    State, read by the form: `status` (copying, publishing, published, failed, cancelled — or draft when nothing
    was registered), `fraction` (0..1) and `progress_text`, `events` (the model's events so far), `model_id`,
    `model` (once published), `error` (the exception it ended with, or None), `running`.
    """

    def __init__(self, session: Any, data: dict[str, Any], *, obs_location: Optional[str],
                 on_change: Callable[["ImportRun"], None], language: str = "en"):
        self.session, self.data, self.obs_location, self.language = session, data, obs_location, language
        self._on_change = on_change
        self.status = "copying"
        self.fraction, self.progress_text = 0.0, ""
        self.events: list[dict[str, Any]] = []
        self.model_id = ""
        self.model: Any = None
        self.error: Optional[BaseException] = None
        self.running = False
        self._cancel = threading.Event()
        self._copied = threading.Event()
        self._shown_at = 0.0
        self._thread: Optional[threading.Thread] = None

    def start(self) -> "ImportRun":
        self.running = True
        self._thread = threading.Thread(target=self._work, name="model-import-form", daemon=True)
        self._thread.start()
        return self

    def cancel(self) -> None:
        """Stop it; nothing of it stays registered."""
        self._cancel.set()

    def join(self, timeout: Optional[float] = None) -> None:
        if self._thread is not None:
            self._thread.join(timeout)

    def _changed(self) -> None:
        try:
            self._on_change(self)
        except Exception:  # noqa: BLE001 — showing the state must never stop the import
            pass

    def _progress(self, p: Any) -> None:
        if p.bytes_done >= p.bytes_total and p.files_done >= p.files_total:
            self._copied.set()
        now = time.monotonic()
        if now - self._shown_at < PROGRESS_EVERY and p.bytes_done < p.bytes_total:
            return
        self._shown_at = now
        self.fraction = (p.bytes_done / p.bytes_total) if p.bytes_total else 1.0
        self.progress_text = i18n.text("{done}/{total} files · {copied} / {size}", self.language,
                                       done=str(p.files_done), total=str(p.files_total),
                                       copied=spec.human_size(p.bytes_done), size=spec.human_size(p.bytes_total))
        self._changed()

    def _work(self) -> None:
        from ..sdk.model import Model

        try:
            checked = spec.check(self.data)
            if checked.errors:
                raise SpecValidationError(checked.errors)
            model = Model.from_spec(self.session, checked.spec, wait=False, progress=self._progress,
                                    cancel=self._cancel, obs_location=self.obs_location)
            self.model_id = model.model_id
            self._changed()
            pace = max(0.1, getattr(self.session.client, "poll_interval", 0.1))
            while True:
                try:
                    info = model.get_model_info()
                    self.events = model.get_model_events()
                except ModelNotFoundError:
                    if self._cancel.is_set():
                        raise ImportCancelledError(model.model_id) from None
                    raise
                if info["model_status"] in FINAL_STATUSES:
                    break
                if self._copied.is_set() and self.status == "copying":
                    self.status = "publishing"  # the files are in; the package is being checked
                self._changed()
                time.sleep(pace)
            model.wait()
            self.model, self.status = model, "published"
        except ImportCancelledError as exc:
            self.error, self.model_id, self.status = exc, "", "cancelled"
        except ImportFailedError as exc:
            self.error, self.status, self.events = exc, "failed", list(exc.events)
        except Exception as exc:  # noqa: BLE001 — never a traceback in the cell: the form shows it
            self.error, self.status = exc, "failed" if self.model_id else "draft"
        finally:
            self.running = False
            self._changed()
