"""``pad`` (``torch.nn.functional.pad``): constant, reflect, replicate and circular padding of
the last 1, 2 or 3 dims (negative amounts crop).

Constant padding is one node (``ConstantPadNdBackward0``); reflect, replicate and circular
gather along each padded dim (``ReflectionPad{1,2,3}DBackward0``, ``ReplicationPad...``; for
circular, PyTorch's top node ``CopySlices``), with a scatter-add as the gradient (itself
differentiable: its gradient is the gather).
"""

from __future__ import annotations

import numpy as np

from .. import errors
from ..autograd import needs_grad, record
from ..dtypes import bool_, float16, half_number
from ..modes import check_numel
from ..tensor import Tensor, _wrap
from .creation import zeros_like
from .memory_format import as_preserved, as_suggested
from .registry import op

_MODES = ("constant", "reflect", "replicate", "circular")
_SUPPORTED = (
    "Padding size {size} is not supported for {ndim}D input tensor.\nSupported combinations for "
    "non-constant padding:\n  - 2D or 3D input: padding size = 2 (pads last dimension)\n  - 3D or "
    "4D input: padding size = 4 (pads last 2 dimensions)\n  - 4D or 5D input: padding size = 6 "
    "(pads last 3 dimensions)")


def _pad_list(pad) -> list:
    if isinstance(pad, Tensor):
        raise errors.EngineTypeError(
            "pad(): argument 'pad' (position 2) must be tuple of ints, not Tensor")
    out = []
    for i, p in enumerate(pad):
        if isinstance(p, Tensor) and p._data.ndim == 0 and not p.dtype.is_floating_point:
            p = int(p.item())
        if not isinstance(p, (int, np.integer)) or isinstance(p, bool):
            raise errors.EngineTypeError(
                "pad(): argument 'pad' (position 2) must be tuple of ints, but found element of "
                f"type {type(p).__name__} at pos {i}")
        out.append(int(p))
    return out


def _per_dim(pads: list, ndim: int) -> list:
    """``[(dim, before, after), ...]`` from PyTorch's last-dim-first pad list."""
    return [(ndim - 1 - i, pads[2 * i], pads[2 * i + 1]) for i in range(len(pads) // 2)]


@op(kind="function", grad_fns=("ConstantPadNdBackward0", "ReflectionPad1DBackward0",
                               "ReplicationPad1DBackward0", "CopySlices"))
def pad(input, pad, mode="constant", value=None):
    """Pad the last dims of ``input``: ``pad`` lists (before, after) amounts starting from the
    last dim. ``mode``: "constant" (with ``value``, 0 by default), "reflect", "replicate" or
    "circular"; negative amounts crop."""
    pads = _pad_list(pad)
    if len(pads) % 2:
        raise errors.EngineRuntimeError("Padding length must be divisible by 2")
    ndim = input._data.ndim
    if mode not in _MODES:
        raise errors.NotSupported(f"Unrecognised padding mode {mode}")
    if len(pads) > 2 * ndim:
        raise errors.EngineRuntimeError(
            "Padding length should be less than or equal to two times the input dimension "
            f"but got padding length {len(pads)} and input of dimension {ndim}")
    if mode == "constant":
        return _constant_pad(input, pads, 0 if value is None else value)
    if value is not None and value != 0:
        raise errors.EngineRuntimeError(
            f'Padding mode "{mode}" doesn\'t take in value argument')
    k = len(pads) // 2
    if k not in (1, 2, 3) or ndim not in (k + 1, k + 2):
        raise errors.NotSupported(_SUPPORTED.format(size=len(pads), ndim=ndim))
    if mode == "circular":
        return _circular_pad(input, pads)
    return _gather_pad(input, pads, mode, k)


# --------------------------------------------------------------------------- constant
def _constant_pad(input: Tensor, pads: list, value) -> Tensor:
    shape = list(input._data.shape)
    dims = _per_dim(pads, len(shape))
    out_shape = list(shape)
    for d, before, after in dims:
        size = shape[d] + before + after
        if size < 0:
            raise errors.EngineRuntimeError("narrow(): length must be non-negative.")
        out_shape[d] = size
    check_numel(tuple(out_shape))
    xp = input.device.xp
    dt = input.dtype
    if dt is bool_:
        fill = bool(value)
    elif dt.is_floating_point:
        fill = half_number(float(value)) if dt is float16 else float(value)
    else:
        fill = int(value)
    out = xp.full(tuple(out_shape), fill, dtype=dt.np)
    src, dst = [slice(None)] * len(shape), [slice(None)] * len(shape)
    for d, before, after in dims:
        src[d] = slice(max(-before, 0), shape[d] - max(-after, 0))
        dst[d] = slice(max(before, 0), out_shape[d] - max(after, 0))
    out[tuple(dst)] = input._data[tuple(src)]
    # torch's layouts: cropping only is a clone of the cropped view (its order of dims kept);
    # else the input's suggested memory format (channels-last stays so)
    out = as_preserved(out, input._data[tuple(src)]) if all(p <= 0 for p in pads) else \
        as_suggested(out, input._data)
    res = _wrap(out, dt, input.device)
    if needs_grad(input):
        negated = [-p for p in pads]
        record(res, "ConstantPadNdBackward0", (lambda g: _constant_pad(g, negated, 0),),
               (input,))
    return res


# --------------------------------------------------------------------------- reflect, replicate
def _source_index(n: int, before: int, after: int, mode: str):
    """For each output position along a dim of size ``n``, the input position it copies."""
    j = np.arange(-before, n + after)
    if mode == "replicate":
        return np.clip(j, 0, n - 1)
    period = 2 * (n - 1)
    if period == 0:
        return np.zeros_like(j)
    j = np.abs(j) % period
    return np.where(j >= n, period - j, j)


def _gather_pad(input: Tensor, pads: list, mode: str, k: int) -> Tensor:
    shape = input._data.shape
    ndim = len(shape)
    node = f"{'ReflectionPad' if mode == 'reflect' else 'ReplicationPad'}{k}D"
    if input.dtype is bool_:
        raise errors.KernelNotImplemented(errors.NOT_IMPLEMENTED_FOR.format(
            kernel=f"{'reflection' if mode == 'reflect' else 'replication'}_pad{k}d",
            dtype=input.dtype.scalar_name))
    batch = ndim == k + 2
    if any(s == 0 for i, s in enumerate(shape) if not (batch and i == 0)):
        raise errors.EngineRuntimeError(
            f"Expected {k + 1}D or {k + 2}D (batch mode) tensor with possibly 0 batch size and "
            f"other non-zero dimensions for input, but got: {list(shape)}")
    dims = _per_dim(pads, ndim)
    out_shape = list(shape)
    for d, before, after in dims:
        out_shape[d] = shape[d] + before + after
    for i, (d, before, after) in enumerate(dims):
        if mode == "reflect" and (before >= shape[d] or after >= shape[d]):
            raise errors.EngineRuntimeError(
                f"Argument #{4 + 2 * i}: Padding size should be less than the corresponding "
                f"input dimension, but got: padding ({before}, {after}) at dimension {d} of "
                f"input {list(shape)}")
    if any(out_shape[d] < 1 for d, _, _ in dims):
        if k == 1:
            d = dims[0][0]
            raise errors.EngineRuntimeError(
                f"input (W: {shape[d]}) is too small. Calculated output W: {out_shape[d]}")
        bad = next(out_shape[d] for d, _, _ in dims if out_shape[d] < 1)
        raise errors.EngineRuntimeError(
            f"Trying to create tensor with negative dimension {bad}: {out_shape}")
    check_numel(tuple(out_shape))
    xp = input.device.xp
    index = [(d, xp.asarray(_source_index(shape[d], before, after, mode)))
             for d, before, after in dims]
    return _gather(input, index, f"{node}Backward0", f"{node}BackwardBackward0", True)


def _gather(t: Tensor, index: list, node: str, back: str, saves_input: bool = False) -> Tensor:
    """``t`` gathered along each ``(dim, positions)`` in turn; nodes ``node`` and, for its
    gradient, ``back``. ``saves_input``: the backward reads the input (torch's padding
    backwards do), so its node has an edge to it (a zero gradient)."""
    xp = t.device.xp
    arr = t._data
    for d, idx in index:
        arr = xp.take(arr, idx, axis=d)
    # (reflect / replicate: the input's suggested memory format, as their kernels; circular's
    # copies are row-major)
    arr = xp.ascontiguousarray(arr)
    arr = as_suggested(arr, t._data) if saves_input else arr
    out = _wrap(arr, t.dtype, t.device)
    if needs_grad(t):
        shape = t._data.shape
        if saves_input:
            record(out, node, (lambda g, x: _scatter(g, index, shape, node, back, x),), (t,),
                   (t,))
        else:
            record(out, node, (lambda g: _scatter(g, index, shape, node, back),), (t,))
    return out


def _scatter(g: Tensor, index: list, shape: tuple, node: str, back: str,
             x: Tensor | None = None) -> Tensor:
    """The adjoint of ``_gather``: each output's gradient added back to its source."""
    xp = g.device.xp
    arr = g._data
    for d, idx in reversed(index):
        target = list(arr.shape)
        target[d] = shape[d]
        acc = xp.zeros(tuple(target), dtype=arr.dtype)
        moved = xp.moveaxis(acc, d, 0)
        xp.add.at(moved, idx, xp.moveaxis(arr, d, 0))
        arr = acc
    out = _wrap(arr if x is None else as_suggested(arr, x._data), g.dtype, g.device)
    if x is not None and needs_grad(g, x):
        record(out, back, (lambda gg: _gather(gg, index, node, back, True),
                           lambda gg: zeros_like(x)), (g, x))
    elif needs_grad(g):
        record(out, back, (lambda gg: _gather(gg, index, node, back),), (g,))
    return out


# --------------------------------------------------------------------------- circular
def _circular_pad(input: Tensor, pads: list) -> Tensor:
    """Each padded side copied from the opposite end (PyTorch builds this by copying slices
    into a new tensor, recorded as ``CopySlices``; here it is one gather, under that name)."""
    shape = input._data.shape
    ndim = len(shape)
    dims = _per_dim(pads, ndim)
    for d, before, after in dims:
        if before > shape[d] or after > shape[d]:
            raise errors.EngineRuntimeError(
                "Padding value causes wrapping around more than once.")
        if shape[d] + before + after < 0:
            raise errors.EngineRuntimeError(
                "Negative padding value is resulting in an empty dimension")
    check_numel(tuple(shape[d] + b + a for d, b, a in dims))
    xp = input.device.xp
    index = []
    for d, before, after in dims:  # a negative side crops first; the rest wraps the remainder
        start, kept = max(-before, 0), shape[d] - max(-before, 0) - max(-after, 0)
        j = np.arange(-max(before, 0), kept + max(after, 0))
        index.append((d, xp.asarray(j % max(kept, 1) + start)))
    return _gather(input, index, "CopySlices", "CopySlicesBackward")


__all__ = ["pad"]
