"""Authentication as the API gateway does it for ModelArts and IAM: an IAM token (X-Auth-Token) or an
SDK-HMAC-SHA256 signature recomputed from the request as received — written here again from spec §4b, not with
the project's signer, so that a bug in one is caught by the other.

It checks, never repairs: a query not in canonical form, an unsigned X-Sdk-Date or X-Security-Token, a skewed
date or a key that expired are refused, as spec §3/§4b say. Refusals are `AuthFailure`; stand-ins format them.
"""

from __future__ import annotations

import calendar
import hashlib
import hmac
import re
import time
from dataclasses import dataclass
from typing import Optional
from urllib.parse import quote, unquote


from .http import Request
from .keyring import Credential, KeyRing, Token

MAX_SKEW_SECONDS = 15 * 60
_AUTHORIZATION = re.compile(r"SDK-HMAC-SHA256 Access=([^,\s]+), SignedHeaders=([^,\s]+), Signature=([0-9a-f]{64})")
_IAM = "Incorrect IAM authentication information: "


class AuthFailure(Exception):
    """kind: "signature" (an AK/SK problem, gateway-style APIG.* answer) or "token" (an X-Auth-Token problem)."""

    def __init__(self, status: int, code: str, message: str, kind: str):
        super().__init__(f"{status} {code} {message}")
        self.status, self.code, self.message, self.kind = status, code, message, kind


@dataclass
class Principal:
    scheme: str                       # "token" or "aksk"
    domain_id: str
    project_id: Optional[str]         # of the token; for AK/SK the X-Project-Id header (None when absent)
    token: Optional[Token] = None
    credential: Optional[Credential] = None


def _signature_failure(detail: str, code: str = "APIG.0301") -> AuthFailure:
    return AuthFailure(401, code, _IAM + detail, "signature")


def _encoded(text: str) -> str:
    return quote(text, safe="")  # RFC 3986: only unreserved characters stay (quote keeps A-Z a-z 0-9 - _ . ~)


def _gateway_query(raw_query: str) -> str:
    """The canonical query of a query as received: each pair decoded, encoded again, sorted."""
    pairs = [part.partition("=") for part in raw_query.split("&")] if raw_query else []
    return "&".join(f"{k}={v}" for k, v in sorted((_encoded(unquote(k)), _encoded(unquote(v))) for k, _, v in pairs))


def _gateway_string_to_sign(method: str, raw_path: str, raw_query: str, names: list[str], headers: dict[str, str],
                            body: bytes) -> str:
    uri = "/".join(_encoded(unquote(segment)) for segment in raw_path.split("/"))
    uri += "" if uri.endswith("/") else "/"
    payload = ("UNSIGNED-PAYLOAD" if headers.get("x-sdk-content-sha256") == "UNSIGNED-PAYLOAD"
               else hashlib.sha256(body or b"").hexdigest())
    canonical = "\n".join([method.upper(), uri, _gateway_query(raw_query),
                           "".join(f"{name}:{headers[name].strip()}\n" for name in names), ";".join(names), payload])
    return f"SDK-HMAC-SHA256\n{headers['x-sdk-date']}\n{hashlib.sha256(canonical.encode('utf-8')).hexdigest()}"


def verify_signature(request: Request, keyring: KeyRing, server_time: float) -> Credential:
    """The credential that signed this request; AuthFailure when anything does not hold."""
    match = _AUTHORIZATION.fullmatch(request.header("Authorization") or "")
    if not match:
        raise _signature_failure("the Authorization header is not 'SDK-HMAC-SHA256 Access=..., "
                                 "SignedHeaders=..., Signature=...'")
    access, signed_headers, given = match.groups()
    credential = keyring.credential(access)
    if credential is None:
        raise _signature_failure(f"access key {access} does not exist")
    names = signed_headers.split(";")
    if "x-sdk-date" not in names:
        raise _signature_failure("x-sdk-date must be a signed header")
    headers = {}
    for name in names:
        value = request.header(name)
        if value is None:
            raise _signature_failure(f"signed header {name} is missing from the request")
        headers[name] = value
    if request.query != _gateway_query(request.query):
        raise _signature_failure("verify aksk signature fail (the query string is not in canonical form)")
    if names != sorted(set(names)) or any("_" in name or name != name.lower() for name in names):
        raise _signature_failure("verify aksk signature fail (SignedHeaders is not a sorted list of lower-case "
                                 "header names without _)")
    date = headers["x-sdk-date"]
    to_sign = _gateway_string_to_sign(request.method, request.path, request.query, names, headers, request.body)
    expected = hmac.new(credential.secret.encode("utf-8"), to_sign.encode("utf-8"), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, given):
        raise _signature_failure("verify aksk signature fail")
    try:
        signed_at = calendar.timegm(time.strptime(date, "%Y%m%dT%H%M%SZ"))
    except ValueError:
        raise _signature_failure(f"X-Sdk-Date {date!r} is not like 20191115T033655Z", "APIG.0303") from None
    if abs(server_time - signed_at) > MAX_SKEW_SECONDS:
        raise _signature_failure("the request has expired: X-Sdk-Date is more than 15 minutes off the server "
                                 "time", "APIG.0303")
    sent_token = request.header("X-Security-Token")
    if credential.temporary:
        if sent_token is None or "x-security-token" not in names:
            raise _signature_failure("a temporary access key needs a signed X-Security-Token header")
        if not hmac.compare_digest(sent_token, credential.security_token or ""):
            raise _signature_failure("the security token does not belong to this access key")
        if credential.expired():
            raise _signature_failure("the temporary access key and its security token have expired")
    elif sent_token is not None:
        raise _signature_failure("a permanent access key must not be sent with X-Security-Token")
    return credential


def verify_token(request: Request, keyring: KeyRing) -> Token:
    token = keyring.token(request.header("X-Auth-Token") or "")
    if token is None:
        raise AuthFailure(401, "ModelArts.0203", "The token is invalid.", "token")
    if token.expired():
        raise AuthFailure(401, "ModelArts.0202", "The token has expired.", "token")
    return token


def authenticate(request: Request, keyring: KeyRing, *, server_time: float, domain_id: str) -> Principal:
    """Who sent this request. X-Auth-Token wins when both are present (as the gateway does)."""
    if request.header("X-Auth-Token") is not None:
        token = verify_token(request, keyring)
        return Principal("token", token.domain_id, token.project_id, token=token)
    if request.header("Authorization") is not None:
        credential = verify_signature(request, keyring, server_time)
        return Principal("aksk", domain_id, request.header("X-Project-Id"), credential=credential)
    raise AuthFailure(401, "ModelArts.0201", "The token is missing: send X-Auth-Token or an SDK-HMAC-SHA256 "
                      "Authorization header.", "token")
