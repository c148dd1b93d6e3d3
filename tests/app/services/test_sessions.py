"""The session store: ids, ownership, TTL, the cap, and run order."""

import anyio
import pytest

from app.core.errors import NotFound, TooManySessions
from app.services.sessions import SessionStore


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def make_store(max_sessions: int = 10, ttl: float = 60.0) -> tuple[SessionStore, Clock]:
    clock = Clock()
    store = SessionStore(max_sessions=max_sessions, default_ttl_s=ttl,
                         env_factory=lambda device, seed: {"device": device, "seed": seed},
                         clock=clock)
    return store, clock


def test_ids_are_unguessable_and_unique():
    store, _ = make_store(max_sessions=200)
    ids = {store.create("o", "cpu").id for _ in range(200)}
    assert len(ids) == 200
    assert all(len(i) >= 24 for i in ids)


def test_another_owners_session_is_not_found_and_not_listed():
    store, _ = make_store()
    mine = store.create("me", "cpu")
    store.create("you", "cpu")
    assert store.get("me", mine.id) is mine
    with pytest.raises(NotFound):
        store.get("you", mine.id)
    assert [s.id for s in store.list("me")] == [mine.id]


def test_idle_session_expires_and_is_then_not_found():
    store, clock = make_store(ttl=60)
    session = store.create("o", "cpu")
    clock.now += 59
    store.get("o", session.id)
    store.touch(session)
    clock.now += 59
    assert store.get("o", session.id) is session  # touched: the idle clock restarted
    clock.now += 61
    with pytest.raises(NotFound):
        store.get("o", session.id)
    assert len(store) == 0


def test_cull_frees_expired_sessions_but_not_busy_ones():
    store, clock = make_store(ttl=10)
    idle = store.create("o", "cpu")
    busy = store.create("o", "cpu")
    busy.pending = 1
    clock.now += 11
    assert store.cull() == 1
    assert idle.closed and idle.env is None
    assert not busy.closed


def test_cap_counts_live_sessions_and_expired_ones_make_room():
    store, clock = make_store(max_sessions=2, ttl=10)
    store.create("o", "cpu")
    store.create("o", "cpu", ttl_s=100)
    with pytest.raises(TooManySessions):
        store.create("o", "cpu")
    clock.now += 11
    store.create("o", "cpu")
    assert len(store) == 2


def test_seed_and_device_reach_the_environment():
    store, _ = make_store()
    session = store.create("o", "cuda:0", seed=7)
    assert session.env == {"device": "cuda:0", "seed": 7}


def test_exclusive_use_goes_in_arrival_order():
    store, _ = make_store()
    session = store.create("o", "cpu")
    order: list[int] = []

    async def use(i: int) -> None:
        async with store.exclusive(session):
            await anyio.sleep(0.001 * (5 - i % 5))  # later arrivals would finish sooner
            order.append(i)

    async def main() -> None:
        async with anyio.create_task_group() as tasks:
            for i in range(20):
                tasks.start_soon(use, i)
                await anyio.sleep(0)  # arrival order = start order

    anyio.run(main)
    assert order == list(range(20))


def test_session_deleted_while_waiting_is_not_found():
    store, _ = make_store()
    session = store.create("o", "cpu")

    async def main() -> None:
        async with store.exclusive(session):
            store.delete("o", session.id)
        with pytest.raises(NotFound):
            async with store.exclusive(session):
                pass

    anyio.run(main)
