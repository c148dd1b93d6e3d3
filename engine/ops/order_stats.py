"""Order statistics: ``kthvalue``, ``median``/``nanmedian``, ``mode`` (each also along a dim,
giving ``(values, indices)``) and ``quantile``/``nanquantile``.

Ties: the index reported is that of a stable sort (PyTorch's CPU kernels select without a
specified tie order; values never differ). ``quantile`` is computed as PyTorch computes it
(sort, gather the neighbouring ranks, ``lerp`` between them), so its gradient and node chain
are PyTorch's.
"""

from __future__ import annotations

import functools

import numpy as np

from .. import errors
from .._parallel import is_numpy
from ..autograd import OUTPUT, needs_grad, record
from ..autograd.graph import rename
from ..dtypes import DEFAULT_INT, bool_, float32, float64
from ..tensor import Tensor, _wrap
from . import _stl
from ._args import norm_dim
from .reduction import _return_type, _select_grad, _spread_full_grad
from .registry import op


class return_types:  # noqa: N801 (mirrors torch.return_types)
    kthvalue = _return_type("kthvalue")
    median = _return_type("median")
    nanmedian = _return_type("nanmedian")
    mode = _return_type("mode")


def _no_bool(kernel: str, input: Tensor) -> None:
    if input.dtype is bool_:
        dev = "cpu" if input.device.type == "cpu" else "cuda"
        raise errors.KernelNotImplemented(errors.NOT_IMPLEMENTED_FOR.format(
            kernel=f"{kernel}_{dev}", dtype="Bool"))


def _along(input: Tensor, dim) -> tuple:
    """(data with the reduced dim last, that dim, its size); a 0-d input as one element."""
    shape = input._data.shape
    d = norm_dim(dim, len(shape))
    data = input._data if shape else input._data.reshape(1)
    return input.device.xp.moveaxis(data, d if shape else 0, -1), d


def _pick(name: str, input: Tensor, d: int, keepdim: bool, values, indices, node: str):
    """Wrap selected ``values``/``indices`` (reduced dim dropped) as a return type whose values
    differentiate by putting the gradient back at ``indices``."""
    shape = input._data.shape
    if keepdim and shape:
        values, indices = values[..., None], indices[..., None]
        values = input.device.xp.moveaxis(values, -1, d)
        indices = input.device.xp.moveaxis(indices, -1, d)
    xp = input.device.xp
    vals = _wrap(xp.asarray(values).astype(input.dtype.np, order="C"), input.dtype,
                 input.device)
    idx = _wrap(xp.asarray(indices).astype(np.int64, order="C"), DEFAULT_INT, input.device)
    if needs_grad(input):
        record(vals, node, (lambda g, i: _select_grad(g, i, shape, d, keepdim),), (input,),
               (idx,))
    return getattr(return_types, name)(vals, idx)


def _stable_order(xp, data):
    """Indices sorting ``data`` along its last dim, stably, NaN last."""
    return xp.argsort(data, axis=-1, kind="stable")


def _take(xp, data, order, k):
    idx = order[..., k]
    return xp.take_along_axis(data, idx[..., None], axis=-1)[..., 0], idx


# --------------------------------------------------------------------------- kthvalue
@op(grad_fns=("KthvalueBackward0",))
def kthvalue(input, k, dim=-1, keepdim=False):
    """``(values, indices)`` of the ``k``-th smallest element along ``dim`` (1-based)."""
    _no_bool("kthvalue", input)
    shape = input._data.shape
    if shape and shape[norm_dim(dim, len(shape))] == 0:
        raise errors.EngineIndexError(
            f"kthvalue(): Expected reduction dim {norm_dim(dim, len(shape))} to have non-zero "
            "size.")
    data, d = _along(input, dim)
    n = data.shape[-1]
    if not 1 <= k <= n:
        raise errors.EngineRuntimeError(
            f"kthvalue(): selected number k out of range for dimension {d}")
    xp = input.device.xp
    values, indices = _take(xp, data, _stable_order(xp, data), k - 1)
    # Among equal values (and NaN) the index is the one torch's quickselect leaves at k - 1
    tied = (data == values[..., None]).sum(-1) > 1
    if data.dtype.kind == "f":
        tied |= xp.isnan(data).any(-1)
    if bool(tied.any()):
        host = (data if is_numpy(xp) else xp.asnumpy(data)).reshape(-1, n)
        found = np.array(indices if is_numpy(xp) else xp.asnumpy(indices)).reshape(-1)
        for row in np.flatnonzero(tied if is_numpy(xp) else xp.asnumpy(tied)):
            found[row] = _quickselect(host[row].tolist(), k - 1)
        indices = xp.asarray(found.reshape(indices.shape))
        values = xp.take_along_axis(data, indices[..., None], axis=-1)[..., 0]
    return _pick("kthvalue", input, d, keepdim, values, indices, "KthvalueBackward0")


def _after(a, b) -> bool:
    """``a`` sorts after ``b`` (NaN after every number)."""
    return (a != a and b == b) or a > b


def _quickselect(values: list, k: int) -> int:
    """The index of the ``k``-th smallest of ``values`` (0-based) as torch's CPU kthvalue
    finds it: a quickselect with a median-of-three pivot, swapping values with their indices
    (which of several equal values it picks depends on that order)."""
    v, at = values, list(range(len(values)))

    def swap(a, b):
        v[a], v[b] = v[b], v[a]
        at[a], at[b] = at[b], at[a]

    lo, hi = 0, len(v) - 1
    while hi > lo:
        if hi == lo + 1:
            if _after(v[lo], v[hi]):
                swap(lo, hi)
            break
        swap(lo + (hi - lo) // 2, lo + 1)
        for a, b in ((lo + 1, hi), (lo, hi), (lo + 1, lo)):
            if _after(v[a], v[b]):
                swap(a, b)
        i, j, pivot = lo + 1, hi, v[lo]
        while True:
            i += 1
            while _after(pivot, v[i]):
                i += 1
            j -= 1
            while _after(v[j], pivot):
                j -= 1
            if j < i:
                break
            swap(i, j)
        swap(lo, j)
        if j <= k:
            lo = i
        if j >= k:
            hi = j - 1
    return at[k]


# --------------------------------------------------------------------------- median
def _nth_element_median(values: list, ignore_nan: bool) -> float:
    """torch's CPU ``median()`` / ``nanmedian()`` of all elements when +0 and -0 tie: its
    ``std::nth_element`` (nanmedian: NaN ordered after every number, the lower median of the
    numbers) as libstdc++ runs it: introselect (median-of-three pivot moved to the front,
    unguarded partition) down to at most three elements, then an insertion sort. Equal values
    differ only in the sign of zero, which is what this decides."""
    v = list(values)

    def lt(a, b):  # (torch.median never gets here with a NaN)
        return a < b or (b != b and a == a)

    first, last = 0, len(v)
    count = sum(1 for x in v if x == x) if ignore_nan else last
    nth = (count - 1) // 2
    depth = 2 * (last.bit_length() - 1)
    while last - first > 3:
        if depth == 0:  # libstdc++'s heap select: not emulated (not met on ties of zeros)
            return sorted(v[first:last], key=lambda x: (x != x, x))[nth - first]
        depth -= 1
        mid = first + (last - first) // 2
        a, b, c = first + 1, mid, last - 1
        if lt(v[a], v[b]):
            m = b if lt(v[b], v[c]) else c if lt(v[a], v[c]) else a
        else:
            m = a if lt(v[a], v[c]) else c if lt(v[b], v[c]) else b
        v[first], v[m] = v[m], v[first]
        lo, hi, pivot = first + 1, last, v[first]
        while True:
            while lt(v[lo], pivot):
                lo += 1
            hi -= 1
            while lt(pivot, v[hi]):
                hi -= 1
            if not lo < hi:
                break
            v[lo], v[hi] = v[hi], v[lo]
            lo += 1
        if lo <= nth:
            first = lo
        else:
            last = lo
    for i in range(first + 1, last):
        x = v[i]
        if lt(x, v[first]):
            v[first + 1:i + 1] = v[first:i]
            v[first] = x
        else:
            j = i
            while lt(x, v[j - 1]):
                v[j] = v[j - 1]
                j -= 1
            v[j] = x
    return v[nth]


def _median_full(name: str, input: Tensor, ignore_nan: bool) -> Tensor:
    _no_bool("median", input)  # nanmedian's kernel is median's too
    xp = input.device.xp
    flat = input._data.reshape(-1)
    if flat.size == 0:
        res = xp.asarray(np.nan).astype(input.dtype.np) if input.dtype.is_floating_point \
            else xp.asarray(0, dtype=input.dtype.np)
    else:
        ordered = xp.sort(flat)
        count = int((~xp.isnan(flat)).sum()) if ignore_nan and input.dtype.is_floating_point \
            else flat.size
        if not ignore_nan and input.dtype.is_floating_point and bool(xp.isnan(flat).any()):
            res = xp.asarray(np.nan, dtype=input.dtype.np)
        else:
            res = ordered[max(count - 1, 0) // 2]
            if input.dtype.is_floating_point and res == 0 and bool((flat == 0).any()) and \
                    bool(xp.signbit(flat[flat == 0]).any()) and \
                    not bool(xp.signbit(flat[flat == 0]).all()):
                # +0 and -0 tie: which one torch returns is where its nth_element leaves them
                host = flat if is_numpy(xp) else xp.asnumpy(flat)
                res = xp.asarray(_nth_element_median(host.tolist(), ignore_nan),
                                 dtype=input.dtype.np)
    out = _wrap(xp.asarray(res, dtype=input.dtype.np), input.dtype, input.device)
    if needs_grad(input):
        node = "MedianBackward0" if name == "median" else "NanmedianBackward0"
        record(out, node, (_spread_full_grad,), (input,), (input, OUTPUT))
    return out


@functools.lru_cache(maxsize=64)
def _first_of_equivalent(n: int) -> int:
    """The index libstdc++'s ``nth_element`` puts first among ``n`` equivalent elements."""
    v = list(range(n))
    _stl.nth_element(v, 0, 0, n, lambda a, b: False)
    return v[0]


def _median_dim(name: str, input: Tensor, dim, keepdim: bool, ignore_nan: bool):
    if input.dtype is bool_:  # torch's kernel for both, named without a device
        raise errors.KernelNotImplemented(errors.NOT_IMPLEMENTED_FOR.format(
            kernel="median_out", dtype="Bool"))
    shape = input._data.shape
    d = norm_dim(dim, len(shape))
    if shape and shape[d] == 0:
        raise errors.EngineIndexError(  # nanmedian's too: PyTorch says median()
            f"median(): Expected reduction dim {d} to have non-zero size.")
    data, d = _along(input, dim)
    xp = input.device.xp
    order = _stable_order(xp, data)
    n = data.shape[-1]
    if input.dtype.is_floating_point:
        nans = xp.isnan(data)
        valid = (~nans).sum(axis=-1)
        if ignore_nan:  # the lower median of the non-NaN values (index 0 when all are NaN)
            k = xp.maximum(valid - 1, 0) // 2
        else:  # a NaN anywhere: the first NaN (sorted last, stably)
            k = xp.where(valid < n, valid, (n - 1) // 2)
    else:
        k = xp.full(data.shape[:-1], (n - 1) // 2, dtype=np.int64)
    idx = xp.take_along_axis(order, k[..., None], axis=-1)[..., 0]
    if ignore_nan and input.dtype.is_floating_point and n > 3 and bool((valid == 0).any()):
        # a row of NaNs only: torch's comparator holds them all equivalent, and which index
        # its std::nth_element leaves first depends only on the row's length
        idx = xp.where(valid == 0, _first_of_equivalent(n), idx)
    values = xp.take_along_axis(data, idx[..., None], axis=-1)[..., 0]
    node = "MedianBackward1" if name == "median" else "NanmedianBackward1"
    return _pick(name, input, d, keepdim, values, idx, node)


@op(grad_fns=("MedianBackward0", "MedianBackward1"))
def median(input, dim=None, keepdim=False):
    """The lower median of all elements (NaN if any is NaN); or, along ``dim``, a
    ``(values, indices)`` pair."""
    if dim is None:
        return _median_full("median", input, False)
    return _median_dim("median", input, dim, keepdim, False)


@op(grad_fns=("NanmedianBackward0", "NanmedianBackward1"))
def nanmedian(input, dim=None, keepdim=False):
    """``median`` ignoring NaNs (NaN only where every value is NaN)."""
    if dim is None:
        return _median_full("nanmedian", input, True)
    return _median_dim("nanmedian", input, dim, keepdim, True)


# --------------------------------------------------------------------------- mode
@op(grad_fns=("ModeBackward0",))
def mode(input, dim=-1, keepdim=False):
    """``(values, indices)`` of the most frequent value along ``dim`` (the smallest of
    equally frequent ones; the index of its last occurrence)."""
    shape = input._data.shape
    d = norm_dim(dim, len(shape))
    if shape and shape[d] == 0:
        raise errors.EngineIndexError(f"mode(): Expected reduction dim {d} to have non-zero size.")
    data, d = _along(input, dim)
    xp = input.device.xp
    order = _stable_order(xp, data)
    if data.dtype.kind == "f" and is_numpy(xp) and bool(np.isnan(data).any()):
        # torch sorts with std::sort and ``<``, which NaN does not order: on a few elements an
        # insertion sort, so NaNs stay where they are and split the runs around them
        rows = order.reshape(-1, data.shape[-1]).copy()
        flat = data.reshape(rows.shape)
        for row in np.flatnonzero(np.isnan(flat).any(-1)):
            rows[row] = _insertion_order(flat[row].tolist())
        order = rows.reshape(order.shape)
    ordered = xp.take_along_axis(data, order, axis=-1)
    n = data.shape[-1]
    # run lengths in sorted order: where each run of equal values ends, and its length
    same = ordered[..., 1:] == ordered[..., :-1]
    position = xp.broadcast_to(xp.arange(n), ordered.shape)
    starts = xp.where(xp.concatenate([xp.zeros(same.shape[:-1] + (1,), dtype=bool), same],
                                     axis=-1), 0, position)
    length = position - _running_max(xp, starts) + 1
    ends = xp.concatenate([~same, xp.ones(same.shape[:-1] + (1,), dtype=bool)], axis=-1)
    score = xp.where(ends, length, 0)
    best = xp.argmax(score, axis=-1)  # the first (smallest) value with the longest run
    values = xp.take_along_axis(ordered, best[..., None], axis=-1)[..., 0]
    indices = xp.take_along_axis(order, best[..., None], axis=-1)[..., 0]
    return _pick("mode", input, d, keepdim, values, indices, "ModeBackward0")


def _insertion_order(row: list) -> list:
    """The order an insertion sort comparing with ``<`` leaves ``row`` in."""
    idx = list(range(len(row)))
    for i in range(1, len(row)):
        cur = idx[i]
        if row[cur] < row[idx[0]]:
            idx[1:i + 1] = idx[0:i]
            idx[0] = cur
            continue
        j = i
        while row[cur] < row[idx[j - 1]]:
            idx[j] = idx[j - 1]
            j -= 1
        idx[j] = cur
    return idx


def _running_max(xp, a):
    """The running maximum along the last axis, by doubling (array ops only, any backend)."""
    step, n = 1, a.shape[-1]
    while step < n:
        shifted = xp.concatenate([a[..., :step], a[..., :-step]], axis=-1)
        a = xp.maximum(a, shifted)
        step *= 2
    return a


# --------------------------------------------------------------------------- quantile
_INTERPOLATIONS = ("linear", "lower", "higher", "midpoint", "nearest")


def _renamed(t: Tensor, name: str) -> Tensor:
    """``t`` with its node named as the in-place twin of its op (PyTorch runs ``unsqueeze_``,
    ``transpose_``, ``squeeze_`` on a fresh tensor here; the graph is the same)."""
    if t.grad_fn is not None:
        rename(t.grad_fn, name)
    return t


def _quantile(input, q, dim, keepdim: bool, interpolation: str, ignore_nan: bool):
    name = "quantile"  # nanquantile's errors say quantile() too, as PyTorch's
    if not isinstance(q, Tensor):
        q = float(q)
        if not 0 <= q <= 1:
            raise errors.EngineRuntimeError(
                f"{name}() q must be in the range [0, 1] but got {q:g}")
    if input._data.size == 0:
        raise errors.EngineRuntimeError(f"{name}() input tensor must be non-empty")
    if isinstance(q, Tensor) and q._data.ndim > 1:
        raise errors.EngineRuntimeError(f"{name}() q must be a scalar or 1D tensor")
    if input.dtype not in (float32, float64):
        raise errors.EngineRuntimeError(
            f"{name}() input tensor must be either float or double dtype")
    if isinstance(q, Tensor) and q.dtype is not input.dtype:
        raise errors.EngineRuntimeError(
            f"{name}() q tensor must be same dtype as the input tensor")
    if interpolation not in _INTERPOLATIONS:
        raise errors.EngineRuntimeError(
            f"{name}() interpolation must be one of linear, lower, higher, midpoint or "
            f"nearest, but got {interpolation}")
    xp = input.device.xp
    if isinstance(q, Tensor):
        if q._data.size and not bool(((q._data >= 0) & (q._data <= 1)).all()):
            raise errors.EngineRuntimeError(f"{name}() q values must be in the range [0, 1]")
        qs, q_dims = q._data.reshape(-1), q._data.ndim
    else:
        qs, q_dims = xp.asarray([q], dtype=input.dtype.np), 0
    shape = input._data.shape
    ndim = len(shape)
    # the reduced shape, then the values sorted along a last dim
    if dim is None:
        reduced = [1] * ndim if keepdim else []
        sorted_ = input.flatten().sort().values
    else:
        d = norm_dim(dim, ndim)
        reduced = list(shape)
        if ndim:
            if keepdim:
                reduced[d] = 1
            else:
                del reduced[d]
        if d == ndim - 1:
            sorted_ = input.sort().values
        else:
            sorted_ = input.unsqueeze(-1).transpose(d, -1).sort().values
    n = sorted_._data.shape[-1]
    sorted_ = sorted_.view(reduced + [n])
    dt = input.dtype.np
    qs = qs.astype(dt, copy=False)
    if ignore_nan:
        valid = (~xp.isnan(sorted_._data)).sum(axis=-1, keepdims=True)
        ranks = qs * (valid - 1).astype(dt)
        ranks = xp.where(ranks < 0, 0, ranks).astype(dt)
    else:
        last = n - 1
        has_nan = xp.isnan(sorted_._data).any(axis=-1, keepdims=True)
        ranks = xp.where(has_nan, dt.type(last), qs * dt.type(last)).astype(dt)
    if interpolation == "lower":
        ranks = xp.floor(ranks)
    elif interpolation == "higher":
        ranks = xp.ceil(ranks)
    elif interpolation == "nearest":
        ranks = xp.rint(ranks)
    below = ranks.astype(np.int64)
    out = sorted_.gather(-1, _wrap(below, DEFAULT_INT, input.device))
    if interpolation in ("linear", "midpoint"):
        weights = xp.full_like(ranks, 0.5) if interpolation == "midpoint" else \
            ranks - below.astype(dt)
        above = _wrap(xp.ceil(ranks).astype(np.int64), DEFAULT_INT, input.device)
        out = out.lerp(sorted_.gather(-1, above), _wrap(weights, input.dtype, input.device))
    if q_dims == 0:
        return _renamed(out.squeeze(-1), "SqueezeBackward4")
    out = _renamed(out.unsqueeze(0), "UnsqueezeBackward1")
    out = _renamed(out.transpose(0, -1), "TransposeBackward1")
    return _renamed(out.squeeze(-1), "SqueezeBackward4")


@op(grad_fns=("SqueezeBackward4", "LerpBackward1", "GatherBackward0", "SortBackward0"))
def quantile(input, q, dim=None, keepdim=False, *, interpolation="linear"):
    """The ``q``-th quantiles (``q`` a number or a 1-D tensor in [0, 1]) of all elements or
    along ``dim``, interpolating between neighbouring ranks ("linear", "lower", "higher",
    "midpoint" or "nearest"); NaN if the values include NaN."""
    return _quantile(input, q, dim, keepdim, interpolation, False)


@op(grad_fns=("SqueezeBackward4", "LerpBackward1", "GatherBackward0", "SortBackward0"))
def nanquantile(input, q, dim=None, keepdim=False, *, interpolation="linear"):
    """``quantile`` ignoring NaNs (NaN only where every value is NaN)."""
    return _quantile(input, q, dim, keepdim, interpolation, True)


__all__ = ["kthvalue", "median", "nanmedian", "mode", "quantile", "nanquantile",
           "return_types"]
