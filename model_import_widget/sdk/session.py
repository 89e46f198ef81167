"""`Session()`: finds credentials by itself and picks a backend — ModelArts, or the embedded registry when there are none.

Constructing a session reads arguments, variables and files only; it opens no connection and prints no secret.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Optional

from ..errors import BackendUnavailableError, CredentialsError
from .backend import RegistryBackend
from .credentials import Credentials, resolve_credentials

ENV_BACKEND = "MODEL_IMPORT_WIDGET_BACKEND"
BACKENDS = ("embedded", "modelarts")


class Session:
    """Authentication and backend for `Model`: `Session()` works in a notebook, on a laptop and in CI.

    Credentials are looked for in order: the arguments, the environment (HUAWEICLOUD_SDK_AK/SK), the
    profile file (~/.huaweicloud/credentials), a ModelArts notebook's agency. With none, or with
    `backend="embedded"` / MODEL_IMPORT_WIDGET_BACKEND=embedded, models go to the embedded registry
    at $MODEL_IMPORT_WIDGET_HOME (default ~/.model_import_widget).
    """

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
            raise ValueError(f"{where}{chosen!r} is not a backend: use 'embedded' or 'modelarts'")
        self._credentials: Optional[Credentials] = None
        self._home = Path(home).expanduser() if home is not None else None
        self._client: Optional[RegistryBackend] = None
        self._lock = threading.Lock()
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
        self.region_name = (self._credentials.region_name if self._credentials else None) or region_name
        self.project_id = (self._credentials.project_id if self._credentials else None) or project_id

    @property
    def credential_source(self) -> str:
        """"none", "explicit", "env", "profile" or "notebook"."""
        return self._credentials.source if self._credentials else "none"

    @property
    def home(self) -> Path:
        """Where the embedded registry keeps its files."""
        from ..registry import default_home

        return self._home or default_home()

    def describe(self) -> str:
        """One line for people: which backend, and where the credentials came from. Never a secret."""
        if self.backend == "embedded":
            return f"embedded registry at {self.home} ({self._why_embedded})"
        region = self.region_name or "region not set"
        project = f", project {self.project_id}" if self.project_id else ""
        return f"ModelArts ({region}{project}) with {self._credentials.describe()}"

    @property
    def client(self) -> RegistryBackend:
        """The backend that serves this session's requests, opened on first use."""
        with self._lock:
            if self._client is None:
                if self.backend == "embedded":
                    from ..registry import EmbeddedRegistry

                    self._client = EmbeddedRegistry(self.home)
                else:
                    raise BackendUnavailableError(
                        f"this session targets ModelArts ({self._credentials.describe()}), but the ModelArts backend "
                        "is not available in this version yet; use Session(backend='embedded') to import into the "
                        "embedded registry on this machine")
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
        return f"<Session {self.describe()}>"
