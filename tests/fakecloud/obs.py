"""OBS stand-in: buckets, objects, multipart uploads and batch deletes over OBS's REST API, on 127.0.0.1.

Checks every request's `Authorization: OBS AK:Signature` (HMAC-SHA1, written here from the OBS API reference, not
borrowed from the client), the security token of temporary keys and the Date skew; answers with OBS's XML errors.
Object and part bodies stream to files under `root` in 1 MiB chunks, never whole in memory. Test code only.

    obs = ObsStandIn(keyring.keys, root=tmp_path / "obs"); obs.start(); obs.create_bucket("models")
    obs.faults.add(method="PUT", path="/models/*", kind="status", status=500)   # service "obs" by default

`keys(access_key)` -> (secret_key, security_token or None), or None for a key that is unknown *or expired*
(KeyRing.keys behaves so): both are answered 403 InvalidAccessKeyId. A temporary key (token not None) must come
with `x-obs-security-token`: missing -> 403 InvalidAccessKeyId, wrong -> 403 AccessDenied. A bad signature is
403 SignatureDoesNotMatch, a Date more than 15 minutes off (see `clock_skew`) 403 RequestTimeTooSkewed.

Faults (faults.py) match the raw request path: `/bucket/key` path-style, `/key` virtual-hosted. `status` faults
answer OBS XML errors (500 InternalError, 503 SlowDown, or error_code=/error_msg=), `retry_after` is 429 with
Retry-After, `reset` drops the connection without an answer, `delay` sleeps first. Besides the interface FakeCloud
uses, tests read `bytes_received` (object and part bytes stored so far) and `object_etag(bucket, key)`.
"""

from __future__ import annotations

import base64
import binascii
import email.utils
import hashlib
import hmac
import ipaddress
import os
import re
import shutil
import threading
import time
import uuid
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional
from urllib.parse import parse_qsl, unquote, urlsplit
from xml.sax.saxutils import escape

from .faults import Fault, FaultList
from .http import HttpError, Reply, Request, StandIn, _Handler, _Server

KeyLookup = Callable[[str], Optional[tuple[str, Optional[str]]]]

XMLNS = "http://obs.myhwclouds.com/doc/2015-06-30/"
MAX_SKEW_SECONDS = 15 * 60
MIN_PART_BYTES = 100 * 1024
MAX_PART_NUMBER = 10_000
MAX_DELETE_KEYS = 1000
CHUNK_BYTES = 1 << 20
DRAIN_LIMIT = 256 << 20
"""An unread request body up to this size is read and dropped before an error answer, so the client sees the
answer (not a reset) and the connection stays usable; a larger one closes the connection instead."""

# The OBS API reference's list of sub-resources: only these query parameters are part of CanonicalizedResource.
SIGNED_SUB_RESOURCES = frozenset(
    "CDNNotifyConfiguration acl append attname backtosource cors customdomain delete deletebucket directcoldaccess "
    "encryption inventory length lifecycle location logging metadata mirrorBackToSource modify name notification "
    "obscompresspolicy orchestration partNumber policy position quota rename replication requestPayment "
    "response-cache-control response-content-disposition response-content-encoding response-content-language "
    "response-content-type response-expires restore storageClass storagePolicy storageinfo tagging torrent truncate "
    "uploadId uploads versionId versioning versions website x-image-process x-image-save-bucket "
    "x-image-save-object x-obs-security-token object-lock retention".split())

_FAULT_ERRORS = {500: ("InternalError", "We encountered an internal error. Please try again."),
                 502: ("BadGateway", "Bad gateway."),
                 503: ("SlowDown", "Please reduce your request rate."),
                 504: ("GatewayTimeout", "Gateway timeout.")}


# ---- streaming request bodies -------------------------------------------------------------------------------------


class _BodyStream:
    """The unread body of the current request (PUT object / part), read straight from the socket."""

    def __init__(self, rfile, length: int):
        self.rfile, self.remaining = rfile, length

    def copy_to(self, fd: int, hasher) -> int:
        buffer = bytearray(min(CHUNK_BYTES, max(self.remaining, 1)))
        view = memoryview(buffer)
        total = 0
        while self.remaining:
            n = self.rfile.readinto(view[:min(len(buffer), self.remaining)])
            if not n:
                raise ConnectionError("the client closed the connection in the middle of the body")
            chunk = view[:n]
            hasher.update(chunk)
            written = 0
            while written < n:
                written += os.write(fd, chunk[written:])
            self.remaining -= n
            total += n
        return total

    def drain(self) -> None:
        while self.remaining:
            data = self.rfile.read(min(CHUNK_BYTES, self.remaining))
            if not data:
                raise ConnectionError("the client closed the connection in the middle of the body")
            self.remaining -= len(data)


_current = threading.local()  # one thread per connection: the body stream of the request being handled


class _ObsHandler(_Handler):
    def _read_body(self) -> bytes:
        _current.stream = None
        length = self.headers.get("Content-Length")
        if (self.command == "PUT" and length and length.isdigit()
                and "chunked" not in (self.headers.get("Transfer-Encoding") or "").lower()):
            _current.stream = _BodyStream(self.rfile, int(length))
            return b""
        return super()._read_body()

    def _send(self, request: Request, reply: Reply) -> None:
        stream: Optional[_BodyStream] = getattr(_current, "stream", None)
        _current.stream = None
        if stream is not None and stream.remaining:
            if stream.remaining <= DRAIN_LIMIT:
                try:
                    stream.drain()
                except (ConnectionError, OSError):
                    self.close_connection = True
                    return
            else:
                self.close_connection = True
        reply.headers.setdefault("x-obs-request-id", request.request_id)
        if request.method != "HEAD" or "Content-Length" not in reply.headers:
            return super()._send(request, reply)
        # a HEAD answers with the object's length, not the length of its (absent) body
        self.send_response(reply.status)
        for name, value in {"X-Request-Id": request.request_id, **reply.headers}.items():
            self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()


class _ObsFaultList(FaultList):
    """The stand-in's own fault list: service "obs" unless told otherwise."""

    def add(self, service: str = "obs", method: str = "*", path: str = "*", *, kind: str,
            times: Optional[int] = 1, **params: Any) -> Fault:
        return super().add(service, method, path, kind=kind, times=times, **params)


# ---- storage ------------------------------------------------------------------------------------------------------


@dataclass
class _Object:
    """A stored object: one file, or (completed multipart upload) its part files in order, as OBS keeps parts."""

    paths: list[Path]
    size: int
    etag: str                      # hex, no quotes
    last_modified: float
    content_type: str = "binary/octet-stream"

    def read(self) -> bytes:
        return b"".join(path.read_bytes() for path in self.paths)

    def remove(self) -> None:
        for path in self.paths:
            path.unlink(missing_ok=True)


@dataclass
class _Upload:
    bucket: str
    key: str
    directory: Path
    initiated: float
    parts: dict[int, tuple[str, int]] = field(default_factory=dict)   # number -> (etag hex, size)


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def _xml_error(code: str, message: str, request_id: str, host_id: str) -> bytes:
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{escape(code)}</Code>'
            f"<Message>{escape(message)}</Message><RequestId>{escape(request_id)}</RequestId>"
            f"<HostId>{escape(host_id)}</HostId></Error>").encode("utf-8")


def _children(root: ElementTree.Element, name: str) -> list[ElementTree.Element]:
    return [child for child in root if child.tag.rsplit("}", 1)[-1] == name]


def _child_text(root: ElementTree.Element, name: str) -> Optional[str]:
    found = _children(root, name)
    return found[0].text if found else None


class ObsStandIn(StandIn):
    """The OBS stand-in. Path-style (`/bucket/key` on 127.0.0.1) and virtual-hosted (`Host: bucket.<host:port>`,
    or any `bucket.<domain>` Host, also in absolute-form request lines sent through it as an HTTP proxy)."""

    service = "obs"

    def __init__(self, keys: KeyLookup, *, root: Path, host: str = "127.0.0.1", log=None, faults=None):
        super().__init__(host=host, log=log, faults=faults if faults is not None else _ObsFaultList())
        self.keys = keys
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._buckets: dict[str, dict[str, _Object]] = {}
        self._uploads: dict[str, _Upload] = {}
        self.bytes_received = 0
        """Body bytes of PUT object / upload part requests stored so far (what a resumed upload did not resend)."""
        self.clock_skew = 0.0
        """Seconds added to this server's clock for the Date check (tests of RequestTimeTooSkewed)."""

    def start(self) -> None:
        # StandIn.start with the handler that streams object bodies to disk
        if self._server is not None:
            return
        self.stopping.clear()
        self._server = _Server((self.host, 0), _ObsHandler, self)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True, name="fakecloud-obs")
        self._thread.start()

    # -- test set-up and inspection ---------------------------------------------------------------------------
    def create_bucket(self, name: str) -> None:
        with self._lock:
            if name not in self._buckets:
                (self.root / name / "objects").mkdir(parents=True, exist_ok=True)
                (self.root / name / "tmp").mkdir(parents=True, exist_ok=True)
                self._buckets[name] = {}

    def put_object(self, bucket: str, key: str, data: bytes) -> None:
        with self._lock:
            objects = self._bucket(bucket)
            path = self._object_path(bucket, key)
            self._drop(bucket, key)
            path.write_bytes(data)
            objects[key] = _Object([path], len(data), hashlib.md5(data).hexdigest(), time.time())

    def get_object(self, bucket: str, key: str) -> bytes:
        with self._lock:
            found = self._bucket(bucket)[key]
        return found.read()

    def object_etag(self, bucket: str, key: str) -> str:
        with self._lock:
            return self._bucket(bucket)[key].etag

    def list_keys(self, bucket: str, prefix: str = "") -> list[str]:
        with self._lock:
            return sorted(key for key in self._bucket(bucket) if key.startswith(prefix))

    def pending_uploads(self, bucket: str) -> list[str]:
        with self._lock:
            return sorted(upload_id for upload_id, upload in self._uploads.items() if upload.bucket == bucket)

    def _bucket(self, name: str) -> dict[str, _Object]:
        if name not in self._buckets:
            raise KeyError(f"no bucket {name!r} in the OBS stand-in")
        return self._buckets[name]

    def _object_path(self, bucket: str, key: str) -> Path:
        return self.root / bucket / "objects" / hashlib.sha256(key.encode("utf-8")).hexdigest()

    def _drop(self, bucket: str, key: str) -> None:
        """Forget an object and remove its files (caller holds the lock). Files of a new version are renamed in
        after this, under new names where they could clash."""
        found = self._buckets[bucket].pop(key, None)
        if found is not None:
            found.remove()

    def _temp_path(self, bucket: str) -> Path:
        return self.root / bucket / "tmp" / uuid.uuid4().hex

    # -- errors -----------------------------------------------------------------------------------------------
    def error(self, status: int, code: str, message: str, request: Optional[Request] = None,
              headers: Optional[dict[str, str]] = None) -> Reply:
        request_id = request.request_id if request is not None else uuid.uuid4().hex
        body = _xml_error(code, message, request_id, f"fakecloud-obs-{self.port if self._server else 0}")
        return Reply(status, body, {"Content-Type": "application/xml", "x-obs-error-code": code,
                                    "x-obs-error-message": message.encode("ascii", "replace").decode("ascii"),
                                    **(headers or {})})

    def _fail(self, status: int, code: str, message: str, request: Request) -> HttpError:
        return HttpError(self.error(status, code, message, request))

    def fault_reply(self, fault: Fault, request: Request) -> Reply:
        if fault.kind == "status":
            code, message = _FAULT_ERRORS.get(fault.status, ("InternalError", "Injected failure."))
            headers = dict(fault.params.get("headers") or {})
            if "retry_after" in fault.params:
                headers["Retry-After"] = str(fault.params["retry_after"])
            return self.error(fault.status, fault.params.get("error_code") or code,
                              fault.params.get("error_msg") or message, request, headers)
        if fault.kind == "retry_after":
            return self.error(429, "TooManyRequests", "Too many requests.", request,
                              {"Retry-After": fault.retry_after_header})
        if fault.kind == "throttle":
            return self.error(503, "SlowDown", "Please reduce your request rate.", request)
        if fault.kind == "expired_token":
            return self.expired_reply(request)
        return super().fault_reply(fault, request)

    def expired_reply(self, request: Request) -> Reply:
        return self.error(403, "InvalidAccessKeyId", "The access key Id you provided does not exist in our records.",
                          request)

    # -- addressing and authentication --------------------------------------------------------------------------
    def _address(self, request: Request) -> tuple[Optional[str], str]:
        """(bucket or None, raw percent-encoded key) for path-style and virtual-hosted requests alike."""
        target = request.path
        if target.startswith(("http://", "https://")):
            parts = urlsplit(target)
            host, path = parts.netloc, parts.path or "/"
        else:
            host, path = request.header("Host") or "", target or "/"
        hostname = host.rsplit(":", 1)[0] if not host.endswith("]") else host
        hostname = hostname.lower().rstrip(".")
        if _is_ip(hostname) or hostname == "localhost":
            bucket, _, key = path.lstrip("/").partition("/")
            return (bucket or None), key
        if hostname.endswith("." + self.host):
            bucket = hostname[:-len(self.host) - 1]
        else:
            bucket = hostname.split(".", 1)[0]
        return bucket, path.lstrip("/")

    def _authenticate(self, request: Request, bucket: Optional[str], raw_key: str) -> None:
        authorization = request.header("Authorization") or ""
        match = re.fullmatch(r"OBS ([^:\s]+):(\S+)", authorization.strip())
        if not match:
            raise self._fail(403, "AccessDenied", "Anonymous access is forbidden: sign requests with "
                             "'Authorization: OBS AK:Signature'." if not authorization else
                             "The Authorization header is not 'OBS AccessKeyID:Signature'.", request)
        access, sent = match.groups()
        found = self.keys(access)
        if found is None:
            raise self._fail(403, "InvalidAccessKeyId", "The access key Id you provided does not exist in our records.",
                             request)
        secret, token = found
        if token is not None:
            sent_token = request.header("x-obs-security-token")
            if not sent_token:
                raise self._fail(403, "InvalidAccessKeyId", "A temporary access key needs its security token "
                                 "(x-obs-security-token).", request)
            if not hmac.compare_digest(sent_token.encode("utf-8"), token.encode("utf-8")):
                raise self._fail(403, "AccessDenied", "The security token is invalid.", request)
        date_text = request.header("x-obs-date") or request.header("Date")
        if not date_text:
            raise self._fail(403, "AccessDenied", "The request has no Date (or x-obs-date) header.", request)
        try:
            when = email.utils.parsedate_to_datetime(date_text).timestamp()
        except (TypeError, ValueError, IndexError):
            raise self._fail(403, "AccessDenied", f"The Date header {date_text!r} is not an RFC 1123 date.", request)
        if abs(time.time() + self.clock_skew - when) > MAX_SKEW_SECONDS:
            raise self._fail(403, "RequestTimeTooSkewed", "The difference between the request time and the server's "
                             "time is too large.", request)
        expected = base64.b64encode(hmac.new(secret.encode("utf-8"),
                                             self._string_to_sign(request, bucket, raw_key).encode("utf-8"),
                                             hashlib.sha1).digest()).decode("ascii")
        if not hmac.compare_digest(expected.encode("ascii"), sent.encode("ascii", "replace")):
            raise self._fail(403, "SignatureDoesNotMatch", "The request signature we calculated does not match the "
                             "signature you provided. Check your key and signing method.", request)

    @staticmethod
    def _string_to_sign(request: Request, bucket: Optional[str], raw_key: str) -> str:
        # HTTP-Verb \n Content-MD5 \n Content-Type \n Date \n CanonicalizedHeaders CanonicalizedResource
        obs_headers: dict[str, list[str]] = {}
        for name, value in request.headers.items():
            if name.lower().startswith("x-obs-"):
                obs_headers.setdefault(name.lower(), []).append(value.strip())
        canonical = "".join(f"{name}:{','.join(values)}\n" for name, values in sorted(obs_headers.items()))
        date = "" if "x-obs-date" in obs_headers else (request.header("Date") or "")
        resource = f"/{bucket}/{raw_key}" if bucket else "/"
        signed = sorted((name, value) for name, value in parse_qsl(request.query, keep_blank_values=True)
                        if name in SIGNED_SUB_RESOURCES)
        if signed:
            resource += "?" + "&".join(name if value == "" else f"{name}={value}" for name, value in signed)
        return (f"{request.method}\n{request.header('Content-MD5') or ''}\n{request.header('Content-Type') or ''}\n"
                f"{date}\n{canonical}{resource}")

    # -- routing ----------------------------------------------------------------------------------------------
    def handle(self, request: Request) -> Reply:
        bucket, raw_key = self._address(request)
        self._authenticate(request, bucket, raw_key)
        key = unquote(raw_key)
        params = dict(parse_qsl(request.query, keep_blank_values=True))
        if bucket is None:
            raise self._fail(405, "MethodNotAllowed", "Listing buckets is not supported by this stand-in.", request)
        with self._lock:
            known = bucket in self._buckets
        if not known:
            raise self._fail(404, "NoSuchBucket", "The specified bucket does not exist", request)
        method = request.method
        if key and method == "PUT" and "partNumber" in params and "uploadId" in params:
            return self._upload_part(request, bucket, key, params)
        if key and method == "PUT":
            return self._put_object(request, bucket, key)
        if key and method == "POST" and "uploads" in params:
            return self._initiate(request, bucket, key)
        if key and method == "POST" and "uploadId" in params:
            return self._complete(request, bucket, key, params["uploadId"])
        if key and method == "GET" and "uploadId" in params:
            return self._list_parts(request, bucket, key, params)
        if key and method == "DELETE" and "uploadId" in params:
            return self._abort(request, bucket, key, params["uploadId"])
        if key and method in ("GET", "HEAD"):
            return self._get_object(request, bucket, key)
        if key and method == "DELETE":
            return self._delete_object(bucket, key)
        if not key and method == "POST" and "delete" in params:
            return self._delete_many(request, bucket)
        if not key and method == "GET":
            return self._list_objects(bucket, params.get("prefix", ""))
        raise self._fail(405, "MethodNotAllowed", f"{method} is not supported here by this stand-in.", request)

    # -- objects ----------------------------------------------------------------------------------------------
    def _expected_md5(self, request: Request) -> Optional[bytes]:
        value = request.header("Content-MD5")
        if value is None:
            return None
        try:
            digest = base64.b64decode(value.strip(), validate=True)
        except (binascii.Error, ValueError):
            digest = b""
        if len(digest) != 16:
            raise self._fail(400, "InvalidDigest", "The Content-MD5 you specified is not valid.", request)
        return digest

    def _receive(self, request: Request, bucket: str) -> tuple[Path, str, int]:
        """Stream the body into a temp file, checking Content-MD5; (temp path, md5 hex, size)."""
        expected = self._expected_md5(request)
        stream: Optional[_BodyStream] = getattr(_current, "stream", None)
        if stream is None:
            if request.header("Content-Length") is None and request.body == b"":
                raise self._fail(411, "MissingContentLength", "You must provide the Content-Length HTTP header.",
                                 request)
            stream = _BodyStream(_BytesReader(request.body), len(request.body))
        temp = self._temp_path(bucket)
        hasher = hashlib.md5()
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            size = stream.copy_to(fd, hasher)
        except OSError as exc:  # the client went away mid-body (ConnectionError, timeout) or the disk is full
            raise self._fail(400, "IncompleteBody", f"The request body could not be read completely ({exc}).",
                             request) from None
        finally:
            os.close(fd)
            if stream.remaining:
                temp.unlink(missing_ok=True)
        digest = hasher.digest()
        with self._lock:
            self.bytes_received += size
        if expected is not None and expected != digest:
            temp.unlink(missing_ok=True)
            raise self._fail(400, "BadDigest", "The Content-MD5 you specified did not match what was received.",
                             request)
        return temp, digest.hex(), size

    def _put_object(self, request: Request, bucket: str, key: str) -> Reply:
        temp, etag, size = self._receive(request, bucket)
        path = self._object_path(bucket, key)
        with self._lock:
            self._drop(bucket, key)
            os.replace(temp, path)
            self._buckets[bucket][key] = _Object([path], size, etag, time.time(),
                                                 request.header("Content-Type") or "binary/octet-stream")
        return Reply(200, b"", {"ETag": f'"{etag}"'})

    def _get_object(self, request: Request, bucket: str, key: str) -> Reply:
        with self._lock:
            found = self._buckets[bucket].get(key)
        if found is None:
            raise self._fail(404, "NoSuchKey", "The specified key does not exist.", request)
        headers = {"ETag": f'"{found.etag}"', "Content-Type": found.content_type,
                   "Last-Modified": email.utils.formatdate(found.last_modified, usegmt=True)}
        if request.method == "HEAD":
            return Reply(200, b"", {**headers, "Content-Length": str(found.size)})
        return Reply(200, found.read(), headers)

    def _delete_object(self, bucket: str, key: str) -> Reply:
        with self._lock:
            self._drop(bucket, key)
        return Reply(204)

    def _delete_many(self, request: Request, bucket: str) -> Reply:
        expected = self._expected_md5(request)
        if expected is None:
            raise self._fail(400, "InvalidRequest", "Deleting objects in a batch needs a Content-MD5 header.", request)
        if hashlib.md5(request.body).digest() != expected:
            raise self._fail(400, "BadDigest", "The Content-MD5 you specified did not match what was received.",
                             request)
        try:
            root = ElementTree.fromstring(request.body)
        except ElementTree.ParseError:
            raise self._fail(400, "MalformedXML", "The XML you provided was not well-formed.", request)
        objects = _children(root, "Object")
        if not objects or len(objects) > MAX_DELETE_KEYS:
            raise self._fail(400, "MalformedXML", f"A batch deletes 1 to {MAX_DELETE_KEYS} objects, not "
                             f"{len(objects)}.", request)
        quiet = (_child_text(root, "Quiet") or "").strip().lower() == "true"
        deleted = []
        for item in objects:
            key = _child_text(item, "Key") or ""
            self._delete_object(bucket, key)
            deleted.append(key)
        body = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><DeleteResult xmlns="{XMLNS}">'
                + ("" if quiet else "".join(f"<Deleted><Key>{escape(key)}</Key></Deleted>" for key in deleted))
                + "</DeleteResult>")
        return Reply(200, body.encode("utf-8"), {"Content-Type": "application/xml"})

    def _list_objects(self, bucket: str, prefix: str) -> Reply:
        with self._lock:
            items = sorted((k, o) for k, o in self._buckets[bucket].items() if k.startswith(prefix))
        contents = "".join(f"<Contents><Key>{escape(k)}</Key><ETag>\"{o.etag}\"</ETag><Size>{o.size}</Size>"
                           "</Contents>" for k, o in items)
        body = (f'<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="{XMLNS}"><Name>{escape(bucket)}'
                f"</Name><Prefix>{escape(prefix)}</Prefix><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated>"
                f"{contents}</ListBucketResult>")
        return Reply(200, body.encode("utf-8"), {"Content-Type": "application/xml"})

    # -- multipart --------------------------------------------------------------------------------------------
    def _upload_of(self, request: Request, bucket: str, key: str, upload_id: str) -> _Upload:
        with self._lock:
            upload = self._uploads.get(upload_id)
        if upload is None or upload.bucket != bucket or upload.key != key:
            raise self._fail(404, "NoSuchUpload", "The specified upload does not exist. The upload ID may be invalid, "
                             "or the upload may have been aborted or completed.", request)
        return upload

    def _initiate(self, request: Request, bucket: str, key: str) -> Reply:
        upload_id = uuid.uuid4().hex.upper()
        directory = self.root / bucket / "uploads" / upload_id
        directory.mkdir(parents=True)
        with self._lock:
            self._uploads[upload_id] = _Upload(bucket, key, directory, time.time())
        body = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><InitiateMultipartUploadResult '
                f'xmlns="{XMLNS}"><Bucket>{escape(bucket)}</Bucket><Key>{escape(key)}</Key>'
                f"<UploadId>{upload_id}</UploadId></InitiateMultipartUploadResult>")
        return Reply(200, body.encode("utf-8"), {"Content-Type": "application/xml"})

    def _upload_part(self, request: Request, bucket: str, key: str, params: dict[str, str]) -> Reply:
        upload = self._upload_of(request, bucket, key, params["uploadId"])
        number_text = params["partNumber"]
        if not number_text.isdigit() or not 1 <= int(number_text) <= MAX_PART_NUMBER:
            raise self._fail(400, "InvalidArgument", f"Part number must be an integer between 1 and "
                             f"{MAX_PART_NUMBER}, inclusive (got {number_text!r}).", request)
        number = int(number_text)
        temp, etag, size = self._receive(request, bucket)
        with self._lock:
            if params["uploadId"] not in self._uploads:  # aborted meanwhile
                temp.unlink(missing_ok=True)
                raise self._fail(404, "NoSuchUpload", "The specified upload does not exist.", request)
            os.replace(temp, upload.directory / str(number))
            upload.parts[number] = (etag, size)
        return Reply(200, b"", {"ETag": f'"{etag}"'})

    def _list_parts(self, request: Request, bucket: str, key: str, params: dict[str, str]) -> Reply:
        upload = self._upload_of(request, bucket, key, params["uploadId"])
        limit = min(1000, int(params.get("max-parts") or 1000))
        marker = int(params.get("part-number-marker") or 0)
        with self._lock:
            parts = sorted((n, e, s) for n, (e, s) in upload.parts.items() if n > marker)
        shown, truncated = parts[:limit], len(parts) > limit
        next_marker = shown[-1][0] if shown else marker
        items = "".join(f"<Part><PartNumber>{n}</PartNumber><LastModified>2024-01-01T00:00:00.000Z</LastModified>"
                        f"<ETag>\"{e}\"</ETag><Size>{s}</Size></Part>" for n, e, s in shown)
        body = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><ListPartsResult xmlns="{XMLNS}">'
                f"<Bucket>{escape(bucket)}</Bucket><Key>{escape(key)}</Key><UploadId>{escape(params['uploadId'])}"
                f"</UploadId><PartNumberMarker>{marker}</PartNumberMarker><NextPartNumberMarker>{next_marker}"
                f"</NextPartNumberMarker><MaxParts>{limit}</MaxParts><IsTruncated>{str(truncated).lower()}"
                f"</IsTruncated>{items}</ListPartsResult>")
        return Reply(200, body.encode("utf-8"), {"Content-Type": "application/xml"})

    def _complete(self, request: Request, bucket: str, key: str, upload_id: str) -> Reply:
        upload = self._upload_of(request, bucket, key, upload_id)
        try:
            root = ElementTree.fromstring(request.body)
            listed = [(int(_child_text(part, "PartNumber") or ""), (_child_text(part, "ETag") or "").strip()
                       .strip('"').lower()) for part in _children(root, "Part")]
        except (ElementTree.ParseError, ValueError):
            raise self._fail(400, "MalformedXML", "The XML you provided was not well-formed or did not validate "
                             "against our published schema.", request)
        if not listed:
            raise self._fail(400, "MalformedXML", "The part list is empty.", request)
        numbers = [number for number, _ in listed]
        if numbers != sorted(set(numbers)):
            raise self._fail(400, "InvalidPartOrder", "The list of parts was not in ascending order. The parts list "
                             "must be specified in order by part number.", request)
        with self._lock:
            stored = dict(upload.parts)
        for index, (number, etag) in enumerate(listed):
            if number not in stored or stored[number][0] != etag:
                raise self._fail(400, "InvalidPart", f"Part {number} was not uploaded or its ETag does not match.",
                                 request)
            if index < len(listed) - 1 and stored[number][1] < MIN_PART_BYTES:
                raise self._fail(400, "EntityTooSmall", f"Part {number} is smaller than the minimum allowed size "
                                 f"({MIN_PART_BYTES} bytes) and is not the last part.", request)
        etag = hashlib.md5(b"".join(bytes.fromhex(e) for _, e in listed)).hexdigest() + f"-{len(listed)}"
        size = sum(stored[number][1] for number, _ in listed)
        base = self._object_path(bucket, key)
        with self._lock:
            if upload_id not in self._uploads:
                raise self._fail(404, "NoSuchUpload", "The specified upload does not exist.", request)
            del self._uploads[upload_id]
            self._drop(bucket, key)
            version = uuid.uuid4().hex[:8]
            paths = []
            for number, _ in listed:  # the parts become the object (no copy), as in a real object store
                path = base.with_name(f"{base.name}.{version}.{number}")
                os.replace(upload.directory / str(number), path)
                paths.append(path)
            self._buckets[bucket][key] = _Object(paths, size, etag, time.time())
        shutil.rmtree(upload.directory, ignore_errors=True)  # parts uploaded but not listed
        body = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><CompleteMultipartUploadResult '
                f'xmlns="{XMLNS}"><Location>/{escape(bucket)}/{escape(key)}</Location><Bucket>{escape(bucket)}'
                f"</Bucket><Key>{escape(key)}</Key><ETag>\"{etag}\"</ETag></CompleteMultipartUploadResult>")
        return Reply(200, body.encode("utf-8"), {"Content-Type": "application/xml"})

    def _abort(self, request: Request, bucket: str, key: str, upload_id: str) -> Reply:
        upload = self._upload_of(request, bucket, key, upload_id)
        with self._lock:
            self._uploads.pop(upload_id, None)
        shutil.rmtree(upload.directory, ignore_errors=True)
        return Reply(204)


class _BytesReader:
    """readinto over an in-memory body (a chunked PUT, read whole by the shared handler)."""

    def __init__(self, data: bytes):
        self.view, self.offset = memoryview(data), 0

    def readinto(self, target) -> int:
        n = min(len(target), len(self.view) - self.offset)
        target[:n] = self.view[self.offset:self.offset + n]
        self.offset += n
        return n

    def read(self, size: int) -> bytes:
        data = bytes(self.view[self.offset:self.offset + size])
        self.offset += len(data)
        return data
