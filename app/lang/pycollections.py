"""The safe ``collections`` module: ``Counter``, ``defaultdict``, ``OrderedDict``, ``deque`` and
``namedtuple``, with CPython's behaviour and reprs.

The values are CPython's containers (``defaultdict`` a subclass of CPython's, whose missing-key
hook calls the program's factory through the interpreter), so a program sees what Python shows.
What a program gives them is taken in first under the size guard (an iterable is materialized,
a lazy one a step per item), every method that grows them checks the new size, and a default
factory is a call of the program's like any other (steps, recursion depth): a factory that reads
its own dictionary recurses into the depth limit, not into Python's stack.
"""

from __future__ import annotations

import collections
import keyword
from collections.abc import Callable
from typing import Any

from .errors import ProgramError
from .guards import size_guard
from .methods import DICT_METHODS, materialize, pairs
from .runtime import RunState, current_rs
from .values import BuiltinFunction, BuiltinType, LangIterator

# --------------------------------------------------------------------------- the types


class defaultdict(collections.defaultdict):  # noqa: N801 -- Python's name, shown by repr
    """CPython's ``defaultdict`` whose factory is a program's value, called by the interpreter."""

    __slots__ = ()

    def __missing__(self, key: Any) -> Any:
        factory = self.default_factory
        if factory is None:
            raise KeyError(key)
        from .objects import call_value

        rs = current_rs()
        value = call_value(rs, factory, (), {})
        size_guard(rs, len(self) + 1, "a dict")
        self[key] = value
        return value

    def copy(self) -> defaultdict:
        return defaultdict(self.default_factory, self)

    __copy__ = copy


defaultdict.__module__ = "collections"
Counter = collections.Counter
OrderedDict = collections.OrderedDict
deque = collections.deque


# --------------------------------------------------------------------------- constructors

def _mapping_items(rs: RunState, args: tuple, kwargs: dict, what: str) -> list:
    if len(args) > 1:
        raise ProgramError(f"expected at most 1 argument, got {len(args)}",
                           exception="TypeError")
    items = pairs(rs, args[0], what) if args else []
    size_guard(rs, len(items) + len(kwargs), what)
    return items + list(kwargs.items())


def _counter(rs: RunState, iterable: Any = None, /, **kwargs: Any) -> Counter:
    out = Counter()
    _counter_update(rs, out, iterable, **kwargs)
    return out


def _counted(rs: RunState, iterable: Any, what: str) -> Any:
    """What ``Counter.update``/``subtract`` count: a mapping as it is, else the items."""
    if iterable is None or isinstance(iterable, dict):
        if iterable is not None:
            size_guard(rs, len(iterable), what)
        return iterable
    return materialize(rs, iterable, what)


def _counter_update(rs: RunState, c: Counter, iterable: Any = None, /, **kwargs: Any) -> None:
    items = _counted(rs, iterable, "a Counter")
    size_guard(rs, len(c) + (len(items) if items is not None else 0) + len(kwargs),
               "a Counter")
    Counter.update(c, items, **kwargs)


def _counter_subtract(rs: RunState, c: Counter, iterable: Any = None, /,
                      **kwargs: Any) -> None:
    items = _counted(rs, iterable, "a Counter")
    size_guard(rs, len(c) + (len(items) if items is not None else 0) + len(kwargs),
               "a Counter")
    Counter.subtract(c, items, **kwargs)


def _most_common(rs: RunState, c: Counter, n: Any = None) -> list:
    return Counter.most_common(c, n)


def _elements(rs: RunState, c: Counter) -> LangIterator:
    total = sum(n for n in c.values() if isinstance(n, int) and n > 0)
    size_guard(rs, total, "Counter.elements()")
    return LangIterator("itertools.chain", iter(list(Counter.elements(c))))


def _defaultdict(rs: RunState, default_factory: Any = None, /, *args: Any,
                 **kwargs: Any) -> defaultdict:
    from .builtins import _callable

    if default_factory is not None and not _callable(rs, default_factory):
        raise ProgramError("first argument must be callable or None", exception="TypeError")
    return defaultdict(default_factory, _mapping_items(rs, args, kwargs, "a dict"))


def _ordered_dict(rs: RunState, *args: Any, **kwargs: Any) -> OrderedDict:
    return OrderedDict(_mapping_items(rs, args, kwargs, "a dict"))


def _deque(rs: RunState, iterable: Any = (), maxlen: Any = None) -> deque:
    if maxlen is not None and not isinstance(maxlen, int):
        raise ProgramError("an integer is required", exception="TypeError")
    return deque(materialize(rs, iterable, "a deque"), maxlen)


def _namedtuple(rs: RunState, typename: Any, field_names: Any, *, rename: bool = False,
                defaults: Any = None) -> BuiltinType:
    """``namedtuple(typename, field_names, *, rename=False, defaults=None)`` (``module=`` is
    not taken: the class is the program's, ``__main__``)."""
    from .library import MAX_LIBRARY_SUBCLASSES

    if isinstance(field_names, str):
        field_names = field_names.replace(",", " ").split()
    fields = materialize(rs, field_names, "namedtuple()")
    for name in [typename, *fields]:
        if not isinstance(name, str):
            raise ProgramError("Type names and field names must be strings",
                               exception="TypeError")
        if not rename and (not name.isidentifier() or keyword.iskeyword(name)):
            raise ProgramError("Type names and field names must be valid identifiers: "
                               f"{name!r}", exception="ValueError")
        if not rename and name is not typename and name.startswith("_"):
            raise ProgramError(f"Field names cannot start with an underscore: {name!r}",
                               exception="ValueError")
    if not typename.isidentifier() or keyword.iskeyword(typename):
        raise ProgramError("Type names and field names must be valid identifiers: "
                           f"{typename!r}", exception="ValueError")
    rs.classes += 1  # one budget with the library subclasses: each is a Python class
    if rs.classes > MAX_LIBRARY_SUBCLASSES:
        raise rs.limit_error(f"the run made more than {MAX_LIBRARY_SUBCLASSES} Python classes "
                             "(named tuples and subclasses of library classes)",
                             "max_library_subclasses", MAX_LIBRARY_SUBCLASSES)
    defaults = None if defaults is None else tuple(materialize(rs, defaults, "namedtuple()"))
    # CPython's factory: names checked above (identifiers only), ``module`` fixed
    cls = collections.namedtuple(typename, fields, rename=rename, defaults=defaults,
                                 module="__main__")

    def make(rs: RunState, *args: Any, **kwargs: Any) -> Any:
        try:
            return cls(*args, **kwargs)
        except TypeError as exc:
            raise ProgramError(str(exc), exception="TypeError") from None

    made = BuiltinType(typename, make, cls)
    cls._lang_type = made  # what ``type(p)`` answers
    return made


def _typing_named_tuple(rs: RunState, typename: Any, fields: Any = None, /,
                        **kwargs: Any) -> BuiltinType:
    """``typing.NamedTuple('P', [('x', int), ('y', float)])`` (or ``x=int, y=float``): the
    named tuple class of those fields (their types are annotations: not checked)."""
    if fields is not None and kwargs:
        raise ProgramError("Either list of fields or keywords can be provided to NamedTuple, "
                           "not both", exception="TypeError")
    pairs = materialize(rs, fields, "NamedTuple()") if fields is not None else \
        list(kwargs.items())
    names = []
    for pair in pairs:
        if not isinstance(pair, (tuple, list)) or len(pair) != 2:
            raise ProgramError("NamedTuple('Name', [(f0, t0), (f1, t1), ...]); each t must be "
                               "a type", exception="TypeError")
        names.append(pair[0])
    return _namedtuple(rs, typename, names)


#: The ``typing.NamedTuple`` base of a class statement (:func:`named_tuple_from_class`)
NAMED_TUPLE = BuiltinFunction("NamedTuple", _typing_named_tuple)


def named_tuple_from_class(rs: RunState, name: str, annotations: tuple, ns: dict) -> BuiltinType:
    """``class P(NamedTuple): x: int; y: float = 0.0``: the named tuple class of the body's
    annotated names, a value given in the body being the field's default (CPython's order
    rule). Methods and other class attributes are not in the language for such a class."""
    fields = [field for field, _ in annotations]
    defaults = []
    for field in fields:
        if field in ns:
            defaults.append(ns[field])
        elif defaults:
            raise ProgramError(f"Non-default namedtuple field {field} cannot follow default "
                               f"field{'s' if len(defaults) > 1 else ''} "
                               + ", ".join(f for f in fields if f in ns), exception="TypeError")
    other = [key for key in ns if key not in fields and not key.startswith("__")]
    if other:
        raise ProgramError(f"class {name}(NamedTuple): a body's methods and class attributes "
                           f"({', '.join(other)}) are not supported, only its annotated fields",
                           exception="NotImplementedError")
    return _namedtuple(rs, name, fields, defaults=defaults or None)


def named_tuple_class(pytype: type) -> bool:
    """A class :func:`_namedtuple` made (``type(p)`` of a program's named tuple)."""
    return issubclass(pytype, tuple) and pytype.__module__ == "__main__" and \
        hasattr(pytype, "_fields")


def _asdict(rs: RunState, t: Any) -> dict:
    return dict(zip(t._fields, t))


def _replace(rs: RunState, t: Any, **kwargs: Any) -> Any:
    unknown = [k for k in kwargs if k not in t._fields]
    if unknown:
        raise ProgramError(f"Got unexpected field names: {unknown!r}", exception="ValueError")
    return t._replace(**kwargs)


NAMEDTUPLE_METHODS: dict[str, Callable[..., Any]] = {"_asdict": _asdict, "_replace": _replace}

# --------------------------------------------------------------------------- methods


def _plain(pytype: type, name: str) -> Callable[..., Any]:
    fn = getattr(pytype, name)

    def method(rs: RunState, self: Any, *args: Any, **kwargs: Any) -> Any:
        return fn(self, *args, **kwargs)

    return method


def _counter_total(rs: RunState, c: Counter) -> Any:
    return sum(c.values())


COUNTER_METHODS: dict[str, Callable[..., Any]] = {**DICT_METHODS}
COUNTER_METHODS.update({
    "update": _counter_update, "subtract": _counter_subtract, "most_common": _most_common,
    "elements": _elements, "total": _counter_total, "copy": _plain(Counter, "copy"),
})
DEFAULTDICT_METHODS: dict[str, Callable[..., Any]] = {**DICT_METHODS,
                                                      "copy": _plain(defaultdict, "copy")}


def _move_to_end(rs: RunState, d: OrderedDict, key: Any, last: bool = True) -> None:
    OrderedDict.move_to_end(d, key, last)


ORDERED_DICT_METHODS: dict[str, Callable[..., Any]] = {**DICT_METHODS}
ORDERED_DICT_METHODS.update({
    "move_to_end": _move_to_end, "popitem": _plain(OrderedDict, "popitem"),
    "copy": _plain(OrderedDict, "copy"),
    # odict_keys / odict_values / odict_items, as CPython prints them
    # (``model.state_dict().keys()``)
    "keys": _plain(OrderedDict, "keys"), "values": _plain(OrderedDict, "values"),
    "items": _plain(OrderedDict, "items"),
})


def _growing(name: str) -> Callable[..., Any]:
    fn = getattr(deque, name)

    def method(rs: RunState, d: deque, value: Any) -> None:
        if d.maxlen is None:
            size_guard(rs, len(d) + 1, "a deque")
        fn(d, value)

    return method


def _extending(name: str) -> Callable[..., Any]:
    fn = getattr(deque, name)

    def method(rs: RunState, d: deque, values: Any) -> None:
        items = materialize(rs, values, "a deque")
        if d.maxlen is None:
            size_guard(rs, len(d) + len(items), "a deque")
        fn(d, items)

    return method


def _insert(rs: RunState, d: deque, i: int, value: Any) -> None:
    size_guard(rs, len(d) + 1, "a deque")
    d.insert(i, value)


DEQUE_METHODS: dict[str, Callable[..., Any]] = {
    name: _plain(deque, name) for name in ("pop", "popleft", "rotate", "clear", "count",
                                           "index", "remove", "reverse", "copy")}
DEQUE_METHODS.update({"append": _growing("append"), "appendleft": _growing("appendleft"),
                      "extend": _extending("extend"),
                      "extendleft": _extending("extendleft"), "insert": _insert})
#: Attributes (not methods) a program reads from these values.
ATTRIBUTES: dict[tuple[type, str], Callable[[Any], Any]] = {
    (deque, "maxlen"): lambda d: d.maxlen,
    (defaultdict, "default_factory"): lambda d: d.default_factory,
}
TABLES: dict[type, dict[str, Callable[..., Any]]] = {
    Counter: COUNTER_METHODS, defaultdict: DEFAULTDICT_METHODS,
    OrderedDict: ORDERED_DICT_METHODS, deque: DEQUE_METHODS,
}

# --------------------------------------------------------------------------- the module

TYPES: dict[type, BuiltinType] = {
    Counter: BuiltinType("Counter", _counter, Counter),
    defaultdict: BuiltinType("defaultdict", _defaultdict, defaultdict),
    OrderedDict: BuiltinType("OrderedDict", _ordered_dict, OrderedDict),
    deque: BuiltinType("deque", _deque, deque),
}
COLLECTIONS: dict[str, Any] = {t.name: t for t in TYPES.values()}
COLLECTIONS["namedtuple"] = BuiltinFunction("namedtuple", _namedtuple)
