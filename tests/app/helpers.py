"""Small helpers shared by the service tests."""

from __future__ import annotations

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
