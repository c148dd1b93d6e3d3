"""The session registry: ids, ownership, TTL, the caps, run order, and lazy loading from the
durable store."""

import socket

import anyio
import pytest

from app.core.errors import NotFound, QuotaExceeded, ServerBusy, TooManySessions
from app.services.sessions import SessionRegistry
from app.services.store import SqliteStore, StaleFence


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def make_registry(tmp_path):
    def make(max_sessions: int = 10, ttl: float = 60.0, key_max_sessions: int | None = None,
             clock: Clock | None = None) -> tuple[SessionRegistry, Clock]:
        clock = clock or Clock()
        registry = SessionRegistry(SqliteStore(tmp_path), max_sessions=max_sessions,
                                   default_ttl_s=ttl,
                                   key_max_sessions=key_max_sessions or max_sessions,
                                   clock=clock)
        return registry, clock

    return make


def test_ids_are_unguessable_and_unique(make_registry):
    registry, _ = make_registry(max_sessions=200)

    async def main() -> set[str]:
        return {(await registry.create("o", "cpu")).id for _ in range(200)}

    ids = anyio.run(main)
    assert len(ids) == 200
    assert all(len(i) >= 24 for i in ids)


def test_another_owners_session_is_not_found_and_not_listed(make_registry):
    registry, _ = make_registry()

    async def main() -> None:
        mine = await registry.create("me", "cpu")
        await registry.create("you", "cpu")
        assert await registry.get("me", mine.id) is mine
        with pytest.raises(NotFound):
            await registry.get("you", mine.id)
        assert [s.id for s in await registry.list("me")] == [mine.id]

    anyio.run(main)


def test_idle_session_expires_and_is_then_not_found(make_registry):
    registry, clock = make_registry(ttl=60)

    async def main() -> None:
        session = await registry.create("o", "cpu")
        clock.now += 59
        await registry.get("o", session.id)
        registry.touch(session)
        clock.now += 59
        assert await registry.get("o", session.id) is session  # touched: the clock restarted
        clock.now += 61
        with pytest.raises(NotFound):
            await registry.get("o", session.id)
        assert len(registry) == 0
        assert registry.store.get(session.id) is None  # ended in the store too

    anyio.run(main)


def test_cull_ends_expired_sessions_but_not_busy_ones(make_registry):
    registry, clock = make_registry(ttl=10)

    async def main() -> None:
        idle = await registry.create("o", "cpu")
        busy = await registry.create("o", "cpu")
        busy.pending = 1
        clock.now += 11
        assert await registry.cull() == 1
        assert idle.closed and registry.store.get(idle.id) is None
        assert not busy.closed and registry.store.get(busy.id) is not None

    anyio.run(main)


def test_cap_counts_live_sessions_and_expired_ones_make_room(make_registry):
    registry, clock = make_registry(max_sessions=2, ttl=10)

    async def main() -> None:
        await registry.create("o", "cpu")
        await registry.create("o", "cpu", ttl_s=100)
        with pytest.raises(TooManySessions):
            await registry.create("o", "cpu")
        clock.now += 11
        await registry.create("o", "cpu")

    anyio.run(main)


def test_one_key_cannot_take_every_session(make_registry):
    registry, _ = make_registry(max_sessions=10, key_max_sessions=2)

    async def main() -> None:
        for _ in range(2):
            await registry.create("greedy", "cpu")
        with pytest.raises(QuotaExceeded) as caught:
            await registry.create("greedy", "cpu")
        assert caught.value.status == 429 and "Retry-After" in caught.value.headers
        await registry.create("modest", "cpu")

    anyio.run(main)


def test_seed_and_device_are_recorded(make_registry):
    registry, _ = make_registry()

    async def main() -> None:
        seeded = await registry.create("o", "cuda:0", seed=7)
        unseeded = await registry.create("o", "cpu")
        record = registry.store.get(seeded.id)
        assert (record.device, record.seed) == ("cuda:0", 7)
        assert 0 <= registry.store.get(unseeded.id).seed < 2**63  # drawn once, then fixed

    anyio.run(main)


def test_a_restarted_registry_finds_sessions_in_the_store(make_registry):
    clock = Clock()
    first, _ = make_registry(clock=clock)
    first.holder = f"{socket.gethostname()}:{2**31 - 2}:gone"  # a process that has ended
    second, _ = make_registry(clock=clock)  # the next process, the same folder

    async def main() -> None:
        session = await first.create("o", "cpu", seed=3)
        found = await second.get("o", session.id)
        assert (found.owner, found.seed, found.ttl_s) == ("o", 3, session.ttl_s)
        assert found.fence > session.fence  # the lease changed hands
        with pytest.raises(NotFound):
            await second.get("someone else", session.id)

    anyio.run(main)


def test_a_live_replica_keeps_its_sessions(make_registry):
    first, _ = make_registry()
    second, _ = make_registry()  # both alive: the lease decides

    async def main() -> None:
        session = await first.create("o", "cpu")
        with pytest.raises(ServerBusy):
            await second.get("o", session.id)
        with pytest.raises(StaleFence):  # and an old holder can no longer write
            first.store.append(session.id, session.fence - 1, 0, "run", b"{}", {},
                               last_used=0, memory_bytes=0)

    anyio.run(main)


def test_exclusive_use_goes_in_arrival_order(make_registry):
    registry, _ = make_registry()
    order: list[int] = []

    async def main() -> None:
        session = await registry.create("o", "cpu")

        async def use(i: int) -> None:
            async with registry.exclusive(session):
                await anyio.sleep(0.001 * (5 - i % 5))  # later arrivals would finish sooner
                order.append(i)

        async with anyio.create_task_group() as tasks:
            for i in range(20):
                tasks.start_soon(use, i)
                await anyio.sleep(0)  # arrival order = start order

    anyio.run(main)
    assert order == list(range(20))


def test_session_deleted_while_waiting_is_not_found(make_registry):
    registry, _ = make_registry()

    async def main() -> None:
        session = await registry.create("o", "cpu")
        async with registry.exclusive(session):
            await registry.delete("o", session.id)
        with pytest.raises(NotFound):
            async with registry.exclusive(session):
                pass

    anyio.run(main)


def test_exclusive_gives_the_lock_and_the_count_back(make_registry):
    """However a request's hold ends (its body raises, the session was deleted, it is cancelled
    while it waits its turn), the session's lock and pending count are given back."""
    registry, _ = make_registry()

    async def main() -> None:
        session = await registry.create("o", "cpu")
        with pytest.raises(ValueError):
            async with registry.exclusive(session) as held:
                assert held is session and session.pending == 1 and session.lock.locked()
                raise ValueError
        assert session.pending == 0 and not session.lock.locked()

        async with anyio.create_task_group() as tasks:
            async with registry.exclusive(session):
                async def waiter() -> None:
                    async with registry.exclusive(session):
                        pass  # pragma: no cover (cancelled before its turn)
                tasks.start_soon(waiter)
                await anyio.sleep(0.01)
                assert session.pending == 2
                tasks.cancel_scope.cancel()
        assert session.pending == 0 and not session.lock.locked()

        await registry.delete("o", session.id)
        with pytest.raises(NotFound):
            async with registry.exclusive(session):
                pass  # pragma: no cover
        assert session.pending == 0 and not session.lock.locked()

    anyio.run(main)
