"""What a session's values hold: the tensors reachable from them through the language's own
values (objects, closures, generators, classes) and library objects (modules, optimizers).

``engine.held_bytes`` walks tensors, lists, tuples and dicts; this walk opens everything else a
program can keep a tensor in, so the memory cap cannot be dodged by hiding tensors in an object.
"""

from __future__ import annotations

from collections import defaultdict, deque
from typing import Any

import numpy as np

import engine

from .arrays import Array
from .filestore import FileStore

Tensor = engine.Tensor
_PLAIN = (int, float, str, bool, type(None), range, slice)
MAX_WALK = 2_000_000  # objects visited per measurement (a bound on the walk itself)


def reachable(roots: list[Any]) -> list[Any]:
    """The tensors reachable from ``roots`` (and every list/dict met on the way)."""
    from .checkpoints import MemoryFile
    from .values import children  # the language's values know what they hold

    out: list[Any] = []
    seen: set[int] = set()
    stack = list(roots)
    visited = 0
    while stack and visited < MAX_WALK:
        value = stack.pop()
        if isinstance(value, _PLAIN) or id(value) in seen:
            continue
        seen.add(id(value))
        visited += 1
        if isinstance(value, Tensor):
            out.append(value)
        elif isinstance(value, Array):
            stack.append(value.owner_tensor())
        elif isinstance(value, bytes):  # io.BytesIO's getvalue(), read()
            if value:
                out.append(engine.Tensor(np.frombuffer(memoryview(value), dtype=np.uint8),
                                         dtype=engine.uint8))
        elif isinstance(value, (FileStore, MemoryFile)):  # a session's files, io.BytesIO
            stack.extend(engine.Tensor(a, dtype=engine.uint8) for a in value.held()
                         if a.size)
            if isinstance(value, FileStore):
                stack.append(value.objects)
        elif isinstance(value, dict):
            stack.extend(value.values())
            if isinstance(value, defaultdict):  # its factory may close over tensors
                stack.append(value.default_factory)
        elif isinstance(value, (list, tuple, set, frozenset, deque)):
            stack.extend(value)
        else:
            stack.extend(children(value))
    return out
