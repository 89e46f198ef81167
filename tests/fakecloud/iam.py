"""The IAM stand-in (spec §4a): password -> project-scoped token, project lookup by region name, and temporary
AK/SK from a token (POST /v3.0/OS-CREDENTIAL/securitytokens). Keystone-style error bodies; never logs a password.
"""

from __future__ import annotations

import json
import threading
from typing import TYPE_CHECKING, Any, Optional

from .auth import AuthFailure, authenticate
from .http import HttpError, Reply, Request, StandIn
from .keyring import iso_time

if TYPE_CHECKING:
    from .cloud import FakeCloud


def keystone_error(status: int, message: str, title: str, headers: Optional[dict[str, str]] = None) -> Reply:
    return Reply.json(status, {"error": {"code": status, "message": message, "title": title}}, headers)


class IamStandIn(StandIn):
    service = "iam"

    def __init__(self, cloud: "FakeCloud", *, host: str = "127.0.0.1", **kwargs: Any):
        super().__init__(host=host, **kwargs)
        self.cloud = cloud
        self.token_lifetime = 86400.0
        self.issued_tokens = 0                                      # successful POST /v3/auth/tokens
        self._count_lock = threading.Lock()
        self.users: dict[tuple[str, str], tuple[str, str]] = {}   # (domain name, user name) -> (password, user id)

    def add_user(self, name: str, password: str, user_id: str) -> None:
        self.users[(self.cloud.account, name)] = (password, user_id)

    def handle(self, request: Request) -> Reply:
        routes = {"/v3/auth/tokens": ("POST", self._tokens), "/v3/projects": ("GET", self._projects),
                  "/v3.0/OS-CREDENTIAL/securitytokens": ("POST", self._securitytokens)}
        if request.path not in routes:
            return keystone_error(404, "The resource could not be found.", "Not Found")
        method, action = routes[request.path]
        if request.method != method:
            return keystone_error(405, f"Method {request.method} is not allowed.", "Method Not Allowed",
                                  {"Allow": method})
        return action(request)

    def redact_body(self, request: Request) -> bytes:
        if request.path != "/v3/auth/tokens":
            return request.body
        try:
            body = json.loads(request.body)
            body["auth"]["identity"]["password"]["user"]["password"] = "***"
            return json.dumps(body).encode()
        except (ValueError, KeyError, TypeError):
            return b"***"     # unparseable: it may still hold a password

    def _bad(self, field: str) -> HttpError:
        return HttpError(keystone_error(400, f"Invalid input for field '{field}'.", "Bad Request"))

    @staticmethod
    def _object(value: Any, field: str, bad) -> dict:
        if not isinstance(value, dict):
            raise bad(field)
        return value

    # -- POST /v3/auth/tokens ----------------------------------------------------------------------------------
    def _tokens(self, request: Request) -> Reply:
        params = dict(request.params())
        if set(params) - {"nocatalog"} or params.get("nocatalog", "true") not in ("true", "false"):
            raise self._bad("nocatalog")
        auth, identity = self._auth_body(request, "password")
        user = self._object(self._object(identity.get("password"), "auth.identity.password", self._bad).get("user"),
                            "auth.identity.password.user", self._bad)
        domain = self._object(user.get("domain"), "auth.identity.password.user.domain", self._bad)
        for value, field in ((user.get("name"), "user.name"), (user.get("password"), "user.password"),
                             (domain.get("name"), "user.domain.name")):
            if not isinstance(value, str) or not value:
                raise self._bad(f"auth.identity.password.{field}")
        scope = self._object(auth.get("scope"), "auth.scope", self._bad)
        known = self.users.get((domain["name"], user["name"]))
        if known is None or known[0] != user["password"]:
            return keystone_error(401, "The username or password is wrong.", "Unauthorized")
        cloud = self.cloud
        if "project" in scope:
            project = self._object(scope["project"], "auth.scope.project", self._bad)
            if project.get("name", cloud.region) != cloud.region or project.get("id", cloud.project_id) != cloud.project_id \
                    or not ({"name", "id"} & set(project)):
                raise self._bad("auth.scope.project")
            project_id, project_name = cloud.project_id, cloud.region
        elif "domain" in scope:
            scoped = self._object(scope["domain"], "auth.scope.domain", self._bad)
            if scoped.get("name", cloud.account) != cloud.account or scoped.get("id", cloud.domain_id) != cloud.domain_id:
                raise self._bad("auth.scope.domain")
            project_id = project_name = None
        else:
            raise self._bad("auth.scope")
        token = cloud.keyring.issue_token(lifetime=self.token_lifetime, user_id=known[1], user_name=user["name"],
                                          domain_id=cloud.domain_id, domain_name=cloud.account,
                                          project_id=project_id, project_name=project_name)
        with self._count_lock:
            self.issued_tokens += 1
        domain_ref = {"id": cloud.domain_id, "name": cloud.account}
        payload: dict[str, Any] = {
            "expires_at": iso_time(token.expires_at), "issued_at": iso_time(token.issued_at), "methods": ["password"],
            "user": {"id": known[1], "name": user["name"], "domain": domain_ref, "password_expires_at": ""},
            "roles": [], "catalog": []}
        if project_id is not None:
            payload["project"] = {"id": project_id, "name": project_name, "domain": domain_ref}
        else:
            payload["domain"] = domain_ref
        return Reply.json(201, {"token": payload}, {"X-Subject-Token": token.value})

    # -- GET /v3/projects --------------------------------------------------------------------------------------
    def _authenticate(self, request: Request):
        try:
            return authenticate(request, self.cloud.keyring, server_time=self.cloud.server_time(),
                                domain_id=self.cloud.domain_id)
        except AuthFailure as failure:
            if failure.kind == "token":
                raise HttpError(keystone_error(401, "The request you have made requires authentication.",
                                               "Unauthorized")) from None
            raise HttpError(self.error(failure.status, failure.code, failure.message, request)) from None

    def _projects(self, request: Request) -> Reply:
        self._authenticate(request)
        params = dict(request.params())
        unknown = sorted(set(params) - {"name", "domain_id", "enabled", "page", "per_page"})
        if unknown:
            raise self._bad(unknown[0])
        cloud = self.cloud
        project = {"id": cloud.project_id, "name": cloud.region, "domain_id": cloud.domain_id, "enabled": True,
                   "is_domain": False, "parent_id": cloud.domain_id, "description": "",
                   "links": {"self": f"{self.url}/v3/projects/{cloud.project_id}"}}
        projects = [project] if params.get("name", cloud.region) == cloud.region else []
        return Reply.json(200, {"projects": projects, "links": {"self": f"{self.url}/v3/projects", "next": None,
                                                                "previous": None}})

    def expired_reply(self, request: Request) -> Reply:
        if request.header("X-Auth-Token"):
            return keystone_error(401, "The request you have made requires authentication.", "Unauthorized")
        return super().expired_reply(request)

    def _auth_body(self, request: Request, method: str) -> tuple[dict, dict]:
        """`auth` and `auth.identity` of a Keystone-style body whose only method is `method`, or a 400 naming the part."""
        try:
            body = request.json()
        except ValueError:
            raise self._bad("auth") from None
        auth = self._object(self._object(body, "body", self._bad).get("auth"), "auth", self._bad)
        identity = self._object(auth.get("identity"), "auth.identity", self._bad)
        if identity.get("methods") != [method]:
            raise self._bad("auth.identity.methods")
        return auth, identity

    # -- POST /v3.0/OS-CREDENTIAL/securitytokens ---------------------------------------------------------------
    def _securitytokens(self, request: Request) -> Reply:
        if request.header("X-Auth-Token") is None:
            return keystone_error(401, "The request you have made requires authentication.", "Unauthorized")
        principal = self._authenticate(request)
        auth, identity = self._auth_body(request, "token")
        token_part = self._object(identity.get("token", {}), "auth.identity.token", self._bad)
        if set(token_part) - {"id", "duration_seconds"}:
            raise self._bad("auth.identity.token")
        duration = token_part.get("duration_seconds", 900)
        if isinstance(duration, bool) or not isinstance(duration, int) or not 900 <= duration <= 86400:
            raise self._bad("auth.identity.token.duration_seconds")
        if "id" in token_part and token_part["id"] != principal.token.value:
            raise self._bad("auth.identity.token.id")
        credential = self.cloud.keyring.issue_temporary(duration, source="securitytoken")
        return Reply.json(201, {"credential": {"access": credential.access, "secret": credential.secret,
                                               "securitytoken": credential.security_token,
                                               "expires_at": iso_time(credential.expires_at or 0)}})
