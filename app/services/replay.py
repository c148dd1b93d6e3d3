"""Rebuilding a session from its log, by deterministic replay.

A session's state (variables, grads, user functions, graphs, the generator's position) is what
its logged requests did to a fresh environment made from its device and seed. Replaying them in
order, in any host, gives the same state: the interpreter and the engine are deterministic, the
generator is the session's own (seeded at creation), every host runs with the same
``PYTHONHASHSEED``, and each run is replayed under the limits it ran with and *bounded by the
number of steps it took*: a run that the clock stopped after ``k`` steps (``timeout_s``) is
replayed with ``max_steps = k - 1``, which stops it at the same statement with the same
rollback. What a run could not do deterministically (hit the memory budget, be killed past its
deadline) is never logged: such a run is dropped from the session, as if it had not happened.
"""

from __future__ import annotations

import logging
import math
from dataclasses import replace
from typing import Any

from app.core.errors import ApiError
from app.lang import LangError, Limits, RunResult
from app.models.runs import RunRequest
from app.services import execution
from app.services.store import Entry
from app.wire import bind_variable

logger = logging.getLogger("app.replay")

RUN, PUT, DELETE = "run", "put", "delete"
REPLAY_TIMEOUT_S = math.inf
COST_RATE = 1.0
"""With no deadline, a replayed run's costly ops are checked against its cost budget only."""
"""Replays are bounded by steps; the serving process's deadline for a restore bounds the rest."""


def memory_failure(exc: BaseException) -> bool:
    """Whether a failure came from running out of memory (the budget, RLIMIT_AS): not a
    deterministic outcome of the program, so never logged (nor accepted in a replay)."""
    seen = 0
    cause: BaseException | None = exc
    while cause is not None and seen < 16:
        if isinstance(cause, MemoryError):
            return True
        cause = cause.__context__ or cause.__cause__
        seen += 1
    return False


def run_meta(limits: Limits, result: RunResult | None, error: BaseException | None,
             elapsed_ms: float, max_cost: float) -> dict[str, Any]:
    """How a run ended, as its log entry records it (with the limits it ran under)."""
    meta: dict[str, Any] = {
        "elapsed_ms": round(elapsed_ms, 3),
        "limits": [limits.max_tensor_elements, limits.max_session_bytes,
                   limits.max_recursion_depth, limits.max_loop_iterations, limits.max_steps,
                   max_cost],
    }
    if result is not None:
        meta.update(steps=result.steps, outcome="ok")
    else:
        code = getattr(error, "code", "internal_error")
        extra = getattr(error, "extra", {})
        meta.update(steps=int(extra.get("steps", 0)), outcome=code)
        if extra.get("limit") == "timeout_s":
            meta["stop"] = int(extra.get("steps", 0))
    return meta


def replay_limits(base: Limits, meta: dict[str, Any]) -> Limits:
    elements, session_bytes, depth, loops, steps, _cost = meta["limits"]
    bound = meta["stop"] - 1 if "stop" in meta else min(int(meta["steps"]), steps)
    return replace(base, max_tensor_elements=elements, max_session_bytes=session_bytes,
                   max_recursion_depth=depth, max_loop_iterations=loops,
                   max_steps=max(bound, 0), timeout_s=REPLAY_TIMEOUT_S)


def apply(env: Any, entry: Entry, base: Limits) -> bool:
    """Replays one entry into ``env``; False when it ended differently than it did first."""
    if entry.kind == PUT:  # it was accepted once: no element limit the second time
        name = entry.meta["name"]
        bind_variable(env.variables, name, execution.decode_variable(env, entry.body, 1 << 62))
        return True
    if entry.kind == DELETE:
        env.variables.pop(entry.meta["name"], None)
        return True
    limits = replay_limits(base, entry.meta)
    request = execution.parse_body(RunRequest, entry.body)
    outcome, steps = "ok", None
    try:
        prepared = execution.prepare(request, env, limits, limits.max_tensor_elements)
        steps = execution.perform(env, prepared, limits, entry.meta["limits"][5],
                                  COST_RATE).steps
    except (LangError, ApiError) as exc:
        if memory_failure(exc):  # the budget, not the program: this restore cannot finish now
            raise MemoryError from exc
        outcome = exc.code
        steps = exc.extra.get("steps")
        if "stop" in entry.meta and getattr(exc, "limit", None) == "max_steps":
            outcome = entry.meta["outcome"]  # the bound stood in for the clock
    same = outcome == entry.meta["outcome"] and (steps is None or
                                                 steps == entry.meta["steps"] or
                                                 "stop" in entry.meta)
    if not same:
        logger.warning("replay of entry %s ended %s after %s steps; it first ended %s after %s",
                       entry.seq, outcome, steps, entry.meta["outcome"], entry.meta["steps"])
    return same
