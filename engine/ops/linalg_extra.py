"""More of ``torch.linalg``, composed of table ops as ATen composes them (so the node chains
are torch's): ``linalg.tensorinv``, ``linalg.tensorsolve``, ``linalg.cond`` (every ``p``),
``linalg.inv_ex`` (with LAPACK's partial result and ``info`` for singular matrices, from the
getrf model in decompositions.py)."""

from __future__ import annotations

import math

import numpy as np

from .. import errors
from ..autograd import OUTPUT, needs_grad, record
from ..dtypes import int32
from ..tensor import Tensor, _wrap
from .decompositions import (
    _batch_prefix,
    _cholesky,
    _cholesky_grad,
    _cholesky_info,
    _first_failure,
    _getrf,
    _host,
    _inv,
    _mkl_axpy,
    _no_half,
    _no_low_precision,
    _raise_singular_inv,
    _singular_info,
    check_matrix,
)
from .reduction import _return_type
from .registry import OPS, register


class return_types:  # noqa: N801 (mirrors torch.return_types)
    linalg_inv_ex = _return_type("linalg_inv_ex", ("inverse", "info"))
    linalg_cholesky_ex = _return_type("linalg_cholesky_ex", ("L", "info"))


def _prod(shape) -> int:
    return int(np.prod(shape, dtype=np.int64)) if len(shape) else 1


def _tensor(t, fn: str, name: str, pos: int) -> None:
    if not isinstance(t, Tensor):
        raise errors.EngineTypeError(
            f"{fn}(): argument '{name}' (position {pos}) must be Tensor, not {type(t).__name__}")


# --------------------------------------------------------------------------- tensorinv
def linalg_tensorinv(A, ind=2):
    """The tensor ``X`` with ``tensordot(A, X, ind)`` the identity: ``A`` read as a square
    matrix of ``prod(shape[:ind])`` rows, inverted, and shaped ``shape[ind:] + shape[:ind]``."""
    _tensor(A, "linalg_tensorinv", "A", 1)
    if isinstance(ind, bool) or not isinstance(ind, (int, np.integer)):
        raise errors.EngineTypeError(
            f"linalg_tensorinv(): argument 'ind' must be int, not {type(ind).__name__}")
    ind = int(ind)
    if ind <= 0:
        raise errors.EngineRuntimeError(
            f"Expected a strictly positive integer for 'ind', but got {ind}")
    shape = tuple(A._data.shape)
    head, tail = shape[:ind], shape[ind:]
    rows, cols = _prod(head), _prod(tail)
    if A._data.size == 0 and rows != cols:
        raise errors.EngineRuntimeError(
            "Expected self to satisfy the requirement prod(self.shape[ind:]) == "
            f"prod(self.shape[:ind]), but got {cols} != {rows}")
    if A._data.size == 0:
        return OPS["empty"].fn(tail + head, dtype=A.dtype, device=A.device)
    if rows != cols:
        raise errors.EngineRuntimeError(
            "Expected self to satisfy the requirement prod(self.shape[ind:]) == "
            f"prod(self.shape[:ind]), but got {cols} != {rows}")
    A2 = A.reshape(rows, rows)
    check_matrix(A2, "linalg.inv")
    _no_low_precision(A2, "linalg.inv")
    info = _singular_info(A2, A2._data)
    if info is not None:  # (torch names ``inv`` here)
        _raise_singular_inv(A2, "inv", info)
    inverse = _inv(A2, "linalg.inv")
    _column_major(inverse)
    return inverse.reshape(tail + head)


def _column_major(t: Tensor) -> None:
    """LAPACK's inverse comes back column-major in torch (a following reshape is then an
    alias, ``ReshapeAliasBackward0``): the fresh result's array takes that layout."""
    xp = t.device.xp
    if t._data.ndim == 2 and hasattr(xp, "asfortranarray"):
        t._data = xp.asfortranarray(t._data)


register("linalg.tensorinv", linalg_tensorinv, kind="function",
         grad_fns=("ReshapeAliasBackward0", "LinalgInvExBackward0", "ViewBackward0"))


# --------------------------------------------------------------------------- tensorsolve
def linalg_tensorsolve(A, B, dims=None):
    """The tensor ``X`` with ``tensordot(A, X, X.ndim) == B``: ``A`` (its ``dims`` moved to
    the end first) read as a matrix of ``B.numel()`` rows, solved, shaped ``A.shape[B.ndim:]``."""
    _tensor(A, "linalg_tensorsolve", "A", 1)
    _tensor(B, "linalg_tensorsolve", "B", 2)
    if dims is not None:
        if not isinstance(dims, (tuple, list)) or any(
                isinstance(d, bool) or not isinstance(d, (int, np.integer)) for d in dims):
            raise errors.EngineTypeError(
                "linalg_tensorsolve(): argument 'dims' must be tuple of ints, not "
                f"{type(dims).__name__}")
        dims = [int(d) for d in dims]
        n = A._data.ndim
        A = OPS["movedim"].fn(A, dims, list(range(n - len(dims), n)))
    shape = tuple(A._data.shape)
    result_shape = shape[B._data.ndim:]
    prod_result = _prod(result_shape)
    if prod_result != B._data.size:  # (torch's text; it compares with B's size)
        raise errors.EngineRuntimeError(
            "Expected self to satisfy the requirement prod(self.shape[other.ndim:]) == "
            f"prod(self.shape[:other.ndim]), but got {prod_result} != {B._data.size}")
    A2 = A.reshape(B._data.size, prod_result)
    b = OPS["flatten"].fn(B)  # (a 1-d B itself, as torch's)
    return OPS["linalg.solve"].fn(A2, b).view(result_shape)


register("linalg.tensorsolve", linalg_tensorsolve, kind="function",
         grad_fns=("ViewBackward0", "LinalgSolveExBackward0", "UnsafeViewBackward0",
                   "CloneBackward0", "PermuteBackward0"))


# --------------------------------------------------------------------------- inv_ex
def _getrs_partial(lu: np.ndarray, perm: np.ndarray) -> np.ndarray:
    """``inv(A)`` from getrf's factors (with a zero pivot) as getrs computes it on the identity:
    the rows of ``I`` permuted, ``L`` forward, ``U`` backward through the pivots' reciprocals
    (so a zero pivot spreads inf and NaN where LAPACK's arithmetic puts them)."""
    batch, n = lu.shape[0], lu.shape[-1]
    dt = lu.dtype
    y = np.zeros_like(lu)
    y[np.arange(batch)[:, None], np.arange(n)[None, :], perm] = 1
    one = dt.type(1)
    with np.errstate(all="ignore"):
        recip = one / lu[:, np.arange(n), np.arange(n)]
        for k in range(n):  # L y = P I (unit diagonal), fused multiply-adds as MKL's
            y[:, k + 1:] = _mkl_axpy(lu[:, k + 1:, k, None], y[:, k, None, :], y[:, k + 1:])
        for k in range(n - 1, -1, -1):  # U x = y
            y[:, k] = y[:, k] * recip[:, k, None]
            y[:, :k] = _mkl_axpy(lu[:, :k, k, None], y[:, k, None, :], y[:, :k])
    return y


def _perm_of(lu_pivots: np.ndarray, n: int) -> np.ndarray:
    """The row order a sequence of LAPACK pivots (1-based, batched) makes of ``0..n-1``."""
    batch = lu_pivots.shape[0]
    perm = np.tile(np.arange(n), (batch, 1))
    rows = np.arange(batch)
    for k in range(lu_pivots.shape[-1]):
        p = lu_pivots[:, k] - 1
        a, b = perm[rows, k].copy(), perm[rows, p].copy()
        perm[rows, k], perm[rows, p] = b, a
    return perm


_PARTIAL_LIMIT = 16  # getrf is modelled bitwise up to this order (decompositions._getrf)


def _inv_ex(A: Tensor, check_errors: bool, fn: str = "linalg.inv_ex"):
    """``(inverse, info)``: info from the getrf model; on a singular matrix the inverse is what
    LAPACK's getrs leaves (modelled up to order 16; larger singular matrices refuse)."""
    check_matrix(A, "linalg.inv")
    _no_low_precision(A, "linalg.inv")
    xp = A.device.xp
    a = A._data
    batch_shape = a.shape[:-2]
    try:
        res = xp.linalg.inv(a) if a.size else None
    except np.linalg.LinAlgError:
        res = None
    info = _singular_info(A, a, res) if a.size else None
    n = a.shape[-1]
    if info is not None and check_errors:
        _raise_singular_inv(A, "linalg.inv_ex", info)
    if info is None and (res is not None or n > _PARTIAL_LIMIT or not a.size):
        inverse = _inv(A, "linalg.inv")
        info_arr = np.zeros(batch_shape, dtype=np.int32)
    else:
        # a zero pivot in torch's LU (or in NumPy's only): getrf and getrs as modelled
        if n > _PARTIAL_LIMIT:
            raise errors.NotSupported(
                f"linalg.inv_ex of a singular {n} by {n} matrix: torch returns LAPACK's "
                "partial result, modelled here only up to order 16")
        flat = _host(xp, a).reshape((-1, n, n))
        lu, pivots = _getrf_pivots(flat)
        out = _getrs_partial(lu, _perm_of(pivots, n))
        inverse = _wrap(xp.asarray(out.reshape(a.shape).astype(a.dtype, copy=False)), A.dtype,
                        A.device)
        if needs_grad(A):
            record(inverse, "LinalgInvExBackward0",
                   (lambda g, inv: -(inv.mT @ (g @ inv.mT)),), (A,), (OUTPUT,))
        info_arr = np.zeros(batch_shape, dtype=np.int32) if info is None else \
            info.reshape(batch_shape).astype(np.int32)
    return return_types.linalg_inv_ex(
        inverse, _wrap(xp.asarray(info_arr), int32, A.device))


def _getrf_pivots(a: np.ndarray):
    """The getrf model's factors and LAPACK pivots (1-based) of a stack of matrices."""
    return _getrf(a, pivots=True)[:2]


def linalg_inv_ex(A, *, check_errors=False):
    """``(inverse, info)`` of square matrices (batched): info is LAPACK getrf's (0, or the
    1-based position of the first zero pivot), and a singular matrix's inverse is what LAPACK
    leaves (inf/NaN), unless ``check_errors`` raises torch's error."""
    return _inv_ex(A, bool(check_errors))


register("linalg.inv_ex", linalg_inv_ex, kind="function", grad_fns=("LinalgInvExBackward0",))


# --------------------------------------------------------------------------- cholesky_ex
def _potrf_partial(a: np.ndarray) -> np.ndarray:
    """LAPACK potrf's output (lower, batched) on matrices it stops on: the columns before the
    failing one factored, the failing diagonal entry left holding its non-positive pivot
    ``a_jj - sum L_jk^2``, everything below it and to its right the input's lower triangle."""
    a = np.array(a, dtype=np.float64)
    batch, n = a.shape[0], a.shape[-1]
    out = np.tril(a)
    with np.errstate(all="ignore"):
        for b in range(batch):
            low = out[b]
            for j in range(n):
                d = a[b, j, j] - np.dot(low[j, :j], low[j, :j])
                if not d > 0:
                    low[j, j] = d
                    break
                low[j, j] = np.sqrt(d)
                low[j + 1:, j] = (a[b, j + 1:, j] - low[j + 1:, :j] @ low[j, :j]) / low[j, j]
    return out


def linalg_cholesky_ex(A, *, upper=False, check_errors=False):
    """``(L, info)``: the Cholesky factor of symmetric positive-definite matrices (batched) and
    LAPACK potrf's ``info`` (0, or the order of the first leading minor that is not positive
    definite, where the returned factor is potrf's partial result), unless ``check_errors``
    raises torch's error."""
    upper = bool(upper)
    check_matrix(A, "linalg.cholesky")
    _no_half(A, "cholesky_cpu")
    xp = A.device.xp
    a = xp.swapaxes(A._data, -1, -2) if upper else A._data  # upper: read A's upper triangle
    batch_shape = A._data.shape[:-2]
    info = _cholesky_info(_host(xp, a)) if a.size else np.zeros(0, dtype=np.int64)
    if not info.any():
        L = _cholesky(A, upper, "linalg.cholesky", "LinalgCholeskyExBackward0")
        return return_types.linalg_cholesky_ex(
            L, _wrap(xp.asarray(np.zeros(batch_shape, dtype=np.int32)), int32, A.device))
    if check_errors:
        index, k = _first_failure(info)
        raise errors.LinAlgError(
            f"linalg.cholesky_ex: {_batch_prefix(index, A._data.ndim > 2)}The factorization "
            "could not be completed because the input is not positive-definite (the leading "
            f"minor of order {k} is not positive-definite).")
    n = a.shape[-1]
    flat = _host(xp, a).reshape((-1, n, n))
    out = np.empty(flat.shape, dtype=np.float64)
    good = info == 0
    if good.any():
        out[good] = np.linalg.cholesky(flat[good].astype(np.float64))
    out[~good] = _potrf_partial(flat[~good])
    out = out.reshape(a.shape).astype(A.dtype.np)
    if upper:
        out = np.swapaxes(out, -1, -2)
    L = _wrap(xp.asarray(np.ascontiguousarray(out)), A.dtype, A.device)
    if needs_grad(A):
        record(L, "LinalgCholeskyExBackward0", (lambda g, L: _cholesky_grad(g, L, upper),),
               (A,), (OUTPUT,))
    return return_types.linalg_cholesky_ex(
        L, _wrap(xp.asarray(info.reshape(batch_shape).astype(np.int32)), int32, A.device))


register("linalg.cholesky_ex", linalg_cholesky_ex, kind="function",
         grad_fns=("LinalgCholeskyExBackward0",))


# --------------------------------------------------------------------------- cond
_SVD_ORDERS = (None, 2, -2)
_NORM_ORDERS = (1, -1, math.inf, -math.inf, "fro")


def _order_text(p) -> str:
    """``p`` as torch's invalid-order message shows it (3.0 is "3")."""
    if isinstance(p, float) and p.is_integer():
        return str(int(p))
    return str(p)


def _ord_text(p) -> str:
    """``p`` as torch's square-matrix message shows it (C++ ``to_string``: 1.0 is
    "1.000000", inf is "inf")."""
    if isinstance(p, str) or isinstance(p, (bool, int, np.integer)):
        return str(int(p)) if isinstance(p, bool) else str(p)
    p = float(p)
    return ("-inf" if p < 0 else "inf") if math.isinf(p) else f"{p:.6f}"


def linalg_cond(A, p=None):
    """The condition number of square matrices (batched) in the norm ``p``: the ratio of the
    largest to the smallest singular value for ``p`` of None or ±2 (any shape), else
    ``norm(A, p) * norm(inv(A), p)`` (inf for a singular matrix)."""
    _tensor(A, "linalg_cond", "A", 1)
    valid = p is None or (isinstance(p, str) and p in ("fro", "nuc")) or (
        not isinstance(p, str) and isinstance(p, (int, float, np.integer, np.floating))
        and float(p) in (2.0, -2.0, 1.0, -1.0, math.inf, -math.inf))
    if isinstance(p, str):  # (a string order is checked as a matrix norm's, first)
        if A._data.ndim < 2:
            raise errors.EngineRuntimeError(
                f"linalg.cond(ord={p}): The input tensor A must have at least 2 dimensions.")
        m, n = A._data.shape[-2:]
        if m != n:
            raise errors.EngineRuntimeError(
                f"linalg.cond(ord={p}): A must be batches of square matrices, but they are "
                f"{m} by {n} matrices")
    if A._data.ndim < 2:
        raise errors.EngineRuntimeError(
            "linalg.cond: The input tensor must have at least 2 dimensions.")
    if not valid:
        raise errors.EngineRuntimeError(
            f"linalg.cond got an invalid norm type: {_order_text(p)}")
    batch = tuple(A._data.shape[:-2])
    m, n = A._data.shape[-2:]
    if A._data.size == 0:
        return OPS["zeros"].fn(batch, dtype=A.dtype, device=A.device)
    if p is None or (not isinstance(p, str) and abs(float(p)) == 2.0):
        s = OPS["linalg.svdvals"].fn(A)
        k = s._data.shape[-1]
        big, small = s.narrow(-1, 0, 1), s.narrow(-1, k - 1, 1)
        ratio = big / small if p is None or float(p) > 0 else small / big
        return ratio.squeeze(-1)
    if m != n:
        raise errors.EngineRuntimeError(
            f"linalg.cond(ord={_ord_text(p)}): A must be batches of square matrices, but "
            f"they are {m} by {n} matrices")
    if p == "nuc":
        s = OPS["linalg.svdvals"].fn(A)
        return s.sum(-1) * s.reciprocal().sum(-1)
    order = p if isinstance(p, str) else float(p)
    inverse, info = _inv_ex(A, False, "linalg.inv")
    info = info.unsqueeze(-1).unsqueeze(-1)
    inverse.masked_fill_(info > 0, math.inf)
    norm = OPS["linalg.matrix_norm"].fn
    return OPS["nan_to_num"].fn(norm(A, order) * norm(inverse, order), math.inf, math.inf)


register("linalg.cond", linalg_cond, kind="function",
         grad_fns=("SqueezeBackward1", "DivBackward0", "SliceBackward0", "LinalgSvdBackward0",
                   "NanToNumBackward0", "MulBackward0", "SumBackward1", "ReciprocalBackward0"))

__all__ = ["linalg_tensorinv", "linalg_tensorsolve", "linalg_inv_ex", "linalg_cholesky_ex",
           "linalg_cond"]
