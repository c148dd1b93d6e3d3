"""Sessions as the serving process knows them: ids, owners, idle TTL, the caps, run order.

The durable record of a session lives in the store (``app.services.store``); this registry keeps
the sessions in use in memory (so a request for a known session touches no disk) and loads the
others from the store on first use: after a restart, sessions come back lazily. Their
*environments* (variables, graphs, functions) live in hosts, never here.

Store calls run in worker threads: the event loop never waits on the disk.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import os
import re
import secrets
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import anyio
import anyio.to_thread

from app.core.errors import NotFound, QuotaExceeded, ServerBusy, TooManySessions
from app.services.store import SessionRecord, StateStore

logger = logging.getLogger("app.sessions")

LEASE_TTL_S = 60.0
LEASE_POLL_S = 0.2
"""How often a request waiting for another replica's lease asks again."""
PROPOSED_ID = re.compile(r"^s_[A-Za-z0-9_-]{16,64}$")
"""What a proxy may propose as a new session's id (``AUTOGRAD_SESSION_ID_HEADER``)."""


class SessionLock:
    """A FIFO hand-off lock for one session's requests (asyncio). Taking it free and giving it
    back make no system call: anyio's Lock asks asyncio for the current task on both, and
    CPython 3.11's ``get_running_loop`` calls ``getpid()`` each time. Only a request that has
    to wait gets a future; the holder's release hands the lock to the first waiter still
    waiting, so requests go in arrival order. A waiter cancelled after it was handed the
    lock passes it on."""

    __slots__ = ("_locked", "_waiters")

    def __init__(self) -> None:
        self._locked = False
        self._waiters: collections.deque[asyncio.Future] = collections.deque()

    def locked(self) -> bool:
        return self._locked

    async def __aenter__(self) -> SessionLock:
        if not self._locked and not self._waiters:
            self._locked = True
            return self
        future = asyncio.get_running_loop().create_future()
        self._waiters.append(future)
        try:
            await future
        except BaseException:
            if future.done() and not future.cancelled():  # handed over, then cancelled
                self._release()
            raise
        return self

    async def __aexit__(self, *exc) -> None:
        self._release()

    def _release(self) -> None:
        waiters = self._waiters
        while waiters:
            future = waiters.popleft()
            if not future.done():  # (a cancelled waiter is done: skipped)
                future.set_result(None)  # the lock stays taken: it is that waiter's now
                return
        self._locked = False


class Exclusive:
    """``SessionRegistry.exclusive``: a class, not an ``asynccontextmanager`` (its async
    generator, ``asend`` objects and ``StopAsyncIteration`` cost ~8k instructions a request in
    the serving process)."""

    __slots__ = ("registry", "session")

    def __init__(self, registry: SessionRegistry, session: Session) -> None:
        self.registry, self.session = registry, session

    async def __aenter__(self) -> Session:
        session = self.session
        session.pending += 1
        try:
            await session.lock.__aenter__()
        except BaseException:
            session.pending -= 1
            raise
        try:
            if session.closed:
                raise NotFound(f"No session {session.id!r}.", session=session.id)
            await self.registry.hold(session)
        except BaseException:
            session.lock._release()
            session.pending -= 1
            raise
        return session

    async def __aexit__(self, *exc: object) -> None:
        session = self.session
        try:
            self.registry.touch(session)
        finally:
            session.lock._release()
            session.pending -= 1


@dataclass(eq=False)
class Session:
    id: str
    owner: str
    device: str
    seed: int
    ttl_s: float
    created_at: float
    last_used: float
    fence: int
    head: int | None = 0
    """The log entry the session's last request left it at; None when unknown (a host died
    with a request in flight: the next host reads it from the store)."""
    replay_ms: float = 0.0
    memory_bytes: int = 0
    lock: SessionLock = field(default_factory=SessionLock)
    """FIFO hand-off lock: requests on one session go in arrival order."""
    pending: int = 0
    closed: bool = False
    lease_until: float = 0.0
    """Until when this process holds the session's lease (its own clock)."""

    @property
    def expires_at(self) -> float:
        return self.last_used + self.ttl_s

    @classmethod
    def from_record(cls, record: SessionRecord, fence: int) -> Session:
        return cls(id=record.id, owner=record.owner, device=record.device, seed=record.seed,
                   ttl_s=record.ttl_s, created_at=record.created_at,
                   last_used=record.last_used, fence=fence, head=record.head,
                   replay_ms=record.replay_ms, memory_bytes=record.memory_bytes)


def replica_id() -> str:
    """This serving process, as a lease holder: host name, pid and a random part."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


class SessionRegistry:
    """Sessions by id. A session owned by another key, an expired one and an unknown id are the
    same :class:`NotFound` (no way to probe for ids)."""

    def __init__(self, store: StateStore, *, max_sessions: int, default_ttl_s: float,
                 key_max_sessions: int, holder: str | None = None,
                 clock: Callable[[], float] = time.time, lease_s: float = LEASE_TTL_S,
                 lease_wait_s: float = 0.0) -> None:
        self.store = store
        self.max_sessions = max_sessions
        self.key_max_sessions = key_max_sessions
        self.default_ttl_s = default_ttl_s
        self.holder = holder or replica_id()
        self.clock = clock
        self.lease_s = lease_s
        self.lease_wait_s = lease_wait_s
        self._sessions: dict[str, Session] = {}
        self._touched: dict[str, float] = {}
        self._owner_memory: dict[str, int] = {}
        """Each owner's ``memory_bytes`` summed over its sessions here (kept as they change:
        the memory quota is checked on every run)."""
        self.alive = 0
        """Sessions alive in the store, as of the last count (metrics)."""
        self.on_forget: Callable[[str], None] = lambda sid: None

    def __len__(self) -> int:
        return len(self._sessions)

    async def _io(self, fn: Callable, *args: object) -> object:
        return await anyio.to_thread.run_sync(fn, *args)

    async def create(self, owner: str, device: str, *, seed: int | None = None,
                     ttl_s: float | None = None, session_id: str | None = None) -> Session:
        """A new session; ``session_id`` is an id a trusted proxy proposed (the one whose hash
        picked this replica), used if well formed and free, else one is drawn here."""
        now = self.clock()
        record = SessionRecord(
            id=session_id if session_id and PROPOSED_ID.match(session_id)
            else "s_" + secrets.token_urlsafe(18), owner=owner, device=device,
            seed=secrets.randbits(63) if seed is None else seed,
            ttl_s=float(ttl_s or self.default_ttl_s), created_at=now, last_used=now)

        def insert() -> int:
            alive = self.store.count_alive(now)
            if alive >= self.max_sessions:
                raise TooManySessions(f"The limit of {self.max_sessions} sessions is reached; "
                                      "end one (DELETE) or wait for one to expire.",
                                      limit=self.max_sessions)
            if self.store.count_alive(now, owner) >= self.key_max_sessions:
                raise QuotaExceeded(
                    f"This API key holds {self.key_max_sessions} sessions, its quota; end one "
                    "(DELETE) or wait for one to expire.", quota="sessions",
                    limit=self.key_max_sessions, retry_after_s=60)
            if record.id == session_id and self.store.get(record.id) is not None:
                record.id = "s_" + secrets.token_urlsafe(18)  # taken: not the proxy's
            self.store.create(record)
            fence = self.store.acquire(record.id, self.holder, self.lease_s, now)
            self.alive = alive + 1
            return fence

        fence = await self._io(insert)
        session = Session.from_record(record, fence)
        session.head = 0
        session.lease_until = now + self.lease_s
        self._keep(session)
        return session

    async def get(self, owner: str, session_id: str) -> Session:
        session = self._sessions.get(session_id)
        if session is None:
            session = await self._load(session_id)
        if session is None or session.owner != owner:
            raise NotFound(f"No session {session_id!r}.", session=session_id)
        if session.pending == 0 and self.clock() >= session.expires_at:
            await self._end(session)
            raise NotFound(f"No session {session_id!r}.", session=session_id)
        return session

    async def _load(self, session_id: str) -> Session | None:
        """A session this process has not seen since it started: from the store, with its
        lease."""
        def load() -> tuple[SessionRecord, int | None] | None:
            record = self.store.get(session_id)
            if record is None:
                return None
            return record, self.store.acquire(session_id, self.holder, self.lease_s,
                                              self.clock())

        waited = 0.0
        while True:
            found = await self._io(load)
            if found is None:
                return None
            record, fence = found
            if fence is not None:
                break
            waited = await self._wait_for_lease(waited)
        cached = self._sessions.get(session_id)
        if cached is not None:  # loaded meanwhile by another request
            return cached
        session = Session.from_record(record, fence)
        session.lease_until = self.clock() + self.lease_s
        self._keep(session)
        return session

    def _keep(self, session: Session) -> None:
        self._sessions[session.id] = session
        self._owner_memory[session.owner] = \
            self._owner_memory.get(session.owner, 0) + session.memory_bytes

    def set_memory(self, session: Session, memory_bytes: int) -> None:
        """What ``session`` holds now (as its host last said)."""
        if self._sessions.get(session.id) is session:
            self._owner_memory[session.owner] += memory_bytes - session.memory_bytes
        session.memory_bytes = memory_bytes

    async def _wait_for_lease(self, waited: float) -> float:
        """Another replica holds the session's lease (it ran the session last, or runs it
        now): wait a little for it to lapse, up to ``lease_wait_s`` in all, then 503."""
        if waited >= self.lease_wait_s:
            raise ServerBusy("The session is in use by another replica of the service.",
                             retry_after_s=2)
        await anyio.sleep(LEASE_POLL_S)
        return waited + LEASE_POLL_S

    async def hold(self, session: Session) -> None:
        """Makes sure this process holds the session's lease for at least half a lease more
        (a store write only when it is running out). If another replica had it meanwhile, the
        session's state here is stale: it is taken from the store again."""
        now = self.clock()
        if session.lease_until - now >= self.lease_s / 2:
            return
        waited = 0.0
        while True:
            fence = await self._io(self.store.acquire, session.id, self.holder, self.lease_s,
                                   now)
            if fence is not None:
                break
            waited = await self._wait_for_lease(waited)
            now = self.clock()
        session.lease_until = now + self.lease_s
        if fence != session.fence:  # another replica wrote to it since: start from the store
            record = await self._io(self.store.get, session.id)
            if record is None:
                self._forget(session)
                raise NotFound(f"No session {session.id!r}.", session=session.id)
            session.fence, session.head = fence, None
            session.replay_ms = record.replay_ms
            self.set_memory(session, record.memory_bytes)

    def _renew(self, sessions: list[Session], now: float) -> list[int | None]:
        return [self.store.acquire(s.id, self.holder, self.lease_s, now) for s in sessions]

    async def keep_leases(self) -> None:
        """Forever: renews the leases of sessions with requests in flight, so that a long run
        keeps its session (idle sessions' leases lapse, and another replica may take them)."""
        while True:
            await anyio.sleep(self.lease_s / 3)
            busy = [s for s in self._sessions.values() if s.pending]
            if not busy:
                continue
            now = self.clock()

            try:
                fences = await self._io(self._renew, busy, now)
            except Exception:  # the store is unreachable: appends will say so
                logger.warning("renewing the leases of %d sessions failed", len(busy),
                               exc_info=True)
                continue
            for session, fence in zip(busy, fences):
                if fence == session.fence:
                    session.lease_until = now + self.lease_s

    async def list(self, owner: str) -> list[Session]:
        records = await self._io(self.store.list, owner, self.clock())
        listed = []
        for record in records:
            cached = self._sessions.get(record.id)
            listed.append(cached if cached is not None
                          else Session.from_record(record, record.fence))
        return listed

    async def delete(self, owner: str, session_id: str) -> None:
        await self._end(await self.get(owner, session_id))

    async def _end(self, session: Session) -> None:
        self._forget(session)
        await self._io(self.store.delete, session.id)

    def forget(self, session: Session) -> None:
        """The session is gone from the store (deleted elsewhere): drop it here too."""
        self._forget(session)

    def _forget(self, session: Session) -> None:
        kept = self._sessions.pop(session.id, None)
        if kept is not None:
            self._owner_memory[kept.owner] -= kept.memory_bytes
        self._touched.pop(session.id, None)
        session.closed = True
        self.on_forget(session.id)

    async def cull(self) -> int:
        """Ends every session past its TTL (in the store, and here); returns how many. Also
        writes the last-used times of sessions only read since (runs write theirs)."""
        now = self.clock()
        touched, self._touched = self._touched, {}
        for session in self._sessions.values():
            if session.pending:  # in use: never expires meanwhile
                touched[session.id] = now

        def sweep() -> tuple[list[str], int]:
            self.store.touch(touched)
            expired = self.store.expired(now)
            for sid in expired:
                self.store.delete(sid)
            return expired, self.store.count_alive(now)

        expired, self.alive = await self._io(sweep)
        for sid in expired:
            session = self._sessions.get(sid)
            if session is not None and session.pending == 0:
                self._forget(session)
        for session in [s for s in self._sessions.values()
                        if s.pending == 0 and now >= s.expires_at]:
            self._forget(session)
        return len(expired)

    def memory_of(self, owner: str) -> int:
        """Bytes the owner's sessions in use hold (as of their last requests)."""
        return self._owner_memory.get(owner, 0)

    def touch(self, session: Session) -> None:
        session.last_used = self.clock()
        self._touched[session.id] = session.last_used

    def exclusive(self, session: Session) -> Exclusive:
        """Hold ``session`` for one request (``async with``): waits its turn (arrival order),
        keeps it from expiring meanwhile, and 404s if it was deleted while this request
        waited."""
        return Exclusive(self, session)

    def clear(self) -> None:
        for session in list(self._sessions.values()):
            session.closed = True
        self._sessions.clear()
        self._owner_memory.clear()
