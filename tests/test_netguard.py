"""The tests' network guard: another machine is refused and recorded, here and in child processes; loopback works."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap
import threading

import pytest

TEST_NET = "192.0.2.1"  # TEST-NET-1 (RFC 5737): never routed, so even a broken guard cannot reach anyone


def echo_server(family: int = socket.AF_INET, host: str = "127.0.0.1") -> tuple[socket.socket, int]:
    server = socket.socket(family, socket.SOCK_STREAM)
    server.bind((host, 0))
    server.listen()

    def serve() -> None:
        connection, _ = server.accept()
        with connection:
            connection.sendall(connection.recv(100).upper())

    threading.Thread(target=serve, daemon=True).start()
    return server, server.getsockname()[1]


def test_this_process_refuses_another_machine_and_records_it(network_guard):
    with socket.socket() as sock:
        sock.settimeout(0.5)
        with pytest.raises(OSError, match="network guard: connect to 192.0.2.1:9 refused"):
            sock.connect((TEST_NET, 9))
        assert sock.connect_ex((TEST_NET, 9)) != 0
    with pytest.raises(OSError, match="refused"):
        socket.create_connection((TEST_NET, 80), timeout=0.5)
    with pytest.raises(OSError, match="getaddrinfo to example.com:443 refused"):
        socket.getaddrinfo("example.com", 443)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp, pytest.raises(OSError, match="sendto"):
        udp.sendto(b"x", (TEST_NET, 53))
    mine = network_guard.clear(lambda e: e["pid"] == os.getpid() and "test_this_process_refuses" in e["test"])
    assert [(e["call"], e["destination"]) for e in mine] == [
        ("connect", "192.0.2.1:9"), ("connect_ex", "192.0.2.1:9"), ("getaddrinfo", "192.0.2.1:80"),
        ("getaddrinfo", "example.com:443"), ("sendto", "192.0.2.1:53")]
    assert network_guard.refused() == []


def test_this_process_still_reaches_loopback():
    server, port = echo_server()
    with server, socket.create_connection(("localhost", port), timeout=5) as client:
        client.sendall(b"ping")
        assert client.recv(100) == b"PING"
    if socket.has_ipv6:
        try:
            server6, port6 = echo_server(socket.AF_INET6, "::1")
        except OSError:
            return  # no IPv6 loopback on this machine
        with server6, socket.create_connection(("::1", port6), timeout=5) as client:
            client.sendall(b"six")
            assert client.recv(100) == b"SIX"


CHILD = textwrap.dedent(f"""
    import socket, sys
    server = socket.socket(); server.bind(("127.0.0.1", 0)); server.listen()
    with socket.create_connection(("127.0.0.1", server.getsockname()[1]), timeout=5):
        print("loopback ok")
    sock = socket.socket(); sock.settimeout(0.5)
    try:
        sock.connect(("{TEST_NET}", 80))
    except OSError as error:
        print("refused:", error)
    else:
        print("connected?!")
        sys.exit(1)
""")


def test_a_child_process_is_refused_and_its_attempt_logged(network_guard):
    child = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True, timeout=60)
    assert child.returncode == 0, child.stderr
    assert "loopback ok" in child.stdout
    assert "refused: [Errno 101] network guard: connect to 192.0.2.1:80 refused" in child.stdout, child.stdout
    logged = network_guard.clear(lambda e: e["destination"] == f"{TEST_NET}:80" and " -c " in e["process"])
    assert len(logged) == 1 and logged[0]["pid"] != os.getpid()
    assert "test_a_child_process_is_refused" in logged[0]["test"]
    assert network_guard.refused() == []


def test_children_get_the_guard_before_their_own_code_and_keep_other_sitecustomize(tmp_path, network_guard):
    # A sitecustomize of the user's (a venv's, the distribution's) still runs after the guard's.
    (tmp_path / "theirs").mkdir()
    (tmp_path / "theirs" / "sitecustomize.py").write_text("import builtins\nbuiltins.THEIR_SITECUSTOMIZE_RAN = True\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([os.environ["PYTHONPATH"], str(tmp_path / "theirs")])}
    code = ("import builtins, socket; print(getattr(builtins, 'THEIR_SITECUSTOMIZE_RAN', False)); "
            f"print(socket.socket.connect_ex(socket.socket(), ('{TEST_NET}', 443)))")
    child = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env)
    assert child.stdout.split() == ["True", "101"], child.stderr
    assert len(network_guard.clear(lambda e: e["destination"] == f"{TEST_NET}:443")) == 1
