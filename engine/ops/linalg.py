"""Linear algebra: products of vectors, matrices and batches."""

from __future__ import annotations

import math

from .. import errors
from ..autograd import needs_grad, record
from ..autograd.graph import FW_ACTIVE
from ..cost import charge, einsum_cost, product_cost
from ..dtypes import bool_
from ..modes import _grad_enabled, check_numel
from ..tensor import Tensor, _wrap
from ._args import broadcast_shape
from .pointwise import _times_other
from .registry import op, register


def _same_dtype(name: str, a: Tensor, b: Tensor) -> None:
    if a.dtype is not b.dtype:
        raise errors.EngineRuntimeError(
            f"{name} : expected both vectors to have same dtype, but found "
            f"{a.dtype.scalar_name} and {b.dtype.scalar_name}")


def check_dot_sizes(input, tensor) -> None:
    """torch's checks of ``dot``/``vdot`` operands: both 1-D, of one length."""
    if input._data.ndim != 1 or tensor._data.ndim != 1:
        raise errors.EngineRuntimeError(
            f"1D tensors expected, but got {input._data.ndim}D and {tensor._data.ndim}D tensors")
    if input._data.shape[0] != tensor._data.shape[0]:
        n, m = input._data.shape[0], tensor._data.shape[0]
        raise errors.EngineRuntimeError(
            f"inconsistent tensor size, expected tensor [{n}] and src [{m}] to have the same "
            f"number of elements, but got {n} and {m} elements respectively")


@op(grad_fns=("DotBackward0",))
def dot(input, tensor):
    """Inner product of two 1-D tensors."""
    a, b = input._data, tensor._data
    if a.ndim != 1 or b.ndim != 1 or a.shape[0] != b.shape[0]:
        check_dot_sizes(input, tensor)
    if input.dtype is not tensor.dtype:
        _same_dtype("dot", input, tensor)
    if input.dtype is bool_:
        raise errors.KernelNotImplemented(errors.NOT_IMPLEMENTED_FOR.format(
            kernel="dot", dtype="Bool"))
    xp = input.device.xp
    # the array's own method: ``xp.dot`` goes through NumPy's __array_function__ dispatch
    res = xp.asarray(a.dot(b))
    if a.shape[0] == 1 and input.dtype.is_floating_point:
        res = res + res.dtype.type(0)  # torch's (BLAS's) sum starts from +0.: never -0.
    out = _wrap(res, input.dtype, input.device)
    if (input.requires_grad or tensor.requires_grad) and _grad_enabled.get() or \
            FW_ACTIVE[0] and needs_grad(input, tensor):  # (needs_grad, inline)
        # each operand's rule reads the other only: saved where needed, as torch's node
        record(out, "DotBackward0", (lambda g, a, b: _times_other(g, b),
                                     lambda g, a, b: _times_other(g, a)),
               (input, tensor), _cross_saved(input, tensor))
    return out


def _matmul_shape_error(a, b):
    """The size error of the product torch folds ``matmul(a, b)`` into."""
    sa, sb = a._data.shape, b._data.shape
    rows = math.prod(sa[:-1])
    if len(sb) == 2:
        return errors.EngineRuntimeError(
            f"mat1 and mat2 shapes cannot be multiplied ({rows}x{sa[-1]} and "
            f"{sb[0]}x{sb[1]})")
    if len(sb) == 1:
        return errors.EngineRuntimeError(
            f"size mismatch, got input ({rows}), mat ({rows}x{sa[-1]}), vec ({sb[0]})")
    batch = math.prod(broadcast_shape(sa[:-2], sb[:-2]))
    return errors.EngineRuntimeError(
        f"Expected size for first two dimensions of batch2 tensor to be: [{batch}, {sa[-1]}] "
        f"but got: [{batch}, {sb[-2]}].")


@op(grad_fns=("MmBackward0", "MvBackward0", "DotBackward0", "SqueezeBackward4",
              "CloneBackward0", "UnsafeViewBackward0", "BmmBackward0", "SqueezeBackward1"))
def matmul(input, other):
    """Matrix product with NumPy/PyTorch broadcasting rules (1-D, 2-D and batched)."""
    a, b = input, other
    na, nb = a._data.ndim, b._data.ndim
    if na == 0 or nb == 0:
        raise errors.EngineRuntimeError(
            f"both arguments to matmul need to be at least 1D, but they are {na}D and {nb}D")
    if na == 1 and nb == 1:
        return dot(a, b)
    if na > 2 or nb > 2:
        return _batched_matmul(a, b)
    if a._data.shape[-1] != b._data.shape[-2 if nb > 1 else 0]:
        raise _matmul_shape_error(a, b)
    if a.dtype is not b.dtype:  # (after the sizes) the text of the product torch uses
        if nb == 1:
            raise errors.EngineRuntimeError(
                f"addmv input tensors must have the same dtype, but got {b.dtype.scalar_name}, "
                f"{a.dtype.scalar_name}, and {b.dtype.scalar_name}")
        raise errors.EngineRuntimeError(
            "expected m1 and m2 to have the same dtype, but got: "
            f"{a.dtype.c_name} != {b.dtype.c_name}")
    out_shape = _matmul_shape(a._data.shape, b._data.shape)
    if a.dtype is bool_:
        _no_bool_product(a, out_shape, "addmv_impl_cpu" if nb == 1 else "addmm_impl_cpu_")
    check_numel(out_shape)
    if na == 1:  # torch's decomposition, node by node: unsqueeze, mm, squeeze
        return matmul(a.unsqueeze(0), b).squeeze_(0)
    charge("matmul", product_cost(math.prod(out_shape), a._data.shape[-1]))
    xp = a.device.xp
    if na == 2 and nb == 2:
        res = _mm_arrays(xp, a._data, b._data)
    else:
        res = xp.matmul(a._data, b._data)
    out = _wrap(res, a.dtype, a.device)
    if needs_grad(a, b):
        node = "MmBackward0" if nb == 2 else "MvBackward0"
        # each rule reads the other operand and only the layout of its own: torch saves an
        # operand only where the other needs a gradient (its sizes and strides otherwise)
        record(out, node, (_matmul_grad_a, _matmul_grad_b), (a, b),
               (a if needs_grad(b) else _Layout.of(a), b if needs_grad(a) else _Layout.of(b)),
               jvp=lambda ts: product_rule(matmul, a, b, ts))
    return out


def _no_bool_product(a: Tensor, out_shape: tuple, kernel: str) -> None:
    """torch's mm/mv kernels refuse Bool, after returning early for an empty result or when
    nothing is summed."""
    if a._data.shape[-1] and 0 not in out_shape:
        raise errors.KernelNotImplemented(errors.NOT_IMPLEMENTED_FOR.format(
            kernel=kernel, dtype="Bool"))


def _unsafe_view(t: Tensor, shape: tuple) -> Tensor:
    """``t`` (a fresh result) in ``shape`` as torch's ``_unsafe_view``."""
    in_shape = t._data.shape
    out = _wrap(t._data.reshape(shape), t.dtype, t.device)
    if needs_grad(t):
        record(out, "UnsafeViewBackward0", (lambda g: g.reshape(in_shape),), (t,),
               jvp=lambda ts: ts[0].reshape(shape))
    return out


def _should_fold(a: Tensor, b: Tensor) -> bool:
    """Whether torch folds the batched operand of a batched @ 1-D/2-D product into a matrix
    (one mm/mv) rather than expanding both into a bmm: always when the small operand requires
    grad (no batch-sized gradient to reduce); never for a matrix on the left (the result would
    need a transposed copy); else when the fold is a view (empty, or the batch dims and the
    rows are one run of memory)."""
    left_larger = a._data.ndim >= b._data.ndim
    big, small = (a, b) if left_larger else (b, a)
    if not (big._data.ndim >= 3 and small._data.ndim <= 2):
        return False
    if small.requires_grad:
        return True
    if a._data.ndim == 2:
        return False
    arr = big._data
    if arr.size == 0:
        return True
    try:
        strides = list(arr.strides)
    except errors.EngineError:  # a vmap-batched array has no per-sample strides: fold
        return True
    shape = list(arr.shape)
    if not left_larger:  # the batched operand transposed (mT)
        shape[-2:], strides[-2:] = shape[:-3:-1], strides[:-3:-1]
    return all(strides[i] == strides[i + 1] * shape[i + 1] for i in range(len(shape) - 2))


def _batched_matmul(a: Tensor, b: Tensor) -> Tensor:
    """torch's decomposition of a product with a batched operand, op by op (so its checks,
    texts, dtypes, nodes and the arithmetic of each product are those of the op it uses)."""
    na, nb = a._data.ndim, b._data.ndim
    if _should_fold(a, b):
        # the batch of the larger operand folded into the rows of one mm/mv
        transpose = nb > na
        t1 = b.mT if transpose else a
        t2 = (a.t() if na == 2 else a) if transpose else b
        sizes = t1._data.shape
        out_shape = sizes[:-1]
        folded = t1.reshape(math.prod(out_shape), sizes[-1])
        if t2._data.ndim == 2:
            out = _unsafe_view(mm(folded, t2), out_shape + (t2._data.shape[1],))
            return out.mT.contiguous() if transpose else out
        return _unsafe_view(mv(folded, t2), out_shape)
    sa, sb = a._data.shape, b._data.shape
    n = sa[-2] if na > 1 else 1
    m1 = sa[-1]
    m2 = sb[-2] if nb > 1 else sb[0]
    p = sb[-1] if nb > 1 else 1
    batch = tuple(broadcast_shape(sa[:-2], sb[:-2]))
    count = math.prod(batch)
    a3 = a.expand(batch + (n, m1)).reshape(count, n, m1)
    b3 = (b if nb > 1 else b.unsqueeze(-1)).expand(batch + (m2, p)).reshape(count, m2, p)
    out_shape = batch + ((n,) if na > 1 else ()) + ((p,) if nb > 1 else ())
    prod = bmm(a3, b3)
    return _unsafe_view(prod if nb > 1 else prod.squeeze(-1), out_shape)


def product_rule(fn, a, b, tangents):
    """The tangent of a bilinear ``fn(a, b)``: ``fn(ta, b) + fn(a, tb)`` (None: no tangent)."""
    ta, tb = tangents
    left = None if ta is None else fn(ta, b)
    right = None if tb is None else fn(a, tb)
    return right if left is None else left if right is None else left + right


def _matmul_shape(sa, sb):
    import numpy as np

    if len(sb) == 1:
        return sa[:-1]
    if len(sa) == 1:
        return sb[:-2] + sb[-1:]
    if len(sa) == 2 and len(sb) == 2:  # (no batch: np.broadcast_shapes is Python, ~3 µs)
        return (sa[0], sb[1])
    batch = np.broadcast_shapes(sa[:-2], sb[:-2])
    return tuple(batch) + (sa[-2], sb[-1])


def plain_mm(g: Tensor, x, y):
    """The matrix product of two arrays (``g``'s dtype, views of matrices) as a gradient rule
    gets it from ``matmul`` when nothing records it (a plain backward): the same product and
    charge, without the op's dispatch (transposed views, checks of shapes the forward checked).
    None when something records (``create_graph``, forward AD, vmap): the rule then uses the
    ops, whose nodes are torch's."""
    if _grad_enabled.get() or FW_ACTIVE[0]:
        return None
    out_shape = (x.shape[0], y.shape[1])
    check_numel(out_shape)
    charge("matmul", product_cost(out_shape[0] * out_shape[1], x.shape[1]))
    return _wrap(_mm_arrays(g.device.xp, x, y), g.dtype, g.device)


def _mm_arrays(xp, x, y):
    """The product of two matrices with torch's signs of zero: a single-term product of a
    float32/float64 result with more than one row and column is gemm's own product (-0. for
    0 * negative); BLAS's gemv-like paths (one row or column) and the half kernel sum from +0.,
    as NumPy's matmul does."""
    if x.shape[1] == 1 and x.shape[0] > 1 and y.shape[1] > 1 and x.dtype.itemsize > 2:
        return x * y
    return xp.matmul(x, y)


class _Layout:
    """An operand's sizes and strides without its values (what a product's gradient reads of
    the operand it is not the gradient of): ``_data`` answers ``ndim``, ``shape``,
    ``strides`` and ``itemsize`` as the operand's array did."""

    __slots__ = ("_data", "ndim", "shape", "strides", "itemsize")

    @staticmethod
    def of(t: Tensor):
        arr = t._data
        try:
            strides = arr.strides
        except errors.EngineError:  # a vmap-batched array: saved whole, as before
            return t
        lay = _Layout()
        lay._data = lay  # (the rules read ``x._data.ndim`` and the strides of ``x._data``)
        lay.ndim, lay.shape, lay.strides, lay.itemsize = arr.ndim, arr.shape, strides, \
            arr.itemsize
        return lay

    def stride(self) -> tuple:  # (what a node's ``_saved_self_sym_strides`` shows)
        return tuple(s // self.itemsize for s in self.strides)


def _cross_saved(a: Tensor, b: Tensor) -> tuple:
    """What a product's node saves when each operand's gradient reads only the other
    operand: ``a`` where ``b`` needs a gradient, ``b`` where ``a`` does (None in the other
    slot), as torch saves them; a backward after an operand that is not needed changed in
    place then goes through, as in torch."""
    return (a if needs_grad(b) else None, b if needs_grad(a) else None)


def _matmul_grad_a(g, a, b):
    """The gradient of a 1-D/2-D @ 1-D/2-D product for its left operand."""
    if b._data.ndim == 2:
        if a._data.ndim == 2 and g.dtype is b.dtype:
            out = plain_mm(g, g._data, b._data.T)
            if out is not None:
                return out
        if a._data.ndim == 1:  # (unsqueeze, mm, squeeze)
            return (g.unsqueeze(-2) @ b.mT).squeeze(-2)
        if _column_major(a):  # torch returns it column-major: (mat2 @ grad^T)^T
            return (b @ g.t()).t()
        return g @ b.t()  # (torch's mm_mat1_backward: grad.mm(mat2.t()), a TBackward0)
    return g.unsqueeze(-1) * b  # matrix @ vector


def _column_major(t: Tensor) -> bool:
    """torch's test in mm's gradients: ``strides[0] == 1 and strides[1] == sizes[0]``."""
    arr = t._data
    try:
        strides = arr.strides
    except errors.EngineError:  # a vmap-batched array
        return False
    step = arr.itemsize
    return strides[0] == step and strides[1] == arr.shape[0] * step


def _matmul_grad_b(g, a, b):
    """The gradient of a 1-D/2-D @ 1-D/2-D product for its right operand."""
    if b._data.ndim == 2:
        if a._data.ndim == 2 and g.dtype is a.dtype:
            out = plain_mm(g, a._data.T, g._data)
            if out is not None:
                return out
        if a._data.ndim == 1:  # (unsqueeze, mm, squeeze): mm's gradient for mat2
            return a.unsqueeze(-2).mT @ g.unsqueeze(-2)
        if _column_major(b):
            return (g.t() @ a).t()
    return a.t() @ g  # (torch's mat1.t().mm(grad), and mv's self.t().mv(grad))


@op(grad_fns=("MmBackward0",))
def mm(input, mat2):
    """Product of two matrices (no broadcasting)."""
    if input._data.ndim != 2 or mat2._data.ndim != 2:
        which = "self" if input._data.ndim != 2 else "mat2"
        raise errors.EngineRuntimeError(f"{which} must be a matrix")
    return matmul(input, mat2)


def _scalar_type_check(a: Tensor, b: Tensor) -> None:
    if a.dtype is not b.dtype:
        raise errors.EngineRuntimeError(
            f"expected scalar type {a.dtype.scalar_name} but found {b.dtype.scalar_name}")


@op(grad_fns=("BmmBackward0",))
def bmm(input, mat2):
    """Batched matrix product of two 3-D tensors ``(b, n, k) @ (b, k, m)``."""
    if input._data.ndim != 3:
        raise errors.EngineRuntimeError("batch1 must be a 3D tensor")
    if mat2._data.ndim != 3:
        raise errors.EngineRuntimeError("batch2 must be a 3D tensor")
    (b, _, k), sb = input._data.shape, mat2._data.shape
    if sb[0] != b or sb[1] != k:
        raise errors.EngineRuntimeError(
            f"Expected size for first two dimensions of batch2 tensor to be: [{b}, {k}] but "
            f"got: [{sb[0]}, {sb[1]}].")
    shape = (b, input._data.shape[1], sb[2])
    if k == 0 or 0 in shape:
        # torch's kernel returns before its dtype checks: an empty result, or zeros when
        # nothing is summed, made with mat2's options (its dtype, any dtype pair)
        check_numel(shape)
        if not mat2.dtype.is_floating_point and needs_grad(input, mat2):
            raise errors.EngineRuntimeError(f"Autograd not support dtype: {mat2.dtype.scalar_name}")
        xp = input.device.xp
        out = _wrap(xp.zeros(shape, dtype=mat2.dtype.np), mat2.dtype, input.device)
    else:
        if input.dtype is bool_:  # before the dtype pair, as torch's kernel dispatch
            raise errors.KernelNotImplemented(errors.NOT_IMPLEMENTED_FOR.format(
                kernel="bmm", dtype="Bool"))
        _scalar_type_check(input, mat2)
        check_numel(shape)
        charge("bmm", product_cost(b * input._data.shape[1] * sb[2], k))
        out = _wrap(input.device.xp.matmul(input._data, mat2._data), input.dtype, input.device)
    if needs_grad(input, mat2):
        record(out, "BmmBackward0", (lambda g, a, m: bmm(g, m.mT), lambda g, a, m: bmm(a.mT, g)),
               (input, mat2), _cross_saved(input, mat2),
               jvp=lambda ts: product_rule(bmm, input, mat2, ts))
    return out


@op(grad_fns=("MvBackward0",))
def mv(input, vec):
    """Product of a matrix and a vector."""
    if input._data.ndim != 2 or vec._data.ndim != 1:
        raise errors.EngineRuntimeError(
            f"vector + matrix @ vector expected, got 1, {input._data.ndim}, {vec._data.ndim}")
    (n, k), kv = input._data.shape, vec._data.shape[0]
    if k != kv:
        raise errors.EngineRuntimeError(
            f"size mismatch, got input ({n}), mat ({n}x{k}), vec ({kv})")
    if input.dtype is not vec.dtype:
        raise errors.EngineRuntimeError(
            f"addmv input tensors must have the same dtype, but got {vec.dtype.scalar_name}, "
            f"{input.dtype.scalar_name}, and {vec.dtype.scalar_name}")
    if input.dtype is bool_:
        _no_bool_product(input, (n,), "addmv_impl_cpu")
    out = _wrap(input.device.xp.matmul(input._data, vec._data), input.dtype, input.device)
    if needs_grad(input, vec):
        record(out, "MvBackward0", (lambda g, m, v: outer(g, v), lambda g, m, v: mv(m.t(), g)),
               (input, vec), _cross_saved(input, vec),
               jvp=lambda ts: product_rule(mv, input, vec, ts))
    return out


@op(aliases=("ger",), grad_fns=("MulBackward0",))
def outer(input, vec2):
    """Outer product of two vectors: ``out[i, j] = input[i] * vec2[j]``."""
    for name, t in (("self", input), ("vec2", vec2)):
        if t._data.ndim != 1:
            raise errors.EngineRuntimeError(
                f"outer: Expected 1-D argument {name}, but got {t._data.ndim}-D")
    return input.reshape(-1, 1) * vec2


@op(grad_fns=("TraceBackward0",))
def trace(input):
    """Sum of the main diagonal of a matrix."""
    if input._data.ndim != 2:
        raise errors.EngineRuntimeError(
            f"trace: expected a matrix, but got tensor with dim {input._data.ndim}")
    from ..dtypes import DEFAULT_INT

    if input.dtype.name == "bool":
        raise errors.KernelNotImplemented(errors.NOT_IMPLEMENTED_FOR.format(
            kernel="trace", dtype="Bool"))
    dt = input.dtype if input.dtype.is_floating_point else DEFAULT_INT
    xp = input.device.xp
    # torch's CPU kernel sums in its accumulate type (double for float32, float for half),
    # then rounds once
    acc = {"float32": xp.float64, "float16": xp.float32}.get(dt.name, dt.np)
    out = _wrap(xp.asarray(xp.trace(input._data, dtype=acc)).astype(dt.np), dt, input.device)
    if needs_grad(input):
        n, m = input._data.shape

        def rule(g):
            from .pointwise import where

            eye = _wrap(xp.eye(n, m, dtype=bool), bool_, g.device)
            return where(eye, g, 0.0)  # +0 off the diagonal, as torch

        record(out, "TraceBackward0", (rule,), (input,))
    return out


@op(kind="function", grad_fns=("ViewBackward0",))
def tensordot(a, b, dims=2):
    """Sum of products over the dims ``dims`` of ``a`` and ``b`` (an int: the last ``dims`` of
    ``a`` with the first of ``b``; or two lists of dims)."""
    from ._args import norm_dim

    if isinstance(dims, int):
        if dims < 0:
            raise errors.EngineRuntimeError(
                f"tensordot expects dims >= 0, but got dims={dims}")
        if dims > min(a._data.ndim, b._data.ndim):
            raise errors.EngineRuntimeError(
                f"tensordot expects dims < ndim_a or ndim_b, but got dims={dims}")
        da, db = list(range(-dims, 0)), list(range(dims))
    else:
        da, db = ([d] if isinstance(d, int) else list(d) for d in dims)
        if len(da) != len(db):
            raise errors.EngineRuntimeError("both dimension lists should have same length")
    if a.dtype is not b.dtype:
        raise errors.EngineRuntimeError("both inputs should have same dtype")
    sa, sb = a._data.shape, b._data.shape
    ca = [norm_dim(d, len(sa)) for d in da]
    cb = [norm_dim(d, len(sb)) for d in db]
    for x, y, nx, ny in zip(da, db, ca, cb, strict=True):
        # as torch: a contracted dim of size 1 on one side sums the other side's out (in its
        # own dtype), even when both are 1
        if sb[ny] == 1:
            a = a.sum(nx, keepdim=True, dtype=a.dtype)
        elif sa[nx] == 1:
            b = b.sum(ny, keepdim=True, dtype=b.dtype)
        elif sa[nx] != sb[ny]:
            raise errors.EngineRuntimeError(
                f"contracted dimensions need to match, but first has size {sa[nx]} in dim "
                f"{x} and second has size {sb[ny]} in dim {y}")
    sa, sb = a._data.shape, b._data.shape
    fa = [d for d in range(len(sa)) if d not in ca]
    fb = [d for d in range(len(sb)) if d not in cb]
    k = math.prod(sa[d] for d in ca)
    n1, n2 = math.prod(sa[d] for d in fa), math.prod(sb[d] for d in fb)
    rsizes = [sa[d] for d in fa] + [sb[d] for d in fb]
    left, right = a.permute(fa + ca), b.permute(cb + fb)
    if n1 == 1 and n2 == 1:  # torch 2.13: a dot product when both are contiguous (flattened:
        # no view of a 1-d one), else the squeezed operands' product summed
        if left.is_contiguous() and right.is_contiguous():
            return dot(left.flatten(), right.flatten()).reshape(rsizes)
        return (left.squeeze() * right.squeeze()).sum(dtype=left.dtype).reshape(rsizes)
    return mm(left.reshape(n1, k), right.reshape(k, n2)).reshape(rsizes)


# --------------------------------------------------------------------------- einsum
_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
_TORCH_LABELS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"  # PyTorch's label order


def _parse_einsum(equation: str, shapes: list) -> tuple[list[str], str]:
    """Explicit subscripts per operand and for the output, with ``...`` spelled out."""
    eq = equation.replace(" ", "")
    lhs, arrow, rhs = eq.partition("->")
    subs = lhs.split(",")
    if len(subs) > len(shapes):
        raise errors.EngineRuntimeError(
            "einsum(): fewer operands were provided than specified in the equation")
    if len(subs) < len(shapes):
        raise errors.EngineRuntimeError(
            "einsum(): more operands were provided than specified in the equation")
    for ch in eq:
        if ch not in _LETTERS and ch not in ",.->":
            raise errors.EngineRuntimeError(
                f"einsum(): invalid subscript given at index {eq.index(ch)} in the equation "
                f"string, subscripts must be in [a-zA-Z]")
    free = [c for c in _LETTERS if c not in eq]
    ell_n = 0
    for s, shape in zip(subs, shapes, strict=True):
        named = len(s.replace("...", ""))
        if "..." in s:
            ell_n = max(ell_n, len(shape) - named)
        elif named != len(shape):
            raise errors.EngineRuntimeError(
                f"einsum(): the number of subscripts in the equation ({named}) does not match "
                f"the number of dimensions ({len(shape)}) for operand "
                f"{subs.index(s)} and no ellipsis was given")
    ell = "".join(free[:ell_n])
    out_subs = []
    for s, shape in zip(subs, shapes, strict=True):
        if "..." in s:
            k = len(shape) - len(s.replace("...", ""))
            s = s.replace("...", ell[ell_n - k:] if k else "")
        out_subs.append(s)
    if arrow:
        out = rhs.replace("...", ell)
    else:
        counts = {}
        for s in out_subs:
            for c in s:
                counts[c] = counts.get(c, 0) + 1
        out = ell + "".join(sorted((c for c, n in counts.items() if n == 1 and c not in ell),
                                   key=_TORCH_LABELS.index))
    for c in out:
        if out.count(c) > 1:
            raise errors.EngineRuntimeError(
                f"einsum(): output subscript {c} appears more than once in the output")
        if not any(c in s for s in out_subs):
            raise errors.EngineRuntimeError(
                f"einsum(): output subscript {c} does not appear in the equation for any "
                "input operand")
    return out_subs, out


def _letter_sizes(subs: list, shapes: list) -> dict:
    sizes: dict = {}
    for i, (s, shape) in enumerate(zip(subs, shapes, strict=True)):
        for c, n in zip(s, shape, strict=True):
            seen = sizes.get(c)
            if seen is None or seen == 1:
                sizes[c] = n
            elif n != 1 and n != seen:
                raise errors.EngineRuntimeError(
                    f"einsum(): subscript {c} has size {n} for operand {i} which does not "
                    f"broadcast with previously seen size {seen}")
    return sizes


@op(kind="function", grad_fns=("EinsumBackward0",))
def einsum(equation, *operands):
    """Sum of products over the subscripts of ``equation`` (NumPy's einsum notation)."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    if not isinstance(equation, str):
        raise errors.NotSupported("einsum's sublist format is not supported; use an equation")
    shapes = [t._data.shape for t in operands]
    subs, out_sub = _parse_einsum(equation, shapes)
    sizes = _letter_sizes(subs, shapes)
    check_numel(tuple(sizes[c] for c in out_sub))
    charge("einsum", einsum_cost(subs, sizes, len(operands) > 2))
    # as PyTorch computes it: the same chain of ops (so the same nodes record, the same dtype
    # comes out — an integer sum is int64 — and values round as bmm rounds them; operands of
    # different dtypes are refused by a bmm only where one sums over a dim both have, else a
    # product promotes them)
    ell = "".join(c for c in _LETTERS if c not in equation and any(c in x for x in subs))
    return _einsum_ops(list(operands), subs, out_sub, ell)


def _einsum_ops(operands: list, subs: list, out_sub: str, ell: str) -> Tensor:
    """einsum as PyTorch computes it (so the same nodes record): each operand's repeated
    subscripts become diagonals, missing ones size-1 dims, then all are permuted to one order
    (the output's subscripts, then the summed ones); operands are contracted left to right, a
    subscript summed as soon as no later operand has it (``bmm`` when both have it, ``sum``
    when one does, ``mul`` when nothing is summed); the summed size-1 dims are viewed away."""
    summed = [c for c in ell if c not in out_sub] + sorted(
        {c for x in subs for c in x if c not in out_sub and c not in ell},
        key=_TORCH_LABELS.index)
    order = list(out_sub) + summed
    out_size, n = len(out_sub), len(order)
    ops = []
    for t, sub in zip(operands, subs, strict=True):
        where: dict = {}
        dim = 0
        for c in sub:
            if c not in where:
                where[c] = dim
                dim += 1
            else:  # a repeated subscript: its diagonal, in the first one's place
                t = t.diagonal(0, where[c], dim).movedim(-1, where[c])
        for c in order:
            if c not in where:
                t = t.unsqueeze(dim)
                where[c] = dim
                dim += 1
        ops.append(t.permute([where[c] for c in order]))
    if len(ops) == 1:
        return ops[0].sum(list(range(out_size, n))) if n > out_size else ops[0]
    counts = [sum(1 for t in ops if t._data.shape[d] != 1) for d in range(n)]
    result = ops[0]
    for b in ops[1:]:
        a = result
        sum_dims, a_sum, b_sum = [], [], []
        for d in range(out_size, n):
            if a._data.shape[d] != 1 and b._data.shape[d] != 1:
                counts[d] -= 1
                if counts[d] == 1:
                    sum_dims.append(d)
                    counts[d] = 0
            elif counts[d] == 1:
                if a._data.shape[d] != 1:
                    a_sum.append(d)
                    counts[d] = 0
                elif b._data.shape[d] != 1:
                    b_sum.append(d)
                    counts[d] = 0
        if a_sum:
            a = a.sum(a_sum, keepdim=True)
        if b_sum:
            b = b.sum(b_sum, keepdim=True)
        result = _sumproduct_pair(a, b, sum_dims)
    if n > out_size:
        result = result.view(list(result._data.shape[:out_size]))
    return result


def _sumproduct_pair(left: Tensor, right: Tensor, sum_dims: list) -> Tensor:
    """``(left * right).sum(sum_dims, keepdim=True)`` for aligned operands, as one ``bmm``."""
    if not sum_dims:
        return left * right
    lro, lo, ro = [], [], []
    lro_size = lo_size = ro_size = sum_size = 1
    for i in range(left._data.ndim):
        sl, sr = left._data.shape[i] != 1, right._data.shape[i] != 1
        if i in sum_dims:
            if sl and sr:
                sum_size *= left._data.shape[i]
            elif sl:
                left = left.sum(i, keepdim=True)
            elif sr:
                right = right.sum(i, keepdim=True)
        elif sl and sr:
            lro.append(i)
            lro_size *= left._data.shape[i]
        elif sl:
            lo.append(i)
            lo_size *= left._data.shape[i]
        else:
            ro.append(i)
            ro_size *= right._data.shape[i]
    out_shape = ([left._data.shape[d] for d in lro] + [left._data.shape[d] for d in lo] +
                 [1] * len(sum_dims) + [right._data.shape[d] for d in ro])
    lperm = lro + lo + sum_dims + ro
    rperm = lro + sum_dims + ro + lo
    operm = [0] * len(out_shape)
    for i, d in enumerate(lro + lo + sum_dims + ro):
        operm[d] = i
    left = left.permute(lperm).reshape(lro_size, lo_size, sum_size)
    right = right.permute(rperm).reshape(lro_size, sum_size, ro_size)
    return bmm(left, right).view(out_shape).permute(operm)


# --------------------------------------------------------------------------- multi_dot
def _chain_order(dims: list) -> list:
    """Split points of the cheapest parenthesization of a matrix chain (dynamic programming;
    the first cheapest split wins ties)."""
    n = len(dims) - 1
    cost = [[0] * n for _ in range(n)]
    split = [[0] * n for _ in range(n)]
    for length in range(1, n):
        for i in range(n - length):
            j = i + length
            cost[i][j] = None
            for k in range(i, j):
                q = cost[i][k] + cost[k + 1][j] + dims[i] * dims[k + 1] * dims[j + 1]
                if cost[i][j] is None or q < cost[i][j]:
                    cost[i][j], split[i][j] = q, k
    return split


def linalg_multi_dot(tensors):
    """The product of a chain of matrices in the cheapest order; the first may be a row
    vector, the last a column vector."""
    ts = list(tensors)
    n = len(ts)
    if n < 2:
        raise errors.EngineRuntimeError(
            f"multi_dot(): expected at least 2 tensors but got {n}")
    out_shape = []
    first, last = ts[0], ts[-1]
    if first._data.ndim == 1:
        ts[0] = first.unsqueeze(0)
    elif first._data.ndim == 2:
        out_shape.append(first._data.shape[0])
    else:
        raise errors.EngineRuntimeError(
            f"multi_dot(): the first tensor must be 1D or 2D but got {first._data.ndim}D")
    if last._data.ndim == 1:
        ts[-1] = last.unsqueeze(-1)
    elif last._data.ndim == 2:
        out_shape.append(last._data.shape[1])
    else:
        raise errors.EngineRuntimeError(
            f"multi_dot(): the last tensor must be 1D or 2D but got {last._data.ndim}D")
    for i in range(1, n - 1):
        if ts[i]._data.ndim != 2:
            raise errors.EngineRuntimeError(
                f"multi_dot(): tensor {i} must be 2D but got {ts[i]._data.ndim}D")
    for i in range(1, n):
        if ts[i].dtype is not ts[0].dtype:
            raise errors.EngineRuntimeError(
                f"multi_dot(): all tensors must have be the same dtype but tensor 0 is "
                f"{ts[0].dtype.c_name} and tensor {i} {ts[i].dtype.c_name}")
        if ts[i - 1]._data.shape[-1] != ts[i]._data.shape[0]:
            sa = list(tensors[i - 1]._data.shape)
            sb = list(tensors[i]._data.shape)
            raise errors.EngineRuntimeError(
                f"multi_dot(): tensors {i - 1} and {i} with shapes {sa} and {sb} cannot be "
                "multiplied")
    if n == 2:
        result = mm(ts[0], ts[1])
    elif n == 3:
        a, b = ts[0]._data.shape
        c, d = ts[2]._data.shape
        if (a * c) * (b + d) > (b * d) * (a + c):
            result = mm(ts[0], mm(ts[1], ts[2]))
        else:
            result = mm(mm(ts[0], ts[1]), ts[2])
    else:
        split = _chain_order([t._data.shape[0] for t in ts] + [ts[-1]._data.shape[1]])

        def chain(i, j):
            if i == j:
                return ts[i]
            return mm(chain(i, split[i][j]), chain(split[i][j] + 1, j))

        result = chain(0, n - 1)
    return result.view(out_shape)


linalg_multi_dot.__name__ = linalg_multi_dot.__qualname__ = "multi_dot"
register("linalg.multi_dot", linalg_multi_dot, kind="function",
         grad_fns=("MmBackward0", "ViewBackward0"))


__all__ = ["dot", "matmul", "mm", "bmm", "mv", "outer", "trace", "tensordot", "einsum",
           "linalg_multi_dot", "Tensor"]
