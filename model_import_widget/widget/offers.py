"""What the form offers under its fields, as pure functions of what was found: the next free version for a taken one,
and the packages the code imports that the dependencies do not list. Each returns the prompt the browser draws
({id, text, level, buttons}), in the form's language; the form keeps them and acts on their buttons."""

from __future__ import annotations

from typing import Any, Optional

from . import i18n


def version_offer(found: Any, language: str) -> tuple[dict, dict]:
    """For a taken version (`found`: sdk.versions.VersionCheck, not free): the version field's error, and the prompt
    offering the next free version."""
    message = i18n.text("{name} {version} exists already (id {model_id}); the next free version is {next}", language,
                        name=found.name, version=found.version, model_id=str(found.existing_id), next=found.next_free)
    prompt = {"id": "version", "text": i18n.text("Use the next free version?", language), "level": "info",
              "buttons": [{"id": "use_version", "style": "primary",
                           "label": i18n.text("Use version {version}", language, version=found.next_free)}]}
    return {"field": "model_version", "type": "duplicate", "message": message}, prompt


def dependencies_offer(found: list[dict], listed: set[str], language: str) -> tuple[list[dict], Optional[dict]]:
    """From package.infer_dependencies' rows: the ones to offer (installed, not the engine's own, not listed yet by
    lower-case name) and the prompt saying so, also naming imports no installed package provides; None if nothing."""
    offered = [d for d in found if d["installed"] and not d["in_runtime"] and d["package_name"].lower() not in listed]
    missing = [d["imported_as"] for d in found if not d["installed"] and not d["in_runtime"]]
    if not offered and not missing:
        return [], None
    t = lambda english, **values: i18n.text(english, language, **values)  # noqa: E731
    text = t("The code imports {packages}, not in the dependencies: add them, pinned to this kernel's versions? "
             "(Change or remove rows in the table afterwards.)",
             packages=", ".join(f"{d['package_name']} {d['package_version']}" for d in offered)) if offered else ""
    if missing:
        text += (" " if text else "") + t("No installed package provides {modules}: check the names.",
                                          modules=", ".join(missing))
    buttons = [{"id": "add_dependencies", "label": t("Add them"), "style": "primary"},
               {"id": "skip_dependencies", "label": t("Not now")}] if offered else \
        [{"id": "skip_dependencies", "label": t("Close")}]
    return offered, {"id": "dependencies", "level": "info", "text": text, "buttons": buttons}
