"""Try a model package's customize_service.py locally before importing it, in a separate process.

`dry_run` answers one request; `serve` keeps the package's service running on 127.0.0.1 until stopped (a local
Predictor). Nothing of the package is imported here (the kernel stays untouched); the worker gets no credentials
and is killed, with its whole process group, when it is stopped, when the time is up, or when this process dies."""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
import warnings
import weakref
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

__all__ = ["DryRunResult", "LocalService", "serve", "dry_run", "schema_problems", "RunsPackageCodeWarning",
           "runs_code_notice", "RUNS_CODE_NOTICE"]

_HERE = Path(__file__).resolve().parent
_WORKER = _HERE / "worker.py"
_STAND_IN = _HERE / "stand_in"
_SECRET_WORDS = ("TOKEN", "PASSWORD", "PASSWD", "SECRET", "CREDENTIAL", "ACCESS_KEY", "PRIVATE_KEY")
_SECRET_PARTS = {"AK", "SK", "PAT", "PASS", "PWD"}  # as whole parts of a name (HUAWEICLOUD_SDK_AK), not inside words like MAKEFLAGS
_LOG_TAIL = 4000


class RunsPackageCodeWarning(UserWarning):
    """Said before a package's own code runs on this machine (dry_run, serve, a local service)."""


RUNS_CODE_NOTICE = ("This runs {path} on this machine, in a separate process, as you: it can read your files and use "
                    "the network like any code you run. Run only packages you trust.")
"""The words said before running a package's code: what runs, where, and as whom (the form translates them)."""


def runs_code_notice(folder: str | os.PathLike[str]) -> str:
    return RUNS_CODE_NOTICE.format(path=Path(folder) / "model" / "customize_service.py")


@dataclass
class DryRunResult:
    """What one dry run gave. `ok` means the three stages ran; `schema_problems` may still list mismatches."""

    ok: bool
    response: Any = None
    timings_ms: dict[str, float] = field(default_factory=dict)
    error: str | None = None  # import_error, syntax_error, no_service_class, exception, timeout, worker_died, ...
    message: str = ""
    traceback: str = ""
    stage: str | None = None  # for error == "exception": import, __init__, _preprocess, _inference, _postprocess
    missing_module: str | None = None
    schema_problems: list[str] = field(default_factory=list)
    log: str = ""  # the tail of what the package printed
    pid: int | None = None  # the worker's, already gone


def _is_secret(name: str, value: str = "") -> bool:
    """A variable that may hold a credential: by its name (…TOKEN, …SECRET…, …PASSWORD, API_KEY, AK/SK, …) or
    because its value is a URL with a password in it (postgres://user:pw@host/db)."""
    upper = name.upper()
    parts = set(upper.replace("-", "_").split("_"))
    return (any(word in upper for word in _SECRET_WORDS) or bool(_SECRET_PARTS & parts)
            or any(part.endswith("KEY") or part.startswith("AUTH") for part in parts)
            or bool(re.match(r"^[a-z][a-z0-9+.-]*://[^/@\s:]*:[^/@\s]+@", value, re.I)))


def _worker_environment() -> dict[str, str]:
    environment = {name: value for name, value in os.environ.items() if not _is_secret(name, value)}
    environment["PYTHONDONTWRITEBYTECODE"] = "1"  # leave no __pycache__ in the user's package
    environment["PYTHONUNBUFFERED"] = "1"
    return environment


def _model_dir(folder: Path) -> Path | None:
    for candidate in (folder / "model", folder):
        if (candidate / "customize_service.py").is_file():
            return candidate
    return None


def _multipart(fields: Mapping[str, Any], files: Mapping[str, str | os.PathLike[str]]) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    chunks: list[bytes] = []
    for name, value in fields.items():
        text = value if isinstance(value, str) else json.dumps(value)
        chunks.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
                      + text.encode("utf-8") + b"\r\n")
    for name, path in files.items():
        path = Path(path)
        chunks.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{path.name}"\r\n'
                      f"Content-Type: application/octet-stream\r\n\r\n".encode() + path.read_bytes() + b"\r\n")
    chunks.append(f"--{boundary}--\r\n".encode())
    return b"".join(chunks), f"multipart/form-data; boundary={boundary}"


class LocalService:
    """A package's customize_service.py served on 127.0.0.1 as ModelArts' inference endpoint serves it (POST / with
    JSON, or multipart/form-data with files), in a separate worker process, until `stop()`.

    The worker starts at once; `wait_ready()` returns once the service class is constructed (or the error that
    stopped it). A request that runs past its timeout kills the worker (a hang cannot be interrupted otherwise), so
    the next one says the service was stopped. The worker dies with this process too (kill -9 of the kernel
    included), and with this object when it is garbage-collected."""

    def __init__(self, folder: str | os.PathLike[str], *, env: Mapping[str, str] | None = None):
        self.folder = Path(folder)
        model_dir = _model_dir(self.folder)
        if model_dir is None:
            raise FileNotFoundError(f"no customize_service.py in {self.folder / 'model'} (nor in {self.folder}): "
                                    f"choose the folder that holds model/customize_service.py")
        self.model_dir = model_dir
        self._log = _Tail()
        self._stopped_because = ""
        # the worker inherits a socket already listening: no port file to poll, and once this side closes its copy,
        # a worker that dies makes the connection fail at once instead of waiting for the timeout
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
            listener.bind(("127.0.0.1", 0))
            listener.listen(16)
            self.port = listener.getsockname()[1]
            self._worker = subprocess.Popen(
                [sys.executable, str(_WORKER), str(model_dir.resolve()), str(_STAND_IN), str(listener.fileno())],
                cwd=model_dir, env={**_worker_environment(), **(env or {})}, stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, pass_fds=(listener.fileno(),),
                start_new_session=True)
        self._log.follow(self._worker.stdout)
        self._finalizer = weakref.finalize(self, _stop, self._worker, self._log)

    @property
    def url(self) -> str:
        """Where the service answers, as a client would call it: POST here."""
        return f"http://127.0.0.1:{self.port}/"

    @property
    def pid(self) -> int:
        return self._worker.pid

    @property
    def running(self) -> bool:
        return self._worker.poll() is None

    def wait_ready(self, timeout: float = 30.0) -> DryRunResult:
        """Wait until the package's service is loaded: ok, or the load's error (syntax, import, __init__, ...)."""
        return self._call("GET", "/health", b"", "application/json", timeout, what="start-up")

    def ask(self, request: Any = None, *, files: Mapping[str, str | os.PathLike[str]] | None = None,
            timeout: float = 30.0) -> DryRunResult:
        """One request, as `dry_run` describes; the response is checked against config.json's apis."""
        from .worker import MAX_BODY
        from ..spec import human_size

        if files:
            for path in files.values():
                if not Path(path).is_file():
                    kind = "a folder" if Path(path).is_dir() else "not there"
                    return DryRunResult(False, error="bad_request", message=f"{path} is {kind}: a file to send is "
                                                                           f"a regular file")
            body, content_type = _multipart(request or {}, files)
        else:
            body, content_type = json.dumps(request).encode("utf-8"), "application/json"
        if len(body) > MAX_BODY:
            return DryRunResult(False, error="bad_request", message=f"the request is {human_size(len(body))}: a local "
                                                                   f"run takes at most {human_size(MAX_BODY)}")
        result = self._call("POST", "/", body, content_type, timeout, what="the request")
        if result.ok:
            result.schema_problems = _check_against_config(self.model_dir, result.response)
        return result

    def _engine_missing(self, result: DryRunResult) -> None:
        """A missing module that is the engine's own framework: say that only running the code needs it."""
        from ..config_file import load
        from ..spec import ENGINE_MODULES, canonical_model_type

        if result.error != "import_error" or not result.missing_module:
            return
        try:
            engine = canonical_model_type(load(self.model_dir / "config.json").fields.get("model_type"))
        except Exception:  # noqa: BLE001 - no config.json, or one that cannot be read: nothing more to say
            return
        if ENGINE_MODULES.get(engine) == result.missing_module.split(".")[0]:
            result.message = (f"{engine} ({result.missing_module}) is not installed in this kernel, so the package's "
                              f"code cannot run here: install it to try the package (pip install "
                              f"{result.missing_module.split('.')[0]}); only running it needs {engine}: the lint, "
                              f"the apis and the dependencies are checked without it")

    def log(self) -> str:
        """The tail of what the package printed so far."""
        return self._log.text()

    def stop(self) -> None:
        """Stop the worker and everything the package started (its process group). Stopping twice is fine."""
        self._finalizer()

    def __enter__(self) -> "LocalService":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"<LocalService {self.model_dir} at {self.url} ({state})>"

    def _call(self, method: str, path: str, body: bytes, content_type: str, timeout: float,
              what: str) -> DryRunResult:
        if not self.running:
            code = self._worker.poll()
            reason = self._stopped_because or (f"the worker stopped (exit code {code})" if code not in (None, -9)
                                               else "the service was stopped")
            result = DryRunResult(False, error="worker_died" if not self._stopped_because else "stopped",
                                  message=reason)
        else:
            result = _ask(self.port, method, path, body, content_type, timeout, self._worker, what)
            if result.error == "timeout":
                self._stopped_because = (f"the service was stopped: {what} timed out after {timeout:g} s; start it "
                                         f"again")
                self.stop()
        result.pid = self._worker.pid
        if not self.running:
            self._log.finish(0.5)
        result.log = self.log()
        if result.error == "worker_died" and result.log.strip():
            last = [line for line in result.log.strip().splitlines() if line.strip()][-3:]
            result.message += "; its last output: " + " / ".join(line.strip()[:200] for line in last)
        self._engine_missing(result)
        return result


def serve(folder: str | os.PathLike[str], *, timeout: float = 30.0) -> LocalService:
    """Start the package's service locally and wait until it is loaded; raises PackageRunError with the load's
    error (the worker stopped) if it cannot start. Call `stop()` (or use it in a `with` block) when done."""
    from ..errors import PackageRunError

    warnings.warn(runs_code_notice(folder), RunsPackageCodeWarning, stacklevel=2)
    service = LocalService(folder)
    ready = service.wait_ready(timeout)
    if not ready.ok:
        service.stop()
        raise PackageRunError(ready)
    return service


def dry_run(folder: str | os.PathLike[str], request: Mapping[str, Any] | None = None, *,
            files: Mapping[str, str | os.PathLike[str]] | None = None, timeout: float = 30.0) -> DryRunResult:
    """Run the package's service on one request, as ModelArts would: `Service(model_name, model_path)` (or
    `Service(model_path)` for XGBoost and scikit-learn), then `_preprocess` → `_inference` → `_postprocess`.
    `request` is sent as JSON; with `files` ({field: path}) the request is multipart/form-data and `request`'s
    entries are its text fields. `timeout` covers start-up and the request; the worker is always stopped. The
    response is checked against config.json's apis."""
    folder = Path(folder)
    if _model_dir(folder) is None:
        return DryRunResult(False, error="no_customize_service",
                            message=f"no customize_service.py in {folder / 'model'} (nor in {folder})")
    warnings.warn(runs_code_notice(folder), RunsPackageCodeWarning, stacklevel=2)
    deadline = time.monotonic() + timeout
    service = LocalService(folder)
    try:
        result = service.wait_ready(timeout)
        if result.ok:
            result = service.ask(request, files=files, timeout=max(0.01, deadline - time.monotonic()))
    finally:
        service.stop()
    if result.error == "timeout":
        result.message = f"timed out after {timeout:g} s (start-up and the request); the worker was killed"
    return result


def _ask(port: int, method: str, path: str, body: bytes, content_type: str, timeout: float,
         worker: subprocess.Popen, what: str) -> DryRunResult:
    deadline = time.monotonic() + timeout
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=max(0.01, timeout))
    try:
        connection.request(method, path, body=body, headers={"Content-Type": content_type})
        connection.sock.settimeout(max(0.01, deadline - time.monotonic()))
        answer = connection.getresponse()
        data, timings = answer.read(), answer.getheader("X-Stage-Timings")
    except (socket.timeout, TimeoutError):
        return DryRunResult(False, error="timeout", message=f"{what} timed out after {timeout:g} s; the worker was "
                                                            f"killed")
    except (OSError, http.client.HTTPException) as exc:
        try:
            code = worker.wait(1)
        except subprocess.TimeoutExpired:
            code = None
        if code is not None and code < 0:
            try:
                how = f"killed by {signal.Signals(-code).name}" + (" (a crash in native code)" if -code in (
                    signal.SIGSEGV, signal.SIGBUS, signal.SIGILL, signal.SIGABRT) else "")
            except ValueError:
                how = f"killed by signal {-code}"
        elif code is not None:
            how = f"exit code {code}"
        else:
            how = f"it closed the connection: {exc}"
        return DryRunResult(False, error="worker_died", message=f"the worker stopped before answering ({how})")
    finally:
        connection.close()
    try:
        reply = json.loads(data) if data else None
    except ValueError:
        return DryRunResult(False, error="bad_answer", message=f"the answer is not JSON: {data[:200]!r}")
    if answer.status != 200:
        reply = reply if isinstance(reply, dict) else {}
        return DryRunResult(False, timings_ms=reply.get("timings_ms", {}), error=reply.get("error", "exception"),
                            message=reply.get("message", ""), traceback=reply.get("traceback", ""),
                            stage=reply.get("stage"), missing_module=reply.get("missing_module"))
    return DryRunResult(True, response=reply, timings_ms=json.loads(timings) if timings else {})


class _Tail:
    """What the worker prints, read as it comes (so a chatty package never blocks on a full pipe) and kept only
    as its last _LOG_TAIL characters: nothing grows on disk or in memory however much it prints."""

    def __init__(self) -> None:
        self._kept = bytearray()
        self._lock = threading.Lock()
        self._reader: threading.Thread | None = None

    def follow(self, stream: Any) -> None:
        self._reader = threading.Thread(target=self._read, args=(stream,), daemon=True, name="dry-run-output")
        self._reader.start()

    def _read(self, stream: Any) -> None:
        with stream:
            for chunk in iter(lambda: stream.read1(65536), b""):
                with self._lock:
                    self._kept += chunk
                    del self._kept[:-4 * _LOG_TAIL]  # bytes: room for multi-byte characters

    def finish(self, timeout: float = 2.0) -> None:
        """After the worker is gone: what it printed last is in (the pipe drains once every writer is dead)."""
        if self._reader is not None:
            self._reader.join(timeout)

    def text(self) -> str:
        with self._lock:
            return bytes(self._kept).decode("utf-8", "replace")[-_LOG_TAIL:]


def _stop(worker: subprocess.Popen, log: _Tail) -> None:
    from .worker import kill_all

    kill_all(worker.pid)  # the group and everything below the worker: whatever the package started goes too
    worker.wait()
    log.finish()


# ---------------------------------------------------------------------------------------------------- schema check


def _check_against_config(model_dir: Path, response: Any) -> list[str]:
    from .. import config_file  # here, not at the top: package.py imports this module
    from ..errors import ConfigFileError

    path = model_dir / "config.json"
    if not path.is_file():
        return []
    try:
        apis = config_file.load(path).fields.get("apis")
    except ConfigFileError as exc:
        return [f"config.json cannot be read, the response was not checked: {exc}"]
    if not isinstance(apis, list) or not apis or not isinstance(apis[0], dict):
        return []
    schema = (apis[0].get("response") or {}).get("data") if isinstance(apis[0].get("response"), dict) else None
    return schema_problems(schema, response) if isinstance(schema, dict) else []


_TYPES: dict[str, tuple[type, ...]] = {"object": (dict,), "array": (list,), "string": (str,), "boolean": (bool,),
                                       "number": (int, float), "integer": (int,), "null": (type(None),)}


def schema_problems(schema: Mapping[str, Any], value: Any, where: str = "response") -> list[str]:
    """A light JSON-Schema check (type, properties, required, items), enough to catch a renamed or retyped field."""
    problems: list[str] = []
    expected = schema.get("type")
    names = [expected] if isinstance(expected, str) else expected if isinstance(expected, list) else []
    known = [name for name in names if name in _TYPES]
    if known and not any(isinstance(value, _TYPES[name]) and not (name in ("number", "integer")
                                                                   and isinstance(value, bool))
                         for name in known):
        if not ("integer" in known and isinstance(value, float) and value.is_integer()):
            return [f"{where}: expected {' or '.join(known)}, got {_json_type(value)}"]
    if isinstance(value, dict):
        properties = schema.get("properties") if isinstance(schema.get("properties"), dict) else {}
        for name in schema.get("required") or []:
            if isinstance(name, str) and name not in value:
                problems.append(f"{where}.{name}: required but missing")
        for name, sub in properties.items():
            if name in value and isinstance(sub, dict):
                problems += schema_problems(sub, value[name], f"{where}.{name}")
    if isinstance(value, list) and isinstance(schema.get("items"), dict):
        for index, item in enumerate(value):
            problems += schema_problems(schema["items"], item, f"{where}[{index}]")
    return problems


def _json_type(value: Any) -> str:
    for name in ("null", "boolean", "integer", "number", "string", "array", "object"):
        if isinstance(value, _TYPES[name]) and not (name in ("integer", "number") and isinstance(value, bool)):
            return name
    return type(value).__name__
