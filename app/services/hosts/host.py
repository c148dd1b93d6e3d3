"""A session host: the worker process that runs programs (never the serving process).

A host holds any number of sessions' environments (a cache: the store is the truth), takes one
request at a time from its socket, and answers it. A session it does not hold, or holds behind
the log, it first restores by replay (``app.services.replay``). Every request that changed a
session is appended to the session's log, committed, before the host answers: that is what
makes a ``200`` durable. A run whose outcome was not deterministic (the memory budget, a
``MemoryError``) is not logged; the session is dropped from this host instead, so the next
request restores it as it was before that run.

The serving process may kill a host at any moment (a run past its hard deadline); nothing is
lost but the request in flight.
"""

from __future__ import annotations

import ctypes
import gc
import logging
import os
import signal
import socket
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from app.core.config import Settings
from app.core.errors import PROBLEM_MEDIA_TYPE, ApiError, NotFound, ServerBusy, problem_for
from app.core.errors import render_problem as render
from app.lang import Environment, LangError, RunResult
from app.models.runs import RunRequest
from app.services import execution, replay, snapshots
from app.services.devices import check_device_computes
from app.services.hosts.priority import Priority
from app.services.hosts.protocol import Payload, PeerGone, receive, send
from app.services.memory import limit_address_space, shared_bytes, statm
from app.services.store import SessionRecord, StaleFence, StoreUnavailable, open_store
from app.wire import bind_variable

logger = logging.getLogger("app.host")

def _trim() -> None:
    """Hands freed heap back to the operating system (after dropping sessions)."""
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc
        pass


@dataclass(eq=False)
class Resident:
    """A session this host holds: its environment, at entry ``seq`` of its log."""

    record: SessionRecord
    env: Environment
    seq: int
    fence: int
    snapshot_seq: int = 0
    """The entry the latest snapshot this host knows of includes."""
    next_snapshot: int = 0
    """The entry after which to try a snapshot again (the state was not plain before)."""
    ran_long: bool = False
    """Its last run here used the priority's ``after_s`` of CPU: the next starts low."""


SNAPSHOT_MAX_BYTES = 64 * 1024 * 1024
"""A session holding more than this is not snapshotted (its log is kept instead): a snapshot is
written before the request's reply (~0.4 s for 64 MiB here, the store's write besides)."""

YOUNG_COLLECTION_AFTER = 10_000
"""A host's threshold for CPython's young-generation collection (its default: 700 net new
container objects). Every recorded op makes a few tracked objects (its node, its output
tensor) that live as long as the graph, so a program that builds a graph of a few hundred
ops crossed the default two or three times a run, and each collection walked the live graph
for nothing: the 900-op chain of ``benchmarks/http_bench.py`` spent ~1.2 ms of its ~11 ms of
CPU in 2.75 young and 0.25 middle collections a run, none with this threshold (a graph dies
by reference counting when its variable is rebound; cycles still go at the next collection,
and a run that fails for memory collects at once, as before)."""

OUT_OF_MEMORY = ("The service's memory budget does not leave room for this request; it was "
                 "not applied and nothing was lost. Retry later, or with less data.")


class Host:
    def __init__(self, settings: Settings, slot: int) -> None:
        self.settings = settings
        self.slot = slot
        self.limits = execution.limits_from(settings)
        self.store = open_store(settings.state_dir, sync=settings.state_sync,
                                url=settings.state_url)
        if hasattr(self.store, "defer_checkpoints"):  # SQLite: after the reply (serve)
            self.store.defer_checkpoints = True
        self.sessions: dict[str, Resident] = {}
        self.shared = shared_bytes()
        """Pages shared with the zygote at start: not this host's own memory."""
        self._virtual: int | None = None
        """The address space in use when the last request ended (nothing runs between
        requests), or None: read it afresh."""
        self._hard_as: int | None = None
        """The hard ``RLIMIT_AS`` as last read (see ``limit_address_space``)."""
        self.priority = Priority(settings.demote_after_ms / 1000)
        self.handlers: dict[str, Callable[[dict, Payload, dict], bytes]] = {
            "run": self.run, "evaluate": self.evaluate, "compile": self.compile,
            "put": self.put_variable, "get": self.get_variable, "delete": self.delete_variable,
            "graph": self.graph, "info": self.info, "ping": self.ping, "drop": self.nothing,
        }

    # ------------------------------------------------------------------ the loop

    def serve(self, sock: socket.socket) -> None:
        send(sock, {"op": "ready", "pid": os.getpid()})
        number = None

        def notify(long: bool) -> None:  # (from a signal handler too: one small record)
            try:
                send(sock, {"op": "cpu", "long": long, "n": number})
            except (PeerGone, OSError):  # the serving process is gone: the reply finds out
                pass

        self.priority.notify = notify
        while True:
            try:
                header, payload = receive(sock)
            except PeerGone:
                return
            number = header.get("n")
            reply, body = self.handle(header, payload)
            del payload
            try:
                send(sock, reply, body)
            except PeerGone:
                return
            del body
            try:  # upkeep that no reply waits for (a WAL checkpoint come due)
                self.store.maintain()
            except Exception as exc:  # the log is committed; the upkeep comes due again
                logger.warning("store upkeep failed: %s", exc)

    def handle(self, header: dict[str, Any], payload: Payload) -> tuple[dict[str, Any], bytes]:
        received = time.perf_counter()
        dropped = [self.sessions.pop(sid, None) for sid in header.get("drop", ())]
        if any(dropped):
            del dropped
            gc.collect()
            _trim()
            self._virtual = None
        reply: dict[str, Any] = {"n": header.get("n"), "status": 200,
                                 "type": "application/json"}
        if "grant" in header:  # the memory this request may add: past it, MemoryError
            virtual = self._virtual
            if virtual is None or not isinstance(payload, bytes):  # a payload mapped since
                virtual = statm()[0]
            self._hard_as = limit_address_space(virtual + header["grant"], self._hard_as)
        self.priority.start()
        out_of_memory = False
        try:
            body = self.handlers[header["op"]](header, payload, reply)
        except Exception as exc:  # every failure becomes the problem the client sees
            out_of_memory = replay.memory_failure(exc)
            if out_of_memory:
                exc = ServerBusy(OUT_OF_MEMORY, retry_after_s=5, limit="memory_budget")
            body = self.problem(exc, header, reply)
            del exc  # its traceback holds the frames (and the tensors) of the failed run
        if out_of_memory:  # nothing of the request was applied: it may be tried again
            reply["oom"] = True
            gc.collect()
            _trim()
        if not self.priority.stop():
            reply["demoted"] = True  # it could not take its priority back
        if "grant" in header:
            limit_address_space(None, self._hard_as)  # between requests: the hard limit
        resident = self.sessions.get(header.get("sid", ""))
        if resident is not None:
            reply["session_memory"] = resident.env.held_bytes_estimate
        virtual, resident_now = statm()
        self._virtual = virtual if isinstance(payload, bytes) else None  # a mapping ends now
        reply["memory"] = max(0, resident_now - self.shared)
        reply["host_ms"] = (time.perf_counter() - received) * 1000  # (Server-Timing: .3f)
        return reply, body

    def memory(self) -> int:
        """This host's own memory: what it has resident beyond the pages it shares with the
        zygote (what the memory budget counts for it)."""
        return max(0, statm()[1] - self.shared)

    def problem(self, exc: BaseException, header: dict[str, Any], reply: dict[str, Any]) -> bytes:
        problem = problem_for(exc)
        if problem.status >= 500 and not isinstance(exc, ApiError):
            logger.error("unhandled error in host %s (request %s %s)", self.slot,
                         header.get("rid"), header.get("path"), exc_info=exc)
        reply.update(status=problem.status, code=problem.code, type=PROBLEM_MEDIA_TYPE,
                     headers=problem.headers)
        if isinstance(exc, NotFound) and "session" in exc.extra:
            reply["gone"] = True
        if "steps" in problem.extra:
            reply["steps"] = problem.extra["steps"]
        return render(problem, instance=header.get("path"), request_id=header.get("rid"))

    # ------------------------------------------------------------------ sessions

    def session(self, header: dict[str, Any], reply: dict[str, Any]) -> Resident:
        """The session named in ``header``, at the head of its log (restored or caught up)."""
        sid, fence, seq = header["sid"], header["fence"], header.get("seq")
        resident = self.sessions.get(sid)
        if resident is not None and resident.fence == fence:
            if seq is not None and resident.seq == seq:
                return resident
            if self._catch_up(resident, reply, seq):
                return resident
        started = time.perf_counter()
        resident = self._restore(sid, fence)
        reply["restored_ms"] = round((time.perf_counter() - started) * 1000, 3)
        return resident

    def _restore(self, sid: str, fence: int) -> Resident:
        self.sessions.pop(sid, None)
        record = self.store.get(sid)
        if record is None:
            raise NotFound(f"No session {sid!r}.", session=sid)
        env = execution.new_environment(record.device, record.seed)
        resident = Resident(record, env, 0, fence)
        snapshot = self.store.snapshot(sid) if record.snapshot_seq else None
        if snapshot is not None:
            snapshots.restore(snapshot[1], env, self.limits)
            resident.seq = resident.snapshot_seq = resident.next_snapshot = snapshot[0]
        for entry in self.store.entries(sid, after=resident.seq):
            if entry.seq != resident.seq + 1:  # compacted between the two reads
                raise ServerBusy("The session's log changed while it was restored; retry.")
            replay.apply(env, entry, self.limits)
            resident.seq = entry.seq
        self.sessions[sid] = resident
        return resident

    def _catch_up(self, resident: Resident, reply: dict[str, Any], head: int | None) -> bool:
        """Replays the entries another host added since this one last ran the session; False
        when the log no longer has them (a snapshot compacted it): restore instead."""
        started = time.perf_counter()
        try:
            for entry in self.store.entries(resident.record.id, after=resident.seq):
                if entry.seq != resident.seq + 1:
                    return False
                replay.apply(resident.env, entry, self.limits)
                resident.seq = entry.seq
        except BaseException:  # half caught up: not a state to keep
            self.sessions.pop(resident.record.id, None)
            raise
        if head is None:  # the serving process lost track (a host died): ask the store
            record = self.store.get(resident.record.id)
            head = record.head if record is not None else resident.seq
        if resident.seq != head:  # the entries went into a snapshot
            return False
        reply["restored_ms"] = round((time.perf_counter() - started) * 1000, 3)
        return True

    def _snapshot(self, resident: Resident, reply: dict[str, Any]) -> None:
        """Snapshots the session at the head of its log, when its state is plain values, and
        drops the entries the snapshot covers. A failure here loses nothing (the log stays)."""
        every = self.settings.snapshot_every
        resident.next_snapshot = resident.seq + every
        if resident.env.held_bytes_estimate > SNAPSHOT_MAX_BYTES:
            return
        started = time.perf_counter()
        try:
            data = snapshots.capture(resident.env)
            taken = self.store.put_snapshot(resident.record.id, resident.fence, resident.seq,
                                            data)
        except snapshots.NotPlain:
            return
        except (MemoryError, sqlite3.Error, StoreUnavailable) as exc:
            logger.warning("no snapshot of %s: %s", resident.record.id, exc)
            return
        if taken:
            resident.snapshot_seq = resident.seq
            reply["compacted"] = True
            reply["snapshot_ms"] = round((time.perf_counter() - started) * 1000, 3)

    def _log(self, resident: Resident, kind: str, body: Payload, meta: dict[str, Any],
             reply: dict[str, Any]) -> None:
        """Appends the request to the session's log (committed) or drops the session."""
        self.priority.stop()  # the writers' lock is never held at low priority (inversion)
        sid = resident.record.id
        started = time.perf_counter()
        try:
            seq = self.store.append(sid, resident.fence, resident.seq, kind, memoryview(body),
                                    meta, last_used=time.time(),
                                    memory_bytes=resident.env.held_bytes_estimate)
        except StaleFence:
            self.sessions.pop(sid, None)
            reply["stale"] = True
            raise ServerBusy("The session changed elsewhere while this request ran; it was not "
                             "applied. Retry.") from None
        except (sqlite3.Error, StoreUnavailable) as exc:
            self.sessions.pop(sid, None)
            logger.error("cannot append to the log of %s: %s", sid, exc)
            raise ServerBusy("The request could not be recorded durably, so it was not "
                             "applied. Retry.", retry_after_s=5) from None
        if seq is None:  # deleted meanwhile
            self.sessions.pop(sid, None)
            return
        resident.seq = seq
        reply["seq"] = seq
        reply["replay_ms"] = meta.get("elapsed_ms", 0.0)
        reply["log_ms"] = (time.perf_counter() - started) * 1000  # (not rounded: ~3k
        # instructions a round(x, 3); the serving process writes it with three decimals)
        every = self.settings.snapshot_every
        if every and seq - resident.snapshot_seq >= every and seq >= resident.next_snapshot:
            self._snapshot(resident, reply)

    def _forget(self, sid: str) -> None:
        if self.sessions.pop(sid, None) is not None:
            gc.collect()
            _trim()

    # ------------------------------------------------------------------ handlers

    def run(self, header: dict, payload: Payload, reply: dict) -> bytes:
        request = execution.parse_body(RunRequest, payload, header.get("json", True))
        resident = self.session(header, reply)
        if resident.ran_long:
            self.priority.lower()
        env = resident.env
        prepared = execution.prepare(request, env, self.limits, self.settings.max_tensor_elements)
        started = time.perf_counter()
        result: RunResult | None = None
        error: LangError | ApiError | None = None
        try:
            result = execution.perform(env, prepared, self.limits,
                                       self.settings.max_run_cost, self.settings.cost_rate)
        except (LangError, ApiError) as exc:
            error = exc
        except Exception:  # a bug: the session may be half-changed and nothing is logged
            self._forget(resident.record.id)
            raise
        resident.ran_long = self.priority.was_long()
        if error is not None and replay.memory_failure(error):
            self._forget(resident.record.id)  # not deterministic: as if it had not run
            raise MemoryError
        elapsed_ms = (time.perf_counter() - started) * 1000
        body = b""
        if result is not None:
            try:
                body = execution.encode_reply(env, request, result, None,
                                              self.settings.max_reply_bytes)
            except (LangError, ApiError) as exc:
                error = exc
                error.extra.setdefault("steps", result.steps)
            except MemoryError:  # the run is done and kept; only its reply did not fit
                error = ServerBusy(
                    "The run is done and its effects are kept, but its reply does not fit the "
                    "memory budget: read the values in pieces, or with encoding base64.",
                    retry_after_s=5, limit="memory_budget", steps=result.steps)
        meta = replay.run_meta(self.limits, result, error if result is None else None,
                               elapsed_ms, self.settings.max_run_cost)
        self._log(resident, replay.RUN, payload, meta, reply)
        if error is not None:
            raise error
        reply.update(steps=result.steps, elapsed_ms=result.elapsed_ms)
        return body

    def evaluate(self, header: dict, payload: Payload, reply: dict) -> bytes:
        try:
            body, result = execution.evaluate(payload, self.settings, self.limits,
                                              header.get("json", True))
        except (LangError, ApiError) as exc:
            if replay.memory_failure(exc):
                raise MemoryError from None
            raise
        reply.update(steps=result.steps, elapsed_ms=result.elapsed_ms)
        return body

    def compile(self, header: dict, payload: Payload, reply: dict) -> bytes:
        return execution.compile_program(payload, self.limits, header.get("json", True))

    def put_variable(self, header: dict, payload: Payload, reply: dict) -> bytes:
        resident = self.session(header, reply)
        name = header["name"]
        value = execution.decode_variable(resident.env, payload,
                                          self.settings.max_tensor_elements,
                                          header.get("json", True))
        value = bind_variable(resident.env.variables, name, value)  # loads a module's state
        resident.env.held_bytes_estimate = resident.env.memory_bytes()
        self._log(resident, replay.PUT, payload, {"name": name}, reply)
        return execution.variable_reply(name, value, "json", self.settings.max_reply_bytes)

    def get_variable(self, header: dict, payload: Payload, reply: dict) -> bytes:
        resident = self.session(header, reply)
        name = header["name"]
        return execution.variable_reply(name, execution.lookup(resident.env, name),
                                        header.get("encoding", "json"),
                                        self.settings.max_reply_bytes)

    def delete_variable(self, header: dict, payload: Payload, reply: dict) -> bytes:
        resident = self.session(header, reply)
        name = header["name"]
        execution.remove_variable(resident.env, name)
        resident.env.held_bytes_estimate = resident.env.memory_bytes()
        self._log(resident, replay.DELETE, b"", {"name": name}, reply)
        return b""

    def graph(self, header: dict, payload: Payload, reply: dict) -> bytes:
        resident = self.session(header, reply)
        body, media_type = execution.graph_reply(resident.env, header["name"],
                                                 header.get("format", "json"))
        reply["type"] = media_type
        return body

    def info(self, header: dict, payload: Payload, reply: dict) -> bytes:
        resident = self.session(header, reply)
        state = execution.session_state(resident.env, header.get("variables", False))
        return execution.dumps(state)

    def ping(self, header: dict, payload: Payload, reply: dict) -> bytes:
        device = check_device_computes(header["device"], self.settings.allowed_devices)
        return execution.dumps({"device": device})

    def nothing(self, header: dict, payload: Payload, reply: dict) -> bytes:
        return b""


def host_main(sock: socket.socket, settings: Settings, slot: int) -> None:
    """The host process's entry point (started by ``app.services.hosts.pool``)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the serving process to drain
    try:  # die with the process that forked us (the serving process's fork server)
        ctypes.CDLL("libc.so.6").prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    logging.basicConfig(level=settings.log_level.upper(),
                        format=f"host {slot} %(levelname)s %(name)s: %(message)s")
    gc.set_threshold(YOUNG_COLLECTION_AFTER, *gc.get_threshold()[1:])
    Host(settings, slot).serve(sock)
