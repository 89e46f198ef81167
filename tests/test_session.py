"""Session(): the credential chain, the backend choice, and that no secret ever shows."""

from __future__ import annotations

import logging
import os

import pytest

from model_import_widget import Model, Session
from model_import_widget.errors import CredentialsError
from model_import_widget.sdk import credentials

SECRET_KEY = "sk-Very-Secret-0123456789abcdef"
PASSWORD = "Pa55w0rd-Very-Secret"
TOKEN = "security-token-Very-Secret-xyz"
SECRETS = (SECRET_KEY, PASSWORD, TOKEN)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    for name in list(os.environ):
        if name.startswith(("HUAWEICLOUD_", "MODEL_IMPORT_WIDGET_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("MODEL_IMPORT_WIDGET_HOME", str(tmp_path / "registry"))
    (tmp_path / "home").mkdir()


def assert_no_secret(*texts):
    for text in texts:
        for secret in SECRETS:
            assert secret not in text


def test_no_credentials_means_embedded(tmp_path):
    session = Session()
    assert session.backend == "embedded"
    assert session.credential_source == "none"
    assert session.describe() == f"embedded registry at {tmp_path / 'registry'} (no cloud credentials found)"
    assert session.client.kind == "embedded"


def test_explicit_aksk_wins_over_environment(monkeypatch):
    monkeypatch.setenv("HUAWEICLOUD_SDK_AK", "ENVAK0000000000000000")
    monkeypatch.setenv("HUAWEICLOUD_SDK_SK", "env-secret")
    session = Session(access_key="EXPLICITAK00000WXYZ", secret_key=SECRET_KEY, project_id="p1", region_name="cn-north-4")
    assert (session.backend, session.credential_source) == ("modelarts", "explicit")
    assert "…WXYZ" in session.describe() and "cn-north-4" in session.describe() and "p1" in session.describe()
    assert_no_secret(session.describe(), repr(session), repr(session._credentials))


def test_environment_then_profile(monkeypatch, tmp_path):
    profile = tmp_path / "home" / ".huaweicloud" / "credentials"
    profile.parent.mkdir()
    profile.write_text(f"[basic]\nak = PROFILEAK000000ABCD\nsk = {SECRET_KEY}\nproject_id = p9\n")
    session = Session()
    assert (session.backend, session.credential_source, session.project_id) == ("modelarts", "profile", "p9")
    assert str(profile) in session.describe()

    monkeypatch.setenv("HUAWEICLOUD_SDK_AK", "ENVAK0000000000QRST")
    monkeypatch.setenv("HUAWEICLOUD_SDK_SK", SECRET_KEY)
    monkeypatch.setenv("HUAWEICLOUD_SDK_SECURITY_TOKEN", TOKEN)
    session = Session()
    assert session.credential_source == "env"
    assert "…QRST" in session.describe() and "security token" in session.describe()
    assert_no_secret(session.describe(), repr(session))


def test_profile_file_variable(monkeypatch, tmp_path):
    path = tmp_path / "creds.ini"
    path.write_text(f"[global]\nak=GLOBALAK\nsk={SECRET_KEY}\n")
    monkeypatch.setenv("HUAWEICLOUD_SDK_CREDENTIALS_FILE", str(path))
    assert Session().credential_source == "profile"


def test_half_configured_credentials_are_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setenv("HUAWEICLOUD_SDK_AK", "ONLYAK")
    with pytest.raises(CredentialsError, match="HUAWEICLOUD_SDK_AK is set but HUAWEICLOUD_SDK_SK is not"):
        Session()
    monkeypatch.delenv("HUAWEICLOUD_SDK_AK")
    monkeypatch.setenv("HUAWEICLOUD_SDK_SK", SECRET_KEY)
    with pytest.raises(CredentialsError) as info:
        Session()
    assert_no_secret(str(info.value))
    with pytest.raises(CredentialsError, match="pass secret_key too"):
        Session(access_key="AK")
    with pytest.raises(CredentialsError, match="region_name="):  # no region anywhere: said at first use
        Session(username="bob", password=PASSWORD).endpoints()
    profile = tmp_path / "home" / ".huaweicloud" / "credentials"
    profile.parent.mkdir()
    profile.write_text("[basic]\nak = X\n")
    monkeypatch.delenv("HUAWEICLOUD_SDK_SK")
    with pytest.raises(CredentialsError, match="has ak but not sk"):
        Session()


def test_password_session(monkeypatch):
    session = Session(account="acme", username="bob", password=PASSWORD, region_name="cn-north-4", project_id="p")
    assert session.credential_source == "explicit"
    assert "IAM user bob of account acme" in session.describe()
    assert_no_secret(session.describe(), repr(session))
    monkeypatch.setenv("HUAWEICLOUD_SDK_PASSWORD", PASSWORD)
    assert Session(username="bob", region_name="cn-north-4").credential_source == "explicit"
    monkeypatch.setenv("HUAWEICLOUD_SDK_REGION", "ap-southeast-3")  # the region from the environment, as for keys
    assert Session(account="acme", username="bob").endpoints().region == "ap-southeast-3"


def test_notebook_is_detected_only_by_opt_in_here(monkeypatch):
    assert Session().credential_source == "none"
    monkeypatch.setenv("MODEL_IMPORT_WIDGET_NOTEBOOK", "1")
    monkeypatch.setenv("MODEL_IMPORT_WIDGET_METADATA_URL", "http://127.0.0.1:9")
    session = Session()
    assert (session.backend, session.credential_source) == ("modelarts", "notebook")
    assert session._credentials.metadata_url == "http://127.0.0.1:9"
    assert "agency" in session.describe()


def test_default_metadata_url_is_only_a_constant():
    # Resolution reads variables and files only; the metadata address is never contacted from here.
    assert credentials.from_notebook({"HOME": "/root"}) is None


def test_embedded_can_be_forced(monkeypatch, tmp_path):
    monkeypatch.setenv("HUAWEICLOUD_SDK_AK", "ENVAK")
    monkeypatch.setenv("HUAWEICLOUD_SDK_SK", SECRET_KEY)
    assert Session().backend == "modelarts"
    forced = Session(backend="embedded")
    assert (forced.backend, forced.credential_source) == ("embedded", "none")
    assert "backend='embedded'" in forced.describe()
    monkeypatch.setenv("MODEL_IMPORT_WIDGET_BACKEND", "embedded")
    assert Session().backend == "embedded"
    assert "MODEL_IMPORT_WIDGET_BACKEND=embedded" in Session().describe()
    monkeypatch.setenv("MODEL_IMPORT_WIDGET_BACKEND", "cloud")
    with pytest.raises(ValueError, match="not a backend"):
        Session()


def test_modelarts_forced_without_credentials(monkeypatch):
    monkeypatch.setenv("MODEL_IMPORT_WIDGET_BACKEND", "modelarts")
    with pytest.raises(CredentialsError, match="needs credentials"):
        Session()


def test_a_cloud_session_without_a_region_says_how_to_set_one_and_sends_nothing(caplog):
    caplog.set_level(logging.DEBUG)
    session = Session(access_key="AK00000000", secret_key=SECRET_KEY)
    assert session.backend == "modelarts" and "region not set" in session.describe()
    with pytest.raises(CredentialsError) as info:
        Model(session, model_version="1.0.0", source_location="/bucket/dir/", model_type="PyTorch")
    assert "region_name=" in str(info.value) and "HUAWEICLOUD_SDK_REGION" in str(info.value)
    assert_no_secret(str(info.value), caplog.text)


def test_region_comes_from_the_argument_then_the_environment_then_the_profile(monkeypatch, tmp_path):
    profile = tmp_path / "home" / ".huaweicloud" / "credentials"
    profile.parent.mkdir()
    profile.write_text(f"[basic]\nak = PROFILEAK000000ABCD\nsk = {SECRET_KEY}\nregion = ap-southeast-3\n")
    assert Session().region_name == "ap-southeast-3"
    monkeypatch.setenv("HUAWEICLOUD_SDK_REGION", "cn-north-4")
    assert Session().region_name == "cn-north-4"
    assert Session(region_name="eu-west-101").region_name == "eu-west-101"


def test_endpoints_follow_the_region_the_cloud_domain_and_the_overrides(monkeypatch):
    session = Session(access_key="AK00000000", secret_key=SECRET_KEY, region_name="cn-north-4")
    e = session.endpoints()
    assert (e.modelarts, e.iam, e.obs) == ("https://modelarts.cn-north-4.myhuaweicloud.com",
                                           "https://iam.cn-north-4.myhuaweicloud.com",
                                           "https://obs.cn-north-4.myhuaweicloud.com")
    assert Session(access_key="A", secret_key=SECRET_KEY, region_name="ap-southeast-1").endpoints().modelarts == \
        "https://modelarts.ap-southeast-1.myhuaweicloud.cn"  # the one region on another domain (spec §4)
    monkeypatch.setenv("MODEL_IMPORT_WIDGET_CLOUD_DOMAIN", "otc.t-systems.com")
    assert Session(access_key="A", secret_key=SECRET_KEY, region_name="eu-de").endpoints().modelarts == \
        "https://modelarts.eu-de.otc.t-systems.com"
    monkeypatch.setenv("HUAWEICLOUD_SDK_REGION_MODELARTS_EU_DE", "https://ma.example.test:8443/,https://other")
    monkeypatch.setenv("HUAWEICLOUD_SDK_IAM_ENDPOINT", "iam.example.test")
    e = Session(access_key="A", secret_key=SECRET_KEY, region_name="eu-de").endpoints()
    assert (e.modelarts, e.iam) == ("https://ma.example.test:8443", "https://iam.example.test")
    session = Session(access_key="A", secret_key=SECRET_KEY, region_name="eu-de")
    session.set_endpoint(obs_endpoint="https://obs.example.test", region_name="eu-nl")
    assert session.region_name == "eu-nl" and session.endpoints().obs == "https://obs.example.test"


@pytest.mark.parametrize("region", ["evil.example.com/#", "cn-north-4.attacker.net", "", "CN NORTH", "cn-north-4/"])
def test_a_region_that_is_not_a_region_id_never_becomes_a_host_name(region):
    session = Session(access_key="A", secret_key=SECRET_KEY, region_name=region or None)
    with pytest.raises(CredentialsError, match="region"):
        session.endpoints()


@pytest.mark.parametrize("endpoint", ["not a url at all", "http://", "https://user:Pa55@ma.example.test",
                                      "https://ma.example.test:99999", "https://ma.example.test/?x=1", "ftp://h.test"])
def test_an_endpoint_that_is_not_one_is_refused_before_any_request(endpoint):
    session = Session(access_key="A", secret_key=SECRET_KEY, region_name="cn-north-4")
    session.set_endpoint(modelarts_endpoint=endpoint)
    with pytest.raises(CredentialsError, match="endpoint") as info:
        session.endpoints()
    assert "Pa55" not in str(info.value)


def test_an_obs_endpoint_takes_no_path():
    session = Session(access_key="A", secret_key=SECRET_KEY, region_name="cn-north-4")
    session.set_endpoint(obs_endpoint="https://obs.example.test/prefix")
    with pytest.raises(CredentialsError, match="no path"):
        session.endpoints()


def test_a_cloud_domain_that_is_not_a_domain_is_refused(monkeypatch):
    monkeypatch.setenv("MODEL_IMPORT_WIDGET_CLOUD_DOMAIN", "evil.example.com/x?")
    with pytest.raises(CredentialsError, match="not a DNS domain"):
        Session(access_key="A", secret_key=SECRET_KEY, region_name="cn-north-4").endpoints()


def test_set_endpoint_on_the_class_applies_to_sessions_made_afterwards(monkeypatch):
    monkeypatch.setattr(Session, "_endpoint_overrides", {})
    monkeypatch.setattr(Session, "_region_override", None)
    Session.set_endpoint(modelarts_endpoint="https://ma.example.test", region_name="la-south-2")
    session = Session(access_key="A", secret_key=SECRET_KEY)
    assert session.region_name == "la-south-2" and session.endpoints().modelarts == "https://ma.example.test"


def test_making_a_cloud_session_builds_no_network_client():
    session = Session(access_key="AK00000000", secret_key=SECRET_KEY, region_name="cn-north-4")
    assert session._client is None


def test_profile_secrets_with_percent_signs_and_broken_files_never_show(tmp_path):
    profile = tmp_path / "home" / ".huaweicloud" / "credentials"
    profile.parent.mkdir()
    profile.write_text(f"[basic]\nak = PERCENTAK00001234\nsk = 50%{SECRET_KEY}%(x\n")
    session = Session()
    assert session._credentials.secret_key == f"50%{SECRET_KEY}%(x"  # read as written
    assert_no_secret(session.describe(), repr(session))
    profile.write_text(f"[basic]\nak = A\n  sk continuation {SECRET_KEY}\nno section line = {SECRET_KEY}\n[basic]\n")
    with pytest.raises(CredentialsError) as info:
        Session()
    assert "cannot read the credentials file" in str(info.value)
    assert_no_secret(str(info.value))
