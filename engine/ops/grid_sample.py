"""``F.grid_sample`` (torch's ``grid_sampler_2d`` / ``grid_sampler_3d``) and ``F.affine_grid``
(``affine_grid_generator``), the spatial transformer's two ops.

Written from torch's documented semantics and its numerics, checked side by side with torch 2.13:

- A grid coordinate ``c`` in [-1, 1] maps to the pixel position ``((c + 1) / 2) (size - 1)``
  (``align_corners=True``) or ``((c + 1) size - 1) / 2``; ``border`` clamps it into
  ``[0, size - 1]``, ``reflection`` reflects it about the borders (``[0, size - 1]`` aligned,
  ``[-0.5, size - 0.5]`` otherwise: ``|x - low|`` folded by ``fmod`` and the parity of
  ``floor(|x - low| / span)``), then clamps; positions beyond the int range or not finite
  become -100 (out of bounds). Each step's derivative (the scale, 0/1 for the clamp, +-1 for
  the reflection) multiplies the grid's gradient, as torch's ``*_set_grad`` helpers do.
- bilinear (trilinear in 3-D): the 2^d corners around the position with weights
  ``(i0 + 1 - x)`` and ``(x - i0)`` per axis; out-of-bounds corners contribute zero.
- nearest: the corner at ``rint(x)`` (half to even, C's ``nearbyint``); no gradient reaches the
  grid (zeros, as torch).
- bicubic (2-D only): Keys' cubic convolution with ``A = -0.75`` over the 4 x 4 pixels around
  ``floor(x)``; the padding applies to each of those integer positions (not to ``x``), so the
  grid's gradient carries only the unnormalising scale.

Gradients: ``GridSampler2DBackward0`` / ``GridSampler3DBackward0`` give the input's (a scatter of
the weights) and the grid's (the weights' derivatives). Under ``create_graph`` those carry
``GridSampler2DBackwardBackward0`` (3D), whose rule is the exact second derivative of the
sampler (bilinear in the weights and the input): derivatives beyond the second raise
NotSupported (torch composes that level from other ops).

affine_grid: the base grid (torch's CPU linspace from -1 to 1 per axis, scaled by
``(n - 1) / n`` without ``align_corners``, a column of ones) times ``theta`` transposed
(``AffineGridGeneratorBackward0``); its gradient is composed of ``view``/``transpose``/``bmm``
as torch's, so it is differentiable again.
"""

from __future__ import annotations

import itertools
import math
import warnings

import numpy as np

from .. import errors
from .._cpu import mkl_fused
from ..autograd import needs_grad, record
from ..autograd.graph import FW_ACTIVE
from ..modes import is_grad_enabled
from ..tensor import Tensor, _wrap
from ._fma import fma
from .creation import float_linspace
from .nn import _Unmaterialized
from .registry import register

_MODES = ("bilinear", "nearest", "bicubic")
_PADDINGS = ("zeros", "border", "reflection")
_A = -0.75
_DEFAULT_WARNING = (
    "Default grid_sample and affine_grid behavior has changed to align_corners=False since "
    "1.3.0. Please specify align_corners=True if the old behavior is desired. See the "
    "documentation of grid_sample for details.")
_UNIT_WARNING = (
    "Since version 1.3.0, affine_grid behavior has changed for unit-size grids when "
    "align_corners=True. This is not an intended use case of affine_grid. See the "
    "documentation of affine_grid for details.")


# ----------------------------------------------------------------------- coordinates
def _clip(x, size):
    """C's ``min(size - 1, max(x, 0))`` (a NaN becomes ``size - 1``) and its derivative."""
    top = size - 1
    v = np.where(x < 0, 0, x)
    out = np.where(v < top, v, top).astype(x.dtype)
    grad = np.where((x <= 0) | (x >= top), 0, 1).astype(x.dtype)
    return out, grad


def _reflect(x, twice_low, twice_high):
    if twice_low == twice_high:
        return np.zeros_like(x), np.zeros_like(x)
    f = x.dtype.type
    low = f(twice_low) / f(2)
    span = f(twice_high - twice_low) / f(2)
    v = x - low
    sign = np.where(v < 0, f(-1), f(1))
    v = np.abs(v)
    extra = np.fmod(v, span)
    with np.errstate(invalid="ignore"):
        flips = np.floor(v / span)
    even = np.fmod(np.where(np.isfinite(flips), flips, 0), 2) == 0
    out = np.where(even, extra + low, span - extra + low).astype(x.dtype)
    return out, np.where(even, sign, -sign).astype(x.dtype)


def _pad(x, size, padding, align):
    """torch's ``compute_coordinates`` with its derivative."""
    if padding == "border":
        return _clip(x, size)
    if padding == "reflection":
        r, dr = _reflect(x, 0, 2 * (size - 1)) if align else _reflect(x, -1, 2 * size - 1)
        c, dc = _clip(r, size)
        return c, dr * dc
    return x, np.ones_like(x)


def _downgrade(x):
    """Positions no int can hold (or not finite) become -100: out of bounds."""
    bad = ~np.isfinite(x) | (x > 2147483646.0) | (x < -2147483648.0)
    return np.where(bad, x.dtype.type(-100), x)


# torch's 2-D CPU kernel is vectorized and computes the positions its own way (its 3-D
# kernel is the scalar one above): the unnormalising as ``(c + 1) * s (- 0.5)``, the clamp
# sending NaN to 0, the reflection by truncated division, no -100 (positions an int cannot
# hold become INT_MIN in its int conversion: out of bounds with zero padding).
def _unnormalize2(c, size, align):
    f = c.dtype.type
    if align:
        s = f(size - 1) / f(2)
        return (c + f(1)) * s, s
    s = f(size) / f(2)
    return (c + f(1)) * s - f(0.5), s


def _clip2(x, size):
    v = np.where(x > 0, x, 0)  # (NaN -> 0)
    return np.where(v < size - 1, v, size - 1).astype(x.dtype)


def _clip2_grad(x, size):
    lo = np.where(np.isnan(x) | (x > 0), x, 0)  # (NaN propagates here)
    res = np.where(np.isnan(lo) | (lo < size - 1), lo, size - 1).astype(x.dtype)
    inside = (lo != 0) & (res != size - 1)
    return res, inside


def _reflect2(x, size, align, grad=False):
    f = x.dtype.type
    if align and size <= 1:
        z = np.zeros_like(x)
        return (z, z) if grad else z
    twice = f(2 * (size - 1)) if align else f(2 * size)
    low = f(0) if align else f(-0.5)
    v = x - low
    a = np.abs(v)
    with np.errstate(invalid="ignore"):
        flips = np.trunc(a / twice)
        extra = a - flips * twice
        other = twice - extra
        flip = extra > other
    out = np.where(np.isnan(extra) | np.isnan(other), np.nan,
                   np.where(flip, other, extra)).astype(x.dtype) + low
    if not grad:
        return out.astype(x.dtype)
    return out.astype(x.dtype), np.where(flip ^ (v < 0), f(-1), f(1))


def _pad2(x, size, padding, align, grad):
    """(position, multiplier of the scale or None) for the 2-D kernel."""
    if padding == "zeros":
        return x, None
    if padding == "border":
        if not grad:
            return _clip2(x, size), None
        res, inside = _clip2_grad(x, size)
        return res, inside.astype(x.dtype)
    if not grad:
        return _clip2(_reflect2(x, size, align), size), None
    r, sign = _reflect2(x, size, align, True)
    res, inside = _clip2_grad(r, size)
    return res, np.where(inside, sign, 0).astype(x.dtype)


def _int_ok(x):
    """Positions torch's int conversion keeps (int32 for float32, int64 for float64)."""
    lim = 2.0 ** 31 if x.dtype == np.float32 else 2.0 ** 63
    return np.isfinite(x) & (x >= -lim) & (x < lim)


def _unnormalize(c, size, align):
    f = c.dtype.type
    if align:
        return (c + f(1)) / f(2) * f(size - 1), f(size - 1) / f(2)
    return ((c + f(1)) * f(size) - f(1)) / f(2), f(size) / f(2)


def _cubic(t):
    """Keys' coefficients for the 4 taps at distances 1 + t, t, 1 - t, 2 - t, with their
    first and second derivatives in t."""
    a = _A

    def near(s):  # |s| <= 1
        return ((a + 2) * s - (a + 3)) * s * s + 1, (3 * (a + 2) * s - 2 * (a + 3)) * s, \
            6 * (a + 2) * s - 2 * (a + 3)

    def far(s):  # 1 < |s| < 2
        return ((a * s - 5 * a) * s + 8 * a) * s - 4 * a, (3 * a * s - 10 * a) * s + 8 * a, \
            6 * a * s - 10 * a

    one = t.dtype.type(1)
    c0, d0, e0 = far(t + one)
    c1, d1, e1 = near(t)
    c2, d2, e2 = near(one - t)
    c3, d3, e3 = far(one + one - t)
    return (c0, c1, c2, c3), (d0, d1, -d2, -d3), (e0, e1, e2, e3)


class _Corners:
    """For every output point, the input pixels it reads: flat index, in-bounds mask, weight,
    and (when asked) the weight's first and second derivatives in the grid's coordinates."""

    def __init__(self, grid, sizes, mode, padding, align, order):
        # grid: (N, P, d) array; sizes: spatial sizes in grid-coordinate order (W, H[, D])
        d = len(sizes)
        strides = [int(np.prod(sizes[:k], dtype=np.int64)) for k in range(d)]
        self.items = []  # (flat, valid, w, dw[k], d2w[k][l])
        self.raw = []    # per corner: dw[k] before the coordinate's multiplier (self.mult[k])
        self.mult = None
        self.corner_weights = []  # per (bilinear) corner: its weight along each axis
        self.corner_bits = []     # per corner: 0 (floor) or 1 (floor + 1) along each axis
        if mode == "bicubic":
            self._bicubic(grid, sizes, padding, align, strides, order)
            return
        pos, mult = [], []
        for k in range(d):
            if d == 2:
                x, scale = _unnormalize2(grid[..., k], sizes[k], align)
                x, dp = _pad2(x, sizes[k], padding, align, order >= 1)
                pos.append(x)
                mult.append(scale if dp is None else dp * scale)
            else:
                x, scale = _unnormalize(grid[..., k], sizes[k], align)
                x, dp = _pad(x, sizes[k], padding, align)
                pos.append(_downgrade(x))
                mult.append(dp * scale)
        if mode == "nearest":
            idx = [np.rint(p) for p in pos]
            valid = np.ones(idx[0].shape, dtype=bool)
            flat = np.zeros(idx[0].shape, dtype=np.int64)
            for k in range(d):
                valid &= _int_ok(idx[k]) & (idx[k] >= 0) & (idx[k] < sizes[k])
                flat += np.where(valid, idx[k], 0).astype(np.int64) * strides[k]
            one = np.ones_like(pos[0])
            zero = np.zeros_like(pos[0])
            self.items.append((np.where(valid, flat, 0), valid, one,
                               [zero] * d, [[zero] * d for _ in range(d)]))
            return
        lo = [np.floor(p) for p in pos]
        if d == 2:  # (the 2-D kernel: w = x - floor(x), e = 1 - w)
            weights = [(1 - (pos[k] - lo[k]), pos[k] - lo[k]) for k in range(d)]
        else:
            weights = [((lo[k] + 1) - pos[k], pos[k] - lo[k]) for k in range(d)]
        for bits in itertools.product((0, 1), repeat=d):
            bits = bits[::-1]  # the first coordinate varies fastest: nw, ne, sw, se, ...
            valid = np.ones(pos[0].shape, dtype=bool)
            flat = np.zeros(pos[0].shape, dtype=np.int64)
            for k in range(d):
                i = lo[k] + bits[k]
                valid &= _int_ok(lo[k]) & (i >= 0) & (i < sizes[k])
                flat += np.where(valid, i, 0).astype(np.int64) * strides[k]
            self.corner_weights.append([weights[k][bits[k]] for k in range(d)])
            self.corner_bits.append(bits)
            w = weights[0][bits[0]]
            for k in range(1, d):
                w = w * weights[k][bits[k]]
            dw, d2w = [], []
            if order >= 1:
                sgn = [1 if b else -1 for b in bits]
                raw = []
                for k in range(d):
                    term = None
                    for j in range(d):
                        if j != k:
                            term = weights[j][bits[j]] if term is None else \
                                term * weights[j][bits[j]]
                    raw.append(term if sgn[k] > 0 else -term)
                    dw.append(raw[k] * mult[k])
                self.raw.append(raw)
                self.mult = mult
                if order >= 2:
                    for k in range(d):
                        row = []
                        for m in range(d):
                            if m == k:
                                row.append(np.zeros_like(w))
                                continue
                            term = float(sgn[k] * sgn[m])  # (the multipliers: d2raw)
                            for j in range(d):
                                if j != k and j != m:
                                    term = term * weights[j][bits[j]]
                            row.append(term * np.ones_like(w))
                        d2w.append(row)
            self.items.append((np.where(valid, flat, 0), valid, w, dw, d2w))

    def _bicubic(self, grid, sizes, padding, align, strides, order):
        xs, ms, coef, dcoef, ddcoef, lo = [], [], [], [], [], []
        for k in range(2):
            x, scale = _unnormalize2(grid[..., k], sizes[k], align)
            low = np.floor(x)
            c, dc, ddc = _cubic(x - low)
            xs.append(x)
            ms.append(scale)
            lo.append(low)
            coef.append(c)
            dcoef.append(dc)
            ddcoef.append(ddc)
        self.cx, self.cy = coef
        for b in range(4):
            for a in range(4):
                tap = (a, b)
                valid = np.ones(xs[0].shape, dtype=bool)
                flat = np.zeros(xs[0].shape, dtype=np.int64)
                for k in range(2):
                    p, _ = _pad2(lo[k] - 1 + tap[k], sizes[k], padding, align, False)
                    i = np.trunc(p)
                    valid &= _int_ok(i) & (i >= 0) & (i < sizes[k])
                    flat += np.where(valid, i, 0).astype(np.int64) * strides[k]
                w = coef[0][a] * coef[1][b]
                dw, d2w = [], []
                if order >= 1:
                    raw = [dcoef[0][a] * coef[1][b], coef[0][a] * dcoef[1][b]]
                    dw = [raw[0] * ms[0], raw[1] * ms[1]]
                    self.raw.append(raw)
                    self.mult = ms
                if order >= 2:
                    cross = dcoef[0][a] * dcoef[1][b]
                    d2w = [[ddcoef[0][a] * coef[1][b], cross],
                           [cross, coef[0][a] * ddcoef[1][b]]]
                self.items.append((np.where(valid, flat, 0), valid, w, dw, d2w))


# ----------------------------------------------------------------------- array kernels
def _gather(xf, flat):
    """xf: (N, C, S); flat: (N, P) -> (N, C, P)."""
    return np.take_along_axis(xf, flat[:, None, :], axis=2)


def _scatter(values, flat, shape):
    """Sum ``values`` (N, C, P) into (N, C, S) at ``flat`` (N, P)."""
    n, c, s = shape
    if values.size == 0:
        return np.zeros(shape, dtype=values.dtype)
    base = (np.arange(n)[:, None, None] * c + np.arange(c)[None, :, None]) * s
    index = (base + flat[:, None, :]).ravel()
    out = np.bincount(index, weights=values.ravel().astype(np.float64), minlength=n * c * s)
    return out.reshape(shape).astype(values.dtype)


def _sample(xf, corners, bicubic):
    """The weighted sum over the corners, out-of-bounds values read as +0 (so the signs of
    zero results are torch's); bicubic as torch: each row of four taps, then the rows."""
    def term(item):
        flat, valid, w, _, _ = item
        return np.where(valid[:, None, :], _gather(xf, flat), 0) * w[:, None, :]

    items = corners.items
    if not bicubic:
        out = term(items[0])
        for item in items[1:]:
            out = out + term(item)
        return out
    out = None
    for b in range(4):
        row = items[4 * b:4 * b + 4]
        acc = None
        for a, item in enumerate(row):  # sum_a v cx[a], then times cy[b]
            flat, valid, _, _, _ = item
            v = np.where(valid[:, None, :], _gather(xf, flat), 0) * corners.cx[a][:, None, :]
            acc = v if acc is None else acc + v
        acc = acc * corners.cy[b][:, None, :]
        out = acc if out is None else out + acc
    return out


def _grid_grad(gof, xf, corners, d):
    """sum over corners and channels of gO * x[corner] * dw/dgrid: (N, P, d); the
    coordinate's multiplier (scale, clamp, reflection) last, as torch (its +0 for a clamped
    coordinate keeps the sum's sign)."""
    if d == 3:
        return _grid_grad3(gof, xf, corners)
    res = [None] * d
    for (flat, valid, _, _, _), raw in zip(corners.items, corners.raw):
        s = (gof * _gather(xf, flat)).sum(axis=1)
        s = np.where(valid, s, 0)
        for k in range(d):
            term = s * raw[k]
            res[k] = term if res[k] is None else res[k] + term
    return np.stack([res[k] * corners.mult[k] for k in range(d)], axis=-1)


def _grid_grad3(gof, xf, corners):
    """The 3-D (trilinear) grid gradient in the order of torch's scalar kernel: per output
    point a sum from +0. over the channels, and within a channel over the in-bounds corners
    (x fastest), of ``value * w_a * w_b * gOut`` (the weights along the other two axes, in
    axis order), subtracted for a corner at the floor along the axis, added at floor + 1; then
    times the coordinate's multiplier. (The order decides the last bits and, when the terms
    cancel, the sign of a zero the multiplier leaves: ``0 * -tiny`` is -0.)"""
    n, c, p = gof.shape
    res = []
    for k in range(3):
        a, b = [j for j in range(3) if j != k]
        terms = np.zeros((c * len(corners.items) + 1, n, p), dtype=gof.dtype)
        i = 1
        for ch in range(c):
            go = gof[:, ch, :]
            for (flat, valid, _, _, _), ws, bits in zip(corners.items, corners.corner_weights,
                                                       corners.corner_bits):
                val = np.take_along_axis(xf[:, ch, :], flat, axis=1)
                t = val * ws[a] * ws[b] * go
                terms[i] = np.where(valid, t if bits[k] else -t, 0)
                i += 1
        # (a running sum from +0.: it never becomes -0., so out-of-bounds corners add +0.)
        res.append(np.cumsum(terms, axis=0)[-1] * corners.mult[k])
    return np.stack(res, axis=-1)


# ----------------------------------------------------------------------- the ops
def _host(t: Tensor):
    """A tensor's values as a NumPy array (these kernels are NumPy-only)."""
    xp = t.device.xp
    if xp is np:
        return t._data
    if hasattr(xp, "asnumpy"):
        return xp.asnumpy(t._data)
    from ..func.batching import BatchingError  # (inside vmap: run once per sample)
    raise BatchingError("grid_sample and affine_grid run per sample")


def _dev(arr, t: Tensor):
    """A NumPy result on ``t``'s device."""
    xp = t.device.xp
    return arr if xp is np else xp.asarray(arr)


def _work_dtype(dt):
    return np.float32 if dt == np.float16 else dt


class _Spec:
    __slots__ = ("mode", "padding", "align", "d", "in_shape", "out_spatial")

    def __init__(self, mode, padding, align, d, in_shape, out_spatial):
        self.mode, self.padding, self.align, self.d = mode, padding, align, d
        self.in_shape, self.out_spatial = in_shape, out_spatial

    def sizes(self):
        return tuple(self.in_shape[2:])[::-1]

    def spatial(self):
        return int(np.prod(self.in_shape[2:], dtype=np.int64))

    def points(self):
        return int(np.prod(self.out_spatial, dtype=np.int64))


def _flat_views(spec, x, grid, wd):
    n, c = spec.in_shape[:2]
    xf = np.asarray(x, dtype=wd).reshape(n, c, spec.spatial())
    gf = np.asarray(grid, dtype=wd).reshape(n, spec.points(), spec.d)
    return xf, gf


def _forward(spec, x, grid):
    wd = _work_dtype(x.dtype)
    xf, gf = _flat_views(spec, x, grid, wd)
    n, c = spec.in_shape[:2]
    with np.errstate(all="ignore"):
        corners = _Corners(gf, spec.sizes(), spec.mode, spec.padding, spec.align, 0)
        out = _sample(xf, corners, spec.mode == "bicubic")
    return out.reshape((n, c) + spec.out_spatial).astype(x.dtype)


def _node_name(spec, double=False):
    return f"GridSampler{spec.d}DBackward{'Backward' if double else ''}0"


def _backward(g: Tensor, input: Tensor, grid: Tensor, spec: _Spec, needs) -> tuple:
    """``grid_sampler_{2,3}d_backward``: (input's gradient, grid's gradient)."""
    dt = input.dtype.np
    wd = _work_dtype(dt)
    xf, gf = _flat_views(spec, _host(input), _host(grid), wd)
    n, c = spec.in_shape[:2]
    gof = np.asarray(_host(g), dtype=wd).reshape(n, c, spec.points())
    gx = gg = None
    with np.errstate(all="ignore"):
        corners = _Corners(gf, spec.sizes(), spec.mode, spec.padding, spec.align,
                           1 if needs[1] else 0)
        if needs[0]:
            acc = None
            for flat, valid, w, _, _ in corners.items:
                vals = gof * np.where(valid, w, 0)[:, None, :]
                part = _scatter(vals, flat, xf.shape)
                acc = part if acc is None else acc + part
            gx = _wrap(_dev(acc.reshape(spec.in_shape).astype(dt), input), input.dtype,
                       input.device)
        if needs[1]:
            if spec.mode == "nearest":
                arr = np.zeros(grid._data.shape, dtype=dt)
            else:
                arr = _grid_grad(gof, xf, corners, spec.d).reshape(grid._data.shape).astype(dt)
            gg = _wrap(_dev(arr, grid), grid.dtype, grid.device)
    outs = (gx, gg)
    present = tuple(o for o in outs if o is not None)
    if present and is_grad_enabled() and not FW_ACTIVE[0] and needs_grad(g, input, grid):
        mask = tuple(o is not None for o in outs)
        record(present if len(present) > 1 else present[0], _node_name(spec, True),
               _double_rule(spec, mask), (g, input, grid), (g, input, grid), per_input=False,
               node=_Unmaterialized.__new__(_Unmaterialized))  # (undefined grads stay None)
    return outs


def _refuse_third(*_):
    raise errors.NotSupported(
        "grid_sample: derivatives beyond the second are not supported (torch composes its "
        "double backward from other ops; this engine computes it directly)")


def _double_rule(spec: _Spec, mask):
    """The second derivatives: ``ggx``/``ggg`` are the gradients of the input's and the grid's
    gradients. ``out = sum_k w_k(grid) x[i_k]`` is linear in x, so grad_output gets
    ``S(ggx) + sum_k x[i_k] (dw_k . ggg)``, the input gets the scatter of
    ``gO (dw_k . ggg)``, the grid gets ``sum_k <gO, ggx[i_k]> dw_k + <gO, x[i_k]> d2w_k ggg``."""

    def rule(grads, needs, g, x, grid):
        grads = grads if type(grads) is tuple else (grads,)
        it = iter(grads)
        ggx, ggg = (next(it) if m else None for m in mask)
        dt = x.dtype.np
        wd = _work_dtype(dt)
        xf, gf = _flat_views(spec, _host(x), _host(grid), wd)
        n, c = spec.in_shape[:2]
        gof = np.asarray(_host(g), dtype=wd).reshape(n, c, spec.points())
        ggxf = None if ggx is None else np.asarray(_host(ggx), dtype=wd).reshape(xf.shape)
        gggf = None if ggg is None or spec.mode == "nearest" else \
            np.asarray(_host(ggg), dtype=wd).reshape(gf.shape)
        d = spec.d
        if needs[1] and gggf is not None and dt == np.float16 and spec.mode == "bilinear" \
                and spec.padding == "reflection":
            # torch's half double backward scatters a float source into the half input's
            # gradient there (measured: only bilinear with reflection padding, 2-D and 3-D)
            raise errors.EngineRuntimeError(
                "scatter(): Expected self.dtype to be equal to src.dtype")
        with np.errstate(all="ignore"):
            corners = _Corners(gf, spec.sizes(), spec.mode, spec.padding, spec.align,
                               2 if gggf is not None else (1 if ggxf is not None else 0))
            d_g = d_x = d_grid = None
            if needs[0] and (ggxf is not None or gggf is not None):
                acc = np.zeros(gof.shape, dtype=wd)
                for flat, valid, w, dw, _ in corners.items:
                    if ggxf is not None:
                        acc += _gather(ggxf, flat) * np.where(valid, w, 0)[:, None, :]
                    if gggf is not None:
                        dirn = sum(dw[k] * gggf[..., k] for k in range(d))
                        acc += _gather(xf, flat) * np.where(valid, dirn, 0)[:, None, :]
                d_g = acc.reshape(g._data.shape)
            if needs[1] and gggf is not None:
                acc = None
                for flat, valid, _, dw, _ in corners.items:
                    dirn = sum(dw[k] * gggf[..., k] for k in range(d))
                    part = _scatter(gof * np.where(valid, dirn, 0)[:, None, :], flat, xf.shape)
                    acc = part if acc is None else acc + part
                d_x = acc.reshape(spec.in_shape)
            if needs[2] and spec.mode == "nearest" and ggxf is not None:
                d_grid = np.zeros(grid._data.shape, dtype=wd)  # (torch's: zeros, not None)
            elif needs[2] and spec.mode != "nearest" and (ggxf is not None or gggf is not None):
                acc = None if ggxf is None else _grid_grad(gof, ggxf, corners, d)
                if gggf is not None:
                    # the Hessian of <gO, out> in the grid first (a sum over the corners, the
                    # row's multiplier in each term), then its product with ggg times the
                    # column's multiplier: the signs of zeros are torch's (clamped coordinates)
                    hess = {}
                    for flat, valid, _, _, d2w in corners.items:
                        s = np.where(valid, (gof * _gather(xf, flat)).sum(axis=1), 0)
                        for k in range(d):
                            for m in range(d):
                                if k == m and spec.mode != "bicubic":
                                    continue  # (multilinear: no second derivative in one axis)
                                t = s * d2w[k][m] * corners.mult[k]
                                hess[k, m] = t if (k, m) not in hess else hess[k, m] + t
                    cols = []
                    mult = corners.mult
                    for k in range(d):
                        col = None
                        for m in range(d):
                            if (k, m) in hess:
                                t = hess[k, m] * (gggf[..., m] * mult[m])
                                col = t if col is None else col + t
                        cols.append(col)
                    part = np.stack(cols, axis=-1)
                    acc = part if acc is None else acc + part
                d_grid = acc.reshape(grid._data.shape)
        outs = tuple(None if a is None else _wrap(_dev(a.astype(dt), t), t.dtype, t.device)
                     for a, t in ((d_g, g), (d_x, x), (d_grid, grid)))
        present = tuple(o for o in outs if o is not None)
        if present and is_grad_enabled() and needs_grad(g, x, grid, *grads):
            record(present if len(present) > 1 else present[0], "NotImplemented",
                   _refuse_third, (g, x, grid), per_input=False)
        return outs

    return rule


def _check_sampler(input: Tensor, grid: Tensor, mode: str):
    """torch's checks, in its order: the common ones, the 2-D/3-D kernel's, its dtype
    dispatch, then the grid's dtype."""
    ishape, gshape = tuple(input.shape), tuple(grid.shape)

    def sizes(shape):
        return "[" + ", ".join(map(str, shape)) + "]"

    both = f"input with sizes {sizes(ishape)} and grid with sizes {sizes(gshape)}"
    if not ishape or not gshape or ishape[0] != gshape[0]:
        raise errors.EngineRuntimeError(
            f"grid_sampler(): expected grid and input to have same batch size, but got {both}")
    if gshape[-1] != len(ishape) - 2:
        raise errors.EngineRuntimeError(
            f"grid_sampler(): expected grid to have size {len(ishape) - 2} in last dimension, "
            f"but got grid with sizes {sizes(gshape)}")
    for i in range(2, len(ishape)):
        if ishape[i] == 0:
            raise errors.EngineRuntimeError(
                "grid_sampler(): expected input to have non-empty spatial dimensions, but "
                f"input has sizes {sizes(ishape)} with dimension {i} being empty")
    two_d = len(ishape) == 4
    if len(gshape) != len(ishape) or len(ishape) not in (4, 5):
        raise errors.EngineRuntimeError(
            f"grid_sampler(): expected {4 if two_d else 5}D input and grid with same number of "
            f"dimensions, but got {both}")
    if mode == "bicubic" and not two_d:
        raise errors.EngineRuntimeError(
            "grid_sampler(): bicubic interpolation only supports 4D input")
    # an empty result returns before the 2-D kernel's dtype dispatch and the grid's dtype
    # check (the 3-D kernel dispatches first)
    empty = ishape[0] * ishape[1] * math.prod(gshape[1:-1]) == 0
    if not input.dtype.is_floating_point and not (two_d and empty):
        raise errors.KernelNotImplemented(errors.NOT_IMPLEMENTED_FOR.format(
            kernel="grid_sampler_2d_cpu_kernel_impl" if two_d else "grid_sampler3d_cpu",
            dtype=input.dtype.scalar_name))
    if input.dtype is not grid.dtype and not empty:
        raise errors.EngineRuntimeError(
            f"expected scalar type {input.dtype.scalar_name} but found "
            f"{grid.dtype.scalar_name}")


def grid_sample(input, grid, mode="bilinear", padding_mode="zeros", align_corners=None):
    """Samples ``input`` (N, C, H, W) or (N, C, D, H, W) at the normalised positions of
    ``grid`` (N, H_out, W_out, 2) or (N, D_out, H_out, W_out, 3)."""
    if mode not in _MODES:
        raise errors.EngineValueError(
            "nn.functional.grid_sample(): expected mode to be 'bilinear', 'nearest' or "
            f"'bicubic', but got: '{mode}'")
    if padding_mode not in _PADDINGS:
        raise errors.EngineValueError(
            "nn.functional.grid_sample(): expected padding_mode to be 'zeros', 'border', or "
            f"'reflection', but got: '{padding_mode}'")
    if align_corners is None:
        warnings.warn(_DEFAULT_WARNING, UserWarning, stacklevel=2)
        align_corners = False
    for name, t in (("input", input), ("grid", grid)):
        if not isinstance(t, Tensor):
            raise errors.EngineTypeError(
                f"grid_sampler(): argument '{name}' (position {1 if name == 'input' else 2}) "
                f"must be Tensor, not {type(t).__name__}")
    _check_sampler(input, grid, mode)
    spec = _Spec(mode, padding_mode, bool(align_corners), grid.shape[-1], tuple(input.shape),
                 tuple(grid.shape[1:-1]))
    res = _forward(spec, _host(input), _host(grid))
    out = _wrap(_dev(res, input), input.dtype, input.device)
    if needs_grad(input, grid):
        kernel = f"grid_sampler_{spec.d}d"
        record(out, _node_name(spec),
               lambda g, needs, x, gr: _backward(g, x, gr, spec, needs),
               (input, grid), (input, grid), per_input=False,
               jvp=lambda tangents: _no_forward_ad(kernel))
    return out


def _no_forward_ad(kernel: str):
    raise errors.KernelNotImplemented(
        f"Trying to use forward AD with {kernel} that does not support it because it has not "
        "been implemented yet.\nPlease file an issue to PyTorch at "
        "https://github.com/pytorch/pytorch/issues/new?template=feature-request.yml so that we "
        "can prioritize its implementation or submit a PR adding the implementation to "
        "derivatives.yaml")


# ----------------------------------------------------------------------- affine_grid
def _base_grid(size, align, dt):
    """(H*W, 3) or (D*H*W, 3): x varies fastest, then y, then z; a column of ones."""
    spatial = tuple(size[2:])

    def axis(n):
        if n <= 1:
            return np.zeros(1, dtype=dt)
        r = float_linspace(-1.0, 1.0, n, np.dtype(dt))
        if not align:
            r = (r * dt.type(n - 1) / dt.type(n)).astype(dt)
        return r

    axes = [axis(n) for n in spatial[::-1]]  # x (W), y (H), z (D)
    mesh = np.meshgrid(*axes[::-1], indexing="ij")  # in (D,) H, W order
    cols = [m.ravel() for m in mesh[::-1]] + [np.ones(int(np.prod(spatial)), dtype=dt)]
    return np.stack(cols, axis=-1).astype(dt)


def _affine_values(base, th, k):
    """``base (P, k) @ theta[n].T`` per batch as torch's CPU bmm rounds it (found by
    experiment, bitwise on float32/float64): its naive kernel (used while
    ``k * P * (k - 1) < 400``) sums the products left to right; above, BLAS chains fused
    multiply-adds from the first product on Intel; MKL's generic path elsewhere rounds each
    product and sum as the naive kernel (``engine._cpu.mkl_fused``; measured on an AMD EPYC:
    bitwise on every size of the suite's, P up to 343, float32 and float64). float16: the
    float16 base grid, products and sums in float32, rounded once. Both kernels' sums start
    from +0., so an all -0. row of products gives +0. (as torch)."""
    dt = th.dtype
    if dt == np.float16:
        base, th = base.astype(np.float32), th.astype(np.float32)
    b = base[None, :, None, :]        # (1, P, 1, k)
    t = th[:, None, :, :]             # (N, 1, k - 1, k)
    fused = dt != np.float16 and k * base.shape[0] * (k - 1) >= 400 and mkl_fused()
    with np.errstate(all="ignore"):
        acc = b[..., 0] * t[..., 0] + b.dtype.type(0)  # (the sums start from +0: -0. + 0. = 0.)
        for j in range(1, k):
            acc = fma(b[..., j], t[..., j], acc) if fused else acc + b[..., j] * t[..., j]
    return acc.astype(dt)


def _affine_backward(g: Tensor, size, align, device):
    from .linalg import bmm  # (the op table's: its nodes are torch's under create_graph)
    n = size[0]
    base = _base_grid(size, align, np.dtype(g.dtype.np))
    k = base.shape[1]
    base_t = _wrap(_dev(np.ascontiguousarray(np.broadcast_to(base.T, (n, k, base.shape[0]))),
                        g), g.dtype, device)
    return bmm(base_t, g.reshape(n, base.shape[0], k - 1)).transpose(1, 2)


def affine_grid(theta, size, align_corners=None):
    """The sampling grid of a batch of affine maps ``theta`` (N, 2, 3) or (N, 3, 4) for an
    output of ``size`` (N, C, H, W) or (N, C, D, H, W)."""
    if align_corners is None:
        warnings.warn(_DEFAULT_WARNING, UserWarning, stacklevel=2)
        align_corners = False
    if not isinstance(theta, Tensor):
        raise errors.EngineTypeError(
            f"affine_grid(): argument 'theta' must be Tensor, not {type(theta).__name__}")
    if not theta.dtype.is_floating_point:
        raise errors.EngineValueError(
            f"Expected theta to have floating point type, but got {theta.dtype}")
    size = tuple(int(s) for s in size)
    shown = "(" + ", ".join(map(str, size)) + ("," if len(size) == 1 else "") + ")"
    shape = tuple(theta.shape)
    tshape = "torch.Size([" + ", ".join(map(str, shape)) + "])"
    if len(size) == 4:
        if len(shape) != 3 or shape[-2] != 2 or shape[-1] != 3:
            raise errors.EngineValueError(
                "Expected a batch of 2D affine matrices of shape Nx2x3 for size "
                f"{shown}. Got {tshape}.")
        spatial = size[-2:]
    elif len(size) == 5:
        if len(shape) != 3 or shape[-2] != 3 or shape[-1] != 4:
            raise errors.EngineValueError(
                "Expected a batch of 3D affine matrices of shape Nx3x4 for size "
                f"{shown}. Got {tshape}.")
        spatial = size[-3:]
    else:
        raise errors.NotSupported(
            "affine_grid only supports 4D and 5D sizes, for 2D and 3D affine transforms, "
            f"respectively. Got size {shown}.")
    if align_corners and min(spatial) == 1:
        warnings.warn(_UNIT_WARNING, UserWarning, stacklevel=2)
    elif min(size) <= 0:
        raise errors.EngineValueError(f"Expected non-zero, positive output size. Got {shown}")
    n = size[0]
    k = len(spatial) + 1
    if shape[0] != n:
        raise errors.EngineRuntimeError(
            f"Expected size for first two dimensions of batch2 tensor to be: [{n}, {k}] but "
            f"got: [{shape[0]}, {k}].")
    dt = theta.dtype.np
    if dt == np.float16 and min(spatial) <= 1:  # (torch builds the unit axis with at::tensor)
        raise errors.KernelNotImplemented(errors.NOT_IMPLEMENTED_FOR.format(
            kernel="tensor_cpu", dtype="Half"))
    res = _affine_values(_base_grid(size, bool(align_corners), np.dtype(dt)),
                         np.asarray(_host(theta)), k)
    out = _wrap(_dev(res.reshape((n,) + tuple(spatial) + (k - 1,)).astype(dt), theta),
                theta.dtype, theta.device)
    if needs_grad(theta):
        align = bool(align_corners)
        record(out, "AffineGridGeneratorBackward0",
               (lambda g: _affine_backward(g, size, align, theta.device),), (theta,))
    return out


def _register() -> None:
    register("grid_sample", grid_sample, kind="function",
             grad_fns=("GridSampler2DBackward0", "GridSampler3DBackward0",
                       "GridSampler2DBackwardBackward0", "GridSampler3DBackwardBackward0"))
    register("affine_grid", affine_grid, kind="function",
             grad_fns=("AffineGridGeneratorBackward0",))


_register()
