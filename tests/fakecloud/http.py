"""The HTTP machinery every stand-in shares: a threaded HTTP/1.1 keep-alive server on 127.0.0.1, request records,
fault application (including the TCP reset tricks), JSON replies and a clean stop that leaves no thread behind.

A stand-in subclasses `StandIn`, sets `service`, and implements `handle(request) -> Reply` (raising `HttpError`
anywhere inside is fine). It overrides `error()` for its own error body format (OBS: XML) and, if needed,
`fault_reply()` / `expired_reply()`. `log` and `faults` are plain attributes read on every request, so a
FakeCloud can replace them with its shared ones after construction. Never binds anything but loopback.
"""

from __future__ import annotations

import io
import json
import re
import socket
import struct
import sys
import threading
import traceback
import uuid
from dataclasses import dataclass, field
from http.client import HTTPMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Optional
from urllib.parse import parse_qsl

from .faults import Fault, FaultList

LOOPBACK = ("127.0.0.1", "::1", "localhost")
SECRET_HEADERS = ("x-auth-token", "x-security-token", "x-metadata-token", "x-subject-token", "cookie",
                  "proxy-authorization", "x-obs-security-token", "x-amz-security-token")


@dataclass(frozen=True)
class RequestRecord:
    """One request as a stand-in received it. Secrets in headers are "***" (Authorization keeps Access= and
    SignedHeaders= but not the signature). status is None when the connection was reset instead of answered."""

    service: str
    method: str
    path: str                 # raw path, percent-encoding as sent, without the query
    query: str                # raw query string as sent ("" when none)
    headers: dict[str, str]
    body: bytes
    status: Optional[int]

    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8"))

    def params(self) -> dict[str, str]:
        return dict(parse_qsl(self.query, keep_blank_values=True))


class RequestLog:
    """The shared, thread-safe list behind `cloud.requests`."""

    def __init__(self) -> None:
        self._records: list[RequestRecord] = []
        self._lock = threading.Lock()

    def append(self, record: RequestRecord) -> None:
        with self._lock:
            self._records.append(record)

    def snapshot(self) -> list[RequestRecord]:
        with self._lock:
            return list(self._records)

    def clear(self) -> None:
        with self._lock:
            self._records.clear()


@dataclass
class Request:
    """A received request, body fully read. `headers` is case-insensitive (http.client.HTTPMessage)."""

    method: str
    path: str
    query: str
    headers: HTTPMessage
    body: bytes
    request_id: str

    def header(self, name: str, default: Optional[str] = None) -> Optional[str]:
        return self.headers.get(name, default)

    def params(self) -> list[tuple[str, str]]:
        return parse_qsl(self.query, keep_blank_values=True)

    def json(self) -> Any:
        """The body parsed as JSON (HttpError 400 is the stand-in's business: this raises ValueError)."""
        return json.loads(self.body.decode("utf-8"))


@dataclass
class Reply:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, status: int, payload: Any, headers: Optional[dict[str, str]] = None) -> "Reply":
        merged = {"Content-Type": "application/json;charset=UTF-8", **(headers or {})}
        return cls(status, json.dumps(payload, ensure_ascii=False).encode("utf-8"), merged)

    @classmethod
    def text(cls, status: int, text: str, content_type: str = "text/plain;charset=UTF-8") -> "Reply":
        return cls(status, text.encode("utf-8"), {"Content-Type": content_type})


class HttpError(Exception):
    """Raise from anywhere inside `handle()` to answer with `reply`."""

    def __init__(self, reply: Reply):
        super().__init__(reply.status)
        self.reply = reply


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = False

    def __init__(self, address, handler, stand_in: "StandIn"):
        self.stand_in = stand_in
        self.connections: dict[threading.Thread, socket.socket] = {}
        self.connections_lock = threading.Lock()
        family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.address_family = family
        super().__init__(address, handler)

    def process_request(self, request, client_address):
        request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        thread = threading.Thread(target=self._serve_connection, args=(request, client_address), daemon=True,
                                  name=f"fakecloud-{self.stand_in.service}-conn")
        with self.connections_lock:
            self.connections[thread] = request
        thread.start()

    def _serve_connection(self, request, client_address):
        try:
            self.process_request_thread(request, client_address)
        finally:
            with self.connections_lock:
                self.connections.pop(threading.current_thread(), None)

    def handle_error(self, request, client_address):
        if not self.stand_in.stopping.is_set():
            exc = sys.exc_info()[1]
            if not isinstance(exc, (ConnectionError, TimeoutError)):
                super().handle_error(request, client_address)


def redact_authorization(value: str) -> str:
    """Keep the scheme, the access key and SignedHeaders; hide the signature (SDK-HMAC, AWS4, OBS/AWS v2)."""
    if "Signature=" in value:
        return re.sub(r"Signature=[^,\s]*", "Signature=***", value)
    scheme_key = re.fullmatch(r"((?:OBS|AWS) [^:\s]+:).*", value)
    return scheme_key.group(1) + "***" if scheme_key else "***"


_SECRET_QUERY = re.compile(r"(?i)((?:^|&)(?:Signature|X-Amz-Signature|X-Amz-Security-Token|x-obs-security-token)=)"
                           r"[^&]*")


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 60            # idle keep-alive connections are dropped after a minute
    server: _Server

    def version_string(self) -> str:
        return "fakecloud"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - silence the default stderr log
        pass

    def do_GET(self): self._dispatch()          # noqa: E704
    def do_POST(self): self._dispatch()         # noqa: E704
    def do_PUT(self): self._dispatch()          # noqa: E704
    def do_DELETE(self): self._dispatch()       # noqa: E704
    def do_HEAD(self): self._dispatch()         # noqa: E704
    def do_PATCH(self): self._dispatch()        # noqa: E704
    def do_OPTIONS(self): self._dispatch()      # noqa: E704

    def _read_body(self) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _dispatch(self) -> None:
        stand_in = self.server.stand_in
        path, _, query = self.path.partition("?")
        request = Request(self.command, path, query, self.headers, self._read_body(), uuid.uuid4().hex)
        fault = stand_in.faults.take(stand_in.service, request.method, request.path)
        if fault is not None and fault.kind == "reset":
            self._record(request, None)
            return self._abort()
        if fault is not None and fault.kind == "delay":
            stand_in.sleep(fault.seconds)
        try:
            if fault is not None and fault.kind not in ("delay", "lost_response"):
                reply = stand_in.fault_reply(fault, request)
            else:
                reply = stand_in.handle(request)
        except HttpError as exc:
            reply = exc.reply
        except Exception:  # a bug in the stand-in: make it loud, on the wire and on stderr
            traceback.print_exc()
            reply = stand_in.error(500, "FakeCloud.BUG", traceback.format_exc(limit=3), request)
        if fault is not None and fault.kind == "lost_response":
            self._record(request, None)
            return self._abort()
        self._record(request, reply.status)
        self._send(request, reply)

    def _record(self, request: Request, status: Optional[int]) -> None:
        stand_in = self.server.stand_in
        stand_in.log.append(RequestRecord(stand_in.service, request.method, request.path,
                                          stand_in.redact_query(request), stand_in.redact_headers(request),
                                          stand_in.redact_body(request), status))

    def _send(self, request: Request, reply: Reply) -> None:
        self.send_response(reply.status)
        headers = {"X-Request-Id": request.request_id, **reply.headers}
        headers["Content-Length"] = str(len(reply.body))
        for name, value in headers.items():
            self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        # head and body in one write: two small writes meet Nagle + delayed ACK, 40 ms per request
        self._headers_buffer.append(b"\r\n")
        if request.method != "HEAD":
            self._headers_buffer.append(reply.body)
        self.flush_headers()

    def _abort(self) -> None:
        """Reset the connection: SO_LINGER 0 then close, so the peer gets RST, not FIN."""
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
        self.rfile.close()
        self.wfile = io.BytesIO()     # handle_one_request still flushes it; the socket is gone
        self.connection.close()       # last reference: the kernel sends RST


class StandIn:
    """Base of a stand-in service: owns one server on its own ephemeral port and its serving thread."""

    service = "base"

    def __init__(self, *, host: str = "127.0.0.1", log: Optional[RequestLog] = None,
                 faults: Optional[FaultList] = None):
        if host not in LOOPBACK:
            raise ValueError(f"stand-ins listen on loopback only, not {host!r}")
        self.host = "127.0.0.1" if host == "localhost" else host
        self.log = log if log is not None else RequestLog()
        self.faults = faults if faults is not None else FaultList()
        self.stopping = threading.Event()
        self._server: Optional[_Server] = None
        self._thread: Optional[threading.Thread] = None

    # -- lifecycle ---------------------------------------------------------------------------------------------
    def start(self) -> None:
        if self._server is not None:
            return
        self.stopping.clear()
        self._server = _Server((self.host, 0), _Handler, self)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True, name=f"fakecloud-{self.service}")
        self._thread.start()

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        self.stopping.set()
        server.shutdown()
        server.server_close()
        with server.connections_lock:
            open_connections = list(server.connections.items())
        for _, connection in open_connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)   # wakes a handler blocked reading a keep-alive connection
            except OSError:
                pass
        for thread, _ in open_connections:
            thread.join(timeout=5)
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> "StandIn":
        self.start()
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError(f"the {self.service} stand-in is not started")
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def netloc(self) -> str:
        return self.url.split("://", 1)[1]

    def sleep(self, seconds: float) -> None:
        """Sleep that a stop() interrupts."""
        self.stopping.wait(seconds)

    # -- what subclasses provide -------------------------------------------------------------------------------
    def handle(self, request: Request) -> Reply:
        raise NotImplementedError

    def error(self, status: int, code: str, message: str, request: Optional[Request] = None,
              headers: Optional[dict[str, str]] = None) -> Reply:
        """An error answer in this service's format (default: the ModelArts/APIG JSON body)."""
        body = {"error_code": code, "error_msg": message}
        if request is not None:
            body["request_id"] = request.request_id
        return Reply.json(status, body, headers)

    def expired_reply(self, request: Request) -> Reply:
        """The 401 for an expired token or a refused AK/SK signature (the `expired_token` fault)."""
        if request.header("X-Auth-Token"):
            return self.error(401, "ModelArts.0202", "The token has expired.", request)
        return self.error(401, "APIG.0301", "Incorrect IAM authentication information: verify aksk signature fail",
                          request)

    def fault_reply(self, fault: Fault, request: Request) -> Reply:
        if fault.kind == "status":
            return self.error(fault.status, fault.error_code, fault.error_msg, request,
                              dict(fault.params.get("headers") or {}))
        if fault.kind == "retry_after":
            return self.error(429, "ModelArts.2799", "TooManyRequests", request,
                              {"Retry-After": fault.retry_after_header})
        if fault.kind == "throttle":
            limit = fault.params.get("limit", 20)
            return self.error(429, "APIG.0308", "The throttling threshold has been reached: "
                              f"policy user over ratelimit,limit:{limit},time:1 second", request)
        if fault.kind == "expired_token":
            return self.expired_reply(request)
        raise AssertionError(f"fault kind {fault.kind} is applied by the handler")

    def redact_headers(self, request: Request) -> dict[str, str]:
        """Request headers as recorded: secrets are "***", Authorization keeps all but its signature."""
        headers = {}
        for name, value in request.headers.items():
            lowered = name.lower()
            if lowered == "authorization":
                value = redact_authorization(value)
            elif lowered in SECRET_HEADERS:
                value = "***"
            headers[name] = value
        return headers

    def redact_query(self, request: Request) -> str:
        """The raw query as recorded, with presigned-URL signatures and security tokens as ***."""
        return _SECRET_QUERY.sub(lambda match: match.group(1) + "***", request.query)

    def redact_body(self, request: Request) -> bytes:
        """The body as recorded; stand-ins that receive secrets in bodies override this."""
        return request.body


def query_pairs(query: str) -> list[tuple[str, str]]:
    return parse_qsl(query, keep_blank_values=True)

