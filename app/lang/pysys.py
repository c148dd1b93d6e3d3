"""The safe parts of ``sys`` and ``contextlib``.

- ``sys``: ``version_info``, ``maxsize``, ``float_info`` (CPython's values, of the Python that
  runs the service) and ``exit``, which raises ``SystemExit`` as CPython's does; where it is
  not caught, ``sys.exit()`` / ``sys.exit(0)`` ends the run as a script ends (what ran stays,
  the rest does not run, the run succeeds) and any other code fails the run with
  ``SystemExit`` and the code as its text (:func:`clean_exit`). Everything else of ``sys``
  (``argv``, ``modules``, ``path``, ``stdout`` ...) reaches the process and stays out.
- ``contextlib``: ``nullcontext(enter_result=None)`` and ``suppress(*exceptions)``, as the
  language's classes (an ``except``-like match of the exception's class).
"""

from __future__ import annotations

import sys
from collections import namedtuple
from typing import Any

from .errors import LangError, ProgramError
from .exceptions import BUILTIN_EXCEPTIONS, exception_of, raised
from .runtime import RunState
from .values import (
    LIBRARY_CLASS_MODULES,
    BuiltinFunction,
    NativeMethod,
    UserClass,
    new_instance,
    user_class_of,
)


def _struct_sequence(name: str, fields: str, values: Any) -> Any:
    """One of ``sys``'s named tuples (``sys.version_info``), printed as CPython prints it."""
    base = namedtuple(name, fields)
    cls = type(name, (base,), {"__slots__": (), "__module__": "sys",
                               "__repr__": lambda self: "sys." + base.__repr__(self)})
    return cls(*values)


VERSION_INFO = _struct_sequence("version_info", "major minor micro releaselevel serial",
                                tuple(sys.version_info))
FLOAT_INFO = _struct_sequence(
    "float_info", "max max_exp max_10_exp min min_exp min_10_exp dig mant_dig epsilon radix "
    "rounds", tuple(sys.float_info))
SYSTEM_EXIT = BUILTIN_EXCEPTIONS["SystemExit"]


def _exit(rs: RunState, *args: Any, **kwargs: Any) -> None:
    if kwargs:
        raise ProgramError("exit() takes no keyword arguments", exception="TypeError")
    if len(args) > 1:
        raise ProgramError(f"exit expected at most 1 argument, got {len(args)}",
                           exception="TypeError")
    exc = new_instance(SYSTEM_EXIT)
    exc.attrs["args"] = args
    exc.attrs["code"] = args[0] if args else None
    raise raised(exc)


def clean_exit(err: LangError) -> bool:
    """Whether ``err`` is a ``SystemExit`` that ends a script successfully (its code None or
    0): the run then ends there without an error, as ``python script.py`` exits with 0."""
    if not isinstance(err, ProgramError):
        return False
    value = exception_of(err)
    cls = user_class_of(value)
    if cls is None or SYSTEM_EXIT not in cls.mro:
        return False
    code = value.attrs.get("code")
    return code is None or (type(code) in (int, bool) and code == 0)


SYS: dict[str, Any] = {"version_info": VERSION_INFO, "maxsize": sys.maxsize,
                       "float_info": FLOAT_INFO, "exit": BuiltinFunction("exit", _exit)}


# --------------------------------------------------------------------------- contextlib

def _null_init(rs: RunState, self: Any, enter_result: Any = None) -> None:
    self.attrs["enter_result"] = enter_result


def _null_enter(rs: RunState, self: Any) -> Any:
    return self.attrs.get("enter_result")


def _exit_quietly(rs: RunState, self: Any, *exc: Any) -> bool:
    return False


def _suppress_init(rs: RunState, self: Any, *exceptions: Any) -> None:
    self.attrs["_exceptions"] = exceptions


def _suppress_enter(rs: RunState, self: Any) -> None:
    return None


def _suppress_exit(rs: RunState, self: Any, exctype: Any = None, excinst: Any = None,
                   tb: Any = None) -> bool:
    if exctype is None:
        return False
    for kind in self.attrs.get("_exceptions", ()):
        if type(kind) is not UserClass:
            raise ProgramError("issubclass() arg 2 must be a class, a tuple of classes, or a "
                               "union", exception="TypeError")
        if exctype.is_subclass(kind):
            return True
    return False


def _repr(rs: RunState, self: Any) -> str:
    return f"<contextlib.{self.cls.name} object>"


def _context_class(name: str, init: Any, enter: Any, leave: Any) -> UserClass:
    LIBRARY_CLASS_MODULES[name] = "contextlib."
    return UserClass(name, name, (), {
        "__init__": NativeMethod("__init__", init), "__enter__": NativeMethod("__enter__", enter),
        "__exit__": NativeMethod("__exit__", leave), "__repr__": NativeMethod("__repr__", _repr)},
        builtin=True)


CONTEXTLIB: dict[str, Any] = {
    "nullcontext": _context_class("nullcontext", _null_init, _null_enter, _exit_quietly),
    "suppress": _context_class("suppress", _suppress_init, _suppress_enter, _suppress_exit)}
