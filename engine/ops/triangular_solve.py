"""``torch.triangular_solve(b, A, upper=True, transpose=False, unitriangular=False)``
(deprecated in torch for ``linalg.solve_triangular``, and still used): the solution ``X`` of
``op(A) X = b`` (``op(A)`` is ``A`` or, with ``transpose``, its transpose; only ``A``'s upper or
lower triangle is read, its diagonal taken as ones with ``unitriangular``) and a copy of ``A``,
as the named tuple ``(solution, cloned_coefficient)``: both broadcast to the batch shape,
column-major as LAPACK leaves them, one ``TriangularSolveBackward0`` node for the two.
"""

from __future__ import annotations

import warnings

import numpy as np

from .. import errors
from ..autograd import OUTPUT, needs_grad, record
from ..cost import charge
from ..tensor import Tensor, _wrap
from ._args import broadcast_shape
from .decompositions import lapack_layout
from .reduction import _return_type
from .registry import register

result_type = _return_type("triangular_solve", ("solution", "cloned_coefficient"))

_DEPRECATED = (
    "torch.triangular_solve is deprecated in favor of torch.linalg.solve_triangularand will be "
    "removed in a future PyTorch release.\ntorch.linalg.solve_triangular has its arguments "
    "reversed and does not return a copy of one of the inputs.\nX = torch.triangular_solve(B, "
    "A).solution\nshould be replaced with\nX = torch.linalg.solve_triangular(A, B).")
_WARNED: list = []


def _check(b, A, flags: tuple) -> None:
    for name, t, pos in (("input", b, 1), ("A", A, 2)):
        if not isinstance(t, Tensor):
            raise errors.EngineTypeError(errors.MUST_BE_TENSOR.format(
                op="triangular_solve", arg=name, pos=pos, type=type(t).__name__))
    for (name, v), pos in zip(flags, (3, 4, 5), strict=True):
        if not isinstance(v, bool):
            raise errors.EngineTypeError(
                f"triangular_solve(): argument '{name}' (position {pos}) must be bool, not "
                f"{type(v).__name__}")
    for name, t in (("b", b), ("A", A)):
        if t._data.ndim < 2:
            raise errors.EngineRuntimeError(
                f"torch.triangular_solve: Expected {name} to have at least 2 dimensions, but it "
                f"has {t._data.ndim} dimensions instead")
    if b.dtype is not A.dtype:
        raise errors.EngineRuntimeError(
            f"Expected b and A to have the same dtype, but found b of type "
            f"{b.dtype.scalar_name} and A of type {A.dtype.scalar_name} instead.")
    m, n = A._data.shape[-2:]
    if m != n:
        raise errors.EngineRuntimeError(
            f"A must be batches of square matrices, but they are {m} by {n} matrices")
    if b._data.shape[-2] != n:
        raise errors.EngineRuntimeError(
            f"Incompatible matrix sizes for triangular_solve: each A matrix is {n} by {n} but "
            f"each b matrix is {b._data.shape[-2]} by {b._data.shape[-1]}")
    if A.dtype.name not in ("float32", "float64"):
        raise errors.KernelNotImplemented(errors.NOT_IMPLEMENTED_FOR.format(
            kernel="triangular_solve_cpu", dtype=A.dtype.scalar_name))


def triangular_solve(input, A, upper=True, transpose=False, unitriangular=False):
    """The solution of ``A X = input`` (``A^T X = input`` with ``transpose``) for triangular
    ``A`` (its upper triangle, or lower with ``upper=False``; a unit diagonal with
    ``unitriangular``), and a copy of ``A``: ``(solution, cloned_coefficient)``."""
    _check(input, A, (("upper", upper), ("transpose", transpose),
                      ("unitriangular", unitriangular)))
    if not _WARNED:
        _WARNED.append(True)  # (torch warns once per process)
        warnings.warn(_DEPRECATED, UserWarning, stacklevel=2)
    b = input
    batch = broadcast_shape(b._data.shape[:-2], A._data.shape[:-2])
    xp = A.device.xp
    n = A._data.shape[-1]
    charge("triangular_solve", n * n * max(1, b._data.size // max(n, 1)))
    a = xp.triu(A._data) if upper else xp.tril(A._data)
    if transpose:
        a = xp.swapaxes(a, -1, -2)
    a = xp.broadcast_to(a, batch + (n, n))
    rhs = xp.broadcast_to(b._data, batch + b._data.shape[-2:])
    with np.errstate(all="ignore"):
        x = _substitute(xp, a, rhs, lower=upper == transpose, unit=unitriangular)
    solution = _wrap(lapack_layout(xp, x), A.dtype, A.device)
    cloned = _wrap(lapack_layout(xp, xp.broadcast_to(A._data, batch + A._data.shape[-2:])),
                   A.dtype, A.device)
    if needs_grad(b, A):
        record((solution, cloned), "TriangularSolveBackward0",
               _rule(upper, transpose, unitriangular), (b, A), (A, OUTPUT), per_input=False,
               jvp=_tangent(A, solution, upper, transpose, unitriangular, cloned.shape),
               guards=(b,))  # (torch's node saves self too)
    return result_type(solution, cloned)


def _substitute(xp, a, b, lower: bool, unit: bool):
    """Forward (``lower``) or back substitution as the BLAS's trsm rounds it: each unknown is
    its right-hand side less the solved ones' terms, in order, times the diagonal's
    reciprocal (bit for bit torch's float64 results up to 3 x 3, float32's up to 2 x 2;
    an ulp or so apart beyond, where MKL blocks and vectorises)."""
    n = a.shape[-1]
    x = xp.zeros(b.shape, dtype=a.dtype)
    one = a.dtype.type(1)
    for i in range(n) if lower else range(n - 1, -1, -1):
        done = range(i) if lower else range(i + 1, n)
        acc = b[..., i, :].copy()
        if len(done) <= 64:
            for j in done:
                acc -= a[..., i, j, None] * x[..., j, :]
        else:
            cols = slice(0, i) if lower else slice(i + 1, n)
            acc -= (a[..., i, cols, None] * x[..., cols, :]).sum(-2)
        x[..., i, :] = acc if unit else acc * (one / a[..., i, i, None])
    return x


def _tangent(A, X, upper: bool, transpose: bool, unit: bool, shape):
    """Forward mode: ``dX`` solves ``op(A) dX = db - op(dA) X`` on the triangle read; the
    copy's tangent is ``dA`` (none without one, as torch's)."""

    def jvp(tangents):
        tb, tA = tangents
        rhs = tb
        if tA is not None:
            dA = tA.triu(int(unit)) if upper else tA.tril(-int(unit))
            term = (dA.mT if transpose else dA) @ X
            rhs = -term if rhs is None else rhs - term
        dX = triangular_solve(rhs, A, upper, transpose, unit)[0]
        return dX, None if tA is None else tA.expand(shape)

    return jvp


def _rule(upper: bool, transpose: bool, unit: bool):
    """torch's ``triangular_solve_backward``: ``gb`` solves the transposed system; ``A``'s
    gradient is ``-gb X^T`` (``-X gb^T`` transposed) on the triangle read, plus the copy's."""

    def rule(grads, needs, A, X):
        gX, gM = grads
        gb = gA = None
        if gX is not None:
            gb = triangular_solve(gX, A, upper, not transpose, unit)[0]
            if needs[1]:
                gA = -(X @ gb.mT) if transpose else -(gb @ X.mT)
                gA = gA.triu(int(unit)) if upper else gA.tril(-int(unit))
        if needs[1] and gM is not None:
            gA = gM if gA is None else gA + gM
        return gb if needs[0] else None, gA

    return rule


register("triangular_solve", triangular_solve, grad_fns=("TriangularSolveBackward0",))

__all__ = ["triangular_solve", "result_type"]
