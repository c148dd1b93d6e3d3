"""Small helpers shared by the service tests."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient


def run(client: TestClient, session: str, body: dict[str, Any] | str, **kw: Any) -> Any:
    """POST a run (a bare string is source); returns the httpx reply."""
    if isinstance(body, str):
        body = {"source": body}
    return client.post(f"/v1/sessions/{session}/run", json=body, **kw)


def assert_problem(reply: Any, status: int, code: str) -> dict[str, Any]:
    assert reply.status_code == status, reply.text
    assert reply.headers["content-type"].startswith("application/problem+json")
    body = reply.json()
    assert body["code"] == code, body
    assert body["status"] == status
    assert {"type", "title", "detail"} <= body.keys()
    assert reply.headers.get("x-request-id")
    return body


def ended(pid: int, within_s: float = 10.0) -> bool:
    """The process is gone (or a zombie its parent has yet to reap)."""
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (FileNotFoundError, ProcessLookupError):
            return True
        if state in ("Z", "X"):
            return True
        time.sleep(0.02)
    return False


def kill_hosts(*clients: TestClient) -> None:
    """SIGKILL every host process of the clients' services and wait until each has ended.

    A killed process keeps running until the kernel schedules its exit (long on a loaded
    machine): a request sent to it meanwhile would be answered 503 (it got the request, so
    it is not retried). Tests of what a restart restores wait for the ends instead."""
    pids = [host.pid for c in clients for host in list(c.app.state.pool.hosts)]
    for pid in pids:
        os.kill(pid, signal.SIGKILL)
    for pid in pids:
        assert ended(pid), f"host {pid} still running 10 s after SIGKILL"
