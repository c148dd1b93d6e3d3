"""The SQLite store's append-only log (layout 1): an append writes only its entry, a store of
the earlier layout (0: every append also rewrote the session's row) is migrated when opened and
reads as it did, and a committed append survives its process being killed."""

from __future__ import annotations

import contextlib
import os
import signal
import sqlite3
import time

import orjson
import pytest

from app.services.store import SessionRecord, SqliteStore, StaleFence
from app.services.store import sqlite as sqlite_store

LAYOUT_0 = """
CREATE TABLE sessions (
    id TEXT PRIMARY KEY, owner TEXT NOT NULL, device TEXT NOT NULL, seed INTEGER NOT NULL,
    ttl_s REAL NOT NULL, created_at REAL NOT NULL, last_used REAL NOT NULL,
    head INTEGER NOT NULL DEFAULT 0, snapshot_seq INTEGER NOT NULL DEFAULT 0,
    replay_ms REAL NOT NULL DEFAULT 0, memory_bytes INTEGER NOT NULL DEFAULT 0,
    fence INTEGER NOT NULL DEFAULT 0, holder TEXT, lease_until REAL NOT NULL DEFAULT 0,
    extra TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX sessions_by_owner ON sessions (owner, created_at);
CREATE TABLE entries (
    session TEXT NOT NULL, seq INTEGER NOT NULL, kind TEXT NOT NULL, body BLOB NOT NULL,
    meta TEXT NOT NULL, PRIMARY KEY (session, seq)
) WITHOUT ROWID;
CREATE TABLE snapshots (session TEXT PRIMARY KEY, seq INTEGER NOT NULL, data BLOB NOT NULL);
"""
"""The store's layout before the append-only log, as the service wrote it."""


def _layout_0_store(folder, now: float) -> None:
    """A store as the earlier code left it: session "a" with three entries (the row's head,
    replay time, memory and last use written by each append), session "b" snapshotted at 2 with
    one entry after it, session "c" with nothing logged."""
    with contextlib.closing(sqlite3.connect(folder / sqlite_store.FILE_NAME)) as db:
        db.executescript(LAYOUT_0)
        for sid, head, snap, replay, memory, used in (("a", 3, 0, 6.0, 300, now - 5),
                                                      ("b", 3, 2, 4.0, 30, now - 2),
                                                      ("c", 0, 0, 0.0, 0, now - 1)):
            db.execute("INSERT INTO sessions (id, owner, device, seed, ttl_s, created_at, "
                       "last_used, head, snapshot_seq, replay_ms, memory_bytes, fence, extra) "
                       "VALUES (?, 'o', 'cpu', 7, 60, ?, ?, ?, ?, ?, ?, 2, '{\"k\": 1}')",
                       (sid, now - 10, used, head, snap, replay, memory))
        for sid, seq, elapsed in (("a", 1, 1.0), ("a", 2, 2.0), ("a", 3, 3.0), ("b", 3, 4.0)):
            db.execute("INSERT INTO entries VALUES (?, ?, 'run', ?, ?)",
                       (sid, seq, f"body {sid}{seq}".encode(),
                        orjson.dumps({"steps": seq, "elapsed_ms": elapsed}).decode()))
        db.execute("INSERT INTO snapshots VALUES ('b', 2, x'00ff')")
        db.commit()


def _state(store: SqliteStore, sid: str) -> tuple:
    got = store.get(sid)
    return (got.head, got.snapshot_seq, got.replay_ms, got.memory_bytes, got.last_used,
            got.fence, got.extra, [(e.seq, e.body, e.meta) for e in store.entries(sid)])


def test_a_layout_0_store_reads_as_before_and_its_logs_go_on(tmp_path):
    now = time.time()
    _layout_0_store(tmp_path, now)
    store = SqliteStore(tmp_path)
    a = _state(store, "a")
    assert a[:7] == (3, 0, 6.0, 300, now - 5, 2, {"k": 1})
    assert a[7] == [(seq, f"body a{seq}".encode(), {"steps": seq, "elapsed_ms": float(seq)})
                    for seq in (1, 2, 3)]
    assert _state(store, "b")[:7] == (3, 2, 4.0, 30, now - 2, 2, {"k": 1})
    assert _state(store, "c")[:7] == (0, 0, 0.0, 0, now - 1, 2, {"k": 1})
    assert store.snapshot("b") == (2, b"\x00\xff")
    with contextlib.closing(sqlite3.connect(tmp_path / sqlite_store.FILE_NAME)) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == sqlite_store.SCHEMA_VERSION

    # a second process opening it finds it migrated: nothing counted twice
    again = SqliteStore(tmp_path)
    assert [_state(again, sid) for sid in "abc"] == [_state(store, sid) for sid in "abc"]
    again.close()

    # the logs go on from their heads, under their fences, as they would have
    with pytest.raises(StaleFence):
        store.append("a", 2, 2, "run", b"x", {}, last_used=now, memory_bytes=0)
    with pytest.raises(StaleFence):
        store.append("a", 1, 3, "run", b"x", {}, last_used=now, memory_bytes=0)
    with pytest.raises(StaleFence):  # past the head: no gap in the log
        store.append("a", 2, 4, "run", b"x", {}, last_used=now, memory_bytes=0)
    with pytest.raises(StaleFence):  # "b"'s entry 1 is in its snapshot: not its head
        store.append("b", 2, 1, "run", b"x", {}, last_used=now, memory_bytes=0)
    with pytest.raises(StaleFence):  # "c" has no entry 1
        store.append("c", 2, 1, "run", b"x", {}, last_used=now, memory_bytes=0)
    assert store.append("a", 2, 3, "put", b"y", {"name": "v"}, last_used=now,
                        memory_bytes=310) == 4
    assert store.append("b", 2, 3, "run", b"z", {"elapsed_ms": 0.5}, last_used=now,
                        memory_bytes=31) == 4
    assert store.append("c", 2, 0, "run", b"w", {"elapsed_ms": 1.5}, last_used=now - 0.5,
                        memory_bytes=3) == 1
    assert _state(store, "a")[:5] == (4, 0, 6.0, 310, now)
    assert _state(store, "b")[:5] == (4, 2, 4.5, 31, now)
    assert _state(store, "c")[:5] == (1, 0, 1.5, 3, now - 0.5)

    # a snapshot folds what it drops into the row; the entries after it still count
    assert store.put_snapshot("a", 2, 3, b"snap")
    assert _state(store, "a") == (4, 3, 0.0, 310, now, 2, {"k": 1},
                                  [(4, b"y", {"name": "v"})])
    assert store.put_snapshot("a", 2, 4, b"snap")
    assert _state(store, "a") == (4, 4, 0.0, 310, now, 2, {"k": 1}, [])
    assert store.append("a", 2, 4, "run", b"v", {"elapsed_ms": 2.0}, last_used=now + 1,
                        memory_bytes=320) == 5
    assert _state(store, "a")[:5] == (5, 4, 2.0, 320, now + 1)
    store.close()


def test_last_use_comes_from_the_log_for_listing_counting_and_expiry(tmp_path):
    store = SqliteStore(tmp_path)
    now = 1_000_000.0
    for sid in ("s1", "s2"):
        store.create(SessionRecord(id=sid, owner="o", device="cpu", seed=0, ttl_s=10.0,
                                   created_at=now, last_used=now))
    assert store.append("s1", 0, 0, "run", b"{}", {}, last_used=now + 8, memory_bytes=0) == 1
    later = now + 12  # s2 expired at now + 10; s1's run keeps it until now + 18
    assert [r.id for r in store.list("o", later)] == ["s1"]
    assert store.count_alive(later) == 1 and store.count_alive(later, "o") == 1
    assert store.expired(later) == ["s2"]
    assert store.get("s1").expires_at == now + 18
    assert store.expired(now + 18) == ["s1", "s2"]
    store.close()


def test_an_append_writes_one_statement_and_no_session_row(tmp_path):
    store = SqliteStore(tmp_path)
    now = time.time()
    store.create(SessionRecord(id="s", owner="o", device="cpu", seed=0, ttl_s=60,
                               created_at=now, last_used=now))
    statements = []
    store._db.set_trace_callback(statements.append)
    assert store.append("s", 0, 0, "run", b"{}", {"elapsed_ms": 1.0}, last_used=now,
                        memory_bytes=5) == 1
    store._db.set_trace_callback(None)
    assert len(statements) == 1 and statements[0].startswith("INSERT INTO entries")
    store.close()


def test_committed_appends_survive_their_process_being_killed(tmp_path):
    """A process appends, reports each committed entry, and is killed (SIGKILL: no close, no
    checkpoint); every entry it reported is in the store, and the record reads from them."""
    now = time.time()
    setup = SqliteStore(tmp_path)
    setup.create(SessionRecord(id="s", owner="o", device="cpu", seed=0, ttl_s=600,
                               created_at=now, last_used=now))
    setup.close()
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: a host that dies right after its appends
        try:
            store = SqliteStore(tmp_path)
            store.defer_checkpoints = True
            for seq in range(1, 41):
                assert store.append("s", 0, seq - 1, "run", b"body %d" % seq,
                                    {"elapsed_ms": 0.25, "steps": seq}, last_used=now + seq,
                                    memory_bytes=100 + seq) == seq
                if seq == 30:
                    assert store.put_snapshot("s", 0, seq, b"state %d" % seq)
                os.write(write, b"%d\n" % seq)
        finally:
            os.kill(os.getpid(), signal.SIGKILL)
    os.close(write)
    reported = b""
    while chunk := os.read(read, 4096):
        reported += chunk
    os.close(read)
    _, status = os.waitpid(pid, 0)
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL
    assert [int(n) for n in reported.split()] == list(range(1, 41))
    store = SqliteStore(tmp_path)
    got = store.get("s")
    assert (got.head, got.snapshot_seq, got.memory_bytes, got.last_used) == (40, 30, 140,
                                                                            now + 40)
    assert got.replay_ms == pytest.approx(10 * 0.25)
    assert store.snapshot("s") == (30, b"state 30")
    assert [(e.seq, e.body, e.meta["steps"]) for e in store.entries("s")] == [
        (seq, b"body %d" % seq, seq) for seq in range(31, 41)]
    assert store.append("s", 0, 40, "run", b"next", {}, last_used=now, memory_bytes=0) == 41
    store.close()
