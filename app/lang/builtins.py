"""The language's builtins (``print``, ``range``, ``len``, ``isinstance`` ...), its operators on
plain values (with guards against size bombs: ``"a" * 10**9``, ``10**10**10``) and the
constants every program sees.

A bare name resolves to a local, a session variable, then a builtin here, then an op of the
engine's table. ``abs max min round sum`` are both builtins and ops: the op when the first
argument is a tensor (``{"call": "sum", "args": [x]}`` is ``x.sum()``, SPEC §2), the builtin
otherwise (``max(a, b)`` on numbers, ``sum(losses)`` over a list).
"""

from __future__ import annotations

import builtins as py
import hashlib
import math
import operator
import secrets
import types
from collections import OrderedDict, deque
from collections.abc import Callable
from typing import Any

import numpy as np

import engine
from engine.autograd.graph import Node

from . import pyhash
from .arrays import Array, ArrayDType
from .arrays import from_numpy as array_from_numpy
from .errors import ProgramError
from .exceptions import BUILTIN_EXCEPTIONS, is_exception_class
from .guards import int_guard, length, size_guard, width_guard
from .library import LibModule, torch_class_name
from .methods import (
    LIST_METHODS,
    iterate,
    keyfunc,
    materialize,
    pairs,
)
from .npmod import NUMPY as NUMPY_NAMES
from .npmod import SCALAR_TYPES as NUMPY_SCALAR_TYPES
from .pycollections import TYPES as COLLECTION_TYPES
from .pyitertools import TYPE_ATTRIBUTES as ITERTOOLS_TYPE_ATTRIBUTES
from .run_warnings import CATCH_WARNINGS, CatchWarnings
from .runtime import RunState
from .schema import READ_DUNDERS, SPECIAL_METHODS
from .torch_method_names import METHOD_QUALNAMES
from .values import (
    BoundMethod,
    BoundOp,
    BuiltinFunction,
    BuiltinType,
    ClassMethod,
    Function,
    GeneratorValue,
    Instance,
    LangIterator,
    OpFunction,
    Property,
    ShownBuiltin,
    StaticMethod,
    SuperProxy,
    UserClass,
    type_name,
    user_class_of,
)

Tensor = engine.Tensor

#: Variables every program sees unless it binds the name itself (the JSON form's
#: ``{"var": "float32"}``; the source form writes ``torch.float32``).
CONSTANTS: dict[str, Any] = {
    "float32": engine.float32, "float64": engine.float64, "float16": engine.float16,
    "int32": engine.int32, "int64": engine.int64, "bool": engine.bool_,
    "int16": engine.int16, "int8": engine.int8, "uint8": engine.uint8,
    "pi": math.pi, "e": math.e, "inf": math.inf, "nan": math.nan,
}

DUAL_NAMES = frozenset({"abs", "max", "min", "round", "sum"})


# ------------------------------------------------------------------ guarded Python arithmetic

def py_add(rs: RunState, a: Any, b: Any) -> Any:
    if isinstance(a, (str, list, tuple, deque)):
        size_guard(rs, length(a) + length(b), "a sequence")
    return a + b


def py_mul(rs: RunState, a: Any, b: Any) -> Any:
    if isinstance(a, (str, list, tuple, deque)) and isinstance(b, int):
        size_guard(rs, length(a) * max(b, 0), "a repeated sequence")
    elif isinstance(b, (str, list, tuple, deque)) and isinstance(a, int):
        size_guard(rs, length(b) * max(a, 0), "a repeated sequence")
    elif type(a) is int and type(b) is int:
        int_guard(rs, a.bit_length() + b.bit_length())
    return a * b


def py_pow(rs: RunState, a: Any, b: Any) -> Any:
    if type(a) in (int, bool) and type(b) in (int, bool) and b > 0 and abs(a) > 1:
        int_guard(rs, int(b) * abs(int(a)).bit_length() if b < 1 << 40 else 1 << 40)
    out = a ** b
    if isinstance(out, complex):
        raise ProgramError("complex numbers are not supported", exception="TypeError")
    return out


def py_lshift(rs: RunState, a: Any, b: Any) -> Any:
    if type(a) in (int, bool) and type(b) in (int, bool) and a:
        int_guard(rs, abs(int(a)).bit_length() + max(int(b), 0))
    return a << b


def py_remainder(rs: RunState, a: Any, b: Any) -> Any:
    if isinstance(a, str):
        return percent_format(rs, a, b)
    return a % b


def py_or(rs: RunState, a: Any, b: Any) -> Any:
    if isinstance(a, (set, frozenset, dict)) and isinstance(b, (set, frozenset, dict)):
        size_guard(rs, len(a) + len(b), "a set")
    return a | b


def percent_format(rs: RunState, template: str, values: Any) -> str:
    """``"%d items" % n``: each ``%`` spec's width and precision checked before Python
    formats it."""
    import re

    for match in re.finditer(r"%[-+ #0]*(\*|\d*)(?:\.(\*|\d*))?[a-zA-Z%]", template):
        width, precision = match.group(1), match.group(2)
        if "*" in (width, precision):
            raise ProgramError("'*' widths in % formatting are not supported",
                               exception="ValueError")
        if (width and int(width) > 1000) or (precision and int(precision) > 1000):
            raise ProgramError(f"format spec {match.group(0)[:40]!r} is too wide",
                               exception="ValueError")
    out = template % values
    size_guard(rs, len(out), "a string")
    return out


def _plain(fn: Callable[[Any, Any], Any]) -> Callable[[RunState, Any, Any], Any]:
    return lambda rs, a, b: fn(a, b)


#: Binary operators by call name: guarded functions for plain values.
BINARY: dict[str, Callable[[RunState, Any, Any], Any]] = {
    "add": py_add, "sub": _plain(operator.sub), "mul": py_mul, "div": _plain(operator.truediv),
    "floordiv": _plain(operator.floordiv), "remainder": py_remainder, "pow": py_pow,
    "matmul": _plain(operator.matmul), "lt": _plain(operator.lt), "le": _plain(operator.le),
    "gt": _plain(operator.gt), "ge": _plain(operator.ge), "eq": _plain(operator.eq),
    "ne": _plain(operator.ne), "and_": _plain(operator.and_), "or_": py_or,
    "xor": _plain(operator.xor), "lshift": py_lshift, "rshift": _plain(operator.rshift),
}
#: The same operators as Python applies them when a tensor is involved (the engine's dunders).
TENSOR_BINARY: dict[str, Callable[[Any, Any], Any]] = {
    "add": operator.add, "sub": operator.sub, "mul": operator.mul, "div": operator.truediv,
    "floordiv": operator.floordiv, "remainder": operator.mod, "pow": operator.pow,
    "matmul": operator.matmul, "lt": operator.lt, "le": operator.le, "gt": operator.gt,
    "ge": operator.ge, "eq": operator.eq, "ne": operator.ne, "and_": operator.and_,
    "or_": operator.or_, "xor": operator.xor, "lshift": operator.lshift,
    "rshift": operator.rshift,
}
#: ``x op= y``: in place on a tensor (every alias sees it), rebinding on plain values.
INPLACE: dict[str, tuple[Callable[[Any, Any], Any], str]] = {
    "iadd": (operator.iadd, "add"), "isub": (operator.isub, "sub"),
    "imul": (operator.imul, "mul"), "idiv": (operator.itruediv, "div"),
    "ifloordiv": (operator.ifloordiv, "floordiv"), "iremainder": (operator.imod, "remainder"),
    "ipow": (operator.ipow, "pow"), "imatmul": (operator.imatmul, "matmul"),
    "iand": (operator.iand, "and_"), "ior": (operator.ior, "or_"),
    "ixor": (operator.ixor, "xor"), "ilshift": (operator.ilshift, "lshift"),
    "irshift": (operator.irshift, "rshift"),
}
UNARY: dict[str, Callable[[Any], Any]] = {
    "neg": operator.neg, "pos": operator.pos, "invert": operator.invert,
}
#: Names that are operators of the language: never shadowed by user functions.
OPERATOR_NAMES = frozenset(BINARY) | frozenset(INPLACE) | frozenset(UNARY) | {
    "is_", "is_not", "contains"}


# ------------------------------------------------------------------ output and text

def _class_text(cls: type) -> str:
    """An engine class as torch names it: ``<class 'torch.nn.modules.linear.Linear'>``."""
    return f"<class '{torch_class_name(cls)[0]}'>"


_CONTAINERS = (list, tuple, dict, set, frozenset)


def _engine_object_text(value: Any) -> str:
    """The repr of an engine object as torch's Python shows it: the class under torch's name
    (``<torch.nn.utils.prune.L1Unstructured object at 0x...>``; replies hide the address)."""
    t = type(value)
    if t.__repr__ is object.__repr__:
        return f"<{torch_class_name(t)[0]} object at {py.id(value):#x}>"
    return py.repr(value)


def torch_repr(value: Any) -> str:
    """``repr(value)`` as the program's Python shows it: engine classes and objects under
    torch's names (``<class 'torch.Tensor'>``), also inside lists, tuples, dicts and sets."""
    if isinstance(value, type):
        if value.__module__.startswith("engine."):
            return _class_text(value)
        return py.repr(value)
    t = type(value)
    if t.__module__.startswith("engine."):
        return _engine_object_text(value)
    if t is types.MethodType or t is types.FunctionType:
        text = _c_method_text(value)
        if text is not None:
            return text
    text = py.repr(value)
    if type(value) not in _CONTAINERS and t is not OrderedDict or \
            "<class 'engine." not in text and "<engine." not in text and \
            "<bound method " not in text and "<function Size." not in text:
        return text
    return _container_repr(value, set())


def _c_method_text(value: Any) -> str | None:
    """A method of an engine class that torch writes in C (``torch.Size``, a graph node), as
    Python prints a C method: ``<built-in method numel of torch.Size object>`` (bound; no
    address, as every repr of ours), ``<method 'numel' of 'torch.Size' objects>`` (read from
    the class); None for any other function or method."""
    if type(value) is types.MethodType:
        owner = value.__self__
        if isinstance(owner, engine.Size):
            return f"<built-in method {value.__name__} of torch.Size object>"
        if isinstance(owner, Node):
            return f"<built-in method {value.__name__} of {owner.name()} object>"
        return _library_method_text(value)
    if value.__qualname__ == f"Size.{value.__name__}" and \
            getattr(engine.Size, value.__name__, None) is value:
        return f"<method '{value.__name__}' of 'torch.Size' objects>"
    return None


def _library_method_text(value: types.MethodType) -> str | None:
    """A library object's method as torch prints it: named by the function torch's class
    holds (``<bound method SGD.step of SGD (...)>``, where the engine's is the base
    ``Optimizer.step``; app/lang/torch_method_names.py), and an optimizer's ``step`` once an
    LR scheduler wrapped it the plain function torch puts on the optimizer
    (``<function SGD.step at 0x...>``). None for anything else."""
    func, owner = value.__func__, value.__self__
    name = getattr(func, "__name__", None)
    if not isinstance(func, types.FunctionType) or not func.__module__.startswith("engine."):
        return None
    qualname = None
    for cls in type(owner).__mro__:
        if not cls.__module__.startswith("engine."):
            continue
        qualname = METHOD_QUALNAMES.get(torch_class_name(cls)[0], {}).get(name)
        if qualname is None and vars(cls).get(name) is func:
            qualname = f"{torch_class_name(cls)[1]}.{name}"
        if qualname is not None:
            break
    if qualname is None:
        return None
    if _wrapped_step(value):
        return f"<function {qualname} at {py.id(func):#x}>"
    return f"<bound method {qualname} of {torch_repr(owner)}>"


def _wrapped_step(value: types.MethodType) -> bool:
    """An optimizer's ``step`` after an LR scheduler took it (torch's scheduler replaces it on
    the optimizer with a plain function of the same name that counts the calls)."""
    return value.__name__ == "step" and isinstance(value.__self__, engine.optim.Optimizer) \
        and bool(vars(value.__self__).get("_step_wrapped_by_lr_sched"))


def _container_repr(value: Any, open_ids: set[int]) -> str:
    """A container's repr built item by item (the slow path of :func:`torch_repr`); a
    container met again inside itself is ``[...]`` / ``{...}`` as Python shows it."""
    if isinstance(value, type) and value.__module__.startswith("engine."):
        return _class_text(value)
    kind = type(value)
    if kind.__module__.startswith("engine.") and not isinstance(value, type):
        return _engine_object_text(value)
    if kind is types.MethodType or kind is types.FunctionType:
        text = _c_method_text(value)
        if text is not None:
            return text
    if kind not in _CONTAINERS and kind is not OrderedDict:
        return py.repr(value)
    if id(value) in open_ids:
        return "[...]" if kind is list else "{...}"
    open_ids.add(id(value))
    try:
        if kind is OrderedDict:
            inner = ", ".join(f"({_container_repr(k, open_ids)}, {_container_repr(v, open_ids)})"
                              for k, v in value.items())
            return f"OrderedDict([{inner}])" if inner else "OrderedDict()"
        if kind is dict:
            inner = ", ".join(f"{_container_repr(k, open_ids)}: {_container_repr(v, open_ids)}"
                              for k, v in value.items())
            return "{" + inner + "}"
        inner = ", ".join(_container_repr(v, open_ids) for v in value)
        if kind is list:
            return "[" + inner + "]"
        if kind is tuple:
            return "(" + inner + ("," if len(value) == 1 else "") + ")"
        if not value:
            return "set()" if kind is set else "frozenset()"
        return "{" + inner + "}" if kind is set else "frozenset({" + inner + "})"
    finally:
        open_ids.discard(id(value))


def to_str(rs: RunState, value: Any) -> str:
    t = type(value)
    if t in _CONTAINERS or isinstance(value, type) or t is OrderedDict or \
            t is types.MethodType or t is types.FunctionType:
        out = torch_repr(value)
    elif t.__module__.startswith("engine.") and t.__str__ is object.__str__ and \
            not isinstance(value, type):
        out = _engine_object_text(value)
    else:
        out = py.str(value)
    size_guard(rs, len(out), "a string")
    return out


def _print(rs: RunState, *values: Any, sep: Any = " ", end: Any = "\n", file: Any = None,
           flush: bool = False) -> None:
    if file is not None:
        raise ProgramError("print(file=...) is not supported: printed lines go to the run's "
                           "'printed' list", exception="TypeError")
    for name, value in (("sep", sep), ("end", end)):
        if value is not None and not isinstance(value, str):
            raise ProgramError(f"{name} must be None or a string, not {type(value).__name__}",
                               exception="TypeError")
    text = (" " if sep is None else sep).join(to_str(rs, v) for v in values)
    rs.write(text, "\n" if end is None else end)


def format_value(rs: RunState, value: Any, spec: Any = "") -> str:
    spec = py.str(spec)
    width_guard(spec)
    t = type(value)
    if t in _CONTAINERS or isinstance(value, type) or \
            (t is types.MethodType or t is types.FunctionType) and not spec:
        return py.format(torch_repr(value), spec)
    return py.format(value, spec)


def _str(rs: RunState, value: Any = "") -> str:
    return to_str(rs, value)


def _repr(rs: RunState, value: Any) -> str:
    out = torch_repr(value)
    size_guard(rs, len(out), "a string")
    return out


# ------------------------------------------------------------------ containers

def _range(rs: RunState, *args: Any) -> range:
    return range(*args)


def _list(rs: RunState, iterable: Any = ()) -> list:
    return materialize(rs, iterable, "a list")


def _tuple(rs: RunState, iterable: Any = ()) -> tuple:
    return tuple(materialize(rs, iterable, "a tuple"))


def _set(rs: RunState, iterable: Any = ()) -> set:
    return set(materialize(rs, iterable, "a set"))


def _frozenset(rs: RunState, iterable: Any = ()) -> frozenset:
    return frozenset(materialize(rs, iterable, "a set"))


def _dict(rs: RunState, source: Any = (), **kwargs: Any) -> dict:
    out = dict(pairs(rs, source, "a dict"))
    size_guard(rs, len(out) + len(kwargs), "a dict")
    out.update(kwargs)
    return out


def _enumerate(rs: RunState, iterable: Any, start: int = 0) -> LangIterator:
    return LangIterator("enumerate", py.enumerate(iterate(rs, iterable), start))


def _zip(rs: RunState, *iterables: Any, strict: bool = False) -> LangIterator:
    return LangIterator("zip", py.zip(*(iterate(rs, it) for it in iterables), strict=strict))


def _map(rs: RunState, fn: Any, *iterables: Any) -> LangIterator:
    from .objects import call_value
    from .runtime import current_rs

    def items() -> Any:
        for args in py.zip(*(iterate(rs, it) for it in iterables)):
            yield call_value(current_rs(), fn, args, {})

    return LangIterator("map", items())


def _filter(rs: RunState, fn: Any, iterable: Any) -> LangIterator:
    from .objects import call_value
    from .runtime import current_rs

    def items() -> Any:
        for item in iterate(rs, iterable):
            if (item if fn is None else call_value(current_rs(), fn, (item,), {})):
                yield item

    return LangIterator("filter", items())


def _reversed(rs: RunState, seq: Any) -> Any:
    if isinstance(seq, engine.Tensor):
        return py.reversed(seq)  # torch's Tensor.__reversed__: a flipped tensor
    if isinstance(seq, (list, tuple, str, range)):
        return LangIterator("reversed", py.reversed(seq))
    if isinstance(seq, dict):
        return LangIterator("reversed", py.reversed(list(seq)))
    return LangIterator("reversed", iter(materialize(rs, seq, "reversed()")[::-1]))


def _iter(rs: RunState, iterable: Any) -> Any:
    it = iterate(rs, iterable)
    if isinstance(it, (GeneratorValue, LangIterator, Instance)) or it is iterable:
        return it
    return LangIterator(type(it).__name__, it)


_NO_DEFAULT = object()


def _next(rs: RunState, iterator: Any, default: Any = _NO_DEFAULT) -> Any:
    if not hasattr(type(iterator), "__next__"):
        from .values import type_name

        raise ProgramError(f"'{type_name(iterator)}' object is not an iterator",
                           exception="TypeError")
    try:
        return next(iterator)
    except StopIteration as stop:
        if default is not _NO_DEFAULT:
            return default
        from .exceptions import stop_iteration

        raise stop_iteration(stop.value) from None


def _sorted(rs: RunState, iterable: Any, *, key: Any = None, reverse: bool = False) -> list:
    items = materialize(rs, iterable, "sorted()")
    items.sort(key=keyfunc(rs, key), reverse=reverse)
    return items


def _reducing(fn: Callable[..., Any], name: str) -> Callable[..., Any]:
    """``min``/``max`` over one iterable (or several arguments), with ``key=`` and
    ``default=``."""

    def call(rs: RunState, *args: Any, key: Any = None, **kwargs: Any) -> Any:
        if len(args) == 1:
            args = (materialize(rs, args[0], f"{name}()"),)
        if key is not None:
            kwargs["key"] = keyfunc(rs, key)
        return fn(*args, **kwargs)

    return call


def _any(rs: RunState, iterable: Any) -> bool:
    return py.any(iterate(rs, iterable))


def _all(rs: RunState, iterable: Any) -> bool:
    return py.all(iterate(rs, iterable))


def _sum(rs: RunState, iterable: Any, start: Any = 0) -> Any:
    total = start
    for item in materialize(rs, iterable, "sum()"):
        total = total + item if isinstance(total, Tensor) or isinstance(item, Tensor) \
            else BINARY["add"](rs, total, item)
    return total


def _len(rs: RunState, value: Any) -> int:
    return py.len(value)


#: The builtins whose arguments are bound as CPython binds them and whose CPython twin has no
#: effect when its arguments are wrong: a call with the wrong arguments gets the twin's text.
_TWINS = frozenset({
    "len", "abs", "round", "min", "max", "sum", "any", "all", "sorted", "reversed", "enumerate",
    "zip", "map", "filter", "iter", "next", "isinstance", "issubclass", "callable", "getattr",
    "setattr", "hasattr", "delattr", "divmod", "pow", "chr", "ord", "hex", "bin", "oct", "repr",
    "ascii", "format", "id", "hash"})


def call_error(exc: BaseException, name: str, args: tuple | list, kwargs: dict,
               limits: Any = None, op: Any = "", method: bool = False) -> BaseException:
    """The program's error for ``exc``, raised by calling the builtin ``name`` (``method``: a
    method of a plain value, ``args[0]`` the value): when Python could not bind the arguments
    to the builtin's function (the error comes from the call itself, not from inside it),
    CPython's own text for that call (``len() takes exactly one argument (0 given)``,
    ``dict.pop() takes no keyword arguments``), never the function's internal name."""
    tb = exc.__traceback__
    if method and type(exc) is TypeError and tb is not None and tb.tb_next is None and args:
        twin = method_twin_error(type(args[0]), name, len(args) - 1, kwargs)
        if twin is not None:
            return twin
    if type(exc) is TypeError and name in _TWINS and tb is not None and tb.tb_next is None:
        try:
            getattr(py, name)(*[None] * len(args), **dict.fromkeys(kwargs))
        except TypeError as twin:
            return ProgramError(str(twin), exception="TypeError")
        except Exception:  # noqa: BLE001 - the twin accepted the arity: keep the original
            pass
    if type(exc) is TypeError and name == "print" and tb is not None and tb.tb_next is None:
        unknown = [k for k in kwargs if k not in ("sep", "end", "file", "flush")]
        if unknown:
            return ProgramError(f"'{unknown[0]}' is an invalid keyword argument for print()",
                                exception="TypeError")
    from .exceptions import convert_exception

    return convert_exception(exc, name if op == "" else op, limits)


def method_twin_error(owner: type, name: str, nargs: int, kwargs: dict) -> Any:
    """CPython's text for calling ``owner``'s method ``name`` with ``nargs`` positional
    arguments and ``kwargs``'s keywords, got by making that call on a new empty value of
    ``owner`` (a plain type: nothing else sees it) with placeholder arguments; None when that
    call binds (the original error is then kept)."""
    if owner.__module__ not in ("builtins", "collections") or owner is bool:
        return None
    fn = getattr(owner, name, None)
    if fn is None:
        return None
    try:
        fn(owner(), *[None] * nargs, **dict.fromkeys(kwargs))
    except TypeError as twin:
        return ProgramError(str(twin), exception="TypeError")
    except Exception:  # noqa: BLE001 - it bound (or the value could not be made): keep ours
        return None
    return None


_ID_KEY = secrets.token_bytes(16)


def _id(rs: RunState, value: Any, /) -> int:
    """``id(x)``: an integer unique to ``x`` among the objects alive, the same for as long as
    it lives (so ``id(c) == old_id`` after ``torch.matmul(a, b, out=c)`` as in Python), but not
    its memory address: a keyed hash of it (48 bits; the key is the process's own)."""
    digest = hashlib.blake2b(py.id(value).to_bytes(8, "little"), key=_ID_KEY, digest_size=6)
    return int.from_bytes(digest.digest(), "little")


def _hash(rs: RunState, value: Any, /) -> int:
    """``hash(x)``: CPython 3.11's value with ``PYTHONHASHSEED=0`` (:mod:`app.lang.pyhash`)."""
    return pyhash.value_hash(value, lambda v: _id(rs, v), lambda v: _own_hash(rs, v))


def _own_hash(rs: RunState, value: Any) -> int | None:
    """The hash of ``value`` where its class has its own (a program's ``__hash__``, a tensor's
    identity, a device's ...), None where CPython would hash its address; Python's
    ``unhashable type`` error where its class is unhashable."""
    from .objects import call_special
    from .pymodules import TypingForm

    cls = user_class_of(value)
    if cls is not None:
        method = cls.lookup("__hash__")
        if method is None:
            if cls.lookup("__eq__") is not None:
                raise ProgramError(f"unhashable type: '{cls.name}'", exception="TypeError")
            return None
        result = call_special(rs, value, method, ())
        if not isinstance(result, int):
            raise ProgramError("__hash__ method should return an integer",
                               exception="TypeError")
        result = int(result)  # CPython's slot: kept when it fits in 64 bits, else hashed
        if -(2**63) <= result < 2**63:
            return -2 if result == -1 else result
        return py.hash(result)
    t = type(value)
    if isinstance(value, Tensor):
        return _id(rs, value)  # torch's Tensor.__hash__ is id(self)
    if t is engine.Device:  # torch's: the device type's number and the index as a byte
        return (DEVICE_TYPE_NUMBERS[value.type] << 16) | \
            (255 if value.index is None else value.index & 0xFF)
    if isinstance(value, np.generic):
        return py.hash(value)  # NumPy's scalars hash as Python's numbers
    if t is BoundMethod or t is BoundOp:  # CPython's: the receiver's and the function's
        func = value.func if t is BoundMethod else value.fn
        return pyhash.pointer_hash(_id(rs, value.self_)) ^ _hash(rs, func) or -2
    if t is OpFunction:
        return pyhash.pointer_hash(_id(rs, value.fn))
    if t is LibModule or t is ArrayDType:
        return pyhash.pointer_hash(pyhash.str_hash(getattr(value, "path", None) or value.name))
    if t is engine.finfo or t is engine.iinfo or t is TypingForm:
        key = value.dtype if t is not TypingForm else (value.name, value.args)
        return pyhash.tuple_hash([pyhash.str_hash(t.__name__), _hash(rs, key)])
    if getattr(t, "__hash__", None) is None or t is Array:
        raise ProgramError(f"unhashable type: '{type_name(value)}'", exception="TypeError")
    return None


#: torch's ``DeviceType`` numbers (``c10/core/DeviceType.h``) of the device types there are
DEVICE_TYPE_NUMBERS = {"cpu": 0, "cuda": 1, "mps": 13, "meta": 14}


def _divmod(rs: RunState, a: Any, b: Any) -> tuple:
    return py.divmod(a, b)


def _pow(rs: RunState, base: Any, exp: Any, mod: Any = None) -> Any:
    if mod is not None:
        return py.pow(base, exp, mod)
    return py_pow(rs, base, exp)


def _slice(rs: RunState, *args: Any) -> slice:
    return py.slice(*args)


# ------------------------------------------------------------------ types and objects

OBJECT = UserClass("object", "object", (), {}, builtin=True)
OBJECT.mro = (OBJECT,)


def class_of(value: Any) -> Any:
    """``type(value)``: a user class, a library class, or a builtin type."""
    cls = user_class_of(value)
    t = type(value)
    if cls is not None:
        # a program's module after register_parametrization is torch's Parametrized<Class>
        return t if "_parametrized_base" in t.__dict__ else cls
    if t.__module__.startswith("engine."):
        parameter = t is engine.Tensor and isinstance(value, engine.nn.Parameter)
        return engine.nn.Parameter if parameter else t
    if t is types.MethodType and _wrapped_step(value):
        t = Function  # torch's LR scheduler put a plain function on the optimizer
    builtin = TYPES_BY_PYTYPE.get(t)
    if builtin is not None:
        return builtin
    made = getattr(t, "_lang_type", None)  # a program's named tuple (collections.namedtuple)
    if made is not None:
        return made
    return BuiltinType(t.__name__, _not_constructible(t.__name__), t)


def _not_constructible(name: str) -> Callable[..., Any]:
    def fail(rs: RunState, *args: Any, **kwargs: Any) -> Any:
        raise ProgramError(f"cannot create '{name}' instances", exception="TypeError")

    return fail


def _type(rs: RunState, *args: Any) -> Any:
    if len(args) != 1:
        raise ProgramError("type() with 3 arguments (making a class) is not supported; use "
                           "a class statement", exception="TypeError")
    return class_of(args[0])


def _is_type(spec: Any) -> bool:
    return isinstance(spec, (UserClass, BuiltinType)) or (
        isinstance(spec, type) and spec.__module__.startswith("engine."))


def isinstance_of(value: Any, spec: Any) -> bool:
    if isinstance(spec, tuple):
        return any(isinstance_of(value, s) for s in spec)
    if isinstance(spec, UserClass):
        if spec is OBJECT:
            return True
        cls = user_class_of(value)
        return cls is not None and spec in cls.mro
    if isinstance(spec, BuiltinType):
        if spec.pytype is type:
            return _is_type(value)
        return isinstance(value, spec.pytype) and user_class_of(value) is None
    if isinstance(spec, type) and spec.__module__.startswith("engine."):
        return isinstance(value, spec)
    raise ProgramError("isinstance() arg 2 must be a type, a tuple of types, or a union",
                       exception="TypeError")


def _isinstance(rs: RunState, value: Any, spec: Any) -> bool:
    return isinstance_of(value, spec)


def _issubclass(rs: RunState, cls: Any, spec: Any) -> bool:
    if not _is_type(cls):
        raise ProgramError("issubclass() arg 1 must be a class", exception="TypeError")
    if isinstance(spec, tuple):
        return any(_issubclass(rs, cls, s) for s in spec)
    if isinstance(spec, UserClass):
        return spec is OBJECT or (isinstance(cls, UserClass) and spec in cls.mro)
    if isinstance(spec, BuiltinType):
        return isinstance(cls, BuiltinType) and issubclass(cls.pytype, spec.pytype) \
            if isinstance(spec.pytype, type) else False
    if isinstance(spec, type):
        py_cls = cls.pytype if isinstance(cls, UserClass) else cls
        return isinstance(py_cls, type) and issubclass(py_cls, spec)
    raise ProgramError("issubclass() arg 2 must be a class, a tuple of classes, or a union",
                       exception="TypeError")


def _callable(rs: RunState, value: Any) -> bool:
    if isinstance(value, Instance):
        return value.cls.lookup("__call__") is not None
    return py.callable(value) and not isinstance(value, (StaticMethod, ClassMethod))


def _check_attr_name(name: Any) -> str:
    if not isinstance(name, str):
        raise ProgramError(f"attribute name must be string, not '{type(name).__name__}'",
                           exception="TypeError")
    # digits too: the names of a container module's children (``setattr(seq, str(i), m)``)
    if name.startswith("__") or not (name.isidentifier() or name.isdigit() and name.isascii()):
        raise ProgramError(f"attribute {name!r} is not allowed", exception="AttributeError")
    return name


_NO_VALUE = object()


def _getattr(rs: RunState, obj: Any, name: Any, default: Any = _NO_VALUE) -> Any:
    from .objects import dunder_attr, get_attr

    try:
        if name in READ_DUNDERS:
            return dunder_attr(rs, obj, name)
        return get_attr(rs, obj, _check_attr_name(name))
    except ProgramError as exc:
        if default is _NO_VALUE or exc.extra.get("exception") != "AttributeError":
            raise
        return default


def _hasattr(rs: RunState, obj: Any, name: Any) -> bool:
    if name in SPECIAL_METHODS:  # ``hasattr(x, '__len__')``: a yes or no, never the method
        from .objects import has_special

        return has_special(rs, obj, name)
    missing = object()
    return _getattr(rs, obj, name, missing) is not missing


def _setattr(rs: RunState, obj: Any, name: Any, value: Any) -> None:
    from .objects import set_attr

    set_attr(rs, obj, _check_attr_name(name), value)


def _delattr(rs: RunState, obj: Any, name: Any) -> None:
    from .objects import del_attr

    del_attr(rs, obj, _check_attr_name(name))


def _super(rs: RunState, *args: Any) -> SuperProxy:
    if len(args) != 2:
        raise ProgramError("super(): no arguments (super() without arguments only works "
                           "directly inside a method)", exception="RuntimeError")
    cls, obj = args
    if not isinstance(cls, UserClass):
        raise ProgramError("super() argument 1 must be a class", exception="TypeError")
    return SuperProxy(cls, obj)


def _staticmethod(rs: RunState, func: Any) -> StaticMethod:
    return StaticMethod(func)


def _classmethod(rs: RunState, func: Any) -> ClassMethod:
    return ClassMethod(func)


def _property(rs: RunState, fget: Any = None, fset: Any = None, fdel: Any = None,
              doc: Any = None) -> Property:
    return Property(fget, fset, fdel)


# ------------------------------------------------------------------ session and JSON-form builtins

def _manual_seed(rs: RunState, seed: Any) -> Any:
    # the session's generator is the current one inside a run; torch returns it
    return engine.manual_seed(int(seed))


def _seed(rs: RunState) -> int:
    return rs.env.generator.seed()


def _initial_seed(rs: RunState) -> int:
    return rs.env.generator.initial_seed()


def _get_default_dtype(rs: RunState) -> Any:
    return engine.get_default_dtype()


def _pop(rs: RunState, seq: Any, *args: Any) -> Any:
    if isinstance(seq, list):
        return seq.pop(*args)
    if isinstance(seq, dict):
        from .methods import DICT_METHODS

        return DICT_METHODS["pop"](rs, seq, *args)
    raise ProgramError(f"'{type(seq).__name__}' object has no attribute 'pop'",
                       exception="AttributeError")


def _receiver(name: str, pytype: type) -> Callable[..., Any]:
    fn = LIST_METHODS[name]

    def call(rs: RunState, seq: Any, *args: Any) -> Any:
        if not isinstance(seq, pytype):
            raise ProgramError(f"'{type(seq).__name__}' object has no attribute '{name}'",
                               exception="AttributeError")
        return fn(rs, seq, *args)

    return call


def _plain_builtin(fn: Callable[..., Any]) -> Callable[..., Any]:
    return lambda rs, *args, **kwargs: fn(*args, **kwargs)


def _builtin_type(name: str, fn: Callable[..., Any], pytype: Any) -> BuiltinType:
    return BuiltinType(name, fn, pytype)


TYPES: dict[str, BuiltinType] = {
    "int": _builtin_type("int", _plain_builtin(py.int), int),
    "float": _builtin_type("float", _plain_builtin(py.float), float),
    "bool": _builtin_type("bool", _plain_builtin(py.bool), bool),
    "str": _builtin_type("str", _str, str),
    "list": _builtin_type("list", _list, list),
    "tuple": _builtin_type("tuple", _tuple, tuple),
    "dict": _builtin_type("dict", _dict, dict),
    "set": _builtin_type("set", _set, set),
    "frozenset": _builtin_type("frozenset", _frozenset, frozenset),
    "range": _builtin_type("range", _range, range),
    "slice": _builtin_type("slice", _slice, slice),
    "type": _builtin_type("type", _type, type),
}
TYPES_BY_PYTYPE: dict[type, BuiltinType] = {t.pytype: t for t in TYPES.values()}
TYPES_BY_PYTYPE.update(COLLECTION_TYPES)
TYPES_BY_PYTYPE[type(None)] = BuiltinType("NoneType", _not_constructible("NoneType"),
                                          type(None))
for _t, _n in ((Function, "function"), (GeneratorValue, "generator"),
               (Array, "numpy.ndarray"), (ArrayDType, "numpy.dtype")):
    TYPES_BY_PYTYPE[_t] = BuiltinType(_n, _not_constructible(_n), _t)
TYPES_BY_PYTYPE[CatchWarnings] = CATCH_WARNINGS
NUMPY_NAMES["ndarray"] = TYPES_BY_PYTYPE[Array]  # ``isinstance(a, np.ndarray)``
for _t in NUMPY_SCALAR_TYPES:  # ``type(a.sum())`` is ``<class 'numpy.float64'>``
    TYPES_BY_PYTYPE.setdefault(_t.pytype, _t)

_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "print": _print, "repr": _repr, "ascii": _plain_builtin(py.ascii), "format": format_value,
    "len": _len, "id": _id, "hash": _hash, "abs": _plain_builtin(py.abs),
    "round": _plain_builtin(py.round),
    "min": _reducing(py.min, "min"), "max": _reducing(py.max, "max"), "sum": _sum,
    "any": _any, "all": _all, "sorted": _sorted, "reversed": _reversed,
    "enumerate": _enumerate, "zip": _zip, "map": _map, "filter": _filter, "iter": _iter,
    "next": _next, "isinstance": _isinstance, "issubclass": _issubclass,
    "callable": _callable, "getattr": _getattr, "setattr": _setattr, "hasattr": _hasattr,
    "delattr": _delattr,
    "super": _super, "staticmethod": _staticmethod, "classmethod": _classmethod,
    "property": _property, "divmod": _divmod, "pow": _pow, "chr": _plain_builtin(py.chr),
    "ord": _plain_builtin(py.ord), "hex": _plain_builtin(py.hex),
    "bin": _plain_builtin(py.bin), "oct": _plain_builtin(py.oct),
    # the JSON form's receiver-first list helpers and session switches (SPEC §2)
    "append": _receiver("append", list), "extend": _receiver("extend", list), "pop": _pop,
    "manual_seed": _manual_seed,
    "isfinite": _plain_builtin(math.isfinite),
    "grad": _plain_builtin(lambda *a, **k: engine.grad(*a, **k)),
    "is_": _plain_builtin(operator.is_), "is_not": _plain_builtin(operator.is_not),
    "contains": _plain_builtin(operator.contains),
}
def _fromkeys(rs: RunState, keys: Any, value: Any = None) -> dict:
    return dict.fromkeys(materialize(rs, keys, "a dict"), value)


#: Attributes of builtin types (``dict.fromkeys``).
TYPE_ATTRIBUTES: dict[tuple[str, str], Any] = {
    ("dict", "fromkeys"): BuiltinFunction("fromkeys", _fromkeys),
    **ITERTOOLS_TYPE_ATTRIBUTES,  # chain.from_iterable
}
#: Every builtin as the value a program sees (``print``, ``len``, ``int``, ``ValueError`` ...).
BUILTIN_VALUES: dict[str, Any] = {name: BuiltinFunction(name, fn)
                                  for name, fn in _FUNCTIONS.items()}
BUILTIN_VALUES.update(TYPES)
BUILTIN_VALUES.update(BUILTIN_EXCEPTIONS)
BUILTIN_VALUES["object"] = OBJECT
BUILTIN_VALUES["NotImplemented"] = NotImplemented
BUILTIN_VALUES["Ellipsis"] = Ellipsis
#: ``torch.X`` names that act on the session (its generator).
TORCH_BUILTINS: dict[str, Any] = {
    "manual_seed": ShownBuiltin("manual_seed", _manual_seed, "<function manual_seed>"),
    "seed": ShownBuiltin("seed", _seed, "<function seed>"),
    "initial_seed": ShownBuiltin("initial_seed", _initial_seed, "<function initial_seed>"),
    "get_default_dtype": BuiltinFunction("get_default_dtype", _get_default_dtype),
    "from_numpy": ShownBuiltin("from_numpy", array_from_numpy,
                               "<built-in method from_numpy of type object>"),
}
#: ``torch.autograd.grad`` (a Python function in torch)
AUTOGRAD_GRAD = ShownBuiltin("grad", _FUNCTIONS["grad"], "<function grad>")
def _cuda_available(rs: RunState) -> bool:
    """``torch.cuda.is_available()``: whether the *session* computes on CUDA (a program
    moves its tensors to ``"cuda"`` only where the session may)."""
    return rs.env.device.startswith("cuda")


def _cuda_count(rs: RunState) -> int:
    return 1 if _cuda_available(rs) else 0


def _current_accelerator(rs: RunState) -> Any:
    return engine.device(rs.env.device) if _cuda_available(rs) else None


def _false(rs: RunState) -> bool:
    return False


#: Members of ``torch.cuda``, ``torch.accelerator``, ``torch.backends.mps``: the session's
#: device, as programs ask it (``device = "cuda" if torch.cuda.is_available() else "cpu"``).
DEVICE_MODULES: dict[str, dict[str, Any]] = {
    "torch.cuda": {"is_available": BuiltinFunction("is_available", _cuda_available),
                   "device_count": BuiltinFunction("device_count", _cuda_count)},
    "torch.accelerator": {"is_available": BuiltinFunction("is_available", _cuda_available),
                          "current_accelerator": BuiltinFunction("current_accelerator",
                                                                 _current_accelerator)},
    "torch.backends.mps": {"is_available": BuiltinFunction("is_available", _false),
                           "is_built": BuiltinFunction("is_built", _false)},
    # and the switches enabled/benchmark/deterministic/allow_tf32 (objects.get_attr/set_attr)
    "torch.backends.cudnn": {"is_available": BuiltinFunction("is_available", _false),
                             "version": BuiltinFunction("version", lambda rs: None)},
}
#: Builtins a bare name reaches (``BUILTINS[name](rs, *args)``).
BUILTINS: dict[str, Callable[..., Any]] = {name: value.fn for name, value in
                                           BUILTIN_VALUES.items()
                                           if isinstance(value, BuiltinFunction)}

__all__ = ["BUILTINS", "BUILTIN_VALUES", "CONSTANTS", "OBJECT", "OPERATOR_NAMES",
           "is_exception_class"]
