"""The safe part of ``sys``.

- ``sys``: ``version_info``, ``maxsize``, ``float_info`` (CPython's values, of the Python that
  runs the service) and ``exit``, which raises ``SystemExit`` as CPython's does; where it is
  not caught, ``sys.exit()`` / ``sys.exit(0)`` ends the run as a script ends (what ran stays,
  the rest does not run, the run succeeds) and any other code fails the run with
  ``SystemExit`` and the code as its text (:func:`clean_exit`). Everything else of ``sys``
  (``argv``, ``modules``, ``path``, ``stdout`` ...) reaches the process and stays out.
"""

from __future__ import annotations

import sys
from collections import namedtuple
from typing import Any

from .errors import LangError, ProgramError
from .exceptions import BUILTIN_EXCEPTIONS, exception_of, raised
from .runtime import RunState
from .values import (
    BuiltinFunction,
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
