"""PLACEHOLDER being replaced by a helper: tolerant reader/writer of a package's model/config.json."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from .errors import ConfigFileError


class ConfigWarning(NamedTuple):
    message: str
    line: int | None = None

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}" if self.line else self.message


@dataclass
class ConfigFile:
    fields: dict[str, Any] = field(default_factory=dict)
    warnings: list[ConfigWarning] = field(default_factory=list)


def load(path: str | Path) -> ConfigFile:
    text = Path(path).read_text(encoding="utf-8")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigFileError(exc.msg, path=str(path), line=exc.lineno, column=exc.colno) from exc
    return ConfigFile(fields=dict(data))
