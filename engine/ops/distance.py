"""Distances and divergences: ``cdist`` (all pairs of rows), ``pairwise_distance`` and
``cosine_similarity`` (row by row), and ``kl_div`` (Kullback-Leibler divergence, a loss).

``cdist`` follows PyTorch's two algorithms: the direct one (node ``CdistBackward0``, whose own
derivative PyTorch does not implement) and, for p = 2 on more than 25 rows or on request, the
matrix-product form (``EuclideanDistBackward0``). The others are compositions of table ops, as in
PyTorch, so their node chains and derivatives of every order are PyTorch's.
"""

from __future__ import annotations

import inspect
import math
import warnings

import numpy as np

from .. import errors
from ..autograd import needs_grad, record
from ..autograd.graph import rename
from ..modes import check_numel, is_grad_enabled, no_grad
from ..tensor import Tensor, _wrap
from ._args import broadcast_shape, promote_args
from .registry import op

_COMPUTE_MODES = {None: 0, "use_mm_for_euclid_dist_if_necessary": 0,
                  "use_mm_for_euclid_dist": 1, "donot_use_mm_for_euclid_dist": 2}


# --------------------------------------------------------------------------- cdist
@op(kind="function", grad_fns=("CdistBackward0", "EuclideanDistBackward0", "ViewBackward0"))
def cdist(x1, x2, p=2.0, compute_mode="use_mm_for_euclid_dist_if_necessary"):
    """The p-norm distance between each row of ``x1`` and each row of ``x2`` (the last two
    dims are rows x columns; leading dims broadcast as batches)."""
    if compute_mode not in _COMPUTE_MODES:
        raise errors.EngineValueError(f"{compute_mode} is not a valid value for compute_mode")
    for name, t in (("X1", x1), ("X2", x2)):
        if t._data.ndim < 2:
            raise errors.EngineRuntimeError(
                f"cdist only supports at least 2D tensors, {name} got: {t._data.ndim}D")
    c1, c2 = x1._data.shape[-1], x2._data.shape[-1]
    if c1 != c2:
        raise errors.EngineRuntimeError(
            f"X1 and X2 must have the same number of columns. X1: {c1} X2: {c2}")
    for name, t in (("X1", x1), ("X2", x2)):
        if not t.dtype.is_floating_point:
            raise errors.EngineRuntimeError(
                f"cdist only supports floating-point dtypes, {name} got: "
                f"{t.dtype.scalar_name}")
    p = float(p)
    if p < 0:
        raise errors.EngineRuntimeError("cdist only supports non-negative p values")
    r1, r2 = x1._data.shape[-2], x2._data.shape[-2]
    mode = _COMPUTE_MODES[compute_mode]
    empty = x1._data.size == 0 or x2._data.size == 0
    use_mm = not empty and p == 2 and (mode == 1 or mode == 0 and (r1 > 25 or r2 > 25))
    batch = broadcast_shape(x1._data.shape[:-2], x2._data.shape[:-2])
    if use_mm:  # torch's matrix-product form: any float dtype, matmul's dtype check
        if x1.dtype is not x2.dtype:
            if x2._data.ndim == 2 and math.prod(batch) == 1:  # folds into one mm
                raise errors.EngineRuntimeError(
                    "expected m1 and m2 to have the same dtype, but got: "
                    f"{x1.dtype.c_name} != {x2.dtype.c_name}")
            raise errors.EngineRuntimeError(  # a batched product
                f"expected scalar type {x1.dtype.scalar_name} but found "
                f"{x2.dtype.scalar_name}")
    elif x1.dtype.name == "float16":  # the direct kernel: no half; x1's dtype decides
        raise errors.KernelNotImplemented(errors.NOT_IMPLEMENTED_FOR.format(
            kernel="cdist", dtype="Half"))
    elif x1.dtype is not x2.dtype:
        raise errors.EngineRuntimeError(
            f"expected scalar type {x1.dtype.scalar_name} but found "
            f"{x2.dtype.scalar_name}")
    out_shape = tuple(batch) + (r1, r2)
    check_numel(out_shape + (c1,))
    if use_mm:
        n = int(np.prod(batch)) if batch else 1
        if n == 1:
            dist = _euclidean_dist(x1, x2)
        else:
            dist = _euclidean_dist(
                x1.expand(tuple(batch) + (r1, c1)).contiguous().view(n, r1, c1),
                x2.expand(tuple(batch) + (r2, c2)).contiguous().view(n, r2, c2))
        return dist.view(out_shape)
    return _cdist_direct(x1, x2, p, out_shape)


def _cdist_direct(x1: Tensor, x2: Tensor, p: float, out_shape: tuple) -> Tensor:
    xp = x1.device.xp
    diff = xp.abs(x1._data[..., :, None, :] - x2._data[..., None, :, :])
    with np.errstate(all="ignore"):
        if p == 0:
            res = (diff != 0).sum(axis=-1).astype(diff.dtype)
        elif p == 1:
            res = diff.sum(axis=-1)
        elif p == 2:
            res = xp.sqrt((diff * diff).sum(axis=-1))
        elif math.isinf(p):
            res = diff.max(axis=-1) if diff.shape[-1] else diff.sum(axis=-1)
        else:
            res = (diff ** p).sum(axis=-1) ** (1 / p)
    out = _wrap(xp.ascontiguousarray(xp.broadcast_to(res, out_shape)), x1.dtype, x1.device)
    if needs_grad(x1, x2):
        record(out, "CdistBackward0",
               (lambda g, a, b, d: _cdist_grad(g, a, b, d, p, True),
                lambda g, a, b, d: _cdist_grad(g, a, b, d, p, False)),
               (x1, x2), (x1, x2, out), jvp=_no_forward_ad)
    return out


def _cdist_grad(g: Tensor, x1: Tensor, x2: Tensor, dist: Tensor, p: float, first: bool):
    """PyTorch's ``_cdist_backward``: computed on arrays; a node that refuses to differentiate
    it again, as PyTorch's does."""
    xp = g.device.xp
    # each side's own difference (x2's gradient is torch's backward with the roles swapped,
    # not the negated x1 one: x - x is +0 either way)
    if first:
        diff = x1._data[..., :, None, :] - x2._data[..., None, :, :]
    else:
        diff = x2._data[..., None, :, :] - x1._data[..., :, None, :]
    d = dist._data[..., None]
    gg = g._data[..., None]
    sign = xp.sign(diff)
    with np.errstate(all="ignore"):
        if p == 0:
            term = xp.zeros_like(diff)
        elif p == 1:
            term = gg * sign
        elif p == 2:
            term = xp.where(d == 0, 0, gg * diff / d)
        elif math.isinf(p):
            term = gg * sign * (xp.abs(diff) == d)
        elif p < 1:
            term = xp.where(diff == 0, 0,
                            gg * sign * xp.abs(diff) ** (p - 1) * d ** (1 - p))
        else:
            term = xp.where((d == 0) | ((diff == 0) & (p < 2)), 0,
                            gg * sign * xp.abs(diff) ** (p - 1) / d ** (p - 1))
    res = term.sum(axis=-2) if first else term.sum(axis=-3)
    out = _wrap(xp.ascontiguousarray(res).astype(g.dtype.np, copy=False), g.dtype, g.device)
    if is_grad_enabled() and needs_grad(g, x1, x2, dist):
        # torch's formulas: _cdist_backward(grad.contiguous(), x1, x2, p, result) and, for x2,
        # _cdist_backward(grad.mT.contiguous(), x2, x1, p, result.mT.contiguous())
        inputs = (g.contiguous(), x1, x2, dist) if first else \
            (g.mT.contiguous(), x2, x1, dist.mT.contiguous())
        record(out, "CdistBackwardBackward0", (_no_cdist_double,) * 4, inputs)
    return out


def _no_forward_ad(tangents):
    raise errors.KernelNotImplemented(
        "Trying to use forward AD with _cdist_forward that does not support it because it has "
        "not been implemented yet.\nPlease file an issue to PyTorch at "
        "https://github.com/pytorch/pytorch/issues/new?template=feature-request.yml so that we "
        "can prioritize its implementation or submit a PR adding the implementation to "
        "derivatives.yaml")


def _no_cdist_double(g, *_):
    raise errors.KernelNotImplemented(
        "the derivative for '_cdist_backward' is not implemented.")


def _euclidean_dist(x1: Tensor, x2: Tensor) -> Tensor:
    """PyTorch's matrix-product form: ``|a|^2 - 2 a.b + |b|^2`` via one matmul, clamped at 0."""
    xp = x1.device.xp
    a, b = x1._data, x2._data
    a_norm = (a * a).sum(axis=-1, keepdims=True)
    b_norm = (b * b).sum(axis=-1, keepdims=True)
    a_ = xp.concatenate([a * -2, a_norm, xp.ones_like(a_norm)], axis=-1)
    b_ = xp.concatenate([b, xp.ones_like(b_norm), b_norm], axis=-1)
    res = xp.sqrt(xp.maximum(xp.matmul(a_, xp.swapaxes(b_, -1, -2)), 0))
    out = _wrap(xp.ascontiguousarray(res), x1.dtype, x1.device)
    if needs_grad(x1, x2):
        record(out, "EuclideanDistBackward0",
               (lambda g, a, b, r: _euclidean_grad(g, a, b, r)[0],
                lambda g, a, b, r: _euclidean_grad(g, a, b, r)[1]),
               (x1, x2), (x1, x2, out))
    return out


def _euclidean_grad(g: Tensor, x1: Tensor, x2: Tensor, res: Tensor):
    ratio = (g / res).masked_fill(res == 0, 0)  # a zero subgradient at zero distance
    return (x1 * ratio.sum(-1, keepdim=True) - ratio.matmul(x2),
            x2 * ratio.sum(-2).unsqueeze(-1) - ratio.mT.matmul(x1))


# --------------------------------------------------------------------------- row by row
@op(kind="function", grad_fns=("NormBackward1", "AddBackward1", "SubBackward0"))
def pairwise_distance(x1, x2, p=2.0, eps=1e-06, keepdim=False):
    """The p-norm of ``x1 - x2 + eps`` along the last dim (the inputs broadcast)."""
    from .pointwise import add_scalar
    from .reduction import norm

    dim = max(x1._data.ndim, x2._data.ndim) - 1
    shifted = add_scalar(x1 - x2, eps)  # PyTorch's add(Tensor, Scalar)
    return _renamed(norm(shifted, p, dim, keepdim), "NormBackward1")  # at::norm's node


def _renamed(t: Tensor, name: str) -> Tensor:
    if t.grad_fn is not None:
        rename(t.grad_fn, name)
    return t


@op(kind="function", grad_fns=("SumBackward1", "MulBackward0", "DivBackward0",
                               "CloneBackward0", "LinalgVectorNormBackward0"))
def cosine_similarity(x1, x2, dim=1, eps=1e-08):
    """The cosine of the angle between ``x1`` and ``x2`` along ``dim`` (the inputs broadcast;
    each norm is at least ``eps``)."""
    from .reduction import norm

    dt = promote_args(x1, x2)
    if not dt.is_floating_point:
        raise errors.EngineRuntimeError(
            "expected common dtype to be floating point, yet common dtype is "
            f"{dt.scalar_name}")
    # an integral input is cast to the common dtype first; floating ones are each normalised
    # in their own dtype (the product promotes), as torch
    a = x1 if x1.dtype.is_floating_point else x1.to(dt)
    b = x2 if x2.dtype.is_floating_point else x2.to(dt)
    if a._data.shape != b._data.shape:
        shape = broadcast_shape(a._data.shape, b._data.shape)
        a, b = a.expand(shape), b.expand(shape)
    # each divided by its norm first (clamped to eps outside autograd), as PyTorch does
    a_norm = norm(a, 2, dim, True).clone()
    b_norm = norm(b, 2, dim, True).clone()
    with no_grad():
        a_norm.clamp_min_(eps)
        b_norm.clamp_min_(eps)
    return ((a / a_norm) * (b / b_norm)).sum(dim)


# --------------------------------------------------------------------------- kl_div
_KL_MEAN_WARNING = (
    "reduction: 'mean' divides the total loss by both the batch size and the support size."
    "'batchmean' divides only by the batch size, and aligns with the KL div math definition."
    "'mean' will be changed to behave the same as 'batchmean' in the next major release.")


_KL_GRAD_FNS = ("SubBackward0", "XlogyBackward0", "MulBackward0", "ExpBackward0",
                "MeanBackward0", "SumBackward0", "DivBackward0")


def _kl_div_signature(input, target, reduction=0, *, log_target=False): ...


@op(kind="function", grad_fns=_KL_GRAD_FNS)
def kl_div(input, target, *args, **kwargs):
    """``torch.kl_div``: the Kullback-Leibler divergence ``target * (log(target) - input)``
    for log-probabilities ``input`` (``target`` as probabilities, or as log-probabilities with
    ``log_target``); ``reduction`` is torch's enum: 1 mean, 2 sum, any other (0 by default)
    none. ``torch.nn.functional.kl_div`` takes the reduction by name (and "batchmean")."""
    if len(args) > 1:
        raise errors.EngineTypeError(
            f"kl_div() takes from 2 to 3 positional arguments but {len(args) + 2} were given")
    for key in kwargs:
        if key not in ("reduction", "log_target") or key == "reduction" and args:
            raise errors.EngineTypeError(f"kl_div() got an unexpected keyword argument '{key}'")
    for pos, (arg, value) in enumerate((("input", input), ("target", target)), 1):
        if not isinstance(value, Tensor):
            raise errors.EngineTypeError(
                f"kl_div(): argument '{arg}' (position {pos}) must be Tensor, not "
                f"{type(value).__name__}")
    reduction = args[0] if args else kwargs.get("reduction", 0)  # (torch 2.13: none)
    if type(reduction) is not int:
        where = " (position 3)" if args else ""
        raise errors.EngineTypeError(f"kl_div(): argument 'reduction'{where} must be int, not "
                                     f"{type(reduction).__name__}")
    log_target = kwargs.get("log_target", False)
    if type(log_target) is not bool:
        raise errors.EngineTypeError(
            f"kl_div(): argument 'log_target' must be bool, not {type(log_target).__name__}")
    loss = _kl_div_loss(input, target, log_target)
    return loss.mean() if reduction == 1 else loss.sum() if reduction == 2 else loss


kl_div.__signature__ = inspect.signature(_kl_div_signature)


def _kl_div_loss(input: Tensor, target: Tensor, log_target: bool) -> Tensor:
    from .pointwise_extra import xlogy

    if not input.dtype.is_floating_point or not target.dtype.is_floating_point:
        raise errors.EngineRuntimeError("kl_div: Integral inputs not supported.")
    # (torch's C++ ``a op b`` evaluates ``b`` first, as GCC passes arguments right to left:
    # the right operand's nodes are recorded first, so backward reaches them last)
    if log_target:
        diff = target - input
        return target.exp() * diff
    product = target * input
    return xlogy(target, target) - product


def functional_kl_div(input, target, size_average=None, reduce=None, reduction="mean",
                      log_target=False):
    """``torch.nn.functional.kl_div``: ``torch.kl_div`` with the reduction by name: "mean",
    "batchmean" (the sum over the batch size, the divergence's definition), "sum" or
    "none"."""
    from .nn import _reduction

    if size_average is not None or reduce is not None:
        reduction = _reduction(size_average, reduce, reduction)
    if reduction not in ("none", "mean", "batchmean", "sum"):
        raise errors.EngineValueError(f"{reduction} is not a valid value for reduction")
    if reduction == "mean":
        warnings.warn(_KL_MEAN_WARNING, UserWarning, stacklevel=2)
    code = {"none": 0, "mean": 1, "sum": 2, "batchmean": 2}[reduction]
    total = kl_div(input, target, code, log_target=bool(log_target))
    if reduction == "batchmean" and input._data.ndim:
        return total / input._data.shape[0]
    return total


__all__ = ["cdist", "pairwise_distance", "cosine_similarity", "kl_div"]
