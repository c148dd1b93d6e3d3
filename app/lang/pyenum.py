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

``Flag`` and ``IntFlag``: ``auto()`` is the next bit, the one-bit members are the class's
members (``list``, ``len``), ``| & ^ ~`` give members or combinations of bits (CPython's
pseudo-members: ``<Perm.R|W: 3>``, ``Perm.R|W``, ``<Perm: 0>``, kept by the class so
``P(5) is P(5)``), a combination iterates over and has ``len``, ``in`` and truth of its bits;
a ``Flag`` refuses other bits (``STRICT``: CPython's ``invalid value`` text), an ``IntFlag``
keeps them (``<I.A|8: 9>``) and is an integer as ``IntEnum`` is. ``StrEnum``: members compare,
hash, format, concatenate, index and take ``str``'s methods as their string (``auto()`` is
the lower-case name). A class's ``_missing_(cls, value)`` classmethod is asked for a value no
member has (CPython's ``TypeError`` when it gives neither ``None`` nor a member), and
``Color.__members__`` is the read-only ``mappingproxy`` of names (aliases too) to members.
"""

from __future__ import annotations

import operator
from types import MappingProxyType
from typing import Any

from .errors import ProgramError
from .runtime import RunState, current_rs
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
    """What ``auto()`` gives: the value is chosen when the class is made (``value``, then).
    Combined in the class body (``RW = R | W`` of a ``Flag``), it gives a :class:`Combined`
    worked out then too."""

    __slots__ = ("value",)

    def __init__(self) -> None:
        self.value: Any = None

    def __repr__(self) -> str:
        return "auto(_auto_null)"

    def __or__(self, other: Any) -> Combined:
        return Combined(operator.or_, self, other)

    def __and__(self, other: Any) -> Combined:
        return Combined(operator.and_, self, other)

    def __xor__(self, other: Any) -> Combined:
        return Combined(operator.xor, self, other)

    def __ror__(self, other: Any) -> Combined:
        return Combined(operator.or_, other, self)

    def __rand__(self, other: Any) -> Combined:
        return Combined(operator.and_, other, self)

    def __rxor__(self, other: Any) -> Combined:
        return Combined(operator.xor, other, self)


class Combined(Auto):
    """``A | B`` of two ``auto()`` values in a class body."""

    __slots__ = ("fn", "left", "right")

    def __init__(self, fn: Any, left: Any, right: Any) -> None:
        super().__init__()
        self.fn, self.left, self.right = fn, left, right

    def resolve(self) -> Any:
        def part(v: Any) -> Any:
            if isinstance(v, Combined):
                return v.resolve()
            return v.value if isinstance(v, Auto) else v
        return self.fn(part(self.left), part(self.right))


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


# --------------------------------------------------------------------------- Flag, IntFlag

#: The pseudo-members (combinations of bits) a flag class keeps, as CPython keeps them in its
#: ``_value2member_map_`` (so ``P(5) is P(5)``); past this many, a new one each time.
MAX_PSEUDO_MEMBERS = 4096


def _bits(cls: UserClass) -> tuple[list[Instance], int]:
    """A flag class's one-bit members in definition order, and their bits together."""
    members = cls.lookup(MEMBERS)
    singles = [members[name] for name in cls.lookup(NAMES)]
    mask = 0
    for member in singles:
        mask |= member.attrs["_value_"]
    return singles, mask


def _binary_digits(value: int, width: int) -> str:
    """``0b0 1000``: CPython's enum texts' sign bit, a space, then the bits padded."""
    digits = format(value, "b").rjust(width, "0")
    return f"0b0 {digits}"


def _flag_of(cls: UserClass, value: int) -> Instance:
    """``P(value)`` for a value no member has: a combination of its bits (CPython's
    pseudo-member); a ``Flag`` refuses other bits (``STRICT``), an ``IntFlag`` keeps them."""
    singles, mask = _bits(cls)
    keep = INT_FLAG in cls.mro
    if value < 0:
        value = (1 << mask.bit_length()) + value
    if value & ~mask and not keep:
        width = max(value.bit_length(), mask.bit_length())
        raise ProgramError(f"<flag '{cls.name}'> invalid value {value}\n    given "
                           f"{_binary_digits(value, width)}\n  allowed "
                           f"{_binary_digits(mask, width)}", exception="ValueError")
    by_value = cls.lookup(VALUES)
    found = by_value.get(value)
    if found is not None:
        return found
    names = [m.attrs["_name_"] for m in singles if m.attrs["_value_"] & value]
    extra = value & ~mask
    if extra:
        names.append(str(extra))
    member = new_instance(cls)
    member.attrs["_name_"] = "|".join(names) if names else None
    member.attrs["_value_"] = value
    if len(by_value) < MAX_PSEUDO_MEMBERS and type(by_value) is dict:
        by_value[value] = member
    return member


def _flag_value(self: Instance, other: Any, symbol: str, reflected: bool = False) -> int:
    if isinstance(other, Instance) and other.cls is self.cls:
        return other.attrs["_value_"]
    if INT_FLAG in self.cls.mro and isinstance(other, int) and not isinstance(other, bool):
        return other
    left, right = (type_name(other), self.cls.name) if reflected else \
        (self.cls.name, type_name(other))
    raise ProgramError(f"unsupported operand type(s) for {symbol}: '{left}' and '{right}'",
                       exception="TypeError")


def _flag_op(fn: Any, symbol: str, reflected: bool = False) -> Any:
    def run(rs: RunState, self: Instance, other: Any) -> Any:
        value = fn(self.attrs["_value_"], _flag_value(self, other, symbol, reflected))
        return enum_call(rs, self.cls, (value,), {})
    return run


def _flag_invert(rs: RunState, self: Instance) -> Instance:
    value = self.attrs["_value_"]
    if INT_FLAG in self.cls.mro:
        return enum_call(rs, self.cls, (~value,), {})
    return enum_call(rs, self.cls, (_bits(self.cls)[1] & ~value,), {})


def _flag_members(self: Instance) -> list[Instance]:
    value = self.attrs["_value_"]
    return [m for m in _bits(self.cls)[0] if m.attrs["_value_"] & value]


def _flag_contains(rs: RunState, self: Instance, other: Any) -> bool:
    if not (isinstance(other, Instance) and other.cls is self.cls):
        raise ProgramError(f"unsupported operand type(s) for 'in': '{type_name(other)}' and "
                           f"'{self.cls.name}'", exception="TypeError")
    bits = other.attrs["_value_"]
    return bits & self.attrs["_value_"] == bits


def _flag_repr(rs: RunState, self: Instance) -> str:
    name, value = self.attrs["_name_"], self.attrs["_value_"]
    if name is None:
        return f"<{self.cls.name}: {value}>"
    return f"<{self.cls.name}.{name}: {value}>"


def _flag_str(rs: RunState, self: Instance) -> str:
    name = self.attrs["_name_"]
    if name is None:
        return f"{self.cls.name}({self.attrs['_value_']})"
    return f"{self.cls.name}.{name}"


def _flag_hash(rs: RunState, self: Instance) -> int:
    from .builtins import BUILTINS

    return BUILTINS["hash"](rs, self.attrs["_name_"])


_FLAG_OPS: dict[str, Any] = {}
for _op, _symbol in (("or", "|"), ("and", "&"), ("xor", "^")):
    _fn = getattr(operator, _op + "_" if _op != "xor" else _op)
    _FLAG_OPS[f"__{_op}__"] = _flag_op(_fn, _symbol)
    _FLAG_OPS[f"__r{_op}__"] = _flag_op(_fn, _symbol, reflected=True)
_FLAG_OPS["__invert__"] = _flag_invert

FLAG = UserClass("Flag", "Flag", (ENUM,), {
    **_native(**_FLAG_OPS, __repr__=_flag_repr, __str__=_flag_str, __hash__=_flag_hash,
              __format__=lambda rs, self, spec="": format(_flag_str(rs, self), spec),
              __contains__=_flag_contains, __iter__=lambda rs, self: iter(_flag_members(self)),
              __len__=lambda rs, self: len(_flag_members(self)),
              __bool__=lambda rs, self: bool(self.attrs["_value_"])),
    **_NO_MEMBERS}, builtin=True)
INT_FLAG = UserClass("IntFlag", "IntFlag", (INT_ENUM, FLAG), {
    **_native(**_FLAG_OPS, __repr__=_flag_repr), **_NO_MEMBERS}, builtin=True)


# --------------------------------------------------------------------------- StrEnum

def _plain_str(value: Any) -> Any:
    if isinstance(value, Instance) and STR_ENUM in value.cls.mro:
        return value.attrs["_value_"]
    return value


def _str_compare(fn: Any, symbol: str) -> Any:
    def run(rs: RunState, self: Any, other: Any) -> Any:
        b = _plain_str(other)
        if isinstance(b, str):
            return fn(self.attrs["_value_"], b)
        if symbol in ("==", "!="):
            return symbol == "!="
        raise ProgramError(f"'{symbol}' not supported between instances of '{self.cls.name}' "
                           f"and '{type_name(other)}'", exception="TypeError")
    return run


def _str_concat(reflected: bool) -> Any:
    def run(rs: RunState, self: Any, other: Any) -> Any:
        b = _plain_str(other)
        if not isinstance(b, str):
            raise ProgramError(f'can only concatenate str (not "{type_name(other)}") to str',
                               exception="TypeError")
        a = self.attrs["_value_"]
        return b + a if reflected else a + b
    return run


STR_ENUM = UserClass("StrEnum", "StrEnum", (ENUM,), {
    **_native(
        __eq__=_str_compare(operator.eq, "=="), __ne__=_str_compare(operator.ne, "!="),
        __lt__=_str_compare(operator.lt, "<"), __le__=_str_compare(operator.le, "<="),
        __gt__=_str_compare(operator.gt, ">"), __ge__=_str_compare(operator.ge, ">="),
        __hash__=lambda rs, self: BUILTIN_HASH(rs, self.attrs["_value_"]),
        __str__=_value, __format__=lambda rs, self, spec="": format(self.attrs["_value_"], spec),
        __len__=lambda rs, self: len(self.attrs["_value_"]),
        __contains__=lambda rs, self, item: _plain_str(item) in self.attrs["_value_"],
        __iter__=lambda rs, self: iter(self.attrs["_value_"]),
        __getitem__=lambda rs, self, key: self.attrs["_value_"][key],
        __add__=_str_concat(False), __radd__=_str_concat(True),
        __bool__=lambda rs, self: bool(self.attrs["_value_"])),
    **_NO_MEMBERS}, builtin=True)


def BUILTIN_HASH(rs: RunState, value: Any) -> int:  # noqa: N802 -- the builtin ``hash``
    from .builtins import BUILTINS

    return BUILTINS["hash"](rs, value)


def str_enum_method(obj: Instance, name: str) -> Any:
    """A ``StrEnum`` member's ``str`` method (``Mode.TRAIN.upper()``): the method of its
    value, or None."""
    from .methods import native_method

    if STR_ENUM not in obj.cls.mro or name.startswith("_"):
        return None
    method = native_method(obj.attrs["_value_"], name)
    if method is None:
        return None
    from .values import BoundMethod

    return BoundMethod(obj.attrs["_value_"], method)


for _name_ in ("Flag", "IntFlag", "StrEnum"):
    LIBRARY_CLASS_MODULES[_name_] = "enum."


def members_proxy(cls: UserClass) -> MappingProxyType:
    """``Color.__members__``: its names (aliases too) to its members, read-only."""
    members = cls.lookup(MEMBERS)
    return members if type(members) is MappingProxyType else MappingProxyType(members)


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
    flag = FLAG in cls.mro
    str_enum = STR_ENUM in cls.mro
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
            value.value = _next_value(name, last_values, flag=flag, str_enum=str_enum)
            value = value.value
        elif type(value) is Combined:
            value.value = value.resolve()
            value = value.value
        if int_enum:
            value = _as_int(value)
        elif str_enum:
            value = _as_str(value)
        elif flag and not (isinstance(value, int) and not isinstance(value, bool)):
            raise ProgramError("unsupported operand type(s) for |=: 'int' and "
                               f"'{type_name(value)}'", exception="TypeError")
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
        if not flag or value > 0 and value & (value - 1) == 0:  # a flag's names: its bits
            names.append(name)
        try:
            by_value[value] = member
        except TypeError:  # unhashable: found by a scan
            pass
        cls.ns[name] = member
    cls.ns[MEMBERS], cls.ns[NAMES], cls.ns[VALUES] = members, names, by_value


def _next_value(name: str, last_values: list, *, flag: bool, str_enum: bool) -> Any:
    """What ``auto()`` gives: the last integer plus one; a flag's next bit after the last
    value's highest; a ``StrEnum``'s name in lower case."""
    if str_enum:
        return name.lower()
    ints = [v for v in last_values if isinstance(v, int) and not isinstance(v, bool)]
    if flag:
        if not last_values:
            return 1
        last = last_values[-1]
        if not isinstance(last, int) or isinstance(last, bool):
            raise ProgramError(f"invalid flag value {_repr_text(last)}", exception="TypeError")
        return 1 << last.bit_length()
    return ints[-1] + 1 if ints else 1


def _repr_text(value: Any) -> str:
    from .builtins import BUILTINS

    return BUILTINS["repr"](current_rs(), value)


def _as_str(value: Any) -> str:
    if type(value) is tuple:
        value = value[0] if len(value) == 1 else value
    if not isinstance(value, str):
        raise ProgramError(f"{_repr_text(value)} is not a string", exception="TypeError")
    return value


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
    if found is not None:
        return found
    missing = cls.lookup("_missing_")
    if missing is not None:  # the class's ``_missing_(cls, value)``, as CPython calls it
        from .objects import call_value, get_attr

        found = call_value(rs, get_attr(rs, cls, "_missing_"), (value,), {})
        if isinstance(found, Instance) and found.cls is cls:
            return found
        if found is not None:
            raise ProgramError(f"error in {cls.qualname}._missing_: returned "
                               f"{_repr_text(found)} instead of None or a valid member",
                               exception="TypeError")
    if FLAG in cls.mro and isinstance(value, int) and not isinstance(value, bool):
        return _flag_of(cls, value)
    raise ProgramError(f"{_repr_text(value)} is not a valid {cls.qualname}",
                       exception="ValueError")


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


ENUM_MODULE: dict[str, Any] = {"Enum": ENUM, "IntEnum": INT_ENUM, "Flag": FLAG,
                               "IntFlag": INT_FLAG, "StrEnum": STR_ENUM,
                               "auto": BuiltinFunction("auto", _auto)}
