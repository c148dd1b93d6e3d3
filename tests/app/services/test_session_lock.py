"""app.services.sessions.SessionLock: the FIFO hand-off lock of one session's requests
(session 10: it replaced anyio's Lock, whose acquire and release each asked asyncio for the
current task, a getpid() system call in CPython 3.11)."""

from __future__ import annotations

import asyncio

import anyio
import pytest

from app.services.sessions import SessionLock


def test_free_lock_taken_and_given_back_without_the_running_loop(monkeypatch):
    async def main():
        lock = SessionLock()
        monkeypatch.setattr(asyncio, "get_running_loop", lambda: pytest.fail("asked"))
        for _ in range(3):
            async with lock:
                assert lock.locked()
            assert not lock.locked()

    anyio.run(main)


def test_waiters_go_in_arrival_order_and_a_cancelled_one_is_skipped():
    order = []

    async def main():
        lock = SessionLock()

        async def request(i, hold):
            async with lock:
                order.append(i)
                await anyio.sleep(hold)

        async with anyio.create_task_group() as tasks:
            tasks.start_soon(request, 0, 0.05)
            await anyio.sleep(0.01)
            with anyio.CancelScope() as doomed:
                pass
            for i in range(1, 5):
                tasks.start_soon(request, i, 0.001 * (5 - i))
                await anyio.sleep(0)

            async def cancelled_waiter():
                with doomed:
                    async with lock:
                        order.append("cancelled")

            tasks.start_soon(cancelled_waiter)
            await anyio.sleep(0)
            doomed.cancel()
            tasks.start_soon(request, 5, 0)
        assert not lock.locked()

    anyio.run(main)
    assert order == [0, 1, 2, 3, 4, 5]


def test_a_waiter_cancelled_after_the_hand_over_passes_the_lock_on():
    async def main():
        lock = SessionLock()
        got = []
        await lock.__aenter__()
        loop = asyncio.get_running_loop()
        first = loop.create_task(lock.__aenter__())
        second = loop.create_task(lock.__aenter__())
        await asyncio.sleep(0)
        await lock.__aexit__(None, None, None)  # hands the lock to ``first`` ...
        first.cancel()  # ... which is cancelled before it runs again
        with pytest.raises(asyncio.CancelledError):
            await first
        await second  # the lock went on to ``second``
        got.append(lock.locked())
        await lock.__aexit__(None, None, None)
        got.append(lock.locked())
        return got

    assert anyio.run(main) == [True, False]
