"""SDK fields -> the body of ModelArts' `POST /v1/{project_id}/models` (spec §1), and list items back to SDK names.

Pure functions: no I/O. The SDK's names (`source_location_type`, `obs://` and `/bucket/dir/` paths, config.json
`apis`, JSON-schema `integer`) become the wire's (no type field, `https://bucket.<obs host>/dir/`, REST `apis`,
`int`); nothing optional is sent empty and `null` is never sent.
"""

from __future__ import annotations

import json
from typing import Any, Optional

from .. import spec
from .endpoints import Endpoints

_TEXT_FIELDS = ("model_name", "model_version", "model_type", "runtime", "model_algorithm", "description",
                "source_job_id", "source_job_version", "source_type")
_DEFAULT_PROTOCOL = spec.Api.model_fields["protocol"].default  # the rule table's defaults of an api: http, post
_DEFAULT_METHOD = spec.Api.model_fields["method"].default


def obs_url(location: str, endpoints: Endpoints) -> str:
    """`obs://bucket/dir/` or `/bucket/dir/` -> `https://bucket.<obs endpoint host>/dir/`; https URLs stay."""
    text = location.strip()
    if text.startswith(("https://", "http://")):
        return text
    path = text[len("obs://"):] if text.startswith("obs://") else text.lstrip("/")
    bucket, _, rest = path.partition("/")
    return f"{endpoints.obs_scheme}://{bucket}.{endpoints.obs_host}/{rest}"


def package_folder(location: str) -> tuple[str, str]:
    """An OBS source given as the package's model/ folder itself (as the vendor's samples write it) -> the folder that
    contains it, which is what the service takes; returns (location, a sentence saying so or "")."""
    text = location.strip()
    trimmed = text.rstrip("/")
    if trimmed.rsplit("/", 1)[-1] != "model" or trimmed.count("/") < (4 if "://" in trimmed else 3):  # not a bucket root
        return text, ""
    parent = trimmed[: -len("model")]
    return parent, f"{text} is the model/ folder itself: the service was given the folder that contains it, {parent}"


def _param(row: dict[str, Any], api: Optional[dict[str, Any]]) -> dict[str, Any]:
    out = {"protocol": (api or {}).get("protocol") or _DEFAULT_PROTOCOL,
           "method": (api or {}).get("method") or _DEFAULT_METHOD,
           "url": row.get("url") or "/",
           "param_name": row["param_name"],
           "param_type": spec.WIRE_PARAM_TYPES[str(row["param_type"])]}
    for key in ("min", "max"):
        if row.get(key) is not None:
            value = row[key]
            out[key] = int(value) if float(value).is_integer() else value
    if row.get("param_desc"):
        out["param_desc"] = row["param_desc"]
    return out


def _schema(body: Optional[dict[str, Any]]) -> dict[str, Any]:
    """A config.json request/response `data` schema as the wire's ModelInOutputParams ({"type": "object", ...})."""
    data = (body or {}).get("data")
    data = dict(data) if isinstance(data, dict) else {}
    data["type"] = "object"
    data.setdefault("properties", {})
    return _without_nulls(data)


def _api(api: dict[str, Any]) -> dict[str, Any]:
    return {"protocol": api.get("protocol") or _DEFAULT_PROTOCOL, "method": api.get("method") or _DEFAULT_METHOD,
            "url": api.get("url") or "/", "input_params": _schema(api.get("request")),
            "output_params": _schema(api.get("response"))}


def _without_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nulls(v) for v in value if v is not None]
    return value


def create_body(fields: dict[str, Any], endpoints: Endpoints, source_location: Optional[str] = None,
                package_config: Optional[dict[str, Any]] = None) -> dict[str, Any]:
    """The create request for validated `fields` (`ModelSpec.to_fields()`); `source_location` replaces the given
    one (an uploaded LOCAL_SOURCE folder's OBS URL). An `initial_config` goes as the wire's JSON text of the effective
    config (spec.effective_config over `package_config`, the package's config.json when it was read here), because
    the service takes it instead of config.json."""
    body: dict[str, Any] = {key: str(fields[key]) for key in _TEXT_FIELDS if fields.get(key) not in (None, "")}
    body["source_location"] = obs_url(source_location or str(fields["source_location"]), endpoints)
    if fields.get("execution_code"):
        code = str(fields["execution_code"])
        body["execution_code"] = obs_url(code, endpoints) if code.startswith(("obs://", "/", "http")) else code
    apis = [dict(a) for a in fields.get("apis") or []]
    first_api = apis[0] if apis else None
    for group in ("input_params", "output_params"):
        rows = fields.get(group) or []
        if rows:
            body[group] = [_param(row, first_api) for row in rows]
    if fields.get("dependencies"):
        body["dependencies"] = [{"installer": dep.get("installer") or "pip",
                                 "packages": [{k: str(v) for k, v in package.items() if v not in (None, "")}
                                              for package in dep["packages"]]}
                                for dep in fields["dependencies"]]
    if apis:
        body["apis"] = [_api(api) for api in apis]
    if fields.get("initial_config"):
        effective = spec.effective_config(package_config or {}, fields["initial_config"], fields)
        body["initial_config"] = json.dumps(effective, ensure_ascii=False, allow_nan=False)
    return _without_nulls(body)


def list_item(item: dict[str, Any]) -> dict[str, Any]:
    """A list item with `model_type` in the SDK's spelling (the service's list shows e.g. `tensorflow`)."""
    out = dict(item)
    if isinstance(out.get("model_type"), str):
        out["model_type"] = spec.canonical_model_type(out["model_type"]) or out["model_type"]
    return out
