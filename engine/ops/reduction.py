"""Reductions over all elements or along ``dim`` (with ``keepdim``), the scans ``cumsum`` and
``cumprod``, and the selections ``max``/``min``/``sort``/``topk`` that return ``(values, indices)``.

This module defines ops named ``sum``, ``max``, ``min``, ``all`` and ``any``: Python's builtins of
those names are reached through ``builtins``.
"""

from __future__ import annotations

import builtins
import collections
import contextlib
import math
import warnings

import numpy as np

from .. import errors
from .._fperr import Quiet, all_ignored
from .._fperr import ignore as ignore_fp
from .._fperr import restore as restore_fp
from .._parallel import is_numpy
from ..autograd import OUTPUT, needs_grad, record
from ..autograd.graph import FW_ACTIVE
from ..cost import charge, sort_cost
from ..dtypes import (
    DEFAULT_INT,
    as_dtype,
    bool_,
    default_float,
    float16,
    float32,
    half_source,
)
from ..modes import _grad_enabled, is_grad_enabled, no_grad
from ..tensor import Tensor, _wrap
from . import _stl, cascade, norm_kernels
from ._args import norm_dim, norm_dims
from .families import apply_inplace, check_inplace
from .memory_format import as_dense, as_preserved, relaid
from .pointwise import exp_array, log_array, where
from .registry import OPS, op, register

INF = math.inf


# --------------------------------------------------------------------------- helpers
def _row_major(a):
    """A reduction's result laid out as torch allocates it, row-major (NumPy's follows the
    input's dim order, and leaves the strides of size-1 dims as they came)."""
    if type(a) is not np.ndarray or a.ndim < 2:
        return a
    expected = a.itemsize
    for n, s in zip(reversed(a.shape), reversed(a.strides)):
        if s != expected:
            return a.copy(order="C")
        expected *= builtins.max(n, 1)
    return a


def _wrap_reduced(arr, dtype, device) -> Tensor:
    """``_wrap`` of a reduction's (or a scan's) result, row-major as torch's."""
    return _wrap(_row_major(arr), dtype, device)


def expand_reduced(g: Tensor, shape: tuple, dims: tuple, keepdim: bool) -> Tensor:
    """Broadcast a reduced gradient back over ``shape`` (re-inserting dims if dropped)."""
    return keep_dims(g, dims, keepdim).expand(shape)


def sum_backward(g: Tensor, shape: tuple, dims: tuple, keepdim: bool, whole: bool) -> Tensor:
    """torch's sum_backward: ``g`` expanded over ``shape``, first unsqueezed at the reduced
    dims when they were dropped and named (``whole``: no ``dim``, or an empty one, as
    ``x.sum()``: a 0-d gradient expanded as it is)."""
    if not keepdim and shape and not whole:
        g = keep_dims(g, dims, False)
    return g.expand(shape)


def _no_dim(dim) -> bool:
    """A reduction over every element without named dims (``dim`` None or empty): torch's
    formulas take it as such (``x.sum()``, ``x.mean()``)."""
    return dim is None or not isinstance(dim, int) and len(dim) == 0


def keep_dims(t: Tensor, dims: tuple, keepdim: bool) -> Tensor:
    """A reduced result with its reduced dims back as size 1 (a no-op when ``keepdim``)."""
    if not keepdim and dims:
        for d in sorted(dims):  # one unsqueeze per dim, as PyTorch's double-backward graph
            t = t.unsqueeze(d)
    return t


def _count(shape: tuple, dims: tuple) -> int:
    n = 1
    for d in dims:
        n *= shape[d]
    return n


def _acc(dt) -> np.dtype:
    """The NumPy type to accumulate ``dt`` in: half accumulates in float, as in PyTorch."""
    return float32.np if dt is float16 else dt.np


def _quiet(xp):
    """NumPy's warnings off for 0/0 and the like (PyTorch answers nan/inf silently)."""
    return Quiet() if is_numpy(xp) else contextlib.nullcontext()


def _check_grad_dtype(input: Tensor, dt) -> None:
    """PyTorch refuses an integer or bool result ``dtype=`` on an input that needs a
    gradient (the result could not require grad)."""
    if not dt.is_floating_point and input.requires_grad and is_grad_enabled():
        raise errors.EngineRuntimeError(f"Autograd not support dtype: {dt.scalar_name}")


def _int_dim(name: str, dim) -> int:
    if not isinstance(dim, (int, np.integer)) or isinstance(dim, bool):
        raise errors.EngineTypeError(
            f"{name}(): argument 'dim' must be int, not {type(dim).__name__}")
    return int(dim)


def _sign(x: Tensor) -> Tensor:
    """sign(x) (torch's ``sgn``): its derivative is zero, but under ``create_graph`` a gradient
    built from it still depends on ``x``, as torch's does (through a zero gradient that leaves
    the signs of zeros it is added to as they are)."""
    from .pointwise import sgn

    return sgn(x)


def _no_empty_reduction(name: str, shape: tuple, dims: tuple, full: bool) -> None:
    if not shape or np.prod(shape) != 0:
        return
    if full:
        raise errors.EngineRuntimeError(
            f"{name}(): Expected reduction dim to be specified for input.numel() == 0. "
            "Specify the reduction dim with the 'dim' argument.")
    for d in dims:
        if shape[d] == 0:
            raise errors.EngineIndexError(
                f"{name}(): Expected reduction dim {d} to have non-zero size.")


def _return_type(name: str, fields=("values", "indices")):
    """A named tuple printed as PyTorch prints ``torch.return_types.<name>``."""
    base = collections.namedtuple(name, fields)

    def __repr__(self) -> str:
        body = ",\n".join(f"{f}={v!r}" for f, v in zip(self._fields, self, strict=True))
        return f"torch.return_types.{name}(\n{body})"

    def _missing(self, attr, *_value):
        # torch's structseq types are named "torch.return_types.<name>" in attribute errors
        raise AttributeError(f"'torch.return_types.{name}' object has no attribute '{attr}'")

    cls = type(name, (base,), {"__slots__": (), "__repr__": __repr__, "__str__": __repr__,
                               "__getattr__": _missing})

    def _readonly(self, attr, *_value):
        if attr in fields:
            raise AttributeError("readonly attribute")
        if hasattr(type(self), attr):
            raise AttributeError(
                f"'torch.return_types.{name}' object attribute '{attr}' is read-only")
        _missing(self, attr)

    cls.__setattr__ = cls.__delattr__ = _readonly
    cls.__qualname__ = f"return_types.{name}"
    return cls


class return_types:  # noqa: N801 (mirrors torch.return_types)
    max = _return_type("max")
    min = _return_type("min")
    sort = _return_type("sort")
    topk = _return_type("topk")


def _select_grad(g: Tensor, indices: Tensor, shape: tuple, d: int, keepdim: bool) -> Tensor:
    """The gradient of picking ``indices`` along ``d``: ``g`` at each picked position, else 0."""
    from .creation import arange

    if not shape:
        return g
    g, idx = keep_dims(g, (d,), keepdim), keep_dims(indices, (d,), keepdim)
    where = [1] * len(shape)
    where[d] = shape[d]
    positions = arange(shape[d], device=g.device).reshape(tuple(where))
    from .pointwise import where as select

    return select(positions == idx, g, 0.0)  # +0 elsewhere, as torch's scatter into zeros


# --------------------------------------------------------------------------- sums and means
def _float_sum(input: Tensor, dims: tuple, keepdim: bool, dt):
    """``input``'s sum over ``dims`` in ``dt``: torch's cascade order (``cascade.py``) where it
    is modelled, else NumPy's (pairwise) sum."""
    a = input._data
    if dt is float16 and a.dtype != np.float16:
        # (torch's CPU reduction reads the input in the result's dtype: rounded to half,
        # through float as C++ converts)
        a = half_source(a).astype(np.float16)
    if type(a) is not np.ndarray:
        return a.sum(axis=dims, keepdims=keepdim, dtype=_acc(dt))
    if dt.np in cascade.LANES and input.dtype.is_floating_point and input.dtype is not float16:
        a = a.astype(dt.np, copy=False)
    return cascade.add_reduce(a, dims, keepdim, _acc(dt))


@op(grad_fns=("SumBackward0", "SumBackward1"))
def sum(input, dim=None, keepdim=False, *, dtype=None):
    """Sum of all elements, or along ``dim`` (an int or a tuple of ints)."""
    dims = norm_dims(dim, input._data.ndim)
    if dtype is not None:
        dt = as_dtype(dtype)
    elif input.dtype.is_floating_point:
        dt = input.dtype
    else:
        dt = DEFAULT_INT  # ints and bools sum in int64, as in PyTorch
    if dtype is not None:
        _check_grad_dtype(input, dt)
    res = _float_sum(input, dims, keepdim, dt)
    out = _wrap_reduced(res.astype(dt.np, copy=False), dt, input.device)
    if needs_grad(input):
        shape = input._data.shape
        name = "SumBackward0" if dim is None else "SumBackward1"
        whole = _no_dim(dim)
        record(out, name, (lambda g: sum_backward(g, shape, dims, keepdim, whole),), (input,),
               jvp=lambda ts: sum(ts[0], dim, keepdim, dtype=dt))  # linear: itself on t
    return out


@op(grad_fns=("MeanBackward0", "MeanBackward1"))
def mean(input, dim=None, keepdim=False, *, dtype=None):
    """Mean of all elements, or along ``dim``."""
    dt = input.dtype if dtype is None else as_dtype(dtype)
    if not dt.is_floating_point:
        which = "Input" if dtype is None else "Optional"
        raise errors.EngineRuntimeError(
            f"mean(): could not infer output dtype. {which} dtype must be either a floating "
            f"point or complex dtype. Got: {dt.scalar_name}")
    dims = norm_dims(dim, input._data.ndim)
    shape = input._data.shape
    count = _count(shape, dims)
    xp = input.device.xp
    # (a half mean is torch's float32 sum of the input read as float32, divided, then cast)
    sum_dt = float32 if dt is float16 else dt
    with _quiet(xp):  # the mean of nothing is nan, silently
        res = _float_sum(input, dims, keepdim, sum_dt) / count if count else \
            input._data.sum(axis=dims, keepdims=keepdim, dtype=_acc(dt)) * xp.nan
    out = _wrap_reduced(xp.asarray(res).astype(dt.np, copy=False), dt, input.device)
    if needs_grad(input):
        name = "MeanBackward0" if dim is None else "MeanBackward1"
        record(out, name, (lambda g: mean_backward(g, shape, dims, keepdim, _no_dim(dim)),),
               (input,), jvp=lambda ts: mean(ts[0], dim, keepdim, dtype=dt))
    return out


def mean_backward(g: Tensor, shape: tuple, dims: tuple, keepdim: bool, whole: bool) -> Tensor:
    """torch's mean_backward: ``sum_backward(g) / n``, the expanded gradient divided (a dense
    result, not a broadcast)."""
    n = math.prod(shape) if whole else _count(shape, dims)
    return relaid(sum_backward(g, shape, dims, keepdim, whole) / n, as_dense)


# --------------------------------------------------------------------------- products
@op(grad_fns=("ProdBackward0", "ProdBackward1"))
def prod(input, dim=None, keepdim=False, *, dtype=None):
    """Product of all elements, or along one ``dim``; ints and bools multiply in int64."""
    dt = as_dtype(dtype) if dtype is not None else \
        input.dtype if input.dtype.is_floating_point else DEFAULT_INT
    if dtype is not None:
        _check_grad_dtype(input, dt)
    ndim = input._data.ndim
    d = None if dim is None else norm_dim(_int_dim("prod", dim), ndim)
    axes = tuple(range(ndim)) if d is None else (d,) if ndim else ()
    a = input._data
    if type(a) is np.ndarray and dt.is_floating_point and a.size and ndim:
        res = _vec_prod(a.astype(dt.np, copy=False), d, keepdim and d is not None)
    else:
        res = a.prod(axis=axes, keepdims=keepdim and d is not None, dtype=_acc(dt))
    out = _wrap_reduced(res.astype(dt.np, copy=False), dt, input.device)
    if needs_grad(input):
        keep = keepdim and d is not None
        name = "ProdBackward0" if d is None else "ProdBackward1"
        record(out, name, (lambda g, x, y: _prod_grad(g, x, y, axes, keep, d is None),),
               (input,), (input, OUTPUT))
    return out


def _vec_rows_prod(rows: np.ndarray) -> np.ndarray:
    """The product of each row as ATen's ``vectorized_reduction`` rounds it (measured: every
    row of 1-1,000 elements, float16/32/64, on the Intel host): 4 vector accumulators of 32
    bytes (its reductions' dispatch here is the AVX2 build's) over the first
    ``n // (4 L)`` blocks, combined ``(a0 * a1) * (a2 * a3)``, their lanes in order, then the
    rest one by one; each step rounded in the dtype (half through float, as NumPy's)."""
    lanes = 32 // rows.dtype.itemsize
    n = rows.shape[1]
    count = n // (4 * lanes)
    out = np.ones(rows.shape[0], rows.dtype)
    with Quiet():
        if count:
            blocks = rows[:, :count * 4 * lanes].reshape(rows.shape[0], count, 4, lanes)
            acc = np.multiply.accumulate(blocks, axis=1)[:, -1]  # (sequential per lane)
            c = (acc[:, 0] * acc[:, 1]) * (acc[:, 2] * acc[:, 3])
            out = np.multiply.accumulate(c, axis=1)[:, -1]
        if n > count * 4 * lanes:
            tail = np.concatenate([out[:, None], rows[:, count * 4 * lanes:]], axis=1)
            out = np.multiply.accumulate(tail, axis=1)[:, -1]
    return out


def _vec_prod(a: np.ndarray, d, keepdim: bool) -> np.ndarray:
    """torch's CPU ``prod`` (``binary_kernel_reduce_vec``) in its order of roundings: along a
    dim of unit stride (or over a whole dense tensor, in memory order) ``_vec_rows_prod``;
    along any other, one element after another (ATen's scalar loop)."""
    item = a.dtype.itemsize
    if d is None:
        perm = sorted(range(a.ndim), key=lambda k: -abs(a.strides[k]))
        flat = np.transpose(a, perm)
        if flat.flags.c_contiguous:
            return _vec_rows_prod(flat.reshape(1, -1))[0]
        with Quiet():
            return np.multiply.accumulate(np.ravel(a, order="K"))[-1]
    rows = np.moveaxis(a, d, -1)
    shape = rows.shape[:-1]
    rows = rows.reshape(-1, a.shape[d])
    if a.strides[d] == item and a.shape[d] > 1:
        res = _vec_rows_prod(rows)
    else:
        with Quiet():
            res = np.multiply.accumulate(rows, axis=1)[:, -1] if rows.shape[1] else \
                np.ones(rows.shape[0], a.dtype)
    res = res.reshape(shape)
    return np.expand_dims(res, d) if keepdim else res


def _prod_grad(g: Tensor, x: Tensor, out: Tensor, axes: tuple, keepdim: bool,
               full: bool) -> Tensor:
    """torch's prod_backward: ``g * out / x`` without zeros; else the product of the others
    from exclusive cumulative products from each side (a full product with several zeros
    outside grad mode: zeros)."""
    shape = x._data.shape
    if not shape:  # torch hands a 0-d input's gradient through as it is
        return g
    zeros = int((x._data == 0).sum())
    if full:
        if not zeros:
            return g * (out / x)
        if zeros > 1 and not is_grad_enabled():
            return _wrap(x.device.xp.zeros(shape, dtype=x.dtype.np), x.dtype, x.device)
        return _prod_safe_zeros(g, x.contiguous().view(-1), 0).view(shape)
    g, out = keep_dims(g, axes, keepdim), keep_dims(out, axes, keepdim)
    if not zeros:
        return g * (out / x)
    return _prod_safe_zeros(g, x, axes[0])


def _prod_safe_zeros(g: Tensor, x: Tensor, d: int) -> Tensor:
    """torch's prod_safe_zeros_backward: ``g`` times the product of the elements before (an
    exclusive cumprod) and after (one from the end) each element along ``d``."""
    from .shape import cat, flip, narrow

    n = x._data.shape[d]
    if x._data.size == 0:
        return g.expand_as(x)
    ones_shape = list(x._data.shape)
    ones_shape[d] = 1
    ones = _wrap(x.device.xp.ones(ones_shape, dtype=g.dtype.np), g.dtype, g.device)
    before = cumprod(cat([ones, narrow(x, d, 0, n - 1)], d), d)
    after = flip(cumprod(cat([ones, flip(narrow(x, d, 1, n - 1), (d,))], d), d), (d,))
    return g * (before * after)


# --------------------------------------------------------------------------- scans
def _scan_dtype(name: str, input: Tensor, dtype):
    if dtype is None:
        return input.dtype if input.dtype.is_floating_point else DEFAULT_INT
    dt = as_dtype(dtype)
    if dt is bool_:
        raise errors.KernelNotImplemented(errors.NOT_IMPLEMENTED_FOR.format(
            kernel=f"{name}_out_cpu", dtype="Bool"))
    _check_grad_dtype(input, dt)
    return dt


def _scan_acc(dt) -> np.dtype:
    """torch's CPU scans accumulate in ``acc_type<T, /*is_cuda=*/false>``: double for float,
    float for half."""
    return np.float64 if dt is float32 else _acc(dt)


def _scan(xp, fn, arr, d, dt):
    """``fn`` (cumsum, cumprod) along ``d`` as torch's kernel: the input converted to ``dt``
    first (``dtype=``), then accumulated in ``_scan_acc(dt)``, each output rounded to ``dt``."""
    if arr.ndim == 0:
        return arr.astype(dt.np, copy=True)
    if arr.dtype != dt.np:
        arr = (half_source(arr) if dt is float16 else arr).astype(dt.np)
    return fn(arr, axis=d, dtype=_scan_acc(dt)).astype(dt.np, copy=False)


@op(grad_fns=("CumsumBackward0",))
def cumsum(input, dim, *, dtype=None):
    """Cumulative sums along ``dim``; ints and bools add up in int64."""
    d = norm_dim(_int_dim("cumsum", dim), input._data.ndim)
    dt = _scan_dtype("cumsum", input, dtype)
    xp = input.device.xp
    res = _scan(xp, xp.cumsum, input._data, d, dt)
    if dt.is_floating_point and res.ndim:  # torch's sum starts at +0: a leading -0. is 0.
        res += 0.0
    out = _wrap_reduced(res, dt, input.device)
    if needs_grad(input):
        record(out, "CumsumBackward0", (lambda g: _cumsum_backward(g, d),), (input,))
    return out


def _cumsum_backward(g: Tensor, d: int) -> Tensor:
    """torch's cumsum_backward: the gradient as it is when there is nothing to sum."""
    if g._data.size <= 1 or g._data.shape[d] == 1:
        return g
    return _reverse_cumsum(g, d)


def _reverse_cumsum(t: Tensor, d: int) -> Tensor:
    """Sums from each position to the end along ``d``: the adjoint of ``cumsum``."""
    if t._data.ndim == 0:
        return t
    if needs_grad(t):  # torch's reversed_cumsum, as create_graph records it
        return t.flip(d).cumsum(d).flip(d)
    xp = t.device.xp
    arr = xp.flip(xp.cumsum(xp.flip(t._data, d), axis=d, dtype=_scan_acc(t.dtype)), d)
    out = _wrap(xp.ascontiguousarray(arr).astype(t.dtype.np, copy=False), t.dtype, t.device)
    if t.dtype.is_floating_point:  # (a sum from +0, as torch's cumsum)
        out._data += 0.0
    return out


@op(grad_fns=("CumprodBackward0",))
def cumprod(input, dim, *, dtype=None):
    """Cumulative products along ``dim``; ints and bools multiply in int64."""
    d = norm_dim(_int_dim("cumprod", dim), input._data.ndim)
    dt = _scan_dtype("cumprod", input, dtype)
    xp = input.device.xp
    out = _wrap_reduced(_scan(xp, xp.cumprod, input._data, d, dt), dt, input.device)
    if needs_grad(input):
        record(out, "CumprodBackward0", (lambda g, x, y: _cumprod_grad(g, x, y, d),), (input,),
               (input, OUTPUT))
    return out


def _cumprod_grad(g: Tensor, x: Tensor, out: Tensor, d: int) -> Tensor:
    if x._data.size <= 1 or x._data.shape[d] == 1:  # (torch hands it through)
        return g
    if not bool((x._data == 0).any()):  # (torch's ``output * grad``: its operand order)
        return _reverse_cumsum(out * g, d) / x
    if is_grad_enabled():
        return _cumprod_grad_differentiable(g, x, d)
    # Up to a slice's first zero z: the usual formula; at z: the product before it times the
    # weighted cumprod after it; past z: 0 (every term holds the factor x_z = 0).
    is_zero = x.detach() == 0  # (the masks carry no gradient, nor a vmap level's tangent)
    zeros_so_far = cumsum(is_zero, d)
    before = zeros_so_far == 0
    first = ((zeros_so_far == 1) & is_zero).long()
    past = (zeros_so_far - first) >= 1
    from .pointwise import where

    # (selected, not masked by products: an inf before z must not make the tail NaN)
    head = where(before, x, 1.0)  # x before z, ones from z on
    # x strictly between z and the next zero, ones elsewhere; the terms past the next zero are
    # masked off by a product, as torch's (an inf between the zeros makes them NaN there)
    tail = where(past & (zeros_so_far == 1), x, 1.0)
    at_first = head.cumprod(d) * _reverse_cumsum(g * tail.cumprod(d) * (zeros_so_far == 1), d)
    # selected, not masked by products: NaN or inf in one region stays out of the others
    return where(before, _reverse_cumsum((g * out).masked_fill(~before, 0), d) / head,
                 where(first.bool(), at_first, 0.0))


def _scan_inplace(name: str, scan):
    def method(self, dim, *, dtype=None):
        if not isinstance(dim, (int, np.integer)) or isinstance(dim, bool):
            raise errors.EngineTypeError(f"{name}_(): argument 'dim' (position 1) must be int, "
                                         f"not {type(dim).__name__}")
        d = int(dim)
        check_inplace(self)
        norm_dim(d, self._data.ndim)
        if dtype is not None and dtype is not self.dtype:  # (torch's out= check)
            raise errors.EngineRuntimeError(
                f"Bad in-place call: input tensor dtype {self.dtype.c_name} and output "
                f"tensor dtype {as_dtype(dtype).c_name} should match")
        if self.dtype is bool_:
            if self._data.size and self._data.ndim:
                raise errors.KernelNotImplemented(
                    f'"{name}_out_cpu" not implemented for \'Bool\'')
            # a 0-d scan is a copy of itself, torch writes it back as is; no elements: its
            # kernel (and dtype check) never runs
            self._vc[0] += 1
            return self
        return apply_inplace(self, scan(self, dim, dtype=self.dtype if dtype is None else dtype))

    method.__name__ = method.__qualname__ = name + "_"
    register(name + "_", method, doc=f"In-place version of {name}.", kind="method",
             grad_fns=(f"{name.capitalize()}Backward0",))


_scan_inplace("cumsum", cumsum)
_scan_inplace("cumprod", cumprod)


def _cumprod_grad_differentiable(g: Tensor, x: Tensor, d: int) -> Tensor:
    """cumprod's gradient at an input with zeros, built as torch builds it under
    create_graph: slice ``k`` of the gradient is ``sum_{j >= k} g_j * prod_{m <= j, m != k}
    x_m``, written into a zero tensor slice by slice (so its node is CopySlices, as torch's)."""
    from .creation import ones, zeros
    from .shape import cat

    n = x._data.shape[d]
    if n == 1:
        return g
    one_shape = list(x._data.shape)
    one_shape[d] = 1
    unit = ones(1, dtype=x.dtype, device=x.device).expand(one_shape)
    out = zeros(x._data.shape, dtype=g.dtype, device=g.device)
    for k in range(n):
        if k == 0:
            omitted = cat([unit, x.narrow(d, 1, n - 1).cumprod(d)], d)
        elif k == n - 1:
            omitted = x.narrow(d, 0, k).prod(d, keepdim=True)
        else:
            before = x.narrow(d, 0, k).prod(d, keepdim=True)
            after = x.narrow(d, k + 1, n - k - 1).cumprod(d)
            omitted = cat([before, before.expand_as(after) * after], d)
        out.select(d, k).copy_((g.narrow(d, k, n - k) * omitted).sum(d))
    return out


# --------------------------------------------------------------------------- moments
_DOF_WARNING = ("{name}(): degrees of freedom is <= 0. Correction should be strictly less than "
                "the reduction factor (input numel divided by output numel).")


def _moments_args(name: str, input, dim, unbiased, correction):
    if not input.dtype.is_floating_point:
        raise errors.EngineRuntimeError("std and var only support floating point and complex "
                                        "dtypes")
    if isinstance(dim, bool):  # var(input, unbiased): the legacy positional form
        dim, unbiased = None, dim
    if unbiased is not None and correction is not None:
        raise errors.EngineTypeError(
            f"{name}() received an invalid combination of arguments: 'unbiased' and "
            "'correction' cannot both be given")
    if correction is None:
        correction = 1 if unbiased is None or unbiased else 0
    dims = norm_dims(dim, input._data.ndim)
    return dims, correction


def _var_forward(name: str, input: Tensor, dims: tuple, correction, keepdim: bool,
                 statistics: bool = True):
    """``(m2 / dof, dof)`` as torch's var/std (``statistics``: computed at all; var_mean and
    std_mean take their own) in float64 for float32/float64 NumPy data: more than one output
    (or float16) through its Welford loop, one value through ``std_var_all_cpu``'s two passes
    (engine/ops/welford.py); elsewhere two passes in the accumulation dtype."""
    xp = input.device.xp
    shape = input._data.shape
    n = _count(shape, dims)
    dof = builtins.max(0, n - correction)
    if dof <= 0:
        warnings.warn(_DOF_WARNING.format(name=name), UserWarning, stacklevel=3)
    if not statistics:
        return None, dof
    a = input._data
    if n and type(a) is np.ndarray:
        from . import welford

        one = a.size == n
        if one and input.dtype is not float16:
            # ``self.mean()`` in the dtype (torch's sum order), then the deviations in double
            whole = tuple(range(a.ndim))
            mean = float((_float_sum(input, whole, False, input.dtype) / n).astype(a.dtype))
            m2 = welford.var_all_m2(a, mean)
            if m2 is not None:
                with _quiet(xp):
                    res = np.float64(m2) / dof
                return res.reshape((1,) * a.ndim if keepdim else ()), dof
        else:
            m2 = welford.welford(a, tuple(sorted(dims)), keepdim, dof=dof,
                                 take_root=name == "std")[1]
            with _quiet(xp):
                return m2 / dof, dof
    acc = _acc(input.dtype)
    data = a.astype(acc, copy=False)
    with _quiet(xp):
        centred = data - data.sum(axis=dims, keepdims=True) / n
        res = (centred * centred).sum(axis=dims, keepdims=keepdim) / dof
    return res, dof


def _statistic(xp, x, dt):
    """A float64 statistic in the dtype as torch's Welford kernel casts it: float16 through
    float32 (``c10::Half`` is made from a float: two roundings)."""
    x = xp.asarray(x)
    if dt is float16:
        x = x.astype(np.float32)
    return x.astype(dt.np, copy=False)


def _var_grad(g: Tensor, x: Tensor, dims: tuple, keepdim: bool, correction,
              whole: bool) -> Tensor:
    """torch's var_backward: ``(2 / (n - correction)) * grad * (x - mean)``, the gradient
    unsqueezed, not expanded; over every element (``whole``, or a 0-d input) the mean is
    ``x.mean()`` and for ``n <= correction`` the gradient ``grad * where(x == mean, nan,
    inf)``."""
    if whole or not x._data.ndim:
        dof = x._data.size - correction
        if dof <= 0:
            return g * where(x == x.mean(), math.nan, math.inf)
        return g * (2.0 / dof) * (x - x.mean())
    if not keepdim and x._data.ndim > 1:
        g = keep_dims(g, dims, False)
    dof = _count(x._data.shape, dims) - correction
    return g * (2.0 / dof if dof else math.inf) * (x - x.mean(dims, keepdim=True))


@op(grad_fns=("VarBackward0",))
def var(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """Variance along ``dim`` (all by default), dividing by ``N - correction`` (1 by default;
    ``unbiased=False`` means 0)."""
    whole = _no_dim(dim) or isinstance(dim, bool)
    dims, correction = _moments_args("var", input, dim, unbiased, correction)
    res, dof = _var_forward("var", input, dims, correction, keepdim)
    out = _wrap_reduced(_statistic(input.device.xp, res, input.dtype), input.dtype, input.device)
    if needs_grad(input):
        record(out, "VarBackward0",
               (lambda g, x: _var_grad(g, x, dims, keepdim, correction, whole),),
               (input,), (input,))
    return out


@op(grad_fns=("StdBackward0",))
def std(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """Standard deviation along ``dim`` (all by default); ``correction`` as for ``var``."""
    whole = _no_dim(dim) or isinstance(dim, bool)
    dims, correction = _moments_args("std", input, dim, unbiased, correction)
    res, dof = _var_forward("std", input, dims, correction, keepdim)
    xp = input.device.xp
    out = _wrap_reduced(_statistic(xp, xp.sqrt(res), input.dtype), input.dtype, input.device)
    if needs_grad(input):
        record(out, "StdBackward0",
               (lambda g, x, y: _std_grad(g, x, y, dims, keepdim, correction, whole),),
               (input,), (input, OUTPUT))
    return out


def _std_grad(g, x, out, dims, keepdim, correction, whole):
    """torch's std_backward: var_backward of ``(grad / (result * 2)).masked_fill_(result ==
    0, 0)``."""
    return _var_grad((g / (out * 2)).masked_fill_(out == 0, 0), x, dims, keepdim, correction,
                     whole)


# --------------------------------------------------------------------------- norms
@op(grad_fns=("LinalgVectorNormBackward0",))
def norm(input, p="fro", dim=None, keepdim=False, dtype=None):
    """Vector p-norm over ``dim`` (all elements by default): ``p`` a number, ``inf``, ``-inf``
    or "fro" (the 2-norm)."""
    if type(p) is str and p == "fro" and dim is None and dtype is None and \
            input.dtype.is_floating_point and input.device.xp is np:
        return _norm2_all(input, keepdim)  # ``x.norm()``: the checks below cannot fail
    if isinstance(p, str):
        if p != "fro" or not (dim is None or isinstance(dim, int) or len(dim) <= 2):
            # torch.norm: the nuclear norm (or an error) is linalg.matrix_norm's, over every
            # dim when none is given
            from .registry import OPS
            return OPS["linalg.matrix_norm"].fn(
                input, p, tuple(range(input._data.ndim)) if dim is None else dim, keepdim,
                dtype=dtype)
        p = 2.0
    p = float(p)
    if not input.dtype.is_floating_point:
        raise errors.EngineRuntimeError(
            "linalg.vector_norm: Expected a floating point or complex tensor as input. "
            f"Got {input.dtype.scalar_name}")
    dt = input.dtype if dtype is None else as_dtype(dtype, "linalg_vector_norm")
    if dtype is not None and not dt.is_floating_point:
        raise errors.EngineRuntimeError("linalg.vector_norm: dtype should be floating point or "
                                        f"complex, but got {dt.scalar_name}")
    if dtype is not None and dt.itemsize < input.dtype.itemsize:
        raise errors.EngineRuntimeError(
            f"linalg.vector_norm: the dtype of the input ({input.dtype.scalar_name}) should "
            f"be convertible without narrowing to the specified dtype ({dt.scalar_name})")
    dims = norm_dims(dim, input._data.ndim)
    whole = _no_dim(dim)
    shape = input._data.shape
    if abs(p) == INF and _count(shape, dims) == 0 and input._data.ndim:
        sign = "" if p > 0 else "-"
        if dim is None:
            raise errors.EngineRuntimeError(
                f"linalg.vector_norm cannot compute the {sign}inf norm on an empty tensor "
                "because the operation does not have an identity")
        given = (dim,) if isinstance(dim, int) else tuple(dim)
        empty = [d for d in (norm_dim(d, len(shape)) for d in given) if shape[d] == 0]
        if not empty:
            raise errors.EngineRuntimeError(
                f"linalg.vector_norm cannot compute the {sign}inf norm on an empty tensor "
                "because the operation does not have an identity")
        raise errors.EngineRuntimeError(  # sic: PyTorch's text has no space after the number
            f"linalg.vector_norm cannot compute the {sign}inf norm on the dimension {empty[0]}"
            "because this dimension is empty and the operation does not have an identity")
    xp = input.device.xp
    a = input._data
    res = None
    if xp is np and type(a) is np.ndarray and p not in (0, INF, -INF):
        res = norm_kernels.vector_norm(a, p, dims, keepdim, dt.np)  # torch's kernels' bits
    if res is not None:
        pass
    elif p == 2 and xp is np:  # the common case, without abs (a * a is |a| * |a|) or .sum's wrapper
        a = input._data.astype(_acc(dt), copy=False)
        token = ignore_fp()
        try:
            res = np.sqrt(np.add.reduce(a * a, axis=dims, keepdims=keepdim))
        finally:
            restore_fp(token)
    else:
        a = xp.abs(input._data.astype(_acc(dt), copy=False))
        with _quiet(xp):
            if p == INF:
                res = a.max(axis=dims, keepdims=keepdim)
            elif p == -INF:
                res = a.min(axis=dims, keepdims=keepdim)
            elif p == 0:
                res = (a != 0).sum(axis=dims, keepdims=keepdim, dtype=a.dtype)
            elif p == 1:
                res = a.sum(axis=dims, keepdims=keepdim)
            elif p == 2:
                res = xp.sqrt((a * a).sum(axis=dims, keepdims=keepdim))
            else:
                res = (a ** p).sum(axis=dims, keepdims=keepdim) ** (1 / p)
    out = _wrap_reduced(xp.asarray(res).astype(dt.np, copy=False), dt, input.device)
    if needs_grad(input):
        record(out, "LinalgVectorNormBackward0",
               (lambda g, x, y: _norm_grad(g, x, y, p, dims, keepdim, whole),), (input,),
               (input, OUTPUT))
    return out


def _norm2_all(input: Tensor, keepdim: bool) -> Tensor:
    """``norm(input)`` of a floating CPU tensor: the 2-norm over all elements, as below."""
    dt = input.dtype
    a = input._data
    dims = tuple(range(a.ndim))
    if dt is float16:
        a = a.astype(_acc(dt))
    res = norm_kernels.vector_norm(input._data, 2.0, dims, keepdim, dt.np) \
        if type(input._data) is np.ndarray else None
    if res is not None:
        pass
    elif all_ignored():  # (as the engine leaves NumPy at import: nothing to switch off)
        res = _sqrt_sum_squares(a, dims, keepdim)
    else:
        token = ignore_fp()
        try:
            res = _sqrt_sum_squares(a, dims, keepdim)
        finally:
            restore_fp(token)
    if type(res) is not np.ndarray or res.dtype != dt.np:
        res = np.asarray(res).astype(dt.np, copy=False)
    # (_wrap_reduced and needs_grad, inline for the common cases: 0 or 1 dims are row-major)
    out = _wrap(res, dt, input.device) if res.ndim < 2 else _wrap_reduced(res, dt, input.device)
    if type(input) is Tensor and input.requires_grad and _grad_enabled.get() or \
            FW_ACTIVE[0] and needs_grad(input):
        record(out, "LinalgVectorNormBackward0",
               (lambda g, x, y: _norm_grad(g, x, y, 2.0, dims, keepdim, True),), (input,),
               (input, OUTPUT))
    return out


def _sqrt_sum_squares(a: np.ndarray, dims: tuple, keepdim: bool):
    """``sqrt(sum(a * a))`` over ``dims`` (all of ``a``'s). One element is its own sum (the
    reduction copies it, NaN payloads included), so it skips the reduction's set-up: the square
    and its root in one temporary, the same ufunc loops."""
    if a.size == 1 and a.ndim:  # (a 0-d product is a NumPy scalar: the general way)
        sq = np.multiply(a, a)
        return np.sqrt(sq, out=sq).reshape(a.shape if keepdim else ())
    return np.sqrt(np.add.reduce(a * a, axis=dims, keepdims=keepdim))


def _norm_grad(g, x, out, p, dims, keepdim, whole=False):
    """torch's vector-norm backward, in its formula order (the signs of zeros and the places
    of NaN in its gradients, and in their gradients under ``create_graph``, are torch's); the
    gradient and norm unsqueezed at the reduced dims when they were named and dropped
    (``whole``: no ``dim``: they stay as they are, and broadcast)."""
    if p == 0:  # a count of nonzeros: PyTorch gives no gradient at all (None, not zeros)
        return None
    keep = keepdim or whole or not x._data.ndim
    g = keep_dims(g, dims, keep)
    out = keep_dims(out, dims, keep)
    if p == 1:
        return _sign(x) * g
    if p == 2:
        return g * (x / out).masked_fill(out == 0, 0)
    if abs(p) == INF:  # spread over the elements that reach the norm (or are NaN)
        a = x.abs()
        hit = (a == out) | a.isnan()
        return _sign(x) * ((g / hit.sum(dims, keepdim=True)) * hit)
    # (torch's C++ evaluates an operator's right operand first, which orders the nodes of a
    # create_graph gradient and so the sums of their gradients: sgn's zero gradient arriving
    # before abs's leaves abs's -0. as it is, arriving after, it makes it +0.)
    if p < 1:
        powered = x.abs().pow(p - 1).masked_fill(x == 0, 0)
        scaled = _sign(x) * powered
        factor = out.pow(1 - p)
        return scaled * g * factor
    if p < 2:
        powered = x.abs().pow(p - 1)
        scaled = _sign(x) * powered
    else:
        scaled = x * x.abs().pow(p - 2)
    return scaled * (g / out.pow(p - 1)).masked_fill(out == 0, 0)


# --------------------------------------------------------------------------- logsumexp
@op(grad_fns=("LogsumexpBackward0",))
def logsumexp(input, dim, keepdim=False):
    """``log(sum(exp(input)))`` along ``dim``, computed without overflow."""
    dims = norm_dims(dim, input._data.ndim)
    dt = input.dtype if input.dtype.is_floating_point else default_float()
    xp = input.device.xp
    data = input._data.astype(_acc(dt), copy=False)
    with _quiet(xp):
        if _count(data.shape, dims) and data.size:
            top = data.max(axis=dims, keepdims=True)
            top = xp.where(xp.isinf(top), 0, top)
        else:
            top = xp.zeros(tuple(1 if i in dims else s for i, s in enumerate(data.shape)),
                           data.dtype)
        e = exp_array(xp, data - top)
        if type(e) is np.ndarray and e.dtype == dt.np:  # (torch's composite: its exp, sum, log)
            s = cascade.add_reduce(e, dims, True, e.dtype)
        else:
            s = e.sum(axis=dims, keepdims=True)
        res = log_array(xp, s) + top
    if not keepdim:
        res = res.reshape(tuple(s for i, s in enumerate(res.shape) if i not in dims))
    out = _wrap_reduced(res.astype(dt.np, copy=False), dt, input.device)
    if needs_grad(input):
        # torch's logsumexp_backward: the gradient and result unsqueezed, then broadcast
        kept = keepdim or not input._data.ndim
        record(out, "LogsumexpBackward0",
               (lambda g, x, y: keep_dims(g, dims, kept) * (x - keep_dims(y, dims, kept)).exp(),),
               (input,), (input, OUTPUT))
    return out


# --------------------------------------------------------------------------- extremes
def _extreme(name: str, reduce, input, dim, keepdim):
    dims = norm_dims(dim, input._data.ndim)
    shape = input._data.shape
    _no_empty_reduction(name, shape, dims, full=dim is None or dim == () or dim == [])
    kw = {"xp": input.device.xp} if name in ("amax", "amin") else {}
    out = _wrap_reduced(reduce(input._data, axis=dims, keepdims=keepdim, **kw), input.dtype,
                input.device)
    if needs_grad(input):
        record(out, f"{name.capitalize()}Backward0",
               (lambda g, x, y: _spread_grad(g, x, y, dims, keepdim),), (input,),
               (input, OUTPUT))
    return out


def _spread_grad(g, x, out, dims, keepdim):
    """Split the gradient evenly over the elements equal to the result (nan where none is)."""
    shape = x._data.shape
    hit = x == expand_reduced(out, shape, dims, keepdim)
    return expand_reduced(g, shape, dims, keepdim) * hit / hit.sum(dims, keepdim=True)


def _first_of_ties(reduce):
    """``reduce`` (max or min over ``axis``) where a zero result is the first of the tied
    zeros in the slice (torch's reduction keeps the element it met first, so -0. and 0. tie
    to whichever comes first; NumPy's may return either)."""
    def fn(a, axis, keepdims, xp=np):
        res = reduce(a, axis=axis, keepdims=keepdims)
        if a.dtype.kind != "f" or not a.size or not isinstance(a, xp.ndarray):
            return res  # (vmap's batched arrays: the batched reduction as it is)
        zero = res == 0
        if not bool(zero.any()):
            return res
        axes = tuple(range(a.ndim)) if axis in ((), None) else axis
        keep = [d for d in range(a.ndim) if d not in axes]
        moved = xp.transpose(a, keep + list(axes))
        flat = moved.reshape(moved.shape[:len(keep)] + (-1,))
        full = reduce(a, axis=axes, keepdims=False)
        first = xp.take_along_axis(flat, xp.argmax(flat == full[..., None], axis=-1)[..., None],
                                   axis=-1)[..., 0]
        if keepdims:
            first = first.reshape(res.shape)
        return xp.where(zero, first, res)

    return fn


@op(grad_fns=("AmaxBackward0",))
def amax(input, dim=(), keepdim=False):
    """Largest element along ``dim`` (all by default); gradient split evenly over ties."""
    return _extreme("amax", _first_of_ties(lambda a, **k: a.max(**k)), input, dim, keepdim)


@op(grad_fns=("AminBackward0",))
def amin(input, dim=(), keepdim=False):
    """Smallest element along ``dim`` (all by default); gradient split evenly over ties."""
    return _extreme("amin", _first_of_ties(lambda a, **k: a.min(**k)), input, dim, keepdim)


def _arg_extreme(name: str, pick, input, dim, keepdim):
    if input.dtype is bool_:
        raise errors.EngineRuntimeError(f"{name}(): does not support bool input")
    shape = input._data.shape
    xp = input.device.xp
    if dim is None:
        if input._data.size == 0:
            raise errors.EngineIndexError(
                f"{name}(): Expected reduction dim to be specified for input.numel() == 0.")
        res = xp.asarray(pick(input._data.reshape(-1), axis=0))
        if keepdim:
            res = res.reshape((1,) * len(shape))
    else:
        d = norm_dim(_int_dim(name, dim), len(shape))
        _no_empty_reduction(name, shape, (d,), full=False)
        res = xp.asarray(pick(input._data, axis=d, keepdims=keepdim)) if shape else \
            xp.zeros((), dtype=np.int64)
    return _wrap_reduced(res.astype(np.int64, copy=False), DEFAULT_INT, input.device)


@op(differentiable=False)
def argmax(input, dim=None, keepdim=False):
    """Index of the largest element (of the flattened input, or along ``dim``)."""
    return _arg_extreme("argmax", input.device.xp.argmax, input, dim, keepdim)


@op(differentiable=False)
def argmin(input, dim=None, keepdim=False):
    """Index of the smallest element (of the flattened input, or along ``dim``)."""
    return _arg_extreme("argmin", input.device.xp.argmin, input, dim, keepdim)


def _max_min(name: str, input, dim, keepdim, other):
    if other is None and isinstance(dim, Tensor):
        other, dim = dim, None
    if other is not None:
        if not isinstance(other, Tensor):
            raise errors.EngineTypeError(
                f"{name}(): argument 'other' must be Tensor, not {type(other).__name__}")
        pointwise = OPS.get("maximum" if name == "max" else "minimum")
        if pointwise is None:
            raise errors.NotSupported(f"{name}(input, other) needs the pointwise "
                                      f"{'maximum' if name == 'max' else 'minimum'} op")
        return pointwise.fn(input, other)
    xp = input.device.xp
    shape = input._data.shape
    if dim is None:  # the full reduction: gradient spread evenly over ties
        _no_empty_reduction(name, shape, tuple(range(len(shape))), full=True)
        out = _wrap(xp.asarray(input._data.max() if name == "max" else input._data.min()),
                    input.dtype, input.device)
        if needs_grad(input):
            record(out, f"{name.capitalize()}Backward1", (_spread_full_grad,), (input,),
                   (input, OUTPUT))
        return out
    d = norm_dim(_int_dim(name, dim), len(shape))
    _no_empty_reduction(name, shape, (d,), full=False)
    if shape:
        pick = xp.argmax if name == "max" else xp.argmin
        idx = pick(input._data, axis=d, keepdims=True)
        values = xp.take_along_axis(input._data, idx, axis=d)
        if not keepdim:
            idx, values = xp.squeeze(idx, d), xp.squeeze(values, d)
    else:
        idx, values = xp.zeros((), dtype=np.int64), input._data.copy()
    values = _wrap_reduced(values, input.dtype, input.device)
    indices = _wrap_reduced(idx.astype(np.int64, copy=False), DEFAULT_INT, input.device)
    if needs_grad(input):
        record(values, f"{name.capitalize()}Backward0",
               (lambda g, i: _select_grad(g, i, shape, d, keepdim),), (input,), (indices,))
    return getattr(return_types, name)(values, indices)


def _spread_full_grad(g, x, out):
    hit = (x != x) if bool(out._data != out._data) else (x == out)  # a nan max is every nan
    from .pointwise import where

    return where(hit, g / hit.sum(), 0.0)  # +0 elsewhere, as torch's masked fill of zeros


@op(grad_fns=("MaxBackward0", "MaxBackward1", "MaximumBackward0"))
def max(input, dim=None, keepdim=False, *, other=None):
    """``max(input)``: the largest element; ``max(input, dim, keepdim=False)``: a
    ``(values, indices)`` named tuple along ``dim``; ``max(input, other)``: ``maximum``."""
    return _max_min("max", input, dim, keepdim, other)


@op(grad_fns=("MinBackward0", "MinBackward1", "MinimumBackward0"))
def min(input, dim=None, keepdim=False, *, other=None):
    """``min(input)``: the smallest element; ``min(input, dim, keepdim=False)``: a
    ``(values, indices)`` named tuple along ``dim``; ``min(input, other)``: ``minimum``."""
    return _max_min("min", input, dim, keepdim, other)


# --------------------------------------------------------------------------- sort and topk
def _take_along(t: Tensor, idx, d: int) -> Tensor:
    """``t``'s entries at positions ``idx`` (an int array) along ``d``; differentiable."""
    xp = t.device.xp
    out = _wrap(xp.take_along_axis(t._data, idx, axis=d), t.dtype, t.device)
    if needs_grad(t):
        n = t._data.shape[d]
        record(out, "GatherBackward0", (lambda g: _put_along(g, idx, d, n),), (t,))
    return out


def _put_along(t: Tensor, idx, d: int, n: int) -> Tensor:
    """Zeros of length ``n`` along ``d`` with ``t`` written at the (distinct) positions ``idx``:
    the adjoint of ``_take_along``."""
    xp = t.device.xp
    shape = list(t._data.shape)
    shape[d] = n
    out = xp.zeros(tuple(shape), dtype=t._data.dtype)
    grid = list(xp.meshgrid(*(xp.arange(s) for s in idx.shape), indexing="ij", sparse=True))
    grid[d] = idx
    out[tuple(grid)] = t._data
    res = _wrap(out, t.dtype, t.device)
    if needs_grad(t):
        record(res, "ScatterBackward0", (lambda g: _take_along(g, idx, d),), (t,))
    return res


def _sort_indices(xp, arr, d: int, descending: bool):
    """A stable order along ``d`` (nan sorts as the largest value, as in PyTorch)."""
    if not descending:
        return xp.argsort(arr, axis=d, kind="stable")
    n = arr.shape[d]
    flipped = xp.argsort(xp.flip(arr, d), axis=d, kind="stable")
    return xp.ascontiguousarray(n - 1 - xp.flip(flipped, d))


def _host(xp, a) -> np.ndarray:
    if type(a) is np.ndarray:
        return a
    return a.get() if hasattr(a, "get") else np.asarray(a)


def _sorted_pick(name: str, input, d: int, idx) -> tuple:
    indices = _wrap(idx.astype(np.int64, copy=False), DEFAULT_INT, input.device)
    with no_grad():
        values = _take_along(input, idx, d)
        if name == "sort":
            values = _wrap(as_preserved(values._data, input._data), input.dtype, input.device)
    if needs_grad(input):
        n = input._data.shape[d]
        # (``idx`` is the indices' memory: saved, as torch's node saves them)
        record(values, f"{name.capitalize()}Backward0", (lambda g: _put_along(g, idx, d, n),),
               (input,), guards=(indices,))
    return getattr(return_types, name)(values, indices)


@op(grad_fns=("SortBackward0",))
def sort(input, dim=-1, descending=False, stable=False):
    """``(values, indices)`` of ``input`` sorted along ``dim`` (ties keep their order)."""
    shape = input._data.shape
    if not shape:
        norm_dim(_int_dim("sort", dim), 0)  # (torch checks the dim of a 0-d input too)
        return _picked_0d("sort", input)
    d = norm_dim(_int_dim("sort", dim), len(shape))
    charge("sort", sort_cost(shape, d))
    # (laid out as torch's: the input's strides when dense, else dense in their order)
    idx = as_preserved(_sort_indices(input.device.xp, input._data, d, descending), input._data)
    return _sorted_pick("sort", input, d, idx)


def _picked_0d(name: str, input: Tensor) -> tuple:
    out = _wrap(input._data.copy(), input.dtype, input.device)
    if needs_grad(input):
        record(out, f"{name.capitalize()}Backward0", (lambda g: g,), (input,))
    indices = _wrap(input.device.xp.zeros((), np.int64), DEFAULT_INT, input.device)
    return getattr(return_types, name)(out, indices)


@op(grad_fns=("TopkBackward0",))
def topk(input, k, dim=-1, largest=True, sorted=True):
    """``(values, indices)`` of the ``k`` largest (or smallest) entries along ``dim``."""
    shape = input._data.shape
    d = norm_dim(_int_dim("topk", dim), len(shape))
    n = shape[d] if shape else 1
    if not 0 <= k <= n:
        raise errors.EngineRuntimeError("selected index k out of range")
    if input.dtype.name == "bool":
        raise errors.EngineRuntimeError("topk does not support bool dtypes on CPU")
    if not shape:
        return _picked_0d("topk", input)
    charge("topk", sort_cost(shape, d))
    xp = input.device.xp
    order = _sort_indices(xp, input._data, d, largest)
    idx = xp.ascontiguousarray(xp.take(order, xp.arange(k), axis=d))
    idx = _topk_ties(xp, input._data, d, order, idx, k, largest, sorted)
    return _sorted_pick("topk", input, d, idx)


def _topk_ties(xp, data, d: int, order, idx, k: int, largest: bool, sorted_: bool):
    """torch's CPU topk selects per row with the C++ library's ``nth_element`` on (value,
    index) pairs, then sorts the first ``k - 1`` with ``sort`` (``partial_sort`` when ``64 k
    <= n``), comparing values only (NaN above every number for ``largest``, below for
    ``smallest``): which of equal values it returns and their order, and the whole order
    with ``sorted=False``, are those algorithms' (engine/ops/_stl.py). A row whose first
    ``k + 1`` values in order are all different keeps the sorted order computed above."""
    n = data.shape[d]
    if k == 0 or n == 0:
        return idx
    rows = np.moveaxis(_host(xp, data), d, -1).reshape(-1, n)
    top = np.moveaxis(_host(xp, idx), d, -1).reshape(-1, k)
    if sorted_:
        first = np.moveaxis(_host(xp, order), d, -1).reshape(-1, n)[:, :k + 1]
        vals = np.take_along_axis(rows, first, axis=1)
        same = vals[:, 1:] == vals[:, :-1]
        if vals.dtype.kind == "f":
            same |= np.isnan(vals[:, 1:]) & np.isnan(vals[:, :-1])
        redo = np.flatnonzero(same.any(axis=1))
        if not redo.size:
            return idx
    else:
        redo = np.arange(rows.shape[0])
    top = top.copy()
    floating = rows.dtype.kind == "f"

    def nan(v):
        return floating and v != v

    if largest:
        def less(a, b):
            return (nan(a[0]) and not nan(b[0])) or a[0] > b[0]
    else:
        def less(a, b):
            return (not nan(a[0]) and nan(b[0])) or a[0] < b[0]
    for r in redo:
        q = list(zip(rows[r].tolist(), range(n)))
        if k * 64 <= n:
            _stl.partial_sort(q, 0, k, n, less)
        else:
            _stl.nth_element(q, 0, k - 1, n, less)
            if sorted_:
                _stl.sort(q, 0, k - 1, less)
        top[r] = [i for _, i in q[:k]]
    out_shape = tuple(s for i, s in enumerate(data.shape) if i != d) + (k,)
    return xp.ascontiguousarray(xp.asarray(np.moveaxis(top.reshape(out_shape), -1, d)))


# --------------------------------------------------------------------------- logical
def _logical(name: str, input, dim, keepdim):
    dims = norm_dims(dim, input._data.ndim)
    data = input._data
    res = data.all(axis=dims, keepdims=keepdim) if name == "all" else \
        data.any(axis=dims, keepdims=keepdim)
    if input.dtype.name == "uint8":  # torch keeps uint8 (0 or 1) for uint8 inputs
        return _wrap_reduced(input.device.xp.asarray(res).astype(np.uint8), input.dtype,
                             input.device)
    return _wrap_reduced(input.device.xp.asarray(res), bool_, input.device)


@op(name="all", differentiable=False)
def all_(input, dim=None, keepdim=False):
    """Whether every element (along ``dim``) is non-zero; a bool tensor (uint8 for uint8)."""
    return _logical("all", input, dim, keepdim)


@op(name="any", differentiable=False)
def any_(input, dim=None, keepdim=False):
    """Whether some element (along ``dim``) is non-zero; a bool tensor (uint8 for uint8)."""
    return _logical("any", input, dim, keepdim)


__all__ = ["sum", "mean", "expand_reduced", "keep_dims", "return_types"]
