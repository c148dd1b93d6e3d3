"""The dtype questions programs ask: ``result_type``, ``promote_types``, ``can_cast``,
``get_default_dtype`` / ``set_default_dtype``, and the tensor predicates ``is_complex``,
``is_signed``, ``is_nonzero``, ``is_same_size``.

The default floating dtype is per context (``engine.dtypes.default_float``, a ContextVar):
a session's ``set_default_dtype`` never leaks into another's, as torch's process-wide switch
would between two programs in one process."""

from __future__ import annotations

import numpy as np

from .. import errors
from ..dtypes import DType, default_float, use_default_float
from ..tensor import Tensor
from ._args import promote_args
from .registry import op


def _number(x) -> bool:
    return isinstance(x, (bool, int, float, np.integer, np.floating))


def _dtype_arg(name: str, arg: str, value, position: int) -> DType:
    if not isinstance(value, DType):
        raise errors.EngineTypeError(
            f"{name}(): argument '{arg}' (position {position}) must be torch.dtype, not "
            f"{type(value).__name__}")
    return value


@op(kind="function", differentiable=False)
def result_type(tensor, other):
    """The dtype an arithmetic op over ``tensor`` and ``other`` (tensors or numbers) gives."""
    if not (isinstance(tensor, Tensor) or _number(tensor)) or \
            not (isinstance(other, Tensor) or _number(other)):
        raise errors.EngineTypeError(
            f"result_type() received an invalid combination of arguments - got "
            f"({_type_name(tensor)}, {_type_name(other)}), but expected one of:\n"
            " * (Tensor tensor, Tensor other)\n"
            " * (Number scalar, Tensor tensor)\n"
            " * (Tensor tensor, Number other)\n"
            " * (Number scalar1, Number scalar2)\n")
    return promote_args(tensor, other)


def _type_name(x) -> str:
    return "Tensor" if isinstance(x, Tensor) else type(x).__name__


@op(kind="function", differentiable=False)
def promote_types(type1, type2):
    """The smallest dtype both ``type1`` and ``type2`` convert to without losing their kind."""
    from ..dtypes import promote

    return promote(_dtype_arg("promote_types", "type1", type1, 1),
                   _dtype_arg("promote_types", "type2", type2, 2))


@op(kind="function", differentiable=False)
def can_cast(from_, to):
    """Whether torch's casting rules allow ``from_`` to become ``to`` (no float to integer or
    bool, no integer to bool)."""
    a = _dtype_arg("can_cast", "from_", from_, 1)
    b = _dtype_arg("can_cast", "to", to, 2)
    return a._kind <= b._kind


@op(kind="function", differentiable=False)
def get_default_dtype():
    """The floating dtype of tensors made from Python floats (float32 unless the context set
    another with ``set_default_dtype``)."""
    return default_float()


@op(kind="function", differentiable=False)
def set_default_dtype(d):
    """Set the context's default floating dtype (a session's, as torch's process-wide one):
    what Python floats, float creation ops without ``dtype=``, int-with-float promotion and
    new parameters take, and which dtype a tensor's repr leaves unsaid."""
    if not isinstance(d, DType):
        raise errors.EngineTypeError("invalid dtype object: only floating-point types are "
                                     "supported as the default type")
    if not d.is_floating_point:
        raise errors.EngineTypeError("only floating-point types are supported as the default "
                                     "type")
    use_default_float(d)


@op(differentiable=False)
def is_complex(input):
    """Whether ``input``'s dtype is complex (never, for the engine's dtypes)."""
    _tensor_input("is_complex", input)
    return False


@op(differentiable=False)
def is_signed(input):
    """Whether ``input``'s dtype holds negative numbers (every dtype but bool)."""
    _tensor_input("is_signed", input)
    return input.dtype.is_signed


@op(differentiable=False)
def is_nonzero(input):
    """The truth of a one-element tensor (an error for any other number of elements)."""
    _tensor_input("is_nonzero", input)
    n = input._data.size
    if n == 0:
        raise errors.EngineRuntimeError("Boolean value of Tensor with no values is ambiguous")
    if n > 1:
        raise errors.EngineRuntimeError(
            "Boolean value of Tensor with more than one value is ambiguous")
    return bool(np.asarray(input._data).reshape(()) != 0)


@op(differentiable=False)
def is_same_size(input, other):
    """Whether ``input`` and ``other`` have the same shape."""
    _tensor_input("is_same_size", input)
    if not isinstance(other, Tensor):
        raise errors.EngineTypeError(
            f"is_same_size(): argument 'other' (position 2) must be Tensor, not "
            f"{type(other).__name__}")
    return tuple(input._data.shape) == tuple(other._data.shape)


def _tensor_input(name: str, value) -> None:
    if not isinstance(value, Tensor):
        raise errors.EngineTypeError(
            f"{name}(): argument 'input' (position 1) must be Tensor, not "
            f"{type(value).__name__}")
