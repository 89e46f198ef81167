"""Scripted misbehaviour for the stand-ins: `faults.add(...)` queues a fault, the request handler takes it.

A fault names a service ("modelarts", "iam", "metadata", "obs" or "*"), a method ("*" for any) and a path pattern
(`{project_id}` and other `{name}` variables are substituted, `*` matches any run of characters, `/` included; the
pattern must match the whole raw path, query excluded). Faults are consumed in the order they were added: the
first one that matches and still has `times` left is taken (times=None: never used up).

Kinds and their parameters (how a stand-in turns them into an answer is `StandIn.fault_reply` in http.py):

| kind            | parameters                                    | effect                                                   |
|-----------------|-----------------------------------------------|----------------------------------------------------------|
| `status`        | status=500, error_code=..., error_msg=...      | answer that status with an error body, nothing processed |
| `retry_after`   | seconds=1 (int, float or str such as "0.02")  | 429 with `Retry-After: <seconds>`, ModelArts.2799 body   |
| `throttle`      | limit=20                                      | 429 APIG.0308 gateway throttling body                    |
| `delay`         | seconds (required)                            | sleep, then process and answer normally                  |
| `reset`         | -                                             | read the request, then reset the TCP connection (RST)    |
| `lost_response` | -                                             | process fully (side effects happen), then reset          |
| `expired_token` | -                                             | 401 as for an expired token / refused AK/SK signature    |

This module knows nothing about sockets or HTTP; it must stay importable by every stand-in.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from typing import Any, Iterator, Mapping, Optional

KINDS = ("status", "retry_after", "throttle", "delay", "reset", "lost_response", "expired_token")

_DEFAULT_ERRORS = {
    500: ("ModelArts.0001", "Internal server error."),
    502: ("APIG.0202", "Backend unavailable."),
    503: ("ModelArts.6101", "The system is busy now. Please try again later."),
    504: ("APIG.0201", "Backend timeout."),
}


@dataclass
class Fault:
    """One queued fault; `hits` counts how often it was applied."""

    service: str
    method: str
    path: str
    kind: str
    times: Optional[int]
    params: dict[str, Any]
    hits: int = 0
    _regex: "re.Pattern[str]" = field(default=None, repr=False)  # type: ignore[assignment]

    @property
    def exhausted(self) -> bool:
        return self.times is not None and self.hits >= self.times

    # convenience views of the parameters, with the defaults of the table above
    @property
    def status(self) -> int:
        return int(self.params.get("status", 500))

    @property
    def error_code(self) -> str:
        return self.params.get("error_code") or _DEFAULT_ERRORS.get(self.status, ("ModelArts.0001", ""))[0]

    @property
    def error_msg(self) -> str:
        return self.params.get("error_msg") or _DEFAULT_ERRORS.get(self.status, ("", "Internal server error."))[1]

    @property
    def seconds(self) -> float:
        return float(self.params.get("seconds", 1))

    @property
    def retry_after_header(self) -> str:
        """The Retry-After value exactly as the test gave it ("0.02" stays "0.02", 1 becomes "1")."""
        value = self.params.get("seconds", 1)
        return value if isinstance(value, str) else format(value, "g")


class FaultList:
    """The queue behind `cloud.faults` (shared by every stand-in of one FakeCloud). Thread-safe."""

    def __init__(self, variables: Optional[Mapping[str, str]] = None):
        self.variables: dict[str, str] = dict(variables or {})
        self._faults: list[Fault] = []
        self._lock = threading.Lock()

    def add(self, service: str = "modelarts", method: str = "*", path: str = "*", *, kind: str,
            times: Optional[int] = 1, **params: Any) -> Fault:
        if kind not in KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; one of {', '.join(KINDS)}")
        if kind == "delay" and "seconds" not in params:
            raise ValueError("a 'delay' fault needs seconds=")
        if times is not None and times < 1:
            raise ValueError("times must be >= 1 (or None for every matching request)")
        fault = Fault(service=service, method=method.upper(), path=path, kind=kind, times=times, params=params)
        fault._regex = self._compile(path)
        with self._lock:
            self._faults.append(fault)
        return fault

    def _compile(self, pattern: str) -> "re.Pattern[str]":
        for name, value in self.variables.items():
            pattern = pattern.replace("{" + name + "}", value)
        return re.compile("".join(".*" if part == "*" else re.escape(part) for part in re.split(r"(\*)", pattern)))

    def take(self, service: str, method: str, path: str) -> Optional[Fault]:
        """The fault to apply to this request, counted as used; None when nothing matches."""
        with self._lock:
            for fault in self._faults:
                if fault.exhausted:
                    continue
                if fault.service not in ("*", service) or fault.method not in ("*", method.upper()):
                    continue
                if not fault._regex.fullmatch(path):
                    continue
                fault.hits += 1
                return fault
        return None

    def pending(self) -> list[Fault]:
        """Faults not used up yet (assert `not cloud.faults.pending()` to prove every scripted fault fired)."""
        with self._lock:
            return [fault for fault in self._faults if not fault.exhausted]

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def __iter__(self) -> Iterator[Fault]:
        with self._lock:
            return iter(list(self._faults))

    def __len__(self) -> int:
        with self._lock:
            return len(self._faults)
