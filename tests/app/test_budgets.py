"""Budgets: the one memory budget (503 server_busy, nothing lost), replies bounded in bytes, the
cost of an op estimated before it runs, and per-key quotas (429 quota_exceeded)."""

from __future__ import annotations

import threading
import time

import pytest

from tests.app.helpers import assert_problem, run

MiB = 1 << 20


@pytest.fixture
def tight(make_client):
    """A service whose budget holds one 160 MB tensor but not two (on top of what the serving
    process, here the test runner, and the zygote already take)."""
    client = make_client(max_session_bytes=4 << 30)
    assert client.post("/v1/evaluate", json={"source": "1"}).status_code == 200
    pool = client.app.state.pool
    pool.budget = pool.overhead() + 380 * MiB
    return client


def test_memory_flood_is_503_and_nothing_is_lost(tight):
    sid = tight.post("/v1/sessions").json()["id"]
    assert run(tight, sid, "a = torch.ones(4)\nbig = torch.ones(40_000_000)").status_code == 200
    floods = [
        "more = []\nfor i in range(4):\n    more.append(torch.ones(40_000_000))",  # tensors
        "l = [1.5] * 9_000_000\nm = []\nfor i in range(20):\n    m.append(l * 1)",  # lists
        "s = 'x' * 9_000_000\nt = []\nfor i in range(40):\n    t.append(s + str(i))",  # strings
    ]
    for flood in floods:
        reply = run(tight, sid, "a = a + 1\n" + flood)
        body = assert_problem(reply, 503, "server_busy")
        assert int(reply.headers["retry-after"]) >= 1
        assert body["limit"] == "memory_budget"
    # none of the refused runs happened (not even their first statement); the session is whole
    reply = run(tight, sid, "[a.sum().item(), big.shape[0]]")
    assert reply.json()["result"] == [4.0, 40_000_000], reply.text
    other = tight.post("/v1/sessions").json()["id"]
    assert run(tight, other, "torch.ones(3).sum().item()").json()["result"] == 3.0
    pool = tight.app.state.pool
    assert pool.budget - pool.overhead() - sum(h.memory for h in pool.hosts) > -64 * MiB


def test_evaluate_past_the_budget_is_503(tight):
    reply = tight.post("/v1/evaluate", json={
        "source": "xs = []\nfor i in range(8):\n    xs.append(torch.ones(40_000_000))"})
    assert_problem(reply, 503, "server_busy")
    assert tight.post("/v1/evaluate", json={"source": "1 + 1"}).json()["result"] == 2


def test_reply_over_the_limit_is_refused_with_a_hint(make_client):
    client = make_client(max_reply_bytes=MiB)
    body = assert_problem(client.post("/v1/evaluate", json={"source": "torch.ones(100_000)"}),
                          400, "limit_exceeded")
    assert body["limit"] == "max_reply_bytes" and "base64" in body["detail"]
    reply = client.post("/v1/evaluate", json={"source": "torch.ones(100_000)",
                                              "encoding": "base64"})
    assert reply.status_code == 200 and len(reply.content) < MiB


def test_a_run_whose_reply_is_refused_still_happened(make_client):
    client = make_client(max_reply_bytes=MiB)
    sid = client.post("/v1/sessions").json()["id"]
    reply = run(client, sid, "x = torch.arange(300_000.0)\nx")
    assert_problem(reply, 400, "limit_exceeded")
    assert run(client, sid, "x.shape[0]").json()["result"] == 300_000


@pytest.mark.parametrize(("source", "op"), [
    ('torch.einsum("i,j->", torch.ones(1_000_000), torch.ones(1_000_000))', "einsum"),
    ("torch.ones(7_000, 1_000) @ torch.ones(1_000, 7_000)", "matmul"),  # 4.9e9 units
    ("torch.sort(torch.ones(40_000_000))", "sort"),
    ("torch.linalg.svd(torch.ones(3_000, 3_000))", "linalg.svd"),  # 1.35e10 units
    ("torch.linalg.inv(torch.eye(3_000) + 1)", "linalg.inv"),
    ("torch.linalg.eigh(torch.eye(3_000))", "linalg.eigh"),
])
def test_costly_ops_are_refused_before_they_run(make_client, source, op):
    client = make_client(run_timeout_s=2)
    started = time.monotonic()
    body = assert_problem(client.post("/v1/evaluate", json={"source": source}), 400,
                          "limit_exceeded")
    assert body["op"] == op and body["estimate"] > 0
    assert body["limit"] in ("timeout_s", "max_run_cost")
    assert op in body["detail"]
    assert time.monotonic() - started < 2 + 5  # refused, not run to the hard deadline


def test_run_cost_budget_adds_up(make_client):
    client = make_client(max_run_cost=1.6e5)  # three 64x128x64 products (52k units each)
    sid = client.post("/v1/sessions").json()["id"]
    reply = run(client, sid, "a = torch.ones(64, 128)\nb = torch.ones(128, 64)\n" +
                "\n".join(f"c{i} = a @ b" for i in range(5)))
    body = assert_problem(reply, 400, "limit_exceeded")
    assert body["limit"] == "max_run_cost" and body["op"] == "matmul"
    assert body["location"]["line"] == 6  # c3, the fourth product
    assert run(client, sid, "c2.shape").json()["result"] == [64, 64]
    assert run(client, sid, "c4 = a @ b").status_code == 200  # a budget per run


def test_sessions_per_key_quota(make_client):
    client = make_client(api_keys=["a", "b"], key_max_sessions=2)
    for _ in range(2):
        assert client.post("/v1/sessions", headers={"x-api-key": "a"}).status_code == 201
    reply = client.post("/v1/sessions", headers={"x-api-key": "a"})
    body = assert_problem(reply, 429, "quota_exceeded")
    assert body["quota"] == "sessions" and reply.headers["retry-after"]
    assert client.post("/v1/sessions", headers={"x-api-key": "b"}).status_code == 201


def test_requests_in_flight_per_key_quota(make_client):
    client = make_client(api_keys=["a", "b"], key_max_runs=1, run_timeout_s=5,
                         max_steps=10**9, max_loop_iterations=10**9)
    sid = client.post("/v1/sessions", headers={"x-api-key": "a"}).json()["id"]
    assert run(client, sid, "i = 0", headers={"x-api-key": "a"}).status_code == 200
    done = threading.Event()

    def long_run() -> None:
        run(client, sid, "i = 0\nwhile i < 3_000_000:\n    i = i + 1",
            headers={"x-api-key": "a"})
        done.set()

    thread = threading.Thread(target=long_run)
    thread.start()
    pool = client.app.state.pool
    deadline = time.monotonic() + 10
    while not any(h.busy and sid in h.sessions for h in pool.hosts):
        assert time.monotonic() < deadline
        time.sleep(0.01)
    reply = client.post("/v1/evaluate", json={"source": "1"}, headers={"x-api-key": "a"})
    body = assert_problem(reply, 429, "quota_exceeded")
    assert body["quota"] == "concurrent_runs" and reply.headers["retry-after"]
    other = client.post("/v1/evaluate", json={"source": "1"}, headers={"x-api-key": "b"})
    assert other.json()["result"] == 1  # another key is not held up
    thread.join(30)
    assert done.is_set()


def test_memory_per_key_quota(make_client):
    client = make_client(key_max_memory=MiB)
    sid = client.post("/v1/sessions").json()["id"]
    assert run(client, sid, "x = torch.ones(1_000_000)").status_code == 200
    body = assert_problem(run(client, sid, "y = 1"), 429, "quota_exceeded")
    assert body["quota"] == "memory"
    assert client.delete(f"/v1/sessions/{sid}/variables/x").status_code == 204
    assert run(client, sid, "y = 1").status_code == 200
