"""Pooling (``torch.nn.functional`` max, average and adaptive pools, 1-D to 3-D).

Windows come from the strided view ``conv.windows`` (no loop over pixels). Max pools keep the
flat index of each maximum in its input plane, as torch returns them, and their gradient adds
the output gradient back at those indices; its own gradient gathers from them. Average pools
are linear: their gradient spreads ``g / divisor`` over the windows (col2im) and its gradient is
the average pool again. Adaptive average pooling is a product with one averaging matrix per
spatial axis. 1-D pools run as 2-D pools over an unsqueezed input, as torch records them.
"""

from __future__ import annotations

import math

import numpy as np

from .. import errors
from ..autograd import needs_grad, record
from ..dtypes import int64
from ..modes import check_numel
from ..tensor import Tensor, _wrap
from . import kernel_dtypes
from .conv import col2im, windows
from .memory_format import as_suggested, relaid
from .registry import op
from .sampling import resample, window_taps

_AXES = {1: ("W",), 2: ("H", "W"), 3: ("T", "H", "W")}
_COUNT = {1: "one", 2: "two", 3: "three"}


def _shape(shape) -> str:
    return "[" + ", ".join(str(s) for s in shape) + "]"


def _not_for(kernel: str, t: Tensor):
    return errors.KernelNotImplemented(errors.NOT_IMPLEMENTED_FOR.format(
        kernel=kernel, dtype=t.dtype.scalar_name))


def _check_input(t, fn: str) -> None:
    if not isinstance(t, Tensor):
        raise errors.EngineTypeError(errors.MUST_BE_TENSOR.format(
            op=fn, arg="input", pos=1, type=type(t).__name__))


# --------------------------------------------------------------------------- arguments
def _ints(value, name: str, fn: str, pos: int) -> tuple | None:
    """An int or a sequence of ints as a tuple (None stays None); torch's TypeError otherwise."""
    if value is None:
        return None
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return (int(value),)
    if isinstance(value, (list, tuple)) and all(
            isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in value):
        return tuple(int(v) for v in value)
    raise errors.EngineTypeError(
        f"{fn}(): argument '{name}' (position {pos}) must be tuple of ints, not "
        f"{type(value).__name__}")


def _pool_params(fn: str, nd: int, kernel_size, stride, padding, dilation=1, *, avg=False):
    """Kernel, stride, padding and dilation as nd-tuples, with torch's length checks."""
    word = _COUNT[nd]
    ks = _ints(kernel_size, "kernel_size", fn, 2)
    must = "must be a single int" if avg and nd == 3 else "must either be a single int"
    if len(ks) not in (1, nd):
        raise errors.EngineRuntimeError(
            f"{fn}: kernel_size {must}, or a tuple of {word} ints")
    ks = ks * nd if len(ks) == 1 else ks
    st = _ints(stride, "stride", fn, 3)
    if st is not None and len(st) not in (0, 1, nd):
        raise errors.EngineRuntimeError(
            f"{fn}: stride must either be omitted, a single int, or a tuple of {word} ints")
    st = ks if not st else st * nd if len(st) == 1 else st
    pad = _ints(padding, "padding", fn, 4)
    if len(pad) not in (1, nd):
        raise errors.EngineRuntimeError(
            f"{fn}: padding must either be a single int, or a tuple of {word} ints")
    pad = pad * nd if len(pad) == 1 else pad
    dil = _ints(dilation, "dilation", fn, 5)
    if len(dil) not in (1, nd):
        raise errors.EngineRuntimeError(
            f"{fn}: dilation must be either a single int, or a tuple of {word} ints")
    dil = dil * nd if len(dil) == 1 else dil
    return ks, st, pad, dil


def _output_size(size: int, k: int, s: int, p: int, d: int, ceil_mode: bool) -> int:
    if s == 0:
        raise errors.EngineRuntimeError("stride should not be zero")
    if p < 0:
        raise errors.EngineRuntimeError(f"pad must be non-negative, but got pad: {p}")
    if p > ((k - 1) * d + 1) // 2:
        raise errors.EngineRuntimeError(
            f"pad should be at most half of effective kernel size, but got pad={p}, "
            f"kernel_size={k} and dilation={d}")
    out = (size + 2 * p - d * (k - 1) - 1 + (s - 1 if ceil_mode else 0)) // s + 1
    if ceil_mode and (out - 1) * s >= size + p:
        out -= 1
    return out


def _shape_check(x: Tensor, nd: int, ks, st, pad, dil, out_len) -> None:
    axes = _AXES[nd] if nd > 1 else ("H", "W")
    pairs = lambda prefix, vals: " ".join(  # noqa: E731
        f"{prefix}{a}: {v}" for a, v in zip(axes[-len(vals):], vals, strict=True))
    if any(k <= 0 for k in ks):
        raise errors.EngineRuntimeError(
            f"kernel size should be greater than zero, but got {pairs('k', ks)}")
    if any(s <= 0 for s in st):
        raise errors.EngineRuntimeError(
            f"stride should be greater than zero, but got {pairs('d', st)}")
    if any(d <= 0 for d in dil):
        raise errors.EngineRuntimeError(
            f"dilation should be greater than zero, but got {pairs('dilation', dil)}")
    shape = x._data.shape
    if any(s == 0 for s in shape[-nd - 1:]):
        raise errors.EngineRuntimeError(
            f"Expected {nd + 1}D or {nd + 2}D (batch mode) tensor with optional 0 dim batch "
            f"size for input, but got:{_shape(shape)}")
    if any(v < 1 for v in out_len):
        plane = "x".join(str(s) for s in shape[-nd - 1:])
        outs = "x".join(str(s) for s in (shape[-nd - 1],) + tuple(out_len))
        raise errors.EngineRuntimeError(
            f"Given input size: ({plane}). Calculated output size: ({outs}). Output size is "
            "too small")


def _right_pad(size: int, k: int, s: int, p: int, d: int, out: int) -> int:
    """Padding on the right so that every (ceil mode) window lies in the padded array."""
    return max(p, (out - 1) * s + d * (k - 1) + 1 - size - p)


def _batched(x: Tensor, nd: int):
    """The array with a batch axis (added for unbatched input), and whether it had one."""
    arr = x._data
    return (arr, True) if arr.ndim == nd + 2 else (arr[None], False)


def _unravel(xp, flat_k, ksize: tuple) -> list:
    """Kernel offsets of a flat index into a window of shape ``ksize``."""
    coords = []
    for k in reversed(ksize):
        coords.append(flat_k % k)
        flat_k = flat_k // k
    return coords[::-1]


def _grid(xp, n: int, axis: int, nd: int):
    """``arange(n)`` shaped to broadcast along spatial axis ``axis`` of ``(N, C, *L)``."""
    shape = [1] * (nd + 2)
    shape[2 + axis] = n
    return xp.arange(n).reshape(shape)


# --------------------------------------------------------------------------- max pooling
def _lowest(xp, dtype):
    return -np.inf if np.dtype(dtype).kind == "f" else np.iinfo(dtype).min


def _plane_strides(spatial: tuple) -> list:
    """Flat-index step of each spatial axis within a plane."""
    return [math.prod(spatial[i + 1:]) for i in range(len(spatial))]


def _inside(xp, spatial, ks, st, pad, dil, out_len, k):
    """Where kernel offset ``k`` of each window falls inside the input (None: everywhere)."""
    mask = None
    for i in range(len(ks)):
        pos = np.arange(out_len[i]) * st[i] - pad[i] + k[i] * dil[i]
        ok = (pos >= 0) & (pos < spatial[i])
        if ok.all():
            continue
        shape = [1] * len(ks)
        shape[i] = -1
        part = xp.asarray(ok.reshape(shape))
        mask = part if mask is None else mask & part
    return mask


def _max_pool_arrays(xp, arr, ks, st, pad, dil, out_len):
    """Maxima over windows and their flat indices into each input plane. One pass per kernel
    offset over strided views: a later element wins when it is greater or NaN (torch's rule,
    so ties keep the first maximum and a NaN propagates), padding never wins."""
    nd = len(ks)
    spatial = arr.shape[2:]
    right = tuple(_right_pad(spatial[i], ks[i], st[i], pad[i], dil[i], out_len[i])
                  for i in range(nd))
    if any(pad) or any(right):
        widths = ((0, 0), (0, 0)) + tuple(zip(pad, right, strict=True))
        arr = xp.pad(arr, widths, mode="constant")
    win = windows(xp, arr, ks, st, dil, out_len)
    steps = _plane_strides(spatial)
    floating = arr.dtype.kind == "f"
    count = math.prod(ks)
    fast = xp is np
    if fast and count * math.prod(out_len) <= 2 * math.prod(arr.shape[2:]):
        # windows that overlap little: one copy with the kernel axes first, so each offset's
        # values are one contiguous array (NumPy's loops on the strided views run ~6x slower)
        order = tuple(range(2 + nd, 2 + 2 * nd)) + tuple(range(2 + nd))
        win = np.ascontiguousarray(win.transpose(order))
        win = win.transpose(tuple(range(nd, 2 + 2 * nd)) + tuple(range(nd)))
    # Which kernel offset holds each window's maximum is kept as its ordinal + 1 (``code``;
    # 0: no element inside the input yet), and turned into the int64 flat index at the end.
    # On NumPy the selections are branch-free: the ordinals only grow, so a taken offset's
    # ordinal is a maximum, and the values are chosen bitwise (NumPy's ``where`` on a random
    # mask runs ~10x slower); both give exactly ``where``'s elements.
    code_type = np.min_scalar_type(count)
    offsets = []  # the flat offset of each kernel position within its window
    best = code = None
    padded = False  # some window starts in the padding: its index is set by its first inside
    for nr, k in enumerate(np.ndindex(*ks)):
        v = win[(Ellipsis,) + k]
        offsets.append(sum(k[i] * dil[i] * steps[i] for i in range(nd)))
        inside = _inside(xp, spatial, ks, st, pad, dil, out_len, k) if any(pad) or any(right) \
            else None
        if best is None and inside is None:
            best = v.copy()
            code = xp.ones(v.shape, dtype=code_type)
            continue
        if best is None:
            best = xp.full(v.shape, _lowest(xp, arr.dtype), dtype=arr.dtype)
            code = xp.zeros(v.shape, dtype=code_type)
            padded = True
        take = v > best
        if floating:
            take |= xp.isnan(v)
        if padded:  # a window's first element inside the input is its start (torch's)
            take |= code == 0
        if inside is not None:
            take &= inside
        if fast:
            _select(best, v, take)
            np.maximum(code, take * code_type.type(nr + 1), out=code)
        else:
            best = xp.where(take, v, best)
            code = xp.where(take, code_type.type(nr + 1), code)
    table = np.array([-1] + offsets, dtype=np.int64)  # code 0 (none inside): -1, as before
    index = np.take(table, code) if fast else xp.asarray(table)[code]
    if padded:  # a window with no element inside (dilation): torch's index is its start
        empty = code == 0
        if empty.any():
            start = 0
            for i in range(nd):
                first = np.arange(out_len[i]) * st[i] - pad[i]
                step = np.where(first < 0, -(first // dil[i]) * dil[i], 0) * steps[i]
                start = start + xp.asarray(step.reshape([-1] + [1] * (nd - 1 - i)))
            index = xp.where(empty, start, index)
    origin = 0  # the flat position of each window's origin
    for i in range(nd):
        origin = origin + _grid(xp, out_len[i], i, nd) * (st[i] * steps[i]) - pad[i] * steps[i]
    index = index + origin
    return best, index


def _select(best, v, take) -> None:
    """``best[take] = v[take]`` in place, branch-free: ``best ^ ((best ^ v) * take)`` on the
    elements' bits (every bit of ``v`` where ``take``: NaN payloads and signed zeros too)."""
    bits = np.dtype(f"u{best.itemsize}")
    b = best.view(bits)
    d = np.bitwise_xor(b, v.view(bits))
    np.multiply(d, take.view(np.uint8), out=d)
    np.bitwise_xor(b, d, out=b)


def _scatter_to_planes(xp, g, index, in_shape: tuple, nd: int, unique: bool = False):
    """Add ``g`` ``(*lead, *L)`` into zeros of ``in_shape`` ``(*lead, *S)`` at the flat plane
    ``index``: an assignment when the indices are known ``unique`` (windows that do not
    overlap), else a bincount."""
    plane = math.prod(in_shape[len(in_shape) - nd:])
    rows = math.prod(in_shape[:len(in_shape) - nd])
    base = (xp.arange(rows, dtype=np.int64) * plane).reshape(rows, 1)
    flat = (index.reshape(rows, -1) + base).reshape(-1)
    if unique:
        out = xp.zeros(rows * plane, dtype=g.dtype)
        out[flat] = g.reshape(-1)
        return out.reshape(in_shape)
    total = xp.bincount(flat, weights=g.reshape(-1), minlength=rows * plane)
    return total.astype(g.dtype, copy=False).reshape(in_shape)


def scatter_op(g: Tensor, x: Tensor, indices: Tensor, nd: int, name: str,
               unique: bool = False) -> Tensor:
    """The gradient of a max pool: ``g`` added into zeros shaped like ``x`` at the saved
    ``indices``. Under ``create_graph`` it is recorded as ``name``; its gradient gathers at the
    same indices."""
    plane = math.prod(x._data.shape[x._data.ndim - nd:])
    if indices._data.size and int(indices._data.max()) >= plane:
        # only a window lying wholly in the padding (dilation) has one: torch's kernel writes
        # outside the gradient's memory there (heap corruption); see docs/oracle.md
        raise errors.EngineRuntimeError(
            f"max pooling backward: index {int(indices._data.max())} is outside the input plane "
            f"of {plane} elements (a window with no element inside the input)")
    res = _scatter_to_planes(g.device.xp, g._data, indices._data, x._data.shape, nd, unique)
    out = _wrap(as_suggested(res, x._data), g.dtype, g.device)
    if needs_grad(g, x):
        shape = g._data.shape
        start = g._data.ndim - nd
        record(out, name, (lambda gg: gg.flatten(start).gather(
            start, indices.flatten(start)).reshape(shape), _zeros_like_input), (g, x))
    return out


def _zeros_like_input(gg: Tensor) -> Tensor:
    """A pool's backward is linear in the output gradient: its input's gradient is zero (as
    torch records it: a zeros tensor, not None)."""
    return _wrap(gg.device.xp.zeros_like(gg._data), gg.dtype, gg.device)


def _max_pool(input: Tensor, nd: int, ks, st, pad, dil, ceil_mode: bool, fn: str):
    x = input
    if x._data.ndim not in (nd + 1, nd + 2):
        raise errors.EngineRuntimeError(
            f"non-empty {nd + 1}D or {nd + 2}D (batch mode) tensor expected for input")
    spatial = x._data.shape[-nd:]
    out_len = tuple(_output_size(spatial[i], ks[i], st[i], pad[i], dil[i], ceil_mode)
                    for i in range(nd))
    _shape_check(x, nd, ks, st, pad, dil, out_len)
    if x.dtype.name == "bool":
        raise _not_for(fn, x)
    arr, batched = _batched(x, nd)
    check_numel(arr.shape[:2] + out_len)
    xp = x.device.xp
    values, index = _max_pool_arrays(xp, arr, ks, st, pad, dil, out_len)
    if not batched:
        values, index = values[0], index[0]
    values, index = as_suggested(values, x._data), as_suggested(index, x._data)
    out = _wrap(values, x.dtype, x.device)
    indices = _wrap(index, int64, x.device)
    if needs_grad(x):
        node = f"MaxPool{nd}DWithIndicesBackward0"
        back = f"MaxPool{nd}DWithIndicesBackwardBackward0"
        apart = all(st[i] >= dil[i] * (ks[i] - 1) + 1 for i in range(nd))
        record(out, node, (lambda g, x_, i_: scatter_op(g, x_, i_, nd, back, apart),), (x,),
               (x, indices))
    return out, indices


@op(kind="function", grad_fns=("MaxPool2DWithIndicesBackward0",))
def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """2-D max pooling over ``(N, C, H, W)`` or ``(C, H, W)``; with ``return_indices`` also the
    flat index of each maximum in its ``H * W`` plane."""
    _check_input(input, "max_pool2d")
    ks, st, pad, dil = _pool_params("max_pool2d", 2, kernel_size, stride, padding, dilation)
    out, indices = _max_pool(input, 2, ks, st, pad, dil, bool(ceil_mode), "max_pool2d")
    return (out, indices) if return_indices else out


@op(kind="function", grad_fns=("MaxPool3DWithIndicesBackward0",))
def max_pool3d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """3-D max pooling over ``(N, C, D, H, W)`` or ``(C, D, H, W)``."""
    _check_input(input, "max_pool3d")
    ks, st, pad, dil = _pool_params("max_pool3d", 3, kernel_size, stride, padding, dilation)
    out, indices = _max_pool(input, 3, ks, st, pad, dil, bool(ceil_mode), "max_pool3d")
    return (out, indices) if return_indices else out


def _one(value, name: str, fn: str, pos: int, what: str, allow_empty=False) -> int | None:
    vals = _ints(value, name, fn, pos)
    if vals is None or allow_empty and len(vals) == 0:
        return None
    if len(vals) != 1:
        raise errors.EngineRuntimeError(what.format(n=len(vals)))
    return vals[0]


@op(kind="function", grad_fns=("SqueezeBackward1",))
def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """1-D max pooling over ``(N, C, L)`` or ``(C, L)`` (a 2-D pool of the input unsqueezed
    at -2, as torch records it)."""
    _check_input(input, "max_pool1d")
    fn = "max_pool1d"
    if input._data.ndim not in (2, 3):
        raise errors.EngineRuntimeError(
            f"max_pool1d: Expected 2D or 3D (batch mode) tensor with optional 0 dim batch size "
            f"for input, but got:{_shape(input._data.shape)}")
    k = _one(kernel_size, "kernel_size", fn, 2, "max_pool1d() kernel_size must be an int, list "
             "of ints or tuple of ints of size 1 but got size {n}")
    s = _one(stride, "stride", fn, 3, "max_pool1d() stride must be None, an int, list of ints, "
             "or tuple of ints of size 1 but got size {n}", allow_empty=True)
    p = _one(padding, "padding", fn, 4, "max_pool1d() padding must be an int, list of ints, or "
             "tuple of ints of size 1 but got size {n}")
    d = _one(dilation, "dilation", fn, 5, "max_pool1d() dilation must be an int, list of ints, "
             "or tuple of ints of size 1 but got size {n}")
    s = k if s is None else s
    if k <= 0:
        raise errors.EngineRuntimeError(
            f"max_pool1d() kernel_size must be greater than zero, but got {k}")
    if s <= 0:
        raise errors.EngineRuntimeError(
            f"max_pool1d() stride must be greater than zero, but got {s}")
    if p < 0:
        raise errors.EngineRuntimeError(f"max_pool1d() padding must be non-negative, but got {p}")
    if p > k // 2:
        raise errors.EngineRuntimeError(
            f"max_pool1d() padding should be at most half of kernel size, but got padding={p} "
            f"and kernel_size={k}")
    if d <= 0:
        raise errors.EngineRuntimeError(
            f"max_pool1d() dilation must be greater than zero, but got {d}")
    length = _output_size(input._data.shape[-1], k, s, p, d, bool(ceil_mode))
    if length <= 0:
        raise errors.EngineRuntimeError(f"max_pool1d() Invalid computed output size: {length}")
    if not input.dtype.is_floating_point and not return_indices:
        raise _not_for("max_pool1d_impl", input)
    out, indices = _max_pool(input.unsqueeze(-2), 2, (1, k), (1, s), (0, p), (1, d),
                             bool(ceil_mode), "max_pool2d")
    out = out.squeeze(-2)
    return (out, indices.squeeze(-2)) if return_indices else out


# --------------------------------------------------------------------------- average pooling
def _divisors(xp, spatial, ks, st, pad, out_len, count_include_pad: bool, override):
    """The divisor of every output position (torch's rules for padding and ceil mode)."""
    if override is not None:
        return float(override)
    if not any(pad) and all((out_len[i] - 1) * st[i] + ks[i] <= spatial[i]
                            for i in range(len(ks))):
        return float(math.prod(ks))  # every window is whole
    total = None
    for i in range(len(ks)):
        start = np.arange(out_len[i]) * st[i] - pad[i]
        end = np.minimum(start + ks[i], spatial[i] + pad[i])
        size = end - start
        if not count_include_pad:
            size = np.minimum(end, spatial[i]) - np.maximum(start, 0)
        total = size if total is None else np.multiply.outer(total, size)
    return xp.asarray(total.astype(np.float64))


def _avg_pool_array(xp, arr, ks, st, pad, out_len, cip, override):
    nd = len(ks)
    spatial = arr.shape[2:]
    right = tuple(_right_pad(spatial[i], ks[i], st[i], pad[i], 1, out_len[i])
                  for i in range(nd))
    padded = xp.pad(arr, ((0, 0), (0, 0)) + tuple(zip(pad, right, strict=True)),
                    mode="constant") if any(pad) or any(right) else arr
    win = windows(xp, padded, ks, st, (1,) * nd, out_len)
    floating = arr.dtype.kind == "f"
    acc = np.float32 if arr.dtype == np.float16 else arr.dtype if floating else np.int64
    total = None
    for k in np.ndindex(*ks):  # one add per kernel offset over strided views
        v = win[(Ellipsis,) + k]
        total = v.astype(acc) if total is None else total + v
    div = _divisors(xp, spatial, ks, st, pad, out_len, cip, override)
    if floating:  # (torch's sums start at +0: a window of -0s averages to +0)
        return ((total + 0.0) / div).astype(arr.dtype, copy=False)
    q = xp.floor_divide(xp.abs(total), xp.asarray(div).astype(np.int64))
    return (xp.sign(total) * q).astype(arr.dtype, copy=False)


def _avg_pool(x: Tensor, nd: int, ks, st, pad, ceil_mode, cip, override, fn: str) -> Tensor:
    if override is not None and override == 0:
        raise errors.EngineRuntimeError("divisor must be not zero")
    if x._data.ndim < 3 and nd == 2:
        raise errors.EngineIndexError(errors.DIM_RANGE.format(
            lo=-max(x._data.ndim, 1), hi=max(x._data.ndim, 1) - 1, dim=-3))
    spatial = x._data.shape[-nd:]
    out_len = tuple(_output_size(spatial[i], ks[i], st[i], pad[i], 1, ceil_mode)
                    for i in range(nd))
    if nd == 3 and x._data.ndim in (4, 5) and all(s > 0 for s in x._data.shape[-4:]) and \
            any(spatial[i] < ks[i] for i in range(3)) and not ceil_mode and not any(pad):
        raise errors.EngineRuntimeError(
            f"input image (T: {spatial[0]} H: {spatial[1]} W: {spatial[2]}) smaller than "
            f"kernel size (kT: {ks[0]} kH: {ks[1]} kW: {ks[2]})")
    if x._data.ndim not in (nd + 1, nd + 2):
        raise errors.EngineRuntimeError(
            f"Expected {nd + 1}D or {nd + 2}D (batch mode) tensor with optional 0 dim batch "
            f"size for input, but got:{_shape(x._data.shape)}")
    _shape_check(x, nd, ks, st, pad, (1,) * nd, out_len)
    kernel_dtypes.check(fn, x)  # (after the shape checks, as torch's kernel)
    arr, batched = _batched(x, nd)
    check_numel(arr.shape[:2] + out_len)
    res = _avg_pool_array(x.device.xp, arr, ks, st, pad, out_len, cip, override)
    out = _wrap(as_suggested(res if batched else res[0], x._data), x.dtype, x.device)
    if needs_grad(x):
        params = (nd, ks, st, pad, ceil_mode, cip, override, fn)
        record(out, f"AvgPool{nd}DBackward0",
               (lambda g, x_: _avg_pool_backward(g, x_, params),), (x,), (x,))
    return out


def _avg_pool_backward(g: Tensor, x: Tensor, params) -> Tensor:
    """The gradient of an average pool: ``g / divisor`` spread over each window (col2im).
    Recorded as ``AvgPool{nd}DBackwardBackward0``; its gradient is the same pool again."""
    nd, ks, st, pad, ceil_mode, cip, override, fn = params
    xp = g.device.xp
    garr = g._data if g._data.ndim == nd + 2 else g._data[None]
    spatial = x._data.shape[-nd:]
    out_len = garr.shape[2:]
    div = _divisors(xp, spatial, ks, st, pad, out_len, cip, override)
    scaled = (garr / div).astype(garr.dtype, copy=False)
    view = scaled.reshape(garr.shape[:2] + (1,) * nd + tuple(out_len))
    cols = xp.broadcast_to(view, garr.shape[:2] + tuple(ks) + tuple(out_len))
    right = tuple(_right_pad(spatial[i], ks[i], st[i], pad[i], 1, out_len[i])
                  for i in range(nd))
    res = col2im(xp, cols, spatial, st, pad, (1,) * nd, right)
    out = _wrap(as_suggested(res.reshape(x._data.shape), x._data), g.dtype, g.device)
    if needs_grad(g, x):
        record(out, f"AvgPool{nd}DBackwardBackward0",
               (lambda gg: _avg_pool(gg, nd, ks, st, pad, ceil_mode, cip, override, fn),
                _zeros_like_input), (g, x))
    return out


@op(kind="function", grad_fns=("AvgPool2DBackward0",))
def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    """2-D average pooling over ``(N, C, H, W)`` or ``(C, H, W)``."""
    _check_input(input, "avg_pool2d")
    ks, st, pad, _ = _pool_params("avg_pool2d", 2, kernel_size, stride, padding, avg=True)
    return _avg_pool(input, 2, ks, st, pad, bool(ceil_mode), bool(count_include_pad),
                     divisor_override, "avg_pool2d")


@op(kind="function", grad_fns=("AvgPool3DBackward0",))
def avg_pool3d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    """3-D average pooling over ``(N, C, D, H, W)`` or ``(C, D, H, W)``."""
    _check_input(input, "avg_pool3d")
    ks, st, pad, _ = _pool_params("avg_pool3d", 3, kernel_size, stride, padding, avg=True)
    return _avg_pool(input, 3, ks, st, pad, bool(ceil_mode), bool(count_include_pad),
                     divisor_override, "avg_pool3d")


def _dims_range(x: Tensor, fn: str) -> None:
    if x._data.ndim not in (2, 3):
        raise errors.EngineRuntimeError(
            f"Expected 2 to 3 dimensions, but got {x._data.ndim}-dimensional tensor for "
            f"argument #1 'self' (while checking arguments for {fn})")


@op(kind="function", grad_fns=("SqueezeBackward1",))
def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True):
    """1-D average pooling over ``(N, C, L)`` or ``(C, L)`` (a 2-D pool of the input
    unsqueezed at -2, as torch records it)."""
    _check_input(input, "avg_pool1d")
    fn = "avg_pool1d"
    _dims_range(input, fn)
    what = "avg_pool1d() argument '{name}' should contain one int (got {{n}})"
    k = _one(kernel_size, "kernel_size", fn, 2, what.format(name="kernel_size"))
    s = _one(stride, "stride", fn, 3, what.format(name="stride"), allow_empty=True)
    p = _one(padding, "padding", fn, 4, what.format(name="padding"))
    s = k if s is None else s
    return _avg_pool(input.unsqueeze(-2), 2, (1, k), (1, s), (0, p), bool(ceil_mode),
                     bool(count_include_pad), None, "avg_pool2d").squeeze(-2)


# --------------------------------------------------------------------------- adaptive
def _output_size_arg(output_size, x: Tensor, n: int, fn: str) -> tuple:
    if isinstance(output_size, (int, np.integer)) and not isinstance(output_size, bool):
        sizes = (int(output_size),) * n
    elif isinstance(output_size, (list, tuple)):
        sizes = tuple(output_size)
    else:
        raise errors.EngineTypeError(
            f"{fn}(): argument 'output_size' (position 2) must be tuple of ints, not "
            f"{type(output_size).__name__}")
    shape = x._data.shape
    return tuple(shape[len(shape) - len(sizes) + i] if v is None else int(v)
                 for i, v in enumerate(sizes))


def _check_adaptive_input(x: Tensor, nd: int, fn: str, colon: bool) -> None:
    shape = x._data.shape
    if x._data.ndim not in (nd + 1, nd + 2):
        raise errors.EngineRuntimeError(
            f"{fn}(): Expected {nd + 1}D or {nd + 2}D tensor, but got{':' if colon else ''} "
            f"{_shape(shape)}")
    for i in range(1, len(shape)):
        if shape[i] == 0:
            raise errors.EngineRuntimeError(
                f"{fn}(): Expected input to have non-zero size for non-batch dimensions, but "
                f"input has sizes {_shape(shape)} with dimension {i} being empty")


def _channels_last_2d(a) -> bool:
    """torch's ``suggest_memory_format() == channels_last`` for a 4-D array: the strides,
    read in the order C, W, H, N, never decrease (each one at least the previous stride times
    its size, sizes of 1 not counted), no size is 0, C's stride is not 0, and N's stride does
    not merely repeat C's (the ambiguous N, 1, 1, 1 case stays contiguous). Measured against
    torch on 4,000 permuted, narrowed and expanded layouts."""
    if a.ndim != 4 or a.strides[1] == 0:
        return False
    low = 0
    for d in (1, 3, 2, 0):
        stride = a.strides[d] // a.itemsize
        if a.shape[d] == 0 or stride < low or d == 0 and low == a.strides[1] // a.itemsize:
            return False
        low = stride * a.shape[d] if a.shape[d] > 1 else stride
    return True


def _adaptive_avg(x: Tensor, nd: int, out_size: tuple) -> Tensor:
    fn = f"adaptive_avg_pool{nd}d"
    if len(out_size) != nd:
        raise errors.EngineRuntimeError(f"{fn}: output_size must be {nd}")
    if any(v < 0 for v in out_size):
        got = ", ".join(str(v) for v in out_size[:2]) + \
            "".join(f",{v}" for v in out_size[2:])
        raise errors.EngineRuntimeError(
            f"{fn}: elements of output_size must be greater than or equal to 0 but received "
            f"{{{got}}}")
    if all(v == 1 for v in out_size):  # (torch's mean, then its channels-last strides)
        return relaid(x.mean(tuple(range(-1, -nd - 1, -1)), keepdim=True), as_suggested,
                      x._data)
    _check_adaptive_input(x, nd, fn, False)
    # (a channels-last 2-d input runs torch's kernel for that layout)
    kernel_dtypes.check(fn, x, kernel=f"{fn}_channels_last" if nd == 2 and
                        _channels_last_2d(x._data) else None)
    spatial = x._data.shape[-nd:]
    taps = tuple(window_taps(spatial[i], out_size[i], True) for i in range(nd))
    return resample(x, taps, f"AdaptiveAvgPool{nd}DBackward0", keeps_input=True)


@op(kind="function", grad_fns=("AdaptiveAvgPool2DBackward0", "MeanBackward1"))
def adaptive_avg_pool2d(input, output_size):
    """2-D adaptive average pooling to ``output_size`` (an int, or a pair whose None entries
    keep the input's size); an output of 1x1 is a mean, as in torch."""
    _check_input(input, "adaptive_avg_pool2d")
    return _adaptive_avg(input, 2,
                         _output_size_arg(output_size, input, 2, "adaptive_avg_pool2d"))


@op(kind="function", grad_fns=("AdaptiveAvgPool3DBackward0", "MeanBackward1"))
def adaptive_avg_pool3d(input, output_size):
    """3-D adaptive average pooling to ``output_size`` over ``(N, C, D, H, W)`` or unbatched."""
    _check_input(input, "adaptive_avg_pool3d")
    return _adaptive_avg(input, 3,
                         _output_size_arg(output_size, input, 3, "adaptive_avg_pool3d"))


@op(kind="function", grad_fns=("SqueezeBackward1",))
def adaptive_avg_pool1d(input, output_size):
    """1-D adaptive average pooling over ``(N, C, L)`` or ``(C, L)``."""
    _check_input(input, "adaptive_avg_pool1d")
    fn = "adaptive_avg_pool1d"
    _dims_range(input, fn)
    size = _one(output_size, "output_size", fn, 2,
                "adaptive_avg_pool1d() argument 'output_size' should contain one int (got {n})")
    return _adaptive_avg(input.unsqueeze(-2), 2, (1, size)).squeeze(-2)


def _adaptive_max(x: Tensor, nd: int, out_size: tuple):
    fn = f"adaptive_max_pool{nd}d"
    _check_adaptive_input(x, nd, fn, True)
    if len(out_size) != nd:
        raise errors.EngineRuntimeError(
            f"{fn}(): internal error: output_size.size() must be {nd}")
    if any(v < 0 for v in out_size):
        raise errors.EngineRuntimeError(
            f"Trying to create tensor with negative dimension {min(out_size)}: "
            f"{_shape(x._data.shape[:-nd] + tuple(out_size))}")
    kernel_dtypes.check(fn, x, kernel=f"{fn}_channels_last" if nd == 2 and
                        _channels_last_2d(x._data) else None)
    out_size = tuple(out_size)
    check_numel(x._data.shape[:-nd] + out_size)
    xp = x.device.xp
    arr = x._data
    lead = arr.ndim - nd
    spatial = arr.shape[lead:]
    tables = [window_taps(spatial[i], out_size[i], False).index for i in range(nd)]
    ks = tuple(t.shape[1] for t in tables)
    if 0 in ks or 0 in out_size:
        values = xp.zeros(arr.shape[:lead] + out_size, dtype=arr.dtype)
        index = xp.zeros(values.shape, dtype=np.int64)
    else:
        keys = []
        for i, t in enumerate(tables):  # (O_i, k_i) spread over 2 * nd broadcast axes
            shape = [1] * (2 * nd)
            shape[2 * i], shape[2 * i + 1] = t.shape
            keys.append(xp.asarray(t).reshape(shape))
        picked = arr[(Ellipsis,) + tuple(keys)]  # (*lead, O_0, k_0, O_1, k_1, ...)
        order = tuple(range(lead)) + tuple(lead + 2 * i for i in range(nd)) + \
            tuple(lead + 2 * i + 1 for i in range(nd))
        flat = picked.transpose(order).reshape(arr.shape[:lead] + out_size + (-1,))
        which = xp.argmax(flat, axis=-1)  # the first maximum; but the LAST NaN (torch)
        nan = xp.isnan(flat)
        if bool(nan.any()):
            last = flat.shape[-1] - 1 - xp.argmax(nan[..., ::-1], axis=-1)
            which = xp.where(nan.any(axis=-1), last, which)
        values = xp.take_along_axis(flat, which[..., None], axis=-1)[..., 0]
        index = None
        for i, k in enumerate(_unravel(xp, which, ks)):
            o = xp.arange(out_size[i]).reshape((-1,) + (1,) * (nd - 1 - i))
            pos = xp.asarray(tables[i])[o, k]
            index = pos if index is None else index * spatial[i] + pos
        index = index.astype(np.int64, copy=False)
    out = _wrap(as_suggested(values, x._data), x.dtype, x.device)
    indices = _wrap(as_suggested(index, x._data), int64, x.device)
    if needs_grad(x):
        back = f"AdaptiveMaxPool{nd}DBackwardBackward0"
        record(out, f"AdaptiveMaxPool{nd}DBackward0",
               (lambda g, x_, i_: scatter_op(g, x_, i_, nd, back),), (x,), (x, indices))
    return out, indices


@op(kind="function", grad_fns=("AdaptiveMaxPool2DBackward0",))
def adaptive_max_pool2d(input, output_size, return_indices=False):
    """2-D adaptive max pooling to ``output_size``; with ``return_indices`` also the flat
    index of each maximum in its ``H * W`` plane."""
    _check_input(input, "adaptive_max_pool2d")
    out, indices = _adaptive_max(
        input, 2, _output_size_arg(output_size, input, 2, "adaptive_max_pool2d"))
    return (out, indices) if return_indices else out


@op(kind="function", grad_fns=("AdaptiveMaxPool3DBackward0",))
def adaptive_max_pool3d(input, output_size, return_indices=False):
    """3-D adaptive max pooling to ``output_size`` over ``(N, C, D, H, W)`` or unbatched."""
    _check_input(input, "adaptive_max_pool3d")
    out, indices = _adaptive_max(
        input, 3, _output_size_arg(output_size, input, 3, "adaptive_max_pool3d"))
    return (out, indices) if return_indices else out


@op(kind="function", grad_fns=("SqueezeBackward1",))
def adaptive_max_pool1d(input, output_size, return_indices=False):
    """1-D adaptive max pooling over ``(N, C, L)`` or ``(C, L)``."""
    _check_input(input, "adaptive_max_pool1d")
    fn = "adaptive_max_pool1d"
    _dims_range(input, fn)
    size = _one(output_size, "output_size", fn, 2,
                "adaptive_max_pool1d() argument 'output_size' should contain one int (got {n})")
    out, indices = _adaptive_max(input.unsqueeze(-2), 2, (1, size))
    out = out.squeeze(-2)
    return (out, indices.squeeze(-2)) if return_indices else out


__all__ = ["max_pool1d", "max_pool2d", "max_pool3d", "avg_pool1d", "avg_pool2d", "avg_pool3d",
           "adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_avg_pool3d",
           "adaptive_max_pool1d", "adaptive_max_pool2d", "adaptive_max_pool3d"]
