"""The dry run's child process: imports a package's customize_service.py and answers POST / like ModelArts would.

Run only by `dry_run` (`python worker.py <model_dir> <stand_in_dir> <listening_fd>`); it imports nothing of
model_import_widget, so a package cannot reach the kernel's objects and this file starts fast."""

from __future__ import annotations

import email.parser
import email.policy
import http.server
import importlib
import inspect
import io
import json
import os
import signal
import socket
import sys
import threading
import time
import traceback

# model_import_widget.lint._BASE_CLASSES lists the same names (a test checks they agree).
BASE_CLASSES = ("PTServingBaseService", "TfServingBaseService", "SingleNodeService", "MXNetBaseService",
                "CaffeBaseService", "SparkServingBaseService", "XgSklServingBaseService")
STAGES = ("_preprocess", "_inference", "_postprocess")
MAX_BODY = 64 * 1024 * 1024


def package_traceback(exc: BaseException, model_dir: str) -> str:
    """The traceback with only the frames of the package's own files: the worker and the standard library are noise."""
    inside = os.path.join(os.path.realpath(model_dir), "")
    frames = [frame for frame in traceback.extract_tb(exc.__traceback__)
              if os.path.isabs(frame.filename)  # not "<frozen importlib._bootstrap>", which realpath puts in cwd
              and os.path.realpath(frame.filename).startswith(inside)]
    lines = (["Traceback (most recent call last):\n"] + traceback.format_list(frames)) if frames else []
    return "".join(lines + traceback.format_exception_only(type(exc), exc))


def failure(kind: str, exc: BaseException, model_dir: str, **extra: object) -> dict:
    return {"error": kind, "message": f"{type(exc).__name__}: {exc}", "traceback": package_traceback(exc, model_dir),
            **extra}


def load_service(model_dir: str) -> tuple[object | None, dict | None]:
    """Import customize_service and construct its service class as ModelArts does: (service, None) or (None, error)."""
    try:
        module = importlib.import_module("customize_service")
    except SyntaxError as exc:
        where = f"{os.path.basename(exc.filename or 'customize_service.py')}, line {exc.lineno}"
        return None, failure("syntax_error", exc, model_dir, message=f"{where}: {exc.msg}")
    except ImportError as exc:
        missing = exc.name or ""
        message = f"{type(exc).__name__}: {exc}"
        if missing.startswith("model_service"):
            message += " (the dry run's stand-in model_service has no such module)"
        return None, failure("import_error", exc, model_dir, message=message, missing_module=missing)
    except BaseException as exc:  # noqa: BLE001 - whatever the module does at import is the package's error
        return None, failure("exception", exc, model_dir, stage="import")
    classes = [value for value in vars(module).values()
               if inspect.isclass(value) and value.__module__ == module.__name__
               and any(base.__name__ in BASE_CLASSES and base.__module__.startswith("model_service")
                       for base in value.__mro__[1:])]
    if not classes:
        return None, {"error": "no_service_class", "traceback": "",
                      "message": "customize_service.py defines no subclass of a ModelArts base class ("
                                 + ", ".join(BASE_CLASSES) + ")"}
    # the most derived one: a helper base defined in the file is subclassed by the service
    leaves = [cls for cls in classes if not any(other is not cls and issubclass(other, cls) for other in classes)]
    service_class = leaves[0]
    model_name = os.path.basename(os.path.dirname(os.path.realpath(model_dir))) or "model"
    try:
        if (getattr(service_class.__init__, "__module__", "") or "").startswith("model_service"):  # the base's own
            positional = 1 if getattr(service_class, "_takes_model_path_only", False) else 2
        else:
            parameters = [p for p in inspect.signature(service_class.__init__).parameters.values()][1:]
            positional = len([p for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)])
            if any(p.kind == p.VAR_POSITIONAL for p in parameters):
                positional = 2
        if positional == 1:
            service = service_class(model_dir)  # the ML form: __init__(self, model_path)
        else:
            service = service_class(model_name, model_dir)
    except BaseException as exc:  # noqa: BLE001
        return None, failure("exception", exc, model_dir, stage="__init__")
    return service, None


def parse_multipart(content_type: str, body: bytes) -> dict:
    """multipart/form-data as ModelArts hands it over: files as {field: {file_name: file_object}}, text as {field: str}."""
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body)
    data: dict = {}
    for part in message.iter_parts():
        field = part.get_param("name", header="content-disposition")
        file_name = part.get_filename()
        payload = part.get_payload(decode=True) or b""
        if file_name is None:
            data[field] = payload.decode("utf-8", "replace")
        else:
            stream = io.BytesIO(payload)
            stream.name = file_name
            data.setdefault(field, {})[file_name] = stream
    return data


def jsonable(value: object) -> object:
    """numpy arrays and scalars as lists and numbers (what the real service's encoder does for them)."""
    for method in ("tolist", "item"):
        if callable(getattr(value, method, None)):
            return getattr(value, method)()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def run_stages(service: object, data: object, model_dir: str) -> dict:
    timings: dict[str, float] = {}
    for stage in STAGES:
        started = time.perf_counter()
        try:
            data = getattr(service, stage)(data)
        except BaseException as exc:  # noqa: BLE001
            if type(exc).__name__ == "EngineNotImitated":  # the stand-in's limit, not the package's error
                return {"error": "not_imitated", "message": str(exc), "traceback": "", "stage": stage,
                        "timings_ms": timings}
            return failure("exception", exc, model_dir, stage=stage, timings_ms=timings)
        finally:
            timings[stage] = round((time.perf_counter() - started) * 1000, 3)
    return {"result": data, "timings_ms": timings}


def make_handler(service: object | None, load_error: dict | None, model_dir: str) -> type:
    """POST / answers as ModelArts' endpoint does: the package's answer as JSON (each stage's time in the
    X-Stage-Timings header), or status 500 (400 for an unreadable body) with {"error_msg", and the details}.
    GET /health answers once the service is loaded: 200, or 500 with the load's error."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the http.server name
            if self.path.rstrip("/") != "/health":
                return self.reply(404, {"error": "not_found", "message": "POST / to predict; GET /health"})
            self.reply(500, load_error) if load_error is not None else self.reply(200, {"status": "ready"})

        def do_POST(self) -> None:  # noqa: N802
            if load_error is not None:
                return self.reply(500, load_error)
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY:
                return self.reply(400, {"error": "bad_request", "message": f"body larger than {MAX_BODY} bytes"})
            body = self.rfile.read(length)
            content_type = self.headers.get("Content-Type", "application/json")
            try:
                if content_type.startswith("multipart/form-data"):
                    data = parse_multipart(content_type, body)
                else:
                    data = json.loads(body.decode("utf-8") or "null")
            except (ValueError, UnicodeDecodeError) as exc:
                return self.reply(400, {"error": "bad_request", "message": f"the request body cannot be read: {exc}"})
            answer = run_stages(service, data, model_dir)
            if "error" in answer:
                return self.reply(500, answer)
            self.reply(200, answer["result"], answer["timings_ms"])

        def reply(self, status: int, answer: object, timings: dict | None = None) -> None:
            try:
                body = json.dumps(answer, default=jsonable).encode("utf-8")
            except (TypeError, ValueError) as exc:
                status, body = 500, json.dumps(failure("exception", exc, model_dir, stage="response",
                                                       timings_ms=timings or {})).encode("utf-8")
            else:
                if status != 200 and isinstance(answer, dict):  # the service's own error shape, details beside it
                    body = json.dumps({"error_msg": answer.get("message", ""), **answer}).encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            if timings is not None:
                self.send_header("X-Stage-Timings", json.dumps(timings))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - keep the package's log clean
            pass

    return Handler


def become_subreaper() -> None:
    """On Linux, what the package starts and then orphans (a double fork, a setsid daemon) becomes this worker's
    child instead of init's, so `descendants` finds it and stopping the worker stops it too."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
    except (OSError, AttributeError):  # not Linux: the process group is what is stopped
        pass


def descendants(pid: int) -> list[int]:
    """Every process below `pid` (children, their children, ...), from /proc; [] where there is no /proc."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        try:
            tasks = os.listdir(f"/proc/{current}/task")
        except OSError:
            continue
        for task in tasks:
            try:
                with open(f"/proc/{current}/task/{task}/children") as listed:
                    children = [int(child) for child in listed.read().split()]
            except (OSError, ValueError):
                continue
            for child in children:
                if child not in found:
                    found.append(child)
                    todo.append(child)
    return found


def kill_all(pid: int) -> None:
    """SIGKILL for `pid`'s process group and every descendant of `pid`, whatever group or session it moved to."""
    below = descendants(pid)
    for child in below:
        try:
            os.kill(child, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def watch_parent(parent: int) -> None:
    """If the process that started this worker dies (a kernel killed with kill -9), nothing stays running: the
    worker, its process group and everything below it go, the package's own children included."""
    while os.getppid() == parent:
        time.sleep(0.25)
    kill_all(os.getpid())


def main(argv: list[str]) -> None:
    model_dir, stand_in_dir, fd = argv[1], argv[2], int(argv[3])
    become_subreaper()
    threading.Thread(target=watch_parent, args=(os.getppid(),), daemon=True).start()  # before the package's code
    listener = socket.socket(fileno=fd)  # bound and listening already: the parent connects without waiting
    # this file's folder is not the package's: the stand-ins first, then model/ as ModelArts puts it
    sys.path[:] = [stand_in_dir, model_dir] + [p for p in sys.path[1:] if p not in ("", model_dir)]
    os.chdir(model_dir)
    service, load_error = load_service(model_dir)
    server = http.server.HTTPServer(("127.0.0.1", 0), make_handler(service, load_error, model_dir),
                                    bind_and_activate=False)
    server.socket.close()
    server.socket = listener
    server.serve_forever()


if __name__ == "__main__":
    main(sys.argv)
