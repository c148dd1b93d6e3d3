"""Indexing: ``t[key]`` and ``t[key] = value`` with PyTorch's rules, and the index ops
(``gather``, ``index_select``, ``masked_fill``, ``index_put`` and their scatter twins).

Basic keys (ints, slices, None, Ellipsis) make views, one view op per key item as PyTorch does
(``SelectBackward0``, ``SliceBackward0``, ``UnsqueezeBackward0``, ``AliasBackward0``); integer
and boolean tensors (advanced indexing) then gather a copy (``IndexBackward0``), whose gradient
scatters back with accumulation for repeated indices. Each scatter op's gradient is the matching
gather and vice versa, so higher derivatives work.
"""

from __future__ import annotations

import operator
import warnings

import numpy as np

from .. import errors
from ..autograd import needs_grad, record
from ..autograd.engine import sum_to
from ..autograd.graph import FW_ACTIVE
from ..dtypes import (
    ALL,
    DEFAULT_INT,
    TYPE_NAMES,
    bool_,
    float16,
    float64,
    half_number,
    half_source,
)
from ..modes import _grad_enabled, no_grad
from ..tensor import Tensor, _wrap
from ._args import _C_TYPE_NAMES, broadcast_shape, check_fits, is_scalar, norm_dim
from .families import (
    apply_inplace,
    check_inplace,
    check_mem_overlap,
    check_overlap,
    has_overlap,
    inplace_twin,
    writing_into,
)
from .memory_format import as_row_major, preserve_copy
from .registry import op
from .shape import _fmt, alias, select_view, slice_view, unsqueeze

_INVALID_INDEX = ("only integers, slices (`:`), ellipsis (`...`), None and long or byte "
                  "Variables are valid indices (got {type})")
_ZERO_DIM_INDEX = ("invalid index of a 0-dim tensor. Use `tensor.item()` in Python or "
                   "`tensor.item<T>()` in C++ to convert a 0-dim tensor to a number")
_INDEX_DTYPE = "tensors used as indices must be long, int, byte or bool tensors"
_UINT8_INDEX = ("indexing with dtype torch.uint8 is now deprecated, please use a dtype "
                "torch.bool instead.")


# --------------------------------------------------------------------------- reading a key
def _as_items(key) -> tuple:
    if type(key) is tuple:
        return key
    # PyTorch (like old NumPy) reads a list holding sequences, slices, None or ... as a tuple
    if isinstance(key, list) and any(
            k is None or k is Ellipsis or isinstance(k, (list, tuple, range, slice, Tensor))
            for k in key):
        return tuple(key)
    return (key,)


def _classify(item):
    """One key item as (kind, payload): none, ellipsis, int, slice, bool, mask, adv."""
    if item is None:
        return "none", None
    if item is Ellipsis:
        return "ellipsis", None
    if isinstance(item, (bool, np.bool_)):
        return "bool", bool(item)
    if isinstance(item, (int, np.integer)):
        return "int", int(item)
    if isinstance(item, slice):
        return "slice", item
    if isinstance(item, Tensor):
        if item.dtype is bool_:
            return ("bool", bool(item.item())) if item._data.ndim == 0 else ("mask", item)
        if item.dtype.is_floating_point:
            raise errors.EngineIndexError(_INDEX_DTYPE)
        if item.dtype.name == "uint8":  # torch's old-style mask (a 0-d one: a bool, silently)
            if item._data.ndim == 0:
                return "bool", bool(item.item())
            warnings.warn(_UINT8_INDEX, UserWarning, stacklevel=4)
            return "mask", _wrap(item._data != 0, bool_, item.device)
        if item._data.ndim == 0:
            return "int", int(item.item())
        if item.dtype.name in ("int8", "int16"):
            raise errors.EngineIndexError(_INDEX_DTYPE)
        return "adv", item._data.astype(np.int64, copy=False)
    if isinstance(item, (list, tuple, range, np.ndarray)):  # torch reads a range as a list
        arr = np.asarray(item)
        if arr.dtype == np.bool_:
            return ("bool", bool(arr)) if arr.ndim == 0 else \
                ("mask", _wrap(arr, bool_))
        if arr.dtype.kind in "iu" or arr.size == 0:
            return "adv", arr.astype(np.int64)
        raise errors.EngineIndexError(_INDEX_DTYPE)
    raise errors.EngineIndexError(_INVALID_INDEX.format(type=type(item).__name__))


def _walk(t: Tensor, key, setting: bool = False):
    """Apply the basic part of ``key`` as views. Returns the view, the advanced part as a
    NumPy-style key over the view's dims (or None), and whether any view op ran. (A lone
    slice always makes a view when reading, as in PyTorch, but not when writing.)"""
    single_slice = isinstance(key, slice) and not setting
    items = [_classify(k) for k in _as_items(key)]
    ndim = t._data.ndim
    used = 0
    for kind, p in items:
        if kind in ("int", "slice", "adv"):
            used += 1
        elif kind == "mask":
            used += p._data.ndim
    if used > ndim:
        if ndim == 0:
            raise errors.EngineIndexError(_ZERO_DIM_INDEX)
        raise errors.EngineIndexError(f"too many indices for tensor of dimension {ndim}")

    cur, d, real, changed = t, 0, 0, False
    adv: dict = {}
    seen_ellipsis = False
    for kind, p in items:
        if kind == "none":
            cur, changed = unsqueeze(cur, d), True
            d += 1
        elif kind == "ellipsis":
            if not seen_ellipsis:
                d += ndim - used
                real += ndim - used
                seen_ellipsis = True
            continue
        elif kind == "int":
            n = cur._data.shape[d]
            if not -n <= p < n:
                raise errors.EngineIndexError(
                    f"index {p} is out of bounds for dimension {real} with size {n}")
            cur, changed = select_view(cur, d, p + n if p < 0 else p), True
        elif kind == "slice":
            n = cur._data.shape[d]
            start, stop, step = (None if v is None else operator.index(v)
                                 for v in (p.start, p.stop, p.step))
            if step is not None and step <= 0:
                raise errors.EngineValueError(
                    "slice step cannot be zero" if step == 0 else "step must be greater than zero")
            bounds = slice(start, stop, step).indices(n)
            if single_slice or bounds != (0, n, 1):
                cur, changed = slice_view(cur, d, *bounds), True
            d += 1
        elif kind == "bool":
            cur, changed = unsqueeze(cur, d), True
            adv[d] = np.arange(1 if p else 0, dtype=np.int64)
            d += 1
        elif kind == "mask":
            mshape = p._data.shape
            _check_mask_shape(mshape, cur._data.shape, d)
            for j, idx in enumerate(p.device.xp.nonzero(p._data)):
                adv[d + j] = idx
            d += len(mshape)
        else:
            adv[d] = p
            d += 1
        real += 1
    if not adv:
        return cur, None, changed
    return cur, _advanced_key(cur, adv), changed


def _advanced_key(cur: Tensor, adv: dict) -> tuple:
    """The NumPy key for the advanced part, checked: in range and broadcastable together."""
    xp = cur.device.xp
    shape = cur._data.shape
    arrays = []
    for k, (dim, idx) in enumerate(sorted(adv.items())):
        n = shape[dim]
        if idx.size:
            lo, hi = int(idx.min()), int(idx.max())
            bad = hi if hi >= n else lo if lo < -n else None
            if bad is not None:
                raise errors.EngineIndexError(
                    f"index {bad} is out of bounds for dimension {k} with size {n}")
        arrays.append(xp.asarray(idx))
    try:
        np.broadcast_shapes(*(a.shape for a in arrays))
    except ValueError:
        shapes = ", ".join(_fmt(a.shape) for a in arrays)
        raise errors.EngineIndexError(
            f"shape mismatch: indexing tensors could not be broadcast together with shapes "
            f"{shapes}") from None
    key = [slice(None)] * len(shape)
    for dim, a in zip(sorted(adv), arrays, strict=True):
        key[dim] = a
    return tuple(key)


def _check_mask_shape(mshape: tuple, shape: tuple, d: int) -> None:
    for j, m in enumerate(mshape):
        if d + j < len(shape) and shape[d + j] != m:
            raise errors.EngineIndexError(
                f"The shape of the mask {_fmt(mshape)} at index {j} does not match the "
                f"shape of the indexed tensor {_fmt(shape)} at index {d + j}")


def _key_from_indices(input: Tensor, indices) -> tuple:
    """``index_put``'s ``indices`` (tensors or None per leading dim) as a NumPy key."""
    adv, d = {}, 0
    for idx in indices:
        if idx is None:
            d += 1
            continue
        kind, p = _classify(idx)
        if kind == "mask":
            _check_mask_shape(p._data.shape, input._data.shape, d)
            for j, a in enumerate(p.device.xp.nonzero(p._data)):
                adv[d + j] = a
            d += p._data.ndim
        elif kind in ("adv", "int"):
            adv[d] = p.astype(np.int64, copy=False) if hasattr(p, "astype") else \
                np.asarray(p, dtype=np.int64)
            d += 1
        else:
            raise errors.EngineTypeError("index_put(): indices must be a tuple of Tensors")
    if d > input._data.ndim:
        raise errors.EngineIndexError(
            f"too many indices for tensor of dimension {input._data.ndim}")
    return _advanced_key(input, adv)


# --------------------------------------------------------------------------- gather / scatter
def _index(input: Tensor, key: tuple, indices: tuple = ()) -> Tensor:
    """``input[key]`` for an advanced NumPy key (a copy). ``indices``: the program's index
    tensors, which the node saves as torch's does (a backward after one of them changed in
    place raises; ``key`` reads their memory)."""
    shape = input._data.shape
    out = _wrap(input._data[key], input.dtype, input.device)
    if needs_grad(input):
        def rule(g):
            zeros = _wrap(g.device.xp.zeros(shape, dtype=g.dtype.np), g.dtype, g.device)
            return _index_put(zeros, key, g, True)

        record(out, "IndexBackward0", (rule,), (input,), guards=indices)
    return out


def _key_tensors(key) -> tuple:
    """The index tensors of a key as torch's index op receives them (integer and mask
    tensors; a 0-d integer one is a plain index)."""
    return tuple(k for k in _as_items(key) if isinstance(k, Tensor) and k._data.ndim and
                 not k.dtype.is_floating_point)


def _result_shape(shape: tuple, key: tuple) -> tuple:
    host = tuple(k if not hasattr(k, "shape") or isinstance(k, np.ndarray) else k.get()
                 for k in key)  # device index arrays: only their values matter here
    return np.broadcast_to(np.empty((), dtype=np.int8), shape)[host].shape


def _index_put(input: Tensor, key: tuple, values: Tensor, accumulate: bool,
               source: Tensor | None = None, indices: tuple = ()) -> Tensor:
    """A copy of ``input`` with ``values`` written (or added, repeats summed) at ``key``.
    ``source``: what ``values`` was cast from, the node's input in its place. (torch's
    index iterator checks the value's shape, then its dtype.) ``indices``: the program's index
    tensors, which the node saves as torch's does."""
    target = _result_shape(input._data.shape, key)
    vals = values._data
    try:
        fits = np.broadcast_shapes(vals.shape, target) == tuple(target)
    except ValueError:
        fits = False
    if not fits:
        raise errors.EngineRuntimeError(
            f"shape mismatch: value tensor of shape {_fmt(values._data.shape)} cannot be "
            f"broadcast to indexing result of shape {_fmt(target)}")
    if values.dtype is not input.dtype:
        raise errors.EngineRuntimeError(
            f"Index put requires the source and destination dtypes match, got "
            f"{input.dtype.scalar_name} for the destination and {values.dtype.scalar_name} "
            "for the source.")
    xp = input.device.xp
    arr = preserve_copy(input._data, xp)  # (torch's: clone(), then put in place)
    if accumulate:
        xp.add.at(arr, key, vals)
    else:
        arr[key] = vals
    out = _wrap(arr, input.dtype, input.device)
    if source is not None:
        values = source
    if needs_grad(input, values):
        def rule_input(g):
            if accumulate:
                return g
            return _index_put(g, key, _wrap(xp.zeros((), dtype=g.dtype.np), g.dtype, g.device),
                              False)
        record(out, "IndexPutBackward0", (rule_input, lambda g: _index(g, key)),
               (input, values), guards=indices)
    return out


@op(grad_fns=("IndexPutBackward0",))
def index_put(input, indices, values, accumulate=False):
    """A copy of ``input`` with ``values`` put at ``indices`` (a tuple of index tensors);
    ``accumulate`` adds instead, summing repeated indices."""
    if not accumulate and isinstance(indices, (tuple, list)):
        _refuse_byte_mask_fill(list(indices), values, input._data.shape)
    if not accumulate and isinstance(values, Tensor) and values.dtype is not input.dtype and \
            values._data.size == 1 and isinstance(indices, (tuple, list)) and \
            _single_mask("none" if i is None else _classify(i)[0] for i in indices):
        values = _mask_fill_value(values, input)
    return _index_put(input, _key_from_indices(input, indices), values, bool(accumulate),
                      indices=_key_tensors(tuple(indices)))


def _put_writes(target: Tensor, key: tuple, values: Tensor, accumulate: bool):
    """index_put_ into an expanded tensor: the values written (or added) one index after the
    other, as torch's serial kernel: the last write into a shared location wins, and
    accumulate adds every value into it."""
    xp = target.device.xp
    vals = values._data.astype(target.dtype.np, copy=False)

    def writes(arr):
        if accumulate:
            xp.add.at(arr, key, vals)
        else:
            arr[key] = vals
    return writes


def _warn_expanded_put(target: Tensor, indices_kinds, values, accumulate: bool) -> None:
    """torch's warnings for index_put_ into an expanded tensor; a one-element value under a
    single mask goes on to masked_fill_, which warns again."""
    warnings.warn(errors.EXPANDED_INDEX_PUT, UserWarning, stacklevel=4)
    if not accumulate and (not isinstance(values, Tensor) or values._data.size == 1) and \
            _single_mask(indices_kinds):
        warnings.warn(errors.EXPANDED_MASKED_FILL, UserWarning, stacklevel=4)


def _index_put_writes(self, indices, values, accumulate=False):
    key = _key_from_indices(self, indices)
    if not accumulate and values.dtype is not self.dtype and values._data.size == 1:
        values = _mask_fill_value(values, self)
    return _put_writes(self, key, values, bool(accumulate))


def _index_put_precheck(self, indices, values, accumulate=False):
    if has_overlap(self) and isinstance(indices, (tuple, list)) and \
            all(i is None or isinstance(i, Tensor) for i in indices):
        _warn_expanded_put(self, ["none" if i is None else _classify(i)[0] for i in indices],
                           values, bool(accumulate))


inplace_twin("index_put", index_put, expanded=(None, _index_put_writes),
             precheck=_index_put_precheck, overlap="full")


def _on(input: Tensor, index: Tensor):
    """``index``'s array on ``input``'s device (indices may live on the host, as in PyTorch)."""
    return index._data if index.device == input.device else input.device.xp.asarray(index._data)


def _check_index_tensor(index, what: str) -> None:
    if not isinstance(index, Tensor) or index.dtype.name not in ("int64", "int32"):
        raise errors.EngineRuntimeError(what)


def _along(index_shape: tuple, dim: int, index_arr, xp) -> tuple:
    """The full NumPy key that picks ``index`` along ``dim`` and the matching position
    elsewhere (what gather reads and scatter writes)."""
    n = len(index_shape)
    key = []
    for k, size in enumerate(index_shape):
        if k == dim:
            key.append(index_arr)
        else:
            key.append(xp.arange(size).reshape((1,) * k + (size,) + (1,) * (n - k - 1)))
    return tuple(key)


def _check_gather(name: str, input: Tensor, dim: int, index: Tensor) -> int:
    if not isinstance(index, Tensor) or index._data.size:  # (an empty index: any dtype)
        _check_index_tensor(index, f"{name}(): Expected dtype int32/int64 for index")
    ishape, xshape = index._data.shape, input._data.shape
    if len(ishape) != len(xshape) and not (index._data.ndim <= 1 and input._data.ndim <= 1):
        raise errors.EngineRuntimeError(
            "Index tensor must have the same number of dimensions as input tensor")
    d = norm_dim(dim, input._data.ndim)
    for k in range(len(ishape)):
        if k != d and ishape[k] > xshape[k]:
            raise errors.EngineRuntimeError(
                f"Size does not match at dimension {k} expected index {_fmt(ishape)} to be no "
                f"larger than self {_fmt(xshape)} apart from dimension {d}")
    if index._data.size:
        check_scatter_gather_bounds(index, xshape[d] if xshape else 1, d)
    return d


def check_scatter_gather_bounds(index: Tensor, n: int, d: int) -> None:
    """torch's gather/scatter kernels take no negative index; the text names the first bad
    one in the index's order."""
    idx = np.asarray(index._data)
    bad = (idx < 0) | (idx >= n)
    if bad.any():
        raise errors.EngineRuntimeError(
            f"index {int(idx.reshape(-1)[bad.reshape(-1).argmax()])} is out of bounds for "
            f"dimension {d} with size {n}")


@op(grad_fns=("GatherBackward0",))
def gather(input, dim, index, *, sparse_grad=False):
    """Values of ``input`` along ``dim`` at ``index`` (``out[i][j] = input[index[i][j]][j]``
    for dim 0)."""
    if sparse_grad:
        raise errors.NotSupported("gather(sparse_grad=True) is not supported")
    d = _check_gather("gather", input, dim, index)
    given = index  # (torch's node saves the input and this index)
    if index.dtype.is_floating_point or index.dtype is bool_:  # (an empty one: no values)
        index = _wrap(index._data.astype(np.int64), DEFAULT_INT, index.device)
    if input._data.ndim == 0:
        return _index(input.reshape(1), (index._data.reshape(-1),)).reshape(index._data.shape)
    key = _along(index._data.shape, d, _on(input, index), input.device.xp)
    shape = input._data.shape
    out = _wrap(as_row_major(input._data[key]), input.dtype, input.device)  # (torch: row-major)
    if needs_grad(input):
        def rule(g):
            zeros = _wrap(g.device.xp.zeros(shape, dtype=g.dtype.np), g.dtype, g.device)
            return scatter_add(zeros, d, index, g)

        record(out, "GatherBackward0", (rule,), (input,), guards=(input, given))
    return out


def _fit_grad(node: str, at: int, g: Tensor, shape: tuple) -> Tensor:
    """A gradient computed in another shape than its input's, as torch's engine checks it:
    summed down when the input's shape expands to it, refused otherwise."""
    got = tuple(g._data.shape)
    if got == tuple(shape):
        return g
    n = len(got) - len(shape)
    if n >= 0 and all(s in (1, h) for s, h in zip(shape, got[n:], strict=True)):
        return sum_to(g, tuple(shape))
    raise errors.EngineRuntimeError(
        f"Function {node} returned an invalid gradient at index {at} - got {list(got)} but "
        f"expected shape compatible with {list(shape)}")


def _check_scatter(name: str, input: Tensor, dim: int, index, src: Tensor | None) -> int:
    """torch's checks of a scatter's index (dtype, rank, sizes, bounds); the dimension."""
    if not isinstance(index, Tensor) or index.dtype.name not in ("int64", "int32") and \
            index._data.size:  # (torch checks an empty index's dtype not at all)
        raise errors.EngineRuntimeError(f"{name}(): Expected dtype int32/int64 for index")
    if src is not None and src.dtype is not input.dtype:
        raise errors.EngineRuntimeError(f"{name}(): Expected self.dtype to be equal to src.dtype")
    xshape, ishape = input._data.shape, index._data.shape
    d = norm_dim(dim, len(xshape))
    if index._data.size == 0:
        return d
    if len(ishape) != len(xshape) and not (len(ishape) <= 1 and len(xshape) <= 1):
        raise errors.EngineRuntimeError(
            "Index tensor must have the same number of dimensions as self tensor")
    if src is not None and len(ishape) != src._data.ndim and \
            not (len(ishape) <= 1 and src._data.ndim <= 1):
        raise errors.EngineRuntimeError(
            "Index tensor must have the same number of dimensions as src tensor")
    sshape = src._data.shape if src is not None else None
    bad_self = any(k != d and ishape[k] > (xshape[k] if xshape else 1)
                   for k in range(len(ishape)))
    bad_src = sshape is not None and any(ishape[k] > (sshape[k] if sshape else 1)
                                         for k in range(len(ishape)))
    if bad_self or bad_src:
        text = (f"Expected index {list(ishape)} to be no larger than self {list(xshape)} apart "
                f"from dimension {d}")
        if sshape is not None:
            text += f" and to be no larger size than src {list(sshape)}"
        raise errors.EngineRuntimeError(text)
    check_scatter_gather_bounds(index, xshape[d] if xshape else 1, d)
    return d


def _scatter_meta(self, dim=None, index=None, src=None, *_args, **kwargs) -> None:
    """scatter/scatter_add/scatter_reduce's dtype checks, which torch makes before the in-place
    write's overlap check (the index's bounds come after it)."""
    if not isinstance(index, Tensor):
        return
    if index.dtype.name not in ("int64", "int32") and index._data.size:
        raise errors.EngineRuntimeError("scatter(): Expected dtype int32/int64 for index")
    src = kwargs.get("src", src)
    if isinstance(src, Tensor) and src.dtype is not self.dtype:
        raise errors.EngineRuntimeError("scatter(): Expected self.dtype to be equal to src.dtype")


@op(grad_fns=("ScatterAddBackward0",))
def scatter_add(input, dim, index, src):
    """A copy of ``input`` with ``src`` added at ``index`` along ``dim`` (repeats summed)."""
    if isinstance(index, Tensor) and isinstance(src, Tensor):  # (torch's texts name scatter)
        d = _check_scatter("scatter", input, dim, index, src)
    else:
        d = _check_gather("scatter_add", input, dim, index)
    given = index  # (torch's node saves this index)
    if index.dtype.is_floating_point or index.dtype is bool_:  # (an empty one: no values)
        index = _wrap(index._data.astype(np.int64), DEFAULT_INT, index.device)
    ishape = index._data.shape
    xp = input.device.xp
    arr = input._data.copy()
    src_part = src._data[tuple(slice(0, n) for n in ishape)]
    if input._data.ndim:
        xp.add.at(arr, _along(ishape, d, _on(input, index), xp), src_part)
    elif index._data.size:
        arr[...] += src_part.reshape(())
    out = _wrap(arr, input.dtype, input.device)
    if needs_grad(input, src):
        src_shape = src._data.shape

        def rule_src(g):
            # torch's formula gathers an index-shaped gradient, which its engine then checks
            # against src's shape
            return _fit_grad("ScatterAddBackward0", 1, gather(g, d, index), src_shape)

        def jvp(ts):  # linear in both: torch's self_t.scatter_add(dim, index, src_t)
            t_in = input.new_zeros(input.shape) if ts[0] is None else ts[0]
            return scatter_add(t_in, dim, index, src.new_zeros(src.shape) if ts[1] is None
                               else ts[1])

        record(out, "ScatterAddBackward0", (lambda g: g, rule_src), (input, src), jvp=jvp,
               guards=(given,) if needs_grad(src) else ())  # (only src's reads it)
    return out


inplace_twin("scatter_add", scatter_add, precheck=_scatter_meta, overlap="full")


def _check_index_vector(name: str, index) -> None:
    if not isinstance(index, Tensor) or index.dtype.name not in ("int64", "int32"):
        raise errors.EngineRuntimeError(f"{name}(): Expected dtype int32 or int64 for index")
    if index._data.ndim > 1:
        raise errors.EngineIndexError(f"{name}(): Index is supposed to be a vector")


@op(grad_fns=("IndexSelectBackward0",))
def index_select(input, dim, index):
    """The slices of ``input`` at the positions ``index`` (1-D) along ``dim``."""
    _check_index_vector("index_select", index)
    shape = input._data.shape
    d = norm_dim(dim, len(shape))
    idx = _on(input, index).reshape(-1)
    n = shape[d] if shape else 1
    if not shape and idx.size != 1:
        raise errors.EngineRuntimeError("index_select(): Index to scalar can have only 1 value, "
                                        f"got {idx.size} value(s)")
    if idx.size and (int(idx.max()) >= n or int(idx.min()) < 0):  # no negative indices
        if len(shape) > 1 and d == 1:  # torch's dim-1 kernel names the first bad index
            bad = int(idx[((idx < 0) | (idx >= n)).argmax()])
            raise errors.EngineRuntimeError(
                f"INDICES element is out of DATA bounds, id={bad} axis_dim={n}")
        raise errors.EngineIndexError("index out of range in self")
    data = input._data if shape else input._data.reshape(1)
    out = _wrap(input.device.xp.take(data, idx, axis=d), input.dtype, input.device)
    if not shape:
        out._data = out._data.reshape(())
    if needs_grad(input):
        def rule(g):
            zeros = _wrap(g.device.xp.zeros(shape, dtype=g.dtype.np), g.dtype, g.device)
            return index_add(zeros, d, index, g)

        record(out, "IndexSelectBackward0", (rule,), (input,), guards=(index,))
    return out


def index_func_meta(func: str, input: Tensor, dim, index: Tensor, source: Tensor) -> int:
    """torch's argument checks of index_add / index_reduce, in its order (its meta function:
    before the in-place write's overlap checks, before the index's bounds); the dimension."""
    shape = input._data.shape
    d = norm_dim(dim, len(shape))
    if index._data.ndim > 1:
        raise errors.EngineIndexError(
            f"{func}_(): Index is supposed to be a vector, but got dim: {index._data.ndim} with "
            f"type: {index.dtype.scalar_name} and size: {list(index._data.shape)}")
    if index.dtype.name not in ("int64", "int32"):
        raise errors.EngineRuntimeError(
            f"{func}_(): Expected dtype int32/int64 for index but got: "
            f"{index.dtype.scalar_name}")
    if source.dtype is not input.dtype:
        raise errors.EngineRuntimeError(
            f"{func}_(): self ({input.dtype.scalar_name}) and source "
            f"({source.dtype.scalar_name}) must have the same scalar type")
    sshape = source._data.shape
    if d != 0 and d >= len(sshape):
        raise errors.EngineRuntimeError(
            f"{func}_(): Indexing dim {d} is out of bounds of the source tensor with dim "
            f"{len(sshape)}")
    n_idx = index._data.size
    at = sshape[d] if sshape else 1
    if n_idx != at:
        if not sshape:  # (torch's text asks the 0-d source for its size at dim 0 and fails)
            raise errors.EngineIndexError("Dimension specified as 0 but tensor has no dimensions")
        raise errors.EngineRuntimeError(
            f"{func}_(): Number of indices ({n_idx}) should be equal to "
            f"source.size(dim): ({at}), for dim: {d}")
    same = len(shape) == len(sshape) and all(
        a == b for k, (a, b) in enumerate(zip(shape, sshape, strict=True)) if k != d)
    if not same:
        raise errors.EngineRuntimeError(
            "source tensor shape must match self tensor shape, excluding the specified "
            f"dimension. Got self.shape = {list(shape)} source.shape = {list(sshape)}")
    return d


def _index_add_bounds(idx, shape: tuple, d: int) -> None:
    """torch's index_add kernels take no negative index; a 2-d or larger self along its first
    or last dim goes through scatter_add's kernel, with its text naming the first bad index."""
    n = shape[d] if shape else 1
    bad = (idx < 0) | (idx >= n)
    if not bad.any():
        return
    if len(shape) >= 2 and d in (0, len(shape) - 1):
        raise errors.EngineRuntimeError(
            f"index {int(idx[bad.argmax()])} is out of bounds for dimension {d} with size {n}")
    raise errors.EngineIndexError("index out of range in self")


def _index_add_meta(self, dim=None, index=None, source=None, *_args, **_kwargs) -> None:
    if isinstance(index, Tensor) and isinstance(source, Tensor) and isinstance(dim, int):
        index_func_meta("index_add", self, dim, index, source)


@op(grad_fns=("IndexAddBackward0",))
def index_add(input, dim, index, source, *, alpha=1):
    """A copy of ``input`` with ``alpha * source`` added at the positions ``index`` along
    ``dim`` (repeats summed)."""
    if not isinstance(index, Tensor):
        _check_index_vector("index_add", index)
    d = index_func_meta("index_add", input, dim, index, source)
    shape = input._data.shape
    added = source._data
    if alpha != 1:  # (inside the one IndexAddBackward0 node, as torch's)
        if not input.dtype.is_floating_point and not isinstance(alpha, bool):
            alpha = int(alpha)  # torch takes alpha in the integer type (2.5 adds 2x)
        added = (source * alpha)._data if source.dtype.name == "bool" else \
            (added * alpha).astype(added.dtype, copy=False)
    xp = input.device.xp
    arr = input._data.copy()
    idx = _on(input, index).reshape(-1)
    _index_add_bounds(idx, shape, d)
    if shape:
        xp.add.at(arr, (slice(None),) * d + (idx,), added)
    else:
        arr[...] += added.reshape(()) * idx.size
    out = _wrap(arr, input.dtype, input.device)
    if needs_grad(input, source):
        def source_grad(g):
            picked = index_select(g, d, index).reshape(source._data.shape)
            return picked if alpha == 1 else picked * alpha

        # (torch's node saves the index and the source for the source's gradient only)
        record(out, "IndexAddBackward0", (lambda g: g, source_grad), (input, source),
               guards=(index, source) if needs_grad(source) else ())
    return out


inplace_twin("index_add", index_add, precheck=_index_add_meta, overlap="full")


def _check_mask(mask) -> None:
    if not isinstance(mask, Tensor) or mask.dtype is not bool_:
        # by the dtype's name: a NumPy array given to the engine is named as its tensor's
        dt = getattr(getattr(mask, "dtype", None), "name", "")
        name = next((d.c_name for d in ALL if d.name == dt and d is not bool_), "?")
        raise errors.EngineRuntimeError(
            f"masked_fill_ only supports boolean masks, but got mask with dtype {name}")


@op(grad_fns=("MaskedFillBackward0", "MaskedFillBackward1"))
def masked_fill(input, mask, value):
    """``input`` with ``value`` (a number or a 0-d tensor) where ``mask`` is True."""
    _check_mask(mask)
    xp = input.device.xp
    tensor_value = isinstance(value, Tensor)
    if tensor_value:
        if value._data.ndim != 0:
            raise errors.EngineRuntimeError(
                "masked_fill_ only supports a 0-dimensional value tensor, but got tensor with "
                f"{value._data.ndim} dimension(s).")
        check_fits(value._data.item(), input.dtype)  # (torch reads the value as a number)
        fill = (half_source(value._data) if input.dtype is float16 else value._data).astype(
            input.dtype.np)
    elif is_scalar(value):
        value = check_fits(value, input.dtype)
        fill = xp.asarray(value).astype(input.dtype.np)
    else:
        raise errors.EngineTypeError(
            f"masked_fill(): argument 'value' must be Number or Tensor, not "
            f"{type(value).__name__}")
    from ..modes import check_numel

    check_numel(broadcast_shape(mask._data.shape, input._data.shape))  # (torch's order)
    out = _wrap(as_row_major(xp.where(mask._data, fill, input._data)), input.dtype,
                input.device)  # (torch: a row-major clone, filled)
    if needs_grad(input, value):
        keep = _wrap(xp.logical_not(mask._data), bool_, mask.device)
        if tensor_value:
            record(out, "MaskedFillBackward1",
                   (lambda g: g.masked_fill(mask, 0), lambda g: g.masked_fill(keep, 0).sum()),
                   (input, value), guards=(mask,))
        else:  # a number is no input of the node
            record(out, "MaskedFillBackward0", (lambda g: g.masked_fill(mask, 0),), (input,),
                   guards=(mask,))
    return out


def _masked_fill_writes(self, mask, value):
    """masked_fill_ into an expanded tensor: only the positions under the mask are written."""
    fill = value._data if isinstance(value, Tensor) else np.asarray(value)
    fill = (half_source(fill) if self.dtype is float16 else fill).astype(self.dtype.np)

    def writes(arr):
        arr[self.device.xp.broadcast_to(mask._data, arr.shape)] = fill
    return writes


def _masked_fill_precheck(self, *args, **kwargs) -> None:
    """torch's masked_fill_ reads the mask's dtype before looking at the target's memory."""
    if args or "mask" in kwargs:
        mask = args[0] if args else kwargs["mask"]
        _check_mask(mask)
        if isinstance(mask, Tensor):  # the mask must broadcast to the target (its text)
            broadcast_shape(self._data.shape, mask._data.shape)


inplace_twin("masked_fill", masked_fill, precheck=_masked_fill_precheck,
             expanded=(errors.EXPANDED_MASKED_FILL, _masked_fill_writes), overlap=None)


# --------------------------------------------------------------------------- t[key]
@op(kind="method", grad_fns=("SelectBackward0", "SliceBackward0", "UnsqueezeBackward0",
                             "AliasBackward0", "IndexBackward0"))
def getitem(self, key):
    """``self[key]``: basic indexing gives a view, integer/boolean tensors a copy."""
    cur, adv, changed = _walk(self, key)
    if adv is not None:
        return _index(cur, adv, _key_tensors(key))
    return cur if changed else alias(cur)


def _strip_leading_ones(value: Tensor, ndim: int) -> Tensor:
    shape = value._data.shape
    k = 0
    while len(shape) - k > ndim and shape[k] == 1:
        k += 1
    return value.reshape(shape[k:]) if k else value


def _overwrite(target: Tensor, value) -> Tensor:
    """What ``target`` holds after ``target[...] = value``, recorded as PyTorch's fill/copy
    (no gradient to the old contents)."""
    from .creation import zeros_like

    xp = target.device.xp
    # PyTorch: copy_ when the value has the target's shape (a number is a 0-d value), else
    # fill_ for a 0-d value, else copy_ of the expanded value
    fill = target._data.ndim > 0 and (not isinstance(value, Tensor) or value._data.ndim == 0)
    if isinstance(value, Tensor):
        src = value
        if not fill and value._data.shape != target._data.shape:
            # torch's copy_to: a view without the leading ones, expanded only if still needed
            shape = value._data.shape
            k = 0
            while len(shape) - k > target._data.ndim and shape[k] == 1:
                k += 1
            src = value.view(shape[k:])
            if src._data.shape != target._data.shape:
                src = src.expand(target._data.shape)
        if src.dtype is not target.dtype and not fill:  # (fill_ casts as it writes: the
            src = src.to(target.dtype)                    # node's input is the value itself)
        arr = xp.array(xp.broadcast_to(src._data, target._data.shape), dtype=target.dtype.np)
    else:
        src = None
        arr = xp.full(target._data.shape, value, dtype=target.dtype.np)
    out = _wrap(arr, target.dtype, target.device)
    if needs_grad(target, src):
        record(out, "FillBackward3" if fill else "CopyBackwards",
               (lambda g: zeros_like(g), (lambda g: g.sum()) if fill else (lambda g: g)),
               (target, src))
    return out


@op(kind="method", inplace=True, grad_fns=("CopySlices", "IndexPutBackward0", "CopyBackwards",
                                           "FillBackward3"))
def setitem(self, key, value):
    """``self[key] = value`` in place (value: a number or a broadcastable tensor, cast to
    ``self``'s dtype); views of ``self`` see the write."""
    value = _assigned_value(value, self.dtype)
    _refuse_byte_mask_fill(_as_items(key), value)
    target, adv, _ = _walk(self, key, setting=True)
    try:
        check_inplace(target)
    except errors.EngineRuntimeError:
        if adv is None and isinstance(value, Tensor) and value._data.ndim:
            with no_grad():  # torch expands the value to the target's shape before its copy_
                _strip_leading_ones(value, target._data.ndim).expand(target._data.shape)
        raise
    if isinstance(value, Tensor) and adv is not None:
        value = _strip_leading_ones(value, len(_result_shape(target._data.shape, adv)))
    if isinstance(value, Tensor) and value._data.ndim and (adv is None or value._data.size > 1):
        # torch: copy_ (partial overlap refused), or index_put_ (any; one element under a
        # mask is masked_fill_'s, unchecked)
        if 0 in target._data.strides and adv is None:
            check_overlap(target)
        check_mem_overlap(target, (value,), full=adv is not None)
    if adv is None:
        if _grad_enabled.get() and (target.requires_grad or
                                    (isinstance(value, Tensor) and value.requires_grad)) or \
                FW_ACTIVE[0]:  # the target (or its base) may carry a tangent
            writing_into(target, _write, target, value)
        else:
            check_overlap(target)
            v = value
            if isinstance(v, Tensor):
                v = _strip_leading_ones(v, target._data.ndim).expand(target._data.shape)._data
                if target.dtype is float16:
                    v = half_source(v)  # (a double reaches half through float, as in C++)
            target._data[...] = v
            target._vc[0] += 1
        return None
    kinds = None
    if has_overlap(target) or isinstance(value, Tensor) and value.dtype is not target.dtype:
        kinds = [_classify(k)[0] for k in _as_items(key)]
    if not isinstance(value, Tensor):
        value = _wrap(target.device.xp.asarray(value, dtype=target.dtype.np), target.dtype,
                      target.device)
    elif kinds is not None and value.dtype is not target.dtype and value._data.size == 1 and \
            _single_mask(kinds):
        # torch's node takes the value itself as its input (into an integer tensor too)
        source, value = value, _mask_fill_value(value, target)
        writing_into(target, _write_at, target, adv, value, source, kinds, _key_tensors(key))
        return None
    writing_into(target, _write_at, target, adv, value, None, kinds, _key_tensors(key))
    return None


def _write(target: Tensor, value) -> None:
    apply_inplace(target, _overwrite(target, value))


def _write_at(target: Tensor, key: tuple, value: Tensor, source: Tensor | None = None,
              kinds=None, indices: tuple = ()) -> None:
    writes = None
    if kinds is not None and has_overlap(target):  # torch writes through an expanded tensor
        _warn_expanded_put(target, kinds, value, False)
        writes = _put_writes(target, key, value, False)
    apply_inplace(target, _index_put(target, key, value, False, source, indices),
                  overlap_ok=True, writes=writes)


def _assigned_value(value, dt):
    """The value of ``t[key] = value`` as torch reads it, before the key: a tensor, or a
    Python number checked against the destination's dtype (an int must fit in 64 bits, a float
    in the dtype's range, half read as double; a complex number needs a zero imaginary part);
    anything else (lists included) is refused."""
    if isinstance(value, Tensor):
        return value
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, np.integer)):
        value = int(value)
        if not -2 ** 63 <= value < 2 ** 63:
            raise errors.EngineValueError("Overflow when unpacking long long")
    elif isinstance(value, complex):
        if value.imag != 0 and dt is not bool_:
            name = "double" if dt.name == "float16" else _C_TYPE_NAMES[dt.name]
            raise errors.EngineRuntimeError(
                f"value cannot be converted to type {name} without overflow")
        value = bool(value) if dt is bool_ else value.real
    elif not isinstance(value, float):  # (NumPy's float64 is a float, its float32 is not)
        kind = type(value)
        name = f"numpy.{kind.__name__}" if kind.__module__ == "numpy" else kind.__name__
        raise errors.EngineTypeError(f"can't assign a {name} to a torch.{TYPE_NAMES[dt]}")
    if dt.name == "float16":  # (checked as a double, written through float: C++'s Half)
        return half_number(check_fits(value, float64))
    return check_fits(value, dt)


def _refuse_byte_mask_fill(items, value, shape: tuple | None = None) -> None:
    """A one-element value under a single uint8 mask: torch hands it to ``masked_fill_``,
    which takes only bool masks (before the uint8 index's deprecation warning)."""
    if isinstance(value, Tensor) and value._data.size != 1:
        return
    masks = [i for i in items if isinstance(i, Tensor) and i._data.ndim > 0 and
             i.dtype.name in ("uint8", "bool")]
    if len(masks) != 1 or masks[0].dtype is bool_ or any(
            isinstance(i, (list, tuple, np.ndarray, bool, np.bool_)) or
            isinstance(i, Tensor) and i is not masks[0] and
            (i._data.ndim > 0 or i.dtype is bool_) for i in items):
        return
    if shape is not None:  # index_put_: the mask's shape is checked first
        _check_mask_shape(masks[0]._data.shape, shape,
                          next(k for k, i in enumerate(items) if i is masks[0]))
    _check_mask(masks[0])


def _single_mask(kinds) -> bool:
    """Is the advanced part of an index one boolean mask (the rest full slices)? torch writes
    a one-element value there as ``masked_fill_`` does: cast to the destination's dtype."""
    kinds = list(kinds)
    return kinds.count("mask") == 1 and "adv" not in kinds and "bool" not in kinds


def _mask_fill_value(value: Tensor, target: Tensor) -> Tensor:
    # masked_fill_ reads the value as a number: it must fit the destination's dtype
    check_fits(value._data.reshape(()).item(), target.dtype)
    if target.dtype.is_floating_point:
        return value.to(target.dtype)
    with no_grad():
        return value.to(target.dtype)


__all__ = ["getitem", "setitem", "index_put", "gather", "scatter_add", "index_select",
           "index_add", "masked_fill"]
