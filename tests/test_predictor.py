"""model.deploy_predictor(configs=[ServiceConfig(..., specification="local")]): the vendor's local service, run here
as a real worker process on 127.0.0.1, for a local model and for one stored in a real embedded registry."""

from __future__ import annotations

import hashlib
import json
import os
import textwrap
import time
from pathlib import Path

import pytest
import requests

from model_import_widget import Model, ServiceConfig, Session
from model_import_widget.errors import BackendUnavailableError, PackageRunError
from model_import_widget.sdk.predictor import Predictor, RunsPackageCodeWarning

CONFIG = {"model_algorithm": "predict_analysis", "model_type": "PyTorch", "runtime": "python3.7",
          "apis": [{"url": "/", "method": "post",
                    "request": {"Content-type": "application/json", "data": {"type": "object"}},
                    "response": {"Content-type": "application/json",
                                 "data": {"type": "object", "required": ["doubled"],
                                          "properties": {"doubled": {"type": "array", "items": {"type": "number"}}}}}}]}

DOUBLER = """\
import os
from model_service.pytorch_model_service import PTServingBaseService


class Service(PTServingBaseService):
    def _preprocess(self, data):
        if "images" in data:  # a file upload: its bytes as numbers
            return [byte for upload in data["images"].values() for byte in upload.read()]
        return data["numbers"]

    def _inference(self, data):
        return [2 * x for x in data]

    def _postprocess(self, data):
        if os.environ.get("SCRIBBLE"):  # code that writes to its own package
            open(os.path.join(os.path.dirname(__file__), "customize_service.py"), "a").write("# scribbled")
        return {"doubled": data, "greeting": os.environ.get("GREETING", "")}
"""


def write_package(root: Path, service: str = DOUBLER) -> Path:
    model = root / "model"
    model.mkdir(parents=True)
    (model / "customize_service.py").write_text(textwrap.dedent(service))
    (model / "config.json").write_text(json.dumps(CONFIG))
    (model / "weights.pth").write_bytes(b"\0" * 16)
    return root


@pytest.fixture
def session(tmp_path):
    return Session(backend="embedded", home=tmp_path / "registry")


def local_model(session, folder, name="doubler"):
    return Model(session, publish=False, source_location_type="LOCAL_SOURCE", source_location=str(folder),
                 model_name=name, model_version="1.0.0", model_type="PyTorch", model_algorithm="predict_analysis")


def gone(pid: int, within: float = 5.0) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    return False


def test_the_vendor_sample_deploys_a_local_model_and_predicts(session, tmp_path):
    folder = write_package(tmp_path / "pkg")
    model_instance = local_model(session, folder)
    configs = [ServiceConfig(model_id=model_instance.get_model_id(), weight="100", specification="local",
                             instance_count=1, envs={"GREETING": "hi"})]
    with pytest.warns(RunsPackageCodeWarning, match=r"This runs .*pkg/model/customize_service.py on this machine"):
        predictor_instance = model_instance.deploy_predictor(configs=configs)
    try:
        assert predictor_instance.predict(data={"numbers": [1, 2.5]}) == {"doubled": [2, 5.0], "greeting": "hi"}
        upload = tmp_path / "img_1.jpg"
        upload.write_bytes(bytes([1, 2, 3]))
        assert predictor_instance.predict(data=str(upload), data_type="images")["doubled"] == [2, 4, 6]
        assert set(predictor_instance.last_timings_ms) == {"_preprocess", "_inference", "_postprocess"}
        # a client of the real service posts to the URL: the same answer, as plain JSON
        answer = requests.post(predictor_instance.url, json={"numbers": [3]}, timeout=10)
        assert answer.status_code == 200 and answer.json() == {"doubled": [6], "greeting": "hi"}
        info = predictor_instance.get_service_info()
        assert (info["status"], info["specification"], info["model_id"]) == ("running", "local",
                                                                             model_instance.get_model_id())
        pid = predictor_instance._service.pid
    finally:
        predictor_instance.delete_service()
    assert gone(pid) and predictor_instance.get_service_info()["status"] == "stopped"
    with pytest.raises(PackageRunError, match="the service was stopped"):
        predictor_instance.predict(data={"numbers": [1]})
    assert Model.get_model_list(session, model_name="doubler")["total_count"] == 0  # still registered nowhere


def test_an_error_in_the_package_is_its_own_traceback(session, tmp_path):
    folder = write_package(tmp_path / "pkg", DOUBLER.replace("return [2 * x for x in data]", "return 1 / 0"))
    model = local_model(session, folder)
    with pytest.warns(RunsPackageCodeWarning):
        predictor = model.deploy_predictor(configs=[ServiceConfig(model_id=model.get_model_id(),
                                                                  specification="local")])
    with predictor:
        with pytest.raises(PackageRunError) as caught:
            predictor.predict(data={"numbers": [1]})
        text = str(caught.value)
        assert "ZeroDivisionError: division by zero (in _inference)" in text
        assert 'customize_service.py", line 12, in _inference' in text and "worker.py" not in text
        raw = requests.post(predictor.url, json={"numbers": [1]}, timeout=10)
        assert raw.status_code == 500 and raw.json()["error_msg"] == "ZeroDivisionError: division by zero"


def test_a_package_that_cannot_start_is_refused_at_deploy(session, tmp_path):
    folder = write_package(tmp_path / "pkg", "import not_installed_anywhere\n" + DOUBLER)
    model = local_model(session, folder)
    with pytest.warns(RunsPackageCodeWarning), pytest.raises(PackageRunError) as caught:
        model.deploy_predictor(configs=[ServiceConfig(model_id=model.get_model_id(), specification="local")])
    assert "the local service did not start" in str(caught.value)
    assert "Install not_installed_anywhere here to try it, and add it to the model's dependencies" in str(caught.value)


def test_a_published_embedded_model_is_served_from_a_copy_that_its_code_cannot_change(session, tmp_path):
    folder = write_package(tmp_path / "pkg")
    published = local_model(session, folder, name="stored")
    published.publish_model()
    blobs = session.client.model_files(published.get_model_id())
    before = {rel: hashlib.sha256(path.read_bytes()).hexdigest() for rel, path in blobs.items()}
    model = Model(session, model_id=published.get_model_id())
    config = ServiceConfig(model_id=model.model_id, specification="local", envs={"SCRIBBLE": "1"})
    with pytest.warns(RunsPackageCodeWarning):
        predictor = model.deploy_predictor(configs=[config])
    with predictor:
        assert predictor.predict(data={"numbers": [4]})["doubled"] == [8]
        scratch = predictor.folder
    after = {rel: hashlib.sha256(path.read_bytes()).hexdigest() for rel, path in blobs.items()}
    assert after == before, "the package's code changed the registry's stored files"
    assert not scratch.exists(), "the served copy was left behind"
    assert not (folder / "model" / "customize_service.py").read_text().endswith("# scribbled")


def test_what_is_not_served_here_says_what_to_do(session, tmp_path):
    model = local_model(session, write_package(tmp_path / "pkg"))
    with pytest.raises(BackendUnavailableError, match="use specification=\"local\" to try the model"):
        model.deploy_predictor(configs=[ServiceConfig(model_id=model.get_model_id())])
    with pytest.raises(ValueError, match=r"a local service runs one model, this one: ServiceConfig\(model_id='local-"):
        model.deploy_predictor(configs=[ServiceConfig(model_id="someone-else", specification="local")])
    with pytest.raises(ValueError, match="deploy_predictor needs configs="):
        model.deploy_predictor()
    with pytest.raises(BackendUnavailableError, match="services on ModelArts are not managed by this tool"):
        Predictor(session, service_id="abc")


def test_a_service_whose_kernel_object_is_dropped_stops(session, tmp_path):
    import gc

    model = local_model(session, write_package(tmp_path / "pkg"))
    with pytest.warns(RunsPackageCodeWarning):
        predictor = model.deploy_predictor(configs=[ServiceConfig(model_id=model.get_model_id(),
                                                                  specification="local")])
    pid = predictor._service.pid
    del predictor
    gc.collect()
    assert gone(pid), "a dropped Predictor left its worker running"
