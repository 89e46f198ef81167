"""Which versions of a model name are taken, and the next free one.

`Model()` uses it to pick a version when none is given; the form uses it to say, before importing, that the typed
version is taken and which one is free. One listing call each, the service's own exact-name filter.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .. import spec


def taken_versions(session: Any, name: str) -> dict[str, str]:
    """{version: model id} of every model called exactly `name` (at most the service's page of 1 000)."""
    listing = session.client.list_models(model_name=name, exact_match=True, limit=1000)["models"]
    return {str(m["model_version"]): m["model_id"] for m in listing if m.get("model_name") == name}


@dataclass(frozen=True)
class VersionCheck:
    """Whether `name` `version` is free; if not, the model that holds it and the next free version."""

    name: str
    version: str
    existing_id: str | None
    next_free: str

    @property
    def free(self) -> bool:
        return self.existing_id is None

    @property
    def message(self) -> str:
        return (f"{self.name} {self.version} exists already (id {self.existing_id}); the next free version is "
                f"{self.next_free}")


def check_version(session: Any, name: str, version: str) -> VersionCheck:
    """Is `version` of `name` free? With no version, the check is of the version a new import would get."""
    taken = taken_versions(session, name)
    if not version:
        return VersionCheck(name, "", None, spec.first_free_version(set(taken)))
    existing = taken.get(version)
    return VersionCheck(name, version, existing, spec.next_free_version(version, set(taken)) if existing else version)
