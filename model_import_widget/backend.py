"""The one contract every registry backend implements (embedded registry, ModelArts REST).

A neutral module: `registry` and `sdk` both import it, it imports neither. Backends speak in plain dicts shaped
like the ModelArts REST responses (spec §2); they never validate fields (the SDK did that with `spec` before
calling) and never import ipywidgets.
"""

from __future__ import annotations

import abc
import threading
from typing import Any, Callable, NamedTuple


class Progress(NamedTuple):
    """What an import has moved so far; passed to the `progress=` callable."""

    bytes_done: int
    bytes_total: int
    files_done: int
    files_total: int


ProgressCallback = Callable[[Progress], None]

FINAL_STATUSES = frozenset({"published", "failed", "building_failed"})

ENV_OBS_LOCATION = "MODEL_IMPORT_WIDGET_OBS_LOCATION"
"""Where a cloud backend uploads a LOCAL_SOURCE folder when no `obs_location=` is given (obs://bucket/dir/)."""


def obs_location_or_default(given: str | None) -> str | None:
    """`given`, else $MODEL_IMPORT_WIDGET_OBS_LOCATION, else None (never guessed)."""
    import os

    return (given or os.environ.get(ENV_OBS_LOCATION) or "").strip() or None


class RegistryBackend(abc.ABC):
    """Create, read, list and delete models. One implementation per place models live."""

    kind: str = ""  # "embedded" or "modelarts"
    poll_interval: float = 0.05
    """Seconds between status checks while waiting (the form polls at this pace too)."""

    @abc.abstractmethod
    def create_model(
        self,
        fields: dict[str, Any],
        *,
        progress: ProgressCallback | None = None,
        cancel: threading.Event | None = None,
        obs_location: str | None = None,
    ) -> str:
        """Register a model and start importing it; return its id as soon as it is registered.

        `fields` is a validated spec dumped to plain data (`ModelSpec.to_fields()`): `model_name` is
        always set, `apis` is a list, params/dependencies are lists of dicts, `source_location_type`
        is "OBS_SOURCE" or "LOCAL_SOURCE". The import goes on in the background; its end shows as
        `model_status` `published` or `failed` plus events. Setting `cancel` before it ends removes
        the model entirely. Raises DuplicateModelError before registering anything when name+version
        exist, ServiceError for a source that cannot be read.

        `progress` is called from the import's own thread with `Progress` (throttled, never going backwards,
        once at the start and once with the totals at the end); keep it quick. `obs_location`
        (`obs://bucket/dir/`) is where a cloud backend uploads a LOCAL_SOURCE folder first; the embedded
        registry reads the folder directly and ignores it.
        """

    def check_package(self, fields: dict[str, Any]) -> list[dict[str, Any]]:
        """Raise PackageError naming every problem of the package at `source_location` that would make the import
        fail (BackendUnavailableError for a model this backend cannot hold); registers nothing. Returns warnings
        (`{"field", "message"}`, e.g. where initial_config overrides config.json). `create_model` runs it too. A
        package this side cannot see (on OBS, for the cloud) is left to the service."""
        return []

    def duplicate_error(self, name: str, version: str, existing: str | None,
                        request_id: str | None = None) -> Exception:
        """DuplicateModelError for a taken name+version, with the existing model's status and the next free
        version (each left out when it cannot be read)."""
        from .errors import DuplicateModelError, ModelImportError
        from .spec import next_free_version

        model_status = next_version = None
        try:
            listing = self.list_models(model_name=name, exact_match=True, limit=1000)["models"]
            mine = [m for m in listing if m.get("model_name") == name]
            model_status = next((m.get("model_status") for m in mine if m.get("model_id") == existing), None)
            next_version = next_free_version(version, {str(m.get("model_version")) for m in mine} | {version})
        except (ModelImportError, ValueError):
            pass
        return DuplicateModelError(name, version, existing, request_id, model_status=model_status,
                                  next_version=next_version)

    @abc.abstractmethod
    def get_model(self, model_id: str) -> dict[str, Any]:
        """The model's details (spec §2.1 fields). Raises ModelNotFoundError."""

    @abc.abstractmethod
    def list_models(
        self,
        *,
        model_name: str | None = None,
        exact_match: bool = False,
        model_version: str | None = None,
        model_status: str | None = None,
        description: str | None = None,
        model_type: str | None = None,
        offset: int = 0,
        limit: int = 1000,
        sort_by: str = "create_at",
        order: str = "desc",
    ) -> dict[str, Any]:
        """`{"total_count", "count", "models": [...]}` as spec §2.2 (name/description fuzzy).

        `offset` is the index of the page, as the service documents it: rows skipped = offset × limit.
        `total_count` counts every match, `count` the ones on this page. A bad sort_by, order, limit or offset
        is ServiceError 400 ModelArts.0104.
        """

    @abc.abstractmethod
    def delete_model(self, model_id: str, *, cascade: bool = False) -> dict[str, Any]:
        """`{"delete_success_list": [...], "delete_failed_list": [...]}` as spec §2.3."""

    @abc.abstractmethod
    def get_model_events(self, model_id: str) -> list[dict[str, Any]]:
        """Events oldest first: `{"event_type": "normal"|"failed", "event_info": str, "create_time": ms}`."""

    def runtimes(self) -> dict[str, list[str]]:
        """Engine -> the runtimes it can run on (the service's ai-engine-runtimes; the rule table's list offline)."""
        from .spec import ModelType, known_runtimes

        return {t.value: known_runtimes(t.value) for t in ModelType}

    def wait_model(self, model_id: str, timeout: float | None = None, poll_interval: float | None = None) -> dict[str, Any]:
        """Block until the model reaches a final status; return its details. Raises TimeoutError."""
        import time

        deadline = None if timeout is None else time.monotonic() + timeout
        interval = poll_interval or self.poll_interval
        while True:
            info = self.get_model(model_id)
            if info["model_status"] in FINAL_STATUSES:
                return info
            if deadline is not None and time.monotonic() >= deadline:
                raise TimeoutError(f"model {model_id} is still {info['model_status']} after {timeout} s")
            time.sleep(interval)
            interval = min(interval * 1.5, 2.0)

    def close(self) -> None:
        """Release files and connections."""
