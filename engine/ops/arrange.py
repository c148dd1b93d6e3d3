"""Ops that lay existing values out anew: ``repeat_interleave`` (each element repeated in
place), ``meshgrid`` (coordinate grids), ``one_hot`` (class indices spread along a new last
dim) and ``t_`` (transpose in place).

Differentiable ones are built from view, expand, clone and ``index_select``, so they record the
node chains PyTorch records (``ViewBackward0 <- CloneBackward0 <- ExpandBackward0 ...``) and
differentiate to any order.
"""

from __future__ import annotations

import warnings

import numpy as np

from .. import errors
from ..autograd.graph import rename
from ..dtypes import DEFAULT_INT, TYPE_NAMES
from ..tensor import Tensor, _wrap
from . import memory_format as _mf
from ._args import norm_dim
from .families import check_inplace
from .indexing import index_select
from .registry import op
from .shape import flatten, relayout_views, t


# --------------------------------------------------------------------------- one_hot
@op(kind="function", differentiable=False)
def one_hot(tensor, num_classes=-1):
    """Class indices (int64) as one-hot rows: shape ``(*, num_classes)``, 1 at each index and
    0 elsewhere; ``num_classes=-1`` means ``tensor.max() + 1``."""
    if not isinstance(tensor, Tensor) or tensor.dtype is not DEFAULT_INT:
        raise errors.EngineRuntimeError(
            "one_hot is only applicable to index tensor of type LongTensor.")
    xp = tensor.device.xp
    data = tensor._data
    n = int(num_classes)
    if data.size == 0:
        if n == -1:
            raise errors.EngineRuntimeError(
                "Can not infer total number of classes from empty tensor.")
    else:
        if int(data.min()) < 0:
            raise errors.EngineRuntimeError("Class values must be non-negative.")
        top = int(data.max())
        if n == -1:
            n = top + 1
        elif top >= n:
            raise errors.EngineRuntimeError("Class values must be smaller than num_classes.")
    out = (data[..., None] == xp.arange(max(n, 0))).astype(np.int64)
    return _wrap(out, DEFAULT_INT, tensor.device)


# --------------------------------------------------------------------------- repeat_interleave
def _repeats_vector(repeats: Tensor, name: str = "repeat_interleave_cpu"):
    """Checked integer repeat counts (an int64 array)."""
    if repeats.dtype.name not in ("int64", "int32"):
        kernel = name if repeats.device.type == "cpu" else name.replace("_cpu", "_cuda")
        raise errors.KernelNotImplemented(errors.NOT_IMPLEMENTED_FOR.format(
            kernel=kernel, dtype=repeats.dtype.scalar_name))
    counts = repeats._data.astype(np.int64, copy=False)
    if counts.size and int(counts.min()) < 0:
        raise errors.EngineRuntimeError("repeats can not be negative")
    return counts


def _index_of_repeats(counts, device) -> Tensor:
    """``[0] * counts[0] + [1] * counts[1] + ...`` as an int64 tensor."""
    xp = device.xp
    return _wrap(xp.repeat(xp.arange(counts.size, dtype=np.int64), counts), DEFAULT_INT,
                 device)


def _check_output_size(output_size, got: int) -> None:
    if output_size is not None and int(output_size) != got:
        raise errors.EngineRuntimeError(
            f"repeat_interleave: Invalid output_size, expected {got} but got {output_size}")


@op(grad_fns=("ViewBackward0", "CloneBackward0", "ExpandBackward0", "UnsqueezeBackward0",
              "IndexSelectBackward0"))
def repeat_interleave(input, repeats=None, dim=None, *, output_size=None):
    """Each element (or each slice along ``dim``) repeated ``repeats`` times in place
    (``repeats``: an int, or one count per slice); over the flattened input when ``dim`` is
    None. With only a tensor of counts: ``[0] * c0 + [1] * c1 + ...``."""
    if repeats is None:  # repeat_interleave(counts)
        if input._data.ndim != 1:
            raise errors.EngineRuntimeError("repeat_interleave only accept 1D vector as repeat")
        counts = _repeats_vector(input)
        out = _index_of_repeats(counts, input.device)
        _check_output_size(output_size, out._data.shape[0])
        return out
    if dim is None:
        input, d = flatten(input), 0
    else:
        d = norm_dim(dim, input._data.ndim)
    n = input._data.shape[d] if input._data.ndim else 1
    if isinstance(repeats, Tensor):
        if repeats._data.ndim > 1:
            raise errors.EngineRuntimeError("repeats must be 0-dim or 1-dim tensor")
        counts = _repeats_vector(repeats).reshape(-1)
        if counts.size == 1:
            counts = repeats.device.xp.full((n,), int(counts[0]), dtype=np.int64)
        elif counts.size != n:
            raise errors.EngineRuntimeError(
                "repeats must have the same size as input along dim, but got "
                f"repeats.size(0) = {counts.size} and input.size({d}) = {n}")
        index = _index_of_repeats(counts, input.device)
        _check_output_size(output_size, index._data.shape[0])
        return index_select(input, d, index)
    r = int(repeats)
    if r < 0:
        raise errors.EngineRuntimeError("Repeats must be non-negative")
    shape = list(input._data.shape)
    _check_output_size(output_size, n * r)
    spread = shape[:d + 1] + [r] + shape[d + 1:]
    shape[d] = n * r
    return input.unsqueeze(d + 1).expand(spread).clone(
        memory_format=_mf.contiguous_format).view(shape)  # (torch's: a row-major copy)


# --------------------------------------------------------------------------- meshgrid
_MESHGRID_WARNING = ("torch.meshgrid: in an upcoming release, it will be required to pass the "
                     "indexing argument.")


@op(kind="function", grad_fns=("ExpandBackward0", "ViewBackward0"))
def meshgrid(*tensors, indexing=None):
    """Coordinate grids from 0-d or 1-d tensors: output ``i`` holds tensor ``i``'s values along
    dim ``i`` ("ij", matrix indexing) or with the first two dims swapped ("xy", Cartesian)."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if not tensors:
        raise errors.EngineRuntimeError("meshgrid expects a non-empty TensorList")
    for x in tensors:
        if not isinstance(x, Tensor):
            raise errors.EngineTypeError(
                f"meshgrid(): expected Tensor as element {tensors.index(x)} in argument 0, but "
                f"got {type(x).__name__}")
        if x._data.ndim > 1:
            raise errors.EngineRuntimeError(
                "torch.meshgrid: Expected 0D or 1D tensor in the tensor list but got: "
                f"[ torch.{TYPE_NAMES[x.dtype]}{{{','.join(map(str, x._data.shape))}}} ]")
    if any(x.dtype is not tensors[0].dtype for x in tensors):
        raise errors.EngineRuntimeError("meshgrid expects all tensors to have the same dtype")
    if any(x.device != tensors[0].device for x in tensors):
        raise errors.EngineRuntimeError("meshgrid expects all tensors to have the same device")
    if indexing is None:
        warnings.warn(_MESHGRID_WARNING, UserWarning, stacklevel=2)
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise errors.EngineRuntimeError(
            'torch.meshgrid: indexing must be one of "xy" or "ij", but received: '
            f"{indexing}")
    swap = indexing == "xy" and len(tensors) >= 2
    if swap:
        tensors = (tensors[1], tensors[0]) + tuple(tensors[2:])
    shape = tuple(int(x._data.size) for x in tensors)
    grids = []
    for i, x in enumerate(tensors):
        along = [1] * len(shape)
        along[i] = -1
        grids.append(x.view(along).expand(shape))
    if swap:
        grids[0], grids[1] = grids[1], grids[0]
    return tuple(grids)


# --------------------------------------------------------------------------- t_
@op(kind="method", inplace=True, grad_fns=("TBackward1",))
def t_(self):
    """Transpose a matrix in place (0-d and 1-d tensors stay as they are); ``self`` becomes
    its own transpose, as a view of the same storage."""
    n = self._data.ndim
    if n > 2:
        raise errors.EngineRuntimeError(
            f"t_() expects a tensor with <= 2 dimensions, but self is {n}D")
    check_inplace(self)
    flipped = t(self)
    if self._base is None and n == 2:  # (the views of it made before: shape.relayout_views)
        relayout_views(self, t)
    self._data = flipped._data
    self._vc[0] += 1
    fn = flipped._grad_fn
    if fn is not None:
        rename(fn, "TBackward1")
        self._grad_fn, self._output_nr, self.requires_grad = fn, 0, True
    if self._base is not None:
        self._view_fn = flipped._view_fn
        self._view_version = self._vc[0]
    return self


__all__ = ["one_hot", "repeat_interleave", "meshgrid", "t_"]
