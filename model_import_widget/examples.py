"""config.json's `apis` from an example: JSON-Schema types read off a sample request and response.

`apis_from_example({"images": open("cat.jpg", "rb")}, {"label": "cat", "scores": [0.9, 0.1]})` gives the `apis` block
ModelArts reads (a file input makes the request multipart/form-data with `{"type": "file"}`); `params_from_example`
gives the same as the form's input and output parameter rows. Pure data: nothing is sent, opened or read.
"""

from __future__ import annotations

import io
import os
from collections.abc import Mapping
from typing import Any

from . import spec

__all__ = ["apis_from_example", "params_from_example", "schema_of", "example_of"]

MULTIPART = "multipart/form-data"
JSON = "application/json"


def apis_from_example(request: Mapping[str, Any], response: Any = None, *, url: str = "/",
                      method: str = "post") -> list[dict[str, Any]]:
    """The `apis` of config.json for a model answering `request` with `response` (both Python values as the
    inference endpoint sees them: dicts, lists, text, numbers, booleans; a file input as bytes, an open binary file
    or a path). Raises ValueError naming the value that JSON cannot carry, and how to send it instead."""
    if not isinstance(request, Mapping):
        raise ValueError(f"the example request must be a dict of the inputs by name (ModelArts sends a JSON object or "
                         f"form fields), not {type(request).__name__}: e.g. {{\"images\": <file>}} or {{\"x\": [1, 2]}}")
    files = [str(key) for key, value in request.items() if _is_file(value)]
    data = schema_of(request, "request", files_allowed=True)
    api: dict[str, Any] = {"protocol": "http", "url": url, "method": method,
                           "request": {"Content-type": MULTIPART if files else JSON, "data": data}}
    api["response"] = {"Content-type": JSON,
                       "data": schema_of(response, "response") if response is not None else {"type": "object"}}
    return [api]


def params_from_example(request: Mapping[str, Any], response: Any = None, *, url: str = "/"
                        ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(input params, output params) as the form's tables and `Params(...)` take them, from the same example."""
    api = apis_from_example(request, response, url=url)[0]
    made = []
    for side in ("request", "response"):
        properties = api[side]["data"].get("properties", {})
        made.append([{"url": url, "param_name": name, "param_type": _param_type(schema, f"{side}.{name}")}
                     for name, schema in properties.items()])
    return made[0], made[1]


def schema_of(value: Any, where: str = "value", *, files_allowed: bool = False, depth: int = 0) -> dict[str, Any]:
    """The JSON-Schema of one example value: type, an object's properties, an array's items (when its items agree)."""
    if depth > spec.MAX_JSON_DEPTH:
        raise ValueError(f"{where}: nested more than {spec.MAX_JSON_DEPTH} levels deep; a real request is a few")
    if hasattr(value, "tolist") and callable(value.tolist) and not isinstance(value, (str, bytes)):
        value = value.tolist()  # a numpy array or scalar, as json.dumps of .tolist() sends it
    if _is_file(value):
        if not files_allowed:
            raise ValueError(f"{where}: a file can only be an input of the request (a form field); an answer is JSON "
                             "— send the file's content as text (e.g. base64) or a link")
        return {"type": "file"}
    if value is None:
        return {"type": "null"}
    if isinstance(value, bool):
        return {"type": "boolean"}
    if isinstance(value, int):
        return {"type": "integer"}
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError(f"{where}: {value} is not a JSON number; send null or a finite number")
        return {"type": "number"}
    if isinstance(value, str):
        return {"type": "string"}
    if isinstance(value, Mapping):
        properties = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise ValueError(f"{where}: the key {key!r} is not text; JSON objects have text keys")
            properties[key] = schema_of(item, f"{where}.{key}", files_allowed=files_allowed and depth == 0,
                                        depth=depth + 1)
        return {"type": "object", "properties": properties}
    if isinstance(value, (list, tuple)):
        items = [schema_of(item, f"{where}[{index}]", depth=depth + 1) for index, item in enumerate(value)]
        schema: dict[str, Any] = {"type": "array"}
        if items and all(item == items[0] for item in items):
            schema["items"] = items[0]
        elif items and {item.get("type") for item in items} <= {"integer", "number"}:
            schema["items"] = {"type": "number"}  # 1 and 0.5 in one list: numbers
        return schema
    raise ValueError(f"{where}: a {type(value).__name__} is not JSON; send a list, a dict, text or a number instead")


def _is_file(value: Any) -> bool:
    """bytes, an open binary file or a path to a file: what a multipart request carries as a file field."""
    if isinstance(value, (bytes, bytearray, memoryview, io.IOBase)):
        return True
    if isinstance(value, os.PathLike):
        if not os.path.isfile(value):
            raise ValueError(f"{os.fspath(value)} is not a file: a path in the example stands for a file input, so "
                             "give one that exists")
        return True
    return False


def _param_type(schema: dict[str, Any], where: str) -> str:
    """A schema's type as a parameter row takes it: the service's parameter types have no boolean and no null."""
    kind = schema.get("type")
    if kind not in spec.ParamType.__members__:
        raise ValueError(f"{where}: a parameter cannot be {kind} (ModelArts' parameter types: "
                         f"{', '.join(spec.ParamType.__members__)}); send 0/1 or text for a yes/no, and give an "
                         "example value for a null (apis_from_example keeps these types in the apis)")
    return kind


_PLACEHOLDERS = {"string": "", "number": 0, "integer": 0, "boolean": False, "null": None, "file": "path/to/a/file"}


def example_of(schema: Any, depth: int = 0) -> Any:
    """A value of the shape `schema` describes, to start a sample request from: an object's properties, one item of
    an array, 0 for numbers, "" for text, and "path/to/a/file" for a file (a form field sent from that path)."""
    if not isinstance(schema, Mapping) or depth > spec.MAX_JSON_DEPTH:
        return None
    kind = schema.get("type")
    kind = next((k for k in kind if k != "null"), None) if isinstance(kind, list) else kind
    if kind == "object" or (kind is None and isinstance(schema.get("properties"), Mapping)):
        properties = schema.get("properties") if isinstance(schema.get("properties"), Mapping) else {}
        return {str(name): example_of(sub, depth + 1) for name, sub in properties.items()}
    if kind == "array":
        item = example_of(schema.get("items"), depth + 1)
        return [] if item is None else [item]
    return _PLACEHOLDERS.get(kind) if isinstance(kind, str) else None
