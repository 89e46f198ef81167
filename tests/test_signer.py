"""SDK-HMAC-SHA256: the official vectors byte for byte (spec §4b), and the requests auth built on the signer."""

from __future__ import annotations

import hashlib

import requests

from model_import_widget.sdk import signer
from model_import_widget.sdk.signer import SignerAuth, canonical_query, sign

V_HEADERS = {"X-Sdk-Date": "20200608T023900Z", "TEST_UNDERSCORE": "TEST_VALUE"}
V_URL = "https://service.endpoint.myhuaweicloud.com/resources?size=1"


def test_v1_get_with_an_empty_body():
    canonical, names = signer.canonical_request("GET", V_URL, {**V_HEADERS, "Host": "service.endpoint.myhuaweicloud.com"}, None)
    assert canonical == ("GET\n/resources/\nsize=1\nhost:service.endpoint.myhuaweicloud.com\nx-sdk-date:20200608T023900Z\n"
                         "\nhost;x-sdk-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    assert hashlib.sha256(canonical.encode()).hexdigest() == "de94dd1e1ccdb730b403ce35d7e14f7c7b04337f6def1c3a3a2ba936852b133f"
    headers = sign("GET", V_URL, V_HEADERS, None, access_key="AccessKey", secret_key="SecretKey")
    assert headers["Authorization"] == ("SDK-HMAC-SHA256 Access=AccessKey, SignedHeaders=host;x-sdk-date, "
                                        "Signature=cfb4171acec81de07d50e53d57eb77edd537414d66ddb1d7d780f128e12cd842")


def test_v2_post_with_a_json_body():
    body = '{"name":"test","id":1}'
    assert signer.payload_hash({}, body) == "8ed555081b9961769014bc1182c629bb0fe68d7b01c1fc1caab4dc791f377e8c"
    canonical, _ = signer.canonical_request("POST", V_URL, {**V_HEADERS, "Host": "service.endpoint.myhuaweicloud.com"}, body)
    assert hashlib.sha256(canonical.encode()).hexdigest() == "2b1b2515e48cb55e043ff2ec5b93d3f13ec287e1da1d7a2e4e14b0611a341969"
    for given in (body, body.encode()):  # str or bytes, the same signature
        headers = sign("POST", V_URL, V_HEADERS, given, access_key="AccessKey", secret_key="SecretKey")
        assert headers["Authorization"].endswith("Signature=436b1ac0a1ae03705934bb70ef2f2e09f7bfed2117d731a38235053199323a1f")


def test_v3_the_signing_guide_example():
    url = ("https://service.region.example.com/v1/77b6a44cba5143ab91d13ab9a8ff44fd/vpcs"
           "?limit=2&marker=13551d6b-755d-4757-b956-536f674975c0")
    headers = {"Content-Type": "application/json", "Host": "service.region.example.com", "X-Sdk-Date": "20191115T033655Z"}
    canonical, _ = signer.canonical_request("GET", url, headers, None)
    assert hashlib.sha256(canonical.encode()).hexdigest() == "b25362e603ee30f4f25e7858e8a7160fd36e803bb2dfe206278659d71a9bcd7a"
    signed = sign("GET", url, headers, None, access_key="QTWAOYTTINDUT2QVKYUC",
                  secret_key="MFyfvK41ba2giqM7Uio6PznpdUKGpownRZlmVmHc")
    assert signed["Authorization"] == ("SDK-HMAC-SHA256 Access=QTWAOYTTINDUT2QVKYUC, SignedHeaders=content-type;host;"
                                       "x-sdk-date, Signature=7be6668032f70418fcc22abc52071e57aff61b84a1d2381bb430d6870f4f6ebe")


def test_vq_canonical_query():
    params = [("limit", 1), ("enable", True), ("test", "一 (&=?!#%.*)"), ("path", "/tmp/123"), ("multi", [1, 2, 3])]
    assert canonical_query(params) == ("enable=true&limit=1&multi=1&multi=2&multi=3&path=%2Ftmp%2F123"
                                       "&test=%E4%B8%80%20%28%26%3D%3F%21%23%25.%2A%29")
    assert canonical_query({"b": "x y", "a": None}) == "b=x%20y"  # None is left out, space is %20 never +
    assert canonical_query(None) == "" and canonical_query({}) == ""


def test_sign_leaves_the_callers_headers_alone_and_adds_a_date_only_when_missing():
    given = {"Content-Type": "application/json"}
    signed = sign("GET", "https://h.example.com/a", given, None, access_key="AK", secret_key="SK")
    assert given == {"Content-Type": "application/json"}
    assert len(signed["X-Sdk-Date"]) == 16 and signed["X-Sdk-Date"].endswith("Z") and signed["Host"] == "h.example.com"
    fixed = sign("GET", "https://h.example.com/a", {"X-Sdk-Date": "20200608T023900Z"}, None, access_key="AK", secret_key="SK")
    assert fixed["X-Sdk-Date"] == "20200608T023900Z"
    assert "SK" not in fixed["Authorization"].split("Signature=")[0]


def test_trailing_slash_only_in_the_signature_and_segments_re_encoded():
    assert signer.canonical_uri("/v1/p/models") == "/v1/p/models/"
    assert signer.canonical_uri("/a%20b/c") == "/a%20b/c/"
    assert signer.canonical_uri("") == "/"


def test_unsigned_payload_header_is_honoured():
    assert signer.payload_hash({"X-Sdk-Content-Sha256": "UNSIGNED-PAYLOAD"}, b"anything") == "UNSIGNED-PAYLOAD"


def test_signer_auth_signs_the_prepared_request_with_project_and_security_token():
    auth = SignerAuth(lambda: ("AK-temp", "SK-temp", "the-token"), lambda: "proj1")
    prepared = requests.Request("GET", "https://modelarts.r.example.com/v1/proj1/models?limit=2&offset=0",
                                headers={"Content-Type": "application/json"}).prepare()
    auth(prepared)
    headers = prepared.headers
    assert headers["X-Project-Id"] == "proj1" and headers["X-Security-Token"] == "the-token"
    names = headers["Authorization"].split("SignedHeaders=")[1].split(",")[0].split(";")
    assert {"x-project-id", "x-security-token", "x-sdk-date", "host"} <= set(names)
    assert not {"connection", "accept-encoding", "user-agent"} & set(names)  # a proxy may rewrite those
    expected = sign("GET", prepared.url, {k: v for k, v in headers.items() if k.lower() in names}, None,
                    access_key="AK-temp", secret_key="SK-temp")["Authorization"]
    assert headers["Authorization"] == expected
    assert "SK-temp" not in repr(auth)
