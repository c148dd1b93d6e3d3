"""Linear algebra: products of vectors, matrices and batches."""

from __future__ import annotations

from .. import errors
from ..autograd import needs_grad, record
from ..tensor import Tensor, _wrap
from .registry import op


def _same_dtype(name: str, a: Tensor, b: Tensor) -> None:
    if a.dtype is not b.dtype:
        raise errors.EngineRuntimeError(
            f"{name} : expected both vectors to have same dtype, but found "
            f"{_short(a.dtype)} and {_short(b.dtype)}")


def _short(dt) -> str:
    return {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long",
            "int32": "Int", "bool": "Bool"}[dt.name]


@op(grad_fns=("DotBackward0",))
def dot(input, tensor):
    """Inner product of two 1-D tensors."""
    if input._data.ndim != 1 or tensor._data.ndim != 1:
        raise errors.EngineRuntimeError(
            f"1D tensors expected, but got {input._data.ndim}D and {tensor._data.ndim}D tensors")
    if input._data.shape[0] != tensor._data.shape[0]:
        n, m = input._data.shape[0], tensor._data.shape[0]
        raise errors.EngineRuntimeError(
            f"inconsistent tensor size, expected tensor [{n}] and src [{m}] to have the same "
            f"number of elements, but got {n} and {m} elements respectively")
    _same_dtype("dot", input, tensor)
    xp = input.device.xp
    out = _wrap(xp.asarray(xp.dot(input._data, tensor._data)), input.dtype, input.device)
    if needs_grad(input, tensor):
        record(out, "DotBackward0", (lambda g, a, b: g * b, lambda g, a, b: g * a),
               (input, tensor), (input, tensor))
    return out


def _matmul_shape_error(a, b):
    sa, sb = a._data.shape, b._data.shape
    if a._data.ndim == 2 and b._data.ndim == 2:
        return errors.EngineRuntimeError(
            f"mat1 and mat2 shapes cannot be multiplied ({sa[0]}x{sa[1]} and {sb[0]}x{sb[1]})")
    return errors.EngineRuntimeError(
        f"Expected size for first two dimensions of batch2 tensor to be: "
        f"[{sb[0] if sb else 0}, {sa[-1]}] but got: [{', '.join(str(s) for s in sb)}].")


@op(grad_fns=("MmBackward0", "MvBackward0", "DotBackward0", "BmmBackward0",
              "UnsafeViewBackward0", "ExpandBackward0"))
def matmul(input, other):
    """Matrix product with NumPy/PyTorch broadcasting rules (1-D, 2-D and batched)."""
    a, b = input, other
    na, nb = a._data.ndim, b._data.ndim
    if na == 0 or nb == 0:
        raise errors.EngineRuntimeError(
            f"both arguments to matmul need to be at least 1D, but they are {na}D and {nb}D")
    if na == 1 and nb == 1:
        return dot(a, b)
    if a.dtype is not b.dtype:
        raise errors.EngineRuntimeError(
            f"expected m1 and m2 to have the same dtype, but got: {a.dtype.name.replace('float32', 'float')} != "
            f"{b.dtype.name.replace('float32', 'float')}")
    if a._data.shape[-1] != b._data.shape[-2 if nb > 1 else 0]:
        if na == 2 and nb == 1:
            sa = a._data.shape
            raise errors.EngineRuntimeError(
                f"size mismatch, got input ({sa[0]}), mat ({sa[0]}x{sa[1]}), vec "
                f"({b._data.shape[0]})")
        raise _matmul_shape_error(a, b)
    from ..modes import check_numel

    out_shape = _matmul_shape(a._data.shape, b._data.shape)
    check_numel(out_shape)
    xp = a.device.xp
    out = _wrap(xp.matmul(a._data, b._data), a.dtype, a.device)
    if needs_grad(a, b):
        node = "MmBackward0" if na == 2 and nb == 2 else "MvBackward0" if na == 2 and nb == 1 \
            else "BmmBackward0" if na == 3 and nb == 3 else "UnsafeViewBackward0"
        record(out, node, (_matmul_grad_a, _matmul_grad_b), (a, b), (a, b))
    return out


def _matmul_shape(sa, sb):
    import numpy as np

    if len(sb) == 1:
        return sa[:-1]
    if len(sa) == 1:
        return sb[:-2] + sb[-1:]
    batch = np.broadcast_shapes(sa[:-2], sb[:-2])
    return tuple(batch) + (sa[-2], sb[-1])


def _matmul_grad_a(g, a, b):
    if b._data.ndim == 1:  # (..., n, k) @ (k,) -> (..., n)
        return g.unsqueeze(-1) * b
    if a._data.ndim == 1:  # (k,) @ (..., k, m) -> (..., m)
        return (g.unsqueeze(-2) @ b.mT).squeeze(-2)
    return g @ b.mT  # the engine sums broadcast batch dims back


def _matmul_grad_b(g, a, b):
    if b._data.ndim == 1:
        return (a.mT @ g.unsqueeze(-1)).squeeze(-1) if a._data.ndim > 2 else a.mT @ g
    if a._data.ndim == 1:
        return a.unsqueeze(-1) * g.unsqueeze(-2)
    return a.mT @ g


@op(grad_fns=("MmBackward0",))
def mm(input, mat2):
    """Product of two matrices (no broadcasting)."""
    if input._data.ndim != 2 or mat2._data.ndim != 2:
        which = "self" if input._data.ndim != 2 else "mat2"
        raise errors.EngineRuntimeError(f"{which} must be a matrix")
    return matmul(input, mat2)


__all__ = ["dot", "matmul", "mm", "Tensor"]
