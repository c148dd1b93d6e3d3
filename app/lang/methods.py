"""Methods of Python's plain values a program may call: ``str``, ``list``, ``dict``, ``set``,
``tuple`` (and ``torch.Size``), ``int``/``float``, generators. Each is
``fn(rs, self, *args, **kwargs)``; those that can build something big are guarded, those that
take a function (``sort(key=...)``) call it through the interpreter.
"""

from __future__ import annotations

import string
import types
from collections.abc import Callable
from typing import Any

import engine

from . import pyrandom
from .arrays import METHODS as ARRAY_METHODS
from .arrays import SCALAR_METHODS, SCALAR_TYPES, Array
from .errors import ProgramError
from .guards import length, size_guard
from .npmod import METHODS as NP_METHODS
from .pyargparse import METHODS as ARGPARSE_METHODS
from .pyargparse import ArgParser
from .runtime import RunState
from .values import BuiltinFunction, GeneratorValue, NativeMethod, type_name

Tensor = engine.Tensor


def _plain(pytype: type, name: str) -> Callable[..., Any]:
    fn = getattr(pytype, name)

    def method(rs: RunState, self: Any, *args: Any, **kwargs: Any) -> Any:
        return fn(self, *args, **kwargs)

    return method


def keyfunc(rs: RunState, key: Any) -> Any:
    """A user ``key=`` function as a Python callable (each call runs the interpreter)."""
    if key is None:
        return None
    from .objects import call_value

    return lambda value: call_value(rs, key, (value,), {})


def iterate(rs: RunState, iterable: Any) -> Any:
    """``iter(iterable)`` with Python's error text."""
    try:
        return iter(iterable)
    except TypeError:
        if isinstance(iterable, Tensor):
            raise
        from .values import type_name

        raise ProgramError(f"'{type_name(iterable)}' object is not iterable",
                           exception="TypeError") from None


def materialize(rs: RunState, iterable: Any, what: str) -> list:
    """``list(iterable)`` under the size guard; pulling from a lazy iterator counts a step
    per item, as a loop would."""
    if isinstance(iterable, (str, list, tuple, range, dict, set, frozenset)):
        size_guard(rs, len(iterable), what)
        return list(iterable)
    if isinstance(iterable, Tensor):
        if iterable.ndim:
            size_guard(rs, len(iterable), what)
        return list(iterable)
    out: list[Any] = []
    limit = rs.limits.max_value_elements
    for item in iterate(rs, iterable):
        rs.steps += 1
        if rs.steps >= rs.next_check:
            rs.check()
        out.append(item)
        if len(out) > limit:
            size_guard(rs, len(out), what)
    return out


# --------------------------------------------------------------------------- str

def _join(rs: RunState, sep: str, iterable: Any) -> str:
    parts = materialize(rs, iterable, "str.join()")
    total = sum(len(p) if isinstance(p, str) else 0 for p in parts) + len(sep) * len(parts)
    size_guard(rs, total, "a string")
    return sep.join(parts)


def _replace(rs: RunState, s: str, old: str, new: str, count: int = -1) -> str:
    if isinstance(old, str) and isinstance(new, str):
        n = s.count(old) if old else len(s) + 1
        if count >= 0:
            n = min(n, count)
        size_guard(rs, len(s) + n * max(len(new) - len(old), 0), "a string")
    return s.replace(old, new, count)


def _padded(name: str) -> Callable[..., Any]:
    fn = getattr(str, name)

    def method(rs: RunState, s: str, width: Any, *args: Any) -> str:
        if isinstance(width, int):
            size_guard(rs, width, "a string")
        return fn(s, width, *args)

    return method


def _expandtabs(rs: RunState, s: str, tabsize: int = 8) -> str:
    if isinstance(tabsize, int):
        size_guard(rs, len(s) * max(tabsize, 1), "a string")
    return s.expandtabs(tabsize)


_FORMATTER = string.Formatter()


def format_string(rs: RunState, template: str, args: tuple, kwargs: dict) -> str:
    """``template.format(*args, **kwargs)`` without attribute or index lookups in fields
    (``{0.__class__}`` is refused) and with guarded widths."""
    from .builtins import format_value

    out: list[str] = []
    auto = 0
    total = 0
    for literal, field, spec, conversion in _FORMATTER.parse(template):
        out.append(literal)
        total += len(literal)
        if field is None:
            continue
        if "." in field or "[" in field:
            raise ProgramError("attribute and index lookups in format fields are not "
                               "supported", exception="ValueError")
        if field == "":
            key: Any = auto
            auto += 1
        elif field.isdigit():
            key = int(field)
        else:
            key = field
        try:
            value = args[key] if isinstance(key, int) else kwargs[key]
        except IndexError:
            raise ProgramError(f"Replacement index {key} out of range for positional args "
                               "tuple", exception="IndexError") from None
        except KeyError:
            raise ProgramError(repr(key), exception="KeyError") from None
        if spec and "{" in spec:
            spec = format_string(rs, spec, args, kwargs)
        if conversion == "r":
            value = repr(value)
        elif conversion == "s":
            value = str(value)
        elif conversion == "a":
            value = ascii(value)
        text = format_value(rs, value, spec or "")
        out.append(text)
        total += len(text)
        size_guard(rs, total, "a string")
    return "".join(out)


def _format(rs: RunState, template: str, *args: Any, **kwargs: Any) -> str:
    return format_string(rs, template, args, kwargs)


_STR_PLAIN = ("split", "rsplit", "splitlines", "strip", "lstrip", "rstrip", "lower", "upper",
              "title", "capitalize", "casefold", "swapcase", "startswith", "endswith", "find",
              "rfind", "index", "rindex", "count", "isdigit", "isalpha", "isalnum", "isspace",
              "isupper", "islower", "isnumeric", "isdecimal", "isidentifier", "istitle",
              "partition", "rpartition", "removeprefix", "removesuffix")
STR_METHODS: dict[str, Callable[..., Any]] = {name: _plain(str, name) for name in _STR_PLAIN}
STR_METHODS.update({"join": _join, "replace": _replace, "center": _padded("center"),
                    "ljust": _padded("ljust"), "rjust": _padded("rjust"),
                    "zfill": _padded("zfill"), "expandtabs": _expandtabs, "format": _format})


# --------------------------------------------------------------------------- list / tuple

def _append(rs: RunState, seq: list, value: Any) -> None:
    size_guard(rs, len(seq) + 1, "a list")
    seq.append(value)


def _extend(rs: RunState, seq: list, values: Any) -> None:
    values = materialize(rs, values, "a list")
    size_guard(rs, len(seq) + len(values), "a list")
    seq.extend(values)


def _insert(rs: RunState, seq: list, index: int, value: Any) -> None:
    size_guard(rs, len(seq) + 1, "a list")
    seq.insert(index, value)


def _sort(rs: RunState, seq: list, *, key: Any = None, reverse: bool = False) -> None:
    seq.sort(key=keyfunc(rs, key), reverse=reverse)


LIST_METHODS: dict[str, Callable[..., Any]] = {
    name: _plain(list, name) for name in ("pop", "remove", "index", "count", "reverse",
                                          "clear", "copy")}
LIST_METHODS.update({"append": _append, "extend": _extend, "insert": _insert, "sort": _sort})
TUPLE_METHODS = {name: _plain(tuple, name) for name in ("index", "count")}


# --------------------------------------------------------------------------- dict / set

def pairs(rs: RunState, source: Any, what: str) -> list:
    """The (key, value) pairs of a mapping or an iterable of pairs."""
    if isinstance(source, dict):
        size_guard(rs, len(source), what)
        return list(source.items())
    items = materialize(rs, source, what)
    out = []
    for i, item in enumerate(items):
        try:
            key, value = item
        except (TypeError, ValueError):
            raise ProgramError(f"dictionary update sequence element #{i} has length "
                               f"{length(item) if hasattr(item, '__len__') else 1}; 2 is "
                               "required", exception="ValueError") from None
        out.append((key, value))
    return out


def _update(rs: RunState, d: dict, other: Any = (), **kwargs: Any) -> None:
    items = pairs(rs, other, "a dict")
    size_guard(rs, len(d) + len(items) + len(kwargs), "a dict")
    d.update(items)
    d.update(kwargs)


def _setdefault(rs: RunState, d: dict, key: Any, default: Any = None) -> Any:
    size_guard(rs, len(d) + 1, "a dict")
    return d.setdefault(key, default)


def _dict_get(rs: RunState, d: dict, key: Any, default: Any = None) -> Any:
    return d.get(key, default)


_MISSING = object()


def _dict_pop(rs: RunState, d: dict, key: Any, default: Any = _MISSING) -> Any:
    if default is _MISSING:
        if key not in d:
            err = ProgramError(repr(key), exception="KeyError")
            err.__dict__["key"] = key
            raise err
        return d.pop(key)
    return d.pop(key, default)


DICT_METHODS: dict[str, Callable[..., Any]] = {
    name: _plain(dict, name) for name in ("keys", "values", "items", "popitem", "copy",
                                          "clear")}
DICT_METHODS.update({"get": _dict_get, "pop": _dict_pop, "setdefault": _setdefault,
                     "update": _update})


def _set_add(rs: RunState, s: set, value: Any) -> None:
    size_guard(rs, len(s) + 1, "a set")
    s.add(value)


def _set_combining(name: str) -> Callable[..., Any]:
    fn = getattr(set, name)

    def method(rs: RunState, s: Any, *others: Any) -> Any:
        materialized = [o if isinstance(o, (set, frozenset)) else
                        materialize(rs, o, "a set") for o in others]
        size_guard(rs, len(s) + sum(len(o) for o in materialized), "a set")
        return fn(s, *materialized)

    return method


SET_METHODS: dict[str, Callable[..., Any]] = {
    name: _plain(set, name) for name in ("remove", "discard", "pop", "clear", "copy",
                                         "issubset", "issuperset", "isdisjoint")}
SET_METHODS.update({"add": _set_add})
SET_METHODS.update({name: _set_combining(name) for name in (
    "update", "union", "intersection", "difference", "symmetric_difference",
    "intersection_update", "difference_update", "symmetric_difference_update")})
FROZENSET_METHODS = {name: SET_METHODS[name] for name in (
    "copy", "issubset", "issuperset", "isdisjoint", "union", "intersection", "difference",
    "symmetric_difference")}


# --------------------------------------------------------------------------- numbers, generators

INT_METHODS = {"bit_length": _plain(int, "bit_length")}
FLOAT_METHODS = {"is_integer": _plain(float, "is_integer"),
                 "as_integer_ratio": _plain(float, "as_integer_ratio")}


GENERATOR_METHODS = {"close": lambda rs, gen: gen.close_program(),
                     "send": lambda rs, gen, value: gen.send(value),
                     "throw": lambda rs, gen, kind, value=None, tb=None: gen.throw(kind, value)}

_TABLES: dict[type, dict[str, Callable[..., Any]]] = {
    str: STR_METHODS, list: LIST_METHODS, tuple: TUPLE_METHODS, dict: DICT_METHODS,
    set: SET_METHODS, frozenset: FROZENSET_METHODS, int: INT_METHODS, float: FLOAT_METHODS,
    GeneratorValue: GENERATOR_METHODS, Array: ARRAY_METHODS,
}
_TABLES.update({t: {**FLOAT_METHODS, **SCALAR_METHODS} if issubclass(t, float) else
                SCALAR_METHODS for t in SCALAR_TYPES})
_TABLES.update(NP_METHODS)
_TABLES[ArgParser] = ARGPARSE_METHODS
#: a read-only mapping (``Color.__members__``): dict's reading methods
_TABLES[types.MappingProxyType] = {name: _plain(types.MappingProxyType, name)
                                   for name in ("keys", "values", "items", "get", "copy")}


def _random_method(fn: Callable[..., Any]) -> Callable[..., Any]:
    def call(rs: RunState, g: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(g, *args, **kwargs)
        finally:
            pyrandom.charge(rs, g)
    return call


_TABLES[pyrandom.Random] = {name: _random_method(fn) for name, fn in pyrandom.METHODS.items()}
_BASES = (str, list, tuple, dict, set, frozenset, float, int)


def _collections_tables() -> None:
    from .pycollections import TABLES

    _TABLES.update(TABLES)


_collections_tables()
_native: dict[tuple[type, str], NativeMethod] = {}


def native_method(obj: Any, name: str) -> NativeMethod | None:
    """The method ``name`` of a plain value, or None."""
    t = type(obj)
    table = _TABLES.get(t)
    if table is None:
        if t is bool or isinstance(obj, Tensor):
            return None
        for base in _BASES:
            if isinstance(obj, base):
                if t.__module__.startswith("engine.") and hasattr(t, name) and \
                        name not in _TABLES[base]:
                    return None  # torch.Size.numel and such: the library's own
                table = _TABLES[base]
                if base is tuple and hasattr(t, "_lang_type"):  # a program's named tuple
                    from .pycollections import NAMEDTUPLE_METHODS

                    table = {**table, **NAMEDTUPLE_METHODS}
                    _TABLES[t] = table
                break
        else:
            return None
    fn = table.get(name)
    if fn is None:
        return None
    key = (t, name)
    method = _native.get(key)
    if method is None:
        method = _native[key] = NativeMethod(name, fn)
    return method


class UnboundMethod(BuiltinFunction):
    """A plain type's method read from the type (``str.lower``, ``list.append``, ``dict.get``),
    as in ``sorted(words, key=str.lower)``: called with the receiver first, which must be of
    that type (Python's texts otherwise)."""

    __slots__ = ("owner",)

    def __init__(self, owner: str, name: str, fn: Callable[..., Any]) -> None:
        super().__init__(name, fn)
        self.owner = owner

    def __repr__(self) -> str:
        return f"<method '{self.name}' of '{self.owner}' objects>"


_unbound: dict[tuple[type, str], UnboundMethod] = {}


def unbound_method(pytype: Any, owner: str, name: str) -> UnboundMethod | None:
    """``owner.name`` for a plain type (``str``, ``list``, ``tuple``, ``dict``, ``set``,
    ``frozenset``, ``int``, ``float``) that has that method, or None."""
    if not isinstance(pytype, type) or pytype not in _BASES:
        return None
    fn = _TABLES[pytype].get(name)
    if fn is None:
        return None
    key = (pytype, name)
    method = _unbound.get(key)
    if method is None:
        def call(rs: RunState, *args: Any, **kwargs: Any) -> Any:
            if not args:
                raise ProgramError(f"unbound method {owner}.{name}() needs an argument",
                                   exception="TypeError")
            if not isinstance(args[0], pytype):
                raise ProgramError(f"descriptor '{name}' for '{owner}' objects doesn't apply to "
                                   f"a '{type_name(args[0])}' object", exception="TypeError")
            try:
                return fn(rs, *args, **kwargs)
            except TypeError as exc:  # not bound: CPython's text, not the helper's name
                tb = exc.__traceback__
                if tb is not None and tb.tb_next is None:
                    from .builtins import method_twin_error

                    twin = method_twin_error(pytype, name, len(args) - 1, kwargs)
                    if twin is not None:
                        raise twin from None
                raise

        method = _unbound[key] = UnboundMethod(owner, name, call)
    return method
