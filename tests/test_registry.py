"""The embedded registry against real SQLite and real files: what a user of the registry would notice.

Imports, statuses and events; OBS paths; refusals before registering; listing; delete with blob freeing; cancel;
re-import through the stat cache; symlinks and excluded folders; kill -9 recovery; many processes at once.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest

from model_import_widget.errors import (BackendUnavailableError, DuplicateModelError, ModelNotFoundError, PackageError,
                                        ServiceError)
from model_import_widget.registry import EmbeddedRegistry, default_home, importer, open_registry
from model_import_widget.registry import backend as registry_backend
from model_import_widget.registry.store import new_hasher

HELPER = Path(__file__).with_name("registry_helpers.py")


# ---- fixtures and helpers ---------------------------------------------------------------------------------------


def make_package(root: Path, *, model_type: str = "PyTorch", config: str | None = None, service: bool = True,
                 files: dict[str, bytes] | None = None) -> Path:
    """A package folder: root/model/{config.json, customize_service.py, and `files` (paths inside model/)}."""
    model = root / "model"
    model.mkdir(parents=True, exist_ok=True)
    if config is None:
        config = json.dumps({"model_type": model_type, "model_algorithm": "image_classification",
                             "runtime": "python3.6", "metrics": {"f1": 0.5}})
    (model / "config.json").write_text(config)
    if service:
        (model / "customize_service.py").write_text("class Service:\n    pass\n")
    for rel, data in (files if files is not None else {"weights.pth": b"w" * 5000}).items():
        path = model / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return root


def fields(source: Path | str, name: str = "digits", version: str = "1.0.0", **extra) -> dict:
    data = {"model_name": name, "model_version": version, "model_type": "PyTorch",
            "source_location_type": "LOCAL_SOURCE", "source_location": str(source)}
    data.update(extra)
    return data


def imported(registry: EmbeddedRegistry, source, **kwargs) -> dict:
    return registry.wait_model(registry.create_model(fields(source, **kwargs)), timeout=30)


def failed_import(registry: EmbeddedRegistry, source, **kwargs) -> dict:
    """An import that fails after it was registered: model/config.json is rewritten once the import thread runs (its
    first progress call comes before any file is copied), as when a training job still writes the folder."""
    config = Path(source) / "model" / "config.json"

    def rewrite_once(progress) -> None:
        if progress.bytes_done == 0 and config.read_text().startswith("{"):
            config.write_text("not json any more")

    return registry.wait_model(registry.create_model(fields(source, **kwargs), progress=rewrite_once), timeout=30)


def refused(registry: EmbeddedRegistry, source, **kwargs) -> list[str]:
    """The problems a package is refused for; asserts that nothing was registered for it."""
    with pytest.raises(PackageError) as info:
        registry.create_model(fields(source, **kwargs))
    assert_nothing_registered(registry)
    assert info.value.source_location == str(source)
    return [p["message"] for p in info.value.problems]


def blob_count(registry: EmbeddedRegistry) -> int:
    return len(registry.store.files())


def event_texts(registry: EmbeddedRegistry, model_id: str) -> list[str]:
    return [e["event_info"] for e in registry.get_model_events(model_id)]


def failure(registry: EmbeddedRegistry, model_id: str) -> str:
    failed = [e["event_info"] for e in registry.get_model_events(model_id) if e["event_type"] == "failed"]
    assert len(failed) == 1, registry.get_model_events(model_id)
    return failed[0]


def assert_nothing_registered(registry: EmbeddedRegistry) -> None:
    assert registry.list_models()["total_count"] == 0
    assert blob_count(registry) == 0
    assert os.listdir(registry.imports_dir) == []


def settle() -> None:
    """Wait out the file system's timestamp tick, so a fresh file counts as unchanged for the stat cache."""
    time.sleep(importer.STAT_CACHE_RACY_NS / 1e9 * 1.5)


@pytest.fixture
def registry(tmp_path):
    reg = EmbeddedRegistry(tmp_path / "home")
    yield reg
    reg.close()


@pytest.fixture
def package(tmp_path):
    return make_package(tmp_path / "pkg")


class CountingHasher:
    """new_hasher() wrapped to count the bytes hashed (the bytes read from source files)."""

    def __init__(self, monkeypatch, delay: float = 0.0):
        self.bytes = 0
        self.delay = delay
        lock = threading.Lock()

        def counting(name):
            real = new_hasher(name)
            outer = self

            class Wrapped:
                def update(self, data):
                    with lock:
                        outer.bytes += len(data)
                    if outer.delay:
                        time.sleep(outer.delay)
                    real.update(data)

                def hexdigest(self):
                    return real.hexdigest()

            return Wrapped()

        monkeypatch.setattr(importer, "new_hasher", counting)


# ---- create and read -----------------------------------------------------------------------------------------


def test_create_publishes_with_events_and_the_service_fields(registry, package):
    before = time.time_ns() // 1_000_000
    deps = [{"installer": "pip", "packages": [{"package_name": "numpy", "package_version": "1.15.0",
                                                "restraint": "EXACT"}]}]
    apis = [{"url": "/", "method": "post", "request": {"Content-type": "application/json", "data": {"type": "object"}}}]
    model_id = registry.create_model(fields(package, description="Digits v1", model_algorithm="object_detection",
                                            input_params=[{"url": "/", "param_name": "images", "param_type": "file",
                                                           "protocol": "http", "method": "post"}],
                                            dependencies=deps, apis=apis, source_job_id="job-1"))
    assert uuid.UUID(model_id).version == 4
    info = registry.wait_model(model_id, timeout=30)

    assert info["model_status"] == "published"
    assert (info["model_name"], info["model_version"], info["model_type"]) == ("digits", "1.0.0", "PyTorch")
    assert info["model_size"] == 5000 + len(json.dumps({"model_type": "PyTorch", "model_algorithm":
                                                       "image_classification", "runtime": "python3.6",
                                                       "metrics": {"f1": 0.5}})) + len("class Service:\n    pass\n")
    assert before <= info["create_at"] <= time.time_ns() // 1_000_000
    assert info["description"] == "Digits v1" and info["source_job_id"] == "job-1"
    assert (info["tenant"], info["project"], info["owner"], info["workspace_id"]) == ("local", "local", "local", "0")
    assert info["model_source"] == "custom" and info["install_type"] == ["real-time", "batch"]
    assert info["specification"] == {}
    assert info["dependencies"] == deps
    assert info["input_params"][0]["param_name"] == "images"
    assert isinstance(info["apis"], str) and json.loads(info["apis"]) == apis
    config = json.loads(info["config"])
    assert config["runtime"] == "python3.6"  # from the package's config.json
    assert config["model_algorithm"] == "object_detection"  # the given field wins over config.json
    assert config["dependencies"] == deps
    assert info["model_algorithm"] == "object_detection" and info["runtime"] == "python3.6"
    assert info["execution_code"] == f"{package}/model/customize_service.py"
    assert json.loads(info["model_metrics"]) == {"f1": 0.5}

    events = registry.get_model_events(model_id)
    texts = [e["event_info"] for e in events]
    assert texts[0].startswith("Import started: 3 files")
    assert any(t.startswith("Copied 3 files") for t in texts)
    assert any(t.startswith("Checked the package") for t in texts)
    assert texts[-1] == "Model published"
    assert {e["event_type"] for e in events} == {"normal"}
    assert [e["create_time"] for e in events] == sorted(e["create_time"] for e in events)
    files = registry.model_files(model_id)
    assert sorted(files) == ["model/config.json", "model/customize_service.py", "model/weights.pth"]
    assert files["model/weights.pth"].read_bytes() == b"w" * 5000


def test_a_model_is_publishing_until_its_import_ends(registry, package, monkeypatch):
    gate = threading.Event()
    real = registry._copy_files

    def held(*args):
        gate.wait(10)
        return real(*args)

    monkeypatch.setattr(registry, "_copy_files", held)
    model_id = registry.create_model(fields(package))
    assert registry.get_model(model_id)["model_status"] == "publishing"
    assert registry.list_models(model_status="publishing")["total_count"] == 1
    with pytest.raises(TimeoutError):
        registry.wait_model(model_id, timeout=0.05)
    gate.set()
    assert registry.wait_model(model_id, timeout=30)["model_status"] == "published"


def test_wait_for_an_import_in_this_process_does_not_poll(registry, package, monkeypatch):
    model_id = registry.create_model(fields(package))
    calls = []
    real_get = registry.get_model
    monkeypatch.setattr(registry, "get_model", lambda mid: calls.append(mid) or real_get(mid))
    assert registry.wait_model(model_id, timeout=30)["model_status"] == "published"
    assert len(calls) == 1


@pytest.mark.parametrize("location", ["obs://my-bucket/models/digits/", "/my-bucket/models/digits/",
                                      "obs://my-bucket/models/digits"])
def test_obs_source_is_read_from_home_obs(registry, location):
    make_package(registry.home / "obs" / "my-bucket" / "models" / "digits")
    info = imported(registry, location, source_location_type="OBS_SOURCE")
    assert info["model_status"] == "published"
    assert info["source_location"] == location


def test_missing_obs_source_is_refused_before_registering(registry):
    with pytest.raises(ServiceError) as caught:
        registry.create_model(fields("obs://my-bucket/nothing/", source_location_type="OBS_SOURCE"))
    assert (caught.value.status, caught.value.error_code) == (400, "ModelArts.3551")
    assert "OBS path obs://my-bucket/nothing/ does not exist" in caught.value.error_msg
    assert str(registry.home / "obs" / "my-bucket" / "nothing") in caught.value.error_msg
    assert_nothing_registered(registry)


def test_missing_local_source_is_refused_before_registering(registry, tmp_path):
    with pytest.raises(ServiceError) as caught:
        registry.create_model(fields(tmp_path / "not-there"))
    assert caught.value.error_code == "ModelArts.3551"
    assert "not-there does not exist" in caught.value.error_msg and "contains model/" in caught.value.error_msg
    assert_nothing_registered(registry)


def test_duplicate_name_and_version_names_the_existing_model(registry, package):
    first = imported(registry, package)
    with pytest.raises(DuplicateModelError) as caught:
        registry.create_model(fields(package))
    assert caught.value.model_id == first["model_id"]
    assert (caught.value.status, caught.value.error_code) == (409, "ModelArts.3002")
    assert registry.list_models()["total_count"] == 1
    assert imported(registry, package, version="1.0.1")["model_status"] == "published"


def test_unknown_id_is_not_found_everywhere(registry):
    missing = str(uuid.uuid4())
    for call in (registry.get_model, registry.get_model_events, registry.delete_model, registry.model_files,
                 registry.wait_model):
        with pytest.raises(ModelNotFoundError) as caught:
            call(missing)
        assert caught.value.model_id == missing and caught.value.error_code == "ModelArts.3001"


def test_home_comes_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("MODEL_IMPORT_WIDGET_HOME", str(tmp_path / "from-env"))
    assert default_home() == tmp_path / "from-env"
    reg = open_registry()
    assert reg.home == tmp_path / "from-env" and (tmp_path / "from-env" / "registry.db").is_file()
    reg.close()
    monkeypatch.delenv("MODEL_IMPORT_WIDGET_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "user"))
    assert default_home() == tmp_path / "user" / ".model_import_widget"
    assert open_registry(tmp_path / "explicit").home == tmp_path / "explicit"


# ---- list -------------------------------------------------------------------------------------------------------


@pytest.fixture
def listed(registry, tmp_path):
    small = make_package(tmp_path / "small", files={"w.bin": b"1" * 10})
    big = make_package(tmp_path / "big", files={"w.bin": b"2" * 5000})
    ids = {}
    for version, source, description in (("1.0.0", small, "First Release"), ("2.0.0", big, "second"),
                                         ("10.0.0", small, "third release"), ("1.0.1", big, None)):
        ids[version] = imported(registry, source, name="Digit_Net", version=version,
                                **({"description": description} if description else {}))["model_id"]
    ids["other"] = imported(registry, small, name="DigitNetLite", version="1.0.0", model_type="TensorFlow")["model_id"]
    broken = make_package(tmp_path / "broken")
    ids["failed"] = failed_import(registry, broken, name="broken", version="1.0.0")["model_id"]
    return ids


def test_list_defaults_newest_first_with_list_items(registry, listed):
    result = registry.list_models()
    assert result["total_count"] == result["count"] == 6
    assert [m["model_id"] for m in result["models"]] == [listed[k] for k in
                                                         ("failed", "other", "1.0.1", "10.0.0", "2.0.0", "1.0.0")]
    item = result["models"][0]
    assert {"model_id", "model_name", "model_version", "model_type", "model_size", "model_status", "tenant",
            "project", "owner", "create_at", "description", "source_type", "install_type", "workspace_id",
            "model_source", "specification"} <= set(item)
    assert item["model_status"] == "failed"


def test_list_pages_are_offset_times_limit(registry, listed):
    pages = [registry.list_models(offset=page, limit=4) for page in range(3)]
    assert [p["count"] for p in pages] == [4, 2, 0]
    assert {p["total_count"] for p in pages} == {6}
    assert [m["model_id"] for p in pages for m in p["models"]] == [m["model_id"] for m in
                                                                   registry.list_models()["models"]]


def test_list_sorts_versions_numerically_and_by_size(registry, listed):
    by_version = registry.list_models(model_name="digit_net", exact_match=False, sort_by="model_version", order="asc")
    assert [m["model_version"] for m in by_version["models"]] == ["1.0.0", "1.0.1", "2.0.0", "10.0.0"]
    newest_version = registry.list_models(model_name="Digit_Net", exact_match=True, sort_by="model_version", limit=1)
    assert newest_version["models"][0]["model_version"] == "10.0.0" and newest_version["total_count"] == 4
    by_size = registry.list_models(model_name="Digit_Net", exact_match=True, sort_by="model_size", order="desc")
    sizes = [m["model_size"] for m in by_size["models"]]
    assert sizes == sorted(sizes, reverse=True) and sizes[0] > sizes[-1]


def test_list_filters(registry, listed):
    assert registry.list_models(model_name="DIGIT")["total_count"] == 5  # fuzzy, any case
    assert registry.list_models(model_name="Digit_Net", exact_match=True)["total_count"] == 4
    assert registry.list_models(model_name="digit_net", exact_match=True)["total_count"] == 0
    assert registry.list_models(model_version="1.0.0")["total_count"] == 3
    assert registry.list_models(model_version="1.0")["total_count"] == 0  # versions match exactly
    assert registry.list_models(description="RELEASE")["total_count"] == 2
    assert registry.list_models(model_type="tensorflow")["models"][0]["model_id"] == listed["other"]
    assert registry.list_models(model_status="failed")["models"][0]["model_id"] == listed["failed"]
    assert registry.list_models(model_status="published")["total_count"] == 5
    combined = registry.list_models(model_name="digit", model_version="1.0.0", model_type="PyTorch")
    assert [m["model_id"] for m in combined["models"]] == [listed["1.0.0"]]


@pytest.mark.parametrize("bad", [{"sort_by": "name"}, {"order": "up"}, {"limit": 0}, {"limit": "10"},
                                 {"offset": -1}])
def test_list_refuses_bad_parameters(registry, bad):
    with pytest.raises(ServiceError) as caught:
        registry.list_models(**bad)
    assert (caught.value.status, caught.value.error_code) == (400, "ModelArts.0104")
    assert next(iter(bad)) in caught.value.error_msg


# ---- delete -----------------------------------------------------------------------------------------------------


def test_delete_frees_only_blobs_nobody_else_uses(registry, tmp_path):
    shared = make_package(tmp_path / "a", files={"shared.bin": b"s" * 3000, "only-a.bin": b"a" * 100})
    other = make_package(tmp_path / "b", files={"shared.bin": b"s" * 3000, "only-b.bin": b"b" * 100})
    a = imported(registry, shared, name="a")["model_id"]
    b = imported(registry, other, name="b")["model_id"]
    assert blob_count(registry) == 5  # config.json, customize_service.py, shared, only-a, only-b

    assert registry.delete_model(a) == {"delete_success_list": [a], "delete_failed_list": []}
    assert blob_count(registry) == 4  # only-a went; the shared ones stay for b
    with pytest.raises(ModelNotFoundError):
        registry.get_model_events(a)
    assert all(path.read_bytes() for path in registry.model_files(b).values())

    registry.delete_model(b)
    assert blob_count(registry) == 0


def test_cascade_deletes_other_versions_at_most_twenty(registry, package):
    ids = [imported(registry, package, version=f"1.0.{n}")["model_id"] for n in range(22)]
    keep = imported(registry, package, name="unrelated")["model_id"]
    result = registry.delete_model(ids[5], cascade=True)
    assert len(result["delete_success_list"]) == 20 and result["delete_success_list"][0] == ids[5]
    assert result["delete_failed_list"] == []
    assert registry.list_models(model_name="digits", exact_match=True)["total_count"] == 2
    registry.delete_model(ids[-1], cascade=True)
    assert [m["model_id"] for m in registry.list_models()["models"]] == [keep]
    assert blob_count(registry) == 3


def test_delete_cancels_an_import_running_in_this_process(registry, tmp_path, monkeypatch):
    CountingHasher(monkeypatch, delay=0.01)
    source = make_package(tmp_path / "slow", files={f"w{n}.bin": os.urandom(6 << 20) for n in range(3)})
    model_id = registry.create_model(fields(source))
    time.sleep(0.1)
    started = time.monotonic()
    assert registry.delete_model(model_id) == {"delete_success_list": [model_id], "delete_failed_list": []}
    assert time.monotonic() - started < 2
    assert_nothing_registered(registry)


# ---- broken packages ----------------------------------------------------------------------------------------------


def test_package_without_model_folder_is_refused_before_registering(registry, tmp_path):
    source = tmp_path / "flat"
    source.mkdir()
    (source / "config.json").write_text("{}")
    problems = refused(registry, source)
    assert len(problems) == 1 and "model/ is missing" in problems[0]
    assert "config.json" in problems[0]  # says what the folder holds


def test_package_missing_both_files_is_refused_naming_both_then_imports_once_fixed(registry, tmp_path):
    source = make_package(tmp_path / "p", service=False)
    (source / "model" / "config.json").unlink()
    problems = refused(registry, source, name="digits", version="1.0.0")
    assert [p.split(" ", 1)[0] for p in problems] == ["model/config.json", "model/customize_service.py"]
    assert all("is missing" in p for p in problems)
    (source / "model" / "config.json").write_text(json.dumps({"model_type": "PyTorch"}))
    (source / "model" / "customize_service.py").write_text("class Service:\n    pass\n")
    info = imported(registry, source, name="digits", version="1.0.0")  # the same name and version: still free
    assert info["model_status"] == "published"


def test_unreadable_config_json_is_refused_naming_line_and_column(registry, tmp_path):
    source = make_package(tmp_path / "p", config='{\n  "model_type": "PyTorch",\n  "runtime" "python3.6"\n}')
    problems = refused(registry, source)
    assert len(problems) == 1 and problems[0].startswith("model/config.json line 3, column 13: ")
    assert "runtime" in problems[0]


def test_a_package_changed_after_the_walk_fails_naming_the_file(registry, tmp_path):
    source = make_package(tmp_path / "p")
    info = failed_import(registry, source)
    assert info["model_status"] == "failed"
    assert "model/config.json: changed while it was being imported" in failure(registry, info["model_id"])
    registry.delete_model(info["model_id"])
    assert blob_count(registry) == 0


def test_missing_customize_service_is_refused_except_for_image(registry, tmp_path):
    source = make_package(tmp_path / "p", service=False)
    assert ["model/customize_service.py is missing" in p for p in refused(registry, source)] == [True]

    image = make_package(tmp_path / "image", service=False,
                         config=json.dumps({"model_type": "Image", "swr_location": "swr.x/org/img:1"}))
    info = imported(registry, image, name="image", model_type="Image")
    assert info["model_status"] == "published"
    assert json.loads(info["config"])["swr_location"] == "swr.x/org/img:1"


def test_image_without_swr_location_is_refused(registry, tmp_path):
    image = make_package(tmp_path / "image", service=False, config=json.dumps({"model_type": "Image"}))
    problems = refused(registry, image, model_type="Image")
    assert len(problems) == 1 and "has no swr_location" in problems[0]


def test_custom_image_models_are_refused_with_where_they_can_go(registry, tmp_path):
    source = make_package(tmp_path / "p", service=False)
    with pytest.raises(BackendUnavailableError, match="only ModelArts can pull and run"):
        registry.create_model(fields(source, model_type="Custom"))
    assert_nothing_registered(registry)


# ---- progress and cancel ------------------------------------------------------------------------------------------


def test_progress_is_monotonic_throttled_and_ends_at_the_totals(registry, tmp_path, monkeypatch):
    CountingHasher(monkeypatch, delay=0.002)
    files = {f"small/{n:03d}.bin": os.urandom(2000) for n in range(150)}
    files["big.bin"] = os.urandom(12 << 20)
    source = make_package(tmp_path / "p", files=files)
    seen = []
    started = time.monotonic()
    info = registry.wait_model(registry.create_model(fields(source), progress=seen.append), timeout=60)
    elapsed = time.monotonic() - started
    assert info["model_status"] == "published"
    total_bytes = info["model_size"]
    assert len(seen) >= 3
    assert seen[0].bytes_done == 0 and seen[0].bytes_total == total_bytes and seen[0].files_total == 153
    assert all(p.bytes_total == total_bytes and p.files_total == 153 for p in seen)
    assert all(a.bytes_done <= b.bytes_done and a.files_done <= b.files_done for a, b in zip(seen, seen[1:]))
    assert any(0 < p.bytes_done < total_bytes for p in seen)
    assert (seen[-1].bytes_done, seen[-1].files_done) == (total_bytes, 153)
    assert len(seen) <= elapsed / registry_backend.PROGRESS_INTERVAL + 3


def test_cancel_mid_copy_leaves_nothing_behind(registry, tmp_path, monkeypatch):
    earlier = make_package(tmp_path / "earlier", files={"shared.bin": b"s" * 4000})
    kept = imported(registry, earlier, name="kept")
    blobs_before = sorted(registry.store.files())
    CountingHasher(monkeypatch, delay=0.01)
    source = make_package(tmp_path / "p", files={"shared.bin": b"s" * 4000,
                                                 **{f"w{n}.bin": os.urandom(6 << 20) for n in range(4)}})
    cancel = threading.Event()
    seen = []

    def cancel_once_moving(progress):
        seen.append(progress)
        if progress.bytes_done > 0:
            cancel.set()

    model_id = registry.create_model(fields(source), progress=cancel_once_moving, cancel=cancel)
    with pytest.raises(ModelNotFoundError):
        registry.wait_model(model_id, timeout=30)
    assert 0 < seen[-1].bytes_done < seen[-1].bytes_total  # it really stopped half way
    with pytest.raises(ModelNotFoundError):
        registry.get_model_events(model_id)
    assert [m["model_id"] for m in registry.list_models()["models"]] == [kept["model_id"]]
    assert sorted(registry.store.files()) == blobs_before  # no new blob stays; the shared one is still there
    assert os.listdir(registry.imports_dir) == []
    assert registry.wait_model(registry.create_model(fields(earlier)), timeout=30)["model_status"] == "published"


# ---- re-import and the stat cache -----------------------------------------------------------------------------------


def test_identical_reimport_stores_nothing_and_reads_nothing(registry, tmp_path, monkeypatch):
    hashed = CountingHasher(monkeypatch)
    source = make_package(tmp_path / "p", files={"a.bin": os.urandom(300_000), "b.bin": os.urandom(6 << 20)})
    settle()
    first = imported(registry, source)
    stored = sorted(registry.store.files())
    disk = registry.store.disk_bytes()
    assert hashed.bytes == first["model_size"]

    hashed.bytes = 0
    second = imported(registry, source, version="1.0.1")
    assert second["model_status"] == "published"
    assert hashed.bytes == 0  # every file was known by its stat: none was read again
    assert sorted(registry.store.files()) == stored and registry.store.disk_bytes() == disk
    assert any("4 unchanged since an earlier import" in t for t in event_texts(registry, second["model_id"]))
    assert {p: f.read_bytes() for p, f in registry.model_files(second["model_id"]).items()} == \
           {p: f.read_bytes() for p, f in registry.model_files(first["model_id"]).items()}


def test_changed_files_are_hashed_again(registry, tmp_path, monkeypatch):
    hashed = CountingHasher(monkeypatch)
    source = make_package(tmp_path / "p", files={"same-size.bin": b"a" * 1000, "grows.bin": b"g" * 1000,
                                                 "touched.bin": b"t" * 1000})
    settle()
    imported(registry, source)
    weights = source / "model"
    old = os.stat(weights / "same-size.bin")
    (weights / "same-size.bin").write_bytes(b"b" * 1000)
    os.utime(weights / "same-size.bin", ns=(old.st_atime_ns, old.st_mtime_ns))  # even with the old mtime back
    (weights / "grows.bin").write_bytes(b"g" * 1001)
    os.utime(weights / "touched.bin")
    settle()
    hashed.bytes = 0
    second = imported(registry, source, version="1.0.1")
    assert hashed.bytes == 1000 + 1001 + 1000
    files = registry.model_files(second["model_id"])
    assert files["model/same-size.bin"].read_bytes() == b"b" * 1000
    assert files["model/grows.bin"].read_bytes() == b"g" * 1001
    assert any("2 stored new, 1 already stored, 2 unchanged" in t for t in event_texts(registry, second["model_id"]))

    hashed.bytes = 0
    imported(registry, source, version="1.0.2")
    assert hashed.bytes == 0


def test_a_deleted_blob_is_not_trusted_from_the_stat_cache(registry, tmp_path, monkeypatch):
    hashed = CountingHasher(monkeypatch)
    source = make_package(tmp_path / "p", files={"w.bin": os.urandom(50_000)})
    settle()
    first = imported(registry, source)
    registry.delete_model(first["model_id"])
    assert blob_count(registry) == 0
    hashed.bytes = 0
    again = imported(registry, source)
    assert hashed.bytes == again["model_size"]
    assert registry.model_files(again["model_id"])["model/w.bin"].read_bytes() == (source / "model/w.bin").read_bytes()


# ---- what an import takes -------------------------------------------------------------------------------------------


def test_excluded_folders_are_left_out(registry, tmp_path):
    source = make_package(tmp_path / "p", files={
        "weights.pth": b"w", ".ipynb_checkpoints/x-checkpoint.py": b"c", "__pycache__/m.cpython-311.pyc": b"p",
        "pkg/__pycache__/m.pyc": b"p", "pkg/m.py": b"m"})
    (source / ".git").mkdir()
    (source / ".git" / "HEAD").write_text("ref")
    info = imported(registry, source)
    assert sorted(registry.model_files(info["model_id"])) == [
        "model/config.json", "model/customize_service.py", "model/pkg/m.py", "model/weights.pth"]


def test_symlink_outside_the_folder_is_refused(registry, tmp_path):
    secret = tmp_path / "elsewhere.txt"
    secret.write_text("not part of the model")
    source = make_package(tmp_path / "p")
    (source / "model" / "leak.txt").symlink_to(secret)
    with pytest.raises(ServiceError) as caught:
        registry.create_model(fields(source))
    assert "model/leak.txt" in caught.value.error_msg and "outside the model folder" in caught.value.error_msg
    assert_nothing_registered(registry)


def test_symlinks_inside_the_folder_are_followed(registry, tmp_path):
    source = make_package(tmp_path / "p", files={"real/w.bin": b"real weights", ".git/kept/w2.bin": b"w2"})
    (source / "model" / "link.bin").symlink_to(source / "model" / "real" / "w.bin")
    (source / "model" / "kept").symlink_to(".git/kept")  # a folder reached only through the link: taken once
    info = imported(registry, source)
    files = registry.model_files(info["model_id"])
    assert files["model/link.bin"].read_bytes() == b"real weights"
    assert files["model/kept/w2.bin"].read_bytes() == b"w2"
    assert files["model/link.bin"] == files["model/real/w.bin"]  # one blob for the same content
    assert not any(rel.startswith("model/.git") for rel in files)


@pytest.mark.parametrize("name", ["a-latest", "z-latest"])  # walked before or after the folder it points to
def test_a_second_way_into_a_folder_is_refused_naming_the_link(registry, tmp_path, name):
    source = make_package(tmp_path / "p", files={"v3/w.bin": b"weights"})
    (source / "model" / name).symlink_to("v3")
    with pytest.raises(ServiceError) as caught:
        registry.create_model(fields(source))
    assert f"the symbolic link model/{name} leads to the folder model/v3, which" in caught.value.error_msg
    assert "Remove the link, or replace it with a copy" in caught.value.error_msg
    assert_nothing_registered(registry)


def test_packages_over_the_size_limit_are_refused_up_front(registry, tmp_path, monkeypatch):
    from model_import_widget import spec

    monkeypatch.setattr(spec, "MAX_PACKAGE_BYTES", 4096)
    source = make_package(tmp_path / "p", files={"weights.pth": b"w" * 5000})
    with pytest.raises(ServiceError) as caught:
        registry.create_model(fields(source))
    assert (caught.value.status, caught.value.error_code) == (500, "ModelArts.3044")  # as the service answers
    assert caught.value.error_msg == f"Model file ({source}) is larger than 4 KiB and cannot be imported."
    assert_nothing_registered(registry)


def test_the_real_limit_is_20g(registry, tmp_path):
    source = make_package(tmp_path / "p", files={})
    with open(source / "model" / "huge.bin", "wb") as sparse:  # takes no disk space, and is never read
        sparse.truncate(20 * 1024 ** 3 + 1)
    with pytest.raises(ServiceError) as caught:
        registry.create_model(fields(source))
    assert caught.value.error_msg == f"Model file ({source}) is larger than 20G and cannot be imported."
    assert_nothing_registered(registry)


# ---- crashes and other processes ------------------------------------------------------------------------------------


def _helper(*args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, str(HELPER), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


def _blobs_match_their_names(registry: EmbeddedRegistry) -> None:
    for blob in registry.store.files():
        algorithm = blob.parent.parent.name
        hasher = new_hasher(algorithm)
        hasher.update(blob.read_bytes())
        assert blob.parent.name + blob.name == hasher.hexdigest(), f"{blob} does not hold what its name says"


def test_kill_9_mid_import_leaves_a_failed_model_and_no_temp_files(tmp_path):
    home = tmp_path / "home"
    source = make_package(tmp_path / "p", files={f"w{n}.bin": os.urandom(6 << 20) for n in range(6)})
    child = _helper("hang", str(home), str(source), "digits", "1.0.0")
    try:
        assert child.stdout.readline().strip() == "STARTED", child.stderr.read()
        observer = EmbeddedRegistry(home)  # opening while the import lives must not mark it interrupted
        [item] = observer.list_models()["models"]
        assert item["model_status"] == "publishing"
        assert "failed" not in {e["event_type"] for e in observer.get_model_events(item["model_id"])}
        assert os.listdir(observer.imports_dir)  # the live import's lock and temp files
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(10)
        child.stdout.close()
        child.stderr.close()

    # a registry that was already open finds out while waiting ...
    info = observer.wait_model(item["model_id"], timeout=10)
    assert info["model_status"] == "failed"
    observer.close()
    # ... and one opened afterwards sees the same, with the temp files gone
    registry = EmbeddedRegistry(home)
    assert registry.get_model(item["model_id"])["model_status"] == "failed"
    last = registry.get_model_events(item["model_id"])[-1]
    assert last["event_type"] == "failed" and "Import interrupted" in last["event_info"]
    assert f"process {child.pid}" in last["event_info"]
    assert os.listdir(registry.imports_dir) == []
    _blobs_match_their_names(registry)
    registry.delete_model(item["model_id"])
    assert blob_count(registry) == 0
    assert imported(registry, source)["model_status"] == "published"


def test_kill_9_is_noticed_when_the_registry_opens(tmp_path):
    home = tmp_path / "home"
    source = make_package(tmp_path / "p", files={f"w{n}.bin": os.urandom(6 << 20) for n in range(3)})
    child = _helper("hang", str(home), str(source), "digits", "1.0.0")
    try:
        assert child.stdout.readline().strip() == "STARTED", child.stderr.read()
    finally:
        child.kill()
        child.wait(10)
        child.stdout.close()
        child.stderr.close()
    registry = EmbeddedRegistry(home)
    [item] = registry.list_models()["models"]
    assert item["model_status"] == "failed"
    assert "Import interrupted" in failure(registry, item["model_id"])
    assert os.listdir(registry.imports_dir) == []


def test_eight_processes_importing_at_once_lose_nothing(tmp_path):
    home = tmp_path / "home"
    EmbeddedRegistry(home).close()
    shared = os.urandom(3 << 20)
    sources = [make_package(tmp_path / f"p{n}", files={"shared.bin": shared, "own.bin": os.urandom(5 << 20),
                                                       **{f"s/{k}.txt": f"{n}-{k}".encode() for k in range(20)}})
               for n in range(8)]
    children = [_helper("import", str(home), str(src), f"model-{n}", "1.0.0") for n, src in enumerate(sources)]
    outputs = [child.communicate(timeout=120) for child in children]
    for child, (out, err) in zip(children, outputs):
        assert child.returncode == 0, err
        assert "locked" not in err
        assert json.loads(out)["status"] == "published"
    registry = EmbeddedRegistry(home)
    models = registry.list_models()["models"]
    assert sorted(m["model_name"] for m in models) == [f"model-{n}" for n in range(8)]
    assert {m["model_status"] for m in models} == {"published"}, [
        registry.get_model_events(m["model_id"]) for m in models if m["model_status"] != "published"]
    for model in models:
        n = int(model["model_name"].split("-")[1])
        files = registry.model_files(model["model_id"])
        assert len(files) == 24
        assert files["model/shared.bin"].read_bytes() == shared
        assert files["model/own.bin"].read_bytes() == (sources[n] / "model" / "own.bin").read_bytes()
    # config.json, customize_service.py, shared.bin stored once; own.bin and 20 small files per model
    assert blob_count(registry) == 3 + 8 * 21
    _blobs_match_their_names(registry)


def test_two_processes_cannot_register_the_same_name_and_version(tmp_path):
    home = tmp_path / "home"
    EmbeddedRegistry(home).close()
    source = make_package(tmp_path / "p")
    children = [_helper("import", str(home), str(source), "same", "1.0.0") for _ in range(4)]
    results = [json.loads(child.communicate(timeout=60)[0]) for child in children]
    winners = [r for r in results if "model_id" in r]
    assert len(winners) == 1 and winners[0]["status"] == "published"
    assert [r["duplicate_of"] for r in results if "duplicate_of" in r] == [winners[0]["model_id"]] * 3


def test_deleting_while_importing_the_same_content_keeps_every_blob(registry, tmp_path):
    source = make_package(tmp_path / "p", files={f"w{n}.bin": bytes([n]) * 20_000 for n in range(10)})
    errors = []

    def churn(name):
        try:
            for round_ in range(8):
                info = imported(registry, source, name=name, version=f"1.0.{round_}")
                files = registry.model_files(info["model_id"])
                assert all(path.is_file() for path in files.values()), "a referenced blob was collected"
                registry.delete_model(info["model_id"])
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=churn, args=(f"m{n}",)) for n in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert blob_count(registry) == 0


def test_a_file_that_vanishes_during_the_import_fails_it_naming_the_file(registry, tmp_path):
    source = make_package(tmp_path / "p", files={"weights.pth": b"w" * 5000})

    def remove_weights_at_start(progress):
        if progress.bytes_done == 0:
            (source / "model" / "weights.pth").unlink(missing_ok=True)

    info = registry.wait_model(registry.create_model(fields(source), progress=remove_weights_at_start), timeout=30)
    assert info["model_status"] == "failed"
    assert failure(registry, info["model_id"]).startswith("Could not copy model/weights.pth: was removed during the import")
    assert os.listdir(registry.imports_dir) == []


def test_garbage_collection_removes_only_unreferenced_blobs(registry, package):
    info = imported(registry, package)
    kept = sorted(registry.store.files())
    stray = registry.store.path("sha256:" + "ab" * 32)
    stray.parent.mkdir(parents=True, exist_ok=True)
    stray.write_bytes(b"left by a killed import")
    assert registry.collect_garbage() == 1
    assert sorted(registry.store.files()) == kept
    assert all(p.is_file() for p in registry.model_files(info["model_id"]).values())


def test_file_systems_without_kernel_copy_store_the_same_blobs(tmp_path, monkeypatch):
    source = make_package(tmp_path / "p", files={"big.bin": os.urandom(9 << 20), "small.bin": b"s" * 100})
    with_kernel = EmbeddedRegistry(tmp_path / "a")
    expected = {p: f.read_bytes() for p, f in with_kernel.model_files(imported(with_kernel, source)["model_id"]).items()}
    names = sorted(f.name for f in with_kernel.store.files())

    def no_kernel_copy(*args):
        raise OSError(18, "Invalid cross-device link")  # EXDEV, as older kernels say across file systems

    monkeypatch.setattr(importer.os, "copy_file_range", no_kernel_copy, raising=False)
    without = EmbeddedRegistry(tmp_path / "b")
    info = imported(without, source)
    assert info["model_status"] == "published"
    assert {p: f.read_bytes() for p, f in without.model_files(info["model_id"]).items()} == expected
    assert sorted(f.name for f in without.store.files()) == names


def test_deleting_from_inside_the_progress_callback_cancels_without_hanging(registry, tmp_path):
    source = make_package(tmp_path / "p", files={"w.bin": os.urandom(6 << 20)})
    results = []

    def delete_myself(progress):
        if not results:
            results.append(registry.delete_model(registry.list_models()["models"][0]["model_id"]))

    model_id = registry.create_model(fields(source), progress=delete_myself)
    with pytest.raises(ModelNotFoundError):
        registry.wait_model(model_id, timeout=10)
    assert results == [{"delete_success_list": [model_id], "delete_failed_list": []}]
    assert_nothing_registered(registry)


@pytest.mark.parametrize("swap", ["fifo", "symlink"])
def test_a_file_swapped_after_the_walk_is_refused_without_hanging(tmp_path, swap):
    """The copy reads the file the walk saw: a FIFO put in its place never blocks it, a link never leads out."""
    source = tmp_path / "pkg"
    (source / "model").mkdir(parents=True)
    (source / "model" / "weights.pth").write_bytes(b"w" * 5000)
    tree = importer.walk(source, str(source))
    target = source / "model" / "weights.pth"
    target.unlink()
    if swap == "fifo":
        os.mkfifo(target)
    else:
        (tmp_path / "outside-secret").write_text("not yours")
        target.symlink_to(tmp_path / "outside-secret")
    registry = EmbeddedRegistry(tmp_path / "home")
    temp = tmp_path / "parts"
    temp.mkdir()
    copier = importer.Copier(registry.store, temp, registry.hash_name, workers=1)
    try:
        copier.submit(list(tree.files))
        result = copier.results.get(timeout=10)  # a blocked open would never answer
    finally:
        copier.close()
    assert isinstance(result, importer.CopyFailed)
    assert ("no longer a regular file" if swap == "fifo" else "replaced by a symbolic link") in str(result)
    assert list(temp.iterdir()) == []


def test_the_check_before_registering_never_blocks_on_a_fifo_swapped_in_for_config_json(tmp_path):
    from model_import_widget.registry.importer import walk
    from model_import_widget.registry.lint import lint_package

    source = make_package(tmp_path / "p")
    tree = walk(source, str(source))
    config = source / "model" / "config.json"
    config.unlink()
    os.mkfifo(config)  # after the walk, before the check: nobody ever writes to it
    done = []
    thread = threading.Thread(target=lambda: done.append(lint_package(tree, "PyTorch")), daemon=True)
    thread.start()
    thread.join(5)
    assert done, "the check hung on a FIFO"
    assert [p["path"] for p in done[0].problems] == ["model/config.json"]
    assert "no longer a regular file" in done[0].problems[0]["message"]


def test_a_huge_config_json_is_refused_before_registering(registry, tmp_path):
    source = make_package(tmp_path / "p")
    with open(source / "model" / "config.json", "ab") as stream:
        stream.truncate(17 * 1024 * 1024)
    problems = refused(registry, source)
    assert len(problems) == 1 and "larger than 16 MiB" in problems[0]


# ---- delete: references go first, in a committed transaction; blobs after ----------------------------------------


def _referenced_blobs_exist(registry: EmbeddedRegistry) -> list[str]:
    """Every blob a model still references, that is missing (must be [])."""
    missing = []
    for item in registry.list_models(limit=1000)["models"]:
        for path, blob in registry.model_files(item["model_id"]).items():
            if not blob.is_file():
                missing.append(f"{item['model_id']}:{path}")
    return missing


def test_kill_9_during_delete_never_leaves_a_model_with_lost_files(tmp_path):
    home = tmp_path / "home"
    registry = EmbeddedRegistry(home)
    kept = imported(registry, make_package(tmp_path / "kept", files={"shared.bin": b"s" * 3000}), name="kept")
    files = {f"f{n:04d}.bin": n.to_bytes(4, "big") * 8 for n in range(1500)}
    files["shared.bin"] = b"s" * 3000  # also referenced by the kept model: must survive every delete
    registry.close()
    outcomes = []
    for delay in (0.05, 0.4, 1.0):
        registry = EmbeddedRegistry(home)
        doomed = imported(registry, make_package(tmp_path / f"many-{delay}", files=files), name="many",
                          version=f"1.0.{int(delay * 10)}")
        registry.close()
        child = _helper("delete", str(home), doomed["model_id"], "-", "-")
        try:
            assert child.stdout.readline().strip() == "DELETING", child.stderr.read()
            time.sleep(delay)
        finally:
            child.send_signal(signal.SIGKILL)
            child.wait(10)
            child.stdout.close()
            child.stderr.close()
        registry = EmbeddedRegistry(home)  # opening finishes an interrupted delete
        gone = [m["model_id"] for m in registry.list_models()["models"]].count(doomed["model_id"]) == 0
        outcomes.append(gone)
        assert _referenced_blobs_exist(registry) == [], f"a model lost files (kill after {delay} s)"
        if not gone:  # the kill came before the delete committed: the model is whole and can be deleted now
            registry.delete_model(doomed["model_id"])
        assert [m["model_id"] for m in registry.list_models()["models"]] == [kept["model_id"]]
        assert blob_count(registry) == len(registry.model_files(kept["model_id"]))  # the rest was swept
        registry.close()
    assert any(outcomes), "no kill landed after the delete committed: the test proved nothing about the sweep"


def test_a_failing_unlink_leaves_no_half_deleted_model_and_a_later_sweep_finishes(registry, tmp_path, monkeypatch):
    source = make_package(tmp_path / "p", files={f"f{n}.bin": bytes([n]) * 100 for n in range(20)})
    info = imported(registry, source)
    victim = str(sorted(registry.model_files(info["model_id"]).values())[3])
    real_unlink = os.unlink

    def failing_unlink(path, *args, **kwargs):
        if str(path) == victim:
            raise PermissionError(13, "Permission denied", str(path))
        return real_unlink(path, *args, **kwargs)

    monkeypatch.setattr(os, "unlink", failing_unlink)
    assert registry.delete_model(info["model_id"])["delete_success_list"] == [info["model_id"]]
    assert registry.list_models()["total_count"] == 0  # the model is gone, whole: no half-deleted model
    assert [str(p) for p in registry.store.files()] == [victim]  # only the blob that could not go
    monkeypatch.setattr(os, "unlink", real_unlink)
    EmbeddedRegistry(registry.home).close()  # the next open sweeps it
    assert blob_count(registry) == 0


def test_a_blob_doomed_by_a_delete_but_claimed_again_stays(registry, tmp_path):
    shared = {"shared.bin": b"x" * 5000}
    first = imported(registry, make_package(tmp_path / "a", files=shared), name="a")
    second_source = make_package(tmp_path / "b", files=shared)
    with registry._index.writing() as db:  # a delete's first step, committed, with its sweep still to come
        db.execute("DELETE FROM models WHERE model_id = ?", (first["model_id"],))
        blobs = [r[0] for r in db.execute("SELECT blob FROM files WHERE model_id = ?", (first["model_id"],))]
        db.execute("DELETE FROM files WHERE model_id = ?", (first["model_id"],))
        db.executemany("INSERT INTO doomed (blob) VALUES (?)", ((b,) for b in blobs))
    second = imported(registry, second_source, name="b")  # claims the same blobs meanwhile
    registry._index.sweep_doomed(registry.store)
    assert second["model_status"] == "published" and _referenced_blobs_exist(registry) == []
    assert {p.read_bytes() for p in registry.model_files(second["model_id"]).values()} >= {b"x" * 5000}


# ---- the walk: bounded, no recursion, nothing special ever opened --------------------------------------------------


def test_a_folder_1500_deep_is_refused_with_a_message_not_a_recursion_error(registry, tmp_path):
    source = make_package(tmp_path / "p")
    top = deep = str(source / "model")
    for _ in range(1500):  # one level at a time: makedirs itself would recurse 1500 deep
        deep += "/d"
        os.mkdir(deep)
    with open(deep + "/leaf.bin", "wb") as stream:
        stream.write(b"x")
    try:
        with pytest.raises(ServiceError, match="more than 64 folders deep"):
            registry.create_model(fields(source))
        assert_nothing_registered(registry)
    finally:  # shutil.rmtree (pytest's clean-up) recurses: take the tree down one level at a time
        os.unlink(deep + "/leaf.bin")
        while deep != top:
            os.rmdir(deep)
            deep = os.path.dirname(deep)


def test_links_that_would_multiply_a_tree_are_refused_at_once(registry, tmp_path):
    source = make_package(tmp_path / "p")
    level = source / "model" / "d00"
    level.mkdir()
    (level / "empty.bin").write_bytes(b"")
    for n in range(1, 15):  # each folder links twice to the one before it: 2**14 paths to one empty file
        nxt = source / "model" / f"d{n:02d}"
        nxt.mkdir()
        (nxt / "a").symlink_to(level)
        (nxt / "b").symlink_to(level)
        level = nxt
    started = time.monotonic()
    with pytest.raises(ServiceError, match=r"symbolic link model/d\d\d/[ab] leads to the folder model/d\d\d, which the package holds"):
        registry.create_model(fields(source))  # each real folder is walked once: no tree of 2**14 paths is built
    assert time.monotonic() - started < 5
    assert_nothing_registered(registry)


def test_a_fifo_behind_a_link_is_refused_without_being_opened(registry, tmp_path):
    source = make_package(tmp_path / "p")
    os.mkfifo(source / "model" / "pipe")
    (source / "model" / "weights-link.bin").symlink_to(source / "model" / "pipe")
    done = []
    thread = threading.Thread(target=lambda: done.append(pytest.raises(ServiceError, registry.create_model,
                                                                        fields(source))), daemon=True)
    thread.start()
    thread.join(10)
    assert done, "the walk blocked on a FIFO"
    assert "not a regular file" in str(done[0].value)
    assert_nothing_registered(registry)


def test_a_name_that_is_not_utf8_is_refused_before_registering_and_named(registry, tmp_path):
    source = make_package(tmp_path / "p")
    with open(os.path.join(os.fsencode(source / "model"), b"caf\xe9.bin"), "wb") as stream:  # Latin-1 é
        stream.write(b"x")
    with pytest.raises(ServiceError, match=r"caf\\xe9\.bin is not UTF-8 text"):
        registry.create_model(fields(source))
    assert_nothing_registered(registry)


@pytest.mark.parametrize("change", ["rewritten", "grown", "swapped for a link"])
def test_a_small_file_changed_after_the_walk_fails_the_import_naming_it(registry, tmp_path, change):
    """Small files are copied by the import thread itself: the same checks hold there (the test's hook is the
    progress callback, which that thread calls before it copies anything)."""
    source = make_package(tmp_path / "p", files={f"data/{n}.bin": b"%d" % n * 50 for n in range(40)})
    (tmp_path / "secret").write_text("not part of the model")
    victim = source / "model" / "data" / "17.bin"

    def change_it(progress):
        if progress.files_done == 0 and victim.read_bytes() == b"17" * 50:
            if change == "rewritten":
                victim.write_bytes(b"71" * 50)  # same size: the modification time tells
                os.utime(victim, ns=(time.time_ns(), time.time_ns() + 10**9))
            elif change == "grown":
                with open(victim, "ab") as stream:
                    stream.write(b"more")
            else:
                victim.unlink()
                victim.symlink_to(tmp_path / "secret")

    info = registry.wait_model(registry.create_model(fields(source), progress=change_it), timeout=60)
    assert info["model_status"] == "failed"
    words = "was replaced by a symbolic link" if change == "swapped for a link" else "changed while it was being imported"
    assert f"model/data/17.bin: {words}" in failure(registry, info["model_id"])
    assert blob_count(registry) == 0 and os.listdir(registry.imports_dir) == []


def test_a_file_rewritten_during_its_copy_fails_the_import_naming_it_never_published_torn(registry, tmp_path,
                                                                                          monkeypatch):
    CountingHasher(monkeypatch, delay=0.02)  # the copy of the big file takes a while
    source = make_package(tmp_path / "p", files={"big.bin": os.urandom(12 << 20)})
    big = source / "model" / "big.bin"
    rewritten = []

    def rewrite_mid_copy(progress):  # the test's hook: the import thread reports progress while workers copy
        if 0 < progress.bytes_done < progress.bytes_total and not rewritten:
            with open(big, "r+b") as stream:
                stream.seek(6 << 20)
                stream.write(b"torn" * 1024)
            rewritten.append(True)

    info = registry.wait_model(registry.create_model(fields(source), progress=rewrite_mid_copy), timeout=60)
    assert rewritten and info["model_status"] == "failed"
    assert "model/big.bin: changed while it was being imported" in failure(registry, info["model_id"])
