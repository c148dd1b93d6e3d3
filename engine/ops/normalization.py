"""``group_norm`` (layer and batch norm live in ``nn.py``, whose helpers it shares)."""

from __future__ import annotations

import numpy as np

from .. import errors
from ..autograd import needs_grad, record
from ..modes import _grad_enabled
from ..tensor import Tensor
from .nn import (
    _TORCH_NAMES,
    _batch_stats,
    _const,
    _floating,
    _fmt,
    _moments,
    _norm_grad_input,
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
    if num_groups <= 0 or c % num_groups:
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
    grouped = (n, num_groups, -1)
    # half computes in float, as ATen's opmath (x * scale + shift cancels otherwise)
    data = input._data.astype(np.float32) if input.dtype.name == "float16" else input._data
    a = data.reshape(grouped)
    with _quiet(xp):
        mean, centered, var = _moments(xp, a, (2,))
        rstd = 1.0 / xp.sqrt(var + eps)
        # ATen's form: x * scale + shift, scale = rstd * weight, shift = bias - scale * mean
        # per (sample, channel) (so x == mean gives +0, whatever the weight's sign)
        per_group = (n, num_groups, c // num_groups, -1)
        scale = xp.broadcast_to(rstd.reshape(n, num_groups, 1, 1), (n, num_groups,
                                                                    c // num_groups, 1))
        if weight is not None:
            scale = scale * weight._data.reshape(1, num_groups, -1, 1)
        shift = -scale * mean.reshape(n, num_groups, 1, 1) + (
            0.0 if bias is None else bias._data.reshape(1, num_groups, -1, 1))
        res = (data.reshape(per_group) * scale + shift).reshape(shape)
    out = _const(res, input)
    if needs_grad(input, weight, bias):
        record(out, "NativeGroupNormBackward0", _group_norm_rule, (input, weight, bias),
               (input, weight, _const(mean, input), _const(rstd, input), num_groups, eps),
               per_input=False)
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


def _group_norm_rule(g, needs, x, w, mean, rstd, groups, eps):
    shape = x.shape
    grouped = (shape[0], groups, -1)
    xr = x.reshape(grouped)
    if _grad_enabled.get():
        mean, rstd = _batch_stats(xr, (2,), eps)
    xhat = (xr - mean) * rstd
    cshape = _channel_shape(x)
    axes = tuple(i for i in range(len(shape)) if i != 1)
    gx = gw = gb = None
    if needs[0]:
        gxh = (g if w is None else g * w.reshape(cshape)).reshape(grouped)
        gx = _norm_grad_input(gxh, xhat, rstd, (2,)).reshape(shape)
    if needs[1]:
        gw = (g * xhat.reshape(shape)).sum(axes)
        if _grad_enabled.get() and w.requires_grad and not gw.requires_grad:
            # torch's double-backward node has an edge to the weight too (the weight's
            # gradient requires grad under create_graph), through which nothing flows
            gw = gw.detach()
            record(gw, "NativeGroupNormBackwardBackward0", (lambda gg: None,), (w,))
        gw = gw.view(w.shape)
    if needs[2]:
        gb = g.sum(axes)
    return gx, gw, gb
