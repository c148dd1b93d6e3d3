"""``logging``: loggers, levels and ``basicConfig`` as CPython's, per session.

What a handler would write to stderr goes to the run's printed lines, formatted as CPython's
default handler formats it: after ``basicConfig(...)`` (or the first module-level
``logging.info(...)``, which calls it) with its ``format`` (``%(levelname)s:%(name)s:%(message)s``
by default), and with no configuration at all through CPython's "last resort" (the message
alone, ``WARNING`` and above). Levels, the logger tree (``getLogger("a.b")`` under ``a``),
``setLevel``, ``propagate`` and %-formatting of ``msg % args`` are CPython's. The loggers and
the configuration are the session's (``Environment.logging``), never the process's. Handlers,
filters, files and streams (``filename=``, ``stream=``, ``addHandler``) are not in the language.
"""

from __future__ import annotations

import re
import time
from typing import Any

from .errors import ProgramError
from .runtime import RunState
from .values import LIBRARY_CLASS_MODULES, BuiltinFunction, NativeMethod, UserClass, new_instance

LEVELS = {"CRITICAL": 50, "FATAL": 50, "ERROR": 40, "WARNING": 30, "WARN": 30, "INFO": 20,
          "DEBUG": 10, "NOTSET": 0}
_NAMES = {50: "CRITICAL", 40: "ERROR", 30: "WARNING", 20: "INFO", 10: "DEBUG", 0: "NOTSET"}
BASIC_FORMAT = "%(levelname)s:%(name)s:%(message)s"
_FIELD = re.compile(r"%\((\w+)\)")
_FIELDS = frozenset({"name", "levelname", "levelno", "message", "asctime", "msecs", "created",
                     "relativeCreated"})
_STARTED = time.time()


class _State:
    """A session's logging: its loggers by name and the root handler's format (None: none)."""

    __slots__ = ("loggers", "format", "datefmt")

    def __init__(self) -> None:
        self.loggers: dict[str, Any] = {}
        self.format: str | None = None
        self.datefmt: str | None = None


def _state(rs: RunState) -> _State:
    env = rs.env
    if env.logging is None:
        env.logging = _State()
    return env.logging


def _level(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise ProgramError(f"Level not an integer or a valid string: {value!r}",
                           exception="TypeError")
    if isinstance(value, str):
        if value not in LEVELS:
            raise ProgramError(f"Unknown level: {value!r}", exception="ValueError")
        return LEVELS[value]
    return value


def _get_logger(rs: RunState, name: Any = None) -> Any:
    if name is not None and not isinstance(name, str):
        raise ProgramError("A logger name must be a string", exception="TypeError")
    name = "root" if not name else name
    state = _state(rs)
    logger = state.loggers.get(name)
    if logger is None:
        logger = new_instance(LOGGER)
        logger.attrs.update(name=name, level=30 if name == "root" else 0, propagate=True,
                            disabled=False)
        state.loggers[name] = logger
    return logger


def _effective(rs: RunState, logger: Any) -> int:
    name = logger.attrs["name"]
    loggers = _state(rs).loggers
    while True:
        found = loggers.get(name)
        if found is not None and found.attrs.get("level"):
            return found.attrs["level"]
        if name == "root":
            return 30 if found is None else 0  # the root's own level: WARNING until set
        name = name.rpartition(".")[0] or "root"


def _has_handler(rs: RunState, logger: Any) -> bool:
    """Whether the record reaches the root's handler (only the root has one)."""
    state = _state(rs)
    name = logger.attrs["name"]
    while name != "root":
        found = state.loggers.get(name)
        if found is not None and not found.attrs.get("propagate", True):
            return False
        name = name.rpartition(".")[0] or "root"
    return state.format is not None


def _emit(rs: RunState, logger: Any, level: int, msg: Any, args: tuple,
          kwargs: dict) -> None:
    from .builtins import percent_format, to_str

    unknown = set(kwargs) - {"extra"}
    if unknown:
        raise ProgramError(f"logging: {sorted(unknown)[0]}= is not supported",
                           exception="NotImplementedError")
    if logger.attrs.get("disabled") or level < _effective(rs, logger):
        return
    message = to_str(rs, msg)
    if args:
        values = args[0] if len(args) == 1 and isinstance(args[0], dict) and args[0] else args
        message = percent_format(rs, message, values)
    state = _state(rs)
    if _has_handler(rs, logger):
        created = time.time()
        record = {"name": logger.attrs["name"], "levelname": _NAMES.get(level, f"Level {level}"),
                  "levelno": level, "message": message, "created": created,
                  "msecs": (created - int(created)) * 1000,
                  "relativeCreated": (created - _STARTED) * 1000, **(kwargs.get("extra") or {})}
        if "%(asctime)" in state.format:
            record["asctime"] = _asctime(created, state.datefmt)
        rs.write(percent_format(rs, state.format, record), "\n")
    elif level >= 30:  # CPython's last resort: the message alone
        rs.write(message, "\n")


def _asctime(created: float, datefmt: str | None) -> str:
    local = time.localtime(created)
    if datefmt:
        return time.strftime(datefmt, local)
    return time.strftime("%Y-%m-%d %H:%M:%S", local) + f",{int((created % 1) * 1000):03d}"


def _basic_config(rs: RunState, **kwargs: Any) -> None:
    state = _state(rs)
    force = kwargs.pop("force", False)
    if state.format is not None and not force:
        return
    for refused in ("filename", "filemode", "stream", "handlers", "encoding", "errors"):
        if refused in kwargs:
            raise ProgramError(f"logging.basicConfig({refused}=...) is not supported: log lines "
                               "go to the run's printed lines", exception="NotImplementedError")
    fmt = kwargs.pop("format", BASIC_FORMAT)
    datefmt = kwargs.pop("datefmt", None)
    style = kwargs.pop("style", "%")
    level = kwargs.pop("level", None)
    if kwargs:
        raise ProgramError("Unrecognised argument(s): " + ", ".join(kwargs),
                           exception="ValueError")
    if style != "%":
        raise ProgramError("logging.basicConfig(style=...) other than '%' is not supported",
                           exception="NotImplementedError")
    if not isinstance(fmt, str):
        raise ProgramError("format must be a string", exception="TypeError")
    for field in _FIELD.findall(fmt):
        if field not in _FIELDS:
            raise ProgramError(f"logging format field %({field})s is not supported",
                               exception="NotImplementedError")
    state.format, state.datefmt = fmt, datefmt
    if level is not None:
        _get_logger(rs).attrs["level"] = _level(level)


def _module_level(level: int) -> Any:
    def log(rs: RunState, msg: Any, *args: Any, **kwargs: Any) -> None:
        if _state(rs).format is None:
            _basic_config(rs)
        _emit(rs, _get_logger(rs), level, msg, args, kwargs)
    return log


def _method(level: int) -> Any:
    def log(rs: RunState, self: Any, msg: Any, *args: Any, **kwargs: Any) -> None:
        _emit(rs, self, level, msg, args, kwargs)
    return log


def _log(rs: RunState, self: Any, level: Any, msg: Any, *args: Any, **kwargs: Any) -> None:
    _emit(rs, self, _level(level), msg, args, kwargs)


def _set_level(rs: RunState, self: Any, level: Any) -> None:
    self.attrs["level"] = _level(level)


def _get_effective_level(rs: RunState, self: Any) -> int:
    return _effective(rs, self)


def _is_enabled_for(rs: RunState, self: Any, level: Any) -> bool:
    return _level(level) >= _effective(rs, self)


def _repr(rs: RunState, self: Any) -> str:
    level = _effective(rs, self)
    return f"<{'RootLogger' if self.attrs['name'] == 'root' else 'Logger'} " \
        f"{self.attrs['name']} ({_NAMES.get(level, f'Level {level}')})>"


def _level_name(rs: RunState, level: Any) -> Any:
    if isinstance(level, str):
        return LEVELS.get(level, f"Level {level}")
    return _NAMES.get(level, f"Level {level}")


LIBRARY_CLASS_MODULES["Logger"] = "logging."
LOGGER = UserClass("Logger", "Logger", (), {
    "debug": NativeMethod("debug", _method(10)), "info": NativeMethod("info", _method(20)),
    "warning": NativeMethod("warning", _method(30)), "warn": NativeMethod("warn", _method(30)),
    "error": NativeMethod("error", _method(40)),
    "critical": NativeMethod("critical", _method(50)), "log": NativeMethod("log", _log),
    "setLevel": NativeMethod("setLevel", _set_level),
    "getEffectiveLevel": NativeMethod("getEffectiveLevel", _get_effective_level),
    "isEnabledFor": NativeMethod("isEnabledFor", _is_enabled_for),
    "__repr__": NativeMethod("__repr__", _repr)}, builtin=True)

LOGGING: dict[str, Any] = {
    **{name: value for name, value in LEVELS.items()},
    "basicConfig": BuiltinFunction("basicConfig", _basic_config),
    "getLogger": BuiltinFunction("getLogger", _get_logger),
    "getLevelName": BuiltinFunction("getLevelName", _level_name),
    "BASIC_FORMAT": BASIC_FORMAT, "Logger": LOGGER,
    **{name.lower(): BuiltinFunction(name.lower(), _module_level(LEVELS[name]))
       for name in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")},
    "warn": BuiltinFunction("warn", _module_level(30)),
}
