"""The LU family of ``torch.linalg`` and its ``torch`` names: ``linalg.lu_factor``,
``linalg.lu_factor_ex``, ``linalg.lu``, ``lu_unpack``, ``linalg.lu_solve``, and the deprecated
``torch.lu`` / ``torch.lu_solve`` (with their warnings).

The factorization is the getrf model of decompositions.py (``_getrf``): partial pivoting in
MKL's order, so the pivots, ``L`` and ``U`` are torch's (bitwise up to 16 rows; beyond, MKL
blocks its updates and the factors agree to rounding). The gradients are torch's formulas
(``linalg_lu_backward``, ``lu_factor_ex_backward``, ``lu_unpack_backward``,
``linalg_lu_solve_LU``) written with table ops, so they differentiate again."""

from __future__ import annotations

import warnings

import numpy as np

from .. import errors
from ..autograd import OUTPUT, needs_grad, record
from ..dtypes import int32
from ..tensor import Tensor, _wrap
from ._args import broadcast_shape
from .decompositions import _batch_prefix, _first_failure, _getrf, _host, _present
from .reduction import _return_type
from .registry import OPS, register


class return_types:  # noqa: N801 (mirrors torch.return_types)
    linalg_lu_factor = _return_type("linalg_lu_factor", ("LU", "pivots"))
    linalg_lu_factor_ex = _return_type("linalg_lu_factor_ex", ("LU", "pivots", "info"))
    linalg_lu = _return_type("linalg_lu", ("P", "L", "U"))
    lu_unpack = _return_type("lu_unpack", ("P", "L", "U"))
    _lu_with_info = _return_type("_lu_with_info", ("LU", "pivots", "info"))


def _tensor(t, fn: str, name: str, pos: int) -> None:
    if not isinstance(t, Tensor):
        raise errors.EngineTypeError(
            f"{fn}(): argument '{name}' (position {pos}) must be Tensor, not {type(t).__name__}")


def _at_least_2d(A: Tensor, fn: str) -> None:
    if A._data.ndim < 2:
        raise errors.EngineRuntimeError(
            f"{fn}: Expected tensor with 2 or more dimensions. Got size: "
            f"{list(A._data.shape)} instead")


# --------------------------------------------------------------------------- factor
def _factor(A: Tensor, pivot: bool, fn: str = "torch.lu_factor"):
    """``(LU, pivots, info)`` arrays of ``A`` (checked as torch checks it)."""
    _at_least_2d(A, fn)
    if A.dtype.name not in ("float32", "float64"):
        raise errors.KernelNotImplemented(
            f"\"lu_cpu\" not implemented for '{A.dtype.scalar_name}'")
    if not pivot:
        raise errors.EngineRuntimeError(
            "linalg.lu_factor: LU without pivoting is not implemented on the CPU")
    from ..cost import charge, factorization_cost

    charge("linalg.lu_factor", factorization_cost(A._data.shape))
    xp = A.device.xp
    shape = A._data.shape
    m, n = shape[-2:]
    k = min(m, n)
    batch = shape[:-2]
    if A._data.size == 0:
        lu = xp.zeros(shape, dtype=A.dtype.np)
        piv = np.tile(np.arange(1, k + 1, dtype=np.int32), batch + (1,)) if k else \
            np.zeros(batch + (0,), dtype=np.int32)
        return lu, piv, np.zeros(batch, dtype=np.int32)
    lu, piv, info = _getrf(_host(xp, A._data), pivots=True)
    return (xp.asarray(lu.reshape(shape).astype(A.dtype.np, copy=False)),
            piv.reshape(batch + (k,)).astype(np.int32), info.reshape(batch).astype(np.int32))


def _raise_zero_pivot(A: Tensor, fn: str, info: np.ndarray) -> None:
    index, k = _first_failure(info.reshape(-1))
    raise errors.EngineRuntimeError(
        f"{fn}: {_batch_prefix(index, A._data.ndim > 2)}U[{k},{k}] is zero and using it on "
        "lu_solve would result in a division by zero. If you still want to perform the "
        "factorization, consider calling linalg.lu(A, pivot) or linalg.lu_factor_ex(A, pivot)")


def _lu_factor_ex(A: Tensor, pivot: bool, check_errors: bool, fn: str):
    lu, piv, info = _factor(A, pivot)
    if check_errors and info.any():
        _raise_zero_pivot(A, fn, info)
    LU = _wrap(lu, A.dtype, A.device)
    xp = A.device.xp
    pivots = _wrap(xp.asarray(piv), int32, A.device)
    if needs_grad(A):
        record(LU, "LinalgLuFactorExBackward0",
               (lambda g, LU: _lu_factor_ex_backward(g, LU, pivots),), (A,), (OUTPUT,))
    return LU, pivots, _wrap(xp.asarray(info), int32, A.device)


def linalg_lu_factor_ex(A, *, pivot=True, check_errors=False):
    """``(LU, pivots, info)``: the LU factorization with partial pivoting of ``A`` (batched,
    any shape) packed as LAPACK's getrf packs it, its 1-based pivots and getrf's ``info`` (the
    first exactly zero pivot, or 0); ``check_errors`` raises on a nonzero ``info``."""
    _tensor(A, "linalg_lu_factor_ex", "A", 1)
    return return_types.linalg_lu_factor_ex(
        *_lu_factor_ex(A, bool(pivot), bool(check_errors), "torch.linalg.lu_factor_ex"))


def linalg_lu_factor(A, *, pivot=True):
    """``(LU, pivots)``: ``A``'s LU factorization with partial pivoting, packed as LAPACK's
    getrf; a matrix with an exactly zero pivot raises (``lu_factor_ex`` does not)."""
    _tensor(A, "linalg_lu_factor", "A", 1)
    LU, pivots, info = _lu_factor_ex(A, bool(pivot), False, "torch.linalg.lu_factor")
    if info._data.any():
        _raise_zero_pivot(A, "torch.linalg.lu_factor", _host(A.device.xp, info._data))
    return return_types.linalg_lu_factor(LU, pivots)


_LU_FACTOR_NODES = ("LinalgLuFactorExBackward0",)
register("linalg.lu_factor_ex", linalg_lu_factor_ex, kind="function", grad_fns=_LU_FACTOR_NODES)
register("linalg.lu_factor", linalg_lu_factor, kind="function", grad_fns=_LU_FACTOR_NODES)


_LU_WARNING = (
    "torch.lu is deprecated in favor of torch.linalg.lu_factor / torch.linalg.lu_factor_ex "
    "and will be removed in a future PyTorch release.\nLU, pivots = torch.lu(A, "
    "compute_pivots)\nshould be replaced with\nLU, pivots = torch.linalg.lu_factor(A, "
    "compute_pivots)\nand\nLU, pivots, info = torch.lu(A, compute_pivots, get_infos=True)\n"
    "should be replaced with\nLU, pivots, info = torch.linalg.lu_factor_ex(A, compute_pivots)")


def lu(A, pivot=True, get_infos=False):
    """``torch.lu`` (deprecated): ``(LU, pivots)`` as ``linalg.lu_factor`` without its error on
    a zero pivot, or with ``get_infos`` also getrf's ``info``."""
    _tensor(A, "lu", "A", 1)
    warnings.warn(_LU_WARNING, UserWarning, stacklevel=2)
    LU, pivots, info = _lu_factor_ex(A, bool(pivot), False, "torch.lu")
    if get_infos:
        return return_types._lu_with_info(LU, pivots, info)
    return LU, pivots


register("lu", lu, kind="both", grad_fns=_LU_FACTOR_NODES)


# --------------------------------------------------------------------------- unpack
def _permutation(piv: np.ndarray, m: int) -> np.ndarray:
    """The row order (batched) that LAPACK's 1-based pivots make of ``0..m-1``: row ``i`` of
    ``L U`` is row ``perm[i]`` of ``A``."""
    batch = piv.shape[:-1]
    flat = piv.reshape((int(np.prod(batch, dtype=np.int64)), piv.shape[-1])).astype(np.int64) - 1
    perm = np.tile(np.arange(m), (flat.shape[0], 1))
    rows = np.arange(flat.shape[0])
    for j in range(flat.shape[-1]):
        p = flat[:, j]
        a, b = perm[rows, j].copy(), perm[rows, p].copy()
        perm[rows, j], perm[rows, p] = b, a
    return perm.reshape(batch + (m,))


def _p_matrix(piv: np.ndarray, m: int, dtype, xp):
    perm = _permutation(piv, m)
    P = np.zeros(perm.shape + (m,), dtype=dtype)
    np.put_along_axis(P, perm[..., :, None], 1, axis=-1)  # P^T[i, perm[i]] = 1
    return xp.asarray(np.swapaxes(P, -1, -2))


def _unpack_arrays(xp, lu, m: int, n: int):
    k = min(m, n)
    below = xp.tril(xp.ones((m, k), dtype=bool), -1)  # (LU's -0 entries stay -0)
    L = xp.where(below, lu[..., :, :k], xp.eye(m, k, dtype=lu.dtype))
    U = xp.triu(lu[..., :k, :])
    return L, U


def _check_pivots(LU: Tensor, pivots: Tensor, fn: str) -> np.ndarray:
    if pivots.dtype is not int32:
        raise errors.EngineRuntimeError(
            f"{fn}: LU_pivots is expected to be a contiguous tensor of torch.int32 dtype.\n"
            "Note: this function is intended to be used with the output produced by "
            "torch.linalg.lu_factor")
    piv = np.asarray(_host(pivots.device.xp, pivots._data))
    m = LU._data.shape[-2]
    if piv.size and (piv.min() < 1 or piv.max() > m):
        raise errors.EngineRuntimeError(
            "pivots passed to lu_unpack must be between 1 and LU.size(-2) inclusive.Did you "
            "properly pass the result of lu_factor?")
    return piv


def lu_unpack(LU_data, LU_pivots, unpack_data=True, unpack_pivots=True):
    """``(P, L, U)`` from ``lu_factor``'s packed factors and pivots: the permutation matrix,
    the unit lower ``L`` and the upper ``U`` (``unpack_data`` / ``unpack_pivots`` False give
    empty tensors in their place)."""
    _tensor(LU_data, "lu_unpack", "LU_data", 1)
    _tensor(LU_pivots, "lu_unpack", "LU_pivots", 2)
    if LU_data._data.ndim < 2 and needs_grad(LU_data):  # (the node reads LU.size(-2) first)
        raise errors.EngineIndexError(
            "Dimension out of range (expected to be in range of [-1, 0], but got -2)")
    _at_least_2d(LU_data, "torch.lu_unpack")
    piv = _check_pivots(LU_data, LU_pivots, "torch.lu_unpack")
    xp = LU_data.device.xp
    m, n = LU_data._data.shape[-2:]
    dt = LU_data.dtype

    def empty():
        return _wrap(xp.zeros((0,), dtype=dt.np), dt, LU_data.device)

    P = _wrap(_p_matrix(piv, m, dt.np, xp), dt, LU_data.device) if unpack_pivots else empty()
    if unpack_data:
        L, U = (_wrap(a, dt, LU_data.device) for a in _unpack_arrays(xp, LU_data._data, m, n))
    else:
        L, U = empty(), empty()
    if needs_grad(LU_data) and dt.is_floating_point:
        def rule(grads, needs):
            if not unpack_data:  # (torch's formula runs on the empty L and U)
                raise errors.EngineRuntimeError("triu: input tensor must have at least 2 "
                                                "dimensions")
            return (_lu_unpack_backward(*(g if _present(g) else None for g in grads), m, n),)

        record((L, U), "LuUnpackBackward0", rule, (LU_data,), per_input=False)
    return return_types.lu_unpack(P, L, U)


register("lu_unpack", lu_unpack, kind="function", grad_fns=("LuUnpackBackward0",))


def _lu_unpack_backward(gL, gU, m: int, n: int):
    """torch's ``lu_unpack_backward``: ``L``'s strictly lower part and ``U``'s upper part,
    placed back in the packed ``m x n`` shape."""
    if gL is None and gU is None:
        return None
    k = min(m, n)
    cat = OPS["cat"].fn
    if m == n:
        if gL is not None and gU is not None:
            return gL.tril(-1) + gU.triu()
        return gU.triu() if gL is None else gL.tril(-1)
    if m < n:  # wide: L is m x m, U is m x n
        if gU is None:
            return cat([gL.tril(-1), gL.new_zeros(tuple(gL.shape[:-1]) + (n - k,))], -1)
        U_triu = gU.triu()
        if gL is None:
            return U_triu
        return cat([U_triu.narrow(-1, 0, k) + gL.tril(-1), U_triu.narrow(-1, k, n - k)], -1)
    # tall: L is m x n, U is n x n
    if gL is None:
        return cat([gU.triu(), gU.new_zeros(tuple(gU.shape[:-2]) + (m - k, n))], -2)
    L_tril = gL.tril(-1)
    if gU is None:
        return L_tril
    return cat([L_tril.narrow(-2, 0, k) + gU.triu(), L_tril.narrow(-2, k, m - k)], -2)


# --------------------------------------------------------------------------- linalg.lu
def linalg_lu(A, *, pivot=True):
    """``(P, L, U)`` with ``A = P @ L @ U`` (batched, any shape): partial pivoting as LAPACK's
    getrf; a singular matrix factors without error."""
    _tensor(A, "linalg_lu", "A", 1)
    _at_least_2d(A, "linalg.lu")
    lu_arr, piv, _ = _factor(A, bool(pivot))
    xp = A.device.xp
    m, n = A._data.shape[-2:]
    dt = A.dtype
    P = _wrap(_p_matrix(piv, m, dt.np, xp), dt, A.device)
    L, U = (_wrap(a, dt, A.device) for a in _unpack_arrays(xp, lu_arr, m, n))
    if needs_grad(A):
        def rule(grads, needs, L, U):
            gL, gU = (g if _present(g) else None for g in grads)
            return (_linalg_lu_backward(gL, gU, P, L, U),)

        record((L, U), "LinalgLuBackward0", rule, (A,), (L, U), per_input=False)
    return return_types.linalg_lu(P, L, U)


register("linalg.lu", linalg_lu, kind="function", grad_fns=("LinalgLuBackward0",))


def _solve_tri(A, B, upper: bool, left: bool = True, unit: bool = False):
    return OPS["linalg.solve_triangular"].fn(A, B, upper=upper, left=left, unitriangular=unit)


def _linalg_lu_backward(gL, gU, P, L, U):
    """torch's ``linalg_lu_backward`` (square, wide and tall cases), in table ops."""
    if gL is None and gU is None:
        return None
    m, n = L.shape[-2], U.shape[-1]
    k = min(m, n)
    cat = OPS["cat"].fn
    if m == n:
        # A_grad = P L^{-H} [L^H gL o lower + gU U^H o upper] U^{-H}
        grad = L.mT.matmul(gL).tril(-1) if gL is not None else None
        if gU is not None:
            term = gU.matmul(U.mT).triu()
            grad = term if grad is None else grad + term
        grad = _solve_tri(U.mT, grad, upper=False, left=False)
        grad = _solve_tri(L.mT, grad, upper=True, left=True, unit=True)
        return P.matmul(grad)
    if m < n:  # wide: U = [U1 U2]
        U1 = U.narrow(-1, 0, k)
        grad = L.mT.matmul(gL) if gL is not None else None
        if gU is not None:
            term = gU.triu().matmul(U.mT)
            grad = -term if grad is None else grad - term
        grad = _solve_tri(U1.mT, grad.tril(-1), upper=False, left=False)
        if gU is not None:
            grad = cat([grad + gU.narrow(-1, 0, k).triu(), gU.narrow(-1, k, n - k)], -1)
        grad = _solve_tri(L.mT, grad, upper=True, left=True, unit=True)
        if gU is None:
            grad = cat([grad, OPS["zeros_like"].fn(U.narrow(-1, k, n - k))], -1)
        return P.matmul(grad)
    # tall: L = [L1; L2]
    L1 = L.narrow(-2, 0, k)
    grad = gU.matmul(U.mT) if gU is not None else None
    if gL is not None:
        term = L.mT.matmul(gL.tril(-1))
        grad = -term if grad is None else grad - term
    grad = _solve_tri(L1.mT, grad.triu(), upper=True, left=True, unit=True)
    if gL is not None:
        grad = cat([grad + gL.narrow(-2, 0, k).tril(-1), gL.narrow(-2, k, m - k)], -2)
    grad = _solve_tri(U.mT, grad, upper=False, left=False)
    if gL is None:
        grad = cat([grad, OPS["zeros_like"].fn(L.narrow(-2, k, m - k))], -2)
    return P.matmul(grad)


def _lu_factor_ex_backward(g, LU, pivots):
    """torch's ``lu_factor_ex_backward``: through ``lu_unpack`` and ``linalg_lu_backward``."""
    P, L, U = lu_unpack(LU, pivots)
    m, n = LU.shape[-2:]
    k = min(m, n)
    return _linalg_lu_backward(g.narrow(-1, 0, k), g.narrow(-2, 0, k), P, L, U)


# --------------------------------------------------------------------------- solve
def _getrs(lu: np.ndarray, piv: np.ndarray, b: np.ndarray, adjoint: bool) -> np.ndarray:
    """``A X = B`` (``A^T X = B`` with ``adjoint``) from getrf's packed factors and pivots, as
    LAPACK's getrs: the rows of ``B`` swapped, ``L`` forward, ``U`` backward (batched,
    float64 arithmetic)."""
    n = lu.shape[-1]
    lu = lu.reshape((-1, n, n)).astype(np.float64)
    y = np.array(b, dtype=np.float64).reshape((lu.shape[0],) + b.shape[-2:])
    perm = _permutation(piv.reshape(lu.shape[0], -1), n)
    rows = np.arange(lu.shape[0])[:, None]
    with np.errstate(all="ignore"):
        if not adjoint:
            y = y[rows, perm]
            for j in range(n):  # L y = P^T b (unit diagonal)
                y[:, j + 1:] -= lu[:, j + 1:, j, None] * y[:, j, None, :]
            for j in range(n - 1, -1, -1):  # U x = y
                y[:, j] = y[:, j] / lu[:, j, j, None]
                y[:, :j] -= lu[:, :j, j, None] * y[:, j, None, :]
            return y
        for j in range(n):  # U^T y = b
            y[:, j] = y[:, j] / lu[:, j, j, None]
            y[:, j + 1:] -= lu[:, j, j + 1:, None] * y[:, j, None, :]
        for j in range(n - 1, -1, -1):  # L^T z = y
            y[:, :j] -= lu[:, j, :j, None] * y[:, j, None, :]
    x = np.empty_like(y)
    x[rows, perm] = y
    return x


def _lu_solve(LU: Tensor, pivots: Tensor, B: Tensor, left: bool, adjoint: bool) -> Tensor:
    _tensor(LU, "linalg_lu_solve", "LU", 1)
    _tensor(pivots, "linalg_lu_solve", "pivots", 2)
    _tensor(B, "linalg_lu_solve", "B", 3)
    if not LU.dtype.is_floating_point:
        raise errors.EngineRuntimeError(
            "torch.linalg.lu_solve: Expected a floating point or complex tensor as input. Got "
            f"{LU.dtype.scalar_name}")
    if LU.dtype is not B.dtype:
        raise errors.EngineRuntimeError(
            f"linalg.lu_solve: Expected LU and B to have the same dtype, but found LU of type "
            f"{LU.dtype.scalar_name} and B of type {B.dtype.scalar_name} instead")
    if B._data.ndim < 2:
        raise errors.EngineRuntimeError(
            "linalg.lu_solve: The input tensor B must have at least 2 dimensions.")
    if LU._data.ndim < 2:
        raise errors.EngineRuntimeError(
            "torch.linalg.lu_solve: The input tensor A must have at least 2 dimensions.")
    m, n = LU._data.shape[-2:]
    if m != n:
        raise errors.EngineRuntimeError(
            f"torch.linalg.lu_solve: A must be batches of square matrices, but they are {m} by "
            f"{n} matrices")
    br, bc = B._data.shape[-2:]
    if (left and br != n) or (not left and bc != n):
        eq = "AX = B" if left else "XA = B"
        raise errors.EngineRuntimeError(
            f"linalg.lu_solve: Incompatible shapes of A and B for the equation {eq} ({m}x{n} "
            f"and {br}x{bc})")
    if pivots.dtype is not int32:
        raise errors.EngineRuntimeError(
            "linalg.lu_solve: pivots should be a Tensor of scalar type torch.int32")
    pshape = pivots._data.shape
    if not pshape or pshape[-1] != n:
        raise errors.EngineRuntimeError(
            "linalg.lu_solve: Number of pivots per batch should be same as the dimension of the "
            "matrix")
    if tuple(pshape) != tuple(LU._data.shape[:-1]):
        raise errors.EngineRuntimeError(
            "linalg.lu_solve: Expected LU.shape[:-1] and pivots.shape to be the same, but got "
            f"pivots with shape {list(pshape)} instead")
    if LU.dtype.name not in ("float32", "float64"):
        raise errors.KernelNotImplemented(
            f"\"linalg.lu_solve_cpu\" not implemented for '{LU.dtype.scalar_name}'")
    xp = LU.device.xp
    piv = np.asarray(_host(xp, pivots._data))
    if piv.size and (piv.min() < 1 or piv.max() > n):
        raise errors.EngineRuntimeError(
            "Pivots given to lu_solve must all be smaller or equal to LU.size(-2). Did you "
            "properly pass the result of lu_factor?")
    batch = broadcast_shape(B._data.shape[:-2], LU._data.shape[:-2])  # (torch's order)
    lu = np.broadcast_to(_host(xp, LU._data), batch + (n, n))
    pv = np.broadcast_to(piv, batch + (n,))
    b = _host(xp, B._data)
    # XA = B is A^T X^T = B^T (A^H with adjoint: A X^T = B^T)
    rhs = np.broadcast_to(b if left else np.swapaxes(b, -1, -2),
                          batch + ((br, bc) if left else (bc, br)))
    if lu.size and rhs.size:
        x = _getrs(lu, pv, rhs, adjoint if left else not adjoint).reshape(rhs.shape)
    else:
        x = np.zeros(rhs.shape)
    if not left:
        x = np.swapaxes(x, -1, -2)
    out = _wrap(xp.asarray(np.ascontiguousarray(x).astype(B.dtype.np)), B.dtype, B.device)
    if needs_grad(LU, B):
        def rule(g, needs, LU, X):
            gLU = _lu_solve_LU_grad(g, LU, pivots, X, left, adjoint) if needs[0] else None
            gB = _lu_solve(LU, pivots, g, left, not adjoint) if needs[1] else None
            return gLU, gB

        record(out, "LinalgLuSolveBackward0", rule, (LU, B), (LU, OUTPUT), per_input=False,
               guards=(pivots,))
    return out


def _lu_solve_LU_grad(gX, LU, pivots, X, left: bool, adjoint: bool):
    """torch's ``linalg_lu_solve_LU``: the gradient for the packed factors."""
    P, L, U = lu_unpack(LU, pivots, True, left == adjoint)
    if left != adjoint:
        # gR = U^{-H} op(-gX) op(X)^H; gL = (L^{-H} gR U^H).tril(-1); gU = gR.triu()
        gR = _solve_tri(U.mT, -(gX if left else gX.mT).matmul(X.mT if left else X),
                        upper=False)
        gL = _solve_tri(L.mT, gR.matmul(U.mT), upper=True, left=True, unit=True).tril(-1)
        return gL + gR.triu()
    # gR = -P^T op(X) op(gX)^H P L^{-H}; gU = (L^H gR U^{-H}).triu(); gL = gR.tril(-1)
    gR = -P.mT.matmul(X if left else X.mT).matmul(gX.mT if left else gX).matmul(P)
    gR = _solve_tri(L.mT, gR, upper=True, left=False, unit=True)
    gU = _solve_tri(U.mT, L.mT.matmul(gR), upper=False, left=False).triu()
    return gR.tril(-1) + gU


def linalg_lu_solve(LU, pivots, B, *, left=True, adjoint=False):
    """The solution ``X`` of ``A X = B`` (``X A = B`` when not ``left``; ``A^H`` in place of
    ``A`` with ``adjoint``) from ``lu_factor``'s ``LU`` and ``pivots`` of ``A`` (batched,
    broadcast)."""
    return _lu_solve(LU, pivots, B, bool(left), bool(adjoint))


register("linalg.lu_solve", linalg_lu_solve, kind="function",
         grad_fns=("LinalgLuSolveBackward0",))

_LU_SOLVE_WARNING = (
    "torch.lu_solve is deprecated in favor of torch.linalg.lu_solveand will be removed in a "
    "future PyTorch release.\nNote that torch.linalg.lu_solve has its arguments reversed.\n"
    "X = torch.lu_solve(B, LU, pivots)\nshould be replaced with\n"
    "X = torch.linalg.lu_solve(LU, pivots, B)")


def lu_solve(input, LU_data, LU_pivots):
    """``torch.lu_solve`` (deprecated): ``linalg.lu_solve(LU_data, LU_pivots, input)``."""
    for t, name, pos in ((input, "input", 1), (LU_data, "LU_data", 2),
                         (LU_pivots, "LU_pivots", 3)):
        _tensor(t, "lu_solve", name, pos)
    warnings.warn(_LU_SOLVE_WARNING, UserWarning, stacklevel=2)
    return _lu_solve(LU_data, LU_pivots, input, True, False)


register("lu_solve", lu_solve, grad_fns=("LinalgLuSolveBackward0",))

__all__ = ["linalg_lu_factor", "linalg_lu_factor_ex", "linalg_lu", "lu_unpack",
           "linalg_lu_solve", "lu", "lu_solve"]
