"""Estimate the bytes a session holds: tensors reachable from its values, their ``.grad``, and the
buffers saved in the autograd graphs behind them (what ``max_session_bytes`` caps)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import engine

_CONTAINERS = (list, tuple, dict)


def _root_buffer(array: Any) -> Any:
    while getattr(array, "base", None) is not None:
        array = array.base
    return array


def tensor_bytes(values: Iterable[Any]) -> int:
    """Sum of distinct array buffers reachable from ``values`` (views count their base once)."""
    tensor_type = engine.Tensor
    seen_buffers: set[int] = set()
    seen: set[int] = set()
    total = 0
    stack: list[Any] = list(values)
    while stack:
        value = stack.pop()
        if value is None or isinstance(value, (int, float, str, bool)):
            continue
        key = id(value)
        if key in seen:
            continue
        seen.add(key)
        if isinstance(value, tensor_type):
            data = getattr(value, "_data", None)
            if data is not None:
                root = _root_buffer(data)
                if id(root) not in seen_buffers:
                    seen_buffers.add(id(root))
                    total += int(getattr(root, "nbytes", 0))
            grad = getattr(value, "_grad", None)
            if grad is not None:
                stack.append(grad)
            fn = value.grad_fn
            if fn is not None:
                stack.append(fn)
        elif isinstance(value, dict):
            stack.extend(value.values())
        elif isinstance(value, _CONTAINERS):
            stack.extend(value)
        elif hasattr(value, "next_functions"):  # an autograd node
            for saved in getattr(value, "_saved", None) or ():
                inner = getattr(saved, "tensor", saved)
                if isinstance(inner, tuple) and inner:  # (array, dtype, device) of an output
                    inner = inner[0]
                if isinstance(inner, tensor_type):
                    stack.append(inner)
                elif hasattr(inner, "nbytes") and hasattr(inner, "shape"):
                    root = _root_buffer(inner)
                    if id(root) not in seen_buffers:
                        seen_buffers.add(id(root))
                        total += int(root.nbytes)
            variable = getattr(value, "variable", None)
            if variable is not None:
                stack.append(variable)
            for edge in value.next_functions:
                if edge is not None and edge[0] is not None:
                    stack.append(edge[0])
    return total
