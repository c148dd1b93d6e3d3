"""The in-memory session store: ids, owners, idle TTL, the global cap, per-session run order."""

from __future__ import annotations

import secrets
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import anyio

from app.core.errors import NotFound, TooManySessions


@dataclass(eq=False)
class Session:
    id: str
    owner: str
    device: str
    env: Any
    ttl_s: float
    created_at: float
    last_used: float
    lock: anyio.Lock = field(default_factory=lambda: anyio.Lock(fast_acquire=True))
    """FIFO hand-off lock: runs on one session go in arrival order."""
    pending: int = 0
    """Requests using or waiting for the session; a session with any is never culled."""
    closed: bool = False

    @property
    def expires_at(self) -> float:
        return self.last_used + self.ttl_s


class SessionStore:
    """Sessions by id. A session owned by another key, an expired one and an unknown id are the
    same :class:`NotFound` (no way to probe for ids)."""

    def __init__(self, *, max_sessions: int, default_ttl_s: float,
                 env_factory: Callable[[str, int | None], Any],
                 clock: Callable[[], float] = time.time) -> None:
        self.max_sessions = max_sessions
        self.default_ttl_s = default_ttl_s
        self.env_factory = env_factory
        self.clock = clock
        self._sessions: dict[str, Session] = {}

    def __len__(self) -> int:
        return len(self._sessions)

    def create(self, owner: str, device: str, *, seed: int | None = None,
               ttl_s: float | None = None) -> Session:
        if len(self._sessions) >= self.max_sessions:
            self.cull()
        if len(self._sessions) >= self.max_sessions:
            raise TooManySessions(f"The limit of {self.max_sessions} sessions is reached; "
                                  "end one (DELETE) or wait for one to expire.",
                                  limit=self.max_sessions)
        now = self.clock()
        session = Session(
            id="s_" + secrets.token_urlsafe(18), owner=owner, device=device,
            env=self.env_factory(device, seed), ttl_s=ttl_s or self.default_ttl_s,
            created_at=now, last_used=now,
        )
        self._sessions[session.id] = session
        return session

    def get(self, owner: str, session_id: str) -> Session:
        session = self._sessions.get(session_id)
        if session is None or session.owner != owner:
            raise NotFound(f"No session {session_id!r}.", session=session_id)
        if session.pending == 0 and self.clock() >= session.expires_at:
            self._remove(session)
            raise NotFound(f"No session {session_id!r}.", session=session_id)
        return session

    def list(self, owner: str) -> list[Session]:
        self.cull()
        return sorted((s for s in self._sessions.values() if s.owner == owner),
                      key=lambda s: s.created_at)

    def delete(self, owner: str, session_id: str) -> None:
        self._remove(self.get(owner, session_id))

    def cull(self) -> int:
        """Free every idle session past its TTL; returns how many."""
        now = self.clock()
        expired = [s for s in self._sessions.values()
                   if s.pending == 0 and now >= s.expires_at]
        for session in expired:
            self._remove(session)
        return len(expired)

    def clear(self) -> None:
        for session in list(self._sessions.values()):
            self._remove(session)

    def _remove(self, session: Session) -> None:
        self._sessions.pop(session.id, None)
        session.closed = True
        session.env = None  # drop the tensors now, even if a request still holds the Session

    def touch(self, session: Session) -> None:
        session.last_used = self.clock()

    @asynccontextmanager
    async def exclusive(self, session: Session) -> AsyncIterator[Session]:
        """Hold ``session`` for one run: waits its turn (arrival order), keeps it from expiring
        meanwhile, and 404s if it was deleted while this request waited."""
        session.pending += 1
        try:
            async with session.lock:
                if session.closed:
                    raise NotFound(f"No session {session.id!r}.", session=session.id)
                try:
                    yield session
                finally:
                    self.touch(session)
        finally:
            session.pending -= 1
