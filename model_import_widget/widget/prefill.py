"""Filling a form from a model folder: which fields the folder fills (empty ones, and the ones the last folder filled
that nobody touched since), which it only offers to replace (what the person typed), which the last folder's values
it clears, and the folder's lint (problems that block Import, warnings shown at the source field).

No widget here: `FolderPrefill.take()` decides, the form applies.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from .. import package
from .binding import Binding


def lint_line(item: dict[str, Any]) -> str:
    """A package problem or warning as one line, its file named once."""
    path, message = item.get("path") or "", str(item["message"])
    return message if not path or message.startswith(path) else f"{path}: {message}"


SUGGESTIONS_LOOKED_AT = 500


def folder_suggestions(typed: str, limit: int = 50) -> list[str]:
    """Folders to offer while a source is typed: the sub-folders of what is typed (or of its parent), model packages
    (folders with model/ in them) first. A package's own model/ is never offered: the source is the folder that
    contains model/, one level up."""
    path = Path(os.path.expanduser(typed))
    parent = path if path.is_dir() else path.parent
    try:
        found = sorted((p for p in parent.iterdir() if not p.name.startswith(".") and p.is_dir()), key=lambda p: p.name)
    except OSError:
        return []
    found = found[:SUGGESTIONS_LOOKED_AT]  # each is looked into for model/: bounded for a folder of thousands
    packages = {p for p in found if (p / "model").is_dir()}
    offered = [p for p in found if not (p.name == "model" and _is_package(parent))]
    return [str(p) for p in sorted(offered, key=lambda p: (p not in packages, p.name))][:limit]


def _is_package(folder: Path) -> bool:
    return (folder / "model").is_dir()


class FolderPrefill:
    """What one form took from the folders chosen in it."""

    def __init__(self, binding: Binding):
        self._binding = binding
        self.folder = ""  # the folder last taken (absolute), so typing through /, /home, … walks nothing twice
        self.filled: dict[str, Any] = {}  # field -> the value the last folder filled in, as filled
        self.pending: dict[str, Any] = {}  # values the folder has that differ from what was typed: offered
        self.lint: list[str] = []  # the folder's warnings, shown at the source field
        self.problems: list[str] = []  # the folder's problems: Import is blocked until they are fixed on disk

    def wants(self, location: str) -> bool:
        """Whether `location` is a model package not taken yet (a folder with model/ in it)."""
        folder = os.path.abspath(os.path.expanduser(location))
        return os.path.isdir(os.path.join(folder, "model")) and folder != self.folder

    def take(self, location: os.PathLike | str) -> tuple[dict[str, Any], package.PackageReport]:
        """Read the folder; returns the values to fill in now (SDK style; None/[] clears) and its report. Values the
        person typed differently are left in `pending`, to offer."""
        self.folder = os.path.abspath(os.path.expanduser(str(location)))
        report = package.inspect(location)
        found = report.fields()
        fill, conflicts = {}, {}
        earlier = self.filled
        for key, value in found.items():
            current = self._binding.current(key)
            proposed = self._binding.as_field_value(key, value)
            if not current or (key in earlier and current == earlier[key]):  # empty, or the last folder's, untouched
                fill[key] = value
            elif current != proposed:
                conflicts[key] = value
        for key, value in earlier.items():  # the last folder's values this folder does not have: not this model's
            if key not in found and self._binding.current(key) == value:
                fill[key] = [] if isinstance(value, list) else None
        self.pending = conflicts
        self._take_lint(report)
        self._found = [key for key in found if key in fill]
        return fill, report

    def remember_filled(self) -> None:
        """After the form applied `take()`'s values: remember them as filled, to tell later edits from them."""
        self.filled = {key: self._binding.current(key) for key in getattr(self, "_found", [])}

    def relint(self, location: str) -> None:
        """Read the folder again (its files may have been fixed since it was chosen)."""
        self._take_lint(package.inspect(location))

    def forget_lint(self) -> None:
        self.lint, self.problems = [], []

    def _take_lint(self, report: package.PackageReport) -> None:
        self.problems = [lint_line(p) for p in report.problems]
        self.lint = [lint_line(w) for w in report.warnings]
