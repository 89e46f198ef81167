"""The backend contract, one suite run against both backends: the embedded registry and ModelArts (the contract server).

The same SDK calls, the same assertions: what a user's code sees must not depend on where models go.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from model_import_widget import Model
from model_import_widget.errors import (BackendUnavailableError, DuplicateModelError, ImportCancelledError, ModelImportError,
                                        ModelNotFoundError, PackageError, ServiceError, SpecValidationError)


from both_backends import cloud, new_name, package, session  # noqa: F401  (fixtures)


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
        create(session, source, name, f"1.0.{patch}", wait=False).wait()
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


# ---- issue 7: what real code written for the vendor's SDK expects ------------------------------------------------


def nothing_named(session, name) -> bool:
    return Model.get_model_list(session, model_name=name)["total_count"] == 0


def test_a_local_model_registers_nothing_until_published(session, tmp_path):
    name = new_name("local")
    model = create(session, package(tmp_path / "p"), name, publish=False)
    assert model.get_model_id().startswith("local-") and model.is_local
    info = model.get_model_info()
    assert (info["model_status"], info["model_id"], info["model_name"]) == ("local", model.get_model_id(), name)
    assert nothing_named(session, name) and model.get_model_events() == []
    published = model.publish_model()
    assert published["model_status"] == "published" and not model.is_local
    assert model.get_model_id() == published["model_id"]
    assert [m["model_id"] for m in Model.get_model_list(session, model_name=name)["models"]] == [model.get_model_id()]
    assert model.publish_model() == model.get_model_info() or model.publish_model()["model_id"] == model.model_id


def test_a_local_model_cannot_be_waited_for_and_deleting_it_touches_nothing(session, tmp_path):
    source = package(tmp_path / "p")
    model = create(session, source, new_name("local"), publish=False)
    with pytest.raises(ModelImportError, match="publish_model"):
        model.wait()
    assert model.delete_model() == {"delete_success_list": [], "delete_failed_list": []}
    assert (Path(source) / "model" / "weights.pth").is_file()


def test_a_local_model_is_checked_when_made(session, tmp_path):
    broken = Path(package(tmp_path / "p"))
    (broken / "model" / "customize_service.py").unlink()
    with pytest.raises(PackageError, match="customize_service.py is missing"):
        create(session, str(broken), new_name("local"), publish=False)


def test_wait_false_returns_once_registered(session, tmp_path):
    model = create(session, package(tmp_path / "p"), new_name("nowait"), wait=False)
    assert model.get_model_id() is not None
    assert model.wait(timeout=30)["model_status"] == "published"


def test_a_package_missing_both_files_is_refused_before_any_record_then_imports_once_fixed(session, tmp_path):
    name = new_name("fixme")
    root = Path(package(tmp_path / "p"))
    (root / "model" / "config.json").unlink()
    (root / "model" / "customize_service.py").unlink()
    with pytest.raises(PackageError) as info:
        create(session, str(root), name)
    assert [p["path"] for p in info.value.problems] == ["model/config.json", "model/customize_service.py"]
    assert "model/config.json is missing" in str(info.value) and "model/customize_service.py is missing" in str(info.value)
    assert nothing_named(session, name)
    (root / "model" / "config.json").write_text(json.dumps({"model_type": "PyTorch"}))
    (root / "model" / "customize_service.py").write_text("class Service:\n    pass\n")
    assert create(session, str(root), name).get_model_info()["model_status"] == "published"


def test_a_missing_version_takes_the_next_free_one_and_says_so(session, tmp_path):
    name = new_name("noversion")
    source = package(tmp_path / "p")
    with pytest.warns(UserWarning, match="takes 0.0.1, the next free version"):
        first = Model(session, model_name=name, source_location_type="LOCAL_SOURCE", source_location=source,
                      model_type="PyTorch")
    assert first.get_model_info()["model_version"] == "0.0.1"
    create(session, source, name, "1.2.0")
    with pytest.warns(UserWarning, match="takes 1.2.1"):
        third = Model(session, model_name=name, source_location_type="LOCAL_SOURCE", source_location=source,
                      model_type="PyTorch")
    assert third.get_model_info()["model_version"] == "1.2.1"


def test_a_duplicate_names_the_existing_models_id_status_and_the_next_free_version(session, tmp_path):
    name = new_name("dup")
    source = package(tmp_path / "p")
    first = create(session, source, name, "1.0.0")
    create(session, source, name, "1.0.1")
    with pytest.raises(DuplicateModelError) as info:
        create(session, source, name, "1.0.0")
    error = info.value
    assert (error.model_id, error.model_status, error.next_version) == (first.model_id, "published", "1.0.2")
    assert first.model_id in str(error) and "published" in str(error) and "next free version is 1.0.2" in str(error)


def test_initial_config_is_merged_over_config_json_and_conflicts_are_reported(session, tmp_path):
    source = package(tmp_path / "p")  # its config.json says model_algorithm image_classification
    with pytest.warns(UserWarning, match="initial_config sets model_algorithm"):
        model = Model(session, model_name=new_name("initial"), model_version="1.0.0", source_location_type="LOCAL_SOURCE",
                      source_location=source, model_type="PyTorch",
                      initial_config={"model_algorithm": "object_detection", "metrics": {"f1": 0.5}})
    config = json.loads(model.get_model_info()["config"])
    assert config["model_algorithm"] == "object_detection" and config["metrics"] == {"f1": 0.5}
    assert config["model_type"] == "PyTorch"  # what config.json says and initial_config does not
    assert any(w["field"] == "initial_config.model_algorithm" for w in model.warnings)


def test_environment_takes_an_environment_object(session, tmp_path):
    from model_import_widget.sdk.environment import CondaDependencies, Environment

    env = Environment(runtime="python3.6")
    env.conda = CondaDependencies.create(pip_packages=["numpy==1.21.0", "pillow"])
    model = create(session, package(tmp_path / "p"), new_name("env"), environment=env)
    info = model.get_model_info()
    assert info["runtime"] == "python3.6"
    assert info["dependencies"] == [{"installer": "pip", "packages": [
        {"package_name": "numpy", "package_version": "1.21.0", "restraint": "EXACT"}, {"package_name": "pillow"}]}]


def test_details_carry_every_documented_field(session, tmp_path):
    from model_import_widget.sdk.model import DETAIL_FIELDS

    info = create(session, package(tmp_path / "p"), new_name("fields")).get_model_info()
    assert set(DETAIL_FIELDS) <= set(info)
    assert {"schema_doc", "image_address", "source_copy", "model_labels", "install_type"} <= set(DETAIL_FIELDS)


def test_custom_image_models(session, tmp_path):
    name = new_name("custom")
    image = "swr.cn-north-4.myhuaweicloud.com/my-org/my-server:1.0"
    fields = dict(model_name=name, model_version="1.0.0", source_location_type="LOCAL_SOURCE",
                  source_location=package(tmp_path / "p"), model_type="Custom", runtime=image)
    if session.backend == "embedded":
        with pytest.raises(BackendUnavailableError, match="only ModelArts can pull and run"):
            Model(session, **fields)
        assert nothing_named(session, name)
    else:
        info = Model(session, **fields).get_model_info()
        assert (info["model_type"], info["runtime"], info["model_status"]) == ("Custom", image, "published")
    with pytest.raises(SpecValidationError, match="SWR image address"):
        Model(session, **{**fields, "runtime": None})


def test_publish_model_from_two_threads_registers_one_model(session, tmp_path):
    name = new_name("twice")
    model = create(session, package(tmp_path / "p"), name, publish=False)
    results, errors = [], []

    def publish():
        try:
            results.append(model.publish_model()["model_id"])
        except Exception as exc:  # noqa: BLE001 - the test reports it
            errors.append(exc)

    threads = [threading.Thread(target=publish) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == [] and len(set(results)) == 1 and len(results) == 2
    assert [m["model_id"] for m in Model.get_model_list(session, model_name=name)["models"]] == results[:1]


def test_a_version_picked_but_taken_meanwhile_is_picked_again(session, tmp_path, monkeypatch):
    name = new_name("raced")
    source = package(tmp_path / "p")
    create(session, source, name, "0.0.1")  # as if another notebook imported it after this one looked
    real = session.client.list_models
    stale = iter([{"total_count": 0, "count": 0, "models": []}])
    monkeypatch.setattr(session.client, "list_models", lambda **kw: next(stale, None) or real(**kw))
    with pytest.warns(UserWarning, match="takes 0.0.2"):
        model = Model(session, model_name=name, source_location_type="LOCAL_SOURCE", source_location=source,
                      model_type="PyTorch")
    assert model.get_model_info()["model_version"] == "0.0.2"


def test_an_obs_source_may_be_the_model_folder_itself_but_a_package_named_model_stays_itself(session, cloud, tmp_path):
    from both_backends import obs_package

    itself = obs_package(session, cloud, tmp_path, new_name("itself")) + "model/"
    first = create_obs(session, itself, new_name("obs-itself")).get_model_info()
    named_model = obs_package(session, cloud, tmp_path, new_name("named"), inside="model/")  # <dir>/model/model/…
    second = create_obs(session, named_model, new_name("obs-named")).get_model_info()
    assert first["model_status"] == second["model_status"] == "published"
    if session.backend == "modelarts":  # the service was given the folder that contains model/, and only then
        assert first["source_location"].endswith(itself.removesuffix("model/").split("/", 2)[2])
        assert second["source_location"].endswith(named_model.split("/", 2)[2])


def create_obs(session, location, name):
    return Model(session, model_name=name, model_version="1.0.0", source_location=location, model_type="PyTorch")
