"""`Session()`: finds credentials by itself and picks a backend — ModelArts, or the embedded registry when there are none.

Constructing a session reads arguments, variables and files only; it opens no connection and prints no secret.
The backend is built from one table (name -> builder) the first time `session.client` is used.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any, Callable, Optional

from ..backend import RegistryBackend
from ..errors import CredentialsError
from .credentials import ENV_REGION, Credentials, resolve_credentials

ENV_BACKEND = "MODEL_IMPORT_WIDGET_BACKEND"


def _embedded(session: "Session") -> RegistryBackend:
    from ..registry import EmbeddedRegistry

    return EmbeddedRegistry(session.home)


def _modelarts(session: "Session") -> RegistryBackend:
    from .modelarts import ModelArtsBackend

    return ModelArtsBackend(session._credentials, session.endpoints(), project_id=session.project_id,
                            state_dir=session.home / "uploads")


BACKENDS: dict[str, Callable[["Session"], RegistryBackend]] = {"embedded": _embedded, "modelarts": _modelarts}
"""Backend name -> builder, as MLflow picks a store by URI scheme: a new backend is one row."""


class _ClassOrInstanceMethod:
    """`Session.set_endpoint(...)` before sessions are made (the vendor's way) or `session.set_endpoint(...)`."""

    def __init__(self, function: Callable[..., None]):
        self.function = function
        self.__doc__ = function.__doc__

    def __get__(self, instance: Any, owner: type) -> Callable[..., None]:
        target = instance if instance is not None else owner
        return lambda *args, **kwargs: self.function(target, *args, **kwargs)


class Session:
    """Authentication and backend for `Model`: `Session()` works in a notebook, on a laptop and in CI.

    Credentials are looked for in order: the arguments, the environment (HUAWEICLOUD_SDK_AK/SK), the
    profile file (~/.huaweicloud/credentials), a ModelArts notebook's agency. With none, or with
    `backend="embedded"` / MODEL_IMPORT_WIDGET_BACKEND=embedded, models go to the embedded registry
    at $MODEL_IMPORT_WIDGET_HOME (default ~/.model_import_widget).
    """

    _endpoint_overrides: dict[str, Optional[str]] = {}  # class-wide, from Session.set_endpoint(...)
    _region_override: Optional[str] = None

    def __init__(
        self,
        access_key: Optional[str] = None,
        secret_key: Optional[str] = None,
        project_id: Optional[str] = None,
        region_name: Optional[str] = None,
        account: Optional[str] = None,
        username: Optional[str] = None,
        password: Optional[str] = None,
        *,
        security_token: Optional[str] = None,
        backend: Optional[str] = None,
        home: Optional[os.PathLike | str] = None,
    ):
        chosen = (backend or os.environ.get(ENV_BACKEND, "") or "").strip().lower() or None
        if chosen is not None and chosen not in BACKENDS:
            where = "backend=" if backend else f"{ENV_BACKEND}="
            raise ValueError(f"{where}{chosen!r} is not a backend: use {' or '.join(map(repr, BACKENDS))}")
        self._credentials: Optional[Credentials] = None
        self._home = Path(home).expanduser() if home is not None else None
        self._client: Optional[RegistryBackend] = None
        self._lock = threading.Lock()
        self._endpoint_overrides = dict(type(self)._endpoint_overrides)
        self._why_embedded = "no cloud credentials found"
        if chosen == "embedded":
            self.backend = "embedded"
            self._why_embedded = "backend='embedded'" if backend else f"{ENV_BACKEND}=embedded"
        else:
            self._credentials = resolve_credentials(
                access_key=access_key, secret_key=secret_key, project_id=project_id, region_name=region_name,
                account=account, username=username, password=password, security_token=security_token,
            )
            if self._credentials is None and chosen == "modelarts":
                raise CredentialsError("backend 'modelarts' needs credentials: pass access_key/secret_key, set "
                                       "HUAWEICLOUD_SDK_AK and HUAWEICLOUD_SDK_SK, or write ~/.huaweicloud/credentials")
            self.backend = "modelarts" if self._credentials is not None else "embedded"
        found = self._credentials
        # region: the argument, Session.set_endpoint(region_name=), the environment, the profile / notebook
        self.region_name = (region_name or type(self)._region_override or os.environ.get(ENV_REGION)
                            or (found.region_name if found else None) or None)
        self.project_id = project_id or (found.project_id if found else None)

    @property
    def credential_source(self) -> str:
        """"none", "explicit", "env", "profile" or "notebook"."""
        return self._credentials.source if self._credentials else "none"

    @property
    def home(self) -> Path:
        """Where the embedded registry keeps its files (and a cloud session its upload checkpoints)."""
        from ..registry import default_home

        return self._home or default_home()

    @property
    def home_given(self) -> bool:
        """Whether `home=` was passed (else the home is found: $MODEL_IMPORT_WIDGET_HOME or the default)."""
        return self._home is not None

    @_ClassOrInstanceMethod
    def set_endpoint(target: Any, iam_endpoint: Optional[str] = None, obs_endpoint: Optional[str] = None,
                     modelarts_endpoint: Optional[str] = None, region_name: Optional[str] = None) -> None:
        """Where a cloud session's requests go, outside a notebook (e.g. another cloud that runs ModelArts).
        On the class it applies to the sessions made afterwards; on a session, to that session."""
        given = {"iam_endpoint": iam_endpoint, "obs_endpoint": obs_endpoint, "modelarts_endpoint": modelarts_endpoint}
        if isinstance(target, type):
            target._endpoint_overrides = {**target._endpoint_overrides, **{k: v for k, v in given.items() if v}}
            if region_name:
                target._region_override = region_name
            return
        with target._lock:
            target._endpoint_overrides.update({k: v for k, v in given.items() if v})
            if region_name:
                target.region_name = region_name
            if target._client is not None:  # the next request goes to the new endpoints
                target._client.close()
                target._client = None

    def endpoints(self):
        """The ModelArts, IAM and OBS base URLs of this session's region. Raises CredentialsError with no region."""
        from .endpoints import resolve_endpoints

        if not self.region_name:
            raise CredentialsError(
                f"this session has cloud credentials ({self._credentials.describe() if self._credentials else 'none'}) "
                f"but no region: pass region_name= (e.g. 'cn-north-4'), set {ENV_REGION}, or add region = ... to the "
                "profile file; Session(backend='embedded') uses the embedded registry instead")
        return resolve_endpoints(self.region_name, self._endpoint_overrides)

    def describe(self) -> str:
        """One line for people: which backend, and where the credentials came from. Never a secret."""
        if self.backend == "embedded":
            return f"embedded registry at {self.home} ({self._why_embedded})"
        region = self.region_name or "region not set"
        project = f", project {self.project_id}" if self.project_id else ""
        return f"ModelArts ({region}{project}) with {self._credentials.describe()}"

    @property
    def client(self) -> RegistryBackend:
        """The backend that serves this session's requests, built on first use."""
        with self._lock:
            if self._client is None:
                self._client = BACKENDS[self.backend](self)
            return self._client

    def close(self) -> None:
        with self._lock:
            if self._client is not None:
                self._client.close()
                self._client = None

    def __enter__(self) -> "Session":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        try:
            return f"<Session {self.describe()}>"
        except Exception:  # half-built
            return "<Session>"
