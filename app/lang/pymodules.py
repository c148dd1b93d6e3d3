"""The safe ``math``, ``random``, ``functools`` and ``copy`` modules (and ``numpy``'s
constants).

``math`` is Python's, function by function, with the integer functions that can build huge
numbers (``factorial``, ``comb``, ``perm``, ``prod``) guarded. ``random`` is CPython's
(:mod:`app.lang.pyrandom`): after ``random.seed(n)`` a program draws CPython's numbers; unseeded,
the session's generator is seeded from the session's seed, so a run is reproducible, and a
durable session replays (or restores) the same draws.
"""

from __future__ import annotations

import copy
import math
import random
import re
import string
import time
import unicodedata
from collections.abc import Callable
from typing import Any

from . import dataclass_module, npmod, pyrandom, run_warnings
from .checkpoints import IO, OS, OS_PATH, pickle_module
from .errors import ProgramError
from .exceptions import LIBRARY_EXCEPTIONS
from .guards import int_guard, size_guard
from .methods import materialize
from .pyabc import ABC_MODULE
from .pycollections import COLLECTIONS, NAMED_TUPLE
from .pycontextlib import CONTEXTLIB
from .pyfunctools import FUNCTOOLS_MORE
from .pyitertools import ITERTOOLS
from .pyjson import JSON
from .pylogging import LOGGING
from .pyoperator import HEAPQ, OPERATOR
from .pysys import SYS
from .runtime import RunState
from .values import BuiltinFunction, BuiltinType, Partial, ShownBuiltin

_FLOAT_FUNCTIONS = (
    "sqrt", "exp", "exp2", "log2", "log10", "log1p", "expm1", "sin", "cos", "tan", "asin",
    "acos", "atan", "atan2", "sinh", "cosh", "tanh", "asinh", "acosh", "atanh", "floor",
    "ceil", "trunc", "fabs", "pow", "isfinite", "isinf", "isnan", "isclose", "fsum", "gcd",
    "lcm", "hypot", "degrees", "radians", "copysign", "fmod", "modf", "frexp", "ldexp",
    "erf", "erfc", "gamma", "lgamma", "dist", "isqrt", "remainder", "nextafter", "ulp",
    "cbrt",
)


def _plain(fn: Callable[..., Any]) -> Callable[..., Any]:
    return lambda rs, *args, **kwargs: fn(*args, **kwargs)


def _log(rs: RunState, x: Any, base: Any = math.e) -> float:
    return math.log(x, base)


def _factorial(rs: RunState, n: Any) -> int:
    if isinstance(n, int) and n > 2:
        int_guard(rs, int(n * math.log2(n)))
    return math.factorial(n)


def _comb(rs: RunState, n: Any, k: Any) -> int:
    if isinstance(n, int):
        int_guard(rs, n)
    return math.comb(n, k)


def _perm(rs: RunState, n: Any, k: Any = None) -> int:
    if isinstance(n, int) and n > 2:
        int_guard(rs, int((n if k is None else k) * math.log2(n)))
    return math.perm(n, k)


def _prod(rs: RunState, iterable: Any, *, start: Any = 1) -> Any:
    from .builtins import py_mul

    total = start
    for item in materialize(rs, iterable, "math.prod()"):
        total = py_mul(rs, total, item)
    return total


MATH: dict[str, Any] = {name: BuiltinFunction(name, _plain(getattr(math, name)))
                        for name in _FLOAT_FUNCTIONS if hasattr(math, name)}
MATH.update({
    "log": BuiltinFunction("log", _log), "factorial": BuiltinFunction("factorial", _factorial),
    "comb": BuiltinFunction("comb", _comb), "perm": BuiltinFunction("perm", _perm),
    "prod": BuiltinFunction("prod", _prod),
    "pi": math.pi, "e": math.e, "tau": math.tau, "inf": math.inf, "nan": math.nan,
})


# --------------------------------------------------------------------------- random

def _module_function(name: str, fn: Callable[..., Any]) -> ShownBuiltin:
    """``random.<name>``: the method of the session's generator (:mod:`app.lang.pyrandom`),
    shown as CPython shows it (a method of its hidden ``Random``), without the address."""
    def call(rs: RunState, *args: Any, **kwargs: Any) -> Any:
        g = pyrandom.session_random(rs)
        try:
            return fn(g, *args, **kwargs)
        finally:
            pyrandom.charge(rs, g)
    text = re.sub(r" at 0x[0-9a-fA-F]+", "", repr(getattr(random, name)))
    return ShownBuiltin(name, call, text)


def _new_random(rs: RunState, x: Any = None) -> pyrandom.Random:
    g = pyrandom.Random()
    try:
        pyrandom.seed(g, x)
    finally:
        pyrandom.charge(rs, g)
    return g


_new_random.__qualname__ = "Random.__init__"  # its argument errors read as CPython's
RANDOM: dict[str, Any] = {name: _module_function(name, fn)
                          for name, fn in pyrandom.METHODS.items()}
RANDOM["Random"] = BuiltinType("Random", _new_random, pyrandom.Random)

#: ``numpy``: NumPy's subset in :mod:`app.lang.npmod` (anything else is "numpy.X is not
#: supported").
NUMPY: dict[str, Any] = npmod.NUMPY

# --------------------------------------------------------------------------- functools

def _partial(rs: RunState, func: Any, /, *args: Any, **keywords: Any) -> Partial:
    from .builtins import _callable

    if not _callable(rs, func):
        raise ProgramError("the first argument must be callable", exception="TypeError")
    return Partial(func, args, keywords)


_NO_INITIAL = object()


def _reduce(rs: RunState, function: Any, iterable: Any, initial: Any = _NO_INITIAL) -> Any:
    from .objects import call_value

    items = iter(materialize(rs, iterable, "reduce()"))
    value = initial
    if value is _NO_INITIAL:
        try:
            value = next(items)
        except StopIteration:
            raise ProgramError("reduce() of empty iterable with no initial value",
                               exception="TypeError") from None
    for item in items:
        value = call_value(rs, function, (value, item), {})
    return value


FUNCTOOLS: dict[str, Any] = {"partial": BuiltinFunction("partial", _partial),
                             "reduce": BuiltinFunction("reduce", _reduce), **FUNCTOOLS_MORE}

# --------------------------------------------------------------------------- copy

def _deepcopy(rs: RunState, x: Any, memo: Any = None) -> Any:
    """``copy.deepcopy``: Python's, over what programs hold (tensors copy as torch's do:
    leaves only; modules, optimizers and containers member by member; functions and classes
    are themselves)."""
    if memo is not None:
        raise ProgramError("copy.deepcopy(): the memo argument is not supported",
                           exception="TypeError")
    return copy.deepcopy(x)


def _copy(rs: RunState, x: Any) -> Any:
    """``copy.copy``: Python's shallow copy (a tensor's copy shares its storage, as torch's)."""
    return copy.copy(x)


COPY: dict[str, Any] = {"deepcopy": BuiltinFunction("deepcopy", _deepcopy),
                        "copy": BuiltinFunction("copy", _copy)}

# --------------------------------------------------------------------------- typing

class TypingForm:
    """A ``typing`` name (``List``, ``Optional[int]`` ...): what annotations and type aliases
    are made of. Annotations are not evaluated (the compiler drops them), so a program meets
    these only in ``from typing import ...`` and aliases (``Batch = Tuple[Tensor, Tensor]``):
    they subscript and print as Python's, and do nothing else."""

    __slots__ = ("name", "args")

    def __init__(self, name: str, args: tuple = ()) -> None:
        self.name, self.args = name, args

    def __getitem__(self, args: Any) -> TypingForm:
        if self.args or self.name.startswith("~"):
            raise ProgramError(f"{self!r} is not a generic class", exception="TypeError")
        args = args if isinstance(args, tuple) else (args,)
        if self.name == "Union" and len(args) == 2 and None in args:  # as typing shows it
            return TypingForm("Optional", tuple(a for a in args if a is not None))
        return TypingForm(self.name, args)

    def __eq__(self, other: object) -> bool:
        return type(other) is TypingForm and (other.name, other.args) == (self.name, self.args)

    def __hash__(self) -> int:
        return hash((self.name, self.args))

    def __repr__(self) -> str:
        if self.name.startswith("~"):  # a TypeVar
            return self.name
        if not self.args:
            return f"typing.{self.name}"
        return f"typing.{self.name}[{', '.join(_type_text(a) for a in self.args)}]"


TypingForm.__name__ = TypingForm.__qualname__ = "_GenericAlias"


def _type_text(value: Any) -> str:
    """A type as ``typing`` prints it inside brackets (``int``, ``torch.Tensor``)."""
    from .builtins import torch_repr

    if value is None or value is type(None):
        return "NoneType"
    if isinstance(value, list):
        return "[" + ", ".join(_type_text(v) for v in value) + "]"
    text = torch_repr(value)
    if text.startswith("<class '") and text.endswith("'>"):
        return text[8:-2]
    return text


def _cast(rs: RunState, typ: Any, value: Any) -> Any:
    return value


def _type_var(rs: RunState, name: Any, *constraints: Any, **kwargs: Any) -> TypingForm:
    if not isinstance(name, str):
        raise ProgramError("TypeVar name must be a string", exception="TypeError")
    return TypingForm(f"~{name}")


TYPING: dict[str, Any] = {name: TypingForm(name) for name in (
    "Any", "List", "Dict", "Tuple", "Set", "FrozenSet", "Optional", "Union", "Callable",
    "Iterable", "Iterator", "Sequence", "Mapping", "MutableMapping", "Type", "Generator",
    "Literal", "Final", "ClassVar", "DefaultDict", "Deque", "Counter", "OrderedDict")}
TYPING.update({"cast": BuiltinFunction("cast", _cast),
               "TypeVar": BuiltinFunction("TypeVar", _type_var), "TYPE_CHECKING": False,
               "NamedTuple": NAMED_TUPLE})

DATACLASSES = dataclass_module.module(LIBRARY_EXCEPTIONS["FrozenInstanceError"])

# --------------------------------------------------------------------------- warnings

#: Python's filter actions. Warnings a run issues are in its reply's ``"warnings"``
#: (:mod:`app.lang.run_warnings`), filtered by the session's filters as Python's filters do;
#: "error" (warnings raised as exceptions) would change control flow and is refused rather
#: than ignored.
_WARNING_ACTIONS = ("error", "ignore", "always", "all", "default", "module", "once")


def _check_action(action: Any) -> None:
    """CPython's first check of a filter's action (its checks are asserts)."""
    if action not in _WARNING_ACTIONS:
        raise ProgramError(f"invalid action: {action!r}", exception="AssertionError")


def _refuse_error_action(action: Any) -> None:
    """The language's own refusal, once CPython's checks have passed: the "error" action
    would raise warnings as exceptions, and a session raises none."""
    if action == "error":
        raise ProgramError("warnings.filterwarnings/simplefilter('error') is not supported: "
                           "warnings are not raised as exceptions in a session",
                           exception="NotImplementedError")


def _check_lineno(lineno: Any) -> None:
    if not isinstance(lineno, int) or lineno < 0:
        raise ProgramError("lineno must be an int >= 0", exception="AssertionError")


_WARNING = object()  # filterwarnings' default category (Warning)


def _filter_category(category: Any) -> Any:
    """A filter's category as the session keeps it: a builtin class by name, a program's
    class itself."""
    return category.name if category.builtin else category


def _filterwarnings(rs: RunState, action: Any, message: Any = "", category: Any = _WARNING,
                    module: Any = "", lineno: Any = 0, append: Any = False) -> None:
    import re

    from .exceptions import BUILTIN_EXCEPTIONS
    from .values import BuiltinType, UserClass

    _check_action(action)
    if not isinstance(message, str):
        raise ProgramError("message must be a string", exception="AssertionError")
    if category is not _WARNING:
        if not isinstance(category, (UserClass, BuiltinType)):  # ``int`` is a class too
            raise ProgramError("category must be a class", exception="AssertionError")
        if not isinstance(category, UserClass) or \
                BUILTIN_EXCEPTIONS["Warning"] not in category.mro:
            raise ProgramError("category must be a Warning subclass",
                               exception="AssertionError")
    if not isinstance(module, str):
        raise ProgramError("module must be a string", exception="AssertionError")
    _check_lineno(lineno)
    _refuse_error_action(action)
    for pattern in (message, module):
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ProgramError(str(exc), exception="error") from None
    run_warnings.add_filter(rs, (action, message, "Warning" if category is _WARNING else
                                 _filter_category(category), module, lineno), bool(append))


def _simplefilter(rs: RunState, action: Any, category: Any = None, lineno: Any = 0,
                  append: Any = False) -> None:
    from .exceptions import BUILTIN_EXCEPTIONS
    from .values import UserClass

    _check_action(action)
    _check_lineno(lineno)
    _refuse_error_action(action)
    if category is None:
        category = BUILTIN_EXCEPTIONS["Warning"]
    if not isinstance(category, UserClass):  # CPython takes it; no warning's class matches
        category = UserClass("?", "?", (), {})
    run_warnings.add_filter(rs, (action, "", _filter_category(category), "", lineno),
                            bool(append))


def _resetwarnings(rs: RunState) -> None:
    run_warnings.reset_filters(rs)


def _warn(rs: RunState, message: Any, category: Any = None, stacklevel: Any = 1,
          source: Any = None) -> None:
    from .exceptions import BUILTIN_EXCEPTIONS, exception_str, is_exception
    from .values import UserClass

    if is_exception(message) and BUILTIN_EXCEPTIONS["Warning"] in message.cls.mro:
        run_warnings.issue(rs, message.cls, exception_str(message))
        return None
    if category is not None and not (isinstance(category, UserClass) and
                                     BUILTIN_EXCEPTIONS["Warning"] in category.mro):
        kind = "type" if isinstance(category, UserClass) else type(category).__name__
        raise ProgramError(f"category must be a Warning subclass, not '{kind}'",
                           exception="TypeError")
    text = message if isinstance(message, str) else _str_of(rs, message)
    run_warnings.issue(rs, category or BUILTIN_EXCEPTIONS["UserWarning"], text)
    return None


def _str_of(rs: RunState, value: Any) -> str:
    from .builtins import to_str

    return to_str(rs, value)


WARNINGS: dict[str, Any] = {
    name: BuiltinFunction(name, fn) for name, fn in (
        ("filterwarnings", _filterwarnings), ("simplefilter", _simplefilter),
        ("resetwarnings", _resetwarnings), ("warn", _warn))}
WARNINGS["catch_warnings"] = run_warnings.CATCH_WARNINGS

# --------------------------------------------------------------------------- string

#: ``import string``: Python's character-class constants (plain strings: ``all_letters =
#: string.ascii_letters + " .,;'"`` in PyTorch's char-RNN tutorials). Its functions and classes
#: (``capwords``, ``Template``, ``Formatter``) are not in the language ("... is not supported").
STRING: dict[str, Any] = {name: getattr(string, name) for name in (
    "ascii_letters", "ascii_lowercase", "ascii_uppercase", "digits", "hexdigits", "octdigits",
    "punctuation", "printable", "whitespace")}

# --------------------------------------------------------------------------- time

#: ``import time``: the clocks (training loops print elapsed time) and ``sleep``, bounded by
#: the run's time limit. Dates and formatting (``strftime``, ``localtime`` ...) are not in
#: the language ("time.strftime is not supported").
_CLOCKS = {name: getattr(time, name) for name in (
    "time", "time_ns", "perf_counter", "perf_counter_ns", "monotonic", "monotonic_ns",
    "process_time", "process_time_ns")}


def _clock(name: str) -> BuiltinFunction:
    read = _CLOCKS[name]

    def run(rs: RunState, *args: Any, **kwargs: Any) -> Any:
        if kwargs:
            raise ProgramError(f"time.{name}() takes no keyword arguments",
                               exception="TypeError")
        if args:
            raise ProgramError(f"time.{name}() takes no arguments ({len(args)} given)",
                               exception="TypeError")
        return read()

    return BuiltinFunction(name, run)


def _sleep(rs: RunState, *args: Any, **kwargs: Any) -> None:
    """CPython's checks, then a sleep that ends the run at its time limit."""
    from .values import type_name

    if kwargs:
        raise ProgramError("time.sleep() takes no keyword arguments", exception="TypeError")
    if len(args) != 1:
        raise ProgramError(f"time.sleep() takes exactly one argument ({len(args)} given)",
                           exception="TypeError")
    (secs,) = args
    if not isinstance(secs, (int, float)):
        raise ProgramError(f"'{type_name(secs)}' object cannot be interpreted as an integer",
                           exception="TypeError")
    if secs != secs:
        raise ProgramError("Invalid value NaN (not a number)", exception="ValueError")
    if secs < 0:
        raise ProgramError("sleep length must be non-negative", exception="ValueError")
    left = rs.deadline - time.perf_counter()
    if secs < left:
        time.sleep(secs)
        return
    time.sleep(max(left, 0.0))
    limits = rs.limits
    raise rs.limit_error(f"the run took longer than {limits.timeout_s} s (timeout_s)",
                         "timeout_s", limits.timeout_s)


TIME: dict[str, Any] = {name: _clock(name) for name in _CLOCKS}
TIME["sleep"] = BuiltinFunction("sleep", _sleep)

# --------------------------------------------------------------------------- unicodedata

#: ``import unicodedata``: ``normalize`` and ``category`` (the char-RNN tutorials'
#: ``unicodeToAscii``), with CPython's argument checks; a normalized string is at most 18
#: times its input (NFKD of one character), checked against ``max_value_elements`` first.
_FORMS = ("NFC", "NFD", "NFKC", "NFKD")


def _normalize(rs: RunState, *args: Any, **kwargs: Any) -> str:
    from .values import type_name

    if kwargs:
        raise ProgramError("unicodedata.normalize() takes no keyword arguments",
                           exception="TypeError")
    if len(args) != 2:
        raise ProgramError(f"normalize expected 2 arguments, got {len(args)}",
                           exception="TypeError")
    form, text = args
    for i, value in enumerate(args, 1):
        if not isinstance(value, str):
            raise ProgramError(f"normalize() argument {i} must be str, not {type_name(value)}",
                               exception="TypeError")
    if form not in _FORMS:
        raise ProgramError("invalid normalization form", exception="ValueError")
    size_guard(rs, 18 * len(text), "unicodedata.normalize's result")
    return unicodedata.normalize(form, text)


def _category(rs: RunState, *args: Any, **kwargs: Any) -> str:
    from .values import type_name

    if kwargs:
        raise ProgramError("unicodedata.category() takes no keyword arguments",
                           exception="TypeError")
    if len(args) != 1:
        raise ProgramError(f"unicodedata.category() takes exactly one argument ({len(args)} "
                           "given)", exception="TypeError")
    (char,) = args
    if not isinstance(char, str) or len(char) != 1:
        raise ProgramError("category() argument must be a unicode character, not "
                           f"{type_name(char)}", exception="TypeError")
    return unicodedata.category(char)


UNICODEDATA: dict[str, Any] = {"normalize": BuiltinFunction("normalize", _normalize),
                               "category": BuiltinFunction("category", _category)}

MODULES = {"math": MATH, "random": RANDOM, "numpy": NUMPY, "functools": FUNCTOOLS,
           "copy": COPY, "collections": COLLECTIONS, "typing": TYPING, "itertools": ITERTOOLS,
           "dataclasses": DATACLASSES, "warnings": WARNINGS, "string": STRING,
           "time": TIME, "unicodedata": UNICODEDATA, "json": JSON, "heapq": HEAPQ,
           "operator": OPERATOR, **npmod.SUBMODULES,
           "os": OS, "os.path": OS_PATH, "io": IO, "pickle": pickle_module(), "sys": SYS,
           "contextlib": CONTEXTLIB, "abc": ABC_MODULE,
           "logging": LOGGING}
