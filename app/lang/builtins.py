"""The language's builtins (``print``, ``range``, ``len`` ...) and Python arithmetic on plain
values with guards against size bombs (``"a" * 10**9``, ``10**10**10``).

Name resolution, in order: a user function; a builtin; an op of the engine's table. Names
that are both a builtin and an op (``abs``, ``max``, ``min``, ``round``, ``sum``) are the op
when the first argument is a tensor (``x.sum()``, ``max(t)``) and the builtin otherwise
(``max(a, b)`` on numbers, ``sum(losses)`` over a list).
"""

from __future__ import annotations

import builtins as py
import math
import operator
import re
from collections.abc import Callable
from typing import Any

import engine

from .errors import ProgramError
from .runtime import RunState

Tensor = engine.Tensor

#: Variables every program sees unless it binds the name itself (``torch.float32`` compiles to
#: ``{"var": "float32"}``).
CONSTANTS: dict[str, Any] = {
    "float32": engine.float32, "float64": engine.float64, "float16": engine.float16,
    "int32": engine.int32, "int64": engine.int64, "bool": engine.bool_,
    "pi": math.pi, "e": math.e, "inf": math.inf, "nan": math.nan,
}

DUAL_NAMES = frozenset({"abs", "max", "min", "round", "sum"})


def _size_guard(rs: RunState, n: int, what: str) -> None:
    limit = rs.limits.max_value_elements
    if n > limit:
        raise rs.limit_error(f"{what} would have {n} elements, over the limit of {limit} "
                             "(max_value_elements)", "max_value_elements", limit)


def _int_guard(rs: RunState, bits: int) -> None:
    limit = rs.limits.max_int_bits
    if bits > limit:
        raise rs.limit_error(f"an integer would have about {bits} bits, over the limit of "
                             f"{limit} (max_int_bits)", "max_int_bits", limit)


def _length(value: Any) -> int:
    return len(value) if isinstance(value, (str, list, tuple, range)) else 0


# ------------------------------------------------------------------ guarded Python arithmetic

def py_add(rs: RunState, a: Any, b: Any) -> Any:
    if isinstance(a, (str, list, tuple)):
        _size_guard(rs, _length(a) + _length(b), "a sequence")
    return a + b


def py_mul(rs: RunState, a: Any, b: Any) -> Any:
    if isinstance(a, (str, list, tuple)) and isinstance(b, int):
        _size_guard(rs, _length(a) * max(b, 0), "a repeated sequence")
    elif isinstance(b, (str, list, tuple)) and isinstance(a, int):
        _size_guard(rs, _length(b) * max(a, 0), "a repeated sequence")
    elif type(a) is int and type(b) is int:
        _int_guard(rs, a.bit_length() + b.bit_length())
    return a * b


def py_pow(rs: RunState, a: Any, b: Any) -> Any:
    if type(a) in (int, bool) and type(b) in (int, bool) and b > 0 and abs(a) > 1:
        _int_guard(rs, int(b) * abs(int(a)).bit_length() if b < 1 << 40 else 1 << 40)
    out = a ** b
    if isinstance(out, complex):
        raise ProgramError("complex numbers are not supported")
    return out


def _py_remainder(rs: RunState, a: Any, b: Any) -> Any:
    if isinstance(a, str):
        raise ProgramError("'%' string formatting is not supported; use format() or f-strings")
    return a % b


def _plain(fn: Callable[[Any, Any], Any]) -> Callable[[RunState, Any, Any], Any]:
    return lambda rs, a, b: fn(a, b)


#: Binary operators by call name: (tensor/general function, guarded function for plain values).
BINARY: dict[str, Callable[[RunState, Any, Any], Any]] = {
    "add": py_add, "sub": _plain(operator.sub), "mul": py_mul, "div": _plain(operator.truediv),
    "floordiv": _plain(operator.floordiv), "remainder": _py_remainder, "pow": py_pow,
    "matmul": _plain(operator.matmul), "lt": _plain(operator.lt), "le": _plain(operator.le),
    "gt": _plain(operator.gt), "ge": _plain(operator.ge), "eq": _plain(operator.eq),
    "ne": _plain(operator.ne),
}
TENSOR_BINARY: dict[str, Callable[[Any, Any], Any]] = {
    "add": operator.add, "sub": operator.sub, "mul": operator.mul, "div": operator.truediv,
    "floordiv": operator.floordiv, "remainder": operator.mod, "pow": operator.pow,
    "matmul": operator.matmul, "lt": operator.lt, "le": operator.le, "gt": operator.gt,
    "ge": operator.ge, "eq": operator.eq, "ne": operator.ne,
}
#: ``x op= y``: in place on a tensor (every alias sees it), rebinding on plain values.
INPLACE: dict[str, tuple[Callable[[Any, Any], Any], str]] = {
    "iadd": (operator.iadd, "add"), "isub": (operator.isub, "sub"),
    "imul": (operator.imul, "mul"), "idiv": (operator.itruediv, "div"),
    "ifloordiv": (operator.ifloordiv, "floordiv"), "iremainder": (operator.imod, "remainder"),
    "ipow": (operator.ipow, "pow"), "imatmul": (operator.imatmul, "matmul"),
}
UNARY: dict[str, Callable[[Any], Any]] = {"neg": operator.neg}
#: Names that are operators of the language: never shadowed by user functions.
OPERATOR_NAMES = frozenset(BINARY) | frozenset(INPLACE) | frozenset(UNARY) | {
    "is_", "is_not", "contains"}


# ------------------------------------------------------------------ builtins proper

def _print(rs: RunState, *values: Any, sep: str | None = " ", end: str | None = "\n") -> None:
    line = (" " if sep is None else str(sep)).join(py.str(v) for v in values)
    if end not in (None, "\n"):
        line += str(end)
    rs.printed_chars += len(line)
    _size_guard(rs, rs.printed_chars, "the printed output")
    rs.printed.append(line)


def _range(rs: RunState, *args: Any) -> range:
    return range(*args)


def _materialize(rs: RunState, iterable: Any, what: str) -> list:
    if isinstance(iterable, (str, list, tuple, range, Tensor)):
        _size_guard(rs, len(iterable) if not isinstance(iterable, Tensor) or iterable.ndim
                    else 0, what)
    return py.list(iterable)


def _list(rs: RunState, iterable: Any = ()) -> list:
    return _materialize(rs, iterable, "a list")


def _tuple(rs: RunState, iterable: Any = ()) -> tuple:
    return tuple(_materialize(rs, iterable, "a tuple"))


def _enumerate(rs: RunState, iterable: Any, start: int = 0) -> list:
    return py.list(py.enumerate(_materialize(rs, iterable, "enumerate()"), start))


def _zip(rs: RunState, *iterables: Any) -> list:
    return py.list(py.zip(*(_materialize(rs, it, "zip()") for it in iterables), strict=False))


def _reversed(rs: RunState, seq: Any) -> list:
    return _materialize(rs, seq, "reversed()")[::-1]


def _sorted(rs: RunState, iterable: Any, reverse: bool = False) -> list:
    return py.sorted(_materialize(rs, iterable, "sorted()"), reverse=reverse)


def _str(rs: RunState, value: Any = "") -> str:
    return py.str(value)


def _repr(rs: RunState, value: Any) -> str:
    return py.repr(value)


def _format(rs: RunState, value: Any, spec: str = "") -> str:
    spec = py.str(spec)
    widths = [int(w) for w in re.findall(r"\d+", spec)]
    if len(spec) > 32 or (widths and max(widths) > 1000):
        raise ProgramError(f"format spec {spec[:40]!r} is too wide or too long")
    return py.format(value, spec)


def _reducing(fn: Callable[..., Any], name: str) -> Callable[..., Any]:
    """``min``/``max``/``any``/``all`` over one iterable: materialized under the size guard."""

    def call(rs: RunState, *args: Any, **kwargs: Any) -> Any:
        if len(args) == 1:
            args = (_materialize(rs, args[0], f"{name}()"),)
        return fn(*args, **kwargs)

    return call


def _sum(rs: RunState, iterable: Any, start: Any = 0) -> Any:
    total = start
    for item in _materialize(rs, iterable, "sum()"):
        total = total + item if isinstance(total, Tensor) or isinstance(item, Tensor) \
            else BINARY["add"](rs, total, item)
    return total


def _manual_seed(rs: RunState, seed: Any) -> None:
    rs.env.generator.manual_seed(int(seed))


def _append(rs: RunState, seq: list, value: Any) -> None:
    if not isinstance(seq, list):
        raise ProgramError(f"'{type(seq).__name__}' object has no attribute 'append'")
    _size_guard(rs, len(seq) + 1, "a list")
    seq.append(value)


def _extend(rs: RunState, seq: list, values: Any) -> None:
    if not isinstance(seq, list):
        raise ProgramError(f"'{type(seq).__name__}' object has no attribute 'extend'")
    values = _materialize(rs, values, "a list")
    _size_guard(rs, len(seq) + len(values), "a list")
    seq.extend(values)


def _pop(rs: RunState, seq: list, index: int = -1) -> Any:
    if not isinstance(seq, list):
        raise ProgramError(f"'{type(seq).__name__}' object has no attribute 'pop'")
    return seq.pop(index)


def _plain_builtin(fn: Callable[..., Any]) -> Callable[..., Any]:
    return lambda rs, *args, **kwargs: fn(*args, **kwargs)


BUILTINS: dict[str, Callable[..., Any]] = {
    "print": _print, "range": _range, "list": _list, "tuple": _tuple, "enumerate": _enumerate,
    "zip": _zip, "reversed": _reversed, "sorted": _sorted, "str": _str, "repr": _repr,
    "format": _format, "sum": _sum, "manual_seed": _manual_seed,
    "append": _append, "extend": _extend, "pop": _pop,
    "len": _plain_builtin(py.len), "float": _plain_builtin(py.float),
    "int": _plain_builtin(py.int), "bool": _plain_builtin(py.bool),
    "abs": _plain_builtin(py.abs), "round": _plain_builtin(py.round),
    "min": _reducing(py.min, "min"), "max": _reducing(py.max, "max"),
    "any": _reducing(py.any, "any"), "all": _reducing(py.all, "all"),
    "isfinite": _plain_builtin(math.isfinite),
    "grad": _plain_builtin(lambda *a, **k: engine.grad(*a, **k)),
    "is_": _plain_builtin(operator.is_), "is_not": _plain_builtin(operator.is_not),
    "contains": _plain_builtin(operator.contains),
}
