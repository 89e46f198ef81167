"""The contract stand-ins (tests/fakecloud) are strict and honest: plain `requests` plus the project's `sign()`,
no project client. If these pass, a client test that passes against FakeCloud passed against the documented API.
"""

from __future__ import annotations

import base64
import email.utils
import hashlib
import hmac
import json
import threading
import time
from typing import Any, Optional
from urllib.parse import urlsplit

import pytest
import requests

from fakecloud import FakeCloud
from fakecloud.cloud import OBS_MISSING
from model_import_widget.sdk.signer import canonical_query, sign

needs_obs = pytest.mark.skipif(OBS_MISSING is not None, reason=OBS_MISSING or "")
SWR_IMAGE = "swr.cn-north-4.myhuaweicloud.com/org/image:1.0.0"


@pytest.fixture
def cloud():
    before = set(threading.enumerate())
    with FakeCloud(publish_delay=0.05) as running:
        yield running
    time.sleep(0.01)
    assert [t.name for t in set(threading.enumerate()) - before if t.name.startswith("fakecloud")] == []


@pytest.fixture
def http():
    with requests.Session() as session:
        yield session


def signed_headers(cloud: FakeCloud, method: str, url: str, body: bytes = b"", *, headers: Optional[dict] = None,
                   keys: Optional[tuple[str, str, Optional[str]]] = None, project: bool = True) -> dict[str, str]:
    access, secret, token = keys or (cloud.access_key, cloud.secret_key, None)
    base = {"Content-Type": "application/json", **(headers or {})}
    if project:
        base["X-Project-Id"] = cloud.project_id
    if token:
        base["X-Security-Token"] = token
    return sign(method, url, base, body, access_key=access, secret_key=secret)


def call(http: requests.Session, cloud: FakeCloud, method: str, path: str, payload: Any = None,
         params: Optional[dict] = None, **options: Any) -> requests.Response:
    """A correctly signed request to the ModelArts stand-in (path may use {project_id})."""
    url = cloud.modelarts_url + path.format(project_id=cloud.project_id)
    if params:
        url += "?" + canonical_query(params)
    body = b"" if payload is None else json.dumps(payload).encode()
    return http.request(method, url, data=body, headers=signed_headers(cloud, method, url, body, **options),
                        timeout=5)


def model_body(name: str = "mnist", version: str = "1.0.0", **extra: Any) -> dict:
    return {"model_name": name, "model_version": version, "model_type": "Image", "source_location": SWR_IMAGE,
            **extra}


def wait_status(http, cloud, model_id: str, timeout: float = 3.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        info = call(http, cloud, "GET", f"/v1/{{project_id}}/models/{model_id}").json()
        if info["model_status"] != "publishing" or time.monotonic() > deadline:
            return info
        time.sleep(0.02)


def password_token(http, cloud: FakeCloud, password: Optional[str] = None) -> requests.Response:
    body = {"auth": {"identity": {"methods": ["password"], "password": {"user": {
        "name": cloud.username, "password": password or cloud.password, "domain": {"name": cloud.account}}}},
        "scope": {"project": {"name": cloud.region}}}}
    return http.post(cloud.iam_url + "/v3/auth/tokens", json=body, timeout=5)


# -- signatures ----------------------------------------------------------------------------------------------------

def test_a_signed_get_works_and_one_changed_header_byte_is_refused(cloud, http):
    url = f"{cloud.modelarts_url}/v1/{cloud.project_id}/models"
    headers = signed_headers(cloud, "GET", url, headers={"X-Trace": "abc"})
    ok = http.get(url, headers=headers, timeout=5)
    assert ok.status_code == 200 and ok.json() == {"total_count": 0, "count": 0, "models": []}
    refused = http.get(url, headers={**headers, "X-Trace": "abd"}, timeout=5)
    assert refused.status_code == 401
    body = refused.json()
    assert body["error_code"] == "APIG.0301" and body["error_msg"].startswith("Incorrect IAM authentication")
    assert body["request_id"] == refused.headers["X-Request-Id"]


def test_a_changed_body_byte_or_an_unknown_access_key_is_refused(cloud, http):
    url = f"{cloud.modelarts_url}/v1/{cloud.project_id}/models"
    body = json.dumps(model_body()).encode()
    headers = signed_headers(cloud, "POST", url, body)
    assert http.post(url, data=body.replace(b"mnist", b"mnisT"), headers=headers, timeout=5).status_code == 401
    stranger = signed_headers(cloud, "POST", url, body, keys=("UNKNOWNACCESSKEY0000", cloud.secret_key, None))
    assert http.post(url, data=body, headers=stranger, timeout=5).json()["error_code"] == "APIG.0301"
    assert cloud.models == {}


def test_the_query_must_be_sent_exactly_in_canonical_form(cloud, http):
    base = f"{cloud.modelarts_url}/v1/{cloud.project_id}/models"
    canonical = base + "?" + canonical_query({"model_name": "a b", "limit": 5})
    assert canonical.endswith("?limit=5&model_name=a%20b")
    headers = signed_headers(cloud, "GET", canonical)
    assert http.get(canonical, headers=headers, timeout=5).status_code == 200
    for sent in (base + "?limit=5&model_name=a+b", base + "?model_name=a%20b&limit=5"):
        # what `requests` would do with params=...: the signature covered the canonical form, not this
        assert http.get(sent, headers=signed_headers(cloud, "GET", sent), timeout=5).status_code == 401


def test_x_sdk_date_more_than_15_minutes_off_is_refused(cloud, http):
    cloud.clock_skew(14 * 60)
    assert call(http, cloud, "GET", "/v1/{project_id}/models").status_code == 200
    cloud.clock_skew(-16 * 60)
    refused = call(http, cloud, "GET", "/v1/{project_id}/models")
    assert refused.status_code == 401 and refused.json()["error_code"] == "APIG.0303"


def test_project_header_must_match_the_url(cloud, http):
    other = "0" * 32
    url = f"{cloud.modelarts_url}/v1/{other}/models"
    mismatch = http.get(url, headers=signed_headers(cloud, "GET", url), timeout=5)
    assert mismatch.status_code == 403 and mismatch.json()["error_code"] == "ModelArts.0210"
    no_project = call(http, cloud, "GET", "/v1/{project_id}/models", project=False)
    assert no_project.status_code == 401


# -- IAM -----------------------------------------------------------------------------------------------------------

def test_password_token_works_until_expire_tokens(cloud, http):
    assert password_token(http, cloud, "wrong").json() == {
        "error": {"code": 401, "message": "The username or password is wrong.", "title": "Unauthorized"}}
    issued = password_token(http, cloud)
    assert issued.status_code == 201 and cloud.issued_tokens == 1
    token = issued.headers["X-Subject-Token"]
    assert len(token) >= 1500
    assert issued.json()["token"]["project"]["id"] == cloud.project_id
    url = f"{cloud.modelarts_url}/v1/{cloud.project_id}/models"
    assert http.get(url + "?model_name=a+b", headers={"X-Auth-Token": token}, timeout=5).status_code == 200
    cloud.expire_tokens()
    expired = http.get(url, headers={"X-Auth-Token": token}, timeout=5)
    assert expired.status_code == 401 and expired.json()["error_code"] == "ModelArts.0202"
    assert all(token not in json.dumps(r.headers) and cloud.password.encode() not in r.body for r in cloud.requests)


def test_iam_rejects_a_body_that_is_not_the_documented_one(cloud, http):
    body = {"auth": {"identity": {"methods": ["password", "token"], "password": {"user": {
        "name": cloud.username, "password": cloud.password, "domain": {"name": cloud.account}}}},
        "scope": {"project": {"name": cloud.region}}}}
    assert http.post(cloud.iam_url + "/v3/auth/tokens", json=body, timeout=5).status_code == 400
    body["auth"]["identity"]["methods"] = ["password"]
    body["auth"]["scope"]["project"]["name"] = "eu-west-101"
    assert http.post(cloud.iam_url + "/v3/auth/tokens", json=body, timeout=5).status_code == 400
    assert cloud.issued_tokens == 0


def test_projects_by_region_signed_without_project_header(cloud, http):
    for region, expected in ((cloud.region, [cloud.project_id]), ("ap-southeast-3", [])):
        url = f"{cloud.iam_url}/v3/projects?name={region}"
        answer = http.get(url, headers=signed_headers(cloud, "GET", url, project=False), timeout=5)
        assert answer.status_code == 200 and [p["id"] for p in answer.json()["projects"]] == expected
    assert http.get(f"{cloud.iam_url}/v3/projects?name={cloud.region}", timeout=5).status_code == 401


def test_security_tokens_from_a_token_need_x_security_token(cloud, http):
    token = password_token(http, cloud).headers["X-Subject-Token"]
    answer = http.post(cloud.iam_url + "/v3.0/OS-CREDENTIAL/securitytokens", headers={"X-Auth-Token": token},
                       json={"auth": {"identity": {"methods": ["token"], "token": {"duration_seconds": 900}}}},
                       timeout=5)
    assert answer.status_code == 201
    credential = answer.json()["credential"]
    keys = (credential["access"], credential["secret"], credential["securitytoken"])
    assert call(http, cloud, "GET", "/v1/{project_id}/models", keys=keys).status_code == 200
    without = call(http, cloud, "GET", "/v1/{project_id}/models", keys=keys[:2] + (None,))
    assert without.status_code == 401


# -- metadata ------------------------------------------------------------------------------------------------------

def fetch_securitykey(http, cloud) -> requests.Response:
    token = http.put(cloud.metadata_url + "/meta-data/latest/api/token",
                     headers={"X-Metadata-Token-Ttl-Seconds": "21600"}, timeout=5)
    headers = {"X-Metadata-Token": token.text} if token.status_code == 200 else {}
    return http.get(cloud.metadata_url + "/openstack/latest/securitykey", headers=headers, timeout=5)


def test_metadata_credentials_are_new_each_call_and_expire(cloud, http):
    cloud.metadata.credential_lifetime = 0.4
    first, second = fetch_securitykey(http, cloud).json()["credential"], fetch_securitykey(http, cloud).json()["credential"]
    assert first["access"] != second["access"] and cloud.metadata_calls == 2
    time.strptime(first["expires_at"], "%Y-%m-%dT%H:%M:%S.%fZ")
    keys = (first["access"], first["secret"], first["securitytoken"])
    assert call(http, cloud, "GET", "/v1/{project_id}/models", keys=keys).status_code == 200
    time.sleep(0.45)
    assert call(http, cloud, "GET", "/v1/{project_id}/models", keys=keys).status_code == 401


def test_metadata_token_agency_and_missing_token_endpoint(cloud, http):
    securitykey = cloud.metadata_url + "/openstack/latest/securitykey"
    assert fetch_securitykey(http, cloud).status_code == 200
    stale = http.get(securitykey, headers={"X-Metadata-Token": "stale"}, timeout=5)
    assert stale.status_code == 401 and "Cloud Service Agency" not in stale.text
    assert http.get(securitykey, timeout=5).status_code == 401          # a token was issued: it is required now
    cloud.metadata.agency_bound = False
    unbound = fetch_securitykey(http, cloud)
    assert unbound.status_code == 401 and "Please configure Cloud Service Agency first" in unbound.text
    with FakeCloud() as fresh:
        fresh.metadata.token_endpoint = False
        assert http.put(fresh.metadata_url + "/meta-data/latest/api/token",
                        headers={"X-Metadata-Token-Ttl-Seconds": "21600"}, timeout=5).status_code == 404
        assert "credential" in http.get(fresh.metadata_url + "/openstack/latest/securitykey", timeout=5).json()


# -- create, get, list, delete -------------------------------------------------------------------------------------

def test_create_answers_200_then_publishing_then_published(cloud, http):
    body = model_body(install_type=["real-time", "batch"])
    created = call(http, cloud, "POST", "/v1/{project_id}/models", body)
    assert created.status_code == 200 and list(created.json()) == ["model_id"]
    model_id = created.json()["model_id"]
    first = call(http, cloud, "GET", f"/v1/{{project_id}}/models/{model_id}").json()
    assert first["model_status"] == "publishing" and first["image_address"] == ""
    info = wait_status(http, cloud, model_id)
    assert info["model_status"] == "published"
    assert info["image_address"] == f"100.125.5.235:20202/models/{model_id}:1.0.0"
    assert isinstance(info["apis"], str) and isinstance(info["config"], str) and info["specification"] == {}
    assert info["install_type"] == ["realtime", "batch"] and info["project"] == cloud.project_id
    assert abs(info["create_at"] / 1000 - time.time()) < 60
    assert cloud.models[model_id]["request"] == body and len(cloud.creates()) == 1
    missing = call(http, cloud, "GET", "/v1/{project_id}/models/" + "1" * 36)
    assert missing.status_code == 404 and missing.json()["error_code"] == "ModelArts.3001"


def test_fail_next_import_ends_failed(cloud, http):
    cloud.fail_next_import(reason="broken weights")
    model_id = call(http, cloud, "POST", "/v1/{project_id}/models", model_body()).json()["model_id"]
    assert wait_status(http, cloud, model_id)["model_status"] == "failed"
    assert cloud.models[model_id]["failure_reason"] == "broken weights"


@pytest.mark.parametrize("change, code, field", [
    ({"description": None}, "ModelArts.3037", "description"),
    ({"source_location_type": "OBS_SOURCE"}, "ModelArts.0101", "source_location_type"),
    ({"source_location": "obs://model-bucket/mnist/"}, "ModelArts.3037", "source_location"),
    ({"source_location": "/model-bucket/mnist/"}, "ModelArts.3037", "source_location"),
    ({"description": ""}, "ModelArts.3037", "description"),
    ({"model_version": "01.0.0"}, "ModelArts.3037", "model_version"),
    ({"model_name": "x" * 65}, "ModelArts.3037", "model_name"),
    ({"model_metrics": {"f1": 0.5}}, "ModelArts.3037", "model_metrics"),
    ({"source_copy": True}, "ModelArts.3037", "source_copy"),
    ({"install_type": ["Real-time"]}, "ModelArts.3037", "install_type[0]"),
    ({"input_params": [{"protocol": "http", "method": "post", "url": "/", "param_name": "x"}]},
     "ModelArts.3036", "input_params[0].param_type"),
    ({"dependencies": [{"installer": "pip", "packages": [{"package_name": "numpy", "package_version": "1.0"}]}]},
     "ModelArts.3036", "dependencies[0].packages[0].restraint"),
    ({"apis": [{"protocol": "http", "method": "post", "url": "/", "input_params": {"type": "object"}}]},
     "ModelArts.3036", "apis[0].input_params.properties"),
    ({"model_type": "Customize"}, "ModelArts.3037", "model_type"),
])
def test_create_refuses_what_the_schema_refuses(cloud, http, change, code, field):
    answer = call(http, cloud, "POST", "/v1/{project_id}/models", {**model_body(), **change})
    assert answer.status_code == 400
    assert answer.json()["error_code"] == code and f"({field}" in answer.json()["error_msg"]
    assert cloud.models == {}


def test_missing_required_field_and_template_rule(cloud, http):
    body = model_body()
    del body["source_location"]
    answer = call(http, cloud, "POST", "/v1/{project_id}/models", body)
    assert answer.json()["error_code"] == "ModelArts.3036" and "(source_location)" in answer.json()["error_msg"]
    template = {"model_name": "t", "model_version": "1.0.0", "model_type": "Template",
                "template": {"template_id": "tpl", "template_inputs": [{"input": "https://b.obs/x", "input_id": "i"}]}}
    assert call(http, cloud, "POST", "/v1/{project_id}/models", template).status_code == 200


def test_duplicate_name_and_version_is_409(cloud, http):
    assert call(http, cloud, "POST", "/v1/{project_id}/models", model_body()).status_code == 200
    duplicate = call(http, cloud, "POST", "/v1/{project_id}/models", model_body())
    assert duplicate.status_code == 409 and duplicate.json()["error_code"] == "ModelArts.3002"
    assert duplicate.json()["error_msg"] == "Model (mnist, 1.0.0) already exists."
    assert len(cloud.models) == 1


def test_list_offset_is_a_page_index_and_filters(cloud, http):
    ids = [call(http, cloud, "POST", "/v1/{project_id}/models", model_body(f"net_{i}", f"1.0.{i}")).json()["model_id"]
           for i in range(5)]
    page = call(http, cloud, "GET", "/v1/{project_id}/models",
                params={"limit": 2, "offset": 1, "order": "asc"}).json()
    assert page["total_count"] == 5 and page["count"] == 2
    assert [m["model_id"] for m in page["models"]] == ids[2:4]
    assert page["models"][0]["model_type"] == "image"                 # the documented lower-case quirk
    desc = call(http, cloud, "GET", "/v1/{project_id}/models", params={"limit": 2}).json()
    assert [m["model_id"] for m in desc["models"]] == ids[:-3:-1]
    fuzzy = call(http, cloud, "GET", "/v1/{project_id}/models", params={"model_name": "net_"}).json()
    assert fuzzy["total_count"] == 5
    exact = call(http, cloud, "GET", "/v1/{project_id}/models", params={"model_name": "net_3", "exact_match": "true"})
    assert [m["model_id"] for m in exact.json()["models"]] == [ids[3]]
    for bad in ({"sort_by": "name"}, {"order": "up"}, {"model_type": "Image", "not_model_type": "PyTorch"}):
        answer = call(http, cloud, "GET", "/v1/{project_id}/models", params=bad)
        assert answer.status_code == 400 and answer.json()["error_code"] == "ModelArts.0104"


def test_delete_cascade_and_the_3009_partial_failure(cloud, http):
    ids = [call(http, cloud, "POST", "/v1/{project_id}/models", model_body("net", f"1.0.{i}")).json()["model_id"]
           for i in range(3)]
    other = call(http, cloud, "POST", "/v1/{project_id}/models", model_body("other")).json()["model_id"]
    cloud.deploy(ids[1])
    answer = call(http, cloud, "DELETE", f"/v1/{{project_id}}/models/{ids[0]}", params={"cascade": True})
    assert answer.status_code == 200
    assert sorted(answer.json()["delete_success_list"]) == sorted([ids[0], ids[2]])
    assert answer.json()["delete_failed_list"] == [{
        "model_id": ids[1], "error_code": "ModelArts.3009",
        "error_msg": f"Failed to delete model because the model ({ids[1]}) has been used to deploy a service."}]
    assert sorted(cloud.models) == sorted([ids[1], other])
    gone = call(http, cloud, "DELETE", f"/v1/{{project_id}}/models/{ids[0]}")
    assert gone.status_code == 404 and gone.json()["error_code"] == "ModelArts.3001"


def test_cascade_deletes_at_most_20_per_call(cloud, http):
    ids = [call(http, cloud, "POST", "/v1/{project_id}/models", model_body("many", f"1.0.{i}")).json()["model_id"]
           for i in range(22)]
    answer = call(http, cloud, "DELETE", f"/v1/{{project_id}}/models/{ids[0]}", params={"cascade": True}).json()
    assert len(answer["delete_success_list"]) == 20 and ids[0] in answer["delete_success_list"]
    assert len(cloud.models) == 2


def test_both_import_spellings_give_a_working_fake_cloud():
    from tests.fakecloud import FakeCloud as FromTests
    with FromTests() as other:
        assert len(other.project_id) == 32 and int(other.project_id, 16) >= 0


def test_runtimes_unknown_paths_and_methods(cloud, http):
    runtimes = call(http, cloud, "GET", "/v1/{project_id}/models/ai-engine-runtimes").json()
    engines = {entry["ai_engine"]: entry for entry in runtimes["engine_runtimes"]}
    assert {"TensorFlow", "PyTorch", "MindSpore", "Caffe"} <= set(engines)
    assert all(len(e["runtimes"]) == len(e["arch"]) == len(e["accelerators"]) for e in engines.values())
    assert call(http, cloud, "GET", "/v1/{project_id}/services").status_code == 404
    assert call(http, cloud, "PUT", "/v1/{project_id}/models", {}).status_code == 405


# -- faults --------------------------------------------------------------------------------------------------------

def test_reset_gives_a_connection_error_and_creates_nothing(cloud, http):
    cloud.faults.add(service="modelarts", method="POST", path="/v1/{project_id}/models", kind="reset")
    with pytest.raises(requests.ConnectionError):
        call(http, cloud, "POST", "/v1/{project_id}/models", model_body())
    assert cloud.models == {} and [r.status for r in cloud.creates()] == [None]
    assert call(http, cloud, "POST", "/v1/{project_id}/models", model_body()).status_code == 200   # used up


def test_lost_response_creates_the_model_yet_the_client_sees_a_connection_error(cloud, http):
    cloud.faults.add(service="modelarts", method="POST", path="/v1/{project_id}/models", kind="lost_response")
    with pytest.raises(requests.ConnectionError):
        call(http, cloud, "POST", "/v1/{project_id}/models", model_body())
    assert len(cloud.models) == 1
    assert call(http, cloud, "POST", "/v1/{project_id}/models", model_body()).status_code == 409


def test_retry_after_throttle_status_and_expired_token_faults(cloud, http):
    cloud.faults.add(path="/v1/*/models", kind="retry_after", seconds="0.02")
    cloud.faults.add(path="/v1/*/models", kind="throttle")
    cloud.faults.add(path="/v1/*/models", kind="status", times=2, status=503)
    cloud.faults.add(path="/v1/*/models", kind="expired_token")
    first = call(http, cloud, "GET", "/v1/{project_id}/models")
    assert first.status_code == 429 and first.headers["Retry-After"] == "0.02"
    assert first.json()["error_code"] == "ModelArts.2799"
    throttled = call(http, cloud, "GET", "/v1/{project_id}/models")
    assert throttled.status_code == 429 and throttled.json()["error_code"] == "APIG.0308"
    assert [call(http, cloud, "GET", "/v1/{project_id}/models").status_code for _ in range(2)] == [503, 503]
    assert call(http, cloud, "GET", "/v1/{project_id}/models").status_code == 401
    assert call(http, cloud, "GET", "/v1/{project_id}/models").status_code == 200
    assert cloud.faults.pending() == []


def test_delay_fault_and_a_fault_for_another_path_does_not_fire(cloud, http):
    cloud.faults.add(method="GET", path="/v1/{project_id}/models", kind="delay", seconds=0.2)
    cloud.faults.add(method="DELETE", path="*", kind="reset")
    started = time.monotonic()
    assert call(http, cloud, "GET", "/v1/{project_id}/models").status_code == 200
    assert time.monotonic() - started >= 0.2
    assert len(cloud.faults.pending()) == 1


def test_records_hide_secrets(cloud, http):
    call(http, cloud, "GET", "/v1/{project_id}/models")
    record = cloud.requests[-1]
    assert record.service == "modelarts" and record.status == 200
    assert record.headers["Authorization"].endswith("Signature=***")
    assert cloud.secret_key not in json.dumps(record.headers)
    assert urlsplit(cloud.modelarts_url).port != urlsplit(cloud.iam_url).port


# -- OBS-backed imports --------------------------------------------------------------------------------------------

@needs_obs
def test_obs_source_location_is_checked_against_the_obs_stand_in(cloud, http):
    empty = call(http, cloud, "POST", "/v1/{project_id}/models",
                 {**model_body(), "model_type": "PyTorch", "source_location": cloud.obs_source("nothing-here")})
    assert empty.status_code == 400 and empty.json()["error_code"] == "ModelArts.3551"
    good = cloud.put_model_package("good")
    broken = cloud.put_model_package("broken", config=False)
    ok = call(http, cloud, "POST", "/v1/{project_id}/models",
              {**model_body("good"), "model_type": "PyTorch", "source_location": good}).json()["model_id"]
    bad = call(http, cloud, "POST", "/v1/{project_id}/models",
               {**model_body("broken"), "model_type": "PyTorch", "source_location": broken}).json()["model_id"]
    published = wait_status(http, cloud, ok)
    assert published["model_status"] == "published" and published["model_size"] > 0
    assert wait_status(http, cloud, bad)["model_status"] == "failed"


def obs_get(http, cloud, key: str, keys: tuple[str, str, Optional[str]]) -> requests.Response:
    """GET an object of the default bucket path-style, signed the OBS V2 way (HMAC-SHA1 of the string to sign)."""
    access, secret, token = keys
    headers = {"Date": email.utils.formatdate(usegmt=True)}
    canonical = ""
    if token:
        headers["x-obs-security-token"] = token
        canonical = f"x-obs-security-token:{token}\n"
    to_sign = f"GET\n\n\n{headers['Date']}\n{canonical}/{cloud.bucket}/{key}"
    digest = base64.b64encode(hmac.new(secret.encode(), to_sign.encode(), hashlib.sha1).digest()).decode()
    headers["Authorization"] = f"OBS {access}:{digest}"
    return http.get(f"{cloud.obs_url}/{cloud.bucket}/{key}", headers=headers, timeout=5)


@needs_obs
def test_obs_shares_the_key_ring_the_log_and_the_faults(cloud, http):
    cloud.obs.put_object(cloud.bucket, "data/a.bin", b"payload")
    assert obs_get(http, cloud, "data/a.bin", (cloud.access_key, cloud.secret_key, None)).content == b"payload"
    cloud.metadata.credential_lifetime = 0.3
    issued = fetch_securitykey(http, cloud).json()["credential"]
    keys = (issued["access"], issued["secret"], issued["securitytoken"])
    assert obs_get(http, cloud, "data/a.bin", keys).status_code == 200
    time.sleep(0.35)
    assert obs_get(http, cloud, "data/a.bin", keys).status_code == 403
    record = [r for r in cloud.requests if r.service == "obs"][-1]
    assert record.headers["x-obs-security-token"] == "***" and record.status == 403
    cloud.faults.add(service="obs", method="GET", path=f"/{cloud.bucket}/*", kind="status", status=503)
    assert obs_get(http, cloud, "data/a.bin", (cloud.access_key, cloud.secret_key, None)).status_code == 503


def test_the_stand_ins_own_signature_check_reproduces_the_official_vectors():
    """The gateway's check is written apart from the project's signer; both must agree with spec §4b's vectors."""
    import hashlib as _hashlib
    import hmac as _hmac

    from fakecloud.auth import _gateway_string_to_sign

    headers = {"host": "service.endpoint.myhuaweicloud.com", "x-sdk-date": "20200608T023900Z"}
    for body, expected in ((b"", "cfb4171acec81de07d50e53d57eb77edd537414d66ddb1d7d780f128e12cd842"),
                           (b'{"name":"test","id":1}', "436b1ac0a1ae03705934bb70ef2f2e09f7bfed2117d731a38235053199323a1f")):
        method = "POST" if body else "GET"
        to_sign = _gateway_string_to_sign(method, "/resources", "size=1", ["host", "x-sdk-date"], headers, body)
        assert _hmac.new(b"SecretKey", to_sign.encode(), _hashlib.sha256).hexdigest() == expected
