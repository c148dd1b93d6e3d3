"""The scatter family beside ``gather`` / ``scatter_add`` (indexing.py): ``scatter`` (a tensor
or a number, optionally with the old ``reduce='add'|'multiply'``), ``scatter_reduce`` (sum,
prod, mean, amax, amin, with or without ``self``), ``take``, ``take_along_dim`` and
``masked_select``, with torch's node names. Each gradient is written with table ops (gather,
scatter, masked_fill ...), so second derivatives come from those ops' own rules, as torch's
formulas compose them."""

from __future__ import annotations

import numpy as np

from .. import errors
from ..autograd import OUTPUT, needs_grad, record
from ..autograd.engine import sum_to
from ..dtypes import bool_, float16, half_number
from ..modes import is_grad_enabled
from ..tensor import Tensor, _wrap
from ._args import broadcast_pair, check_fits, check_scalar_int, is_scalar, norm_dim
from .families import inplace_twin
from .indexing import (
    _along,
    _check_scatter,
    _fit_grad,
    _on,
    _scatter_meta,
    gather,
    scatter_add,
)
from .memory_format import as_preserved, preserve_copy
from .registry import op
from .strided import clone_preserve_strides


def _key(input: Tensor, d: int, index: Tensor):
    """The NumPy key of the positions a scatter writes (``input`` at least 1-d)."""
    idx = _on(input, index)
    if idx.ndim == 0:
        idx = idx.reshape(1)
    return _along(idx.shape, d, idx, input.device.xp)


def _src_part(src: Tensor, index: Tensor):
    arr = src._data if src._data.ndim else src._data.reshape(1)
    ishape = index._data.shape or (1,)
    return arr[tuple(slice(0, n) for n in ishape)]


def _as_1d(arr):
    return arr if arr.ndim else arr.reshape(1)


def _scatter_value(input: Tensor, value) -> object:
    """A number written into ``input``'s dtype as torch casts it (2.7 into int64 is 2)."""
    if isinstance(value, Tensor):
        value = value._data.reshape(()).item()
    if input.dtype is float16:  # (a Scalar reaches half through float)
        value = half_number(float(value)) if isinstance(value, float) else value
    return np.asarray(value).astype(input.dtype.np)


_OLD_REDUCE = {"add": "add", "multiply": "multiply"}


@op(grad_fns=("ScatterBackward0", "ScatterBackward1", "NotImplemented"))
def scatter(input, dim, index, src=None, *, value=None, reduce=None):
    """A copy of ``input`` with ``src`` (a tensor, or the number ``value``) written along
    ``dim`` at ``index`` (``out[index[i][j]][j] = src[i][j]`` for dim 0)."""
    if src is None and value is None:
        raise errors.EngineTypeError(
            "scatter() missing 1 required positional arguments: \"src\"")
    if src is not None and value is not None:
        raise errors.EngineTypeError("scatter() got multiple values for argument 'src'")
    if src is None:
        src = value
    tensor_src = isinstance(src, Tensor)
    if not tensor_src and not is_scalar(src):
        raise errors.EngineTypeError(
            f"scatter() received an invalid combination of arguments - got (Tensor, int, "
            f"Tensor, {type(src).__name__}), but expected one of:\n"
            " * (Tensor input, int dim, Tensor index, Tensor src, *, Tensor out = None)\n"
            " * (Tensor input, int dim, Tensor index, Tensor src, *, str reduce, Tensor out = "
            "None)\n"
            " * (Tensor input, int dim, Tensor index, Number value, *, Tensor out = None)\n"
            " * (Tensor input, int dim, Tensor index, Number value, *, str reduce, Tensor out = "
            "None)")
    if reduce is not None and reduce not in _OLD_REDUCE:
        raise errors.EngineRuntimeError("reduce argument must be either add or multiply.")
    d = _check_scatter("scatter", input, dim, index, src if tensor_src else None)
    xp = input.device.xp
    arr = _as_1d(input._data.copy())
    if index._data.size:
        key = _key(input, d, index)
        part = _src_part(src, index) if tensor_src else _scatter_value(input, src)
        if reduce is None:
            arr[key] = part
        else:
            getattr(xp, _OLD_REDUCE[reduce]).at(arr, key, part)
    out = _wrap(arr.reshape(input._data.shape), input.dtype, input.device)
    inputs = (input, src) if tensor_src else (input,)
    if needs_grad(*inputs):
        if reduce is not None:
            def refuse(g):
                raise errors.EngineRuntimeError(errors.NO_DERIVATIVE.format(op="scatter"))

            record(out, "NotImplemented", (refuse,) * len(inputs), inputs)
        elif tensor_src:
            sshape = src._data.shape

            def jvp(ts):  # linear in both: torch's self_t.scatter(dim, index, src_t)
                t_in = input.new_zeros(input.shape) if ts[0] is None else ts[0]
                return scatter(t_in, d, index, src.new_zeros(sshape) if ts[1] is None
                               else ts[1])

            record(out, "ScatterBackward0",
                   (lambda g: scatter(g, d, index, 0),
                    lambda g: _fit_grad("ScatterBackward0", 1, gather(g, d, index), sshape)),
                   inputs, jvp=jvp, guards=(index,))
        else:
            record(out, "ScatterBackward1", (lambda g: scatter(g, d, index, 0),), inputs,
                   guards=(index,),
                   jvp=lambda ts: scatter(ts[0], d, index, 0))
    return out


inplace_twin("scatter", scatter, precheck=_scatter_meta, overlap="full")


_REDUCES = ("sum", "prod", "mean", "amax", "amin")


def _identity(reduce: str, dtype):
    if reduce in ("sum", "mean"):
        return 0
    if reduce == "prod":
        return 1
    if dtype.kind == "f":
        return -np.inf if reduce == "amax" else np.inf
    if dtype.kind == "b":
        return reduce == "amin"
    info = np.iinfo(dtype)
    return info.min if reduce == "amax" else info.max


def _scatter_reduce_array(input: Tensor, d: int, index: Tensor, src: Tensor, reduce: str,
                          include_self: bool):
    xp = input.device.xp
    arr = _as_1d(input._data.copy())
    if not index._data.size:
        return arr.reshape(input._data.shape)
    key = _key(input, d, index)
    part = _src_part(src, index)
    if not include_self:
        arr[key] = _identity(reduce, arr.dtype)
    ufunc = {"sum": xp.add, "mean": xp.add, "prod": xp.multiply, "amax": xp.maximum,
             "amin": xp.minimum}[reduce]
    if arr.dtype.kind == "b" and reduce in ("sum", "mean"):
        ufunc = xp.logical_or
    elif arr.dtype.kind == "b" and reduce == "prod":
        ufunc = xp.logical_and
    orig = arr.copy() if include_self and reduce in ("amax", "amin") and \
        arr.dtype.kind == "f" else None
    ufunc.at(arr, key, part)
    if reduce in ("amax", "amin") and arr.dtype.kind == "f":
        _first_zero_wins(xp, arr, orig, key, part)
    if reduce == "mean":
        count = xp.full(arr.shape, 1 if include_self else 0, dtype=np.int64)
        xp.add.at(count, key, 1)
        count = xp.maximum(count, 1)
        if arr.dtype.kind == "f":
            arr = (arr / count).astype(arr.dtype)
        elif arr.dtype.kind != "b":
            arr = xp.floor_divide(arr, count).astype(arr.dtype)
    return arr.reshape(input._data.shape)


def _first_zero_wins(xp, arr, orig, key, part) -> None:
    """The sign of a zero ``amax``/``amin`` result as torch's loop leaves it: the value so far
    is replaced only by a strictly greater (smaller) one, so of equal zeros the first wins:
    ``self``'s (``orig``, when included), else the first source along the dim."""
    done = arr == 0
    if not done.any():
        return
    zero = part == 0
    if zero.any():
        flat = xp.ravel_multi_index(tuple(xp.broadcast_to(k, zero.shape)[zero] for k in key),
                                    arr.shape)
        pos, first = xp.unique(flat, return_index=True)  # (C order: along the dim, in order)
        keep = done.reshape(-1)[pos]
        arr.reshape(-1)[pos[keep]] = part[zero][first[keep]]  # (arr: a C-contiguous copy)
    if orig is not None:
        own = done & (orig == 0)
        arr[own] = orig[own]


@op(grad_fns=("ScatterReduceBackward0",))
def scatter_reduce(input, dim, index, src, reduce, *, include_self=True):
    """A copy of ``input`` where the values of ``src`` sent along ``dim`` to one position by
    ``index`` are reduced (sum, prod, mean, amax, amin) with it (``include_self``) or replace it
    (positions no index names keep ``input``'s value)."""
    if not isinstance(src, Tensor):
        raise errors.EngineTypeError(
            f"scatter_reduce(): argument 'src' (position 4) must be Tensor, not "
            f"{type(src).__name__}")
    given = reduce
    reduce = {"max": "amax", "min": "amin"}.get(reduce, reduce)  # torch's older names
    if reduce not in _REDUCES:
        raise errors.EngineRuntimeError(
            f"reduce argument must be either sum, prod, mean, amax or amin, got {reduce}")
    d = _check_scatter("scatter", input, dim, index, src)
    include_self = bool(include_self)
    out = _wrap(_scatter_reduce_array(input, d, index, src, reduce, include_self), input.dtype,
                input.device)
    if needs_grad(input, src):
        sshape = src._data.shape

        def rule(g, needs, input, src, out):
            if given != reduce:  # torch computes the old names but has no gradient for them
                raise errors.EngineRuntimeError(
                    "Expected 'reduce' to be one of 'sum', 'prod', 'mean', 'amax', 'amin' but "
                    f"got {given}.")
            gs, gsrc = _scatter_reduce_grads(g, input, d, index, src, reduce, include_self, out)
            return gs, _fit_grad("ScatterReduceBackward0", 1, gsrc, sshape)

        # (saved: in place, the node keeps ``input``'s old value, as torch's original_self)
        record(out, "ScatterReduceBackward0", rule, (input, src), (input, src, OUTPUT),
               per_input=False)
    return out


inplace_twin("scatter_reduce", scatter_reduce, precheck=_scatter_meta, overlap="full")


def _scatter_reduce_grads(g: Tensor, input: Tensor, d: int, index: Tensor, src: Tensor,
                          reduce: str, include_self: bool, result: Tensor):
    """The gradients of ``scatter_reduce`` for ``input`` and ``src``, from table ops."""
    from .registry import OPS

    where, masked_fill = OPS["where"].fn, OPS["masked_fill"].fn
    if reduce == "sum":
        g_self, g_src = g, gather(g, d, index)
    elif reduce == "mean":
        n = g.new_ones(g.shape) if include_self else g.new_zeros(g.shape)
        n = scatter_add(n, d, index, src.new_ones(src.shape).detach())
        n = masked_fill(n, n == 0, 1)
        g_self = g / n
        g_src = gather(g, d, index) / gather(n, d, index)
    elif reduce in ("amax", "amin"):
        value = gather(result, d, index)
        self_is = (input == result).to(g.dtype)
        src_is = (src == value).to(g.dtype)
        count = scatter_add(self_is, d, index, src_is)
        share = g / count
        g_self = self_is * share
        g_src = src_is * gather(share, d, index)
    else:  # prod: the product of the others at each position, zeros counted apart
        self_nz = masked_fill(input, input == 0, 1)
        self_result = scatter_reduce(self_nz, d, index, src, "prod", include_self=include_self)
        g_self = g * self_result / self_nz
        src_zero = src == 0
        zeros_at = gather(scatter_add(g.new_zeros(g.shape), d, index,
                                      src_zero.to(g.dtype).detach()), d, index)
        single = src_zero & (zeros_at == 1)
        src_nz = masked_fill(src, single, 1)
        src_result = scatter_reduce(input, d, index, src_nz, "prod", include_self=include_self)
        g_src = where(single, gather(g * src_result, d, index),
                      gather(g * result, d, index) / masked_fill(src, src_zero, 1))
        if is_grad_enabled() and bool((zeros_at._data > 1).any()):
            g_src = delayed_error(g_src, "scatter_reduce(): Double backward is unsupported for "
                                  "src when >1 zeros in src are scattered to the same "
                                  "position in self")
    if not include_self:
        g_self = scatter(g_self, d, index, 0)
    return g_self, g_src


def delayed_error(t: Tensor, message: str) -> Tensor:
    """``t`` (sharing its data) behind torch's ``Error`` node: a gradient computed under
    ``create_graph`` whose own gradient torch refuses, raising ``message`` only if reached."""
    out = _wrap(t._data, t.dtype, t.device)

    def refuse(g):
        raise errors.EngineRuntimeError(message)

    record(out, "Error", (refuse,), (t,))
    return out


@op(grad_fns=("TakeBackward0",))
def take(input, index):
    """The elements of ``input`` (read as 1-D, row-major) at ``index``, shaped like ``index``."""
    if not isinstance(index, Tensor):
        raise errors.EngineTypeError(
            f"take(): argument 'index' (position 2) must be Tensor, not {type(index).__name__}")
    if index.dtype.name != "int64":
        raise errors.EngineRuntimeError(
            "take(): Expected a long tensor for index, but got " + index.dtype.scalar_name)
    n = input._data.size
    idx = _on(input, index)
    if idx.size:
        if n == 0:
            raise errors.EngineIndexError("take(): tried to take from an empty tensor")
        lo, hi = int(idx.min()), int(idx.max())
        if hi >= n or lo < -n:
            bad = hi if hi >= n else lo
            raise errors.EngineIndexError(
                f"out of range: tried to access index {bad} on a tensor of {n} elements.")
    flat = input._data.reshape(-1)
    out = _wrap(flat[idx], input.dtype, input.device)
    if needs_grad(input):
        shape = input._data.shape

        def rule(g):
            return put(g.new_zeros(shape), index, g, accumulate=True)

        record(out, "TakeBackward0", (rule,), (input,), guards=(input, index))
    return out


def _put_dtypes(input, index, source, accumulate=False) -> None:
    """put_'s dtype checks (before the in-place write's overlap check, as torch)."""
    if isinstance(index, Tensor) and index.dtype.name != "int64":
        raise errors.EngineRuntimeError(
            "put_(): Expected a long tensor for index, but got " + index.dtype.scalar_name)
    if isinstance(source, Tensor) and source.dtype is not input.dtype:
        raise errors.EngineRuntimeError(
            "put_(): self and source expected to have the same dtype, but got self.dtype = "
            f"{input.dtype.scalar_name} and source.dtype = {source.dtype.scalar_name}")


@op(grad_fns=("PutBackward0",))
def put(input, index, source, accumulate=False):
    """A copy of ``input`` (read as 1-D, row-major) with ``source``'s elements written at
    ``index`` (added with ``accumulate``)."""
    if not isinstance(index, Tensor) or not isinstance(source, Tensor):
        bad = "index" if not isinstance(index, Tensor) else "source"
        got = index if bad == "index" else source
        raise errors.EngineTypeError(
            f"put(): argument '{bad}' (position {2 if bad == 'index' else 3}) must be Tensor, "
            f"not {type(got).__name__}")
    _put_dtypes(input, index, source)
    if index._data.size != source._data.size:
        raise errors.EngineIndexError(
            f"put_(): Expected source and index to have the same number of elements, but got "
            f"source.numel() = {source._data.size}, index.numel() = {index._data.size}")
    n = input._data.size
    idx = _on(input, index).reshape(-1)
    if idx.size:
        if n == 0:
            raise errors.EngineIndexError("put_(): Tried to put elements into an empty tensor")
        lo, hi = int(idx.min()), int(idx.max())
        if hi >= n or lo < -n:
            bad = hi if hi >= n else lo
            raise errors.EngineIndexError(
                f"out of range: tried to access index {bad} on a tensor of {n} elements.")
    xp = input.device.xp
    flat = input._data.reshape(-1).copy()
    vals = source._data.reshape(-1)
    if accumulate:
        xp.add.at(flat, idx, vals)
    else:
        flat[idx] = vals
    out = _wrap(as_preserved(flat.reshape(input._data.shape), input._data), input.dtype,
                input.device)  # (torch: clone(), then put_)
    accumulate = bool(accumulate)
    if needs_grad(input, source):
        sshape = source._data.shape

        def rule_self(g):
            return g if accumulate else put(g, index, g.new_zeros(sshape).detach())

        record(out, "PutBackward0",
               (rule_self, lambda g: take(g, index).reshape(sshape)), (input, source),
               guards=(index, source) if needs_grad(source) else (index,))
    return out


inplace_twin("put", put, precheck=_put_dtypes, overlap="full")


@op(grad_fns=("GatherBackward0", "ExpandBackward0", "ViewBackward0"))
def take_along_dim(input, indices, dim=None):
    """``gather`` with ``indices`` broadcast against ``input`` (all dimensions but ``dim``);
    without ``dim`` both are read as 1-D."""
    from .shape import expand

    if not isinstance(indices, Tensor):
        raise errors.EngineTypeError(
            f"take_along_dim(): argument 'indices' (position 2) must be Tensor, not "
            f"{type(indices).__name__}")
    if dim is None:
        return gather(input.view(-1), 0, indices.view(-1))  # (torch views: contiguous only)
    if indices.dtype.name != "int64":
        raise errors.EngineRuntimeError(
            "torch.take_along_dim(): dtype of indices should be Long but got "
            + indices.dtype.scalar_name)
    n = input._data.ndim
    if n != indices._data.ndim:
        raise errors.EngineRuntimeError(
            "torch.take_along_dim(): input and indices should have the same number of "
            f"dimensions, but got {n} dimensions for input, and {indices._data.ndim} "
            "dimensions for indices")
    d = norm_dim(dim, n)
    if n == 0:  # (torch asks the 0-d input for its size at dim 0)
        raise errors.EngineIndexError("Dimension specified as 0 but tensor has no dimensions")
    xs, js = list(input._data.shape), list(indices._data.shape)
    xs[d] = js[d] = 1
    common = list(broadcast_pair(tuple(xs), tuple(js)))
    xt, it = list(common), list(common)
    xt[d], it[d] = input._data.shape[d], indices._data.shape[d]
    input, indices = expand(input, *xt), expand(indices, *it)  # (torch expands even to the same)
    if indices._data.size:  # torch takes the index modulo the size along dim (-1: the last)
        size = input._data.shape[d]
        if size == 0:
            raise errors.EngineRuntimeError(errors.INT_DIV_ZERO)
        indices = _wrap(indices.device.xp.remainder(indices._data, size), indices.dtype,
                        indices.device)
    return gather(input, d, indices)


@op(grad_fns=("MaskedSelectBackward0",))
def masked_select(input, mask):
    """The elements of ``input`` where ``mask`` (broadcast with it) is True, as a 1-D tensor."""
    if not isinstance(mask, Tensor):
        raise errors.EngineTypeError(
            f"masked_select(): argument 'mask' (position 2) must be Tensor, not "
            f"{type(mask).__name__}")
    if mask.dtype is not bool_:
        raise errors.EngineRuntimeError(
            "masked_select: expected BoolTensor for mask")

    xp = input.device.xp
    shape = broadcast_pair(mask._data.shape, input._data.shape)  # (torch's order)
    m = xp.broadcast_to(_on(input, mask), shape)
    out = _wrap(xp.broadcast_to(input._data, shape)[m].copy(), input.dtype, input.device)
    if needs_grad(input):

        xshape = input._data.shape

        def rule(g):
            # the gradient lands where the mask is True in the broadcast shape, then sums
            # back to input's shape
            full = masked_scatter(g.new_zeros(shape), mask.expand(shape), g)
            return sum_to(full, xshape) if shape != xshape else full

        record(out, "MaskedSelectBackward0", (rule,), (input,),
               jvp=lambda ts: masked_select(ts[0], mask), guards=(input, mask))
    return out


@op(grad_fns=("MaskedScatterBackward0",))
def masked_scatter(input, mask, source):
    """A copy of ``input`` with ``source``'s first elements (row-major) written where ``mask``
    (broadcast with it) is True."""
    if not isinstance(mask, Tensor) or not isinstance(source, Tensor):
        bad = "mask" if not isinstance(mask, Tensor) else "source"
        got = mask if bad == "mask" else source
        raise errors.EngineTypeError(
            f"masked_scatter(): argument '{bad}' (position {2 if bad == 'mask' else 3}) must "
            f"be Tensor, not {type(got).__name__}")
    # (torch's order: the shapes broadcast, then source's dtype, then the mask's)
    shape = broadcast_pair(mask._data.shape, input._data.shape)  # (torch's order)
    _masked_scatter_source_dtype(input, source)
    if mask.dtype is not bool_:
        raise errors.EngineRuntimeError(
            f"masked_scatter_ only supports boolean masks, but got mask with dtype "
            f"{mask.dtype.scalar_name}")

    xp = input.device.xp
    m = xp.broadcast_to(_on(input, mask), shape)
    k = int(m.sum())
    if k > source._data.size:
        raise errors.EngineRuntimeError(
            "Number of elements of source < number of ones in mask")
    arr = xp.broadcast_to(input._data, shape).copy()
    arr[m] = source._data.reshape(-1)[:k]
    out = _wrap(arr, input.dtype, input.device)
    if needs_grad(input, source):
        from .registry import OPS

        xshape, sshape = input._data.shape, source._data.shape

        def rule_self(g):
            r = OPS["masked_fill"].fn(g, mask, 0)
            return sum_to(r, xshape) if tuple(r.shape) != xshape else r

        def rule_source(g):
            # the selected gradients, in order, then zeros for the unused rest of source
            picked = masked_select(g, mask)
            n = int(np.prod(sshape))
            if n > k:
                from .shape import cat

                picked = cat([picked, picked.new_zeros((n - k,))])
            return picked.reshape(sshape)

        record(out, "MaskedScatterBackward0", (rule_self, rule_source), (input, source),
               guards=(mask,))
    return out


def _masked_scatter_source_dtype(input, source) -> None:
    if source.dtype is not input.dtype:
        raise errors.EngineRuntimeError(
            f"masked_scatter: expected self and source to have same dtypes but got"
            f"{input.dtype.scalar_name} and {source.dtype.scalar_name}")


def _masked_scatter_in_place(input, mask, source):
    # in place the mask expands to ``input``'s shape (torch's expand error when it cannot),
    # after the source's dtype check and before the mask's (any mask dtype is expanded)
    if isinstance(mask, Tensor) and isinstance(source, Tensor) and \
            tuple(mask._data.shape) != tuple(input._data.shape):
        _masked_scatter_source_dtype(input, source)
        if mask._data.ndim > input._data.ndim:
            kind = "CPUBoolType" if mask.dtype is bool_ else \
                f"torch.{mask.dtype.scalar_name}Tensor"
            raise errors.EngineRuntimeError(
                f"expand({kind}{{{list(mask._data.shape)}}}, size={list(input._data.shape)}"
                f"): the number of sizes provided ({input._data.ndim}) must be greater or equal "
                f"to the number of dimensions in the tensor ({mask._data.ndim})")
        mask = mask.expand(input._data.shape)
    return masked_scatter(input, mask, source)


inplace_twin("masked_scatter", _masked_scatter_in_place, overlap=None)


# --------------------------------------------------------------------------- view scatters
def _check_src(name: str, input: Tensor, src) -> None:
    if not isinstance(src, Tensor):
        raise errors.EngineTypeError(
            f"{name}(): argument 'src' (position 2) must be Tensor, not {type(src).__name__}")


def _view_scatter(name: str, node: str, input: Tensor, src: Tensor, view, back_input):
    """A copy of ``input`` with ``src`` written into the region ``view(t)`` picks; ``view`` is
    a table op (so the gradient for ``src`` is that view of the gradient)."""
    region = view(input)
    if tuple(region._data.shape) != tuple(src._data.shape):
        raise errors.EngineRuntimeError(
            f"expected src to have a size equal to the slice of self. src size = "
            f"{list(src._data.shape)}, slice size = {list(region._data.shape)}")
    if src.dtype is not input.dtype and src.requires_grad and \
            not input.dtype.is_floating_point and is_grad_enabled():
        raise errors.EngineRuntimeError(
            f"Autograd not support dtype: {input.dtype.scalar_name}")
    arr = clone_preserve_strides(input)  # (torch's: the input's geometry, then written)
    picked = view(_wrap(arr, input.dtype, input.device))._data
    picked[...] = src._data.astype(input.dtype.np)  # (torch converts src without a node)
    out = _wrap(arr, input.dtype, input.device)
    if needs_grad(input, src):
        sshape = src._data.shape

        def jvp(ts):  # linear in both
            t_in = input.new_zeros(input.shape) if ts[0] is None else ts[0]
            t_src = src.new_zeros(sshape) if ts[1] is None else ts[1]
            return _view_scatter(name, node, t_in, t_src, view, back_input)

        record(out, node, (lambda g: back_input(g, sshape), lambda g: view(g)), (input, src),
               jvp=jvp)
    return out


def _slice_scatter(input, src, d, start, end, step):
    from .shape import slice_view

    def view(t):
        return slice_view(t, d, start, end, step)

    return _view_scatter("slice_scatter", "SliceScatterBackward0", input, src, view,
                         lambda g, sshape: _slice_scatter(g, g.new_zeros(sshape), d, start, end,
                                                          step))


@op(grad_fns=("SliceScatterBackward0",))
def slice_scatter(input, src, dim=0, start=None, end=None, step=1):
    """A copy of ``input`` with ``src`` written into ``input[..., start:end:step]`` (along
    ``dim``)."""
    _check_src("slice_scatter", input, src)
    shape = input._data.shape
    if not shape:
        raise errors.EngineIndexError(
            "Dimension specified as 0 but tensor has no dimensions"
            if dim in (0, -1) else f"Dimension out of range (expected to be in range of [-1, 0], "
                                   f"but got {dim})")
    d = norm_dim(dim, len(shape))
    if step is None:
        step = 1
    if int(step) <= 0:
        raise errors.EngineRuntimeError("slice step must be positive")
    s, e, st = slice(start, end, int(step)).indices(shape[d])
    e = max(e, s)
    return _slice_scatter(input, src, d, s, e, st)


@op(grad_fns=("SelectScatterBackward0",))
def select_scatter(input, src, dim, index):
    """A copy of ``input`` with ``src`` written into ``input.select(dim, index)``."""
    _check_src("select_scatter", input, src)
    from .shape import select_position, select_view

    d, i = select_position(input._data.shape, dim, index)

    def view(t):
        return select_view(t, d, i)

    def back(g, sshape):
        return select_scatter(g, g.new_zeros(sshape), d, i)

    return _view_scatter("select_scatter", "SelectScatterBackward0", input, src, view, back)


@op(grad_fns=("DiagonalScatterBackward0",))
def diagonal_scatter(input, src, offset=0, dim1=0, dim2=1):
    """A copy of ``input`` with ``src`` written into ``input.diagonal(offset, dim1, dim2)``."""
    _check_src("diagonal_scatter", input, src)
    from .shape import _diagonal

    n = input._data.ndim
    d1, d2 = norm_dim(dim1, n), norm_dim(dim2, n)
    if d1 == d2:
        raise errors.EngineRuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    k = int(offset)

    def view(t):
        return _diagonal(t, k, d1, d2)

    def back(g, sshape):
        return diagonal_scatter(g, g.new_zeros(sshape), k, d1, d2)

    return _view_scatter("diagonal_scatter", "DiagonalScatterBackward0", input, src, view, back)


# --------------------------------------------------------------------------- index_copy / fill
def _index_positions(input: Tensor, d: int, index: Tensor):
    """The key that picks the slices ``index`` along dimension ``d`` of ``input``'s array."""
    idx = _on(input, index).reshape(-1)
    return (slice(None),) * d + (idx,)


@op(grad_fns=("IndexCopyBackward0",))
def index_copy(input, dim, index, source):
    """A copy of ``input`` with the slices of ``source`` written along ``dim`` at the
    positions ``index`` (in order: a repeated position keeps the last)."""
    if not isinstance(index, Tensor) or not isinstance(source, Tensor):
        bad, got = ("index", index) if not isinstance(index, Tensor) else ("source", source)
        raise errors.EngineTypeError(
            f"index_copy(): argument '{bad}' (position {3 if bad == 'index' else 4}) must be "
            f"Tensor, not {type(got).__name__}")
    shape = input._data.shape
    d = norm_dim(dim, len(shape))
    if index._data.ndim > 1:
        raise errors.EngineIndexError(
            f"index_copy_(): Index should have dimension 1 or 0 (got {index._data.ndim})")
    n_idx = index._data.size
    sshape = source._data.shape
    if not sshape and n_idx != 1:
        raise errors.EngineIndexError(
            f"index_copy_(): When source is scalar, index should have one element (got {n_idx})")
    if sshape and shape and len(sshape) != len(shape):
        raise errors.EngineIndexError(
            "index_copy_(): When source and destination are not scalars, their dimensionality "
            f"must match. Source dimensionality ({len(sshape)}), destination dimensionality "
            f"({len(shape)})")
    if index.dtype.name != "int64":
        raise errors.EngineRuntimeError(
            "index_copy_(): Expected a long tensor for index, but got "
            + index.dtype.scalar_name)
    if source.dtype is not input.dtype:
        raise errors.EngineRuntimeError(
            f"index_copy_(): self and source expected to have the same dtype, but got (self) "
            f"{input.dtype.scalar_name} and (source) {source.dtype.scalar_name}")
    # (torch's meta function: the sizes off ``dim`` agree, printed as a C++ vector is)
    sliced = [list(x[:d]) + list(x[d + 1:]) if x else [] for x in (shape, sshape)]
    if sliced[0] != sliced[1]:
        raise errors.EngineRuntimeError(
            "index_copy_(): Source/destination tensor must have same slice shapes. Destination "
            f"slice shape: {' '.join(map(str, sliced[0]))} at dimension {d} and source slice "
            f"shape: {' '.join(map(str, sliced[1]))} at dimension 0.")
    s_at = sshape[d] if sshape else 1
    if n_idx != s_at:
        raise errors.EngineIndexError(
            f"index_copy_(): Number of indices ({n_idx}) should be equal to source.size(dim) "
            f"({s_at})")
    n = shape[d] if shape else 1
    idx = np.asarray(index._data).reshape(-1)
    if idx.size:
        bad = idx[(idx < 0) | (idx >= n)]
        if bad.size:
            raise errors.EngineIndexError(
                f"index_copy_(): index {int(bad[0])} is out of bounds for dimension {d} with "
                f"size {n}")
    arr = _as_1d(input._data.copy())
    if idx.size:
        arr[_index_positions(_wrap(arr, input.dtype, input.device), d, index)] = \
            _as_1d(source._data)
    out = _wrap(arr.reshape(shape), input.dtype, input.device)
    if needs_grad(input, source):
        def rule_source(g):
            picked = _table("index_select")(g, d, index)
            return picked.reshape(sshape) if tuple(picked.shape) != tuple(sshape) else picked

        record(out, "IndexCopyBackward0",
               (lambda g: index_fill(g, d, index, 0), rule_source), (input, source),
               guards=(index, source) if needs_grad(source) else (index,))
    return out


inplace_twin("index_copy", index_copy, overlap="full")


def _table(name: str):
    from .registry import OPS

    return OPS[name].fn


@op(grad_fns=("IndexFillBackward0", "IndexFillBackward1"))
def index_fill(input, dim, index, value):
    """A copy of ``input`` with ``value`` (a number or a 0-d tensor) written into the slices
    at the positions ``index`` along ``dim`` (negative positions count from the end)."""
    if not isinstance(index, Tensor):
        raise errors.EngineTypeError(
            f"index_fill(): argument 'index' (position 3) must be Tensor, not "
            f"{type(index).__name__}")
    tensor_value = isinstance(value, Tensor)
    if not tensor_value and not is_scalar(value):
        raise errors.EngineTypeError(
            f"index_fill(): argument 'value' (position 4) must be Number, not "
            f"{type(value).__name__}")
    check_scalar_int(value)
    shape = input._data.shape
    d = norm_dim(dim, len(shape))
    if index.dtype.name != "int64":
        raise errors.EngineIndexError("index_fill_(): Expected dtype int64 for index.")
    if index._data.ndim > 1:
        raise errors.EngineRuntimeError("Index has to be a vector/scalar")
    if tensor_value and value._data.ndim:
        raise errors.EngineRuntimeError(
            "index_fill_ only supports a 0-dimensional value tensor, but got tensor with "
            f"{value._data.ndim} dimension(s).")
    # the value is written as torch writes a Scalar: its overflow check before the bounds
    check_fits(value._data.reshape(()).item() if tensor_value else value, input.dtype)
    n = shape[d] if shape else 1
    idx = np.asarray(index._data).reshape(-1)
    if idx.size:
        bad = idx[(idx < -n) | (idx >= n)]
        if bad.size:
            raise errors.EngineIndexError(
                f"index {int(bad[0])} is out of bounds for dimension {d} with size {n}")
    arr = _as_1d(preserve_copy(input._data, input.device.xp))  # (torch: clone(), filled)
    if idx.size:
        arr[(slice(None),) * d + (input.device.xp.asarray(idx % max(n, 1)),)] = \
            _scatter_value(input, value)
    out = _wrap(arr.reshape(shape), input.dtype, input.device)
    inputs = (input, value) if tensor_value else (input,)
    if needs_grad(*inputs):
        if tensor_value:
            from .registry import OPS

            uniq = _wrap(input.device.xp.asarray(np.unique(idx % max(n, 1))), index.dtype,
                         input.device)
            record(out, "IndexFillBackward1",
                   (lambda g: index_fill(g, d, index, 0),
                    lambda g: OPS["index_select"].fn(g, d, uniq).sum()), inputs, guards=(index,))
        else:
            record(out, "IndexFillBackward0", (lambda g: index_fill(g, d, index, 0),), inputs,
                   guards=(index,))
    return out


def _index_dtype(self, dim, index, value):  # torch's first check, before any overlap's
    if isinstance(index, Tensor) and index.dtype.name != "int64":
        raise errors.EngineIndexError("index_fill_(): Expected dtype int64 for index.")


def _index_fill_writes(self, dim, index, value):
    """index_fill_ into an expanded tensor: only the filled positions are written."""
    d = norm_dim(dim, self._data.ndim)
    n = self._data.shape[d] if self._data.ndim else 1
    idx = np.asarray(index._data).reshape(-1) % max(n, 1)
    fill = _scatter_value(self, value)

    def writes(arr):
        _as_1d(arr)[(slice(None),) * d + (self.device.xp.asarray(idx),)] = fill
    return writes


inplace_twin("index_fill", index_fill, precheck=_index_dtype,
             expanded=(errors.EXPANDED_INDEX_FILL, _index_fill_writes), overlap=None)
