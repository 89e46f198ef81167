"""The backend contract, one suite run against both backends: the embedded registry and ModelArts (the contract server).

The same SDK calls, the same assertions: what a user's code sees must not depend on where models go.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import pytest

from fakecloud import FakeCloud
from model_import_widget import Model, Session
from model_import_widget.errors import DuplicateModelError, ImportCancelledError, ModelNotFoundError, ServiceError


@pytest.fixture(scope="module")
def cloud():
    with FakeCloud(publish_delay=0.02) as running:
        yield running


@pytest.fixture(params=["embedded", "modelarts"])
def session(request, cloud, tmp_path, monkeypatch):
    for name in list(os.environ):
        if name.startswith(("HUAWEICLOUD_", "MODEL_IMPORT_WIDGET_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("MODEL_IMPORT_WIDGET_HTTP_BACKOFF", "0.002")
    monkeypatch.setenv("MODEL_IMPORT_WIDGET_POLL_INTERVAL", "0.01")
    if request.param == "embedded":
        made = Session(backend="embedded", home=tmp_path / "registry")
    else:
        for name, value in cloud.env().items():
            monkeypatch.setenv(name, value)
        monkeypatch.setenv("MODEL_IMPORT_WIDGET_OBS_LOCATION", f"obs://{cloud.bucket}/suite/")
        made = Session(access_key=cloud.access_key, secret_key=cloud.secret_key, region_name=cloud.region,
                       home=tmp_path / "registry")
    with made:
        yield made


_names = iter(range(10_000))


def new_name(stem: str) -> str:
    return f"{stem}-{next(_names)}-{os.getpid()}"


def package(root: Path, *, weights: int = 4096) -> str:
    model = root / "model"
    model.mkdir(parents=True)
    (model / "config.json").write_text(json.dumps({"model_type": "PyTorch", "model_algorithm": "image_classification"}))
    (model / "customize_service.py").write_text("class Service:\n    pass\n")
    (model / "weights.pth").write_bytes(os.urandom(weights))
    return str(root)


def create(session, source, name, version="1.0.0", **extra):
    return Model(session, model_name=name, model_version=version, source_location_type="LOCAL_SOURCE",
                 source_location=source, model_type="PyTorch", model_algorithm="image_classification", **extra)


def test_create_get_and_the_detail_shape(session, tmp_path):
    name = new_name("shape")
    model = create(session, package(tmp_path / "p"), name, description="a test model")
    info = model.get_model_info()
    assert (info["model_name"], info["model_version"], info["model_type"], info["model_status"]) == \
        (name, "1.0.0", "PyTorch", "published")
    assert isinstance(info["apis"], str) and isinstance(info["config"], str)  # JSON text, as the service sends
    assert info["description"] == "a test model"
    assert Model(session, model_id=model.model_id).get_model_info()["model_id"] == model.model_id


def test_duplicate_name_and_version_names_the_existing_model(session, tmp_path):
    name = new_name("dup")
    source = package(tmp_path / "p")
    first = create(session, source, name)
    with pytest.raises(DuplicateModelError) as info:
        create(session, source, name)
    assert info.value.model_id == first.model_id and info.value.error_code == "ModelArts.3002"


def test_unknown_ids_are_model_not_found(session):
    with pytest.raises(ModelNotFoundError) as info:
        Model(session, model_id="00000000-0000-4000-8000-000000000000")
    assert info.value.status == 404 and info.value.error_code == "ModelArts.3001"
    with pytest.raises(ModelNotFoundError):
        session.client.delete_model("00000000-0000-4000-8000-000000000000")


def test_list_filters_paging_and_sorting(session, tmp_path):
    name = new_name("listing")
    source = package(tmp_path / "p")
    for patch in range(3):
        create(session, source, name, f"1.0.{patch}", publish=False).wait()
    everything = Model.get_model_list(session, model_name=name)
    assert (everything["total_count"], everything["count"]) == (3, 3)
    assert Model.get_model_list(session, model_name=name, model_version="1.0.1")["count"] == 1
    assert Model.get_model_list(session, model_name=name, exact_match=True)["count"] == 3
    assert Model.get_model_list(session, model_name=name[:-3], exact_match=True)["count"] == 0
    assert Model.get_model_list(session, model_name=name[2:-2])["count"] == 3  # fuzzy: a part of the name
    assert Model.get_model_list(session, model_name=name, model_status="published")["count"] == 3
    assert Model.get_model_list(session, model_name=name, model_type="pytorch")["count"] == 3
    page = Model.get_model_list(session, model_name=name, offset=1, limit=2, sort_by="model_version", order="asc")
    assert (page["total_count"], [m["model_version"] for m in page["models"]]) == (3, ["1.0.2"])
    newest = Model.get_model_list(session, model_name=name, sort_by="model_version", order="desc", limit=1)
    assert newest["models"][0]["model_version"] == "1.0.2"
    objects = Model.get_model_object_list(session, model_name=name)
    assert len(objects) == 3 and all(isinstance(m, Model) for m in objects)
    with pytest.raises(ServiceError) as info:
        Model.get_model_list(session, model_name=name, sort_by="size")
    assert info.value.status == 400


def test_delete_and_cascade(session, tmp_path):
    name = new_name("cascade")
    source = package(tmp_path / "p")
    models = [create(session, source, name, f"2.0.{patch}") for patch in range(3)]
    assert models[0].delete_model() == {"delete_success_list": [models[0].model_id], "delete_failed_list": []}
    result = models[1].delete_model(cascade=True)
    assert sorted(result["delete_success_list"]) == sorted(m.model_id for m in models[1:])
    assert Model.get_model_list(session, model_name=name)["total_count"] == 0


def test_progress_ends_at_the_totals_and_never_goes_back(session, tmp_path):
    seen = []
    create(session, package(tmp_path / "p", weights=300_000), new_name("progress"), progress=seen.append)
    assert seen and seen[-1].bytes_done == seen[-1].bytes_total > 300_000
    assert seen[-1].files_done == seen[-1].files_total == 3
    assert all(a.bytes_done <= b.bytes_done for a, b in zip(seen, seen[1:]))


def test_cancel_before_the_end_leaves_nothing_registered(session, tmp_path):
    name = new_name("cancel")
    cancel = threading.Event()

    def stop_once_moving(p):
        if p.bytes_done:
            cancel.set()

    with pytest.raises(ImportCancelledError):
        create(session, package(tmp_path / "p", weights=4 << 20), name, progress=stop_once_moving, cancel=cancel)
    assert Model.get_model_list(session, model_name=name)["total_count"] == 0


def test_local_source_may_be_the_model_folder_itself(session, tmp_path):
    """The vendor's own examples point LOCAL_SOURCE at model/ itself; the import takes it as the package's model/."""
    name = new_name("modeldir")
    model = create(session, str(Path(package(tmp_path / "p")) / "model"), name)
    assert model.get_model_info()["model_status"] == "published"
    events = " ".join(e["event_info"] for e in model.get_model_events())
    assert "is the model/ folder itself" in events
    if session.backend == "embedded":
        assert sorted(session.client.model_files(model.model_id)) == ["model/config.json",
                                                                      "model/customize_service.py", "model/weights.pth"]
        code = model.get_model_info()["execution_code"]
        assert code == str(Path(tmp_path / "p" / "model" / "customize_service.py"))
