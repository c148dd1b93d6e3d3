"""From raw JSON to a validated :class:`Program`: size and depth first, then pydantic.

The depth walk is iterative and runs before pydantic sees the document, so a 5,000-deep nested
expression is a clean ``limit_exceeded`` rather than a ``RecursionError``. Validated programs
are cached by content hash: a program sent a thousand times is validated once.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from typing import Any

from pydantic import ValidationError

from .errors import LimitExceeded, ProgramValidationError
from .limits import Limits
from .schema import ALL_TAGS, Program

_CACHE_SIZE = 512
_cache: OrderedDict[str, Program] = OrderedDict()
_cache_lock = threading.Lock()


def measure(document: Any, limits: Limits) -> int:
    """Count the JSON containers and scalars of ``document``; raise on too deep or too big."""
    nodes = 0
    stack: list[tuple[Any, int]] = [(document, 1)]
    max_depth, max_nodes = limits.max_nesting_depth, limits.max_program_nodes
    while stack:
        value, depth = stack.pop()
        nodes += 1
        if nodes > max_nodes:
            raise LimitExceeded(
                f"the program has more than {max_nodes} nodes (max_program_nodes)",
                limit="max_program_nodes", value=max_nodes, status=413)
        if isinstance(value, dict):
            children = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        if depth > max_depth:
            raise LimitExceeded(
                f"the program is nested more than {max_depth} levels deep (max_nesting_depth)",
                limit="max_nesting_depth", value=max_depth, status=413)
        for child in children:
            if isinstance(child, (dict, list)):
                stack.append((child, depth + 1))
            else:
                nodes += 1
    if nodes > max_nodes:
        raise LimitExceeded(
            f"the program has more than {max_nodes} nodes (max_program_nodes)",
            limit="max_program_nodes", value=max_nodes, status=413)
    return nodes


def content_hash(document: Any) -> str:
    """A stable hash of a (depth-checked) JSON document."""
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def json_pointer(document: Any, loc: tuple[Any, ...], root: str = "#/program") -> str:
    """Turn a pydantic error location into a JSON pointer into ``document``.

    Union tags and other validator names in ``loc`` that are not keys of the document are
    skipped.
    """
    parts: list[str] = []
    node = document
    for item in loc:
        if isinstance(node, list) and isinstance(item, int) and 0 <= item < len(node):
            parts.append(str(item))
            node = node[item]
        elif isinstance(node, dict) and isinstance(item, str) and item in node \
                and item not in ALL_TAGS:
            parts.append(item.replace("~", "~0").replace("/", "~1"))
            node = node[item]
        elif isinstance(node, dict) and isinstance(item, str) and item not in ALL_TAGS \
                and not item.startswith(("constrained-", "list[", "function-", "union[")):
            parts.append(item.replace("~", "~0").replace("/", "~1"))  # an extra / missing key
            node = None
    return "/".join([root, *parts]) if parts else root


def parse_program(program: Any, limits: Limits | None = None) -> Program:
    """Validate a program in the JSON form (a list of statements, ``{"program": [...]}`` or one
    statement object) and return it; raise :class:`ProgramValidationError` with a pointer."""
    if isinstance(program, Program):
        return program
    if isinstance(program, dict):
        program = program["program"] if set(program) == {"program"} else [program]
    if not isinstance(program, list):
        raise ProgramValidationError("a program must be a list of statements",
                                     pointer="#/program")
    limits = limits or Limits()
    measure(program, limits)
    key = content_hash(program)
    with _cache_lock:
        cached = _cache.get(key)
        if cached is not None:
            _cache.move_to_end(key)
            return cached
    try:
        parsed = Program.model_validate(program)
    except ValidationError as exc:
        errors = exc.errors(include_url=False, include_context=False, include_input=False)
        if any(e["type"] == "recursion_depth_exceeded" for e in errors):
            raise LimitExceeded("the program is nested too deeply (max_nesting_depth)",
                                limit="max_nesting_depth", value=limits.max_nesting_depth,
                                status=413) from None
        first = errors[0]
        pointer = json_pointer(program, tuple(first["loc"]))
        raise ProgramValidationError(
            f"{pointer}: {first['msg']}", pointer=pointer,
            errors=[{"pointer": json_pointer(program, tuple(e["loc"])), "msg": e["msg"]}
                    for e in errors[:20]],
        ) from None
    except RecursionError:
        raise LimitExceeded("the program is nested too deeply to validate",
                            limit="max_nesting_depth", value=limits.max_nesting_depth,
                            status=413) from None
    object.__setattr__(parsed, "_raw", program)
    object.__setattr__(parsed, "_hash", key)
    with _cache_lock:
        _cache[key] = parsed
        if len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return parsed


def raw_of(program: Program) -> tuple[list, str]:
    """The plain JSON form of a validated program and its content hash."""
    raw = getattr(program, "_raw", None)
    if raw is None:
        raw = program.model_dump(mode="python", by_alias=True, exclude_unset=True)
        object.__setattr__(program, "_raw", raw)
        object.__setattr__(program, "_hash", content_hash(raw))
    return raw, program._hash  # type: ignore[attr-defined]
