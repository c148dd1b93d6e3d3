"""Stacking and splitting helpers as torch composes them from ``cat``, views and slices:
``atleast_1d/2d/3d``, ``hstack vstack row_stack dstack column_stack``, ``tensor_split hsplit
vsplit dsplit``. Their graphs are the pieces' own nodes (``CatBackward0``, ``ViewBackward0``,
``UnsqueezeBackward0``, ``SliceBackward0``), as torch records them."""

from __future__ import annotations

import numpy as np

from .. import errors
from ..dtypes import int64
from ..tensor import Tensor
from ._args import norm_dim
from .registry import op
from .shape import _tensor_list, cat, narrow, reshape, unsqueeze


def _at_least(name: str, tensors: tuple, one):
    """One tensor in: one out; several, or a list or tuple of them: a tuple."""
    if len(tensors) == 1 and isinstance(tensors[0], Tensor):
        return one(tensors[0])
    items = tensors[0] if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)) \
        else tensors
    for t in items:
        if not isinstance(t, Tensor):
            kind = type(t).__name__
            raise errors.EngineTypeError(
                f"{name}() received an invalid combination of arguments - got ({kind}), but "
                "expected one of:\n * (Tensor input)\n      didn't match because some of the "
                f"arguments have invalid types: (!{kind}!)\n * (tuple of Tensors tensors)\n"
                f"      didn't match because some of the arguments have invalid types: "
                f"(!{kind}!)\n")
    return tuple(one(t) for t in items)


def _1d(t: Tensor) -> Tensor:
    return reshape(t, (1,)) if t._data.ndim == 0 else t


def _2d(t: Tensor) -> Tensor:
    n = t._data.ndim
    return reshape(t, (1, 1)) if n == 0 else unsqueeze(t, 0) if n == 1 else t


def _3d(t: Tensor) -> Tensor:
    n = t._data.ndim
    if n == 0:
        return reshape(t, (1, 1, 1))
    if n == 1:
        return unsqueeze(unsqueeze(t, 0), -1)
    return unsqueeze(t, -1) if n == 2 else t


@op(kind="function", grad_fns=("ViewBackward0",))
def atleast_1d(*tensors):
    """The tensor, or each of several, with at least one dimension (a 0-d one reshaped)."""
    return _at_least("atleast_1d", tensors, _1d)


@op(kind="function", grad_fns=("ViewBackward0", "UnsqueezeBackward0"))
def atleast_2d(*tensors):
    """The tensor, or each of several, with at least two dimensions (new leading ones)."""
    return _at_least("atleast_2d", tensors, _2d)


@op(kind="function", grad_fns=("ViewBackward0", "UnsqueezeBackward0"))
def atleast_3d(*tensors):
    """The tensor, or each of several, with at least three dimensions (a 1-d one becomes
    ``(1, n, 1)``, a 2-d one gains a last dimension)."""
    return _at_least("atleast_3d", tensors, _3d)


def _stack_list(tensors, name: str) -> list:
    ts = _tensor_list(tensors, name)
    if not ts:
        raise errors.EngineRuntimeError(f"{name} expects a non-empty TensorList")
    return ts


@op(kind="function", grad_fns=("CatBackward0",))
def hstack(tensors):
    """Join in sequence horizontally: along the first dimension of 1-d tensors, the second of
    others (0-d ones become 1-d)."""
    ts = [_1d(t) for t in _stack_list(tensors, "hstack")]
    return cat(ts, 0 if ts[0]._data.ndim == 1 else 1)


@op(kind="function", aliases=("row_stack",), grad_fns=("CatBackward0",))
def vstack(tensors):
    """Join in sequence vertically (row-wise), after making each at least 2-d."""
    return cat([_2d(t) for t in _stack_list(tensors, "vstack")], 0)


@op(kind="function", grad_fns=("CatBackward0",))
def dstack(tensors):
    """Join in sequence depth-wise (along the third dimension), after making each at least
    3-d."""
    return cat([_3d(t) for t in _stack_list(tensors, "dstack")], 2)


@op(kind="function", grad_fns=("CatBackward0",))
def column_stack(tensors):
    """Join as columns: 0-d and 1-d tensors become ``(n, 1)`` columns, then all are joined along
    the second dimension."""
    ts = _stack_list(tensors, "column_stack")
    return cat([reshape(t, (t._data.size, 1)) if t._data.ndim <= 1 else t for t in ts], 1)


def _split_points(n: int, arg, name: str) -> list:
    """Where the pieces of ``tensor_split`` of a dimension of size ``n`` start and end, from a
    number of sections or a list of indices, as torch reads them."""
    if isinstance(arg, (int, np.integer)) and not isinstance(arg, bool):
        sections = int(arg)
        if sections <= 0:
            raise errors.EngineRuntimeError(
                f"number of sections must be larger than 0, got {sections}")
        size, extra = divmod(n, sections)
        bounds, start = [], 0
        for i in range(sections):
            stop = start + size + (1 if i < extra else 0)
            bounds.append((start, stop))
            start = stop
        return bounds
    edges = [0] + [int(i) for i in arg] + [n]
    return [(a, b) for a, b in zip(edges, edges[1:], strict=False)]


def _split_arg(arg, name: str):
    """A tensor of sections or indices as the number or list it holds (torch's checks)."""
    if not isinstance(arg, Tensor):
        return arg
    if arg.dtype is not int64:
        raise errors.EngineRuntimeError(
            f"{name} expected tensor_indices_or_sections to have dtype of long, but got "
            f"{arg.dtype.scalar_name}")
    if arg._data.ndim > 1:
        raise errors.EngineRuntimeError(
            f"{name} expected tensor_indices_or_sections to be a zero-dimensional or "
            f"one-dimensional tensor, but got a tensor with {arg._data.ndim} dims")
    return arg.tolist()


def _is_int(v) -> bool:
    return isinstance(v, (int, np.integer)) and not isinstance(v, bool)


def _slice(input: Tensor, d: int, start: int, stop: int) -> Tensor:
    """``input`` sliced along ``d`` as Python slices clamp ``start:stop`` (a view)."""
    n = input._data.shape[d]
    start, stop, _ = slice(start, stop).indices(n)
    return narrow(input, d, start, max(stop - start, 0))


@op(grad_fns=("SliceBackward0",))
def tensor_split(input, indices_or_sections=None, dim=0, *, sections=None, indices=None,
                 tensor_indices_or_sections=None):
    """Views of ``input`` split along ``dim`` into ``sections`` nearly equal pieces (the first
    ones one longer), or at the given indices (Python slice rules)."""
    given = [a for a in (indices_or_sections, sections, indices, tensor_indices_or_sections)
             if a is not None]
    if len(given) != 1:
        raise errors.EngineTypeError(
            "tensor_split() missing required argument 'indices_or_sections' (pos 2)"
            if not given else "tensor_split() got multiple values for the split argument")
    arg = given[0]
    if not isinstance(arg, Tensor) and not _is_int(arg) and not (
            isinstance(arg, (list, tuple)) and all(map(_is_int, arg))):
        got = type(arg).__name__
        raise errors.EngineTypeError(
            f"tensor_split() received an invalid combination of arguments - got (Tensor, "
            f"{got}), but expected one of:\n * (Tensor input, tuple of ints indices, int dim = "
            "0)\n * (Tensor input, Tensor tensor_indices_or_sections, int dim = 0)\n * (Tensor "
            "input, int sections, int dim = 0)\n")
    if input._data.ndim == 0:
        raise errors.EngineRuntimeError(
            "tensor_split expected at least a 1-dimensional tensor, but got a tensor with 0 "
            "dims")
    arg = _split_arg(arg, "tensor_split")
    d = norm_dim(dim, input._data.ndim)
    return tuple(_slice(input, d, a, b)
                 for a, b in _split_points(input._data.shape[d], arg, "tensor_split"))


def _directional_split(input, indices_or_sections, name: str, dims: int, d: int):
    if isinstance(indices_or_sections, Tensor) or not isinstance(
            indices_or_sections, (int, np.integer, list, tuple)) or isinstance(
            indices_or_sections, bool):
        got = type(indices_or_sections).__name__
        raise errors.EngineTypeError(
            f"{name}() received an invalid combination of arguments - got (Tensor, {got}), but "
            "expected one of:\n * (Tensor input, int sections)\n      didn't match because some "
            f"of the arguments have invalid types: (Tensor, !{got}!)\n * (Tensor input, tuple "
            "of ints indices)\n      didn't match because some of the arguments have invalid "
            f"types: (Tensor, !{got}!)\n")
    n = input._data.ndim
    if n < dims:
        raise errors.EngineRuntimeError(
            f"torch.{name} requires a tensor with at least {dims} dimension, but got a tensor "
            f"with {n} dimensions!")
    if isinstance(indices_or_sections, (int, np.integer)):
        split, size = int(indices_or_sections), input._data.shape[d]
        if split == 0 or size % split != 0:
            raise errors.EngineRuntimeError(
                f"torch.{name} attempted to split along dimension {d}, but the size of the "
                f"dimension {size} is not divisible by the split_size {split}!")
    return tensor_split(input, indices_or_sections, d)


@op(grad_fns=("SliceBackward0",))
def hsplit(input, indices_or_sections):
    """``tensor_split`` along the second dimension (the first of a 1-d tensor); a number of
    sections must divide it."""
    n = input._data.ndim
    return _directional_split(input, indices_or_sections, "hsplit", 1, 1 if n > 1 else 0)


@op(grad_fns=("SliceBackward0",))
def vsplit(input, indices_or_sections):
    """``tensor_split`` along the first dimension of a tensor of at least 2 dimensions."""
    return _directional_split(input, indices_or_sections, "vsplit", 2, 0)


@op(grad_fns=("SliceBackward0",))
def dsplit(input, indices_or_sections):
    """``tensor_split`` along the third dimension of a tensor of at least 3 dimensions."""
    return _directional_split(input, indices_or_sections, "dsplit", 3, 2)
