"""``nn.Parameter`` and ``nn.Buffer``.

A parameter is an ordinary engine ``Tensor`` marked as one (the engine's ops test
``type(x) is Tensor`` on their hot paths, so a subclass would fall off them): ``Parameter(t)``
returns a leaf sharing ``t``'s storage with ``requires_grad=True``, ``isinstance(p, Parameter)``
is true for it, and its repr starts with ``Parameter containing:`` as torch's does. Results of
ops on a parameter are plain tensors, as in torch.
"""

from __future__ import annotations

from .. import errors
from ..tensor import Tensor, _wrap


class _ParameterMeta(type):
    def __instancecheck__(cls, obj) -> bool:
        return isinstance(obj, Tensor) and getattr(obj, "_is_param", False)


class Parameter(metaclass=_ParameterMeta):
    """A tensor that is a module parameter: ``Parameter(data=None, requires_grad=True)``."""

    def __new__(cls, data: Tensor | None = None, requires_grad: bool = True) -> Tensor:
        if data is None:
            from ..ops.creation import empty

            data = empty(0)
        if not isinstance(data, Tensor):
            raise errors.EngineTypeError(
                f"Parameter(): argument 'data' must be Tensor, not {type(data).__name__}")
        return as_parameter(data, requires_grad)


def as_parameter(data: Tensor, requires_grad: bool = True) -> Tensor:
    """A parameter sharing ``data``'s storage and version counter."""
    if requires_grad and not data.dtype.is_floating_point:
        raise errors.EngineRuntimeError(errors.FLOAT_REQUIRES_GRAD)
    p = _wrap(data._data, data.dtype, data.device)
    p._vc = data._vc
    p._is_param = True
    p.requires_grad = bool(requires_grad)
    return p


def is_parameter(t) -> bool:
    return isinstance(t, Tensor) and getattr(t, "_is_param", False)


class Buffer:
    """``nn.Buffer(data, persistent=True)``: assigned to a module attribute, it registers
    ``data`` as a buffer (``persistent=False`` keeps it out of the state_dict)."""

    __slots__ = ("data", "persistent")

    def __init__(self, data: Tensor, *, persistent: bool = True) -> None:
        if not isinstance(data, Tensor):
            raise errors.EngineTypeError(
                f"Buffer(): argument 'data' must be Tensor, not {type(data).__name__}")
        self.data, self.persistent = data, bool(persistent)

    def __repr__(self) -> str:
        return repr(self.data)


__all__ = ["Parameter", "Buffer"]
