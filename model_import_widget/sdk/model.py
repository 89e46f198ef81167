"""`Model`: the seed's Method 1 (load by id) and Method 2 (create), plus list, info, events, wait and delete.

Every field is checked against `spec` before any I/O; talking to a backend goes through `session.client`.
"""

from __future__ import annotations

import threading
import warnings
from typing import Any, Callable, Optional

from .. import spec as _spec
from ..errors import ImportCancelledError, ImportFailedError, ModelNotFoundError, SpecValidationError
from ..backend import Progress

# Method 2's arguments that are model fields, in the seed's order
_FIELDS = ("model_name", "model_version", "source_location_type", "source_location", "environment", "source_job_id",
           "source_job_version", "source_type", "model_type", "model_algorithm", "description", "execution_code",
           "runtime", "input_params", "output_params", "dependencies", "apis")
_LIST_ITEM_FIELDS = ("model_id", "model_name", "model_version", "model_type", "model_size", "model_status", "tenant",
                     "project", "owner", "create_at", "description", "source_type")
MAX_OBJECT_LIST = 150


class Model:
    """A model in the session's registry.

    `Model(session, model_id="…")` loads one; `Model(session, model_name=…, model_version=…, …)` creates
    one with the seed's arguments. Params/Dependencies/Packages objects and plain dicts both work.
    With `publish=True` (default) creation returns once the model is published, or raises
    ImportFailedError with its events; with `publish=False` it returns once registered and `wait()` waits.
    On ModelArts a LOCAL_SOURCE folder is uploaded first to `obs_location=` (`obs://bucket/dir/`, else
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
        environment: Optional[str] = None,
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
        *,
        progress: Optional[Callable[[Progress], None]] = None,
        cancel: Optional[threading.Event] = None,
        timeout: Optional[float] = None,
        obs_location: Optional[str] = None,
        _quiet: bool = False,
    ):
        self.session = session
        self.warnings: list[dict[str, Any]] = []
        given = {name: value for name, value in locals().items() if name in _FIELDS and value is not None}
        if model_id is not None:
            if given:
                raise TypeError(f"Model() takes model_id to load a model, or the fields to create one, not both "
                                f"(got model_id and {', '.join(sorted(given))})")
            self.model_id = str(model_id)
            self._info = self.session.client.get_model(self.model_id)  # raises ModelNotFoundError
            return
        if not given:
            raise TypeError("Model() needs model_id= to load a model, or model_version=, source_location= and "
                            "model_type= (at least) to create one")
        self._cancel = cancel
        report = _spec.check(given)
        if report.errors:
            raise SpecValidationError(report.errors)
        self.warnings = report.warnings
        for item in report.warnings if not _quiet else ():  # the form shows them at their fields instead
            warnings.warn(f"{item['field']}: {item['message']}", UserWarning, stacklevel=2)
        self.model_id = self.session.client.create_model(report.spec.to_fields(), progress=progress, cancel=cancel,
                                                         obs_location=obs_location)
        self._info = None
        if publish:
            self.wait(timeout=timeout)

    # ---- reading -----------------------------------------------------------------------------------

    def get_model_id(self) -> Optional[str]:
        """The model's id, as the vendor's SDK names the call."""
        return self.model_id

    def get_model_info(self) -> dict[str, Any]:
        """The model's details as the service returns them (spec §2.1); `apis` and `config` are JSON strings."""
        self._info = self.session.client.get_model(self.model_id)
        return dict(self._info)

    @property
    def model_status(self) -> str:
        """publishing, published or failed (fresh from the backend)."""
        return self.get_model_info()["model_status"]

    def get_model_events(self) -> list[dict[str, Any]]:
        """What happened during the import, oldest first: `{"event_type", "event_info", "create_time"}`."""
        return self.session.client.get_model_events(self.model_id)

    def wait(self, timeout: Optional[float] = None) -> dict[str, Any]:
        """Block until the model is published (returns its details) or failed (raises ImportFailedError)."""
        try:
            info = self.session.client.wait_model(self.model_id, timeout=timeout)
        except ModelNotFoundError:
            if getattr(self, "_cancel", None) is not None and self._cancel.is_set():
                raise ImportCancelledError(self.model_id) from None
            raise
        self._info = info
        if info["model_status"] != "published":
            raise ImportFailedError(self.model_id, self.get_model_events())
        return dict(info)

    def delete_model(self, cascade: bool = False) -> dict[str, Any]:
        """Delete this model (with `cascade=True`, also its other versions); returns the service's result lists."""
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
        model.session, model.model_id, model.warnings, model._info = session, item["model_id"], [], None
        return model

    def __repr__(self) -> str:
        info = self._info or {}
        name = f" {info.get('model_name')} {info.get('model_version')}" if info else ""
        return f"<Model {self.model_id}{name}>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Model) and other.model_id == self.model_id

    def __hash__(self) -> int:
        return hash(self.model_id)
