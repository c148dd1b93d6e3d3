"""``enum``: ``Enum``, ``IntEnum`` and ``auto`` as the language's classes, with CPython 3.11's
behaviour and texts.

A class deriving from ``Enum`` turns the plain names its body binds into its members when it
is made (:func:`make_enum`, called by ``make_class``): objects of the class with ``name`` and
``value`` (read-only properties), in definition order; a later name with an equal value is an
alias of the first; ``auto()`` is the last integer value plus one (1 first); a class body's
``__init__`` runs for each member with the value (spread when it is a tuple), as CPython's.
Functions, properties, static and class methods, ``_sunder_`` and ``__dunder__`` names stay
the class's own. ``Color(1)`` finds a member by value (``ValueError: 3 is not a valid
Color``), ``Color['RED']`` by name (``KeyError``), ``Enum('Color', 'RED GREEN')`` makes a
class (the functional form); the class iterates over its members (aliases left out), has a
``len``, answers ``in`` and ``reversed``, and prints as ``<enum 'Color'>``. Members print as
``<Color.RED: 1>`` (``str``: ``Color.RED``), compare by identity (ordering is CPython's
``TypeError``) and hash as their name. ``IntEnum`` members compare, order, hash, format,
index and compute as their integer values (``str(N.A)`` is ``'1'``, as 3.11's).
"""

from __future__ import annotations

import operator
from types import MappingProxyType
from typing import Any

from .errors import ProgramError
from .runtime import RunState
from .values import (
    LIBRARY_CLASS_MODULES,
    BuiltinFunction,
    ClassMethod,
    Function,
    Instance,
    NativeMethod,
    Property,
    StaticMethod,
    UserClass,
    new_instance,
    type_name,
)

MEMBERS = "_member_map_"      # name -> member, aliases too (CPython's own attribute)
NAMES = "_member_names_"      # the members' names, aliases left out
VALUES = "_value2member_map_"  # hashable value -> member


class Auto:
    """What ``auto()`` gives: the value is chosen when the class is made."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "auto(_auto_null)"


def _auto(rs: RunState) -> Auto:
    return Auto()


def _name(rs: RunState, self: Any) -> Any:
    return self.attrs["_name_"]


def _value(rs: RunState, self: Any) -> Any:
    return self.attrs["_value_"]


def _repr(rs: RunState, self: Any) -> str:
    from .builtins import BUILTINS

    value = BUILTINS["repr"](rs, self.attrs["_value_"])
    return f"<{self.cls.name}.{self.attrs['_name_']}: {value}>"


def _str(rs: RunState, self: Any) -> str:
    return f"{self.cls.name}.{self.attrs['_name_']}"


def _format(rs: RunState, self: Any, spec: str = "") -> str:
    return format(_str(rs, self), spec)


def _hash(rs: RunState, self: Any) -> int:
    from .pyhash import str_hash

    return str_hash(self.attrs["_name_"])


#: ``Enum``'s and ``IntEnum``'s own (empty) tables: read-only, as every session shares them
_NO_MEMBERS: dict[str, Any] = {MEMBERS: MappingProxyType({}), NAMES: (),
                               VALUES: MappingProxyType({})}


def _native(**methods: Any) -> dict[str, Any]:
    return {name: NativeMethod(name, fn) for name, fn in methods.items()}


ENUM = UserClass("Enum", "Enum", (), {
    **_native(__repr__=_repr, __str__=_str, __format__=_format, __hash__=_hash),
    "name": Property(BuiltinFunction("name", _name)),
    "value": Property(BuiltinFunction("value", _value)), **_NO_MEMBERS},
    builtin=True)


# --------------------------------------------------------------------------- IntEnum

def _plain(value: Any) -> Any:
    """An IntEnum member as its integer; anything else as it is."""
    if isinstance(value, Instance) and INT_ENUM in value.cls.mro:
        return value.attrs["_value_"]
    return value


def _binary(fn: Any, reflected: bool = False) -> Any:
    def run(rs: RunState, self: Any, other: Any) -> Any:
        a, b = self.attrs["_value_"], _plain(other)
        return fn(b, a) if reflected else fn(a, b)
    return run


def _compare(fn: Any, symbol: str) -> Any:
    def run(rs: RunState, self: Any, other: Any) -> Any:
        b = _plain(other)
        if isinstance(b, (int, float)):
            return fn(self.attrs["_value_"], b)
        if symbol in ("==", "!="):
            return symbol == "!="
        raise ProgramError(f"'{symbol}' not supported between instances of '{self.cls.name}' "
                           f"and '{type_name(other)}'", exception="TypeError")
    return run


_INT_METHODS: dict[str, Any] = {
    "__eq__": _compare(operator.eq, "=="), "__ne__": _compare(operator.ne, "!="),
    "__lt__": _compare(operator.lt, "<"), "__le__": _compare(operator.le, "<="),
    "__gt__": _compare(operator.gt, ">"), "__ge__": _compare(operator.ge, ">="),
    "__hash__": lambda rs, self: hash(self.attrs["_value_"]),
    "__int__": _value, "__index__": _value,
    "__float__": lambda rs, self: float(self.attrs["_value_"]),
    "__bool__": lambda rs, self: bool(self.attrs["_value_"]),
    "__str__": lambda rs, self: str(self.attrs["_value_"]),
    "__format__": lambda rs, self, spec="": format(self.attrs["_value_"], spec),
    "__neg__": lambda rs, self: -self.attrs["_value_"],
    "__pos__": lambda rs, self: +self.attrs["_value_"],
    "__abs__": lambda rs, self: abs(self.attrs["_value_"]),
    "__invert__": lambda rs, self: ~self.attrs["_value_"],
}
for _op in ("add", "sub", "mul", "truediv", "floordiv", "mod", "pow", "and", "or", "xor",
            "lshift", "rshift"):
    _fn = getattr(operator, _op + "_" if _op in ("and", "or") else _op)
    _INT_METHODS[f"__{_op}__"] = _binary(_fn)
    _INT_METHODS[f"__r{_op}__"] = _binary(_fn, reflected=True)

INT_ENUM = UserClass("IntEnum", "IntEnum", (ENUM,), {
    **{name: NativeMethod(name, fn) for name, fn in _INT_METHODS.items()},
    **_NO_MEMBERS}, builtin=True)
for _name_ in ("Enum", "IntEnum"):
    LIBRARY_CLASS_MODULES[_name_] = "enum."


# --------------------------------------------------------------------------- classes

_NOT_MEMBERS = (Function, StaticMethod, ClassMethod, Property, BuiltinFunction)


def is_enum(cls: UserClass) -> bool:
    return ENUM in cls.mro


def _is_member_name(name: str) -> bool:
    dunder = name[:2] == "__" and name[-2:] == "__"
    sunder = len(name) > 2 and name[0] == "_" and name[-1] == "_" and name[1] != "_"
    return not dunder and not sunder


def make_enum(rs: RunState, cls: UserClass) -> None:
    """Turn the members of a class deriving from ``Enum`` (just made) into its members."""
    for base in cls.mro[1:]:
        if is_enum(base) and base.ns.get(NAMES):
            raise ProgramError(f"<enum '{cls.name}'> cannot extend <enum '{base.name}'>",
                               exception="TypeError")
    int_enum = INT_ENUM in cls.mro
    members: dict[str, Instance] = {}
    names: list[str] = []
    by_value: dict[Any, Instance] = {}
    last_values: list[Any] = []
    init = cls.lookup("__init__")
    for name, value in list(cls.ns.items()):
        if not _is_member_name(name) or isinstance(value, _NOT_MEMBERS) or \
                isinstance(value, UserClass):
            continue
        if type(value) is Auto:
            value = next((v + 1 for v in reversed(last_values)
                          if isinstance(v, int) and not isinstance(v, bool)), 1)
        if int_enum:
            value = _as_int(value)
        last_values.append(value)
        alias = _find(members, names, by_value, value)
        if alias is not None:
            members[name] = alias
            cls.ns[name] = alias
            continue
        member = new_instance(cls)
        member.attrs["_name_"], member.attrs["_value_"] = name, value
        if type(init) is Function:
            from .objects import call_special

            call_special(rs, member, init, value if type(value) is tuple else (value,))
        members[name] = member
        names.append(name)
        try:
            by_value[value] = member
        except TypeError:  # unhashable: found by a scan
            pass
        cls.ns[name] = member
    cls.ns[MEMBERS], cls.ns[NAMES], cls.ns[VALUES] = members, names, by_value


def _as_int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError) as exc:
        kind = "ValueError" if isinstance(exc, ValueError) else "TypeError"
        text = str(exc) if kind == "ValueError" else (
            "int() argument must be a string, a bytes-like object or a real number, not "
            f"'{type_name(value)}'")
        raise ProgramError(text, exception=kind) from None


def _find(members: dict, names: list[str], by_value: dict, value: Any) -> Instance | None:
    try:
        return by_value.get(value)
    except TypeError:
        for name in names:
            member = members[name]
            if type(member.attrs["_value_"]) is type(value) and member.attrs["_value_"] == value:
                return member
        return None


def members_of(cls: UserClass) -> list[Instance]:
    members = cls.lookup(MEMBERS)
    return [members[name] for name in cls.lookup(NAMES)]


def enum_call(rs: RunState, cls: UserClass, args: tuple | list, kwargs: dict) -> Any:
    """``Color(value)``: the member with that value; ``Enum('Color', names)``: a new class."""
    if not cls.lookup(NAMES) and (len(args) >= 2 or "names" in kwargs):
        return _functional(rs, cls, *args, **kwargs)
    if kwargs or len(args) != 1:
        if not args and not kwargs:
            raise ProgramError("EnumType.__call__() missing 1 required positional argument: "
                               "'value'", exception="TypeError")
        raise ProgramError(f"EnumType.__call__() takes 2 positional arguments but "
                           f"{len(args) + 1} were given", exception="TypeError")
    value = args[0]
    if isinstance(value, Instance) and value.cls is cls:
        return value
    found = _find(cls.lookup(MEMBERS), cls.lookup(NAMES), cls.lookup(VALUES), value)
    if found is None:
        from .builtins import BUILTINS

        raise ProgramError(f"{BUILTINS['repr'](rs, value)} is not a valid {cls.qualname}",
                           exception="ValueError")
    return found


def _functional(rs: RunState, cls: UserClass, value: Any, names: Any = None, *,
                start: int = 1, **kwargs: Any) -> UserClass:
    if kwargs:
        raise ProgramError(f"Enum(): '{next(iter(kwargs))}' is not supported",
                           exception="TypeError")
    from .compile_definitions import make_class
    from .methods import materialize

    if isinstance(names, str):
        names = names.replace(",", " ").split()
    if isinstance(names, dict):
        pairs = list(names.items())
    else:
        items = materialize(rs, names, "an Enum's names")
        if items and all(isinstance(i, str) for i in items):
            pairs = [(n, start + i) for i, n in enumerate(items)]
        else:
            pairs = [tuple(p) for p in items]
    if not isinstance(value, str):
        raise ProgramError("Enum(): the class name must be a string", exception="TypeError")
    return make_class(value, value, [cls], dict(pairs))


def enum_item(cls: UserClass, key: Any) -> Any:
    """``Color['RED']``."""
    members = cls.lookup(MEMBERS)
    try:
        return members[key]
    except (KeyError, TypeError):
        raise ProgramError(repr(key), exception="KeyError") from None


def enum_contains(cls: UserClass, item: Any) -> bool:
    """``x in Color``: CPython 3.11's (a non-Enum operand is a ``TypeError``)."""
    if not (isinstance(item, Instance) and is_enum(item.cls)):
        raise ProgramError(f"unsupported operand type(s) for 'in': '{type_name(item)}' and "
                           "'EnumType'", exception="TypeError")
    return item.cls is cls and item.attrs["_name_"] in cls.lookup(MEMBERS)


def set_refused(cls: UserClass, name: str) -> ProgramError | None:
    """``Color.RED = 5`` / ``del Color.RED``: CPython's refusal, or None for other names."""
    if is_enum(cls) and name in (cls.lookup(MEMBERS) or ()):
        return ProgramError(f"cannot reassign member '{name}'", exception="AttributeError")
    return None


ENUM_MODULE: dict[str, Any] = {"Enum": ENUM, "IntEnum": INT_ENUM,
                               "auto": BuiltinFunction("auto", _auto)}
