"""The safe part of ``contextlib``, as the language's values.

- ``nullcontext(enter_result=None)`` and ``suppress(*exceptions)``: the language's classes
  (an ``except``-like match of the exception's class).
- ``contextmanager``: a program's generator function as a ``with`` context, as CPython's
  ``_GeneratorContextManager``: ``__enter__`` runs the generator to its ``yield`` (its value
  is what ``as`` binds); leaving the block without an error runs it on to its end; an error in
  the block is thrown into it at the ``yield``, so its ``try``/``except``/``finally`` see it,
  and the error is suppressed when the generator swallows it. CPython's ``RuntimeError``
  texts when the generator does not yield, or yields again.
"""

from __future__ import annotations

from typing import Any

from .errors import ProgramError
from .exceptions import exception_of
from .runtime import RunState
from .values import (
    LIBRARY_CLASS_MODULES,
    BuiltinFunction,
    Function,
    NativeMethod,
    UserClass,
    new_instance,
    type_name,
)


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


# --------------------------------------------------------------------------- contextmanager

def _next_of(rs: RunState, gen: Any) -> Any:
    if not hasattr(type(gen), "__next__"):
        raise ProgramError(f"'{type_name(gen)}' object is not an iterator",
                           exception="TypeError")
    return next(gen)


def _generator_enter(rs: RunState, self: Any) -> Any:
    try:
        return _next_of(rs, self.attrs["gen"])
    except StopIteration:
        raise ProgramError("generator didn't yield", exception="RuntimeError") from None


def _generator_exit(rs: RunState, self: Any, kind: Any = None, value: Any = None,
                    tb: Any = None) -> bool:
    gen = self.attrs["gen"]
    if kind is None:
        try:
            _next_of(rs, gen)
        except StopIteration:
            return False
        raise ProgramError("generator didn't stop", exception="RuntimeError")
    if value is None:
        from .objects import instantiate

        value = instantiate(rs, kind, (), {})
    try:
        gen.throw(value)
    except StopIteration as stop:  # it swallowed the error (unless it ended by it)
        return stop is not value
    except ProgramError as err:
        if exception_of(err) is value:  # not swallowed: the block's error goes on
            return False
        raise
    raise ProgramError("generator didn't stop after throw()", exception="RuntimeError")


GENERATOR_CONTEXT_MANAGER = UserClass(
    "_GeneratorContextManager", "_GeneratorContextManager", (), {
        "__enter__": NativeMethod("__enter__", _generator_enter),
        "__exit__": NativeMethod("__exit__", _generator_exit),
        "__repr__": NativeMethod("__repr__", _repr)}, builtin=True)
LIBRARY_CLASS_MODULES["_GeneratorContextManager"] = "contextlib."


class ContextManagerFunction(BuiltinFunction):
    """``@contextlib.contextmanager`` on a program's function: calling it calls the function
    and wraps the generator it returns in a ``_GeneratorContextManager``. It binds in a class
    body, and has the function's ``__name__``, ``__qualname__`` and ``__doc__``, as CPython's
    wrapper (``functools.wraps``)."""

    __slots__ = ("func", "qualname", "doc")

    def __init__(self, func: Any) -> None:
        from .objects import name_of, qualname_of

        super().__init__(name_of(func), self._call)
        self.func, self.qualname = func, qualname_of(func)
        self.doc = func.doc if isinstance(func, Function) else None

    def _call(self, rs: RunState, *args: Any, **kwargs: Any) -> Any:
        from .objects import call_value

        manager = new_instance(GENERATOR_CONTEXT_MANAGER)
        manager.attrs["gen"] = call_value(rs, self.func, args, kwargs)
        return manager

    def __repr__(self) -> str:
        return f"<function {self.qualname}>"


ContextManagerFunction.__name__ = ContextManagerFunction.__qualname__ = "function"


def _contextmanager(rs: RunState, func: Any) -> ContextManagerFunction:
    return ContextManagerFunction(func)


CONTEXTLIB: dict[str, Any] = {
    "nullcontext": _context_class("nullcontext", _null_init, _null_enter, _exit_quietly),
    "suppress": _context_class("suppress", _suppress_init, _suppress_enter, _suppress_exit),
    "contextmanager": BuiltinFunction("contextmanager", _contextmanager)}
