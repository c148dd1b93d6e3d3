"""What a durable session store must do: the interface every backend implements.

A session's state is never stored as Python objects: it is the session's *record* (who owns
it, its device and seed, its TTL) and its *log*, the requests that changed it (runs, variable
binds and deletes) in order, each with how it ended. A host rebuilds a session by replaying the
log into a fresh environment (``app.services.replay``); a *snapshot* (the plain values of a
session whose state has no functions or graphs in it) lets the log before it be dropped.

Backends: :class:`~app.services.store.sqlite.SqliteStore` (the default, one machine) and
:class:`~app.services.store.redis.RedisStore` (``AUTOGRAD_STATE_URL=redis://...``, shared by
replicas on many machines) implement the same methods; the *lease* methods
are what keep two replicas from running one session at once: a replica acquires a session's
lease before it restores the session, every append carries the lease's *fence* (a number that
grows each time the lease changes hands), and an append with a stale fence is refused, so a
replica that lost the lease can no longer write.

Every method is synchronous and quick (one transaction); the serving process calls them from a
worker thread, hosts call them directly.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from app.core.errors import ServerBusy


@dataclass
class SessionRecord:
    """What the store keeps about a session besides its log."""

    id: str
    owner: str
    device: str
    seed: int
    ttl_s: float
    created_at: float
    last_used: float
    head: int = 0
    """Sequence number of the last entry of the log (0: nothing logged yet)."""
    snapshot_seq: int = 0
    """The entry the latest snapshot includes (0: no snapshot)."""
    replay_ms: float = 0.0
    """Run time of the entries after the snapshot: what a restore will cost, about."""
    memory_bytes: int = 0
    """Bytes the session held after its last logged request."""
    fence: int = 0
    """The lease's fence: appends must carry it."""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def expires_at(self) -> float:
        return self.last_used + self.ttl_s


@dataclass
class Entry:
    """One logged request: ``kind`` is ``run``, ``put`` or ``delete``; ``body`` the request's
    bytes as the client sent them; ``meta`` how it ended (``steps``, ``elapsed_ms``,
    ``outcome``, and ``stop``, a step bound, when the run was stopped by the clock)."""

    seq: int
    kind: str
    body: bytes
    meta: dict[str, Any]


class StaleFence(Exception):
    """The session's lease changed hands, or its log moved past the writer's state: this
    writer may not append to it."""


class StoreUnavailable(ServerBusy):
    """The store's server cannot be reached now (a shared backend): a ``503 server_busy`` to
    retry. The request was not applied, or its outcome is unknown to the caller (the fences
    and heads of the log keep it consistent either way)."""

    def __init__(self, detail: str) -> None:
        super().__init__(f"The session store cannot be reached now ({detail}); retry.",
                         retry_after_s=2)


class StateStore(Protocol):
    """The session store. ``now`` arguments are Unix times (seconds)."""

    # -- records
    def create(self, record: SessionRecord) -> None: ...
    def get(self, session_id: str) -> SessionRecord | None: ...
    def list(self, owner: str, now: float) -> list[SessionRecord]: ...
    def count_alive(self, now: float, owner: str | None = None) -> int: ...
    def delete(self, session_id: str) -> bool: ...
    def touch(self, last_used: dict[str, float]) -> None: ...
    def expired(self, now: float, limit: int = 1000) -> list[str]: ...

    # -- the log
    def append(self, session_id: str, fence: int, head: int, kind: str, body: bytes,
               meta: dict[str, Any], *, last_used: float, memory_bytes: int) -> int | None:
        """Adds entry ``head + 1``; returns it, or None if the session is gone. Raises
        :class:`StaleFence` if ``fence`` is not the lease's or ``head`` is not the log's last
        entry (the writer's state is not the log's: it must not append)."""
        ...

    def entries(self, session_id: str, after: int = 0) -> Iterator[Entry]: ...

    # -- snapshots
    def put_snapshot(self, session_id: str, fence: int, seq: int, data: bytes) -> bool:
        """Stores the state after entry ``seq`` and drops the entries it covers."""
        ...

    def snapshot(self, session_id: str) -> tuple[int, bytes] | None: ...

    # -- leases
    def acquire(self, session_id: str, holder: str, ttl_s: float, now: float) -> int | None:
        """Takes (or renews) the session's lease for ``holder``; returns the fence to write
        with, or None while another holder's lease is live."""
        ...

    def release(self, session_id: str, holder: str) -> None: ...

    def maintain(self) -> None:
        """Upkeep that no request waits for (a host calls it after sending each reply)."""
        ...

    def close(self) -> None: ...
