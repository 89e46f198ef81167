"""Where a cloud session's requests go: the ModelArts, IAM and OBS endpoints of a region, on any cloud that runs ModelArts.

Only reads arguments and environment variables; never resolves a name or opens a connection.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Mapping, Optional
from urllib.parse import urlsplit

from ..errors import CredentialsError
from ..spec import CLOUD_DOMAIN_PATTERN, MODELARTS_DOMAIN_BY_REGION, REGION_PATTERN

ENV_CLOUD_DOMAIN = "MODEL_IMPORT_WIDGET_CLOUD_DOMAIN"
DEFAULT_CLOUD_DOMAIN = "myhuaweicloud.com"
ENV_IAM_ENDPOINT = "HUAWEICLOUD_SDK_IAM_ENDPOINT"
ENV_SERVICE_ENDPOINT = "HUAWEICLOUD_SDK_REGION_{service}_{region}"
"""huaweicloudsdkcore's per-region override (a comma-separated list; the first is used), e.g.
HUAWEICLOUD_SDK_REGION_MODELARTS_CN_NORTH_4. The same form is read for OBS (…_OBS_CN_NORTH_4)."""


@dataclass(frozen=True)
class Endpoints:
    """Base URLs (scheme://host[:port], no trailing /) of the services a cloud session talks to."""

    region: str
    modelarts: str
    iam: str
    obs: str

    @property
    def obs_host(self) -> str:
        """host[:port] of the OBS endpoint: a bucket's virtual host is `<bucket>.<obs_host>`."""
        return urlsplit(self.obs).netloc

    @property
    def obs_scheme(self) -> str:
        return urlsplit(self.obs).scheme or "https"


_HOST = re.compile(r"^([A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$|^\[[0-9A-Fa-f:.]+\]$")


def _base_url(value: str, what: str, *, path: bool = True) -> str:
    """`https://host[:port][/path]` checked: a real host name or address, no user name or password, no query."""
    value = value.strip()
    if "://" not in value:
        value = "https://" + value
    parts = urlsplit(value.rstrip("/"))
    shown = f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}{parts.path}"
    try:
        port_ok = parts.port is None or 0 < parts.port < 65536
    except ValueError:
        port_ok = False
    host = parts.netloc.rpartition("@")[2].rsplit(":", 1)[0] if not parts.netloc.endswith("]") else parts.netloc
    if "@" in parts.netloc:
        raise CredentialsError(f"{what} {shown!r} holds a user name or password: give the endpoint without them "
                               "(credentials go to Session())")
    if parts.scheme not in ("http", "https") or not _HOST.match(host or "") or not port_ok or parts.query \
            or parts.fragment or (parts.path and not path):
        raise CredentialsError(f"{what} {shown!r} is not an endpoint: give it as https://host[:port]"
                               + ("" if path else " (no path)"))
    return f"{parts.scheme}://{parts.netloc}{parts.path if path else ''}"


def _override(service: str, region: str, environ: Mapping[str, str]) -> Optional[str]:
    name = ENV_SERVICE_ENDPOINT.format(service=service, region=region.upper().replace("-", "_"))
    value = (environ.get(name) or "").split(",")[0].strip()
    return _base_url(value, name, path=service != "OBS") if value else None


def resolve_endpoints(region: str, overrides: Optional[Mapping[str, Optional[str]]] = None,
                      environ: Mapping[str, str] = os.environ) -> Endpoints:
    """Explicit endpoints (`Session.set_endpoint`) first, then the environment's overrides, then
    `https://<service>.<region>.<domain>` with the domain from MODEL_IMPORT_WIDGET_CLOUD_DOMAIN."""
    overrides = {k: v for k, v in (overrides or {}).items() if v}
    if not re.fullmatch(REGION_PATTERN, region or ""):
        raise CredentialsError(f"region {region!r} is not a region id: give one like cn-north-4 or eu-de "
                               "(it becomes part of the service's host name)")
    domain = (environ.get(ENV_CLOUD_DOMAIN) or DEFAULT_CLOUD_DOMAIN).strip().strip(".").lower()
    if not re.fullmatch(CLOUD_DOMAIN_PATTERN, domain):
        raise CredentialsError(f"{ENV_CLOUD_DOMAIN}={domain!r} is not a DNS domain: give one like myhuaweicloud.com")

    def pick(service: str, explicit: Optional[str], env_value: Optional[str]) -> str:
        if explicit:
            return _base_url(explicit, f"{service}_endpoint", path=service != "obs")
        exception = MODELARTS_DOMAIN_BY_REGION.get(region) if service == "modelarts" and domain == DEFAULT_CLOUD_DOMAIN \
            else None
        return env_value or f"https://{service}.{region}.{exception or domain}"

    iam_env = environ.get(ENV_IAM_ENDPOINT, "").strip()
    return Endpoints(
        region=region,
        modelarts=pick("modelarts", overrides.get("modelarts_endpoint"), _override("MODELARTS", region, environ)),
        iam=pick("iam", overrides.get("iam_endpoint"), _base_url(iam_env, ENV_IAM_ENDPOINT) if iam_env else None),
        obs=pick("obs", overrides.get("obs_endpoint"), _override("OBS", region, environ)),
    )
