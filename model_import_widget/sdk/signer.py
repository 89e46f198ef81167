"""SDK-HMAC-SHA256 request signing (spec §4b), byte for byte as huaweicloudsdkcore signs, and a requests auth on top.

`sign()` is pure (no clock unless the caller gave no X-Sdk-Date); it never logs and never returns the secret key.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from typing import Any, Callable, Iterable, Mapping, Optional, Union
from urllib.parse import quote, unquote, urlsplit

import requests

ALGORITHM = "SDK-HMAC-SHA256"
DATE_HEADER = "X-Sdk-Date"
DATE_FORMAT = "%Y%m%dT%H%M%SZ"
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
CONTENT_SHA256_HEADER = "X-Sdk-Content-Sha256"

Body = Union[bytes, str, None]

UNSIGNED_HEADERS = frozenset({"connection", "keep-alive", "proxy-connection", "proxy-authorization", "te", "trailer",
                              "transfer-encoding", "upgrade", "user-agent", "accept-encoding", "accept",
                              "content-length"})
"""Headers SignerAuth leaves out of the signature although `requests` sends them: hop-by-hop ones a proxy rewrites
(a signed `Connection: keep-alive` fails behind a proxy), and transport details the vendor SDK never signs either."""


def _encode(text: str) -> str:
    return quote(text, safe="~")


def _query_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def canonical_query(params: Union[Mapping[str, Any], Iterable[tuple[str, Any]], None]) -> str:
    """The query string the signature covers, and exactly the one the client sends: pairs sorted by key then
    value, each part percent-encoded (space as %20), list values expanded, booleans as true/false."""
    if not params:
        return ""
    items = params.items() if isinstance(params, Mapping) else params
    pairs: list[tuple[str, str]] = []
    for key, value in items:
        if value is None:
            continue
        values = value if isinstance(value, (list, tuple)) else [value]
        pairs += [(_encode(str(key)), _encode(_query_value(v))) for v in values]
    return "&".join(f"{k}={v}" for k, v in sorted(pairs))


def canonical_uri(path: str) -> str:
    """Each path segment decoded then encoded again, with a trailing / (only in the signature, never sent)."""
    uri = "/".join(_encode(unquote(segment)) for segment in (path or "/").split("/"))
    return uri if uri.endswith("/") else uri + "/"


def _query_of(raw_query: str) -> str:
    """A received or given query (key=value&...) in canonical form."""
    pairs = []
    for part in raw_query.split("&") if raw_query else ():
        key, _, value = part.partition("=")
        pairs.append((unquote(key), unquote(value)))
    return canonical_query(pairs)


def payload_hash(headers: Mapping[str, str], body: Body) -> str:
    if headers.get(CONTENT_SHA256_HEADER) == UNSIGNED_PAYLOAD:
        return UNSIGNED_PAYLOAD
    data = body.encode("utf-8") if isinstance(body, str) else (body or b"")
    return hashlib.sha256(data).hexdigest()


def signed_header_names(headers: Mapping[str, str]) -> list[str]:
    """Every header whose name has no underscore, lower-cased and sorted (Authorization is never signed)."""
    return sorted({name.lower() for name in headers if "_" not in name and name.lower() != "authorization"})


def canonical_request(method: str, url: str, headers: Mapping[str, str], body: Body) -> tuple[str, list[str]]:
    """(CanonicalRequest, signed header names) of spec §4b steps 1–6."""
    parts = urlsplit(url)
    lowered = {name.lower(): str(value) for name, value in headers.items()}
    names = signed_header_names(headers)
    canonical_headers = "".join(f"{name}:{lowered[name].strip()}\n" for name in names)
    text = "\n".join([method.upper(), canonical_uri(parts.path), _query_of(parts.query), canonical_headers,
                      ";".join(names), payload_hash(headers, body)])
    return text, names


def string_to_sign(canonical: str, date: str) -> str:
    return f"{ALGORITHM}\n{date}\n{hashlib.sha256(canonical.encode('utf-8')).hexdigest()}"


def signature(secret_key: str, to_sign: str) -> str:
    return hmac.new(secret_key.encode("utf-8"), to_sign.encode("utf-8"), hashlib.sha256).hexdigest()


def sign(method: str, url: str, headers: Mapping[str, str], body: Body, *, access_key: str, secret_key: str) -> dict[str, str]:
    """A new header dict for the request with `Authorization` (and `Host`, and `X-Sdk-Date` when the caller gave
    none); the caller's headers are left untouched. The query in `url` is signed in canonical form: send
    `canonical_query(...)` as the query so the two agree."""
    signed = dict(headers)
    lowered = {name.lower() for name in signed}
    if DATE_HEADER.lower() not in lowered:
        signed[DATE_HEADER] = time.strftime(DATE_FORMAT, time.gmtime())
    if "host" not in lowered:
        signed["Host"] = urlsplit(url).netloc
    date = next(value for name, value in signed.items() if name.lower() == DATE_HEADER.lower())
    canonical, names = canonical_request(method, url, signed, body)
    digest = signature(secret_key, string_to_sign(canonical, date))
    signed["Authorization"] = f"{ALGORITHM} Access={access_key}, SignedHeaders={';'.join(names)}, Signature={digest}"
    return signed


class SignerAuth(requests.auth.AuthBase):
    """Signs each request with the keys `keys()` returns at that moment (so temporary keys can refresh):
    sets X-Sdk-Date from the clock, adds X-Project-Id and, for temporary keys, X-Security-Token, then signs."""

    def __init__(self, keys: Callable[[], tuple[str, str, Optional[str]]], project_id: Callable[[], Optional[str]]):
        self._keys = keys
        self._project_id = project_id

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        access_key, secret_key, security_token = self._keys()
        headers = {name: value for name, value in request.headers.items()
                   if name.lower() not in ("x-sdk-date", "authorization", "x-security-token")}
        headers[DATE_HEADER] = time.strftime(DATE_FORMAT, time.gmtime())
        project_id = self._project_id()
        if project_id:
            headers["X-Project-Id"] = project_id
        if security_token:
            headers["X-Security-Token"] = security_token
        to_sign = {name: value for name, value in headers.items() if name.lower() not in UNSIGNED_HEADERS}
        signed = sign(request.method or "GET", request.url or "", to_sign, request.body,
                      access_key=access_key, secret_key=secret_key)
        request.headers.clear()
        request.headers.update({**headers, **signed})
        return request

    def __repr__(self) -> str:
        return "<SignerAuth SDK-HMAC-SHA256>"
