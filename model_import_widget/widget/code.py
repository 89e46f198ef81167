"""The SDK code of an import, as the form's "Show code" displays it and `form.to_code()` returns it.

Writes `Session()` and never a credential: the reader's session finds its own, the same way.
"""

from __future__ import annotations

import json
import pprint
from typing import Any


def sdk_code(fields: dict[str, Any], session: Any, wait: bool, order: list[str],
             obs_location: str | None = None) -> str:
    """Python that makes the same import: `fields` as the SDK takes them, in the form's `order`. A local folder
    going to ModelArts gets the `obs_location=` it is uploaded to."""
    data = {key: fields[key] for key in sorted(fields, key=lambda k: order.index(k) if k in order else len(order))}
    if isinstance(data.get("apis"), str):
        try:
            data["apis"] = json.loads(data["apis"])
        except (ValueError, RecursionError):
            pass  # kept as typed; the rule table reports it
    if session.backend == "embedded" and session.home_given:  # the user chose that folder: the code says it
        session_line = f"session = Session(backend=\"embedded\", home={str(session.home)!r})"
    elif session.backend == "embedded":  # found the same way on the reader's machine: no local path written
        session_line = "session = Session(backend=\"embedded\")"
    elif session.credential_source == "explicit":
        session_line = "session = Session()  # pass the credentials you used: access_key=..., secret_key=... (never written here)"
    else:
        session_line = f"session = Session()  # {session.credential_source} credentials, found the same way"
    lines = ["from model_import_widget.sdk.session import Session",
             "from model_import_widget.sdk.model import Model",
             "from model_import_widget.sdk.config.model_config import Params, Dependencies, Packages",
             "", session_line, "model = Model(", "    session,"]
    for key, value in data.items():
        lines.append(f"    {key}={_render(key, value)},")
    if session.backend != "embedded" and str(fields.get("source_location_type", "")).upper() == "LOCAL_SOURCE":
        lines.append(f"    obs_location={obs_location!r},  # the local folder is uploaded here first" if obs_location
                     else "    obs_location=\"obs://<bucket>/<folder>/\",  # where the local folder is uploaded first")
    lines += [f"    wait={wait!r},", ")"]
    return "\n".join(lines) + "\n"


def _render(key: str, value: Any) -> str:
    if key in ("input_params", "output_params"):
        return "[\n" + "".join(f"        Params({_kwargs(row)}),\n" for row in value) + "    ]"
    if key == "dependencies":
        return "[\n" + "".join(
            f"        Dependencies(installer={group['installer']!r}, packages=[\n"
            + "".join(f"            Packages({_kwargs(p)}),\n" for p in group["packages"]) + "        ]),\n"
            for group in value) + "    ]"
    if key == "apis" and not isinstance(value, str):
        try:
            return pprint.pformat(value, indent=1, width=100, sort_dicts=False).replace("\n", "\n    ")
        except RecursionError:  # nested deeper than Python's stack: as one line of JSON (the rule table refuses it)
            return repr(json.dumps(value))
    return repr(value)


def _kwargs(row: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in row.items())
