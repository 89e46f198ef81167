"""The seed's SDK end to end on the embedded registry: Method 1 and 2, listing, delete, waiting, cancel, failures."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from model_import_widget import Dependencies, Model, Packages, Params, Session
from model_import_widget.errors import (
    DuplicateModelError,
    ImportCancelledError,
    ImportFailedError,
    ModelNotFoundError,
    ServiceError,
    SpecValidationError,
)


def make_package(root: Path, *, model_type="PyTorch", config=True, service=True, weights=4096, extra_files=0) -> Path:
    model = root / "model"
    model.mkdir(parents=True)
    if config:
        (model / "config.json").write_text(json.dumps({"model_type": model_type, "model_algorithm": "image_classification"}))
    if service:
        (model / "customize_service.py").write_text("class Service:\n    pass\n")
    (model / "weights.pth").write_bytes(bytes(range(256)) * (weights // 256))
    for index in range(extra_files):
        (model / f"part-{index:04d}.bin").write_bytes(index.to_bytes(4, "big") * 1024)
    return root


@pytest.fixture
def session(tmp_path):
    with Session(backend="embedded", home=tmp_path / "registry") as s:
        yield s


@pytest.fixture
def package(tmp_path):
    return make_package(tmp_path / "pkg")


def create(session, package, **overrides):
    fields = dict(model_name="digits", model_version="1.0.0", source_location_type="LOCAL_SOURCE",
                  source_location=str(package), model_type="PyTorch", model_algorithm="image_classification")
    fields.update(overrides)
    return Model(session, **fields)


def test_method2_with_seed_objects(session, package):
    packages = [Packages(package_name="numpy", package_version="1.15.0", restraint="EXACT")]
    model = create(session, package,
                   description="digits from a notebook",
                   input_params=[Params(url="/", param_name="images", param_type="file")],
                   output_params=[Params(url="/", param_name="label", param_type="string")],
                   dependencies=[Dependencies(installer="pip", packages=packages)])
    info = model.get_model_info()
    assert info["model_status"] == "published"
    assert (info["model_name"], info["model_version"], info["model_type"]) == ("digits", "1.0.0", "PyTorch")
    assert info["description"] == "digits from a notebook"
    assert info["input_params"][0]["param_name"] == "images"
    assert info["dependencies"][0]["packages"][0] == {"package_name": "numpy", "package_version": "1.15.0",
                                                      "restraint": "EXACT"}
    assert info["model_size"] > 4000
    assert isinstance(info["apis"], str)


def test_method2_with_plain_dicts_matches_objects(session, package):
    dicts = create(session, package, model_version="1.0.1",
                   input_params=[{"url": "/", "param_name": "images", "param_type": "file"}],
                   dependencies=[{"installer": "pip", "packages": [
                       {"package_name": "numpy", "package_version": "1.15.0", "restraint": "EXACT"}]}])
    objects = create(session, package, model_version="1.0.2",
                     input_params=[Params(url="/", param_name="images", param_type="file")],
                     dependencies=[Dependencies(installer="pip", packages=[
                         {"package_name": "numpy", "package_version": "1.15.0", "restraint": "EXACT"}])])
    a, b = dicts.get_model_info(), objects.get_model_info()
    for key in ("input_params", "dependencies", "model_size", "model_type"):
        assert a[key] == b[key]


def test_method1_loads_and_unknown_id_is_not_found(session, package):
    created = create(session, package)
    loaded = Model(session, model_id=created.model_id)
    assert loaded.get_model_info()["model_name"] == "digits"
    assert loaded == created
    with pytest.raises(ModelNotFoundError) as info:
        Model(session, model_id="00000000-0000-0000-0000-000000000000")
    assert info.value.model_id == "00000000-0000-0000-0000-000000000000"
    assert info.value.error_code == "ModelArts.3001" and info.value.status == 404


def test_invalid_input_raises_one_error_listing_everything_before_any_io(session, tmp_path):
    with pytest.raises(SpecValidationError) as info:
        Model(session, model_name="digit recognition", model_version="1.0", source_location=str(tmp_path),
              model_type="pytorch", input_params=[{"url": "/", "param_name": "x", "param_type": "number", "min": 2, "max": 1}])
    fields = {e["field"] for e in info.value.errors}
    assert {"model_name", "model_version", "model_type", "input_params[0].max"} <= fields
    assert not (tmp_path / "registry").exists() or Model.get_model_list(session)["total_count"] == 0


def test_duplicate_name_and_version(session, package):
    first = create(session, package)
    with pytest.raises(DuplicateModelError) as info:
        create(session, package)
    assert info.value.model_id == first.model_id
    assert (info.value.model_name, info.value.model_version) == ("digits", "1.0.0")
    assert info.value.status == 409 and info.value.error_code == "ModelArts.3002"
    assert Model.get_model_list(session)["total_count"] == 1


def test_generated_name(session, package):
    model = create(session, package, model_name=None)
    assert model.get_model_info()["model_name"].startswith("model-")


def test_wait_false_returns_once_registered_then_wait(session, package):
    model = create(session, package, wait=False)
    assert model.get_model_info()["model_status"] in ("publishing", "published")
    info = model.wait(timeout=30)
    assert info["model_status"] == "published"


def test_a_package_that_fails_after_registering_raises_import_failed_with_events(session, tmp_path):
    broken = make_package(tmp_path / "broken")
    config = broken / "model" / "config.json"

    def rewrite_once(progress):  # the import thread's first call, before any file is copied
        if progress.bytes_done == 0 and config.read_text().startswith("{"):
            config.write_text("[1, 2]")

    with pytest.raises(ImportFailedError) as info:
        create(session, broken, progress=rewrite_once)
    assert "config.json" in str(info.value)
    assert any(e["event_type"] == "failed" and "config.json" in e["event_info"] for e in info.value.events)
    assert Model(session, model_id=info.value.model_id).get_model_info()["model_status"] == "failed"


def test_missing_obs_source_is_a_clear_service_error(session):
    with pytest.raises(ServiceError) as info:
        Model(session, model_version="1.0.0", source_location="obs://my-bucket/nothing-here/", model_type="PyTorch")
    assert info.value.error_code == "ModelArts.3551"
    assert Model.get_model_list(session)["total_count"] == 0


def test_obs_source_resolves_under_the_registry_home(session):
    make_package(session.home / "obs" / "my-bucket" / "digits")
    model = Model(session, model_name="obs_digits", model_version="1.0.0", source_location="/my-bucket/digits/",
                  model_type="PyTorch")
    assert model.get_model_info()["model_status"] == "published"


def test_progress_reports_bytes_and_files(session, tmp_path):
    package = make_package(tmp_path / "many", extra_files=30)
    seen = []
    create(session, package, progress=seen.append)
    assert seen, "progress was never called"
    last = seen[-1]
    assert last.bytes_done == last.bytes_total > 0 and last.files_done == last.files_total == 33
    assert all(a.bytes_done <= b.bytes_done for a, b in zip(seen, seen[1:]))


def test_cancel_leaves_nothing_registered(session, tmp_path):
    package = make_package(tmp_path / "big", extra_files=200)
    cancel = threading.Event()

    def cancel_half_way(progress):
        if progress.files_done >= 20:
            cancel.set()

    with pytest.raises(ImportCancelledError):
        create(session, package, progress=cancel_half_way, cancel=cancel)
    assert Model.get_model_list(session)["total_count"] == 0
    again = create(session, package)  # name and version are free again
    assert again.get_model_info()["model_status"] == "published"


def test_list_paging_filters_and_sort(session, package):
    for version in ("1.0.0", "1.0.1", "2.0.0", "10.0.0"):
        create(session, package, model_version=version, description=f"release {version}")
    create(session, package, model_name="other", model_version="1.0.0")
    everything = Model.get_model_list(session)
    assert everything["total_count"] == everything["count"] == 5
    # offset is the index of the page, as in the service (rows skipped = offset × limit)
    first = Model.get_model_list(session, model_name="digits", offset=0, limit=2, sort_by="model_version", order="asc")
    second = Model.get_model_list(session, model_name="digits", offset=1, limit=2, sort_by="model_version", order="asc")
    assert second["total_count"] == 4 and second["count"] == 2
    assert [m["model_version"] for m in first["models"] + second["models"]] == ["1.0.0", "1.0.1", "2.0.0", "10.0.0"]
    newest = Model.get_model_list(session, model_name="digits", limit=1)
    assert newest["models"][0]["model_version"] == "10.0.0"
    assert Model.get_model_list(session, model_version="1.0.0")["total_count"] == 2
    assert Model.get_model_list(session, description="release 2")["total_count"] == 1
    assert Model.get_model_list(session, model_status="failed")["total_count"] == 0
    assert set(everything["models"][0]) == {"model_id", "model_name", "model_version", "model_type", "model_size",
                                            "model_status", "tenant", "project", "owner", "create_at", "description",
                                            "source_type"}
    objects = Model.get_model_object_list(session, model_name="digits")
    assert len(objects) == 4 and all(isinstance(m, Model) for m in objects)


def test_delete_and_cascade(session, package):
    a = create(session, package, model_version="1.0.0")
    b = create(session, package, model_version="1.0.1")
    other = create(session, package, model_name="other")
    assert a.delete_model() == {"delete_success_list": [a.model_id], "delete_failed_list": []}
    with pytest.raises(ModelNotFoundError):
        a.get_model_info()
    c = create(session, package, model_version="2.0.0")
    result = b.delete_model(cascade=True)
    assert sorted(result["delete_success_list"]) == sorted([b.model_id, c.model_id])
    assert [m["model_name"] for m in Model.get_model_list(session)["models"]] == ["other"]
    assert other.get_model_info()["model_status"] == "published"


def test_seed_code_runs_with_only_the_import_lines_changed(tmp_path, monkeypatch):
    monkeypatch.setenv("MODEL_IMPORT_WIDGET_BACKEND", "embedded")
    monkeypatch.setenv("MODEL_IMPORT_WIDGET_HOME", str(tmp_path / "home"))
    make_package(tmp_path / "home" / "obs" / "your-obs-bucket" / "mode_file_path", model_type="MXNet")
    seed = """
from model_import_widget.sdk.session import Session
from model_import_widget.sdk.model import Model
from model_import_widget.sdk.config.model_config import ServiceConfig,Params,Dependencies,Packages
session = Session()
model_location = "obs://your-obs-bucket/mode_file_path"
input_params = []
input_params1 = Params(url='/', param_name='images', param_type='file', param_desc='param_desc')
input_params.append(input_params1)
output_params = [Params(url='/', param_name='label', param_type='string')]
dependencies = []
packages = [{
            "package_name": "numpy",
            "package_version": "1.15.0",
            "restraint": "EXACT"},
        {
            "package_name": "h5py",
            "package_version": "2.8.0",
            "restraint": "EXACT"}
          ]
dependency = Dependencies(installer="pip", packages=packages)
dependencies.append(dependency)
model_instance = Model(
                     session,
                     model_name="input_model_name",
                     model_version="1.0.0",
                     source_location=model_location,
                     model_type="MXNet",
                     model_algorithm="image_classification",
                     input_params=input_params,
                     output_params=output_params,
                     dependencies=dependencies)
same = Model(session, model_id=model_instance.model_id)
"""
    namespace: dict = {}
    exec(compile(seed, "seed", "exec"), namespace)
    assert namespace["same"].get_model_info()["model_status"] == "published"
    assert namespace["session"].backend == "embedded"


def test_the_calls_real_code_makes_get_model_id_and_the_batch_config_names(session, package):
    from model_import_widget.sdk.config.model_config import Schedule, ServiceConfig, TransformerConfig

    model = create(session, package)
    assert model.get_model_id() == model.model_id
    assert Model(session, model_id=model.get_model_id()).get_model_id() == model.model_id
    batch = TransformerConfig(model_id=model.get_model_id(), src_path="obs://bucket/in/", dest_path="obs://bucket/out/",
                              mapping_type="csv")
    assert (batch.req_uri, batch.instance_count, batch.mapping_type.value) == ("/", 1, "csv")
    assert Schedule(op_type="stop", time_unit="HOURS", duration=2).time_unit.value == "HOURS"
    assert ServiceConfig(model_id=model.get_model_id(), weight=100).specification == "modelarts.vm.cpu.2u"
    with pytest.raises(ValueError):
        Schedule(time_unit="WEEKS", duration=1)
    with pytest.raises(ValueError):
        TransformerConfig(model_id="m", src_path="/not-a-bucket-path", dest_path="obs://bucket/out/")
