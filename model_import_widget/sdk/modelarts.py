"""`ModelArtsBackend`: the RegistryBackend that talks to the ModelArts REST API (spec §1–§3) over `requests`.

Same contract as the embedded registry: create (a LOCAL_SOURCE folder is uploaded to OBS first), get, list (offset is
the page index), delete (cascade; per-model failures inside a 200), runtimes. A create whose answer was lost is never
sent again blindly: the model is looked up by name and version first. No secret reaches a repr, log or exception.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
from pathlib import Path
from typing import Any, Optional

from ..backend import (ENV_OBS_LOCATION, FINAL_STATUSES, Progress, ProgressCallback, RegistryBackend,
                       obs_location_or_default)
from ..errors import (
    DuplicateModelError,
    ImportCancelledError,
    ModelImportError,
    ModelNotFoundError,
    ObsLocationError,
    PackageError,
    ServiceError,
)
from .auth import Authenticator
from .credentials import Credentials
from .endpoints import Endpoints
from .http import Ambiguous, Transport, json_of
from .wire import create_body, list_item

ENV_POLL_INTERVAL = "MODEL_IMPORT_WIDGET_POLL_INTERVAL"
DEFAULT_POLL_INTERVAL = 2.0
"""Seconds between status polls while waiting for a model (the service builds for minutes; tests set ms)."""
CREATE_ATTEMPTS = 3
STATUS_CHECK_EVERY = 5.0
"""Seconds between the cancel watcher's status checks (it only needs to know when the model is done)."""
LOOKUP_SETTLE = 0.5
"""Seconds to wait before looking up a model whose create answer was lost (the service may still be writing it)."""


def _unreadable(response, what: str) -> ServiceError:
    return ServiceError(response.status_code, "HTTP.UnreadableAnswer", what, response.headers.get("X-Request-Id"),
                        "check the endpoint and any proxy between here and the service")


def _is_local(fields: dict[str, Any]) -> bool:
    return str(fields.get("source_location_type") or "OBS_SOURCE").upper() == "LOCAL_SOURCE"


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


class ModelArtsBackend(RegistryBackend):
    """Models in a ModelArts project. Built on a session's first use; sends nothing until a call needs it."""

    kind = "modelarts"

    def __init__(self, credentials: Credentials, endpoints: Endpoints, *, project_id: Optional[str] = None,
                 state_dir: Optional[Path] = None,
                 poll_interval: Optional[float] = None, transport: Optional[Transport] = None):
        self.endpoints = endpoints
        self.auth = Authenticator(credentials, endpoints, project_id=project_id)
        self.transport = transport or Transport(self.auth.requests_auth)
        self.state_dir = state_dir
        self.poll_interval = poll_interval if poll_interval is not None else float(
            os.environ.get(ENV_POLL_INTERVAL) or DEFAULT_POLL_INTERVAL)
        self._events: dict[str, list[dict[str, Any]]] = {}
        self._uploads: dict[str, tuple[str, list[str]]] = {}  # model id -> (bucket, object keys) uploaded here
        self._cancels: dict[str, threading.Event] = {}
        self._cancelled: set[str] = set()
        self._lock = threading.Lock()
        self._cancel_lock = threading.Lock()
        self._closed = threading.Event()

    def __repr__(self) -> str:
        return f"<ModelArtsBackend {self.endpoints.modelarts} ({self.endpoints.region})>"

    def _url(self, path: str = "") -> str:
        project = self.auth.project_id()
        return f"{self.endpoints.modelarts}/v1/{project}/models{path}"

    def _note(self, model_id: str, text: str, kind: str = "normal") -> None:
        with self._lock:
            self._events.setdefault(model_id, []).append({"event_type": kind, "event_info": text,
                                                          "create_time": _now_ms()})

    # ---- create -------------------------------------------------------------------------------------------

    def create_model(self, fields: dict[str, Any], *, progress: ProgressCallback | None = None,
                     cancel: threading.Event | None = None, obs_location: str | None = None) -> str:
        name, version = str(fields["model_name"]), str(fields["model_version"])
        existing = self._find(name, version)
        if existing is not None:
            raise self.duplicate_error(name, version, existing)
        uploaded: Optional[tuple[str, list[str]]] = None
        source = None
        package_config: dict[str, Any] = {}
        notes: list[str] = []
        if _is_local(fields):
            source, uploaded, note, package_config = self._upload(fields, obs_location, progress, cancel)
            notes.append(note)
        else:
            source, note = self._obs_package(str(fields["source_location"]))
            notes.append(note)
            if progress is not None:  # nothing to move: the start and the end are the same moment
                progress(Progress(0, 0, 0, 0))
        try:
            if cancel is not None and cancel.is_set():
                raise ImportCancelledError()
            body = create_body(fields, self.endpoints, source, package_config)
            model_id, how = self._create(body, name, version)
        except DuplicateModelError as exc:
            if uploaded is not None and not self._uses_upload(exc.model_id, body["source_location"]):
                self._remove_upload(*uploaded)  # another import won with other files: ours are nobody's
            raise  # (when it won with the same folder, the files are its source now and stay)
        except BaseException:
            if uploaded is not None:
                self._remove_upload(*uploaded)
            raise
        notes.append(how)
        for text in notes:
            if text:
                self._note(model_id, text)
        if uploaded is not None:
            with self._lock:
                self._uploads[model_id] = uploaded
        if cancel is not None:
            with self._lock:
                self._cancels[model_id] = cancel
            threading.Thread(target=self._watch_cancel, args=(model_id, cancel), daemon=True,
                             name=f"modelarts-cancel-{model_id[:8]}").start()
        return model_id

    def _create(self, body: dict[str, Any], name: str, version: str) -> tuple[str, str]:
        """POST the model; an answer lost on the way is settled by looking the model up, never by re-sending blindly."""
        lost = False
        for _ in range(CREATE_ATTEMPTS):
            try:
                response = self.transport.request("POST", self._url(), body=body, idempotent=False)
            except Ambiguous:
                lost = True
                time.sleep(min(LOOKUP_SETTLE, self.poll_interval))
                found = self._find(name, version)
                if found is not None:
                    return found, "Created (the service's answer was lost on the way; found by name and version)"
                continue  # the service did not create it: sending it again cannot duplicate it
            except ServiceError as exc:
                if exc.error_code == "ModelArts.3002":
                    found = self._find(name, version)
                    if lost and found is not None:  # our own earlier, lost attempt made it
                        return found, "Created (the service's answer was lost on the way; found by name and version)"
                    raise self.duplicate_error(name, version, found, exc.request_id) from None
                raise
            try:
                model_id = json_of(response, "the create answer").get("model_id")
            except ServiceError:
                model_id = None  # accepted, but the answer cannot be read: look it up like a lost one
            if not isinstance(model_id, str) or not model_id:
                found = self._find(name, version)
                if found is not None:
                    return found, "Created (the service's answer could not be read; found by name and version)"
                raise ServiceError(response.status_code, "ModelArts.Unexpected",
                                   "the service accepted the model but answered without a model_id",
                                   response.headers.get("X-Request-Id"),
                                   f"look for {name} {version} in the ModelArts console")
            return str(model_id), f"Created in ModelArts ({self.endpoints.region})"
        raise ModelImportError(f"the service did not confirm creating {name} {version} after {CREATE_ATTEMPTS} "
                               "attempts whose answers were lost, and it does not list it: check the network, then "
                               "import again")

    def _find(self, name: str, version: str) -> Optional[str]:
        listing = self.list_models(model_name=name, exact_match=True, model_version=version, limit=10)
        return next((m["model_id"] for m in listing["models"]
                     if m.get("model_name") == name and m.get("model_version") == version), None)

    def _upload(self, fields: dict[str, Any], obs_location: Optional[str], progress: ProgressCallback | None,
                cancel: threading.Event | None) -> tuple[str, tuple[str, list[str]], str, dict[str, Any]]:
        """Upload a LOCAL_SOURCE folder; returns (its obs:// URL, (bucket, keys written), an event text, its
        config.json content)."""
        from ..spec import human_size
        from .obs import ObsClient, parse_obs_location
        from .obs_upload import upload_folder

        target = obs_location_or_default(obs_location)
        if not target:
            raise ObsLocationError(f"a local folder is uploaded to OBS before ModelArts imports it: pass "
                                   f"obs_location='obs://<bucket>/<folder>/' or set {ENV_OBS_LOCATION}")
        bucket, prefix = parse_obs_location(target)
        tree, taken_as, lint = self._local_tree(fields)
        name, version = str(fields["model_name"]), str(fields["model_version"])
        tag = hashlib.sha256(f"{tree.root}\0{name}\0{version}".encode()).hexdigest()[:8]
        folder = f"{prefix}{name}-{version}-{tag}/"
        client = ObsClient(self.endpoints.obs, self.auth.obs_keys, retries=self.transport.retries,
                           backoff=self.transport.backoff)
        with client:
            result = upload_folder(client, tree, bucket, folder, progress=progress, cancel=cancel,
                                   state_dir=self.state_dir)
        resumed = f", {result.resumed_files} resumed from an earlier attempt" if result.resumed_files else ""
        caveat = f" ({result.checkpoint_problem}: an interrupted upload would have started over)" \
            if result.checkpoint_problem else ""
        note = (f"Uploaded {result.files} files ({human_size(result.bytes)}) from {tree.root} to "
                f"obs://{bucket}/{folder}{resumed}{caveat}" + "".join(
                    f"; {text}" for text in [taken_as] + [w["message"] for w in lint.warnings] if text))
        return f"obs://{bucket}/{folder}", (bucket, list(result.keys)), note, lint.config

    def _obs_package(self, location: str) -> tuple[Optional[str], str]:
        """An OBS source given as the model/ folder itself (the vendor's samples write it so) -> the folder that
        contains it, when OBS shows model/config.json there and no model/ inside (as package_tree decides for a local
        folder); (None, "") leaves the location as given — also when OBS cannot be asked."""
        from .obs import ObsClient, parse_obs_location
        from .wire import package_folder

        parent, note = package_folder(location)
        if not note:
            return None, ""
        try:
            bucket, prefix = parse_obs_location(location)
            with ObsClient(self.endpoints.obs, self.auth.obs_keys, retries=self.transport.retries,
                           backoff=self.transport.backoff) as client:
                itself = client.head_object(bucket, f"{prefix}config.json") is not None
                if not itself or client.head_object(bucket, f"{prefix}model/config.json") is not None:
                    return None, ""
        except (ModelImportError, ValueError):
            return None, ""
        return parent, note

    def check_package(self, fields: dict[str, Any]) -> list[dict[str, Any]]:
        """A LOCAL_SOURCE folder is linted here; an OBS folder is the service's to check (it reads it in place)."""
        return self._local_tree(fields)[2].warnings if _is_local(fields) else []

    @staticmethod
    def _local_tree(fields: dict[str, Any]):
        """A LOCAL_SOURCE package's files, walked and linted: (tree, how it was taken, Lint); PackageError names
        every problem."""
        from ..registry.importer import package_tree, resolve_source
        from ..registry.lint import lint_package

        location = str(fields["source_location"])
        tree, taken_as = package_tree(resolve_source(location, "LOCAL_SOURCE", Path.cwd()), location)
        lint = lint_package(tree, str(fields.get("model_type") or ""), fields.get("initial_config"), fields)
        if lint.problems:
            raise PackageError(lint.problems, location)
        return tree, taken_as, lint

    def _uses_upload(self, model_id: Optional[str], source_location: str) -> bool:
        """Whether the model `model_id` was created from `source_location` (True when that cannot be told)."""
        if not model_id:
            return True
        try:
            winner = str(self.get_model(model_id).get("source_location") or "")
        except ModelImportError:
            return True
        return winner.rstrip("/") == source_location.rstrip("/")

    def _remove_upload(self, bucket: str, keys: list[str]) -> None:
        from .obs import ObsClient

        with ObsClient(self.endpoints.obs, self.auth.obs_keys, retries=self.transport.retries,
                       backoff=self.transport.backoff) as client:
            try:
                client.delete_objects(bucket, keys)
            except ModelImportError:
                pass  # best effort: the original error is what the user must see

    def _watch_cancel(self, model_id: str, cancel: threading.Event) -> None:
        """Setting `cancel` while the model publishes removes it (and what was uploaded for it), as the registry does.
        Ends with the model (final status or gone), with close(), or after a few failed status checks in a row."""
        failures, next_check = 0, time.monotonic() + STATUS_CHECK_EVERY
        while not self._closed.is_set():
            if cancel.wait(self.poll_interval):
                self._cancel_now(model_id)
                return
            if time.monotonic() < next_check:
                continue
            next_check = time.monotonic() + STATUS_CHECK_EVERY
            try:
                if self.get_model(model_id)["model_status"] in FINAL_STATUSES:
                    return
                failures = 0
            except ModelNotFoundError:
                return
            except ModelImportError:
                failures += 1
                if failures >= 3:
                    return

    def _cancel_now(self, model_id: str) -> bool:
        """Delete a model that is still publishing, then what was uploaded for it; True if it is gone. Called by the
        watcher and by wait_model, whichever sees the cancel first; the other waits here and finds it done."""
        with self._cancel_lock:
            if model_id in self._cancelled:
                return True
            try:
                if self.get_model(model_id)["model_status"] in FINAL_STATUSES:
                    return False  # too late: it is published (or failed) and stays
                if model_id not in self.delete_model(model_id)["delete_success_list"]:
                    return False  # the service kept it (e.g. ModelArts.3009): its files stay too
            except ModelNotFoundError:
                pass
            except ModelImportError:
                return False
            self._cancelled.add(model_id)
            with self._lock:
                uploaded = self._uploads.pop(model_id, None)
            if uploaded is not None:  # the model no longer refers to the files: now they can go
                self._remove_upload(*uploaded)
            return True

    # ---- read ---------------------------------------------------------------------------------------------

    def get_model(self, model_id: str) -> dict[str, Any]:
        try:
            response = self.transport.request("GET", self._url(f"/{model_id}"))
        except ModelNotFoundError as exc:
            raise ModelNotFoundError(model_id, exc.request_id) from None
        info = json_of(response, "the model's details")
        if not isinstance(info.get("model_status"), str) or not isinstance(info.get("model_id", model_id), str):
            raise _unreadable(response, "the model's details have no model_status")
        return info

    def list_models(self, *, model_name: str | None = None, exact_match: bool = False,
                    model_version: str | None = None, model_status: str | None = None,
                    description: str | None = None, model_type: str | None = None, offset: int = 0,
                    limit: int = 1000, sort_by: str = "create_at", order: str = "desc") -> dict[str, Any]:
        params = {"model_name": model_name or None, "exact_match": "true" if exact_match and model_name else None,
                  "model_version": model_version or None, "model_status": model_status or None,
                  "description": description or None, "model_type": model_type or None,
                  "offset": offset, "limit": limit, "sort_by": sort_by, "order": order}
        response = self.transport.request("GET", self._url(), params=params)
        body = json_of(response, "the model list")
        items, total = body.get("models") or [], body.get("total_count", 0)
        if not isinstance(items, list) or not all(isinstance(m, dict) and isinstance(m.get("model_id"), str)
                                                  for m in items) or not isinstance(total, int):
            raise _unreadable(response, "the model list is not a list of models with a total_count")
        models = [list_item(m) for m in items]
        return {"total_count": max(total, len(models)), "count": len(models), "models": models}

    def get_model_events(self, model_id: str) -> list[dict[str, Any]]:
        """What this client did for the model (upload, create), then its status as the service reports it. The
        REST API publishes no event log; the ModelArts console shows the service's own events."""
        info = self.get_model(model_id)
        with self._lock:
            events = list(self._events.get(model_id, []))
        status = info.get("model_status", "")
        if status == "published":
            events.append({"event_type": "normal", "event_info": "Model published", "create_time": _now_ms()})
        elif status in ("failed", "building_failed"):
            events.append({"event_type": "failed", "create_time": _now_ms(),
                           "event_info": f"ModelArts reports the model {status.replace('_', ' ')}: open the model's "
                                         "events in the ModelArts console for the reason"})
        return events

    def wait_model(self, model_id: str, timeout: float | None = None, poll_interval: float | None = None) -> dict[str, Any]:
        """Poll until published or failed; a cancel set meanwhile removes the model (ModelNotFoundError after)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        interval = poll_interval or self.poll_interval
        with self._lock:
            cancel = self._cancels.get(model_id)
        while True:
            if cancel is not None and cancel.is_set() and self._cancel_now(model_id):
                raise ModelNotFoundError(model_id)
            info = self.get_model(model_id)
            if info["model_status"] in FINAL_STATUSES:
                return info
            if deadline is not None and time.monotonic() >= deadline:
                raise TimeoutError(f"model {model_id} is still {info['model_status']} after {timeout} s")
            if cancel is not None:
                cancel.wait(interval)
            else:
                time.sleep(interval)

    def runtimes(self) -> dict[str, list[str]]:
        body = json_of(self.transport.request("GET", self._url("/ai-engine-runtimes")), "the runtimes list")
        out: dict[str, list[str]] = {}
        for engine in body.get("engine_runtimes") or []:
            out.setdefault(str(engine.get("ai_engine")), []).extend(str(r) for r in engine.get("runtimes") or [])
        return out

    # ---- delete -------------------------------------------------------------------------------------------

    def delete_model(self, model_id: str, *, cascade: bool = False) -> dict[str, Any]:
        params = {"cascade": True} if cascade else None
        try:
            body = json_of(self.transport.request("DELETE", self._url(f"/{model_id}"), params=params),
                           "the delete answer")
        except ModelNotFoundError as exc:
            if getattr(exc, "attempts", 1) > 1:  # the first attempt deleted it; its answer was lost
                return {"delete_success_list": [model_id], "delete_failed_list": []}
            raise ModelNotFoundError(model_id, exc.request_id) from None
        return {"delete_success_list": list(body.get("delete_success_list") or []),
                "delete_failed_list": list(body.get("delete_failed_list") or [])}

    def close(self) -> None:
        self._closed.set()
        self.transport.close()
        self.auth.close()
