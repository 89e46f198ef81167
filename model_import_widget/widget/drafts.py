"""A form's draft: what was typed, kept on disk while typing, so a kernel restart loses nothing.

One draft per notebook (JupyterLab tells the kernel its path in JPY_SESSION_NAME), beside the session's registry:
`<home>/drafts/<notebook>.json`. Written at most every DRAFT_DELAY seconds while typing, atomically; the last state
always lands (a timer), and `load()` first writes the drafts still waiting for their timer.
"""

from __future__ import annotations

import json
import os
import threading
import time
import weakref
from pathlib import Path
from typing import Any, Callable

DRAFT_DELAY = 0.5
"""Seconds between draft writes while typing."""

_LOCK = threading.Lock()
_PENDING: "weakref.WeakSet[Draft]" = weakref.WeakSet()


def draft_path(session: Any) -> Path:
    notebook = os.environ.get("JPY_SESSION_NAME", "default")
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in notebook)[-120:]
    return Path(session.home) / "drafts" / f"{safe}.json"


class Draft:
    """The draft of one form. `snapshot()` returns what to keep (JSON-able); nothing is written until `edited()`."""

    def __init__(self, path: Path, snapshot: Callable[[], dict[str, Any]]):
        self.path, self._snapshot = path, snapshot
        self._edited = False
        self._timer: threading.Timer | None = None
        self.last_edit = 0.0

    def edited(self) -> None:
        """Someone changed the form: keep the draft soon."""
        self._edited = True
        self.changed()

    def changed(self) -> None:
        """The form's values changed (by code, a prefill): keep the draft soon, if someone ever edited it."""
        if not self._edited:
            return
        self.last_edit = time.monotonic()
        with _LOCK:
            if self._timer is None:
                self._timer = threading.Timer(DRAFT_DELAY, self.save)
                self._timer.daemon = True
                self._timer.start()
                _PENDING.add(self)

    def save(self) -> None:
        """Write it now. An untouched form has no draft to keep, and must not replace another form's."""
        self._stop_timer()
        if not self._edited:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(json.dumps(self._snapshot()))
            os.replace(tmp, self.path)
        except OSError:
            pass  # a draft is a convenience; the form works without it

    def discard(self) -> None:
        """The form was imported: restoring the draft would only offer a duplicate."""
        self._stop_timer()
        self._edited = False
        try:
            self.path.unlink()
        except OSError:
            pass

    def _stop_timer(self) -> None:
        with _LOCK:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            _PENDING.discard(self)


def load(session: Any) -> dict[str, Any]:
    """The last draft of this notebook ({} if none), after writing the drafts still waiting (latest edit last)."""
    for draft in sorted(list(_PENDING), key=lambda d: d.last_edit):
        draft.save()
    try:
        found = json.loads(draft_path(session).read_text())
    except (OSError, ValueError):
        return {}
    return found if isinstance(found, dict) else {}
