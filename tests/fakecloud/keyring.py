"""The account's secrets, shared by every stand-in: permanent and temporary AK/SK pairs and IAM tokens.

`KeyRing.keys` is the callable the OBS stand-in takes: keys(access_key) -> (secret_key, security_token or None),
or None when the key is unknown or expired (`credential()` tells the two apart). Expiry is real wall-clock
time; the server clock skew of FakeCloud.clock_skew only affects the X-Sdk-Date check, not these.
"""

from __future__ import annotations

import base64
import secrets
import string
import threading
import time
from dataclasses import dataclass
from typing import Optional

ISO_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def iso_time(epoch: float) -> str:
    """Huawei's timestamp format, e.g. 2022-10-17T18:51:25.231000Z."""
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(epoch)) + f".{int(epoch % 1 * 1e6):06d}Z"


def random_hex(length: int = 32) -> str:
    return secrets.token_hex(length // 2)


def _random_chars(length: int, alphabet: str) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(length))


def _opaque_token(size: int) -> str:
    """Long opaque token text like IAM's (starts with MII, base64 alphabet, url-safe)."""
    raw = base64.urlsafe_b64encode(secrets.token_bytes(size * 3 // 4 + 3)).decode("ascii").rstrip("=")
    return ("MII" + raw)[:size]


@dataclass
class Credential:
    """An AK/SK pair. Temporary ones carry a security token and an expiry (epoch seconds)."""

    access: str
    secret: str
    security_token: Optional[str] = None
    expires_at: Optional[float] = None
    source: str = "permanent"          # "permanent", "metadata" or "securitytoken"

    @property
    def temporary(self) -> bool:
        return self.security_token is not None

    def expired(self, now: Optional[float] = None) -> bool:
        return self.expires_at is not None and (time.time() if now is None else now) >= self.expires_at


@dataclass
class Token:
    """An IAM token as issued by POST /v3/auth/tokens. project_id None means a domain-scoped token."""

    value: str
    user_id: str
    user_name: str
    domain_id: str
    domain_name: str
    project_id: Optional[str]
    project_name: Optional[str]
    issued_at: float
    expires_at: float
    methods: tuple[str, ...] = ("password",)

    def expired(self, now: Optional[float] = None) -> bool:
        return (time.time() if now is None else now) >= self.expires_at


class KeyRing:
    """Thread-safe store of credentials and tokens."""

    def __init__(self) -> None:
        self._credentials: dict[str, Credential] = {}
        self._tokens: dict[str, Token] = {}
        self._lock = threading.Lock()

    # -- AK/SK -------------------------------------------------------------------------------------------------
    def add_permanent(self, access: Optional[str] = None, secret: Optional[str] = None) -> Credential:
        credential = Credential(access or _random_chars(20, string.ascii_uppercase + string.digits),
                                secret or _random_chars(40, string.ascii_letters + string.digits))
        with self._lock:
            self._credentials[credential.access] = credential
        return credential

    def issue_temporary(self, lifetime: float, source: str) -> Credential:
        credential = Credential(_random_chars(20, string.ascii_uppercase + string.digits),
                                _random_chars(40, string.ascii_letters + string.digits),
                                security_token=_opaque_token(1024), expires_at=time.time() + lifetime, source=source)
        with self._lock:
            self._credentials[credential.access] = credential
        return credential

    def credential(self, access: str) -> Optional[Credential]:
        """The credential with this AK, expired or not; None when unknown."""
        with self._lock:
            return self._credentials.get(access)

    def keys(self, access: str) -> Optional[tuple[str, Optional[str]]]:
        """(secret_key, security_token or None) of a usable key; None when unknown or expired."""
        credential = self.credential(access)
        if credential is None or credential.expired():
            return None
        return credential.secret, credential.security_token

    def expire_credentials(self) -> None:
        """Every temporary AK/SK issued so far expires now."""
        now = time.time()
        with self._lock:
            for credential in self._credentials.values():
                if credential.temporary:
                    credential.expires_at = min(credential.expires_at or now, now - 1)

    # -- IAM tokens --------------------------------------------------------------------------------------------
    def issue_token(self, *, lifetime: float, user_id: str, user_name: str, domain_id: str, domain_name: str,
                    project_id: Optional[str], project_name: Optional[str]) -> Token:
        now = time.time()
        token = Token(_opaque_token(2048), user_id, user_name, domain_id, domain_name, project_id, project_name,
                      issued_at=now, expires_at=now + lifetime)
        with self._lock:
            self._tokens[token.value] = token
        return token

    def token(self, value: str) -> Optional[Token]:
        with self._lock:
            return self._tokens.get(value)

    def expire_tokens(self) -> None:
        """Every IAM token issued so far expires now."""
        now = time.time()
        with self._lock:
            for token in self._tokens.values():
                token.expires_at = min(token.expires_at, now - 1)

    @property
    def token_count(self) -> int:
        with self._lock:
            return len(self._tokens)
