"""Tolerant reader and writer of a package's model/config.json: fields named as the SDK names them, plus warnings.

It must not enforce the rule table (spec.py does that) and must raise nothing but ConfigFileError for bad content."""

from __future__ import annotations

import bisect
import codecs
import copy
import dataclasses
import difflib
import enum
import json
import os
import re
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from json.decoder import scanstring
from pathlib import Path
from typing import Any, Callable, NamedTuple

from . import spec
from .errors import ConfigFileError

__all__ = ["ConfigFile", "ConfigWarning", "load", "loads", "write", "dumps", "MAX_CONFIG_BYTES"]

MAX_CONFIG_BYTES = 16 * 1024 * 1024
"""A config.json is a few kilobytes; anything this large is not one (and is not read into memory)."""

MAX_NESTING = 200
MAX_VALUES = 100_000
"""The most values (numbers, texts, lists, objects) a config.json may hold: a real one has hundreds; more is a data
file, and reading millions would take gigabytes."""
MAX_WARNINGS = 200
"""Warnings kept for one file; the rest are counted in one last warning."""

_RESTRAINTS = tuple(r.value for r in spec.Restraint)
_BOOLEAN_KEYS = ("tunable", "downloadable_flag")
_KNOWN_KEYS = ("model_algorithm", "model_type", "runtime", "swr_location", "metrics", "apis", "dependencies",
               "health", "readiness_health", "startup_health", "model_source", "algorithm", "tunable",
               "downloadable_flag", "execution_code", "service_name", "input_params", "output_params")
_WRITE_ORDER = ("model_algorithm", "model_type", "runtime", "swr_location", "metrics", "apis", "dependencies",
                "health", "readiness_health", "startup_health")
_NOT_SCHEMA = ("enum", "const", "default", "examples", "example", "required")


class ConfigWarning(NamedTuple):
    """Something in the file that was repaired or looks wrong but does not stop it from being read."""

    message: str
    line: int | None = None

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}" if self.line else self.message


@dataclass
class ConfigFile:
    """What `load` read: `fields` keyed by the SDK's parameter names, and what was repaired or looks wrong."""

    fields: dict[str, Any] = field(default_factory=dict)
    warnings: list[ConfigWarning] = field(default_factory=list)
    path: Path | None = None
    encoding: str = "utf-8"


# ---------------------------------------------------------------------------------------------------- reading


def load(path: str | os.PathLike[str]) -> ConfigFile:
    """Read a config.json (or the config.json in a folder, or in its model/ subfolder) tolerantly."""
    path = Path(path)
    if path.is_dir():
        for candidate in (path / "config.json", path / "model" / "config.json"):
            if candidate.is_file():
                path = candidate
                break
        else:
            raise ConfigFileError(f"no config.json in the folder {path} (nor in its model/ subfolder)", path=str(path))
    try:
        with open(path, "rb") as stream:
            data = stream.read(MAX_CONFIG_BYTES + 1)
    except OSError as exc:
        raise ConfigFileError(f"cannot be read: {exc.strerror or exc}", path=str(path)) from exc
    result = loads(data, path=str(path))
    result.path = path
    return result


def loads(data: str | bytes | bytearray | memoryview, path: str | os.PathLike[str] | None = None) -> ConfigFile:
    """Read config.json content held in memory; `path` only names it in messages."""
    where = os.fspath(path) if path is not None else None
    warnings: list[ConfigWarning] = _Capped()
    encoding = "utf-8"
    if isinstance(data, (bytes, bytearray, memoryview)):
        data = bytes(data)
        if len(data) > MAX_CONFIG_BYTES:
            raise ConfigFileError(f"is larger than {spec.human_size(MAX_CONFIG_BYTES)}: not a config.json", path=where)
        text, encoding = _decode(data, where, warnings)
    elif isinstance(data, str):
        text = data
        if text.startswith("\ufeff"):
            text = text[1:]
            warnings.append(ConfigWarning("byte-order mark at the start removed (some JSON readers reject it)", 1))
    else:
        raise TypeError(f"loads() takes str or bytes, not {type(data).__name__}")
    lines = _Lines(text)
    clean, comment_lines = _blank_comments(text, lines, where, warnings)
    clean = _blank_trailing_commas(clean, lines, warnings)
    hint = " (the file is not UTF-8 and was read as GBK)" if encoding == "gb18030" else ""
    parser = _Parser(clean, lines, where, warnings, comment_lines, hint)
    document = parser.parse_document()
    normaliser = _Normaliser(parser.where, warnings)
    fields = normaliser.build(document)
    kept = list(warnings)
    if warnings.dropped:
        kept.append(ConfigWarning(f"… and {warnings.dropped:,} more warnings like these", None))
    return ConfigFile(fields=fields, warnings=kept, path=Path(where) if where else None, encoding=encoding)


class _Capped(list):
    """A warnings list that keeps the first MAX_WARNINGS and counts the rest (a hostile file can make millions)."""

    dropped = 0

    def append(self, item: Any) -> None:
        if len(self) < MAX_WARNINGS:
            super().append(item)
        else:
            self.dropped += 1


class _Lines:
    """Maps a character offset to a 1-based (line, column); CRLF, LF and lone CR all end a line."""

    def __init__(self, text: str):
        self.starts = [0] + [m.end() for m in re.finditer(r"\r\n|\r|\n", text)]

    def line(self, pos: int) -> int:
        return bisect.bisect_right(self.starts, pos)

    def line_col(self, pos: int) -> tuple[int, int]:
        index = bisect.bisect_right(self.starts, pos)
        return index, pos - self.starts[index - 1] + 1


def _decode(data: bytes, where: str | None, warnings: list[ConfigWarning]) -> tuple[str, str]:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise ConfigFileError("starts like UTF-16 text but is not; save it as UTF-8", path=where) from exc
        warnings.append(ConfigWarning("file is UTF-16; it was read as such, but ModelArts expects UTF-8", 1))
        return text, "utf-16"
    encoding = "utf-8-sig" if data.startswith(codecs.BOM_UTF8) else "utf-8"
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        bad = exc.start + (3 if encoding == "utf-8-sig" else 0)
    else:
        if encoding == "utf-8-sig":
            warnings.append(ConfigWarning("byte-order mark at the start removed (some JSON readers reject it)", 1))
        return text, encoding
    line = data.count(b"\n", 0, bad) + 1
    line_start = data.rfind(b"\n", 0, bad) + 1
    column = len(data[line_start:bad].decode("utf-8", "replace")) + 1
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError as exc:
        raise ConfigFileError(f"is not UTF-8 text (byte 0x{data[bad]:02x} cannot be decoded), nor GBK; save it as UTF-8",
                              path=where, line=line, column=column) from exc
    if text.startswith("\ufeff"):
        text = text[1:]
    warnings.append(ConfigWarning("file is not UTF-8: read as Chinese GBK/GB18030 text; save it as UTF-8 "
                                  "(ModelArts reads config.json as UTF-8)", line))
    return text, "gb18030"


_STRING_BODY = re.compile(r'(?:[^"\\\r\n]|\\[^\r\n])*')
_SLASH_OR_QUOTE = re.compile(r'["/]')
_COMMA_OR_QUOTE = re.compile(r'[",]')
_JSON_SPACE = re.compile(r"[ \t\r\n]*")


def _skip_string(text: str, i: int) -> int:
    """Index just past the string opening at text[i]; an unclosed string ends at the end of its line."""
    end = _STRING_BODY.match(text, i + 1).end()
    return end + 1 if end < len(text) and text[end] == '"' else end


def _blank_comments(text: str, lines: _Lines, where: str | None,
                    warnings: list[ConfigWarning]) -> tuple[str, set[int]]:
    """Replace // and /* */ comments outside strings by spaces, keeping line breaks so positions stay put."""
    pieces: list[str] = []
    comment_lines: set[int] = set()
    first_lines: list[int] = []
    done = i = 0
    n = len(text)
    while True:
        match = _SLASH_OR_QUOTE.search(text, i)
        if match is None:
            break
        i = match.start()
        if text[i] == '"':
            i = _skip_string(text, i)
            continue
        following = text[i + 1:i + 2]
        if following == "/":
            end = i + 2
            while end < n and text[end] not in "\r\n":
                end += 1
        elif following == "*":
            close = text.find("*/", i + 2)
            if close < 0:
                line, column = lines.line_col(i)
                raise ConfigFileError("a /* comment is never closed with */", path=where, line=line, column=column)
            end = close + 2
        else:
            i += 1
            continue
        pieces.append(text[done:i])
        pieces.append(re.sub(r"[^\r\n]", " ", text[i:end]))
        first = lines.line(i)
        first_lines.append(first)
        comment_lines.update(range(first, lines.line(end - 1) + 1))
        done = i = end
    if not first_lines:
        return text, comment_lines
    pieces.append(text[done:])
    shown = ", ".join(str(x) for x in first_lines[:8]) + (", …" if len(first_lines) > 8 else "")
    noun = "comment" if len(first_lines) == 1 else "comments"
    warnings.append(ConfigWarning(f"{len(first_lines)} {noun} removed (JSON has no comments; ModelArts rejects them) "
                                  f"on line{'s' if len(first_lines) > 1 else ''} {shown}", first_lines[0]))
    return "".join(pieces), comment_lines


def _blank_trailing_commas(text: str, lines: _Lines, warnings: list[ConfigWarning]) -> str:
    """Replace a comma that is followed (past blanks) by } or ] with a space."""
    chars: list[str] | None = None
    i = 0
    while True:
        match = _COMMA_OR_QUOTE.search(text, i)
        if match is None:
            break
        i = match.start()
        if text[i] == '"':
            i = _skip_string(text, i)
            continue
        after = _JSON_SPACE.match(text, i + 1).end()
        if after < len(text) and text[after] in "}]":
            if chars is None:
                chars = list(text)
            chars[i] = " "
            closer = "object" if text[after] == "}" else "list"
            warnings.append(ConfigWarning(f"trailing comma before the end of the {closer} removed (JSON does not allow it)",
                                          lines.line(i)))
        i += 1
    return text if chars is None else "".join(chars)


_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?")
_BARE_WORD = re.compile(r"""[^\s,:{}\[\]"]{1,40}""")


class _Parser:
    """A small JSON parser that remembers the line of every member, so warnings can point at them."""

    def __init__(self, text: str, lines: _Lines, where: str | None, warnings: list[ConfigWarning],
                 comment_lines: set[int], hint: str):
        self.s, self.n, self.lines = text, len(text), lines
        self.path_name, self.warnings, self.comment_lines, self.hint = where, warnings, comment_lines, hint
        self.where: dict[tuple[Any, ...], int] = {}
        self._odd_space_warned = False
        self._control_warned = False
        self.values = 0

    def error(self, message: str, pos: int) -> ConfigFileError:
        line, column = self.lines.line_col(min(pos, self.n))
        return ConfigFileError(message + self.hint, path=self.path_name, line=line, column=column)

    def space(self, i: int) -> int:
        s, n = self.s, self.n
        while True:
            i = _JSON_SPACE.match(s, i).end()
            if i < n and s[i].isspace():
                if not self._odd_space_warned:
                    self._odd_space_warned = True
                    self.warnings.append(ConfigWarning(
                        f"unusual blank character U+{ord(s[i]):04X} outside strings treated as a space",
                        self.lines.line(i)))
                i += 1
                continue
            return i

    def describe(self, i: int) -> str:
        if i >= self.n:
            return "the end of the file"
        if self.s[i] == '"':
            token = self.s[i:_skip_string(self.s, i)]
            return repr(token if len(token) <= 40 else token[:39] + "…")
        match = _BARE_WORD.match(self.s, i)
        return repr(match.group()) if match else repr(self.s[i])

    def parse_document(self) -> dict[str, Any]:
        i = self.space(0)
        if i >= self.n:
            raise self.error("the file is empty: a config.json holds one JSON object { … }", i)
        if self.s[i] != "{":
            if self.s[i] == "[":
                found = "a list [ … ]"
            elif self.s[i] in '"-0123456789tfn':
                found = f"the value {self.describe(i)}"
            else:
                found = self.describe(i)
            raise self.error(f"a config.json holds one JSON object {{ … }}, but this file starts with {found}", i)
        document, end = self.value(i, (), 0)
        end = self.space(end)
        if end < self.n:
            raise self.error(f"unexpected {self.describe(end)} after the closing }} of the object "
                             f"(which ends on line {self.lines.line(end - 1)})", end)
        return document

    def value(self, i: int, path: tuple[Any, ...], depth: int) -> tuple[Any, int]:
        s = self.s
        if i >= self.n:
            raise self.error("the file ends where a value is expected", i)
        self.values += 1
        if self.values > MAX_VALUES:
            raise self.error(f"holds more than {MAX_VALUES:,} values: a config.json describes a model in a few "
                             "hundred; is this a data file?", i)
        c = s[i]
        if c == '"':
            return self.string(i)
        if c == "{" or c == "[":
            if depth >= MAX_NESTING:
                raise self.error(f"nested more than {MAX_NESTING} levels deep", i)
            return self.obj(i, path, depth) if c == "{" else self.array(i, path, depth)
        match = _NUMBER.match(s, i)
        if match:
            return self.number(match), match.end()
        for word, result in (("true", True), ("false", False), ("null", None)):
            if s.startswith(word, i):
                return result, i + len(word)
        raise self.error(f"expected a value, found {self.describe(i)}{self.word_hint(i)}", i)

    def word_hint(self, i: int) -> str:
        match = _BARE_WORD.match(self.s, i)
        word = match.group() if match else ""
        line = self.lines.line(i)
        if word in ("True", "False", "None"):
            return f": JSON spells it {word.lower() if word != 'None' else 'null'}"
        if word in ("NaN", "Infinity", "-Infinity"):
            return ": JSON has no NaN or Infinity"
        if word.startswith("'"):
            return ": JSON strings use double quotes"
        if line - 1 in self.comment_lines and line not in self.comment_lines:
            return (f" — the comment on line {line - 1} probably wrapped onto this line: "
                    f"start this line with // too, or join it to the comment")
        return ""

    def string(self, i: int) -> tuple[str, int]:
        try:
            result, end = scanstring(self.s, i + 1, False)
        except json.JSONDecodeError as exc:
            if exc.msg.startswith("Unterminated"):
                raise self.error('a text value opened with " is never closed', i) from exc
            raise self.error(f"bad text value: {exc.msg}", exc.pos) from exc
        raw = self.s[i:end]
        if "\n" in raw or "\r" in raw:
            raise self.error('a text value opened with " is not closed on the same line', i)
        if not self._control_warned and any(ord(ch) < 0x20 for ch in raw):
            self._control_warned = True
            self.warnings.append(ConfigWarning("a text value contains a raw tab or control character "
                                               "(JSON wants it written as \\t)", self.lines.line(i)))
        return result, end

    def number(self, match: re.Match[str]) -> int | float:
        text = match.group()
        try:
            if match.group(1) or match.group(2):
                number = float(text)
                if number in (float("inf"), float("-inf")):
                    raise ValueError(text)
                return number
            return int(text)
        except ValueError as exc:
            raise self.error(f"the number {text[:20]}{'…' if len(text) > 20 else ''} is too large", match.start()) from exc

    def obj(self, start: int, path: tuple[Any, ...], depth: int) -> tuple[dict[str, Any], int]:
        s, result = self.s, {}
        i = self.space(start + 1)
        if i < self.n and s[i] == "}":
            return result, i + 1
        while True:
            if i >= self.n:
                raise self.error(f"the object opened on line {self.lines.line(start)} is never closed with }}", start)
            if s[i] != '"':
                raise self.error(f'expected a "quoted" key, found {self.describe(i)}{self.word_hint(i)}', i)
            key_pos = i
            key, i = self.string(i)
            i = self.space(i)
            if i >= self.n or s[i] != ":":
                raise self.error(f'expected : after the key "{key}", found {self.describe(i)}', i)
            value, i = self.value(self.space(i + 1), path + (key,), depth + 1)
            line = self.lines.line(key_pos)
            if key in result:
                self.warnings.append(ConfigWarning(
                    f'key "{key}" appears twice in the same object (first on line {self.where.get(path + (key,))}); '
                    f"the last one is used", line))
            result[key] = value
            self.where[path + (key,)] = line
            i = self.space(i)
            if i < self.n and s[i] == ",":
                i = self.space(i + 1)
                continue
            if i < self.n and s[i] == "}":
                return result, i + 1
            if i >= self.n:
                raise self.error(f"the object opened on line {self.lines.line(start)} is never closed with }}", start)
            raise self.error(f'expected , or }} after the value of "{key}", found {self.describe(i)}'
                             f"{self.word_hint(i)}", i)

    def array(self, start: int, path: tuple[Any, ...], depth: int) -> tuple[list[Any], int]:
        s, result = self.s, []
        i = self.space(start + 1)
        if i < self.n and s[i] == "]":
            return result, i + 1
        while True:
            if i >= self.n:
                raise self.error(f"the list opened on line {self.lines.line(start)} is never closed with ]", start)
            self.where[path + (len(result),)] = self.lines.line(i)
            value, i = self.value(i, path + (len(result),), depth + 1)
            result.append(value)
            i = self.space(i)
            if i < self.n and s[i] == ",":
                i = self.space(i + 1)
                continue
            if i < self.n and s[i] == "]":
                return result, i + 1
            if i >= self.n:
                raise self.error(f"the list opened on line {self.lines.line(start)} is never closed with ]", start)
            raise self.error(f"expected , or ] after a list item, found {self.describe(i)}{self.word_hint(i)}", i)


# ------------------------------------------------------------------------------------------------ normalising


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _show(value: Any) -> str:
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= 40 else text[:39] + "…"


def _package_key(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


class _Normaliser:
    """Turns the parsed object into SDK-named fields, repairing known slips and noting each as a warning."""

    def __init__(self, where: Mapping[tuple[Any, ...], int], warnings: list[ConfigWarning]):
        self.where, self.warnings = where, warnings

    def line(self, path: tuple[Any, ...]) -> int | None:
        for length in range(len(path), 0, -1):
            line = self.where.get(path[:length])
            if line is not None:
                return line
        return None

    def warn(self, message: str, path: tuple[Any, ...] = ()) -> None:
        self.warnings.append(ConfigWarning(message, self.line(path)))

    def build(self, document: Mapping[str, Any], derive_params: bool = True) -> dict[str, Any]:
        fields: dict[str, Any] = {}
        for key, value in document.items():
            path = (key,)
            if value is None:
                self.warn(f'"{key}" is null: treated as absent', path)
                continue
            if key in ("model_type", "model_algorithm", "runtime", "swr_location", "execution_code"):
                if not isinstance(value, str):
                    self.warn(f'"{key}" should be text, not {_show(value)}', path)
                elif key == "model_type":
                    self.check_model_type(value, path)
                fields[key] = value
            elif key == "apis":
                fields[key] = self.apis(value, path)
            elif key == "dependencies":
                fields[key] = self.dependencies(value, path)
            elif key == "metrics":
                fields[key] = self.metrics(value, path)
            elif key in _BOOLEAN_KEYS:
                fields[key] = self.boolean(value, key, path)
            elif key in ("request", "response"):
                self.warn(f'a top-level "{key}" was found but no "apis": ModelArts ignores it. Move it into '
                          f'"apis": [{{"url": "/", "method": "post", "{key}": {{…}}}}]', path)
                fields[key] = value
            else:
                if key not in _KNOWN_KEYS:
                    close = difflib.get_close_matches(key, _KNOWN_KEYS, n=1, cutoff=0.75)
                    hint = f' (did you mean "{close[0]}"?)' if close else ""
                    self.warn(f'unknown key "{key}" kept as is{hint}; ModelArts does not use it', path)
                fields[key] = value
        if derive_params:
            self.derive_params(fields, document)
        self.check_whole(fields, document)
        return fields

    def check_model_type(self, value: str, path: tuple[Any, ...]) -> None:
        if value in spec.ModelType.__members__:
            return
        proper = spec.canonical_model_type(value)
        if proper:
            self.warn(f'model_type "{value}" is spelled "{proper}" by ModelArts', path)
        else:  # the rule table's own words: unsupported types, near misses, the list
            self.warn(spec.explain_model_type(value), path)

    def derive_params(self, fields: dict[str, Any], document: Mapping[str, Any]) -> None:
        if "apis" in fields:
            for key in ("input_params", "output_params"):
                if key in document:
                    self.warn(f'"{key}" ignored: they are read from "apis", which this file has', (key,))
            fields["input_params"], fields["output_params"] = _params_from_apis(fields["apis"])
        else:
            for key in ("input_params", "output_params"):
                if key in fields:
                    self.warn(f'"{key}" in config.json: ModelArts reads inputs and outputs from "apis" '
                              f"(they will be written back as apis)", (key,))

    def check_whole(self, fields: dict[str, Any], document: Mapping[str, Any]) -> None:
        for key in ("model_type", "model_algorithm"):
            if key not in fields:
                self.warn(f'"{key}" is missing; ModelArts requires it')
        model_type = fields.get("model_type")
        is_image = model_type == "Image"
        if "apis" not in fields and "request" not in document and "response" not in document:
            self.warn('no "apis": the model\'s inputs and outputs are not described '
                      "(batch services and the service's test page need them)")
        apis = fields.get("apis")
        for where, _kind, message, _value in spec.api_problems(model_type, apis):
            self.warn(message, ("apis", 1) if where == ("apis",) else where)
        if is_image:
            if "swr_location" not in fields:
                self.warn('an Image model imported from OBS needs "swr_location" (the image address)')
            if "runtime" in fields:
                self.warn('"runtime" is ignored for an Image model; leave it out', ("runtime",))
            if fields.get("dependencies"):
                self.warn('"dependencies" are not allowed for an Image model: install them in the image',
                          ("dependencies",))
        elif "swr_location" in fields and isinstance(model_type, str):
            self.warn(f'"swr_location" is only for Image models; ModelArts rejects it for {model_type}',
                      ("swr_location",))

    def boolean(self, value: Any, key: str, path: tuple[Any, ...]) -> Any:
        if isinstance(value, str) and value.strip().lower() in ("true", "false"):
            converted = value.strip().lower() == "true"
            self.warn(f'"{key}" is the text "{value}": read as the boolean {json.dumps(converted)}', path)
            return converted
        if not isinstance(value, bool):
            self.warn(f'"{key}" should be true or false', path)
        return value

    def metrics(self, value: Any, path: tuple[Any, ...]) -> Any:
        if not isinstance(value, dict):
            self.warn('"metrics" should be an object like {"f1": 0.9, "accuracy": 0.95}', path)
            return value
        for name, number in value.items():
            if isinstance(number, str):
                self.warn(f'metric "{name}" is the text "{number[:20]}": write it as a number', path + (name,))
            elif not _is_number(number):
                self.warn(f'metric "{name}" should be a number', path + (name,))
        return value

    def objects(self, value: Any, path: tuple[Any, ...], words: tuple[str, str, str, str],
                each: Callable[[Mapping[str, Any], tuple[Any, ...]], Any]) -> Any:
        """A list of objects (apis, dependency groups, packages): a single object is put in a list, anything that
        is not an object is kept as is, each with a warning; `each` normalises one object.
        `words`: the key, one item, the list's shape and an item's name, as the warnings say them."""
        key, one, shape, item_name = words
        wrapped = isinstance(value, dict)
        if wrapped:
            self.warn(f'"{key}" should be a list: the single {one} was put in one', path)
            value = [value]
        if not isinstance(value, list):
            self.warn(f'"{key}" should be a list of {shape}; kept as is', path)
            return value
        result = []
        for index, item in enumerate(value):
            item_path = path if wrapped else path + (index,)
            if isinstance(item, dict):
                result.append(each(item, item_path))
            else:
                self.warn(f"{item_name} {index + 1} is not an object; kept as is", item_path)
                result.append(item)
        return result

    # -- apis

    def apis(self, value: Any, path: tuple[Any, ...]) -> Any:
        return self.objects(value, path, ("apis", "api", "apis", "apis item"), self.api)

    def api(self, api: Mapping[str, Any], path: tuple[Any, ...]) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key, value in api.items():
            if key == "procotol":
                if "protocol" in api:
                    self.warn('both "procotol" and "protocol": the misspelt one was dropped', path + (key,))
                    continue
                self.warn('"procotol" misspelt: read as "protocol"', path + (key,))
                key = "protocol"
            elif key in ("request", "response"):
                value = self.message(value, path + (key,), key)
            result[key] = value
        method = result.get("method")
        if isinstance(method, str) and method.lower() not in ("post", "get"):
            self.warn(f'api method "{method}" should be "post" or "get"', path + ("method",))
        return result

    def message(self, value: Any, path: tuple[Any, ...], side: str) -> Any:
        if not isinstance(value, dict):
            self.warn(f'"{side}" should be an object with "Content-type" and "data"', path)
            return value
        result: dict[str, Any] = {}
        for key, item in value.items():
            key_path = path + (key,)
            if key != "Content-type" and isinstance(key, str) and key.lower().replace("_", "-") in ("content-type",
                                                                                                  "contenttype"):
                if "Content-type" in value:
                    self.warn(f'both "{key}" and "Content-type" in {side}: "{key}" was dropped', key_path)
                    continue
                self.warn(f'"{key}" read as "Content-type" (ModelArts expects exactly that spelling)', key_path)
                key = "Content-type"
            if key == "Content-type":
                item = self.content_type(item, key_path, side)
            elif key == "data":
                item = self.schema(item, key_path)
            result[key] = item
        data = result.get("data")
        if "required" in result and isinstance(data, dict) and "required" not in data:
            data = dict(data)
            data["required"] = result.pop("required")
            result["data"] = data
            self.warn(f'"required" sat beside "data" in {side}; moved inside "data" where JSON Schema expects it',
                      path + ("required",))
        if isinstance(data, dict) and isinstance(data.get("required"), list) and isinstance(data.get("properties"), dict):
            undefined = [name for name in data["required"] if isinstance(name, str) and name not in data["properties"]]
            if undefined:
                self.warn(f'{side} "required" names "{undefined[0]}", which its "properties" do not define',
                          path + ("data", "required"))
        if side == "request" and result.get("Content-type") == "application/json" and isinstance(data, dict):
            properties = data.get("properties")
            if isinstance(properties, dict):
                files = [name for name, sub in properties.items() if isinstance(sub, dict) and sub.get("type") == "file"]
                if files:
                    self.warn(f'request has the file parameter "{files[0]}" but Content-type application/json: '
                              f"file uploads need multipart/form-data", path + ("Content-type",))
        return result

    def content_type(self, value: Any, path: tuple[Any, ...], side: str) -> Any:
        if not isinstance(value, str):
            self.warn(f'{side} "Content-type" should be text', path)
            return value
        fixed = spec.CONTENT_TYPE_TYPOS.get(value.strip().lower())
        if fixed:
            self.warn(f'{side} Content-type "{value}" misspelt: read as "{fixed}"', path)
            return fixed
        if value not in spec.CONTENT_TYPES:
            if value.strip().lower() in spec.CONTENT_TYPES:
                self.warn(f'{side} Content-type "{value}" read as "{value.strip().lower()}"', path)
                return value.strip().lower()
            self.warn(f'{side} Content-type "{value}" is not one ModelArts documents ({", ".join(spec.CONTENT_TYPES)})',
                      path)
        return value

    def schema(self, node: Any, path: tuple[Any, ...]) -> Any:
        if isinstance(node, list):
            return [self.schema(item, path + (index,)) for index, item in enumerate(node)]
        if not isinstance(node, dict):
            return node
        result: dict[str, Any] = {}
        for key, value in node.items():
            if key == "properties" and isinstance(value, dict):
                result[key] = {name: self.schema(sub, path + (key, name)) for name, sub in value.items()}
            elif key == "item" and "items" not in node:
                self.warn(f'"item" misspelt{_schema_place(path)}: read as "items"', path + (key,))
                result["items"] = self.schema(value, path + (key,))
            elif key in _NOT_SCHEMA:
                result[key] = value
            else:
                result[key] = self.schema(value, path + (key,))
        return result

    # -- dependencies

    def dependencies(self, value: Any, path: tuple[Any, ...]) -> Any:
        seen: dict[str, int | None] = {}
        words = ("dependencies", "group", '{"installer": "pip", "packages": […]}', "dependencies item")
        return self.objects(value, path, words, lambda group, group_path: self.dependency(group, group_path, seen))

    def dependency(self, group: Mapping[str, Any], group_path: tuple[Any, ...], seen: dict[str, int | None]) -> dict[str, Any]:
        normalised = {}
        for key, item in group.items():
            normalised[key] = self.packages(item, group_path + (key,), seen) if key == "packages" else item
        installer = normalised.get("installer")
        if "installer" not in normalised:
            self.warn('a dependencies group has no "installer" (ModelArts needs "pip")', group_path)
        elif installer != "pip":
            self.warn(f'installer "{installer}": ModelArts documents only "pip"', group_path + ("installer",))
        if "packages" not in normalised:
            self.warn('a dependencies group has no "packages"', group_path)
        return normalised

    def packages(self, value: Any, path: tuple[Any, ...], seen: dict[str, int | None]) -> Any:
        words = ("packages", "package", '{"package_name": …}', "package")
        return self.objects(value, path, words, lambda package, package_path: self.package(package, package_path, seen))

    def package(self, package: Mapping[str, Any], path: tuple[Any, ...], seen: dict[str, int | None]) -> dict[str, Any]:
        name = package.get("package_name")
        label = f'package "{name}"' if isinstance(name, str) and name else "a package"
        result: dict[str, Any] = {}
        emptied: list[str] = []
        for key, value in package.items():
            if key in ("package_version", "restraint") and (value is None or (isinstance(value, str) and not value.strip())):
                emptied.append(key)
                continue
            result[key] = value
        if emptied:
            consequence = "; the latest version will be installed" if "package_version" in emptied else ""
            what = " and ".join(emptied)
            self.warn(f"{label}: empty {what} removed{consequence}", path + (emptied[0],))
        if not isinstance(name, str) or not name.strip():
            self.warn('a package has no "package_name"', path)
        else:
            if re.search(r"[<>=!~ ]", name.strip()):
                self.warn(f'{label}: put the version in "package_version" and "restraint", not in the name',
                          path + ("package_name",))
            key = _package_key(name.strip())
            line = self.line(path + ("package_name",))
            if key in seen:
                first = seen[key]
                where = f" (first on line {first})" if first else ""
                self.warn(f'{label} is listed twice{where}; ModelArts installs one of them', path + ("package_name",))
            else:
                seen[key] = line
        version, restraint = result.get("package_version"), result.get("restraint")
        if version is not None and not isinstance(version, str):
            self.warn(f'{label}: package_version should be text, like "1.0.0"', path + ("package_version",))
        if restraint is not None and restraint not in _RESTRAINTS:
            self.warn(f'{label}: restraint "{restraint}" should be one of {", ".join(_RESTRAINTS)}', path + ("restraint",))
        if version is not None and restraint is None:
            self.warn(f"{label}: a package_version needs a restraint ({', '.join(_RESTRAINTS)})", path)
        if restraint is not None and version is None:
            self.warn(f"{label}: restraint without a package_version", path + ("restraint",))
        return result


def _schema_place(path: tuple[Any, ...]) -> str:
    """' in the schema of "name"' for the innermost property on `path`, so one-line files still say where."""
    for index in range(len(path) - 2, -1, -1):
        if path[index] == "properties" and isinstance(path[index + 1], str):
            return f' in the schema of "{path[index + 1]}"'
    return ""


def _params_from_apis(apis: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """One SDK Params dict per top-level property of each api's request and response data schema."""
    inputs: list[dict[str, Any]] = []
    outputs: list[dict[str, Any]] = []
    if not isinstance(apis, list):
        return inputs, outputs
    for api in apis:
        if not isinstance(api, dict):
            continue
        url = api.get("url", "/")
        for side, bucket in (("request", inputs), ("response", outputs)):
            message = api.get(side)
            data = message.get("data") if isinstance(message, dict) else None
            properties = data.get("properties") if isinstance(data, dict) else None
            if not isinstance(properties, dict):
                continue
            for name, schema in properties.items():
                param: dict[str, Any] = {"url": url, "param_name": name}
                if isinstance(schema, dict):
                    for schema_key, param_key in (("type", "param_type"), ("description", "param_desc"),
                                                  ("minimum", "min"), ("maximum", "max")):
                        if schema_key in schema:
                            param[param_key] = schema[schema_key]
                bucket.append(param)
    return inputs, outputs


# ---------------------------------------------------------------------------------------------------- writing


def _plain(value: Any) -> Any:
    """Mappings, sequences, dataclasses, pydantic models and enums as plain JSON-able Python values."""
    if isinstance(value, enum.Enum):
        return _plain(value.value)
    if hasattr(value, "model_dump") and callable(value.model_dump):
        return _plain(value.model_dump(exclude_none=True))
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _plain(dataclasses.asdict(value))
    if isinstance(value, Mapping):
        return {str(k) if not isinstance(k, str) else k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if hasattr(value, "to_dict") and callable(value.to_dict):
        return _plain(value.to_dict())
    return value


def _param_list(params: Any, key: str) -> list[dict[str, Any]]:
    if not isinstance(params, list):
        raise ValueError(f"{key} must be a list of params, not {type(params).__name__}")
    result = []
    for index, param in enumerate(params):
        if not isinstance(param, dict) or not isinstance(param.get("param_name"), str):
            raise ValueError(f"{key}[{index}] needs a param_name")
        result.append(dict(param))
    return result


def _apply_param(schema: dict[str, Any], param: Mapping[str, Any]) -> dict[str, Any]:
    for schema_key, param_key in (("type", "param_type"), ("description", "param_desc"),
                                  ("minimum", "min"), ("maximum", "max")):
        if param.get(param_key) is not None:
            schema[schema_key] = param[param_key]
        else:
            schema.pop(schema_key, None)
    return schema


def _comparable(params: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in p.items() if k in ("url", "param_name", "param_type", "param_desc", "min", "max")}
            for p in params]


def _has_file(params: list[dict[str, Any]]) -> bool:
    return any(p.get("param_type") == "file" for p in params)


def _new_api(url: Any, inputs: list[dict[str, Any]], outputs: list[dict[str, Any]]) -> dict[str, Any]:
    first = (inputs or outputs or [{}])[0]
    return {
        "protocol": first.get("protocol", "http"),
        "url": url,
        "method": first.get("method", "post"),
        "request": {
            "Content-type": "multipart/form-data" if _has_file(inputs) else "application/json",
            "data": {"type": "object", "properties": {p["param_name"]: _apply_param({}, p) for p in inputs}},
        },
        "response": {
            "Content-type": "application/json",
            "data": {"type": "object", "properties": {p["param_name"]: _apply_param({}, p) for p in outputs}},
        },
    }


def _apis_with_params(apis: list[Any], inputs: list[dict[str, Any]] | None,
                      outputs: list[dict[str, Any]] | None) -> list[Any]:
    """Rewrite the request/response properties of `apis` so they describe exactly these params."""
    apis = copy.deepcopy(apis)
    leftovers: dict[Any, tuple[list[dict[str, Any]], list[dict[str, Any]]]] = {}
    for side, params in (("request", inputs), ("response", outputs)):
        if params is None:
            continue
        groups: dict[Any, list[dict[str, Any]]] = {}
        for param in params:
            groups.setdefault(param.get("url", "/"), []).append(param)
        used: set[Any] = set()
        for api in apis:
            if not isinstance(api, dict):
                continue
            url = api.get("url", "/")
            group = [] if url in used else groups.get(url, [])
            used.add(url)
            message = api.get(side) if isinstance(api.get(side), dict) else {}
            data = message.get("data") if isinstance(message.get("data"), dict) else {"type": "object"}
            old = data.get("properties") if isinstance(data.get("properties"), dict) else {}
            data["properties"] = {p["param_name"]: _apply_param(dict(old.get(p["param_name"]) or {})
                                                                if isinstance(old.get(p["param_name"]), dict) else {}, p)
                                  for p in group}
            message["data"] = data
            if side == "request" and _has_file(group):
                message["Content-type"] = "multipart/form-data"
            message.setdefault("Content-type", "application/json")
            api[side] = message
        for url, group in groups.items():
            if url not in used:
                entry = leftovers.setdefault(url, ([], []))
                entry[0 if side == "request" else 1].extend(group)
    for url, (ins, outs) in leftovers.items():
        apis.append(_new_api(url, ins, outs))
    return apis


def _config_document(fields: Mapping[str, Any]) -> dict[str, Any]:
    plain = _plain(fields)
    if not isinstance(plain, dict):
        raise TypeError(f"fields must be a mapping, not {type(fields).__name__}")
    plain = {k: v for k, v in plain.items() if v is not None}
    inputs = _param_list(plain.pop("input_params"), "input_params") if "input_params" in plain else None
    outputs = _param_list(plain.pop("output_params"), "output_params") if "output_params" in plain else None
    try:
        document = _Normaliser({}, []).build(plain, derive_params=False)
    except RecursionError as exc:
        raise ValueError("fields are nested too deeply to be written as config.json") from exc
    if inputs is not None or outputs is not None:
        apis = document.get("apis")
        if apis is None:
            urls: dict[Any, None] = dict.fromkeys(p.get("url", "/") for p in (inputs or []) + (outputs or []))
            document["apis"] = [_new_api(url, [p for p in inputs or [] if p.get("url", "/") == url],
                                         [p for p in outputs or [] if p.get("url", "/") == url]) for url in urls]
        elif isinstance(apis, list):
            derived_in, derived_out = _params_from_apis(apis)
            if ((inputs is not None and _comparable(inputs) != derived_in)
                    or (outputs is not None and _comparable(outputs) != derived_out)):
                document["apis"] = _apis_with_params(apis, inputs, outputs)
    ordered = {key: document[key] for key in _WRITE_ORDER if key in document}
    ordered.update((key, value) for key, value in document.items() if key not in ordered)
    return ordered


def dumps(fields: Mapping[str, Any]) -> str:
    """The config.json text for these fields: 4-space indent, UTF-8 characters kept, final newline."""
    document = _config_document(fields)
    text = json.dumps(document, indent=4, ensure_ascii=False, allow_nan=False)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates from \ud800-style escapes: keep them escaped
        text = json.dumps(document, indent=4, ensure_ascii=True, allow_nan=False)
    return text + "\n"


def write(path: str | os.PathLike[str], fields: Mapping[str, Any]) -> Path:
    """Write `fields` as a config.json at `path` (or `path`/config.json for a folder), atomically; returns the path.

    `protocol` and `Content-type` are spelled as ModelArts expects, typos `load` repairs are repaired, and when
    `fields` has input_params/output_params the apis are built (or updated) from them.
    """
    path = Path(path)
    if path.is_dir():
        path = path / "config.json"
    data = dumps(fields).encode("utf-8")
    try:
        mode = path.stat().st_mode & 0o7777
    except OSError:
        mode = 0o644
    return write_atomically(path, data, mode)


def write_atomically(path: Path, data: bytes, mode: int = 0o644) -> Path:
    """`data` as the file `path`, whole or not at all: a temp file beside it, fsync, then one rename."""
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise
    return path


def update(path: str | os.PathLike[str], fields: Mapping[str, Any], *, backup_dir: str | os.PathLike[str],
           overwrite: bool = False) -> tuple[Path, Path | None]:
    """Write `fields` into the config.json at `path`, keeping every key of the file that `fields` does not set.

    An existing file is replaced only with `overwrite=True` (else FileExistsError), and a copy of it is kept first in
    `backup_dir` (`<time>-<folder>.json`; never beside the file, where a package's next import would copy it). Never
    writes through a symbolic link and never opens a FIFO: a linked or special `path` is refused with ValueError.
    Returns (the path written, the backup or None).
    """
    path = Path(path)
    if path.is_symlink():
        raise ValueError(f"{path} is a symbolic link (to {os.path.realpath(path)}): config.json is never written "
                         "through a link; replace the link with the file itself")
    if path.exists() and not path.is_file():
        raise ValueError(f"{path} is not a regular file; remove it, then write config.json again")
    old = _read_no_follow(path) if path.exists() else None
    if old is not None and not overwrite:
        raise FileExistsError(f"{path} exists: overwrite=True replaces it (a copy of it is kept in {backup_dir})")
    path.parent.mkdir(parents=True, exist_ok=True)
    backup = None
    existing: dict[str, Any] = {}
    if old is not None:
        existing = loads(old, path=path).fields
        backup = _keep_backup(Path(backup_dir), path, old)
    return write(path, {**existing, **fields}), backup


def _read_no_follow(path: Path) -> bytes:
    """A config.json's bytes, never through a link or a FIFO swapped in, at most MAX_CONFIG_BYTES + 1."""
    import stat

    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    with os.fdopen(os.open(path, flags), "rb") as stream:
        if not stat.S_ISREG(os.fstat(stream.fileno()).st_mode):
            raise ValueError(f"{path} is not a regular file; remove it, then write config.json again")
        return stream.read(MAX_CONFIG_BYTES + 1)


def _keep_backup(folder: Path, path: Path, data: bytes) -> Path:
    """The old config.json as `folder`/<time>-<package folder>.json."""
    import time

    folder.mkdir(parents=True, exist_ok=True)
    stem = "".join(c if c.isalnum() or c in "-_." else "_" for c in path.parent.parent.name)[-60:] or "config"
    target = folder / f"{time.strftime('%Y%m%d-%H%M%S')}-{time.time_ns() % 10**9:09d}-{stem}.json"
    return write_atomically(target, data)
