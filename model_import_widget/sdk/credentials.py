"""Where cloud credentials come from: explicit arguments, the environment, a profile file, a ModelArts notebook.

Resolution only reads local state (arguments, variables, files); it never contacts a network address.
Secrets live only in `Credentials` private slots and never reach a repr, a log line or an exception.
"""

from __future__ import annotations

import configparser
import getpass
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping, Optional

from ..errors import CredentialsError

ENV_AK, ENV_SK = "HUAWEICLOUD_SDK_AK", "HUAWEICLOUD_SDK_SK"
ENV_SECURITY_TOKEN = "HUAWEICLOUD_SDK_SECURITY_TOKEN"
ENV_PROJECT_ID = "HUAWEICLOUD_SDK_PROJECT_ID"
ENV_REGION = "HUAWEICLOUD_SDK_REGION"
ENV_PASSWORD = "HUAWEICLOUD_SDK_PASSWORD"
ENV_PROFILE_FILE = "HUAWEICLOUD_SDK_CREDENTIALS_FILE"
ENV_NOTEBOOK = "MODEL_IMPORT_WIDGET_NOTEBOOK"  # "1" opts in to the notebook agency outside a detected notebook
ENV_METADATA_URL = "MODEL_IMPORT_WIDGET_METADATA_URL"
DEFAULT_METADATA_URL = "http://169.254.169.254"

SOURCES = ("none", "explicit", "env", "profile", "notebook")


@dataclass(repr=False)
class Credentials:
    """What a cloud session authenticates with. `repr` and `describe` show no secret."""

    source: str
    kind: str  # "aksk", "password" or "agency"
    access_key: Optional[str] = None
    project_id: Optional[str] = None
    region_name: Optional[str] = None
    account: Optional[str] = None
    username: Optional[str] = None
    metadata_url: Optional[str] = None
    origin: str = ""  # where they were found, for people: "HUAWEICLOUD_SDK_AK", "~/.huaweicloud/credentials"
    _secret_key: Optional[str] = field(default=None)
    _password: Optional[str] = field(default=None)
    _security_token: Optional[str] = field(default=None)

    @property
    def secret_key(self) -> Optional[str]:
        return self._secret_key

    @property
    def password(self) -> Optional[str]:
        return self._password

    @property
    def security_token(self) -> Optional[str]:
        return self._security_token

    def describe(self) -> str:
        if self.kind == "aksk":
            who = f"AK/SK {mask(self.access_key)}" + (" with a security token" if self._security_token else "")
        elif self.kind == "password":
            who = f"IAM user {self.username}" + (f" of account {self.account}" if self.account else "")
        else:
            return "the ModelArts notebook's agency (temporary keys from its metadata service)"
        return f"{who} from {self.origin or self.source}"

    def __repr__(self) -> str:
        return f"Credentials(source={self.source!r}, {self.describe()})"


def mask(access_key: Optional[str]) -> str:
    """An access key id shortened for display: the last four characters only."""
    if not access_key:
        return "(none)"
    return "…" + access_key[-4:] if len(access_key) > 4 else "…"


def from_arguments(
    access_key: Optional[str] = None,
    secret_key: Optional[str] = None,
    project_id: Optional[str] = None,
    region_name: Optional[str] = None,
    account: Optional[str] = None,
    username: Optional[str] = None,
    password: Optional[str] = None,
    security_token: Optional[str] = None,
    environ: Mapping[str, str] = os.environ,
) -> Optional[Credentials]:
    """The seed's `Session(...)` arguments, or None when none of them were given."""
    if access_key or secret_key:
        if not (access_key and secret_key):
            missing = "secret_key" if access_key else "access_key"
            raise CredentialsError(f"Session() got only one half of an AK/SK pair: pass {missing} too "
                                   "(or neither, to use the environment, a profile file or the embedded registry)")
        return Credentials("explicit", "aksk", access_key=access_key, project_id=project_id, region_name=region_name,
                           origin="Session() arguments", _secret_key=secret_key, _security_token=security_token)
    if username or account or password:
        password = password or environ.get(ENV_PASSWORD)
        if not username:
            raise CredentialsError("Session() got a password or account but no username: pass username= "
                                   "(the IAM user, or the account name for the main user)")
        if not password:
            raise CredentialsError(f"Session(username={username!r}) needs password= or the variable {ENV_PASSWORD}")
        return Credentials("explicit", "password", project_id=project_id, region_name=region_name, account=account,
                           username=username, origin="Session() arguments", _password=password)
    return None


def from_environment(environ: Mapping[str, str] = os.environ) -> Optional[Credentials]:
    ak, sk = environ.get(ENV_AK, "").strip(), environ.get(ENV_SK, "").strip()
    if not ak and not sk:
        return None
    if not (ak and sk):
        present, missing = (ENV_AK, ENV_SK) if ak else (ENV_SK, ENV_AK)
        raise CredentialsError(f"{present} is set but {missing} is not: set both, or unset {present}")
    return Credentials("env", "aksk", access_key=ak, project_id=environ.get(ENV_PROJECT_ID) or None,
                       region_name=environ.get(ENV_REGION) or None, origin=f"the environment ({ENV_AK})",
                       _secret_key=sk, _security_token=environ.get(ENV_SECURITY_TOKEN, "").strip() or None)


def profile_path(environ: Mapping[str, str] = os.environ) -> Path:
    if environ.get(ENV_PROFILE_FILE):
        return Path(environ[ENV_PROFILE_FILE]).expanduser()
    return Path(environ.get("HOME") or Path.home()) / ".huaweicloud" / "credentials"


def from_profile(environ: Mapping[str, str] = os.environ) -> Optional[Credentials]:
    """The `[basic]` (or `[global]`) section of the huaweicloud credentials file, as huaweicloudsdkcore reads it."""
    path = profile_path(environ)
    if not path.is_file():
        return None
    parser = configparser.ConfigParser(interpolation=None)  # a secret may contain %: read it as written
    try:
        parser.read(path, encoding="utf-8")
        section = next((parser[name] for name in ("basic", "global") if parser.has_section(name)), None)
        values = {key: (section.get(key, "") or "").strip() for key in ("ak", "sk", "security_token", "project_id", "region")} \
            if section is not None else None
    except (configparser.Error, UnicodeDecodeError, ValueError) as exc:
        # the parser's own message can quote a line of the file, secrets included: say only what kind of problem
        raise CredentialsError(f"cannot read the credentials file {path}: {type(exc).__name__} "
                               "(it must be an INI file with a [basic] section holding ak and sk)") from None
    if values is None:
        return None
    ak, sk = values["ak"], values["sk"]
    if not ak and not sk:
        return None
    if not (ak and sk):
        raise CredentialsError(f"the credentials file {path} has {'ak' if ak else 'sk'} but not {'sk' if ak else 'ak'} "
                               f"in [{section.name}]: add the missing key")
    return Credentials("profile", "aksk", access_key=ak, project_id=values["project_id"] or None,
                       region_name=values["region"] or environ.get(ENV_REGION) or None, origin=str(path),
                       _secret_key=sk, _security_token=values["security_token"] or None)


def in_modelarts_notebook(environ: Mapping[str, str] = os.environ) -> bool:
    """A ModelArts notebook runs as ma-user with home /home/ma-user; MODEL_IMPORT_WIDGET_NOTEBOOK=1 opts in."""
    if environ.get(ENV_NOTEBOOK, "").strip() == "1":
        return True
    try:
        user = getpass.getuser()
    except Exception:  # no passwd entry in some containers
        user = environ.get("USER", "")
    return user == "ma-user" and environ.get("HOME", "") == "/home/ma-user"


def from_notebook(environ: Mapping[str, str] = os.environ) -> Optional[Credentials]:
    """The notebook's agency; its temporary keys are fetched from the metadata URL only when a request needs them."""
    if not in_modelarts_notebook(environ):
        return None
    url = environ.get(ENV_METADATA_URL, DEFAULT_METADATA_URL).rstrip("/")
    return Credentials("notebook", "agency", region_name=environ.get(ENV_REGION) or None,
                       project_id=environ.get(ENV_PROJECT_ID) or None, metadata_url=url,
                       origin="the ModelArts notebook's agency")


def resolve_credentials(environ: Mapping[str, str] = os.environ, **arguments: Optional[str]) -> Optional[Credentials]:
    """The first source that has credentials: arguments, environment, profile file, notebook; None if none has."""
    found = from_arguments(environ=environ, **arguments)
    for provider in (from_environment, from_profile, from_notebook):
        if found is not None:
            return found
        found = provider(environ)
    return found
