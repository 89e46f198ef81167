"""The ECS/notebook metadata stand-in (spec §4c item 4): PUT /meta-data/latest/api/token and
GET /openstack/latest/securitykey, which hands out a NEW temporary AK/SK with a security token on every call.
"""

from __future__ import annotations

import secrets
import threading
import time
from typing import TYPE_CHECKING, Any

from .http import Reply, Request, StandIn
from .keyring import iso_time

if TYPE_CHECKING:
    from .cloud import FakeCloud

AGENCY_MISSING = "Please configure Cloud Service Agency first"


class MetadataStandIn(StandIn):
    service = "metadata"

    def __init__(self, cloud: "FakeCloud", *, host: str = "127.0.0.1", **kwargs: Any):
        super().__init__(host=host, **kwargs)
        self.cloud = cloud
        self.credential_lifetime = 3600.0
        self.agency_bound = True
        self.token_endpoint = True
        self.calls = 0                               # GET /openstack/latest/securitykey requests received
        self._tokens: dict[str, float] = {}          # metadata token -> expiry (monotonic)
        self._lock = threading.Lock()

    def invalidate_tokens(self) -> None:
        """Every metadata session token issued so far goes stale (the next securitykey call answers 401)."""
        with self._lock:
            for token in self._tokens:
                self._tokens[token] = 0.0

    def error(self, status, code, message, request=None, headers=None) -> Reply:
        return Reply.json(status, {"error_code": code, "error_msg": message}, headers)

    def handle(self, request: Request) -> Reply:
        if request.path == "/meta-data/latest/api/token":
            if request.method != "PUT":
                return self.error(405, "405", "Method Not Allowed", headers={"Allow": "PUT"})
            return self._token(request)
        if request.path == "/openstack/latest/securitykey":
            if request.method != "GET":
                return self.error(405, "405", "Method Not Allowed", headers={"Allow": "GET"})
            return self._securitykey(request)
        return self.error(404, "404", "Not Found")

    def _token(self, request: Request) -> Reply:
        if not self.token_endpoint:
            return self.error(404, "404", "Not Found")
        ttl = request.header("X-Metadata-Token-Ttl-Seconds") or ""
        if not ttl.isdigit() or not 1 <= int(ttl) <= 21600:
            return self.error(400, "400", "X-Metadata-Token-Ttl-Seconds must be 1..21600")
        token = secrets.token_urlsafe(32)
        with self._lock:
            self._tokens[token] = time.monotonic() + int(ttl)
        return Reply.text(200, token)

    def _securitykey(self, request: Request) -> Reply:
        with self._lock:
            self.calls += 1
            sent = request.header("X-Metadata-Token")
            if self._tokens or sent is not None:
                if sent is None or self._tokens.get(sent, 0.0) <= time.monotonic():
                    return self.error(401, "401", "Unauthorized: the metadata token is missing or expired")
        if not self.agency_bound:
            return self.error(401, "401", f"{AGENCY_MISSING}.")
        credential = self.cloud.keyring.issue_temporary(self.credential_lifetime, source="metadata")
        return Reply.json(200, {"credential": {"access": credential.access, "secret": credential.secret,
                                               "securitytoken": credential.security_token,
                                               "expires_at": iso_time(credential.expires_at or 0)}})
