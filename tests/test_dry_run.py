"""package.dry_run on real packages written to tmp_path: plain-Python services, each run in a real worker process."""

from __future__ import annotations

import json
import os
import sys
import textwrap
import time
from pathlib import Path

import pytest

from model_import_widget import lint, package
from model_import_widget.dryrun import schema_problems, worker

CONFIG = {
    "model_algorithm": "predict_analysis", "model_type": "PyTorch", "runtime": "python3.7",
    "apis": [{"url": "/", "method": "post",
              "request": {"Content-type": "application/json",
                          "data": {"type": "object", "properties": {"numbers": {"type": "array",
                                                                                "items": {"type": "number"}}}}},
              "response": {"Content-type": "application/json",
                           "data": {"type": "object", "required": ["doubled"],
                                    "properties": {"doubled": {"type": "array", "items": {"type": "number"}},
                                                   "count": {"type": "integer"}}}}}],
}

DOUBLER = """\
from model_service.pytorch_model_service import PTServingBaseService


class DoublingService(PTServingBaseService):
    def _preprocess(self, data):
        return data["numbers"]

    def _inference(self, data):
        return [2 * x for x in data]

    def _postprocess(self, data):
        return {"doubled": data, "count": len(data)}
"""


def write_package(root: Path, service: str, config: dict | None = None) -> Path:
    model = root / "pkg" / "model"
    model.mkdir(parents=True)
    (model / "customize_service.py").write_text(textwrap.dedent(service))
    (model / "config.json").write_text(json.dumps(config or CONFIG))
    (model / "weights.pth").write_bytes(b"\0" * 16)
    return root / "pkg"


def gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def test_a_good_package_answers_and_matches_its_apis(tmp_path):
    folder = write_package(tmp_path, DOUBLER)
    result = package.dry_run(folder, {"numbers": [1, 2.5]})
    assert result.ok, result
    assert result.response == {"doubled": [2, 5.0], "count": 2}
    assert set(result.timings_ms) == {"_preprocess", "_inference", "_postprocess"}
    assert result.schema_problems == []
    assert gone(result.pid)
    assert not list(folder.rglob("__pycache__")), "the dry run wrote into the user's package"


def test_the_service_is_constructed_with_model_name_and_path_in_model_dir(tmp_path):
    folder = write_package(tmp_path, """\
        import os
        from model_service.pytorch_model_service import PTServingBaseService

        class Service(PTServingBaseService):
            def __init__(self, model_name, model_path):
                super().__init__(model_name, model_path)
                self.model = lambda data: {"name": self.model_name, "path": self.model_path, "cwd": os.getcwd()}
        """)
    result = package.dry_run(folder, {})
    assert result.ok, result
    model_dir = str((folder / "model").resolve())
    assert result.response["path"] == model_dir and result.response["cwd"] == model_dir
    assert isinstance(result.response["name"], str) and result.response["name"]


def test_an_ml_service_taking_only_model_path_and_a_multipart_file(tmp_path):
    folder = write_package(tmp_path, """\
        from model_service.python_model_service import XgSklServingBaseService

        class Service(XgSklServingBaseService):
            def __init__(self, model_path):
                super().__init__(model_path=model_path)

            def _inference(self, data):
                return {field: {name: f.read().decode() for name, f in files.items()} if isinstance(files, dict)
                        else files for field, files in data.items()}
        """, config={"model_algorithm": "predict_analysis", "model_type": "Scikit_Learn"})
    upload = tmp_path / "input.csv"
    upload.write_text("1,2,3")
    result = package.dry_run(folder, {"note": "hi"}, files={"images": upload})
    assert result.ok, result
    assert result.response == {"note": "hi", "images": {"input.csv": "1,2,3"}}


def test_a_syntax_error_names_the_file_and_line(tmp_path):
    folder = write_package(tmp_path, "from model_service.pytorch_model_service import PTServingBaseService\n"
                                     "def broken(:\n")
    result = package.dry_run(folder, {"numbers": [1]})
    assert not result.ok and result.error == "syntax_error"
    assert "customize_service.py, line 2" in result.message


def test_a_missing_import_names_the_module(tmp_path):
    folder = write_package(tmp_path, "import no_such_module_xyz\n" + DOUBLER)
    result = package.dry_run(folder, {"numbers": [1]})
    assert result.error == "import_error" and result.missing_module == "no_such_module_xyz"
    assert "no_such_module_xyz" in result.message
    assert 'customize_service.py", line 1, in <module>' in result.traceback and "frozen" not in result.traceback


def test_no_service_class(tmp_path):
    folder = write_package(tmp_path, "class Service:\n    pass\n")
    result = package.dry_run(folder, {})
    assert result.error == "no_service_class" and "PTServingBaseService" in result.message


def test_an_exception_in_postprocess_shows_only_the_package_frames(tmp_path):
    folder = write_package(tmp_path, DOUBLER.replace('return {"doubled": data, "count": len(data)}',
                                                     'return {"doubled": data["missing"]}'))
    result = package.dry_run(folder, {"numbers": [1]})
    assert result.error == "exception" and result.stage == "_postprocess"
    assert "TypeError" in result.message
    assert 'customize_service.py", line 12, in _postprocess' in result.traceback
    assert "worker.py" not in result.traceback and sys.prefix not in result.traceback
    assert "http" not in result.traceback.lower() and "socketserver" not in result.traceback
    assert list(result.timings_ms) == ["_preprocess", "_inference", "_postprocess"]  # up to the failure


def test_an_infinite_loop_is_killed_at_the_timeout(tmp_path):
    folder = write_package(tmp_path, DOUBLER.replace("return [2 * x for x in data]", "while True:\n            pass"))
    started = time.monotonic()
    result = package.dry_run(folder, {"numbers": [1]}, timeout=3)
    took = time.monotonic() - started
    assert result.error == "timeout" and "timed out after 3 s" in result.message
    assert 2.5 < took < 6
    assert gone(result.pid)


def test_a_response_not_matching_apis_names_the_field(tmp_path):
    folder = write_package(tmp_path, DOUBLER.replace('"count": len(data)', '"count": "two"'))
    result = package.dry_run(folder, {"numbers": [1, 2]})
    assert result.ok
    assert result.schema_problems == ["response.count: expected integer, got string"]


def test_credentials_are_not_visible_to_the_package(tmp_path, monkeypatch):
    monkeypatch.setenv("HUAWEICLOUD_SDK_SK", "very-secret")
    monkeypatch.setenv("HUAWEICLOUD_SDK_AK", "access")
    monkeypatch.setenv("MAKEFLAGS", "-j2")
    folder = write_package(tmp_path, """\
        import os
        from model_service.pytorch_model_service import PTServingBaseService

        class Service(PTServingBaseService):
            def _inference(self, data):
                return dict(os.environ)
        """)
    result = package.dry_run(folder, {})
    assert result.ok, result
    assert "HUAWEICLOUD_SDK_SK" not in result.response and "HUAWEICLOUD_SDK_AK" not in result.response
    assert "very-secret" not in json.dumps(result.response)
    assert result.response.get("MAKEFLAGS") == "-j2"


def test_a_worker_that_exits_is_reported_with_its_output(tmp_path):
    folder = write_package(tmp_path, "import os\nprint('loading weights')\nos._exit(3)\n")
    result = package.dry_run(folder, {}, timeout=10)
    assert result.error == "worker_died" and "exit code 3" in result.message
    assert "loading weights" in result.log


def test_the_kernel_does_not_import_the_package(tmp_path):
    folder = write_package(tmp_path, DOUBLER)
    package.dry_run(folder, {"numbers": [1]})
    assert "customize_service" not in sys.modules and "model_service" not in sys.modules


def test_the_worker_knows_the_same_base_classes_as_package_inspection():
    assert set(worker.BASE_CLASSES) == set(lint._BASE_CLASSES)


def test_schema_problems_light_check():
    schema = {"type": "object", "properties": {"a": {"type": "array", "items": {"type": "object", "properties": {
        "score": {"type": "number"}}}}}}
    assert schema_problems(schema, {"a": [{"score": 1}, {"score": True}]}) == [
        "response.a[1].score: expected number, got boolean"]
    assert schema_problems(schema, []) == ["response: expected object, got array"]
    assert schema_problems({"type": "integer"}, 2.0) == []


def test_what_the_package_started_is_killed_with_it(tmp_path):
    psutil = pytest.importorskip("psutil")
    pid_file = tmp_path / "child.pid"
    folder = write_package(tmp_path, f"""\
        import subprocess, sys, time
        from model_service.pytorch_model_service import PTServingBaseService

        class Service(PTServingBaseService):
            def _inference(self, data):
                child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
                open({str(pid_file)!r}, "w").write(str(child.pid))
                time.sleep(60)
        """)
    result = package.dry_run(folder, {}, timeout=3)
    assert result.error == "timeout"
    child = int(pid_file.read_text())
    deadline = time.monotonic() + 2
    while time.monotonic() < deadline:
        try:
            if psutil.Process(child).status() == psutil.STATUS_ZOMBIE:
                break
        except psutil.NoSuchProcess:
            break
        time.sleep(0.05)
    else:
        pytest.fail(f"the package's child {child} still runs")


def test_a_worker_whose_kernel_is_killed_goes_too(tmp_path):
    """kill -9 of the process running dry_run (the kernel) while the package hangs: the worker and what it started
    must not run on."""
    import signal
    import subprocess
    import sys

    psutil = pytest.importorskip("psutil")
    folder = write_package(tmp_path, DOUBLER.replace("return [2 * x for x in data]", "while True:\n            pass"))
    kernel = subprocess.Popen([sys.executable, "-c", "from model_import_widget import package; "
                               f"package.dry_run({str(folder)!r}, {{'numbers': [1]}}, timeout=60)"])
    try:
        worker = wait_for(lambda: next(iter(psutil.Process(kernel.pid).children()), None), 30)
        time.sleep(1.0)  # the request is in: the package is looping
        kernel.send_signal(signal.SIGKILL)
        kernel.wait(10)
        assert wait_for(lambda: gone(worker.pid) or None, 5), "the worker outlived its kernel"
    finally:
        if kernel.poll() is None:
            kernel.kill()


def wait_for(predicate, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = predicate()
        if found:
            return found
        time.sleep(0.05)
    return None


def test_an_engine_that_is_not_installed_here_is_said_so(tmp_path):
    folder = write_package(tmp_path, "import mindspore\n" + DOUBLER.replace(
        "pytorch_model_service import PTServingBaseService", "model_service import SingleNodeService").replace(
        "(PTServingBaseService)", "(SingleNodeService)"), config={**CONFIG, "model_type": "MindSpore"})
    result = package.dry_run(folder, {"numbers": [1]})
    assert result.error == "import_error" and result.missing_module == "mindspore"
    assert result.message.startswith("MindSpore (mindspore) is not installed in this kernel, so the package's code "
                                     "cannot run here")
    assert package.inspect(folder).engine == "MindSpore"  # what does not need the engine still works
    assert [r["package_name"] for r in package.infer_dependencies(folder)] == ["mindspore"]


def test_a_daemon_that_leaves_the_process_group_is_stopped_too(tmp_path):
    psutil = pytest.importorskip("psutil")
    pid_file = tmp_path / "daemon.pid"
    folder = write_package(tmp_path, f"""\
        import os, sys, time
        from model_service.pytorch_model_service import PTServingBaseService

        class Service(PTServingBaseService):
            def _inference(self, data):
                if os.fork() == 0:  # a double fork into a new session: out of the worker's process group
                    os.setsid()
                    if os.fork() == 0:
                        open({str(pid_file)!r}, "w").write(str(os.getpid()))
                        time.sleep(60)
                    os._exit(0)
                os.wait()
                while not os.path.exists({str(pid_file)!r}):
                    time.sleep(0.01)
                return {{"doubled": []}}
        """)
    result = package.dry_run(folder, {})
    assert result.ok, result
    daemon = int(pid_file.read_text())
    assert wait_for(lambda: not psutil.pid_exists(daemon) or psutil.Process(daemon).status() == psutil.STATUS_ZOMBIE
                    or None, 5), "a daemon the package started outlived the dry run"


def test_credentials_by_other_names_are_not_visible_either(tmp_path, monkeypatch):
    secrets = {"OPENAI_API_KEY": "s1", "API_KEY": "s2", "MODELARTS_APIKEY": "s3", "HWCLOUD_ACCESSKEY": "s4",
               "PRIVATEKEY": "s5", "GITHUB_PAT": "s6", "MY_AUTH": "s7", "DATABASE_URL": "postgres://u:pw@h/db"}
    for name, value in secrets.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("HOME_URL", "https://example.org/page")
    folder = write_package(tmp_path, """\
        import os
        from model_service.pytorch_model_service import PTServingBaseService

        class Service(PTServingBaseService):
            def _inference(self, data):
                return dict(os.environ)
        """)
    seen = package.dry_run(folder, {}).response
    assert not set(secrets) & set(seen), set(secrets) & set(seen)
    assert seen["HOME_URL"] == "https://example.org/page"


def test_a_crash_in_native_code_is_named_with_what_it_printed(tmp_path):
    folder = write_package(tmp_path, DOUBLER.replace("return [2 * x for x in data]",
                                                     "print('loading the native library'); import ctypes, sys; "
                                                     "sys.stdout.flush(); ctypes.string_at(0)"))
    result = package.dry_run(folder, {"numbers": [1]})
    assert result.error == "worker_died"
    assert "killed by SIGSEGV (a crash in native code)" in result.message
    assert "its last output: loading the native library" in result.message


def test_a_request_too_large_is_refused_before_sending(tmp_path):
    folder = write_package(tmp_path, DOUBLER)
    result = package.dry_run(folder, {"numbers": [1], "padding": "x" * (worker.MAX_BODY + 1)})
    assert result.error == "bad_request" and "a local run takes at most 64 MiB" in result.message
    result = package.dry_run(folder, {}, files={"images": tmp_path})
    assert result.error == "bad_request" and "is a folder: a file to send is a regular file" in result.message


def test_a_package_printing_without_end_keeps_only_the_tail(tmp_path):
    folder = write_package(tmp_path, DOUBLER.replace("return [2 * x for x in data]",
                                                     "import sys\n        for i in range(200_000):\n"
                                                     "            sys.stdout.write(f'line {i} ' + 'x' * 200 + '\\\\n')\n"
                                                     "        return [2 * x for x in data]"))
    result = package.dry_run(folder, {"numbers": [1]}, timeout=60)
    assert result.ok, result  # 40 MB printed: the worker never blocked on its output
    assert len(result.log) <= 4000 and "line 199999" in result.log


def test_running_a_package_says_first_that_its_code_runs_here(tmp_path):
    folder = write_package(tmp_path, DOUBLER)
    with pytest.warns(package.RunsPackageCodeWarning, match=r"This runs .*/pkg/model/customize_service.py on this "
                                                           r"machine, in a separate process, as you"):
        package.dry_run(folder, {"numbers": [1]})
    with pytest.warns(package.RunsPackageCodeWarning):
        package.serve(folder).stop()


def test_a_service_with_a_mixin_is_constructed_as_its_base_class_says(tmp_path):
    """The base's own __init__ (not the class's last base before object) decides how the service is constructed."""
    folder = write_package(tmp_path, """\
        from model_service.python_model_service import XgSklServingBaseService

        class Logging:
            def note(self):
                return "noted"

        class Service(XgSklServingBaseService, Logging):
            def _inference(self, data):
                return {"path": self.model_path, "name": self.model_name, "note": self.note()}
        """, config={"model_algorithm": "predict_analysis", "model_type": "Scikit_Learn"})
    result = package.dry_run(folder, {})
    assert result.ok, result
    assert result.response == {"path": str((folder / "model").resolve()), "name": None, "note": "noted"}
