"""Fused multiply-adds: ``input * beta + alpha * (a product)`` with PyTorch's argument checks,
in the order PyTorch makes them, and one node each: ``addmm`` (matrix product), ``addmv``
(matrix-vector), ``addr`` (outer product), ``baddbmm`` (batched, per batch), ``addbmm`` (batched,
summed over the batch), and the elementwise ``addcmul`` / ``addcdiv``.

As in BLAS, ``beta == 0`` ignores ``input`` (NaNs in it do not propagate) and ``alpha == 0``
ignores the product.
"""

from __future__ import annotations

import numbers

import numpy as np

from .. import errors
from ..autograd import needs_grad, record
from ..dtypes import bool_, promote
from ..modes import check_numel
from ..tensor import Tensor, _wrap
from ._args import (
    broadcast_shape,
    check_fits,
    check_int_scalar_conversion,
    check_scalar_int,
    device_of,
    promote_args,
)
from ._fma import fma
from .families import (
    apply_inplace,
    check_inplace,
    has_overlap,
    inplace_twin,
)
from .keywords import inplace_keyword_check
from .linalg import bmm, mm, mv, outer
from .memory_format import as_iterated
from .registry import OPS, op, register
from .shape import expand


# --------------------------------------------------------------------------- arguments
def _tensors(name: str, **named) -> None:
    for pos, (arg, value) in enumerate(named.items(), 1):
        if not isinstance(value, Tensor):
            raise errors.EngineTypeError(errors.MUST_BE_TENSOR.format(
                op=name, arg=arg, pos=pos, type=type(value).__name__))


def _number(name: str, arg: str, value):
    """A Number argument (``beta``, ``alpha``, ``value``); a one-element tensor is read out."""
    if isinstance(value, Tensor):
        if value._data.ndim == 0:
            return value.item()
        raise errors.EngineTypeError(
            f"{name}(): argument '{arg}' must be Number, not Tensor")
    if not isinstance(value, numbers.Number):
        raise errors.EngineTypeError(
            f"{name}(): argument '{arg}' must be Number, not {type(value).__name__}")
    return value


def _as_dtype_scalar(value, dt):
    """A Number as PyTorch converts it to the computation's dtype (floats truncate for ints)."""
    if dt is bool_:
        return bool(value)
    if not dt.is_floating_point:  # checked as torch writes it, truncated, wrapped (uint8: -1
        bits = 8 * dt.itemsize    # is 255)
        v = int(check_fits(value, dt)) & ((1 << bits) - 1)
        if dt.is_signed and v >= 1 << (bits - 1):
            v -= 1 << bits
        return dt.np.type(v)
    return float(value)


def _fused(xp, input_arr, product, beta, alpha, dt):
    """``beta * input + alpha * product`` with BLAS's zero rules, in ``dt``."""
    if dt is bool_:
        return xp.logical_or(xp.logical_and(product, bool(alpha)),
                             xp.logical_and(input_arr, bool(beta)))
    beta, alpha = _as_dtype_scalar(beta, dt), _as_dtype_scalar(alpha, dt)
    out = product * alpha if alpha != 1 else product
    if alpha == 0:
        out = xp.zeros_like(product)
    if beta != 0:
        out = out + (input_arr * beta if beta != 1 else input_arr)
    return xp.asarray(out, dtype=dt.np)


def _scaled(g: Tensor, factor):
    """``g * factor`` as torch's backward formulas scale (``mul(Tensor, Scalar)``: a
    MulBackward1 node under ``create_graph``)."""
    if factor == 1:
        return g
    from .pointwise import mul_scalar

    return mul_scalar(g, factor)


def _record_fused(out, node, input, a, b, beta, alpha, grad_a, grad_b):
    """Record ``out = beta * input + alpha * f(a, b)``: ``grad_a(g, b)`` and ``grad_b(g, a)``
    are the product's gradients; each operand is saved only if the other needs a gradient."""
    rules = (lambda g, x, y: _scaled(g, beta),
             lambda g, x, y: _scaled(grad_a(g, y), alpha),
             lambda g, x, y: _scaled(grad_b(g, x), alpha))
    saved = (a if needs_grad(b) else None, b if needs_grad(a) else None)
    record(out, node, rules, (input, a, b), saved)


def _same_dtype(first: str, a: Tensor, second: str, b: Tensor) -> None:
    if a.dtype is not b.dtype:
        raise errors.EngineRuntimeError(
            f"{first} and {second} must have the same dtype, but got {a.dtype.scalar_name} and "
            f"{b.dtype.scalar_name}")


def _expand_input(input: Tensor, shape: tuple, inplace: bool = False) -> Tensor:
    """``input`` broadcast to the result's shape (PyTorch's expand error when it can't be); in
    place, ``input`` must have that shape (checked where torch checks it: after the op's own
    argument checks)."""
    if inplace:
        _inplace_shape(input, shape)
    if input._data.shape == shape:
        return input
    from ..modes import no_grad

    with no_grad():
        return expand(input, shape)


def _inplace_shape(self: Tensor, shape: tuple) -> None:
    if self._data.shape != tuple(shape):
        raise errors.EngineRuntimeError(
            f"Bad in-place call: input tensor size {list(self._data.shape)} and output tensor "
            f"size {list(shape)} should match")


def _inplace(name: str, fn, expanded=None):
    """``expanded(self, *args, **kwargs)``: torch writes this op through an expanded ``self``
    (its kernel's own loop over the shared memory): the writes for ``apply_inplace``."""
    keywords = inplace_keyword_check(name + "_", OPS[name].fn)

    def method(self, *args, **kwargs):
        if kwargs and keywords is not None:  # (torch's parser refuses a keyword first)
            keywords(kwargs)
        check_inplace(self, *args, *kwargs.values())
        result = fn(self, *args, inplace=True, **kwargs)
        if expanded is not None and has_overlap(self):
            return apply_inplace(self, result, overlap_ok=True,
                                 writes=expanded(self, *args, **kwargs))
        return apply_inplace(self, result)

    method.__name__ = method.__qualname__ = name + "_"
    register(name + "_", method, doc=f"In-place version of {name}.", kind="method",
             inplace=True, grad_fns=(f"{name.capitalize()}Backward0",))


# --------------------------------------------------------------------------- matrix forms
@op(grad_fns=("AddmmBackward0",))
def addmm(input, mat1, mat2, *, beta=1, alpha=1):
    """``beta * input + alpha * (mat1 @ mat2)`` for matrices (``input`` broadcasts)."""
    return _addmm(input, mat1, mat2, beta=beta, alpha=alpha)


def _addmm(input, mat1, mat2, *, beta=1, alpha=1, inplace=False):
    _tensors("addmm", input=input, mat1=mat1, mat2=mat2)
    beta, alpha = _number("addmm", "beta", beta), _number("addmm", "alpha", alpha)
    _same_dtype("self", input, "mat2", mat2)
    _same_dtype("mat1", mat1, "mat2", mat2)
    for arg, t in (("mat1", mat1), ("mat2", mat2)):
        if t._data.ndim != 2:
            raise errors.EngineRuntimeError(
                f"{arg} must be a matrix, got {t._data.ndim}-D tensor")
    (n, k), (k2, m) = mat1._data.shape, mat2._data.shape
    if k != k2:
        raise errors.EngineRuntimeError(
            f"mat1 and mat2 shapes cannot be multiplied ({n}x{k} and {k2}x{m})")
    base = _expand_input(input, (n, m), inplace)
    if input.dtype is bool_:
        raise _no_kernel_named("addmm_impl_cpu_", input)
    xp = input.device.xp
    check_numel((n, m))
    out = _wrap(_fused(xp, base._data, xp.matmul(mat1._data, mat2._data), beta, alpha,
                       input.dtype), input.dtype, input.device)
    if needs_grad(input, mat1, mat2):
        _record_fused(out, "AddmmBackward0", input, mat1, mat2, beta, alpha,
                      lambda g, b: mm(g, b.t()), lambda g, a: mm(a.t(), g))
    return out


def _no_kernel_named(kernel: str, t: Tensor) -> errors.KernelNotImplemented:
    """PyTorch's kernel error with the kernel's full name (these carry no device suffix)."""
    dev = t.device.type
    if dev != "cpu":
        kernel = kernel.replace("_cpu", "_cuda")
    return errors.KernelNotImplemented(errors.NOT_IMPLEMENTED_FOR.format(
        kernel=kernel, dtype=t.dtype.scalar_name))


@op(grad_fns=("AddmvBackward0",))
def addmv(input, mat, vec, *, beta=1, alpha=1):
    """``beta * input + alpha * (mat @ vec)`` for a matrix and a vector."""
    return _addmv(input, mat, vec, beta=beta, alpha=alpha)


def _addmv(input, mat, vec, *, beta=1, alpha=1, inplace=False):
    _tensors("addmv", input=input, mat=mat, vec=vec)
    beta, alpha = _number("addmv", "beta", beta), _number("addmv", "alpha", alpha)
    ni, nm, nv = input._data.ndim, mat._data.ndim, vec._data.ndim
    if nm != 2 or nv != 1 or ni > 1:
        raise errors.EngineRuntimeError(
            f"vector + matrix @ vector expected, got {ni}, {nm}, {nv}")
    (n, k), kv = mat._data.shape, vec._data.shape[0]
    size = input._data.shape[0] if ni else n
    if k != kv or (size != n and size != 1):
        if not ni:  # (torch's message reads the size of a 0-d input)
            raise errors.EngineIndexError("Dimension specified as 0 but tensor has no dimensions")
        raise errors.EngineRuntimeError(
            f"size mismatch, got input ({size}), mat ({n}x{k}), vec ({kv})")
    if not (input.dtype is mat.dtype is vec.dtype):
        raise errors.EngineRuntimeError(
            "addmv input tensors must have the same dtype, but got "
            f"{input.dtype.scalar_name}, {mat.dtype.scalar_name}, and "
            f"{vec.dtype.scalar_name}")
    if input.dtype is bool_:
        raise _no_kernel_named("addmv_impl_cpu", input)
    base = _expand_input(input, (n,), inplace)
    xp = input.device.xp
    out = _wrap(_fused(xp, base._data, xp.matmul(mat._data, vec._data), beta, alpha,
                       input.dtype), input.dtype, input.device)
    if needs_grad(input, mat, vec):
        _record_fused(out, "AddmvBackward0", input, mat, vec, beta, alpha,
                      lambda g, v: outer(g, v), lambda g, a: mv(a.t(), g))
    return out


@op(grad_fns=("AddrBackward0",))
def addr(input, vec1, vec2, *, beta=1, alpha=1):
    """``beta * input + alpha * outer(vec1, vec2)`` (dtypes promote; bool is logical)."""
    return _addr(input, vec1, vec2, beta=beta, alpha=alpha)


def _addr(input, vec1, vec2, *, beta=1, alpha=1, inplace=False):
    _tensors("addr", input=input, vec1=vec1, vec2=vec2)
    beta, alpha = _number("addr", "beta", beta), _number("addr", "alpha", alpha)
    for arg, t in (("vec1", vec1), ("vec2", vec2)):
        if t._data.ndim != 1:
            raise errors.EngineRuntimeError(
                f"addr: Expected 1-D argument {arg}, but got {t._data.ndim}-D")
    dt = promote(promote(input.dtype, vec1.dtype), vec2.dtype)  # (a 0-d input counts in full)
    if not dt.is_floating_point:
        for arg, v in (("beta", beta), ("alpha", alpha)):
            if isinstance(v, float):
                raise errors.EngineRuntimeError(
                    f"For integral input tensors, argument {arg} must not be a floating point "
                    "number.")
    shape = (vec1._data.shape[0], vec2._data.shape[0])
    if inplace:
        if input._data.ndim != 2:
            raise errors.EngineRuntimeError(
                f"2D tensor expected, got {input._data.ndim}D tensor for input")
        if input._data.shape != shape:
            raise errors.EngineRuntimeError(
                f"size mismatch, input: {list(input._data.shape)}, v1: {list(vec1._data.shape)}, "
                f"v2: {list(vec2._data.shape)}")
    base = _expand_input(input, shape)
    check_numel(shape)
    xp = device_of(input, vec1, vec2).xp
    a, b = vec1._data.astype(dt.np, copy=False), vec2._data.astype(dt.np, copy=False)
    product = xp.logical_and(a[:, None], b[None, :]) if dt is bool_ else xp.outer(a, b)
    out = _wrap(_fused(xp, base._data.astype(dt.np, copy=False), product, beta, alpha, dt), dt,
                input.device)
    if needs_grad(input, vec1, vec2):
        _record_fused(out, "AddrBackward0", input, vec1, vec2, beta, alpha,
                      lambda g, v2: mv(g, v2), lambda g, v1: mv(g.t(), v1))
    return out


def _batch3(name: str, t: Tensor) -> None:
    if t._data.ndim != 3:
        raise errors.EngineRuntimeError(f"{name} must be a 3D tensor")


def _bmm_grads(g, other, first: bool):
    return bmm(g, other.transpose(1, 2)) if first else bmm(other.transpose(1, 2), g)


@op(grad_fns=("BaddbmmBackward0",))
def baddbmm(input, batch1, batch2, *, beta=1, alpha=1):
    """``beta * input + alpha * (batch1 @ batch2)``, one matrix product per batch entry."""
    return _baddbmm(input, batch1, batch2, beta=beta, alpha=alpha)


def _baddbmm(input, batch1, batch2, *, beta=1, alpha=1, inplace=False):
    _tensors("baddbmm", input=input, batch1=batch1, batch2=batch2)
    beta, alpha = _number("baddbmm", "beta", beta), _number("baddbmm", "alpha", alpha)
    _batch3("batch1", batch1)
    if batch2._data.ndim < 3:
        raise errors.EngineIndexError(errors.DIM_RANGE.format(
            lo=-batch2._data.ndim, hi=batch2._data.ndim - 1, dim=2))
    _batch3("batch2", batch2)
    (b, n, k), (b2, k2, p) = batch1._data.shape, batch2._data.shape
    base = _expand_input(input, (b, n, p))
    if input.dtype is not batch1.dtype:
        raise errors.EngineRuntimeError(
            f"Input dtypes must be the same, got: input {input.dtype.c_name}, batch1: "
            f"{batch1.dtype.c_name}, batch2: {batch2.dtype.c_name}")
    if (b2, k2) != (b, k):
        raise errors.EngineRuntimeError(
            f"Expected size for first two dimensions of batch2 tensor to be: [{b}, {k}] but "
            f"got: [{b2}, {k2}].")
    if inplace:  # (torch's result takes batch2's dtype)
        if input.dtype is not batch2.dtype:
            raise errors.EngineRuntimeError(
                f"Bad in-place call: input tensor dtype {input.dtype.c_name} and output tensor "
                f"dtype {batch2.dtype.c_name} should match")
        _inplace_shape(input, (b, n, p))
    elif batch2.dtype is not input.dtype:
        raise errors.EngineRuntimeError(
            f"expected scalar type {input.dtype.scalar_name} but found "
            f"{batch2.dtype.scalar_name}")
    if input.dtype is bool_:
        raise errors.KernelNotImplemented(errors.NOT_IMPLEMENTED_FOR.format(
            kernel="baddbmm", dtype="Bool"))
    xp = input.device.xp
    check_numel((b, n, p))
    out = _wrap(_fused(xp, base._data, xp.matmul(batch1._data, batch2._data), beta, alpha,
                       input.dtype), input.dtype, input.device)
    if needs_grad(input, batch1, batch2):
        _record_fused(out, "BaddbmmBackward0", input, batch1, batch2, beta, alpha,
                      lambda g, y: _bmm_grads(g, y, True), lambda g, x: _bmm_grads(g, x, False))
    return out


@op(grad_fns=("AddbmmBackward0",))
def addbmm(input, batch1, batch2, *, beta=1, alpha=1):
    """``beta * input + alpha * sum_i(batch1[i] @ batch2[i])``: batched products, summed."""
    return _addbmm(input, batch1, batch2, beta=beta, alpha=alpha)


def _addbmm(input, batch1, batch2, *, beta=1, alpha=1, inplace=False):
    _tensors("addbmm", input=input, batch1=batch1, batch2=batch2)
    beta, alpha = _number("addbmm", "beta", beta), _number("addbmm", "alpha", alpha)
    _batch3("batch1", batch1)
    _batch3("batch2", batch2)
    (b, n, k), (b2, k2, p) = batch1._data.shape, batch2._data.shape
    base = _expand_input(input, (n, p))  # (torch broadcasts self before the other checks)
    if b != b2:
        raise errors.EngineRuntimeError(
            f"batch1 and batch2 must have same number of batches, got {b} and {b2}")
    if k != k2:
        raise errors.EngineRuntimeError(
            f"Incompatible matrix sizes for bmm ({n}x{k} and {k2}x{p})")
    _same_dtype("self", input, "mat2", batch2)
    _same_dtype("mat1", batch1, "mat2", batch2)
    if inplace:  # (torch resizes self to the result's shape: see docs/oracle.md)
        _inplace_shape(input, (n, p))
    if input.dtype is bool_:
        raise _no_kernel_named("addmm_impl_cpu_", input)
    xp = input.device.xp
    product = xp.matmul(batch1._data, batch2._data).sum(axis=0, dtype=input.dtype.np) if b \
        else xp.zeros((n, p), dtype=input.dtype.np)
    out = _wrap(_fused(xp, base._data, product, beta, alpha, input.dtype), input.dtype,
                input.device)
    if needs_grad(input, batch1, batch2):
        def spread(g):  # the summed gradient, once per batch entry
            return g.unsqueeze(0).expand(b, n, p)

        _record_fused(out, "AddbmmBackward0", input, batch1, batch2, beta, alpha,
                      lambda g, y: _bmm_grads(spread(g), y, True),
                      lambda g, x: _bmm_grads(spread(g), x, False))
    return out


# ----------------------------------------------------- addmv_ / baddbmm_ into an expanded self
# torch's CPU kernels for these two write through an expanded ``self`` without the overlap
# check: each element is read, combined and stored in turn, so the shared locations see the
# whole sequence. These model the loops torch 2.13 runs there (addmv: its gemv without BLAS,
# "n" or "t" by the matrix's layout; baddbmm: its small-product loop, or one product per
# batch entry above it), checked value by value against torch.

def _opmath(dt):
    """The type torch computes a kernel's sums in (float for half) and stores back in."""
    return (np.float32 if dt.np == np.float16 else dt.np.type), dt.np.type


def _k0_writes(self, beta):
    """No products to add (an empty inner dim): torch zeroes ``self`` for beta 0, else
    scales it with mul_, which refuses the overlap."""
    if beta != 0:
        raise errors.EngineRuntimeError(errors.INTERNAL_OVERLAP)

    def writes(arr):
        arr[...] = 0
    return writes


def _addmv_writes(self, mat, vec, *, beta=1, alpha=1):
    a, x = mat._data, vec._data
    n, k = a.shape
    if a.size == 0:
        return _k0_writes(self, beta)
    op, store = _opmath(self.dtype)
    item = a.itemsize
    s0, s1 = a.strides[0] // item, a.strides[1] // item
    columns = s0 == 1 and (k == 1 or s1 >= max(1, n))  # gemv "n" (column-major), else "t"
    al, be = op(alpha), op(beta)
    xs = [op(v) for v in x.tolist()]
    rows = [[op(v) for v in r] for r in a.tolist()]

    def writes(arr):
        if columns:
            if beta != 0 and beta != 1:
                for i in range(n):
                    arr[i] = store(op(arr[i]) * be)
            for j in range(k):
                z = al * xs[j]
                for i in range(n):
                    arr[i] = store(z * rows[i][j] if j == 0 and beta == 0 else
                                   op(arr[i]) + z * rows[i][j])
        else:
            for i in range(n):
                acc = op(0)
                for j in range(k):
                    acc = acc + xs[j] * rows[i][j]
                arr[i] = store(al * acc if beta == 0 else be * op(arr[i]) + al * acc)
    return writes


def _baddbmm_writes(self, batch1, batch2, *, beta=1, alpha=1):
    a, b = batch1._data, batch2._data
    nb, n, k = a.shape
    p = b.shape[2]
    if self._data.size == 0:
        return None
    if k == 0:
        return _k0_writes(self, beta)
    op, store = _opmath(self.dtype)
    al, be = op(alpha), op(beta)
    xp = self.device.xp
    if k * n * p >= 400:  # one product per batch entry: a matrix of its own is needed
        inner = self._data[0]
        if any(st == 0 and m > 1 for st, m in zip(inner.strides, inner.shape)):
            raise errors.EngineRuntimeError(errors.INTERNAL_OVERLAP)

        def writes(arr):
            for i in range(nb):
                prod = xp.matmul(a[i], b[i])
                arr[i] = (prod * alpha if beta == 0 else
                          arr[i] * beta + prod * alpha).astype(arr.dtype)
        return writes
    la, lb = a.tolist(), b.tolist()

    def writes(arr):
        for i in range(nb):
            for r in range(n):
                for c in range(p):
                    acc = op(0)
                    for t in range(k):
                        acc = acc + op(la[i][r][t]) * op(lb[i][t][c])
                    arr[i, r, c] = store(al * acc if beta == 0 else
                                         op(arr[i, r, c]) * be + al * acc)
    return writes


_inplace("addmm", _addmm)
_inplace("addmv", _addmv, expanded=_addmv_writes)
_inplace("baddbmm", _baddbmm, expanded=_baddbmm_writes)
_inplace("addbmm", _addbmm)
_inplace("addr", _addr)


# --------------------------------------------------------------------------- elementwise
_ADDCDIV_INT = (
    "Integer division with addcdiv is no longer supported, and in a future  release addcdiv "
    "will perform a true division of tensor1 and tensor2. The historic addcdiv behavior can be "
    "implemented as (input + value * torch.trunc(tensor1 / tensor2)).to(input.dtype) for integer "
    "inputs and as (input + value * tensor1 / tensor2) for float inputs. The future addcdiv "
    "behavior is just the latter implementation: (input + value * tensor1 / tensor2), for all "
    "dtypes.")


def _pointwise3(name: str, input, tensor1, tensor2, value):
    _tensors(name, input=input, tensor1=tensor1, tensor2=tensor2)
    check_scalar_int(value)  # (an int beyond int64 and uint64: Python's error, first)
    value = _number(name, "value", value)
    if name == "addcdiv" and not tensor1.dtype.is_floating_point and \
            not tensor2.dtype.is_floating_point:
        raise errors.EngineRuntimeError(_ADDCDIV_INT)
    dt = promote_args(input, tensor1, tensor2)
    if dt is bool_:
        raise _no_kernel_named(f"{name}_cpu_out", input)
    dev = device_of(input, tensor1, tensor2)
    shape = broadcast_shape(input._data.shape, tensor1._data.shape, tensor2._data.shape)
    check_numel(shape)
    xp = dev.xp
    check_int_scalar_conversion(value, dt)  # (torch reads value as the result's C type)
    a, b, c = (t._data.astype(dt.np, copy=False) for t in (input, tensor1, tensor2))
    v = _as_dtype_scalar(value, dt)
    half = dt.np == np.float16 and xp is np
    if half:
        # torch's half kernels compute in float (``value`` made a float once) and round to
        # half once; in half steps 32,169-55,710 of 100,000 values differed
        a, b, c = (x.astype(np.float32) for x in (a, b, c))
        v = np.float32(v)
    with np.errstate(all="ignore"):
        if name == "addcmul" and (half or dt.np in (np.float32, np.float64)):
            # torch's kernel: ``value * tensor1`` rounded, then one fused multiply-add
            res = fma(b if v == 1 else v * b, c, a, xp)
        else:
            res = a + (v * b * c if name == "addcmul" else v * b / c)
    res = as_iterated(xp.asarray(res, dtype=dt.np), (input, tensor1, tensor2))
    return _wrap(res, dt, dev), value


@op(grad_fns=("AddcmulBackward0",))
def addcmul(input, tensor1, tensor2, *, value=1):
    """Elementwise ``input + value * tensor1 * tensor2`` (broadcasting, dtypes promote)."""
    out, value = _pointwise3("addcmul", input, tensor1, tensor2, value)
    if needs_grad(input, tensor1, tensor2):
        record(out, "AddcmulBackward0",
               (lambda g, a, b: g, lambda g, a, b: g * (b * value),
                lambda g, a, b: g * (a * value)),
               (input, tensor1, tensor2),
               (tensor1 if needs_grad(tensor2) else None,
                tensor2 if needs_grad(tensor1) else None))
    return out


@op(grad_fns=("AddcdivBackward0",))
def addcdiv(input, tensor1, tensor2, *, value=1):
    """Elementwise ``input + value * tensor1 / tensor2`` (broadcasting; integer division of
    two integer tensors is refused, as in PyTorch)."""
    out, value = _pointwise3("addcdiv", input, tensor1, tensor2, value)
    if needs_grad(input, tensor1, tensor2):
        # (torch's node keeps tensor2 whichever operand needs a gradient, tensor1 for tensor2's)
        record(out, "AddcdivBackward0",
               (lambda g, a, b: g, lambda g, a, b: g * _scalar_over(value, b),
                lambda g, a, b: -g * (value * a / (b * b))),
               (input, tensor1, tensor2),
               (tensor1 if needs_grad(tensor2) else None, tensor2))
    return out


def _scalar_over(value, b: Tensor) -> Tensor:
    """ATen's ``Scalar / Tensor`` (addcdiv's gradient): ``value`` filled into a tensor like
    ``b``, then divided in place by ``b``, so an integral or bool ``b`` cannot hold it."""
    if not b.dtype.is_floating_point:
        raise errors.EngineRuntimeError(
            "result type Float can't be cast to the desired output type "
            f"{b.dtype.scalar_name}")
    from .creation import full_like

    return full_like(b, value) / b


inplace_twin("addcmul", addcmul)
inplace_twin("addcdiv", addcdiv)

__all__ = ["addmm", "addmv", "addr", "baddbmm", "addbmm", "addcmul", "addcdiv"]
