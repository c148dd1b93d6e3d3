"""Exceptions as the language's values, with Python's classes and PyTorch's texts.

Python's exception classes (``Exception``, ``RuntimeError``, ``ValueError`` ...) are classes
of the language, so a program subclasses them, raises them and catches them with
``except``. An error the engine raises (``RuntimeError: Trying to backward through the graph a
second time ...``) reaches ``except`` as an object of the class PyTorch would raise, whose
``str()`` is PyTorch's text. Limits (``limit_exceeded``) are not exceptions of the program:
no ``except`` catches them and no ``finally`` runs after them.
"""

from __future__ import annotations

import re
from typing import Any

import engine
from engine.func.batching import BatchingError

from .errors import LangError, LimitExceeded, ProgramError
from .limits import DEFAULT_LIMITS, Limits
from .values import Instance, NativeMethod, UserClass, new_instance, user_class_of

#: (name, base) in an order where each base comes first: Python's hierarchy.
_HIERARCHY = (
    ("BaseException", None), ("Exception", "BaseException"),
    ("ArithmeticError", "Exception"), ("ZeroDivisionError", "ArithmeticError"),
    ("OverflowError", "ArithmeticError"), ("FloatingPointError", "ArithmeticError"),
    ("LookupError", "Exception"), ("IndexError", "LookupError"), ("KeyError", "LookupError"),
    ("RuntimeError", "Exception"), ("NotImplementedError", "RuntimeError"),
    ("RecursionError", "RuntimeError"), ("TypeError", "Exception"),
    ("ValueError", "Exception"), ("UnicodeError", "ValueError"),
    ("AttributeError", "Exception"), ("NameError", "Exception"),
    ("UnboundLocalError", "NameError"), ("AssertionError", "Exception"),
    ("StopIteration", "Exception"), ("GeneratorExit", "BaseException"),
    ("KeyboardInterrupt", "BaseException"), ("SystemExit", "BaseException"),
    ("Warning", "Exception"),
    ("UserWarning", "Warning"), ("DeprecationWarning", "Warning"),
    ("RuntimeWarning", "Warning"), ("FutureWarning", "Warning"),
    ("PendingDeprecationWarning", "Warning"), ("SyntaxWarning", "Warning"),
    ("ImportWarning", "Warning"), ("UnicodeWarning", "Warning"), ("BytesWarning", "Warning"),
    ("ResourceWarning", "Warning"), ("ImportError", "Exception"),
    ("ModuleNotFoundError", "ImportError"), ("EOFError", "Exception"),
    ("OSError", "Exception"), ("FileNotFoundError", "OSError"),
    ("FileExistsError", "OSError"), ("IsADirectoryError", "OSError"),
    ("NotADirectoryError", "OSError"),
)


def _initializer(name: str, init: Any) -> NativeMethod:
    """The ``__init__`` of the builtin exception class ``name`` (each has its own, so
    ``ValueError.__init__(1)`` names ``ValueError`` in CPython's text)."""

    def call(rs: Any, self: Any, *args: Any) -> None:
        if not isinstance(self, Instance) or BASE_EXCEPTION not in self.cls.mro or \
                BUILTIN_EXCEPTIONS[name] not in self.cls.mro:
            from .values import type_name

            raise ProgramError(f"descriptor '__init__' requires a '{name}' object but received "
                               f"a '{type_name(self)}'", exception="TypeError")
        init(self, args)

    return NativeMethod("__init__", call)


def _init(self: Any, args: tuple) -> None:
    self.attrs["args"] = args


def _system_exit_init(self: Any, args: tuple) -> None:
    self.attrs["args"] = args  # ``code``: CPython's, None, the argument, or all of them
    self.attrs["code"] = None if not args else args[0] if len(args) == 1 else args


def _stop_iteration_init(self: Any, args: tuple) -> None:
    self.attrs["args"] = args
    self.attrs["value"] = args[0] if args else None


_INITS = {"SystemExit": _system_exit_init, "StopIteration": _stop_iteration_init}


def _str(rs: Any, self: Any) -> str:
    return exception_str(self)


BUILTIN_EXCEPTIONS: dict[str, UserClass] = {}
for _name, _base in _HIERARCHY:
    BUILTIN_EXCEPTIONS[_name] = UserClass(
        _name, _name, (BUILTIN_EXCEPTIONS[_base],) if _base else (),
        {"__init__": _initializer(_name, _INITS.get(_name, _init))} |
        ({"__str__": NativeMethod("__str__", _str)} if _base is None else {}),
        builtin=True)
BASE_EXCEPTION = BUILTIN_EXCEPTIONS["BaseException"]

#: Exception classes of torch's libraries that engine errors arrive as (not builtin names: a
#: program meets them by catching): gradcheck's ``GradcheckError`` is a ``RuntimeError``.
LIBRARY_EXCEPTIONS: dict[str, UserClass] = {
    "GradcheckError": UserClass("GradcheckError", "GradcheckError",
                                (BUILTIN_EXCEPTIONS["RuntimeError"],), {}, builtin=True),
    "FrozenInstanceError": UserClass("FrozenInstanceError", "FrozenInstanceError",
                                     (BUILTIN_EXCEPTIONS["AttributeError"],), {},
                                     builtin=True),
    # NumPy's (app.lang.npmod): numpy.exceptions.AxisError, numpy.linalg.LinAlgError and
    # numpy's UFuncTypeError, with NumPy's bases
    "AxisError": UserClass("AxisError", "AxisError", (BUILTIN_EXCEPTIONS["ValueError"],
                                                      BUILTIN_EXCEPTIONS["IndexError"]), {},
                           builtin=True),
    "LinAlgError": UserClass("LinAlgError", "LinAlgError", (BUILTIN_EXCEPTIONS["ValueError"],),
                             {}, builtin=True),
    # json.JSONDecodeError (app.lang.pyjson), a ValueError
    "JSONDecodeError": UserClass("JSONDecodeError", "JSONDecodeError",
                                 (BUILTIN_EXCEPTIONS["ValueError"],), {}, builtin=True),
    "UFuncTypeError": UserClass("UFuncTypeError", "UFuncTypeError",
                                (BUILTIN_EXCEPTIONS["TypeError"],), {}, builtin=True)}
#: torch's ``torch.linalg.LinAlgError`` (``torch._C._LinAlgError``, a ``RuntimeError``): what a
#: singular ``linalg.inv`` or a non-positive-definite ``linalg.cholesky`` raise.
LIBRARY_EXCEPTIONS["_LinAlgError"] = UserClass("_LinAlgError", "_LinAlgError",
                                               (BUILTIN_EXCEPTIONS["RuntimeError"],), {},
                                               builtin=True)
#: ``torch.utils.checkpoint.CheckpointError``; ``torch._dynamo.exc.InvalidBackend``
#: (``torch.compile(backend="x")``).
LIBRARY_EXCEPTIONS["CheckpointError"] = UserClass("CheckpointError", "CheckpointError",
                                                  (BUILTIN_EXCEPTIONS["RuntimeError"],), {},
                                                  builtin=True)
LIBRARY_EXCEPTIONS["InvalidBackend"] = UserClass("InvalidBackend", "InvalidBackend",
                                                 (BUILTIN_EXCEPTIONS["RuntimeError"],), {},
                                                 builtin=True)
#: ``pickle``'s (``torch.load``'s weights-only refusal is an ``UnpicklingError``).
LIBRARY_EXCEPTIONS["PickleError"] = UserClass("PickleError", "PickleError",
                                              (BUILTIN_EXCEPTIONS["Exception"],), {},
                                              builtin=True)
for _name in ("PicklingError", "UnpicklingError"):
    LIBRARY_EXCEPTIONS[_name] = UserClass(_name, _name, (LIBRARY_EXCEPTIONS["PickleError"],),
                                          {}, builtin=True)


def is_exception_class(value: Any) -> bool:
    return isinstance(value, UserClass) and BASE_EXCEPTION in value.mro


def is_exception(value: Any) -> bool:
    cls = user_class_of(value)
    return cls is not None and BASE_EXCEPTION in cls.mro


def thrown_exception(kind: Any, value: Any = None) -> Any:
    """The exception object ``gen.throw(kind, value)`` raises, as CPython makes it."""
    from .objects import instantiate
    from .runtime import current_rs

    if is_exception_class(kind):
        args = () if value is None else value if type(value) is tuple else (value,)
        return instantiate(current_rs(), kind, args, {})
    if is_exception(kind):
        if value is not None:
            raise ProgramError("instance exception may not have a separate value",
                               exception="TypeError")
        return kind
    from .values import type_name

    raise ProgramError("exceptions must be classes or instances deriving from BaseException, "
                       f"not {type_name(kind)}", exception="TypeError")


def exception_args(exc: Any) -> tuple:
    args = exc.attrs.get("args", ()) if isinstance(exc, Instance) else ()
    return args if isinstance(args, tuple) else (args,)


def exception_str(exc: Any) -> str:
    args = exception_args(exc)
    if not args:
        return ""
    if len(args) == 1:
        if exc.cls.lookup("__str__") is BASE_EXCEPTION.ns["__str__"] and \
                BUILTIN_EXCEPTIONS["KeyError"] in exc.cls.mro:
            return repr(args[0])
        return str(args[0])
    return str(args)


def exception_repr(exc: Any) -> str:
    args = exception_args(exc)
    inner = repr(args[0]) if len(args) == 1 else ", ".join(repr(a) for a in args)
    return f"{exc.cls.name}({inner})"


def make_exception(kind: str, message: str) -> Instance:
    cls = BUILTIN_EXCEPTIONS.get(kind) or LIBRARY_EXCEPTIONS.get(kind) or \
        BUILTIN_EXCEPTIONS["RuntimeError"]
    obj = new_instance(cls)
    obj.attrs["args"] = (message,) if message != "" else ()
    return obj


def exception_of(err: LangError) -> Any:
    """The exception object a program sees for an error (made once, then kept on it)."""
    value = err.__dict__.get("value")
    if value is None:
        kind = err.extra.get("exception") or "RuntimeError"
        value = make_exception(kind, err.__dict__.get("key", err.detail) if kind == "KeyError"
                               else err.detail if kind != "StopIteration" or err.detail
                               != "StopIteration" else "")
        err.__dict__["value"] = value
    return value


def raised(value: Any, cause: Any = None) -> ProgramError:
    """The error that carries a raised exception object out of the statement."""
    cls = user_class_of(value)
    detail = exception_str(value) if cls is not None and cls.lookup("__str__") is \
        BASE_EXCEPTION.ns["__str__"] else str(value)
    err = ProgramError(detail or cls.name, exception=cls.name)
    err.__dict__["value"] = value
    if cause is not None:
        err.__dict__["cause"] = cause
    return err


def stop_iteration(value: Any = None) -> ProgramError:
    """``StopIteration`` with a generator's return value (``e.value``, its one argument unless
    None), as CPython raises it."""
    exc = new_instance(BUILTIN_EXCEPTIONS["StopIteration"])
    exc.attrs["args"] = () if value is None else (value,)
    exc.attrs["value"] = value
    return raised(exc)


def catchable(err: BaseException) -> bool:
    """Whether ``except`` may catch it: program errors yes, limits and invalid programs no."""
    return isinstance(err, ProgramError)


# --------------------------------------------------------------------------- engine errors

_PY_EXCEPTIONS = ("GradcheckError", "InvalidBackend", "CheckpointError", "StopIteration",
                  "ZeroDivisionError", "OverflowError",
                  "NotImplementedError", "RecursionError", "IndexError", "KeyError",
                  "LookupError", "UnboundLocalError", "NameError", "AttributeError",
                  "AssertionError", "TypeError", "ValueError", "ArithmeticError",
                  "RuntimeError")
_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")


def convert_exception(exc: BaseException, op: str | None = None,
                      limits: Limits | None = None, *,
                      final: bool = False) -> LangError | BatchingError:
    """An exception raised while running (by the engine or Python) as a :class:`LangError`
    that names the Python exception PyTorch raises (``exception``) and keeps its text.

    A ``BatchingError`` is ``vmap``'s signal that a batched run cannot go on and the function
    must run once per sample: it is handed back as it is, so it travels through the program's
    frames (no ``except`` catches it, as no ``finally`` runs after it) to ``vmap``. Only where
    the run itself ends (``final``: a batched tensor kept past its ``vmap``) it becomes the
    program's error."""
    if isinstance(exc, LangError):
        return exc
    if isinstance(exc, BatchingError) and not final:
        return exc
    if isinstance(exc, engine.errors.TensorTooLarge):
        return LimitExceeded(str(exc) + " (max_tensor_elements)", limit="max_tensor_elements",
                             value=exc.limit, op=op)
    limits = limits or DEFAULT_LIMITS
    if isinstance(exc, RecursionError):
        return LimitExceeded("the program recursed too deeply (max_recursion_depth)",
                             limit="max_recursion_depth", value=limits.max_recursion_depth)
    if isinstance(exc, MemoryError):
        return LimitExceeded("the operation ran out of memory (max_tensor_elements)",
                             limit="max_tensor_elements", value=limits.max_tensor_elements,
                             op=op)
    if type(exc) is StopIteration:
        return stop_iteration(exc.value)
    names = {t.__name__ for t in type(exc).__mro__}
    kind = "_LinAlgError" if isinstance(exc, engine.errors.LinAlgError) else \
        next((name for name in _PY_EXCEPTIONS if name in names), "RuntimeError")
    if isinstance(exc, KeyError) and exc.args:
        err = ProgramError(repr(exc.args[0]) if not isinstance(exc, engine.errors.EngineError)
                           else str(exc.args[0]), op=op, exception=kind)
        err.__dict__["key"] = exc.args[0]
        return err
    message = _ADDRESS.sub("", str(exc))
    return ProgramError(message if message or kind == "StopIteration" else kind, op=op,
                        exception=kind)



def located(exc: BaseException, unit: bytes, pointer: str,
            limits: Limits | None = None) -> BaseException:
    """What a statement closure raises (``from None``) for what its body raised: the error
    as :func:`convert_exception` makes it (a :class:`LangError` stays the same object: a
    program's ``raise X from Y`` keeps its cause in the error's ``cause``), with the statement
    at ``pointer`` of ``unit`` added to where it passed."""
    err = convert_exception(exc, None, limits)
    trace(err, unit, pointer)
    return err


def trace(exc: BaseException, unit: bytes, pointer: str) -> None:
    """Add a statement (``pointer`` in the program ``unit``) to where ``exc`` passed."""
    exc.__dict__.setdefault("trace", []).append((unit, pointer))
