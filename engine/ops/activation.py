"""More ``torch.nn.functional`` activations (the common ones live in ``nn.py``): the hard and
shrinking families, ``selu``/``celu``/``mish``/``logsigmoid``, ``glu``, ``prelu``, ``rrelu``,
and the compositions torch writes with other ops (``softsign``, ``tanhshrink``, ``softmin``).

Gradient rules are engine ops, so ``create_graph=True`` differentiates them again; masks fixed
by the forward are kept as constants.
"""

from __future__ import annotations

import numbers

import numpy as np

from .. import errors
from .. import random as _random
from ..autograd import OUTPUT, needs_grad, record
from ..autograd.engine import grad_node, named_grad
from ..dtypes import bool_, float16, float64, half_number, int64, uint8
from ..modes import _grad_enabled
from ..random import current_generator
from ..tensor import Tensor, _wrap
from . import kernel_dtypes
from ._args import check_fits, norm_dim
from .creation import full_like, zeros_like
from .memory_format import as_iterated, as_row_major
from .nn import (
    _const,
    _in_float,
    _maybe_inplace,
    _quiet,
    _scaled_by_mask,
    _where_keep,
    elu_family,
    half_in_float,
    nan_in_vector_loop,
    vector_loop_part,
)
from .pointwise import exp_array, log1p_array, tanh_array, where
from .registry import op
from .vector_loops import unary_body

_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def _masked(input: Tensor, res, keep, node: str, inplace: bool = False,
            scale: float | None = None, twice: str | None = None) -> Tensor:
    """An op whose gradient is the upstream gradient (times ``scale``) where ``keep`` holds,
    +0 elsewhere, as torch selects (NaN or inf upstream included). ``twice``: the node of
    the gradient's own graph ("aten::X" where torch has no derivative of X)."""
    out = _wrap(res.astype(input.dtype.np, copy=False), input.dtype, input.device)
    if needs_grad(input):
        twice = twice or node[:node.rindex("Backward")] + "BackwardBackward0"
        record(out, node, (lambda g, x: _where_keep(g, keep, x, twice, scale),), (input,),
               (OUTPUT if inplace else input,),
               jvp=lambda ts: _where_keep(ts[0], keep, None, twice, scale))
    return out


def _vector_nan_dropped(a, keep):
    """``keep`` without the NaN elements torch's backward kernel reaches in its vectorized
    loop: hardtanh's, hardshrink's and softshrink's vector rule (``(x > lo) & (x < hi) & g``)
    gives them no gradient, the scalar rule (``x <= lo || x >= hi ? 0 : g``) of the tail passes
    it. On a contiguous input the loop takes 64 bytes at a time (8 float64, 16 float32, 32
    float16), the rest goes to the scalar loop (measured on torch 2.13; other layouts keep the
    scalar rule)."""
    vec = vector_loop_part(a, 64)
    if vec is None:
        return keep
    nan = np.isnan(a)
    return keep & ~(nan & vec) if nan.any() else keep


@op(kind="function", grad_fns=("HardtanhBackward0",))
def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    """``input`` clamped to ``[min_val, max_val]`` (gradient 1 strictly inside)."""
    if min_val > max_val:
        raise errors.EngineValueError("min_val cannot be greater than max_val")
    if input.dtype is bool_:
        raise errors.EngineRuntimeError("Bool inputs not supported for hardtanh")
    if not input.dtype.is_floating_point:  # integers clamp to the truncated bounds
        # torch reads both bounds as int64 first (NaN overflows there), refuses a negative
        # lower bound for uint8, then writes them in the input's type
        lo, hi = (int(check_fits(v, int64)) for v in (min_val, max_val))
        if input.dtype is uint8 and lo < 0:
            raise errors.EngineRuntimeError(
                "cannot do hardtanh on an unsigned type with negative limits")
        for v in (lo, hi):
            check_fits(v, input.dtype)
        return _maybe_inplace(input, inplace, lambda: _wrap(
            input.device.xp.clip(input._data, lo, hi).astype(input.dtype.np), input.dtype,
            input.device))

    def compute():
        a = input._data
        xp = input.device.xp
        lo, hi = (half_number(min_val), half_number(max_val)) if input.dtype is float16 else \
            (min_val, max_val)  # (torch's clamp writes them as half: through float)
        keep = _vector_nan_dropped(a, ~((a <= lo) | (a >= hi)))
        return _masked(input, xp.clip(a, lo, hi), keep, "HardtanhBackward0", inplace)

    return _maybe_inplace(input, inplace, compute)


@op(kind="function", grad_fns=("HardtanhBackward0",))
def hardtanh_(input, min_val=-1.0, max_val=1.0):
    """In-place ``hardtanh``."""
    return hardtanh(input, min_val, max_val, inplace=True)


@op(kind="function", grad_fns=("HardtanhBackward0",))
def relu6(input, inplace=False):
    """``min(max(input, 0), 6)``."""
    return hardtanh(input, 0.0, 6.0, inplace)


def _threshold(input: Tensor, th, value, inplace: bool) -> Tensor:
    if input.dtype is bool_:
        raise errors.KernelNotImplemented(errors.NOT_IMPLEMENTED_FOR.format(
            kernel="threshold_cpu", dtype="Bool"))
    if not input.dtype.is_floating_point:  # torch reads both numbers in the input's type
        th, value = (np.array(check_fits(v, input.dtype)).astype(input.dtype.np)[()]
                     for v in (th, value))

    def compute():
        a = input._data
        xp = input.device.xp
        if input.dtype is float16:  # (torch: compared in float, the value written as half)
            keep = ~(a.astype(np.float32) <= np.float32(half_number(th)))
            res = xp.where(keep, a, np.float16(half_number(value)))
        else:
            keep = ~(a <= th)  # NaN is kept, as torch
            res = xp.where(keep, a, value).astype(input.dtype.np)
        if not input.dtype.is_floating_point:
            return _wrap(res, input.dtype, input.device)
        return _masked(input, res, keep, "ThresholdBackward1" if inplace else
                       "ThresholdBackward0", inplace)

    return _maybe_inplace(input, inplace, compute, overlap_ok=True)


@op(kind="function", grad_fns=("ThresholdBackward0", "ThresholdBackward1"))
def threshold(input, threshold, value, inplace=False):
    """``input`` where ``input > threshold``, ``value`` elsewhere."""
    return _threshold(input, threshold, value, inplace)


@op(kind="function", grad_fns=("ThresholdBackward1",))
def threshold_(input, threshold, value):
    """In-place ``threshold``."""
    return _threshold(input, threshold, value, True)


@op(kind="function", grad_fns=("EluBackward0", "EluBackward1"))
def selu(input, inplace=False):
    """``scale * elu(input, alpha)`` with the self-normalizing constants."""
    kernel_dtypes.check("selu", input, inplace)
    return _maybe_inplace(input, inplace, lambda: elu_family(
        input, _SELU_ALPHA, _SELU_SCALE, 1.0, "EluBackward1" if inplace else "EluBackward0"))


@op(kind="function", grad_fns=("CeluBackward0", "CeluBackward1"))
def celu(input, alpha=1.0, inplace=False):
    """``max(0, x) + min(0, alpha * (exp(x / alpha) - 1))``."""
    if alpha == 0:
        raise errors.EngineRuntimeError("ZeroDivisionError: alpha cannot be 0 for CELU")
    kernel_dtypes.check("celu", input, inplace)
    return _maybe_inplace(input, inplace, lambda: elu_family(
        input, alpha, 1.0, 1.0 / alpha, "CeluBackward1" if inplace else "CeluBackward0",
        1.0 / float(np.float32(alpha))))


@op(kind="function", grad_fns=("MishBackward0",))
def mish(input, inplace=False):
    """``input * tanh(softplus(input))``."""
    kernel_dtypes.check("mish", input, inplace)

    def compute():
        a = _in_float(input._data)
        xp = input.device.xp
        with _quiet(xp):
            res = a * tanh_array(xp, xp.maximum(a, 0) + log1p_array(xp, exp_array(xp, -xp.abs(a))))
        out = _const(res, input)
        if needs_grad(input):
            @half_in_float
            def rule(g, x):  # torch's math_mish_backward: smooth at 0 under create_graph
                # as torch composes it: softplus as log1p(exp(x)) (each a half step in
                # float16), one tanh node read twice, ``1 - t * t`` a sub from a tensor of ones
                t = x.exp().log1p().tanh()
                return g * (t + x * x.sigmoid() * full_like(t, 1).sub(t * t))

            record(out, "MishBackward0", (rule,), (input,), (input,),
                   jvp=lambda ts: rule(ts[0], input))
        return out

    return _maybe_inplace(input, inplace, compute)


@op(kind="function", grad_fns=("LogSigmoidBackward0",))
def logsigmoid(input):
    """``log(sigmoid(input))``, computed stably."""
    kernel_dtypes.check("logsigmoid", input)
    a = _in_float(input._data)
    xp = input.device.xp
    with _quiet(xp):
        z = exp_array(xp, -xp.abs(a))
        lg = log1p_array(xp, z)
        if a.dtype == np.float32:
            lg = _sleef_log1p_subnormal(xp, z, lg)
        res = xp.minimum(a, 0) - lg
    out = _const(as_row_major(res), input)  # (torch's kernel: a row-major result)
    if needs_grad(input):
        record(out, "LogSigmoidBackward0", (_logsigmoid_backward,), (input,), (input,),
               jvp=lambda ts: ts[0] * (-input).sigmoid())
    return out


def _logsigmoid_backward(g, x):
    return grad_node("LogSigmoidBackwardBackward0", _logsigmoid_formula, g, x,
                     grads=_LOGSIGMOID_DOUBLE)


def _sleef_log1p_subnormal(xp, z, lg):
    """torch's float32 log1p of a subnormal ``z`` loses its last bit (rounded half to even:
    ``log1p`` of the smallest subnormal is +0, so ``logsigmoid`` of 103 is +0, not -0)."""
    tiny = (z > 0) & (z < np.float32(2.0 ** -126))
    if not tiny.any():
        return lg
    k = z.view(np.uint32)
    half = k >> np.uint32(1)
    even = (half + (k & half & np.uint32(1))) << np.uint32(1)
    return xp.where(tiny, even.view(np.float32), lg)


def _logsigmoid_formula(g, x):
    """ATen's log_sigmoid_backward: from the forward's buffer ``b = exp(-|x|)`` (kept in the
    input's dtype: a float16 one rounded to half), ``(x < 0 ? 1 - b / (1 + b) : b / (1 + b))
    * g`` (a float16 one evaluated in float32, rounded once)."""
    if _grad_enabled.get() and needs_grad(g, x):  # (recorded: create_graph through a vjp)
        return g * (-x).sigmoid()
    xp = x.device.xp
    a = _in_float(x._data)
    gd = _in_float(g._data)
    with _quiet(xp):
        b = exp_array(xp, -xp.abs(a)).astype(x.dtype.np).astype(a.dtype)
        neg = a < 0
        q = b / (1 + b)
        res = (xp.where(neg, 1, 0).astype(a.dtype) - xp.where(neg, q, -q)) * gd
    return _wrap(res.astype(g.dtype.np, copy=False), g.dtype, g.device)


def _logsigmoid_double(gg, g, x):
    z = x.sigmoid()
    return gg * g * (z - 1) * z


_LOGSIGMOID_DOUBLE = (lambda gg, g, x: _logsigmoid_backward(gg, x), _logsigmoid_double)


@op(kind="function", grad_fns=("HardsigmoidBackward0",))
def hardsigmoid(input, inplace=False):
    """``relu6(input + 3) / 6``."""
    kernel_dtypes.check("hardsigmoid", input, inplace)

    def compute():
        a = _in_float(input._data)
        xp = input.device.xp
        inside = (a > -3) & (a < 3)
        return _masked(input, xp.clip(a + 3, 0, 6) / 6, inside, "HardsigmoidBackward0",
                       inplace, float(np.float32(1.0 / 6)), "aten::hardsigmoid_backward")

    return _maybe_inplace(input, inplace, compute)


@op(kind="function", grad_fns=("HardswishBackward0",))
def hardswish(input, inplace=False):
    """``input * relu6(input + 3) / 6``."""
    kernel_dtypes.check("hardswish", input, inplace)

    def compute():
        a = _in_float(input._data)
        xp = input.device.xp
        out = _const(a * xp.clip(a + 3, 0, 6) / 6, input)
        if needs_grad(input):
            lo = _wrap(a <= -3, bool_, input.device)
            mid = _wrap((a > -3) & (a < 3), bool_, input.device)

            rule = _hardswish_backward  # torch's selects: NaN passes g, 0 below -3 is +0
            record(out, "HardswishBackward0",
                   (named_grad("HardswishBackwardBackward0", rule, _HARDSWISH_DOUBLE),),
                   (input,), (input, lo, mid), jvp=lambda ts: rule(ts[0], input, lo, mid))
        return out

    return _maybe_inplace(input, inplace, compute)


@nan_in_vector_loop
@half_in_float
def _hardswish_backward(g, x, lo, mid):
    return where(lo, 0.0, where(mid, g * (x / 3 + 0.5), g))


# torch's: the incoming gradient's edge is hardswish_backward again; the input's is
# ``gg * g / 3`` strictly inside (-3, 3), +0 elsewhere (NaN included)
_HARDSWISH_DOUBLE = (
    lambda gg, g, x, lo, mid: grad_node("HardswishBackwardBackward0", _hardswish_backward, gg, x,
                                        lo, mid, grads=_HARDSWISH_DOUBLE),
    lambda gg, g, x, lo, mid: where(mid, gg * g / 3.0, 0.0), None, None)


@op(grad_fns=("HardshrinkBackward0",))
def hardshrink(input, lambd=0.5):
    """``input`` where ``|input| > lambd``, 0 elsewhere."""
    kernel_dtypes.check("hardshrink", input)
    a = input._data
    bound = half_number(lambd) if input.dtype is float16 else lambd  # (a half: through float)
    keep = ~((a >= -bound) & (a <= bound))  # NaN is kept
    return _masked(input, input.device.xp.where(keep, a, 0), _vector_nan_dropped(a, keep),
                   "HardshrinkBackward0")


@op(kind="function", grad_fns=("SoftshrinkBackward0",))
def softshrink(input, lambd=0.5):
    """``input - lambd`` above ``lambd``, ``input + lambd`` below ``-lambd``, 0 between."""
    kernel_dtypes.check("softshrink", input)
    top = float(np.finfo(input.dtype.np).max)
    if not 0 <= lambd <= top:  # (NaN and inf included)
        raise errors.EngineRuntimeError(
            f"lambda must be in range [0, {top:g}] for input dtype "
            f"{input.dtype.scalar_name}, but found {lambd:g}")
    a = input._data
    xp = input.device.xp
    keep = ~((a >= -lambd) & (a <= lambd))
    if type(a) is np.ndarray and a.dtype.kind == "f":
        res = _softshrink_kernel(a, lambd)
    else:
        # inside, x * 0 keeps the sign (torch's scalar kernel; its vectorized one gives +0)
        res = xp.where(a > lambd, a - lambd, xp.where(a < -lambd, a + lambd, a * 0))
    return _masked(input, res, _vector_nan_dropped(a, keep), "SoftshrinkBackward0")


def _softshrink_kernel(a: np.ndarray, lambd) -> np.ndarray:
    """torch's CPU softshrink on a host array: in float for float16 (``lambd`` made a float
    once, one rounding to half), ``x - lambd`` / ``x + lambd`` outside; inside ``x * 0 + 0``
    in the whole 64-byte vectors (``vector_loops.unary_body``: +0., NaN stays) but ``x * 0``
    (the sign kept) in the scalar remainder. Measured against torch 2.13: 8-694 of 77-1,000
    values differed (half steps, and -0. where torch's vectors give +0.) -> 0."""
    x = a.astype(np.float32) if a.dtype == np.float16 else a
    lam = x.dtype.type(lambd)
    body = unary_body(a, 64 // a.itemsize)
    with np.errstate(all="ignore"):
        zero = x * 0
        zero = zero + 0 if body is None else np.where(body, zero + 0, zero)
        res = np.where(x > lam, x - lam, np.where(x < -lam, x + lam, zero))
    return res.astype(a.dtype, copy=False)


@op(kind="function", grad_fns=("DivBackward0",))
def softsign(input):
    """``input / (1 + |input|)``."""
    return input / (input.abs() + 1)


@op(kind="function", grad_fns=("SubBackward0",))
def tanhshrink(input):
    """``input - tanh(input)``."""
    return input - input.tanh()


@op(kind="function", grad_fns=("SoftmaxBackward0",))
def softmin(input, dim=None, _stacklevel=3, dtype=None):
    """``softmax(-input, dim)``."""
    from .nn import softmax

    return softmax(-input, dim, _stacklevel + 1, dtype)


@op(kind="function", grad_fns=("GluBackward0",))
def glu(input, dim=-1):
    """``a * sigmoid(b)`` where ``a`` and ``b`` are the halves of ``input`` along ``dim``."""
    if input.ndim == 0:
        raise errors.EngineRuntimeError("glu does not support scalars because halving size "
                                         "must be even")
    d = norm_dim(dim, input.ndim)
    n = input._data.shape[d]
    if n % 2:
        raise errors.EngineRuntimeError(
            f"Halving dimension must be even, but dimension {d} is size {n}")
    kernel_dtypes.check("glu", input)
    xp = input.device.xp
    half = n // 2
    lead = (slice(None),) * d
    a, b = input._data[lead + (slice(0, half),)], input._data[lead + (slice(half, n),)]
    with _quiet(xp):
        res = a / (1 + exp_array(xp, -b))
    out = _const(as_iterated(res, (a, b)), input)  # (torch's: the halves' iterator)
    if needs_grad(input):
        record(out, "GluBackward0", (lambda g, x: _glu_backward(g, x, d),), (input,), (input,))
    return out


def _glu_backward(g, x, d: int):
    """torch's glu_backward; under create_graph its node ``GluBackwardBackward0``."""
    return grad_node("GluBackwardBackward0", _glu_backward_formula, g, x, d,
                     grads=_GLU_DOUBLE)


def _glu_backward_formula(g, x, d):
    from .shape import cat

    first, second = x.chunk(2, d)
    s = second.sigmoid()
    return cat([s * g, (1 - s) * s * first * g], d)


def _glu_double_g(gg, g, x, d):
    """The incoming gradient's: ``gg`` times glu_backward of ones, both halves added."""
    tmp = gg * _glu_backward(zeros_like(g) + 1, x, d)
    first, second = tmp.chunk(2, d)
    return first + second


def _glu_double_x(gg, g, x, d):
    from .shape import cat

    a, b = x.chunk(2, d)
    gg_a, gg_b = gg.chunk(2, d)
    s = b.sigmoid()
    one_minus = 1 - s
    s_dash = s * one_minus
    second_order = s_dash * one_minus - s * s_dash
    grad_a = gg_b * g * s_dash
    grad_b = gg_b * a * g * second_order + gg_a * g * s_dash
    return cat([grad_a, grad_b], d)


_GLU_DOUBLE = (_glu_double_g, _glu_double_x, None)


def _prelu_weight_view(weight: Tensor, input: Tensor) -> Tensor:
    if weight._data.size == 1 or input.ndim < 2:
        return weight.reshape(()) if weight.ndim else weight
    shape = [1] * input.ndim
    shape[1] = weight._data.size
    return weight.reshape(shape)


def _prelu_grad_input(g: Tensor, x, wv: Tensor, m: Tensor, x_values: Tensor) -> Tensor:
    """``x > 0 ? g : w * g``; under create_graph a PreluKernelBackwardBackward0 node with
    torch's formulas (``x >= 0`` selects there)."""
    from ..modes import is_grad_enabled, no_grad

    with no_grad():
        out = where(m != 0, g, wv * g)
    if is_grad_enabled() and needs_grad(g, x, wv):
        keep = x_values >= 0
        record(out, "PreluKernelBackwardBackward0",
               (lambda gg: where(keep, gg, gg * wv), lambda gg: zeros_like(gg),
                lambda gg: where(keep, 0.0, g * gg)), (g, x, wv))
    return out


def _prelu_grad_weight(g: Tensor, x: Tensor, wt, m: Tensor) -> Tensor:
    """``x > 0 ? 0 : x * g`` (before the sum over the non-channel dims), as
    ``_prelu_grad_input``."""
    from ..modes import is_grad_enabled, no_grad

    with no_grad():
        out = where(m != 0, 0.0, x * g)
    if is_grad_enabled() and needs_grad(g, x, wt):
        keep = x >= 0
        record(out, "PreluKernelBackwardBackward0",
               (lambda gg: where(keep, 0.0, gg * x), lambda gg: where(keep, 0.0, g * gg),
                lambda gg: zeros_like(wt)), (g, x, wt))
    return out


@op(grad_fns=("PreluKernelBackward0",))
def prelu(input, weight):
    """``input`` where positive, ``weight * input`` elsewhere (``weight`` per channel, dim 1,
    or one shared value)."""
    if not isinstance(weight, Tensor):
        raise errors.EngineTypeError(
            f"prelu(): argument 'weight' (position 2) must be Tensor, not "
            f"{type(weight).__name__}")
    if input.dtype is not weight.dtype:
        raise errors.EngineRuntimeError(
            f"prelu: Type promoting not supported. Got {input.dtype.scalar_name} and "
            f"{weight.dtype.scalar_name}")
    c = 1 if input.ndim < 2 else input._data.shape[1]
    if weight._data.size != 1:
        if input.ndim == 0:
            raise errors.EngineRuntimeError("Not allow zero-dim input tensor.")
        if weight._data.size != c:
            raise errors.EngineRuntimeError(
                f"Mismatch of parameter numbers and input channel size. Found parameter "
                f"numbers = {weight._data.size} and channel size = {c}.")
    if weight.ndim > 1:
        raise errors.EngineRuntimeError(f"prelu: Expected `weight` to be a scalar or 1D "
                                         f"tensor, but got: ndim = {weight.ndim}")
    kernel_dtypes.check("prelu", input)
    a = input._data
    xp = input.device.xp
    if weight._data.size == 1 or input.ndim < 2:
        w = weight._data.reshape(())
    else:
        shape = [1] * input.ndim
        shape[1] = c
        w = weight._data.reshape(shape)
    pos = a > 0
    out = _const(xp.where(pos, a, w * a), input)
    if needs_grad(input, weight):
        m = _const(pos, input)

        def rule(g, needs, x, wt, m):
            # The kernel selects (``x > 0 ? g : w * g``), so signed zeros are torch's. Torch
            # computes both gradients in one PreluKernelBackwardBackward0 node with edges to
            # (grad, input, weight); here two nodes of that name, each holding the edge whose
            # gradient it defines (the other only when the other node is not built).
            wv = _prelu_weight_view(wt, x)
            gx = None
            if needs[0]:
                x_edge = None if needs[1] else x
                gx = _prelu_grad_input(g, x_edge, wv, m, x)
            gw = None
            if needs[1]:
                w_edge = None if needs[0] else wt
                full = _prelu_grad_weight(g, x, w_edge, m)
                if x.ndim == 1 and wt.ndim == 1:  # torch: one sum keeping the dim
                    gw = full.sum(0, keepdim=True)
                elif wt._data.size == 1 or x.ndim < 2:
                    gw = full.sum().reshape(wt.shape)
                else:
                    axes = tuple(i for i in range(x.ndim) if i != 1)
                    gw = full.sum(axes).reshape(wt.shape)
            return gx, gw

        record(out, "PreluKernelBackward0", rule, (input, weight), (input, weight, m),
               per_input=False)
    return out


@op(kind="function", grad_fns=("RreluWithNoiseBackward0", "RreluWithNoiseBackward1"))
def rrelu(input, lower=1.0 / 8, upper=1.0 / 3, training=False, inplace=False):
    """Leaky ReLU whose negative slope is drawn from U(lower, upper) per element while
    training, and is ``(lower + upper) / 2`` otherwise."""
    return _rrelu(input, lower, upper, training, inplace, None)


def _rrelu(input, lower, upper, training, inplace, generator):
    if lower > upper:
        raise errors.EngineRuntimeError(
            "Lower bound should be less than or equal to the upper bound")
    kernel_dtypes.check("rrelu", input, inplace,
                        kernel_dtypes.RRELU_TRAINING if training else None)

    def compute():
        a = input._data
        xp = input.device.xp
        pos = a > 0
        if training:  # torch's: a uniform(lower, upper) in double for each x <= 0, in order
            gen = current_generator(input.device, generator)
            drawn = a <= 0
            lo, hi = float(lower), float(upper)
            if a.dtype != np.float64:  # torch's bounds are opmath (float) before the double draw
                lo, hi = float(np.float32(lo)), float(np.float32(hi))
            with input.device.scope():
                if gen.device.type == "cpu":  # (torch's loop: u * (to - from) + from unfused)
                    r = _random._unit(gen, int(drawn.sum()), "float64") * (hi - lo) + lo
                else:
                    r = _random.uniform(gen, (int(drawn.sum()),), float64, lo, hi)
            slope = xp.ones(a.shape, dtype=np.float64)
            slope[drawn] = r
            if a.dtype != np.float64:
                slope = slope.astype(np.float32)
        else:
            slope = xp.where(pos, 1.0, (lower + upper) / 2)
        return _scaled_by_mask(input, as_row_major(a * slope), slope,  # (torch's layout)
                               "RreluWithNoiseBackward1" if inplace else
                               "RreluWithNoiseBackward0")

    return _maybe_inplace(input, inplace, compute)


def _number_arg(name: str, input, arg: str, position: int | None, value, kind=numbers.Number):
    """torch's argument-parser texts for the in-place activations' arguments."""
    if arg == "input":
        if not isinstance(input, Tensor):
            raise errors.EngineTypeError(f"{name}(): argument 'input' (position 1) must be "
                                         f"Tensor, not {type(input).__name__}")
        return input
    if isinstance(value, Tensor) and value._data.ndim == 0 and kind is numbers.Number:
        return value.item()  # a Scalar argument
    if kind is bool:
        ok = isinstance(value, (bool, np.bool_))
    else:
        ok = isinstance(value, numbers.Number) and not isinstance(value, Tensor)
    if not ok:
        where = f" (position {position})" if position is not None else ""
        what = "bool" if kind is bool else "Number"
        raise errors.EngineTypeError(f"{name}(): argument '{arg}'{where} must be {what}, not "
                                     f"{type(value).__name__}")
    return value


@op(kind="function", grad_fns=("CeluBackward1",))
def celu_(input, alpha=1.0):
    """In-place ``celu`` (``torch.celu_``, ``torch.nn.functional.celu_``)."""
    _number_arg("celu_", input, "input", 1, None)
    alpha = _number_arg("celu_", input, "alpha", 2, alpha)
    return celu(input, alpha, inplace=True)


@op(kind="function", grad_fns=("EluBackward1",))
def selu_(input):
    """In-place ``selu`` (``torch.selu_``, ``torch.nn.functional.selu_``)."""
    _number_arg("selu_", input, "input", 1, None)
    return selu(input, inplace=True)


@op(kind="function", grad_fns=("RreluWithNoiseBackward1",))
def rrelu_(input, lower=1.0 / 8, upper=1.0 / 3, training=False, generator=None):
    """In-place ``rrelu`` (``torch.rrelu_``, ``torch.nn.functional.rrelu_``); while training
    the slopes come from ``generator`` (the current generator by default)."""
    from ..random import Generator

    _number_arg("rrelu_", input, "input", 1, None)
    lower = _number_arg("rrelu_", input, "lower", 2, lower)
    upper = _number_arg("rrelu_", input, "upper", 3, upper)
    _number_arg("rrelu_", input, "training", None, training, bool)
    if generator is not None and not isinstance(generator, Generator):
        raise errors.EngineTypeError("rrelu_(): argument 'generator' (position 5) must be "
                                     f"torch.Generator, not {type(generator).__name__}")
    return _rrelu(input, lower, upper, bool(training), True, generator)


__all__ = ["hardtanh", "hardtanh_", "relu6", "threshold", "threshold_", "selu", "celu", "mish",
           "logsigmoid", "hardsigmoid", "hardswish", "hardshrink", "softshrink", "softsign",
           "tanhshrink", "softmin", "glu", "prelu", "rrelu", "celu_", "selu_", "rrelu_"]
