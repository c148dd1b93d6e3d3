"""``index_reduce`` / ``index_reduce_`` (prod, mean, amax, amin; ``include_self``): the slices
of ``source`` along ``dim`` reduced into ``input``'s slices named by a vector ``index``. The
forward is ``scatter_reduce``'s array kernel with the index spread over ``source``'s shape;
the gradient is torch's ``index_reduce_backward`` composed of table ops (index_select,
index_add, masked_fill, where, index_fill, index_reduce itself), so second derivatives and the
gradients' node chains are torch's."""

from __future__ import annotations

import warnings

import numpy as np

from .. import errors
from ..autograd import OUTPUT, needs_grad, record
from ..modes import is_grad_enabled
from ..tensor import Tensor, _wrap
from .families import inplace_twin
from .indexing import index_func_meta
from .registry import OPS, op
from .scatter import _scatter_reduce_array, delayed_error

_REDUCES = ("prod", "mean", "amax", "amin")
_BETA = "index_reduce() is in beta and the API may change at any time."


def _spread(index: Tensor, d: int, source: Tensor) -> Tensor:
    """``index`` (a vector along ``d``) as a full index of ``source``'s shape (scatter's)."""
    shape = source._data.shape or (1,)
    idx = index._data.reshape(-1)
    view = [1] * len(shape)
    view[d] = idx.shape[0]
    xp = source.device.xp
    full = xp.broadcast_to(xp.asarray(idx).reshape(view), shape)
    return _wrap(xp.ascontiguousarray(full), index.dtype, index.device)


def _check(input: Tensor, dim, index, source, reduce) -> int:
    if not isinstance(index, Tensor):
        raise errors.EngineTypeError(
            f"index_reduce(): argument 'index' (position 2) must be Tensor, not "
            f"{type(index).__name__}")
    if not isinstance(source, Tensor):
        raise errors.EngineTypeError(
            f"index_reduce(): argument 'source' (position 3) must be Tensor, not "
            f"{type(source).__name__}")
    if not isinstance(reduce, str):
        raise errors.EngineTypeError(
            f"index_reduce(): argument 'reduce' (position 4) must be str, not "
            f"{type(reduce).__name__}")
    if reduce not in _REDUCES:
        raise errors.EngineRuntimeError(
            "index_reduce(): Expected reduce to be one of prod, mean, amax or amin but got "
            f"{reduce}.")
    d = index_func_meta("index_reduce", input, dim, index, source)
    shape = input._data.shape
    n_idx = index._data.size
    if input.dtype.name == "bool":
        raise errors.KernelNotImplemented("\"index_func_\" not implemented for 'Bool'")
    if n_idx:
        idx = np.asarray(index._data).reshape(-1)
        size = shape[d] if shape else 1
        if int(idx.min()) < 0 or int(idx.max()) >= size:
            raise errors.EngineIndexError("index out of range in self")
    return d


@op(grad_fns=("IndexReduceBackward0",))
def index_reduce(input, dim, index, source, reduce, *, include_self=True):
    """A copy of ``input`` whose slices along ``dim`` at ``index`` are reduced (prod, mean,
    amax, amin) with the matching slices of ``source``, and with their own value when
    ``include_self`` (else replaced by the reduction of ``source``'s alone)."""
    if not isinstance(include_self, bool):
        raise errors.EngineTypeError(
            "index_reduce(): argument 'include_self' must be bool, not "
            f"{type(include_self).__name__}")
    warnings.warn(_BETA, UserWarning, stacklevel=2)
    return _index_reduce(input, dim, index, source, reduce, include_self)


def _index_reduce(input, dim, index, source, reduce, include_self: bool) -> Tensor:
    d = _check(input, dim, index, source, reduce)
    full = _spread(index, d, source)
    arr = _scatter_reduce_array(input, d, full, source, reduce, include_self)
    out = _wrap(arr, input.dtype, input.device)
    if needs_grad(input, source):
        def rule(g, needs, input, source, result):
            return _grads(g, input, d, index, source, reduce, include_self, result)

        # (saved: in place, the node keeps ``input``'s old value, as torch's ``self``)
        record(out, "IndexReduceBackward0", rule, (input, source), (input, source, OUTPUT),
               per_input=False, guards=(index,))
    return out


def _meta(self, dim=None, index=None, source=None, reduce=None, *_args, **_kwargs) -> None:
    """torch's argument checks before the in-place write's overlap check."""
    if reduce in _REDUCES and isinstance(dim, int) and isinstance(index, Tensor) and \
            isinstance(source, Tensor):
        index_func_meta("index_reduce", self, dim, index, source)
    elif isinstance(reduce, str) and reduce not in _REDUCES:
        raise errors.EngineRuntimeError(
            "index_reduce(): Expected reduce to be one of prod, mean, amax or amin but got "
            f"{reduce}.")


inplace_twin("index_reduce", index_reduce, precheck=_meta, overlap="full")


def _grads(g: Tensor, input: Tensor, d: int, index: Tensor, source: Tensor, reduce: str,
           include_self: bool, result: Tensor):
    """torch's ``index_reduce_backward``, step by step in table ops."""
    masked_fill, where = OPS["masked_fill"].fn, OPS["where"].fn
    index_select, index_add = OPS["index_select"].fn, OPS["index_add"].fn
    if reduce == "prod":
        masked_self = masked_fill(input, input == 0, 1)
        masked_self_result = _index_reduce(masked_self, d, index, source, reduce, include_self)
        g_self = g * masked_self_result / masked_self
        src_zero = source == 0
        zeros_at = index_select(index_add(OPS["zeros_like"].fn(input).detach(), d, index,
                                          src_zero.to(input.dtype)), d, index)
        single = src_zero & (zeros_at == 1)
        masked_src = masked_fill(source, single, 1)
        masked_src_result = _index_reduce(input, d, index, masked_src, reduce, include_self)
        g_src = where(single, index_select(g * masked_src_result, d, index),
                      index_select(g * result, d, index) / masked_fill(source, src_zero, 1))
        if is_grad_enabled() and bool((zeros_at._data > 1).any()):
            g_src = delayed_error(g_src, "index_reduce(): Double backward is unsupported for "
                                  "source when >1 zeros in source are scattered to the same "
                                  "position in self")
    elif reduce == "mean":
        counts = OPS["ones_like"].fn(result) if include_self else OPS["zeros_like"].fn(g)
        counts = index_add(counts.detach(), d, index, OPS["ones_like"].fn(source).detach())
        counts = masked_fill(counts, counts == 0, 1)
        g_self = g / counts
        g_src = index_select(g, d, index) / index_select(counts, d, index)
    else:  # amax, amin: shared equally among the values that reach the result
        value = index_select(result, d, index)
        self_is = (input == result).to(input.dtype)
        src_is = (source == value).to(input.dtype)
        count = index_add(self_is, d, index, src_is)
        share = g / count
        g_self = self_is * share
        g_src = src_is * index_select(share, d, index)
    if not include_self:
        g_self = OPS["index_fill"].fn(g_self, d, index, 0)
    return g_self, g_src


__all__ = ["index_reduce"]
