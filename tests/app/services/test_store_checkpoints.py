"""The WAL is copied back into the database by each connection every CHECKPOINT_EVERY writes
(or CHECKPOINT_BYTES written), after the writers' lock is released (SQLite's own automatic
checkpoint is off: it ran inside the commit that crossed its threshold, with every other
process's commit waiting)."""

from __future__ import annotations

import fcntl
import time

from app.services.store import sqlite
from app.services.store.base import SessionRecord


def test_checkpoints_run_outside_the_writers_lock(tmp_path, monkeypatch):
    store = sqlite.SqliteStore(tmp_path)
    assert store._db.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 0
    now = time.time()
    store.create(SessionRecord(id="s", owner="o", device="cpu", seed=0, ttl_s=60,
                               created_at=now, last_used=now))
    fence = store.acquire("s", "me", 60, now)
    locked = []
    checkpoints = []
    real_flock = fcntl.flock

    def flock(fd, op):
        locked.append(op == fcntl.LOCK_EX)
        return real_flock(fd, op)

    class Watched:
        def __init__(self, db):
            self.db = db

        def execute(self, sql, *args):
            if "wal_checkpoint" in sql:
                checkpoints.append(locked[-1] if locked else False)
            return self.db.execute(sql, *args)

        def __getattr__(self, name):
            return getattr(self.db, name)

    monkeypatch.setattr(sqlite.fcntl, "flock", flock)
    store._db = Watched(store._db)
    head = 0
    for _ in range(2 * sqlite.CHECKPOINT_EVERY + 10):
        head = store.append("s", fence, head, "run", b"{}", {}, last_used=now, memory_bytes=0)
    assert len(checkpoints) == 2 and not any(checkpoints)  # never while holding the lock
    assert store.put_snapshot("s", fence, head, b"x" * 100_000)
    assert len(checkpoints) == 2  # a small snapshot: no checkpoint (and its fsyncs) for it
    head = store.append("s", fence, head, "run", b"{}", {}, last_used=now, memory_bytes=0)
    assert store.put_snapshot("s", fence, head, b"x" * sqlite.CHECKPOINT_BYTES)
    assert len(checkpoints) == 3 and not any(checkpoints)  # after CHECKPOINT_BYTES written
    busy, log, done = store._db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    assert busy == 0 and log == done
    store.close()
