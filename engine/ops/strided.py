"""Geometry over a tensor's storage, as torch's: ``as_strided`` (a view of any sizes and
strides from a storage offset, default the input's own), ``as_strided_`` (the same, in place),
``resize_`` and ``resize_as_`` (a new contiguous geometry from the storage offset; growing takes
new memory).

A storage here is the NumPy array owning the memory (``shape_more._storage_root``), read flat.
Its growth cannot be shared with other tensors on it (NumPy cannot grow a buffer in place): a
tensor grown by ``resize_`` gets a storage of its own (see docs/engine-api.md)."""

from __future__ import annotations

import numpy as np

from .. import errors
from ..autograd import needs_grad, record
from ..modes import no_grad
from ..tensor import Tensor, _wrap
from ._args import shape_arg
from .families import check_inplace
from .memory_format import preserve_copy
from .registry import register
from .shape import make_view
from .shape_more import _storage_root
from .shape_more import storage_offset as _offset_of

_GRAD_RESIZE = "cannot resize variables that require grad"


def _flat_storage(t: Tensor):
    """``t``'s storage as a flat array (a view of the memory), or NotSupported. (Under vmap,
    reading a BatchedArray's memory layout raises BatchingError: vmap then runs the function
    once per sample.)"""
    root = _storage_root(t._data)
    if not root.flags.c_contiguous or t.device.type != "cpu":
        raise errors.NotSupported(
            "as_strided / resize_ of a tensor whose storage is not a plain contiguous buffer")
    return root.reshape(-1)


def _ints(name: str, what: str, value) -> tuple:
    try:
        return tuple(int(v) for v in value)
    except TypeError:
        raise errors.EngineTypeError(
            f"{name}(): argument '{what}' must be tuple of ints, not "
            f"{type(value).__name__}") from None


def _geometry_checks(size: tuple, stride: tuple, offset: int, itemsize: int,
                     storage_size: int) -> None:
    if len(size) != len(stride):
        raise errors.EngineRuntimeError("mismatch in length of strides and shape")
    if any(s < 0 for s in stride):
        raise errors.EngineRuntimeError(
            "as_strided: Negative strides are not supported at the moment, got strides: "
            f"[{', '.join(map(str, stride))}]")
    if any(s < 0 for s in size):
        raise errors.EngineRuntimeError(
            f"Storage size calculation overflowed with sizes=[{', '.join(map(str, size))}] "
            f"and strides=[{', '.join(map(str, stride))}]")
    if offset < 0:
        raise errors.EngineRuntimeError(
            f"Tensor: invalid storage offset {offset}")
    if 0 in size:
        return
    need = (offset + 1 + sum((n - 1) * st for n, st in zip(size, stride))) * itemsize
    if need > storage_size * itemsize:
        raise errors.EngineRuntimeError(
            f"setStorage: sizes [{', '.join(map(str, size))}], strides "
            f"[{', '.join(map(str, stride))}], storage offset {offset}, and itemsize {itemsize} "
            f"requiring a storage size of {need} are out of bounds for storage of size "
            f"{storage_size * itemsize}")


def _strided_array(t: Tensor, size: tuple, stride: tuple, offset: int):
    """The array of ``size`` and ``stride`` (elements) from ``offset`` into ``t``'s storage."""
    flat = _flat_storage(t)
    _geometry_checks(size, stride, offset, flat.itemsize, flat.size)
    start = flat[min(offset, flat.size):]  # (an empty view may start past the storage)
    return np.lib.stride_tricks.as_strided(
        start, size, tuple(st * flat.itemsize for st in stride), writeable=True)


def clone_preserve_strides(t: Tensor):
    """torch's ``clone_preserve_strides`` (what ``slice_scatter`` and its kin write into): a
    copy with ``t``'s strides and storage offset over a storage of the same size; a plain
    ``clone()`` when ``t`` overlaps itself (a stride 0) or its storage is not a plain buffer."""
    a = t._data
    root = _storage_root(a) if type(a) is np.ndarray else None
    if root is None or not root.flags.c_contiguous or any(
            s == 0 and n > 1 for n, s in zip(a.shape, a.strides)) or any(
            s < 0 for s in a.strides):
        return preserve_copy(a, t.device.xp)
    buf = np.empty(root.nbytes // a.itemsize, dtype=a.dtype)
    out = np.lib.stride_tricks.as_strided(buf[_offset_of(t):], a.shape, a.strides,
                                          writeable=True)
    out[...] = a
    return out


def _positions(arr, flat) -> np.ndarray:
    """The storage positions (elements) of ``arr``'s elements, in C order."""
    if arr.size == 0:
        return np.zeros(0, dtype=np.int64)
    first = (arr.__array_interface__["data"][0] - flat.__array_interface__["data"][0]) \
        // arr.itemsize
    pos = np.full(arr.shape, first, dtype=np.int64)
    for d, (n, st) in enumerate(zip(arr.shape, arr.strides)):
        shape = [1] * arr.ndim
        shape[d] = n
        pos = pos + (np.arange(n, dtype=np.int64) * (st // arr.itemsize)).reshape(shape)
    return pos.reshape(-1)


def _as_strided_grad(g: Tensor, view_pos: np.ndarray, in_pos: np.ndarray,
                     in_shape: tuple) -> Tensor:
    """The input's gradient: the view's gradient summed into its storage positions, read back
    at the input's (an element the input holds more than once shares it out evenly)."""
    xp = g.device.xp
    size = int(max(view_pos.max(initial=-1), in_pos.max(initial=-1))) + 1
    storage = _wrap(xp.zeros(size, dtype=g.dtype.np), g.dtype, g.device)
    where = _wrap(xp.asarray(view_pos), _int64(), g.device)
    storage = storage.index_add(0, where, g.reshape(-1))
    back = storage.index_select(0, _wrap(xp.asarray(in_pos), _int64(), g.device))
    counts = np.bincount(in_pos, minlength=size)[in_pos] if in_pos.size else in_pos
    if in_pos.size and (counts > 1).any():
        back = back / _wrap(xp.asarray(counts.astype(g.dtype.np)), g.dtype, g.device)
    return back.reshape(in_shape)


def _int64():
    from ..dtypes import int64

    return int64


def as_strided(input, size, stride, storage_offset=None):
    """A view of ``input``'s storage with ``size`` and ``stride`` (in elements) from
    ``storage_offset`` (default: ``input``'s own); elements may repeat (a zero stride)."""
    if not isinstance(input, Tensor):
        raise errors.EngineTypeError(
            f"as_strided(): argument 'input' (position 1) must be Tensor, not "
            f"{type(input).__name__}")
    size = _ints("as_strided", "size", size)
    stride = _ints("as_strided", "stride", stride)
    _flat_storage(input)  # (a batched array under vmap: once per sample)
    offset = _offset_of(input) if storage_offset is None else int(storage_offset)
    arr = _strided_array(input, size, stride, offset)

    def replay(t):  # (recorded, as every view's replay: a CopySlices under create_graph
        return as_strided(t, size, stride, offset)  # differentiates through it)

    out = make_view(input, arr, replay, from_root=True)
    if needs_grad(input):
        flat = _flat_storage(input)
        view_pos = _positions(arr, flat) if arr.size else np.zeros(0, dtype=np.int64)
        in_pos = _positions(input._data, flat)
        shape = input._data.shape
        record(out, "AsStridedBackward0",
               (lambda g: _as_strided_grad(g, view_pos, in_pos, shape),), (input,))
    return out


def as_strided_(self, size, stride, storage_offset=None):
    """``as_strided`` in place: ``self`` takes the new geometry over its storage."""
    check_inplace(self)
    size = _ints("as_strided_", "size", size)
    stride = _ints("as_strided_", "stride", stride)
    _flat_storage(self)
    offset = _offset_of(self) if storage_offset is None else int(storage_offset)
    arr = _strided_array(self, size, stride, offset)
    old = None
    if needs_grad(self):
        flat = _flat_storage(self)
        view_pos = _positions(arr, flat) if arr.size else np.zeros(0, dtype=np.int64)
        in_pos = _positions(self._data, flat)
        old = (view_pos, in_pos, self._data.shape)
        before = _wrap(self._data, self.dtype, self.device)
        before._grad_fn, before._output_nr, before.requires_grad = \
            self.grad_fn, self._output_nr, True
    self._data = arr
    self._vc[0] += 1
    if self._base is not None:  # still a view of its base: now of this geometry

        def replay(t):
            with no_grad():
                return as_strided(t, size, stride, offset)
        self._view_fn = replay
        self._view_version = self._vc[0]
    if old is not None:
        view_pos, in_pos, shape = old
        tmp = _wrap(arr, self.dtype, self.device)
        record(tmp, "AsStridedBackward1",
               (lambda g: _as_strided_grad(g, view_pos, in_pos, shape),), (before,))
        self._grad_fn, self._output_nr = tmp._grad_fn, 0
    return self


def _sizes(args) -> tuple:
    if len(args) == 1 and not isinstance(args[0], (int, np.integer)):
        return tuple(shape_arg(args[0]))
    return tuple(shape_arg(args))


def resize_(self, *sizes, memory_format=None):
    """``self`` with the given sizes, contiguous from its storage offset: the elements already
    there are kept; growing past the storage takes new memory (its values are whatever
    torch's fresh memory holds: zeros here). Refused on a tensor that requires grad."""
    if self.requires_grad:
        raise errors.EngineRuntimeError(_GRAD_RESIZE)
    if memory_format is not None:
        raise errors.NotSupported("resize_(memory_format=...)")
    raw = sizes[0] if len(sizes) == 1 and not isinstance(sizes[0], (int, np.integer)) \
        else sizes
    if any(isinstance(s, (int, np.integer)) and s < 0 for s in raw):
        raise errors.EngineRuntimeError("numel: integer multiplication overflow")
    size = _sizes(sizes)
    if size == self._data.shape:
        return self
    flat = _flat_storage(self)
    offset = _offset_of(self)
    numel = int(np.prod(size, dtype=np.int64))
    if offset + numel > flat.size:  # new memory, the old elements copied in
        grown = np.zeros(offset + numel, dtype=flat.dtype)
        grown[:flat.size] = flat
        flat = grown
        self._base = None  # (its storage is its own now)
        self._view_fn = None
    self._data = flat[offset:offset + numel].reshape(size)
    if self._base is not None:
        stride = tuple(int(s) // flat.itemsize for s in self._data.strides)

        def replay(t):
            with no_grad():
                return as_strided(t, size, stride, offset)
        self._view_fn = replay
    self._vc[0] += 1
    return self


def resize_as_(self, the_template, memory_format=None):
    """``resize_`` to ``the_template``'s sizes."""
    if not isinstance(the_template, Tensor):
        raise errors.EngineTypeError(
            "resize_as_(): argument 'the_template' (position 1) must be Tensor, not "
            f"{type(the_template).__name__}")
    return resize_(self, the_template._data.shape, memory_format=memory_format)


register("as_strided", as_strided, grad_fns=("AsStridedBackward0",))
register("as_strided_", as_strided_, kind="method", inplace=True,
         grad_fns=("AsStridedBackward1",))
register("resize_", resize_, kind="method", inplace=True, differentiable=False)
register("resize_as_", resize_as_, kind="method", inplace=True, differentiable=False)
