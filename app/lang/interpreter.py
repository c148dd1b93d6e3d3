"""The interpreter: a validated program is compiled once into closures (cached by content hash)
and run against an :class:`Environment` under :class:`Limits`.

Every statement closure returns ``None`` or a control signal (``BREAK``, ``CONTINUE``,
``RETURN``); every expression closure returns its value. Both take the current
:class:`~app.lang.runtime.Frame`. Budget checks are one integer compare per step. The compiler
is split by construct family: :mod:`~app.lang.compile_statements`,
:mod:`~app.lang.compile_expressions` and :mod:`~app.lang.compile_definitions`.
"""

from __future__ import annotations

import contextvars
import functools
import sys
import threading
from dataclasses import dataclass, field
from typing import Any

import engine
from engine.autograd.anomaly import set_forward_trace
from engine.backends import _cpu as _CPU
from engine.backends import _cudnn as _CUDNN
from engine.device import _default as _DEVICE
from engine.device import bind
from engine.dtypes import _default_float as _DEFAULT_FLOAT
from engine.dtypes import _names_refused as _DTYPE_NAMES_REFUSED
from engine.dtypes import dtype_from_name
from engine.modes import _deterministic as _DETERMINISTIC
from engine.modes import _grad_enabled as _GRAD
from engine.modes import _max_elements as _MAX_ELEMENTS
from engine.printing import DEFAULT_OPTIONS as DEFAULT_PRINT_OPTIONS
from engine.printing import _options as _PRINT_OPTIONS
from engine.random import _current as _GENERATOR

from . import calls, run_warnings, scopes
from .calls import PREBOUND_ROOTS, Closure
from .compile_definitions import DefinitionCompiler
from .compile_expressions import ExpressionCompiler
from .compile_statements import StatementCompiler
from .compiler import compile_source_with_positions
from .environment import Environment
from .errors import LangError, ProgramError
from .exceptions import convert_exception
from .limits import DEFAULT_LIMITS, Limits
from .pysys import clean_exit
from .runtime import CURRENT, UNBOUND, RunState, make_frame
from .schema import Program
from .validation import CACHE_MAX_NODES, BoundedCache, nodes_of, parse_program, raw_of
from .values import Code


@dataclass
class RunResult:
    """What a run gives back: the last expression statement's value, the printed lines, the
    steps taken, the wall time and the warnings issued (:mod:`app.lang.run_warnings`)."""

    result: Any = None
    printed: list[str] = field(default_factory=list)
    steps: int = 0
    elapsed_ms: float = 0.0
    warnings: list[dict[str, Any]] = field(default_factory=list)


class CodeCompiler(StatementCompiler, ExpressionCompiler, DefinitionCompiler):
    """Turns the (validated) JSON form into closures."""

    _STATEMENTS = {**StatementCompiler._STATEMENTS, "def": DefinitionCompiler._def,
                   "class": DefinitionCompiler._class}
    _EXPRESSIONS = {**ExpressionCompiler._EXPRESSIONS,
                    "lambda": DefinitionCompiler._lambda,
                    "listcomp": DefinitionCompiler._listcomp,
                    "setcomp": DefinitionCompiler._setcomp,
                    "dictcomp": DefinitionCompiler._dictcomp,
                    "genexp": DefinitionCompiler._genexp}

    def __init__(self, unit: bytes) -> None:
        self.unit = unit
        self.raw: list = []
        self.codes: list[Code] = []

    def register(self, code: Code, node: dict) -> Code:
        """Records that ``code`` was compiled from ``node`` of this program."""
        code.origin = (self.raw, node)
        self.codes.append(code)
        return code

    def program(self, raw: list) -> list[Closure]:
        self.raw = raw
        scope = scopes.module_scope()
        out = []
        for i, stmt in enumerate(raw):
            pointer = f"#/program/{i}"
            if i == len(raw) - 1 and "expr" in stmt:
                out.append(self.result_stmt(stmt, pointer, scope))
            else:
                out.append(self.stmt(stmt, pointer, scope, loop=False, func=False))
        return out


# --------------------------------------------------------------------------- cache and runner

class CompiledProgram:
    """A program's top-level statement closures, compiled once and shared by every run."""

    __slots__ = ("unit", "statements", "codes")

    def __init__(self, unit: bytes, statements: list[Closure],
                 codes: list[Code] | None = None) -> None:
        self.unit, self.statements = unit, statements
        self.codes = codes or []
        """Every ``def`` and ``lambda`` of the program (:meth:`CodeCompiler.register`)."""


run_warnings.install()

_CODE_CACHE_SIZE = 512
_code_cache = BoundedCache(_CODE_CACHE_SIZE, CACHE_MAX_NODES)
_code_lock = threading.Lock()
compile_count = 0  # how many programs were compiled (not served from the cache); for tests


def compiled(program: Program | list | dict, limits: Limits | None = None) -> CompiledProgram:
    """The closures of ``program``, from the cache when the same program was compiled before."""
    global compile_count
    parsed = parse_program(program, limits)
    raw, key = raw_of(parsed)
    code = _code_cache.get(key)  # a plain read is atomic; eviction is first-in, first-out
    if code is not None:
        return code
    compiler = CodeCompiler(key)
    code = CompiledProgram(key, compiler.program(raw), compiler.codes)
    with _code_lock:
        compile_count += 1
        _code_cache.put(key, code, nodes_of(parsed) or 1)
    return code


def _ensure_recursion_limit(limits: Limits) -> None:
    # about 12 Python frames per user-function call (through library code and generators
    # too) and 2 per nesting level, plus the caller's
    needed = 14 * limits.max_recursion_depth + 4 * limits.max_nesting_depth + 1000
    if sys.getrecursionlimit() < needed:
        sys.setrecursionlimit(needed)


def run_program(program: Program | list | dict, env: Environment, limits: Limits | None = None,
                *, source: str | None = None) -> RunResult:
    """Run ``program`` in ``env`` and return its :class:`RunResult`.

    Safe to call from a worker thread: grad mode, the session's generator,
    its device and the element limit are set inside the run (in a copy of the current context)
    and nothing leaks out. Statements that completed stay done when a later one fails; the
    failing top-level statement's bindings are rolled back. ``source`` (the text the program
    was compiled from) adds line and column to error locations.
    """
    limits = limits or DEFAULT_LIMITS
    code = compiled(program, limits)
    _ensure_recursion_limit(limits)
    if any(map(env.variables.__contains__, PREBOUND_ROOTS)):
        calls.mark_roots_bound(env, env.variables)  # bound outside a run (a run's inputs, a
        # restored snapshot), or kept from an earlier run
    rs = RunState(env, limits)
    rs.unit, rs.source = code.unit, source
    try:
        contextvars.copy_context().run(_run, code, env, rs)
    except LangError as exc:
        _locate(exc, code, rs, source, limits)
        rs.flush()  # what the run printed before it failed, as a script's output before its
        exc.extra.setdefault("printed", rs.printed)  # traceback (the problem's "printed")
        raise
    finally:
        rs.flush()
        if calls.ROOTS_BOUND:
            calls.release_roots(env)
    env.held_bytes_estimate = rs.mem_base + rs.alloc
    return RunResult(result=_plain_result(rs.result), printed=rs.printed, steps=rs.steps,
                     elapsed_ms=rs.elapsed_ms(), warnings=rs.warnings)


def _run(code: CompiledProgram, env: Environment, rs: RunState) -> None:
    frame = make_frame(rs, env.variables, env.variables, ())
    journal = rs.journal
    CURRENT.set(rs)
    set_forward_trace(run_warnings.program_trace)  # anomaly mode: the program's lines
    # This runs in a copied context, so a plain set is enough (the copy is dropped after the
    # run: nothing to restore), and a setting the context already holds is not set again.
    # Grad mode starts enabled, whatever the caller's mode.
    value = _device(env.device)
    if _DEVICE.get() is not value:
        _DEVICE.set(value)
    if _GENERATOR.get() is not env.generator:
        _GENERATOR.set(env.generator)
    if _MAX_ELEMENTS.get() != rs.limits.max_tensor_elements:
        _MAX_ELEMENTS.set(rs.limits.max_tensor_elements)
    value = env.print_options or DEFAULT_PRINT_OPTIONS
    if _PRINT_OPTIONS.get() is not value:
        _PRINT_OPTIONS.set(value)
    if _DETERMINISTIC.get() != env.deterministic:
        _DETERMINISTIC.set(env.deterministic)
    if _CUDNN.get() != env.cudnn:
        _CUDNN.set(env.cudnn)
    if _CPU.get() != env.cpu:
        _CPU.set(env.cpu)
    if _DEFAULT_FLOAT.get().name != env.default_dtype:
        _DEFAULT_FLOAT.set(dtype_from_name(env.default_dtype))
    if _GRAD.get() is not True:
        _GRAD.set(True)
    if _DTYPE_NAMES_REFUSED.get() is not True:  # ``dtype='float64'``: torch's TypeError
        _DTYPE_NAMES_REFUSED.set(True)
    try:
        for stmt in code.statements:
            if journal:
                journal.clear()
            try:
                stmt(frame)
            except BaseException as exc:
                if isinstance(exc, ProgramError) and clean_exit(exc):
                    break  # sys.exit(), sys.exit(0): the program ends here, as a script does
                _rollback(env.variables, journal)
                if isinstance(exc, LangError):
                    raise
                err = convert_exception(exc, None, rs.limits, final=True)
                if "trace" in getattr(exc, "__dict__", ()):  # where a BatchingError passed
                    err.__dict__.setdefault("trace", exc.__dict__["trace"])
                raise err from None
    finally:  # what the programs set stays with the session, as torch's globals would
        env.print_options = _PRINT_OPTIONS.get()
        env.deterministic = _DETERMINISTIC.get()
        env.cudnn = _CUDNN.get()
        env.cpu = _CPU.get()
        env.default_dtype = _DEFAULT_FLOAT.get().name


@functools.lru_cache(maxsize=64)
def _device(spec: str) -> Any:
    """The device ``spec`` names, bound to its array module (raises when it cannot run here;
    an error is not cached)."""
    return bind(engine.device(spec))


def _rollback(namespace: dict, journal: dict) -> None:
    for name, old in journal.items():
        if old is UNBOUND:
            namespace.pop(name, None)
        else:
            namespace[name] = old
    journal.clear()


def _locate(exc: LangError, code: CompiledProgram, rs: RunState, source: str | None,
            limits: Limits) -> None:
    exc.extra.setdefault("steps", rs.steps)
    trace = exc.__dict__.get("trace") or []
    pointer = next((p for unit, p in trace if unit == code.unit), None)
    if pointer is None or "location" in exc.extra:
        return
    location: dict[str, Any] = {"pointer": pointer}
    if source is not None:
        try:
            positions = compile_source_with_positions(source, limits)[1]
        except LangError:
            positions = {}
        if pointer in positions:
            location["line"], location["col"] = positions[pointer]
    exc.extra["location"] = location


def _plain_result(value: Any) -> Any:
    if isinstance(value, range):
        return list(value)
    return value
