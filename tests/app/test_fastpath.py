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


class _Transport:
    """What uvicorn's protocols need of a transport; records every write."""

    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.closed = False

    def get_extra_info(self, name, default=None):
        return {"sockname": ("127.0.0.1", 8000), "peername": ("127.0.0.1", 5000)}.get(
            name, default)

    def write(self, data) -> None:
        assert not self.closed
        self.writes.append(bytes(data))

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass

    def set_protocol(self, protocol) -> None:
        pass


@pytest.mark.parametrize("http", ["httptools", "h11"])
@pytest.mark.parametrize("keep_alive", [True, False])
def test_a_reply_leaves_uvicorn_in_one_write(http, keep_alive):
    """The head and body of a fast-path reply reach uvicorn's transport as one write (one
    segment), then the close of a connection that is not kept alive."""
    import asyncio

    import uvicorn
    from uvicorn.server import ServerState

    start = {"type": "http.response.start", "status": 200,
             "headers": [(b"content-length", b"5"), (b"content-type", b"text/plain")]}
    body = {"type": "http.response.body", "body": b"hello"}
    done = []

    async def app(scope, receive, send):
        await fastpath._send_once(send, start, body)
        done.append(getattr(send, "__self__", None))

    async def main():
        config = uvicorn.Config(app, http=http, log_level="warning", access_log=False)
        config.load()
        transport = _Transport()
        protocol = config.http_protocol_class(config=config, server_state=ServerState(),
                                              app_state={})
        protocol.connection_made(transport)
        connection = b"" if keep_alive else b"connection: close\r\n"
        protocol.data_received(b"POST /v1/evaluate HTTP/1.1\r\nhost: x\r\ncontent-length: 0\r\n"
                               + connection + b"\r\n")
        for _ in range(50):
            await asyncio.sleep(0)
            if done:
                break
        return transport, done[0]

    transport, cycle = asyncio.run(main())
    assert len(transport.writes) == 1, transport.writes
    head, _, sent = transport.writes[0].partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 OK") and sent == b"hello"
    assert transport.closed is (not keep_alive)
    assert cycle.transport is transport  # given back


def test_a_send_of_another_kind_gets_both_messages():
    import asyncio

    sent = []

    async def send(message):
        sent.append(message["type"])

    asyncio.run(fastpath._send_once(send, {"type": "http.response.start"},
                                    {"type": "http.response.body"}))
    assert sent == ["http.response.start", "http.response.body"]
