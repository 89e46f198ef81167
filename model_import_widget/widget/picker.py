"""A folder picker that browses from the kernel, so it works in every front end (the browser may not even run on
the machine that holds the folders): the folder shown, its sub-folders, up, choose.

Only folders are listed (no file is opened); hidden ones are left out; at most MAX_ENTRIES, sorted; a folder that
holds model/ is marked as a model package. The state is plain data the form's view draws.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

MAX_ENTRIES = 200


class FolderPicker:
    def __init__(self) -> None:
        self.folder: Path | None = None
        self.entries: list[dict[str, Any]] = []
        self.error = ""

    @property
    def open(self) -> bool:
        return self.folder is not None

    def show(self, start: str | os.PathLike[str] = "") -> None:
        """Open at `start` (a folder, or a path inside one), else the kernel's working folder."""
        path = Path(os.path.expanduser(str(start))) if str(start).strip() else Path.cwd()
        path = path if path.is_dir() else path.parent if path.parent.is_dir() else Path.cwd()
        self._list(path.resolve())

    def enter(self, name: str) -> None:
        if self.folder is None or name not in {e["name"] for e in self.entries}:
            return  # not one of the folders shown: ignored
        self._list(self.folder / name)

    def up(self) -> None:
        if self.folder is not None and self.folder.parent != self.folder:
            self._list(self.folder.parent)

    def close(self) -> None:
        self.folder, self.entries, self.error = None, [], ""

    def state(self) -> dict[str, Any]:
        if self.folder is None:
            return {}
        return {"path": str(self.folder), "entries": self.entries, "error": self.error,
                "package": (self.folder / "model").is_dir(), "can_go_up": self.folder.parent != self.folder}

    def _list(self, folder: Path) -> None:
        entries: list[dict[str, Any]] = []
        error = ""
        try:
            with os.scandir(folder) as listing:
                for entry in listing:
                    if entry.name.startswith(".") or entry.name == "__pycache__":
                        continue
                    try:
                        if entry.is_dir():
                            entries.append({"name": entry.name,
                                            "package": os.path.isdir(os.path.join(entry.path, "model"))})
                    except OSError:
                        continue
        except OSError as exc:
            error = f"{folder} cannot be read ({exc.strerror})"
        entries.sort(key=lambda e: e["name"].lower())
        if len(entries) > MAX_ENTRIES:
            error = f"{len(entries)} folders here; the first {MAX_ENTRIES} are shown: type the path instead"
            entries = entries[:MAX_ENTRIES]
        self.folder, self.entries, self.error = folder, entries, error
