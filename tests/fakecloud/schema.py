"""The create-model body rules of spec §1.1/§1.2 (the APIX CreateModelRequest schema), applied the way a strict
Java/Jackson service would: unknown fields, nulls, wrong JSON types, broken patterns and enums are refused.

`validate_create(body)` raises `Invalid(code, message)`; codes are ModelArts.0101 (unknown field / not a JSON
object), .3036 (required field missing) and .3037 (value invalid), each message naming the field path.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Optional


class Invalid(Exception):
    def __init__(self, code: str, message: str, field_path: str):
        super().__init__(message)
        self.code, self.message, self.field = code, message, field_path


def _shown(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def invalid(path: str, value: Any) -> Invalid:
    return Invalid("ModelArts.3037", f"Parameter ({path}:{_shown(value)}) is invalid.", path)


def required(path: str) -> Invalid:
    return Invalid("ModelArts.3036", f"Parameter verification failed, parameter ({path}) is required.", path)


def unknown(path: str) -> Invalid:
    return Invalid("ModelArts.0101", f"Invalid Argument. Unrecognized field ({path}).", path)


@dataclass
class Str:
    pattern: Optional[str] = None
    min_length: int = 0
    max_length: Optional[int] = None
    enum: Optional[tuple[str, ...]] = None
    json_object: bool = False          # the string must hold a JSON object (model_metrics, initial_config)

    def check(self, value: Any, path: str) -> None:
        if not isinstance(value, str):
            raise invalid(path, value)
        if len(value) < self.min_length or (self.max_length is not None and len(value) > self.max_length):
            raise invalid(path, value)
        if self.pattern is not None and not re.fullmatch(self.pattern, value):
            raise invalid(path, value)
        if self.enum is not None and value not in self.enum:
            raise invalid(path, value)
        if self.json_object:
            try:
                parsed = json.loads(value)
            except ValueError:
                raise invalid(path, value) from None
            if not isinstance(parsed, dict):
                raise invalid(path, value)
            _no_nulls(parsed, path)


@dataclass
class Num:
    def check(self, value: Any, path: str) -> None:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise invalid(path, value)


@dataclass
class Arr:
    items: Any
    max_items: Optional[int] = None
    min_items: int = 0

    def check(self, value: Any, path: str) -> None:
        if not isinstance(value, list) or len(value) < self.min_items:
            raise invalid(path, value)
        if self.max_items is not None and len(value) > self.max_items:
            raise invalid(path, value)
        for index, item in enumerate(value):
            check(item, self.items, f"{path}[{index}]")


@dataclass
class Obj:
    fields: dict[str, Any] = field(default_factory=dict)
    required: tuple[str, ...] = ()
    free: bool = False                 # any content (JSON Schema `properties`, deployment_constraints)

    def check(self, value: Any, path: str) -> None:
        if not isinstance(value, dict):
            raise invalid(path, value)
        if self.free:
            _no_nulls(value, path)
            return
        prefix = f"{path}." if path else ""
        for name in value:
            if name not in self.fields:
                raise unknown(prefix + name)
        for name in self.required:
            if name not in value:
                raise required(prefix + name)
        for name, item in value.items():
            check(item, self.fields[name], prefix + name)


def check(value: Any, rule: Any, path: str) -> None:
    if value is None:
        raise invalid(path, None)
    rule.check(value, path)


def _no_nulls(value: Any, path: str) -> None:
    if value is None:
        raise invalid(path, None)
    if isinstance(value, dict):
        for name, item in value.items():
            _no_nulls(item, f"{path}.{name}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _no_nulls(item, f"{path}[{index}]")


MODEL_TYPES = ("TensorFlow", "MXNet", "Caffe", "Spark_MLlib", "Scikit_Learn", "XGBoost", "Image", "PyTorch",
               "Template", "MindSpore", "Custom")
# Custom: the service's list filter names it and production code creates custom-image models with it (spec §1.1, §6)
VERSION_PATTERN = r"^(\d\.|[1-9]\d\.){2}(\d|([1-9]\d))$"
SOURCE_LOCATION_PATTERN = (r"http[s]?://[^/]+/.+|^[a-zA-Z0-9.:_-]+/[a-z0-9._-]+/[a-zA-Z0-9._-]+:"
                           r"[a-zA-Z0-9._-]+")
DESCRIPTION_PATTERN = r"^[^&!'\"<>=]{1,100}$"
PACKAGE_TEXT_PATTERN = r"^[^\u4e00-\u9fff&!'\"<>=]+$"

_IN_OUT_PARAMS = Obj({"type": Str(enum=("object",)), "properties": Obj(free=True)}, required=("type", "properties"))
_API = Obj({"protocol": Str(), "method": Str(enum=("post", "get")), "url": Str(),
            "input_params": _IN_OUT_PARAMS, "output_params": _IN_OUT_PARAMS})
_INFER_PARAM = Obj({"protocol": Str(), "method": Str(enum=("post", "get")), "param_name": Str(min_length=1),
                    "url": Str(min_length=1),
                    "param_type": Str(enum=("int", "string", "number", "array", "object", "file")),
                    "min": Num(), "max": Num(), "param_desc": Str()},
                   required=("protocol", "method", "param_name", "url", "param_type"))
_PACKAGE = Obj({"package_name": Str(pattern=PACKAGE_TEXT_PATTERN), "package_version": Str(pattern=PACKAGE_TEXT_PATTERN),
                "restraint": Str(enum=("EXACT", "ATLEAST", "ATMOST"))}, required=("package_name",))
_DEPENDENCY = Obj({"installer": Str(enum=("pip",)), "packages": Arr(_PACKAGE)}, required=("installer", "packages"))
_GUIDE_DOC = Obj({"doc_name": Str(pattern=r"^[A-Za-z\u4e00-\u9fff][A-Za-z0-9\u4e00-\u9fff_-]{0,47}$"),
                  "doc_url": Str(pattern=r"https?://.+")}, required=("doc_name", "doc_url"))
_TEMPLATE = Obj({"template_id": Str(min_length=1),
                 "template_inputs": Arr(Obj({"input": Str(min_length=1), "input_id": Str(min_length=1)},
                                            required=("input", "input_id"))),
                 "infer_format": Str()}, required=("template_id", "template_inputs"))

CREATE_MODEL = Obj({
    "model_name": Str(min_length=1, max_length=64),
    "model_version": Str(pattern=VERSION_PATTERN),
    "source_location": Str(pattern=SOURCE_LOCATION_PATTERN),
    "model_type": Str(enum=MODEL_TYPES),
    "runtime": Str(min_length=1),
    "description": Str(pattern=DESCRIPTION_PATTERN),
    "execution_code": Str(min_length=1),
    "source_job_id": Str(),
    "source_job_version": Str(),
    "source_type": Str(enum=("auto",)),
    "source_copy": Str(enum=("true", "false")),
    "model_algorithm": Str(),
    "model_metrics": Str(json_object=True),
    "initial_config": Str(json_object=True),
    "apis": Arr(_API),
    "input_params": Arr(_INFER_PARAM),
    "output_params": Arr(_INFER_PARAM),
    "dependencies": Arr(_DEPENDENCY),
    "install_type": Arr(Str(enum=("real-time", "batch", "edge"))),
    "workspace_id": Str(min_length=1),
    "model_docs": Arr(_GUIDE_DOC, max_items=3),
    "template": _TEMPLATE,
    "cmd": Str(),
    "deployment_constraints": Obj(free=True),
}, required=("model_name", "model_version", "model_type"))


def validate_create(body: Any) -> None:
    """Raise Invalid for the first rule `body` breaks (fields in body order, then cross-field rules)."""
    if not isinstance(body, dict):
        raise Invalid("ModelArts.0101", "Invalid Argument. The request body must be a JSON object.", "")
    CREATE_MODEL.check(body, "")
    if body["model_type"] == "Template":
        if "template" not in body:
            raise required("template")
    else:
        if "source_location" not in body:
            raise required("source_location")
        if "template" in body:
            raise invalid("template", body["template"])
    for d_index, dependency in enumerate(body.get("dependencies", [])):
        for p_index, package in enumerate(dependency["packages"]):
            path = f"dependencies[{d_index}].packages[{p_index}]"
            if "package_version" in package and "restraint" not in package:
                raise required(f"{path}.restraint")
            if "restraint" in package and "package_version" not in package:
                raise invalid(f"{path}.restraint", package["restraint"])
