"""``app.api.fastpath``: a session's run and /v1/evaluate answered past the general stack give
the same replies (status, headers, body, problems, metrics) as the full stack does."""

from __future__ import annotations

import pytest

from app.api import fastpath
from tests.app.helpers import assert_problem

SEED = {"inputs": {"x": {"type": "tensor", "data": [0.0, 1.0, 2.0, 3.0],
                         "requires_grad": True}},
        "source": "y = 2 * torch.dot(x, x)\ny.backward()\ny", "gradients": ["x"]}
FULL = {"origin": "http://elsewhere.example"}
"""A header that sends a request through the full stack (no CORS origins are configured, so
it changes nothing else)."""


@pytest.fixture
def served(monkeypatch):
    """How many requests the fast path answered."""
    calls = []
    real = fastpath.FastPath._serve

    async def counting(self, *args, **kwargs):
        calls.append(1)
        return await real(self, *args, **kwargs)

    monkeypatch.setattr(fastpath.FastPath, "_serve", counting)
    return calls


def _comparable(reply):
    body = reply.json()
    if isinstance(body.get("stats"), dict):
        body["stats"].pop("elapsed_ms", None)
    body.pop("request_id", None)
    headers = {k: v for k, v in reply.headers.items()
               if k not in ("x-request-id", "server-timing", "content-length", "date")}
    return reply.status_code, headers, body, "x-request-id" in reply.headers


def _both(client, served, path, **kwargs):
    served.clear()
    fast = client.post(path, **kwargs)
    assert served == [1], "the fast path did not answer"
    headers = kwargs.pop("headers", {})
    headers = [*(headers.items() if isinstance(headers, dict) else headers), *FULL.items()]
    full = client.post(path, headers=headers, **kwargs)
    assert served == [1], "the full stack was not used"
    return fast, full


@pytest.mark.parametrize("body", [SEED, {"source": "1 / 0"}, {"source": 5},
                                  {"source": "x = torch.ones(3)\nx", "encoding": "base64"}])
def test_evaluate_answers_as_the_full_stack(client, served, body):
    fast, full = _both(client, served, "/v1/evaluate", json=body)
    assert _comparable(fast) == _comparable(full)


def test_session_runs_answer_as_the_full_stack(client, served):
    sid = client.post("/v1/sessions", json={"seed": 0}).json()["id"]
    fast, full = _both(client, served, f"/v1/sessions/{sid}/run",
                       json={"source": "a = torch.ones(2)\na.sum()"})
    assert fast.status_code == 200 and _comparable(fast) == _comparable(full)
    assert "run;dur=" in fast.headers["server-timing"]
    assert "host;dur=" in fast.headers["server-timing"]
    fast, full = _both(client, served, f"/v1/sessions/{sid}/run", json={"source": "b.x"})
    assert_problem(fast, 400, fast.json()["code"])
    assert _comparable(fast) == _comparable(full)
    assert client.post(f"/v1/sessions/{sid}/run", json={"source": "a"}).json()["result"][
        "data"] == [1.0, 1.0]


def test_unknown_sessions_and_keys(make_client, served):
    client = make_client(api_keys=["k1"])
    sid = client.post("/v1/sessions", headers={"x-api-key": "k1"}).json()["id"]
    for path in (f"/v1/sessions/{sid}/run", "/v1/sessions/s_nope/run", "/v1/evaluate"):
        for headers in ({}, {"x-api-key": "k2"}, {"authorization": "Bearer k2"}):
            fast, full = _both(client, served, path, json={"source": "1"}, headers=headers)
            assert_problem(fast, 401, "unauthorized")
            assert _comparable(fast) == _comparable(full)
    fast, full = _both(client, served, "/v1/sessions/s_nope/run", json={"source": "1"},
                       headers={"x-api-key": "k1"})
    assert_problem(fast, 404, "not_found")
    assert _comparable(fast) == _comparable(full)
    reply = client.post(f"/v1/sessions/{sid}/run", json={"source": "2"},
                        headers={"authorization": "Bearer k1"})
    assert reply.status_code == 200 and reply.json()["result"] == 2


def test_the_first_of_repeated_headers_counts(make_client, served):
    client = make_client(api_keys=["k1"])
    fast, full = _both(client, served, "/v1/evaluate", json={"source": "1"},
                       headers=[("x-api-key", "k1"), ("x-api-key", "k2"),
                                ("x-request-id", "first"), ("x-request-id", "second")])
    assert fast.status_code == 200 and fast.headers["x-request-id"] == "first"
    assert _comparable(fast) == _comparable(full)


def test_request_ids_replica_and_metrics(make_client, served):
    client = make_client(replica="r7")
    reply = client.post("/v1/evaluate", json={"source": "1"},
                        headers={"x-request-id": "abc-123"})
    assert served == [1]
    assert reply.headers["x-request-id"] == "abc-123"
    assert reply.headers["x-autograd-replica"] == "r7"
    reply = client.post("/v1/evaluate", json={"source": "1"}, headers={"x-request-id": "b a d"})
    assert reply.headers["x-request-id"] != "b a d" and len(reply.headers["x-request-id"]) == 16
    sid = client.post("/v1/sessions").json()["id"]
    client.post(f"/v1/sessions/{sid}/run", json={"source": "1"})
    metrics = client.get("/metrics").text
    assert 'route="/v1/sessions/{session_id}/run"' in metrics
    assert 'route="/v1/evaluate"' in metrics


@pytest.mark.parametrize("headers, content", [
    ({"origin": "http://x.example"}, b'{"source": "1"}'),          # CORS: the full stack
    ({"transfer-encoding": "chunked"}, None),                      # a streamed body
])
def test_unusual_requests_take_the_full_stack(client, served, headers, content):
    if content is None:
        reply = client.post("/v1/evaluate", content=iter([b'{"source": ', b'"1"}']),
                            headers={"content-type": "application/json"})
    else:
        reply = client.post("/v1/evaluate", content=content,
                            headers={"content-type": "application/json", **headers})
    assert reply.status_code == 200 and reply.json()["result"] == 1
    assert served == []


def test_too_large_bodies_take_the_full_stack(make_client, served):
    client = make_client(max_body_bytes=1024)
    reply = client.post("/v1/evaluate", json={"source": "1" + " " * 2000})
    assert_problem(reply, 413, "limit_exceeded")
    assert served == []


def test_an_unexpected_error_is_a_500_problem(make_client, served, monkeypatch):
    client = make_client(raise_server_exceptions=False)
    runner = client.app.state.runner

    async def broken(*_args, **_kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(runner, "stateless_inline", broken)  # the fast path's
    monkeypatch.setattr(runner, "stateless", broken)  # the route's
    fast, full = _both(client, served, "/v1/evaluate", json={"source": "1"})
    assert_problem(fast, 500, "internal_error")
    assert _comparable(fast) == _comparable(full)


class _GoneSocket:
    """A client socket uvloop has already closed: its fd is -1, so every option call raises
    ``ValueError: negative file descriptor`` (seen under wrk at the end of a round)."""

    family = __import__("socket").AF_INET

    def __init__(self, error: type[Exception]) -> None:
        self.error, self.calls = error, 0

    def setsockopt(self, *args) -> None:
        self.calls += 1
        raise self.error("negative file descriptor")


class _Protocol:
    def __init__(self, sock) -> None:
        self.transport = self
        self.sock = sock

    def get_extra_info(self, name):
        return self.sock if name == "socket" else None

    async def send(self, message) -> None:
        pass


@pytest.mark.parametrize("error", [ValueError, OSError])
def test_a_reply_to_a_client_that_is_gone_is_not_an_error(error):
    sock = _GoneSocket(error)
    assert fastpath._cork(_Protocol(sock).send) is None
    fastpath._uncork(sock)  # nothing raised
    assert sock.calls == 2
