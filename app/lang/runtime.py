"""Per-run state shared by the compiled closures: the budget counters, frames and output."""

from __future__ import annotations

import time
from contextvars import ContextVar
from typing import Any

import engine

from .environment import Environment
from .errors import LimitExceeded
from .limits import Limits

#: Control signals a statement closure returns (``None`` for "go on").
BREAK, CONTINUE, RETURN = "break", "continue", "return"
#: What the journal records for a variable that had no value before the statement.
UNBOUND = object()
#: Steps between wall-clock checks (a step is a statement or a call).
CLOCK_EVERY = 16
#: Budget of user code that runs outside any run (a ``__repr__`` met while a reply is encoded).
DETACHED_LIMITS = Limits(max_steps=10_000, timeout_s=1.0, max_recursion_depth=50,
                         max_loop_iterations=10_000, max_value_elements=100_000)


class Frame:
    """One scope being run: the top level (locals are the session's variables), a function
    call, a class body or a comprehension. ``enclosing`` holds the locals of the function scopes
    around it, innermost first (see :mod:`app.lang.scopes`). ``Frame()`` runs no Python-level
    ``__init__``: a user call's frame (made on every call) is filled in field by field;
    :class:`FilledFrame` (``make_frame``) makes the others."""

    __slots__ = ("rs", "locals", "glob", "enclosing", "retval", "func", "back")


class FilledFrame(Frame):
    """A frame whose fields its constructor fills in (the top level, comprehensions, class
    bodies, generators)."""

    __slots__ = ()

    def __init__(self, rs: RunState, locals_: dict, glob: dict, enclosing: tuple,
                 func: Any = None, back: Frame | None = None) -> None:
        self.rs = rs
        self.locals = locals_
        self.glob = glob
        self.enclosing = enclosing
        self.retval: Any = None
        self.func = func  # the user function being run (for super()), None at the top level
        self.back = back  # the call's caller while it runs (``RunState.top``)


make_frame = FilledFrame


class RunState:
    """Counters and output of one run; ``check`` is called when ``steps`` reaches ``next_check``."""

    __slots__ = ("env", "limits", "steps", "next_check", "deadline", "started", "printed",
                 "printed_chars", "pending", "depth", "top", "journal", "alloc", "mem_base",
                 "alloc_budget", "result", "handling", "classes", "max_depth")

    def __init__(self, env: Environment, limits: Limits) -> None:
        self.env = env
        self.limits = limits
        self.steps = 0
        self.started = time.perf_counter()
        self.deadline = self.started + limits.timeout_s
        self.next_check = min(CLOCK_EVERY, limits.max_steps + 1)
        self.printed: list[str] = []
        self.printed_chars = 0
        self.pending: str | None = None  # a printed line not ended yet (print(..., end=""))
        self.depth = 0
        self.max_depth = limits.max_recursion_depth
        self.top: Frame | None = None  # the innermost user call running; ``back`` links out
        self.journal: dict[str, Any] = {}   # variable -> value before this top-level statement
        self.alloc = 0
        self.mem_base = env.held_bytes_estimate
        self.alloc_budget = limits.max_session_bytes - self.mem_base  # alloc may grow to this
        self.result: Any = None
        self.handling: list[Any] = []  # exceptions being handled (for a bare `raise`)
        self.classes = 0  # library subclasses made in this run

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

    def step(self) -> None:
        self.steps += 1
        if self.steps >= self.next_check:
            self.check()

    def depth_error(self) -> LimitExceeded:
        limit = self.max_depth
        return self.limit_error(f"user functions nested more than {limit} calls deep "
                                "(max_recursion_depth)", "max_recursion_depth", limit)

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
        from .memory import reachable

        roots: list[Any] = [self.env.variables, self.env.files]
        frame = self.top
        while frame is not None:
            roots.append(frame.locals)
            frame = frame.back
        return engine.held_bytes(reachable(roots))

    def elapsed_ms(self) -> float:
        return (time.perf_counter() - self.started) * 1000.0

    def write(self, text: str, end: str) -> None:
        """Append printed output: a print ending in a newline completes a line (its text may
        hold more); any other ``end`` leaves the line open for the next print."""
        if self.pending is not None:
            text = self.pending + text
            self.pending = None
        self.printed_chars += len(text) + len(end)
        limit = self.limits.max_value_elements
        if self.printed_chars > limit:
            raise self.limit_error(f"the printed output would have {self.printed_chars} "
                                   f"characters, over the limit of {limit} "
                                   "(max_value_elements)", "max_value_elements", limit)
        if end.endswith("\n"):
            self.printed.append(text + end[:-1])
        else:
            self.pending = text + end

    def flush(self) -> None:
        if self.pending is not None:
            self.printed.append(self.pending)
            self.pending = None


CURRENT: ContextVar[RunState | None] = ContextVar("lang_run", default=None)


def current_rs() -> RunState:
    """The run in progress (user code called back by library code runs under its budget); a
    small detached budget when user code runs outside any run (e.g. a ``__repr__`` met while a
    reply is encoded)."""
    rs = CURRENT.get()
    if rs is None:
        rs = RunState(Environment(), DETACHED_LIMITS)
    return rs
