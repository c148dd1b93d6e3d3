"""Running programs: off the event loop, one at a time per session, with the configured limits.

The run itself (decoding inputs, interpreting, encoding and serializing the reply) happens in a
worker thread, so health checks and other sessions keep being answered; the session's FIFO lock is
held around it, so runs on one session go in arrival order. The interpreter checks its deadline
between steps, which is how a run that takes too long ends and frees its session.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import anyio
import anyio.to_thread

from app.core.config import Settings
from app.core.errors import ApiError
from app.core.metrics import Metrics
from app.lang import (
    Environment,
    LangError,
    Limits,
    ProgramError,
    compile_source,
    parse_program,
    run_program,
)
from app.models.runs import EvaluateRequest, RunRequest
from app.services.sessions import Session, SessionStore
from app.wire import decode_inputs, dumps, encode_value


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

    async def run(self, session: Session, request: RunRequest) -> bytes:
        async with self.store.exclusive(session):
            return await self._in_thread("run", session.env, request, None)

    async def evaluate(self, request: EvaluateRequest) -> bytes:
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
                self._execute, env, request, gradients, limiter=self.threads)
        except (LangError, ApiError) as exc:
            self.metrics.run_seconds.labels(endpoint=endpoint, outcome=exc.code).observe(
                time.perf_counter() - started)
            raise
        self.metrics.run_seconds.labels(endpoint=endpoint, outcome="ok").observe(
            outcome.elapsed_ms / 1000)
        self.metrics.run_steps.labels(endpoint=endpoint).observe(outcome.steps)
        return outcome.body

    def _execute(self, env: Environment, request: RunRequest,
                 gradients: list[str] | None) -> RunOutcome:
        if request.source is not None:
            program = compile_source(request.source)
        else:
            program = parse_program(request.program, self.limits)
        env.variables.update(decode_inputs(request.inputs, device=env.device,
                                           max_elements=self.settings.max_tensor_elements))
        result = run_program(program, env, self.limits, source=request.source)
        encoding = request.encoding
        reply: dict[str, Any] = {
            "result": encode_value(result.result, encoding),
            "outputs": {name: encode_value(_variable(env, name, "outputs", i), encoding)
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
