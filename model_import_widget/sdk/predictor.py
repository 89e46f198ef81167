"""`model.deploy_predictor(configs=[ServiceConfig(model_id=…, specification="local")])`: the vendor's local service.

The vendor's SDK runs a local model in a container; here the package's customize_service.py runs in a separate
process on 127.0.0.1 (package.serve), with stand-ins for ModelArts' base classes. `predict(data=…)` posts to it as
a client of the real service would, `delete_service()` stops it. Services on ModelArts itself are not deployed by
this tool: it imports models.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import warnings
import weakref
from pathlib import Path
from typing import Any, Mapping, Optional

from ..dryrun import RUNS_CODE_NOTICE, RunsPackageCodeWarning, runs_code_notice
from ..errors import BackendUnavailableError, PackageRunError

__all__ = ["Predictor", "RunsPackageCodeWarning", "runs_code_notice", "RUNS_CODE_NOTICE"]

_DATA_TYPES = ("json", "images", "files")


class Predictor:
    """A real-time service of a model. Only local ones exist here (`specification="local"`); see the module."""

    def __init__(self, session: Any, service_id: Optional[str] = None):
        raise BackendUnavailableError(
            "services on ModelArts are not managed by this tool (it imports models): deploy from the ModelArts "
            "console or the vendor's SDK; to try a model here, model.deploy_predictor(configs=[ServiceConfig("
            "model_id=model.get_model_id(), specification=\"local\")])")

    @classmethod
    def _local(cls, session: Any, model_id: str, folder: Path, envs: Mapping[str, str], *, scratch: Path | None,
               timeout: float) -> "Predictor":
        from ..dryrun import LocalService

        predictor = cls.__new__(cls)
        predictor.session, predictor.model_id, predictor.folder = session, model_id, folder
        predictor.service_id = f"local-service-{os.urandom(6).hex()}"
        predictor.last_timings_ms = {}  # each stage's time in the last predict()
        warnings.warn(runs_code_notice(folder), RunsPackageCodeWarning, stacklevel=3)
        predictor._service = LocalService(folder, env=dict(envs))
        predictor._cleanup = weakref.finalize(predictor, _remove, predictor._service, scratch)
        ready = predictor._service.wait_ready(timeout)
        if not ready.ok:
            predictor.delete_service()
            raise PackageRunError(ready, "the local service did not start")
        return predictor

    @property
    def url(self) -> str:
        """Where the service answers: POST JSON (or multipart/form-data with files) here, as to ModelArts."""
        return self._service.url

    def predict(self, data: Any = None, data_type: str = "json", *, files: Optional[Mapping[str, Any]] = None,
                timeout: float = 30.0) -> Any:
        """The service's answer to one request. `data` is the JSON body (a dict), or with data_type="images" or
        "files" the path of a file sent as that multipart form field (as the vendor's SDK takes it); `files`
        ({field: path}) sends several, with `data`'s entries as text fields. An error of the package's code raises
        PackageRunError with its traceback; an answer that does not fit config.json's apis warns."""
        if data_type not in _DATA_TYPES:
            raise ValueError(f"data_type must be one of {', '.join(_DATA_TYPES)}, not {data_type!r}")
        if data_type != "json":
            if not isinstance(data, (str, os.PathLike)):
                raise ValueError(f'data_type="{data_type}" sends a file: data must be its path, not '
                                 f"{type(data).__name__}")
            files, data = {data_type: data}, None
        for path in (files or {}).values():
            if Path(path).is_dir():
                raise IsADirectoryError(f"{path} is a folder: send one file at a time")
            if not Path(path).is_file():
                raise FileNotFoundError(f"no such file to send: {path}")
        result = self._service.ask(data, files=files, timeout=timeout)
        if not result.ok:
            raise PackageRunError(result, "the local service failed")
        for problem in result.schema_problems:
            warnings.warn(f"the answer does not fit config.json's apis: {problem}", UserWarning, stacklevel=2)
        self.last_timings_ms = result.timings_ms
        return result.response

    def get_service_info(self) -> dict[str, Any]:
        """The service's details: id, status (running, stopped), the model, and where it answers."""
        return {"service_id": self.service_id, "status": "running" if self._service.running else "stopped",
                "infer_type": "real-time", "specification": "local", "model_id": self.model_id,
                "access_address": self.url, "source_location": str(self.folder)}

    def delete_service(self) -> None:
        """Stop the service and everything its code started; the package's files stay as they are."""
        self._cleanup()

    def __enter__(self) -> "Predictor":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.delete_service()

    def __repr__(self) -> str:
        state = "running" if self._service.running else "stopped"
        return f"<Predictor {self.service_id} (local, {state}) for model {self.model_id} at {self.url}>"


def _remove(service: Any, scratch: Path | None) -> None:
    service.stop()
    if scratch is not None:
        shutil.rmtree(scratch, ignore_errors=True)


def materialise(files: Mapping[str, Path]) -> Path:
    """A stored model's files copied into a package folder to run: the package's code may write to its own files,
    and the registry's blobs must never change (a link would let it)."""
    root = Path(tempfile.mkdtemp(prefix="model-import-local-service-"))
    try:
        for rel, blob in files.items():
            target = root.joinpath(*rel.split("/"))
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(blob, target)
    except BaseException:
        shutil.rmtree(root, ignore_errors=True)
        raise
    return root
