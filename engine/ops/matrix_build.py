"""Matrices built from other tensors, with torch's node chains: ``block_diag`` (one
``BlockDiagBackward0``), ``vander`` (ATen's in-place composition, whose backward raises torch's
version error because ``cumprod`` saves a slice it then overwrites) and ``linalg.vander``
(``cat`` of ones and a ``cumprod``)."""

from __future__ import annotations

import numpy as np

from .. import errors
from ..autograd import needs_grad, record
from ..dtypes import int64, promote
from ..tensor import Tensor, _wrap
from ._args import promote_args
from .registry import OPS, op, register
from .shape import slice_view


def _int_arg(value, fn: str, name: str, position: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        where = f" (position {position})" if position else ""
        raise errors.EngineTypeError(
            f"{fn}(): argument '{name}'{where} must be int, not {type(value).__name__}")
    return int(value)


@op(kind="function", grad_fns=("BlockDiagBackward0",))
def block_diag(*tensors):
    """A block-diagonal matrix of the given tensors (0-d is 1x1, 1-d is one row), zeros
    elsewhere; the dtype is the tensors' promoted dtype."""
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise errors.EngineTypeError(
                f"expected Tensor as element {i} in argument 0, but got {type(t).__name__}")
    for i, t in enumerate(tensors):
        if t._data.ndim > 2:
            raise errors.EngineRuntimeError(
                f"torch.block_diag: Input tensors must have 2 or fewer dimensions. Input {i} "
                f"has {t._data.ndim} dimensions")
    if not tensors:
        return OPS["zeros"].fn((1, 0))
    dtype = promote_args(*tensors)
    xp = tensors[0].device.xp
    shapes = [(1, 1) if t._data.ndim == 0 else (1, t._data.shape[0]) if t._data.ndim == 1
              else t._data.shape for t in tensors]
    rows, cols = sum(s[0] for s in shapes), sum(s[1] for s in shapes)
    arr = xp.zeros((rows, cols), dtype=dtype.np)
    r = c = 0
    spans = []
    for t, (h, w) in zip(tensors, shapes, strict=True):
        arr[r:r + h, c:c + w] = t._data.reshape(h, w)
        spans.append((r, h, c, w))
        r, c = r + h, c + w
    out = _wrap(arr, dtype, tensors[0].device)
    if needs_grad(*tensors):
        def part(k):
            r0, h, c0, w = spans[k]
            ndim = tensors[k]._data.ndim

            def rule(g):
                piece = slice_view(slice_view(g, 0, r0, r0 + h), 1, c0, c0 + w)
                if ndim == 1:  # (torch squeezes the last dimension; the engine sums to shape)
                    piece = piece.squeeze(-1)
                elif ndim == 0:
                    piece = piece.squeeze(-1).squeeze(-1)
                return piece

            return rule

        record(out, "BlockDiagBackward0", tuple(part(k) for k in range(len(tensors))),
               tensors)
    return out


def _vander_dtype(x: Tensor):
    return promote(x.dtype, int64)


@op(kind="function", grad_fns=("FlipBackward0", "CopySlices"))
def vander(x, N=None, increasing=False):
    """The Vandermonde matrix of the 1-D ``x``: columns are powers of ``x``, decreasing from
    ``N - 1`` (``N`` defaults to ``len(x)``) or increasing from 0."""
    if not isinstance(x, Tensor):
        raise errors.EngineTypeError(
            f"vander(): argument 'x' (position 1) must be Tensor, not {type(x).__name__}")
    if N is not None:
        N = _int_arg(N, "vander", "N")
    if x._data.ndim != 1:
        raise errors.EngineRuntimeError("x must be a one-dimensional tensor.")
    if N is None:
        N = x._data.shape[0]
    if N < 0:
        raise errors.EngineRuntimeError("N must be non-negative.")
    result = OPS["empty"].fn((x._data.shape[0], N), dtype=_vander_dtype(x), device=x.device)
    if N > 0:  # as ATen composes it: ones, then x copied in and cumulated in place
        result.select(1, 0).fill_(1)
    if N > 1:
        result.narrow(1, 1, N - 1).copy_(x.unsqueeze(1))
        tail = result.narrow(1, 1, N - 1)
        result.narrow(1, 1, N - 1).copy_(OPS["cumprod"].fn(tail, 1))
    if not increasing:
        return OPS["flip"].fn(result, (1,))
    return result


def linalg_vander(x, *, N=None):
    """The Vandermonde matrices of ``x`` along its last dimension: ``x ** 0, x ** 1, ...,
    x ** (N - 1)`` (``N`` defaults to the last dimension's size) in a new last dimension."""
    if not isinstance(x, Tensor):
        raise errors.EngineTypeError(
            f"linalg_vander(): argument 'x' (position 1) must be Tensor, not "
            f"{type(x).__name__}")
    if N is not None:
        N = _int_arg(N, "linalg_vander", "N")
    if x.dtype.name in ("bool", "float16"):
        raise errors.EngineRuntimeError(
            "linalg.vander supports floating point, complex, and integer tensors, but got "
            f"{x.dtype.scalar_name}")
    if x._data.ndim == 0:
        x = x.unsqueeze(-1)
    shape = tuple(x._data.shape)
    if N is None:
        N = shape[-1]
    if N <= 1:
        raise errors.EngineRuntimeError("N must be greater than 1.")
    col = x.unsqueeze(-1)
    ones = OPS["ones_like"].fn(col)
    powers = OPS["cumprod"].fn(col.expand(*shape, N - 1), -1)
    return OPS["cat"].fn([ones, powers], -1)


register("linalg.vander", linalg_vander, kind="function",
         grad_fns=("CatBackward0", "CumprodBackward0", "ExpandBackward0", "UnsqueezeBackward0"))

__all__ = ["block_diag", "vander", "linalg_vander"]
