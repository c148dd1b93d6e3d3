"""Per-run state shared by the compiled closures: the budget counters, frames and output."""

from __future__ import annotations

import time
from typing import Any

import engine

from .environment import Environment
from .errors import LimitExceeded
from .limits import Limits

#: Control signals a statement closure returns (``None`` for "go on").
BREAK, CONTINUE, RETURN = "break", "continue", "return"
#: Steps between wall-clock checks (a step is a statement or a call).
CLOCK_EVERY = 16


class Frame:
    """One scope: the top level (locals are the session's variables) or a user-function call."""

    __slots__ = ("rs", "locals", "glob", "enclosing", "fscopes", "retval")

    def __init__(self, rs: RunState, locals_: dict, glob: dict, enclosing: tuple,
                 fscopes: tuple) -> None:
        self.rs = rs
        self.locals = locals_
        self.glob = glob
        self.enclosing = enclosing  # locals of the functions this one was defined in
        self.fscopes = fscopes      # dicts of user functions visible here, innermost first
        self.retval: Any = None


class RunState:
    """Counters and output of one run; ``check`` is called when ``steps`` reaches ``next_check``."""

    __slots__ = ("env", "limits", "steps", "next_check", "deadline", "started", "printed",
                 "printed_chars", "depth", "frames", "journal", "fjournal", "alloc", "mem_base",
                 "alloc_budget",
                 "result")

    def __init__(self, env: Environment, limits: Limits) -> None:
        self.env = env
        self.limits = limits
        self.steps = 0
        self.started = time.perf_counter()
        self.deadline = self.started + limits.timeout_s
        self.next_check = min(CLOCK_EVERY, limits.max_steps + 1)
        self.printed: list[str] = []
        self.printed_chars = 0
        self.depth = 0
        self.frames: list[Frame] = []
        self.journal: dict[str, Any] = {}   # variable -> value before this top-level statement
        self.fjournal: dict[str, Any] = {}  # the same for user functions
        self.alloc = 0
        self.mem_base = env.held_bytes_estimate
        self.alloc_budget = limits.max_session_bytes - self.mem_base  # alloc may grow to this
        self.result: Any = None

    def limit_error(self, message: str, limit: str, value: Any) -> LimitExceeded:
        return LimitExceeded(message, limit=limit, value=value, steps=self.steps)

    def check(self) -> None:
        """The step budget and the wall-clock deadline."""
        limits = self.limits
        if self.steps > limits.max_steps:
            raise self.limit_error(
                f"the run took more than {limits.max_steps} steps (max_steps)",
                "max_steps", limits.max_steps)
        if time.perf_counter() > self.deadline:
            raise self.limit_error(
                f"the run took longer than {limits.timeout_s} s (timeout_s)",
                "timeout_s", limits.timeout_s)
        self.next_check = min(self.steps + CLOCK_EVERY, limits.max_steps + 1)

    def allocated(self, nbytes: int) -> None:
        """Account a new tensor; when the estimate (last measurement + everything made since)
        could pass the cap, measure the session for real."""
        self.alloc += nbytes
        cap = self.limits.max_session_bytes
        if self.mem_base + self.alloc > cap:
            self.mem_base = self.measure()
            self.alloc = 0
            self.alloc_budget = cap - self.mem_base
            if self.mem_base > cap:
                raise self.limit_error(
                    f"the session would hold more than {cap} bytes of tensors "
                    "(max_session_bytes)", "max_session_bytes", cap)

    def measure(self) -> int:
        roots: list[Any] = [self.env.variables]
        roots.extend(frame.locals for frame in self.frames)
        return engine.held_bytes(roots)

    def elapsed_ms(self) -> float:
        return (time.perf_counter() - self.started) * 1000.0
