"""The interpreter: a validated program is compiled once into closures (cached by content hash)
and run against an :class:`Environment` under :class:`Limits`.

Every statement closure returns ``None`` or a control signal (``BREAK``, ``CONTINUE``,
``RETURN``); every expression closure returns its value. Both take the current
:class:`~app.lang.runtime.Frame`. Budget checks are one integer compare per step.
"""

from __future__ import annotations

import contextvars
import functools
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import engine

from . import builtins as bi
from .calls import (
    Closure,
    UserFunction,
    binary_closure,
    convert_exception,
    general_call,
    inplace_closure,
    trace,
    unary_closure,
)
from .compiler import compile_source_with_positions, strip_module_prefix
from .environment import Environment
from .errors import LangError, LimitExceeded, ProgramError, ProgramValidationError
from .limits import DEFAULT_LIMITS, Limits
from .runtime import BREAK, CONTINUE, RETURN, Frame, RunState
from .schema import READABLE_ATTRS, WRITABLE_ATTRS, Program
from .validation import parse_program, raw_of

Tensor = engine.Tensor

_MISSING = object()


@dataclass
class RunResult:
    """What a run gives back: the last expression statement's value, the printed lines, the
    steps taken and the wall time."""

    result: Any = None
    printed: list[str] = field(default_factory=list)
    steps: int = 0
    elapsed_ms: float = 0.0


# --------------------------------------------------------------------------- scopes

class Scope:
    """Compile-time view of where names live: the top level or a function body."""

    def __init__(self, unit: bytes, local_names: frozenset[str] | None = None) -> None:
        self.unit = unit
        self.local_names = local_names  # None at the top level

    @property
    def top(self) -> bool:
        return self.local_names is None


def _assigned_names(body: list) -> tuple[set[str], bool]:
    """Names a function body binds (its locals), and whether it contains a ``def``."""
    names: set[str] = set()
    has_defs = False
    stack = list(body)
    while stack:
        stmt = stack.pop()
        if "assign" in stmt:
            target = stmt["assign"]
            names.update([target] if isinstance(target, str) else target)
        elif "for" in stmt:
            target = stmt["for"]
            names.update([target] if isinstance(target, str) else target)
            stack.extend(stmt["body"])
        elif "if" in stmt:
            stack.extend(stmt["then"])
            stack.extend(stmt.get("else", ()))
        elif "while" in stmt or "with" in stmt:
            stack.extend(stmt["body"])
        elif "def" in stmt:
            has_defs = True
    return names, has_defs


# --------------------------------------------------------------------------- the code compiler

def _invalid(pointer: str, message: str) -> ProgramValidationError:
    return ProgramValidationError(f"{pointer}: {message}", pointer=pointer)


class CodeCompiler:
    """Turns the (validated) JSON form into closures."""

    def __init__(self, unit: bytes) -> None:
        self.unit = unit

    # ------------------------------------------------------------------ statements

    def program(self, raw: list) -> list[Closure]:
        scope = Scope(self.unit)
        out = []
        for i, stmt in enumerate(raw):
            pointer = f"#/program/{i}"
            if i == len(raw) - 1 and "expr" in stmt:
                out.append(self._result_stmt(stmt, pointer, scope))
            else:
                out.append(self.stmt(stmt, pointer, scope, loop=False, func=False))
        return out

    def block(self, stmts: list, pointer: str, scope: Scope, *, loop: bool,
              func: bool) -> Closure:
        compiled = tuple(self.stmt(s, f"{pointer}/{i}", scope, loop=loop, func=func)
                         for i, s in enumerate(stmts))
        if not compiled:
            return lambda fr: None
        if len(compiled) == 1:
            return compiled[0]

        def run_block(fr: Frame) -> Any:
            for stmt in compiled:
                signal = stmt(fr)
                if signal is not None:
                    return signal
            return None

        return run_block

    def stmt(self, node: dict, pointer: str, scope: Scope, *, loop: bool,
             func: bool) -> Closure:
        unit = self.unit
        if "assign" in node:
            return self._assign(node, pointer, scope)
        if "expr" in node:
            body = self.expr(node["expr"], scope)

            def run(fr: Frame) -> Any:
                body(fr)
        elif "setitem" in node:
            run = self._setitem(node, scope)
        elif "setattr" in node:
            run = self._setattr(node, scope)
        elif "if" in node:
            run = self._if(node, pointer, scope, loop=loop, func=func)
        elif "while" in node:
            run = self._while(node, pointer, scope, func=func)
        elif "for" in node:
            run = self._for(node, pointer, scope, func=func)
        elif "break" in node or "continue" in node:
            if not loop:
                raise _invalid(pointer, "'break' outside loop" if "break" in node
                               else "'continue' not properly in loop")
            signal = BREAK if "break" in node else CONTINUE

            def run(fr: Frame) -> Any:
                return signal
        elif "def" in node:
            run = self._def(node, pointer, scope)
        elif "return" in node:
            if not func:
                raise _invalid(pointer, "'return' outside function")
            value = self.expr(node["return"], scope)

            def run(fr: Frame) -> Any:
                fr.retval = value(fr)
                return RETURN
        elif "with" in node:
            run = self._with(node, pointer, scope, loop=loop, func=func)
        else:  # pragma: no cover - the schema admits nothing else
            raise _invalid(pointer, "unknown statement")
        return self._counted(run, unit, pointer)

    @staticmethod
    def _counted(body: Closure, unit: bytes, pointer: str) -> Closure:
        def stmt(fr: Frame) -> Any:
            rs = fr.rs
            rs.steps += 1
            if rs.steps >= rs.next_check:
                rs.check()
            try:
                return body(fr)
            except LangError as exc:
                trace(exc, unit, pointer)
                raise
            except Exception as exc:
                err = convert_exception(exc, None, fr.rs.limits)
                trace(err, unit, pointer)
                raise err from None

        return stmt

    def _result_stmt(self, node: dict, pointer: str, scope: Scope) -> Closure:
        value = self.expr(node["expr"], scope)

        def run(fr: Frame) -> None:
            fr.rs.result = value(fr)

        return self._counted(run, self.unit, pointer)

    def _assign(self, node: dict, pointer: str, scope: Scope) -> Closure:
        value = self.expr(node["value"], scope)
        target = node["assign"]
        unit = self.unit
        if isinstance(target, str):
            name = target
            if scope.top:
                def run(fr: Frame) -> None:
                    rs = fr.rs
                    rs.steps += 1
                    if rs.steps >= rs.next_check:
                        rs.check()
                    try:
                        v = value(fr)
                    except LangError as exc:
                        trace(exc, unit, pointer)
                        raise
                    except Exception as exc:
                        err = convert_exception(exc, None, fr.rs.limits)
                        trace(err, unit, pointer)
                        raise err from None
                    glob = fr.glob
                    journal = rs.journal
                    if name not in journal:
                        journal[name] = glob.get(name, _MISSING)
                    glob[name] = v
            else:
                def run(fr: Frame) -> None:
                    rs = fr.rs
                    rs.steps += 1
                    if rs.steps >= rs.next_check:
                        rs.check()
                    try:
                        fr.locals[name] = value(fr)
                    except LangError as exc:
                        trace(exc, unit, pointer)
                        raise
                    except Exception as exc:
                        err = convert_exception(exc, None, fr.rs.limits)
                        trace(err, unit, pointer)
                        raise err from None
            return run
        store = self._store(target, scope)

        def unpack(fr: Frame) -> None:
            store(fr, value(fr))

        return self._counted(unpack, unit, pointer)

    def _store(self, target: str | list[str], scope: Scope) -> Callable[[Frame, Any], None]:
        """A binder for one name or a list of names (unpacking, all or nothing)."""
        names = [target] if isinstance(target, str) else list(target)
        single = isinstance(target, str)
        top = scope.top

        def store(fr: Frame, value: Any) -> None:
            if single:
                values = (value,)
            else:
                values = _unpack(value, len(names))
            if top:
                glob, journal = fr.glob, fr.rs.journal
                for name, v in zip(names, values, strict=True):
                    if name not in journal:
                        journal[name] = glob.get(name, _MISSING)
                    glob[name] = v
            else:
                local = fr.locals
                for name, v in zip(names, values, strict=True):
                    local[name] = v

        return store

    def _setitem(self, node: dict, scope: Scope) -> Closure:
        target = self.expr(node["setitem"], scope)
        key = self.key(node["key"], scope)
        value = self.expr(node["value"], scope)

        def run(fr: Frame) -> None:
            obj = target(fr)
            k = key(fr)
            v = value(fr)
            if isinstance(obj, Tensor):
                try:
                    obj[k] = v
                except Exception as exc:
                    raise convert_exception(exc, "setitem", fr.rs.limits) from None
            elif isinstance(obj, list):
                if isinstance(k, slice):
                    v = bi._materialize(fr.rs, v, "a list")
                    bi._size_guard(fr.rs, len(obj) + len(v), "a list")
                obj[k] = v
            else:
                raise ProgramError(f"'{type(obj).__name__}' object does not support item "
                                   "assignment", exception="TypeError")

        return run

    def _setattr(self, node: dict, scope: Scope) -> Closure:
        target = self.expr(node["setattr"], scope)
        attr = node["attr"]
        if attr not in WRITABLE_ATTRS:  # pragma: no cover - the schema checks it
            raise ProgramValidationError(f"attribute {attr!r} cannot be assigned")
        value = self.expr(node["value"], scope)

        def run(fr: Frame) -> None:
            obj = target(fr)
            v = value(fr)
            if not isinstance(obj, Tensor):
                raise ProgramError(f"'{type(obj).__name__}' object has no attribute '{attr}'",
                                   exception="AttributeError")
            try:
                setattr(obj, attr, v)
            except Exception as exc:
                raise convert_exception(exc, f"setattr {attr}", fr.rs.limits) from None

        return run

    def _if(self, node: dict, pointer: str, scope: Scope, *, loop: bool,
            func: bool) -> Closure:
        cond = self.expr(node["if"], scope)
        then = self.block(node["then"], f"{pointer}/then", scope, loop=loop, func=func)
        orelse = self.block(node.get("else", []), f"{pointer}/else", scope, loop=loop,
                            func=func)

        def run(fr: Frame) -> Any:
            if cond(fr):
                return then(fr)
            return orelse(fr)

        return run

    def _while(self, node: dict, pointer: str, scope: Scope, *, func: bool) -> Closure:
        cond = self.expr(node["while"], scope)
        body = self.block(node["body"], f"{pointer}/body", scope, loop=True, func=func)

        def run(fr: Frame) -> Any:
            limit = fr.rs.limits.max_loop_iterations
            n = 0
            rs = fr.rs
            while cond(fr):
                n += 1
                if n > limit:
                    raise _loop_limit(rs, limit)
                rs.steps += 1
                if rs.steps >= rs.next_check:
                    rs.check()
                signal = body(fr)
                if signal is not None:
                    if signal is BREAK:
                        break
                    if signal is RETURN:
                        return signal
            return None

        return run

    def _for(self, node: dict, pointer: str, scope: Scope, *, func: bool) -> Closure:
        iterable = self.expr(node["in"], scope)
        body = self.block(node["body"], f"{pointer}/body", scope, loop=True, func=func)
        target = node["for"]
        store = self._store(target, scope)
        simple = isinstance(target, str) and not scope.top
        simple_top = isinstance(target, str) and scope.top
        name = target if isinstance(target, str) else None

        def run(fr: Frame) -> Any:
            rs = fr.rs
            limit = rs.limits.max_loop_iterations
            seq = iterable(fr)
            if not isinstance(seq, (range, list, tuple, Tensor, str)):
                raise ProgramError(f"'{type(seq).__name__}' object is not iterable",
                                   exception="TypeError")
            n = 0
            local = fr.locals
            if simple_top:  # the journal keeps the name's value from before this statement
                journal = rs.journal
                if name not in journal:
                    journal[name] = local.get(name, _MISSING)
            for item in seq:
                n += 1
                if n > limit:
                    raise _loop_limit(rs, limit)
                rs.steps += 1
                if rs.steps >= rs.next_check:
                    rs.check()
                if simple or simple_top:
                    local[name] = item
                else:
                    store(fr, item)
                signal = body(fr)
                if signal is not None:
                    if signal is BREAK:
                        break
                    if signal is RETURN:
                        return signal
            return None

        return run

    def _def(self, node: dict, pointer: str, scope: Scope) -> Closure:
        name, params = node["def"], list(node["params"])
        if len(set(params)) != len(params):
            raise _invalid(pointer, f"duplicate argument in function definition {name!r}")
        locals_, has_defs = _assigned_names(node["body"])
        inner = Scope(self.unit, frozenset(locals_) | frozenset(params))
        body = self.block(node["body"], f"{pointer}/body", inner, loop=False, func=True)
        top = scope.top

        def run(fr: Frame) -> None:
            if top:
                functions = fr.rs.env.functions
                fjournal = fr.rs.fjournal
                if name not in fjournal:
                    fjournal[name] = functions.get(name, _MISSING)
                functions[name] = UserFunction(name, params, body, (), (functions,), has_defs)
            else:
                enclosing = (fr.locals, *fr.enclosing)
                fr.fscopes[0][name] = UserFunction(name, params, body, enclosing, fr.fscopes,
                                                   has_defs)

        return run

    def _with(self, node: dict, pointer: str, scope: Scope, *, loop: bool,
              func: bool) -> Closure:
        mode = node["with"]
        manager = engine.no_grad if mode == "no_grad" else engine.enable_grad
        body = self.block(node["body"], f"{pointer}/body", scope, loop=loop, func=func)

        def run(fr: Frame) -> Any:
            with manager():
                return body(fr)

        return run

    # ------------------------------------------------------------------ expressions

    def expr(self, node: Any, scope: Scope) -> Closure:
        if node is None or isinstance(node, (bool, int, float, str)):
            return lambda fr: node
        if isinstance(node, list):
            items = tuple(self.expr(e, scope) for e in node)
            return lambda fr: [item(fr) for item in items]
        if "call" in node:
            return self._call(node, scope)
        if "var" in node:
            return self._var(node["var"], scope)
        if "attr" in node:
            return self._attr(node, scope)
        if "index" in node:
            return self._index(node, scope)
        if "and" in node:
            return self._and_or(node["and"], scope, is_and=True)
        if "or" in node:
            return self._and_or(node["or"], scope, is_and=False)
        if "not" in node:
            operand = self.expr(node["not"], scope)
            return lambda fr: not operand(fr)
        if "ifexp" in node:
            cond = self.expr(node["ifexp"], scope)
            then = self.expr(node["then"], scope)
            orelse = self.expr(node["else"], scope)
            return lambda fr: then(fr) if cond(fr) else orelse(fr)
        raise ProgramValidationError("unknown expression")  # pragma: no cover

    def _index(self, node: dict, scope: Scope) -> Closure:
        obj = self.expr(node["index"], scope)
        key = self.key(node["key"], scope)

        def run(fr: Frame) -> Any:
            value = obj(fr)
            k = key(fr)
            try:
                return value[k]
            except Exception as exc:
                raise convert_exception(exc, "index", fr.rs.limits) from None

        return run

    def key(self, node: Any, scope: Scope) -> Closure:
        if isinstance(node, list):
            parts = tuple(self.key(k, scope) for k in node)
            return lambda fr: tuple(part(fr) for part in parts)
        if isinstance(node, dict) and "slice" in node:
            parts = [None if p is None else self.expr(p, scope) for p in node["slice"]]
            start, stop, step = (parts + [None])[:3]
            none = lambda fr: None  # noqa: E731
            start, stop, step = start or none, stop or none, step or none
            return lambda fr: slice(start(fr), stop(fr), step(fr))
        if isinstance(node, dict) and "ellipsis" in node:
            return lambda fr: Ellipsis
        return self.expr(node, scope)

    def _and_or(self, operands: list, scope: Scope, *, is_and: bool) -> Closure:
        parts = tuple(self.expr(e, scope) for e in operands)
        last = parts[-1]
        head = parts[:-1]
        if is_and:
            def run(fr: Frame) -> Any:
                for part in head:
                    value = part(fr)
                    if not value:
                        return value
                return last(fr)
        else:
            def run(fr: Frame) -> Any:
                for part in head:
                    value = part(fr)
                    if value:
                        return value
                return last(fr)
        return run

    def _var(self, name: str, scope: Scope) -> Closure:
        constants = bi.CONSTANTS
        if not scope.top and name in scope.local_names:
            def local(fr: Frame) -> Any:
                try:
                    return fr.locals[name]
                except KeyError:
                    raise ProgramError(f"cannot access local variable '{name}' where it is "
                                       "not associated with a value",
                                       exception="UnboundLocalError") from None
            return local

        def outer(fr: Frame) -> Any:
            try:
                return fr.glob[name]
            except KeyError:
                pass
            for scope_locals in fr.enclosing:
                if name in scope_locals:
                    return scope_locals[name]
            if name in constants:
                return constants[name]
            raise ProgramError(f"name '{name}' is not defined", exception="NameError")

        if scope.top:
            return outer

        def nonlocal_first(fr: Frame) -> Any:
            for scope_locals in fr.enclosing:
                if name in scope_locals:
                    return scope_locals[name]
            return outer(fr)

        return nonlocal_first

    def _attr(self, node: dict, scope: Scope) -> Closure:
        name = node["attr"]
        if name not in READABLE_ATTRS:  # pragma: no cover - the schema checks it
            raise ProgramValidationError(f"attribute {name!r} is not allowed")
        obj = self.expr(node["of"], scope)
        on_tuples = name in ("values", "indices")

        def run(fr: Frame) -> Any:
            value = obj(fr)
            if isinstance(value, Tensor) and not on_tuples:
                return getattr(value, name)
            if on_tuples and isinstance(value, tuple) and hasattr(value, "_fields") \
                    and name in value._fields:
                return getattr(value, name)
            raise ProgramError(f"'{_type_name(value)}' object has no attribute '{name}'",
                               exception="AttributeError")

        return run

    # ------------------------------------------------------------------ calls

    def _call(self, node: dict, scope: Scope) -> Closure:
        raw_name = node["call"]
        name = strip_module_prefix(raw_name) or raw_name if "." in raw_name else raw_name
        args = tuple(self.expr(a, scope) for a in node.get("args", ()))
        kwargs = tuple((k, self.expr(v, scope)) for k, v in node.get("kwargs", {}).items())
        if not kwargs:
            if name in bi.TENSOR_BINARY and len(args) == 2:
                return binary_closure(name, *args, *node["args"],
                                       *(self._fast_name(a, scope) for a in node["args"]))
            if name in bi.INPLACE and len(args) == 2:
                return inplace_closure(name, *args)
            if name in bi.UNARY and len(args) == 1:
                return unary_closure(name, args[0])
        fast = self._fast_name(node["args"][0], scope) if len(args) == 1 else None
        return general_call(name, args, kwargs, fast)

    @staticmethod
    def _fast_name(node: Any, scope: Scope) -> str | None:
        """The name of a variable operand that lives in ``fr.locals`` (every top-level name,
        a function's own locals), which a call can read inline; None otherwise."""
        if isinstance(node, dict) and "var" in node:
            name = node["var"]
            if scope.top or name in scope.local_names:
                return name
        return None


def _type_name(value: Any) -> str:
    return "Tensor" if isinstance(value, Tensor) else type(value).__name__


def _loop_limit(rs: RunState, limit: int) -> LimitExceeded:
    return rs.limit_error(f"a loop ran more than {limit} iterations (max_loop_iterations)",
                          "max_loop_iterations", limit)


def _unpack(value: Any, n: int) -> tuple:
    if isinstance(value, (list, tuple, Tensor, range, str)):
        if isinstance(value, Tensor) and value.ndim == 0:
            raise ProgramError("iteration over a 0-d tensor", exception="TypeError")
        got = len(value)
        if got < n:
            raise ProgramError(f"not enough values to unpack (expected {n}, got {got})",
                               exception="ValueError")
        if got > n:
            raise ProgramError(f"too many values to unpack (expected {n})",
                               exception="ValueError")
        return tuple(value)
    raise ProgramError(f"cannot unpack non-iterable {type(value).__name__} object",
                       exception="TypeError")


# --------------------------------------------------------------------------- cache and runner

class CompiledProgram:
    """A program's top-level statement closures, compiled once and shared by every run."""

    __slots__ = ("unit", "statements")

    def __init__(self, unit: bytes, statements: list[Closure]) -> None:
        self.unit, self.statements = unit, statements


_CODE_CACHE_SIZE = 512
_code_cache: dict[bytes, CompiledProgram] = {}
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
    code = CompiledProgram(key, CodeCompiler(key).program(raw))
    with _code_lock:
        compile_count += 1
        _code_cache[key] = code
        if len(_code_cache) > _CODE_CACHE_SIZE:
            del _code_cache[next(iter(_code_cache))]
    return code


def _ensure_recursion_limit(limits: Limits) -> None:
    # about 7 Python frames per user-function call and 2 per nesting level, plus the caller's
    needed = 10 * limits.max_recursion_depth + 4 * limits.max_nesting_depth + 1000
    if sys.getrecursionlimit() < needed:
        sys.setrecursionlimit(needed)


def run_program(program: Program | list | dict, env: Environment, limits: Limits | None = None,
                *, source: str | None = None) -> RunResult:
    """Run ``program`` in ``env`` and return its :class:`RunResult`.

    Safe to call from a worker thread: grad mode, the session's generator,
    its device and the element limit are set inside the run (in a copy of the current context)
    and nothing leaks out. Statements that completed stay done when a later one fails; the
    failing top-level statement's variable and function bindings are rolled back. ``source``
    (the text the program was compiled from) adds line and column to error locations.
    """
    limits = limits or DEFAULT_LIMITS
    code = compiled(program, limits)
    _ensure_recursion_limit(limits)
    rs = RunState(env, limits)
    try:
        contextvars.copy_context().run(_run, code, env, rs)
    except LangError as exc:
        _locate(exc, code, rs, source, limits)
        raise
    env.held_bytes_estimate = rs.mem_base + rs.alloc
    return RunResult(result=_plain_result(rs.result), printed=rs.printed, steps=rs.steps,
                     elapsed_ms=rs.elapsed_ms())


def _run(code: CompiledProgram, env: Environment, rs: RunState) -> None:
    frame = Frame(rs, env.variables, env.variables, (), (env.functions,))
    journal, fjournal = rs.journal, rs.fjournal
    with engine.use_device(_device(env.device)), engine.use_generator(env.generator), \
            engine.use_limits(max_elements=rs.limits.max_tensor_elements):
        # a plain setter is enough: this runs in a copied context
        engine.set_grad_enabled(True)
        for stmt in code.statements:
            if journal:
                journal.clear()
            if fjournal:
                fjournal.clear()
            try:
                stmt(frame)
            except BaseException as exc:
                _rollback(env.variables, journal)
                _rollback(env.functions, fjournal)
                if isinstance(exc, LangError):
                    raise
                raise convert_exception(exc, None, rs.limits) from None


@functools.lru_cache(maxsize=64)
def _device(spec: str) -> Any:
    return engine.device(spec)


def _rollback(namespace: dict, journal: dict) -> None:
    for name, old in journal.items():
        if old is _MISSING:
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
