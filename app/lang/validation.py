"""From raw JSON to a validated :class:`Program`: size and depth first, then pydantic.

The depth walk is iterative and runs before pydantic sees the document, so a 5,000-deep nested
expression is a clean ``limit_exceeded`` rather than a ``RecursionError``. Validated programs
are cached by content hash: a program sent a thousand times is validated once.
"""

from __future__ import annotations

import hashlib
import json
import marshal
import threading
from typing import Any

from pydantic import ValidationError

from .compiler import compile_source
from .errors import LimitExceeded, ProgramValidationError
from .limits import DEFAULT_LIMITS, Limits
from .schema import ALL_TAGS, Program


class BoundedCache(dict):
    """A cache of programs, first in first out, bounded in entries and in the program nodes
    they hold together (so in bytes: a node is a few hundred bytes at most, validated or
    compiled). Writers hold a lock; a plain ``get`` is atomic."""

    def __init__(self, size: int, max_nodes: int) -> None:
        super().__init__()
        self.size, self.max_nodes = size, max_nodes
        self.nodes = 0
        self._weights: dict[Any, int] = {}

    def put(self, key: Any, value: Any, nodes: int) -> None:
        if key in self:
            return
        self[key] = value
        self._weights[key] = nodes
        self.nodes += nodes
        while len(self) > self.size or (self.nodes > self.max_nodes and len(self) > 1):
            oldest = next(iter(self))
            del self[oldest]
            self.nodes -= self._weights.pop(oldest)

    def clear(self) -> None:
        super().clear()
        self._weights.clear()
        self.nodes = 0


CACHE_MAX_NODES = 1_000_000
"""Program nodes each program cache (validated programs, sources, compiled programs) may hold
together: ten of the largest programs the default limits allow."""
_CACHE_SIZE = 512
_cache = BoundedCache(_CACHE_SIZE, CACHE_MAX_NODES)  # hash -> (program, its nodes, its depth)
_cache_lock = threading.Lock()


def nodes_of(program: Program) -> int:
    """The node count recorded when ``program`` was validated (0 if it was not)."""
    return getattr(program, "_nodes", 0)


def measure(document: Any, limits: Limits) -> tuple[int, int]:
    """Count the nodes of ``document`` and its depth, level by level (no recursion); raise as
    soon as either is over its limit, so a 5,000-deep document never reaches a recursive
    walker (pydantic, ``repr``, the compiler)."""
    nodes = 1
    depth = 1
    level = [document]
    containers = (dict, list)
    while level:
        if depth > limits.max_nesting_depth or nodes > limits.max_program_nodes:
            _check_limits(nodes, depth, limits)
        below = []
        for value in level:
            children = value.values() if type(value) is dict else value
            nodes += len(children)
            below.extend([child for child in children if type(child) in containers])
        level = below
        depth += 1 if below else 0
    _check_limits(nodes, depth, limits)
    return nodes, depth


def _check_limits(nodes: int, depth: int, limits: Limits) -> None:
    if depth > limits.max_nesting_depth:
        raise LimitExceeded(
            f"the program is nested more than {limits.max_nesting_depth} levels deep "
            "(max_nesting_depth)", limit="max_nesting_depth", value=limits.max_nesting_depth,
            status=413)
    if nodes > limits.max_program_nodes:
        raise LimitExceeded(
            f"the program has more than {limits.max_program_nodes} nodes (max_program_nodes)",
            limit="max_program_nodes", value=limits.max_program_nodes, status=413)


def content_hash(document: Any, limits: Limits | None = None) -> bytes:
    """A key for a JSON document's content: its ``marshal`` bytes (C-speed and unambiguous:
    ``1``, ``1.0`` and ``True`` differ, equal bytes mean equal content; format 2 has no
    back-references, so equal content gives equal bytes), hashed when long. A document too
    deep for ``marshal`` is a :class:`LimitExceeded`, not a crash."""
    try:
        data = marshal.dumps(document, 2)
    except ValueError as exc:
        if "deeply" not in str(exc):
            raise ProgramValidationError("the program is not JSON data", pointer="#/program") \
                from None
        limit = (limits or DEFAULT_LIMITS).max_nesting_depth
        raise LimitExceeded("the program is nested too deeply (max_nesting_depth)",
                            limit="max_nesting_depth", value=limit, status=413) from None
    return data if len(data) <= 1024 else hashlib.sha256(data).digest()


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
    statement object) and return it; raise :class:`ProgramValidationError` with a pointer.

    Validated programs are cached by content: the same program sent again costs a hash and a
    check of its recorded size against ``limits``.
    """
    if isinstance(program, Program):
        return program
    return _parse(program, limits)[0]


def _parse(program: Any, limits: Limits | None) -> tuple[Program, int, int]:
    """:func:`parse_program` with the program's node count and depth."""
    if isinstance(program, dict):
        program = program["program"] if set(program) == {"program"} else [program]
    if not isinstance(program, list):
        raise ProgramValidationError("a program must be a list of statements",
                                     pointer="#/program")
    limits = limits or DEFAULT_LIMITS
    key = content_hash(program, limits)  # repr() is C-speed; a too-deep document is a clean error
    cached = _cache.get(key)
    if cached is not None:
        _check_limits(cached[1], cached[2], limits)
        return cached
    nodes, depth = measure(program, limits)
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
            errors=[{"pointer": json_pointer(program, tuple(e["loc"])), "detail": e["msg"]}
                    for e in errors[:20]],
        ) from None
    except RecursionError:
        raise LimitExceeded("the program is nested too deeply to validate",
                            limit="max_nesting_depth", value=limits.max_nesting_depth,
                            status=413) from None
    # a private copy: the caller may reuse its lists
    object.__setattr__(parsed, "_raw", json.loads(json.dumps(program)))
    object.__setattr__(parsed, "_hash", key)
    object.__setattr__(parsed, "_nodes", nodes)
    entry = (parsed, nodes, depth)
    with _cache_lock:
        _cache.put(key, entry, nodes)
    return entry


_SOURCE_CACHE_SIZE = 256
_SOURCE_CACHE_MAX_CHARS = 16_384
_source_cache = BoundedCache(_SOURCE_CACHE_SIZE, CACHE_MAX_NODES)
"""(source, depth limit) -> (program, its nodes, its depth)"""


def parse_source(source: str, limits: Limits | None = None) -> Program:
    """``parse_program(compile_source(source))``, cached by the text (up to 16 Ki characters):
    a source sent again costs a lookup and a check of its recorded size against ``limits``."""
    limits = limits or DEFAULT_LIMITS
    key = (source, limits.max_nesting_depth)  # the compiler checks the depth of the syntax tree
    cached = _source_cache.get(key) if isinstance(source, str) else None
    if cached is not None:
        parsed, nodes, depth = cached
        _check_limits(nodes, depth, limits)
        return parsed
    entry = _parse(compile_source(source, limits), limits)
    if len(source) <= _SOURCE_CACHE_MAX_CHARS:
        with _cache_lock:
            _source_cache.put(key, entry, entry[1])
    return entry[0]


def raw_of(program: Program) -> tuple[list, bytes]:
    """The plain JSON form of a validated program and its content hash."""
    raw = getattr(program, "_raw", None)
    if raw is None:
        raw = program.model_dump(mode="python", by_alias=True, exclude_unset=True)
        object.__setattr__(program, "_raw", raw)
        object.__setattr__(program, "_hash", content_hash(raw))
    return raw, program._hash  # type: ignore[attr-defined]
