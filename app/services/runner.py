"""The serving process's side of every request that runs something: read the body, pick a host,
send it, wait (bounded), answer with the host's reply.

Nothing here parses a program body, compiles, or runs an op: bodies go to hosts as the client's
bytes (a large one streamed into a memfd as it arrives, so it is never held twice), and the
host's reply (its status, media type and bytes, a problem included) is passed on as it is; a
large reply is streamed from the host's memfd. What this process adds: authentication and
session ownership (in the routes), run order per session, the hard deadline, and the problems
for a host that died or was killed.
"""

from __future__ import annotations

import mmap
import os
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from app.core.config import Settings
from app.core.errors import LimitExceeded, QuotaExceeded, ServerBusy
from app.core.metrics import Metrics
from app.services.devices import resolve_device
from app.services.hosts.pool import DeadlineExceeded, HostGone, HostPool, HostProcess
from app.services.hosts.protocol import INLINE_MAX, Payload
from app.services.sessions import Session, SessionRegistry

STREAM_CHUNK = 1 << 20


@dataclass
class Body:
    """A request body on its way to a host: bytes, or a memfd holding ``size`` bytes."""

    data: bytes | None = None
    fd: int | None = None
    size: int = 0
    is_json: bool = True

    def close(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


def is_json(content_type: str | None) -> bool:
    """Whether FastAPI would parse a body of this type as JSON."""
    if content_type is None:
        return False
    media = content_type.partition(";")[0].strip().lower()
    return media == "application/json" or (media.startswith("application/")
                                            and media.endswith("+json"))


async def read_body(http: Request) -> Body:
    """The body, bounded by the body-size middleware: small ones as bytes, larger ones written
    into a memfd chunk by chunk as they arrive."""
    json_body = is_json(http.headers.get("content-type"))
    declared = http.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) <= INLINE_MAX:
        return Body(data=await http.body(), is_json=json_body)
    fd = os.memfd_create("autograd-body", os.MFD_CLOEXEC)
    size = 0
    try:
        async for chunk in http.stream():
            view = memoryview(chunk)
            while view:
                written = os.write(fd, view)
                view = view[written:]
                size += written
    except BaseException:
        os.close(fd)
        raise
    if size <= INLINE_MAX:
        data = os.pread(fd, size, 0)
        os.close(fd)
        return Body(data=data, is_json=json_body)
    return Body(fd=fd, size=size, is_json=json_body)


class MappedResponse(StreamingResponse):
    """A large reply streamed from the host's memfd, a chunk at a time (never copied whole)."""

    def __init__(self, mapping: mmap.mmap, status_code: int, media_type: str,
                 headers: dict[str, str]) -> None:
        async def chunks() -> AsyncIterator[bytes]:
            try:
                for start in range(0, len(mapping), STREAM_CHUNK):
                    yield mapping[start:start + STREAM_CHUNK]
            finally:
                mapping.close()

        super().__init__(chunks(), status_code=status_code, media_type=media_type,
                         headers={**headers, "content-length": str(len(mapping))})


TIMINGS = (("elapsed_ms", "run"), ("restored_ms", "restore"), ("log_ms", "log"),
           ("host_ms", "host"))


def to_response(reply: dict[str, Any], payload: Payload, status: int | None = None) -> Response:
    status = status or reply["status"]
    headers = reply.get("headers") or {}
    timing = [f"{name};dur={reply[key]:.3f}" for key, name in TIMINGS if key in reply]
    if timing:  # where the time went, for the client and the benchmarks (W3C Server-Timing)
        headers = {**headers, "server-timing": ", ".join(timing)}
    if isinstance(payload, mmap.mmap):
        return MappedResponse(payload, status, reply["type"], headers)
    return Response(bytes(payload), status_code=status, media_type=reply["type"],
                    headers=headers)


def request_context(http: Request) -> dict[str, Any]:
    scope = http.scope
    path = scope["path"]
    if "?" in path or "#" in path or "\\" in path or path.startswith("//"):
        path = http.url.path  # Starlette escapes these; building its URL costs ~10 µs
    return {"path": path, "rid": scope.get("state", {}).get("request_id")}


class Runner:
    """Every request that needs a host goes through here."""

    def __init__(self, settings: Settings, metrics: Metrics, sessions: SessionRegistry,
                 pool: HostPool) -> None:
        self.settings = settings
        self.metrics = metrics
        self.sessions = sessions
        self.pool = pool
        self.deadline_s = settings.run_timeout_s + settings.run_grace_s
        self.key_runs = settings.key_run_quota
        self.key_memory = settings.key_memory_quota
        self._in_flight: dict[str, int] = {}

    def _take_quota(self, owner: str) -> None:
        """One of the key's requests running or waiting for a host (``AUTOGRAD_KEY_MAX_RUNS``;
        requests waiting for their session's turn do not count); :meth:`_give_quota` ends
        it."""
        count = self._in_flight.get(owner, 0)
        if count >= self.key_runs:
            raise QuotaExceeded(f"This API key has {count} requests running or waiting, its "
                                "quota; retry when one ends.", quota="concurrent_runs",
                                limit=self.key_runs, retry_after_s=1)
        self._in_flight[owner] = count + 1

    def _give_quota(self, owner: str) -> None:
        if self._in_flight[owner] == 1:
            del self._in_flight[owner]
        else:
            self._in_flight[owner] -= 1

    async def _exchange(self, host: HostProcess, header: dict[str, Any], body: Body | None,
                        timeout_s: float, restores: int = 0,
                        keep: int = 0) -> tuple[dict[str, Any], Payload]:
        """Admits the request to the memory budget (its body, and ``restores``: the memory of
        a session the host must restore first; ``keep``: what the host holds that the
        request needs), then sends it; a request that ran out of its grant (and so was not
        applied) is sent once more with all the room the budget has."""
        extra = (body.size if body is not None else 0) + restores
        want = self.pool.default_grant(keep or restores)
        for attempt in (1, 2):
            header["grant"] = grant = await self.pool.admit(host, extra, keep, want)
            reply, payload = await self.pool.exchange(
                host, header, body.data if body is not None else None,
                payload_fd=body.fd if body is not None else None,
                payload_size=body.size if body is not None else 0, timeout_s=timeout_s)
            if attempt == 2 or not reply.get("oom") or self.pool.free_memory() <= grant:
                return reply, payload
            want = self.pool.budget
        raise AssertionError("unreachable")

    # ------------------------------------------------------------------ stateless

    async def stateless(self, op: str, owner: str, http: Request) -> Response:
        """``evaluate`` or ``compile``, on any host."""
        return to_response(*await self.stateless_reply(op, owner, http))

    async def stateless_reply(self, op: str, owner: str,
                              http: Request) -> tuple[dict[str, Any], Payload]:
        """:meth:`stateless` as the host's reply and payload."""
        started = time.perf_counter()
        self._check_device(op)
        self._take_quota(owner)
        try:
            body = await read_body(http)
            try:
                reply, payload = await self._stateless(op, owner, request_context(http), body)
            finally:
                body.close()
        finally:
            self._give_quota(owner)
        self.observe(op, reply, started)
        return reply, payload

    async def stateless_inline(self, op: str, owner: str, body: Body,
                               context: dict[str, Any]) -> tuple[dict[str, Any], Payload]:
        """:meth:`stateless_reply` for a body already read (``app.api.fastpath``), without
        the metrics: the caller calls :meth:`observe` once the reply is sent."""
        self._check_device(op)
        self._take_quota(owner)
        try:
            return await self._stateless(op, owner, context, body)
        finally:
            self._give_quota(owner)

    def _check_device(self, op: str) -> None:
        if op == "evaluate" and self.settings.device != "cpu":  # the CPU always is usable
            # the default device must be: a 503 device_unavailable, not a program error
            resolve_device(self.settings.device, self.settings.allowed_devices)

    async def _stateless(self, op: str, owner: str, context: dict[str, Any],
                         body: Body) -> tuple[dict[str, Any], Payload]:
        header = {"op": op, "json": body.is_json, **context}
        for attempt in (1, 2):
            host = await self.pool.acquire(owner)
            try:
                reply, payload = await self._exchange(host, header, body, self.deadline_s)
                break
            except HostGone as exc:
                if exc.sent or attempt == 2:
                    raise self._gone(exc) from None
            except DeadlineExceeded:
                raise self._overran() from None
            finally:
                self.pool.release(host)
        return reply, payload

    # ------------------------------------------------------------------ sessions

    async def on_session(self, session: Session, op: str, http: Request,
                         body: Body | None = None, **fields: Any) -> tuple[dict[str, Any],
                                                                          Payload]:
        """One request on a session's state, in its turn, on the host that holds it (or one
        that restores it)."""
        started = time.perf_counter()
        reply, payload = await self.on_session_inline(session, op, request_context(http), body,
                                                      **fields)
        self.observe(op, reply, started)
        return reply, payload

    async def on_session_inline(self, session: Session, op: str, context: dict[str, Any],
                                body: Body | None = None,
                                **fields: Any) -> tuple[dict[str, Any], Payload]:
        """:meth:`on_session` with the request's context given (``app.api.fastpath``) and
        without the metrics: the caller calls :meth:`observe` once the reply is sent."""
        try:
            if op in ("run", "put") and \
                    self.sessions.memory_of(session.owner) >= self.key_memory:
                raise QuotaExceeded(
                    f"The sessions of this API key hold {self.key_memory} bytes or more, its "
                    "quota: delete variables or end sessions first.", quota="memory",
                    limit=self.key_memory, retry_after_s=30)
            async with self.sessions.exclusive(session):  # its own queue is not the key's
                self._take_quota(session.owner)
                try:
                    reply, payload = await self._on_host(session, op, context, body, fields)
                finally:
                    self._give_quota(session.owner)
        finally:
            if body is not None:
                body.close()
        if reply.get("gone") or reply.get("stale"):  # stale: another replica took it over
            self.sessions.forget(session)
        return reply, payload

    async def _on_host(self, session: Session, op: str, context: dict[str, Any],
                       body: Body | None, fields: dict[str, Any]) -> tuple[dict[str, Any],
                                                                          Payload]:
        header = {"op": op, "sid": session.id, "fence": session.fence,
                  "json": body.is_json if body is not None else True, **context, **fields}
        for attempt in (1, 2):
            host = await self.pool.acquire(session.owner, session.id, session.replay_ms)
            timeout, restores, keep = self.deadline_s, 0, session.memory_bytes
            if not self.pool.holds(session.id, host):  # it restores the session first
                timeout += max(30.0, 4 * session.replay_ms / 1000)
                restores, keep = session.memory_bytes, 0
            header["seq"] = session.head
            try:
                reply, payload = await self._exchange(host, header, body, timeout, restores,
                                                      keep)
                self.pool.place(session.id, host)
            except HostGone as exc:
                session.head = None  # the host may have logged the request before it died
                if exc.sent or attempt == 2:
                    raise self._gone(exc) from None
                continue
            except DeadlineExceeded:
                session.head = None
                raise self._overran() from None
            finally:
                self.pool.release(host)
            if "seq" in reply:
                session.head = reply["seq"]
                session.replay_ms += float(reply.get("replay_ms", 0.0))
                if reply.get("compacted"):  # a snapshot at the head: nothing left to replay
                    session.replay_ms = 0.0
            elif reply.get("status", 500) >= 500:
                session.head = None
            if "session_memory" in reply:
                self.sessions.set_memory(session, int(reply["session_memory"]))
            if "restored_ms" in reply:
                self.metrics.restore_seconds.observe(reply["restored_ms"] / 1000)
            return reply, payload
        raise AssertionError("unreachable")

    async def run(self, session: Session, http: Request) -> Response:
        return to_response(*await self.run_reply(session, http))

    async def run_reply(self, session: Session, http: Request) -> tuple[dict[str, Any], Payload]:
        """:meth:`run` as the host's reply and payload."""
        return await self.on_session(session, "run", http, await read_body(http))

    # ------------------------------------------------------------------ helpers

    def observe(self, op: str, reply: dict[str, Any], started: float) -> None:
        """The metrics of a host's reply: errors by code; a run's time and steps (a failed
        one's: the time since ``started``, a ``time.perf_counter``)."""
        code = reply.get("code")
        if code is not None:
            self.metrics.errors.labels(code=code).inc()
        if op not in ("run", "evaluate"):
            return
        if code is None:
            self.metrics.observe_run(op, float(reply.get("elapsed_ms", 0.0)) / 1000,
                                     int(reply.get("steps", 0)))
        else:
            self.metrics.run_seconds.labels(endpoint=op, outcome=code).observe(
                time.perf_counter() - started)

    def _gone(self, exc: HostGone) -> ServerBusy:
        return ServerBusy(
            f"The process running this request stopped ({exc.host.exit_reason()}). The "
            "session keeps every request answered before this one; retry.", retry_after_s=1)

    def _overran(self) -> LimitExceeded:
        timeout = self.settings.run_timeout_s
        return LimitExceeded(
            f"the run took longer than {timeout:g} s and did not stop within "
            f"{self.settings.run_grace_s:g} s more, so its process was ended; the session "
            "keeps every request answered before this one (timeout_s)",
            limit="timeout_s", value=timeout)
