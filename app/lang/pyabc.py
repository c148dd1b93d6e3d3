"""``abc``: ``ABC`` and ``abstractmethod`` as CPython's.

``abstractmethod(f)`` marks a program's function (as CPython sets ``f.__isabstractmethod__``);
a class deriving from ``ABC`` records, when it is made, the names whose values along its MRO
are still abstract (:func:`record_abstracts`, CPython's ``ABCMeta.__new__``), and making an
object of it while any is left is CPython's ``TypeError`` (:func:`check_instantiable`).
"""

from __future__ import annotations

from typing import Any

from .errors import ProgramError
from .runtime import RunState
from .values import (
    LIBRARY_CLASS_MODULES,
    BuiltinFunction,
    ClassMethod,
    Function,
    Property,
    StaticMethod,
    UserClass,
    type_name,
)

ABSTRACTS = "__abstractmethods__"  # the class's own record (a dunder: no program reads it)
_MARK = "__isabstractmethod__"

ABC = UserClass("ABC", "ABC", (), {}, builtin=True)
LIBRARY_CLASS_MODULES["ABC"] = "abc."


def _functions(value: Any) -> tuple:
    t = type(value)
    if t is Function:
        return (value,)
    if t is StaticMethod or t is ClassMethod:
        return _functions(value.func)
    if t is Property:
        return tuple(f for part in (value.fget, value.fset, value.fdel)
                     for f in _functions(part))
    return ()


def is_abstract(value: Any) -> bool:
    return any(f.attrs and f.attrs.get(_MARK) for f in _functions(value))


def _abstractmethod(rs: RunState, funcobj: Any) -> Any:
    found = _functions(funcobj)
    if not found:
        raise ProgramError(f"'{type_name(funcobj)}' object has no attribute '{_MARK}'",
                           exception="AttributeError")
    for f in found[:1]:
        if f.attrs is None:
            f.attrs = {}
        f.attrs[_MARK] = True
    return funcobj


def record_abstracts(cls: UserClass) -> None:
    """For a class deriving from ``ABC``: the names still abstract in it."""
    if ABC not in cls.mro:
        return
    names = {name for name, value in cls.ns.items() if is_abstract(value)}
    for base in cls.mro[1:]:
        for name in base.ns.get(ABSTRACTS, ()):
            if is_abstract(cls.lookup(name)):
                names.add(name)
    cls.ns[ABSTRACTS] = frozenset(names)


def check_instantiable(cls: UserClass) -> None:
    names = cls.lookup(ABSTRACTS)
    if names:
        listed = ", ".join(sorted(names))
        raise ProgramError(f"Can't instantiate abstract class {cls.name} with abstract "
                           f"method{'s' if len(names) > 1 else ''} {listed}",
                           exception="TypeError")


ABC_MODULE: dict[str, Any] = {"ABC": ABC,
                              "abstractmethod": BuiltinFunction("abstractmethod",
                                                                _abstractmethod)}
