"""Every store backend keeps the same contract (``app.services.store.base``): records, the log
with its fences, snapshots, leases, TTLs. Run against SQLite and a real redis-server."""

from __future__ import annotations

import time

import pytest

from app.services.store import SessionRecord, SqliteStore, StaleFence, StoreUnavailable
from app.services.store.redis import RedisStore


@pytest.fixture(params=["sqlite", "redis"])
def store(request, tmp_path):
    if request.param == "sqlite":
        backend = SqliteStore(tmp_path)
    else:
        backend = RedisStore(request.getfixturevalue("redis_url"))
    yield backend
    backend.close()


def record(sid: str = "s_a", owner: str = "o", ttl: float = 60.0, now: float | None = None):
    now = time.time() if now is None else now
    return SessionRecord(id=sid, owner=owner, device="cpu", seed=7, ttl_s=ttl, created_at=now,
                         last_used=now, extra={"k": [1, 2]})


def test_records_round_trip_and_ids_are_unique(store):
    made = record()
    store.create(made)
    got = store.get("s_a")
    assert (got.owner, got.device, got.seed, got.ttl_s, got.extra) == ("o", "cpu", 7, 60.0,
                                                                      {"k": [1, 2]})
    assert got.created_at == pytest.approx(made.created_at)
    assert (got.head, got.snapshot_seq, got.fence) == (0, 0, 0)
    with pytest.raises(Exception):  # noqa: B017 - each backend's own "exists" error
        store.create(record())
    assert store.get("s_missing") is None


def test_the_log_appends_in_order_under_the_fence(store):
    store.create(record())
    fence = store.acquire("s_a", "r1", 30, time.time())
    body = b'{"source": "x = 1\\n"}\n\x00\xff binary'
    assert store.append("s_a", fence, 0, "run", body, {"elapsed_ms": 2.5, "steps": 3},
                        last_used=time.time(), memory_bytes=10) == 1
    assert store.append("s_a", fence, 1, "put", b"[1]", {"name": "v"},
                        last_used=time.time(), memory_bytes=20) == 2
    with pytest.raises(StaleFence):  # the head moved past this writer
        store.append("s_a", fence, 1, "run", b"{}", {}, last_used=time.time(), memory_bytes=0)
    with pytest.raises(StaleFence):  # not the lease's fence
        store.append("s_a", fence + 1, 2, "run", b"{}", {}, last_used=time.time(),
                     memory_bytes=0)
    entries = list(store.entries("s_a"))
    assert [(e.seq, e.kind, e.body, e.meta) for e in entries] == [
        (1, "run", body, {"elapsed_ms": 2.5, "steps": 3}), (2, "put", b"[1]", {"name": "v"})]
    assert [e.seq for e in store.entries("s_a", after=1)] == [2]
    got = store.get("s_a")
    assert (got.head, got.memory_bytes, got.replay_ms) == (2, 20, 2.5)
    assert store.append("s_gone", 0, 0, "run", b"{}", {}, last_used=0, memory_bytes=0) is None


def test_a_lease_has_one_holder_and_changing_hands_moves_the_fence(store):
    now = time.time()
    store.create(record(now=now))
    first = store.acquire("s_a", "r1", 10, now)
    assert store.acquire("s_a", "r1", 10, now + 1) == first  # a renewal keeps the fence
    assert store.acquire("s_a", "r2", 10, now + 5) is None  # r1's lease is live
    second = store.acquire("s_a", "r2", 10, now + 12)  # it lapsed: r2 takes over
    assert second == first + 1
    with pytest.raises(StaleFence):  # r1 can no longer write
        store.append("s_a", first, 0, "run", b"{}", {}, last_used=now, memory_bytes=0)
    assert store.append("s_a", second, 0, "run", b"{}", {}, last_used=now, memory_bytes=0) == 1
    store.release("s_a", "r1")  # not r1's any more: nothing happens
    assert store.acquire("s_a", "r1", 10, now + 13) is None
    store.release("s_a", "r2")
    assert store.acquire("s_a", "r1", 10, now + 13) == second + 1
    assert store.acquire("s_missing", "r1", 10, now) is None


def test_a_snapshot_drops_the_entries_it_covers(store):
    store.create(record())
    fence = store.acquire("s_a", "r1", 30, time.time())
    for head, ms in enumerate((1.0, 2.0, 4.0)):
        store.append("s_a", fence, head, "run", b"{}", {"elapsed_ms": ms},
                     last_used=time.time(), memory_bytes=0)
    assert not store.put_snapshot("s_a", fence + 1, 2, b"state")  # stale fence
    assert not store.put_snapshot("s_a", fence, 4, b"state")  # past the head
    assert store.put_snapshot("s_a", fence, 2, b"state")
    assert store.snapshot("s_a") == (2, b"state")
    assert [e.seq for e in store.entries("s_a")] == [3]
    assert [e.seq for e in store.entries("s_a", after=2)] == [3]
    got = store.get("s_a")
    assert (got.snapshot_seq, got.replay_ms) == (2, 4.0)
    store.append("s_a", fence, 3, "run", b"{}", {"elapsed_ms": 1.0}, last_used=time.time(),
                 memory_bytes=0)
    assert [e.seq for e in store.entries("s_a", after=3)] == [4]
    assert not store.put_snapshot("s_a", fence, 1, b"older")  # before the latest snapshot
    assert store.snapshot("s_a") == (2, b"state")


def test_listing_counting_expiry_and_delete(store):
    now = time.time()
    store.create(record("s_1", "me", ttl=100, now=now))
    store.create(record("s_2", "me", ttl=10, now=now + 1))
    store.create(record("s_3", "you", ttl=100, now=now))
    assert [r.id for r in store.list("me", now + 2)] == ["s_1", "s_2"]
    assert store.count_alive(now + 2) == 3
    assert store.count_alive(now + 2, "me") == 2
    assert store.count_alive(now + 20, "me") == 1  # s_2 idled past its TTL
    assert store.expired(now + 20) == ["s_2"]
    store.touch({"s_2": now + 15})
    assert store.expired(now + 20) == []
    assert store.delete("s_1") and not store.delete("s_1")
    assert store.get("s_1") is None
    assert [r.id for r in store.list("me", now + 2)] == ["s_2"]
    assert store.count_alive(now + 2) == 2


def test_redis_drops_an_idle_session_by_itself(redis_url):
    store = RedisStore(redis_url)
    now = time.time()
    store.create(record("s_idle", ttl=0.3, now=now))
    store.create(record("s_held", ttl=0.3, now=now))
    fence = store.acquire("s_held", "r1", 5, now)  # a request in flight holds it
    store.append("s_held", fence, 0, "run", b"{}", {}, last_used=now, memory_bytes=0)
    raw = store._redis
    assert 0 < raw.pttl(store._keys("s_idle")[0]) <= 300
    time.sleep(0.5)
    assert store.get("s_idle") is None  # Redis expired it: no sweep ran
    assert store.get("s_held") is not None  # the lease outlives the idle TTL
    assert 3000 < raw.pttl(store._keys("s_held")[1]) <= 5000  # its log too
    store.close()


def test_an_unreachable_redis_is_a_503_not_a_crash():
    store = RedisStore("redis://127.0.0.1:9/0", timeout_s=0.2)
    with pytest.raises(StoreUnavailable) as caught:
        store.get("s_a")
    assert caught.value.status == 503 and caught.value.code == "server_busy"
