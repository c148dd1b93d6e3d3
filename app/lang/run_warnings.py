"""The warnings a run issues, collected for its reply (a run's ``"warnings"``).

Python writes a warning to stderr (``<file>:5: UserWarning: The .grad attribute of a Tensor
that is not a leaf Tensor is being accessed ...``), never to stdout, so a run's ``printed``
(its stdout) has none; the reply carries them in their own list instead, one
``{"category", "message", "pointer", "line"}`` each (``pointer``: the program's statement that
issued it, the innermost one in this run's program as an error's location; ``line`` when
the run has its source).

Two sources: a program's own ``warnings.warn`` (:func:`issue`, from ``pymodules``) and the
engine's (torch's texts: the engine calls Python's ``warnings.warn``). Python's
``warnings.warn`` is wrapped once, when this module is imported: outside a run it is
Python's own, unchanged; inside one (``runtime.CURRENT``, a context variable, so runs on
other threads never see each other's) the warning goes to that run and nowhere else. No
process-wide filter or registry is touched (``warnings.catch_warnings`` swaps those for every
thread at once).

Which warnings are kept follows Python's filters as a session's programs set them
(``warnings.filterwarnings``, ``simplefilter``, ``resetwarnings``: the session's
``Environment.warning_filters``, newest first, in front of Python's default filters), the
program being ``__main__``: "ignore" drops a warning, "always"/"all" keep each one, "default"
keeps the first per (text, category, statement) and "module"/"once" the first per (text,
category), counted per run. NumPy's own ``RuntimeWarning``s (issued from C, not through
``warnings.warn``) are not collected.
"""

from __future__ import annotations

import re
import sys
import warnings
from typing import Any

from .runtime import CURRENT, RunState

#: Python 3.11's default filters as they apply to ``__main__`` (no ``-W`` options):
#: (action, message, category, module, lineno), newest first.
DEFAULT_FILTERS: tuple[tuple[str, str, str, str, int], ...] = (
    ("default", "", "DeprecationWarning", "__main__", 0),
    ("ignore", "", "DeprecationWarning", "", 0),
    ("ignore", "", "PendingDeprecationWarning", "", 0),
    ("ignore", "", "ImportWarning", "", 0),
    ("ignore", "", "ResourceWarning", "", 0),
)
#: At most this many warnings in one reply (a loop that warns each time under "always").
MAX_WARNINGS = 100

_python_warn = warnings.warn


def _category_names(category: Any) -> tuple[str, ...]:
    """The names along a category's MRO: a language class's or a Python class's."""
    mro = getattr(category, "mro", None)
    if isinstance(mro, tuple):  # a language class (app.lang.values.UserClass)
        return tuple(cls.name for cls in mro)
    if isinstance(category, type):
        return tuple(cls.__name__ for cls in category.__mro__)
    return ()


def _action(rs: RunState, names: tuple[str, ...], text: str, lineno: int) -> str:
    """The action of the first filter that matches, as ``warnings.warn_explicit`` finds it."""
    filters = rs.env.warning_filters
    for action, message, category, module, line in (
            DEFAULT_FILTERS if filters is None else filters):
        wanted = category if isinstance(category, str) else category.name
        if (not message or re.match(message, text, re.IGNORECASE)) and wanted in names and \
                (not module or re.match(module + r"\Z", "__main__")) and \
                (not line or line == lineno):
            return action
    return "default"


def issue(rs: RunState, category: Any, text: str) -> None:
    """Record a warning of ``category`` (a language or Python Warning class) issued now."""
    names = _category_names(category)
    pointer = _pointer(rs)
    lineno = _positions(rs).get(pointer, (0, 0))[0] if pointer is not None else 0
    action = _action(rs, names, text, lineno)
    if action == "ignore":
        return
    name = names[0] if names else "UserWarning"
    if action in ("default", "module", "once"):
        key = (text, name, pointer if action == "default" else None)
        if key in rs.warned:
            return
        rs.warned.add(key)
    if len(rs.warnings) >= MAX_WARNINGS:
        return
    rs.printed_chars += len(text)  # a warning's text counts as printed output (stderr's)
    limit = rs.limits.max_value_elements
    if rs.printed_chars > limit:
        raise rs.limit_error(f"the printed output and warnings would have {rs.printed_chars} "
                             f"characters, over the limit of {limit} (max_value_elements)",
                             "max_value_elements", limit)
    record: dict[str, Any] = {"category": name, "message": text}
    if pointer is not None:
        record["pointer"] = pointer
        if lineno:
            record["line"] = lineno
    rs.warnings.append(record)


def _positions(rs: RunState) -> dict[str, tuple[int, int]]:
    """The run's statement pointers -> (line, col) (none without its source)."""
    if rs.positions is None:
        from .compiler import compile_source_with_positions
        from .errors import LangError

        try:
            rs.positions = compile_source_with_positions(rs.source, rs.limits)[1] \
                if rs.source is not None else {}
        except LangError:
            rs.positions = {}
    return rs.positions


def _pointer(rs: RunState) -> str | None:
    """The statement of this run's program running now: the innermost statement closure
    (its ``unit`` and ``pointer``, what an error's location comes from) of the run's unit."""
    frame: Any = sys._getframe(2)
    while frame is not None:
        free = frame.f_code.co_freevars
        if "pointer" in free and "unit" in free:
            names = frame.f_locals
            if names.get("unit") == rs.unit:
                return names.get("pointer")
        frame = frame.f_back
    return None


def _warn(message: Any, category: Any = None, stacklevel: int = 1, source: Any = None) -> None:
    """Python's ``warnings.warn``, or, inside a run, the run's collector."""
    rs = CURRENT.get()
    if rs is None or rs.unit is None:
        _python_warn(message, category, stacklevel + 1, source)
        return
    if isinstance(message, Warning):
        category, text = type(message), str(message)
    else:
        category, text = category or UserWarning, str(message)
    issue(rs, category, text)


def install() -> None:
    """Wrap Python's ``warnings.warn`` (once; outside runs it stays Python's). A module of the
    engine or the service that bound it under another name before (``from warnings import
    warn``) gets the wrapper too; one imported later reads the wrapper itself."""
    warnings.warn = _warn
    for name, module in list(sys.modules.items()):
        if module is None or name == __name__ or not name.startswith(("engine.", "app.")) \
                and name not in ("engine", "app"):
            continue
        for attr, value in list(vars(module).items()):
            if value is _python_warn:
                setattr(module, attr, _warn)


def add_filter(rs: RunState, entry: tuple, append: bool) -> None:
    """``warnings.filterwarnings``/``simplefilter`` for the session: ``entry`` in front (or at
    the end), an equal one removed first, as Python's ``_add_filter``."""
    filters = list(DEFAULT_FILTERS if rs.env.warning_filters is None else
                   rs.env.warning_filters)
    if not append:
        if entry in filters:
            filters.remove(entry)
        filters.insert(0, entry)
    elif entry not in filters:
        filters.append(entry)
    rs.env.warning_filters = tuple(filters)
    rs.warned.clear()  # Python forgets what it has shown when the filters change


def reset_filters(rs: RunState) -> None:
    """``warnings.resetwarnings()``: no filters at all (Python's defaults go too)."""
    rs.env.warning_filters = ()
    rs.warned.clear()


def program_trace() -> str:
    """The forward trace anomaly mode keeps for a recorded op inside a run: the program's
    statement that made it, as Python's traceback writes a frame (torch shows the program's
    frames; the interpreter's own are never shown). Empty outside a run or without source."""
    rs = CURRENT.get()
    if rs is None or rs.unit is None or rs.source is None:
        return ""
    pointer = _pointer(rs)
    lineno = _positions(rs).get(pointer, (0, 0))[0] if pointer is not None else 0
    lines = rs.source.splitlines()
    if not 0 < lineno <= len(lines):
        return ""
    return f'  File "<program>", line {lineno}, in <module>\n    {lines[lineno - 1].strip()}\n'
