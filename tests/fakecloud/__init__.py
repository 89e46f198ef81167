"""Stand-ins for the Huawei Cloud services the SDK talks to (ModelArts, IAM, ECS metadata, OBS), as real HTTP
servers on 127.0.0.1 that follow the ModelArts API facts (../shared/spec/modelarts-api.md §1–§4, beside the
project's own checkout) strictly. Test code only.

    from fakecloud import FakeCloud          # or: from tests.fakecloud import FakeCloud
    with FakeCloud(publish_delay=0.05) as cloud: ...

Modules: faults.py (scripted faults), keyring.py (AK/SK pairs, temporary keys, IAM tokens), http.py (the shared
server, handler base `StandIn`, request records), auth.py (SDK-HMAC-SHA256 / token checks), schema.py (the create
body rules), modelarts.py, iam.py, metadata.py, obs.py (OBS stand-in), cloud.py (FakeCloud wires them together).
Everything inside imports relatively, so both import spellings work.
"""

from __future__ import annotations

from typing import Any

from .faults import Fault, FaultList
from .http import Reply, Request, RequestLog, RequestRecord, StandIn
from .keyring import Credential, KeyRing, Token

__all__ = ["FakeCloud", "Fault", "FaultList", "RequestRecord", "RequestLog", "StandIn", "Request", "Reply",
           "KeyRing", "Credential", "Token"]


def __getattr__(name: str) -> Any:
    # lazy, so `from fakecloud.http import StandIn` (obs.py) never drags the whole cloud in, and no import cycle
    if name == "FakeCloud":
        from .cloud import FakeCloud
        return FakeCloud
    raise AttributeError(name)
