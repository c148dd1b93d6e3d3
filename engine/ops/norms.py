"""``torch.linalg`` norms: ``linalg.vector_norm``, ``linalg.matrix_norm`` and ``linalg.norm``,
composed the way torch composes them (so the recorded nodes are torch's: the vector norm node,
or ``amax``/``amin``/``sum`` over singular values or over a 1-norm)."""

from __future__ import annotations

import math

import numpy as np

from .. import errors
from ..dtypes import as_dtype
from ..tensor import Tensor
from .decompositions import check_matrix, linalg_svdvals
from .reduction import norm as _vector_norm
from .registry import register


def _is_number(x) -> bool:
    return isinstance(x, (int, float, np.integer, np.floating)) and not isinstance(x, bool)


def linalg_vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None):
    """Vector ``ord``-norm over ``dim`` (every element by default): ``ord`` a number, ``inf``
    or ``-inf`` (0 counts the nonzero elements)."""
    if not isinstance(x, Tensor):
        raise errors.EngineTypeError(errors.MUST_BE_TENSOR.format(
            op="linalg_vector_norm", arg="input", pos=1, type=type(x).__name__))
    if not _is_number(ord):
        raise errors.EngineTypeError(
            f"linalg_vector_norm(): argument 'ord' (position 2) must be Number, not "
            f"{type(ord).__name__}")
    if not x.dtype.is_floating_point:
        raise errors.EngineRuntimeError(
            "linalg.vector_norm: Expected a floating point or complex tensor as input. Got "
            f"{x.dtype.scalar_name}")
    if isinstance(dim, list):
        dim = tuple(dim)
    return _vector_norm(x, float(ord), dim, keepdim, dtype)


def _two_dims(dim, ndim: int) -> tuple:
    if isinstance(dim, (int, np.integer)) or len(dim) != 2:
        got = list(dim) if not isinstance(dim, (int, np.integer)) else [dim]
        raise errors.EngineRuntimeError(
            f"linalg.matrix_norm: dim must be a 2-tuple. Got {' '.join(map(str, got))}")
    d0, d1 = (int(d) + ndim if int(d) < 0 else int(d) for d in dim)
    for d in (d0, d1):
        if not 0 <= d < ndim:
            raise errors.EngineIndexError(errors.DIM_RANGE.format(lo=-ndim, hi=ndim - 1,
                                                                  dim=d))
    if d0 == d1:
        raise errors.EngineRuntimeError(
            f"linalg.matrix_norm: dims must be different. Got ({dim[0]}, {dim[1]})")
    return d0, d1


def linalg_matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None):
    """Matrix norm over the two dims ``dim``: ``ord`` 'fro', 'nuc', 1, -1, 2, -2, inf, -inf."""
    check_matrix(A, "linalg.matrix_norm", square=False)
    d0, d1 = _two_dims(dim, A._data.ndim)
    if isinstance(ord, str):
        if ord not in ("fro", "nuc"):
            raise errors.EngineRuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")
        if ord == "fro":
            return linalg_vector_norm(A, 2, (d0, d1), keepdim, dtype=dtype)
    elif not _is_number(ord) or abs(ord) not in (1, 2, math.inf):
        raise errors.EngineRuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")
    if (ord == "nuc" or abs(ord) == 2) and A.dtype.name == "float16":
        raise errors.EngineRuntimeError(
            "linalg.matrix_norm: Low precision dtypes not supported. Got Half")
    if ord == "nuc" or abs(ord) == 2:
        if dtype is not None:
            A = A.to(as_dtype(dtype, "linalg_matrix_norm"))
        if A.dtype.name == "float16":  # torch's check before its SVD
            raise errors.EngineRuntimeError(
                "linalg.matrix_norm: Low precision dtypes not supported. Got Half")
        order = [i for i in range(A._data.ndim) if i not in (d0, d1)] + [d0, d1]
        values = linalg_svdvals(A.permute(order))
        out = values.sum(-1, keepdim) if ord == "nuc" else \
            values.amax(-1, keepdim) if ord > 0 else values.amin(-1, keepdim)
        if keepdim:
            back = [order.index(i) for i in range(len(order))]
            out = out.unsqueeze(-1).permute(back)
        return out
    if abs(ord) == math.inf:
        d0, d1 = d1, d0
    if not keepdim and d0 < d1:
        d1 -= 1
    sums = linalg_vector_norm(A, 1, (d0,), keepdim, dtype=dtype)  # (the cast is the norm's)
    return sums.amax(d1, keepdim) if ord > 0 else sums.amin(d1, keepdim)


def linalg_norm(A, ord=None, dim=None, keepdim=False, *, dtype=None):
    """``torch.linalg.norm``: a vector norm for one dim (or a flattened input), a matrix norm
    for two dims or a string ``ord``."""
    if isinstance(dim, (int, np.integer)):
        dim = (int(dim),)
    if dim is not None:
        dim = tuple(dim)
        if len(dim) == 1 and not isinstance(ord, str):
            return linalg_vector_norm(A, 2 if ord is None else ord, dim, keepdim, dtype=dtype)
        if len(dim) == 2 or isinstance(ord, str) and len(dim) == 1:
            return linalg_matrix_norm(A, "fro" if ord is None else ord, dim, keepdim,
                                      dtype=dtype)
        raise errors.EngineRuntimeError(
            f"linalg.norm: If dim is specified, it must be of length 1 or 2. Got {list(dim)}")
    if ord is None:
        return linalg_vector_norm(A, 2, None, keepdim, dtype=dtype)
    if A._data.ndim not in (1, 2):
        raise errors.EngineRuntimeError(
            "linalg.norm: If dim is not specified but ord is, the input must be 1D or 2D. "
            f"Got {A._data.ndim}D.")
    if isinstance(ord, str):
        return linalg_matrix_norm(A, ord, (-2, -1), keepdim, dtype=dtype)
    if A._data.ndim == 1:
        return linalg_vector_norm(A, ord, None, keepdim, dtype=dtype)
    return linalg_matrix_norm(A, ord, (-2, -1), keepdim, dtype=dtype)


for _name, _fn, _nodes in (
        ("vector_norm", linalg_vector_norm, ("LinalgVectorNormBackward0",)),
        ("matrix_norm", linalg_matrix_norm, ("LinalgVectorNormBackward0", "AmaxBackward0",
                                             "AminBackward0", "SumBackward1")),
        ("norm", linalg_norm, ("LinalgVectorNormBackward0", "AmaxBackward0", "AminBackward0",
                               "SumBackward1"))):
    _fn.__name__ = _fn.__qualname__ = _name
    register(f"linalg.{_name}", _fn, kind="function", grad_fns=_nodes)

__all__ = ["linalg_vector_norm", "linalg_matrix_norm", "linalg_norm"]
