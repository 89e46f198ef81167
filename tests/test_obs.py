"""model_import_widget.sdk.obs against the OBS stand-in (a real HTTP server on 127.0.0.1, tests/fakecloud/obs.py).

Uploads, signatures (permanent and temporary keys), retries, cancel and failure clean-up, files that change or are
swapped under the upload, resume after an interruption, progress, and no secret anywhere.
"""

from __future__ import annotations

import base64
import email.utils
import hashlib
import json
import logging
import os
import socket
import threading
import time
from pathlib import Path

import pytest
import requests

from fakecloud.keyring import KeyRing
from fakecloud.obs import ObsStandIn
from model_import_widget.errors import (AuthenticationError, CredentialsError, ImportCancelledError, ModelImportError,
                                       NetworkError, PermissionDeniedError, ServiceError)
from model_import_widget.registry.importer import walk
from model_import_widget.sdk import obs_upload
from model_import_widget.sdk.obs import (ObsAuth, ObsClient, ObsLocationError, ObsUnreachableError,
                                         canonical_resource, parse_obs_location, string_to_sign)
from model_import_widget.sdk.obs_upload import upload_folder

PART = 256 << 10
BUCKET = "models"
PREFIX = "dir/"


class Interrupt(BaseException):
    """Stands for a KeyboardInterrupt or a killed process in the middle of an upload."""


@pytest.fixture
def ring() -> KeyRing:
    return KeyRing()


@pytest.fixture
def cred(ring):
    return ring.add_permanent()


@pytest.fixture
def obs(ring, tmp_path):
    stand_in = ObsStandIn(ring.keys, root=tmp_path / "obs-store")
    stand_in.start()
    stand_in.create_bucket(BUCKET)
    yield stand_in
    stand_in.stop()


def make_client(obs, cred, token=None, **kwargs) -> ObsClient:
    options = {"backoff": 0.001, "timeout": (2.0, 10.0), **kwargs}
    return ObsClient(obs.url, lambda: (cred.access, cred.secret, token), **options)


@pytest.fixture
def client(obs, cred):
    with make_client(obs, cred) as made:
        yield made


@pytest.fixture
def folder(tmp_path) -> Path:
    root = tmp_path / "package"
    (root / "model" / "variables").mkdir(parents=True)
    (root / "model" / "big.bin").write_bytes(os.urandom(3 * PART + 12345))      # 4 parts
    (root / "model" / "config.json").write_text('{"model_type": "PyTorch"}')
    (root / "model" / "customize_service.py").write_text("print('hi')\n")
    (root / "model" / "empty.txt").write_bytes(b"")
    (root / "model" / "variables" / "v 1+%.bin").write_bytes(os.urandom(5000))
    for index in range(4):
        (root / "model" / "variables" / f"w{index}.bin").write_bytes(os.urandom(30_000 + index))
    time.sleep(0.03)  # older than a timestamp tick before it is read: a checkpoint may vouch for it (racy-git rule)
    return root


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def assert_uploaded(obs, root: Path, prefix: str = PREFIX) -> None:
    files = snapshot(root)
    assert obs.list_keys(BUCKET, prefix) == sorted(prefix + rel for rel in files)
    for rel, data in files.items():
        assert obs.get_object(BUCKET, prefix + rel) == data, rel
    assert obs.pending_uploads(BUCKET) == []


def assert_nothing_left(obs) -> None:
    assert obs.list_keys(BUCKET) == []
    assert obs.pending_uploads(BUCKET) == []


def requests_to(obs, method: str, path_end: str, query: str | None = None):
    return [r for r in obs.log.snapshot() if r.method == method and r.path.endswith(path_end)
            and (query is None or query in r.query)]


# ---- uploading --------------------------------------------------------------------------------------------------


def test_folder_upload_mirrors_the_folder_with_checked_bytes(obs, client, folder):
    result = upload_folder(client, walk(folder, "pkg"), BUCKET, PREFIX, part_size=PART)

    assert_uploaded(obs, folder)
    assert result.keys == [PREFIX + f.rel for f in walk(folder, "pkg").files]
    assert (result.bytes, result.files) == (sum(map(len, snapshot(folder).values())), 9)
    assert (result.resumed_files, result.resumed_bytes) == (0, 0)
    assert len(requests_to(obs, "POST", "model/big.bin", "uploads")) == 1
    assert len(requests_to(obs, "PUT", "model/big.bin", "partNumber")) == 4
    puts = [r for r in obs.log.snapshot() if r.method == "PUT"]
    assert puts and all("Content-MD5" in r.headers for r in puts)
    assert obs.object_etag(BUCKET, PREFIX + "model/config.json") == client.head_object(
        BUCKET, PREFIX + "model/config.json")["etag"]
    assert client.head_object(BUCKET, PREFIX + "model/nothing-here") is None


def test_temporary_keys_sign_with_their_security_token(obs, ring, folder):
    temporary = ring.issue_temporary(600, "securitytoken")
    with make_client(obs, temporary, token=temporary.security_token) as client:
        upload_folder(client, walk(folder, "pkg"), BUCKET, PREFIX, part_size=PART)
    assert_uploaded(obs, folder)
    assert all(r.headers.get("x-obs-security-token") == "***" for r in obs.log.snapshot())

    with make_client(obs, temporary) as without_token, pytest.raises(ServiceError) as missing:
        without_token.head_object(BUCKET, PREFIX + "model/config.json")
    assert (missing.value.status, missing.value.error_code) == (403, "OBS.InvalidAccessKeyId")
    with make_client(obs, temporary, token="not-the-token") as wrong, pytest.raises(ServiceError) as refused:
        wrong.head_object(BUCKET, PREFIX + "model/config.json")
    assert refused.value.status == 403
    ring.expire_credentials()
    with make_client(obs, temporary, token=temporary.security_token) as expired, pytest.raises(ServiceError) as gone:
        expired.head_object(BUCKET, PREFIX + "model/config.json")
    assert gone.value.error_code == "OBS.InvalidAccessKeyId" and "expired" in str(gone.value)


def test_a_wrong_secret_key_is_refused_clearly_and_not_retried(obs, cred, folder):
    client = ObsClient(obs.url, lambda: (cred.access, "wrong-secret-key", None), backoff=0.001)
    with pytest.raises(ServiceError) as caught:
        upload_folder(client, walk(folder, "pkg"), BUCKET, PREFIX, part_size=PART)
    error = caught.value
    assert (error.status, error.error_code) == (403, "OBS.SignatureDoesNotMatch")
    assert isinstance(error, AuthenticationError)
    assert "secret key" in str(error) and error.request_id
    assert len([r for r in obs.log.snapshot() if r.method == "POST"]) == 1  # the initiate, once
    assert "wrong-secret-key" not in str(error) + repr(error) + repr(client)
    assert_nothing_left(obs)


def test_keys_are_asked_before_every_request(obs, ring, folder):
    first, second = ring.add_permanent(), ring.add_permanent()
    calls = []

    def keys():
        calls.append(1)
        chosen = first if len(calls) < 4 else second  # rotated in the middle of the upload
        return chosen.access, chosen.secret, None

    upload_folder(ObsClient(obs.url, keys), walk(folder, "pkg"), BUCKET, PREFIX, part_size=PART)
    assert len(calls) == len(obs.log.snapshot())
    assert_uploaded(obs, folder)


def test_unknown_bucket_says_to_create_it_or_fix_obs_location(client, folder, obs):
    with pytest.raises(ServiceError) as caught:
        upload_folder(client, walk(folder, "pkg"), "no-such-bucket", PREFIX, part_size=PART)
    assert caught.value.error_code == "OBS.NoSuchBucket"
    assert "no-such-bucket does not exist" in str(caught.value) and "obs_location" in str(caught.value)


def test_virtual_hosted_addressing_for_dns_endpoints(obs, cred, folder):
    session = requests.Session()
    session.trust_env = False
    session.proxies = {"http": obs.url}  # the stand-in takes absolute-form requests: no name is ever looked up
    client = ObsClient(f"http://obs.cn-north-4.example.test:{obs.port}", lambda: (cred.access, cred.secret, None),
                       http=session)
    assert not client.path_style
    assert client.object_url(BUCKET, "dir/a b.txt") == (
        f"http://{BUCKET}.obs.cn-north-4.example.test:{obs.port}/dir/a%20b.txt")
    upload_folder(client, walk(folder, "pkg"), BUCKET, PREFIX, part_size=PART)
    assert_uploaded(obs, folder)
    assert ObsClient("https://obs.cn-north-4.myhuaweicloud.com", lambda: ("a", "b", None)).object_url(
        "models", "x/") == "https://models.obs.cn-north-4.myhuaweicloud.com/x/"
    local = ObsClient("http://localhost:9", lambda: ("a", "b", None))
    assert local.path_style and local.object_url("b1c", "k") == "http://localhost:9/b1c/k"


# ---- retries ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fault", [{"kind": "status", "status": 500}, {"kind": "status", "status": 503},
                                   {"kind": "reset"}])
def test_a_failed_part_is_retried_and_the_object_is_intact(obs, client, folder, fault):
    injected = obs.faults.add(method="PUT", path=f"/{BUCKET}/{PREFIX}model/big.bin", **fault)
    seen = []
    upload_folder(client, walk(folder, "pkg"), BUCKET, PREFIX, part_size=PART, progress=seen.append)
    assert injected.hits == 1
    assert len(requests_to(obs, "PUT", "model/big.bin", "partNumber")) == 5  # 4 parts, one of them twice
    assert_uploaded(obs, folder)
    assert seen[-1].bytes_done == seen[-1].bytes_total  # the retried part counted once


def test_429_waits_as_long_as_retry_after_says(obs, client, folder):
    obs.faults.add(method="PUT", path=f"/{BUCKET}/{PREFIX}model/config.json", kind="retry_after", seconds="0.3")
    started = time.monotonic()
    upload_folder(client, walk(folder, "pkg"), BUCKET, PREFIX, part_size=PART)
    assert time.monotonic() - started >= 0.3
    assert_uploaded(obs, folder)


def test_a_403_is_not_retried_and_says_what_to_check(obs, client, folder):
    denied = obs.faults.add(method="PUT", path=f"/{BUCKET}/{PREFIX}model/config.json", kind="status", status=403,
                            error_code="AccessDenied", error_msg="Access Denied")
    with pytest.raises(ServiceError) as caught:
        upload_folder(client, walk(folder, "pkg"), BUCKET, PREFIX, part_size=PART)
    assert (caught.value.status, caught.value.error_code) == (403, "OBS.AccessDenied")
    assert isinstance(caught.value, PermissionDeniedError)
    assert "may write to bucket models" in str(caught.value)
    assert denied.hits == 1 and len(requests_to(obs, "PUT", "model/config.json")) == 1
    assert_nothing_left(obs)  # big.bin, uploaded before, was deleted again


def test_retries_run_out_into_a_clear_error(obs, client, folder):
    obs.faults.add(method="PUT", path=f"/{BUCKET}/{PREFIX}model/config.json", kind="status", status=500, times=None)
    with pytest.raises(ServiceError) as caught:
        upload_folder(client, walk(folder, "pkg"), BUCKET, PREFIX, part_size=PART)
    assert caught.value.status == 500 and "after 4 attempts" in str(caught.value)
    assert len(requests_to(obs, "PUT", "model/config.json")) == 4
    assert_nothing_left(obs)


def test_an_unreachable_endpoint_names_it_and_says_to_check_the_network(folder):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again: nothing listens there
    client = ObsClient(f"http://127.0.0.1:{port}", lambda: ("AK", "SECRET-SK", "SECRET-TOKEN"), backoff=0.001,
                       retries=2)
    with pytest.raises(ObsUnreachableError) as caught:
        upload_folder(client, walk(folder, "pkg"), BUCKET, PREFIX, part_size=PART)
    error = caught.value
    assert isinstance(error, NetworkError) and error.attempts == 3 and error.url == f"http://127.0.0.1:{port}"
    assert f"127.0.0.1:{port}" in str(error) and "network" in str(error) and "refused" in str(error)
    chain = repr(error) + repr(error.__cause__) + str(error.__cause__)
    assert "SECRET" not in chain and getattr(error.__cause__, "request", None) is None


def test_an_etag_that_is_not_the_md5_is_not_trusted(obs, client, folder, monkeypatch):
    real = obs._put_object

    def lying(request, bucket, key):
        reply = real(request, bucket, key)
        reply.headers["ETag"] = '"00000000000000000000000000000000"'
        return reply

    monkeypatch.setattr(obs, "_put_object", lying)
    with pytest.raises(ServiceError) as caught:
        upload_folder(client, walk(folder, "pkg"), BUCKET, PREFIX, part_size=PART)
    assert caught.value.error_code == "OBS.ETagMismatch"
    assert_nothing_left(obs)


# ---- cancel and failure leave nothing ---------------------------------------------------------------------------


def test_cancel_in_the_middle_leaves_no_object_and_no_multipart_upload(obs, client, folder, monkeypatch):
    monkeypatch.setattr(obs_upload, "PROGRESS_INTERVAL", 0)
    cancel = threading.Event()

    def progress(p):
        if p.bytes_done >= PART:  # after the first part of big.bin
            cancel.set()

    with pytest.raises(ImportCancelledError):
        upload_folder(client, walk(folder, "pkg"), BUCKET, PREFIX, part_size=PART, progress=progress, cancel=cancel)
    assert requests_to(obs, "DELETE", "model/big.bin", "uploadId")  # the open upload was aborted
    assert_nothing_left(obs)


def test_cancel_between_files_deletes_what_was_written(obs, client, folder, monkeypatch):
    monkeypatch.setattr(obs_upload, "PROGRESS_INTERVAL", 0)
    cancel = threading.Event()
    progress = lambda p: cancel.set() if p.files_done >= 3 else None  # noqa: E731
    with pytest.raises(ImportCancelledError):
        upload_folder(client, walk(folder, "pkg"), BUCKET, PREFIX, part_size=PART, progress=progress, cancel=cancel)
    assert requests_to(obs, "POST", "", "delete")
    assert_nothing_left(obs)


def test_a_failure_in_the_middle_leaves_nothing(obs, client, folder):
    obs.faults.add(method="PUT", path=f"/{BUCKET}/{PREFIX}model/customize_service.py", kind="status", status=400,
                   error_code="InvalidArgument", error_msg="Invalid argument")
    with pytest.raises(ServiceError) as caught:
        upload_folder(client, walk(folder, "pkg"), BUCKET, PREFIX, part_size=PART)
    assert caught.value.error_code == "OBS.InvalidArgument"
    assert_nothing_left(obs)


# ---- files that change or are swapped under the upload ----------------------------------------------------------


def test_a_large_file_changed_during_its_upload_is_refused_naming_it(obs, client, folder, monkeypatch):
    monkeypatch.setattr(obs_upload, "PROGRESS_INTERVAL", 0)
    big = folder / "model" / "big.bin"

    def progress(p):
        if p.bytes_done >= PART and big.stat().st_size == 3 * PART + 12345:
            with open(big, "ab") as out:  # a training job still writing its weights
                out.write(b"more")

    with pytest.raises(ServiceError) as caught:
        upload_folder(client, walk(folder, "pkg"), BUCKET, PREFIX, part_size=PART, progress=progress)
    assert "model/big.bin changed while it was being imported; wait until it is written completely" in str(caught.value)
    assert not requests_to(obs, "POST", "model/big.bin", "uploadId")  # never completed: no torn object
    assert_nothing_left(obs)


def test_a_small_file_changed_after_the_walk_is_refused(obs, client, folder):
    tree = walk(folder, "pkg")
    (folder / "model" / "config.json").write_text('{"model_type": "TensorFlow"}')
    with pytest.raises(ServiceError) as caught:
        upload_folder(client, tree, BUCKET, PREFIX, part_size=PART)
    assert "model/config.json changed while it was being imported" in str(caught.value)
    assert_nothing_left(obs)


def run_with_deadline(target, seconds: float = 10.0):
    outcome: dict = {}

    def run():
        try:
            outcome["result"] = target()
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            outcome["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), "the upload hung"
    return outcome


def test_a_fifo_swapped_in_after_the_walk_is_refused_without_hanging(obs, client, folder):
    tree = walk(folder, "pkg")
    target = folder / "model" / "customize_service.py"
    target.unlink()
    os.mkfifo(target)
    outcome = run_with_deadline(lambda: upload_folder(client, tree, BUCKET, PREFIX, part_size=PART))
    assert isinstance(outcome.get("error"), ServiceError)
    assert "model/customize_service.py is no longer a regular file" in str(outcome["error"])
    assert_nothing_left(obs)


def test_a_symlink_swapped_in_after_the_walk_is_refused(obs, client, folder, tmp_path):
    tree = walk(folder, "pkg")
    secret = tmp_path / "id_rsa"
    secret.write_text("PRIVATE KEY")
    target = folder / "model" / "config.json"
    target.unlink()
    target.symlink_to(secret)
    outcome = run_with_deadline(lambda: upload_folder(client, tree, BUCKET, PREFIX, part_size=PART))
    assert "model/config.json was replaced by a symbolic link" in str(outcome.get("error"))
    assert_nothing_left(obs)


# ---- resume -----------------------------------------------------------------------------------------------------


def interrupted_upload(client, folder, state_dir, when):
    def progress(p):
        if when(p):
            raise Interrupt()

    with pytest.raises(Interrupt):
        upload_folder(client, walk(folder, "pkg"), BUCKET, PREFIX, part_size=PART, progress=progress,
                      state_dir=state_dir)


def recorded_files(state_dir: Path) -> set[str]:
    """The files the checkpoint says were uploaded (the upload sends several at once: which ones varies)."""
    checkpoints = list(state_dir.glob("*.json"))
    assert len(checkpoints) == 1
    return set(json.loads(checkpoints[0].read_text())["files"])


def test_resume_skips_files_uploaded_before_the_interruption(obs, client, folder, tmp_path, monkeypatch):
    monkeypatch.setattr(obs_upload, "PROGRESS_INTERVAL", 0)
    state_dir = tmp_path / "home" / "uploads"
    package_before = snapshot(folder)
    interrupted_upload(client, folder, state_dir, lambda p: p.files_done >= 3)
    recorded = recorded_files(state_dir)
    assert len(recorded) >= 3 and set(obs.list_keys(BUCKET)) >= {PREFIX + rel for rel in recorded}  # kept
    received = obs.bytes_received

    changed = sorted(recorded - {"model/big.bin"})[0]
    (folder / changed).write_bytes(b"changed after the first attempt")  # uploaded, then changed
    time.sleep(0.03)
    result = upload_folder(client, walk(folder, "pkg"), BUCKET, PREFIX, part_size=PART, state_dir=state_dir)

    sizes = {rel: len(data) for rel, data in snapshot(folder).items()}
    assert result.resumed_files == len(recorded) - 1 > 0  # all but the changed one
    assert result.resumed_bytes == sum(sizes[rel] for rel in recorded - {changed})
    assert obs.bytes_received - received == result.bytes - result.resumed_bytes  # fewer bytes the second time
    assert_uploaded(obs, folder)
    assert list(state_dir.iterdir()) == []  # checkpoint (and its lock) gone
    assert set(snapshot(folder)) == set(package_before)  # nothing written inside the package


def test_resume_continues_a_multipart_upload_from_its_parts(obs, client, folder, tmp_path, monkeypatch):
    monkeypatch.setattr(obs_upload, "PROGRESS_INTERVAL", 0)
    state_dir = tmp_path / "uploads"
    interrupted_upload(client, folder, state_dir, lambda p: p.bytes_done >= 2 * PART)
    assert len(obs.pending_uploads(BUCKET)) == 1
    received = obs.bytes_received

    result = upload_folder(client, walk(folder, "pkg"), BUCKET, PREFIX, part_size=PART, state_dir=state_dir)
    assert (result.resumed_files, result.resumed_bytes) == (0, 2 * PART)
    assert obs.bytes_received - received == result.bytes - 2 * PART
    assert len(requests_to(obs, "GET", "model/big.bin", "uploadId")) == 1  # ListParts
    assert_uploaded(obs, folder)
    assert list(state_dir.iterdir()) == []


def test_cancelling_a_resumed_upload_removes_the_earlier_objects_too(obs, client, folder, tmp_path, monkeypatch):
    monkeypatch.setattr(obs_upload, "PROGRESS_INTERVAL", 0)
    state_dir = tmp_path / "uploads"
    interrupted_upload(client, folder, state_dir, lambda p: p.files_done >= 2)
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(ImportCancelledError):
        upload_folder(client, walk(folder, "pkg"), BUCKET, PREFIX, part_size=PART, cancel=cancel,
                      state_dir=state_dir)
    assert_nothing_left(obs)
    assert list(state_dir.iterdir()) == []


def test_unreachable_obs_keeps_the_checkpoint_and_a_later_call_resumes(obs, client, folder, tmp_path):
    state_dir = tmp_path / "uploads"
    obs.faults.add(method="PUT", path=f"/{BUCKET}/{PREFIX}model/customize_service.py", kind="reset", times=None)
    with pytest.raises(ObsUnreachableError):
        upload_folder(client, walk(folder, "pkg"), BUCKET, PREFIX, part_size=PART, state_dir=state_dir)
    recorded = recorded_files(state_dir)
    assert recorded and "model/customize_service.py" not in recorded
    obs.faults.clear()
    result = upload_folder(client, walk(folder, "pkg"), BUCKET, PREFIX, part_size=PART, state_dir=state_dir)
    assert result.resumed_files == len(recorded)
    assert_uploaded(obs, folder)
    assert list(state_dir.iterdir()) == []


def test_a_checkpoint_inside_the_package_is_refused(client, folder):
    with pytest.raises(ValueError, match="inside the model folder"):
        upload_folder(client, walk(folder, "pkg"), BUCKET, PREFIX, state_dir=folder / "model" / ".uploads")


# ---- progress and secrets ---------------------------------------------------------------------------------------


def test_progress_starts_at_zero_never_goes_back_and_ends_at_the_totals(obs, client, folder, monkeypatch):
    monkeypatch.setattr(obs_upload, "PROGRESS_INTERVAL", 0)
    obs.faults.add(method="PUT", path=f"/{BUCKET}/{PREFIX}model/big.bin", kind="status", status=500)
    seen = []
    result = upload_folder(client, walk(folder, "pkg"), BUCKET, PREFIX, part_size=PART, progress=seen.append)
    assert (seen[0].bytes_done, seen[0].files_done) == (0, 0)
    assert all(a.bytes_done <= b.bytes_done and a.files_done <= b.files_done for a, b in zip(seen, seen[1:]))
    assert (seen[-1].bytes_done, seen[-1].bytes_total, seen[-1].files_done, seen[-1].files_total) == (
        result.bytes, result.bytes, 9, 9)
    assert len(seen) > 9


def test_a_failing_progress_callback_does_not_break_the_upload(obs, client, folder, caplog):
    def progress(p):
        raise RuntimeError("callback bug")

    with caplog.at_level(logging.WARNING):
        upload_folder(client, walk(folder, "pkg"), BUCKET, PREFIX, part_size=PART, progress=progress)
    assert_uploaded(obs, folder)
    assert "RuntimeError" in caplog.text


def test_no_secret_in_any_repr_exception_log_or_checkpoint(obs, ring, folder, tmp_path, caplog, monkeypatch):
    temporary = ring.issue_temporary(600, "securitytoken")
    secrets = (temporary.secret, temporary.security_token)
    texts = []
    with caplog.at_level(logging.DEBUG):
        good = make_client(obs, temporary, token=temporary.security_token)
        texts += [repr(good), str(good.__dict__)]
        monkeypatch.setattr(obs_upload, "PROGRESS_INTERVAL", 0)
        state_dir = tmp_path / "uploads"

        def progress(p):
            texts.append(repr(p))
            if p.files_done >= 2:
                texts.append(next(state_dir.glob("*.json")).read_text())
                raise Interrupt()

        with pytest.raises(Interrupt):
            upload_folder(good, walk(folder, "pkg"), BUCKET, PREFIX, part_size=PART, progress=progress,
                          state_dir=state_dir)
        texts.append(next(state_dir.glob("*.json")).read_text())
        for secret, token in ((temporary.secret, "wrong-token"), ("wrong-secret", temporary.security_token)):
            with pytest.raises(ServiceError) as caught:
                ObsClient(obs.url, lambda: (temporary.access, secret, token)).head_object(BUCKET, "x")
            texts += [str(caught.value), repr(caught.value), repr(caught.value.__dict__)]
        with pytest.raises(ModelImportError) as unreachable:
            ObsClient("http://127.0.0.1:9", lambda: (temporary.access, *secrets), retries=0).head_object(BUCKET, "x")
        texts += [str(unreachable.value), repr(unreachable.value.__cause__), str(unreachable.value.__cause__)]
        with pytest.raises(CredentialsError) as broken:
            ObsClient(obs.url, lambda: (_ for _ in ()).throw(RuntimeError(f"cannot parse {temporary.secret}"))
                      ).head_object(BUCKET, "x")
        texts += [str(broken.value), repr(broken.value)]
    everything = "\n".join(texts) + caplog.text + repr(obs.log.snapshot())
    assert all(secret not in everything for secret in secrets)


# ---- small pieces -----------------------------------------------------------------------------------------------


def test_parse_obs_location():
    assert parse_obs_location("obs://models/dir/sub/") == ("models", "dir/sub/")
    assert parse_obs_location("/models/dir") == ("models", "dir/")
    assert parse_obs_location("obs://models") == ("models", "")
    assert parse_obs_location("https://models.obs.cn-north-4.myhuaweicloud.com/mnist/") == ("models", "mnist/")
    for bad in ("models/dir/", "s3://models/dir/", "obs:///dir/", "/Models/dir/", "obs://ab/x", "/models/../etc/", ""):
        with pytest.raises(ObsLocationError) as caught:
            parse_obs_location(bad)
        assert isinstance(caught.value, ValueError) and repr(bad) in str(caught.value)


def test_delete_objects_goes_in_batches_of_at_most_1000(obs, client):
    keys = [f"many/{index:05d}" for index in range(2500)]
    for key in keys:
        obs.put_object(BUCKET, key, b"x")
    client.delete_objects(BUCKET, keys + ["many/absent"])
    assert obs.list_keys(BUCKET) == []
    assert len([r for r in obs.log.snapshot() if r.method == "POST" and "delete" in r.query]) == 3


def test_the_stand_in_checks_parts_content_md5_and_the_clock(obs, client):
    upload_id = client.initiate_multipart(BUCKET, "k")
    first = client.upload_part(BUCKET, "k", upload_id, 1, os.urandom(PART))
    second = client.upload_part(BUCKET, "k", upload_id, 2, b"tail")
    assert [p["part_number"] for p in client.list_parts(BUCKET, "k", upload_id)] == [1, 2]
    for parts, code in (([(2, second), (1, first)], "OBS.InvalidPartOrder"),
                        ([(1, first), (2, first)], "OBS.InvalidPart"), ([(1, first), (3, second)], "OBS.InvalidPart")):
        with pytest.raises(ServiceError) as caught:
            client.complete_multipart(BUCKET, "k", upload_id, parts)
        assert caught.value.error_code == code
    with pytest.raises(ServiceError) as bad_md5:
        client.upload_part(BUCKET, "k", upload_id, 3, b"data", content_md5=b"0" * 16)
    assert (bad_md5.value.status, bad_md5.value.error_code) == (400, "OBS.BadDigest")
    small = client.initiate_multipart(BUCKET, "small")
    tiny = [(n, client.upload_part(BUCKET, "small", small, n, b"tiny")) for n in (1, 2)]
    with pytest.raises(ServiceError) as too_small:
        client.complete_multipart(BUCKET, "small", small, tiny)
    assert too_small.value.error_code == "OBS.EntityTooSmall"
    assert client.complete_multipart(BUCKET, "k", upload_id, [(1, first), (2, second)]).endswith("-2")
    client.abort_multipart(BUCKET, "small", small)
    assert obs.pending_uploads(BUCKET) == []
    obs.clock_skew = 20 * 60
    with pytest.raises(ServiceError) as skewed:
        client.head_object(BUCKET, "k")
    assert skewed.value.error_code == "OBS.RequestTimeTooSkewed" and "clock" in str(skewed.value)


def test_string_to_sign_follows_the_obs_api_reference():
    # the reference's worked example: GET the ACL of object log.conf in bucket obs-test
    resource = canonical_resource("obs-test", "log.conf", "acl")
    assert string_to_sign("GET", {"Date": "Tue, 28 Jul 2020 06:29:47 GMT"}, resource) == (
        "GET\n\n\nTue, 28 Jul 2020 06:29:47 GMT\n/obs-test/log.conf?acl")
    headers = {"Content-MD5": "1B2M2Y8AsgTpgAmY7PhCfg==", "Content-Type": "text/plain",
               "Date": "Tue, 28 Jul 2020 06:29:47 GMT", "x-obs-date": "Tue, 28 Jul 2020 06:29:47 GMT",
               "X-OBS-Meta-Name": " name1 ", "x-obs-acl": "private", "User-Agent": "not signed"}
    assert string_to_sign("PUT", headers, "/b/k") == (
        "PUT\n1B2M2Y8AsgTpgAmY7PhCfg==\ntext/plain\n\nx-obs-acl:private\nx-obs-date:Tue, 28 Jul 2020 06:29:47 GMT\n"
        "x-obs-meta-name:name1\n/b/k")
    # only sub-resources are signed, sorted; other query parameters are not
    assert canonical_resource("b", "a%20b", "uploadId=U1&partNumber=3&max-parts=5") == (
        "/b/a%20b?partNumber=3&uploadId=U1")
    assert canonical_resource("b", "", "delete") == "/b/?delete"


def test_the_stand_in_takes_virtual_hosted_requests_by_their_host_header(obs, cred):
    body = b"hello"
    headers = {"Host": f"{BUCKET}.127.0.0.1:{obs.port}", "Date": email.utils.formatdate(usegmt=True),
               "Content-MD5": base64.b64encode(hashlib.md5(body).digest()).decode()}
    url = f"http://127.0.0.1:{obs.port}/dir/x.txt"
    ok = requests.put(url, data=body, headers=headers, auth=ObsAuth(cred.access, cred.secret, BUCKET), timeout=5)
    assert ok.status_code == 200 and ok.headers["ETag"] == f'"{hashlib.md5(body).hexdigest()}"'
    assert obs.get_object(BUCKET, "dir/x.txt") == body
    # signed as if path-style (/dir/x.txt instead of /models/dir/x.txt): refused with OBS's XML error
    refused = requests.put(url, data=body, headers=headers, auth=ObsAuth(cred.access, cred.secret), timeout=5)
    assert refused.status_code == 403 and b"<Code>SignatureDoesNotMatch</Code>" in refused.content


def test_a_checkpoint_never_names_an_object_outside_its_own_prefix(tmp_path):
    checkpoint = obs_upload._Checkpoint(tmp_path, "http://127.0.0.1:1", "bkt", "uploads/m-1.0.0-ab/", "/data/m")
    checkpoint.data["keys"] = ["precious/data.bin", "uploads/m-1.0.0-ab/model/a.bin", "uploads/m-1.0.0-ab/", 7]
    checkpoint.data["files"] = {"model/b.bin": {"key": "uploads/other/b.bin"}, "model/c.bin": "junk"}
    assert checkpoint.keys() == {"uploads/m-1.0.0-ab/model/a.bin"}  # what a clean-up or a sweep may delete


@pytest.mark.parametrize("location", ["obs://bkt/a?b=1/", "obs://bkt/x#y/", "obs://bkt/%2e%2e/", "obs://bkt/a\nb/"])
def test_an_obs_location_that_would_change_the_url_is_refused_before_uploading(location):
    with pytest.raises(ObsLocationError, match="may not contain"):
        parse_obs_location(location)
