"""``torch.nn.functional.max_unpool1d/2d/3d``: the partial inverse of a max pool. Each input
value is written at its flat index (as ``max_pool*(return_indices=True)`` returns them) in a
zero ``(N, C, *output_size)`` output plane; where an index repeats, the last value in the input's
order wins, as torch's CPU kernel writes them. The gradient gathers the output gradient at the
indices (torch's ``max_pool_double_backward``: View, Gather, View nodes, so it is differentiable
again), and the output size follows torch's Python (``_unpool_output_size``) with its
ValueErrors. 1-D unpooling runs as 2-D over a trailing unit axis, as torch records it
(Unsqueeze, MaxUnpool2DBackward0, Squeeze)."""

from __future__ import annotations

import math

import numpy as np

from .. import errors
from ..autograd import needs_grad, record
from ..modes import check_numel
from ..tensor import Tensor, _wrap
from . import kernel_dtypes
from .registry import op


def _tuple(value, n: int) -> tuple:
    if isinstance(value, (list, tuple)):
        return tuple(value)
    return (value,) * n


def _output_size(input: Tensor, ks, st, pad, output_size) -> list:
    """torch's ``_unpool_output_size``: the default size, or ``output_size`` (last ``k`` of
    ``k`` or ``k + 2`` entries) when it lies strictly within one stride of the default."""
    n = len(ks)
    if not isinstance(input, Tensor):  # (torch: AttributeError from its Python, input.size())
        raise errors.EngineTypeError(f"max_unpool{n}d(): argument 'input' (position 1) must be "
                                     f"Tensor, not {type(input).__name__}")
    size = input.shape
    default = [(size[-n + d] - 1) * st[d] + ks[d] - 2 * pad[d] for d in range(n)]
    if output_size is None:
        ret = default
    else:
        if len(output_size) == n + 2:
            output_size = output_size[2:]
        if len(output_size) != n:
            raise errors.EngineValueError(
                f"output_size should be a sequence containing {n} or {n + 2} elements, but it "
                f"has a length of '{len(output_size)}'")
        for d in range(n):
            low, high = default[d] - st[d], default[d] + st[d]
            if not low < output_size[d] < high:
                raise errors.EngineValueError(f'invalid output_size "{output_size}" (dim {d} '
                                              f"must be between {low} and {high})")
        ret = output_size
    for d in range(n):
        if ret[d] < 0:
            raise errors.EngineValueError(
                "max_unpooling: output_size must contain non-negative spatial dimensions, but "
                f"got output_size[{d}]={ret[d]}")
    for d, v in enumerate(ret):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
            raise errors.EngineTypeError(
                f"max_unpool{n}d(): argument 'output_size' failed to unpack the object at pos "
                f"{d + 1} with error \"type must be tuple of ints,but got "
                f"{type(v).__name__}\"")
    return [int(v) for v in ret]


def _shape(shape) -> str:
    return "[" + ", ".join(str(s) for s in shape) + "]"


def _unpool(input: Tensor, indices, out_size: list, nd: int, stride=None) -> Tensor:
    """The native ``max_unpool{nd}d`` (nd = 2 or 3) over ``(N, C, *)`` or ``(C, *)``."""
    kernel = f"max_unpool{nd}d"
    if not isinstance(indices, Tensor):
        raise errors.EngineTypeError(f"{kernel}(): argument 'indices' (position 2) must be "
                                     f"Tensor, not {type(indices).__name__}")
    if indices.dtype.name != "int64":
        raise errors.EngineRuntimeError(
            "elements in indices should be type int64" + (
                f" but got: {indices.dtype.scalar_name}" if nd == 2 else ""))
    x = input
    if x.ndim not in (nd + 1, nd + 2):
        raise errors.EngineRuntimeError(
            f"Input to max_unpooling{nd}d should be a {nd + 1}d or {nd + 2}d Tensor, but got a "
            f"tensor with {x.ndim} dimensions.")
    if tuple(indices.shape) != tuple(x.shape):
        raise errors.EngineRuntimeError(
            "Expected shape of indices to be same as that of the input tensor "
            f"({_shape(x.shape)}) but got indices tensor with shape: "
            f"{_shape(indices.shape)}")
    for d in range(1, x.ndim):
        if x.shape[d] == 0:
            raise errors.EngineRuntimeError(
                f"max_unpooling{nd}d_forward_out_cpu(): Expected input to have non-zero size "
                f"for non-batch dimensions, but got {_shape(x.shape)} with dimension {d} being "
                "empty.")
    if stride is not None and any(s <= 0 for s in stride):
        raise errors.EngineRuntimeError(
            f"strides should be greater than zero, but got stride: {list(stride)}")
    if x._data.size:  # (an empty batch: torch's kernel never runs)
        kernel_dtypes.check(f"max_unpool{nd}d", x)
    xp = x.device.xp
    lead = tuple(x.shape[:x.ndim - nd])
    plane = math.prod(out_size)
    out_shape = lead + tuple(out_size)
    check_numel(out_shape)
    values = x._data.reshape(-1, math.prod(x.shape[x.ndim - nd:]))
    index = indices._data.reshape(values.shape)
    bad = (index < 0) | (index >= plane)
    if bool(bad.any()):
        # the first in C order: torch's kernel reports one its threads met, which for several
        # invalid indices depends on how its scan was split (one invalid index: the same)
        first = int(index.reshape(-1)[int(xp.argmax(bad.reshape(-1)))])
        raise errors.EngineRuntimeError(
            f"Found an invalid max index: {first} (output volumes are of size "
            f"{'x'.join(str(s) for s in out_size)})")
    res = xp.zeros((values.shape[0], plane), dtype=x._data.dtype)
    rows = xp.broadcast_to(xp.arange(values.shape[0])[:, None], values.shape)
    res[rows, index] = values  # repeated indices: the last write in C order wins
    out = _wrap(res.reshape(out_shape), x.dtype, x.device)
    if needs_grad(x):
        start = len(lead)
        shape = tuple(x.shape)

        def back(g: Tensor) -> Tensor:
            flat = g.reshape(lead + (plane,))
            return flat.gather(start, indices.reshape(lead + (values.shape[1],))).reshape(shape)

        record(out, f"MaxUnpool{nd}DBackward0", (back,), (x,), guards=(indices,))
    return out


@op(kind="function", grad_fns=("SqueezeBackward1",))
def max_unpool1d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """Partial inverse of ``max_pool1d``: ``input``'s values written at ``indices`` in a zero
    ``(N, C, L_out)`` tensor (``L_out = (L - 1) * stride + kernel_size - 2 * padding`` unless
    ``output_size`` says otherwise)."""
    ks = _tuple(kernel_size, 1)
    st = ks if stride is None else _tuple(stride, 1)
    pad = _tuple(padding, 1)
    size = _output_size(input, ks, st, pad, output_size) + [1]
    if not isinstance(indices, Tensor):
        raise errors.EngineTypeError("max_unpool2d(): argument 'indices' (position 2) must be "
                                     f"Tensor, not {type(indices).__name__}")
    return _unpool(input.unsqueeze(-1), indices.unsqueeze(-1), size, 2).squeeze(-1)


@op(kind="function", grad_fns=("MaxUnpool2DBackward0",))
def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """Partial inverse of ``max_pool2d``: ``input``'s values written at ``indices`` (flat in
    each ``H_out * W_out`` plane) in a zero ``(N, C, H_out, W_out)`` tensor."""
    ks = _tuple(kernel_size, 2)
    st = ks if stride is None else _tuple(stride, 2)
    pad = _tuple(padding, 2)
    size = _output_size(input, ks, st, pad, output_size)
    return _unpool(input, indices, size, 2)


@op(kind="function", grad_fns=("MaxUnpool3DBackward0",))
def max_unpool3d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """Partial inverse of ``max_pool3d``: ``input``'s values written at ``indices`` (flat in
    each ``D_out * H_out * W_out`` volume) in a zero ``(N, C, D_out, H_out, W_out)`` tensor."""
    ks = _tuple(kernel_size, 3)
    st = ks if stride is None else _tuple(stride, 3)
    pad = _tuple(padding, 3)
    size = _output_size(input, ks, st, pad, output_size)
    return _unpool(input, indices, size, 3, st)


__all__ = ["max_unpool1d", "max_unpool2d", "max_unpool3d"]
