"""The HTTP layer of the cloud backend: one `requests.Session`, timeouts on every call, retries only where the service
allows them (spec §3), and one table from HTTP status + error code to the package's exceptions.

Nothing here knows ModelArts' paths or bodies; no secret is ever put in an exception (only the URL without its query).
"""

from __future__ import annotations

import email.utils
import json
import os
import random
import time
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Mapping, Optional
from urllib.parse import urlsplit

import requests
import urllib3

from ..errors import (
    AuthenticationError,
    ModelNotFoundError,
    NetworkError,
    PermissionDeniedError,
    ServiceError,
    ThrottledError,
)
from .signer import canonical_query

ENV_BACKOFF = "MODEL_IMPORT_WIDGET_HTTP_BACKOFF"
"""Seconds of the first retry's wait (doubling, with jitter); tests set milliseconds."""
DEFAULT_TIMEOUT = (5.0, 60.0)
"""(connect, read) seconds for every request."""
MAX_RETRY_AFTER = 120.0
"""Longest Retry-After honoured; a longer one is reported as ThrottledError at once."""
DEFAULT_DEADLINE = 300.0
"""Seconds one call may take in all, retries and a slowly dripping answer included."""
MAX_ANSWER_BYTES = 64 << 20
"""The largest answer read (a page of 1000 models is a few MB); a larger one is refused, not held in memory."""
MAX_ERROR_BYTES = 64 << 10
"""The most of an error answer read: its code and message are at the start."""
CHUNK = 64 << 10


class _TooLarge(Exception):
    pass


class _TooSlow(Exception):
    pass


def _pieces(raw: Any) -> Iterator[bytes]:
    """The body as it arrives: urllib3 2's read1 returns what one recv brings (so a dripping answer meets the
    deadline); urllib3 1.26 has only stream(), which fills whole chunks."""
    read1 = getattr(raw, "read1", None)
    if read1 is None:
        yield from raw.stream(CHUNK, decode_content=True)
        return
    while True:
        piece = read1(CHUNK, decode_content=True)
        if not piece:
            return
        yield piece


def read_bounded(response: requests.Response, limit: int, ends_at: float) -> bytes:
    """Read a streamed answer's body, at most `limit` bytes (an error body is cut there, a success refused) and no
    later than `ends_at` (time.monotonic()); then the response behaves as if it had not been streamed."""
    chunks, size = [], 0
    for chunk in _pieces(response.raw):
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:
            if response.status_code < 400:
                raise _TooLarge()
            break
        if time.monotonic() > ends_at:
            raise _TooSlow()
    body = b"".join(chunks)[:limit]
    response._content = body  # what .content, .text and .json() read
    response._content_consumed = True
    response.close()  # back to the pool (or closed, when cut short)
    return body


class Ambiguous(Exception):
    """A request that changes state may or may not have been carried out (connection lost after sending, gateway
    timeout): the caller must look before sending it again. Internal; never reaches users."""

    def __init__(self, what: str):
        super().__init__(what)
        self.what = what


@dataclass(frozen=True)
class _Rule:
    status: Optional[int]
    code: Optional[str]  # exact code, or a prefix ending in "." (e.g. "APIG.")
    error: type[ServiceError]
    advice: str


# Status + code -> exception and what to do, first match wins (spec §3: key on status AND code).
ERROR_TABLE: tuple[_Rule, ...] = (
    _Rule(401, "APIG.0301", AuthenticationError,
          "check the access key and secret key (and the security token for temporary keys); "
          "after 5 wrong signatures in a row the key is locked for 5 minutes"),
    _Rule(401, "APIG.0303", AuthenticationError,
          "this machine's clock is more than 15 minutes off: set the time (e.g. enable NTP) and try again"),
    _Rule(401, None, AuthenticationError,
          "the credentials were refused or have expired: check them, or create new ones in the console's "
          "My Credentials page"),
    _Rule(403, "ModelArts.0206", AuthenticationError, "check the access key and secret key"),
    _Rule(403, "ModelArts.0210", AuthenticationError,
          "the project id does not belong to these credentials' region: fix project_id (or leave it out to "
          "have it looked up)"),
    _Rule(403, "ModelArts.0203", AuthenticationError, "the token is invalid: sign in again"),
    _Rule(403, "ModelArts.2785", PermissionDeniedError,
          "ModelArts has no agency: in the ModelArts console open Settings (Global Configuration) and add an "
          "agency for this account"),
    _Rule(403, "ModelArts.4310", PermissionDeniedError,
          "ModelArts may not read this OBS path: check the agency's OBS permissions and the bucket policy"),
    _Rule(403, None, PermissionDeniedError,
          "these credentials may not do this: ask the account's administrator for the ModelArts permissions "
          "(e.g. ModelArts FullAccess) in IAM"),
    _Rule(404, "ModelArts.3001", ModelNotFoundError, ""),
    _Rule(409, "ModelArts.3002", ServiceError, ""),  # turned into DuplicateModelError by the caller, who knows the names
    _Rule(413, None, ServiceError, "the request is larger than the service takes (12 MB): send less (e.g. fewer apis)"),
    _Rule(429, None, ThrottledError, "too many requests: wait a minute and try again, or ask for a higher quota"),
    _Rule(None, "ModelArts.3044", ServiceError, "the model files are over 20 GB: make the package smaller"),
    _Rule(None, "ModelArts.3551", ServiceError,
          "the OBS path does not exist in this region: check source_location (the folder that contains model/)"),
    _Rule(None, "ModelArts.1003", PermissionDeniedError, "check that the account may use OBS and is not in arrears"),
    _Rule(503, None, ServiceError, "the service is unavailable: try again later (this client does not retry a 503, "
                                   "as the service asks)"),
    _Rule(None, None, ServiceError, ""),
)


def error_from_response(response: requests.Response, default_advice: str = "") -> ServiceError:
    """The package's exception for an error answer, with the service's code, message and request id."""
    body: Any = None
    try:
        body = response.json()
    except ValueError:
        pass
    body = body if isinstance(body, dict) else {}
    nested = body.get("error") if isinstance(body.get("error"), dict) else {}  # IAM: {"error": {"code", "message"}}
    code = str(body.get("error_code") or body.get("errorCode") or body.get("code") or nested.get("code") or
               f"HTTP.{response.status_code}")
    message = str(body.get("error_msg") or body.get("errorMsg") or body.get("message") or nested.get("message") or
                  (response.reason or "no message").strip())
    request_id = response.headers.get("X-Request-Id") or body.get("request_id") or None
    rule = next(r for r in ERROR_TABLE
                if (r.status is None or r.status == response.status_code)
                and (r.code is None or code == r.code or (r.code.endswith(".") and code.startswith(r.code))))
    advice = rule.advice or default_advice or None
    if rule.error is ModelNotFoundError:
        model_id = message.split("(", 1)[-1].split(")", 1)[0] if "(" in message else ""
        return ModelNotFoundError(model_id, request_id)
    return rule.error(response.status_code, code, message[:2000], request_id, advice)


def json_of(response: requests.Response, what: str = "the answer") -> dict[str, Any]:
    """The JSON object of a success answer, or ServiceError when it is not one (a proxy's or portal's HTML page)."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise ServiceError(response.status_code, "HTTP.UnreadableAnswer",
                           f"{what} from {_shown(response.url or '')} is not a JSON object",
                           response.headers.get("X-Request-Id"),
                           "check the endpoint and any proxy between here and the service")
    return body


def _is_throttle(response: requests.Response) -> bool:
    if response.status_code == 429:
        return True
    try:
        body = response.json()
    except ValueError:
        return False
    return isinstance(body, dict) and str(body.get("error_code", "")) == "APIG.0308"


def _retry_after(response: requests.Response) -> Optional[float]:
    value = (response.headers.get("Retry-After") or "").strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            seconds = email.utils.parsedate_to_datetime(value).timestamp() - time.time()
        except (TypeError, ValueError, IndexError, OverflowError):
            return None  # not a number nor a date: wait as for no Retry-After
    return max(0.0, seconds) if seconds == seconds else None  # NaN: as none


def never_sent(exc: BaseException) -> bool:
    """True when the connection was never made, so not a byte of the request reached the service."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(reason, urllib3.exceptions.NewConnectionError)


def _shown(url: str) -> str:
    """The URL for a message: no query, no user name or password."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}{parts.path}"


class Transport:
    """Sends JSON requests with `auth`, retrying what may be retried.

    Idempotent calls (GET, DELETE) are retried on connection errors, read timeouts and 502/504; every call on
    408, 429 (after Retry-After) and APIG.0308 throttling (after 2–5 s, scaled by the backoff); never on 503 or
    other 4xx. A state-changing call whose outcome is unknown raises `Ambiguous`. A 401 is tried once more
    after `auth.invalidate()` when the auth can refresh itself (tokens, temporary keys).
    """

    def __init__(self, auth: Optional[requests.auth.AuthBase], *, timeout: tuple[float, float] = DEFAULT_TIMEOUT,
                 retries: int = 4, backoff: Optional[float] = None, sleep: Callable[[float], None] = time.sleep,
                 http: Optional[requests.Session] = None, deadline: float = DEFAULT_DEADLINE):
        self.auth = auth
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff if backoff is not None else float(os.environ.get(ENV_BACKOFF) or 0.5)
        self.sleep = sleep
        self.deadline = deadline
        self.http = http or requests.Session()  # honours HTTP(S)_PROXY, NO_PROXY, REQUESTS_CA_BUNDLE, CURL_CA_BUNDLE

    def close(self) -> None:
        self.http.close()

    def _wait(self, attempt: int) -> float:
        return self.backoff * (2 ** attempt) * (0.5 + random.random() / 2)

    def request(self, method: str, url: str, *, params: Optional[Mapping[str, Any]] = None, body: Any = None,
                idempotent: Optional[bool] = None, expected: tuple[int, ...] = (200,),
                headers: Optional[Mapping[str, str]] = None, auth: Any = "default") -> requests.Response:
        """One call; returns the response when its status is in `expected`, else raises the package's error.
        The whole call, retries included, ends within `deadline` seconds."""
        idempotent = method.upper() in ("GET", "HEAD", "DELETE", "PUT") if idempotent is None else idempotent
        query = canonical_query(params)
        full_url = f"{url}?{query}" if query else url
        data = None if body is None else json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        sent_headers = {"Content-Type": "application/json;charset=UTF-8", "Accept": "application/json",
                        **(headers or {})}
        use_auth = self.auth if auth == "default" else auth
        ends_at = time.monotonic() + self.deadline
        refreshed = False
        attempt = 0
        read_timeouts = 0
        while True:
            response, failure = self._send(method, full_url, data, sent_headers, use_auth, ends_at)
            if failure is not None:  # raised here, outside any except block: no chain carries the request
                kind, sent = failure
                read_timeouts += kind == "ReadTimeout"
                may_retry = (idempotent or not sent) and attempt < self.retries and read_timeouts <= 1
                if may_retry and time.monotonic() + self._wait(attempt) < ends_at:
                    self.sleep(self._wait(attempt))
                    attempt += 1
                    continue
                if not idempotent and sent:
                    raise Ambiguous(f"{method} {_shown(url)}: {kind}")
                what = {"ReadTimeout": "did not answer in time", "Deadline": "did not answer in time",
                        "AnswerTooLarge": f"answered with more than {MAX_ANSWER_BYTES >> 20} MB, more than any "
                                          "answer of the service"}.get(kind, "could not be reached")
                raise NetworkError(
                    f"{_shown(url)} {what} ({kind}, {attempt + 1} attempt{'s' if attempt else ''}): check the network, "
                    "the proxy settings (HTTPS_PROXY/NO_PROXY) and the endpoint", _shown(url))
            status = response.status_code
            if status in expected:
                return response
            if status == 401 and not refreshed and callable(getattr(use_auth, "invalidate", None)):
                refreshed = True
                if use_auth.invalidate():
                    continue
            if attempt < self.retries:
                throttled = _is_throttle(response)
                if status == 408 or throttled:
                    wait = _retry_after(response)
                    if wait is None:  # APIG.0308 without Retry-After: the service says wait 2-5 s
                        wait = self.backoff * random.uniform(4, 10) if throttled else self._wait(attempt)
                    if wait <= MAX_RETRY_AFTER and time.monotonic() + wait < ends_at:
                        self.sleep(wait)
                        attempt += 1
                        continue
                elif status in (502, 504) and idempotent and time.monotonic() + self._wait(attempt) < ends_at:
                    self.sleep(self._wait(attempt))
                    attempt += 1
                    continue
            if status in (502, 504) and not idempotent:
                raise Ambiguous(f"{method} {_shown(url)}: HTTP {status}")
            error = error_from_response(response)
            error.attempts = attempt + 1  # a 404 to a retried DELETE means the first one did it
            raise error

    def _send(self, method: str, url: str, data: Optional[bytes], headers: Mapping[str, str], auth: Any,
              ends_at: float) -> tuple[Optional[requests.Response], Optional[tuple[str, bool]]]:
        """(response with its body read, None), or (None, (what failed, whether the request may have been sent))."""
        try:
            response = self.http.request(method, url, data=data, headers=headers, auth=auth, timeout=self.timeout,
                                         allow_redirects=False, stream=True)
        except (requests.ConnectionError, requests.Timeout) as exc:
            return None, (type(exc).__name__, not never_sent(exc))
        except requests.RequestException as exc:  # never its message: it can quote a header value
            return None, (type(exc).__name__, False)
        try:
            read_bounded(response, MAX_ANSWER_BYTES if response.status_code < 400 else MAX_ERROR_BYTES, ends_at)
        except _TooLarge:
            response.close()
            return None, ("AnswerTooLarge", True)
        except _TooSlow:
            response.close()
            return None, ("Deadline", True)
        except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
            response.close()
            return None, (type(exc).__name__, True)
        return response, None
