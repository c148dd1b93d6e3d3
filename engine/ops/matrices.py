"""Building and combining matrices: ``diag`` (a vector onto a diagonal, or a diagonal out of
a matrix), ``diag_embed`` (batched), ``kron`` (Kronecker product) and ``cross`` /
``linalg.cross`` (3-vector cross products along a dim)."""

from __future__ import annotations

import warnings

import numpy as np

from .. import errors
from ..autograd import needs_grad, record
from ..dtypes import bool_
from ..modes import check_numel
from ..tensor import Tensor, _wrap
from ._args import broadcast_shape, norm_dim
from .pointwise import _require_tensors
from .registry import op, register
from .shape import _diagonal_array, diagonal


# --------------------------------------------------------------------------- diagonals
def _embed_diagonal(input: Tensor, offset: int, d1: int, d2: int) -> Tensor:
    """Zeros with ``input``'s last dim written on the diagonal ``offset`` of dims ``d1``,
    ``d2`` of a result with one more dim (``diag_embed``'s forward)."""
    n = input._data.shape[-1] + abs(offset)
    rest = list(input._data.shape[:-1])
    shape = []
    for i in range(len(rest) + 2):
        shape.append(n if i in (d1, d2) else rest.pop(0))
    check_numel(tuple(shape))
    xp = input.device.xp
    out = xp.zeros(tuple(shape), dtype=input.dtype.np)
    _diagonal_array(xp, out, offset, d1, d2)[...] = input._data
    res = _wrap(out, input.dtype, input.device)
    if needs_grad(input):
        record(res, "DiagEmbedBackward0", (lambda g: diagonal(g, offset, d1, d2),), (input,))
    return res


@op(grad_fns=("DiagEmbedBackward0",))
def diag_embed(input, offset=0, dim1=-2, dim2=-1):
    """A tensor with one more dim whose diagonal ``offset`` over dims ``dim1`` and ``dim2``
    holds the last dim of ``input`` (zeros elsewhere)."""
    n = input._data.ndim + 1
    d1, d2 = norm_dim(dim1, n), norm_dim(dim2, n)
    if d1 == d2:
        raise errors.EngineRuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    if input._data.ndim == 0:  # PyTorch reads the size of dim -1 of a 0-d tensor: an error
        raise errors.EngineIndexError(errors.DIM_RANGE.format(lo=-1, hi=0, dim=-2))
    return _embed_diagonal(input, int(offset), d1, d2)


def _diagonal_copy(input: Tensor, offset: int) -> Tensor:
    """The diagonal ``offset`` of a matrix as a new tensor (PyTorch's ``diagonal_copy``)."""
    xp = input.device.xp
    arr = xp.ascontiguousarray(xp.diagonal(input._data, offset, 0, 1))
    out = _wrap(arr.copy(), input.dtype, input.device)
    if needs_grad(input):
        record(out, "DiagonalBackward0_copy",
               (lambda g: _diagonal_grad(g, input._data.shape, offset),), (input,))
    return out


def _diagonal_grad(g: Tensor, shape: tuple, offset: int) -> Tensor:
    xp = g.device.xp
    z = xp.zeros(shape, dtype=g.dtype.np)
    _diagonal_array(xp, z, offset, 0, 1)[...] = g._data
    out = _wrap(z, g.dtype, g.device)
    if needs_grad(g):
        record(out, "DiagonalBackwardBackward0", (lambda gg: _diagonal_copy(gg, offset),), (g,))
    return out


@op(grad_fns=("DiagEmbedBackward0", "DiagonalBackward0_copy"))
def diag(input, diagonal=0):
    """A vector's matrix with it on diagonal ``diagonal`` (zeros elsewhere), or a matrix's
    diagonal ``diagonal`` as a vector (a copy)."""
    n = input._data.ndim
    if n == 1:
        return _embed_diagonal(input, int(diagonal), 0, 1)
    if n == 2:
        return _diagonal_copy(input, int(diagonal))
    raise errors.EngineRuntimeError(f"diag(): Supports 1D or 2D tensors. Got {n}D")


# --------------------------------------------------------------------------- kron
def _unsafe_view(t: Tensor, shape: tuple) -> Tensor:
    """``t`` in a new shape as a new tensor, recorded as PyTorch's ``_unsafe_view``: it shares
    ``t``'s memory but not its version counter (no view for autograd), so a node that saved
    it does not see ``t`` changed in place (``kron``'s product reads the new values, as
    torch's)."""
    in_shape = t._data.shape
    out = _wrap(t._data.reshape(shape), t.dtype, t.device)
    if needs_grad(t):
        record(out, "UnsafeViewBackward0", (lambda g: g.reshape(in_shape),), (t,))
    return out


def _view_strides(shape: tuple, strides: tuple, new_shape: tuple) -> list:
    """The strides torch gives a view of a (shape, strides) tensor in ``new_shape`` (the
    reshape is known to be viewable: only size-1 dims are inserted). Memory is walked in
    chunks of dims that are contiguous with each other, from the last dim."""
    new = [0] * len(new_shape)
    view_d = len(new_shape) - 1
    base = strides[-1] if strides else 1
    numel = view_numel = 1
    for d in range(len(shape) - 1, -1, -1):
        numel *= shape[d]
        if d == 0 or (shape[d - 1] != 1 and strides[d - 1] != numel * base):
            while view_d >= 0 and (view_numel < numel or new_shape[view_d] == 1):
                new[view_d] = view_numel * base
                view_numel *= new_shape[view_d]
                view_d -= 1
            if d > 0:
                base, numel, view_numel = strides[d - 1], 1, 1
    while view_d >= 0:  # a 0-d tensor: only size-1 dims
        new[view_d] = 1
        view_d -= 1
    return new


def _iterator_order(shape: tuple, operand_strides: list) -> list:
    """The order (fastest first) in which torch's TensorIterator lays out the result of a
    pointwise op over operands with these (broadcast, element) strides."""
    perm = list(range(len(shape) - 1, -1, -1))

    def should_swap(d0: int, d1: int) -> int:
        for st in operand_strides:
            s0, s1 = st[d0], st[d1]
            if s0 == 0 or s1 == 0:
                continue
            if s0 != s1:
                return -1 if s0 < s1 else 1
            if shape[d0] > shape[d1]:
                return 1
        return 0

    for i in range(1, len(shape)):
        d1 = i
        for d0 in range(i - 1, -1, -1):
            c = should_swap(perm[d0], perm[d1])
            if c > 0:
                perm[d0], perm[d1] = perm[d1], perm[d0]
                d1 = d0
            elif c < 0:
                break
    return perm


def _check_product_viewable(input: Tensor, other: Tensor, a_shape: tuple, b_shape: tuple):
    """torch's kron multiplies the interleaved views and then *views* the product in the
    result's shape; with a transposed operand the product's layout (TensorIterator's) may not
    allow that, and torch raises its view error. Raise it where torch does."""
    shape = tuple(y if x == 1 else x for x, y in zip(a_shape, b_shape, strict=True))
    strides = []
    for t, view_shape in ((input, a_shape), (other, b_shape)):
        arr = t._data
        st = _view_strides(arr.shape, tuple(x // arr.itemsize for x in arr.strides),
                           view_shape)
        strides.append([0 if view_shape[d] == 1 and shape[d] != 1 else st[d]
                        for d in range(len(shape))])
    if 0 in shape:
        return
    perm = _iterator_order(shape, strides)
    if perm == list(range(len(shape) - 1, -1, -1)):
        return
    slow_first = perm[::-1]
    arr = np.empty(tuple(shape[d] for d in slow_first), np.int8).transpose(
        np.argsort(slow_first))
    try:
        arr.view().shape = tuple(x * y for x, y in zip(shape[0::2], shape[1::2], strict=True))
    except AttributeError:
        raise errors.EngineRuntimeError(errors.VIEW_NOT_COMPATIBLE) from None


@op(grad_fns=("UnsafeViewBackward0", "MulBackward0"))
def kron(input, other):
    """The Kronecker product: every element of ``input`` times the whole of ``other``, laid
    out block by block (the shorter shape is padded with leading ones)."""
    _require_tensors("kron", input, other)
    nd = max(input._data.ndim, other._data.ndim)
    sa = (1,) * (nd - input._data.ndim) + input._data.shape
    sb = (1,) * (nd - other._data.ndim) + other._data.shape
    check_numel(tuple(x * y for x, y in zip(sa, sb, strict=True)))
    # a as (a0, 1, a1, 1, ...) and b as (1, b0, 1, b1, ...): their product interleaves blocks
    a_shape = tuple(x for s in sa for x in (s, 1))
    b_shape = tuple(x for s in sb for x in (1, s))
    _check_product_viewable(input, other, a_shape, b_shape)
    a = _unsafe_view(input, a_shape)
    b = _unsafe_view(other, b_shape)
    return _unsafe_view(a * b, tuple(x * y for x, y in zip(sa, sb, strict=True)))


# --------------------------------------------------------------------------- cross
_CROSS_DIM_WARNING = (
    "Using torch.cross without specifying the dim arg is deprecated.\nPlease either pass the "
    "dim explicitly or simply use torch.linalg.cross.\nThe default value of dim will change to "
    "agree with that of linalg.cross in a future release.")


def _linalg_cross(name: str, input, other, dim) -> Tensor:
    _require_tensors(name, input, other)
    if input._data.ndim != other._data.ndim:
        raise errors.EngineRuntimeError(
            "linalg.cross: inputs must have the same number of dimensions.")
    d = norm_dim(dim, input._data.ndim)
    na, nb = input._data.shape[d], other._data.shape[d]
    if na != 3 or nb != 3:
        raise errors.EngineRuntimeError(
            f"linalg.cross: inputs dimension {dim} must have length 3. Got {na} and {nb}")
    if input.dtype is bool_:  # the kernel's dispatch on the input's dtype comes first
        raise errors.KernelNotImplemented(errors.NOT_IMPLEMENTED_FOR.format(
            kernel="cross", dtype="Bool"))
    if input.dtype is not other.dtype:
        raise errors.EngineRuntimeError(
            f"expected scalar type {input.dtype.scalar_name} but found "
            f"{other.dtype.scalar_name}")
    shape = broadcast_shape(input._data.shape, other._data.shape)
    check_numel(shape)
    xp = input.device.xp
    a, b = xp.broadcast_to(input._data, shape), xp.broadcast_to(other._data, shape)
    out = _wrap(xp.ascontiguousarray(xp.cross(a, b, axis=d)), input.dtype, input.device)
    if needs_grad(input, other):
        record(out, "LinalgCrossBackward0",
               (lambda g, x, y: _linalg_cross("linalg.cross", y, g, d),
                lambda g, x, y: _linalg_cross("linalg.cross", g, x, d)),
               (input, other),
               (input if needs_grad(other) else None, other if needs_grad(input) else None))
    return out


@op(grad_fns=("LinalgCrossBackward0",))
def cross(input, other, dim=None):
    """The cross product of 3-vectors along ``dim`` (broadcasting the other dims); without
    ``dim``, along the first dim of size 3 (deprecated in PyTorch, with a warning)."""
    if dim is None and isinstance(input, Tensor) and isinstance(other, Tensor):
        warnings.warn(_CROSS_DIM_WARNING, UserWarning, stacklevel=2)
        if input._data.ndim == other._data.ndim:
            dim = next((i for i, s in enumerate(input._data.shape) if s == 3), None)
            if dim is None:
                raise errors.EngineRuntimeError("no dimension of size 3 in input")
    return _linalg_cross("cross", input, other, -1 if dim is None else dim)


def linalg_cross(input, other, *, dim=-1):
    """The cross product of 3-vectors along ``dim`` (the last by default), broadcasting the
    other dims (``torch.linalg.cross``)."""
    return _linalg_cross("linalg_cross", input, other, dim)


register("linalg.cross", linalg_cross, kind="function", grad_fns=("LinalgCrossBackward0",))

__all__ = ["diag", "diag_embed", "kron", "cross", "linalg_cross"]
