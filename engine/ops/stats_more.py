"""Counting, statistics and products: ``cov`` and ``corrcoef`` (composed of table ops in
torch's order, so their graphs are torch's chain of nodes), ``bincount``, ``inner``, ``vdot``,
``dist`` (one ``DistBackward0`` node with the norm's gradient) and ``chain_matmul``."""

from __future__ import annotations

import math
import warnings

import numpy as np

from .. import errors
from ..autograd import needs_grad, record
from ..autograd.engine import sum_to
from ..dtypes import float64, int64
from ..tensor import Tensor, _wrap
from ._args import promote_args
from .linalg import check_dot_sizes
from .pointwise import mul_scalar
from .registry import OPS, op


def _tensor_arg(name: str, arg: str, value, position: int) -> None:
    if not isinstance(value, Tensor):
        raise errors.EngineTypeError(
            f"{name}(): argument '{arg}' (position {position}) must be Tensor, not "
            f"{type(value).__name__}")


def _check_weights(name: str, w: Tensor, n: int, integral: bool) -> None:
    if w._data.ndim > 1:
        raise errors.EngineRuntimeError(
            f"cov(): expected {name} to have one or fewer dimensions but got {name} with "
            f"{w._data.ndim} dimensions")
    if w._data.size != n:
        raise errors.EngineRuntimeError(
            f"cov(): expected {name} to have the same numel as there are observations in the "
            f"input but got {w._data.size} != {n}")
    if integral and w.dtype.is_floating_point or w.dtype.name == "bool" and integral:
        raise errors.EngineRuntimeError(
            f"cov(): expected fweights to have integral dtype but got fweights with "
            f"{w.dtype.scalar_name} dtype")
    if not integral and not w.dtype.is_floating_point:
        raise errors.EngineRuntimeError(
            f"cov(): expected aweights to have floating point dtype but got aweights with "
            f"{w.dtype.scalar_name} dtype")
    if w._data.size and not (np.asarray(w._data) >= 0).all():  # (NaN fails, as torch's ge)
        raise errors.EngineRuntimeError(f"cov(): {name} cannot be negative")


@op(grad_fns=("SqueezeBackward0", "DivBackward0", "MmBackward0", "SubBackward0",
              "UnsqueezeBackward0", "SumBackward1", "TBackward0", "MulBackward0"))
def cov(input, *, correction=1, fweights=None, aweights=None):
    """The covariance matrix of the variables in the rows of ``input`` (observations in the
    columns), with ``correction`` (1: Bessel's) and integer frequency / float importance
    weights of the observations."""
    if isinstance(correction, bool) or not isinstance(correction, (int, np.integer)):
        raise errors.EngineTypeError(
            f"cov(): argument 'correction' must be int, not {type(correction).__name__}")
    n_dims = input._data.ndim
    if n_dims > 2:
        raise errors.EngineRuntimeError(
            "cov(): expected input to have two or fewer dimensions but got an input with "
            f"{n_dims} dimensions")
    if input.dtype.name == "bool":
        raise errors.EngineRuntimeError("cov(): bool dtype is not supported for input")
    x = input if n_dims == 2 else input.view(1, -1)
    n = x._data.shape[1]
    w = None
    if fweights is not None:
        _check_weights("fweights", fweights, n, True)
        w = fweights
    if aweights is not None:
        _check_weights("aweights", aweights, n, False)
        w = aweights if w is None else w * aweights
    mul, sub, div = OPS["mul"].fn, OPS["sub"].fn, OPS["true_divide"].fn \
        if "true_divide" in OPS else OPS["div"].fn
    if w is None:
        w_sum = _wrap(x.device.xp.asarray(n, dtype=np.int64), int64, x.device)
    else:
        w_sum = w.sum()
    avg = div((mul(x, w) if w is not None else x).sum(1), w_sum)
    if w is not None and aweights is not None and correction != 0:
        scaled = mul_scalar(mul(w, aweights).sum(), correction)  # torch's mul(Tensor, Scalar)
        norm = sub(w_sum, div(scaled, w_sum))
    elif w_sum.dtype.is_floating_point:
        norm = sub(w_sum, correction)
    else:  # an integer count: nothing to differentiate (and no node for it, as torch)
        norm = _wrap(w_sum._data - correction, w_sum.dtype, w_sum.device)
    if bool(np.asarray(norm._data <= 0)):
        warnings.warn("cov(): degrees of freedom is <= 0. Correction should be strictly less "
                      "than the number of observations.", UserWarning, stacklevel=2)
        norm = norm * 0 if norm.dtype.is_floating_point else \
            _wrap(norm._data * 0, norm.dtype, norm.device)
    centred = sub(x, avg.unsqueeze(1))
    c = OPS["mm"].fn(centred, (mul(centred, w) if w is not None else centred).t())
    return div(c, norm).squeeze()


@op(grad_fns=("ClampBackward1", "DivBackward0", "ViewBackward0", "SqrtBackward0",
              "DiagonalBackward0"))
def corrcoef(input):
    """The Pearson correlation coefficients of the variables in the rows of ``input``."""
    if input._data.ndim > 2:
        raise errors.EngineRuntimeError(
            "corrcoef(): expected input to have two or fewer dimensions but got an input with "
            f"{input._data.ndim} dimensions")
    c = cov(input)
    if c._data.ndim == 0:
        return c / c
    sd = c.diagonal().sqrt()
    c = c / sd.view(-1, 1)
    c = c / sd.view(1, -1)
    return OPS["clamp"].fn(c, -1, 1)


@op(differentiable=False, grad_fns=("NotImplemented",))
def bincount(input, weights=None, minlength=0):
    """How many times each non-negative integer appears in the 1-D ``input`` (or the sum of
    the ``weights`` at its positions), at least ``minlength`` bins."""
    if input.dtype.name not in ("int64", "int32", "int16", "int8", "uint8"):
        raise errors.KernelNotImplemented(
            f"\"bincount_cpu\" not implemented for '{input.dtype.scalar_name}'")
    if minlength < 0:
        raise errors.EngineRuntimeError("minlength should be >= 0")
    arr = np.asarray(input._data)
    if arr.ndim != 1 or (arr.size and arr.min() < 0):
        raise errors.EngineRuntimeError("bincount only supports 1-d non-negative integral inputs.")
    if weights is not None and (weights._data.ndim != 1 or weights._data.shape[0] != arr.size):
        raise errors.EngineRuntimeError("weights should be 1-d and have the same length as input")
    xp = input.device.xp
    if weights is None or not arr.size:  # (no elements: int64 zeros whatever the weights)
        counts = np.bincount(arr, minlength=int(minlength)).astype(np.int64)
        return _wrap(xp.asarray(counts), int64, input.device)
    # torch sums float32 weights in float32, any other weights (float16 too) in float64
    dt = weights.dtype if weights.dtype.name == "float32" else float64
    sums = np.bincount(arr, weights=np.asarray(weights._data).astype(np.float64),
                       minlength=int(minlength))
    out = _wrap(xp.asarray(sums.astype(dt.np)), dt, input.device)
    if needs_grad(weights):
        def refuse(g):
            raise errors.EngineRuntimeError(errors.NO_DERIVATIVE.format(op="bincount"))

        record(out, "NotImplemented", (refuse,), (weights,))
    return out


@op(grad_fns=("MulBackward0", "ViewBackward0", "MmBackward0", "DotBackward0",
              "PermuteBackward0"))
def inner(input, other):
    """The sum of products over the last dimension of ``input`` and ``other`` (a product when
    either is 0-d)."""
    _tensor_arg("inner", "other", other, 2)
    if input._data.ndim == 0 or other._data.ndim == 0:
        return OPS["mul"].fn(input, other)
    a, b = input._data.shape[-1], other._data.shape[-1]
    if a != b:
        raise errors.EngineRuntimeError(
            f"inner() the last dimension must match on both input tensors but got shapes "
            f"{list(input._data.shape)} and {list(other._data.shape)}")
    if input._data.ndim == 1 and other._data.ndim == 1:  # torch's tensordot: a dot
        if input.dtype is not other.dtype:
            raise errors.EngineRuntimeError("both inputs should have same dtype")
        return OPS["dot"].fn(input.permute(0), other.permute(0)).view(())
    return OPS["tensordot"].fn(input, other, ([-1], [-1]))


@op(grad_fns=("VdotBackward0",))
def vdot(input, other):
    """The dot product of two 1-D tensors (the first conjugated: the same for real ones)."""
    _tensor_arg("vdot", "other", other, 2)
    check_dot_sizes(input, other)
    if input.dtype is not other.dtype:
        raise errors.EngineRuntimeError(
            f"dot : expected both vectors to have same dtype, but found "
            f"{input.dtype.scalar_name} and {other.dtype.scalar_name}")
    xp = input.device.xp
    arr = xp.asarray(xp.dot(input._data, other._data)).astype(input.dtype.np)
    out = _wrap(arr.reshape(()), input.dtype, input.device)
    if needs_grad(input, other):
        record(out, "VdotBackward0", (lambda g: g * other, lambda g: g * input),
               (input, other))
    return out


def _norm_grad(g: Tensor, diff: Tensor, p: float, r: Tensor) -> Tensor:
    """The gradient of the ``p``-norm ``r`` of ``diff`` in the order torch's norm_backward
    composes it (so its nodes under create_graph are torch's): zero where the norm is zero,
    shared among the ties of the max for infinity."""
    if p == 0:  # torch's formula has no gradient here, and its backward refuses
        raise errors.EngineRuntimeError(
            "Expected a proper Tensor but got None (or an undefined Tensor in C++) for "
            "argument #0 'self'")
    if p == 1:
        return diff.sgn() * g
    if p == 2:
        return diff * (g / r).masked_fill(r == 0, 0)
    # (torch's C++ evaluates the operands of a product right to left: the nodes of ``a * b``
    # are made b's first, and backward runs the node made last first)
    if math.isinf(p):
        size = diff.abs()
        mask = (size == r).logical_or(size.isnan())
        right = (g / mask.sum()) * mask
        return diff.sgn() * right
    if p < 1:
        right = diff.abs().pow(p - 1).masked_fill(diff == 0, 0)
        scaled = diff.sgn() * right
        right = r.pow(1 - p)
        return scaled * g * right
    if p < 2:
        right = diff.abs().pow(p - 1)
        scaled = diff.sgn() * right
    else:
        scaled = diff * diff.abs().pow(p - 2)
    right = (g / r.pow(p - 1)).masked_fill(r == 0, 0)
    return scaled * right


@op(grad_fns=("DistBackward0",))
def dist(input, other, p=2):
    """The ``p``-norm of ``input - other`` (broadcast), as one number."""
    _tensor_arg("dist", "other", other, 2)
    if isinstance(p, Tensor):
        p = p.item()
    if isinstance(p, bool) or not isinstance(p, (int, float, np.integer, np.floating)):
        raise errors.EngineTypeError(
            f"dist(): argument 'p' (position 3) must be Number, not {type(p).__name__}")
    if isinstance(other, Tensor) and "bool" in (input.dtype.name, other.dtype.name):
        # torch's ``self - other`` comes first
        raise errors.EngineRuntimeError(errors.BOOL_SUB if input.dtype is other.dtype else
                                        errors.BOOL_SUB_ONE)
    dt = promote_args(input, other)
    if not dt.is_floating_point:
        raise errors.EngineRuntimeError(
            "norm(): input dtype should be either floating point or complex. Got "
            f"{dt.scalar_name} instead.")
    from ..modes import no_grad

    with no_grad():  # (torch converts the operands inside the op: no nodes for that)
        a = input if input.dtype is dt else input.to(dt)
        b = other if other.dtype is dt else other.to(dt)
        r = OPS["linalg.vector_norm"].fn(a - b, float(p))
    out = _wrap(r._data, dt, input.device)
    if needs_grad(input, other):
        sa, sb, pf = input._data.shape, other._data.shape, float(p)

        def grads(g, needs, a, b, res):
            gd = _norm_grad(g, a.to(dt) - b.to(dt), pf, res)
            return (sum_to(gd, sa) if needs[0] else None,
                    sum_to(-gd, sb) if needs[1] else None)

        from ..autograd import OUTPUT

        record(out, "DistBackward0", grads, (input, other), (input, other, OUTPUT),
               per_input=False)
    return out


@op(kind="function", grad_fns=("MmBackward0",))
def chain_matmul(*matrices):
    """The product of 2-D matrices in order (deprecated in torch for linalg.multi_dot)."""
    warnings.warn(
        "torch.chain_matmul is deprecated and will be removed in a future PyTorch release. "
        "Use torch.linalg.multi_dot instead, which accepts a list of two or more tensors "
        "rather than multiple parameters.", UserWarning, stacklevel=2)
    if len(matrices) == 1 and isinstance(matrices[0], (list, tuple)):
        matrices = tuple(matrices[0])
    if not matrices:
        raise errors.EngineRuntimeError("chain_matmul(): Expected one or more matrices")
    for m in matrices:
        if m._data.ndim != 2:
            raise errors.EngineRuntimeError(
                f"Tensor dimension is {m._data.ndim}, expected 2 instead.")
    if len(matrices) == 1:
        return matrices[0].clone()
    return OPS["linalg.multi_dot"].fn(list(matrices))
