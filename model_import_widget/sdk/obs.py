"""A small OBS client over OBS's documented REST API (header-signed requests with `requests`): objects, multipart
uploads, batch delete, OBS paths. `obs_upload.upload_folder` builds the folder upload on it.

It never logs, returns or raises a secret.
"""

from __future__ import annotations

import base64
import email.utils
import hashlib
import hmac
import ipaddress
import logging
import os
import re
import time
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass
from typing import Any, BinaryIO, Callable, Iterator, Mapping, Optional, Union
from urllib.parse import parse_qsl, quote, urlsplit
from xml.sax.saxutils import escape as xml_escape

import requests

from ..errors import (AuthenticationError, CredentialsError, ModelImportError, ObsLocationError,
                      ObsUnreachableError, PermissionDeniedError, ServiceError, ThrottledError)
from ..spec import OBS_BUCKET_PATTERN, OBS_SEGMENT_PATTERN, OBS_URL_PATTERN
from .credentials import mask
from .http import never_sent, read_bounded

__all__ = ["ObsClient", "ObsAuth", "parse_obs_location", "ObsLocationError", "ObsUnreachableError"]

logger = logging.getLogger(__name__)

Keys = Callable[[], "tuple[str, str, Optional[str]]"]

MIN_PART_BYTES = 100 * 1024
"""OBS refuses parts under 100 KB except the last one (EntityTooSmall at completion)."""
MAX_PART_BYTES = 5 * 1024 ** 3
MAX_PARTS = 10_000
DELETE_BATCH = 1000
"""Delete Multiple Objects takes at most 1000 keys per request."""
MAX_BACKOFF = 30.0
MAX_RETRY_AFTER = 60.0
_ERROR_BODY_LIMIT = 64 * 1024
_ANSWER_LIMIT = 8 << 20
"""OBS's XML answers (a part list, a multipart upload id) are small; a larger one is refused, not held in memory."""

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


_BUCKET_NAME = re.compile(rf"^{OBS_BUCKET_PATTERN}$")
_SEGMENT = re.compile(rf"^{OBS_SEGMENT_PATTERN}$")
_OBS_HTTPS = re.compile(OBS_URL_PATTERN)


# ---- errors -------------------------------------------------------------------------------------------------------


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
    if not all(_SEGMENT.match(segment) for segment in segments):
        raise ObsLocationError(f"{shown!r}: an OBS folder name may not contain ?, #, % or control characters.")
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
            response, reason, sent = self._attempt(method, url, body, send_headers, auth)
            if reason is not None:  # raised outside any except block: no chain carries the signed request
                if last or not (idempotent or not sent):
                    raise ObsUnreachableError(self.endpoint, reason, attempt + 1)
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

    def _attempt(self, method: str, url: str, body: Any, headers: dict[str, str],
                 auth: requests.auth.AuthBase) -> tuple[Optional[requests.Response], Optional[str], bool]:
        """(the response, its body read and bounded, None, True) or (None, why it failed, whether it may have been
        sent)."""
        try:
            response = self.http.request(method, url, data=body, headers=headers, auth=auth, timeout=self.timeout,
                                         allow_redirects=False, stream=True)
        except (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError) as exc:
            return None, _connection_reason(exc, self.timeout), not never_sent(exc)
        except requests.RequestException as exc:  # e.g. InvalidHeader, whose message quotes the header value
            return None, f"the request could not be sent ({type(exc).__name__})", False
        try:
            read_bounded(response, _ANSWER_LIMIT if response.status_code < 400 else _ERROR_BODY_LIMIT,
                         time.monotonic() + self.timeout[1])
        except Exception as exc:  # too large, too slow, or cut off: as a failed attempt
            response.close()
            return None, f"the answer could not be read ({type(exc).__name__.lstrip('_')})", True
        return response, None, True

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
