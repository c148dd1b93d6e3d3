"""Sorting and searching: ``argsort``, ``nonzero``/``argwhere``/``count_nonzero``,
``searchsorted``/``bucketize``, ``histc``, and ``unique``/``unique_consecutive``.

None of these is differentiable (their results are indices or counts); ``unique`` of a tensor
that requires grad records PyTorch's node, whose backward fails as PyTorch's does.
"""

from __future__ import annotations

import math

import numpy as np

from .. import errors
from ..autograd import needs_grad, record
from ..dtypes import DEFAULT_INT, bool_, int32
from ..tensor import Tensor, _wrap
from . import _stl
from ._args import norm_dim
from .reduction import sort
from .registry import op


def _kernel_error(kernel: str, t: Tensor) -> errors.KernelNotImplemented:
    dev = "cpu" if t.device.type == "cpu" else "cuda"
    return errors.KernelNotImplemented(errors.NOT_IMPLEMENTED_FOR.format(
        kernel=kernel.format(dev=dev), dtype=t.dtype.scalar_name))


def _index_tensor(arr, device, out_int32: bool = False) -> Tensor:
    dt = int32 if out_int32 else DEFAULT_INT
    return _wrap(device.xp.asarray(arr).astype(dt.np, order="C"), dt, device)


# --------------------------------------------------------------------------- argsort, nonzero
@op(differentiable=False)
def argsort(input, dim=-1, descending=False, stable=False):
    """The indices that sort ``input`` along ``dim`` (ties keep their order; NaN sorts as the
    largest value)."""
    return sort(input, dim, descending).indices


@op(differentiable=False)
def nonzero(input, *, as_tuple=False):
    """The indices of the non-zero elements: an ``(n, ndim)`` tensor, or with ``as_tuple`` one
    1-D tensor per dimension (a 0-d input counts as 1-D)."""
    xp = input.device.xp
    data = input._data
    if as_tuple:
        found = xp.nonzero(data.reshape(1) if data.ndim == 0 else data)
        return tuple(_index_tensor(i, input.device) for i in found)
    found = xp.nonzero(data.reshape(1) if data.ndim == 0 else data)
    if data.ndim == 0:
        return _index_tensor(xp.zeros((found[0].size, 0)), input.device)
    # torch's (n, ndim) result is column-major: strides (1, n)
    return _wrap(xp.stack(found, axis=0).astype(np.int64, copy=False).T, DEFAULT_INT,
                 input.device)


@op(differentiable=False)
def argwhere(input):
    """The indices of the non-zero elements as an ``(n, ndim)`` tensor (``nonzero``)."""
    return nonzero(input)


@op(differentiable=False)
def count_nonzero(input, dim=None):
    """The number of non-zero elements, in all or along ``dim`` (an int or a tuple)."""
    from ._args import norm_dims

    dims = norm_dims(dim, input._data.ndim)
    res = (input._data != 0).sum(axis=dims)
    return _index_tensor(input.device.xp.asarray(res), input.device)


# --------------------------------------------------------------------------- searchsorted
def _side(right: bool, side) -> str:
    if side is not None:
        if side not in ("left", "right"):
            raise errors.EngineRuntimeError(
                f"torch.searchsorted(): side can only be 'left' or 'right' but got {side}")
        if right and side == "left":
            raise errors.EngineRuntimeError(
                "torch.searchsorted(): side and right can't be set to opposites, got side of "
                "left while right was True")
        return side
    return "right" if right else "left"


def _search(xp, seq, values, side: str, sorter=None):
    """``searchsorted`` of ``values`` in the last dim of ``seq`` (leading dims matched), by
    torch's bisection (so an unsorted sequence gives torch's answer too): a value goes right of
    ``seq[mid]`` unless ``seq[mid] >= value`` ("left") or ``seq[mid] > value`` ("right"), NaN
    included; ``sorter`` reads ``seq`` through its indices."""
    n = seq.shape[-1]
    lead = math.prod(seq.shape[:-1])
    rows = seq.reshape(lead, n)
    order = None if sorter is None else sorter.reshape(lead, n)
    vals = values.reshape(1 if seq.ndim == 1 else rows.shape[0], -1)
    lo = xp.zeros(vals.shape, dtype=np.int64)
    hi = xp.full(vals.shape, n, dtype=np.int64)
    row = xp.arange(vals.shape[0])[:, None]
    with np.errstate(invalid="ignore"):
        while n:
            active = lo < hi
            if not active.any():
                break
            mid = lo + ((hi - lo) >> 1)
            at = xp.minimum(mid, n - 1)
            if order is not None:
                at = order[row, at]
            m = rows[row, at]
            right = ~(m >= vals) if side == "left" else ~(m > vals)
            lo = xp.where(active & right, mid + 1, lo)
            hi = xp.where(active & ~right, mid, hi)
    return lo.reshape(values.shape)


@op(kind="function", differentiable=False)
def searchsorted(sorted_sequence, input, *, out_int32=False, right=False, side=None,
                 sorter=None):
    """For each value, the index where it would be inserted into ``sorted_sequence`` (along its
    last dim) to keep it sorted: before equal entries ("left"), or after them (``right=True``
    or ``side="right"``). ``sorter`` sorts an unsorted sequence."""
    seq = sorted_sequence
    if seq._data.ndim == 0:
        raise errors.EngineRuntimeError(
            "torch.searchsorted(): boundaries tensor should have positive dimension, but got 0 "
            "dimension")
    s = _side(right, side)
    scalar = not isinstance(input, Tensor)
    xp = seq.device.xp
    values = xp.asarray(input) if scalar else input._data  # (compared in the common dtype)
    if seq._data.ndim > 1 and (scalar or values.shape[:-1] != seq._data.shape[:-1]):
        raise errors.EngineRuntimeError(
            "torch.searchsorted(): boundaries tensor should be 1 dimension or the first N-1 "
            "dimensions of boundaries tensor and input value tensor must match, but we got "
            f"boundaries tensor {list(seq._data.shape)} and input value tensor "
            f"{list(values.shape)}")
    if sorter is not None:
        if sorter._data.shape != seq._data.shape:
            raise errors.EngineRuntimeError(
                "torch.searchsorted(): boundary and sorter must have the same size, but got "
                f"boundary tensor {list(seq._data.shape)}and got sorter tensor "
                f"{list(sorter._data.shape)}")
    if seq.dtype is bool_ and (scalar and type(input) is bool or
                               not scalar and input.dtype is bool_):
        raise _kernel_error("searchsorted_out_{dev}", seq)
    order = None if sorter is None else sorter._data.astype(np.int64)
    return _index_tensor(_search(xp, seq._data, values, s, order), seq.device, out_int32)


@op(kind="function", differentiable=False)
def bucketize(input, boundaries, *, out_int32=False, right=False):
    """For each value of ``input``, the index of its bucket among the 1-D ``boundaries``
    (``searchsorted(boundaries, input)``)."""
    if boundaries._data.ndim != 1:
        raise errors.EngineRuntimeError(
            f"boundaries tensor must be 1 dimension, but got dim({boundaries._data.ndim})")
    return searchsorted(boundaries, input, out_int32=out_int32, right=right)


# --------------------------------------------------------------------------- histc
def _edge_text(x: float, from_data: bool) -> str:
    if math.isnan(x):
        return "-nan" if from_data else "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return f"{x:g}"


@op(differentiable=False)
def histc(input, bins=100, min=0, max=0):
    """Counts of the elements in ``bins`` equal-width bins over ``[min, max]`` (the data's own
    range when both are equal); elements outside are ignored. Same dtype as ``input``."""
    if input.dtype is bool_:  # torch fails building the bin edges first
        raise _kernel_error("linspace_{dev}", input)
    if not input.dtype.is_floating_point:
        raise _kernel_error("histogram_{dev}", input)
    bins = int(bins)
    if bins <= 0:
        raise errors.EngineRuntimeError(
            f"torch.histogram(): bins must be > 0, but got {bins} for dimension 0")
    xp = input.device.xp
    data = input._data.reshape(-1)
    lo, hi = float(min), float(max)
    from_data = False
    if lo == hi and data.size:
        lo, hi, from_data = float(data.min()), float(data.max()), True
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise errors.EngineRuntimeError(
            f"torch.histc: range of [{_edge_text(lo, from_data)}, {_edge_text(hi, from_data)}] "
            "is not finite")
    if not lo < hi:
        raise errors.EngineRuntimeError("torch.histc: max must be larger than min")
    dt = input.dtype.np
    left, right = dt.type(lo), dt.type(hi)
    inside = data[(data >= left) & (data <= right)]
    with np.errstate(all="ignore"):  # PyTorch's formula, in the input's dtype
        pos = ((inside - left) * dt.type(bins) / (right - left)).astype(np.int64)
    pos = xp.minimum(pos, bins - 1)
    counts = xp.bincount(pos, minlength=bins)[:bins]
    return _wrap(counts.astype(dt), input.dtype, input.device)


# --------------------------------------------------------------------------- unique
def _no_derivative(name: str):
    def rule(g, *_):
        raise errors.KernelNotImplemented(f"the derivative for '{name}' is not implemented.")

    return rule


def _unique_result(input: Tensor, values, inverse, counts, return_inverse, return_counts,
                   node: str, op_name: str):
    xp = input.device.xp
    out = _wrap(xp.asarray(values).astype(input.dtype.np, order="C"), input.dtype,
                input.device)
    if needs_grad(input):
        record(out, node, (_no_derivative(op_name),), (input,))
    extra = []
    if return_inverse:
        extra.append(_index_tensor(inverse, input.device))
    if return_counts:
        extra.append(_index_tensor(counts, input.device))
    return (out, *extra) if extra else out


def _runs(xp, different):
    """From "this slice differs from the previous one" flags (n - 1 of them): each slice's run
    id, each run's start, and each run's length."""
    n = different.shape[0] + 1
    starts = xp.concatenate([xp.ones(1, dtype=bool), different])
    ids = xp.cumsum(starts) - 1
    first = xp.nonzero(starts)[0]
    lengths = xp.diff(xp.concatenate([first, xp.asarray([n])]))
    return ids, first, lengths


def _rows(input: Tensor, dim):
    """``input`` as rows: each slice along ``dim`` flattened (dim None: each element)."""
    xp = input.device.xp
    if dim is None:
        return input._data.reshape(-1, 1), None
    shape = input._data.shape
    if not shape:
        raise errors.EngineIndexError(f"Dimension specified as {dim} but tensor has no dimensions")
    d = norm_dim(dim, len(shape))
    if any(s == 0 for i, s in enumerate(shape) if i != d):
        raise errors.EngineRuntimeError(
            "There are 0 sized dimensions, and they aren't selected, so unique cannot be applied")
    moved = xp.moveaxis(input._data, d, 0)
    return moved.reshape(moved.shape[0], int(np.prod(moved.shape[1:]))), d


def _from_rows(input: Tensor, rows, d):
    xp = input.device.xp
    if d is None:
        return rows.reshape(-1)
    moved = xp.moveaxis(input._data, d, 0)
    return xp.moveaxis(rows.reshape((rows.shape[0],) + moved.shape[1:]), 0, d)


def _differs(xp, rows):
    # NaN never equals NaN: a NaN makes its slice unique, as in PyTorch
    if rows.shape[0] < 2:
        return xp.zeros(0, dtype=bool)
    return (rows[1:] != rows[:-1]).any(axis=1) if rows.shape[1] else \
        xp.zeros(rows.shape[0] - 1, dtype=bool)


def _sort_order_shows(xp, rows) -> bool:
    """Whether torch's unique(dim=...) order can differ from a stable lexicographic sort: its
    comparator lets a NaN compare neither way (the next column decides), and above 16 rows
    std::sort is not stable, so which of two rows equal but for the signs of zeros comes first
    (and is kept) is the algorithm's."""
    if rows.dtype.kind != "f" or rows.shape[0] < 2:
        return False
    return bool(xp.isnan(rows).any()) or rows.shape[0] > 16 and \
        bool((xp.signbit(rows) & (rows == 0)).any())


def _host_rows(xp, rows) -> list:
    return (rows if type(rows) is np.ndarray else xp.asnumpy(rows)).tolist()


def _std_sorted_rows(rows: list) -> list:
    """The row indices in the order torch's CPU unique_dim leaves them: libstdc++'s std::sort
    of 0..n-1 with "the first column where one row's value is below (above) the other's
    decides"; NaN (and a tie) passes to the next column; all columns passed: not less."""
    def less(a, b):
        for x, y in zip(rows[a], rows[b]):
            if x < y:
                return True
            if x > y:
                return False
        return False

    order = list(range(len(rows)))
    _stl.sort(order, 0, len(order), less)
    return order


@op(differentiable=False)
def unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None):
    """The distinct elements (or slices along ``dim``) in ascending order; optionally the index
    of each input element's value in them (``return_inverse``) and how often each occurs
    (``return_counts``). NaNs are all distinct."""
    xp = input.device.xp
    rows, d = _rows(input, dim)
    n = rows.shape[0]
    if d is not None and _sort_order_shows(xp, rows):
        order = xp.asarray(_std_sorted_rows(_host_rows(xp, rows)), dtype=np.int64)
    elif rows.shape[1] == 1:
        order = xp.argsort(rows[:, 0], kind="stable")
    else:  # lexicographic over the flattened slices, first column first
        order = xp.lexsort(rows.T[::-1]) if n else xp.zeros(0, dtype=np.int64)
    ordered = rows[order]
    ids, first, counts = _runs(xp, _differs(xp, ordered)) if n else \
        (xp.zeros(0, np.int64), xp.zeros(0, np.int64), xp.zeros(0, np.int64))
    inverse = xp.empty(n, dtype=np.int64)
    inverse[order] = ids
    values = _from_rows(input, ordered[first], d)
    if d is None:
        inverse = inverse.reshape(input._data.shape)
        if input._data.ndim == 0:
            values = values.reshape(1)
    node, name = ("Unique2Backward0", "_unique2") if d is None else \
        ("UniqueDimBackward0", "unique_dim")
    return _unique_result(input, values, inverse, counts, return_inverse, return_counts, node,
                          name)


@op(differentiable=False)
def unique_consecutive(input, return_inverse=False, return_counts=False, dim=None):
    """Each run of equal consecutive elements (or slices along ``dim``) collapsed to one;
    optionally the run index of each element and each run's length."""
    xp = input.device.xp
    rows, d = _rows(input, dim)
    n = rows.shape[0]
    ids, first, counts = _runs(xp, _differs(xp, rows)) if n else \
        (xp.zeros(0, np.int64), xp.zeros(0, np.int64), xp.zeros(0, np.int64))
    values = _from_rows(input, rows[first], d)
    inverse = ids.reshape(input._data.shape) if d is None else ids
    if d is None and input._data.ndim == 0:
        values = values.reshape(1)
    return _unique_result(input, values, inverse, counts, return_inverse, return_counts,
                          "UniqueConsecutiveBackward0", "unique_consecutive")


__all__ = ["argsort", "nonzero", "argwhere", "count_nonzero", "searchsorted", "bucketize",
           "histc", "unique", "unique_consecutive"]
