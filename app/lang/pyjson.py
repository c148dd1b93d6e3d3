"""The safe ``json`` module: ``dumps`` and ``loads`` of plain data (``print(json.dumps(metrics))``).

Both are CPython's own ``json`` over what the program gives them; nothing reaches files
(``dump``/``load`` take file objects and are not in the language: "json.dump is not
supported"). ``dumps`` runs CPython's pure-Python encoder lazily, one chunk at a time: each
chunk is a step of the run and the text so far is held to ``max_value_elements`` as it grows,
so shared sublists (``[[x] * 1000] * 1000``) cannot build a huge string before the check. A
program's ``default=`` and ``loads``' hooks (``object_hook``, ``parse_float`` ...) are called
through the interpreter under the run's budget. A value ``dumps`` cannot encode is CPython's
``TypeError`` naming the type as ``type(x).__name__`` shows it (``Tensor``, ``ndarray``, a
program's class); a malformed text is ``json.JSONDecodeError`` (a ``ValueError``), with
CPython's text.
"""

from __future__ import annotations

import json
from typing import Any

from .errors import ProgramError
from .exceptions import LIBRARY_EXCEPTIONS
from .guards import size_guard
from .runtime import RunState, current_rs
from .values import BuiltinFunction

#: ``indent`` wider than this is refused as too long (every line of a nested value repeats it).
_MAX_INDENT = 1000
#: CPython's pure-Python encoder adds the value (": inf"); ``dumps`` without ``indent`` runs
#: its C encoder, which does not.
_OUT_OF_RANGE = "Out of range float values are not JSON compliant: "
_LOADS_HOOKS = ("object_hook", "parse_float", "parse_int", "parse_constant", "object_pairs_hook")


def _caller(func: Any) -> Any:
    from .objects import call_value

    return lambda *args: call_value(current_rs(), func, args, {})


def _refuse_cls(fn: str, cls: Any) -> None:
    if cls is not None:
        raise ProgramError(f"json.{fn}(): the cls argument (an encoder or decoder class) is not "
                           "supported", exception="NotImplementedError")


def _type_name(value: Any) -> str:
    from .builtins import class_of
    from .objects import name_of

    return name_of(class_of(value))


def _dumps(rs: RunState, obj: Any, *, skipkeys: Any = False, ensure_ascii: Any = True,
           check_circular: Any = True, allow_nan: Any = True, cls: Any = None,
           indent: Any = None, separators: Any = None, default: Any = None,
           sort_keys: Any = False, **kw: Any) -> str:
    _refuse_cls("dumps", cls)
    if isinstance(indent, int) and not isinstance(indent, bool) and indent > _MAX_INDENT or \
            isinstance(indent, str) and len(indent) > _MAX_INDENT:
        width = indent if isinstance(indent, int) else len(indent)
        raise rs.limit_error(f"json.dumps' indent would be {width} characters wide, over the "
                             f"limit of {_MAX_INDENT} (max_value_elements)",
                             "max_value_elements", rs.limits.max_value_elements)
    if default is None:
        def fallback(o: Any) -> Any:
            raise ProgramError(f"Object of type {_type_name(o)} is not JSON serializable",
                               exception="TypeError")
    else:
        fallback = _caller(default)
    encoder = json.JSONEncoder(skipkeys=skipkeys, ensure_ascii=ensure_ascii,
                               check_circular=check_circular, allow_nan=allow_nan,
                               indent=indent, separators=separators, default=fallback,
                               sort_keys=sort_keys, **kw)
    chunks: list[str] = []
    size = 0
    try:
        for chunk in encoder.iterencode(obj):  # the pure-Python encoder: lazy, by chunks
            rs.step()
            size += len(chunk)
            size_guard(rs, size, "json.dumps' text")
            chunks.append(chunk)
    except ValueError as exc:
        text = str(exc)
        if indent is None and text.startswith(_OUT_OF_RANGE):  # CPython's C encoder's text
            raise ProgramError(_OUT_OF_RANGE.rstrip(": "), exception="ValueError") from None
        raise
    return "".join(chunks)


def _loads(rs: RunState, s: Any, *, cls: Any = None, **kw: Any) -> Any:
    _refuse_cls("loads", cls)
    for name in _LOADS_HOOKS:
        if kw.get(name) is not None:
            kw[name] = _caller(kw[name])
    if isinstance(s, (str, bytes, bytearray)):
        rs.step()
    try:
        return json.loads(s, **kw)
    except json.JSONDecodeError as exc:
        raise ProgramError(str(exc), exception="JSONDecodeError") from None


JSON: dict[str, Any] = {"dumps": BuiltinFunction("dumps", _dumps),
                        "loads": BuiltinFunction("loads", _loads),
                        # what a malformed text raises (a ValueError)
                        "JSONDecodeError": LIBRARY_EXCEPTIONS["JSONDecodeError"]}
