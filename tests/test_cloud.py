"""The cloud path end to end against the contract server (tests/fakecloud): `Session()` finds credentials from each
source in turn and the seed's code imports into it; the fault matrix; what goes on the wire; refresh; no secret shown.

No real account is reachable from here: FakeCloud, on 127.0.0.1, is the service in every test.
"""

from __future__ import annotations

import html
import json
import logging
import os
import threading
import time
from pathlib import Path

import pytest
from form_driver import prompt

from fakecloud import FakeCloud
from model_import_widget import Model, Session
from model_import_widget.errors import (
    AuthenticationError,
    CredentialsError,
    DuplicateModelError,
    ImportCancelledError,
    ImportFailedError,
    ModelNotFoundError,
    ObsLocationError,
    PackageError,
    ServiceError,
    SpecValidationError,
    ThrottledError,
)
from model_import_widget.sdk.config.model_config import Dependencies, Packages, Params


@pytest.fixture(scope="module")
def cloud():
    with FakeCloud(publish_delay=0.05) as running:
        yield running


@pytest.fixture(autouse=True)
def cloud_env(monkeypatch, tmp_path, cloud):
    """Only the stand-ins' endpoints in the environment; each test adds the credentials it is about."""
    for name in list(os.environ):
        if name.startswith(("HUAWEICLOUD_", "MODEL_IMPORT_WIDGET_")):
            monkeypatch.delenv(name)
    for name, value in cloud.env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    (tmp_path / "home").mkdir()
    monkeypatch.setenv("MODEL_IMPORT_WIDGET_HOME", str(tmp_path / "registry"))
    monkeypatch.setenv("MODEL_IMPORT_WIDGET_HTTP_BACKOFF", "0.002")
    monkeypatch.setenv("MODEL_IMPORT_WIDGET_POLL_INTERVAL", "0.01")
    monkeypatch.setenv("MODEL_IMPORT_WIDGET_OBS_LOCATION", f"obs://{cloud.bucket}/uploads/")
    cloud.faults.clear()
    yield


def secrets_of(cloud) -> list[str]:
    """Every secret the cloud knows: the account's key and password, and what it handed out since (temporary
    secret keys and security tokens of the agency and of IAM, IAM tokens)."""
    ring = cloud.keyring
    with ring._lock:
        temporary = [c.secret for c in ring._credentials.values()] + \
            [c.security_token for c in ring._credentials.values() if c.security_token]
        tokens = list(ring._tokens)
    return [cloud.secret_key, cloud.password, *temporary, *tokens]


def aksk_session(cloud, **kwargs) -> Session:
    return Session(access_key=cloud.access_key, secret_key=cloud.secret_key, region_name=cloud.region, **kwargs)


def make_package(root: Path, model_type: str = "PyTorch", weights: int = 5000) -> Path:
    model = root / "model"
    model.mkdir(parents=True)
    (model / "config.json").write_text(json.dumps({"model_type": model_type, "model_algorithm": "image_classification"}))
    (model / "customize_service.py").write_text("class Service:\n    pass\n")
    (model / "weights.pth").write_bytes(os.urandom(weights))
    return root


def put_obs_package(cloud, prefix: str, model_type: str = "PyTorch") -> str:
    cloud.obs.put_object(cloud.bucket, f"{prefix}model/config.json",
                         json.dumps({"model_type": model_type, "model_algorithm": "image_classification"}).encode())
    cloud.obs.put_object(cloud.bucket, f"{prefix}model/customize_service.py", b"class Service: pass\n")
    return f"/{cloud.bucket}/{prefix}"


_counter = iter(range(1, 10_000))


def unique(name: str = "digits") -> str:
    return f"{name}_{next(_counter)}_{os.getpid()}"


def seed_model(session, source, **overrides) -> Model:
    """The seed's Method 2, as the vendor's page writes it (only the import lines changed)."""
    fields = dict(model_name=unique(), model_version="1.0.0", source_location=source, model_type="PyTorch",
                  model_algorithm="image_classification", description="digits from a notebook",
                  input_params=[Params(url="/", param_name="images", param_type="file")],
                  output_params=[Params(url="/", param_name="label", param_type="integer", min=0, max=9)],
                  dependencies=[Dependencies(installer="pip", packages=[
                      Packages(package_name="numpy", package_version="1.15.0", restraint="EXACT")])])
    fields.update(overrides)
    return Model(session, **fields)


# ---- every credential source, the seed's code unchanged --------------------------------------------------------


def _write_profile(tmp_path, cloud, region=True):
    profile = tmp_path / "home" / ".huaweicloud" / "credentials"
    profile.parent.mkdir(parents=True, exist_ok=True)
    profile.write_text(f"[basic]\nak = {cloud.access_key}\nsk = {cloud.secret_key}\n"
                       + (f"region = {cloud.region}\n" if region else ""))


SOURCES = ["env", "profile", "notebook", "explicit", "password"]


def session_from(source, cloud, monkeypatch, tmp_path) -> Session:
    """`Session()` as a user's code makes it, with the credentials where `source` says."""
    if source == "env":
        monkeypatch.setenv("HUAWEICLOUD_SDK_AK", cloud.access_key)
        monkeypatch.setenv("HUAWEICLOUD_SDK_SK", cloud.secret_key)
        monkeypatch.setenv("HUAWEICLOUD_SDK_REGION", cloud.region)
        return Session()
    if source == "profile":
        _write_profile(tmp_path, cloud)
        return Session()
    if source == "notebook":
        monkeypatch.setenv("MODEL_IMPORT_WIDGET_NOTEBOOK", "1")
        monkeypatch.setenv("HUAWEICLOUD_SDK_REGION", cloud.region)
        return Session()
    if source == "explicit":
        return aksk_session(cloud, project_id=cloud.project_id)
    return Session(account=cloud.account, username=cloud.username, password=cloud.password, region_name=cloud.region)


@pytest.mark.parametrize("source", SOURCES)
def test_the_seed_code_imports_from_every_credential_source(source, cloud, monkeypatch, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    session = session_from(source, cloud, monkeypatch, tmp_path)
    assert (session.backend, session.credential_source) == ("modelarts", "explicit" if source == "password" else source)

    source_location = put_obs_package(cloud, f"obs-{source}/")
    model = seed_model(session, source_location)
    info = model.get_model_info()
    assert info["model_status"] == "published"
    assert cloud.models[model.model_id]["request"]["source_location"] == \
        f"http://{cloud.bucket}.{cloud.obs_url.split('://')[1]}/obs-{source}/"

    local = seed_model(session, str(make_package(tmp_path / "pkg")), source_location_type="LOCAL_SOURCE")
    assert local.get_model_info()["model_status"] == "published"
    uploaded = cloud.obs.list_keys(cloud.bucket, "uploads/")
    assert any(key.endswith("model/weights.pth") for key in uploaded)
    listing = Model.get_model_list(session, model_name=local.get_model_info()["model_name"])
    assert listing["count"] == 1 and listing["models"][0]["model_type"] == "PyTorch"
    assert local.delete_model()["delete_success_list"] == [local.model_id]
    with pytest.raises(ModelNotFoundError):
        Model(session, model_id=local.model_id)
    texts = [caplog.text, repr(session), session.describe(), repr(session.client), repr(model)]
    for secret in secrets_of(cloud):
        assert all(secret not in text for text in texts)


@pytest.mark.parametrize("source", SOURCES)
def test_the_form_imports_a_local_folder_from_every_credential_source(source, cloud, monkeypatch, tmp_path):
    from model_import_widget import ModelImportForm

    badge_words = {"env": "credentials from the environment", "profile": "credentials from a profile file",
                   "notebook": "the notebook's agency", "explicit": "explicit credentials",
                   "password": "explicit credentials"}
    session = session_from(source, cloud, monkeypatch, tmp_path)
    form = ModelImportForm.from_folder(make_package(tmp_path / "pkg"), session)
    badge = html.unescape(form.widget.header)
    assert badge_words[source] in badge and cloud.region in badge
    form.fields["model_name"].value = name = unique("form")
    form.fields["model_version"].value = "1.0.0"
    assert form.errors == []
    model = form.submit(confirm=True)
    assert form.status == "published" and form.model_id == model.model_id
    form.fields["model_version"].value = "1.0.1"
    assert cloud.models[model.model_id]["request"]["model_name"] == name
    assert [m for m in cloud.models.values() if m["request"]["model_name"] == name].__len__() == 1
    assert f"obs_location='obs://{cloud.bucket}/uploads/'" in form.to_code()  # the code says where it uploads
    with pytest.raises(Exception):
        form.submit()  # not confirmed: the form asks, and says where the folder goes
    assert f"uploaded first to obs://{cloud.bucket}/uploads/." in prompt(form, "confirm")["text"]
    for secret in secrets_of(cloud):
        assert secret not in form.to_code() and secret not in repr(form)


def test_the_notebook_agency_keys_are_refreshed_before_they_expire(cloud, monkeypatch):
    monkeypatch.setenv("MODEL_IMPORT_WIDGET_NOTEBOOK", "1")
    monkeypatch.setenv("HUAWEICLOUD_SDK_REGION", cloud.region)
    monkeypatch.setattr(cloud.metadata, "credential_lifetime", 1.0)
    session = Session()
    calls_before = cloud.metadata_calls
    deadline = time.monotonic() + 2.2
    refused = 0
    while time.monotonic() < deadline:
        before = len(cloud.requests)
        Model.get_model_list(session, limit=1)
        refused += sum(1 for r in cloud.requests[before:] if r.status == 401)
        time.sleep(0.05)
    assert cloud.metadata_calls - calls_before >= 3  # fetched again at half the lifetime, ~every 0.5 s
    assert refused == 0  # never signed with keys that had expired


def test_the_iam_token_is_fetched_again_before_it_expires_and_after_a_401(cloud, monkeypatch):
    monkeypatch.setattr(cloud.iam, "token_lifetime", 0.6)
    session = Session(account=cloud.account, username=cloud.username, password=cloud.password, region_name=cloud.region)
    issued = cloud.issued_tokens
    for _ in range(8):
        Model.get_model_list(session, limit=1)
        time.sleep(0.1)
    assert cloud.issued_tokens - issued >= 2
    cloud.expire_tokens()
    assert Model.get_model_list(session, limit=1)["count"] >= 0  # one 401, a new token, and the answer


def test_a_missing_project_id_is_looked_up_in_iam(cloud):
    session = aksk_session(cloud)
    assert session.project_id is None
    Model.get_model_list(session, limit=1)
    assert session.client.auth.project_id() == cloud.project_id
    assert any(r.service == "iam" and r.path == "/v3/projects" for r in cloud.requests)


def test_the_notebook_without_an_agency_says_how_to_add_one(cloud, monkeypatch):
    monkeypatch.setenv("MODEL_IMPORT_WIDGET_NOTEBOOK", "1")
    monkeypatch.setenv("HUAWEICLOUD_SDK_REGION", cloud.region)
    monkeypatch.setattr(cloud.metadata, "agency_bound", False)
    with pytest.raises(CredentialsError, match="no agency"):
        Model.get_model_list(Session())


def test_the_metadata_token_endpoint_may_be_missing(monkeypatch):
    with FakeCloud() as older:  # a metadata service without the token API (none issued, none required)
        older.metadata.token_endpoint = False
        for name, value in older.env().items():
            monkeypatch.setenv(name, value)
        monkeypatch.setenv("MODEL_IMPORT_WIDGET_NOTEBOOK", "1")
        monkeypatch.setenv("HUAWEICLOUD_SDK_REGION", older.region)
        assert "models" in Model.get_model_list(Session(), limit=1)
        assert older.metadata_calls == 1


# ---- what the service really refuses -------------------------------------------------------------------------


def test_wrong_keys_are_an_authentication_error_that_says_what_to_check(cloud):
    session = Session(access_key=cloud.access_key, secret_key="wrong-secret-key-123", region_name=cloud.region,
                      project_id=cloud.project_id)
    with pytest.raises(AuthenticationError) as info:
        Model.get_model_list(session)
    assert info.value.status == 401 and "secret key" in str(info.value)
    assert "wrong-secret-key-123" not in str(info.value)


def test_a_wrong_password_is_refused_with_the_user_named(cloud):
    session = Session(account=cloud.account, username=cloud.username, password="not-the-password", region_name=cloud.region)
    with pytest.raises(AuthenticationError) as info:
        Model.get_model_list(session)
    assert cloud.username in str(info.value) and "not-the-password" not in str(info.value)


def test_a_duplicate_is_caught_before_anything_is_uploaded(cloud, tmp_path):
    session = aksk_session(cloud)
    first = seed_model(session, put_obs_package(cloud, "dup/"))
    name = first.get_model_info()["model_name"]
    uploads_before = set(cloud.obs.list_keys(cloud.bucket, "uploads/"))
    with pytest.raises(DuplicateModelError) as info:
        seed_model(session, str(make_package(tmp_path / "pkg")), model_name=name, source_location_type="LOCAL_SOURCE")
    assert info.value.model_id == first.model_id
    assert set(cloud.obs.list_keys(cloud.bucket, "uploads/")) == uploads_before


def test_throttling_that_does_not_end_is_a_throttled_error(cloud):
    session = aksk_session(cloud)
    cloud.faults.add("modelarts", "GET", "/v1/{project_id}/models", kind="retry_after", seconds="0.001", times=20)
    with pytest.raises(ThrottledError):
        Model.get_model_list(session)


def test_a_503_is_not_retried(cloud):
    session = aksk_session(cloud, project_id=cloud.project_id)
    cloud.faults.add("modelarts", "GET", "/v1/{project_id}/models", kind="status", status=503, times=1)
    before = len(cloud.requests)
    with pytest.raises(ServiceError) as info:
        Model.get_model_list(session)
    assert info.value.status == 503 and "try again later" in str(info.value)
    assert len([r for r in cloud.requests[before:] if r.service == "modelarts"]) == 1


def test_a_failed_import_raises_with_events(cloud):
    session = aksk_session(cloud)
    cloud.fail_next_import(reason="Model file is broken.")
    with pytest.raises(ImportFailedError) as info:
        seed_model(session, put_obs_package(cloud, "fails/"))
    assert "console" in str(info.value)


def test_a_package_without_config_is_refused_before_upload(cloud, tmp_path):
    session = aksk_session(cloud)
    folder = make_package(tmp_path / "pkg")
    (folder / "model" / "config.json").unlink()
    before = set(cloud.obs.list_keys(cloud.bucket)), len(cloud.creates())
    with pytest.raises(PackageError, match="config.json is missing"):
        seed_model(session, str(folder), source_location_type="LOCAL_SOURCE")
    assert (set(cloud.obs.list_keys(cloud.bucket)), len(cloud.creates())) == before


def test_a_local_folder_needs_an_obs_location(cloud, tmp_path, monkeypatch):
    monkeypatch.delenv("MODEL_IMPORT_WIDGET_OBS_LOCATION")
    before = len(cloud.creates())
    with pytest.raises(ObsLocationError, match="obs_location='obs://<bucket>/<folder>/'"):
        seed_model(aksk_session(cloud), str(make_package(tmp_path / "pkg")), source_location_type="LOCAL_SOURCE")
    assert len(cloud.creates()) == before


# ---- the fault matrix: every fault survived, no duplicate model -----------------------------------------------

CREATE = "/v1/{project_id}/models"
FAULTS = [
    ("create reset before an answer", dict(method="POST", path=CREATE, kind="reset")),
    ("create answer lost (model made)", dict(method="POST", path=CREATE, kind="lost_response")),
    ("create 429 Retry-After", dict(method="POST", path=CREATE, kind="retry_after", seconds="0.01")),
    ("create APIG throttling", dict(method="POST", path=CREATE, kind="throttle")),
    ("create 502 gateway", dict(method="POST", path=CREATE, kind="status", status=502)),
    ("create 504 gateway timeout", dict(method="POST", path=CREATE, kind="status", status=504)),
    ("create slow answer", dict(method="POST", path=CREATE, kind="delay", seconds=0.2)),
    ("status poll reset", dict(method="GET", path=CREATE + "/*", kind="reset", times=2)),
    ("status poll 502/504", dict(method="GET", path=CREATE + "/*", kind="status", status=504, times=2)),
    ("list 429 Retry-After", dict(method="GET", path=CREATE, kind="retry_after", seconds="0.01", times=2)),
    ("list reset", dict(method="GET", path=CREATE, kind="reset")),
    ("token expired mid-session", dict(method="*", path="*", kind="expired_token")),
]


@pytest.mark.parametrize("label, fault", FAULTS, ids=[f[0] for f in FAULTS])
def test_fault_matrix(label, fault, cloud):
    session = Session(account=cloud.account, username=cloud.username, password=cloud.password,
                      region_name=cloud.region) if "token" in label else aksk_session(cloud)
    source = put_obs_package(cloud, f"faults/{label.replace(' ', '-')}/")
    Model.get_model_list(session, limit=1)  # the session is warm: project id and token known
    name = unique("fault")
    creates_before = len(cloud.creates())
    cloud.faults.add("modelarts", **fault)
    model = seed_model(session, source, model_name=name)
    assert model.get_model_info()["model_status"] == "published"
    same = [m for m in cloud.models.values() if m["request"]["model_name"] == name]
    assert len(same) == 1  # never a duplicate
    assert not cloud.faults.pending()  # the fault really happened
    if "lost" in label:
        assert len(cloud.creates()) - creates_before == 1  # looked up, not sent again


def test_delete_reports_per_model_failures_inside_a_200(cloud):
    session = aksk_session(cloud)
    source = put_obs_package(cloud, "cascade/")
    name = unique("cascade")
    first = seed_model(session, source, model_name=name)
    second = seed_model(session, source, model_name=name, model_version="1.0.1")
    cloud.deploy(second.model_id)
    result = first.delete_model(cascade=True)
    assert result["delete_success_list"] == [first.model_id]
    assert [f["error_code"] for f in result["delete_failed_list"]] == ["ModelArts.3009"]


def test_offset_is_the_page_index(cloud):
    session = aksk_session(cloud)
    source = put_obs_package(cloud, "paging/")
    name = unique("paging")
    for patch in range(5):
        seed_model(session, source, model_name=name, model_version=f"1.0.{patch}", wait=False)
    pages = [Model.get_model_list(session, model_name=name, offset=page, limit=2, sort_by="model_version", order="asc")
             for page in range(3)]
    assert [[m["model_version"] for m in p["models"]] for p in pages] == [["1.0.0", "1.0.1"], ["1.0.2", "1.0.3"], ["1.0.4"]]
    assert {p["total_count"] for p in pages} == {5}


def test_cancel_during_the_upload_leaves_nothing(cloud, tmp_path):
    session = aksk_session(cloud)
    folder = make_package(tmp_path / "pkg", weights=3 << 20)
    cancel = threading.Event()
    before = set(cloud.obs.list_keys(cloud.bucket)), len(cloud.creates())

    def progress(p):
        if p.bytes_done > 0:
            cancel.set()

    with pytest.raises(ImportCancelledError):
        seed_model(session, str(folder), source_location_type="LOCAL_SOURCE", progress=progress, cancel=cancel)
    assert set(cloud.obs.list_keys(cloud.bucket)) == before[0] and len(cloud.creates()) == before[1]
    assert cloud.obs.pending_uploads(cloud.bucket) == []


def test_cancel_while_publishing_removes_the_model_and_its_upload(cloud, tmp_path, monkeypatch):
    monkeypatch.setattr(cloud.modelarts_stand_in, "publish_delay", 1.0)
    session = aksk_session(cloud)
    cancel = threading.Event()
    before = set(cloud.obs.list_keys(cloud.bucket))
    model = seed_model(session, str(make_package(tmp_path / "pkg")), source_location_type="LOCAL_SOURCE",
                       wait=False, cancel=cancel)
    cancel.set()
    with pytest.raises(ImportCancelledError):
        model.wait(timeout=5)
    assert model.model_id not in cloud.models
    assert set(cloud.obs.list_keys(cloud.bucket)) == before


# ---- what goes on the wire ---------------------------------------------------------------------------------


def test_the_create_body_follows_the_wire_contract(cloud):
    session = aksk_session(cloud)
    apis = [{"protocol": "http", "url": "/", "method": "post",
             "request": {"Content-type": "application/json", "data": {"type": "object", "properties": {
                 "images": {"type": "string"}}}},
             "response": {"Content-type": "application/json", "data": {"type": "object", "properties": {
                 "label": {"type": "integer"}}}}}]
    model = seed_model(session, put_obs_package(cloud, "wire/"), description="", apis=apis, runtime="python3.6")
    body = cloud.models[model.model_id]["request"]
    raw = next(r for r in reversed(cloud.creates()) if r.json()["model_name"] == body["model_name"]).body.decode()
    assert "null" not in raw and "source_location_type" not in body and "description" not in body
    assert body["source_location"].startswith("http://") and "/wire/" in body["source_location"]
    assert body["input_params"][0] == {"protocol": "http", "method": "post", "url": "/", "param_name": "images",
                                       "param_type": "file"}
    assert body["output_params"][0]["param_type"] == "int" and body["output_params"][0]["max"] == 9
    assert body["apis"][0]["input_params"] == {"type": "object", "properties": {"images": {"type": "string"}}}
    assert body["dependencies"] == [{"installer": "pip", "packages": [
        {"package_name": "numpy", "package_version": "1.15.0", "restraint": "EXACT"}]}]


def test_runtimes_come_from_the_service(cloud):
    from fakecloud.runtimes import ENGINE_RUNTIMES

    before = len(cloud.requests)
    runtimes = aksk_session(cloud).client.runtimes()
    assert any(r.path.endswith("/models/ai-engine-runtimes") for r in cloud.requests[before:])
    assert runtimes == {engine: list(values) for engine, values in ENGINE_RUNTIMES.items()}  # as the service lists


# ---- proxies: honoured for the services, never for the metadata service ---------------------------------------


class _ForwardProxy:
    """A plain HTTP forward proxy on 127.0.0.1 that records the absolute URLs it carried."""

    def __init__(self):
        import http.client
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
        from urllib.parse import urlsplit

        carried = self.carried = []

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def _forward(self):
                target = urlsplit(self.path)
                carried.append(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                upstream = http.client.HTTPConnection(target.hostname, target.port, timeout=10)
                path = target.path + (f"?{target.query}" if target.query else "")
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("proxy-connection", "connection")}
                upstream.request(self.command, path, body=body, headers=headers)
                answer = upstream.getresponse()
                data = answer.read()
                self.send_response(answer.status)
                for key, value in answer.getheaders():
                    if key.lower() not in ("transfer-encoding", "connection", "content-length"):
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                upstream.close()

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _forward

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def test_proxy_variables_are_honoured_except_for_the_metadata_service(cloud, monkeypatch, tmp_path):
    proxy = _ForwardProxy()
    try:
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        monkeypatch.setenv("http_proxy", proxy.url)
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)
        monkeypatch.setenv("MODEL_IMPORT_WIDGET_NOTEBOOK", "1")
        monkeypatch.setenv("HUAWEICLOUD_SDK_REGION", cloud.region)
        session = Session()
        model = seed_model(session, str(make_package(tmp_path / "pkg")), source_location_type="LOCAL_SOURCE")
        assert model.get_model_info()["model_status"] == "published"
        assert any(url.startswith(cloud.modelarts_url) for url in proxy.carried)  # ModelArts through the proxy
        assert any(url.startswith(cloud.obs_url) for url in proxy.carried)  # and the OBS upload
        assert any(url.startswith(cloud.iam_url) for url in proxy.carried)  # and IAM (the project lookup)
        assert not any(url.startswith(cloud.metadata_url) for url in proxy.carried)  # never the metadata service
        assert cloud.metadata_calls > 0
    finally:
        proxy.close()


def test_the_metadata_service_is_never_asked_outside_a_notebook(cloud, monkeypatch, tmp_path):
    """MODEL_IMPORT_WIDGET_METADATA_URL points at the stand-in (cloud.env()), yet without a detected notebook
    nothing asks it: not a session with no credentials, not one with keys, not their imports."""
    before = cloud.metadata_calls, len([r for r in cloud.requests if r.service == "metadata"])
    plain = Session()
    assert (plain.backend, plain.credential_source) == ("embedded", "none")
    Model.get_model_list(plain)
    monkeypatch.setenv("HUAWEICLOUD_SDK_AK", cloud.access_key)
    monkeypatch.setenv("HUAWEICLOUD_SDK_SK", cloud.secret_key)
    monkeypatch.setenv("HUAWEICLOUD_SDK_REGION", cloud.region)
    seed_model(Session(), put_obs_package(cloud, "no-metadata/"))
    assert (cloud.metadata_calls, len([r for r in cloud.requests if r.service == "metadata"])) == before


def test_a_create_whose_answer_times_out_is_looked_up_not_duplicated(cloud):
    session = aksk_session(cloud)
    source = put_obs_package(cloud, "read-timeout/")
    Model.get_model_list(session, limit=1)
    session.client.transport.timeout = (2.0, 0.2)  # the answer comes after the read timeout
    name, before = unique("timeout"), len(cloud.creates())
    cloud.faults.add("modelarts", "POST", CREATE, kind="delay", seconds=0.5)
    model = seed_model(session, source, model_name=name)
    assert model.get_model_info()["model_status"] == "published"
    assert len([m for m in cloud.models.values() if m["request"]["model_name"] == name]) == 1
    assert not cloud.faults.pending() and len(cloud.creates()) - before in (1, 2)  # a second POST only got a 409


@pytest.mark.parametrize("kind", ["lost_response", "reset"])
def test_a_delete_whose_answer_was_lost_is_a_success(kind, cloud):
    session = aksk_session(cloud)
    model = seed_model(session, put_obs_package(cloud, f"delete-{kind}/"))
    cloud.faults.add("modelarts", "DELETE", CREATE + "/*", kind=kind)
    assert model.delete_model() == {"delete_success_list": [model.model_id], "delete_failed_list": []}
    assert model.model_id not in cloud.models and not cloud.faults.pending()


@pytest.mark.parametrize("service, method, path", [("iam", "POST", "/v3/auth/tokens"),
                                                   ("metadata", "GET", "/openstack/latest/securitykey"),
                                                   ("iam", "GET", "/v3/projects")])
def test_a_reset_while_fetching_credentials_is_survived(service, method, path, cloud, monkeypatch):
    if service == "metadata":
        monkeypatch.setenv("MODEL_IMPORT_WIDGET_NOTEBOOK", "1")
        monkeypatch.setenv("HUAWEICLOUD_SDK_REGION", cloud.region)
        session = Session()
    elif path == "/v3/projects":
        session = aksk_session(cloud)  # no project id: looked up in IAM
        from model_import_widget.sdk import auth

        monkeypatch.setattr(auth, "_project_ids", {})  # not cached from an earlier test
    else:
        session = Session(account=cloud.account, username=cloud.username, password=cloud.password,
                          region_name=cloud.region)
    cloud.faults.add(service, method, path, kind="reset")
    assert "models" in Model.get_model_list(session, limit=1)
    assert not cloud.faults.pending()


def test_a_home_where_no_checkpoint_can_be_kept_still_uploads_and_says_so(cloud, tmp_path):
    home = tmp_path / "not-a-folder"
    home.write_text("a file where the registry home should be")
    session = Session(access_key=cloud.access_key, secret_key=cloud.secret_key, region_name=cloud.region, home=home)
    model = seed_model(session, str(make_package(tmp_path / "pkg")), source_location_type="LOCAL_SOURCE")
    assert model.get_model_info()["model_status"] == "published"
    assert any("no resume checkpoint could be kept" in e["event_info"] for e in model.get_model_events())
    assert home.read_text() == "a file where the registry home should be"


def test_two_imports_of_one_name_and_version_race_one_wins_and_the_loser_leaves_no_files(cloud, tmp_path):
    session = aksk_session(cloud)
    name = unique("race")
    folders = [make_package(tmp_path / f"pkg{n}", weights=200_000 + n) for n in range(2)]
    start, results = threading.Barrier(2), [None, None]

    def run(n):
        start.wait()
        try:
            results[n] = seed_model(session, str(folders[n]), model_name=name, source_location_type="LOCAL_SOURCE")
        except DuplicateModelError as exc:
            results[n] = exc

    threads = [threading.Thread(target=run, args=(n,)) for n in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    winners = [r for r in results if isinstance(r, Model)]
    assert len(winners) == 1 and sum(isinstance(r, DuplicateModelError) for r in results) == 1
    source = cloud.models[winners[0].model_id]["request"]["source_location"]
    folders_left = {key.split("/")[1] for key in cloud.obs.list_keys(cloud.bucket, "uploads/") if name in key}
    assert len(folders_left) == 1 and next(iter(folders_left)) in source  # only the winner's files stay


def test_the_form_says_before_anything_is_sent_that_a_local_folder_needs_an_obs_location(cloud, tmp_path, monkeypatch):
    from model_import_widget import ModelImportForm

    monkeypatch.delenv("MODEL_IMPORT_WIDGET_OBS_LOCATION")
    form = ModelImportForm.from_folder(make_package(tmp_path / "pkg"), aksk_session(cloud))
    form.fields["model_version"].value = "1.0.0"
    before = len(cloud.requests)
    with pytest.raises(SpecValidationError):
        form.submit(confirm=True)
    assert "obs_location" in form.fields["source_location"].error and form.status == "draft"
    assert len(cloud.requests) == before
