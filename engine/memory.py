"""How many bytes a set of values holds on its devices (what a session's memory cap counts)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .autograd import AccumulateGrad, Node, SavedTensor
from .tensor import Tensor

#: Library classes whose instances hold tensors in their attributes (modules, optimizers,
#: schedulers, datasets, loaders): ``held_bytes`` walks their ``__dict__``. Registered by the
#: packages that define them (``register_holder``), so this module imports none of them.
_HOLDERS: list[type] = []


def register_holder(cls: type) -> type:
    """Count what instances of ``cls`` (and its subclasses) hold in their attributes."""
    _HOLDERS.append(cls)
    return cls


def _root_buffer(array: Any) -> Any:
    while getattr(array, "base", None) is not None:
        array = array.base
    return array


def held_bytes(values: Iterable[Any]) -> int:
    """Bytes of the distinct array buffers reachable from ``values``: tensors (a view counts its
    base once), their ``.grad``, and what the graphs behind them saved for backward. Lists,
    tuples and dicts among the values are walked too, and so are the attributes of library
    objects (modules, optimizers, datasets: see ``register_holder``); anything else counts
    nothing."""
    holders = tuple(_HOLDERS)
    seen_buffers: set[int] = set()
    seen: set[int] = set()
    total = 0

    def add(array: Any) -> None:
        nonlocal total
        root = _root_buffer(array)
        if id(root) not in seen_buffers:
            seen_buffers.add(id(root))
            total += int(root.nbytes)

    stack: list[Any] = list(values)
    while stack:
        value = stack.pop()
        if value is None or isinstance(value, (int, float, str, bool)) or id(value) in seen:
            continue
        seen.add(id(value))
        if isinstance(value, Tensor):
            add(value._data)
            if value._grad is not None:
                stack.append(value._grad)
            if value.grad_fn is not None:
                stack.append(value.grad_fn)
        elif isinstance(value, dict):
            stack.extend(value.values())
        elif isinstance(value, (list, tuple)):
            stack.extend(value)
        elif holders and isinstance(value, holders):
            stack.extend(vars(value).values())
        elif isinstance(value, Node):
            for saved in value._saved or ():
                if type(saved) is SavedTensor:
                    if saved.is_output:  # (array, dtype, device): no reference to the tensor
                        add(saved.tensor[0])
                    else:
                        stack.append(saved.tensor)
                elif isinstance(saved, Tensor):
                    stack.append(saved)
            if isinstance(value, AccumulateGrad):
                stack.append(value.variable)
            stack.extend(edge[0] for edge in value._edges if edge is not None)
    return total
