"""The host pool, in the serving process: starts, places, waits on, and replaces hosts.

- **How many.** At most ``AUTOGRAD_HOSTS`` processes (default: four times the CPUs, at least 8),
  started on demand (``AUTOGRAD_HOSTS_WARM`` of them at start-up) by a zygote that has already
  imported the engine and the language (``app.services.hosts.zygote``), so a new host costs a
  fork, not an interpreter start. More hosts than cores is deliberate: a host runs one request
  at a time, and the operating system time-slices busy hosts, so a long run delays a short one
  by a time slice, not by its whole length.
- **Placement.** A session is *placed* on the host that last ran it (which holds its
  environment). A request for a session goes to its host; if that host is busy with another
  session's request, the session *moves* to an idle host when restoring it there (replaying its
  log, ``replay_ms``) is expected to cost less than the wait; otherwise it waits for its host. A
  session placed nowhere goes to the idle host holding the fewest sessions. Stateless requests
  (evaluate, compile) go to any idle host. When every host is busy and no more may start,
  requests wait in a queue that is fair across API keys (round robin).
- **Memory.** One budget (``AUTOGRAD_MEMORY_BUDGET``) for the serving process, the zygote and
  every host together. Each host reports its own memory with every reply; a request is
  *admitted* only if the budget has room, and its host gets a *grant* (room for twice its
  session's memory, at least 256 MiB, at most a quarter of the budget), set as the host's soft
  ``RLIMIT_AS`` for that request: an allocation past it fails at once (``MemoryError``, before
  the memory is used) and nothing of the request is applied; it is then admitted once more with
  all the room the budget has, and only if that fails too the client gets ``503 server_busy``.
  The grants of requests in flight count as used until they end. Without room, a request
  waits briefly for grants to come back, then idle hosts are recycled (their sessions spill to
  the store, to be restored on their next request), before it is refused.
- **Failure.** A request past its hard deadline (``run_timeout_s + AUTOGRAD_RUN_GRACE_S``) has
  its host killed (SIGKILL); a host that dies for any reason is replaced on demand, and the
  sessions it held are restored from the store on their next request.

Works with any number of event loops (the test client makes one per request): waiting and
replies use the loop of the task that waits.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import os
import select
import signal
import socket
import threading
import time
from collections import OrderedDict, deque
from dataclasses import dataclass, field
from typing import Any

import anyio.to_thread

from app.core.config import Settings
from app.core.errors import ServerBusy
from app.core.metrics import Metrics
from app.services.hosts.cgroups import HostCgroups
from app.services.hosts.priority import CpuBalance, can_take_back
from app.services.hosts.protocol import RECORD_MAX, Payload, PeerGone, decode, encode
from app.services.hosts.zygote import shared_zygote
from app.services.memory import resident_bytes, statm

logger = logging.getLogger("app.hosts")

START_TIMEOUT_S = 120.0
"""A new host must say it is ready within this (the first one also starts the zygote)."""
MOVE_MIN_MS = 20.0
"""A session moves off a busy host when its replay costs less than this, or than the wait."""
SNDBUF = 1 << 18
MIN_GRANT = 32 << 20
"""The least memory a request is admitted with."""
DEFAULT_GRANT = 256 << 20
"""What a request is first admitted with, at least (see ``HostPool.default_grant``)."""
ADMIT_WAIT_S = 5.0
"""How long a request waits for memory that requests in flight hold before a 503."""
READY_WAIT_S = 5.0
"""How long a readiness check waits for the first host before it answers 503."""


class HostGone(Exception):
    """The host's process ended before it answered. ``sent``: whether it got the request."""

    def __init__(self, host: HostProcess, sent: bool) -> None:
        super().__init__(f"host {host.slot} (pid {host.pid}) ended: {host.exit_reason()}")
        self.host, self.sent = host, sent


class Recycled(HostGone):
    """The host was ended to free the memory it held (its sessions restore elsewhere)."""


class DeadlineExceeded(Exception):
    """The request outlived its hard deadline; its host was killed."""


@dataclass(eq=False)
class Waiter:
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future
    owner: str
    host: HostProcess | None = None
    done: bool = False


@dataclass(eq=False)
class HostProcess:
    """One host as the serving process sees it."""

    slot: int
    sock: socket.socket
    pid: int
    busy: bool = True
    dead: bool = False
    killed: str | None = None
    started: float = 0.0
    """When the request in flight began (``time.monotonic``)."""
    sessions: set[str] = field(default_factory=set)
    drops: set[str] = field(default_factory=set)
    waiters: deque[Waiter] = field(default_factory=deque)
    memory: int = 0
    """Its own memory, as of its last reply."""
    idle_since: float = 0.0
    demoted: bool = False
    """Left at low CPU priority (it could not take its priority back): recycled when idle."""
    running: bool = False
    """A request was sent to it and its reply has not come yet."""
    long: bool = False
    """The request in flight has used the demotion threshold's CPU time (the host said so)."""
    ending: bool = False
    """The request in flight was long and is ending (committing, answering)."""
    low: bool = False
    """The pool put its threads at ``SCHED_IDLE`` (``CpuBalance``)."""
    grant: int = 0
    """The memory the request in flight may add."""
    requests: int = 0
    poller: select.poll = field(default_factory=select.poll)
    """Its socket's events (registered in ``__post_init__``): whether it is still there."""
    reader: asyncio.AbstractEventLoop | None = None
    """The event loop its socket's reader is registered with, kept from one request to the
    next (``HostPool._watch``), or None."""
    expect: tuple[int, asyncio.Future] | None = None
    """The request in flight: its number and the future its reply resolves."""
    unwatching: int = 0
    """Removals of its reader from another thread's loop still pending."""

    def __post_init__(self) -> None:
        self.poller.register(self.sock.fileno(), select.POLLIN)

    def exit_reason(self) -> str:
        return self.killed or "it ended unexpectedly"


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.close()


class HostPool:
    def __init__(self, settings: Settings, metrics: Metrics) -> None:
        demote = settings.demote_after_ms > 0
        if demote and not can_take_back():
            logger.info("long runs are not demoted to SCHED_IDLE: the service cannot take a "
                        "host's priority back (RLIMIT_NICE below 20, no CAP_SYS_NICE)")
            settings = settings.model_copy(update={"demote_after_ms": 0.0})  # (for hosts)
            demote = False
        self.cpu = CpuBalance(demote)
        self.settings = settings
        self.metrics = metrics
        self.max_hosts = settings.host_count
        self.grace_s = settings.run_grace_s
        self.hosts: list[HostProcess] = []
        self.placement: dict[str, HostProcess] = {}
        self.closing = False
        self._spawning = 0
        self._spares = 0
        """Hosts being started in the background (``_start_spare``)."""
        self._lock = threading.RLock()
        self._queue: OrderedDict[str, deque[Waiter]] = OrderedDict()
        self._numbers = itertools.count(1)
        self._slots = itertools.count()
        self._zygote = shared_zygote()
        self.budget = settings.memory_budget_bytes
        self.cgroups = HostCgroups(settings.host_memory_max or self.budget)
        self._overhead = (0.0, 0)
        self.warm = False
        """A host has started (the zygote is up): a request no longer waits for one to."""

    # ------------------------------------------------------------------ acquiring a host

    async def acquire(self, owner: str, sid: str | None = None,
                      replay_ms: float = 0.0) -> HostProcess:
        """A host reserved for one request (``release`` it): the session's own host, an idle
        one, a new one, or the next one free, in that order."""
        while True:
            waiter: Waiter | None = None
            spawn = False
            with self._lock:
                if self.closing:
                    raise ServerBusy("The service is shutting down.", retry_after_s=2)
                host, wait_on = self._choose(sid, replay_ms)
                if host is None:
                    if wait_on is None and self._room() and not self._spares:
                        self._spawning += 1
                        spawn = True
                    else:  # its host, or any: the next one free or the spare now starting
                        waiter = self._enqueue(owner, wait_on)
            if host is not None:
                self._start_spare()
                return host
            if spawn:
                try:
                    host = await self._spawn()
                finally:
                    with self._lock:
                        self._spawning -= 1
            else:
                assert waiter is not None
                host = await self._wait(waiter)
            if host is not None:
                self._start_spare()
                return host

    def _room(self) -> bool:
        return len(self.hosts) + self._spawning < self.max_hosts

    def _start_spare(self) -> None:
        """Starts one more host in the background when none is left idle (and there is room),
        so that the next request finds one ready instead of waiting for a fork and a host's
        start-up (a fraction of a second, seconds on a loaded machine)."""
        with self._lock:
            if (self.closing or self._spares or not self._room()
                    or any(not h.busy and not h.dead for h in self.hosts)):
                return
            self._spares += 1
            self._spawning += 1
        threading.Thread(target=self._spare, name="host-spare", daemon=True).start()

    def _spare(self) -> None:
        """A host started in a thread of its own, then released to whoever waits (or idle)."""
        host: HostProcess | None = None
        try:
            slot = next(self._slots)
            pid, sock = self._zygote.spawn(self.settings, slot)
            host = HostProcess(slot=slot, sock=sock, pid=pid)
            self.cgroups.attach(pid)
            with self._lock:
                self.hosts.append(host)
            self.metrics.hosts_started.inc()
            sock.settimeout(START_TIMEOUT_S)
            data, got, _flags, _addr = socket.recv_fds(sock, RECORD_MAX, 2)
            if decode(data, got)[0].get("op") != "ready":
                raise ConnectionError("it did not say it was ready")
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SNDBUF)
            sock.setblocking(False)
        except Exception as exc:
            if host is not None:
                self.kill(host, f"it did not start ({exc})")
            else:
                logger.warning("a spare host could not start: %s", exc)
            host = None
        finally:
            with self._lock:
                self._spares -= 1
                self._spawning -= 1
        if host is None:
            with self._lock:  # requests that waited for it: they try again (and spawn)
                waiters = [w for q in self._queue.values() for w in q]
                self._queue.clear()
            for waiter in waiters:
                self._wake(waiter, None)
            return
        if self.closing:
            self.kill(host, "the service stopped")
            return
        host.started = time.monotonic()
        self.warm = True
        self.release(host)

    def _choose(self, sid: str | None, replay_ms: float) -> tuple[HostProcess | None,
                                                                  HostProcess | None]:
        """(a host now reserved, None) or (None, the host to wait for; None: any host)."""
        placed = self.placement.get(sid) if sid is not None else None
        if placed is not None and not placed.busy and not self._alive(placed):
            self._died(placed)  # it died while idle: the session is restored elsewhere
            placed = None
        if placed is not None:
            if not placed.busy:
                placed.busy = True
                placed.started = time.monotonic()
                return placed, None
            waited_ms = (time.monotonic() - placed.started) * 1000
            idle = self._idle()
            if (idle is not None or self._room()) and replay_ms <= max(MOVE_MIN_MS, waited_ms):
                self._unplace(sid)  # cheaper to restore it elsewhere than to wait
                if idle is not None:
                    return self._reserve(idle), None
                return None, None
            return None, placed
        idle = self._idle()
        if idle is not None:
            return self._reserve(idle), None
        return None, None

    def _idle(self) -> HostProcess | None:
        while True:
            free = [h for h in self.hosts if not h.busy and not h.dead]
            if not free:
                return None
            host = min(free, key=lambda h: (len(h.sessions), h.memory))
            if self._alive(host):
                return host
            self._died(host)

    @staticmethod
    def _alive(host: HostProcess) -> bool:
        """Whether an idle host's process is still there (its end of the socket still open):
        one ``poll`` that does not wait (a closed end reads as ``POLLHUP``), so a request is
        not sent to a host that died while idle."""
        try:
            events = host.poller.poll(0)
        except OSError:
            return False
        if not events:
            return True
        if events[0][1] & (select.POLLHUP | select.POLLERR | select.POLLNVAL):
            return False
        try:  # something to read from an idle host: look at it
            return bool(host.sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT))
        except (BlockingIOError, InterruptedError):
            return True
        except OSError:
            return False

    @staticmethod
    def _reserve(host: HostProcess) -> HostProcess:
        host.busy = True
        host.started = time.monotonic()
        return host

    def _enqueue(self, owner: str, host: HostProcess | None) -> Waiter:
        loop = asyncio.get_running_loop()
        waiter = Waiter(loop, loop.create_future(), owner)
        if host is not None:
            host.waiters.append(waiter)
        else:
            self._queue.setdefault(owner, deque()).append(waiter)
        return waiter

    async def _wait(self, waiter: Waiter) -> HostProcess | None:
        try:
            await waiter.future
        except BaseException:
            with self._lock:
                waiter.done = True
                host = waiter.host
                for queue in (*self._queue.values(),
                              *(h.waiters for h in self.hosts)):
                    with contextlib.suppress(ValueError):
                        queue.remove(waiter)
            if host is not None:
                self.release(host)
            raise
        return waiter.host

    def _next_waiter(self, host: HostProcess) -> Waiter | None:
        """Who gets ``host`` next: its own sessions' requests first, then the fair queue (the
        key after the last one served, round robin)."""
        while host.waiters:
            waiter = host.waiters.popleft()
            if not waiter.done:
                return waiter
        while self._queue:
            owner, queue = next(iter(self._queue.items()))
            waiter = queue.popleft() if queue else None
            if queue:
                self._queue.move_to_end(owner)
            else:
                del self._queue[owner]
            if waiter is not None and not waiter.done:
                return waiter
        return None

    @staticmethod
    def _wake(waiter: Waiter, host: HostProcess | None) -> None:
        waiter.done = True
        waiter.host = host

        def resolve() -> None:
            if not waiter.future.done():
                waiter.future.set_result(None)

        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is waiter.loop:
            resolve()
        else:
            with contextlib.suppress(RuntimeError):  # that loop is closed: nobody waits
                waiter.loop.call_soon_threadsafe(resolve)

    def release(self, host: HostProcess) -> None:
        if host.demoted and not host.dead and not host.waiters:
            self.kill(host, "recycled: it could not take back its CPU priority")
        with self._lock:
            host.busy = False
            host.grant = 0
            host.idle_since = time.monotonic()
            if host.dead:
                for waiter in host.waiters:  # they try again elsewhere
                    self._wake(waiter, None)
                host.waiters.clear()
                waiter = self._next_waiter(host)
                if waiter is not None:
                    self._wake(waiter, None)
                return
            waiter = self._next_waiter(host)
            if waiter is not None:
                self._wake(waiter, self._reserve(host))

    # ------------------------------------------------------------------ memory

    def overhead(self) -> int:
        """The serving process's and the zygote's memory (measured at most every 0.1 s)."""
        taken, value = self._overhead
        now = time.monotonic()
        if now - taken > 0.1:
            zygote = self._zygote.pid
            value = statm()[1] + (resident_bytes(zygote) if zygote else 0)
            self._overhead = (now, value)
        return value

    def free_memory(self) -> int:
        """What the budget has left: minus every host's memory and every grant in flight."""
        used = sum(h.memory + (h.grant if h.busy else 0) for h in self.hosts)
        return self.budget - self.overhead() - used

    def default_grant(self, session_bytes: int = 0) -> int:
        """What a request is first admitted with: room for twice its session's memory (at
        least :data:`DEFAULT_GRANT`), at most a quarter of the budget. A request that needs
        more gets ``MemoryError`` in its host, nothing is applied, and it is admitted once
        more with all the room there is (``Runner``)."""
        return min(self.budget // 4, max(DEFAULT_GRANT, 2 * session_bytes))

    async def admit(self, host: HostProcess, extra: int = 0, keep: int = 0,
                    want: int | None = None) -> int:
        """Reserves memory for ``host``'s next request (``extra``: what its body and a restore
        will take; ``want``: the grant asked for, default :meth:`default_grant`) and returns
        the grant. Without room, it waits for the grants of requests in flight to come back
        (up to :data:`ADMIT_WAIT_S`), then recycles idle hosts, then ``host`` itself if it
        holds much more than the ``keep`` bytes the request needs of it (:class:`Recycled`:
        try again on a fresh host); then :class:`ServerBusy`."""
        need = MIN_GRANT + extra
        want = max(need, self.default_grant() if want is None else want)
        deadline = time.monotonic() + ADMIT_WAIT_S
        recycled = 0
        while True:
            with self._lock:
                host.grant = 0
                free = self.free_memory()
                if free >= need:
                    host.grant = max(need, min(want, free - 2 * MIN_GRANT))
                    return host.grant
                granted = any(h.busy and h.grant for h in self.hosts if h is not host)
                victims, freed = [], 0
                if not granted or time.monotonic() >= deadline:
                    for candidate in sorted((h for h in self.hosts if not h.busy and not h.dead),
                                            key=lambda h: -h.memory):
                        if free + freed >= need:
                            break
                        victims.append(candidate)
                        freed += candidate.memory
            if granted and time.monotonic() < deadline:
                await anyio.sleep(0.005)  # requests in flight give their grants back soon
                continue
            if not victims or recycled >= 3:
                break
            recycled += 1
            for victim in victims:  # their sessions are restored from the store when used
                self.kill(victim, "recycled to free memory")
            self._overhead = (0.0, 0)
        if host.memory > keep + 2 * MIN_GRANT:
            self.kill(host, "recycled to free memory")
            raise Recycled(host, sent=False)
        raise ServerBusy(
            f"The service's memory budget ({self.budget} bytes) is in use; nothing was lost. "
            "Retry later.", retry_after_s=2, limit="memory_budget", value=self.budget)

    # ------------------------------------------------------------------ placement

    def place(self, sid: str, host: HostProcess) -> None:
        with self._lock:
            if host.dead:
                return
            previous = self.placement.get(sid)
            if previous is not None and previous is not host:
                previous.sessions.discard(sid)
                previous.drops.add(sid)
            self.placement[sid] = host
            host.sessions.add(sid)
            host.drops.discard(sid)

    def holds(self, sid: str, host: HostProcess) -> bool:
        return self.placement.get(sid) is host

    def forget(self, sid: str) -> None:
        """The session ended: its host drops it with its next request."""
        with self._lock:
            self._unplace(sid)

    def _unplace(self, sid: str) -> None:
        host = self.placement.pop(sid, None)
        if host is not None:
            host.sessions.discard(sid)
            host.drops.add(sid)

    # ------------------------------------------------------------------ talking to a host

    async def exchange(self, host: HostProcess, header: dict[str, Any],
                       payload: Payload | None = None, *, payload_fd: int | None = None,
                       payload_size: int = 0, timeout_s: float) -> tuple[dict[str, Any],
                                                                         Payload]:
        """Sends one request and waits for its reply, at most ``timeout_s`` (then the host is
        killed: :class:`DeadlineExceeded`). :class:`HostGone` if the host ends first."""
        number = next(self._numbers)
        header = {**header, "n": number}
        if host.drops:
            header["drop"] = sorted(host.drops)
            host.drops.clear()
        record, fds = encode(header, payload, payload_fd, payload_size)
        loop = asyncio.get_running_loop()
        future: asyncio.Future = loop.create_future()
        if host.reader is not loop:  # (registered before the request is sent)
            if host.dead:
                raise HostGone(host, sent=False)
            self._watch(host, loop)
        host.expect = (number, future)
        try:
            try:
                await self._send(loop, host, record, fds)
            finally:
                for fd in fds:
                    if fd != payload_fd:
                        os.close(fd)
        except BaseException:
            host.expect = None
            raise
        host.requests += 1
        if self.cpu.enabled:
            with self._lock:
                host.running, host.long, host.ending = True, False, False
                self.cpu.balance(self.hosts)

        def deadline() -> None:
            if not future.done():
                self.kill(host, f"killed after its hard deadline of {timeout_s:g} s")
                future.set_exception(DeadlineExceeded())

        timer = loop.call_later(timeout_s, deadline)
        try:
            reply, body = await future
        except DeadlineExceeded:
            raise
        except (PeerGone, OSError, ValueError):
            self._died(host)
            raise HostGone(host, sent=True) from None
        except BaseException:  # cancelled: the host's state is unknown, start afresh
            self.kill(host, "its request was cancelled")
            raise
        finally:
            timer.cancel()
            host.expect = None
            if host.running:
                self._stopped(host)
        host.memory = int(reply.get("memory", host.memory))
        host.demoted = bool(reply.get("demoted"))
        host.low = host.demoted  # (it took the normal policy back itself, or could not)
        return reply, body

    def _stopped(self, host: HostProcess) -> None:
        """Its request is over (answered, failed or killed): the long runs left may rise."""
        with self._lock:
            host.running = host.long = host.ending = False
            self.cpu.balance(self.hosts)

    def _cpu_notice(self, host: HostProcess, notice: dict[str, Any]) -> None:
        """The host's run became long, or stopped being long (it is about to answer)."""
        expect = host.expect
        if expect is None or notice.get("n") != expect[0] or not host.running:
            return
        with self._lock:
            host.long = bool(notice.get("long"))
            host.ending = not host.long
            self.cpu.balance(self.hosts)

    def _watch(self, host: HostProcess, loop: asyncio.AbstractEventLoop) -> None:
        """Registers ``host``'s reader with ``loop`` (the loop of the request about to be
        sent), taken off the loop it was registered with before. It stays registered between
        requests (no registration and removal per request: two ``epoll_ctl`` and libuv's poll
        handle made and closed each time) until the host dies or a request comes from
        another loop (the test client runs one per request)."""
        if host.reader is not None:
            self._unwatch(host)
        loop.add_reader(host.sock.fileno(), self._readable, host, loop)
        host.reader = loop

    def _unwatch(self, host: HostProcess, close: bool = False) -> None:
        """Takes ``host``'s reader off its loop: at once on that loop's own thread, else
        through that loop (a reader is never removed from another thread; nothing to remove
        once that loop is closed). ``close``: the socket is closed too, once no removal is
        pending (its descriptor number must not be reused while a loop still watches it)."""
        loop, host.reader = host.reader, None
        if loop is not None:
            fd = host.sock.fileno()
            try:
                running = asyncio.get_running_loop()
            except RuntimeError:
                running = None
            if running is loop:
                loop.remove_reader(fd)
            else:
                def remove() -> None:
                    if host.reader is not loop:  # (not registered there again meanwhile)
                        with contextlib.suppress(Exception):
                            loop.remove_reader(fd)
                    with self._lock:
                        host.unwatching -= 1
                        last = host.dead and not host.unwatching
                    if last:
                        _close(host.sock)

                with self._lock:
                    host.unwatching += 1
                try:
                    loop.call_soon_threadsafe(remove)
                except RuntimeError:  # closed
                    with self._lock:
                        host.unwatching -= 1
        if close and not host.unwatching:
            _close(host.sock)

    def _readable(self, host: HostProcess, loop: asyncio.AbstractEventLoop) -> None:
        """``host``'s socket has a record, or its end. The reply to the request in flight
        resolves that request's future; a reply nobody waits for is dropped; an end (or
        nonsense) fails the request in flight, or, between requests, marks the host dead at
        once (its sessions are restored elsewhere on their next request)."""
        if host.reader is not loop:  # left registered on a loop no longer in use
            with contextlib.suppress(Exception):
                loop.remove_reader(host.sock.fileno())
            return
        try:
            data, got, _flags, _addr = socket.recv_fds(host.sock, RECORD_MAX, 2)
        except (BlockingIOError, InterruptedError):
            return
        except OSError as exc:
            self._failed(host, exc)
            return
        try:
            reply, body = decode(data, got)
        except Exception as exc:  # PeerGone, or a host that speaks nonsense
            self._failed(host, exc)
            return
        if reply.get("op") == "cpu":
            self._cpu_notice(host, reply)
            return
        expect = host.expect
        if expect is not None and reply.get("n") == expect[0]:
            host.expect = None
            if not expect[1].done():
                expect[1].set_result((reply, body))

    def _failed(self, host: HostProcess, exc: Exception) -> None:
        """The host's socket ended or failed: the request in flight gets ``exc`` (and marks
        the host dead); between requests the host is marked dead here."""
        expect, host.expect = host.expect, None
        if expect is None or expect[1].done():
            self._died(host)
        else:
            self._unwatch(host)  # (level-triggered: it would fire until the socket closes)
            expect[1].set_exception(exc)

    async def _send(self, loop: asyncio.AbstractEventLoop, host: HostProcess, record: bytes,
                    fds: list[int]) -> None:
        while True:
            try:
                if fds:
                    socket.send_fds(host.sock, [record], fds)
                else:
                    host.sock.send(record)
                return
            except (BlockingIOError, InterruptedError):
                ready = loop.create_future()
                loop.add_writer(host.sock.fileno(), ready.set_result, None)
                try:
                    await ready
                finally:
                    loop.remove_writer(host.sock.fileno())
            except OSError:
                self._died(host)
                raise HostGone(host, sent=False) from None

    # ------------------------------------------------------------------ life and death

    async def _spawn(self) -> HostProcess:
        slot = next(self._slots)
        started = time.perf_counter()
        try:
            pid, sock = await anyio.to_thread.run_sync(self._zygote.spawn, self.settings, slot)
        except OSError as exc:
            raise ServerBusy(f"A worker process could not start ({exc}).",
                             retry_after_s=5) from exc
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SNDBUF)
        sock.setblocking(False)
        host = HostProcess(slot=slot, sock=sock, pid=pid)
        self.cgroups.attach(pid)
        with self._lock:
            self.hosts.append(host)
        self.metrics.hosts_started.inc()
        try:
            await self._ready(host)
        except BaseException:
            self.kill(host, "it did not start")
            raise
        logger.info("host %s started (pid %s) in %.0f ms", slot, host.pid,
                    (time.perf_counter() - started) * 1000)
        host.started = time.monotonic()
        self.warm = True
        return host

    async def _ready(self, host: HostProcess) -> None:
        loop = asyncio.get_running_loop()
        future: asyncio.Future = loop.create_future()

        def readable() -> None:
            if future.done():
                return
            try:
                data, got, _flags, _addr = socket.recv_fds(host.sock, RECORD_MAX, 2)
                future.set_result(decode(data, got)[0])
            except (BlockingIOError, InterruptedError):
                return
            except Exception as exc:
                future.set_exception(exc)

        loop.add_reader(host.sock.fileno(), readable)
        try:
            with anyio.fail_after(START_TIMEOUT_S):
                header = await future
        except Exception as exc:
            self._died(host)
            raise ServerBusy(f"A worker process could not start: {host.exit_reason()}.",
                             retry_after_s=5) from exc
        finally:
            loop.remove_reader(host.sock.fileno())
        if header.get("op") != "ready":
            raise ServerBusy("A worker process did not start properly.")

    async def start(self, count: int) -> None:
        """Starts ``count`` hosts now (at start-up, so the first requests find them ready);
        takes requests again after a ``close``."""
        self.closing = False
        async def one() -> None:
            with self._lock:
                if not self._room():
                    return
                self._spawning += 1
            try:
                host = await self._spawn()
            finally:
                with self._lock:
                    self._spawning -= 1
            self.release(host)

        for _ in range(count):  # one after the other: the fork server starts with the first
            await one()

    async def warm_up(self, wait_s: float = READY_WAIT_S) -> bool:
        """Whether a host has started (readiness): if none has and none is starting (no
        lifespan ran), starts one; waits up to ``wait_s`` for it. A host that is cut short by
        the wait is killed; the next call starts another (the zygote keeps starting)."""
        if self.warm:
            return True
        with anyio.move_on_after(wait_s):
            with self._lock:
                start = not self.hosts and not self._spawning and not self.closing
            if start:
                await self.start(1)
            while not self.warm:
                await anyio.sleep(0.05)
        return self.warm

    def kill(self, host: HostProcess, why: str) -> None:
        if host.dead:
            return
        host.killed = why
        with contextlib.suppress(ProcessLookupError):
            os.kill(host.pid, signal.SIGKILL)
        self._died(host)

    def _died(self, host: HostProcess) -> None:
        with self._lock:
            if host.dead:
                return
            host.dead = True
            if host in self.hosts:
                self.hosts.remove(host)
            for sid in host.sessions:
                if self.placement.get(sid) is host:
                    del self.placement[sid]
            host.sessions.clear()
            self._unwatch(host, close=True)
            self.cgroups.release(host.pid)
        reason = "killed" if host.killed else "died"
        self.metrics.host_exits.labels(reason=reason).inc()
        logger.warning("host %s (pid %s) %s: %s", host.slot, host.pid, reason,
                       host.exit_reason())

    def retire_idle(self, idle_s: float, keep: int) -> int:
        """Ends hosts idle for ``idle_s`` beyond the ``keep`` most recently used (their
        sessions are restored from the store when next used); returns how many."""
        now = time.monotonic()
        with self._lock:
            idle = sorted((h for h in self.hosts if not h.busy and not h.dead),
                          key=lambda h: h.idle_since)
            spare = len(idle) - keep
            stale = [h for h in idle[:max(spare, 0)] if now - h.idle_since > idle_s]
        for host in stale:
            self.kill(host, f"idle for more than {idle_s:g} s")
        return len(stale)

    def busy_count(self) -> int:
        return sum(1 for h in self.hosts if h.busy)

    async def close(self, grace_s: float = 0.0) -> None:
        """Stops taking requests, lets those in flight finish for up to ``grace_s``, then ends
        every host."""
        with self._lock:
            self.closing = True
            waiters = [w for q in self._queue.values() for w in q]
            waiters += [w for h in self.hosts for w in h.waiters]
            self._queue.clear()
        for waiter in waiters:
            self._wake(waiter, None)
        deadline = time.monotonic() + grace_s
        while self.busy_count() and time.monotonic() < deadline:
            await anyio.sleep(0.05)
        self.close_now()

    def close_now(self) -> None:
        """Ends every host at once (no event loop needed)."""
        self.closing = True
        for host in list(self.hosts):
            self.kill(host, "the service stopped")
