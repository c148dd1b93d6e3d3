"""Separable resampling along spatial axes, and ``F.interpolate`` on it.

A resampling is described per spatial axis by *taps*: for each output position, a few input
positions and their weights (1 for nearest, 2 for linear, 4 for cubic, a whole window for
adaptive averages). Applying it gathers along each axis in turn (last axis first, the order
torch's kernels sum in); its adjoint adds ``g * weight`` back at the same positions (one
bincount per axis). Gathers, not dense matrices, so a non-finite value stays where torch puts it.
"""

from __future__ import annotations

import math

import numpy as np

from .. import errors
from ..autograd import needs_grad, record
from ..modes import check_numel
from ..tensor import Tensor, _wrap
from .memory_format import as_row_major, as_suggested
from .registry import op


class Taps:
    """Per output position ``o``: inputs ``index[o, t]`` with ``weight[o, t]`` (None: 1),
    ``valid[o, t]`` (None: all) and a final ``divisor[o]`` (None: 1)."""

    __slots__ = ("n_in", "index", "weight", "valid", "divisor")

    def __init__(self, n_in: int, index, weight=None, valid=None, divisor=None):
        self.n_in = n_in
        self.index = index.astype(np.int64)
        self.weight, self.valid, self.divisor = weight, valid, divisor

    @property
    def n_out(self) -> int:
        return self.index.shape[0]


def _along(xp, vec, ndim: int, axis: int, dtype=None):
    """A host vector as a device array shaped to broadcast along ``axis``."""
    shape = [1] * ndim
    shape[axis] = -1
    arr = xp.asarray(vec if dtype is None else vec.astype(dtype))
    return arr.reshape(shape)


def apply_taps(xp, arr, axis: int, taps: Taps):
    """Resample ``arr`` along ``axis``."""
    acc = None
    nd = arr.ndim
    for t in range(taps.index.shape[1]):
        part = xp.take(arr, xp.asarray(taps.index[:, t]), axis=axis)
        if taps.valid is not None:
            part = xp.where(_along(xp, taps.valid[:, t], nd, axis), part, 0)
        if taps.weight is not None:
            part = part * _along(xp, taps.weight[:, t], nd, axis, arr.dtype)
        if acc is None:  # an average's sum starts from +0. as torch's kernels (-0. + 0. is 0.)
            acc = part + 0.0 if taps.divisor is not None else part
        else:
            acc = acc + part
    if acc is None:
        acc = xp.zeros(arr.shape[:axis] + (0,) + arr.shape[axis + 1:], dtype=arr.dtype)
    if taps.divisor is not None:
        acc = acc / _along(xp, taps.divisor, nd, axis, arr.dtype)
    return acc.astype(arr.dtype, copy=False)


def adjoint_taps(xp, g, axis: int, taps: Taps):
    """The adjoint of ``apply_taps``: every ``g[o] * weight[o, t]`` added at ``index[o, t]``."""
    moved = xp.moveaxis(g, axis, -1)
    lead = moved.shape[:-1]
    rows = math.prod(lead)
    g2 = moved.reshape(rows, taps.n_out)
    if taps.divisor is not None:
        g2 = g2 / xp.asarray(taps.divisor.astype(g.dtype))
    base = xp.arange(rows, dtype=np.int64).reshape(rows, 1) * taps.n_in
    flats, vals = [], []
    for t in range(taps.index.shape[1]):
        v = g2
        if taps.weight is not None:
            v = v * xp.asarray(taps.weight[:, t].astype(g.dtype))
        if taps.valid is not None:
            v = xp.where(xp.asarray(taps.valid[:, t]), v, 0)
        flats.append((base + xp.asarray(taps.index[:, t])).reshape(-1))
        vals.append(v.reshape(-1))
    total = rows * taps.n_in
    if flats:
        summed = xp.bincount(xp.concatenate(flats), weights=xp.concatenate(vals),
                             minlength=total)
    else:
        summed = xp.zeros(total, dtype=np.float64)
    out = summed.astype(g.dtype, copy=False).reshape(lead + (taps.n_in,))
    return xp.moveaxis(out, -1, axis)


def _opmath(arr):
    return arr.astype(np.float32) if arr.dtype == np.float16 else arr


def resample(x: Tensor, taps: tuple, node: str, keeps_input: bool = False) -> Tensor:
    """``x`` resampled on its last ``len(taps)`` axes, recorded as ``node``. Its gradient is
    the adjoint, recorded under ``create_graph`` as ``node``'s ``...BackwardBackward0``. With
    ``keeps_input`` (the adaptive pools) the node saves ``x`` and the adjoint's node has ``x``
    as a second input whose gradient is zero, as torch records them."""
    xp = x.device.xp
    arr = _opmath(x._data)
    nd = len(taps)
    check_numel(arr.shape[:arr.ndim - nd] + tuple(t.n_out for t in taps))
    for i in reversed(range(nd)):
        arr = apply_taps(xp, arr, arr.ndim - nd + i, taps[i])
    out = _wrap(as_suggested(arr.astype(x.dtype.np, copy=False), x._data), x.dtype, x.device)
    if needs_grad(x):
        back = node.replace("Backward0", "BackwardBackward0")
        shape = x._data.shape
        if keeps_input:
            record(out, node, (lambda g, x_: _adjoint(g, x_, taps, node, back, shape),),
                   (x,), (x,))
        else:
            record(out, node, (lambda g: _adjoint(g, None, taps, node, back, shape),), (x,))
    return out


def _adjoint(g: Tensor, x: Tensor | None, taps: tuple, node: str, back: str,
             shape: tuple) -> Tensor:
    xp = g.device.xp
    arr = _opmath(g._data)
    nd = len(taps)
    for i in range(nd):
        arr = adjoint_taps(xp, arr, arr.ndim - nd + i, taps[i])
    arr = arr.astype(g.dtype.np, copy=False).reshape(shape)
    # torch's layouts: the adaptive pools' gradients follow their input's suggested memory
    # format, bicubic's is row-major, the other upsamplings' follow the incoming gradient's
    if x is not None:
        arr = as_suggested(arr, x._data)
    elif "Bicubic" in node:
        arr = as_row_major(arr)
    else:
        arr = as_suggested(arr, g._data)
    out = _wrap(arr, g.dtype, g.device)
    if needs_grad(g, x):
        keeps = x is not None
        rules = (lambda gg: resample(gg, taps, node, keeps),
                 lambda gg: _wrap(xp.zeros_like(gg._data), gg.dtype, gg.device))
        record(out, back, rules[:2 if keeps else 1], (g, x) if keeps else (g,))
    return out


# --------------------------------------------------------------------------- taps by mode
def _scale(n_in: int, n_out: int, align_corners: bool, scale, dtype):
    """torch's ``area_pixel_compute_scale`` in the kernel's compute type."""
    if align_corners:
        return dtype(n_in - 1) / dtype(n_out - 1) if n_out > 1 else dtype(0)
    if scale is not None and scale > 0:
        return dtype(1.0 / scale)
    return dtype(n_in) / dtype(n_out)


def _source(scale, n_out: int, align_corners: bool, cubic: bool, dtype):
    dst = np.arange(n_out).astype(dtype)
    if align_corners:
        return scale * dst
    src = scale * (dst + dtype(0.5)) - dtype(0.5)
    return src if cubic else np.maximum(src, dtype(0))


def nearest_taps(n_in: int, n_out: int, scale, exact: bool) -> Taps:
    if n_out == n_in and not exact:
        idx = np.arange(n_out)
    elif n_out == 2 * n_in and not exact:
        idx = np.arange(n_out) >> 1
    else:  # in float32, as torch's nearest kernels compute it
        s = np.float32(1.0 / scale) if scale is not None and scale > 0 else \
            np.float32(n_in) / np.float32(n_out)
        dst = np.arange(n_out).astype(np.float32)
        src = np.floor((dst + np.float32(0.5)) * s) if exact else np.floor(dst * s)
        idx = np.minimum(src.astype(np.int64), n_in - 1)
    return Taps(n_in, idx[:, None])


def linear_taps(n_in: int, n_out: int, align_corners: bool, scale, dtype) -> Taps:
    dt = np.dtype(dtype).type
    s = _scale(n_in, n_out, align_corners, scale, dt)
    src = _source(s, n_out, align_corners, False, dt)
    i0 = src.astype(np.int64)
    lam1 = np.clip(src - i0.astype(dt), dt(0), dt(1))
    lam0 = dt(1) - lam1
    i1 = i0 + (i0 < n_in - 1)
    return Taps(n_in, np.stack([i0, i1], 1), np.stack([lam0, lam1], 1))


_A = -0.75


def cubic_taps(n_in: int, n_out: int, align_corners: bool, scale, dtype) -> Taps:
    dt = np.dtype(dtype).type
    s = _scale(n_in, n_out, align_corners, scale, dt)
    src = _source(s, n_out, align_corners, True, dt)
    i0 = np.floor(src).astype(np.int64)
    t = src - np.floor(src)
    a = dt(_A)

    def near(v):  # |v| <= 1
        return ((a + dt(2)) * v - (a + dt(3))) * v * v + dt(1)

    def far(v):  # 1 < |v| < 2
        return ((a * v - dt(5) * a) * v + dt(8) * a) * v - dt(4) * a

    weights = np.stack([far(t + dt(1)), near(t), near(dt(1) - t), far(dt(2) - t)], 1)
    index = np.clip(i0[:, None] + np.arange(-1, 3)[None, :], 0, n_in - 1)
    return Taps(n_in, index, weights.astype(dt))


def window_taps(n_in: int, n_out: int, average: bool) -> Taps:
    """Adaptive pooling windows ``[floor(o * n_in / n_out), ceil((o + 1) * n_in / n_out))``,
    padded to the longest one (padding repeats the last position and is marked invalid)."""
    o = np.arange(n_out)
    start = (o * n_in) // n_out
    end = ((o + 1) * n_in + n_out - 1) // n_out
    k = int((end - start).max()) if n_out else 0
    table = start[:, None] + np.arange(k)[None, :]
    valid = table < end[:, None]
    index = np.minimum(table, (end - 1)[:, None])
    if not average:
        return Taps(n_in, index)
    return Taps(n_in, index, valid=None if valid.all() else valid,
                divisor=(end - start).astype(np.float64))


# --------------------------------------------------------------------------- interpolate
_MODES = "nearest | linear | bilinear | bicubic | trilinear | lanczos | area | nearest-exact"
_NEEDS = {"linear": 3, "bilinear": 4, "trilinear": 5}
_INT_KERNEL = {  # torch's kernel names in its "not implemented for 'Long'" errors
    (1, "nearest"): "compute_indices_weights_nearest",
    (1, "nearest-exact"): "compute_indices_weights_nearest",
    (1, "linear"): "compute_indices_weights_linear",
    (2, "nearest"): "upsample_nearest2d_channels_last",
    (2, "nearest-exact"): "upsample_nearest2d_channels_last",
    (2, "bilinear"): "upsample_bilinear2d_channels_last",
    (2, "bicubic"): "compute_indices_weights_cubic",
    (3, "nearest"): "compute_indices_weights_nearest",
    (3, "nearest-exact"): "compute_indices_weights_nearest",
    (3, "trilinear"): "compute_indices_weights_linear",
}
_NODES = {"nearest": "UpsampleNearest{n}DBackward0",
          "nearest-exact": "UpsampleNearestExact{n}DBackward0",
          "linear": "UpsampleLinear1DBackward0", "bilinear": "UpsampleBilinear2DBackward0",
          "bicubic": "UpsampleBicubic2DBackward0", "trilinear": "UpsampleTrilinear3DBackward0"}


def _is_int(v) -> bool:
    return isinstance(v, (int, np.integer)) and not isinstance(v, bool)


def _output_sizes(input: Tensor, size, scale_factor, nd: int):
    spatial = list(input._data.shape[2:])
    if size is not None and scale_factor is not None:
        raise errors.EngineValueError("only one of size or scale_factor should be defined")
    if size is not None:
        if isinstance(size, Tensor):
            size = size.tolist()
        if isinstance(size, (list, tuple)):
            if len(size) != nd:
                raise errors.EngineValueError(
                    f"Input and output must have the same number of spatial dimensions, but "
                    f"got input with spatial dimensions of {spatial} and output size of "
                    f"{size!r}. Please provide input tensor in (N, C, d1, d2, ...,dK) format "
                    "and output size in (o1, o2, ...,oK) format.")
            if not all(_is_int(v) for v in size):
                raise errors.EngineTypeError(
                    "expected size to be one of int or Tuple[int] or Tuple[int, int] or "
                    "Tuple[int, int, int], but got size with types "
                    f"{[type(v) for v in size]}")
            return [int(v) for v in size], None
        return [int(size)] * nd, None
    if scale_factor is None:
        raise errors.EngineValueError("either size or scale_factor should be defined")
    if isinstance(scale_factor, (list, tuple)):
        if len(scale_factor) != nd:
            raise errors.EngineValueError(
                f"Input and scale_factor must have the same number of spatial dimensions, but "
                f"got input with spatial dimensions of {spatial} and scale_factor of shape "
                f"{scale_factor!r}. Please provide input tensor in (N, C, d1, d2, ...,dK) "
                "format and scale_factor in (s1, s2, ...,sK) format.")
        return None, [float(v) for v in scale_factor]
    return None, [float(scale_factor)] * nd


@op(kind="function", grad_fns=tuple(sorted({n.format(n=k) for n in _NODES.values()
                                            for k in (1, 2, 3)})))
def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,
                recompute_scale_factor=None, antialias=False):
    """Resize ``(N, C, *spatial)`` to ``size`` or by ``scale_factor``: ``mode`` nearest,
    nearest-exact, linear, bilinear, bicubic, trilinear or area (adaptive average)."""
    if not isinstance(input, Tensor):
        raise errors.EngineTypeError(errors.MUST_BE_TENSOR.format(
            op="interpolate", arg="input", pos=1, type=type(input).__name__))
    if mode in ("nearest", "area", "nearest-exact"):
        if align_corners is not None:
            raise errors.EngineValueError(
                "align_corners option can only be set with the interpolating modes: "
                "linear | bilinear | bicubic | trilinear")
    elif align_corners is None:
        align_corners = False
    ndim = input._data.ndim
    nd = ndim - 2
    out_size, scales = _output_sizes(input, size, scale_factor, nd)
    if recompute_scale_factor and size is not None:
        raise errors.EngineValueError(
            "recompute_scale_factor is not meaningful with an explicit size.")
    if mode == "area" and out_size is None:
        recompute_scale_factor = True
    if recompute_scale_factor:
        out_size = [math.floor(float(input._data.shape[i + 2]) * scales[i]) for i in range(nd)]
        scales = None
    if antialias and not (mode in ("bilinear", "bicubic", "lanczos") and ndim == 4):
        raise errors.EngineValueError(
            "Anti-alias option is restricted to bilinear, bicubic, and lanczos modes and "
            "requires a 4-D tensor as input")
    if ndim not in (3, 4, 5) or mode not in _NODES and mode != "area" and mode != "lanczos":
        raise errors.KernelNotImplemented(
            f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {ndim}D) for the "
            f"modes: {_MODES} (got {mode})")
    if mode in _NEEDS and _NEEDS[mode] != ndim:
        raise errors.KernelNotImplemented(
            f"Got {ndim}D input, but {mode} mode needs {_NEEDS[mode]}D input")
    if mode == "bicubic" and ndim != 4:
        raise errors.KernelNotImplemented(
            f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {ndim}D) for the "
            f"modes: {_MODES} (got {mode})")
    if antialias or mode == "lanczos":
        raise errors.NotSupported(
            "interpolate with antialias=True or mode='lanczos' is not supported")
    if out_size is None:
        out_size = [int(input._data.shape[i + 2] * scales[i]) for i in range(nd)]
    if mode == "area":
        from .pooling import adaptive_avg_pool1d, adaptive_avg_pool2d, adaptive_avg_pool3d

        pool = {1: adaptive_avg_pool1d, 2: adaptive_avg_pool2d, 3: adaptive_avg_pool3d}[nd]
        return pool(input, out_size if nd > 1 else out_size[0])
    spatial = input._data.shape[2:]
    if any(v <= 0 for v in spatial) or any(v <= 0 for v in out_size):
        names = ("D", "H", "W")[3 - nd:]
        ins = ", ".join(f"{n}: {v}" for n, v in zip(names, spatial, strict=True))
        outs = ", ".join(f"{n}: {v}" for n, v in zip(names, out_size, strict=True))
        raise errors.EngineRuntimeError(
            f"Input and output sizes should be greater than 0, but got input ({ins}) output "
            f"({outs})")
    if input.dtype.name == "uint8" and mode == "bilinear":
        return _uint8_bilinear(input, spatial, out_size, align_corners, scales)
    if input.dtype.name == "uint8" and mode == "bicubic":
        raise errors.NotSupported(  # (torch has a fixed-point uint8 kernel for images)
            f"interpolate of a uint8 tensor with mode='{mode}' is not supported (torch's "
            "fixed-point uint8 kernel is not reproduced); convert to float first")
    if not input.dtype.is_floating_point and not (
            input.dtype.name == "uint8" and mode in ("nearest", "nearest-exact")):
        raise errors.KernelNotImplemented(errors.NOT_IMPLEMENTED_FOR.format(
            kernel=_INT_KERNEL[nd, mode],
            dtype=input.dtype.scalar_name))
    compute = np.float32 if input.dtype.name == "float16" else input.dtype.np
    taps = []
    for i in range(nd):
        sc = None if scales is None else scales[i]
        if mode in ("nearest", "nearest-exact"):
            taps.append(nearest_taps(spatial[i], out_size[i], sc, mode == "nearest-exact"))
        elif mode == "bicubic":
            taps.append(cubic_taps(spatial[i], out_size[i], align_corners, sc, compute))
        else:
            taps.append(linear_taps(spatial[i], out_size[i], align_corners, sc, compute))
    return resample(input, tuple(taps), _NODES[mode].format(n=nd))


def _fixed_point(taps: Taps) -> tuple:
    """The taps' weights as integers with ``bits`` fractional bits: as many bits as keep twice
    the largest weight below 2**15 (at most 22), each weight rounded half up."""
    wmax = float(taps.weight.max()) if taps.weight.size else 0.0
    bits = 0
    while bits < 22 and int(0.5 + wmax * (1 << (bits + 1))) < 1 << 15:
        bits += 1
    return np.floor(taps.weight * (1 << bits) + 0.5).astype(np.int64), bits


def _uint8_bilinear(input: Tensor, spatial, out_size, align_corners, scales) -> Tensor:
    """torch's uint8 image resize (bilinear, no antialias): a fixed-point pass along the width,
    its result rounded and clamped to uint8, then one along the height (rule found by
    experiment against torch 2.13: tests/oracle/test_small_ints.py)."""
    xp = input.device.xp
    arr = input._data
    for axis in (3, 2):
        i = axis - 2
        taps = linear_taps(spatial[i], out_size[i], align_corners,
                           None if scales is None else scales[i], np.float64)
        weight, bits = _fixed_point(taps)
        moved = xp.moveaxis(arr.astype(np.int64), axis, -1)
        acc = xp.full(moved.shape[:-1] + (taps.n_out,), (1 << bits) >> 1, dtype=np.int64)
        for t in range(taps.index.shape[1]):
            acc = acc + moved[..., xp.asarray(taps.index[:, t])] * xp.asarray(weight[:, t])
        arr = xp.moveaxis(xp.clip(acc >> bits, 0, 255).astype(np.uint8), -1, axis)
    return _wrap(xp.ascontiguousarray(arr), input.dtype, input.device)


__all__ = ["interpolate", "resample", "Taps", "window_taps"]
