"""The test suite's network guard: refuses and records every socket destination that is not this machine.

One module for both sides: tests/conftest.py installs it in the pytest process, and sitecustomize.py next to it
(on PYTHONPATH) installs it in every child Python (kernels, `jupyter lab`, helpers), which append what they
refused to the log file named by $PYTEST_NETGUARD_LOG. It must never let a refused call through.
"""

from __future__ import annotations

import errno
import fcntl
import ipaddress
import json
import os
import socket
import sys
import time
from typing import Any, Callable, Iterable

# Not MODEL_IMPORT_WIDGET_*: tests clear those variables, and the children they start must still log.
LOG_ENV = "PYTEST_NETGUARD_LOG"
LOOPBACK_NAMES = {"localhost", "localhost.", "ip6-localhost", "ip6-loopback"}
# Bind addresses, not destinations: getaddrinfo(None or "0.0.0.0", port, AI_PASSIVE) is how servers listen.
WILDCARDS = {"0.0.0.0", "::"}

refused: list[dict[str, Any]] = []  # what this process refused, newest last
_installed = False


class NetworkRefused(OSError):
    """Raised instead of reaching another machine during the tests."""

    def __init__(self, call: str, destination: str):
        super().__init__(errno.ENETUNREACH, f"network guard: {call} to {destination} refused; tests may only "
                                            "reach 127.0.0.1, ::1 and localhost")


def _is_loopback_host(host: Any) -> bool:
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    if not isinstance(host, str):
        return False
    name = host.strip("[]").lower()
    if name in LOOPBACK_NAMES:  # not "*.localhost": the C library may ask a DNS server about those
        return True
    try:
        address = ipaddress.ip_address(name.split("%", 1)[0])
    except ValueError:
        return False  # a name to look up: that lookup itself leaves the machine
    mapped = getattr(address, "ipv4_mapped", None)
    return (mapped or address).is_loopback


def _local_address(family: int, address: Any) -> bool:
    if family == getattr(socket, "AF_UNIX", None):
        return True
    if family in (socket.AF_INET, socket.AF_INET6) and isinstance(address, tuple) and address:
        return _is_loopback_host(address[0])
    return False


def _describe(address: Any) -> str:
    if isinstance(address, tuple) and len(address) >= 2:
        host = address[0].decode() if isinstance(address[0], bytes) else str(address[0])
        return f"[{host}]:{address[1]}" if ":" in host else f"{host}:{address[1]}"
    return repr(address)


def _record(call: str, destination: str) -> None:
    command = " ".join(getattr(sys, "orig_argv", sys.argv))
    entry = {"destination": destination, "call": call, "pid": os.getpid(), "process": command[:300],
             "test": os.environ.get("PYTEST_CURRENT_TEST", ""), "time": time.time()}
    refused.append(entry)
    path = os.environ.get(LOG_ENV)
    if not path:
        print(f"network guard: refused {call} to {destination} (no ${LOG_ENV} to log it to)", file=sys.stderr)
        return
    try:
        with open(path, "a", encoding="utf-8") as log:
            fcntl.flock(log, fcntl.LOCK_EX)
            log.write(json.dumps(entry) + "\n")
    except OSError as exc:
        print(f"network guard: refused {call} to {destination}; could not log to {path}: {exc}", file=sys.stderr)


def _refuse(call: str, destination: str) -> NetworkRefused:
    _record(call, destination)
    return NetworkRefused(call, destination)


def install() -> None:
    """Wraps socket.socket's connect/connect_ex/sendto/sendmsg and socket.getaddrinfo (create_connection uses both)."""
    global _installed
    if _installed:
        return
    _installed = True
    original_connect = socket.socket.connect
    original_connect_ex = socket.socket.connect_ex
    original_sendto = socket.socket.sendto
    original_sendmsg = socket.socket.sendmsg
    original_getaddrinfo = socket.getaddrinfo

    def connect(self, address):
        if not _local_address(self.family, address):
            raise _refuse("connect", _describe(address))
        return original_connect(self, address)

    def connect_ex(self, address):
        if not _local_address(self.family, address):
            _record("connect_ex", _describe(address))
            return errno.ENETUNREACH  # connect_ex reports failures as a number, as the real refusal would
        return original_connect_ex(self, address)

    def sendto(self, data, *flags_and_address):
        address = flags_and_address[-1] if flags_and_address else None
        if not _local_address(self.family, address):
            raise _refuse("sendto", _describe(address))
        return original_sendto(self, data, *flags_and_address)

    def sendmsg(self, buffers, *rest):
        address = rest[2] if len(rest) >= 3 else None
        if address is not None and not _local_address(self.family, address):
            raise _refuse("sendmsg", _describe(address))
        return original_sendmsg(self, buffers, *rest)

    def getaddrinfo(host, port, *args, **kwargs):
        if host is not None and host not in ("", b"") and not _is_loopback_host(host) \
                and (host.decode() if isinstance(host, bytes) else host) not in WILDCARDS:
            raise _refuse("getaddrinfo", _describe((host, port)))
        return original_getaddrinfo(host, port, *args, **kwargs)

    socket.socket.connect = connect
    socket.socket.connect_ex = connect_ex
    socket.socket.sendto = sendto
    socket.socket.sendmsg = sendmsg
    socket.getaddrinfo = getaddrinfo


# ---- the log the children write --------------------------------------------------------------------------------


def read_log(path: str | os.PathLike) -> list[dict[str, Any]]:
    try:
        with open(path, encoding="utf-8") as log:
            return [json.loads(line) for line in log if line.strip()]
    except FileNotFoundError:
        return []


def clear_log(path: str | os.PathLike, match: Callable[[dict[str, Any]], bool]) -> list[dict[str, Any]]:
    """Removes the entries `match` accepts (under the writers' lock); returns them."""
    with open(path, "a+", encoding="utf-8") as log:
        fcntl.flock(log, fcntl.LOCK_EX)
        log.seek(0)
        entries = [json.loads(line) for line in log if line.strip()]
        cleared = [e for e in entries if match(e)]
        log.seek(0)
        log.truncate()
        log.writelines(json.dumps(e) + "\n" for e in entries if not match(e))
    return cleared


def format_entries(entries: Iterable[dict[str, Any]]) -> list[str]:
    return [f"{e['call']} to {e['destination']} by pid {e['pid']} ({e['process']})"
            + (f" during {e['test']}" if e.get("test") else "") for e in entries]
