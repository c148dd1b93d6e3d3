"""More of ``torch.linalg`` and its ``torch`` names, composed of table ops as torch composes
them (so the nodes are torch's): ``matrix_power`` / ``linalg.matrix_power`` (repeated
squaring, ``linalg.inv`` first for a negative power), ``linalg.vecdot`` and
``linalg.diagonal``."""

from __future__ import annotations

import numpy as np

from .. import errors
from ..tensor import Tensor
from ._args import norm_dim
from .registry import OPS, register

_NAMES = {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long",
          "int32": "Int", "bool": "Bool"}


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
            f"{_NAMES[x.dtype.name]}")
    if x.dtype is not y.dtype:
        raise errors.EngineRuntimeError(
            f"linalg.vecdot: Expected x and y to have the same dtype, but found x of type "
            f"{_NAMES[x.dtype.name]} and y of type {_NAMES[y.dtype.name]} instead")
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

__all__ = ["matrix_power", "linalg_matrix_power", "linalg_vecdot", "linalg_diagonal"]
