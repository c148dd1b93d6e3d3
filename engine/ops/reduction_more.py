"""More reductions and scans: ``nansum``, ``nanmean``, ``cummax``, ``cummin`` and
``logcumsumexp``, with torch's result types, NaN rules and gradients.
"""

from __future__ import annotations

import math

import numpy as np

from .. import errors
from ..autograd import OUTPUT, needs_grad, record
from ..dtypes import DEFAULT_INT, as_dtype, float16, float32
from ..tensor import Tensor, _wrap
from ._args import norm_dim, norm_dims
from .pointwise import exp_array, log1p_array
from .reduction import (
    _acc,
    _check_grad_dtype,
    _float_sum,
    _int_dim,
    _quiet,
    _return_type,
    _wrap_reduced,
    expand_reduced,
    return_types,
)
from .registry import op


# --------------------------------------------------------------------------- nansum, nanmean
@op(grad_fns=("NansumBackward0",))
def nansum(input, dim=None, keepdim=False, *, dtype=None):
    """Sum of all elements, or along ``dim``, counting NaN as zero."""
    dims = norm_dims(dim, input._data.ndim)
    if dtype is not None:
        dt = as_dtype(dtype)
        _check_grad_dtype(input, dt)
    elif input.dtype.is_floating_point:
        dt = input.dtype
    else:
        dt = DEFAULT_INT
    a = input._data
    xp = input.device.xp
    if a.dtype.kind == "f":
        a = xp.where(xp.isnan(a), a.dtype.type(0), a)
    # (torch's kernel is sum's cascade skipping NaNs, the input read in the result's dtype)
    res = _float_sum(_wrap(a, input.dtype, input.device), dims, keepdim, dt)
    out = _wrap_reduced(xp.asarray(res).astype(dt.np, copy=False), dt, input.device)
    if needs_grad(input):
        shape = input._data.shape
        record(out, "NansumBackward0",
               (lambda g, x: expand_reduced(g, shape, dims, keepdim) * x.isnan().logical_not(),),
               (input,), (input,),
               jvp=lambda ts: ts[0].masked_fill(input.isnan(), 0).sum(dims, keepdim))
    return out


@op()
def nanmean(input, dim=None, keepdim=False, *, dtype=None):
    """Mean of the non-NaN elements, in all or along ``dim`` (NaN where there are none)."""
    if not input.dtype.is_floating_point:
        raise errors.EngineRuntimeError(
            "nanmean(): expected input to have floating point or complex dtype but got "
            f"{input.dtype.scalar_name}")
    if dtype is not None and not as_dtype(dtype).is_floating_point:
        raise errors.EngineRuntimeError(
            "nanmean(): could not infer output dtype. Optional dtype must be either a "
            f"floating point or complex dtype. Got: {as_dtype(dtype).scalar_name}")
    count = input.isnan().logical_not().sum(dim, keepdim)
    return nansum(input, dim, keepdim, dtype=dtype).div(count)


# --------------------------------------------------------------------------- cummax, cummin
return_types.cummax = _return_type("cummax")
return_types.cummin = _return_type("cummin")


def _cum_extreme(name: str, input, dim):
    if not isinstance(input, Tensor):
        raise errors.EngineTypeError(
            f"{name}(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
    d = norm_dim(_int_dim(name, dim), input._data.ndim)
    xp = input.device.xp
    a = input._data
    if a.ndim == 0:
        values, idx = a.copy(), xp.zeros((), dtype=np.int64)
    else:
        values, idx = _cum_scan(xp, a, d, name == "cummax")
    out_t = getattr(return_types, name)
    values = _wrap_reduced(values, input.dtype, input.device)
    indices = _wrap_reduced(idx, DEFAULT_INT, input.device)
    if needs_grad(input):
        shape = input._data.shape
        record(values, f"{name.capitalize()}Backward0",
               (lambda g, x, i: _cum_extreme_grad(g, x, i, shape, d),), (input,),
               (input, indices),
               jvp=lambda ts: ts[0] if not shape else ts[0].gather(d, indices))
    return out_t(values, indices)


def _cum_scan(xp, a, d: int, largest: bool):
    """The running extreme along ``d`` and where it was last taken: torch moves to the new
    element on ties (``>=``/``<=``) and at every NaN; a NaN, once met, stays."""
    moved = xp.moveaxis(a, d, 0)
    n = moved.shape[0]
    vals = xp.empty_like(moved)
    idx = xp.empty(moved.shape, dtype=np.int64)
    if n == 0:
        return xp.moveaxis(vals, 0, d), xp.moveaxis(idx, 0, d)
    cur = moved[0, ...].copy()  # (``[i, ...]``: a 0-d array on the device, never a scalar)
    cur_i = xp.zeros(moved.shape[1:], dtype=np.int64)
    vals[0], idx[0] = cur, cur_i
    is_float = a.dtype.kind == "f"
    for i in range(1, n):
        x = moved[i, ...]
        take = (x >= cur) if largest else (x <= cur)
        if is_float:
            take = xp.isnan(x) | (~xp.isnan(cur) & take)
        cur = xp.where(take, x, cur)
        cur_i = xp.where(take, i, cur_i)
        vals[i], idx[i] = cur, cur_i
    return xp.ascontiguousarray(xp.moveaxis(vals, 0, d)), \
        xp.ascontiguousarray(xp.moveaxis(idx, 0, d))


def _cum_extreme_grad(g: Tensor, x: Tensor, indices: Tensor, shape: tuple, d: int) -> Tensor:
    from .creation import zeros

    if not shape:
        return g
    if not x._data.size:  # torch's cummaxmin_backward returns the (empty) input itself
        return x
    return zeros(shape, dtype=g.dtype, device=g.device).scatter_add(d, indices, g)


@op(grad_fns=("CummaxBackward0",))
def cummax(input, dim):
    """Running maximum along ``dim`` and the index where each was taken: ``(values,
    indices)``."""
    return _cum_extreme("cummax", input, dim)


@op(grad_fns=("CumminBackward0",))
def cummin(input, dim):
    """Running minimum along ``dim`` and the index where each was taken: ``(values,
    indices)``."""
    return _cum_extreme("cummin", input, dim)


# --------------------------------------------------------------------------- logcumsumexp
def _logcumsumexp_array(xp, a, d: int):
    """Running ``log(sum(exp))`` along ``d``: pairwise ``logaddexp`` steps (exact at
    infinities: -inf adds nothing, +inf stays)."""
    moved = xp.moveaxis(a, d, 0)
    out = xp.empty_like(moved)
    if moved.shape[0]:
        cur = _logaddexp(xp, xp.full_like(moved[0], -np.inf), moved[0])  # (a sum from -inf:
        out[0] = cur                                                      # -0. gives 0.)
        for i in range(1, moved.shape[0]):
            cur = _logaddexp(xp, cur, moved[i])
            out[i] = cur
    return xp.ascontiguousarray(xp.moveaxis(out, 0, d))


def _logaddexp(xp, x, y):
    hi, lo = xp.maximum(x, y), xp.minimum(x, y)
    both_inf = xp.isinf(hi) & (hi == lo)
    res = hi + log1p_array(xp, exp_array(xp, lo - hi))
    return xp.where(both_inf, hi, res)


@op(grad_fns=("LogcumsumexpBackward0",))
def logcumsumexp(input, dim):
    """Running ``log(cumsum(exp(input)))`` along ``dim``, without overflow (floating inputs
    only, as torch's kernel)."""
    d = norm_dim(_int_dim("logcumsumexp", dim), input._data.ndim)
    dt = input.dtype
    if not dt.is_floating_point:
        raise errors.KernelNotImplemented(errors.NOT_IMPLEMENTED_FOR.format(
            kernel="logcumsumexp_out_cpu", dtype=dt.scalar_name))
    xp = input.device.xp
    a = input._data.astype(float32.np if dt is float16 else dt.np)
    with _quiet(xp):
        res = a.copy() if a.ndim == 0 else _logcumsumexp_array(xp, a, d)
    out = _wrap_reduced(res.astype(dt.np, copy=False), dt, input.device)
    if needs_grad(input):
        record(out, "LogcumsumexpBackward0",
               (lambda g, x, y: _logcumsumexp_grad(g, x, y, d),), (input,), (input, OUTPUT),
               jvp=lambda ts: _logcumsumexp_jvp(ts[0], input, out, d))
    return out


def _logcumsumexp_jvp(t: Tensor, x: Tensor, out: Tensor, d: int) -> Tensor:
    """``t_out_i = sum_{j <= i} t_j exp(x_j - out_i)``, scaled by the largest finite ``x``
    along ``d`` so that nothing overflows."""
    from .pointwise import where

    if x._data.ndim == 0:
        return t
    top = where(x.isfinite(), x, 0.0).amax(d, keepdim=True).detach() if x._data.size else x
    return (t * (x - top).exp()).cumsum(d) * (top - out).exp()


def _logcumsumexp_grad(g: Tensor, x: Tensor, out: Tensor, d: int) -> Tensor:
    """``grad_i = sum_{j >= i} g_j exp(x_i - out_j)``, in logs (the positive and the negative
    parts of ``g`` apart), so nothing overflows."""
    from .pointwise import where

    if g._data.size == 0 or g._data.ndim == 0:  # torch returns the gradient itself
        return g
    lowest = float(np.finfo(g.dtype.np).min)

    def reverse(t):
        return t.flip(d).logcumsumexp(d).flip(d)

    log_abs = g.abs().log()
    pos = where(g > 0, log_abs, lowest)
    neg = where(g < 0, log_abs, lowest)
    return (reverse(pos - out) + x).exp() - (reverse(neg - out) + x).exp()


# --------------------------------------------------------------------------- var_mean, std_mean
def _moments_mean(name: str, input, dim, unbiased, keepdim, correction, take_root: bool):
    from .reduction import (
        _moments_args,
        _no_dim,
        _statistic,
        _std_grad,
        _var_forward,
        _var_grad,
        mean_backward,
    )

    whole = _no_dim(dim) or isinstance(dim, bool)

    if not input.dtype.is_floating_point:
        raise errors.EngineRuntimeError(
            f"{name} only support floating point and complex dtypes")
    dims, correction = _moments_args(name, input, dim, unbiased, correction)
    xp = input.device.xp
    count = 1
    for d in dims:
        count *= input._data.shape[d]
    welford = None
    if count and type(input._data) is np.ndarray:  # torch's statistics to the bit
        from .welford import welford as _welford

        _, dof = _var_forward(name, input, dims, correction, keepdim, statistics=False)
        welford = _welford(input._data, tuple(sorted(dims)), keepdim, dof=dof,
                           take_root=take_root)
        m, m2 = welford
        with _quiet(xp):
            res = m2 / dof
    else:
        res, dof = _var_forward(name, input, dims, correction, keepdim)
    if take_root:
        res = xp.sqrt(res)
    spread = _wrap_reduced(_statistic(xp, res, input.dtype), input.dtype,
                           input.device)
    if welford is None:
        with _quiet(xp):
            data = input._data.astype(_acc(input.dtype))
            m = data.sum(axis=dims, keepdims=keepdim)
            m = m / count if count else m * xp.nan
            if count and bool(xp.isinf(data).any()):  # torch's running (Welford) mean there
                m = xp.where(xp.isinf(data).any(axis=dims, keepdims=keepdim),
                             _welford_mean(xp, data, dims, keepdim), m)
    mean = _wrap_reduced(_statistic(xp, m, input.dtype), input.dtype,
                         input.device)
    if needs_grad(input):
        shape = input._data.shape

        def rule(grads, needs, x, out):
            g_spread, g_mean = grads
            total = None
            if g_spread is not None:
                total = _std_grad(g_spread, x, out, dims, keepdim, correction, whole) \
                    if take_root else _var_grad(g_spread, x, dims, keepdim, correction, whole)
            if g_mean is not None:  # torch's var_mean_backward / std_mean_backward
                part = mean_backward(g_mean, shape, dims, keepdim, whole)
                total = part if total is None else total + part
            return (total,)

        def jvp(ts):
            # the spread's tangent reads the primal (it requires grad, as torch's); the mean's
            # is the mean of the tangent (it does not)
            t = ts[0]
            d_var = ((input - input.mean(dims, keepdim=True)) * t).sum(dims, keepdim) * \
                (2 / dof if dof else math.inf)
            d_spread = d_var / (2 * spread) if take_root else d_var
            return d_spread, t.mean(dims, keepdim)

        record((spread, mean), "StdMeanBackward0" if take_root else "VarMeanBackward0", rule,
               (input,), (input, OUTPUT), per_input=False, jvp=jvp)
    return spread, mean


def _welford_mean(xp, data, dims: tuple, keepdim: bool):
    """The mean as torch's var_mean runs it, ``m += (x - m) / n`` element by element (so an
    infinity followed by anything but itself gives NaN)."""
    keep = [d for d in range(data.ndim) if d not in dims]
    moved = xp.transpose(data, keep + list(dims))
    flat = moved.reshape(moved.shape[:len(keep)] + (-1,))
    m = xp.zeros(flat.shape[:-1], dtype=data.dtype)
    for n in range(flat.shape[-1]):
        m = m + (flat[..., n] - m) / (n + 1)
    if keepdim:
        m = m.reshape(tuple(1 if d in dims else s for d, s in enumerate(data.shape)))
    return m


@op(kind="function", grad_fns=("VarMeanBackward0",))
def var_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """``(var, mean)`` along ``dim`` (all by default); ``correction`` as for ``var``."""
    return _moments_mean("var_mean", input, dim, unbiased, keepdim, correction, False)


@op(kind="function", grad_fns=("StdMeanBackward0",))
def std_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """``(std, mean)`` along ``dim`` (all by default); ``correction`` as for ``std``."""
    return _moments_mean("std_mean", input, dim, unbiased, keepdim, correction, True)


# --------------------------------------------------------------------------- aminmax
return_types.aminmax = _return_type("aminmax", ("min", "max"))


@op(grad_fns=("AminmaxBackward0",))
def aminmax(input, *, dim=None, keepdim=False):
    """``(min, max)`` of all elements or along ``dim``; each gradient split evenly over its
    ties."""
    from .reduction import _first_of_ties

    xp = input.device.xp
    a = input._data
    if dim is None:
        if a.size == 0:
            raise errors.EngineRuntimeError(
                "aminmax(): cannot compute aminmax over an empty dimension as the operation "
                "has no identity.")
        dims = tuple(range(a.ndim))
        if keepdim is False:
            pass
    else:
        d = norm_dim(_int_dim("aminmax", dim), a.ndim)
        dims = (d,) if a.ndim else ()
        if a.ndim and a.shape[d] == 0:
            raise errors.EngineIndexError(
                "aminmax(): Expected reduction dim " + str(d) + " to have non-zero size.")
    lo = _first_of_ties(lambda arr, **k: arr.min(**k))(a, axis=dims, keepdims=keepdim, xp=xp)
    hi = _first_of_ties(lambda arr, **k: arr.max(**k))(a, axis=dims, keepdims=keepdim, xp=xp)
    mn = _wrap_reduced(xp.asarray(lo), input.dtype, input.device)
    mx = _wrap_reduced(xp.asarray(hi), input.dtype, input.device)
    if needs_grad(input):
        from .reduction import _spread_grad

        def rule(grads, needs, x, lo_t, hi_t):
            total = None
            for g, out in zip(grads, (lo_t, hi_t), strict=True):
                if g is not None:
                    part = _spread_grad(g, x, out, dims, keepdim)
                    total = part if total is None else total + part
            return (total,)

        record((mn, mx), "AminmaxBackward0", rule, (input,), (input, mn, mx), per_input=False)
    return return_types.aminmax(mn, mx)
