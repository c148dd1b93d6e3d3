"""The default store: one SQLite file (WAL) in ``AUTOGRAD_STATE_DIR``.

Durability: every append is one committed transaction before the host answers. With
``synchronous=NORMAL`` (the default, ``AUTOGRAD_STATE_SYNC=normal``) a committed transaction
survives the crash of any process, the service's included (the WAL is in the operating system's
hands once ``write`` returns); ``full`` also survives a power cut (an ``fsync`` per commit).

Many processes open the file at once (the serving process and every host). Writers take an
``flock`` on a lock file next to the database first, so they queue in the kernel and the next
one wakes the moment the lock is free: SQLite's own busy handler, which polls by sleeping 1, 2,
5, 10... ms, never runs, and a short commit never waits milliseconds behind another one
(measured by ``benchmarks/isolation_bench.py``: the tail of a session run next to heavy
neighbours). A process that dies holding the lock releases it with its descriptor.

The log is append-only: an append is one ``INSERT`` of its entry (one statement, one
transaction, the entry's B-tree page the only page it writes), guarded in that statement by the
session row's fence and the entry before it. What an append used to write into the session's
row as well (its head, last use, memory and replay time) is read from the log's last entries
instead (:data:`_RECORD`), and folded into the row when a snapshot drops the entries
(:meth:`SqliteStore.put_snapshot`). A store written before this layout (``user_version`` 0) is
migrated when it is opened (:meth:`SqliteStore._migrate`): its entries get those columns, so it
reads as before.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import socket
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from app.services.store.base import Entry, SessionRecord, StaleFence

FILE_NAME = "sessions.sqlite3"
CHECKPOINT_EVERY = 500
"""Writes of one connection between its WAL checkpoints (SQLite's default is one every 1,000
WAL pages, about 400 of our commits, by whichever connection crosses it)."""
CHECKPOINT_BYTES = 4 << 20
"""Or fewer writes, once they carried this many bytes of entries and snapshots."""

SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    device TEXT NOT NULL,
    seed INTEGER NOT NULL,
    ttl_s REAL NOT NULL,
    created_at REAL NOT NULL,
    last_used REAL NOT NULL,
    head INTEGER NOT NULL DEFAULT 0,
    snapshot_seq INTEGER NOT NULL DEFAULT 0,
    replay_ms REAL NOT NULL DEFAULT 0,
    memory_bytes INTEGER NOT NULL DEFAULT 0,
    fence INTEGER NOT NULL DEFAULT 0,
    holder TEXT,
    lease_until REAL NOT NULL DEFAULT 0,
    extra TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX IF NOT EXISTS sessions_by_owner ON sessions (owner, created_at);
CREATE TABLE IF NOT EXISTS entries (
    session TEXT NOT NULL,
    seq INTEGER NOT NULL,
    kind TEXT NOT NULL,
    body BLOB NOT NULL,
    meta TEXT NOT NULL,
    at REAL NOT NULL DEFAULT 0,
    elapsed_ms REAL NOT NULL DEFAULT 0,
    memory_bytes INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (session, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS snapshots (
    session TEXT PRIMARY KEY,
    seq INTEGER NOT NULL,
    data BLOB NOT NULL
);
"""

SCHEMA_VERSION = 1
"""``PRAGMA user_version`` of the current layout. 0: the session row held the log's head, last
use, memory and replay time, rewritten by every append; 1: the log's entries carry their own
(``at``, ``elapsed_ms``, ``memory_bytes``) and an append writes only its entry."""

_ENTRY_COLUMNS = (("at", "REAL NOT NULL DEFAULT 0"), ("elapsed_ms", "REAL NOT NULL DEFAULT 0"),
                  ("memory_bytes", "INTEGER NOT NULL DEFAULT 0"))


def _last(column: str) -> str:
    """``column`` of the session's last entry (an index seek), or NULL without entries."""
    return (f"(SELECT e.{column} FROM entries e WHERE e.session = s.id "
            "ORDER BY e.seq DESC LIMIT 1)")


_LAST_USED = f"max(s.last_used, COALESCE({_last('at')}, 0))"
"""A session's last use: its row's (creation, ``touch``, entries a snapshot folded in) or its
last entry's, the later."""
_RECORD = (
    "SELECT s.id, s.owner, s.device, s.seed, s.ttl_s, s.created_at, "
    f"{_LAST_USED}, max(s.head, s.snapshot_seq, COALESCE({_last('seq')}, 0)), s.snapshot_seq, "
    "s.replay_ms + COALESCE((SELECT SUM(e.elapsed_ms) FROM entries e "
    "WHERE e.session = s.id), 0), "
    f"COALESCE({_last('memory_bytes')}, s.memory_bytes), s.fence, s.extra FROM sessions s")
"""A :class:`SessionRecord` from the row and the log after it: the head is the last entry's
(or the snapshot's, or a layout-0 row's), the memory the last entry's, the replay time the sum
over the entries kept (a snapshot drops the ones it covers)."""
_HEAD = f"max(s.head, s.snapshot_seq, COALESCE({_last('seq')}, 0))"


def _record(row: tuple) -> SessionRecord:
    *fields, extra = row
    return SessionRecord(*fields, extra=orjson.loads(extra))


def _holder_is_dead(holder: str) -> bool:
    """A holder on this machine whose process is gone (a replica killed without releasing)."""
    try:
        host, pid, _ = holder.split(":", 2)
    except ValueError:
        return False
    if host != socket.gethostname():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except (PermissionError, ValueError):
        return False
    return False


class SqliteStore:
    """:class:`~app.services.store.base.StateStore` on one SQLite file. One connection per
    process (per instance), guarded by a lock so that worker threads may share it."""

    def __init__(self, directory: str | os.PathLike, *, sync: str = "normal") -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.path = self.directory / FILE_NAME
        self._lock = threading.Lock()
        self._writer_fd = os.open(self.directory / (FILE_NAME + ".writer"),
                                  os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        self._db = sqlite3.connect(self.path, timeout=30, isolation_level=None,
                                   check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(f"PRAGMA synchronous={'FULL' if sync == 'full' else 'NORMAL'}")
        self._db.execute("PRAGMA busy_timeout=30000")
        self._db.execute("PRAGMA wal_autocheckpoint=0")  # see _writing
        self._log_cursor = self._db.cursor()
        """:meth:`append`'s cursor, kept (a new cursor per statement, as ``Connection.execute``
        makes, is ~1k instructions each; an append runs four statements)."""
        self._commits = 0
        self._written = 0
        self.defer_checkpoints = False
        """Leave the WAL checkpoint to :meth:`maintain` (a host calls it once its reply is
        sent, so no reply waits for the checkpoint's page copies and fsyncs)."""
        self._checkpoint_due = False
        with self._writing():
            self._db.executescript(SCHEMA)
            self._migrate()

    def _migrate(self) -> None:
        """Brings a store of an earlier layout to :data:`SCHEMA_VERSION`, in one transaction
        (under the writers' lock: the first process to open it does it, the others find it
        done). Layout 0 -> 1: the entries get ``at`` (0: the row's ``last_used`` already holds
        their last use), ``elapsed_ms`` (from their ``meta``, which the row's ``replay_ms`` then
        no longer counts) and ``memory_bytes`` (the row's: what the session held after its
        last entry)."""
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version < 1:
                have = {row[1] for row in db.execute("PRAGMA table_info(entries)")}
                for name, kind in _ENTRY_COLUMNS:
                    if name not in have:
                        db.execute(f"ALTER TABLE entries ADD COLUMN {name} {kind}")
                db.execute(
                    "UPDATE entries SET at = 0, "
                    "elapsed_ms = COALESCE(json_extract(meta, '$.elapsed_ms'), 0), "
                    "memory_bytes = COALESCE((SELECT memory_bytes FROM sessions "
                    "WHERE id = entries.session), 0)")
                db.execute("UPDATE sessions SET replay_ms = 0")
            if version < SCHEMA_VERSION:
                db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    @contextlib.contextmanager
    def _writing(self) -> Iterator[None]:
        """This process's lock, then the writers' lock of every process (see the module).

        Every :data:`CHECKPOINT_EVERY` writes of this connection, or :data:`CHECKPOINT_BYTES`
        of entries and snapshots written, it copies the WAL back into the database (a passive
        checkpoint: it waits for no reader or writer) once the writers' lock is released.
        SQLite's own automatic checkpoint runs inside the commit that crosses its threshold,
        so every other process's commit waited for its page copies and two ``fsync``s (a
        snapshot of a few MB: ~0.1 s). A checkpoint after every snapshot, as before, put
        those ``fsync``s into one request in 64 of every small session (the snapshot's
        ``AUTOGRAD_SNAPSHOT_EVERY``)."""
        with self._lock:
            fcntl.flock(self._writer_fd, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(self._writer_fd, fcntl.LOCK_UN)
            self._commits += 1
            if self._commits >= CHECKPOINT_EVERY or self._written >= CHECKPOINT_BYTES:
                self._commits = self._written = 0
                if self.defer_checkpoints:
                    self._checkpoint_due = True
                else:
                    self._checkpoint()

    def _checkpoint(self) -> None:
        self._checkpoint_due = False
        with contextlib.suppress(sqlite3.OperationalError):  # busy: the next one
            self._db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()

    def maintain(self) -> None:
        """The work no request waits for: a checkpoint that came due while
        :attr:`defer_checkpoints` was set."""
        if self._checkpoint_due:
            with self._lock:
                self._checkpoint()

    # ------------------------------------------------------------------ records

    def create(self, record: SessionRecord) -> None:
        with self._writing():
            self._db.execute(
                "INSERT INTO sessions (id, owner, device, seed, ttl_s, created_at, last_used, "
                "fence, extra) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (record.id, record.owner, record.device, record.seed, record.ttl_s,
                 record.created_at, record.last_used, record.fence,
                 orjson.dumps(record.extra).decode()))

    def get(self, session_id: str) -> SessionRecord | None:
        with self._lock:
            row = self._db.execute(f"{_RECORD} WHERE s.id = ?", (session_id,)).fetchone()
        return _record(row) if row else None

    def list(self, owner: str, now: float) -> list[SessionRecord]:
        with self._lock:
            rows = self._db.execute(
                f"{_RECORD} WHERE s.owner = ? AND {_LAST_USED} + s.ttl_s > ? "
                "ORDER BY s.created_at", (owner, now)).fetchall()
        return [_record(row) for row in rows]

    def count_alive(self, now: float, owner: str | None = None) -> int:
        alive = f"(s.last_used + s.ttl_s > ? OR {_LAST_USED} + s.ttl_s > ?)"
        with self._lock:
            if owner is None:
                row = self._db.execute(f"SELECT COUNT(*) FROM sessions s WHERE {alive}",
                                       (now, now)).fetchone()
            else:
                row = self._db.execute(
                    f"SELECT COUNT(*) FROM sessions s WHERE s.owner = ? AND {alive}",
                    (owner, now, now)).fetchone()
        return int(row[0])

    def delete(self, session_id: str) -> bool:
        with self._writing():
            self._db.execute("BEGIN IMMEDIATE")
            try:
                gone = self._db.execute("DELETE FROM sessions WHERE id = ?",
                                        (session_id,)).rowcount
                self._db.execute("DELETE FROM entries WHERE session = ?", (session_id,))
                self._db.execute("DELETE FROM snapshots WHERE session = ?", (session_id,))
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
        return bool(gone)

    def touch(self, last_used: dict[str, float]) -> None:
        if not last_used:
            return
        with self._writing():
            self._db.executemany(
                "UPDATE sessions SET last_used = max(last_used, ?) WHERE id = ?",
                [(ts, sid) for sid, ts in last_used.items()])

    def expired(self, now: float, limit: int = 1000) -> list[str]:
        with self._lock:
            rows = self._db.execute(
                f"SELECT s.id FROM sessions s WHERE s.last_used + s.ttl_s <= ? "
                f"AND {_LAST_USED} + s.ttl_s <= ? LIMIT ?", (now, now, limit)).fetchall()
        return [row[0] for row in rows]

    # ------------------------------------------------------------------ the log

    def append(self, session_id: str, fence: int, head: int, kind: str, body: bytes,
               meta: dict[str, Any], *, last_used: float, memory_bytes: int) -> int | None:
        """One ``INSERT``: the entry ``head + 1``, written only if the session's row is there
        with this ``fence``, and ``head`` is the log's head: the entry ``head`` is there (or
        ``head`` is the snapshot's, or a layout-0 row's, with no entry after it) and the entry
        ``head + 1`` is not (the primary key refuses it)."""
        seq = head + 1
        db = self._log_cursor
        with self._writing():
            try:
                added = db.execute(
                    "INSERT INTO entries (session, seq, kind, body, meta, at, elapsed_ms, "
                    "memory_bytes) SELECT ?, ?, ?, ?, ?, ?, ?, ? FROM sessions "
                    "WHERE id = ? AND fence = ? AND head <= ? AND snapshot_seq <= ? "
                    "AND (max(head, snapshot_seq) = ? OR EXISTS (SELECT 1 FROM entries "
                    "WHERE session = ? AND seq = ?))",
                    (session_id, seq, kind, body, orjson.dumps(meta).decode(), last_used,
                     float(meta.get("elapsed_ms", 0.0)), memory_bytes,
                     session_id, fence, head, head, head, session_id, head)).rowcount
            except sqlite3.IntegrityError:  # the entry head + 1 is there: the head moved on
                raise StaleFence(session_id) from None
            if not added:
                if db.execute("SELECT 1 FROM sessions WHERE id = ?",
                              (session_id,)).fetchone() is None:
                    return None
                raise StaleFence(session_id)
            self._written += len(body)
        return seq

    def entries(self, session_id: str, after: int = 0) -> Iterator[Entry]:
        with self._lock:
            rows = self._db.execute(
                "SELECT seq, kind, body, meta FROM entries WHERE session = ? AND seq > ? "
                "ORDER BY seq", (session_id, after)).fetchall()
        for seq, kind, body, meta in rows:
            yield Entry(seq, kind, bytes(body), orjson.loads(meta))

    # ------------------------------------------------------------------ snapshots

    def put_snapshot(self, session_id: str, fence: int, seq: int, data: bytes) -> bool:
        """Stores the snapshot, folds the last entry it covers (last use, memory) and its head
        into the session's row, and drops the entries it covers."""
        with self._writing():
            self._db.execute("BEGIN IMMEDIATE")
            try:
                row = self._db.execute(
                    f"SELECT s.fence, {_HEAD}, s.snapshot_seq FROM sessions s WHERE s.id = ?",
                    (session_id,)).fetchone()
                if row is None or row[0] != fence or row[1] < seq or row[2] > seq:
                    self._db.execute("ROLLBACK")
                    return False
                self._db.execute(
                    "INSERT INTO snapshots (session, seq, data) VALUES (?, ?, ?) "
                    "ON CONFLICT (session) DO UPDATE SET seq = excluded.seq, data = excluded.data",
                    (session_id, seq, data))
                covered = self._db.execute(
                    "SELECT at, memory_bytes FROM entries WHERE session = ? AND seq <= ? "
                    "ORDER BY seq DESC LIMIT 1", (session_id, seq)).fetchone()
                if covered is not None:
                    self._db.execute(
                        "UPDATE sessions SET last_used = max(last_used, ?), memory_bytes = ? "
                        "WHERE id = ?", (covered[0], covered[1], session_id))
                self._db.execute("DELETE FROM entries WHERE session = ? AND seq <= ?",
                                 (session_id, seq))
                self._db.execute(  # the entries kept carry their own replay time
                    "UPDATE sessions SET snapshot_seq = ?, head = max(head, ?), replay_ms = 0 "
                    "WHERE id = ?", (seq, seq, session_id))
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
            self._written += len(data)
        return True

    def snapshot(self, session_id: str) -> tuple[int, bytes] | None:
        with self._lock:
            row = self._db.execute("SELECT seq, data FROM snapshots WHERE session = ?",
                                   (session_id,)).fetchone()
        return (row[0], bytes(row[1])) if row else None

    # ------------------------------------------------------------------ leases

    def acquire(self, session_id: str, holder: str, ttl_s: float, now: float) -> int | None:
        with self._writing():
            self._db.execute("BEGIN IMMEDIATE")
            try:
                row = self._db.execute(
                    "SELECT holder, lease_until, fence FROM sessions WHERE id = ?",
                    (session_id,)).fetchone()
                if row is None:
                    self._db.execute("ROLLBACK")
                    return None
                current, until, fence = row
                if current not in (None, holder) and until > now and \
                        not _holder_is_dead(current):
                    self._db.execute("ROLLBACK")
                    return None
                if current != holder:
                    fence += 1
                self._db.execute(
                    "UPDATE sessions SET holder = ?, lease_until = ?, fence = ? WHERE id = ?",
                    (holder, now + ttl_s, fence, session_id))
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
        return fence

    def release(self, session_id: str, holder: str) -> None:
        with self._writing():
            self._db.execute(
                "UPDATE sessions SET holder = NULL, lease_until = 0 WHERE id = ? AND holder = ?",
                (session_id, holder))

    def close(self) -> None:
        with self._lock:
            self._db.close()
            with contextlib.suppress(OSError):
                os.close(self._writer_fd)
