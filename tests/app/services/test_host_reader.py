"""A host's socket stays registered with the event loop between requests (``HostPool._watch``:
no reader added and removed per request), and every way a host ends takes that registration
off its loop before the socket is closed: a host that dies between requests (its end of the
socket is read at once, so the pool marks it dead without waiting for a request), one the pool
kills on the loop's thread, and one killed from another thread (the removal runs on the loop,
then the close)."""

from __future__ import annotations

import asyncio
import os
import signal
import threading
import time

import orjson
import pytest
import uvloop

from app.services.runner import Body

OWNER = "anonymous"


async def _evaluate(runner, source: str = "1") -> dict:
    body = Body(data=orjson.dumps({"source": source}), is_json=True)
    reply, _payload = await runner.stateless_inline(
        "evaluate", OWNER, body, {"path": "/v1/evaluate", "rid": "reader-test"})
    return reply


class Watched:
    """The loop's add_reader/remove_reader calls (an asyncio loop's methods are attributes
    of the instance, so they can be wrapped), with whether the socket was still open."""

    def __init__(self, loop: asyncio.AbstractEventLoop, pool) -> None:
        self.added: list[int] = []
        self.removed: list[tuple[int, bool]] = []
        add, remove = loop.add_reader, loop.remove_reader

        def add_reader(fd, callback, *args):
            self.added.append(fd)
            return add(fd, callback, *args)

        def remove_reader(fd):
            still_open = any(h.sock.fileno() == fd for h in pool.hosts) or any(
                h.sock.fileno() == fd for h in self.known)
            self.removed.append((fd, still_open))
            return remove(fd)

        self.known: list = []
        loop.add_reader, loop.remove_reader = add_reader, remove_reader


async def _until(condition, within_s: float = 20.0) -> None:
    deadline = time.monotonic() + within_s
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.02)


def _settled(pool) -> bool:
    """No host busy or starting: the spare a request may start is up."""
    return not pool._spawning and not any(h.busy for h in pool.hosts)


def test_the_reader_stays_registered_between_requests(make_app):
    app = make_app()
    runner, pool = app.state.runner, app.state.pool

    async def main() -> None:
        assert (await _evaluate(runner))["status"] == 200
        await _until(lambda: _settled(pool))
        loop = asyncio.get_running_loop()
        watched = Watched(loop, pool)
        for i in range(6):
            assert (await _evaluate(runner, str(i)))["status"] == 200
            await _until(lambda: _settled(pool))
        used = [h for h in pool.hosts if h.reader is loop]
        assert used
        # each host's socket registered once at most (a spare's, its first time), never removed
        assert len(watched.added) == len(set(watched.added)) <= len(pool.hosts)
        assert watched.removed == []

    asyncio.run(main())


@pytest.mark.parametrize("loop_factory", [asyncio.new_event_loop, uvloop.new_event_loop],
                         ids=["asyncio", "uvloop"])
def test_a_host_that_ends_between_requests_is_marked_dead_at_once(make_app, loop_factory):
    app = make_app()
    runner, pool = app.state.runner, app.state.pool

    async def main() -> None:
        assert (await _evaluate(runner))["status"] == 200
        await _until(lambda: _settled(pool))
        loop = asyncio.get_running_loop()
        watched = Watched(loop, pool) if loop_factory is asyncio.new_event_loop else None
        host = next(h for h in pool.hosts if h.reader is loop)
        fd = host.sock.fileno()
        if watched is not None:
            watched.known.append(host)
        os.kill(host.pid, signal.SIGKILL)
        await _until(lambda: host.dead)  # no request needed: the reader saw its end
        assert host not in pool.hosts and host.reader is None
        assert host.sock.fileno() == -1  # closed
        if watched is not None:
            assert watched.removed == [(fd, True)]  # taken off the loop before the close
        assert (await _evaluate(runner, "41 + 1"))["status"] == 200

    with asyncio.Runner(loop_factory=loop_factory) as runner_:
        runner_.run(main())


async def _on(runner, host, source: str = "1") -> dict:
    """One evaluate request on ``host`` (reserved here, released after)."""
    pool = runner.pool
    with pool._lock:
        assert not host.busy and not host.dead
        pool._reserve(host)
    try:
        reply, _payload = await runner._exchange(
            host, {"op": "evaluate", "json": True, "path": "/v1/evaluate", "rid": "r"},
            Body(data=orjson.dumps({"source": source}), is_json=True), 30)
    finally:
        pool.release(host)
    return reply


async def _two_hosts(runner) -> list:
    pool = runner.pool
    assert (await _evaluate(runner))["status"] == 200
    await _until(lambda: _settled(pool) and len(pool.hosts) >= 2)
    hosts = pool.hosts[:2]
    for host in hosts:
        assert (await _on(runner, host))["status"] == 200
    return hosts


def test_a_host_killed_on_the_loop_or_from_another_thread_leaves_the_loop_first(make_app):
    app = make_app()
    runner, pool = app.state.runner, app.state.pool

    async def main() -> None:
        loop = asyncio.get_running_loop()
        first, second = await _two_hosts(runner)
        assert first.reader is loop and second.reader is loop
        watched = Watched(loop, pool)
        watched.known += [first, second]
        fd1, fd2 = first.sock.fileno(), second.sock.fileno()

        pool.kill(first, "killed on the loop's thread")
        assert watched.removed == [(fd1, True)] and first.sock.fileno() == -1

        thread = threading.Thread(target=pool.kill, args=(second, "killed from a thread"))
        thread.start()
        thread.join()
        assert second.dead and second.reader is None
        await _until(lambda: second.sock.fileno() == -1)  # after the loop removed the reader
        assert watched.removed == [(fd1, True), (fd2, True)]
        assert (await _evaluate(runner))["status"] == 200

    asyncio.run(main())


def test_a_request_from_another_loop_moves_the_reader(make_app):
    """The test client runs each request in a loop of its own: a host's reader follows the
    request's loop; the registration on a loop still running elsewhere is taken off by that
    loop (never from another thread), and the socket works on."""
    app = make_app()
    runner, pool = app.state.runner, app.state.pool
    for source in ("1", "2", "3"):  # a new loop each time (the last one closed)
        assert asyncio.run(_evaluate(runner, source))["status"] == 200
    ready = threading.Event()
    stop = threading.Event()
    other: dict = {}

    async def elsewhere() -> None:  # a loop that stays open in another thread
        other["loop"] = asyncio.get_running_loop()
        other["hosts"] = await _two_hosts(runner)
        ready.set()
        while not stop.is_set():
            await asyncio.sleep(0.01)

    thread = threading.Thread(target=asyncio.run, args=(elsewhere(),))
    thread.start()
    try:
        assert ready.wait(120)
        away = other["loop"]
        host = other["hosts"][0]
        assert host.reader is away
        watched = Watched(away, pool)  # (its removals run on that loop's thread)
        watched.known.append(host)
        fd = host.sock.fileno()

        async def here() -> None:
            loop = asyncio.get_running_loop()
            for source in ("5", "6"):
                assert (await _on(runner, host, source))["status"] == 200
                assert host.reader is loop
            await _until(lambda: watched.removed)
            await asyncio.sleep(0.1)
            # (by the pending removal, or by the old registration itself if it fired first)
            assert set(watched.removed) == {(fd, True)}

        asyncio.run(here())
    finally:
        stop.set()
        thread.join(30)
