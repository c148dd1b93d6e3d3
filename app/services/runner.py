"""Running programs: off the event loop, one at a time per session, with the configured limits.

The run itself (decoding inputs, interpreting, encoding and serializing the reply) happens in a
worker thread, so health checks and other sessions keep being answered; the session's FIFO lock is
held around it, so runs on one session go in arrival order. The interpreter checks its deadline
between steps, which is how a run that takes too long ends and frees its session.

One exception, for throughput: a small stateless ``/v1/evaluate`` is first tried on the event loop
under a tight budget (:data:`INLINE_BUDGET`: a few milliseconds, steps and tensor elements, so
the loop is never held longer than that plus one small op). A run that outgrows the budget is
thrown away and run again from scratch in a worker thread with the real limits — safe because an
evaluate starts from a fresh environment and leaves nothing behind. A thread hop costs about as
much as the seed program itself, and the GIL hand-over between the loop and a worker adds
latency spikes on top.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import Any

import anyio
import anyio.to_thread

from app.core.config import Settings
from app.core.errors import ApiError
from app.core.metrics import Metrics
from app.lang import (
    Environment,
    LangError,
    LimitExceeded,
    Limits,
    ProgramError,
    parse_program,
    parse_source,
    run_program,
)
from app.models.runs import EvaluateRequest, RunRequest
from app.services.devices import resolve_device
from app.services.sessions import Session, SessionStore
from app.wire import decode_inputs, dumps, encode_output, encode_value


def limits_from(settings: Settings) -> Limits:
    return Limits(
        max_steps=settings.max_steps,
        timeout_s=settings.run_timeout_s,
        max_tensor_elements=settings.max_tensor_elements,
        max_session_bytes=settings.max_session_bytes,
        max_recursion_depth=settings.max_recursion_depth,
        max_loop_iterations=settings.max_loop_iterations,
        max_program_nodes=settings.max_program_nodes,
        max_nesting_depth=settings.max_nesting_depth,
    )


def new_environment(device: str, seed: int | None) -> Environment:
    env = Environment(device=device)
    if seed is not None:
        env.generator.manual_seed(seed)
    return env


INLINE_BUDGET = {"timeout_s": 0.004, "max_steps": 5_000, "max_tensor_elements": 65_536,
                 "max_loop_iterations": 5_000}
"""Bounds of an evaluate tried on the event loop (each is also capped by the configured one)."""
INLINE_MAX_BODY_BYTES = 16 * 1024
"""Larger request bodies (big input tensors) always go to a worker thread."""


@dataclass
class RunOutcome:
    body: bytes
    steps: int
    elapsed_ms: float


class Runner:
    """Executes run and evaluate requests; owns the worker-thread limiter and the run metrics."""

    def __init__(self, settings: Settings, metrics: Metrics, store: SessionStore) -> None:
        self.settings = settings
        self.limits = limits_from(settings)
        self.metrics = metrics
        self.store = store
        self.threads = anyio.CapacityLimiter(settings.worker_threads)
        self.inline_limits = replace(self.limits, **{
            name: min(value, getattr(self.limits, name)) for name, value in INLINE_BUDGET.items()})

    async def run(self, session: Session, request: RunRequest) -> bytes:
        async with self.store.exclusive(session):
            return await self._in_thread("run", session.env, request, None)

    async def evaluate(self, request: EvaluateRequest, body_bytes: int) -> bytes:
        # the default device must be usable: a 503 device_unavailable, not a program error
        if self.settings.device != "cpu":  # the CPU always is
            resolve_device(self.settings.device, self.settings.allowed_devices)
        if self.settings.inline_evaluate and body_bytes <= INLINE_MAX_BODY_BYTES:
            env = new_environment(self.settings.device, None)
            try:
                outcome = self._execute(env, request, request.gradients, self.inline_limits)
            except LimitExceeded:
                pass  # outgrew the inline budget: start over in a worker thread
            except (LangError, ApiError) as exc:
                self.metrics.run_seconds.labels(endpoint="evaluate", outcome=exc.code).observe(0)
                raise
            else:
                self.metrics.observe_run("evaluate", outcome.elapsed_ms / 1000, outcome.steps)
                return outcome.body
        env = new_environment(self.settings.device, None)
        return await self._in_thread("evaluate", env, request, request.gradients)

    async def call(self, session: Session, fn: Any, *args: Any) -> Any:
        """Anything else that touches a session's values (variables, graphs), in its turn."""
        async with self.store.exclusive(session):
            return await anyio.to_thread.run_sync(fn, session.env, *args, limiter=self.threads)

    async def _in_thread(self, endpoint: str, env: Environment, request: RunRequest,
                         gradients: list[str] | None) -> bytes:
        started = time.perf_counter()
        try:
            outcome = await anyio.to_thread.run_sync(
                self._execute, env, request, gradients, self.limits, limiter=self.threads)
        except (LangError, ApiError) as exc:
            self.metrics.run_seconds.labels(endpoint=endpoint, outcome=exc.code).observe(
                time.perf_counter() - started)
            raise
        self.metrics.observe_run(endpoint, outcome.elapsed_ms / 1000, outcome.steps)
        return outcome.body

    def _execute(self, env: Environment, request: RunRequest, gradients: list[str] | None,
                 limits: Limits) -> RunOutcome:
        if request.source is not None:
            program = parse_source(request.source, limits)
        else:
            program = parse_program(request.program, limits)
        env.variables.update(decode_inputs(request.inputs, device=env.device,
                                           max_elements=self.settings.max_tensor_elements))
        result = run_program(program, env, limits, source=request.source)
        encoding = request.encoding
        reply: dict[str, Any] = {
            "result": encode_value(result.result, encoding),
            "outputs": {name: encode_output(_variable(env, name, "outputs", i), encoding)
                        for i, name in enumerate(request.outputs)},
            "printed": result.printed,
            "stats": {"steps": result.steps, "elapsed_ms": round(result.elapsed_ms, 3)},
        }
        if gradients is not None:
            reply["gradients"] = {
                name: encode_value(getattr(_variable(env, name, "gradients", i), "grad", None),
                                   encoding)
                for i, name in enumerate(gradients)
            }
        return RunOutcome(dumps(reply), result.steps, result.elapsed_ms)


def _variable(env: Environment, name: str, field: str, index: int) -> Any:
    try:
        return env.variables[name]
    except KeyError:
        raise ProgramError(f"name '{name}' is not defined",
                           location={"pointer": f"#/{field}/{index}"}) from None
