"""THE rule table: every rule a model import must satisfy (the seed's Tables 2–5 plus the REST contract), once.

Field rules are native pydantic constraints, each with its message beside it (`x-messages`), so
`ModelSpec.model_json_schema()` carries rules and messages to the browser; rules between fields are the
functions under "Cross-field rules". Pure data checks: no network, no widgets.
"""

from __future__ import annotations

import datetime as _dt
import difflib
import functools
import enum
import json
import os
import re
import secrets
import types
import warnings as _warnings
from typing import Annotated, Any, Callable, Literal, Optional, Union, get_args, get_origin

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, ValidationInfo, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from .errors import SpecValidationError

__all__ = [
    "ModelType", "SourceLocationType", "ParamType", "Restraint",
    "Param", "Package", "Dependency", "Api", "ApiBody", "ModelSpec", "ServiceConfig", "TransformerConfig", "Schedule",
    "Params", "Packages", "Dependencies",
    "Report", "check", "validate", "generate_model_name", "next_free_version", "first_free_version",
    "CONFIG_OVERRIDES", "effective_config", "suggest_model_name", "known_runtimes",
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
    Custom = "Custom"
    """A model served by its own container image (`runtime=<SWR image address>`); ModelArts only."""


class SourceLocationType(str, enum.Enum):
    """Where the model package is: an OBS folder (default) or a folder on this machine."""

    OBS_SOURCE = "OBS_SOURCE"
    LOCAL_SOURCE = "LOCAL_SOURCE"


class ParamType(str, enum.Enum):
    """JSON-schema basic types (seed Table 3) that the service's parameter enum also has, plus `file` for multipart
    inputs. `boolean` is a JSON-schema type the service refuses (its enum: int, string, number, array, object, file)."""

    string = "string"
    object = "object"
    array = "array"
    number = "number"
    integer = "integer"
    file = "file"


WIRE_PARAM_TYPES = {"string": "string", "object": "object", "array": "array", "number": "number", "integer": "int",
                    "file": "file"}
"""ParamType -> the `param_type` the REST body carries (spec §1.2: int, string, number, array, object, file)."""


class Restraint(str, enum.Enum):
    """How a package version is pinned (seed Table 5)."""

    EXACT = "EXACT"
    ATLEAST = "ATLEAST"
    ATMOST = "ATMOST"


class MappingType(str, enum.Enum):
    """How a batch service turns its input files into requests."""

    file = "file"
    csv = "csv"


class TimeUnit(str, enum.Enum):
    """Units of a service's schedule."""

    DAYS = "DAYS"
    HOURS = "HOURS"
    MINUTES = "MINUTES"


UNSUPPORTED_MODEL_TYPES = ("Template", "Customize")
MODEL_TYPE_ALIASES = {
    "sklearn": "Scikit_Learn", "scikit-learn": "Scikit_Learn", "scikitlearn": "Scikit_Learn", "scikit": "Scikit_Learn",
    "torch": "PyTorch", "tf": "TensorFlow", "keras": "TensorFlow", "tensorflow2": "TensorFlow", "tf2": "TensorFlow",
    "spark": "Spark_MLlib", "pyspark": "Spark_MLlib", "spark-mllib": "Spark_MLlib", "mllib": "Spark_MLlib",
    "xgb": "XGBoost", "ms": "MindSpore", "docker": "Image", "custom_image": "Image", "container": "Image",
}
# Accepted and normalised, with a warning (the names real config files and the seed's min/max note use)
PARAM_TYPE_ALIASES = {"int": "integer", "float": "number", "list": "array"}
RESTRAINT_HINTS = {"==": "EXACT", "=": "EXACT", ">=": "ATLEAST", "<=": "ATMOST", "~=": "ATLEAST"}
CONTENT_TYPES = ("application/json", "multipart/form-data", "text/plain")
CONTENT_TYPE_TYPOS = {"applicaton/json": "application/json", "application/josn": "application/json",
                      "multipart/from-data": "multipart/form-data", "multipart/formdata": "multipart/form-data"}
"""Misspelt Content-types real config.json files carry, and what they mean (read with a warning)."""
SKIPPED_DIRS = {".ipynb_checkpoints": "Jupyter's autosave copies", "__pycache__": "Python's compiled cache",
                ".git": "version control history"}
"""Folders that are never part of a model, wherever they are, and why: the folder check and the import leave them out."""
SKIPPED_DIR_NAMES = frozenset(SKIPPED_DIRS)
ENGINE_TYPES = tuple(t.value for t in ModelType if t.value not in ("Image", "Custom"))
"""The model types served by one of ModelArts' engine images (an Image or Custom model brings its own container)."""

# Runtimes the service documents per engine (spec §5.4). Unified images are matched by pattern.
_LEGACY_RUNTIMES: dict[str, tuple[str, ...]] = {
    "TensorFlow": ("python3.6", "python2.7", "tf1.13-python2.7-gpu", "tf1.13-python2.7-cpu", "tf1.13-python3.6-gpu",
                   "tf1.13-python3.6-cpu", "tf1.13-python3.7-cpu", "tf1.13-python3.7-gpu", "tf1.13-python3.7-gpu-async",
                   "tf2.1-python3.7"),
    "MXNet": ("python3.7", "python3.6"),
    "Caffe": ("python3.6", "python3.7", "python3.6-gpu", "python3.7-gpu", "python3.6-cpu", "python3.7-cpu"),
    "Spark_MLlib": ("python3.6",),
    "Scikit_Learn": ("python3.6",),
    "XGBoost": ("python3.6",),
    "PyTorch": ("python3.6", "python3.7", "pytorch1.4-python3.7"),
}
_UNIFIED_ENGINE = {"TensorFlow": "tensorflow", "PyTorch": "pytorch", "MindSpore": "mindspore", "MXNet": "mxnet"}
_UNIFIED_RUNTIME = re.compile(r"^(?P<engine>[a-z]+)_[0-9]+(\.[0-9]+)*-(cpu|cuda_[0-9.]+|cann_[0-9.]+)-py_[0-9]+(\.[0-9]+)*"
                              r"-[a-z]+_[0-9.]+-(x86_64|aarch64)(-[a-z0-9]+)?$")


# Unified images the service documents (spec §5.4); any name of that pattern for the engine is accepted too
_UNIFIED_EXAMPLES: dict[str, tuple[str, ...]] = {
    "TensorFlow": ("tensorflow_2.1.0-cuda_10.1-py_3.7-ubuntu_18.04-x86_64", "tensorflow_2.6.0-cuda_11.2-py_3.7-ubuntu_18.04-x86_64",
                   "tensorflow_1.15.5-cuda_11.4-py_3.8-ubuntu_20.04-x86_64", "tensorflow_1.15.0-cann_6.3.0-py_3.7-euler_2.8.3-aarch64"),
    "PyTorch": ("pytorch_1.8.0-cuda_10.2-py_3.7-ubuntu_18.04-x86_64", "pytorch_1.8.2-cuda_11.1-py_3.7-ubuntu_18.04-x86_64",
                "pytorch_1.11.0-cann_6.3.0-py_3.7-euler_2.8.3-aarch64", "pytorch_1.11.0-cann_7.0.1-py_3.9-euler_2.10.7-aarch64-snt9b"),
    "MindSpore": ("mindspore_2.0.0-cann_6.3.0-py_3.7-euler_2.8.3-aarch64", "mindspore_1.7.0-cuda_10.1-py_3.7-ubuntu_18.04-x86_64"),
}


def known_runtimes(model_type: str) -> list[str]:
    """The runtime names this tool knows for an engine: the documented ones (a region's list may have more)."""
    return list(_LEGACY_RUNTIMES.get(model_type, ())) + list(_UNIFIED_EXAMPLES.get(model_type, ()))


DEFAULT_RUNTIMES: dict[str, str] = {"TensorFlow": "python2.7", "MXNet": "python3.6", "Caffe": "python3.6",
                                    "Spark_MLlib": "python3.6", "Scikit_Learn": "python3.6", "XGBoost": "python3.6",
                                    "PyTorch": "python3.6"}
"""The runtime the service documents as each engine's default (spec §5.4): what config.json gets when none is set."""

ENGINE_MODULES: dict[str, str] = {"PyTorch": "torch", "TensorFlow": "tensorflow", "MindSpore": "mindspore",
                                  "MXNet": "mxnet", "XGBoost": "xgboost", "Scikit_Learn": "sklearn",
                                  "Caffe": "caffe", "Spark_MLlib": "pyspark"}
"""The module each engine's image provides by definition: its framework."""

_MINDSPORE_1_7_IMAGE = frozenset({
    "cycler", "easydict", "flask", "grpc", "gunicorn", "ipykernel", "jinja2", "lxml", "matplotlib", "mindinsight",
    "mindspore", "mindvision", "moxing", "numpy", "cv2", "pandas", "PIL", "google.protobuf", "psutil", "yaml",
    "requests", "sklearn", "scipy", "tensorboardX", "threadpoolctl", "tomli", "tornado", "tqdm", "traitlets",
    "treelib", "urllib3", "zipp"})
IMAGE_MODULES: dict[str, frozenset[str]] = {
    runtime: _MINDSPORE_1_7_IMAGE for runtime in ("mindspore_1.7.0-cpu-py_3.7-ubuntu_18.04-x86_64",
                                                  "mindspore_1.7.0-cuda_10.1-py_3.7-ubuntu_18.04-x86_64",
                                                  "mindspore_1.7.0-cuda_11.1-py_3.7-ubuntu_18.04-x86_64")}
"""Modules a runtime image already has, as importable names, for the images whose package list the service
documents: the MindSpore 1.7.0 inference images ("Certain pip installation packages", docker-modelarts_0041,
https://support.huaweicloud.com/intl/en-us/docker-modelarts/docker-modelarts_0041.html; the CUDA images list the
same packages up to requests). The docs list no packages for the PyTorch and TensorFlow inference images
(docker-modelarts_0038 names them only) nor for the python3.6/python3.7 runtimes: those are taken to provide
only their framework (ENGINE_MODULES), so everything else is pinned."""


def image_modules(model_type: str, runtime: str | None) -> frozenset[str]:
    """What the runtime image of this engine provides without a dependency (see IMAGE_MODULES)."""
    framework = ENGINE_MODULES.get(model_type)
    return IMAGE_MODULES.get(runtime or "", frozenset()) | ({framework} if framework else frozenset())


# --------------------------------------------------------------------------------------------------
# Patterns: the same text is checked natively here and by the browser (ECMAScript regex), so ASCII
# classes only — no \d (Unicode digits in Rust), no inline flags (not in JavaScript).
# --------------------------------------------------------------------------------------------------

STRIP_CHARS = ("\t\n\x0b\x0c\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
               "\u2028\u2029\u202f\u205f\u3000")
"""Exactly what the kernel strips from both ends of text before its rules: pydantic's str_strip_whitespace (Rust's
str::trim, the Unicode White_Space property). Not Python's str.strip() (which also strips U+001C–U+001F) nor
JavaScript's trim() (which also strips U+FEFF): text of only these characters is blank, i.e. not given. The browser
gets the set as the keywords x-strip and x-blank (see _browser_keywords)."""
_STRIP_CLASS = "".join(f"\\u{ord(c):04x}" for c in STRIP_CHARS)
"""STRIP_CHARS as the inside of a regex class, spelled alike for Rust, Python and JavaScript (\\uXXXX escapes)."""
NUMBER_TEXT_PATTERN = r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?$"
"""How a number is spelled as text (a min or max typed in the form, or given as a string): ASCII digits with an
optional sign, point and exponent — 1, -3, 0.5, .5, 5., 1e3. Not what only Python reads as a number (1_000,
Arabic-Indic or fullwidth digits, inf, nan), nor 0x10 or 1,000; and the number must be finite (not 1e400)."""
_NUMBER_TEXT_RE = re.compile(NUMBER_TEXT_PATTERN)

NAME_PATTERN = r"^[A-Za-z][A-Za-z0-9_-]{0,63}$"
VERSION_PATTERN = r"^(0|[1-9][0-9]?)\.(0|[1-9][0-9]?)\.(0|[1-9][0-9]?)$"
REGION_PATTERN = r"^[a-z]{2}(-[a-z0-9]+){1,4}$"
"""A cloud region id such as cn-north-4, ap-southeast-1 or eu-de: it becomes part of host names, so nothing else."""
MODELARTS_DOMAIN_BY_REGION = {"ap-southeast-1": "myhuaweicloud.cn"}
"""Regions whose ModelArts endpoint is not on the default domain (huaweicloudsdkmodelarts' region table, spec §4)."""
CLOUD_DOMAIN_PATTERN = r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$"
"""The cloud's DNS domain (myhuaweicloud.com, otc.t-systems.com): plain DNS labels only."""
DESCRIPTION_PATTERN = r"^[^&!'\"<>=]{0,100}$"
ALGORITHM_PATTERN = r"^[A-Za-z][^&!'\"<>=]{0,35}$"
OBS_BUCKET_PATTERN = r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]"
"""An OBS bucket name: 3–63 lower-case letters, digits, . and -."""
OBS_SEGMENT_PATTERN = r"[^/?#%\x00-\x1f\x7f]+"
"""One folder name of an OBS path: no /, and none of ? # % or control characters (they would change the https
URL the service is given, or be read differently by OBS and by ModelArts)."""
OBS_PATTERN = rf"^(obs:/)?/{OBS_BUCKET_PATTERN}(/{OBS_SEGMENT_PATTERN})+/?$"
"""An OBS folder: a bucket and at least one folder in it (the service takes no bucket root as a model's source)."""
OBS_URL_PATTERN = r"^https?://(?P<bucket>[^./]+)\.obs\.[^/]+(?P<path>/.*)?$"
"""The service's own spelling of an OBS folder, https://bucket.obs.<region>.<domain>/dir/ (path with its leading /)."""
MAX_PATH_CHARS = 1024
"""The longest path or URL a field takes (a folder, an OBS path, execution code, an API path)."""
MAX_RUNTIME_CHARS = 256
"""The longest runtime name or SWR image address."""
MAX_PACKAGE_NAME_CHARS = 128
MAX_PACKAGE_VERSION_CHARS = 64
MAX_JSON_DEPTH = 64
MAX_TRIAL_REQUEST_CHARS = 1_000_000
"""The form's Try locally sends a sample request of at most this many characters (package.dry_run takes more)."""
MAX_EXAMPLE_ROWS = 10
"""package.build sends at most this many rows of its `example` as the sample request (a training set is no example)."""
"""The deepest nesting apis and initial_config may have (a real one is a few levels deep)."""
MAX_APIS_TEXT_CHARS = 1024 * 1024
"""The longest apis given as JSON text."""
MAX_PACKAGE_FILES = 200_000
"""The most files one model package may hold (the walk refuses more before anything is registered)."""
MAX_PACKAGE_DEPTH = 64
"""The deepest folder nesting a model package may have."""
MAX_PACKAGE_BYTES = 20 * 1024 ** 3
"""The largest model package ModelArts imports (20 GiB: the service answers ModelArts.3044, "larger than 20G", above it)."""
INITIAL_CONFIG_MAX_BYTES = 1024 * 1024
"""The largest initial_config (as JSON) sent: a config.json is a few KB, and the create request at most 12 MB."""
SWR_IMAGE_PATTERN = r"^[a-zA-Z0-9.:_-]+/[a-z0-9._-]+/[a-zA-Z0-9._-]+:[a-zA-Z0-9._-]+$"
"""A container image in SWR, <registry host>/<organization>/<image>:<tag> (the service's own pattern, spec §1.1)."""
URL_PATTERN = rf"^/[^{_STRIP_CLASS}]*$"
"""A request path: / and no white space (Rust's \\s, spelled out: JavaScript's \\s also takes U+FEFF)."""
EXECUTION_CODE_PATTERN = r"(^|/)customize_service\.py$"
# PEP 508 distribution name, optional extras: numpy, scikit-learn, ray[rllib]
PACKAGE_NAME_PATTERN = r"^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?(\[[A-Za-z0-9._,-]+\])?$"
# PEP 440 public version (+ local part), both cases spelled out
PACKAGE_VERSION_PATTERN = (
    r"^[vV]?([0-9]+!)?[0-9]+(\.[0-9]+)*([-_.]?([aAbBcC]|[rR][cC]|alpha|beta|pre|preview)[-_.]?[0-9]*)?"
    r"(-[0-9]+|[-_.]?(post|rev|r)[-_.]?[0-9]*)?([-_.]?dev[-_.]?[0-9]*)?(\+[a-zA-Z0-9]+([-_.][a-zA-Z0-9]+)*)?$"
)
_FORBIDDEN = "!<>=&'\""
_OBS_RE = re.compile(OBS_PATTERN)
_EXECUTION_CODE_RE = re.compile(EXECUTION_CODE_PATTERN)


def _rule(**kw: Any) -> Any:
    """A Field whose `x-messages` map each JSON-schema keyword (pattern, maxLength, required…) to its message."""
    messages = {key: kw.pop(key) for key in list(kw) if key.startswith("msg_")}
    extra = {"x-messages": {key[4:]: text for key, text in messages.items()}}
    return Field(json_schema_extra=extra, **kw)


def _number_from_text(value: Any) -> Any:
    """A bound given as text, read as a number only when spelled as NUMBER_TEXT_PATTERN (after stripping STRIP_CHARS)
    and finite; anything not text (an int or float from code) goes on to pydantic's own float check."""
    if not isinstance(value, str):
        return value
    text = value.strip(STRIP_CHARS)
    if not text:
        return None
    if not _NUMBER_TEXT_RE.match(text):
        raise PydanticCustomError("float_parsing", "must be a number like 0.5 or -3")
    number = float(text)
    if number in (float("inf"), float("-inf")):
        raise PydanticCustomError("finite_number", "must be a finite number")
    return number


def _browser_keywords(schema: dict[str, Any], model: type[BaseModel]) -> None:
    """What the kernel does to text before its rules, as JSON-schema keywords for the browser's checker
    (js/form/src/check.ts): `x-strip` (stripped from both ends first: pydantic's str_strip_whitespace), `x-blank` (text
    of only these characters is not given) and `x-number-pattern` (how a number's text is spelled)."""
    by_alias = {info.alias or name: info for name, info in model.model_fields.items()}
    strips = bool(model.model_config.get("str_strip_whitespace"))
    for key, prop in schema.get("properties", {}).items():
        info = by_alias.get(key)
        if info is None:
            continue
        union = get_origin(info.annotation) in (Union, types.UnionType)
        kinds = [t for t in (get_args(info.annotation) if union else (info.annotation,)) if t is not type(None)]
        number_text = any(getattr(m, "func", None) is _number_from_text for m in info.metadata)
        if number_text:
            prop.update({"x-strip": STRIP_CHARS, "x-blank": STRIP_CHARS, "x-number-pattern": NUMBER_TEXT_PATTERN})
        elif str in kinds and strips:
            prop.update({"x-strip": STRIP_CHARS, "x-blank": STRIP_CHARS})
        elif any(isinstance(t, type) and issubclass(t, enum.Enum) or get_origin(t) is Literal for t in kinds):
            prop["x-blank"] = STRIP_CHARS  # (enum values are compared as typed: pydantic strips only str)


_MODEL_CONFIG = ConfigDict(use_attribute_docstrings=True, extra="forbid", str_strip_whitespace=True,
                           populate_by_name=True, json_schema_extra=_browser_keywords)

class _SeedObjectType(type(BaseModel)):  # pydantic's own metaclass
    """Calling the class (`Params(...)`, as the seed's code does) turns a bad field into SpecValidationError, with
    field paths and the rule table's words, like every other check. Only the call: pydantic validates nested data
    without it, so a ModelSpec's rows keep their native errors (an overridden __init__ would be called there too)."""

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().__call__(*args, **kwargs)
        except ValidationError as exc:
            raise SpecValidationError(_errors_of(exc, cls)) from None


class _SeedObject(BaseModel, metaclass=_SeedObjectType):
    """A model users build themselves: see _SeedObjectType."""


# --------------------------------------------------------------------------------------------------
# Params, Packages, Dependencies (seed Tables 3–5)
# --------------------------------------------------------------------------------------------------


class Param(_SeedObject):
    """One input or output parameter of the model's inference API."""

    model_config = _MODEL_CONFIG

    url: Annotated[str, _rule(pattern=URL_PATTERN, max_length=MAX_PATH_CHARS,
                              msg_pattern="url must be a request path starting with /, like / or /predict",
                              msg_maxLength=f"url must be at most {MAX_PATH_CHARS} characters")] = "/"
    """Request path
    The inference API path this parameter belongs to; must start with /, usually /."""

    param_name: Annotated[str, _rule(min_length=1, max_length=64,
                                     msg_required="parameter name is required (1–64 characters)",
                                     msg_minLength="parameter name is required (1–64 characters)",
                                     msg_maxLength="parameter name must be at most 64 characters")]
    """Parameter name
    The name of the field in the request or response, at most 64 characters."""

    param_type: Annotated[ParamType, _rule(
        msg_required="parameter type is required: string, object, array, number, integer or file",
        msg_enum="parameter type must be string, object, array, number, integer or file")]
    """Type
    A JSON-schema type: string, object, array, number or integer (file for multipart uploads)."""

    min: Annotated[Optional[float], BeforeValidator(_number_from_text),
                   _rule(allow_inf_nan=False, msg_type="min must be a number like 0.5 or -3")] = None
    """Minimum
    Smallest allowed value; only for number and integer parameters."""

    max: Annotated[Optional[float], BeforeValidator(_number_from_text),
                   _rule(allow_inf_nan=False, msg_type="max must be a number like 0.5 or -3")] = None
    """Maximum
    Largest allowed value; only for number and integer parameters, and not below the minimum."""

    param_desc: Annotated[Optional[str], _rule(max_length=100, msg_maxLength="description must be at most 100 characters")] = None
    """Description
    What the parameter means, at most 100 characters."""

    @model_validator(mode="wrap")
    @classmethod
    def _whole_param(cls, data: Any, handler: Callable[[Any], "Param"], info: ValidationInfo) -> "Param":
        return _check_item(cls, data, handler, info, _normalise_param, _param_errors)


class Package(_SeedObject):
    """One pip package the model needs at inference time."""

    model_config = _MODEL_CONFIG

    package_name: Annotated[str, _rule(pattern=PACKAGE_NAME_PATTERN, max_length=MAX_PACKAGE_NAME_CHARS,
                                       msg_maxLength=f"package name must be at most {MAX_PACKAGE_NAME_CHARS} characters",
                                       msg_required="package name is required, e.g. numpy",
                                       msg_pattern="package name must be a pip distribution name (letters, digits, . _ -), like numpy")]
    """Package
    The pip distribution name, e.g. numpy (no version here: use Version and Restraint)."""

    package_version: Annotated[Optional[str], _rule(pattern=PACKAGE_VERSION_PATTERN, max_length=MAX_PACKAGE_VERSION_CHARS,
                                                    msg_maxLength=f"package version must be at most {MAX_PACKAGE_VERSION_CHARS} characters",
                                                    msg_pattern="package version must be a pip version like 1.15.0 or 2.0.0rc1")] = None
    """Version
    The version to pin, e.g. 1.15.0; leave blank for the latest."""

    restraint: Annotated[Optional[Restraint], _rule(msg_enum="restraint must be EXACT, ATLEAST or ATMOST")] = None
    """Restraint
    EXACT (this version), ATLEAST (this or newer) or ATMOST (this or older); needed once a version is given."""

    @model_validator(mode="wrap")
    @classmethod
    def _whole_package(cls, data: Any, handler: Callable[[Any], "Package"], info: ValidationInfo) -> "Package":
        return _check_item(cls, data, handler, info, lambda row, where, notes: _normalise_package(row), _package_errors)


class Dependency(_SeedObject):
    """A group of packages installed by one installer."""

    model_config = _MODEL_CONFIG

    installer: Annotated[Literal["pip"], _rule(msg_const="installer must be pip (the only one the service supports)")] = "pip"
    """Installer
    How the packages are installed; only pip is supported."""

    packages: Annotated[list[Package], _rule(min_length=1,
                                             msg_required="a dependency needs at least one package",
                                             msg_minItems="a dependency needs at least one package: add one or remove the dependency")]
    """Packages
    The packages to install, at least one."""


# --------------------------------------------------------------------------------------------------
# apis (config.json shape, spec §5.2)
# --------------------------------------------------------------------------------------------------


class ApiBody(BaseModel):
    """The request or response of an inference API: a content type and a JSON schema."""

    model_config = ConfigDict(extra="allow", populate_by_name=True, use_attribute_docstrings=True)

    content_type: Annotated[Literal["application/json", "multipart/form-data", "text/plain"],
                            _rule(alias="Content-type",
                                  msg_enum="Content-type must be application/json, multipart/form-data or text/plain")] = "application/json"
    """Content type
    application/json, or multipart/form-data for file inputs."""

    data: Annotated[dict[str, Any], _rule(msg_type='data must be a JSON schema object like {"type": "object", "properties": {...}}')] = Field(
        default_factory=lambda: {"type": "object"})
    """Schema
    The JSON schema of the body: an object with properties."""


class Api(BaseModel):
    """One inference API of the model, as in config.json."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, use_attribute_docstrings=True)

    protocol: Annotated[Literal["http", "https"], _rule(msg_enum="protocol must be http or https")] = "http"
    """Protocol
    http or https."""

    url: Annotated[str, _rule(pattern=URL_PATTERN, max_length=MAX_PATH_CHARS,
                              msg_pattern="url must be a request path starting with /, like /",
                              msg_maxLength=f"url must be at most {MAX_PATH_CHARS} characters")] = "/"
    """Path
    The inference path; / for every type except Image."""

    method: Annotated[Literal["post", "get"], _rule(msg_enum="method must be post or get")] = "post"
    """Method
    post or get."""

    request: Optional[ApiBody] = None
    """Request"""

    response: Optional[ApiBody] = None
    """Response"""


# --------------------------------------------------------------------------------------------------
# The model (seed Table 2)
# --------------------------------------------------------------------------------------------------


class ModelSpec(BaseModel):
    """Everything Method 2 of the seed takes to create a model, checked."""

    model_config = _MODEL_CONFIG

    model_name: Annotated[Optional[str], _rule(pattern=NAME_PATTERN,
                                               msg_pattern="name must be 1–64 letters, digits, _ or -, starting with a letter")] = None
    """Model name
    1–64 letters, digits, _ or -, starting with a letter. Leave blank to have one generated."""

    model_version: Annotated[str, _rule(pattern=VERSION_PATTERN,
                                        msg_required="version is required: three numbers 0–99 without leading zeros, like 1.0.0",
                                        msg_pattern="version must be three numbers 0–99 without leading zeros, like 1.0.0")]
    """Version
    Three numbers 0–99 without leading zeros, like 1.0.0."""

    source_location_type: Annotated[SourceLocationType, _rule(
        msg_enum="source location type must be OBS_SOURCE or LOCAL_SOURCE")] = SourceLocationType.OBS_SOURCE
    """Location type
    OBS_SOURCE for an OBS folder, LOCAL_SOURCE for a folder on this machine."""

    source_location: Annotated[str, _rule(min_length=1, max_length=MAX_PATH_CHARS,
                                          msg_maxLength=f"source location must be at most {MAX_PATH_CHARS} characters",
                                          msg_required="source location is required: the folder that contains model/",
                                          msg_minLength="source location is required: the folder that contains model/")]
    """Source location
    The folder that contains model/: obs://bucket/dir/ or /bucket/dir/ on OBS, or a path on this machine."""

    model_type: Annotated[ModelType, _rule(
        msg_required="model type is required: TensorFlow, MXNet, Caffe, Spark_MLlib, Scikit_Learn, XGBoost, MindSpore, Image, PyTorch or Custom",
        msg_enum="model type must be one of TensorFlow, MXNet, Caffe, Spark_MLlib, Scikit_Learn, XGBoost, MindSpore, Image, PyTorch, Custom")]
    """Model type
    The engine: TensorFlow, MXNet, Caffe, Spark_MLlib, Scikit_Learn, XGBoost, MindSpore, Image or PyTorch; Custom for your own container image (ModelArts only)."""

    model_algorithm: Annotated[Optional[str], _rule(pattern=ALGORITHM_PATTERN,
                                                    msg_pattern="algorithm must start with a letter, be at most 36 characters and contain none of !<>=&'\"")] = None
    """Algorithm
    What the model does, e.g. image_classification, object_detection, predict_analysis."""

    description: Annotated[Optional[str], _rule(pattern=DESCRIPTION_PATTERN,
                                                msg_pattern="description must be at most 100 characters, none of !<>=&'\"")] = None
    """Description
    At most 100 characters, none of !<>=&'"."""

    execution_code: Annotated[Optional[str], _rule(pattern=EXECUTION_CODE_PATTERN, max_length=MAX_PATH_CHARS,
                                                   msg_maxLength=f"execution code must be at most {MAX_PATH_CHARS} characters",
                                                   msg_pattern="execution code must be a file named customize_service.py")] = None
    """Execution code
    Path of customize_service.py in model/ of the source location. Usually left blank."""

    source_job_id: Annotated[Optional[str], _rule(max_length=64, msg_maxLength="training job ID must be at most 64 characters")] = None
    """Training job ID
    The training job that produced the model, for tracing."""

    source_job_version: Annotated[Optional[str], _rule(max_length=64, msg_maxLength="training job version must be at most 64 characters")] = None
    """Training job version
    The version of that training job."""

    source_type: Annotated[Optional[Literal["auto"]], _rule(msg_const="source type can only be auto (an ExeML model) or blank")] = None
    """Model source
    auto for a model made by ExeML (automatic learning); none for one you trained or wrote."""

    runtime: Annotated[Optional[str], _rule(max_length=MAX_RUNTIME_CHARS,
                                            msg_maxLength=f"runtime must be at most {MAX_RUNTIME_CHARS} characters")] = None
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

    initial_config: Optional[dict[str, Any]] = None
    """Initial config
    config.json content as a dict (or its JSON text): merged over the package's model/config.json, which it overrides."""

    @model_validator(mode="wrap")
    @classmethod
    def _whole_model(cls, data: Any, handler: Callable[[Any], "ModelSpec"], info: ValidationInfo) -> "ModelSpec":
        """Normalise, check the fields natively, then the cross-field rules — all reported in one pass."""
        warnings = info.context.get("warnings") if isinstance(info.context, dict) else None
        errors: list[InitErrorDetails] = []
        if isinstance(data, dict):
            data = _normalise(data, warnings if isinstance(warnings, list) else [], errors)
        try:
            result = handler(data)
        except ValidationError as exc:
            result = None
            errors[:0] = [_keep(e) for e in exc.errors(include_url=False)]
        if isinstance(data, dict):
            errors.extend(_cross_field_errors(data, warnings if isinstance(warnings, list) else []))
        if errors:
            raise ValidationError.from_exception_data(cls.__name__, errors)
        return result

    def to_fields(self) -> dict[str, Any]:
        """Plain data for a backend: enums as strings, absent fields left out, apis as a list."""
        data = self.model_dump(mode="json", exclude_none=True, by_alias=True)
        for key in ("input_params", "output_params", "dependencies", "apis"):
            if not data.get(key):
                data.pop(key, None)
        return data


class ServiceConfig(_SeedObject):
    """One model's share of a real-time service (the seed's deployment config); nothing is deployed here."""

    model_config = _MODEL_CONFIG

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


class TransformerConfig(_SeedObject):
    """One model of a batch service (the vendor's `deploy_transformer` config); nothing is deployed here yet."""

    model_config = _MODEL_CONFIG

    model_id: Annotated[str, Field(min_length=1)]
    """Model ID
    The model that processes the batch."""

    specification: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9._-]*$")] = "modelarts.vm.cpu.2u"
    """Specification
    The flavor, e.g. modelarts.vm.cpu.2u."""

    instance_count: Annotated[int, Field(ge=1, le=5)] = 1
    """Instances
    1 to 5 instances."""

    src_path: Annotated[str, Field(pattern=OBS_PATTERN)]
    """Input folder
    The OBS folder whose files are processed, like obs://bucket/input/."""

    dest_path: Annotated[str, Field(pattern=OBS_PATTERN)]
    """Output folder
    The OBS folder the results go to, like obs://bucket/output/."""

    req_uri: Annotated[str, Field(pattern=URL_PATTERN)] = "/"
    """Request path
    The inference path each input is sent to."""

    mapping_type: MappingType = MappingType.file
    """Mapping type
    file: each file is one request; csv: each line of a CSV file is one request."""

    mapping_rule: Optional[dict[str, Any]] = None
    """Mapping rule
    For csv: how the columns map to the request's fields."""

    envs: dict[str, str] = Field(default_factory=dict)
    """Environment variables
    Passed to the inference code."""


class Schedule(_SeedObject):
    """When a service stops by itself (the vendor's `schedule=` of a deployment)."""

    model_config = _MODEL_CONFIG

    op_type: Literal["stop"] = "stop"
    """Operation
    stop (the only one the service knows)."""

    time_unit: TimeUnit
    """Unit
    DAYS, HOURS or MINUTES."""

    duration: Annotated[int, Field(ge=1)]
    """Duration
    How many units after the start the service stops."""


# The seed's names for the same models (`from modelarts.config.model_config import Params, ...`).
Params = Param
Packages = Package
Dependencies = Dependency

# --------------------------------------------------------------------------------------------------
# Normalisation: what is accepted and rewritten (with a warning where the user should know)
# --------------------------------------------------------------------------------------------------

_OPTIONAL_TEXT = ("model_name", "model_algorithm", "description", "execution_code", "source_job_id",
                  "source_job_version", "source_type", "runtime", "source_location_type")


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip(STRIP_CHARS))


def _copied_list(value: Any) -> Any:
    """A list the normaliser may change without touching the caller's (None -> [])."""
    value = [] if value is None else _as_list(value)
    return list(value) if isinstance(value, list) else value


def _as_list(value: Any) -> Any:
    if isinstance(value, (dict, BaseModel)):
        return [value]
    return list(value) if isinstance(value, tuple) else value


def _normalise(data: dict[str, Any], warnings: list[dict[str, Any]], errors: list[InitErrorDetails]) -> dict[str, Any]:
    """A copy of `data` with blanks dropped, aliases resolved and a name generated; the input is not changed."""
    data = {key: value for key, value in data.items() if not (key in _OPTIONAL_TEXT and _blank(value))}
    if "environment" in data:
        env = data.pop("environment")
        env = env.get("runtime") if isinstance(env, dict) else env
        if not _blank(env):
            if not _blank(data.get("runtime")) and data["runtime"] != env:
                errors.append(_error(("runtime",), "runtime_conflict",
                                     f"environment {_shown(env)} and runtime {_shown(data['runtime'])} disagree; give one of them", env))
            data["runtime"] = env
    if "model_name" not in data:
        data["model_name"] = generate_model_name()
    if isinstance(data.get("source_location"), os.PathLike):
        data["source_location"] = os.fspath(data["source_location"])
    for group in ("input_params", "output_params"):
        if group in data:
            data[group] = rows = _copied_list(data[group])
            for index, row in enumerate(rows if isinstance(rows, list) else ()):
                if isinstance(row, dict):
                    rows[index] = _normalise_param(row, f"{group}[{index}]", warnings)
    if "dependencies" in data:
        data["dependencies"] = deps = _copied_list(data["dependencies"])
        for index, dep in enumerate(deps if isinstance(deps, list) else ()):
            if isinstance(dep, dict) and "packages" in dep:
                packages = _as_list(dep["packages"])
                if isinstance(packages, list):
                    fixed = [_normalise_package(p) if isinstance(p, dict) else p for p in packages]
                    if any(a is not b for a, b in zip(fixed, packages)) or packages is not dep["packages"]:
                        deps[index] = {**dep, "packages": fixed}
    if "apis" in data:
        data["apis"] = _normalise_apis(data["apis"], warnings, errors)
    if isinstance(data.get("initial_config"), (str, bytes)):
        try:
            if len(data["initial_config"]) > INITIAL_CONFIG_MAX_BYTES:
                raise ValueError(f"it is {len(data['initial_config']):,} characters; at most {INITIAL_CONFIG_MAX_BYTES:,}")
            data["initial_config"] = json.loads(data["initial_config"])
        except RecursionError:
            errors.append(_error(("initial_config",), "initial_config_too_deep",
                                 f"initial config is nested more than {MAX_JSON_DEPTH} levels deep", None))
            data.pop("initial_config")
        except ValueError as exc:
            errors.append(_error(("initial_config",), "initial_config_json",
                                 f"initial config is not valid JSON ({exc}); give a dict or the JSON text of one", None))
            data.pop("initial_config")
    return data


def _normalise_param(row: dict[str, Any], where: str, warnings: list[dict[str, Any]]) -> dict[str, Any]:
    raw = row.get("param_type")
    alias = raw.strip() in PARAM_TYPE_ALIASES if isinstance(raw, str) else False
    blanks = [key for key in ("min", "max", "param_desc") if key in row and _blank(row[key])]
    if not (alias or blanks):
        return row  # the common case: nothing to rewrite, no copy
    row = {key: value for key, value in row.items() if key not in blanks}
    if alias:
        row["param_type"] = PARAM_TYPE_ALIASES[raw.strip()]
        warnings.append({"field": f"{where}.param_type" if where else "param_type",
                         "message": f"parameter type {raw.strip()!r} was read as {row['param_type']!r} (the JSON-schema name)"})
    return row


def _normalise_package(package: dict[str, Any]) -> dict[str, Any]:
    version = package.get("package_version")
    numeric = isinstance(version, (int, float)) and not isinstance(version, bool)
    blanks = [key for key in ("package_version", "restraint") if key in package and _blank(package[key])]
    if not (numeric or blanks):
        return package
    package = {key: value for key, value in package.items() if key not in blanks}
    if numeric:
        package["package_version"] = str(version)
    return package


def _normalise_apis(apis: Any, warnings: list[dict[str, Any]], errors: list[InitErrorDetails]) -> Any:
    if _blank(apis):
        return []
    if isinstance(apis, (bytes, bytearray)):
        apis = apis.decode("utf-8", "replace")
    if isinstance(apis, str):
        if len(apis) > MAX_APIS_TEXT_CHARS:
            errors.append(_error(("apis",), "apis_too_long", f"apis is {len(apis):,} characters of JSON; at most "
                                 f"{MAX_APIS_TEXT_CHARS:,}: an API description is a few KB", None))
            return []
        try:
            apis = json.loads(apis)
        except RecursionError:
            errors.append(_error(("apis",), "apis_too_deep", f"apis is nested more than {MAX_JSON_DEPTH} levels deep", None))
            return []
        except ValueError as exc:
            where = f" at line {exc.lineno}, column {exc.colno}" if isinstance(exc, json.JSONDecodeError) else ""
            errors.append(_error(("apis",), "apis_json", f"apis is not valid JSON{where}: {getattr(exc, 'msg', exc)}", apis))
            return []
    apis = _as_list(apis)
    if not isinstance(apis, list):
        return apis  # the native check reports the wrong type
    if _depth_over(apis, MAX_JSON_DEPTH):
        errors.append(_error(("apis",), "apis_too_deep", f"apis is nested more than {MAX_JSON_DEPTH} levels deep", None))
        return []
    fixed = []
    for index, api in enumerate(apis):
        if isinstance(api, dict):
            api = dict(api)
            if "procotol" in api:
                api.setdefault("protocol", api.pop("procotol"))
                warnings.append({"field": f"apis[{index}].protocol", "message": "'procotol' was read as 'protocol'"})
            for key in ("protocol", "method"):
                if isinstance(api.get(key), str):
                    api[key] = api[key].strip().lower()
            for key in ("request", "response"):
                body = api.get(key)
                if isinstance(body, dict) and isinstance(body.get("Content-type"), str):
                    api[key] = {**body, "Content-type": body["Content-type"].strip().lower()}
        fixed.append(api)
    return fixed


def _keep(err: dict[str, Any]) -> InitErrorDetails:
    """A pydantic error as-is, to be raised again together with others."""
    return InitErrorDetails(type=PydanticCustomError(err["type"], err["msg"], err.get("ctx")), loc=err["loc"],
                            input=err.get("input"))


def _check_item(cls: type[BaseModel], data: Any, handler: Callable[[Any], Any], info: ValidationInfo,
                normalise: Callable[..., dict], cross: Callable[[Any, tuple], list]) -> Any:
    """A Param's or Package's whole check: aliases, its fields in the rule table's words, the rules between them.

    Inside a ModelSpec check the spec has normalised (and warned about) the row already; built directly, as
    `Params(param_type="int", ...)`, the normalisation warns here with `warnings.warn`.
    """
    if isinstance(data, dict):
        notes: list[dict[str, Any]] = []
        data = normalise(data, "", notes)
        if not isinstance(info.context, dict):
            for note in notes:
                _warnings.warn(note["message"], UserWarning, stacklevel=6)
    errors: list[InitErrorDetails] = []
    try:
        result = handler(data)
    except ValidationError as exc:
        result = None
        for err in exc.errors(include_url=False):
            kind, message = _describe(err, cls)
            errors.append(InitErrorDetails(type=PydanticCustomError(kind, message), loc=err["loc"], input=err.get("input")))
    errors.extend(cross(data, ()))
    if errors:
        raise ValidationError.from_exception_data(cls.__name__, errors)
    return result


# --------------------------------------------------------------------------------------------------
# Cross-field rules: checked on the (normalised) input, so they show while other fields are still wrong
# --------------------------------------------------------------------------------------------------


def _cross_field_errors(data: dict[str, Any], warnings: list[dict[str, Any]]) -> list[InitErrorDetails]:
    errors = _location_errors(data, warnings)  # params and packages check their own (Param/Package validators)
    model_type = canonical_model_type(data.get("model_type"))
    errors += [_error(loc, kind, message, value) for loc, kind, message, value in api_problems(model_type, data.get("apis"))]
    errors += _initial_config_errors(data.get("initial_config"))
    runtime = data.get("runtime")
    if model_type == "Custom":
        if not isinstance(runtime, str) or not runtime.strip():
            errors.append(_error(("runtime",), "custom_image_required",
                                 "a Custom model needs runtime=<SWR image address>, e.g. "
                                 "swr.<region>.myhuaweicloud.com/<organization>/<image>:<tag>", runtime))
        elif not re.fullmatch(SWR_IMAGE_PATTERN, runtime.strip()):
            errors.append(_error(("runtime",), "custom_image_invalid",
                                 "a Custom model's runtime must be its SWR image address, "
                                 f"<registry>/<organization>/<image>:<tag> — got {_shown(runtime)}", runtime))
    elif isinstance(runtime, str) and model_type:
        if model_type == "Image":
            warnings.append({"field": "runtime", "message": "Image models bring their own environment; the runtime is ignored"})
        elif not _runtime_known(model_type, runtime.strip()):
            known = ", ".join(known_runtimes(model_type)[:4]) + (", …" if len(known_runtimes(model_type)) > 4 else "") or "none"
            warnings.append({"field": "runtime", "message": f"runtime {_shown(runtime.strip(), 60)!r} is not one this tool knows for {model_type} "
                                                            f"(known: {known}); the service checks it against the runtimes of your region"})
    return errors


def api_problems(model_type: Any, apis: Any) -> list[tuple[tuple, str, str, Any]]:
    """An engine model serves one API at url / (only Image and Custom models serve more, at other paths):
    (where, error type, message, value) for each breach. config_file warns with the same words."""
    model_type = canonical_model_type(model_type)
    if not isinstance(apis, list) or model_type not in ENGINE_TYPES:
        return []
    found = []
    if len(apis) > 1:
        found.append((("apis",), "apis_count", f"a {model_type} model can have only one API (only Image models may "
                      f"have more) — got {len(apis)}", len(apis)))
    for index, api in enumerate(apis):
        url = api.get("url") if isinstance(api, dict) else None
        if isinstance(url, str) and url.strip() not in ("/", ""):
            found.append((("apis", index, "url"), "api_url_root", f"the API url must be / for {model_type} models "
                          f"(only Image models serve other paths) — got {_shown(url)}", url))
    return found


def human_size(count: float) -> str:
    """A size as this tool shows it everywhere, in binary units: 512 bytes, 64 KiB, 1.4 MiB, 20 GiB."""
    if count < 1024:
        return f"{int(count)} bytes"
    for unit in ("KiB", "MiB", "GiB", "TiB"):
        count /= 1024
        if round(count, 1) < 1024 or unit == "TiB":
            return f"{count:.1f}".removesuffix(".0") + f" {unit}"
    return f"{count} TiB"  # pragma: no cover


def _initial_config_errors(config: Any) -> list[InitErrorDetails]:
    """initial_config travels as JSON text: only JSON values, and small enough for the service's request."""
    if not isinstance(config, dict):
        return []
    if _depth_over(config, MAX_JSON_DEPTH):
        return [_error(("initial_config",), "initial_config_too_deep",
                       f"initial config is nested more than {MAX_JSON_DEPTH} levels deep", None)]
    try:
        size = len(json.dumps(config, ensure_ascii=False, allow_nan=False).encode())
    except (TypeError, ValueError) as exc:
        return [_error(("initial_config",), "initial_config_not_json",
                       f"initial config must hold only JSON values (text, numbers, true/false, None, lists and dicts "
                       f"with text keys; no NaN or infinity): {exc}", None)]
    if size > INITIAL_CONFIG_MAX_BYTES:
        return [_error(("initial_config",), "initial_config_too_large",
                       f"initial config is {size:,} bytes as JSON; at most {INITIAL_CONFIG_MAX_BYTES:,} (it travels in "
                       "the create request, which the service takes up to 12 MB): keep large data in the package", None)]
    return []


def _param_errors(row: Any, loc: tuple) -> list[InitErrorDetails]:
    get = row.get if isinstance(row, dict) else (lambda key: getattr(row, key, None))
    raw_low, raw_high = get("min"), get("max")
    if raw_low is None and raw_high is None:
        return []  # the common case
    errors = [_error(loc + (key,), "bound_not_a_number", f"{key} must be a number — got {raw!r}", raw)
              for key, raw in (("min", raw_low), ("max", raw_high)) if isinstance(raw, bool)]
    low, high = _number(raw_low), _number(raw_high)
    raw_type = get("param_type")
    ptype = raw_type.value if isinstance(raw_type, ParamType) else raw_type if isinstance(raw_type, str) else None
    if ptype in ParamType.__members__ and ptype not in ("number", "integer"):
        for key, bound in (("min", low), ("max", high)):
            if bound is not None:
                errors.append(_error(loc + (key,), "bound_not_numeric",
                                     f"{key} only applies to number and integer parameters; remove it or change the type (type is {ptype})", bound))
    elif low is not None and high is not None and low > high:
        errors.append(_error(loc + ("max",), "min_above_max", f"max must not be below min — got min {low:g}, max {high:g}", high))
    return errors


def _package_errors(package: Any, loc: tuple) -> list[InitErrorDetails]:
    get = package.get if isinstance(package, dict) else (lambda key: getattr(package, key, None))
    version, restraint = get("package_version"), get("restraint")
    if (version is None or _blank(version)) == (restraint is None or _blank(restraint)):
        return []  # both given or both absent
    if restraint is None or _blank(restraint):
        return [_error(loc + ("restraint",), "restraint_required",
                       "restraint is required once a version is given: choose EXACT, ATLEAST or ATMOST", None)]
    return [_error(loc + ("restraint",), "restraint_without_version",
                   "restraint applies only with a version: type a version or clear the restraint", restraint)]


def _location_errors(data: dict[str, Any], warnings: list[dict[str, Any]]) -> list[InitErrorDetails]:
    location = data.get("source_location")
    if not isinstance(location, str) or not location.strip():
        return []
    location = location.strip()
    raw_type = data.get("source_location_type", "OBS_SOURCE")
    location_type = raw_type.value if isinstance(raw_type, SourceLocationType) else raw_type if isinstance(raw_type, str) else None
    errors = []
    if location_type == "OBS_SOURCE" and not _OBS_RE.match(location):
        hint = ""
        if not location.startswith(("/", "obs:")) or os.path.isdir(os.path.expanduser(location)):
            hint = "; for a folder on this machine set source_location_type to LOCAL_SOURCE"
        errors.append(_error(("source_location",), "obs_path",
                             "OBS path must look like obs://bucket/dir/ or /bucket/dir/, a folder in a bucket (bucket: 3–63 "
                             f"lower-case letters, digits, . or -){hint} — got {_shown(location)}", location))
    elif location_type == "OBS_SOURCE" and not location.startswith("obs://") and os.path.isdir(location):
        warnings.append({"field": "source_location", "message": f"{location} is a folder on this machine, but the location "
                         "type is OBS_SOURCE (read as bucket/dir on OBS); for this folder set source_location_type to LOCAL_SOURCE"})
    elif location_type == "LOCAL_SOURCE" and not os.path.isdir(os.path.expanduser(location)):
        problem = "is a file, not a folder" if os.path.exists(os.path.expanduser(location)) else "does not exist"
        errors.append(_error(("source_location",), "local_path",
                             f"local folder {_shown(location, 80)} {problem}: give the folder that contains model/", location))
    code = data.get("execution_code")
    if isinstance(code, str) and _EXECUTION_CODE_RE.search(code.strip()) and location_type in SourceLocationType.__members__:
        # the folder that contains model/, or (as the vendor's own samples write it) the model/ folder itself
        if location_type == "OBS_SOURCE":
            expected = location.rstrip("/") + "/model/customize_service.py"
            inside = _obs_key(code).rstrip("/") in {_obs_key(location) + "model/customize_service.py",
                                                    _obs_key(location) + "customize_service.py"} \
                and (_obs_key(code).rstrip("/").endswith("/model/customize_service.py"))
        else:
            folder = os.path.abspath(os.path.expanduser(location))
            expected = os.path.join(folder, "model", "customize_service.py")
            inside = os.path.abspath(os.path.expanduser(code.strip())) in {
                expected, *([os.path.join(folder, "customize_service.py")] if os.path.basename(folder) == "model" else [])}
        if not inside:
            errors.append(_error(("execution_code",), "execution_code_location",
                                 f"execution code must sit in model/ of the source location: {expected} — got {_shown(code, 80)}", code))
    return errors


def _obs_key(location: str) -> str:
    """`obs://b/d/` and `/b/d` -> `/b/d/`, for comparing OBS paths."""
    text = location.strip()
    text = text[len("obs:/"):] if text.startswith("obs://") else text
    return text if text.endswith("/") else text + "/"


def _runtime_known(model_type: str, runtime: str) -> bool:
    if runtime in _LEGACY_RUNTIMES.get(model_type, ()):
        return True
    unified = _UNIFIED_RUNTIME.match(runtime)
    return bool(unified and unified.group("engine") == _UNIFIED_ENGINE.get(model_type))


def canonical_model_type(value: Any) -> str:
    """The service's spelling of a model type, near misses included ("pytorch" -> "PyTorch"); "" if none."""
    if isinstance(value, ModelType):
        return value.value
    if not isinstance(value, str):
        return ""
    text = value.strip()
    lower = {t.lower(): t for t in ModelType.__members__}
    return lower.get(text.lower()) or MODEL_TYPE_ALIASES.get(text.lower().replace(" ", ""), "")


# --------------------------------------------------------------------------------------------------
# Names
# --------------------------------------------------------------------------------------------------


def next_free_version(version: str, taken: set[str]) -> str:
    """The next x.y.z after `version` that is not taken (patch first, carrying at 99); `0.0.1` first."""
    parts = [int(p) for p in version.split(".")]
    while True:
        for index in (2, 1, 0):
            if parts[index] < 99:
                parts[index] += 1
                parts[index + 1:] = [0] * (2 - index)
                break
        else:
            raise ValueError("no free version left after 99.99.99")
        candidate = ".".join(map(str, parts))
        if candidate not in taken:
            return candidate


CONFIG_OVERRIDES = ("model_algorithm", "model_type", "runtime", "apis", "dependencies")
"""Model fields that, when given, replace what model/config.json and initial_config say in the effective config."""


def effective_config(package: dict[str, Any], initial_config: Optional[dict[str, Any]],
                     fields: dict[str, Any]) -> dict[str, Any]:
    """The config a model gets: model/config.json, initial_config over it, then the CONFIG_OVERRIDES given."""
    out = {**package, **(initial_config or {})}
    out.update({key: fields[key] for key in CONFIG_OVERRIDES if fields.get(key)})
    return out


def first_free_version(taken: set[str]) -> str:
    """The version a model gets when none is given: 0.0.1 for a new name (as the console does), else the next
    after the highest taken one."""
    valid = [v for v in taken if re.fullmatch(VERSION_PATTERN, v)]
    if not valid:
        return "0.0.1"
    return next_free_version(max(valid, key=lambda v: tuple(int(p) for p in v.split("."))), taken)


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


# --------------------------------------------------------------------------------------------------
# Messages: each rule's message comes from its field (`x-messages`); the explainers below add what
# exactly is wrong and how to fix it. They phrase errors; they decide nothing.
# --------------------------------------------------------------------------------------------------


def _depth_over(value: Any, limit: int) -> bool:
    """Whether lists and dicts nest deeper than `limit` (walked with a stack: no recursion, whatever the depth)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (list, tuple, dict)):
            if depth > limit:
                return True
            stack.extend((child, depth + 1) for child in (item.values() if isinstance(item, dict) else item))
    return False


def _shown(value: Any, limit: int = 40) -> str:
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or _blank(value):
        return None
    if isinstance(value, str):  # spelled as the bound's own rule reads text (_number_from_text), or no number
        value = value.strip(STRIP_CHARS)
        if not _NUMBER_TEXT_RE.match(value):
            return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if number == number and abs(number) != float("inf") else None


_OWN_TYPES: set[str] = set()  # error types raised by the cross-field rules: their messages are final


def _error(loc: tuple, error_type: str, message: str, value: Any) -> InitErrorDetails:
    _OWN_TYPES.add(error_type)
    return InitErrorDetails(type=PydanticCustomError(error_type, message), loc=loc, input=value)


def _forbidden_in(text: str) -> str:
    return "".join(sorted({c for c in text if c in _FORBIDDEN}))


def _explain_name(value: str) -> tuple[str, str]:
    if len(value) > 64:
        problem = f"it is {len(value)} characters long"
    elif not (value[:1].isascii() and value[:1].isalpha()):
        problem = "it must start with a letter"
    else:
        bad = "".join(dict.fromkeys(c for c in value if not (c.isascii() and (c.isalnum() or c in "_-"))))
        problem = "it contains " + ", ".join("a space" if c == " " else repr(c) for c in bad)
    return "model_name_invalid", (f"name must be 1–64 letters, digits, _ or -, starting with a letter; {problem} — "
                                  f"got {_shown(value)}; try {suggest_model_name(value)!r}")


def explain_model_type(value: str) -> str:
    """What is wrong with a model type the service does not take, in the rule table's words."""
    return _explain_model_type(value)[1]


def _explain_model_type(value: str) -> tuple[str, str]:
    text = value.strip()
    if text.lower() in {t.lower() for t in UNSUPPORTED_MODEL_TYPES}:
        return "model_type_unsupported", (f"model type {text!r} is not supported by this import path (it imports a model "
                                          f"package from a folder); use one of {', '.join(ModelType.__members__)}, or Image "
                                          "for a custom container")
    guess = canonical_model_type(text)
    if not guess:
        lower = {t.lower(): t for t in ModelType.__members__}
        close = difflib.get_close_matches(text.lower(), list(lower), n=1, cutoff=0.6)
        guess = lower[close[0]] if close else ""
    if guess:
        return "model_type_invalid", f"model type must be spelled exactly as the service does: did you mean {guess!r}? — got {_shown(text)}"
    return "model_type_invalid", f"model type must be one of {', '.join(ModelType.__members__)} — got {_shown(text)}"


def _explain_algorithm(value: str) -> tuple[str, str]:
    if len(value) > 36:
        problem = f"it is {len(value)} characters long"
    elif _forbidden_in(value):
        problem = f"it contains {_forbidden_in(value)}"
    else:
        problem = "it must start with a letter"
    return "model_algorithm_invalid", (f"algorithm must start with a letter, be at most 36 characters and contain none of "
                                       f"!<>=&'\"; {problem} — got {_shown(value)}")


def _explain_description(value: str) -> tuple[str, str]:
    problem = f"it is {len(value)} characters long" if len(value) > 100 else f"it contains {_forbidden_in(value)}"
    return "description_invalid", f"description must be at most 100 characters, none of !<>=&'\"; {problem}"


def _explain_package_name(value: str) -> tuple[str, str]:
    spec = re.match(r"^([A-Za-z0-9._-]+)\s*(==|>=|<=|~=|=)\s*(\S+)$", value.strip())
    if spec:
        return "package_name_invalid", (f"put only the name here: package name {spec.group(1)!r}, version {spec.group(3)!r}, "
                                        f"restraint {RESTRAINT_HINTS[spec.group(2)]} — got {_shown(value)}")
    bad = _forbidden_in(value)
    if bad:
        return "package_name_invalid", f"package name must not contain {bad} — got {_shown(value)}"
    return "package_name_invalid", f"package name must be a pip distribution name (letters, digits, . _ -), like numpy — got {_shown(value)}"


def _explain_with_hint(message: str, hints: dict[str, str]) -> Callable[[str], tuple[str, str]]:
    def explain(value: str) -> tuple[str, str]:
        text = value.strip()
        hint = hints.get(text) or hints.get(text.upper()) or hints.get(text.lower())
        return "", f"{message}{f'; did you mean {hint}?' if hint else ''} — got {_shown(text)}"
    return explain


# field name -> explainer of a bad string value: (error type or "" to keep pydantic's, message)
_EXPLAIN: dict[str, Callable[[str], tuple[str, str]]] = {
    "model_name": _explain_name,
    "model_type": _explain_model_type,
    "model_algorithm": _explain_algorithm,
    "description": _explain_description,
    "package_name": _explain_package_name,
    "restraint": _explain_with_hint("restraint must be EXACT, ATLEAST or ATMOST", {**RESTRAINT_HINTS, **{r: r for r in Restraint.__members__}}),
    "param_type": _explain_with_hint("parameter type must be string, object, array, number, integer or file",
                                     {**{t.upper(): t for t in ParamType.__members__},
                                      "BOOLEAN": "string (\"true\"/\"false\") or integer (0/1): ModelArts has no boolean type",
                                      "BOOL": "string (\"true\"/\"false\") or integer (0/1): ModelArts has no boolean type"}),
    "source_location_type": _explain_with_hint("source location type must be OBS_SOURCE or LOCAL_SOURCE",
                                               {t: t for t in SourceLocationType.__members__}),
    "installer": _explain_with_hint("installer must be pip (the only one the service supports)", {"PIP": "pip (lower case)"}),
}


def _collect_messages(model: type[BaseModel], prefix: tuple = (), out: dict | None = None) -> dict[tuple, dict]:
    """Map a field path without indexes, e.g. ("input_params", "param_desc"), to that field's rule messages."""
    out = {} if out is None else out
    for name, info in model.model_fields.items():
        extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
        for key in {name, info.alias or name}:
            out[prefix + (key,)] = extra.get("x-messages", {})
        for inner in _inner_models(info.annotation):
            _collect_messages(inner, prefix + (name,), out)
    return out


def _inner_models(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in getattr(annotation, "__args__", ()) for m in _inner_models(arg)]


# error type (pydantic's, or an explainer's) -> the JSON-schema keyword of the rule it broke, whose message applies
RULE_KEYWORD = {"missing": "required", "string_too_long": "maxLength", "string_too_short": "minLength",
                "too_short": "minItems", "string_pattern_mismatch": "pattern", "enum": "enum", "literal_error": "enum",
                "float_parsing": "type", "float_type": "type", "finite_number": "type", "dict_type": "type",
                "model_name_invalid": "pattern", "model_algorithm_invalid": "pattern", "description_invalid": "pattern",
                "package_name_invalid": "pattern", "model_type_invalid": "enum"}


@functools.lru_cache(maxsize=None)
def _messages_of(model: type[BaseModel]) -> dict[tuple, dict]:
    return _collect_messages(model)


def _field_path(loc: tuple) -> str:
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else ("." if path else "") + str(part)
    return path


def _describe(err: dict[str, Any], model: type[BaseModel] | None = None) -> tuple[str, str]:
    """(type, message) for one pydantic error of `model` (default ModelSpec), in the words of the rule it broke."""
    kind, value = err["type"], err.get("input")
    if kind in _OWN_TYPES or kind.endswith(("_invalid", "_unsupported")):
        return kind, err["msg"]  # worded already: a rule between fields, or an explainer's message from a Param/Package
    names = tuple(part for part in err["loc"] if isinstance(part, str))
    field = names[-1] if names else ""
    if kind in ("string_pattern_mismatch", "enum", "literal_error") and isinstance(value, str) and field in _EXPLAIN:
        explained_type, message = _EXPLAIN[field](value)
        return explained_type or kind, message
    messages = _messages_of(model or ModelSpec).get(names, {})
    rule = messages.get(RULE_KEYWORD.get(kind, "")) or (messages.get("const") if kind == "literal_error" else None)
    if rule:
        return kind, rule if kind == "missing" or _blank(value) else f"{rule} — got {_shown(value)}"
    label = field.replace("_", " ") or "model"
    if kind == "missing":
        return kind, f"{label} is required"
    if kind == "extra_forbidden":
        return kind, f"{field!r} is not a field here; check the spelling"
    if err["msg"][:1].islower():
        return kind, err["msg"]
    return kind, f"{label}: {err['msg'][0].lower()}{err['msg'][1:]}"


# --------------------------------------------------------------------------------------------------
# Reports for the SDK and the form
# --------------------------------------------------------------------------------------------------


class Report(BaseModel):
    """The outcome of checking a model's fields: the spec when valid, else every error; warnings either way."""

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
        return Report(errors=_errors_of(exc), warnings=warnings)
    return Report(spec=spec, warnings=warnings)


def _errors_of(exc: ValidationError, model: type[BaseModel] | None = None) -> list[dict[str, Any]]:
    """A pydantic error as the rule table reports it: `{"field", "type", "message"}`, once per field and kind."""
    errors, seen = [], set()
    for err in exc.errors(include_url=False):
        field = _field_path(err["loc"])
        kind, message = _describe(err, model)
        if (field, kind) not in seen:
            seen.add((field, kind))
            errors.append({"field": field, "type": kind, "message": message})
    return errors



def validate(data: Union[dict[str, Any], ModelSpec]) -> list[dict[str, Any]]:
    """Every rule violation as `{"field": "input_params[2].max", "type": …, "message": …}`; [] when valid."""
    return check(data).errors
