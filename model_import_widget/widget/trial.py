"""The form's "Try locally": the package's customize_service.py answers one sample request on this machine.

It says first what runs where (the package's own code, as you), then runs it in a worker process (package.serve),
in a thread so the form stays live, and shows the answer with each stage's time and the check against config.json's
apis, or the error with the package's own traceback; a missing module is offered as a dependency. The panel is the
view's `trial` trait: {state, text, level, request, details: [{label, text, pre}], buttons}.
"""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path
from typing import Any, Callable, Optional

from . import i18n
from ..spec import MAX_TRIAL_REQUEST_CHARS

MAX_SHOWN = 4000  # characters of an answer or a traceback shown in the panel (display only: nothing is cut off
#                   from what the package answered; `form._trial.result` has it all)


def tryable(form: Any) -> Optional[Path]:
    """The folder "Try locally" runs: the form's local folder, when it has model/customize_service.py; else None."""
    import os

    location = os.path.expanduser(form.fields["source_location"].value.strip())
    if (form.fields["source_location_type"].value == "LOCAL_SOURCE" and location
            and os.path.isfile(os.path.join(location, "model", "customize_service.py"))):
        return Path(location)
    return None


def clicked(form: Any, button: str) -> None:
    """"Try locally" and the buttons of its panel, on `form` (a ModelImportForm) and its LocalTrial."""
    from .binding import PACKAGE_COLUMNS, row as binding_row

    trial = form._trial
    if button == "try":
        folder = tryable(form)
        if folder is not None:
            trial.open(folder)
    elif button == "trial:run":
        trial.run()
    elif button == "trial:stop":
        trial.stop()
    elif button == "trial:close":
        trial.close()
    elif button == "trial:reset":
        trial.reset()
    elif button == "trial:use_answer" and trial.result is not None and trial.result.ok:
        from ..examples import apis_from_example

        try:
            apis = apis_from_example(trial.request, trial.result.response)
        except ValueError as exc:
            trial.note = str(exc)
        else:
            shown = form.value.get("apis")
            try:
                shown = json.loads(shown) if isinstance(shown, str) else shown
            except ValueError:
                pass
            if shown == apis:
                trial.note = trial.t("The parameters and apis already follow this answer: nothing changed.")
            else:
                form.set_example(trial.request, trial.result.response)
                trial.note = trial.t("The input and output parameters and apis now follow the sample request and "
                                     "its answer.")
        trial._show()
    elif button.startswith("trial:add:"):
        from .. import dependencies

        module = button[len("trial:add:"):]
        pinned = dependencies.pin(module.split(".")[0], pip_name(module))
        row = {"package_name": pinned["package_name"], "package_version": pinned["package_version"] or "",
               "restraint": pinned["restraint"] or ""}
        form.fields["dependencies"].value = [*form.fields["dependencies"].value, binding_row(row, PACKAGE_COLUMNS)]


def _request_schema(folder: Path) -> Any:
    """The apis' request schema of the package's config.json; None if it has none (or none that can be read)."""
    from ..config_file import load

    try:
        return load(folder / "model" / "config.json").fields["apis"][0]["request"]["data"]
    except Exception:  # noqa: BLE001 - no config.json, no apis, a broken one
        return None


def _file_fields(folder: Path) -> set[str]:
    """The request's fields the apis declare as files (sent as multipart/form-data from a path on this machine)."""
    schema = _request_schema(folder)
    properties = schema.get("properties") if isinstance(schema, dict) else None
    return {key for key, sub in (properties or {}).items() if isinstance(sub, dict) and sub.get("type") == "file"}


def sample_request(folder: Path) -> dict[str, Any]:
    """A request to start from: the package's apis request schema filled with placeholder values."""
    from ..examples import example_of

    made = example_of(_request_schema(folder))
    return made if isinstance(made, dict) else {}


class LocalTrial:
    """State of the panel; `changed(trial_dict)` is called with each new state (from the worker thread too)."""

    def __init__(self, changed: Callable[[dict], None], language: Callable[[], str]):
        self._changed, self._language = changed, language
        self.folder: Optional[Path] = None
        self.request_text = ""
        self.sample: Optional[dict] = None  # the example a package built from an object was checked with
        self.result: Any = None
        self.note = ""  # what the last action on the answer did, shown in the panel
        self.wall_ms = 0.0  # click to answer, the package's start included
        self._service: Any = None
        self._lock = threading.Lock()
        self._shown_request = ""  # the request the panel last showed
        self._run_number = 0  # the run the panel shows; a run stopped, closed or replaced reports nothing
        self._stop_asked = False
        self.state = "closed"

    def t(self, english: str, **values: str) -> str:
        return i18n.text(english, self._language(), **values)

    # ---- actions ----------------------------------------------------------------------------------

    def open(self, folder: Path) -> None:
        """Show what would run, with a sample request to edit, and ask before running it."""
        if self.folder != folder or not self.request_text:
            self.request_text = self._example_text(folder)
        self.folder, self.state, self.result = folder, "ask", None
        self._show()

    def run(self) -> None:
        """Run the sample request (in a thread); a request that is not JSON is said so and nothing runs."""
        if self.state == "running" or self.folder is None:
            return
        self.note = ""
        if len(self.request_text) > MAX_TRIAL_REQUEST_CHARS:
            self.state, self.result = "bad_request", self.t(
                "it is {size} characters; Try locally takes at most {limit}: send larger requests from code with "
                "package.dry_run", size=f"{len(self.request_text):,}", limit=f"{MAX_TRIAL_REQUEST_CHARS:,}")
            self.request_text = self._shown_request  # the panel does not echo it back
            return self._show()
        try:
            request = json.loads(self.request_text or "{}")
        except (ValueError, RecursionError) as exc:
            self.state, self.result = "bad_request", (str(exc) if isinstance(exc, ValueError)
                                                      else self.t("nested too deeply"))
            return self._show()
        file_fields = _file_fields(self.folder) if isinstance(request, dict) else set()
        missing = [request[key] for key in file_fields if isinstance(request.get(key), str)
                   and not Path(os.path.expanduser(request[key])).is_file()]
        if missing:
            self.state, self.result = "bad_request", self.t(
                "{path} is not a file here: replace it with the path of a file on this machine (a relative path "
                "starts at {cwd})", path=missing[0], cwd=os.getcwd())
            return self._show()
        self.state, self.result = "running", None
        self._run_number += 1
        self._show()
        threading.Thread(target=self._run, args=(self.folder, request, file_fields, self._run_number), daemon=True,
                         name="model-import-try-locally").start()

    def _example_text(self, folder: Path) -> str:
        return readable_json(self.sample if self.sample is not None else sample_request(folder))

    def reset(self) -> None:
        """The sample request as it first was (the example, or one made from the apis)."""
        if self.folder is not None and self.state != "running":
            self.request_text = self._example_text(self.folder)
            if self.state == "bad_request":
                self.state = "ask"
            self._show()

    def stop(self) -> None:
        """Stop a run: its worker (whether started yet or not) and everything it started."""
        with self._lock:
            self._stop_asked = True
            if self._service is not None:
                self._service.stop()

    def close(self) -> None:
        self.stop()
        with self._lock:
            self._run_number += 1  # a run still finishing shows nothing any more
            self.state = "closed"
        self._show()

    def _run(self, folder: Path, request: Any, file_fields: set[str], number: int) -> None:
        from ..dryrun import DryRunResult, LocalService

        files = {key: os.path.expanduser(request[key]) for key in file_fields if isinstance(request.get(key), str)}
        body = {key: value for key, value in request.items() if key not in files} if files else request
        started = time.perf_counter()
        try:
            with self._lock:
                self._stop_asked = False
                service = self._service = LocalService(folder)
            result = service.wait_ready(60)
            if result.ok and not self._stop_asked:
                result = service.ask(body, files=files or None, timeout=60)
        except Exception as exc:  # noqa: BLE001 - a vanished folder, a file to send that is not there
            result = DryRunResult(False, error="exception", message=f"{type(exc).__name__}: {exc}")
        finally:
            with self._lock:
                if self._service is not None:
                    self._service.stop()
                    self._service = None
        with self._lock:
            if number != self._run_number:
                return
            if self._stop_asked:  # the person's Stop, not the package's failure
                result = DryRunResult(False, error="stopped", message=self.t("stopped before it answered"))
            self.state, self.result = ("done" if result.ok else "failed"), result
            self.request = request
            self.wall_ms = (time.perf_counter() - started) * 1000
        self._show()

    # ---- the panel --------------------------------------------------------------------------------

    def _show(self) -> None:
        self._changed(self.panel())

    def panel(self) -> dict[str, Any]:
        t = self.t
        if self.state == "closed":
            return {}
        self._shown_request = self.request_text
        close = {"id": "trial:close", "label": t("Close")}
        run = {"id": "trial:run", "label": t("Run it"), "style": "primary"}
        base = {"state": self.state, "request": self.request_text, "request_label": t("Sample request (JSON)"),
                "title": t("Try locally"), "details": []}
        from ..dryrun import RUNS_CODE_NOTICE

        if self.state == "ask":
            notice = t(RUNS_CODE_NOTICE, path=str(self.folder / "model" / "customize_service.py"))
            return {**base, "level": "warning", "text": notice, "buttons": [run, close]}
        if self.state == "bad_request":
            return {**base, "level": "error", "buttons": [run, close],
                    "text": t("The sample request cannot be sent ({error}): correct it, then run it.",
                              error=str(self.result))}
        if self.state == "running":
            return {**base, "level": "info", "text": t("Running customize_service.py on this machine…"),
                    "buttons": [{"id": "trial:stop", "label": t("Stop")}]}
        result = self.result
        again = {"id": "trial:run", "label": t("Run again")}
        reset = {"id": "trial:reset", "label": t("Back to the example")}
        if self.state == "done":
            names = {"_preprocess": t("preprocess"), "_inference": t("inference"), "_postprocess": t("postprocess")}
            times = " · ".join(f"{names.get(stage, stage)} {ms:.1f} ms" for stage, ms in result.timings_ms.items())
            total = sum(result.timings_ms.values())
            details = [{"label": t("Answer"), "text": _shown(readable_json(result.response)), "pre": True},
                       {"label": t("Stage times"), "text": times}]
            if result.schema_problems:
                details.append({"label": t("Does not fit config.json's apis"),
                                "text": "\n".join(result.schema_problems), "pre": True})
            else:
                details.append({"label": t("Check"), "text": t("The answer fits config.json's apis.")})
            if self.note:
                details.append({"label": t("Example"), "text": self.note})
            buttons = [again, {"id": "trial:use_answer", "label": t("Use this answer as the example")}, reset, close]
            return {**base, "level": "warning" if result.schema_problems else "success", "details": details,
                    "buttons": buttons, "text": t("Answered in {ms} ms ({seconds} s with starting the package)",
                                                  ms=f"{total:.1f}", seconds=f"{self.wall_ms / 1000:.1f}")}
        details = []
        if result.traceback and result.traceback.count("\n") > 1:  # frames, not only the error line
            details.append({"label": t("Traceback (the package's own code)"), "text": _shown(result.traceback),
                            "pre": True})
        if result.log.strip():
            details.append({"label": t("What it printed"), "text": _shown(result.log), "pre": True})
        buttons = [again, reset, close]
        if result.missing_module:
            from .. import dependencies

            pinned = dependencies.pin(result.missing_module.split(".")[0], pip_name(result.missing_module))
            buttons.insert(1, {"id": f"trial:add:{result.missing_module}", "style": "primary",
                               "label": t("Add {package} to the dependencies", package=" ".join(
                                   filter(None, (pinned["package_name"], pinned["package_version"]))))})
            details.append({"label": t("Missing module"), "text": t(
                "{module} is not installed in this kernel, so the package cannot run here: install it to try it "
                "(pip install {module}), and list it in the dependencies for ModelArts.",
                module=result.missing_module)})
        message = result.message or result.error or ""
        stage = t(" (in {stage})", stage=result.stage) if result.stage else ""
        if result.error == "not_imitated":  # the stand-in's words, in the panel's language
            import re

            base_class = re.search(r"ModelArts' (\w+)", message)
            message = t("ModelArts' {base} runs the engine on the weights there, and Try locally only imitates the "
                        "base class: define _inference in customize_service.py (or set self.model to a function in "
                        "__init__) to try this package here", base=base_class[1] if base_class else "base class")
        headline = {
            "not_imitated": ("warning", t("Try locally cannot run this package's inference{stage}: {message}",
                                          stage=stage, message=message)),
            "stopped": ("warning", t("Stopped before it answered.")),
            "bad_request": ("error", t("The sample request cannot be sent ({error}): correct it, then run it.",
                                       error=message)),
            "timeout": ("error", t("No answer in time, so the package was stopped: {message}", message=message)),
            "worker_died": ("error", t("The package's process ended before it answered: {message}",
                                       message=message)),
        }.get(result.error or "", ("error", t("The package's code failed{stage}: {message}", stage=stage,
                                                message=message)))
        return {**base, "level": headline[0], "details": details, "buttons": buttons, "text": headline[1]}


def readable_json(value: Any, indent: str = "") -> str:
    """JSON a person can read in a small box: objects one key a line, a list of plain values on one line (a row of
    64 features stays one row)."""
    inner = indent + "  "
    if isinstance(value, dict) and value:
        items = [f"{inner}{json.dumps(str(k), ensure_ascii=False)}: {readable_json(v, inner)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + indent + "}"
    if isinstance(value, list) and value and any(isinstance(v, (dict, list)) for v in value):
        return "[\n" + ",\n".join(inner + readable_json(v, inner) for v in value) + "\n" + indent + "]"
    return json.dumps(value, ensure_ascii=False)


def pip_name(module: str) -> str:
    """The usual pip name of a top-level module (sklearn -> scikit-learn), as the dependency guess names it."""
    from ..lint import _PIP_NAMES

    top = module.split(".")[0]
    return _PIP_NAMES.get(top, top)


def _shown(text: str) -> str:
    return text if len(text) <= MAX_SHOWN else text[:MAX_SHOWN] + "\n…"
