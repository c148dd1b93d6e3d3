"""The shared store: Redis (``AUTOGRAD_STATE_URL=redis://host:6379/0``), for replicas on many
machines.

Layout (every key starts with the prefix, ``autograd:`` by default; a session's keys share the
hash tag ``{id}``, so one Redis Cluster slot holds them all):

- ``autograd:{id}:rec``: the record, a hash (the fields of
  :class:`~app.services.store.base.SessionRecord`, plus the lease: ``holder``, ``lease_until``);
- ``autograd:{id}:log``: the log, a list of entries in order (the first is the entry after the
  snapshot);
- ``autograd:{id}:snap``: the latest snapshot, a hash (``seq``, ``data``);
- ``autograd:alive`` and ``autograd:owner:<owner>``: sorted sets of session ids scored by when
  they expire, for the caps and listings.

**TTLs live in Redis itself.** Every write that changes a session's idle time (create, append,
touch, a lease) sets the expiry of its keys to ``max(last_used + ttl_s, lease_until)``: Redis
drops a session that has been idle for its TTL by itself, and never one whose lease (a request
in flight) is live. The sorted sets are cleaned by ``expired``/``delete`` (the registry's cull).
Expiry times are relative (``PEXPIRE``) to the caller's clock, so the Redis server's clock does
not matter; the replicas' clocks should agree to within a lease (NTP).

**Atomicity.** Every method that checks and writes is one Lua script (atomic in Redis): an
append checks the lease's fence and the log's head in the same step that adds the entry, so a
replica that lost the lease can never write.

**Durability** is Redis's own: with ``appendonly yes`` and ``appendfsync everysec`` (what the
compose file and the Kubernetes manifests run) a reply that Redis sent survives the crash of any
process, Redis's included (the write is in the operating system's hands before the reply goes
out), and at most the last second is lost to a power cut; ``appendfsync always`` closes that too,
at a cost per write. That is the guarantee SQLite gives with ``AUTOGRAD_STATE_SYNC=normal`` and
``full``.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import orjson
import redis
from redis.backoff import ExponentialBackoff
from redis.retry import Retry

from app.services.store.base import Entry, SessionRecord, StaleFence, StoreUnavailable

PREFIX = "autograd:"

_RECORD_FIELDS = ("owner", "device", "seed", "ttl_s", "created_at", "last_used", "head",
                  "snapshot_seq", "replay_ms", "memory_bytes", "fence", "extra")

# KEYS: rec, log, snap. The expiry of a session's keys: max(last_used + ttl_s, lease_until),
# relative to ARGV's ``now`` (the caller's clock). Returns the expiry (seconds, caller's clock).
_EXPIRE = """
local function expire_session(now)
  local f = redis.call('HMGET', KEYS[1], 'last_used', 'ttl_s', 'lease_until', 'owner')
  local at = math.max(tonumber(f[1]) + tonumber(f[2]), tonumber(f[3]))
  local ms = math.max(math.floor((at - now) * 1000), 1)
  for i = 1, 3 do redis.call('PEXPIRE', KEYS[i], ms) end
  local prefix = ARGV[#ARGV]
  local sid = redis.call('HGET', KEYS[1], 'id')
  redis.call('ZADD', prefix .. 'alive', at, sid)
  redis.call('ZADD', prefix .. 'owner:' .. f[4], at, sid)
  return at
end
"""

# ARGV: now, then field/value pairs, then the prefix. 0: the id is taken.
_CREATE = _EXPIRE + """
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local fields = {}
for i = 2, #ARGV - 1 do fields[#fields + 1] = ARGV[i] end
redis.call('HSET', KEYS[1], unpack(fields))
expire_session(tonumber(ARGV[1]))
return 1
"""

# ARGV: now, fence, head, entry, last_used, memory_bytes, elapsed_ms, prefix.
# -1: no such session; -2: a stale fence or head; else the new entry's seq.
_APPEND = _EXPIRE + """
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
local f = redis.call('HMGET', KEYS[1], 'fence', 'head', 'last_used')
if tonumber(f[1]) ~= tonumber(ARGV[2]) or tonumber(f[2]) ~= tonumber(ARGV[3]) then
  return -2
end
local seq = tonumber(ARGV[3]) + 1
redis.call('RPUSH', KEYS[2], ARGV[4])
local last_used = f[3]
if tonumber(ARGV[5]) > tonumber(last_used) then last_used = ARGV[5] end
redis.call('HSET', KEYS[1], 'head', seq, 'last_used', last_used, 'memory_bytes', ARGV[6])
redis.call('HINCRBYFLOAT', KEYS[1], 'replay_ms', ARGV[7])
expire_session(tonumber(ARGV[1]))
return seq
"""

# ARGV: after. The log entries after ``after`` (the list starts after the snapshot).
_ENTRIES = """
local base = tonumber(redis.call('HGET', KEYS[1], 'snapshot_seq') or '0')
local start = math.max(tonumber(ARGV[1]) - base, 0)
return redis.call('LRANGE', KEYS[2], start, -1)
"""

# ARGV: now, fence, seq, data, prefix. 0: refused (gone, stale fence, seq past the head or
# before the latest snapshot).
_SNAPSHOT = _EXPIRE + """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local f = redis.call('HMGET', KEYS[1], 'fence', 'head', 'snapshot_seq')
local seq = tonumber(ARGV[3])
if tonumber(f[1]) ~= tonumber(ARGV[2]) or tonumber(f[2]) < seq or
   tonumber(f[3]) > seq then return 0 end
redis.call('HSET', KEYS[3], 'seq', seq, 'data', ARGV[4])
local drop = seq - tonumber(f[3])
if drop > 0 then redis.call('LTRIM', KEYS[2], drop, -1) end
local replay = 0
for _, raw in ipairs(redis.call('LRANGE', KEYS[2], 0, -1)) do
  local head = cjson.decode(string.sub(raw, 1, string.find(raw, '\\n', 1, true) - 1))
  replay = replay + (tonumber(head['meta']['elapsed_ms']) or 0)
end
redis.call('HSET', KEYS[1], 'snapshot_seq', seq, 'replay_ms', replay)
expire_session(tonumber(ARGV[1]))
return 1
"""

# ARGV: now, holder, ttl_s, prefix. -1: no such session; -2: another holder's lease is live.
_ACQUIRE = _EXPIRE + """
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
local now = tonumber(ARGV[1])
local f = redis.call('HMGET', KEYS[1], 'holder', 'lease_until', 'fence')
local holder, fence = f[1] or '', tonumber(f[3])
if holder ~= '' and holder ~= ARGV[2] and tonumber(f[2]) > now then return -2 end
if holder ~= ARGV[2] then fence = fence + 1 end
redis.call('HSET', KEYS[1], 'holder', ARGV[2], 'lease_until', tostring(now + tonumber(ARGV[3])),
           'fence', fence)
expire_session(now)
return fence
"""

# ARGV: holder.
_RELEASE = """
if redis.call('HGET', KEYS[1], 'holder') == ARGV[1] then
  redis.call('HSET', KEYS[1], 'holder', '', 'lease_until', '0')
end
return 1
"""

# ARGV: now, last_used, prefix. 0: no such session.
_TOUCH = _EXPIRE + """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if tonumber(ARGV[2]) > tonumber(redis.call('HGET', KEYS[1], 'last_used')) then
  redis.call('HSET', KEYS[1], 'last_used', ARGV[2])
end
expire_session(tonumber(ARGV[1]))
return 1
"""

# ARGV: id, prefix. 1: it was there.
_DELETE = """
local owner = redis.call('HGET', KEYS[1], 'owner')
local gone = redis.call('DEL', KEYS[1], KEYS[2], KEYS[3])
redis.call('ZREM', ARGV[2] .. 'alive', ARGV[1])
if owner then redis.call('ZREM', ARGV[2] .. 'owner:' .. owner, ARGV[1]) end
if gone > 0 then return 1 end
return 0
"""


def _text(value: float | int) -> str:
    return repr(float(value)) if isinstance(value, float) else str(value)


def _encode_entry(seq: int, kind: str, meta: dict[str, Any], body: bytes | memoryview) -> bytes:
    return orjson.dumps({"seq": seq, "kind": kind, "meta": meta}) + b"\n" + bytes(body)


def _decode_entry(raw: bytes) -> Entry:
    head, _, body = raw.partition(b"\n")
    fields = orjson.loads(head)
    return Entry(fields["seq"], fields["kind"], body, fields["meta"])


class RedisStore:
    """:class:`~app.services.store.base.StateStore` on a Redis server. Thread-safe (redis-py's
    connection pool); every process (the serving one, each host) opens its own."""

    def __init__(self, url: str, *, prefix: str = PREFIX, timeout_s: float = 5.0) -> None:
        self.url = url
        self.prefix = prefix
        self._redis = redis.Redis.from_url(
            url, socket_timeout=timeout_s, socket_connect_timeout=timeout_s,
            health_check_interval=30,
            retry=Retry(ExponentialBackoff(cap=0.5, base=0.05), 2),
            retry_on_error=[redis.ConnectionError])
        self._scripts = {name: self._redis.register_script(text) for name, text in (
            ("create", _CREATE), ("append", _APPEND), ("entries", _ENTRIES),
            ("snapshot", _SNAPSHOT), ("acquire", _ACQUIRE), ("release", _RELEASE),
            ("touch", _TOUCH), ("delete", _DELETE))}

    def _keys(self, session_id: str) -> list[str]:
        base = f"{self.prefix}{{{session_id}}}"
        return [f"{base}:rec", f"{base}:log", f"{base}:snap"]

    def _call(self, script: str, session_id: str, *args: object) -> Any:
        try:
            return self._scripts[script](keys=self._keys(session_id), args=list(args))
        except redis.RedisError as exc:
            raise StoreUnavailable(f"Redis: {exc}") from exc

    def _run(self, fn: Any, *args: object) -> Any:
        try:
            return fn(*args)
        except redis.RedisError as exc:
            raise StoreUnavailable(f"Redis: {exc}") from exc

    def ping(self) -> bool:
        return bool(self._run(self._redis.ping))

    # ------------------------------------------------------------------ records

    def create(self, record: SessionRecord) -> None:
        fields: list[object] = ["id", record.id]
        for name in _RECORD_FIELDS:
            value = getattr(record, name)
            fields += [name, orjson.dumps(value) if name == "extra" else _text(value)]
        fields += ["holder", "", "lease_until", "0"]
        if not self._call("create", record.id, _text(record.created_at), *fields, self.prefix):
            raise ValueError(f"session {record.id!r} exists")

    def get(self, session_id: str) -> SessionRecord | None:
        values = self._run(self._redis.hmget, self._keys(session_id)[0], *_RECORD_FIELDS)
        if values[0] is None:
            return None
        fields = dict(zip(_RECORD_FIELDS, values))
        return SessionRecord(
            id=session_id, owner=fields["owner"].decode(), device=fields["device"].decode(),
            seed=int(fields["seed"]), ttl_s=float(fields["ttl_s"]),
            created_at=float(fields["created_at"]), last_used=float(fields["last_used"]),
            head=int(fields["head"]), snapshot_seq=int(fields["snapshot_seq"]),
            replay_ms=float(fields["replay_ms"]), memory_bytes=int(fields["memory_bytes"]),
            fence=int(fields["fence"]), extra=orjson.loads(fields["extra"]))

    def _alive_ids(self, key: str, now: float) -> list[str]:
        ids = self._run(self._redis.zrangebyscore, key, f"({now!r}", "+inf")
        return [i.decode() for i in ids]

    def list(self, owner: str, now: float) -> list[SessionRecord]:
        records = [self.get(sid) for sid in self._alive_ids(f"{self.prefix}owner:{owner}", now)]
        alive = [r for r in records if r is not None and r.expires_at > now]
        return sorted(alive, key=lambda r: r.created_at)

    def count_alive(self, now: float, owner: str | None = None) -> int:
        key = f"{self.prefix}alive" if owner is None else f"{self.prefix}owner:{owner}"
        return int(self._run(self._redis.zcount, key, f"({now!r}", "+inf"))

    def delete(self, session_id: str) -> bool:
        return bool(self._call("delete", session_id, session_id, self.prefix))

    def touch(self, last_used: dict[str, float]) -> None:
        now = time.time()
        for sid, ts in last_used.items():
            self._call("touch", sid, _text(now), _text(ts), self.prefix)

    def expired(self, now: float, limit: int = 1000) -> list[str]:
        ids = self._run(self._redis.zrangebyscore, f"{self.prefix}alive", "-inf", repr(now),
                        0, limit)
        return [i.decode() for i in ids]

    # ------------------------------------------------------------------ the log

    def append(self, session_id: str, fence: int, head: int, kind: str, body: bytes,
               meta: dict[str, Any], *, last_used: float, memory_bytes: int) -> int | None:
        entry = _encode_entry(head + 1, kind, meta, body)
        seq = int(self._call("append", session_id, _text(last_used), fence, head, entry,
                             _text(last_used), memory_bytes,
                             _text(float(meta.get("elapsed_ms", 0.0))), self.prefix))
        if seq == -1:
            return None
        if seq == -2:
            raise StaleFence(session_id)
        return seq

    def entries(self, session_id: str, after: int = 0) -> Iterator[Entry]:
        for raw in self._call("entries", session_id, after):
            entry = _decode_entry(raw)
            if entry.seq > after:
                yield entry

    # ------------------------------------------------------------------ snapshots

    def put_snapshot(self, session_id: str, fence: int, seq: int, data: bytes) -> bool:
        return bool(self._call("snapshot", session_id, _text(time.time()), fence, seq, data,
                               self.prefix))

    def snapshot(self, session_id: str) -> tuple[int, bytes] | None:
        seq, data = self._run(self._redis.hmget, self._keys(session_id)[2], "seq", "data")
        return (int(seq), bytes(data)) if seq is not None else None

    # ------------------------------------------------------------------ leases

    def acquire(self, session_id: str, holder: str, ttl_s: float, now: float) -> int | None:
        fence = int(self._call("acquire", session_id, _text(now), holder, _text(float(ttl_s)),
                               self.prefix))
        return None if fence < 0 else fence

    def release(self, session_id: str, holder: str) -> None:
        self._call("release", session_id, holder)

    def maintain(self) -> None:
        pass  # nothing deferred

    def close(self) -> None:
        self._redis.close()
