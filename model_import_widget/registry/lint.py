"""What the service would refuse about a model package, found before anything is registered: every problem at once.

`lint_package(tree, model_type)` looks at the walked files and reads model/config.json as the service would (the
tolerant reader); `package_error` turns the problems into the PackageError both backends raise. The import thread
reads the copied config.json again with `read_config`: that copy, not the folder, is what the model keeps.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, NamedTuple

from ..errors import ConfigFileError
from ..spec import CONFIG_OVERRIDES
from .importer import SourceFile, SourceTree, open_walked

CONFIG = "model/config.json"
SERVICE = "model/customize_service.py"
NO_SERVICE_TYPES = ("Image", "Custom")
"""Model types whose container serves requests itself: no customize_service.py needed."""


class Lint(NamedTuple):
    """What `lint_package` found: `problems` make the import fail; `warnings` (as the rule table words them,
    `{"field", "message"}`) do not; `config` is model/config.json's content ({} when absent or unreadable)."""

    problems: list[dict[str, Any]]
    warnings: list[dict[str, Any]]
    config: dict[str, Any]


def lint_package(tree: SourceTree, model_type: str, initial_config: dict[str, Any] | None = None,
                 given: dict[str, Any] | None = None) -> Lint:
    """Every problem that would make the import fail, as `{"path", "message"}` (path None for the whole package),
    and a warning for each key `initial_config` sets apart from model/config.json or from the `given` fields (which
    win: spec.CONFIG_OVERRIDES). Warnings name keys, never values (a value may be anything, a token too)."""
    problems, loaded = _problems(tree, model_type, initial_config or {})
    raw = config_content(loaded)
    warnings = []
    for key, value in (initial_config or {}).items():
        if key in CONFIG_OVERRIDES and (given or {}).get(key) not in (None, value):
            warnings.append({"field": f"initial_config.{key}", "message": f"initial_config sets {key} apart from the "
                             f"{key} given to Model(): the given {key} is used"})
        elif key in raw and raw[key] != value:
            warnings.append({"field": f"initial_config.{key}", "message": f"initial_config sets {key} apart from "
                             f"model/config.json: initial_config's {key} is used"})
    return Lint(problems, warnings, raw)


def config_content(loaded: Any) -> dict[str, Any]:
    """config.json's content as the effective config keeps it (the API's derived parameter rows left out)."""
    content = dict(loaded.fields) if loaded is not None else {}
    content.pop("input_params", None)
    content.pop("output_params", None)
    return content


def _problems(tree: SourceTree, model_type: str, initial_config: dict[str, Any]) -> tuple[list[dict[str, Any]], Any]:
    names = {f.rel for f in tree.files}
    if "model" not in tree.dirs:
        found = ", ".join(sorted({n.split("/", 1)[0] for n in names} | {d for d in tree.dirs if "/" not in d})[:5])
        return [{"path": None, "message": (
            f"the folder model/ is missing from the package at {tree.root}"
            f"{f' (it holds: {found})' if found else ' (it is empty)'}: source_location must be the folder that "
            "contains model/ (or model/ itself), with model/config.json in it")}], None
    problems: list[dict[str, Any]] = []
    loaded = None
    if CONFIG not in names and model_type != "Custom":  # a Custom image serves itself; config.json is optional
        problems.append({"path": CONFIG, "message": "model/config.json is missing: every package needs exactly one "
                                                    "model/config.json (the model type, its API and dependencies)"})
    if model_type not in NO_SERVICE_TYPES and SERVICE not in names:
        problems.append({"path": SERVICE, "message": (
            f"model/customize_service.py is missing: a {model_type or 'non-Image'} model needs its inference code "
            "in model/customize_service.py (only Image and Custom models can do without)")})
    if CONFIG in names:
        loaded, problem = _read_walked(next(f for f in tree.files if f.rel == CONFIG))
        if problem is not None:  # present, so read, even for a Custom model
            problems.append({"path": CONFIG, "message": problem})
        elif (image_problem := swr_problem({**config_content(loaded), **initial_config}, model_type)) is not None:
            problems.append({"path": CONFIG, "message": image_problem})
    return problems, loaded


def _read_walked(file: SourceFile) -> tuple[Any, str | None]:
    """config.json as the walk saw it: never through a link or FIFO swapped in since (open_walked), never unbounded."""
    from .. import config_file

    try:
        with os.fdopen(open_walked(file, same_stat=False), "rb") as stream:
            data = stream.read(config_file.MAX_CONFIG_BYTES + 1)
        return config_file.loads(data, path=CONFIG), None
    except ConfigFileError as exc:
        return None, _config_problem(exc)
    except OSError as exc:
        return None, f"{CONFIG} cannot be read: {exc.strerror or exc}"


def read_config(path: Path) -> tuple[Any, str | None]:
    """(the loaded ConfigFile, None), or (None, what is wrong with the file naming line and column)."""
    from .. import config_file  # the tolerant reader; imported late, it pulls in the rule table

    try:
        return config_file.load(path), None
    except ConfigFileError as exc:
        return None, _config_problem(exc)
    except OSError as exc:
        return None, f"{CONFIG} cannot be read: {exc.strerror or exc}"


def _config_problem(exc: ConfigFileError) -> str:
    """"model/config.json line 3, column 13: <what>", or "model/config.json <is …>" for the whole file."""
    position = _position(exc)
    return f"{CONFIG}{position}: {_reason(exc)}" if position else f"{CONFIG} {_reason(exc)}"


def swr_problem(config: dict[str, Any], model_type: str) -> str | None:
    """An Image model needs swr_location in its config; any other type must not have one."""
    swr = config.get("swr_location")
    if model_type == "Image" and not swr:
        return (f"{CONFIG} has no swr_location: an Image model needs the SWR address of its image there, e.g. "
                "\"swr_location\": \"swr.<region>.myhuaweicloud.com/<org>/<image>:<tag>\"")
    if model_type not in ("Image", "Custom") and swr:
        return (f"{CONFIG}: Non-custom type models should not contain swr_location (this model's type is "
                f"{model_type}; remove swr_location or import it as an Image model)")
    return None


def _position(exc: ConfigFileError) -> str:
    if exc.line is None:
        return ""
    return f" line {exc.line}" + (f", column {exc.column}" if exc.column is not None else "")


def _reason(exc: ConfigFileError) -> str:
    """The message without the "<path>, line L, column C: " prefix ConfigFileError puts in front of it."""
    text = str(exc)
    where = exc.path or "config.json"
    if exc.line is not None:
        where += f", line {exc.line}" + (f", column {exc.column}" if exc.column is not None else "")
    return text[len(where) + 2:] if text.startswith(where + ": ") else text
