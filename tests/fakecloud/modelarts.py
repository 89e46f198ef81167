"""The ModelArts stand-in: POST/GET/DELETE /v1/{project_id}/models[...] and ai-engine-runtimes, per spec §1–§3.

Models publish lazily: a model is `publishing` until `publish_delay` seconds after its create, and the outcome is
settled the first time anyone looks after that (no timer threads). It speaks only the documented contract.
"""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from .auth import AuthFailure, authenticate
from .http import HttpError, Reply, Request, StandIn
from .runtimes import engine_runtimes
from .schema import Invalid, validate_create

if TYPE_CHECKING:
    from .cloud import FakeCloud

MAX_BODY = 12 * 1024 * 1024
_ROUTE = re.compile(r"/v1/([^/]+)/models(?:/([^/]+))?")
LIST_PARAMS = {"model_name", "exact_match", "model_version", "model_status", "description", "offset", "limit",
               "sort_by", "order", "workspace_id", "model_type", "not_model_type"}
MODEL_STATUSES = ("publishing", "published", "failed", "building", "building_failed")
_DETAIL_ONLY = ("request", "failure_reason", "deployed")


def _like(needle: str) -> "re.Pattern[str]":
    """SQL LIKE '%needle%' as the service's fuzzy match does it: `_` is any one character, `%` any run."""
    return re.compile("".join("." if ch == "_" else ".*" if ch == "%" else re.escape(ch) for ch in needle), re.S)


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split(".") if part.isdigit())


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict:
    names = [name for name, _ in pairs]
    for name in names:
        if names.count(name) > 1:
            raise Invalid("ModelArts.0101", f"Invalid Argument. Duplicate field ({name}).", name)
    return dict(pairs)


class ModelArtsStandIn(StandIn):
    service = "modelarts"

    def __init__(self, cloud: "FakeCloud", *, publish_delay: float, host: str = "127.0.0.1", **kwargs: Any):
        super().__init__(host=host, **kwargs)
        self.cloud = cloud
        self.publish_delay = publish_delay
        self._models: dict[str, dict] = {}
        self._due: dict[str, float] = {}
        self._fail_next: list[str] = []
        self._last_create_ms = 0
        self._lock = threading.RLock()

    # -- state used by FakeCloud -------------------------------------------------------------------------------
    @property
    def models(self) -> dict[str, dict]:
        self._settle_due()
        return self._models

    def fail_next_import(self, reason: str) -> None:
        with self._lock:
            self._fail_next.append(reason)

    def deploy(self, model_id: str) -> None:
        with self._lock:
            if model_id not in self._models:
                raise KeyError(f"no model {model_id}")
            self._models[model_id]["deployed"] = True

    # -- routing -----------------------------------------------------------------------------------------------
    def handle(self, request: Request) -> Reply:
        self._settle_due()
        route = _ROUTE.fullmatch(request.path)
        if route is None:
            return self.error(404, "APIG.0101", "The API does not exist or has not been published in the "
                              "environment.", request)
        project_id, item = route.groups()
        allowed = ("GET", "POST") if item is None else ("GET",) if item == "ai-engine-runtimes" else ("GET", "DELETE")
        if request.method not in allowed:
            return self.error(405, "APIG.0101", f"Method {request.method} is not allowed here.", request,
                              {"Allow": ", ".join(allowed)})
        self._authorize(request, project_id)
        if item is None:
            return self._create(request) if request.method == "POST" else self._list(request)
        if item == "ai-engine-runtimes":
            return self._runtimes(request)
        return self._show(request, item) if request.method == "GET" else self._delete(request, item)

    def _authorize(self, request: Request, project_id: str) -> None:
        try:
            principal = authenticate(request, self.cloud.keyring, server_time=self.cloud.server_time(),
                                     domain_id=self.cloud.domain_id)
        except AuthFailure as failure:
            raise HttpError(self.error(failure.status, failure.code, failure.message, request)) from None
        mismatch = self.error(403, "ModelArts.0210", "The project id in the request URL does not match the token.",
                              request)
        if principal.scheme == "token":
            if principal.project_id is None:
                raise HttpError(self.error(401, "ModelArts.0212", "The token is not a project-scoped token.",
                                           request))
            header = request.header("X-Project-Id")
            if principal.project_id != project_id or (header is not None and header != project_id):
                raise HttpError(mismatch)
        else:
            if principal.project_id is None:
                raise HttpError(self.error(401, "APIG.0301", "Incorrect IAM authentication information: "
                                           "X-Project-Id is required with AK/SK for a regional service.", request))
            if principal.project_id != project_id or project_id != self.cloud.project_id:
                raise HttpError(mismatch)

    def _bad_query(self, request: Request, detail: str) -> HttpError:
        return HttpError(self.error(400, "ModelArts.0104", f"Parameter error. {detail}", request))

    # -- POST /v1/{project_id}/models --------------------------------------------------------------------------
    def _create(self, request: Request) -> Reply:
        if len(request.body) > MAX_BODY:
            return self.error(413, "ModelArts.4104", "The request body is larger than 12 MB.", request)
        if not (request.header("Content-Type") or "").lower().startswith("application/json"):
            return self.error(400, "ModelArts.0101", "Invalid Argument. Content-Type must be application/json.",
                              request)
        try:
            try:
                body = json.loads(request.body.decode("utf-8"), object_pairs_hook=_no_duplicate_keys)
            except ValueError:
                return self.error(400, "ModelArts.0101", "Invalid Argument. The request body is not JSON.", request)
            validate_create(body)
        except Invalid as exc:
            return self.error(400, exc.code, exc.message, request)
        with self._lock:
            for model in self._models.values():
                if (model["model_name"], model["model_version"]) == (body["model_name"], body["model_version"]):
                    return self.error(409, "ModelArts.3002",
                                      f"Model ({body['model_name']}, {body['model_version']}) already exists.", request)
            location = body.get("source_location", "")
            obs = self._obs_location(location)
            if obs == "noncompliant":
                return self.error(400, "ModelArts.3017", "Failed to publish model because source location "
                                  "noncompliance.", request)
            if obs is not None and not self._obs_keys(*obs):
                return self.error(400, "ModelArts.3551", f"OBS path {location} does not exist.", request)
            model_id = str(uuid.uuid4())
            self._last_create_ms = max(int(time.time() * 1000), self._last_create_ms + 1)
            self._models[model_id] = self._new_model(model_id, body, self._last_create_ms)
            self._models[model_id]["failure_reason"] = self._fail_next.pop(0) if self._fail_next else None
            self._due[model_id] = time.monotonic() + self.publish_delay
        return Reply.json(200, {"model_id": model_id})

    def _new_model(self, model_id: str, body: dict, create_at: int) -> dict:
        cloud = self.cloud
        install = [value.replace("-", "") for value in body.get("install_type", ["real-time", "batch", "edge"])]
        return {
            "model_id": model_id, "model_name": body["model_name"], "model_version": body["model_version"],
            "model_type": body["model_type"], "model_size": 0, "model_status": "publishing",
            "model_source": "auto" if body.get("source_type") == "auto" else "custom",
            "model_algorithm": body.get("model_algorithm", ""), "runtime": body.get("runtime", ""),
            "description": body.get("description", ""), "source_location": body.get("source_location", ""),
            "source_job_id": body.get("source_job_id", ""), "source_job_version": body.get("source_job_version", ""),
            "source_type": body.get("source_type", ""), "source_copy": body.get("source_copy", ""),
            "execution_code": body.get("execution_code", ""), "schema_doc": "", "image_address": "",
            "tenant": cloud.domain_id, "project": cloud.project_id, "owner": cloud.domain_id,
            "workspace_id": body.get("workspace_id", "0"), "create_at": create_at,
            "input_params": body.get("input_params", []), "output_params": body.get("output_params", []),
            "dependencies": body.get("dependencies", []), "model_metrics": body.get("model_metrics", ""),
            "apis": json.dumps(body.get("apis", [])), "config": body.get("initial_config", "{}"),
            "health": {}, "model_docs": body.get("model_docs", []), "model_labels": [], "labels_map": {"labels": []},
            "install_type": install, "specification": {}, "tunable": False, "market_flag": False,
            "publishable_flag": True,
            # server-side only, never on the wire:
            "request": body, "failure_reason": None, "deployed": False,
        }

    # -- OBS ---------------------------------------------------------------------------------------------------
    def _obs_location(self, location: str) -> Any:
        """(bucket, prefix) when `location` is in the OBS stand-in, "noncompliant" for a path-style URL to it,
        None when it is somewhere this fake cannot look (an SWR image, another host)."""
        obs = self.cloud.obs
        if obs is None or not location.startswith(("http://", "https://")):
            return None
        parts = urlsplit(location)
        netloc = parts.netloc.lower()
        public = re.fullmatch(r"([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])\.obs\." + re.escape(self.cloud.region)
                              + r"\.myhuaweicloud\.com", netloc)
        if public:
            bucket = public.group(1)
        elif netloc.endswith("." + obs.netloc):
            bucket = netloc[: -len(obs.netloc) - 1]
        elif netloc == obs.netloc:
            return "noncompliant"
        else:
            return None
        prefix = unquote(parts.path).lstrip("/")
        return bucket, (prefix.rstrip("/") + "/") if prefix else ""

    def _obs_keys(self, bucket: str, prefix: str) -> list[str]:
        try:
            return list(self.cloud.obs.list_keys(bucket, prefix))
        except Exception:  # an unknown bucket, whatever the OBS stand-in raises for it
            return []

    # -- publishing --------------------------------------------------------------------------------------------
    def _settle_due(self) -> None:
        now = time.monotonic()
        with self._lock:
            for model_id in [mid for mid, due in self._due.items() if due <= now]:
                del self._due[model_id]
                if model_id in self._models:
                    self._settle(self._models[model_id])

    def _settle(self, model: dict) -> None:
        reason = model["failure_reason"]
        config_text = model["config"] if "initial_config" in model["request"] else None
        obs = self._obs_location(model["source_location"])
        if reason is None and model["model_type"] == "Custom":
            if not re.fullmatch(r"[a-zA-Z0-9.:_-]+/[a-z0-9._-]+/[a-zA-Z0-9._-]+:[a-zA-Z0-9._-]+", model["runtime"]):
                reason = "A Custom model's runtime must be the address of its image in SWR."
            obs = None  # its image serves it: the OBS folder only carries files for it
        if reason is None and isinstance(obs, tuple):
            bucket, prefix = obs
            keys = self._obs_keys(bucket, prefix)
            if prefix + "model/config.json" not in keys:
                reason = "The model package has no model/config.json."
            elif model["model_type"] != "Image" and prefix + "model/customize_service.py" not in keys:
                reason = "The model package has no model/customize_service.py."
            else:
                try:
                    config_text = config_text or self.cloud.obs.get_object(bucket, prefix + "model/config.json").decode()
                    config = json.loads(config_text)
                    if not isinstance(config, dict):
                        raise ValueError
                except ValueError:
                    reason = "Config json file does not conform to the specification."
                else:
                    if model["model_type"] == "Image" and "swr_location" not in config:
                        reason = "An Image model's config.json needs swr_location."
                    model["model_size"] = sum(len(self.cloud.obs.get_object(bucket, key)) for key in keys)
        if reason is not None:
            model["model_status"], model["failure_reason"] = "failed", reason
            return
        if config_text:
            model["config"] = config_text
            if "apis" not in model["request"]:
                model["apis"] = json.dumps(self._apis_from_config(json.loads(config_text)))
        model["model_status"] = "published"
        model["image_address"] = f"100.125.5.235:20202/models/{model['model_id']}:{model['model_version']}"

    @staticmethod
    def _apis_from_config(config: dict) -> list[dict]:
        apis = []
        for api in config.get("apis") or []:
            if isinstance(api, dict):
                apis.append({"protocol": api.get("protocol", "http"), "method": api.get("method", "post"),
                             "url": api.get("url", "/"),
                             "input_params": (api.get("request") or {}).get("data", {}),
                             "output_params": (api.get("response") or {}).get("data", {})})
        return apis

    # -- GET /v1/{project_id}/models/{model_id} ----------------------------------------------------------------
    def _missing(self, request: Request, model_id: str) -> Reply:
        return self.error(404, "ModelArts.3001", f"Model ({model_id}) does not exist.", request)

    def _show(self, request: Request, model_id: str) -> Reply:
        with self._lock:
            model = self._models.get(model_id)
            if model is None:
                return self._missing(request, model_id)
            return Reply.json(200, {k: v for k, v in model.items() if k not in _DETAIL_ONLY})

    # -- GET /v1/{project_id}/models ---------------------------------------------------------------------------
    def _list(self, request: Request) -> Reply:
        params = dict(request.params())
        for name in params:
            if name not in LIST_PARAMS:
                raise self._bad_query(request, f"Unknown query parameter ({name}).")
        offset = self._int_param(request, params, "offset", 0, minimum=0)
        limit = self._int_param(request, params, "limit", 1000, minimum=1)
        sort_by = params.get("sort_by", "create_at")
        order = params.get("order", "desc")
        exact = params.get("exact_match", "false")
        if sort_by not in ("create_at", "model_version", "model_size"):
            raise self._bad_query(request, f"Invalid sort_by ({sort_by}).")
        if order not in ("asc", "desc"):
            raise self._bad_query(request, f"Invalid order ({order}).")
        if exact not in ("true", "false"):
            raise self._bad_query(request, f"Invalid exact_match ({exact}).")
        if "model_type" in params and "not_model_type" in params:
            raise self._bad_query(request, "model_type and not_model_type cannot be used together.")
        if "model_status" in params and params["model_status"] not in MODEL_STATUSES:
            raise self._bad_query(request, f"Invalid model_status ({params['model_status']}).")
        with self._lock:
            rows = [model for model in self._models.values() if self._matches(model, params, exact == "true")]
            key = {"create_at": lambda m: (m["create_at"],),
                   "model_version": lambda m: (_version_key(m["model_version"]), m["create_at"]),
                   "model_size": lambda m: (m["model_size"], m["create_at"])}[sort_by]
            rows.sort(key=key, reverse=order == "desc")
            page = rows[offset * limit: offset * limit + limit]
            items = [self._list_item(model) for model in page]
        return Reply.json(200, {"total_count": len(rows), "count": len(items), "models": items})

    def _int_param(self, request: Request, params: dict, name: str, default: int, *, minimum: int) -> int:
        if name not in params:
            return default
        if not re.fullmatch(r"\d+", params[name]) or int(params[name]) < minimum:
            raise self._bad_query(request, f"Invalid {name} ({params[name]}).")
        return int(params[name])

    @staticmethod
    def _matches(model: dict, params: dict, exact: bool) -> bool:
        name = params.get("model_name")
        if name is not None:
            if exact and model["model_name"] != name:
                return False
            if not exact and not _like(name).search(model["model_name"]):
                return False
        if "model_version" in params and model["model_version"] != params["model_version"]:
            return False
        if "model_status" in params and model["model_status"] != params["model_status"]:
            return False
        if "description" in params and not _like(params["description"]).search(model["description"]):
            return False
        if model["workspace_id"] != params.get("workspace_id", "0"):
            return False
        model_type = model["model_type"].lower()
        if "model_type" in params and model_type not in params["model_type"].lower().split(","):
            return False
        if "not_model_type" in params and model_type in params["not_model_type"].lower().split(","):
            return False
        return True

    @staticmethod
    def _list_item(model: dict) -> dict:
        item = {name: model[name] for name in (
            "owner", "model_version", "description", "project", "source_type", "model_id", "model_source",
            "install_type", "model_size", "workspace_id", "model_status", "market_flag", "tunable", "model_name",
            "create_at", "publishable_flag", "source_copy", "tenant", "specification")}
        item.update(model_type=model["model_type"].lower(), subscription_id="", extra="")
        return item

    # -- DELETE /v1/{project_id}/models/{model_id} -------------------------------------------------------------
    def _delete(self, request: Request, model_id: str) -> Reply:
        params = dict(request.params())
        for name in params:
            if name != "cascade":
                raise self._bad_query(request, f"Unknown query parameter ({name}).")
        cascade = params.get("cascade", "false")
        if cascade not in ("true", "false"):
            raise self._bad_query(request, f"Invalid cascade ({cascade}).")
        with self._lock:
            target = self._models.get(model_id)
            if target is None:
                return self._missing(request, model_id)
            ids = [model_id]
            if cascade == "true":
                siblings = sorted((m for m in self._models.values()
                                   if m["model_name"] == target["model_name"] and m["model_id"] != model_id),
                                  key=lambda m: m["create_at"])
                ids += [m["model_id"] for m in siblings][:19]
            deleted, failed = [], []
            for each in ids:
                if self._models[each]["deployed"]:
                    failed.append({"model_id": each, "error_code": "ModelArts.3009",
                                   "error_msg": f"Failed to delete model because the model ({each}) has been used "
                                                "to deploy a service."})
                else:
                    del self._models[each]
                    self._due.pop(each, None)
                    deleted.append(each)
        return Reply.json(200, {"delete_success_list": deleted, "delete_failed_list": failed})

    # -- GET /v1/{project_id}/models/ai-engine-runtimes --------------------------------------------------------
    def _runtimes(self, request: Request) -> Reply:
        params = dict(request.params())
        for name in params:
            if name not in ("limit", "offset"):
                raise self._bad_query(request, f"Unknown query parameter ({name}).")
        engines = engine_runtimes()
        limit = self._int_param(request, params, "limit", len(engines), minimum=1)
        offset = self._int_param(request, params, "offset", 0, minimum=0)
        page = engines[offset * limit: offset * limit + limit]
        return Reply.json(200, {"count": len(page), "total_count": len(engines), "engine_runtimes": page})
