"""The exception tree of model_import_widget: every error the SDK, the registry and the form raise.

Messages say what is wrong and how to fix it. No exception ever carries a secret (key, password, token).

    ModelImportError                    base of everything raised here
    ├── SpecValidationError             (also ValueError) the model's fields break the rule table;
    │                                   .errors is what spec.validate returns
    ├── ConfigFileError                 (also ValueError) a config.json cannot be read; .path .line .column
    ├── CodeReadError                   (also ValueError) SDK code given to ModelImportForm.from_code cannot be read
    │                                   without running it; .problems [{"line", "field", "message"}] .line .advice
    ├── PackageError                    (also ValueError) the model package cannot work; found before anything is
    │                                   registered; .problems [{"path", "message"}] .source_location
    ├── PackageRunError                 a package's customize_service.py could not start or answer when run locally
    │                                   (serve, deploy_predictor, predict); .result is the DryRunResult
    ├── PackageBuildError               (also ValueError) package.build cannot package this model; nothing was
    │                                   written; .problems [str]
    ├── CredentialsError                credentials are missing, incomplete or malformed
    ├── BackendUnavailableError         the chosen backend cannot be used from here (yet)
    ├── RegistryDamagedError            the embedded registry's index cannot be trusted (empty, damaged, foreign,
    │                                   newer, missing beside stored files); nothing was changed; .path
    ├── RegistryReadOnlyError           the embedded registry's home is read-only: reading works, writing does not
    ├── ImportFailedError               the import ended `failed`; .model_id .events
    ├── ImportCancelledError            the cancel event was set; nothing stays registered; .model_id
    ├── ObsLocationError                (also ValueError) an OBS location that is not obs://bucket/dir/, or none given
    ├── NetworkError                    the service could not be reached (after retries); .url (no query, no secret)
    │   └── ObsUnreachableError         OBS in particular; .endpoint .reason .attempts
    └── ServiceError                    the backend refused a request; .status .error_code .error_msg .request_id
        ├── AuthenticationError         401/403: the credentials were refused (bad or expired key, token, signature)
        ├── PermissionDeniedError       403: the credentials are valid but may not do this (IAM policy, agency, OBS)
        ├── ThrottledError              429 / APIG.0308 still refused after waiting as the service asked
        ├── ModelNotFoundError          404 ModelArts.3001; .model_id
        └── DuplicateModelError         409 ModelArts.3002; .model_id .model_status (the existing one's) .next_version
"""

from __future__ import annotations

import os
from typing import Any


class ModelImportError(Exception):
    """Base class of every error raised by model_import_widget."""


class SpecValidationError(ModelImportError, ValueError):
    """The fields of a model break one or more rules; `.errors` lists every one of them."""

    def __init__(self, errors: list[dict[str, Any]]):
        self.errors = list(errors)
        lines = [f"{len(self.errors)} problem(s) with the model's fields:"]
        lines += [f"  - {e['field'] or '(model)'}: {e['message']}" for e in self.errors]
        super().__init__("\n".join(lines))


class ConfigFileError(ModelImportError, ValueError):
    """A config.json cannot be read, even tolerantly. Points at the line and column."""

    def __init__(self, message: str, *, path: str | None = None, line: int | None = None, column: int | None = None):
        self.path, self.line, self.column = path, line, column
        where = path or "config.json"
        if line is not None:
            where += f", line {line}" + (f", column {column}" if column is not None else "")
        super().__init__(f"{where}: {message}")


class CodeReadError(ModelImportError, ValueError):
    """SDK code cannot be read into a form without running it; `.problems` lists each place ({"line", "field",
    "message"}), `.line` is the first one's, `.advice` what applies to all of them. Never quotes the arguments of a
    `Session(...)` (they may be credentials)."""

    def __init__(self, problems: list[dict[str, Any]], advice: str | None = None):
        self.problems, self.advice = list(problems), advice
        self.line = self.problems[0].get("line") if self.problems else None
        lines = [f"could not read the code ({len(self.problems)} problem(s)); nothing in it was run:"]
        for problem in self.problems:
            where = ", ".join(part for part in (f"line {problem['line']}" if problem.get("line") else "",
                                                problem.get("field") or "") if part)
            lines.append(f"  - {where}: {problem['message']}" if where else f"  - {problem['message']}")
        if advice:
            lines.append(advice)
        super().__init__("\n".join(lines))


class PackageError(ModelImportError, ValueError):
    """The model package would fail to import; `.problems` lists every reason, found before anything was registered."""

    def __init__(self, problems: list[dict[str, Any]], source_location: str = ""):
        self.problems = list(problems)
        self.source_location = source_location
        where = f" at {source_location}" if source_location else ""
        lines = [f"{len(self.problems)} problem(s) with the model package{where}; nothing was registered:"]
        lines += [f"  - {p['message']}" for p in self.problems]
        lines.append("Fix the package, then import it again.")
        super().__init__("\n".join(lines))


class PackageRunError(ModelImportError):
    """The package's service, run locally, failed: `.result` (a DryRunResult) has the error kind, the message, the
    stage and the traceback of the package's own code."""

    def __init__(self, result: Any, what: str = "the package's service did not start"):
        self.result = result
        lines = [f"{what}: {result.message or result.error}"]
        if getattr(result, "stage", None):
            lines[0] += f" (in {result.stage})"
        if getattr(result, "missing_module", None):
            lines.append(f"Install {result.missing_module} here to try it, and add it to the model's dependencies.")
        if getattr(result, "traceback", ""):
            lines.append(result.traceback.rstrip())
        super().__init__("\n".join(lines))


class PackageBuildError(ModelImportError, ValueError):
    """`package.build` cannot package this model object; `.problems` says why and what to do. Nothing was written
    (the folder is as it was)."""

    def __init__(self, problems: list[str], folder: str = ""):
        self.problems, self.folder = list(problems), folder
        head = f"cannot build the package{f' in {folder}' if folder else ''}; nothing was written"
        body = problems[0] if len(problems) == 1 else "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"{head}: {body}" if len(problems) == 1 else f"{head}:\n{body}")


class CredentialsError(ModelImportError):
    """Credentials are missing, incomplete or malformed. The message never contains a secret."""


class RegistryDamagedError(ModelImportError):
    """The embedded registry's index cannot be trusted, so it is not opened (and nothing is cleaned up); `.path`."""

    def __init__(self, path: str, problem: str):
        self.path = path
        super().__init__(f"the model registry's index {path} {problem}. Nothing was changed: no stored file was "
                         f"removed. See what is wrong with: python -m model_import_widget registry check "
                         f"{os.path.dirname(path)}")


class RegistryReadOnlyError(ModelImportError):
    """The embedded registry's home cannot be written: listing and reading models work, importing and deleting not."""


class BackendUnavailableError(ModelImportError):
    """The selected backend cannot serve requests from this installation."""


class ImportFailedError(ModelImportError):
    """The model was registered but publishing failed; `.events` explain why."""

    def __init__(self, model_id: str, events: list[dict[str, Any]], message: str | None = None):
        self.model_id = model_id
        self.events = list(events)
        failures = [e.get("event_info", "") for e in self.events if e.get("event_type") == "failed"]
        detail = failures[-1] if failures else "see .events"
        super().__init__(message or f"model {model_id} failed to import: {detail}")


class ImportCancelledError(ModelImportError):
    """The import was cancelled; nothing of it stays registered."""

    def __init__(self, model_id: str | None = None):
        self.model_id = model_id
        super().__init__("the import was cancelled; nothing was registered")


class NetworkError(ModelImportError):
    """The service could not be reached, even after retrying; `.url` is the address tried (no query string)."""

    def __init__(self, message: str, url: str = ""):
        self.url = url
        super().__init__(message)


class ObsLocationError(ModelImportError, ValueError):
    """An OBS location (obs_location, source_location) that is not `obs://bucket/dir/` or `/bucket/dir/`, or a local
    folder to import into ModelArts with no OBS location to upload it to."""


class ObsUnreachableError(NetworkError):
    """OBS could not be reached (refused, reset, timed out) even after the retries; `.url` is the endpoint."""

    def __init__(self, endpoint: str, reason: str, attempts: int):
        self.endpoint, self.reason, self.attempts = endpoint, reason, attempts
        super().__init__(f"could not reach OBS at {endpoint}: {reason} ({attempts} attempt"
                         f"{'s' if attempts != 1 else ''}): check the network connection, the proxy settings "
                         "(HTTPS_PROXY/NO_PROXY) and the OBS endpoint", endpoint)


class ServiceError(ModelImportError):
    """The backend (ModelArts or the embedded registry) refused a request. `advice` says what to do about it."""

    def __init__(self, status: int, error_code: str, error_msg: str, request_id: str | None = None,
                 advice: str | None = None):
        self.status, self.error_code, self.error_msg, self.request_id = status, error_code, error_msg, request_id
        self.advice = advice
        text = f"{error_code} (HTTP {status}): {error_msg}"
        if advice:
            text += f" — {advice}"
        if request_id:
            text += f" [request id {request_id}]"
        super().__init__(text)


class AuthenticationError(ServiceError):
    """The service refused the credentials: a wrong or expired key, token or signature."""


class PermissionDeniedError(ServiceError):
    """The credentials are valid but not allowed to do this (IAM policy, the ModelArts agency, OBS bucket policy)."""


class ThrottledError(ServiceError):
    """Too many requests: still refused after waiting as long as the service asked."""


class ModelNotFoundError(ServiceError):
    """No model has this id."""

    def __init__(self, model_id: str, request_id: str | None = None):
        self.model_id = model_id
        super().__init__(404, "ModelArts.3001", f"Model ({model_id}) does not exist.", request_id)


class DuplicateModelError(ServiceError):
    """A model with this name and version exists already: `.model_id` and `.model_status` are the existing one's,
    `.next_version` the next free version of the name (when known)."""

    def __init__(self, model_name: str, model_version: str, model_id: str | None = None, request_id: str | None = None,
                 *, model_status: str | None = None, next_version: str | None = None):
        self.model_name, self.model_version, self.model_id = model_name, model_version, model_id
        self.model_status, self.next_version = model_status, next_version
        known = ", ".join(part for part in (f"id {model_id}" if model_id else "", model_status or "") if part)
        advice = f"the next free version is {next_version}" if next_version else None
        super().__init__(409, "ModelArts.3002", f"Model ({model_name}, {model_version}) already exists"
                                                f"{f' ({known})' if known else ''}{'' if advice else '.'}", request_id,
                         advice)
