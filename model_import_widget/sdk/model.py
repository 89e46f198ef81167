"""`Model`: the seed's Method 1 (load by id) and Method 2 (create), plus list, info, events, wait and delete.

Every field is checked against `spec` before any I/O; talking to a backend goes through `session.client`.
"""

from __future__ import annotations

import threading
import uuid
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Optional

from .. import spec as _spec
from ..errors import (BackendUnavailableError, DuplicateModelError, ImportCancelledError, ImportFailedError,
                      ModelImportError, ModelNotFoundError, SpecValidationError)
from ..backend import Progress
from .versions import check_version

if TYPE_CHECKING:
    from .predictor import Predictor

# Method 2's arguments that are model fields, in the seed's order
_FIELDS = ("model_name", "model_version", "source_location_type", "source_location", "environment", "source_job_id",
           "source_job_version", "source_type", "model_type", "model_algorithm", "description", "execution_code",
           "runtime", "input_params", "output_params", "dependencies", "apis", "initial_config")
_LIST_ITEM_FIELDS = ("model_id", "model_name", "model_version", "model_type", "model_size", "model_status", "tenant",
                     "project", "owner", "create_at", "description", "source_type")
MAX_OBJECT_LIST = 150
DETAIL_FIELDS = ("model_id", "model_name", "model_version", "model_type", "model_size", "model_status", "model_source",
                 "model_algorithm", "runtime", "description", "source_location", "source_job_id", "source_job_version",
                 "source_type", "source_copy", "execution_code", "schema_doc", "image_address", "tenant", "project",
                 "owner", "workspace_id", "create_at", "input_params", "output_params", "dependencies", "model_metrics",
                 "apis", "config", "health", "model_docs", "model_labels", "labels_map", "install_type", "specification",
                 "tunable", "market_flag", "publishable_flag")
"""The details the service returns for a model (spec §2.1), every one of them in `get_model_info()`."""


class Model:
    """A model in the session's registry, or a local one not registered yet.

    `Model(session, model_id="…")` loads one; `Model(session, model_name=…, model_version=…, …)` creates one with
    the seed's arguments (Params/Dependencies/Packages objects and plain dicts both work). The fields are checked
    against the rule table and the package against what the service needs before anything is registered.

    - `publish=True` (default) registers the model. With `wait=True` (default) it returns once the model is
      published, or raises ImportFailedError with its events; with `wait=False` it returns once registered and
      `wait()` waits.
    - `publish=False` makes a *local* model, as the vendor's model-debugging page does: checked, registered nowhere,
      `get_model_id()` a local id ("local-…"), status `local`; `publish_model()` imports it later (and the id
      becomes the registry's), `deploy_predictor(configs=[ServiceConfig(model_id=…, specification="local")])`
      serves it on this machine first.

    A missing `model_version` takes the next free version of the name (0.0.1 for a new one) when the model is
    registered. On ModelArts a LOCAL_SOURCE folder is uploaded first to `obs_location=` (`obs://bucket/dir/`, else
    $MODEL_IMPORT_WIDGET_OBS_LOCATION).
    """

    def __init__(
        self,
        session: Any,
        model_id: Optional[str] = None,
        model_name: Optional[str] = None,
        model_version: Optional[str] = None,
        publish: bool = True,
        source_location_type: Optional[str] = None,
        source_location: Optional[str] = None,
        environment: Any = None,
        source_job_id: Optional[str] = None,
        source_job_version: Optional[str] = None,
        source_type: Optional[str] = None,
        model_type: Optional[str] = None,
        model_algorithm: Optional[str] = None,
        description: Optional[str] = None,
        execution_code: Optional[str] = None,
        input_params: Optional[list] = None,
        output_params: Optional[list] = None,
        dependencies: Optional[list] = None,
        apis: Any = None,
        runtime: Optional[str] = None,
        initial_config: Any = None,
        *,
        wait: bool = True,
        progress: Optional[Callable[[Progress], None]] = None,
        cancel: Optional[threading.Event] = None,
        timeout: Optional[float] = None,
        obs_location: Optional[str] = None,
    ):
        self._blank(session)
        given = {name: value for name, value in locals().items() if name in _FIELDS and value is not None}
        if model_id is not None:
            if given:
                raise TypeError(f"Model() takes model_id to load a model, or the fields to create one, not both "
                                f"(got model_id and {', '.join(sorted(given))})")
            self.model_id = str(model_id)
            self._info = self.session.client.get_model(self.model_id)  # raises ModelNotFoundError
            return
        if not given:
            raise TypeError("Model() needs model_id= to load a model, or source_location= and model_type= (at "
                            "least) to create one")
        checked = _with_environment(given)
        if "model_version" not in given:  # checked with a stand-in; the real one is the next free when registering
            checked["model_version"] = "0.0.1"
        report = _spec.check(checked)
        if report.errors:
            raise SpecValidationError(report.errors)
        self._start(report, given_version="model_version" in given, publish=publish, wait=wait, progress=progress,
                    cancel=cancel, timeout=timeout, obs_location=obs_location, stacklevel=3)

    @classmethod
    def from_spec(cls, session: Any, checked: "_spec.ModelSpec", *, publish: bool = True, wait: bool = True,
                  progress: Optional[Callable[[Progress], None]] = None, cancel: Optional[threading.Event] = None,
                  timeout: Optional[float] = None, obs_location: Optional[str] = None) -> "Model":
        """Create from fields already checked by `spec.check` (its `.spec`), whose warnings the caller has shown
        (the form does, at each field); the package is still checked before anything is registered."""
        model = cls.__new__(cls)
        model._blank(session)
        report = _spec.Report(spec=checked)
        model._start(report, given_version=bool(checked.model_version), publish=publish, wait=wait,
                     progress=progress, cancel=cancel, timeout=timeout, obs_location=obs_location, stacklevel=0)
        return model

    def _blank(self, session: Any, model_id: Optional[str] = None) -> None:
        self.session, self.model_id, self.warnings = session, model_id, []
        self._info: Optional[dict[str, Any]] = None
        self._fields: Optional[dict[str, Any]] = None  # a local model's checked fields, until it is registered
        self._cancel: Optional[threading.Event] = None
        self._publishing = threading.Lock()
        self._local_id = f"local-{uuid.uuid4().hex[:16]}"

    def _start(self, report: "_spec.Report", *, given_version: bool, publish: bool, wait: bool, progress: Any,
               cancel: Any, timeout: Optional[float], obs_location: Optional[str], stacklevel: int) -> None:
        fields = report.spec.to_fields()
        if not given_version:
            fields.pop("model_version", None)  # taken when registered: the next free one then
        found = self.session.client.check_package(fields)
        self.warnings = list(report.warnings) + list(found or [])
        if stacklevel:
            for item in self.warnings:
                warnings.warn(f"{item['field']}: {item['message']}", UserWarning, stacklevel=stacklevel)
        self._fields = fields
        if publish:
            self._register(progress=progress, cancel=cancel, obs_location=obs_location, wait=wait, timeout=timeout,
                           stacklevel=stacklevel + 1 if stacklevel else 0)

    def _register(self, *, progress: Any, cancel: Any, obs_location: Optional[str], wait: bool,
                  timeout: Optional[float], stacklevel: int) -> None:
        with self._publishing:  # one registration per model, even from two threads
            if self._fields is not None:
                self._create(dict(self._fields), progress, cancel, obs_location, stacklevel + 1 if stacklevel else 0)
        if wait:
            self.wait(timeout=timeout)

    def _create(self, fields: dict[str, Any], progress: Any, cancel: Any, obs_location: Optional[str],
                stacklevel: int) -> None:
        picked = not fields.get("model_version")
        for attempt in range(3 if picked else 1):
            if picked:
                fields["model_version"] = check_version(self.session, fields["model_name"], "").next_free
            try:
                self.model_id = self.session.client.create_model(fields, progress=progress, cancel=cancel,
                                                                 obs_location=obs_location)
                break
            except DuplicateModelError:
                if not picked or attempt == 2:
                    raise  # (else the version picked was taken meanwhile by another import: pick again)
        self._cancel = cancel
        self._fields, self._info = None, None
        if picked:
            note = {"field": "model_version", "message": f"no model_version given: {fields['model_name']} takes "
                                                         f"{fields['model_version']}, the next free version of that name"}
            self.warnings.append(note)
            if stacklevel:
                warnings.warn(f"model_version: {note['message']}", UserWarning, stacklevel=stacklevel)

    # ---- local models ------------------------------------------------------------------------------

    @property
    def is_local(self) -> bool:
        """True for a model made with publish=False and not published yet."""
        return getattr(self, "model_id", None) is None and getattr(self, "_fields", None) is not None

    def publish_model(self, obs_location: Optional[str] = None, *, wait: bool = True,
                      progress: Optional[Callable[[Progress], None]] = None, cancel: Optional[threading.Event] = None,
                      timeout: Optional[float] = None) -> dict[str, Any]:
        """Import a local model (uploading its folder to `obs_location` first on ModelArts); returns its details once
        published (with `wait=False`, once registered). A model published already just returns its details."""
        if self._fields is not None:
            self._register(progress=progress, cancel=cancel, obs_location=obs_location, wait=wait, timeout=timeout,
                           stacklevel=3)
        return self.get_model_info()

    # ---- reading -----------------------------------------------------------------------------------

    def get_model_id(self) -> Optional[str]:
        """The model's id, as the vendor's SDK names the call. A local model (publish=False) has a local id
        ("local-…") until it is published, for `ServiceConfig(model_id=…, specification="local")`."""
        return self._local_id if self.is_local else self.model_id

    # ---- local services ----------------------------------------------------------------------------

    def deploy_predictor(self, service_name: Optional[str] = None, infer_type: str = "real-time",
                         configs: Optional[list] = None, *, timeout: float = 60.0, **kwargs: Any) -> "Predictor":
        """Deploy the model as a service; only `specification="local"` is served here, as the vendor's model
        debugging does: the package's customize_service.py answers on 127.0.0.1 in a separate process until
        `predictor.delete_service()`. A local model runs from its folder, a model of the embedded registry from a
        copy of its stored files. `timeout` bounds the start-up. Raises PackageRunError if the code cannot start."""
        from ..spec import ServiceConfig
        from .predictor import Predictor, materialise

        given = [ServiceConfig(**c) if isinstance(c, dict) else c for c in (configs or [])]
        if not given:
            raise ValueError('deploy_predictor needs configs=[ServiceConfig(model_id=model.get_model_id(), '
                             'specification="local")]')
        if any(c.specification != "local" for c in given):
            raise BackendUnavailableError(
                "deploying a service on ModelArts is not part of this tool (it imports models): deploy from the "
                "ModelArts console, or use specification=\"local\" to try the model on this machine")
        if len(given) > 1 or given[0].model_id != self.get_model_id():
            raise ValueError(f"a local service runs one model, this one: ServiceConfig(model_id="
                             f"{self.get_model_id()!r}, specification=\"local\") (got model_id "
                             f"{', '.join(repr(c.model_id) for c in given)})")
        if infer_type != "real-time":
            raise ValueError(f"a local service is real-time; infer_type={infer_type!r} is not served here")
        scratch = None
        if self.is_local:
            fields = self._fields or {}
            if fields.get("source_location_type") != "LOCAL_SOURCE":
                raise BackendUnavailableError(
                    "this local model's files are on OBS: a local service runs a folder on this machine; make the "
                    "model from the local folder (source_location_type=\"LOCAL_SOURCE\") to try it here")
            folder = Path(fields["source_location"]).expanduser()
            if folder.name == "model" and (folder / "customize_service.py").is_file():
                folder = folder.parent
        elif callable(getattr(self.session.client, "model_files", None)):
            scratch = materialise(self.session.client.model_files(self.model_id))
            folder = scratch
        else:
            raise BackendUnavailableError(
                "this model's files are on ModelArts (OBS): a local service runs a folder on this machine; make a "
                "local model from your folder, Model(session, publish=False, source_location_type=\"LOCAL_SOURCE\", "
                "source_location=…, …), and deploy that")
        return Predictor._local(self.session, self.get_model_id(), folder, given[0].envs, scratch=scratch,
                                timeout=timeout)

    def get_model_info(self) -> dict[str, Any]:
        """The model's details as the service returns them (spec §2.1); `apis` and `config` are JSON strings. A local
        model's are its checked fields, its local id and `model_status` "local"."""
        if self.is_local:
            return {**_local_details(self._fields or {}), "model_id": self._local_id}
        self._info = self.session.client.get_model(self.model_id)
        return {**dict.fromkeys(DETAIL_FIELDS), **self._info}  # every documented field, None where not sent

    @property
    def model_status(self) -> str:
        """publishing, published or failed (fresh from the backend)."""
        return self.get_model_info()["model_status"]

    def get_model_events(self) -> list[dict[str, Any]]:
        """What happened during the import, oldest first: `{"event_type", "event_info", "create_time"}` ([] local)."""
        if self.is_local:
            return []
        return self.session.client.get_model_events(self.model_id)

    def wait(self, timeout: Optional[float] = None) -> dict[str, Any]:
        """Block until the model is published (returns its details) or failed (raises ImportFailedError)."""
        if self.is_local:
            raise ModelImportError("this model is local (made with publish=False): nothing is importing yet; "
                                   "model.publish_model() imports it and waits")
        try:
            info = self.session.client.wait_model(self.model_id, timeout=timeout)
        except ModelNotFoundError:
            if self._cancel is not None and self._cancel.is_set():
                raise ImportCancelledError(self.model_id) from None
            raise
        self._info = info
        if info["model_status"] != "published":
            raise ImportFailedError(self.model_id, self.get_model_events())
        return dict(info)

    def delete_model(self, cascade: bool = False) -> dict[str, Any]:
        """Delete this model (with `cascade=True`, also its other versions); returns the service's result lists.
        A local model is registered nowhere: nothing is deleted (its files are yours) and both lists are empty."""
        if self.is_local:
            return {"delete_success_list": [], "delete_failed_list": []}
        return self.session.client.delete_model(self.model_id, cascade=cascade)

    # ---- listing -----------------------------------------------------------------------------------

    @staticmethod
    def get_model_list(
        session: Any,
        model_name: Optional[str] = None,
        model_version: Optional[str] = None,
        model_status: Optional[str] = None,
        description: Optional[str] = None,
        offset: int = 0,
        limit: int = 280,
        sort_by: str = "create_at",
        order: str = "desc",
        workspace_id: str = "0",
        *,
        exact_match: bool = False,
        model_type: Optional[str] = None,
    ) -> dict[str, Any]:
        """`{"total_count", "count", "models": [...]}`; name and description match in part, like the service."""
        result = session.client.list_models(
            model_name=model_name, exact_match=exact_match, model_version=model_version, model_status=model_status,
            description=description, model_type=model_type, offset=offset, limit=limit, sort_by=sort_by, order=order,
        )
        models = [{key: item.get(key) for key in _LIST_ITEM_FIELDS} for item in result["models"]]
        return {"total_count": result["total_count"], "count": len(models), "models": models}

    @staticmethod
    def get_model_object_list(session: Any, **filters: Any) -> list["Model"]:
        """The same filters as `get_model_list`, as `Model` objects (at most 150, like the SDK)."""
        filters["limit"] = min(int(filters.get("limit", MAX_OBJECT_LIST)), MAX_OBJECT_LIST)
        listing = Model.get_model_list(session, **filters)
        return [Model._from_listing(session, item) for item in listing["models"]]

    @classmethod
    def _from_listing(cls, session: Any, item: dict[str, Any]) -> "Model":
        model = cls.__new__(cls)
        model._blank(session, item["model_id"])
        return model

    def __repr__(self) -> str:
        if self.is_local:
            fields = self._fields or {}
            return f"<Model (local) {fields.get('model_name')} {fields.get('model_version') or '(next free version)'}>"
        info = getattr(self, "_info", None) or {}  # (a Model whose construction failed has no attributes yet)
        name = f" {info.get('model_name')} {info.get('model_version')}" if info else ""
        return f"<Model {getattr(self, 'model_id', None) or '(not created)'}{name}>"

    def __eq__(self, other: object) -> bool:
        if self.is_local or not isinstance(other, Model) or other.is_local:
            return self is other
        return other.model_id == self.model_id

    def __hash__(self) -> int:
        return hash(self.model_id) if self.model_id is not None else id(self)


def _with_environment(given: dict[str, Any]) -> dict[str, Any]:
    """`environment=` as an Environment object becomes the runtime and dependencies it stands for."""
    from .environment import Environment, environment_fields

    env = given.get("environment")
    if not isinstance(env, Environment):
        return dict(given)
    out = {key: value for key, value in given.items() if key != "environment"}
    mapped = environment_fields(env)
    if mapped.get("runtime"):
        out["environment"] = mapped["runtime"]  # the rule table reports a clash with runtime=
    if mapped.get("dependencies"):
        own = out.get("dependencies")
        own = [] if own is None else list(own) if isinstance(own, (list, tuple)) else [own]
        out["dependencies"] = own + mapped["dependencies"]
    return out


def _local_details(fields: dict[str, Any]) -> dict[str, Any]:
    """A local model's details in the §2.1 shape: what it will be imported with."""
    import json

    info: dict[str, Any] = {key: None for key in DETAIL_FIELDS}
    info.update({key: value for key, value in fields.items() if key in DETAIL_FIELDS})
    info.update(model_status="local", model_source="custom",
                apis=json.dumps(fields.get("apis") or []), config=json.dumps(fields.get("initial_config") or {}),
                input_params=list(fields.get("input_params") or []),
                output_params=list(fields.get("output_params") or []),
                dependencies=list(fields.get("dependencies") or []))
    return info
