"""Work a host leaves until its reply is sent, and system calls it no longer repeats: a WAL
checkpoint that comes due waits for ``maintain`` (never for a reply), ``statm`` is read from a
descriptor of the process's own (a fork opens its own), and the address-space limit keeps the
hard limit it read last (read again if another process lowered it)."""

from __future__ import annotations

import mmap
import os
import resource
import time

from app.services import memory
from app.services.store import sqlite
from app.services.store.base import SessionRecord


def test_a_deferred_checkpoint_runs_in_maintain_only(tmp_path, monkeypatch):
    store = sqlite.SqliteStore(tmp_path)
    store.defer_checkpoints = True
    now = time.time()
    store.create(SessionRecord(id="s", owner="o", device="cpu", seed=0, ttl_s=60,
                               created_at=now, last_used=now))
    fence = store.acquire("s", "me", 60, now)
    checkpoints = []
    real = store._db

    class Watched:
        def execute(self, sql, *args):
            if "wal_checkpoint" in sql:
                checkpoints.append(sql)
            return real.execute(sql, *args)

        def __getattr__(self, name):
            return getattr(real, name)

    store._db = Watched()
    head = 0
    for _ in range(sqlite.CHECKPOINT_EVERY + 5):
        head = store.append("s", fence, head, "run", b"{}", {}, last_used=now, memory_bytes=0)
    assert checkpoints == []  # due, not run by any append
    store.maintain()
    assert len(checkpoints) == 1
    store.maintain()  # nothing due any more
    assert len(checkpoints) == 1
    store._db = real
    busy, log, done = store._db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    assert busy == 0 and log == done
    store.close()


def test_statm_is_the_forked_childs_own():
    memory.statm()  # the parent's descriptor is open
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child grows by 64 MiB resident and reports what statm says
        try:
            before = memory.statm()[1]
            block = mmap.mmap(-1, 64 << 20)  # fresh pages (not a heap's freed, resident ones)
            for offset in range(0, len(block), mmap.PAGESIZE):
                block[offset] = 1
            os.write(write, f"{before} {memory.statm()[1]}".encode())
        finally:
            os._exit(0)
    os.close(write)
    before, after = map(int, os.read(read, 100).split())
    os.close(read)
    os.waitpid(pid, 0)
    assert after - before >= 60 << 20
    assert memory.statm()[1] < after + (1 << 30)  # the parent still reads its own


def test_the_limit_reads_a_lowered_hard_limit_again():
    pid = os.fork()
    if pid == 0:  # in a child: the hard limit is lowered for good
        code = 1
        try:
            _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
            assert memory.limit_address_space(None) == hard
            lower = min(hard, 1 << 46) - (1 << 40)
            resource.setrlimit(resource.RLIMIT_AS, (lower, lower))  # as another process may
            assert memory.limit_address_space(1 << 44, hard) == lower
            assert resource.getrlimit(resource.RLIMIT_AS) == (min(1 << 44, lower), lower)
            assert memory.limit_address_space(None, lower) == lower
            assert resource.getrlimit(resource.RLIMIT_AS) == (lower, lower)
            code = 0
        finally:
            os._exit(code)
    assert os.waitpid(pid, 0)[1] == 0
