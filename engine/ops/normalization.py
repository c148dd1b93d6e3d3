"""``group_norm`` (layer and batch norm live in ``nn.py``, whose helpers it shares)."""

from __future__ import annotations

import numpy as np

from .. import errors
from ..autograd import needs_grad, record
from ..dtypes import dtype_from_name as _dtype
from ..modes import _grad_enabled
from ..tensor import Tensor
from . import kernel_dtypes
from .memory_format import as_suggested, is_contiguous_as, relaid, suggest
from .nn import (
    _batch_stats,
    _const,
    _fmt,
    _moments,
    _quiet,
)
from .nn import _same_device as _check_devices
from .registry import op


def _channel_shape(input: Tensor) -> tuple:
    return (1, input._data.shape[1]) + (1,) * (input.ndim - 2)


@op(kind="function", grad_fns=("NativeGroupNormBackward0",))
def group_norm(input, num_groups, weight=None, bias=None, eps=1e-05):
    """Normalize each of ``num_groups`` groups of channels (dim 1) per sample, then scale by
    ``weight`` and shift by ``bias`` per channel."""
    shape = input._data.shape
    if input.ndim < 2:
        raise errors.EngineRuntimeError(
            f"Expected at least 2 dimensions for input tensor but received {input.ndim}")
    c = shape[1]
    # F.group_norm's batch-size check (C // num_groups: a ZeroDivisionError for 0 groups)
    if num_groups == 0:
        raise ZeroDivisionError("integer division or modulo by zero")
    size = [shape[0] * c // num_groups, num_groups] + list(shape[2:])
    if size[0] * int(np.prod(size[2:], dtype=np.int64)) == 1:
        raise errors.EngineValueError(
            f"Expected more than 1 value per channel when training, got input size {size}")
    if num_groups < 0:
        raise errors.EngineRuntimeError(
            f"Expected num groups to be greater than 0, got {num_groups}")
    if c % num_groups:
        raise errors.EngineRuntimeError(
            "Expected number of channels in input to be divisible by num_groups, but got input "
            f"of shape {_fmt(shape)} and num_groups={num_groups}")
    for label, t in (("weight", weight), ("bias", bias)):
        if t is not None and (t.ndim != 1 or t._data.size != c):
            raise errors.EngineRuntimeError(
                f"Expected {label} to be a vector of size equal to the number of channels in "
                f"input, but got {label} of shape {_fmt(t._data.shape)} and input of shape "
                f"{_fmt(shape)}")
    _check_devices(input, weight, bias)
    _check_param_dtypes(input, weight, bias)
    kernel_dtypes.check("group_norm", input)
    fmt = suggest(input._data)
    if not is_contiguous_as(input._data, fmt):  # torch's group_norm copies it first: the
        input = input.contiguous(memory_format=fmt)  # node saves the copy (CloneBackward0)
    xp = input.device.xp
    n = shape[0]
    grouped = (n, num_groups, input._data.size // max(n * num_groups, 1))
    # half computes in float, as ATen's opmath (x * scale + shift cancels otherwise)
    data = input._data.astype(np.float32) if input.dtype.name == "float16" else input._data
    a = data.reshape(grouped)
    with _quiet(xp):
        if xp is np and grouped[2] <= _MODELLED:
            mean, rstd = _torch_moments(a, eps, input.dtype.name == "float16")
        elif a.size:
            mean, centered, var = _moments(xp, a, (2,))
            mean = mean + 0.0  # torch's running mean starts from +0. (a group of -0. has +0.)
            rstd = 1.0 / xp.sqrt(var + eps)
        else:  # no elements (the statistics of an empty group are never read)
            mean = var = xp.zeros((n, num_groups, 1), dtype=a.dtype)
            rstd = 1.0 / xp.sqrt(var + eps)
        # ATen's form: x * scale + shift, scale = rstd * weight, shift = bias - scale * mean
        # per (sample, channel) (so x == mean gives +0, whatever the weight's sign)
        per_group = (n, num_groups, c // num_groups, grouped[2] // max(c // num_groups, 1))
        scale = xp.broadcast_to(rstd.reshape(n, num_groups, 1, 1), (n, num_groups,
                                                                    c // num_groups, 1))
        if weight is not None:
            scale = scale * weight._data.reshape(1, num_groups, -1, 1)
        shift = -scale * mean.reshape(n, num_groups, 1, 1) + (
            0.0 if bias is None else bias._data.reshape(1, num_groups, -1, 1))
        if weight is None and bias is None:  # ATen's (x - mean) * rstd (-0. stays -0.)
            res = ((a - mean) * rstd).reshape(shape)
        else:
            res = (data.reshape(per_group) * scale + shift).reshape(shape)
    out = _const(as_suggested(res, input._data), input)
    if needs_grad(input, weight, bias):
        # torch keeps the statistics in the parameters' dtype when it is not the input's
        like = next((p for p in (weight, bias) if p is not None and p.dtype is not
                     input.dtype), input)
        record(out, "NativeGroupNormBackward0", _group_norm_rule, (input, weight, bias),
               (input, weight, _const(mean, like), _const(rstd, like), num_groups, eps,
                like.dtype.name), per_input=False)
    return out


_MODELLED = 64  # groups up to this many elements get torch's statistics bit for bit (a Python
# loop over vectors, 20-400 us; larger groups keep NumPy's two-pass statistics)


def _torch_moments(a: np.ndarray, eps: float, half: bool):
    """Mean and rstd of each row of ``a`` (``(N, G, L)``, float32 for a float16 input) as
    torch 2.13's CPU group-norm kernel computes them (ATen's ``RowwiseMoments``, as built for
    AVX2: 8 floats or 4 doubles a vector, 16 halves split into two float vectors): Welford's
    update per vector lane over chunks of 16 vectors (the compiler fuses ``m1 + d * c`` into
    one multiply-add), the chunks' moments merged in a binary cascade (Chan's formula), the
    elements past the last whole vector by a scalar Welford loop, then every lane merged in
    (its ``m1 + c * delta`` fused), and ``rstd = 1 / sqrt(var + eps)`` in double. A group of
    no elements has mean 0 and rstd NaN (0 / 0). Measured against torch.native_group_norm
    (150 random calls a dtype, groups of up to 520 elements): every mean and 90-92 % of the
    rstds bitwise in float32 and float64 (the others an ulp off), all of them for float16
    once rounded; NumPy's two-pass statistics matched 26-35 % of the means, 27-45 % of the
    rstds."""
    from .decompositions import _fma

    T = a.dtype.type
    rows = a.reshape(int(np.prod(a.shape[:-1])), a.shape[-1])
    count, L = rows.shape
    width = 16 if half else (8 if T is np.float32 else 4)  # elements a vector load reads
    lanes = 8 if half else width
    n = L // width
    z = np.zeros((count, lanes), T)
    cs = [T(1) / T(j + 1) for j in range(16)]

    def merge(m0_add, m1_add, m2_add, m0, m1, m2, fused):
        total = m0 + m0_add
        c = T(0) if total == 0 else T(T(m0_add) / T(total))
        delta = m1_add - m1
        m1 = _fma(np.broadcast_to(c, delta.shape).copy(), delta, m1) if fused else \
            m1 + c * delta
        return total, m1, m2 + (m2_add + delta * delta * c * T(m0))

    chunks = -(-n // 16)
    depth = 0 if chunks <= 1 else int(chunks - 1).bit_length()
    s0, s1, s2 = [0] * max(depth, 1), [z] * max(depth, 1), [z] * max(depth, 1)
    for i in range(chunks):
        size = min(16, n - i * 16)
        parts = [(z, z)] * (2 if half else 1)
        for j in range(size):
            start = (i * 16 + j) * width
            for p in range(len(parts)):
                x = rows[:, start + p * lanes:start + (p + 1) * lanes]
                m1, m2 = parts[p]
                d = x - m1
                m1 = _fma(d, np.full_like(d, cs[j]), m1)
                parts[p] = (m1, m2 + d * (x - m1))
        for m1, m2 in parts:
            s0[0], s1[0], s2[0] = merge(size, m1, m2, s0[0], s1[0], s2[0], False)
        mask, j = i + 1, 1
        while j < depth and (mask & 1) == 0:
            s0[j], s1[j], s2[j] = merge(s0[j - 1], s1[j - 1], s2[j - 1], s0[j], s1[j], s2[j],
                                        False)
            s0[j - 1], s1[j - 1], s2[j - 1] = 0, z, z
            mask >>= 1
            j += 1
    for i in range(1, depth):
        s0[0], s1[0], s2[0] = merge(s0[i], s1[i], s2[i], s0[0], s1[0], s2[0], False)
    m0, m1, m2 = 0, np.zeros(count, T), np.zeros(count, T)
    for i in range(n * width, L):
        x = rows[:, i]
        d = x - m1
        m0 += 1
        m1 = m1 + d / T(m0)
        m2 = m2 + d * (x - m1)
    if n:
        for lane in range(lanes):
            m0, m1, m2 = merge(n * width // lanes, s1[0][:, lane], s2[0][:, lane], m0, m1, m2,
                               True)
    else:  # empty lanes: c = 0, each merge adds 0 * delta (once is enough: -0. to +0., inf to NaN)
        m0, m1, m2 = merge(0, z[:, 0], z[:, 0], m0, m1, m2, False)
    var = np.maximum(m2 / T(L), T(0)) if L else m2 / T(L)  # (NaN stays NaN, as std::max)
    rstd = (1.0 / np.sqrt(var.astype(np.float64) + eps)).astype(T)
    shape = a.shape[:-1] + (1,)
    return m1.reshape(shape), rstd.reshape(shape)


def _check_param_dtypes(input: Tensor, *params) -> None:
    """ATen's CPU rule: parameters of another dtype than the input (the first given one
    decides) must be float32 with a float16 input; else every parameter has its dtype."""
    given = [p for p in params if p is not None]
    if not given:
        return
    if given[0].dtype is not input.dtype:
        if any(p.dtype.name != "float32" for p in given):
            raise errors.EngineRuntimeError(
                "mixed dtype (CPU): expect parameter to have scalar type of Float")
        if input.dtype.name not in ("float16", "bfloat16"):
            raise errors.EngineRuntimeError(
                "mixed dtype (CPU): all inputs must share same datatype.")
        return
    if not input.dtype.is_floating_point:  # the kernel's dtype check comes first
        return
    for p in given[1:]:
        if p.dtype is not input.dtype:
            raise errors.EngineRuntimeError(
                f"expected scalar type {input.dtype.scalar_name} but found "
                f"{p.dtype.scalar_name}")


def _group_norm_rule(g, needs, x, w, mean, rstd, groups, eps, stats_dtype):
    """torch's group-norm backward, in its form: per (sample, group) ``ds = sum_c w_c sum_hw
    dy x``, ``db = sum_c w_c sum_hw dy``, ``b = (db mean - ds) (rstd rstd rstd) / (D HW)``,
    ``c = -b mean - db rstd / (D HW)``, ``dx = rstd w dy + b x + c``; the weight's gradient
    ``sum_n (sum_hw dy x - mean sum_hw dy) rstd``, the bias's ``sum_n sum_hw dy``. Without
    ``create_graph`` (torch's kernel) in float32 for a float16 input (its opmath) from the
    saved statistics; under it (torch's infinitely differentiable backward) op for op in the
    tensors' own dtypes, so its roundings, overflows (``rstd ** 3`` is inf in float16 from
    rstd 40.3 on) and NaN/inf placement are torch's, with the statistics recomputed by engine
    ops (so the result differentiates again: in float32 for a float16 input, as torch's
    forward computes them, then held in torch's dtype for them: float32 with float32
    parameters, else the input's)."""
    shape = x.shape
    n, c = shape[:2]
    d = c // groups
    hw = x._data.size // (n * c) if n * c else 0
    s = 1.0 / (d * hw) if d * hw else float("inf")
    grad = _grad_enabled.get()
    if needs[2] and w is None:
        # torch makes the bias's gradient like the (absent) weight: its kernel allocates it
        # with empty_like(weight), its create_graph formula reshapes it to the weight's shape
        raise errors.EngineRuntimeError(f"shape '[0]' is invalid for input of size {c}" if grad
                                        else "tensor does not have a device")
    x4 = x.reshape(n, groups, d, hw)
    dy = g.reshape(n, groups, d, hw)
    if grad:
        xs = x4.float() if x.dtype.name == "float16" else x4
        m, r = _batch_stats(xs, (2, 3), eps)
        if m.dtype.name != stats_dtype:
            m, r = m.to(_dtype(stats_dtype)), r.to(_dtype(stats_dtype))
        if w is not None and w.requires_grad and not r.requires_grad:
            # torch's statistics are outputs of the forward's node, which has an edge to the
            # weight (so the weight's gradient requires grad, ViewBackward0), through which
            # nothing flows
            r = r.detach()
            record(r, "NativeGroupNormBackward0", (lambda gg: None,), (w,))
    else:
        m, r = mean.reshape(n, groups, 1, 1), rstd.reshape(n, groups, 1, 1)
        if x.dtype.name == "float16":  # the kernel's opmath
            x4, dy, m, r = x4.float(), dy.float(), m.float(), r.float()
            w = None if w is None else w.float()
    dyx = (dy * x4).sum(3, keepdim=True)  # per (sample, channel)
    dys = dy.sum(3, keepdim=True)
    gx = gw = gb = None
    if needs[0]:
        if w is None:
            ds, db, a = dyx.sum(2, keepdim=True), dys.sum(2, keepdim=True), r
        else:
            gamma = w.reshape(1, groups, d, 1)
            ds, db = (dyx * gamma).sum(2, keepdim=True), (dys * gamma).sum(2, keepdim=True)
            a = r * gamma
        b = (db * m - ds) * (r * r * r) * s
        c3 = -b * m - db * r * s
        gx = (a * dy + b * x4 + c3).reshape(shape)
        gx = gx if gx.dtype is x.dtype else gx.to(x.dtype)
    if needs[1]:
        gw = ((dyx - dys * m) * r).sum(0).reshape(c)
    if needs[2]:
        gb = dys.sum(0).reshape(c)
    return relaid(gx, as_suggested, x._data), gw, gb
