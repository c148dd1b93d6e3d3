"""Calls: user functions, builtins, ops and operators, as closures the interpreter builds.

Every call counts a step, converts what the engine or Python raises into a :class:`LangError`
(with the op's name) and accounts the memory of the tensor it returns.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import engine

from . import builtins as bi
from .errors import LangError, LimitExceeded, ProgramError
from .limits import DEFAULT_LIMITS, Limits
from .runtime import RETURN, Frame, RunState

Tensor = engine.Tensor
Closure = Callable[[Frame], Any]
_EMPTY: dict[str, Any] = {}


# --------------------------------------------------------------------------- errors

_PY_EXCEPTIONS = (RuntimeError, TypeError, ValueError, IndexError, KeyError,
                  NotImplementedError, ZeroDivisionError, OverflowError, AttributeError,
                  ArithmeticError)


def convert_exception(exc: BaseException, op: str | None = None,
                      limits: Limits | None = None) -> LangError:
    """An exception raised while running (by the engine or Python) as a :class:`LangError`."""
    if isinstance(exc, LangError):
        return exc
    if isinstance(exc, engine.errors.TensorTooLarge):
        return LimitExceeded(str(exc) + " (max_tensor_elements)", limit="max_tensor_elements",
                             value=exc.limit, op=op)
    limits = limits or DEFAULT_LIMITS
    if isinstance(exc, RecursionError):
        return LimitExceeded("the program recursed too deeply (max_recursion_depth)",
                             limit="max_recursion_depth", value=limits.max_recursion_depth)
    if isinstance(exc, MemoryError):
        return LimitExceeded("the operation ran out of memory (max_tensor_elements)",
                             limit="max_tensor_elements", value=limits.max_tensor_elements,
                             op=op)
    kind = next((t.__name__ for t in type(exc).__mro__ if t in _PY_EXCEPTIONS), "Exception")
    message = str(exc) if str(exc) else kind
    if isinstance(exc, KeyError) and exc.args:
        message = str(exc.args[0])
    return ProgramError(message, op=op, exception=kind)


def trace(exc: LangError, unit: bytes, pointer: str) -> None:
    trace = exc.__dict__.setdefault("trace", [])
    trace.append((unit, pointer))


# --------------------------------------------------------------------------- user functions

class UserFunction:
    """A function a program defined with ``def``."""

    __slots__ = ("name", "params", "body", "enclosing", "fscopes", "has_defs")

    def __init__(self, name: str, params: list[str], body: Closure, enclosing: tuple,
                 fscopes: tuple, has_defs: bool) -> None:
        self.name, self.params, self.body = name, params, body
        self.enclosing, self.fscopes, self.has_defs = enclosing, fscopes, has_defs

    def __repr__(self) -> str:
        return f"<function {self.name}>"

    def bind(self, args: tuple | list, kwargs: dict) -> dict[str, Any]:
        params = self.params
        if len(args) > len(params):
            raise ProgramError(
                f"{self.name}() takes {len(params)} positional argument"
                f"{'' if len(params) == 1 else 's'} but {len(args)} "
                f"{'was' if len(args) == 1 else 'were'} given", exception="TypeError")
        local = dict(zip(params, args, strict=False))
        for key, value in kwargs.items():
            if key not in params:
                raise ProgramError(f"{self.name}() got an unexpected keyword argument '{key}'",
                                   exception="TypeError")
            if key in local:
                raise ProgramError(f"{self.name}() got multiple values for argument '{key}'",
                                   exception="TypeError")
            local[key] = value
        if len(local) < len(params):
            missing = [p for p in params if p not in local]
            names = " and ".join(f"'{p}'" for p in missing)
            raise ProgramError(
                f"{self.name}() missing {len(missing)} required positional argument"
                f"{'' if len(missing) == 1 else 's'}: {names}", exception="TypeError")
        return local


def call_user(fr: Frame, func: UserFunction, args: tuple | list, kwargs: dict) -> Any:
    rs = fr.rs
    if rs.depth >= rs.limits.max_recursion_depth:
        limit = rs.limits.max_recursion_depth
        raise rs.limit_error(f"user functions nested more than {limit} calls deep "
                             "(max_recursion_depth)", "max_recursion_depth", limit)
    local = func.bind(args, kwargs)
    fscopes = ({}, *func.fscopes) if func.has_defs else func.fscopes
    new = Frame(rs, local, fr.glob, func.enclosing, fscopes)
    rs.depth += 1
    rs.frames.append(new)
    try:
        signal = func.body(new)
    finally:
        rs.depth -= 1
        rs.frames.pop()
    return new.retval if signal is RETURN else None


#: Operators whose Python meaning on plain values cannot build a huge value.
_SAFE_ON_PLAIN = frozenset({"sub", "div", "floordiv", "matmul", "lt", "le", "gt", "ge", "eq",
                            "ne"})


def _is_number(node: Any) -> bool:
    return isinstance(node, (int, float)) and not isinstance(node, bool)


def binary_closure(name: str, left: Closure, right: Closure, left_node: Any = None,
                    right_node: Any = None, left_name: str | None = None,
                    right_name: str | None = None) -> Closure:
    """``a <op> b``: the engine for tensors, guarded Python arithmetic for plain values.
    A number literal operand is folded into the closure (the hot paths are inlined)."""
    tensor_fn = bi.TENSOR_BINARY[name]
    safe = name in _SAFE_ON_PLAIN
    guarded = bi.BINARY[name]

    def plain(rs: RunState, a: Any, b: Any) -> Any:
        try:
            return tensor_fn(a, b) if safe else guarded(rs, a, b)
        except LangError:
            raise
        except Exception as exc:
            raise convert_exception(exc, name, rs.limits) from None

    def failed(rs: RunState, exc: Exception) -> LangError:
        return convert_exception(exc, name, rs.limits)

    if _is_number(right_node):
        const = right_node

        def run(fr: Frame) -> Any:
            if left_name is not None:
                try:
                    a = fr.locals[left_name]
                except KeyError:
                    a = left(fr)
            else:
                a = left(fr)
            rs = fr.rs
            rs.steps += 1
            if rs.steps >= rs.next_check:
                rs.check()
            if isinstance(a, Tensor):
                try:
                    out = tensor_fn(a, const)
                except Exception as exc:
                    raise failed(rs, exc) from None
                if type(out) is Tensor:
                    rs.alloc += out._data.nbytes
                    if rs.alloc > rs.alloc_budget:
                        rs.allocated(0)
                return out
            if safe and type(a) is float:
                try:
                    return tensor_fn(a, const)
                except Exception as exc:
                    raise failed(rs, exc) from None
            return plain(rs, a, const)
    elif _is_number(left_node):
        const = left_node

        def run(fr: Frame) -> Any:
            if right_name is not None:
                try:
                    b = fr.locals[right_name]
                except KeyError:
                    b = right(fr)
            else:
                b = right(fr)
            rs = fr.rs
            rs.steps += 1
            if rs.steps >= rs.next_check:
                rs.check()
            if isinstance(b, Tensor):
                try:
                    out = tensor_fn(const, b)
                except Exception as exc:
                    raise failed(rs, exc) from None
                if type(out) is Tensor:
                    rs.alloc += out._data.nbytes
                    if rs.alloc > rs.alloc_budget:
                        rs.allocated(0)
                return out
            return plain(rs, const, b)
    else:
        def run(fr: Frame) -> Any:
            a = left(fr)
            b = right(fr)
            rs = fr.rs
            rs.steps += 1
            if rs.steps >= rs.next_check:
                rs.check()
            if isinstance(a, Tensor) or isinstance(b, Tensor):
                try:
                    out = tensor_fn(a, b)
                except Exception as exc:
                    raise failed(rs, exc) from None
                if type(out) is Tensor:
                    rs.alloc += out._data.nbytes
                    if rs.alloc > rs.alloc_budget:
                        rs.allocated(0)
                return out
            return plain(rs, a, b)

    return run


def inplace_closure(name: str, left: Closure, right: Closure) -> Closure:
    tensor_fn, plain = bi.INPLACE[name]
    plain_fn = bi.BINARY[plain]

    def run(fr: Frame) -> Any:
        a = left(fr)
        b = right(fr)
        rs = fr.rs
        rs.steps += 1
        if rs.steps >= rs.next_check:
            rs.check()
        try:
            if isinstance(a, Tensor) or isinstance(b, Tensor):
                return tensor_fn(a, b)
            return plain_fn(rs, a, b)
        except LangError:
            raise
        except Exception as exc:
            raise convert_exception(exc, plain + ("_" if isinstance(a, Tensor) else ""),
                                    rs.limits) from None

    return run


def unary_closure(name: str, operand: Closure) -> Closure:
    fn = bi.UNARY[name]

    def run(fr: Frame) -> Any:
        a = operand(fr)
        rs = fr.rs
        rs.steps += 1
        if rs.steps >= rs.next_check:
            rs.check()
        try:
            return fn(a)
        except Exception as exc:
            raise convert_exception(exc, name, rs.limits) from None

    return run


def _resolve(name: str) -> tuple[Callable | None, Callable | None]:
    """(builtin, op function) for a name; either may be None."""
    opdef = engine.ops.lookup(name)
    return bi.BUILTINS.get(name), (opdef.fn if opdef is not None else None)


def general_call(name: str, args: tuple[Closure, ...],
                  kwargs: tuple[tuple[str, Closure], ...], fast: str | None = None) -> Closure:
    """A call by name: a user function, else a builtin, else an op (see ``builtins``)."""
    builtin, opfn = _resolve(name)
    dual = name in bi.DUAL_NAMES and builtin is not None and opfn is not None
    shadowable = name not in bi.OPERATOR_NAMES

    def dispatch(fr: Frame, values: tuple, named: dict) -> Any:
        rs = fr.rs
        rs.steps += 1
        if rs.steps >= rs.next_check:
            rs.check()
        if shadowable:
            for functions in fr.fscopes:
                if name in functions:
                    return call_user(fr, functions[name], values, named)
        if builtin is not None and not (dual and values and isinstance(values[0], Tensor)):
            try:
                return builtin(rs, *values, **named)
            except LangError:
                raise
            except Exception as exc:
                raise convert_exception(exc, name, rs.limits) from None
        if opfn is None:
            raise ProgramError(f"name '{name}' is not defined", exception="NameError")
        try:
            out = opfn(*values, **named) if named else opfn(*values)
        except Exception as exc:
            raise convert_exception(exc, name, rs.limits) from None
        if type(out) is Tensor:
            rs.alloc += out._data.nbytes
            if rs.alloc > rs.alloc_budget:
                rs.allocated(0)
        return out

    if kwargs:
        def run(fr: Frame) -> Any:
            values = tuple([arg(fr) for arg in args])
            return dispatch(fr, values, {key: arg(fr) for key, arg in kwargs})
        return run
    if len(args) == 1 and shadowable and builtin is None and opfn is not None:
        # the common case, a one-argument op (x.sum(), b.norm(), y.backward()), inlined
        (only,) = args

        def run_op1(fr: Frame) -> Any:
            if fast is not None:
                try:
                    value = fr.locals[fast]
                except KeyError:
                    value = only(fr)
            else:
                value = only(fr)
            rs = fr.rs
            rs.steps += 1
            if rs.steps >= rs.next_check:
                rs.check()
            for functions in fr.fscopes:
                if name in functions:
                    return call_user(fr, functions[name], (value,), _EMPTY)
            try:
                out = opfn(value)
            except Exception as exc:
                raise convert_exception(exc, name, rs.limits) from None
            if type(out) is Tensor:
                rs.alloc += out._data.nbytes
                if rs.alloc > rs.alloc_budget:
                    rs.allocated(0)
            return out
        return run_op1
    if len(args) == 1:
        (only,) = args
        return lambda fr: dispatch(fr, (only(fr),), _EMPTY)
    if len(args) == 2:
        first, second = args
        return lambda fr: dispatch(fr, (first(fr), second(fr)), _EMPTY)
    return lambda fr: dispatch(fr, tuple([arg(fr) for arg in args]), _EMPTY)
