"""Replicas sharing one Redis store: a session moves between them with everything it held,
one replica at a time (the lease), with ids a proxy proposes, and each reply naming its
replica."""

from __future__ import annotations

import time

from prometheus_client.parser import text_string_to_metric_families

from app.services.store.redis import RedisStore
from tests.app.helpers import assert_problem, run

HEADER = "X-Autograd-Session-Id"
PROPOSED = "s_" + "0123456789abcdef" * 2


def replica(make_client, redis_url: str, name: str, **settings):
    return make_client(state_url=redis_url, replica=name, session_id_header=HEADER,
                       lease_s=0.6, lease_wait_s=5, **settings)


def test_a_session_moves_between_replicas_with_everything_it_held(make_client, redis_url):
    a = replica(make_client, redis_url, "a")
    b = replica(make_client, redis_url, "b")
    created = a.post("/v1/sessions", json={"seed": 3}, headers={HEADER: PROPOSED})
    assert created.status_code == 201, created.text
    assert created.json()["id"] == PROPOSED  # the id the proxy hashed
    assert created.headers["x-autograd-replica"] == "a"
    sid = PROPOSED
    for cell in ("x = torch.arange(4.0, requires_grad=True)", "y = 2 * torch.dot(x, x)",
                 "def f(a):\n    return a * 3", "r = torch.randn(2)"):
        assert run(a, sid, cell).status_code == 200
    r = run(a, sid, "r").json()["result"]

    started = time.monotonic()
    moved = run(b, sid, "y.backward()\nx.grad")  # b waits for a's lease, then restores
    assert moved.status_code == 200, moved.text
    assert moved.headers["x-autograd-replica"] == "b"
    assert moved.json()["result"]["data"] == [0.0, 4.0, 8.0, 12.0]
    assert time.monotonic() - started < 5
    assert run(b, sid, "f(torch.ones(1)).item()").json()["result"] == 3.0
    assert run(b, sid, "r").json()["result"] == r
    assert run(b, sid, "z = 1").status_code == 200

    back = run(a, sid, "z + 1")  # a's copy is stale: it takes the session from the store
    assert back.status_code == 200, back.text
    assert back.json()["result"] == 2
    store = RedisStore(redis_url)
    assert store.get(sid).fence == 3  # three hand-overs: a, b, a
    store.close()


def test_a_replica_waits_for_a_live_lease_then_gives_503(make_client, redis_url):
    a = replica(make_client, redis_url, "a")
    b = make_client(state_url=redis_url, replica="b", lease_s=30, lease_wait_s=0.4)
    sid = a.post("/v1/sessions").json()["id"]
    assert run(a, sid, "v = 1").status_code == 200
    store = RedisStore(redis_url)
    store.acquire(sid, "someone-else", 30, time.time() + 1)  # a lease that stays live
    assert store.acquire(sid, "someone-else", 30, time.time()) is not None
    store.close()
    problem = assert_problem(run(b, sid, "v"), 503, "server_busy")
    assert "another replica" in problem["detail"]


def test_proposed_ids_only_from_a_configured_header_and_never_a_taken_one(make_client,
                                                                           redis_url):
    trusting = replica(make_client, redis_url, "a")
    plain = make_client(state_url=redis_url)
    assert plain.post("/v1/sessions", headers={HEADER: PROPOSED}).json()["id"] != PROPOSED
    for bad in ("s_short", "x_" + "a" * 32, "s_" + "a" * 30 + "/.."):
        assert trusting.post("/v1/sessions", headers={HEADER: bad}).json()["id"] != bad
    first = trusting.post("/v1/sessions", headers={HEADER: PROPOSED}).json()["id"]
    again = trusting.post("/v1/sessions", headers={HEADER: PROPOSED}).json()["id"]
    assert first == PROPOSED and again != PROPOSED


def test_metrics_are_labelled_by_replica(make_client, redis_url):
    client = replica(make_client, redis_url, "replica-7")
    client.get("/v1/health/live")
    samples = [sample for family in text_string_to_metric_families(client.get("/metrics").text)
               for sample in family.samples]
    assert samples and all(s.labels.get("replica") == "replica-7" for s in samples)
    assert any(s.name == "autograd_http_requests_total" and s.value == 1.0
               and s.labels == {"method": "GET", "route": "/v1/health/live", "status": "200",
                                "replica": "replica-7"} for s in samples)


def test_readiness_needs_the_store(make_client, redis_url):
    assert replica(make_client, redis_url, "a").get("/v1/health/ready").status_code == 200
    down = make_client(state_url="redis://127.0.0.1:9/0")
    assert_problem(down.get("/v1/health/ready"), 503, "server_busy")
    assert down.get("/v1/health/live").status_code == 200
