"""THE rule table: every rule a model import must satisfy (the seed's Tables 2–5 plus the REST contract), once.

Field docstrings are the English labels and tooltips; each rule carries its message next to it, and
`ModelSpec.model_json_schema()` carries both to the browser. Pure data checks only: no network, no widgets.
"""

from __future__ import annotations

import datetime as _dt
import difflib
import enum
import json
import os
import re
import secrets
from typing import Annotated, Any, Optional, Union

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

__all__ = [
    "ModelType",
    "SourceLocationType",
    "ParamType",
    "Restraint",
    "Param",
    "Package",
    "Dependency",
    "Api",
    "ModelSpec",
    "ServiceConfig",
    "Params",
    "Packages",
    "Dependencies",
    "Report",
    "check",
    "validate",
    "generate_model_name",
    "suggest_model_name",
    "known_runtimes",
]

# --------------------------------------------------------------------------------------------------
# Closed sets
# --------------------------------------------------------------------------------------------------


class ModelType(str, enum.Enum):
    """The engines ModelArts imports models for (seed Table 2 plus the service's Caffe)."""

    TensorFlow = "TensorFlow"
    MXNet = "MXNet"
    Caffe = "Caffe"
    Spark_MLlib = "Spark_MLlib"
    Scikit_Learn = "Scikit_Learn"
    XGBoost = "XGBoost"
    MindSpore = "MindSpore"
    Image = "Image"
    PyTorch = "PyTorch"


class SourceLocationType(str, enum.Enum):
    """Where the model package is: an OBS folder (default) or a folder on this machine."""

    OBS_SOURCE = "OBS_SOURCE"
    LOCAL_SOURCE = "LOCAL_SOURCE"


class ParamType(str, enum.Enum):
    """JSON-schema basic types (seed Table 3), plus `file` for multipart inputs as real configs use."""

    string = "string"
    object = "object"
    array = "array"
    boolean = "boolean"
    number = "number"
    integer = "integer"
    file = "file"


class Restraint(str, enum.Enum):
    """How a package version is pinned (seed Table 5)."""

    EXACT = "EXACT"
    ATLEAST = "ATLEAST"
    ATMOST = "ATMOST"


UNSUPPORTED_MODEL_TYPES = ("Template", "Custom", "Customize")
_MODEL_TYPE_ALIASES = {
    "sklearn": "Scikit_Learn", "scikit-learn": "Scikit_Learn", "scikit_learn": "Scikit_Learn",
    "scikitlearn": "Scikit_Learn", "scikit": "Scikit_Learn", "torch": "PyTorch", "pytorch": "PyTorch",
    "tf": "TensorFlow", "keras": "TensorFlow", "tensorflow2": "TensorFlow", "tf2": "TensorFlow",
    "spark": "Spark_MLlib", "pyspark": "Spark_MLlib", "spark-mllib": "Spark_MLlib", "mllib": "Spark_MLlib",
    "xgb": "XGBoost", "mindspore": "MindSpore", "ms": "MindSpore", "mxnet": "MXNet", "caffe": "Caffe",
    "docker": "Image", "custom_image": "Image", "container": "Image",
}
_PARAM_TYPE_ALIASES = {"int": "integer", "float": "number", "double": "number", "list": "array",
                       "bool": "boolean", "str": "string", "dict": "object"}
_RESTRAINT_HINTS = {"==": "EXACT", "=": "EXACT", ">=": "ATLEAST", "<=": "ATMOST", "~=": "ATLEAST"}

# Runtimes the service documents per engine (spec §5.4). Unified images are matched by pattern.
_LEGACY_RUNTIMES: dict[str, tuple[str, ...]] = {
    "TensorFlow": ("python3.6", "python2.7", "tf1.13-python2.7-gpu", "tf1.13-python2.7-cpu",
                   "tf1.13-python3.6-gpu", "tf1.13-python3.6-cpu", "tf1.13-python3.7-cpu",
                   "tf1.13-python3.7-gpu", "tf1.13-python3.7-gpu-async", "tf2.1-python3.7"),
    "MXNet": ("python3.7", "python3.6"),
    "Caffe": ("python3.6", "python3.7", "python3.6-gpu", "python3.7-gpu", "python3.6-cpu", "python3.7-cpu"),
    "Spark_MLlib": ("python3.6",),
    "Scikit_Learn": ("python3.6",),
    "XGBoost": ("python3.6",),
    "PyTorch": ("python3.6", "python3.7", "pytorch1.4-python3.7"),
    "MindSpore": (),
    "Image": (),
}
_UNIFIED_ENGINE = {"TensorFlow": "tensorflow", "PyTorch": "pytorch", "MindSpore": "mindspore", "MXNet": "mxnet"}
_UNIFIED_RUNTIME = re.compile(
    r"^(?P<engine>[a-z]+)_\d+(\.\d+)*-(cpu|cuda_[\d.]+|cann_[\d.]+)-py_\d+(\.\d+)*-[a-z]+_[\d.]+-(x86_64|aarch64)(-[a-z0-9]+)?$"
)


def known_runtimes(model_type: str) -> list[str]:
    """The runtime names this tool knows for an engine (the service's region list may have more)."""
    return list(_LEGACY_RUNTIMES.get(model_type, ()))


# --------------------------------------------------------------------------------------------------
# Patterns and messages. Each rule: the pattern the browser checks and the message both sides show.
# --------------------------------------------------------------------------------------------------

NAME_PATTERN = r"^[A-Za-z][A-Za-z0-9_-]{0,63}$"
VERSION_PATTERN = r"^(0|[1-9]\d?)\.(0|[1-9]\d?)\.(0|[1-9]\d?)$"
DESCRIPTION_PATTERN = r"^[^&!'\"<>=]{0,100}$"
ALGORITHM_PATTERN = r"^[A-Za-z][^&!'\"<>=]{0,35}$"
OBS_PATTERN = r"^(obs:/)?/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/[^/]+)*/?$"
URL_PATTERN = r"^/\S*$"
# PEP 508 distribution name with optional extras, e.g. numpy, ray[rllib]
PACKAGE_NAME_PATTERN = r"^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?(\[[A-Za-z0-9._,-]+\])?$"
# PEP 440 (the public-version part), as published in the packaging docs, anchored
PACKAGE_VERSION_PATTERN = (
    r"^v?(?:(?:[0-9]+!)?[0-9]+(?:\.[0-9]+)*(?:[-_.]?(?:a|b|c|rc|alpha|beta|pre|preview)[-_.]?[0-9]*)?"
    r"(?:-[0-9]+|[-_.]?(?:post|rev|r)[-_.]?[0-9]*)?(?:[-_.]?dev[-_.]?[0-9]*)?)(?:\+[a-z0-9]+(?:[-_.][a-z0-9]+)*)?$"
)
_FORBIDDEN = "!<>=&'\""

_NAME_RE = re.compile(NAME_PATTERN)
_VERSION_RE = re.compile(VERSION_PATTERN)
_ALGORITHM_RE = re.compile(ALGORITHM_PATTERN)
_OBS_RE = re.compile(OBS_PATTERN)
_PACKAGE_NAME_RE = re.compile(PACKAGE_NAME_PATTERN)
_PACKAGE_VERSION_RE = re.compile(PACKAGE_VERSION_PATTERN, re.IGNORECASE)


def _shown(value: Any, limit: int = 40) -> str:
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _fail(error_type: str, message: str, **ctx: Any) -> PydanticCustomError:
    return PydanticCustomError(error_type, message, ctx or None)


def _rules(**messages: str) -> dict[str, Any]:
    """JSON-schema extra carrying each rule's message, keyed by the pydantic/JSON-schema keyword."""
    return {"x-messages": messages}


def _blank_to_none(value: Any) -> Any:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return value.strip() if isinstance(value, str) else value


def _warn(info: ValidationInfo | None, field: str, message: str) -> None:
    if info is not None and isinstance(info.context, dict) and isinstance(info.context.get("warnings"), list):
        info.context["warnings"].append({"field": field, "message": message})


def _forbidden_in(text: str) -> str:
    return "".join(sorted({c for c in text if c in _FORBIDDEN}))


def generate_model_name(now: _dt.datetime | None = None) -> str:
    """The name used when none is given: model-<yyyymmdd>-<hhmmss>-<4 hex>."""
    now = now or _dt.datetime.now()
    return f"model-{now:%Y%m%d-%H%M%S}-{secrets.token_hex(2)}"


def suggest_model_name(text: str) -> str:
    """A valid model name close to `text` ("digit recognition" -> "digit_recognition")."""
    cleaned = re.sub(r"[^A-Za-z0-9_-]+", "_", text.strip()).strip("_") or "model"
    if not cleaned[0].isalpha():
        cleaned = "model_" + cleaned
    return cleaned[:64]


def _merge_errors(title: str, errors: list[InitErrorDetails], exc: ValidationError | None) -> None:
    """Raise one ValidationError holding the field errors of `exc` and the cross-field `errors`."""
    details: list[InitErrorDetails] = []
    if exc is not None:
        for err in exc.errors(include_url=False):
            details.append(
                InitErrorDetails(type=PydanticCustomError(err["type"], err["msg"], err.get("ctx")),
                                 loc=err["loc"], input=err.get("input"))
            )
    details.extend(errors)
    if details:
        raise ValidationError.from_exception_data(title, details)


def _cross(loc: tuple, error_type: str, message: str, value: Any) -> InitErrorDetails:
    return InitErrorDetails(type=_fail(error_type, message), loc=loc, input=value)


def _as_float(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


_BASE_CONFIG = ConfigDict(
    use_attribute_docstrings=True,
    extra="forbid",
    str_strip_whitespace=True,
    validate_default=False,
    populate_by_name=True,
)


# --------------------------------------------------------------------------------------------------
# Params (seed Table 3)
# --------------------------------------------------------------------------------------------------


class Param(BaseModel):
    """One input or output parameter of the model's inference API."""

    model_config = _BASE_CONFIG

    url: Annotated[str, Field(json_schema_extra={"pattern": URL_PATTERN, **_rules(
        pattern="url must be a request path starting with /, like / or /predict")})] = "/"
    """Request path
    The inference API path this parameter belongs to, e.g. / (must start with /)."""

    param_name: Annotated[str, Field(min_length=1, max_length=64, json_schema_extra=_rules(
        minLength="parameter name is required (1–64 characters)",
        required="parameter name is required (1–64 characters)",
        maxLength="parameter name must be at most 64 characters"))]
    """Parameter name
    The name of the field in the request or response, at most 64 characters."""

    param_type: Annotated[ParamType, Field(json_schema_extra=_rules(
        required="parameter type is required: string, object, array, boolean, number, integer or file"))]
    """Type
    A JSON-schema type: string, object, array, boolean, number or integer (file for multipart uploads)."""

    min: Optional[float] = None
    """Minimum
    Smallest allowed value; only for number and integer parameters."""

    max: Optional[float] = None
    """Maximum
    Largest allowed value; only for number and integer parameters, and not below the minimum."""

    param_desc: Annotated[Optional[str], Field(max_length=100, json_schema_extra=_rules(
        maxLength="description must be at most 100 characters"))] = None
    """Description
    What the parameter means, at most 100 characters."""

    @field_validator("url", mode="before")
    @classmethod
    def _check_url(cls, value: Any) -> Any:
        if isinstance(value, str) and not re.match(URL_PATTERN, value.strip()):
            raise _fail("url_format", f"url must be a request path starting with /, like / or /predict — got {_shown(value)}")
        return value

    @field_validator("param_type", mode="before")
    @classmethod
    def _check_type(cls, value: Any) -> Any:
        if isinstance(value, ParamType):
            return value
        if not isinstance(value, str):
            raise _fail("param_type_invalid", f"parameter type must be a string like 'number' — got {_shown(value)}")
        text = value.strip()
        if text in ParamType.__members__:
            return text
        if text.lower() in _PARAM_TYPE_ALIASES:
            return _PARAM_TYPE_ALIASES[text.lower()]  # warned about by ModelSpec, which knows the row
        if text.lower() in ParamType.__members__:
            raise _fail("param_type_invalid", f"parameter type is lower case: did you mean {text.lower()!r}? — got {text!r}")
        allowed = ", ".join(ParamType.__members__)
        raise _fail("param_type_invalid", f"parameter type must be one of {allowed} — got {_shown(text)}")

    @field_validator("param_desc", mode="before")
    @classmethod
    def _blank_desc(cls, value: Any) -> Any:
        return _blank_to_none(value)

    @field_validator("min", "max", mode="before")
    @classmethod
    def _number(cls, value: Any, info: ValidationInfo) -> Any:
        value = _blank_to_none(value)
        if value is None:
            return None
        number = _as_float(value)
        if number is None or number != number or number in (float("inf"), float("-inf")):
            raise _fail("param_bound", f"{info.field_name} must be a number — got {_shown(value)}")
        return number

    @model_validator(mode="wrap")
    @classmethod
    def _cross_field(cls, data: Any, handler: Any) -> Any:
        exc = None
        try:
            result = handler(data)
        except ValidationError as error:
            exc, result = error, None
        errors: list[InitErrorDetails] = []
        if isinstance(data, dict):
            raw_type = data.get("param_type")
            ptype = raw_type.value if isinstance(raw_type, ParamType) else str(raw_type or "").strip().lower()
            ptype = _PARAM_TYPE_ALIASES.get(ptype, ptype)
            low, high = _as_float(_blank_to_none(data.get("min"))), _as_float(_blank_to_none(data.get("max")))
            numeric = ptype in ("number", "integer")
            if ptype and ptype in ParamType.__members__ and not numeric:
                for key, bound in (("min", low), ("max", high)):
                    if bound is not None:
                        errors.append(_cross((key,), "bound_not_numeric",
                                             f"{key} only applies to number and integer parameters; remove it or change the type (type is {ptype})",
                                             data.get(key)))
            if numeric and low is not None and high is not None and low > high:
                errors.append(_cross(("max",), "min_above_max",
                                     f"max must not be below min — got min {low:g}, max {high:g}", data.get("max")))
        _merge_errors(cls.__name__, errors, exc)
        return result


# --------------------------------------------------------------------------------------------------
# Packages and Dependencies (seed Tables 4 and 5)
# --------------------------------------------------------------------------------------------------


class Package(BaseModel):
    """One pip package the model needs at inference time."""

    model_config = _BASE_CONFIG

    package_name: Annotated[str, Field(min_length=1, json_schema_extra={"pattern": PACKAGE_NAME_PATTERN, **_rules(
        pattern="package name must be a pip distribution name like numpy or scikit-learn",
        minLength="package name is required")})]
    """Package
    The pip distribution name, e.g. numpy (no version here: use Version and Restraint)."""

    package_version: Annotated[Optional[str], Field(json_schema_extra={"pattern": PACKAGE_VERSION_PATTERN, **_rules(
        pattern="package version must be a pip version like 1.15.0")})] = None
    """Version
    The version to pin, e.g. 1.15.0; leave blank for the latest."""

    restraint: Optional[Restraint] = None
    """Restraint
    EXACT (this version), ATLEAST (this or newer) or ATMOST (this or older); needed once a version is given."""

    @field_validator("package_name", mode="before")
    @classmethod
    def _check_name(cls, value: Any) -> Any:
        if not isinstance(value, str) or not value.strip():
            raise _fail("package_name_invalid", "package name is required, e.g. numpy")
        text = value.strip()
        if _PACKAGE_NAME_RE.match(text):
            return text
        spec = re.match(r"^([A-Za-z0-9._-]+)\s*(==|>=|<=|~=|=)\s*(\S+)$", text)
        if spec:
            restraint = _RESTRAINT_HINTS[spec.group(2)]
            raise _fail("package_name_invalid", f"put only the name here: package name {spec.group(1)!r}, version "
                                        f"{spec.group(3)!r}, restraint {restraint} — got {_shown(text)}")
        bad = _forbidden_in(text)
        if bad:
            raise _fail("package_name_invalid", f"package name must not contain {bad} — got {_shown(text)}")
        raise _fail("package_name_invalid", f"package name must be a pip distribution name (letters, digits, . _ -), like numpy — got {_shown(text)}")

    @field_validator("package_version", mode="before")
    @classmethod
    def _check_version(cls, value: Any) -> Any:
        value = _blank_to_none(value)
        if value is None:
            return None
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str) or not _PACKAGE_VERSION_RE.match(value):
            raise _fail("package_version_invalid", f"package version must be a pip version like 1.15.0 or 2.0.0rc1 — got {_shown(value)}")
        return value

    @field_validator("restraint", mode="before")
    @classmethod
    def _check_restraint(cls, value: Any) -> Any:
        value = _blank_to_none(value)
        if value is None or isinstance(value, Restraint):
            return value
        text = str(value).strip()
        if text in Restraint.__members__:
            return text
        hint = _RESTRAINT_HINTS.get(text) or (text.upper() if text.upper() in Restraint.__members__ else None)
        suffix = f"; did you mean {hint}?" if hint else ""
        raise _fail("restraint_invalid", f"restraint must be EXACT, ATLEAST or ATMOST{suffix} — got {_shown(text)}")

    @model_validator(mode="wrap")
    @classmethod
    def _cross_field(cls, data: Any, handler: Any) -> Any:
        exc = None
        try:
            result = handler(data)
        except ValidationError as error:
            exc, result = error, None
        errors: list[InitErrorDetails] = []
        if isinstance(data, dict):
            has_version = _blank_to_none(data.get("package_version")) is not None
            has_restraint = _blank_to_none(data.get("restraint")) is not None
            if has_version and not has_restraint:
                errors.append(_cross(("restraint",), "restraint_required",
                                     "restraint is required once a version is given: choose EXACT, ATLEAST or ATMOST",
                                     data.get("restraint")))
            elif has_restraint and not has_version:
                errors.append(_cross(("restraint",), "restraint_without_version",
                                     "restraint applies only with a version: type a version or clear the restraint",
                                     data.get("restraint")))
        _merge_errors(cls.__name__, errors, exc)
        return result


class Dependency(BaseModel):
    """A group of packages installed by one installer."""

    model_config = _BASE_CONFIG

    installer: str = "pip"
    """Installer
    How the packages are installed; only pip is supported."""

    packages: Annotated[list[Package], Field(min_length=1, json_schema_extra=_rules(
        minItems="a dependency needs at least one package"))]
    """Packages
    The packages to install, at least one."""

    @field_validator("installer", mode="before")
    @classmethod
    def _check_installer(cls, value: Any) -> Any:
        if value != "pip":
            hint = "; write it in lower case" if isinstance(value, str) and value.strip().lower() == "pip" else ""
            raise _fail("installer_invalid", f"installer must be pip (the only one the service supports){hint} — got {_shown(value)}")
        return value

    @field_validator("packages", mode="before")
    @classmethod
    def _check_packages(cls, value: Any) -> Any:
        if value is None or (isinstance(value, (list, tuple)) and not value):
            raise _fail("packages_empty", "a dependency needs at least one package: add one or remove the dependency")
        if isinstance(value, (Package, dict)):
            return [value]
        return list(value) if isinstance(value, tuple) else value


# --------------------------------------------------------------------------------------------------
# apis (config.json shape, spec §5.2)
# --------------------------------------------------------------------------------------------------

_CONTENT_TYPES = ("application/json", "multipart/form-data", "text/plain")


class ApiBody(BaseModel):
    """The request or response of an inference API: a content type and a JSON schema."""

    model_config = ConfigDict(extra="allow", populate_by_name=True, use_attribute_docstrings=True)

    content_type: Annotated[str, Field(alias="Content-type")] = "application/json"
    """Content type
    application/json or multipart/form-data (for file inputs)."""

    data: dict[str, Any] = Field(default_factory=lambda: {"type": "object"})
    """Schema
    The JSON schema of the body, an object with properties."""

    @field_validator("content_type", mode="before")
    @classmethod
    def _check_content_type(cls, value: Any) -> Any:
        if not isinstance(value, str) or value.strip().lower() not in _CONTENT_TYPES:
            raise _fail("content_type", f"Content-type must be one of {', '.join(_CONTENT_TYPES)} — got {_shown(value)}")
        return value.strip().lower()

    @field_validator("data", mode="before")
    @classmethod
    def _check_data(cls, value: Any) -> Any:
        if not isinstance(value, dict) or value.get("type", "object") != "object":
            raise _fail("api_schema", 'data must be a JSON schema object like {"type": "object", "properties": {...}}')
        return value


class Api(BaseModel):
    """One inference API of the model, as in config.json."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, use_attribute_docstrings=True)

    protocol: str = "http"
    """Protocol
    http or https."""

    url: Annotated[str, Field(json_schema_extra={"pattern": URL_PATTERN})] = "/"
    """Path
    The inference path; / for every type except Image."""

    method: str = "post"
    """Method
    post or get."""

    request: Optional[ApiBody] = None
    """Request"""

    response: Optional[ApiBody] = None
    """Response"""

    @model_validator(mode="before")
    @classmethod
    def _fix_typo(cls, data: Any) -> Any:
        if isinstance(data, dict) and "procotol" in data:  # warned about by ModelSpec, which knows the row
            data = dict(data)
            value = data.pop("procotol")
            data.setdefault("protocol", value)
        return data

    @field_validator("protocol", mode="before")
    @classmethod
    def _check_protocol(cls, value: Any) -> Any:
        if not isinstance(value, str) or value.strip().lower() not in ("http", "https"):
            raise _fail("api_protocol", f"protocol must be http or https — got {_shown(value)}")
        return value.strip().lower()

    @field_validator("method", mode="before")
    @classmethod
    def _check_method(cls, value: Any) -> Any:
        if not isinstance(value, str) or value.strip().lower() not in ("post", "get"):
            raise _fail("api_method", f"method must be post or get — got {_shown(value)}")
        return value.strip().lower()

    @field_validator("url", mode="before")
    @classmethod
    def _check_url(cls, value: Any) -> Any:
        if not isinstance(value, str) or not re.match(URL_PATTERN, value.strip()):
            raise _fail("url_format", f"url must be a request path starting with /, like / — got {_shown(value)}")
        return value.strip()


# --------------------------------------------------------------------------------------------------
# The model (seed Table 2)
# --------------------------------------------------------------------------------------------------


def _obs_parts(location: str) -> str:
    """`obs://b/d/` and `/b/d/` -> `/b/d/` (for comparisons)."""
    text = location.strip()
    if text.startswith("obs://"):
        text = text[len("obs:/"):]
    return text if text.endswith("/") else text + "/"


class ModelSpec(BaseModel):
    """Everything Method 2 of the seed takes to create a model, checked."""

    model_config = _BASE_CONFIG

    model_name: Annotated[Optional[str], Field(json_schema_extra={"pattern": NAME_PATTERN, **_rules(
        pattern="name must be 1–64 letters, digits, _ or -, starting with a letter")})] = None
    """Model name
    1–64 letters, digits, _ or -, starting with a letter. Leave blank to have one generated."""

    model_version: Annotated[str, Field(json_schema_extra={"pattern": VERSION_PATTERN, **_rules(
        pattern="version must be three numbers 0–99 without leading zeros, like 1.0.0",
        required="version is required: three numbers 0–99 without leading zeros, like 1.0.0")})]
    """Version
    Three numbers 0–99 without leading zeros, like 1.0.0."""

    source_location_type: SourceLocationType = SourceLocationType.OBS_SOURCE
    """Source type
    OBS_SOURCE for an OBS folder, LOCAL_SOURCE for a folder on this machine."""

    source_location: Annotated[str, Field(min_length=1, json_schema_extra=_rules(
        required="source location is required: the folder that contains model/",
        minLength="source location is required: the folder that contains model/"))]
    """Source location
    The folder that contains model/: obs://bucket/dir/ or /bucket/dir/ on OBS, or a local path."""

    model_type: Annotated[ModelType, Field(json_schema_extra=_rules(
        required="model type is required: TensorFlow, MXNet, Caffe, Spark_MLlib, Scikit_Learn, XGBoost, MindSpore, Image or PyTorch"))]
    """Model type
    The engine: TensorFlow, MXNet, Caffe, Spark_MLlib, Scikit_Learn, XGBoost, MindSpore, Image or PyTorch."""

    model_algorithm: Annotated[Optional[str], Field(json_schema_extra={"pattern": ALGORITHM_PATTERN, **_rules(
        pattern="algorithm must start with a letter, be at most 36 characters and contain none of !<>=&'\"")})] = None
    """Algorithm
    What the model does, e.g. image_classification, object_detection, predict_analysis."""

    description: Annotated[Optional[str], Field(json_schema_extra={"pattern": DESCRIPTION_PATTERN, **_rules(
        pattern="description must be at most 100 characters, none of !<>=&'\"")})] = None
    """Description
    At most 100 characters, none of !<>=&'"."""

    execution_code: Optional[str] = None
    """Execution code
    Path of customize_service.py; it must sit in model/ of the source location. Usually left blank."""

    source_job_id: Annotated[Optional[str], Field(max_length=64)] = None
    """Training job ID
    The training job that produced the model, for tracing."""

    source_job_version: Annotated[Optional[str], Field(max_length=64)] = None
    """Training job version
    The version of that training job."""

    source_type: Optional[str] = None
    """Source type
    auto for an ExeML model; blank otherwise."""

    runtime: Optional[str] = None
    """Runtime
    The inference environment for the type, e.g. python3.6 or pytorch_1.8.0-cuda_10.2-py_3.7-ubuntu_18.04-x86_64."""

    input_params: list[Param] = Field(default_factory=list)
    """Input parameters
    The inference API's inputs; leave empty when config.json has apis."""

    output_params: list[Param] = Field(default_factory=list)
    """Output parameters
    The inference API's outputs; leave empty when config.json has apis."""

    dependencies: list[Dependency] = Field(default_factory=list)
    """Dependencies
    pip packages the model needs; leave empty when config.json lists them."""

    apis: list[Api] = Field(default_factory=list)
    """APIs
    The inference APIs in config.json shape, as a list or a JSON string; usually read from config.json."""

    # ---- field rules -------------------------------------------------------------------------------

    @model_validator(mode="before")
    @classmethod
    def _environment_alias(cls, data: Any) -> Any:
        if isinstance(data, dict) and "environment" in data:
            data = dict(data)
            env = data.pop("environment")
            if isinstance(env, dict):
                env = env.get("runtime")
            if _blank_to_none(env) is not None and _blank_to_none(data.get("runtime")) not in (None, env):
                raise _fail("runtime_conflict", f"environment {env!r} and runtime {data['runtime']!r} disagree; give one of them")
            if _blank_to_none(env) is not None:
                data["runtime"] = env
        return data

    @field_validator("model_name", mode="before")
    @classmethod
    def _check_name(cls, value: Any) -> Any:
        value = _blank_to_none(value)
        if value is None:
            return generate_model_name()
        if not isinstance(value, str):
            raise _fail("model_name_invalid", f"name must be text — got {_shown(value)}")
        if not _NAME_RE.match(value):
            if len(value) > 64:
                problem = f"is {len(value)} characters long"
            elif not value[0].isalpha() or not value[0].isascii():
                problem = "must start with a letter"
            else:
                bad = "".join(dict.fromkeys(c for c in value if not (c.isascii() and (c.isalnum() or c in "_-"))))
                problem = "contains " + ", ".join("a space" if c == " " else repr(c) for c in bad)
            raise _fail("model_name_invalid", f"name must be 1–64 letters, digits, _ or -, starting with a letter; it {problem} — "
                                      f"got {_shown(value)}; try {suggest_model_name(value)!r}",
                        suggestion=suggest_model_name(value))
        return value

    @field_validator("model_version", mode="before")
    @classmethod
    def _check_version(cls, value: Any) -> Any:
        if _blank_to_none(value) is None:
            raise _fail("model_version_invalid", "version is required: three numbers 0–99 without leading zeros, like 1.0.0")
        text = value.strip() if isinstance(value, str) else value
        if not isinstance(text, str) or not _VERSION_RE.match(text):
            raise _fail("model_version_invalid", f"version must be three numbers 0–99 without leading zeros, like 1.0.0 — got {_shown(value)}")
        return text

    @field_validator("source_location", mode="before")
    @classmethod
    def _check_location_text(cls, value: Any) -> Any:
        if _blank_to_none(value) is None:
            raise _fail("source_location_invalid", "source location is required: the folder that contains model/")
        if isinstance(value, os.PathLike):
            value = os.fspath(value)
        if not isinstance(value, str):
            raise _fail("source_location_invalid", f"source location must be a path — got {_shown(value)}")
        return value.strip()

    @field_validator("source_location_type", mode="before")
    @classmethod
    def _check_location_type(cls, value: Any) -> Any:
        value = _blank_to_none(value)
        if value is None:
            return SourceLocationType.OBS_SOURCE
        if isinstance(value, SourceLocationType) or (isinstance(value, str) and value in SourceLocationType.__members__):
            return value
        hint = str(value).strip().upper()
        suffix = f"; did you mean {hint}?" if hint in SourceLocationType.__members__ else ""
        raise _fail("source_location_type_invalid", f"source location type must be OBS_SOURCE or LOCAL_SOURCE{suffix} — got {_shown(value)}")

    @field_validator("model_type", mode="before")
    @classmethod
    def _check_type(cls, value: Any) -> Any:
        if isinstance(value, ModelType):
            return value
        if not isinstance(value, str) or not value.strip():
            raise _fail("model_type_invalid", "model type is required: one of " + ", ".join(ModelType.__members__))
        text = value.strip()
        if text in ModelType.__members__:
            return text
        if text in UNSUPPORTED_MODEL_TYPES or text.lower() in {t.lower() for t in UNSUPPORTED_MODEL_TYPES}:
            raise _fail("model_type_unsupported", f"model type {text!r} is not supported by this import path (it imports a "
                                                  f"model package from a folder); use one of {', '.join(ModelType.__members__)}, "
                                                  "or Image for a custom container")
        lower = {t.lower(): t for t in ModelType.__members__}
        guess = lower.get(text.lower()) or _MODEL_TYPE_ALIASES.get(text.lower().replace(" ", ""))
        if guess is None:
            close = difflib.get_close_matches(text.lower(), list(lower), n=1, cutoff=0.6)
            guess = lower[close[0]] if close else None
        if guess:
            raise _fail("model_type_invalid", f"model type must be spelled exactly as the service does: did you mean {guess!r}? — got {_shown(text)}",
                        suggestion=guess)
        raise _fail("model_type_invalid", f"model type must be one of {', '.join(ModelType.__members__)} — got {_shown(text)}")

    @field_validator("model_algorithm", mode="before")
    @classmethod
    def _check_algorithm(cls, value: Any) -> Any:
        value = _blank_to_none(value)
        if value is None:
            return None
        if not isinstance(value, str) or not _ALGORITHM_RE.match(value):
            text = str(value)
            if len(text) > 36:
                problem = f"is {len(text)} characters long (at most 36)"
            elif _forbidden_in(text):
                problem = f"contains {_forbidden_in(text)}"
            else:
                problem = "must start with a letter"
            raise _fail("model_algorithm_invalid", f"algorithm must start with a letter, be at most 36 characters and contain none of "
                                           f"!<>=&'\"; it {problem} — got {_shown(value)}")
        return value

    @field_validator("description", mode="before")
    @classmethod
    def _check_description(cls, value: Any) -> Any:
        value = _blank_to_none(value)
        if value is None:
            return None
        if not isinstance(value, str):
            raise _fail("description_invalid", f"description must be text — got {_shown(value)}")
        bad = _forbidden_in(value)
        if len(value) > 100 or bad:
            problem = f"it is {len(value)} characters long" if len(value) > 100 else f"it contains {bad}"
            raise _fail("description_invalid", f"description must be at most 100 characters, none of !<>=&'\"; {problem}")
        return value

    @field_validator("source_type", mode="before")
    @classmethod
    def _check_source_type(cls, value: Any) -> Any:
        value = _blank_to_none(value)
        if value is None:
            return None
        if value != "auto":
            raise _fail("source_type_invalid", f"source type can only be auto (an ExeML model) or blank — got {_shown(value)}")
        return value

    @field_validator("execution_code", "source_job_id", "source_job_version", "runtime", mode="before")
    @classmethod
    def _blank(cls, value: Any) -> Any:
        return _blank_to_none(value)

    @field_validator("input_params", "output_params", "dependencies", mode="before")
    @classmethod
    def _list_of_objects(cls, value: Any, info: ValidationInfo) -> Any:
        if value is None:
            return []
        if isinstance(value, (BaseModel, dict)):
            return [value]
        if isinstance(value, tuple):
            return list(value)
        if not isinstance(value, list):
            raise _fail("list_type", f"{info.field_name} must be a list — got {_shown(value)}")
        return value

    @field_validator("apis", mode="before")
    @classmethod
    def _parse_apis(cls, value: Any) -> Any:
        value = _blank_to_none(value)
        if value is None:
            return []
        if isinstance(value, (bytes, bytearray)):
            value = value.decode("utf-8", "replace")
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except json.JSONDecodeError as exc:
                raise _fail("apis_json", f"apis is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}") from None
        if isinstance(value, dict):
            value = [value]
        if not isinstance(value, list):
            raise _fail("apis_json", 'apis must be a list of APIs like [{"url": "/", "method": "post", ...}]')
        return value

    # ---- cross-field rules, reported in the same pass as the field rules ----------------------------

    @model_validator(mode="wrap")
    @classmethod
    def _cross_field(cls, data: Any, handler: Any, info: ValidationInfo) -> Any:
        exc = None
        try:
            result = handler(data)
        except ValidationError as error:
            exc, result = error, None
        errors: list[InitErrorDetails] = []
        if isinstance(data, dict):
            errors = _model_cross_checks(data, info)
        _merge_errors(cls.__name__, errors, exc)
        return result

    # ---- conversions -------------------------------------------------------------------------------

    def to_fields(self) -> dict[str, Any]:
        """Plain data for a backend: enums as strings, absent fields left out, apis as a list."""
        data = self.model_dump(mode="json", exclude_none=True, by_alias=True)
        for key in ("input_params", "output_params", "dependencies", "apis"):
            if not data.get(key):
                data.pop(key, None)
        return data


def _model_cross_checks(data: dict[str, Any], info: ValidationInfo) -> list[InitErrorDetails]:
    """Rules between fields, checked on the raw input so they show even while other fields are wrong."""
    errors: list[InitErrorDetails] = []
    raw_type = data.get("source_location_type")
    location_type = str(getattr(raw_type, "value", raw_type)) if isinstance(raw_type, (str, SourceLocationType)) and raw_type else "OBS_SOURCE"
    location = data.get("source_location")
    location = os.fspath(location) if isinstance(location, os.PathLike) else location
    location = location.strip() if isinstance(location, str) else None
    model_type = _canonical_type(data.get("model_type"))

    if location and location_type == "OBS_SOURCE" and not _OBS_RE.match(location):
        hint = ""
        if os.path.isdir(os.path.expanduser(location)) or not location.startswith(("/", "obs:")):
            hint = "; for a folder on this machine set source_location_type to LOCAL_SOURCE"
        errors.append(_cross(("source_location",), "obs_path",
                             f"OBS path must look like obs://bucket/dir/ or /bucket/dir/ (bucket: 3–63 lower-case letters, "
                             f"digits, . or -){hint} — got {_shown(location)}", location))
    elif location and location_type == "LOCAL_SOURCE" and not os.path.isdir(os.path.expanduser(location)):
        problem = "is a file, not a folder" if os.path.exists(os.path.expanduser(location)) else "does not exist"
        errors.append(_cross(("source_location",), "local_path",
                             f"local folder {_shown(location, 80)} {problem}: give the folder that contains model/", location))

    code = _blank_to_none(data.get("execution_code"))
    if isinstance(code, str) and location:
        if os.path.basename(code.rstrip("/")) != "customize_service.py":
            errors.append(_cross(("execution_code",), "execution_code_name",
                                 f"execution code must be a file named customize_service.py — got {_shown(code)}", code))
        else:
            if location_type == "OBS_SOURCE":
                expected = _obs_parts(location) + "model/customize_service.py"
                inside = _obs_parts(code).rstrip("/") == expected
                shown = (location.rstrip("/") + "/model/customize_service.py")
            else:
                expected = os.path.join(os.path.abspath(os.path.expanduser(location)), "model", "customize_service.py")
                inside = os.path.abspath(os.path.expanduser(code)) == expected
                shown = expected
            if not inside:
                errors.append(_cross(("execution_code",), "execution_code_location",
                                     f"execution code must sit in model/ of the source location: {shown} — got {_shown(code, 80)}",
                                     code))

    apis = data.get("apis")
    if isinstance(apis, str):
        try:
            apis = json.loads(apis)
        except ValueError:
            apis = None
    if isinstance(apis, list) and len(apis) > 1 and model_type in ModelType.__members__ and model_type != "Image":
        errors.append(_cross(("apis",), "apis_count",
                             f"a {model_type} model can have only one API (only Image models may have more) — got {len(apis)}",
                             len(apis)))
    if isinstance(apis, list) and model_type and model_type != "Image":
        for index, api in enumerate(apis):
            if isinstance(api, dict) and isinstance(api.get("url"), str) and api["url"].strip() not in ("/", ""):
                errors.append(_cross(("apis", index, "url"), "api_url_root",
                                     f"the API url must be / for {model_type} models (only Image models serve other paths) — got {_shown(api['url'])}",
                                     api["url"]))

    for group in ("input_params", "output_params"):
        rows = data.get(group)
        for index, row in enumerate(rows if isinstance(rows, list) else ()):
            raw = row.get("param_type") if isinstance(row, dict) else None
            if isinstance(raw, str) and raw.strip().lower() in _PARAM_TYPE_ALIASES:
                _warn(info, f"{group}[{index}].param_type",
                      f"parameter type {raw.strip()!r} was read as {_PARAM_TYPE_ALIASES[raw.strip().lower()]!r} (the JSON-schema name)")
    for index, api in enumerate(apis if isinstance(apis, list) else ()):
        if isinstance(api, dict) and "procotol" in api:
            _warn(info, f"apis[{index}].protocol", "'procotol' was read as 'protocol'")

    runtime = _blank_to_none(data.get("runtime"))
    if runtime is None and isinstance(data.get("environment"), str):
        runtime = _blank_to_none(data["environment"])
    if isinstance(runtime, str) and model_type in ModelType.__members__:
        if model_type == "Image":
            _warn(info, "runtime", "Image models bring their own environment; the runtime is ignored")
        elif not _runtime_known(model_type, runtime):
            known = ", ".join(known_runtimes(model_type)) or "unified images such as mindspore_2.0.0-cann_6.3.0-py_3.7-euler_2.8.3-aarch64"
            _warn(info, "runtime", f"runtime {runtime!r} is not one this tool knows for {model_type} (known: {known}); "
                                   "the service checks it against the runtimes of your region")
    return errors


def _canonical_type(value: Any) -> str:
    """The service's spelling of a model type, also for near misses, so cross rules apply while it is fixed."""
    text = str(getattr(value, "value", value) or "").strip() if isinstance(value, (str, ModelType)) else ""
    lower = {t.lower(): t for t in ModelType.__members__}
    return lower.get(text.lower()) or _MODEL_TYPE_ALIASES.get(text.lower(), "")


def _runtime_known(model_type: str, runtime: str) -> bool:
    if runtime in _LEGACY_RUNTIMES.get(model_type, ()):
        return True
    unified = _UNIFIED_RUNTIME.match(runtime)
    return bool(unified and unified.group("engine") == _UNIFIED_ENGINE.get(model_type))


# --------------------------------------------------------------------------------------------------
# ServiceConfig (seed import line; deployment itself is out of scope)
# --------------------------------------------------------------------------------------------------


class ServiceConfig(BaseModel):
    """One model's share of a real-time service (the seed's deployment config); no deployment happens here."""

    model_config = _BASE_CONFIG

    model_id: Annotated[str, Field(min_length=1)]
    """Model ID
    The model to deploy."""

    weight: Annotated[int, Field(ge=0, le=100)] = 100
    """Traffic weight
    Percentage of traffic for this model, 0–100; the weights of a service add up to 100."""

    specification: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9._-]*$")] = "modelarts.vm.cpu.2u"
    """Specification
    The flavor, e.g. modelarts.vm.cpu.2u."""

    instance_count: Annotated[int, Field(ge=1, le=5)] = 1
    """Instances
    1 to 5 instances."""

    envs: dict[str, str] = Field(default_factory=dict)
    """Environment variables
    Passed to the inference code."""


# The seed's names for the same models (`from modelarts.config.model_config import Params, ...`).
Params = Param
Packages = Package
Dependencies = Dependency


# --------------------------------------------------------------------------------------------------
# Reports for the SDK and the form
# --------------------------------------------------------------------------------------------------


def _field_path(loc: tuple) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif part in ("function-wrap[_cross_field()]", "function-after", "function-before"):
            continue
        else:
            path += ("." if path else "") + str(part)
    return path


def _collect_messages(model: type[BaseModel], prefix: tuple = (), out: dict | None = None) -> dict[tuple, dict]:
    """Map a field path without indexes, e.g. ("input_params", "param_desc"), to that field's rule messages."""
    out = {} if out is None else out
    for name, info in model.model_fields.items():
        extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
        for key in (name, info.alias):
            if key:
                out[prefix + (key,)] = extra.get("x-messages", {})
        for inner in _inner_models(info.annotation):
            if inner is not model:
                _collect_messages(inner, prefix + (name,), out)
    return out


def _inner_models(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in getattr(annotation, "__args__", ()) for m in _inner_models(arg)]


# pydantic error type -> the JSON-schema keyword whose message applies
_KEYWORD_OF = {"missing": "required", "string_too_long": "maxLength", "string_too_short": "minLength",
               "too_short": "minItems", "too_long": "maxItems", "string_pattern_mismatch": "pattern"}
_RULE_MESSAGES = _collect_messages(ModelSpec)


def _message(err: dict[str, Any], field: str) -> str:
    """Our own rules already carry their message; pydantic's generic ones take the field's rule message."""
    kind = err["type"]
    path = tuple(part for part in err["loc"] if isinstance(part, str) and not part.startswith("function-"))
    rule = _RULE_MESSAGES.get(path, {}).get(_KEYWORD_OF.get(kind, ""))
    label = path[-1].replace("_", " ") if path else "model"
    if rule:
        shown = err.get("input")
        return rule if kind == "missing" or shown in (None, "") else f"{rule} — got {_shown(shown)}"
    if kind == "missing":
        return f"{label} is required"
    if kind == "extra_forbidden":
        return f"{path[-1] if path else 'this'!r} is not a field here; check the spelling"
    if kind == "enum":
        return f"{label}: {err['msg'][0].lower()}{err['msg'][1:]}"
    if kind.endswith(("_type", "_parsing")) or kind in ("string_too_long", "too_short", "greater_than_equal", "less_than_equal"):
        return f"{label}: {err['msg'][0].lower()}{err['msg'][1:]}"
    return err["msg"]


class Report(BaseModel):
    """The outcome of checking a model's fields: the spec when valid, else every error; warnings either way."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    spec: Optional[ModelSpec] = None
    errors: list[dict[str, Any]] = Field(default_factory=list)
    warnings: list[dict[str, Any]] = Field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def check(data: Union[dict[str, Any], ModelSpec]) -> Report:
    """Check fields against the rule table: all errors at once, plus warnings (normalised values, runtimes)."""
    if isinstance(data, ModelSpec):
        data = data.model_dump(exclude_none=True)
    warnings: list[dict[str, Any]] = []
    try:
        spec = ModelSpec.model_validate(data, context={"warnings": warnings})
    except ValidationError as exc:
        errors = []
        seen = set()
        for err in exc.errors(include_url=False):
            field = _field_path(err["loc"])
            key = (field, err["type"])
            if key in seen:
                continue
            seen.add(key)
            errors.append({"field": field, "type": err["type"], "message": _message(err, field)})
        return Report(errors=errors, warnings=_dedupe(warnings))
    return Report(spec=spec, warnings=_dedupe(warnings))


def _dedupe(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    seen, out = set(), []
    for item in items:
        key = (item["field"], item["message"])
        if key not in seen:
            seen.add(key)
            out.append(item)
    return out


def validate(data: Union[dict[str, Any], ModelSpec]) -> list[dict[str, Any]]:
    """Every rule violation as `{"field": "input_params[2].max", "type": …, "message": …}`; [] when valid."""
    return check(data).errors
