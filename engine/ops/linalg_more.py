"""More of ``torch.linalg`` and its ``torch`` names, composed of table ops as torch composes
them (so the nodes are torch's): ``matrix_power`` / ``linalg.matrix_power`` (repeated
squaring, ``linalg.inv`` first for a negative power), ``linalg.vecdot`` and
``linalg.diagonal``."""

from __future__ import annotations

import numpy as np

from .. import errors
from ..tensor import Tensor
from ._args import broadcast_shape, norm_dim
from .registry import OPS, _called_as, register


def _matrix_power(A, n, name: str = "matrix_power"):
    """``A`` (square matrices, batched) multiplied by itself ``n`` times; ``n = 0`` is the
    identity, a negative ``n`` a power of the inverse."""
    if not isinstance(A, Tensor):
        raise errors.EngineTypeError(
            f"{name}(): argument 'input' (position 1) must be Tensor, not {type(A).__name__}")
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
        raise errors.EngineTypeError(
            f"{name}(): argument 'n' (position 2) must be int, not {type(n).__name__}")
    n = int(n)
    shape = A._data.shape
    if len(shape) < 2:
        raise errors.EngineRuntimeError(
            "linalg.matrix_power: The input tensor A must have at least 2 dimensions.")
    if shape[-1] != shape[-2]:
        raise errors.EngineRuntimeError(
            "linalg.matrix_power: A must be batches of square matrices, but they are "
            f"{shape[-2]} by {shape[-1]} matrices")
    matmul = OPS["matmul"].fn
    if n == 0:  # torch: a contiguous clone overwritten with the identity
        eye = OPS["eye"].fn(shape[-1], dtype=A.dtype, device=A.device).expand(*shape)
        return OPS["copy_"].fn(A.clone(), eye)
    if n == 1:
        return A.clone()
    if n < 0:
        A, n = OPS["linalg.inv"].fn(A), -n
        if n == 1:
            return A
    if n == 2:
        return matmul(A, A)
    if n == 3:
        return matmul(matmul(A, A), A)
    result = z = None
    while n > 0:  # the binary digits of n, lowest first
        bit, n = n % 2, n // 2
        z = A if z is None else matmul(z, z)
        if bit:
            result = z if result is None else matmul(result, z)
    return result


def matrix_power(input, n):
    """``input`` (a square matrix, or a batch of them) to the integer power ``n``."""
    return _matrix_power(input, n)


def linalg_matrix_power(A, n):
    """``A`` (a square matrix, or a batch of them) to the integer power ``n``."""
    return _matrix_power(A, n, "linalg_matrix_power")


register("matrix_power", matrix_power, grad_fns=("MmBackward0", "CloneBackward0",
                                                 "CopyBackwards", "LinalgInvExBackward0"))
register("linalg.matrix_power", linalg_matrix_power, kind="function",
         grad_fns=("MmBackward0", "CloneBackward0", "CopyBackwards", "LinalgInvExBackward0"))


def linalg_vecdot(x, y, *, dim=-1):
    """The dot products of the vectors along ``dim`` of ``x`` and ``y`` (broadcast)."""
    for arg, t, pos in (("x", x, 1), ("y", y, 2)):
        if not isinstance(t, Tensor):
            raise errors.EngineTypeError(
                f"linalg_vecdot(): argument '{arg}' (position {pos}) must be Tensor, not "
                f"{type(t).__name__}")
    if not x.dtype.is_floating_point:
        raise errors.EngineRuntimeError(
            "linalg.vecdot: Expected a floating point or complex tensor as input. Got "
            f"{x.dtype.scalar_name}")
    if x.dtype is not y.dtype:
        raise errors.EngineRuntimeError(
            f"linalg.vecdot: Expected x and y to have the same dtype, but found x of type "
            f"{x.dtype.scalar_name} and y of type {y.dtype.scalar_name} instead")
    if x._data.ndim == 1 and y._data.ndim == 1 and norm_dim(dim, 1) == 0:
        return OPS["vdot"].fn(x, y)
    return OPS["mul"].fn(x, y).sum(dim)


register("linalg.vecdot", linalg_vecdot, kind="function",
         grad_fns=("SumBackward1", "MulBackward0", "VdotBackward0"))


def linalg_diagonal(A, *, offset=0, dim1=-2, dim2=-1):
    """A view of the diagonals of the matrices in the last two dimensions of ``A`` (or of
    ``dim1`` and ``dim2``), as ``diagonal`` with other defaults."""
    return OPS["diagonal"].fn(A, offset, dim1, dim2)


register("linalg.diagonal", linalg_diagonal, kind="function", grad_fns=("DiagonalBackward0",))

# torch.linalg.matmul is torch.matmul under its own name (its argument errors say linalg_matmul)
register("linalg.matmul", _called_as(OPS["matmul"].fn, "matmul", "linalg_matmul"),
         doc=OPS["matmul"].doc, kind="function", grad_fns=OPS["matmul"].grad_fns)

__all__ = ["matrix_power", "linalg_matrix_power", "linalg_vecdot", "linalg_diagonal"]


# --------------------------------------------------------------------------- cholesky_*
def _check_cholesky_pair(B: Tensor, A: Tensor) -> None:
    if B._data.ndim < 2:
        raise errors.EngineRuntimeError(
            f"b should have at least 2 dimensions, but has {B._data.ndim} dimensions instead")
    if A._data.ndim < 2:
        raise errors.EngineRuntimeError(
            f"u should have at least 2 dimensions, but has {A._data.ndim} dimensions instead")
    if B.dtype is not A.dtype:
        raise errors.EngineRuntimeError(
            f"Expected b and A to have the same dtype, but found b of type "
            f"{B.dtype.scalar_name} and A of type {A.dtype.scalar_name} instead.")
    a, b = A._data.shape, B._data.shape
    if a[-1] != a[-2] or a[-1] != b[-2]:
        raise errors.EngineRuntimeError(
            f"Incompatible matrix sizes for cholesky_solve: each A matrix is {a[-2]} by "
            f"{a[-1]} but each b matrix is {b[-2]} by {b[-1]}")


def _chol_solve_arrays(xp, b, factor, upper: bool):
    """``(L L^T)^{-1} b`` (``(U^T U)^{-1} b`` with ``upper``) reading one triangle only."""
    tri = xp.triu(factor) if upper else xp.tril(factor)
    low = xp.swapaxes(tri, -1, -2) if upper else tri
    shape = broadcast_shape(b.shape[:-2], low.shape[:-2])  # torch names B's batch first
    low = xp.broadcast_to(low, shape + low.shape[-2:])
    b = xp.broadcast_to(b, shape + b.shape[-2:])
    from .decompositions import _back_substitution

    # two triangular substitutions, as LAPACK's potrs (inf and NaN spread as in torch)
    y = _back_substitution(xp, low, b, True)
    x = _back_substitution(xp, xp.swapaxes(low, -1, -2), y, False)
    return x.astype(b.dtype, copy=False)


def _no_kernel(kernel: str, t: Tensor) -> None:
    if t.dtype.name not in ("float32", "float64"):
        raise errors.KernelNotImplemented(
            f"\"{kernel}\" not implemented for '{t.dtype.scalar_name}'")


def cholesky_solve(input, input2, upper=False):
    """The solution ``X`` of ``A X = input`` for ``A = L L^T`` given its Cholesky factor
    ``input2`` (``U^T U`` with ``upper``); only that triangle of the factor is read."""
    from ..autograd import OUTPUT, needs_grad, record
    from ..tensor import _wrap
    from .decompositions import lapack_layout

    for arg, t, pos in (("input", input, 1), ("input2", input2, 2)):
        if not isinstance(t, Tensor):
            raise errors.EngineTypeError(
                f"cholesky_solve(): argument '{arg}' (position {pos}) must be Tensor, not "
                f"{type(t).__name__}")
    _check_cholesky_pair(input, input2)
    _no_kernel("cholesky_solve_cpu", input)
    upper = bool(upper)
    xp = input.device.xp
    out = _wrap(lapack_layout(xp, _chol_solve_arrays(xp, input._data, input2._data, upper)),
                input.dtype, input.device)
    if needs_grad(input, input2):
        def rule(g, needs, factor, x):
            gb = cholesky_solve(g, factor, upper)
            common = gb @ x.mT
            common = common + common.mT
            gf = -(factor @ common) if upper else -(common @ factor)
            from ..autograd.engine import sum_to

            return (sum_to(gb, input._data.shape) if needs[0] else None,
                    sum_to(gf, input2._data.shape) if needs[1] else None)

        record(out, "CholeskySolveBackward0", rule, (input, input2), (input2, OUTPUT),
               per_input=False, guards=(input,))  # (torch's node saves self too)
    return out


def cholesky_inverse(input, upper=False):
    """The inverse of ``A = L L^T`` (``U^T U`` with ``upper``) from its Cholesky factor
    ``input`` (only that triangle is read)."""
    from ..autograd import OUTPUT, needs_grad, record
    from ..tensor import _wrap
    from .decompositions import lapack_layout

    if not isinstance(input, Tensor):
        raise errors.EngineTypeError(
            f"cholesky_inverse(): argument 'input' (position 1) must be Tensor, not "
            f"{type(input).__name__}")
    shape = input._data.shape
    if len(shape) < 2:
        raise errors.EngineRuntimeError(
            "cholesky_inverse: The input tensor A must have at least 2 dimensions.")
    if shape[-1] != shape[-2]:
        raise errors.EngineRuntimeError(
            "cholesky_inverse: A must be batches of square matrices, but they are "
            f"{shape[-2]} by {shape[-1]} matrices")
    _no_kernel("cholesky_inverse_out_cpu", input)
    upper = bool(upper)
    xp = input.device.xp
    _zero_pivot_check(input)
    eye = xp.broadcast_to(xp.eye(shape[-1], dtype=input.dtype.np), shape)
    out = _wrap(lapack_layout(xp, _chol_solve_arrays(xp, eye, input._data, upper)),
                input.dtype, input.device)
    if needs_grad(input):
        def rule(g, factor, inv):
            common = g + g.mT
            common = inv @ (common @ inv)
            return -(factor @ common) if upper else -(common @ factor)

        record(out, "CholeskyInverseBackward0", (rule,), (input,), (input, OUTPUT))
    return out


def _zero_pivot_check(input: Tensor) -> None:
    """torch inverts the factor with LAPACK's potri, which stops at the first exactly zero
    diagonal element (-0. too; a NaN or a subnormal is not one): the first such matrix of
    the batch, in order, raises its LinAlgError (the text inv's singular matrices give)."""
    factor = input._data
    if factor.size == 0:
        return
    xp = input.device.xp
    zero = xp.diagonal(factor, axis1=-2, axis2=-1) == 0
    if not bool(zero.any()):
        return
    from .decompositions import _host, _raise_singular_inv

    flat = _host(xp, zero.reshape(-1, zero.shape[-1]))
    info = np.where(flat.any(axis=-1), flat.argmax(axis=-1) + 1, 0)
    _raise_singular_inv(input, "cholesky_inverse", info)


register("cholesky_solve", cholesky_solve, grad_fns=("CholeskySolveBackward0",))
register("cholesky_inverse", cholesky_inverse, grad_fns=("CholeskyInverseBackward0",))
