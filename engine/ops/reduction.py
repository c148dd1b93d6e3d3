"""Reductions over all elements or along ``dim`` (with ``keepdim``)."""

from __future__ import annotations

from .. import errors
from ..autograd import needs_grad, record
from ..dtypes import DEFAULT_INT, as_dtype, bool_
from ..tensor import Tensor, _wrap
from ._args import norm_dims
from .registry import op


def expand_reduced(g: Tensor, shape: tuple, dims: tuple, keepdim: bool) -> Tensor:
    """Broadcast a reduced gradient back over ``shape`` (re-inserting dims if dropped)."""
    if not keepdim and dims:
        kept = list(g._data.shape)
        for d in dims:
            kept.insert(d, 1)
        g = g.reshape(tuple(kept))
    return g.expand(shape)


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
    res = input._data.sum(axis=dims, keepdims=keepdim, dtype=dt.np)
    out = _wrap(res, dt, input.device)
    if needs_grad(input):
        shape = input._data.shape
        name = "SumBackward0" if dim is None else "SumBackward1"
        record(out, name, (lambda g: expand_reduced(g, shape, dims, keepdim),), (input,))
    return out


@op(grad_fns=("MeanBackward0", "MeanBackward1"))
def mean(input, dim=None, keepdim=False, *, dtype=None):
    """Mean of all elements, or along ``dim``."""
    dt = input.dtype if dtype is None else as_dtype(dtype)
    if not dt.is_floating_point:
        raise errors.EngineRuntimeError(
            "mean(): could not infer output dtype. Input dtype must be either a floating point "
            f"or complex dtype. Got: {_scalar_name(dt)}")
    dims = norm_dims(dim, input._data.ndim)
    data = input._data if input.dtype is dt else input._data.astype(dt.np)
    res = data.mean(axis=dims, keepdims=keepdim) if data.size or dims else \
        data.sum(axis=dims, keepdims=keepdim) / 0.0
    out = _wrap(res.astype(dt.np, copy=False), dt, input.device)
    if needs_grad(input):
        shape = input._data.shape
        count = 1
        for d in dims:
            count *= shape[d]
        name = "MeanBackward0" if dim is None else "MeanBackward1"
        record(out, name, (lambda g: expand_reduced(g / count, shape, dims, keepdim),),
               (input,))
    return out


def _scalar_name(dt) -> str:
    return {"int64": "Long", "int32": "Int", "bool": "Bool", "float32": "Float",
            "float64": "Double", "float16": "Half"}[dt.name]


__all__ = ["sum", "mean", "expand_reduced", "bool_"]
