"""``torch.linalg`` factorizations, solvers and matrix functions, registered as ``linalg.X``
(function-only: ``torch.linalg.det`` differs from ``torch.det`` only in name, but ``norm``
does not), plus the ``torch.*`` spellings torch keeps (``det``, ``inverse``, ``svd``, ...).

Forwards call the array module's LAPACK wrappers (batched). Gradients follow torch's formulas
(``FunctionsManual.cpp``), written with engine ops so they differentiate again: ``det`` uses
the adjugate through an SVD near singular inputs under ``create_graph`` (and gives 0 at an
exactly singular input otherwise, as torch does); ``eigh``/``svd`` divide by eigenvalue
(singular value squared) gaps, so repeated ones give inf/nan exactly where torch's do.
"""

from __future__ import annotations

import numpy as np

from .. import errors
from .._cpu import mkl_fused
from ..autograd import OUTPUT, needs_grad, record
from ..cost import charge, factorization_cost
from ..dtypes import int64
from ..modes import _grad_enabled, check_numel
from ..tensor import Tensor, _wrap
from . import lstsq_drivers
from ._args import broadcast_shape
from ._fma import fma_same
from .reduction import _return_type
from .registry import register


class return_types:  # noqa: N801 (mirrors torch.return_types)
    slogdet = _return_type("slogdet", ("sign", "logabsdet"))
    linalg_slogdet = _return_type("linalg_slogdet", ("sign", "logabsdet"))
    linalg_qr = _return_type("linalg_qr", ("Q", "R"))
    qr = _return_type("qr", ("Q", "R"))
    linalg_eigh = _return_type("linalg_eigh", ("eigenvalues", "eigenvectors"))
    linalg_svd = _return_type("linalg_svd", ("U", "S", "Vh"))
    svd = _return_type("svd", ("U", "S", "V"))
    linalg_lstsq = _return_type("linalg_lstsq",
                                ("solution", "residuals", "rank", "singular_values"))


# --------------------------------------------------------------------------- checks
def _tensor_arg(t, fn: str, name: str = "A", pos: int = 1) -> None:
    if not isinstance(t, Tensor):
        raise errors.EngineTypeError(errors.MUST_BE_TENSOR.format(
            op=fn, arg=name, pos=pos, type=type(t).__name__))


def check_matrix(A: Tensor, fn: str, *, square: bool = True, name: str = "A",
                 kernel: str | None = None, floating: bool = True) -> None:
    """torch's checks: at least 2-D, square (when asked), floating (for ops that go straight
    to their ``kernel``, its "not implemented for" error)."""
    _tensor_arg(A, fn, name)
    if A._data.ndim < 2:
        raise errors.EngineRuntimeError(
            f"{fn}: The input tensor {name} must have at least 2 dimensions.")
    m, n = A._data.shape[-2:]
    if square and m != n:
        raise errors.EngineRuntimeError(
            f"{fn}: {name} must be batches of square matrices, but they are {m} by {n} "
            "matrices")
    if floating and not A.dtype.is_floating_point:
        if kernel is not None:
            raise errors.KernelNotImplemented(errors.NOT_IMPLEMENTED_FOR.format(
                kernel=kernel, dtype=A.dtype.scalar_name))
        raise errors.EngineRuntimeError(
            f"{fn}: Expected a floating point or complex tensor as input. Got "
            f"{A.dtype.scalar_name}")
    if fn not in _NOT_FACTORED:  # priced before it runs (engine.cost)
        charge(fn, factorization_cost(A._data.shape))


_NOT_FACTORED = frozenset({"linalg.matrix_norm", "linalg.solve_triangular"})
"""Callers of :func:`check_matrix` that do no factorization of ``A`` (a norm; a substitution,
quadratic per right-hand side)."""


def _no_low_precision(A: Tensor, fn: str) -> None:
    if A.dtype.name == "float16":
        raise errors.EngineRuntimeError(f"{fn}: Low precision dtypes not supported. Got Half")


def _no_half(A: Tensor, kernel: str) -> None:
    if A.dtype.name == "float16":
        raise errors.KernelNotImplemented(errors.NOT_IMPLEMENTED_FOR.format(
            kernel=kernel, dtype="Half"))


def _batch_prefix(index: int, batched: bool) -> str:
    return f"(Batch element {index}): " if batched else ""


def _eps(dtype) -> float:
    return float(np.finfo(dtype.np).eps)


def _host(xp, arr) -> np.ndarray:
    """A host copy (CuPy arrays have ``get``; a vmap-batched array refuses, so ``vmap`` runs
    the op once per sample)."""
    if type(arr) is np.ndarray:
        return arr
    return arr.get() if hasattr(arr, "get") else np.asarray(arr)


def lapack_layout(xp, arr):
    """``arr`` laid out as LAPACK writes torch's results: each matrix (the last two dims)
    column-major, the batch row-major (torch's strides: ``(n*n, 1, n)``). A view or reshape
    of the result then records what torch's does (ReshapeAliasBackward0, not ViewBackward0;
    ``view`` refuses where torch's does). 1-d arrays are returned as they are."""
    if arr.ndim < 2:
        return arr
    return xp.swapaxes(xp.ascontiguousarray(xp.swapaxes(arr, -1, -2)), -1, -2)


_fma = fma_same  # (the error-free transformations live in _fma)


def _mkl_axpy(x: np.ndarray, y: np.ndarray, c: np.ndarray) -> np.ndarray:
    """``c - x * y`` as MKL's getrf/getrs update computes it on this machine: one fused
    multiply-add on Intel (its Intel code path), a product then a difference elsewhere
    (``engine._cpu.mkl_fused``)."""
    if mkl_fused():
        return _fma(-x, y, c)
    return c - x * y


def _getrf(a: np.ndarray, pivots: bool = False) -> tuple[np.ndarray, ...]:
    """LU with partial pivoting in the order of torch's LAPACK (MKL) ``getrf``, batched, in the
    matrices' own dtype (float32 or float64): ``(LU, info, swaps)``, or with ``pivots``
    ``(LU, ipiv, info)``; ``info`` the 1-based column of the first exactly zero pivot (0: none),
    which is what torch checks before it calls a matrix singular, ``swaps`` the number of row
    exchanges (det(P) = (-1) ** swaps), ``ipiv`` LAPACK's 1-based pivot rows. Per
    column: the first largest magnitude pivots, the column below is scaled
    by the pivot's reciprocal (by a division in the last step of a square matrix of order 2 to
    4), the trailing matrix gets a rank-1 update with fused multiply-adds on Intel, a product
    and a difference elsewhere (MKL's generic path: :func:`_mkl_axpy`). Measured against
    ``torch.linalg.lu_factor_ex`` (torch 2.13): bitwise the same factors and the same ``info``
    on 3,000 random matrices on Intel and 1,500 on an AMD EPYC (up to 16 rows, float32 and
    float64, integer-valued and singular ones included); with more than 16 rows MKL blocks the
    update (on both) and only ``info`` is modelled."""
    a = np.array(a, dtype=a.dtype if a.dtype in (np.float32, np.float64) else np.float64)
    a = a.reshape((-1,) + a.shape[-2:])
    batch, m, n = a.shape
    rows = np.arange(batch)
    info = np.zeros(batch, dtype=np.int64)
    swaps = np.zeros(batch, dtype=np.int64)  # row exchanges: det(P) = (-1) ** swaps
    ipiv = np.zeros((batch, min(m, n)), dtype=np.int64)
    one = a.dtype.type(1)
    with np.errstate(all="ignore"):
        for j in range(min(m, n)):
            p = j + _pivot_row(np.abs(a[:, j:, j]))
            zero = a[rows, p, j] == 0
            ipiv[:, j] = np.where(zero, j, p) + 1
            info[(info == 0) & zero] = j + 1
            swaps += ~zero & (p != j)
            top = a[rows, j].copy()
            a[rows, j] = np.where(zero[:, None], top, a[rows, p])
            a[rows, p] = np.where(zero[:, None], a[rows, p], top)
            piv = np.where(zero, one, a[:, j, j])[:, None]
            below = a[:, j + 1:, j]
            scaled = below / piv if m == n <= 4 and j == n - 2 else below * (one / piv)
            a[:, j + 1:, j] = np.where(zero[:, None], below, scaled)
            a[:, j + 1:, j + 1:] = _mkl_axpy(a[:, j + 1:, j, None], a[:, j, None, j + 1:],
                                             a[:, j + 1:, j + 1:])
    return (a, ipiv, info) if pivots else (a, info, swaps)


_GETRF_EXACT = 16  # the getrf model is bitwise up to this order


def _pivot_row(col: np.ndarray) -> np.ndarray:
    """idamax's choice in each row of ``col`` (magnitudes): the first largest, where NaN never
    compares larger (a NaN first element stays; later NaNs are passed over)."""
    if not np.isnan(col).any():
        return np.argmax(col, axis=1)
    first_nan = np.isnan(col[:, 0])
    pick = np.argmax(np.where(np.isnan(col), -1.0, col), axis=1)
    return np.where(first_nan, 0, pick)


def _lu_info(a: np.ndarray) -> np.ndarray:
    """LAPACK getrf's ``info`` for each matrix of a batch, as torch's MKL computes it (see
    :func:`_getrf`; NaN and inf included: the pivot search passes NaN over, an infinite pivot
    zeroes the column below it, which can leave an exactly zero pivot behind)."""
    return _getrf(np.asarray(a))[1]


def _cholesky_info(a: np.ndarray) -> np.ndarray:
    """LAPACK potrf's ``info``: the order of the first leading minor that is not positive
    definite (reading the lower triangle), 0 when the factorization succeeds."""
    a = np.array(a, dtype=np.float64).reshape((-1,) + a.shape[-2:])
    n = a.shape[-1]
    low = np.zeros_like(a)
    info = np.zeros(a.shape[0], dtype=np.int64)
    for j in range(n):
        d = a[:, j, j] - (low[:, j, :j] ** 2).sum(-1)
        bad = ~(d > 0)
        info[(info == 0) & bad] = j + 1
        root = np.sqrt(np.where(bad, 1.0, d))
        low[:, j, j] = root
        low[:, j + 1:, j] = (a[:, j + 1:, j] - np.einsum(
            "bik,bk->bi", low[:, j + 1:, :j], low[:, j, :j])) / root[:, None]
    return info


def _first_failure(info: np.ndarray):
    bad = np.nonzero(info)[0]
    return (int(bad[0]), int(info[bad[0]])) if bad.size else None


def _eye_like(t: Tensor, n: int) -> Tensor:
    return _wrap(t.device.xp.eye(n, dtype=t.dtype.np), t.dtype, t.device)


def diag_embed(v: Tensor) -> Tensor:
    """``(..., n) -> (..., n, n)`` with ``v`` on the diagonal (engine ops: differentiable)."""
    return v.unsqueeze(-1) * _eye_like(v, v._data.shape[-1])


def _set_diagonal(M: Tensor, v: Tensor) -> Tensor:
    eye = _eye_like(M, M._data.shape[-1])
    return M * (1 - eye) + v.unsqueeze(-1) * eye


# --------------------------------------------------------------------------- det, slogdet
def _det_lu(a: np.ndarray, contiguous: bool) -> np.ndarray:
    """torch's CPU det: MKL's getrf (see :func:`_getrf`) of the matrices' transposes when the
    tensor is contiguous (LAPACK reads its row-major data as column-major: det(A) = det(A^T),
    no copy), of the matrices themselves otherwise (copied column-major), then
    ``det(P) * prod(diag(U))`` multiplied left to right in the matrices' dtype. Measured
    against torch 2.13: bitwise the same on 5,975 of 6,000 random contiguous matrices up to 11
    rows (singular, integer-valued and signed-zero ones included), the zero signs of singular
    ones 1,972 of 1,997 (NumPy's LU: about half); 400 of 400 transposed, sliced and strided
    views."""
    lu, _, swaps = _getrf(np.ascontiguousarray(np.swapaxes(a, -1, -2) if contiguous else a))
    diag = np.diagonal(lu, 0, -2, -1)
    acc = np.ones(lu.shape[0], dtype=lu.dtype)
    with np.errstate(all="ignore"):
        for j in range(diag.shape[-1]):
            acc = acc * diag[:, j]
        acc = np.where(swaps % 2 == 1, -acc, acc)
    return acc.reshape(a.shape[:-2])


def _det(A: Tensor, fn: str) -> Tensor:
    check_matrix(A, fn)
    _no_half(A, "lu_cpu")
    xp = A.device.xp
    a = A._data
    if type(a) is np.ndarray and a.dtype in (np.float32, np.float64) and a.shape[-1] <= 16 \
            and a.size <= 65536 and a.size and bool(np.isfinite(a).all()):
        # (MKL's LU is modelled up to 16 rows; its NaN/inf pivots are not)
        det = _det_lu(a, A.is_contiguous())
    else:
        det = xp.linalg.det(a)
    out = _wrap(xp.asarray(det).astype(A.dtype.np, copy=False), A.dtype, A.device)
    if needs_grad(A):
        record(out, "LinalgDetBackward0", (_det_grad,), (A,), (A, OUTPUT))
    return out


def _det_singular(A: Tensor, det: Tensor):
    """Where ``A`` is singular to working precision: ``|det|`` within rounding of Hadamard's
    bound (the product of the row norms). There ``det(A) A^{-T}`` is rounding over rounding
    (or 0 over 0), while the gradient, the adjugate, is well defined: torch computes it from
    the SVD. (A false positive costs only time: the SVD formula holds for every matrix.)"""
    xp = A.device.xp
    a = A._data
    n = a.shape[-1]
    bound = xp.prod(xp.sqrt((a.astype(np.float64) ** 2).sum(-1)), axis=-1)
    return xp.abs(det._data.astype(np.float64)) <= 1e3 * n * _eps(A.dtype) * bound


def _det_grad_svd(g: Tensor, A: Tensor) -> Tensor:
    U, S, Vh = linalg_svd(A)
    alpha = linalg_det(U) * linalg_det(Vh) * g
    D = alpha.unsqueeze(-1) * _prod_others(S)
    return (U * D.unsqueeze(-2)) @ Vh


def _det_grad(g: Tensor, A: Tensor, det: Tensor) -> Tensor:
    if A._data.size == 0:
        return A * 0
    d = g * det
    xp = A.device.xp
    if A._data.shape[-1] == 1:  # torch's: the incoming gradient itself, at any value
        return g.unsqueeze(-1).unsqueeze(-1).expand(A._data.shape)
    if not _grad_enabled.get():  # torch's kernel: A^{-T} det(A) g, so 0 where det(A) is 0
        singular = det._data == 0
        if not xp.any(singular) or bool(xp.isfinite(A._data).all()):
            # (one LU solve for every matrix, U's zero pivots replaced by epsilon: a zero
            # right-hand side's zeros signed by that arithmetic)
            return _solve_transposed_diag(A, d._data, lapack_order=True,
                                          eps_pivots=bool(xp.any(singular)))
        a = A._data
        n = a.shape[-1]
        a = xp.where(singular[..., None, None], xp.eye(n, dtype=a.dtype), a)
        inv_t = xp.swapaxes(xp.linalg.inv(a), -1, -2)
        return _wrap((d._data[..., None, None] * inv_t).astype(A.dtype.np, copy=False),
                     A.dtype, A.device)
    # under create_graph torch's gradient is the adjugate, from the SVD where A is singular
    singular = _det_singular(A, det) if xp.isfinite(A._data).all() else det._data == 0
    if not xp.any(singular):
        from .matrices import diag_embed as diag_embed_op

        return linalg_solve(A.mT, diag_embed_op(d.unsqueeze(-1).expand(A._data.shape[:-1])))
    return _det_grad_svd(g, A)


def xp_any(arr) -> bool:
    return bool(arr.any())


def _present(g) -> bool:
    """Whether an output's gradient takes part: the engine hands a multi-output rule zeros for
    an output that got none, where torch's formulas see "undefined" (and skip terms that would
    divide 0 by 0 at repeated values). A gradient that is a graph variable always counts."""
    return g is not None and (g.requires_grad or xp_any(g._data != 0))


def _prod_others(s: Tensor) -> Tensor:
    """``out[..., i] = prod_{j != i} s[..., j]`` without division (zeros are fine)."""
    from .shape import cat

    n = s._data.shape[-1]
    one = s[..., :1] * 0 + 1
    left = cat([one, s[..., :n - 1]], -1).cumprod(-1)
    right = cat([s[..., 1:], one], -1).flip(-1).cumprod(-1).flip(-1)
    return left * right


def linalg_det(A):
    """Determinant of square matrices (batched)."""
    return _det(A, "linalg.det")


def det(input):
    """Determinant of square matrices (``torch.det``, the same as ``torch.linalg.det``)."""
    return _det(input, "linalg.det")


def _lu_sign(a: np.ndarray) -> np.ndarray:
    """The determinant's sign as LAPACK's getrf gives it for matrices with NaN: the pivot is
    the first largest magnitude (a NaN never wins unless it comes first), and the sign is the
    permutation's times the signs of U's diagonal (a NaN's sign is 0)."""
    a = np.array(a, dtype=np.float64).reshape((-1,) + a.shape[-2:])
    n = a.shape[-1]
    sign = np.ones(a.shape[0])
    rows = np.arange(a.shape[0])
    with np.errstate(all="ignore"):
        for k in range(n):
            col = np.abs(a[:, k:, k])
            p = k + np.where(np.isnan(col[:, 0]), 0,
                             np.argmax(np.where(np.isnan(col), -1.0, col), axis=1))
            top = a[rows, k].copy()
            a[rows, k] = a[rows, p]
            a[rows, p] = top
            sign = np.where(p != k, -sign, sign)
            piv = a[:, k, k]
            factors = a[:, k + 1:, k] / piv[:, None]
            a[:, k + 1:, k + 1:] -= factors[:, :, None] * a[:, k, None, k + 1:]
        d = np.diagonal(a, 0, -2, -1)
        return np.sign(d).prod(-1) * sign


def _slogdet(A: Tensor, fn: str, cls, check: str | None = None):
    check_matrix(A, check or fn)
    _no_low_precision(A, check or fn)
    xp = A.device.xp
    sign, logabs = xp.linalg.slogdet(A._data)
    if A._data.size and bool(xp.isnan(logabs).any()):  # NaN inputs: LU's own sign
        host = _host(xp, A._data)
        fixed = np.where(np.isnan(_host(xp, logabs)).reshape(-1),
                         np.nan_to_num(_lu_sign(host), nan=0.0),
                         _host(xp, sign).reshape(-1)).reshape(host.shape[:-2])
        sign = xp.asarray(fixed)
    sign = _wrap(xp.asarray(sign).astype(A.dtype.np, copy=False), A.dtype, A.device)
    logabs = _wrap(xp.asarray(logabs).astype(A.dtype.np, copy=False), A.dtype, A.device)
    if needs_grad(A):
        record((sign, logabs), "LinalgSlogdetBackward0", _slogdet_rule, (A,), (A,),
               per_input=False)
    return cls(sign, logabs)


def _lu_solve(a: np.ndarray, b: np.ndarray, adjoint: bool, native: bool = False,
              eps_pivots: bool = False) -> np.ndarray:
    """``X`` with ``A X = B`` (``adjoint``: ``A^T X = B``) through LAPACK's steps, batched:
    getrf (partial pivoting, the column below a pivot scaled by its reciprocal, rank-1
    updates), then getrs: 'N' swaps the rows of ``B``, runs ``L`` forward, ``U`` backward;
    'T' runs ``U^T`` forward, ``L^T`` backward and undoes the swaps; each substitution in axpy
    order with the diagonal's reciprocal (on MKL's Intel path an update by a zero entry of the
    factors is skipped: measured on a Sapphire Rapids with zero incoming gradients of det, the
    programs whose gradient's zero signs differed 302 -> 93 of 1,500, orders 1 to 4). The
    order of the operations decides the signs of zeros (and where NaN/inf appear): a
    determinant's gradient for a zero incoming gradient is all zeros, signed by this
    arithmetic. ``eps_pivots``: U's exactly zero pivots replaced
    by the dtype's epsilon first (det's backward without grad mode: a singular matrix's
    zeros then come out of the same arithmetic, not 0/0)."""
    # (float32 in float64 too: torch's float32 solve is that accurate; ``native``: in the
    # matrices' own dtype, as det's backward solves with the forward's float32 LU)
    dt = a.dtype if native and a.dtype == np.float32 else np.dtype(np.float64)
    a = np.array(a, dtype=dt).reshape((-1,) + a.shape[-2:])
    y = np.array(b, dtype=dt).reshape(a.shape[:1] + b.shape[-2:])
    batch, n = a.shape[0], a.shape[-1]
    rows = np.arange(batch)
    perm = np.tile(np.arange(n), (batch, 1))
    one = dt.type(1)
    with np.errstate(all="ignore"):
        # the factors are getrf's as the forward det computed them (torch saves that LU): a
        # refactoring without the fused update found exact zero pivots where MKL's has tiny
        # ones, and gave inf/NaN for det's gradient where torch's is the adjugate
        a, ipiv, _ = _getrf(a, pivots=True)
        if eps_pivots:
            diag = a[:, np.arange(n), np.arange(n)]
            a[:, np.arange(n), np.arange(n)] = np.where(diag == 0, dt.type(eps_pivots), diag)
        for k in range(n):
            p = ipiv[:, k] - 1
            perm[rows, k], perm[rows, p] = perm[rows, p], perm[rows, k].copy()
        recip = one / a[:, np.arange(n), np.arange(n)]
        if not adjoint and not mkl_fused():
            return _getrs_generic(a, y[rows[:, None], perm], recip, False).reshape(b.shape)
        if not mkl_fused():
            y = _getrs_generic(a, y, recip, True)
        elif not adjoint:
            y = y[rows[:, None], perm]
            for k in range(n):  # L y = P b (unit diagonal)
                _axpy_nonzero(y[:, k + 1:], a[:, k + 1:, k, None], y[:, k, None, :])
            for k in range(n - 1, -1, -1):  # U x = y
                y[:, k] = y[:, k] * recip[:, k, None]
                _axpy_nonzero(y[:, :k], a[:, :k, k, None], y[:, k, None, :])
            return y.reshape(b.shape)
        else:
            for i in range(n):  # U^T y = b
                y[:, i] = y[:, i] * recip[:, i, None]
                _axpy_nonzero(y[:, i + 1:], a[:, i, i + 1:, None], y[:, i, None, :])
            for i in range(n - 1, -1, -1):  # L^T z = y (unit diagonal)
                _axpy_nonzero(y[:, :i], a[:, i, :i, None], y[:, i, None, :])
    x = np.empty_like(y)
    x[rows[:, None], perm] = y
    return x.reshape(b.shape)


def _axpy_nonzero(y, col, v):
    """``y -= col * v`` in place, only in the right-hand sides whose solved unknown ``v`` is
    not zero (BLAS trsm's column update skips a zero: a -0. right-hand side stays -0.)."""
    y[...] = np.where(col != 0, y - col * v, y)


def _dot(terms, y):
    """``y - (p_1 + p_2 + ...)`` for the products ``p`` of ``terms`` ((factor, value) pairs,
    summed in the given order from the first product, so a lone product keeps its zero's
    sign); ``y`` itself without terms."""
    if not terms:
        return y
    total = terms[0][0] * terms[0][1]
    for f, v in terms[1:]:
        total = total + f * v
    return y - total


def _getrs_generic(lu: np.ndarray, y: np.ndarray, recip: np.ndarray, adjoint: bool):
    """MKL's getrs substitutions where it takes its generic (non-Intel) path, in place on the
    permuted right-hand sides ``y`` (batch, n, k): each unknown is its right-hand side less
    the dot product of the solved unknowns with the factor's row ('N') or column ('T'),
    summed in the order they were solved, then times the pivot's reciprocal (``U``, ``U^T``).
    Measured with torch 2.13 on an AMD EPYC (Zen 5): the whole solution bitwise on 480 of 480
    random zero-heavy systems up to order 4 (both 'N' and 'T', 1 to 3 right-hand sides), and
    on 'N' to order 5; 'T' from order 5 on blocks its dot products otherwise (43 of 60
    bitwise at order 5). The axpy order of the Intel path matched 60 % to 85 % up to order 3."""
    n = lu.shape[-1]
    if not adjoint:
        for i in range(n):  # L y = P b (unit diagonal)
            y[:, i] = _dot([(lu[:, i, k, None], y[:, k]) for k in range(i)], y[:, i])
        for i in range(n - 1, -1, -1):  # U x = y
            y[:, i] = _dot([(lu[:, i, k, None], y[:, k]) for k in range(n - 1, i, -1)],
                           y[:, i]) * recip[:, i, None]
        return y
    for i in range(n):  # U^T y = b
        y[:, i] = _dot([(lu[:, k, i, None], y[:, k]) for k in range(i)], y[:, i]) * \
            recip[:, i, None]
    for i in range(n - 1, -1, -1):  # L^T z = y (unit diagonal)
        y[:, i] = _dot([(lu[:, k, i, None], y[:, k]) for k in range(n - 1, i, -1)], y[:, i])
    return y


def _getrs_model(a: np.ndarray, b: np.ndarray, adjoint: bool) -> np.ndarray:
    """``X`` with ``A X = B`` (``adjoint``: ``A^T X = B``, torch's ``left=False`` on ``B^T``)
    from the getrf model's factors, substituted as MKL's getrs: swaps, unit ``L`` forward and
    ``U`` backward (or ``U^T`` forward, ``L^T`` backward, swaps undone), column after column
    with fused multiply-adds and the pivots' reciprocals. The signs of the zeros of torch's
    solution follow this arithmetic (on 400 random zero-heavy systems up to order 5: all signs
    but 6 systems', against 54 for NumPy's solve)."""
    dt = a.dtype if a.dtype in (np.float32, np.float64) else np.dtype(np.float64)
    lu, ipiv, _ = _getrf(np.asarray(a, dtype=dt), pivots=True)
    batch, n = lu.shape[0], lu.shape[-1]
    y = np.array(np.broadcast_to(b, a.shape[:-2] + b.shape[-2:]), dtype=dt).reshape(
        (batch,) + b.shape[-2:])
    rows = np.arange(batch)
    with np.errstate(all="ignore"):
        recip = dt.type(1) / lu[:, np.arange(n), np.arange(n)]
        if not adjoint:
            for k in range(n):
                p = ipiv[:, k] - 1
                top = y[rows, k].copy()
                y[rows, k] = y[rows, p]
                y[rows, p] = top
            if not mkl_fused():
                return _getrs_generic(lu, y, recip, False).reshape(
                    a.shape[:-2] + b.shape[-2:])
            for k in range(n):
                y[:, k + 1:] = _mkl_axpy(lu[:, k + 1:, k, None], y[:, k, None, :], y[:, k + 1:])
            for k in range(n - 1, -1, -1):
                y[:, k] = y[:, k] * recip[:, k, None]
                y[:, :k] = _mkl_axpy(lu[:, :k, k, None], y[:, k, None, :], y[:, :k])
        else:
            if not mkl_fused():
                _getrs_generic(lu, y, recip, True)
            else:
                for i in range(n):
                    y[:, i] = y[:, i] * recip[:, i, None]
                    y[:, i + 1:] = _mkl_axpy(lu[:, i, i + 1:, None], y[:, i, None, :],
                                             y[:, i + 1:])
                for i in range(n - 1, -1, -1):
                    y[:, :i] = _mkl_axpy(lu[:, i, :i, None], y[:, i, None, :], y[:, :i])
            for k in range(n - 1, -1, -1):
                p = ipiv[:, k] - 1
                top = y[rows, k].copy()
                y[rows, k] = y[rows, p]
                y[rows, p] = top
    return y.reshape(a.shape[:-2] + b.shape[-2:])


def _solve_transposed_diag(A: Tensor, diag, lapack_order: bool = False,
                           eps_pivots: bool = False) -> Tensor:
    """``X`` with ``A^T X = diag_embed(diag)`` as torch's det/slogdet backward gets it: an LU of
    ``A^T`` for a row-major contiguous ``A`` (column-major for LAPACK), else of ``A`` with a
    transposed solve (the path decides the signs of zeros and where NaN/inf land).
    ``lapack_order``: the contiguous path through :func:`_lu_solve` too (det: its right-hand
    side is ``g * det``, all zeros for a zero ``g``, whose signs only that order reproduces;
    slogdet's agree with NumPy's solve as often). ``eps_pivots``: see :func:`_lu_solve`."""
    xp = A.device.xp
    a = _host(xp, A._data)
    eps = float(np.finfo(a.dtype).eps) if eps_pivots else False
    rhs = np.zeros(a.shape, dtype=np.float64)
    idx = np.arange(a.shape[-1])
    rhs[..., idx, idx] = _host(xp, diag)[..., None]
    if a.flags.c_contiguous and lapack_order:
        gA = _lu_solve(np.swapaxes(a, -1, -2), rhs, adjoint=False, native=True,
                       eps_pivots=eps)
    elif a.flags.c_contiguous:
        try:
            gA = np.linalg.solve(np.swapaxes(a, -1, -2), rhs)
        except np.linalg.LinAlgError:  # singular: LU's division by a zero pivot
            gA = np.full(a.shape, np.nan)
    else:
        gA = _lu_solve(a, rhs, adjoint=True, eps_pivots=eps)
    return _wrap(xp.asarray(gA.astype(A.dtype.np, copy=False)), A.dtype, A.device)


def _slogdet_rule(grads, needs, A):
    """torch's: solve ``A^T X = diag_embed(g)`` (the off-diagonal zeros of the right-hand side
    are +0.). torch factors ``A^T`` when ``A`` is row-major contiguous (it is then column-major
    for LAPACK), else ``A`` itself and solves with its transpose: the same gradient, with the
    signs of its zeros from that path."""
    from .matrices import diag_embed as diag_embed_op

    g = grads[1]  # the sign of a real determinant has no gradient
    if not _grad_enabled.get():
        res = _solve_transposed_diag(A, g._data)
        xp = A.device.xp
        nan = xp.isnan(A._data).any(axis=(-2, -1))  # LU spreads a NaN over the whole solution
        if bool(nan.any()):
            res = _wrap(xp.where(nan[..., None, None], np.nan, res._data), A.dtype, A.device)
        return (res,)
    return (linalg_solve(A.mT, diag_embed_op(g.unsqueeze(-1).expand(A._data.shape[:-1]))),)


def linalg_slogdet(A):
    """Sign and natural log of the absolute value of the determinant: ``(sign, logabsdet)``."""
    return _slogdet(A, "linalg.slogdet", return_types.linalg_slogdet)


def slogdet(input):
    """``torch.slogdet``: ``(sign, logabsdet)`` of square matrices."""
    return _slogdet(input, "linalg.slogdet", return_types.slogdet)


def logdet(input):
    """Log-determinant: nan for a negative determinant, -inf for a zero one."""
    from .pointwise import where

    sign, logabs = _slogdet(input, "linalg.slogdet", return_types.slogdet, check="logdet")
    return where(sign == -1, float("nan"), logabs)


# --------------------------------------------------------------------------- inv, solve
def _singular_info(A: Tensor, a, inverse=None) -> np.ndarray | None:
    """torch's verdict on ``A``'s matrices: getrf's ``info`` in MKL's order (:func:`_getrf`),
    or None when none is singular. An exact zero pivot in a matrix of order up to 16 is
    rounding, and NumPy's LU rounds differently (on 6,000 random small matrices NumPy's and
    torch's verdicts differed on 358): those whose condition number (1-norm, from NumPy's
    ``inverse``, or None: computed, or NumPy's LU failed) is beyond what LU's rounding can
    bring to an exact zero take the model. Larger ones take it when NumPy's LU finds a zero
    determinant."""
    xp = A.device.xp
    if not a.size:
        return None
    n = a.shape[-1]
    if n > 16:
        if not xp_any(xp.linalg.det(a) == 0):
            return None
        return _nonzero(_lu_info(_host(xp, a)))
    flat = _host(xp, a).reshape((-1, n, n))
    with np.errstate(all="ignore"):
        try:
            inv = np.linalg.inv(flat) if inverse is None else \
                _host(xp, inverse).reshape(flat.shape)
            cond = np.abs(flat).sum(-2).max(-1) * np.abs(inv).sum(-2).max(-1)
            # a pivot LU rounds to exactly 0 is within n eps growth |A| of one: cond beyond
            suspect = ~(cond < 1 / (64 * n * 2.0 ** n * _eps(A.dtype)))
        except np.linalg.LinAlgError:
            suspect = np.ones(flat.shape[0], dtype=bool)
    if not suspect.any():
        return None
    info = np.zeros(flat.shape[0], dtype=np.int64)
    info[suspect] = _lu_info(flat[suspect])
    return _nonzero(info)


def _nonzero(info: np.ndarray) -> np.ndarray | None:
    return info if info.any() else None


def _raise_singular_inv(A: Tensor, fn: str, info: np.ndarray) -> None:
    index, k = _first_failure(info)
    raise errors.LinAlgError(
        f"{fn}: {_batch_prefix(index, A._data.ndim > 2)}The diagonal element {k} is zero, "
        "the inversion could not be completed because the input matrix is singular.")


def _solve_lu(xp, a, b):
    """``A X = B`` through the modelled LU (no exactly zero pivot in torch's, one in NumPy's)."""
    b = np.broadcast_to(_host(xp, b), a.shape[:-1] + b.shape[-1:])
    x = _lu_solve(_host(xp, a), b, adjoint=False)
    return xp.asarray(x.astype(a.dtype, copy=False))


def _inv(A: Tensor, fn: str = "linalg.inv") -> Tensor:
    check_matrix(A, fn)
    _no_low_precision(A, fn)
    xp = A.device.xp
    a = A._data
    try:
        res = xp.linalg.inv(a)
    except np.linalg.LinAlgError:  # an exactly zero pivot in NumPy's LU: in torch's too?
        res = None
    info = _singular_info(A, a, res)
    if info is not None:
        _raise_singular_inv(A, fn, info)
    if res is None:  # not in torch's
        res = _solve_lu(xp, a, xp.eye(a.shape[-1], dtype=a.dtype))
    res = _nan_through_getri(xp, a, res)
    out = _wrap(lapack_layout(xp, res.astype(A.dtype.np, copy=False)), A.dtype, A.device)
    if needs_grad(A):
        record(out, "LinalgInvExBackward0", (lambda g, inv: -(inv.mT @ (g @ inv.mT)),), (A,),
               (OUTPUT,))
    return out


def _nan_through_getri(xp, a, res):
    """torch's inverse of a matrix whose LU factors hold a NaN (a NaN in the input, or inf
    meeting inf or zero in the elimination) is NaN everywhere (getri spreads it); NumPy's
    leaves some entries finite. Only matrices with a non-finite entry are looked at."""
    if not a.size or bool(xp.isfinite(a).all()):
        return res
    n = a.shape[-1]
    flat = _host(xp, a).reshape((-1, n, n))
    bad = ~np.isfinite(flat).all(axis=(-2, -1))
    lu = _getrf(flat[bad])[0]
    nan = np.zeros(flat.shape[0], dtype=bool)
    nan[bad] = np.isnan(lu).any(axis=(-2, -1))
    if not nan.any():
        return res
    mask = xp.asarray(nan.reshape(a.shape[:-2] + (1, 1)))
    return xp.where(mask, xp.asarray(np.nan, dtype=res.dtype), res)


def linalg_inv(A):
    """Inverse of square matrices (batched); a singular matrix raises ``LinAlgError``."""
    return _inv(A)


def inverse(input):
    """``torch.inverse``: the same as ``torch.linalg.inv``."""
    return _inv(input)


def _is_vector_rhs(A: Tensor, B: Tensor) -> bool:
    nb = B._data.ndim
    return nb == 1 or (nb == A._data.ndim - 1 and B._data.shape == A._data.shape[:-1])


def linalg_solve(A, B, *, left=True):
    """The solution ``X`` of ``A X = B`` (``X A = B`` with ``left=False``); ``B`` may be a
    (batch of) vector(s); batch dimensions broadcast."""
    fn = "linalg.solve"
    _tensor_arg(A, fn, "A", 1)
    _tensor_arg(B, fn, "B", 2)
    return _solve(A, B, left)[0]


def _solve(A: Tensor, B: Tensor, left: bool, partial: str | None = None):
    """``(X, info)`` of ``linalg.solve`` (info: getrf's per matrix of ``A``'s own batch, or
    None when none is singular). ``partial`` (``linalg.solve_ex``'s name): a singular ``A``
    does not raise: ``X`` is what getrs leaves from the singular factors (inf/NaN, as the
    getrf model has them, up to order 16)."""
    fn = "linalg.solve"
    check_matrix(A, fn)
    if B._data.ndim < 1:
        raise errors.EngineRuntimeError(
            f"{fn}: The input tensor B must have at least 2 dimensions.")
    if A.dtype is not B.dtype:
        raise errors.EngineRuntimeError(
            f"{fn}: Expected A and B to have the same dtype, but found A of type "
            f"{A.dtype.scalar_name} and B of type {B.dtype.scalar_name} instead")
    _no_half(A, "lu_cpu")
    vector = _is_vector_rhs(A, B)  # (torch's test ignores ``left``: XA = B then fails)
    xp = A.device.xp
    a, b = A._data, B._data
    if vector:
        b = b[..., None]
    bs = b.shape[-2:]
    if not left:
        a, b = xp.swapaxes(a, -1, -2), xp.swapaxes(b, -1, -2)
    n = a.shape[-1]
    if b.shape[-2] != n:
        eq = "AX = B" if left else "XA = B"
        raise errors.EngineRuntimeError(
            f"{fn}: Incompatible shapes of A and B for the equation {eq} "
            f"({A._data.shape[-2]}x{A._data.shape[-1]} and {bs[-2]}x{bs[-1]})")
    if vector and not left:
        raise errors.EngineRuntimeError(
            f"{fn}: Vector broadcasting of the left hand side is not supported for left=False. "
            "In this case linalg.solve is equivalent to B / A.squeeze(-1)")
    batch = broadcast_shape(b.shape[:-2], a.shape[:-2])  # torch names B's batch first
    check_numel(batch + b.shape[-2:])
    # torch factors A itself (its own batch, not broadcast; not transposed for left=False):
    # the error names a batch element only when A has batch dimensions
    info = _singular_info(A, A._data)
    if info is not None and partial is None:
        index = _first_failure(info)[0]
        raise errors.LinAlgError(
            f"torch.{fn}: {_batch_prefix(index, A._data.ndim > 2)}The solver failed because "
            "the input matrix is singular.")
    a = xp.broadcast_to(a, batch + a.shape[-2:])
    b = xp.broadcast_to(b, batch + b.shape[-2:])
    if info is not None:  # getrs on the singular factors, as the model has them
        if n > _GETRF_EXACT:
            raise errors.NotSupported(
                f"{partial} of a singular {n} by {n} matrix: torch returns LAPACK's partial "
                f"result, modelled here only up to order {_GETRF_EXACT}")
        a0 = _host(xp, xp.broadcast_to(A._data, batch + A._data.shape[-2:]))
        res = xp.asarray(_getrs_model(a0, _host(xp, b), adjoint=not left).astype(
            A.dtype.np, copy=False))
    else:
        try:
            res = xp.linalg.solve(a, b) if a.size else xp.zeros(b.shape, dtype=b.dtype)
        except np.linalg.LinAlgError:  # an exactly zero pivot in NumPy's LU, not in torch's
            res = _solve_lu(xp, a, b)
    if info is None and res.size and a.shape[-1] <= _GETRF_EXACT and xp_any(res == 0):
        # the signs of exact zeros: LAPACK's arithmetic on A's own factors (B transposed
        # for left=False)
        a0 = _host(xp, xp.broadcast_to(A._data, batch + A._data.shape[-2:]))
        model = _getrs_model(a0, _host(xp, b), adjoint=not left)
        zero = (_host(xp, res) == 0) & (model == 0)
        if zero.any():
            res = xp.where(xp.asarray(zero), xp.asarray(model.astype(res.dtype)), res)
    if not left:
        res = xp.swapaxes(res, -1, -2)
    if vector:
        res = res[..., 0]
    # torch's layout: LAPACK's with left=True (a batch of vectors as the columns of matrices
    # too), row-major with left=False (it solves the transposed system)
    res = res.astype(A.dtype.np, copy=False)
    out = _wrap(lapack_layout(xp, res) if left else xp.ascontiguousarray(res), A.dtype,
                A.device)
    if needs_grad(A, B):
        record(out, "LinalgSolveExBackward0", _solve_rule(left, vector), (A, B), (A, OUTPUT),
               per_input=False)
    return out, info


def _solve_adjoint(A: Tensor, g: Tensor, left: bool) -> Tensor:
    """``B``'s gradient: ``A^T X = g`` (``X A^T = g``). torch solves it with the forward's LU
    of ``A``: for a singular ``A`` (``linalg.solve_ex`` answers one) that is getrs on the
    singular factors, inf/NaN as the getrf model has them, not an error. (That gradient is not
    recorded further: a second order through a singular ``A`` has no graph.)"""
    try:
        return linalg_solve(A.mT, g, left=left)
    except errors.LinAlgError:
        if A._data.shape[-1] > _GETRF_EXACT:
            raise
    xp = A.device.xp
    batch = broadcast_shape(A._data.shape[:-2], g._data.shape[:-2])
    a0 = _host(xp, xp.broadcast_to(A._data, batch + A._data.shape[-2:]))
    gg = _host(xp, xp.broadcast_to(g._data, batch + g._data.shape[-2:]))
    if left:
        res = _getrs_model(a0, gg, adjoint=True)
    else:
        res = np.swapaxes(_getrs_model(a0, np.swapaxes(gg, -1, -2), adjoint=False), -1, -2)
    info = _singular_info(A, A._data)  # the batch's regular matrices as linalg.solve's
    regular = np.broadcast_to((info == 0).reshape(A._data.shape[:-2]), batch)
    if regular.any():
        aa = np.swapaxes(a0[regular], -1, -2) if left else a0[regular]
        rhs = gg[regular] if left else np.swapaxes(gg[regular], -1, -2)
        sol = np.linalg.solve(aa, rhs)
        res[regular] = sol if left else np.swapaxes(sol, -1, -2)
    return _wrap(xp.asarray(np.ascontiguousarray(res.astype(A.dtype.np, copy=False))),
                 A.dtype, A.device)


def _solve_rule(left: bool, vector: bool):
    def rule(g, needs, A, X):
        if vector:  # torch solves for a matrix and squeezes (SqueezeBackward1)
            gB_ = _solve_adjoint(A, g.unsqueeze(-1), left)
            gB = gB_.squeeze(-1)
            X = X.unsqueeze(-1)
        else:
            gB_ = gB = _solve_adjoint(A, g, left)
        gA = None
        if needs[0]:
            gA = -(gB_ @ X.mT) if left else -(X.mT @ gB_)
        return gA, gB if needs[1] else None

    return rule


def linalg_solve_triangular(A, B, *, upper, left=True, unitriangular=False):
    """The solution of ``A X = B`` (``X A = B``) for triangular ``A``: only its upper (or lower)
    triangle is read, and with ``unitriangular`` its diagonal is taken as ones."""
    fn = "linalg.solve_triangular"
    _tensor_arg(A, fn, "A", 1)
    _tensor_arg(B, fn, "B", 2)
    if A._data.ndim < 2 or not A._data.shape[-1] == A._data.shape[-2]:
        check_matrix(A, fn)
    if B._data.ndim < 2:
        raise errors.EngineRuntimeError(
            f"{fn}: The input tensor B must have at least 2 dimensions.")
    if not A.dtype.is_floating_point or A.dtype.name == "float16":
        _no_half(A, "triangular_solve_cpu")
        raise errors.KernelNotImplemented(errors.NOT_IMPLEMENTED_FOR.format(
            kernel="triangular_solve_cpu", dtype=A.dtype.scalar_name))
    if A.dtype is not B.dtype:  # torch computes in A's dtype
        B = B.to(A.dtype)
    xp = A.device.xp
    n = A._data.shape[-1]
    tri = xp.triu(A._data) if upper else xp.tril(A._data)
    if unitriangular:
        eye = xp.eye(n, dtype=tri.dtype)
        tri = tri * (1 - eye) + eye
    a, b = tri, B._data.astype(A.dtype.np, copy=False)  # torch computes in A's dtype
    if not left:
        a, b = xp.swapaxes(a, -1, -2), xp.swapaxes(b, -1, -2)
    if b.shape[-2] != n:
        eq = "AX = B" if left else "XA = B"
        raise errors.EngineRuntimeError(
            f"{fn}: Incompatible shapes of A and B for the equation {eq} ({n}x{n} and "
            f"{B._data.shape[-2]}x{B._data.shape[-1]})")
    batch = broadcast_shape(b.shape[:-2], a.shape[:-2])  # torch names B's batch first
    a = xp.broadcast_to(a, batch + a.shape[-2:])
    b = xp.broadcast_to(b, batch + b.shape[-2:])
    with np.errstate(all="ignore"):
        diag = xp.diagonal(a, 0, -2, -1)
        if a.size and (xp_any(diag == 0) or not bool(xp.isfinite(b).all()) or
                       not bool(xp.isfinite(a).all())):
            # back substitution as trsm: a zero pivot gives inf/nan, a NaN in B stays in the
            # columns and rows it reaches
            res = _back_substitution(xp, a, b, lower=(upper != left))
        else:
            res = xp.linalg.solve(a, b) if a.size else xp.zeros(b.shape, dtype=b.dtype)
    if not left:
        res = xp.swapaxes(res, -1, -2)
    out = _wrap(lapack_layout(xp, res.astype(A.dtype.np, copy=False)), A.dtype, A.device)
    if needs_grad(A, B):
        record(out, "LinalgSolveTriangularBackward0",
               _triangular_rule(upper, left, unitriangular, B.dtype), (A, B), (A, OUTPUT),
               per_input=False)
    return out


def _back_substitution(xp, a, b, lower: bool):
    n = a.shape[-1]
    x = xp.zeros(b.shape, dtype=np.result_type(a.dtype, b.dtype))
    order = range(n) if lower else range(n - 1, -1, -1)
    for i in order:
        done = slice(0, i) if lower else slice(i + 1, n)
        # trsm's sum over the solved entries starts from -0 (so -0 - sum = +0 when empty)
        part = a[..., i, done, None] * x[..., done, :]
        acc = b[..., i, :] - (part.sum(-2) if part.shape[-2] else -0.0)
        x[..., i, :] = acc / a[..., i, i, None]
    return x


def _triangular_rule(upper: bool, left: bool, unit: bool, b_dtype):
    def rule(g, needs, A, X):
        gB = linalg_solve_triangular(A.mT, g, upper=not upper, left=left, unitriangular=unit)
        gA = None
        if needs[0]:
            gA = -(gB @ X.mT) if left else -(X.mT @ gB)
            gA = gA.triu(int(unit)) if upper else gA.tril(-int(unit))
        if needs[1] and gB.dtype is not b_dtype:
            gB = gB.to(b_dtype)
        return gA, gB if needs[1] else None

    return rule


# --------------------------------------------------------------------------- cholesky
def _cholesky(A: Tensor, upper: bool, fn: str, node: str) -> Tensor:
    check_matrix(A, fn, kernel="cholesky_cpu" if fn == "cholesky" else None)
    _no_half(A, "cholesky_cpu")
    xp = A.device.xp
    a = xp.swapaxes(A._data, -1, -2) if upper else A._data  # upper: read A's upper triangle
    res = None
    if a.size:
        try:
            res = xp.linalg.cholesky(a)
        except np.linalg.LinAlgError:
            res = None
        if res is None or xp_any(xp.isnan(res)):
            info = _cholesky_info(_host(xp, a))
            bad = _first_failure(info)
            if bad is not None:
                index, k = bad
                raise errors.LinAlgError(
                    f"{fn}: {_batch_prefix(index, A._data.ndim > 2)}The factorization could "
                    "not be completed because the input is not positive-definite (the "
                    f"leading minor of order {k} is not positive-definite).")
    else:
        res = xp.zeros(a.shape, dtype=a.dtype)
    if upper:
        res = xp.swapaxes(res, -1, -2)
    out = _wrap(lapack_layout(xp, res.astype(A.dtype.np, copy=False)), A.dtype, A.device)
    if needs_grad(A):
        record(out, node, (lambda g, L: _cholesky_grad(g, L, upper),), (A,), (OUTPUT,))
    return out


def _cholesky_grad(gL: Tensor, L: Tensor, upper: bool) -> Tensor:
    if upper:
        L, gL = L.mT, gL.mT
    gA = (L.mT @ gL).tril()
    gA = 0.5 * (gA + gA.tril(-1).mT)
    gA = linalg_solve_triangular(L.mT, gA, upper=True, left=True)
    return linalg_solve_triangular(L, gA, upper=False, left=False)


def linalg_cholesky(A, *, upper=False):
    """Cholesky factor ``L`` (lower triangular, ``A = L L^T``) of symmetric positive-definite
    matrices; ``upper=True`` gives ``L^T``."""
    return _cholesky(A, bool(upper), "linalg.cholesky", "LinalgCholeskyExBackward0")


def cholesky(input, upper=False):
    """``torch.cholesky`` (deprecated in torch): the Cholesky factor, recorded as
    ``CholeskyBackward0``."""
    return _cholesky(input, bool(upper), "cholesky", "CholeskyBackward0")


# --------------------------------------------------------------------------- qr
def _qr(A: Tensor, mode: str, fn: str, cls):
    if mode not in ("reduced", "complete", "r"):
        raise errors.EngineRuntimeError(
            f"qr received unrecognized mode '{mode}' but expected one of 'reduced' (default), "
            "'r', or 'complete'")
    check_matrix(A, fn, square=False)
    _no_half(A, "geqrf_cpu")
    xp = A.device.xp
    a = A._data
    m, n = a.shape[-2:]
    if a.size:
        q, r = xp.linalg.qr(a, mode="complete" if mode == "complete" else "reduced")
    else:
        k = m if mode == "complete" else min(m, n)
        q = xp.broadcast_to(xp.eye(m, k, dtype=a.dtype), a.shape[:-2] + (m, k)).copy()
        r = xp.zeros(a.shape[:-2] + (k, n), dtype=a.dtype)
    if mode == "r":
        q = xp.zeros((0,), dtype=a.dtype)
    Q = _wrap(lapack_layout(xp, q.astype(A.dtype.np, copy=False)), A.dtype, A.device)
    R = _wrap(lapack_layout(xp, r.astype(A.dtype.np, copy=False)), A.dtype, A.device)
    if needs_grad(A):
        record((Q, R), "LinalgQrBackward0", _qr_rule(mode), (A,), (Q, R), per_input=False)
    return cls(Q, R)


def _qr_rule(mode: str):
    def rule(grads, needs, Q, R):
        gQ, gR = grads
        if mode == "r":
            raise errors.EngineRuntimeError(
                "The derivative of linalg.qr depends on Q, which is not computed when "
                "mode='r'. Please use linalg.qr(A, mode='reduced') if you are going to "
                "differentiate through linalg.qr.")
        m, n = Q._data.shape[-2], R._data.shape[-1]
        if mode == "complete" and m > n:
            raise errors.EngineRuntimeError(
                "The QR decomposition is not differentiable when mode='complete' and nrows > "
                "ncols.")
        M = gR @ R.mT - Q.mT @ gQ
        if m >= n:
            T = M.triu()
            gA = Q @ (T + T.mT - diag_embed(T.diagonal(0, -2, -1))) + gQ
            return (linalg_solve_triangular(R.mT, gA, upper=False, left=False),)
        from .shape import cat

        gA = Q @ (-M - (-M).mT).tril()
        gA = linalg_solve_triangular(R[..., :m].mT, gA, upper=False, left=False)
        gA = cat([gA, gA.new_zeros(gA._data.shape[:-1] + (n - m,))], -1)
        return (gA + Q @ gR,)

    return rule


def linalg_qr(A, mode="reduced"):
    """QR decomposition ``A = Q R``: ``mode`` 'reduced' (default), 'complete' or 'r'."""
    return _qr(A, mode, "linalg.qr", return_types.linalg_qr)


def qr(input, some=True):
    """``torch.qr`` (deprecated in torch): ``linalg.qr`` with ``some`` for 'reduced'."""
    return _qr(input, "reduced" if some else "complete", "linalg.qr", return_types.qr)


# --------------------------------------------------------------------------- eigh
def _eigh_arrays(A: Tensor, UPLO: str, fn: str):
    if UPLO not in ("L", "U"):
        raise errors.EngineRuntimeError(
            f"Expected UPLO argument to be 'L' or 'U', but got {UPLO}")
    check_matrix(A, fn, kernel="linalg_eigh_cpu", floating=A._data.size > 0)
    xp = A.device.xp
    a = A._data
    if not A.dtype.is_floating_point:  # an empty one: torch's kernel is never reached
        return xp.zeros(a.shape[:-1], dtype=a.dtype), xp.zeros(a.shape, dtype=a.dtype)
    if a.size:
        _no_half(A, "linalg_eigh_cpu")
    if not a.size:
        return xp.zeros(a.shape[:-1], dtype=a.dtype), xp.zeros(a.shape, dtype=a.dtype)
    w, v = xp.linalg.eigh(a, UPLO=UPLO)
    return w.astype(A.dtype.np, copy=False), lapack_layout(xp, v.astype(A.dtype.np,
                                                                         copy=False))


def linalg_eigh(A, UPLO="L"):
    """Eigenvalues (ascending) and orthonormal eigenvectors of symmetric matrices, reading
    the lower (``UPLO='L'``) or upper triangle."""
    w, v = _eigh_arrays(A, UPLO, "linalg.eigh")
    L, V = _wrap(w, A.dtype, A.device), _wrap(v, A.dtype, A.device)
    if needs_grad(A):
        record((L, V), "LinalgEighBackward0", _eigh_rule, (A,), (L, V), per_input=False)
    return return_types.linalg_eigh(L, V)


def _eigh_rule(grads, needs, L, V):
    gL, gV = grads
    if not _present(gV):  # eigenvalues only (eigvalsh, or V unused)
        return ((V * gL.unsqueeze(-2)) @ V.mT,)
    VhgV = V.mT @ gV
    VhgV = 0.5 * (VhgV - VhgV.mT)
    E = L.unsqueeze(-2) - L.unsqueeze(-1)
    E = _set_diagonal(E, E.diagonal(0, -2, -1) * 0 + 1)
    inner = _set_diagonal(VhgV / E, gL)
    return (V @ (inner @ V.mT),)


def linalg_eigvalsh(A, UPLO="L"):
    """Eigenvalues (ascending) of symmetric matrices (the eigenvectors are kept for the
    gradient, as torch does, so it differentiates twice)."""
    return linalg_eigh(A, UPLO).eigenvalues


# --------------------------------------------------------------------------- svd
def _svd_arrays(A: Tensor, full_matrices: bool, fn: str):
    check_matrix(A, fn, square=False)
    xp = A.device.xp
    a = A._data
    if a.size:
        _no_half(A, "linalg_svd_cpu")
    m, n = a.shape[-2:]
    k = min(m, n)
    if a.size and bool(xp.isnan(a).any()):
        bad = _host(xp, xp.isnan(a).reshape((-1, m * n)).any(-1))
        raise errors.LinAlgError(
            f"{fn}: {_batch_prefix(int(np.flatnonzero(bad)[0]), a.ndim > 2)}The algorithm "
            "failed to converge because the input matrix contained non-finite values.")
    if a.size and not bool(xp.isfinite(a).all()):
        # LAPACK returns NaN singular values (and flipped identities as vectors) where a
        # matrix holds an infinity; torch passes them on
        mu, nv = (m, n) if full_matrices else (k, k)
        flip = xp.eye(max(m, n), dtype=a.dtype)
        flip[:k, :k] = flip[:k, :k][::-1]
        u = xp.broadcast_to(flip[:m, :mu], a.shape[:-2] + (m, mu))
        vh = xp.broadcast_to(flip[:nv, :n], a.shape[:-2] + (nv, n))
        s = xp.zeros(a.shape[:-2] + (k,), dtype=a.dtype)
        finite = xp.isfinite(a).reshape(a.shape[:-2] + (-1,)).all(-1)
        if bool(finite.any()):
            u0, s0, vh0 = xp.linalg.svd(xp.where(finite[..., None, None], a, 0),
                                        full_matrices=full_matrices)
            u = xp.where(finite[..., None, None], u0, u)
            vh = xp.where(finite[..., None, None], vh0, vh)
            s = s0
        s = xp.where(finite[..., None], s, np.nan)
        dt = A.dtype.np
        return (lapack_layout(xp, u.astype(dt)), s.astype(dt, copy=False),
                lapack_layout(xp, vh.astype(dt)))
    if not a.size:
        mu, nv = (m, n) if full_matrices else (k, k)
        return (lapack_layout(xp, xp.broadcast_to(xp.eye(m, mu, dtype=a.dtype),
                                                  a.shape[:-2] + (m, mu))),
                xp.zeros(a.shape[:-2] + (k,), dtype=a.dtype),
                lapack_layout(xp, xp.broadcast_to(xp.eye(nv, n, dtype=a.dtype),
                                                  a.shape[:-2] + (nv, n))))
    u, s, vh = xp.linalg.svd(a, full_matrices=full_matrices)
    s = s + 0.0  # LAPACK may return -0. for a zero singular value; torch's is +0.
    dt = A.dtype.np
    return (lapack_layout(xp, u.astype(dt, copy=False)), s.astype(dt, copy=False),
            lapack_layout(xp, vh.astype(dt, copy=False)))


def _svd_driver(A, driver) -> None:
    """torch's ``driver=`` picks a cuSOLVER algorithm (the same decomposition); elsewhere
    torch refuses it."""
    if driver is not None and A.device.type != "cuda":
        raise errors.EngineRuntimeError(
            "torch.linalg.svd: keyword argument `driver=` is only supported on CUDA inputs "
            "with cuSOLVER backend.")


def linalg_svd(A, full_matrices=True, *, driver=None):
    """Singular value decomposition ``A = U diag(S) Vh`` (singular values descending)."""
    _svd_driver(A, driver)
    u, s, vh = _svd_arrays(A, bool(full_matrices), "linalg.svd")
    U, S, Vh = (_wrap(x, A.dtype, A.device) for x in (u, s, vh))
    if needs_grad(A):
        record((U, S, Vh), "LinalgSvdBackward0", _svd_rule(bool(full_matrices)), (A,),
               (U, S, Vh), per_input=False)
    return return_types.linalg_svd(U, S, Vh)


def _svd_rule(full: bool):
    def rule(grads, needs, U, S, Vh):
        gU, gS, gVh = grads
        k = S._data.shape[-1]
        if full:
            U, Vh = U[..., :k], Vh[..., :k, :]
            gU, gVh = gU[..., :k], gVh[..., :k, :]
        return (svd_backward(gU, gS, gVh, U, S, Vh),)

    return rule


def svd_backward(gU, gS, gVh, U, S, Vh) -> Tensor:
    """torch's ``svd_backward`` for real inputs (constant zero ``gU``/``gVh`` count as
    absent)."""
    m, n = U._data.shape[-2], Vh._data.shape[-1]
    has_u, has_v = _present(gU), _present(gVh)
    if not has_u and not has_v:
        return U @ (gS.unsqueeze(-1) * Vh) if m >= n else (U * gS.unsqueeze(-2)) @ Vh
    S2 = S * S
    E = S2.unsqueeze(-2) - S2.unsqueeze(-1)
    E = _set_diagonal(E, E.diagonal(0, -2, -1) * 0 + 1)
    UhgU = U.mT @ gU - (U.mT @ gU).mT if has_u else None
    VhgV = Vh @ gVh.mT - (Vh @ gVh.mT).mT if has_v else None
    if has_u and has_v:
        ret = (UhgU * S.unsqueeze(-2) + S.unsqueeze(-1) * VhgV) / E
    elif has_u:
        ret = (UhgU / E) * S.unsqueeze(-2)
    else:
        ret = S.unsqueeze(-1) * (VhgV / E)
    ret = ret + diag_embed(gS)
    if m > n and has_u:
        gA = U @ ret
        gUSinv = gU / S.unsqueeze(-2)
        gA = gA + gUSinv - U @ (U.mT @ gUSinv)
        return gA @ Vh
    if m < n and has_v:
        gA = ret @ Vh
        SinvgVh = gVh / S.unsqueeze(-1)
        gA = gA + SinvgVh - (SinvgVh @ Vh.mT) @ Vh
        return U @ gA
    return U @ (ret @ Vh) if m >= n else (U @ ret) @ Vh


def linalg_svdvals(A, *, driver=None):
    """Singular values (descending) of (batches of) matrices (the singular vectors are kept
    for the gradient, as torch does, so it differentiates twice)."""
    _svd_driver(A, driver)
    if not needs_grad(A):
        _, s, _ = _svd_arrays(A, False, "linalg.svd")
        return _wrap(s, A.dtype, A.device)
    return linalg_svd(A, full_matrices=False).S


def svd(input, some=True, compute_uv=True):
    """``torch.svd`` (deprecated in torch): ``(U, S, V)`` with ``V = Vh^T``; without
    ``compute_uv``, U and V are zero-filled ``(m, m)`` and ``(n, n)`` matrices."""
    if not compute_uv:
        S = linalg_svdvals(input)
        xp = input.device.xp
        m, n = input._data.shape[-2:]
        lead = input._data.shape[:-2]
        U = _wrap(xp.zeros(lead + (m, m), dtype=input.dtype.np), input.dtype, input.device)
        V = _wrap(xp.zeros(lead + (n, n), dtype=input.dtype.np), input.dtype, input.device)
        return return_types.svd(U, S, V)
    U, S, Vh = linalg_svd(input, full_matrices=not some)
    return return_types.svd(U, S, Vh.mT)


# --------------------------------------------------------------------------- pinv, lstsq
def _pinv_tol(atol, rtol, m: int, n: int, dtype):
    """torch's default tolerances: ``rtol = eps * max(m, n)`` unless ``atol`` is given."""
    if atol is None and rtol is None:
        rtol = _eps(dtype) * max(m, n)
    elif rtol is None:
        rtol = 0.0
    atol = 0.0 if atol is None else atol
    return atol, rtol


def _tol_array(value):
    if isinstance(value, Tensor):
        return value._data[..., None]
    return value


def linalg_pinv(A, *, atol=None, rtol=None, hermitian=False):
    """Moore-Penrose pseudoinverse; singular values below ``max(atol, rtol * largest)`` are
    treated as zero (default ``rtol = eps * max(m, n)``)."""
    fn = "linalg.pinv"
    _tensor_arg(A, fn)
    from .nn import _no_grad_for

    _no_grad_for("linalg_pinv", "atol", atol)
    _no_grad_for("linalg_pinv", "rtol", rtol)
    if A._data.ndim < 2 or A.dtype.name not in ("float32", "float64"):
        shape = ", ".join(str(s) for s in A._data.shape)
        raise errors.EngineRuntimeError(
            f"linalg.pinv({A.dtype.scalar_name}{{[{shape}]}}): expected a tensor with 2 or "
            "more dimensions of float, double, cfloat or cdouble types")
    xp = A.device.xp
    a = A._data
    m, n = a.shape[-2:]
    at, rt = _pinv_tol(atol, rtol, m, n, A.dtype)
    if hermitian:  # (its eigenvalues' check names linalg.eigh)
        check_matrix(A, "linalg.eigh", kernel="linalg_eigh_cpu")
    with np.errstate(all="ignore"):
        if hermitian:
            w, v = xp.linalg.eigh(a) if a.size else (xp.zeros(a.shape[:-1]), a)
            big = xp.abs(w).max(-1, keepdims=True) if a.size else 0
            tol = xp.maximum(_tol_array(at), _tol_array(rt) * big)
            inv_w = xp.where(xp.abs(w) > tol, 1 / w, 0)
            res = (v * inv_w[..., None, :]) @ xp.swapaxes(v, -1, -2)
        elif a.size:
            # through _svd_arrays: LAPACK's svd can loop forever on a non-finite matrix
            u, s, vh = _svd_arrays(A, False, "linalg.svd")
            big = s[..., :1]
            tol = xp.maximum(_tol_array(at), _tol_array(rt) * big)
            inv_s = xp.where(s > tol, 1 / s, 0)
            res = (xp.swapaxes(vh, -1, -2) * inv_s[..., None, :]) @ xp.swapaxes(u, -1, -2)
        else:
            res = xp.zeros(a.shape[:-2] + (n, m), dtype=a.dtype)
    out = _wrap(xp.ascontiguousarray(res).astype(A.dtype.np, copy=False), A.dtype, A.device)
    if needs_grad(A):
        record(out, "LinalgPinvBackward0", (pinv_backward,), (A,), (A, OUTPUT))
    return out


def pinv_backward(g: Tensor, A: Tensor, P: Tensor) -> Tensor:
    """torch's ``pinv_backward`` (Golub and Pereyra) for real inputs; ``P = pinv(A)``."""
    m, n = A._data.shape[-2:]
    Ph, gh = P.mT, g.mT
    if m <= n:
        K = gh @ P
        KPh = K @ Ph
        return -(P @ K).mT + KPh - (A @ P) @ KPh + (Ph @ P) @ (gh - K @ A)
    K = P @ gh
    PhK = Ph @ K
    return -(K @ P).mT + (gh - A @ K) @ P @ Ph + PhK - PhK @ P @ A


def pinverse(input, rcond=1e-15):
    """``torch.pinverse``: ``linalg.pinv`` with ``rtol=rcond``."""
    return linalg_pinv(input, rtol=rcond)


_DRIVERS = ("gels", "gelsy", "gelsd", "gelss")


def linalg_lstsq(A, B, rcond=None, *, driver=None):
    """Least-squares solution of ``A X = B``: ``(solution, residuals, rank, singular_values)``
    as torch's CPU drivers fill them (default 'gelsy': rank only)."""
    fn = "torch.linalg.lstsq"
    _tensor_arg(A, "linalg.lstsq", "self", 1)
    _tensor_arg(B, "linalg.lstsq", "b", 2)
    cuda = A.device.type == "cuda"  # (torch's CUDA lstsq has gels only, and defaults to it)
    if driver is None:
        driver = "gels" if cuda else "gelsy"
    if cuda and driver != "gels":
        raise errors.EngineRuntimeError(
            f"{fn}: `driver` other than `gels` is not supported on CUDA")
    if driver not in _DRIVERS:
        raise errors.EngineRuntimeError(
            f"{fn}: parameter `driver` should be one of (gels, gelsy, gelsd, gelss)")
    if A._data.ndim < 2:
        check_matrix(A, "linalg.lstsq", square=False, name="A")
    if A.dtype is not B.dtype:
        raise errors.EngineRuntimeError(
            f"{fn}: Expected input and other to have the same dtype, but got "
            f"input's dtype {A.dtype.scalar_name} and other's dtype {B.dtype.scalar_name}")
    if not 0 <= A._data.ndim - B._data.ndim <= 1:  # (A's batch does not broadcast B's up)
        raise errors.EngineRuntimeError(
            f"{fn}: input.dim() must be greater or equal to other.dim() and "
            "(input.dim() - other.dim()) <= 1")
    if A.dtype.name not in ("float32", "float64"):
        raise errors.EngineRuntimeError(
            "This function doesn't handle types other than float and double")
    vector = B._data.ndim == A._data.ndim - 1
    b = B._data[..., None] if vector else B._data
    if b.ndim < 2 or A._data.shape[-2] != b.shape[-2]:
        raise errors.EngineRuntimeError(f"{fn}: input.size(-2) should match other.size(-2)")
    xp = A.device.xp
    a = A._data
    for arr, pos in ((a, 4), (b, 6)):  # LAPACK's argument check refuses NaN
        if arr.size and bool(xp.isnan(arr).any()):
            raise errors.EngineRuntimeError(
                'false INTERNAL ASSERT FAILED at "/__w/pytorch/pytorch/aten/src/ATen/native/'
                'BatchLinearAlgebra.cpp":1613, please report a bug to PyTorch. '
                f"torch.linalg.lstsq: Argument {pos + (driver == 'gels')} has illegal value. "
                "Most certainly there is a bug in the implementation calling the backend "
                "library.")
    m, n = a.shape[-2:]
    batch = broadcast_shape(a.shape[:-2], b.shape[:-2])
    a = xp.broadcast_to(a, batch + a.shape[-2:])
    b = xp.broadcast_to(b, batch + b.shape[-2:])
    rc = _eps(A.dtype) * max(m, n) if rcond is None else rcond
    ha, hb = _host(xp, a).astype(np.float64), _host(xp, b).astype(np.float64)
    flat_a = ha.reshape((-1, m, n))
    flat_b = hb.reshape((-1, m, b.shape[-1]))
    sols, ranks, svs = [], [], []
    dt = A.dtype.np
    for i in range(flat_a.shape[0]):
        a_ok, b_ok = np.isfinite(flat_a[i]).all(), np.isfinite(flat_b[i]).all()
        if a_ok and b_ok and driver in ("gels", "gelsy"):  # (in the input's precision)
            a_i, b_i = flat_a[i].astype(dt), flat_b[i].astype(dt)
            if driver == "gelsy":
                x, r = lstsq_drivers.gelsy(a_i, b_i, rc)
            else:
                x, r = lstsq_drivers.gels(a_i, b_i)
                if r:
                    where = f"(Batch element {i}): " if batch else ""
                    raise errors.LinAlgError(
                        f"{fn}: {where}The least squares solution could not be computed "
                        "because the input matrix does not have full rank (error code: "
                        f"{r}).")
            x, s = x.astype(np.float64), None
        elif a_ok and b_ok:
            x, _, r, s = np.linalg.lstsq(flat_a[i], flat_b[i], rcond=rc)
        else:  # NaN/inf: LAPACK's answer is its arithmetic on them; never NumPy's error
            x = np.full((n, flat_b.shape[-1]), np.nan)
            s = np.linalg.svd(flat_a[i], compute_uv=False) if a_ok else \
                np.full(min(m, n), np.nan)
            r = int((s > rc * s.max()).sum()) if a_ok and s.size else 0
        sols.append(x)
        ranks.append(r)
        svs.append(s)
    k = b.shape[-1]
    sol = np.stack(sols).reshape(batch + (n, k)) if sols else np.zeros(batch + (n, k))
    rank = np.asarray(ranks, dtype=np.int64).reshape(batch)
    full = bool((rank == min(m, n)).all()) if rank.size else True
    want_res = driver == "gels" and m > n or driver in ("gelsd", "gelss") and m > n and full
    if want_res:
        res = ((ha @ sol - hb) ** 2).sum(-2)  # (a vector's keeps its dim of one)
    else:
        res = np.zeros((0,))
    if vector:
        solution = xp.asarray(sol[..., 0].astype(dt))
    else:  # torch's: the first n rows of LAPACK's column-major (max(m, n), k) buffer
        buf = lapack_layout(xp, xp.zeros(sol.shape[:-2] + (max(m, n), sol.shape[-1]), dt))
        buf[..., :n, :] = sol
        solution = buf[..., :n, :]
    X = _wrap(solution, A.dtype, A.device)
    R = _wrap(xp.asarray(res.astype(dt)), A.dtype, A.device)
    rank_t = _wrap(xp.asarray(rank if driver != "gels" else np.zeros((0,), np.int64)), int64,
                   A.device)
    sv = np.stack(svs).reshape(batch + (min(m, n),)) if driver in ("gelsd", "gelss") and svs \
        else np.zeros((0,))
    S = _wrap(xp.asarray(sv.astype(dt)), A.dtype, A.device)
    if needs_grad(A, B):
        record((X, R), "LinalgLstsqBackward0", _lstsq_rule(vector), (A, B), (A, B, X),
               per_input=False)
    return return_types.linalg_lstsq(X, R, rank_t, S)


def _lstsq_rule(vector: bool):
    def rule(grads, needs, A, B, X):
        gX, gL = grads
        Bm = B.unsqueeze(-1) if vector else B
        Xm = X.unsqueeze(-1) if vector else X
        gXm = gX.unsqueeze(-1) if vector else gX
        P = linalg_pinv(A)
        gA = pinv_backward(gXm @ Bm.mT, A, P) if needs[0] else None
        gB = P.mT @ gXm if needs[1] else None
        if gB is not None and vector:
            gB = gB.squeeze(-1)
        if gL._data.size:
            r = A @ Xm - Bm
            gl = gL.unsqueeze(-2)
            if needs[0]:
                gA = gA + 2 * (gl * r) @ Xm.mT
            if needs[1]:
                term = -2 * gl * r
                gB = gB + (term.squeeze(-1) if vector else term)
        return gA, gB

    return rule


# --------------------------------------------------------------------------- matrix_exp
# Scaling and squaring with the degree-optimized Taylor polynomials of Bader, Blanes and Casas,
# "Computing the matrix exponential with an optimized Taylor polynomial approximation"
# (Mathematics 7, 1174, 2019), as torch evaluates them: degrees 1, 2, 4, 8, 12 and 18 chosen
# by the 1-norm (their bounds theta_m for double and for single precision); above the last one
# the matrix is scaled by 2^-s, T18 evaluated and squared s times. A batch of more than one
# matrix uses the scaled T18 for every matrix, as torch does.
_THETAS = {
    "float64": (2.220446049250313e-16, 2.580956802971767e-08, 3.397168839976962e-04,
                4.991228871115323e-02, 2.996158913811580e-01, 1.090863719290036e+00),
    "float32": (1.192092800768788e-07, 5.978858893805233e-04, 5.116619363445086e-02,
                5.800524627688768e-01, 1.461661507209034e+00, 3.010066362817634e+00),
}
_SQRT177 = 13.30413469565007072504
_X3 = 2.0 / 3.0
# T8 = I + A + y2 A^2 + (x3 A^2 + A4)(x4 I + x5 A + x6 A^2 + x7 A4), A4 = A^2 (x1 A + x2 A^2)
_T8 = dict(x1=_X3 * ((1.0 + _SQRT177) / 88.0), x2=_X3 * ((1.0 + _SQRT177) / 352.0), x3=_X3,
           x4=(-271.0 + 29.0 * _SQRT177) / (315.0 * _X3),
           x5=(-11.0 + 11.0 * _SQRT177) / (1260.0 * _X3),
           x6=(-99.0 + 11.0 * _SQRT177) / (5040.0 * _X3),
           x7=(89.0 - _SQRT177) / (5040.0 * _X3),  # torch's x7 (the paper's has x3 squared)
           y2=(857.0 - 58.0 * _SQRT177) / 630.0)
# T12: B_k = sum_i b[k][i] A^i (i = 0..3); A6 = B2 + B3 B3; T12 = B0 + (B1 + A6) A6
_T12 = ((9.0198e-16, 0.46932117595418237389, -0.20099424927047284052, -0.04623946134063071740),
        (5.31597895759871264183, 1.19926790417132231573, 0.01179296240992997031,
         0.01108844528519167989),
        (0.18188869982170434744, 0.05502798439925399070, 0.09351590770535414968,
         0.00610700528898058230),
        (-2.0861320e-13, -0.13181061013830184015, -0.02027855540589259079,
         -0.00675951846863086359))
# T18: B_k = sum over (I, A, A^2, A^3, A^6); A9 = B3 + B0 B4; T18 = B1 + (B2 + A9) A9
_T18 = ((0.0, -1.00365581030144618291e-01, -8.02924648241156932449e-03,
         -8.92138498045729985177e-04, 0.0),
        (0.0, 3.97849749499645077844e-01, 1.36783778460411720168e+00,
         4.98289622525382669416e-01, -6.37898194594723280150e-04),
        (-1.09676396052962061844e+01, 1.68015813878906206114e+00, 5.71779846478865511061e-02,
         -6.98210122488052056106e-03, 3.34975017086070470649e-05),
        (-9.04316832390810593223e-02, -6.76404519071381882256e-02, 6.75961301770459654925e-02,
         2.95552570429315521194e-02, -1.39180257516060693404e-05),
        (0.0, 0.0, -9.23364619367118555360e-02, -1.69364939002081722752e-02,
         -1.40086798182036094347e-05))


class _TaylorArith:
    """The arithmetic of one dtype: products in it (half: float products rounded once, as
    torch's CPU half matmul) and its coefficient tables. torch 2.13 keeps the tables of a
    half input in double precision and reads their bytes as half values (every coefficient
    becomes 16 bits of a double: T4 gives 0, T8/T12 NaN, T18 about -2.1e4 on the diagonal);
    that is what torch returns for half, so it is reproduced here."""

    def __init__(self, xp, dtype):
        self.xp, self.dt = xp, dtype
        self.half = dtype == np.float16

    def coefs(self, values):
        arr = np.asarray(values, dtype=np.float64)
        if self.half:
            return arr.ravel().view(np.float16)[:arr.size].reshape(arr.shape)
        return arr.astype(self.dt)

    def mm(self, a, b):
        if self.half:
            return (a.astype(np.float32) @ b.astype(np.float32)).astype(np.float16)
        return a @ b

    def comb(self, mats, values, raw=None):
        """sum_i c_i mats[i], accumulated in the dtype one term at a time (``raw``: the
        coefficients already in the dtype)."""
        out = None
        for c, m in zip(self.coefs(values) if raw is None else raw, mats, strict=True):
            term = self.dt.type(c) * m
            out = term if out is None else out + term
        return out


def _taylor(ar: _TaylorArith, a, degree: int):
    """The Taylor approximant of degree 1, 2, 4, 8, 12 or 18 of a stack ``a`` (B, n, n)."""
    xp = ar.xp
    eye = xp.broadcast_to(xp.eye(a.shape[-1], dtype=ar.dt), a.shape)
    if degree == 1:
        return eye + a
    a2 = ar.mm(a, a)
    if degree == 2:
        return eye + a + a2 / ar.dt.type(2)
    if degree == 4:
        a4 = ar.mm(a2, ar.comb([eye, a, a2], (1 / 2.0, 1 / 6.0, 1 / 24.0)))
        return ar.comb([eye, a, a2, a4], (1.0, 1.0, 0.0, 1.0))
    if degree == 8:
        c = _T8
        a4 = ar.mm(a2, ar.comb([a, a2], (c["x1"], c["x2"])))
        a8 = ar.mm(ar.comb([a2, a4], (c["x3"], 1.0)),
                   ar.comb([eye, a, a2, a4], (c["x4"], c["x5"], c["x6"], c["x7"])))
        return ar.comb([eye, a, a2, a4, a8], (1.0, 1.0, c["y2"], 0.0, 1.0))
    a3 = ar.mm(a2, a)
    if degree == 12:
        b = [ar.comb([eye, a, a2, a3], None, row) for row in ar.coefs(_T12)]
        a6 = b[2] + ar.mm(b[3], b[3])
        return b[0] + ar.mm(b[1] + a6, a6)
    powers = [eye, a, a2, a3, ar.mm(a3, a3)]
    b = [ar.comb(powers, None, row) for row in ar.coefs(_T18)]
    a9 = b[3] + ar.mm(b[0], b[4])
    return b[1] + ar.mm(b[2] + a9, a9)


def _expm_stack(xp, a, highest: bool):
    """``exp`` of every matrix of a finite stack ``a`` (B, n, n), n >= 2, in a's dtype
    (``highest``: the scaled T18 for all, torch's choice for a batch of several)."""
    dt = a.dtype
    ar = _TaylorArith(xp, dt)
    thetas = [dt.type(t) for t in _THETAS["float32" if dt == np.float32 else "float64"]]
    norm = xp.abs(a).astype(np.float32 if ar.half else dt).sum(-2).max(-1).astype(dt)
    out = xp.empty_like(a)
    if not highest:
        lower = dt.type(-1)
        for degree, theta in zip((1, 2, 4, 8, 12), thetas[:5], strict=True):
            idx = xp.nonzero((norm > lower) & (norm <= theta))[0]
            if idx.size:
                out[idx] = _taylor(ar, a[idx], degree)
            lower = theta
        large = xp.nonzero(norm >= thetas[4])[0]
    else:
        large = xp.arange(a.shape[0])
    if large.size:
        nrm = norm[large]
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            s = xp.maximum(dt.type(0), xp.ceil(xp.log2(nrm / thetas[5])))
            ok = xp.isfinite(s)  # torch's cast of an infinite s to int64 makes 2^s zero
            s = xp.where(ok, s, 0).astype(np.int64)
            pow2 = xp.where(ok, 2.0 ** s.astype(np.float64), 0.0).astype(dt)
            scaled = a[large] / pow2[:, None, None]
        res = _taylor(ar, scaled, 18)
        for i, k in enumerate(s.tolist()):
            r = res[i]
            for _ in range(k):
                r = ar.mm(r, r)
            out[large[i]] = r
    return out


def linalg_matrix_exp(A):
    """Matrix exponential of square matrices (batched)."""
    check_matrix(A, "linalg.matrix_exp")
    xp = A.device.xp
    a = A._data
    n = a.shape[-1]
    if n <= 1:
        res = xp.exp(a) if n else a.copy()
    else:
        flat = a.reshape((-1, n, n))
        finite = xp.isfinite(flat).all(axis=(-2, -1))
        # torch: a NaN or infinite entry makes that matrix's whole result NaN
        res = xp.full(flat.shape, np.nan, dtype=a.dtype)
        idx = xp.nonzero(finite)[0]
        if idx.size:
            with np.errstate(all="ignore"):
                res[idx] = _expm_stack(xp, xp.ascontiguousarray(flat[idx]),
                                       flat.shape[0] > 1)
        res = res.reshape(a.shape)
    out = _wrap(res, A.dtype, A.device)
    if needs_grad(A):
        record(out, "LinalgMatrixExpBackward0", (_matrix_exp_grad,), (A,), (A,))
    return out


def _matrix_exp_grad(g: Tensor, A: Tensor) -> Tensor:
    """The adjoint of the Frechet derivative: the top-right block of
    ``exp([[A^T, g], [0, A^T]])`` (Mathias 1996)."""
    from .creation import zeros_like
    from .shape import cat

    n = A._data.shape[-1]
    At = A.mT
    top = cat([At, g], -1)
    # a constant zero block, as torch's (no path back to A: an infinite gradient of the
    # block must not meet a 0 * inf there)
    bottom = cat([zeros_like(At), At], -1)
    return linalg_matrix_exp(cat([top, bottom], -2))[..., :n, n:]


def matrix_exp(input):
    """``torch.matrix_exp``: the same as ``torch.linalg.matrix_exp``."""
    return linalg_matrix_exp(input)


# --------------------------------------------------------------------------- matrix_rank
def linalg_matrix_rank(A, *, atol=None, rtol=None, hermitian=False):
    """Numerical rank: the number of singular values (absolute eigenvalues with
    ``hermitian``) above ``max(atol, rtol * largest)``."""
    _tensor_arg(A, "linalg.matrix_rank")
    xp = A.device.xp
    a = A._data
    if rtol is not None and atol is None:  # torch's rtol-only path: straight to the values
        if not a.size:
            return _wrap(xp.zeros(a.shape[:-2], dtype=np.int64), int64, A.device)
        if hermitian:
            check_matrix(A, "linalg.eigh", kernel="linalg_eigh_cpu")
            _no_half(A, "linalg_eigh_cpu")
        else:
            check_matrix(A, "linalg.svd", square=False)
            _no_half(A, "linalg_svd_cpu")
    if A.dtype.name not in ("float32", "float64"):
        raise errors.EngineRuntimeError(
            "This function doesn't handle types other than float and double")
    if a.ndim >= 2 and not a.size:
        return _wrap(xp.zeros(a.shape[:-2], dtype=np.int64), int64, A.device)
    # hermitian: the eigenvalues' check names linalg.eigh
    check_matrix(A, "linalg.eigh" if hermitian else "linalg.matrix_rank", square=hermitian)
    m, n = a.shape[-2:]
    at, rt = _pinv_tol(atol, rtol, m, n, A.dtype)
    s = xp.abs(xp.linalg.eigvalsh(a)) if hermitian else xp.linalg.svd(a, compute_uv=False)
    big = s.max(-1, keepdims=True)
    tol = xp.maximum(_tol_array(at), _tol_array(rt) * big)
    return _wrap((s > tol).sum(-1).astype(np.int64), int64, A.device)


# --------------------------------------------------------------------------- the table
_LINALG = [
    ("det", linalg_det, ("LinalgDetBackward0",)),
    ("slogdet", linalg_slogdet, ("LinalgSlogdetBackward0",)),
    ("inv", linalg_inv, ("LinalgInvExBackward0",)),
    ("solve", linalg_solve, ("LinalgSolveExBackward0",)),
    ("solve_triangular", linalg_solve_triangular, ("LinalgSolveTriangularBackward0",)),
    ("cholesky", linalg_cholesky, ("LinalgCholeskyExBackward0",)),
    ("qr", linalg_qr, ("LinalgQrBackward0",)),
    ("eigh", linalg_eigh, ("LinalgEighBackward0",)),
    ("eigvalsh", linalg_eigvalsh, ("LinalgEighBackward0",)),
    ("svd", linalg_svd, ("LinalgSvdBackward0",)),
    ("svdvals", linalg_svdvals, ("LinalgSvdBackward0",)),
    ("pinv", linalg_pinv, ("LinalgPinvBackward0",)),
    ("lstsq", linalg_lstsq, ("LinalgLstsqBackward0",)),
    ("matrix_exp", linalg_matrix_exp, ("LinalgMatrixExpBackward0",)),
]
for _name, _fn, _nodes in _LINALG:
    _fn.__name__ = _fn.__qualname__ = _name
    register(f"linalg.{_name}", _fn, kind="function", grad_fns=_nodes)
linalg_matrix_rank.__name__ = linalg_matrix_rank.__qualname__ = "matrix_rank"
register("linalg.matrix_rank", linalg_matrix_rank, kind="function", differentiable=False)

for _fn, _nodes in ((det, ("LinalgDetBackward0",)), (slogdet, ("LinalgSlogdetBackward0",)),
                    (logdet, ("WhereBackward0", "LinalgSlogdetBackward0")),
                    (inverse, ("LinalgInvExBackward0",)), (pinverse, ("LinalgPinvBackward0",)),
                    (matrix_exp, ("LinalgMatrixExpBackward0",)),
                    (cholesky, ("CholeskyBackward0",)), (svd, ("LinalgSvdBackward0",)),
                    (qr, ("LinalgQrBackward0",))):
    register(_fn.__name__, _fn, grad_fns=_nodes)

__all__ = ["check_matrix", "diag_embed", "pinv_backward", "svd_backward", "return_types"]
