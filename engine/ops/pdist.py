"""``torch.pdist`` / ``torch.nn.functional.pdist``: the p-norm distance between every pair of
rows of an ``(N, M)`` input, in the order of the upper triangle (row ``i`` against each later
row ``j``), ``N * (N - 1) / 2`` values.

A native op in torch with its own node (``PdistBackward0``); the gradient is torch's
``_pdist_backward`` computed on arrays (each pair's term added to row ``i`` and taken from row
``j``; a pair at distance 0 contributes 0 for every p), recorded as ``PdistBackwardBackward0``,
which refuses to be differentiated again, as torch's does. A non-contiguous input is copied
first (``CloneBackward0``), as torch's ``pdist`` does before its kernel."""

from __future__ import annotations

import math

import numpy as np

from .. import errors
from ..autograd import needs_grad, record
from ..dtypes import float16
from ..modes import check_numel, is_grad_enabled
from ..tensor import Tensor, _wrap
from .registry import op


def _p_arg(p) -> float:
    """``p`` as torch's binding reads a ``float``: a Python number or a 0-d tensor."""
    if isinstance(p, Tensor) and p.ndim == 0:
        return float(p.item())
    if isinstance(p, (bool, int, float, np.integer, np.floating)):
        return float(p)
    kind = "Tensor" if isinstance(p, Tensor) else type(p).__name__
    # (torch names the position only when p came by position; the common call does)
    raise errors.EngineTypeError(f"pdist(): argument 'p' (position 2) must be float, not {kind}")


@op(kind="function", grad_fns=("PdistBackward0", "CloneBackward0"))
def pdist(input, p=2):
    """The p-norm distance between every pair of rows of a 2-D ``input`` (the upper triangle
    of ``cdist(input, input)`` without its diagonal, row by row)."""
    if not isinstance(input, Tensor):
        raise errors.EngineTypeError("pdist(): argument 'input' (position 1) must be Tensor, "
                                     f"not {type(input).__name__}")
    p = _p_arg(p)
    if input.ndim != 2:
        raise errors.EngineRuntimeError(f"pdist only supports 2D tensors, got: {input.ndim}D")
    if not input.dtype.is_floating_point:
        raise errors.EngineRuntimeError("pdist only supports floating-point dtypes")
    if not p >= 0:  # (NaN too)
        raise errors.EngineRuntimeError("pdist only supports non-negative p values")
    x = input.contiguous()
    n, m = x.shape
    xp = x.device.xp
    pairs = n * (n - 1) // 2
    if n <= 1:
        res = xp.zeros((0,), dtype=x._data.dtype)
    elif m == 0:
        res = xp.zeros((pairs,), dtype=x._data.dtype)
    else:
        if x.dtype is float16:
            raise errors.KernelNotImplemented(errors.NOT_IMPLEMENTED_FOR.format(
                kernel="pdist", dtype=x.dtype.scalar_name))
        check_numel((pairs, m))
        i, j = np.triu_indices(n, 1)
        diff = xp.abs(x._data[xp.asarray(i)] - x._data[xp.asarray(j)])
        res = _norms(xp, diff, p)
    out = _wrap(xp.ascontiguousarray(res), x.dtype, x.device)
    if needs_grad(x):
        record(out, "PdistBackward0", (lambda g, a, d: _pdist_backward(g, a, p, d),), (x,),
               (x, out), jvp=_no_forward_ad)
    return out


def _norms(xp, diff, p: float):
    """The p-norm of each row of ``diff`` (non-negative differences)."""
    with np.errstate(all="ignore"):
        if p == 0:  # (torch's min(ceil(|d|), 1): a NaN difference stays NaN)
            return xp.minimum(xp.ceil(diff), 1).sum(axis=-1)
        if p == 1:
            return diff.sum(axis=-1)
        if p == 2:
            return xp.sqrt((diff * diff).sum(axis=-1))
        if math.isinf(p):
            return diff.max(axis=-1)
        return (diff ** p).sum(axis=-1) ** (1 / p)


def _pdist_backward(g: Tensor, x: Tensor, p: float, dist: Tensor) -> Tensor:
    """torch's ``_pdist_backward``: row ``i`` gets the sum of its pairs' terms, each term
    computed on ``x[i] - x[j]`` (an odd function of it, so row ``j`` gets the negated term)."""
    if x.dtype is float16:
        raise errors.KernelNotImplemented(errors.NOT_IMPLEMENTED_FOR.format(
            kernel="pdist_backward", dtype=x.dtype.scalar_name))
    xp = x.device.xp
    n, m = x.shape
    if n <= 1 or m == 0 or p == 0:
        res = xp.zeros((n, m), dtype=x._data.dtype)
    else:
        # the pairs' gradients and distances as symmetric (N, N) matrices: row i's sum over
        # every other row j is then its pairs' terms with the sign torch's kernel gives them
        i, j = (xp.asarray(k) for k in np.triu_indices(n, 1))
        full_g = xp.zeros((n, n), dtype=x._data.dtype)
        full_d = xp.zeros((n, n), dtype=x._data.dtype)
        full_g[i, j] = g._data
        full_g[j, i] = g._data
        full_d[i, j] = dist._data
        full_d[j, i] = dist._data
        check_numel((n, n, m))
        diff = x._data[:, None, :] - x._data[None, :, :]
        gg, d = full_g[..., None], full_d[..., None]
        sign = xp.sign(diff)
        with np.errstate(all="ignore"):
            if p == 1:
                term = gg * sign
            elif p < 2:
                term = xp.where((d == 0) | ((diff == 0) & (p < 1)), 0,
                                sign * xp.abs(diff) ** (p - 1) * gg / d ** (p - 1))
            elif p == 2:
                term = xp.where(d == 0, 0, gg * diff / d)
            elif math.isinf(p):  # (torch's form: a NaN distance makes the whole term NaN)
                term = gg * sign * (1 - xp.minimum(1, xp.ceil(xp.abs(xp.abs(diff) - d))))
            else:
                term = xp.where(d == 0, 0, diff * xp.abs(diff) ** (p - 2) * gg / d ** (p - 1))
        diag = xp.arange(n)
        term[diag, diag] = 0  # (no pair of a row with itself: inf - inf would be NaN)
        # (+ 0: a row whose terms are all -0 sums to +0 in torch's kernel)
        res = term.sum(axis=1) + 0.0
    out = _wrap(xp.ascontiguousarray(res).astype(x._data.dtype, copy=False), x.dtype, x.device)
    if is_grad_enabled() and needs_grad(g, x, dist):
        record(out, "PdistBackwardBackward0", (_no_double,) * 3, (g, x, dist))
    return out


def _no_forward_ad(tangents):
    raise errors.KernelNotImplemented(
        "Trying to use forward AD with _pdist_forward that does not support it because it has "
        "not been implemented yet.\nPlease file an issue to PyTorch at "
        "https://github.com/pytorch/pytorch/issues/new?template=feature-request.yml so that we "
        "can prioritize its implementation or submit a PR adding the implementation to "
        "derivatives.yaml")


def _no_double(g, *_):
    raise errors.KernelNotImplemented("the derivative for '_pdist_backward' is not implemented.")


__all__ = ["pdist"]
