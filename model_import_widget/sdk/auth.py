"""How a cloud session authenticates each request: AK/SK signing, an IAM token from a password, or the notebook
agency's temporary keys from the metadata service — each refreshed before it expires, and the project id looked up.

Built only when a cloud backend is first used (never when a session or a form is made). The metadata service is
asked only for `kind == "agency"` credentials, which credentials.py gives only inside a detected ModelArts notebook;
its requests ignore proxies and use short timeouts. No secret reaches a repr, a log or an exception.
"""

from __future__ import annotations

import datetime as _dt
import re
import threading
import time
from typing import Any, Callable, Optional

import requests

from ..errors import AuthenticationError, CredentialsError, NetworkError
from .credentials import Credentials
from .endpoints import Endpoints
from .http import Transport, error_from_response, json_of
from .signer import SignerAuth

METADATA_TIMEOUT = (3.0, 3.0)
METADATA_DEADLINE = 10.0
METADATA_TOKEN_TTL = "21600"
NO_AGENCY = "Please configure Cloud Service Agency first"

_project_ids: dict[tuple[str, str, str], str] = {}
"""(iam endpoint, access key or user, region) -> project id, cached for the process as huaweicloudsdkcore does."""
_project_lock = threading.Lock()


_FRACTION = re.compile(r"\.(\d+)")


def _parse_time(text: str) -> float:
    """Seconds since the epoch of IAM's and the metadata service's `expires_at` (UTC, with or without a fraction of
    any length: Python 3.10's fromisoformat takes only 3 or 6 digits). Raises ValueError."""
    text = _FRACTION.sub(lambda m: "." + (m.group(1) + "000000")[:6], text.strip().replace("Z", "+00:00"), count=1)
    value = _dt.datetime.fromisoformat(text.replace(" ", "T", 1))
    if value.tzinfo is None:
        value = value.replace(tzinfo=_dt.timezone.utc)
    return value.timestamp()


class _Expiring:
    """A value fetched with a lifetime, fetched again once half of the lifetime it had is gone (or on demand)."""

    def __init__(self, fetch: Callable[[], tuple[Any, float]], clock: Callable[[], float] = time.time):
        self._fetch, self._clock = fetch, clock
        self._value: Any = None
        self._refresh_at = 0.0
        self._lock = threading.Lock()

    def get(self) -> Any:
        with self._lock:
            if self._value is None or self._clock() >= self._refresh_at:
                value, expires_at = self._fetch()
                now = self._clock()
                self._value, self._refresh_at = value, now + max(0.0, expires_at - now) / 2
            return self._value

    def invalidate(self) -> None:
        with self._lock:
            self._value = None


class Authenticator:
    """The auth of one cloud session: `.requests_auth` signs or tokens each request, `.project_id()` finds the
    project, `.obs_keys()` gives the (possibly temporary) AK/SK that OBS uploads are signed with."""

    def __init__(self, credentials: Credentials, endpoints: Endpoints, *, project_id: Optional[str] = None,
                 http: Optional[requests.Session] = None):
        self.credentials, self.endpoints = credentials, endpoints
        self._http = http or requests.Session()
        self._iam = Transport(None, http=self._http)
        self._given_project_id = project_id or credentials.project_id  # the session's, else the credentials'
        self._project_id = self._given_project_id
        if credentials.kind == "password":
            self._token = _Expiring(self._fetch_token)
            self._obs_keys = _Expiring(self._fetch_keys_with_token)
            self.requests_auth: requests.auth.AuthBase = _TokenAuth(self)
        elif credentials.kind == "agency":
            self._agency_keys = _Expiring(self._fetch_agency_keys)
            self.requests_auth = _RefreshingSigner(self.keys, self.project_id, self._agency_keys.invalidate)
        else:
            self.requests_auth = SignerAuth(self.keys, self.project_id)

    def __repr__(self) -> str:
        return f"<Authenticator {self.credentials.describe()}>"

    # ---- keys and tokens ----------------------------------------------------------------------------------

    def keys(self) -> tuple[str, str, Optional[str]]:
        """(access key, secret key, security token or None) to sign with now."""
        c = self.credentials
        if c.kind == "agency":
            return self._agency_keys.get()
        if c.kind == "password":
            return self._obs_keys.get()
        return c.access_key, c.secret_key, c.security_token

    obs_keys = keys

    def token(self) -> str:
        return self._token.get()[0]

    def project_id(self) -> Optional[str]:
        """The project of the session's region: given, from the password token, or looked up in IAM once."""
        if self._project_id:
            return self._project_id
        if self.credentials.kind == "password":
            self._project_id = self._token.get()[1]
            return self._project_id
        access_key = self.keys()[0]
        cache_key = (self.endpoints.iam, access_key, self.endpoints.region)
        with _project_lock:
            if cache_key not in _project_ids:
                _project_ids[cache_key] = self._lookup_project()
            self._project_id = _project_ids[cache_key]
        return self._project_id

    def _lookup_project(self) -> str:
        region = self.endpoints.region
        response = self._iam.request("GET", f"{self.endpoints.iam}/v3/projects", params={"name": region},
                                     auth=SignerAuth(self.keys, lambda: None))
        projects = json_of(response, "IAM's project list").get("projects") or []
        found = next((p.get("id") for p in projects if p.get("name") == region and p.get("id")), None)
        if not found:
            raise CredentialsError(f"IAM at {self.endpoints.iam} knows no project named {region!r} for these "
                                   "credentials: check region_name, or pass project_id=")
        return str(found)

    def _fetch_token(self) -> tuple[tuple[str, str], float]:
        c = self.credentials
        given = self._given_project_id
        scope = {"project": {"id": given}} if given else {"project": {"name": self.endpoints.region}}
        body = {"auth": {"identity": {"methods": ["password"], "password": {"user": {
            "name": c.username, "password": c.password, "domain": {"name": c.account or c.username}}}},
            "scope": scope}}
        try:
            response = self._iam.request("POST", f"{self.endpoints.iam}/v3/auth/tokens", params={"nocatalog": "true"},
                                         body=body, expected=(201,), idempotent=True)
        except AuthenticationError as exc:  # only a refusal is about the password; an outage keeps its own advice
            raise AuthenticationError(exc.status, exc.error_code, exc.error_msg, exc.request_id,
                                      f"IAM refused the password of {c.username!r}"
                                      f"{f' in account {c.account!r}' if c.account else ''}: check username, account "
                                      "and password (repeated wrong passwords lock the user)") from None
        token = response.headers.get("X-Subject-Token")
        info = json_of(response, "IAM's token answer").get("token") or {}
        if not token or not info.get("expires_at"):
            raise CredentialsError(f"IAM at {self.endpoints.iam} answered without a token: check iam_endpoint")
        project = (info.get("project") or {}).get("id") or given
        try:
            return (token, project), _parse_time(str(info["expires_at"]))
        except ValueError:
            raise CredentialsError(f"IAM at {self.endpoints.iam} gave an expiry time that cannot be read") from None

    def _fetch_keys_with_token(self) -> tuple[tuple[str, str, str], float]:
        """Temporary AK/SK for OBS from an IAM token (IAM's securitytokens API), for password sessions."""
        body = {"auth": {"identity": {"methods": ["token"], "token": {"duration_seconds": 3600}}}}
        response = self._iam.request("POST", f"{self.endpoints.iam}/v3.0/OS-CREDENTIAL/securitytokens", body=body,
                                     expected=(201,), idempotent=True, auth=_TokenAuth(self))
        return _temporary_keys(json_of(response, "IAM's temporary keys"), f"IAM at {self.endpoints.iam}")

    def _fetch_agency_keys(self) -> tuple[tuple[str, str, str], float]:
        """The notebook agency's temporary keys (spec §4c item 4): no proxy, no redirect, short timeouts, and the
        whole fetch done within METADATA_DEADLINE seconds."""
        base = self.credentials.metadata_url
        with requests.Session() as http:
            http.trust_env = False  # never through a proxy; the metadata service is link-local
            metadata = Transport(None, http=http, timeout=METADATA_TIMEOUT, retries=1, backoff=0.1,
                                 deadline=METADATA_DEADLINE)
            try:
                for attempt in range(2):
                    answer = metadata.request("PUT", f"{base}/meta-data/latest/api/token", expected=(200, 404, 405, 503),
                                              headers={"X-Metadata-Token-Ttl-Seconds": METADATA_TOKEN_TTL})
                    token = answer.text.strip() if answer.status_code == 200 else ""
                    answer = metadata.request("GET", f"{base}/openstack/latest/securitykey", expected=(200, 401),
                                              headers={"X-Metadata-Token": token} if token else None)
                    if answer.status_code == 401 and NO_AGENCY not in answer.text and attempt == 0:
                        continue  # a stale metadata token: get a new one, once
                    break
            except NetworkError:
                failed = True
            else:
                failed = False
        if failed:  # said outside the except block: no chain carries the metadata token
            raise NetworkError(f"the notebook's metadata service at {base} did not answer in time; outside a ModelArts "
                               "notebook unset MODEL_IMPORT_WIDGET_NOTEBOOK, or pass access_key/secret_key", base)
        if answer.status_code != 200:
            if NO_AGENCY in answer.text:
                raise CredentialsError("this notebook has no agency: in the ModelArts console add one under "
                                       "Settings (Global Configuration), or pass access_key/secret_key to Session()")
            raise error_from_response(answer, "the notebook's metadata service refused: pass access_key/secret_key")
        keys, expires_at = _temporary_keys(json_of(answer, "the metadata service's keys"), f"the metadata service at {base}")
        if expires_at <= time.time():
            raise CredentialsError(f"the metadata service at {base} gave keys that have already expired: check the "
                                   "notebook's clock, or restart the notebook")
        return keys, expires_at

    def close(self) -> None:
        self._http.close()


def _temporary_keys(payload: Any, where: str) -> tuple[tuple[str, str, str], float]:
    credential = (payload or {}).get("credential") if isinstance(payload, dict) else None
    credential = credential if isinstance(credential, dict) else {}

    def pick(*names: str) -> str:
        return next((str(credential[n]) for n in names if credential.get(n)), "")

    access = pick("access", "accessKeyId", "access_key_id")
    secret = pick("secret", "secretAccessKey", "secret_access_key")
    token = pick("securitytoken", "securityToken", "security_token")
    expires = pick("expires_at", "expiration")
    if not (access and secret and token and expires):
        raise CredentialsError(f"{where} answered without complete temporary credentials")
    try:
        expires_at = _parse_time(expires)
    except ValueError:
        raise CredentialsError(f"{where} gave an expiry time that cannot be read") from None
    return (access, secret, token), expires_at


class _RefreshingSigner(SignerAuth):
    """SignerAuth over temporary keys; `invalidate()` (called once on a 401) fetches new ones."""

    def __init__(self, keys, project_id, invalidate: Callable[[], None]):
        super().__init__(keys, project_id)
        self._invalidate = invalidate

    def invalidate(self) -> bool:
        self._invalidate()
        return True


class _TokenAuth(requests.auth.AuthBase):
    """X-Auth-Token from the session's IAM token; on a 401 the token is fetched again once."""

    def __init__(self, owner: Authenticator):
        self._owner = owner

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["X-Auth-Token"] = self._owner.token()
        return request

    def invalidate(self) -> bool:
        self._owner._token.invalidate()
        return True

    def __repr__(self) -> str:
        return "<TokenAuth X-Auth-Token>"


__all__ = ["Authenticator"]
