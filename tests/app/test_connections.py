"""Connection abuse against a real server (``python -m app``): slowloris, oversize headers, idle
connections, slow bodies, the connection cap, and draining on SIGTERM."""

from __future__ import annotations

import json
import socket
import threading
import time

import httpx
import pytest

from tests.app.test_faults import Service

LIMITS = {"header_timeout_s": 1, "body_timeout_s": 1, "idle_timeout_s": 1,
          "max_header_bytes": 4096, "max_connections": 20, "shutdown_grace_s": 10}


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    started = Service(tmp_path_factory.mktemp("state"), **LIMITS)
    yield started
    started.kill()


def _connect(service: Service) -> socket.socket:
    return socket.create_connection(("127.0.0.1", service.port), timeout=10)


def _read_all(sock: socket.socket) -> bytes:
    chunks = []
    while True:
        try:
            chunk = sock.recv(65536)
        except (ConnectionResetError, TimeoutError):
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks)


def _status_and_problem(answer: bytes) -> tuple[int, dict]:
    head, _, body = answer.partition(b"\r\n\r\n")
    return int(head.split()[1]), json.loads(body)


def test_slowloris_is_cut_off_at_the_header_timeout(service):
    sock = _connect(service)
    started = time.monotonic()
    sock.sendall(b"GET /v1/health/live HTTP/1.1\r\nHost: x\r\n")
    for _ in range(4):  # one header line now and then, never the end of the headers
        time.sleep(0.3)
        try:
            sock.sendall(b"X-Slow: 1\r\n")
        except (BrokenPipeError, ConnectionResetError):
            break
    status, problem = _status_and_problem(_read_all(sock))
    assert status == 408 and problem["code"] == "request_timeout"
    assert time.monotonic() - started < 3


def test_oversize_headers_are_431(service):
    sock = _connect(service)
    sock.sendall(b"GET /v1/health/live HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 10_000)
    status, problem = _status_and_problem(_read_all(sock))
    assert status == 431 and problem["code"] == "headers_too_large"


def test_an_idle_connection_is_closed(service):
    sock = _connect(service)
    started = time.monotonic()
    assert _read_all(sock).startswith(b"HTTP/1.1 408")  # sent nothing at all
    assert time.monotonic() - started < 3
    kept = _connect(service)  # and between requests (keep-alive)
    kept.sendall(b"GET /v1/health/live HTTP/1.1\r\nHost: x\r\n\r\n")
    time.sleep(0.2)
    assert kept.recv(65536).startswith(b"HTTP/1.1 200")
    started = time.monotonic()
    assert _read_all(kept) == b""
    assert time.monotonic() - started < 3


def test_a_stalled_body_is_cut_off(service):
    sock = _connect(service)
    sock.sendall(b"POST /v1/evaluate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                 b"Content-Length: 100\r\n\r\n{\"source\":")
    started = time.monotonic()
    _read_all(sock)  # closed, whatever was answered
    assert time.monotonic() - started < 3


def test_connections_past_the_cap_are_503_and_others_are_served_after(service):
    held = [_connect(service) for _ in range(LIMITS["max_connections"])]
    try:
        time.sleep(0.1)
        extra = _connect(service)
        status, problem = _status_and_problem(_read_all(extra))
        assert status == 503 and problem["code"] == "server_busy"
    finally:
        for sock in held:
            sock.close()
    time.sleep(0.2)
    assert httpx.get(service.base + "/v1/health/live").status_code == 200


def test_sigterm_drains_runs_in_flight(tmp_path):
    # Generous limits: the loop takes ~3 s on an idle machine and over 15 s on a loaded one; the
    # test is about draining, not speed.
    service = Service(tmp_path, run_timeout_s=90, max_steps=10**9, max_loop_iterations=10**9,
                      shutdown_grace_s=90)
    with httpx.Client(base_url=service.base, timeout=120) as client:
        sid = client.post("/v1/sessions").json()["id"]
        assert client.post(f"/v1/sessions/{sid}/run", json={"source": "n = 1"}).status_code == 200
        replies = {}

        def long_run() -> None:
            replies["long"] = client.post(f"/v1/sessions/{sid}/run", json={
                "source": "i = 0\nwhile i < 1_000_000:\n    i = i + 1\nn = 2\nn"})

        thread = threading.Thread(target=long_run)
        thread.start()
        time.sleep(0.5)
        code = service.stop(wait_s=120)
        thread.join(120)
    long = replies["long"]
    assert long.status_code == 200 and long.json()["result"] == 2, long.text
    assert code in (0, -15)  # uvicorn re-raises the signal once it has shut down
    again = Service(tmp_path)
    try:
        reply = httpx.post(f"{again.base}/v1/sessions/{sid}/run", json={"source": "n"},
                           timeout=60)  # the restore replays the long run
        assert reply.json()["result"] == 2  # what the drained run did was kept
    finally:
        again.kill()
