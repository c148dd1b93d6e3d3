"""More ``torch.nn.functional`` losses (the common ones live in ``nn.py``). Those torch
composes from other ops (margin ranking, hinge and cosine embedding, triplet margin, Poisson and
Gaussian NLL, multi-label soft margin) are composed here from the same ops in the same order,
so values and node names are torch's; ``soft_margin_loss``, ``multi_margin_loss`` and
``multilabel_margin_loss`` are one node each, as in torch."""

from __future__ import annotations

import math

import numpy as np

from .. import errors
from ..autograd import OUTPUT, needs_grad, record
from ..dtypes import int64
from ..modes import is_grad_enabled, no_grad
from ..tensor import Tensor, _wrap
from ._args import ensure_tensor
from .creation import full_like, ones_like, zeros_like
from .nn import (
    _REDUCTIONS,
    _const,
    _no_grad_for,
    _reduce_array,
    _reduction,
)
from .pointwise import add_scalar, exp_array, log_array, sub_scalar, where
from .registry import op


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


@op(kind="function", grad_fns=("ClampMinBackward0", "MeanBackward0", "SumBackward0"))
def margin_ranking_loss(input1, input2, target, margin=0, size_average=None, reduce=None,
                        reduction="mean"):
    """``max(0, -target * (input1 - input2) + margin)``, reduced."""
    reduction = _reduction(size_average, reduce, reduction)
    if input1.ndim != input2.ndim or input1.ndim != target.ndim:
        raise errors.EngineRuntimeError(
            "margin_ranking_loss : All input tensors should have same dimension but got sizes: "
            f"input1: {input1.shape}, input2: {input2.shape}, target: {target.shape} ")
    shifted = add_scalar(-target * (input1 - input2), margin)  # torch's C++ add(Tensor, Scalar)
    return _reduce(shifted.clamp_min(0), reduction)


@op(kind="function", grad_fns=("AddBackward0", "MeanBackward0", "SumBackward0"))
def hinge_embedding_loss(input, target, margin=1.0, size_average=None, reduce=None,
                         reduction="mean"):
    """``input`` where ``target == 1``, ``max(0, margin - input)`` where ``target == -1``."""
    reduction = _reduction(size_average, reduce, reduction)
    zeros = zeros_like(input)
    # ATen's ``margin - input``: ``margin`` filled into input's dtype, then subtracted
    margin_clamp = full_like(input, margin).sub_(input).clamp_min_(0)
    output_margin = where(target != 1, margin_clamp, zeros)
    output_self = where(target != -1, input, zeros)
    return _reduce(output_margin + output_self, reduction)


#: cosine_embedding_loss's EPSILON: a C++ ``float`` 1e-12 in torch (9.99999996e-13 once
#: widened), so a zero input's gradient (``x2 / sqrt(EPSILON * |x2|^2)``) is 2e-9 larger
_EPSILON = float(np.float32(1e-12))


@op(kind="function", grad_fns=("AddBackward0", "MeanBackward0", "SumBackward0", "SubBackward0",
                               "SubBackward1", "AddBackward1", "WhereBackward0"))
def cosine_embedding_loss(input1, input2, target, margin=0, size_average=None, reduce=None,
                          reduction="mean"):
    """``1 - cos(x1, x2)`` where ``target == 1``, ``max(0, cos(x1, x2) - margin)`` where
    ``target == -1`` (cosines along the last dim of 2-D inputs, or of 1-D ones)."""
    reduction = _reduction(size_average, reduce, reduction)
    targ_dim = target.ndim
    if targ_dim not in (0, 1):
        raise errors.EngineRuntimeError("0D or 1D target tensor expected, multi-target not "
                                         "supported")
    if targ_dim == 1 and (input1.ndim != 2 or input2.ndim != 2):
        raise errors.EngineRuntimeError(
            f"1D target tensor expects 2D input tensors, but found inputs with sizes "
            f"{list(input1.shape)} and {list(input2.shape)}.")
    if targ_dim == 0 and (input1.ndim != 1 or input2.ndim != 1):
        raise errors.EngineRuntimeError(
            f"0D target tensor expects 1D input tensors, but found inputs with sizes "
            f"{list(input1.shape)} and {list(input2.shape)}.")
    # torch's C++ chain: ``+ EPSILON`` and ``- margin`` are Scalar overloads (AddBackward1,
    # SubBackward1), ``1 - cos`` a sub of a filled tensor (SubBackward0 with an empty edge)
    prod_sum = (input1 * input2).sum(targ_dim)
    mag_square1 = add_scalar((input1 * input1).sum(targ_dim), _EPSILON)
    mag_square2 = add_scalar((input2 * input2).sum(targ_dim), _EPSILON)
    denom = (mag_square1 * mag_square2).sqrt()
    cos = prod_sum / denom
    zeros = zeros_like(cos)
    pos = ones_like(cos) - cos
    neg = sub_scalar(cos, margin).clamp_min(0)
    output_pos = where(target == 1, pos, zeros)
    output_neg = where(target == -1, neg, zeros)
    return _reduce(output_pos + output_neg, reduction)


def _same_ndim(anchor, positive, negative) -> None:
    """The triplet losses' check (the margin one and the one with a distance function)."""
    dims = (anchor.ndim, positive.ndim, negative.ndim)
    if len(set(dims)) != 1:
        raise errors.EngineRuntimeError(
            "The anchor, positive, and negative tensors are expected to have the same number "
            f"of dimensions, but got: anchor {dims[0]}D, positive {dims[1]}D, and negative "
            f"{dims[2]}D inputs")


@op(kind="function", grad_fns=("ClampMinBackward0", "MeanBackward0", "SumBackward0"))
def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-06, swap=False,
                        size_average=None, reduce=None, reduction="mean"):
    """``max(0, margin + d(anchor, positive) - d(anchor, negative))`` with ``d`` the
    ``p``-norm distance along the last dim."""
    reduction = _reduction(size_average, reduce, reduction)
    if margin <= 0:
        raise errors.EngineValueError(f"margin must be greater than 0, got {margin}")
    _same_ndim(anchor, positive, negative)
    from .distance import pairwise_distance

    dist_pos = pairwise_distance(anchor, positive, p, eps)
    dist_neg = pairwise_distance(anchor, negative, p, eps)
    if swap:
        from .reduction import min as _min

        dist_neg = _min(dist_neg, pairwise_distance(positive, negative, p, eps))
    # torch's C++ ``margin + dist_pos``: add(Tensor, Scalar), AddBackward1
    return _reduce((add_scalar(dist_pos, margin) - dist_neg).clamp_min(0), reduction)


@op(kind="function", grad_fns=("SubBackward0", "AddBackward0", "MeanBackward0",
                               "SumBackward0"))
def poisson_nll_loss(input, target, log_input=True, full=False, size_average=None, eps=1e-08,
                     reduce=None, reduction="mean"):
    """Negative log-likelihood of ``target`` under a Poisson of rate ``exp(input)`` (or
    ``input`` when not ``log_input``); ``full`` adds Stirling's term."""
    reduction = _reduction(size_average, reduce, reduction)
    # (torch's C++ ``a - b`` evaluates ``b`` first: GCC passes arguments right to left, so
    # the product's node is recorded first and backward reaches it last)
    if log_input:
        product = target * input
        loss = input.exp() - product
    else:
        loss = input - target * add_scalar(input, eps).log()  # (C++ add(Tensor, Scalar))
    if full:
        stirling = target * target.log() - target + (target * (2 * math.pi)).log() * 0.5
        # torch's ``loss += ...``: in place, so the loss keeps its dtype (a float16 input with
        # an integer target stays float16; the term is float32)
        loss = loss.add_(stirling.masked_fill(target <= 1, 0))
    return _reduce(loss, reduction)


@op(kind="function", grad_fns=("MulBackward0", "AddBackward0", "MeanBackward0",
                               "SumBackward0"))
def gaussian_nll_loss(input, target, var, full=False, eps=1e-06, reduction="mean"):
    """Negative log-likelihood of ``target`` under N(``input``, ``var``), up to a constant
    (``full`` adds it); ``var`` is clamped below by ``eps`` without a gradient there."""
    if isinstance(var, float):  # (torch's test: a float; any other number reaches any())
        if var < 0:
            raise errors.EngineValueError("var has negative entry/entries")
        var = var * ones_like(input)
    elif not isinstance(var, Tensor):  # torch.any(var < 0) of a Python bool: refused
        from .signatures import refusal
        raise errors.EngineTypeError(refusal("any", "function", (var < 0,), {}))
    elif bool((var < 0).any()):
        raise errors.EngineValueError("var has negative entry/entries")
    if var.shape != input.shape:
        if input.shape[:-1] == var.shape:
            var = var.unsqueeze(-1)
        elif input.ndim == var.ndim and sum(
                y for x, y in zip(input.shape, var.shape) if x != y) == 1:
            pass
        else:
            raise errors.EngineValueError("var is of incorrect size")
    if reduction not in _REDUCTIONS:
        raise errors.EngineValueError(reduction + " is not valid")
    var = var.clone()
    if isinstance(eps, float) and not var.dtype.is_floating_point:
        # PyTorch's clamp_ with a float bound names the integer dtype as C++ does
        raise errors.EngineRuntimeError(
            f"result type Float can't be cast to the desired output type {var.dtype.c_name}")
    with no_grad():
        var.clamp_(min=eps)
    loss = 0.5 * (var.log() + (input - target) ** 2 / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction)


@op(kind="function", grad_fns=("DivBackward0", "MeanBackward0", "SumBackward0"))
def multilabel_soft_margin_loss(input, target, weight=None, size_average=None, reduce=None,
                                reduction="mean"):
    """Per-class logistic loss of ``input`` against 0/1 ``target``, averaged over classes."""
    from .activation import logsigmoid

    reduction = _reduction(size_average, reduce, reduction)
    loss = -(target * logsigmoid(input) + (1 - target) * logsigmoid(-input))
    if weight is not None:
        loss = loss * weight
    class_dim = input.ndim - 1
    loss = loss.sum(class_dim) / input.shape[class_dim]
    return _reduce(loss, reduction)


@op(kind="function", grad_fns=("SoftMarginLossBackward0",))
def soft_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """``log(1 + exp(-target * input))``, reduced; computed in ``input``'s dtype as ATen does
    (``-input``, then ``*= target``, ``exp_``, ``log1p_``: the same errors, infinities and
    NaNs)."""
    reduction = _reduction(size_average, reduce, reduction)
    input = ensure_tensor(input)
    target = ensure_tensor(target, dtype=input.dtype)
    _no_grad_for("soft_margin_loss", "target", target)
    with no_grad():
        elem = input.detach().neg()
        elem.mul_(target.detach()).exp_().log1p_()
        out = _reduce(elem, reduction)
    if needs_grad(input):
        record(out, "SoftMarginLossBackward0",
               (lambda g, x, y: _soft_margin_backward(g, x, y, reduction),),
               (input,), (input, target))
    return out


def _soft_margin_backward(g: Tensor, x: Tensor, y: Tensor, reduction: str) -> Tensor:
    """``-y * exp(-y x) / (1 + exp(-y x)) * g``, ATen's steps each rounded to ``x``'s dtype;
    under create_graph one ``SoftMarginLossBackwardBackward0`` node with torch's formulas."""
    with no_grad():
        z = (-y * x).exp()
        gi = (y * z).to(x.dtype) * (-1.0 / x.numel() if reduction == "mean" else -1.0)
        out = ((gi / (z + 1)).to(x.dtype) * g).to(x.dtype)
    if is_grad_enabled() and needs_grad(g, x):
        def wrt_g(gg, g, x, y):
            if reduction == "none":
                return _soft_margin_backward(gg, x, y, reduction)
            return (_soft_margin_backward(ones_like(g), x, y, reduction) * gg).sum()

        def wrt_x(gg, g, x, y):
            z = (x * -y).exp()
            res = y * y * z / ((z + 1) * (z + 1))
            if reduction == "mean":
                res = res / y.numel()
            return res * (gg * g)

        record(out, "SoftMarginLossBackwardBackward0", (wrt_g, wrt_x), (g, x), (g, x, y))
    return out


@op(kind="function", grad_fns=("MultiMarginLossBackward0",))
def multi_margin_loss(input, target, p=1, margin=1.0, weight=None, size_average=None,
                      reduce=None, reduction="mean"):
    """Multi-class hinge loss: ``sum_{j != y} max(0, w[y] * (margin - x[y] + x[j]))^p / C``
    per sample."""
    reduction = _reduction(size_average, reduce, reduction)
    if p not in (1, 2):
        raise errors.EngineValueError("only p == 1 and p == 2 supported")
    if weight is not None and weight.ndim != 1:
        raise errors.EngineValueError("weight must be one-dimensional")
    _no_grad_for("multi_margin_loss", "weight", weight)
    if input.ndim > 2:
        raise errors.EngineRuntimeError(
            f"Expected non-empty vector or matrix with optional 0-dim batch size, but got: "
            f"{list(input.shape)}")
    x = input._data if input.ndim == 2 else input._data.reshape(1, -1)
    y = target._data.reshape(-1)
    n, c = x.shape
    if y.shape[0] != n:
        raise errors.EngineRuntimeError(
            f"inconsistent target size, expected {n} but got {list(target.shape)}")
    if weight is not None and weight.numel() != c:
        raise errors.EngineRuntimeError(
            f"inconsistent weight size, expected {c} but got {list(weight.shape)}")
    if input.dtype.name not in ("float32", "float64"):  # the kernel's dtypes, then target's
        raise errors.KernelNotImplemented(errors.NOT_IMPLEMENTED_FOR.format(
            kernel="multi_margin_loss_cpu_kernel", dtype=input.dtype.scalar_name))
    if target.dtype is not int64:
        raise errors.EngineRuntimeError(
            f"expected scalar type Long but found {target.dtype.scalar_name}")
    if weight is not None and weight.dtype is not input.dtype:
        raise errors.EngineRuntimeError(
            f"expected scalar type {input.dtype.scalar_name} but found "
            f"{weight.dtype.scalar_name}")
    if y.size and (bool((y < 0).any()) or bool((y >= c).any())):
        raise errors.EngineIndexError("target out of range")
    xp = input.device.xp
    rows = xp.arange(n)
    xy = x[rows, y][:, None]
    z = margin - xy + x
    active = z > 0
    active[rows, y] = False
    w = None if weight is None else weight._data[y][:, None]
    h = xp.where(active, z, 0)  # inactive terms skipped (no inf * 0), as the kernel does
    terms = h if p == 1 else h * h
    if w is not None:
        terms = xp.where(active, terms * w, 0)
    per_sample = terms.sum(axis=1) / c
    if input.ndim == 1:
        per_sample = per_sample.reshape(())
    out = _const(_reduce_array(xp, per_sample, reduction), input)
    if needs_grad(input):
        coef = (active if p == 1 else 2 * h) / c
        if w is not None:
            coef = xp.where(active, coef * w, 0)
        coef = coef.astype(x.dtype)
        coef[rows, y] = 0 - coef.sum(axis=1)  # +0 when no term is active, as the kernel
        coef_t = _const(coef.reshape(input._data.shape), input)
        count = 1 if reduction != "mean" else n

        def grad_input(g, k):
            gg = g if reduction != "none" else (g.reshape(-1, 1) if input.ndim == 2 else g)
            with no_grad():
                res = gg * k / count
            return _no_derivative_of_backward("multi_margin_loss", res, g, input)

        record(out, "MultiMarginLossBackward0", (grad_input,), (input,), (coef_t,),
               jvp=_no_forward_ad("multi_margin_loss"), guards=(input, target, weight))
    return out


def _no_derivative_of_backward(op_name: str, res: Tensor, *inputs) -> Tensor:
    """``res``, the first-order gradient of an op whose backward torch cannot differentiate,
    as torch records it under create_graph: a ``NotImplemented`` node over the backward's
    inputs (so it requires grad when one of them does) that refuses to be differentiated."""
    if not is_grad_enabled() or not needs_grad(*inputs):
        return res

    def refuse(gg, needs, *saved):
        raise errors.EngineRuntimeError(
            f"derivative for aten::{op_name}_backward is not implemented")

    record(res, "NotImplemented", refuse, inputs, per_input=False)
    return res


@op(kind="function", grad_fns=("MultilabelMarginLossBackward0",))
def multilabel_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """Multi-label hinge loss: per sample, ``sum_j sum_{i not a target} max(0, 1 - (x[y_j] -
    x[i])) / C`` over the target classes ``y_j``, read up to the first ``-1``."""
    reduction = _reduction(size_average, reduce, reduction)
    if not input.dtype.is_floating_point or input.dtype.name in ("float16", "bfloat16"):
        raise errors.KernelNotImplemented(
            '"multilabel_margin_loss_forward_out_frame" not implemented for '
            f"'{input.dtype.scalar_name}'")
    if input.ndim > 2 or (input.ndim == 2 and input.shape[1] == 0):
        raise errors.EngineRuntimeError(
            f"Expected non-empty vector or matrix with optional 0-dim batch size, but got: "
            f"{list(input.shape)}")
    c = input.shape[-1] if input.ndim else 1
    n = input.shape[0] if input.ndim == 2 else 1
    if (target.ndim != max(input.ndim, 1) or target.numel() != n * c
            or (input.ndim == 2 and tuple(target.shape) != tuple(input.shape))):
        raise errors.EngineRuntimeError(
            f"inconsistent target size: {list(target.shape)} for input of size: "
            f"{list(input.shape)}")
    xp = input.device.xp
    x = input._data.reshape(n, c)
    y = target._data.reshape(n, c)
    if y.size and (bool((y < -1).any()) or bool((y >= c).any())):
        raise errors.EngineRuntimeError("argument #2 'target' is out of range")
    if target.dtype is not int64:  # (torch reads the values first)
        raise errors.EngineRuntimeError(
            f"expected scalar type Long but found {target.dtype.scalar_name}")
    ended = xp.cumsum(y == -1, axis=1) > 0          # from the first -1 on, nothing counts
    labels = xp.where(ended, 0, y)
    rows = xp.arange(n)[:, None]
    is_target = xp.zeros((n, c), dtype=bool)
    is_target[xp.broadcast_to(rows, (n, c))[~ended], labels[~ended]] = True
    x_target = xp.take_along_axis(x, labels, axis=1)          # x[y_j]: (n, k)
    z = 1 - x_target[:, :, None] + x[:, None, :]               # (n, k, i)
    active = (z > 0) & ~ended[:, :, None] & ~is_target[:, None, :]
    # inactive terms skipped as the kernel does (no -inf * 0 turning into NaN)
    per_sample = xp.where(active, z, 0).sum(axis=(1, 2)) / c
    if input.ndim < 2:
        per_sample = per_sample.reshape(())
    out = _const(_reduce_array(xp, per_sample.astype(x.dtype), reduction), input)
    if needs_grad(input):
        coef = active.sum(axis=1).astype(x.dtype) / c                       # + for x[i]
        minus = (active.sum(axis=2) * ~ended).astype(x.dtype) / c          # - for x[y_j]
        xp.add.at(coef, (xp.broadcast_to(rows, (n, c)), labels), -minus)
        coef_t = _const(coef.reshape(input._data.shape), input)
        count = n if reduction == "mean" else 1

        def grad_input(g, k):
            gg = g.reshape(-1, 1) if reduction == "none" and input.ndim == 2 else g
            with no_grad():
                res = gg * k / count
            return _no_derivative_of_backward("multilabel_margin_loss", res, g, input)

        record(out, "MultilabelMarginLossBackward0", (grad_input,), (input,), (coef_t,),
               jvp=_no_forward_ad("multilabel_margin_loss_forward"), guards=(input, target))
    return out


# --------------------------------------------------------------------------- CTC
_CTC_CHECK = " (while checking arguments for ctc_loss_allocate_outputs)"


def _ctc_lengths(lengths, what: str) -> list[int]:
    if isinstance(lengths, Tensor):
        if lengths.dtype.is_floating_point or lengths.dtype.name == "bool":
            raise errors.EngineRuntimeError(f"{what} must be integral")
        return [int(v) for v in lengths._data.reshape(-1).tolist()]
    if isinstance(lengths, int) and not isinstance(lengths, bool):
        return [lengths]
    if isinstance(lengths, (list, tuple)) and all(
            isinstance(v, int) and not isinstance(v, bool) for v in lengths):
        return list(lengths)
    raise errors.EngineTypeError(
        f"ctc_loss(): {what} must be a tuple of ints or a Tensor, not "
        f"{type(lengths).__name__}")


def _lse(xp, *terms):
    """``log(sum(exp(terms)))`` the way PyTorch's CTC kernel takes it: about the largest term,
    with an all ``-inf`` set giving ``-inf``."""
    m = terms[0]
    for t in terms[1:]:
        m = xp.maximum(m, t)
    m = xp.where(m == -np.inf, 0, m)
    total = exp_array(xp, terms[0] - m)
    for t in terms[1:]:
        total = total + exp_array(xp, t - m)
    return log_array(xp, total) + m


def _shifted(xp, a, k: int):
    """``a`` moved ``k`` places along its last axis (right for ``k > 0``), ``-inf`` filled."""
    out = xp.full(a.shape, -np.inf, dtype=a.dtype)
    if k > 0:
        out[:, k:] = a[:, :-k]
    else:
        out[:, :k] = a[:, -k:]
    return out


def _ctc_forward(xp, lp, ext, il, tl):
    """Log-space forward variables ``alpha[t, n, s]`` over the blank-extended targets ``ext``
    (``n, 2 S + 1``) and each sample's negative log likelihood."""
    t_max, n, _ = lp.shape
    width = ext.shape[1]
    dt = lp.dtype.type
    ninf = dt(-np.inf)
    emit = xp.take_along_axis(lp, xp.broadcast_to(ext[None], (t_max, n, width)), axis=2)
    s_idx = xp.arange(width)
    valid = s_idx[None, :] < (2 * tl + 1)[:, None]
    skip = xp.zeros((n, width), dtype=bool)
    if width > 2:
        skip[:, 2:] = ext[:, 2:] != ext[:, :-2]     # a blank between differing labels
    alpha = xp.full((t_max, n, width), ninf, dtype=lp.dtype)
    if t_max:
        alpha[0, :, 0] = emit[0, :, 0]
        if width > 1:
            alpha[0, :, 1] = xp.where(tl > 0, emit[0, :, 1], ninf)
    with np.errstate(all="ignore"):
        for t in range(1, t_max):
            prev = alpha[t - 1]
            one, two = _shifted(xp, prev, 1), _shifted(xp, prev, 2)
            two = xp.where(skip, two, ninf)
            alpha[t] = xp.where(valid, _lse(xp, prev, one, two) + emit[t], ninf)
        rows = xp.arange(n)
        last = xp.maximum(il - 1, 0)
        l1 = alpha[last, rows, 2 * tl]
        l2 = xp.where(tl > 0, alpha[last, rows, xp.maximum(2 * tl - 1, 0)], ninf)
        nll = -_lse(xp, l1, l2)
        empty = xp.where(tl == 0, dt(-0.0), dt(np.inf))
        nll = xp.where(il == 0, empty, nll).astype(lp.dtype)
    return emit, skip, valid, alpha, nll


def _ctc_grad(xp, lp, ext, il, tl, emit, skip, valid, alpha, nll, zero_infinity):
    """PyTorch's ``_ctc_loss_backward``: with the backward variables ``beta``, the gradient
    ``exp(lp) - sum_{s: ext[s] = c} exp(alpha + beta + nll - lp)`` for ``t < input_length``
    (the gradient of the loss through a ``log_softmax`` giving ``lp``, as PyTorch's is), zero
    after each input's end, and zero for infinite losses under ``zero_infinity``."""
    t_max, n, c = lp.shape
    width = ext.shape[1]
    ninf = lp.dtype.type(-np.inf)
    beta = xp.full((t_max, n, width), ninf, dtype=lp.dtype)
    s_idx = xp.arange(width)
    ends = (s_idx[None, :] == (2 * tl)[:, None]) | (
        (s_idx[None, :] == (2 * tl - 1)[:, None]) & (tl > 0)[:, None])
    skip_fwd = xp.zeros((n, width), dtype=bool)
    if width > 2:
        skip_fwd[:, :-2] = skip[:, 2:]
    with np.errstate(all="ignore"):
        for t in range(t_max - 1, -1, -1):
            start = xp.where(ends, emit[t], ninf)
            if t + 1 < t_max:
                nxt = beta[t + 1]
                one, two = _shifted(xp, nxt, -1), _shifted(xp, nxt, -2)
                two = xp.where(skip_fwd, two, ninf)
                inner = xp.where(valid, _lse(xp, nxt, one, two) + emit[t], ninf)
            else:
                inner = xp.full((n, width), ninf, lp.dtype)
            here = (t == il - 1)[:, None]
            before = (t < il - 1)[:, None]
            beta[t] = xp.where(here, start, xp.where(before, inner, ninf))
        ab = alpha + beta                                               # (t, n, s)
        # log-sum-exp of alpha * beta over the positions of each label, about each step's
        # largest term (a one-hot product: no scatter, so CuPy runs it as NumPy does)
        shift = ab.max(axis=2, keepdims=True)
        shift = xp.where(shift == ninf, 0, shift)
        onehot = (ext[:, :, None] == xp.arange(c)[None, None, :]) & valid[:, :, None]
        acc = xp.einsum("tns,nsc->tnc", exp_array(xp, ab - shift), onehot.astype(lp.dtype))
        lcab = log_array(xp, acc) + shift
        grad = exp_array(xp, lp) - exp_array(xp, lcab + nll[None, :, None] - lp)
    inside = xp.arange(t_max)[:, None] < il[None, :]
    keep = inside
    if zero_infinity:
        keep = keep & (nll != np.inf)[None, :]
    return xp.where(keep[..., None], grad, 0).astype(lp.dtype)


def _no_forward_ad(aten: str):
    """The tangent rule of an op torch has no forward-mode formula for: its refusal."""
    def refuse(tangents):
        raise errors.KernelNotImplemented(
            f"Trying to use forward AD with {aten} that does not support it because it has "
            "not been implemented yet.\nPlease file an issue to PyTorch at "
            "https://github.com/pytorch/pytorch/issues/new?template=feature-request.yml so that "
            "we can prioritize its implementation or submit a PR adding the implementation to "
            "derivatives.yaml")

    return refuse


_no_ctc_forward_ad = _no_forward_ad("_ctc_loss")


def _no_ctc_double(g, *_):
    raise errors.EngineRuntimeError(errors.NO_DERIVATIVE.format(op="_ctc_loss_backward"))


def _ctc_node(log_probs: Tensor, targets, il: list, tl: list, blank: int,
              zero_infinity: bool) -> Tensor:
    """The per-sample negative log likelihoods ``(N,)``: one ``CtcLossBackward0`` node."""
    xp = log_probs.device.xp
    if log_probs.ndim != 3:
        raise errors.EngineRuntimeError(
            f"Expected 3-dimensional tensor, but got {log_probs.ndim}-dimensional tensor for "
            f"argument #1 'log_probs'{_CTC_CHECK}")
    t_max, n, c = log_probs.shape
    if not 0 <= blank < c:
        raise errors.EngineRuntimeError("blank must be in label range")
    if len(il) != n:
        raise errors.EngineRuntimeError("input_lengths must be of size batch_size")
    if len(tl) != n:
        raise errors.EngineRuntimeError("target_lengths must be of size batch_size")
    for what, values in (("input_lengths", il), ("target_lengths", tl)):
        for v in values:
            if v < 0:
                raise errors.EngineRuntimeError(
                    f"Expected {what} to have value at least 0, but got value {v}{_CTC_CHECK}")
    for v in il:
        if v > t_max:
            raise errors.EngineRuntimeError(
                f"Expected input_lengths to have value at most {t_max}, but got value "
                f"{v}{_CTC_CHECK}")
    tdata = targets._data.astype(np.int64) if isinstance(targets, Tensor) else None
    if tdata is None:
        raise errors.EngineTypeError(
            f"ctc_loss(): argument 'targets' must be Tensor, not {type(targets).__name__}")
    s_max = max(tl, default=0)
    padded = xp.full((n, s_max), blank, dtype=np.int64)
    if tdata.ndim == 1:
        total = sum(tl)
        if tdata.shape[0] != total:
            raise errors.EngineRuntimeError(
                f"Expected tensor to have size {total} at dimension 0, but got size "
                f"{tdata.shape[0]} for argument #2 'targets'{_CTC_CHECK}")
        start = 0
        for i, k in enumerate(tl):
            padded[i, :k] = tdata[start:start + k]
            start += k
    elif tdata.ndim == 2:
        for k in tl:
            if tdata.shape[1] < k:
                raise errors.EngineRuntimeError(
                    f"Expected tensor to have size at least {k} at dimension 1, but got size "
                    f"{tdata.shape[1]} for argument #2 'targets'{_CTC_CHECK}")
        for i, k in enumerate(tl):
            padded[i, :k] = tdata[i, :k]
    else:
        raise errors.EngineRuntimeError(
            f"Expected tensor to have size at least 1 at dimension 1, but got size "
            f"{tdata.shape[1] if tdata.ndim > 1 else 0} for argument #2 'targets'{_CTC_CHECK}")
    if padded.size and (bool((padded < 0).any()) or bool((padded >= c).any())):
        bad = int(padded[(padded < 0) | (padded >= c)][0])
        raise errors.EngineIndexError(f"Target {bad} is out of bounds.")
    ext = xp.full((n, 2 * s_max + 1), blank, dtype=np.int64)
    ext[:, 1::2] = padded
    il_a = xp.asarray(il, dtype=np.int64)
    tl_a = xp.asarray(tl, dtype=np.int64)
    lp = log_probs._data
    emit, skip, valid, alpha, nll = _ctc_forward(xp, lp, ext, il_a, tl_a)
    out = _wrap(nll, log_probs.dtype, log_probs.device)
    if needs_grad(log_probs):
        def grad_log_probs(g: Tensor, lp_t: Tensor, nll_t: Tensor) -> Tensor:
            base = _ctc_grad(xp, lp_t._data, ext, il_a, tl_a, emit, skip, valid, alpha,
                             nll_t._data, zero_infinity)
            res = _wrap((base * g._data[None, :, None]).astype(lp.dtype, copy=False),
                        log_probs.dtype, log_probs.device)
            if is_grad_enabled() and needs_grad(g, lp_t):
                record(res, "NotImplemented", (_no_ctc_double,) * 2, (g, lp_t))
            return res

        record(out, "CtcLossBackward0", (grad_log_probs,), (log_probs,), (log_probs, OUTPUT),
               jvp=_no_ctc_forward_ad, guards=(targets,))
    return out


@op(kind="function", grad_fns=("CtcLossBackward0", "WhereBackward0", "DivBackward0",
                               "MeanBackward0", "SumBackward0", "SqueezeBackward1"))
def ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0, reduction="mean",
             zero_infinity=False):
    """Connectionist Temporal Classification loss of ``log_probs`` (``T, N, C`` or ``T, C``,
    log-softmax outputs) against ``targets`` (padded ``N, S`` or concatenated), per sample the
    negative log likelihood of all alignments; ``mean`` divides each by its target length
    before averaging, as PyTorch does. ``zero_infinity`` zeroes impossible alignments' infinite
    losses and their gradients."""
    reduction = _reduction(None, None, reduction)
    if not isinstance(log_probs, Tensor):
        raise errors.EngineTypeError(
            f"ctc_loss(): argument 'log_probs' must be Tensor, not {type(log_probs).__name__}")
    if log_probs.dtype.name not in ("float32", "float64"):
        raise errors.KernelNotImplemented(
            f"\"ctc_loss_{log_probs.device.type}\" not implemented for "
            f"'{log_probs.dtype.scalar_name}'")
    if isinstance(input_lengths, Tensor) != isinstance(target_lengths, Tensor):
        raise errors.EngineTypeError(
            "ctc_loss(): input_lengths and target_lengths must both be Tensors or both be "
            "tuples of ints")
    il = _ctc_lengths(input_lengths, "input_lengths")
    tl = _ctc_lengths(target_lengths, "target_lengths")
    if log_probs.numel() == 0:
        raise errors.EngineRuntimeError("log_probs tensor must not be empty")
    batched = log_probs.ndim == 3
    if not batched:
        log_probs = log_probs.unsqueeze(1)
        if isinstance(targets, Tensor):
            targets = targets.unsqueeze(0)
    res = _ctc_node(log_probs, targets, il, tl, int(blank), bool(zero_infinity))
    if zero_infinity:
        res = where(res == math.inf, _const(res.device.xp.zeros(()), res), res)
    if reduction == "mean":
        lengths = _const(res.device.xp.maximum(
            res.device.xp.asarray(tl, dtype=res.dtype.np), 1), res)
        return (res / lengths).mean()
    if reduction == "sum":
        return res.sum()
    return res if batched else res.squeeze(0)
