"""The HTTP layer against a misbehaving server on 127.0.0.1: bounded answers, the call deadline, odd Retry-After,
answers that are not JSON objects, and that no exception carries the request it failed on."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from model_import_widget.errors import NetworkError, ServiceError, ThrottledError
from model_import_widget.sdk import http as transport_module
from model_import_widget.sdk.http import Transport, json_of


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    calls: list[str] = []

    def do_GET(self):  # noqa: N802
        _Handler.calls.append(self.path)
        if self.path == "/huge":
            self.send_response(200)
            self.send_header("Content-Length", str(200 << 20))
            self.end_headers()
            try:
                for _ in range(200):
                    self.wfile.write(b"x" * (1 << 20))
            except OSError:
                pass
        elif self.path == "/drip":
            self.send_response(200)
            self.send_header("Content-Length", "1000")
            self.end_headers()
            try:
                for _ in range(1000):
                    self.wfile.write(b"x")
                    self.wfile.flush()
                    time.sleep(0.05)
            except OSError:
                pass
        elif self.path == "/throttled":
            self._answer(429, b'{"error_code": "ModelArts.2799", "error_msg": "Too many requests"}',
                         {"Retry-After": "soon"})
        elif self.path == "/html":
            self._answer(200, b"<html>captive portal</html>", {"Content-Type": "text/html"})
        else:
            self._answer(200, b'{"ok": true}')

    def _answer(self, status, body, headers=None):
        self.send_response(status)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_an_answer_larger_than_any_the_service_sends_is_refused_not_held(server):
    with pytest.raises(NetworkError, match="more than 64 MB") as info:
        Transport(None, retries=0).request("GET", f"{server}/huge")
    assert info.value.__context__ is None and info.value.__cause__ is None  # nothing chained: no request inside


def test_a_dripping_answer_stops_at_the_call_deadline(server):
    started = time.monotonic()
    with pytest.raises(NetworkError, match="did not answer in time"):
        Transport(None, retries=0, deadline=0.5).request("GET", f"{server}/drip")
    assert time.monotonic() - started < 5


def test_a_retry_after_that_is_no_number_nor_date_waits_as_for_none(server):
    waits: list[float] = []
    with pytest.raises(ThrottledError):
        Transport(None, retries=2, backoff=0.001, sleep=waits.append).request("GET", f"{server}/throttled")
    assert len(waits) == 2 and all(0 <= w < 1 for w in waits)


def test_an_answer_that_is_not_a_json_object_is_a_service_error(server):
    response = Transport(None).request("GET", f"{server}/html")
    with pytest.raises(ServiceError, match="not a JSON object"):
        json_of(response)


def test_a_failed_connection_carries_no_request(monkeypatch):
    transport = Transport(None, retries=0)
    with pytest.raises(NetworkError) as info:
        transport.request("GET", "http://127.0.0.1:9/v1/p/models", headers={"X-Auth-Token": "token-not-to-be-kept"})
    assert info.value.__context__ is None and "token-not-to-be-kept" not in repr(vars(info.value))


def test_keep_alive_survives_bounded_reading(server):
    transport, before = Transport(None), len(_Handler.calls)
    for _ in range(5):
        assert transport.request("GET", f"{server}/ok").json() == {"ok": True}
    assert len(_Handler.calls) - before == 5
    assert len(transport.http.adapters["http://"].poolmanager.pools) == 1
    assert transport_module.MAX_ERROR_BYTES < transport_module.MAX_ANSWER_BYTES
