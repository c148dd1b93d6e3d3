"""Gradient clipping: ``clip_grad_norm_`` (by the total norm of all gradients) and
``clip_grad_value_`` (elementwise), computed as torch computes them (norms accumulated in
float64, the clip coefficient as ``reciprocal(total + 1e-6) * max_norm`` in the gradients'
dtype)."""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from ... import errors
from ...tensor import Tensor, _wrap


def _as_list(parameters: Tensor | Iterable[Tensor]) -> list[Tensor]:
    return [parameters] if isinstance(parameters, Tensor) else list(parameters)


def _norm(xp, arr, p: float):
    a = xp.abs(arr.astype(np.float64))
    if a.size == 0:
        return 0.0 if p != -math.inf else math.inf
    if p == math.inf:
        return a.max()
    if p == -math.inf:
        return a.min()
    if p == 0:
        return (a != 0).sum()
    if p == 1:
        return a.sum()
    if p == 2:
        return xp.sqrt((a * a).sum())
    return (a ** p).sum() ** (1.0 / p)


def get_total_norm(tensors: Tensor | Iterable[Tensor], norm_type: float = 2.0,
                   error_if_nonfinite: bool = False, foreach: bool | None = None) -> Tensor:
    """The ``norm_type``-norm of the norms of ``tensors`` (a 0-d tensor)."""
    tensors = _as_list(tensors)
    p = float(norm_type)
    if not tensors:
        from ...ops.creation import tensor

        return tensor(0.0)
    first = tensors[0]
    xp = first.device.xp
    dt = first.dtype
    norms = xp.stack([xp.asarray(_norm(xp, t._data, p)).astype(t.dtype.np) for t in tensors])
    total = xp.asarray(_norm(xp, norms, p)).astype(dt.np).reshape(())
    if error_if_nonfinite and not bool(xp.isfinite(total)):
        raise errors.EngineRuntimeError(
            f"The total norm of order {p} for gradients from `parameters` is non-finite, so it "
            "cannot be clipped. To disable this error and scale the gradients by the non-finite "
            "norm anyway, set `error_if_nonfinite=False`")
    return _wrap(total, dt, first.device)


def clip_grad_norm_(parameters: Tensor | Iterable[Tensor], max_norm: float,
                    norm_type: float = 2.0, error_if_nonfinite: bool = False,
                    foreach: bool | None = None) -> Tensor:
    """Scale all gradients together so their total ``norm_type``-norm is at most
    ``max_norm``; returns the total norm before clipping."""
    params = _as_list(parameters)
    grads = [p._grad for p in params if p._grad is not None]
    total = get_total_norm(grads, norm_type, error_if_nonfinite, foreach)
    if not grads:
        return total
    xp = total.device.xp
    t = total._data
    one = t.dtype.type(1)
    coef = (one / (t + t.dtype.type(1e-6))) * t.dtype.type(max_norm)
    coef = xp.minimum(coef, one)
    for g in grads:
        g._data *= coef.astype(g.dtype.np)
        g._vc[0] += 1
    return total


def clip_grad_value_(parameters: Tensor | Iterable[Tensor], clip_value: float,
                     foreach: bool | None = None) -> None:
    """Clamp every gradient elementwise to ``[-clip_value, clip_value]``."""
    clip_value = float(clip_value)
    for p in _as_list(parameters):
        g = p._grad
        if g is not None:
            xp = g.device.xp
            xp.clip(g._data, -clip_value, clip_value, out=g._data)
            g._vc[0] += 1
