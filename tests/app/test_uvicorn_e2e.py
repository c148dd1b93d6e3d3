"""The real server: uvicorn (uvloop + httptools) on a free loopback port, spoken to with httpx."""

import os
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from app.models.examples import SEED_SIMPLE_SOURCE
from tests.live_server import wait_serving

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    port = free_port()
    env = {**os.environ, "AUTOGRAD_API_KEYS": "e2e-key", "AUTOGRAD_MAX_BODY_BYTES": "65536",
           "AUTOGRAD_STATE_DIR": str(tmp_path_factory.mktemp("state"))}
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "app.main:app", "--host", "127.0.0.1", "--port",
         str(port), "--loop", "uvloop", "--http", "httptools", "--log-level", "warning"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:  # ready: up, and its first session host (worker process) has started
        wait_serving(proc, f"{base}/v1/health/ready", "uvicorn")
    except RuntimeError as error:
        proc.kill()
        pytest.fail(f"uvicorn did not start: {error}: "
                    + proc.stdout.read().decode(errors="replace"))
    yield base
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


def test_session_lifecycle_over_a_real_socket(server):
    headers = {"Authorization": "Bearer e2e-key"}
    with httpx.Client(base_url=server, headers=headers, timeout=10) as client:
        assert client.get("/v1/health/ready").json()["status"] == "ready"
        created = client.post("/v1/sessions", json={"seed": 0})
        assert created.status_code == 201
        location = created.headers["location"]
        reply = client.post(f"{location}/run", json={"source": SEED_SIMPLE_SOURCE})
        assert reply.status_code == 200
        assert reply.headers["x-request-id"]
        assert reply.json()["result"]["repr"] == "tensor([ 0.,  4.,  8., 12.])"
        assert client.delete(location).status_code == 204
        assert client.get(location).status_code == 404


def test_auth_and_body_limit_over_a_real_socket(server):
    with httpx.Client(base_url=server, timeout=10) as client:
        reply = client.post("/v1/evaluate", json={"source": "1"})
        assert reply.status_code == 401 and "www-authenticate" in reply.headers
        big = client.post("/v1/evaluate", content=b"[" * 100_000,
                          headers={"x-api-key": "e2e-key", "content-type": "application/json"})
        assert big.status_code == 413
        assert big.headers["content-type"] == "application/problem+json"
        assert "autograd_http_requests_total" in client.get("/metrics").text
