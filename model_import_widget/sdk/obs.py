"""Uploading a local model folder to OBS over its documented REST API (header-signed requests with `requests`).

Reads files the way the embedded registry does (no symlink or FIFO swapped in, no torn file) and streams them part
by part. It never logs, returns or raises a secret, and never leaves objects or multipart uploads behind when it
fails or is cancelled (unless asked to keep a checkpoint so that a later call resumes).
"""

from __future__ import annotations

import base64
import email.utils
import errno
import hashlib
import hmac
import ipaddress
import json
import logging
import os
import re
import stat
import threading
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
import time
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, Callable, Iterator, Mapping, Optional, Union
from urllib.parse import parse_qsl, quote, urlsplit
from xml.sax.saxutils import escape as xml_escape

import requests

from ..errors import (AuthenticationError, BackendUnavailableError, CredentialsError, ImportCancelledError,
                      ModelImportError, NetworkError, PermissionDeniedError, ServiceError, ThrottledError)
from ..registry.importer import STAT_CACHE_RACY_NS, SourceFile, SourceTree
from .credentials import mask

try:  # the contract may move up to model_import_widget/backend.py
    from ..backend import Progress  # type: ignore[import-not-found]
except ImportError:  # pragma: no cover - whichever exists
    from .backend import Progress

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no checkpoint lock
    fcntl = None  # type: ignore[assignment]

__all__ = ["ObsClient", "UploadResult", "upload_folder", "parse_obs_location", "ObsLocationError",
           "ObsUnreachableError", "Progress"]

logger = logging.getLogger(__name__)

Keys = Callable[[], "tuple[str, str, Optional[str]]"]

MIN_PART_BYTES = 100 * 1024
"""OBS refuses parts under 100 KB except the last one (EntityTooSmall at completion)."""
MAX_PART_BYTES = 5 * 1024 ** 3
MAX_PARTS = 10_000
DELETE_BATCH = 1000
"""Delete Multiple Objects takes at most 1000 keys per request."""
PROGRESS_INTERVAL = 0.05
CHECKPOINT_INTERVAL = 1.0
"""A checkpoint is rewritten at most this often (an fsync each time); a lost update only costs re-sending."""
UPLOAD_THREADS = 2
"""Files or parts read, hashed and sent at once, each on its own connection and with its own buffer: while one is
being sent the other is being hashed, and one slow request does not stall the upload. So at most this many parts
are in memory."""
MAX_BACKOFF = 30.0
MAX_RETRY_AFTER = 60.0
_ERROR_BODY_LIMIT = 64 * 1024

SUB_RESOURCES = frozenset({
    "CDNNotifyConfiguration", "acl", "append", "attname", "backtosource", "cors", "customdomain", "delete",
    "deletebucket", "directcoldaccess", "encryption", "inventory", "length", "lifecycle", "location", "logging",
    "metadata", "mirrorBackToSource", "modify", "name", "notification", "obscompresspolicy", "orchestration",
    "partNumber", "policy", "position", "quota", "rename", "replication", "requestPayment", "response-cache-control",
    "response-content-disposition", "response-content-encoding", "response-content-language",
    "response-content-type", "response-expires", "restore", "storageClass", "storagePolicy", "storageinfo",
    "tagging", "torrent", "truncate", "uploadId", "uploads", "versionId", "versioning", "versions", "website",
    "x-image-process", "x-image-save-bucket", "x-image-save-object", "x-obs-security-token", "object-lock",
    "retention",
})
"""Query parameters that name a sub-resource and therefore belong to the CanonicalizedResource (OBS API reference,
"Authentication of Signature in a Header"); every other query parameter is left out of the signature."""

def _md5(data: bytes = b"") -> "hashlib._Hash":
    return hashlib.md5(data, usedforsecurity=False)  # an integrity check, also on FIPS machines


_BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_OBS_HTTPS = re.compile(r"^https?://(?P<bucket>[^./]+)\.obs\.[^/]+(?P<path>/.*)?$")


# ---- errors -------------------------------------------------------------------------------------------------------


class ObsLocationError(ModelImportError, ValueError):
    """An OBS location (obs_location, source_location) that is not `obs://bucket/dir/` or `/bucket/dir/`."""


class ObsUnreachableError(NetworkError):
    """OBS could not be reached (refused, reset, timed out) even after the retries; `.url` is the endpoint."""

    def __init__(self, endpoint: str, reason: str, attempts: int):
        self.endpoint, self.reason, self.attempts = endpoint, reason, attempts
        super().__init__(f"could not reach OBS at {endpoint}: {reason} ({attempts} attempt"
                         f"{'s' if attempts != 1 else ''}): check the network connection, the proxy settings "
                         "(HTTPS_PROXY/NO_PROXY) and the OBS endpoint", endpoint)


def _refuse(message: str) -> ServiceError:
    """A source file the upload cannot take, worded as the service and the embedded registry word it."""
    return ServiceError(400, "ModelArts.3017", f"Failed to publish model because source location noncompliance: "
                                               f"{message}")


def _changed(rel: str) -> ServiceError:
    return _refuse(f"{rel} changed while it was being uploaded; wait until it is written completely and import again.")


# ---- OBS locations -----------------------------------------------------------------------------------------------


def _check_bucket(bucket: str, shown: str) -> str:
    if (not _BUCKET_NAME.match(bucket) or ".." in bucket or ".-" in bucket or "-." in bucket
            or re.fullmatch(r"\d+\.\d+\.\d+\.\d+", bucket)):
        raise ObsLocationError(f"{shown!r} does not name a valid OBS bucket ({bucket!r}): bucket names are 3-63 "
                               "lower-case letters, digits, hyphens and periods, starting and ending with a letter "
                               "or digit.")
    return bucket


def _normalize_prefix(prefix: str, shown: str) -> str:
    segments = [segment for segment in (prefix or "").split("/") if segment]
    if any(segment in (".", "..") for segment in segments):
        raise ObsLocationError(f"{shown!r}: an OBS path may not contain '.' or '..' segments.")
    normalized = "/".join(segments) + "/" if segments else ""
    if len(normalized.encode("utf-8")) > 900:
        raise ObsLocationError(f"{shown!r}: the OBS directory is too long (object keys are at most 1024 bytes).")
    return normalized


def parse_obs_location(text: str) -> tuple[str, str]:
    """`obs://bucket/dir/`, `/bucket/dir/` (or `https://bucket.obs.<region>.../dir/`) -> ("bucket", "dir/").

    The directory comes back without a leading slash and with a trailing one ("" for the bucket's root), ready to
    be a key prefix. Anything else is ObsLocationError (a ValueError) saying how to write it.
    """
    location = str(text or "").strip()
    match = _OBS_HTTPS.match(location)
    if match:
        bucket, rest = match["bucket"], (match["path"] or "")
    elif location.startswith("obs://"):
        bucket, _, rest = location[len("obs://"):].partition("/")
    elif location.startswith("/") and not location.startswith("//"):
        bucket, _, rest = location[1:].partition("/")
    else:
        raise ObsLocationError(f"{location!r} is not an OBS location: write it as obs://bucket/dir/ or /bucket/dir/.")
    if not bucket:
        raise ObsLocationError(f"{location!r} names no bucket: write it as obs://bucket/dir/ or /bucket/dir/.")
    return _check_bucket(bucket, location), _normalize_prefix(rest, location)


# ---- signing (OBS API reference: "Authentication of Signature in a Header") ------------------------------------


def canonical_headers(headers: Mapping[str, str]) -> str:
    """The x-obs-* headers: names lower-cased and sorted, values trimmed, repeated names joined with commas."""
    merged: dict[str, list[str]] = {}
    for name, value in headers.items():
        lowered = name.strip().lower()
        if lowered.startswith("x-obs-"):
            merged.setdefault(lowered, []).append(str(value).strip())
    return "".join(f"{name}:{','.join(values)}\n" for name, values in sorted(merged.items()))


def sub_resources(query: str) -> str:
    """The part of a query the signature covers: sub-resources sorted, e.g. `?partNumber=1&uploadId=x` ("" if none)."""
    subs = sorted((k, v) for k, v in parse_qsl(query, keep_blank_values=True) if k in SUB_RESOURCES)
    return "?" + "&".join(k if v == "" else f"{k}={v}" for k, v in subs) if subs else ""


def canonical_resource(bucket: Optional[str], encoded_key: str, query: str) -> str:
    """`/bucket/key` (the key as sent, percent-encoded) plus the sorted sub-resources."""
    return (f"/{bucket}/{encoded_key}" if bucket else "/") + sub_resources(query)


def string_to_sign(method: str, headers: Mapping[str, str], resource: str) -> str:
    lowered = {name.lower(): str(value) for name, value in headers.items()}
    date = "" if "x-obs-date" in lowered else lowered.get("date", "")
    return (f"{method.upper()}\n{lowered.get('content-md5', '')}\n{lowered.get('content-type', '')}\n{date}\n"
            f"{canonical_headers(headers)}{resource}")


def signature(secret_key: str, text: str) -> str:
    digest = hmac.new(secret_key.encode("utf-8"), text.encode("utf-8"), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


class ObsAuth(requests.auth.AuthBase):
    """Signs a prepared request: `Authorization: OBS AK:Signature` over exactly the headers and URL being sent.

    `bucket` is given for virtual-hosted addressing (the bucket is in the host, not the path).
    """

    def __init__(self, access_key: str, secret_key: str, bucket: Optional[str] = None):
        self.access_key, self._secret_key, self.bucket = access_key, secret_key, bucket

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        parts = urlsplit(request.url or "")
        path = parts.path or "/"
        resource = (f"/{self.bucket}{path}" if self.bucket else path) + sub_resources(parts.query)
        text = string_to_sign(request.method or "GET", request.headers, resource)
        request.headers["Authorization"] = f"OBS {self.access_key}:{signature(self._secret_key, text)}"
        return request

    def __repr__(self) -> str:
        return f"ObsAuth(access_key={mask(self.access_key)!r})"


# ---- the client --------------------------------------------------------------------------------------------------


@dataclass
class _ObsError:
    code: str
    message: str
    request_id: Optional[str]


def _strip_ns(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _xml_children(root: ElementTree.Element, name: str) -> list[ElementTree.Element]:
    return [child for child in root if _strip_ns(child.tag) == name]


def _xml_text(root: ElementTree.Element, name: str) -> Optional[str]:
    found = _xml_children(root, name)
    return found[0].text if found else None


def _parse_xml(data: bytes) -> Optional[ElementTree.Element]:
    try:
        return ElementTree.fromstring(data)
    except ElementTree.ParseError:
        return None


def _unquote_etag(value: Optional[str]) -> str:
    return (value or "").strip().strip('"').lower()


def _is_ip_or_localhost(host: str) -> bool:
    if host.lower() in ("localhost", "localhost."):
        return True
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def _connection_reason(exc: BaseException, timeout: tuple[float, float]) -> str:
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return f"the connection timed out after {timeout[0]:g} s"
    if isinstance(exc, requests.exceptions.Timeout):
        return f"no answer within {timeout[1]:g} s"
    text = repr(exc)
    for needle, reason in (("refused", "the connection was refused"), ("reset", "the connection was reset"),
                           ("NameResolution", "the host name could not be resolved"),
                           ("Name or service not known", "the host name could not be resolved"),
                           ("RemoteDisconnected", "the connection was closed without an answer"),
                           ("Broken pipe", "the connection was closed while sending"),
                           ("aborted", "the connection was aborted")):
        if needle in text:
            return reason
    return "the connection failed"


def _never_sent(exc: BaseException) -> bool:
    """True when the request certainly never reached the server (so even a non-idempotent one may be re-sent)."""
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return True
    text = repr(exc)
    return "NewConnectionError" in text or "refused" in text


def _scrub(exc: requests.RequestException) -> requests.RequestException:
    """A requests exception without the prepared request (its headers carry the security token and signature)."""
    exc.request = None
    exc.response = None
    return exc


class _Rewindable:
    """A window of a binary file sent as a request body; `seek(0)` before each attempt re-sends the same bytes."""

    def __init__(self, file: BinaryIO, start: int, length: int):
        self.file, self.start, self.length, self.left = file, start, length, length

    def seek(self, offset: int, whence: int = 0) -> int:
        self.file.seek(self.start + offset)
        self.left = self.length - offset
        return offset

    def read(self, size: int = -1) -> bytes:
        size = self.left if size is None or size < 0 else min(size, self.left)
        data = self.file.read(size) if size else b""
        self.left -= len(data)
        return data

    def __len__(self) -> int:
        return self.length

    def __iter__(self) -> Iterator[bytes]:
        while True:
            chunk = self.read(1 << 20)
            if not chunk:
                return
            yield chunk


class ObsClient:
    """A small OBS client over `requests`: objects, multipart uploads and batch deletes, signed per request.

    `keys()` is asked before every request (so temporary keys can refresh) and returns (access_key, secret_key,
    security_token or None). Idempotent requests are retried on connection errors, timeouts, 500/502/504, 503
    SlowDown, 408 and 429 (honouring Retry-After), with exponential backoff from `backoff` seconds; other 4xx never.
    One client may be used from several threads at once (upload_folder's workers do), so `keys` must be thread-safe.
    """

    def __init__(self, endpoint: str, keys: Keys, *, http: Optional[requests.Session] = None,
                 timeout: tuple[float, float] = (5.0, 60.0), retries: int = 3, backoff: float = 0.5):
        text = str(endpoint or "").strip().rstrip("/")
        parts = urlsplit(text if "://" in text else "https://" + text)
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.path or parts.query:
            raise ValueError(f"the OBS endpoint {endpoint!r} is not like https://obs.cn-north-4.myhuaweicloud.com")
        self.endpoint = f"{parts.scheme}://{parts.netloc}"
        self._scheme, self._netloc = parts.scheme, parts.netloc
        self.path_style = _is_ip_or_localhost(parts.hostname)
        self._keys = keys
        self._own_http = http is None
        self.http = http if http is not None else requests.Session()
        self.timeout = (float(timeout[0]), float(timeout[1]))
        self.retries = max(0, int(retries))
        self.backoff = max(0.0, float(backoff))

    def __repr__(self) -> str:
        return f"ObsClient({self.endpoint!r}, {'path-style' if self.path_style else 'virtual-hosted'})"

    def close(self) -> None:
        if self._own_http:
            self.http.close()

    def __enter__(self) -> "ObsClient":
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    # -- addressing -------------------------------------------------------------------------------------------
    @staticmethod
    def _encode_key(key: str) -> str:
        return quote(key, safe="/~")

    def object_url(self, bucket: str, key: str = "") -> str:
        """https://bucket.obs.<region>.../key (virtual-hosted) or http://127.0.0.1:PORT/bucket/key (path style)."""
        encoded = self._encode_key(key)
        if self.path_style:
            return f"{self._scheme}://{self._netloc}/{bucket}/{encoded}"
        return f"{self._scheme}://{bucket}.{self._netloc}/{encoded}"

    # -- one request, retried ---------------------------------------------------------------------------------
    def _credentials(self) -> tuple[str, str, Optional[str]]:
        try:
            found = self._keys()
        except ModelImportError:
            raise
        except Exception as exc:  # the provider's own text might quote a secret: name the kind only
            raise CredentialsError(f"the OBS credentials could not be obtained ({type(exc).__name__})") from None
        try:
            access, secret, token = found
        except (TypeError, ValueError):
            raise CredentialsError("the OBS credentials provider must return (access_key, secret_key, "
                                   "security_token or None)") from None
        if not access or not secret:
            raise CredentialsError("OBS needs an access key and a secret key; the credentials provider gave "
                                   f"{'no access key' if not access else 'no secret key'}")
        return str(access), str(secret), (str(token) if token else None)

    def _delay(self, attempt: int, retry_after: Optional[str]) -> float:
        if retry_after:
            try:
                return min(MAX_RETRY_AFTER, max(0.0, float(retry_after)))
            except ValueError:
                try:
                    when = email.utils.parsedate_to_datetime(retry_after).timestamp()
                    return min(MAX_RETRY_AFTER, max(0.0, when - time.time()))
                except (TypeError, ValueError, IndexError, OverflowError):
                    pass
        return min(MAX_BACKOFF, self.backoff * (2 ** attempt))

    @staticmethod
    def _retryable(status: int, code: str) -> bool:
        return status in (500, 502, 504, 408, 429) or (status == 503 and code == "SlowDown")

    def _send(self, method: str, bucket: str, key: str = "", *, query: str = "",
              headers: Optional[dict[str, str]] = None, body: Any = None, ok: tuple[int, ...] = (200,),
              idempotent: bool = True) -> requests.Response:
        if self.path_style:
            url = f"{self._scheme}://{self._netloc}/{bucket}/{self._encode_key(key)}"
        else:
            url = f"{self._scheme}://{bucket}.{self._netloc}/{self._encode_key(key)}"
        if query:
            url += "?" + query
        attempts = self.retries + 1
        for attempt in range(attempts):
            last = attempt == attempts - 1
            access, secret, token = self._credentials()
            send_headers = {"Date": email.utils.formatdate(usegmt=True), **(headers or {})}
            if token:
                send_headers["x-obs-security-token"] = token
            auth = ObsAuth(access, secret, None if self.path_style else bucket)
            if isinstance(body, _Rewindable):
                body.seek(0)
            try:
                response = self.http.request(method, url, data=body, headers=send_headers, auth=auth,
                                             timeout=self.timeout, allow_redirects=False)
            except (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError) as exc:
                if last or not (idempotent or _never_sent(exc)):
                    raise ObsUnreachableError(self.endpoint, _connection_reason(exc, self.timeout),
                                              attempt + 1) from _scrub(exc)
                time.sleep(self._delay(attempt, None))
                continue
            response.obs_attempts = attempt + 1  # type: ignore[attr-defined]
            if response.status_code in ok:
                return response
            error = self._error_of(response)
            if not last and self._retryable(response.status_code, error.code):
                time.sleep(self._delay(attempt, response.headers.get("Retry-After")))
                continue
            raise self._service_error(response.status_code, error, method, bucket, key, access, attempt + 1)
        raise AssertionError("unreachable")  # pragma: no cover

    @staticmethod
    def _error_of(response: requests.Response) -> _ObsError:
        data = response.content[:_ERROR_BODY_LIMIT] if response.request.method != "HEAD" else b""
        root = _parse_xml(data) if data else None
        code = message = request_id = None
        if root is not None and _strip_ns(root.tag) == "Error":
            code, message = _xml_text(root, "Code"), _xml_text(root, "Message")
            request_id = _xml_text(root, "RequestId")
        code = code or response.headers.get("x-obs-error-code") or {
            400: "BadRequest", 403: "AccessDenied", 404: "NotFound", 405: "MethodNotAllowed", 408: "RequestTimeout",
            409: "Conflict", 429: "TooManyRequests", 500: "InternalError", 503: "ServiceUnavailable",
        }.get(response.status_code, f"HTTP{response.status_code}")
        message = message or response.headers.get("x-obs-error-message") or response.reason or ""
        request_id = request_id or response.headers.get("x-obs-request-id") or response.headers.get("X-Request-Id")
        return _ObsError(code, message, request_id)

    def _service_error(self, status: int, error: _ObsError, method: str, bucket: str, key: str, access: str,
                       attempts: int) -> ServiceError:
        code, said = error.code, error.message.strip().rstrip(".")
        where = f"obs://{bucket}/{key}"
        said_text = f" (OBS said: {said})" if said else ""
        kind: type[ServiceError] = ServiceError
        advice: Optional[str] = None
        if code == "AccessDenied":
            kind, text = PermissionDeniedError, f"OBS denied {method} {where}{said_text}"
            advice = (f"check that these credentials may write to bucket {bucket}, or choose an obs_location in a "
                      "bucket they may write to")
        elif code == "NoSuchBucket":
            text = f"the bucket {bucket} does not exist in this region ({self.endpoint})"
            advice = "create it, or fix obs_location"
        elif code == "InvalidAccessKeyId":
            kind, text = AuthenticationError, f"OBS does not accept the access key {mask(access)}{said_text}"
            advice = "check the access key; temporary credentials need their security token and must not be expired"
        elif code == "SignatureDoesNotMatch":
            kind, text = AuthenticationError, f"OBS refused the request signature of access key {mask(access)}"
            advice = "the secret key does not belong to this access key: check the secret key"
        elif code == "RequestTimeTooSkewed":
            kind, text = AuthenticationError, "the clock of this machine is more than 15 minutes away from OBS's"
            advice = "set the system clock right (NTP) and try again"
        elif code in ("InvalidToken", "ExpiredToken", "TokenRefreshRequired"):
            kind, text = AuthenticationError, "the security token of the temporary credentials is invalid or expired"
            advice = "refresh the credentials"
        elif code in ("BadDigest", "InvalidDigest"):
            text = f"the bytes of {where} arrived damaged (their MD5 did not match){said_text}"
            advice = "try again; if it keeps happening, something between here and OBS alters uploads"
        elif code == "NoSuchUpload":
            text = f"the multipart upload of {where} no longer exists (aborted, or removed by a lifecycle rule)"
            advice = "import again"
        elif status >= 500 or status in (408, 429):
            if status == 429 or code == "SlowDown":
                kind = ThrottledError
            text = (f"OBS kept failing for {method} {where} after {attempts} attempt{'s' if attempts != 1 else ''}"
                    f"{said_text}")
            advice = "try again later"
        else:
            text = f"OBS refused {method} {where}{said_text}"
        return kind(status, f"OBS.{code}", text, error.request_id, advice)

    def _etag_mismatch(self, bucket: str, key: str, sent: str, got: str) -> ServiceError:
        return ServiceError(502, "OBS.ETagMismatch", f"OBS stored obs://{bucket}/{key} with ETag {got or '(none)'}, "
                                                     f"not the MD5 of the bytes sent ({sent})", None,
                            "the upload cannot be trusted: import again")

    # -- objects ----------------------------------------------------------------------------------------------
    def head_object(self, bucket: str, key: str) -> Optional[dict[str, Any]]:
        """{"size", "etag" (lower-case hex, no quotes), "last_modified", "content_type"}, or None when absent."""
        response = self._send("HEAD", bucket, key, ok=(200, 404))
        if response.status_code == 404:
            code = response.headers.get("x-obs-error-code")
            if code == "NoSuchBucket":
                error = _ObsError(code, "", response.headers.get("x-obs-request-id"))
                raise self._service_error(404, error, "HEAD", bucket, key, "", 1)
            return None
        return {"size": int(response.headers.get("Content-Length") or 0),
                "etag": _unquote_etag(response.headers.get("ETag")),
                "last_modified": response.headers.get("Last-Modified"),
                "content_type": response.headers.get("Content-Type")}

    def put_object(self, bucket: str, key: str, source: Union[bytes, bytearray, memoryview, BinaryIO], *,
                   content_md5: Optional[bytes] = None, content_type: Optional[str] = None) -> str:
        """Upload one object in one PUT with Content-MD5; returns its ETag (the MD5 hex), checked against the bytes.

        `source` is bytes or a binary file open at the first byte to send (read to its end, streamed; a file is
        read twice, once to hash it, unless `content_md5` is given).
        """
        if isinstance(source, (bytes, bytearray, memoryview)):
            body: Any = source if isinstance(source, bytes) or len(source) else b""  # b"": Content-Length 0
            digest = content_md5 or _md5(body).digest()
        else:
            start = source.tell()
            length = os.fstat(source.fileno()).st_size - start
            if content_md5 is None:
                hasher = _md5()
                for chunk in iter(lambda: source.read(1 << 20), b""):
                    hasher.update(chunk)
                content_md5 = hasher.digest()
            digest, body = content_md5, _Rewindable(source, start, length)
        headers = {"Content-MD5": base64.b64encode(digest).decode("ascii")}
        if content_type:
            headers["Content-Type"] = content_type
        response = self._send("PUT", bucket, key, headers=headers, body=body)
        etag = _unquote_etag(response.headers.get("ETag"))
        if etag != digest.hex():
            raise self._etag_mismatch(bucket, key, digest.hex(), etag)
        return etag

    def delete_object(self, bucket: str, key: str) -> None:
        self._send("DELETE", bucket, key, ok=(200, 204, 404))

    def delete_objects(self, bucket: str, keys: list[str]) -> None:
        """Delete these objects (absent ones count as deleted), in batches of at most 1000 keys."""
        unique = list(dict.fromkeys(keys))
        for start in range(0, len(unique), DELETE_BATCH):
            batch = unique[start:start + DELETE_BATCH]
            body = ('<?xml version="1.0" encoding="UTF-8"?><Delete><Quiet>true</Quiet>'
                    + "".join(f"<Object><Key>{xml_escape(key)}</Key></Object>" for key in batch)
                    + "</Delete>").encode("utf-8")
            headers = {"Content-MD5": base64.b64encode(_md5(body).digest()).decode("ascii"),
                       "Content-Type": "application/xml"}
            response = self._send("POST", bucket, "", query="delete", headers=headers, body=body)
            root = _parse_xml(response.content)
            failed = []
            for error in _xml_children(root, "Error") if root is not None else []:
                if _xml_text(error, "Code") not in ("NoSuchKey", None):
                    failed.append((_xml_text(error, "Key") or "?", _xml_text(error, "Code") or "?"))
            if failed:
                listed = ", ".join(f"{key} ({code})" for key, code in failed[:5])
                more = f" and {len(failed) - 5} more" if len(failed) > 5 else ""
                raise ServiceError(response.status_code, f"OBS.{failed[0][1]}",
                                   f"OBS could not delete {len(failed)} object(s) in bucket {bucket}: {listed}{more}.",
                                   response.headers.get("x-obs-request-id"))

    # -- multipart --------------------------------------------------------------------------------------------
    def initiate_multipart(self, bucket: str, key: str, *, content_type: Optional[str] = None) -> str:
        """Start a multipart upload; returns its upload id. Re-sent only when OBS answered with a retryable error
        or the request never left (a lost answer could otherwise start a second upload)."""
        headers = {"Content-Type": content_type} if content_type else None
        response = self._send("POST", bucket, key, query="uploads", headers=headers, idempotent=False)
        root = _parse_xml(response.content)
        upload_id = _xml_text(root, "UploadId") if root is not None else None
        if not upload_id:
            raise ServiceError(response.status_code, "OBS.MalformedResponse",
                               f"OBS answered the start of a multipart upload of obs://{bucket}/{key} without an "
                               "UploadId.", response.headers.get("x-obs-request-id"))
        return upload_id

    def upload_part(self, bucket: str, key: str, upload_id: str, part_number: int,
                    data: Union[bytes, bytearray, memoryview], *,
                    content_md5: Optional[bytes] = None) -> str:
        """PUT one part with Content-MD5; returns its ETag (the MD5 hex), checked."""
        digest = content_md5 or _md5(data).digest()
        headers = {"Content-MD5": base64.b64encode(digest).decode("ascii")}
        query = f"partNumber={int(part_number)}&uploadId={quote(upload_id, safe='')}"
        response = self._send("PUT", bucket, key, query=query, headers=headers, body=data)
        etag = _unquote_etag(response.headers.get("ETag"))
        if etag != digest.hex():
            raise self._etag_mismatch(bucket, f"{key} (part {part_number})", digest.hex(), etag)
        return etag

    def list_parts(self, bucket: str, key: str, upload_id: str) -> list[dict[str, Any]]:
        """Every uploaded part: [{"part_number", "etag", "size"}] in order. ServiceError OBS.NoSuchUpload if gone."""
        parts: list[dict[str, Any]] = []
        marker = 0
        while True:
            query = f"uploadId={quote(upload_id, safe='')}&max-parts=1000"
            if marker:
                query += f"&part-number-marker={marker}"
            response = self._send("GET", bucket, key, query=query)
            root = _parse_xml(response.content)
            if root is None:
                raise ServiceError(response.status_code, "OBS.MalformedResponse",
                                   f"OBS answered the list of parts of obs://{bucket}/{key} with no readable XML.")
            for part in _xml_children(root, "Part"):
                parts.append({"part_number": int(_xml_text(part, "PartNumber") or 0),
                              "etag": _unquote_etag(_xml_text(part, "ETag")),
                              "size": int(_xml_text(part, "Size") or 0)})
            next_marker = int(_xml_text(root, "NextPartNumberMarker") or 0)
            if (_xml_text(root, "IsTruncated") or "").lower() != "true" or next_marker <= marker:
                return parts
            marker = next_marker

    def complete_multipart(self, bucket: str, key: str, upload_id: str, parts: list[tuple[int, str]], *,
                           expected_size: Optional[int] = None) -> str:
        """Assemble the parts [(number, etag)]; returns the object's ETag.

        Retried like an idempotent request: when a retry finds the upload gone (the first attempt completed it but
        its answer was lost), the object's HEAD, with the expected size, is the answer.
        """
        body = ("<CompleteMultipartUpload>" + "".join(
            f"<Part><PartNumber>{int(number)}</PartNumber><ETag>\"{etag}\"</ETag></Part>" for number, etag in parts)
            + "</CompleteMultipartUpload>").encode("utf-8")
        query = f"uploadId={quote(upload_id, safe='')}"
        response = self._send("POST", bucket, key, query=query, headers={"Content-Type": "application/xml"},
                              body=body, ok=(200, 404))
        if response.status_code == 404:
            error = self._error_of(response)
            if error.code == "NoSuchUpload" and getattr(response, "obs_attempts", 1) > 1:
                head = self.head_object(bucket, key)
                if head is not None and (expected_size is None or head["size"] == expected_size):
                    return head["etag"]
            raise self._service_error(404, error, "POST", bucket, key, "", getattr(response, "obs_attempts", 1))
        root = _parse_xml(response.content)
        if root is not None and _strip_ns(root.tag) == "Error":  # an error inside a 200 answer
            error = _ObsError(_xml_text(root, "Code") or "InternalError", _xml_text(root, "Message") or "",
                              _xml_text(root, "RequestId"))
            raise self._service_error(500 if error.code == "InternalError" else 400, error, "POST", bucket, key,
                                      "", getattr(response, "obs_attempts", 1))
        etag = _xml_text(root, "ETag") if root is not None else None
        return _unquote_etag(etag or response.headers.get("ETag"))

    def abort_multipart(self, bucket: str, key: str, upload_id: str) -> None:
        """Abort a multipart upload and drop its parts (an upload already gone counts as aborted)."""
        response = self._send("DELETE", bucket, key, query=f"uploadId={quote(upload_id, safe='')}",
                              ok=(200, 204, 404))
        if response.status_code == 404:
            error = self._error_of(response)
            if error.code != "NoSuchUpload":
                raise self._service_error(404, error, "DELETE", bucket, key, "", 1)


# ---- reading source files safely ---------------------------------------------------------------------------------


def _open_source(file: SourceFile) -> int:
    """An fd on the file the walk saw, or a refusal naming it: never follows a symlink swapped in, never blocks on
    a FIFO, never reads a file whose stat moved since the walk."""
    flags = (os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
             | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_BINARY", 0))
    try:
        fd = os.open(file.path, flags)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.EMLINK):
            raise _refuse(f"{file.rel} was replaced by a symbolic link after the folder was read; put the file "
                          "itself back and import again.") from None
        if exc.errno == errno.ENOENT:
            raise _refuse(f"{file.rel} was removed while the model was being uploaded; wait until the folder is "
                          "complete and import again.") from None
        raise _refuse(f"{file.rel} cannot be read ({exc.strerror}).") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise _refuse(f"{file.rel} is no longer a regular file (a pipe, socket or device was put in its place); "
                          "put the file back and import again.")
        if (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev) != file.stat_key:
            raise _changed(file.rel)
    except BaseException:
        os.close(fd)
        raise
    return fd


def _still_unchanged(fd: int, file: SourceFile) -> bool:
    st = os.fstat(fd)
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev) == file.stat_key


# ---- the folder upload -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class UploadResult:
    """What `upload_folder` did. `keys`: every object of the folder, in the walk's order (resumed ones included);
    `bytes`/`files`: the folder's totals; `resumed_*`: what an earlier interrupted call had uploaded already and
    this one did not send again (whole files; resumed multipart parts count in resumed_bytes only)."""

    keys: list[str]
    bytes: int
    files: int
    resumed_files: int
    resumed_bytes: int


@dataclass
class _Job:
    file: SourceFile
    key: str
    part_size: int                           # 0: one PUT
    parts: list[tuple[int, int, int]]        # (number, offset, length) still to send
    upload_id: Optional[str] = None
    etags: dict[int, str] = field(default_factory=dict)
    read_ns: int = 0
    fd: Optional[int] = None                 # multipart: opened once, read by every part's worker
    unfinished: int = 0                      # multipart: parts submitted and not acknowledged yet
    part_count: int = 0                      # multipart: parts of the whole file


@dataclass
class _Task:
    job: _Job
    number: int                              # 0: the whole file in one PUT
    offset: int
    length: int


class _Stopped(Exception):
    """A queued task found the upload stopping and did nothing."""


def _read_into(fd: int, view: memoryview, offset: int, rel: str) -> None:
    got = 0
    while got < len(view):
        if hasattr(os, "preadv"):
            n = os.preadv(fd, [view[got:]], offset + got)
        else:  # pragma: no cover - platforms without preadv
            data = os.pread(fd, len(view) - got, offset + got)
            n = len(data)
            view[got:got + n] = data
        if not n:
            raise _changed(rel)  # shorter than when it was walked
        got += n


class _ProgressReporter:
    """Throttled (PROGRESS_INTERVAL), never backwards; a callback that raises an Exception is logged and ignored."""

    def __init__(self, callback: Optional[Callable[[Progress], None]], bytes_total: int, files_total: int):
        self.callback, self.bytes_total, self.files_total = callback, bytes_total, files_total
        self.bytes_done = self.files_done = 0
        self._last = 0.0
        self._warned = False

    def start(self) -> None:
        self._emit(force=True)

    def advance(self, nbytes: int, files: int = 0) -> None:
        self.bytes_done = min(self.bytes_total, self.bytes_done + nbytes)
        self.files_done = min(self.files_total, self.files_done + files)
        self._emit()

    def finish(self) -> None:
        self.bytes_done, self.files_done = self.bytes_total, self.files_total
        self._emit(force=True)

    def _emit(self, force: bool = False) -> None:
        if self.callback is None:
            return
        now = time.monotonic()
        if not force and now - self._last < PROGRESS_INTERVAL:
            return
        self._last = now
        try:
            self.callback(Progress(self.bytes_done, self.bytes_total, self.files_done, self.files_total))
        except Exception as exc:
            if not self._warned:
                self._warned = True
                logger.warning("the upload's progress callback raised %s; the upload goes on", type(exc).__name__)


class _Checkpoint:
    """What an interrupted upload had done, as one small JSON file per (endpoint, bucket, prefix, folder).

    Written atomically (temp file, fsync, rename, fsync of the folder); holds no secret. An flock beside it keeps
    two uploads of the same folder to the same place from running at once.
    """

    VERSION = 1

    def __init__(self, state_dir: Path, endpoint: str, bucket: str, prefix: str, folder: str):
        self.state_dir = state_dir
        self.identity = {"endpoint": endpoint, "bucket": bucket, "prefix": prefix, "folder": folder}
        digest = hashlib.sha256(json.dumps(self.identity, sort_keys=True).encode("utf-8")).hexdigest()[:32]
        self.path = state_dir / f"obs-upload-{digest}.json"
        self.lock_path = state_dir / f"obs-upload-{digest}.lock"
        self.data: dict[str, Any] = self._empty()
        self._lock_fd: Optional[int] = None
        self._dirty = False
        self._saved_at = 0.0
        self.removed = False

    def _empty(self) -> dict[str, Any]:
        # files: rel -> what was uploaded; multipart: rel -> an upload in progress; keys: objects perhaps written
        return {"version": self.VERSION, **self.identity, "files": {}, "multipart": {}, "keys": []}

    # -- lifecycle --------------------------------------------------------------------------------------------
    def acquire(self) -> None:
        self.state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        if fcntl is not None:
            while True:
                fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o600)
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except OSError:
                    os.close(fd)
                    where = f"obs://{self.identity['bucket']}/{self.identity['prefix']}"
                    raise BackendUnavailableError(f"another upload of {self.identity['folder']} to {where} is "
                                                  "still running; wait until it ends and try again.") from None
                try:
                    same = os.stat(self.lock_path).st_ino == os.fstat(fd).st_ino
                except FileNotFoundError:
                    same = False
                if same:  # not a lock file that the previous holder removed meanwhile
                    self._lock_fd = fd
                    break
                os.close(fd)
        self._load()

    def _load(self) -> None:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return
        except OSError as exc:
            logger.warning("cannot read the upload checkpoint %s (%s); uploading everything", self.path, exc.strerror)
            return
        try:
            data = json.loads(text)
            valid = (isinstance(data, dict) and data.get("version") == self.VERSION
                     and all(data.get(k) == v for k, v in self.identity.items())
                     and isinstance(data.get("files"), dict) and isinstance(data.get("multipart"), dict)
                     and isinstance(data.get("keys"), list))
        except ValueError:
            valid = False
        if valid:
            self.data = data
        else:
            logger.warning("the upload checkpoint %s is not readable; uploading everything", self.path)

    def release(self) -> None:
        if not self.removed and self._dirty:
            self.save(force=True)
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    def remove(self) -> None:
        self.removed = True
        for path in (self.path, self.lock_path):  # the lock file while still holding it (see acquire)
            try:
                path.unlink()
            except FileNotFoundError:
                pass

    def save(self, force: bool = False) -> None:
        self._dirty = True
        if self.removed or (not force and time.monotonic() - self._saved_at < CHECKPOINT_INTERVAL):
            return
        temp = self.path.with_name(f"{self.path.name}.{os.getpid()}.tmp")
        data = json.dumps(self.data, separators=(",", ":")).encode("utf-8")
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_CLOEXEC", 0), 0o600)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temp, self.path)
        try:
            dir_fd = os.open(self.state_dir, os.O_RDONLY)
        except OSError:  # pragma: no cover - not on every platform
            dir_fd = None
        if dir_fd is not None:
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)
        self._dirty = False
        self._saved_at = time.monotonic()

    # -- contents ---------------------------------------------------------------------------------------------
    @property
    def files(self) -> dict[str, dict[str, Any]]:
        return self.data["files"]

    @property
    def multiparts(self) -> dict[str, dict[str, Any]]:
        return self.data["multipart"]

    def keys(self) -> set[str]:
        """Every object this upload may have written, by this call or an earlier one."""
        recorded = {entry["key"] for entry in self.files.values() if isinstance(entry, dict) and "key" in entry}
        return recorded | {key for key in self.data["keys"] if isinstance(key, str)}

    def remember_keys(self, keys: list[str]) -> None:
        known = set(self.data["keys"])
        self.data["keys"] += [key for key in dict.fromkeys(keys) if key not in known]

    def file_done(self, job: _Job, etag: str) -> None:
        file = job.file
        self.files[file.rel] = {"key": job.key, "size": file.size, "mtime_ns": file.mtime_ns,
                                "ctime_ns": file.ctime_ns, "ino": file.ino, "dev": file.dev, "etag": etag,
                                "read_ns": job.read_ns}
        self.multiparts.pop(file.rel, None)
        self.save()

    def multipart_started(self, job: _Job) -> None:
        file = job.file
        self.multiparts[file.rel] = {"key": job.key, "upload_id": job.upload_id, "part_size": job.part_size,
                                     "size": file.size, "mtime_ns": file.mtime_ns, "ctime_ns": file.ctime_ns,
                                     "ino": file.ino, "dev": file.dev, "parts": {}}
        self.save(force=True)  # an upload id nobody knows of could never be aborted

    def part_done(self, job: _Job, number: int, etag: str) -> None:
        state = self.multiparts.get(job.file.rel)
        if state is not None:
            state["parts"][str(number)] = etag
            self.save()

    def forget_multipart(self, rel: str) -> None:
        if self.multiparts.pop(rel, None) is not None:
            self.save(force=True)


def _same_stat(entry: Mapping[str, Any], file: SourceFile) -> bool:
    return (entry.get("size"), entry.get("mtime_ns"), entry.get("ctime_ns"), entry.get("ino"),
            entry.get("dev")) == (file.size, file.mtime_ns, file.ctime_ns, file.ino, file.dev)


def _part_size_for(size: int, part_size: int) -> int:
    if -(-size // part_size) <= MAX_PARTS:
        return part_size
    needed = -(-size // MAX_PARTS)
    return -(-needed // (1 << 20)) * (1 << 20)


def _parts_of(size: int, part_size: int) -> list[tuple[int, int, int]]:
    return [(index + 1, offset, min(part_size, size - offset))
            for index, offset in enumerate(range(0, size, part_size))]


class _FolderUpload:
    """One `upload_folder` call. The calling thread plans, starts and completes multipart uploads, keeps the
    checkpoint and reports progress; UPLOAD_THREADS workers read, hash and send the files and parts."""

    def __init__(self, client: ObsClient, tree: SourceTree, bucket: str, prefix: str,
                 progress: Optional[Callable[[Progress], None]], cancel: Optional[threading.Event],
                 state_dir: Optional[Path], part_size: int):
        if not MIN_PART_BYTES <= int(part_size) <= MAX_PART_BYTES:
            raise ValueError(f"part_size must be between {MIN_PART_BYTES} bytes (OBS's minimum) and 5 GiB, "
                             f"not {part_size}")
        self.client, self.tree, self.part_size = client, tree, int(part_size)
        self.bucket = _check_bucket(bucket, f"obs://{bucket}/")
        self.prefix = _normalize_prefix(prefix, f"obs://{bucket}/{prefix}")
        self.cancel = cancel if cancel is not None else threading.Event()
        self.progress = _ProgressReporter(progress, tree.total_bytes, len(tree.files))
        self.written: list[str] = []               # objects this call wrote or may have written
        self.open_uploads: dict[str, str] = {}     # key -> upload id, not completed yet
        self.resumed_files = self.resumed_bytes = 0
        self._stop = threading.Event()
        self._local = threading.local()            # each worker's reusable buffer
        self._pending: dict[Future, _Task] = {}
        self.checkpoint: Optional[_Checkpoint] = None
        if state_dir is not None:
            state = Path(os.path.realpath(os.path.expanduser(str(state_dir))))
            root = str(tree.root)
            if os.path.commonpath([str(state), root]) == root:
                raise ValueError(f"state_dir {state} is inside the model folder {root}: the upload would upload "
                                 "its own checkpoint; keep it outside (for example <registry home>/uploads/).")
            self.checkpoint = _Checkpoint(state, client.endpoint, self.bucket, self.prefix, root)

    def _check_cancel(self) -> None:
        if self.cancel.is_set():
            raise ImportCancelledError()

    def run(self) -> UploadResult:
        self.progress.start()
        if self.checkpoint is not None:
            self.checkpoint.acquire()
        try:
            try:
                jobs = self._plan()
                self._transfer(jobs)
                self._sweep_stale()
            except BaseException as exc:
                self._after_failure(exc)
                raise
            if self.checkpoint is not None:
                self.checkpoint.remove()
        finally:
            if self.checkpoint is not None:
                self.checkpoint.release()
        self.progress.finish()
        return UploadResult([self.prefix + f.rel for f in self.tree.files], self.tree.total_bytes,
                            len(self.tree.files), self.resumed_files, self.resumed_bytes)

    # -- what is left to send ---------------------------------------------------------------------------------
    def _plan(self) -> list[_Job]:
        jobs: list[_Job] = []
        checkpoint = self.checkpoint
        for file in self.tree.files:
            self._check_cancel()
            key = self.prefix + file.rel
            if checkpoint is not None and self._resumable_file(checkpoint.files.get(file.rel), file, key):
                self.resumed_files += 1
                self.resumed_bytes += file.size
                self.progress.advance(file.size, files=1)
                continue
            part_size = _part_size_for(file.size, self.part_size) if file.size > self.part_size else 0
            parts = _parts_of(file.size, part_size) if part_size else [(0, 0, file.size)]
            job = _Job(file, key, part_size, parts, part_count=len(parts) if part_size else 0)
            if part_size and checkpoint is not None:
                self._resume_multipart(job)
            jobs.append(job)
        if checkpoint is not None:  # uploads of files that are gone or changed: nothing will complete them
            resumed = {job.file.rel for job in jobs if job.upload_id}
            for rel, state in list(checkpoint.multiparts.items()):
                if rel not in resumed:
                    self._abort_quietly(state.get("key", ""), state.get("upload_id", ""))
                    checkpoint.forget_multipart(rel)
        return jobs

    def _resumable_file(self, entry: Optional[dict[str, Any]], file: SourceFile, key: str) -> bool:
        if not isinstance(entry, dict) or entry.get("key") != key or not _same_stat(entry, file):
            return False
        if max(file.mtime_ns, file.ctime_ns) >= int(entry.get("read_ns") or 0) - STAT_CACHE_RACY_NS:
            return False  # changed within a timestamp tick of being read: the stat cannot vouch for the bytes
        head = self.client.head_object(self.bucket, key)
        return head is not None and head["size"] == file.size and head["etag"] == entry.get("etag")

    def _resume_multipart(self, job: _Job) -> None:
        assert self.checkpoint is not None
        state = self.checkpoint.multiparts.get(job.file.rel)
        if not state:
            return
        upload_id = state.get("upload_id") or ""
        if state.get("key") != job.key or state.get("part_size") != job.part_size or not _same_stat(state, job.file):
            return  # _plan aborts it
        try:
            listed = {part["part_number"]: part for part in self.client.list_parts(self.bucket, job.key, upload_id)}
        except ServiceError as exc:
            if exc.error_code != "OBS.NoSuchUpload":
                raise
            self.checkpoint.forget_multipart(job.file.rel)
            return
        sizes = {number: length for number, _, length in job.parts}
        done = {int(number): etag for number, etag in state.get("parts", {}).items()
                if int(number) in listed and listed[int(number)]["etag"] == etag
                and listed[int(number)]["size"] == sizes.get(int(number))}
        job.upload_id = upload_id
        job.etags = done
        job.parts = [part for part in job.parts if part[0] not in done]
        self.open_uploads[job.key] = upload_id
        resumed = sum(sizes[number] for number in done)
        self.resumed_bytes += resumed
        self.progress.advance(resumed)

    # -- sending ----------------------------------------------------------------------------------------------
    def _transfer(self, jobs: list[_Job]) -> None:
        if not jobs:
            return
        pool = ThreadPoolExecutor(UPLOAD_THREADS, thread_name_prefix="model-import-obs")
        try:
            for job in jobs:
                if not job.part_size:
                    self._submit(pool, _Task(job, 0, 0, job.file.size))
                    continue
                self._check_cancel()
                job.read_ns = time.time_ns()
                job.fd = _open_source(job.file)
                if not job.parts:  # an earlier call sent every part: only the completion is left
                    self._finish_multipart(job)
                    continue
                for number, offset, length in job.parts:
                    self._submit(pool, _Task(job, number, offset, length))
            while self._pending:
                self._collect()
        except BaseException:
            self._stop.set()
            for future in list(self._pending):
                future.cancel()
            raise
        finally:
            pool.shutdown(wait=True)  # the requests already on the wire end (they are bounded by the timeouts)
            for job in jobs:
                if job.fd is not None:
                    os.close(job.fd)
                    job.fd = None

    def _submit(self, pool: ThreadPoolExecutor, task: _Task) -> None:
        while len(self._pending) >= UPLOAD_THREADS:
            self._collect()
        self._check_cancel()
        job = task.job
        if not task.number:
            self.written.append(job.key)  # before: a failed or unanswered PUT may have stored it
        elif job.upload_id is None:
            job.upload_id = self.client.initiate_multipart(self.bucket, job.key)
            self.open_uploads[job.key] = job.upload_id
            if self.checkpoint is not None:
                self.checkpoint.multipart_started(job)
        if task.number:
            job.unfinished += 1
        self._pending[pool.submit(self._send, task)] = task

    def _collect(self) -> None:
        """Wait for at least one task; handle every finished one (raising the first failure)."""
        done: set[Future] = set()
        while not done:
            self._check_cancel()
            done, _ = wait(list(self._pending), timeout=0.1, return_when=FIRST_COMPLETED)
        for future in done:
            task = self._pending.pop(future)
            etag = future.result()
            job, checkpoint = task.job, self.checkpoint
            if not task.number:
                if checkpoint is not None:
                    checkpoint.file_done(job, etag)
                self.progress.advance(task.length, files=1)
                continue
            job.etags[task.number] = etag
            job.unfinished -= 1
            if checkpoint is not None:
                checkpoint.part_done(job, task.number, etag)
            self.progress.advance(task.length)
            if job.unfinished == 0 and len(job.etags) == job.part_count:
                self._finish_multipart(job)

    def _finish_multipart(self, job: _Job) -> None:
        assert job.fd is not None and job.upload_id is not None
        unchanged = _still_unchanged(job.fd, job.file)  # every part was read: now or never, before it is complete
        os.close(job.fd)
        job.fd = None
        if not unchanged:
            raise _changed(job.file.rel)
        self._check_cancel()
        self.written.append(job.key)
        etag = self.client.complete_multipart(self.bucket, job.key, job.upload_id, sorted(job.etags.items()),
                                              expected_size=job.file.size)
        self.open_uploads.pop(job.key, None)
        if self.checkpoint is not None:
            self.checkpoint.file_done(job, etag)
        self.progress.advance(0, files=1)

    def _buffer(self, length: int) -> memoryview:
        buffer = getattr(self._local, "buffer", None)
        if buffer is None or len(buffer) < length:
            buffer = self._local.buffer = bytearray(length)
        return memoryview(buffer)[:length]

    def _send(self, task: _Task) -> str:
        """On a worker: read the file or part into this worker's buffer, hash it, send it; its ETag."""
        if self._stop.is_set():
            raise _Stopped()
        job, file = task.job, task.job.file
        view = self._buffer(task.length)
        if task.number:
            assert job.fd is not None and job.upload_id is not None
            _read_into(job.fd, view, task.offset, file.rel)
            return self.client.upload_part(self.bucket, job.key, job.upload_id, task.number, view,
                                           content_md5=_md5(view).digest())
        job.read_ns = time.time_ns()
        fd = _open_source(file)
        try:
            _read_into(fd, view, 0, file.rel)
            if not _still_unchanged(fd, file):
                raise _changed(file.rel)
        finally:
            os.close(fd)
        return self.client.put_object(self.bucket, job.key, view if task.length else b"",
                                      content_md5=_md5(view).digest())

    def _sweep_stale(self) -> None:
        """Objects an earlier call wrote for files no longer in the folder: the prefix mirrors the folder."""
        if self.checkpoint is None:
            return
        current = {self.prefix + f.rel for f in self.tree.files}
        stale = sorted(self.checkpoint.keys() - current)
        if stale:
            self.client.delete_objects(self.bucket, stale)

    # -- when it goes wrong -----------------------------------------------------------------------------------
    def _keep_for_resume(self, exc: BaseException) -> bool:
        if self.checkpoint is None or self.cancel.is_set() or isinstance(exc, ImportCancelledError):
            return False
        if not isinstance(exc, Exception):  # KeyboardInterrupt, SystemExit, a stop from a callback
            return True
        if isinstance(exc, NetworkError):
            return True
        return (isinstance(exc, ServiceError) and exc.error_code.startswith("OBS.")
                and exc.error_code != "OBS.ETagMismatch" and exc.status >= 500)

    def _after_failure(self, exc: BaseException) -> None:
        checkpoint = self.checkpoint
        if self._keep_for_resume(exc):
            assert checkpoint is not None
            checkpoint.remember_keys(self.written)
            checkpoint.save(force=True)
            logger.info("upload to obs://%s/%s interrupted; calling upload_folder again resumes it",
                        self.bucket, self.prefix)
            return
        if self._clean_up() and checkpoint is not None:
            checkpoint.remove()
        elif checkpoint is not None:
            checkpoint.remember_keys(self.written)

    def _abort_quietly(self, key: str, upload_id: str) -> bool:
        if not key or not upload_id:
            return True
        try:
            self.client.abort_multipart(self.bucket, key, upload_id)
            return True
        except Exception as exc:
            logger.warning("could not abort the multipart upload of obs://%s/%s (%s)", self.bucket, key,
                           type(exc).__name__)
            return False

    def _clean_up(self) -> bool:
        """Abort open multipart uploads and delete every object of this upload (earlier interrupted calls' too)."""
        ok = True
        for key, upload_id in list(self.open_uploads.items()):
            if self._abort_quietly(key, upload_id):
                self.open_uploads.pop(key, None)
            else:
                ok = False
        if self.checkpoint is not None:
            for rel, state in list(self.checkpoint.multiparts.items()):
                if self._abort_quietly(state.get("key", ""), state.get("upload_id", "")):
                    self.checkpoint.multiparts.pop(rel, None)
                else:
                    ok = False
        keys = list(dict.fromkeys(self.written + sorted(self.checkpoint.keys() if self.checkpoint else ())))
        if keys:
            try:
                self.client.delete_objects(self.bucket, keys)
            except Exception as exc:
                ok = False
                logger.warning("could not delete %d uploaded object(s) under obs://%s/%s (%s); delete them by hand",
                               len(keys), self.bucket, self.prefix, type(exc).__name__)
        return ok


def upload_folder(client: ObsClient, tree: SourceTree, bucket: str, prefix: str, *,
                  progress: Optional[Callable[[Progress], None]] = None, cancel: Optional[threading.Event] = None,
                  state_dir: Optional[Path] = None, part_size: int = 16 << 20) -> UploadResult:
    """Upload every file of `tree` to `obs://bucket/<prefix><file.rel>`, so the objects mirror the folder.

    Files up to `part_size` go in one PUT, larger ones as multipart uploads; every request carries Content-MD5 and
    every ETag is checked. UPLOAD_THREADS workers send at once (so `client.keys()` is called from them too).
    Files are read as the walk saw them: a file replaced, turned into a symlink or FIFO, or changed while being
    read is refused naming it (ServiceError ModelArts.3017), and nothing of it is completed.

    `cancel` (checked between parts and files) aborts open multipart uploads, deletes every object written and
    raises ImportCancelledError. Any other failure cleans up the same way and re-raises, except, with `state_dir`
    given, when OBS became unreachable (NetworkError) or kept failing (5xx) or the caller was interrupted (KeyboardInterrupt, any
    BaseException): then the objects and a checkpoint in `state_dir` stay, and calling again with the same folder
    and target resumes (skipping files whose stat and ETag still match, continuing multipart uploads from their
    parts). The checkpoint is removed once the upload completes or was cleaned up.

    `progress` gets Progress(bytes acknowledged by OBS, total, files done, total) on the calling thread: at the
    start, at most every 0.05 s while moving, and once with the totals at the end.
    """
    return _FolderUpload(client, tree, bucket, prefix, progress, cancel,
                         Path(state_dir) if state_dir is not None else None, part_size).run()
