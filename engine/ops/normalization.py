"""``group_norm`` (layer and batch norm live in ``nn.py``, whose helpers it shares)."""

from __future__ import annotations

import numpy as np

from .. import errors
from ..autograd import needs_grad, record
from ..dtypes import dtype_from_name as _dtype
from ..modes import _grad_enabled
from ..tensor import Tensor
from .nn import (
    _TORCH_NAMES,
    _batch_stats,
    _const,
    _floating,
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
    _floating(input, "GroupNormKernelImpl")
    xp = input.device.xp
    n = shape[0]
    grouped = (n, num_groups, input._data.size // max(n * num_groups, 1))
    # half computes in float, as ATen's opmath (x * scale + shift cancels otherwise)
    data = input._data.astype(np.float32) if input.dtype.name == "float16" else input._data
    a = data.reshape(grouped)
    with _quiet(xp):
        if a.size:
            mean, centered, var = _moments(xp, a, (2,))
            mean = mean + 0.0  # torch's running mean starts from +0. (a group of -0. has +0.)
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
    out = _const(res, input)
    if needs_grad(input, weight, bias):
        # torch keeps the statistics in the parameters' dtype when it is not the input's
        like = next((p for p in (weight, bias) if p is not None and p.dtype is not
                     input.dtype), input)
        record(out, "NativeGroupNormBackward0", _group_norm_rule, (input, weight, bias),
               (input, weight, _const(mean, like), _const(rstd, like), num_groups, eps,
                like.dtype.name), per_input=False)
    return out


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
                f"expected scalar type {_TORCH_NAMES[input.dtype.name]} but found "
                f"{_TORCH_NAMES[p.dtype.name]}")


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
    return gx, gw, gb
