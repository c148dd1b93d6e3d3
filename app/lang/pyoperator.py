"""The safe ``heapq`` and ``operator`` modules.

``heapq`` is CPython's own, over the program's lists: its items compare as the language compares
them (a user class's ``__lt__`` runs in the interpreter, tensors compare as torch's), and a push
is bounded as ``list.append`` is. Beam-search decoders keep their hypotheses in one
(``heapq.heappush(nodes, (-node.eval(), node))``).

``operator``'s functions are the language's operators (``operator.mul([0], n)`` is bounded as
``[0] * n`` is; tensors take the engine's); ``itemgetter`` indexes as ``obj[k]`` does and
``attrgetter`` reads as ``getattr`` does (so never a dunder or a library's private name).
"""

from __future__ import annotations

import heapq
import operator
from collections.abc import Callable
from typing import Any

from engine.tensor import Tensor

from .errors import ProgramError
from .guards import size_guard
from .methods import keyfunc, materialize
from .runtime import RunState
from .values import BuiltinFunction, LangIterator, ShownBuiltin

# --------------------------------------------------------------------------- heapq


def _heappush(rs: RunState, heap: Any, item: Any) -> None:
    if type(heap) is list:
        size_guard(rs, len(heap) + 1, "a list")
    heapq.heappush(heap, item)


def _heappushpop(rs: RunState, heap: Any, item: Any) -> Any:
    return heapq.heappushpop(heap, item)


def _heappop(rs: RunState, heap: Any) -> Any:
    return heapq.heappop(heap)


def _heapify(rs: RunState, x: Any) -> None:
    heapq.heapify(x)


def _heapreplace(rs: RunState, heap: Any, item: Any) -> Any:
    return heapq.heapreplace(heap, item)


def _selecting(name: str) -> Callable[..., list]:
    pick = getattr(heapq, name)

    def run(rs: RunState, n: Any, iterable: Any, key: Any = None) -> list:
        return pick(n, materialize(rs, iterable, f"{name}()"), key=keyfunc(rs, key))

    return run


def _merge(rs: RunState, *iterables: Any, key: Any = None, reverse: bool = False) -> Any:
    lists = [materialize(rs, it, "merge()") for it in iterables]
    size_guard(rs, sum(len(x) for x in lists), "merge()'s result")
    return LangIterator("generator", heapq.merge(*lists, key=keyfunc(rs, key), reverse=reverse))


HEAPQ: dict[str, Any] = {name: BuiltinFunction(name, fn) for name, fn in (
    ("heappush", _heappush), ("heappop", _heappop), ("heapify", _heapify),
    ("heappushpop", _heappushpop), ("heapreplace", _heapreplace),
    ("nlargest", _selecting("nlargest")), ("nsmallest", _selecting("nsmallest")),
    ("merge", _merge))}

# --------------------------------------------------------------------------- operator


def _binary(name: str, op: str) -> BuiltinFunction:
    """``operator.<name>(a, b)``: ``a <op> b`` as the language applies it."""
    from . import builtins as bi
    from .exceptions import convert_exception

    tensor_fn, guarded = bi.TENSOR_BINARY[op], bi.BINARY[op]

    def run(rs: RunState, a: Any, b: Any) -> Any:
        try:
            if isinstance(a, Tensor) or isinstance(b, Tensor):
                out = tensor_fn(a, b)
                if isinstance(out, Tensor):
                    rs.alloc += out._data.nbytes
                    if rs.alloc > rs.alloc_budget:
                        rs.allocated(0)
                return out
            return guarded(rs, a, b)
        except ProgramError:
            raise
        except Exception as exc:  # noqa: BLE001 - Python's and the engine's errors, converted
            raise convert_exception(exc, op, rs.limits) from None

    return BuiltinFunction(name, run)


def _unary(name: str, fn: Callable[[Any], Any]) -> BuiltinFunction:
    from .exceptions import convert_exception

    def run(rs: RunState, a: Any) -> Any:
        try:
            return fn(a)
        except ProgramError:
            raise
        except Exception as exc:  # noqa: BLE001
            raise convert_exception(exc, name, rs.limits) from None

    return BuiltinFunction(name, run)


def _getitem(rs: RunState, obj: Any, key: Any) -> Any:
    from .exceptions import convert_exception

    try:
        return obj[key]
    except ProgramError:
        raise
    except Exception as exc:  # noqa: BLE001
        raise convert_exception(exc, "getitem", rs.limits) from None


def _contains(rs: RunState, a: Any, b: Any) -> bool:
    return b in a


def _itemgetter(rs: RunState, item: Any, *items: Any) -> ShownBuiltin:
    keys = (item, *items)

    def get(rs: RunState, obj: Any) -> Any:
        if not items:
            return _getitem(rs, obj, item)
        return tuple(_getitem(rs, obj, k) for k in keys)

    return ShownBuiltin("itemgetter", get,
                        f"operator.itemgetter({', '.join(repr(k) for k in keys)})")


def _attrgetter(rs: RunState, attr: Any, *attrs: Any) -> ShownBuiltin:
    from .builtins import _getattr

    names = (attr, *attrs)
    for name in names:
        if not isinstance(name, str):
            raise ProgramError("attribute name must be a string", exception="TypeError")

    def one(rs: RunState, obj: Any, dotted: str) -> Any:
        for part in dotted.split("."):
            obj = _getattr(rs, obj, part)
        return obj

    def get(rs: RunState, obj: Any) -> Any:
        if not attrs:
            return one(rs, obj, attr)
        return tuple(one(rs, obj, n) for n in names)

    return ShownBuiltin("attrgetter", get,
                        f"operator.attrgetter({', '.join(repr(n) for n in names)})")


OPERATOR: dict[str, Any] = {name: _binary(name, op) for name, op in (
    ("add", "add"), ("sub", "sub"), ("mul", "mul"), ("truediv", "div"),
    ("floordiv", "floordiv"), ("mod", "remainder"), ("pow", "pow"), ("matmul", "matmul"),
    ("lt", "lt"), ("le", "le"), ("gt", "gt"), ("ge", "ge"), ("eq", "eq"), ("ne", "ne"),
    ("and_", "and_"), ("or_", "or_"), ("xor", "xor"), ("lshift", "lshift"),
    ("rshift", "rshift"))}
OPERATOR.update({name: _unary(name, getattr(operator, name)) for name in (
    "neg", "pos", "invert", "inv", "not_", "truth", "abs", "index")})
OPERATOR.update({"getitem": BuiltinFunction("getitem", _getitem),
                 "contains": BuiltinFunction("contains", _contains),
                 "itemgetter": BuiltinFunction("itemgetter", _itemgetter),
                 "attrgetter": BuiltinFunction("attrgetter", _attrgetter)})
