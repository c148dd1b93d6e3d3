"""``torch.nn.functional``: activations, softmax, linear, dropout, normalization, embedding and
losses, with PyTorch's signatures, defaults, node names and error texts.

The ops a training step lives on (``linear``, ``relu``, ``cross_entropy``) are one fused node
each. Every gradient rule is written with engine ops, so ``create_graph=True`` differentiates it
again; where a rule needs the op's own intermediate values (a mask, softmax probabilities) it
keeps them as constants and, under ``create_graph``, recomputes the parts that depend on the
inputs with engine ops.
"""

from __future__ import annotations

import math
import numbers
import struct
import warnings
from array import array

import numpy as np

from .. import errors
from .. import random as _random
from .._cpu import float32_lanes, onednn_fp16, sleef_fma
from .._fperr import Quiet
from .._parallel import is_numpy
from ..autograd import OUTPUT, needs_grad, record
from ..autograd.engine import grad_node, named_grad
from ..autograd.graph import FW_ACTIVE, Node
from ..dtypes import as_dtype, bool_, float64, int32, int64
from ..modes import _grad_enabled, check_numel, set_grad_enabled
from ..random import current_generator
from ..tensor import Size, Tensor, _wrap
from . import batch_stats, cascade, kernel_dtypes, sleef
from ._args import broadcast_pair, check_same_device, ensure_tensor, norm_dim, promote_args
from ._fma import fma
from .creation import full_like, zeros_like
from .families import apply_inplace, check_inplace
from .linalg import _Layout, plain_mm
from .memory_format import draws_like
from .pointwise import (
    _AS_COEFFS,
    _AS_P,
    erf_as_float32,
    exp_array,
    exp_kernel32,
    expm1_array,
    host_elementwise,
    libc_log1p_array,
    libc_log_array,
    log1p_array,
    log_array,
    mul_scalar,
    on_cpu,
    sqrt_array,
    tanh_array,
    where,
)
from .registry import op
from .vector_loops import body_mask

_SQRT2 = math.sqrt(2.0)
_SQRT1_2 = math.sqrt(0.5)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


def _const(arr, like: Tensor) -> Tensor:
    """An array computed by the forward, as a tensor of ``like``'s dtype (no history)."""
    return _wrap(arr.astype(like.dtype.np, copy=False), like.dtype, like.device)


def _in_float(a):
    """``a`` as the array an ATen CPU pointwise kernel computes on: a float16 one in float32
    (its kernels convert each half vector to float, evaluate the whole formula there and round
    to half once); others as they are."""
    return a.astype(np.float32) if a.dtype == np.float16 else a


def half_in_float(rule):
    """``rule(g, *saved)`` (a first-order gradient formula of engine ops) as ATen's dedicated
    backward kernels compute it for float16: the tensors in float32, the result rounded to half
    once. Only where no graph is being recorded through it (inside ``grad_node``, or a plain
    backward): under ``create_graph`` a composed rule keeps its own nodes."""

    def run(g, *saved):
        if type(g) is Tensor and g.dtype.name == "float16" and not FW_ACTIVE[0] and \
                not needs_grad(g, *saved):
            up = [s.float() if type(s) is Tensor and s.dtype.name == "float16" else s
                  for s in saved]
            return rule(g.float(), *up).half()
        return rule(g, *saved)

    run.__name__ = run.__qualname__ = getattr(rule, "__name__", "rule")
    return run


def vector_loop_part(a, block_bytes: int):
    """The elements of a contiguous array that torch's vectorized CPU loop reaches (whole
    blocks of ``block_bytes`` from the start; the rest is its scalar tail), or None for an
    array it would not vectorize this way (another layout, empty, not NumPy)."""
    if type(a) is not np.ndarray or not a.flags.c_contiguous or not a.size:
        return None
    block = block_bytes // a.itemsize
    return np.arange(a.size).reshape(a.shape) < (a.size // block) * block


def _memory_order_part(a, block_bytes: int):
    """``vector_loop_part`` for a dense array in any memory order (a transposed one: torch's
    iterator walks it in memory order), or None."""
    if type(a) is not np.ndarray or not a.size:
        return None
    if a.flags.c_contiguous:
        return vector_loop_part(a, block_bytes)
    dims = sorted((st, n) for st, n in zip(a.strides, a.shape, strict=True) if n > 1)
    step = a.itemsize
    for st, n in dims:
        if st != step:
            return None
        step *= n
    flat = np.arange(a.size, dtype=np.int64)
    offsets = np.lib.stride_tricks.as_strided(
        flat, a.shape, tuple(st // a.itemsize * 8 if n > 1 else 0
                             for st, n in zip(a.strides, a.shape, strict=True)))
    block = block_bytes // a.itemsize
    return offsets < (a.size // block) * block


def _iterated_together(g, a) -> bool:
    """Whether torch's iterator can walk the incoming gradient with the saved input in one
    vectorized loop: the same layout, or a gradient expanded from one number."""
    gd = getattr(g, "_data", None)
    if type(gd) is not np.ndarray or gd.shape != a.shape:
        return False
    if all(st == 0 for st, n in zip(gd.strides, gd.shape, strict=True) if n > 1):
        return True
    return gd.itemsize == a.itemsize and all(
        s1 == s2 for s1, s2, n in zip(gd.strides, a.strides, a.shape, strict=True) if n > 1)


def nan_in_vector_loop(rule):
    """``rule(g, x, *rest)``, a backward formula whose torch kernel (elu's, hardswish's) lays
    its result out as its iterator over ``(g, x)`` does, and gives NaN at a NaN ``x`` in its
    vectorized loop (its selects are blends of both branches), its scalar rule's value in the
    tail. The loop takes two vectors (128 bytes) a step: 16 float64, 32 float32, 64 float16
    (measured on torch 2.13, AVX512 host), over ``g`` and ``x`` of one dense layout."""

    def run(g, x, *rest):
        out = rule(g, x, *rest)
        a = x._data if type(x) is Tensor else None
        if a is not None and a.dtype.kind == "f" and type(out) is Tensor and \
                type(out._data) is np.ndarray and out._data.shape == a.shape:
            from .memory_format import as_iterated

            # the kernel's result is laid out by its iterator over (gradient, input)
            out._data = as_iterated(out._data, [g, x])
            nan = np.isnan(a)
            if nan.any() and _iterated_together(g, a):
                vec = _memory_order_part(a, 128)
                if vec is not None and (nan & vec).any():
                    data = out._data.copy()
                    data[nan & vec] = np.nan
                    out._data = data
        return out

    run.__name__ = run.__qualname__ = getattr(rule, "__name__", "rule")
    return run


def _quiet(xp):
    return Quiet() if is_numpy(xp) else _NoOp()


class _NoOp:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def _same_device(input: Tensor, *others) -> None:
    for t in others:
        if type(t) is Tensor:
            check_same_device(input, t)


def _maybe_inplace(input: Tensor, inplace: bool, compute, overlap_ok: bool = False):
    """``overlap_ok``: torch writes this elementwise op through an expanded ``input``
    (threshold_ does; relu_, elu_ and the rest refuse)."""
    if not inplace:
        return compute()
    check_inplace(input)
    return apply_inplace(input, compute(), overlap_ok=overlap_ok)


def _where_keep(g: Tensor, keep, x: Tensor | None = None,
                node: str = "ThresholdBackwardBackward0", scale: float | None = None) -> Tensor:
    """``g`` (times ``scale``) where the boolean array ``keep`` holds, +0 elsewhere (whatever
    ``g`` holds there, NaN and inf too): torch's select in its threshold-like backwards. It is
    its own adjoint; ``x``, the forward's saved tensor, is the node's other input (its
    gradient is zeros, as torch's ``XBackwardBackward0``)."""
    xp = g.device.xp
    gd = g._data if scale is None else g._data * scale
    if type(gd) is np.ndarray and type(keep) is np.ndarray and keep.dtype == np.bool_ and \
            gd.dtype.kind == "f" and gd.dtype.itemsize in (2, 4, 8):
        res = _keep_bits(keep, gd).astype(g.dtype.np, copy=False)
    else:
        res = xp.where(keep, gd, g.dtype.np.type(0)).astype(g.dtype.np, copy=False)
    out = _wrap(res, g.dtype, g.device)
    if node.startswith("aten::"):  # torch has no derivative of this backward
        if x is not None and x.requires_grad and _grad_enabled.get():
            record(out, "NotImplemented", (_no_derivative(node[6:]),), (x,))
    elif needs_grad(g, x):
        record(out, node, (lambda gg: _where_keep(gg, keep, x, node, scale),
                           lambda gg: zeros_like(gg)), (g, x))
    return out


def _keep_bits(keep: np.ndarray, a: np.ndarray) -> np.ndarray:
    """``numpy.where(keep, a, +0.0)`` for a float array, bit for bit, as an AND of ``a``'s bits
    with a mask of all ones or all zeros: NumPy's ``where`` branches per element, and on a
    mask like ReLU's (half true, at random) it measured 10x slower (66 vs 7 us on 64x256)."""
    u = np.dtype(f"u{a.dtype.itemsize}")
    mask = keep.astype(u)
    np.negative(mask, out=mask)  # 1 -> all ones
    if mask.shape == a.shape:
        np.bitwise_and(a.view(u), mask, out=mask)
    else:  # (broadcasting)
        mask = np.bitwise_and(a.view(u), mask)
    return mask.view(a.dtype)


def _no_derivative(name: str):
    def rule(g):
        raise errors.EngineRuntimeError(errors.NO_DERIVATIVE.format(op=name))

    return rule


# --------------------------------------------------------------------------- activations
def _relu(input: Tensor) -> Tensor:
    if input.dtype is bool_:
        raise errors.EngineRuntimeError("Boolean inputs not supported for relu")
    xp = input.device.xp
    # torch's clamp_min(x, 0): x on a tie (-0 stays -0), NaN stays NaN; NumPy's maximum
    # keeps -0 too, except in float16, where it returns the other operand
    a = input._data
    res = xp.maximum(input.dtype.np.type(0), a)
    if a.dtype == np.float16:
        res = xp.where(res == a, a, res)
    out = _wrap(res, input.dtype, input.device)
    if needs_grad(input):
        record(out, "ReluBackward0", (lambda g, y: _where_keep(g, ~(y._data <= 0), y),),
               (input,), (OUTPUT,), jvp=lambda ts: _where_keep(ts[0], ~(out._data <= 0)))
    return out


@op(grad_fns=("ReluBackward0",))
def relu(input, inplace=False):
    """Rectified linear unit ``max(input, 0)`` (gradient 0 at 0)."""
    return _maybe_inplace(input, inplace, lambda: _relu(input))


@op(grad_fns=("ReluBackward0",))
def relu_(input):
    """In-place ``relu``."""
    return relu(input, inplace=True)


def _relu_backward(g: Tensor, y: Tensor) -> Tensor:
    return _where_keep(g, y._data > 0)


def _scaled_by_mask(input: Tensor, out_arr, factor_arr, node: str,
                    inplace: bool | None = None) -> Tensor:
    """An op whose gradient is ``g * factor`` with ``factor`` fixed by the forward. Its
    gradient formula is torch's ``<Op>BackwardBackward0`` node under create_graph: of the
    incoming gradient and of the input (the result for in-place ``...Backward1`` nodes)."""
    out = _wrap(out_arr.astype(input.dtype.np, copy=False), input.dtype, input.device)
    if needs_grad(input):
        factor = _const(factor_arr, input)
        name = _DOUBLE_BACKWARD.get(node) or node[:-1] + "Backward0"
        if name == "NotImplemented":
            rule = _not_implemented(node)
        else:
            def rule(g, f, x):  # (the factor is no argument of torch's node: no edge)
                return grad_node(name, lambda g, x: _times_factor(g, f, x), g, x)

        if inplace is None:
            inplace = node.endswith("Backward1")
        record(out, node, (rule,), (input,), (factor, OUTPUT if inplace else input),
               jvp=lambda ts: ts[0] * factor)
    return out


# torch's double-backward nodes that are not named after the first-order node
_DOUBLE_BACKWARD = {"HardsigmoidBackward0": "NotImplemented"}


def _times_factor(g: Tensor, f: Tensor, x: Tensor) -> Tensor:
    """``g * f``, with +0 where ``f`` is 0 (torch's backward kernels select there)."""
    zero = f._data == 0
    return _where_keep(g * f, ~zero) if zero.any() else g * f


def _not_implemented(node: str):
    """The first-order gradient of an op whose derivative torch does not implement: a
    ``NotImplemented`` node under create_graph, which refuses to be differentiated."""
    op_name = node[:node.rfind("Backward")].lower()

    def refuse(gg, needs, *saved):
        raise errors.EngineRuntimeError(
            f"derivative for aten::{op_name}_backward is not implemented")

    def rule(g, f, x):
        if FW_ACTIVE[0] or not _grad_enabled.get() or not needs_grad(g, x):
            return _times_factor(g, f, x)
        res = _times_factor(g.detach(), f, x)
        res = _wrap(res._data, res.dtype, res.device)
        record(res, "NotImplemented", refuse, (g, x), per_input=False)
        return res

    return rule


@op(kind="function", grad_fns=("LeakyReluBackward0", "LeakyReluBackward1"))
def leaky_relu(input, negative_slope=0.01, inplace=False):
    """``input`` where positive, ``negative_slope * input`` elsewhere."""
    kernel_dtypes.check("leaky_relu", input, inplace)

    def compute():
        a = input._data
        pos = a > 0
        xp = input.device.xp
        # torch's kernel: a float16 input times the slope in float32, rounded once
        neg = (_in_float(a) * np.float32(negative_slope)).astype(a.dtype) \
            if a.dtype == np.float16 else a * negative_slope
        return _scaled_by_mask(input, xp.where(pos, a, neg),
                               xp.where(pos, 1.0, negative_slope),
                               "LeakyReluBackward1" if inplace else "LeakyReluBackward0")

    return _maybe_inplace(input, inplace, compute)


def _inplace_args(name: str, input, number_arg: str, value) -> None:
    """torch's argument checks of ``F.leaky_relu_``/``F.elu_``."""
    if not isinstance(input, Tensor):
        raise errors.EngineTypeError(f"{name}(): argument 'input' (position 1) must be Tensor, "
                                     f"not {type(input).__name__}")
    if isinstance(value, Tensor) or not isinstance(value, numbers.Number):
        raise errors.EngineTypeError(f"{name}(): argument '{number_arg}' (position 2) must be "
                                     f"Number, not {type(value).__name__}")


@op(kind="function", grad_fns=("LeakyReluBackward1",))
def leaky_relu_(input, negative_slope=0.01):
    """In-place ``leaky_relu`` (``torch.nn.functional.leaky_relu_``)."""
    _inplace_args("leaky_relu_", input, "negative_slope", negative_slope)
    return leaky_relu(input, negative_slope, inplace=True)


@op(kind="function", grad_fns=("EluBackward1",))
def elu_(input, alpha=1.0, scale=1.0, input_scale=1.0):
    """In-place ``elu`` (``torch.nn.functional.elu_``; aten's ``scale * elu(x * input_scale,
    alpha)``, its scales by position too)."""
    if isinstance(alpha, Tensor) and alpha._data.ndim == 0:  # a Scalar argument
        alpha = alpha.item()
    _inplace_args("elu_", input, "alpha", alpha)
    if scale == 1 and input_scale == 1 and type(scale) is not bool and \
            type(input_scale) is not bool:
        return elu(input, alpha, inplace=True)
    for name, v in (("scale", scale), ("input_scale", input_scale)):
        _inplace_args("elu_", input, name, v)
    kernel_dtypes.check("elu", input, True)
    return _maybe_inplace(input, True, lambda: elu_family(
        input, alpha, float(scale), float(input_scale), "EluBackward1"))


def _erf(xp, a):
    """Error function in float64 to ~1e-15: a positive-term series below 2.5, the continued
    fraction of erfc above."""
    x = a.astype(np.float64)
    ax = xp.abs(x)
    small = ax < 2.5
    xs = xp.where(small, ax, 0.0)
    z = 2.0 * xs * xs
    term = xp.ones_like(xs)
    total = xp.ones_like(xs)
    for n in range(1, 64):
        term = term * z / (2 * n + 1)
        total += term
    series = (2.0 / math.sqrt(math.pi)) * xs * xp.exp(-xs * xs) * total
    xl = xp.where(small, 2.5, ax)
    t = xl.copy()
    for k in range(60, 0, -1):
        t = xl + (k / 2.0) / t
    tail = 1.0 - xp.exp(-xl * xl) / (math.sqrt(math.pi) * t)
    with _quiet(xp):
        return xp.sign(x) * xp.where(small, series, tail)


def _normal_pdf(x: Tensor) -> Tensor:
    return (x * x * -0.5).exp() * _INV_SQRT_2PI


def _normal_cdf(x: Tensor) -> Tensor:
    """Φ(x), the standard normal CDF, as a differentiable engine op."""
    xp = x.device.xp
    out = _const(0.5 * (1.0 + _erf(xp, x._data / _SQRT2)), x)
    if needs_grad(x):
        record(out, "ErfBackward0", (lambda g, a: g * _normal_pdf(a),), (x,), (x,))
    return out


_TANH_K = math.sqrt(2.0 / math.pi)
_TANH_A = 0.044715


@half_in_float
def _gelu_tanh_grad(g, x):
    t = ((x + x * x * x * _TANH_A) * _TANH_K).tanh()
    return g * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * _TANH_K * (1 + 3 * _TANH_A * x * x))


@op(kind="function", grad_fns=("GeluBackward0",))
def gelu(input, approximate="none"):
    """Gaussian error linear unit ``x * Φ(x)``; ``approximate='tanh'`` uses the tanh form."""
    if approximate not in ("none", "tanh"):
        raise errors.EngineRuntimeError("approximate argument must be either none or tanh.")
    kernel_dtypes.check("gelu", input)
    xp = input.device.xp
    a = _in_float(input._data)
    if approximate == "tanh":
        # torch's order: x^3, the inner sum, (0.5 x) (1 + tanh); float16's tanh (float32 in
        # torch, SLEEF's) as float64 rounded to float32: 259 -> 25 of 63,491 values differ
        inner = _TANH_K * (a + _TANH_A * (a * a * a))
        th = tanh_array(xp, inner)  # (float32: 2,014 -> 123 of 20,000 values off torch)
        res = (0.5 * a) * (1 + th)
        rule = _gelu_tanh_grad
    else:
        if _onednn_activation(input._data) and a.size > 1 and input._data.flags.c_contiguous:
            # a contiguous float32/float16 input of more than one element goes to oneDNN's
            # gelu_erf (AVX-512: a piecewise minimax polynomial for erf, x (1 + erf) 0.5 in
            # float32; NaN at +inf). Its polynomial is not reproduced: erf here is the
            # float64 one rounded to float32, in oneDNN's order (float16 577 -> 378 values)
            e = _erf(xp, a.astype(np.float64) * _SQRT1_2).astype(a.dtype)
            res = (a * (1 + e)) * 0.5
            res = xp.where(xp.isposinf(a), xp.nan, res)
        else:
            # ATen's kernel: x * 0.5 * (1 + erf(x * kAlpha)), kAlpha in the input's type;
            # its vectorized loop (a dense input in any dim order, float32/float16) takes
            # ATen's float32 erf, its scalar loop (gaps in the input) the C library's
            z = a * (a.dtype.type(_SQRT1_2) if xp is np else _SQRT1_2)
            if a.dtype == np.float32 and xp is np and _dense_any_order(input._data):
                e = erf_as_float32(z)
            else:
                e = _erf(xp, z).astype(a.dtype)
            res = (a * 0.5) * (1 + e)
        rule = _gelu_grad
    from .memory_format import as_iterated

    out = _const(as_iterated(res, (input,)), input)  # (torch's layout: the iterator's)
    if needs_grad(input):
        backward = _gelu_backward_tanh if approximate == "tanh" else _gelu_backward
        record(out, "GeluBackward0", (backward,), (input,), (input,),
               jvp=lambda ts: rule(ts[0], input))
    return out


def _onednn_activation(d) -> bool:
    """Whether torch's ``use_mkldnn`` takes an activation of this array to oneDNN: float32,
    and float16 where oneDNN has float16 kernels on this CPU."""
    return d.dtype == np.float32 or (d.dtype == np.float16 and onednn_fp16())


def _gelu_grad(g, x):
    d = x._data
    if (type(d) is np.ndarray and _onednn_activation(d) and d.size > 1 and
            d.flags.c_contiguous and not needs_grad(g, x)):
        # torch's gelu_backward of such an input is oneDNN's too (use_mkldnn(self))
        with Quiet():
            res = g._data.astype(np.float32) * _onednn_gelu_derivative(d.astype(np.float32))
        return _const(res, x)
    return _gelu_grad_composed(g, x)


@half_in_float
def _gelu_grad_composed(g, x):
    return g * (_normal_cdf(x) + x * _normal_pdf(x))


_F32 = np.float32
_LOG2E, _LN2 = _F32(math.log2(math.e)), _F32(math.log(2.0))
_EXP_LO, _EXP_HI = _F32(-87.336544), _F32(88.72284)  # log(FLT_MIN), log(FLT_MAX) in float32
# the degree-5 minimax polynomial of exp on [-ln2/2, ln2/2] that oneDNN's (and ATen's
# exp_u20) Cody-Waite exp evaluates; checked by experiment (the gelu gradient below)
_EXP_POLY = tuple(_F32(c) for c in (0.00828929059, 0.0418978221, 0.166676521, 0.499991506,
                                    0.999999701, 1.0))


def _onednn_exp(x):
    """oneDNN's float32 exp: n = floor(x log2(e) + 1/2), the polynomial of r = x - n ln2 by
    fused Horner steps, times 2^(n-1) times 2; 0 below log(FLT_MIN)."""
    under = x < _EXP_LO
    x = np.maximum(np.minimum(x, _EXP_HI), _EXP_LO)
    n = np.floor(x * _LOG2E + _F32(0.5))
    r = fma(-n, np.full_like(x, _LN2), x)
    p = np.full_like(x, _EXP_POLY[0])
    for c in _EXP_POLY[1:]:
        p = fma(p, r, np.full_like(x, c))
    scale = ((n - 1).astype(np.int32) + 127 << 23).view(np.float32)
    return (p * np.where(under, _F32(0), scale)) * _F32(2)


def _onednn_gelu_derivative(s):
    """gelu'(s) as oneDNN's gelu_erf backward computes it in float32: with R = s / sqrt(2),
    ``0.5 + R / sqrt(pi) exp(-R^2) + 0.5 erf(R)``, erf the Abramowitz-Stegun form sharing that
    exp, the last step fused. (Every float16 value but one agrees with torch's gradient.)"""
    one = np.ones_like(s)
    R = s * _F32(_SQRT1_2)
    q = _onednn_exp(-(R * R))
    t = (R * _F32(1.0 / math.sqrt(math.pi))) * q
    w = _F32(1) / fma(np.full_like(s, _AS_P), np.abs(R), one)
    r = np.full_like(s, _AS_COEFFS[0])
    for c in _AS_COEFFS[1:]:
        r = fma(r, w, np.full_like(s, c))
    e = np.copysign(fma(-(q * w), r, one), R)
    return fma(e, np.full_like(s, _F32(0.5)), t + _F32(0.5))


def _gelu_backward(g, x):
    return grad_node("GeluBackwardBackward0", _gelu_grad, g, x, grads=_GELU_DOUBLE)


def _gelu_backward_tanh(g, x):
    return grad_node("GeluBackwardBackward0", _gelu_tanh_grad, g, x, grads=_GELU_TANH_DOUBLE)


def _gelu_second(x):
    pdf = _normal_pdf(x)
    return 2 * pdf - x * x * pdf


def _gelu_tanh_second(x):
    t = ((x + x * x * x * _TANH_A) * _TANH_K).tanh()
    sech2 = 1 - t * t
    h = (1 + 3 * _TANH_A * x * x) * _TANH_K
    return sech2 * h + 0.5 * x * (sech2 * (-2 * t * h * h) + sech2 * (6 * _TANH_A * _TANH_K) * x)


# torch's gelu double backward: the incoming gradient's edge is gelu_backward again, the
# input's is ``gg * g * gelu''(x)`` (one product: the sign of a zero is the product's)
_GELU_DOUBLE = (lambda gg, g, x: _gelu_backward(gg, x), lambda gg, g, x: gg * g * _gelu_second(x))
_GELU_TANH_DOUBLE = (lambda gg, g, x: _gelu_backward_tanh(gg, x),
                     lambda gg, g, x: gg * g * _gelu_tanh_second(x))


@half_in_float
def _silu_grad(g, x):
    s = x.sigmoid()
    return g * s * (1 + x * (1 - s))


@op(kind="function", grad_fns=("SiluBackward0",))
def silu(input, inplace=False):
    """Sigmoid linear unit ``input * sigmoid(input)``."""
    kernel_dtypes.check("silu", input, inplace)

    def compute():
        a = _in_float(input._data)
        xp = input.device.xp
        if a.dtype == np.float32 and on_cpu(xp) and sleef_fma():
            # torch's kernel: x / (1 + exp(-x)), SLEEF's exp in whole vectors (of 20,000
            # values in [-12, 12], 851 differed with the correctly rounded exp; now none)
            one = np.float32(1)
            res = host_elementwise(lambda v: exp_kernel32(
                v, lambda x, exp: x / (one + exp(np.negative(x)))), a)
        else:
            with _quiet(xp):
                res = a / (1 + exp_array(xp, -a))
        out = _const(res, input)
        if needs_grad(input):
            record(out, "SiluBackward0", (_silu_grad,), (input,), (input,),
                   jvp=lambda ts: _silu_grad(ts[0], input))
        return out

    return _maybe_inplace(input, inplace, compute)


@op(kind="function", grad_fns=("EluBackward0", "EluBackward1"))
def elu(input, alpha=1.0, inplace=False):
    """``input`` where positive, ``alpha * (exp(input) - 1)`` elsewhere."""
    kernel_dtypes.check("elu", input, inplace)
    return _maybe_inplace(input, inplace, lambda: elu_family(
        input, alpha, 1.0, 1.0, "EluBackward1" if inplace else "EluBackward0"))


def elu_family(input: Tensor, alpha: float, scale: float, input_scale: float, node: str,
               grad_input_scale: float | None = None) -> Tensor:
    """``scale * elu(x * input_scale, alpha)`` (elu, selu, celu); the gradient may use its own
    input scale (torch's celu backward uses ``1 / float32(alpha)``)."""
    if grad_input_scale is None:
        grad_input_scale = input_scale
    a = _in_float(input._data)
    xp = input.device.xp
    pos = a > 0
    with _quiet(xp):  # expm1 keeps -0. (torch's kernel)
        res = xp.where(pos, a * scale, expm1_array(xp, xp.where(pos, 0, a) * input_scale) *
                       (alpha * scale))
    out = _const(res, input)
    if needs_grad(input):
        args = (alpha, scale, grad_input_scale)
        if node.endswith("Backward1"):  # in place: torch's formula reads the result
            record(out, node, (lambda g, r: elu_backward_of_result(g, r, *args),), (input,),
                   (OUTPUT,), jvp=lambda ts: _elu_backward_formula(ts[0], input, *args))
        else:
            record(out, node, (lambda g, x: elu_backward(g, x, *args),), (input,), (input,),
                   jvp=lambda ts: _elu_backward_formula(ts[0], input, *args))
    return out


def elu_backward_of_result(g: Tensor, r: Tensor, alpha: float, scale: float,
                           input_scale: float):
    """torch's ``elu_backward`` with ``is_result``: from the in-place op's result ``r``
    (``g * input_scale * (r + alpha * scale)`` where ``r <= 0``); under create_graph its node
    ``EluBackwardBackward0`` reaches the input through the result's own node."""
    return grad_node("EluBackwardBackward0", _elu_result_formula, g, r, alpha, scale,
                     input_scale, grads=_ELU_RESULT_DOUBLE)


@nan_in_vector_loop
@half_in_float
def _elu_result_formula(g, r, alpha, scale, input_scale):
    from .pointwise import where

    return where(r <= 0, g * input_scale * (r + alpha * scale), g * scale)


def _elu_result_double_r(gg, g, r, alpha, scale, input_scale):
    return gg * g * input_scale * _const(r._data < 0, r)


def elu_backward(g: Tensor, x: Tensor, alpha: float, scale: float, input_scale: float):
    """torch's ``elu_backward`` on the input; under create_graph its node
    ``EluBackwardBackward0``."""
    return grad_node("EluBackwardBackward0", _elu_backward_formula, g, x, alpha, scale,
                     input_scale, grads=_ELU_DOUBLE)


@nan_in_vector_loop
@half_in_float
def _elu_backward_formula(g, x, alpha, scale, input_scale):
    from .pointwise import where

    neg = x <= 0  # NaN takes the linear branch
    e = (x.masked_fill(~neg, 0) * input_scale).exp()
    return where(neg, g * input_scale * (alpha * scale) * e, g * scale)


def _elu_double_x(gg, g, x, alpha, scale, input_scale):
    neg = _const(x._data < 0, x)  # the second derivative is 0 at 0
    return elu_backward(gg * g * input_scale, x, alpha, scale, input_scale) * neg


_ELU_DOUBLE = (lambda gg, g, x, *args: elu_backward(gg, x, *args), _elu_double_x,
               None, None, None)
_ELU_RESULT_DOUBLE = (lambda gg, g, r, *args: elu_backward_of_result(gg, r, *args),
                      _elu_result_double_r, None, None, None)


@op(kind="function", grad_fns=("SoftplusBackward0",))
def softplus(input, beta=1, threshold=20):
    """``log(1 + exp(beta * input)) / beta``; linear where ``beta * input > threshold``."""
    kernel_dtypes.check("softplus", input)
    a = _in_float(input._data)
    xp = input.device.xp
    z = a * beta
    linear = z > threshold
    smooth = (xp.maximum(z, 0) + log1p_array(xp, exp_array(xp, -xp.abs(z)))) / beta
    out = _const(xp.where(linear, a, smooth), input)
    if needs_grad(input):
        m = _const(linear, input)

        @half_in_float
        def rule(g, x, m):  # torch's softplus_backward kernel: g z / (z + 1), z = exp(beta x)
            z = (x * beta).exp()  # (float32 gradient: 9,770 -> ~1,100 of 20,000 off torch)
            return where(m != 0, g, g * z / (z + 1))

        def double(gg, g, x, m):  # torch's softplus_double_backward: 0 from the threshold on
            z = x * beta
            s = z.sigmoid()
            return mul_scalar((gg * g) * (1 - s) * s * (z < threshold).to(g.dtype), beta)

        grads = (lambda gg, g, x, m: rule(gg, x, m), double, None)
        record(out, "SoftplusBackward0",
               (named_grad("SoftplusBackwardBackward0", rule, grads),),
               (input,), (input, m), jvp=lambda ts: rule(ts[0], input, m))
    return out


# --------------------------------------------------------------------------- softmax
def _softmax_dim(input: Tensor, dim, name: str) -> int:
    if dim is None:
        warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the "
                      "call to include dim=X as an argument.", UserWarning, stacklevel=4)
        dim = 0 if input._data.ndim in (0, 1, 3) else 1
    return norm_dim(dim, input._data.ndim)


def _softmax_input(input: Tensor, dim, dtype, name: str):
    if dtype is not None:  # (a dtype's name is torch's TypeError in a program, not a device)
        input = input.to(as_dtype(dtype, name))
    d = _softmax_dim(input, dim, name)
    if not input.dtype.is_floating_point and input._data.size:  # (torch: no kernel runs)
        last = d == max(input._data.ndim - 1, 0)
        kernel = f"{name}_lastdim_kernel_impl" if last else f"{name}_kernel_impl"
        raise errors.NotSupported(
            f"\"{kernel}\" not implemented for '{input.dtype.scalar_name}'")
    return input, d


def _softmax_arrays(xp, a, d: int, log: bool):
    """Softmax (or log-softmax) along axis ``d``, shifted by the maximum so nothing overflows;
    contiguous whatever the input's layout, as torch's kernels write it."""
    if not a.flags.c_contiguous and xp is np:
        a = np.ascontiguousarray(a)
    if a.ndim == 0:
        return _softmax_arrays(xp, a.reshape(1), 0, log).reshape(())
    if a.size == 0:
        return a.copy()
    if a.dtype == np.float16 and on_cpu(xp):
        # torch's CPU kernels compute a float16 softmax in float32 and round once (in float16
        # steps 4,663 of 12,566 random values were an ulp or more off); its last-dim
        # log_softmax keeps the row's sum and that sum's log as float16 numbers (measured:
        # 0 of 10,255 values differ so, 1,151 with float32 ones)
        if log and d == a.ndim - 1:
            a32 = a.astype(np.float32)
            with _quiet(xp):
                shifted = a32 - a32.max(axis=d, keepdims=True)
                s = np.exp(shifted).sum(axis=d, keepdims=True).astype(np.float16)
                lg = np.log(s.astype(np.float32)).astype(np.float16).astype(np.float32)
                return (shifted - lg).astype(np.float16)
        if not log and d != a.ndim - 1:
            # over another dim it writes each exp (float16) first, then divides it by the
            # float32 sum (0 of 10,255 values differ so, 1,145 rounding once)
            a32 = a.astype(np.float32)
            with _quiet(xp):
                e = np.exp(a32 - a32.max(axis=d, keepdims=True))
                s = e.sum(axis=d, keepdims=True)
                return (e.astype(np.float16).astype(np.float32) / s).astype(np.float16)
        return _softmax_arrays(xp, a.astype(np.float32), d, log).astype(np.float16)
    with _quiet(xp):
        shifted = a - a.max(axis=d, keepdims=True)
        if a.dtype == np.float32 and on_cpu(xp) and sleef_fma():
            return _softmax32(shifted, d, log)
        e = exp_array(xp, shifted)
        last = on_cpu(xp) and a.dtype == np.float32 and d == a.ndim - 1
        # torch's float32 last-dim kernels sum each row in one vector's lanes and multiply
        # by the reciprocal; over another dim, a sum in order and a division
        s = _lane_sums(e) if last else e.sum(axis=d, keepdims=True)
        if log:
            return shifted - log_array(xp, s)
        if last:
            e *= 1 / s
        else:
            e /= s
        return e


def _softmax32(shifted, d: int, log: bool):
    """float32 softmax (or log_softmax) of ``shifted`` (the input less its maxima along
    ``d``, C-contiguous) as torch's vectorised kernels compute it: SLEEF's ``expf`` (and, for
    log_softmax, ``logf`` of the sums: ``engine.ops.sleef``) in whole vectors, the C library's
    ``expf`` in scalar remainders. A ``vmap`` level's array: its physical array's (batch
    first), as torch runs it. Of 20,000 values in [-12, 12] as (200, 100), the correctly
    rounded exp and log gave 2,272 (softmax) and 155 (log_softmax) values over the last dim
    that differed from torch's, 2,441 and 36 over dim 0; now none."""
    if hasattr(shifted, "phys"):
        return type(shifted)(_softmax32(shifted.phys, d + 1, log), shifted.level)
    if d == shifted.ndim - 1:
        # the last-dim kernels: every exp in vectors (a row's remainder in a partial one),
        # the row sums as vec::reduce_all; softmax multiplies by 1 / sum, log_softmax
        # subtracts the sums' logs (vec::map over a chunk of rows' sums)
        e = sleef.expf(shifted)
        s = _lane_sums(e)
        if log:
            return shifted - sleef.logf(s)
        e *= 1 / s
        return e
    outer = int(np.prod(shifted.shape[:d], dtype=np.int64))
    size = shifted.shape[d]
    inner = shifted.size // max(outer * size, 1)
    x = shifted.reshape(outer, size, inner)
    lanes = float32_lanes()
    if log:
        # _vec_log_softmax: chunks of the inner positions (as many as 128 KiB of one column
        # holds, whole vectors), each in whole vectors then a scalar remainder
        chunk = min(max(131072 // size // 4, lanes) // lanes * lanes, inner)
        j = np.arange(inner)
        first = j - j % chunk
        piece = np.minimum(chunk, inner - first)
        body = np.broadcast_to(j - first < piece - piece % lanes, (outer, inner))
    else:
        # _vec_softmax: the outer x inner positions split between the threads
        # (parallel_for, grain 1), each piece of an inner row in vectors then a remainder
        n = outer * inner
        count = cascade.threads()
        ranges = cascade.chunks(n, count, 1) if count > 1 else [(0, n)]
        body = body_mask(outer, inner, ranges, lanes).reshape(outer, inner)
    e = sleef.expf(x)
    if not body.all():
        tail = np.broadcast_to(~body[:, None, :], x.shape)
        e[tail] = sleef.expf_libc(x[tail])
    # the sums along ``d`` in order (a middle axis: NumPy's reduction adds rows in turn)
    s = np.add.accumulate(e, axis=1)[:, -1:] if inner == 1 else e.sum(axis=1, keepdims=True)
    out = x - sleef.logf(s) if log else e / s
    return out.reshape(shifted.shape)


def _lane_sums(e, tail_factors=None):
    """Each last-dim row's sum (kept dims) as ATen's ``vec::reduce_all``/``map_reduce_all``
    take it in the float32 softmax kernels: shorter than a vector, in order; else one vector
    of lanes accumulates the whole vectors in turn, a partial last one adds into its first
    lanes, and the lanes are added as a tree (lane i with i + 8, then + 4, + 2, + 1).
    Measured against torch 2.13 (AVX512, rows of 8 to 1,000): log_softmax differs in 0.5-1.5
    % of values (the rest: SLEEF's exp/log), NumPy's pairwise sum in 8-12 %. (NumPy calls
    only, so that a ``vmap`` level's batched arrays take the same path.) ``tail_factors``:
    ``(a, b)`` with ``e = a * b``, whose partial last vector then adds as ``fma(a, b, acc)``
    (``map2_reduce_all`` as torch's compiler fused it in its serial copy of the kernel)."""
    lanes = float32_lanes()
    n = e.shape[-1]
    if n < lanes:  # (a running sum is in order)
        return np.add.accumulate(e, axis=-1)[..., n - 1:]
    whole = n - n % lanes
    # (NumPy reduces a middle axis in order: vector 0, + 1, + 2, ..., from its identity +0.:
    # from -0. instead, which leaves every value as it is, -0. too, as the kernel's start
    # from the first vector does)
    acc = np.add.reduce(e[..., :whole].reshape(e.shape[:-1] + (whole // lanes, lanes)),
                        axis=-2, initial=-0.0)
    if whole < n:
        if tail_factors is None:
            last = acc[..., :n - whole] + e[..., whole:]
        else:
            a, b = tail_factors
            last = fma(np.ascontiguousarray(a[..., whole:]), np.ascontiguousarray(b[..., whole:]),
                       np.ascontiguousarray(acc[..., :n - whole]))
        acc = np.concatenate([last, acc[..., n - whole:]], axis=-1)
    step = lanes // 2
    while step:  # (lane i with lane i + step, for the lanes lane 0's sum reads)
        acc = acc[..., :step] + acc[..., step:2 * step]
        step //= 2
    return acc


@op(grad_fns=("SoftmaxBackward0",))
def softmax(input, dim=None, _stacklevel=3, dtype=None):
    """``exp(x) / exp(x).sum(dim)``, computed stably; ``dtype`` casts the input first."""
    x, d = _softmax_input(input, dim, dtype, "softmax")
    out = _wrap(_softmax_arrays(x.device.xp, x._data, d, False), x.dtype, x.device)
    if needs_grad(x):
        record(out, "SoftmaxBackward0",  # (its Jacobian is symmetric: the same rule forward)
               (_softmax_backward_data(d),), (x,), (OUTPUT,),
               jvp=lambda ts: out * (ts[0] - (ts[0] * out).sum(d, keepdim=True)))
    return out


def _softmax_backward_data(d: int):
    """SoftmaxBackward0's gradient formula as torch's ``_softmax_backward_data`` node: the
    kernel's values, and torch's own double backward (its incoming gradient's through the
    same node; its output's ``softmax_double_backward``, in torch's order of operations: 42
    of 50 random second-order gradients were a last bit off through the ops' chain rule)."""
    def again(gg, g, y):
        return node(gg, y)

    def output(gg, g, y):  # (C++ evaluates an operator's right operand first: node order)
        right = g * (y * gg).sum(d, keepdim=True)
        middle = (y * g).sum(d, keepdim=True) * gg
        return g * gg - middle - right

    node = named_grad("SoftmaxBackwardDataBackward0", lambda g, y: _softmax_grad(g, y, d),
                      (again, output))
    return node


def _softmax_grad(g: Tensor, y: Tensor, d: int) -> Tensor:
    """torch's softmax backward kernel: ``y (g - sum(g y))``. Unrecorded (a plain backward, or
    the values of a recorded ``SoftmaxBackwardDataBackward0``) on float32 host arrays, the
    kernel's own sum: over the last dim ``vec::map2_reduce_all`` (``_lane_sums``: with torch's
    forward values, every one of 60,000 gradients is torch's, 6,100-7,100 before; one row's,
    3,000 rows of 20 to 1,000: 6-159 of 600 rows an ulp off -> 0, the fused tail); over
    another dim ``_column_dots``."""
    gd, yd = g._data, y._data
    if gd.dtype == yd.dtype == np.float32 and type(gd) is np.ndarray and \
            type(yd) is np.ndarray and gd.shape == yd.shape and gd.ndim and \
            not needs_grad(g, y):
        with Quiet():
            if d == gd.ndim - 1:
                # (torch's compiler fused the partial last vector's ``acc + g * y`` in the
                # kernel's copy that runs serially: one row, or one thread; not in the copy
                # its threads run)
                serial = gd.size == gd.shape[-1] or cascade.threads() == 1
                s = _lane_sums(gd * yd, (gd, yd) if serial else None)
            else:
                s = _column_dots(gd, yd, d)
            return _wrap(yd * (gd - s), g.dtype, g.device)
    return y * (g - (g * y).sum(d, keepdim=True))


_COLUMN_BLOCK = 32768
"""``_column_dots`` takes its steps in blocks of about this many products (256 KiB of float64:
the block's products and sums stay in the core's cache while its steps run and are checked)."""


def _column_dots(gd: np.ndarray, yd: np.ndarray, d: int) -> np.ndarray:
    """``sum(g * y)`` along ``d`` (kept), a dim other than the last, as torch's float32
    ``_vec_softmax_backward`` takes it: a running sum per inner position from +0., down ``d``
    one row after the other, each step ``acc + g * y`` as one fused multiply-add (the kernel's
    ``x + y * z``, contracted). Measured against torch 2.13 (Intel AVX512, 20,000 values per
    layout): 2,815-14,714 gradients an ulp off (NumPy's pairwise sum of rounded products) -> 0.
    The products are exact in float64, so each step is the float64 sum rounded to float32,
    but where that sum is inexact and sits on a float32 midpoint or below float32's normal
    range (a second rounding could differ): such a step is taken again with ``fma`` and the
    steps after it too. The steps run a block of rows at a time (``_COLUMN_BLOCK``), every
    position of a row in one NumPy call, each block checked as a whole once its steps ran."""
    n = gd.shape[d]
    outer = math.prod(gd.shape[:d])
    g3 = gd.reshape(outer, n, -1)
    y3 = yd.reshape(outer, n, -1)
    inner = g3.shape[2]
    kept = gd.shape[:d] + (1,) + gd.shape[d + 1:]
    if outer * inner <= 4:  # (a few long columns: Python's floats step faster)
        p = g3.astype(np.float64) * y3
        sums = [_running_fma32(p[o, :, k], g3[o, :, k], y3[o, :, k])
                for o in range(outer) for k in range(inner)]
        return np.array(sums, np.float32).reshape(kept)
    block = max(1, min(n, _COLUMN_BLOCK // (outer * inner)))
    products = np.empty((outer, block, inner))
    steps32 = np.empty((outer, block, inner), np.float32)  # (each step's result)
    before = np.empty_like(products)  # (each step's sum before it, float64)
    acc = np.zeros((outer, inner), np.float32)
    add = np.add
    start = 0
    while start < n:
        m = min(n - start, block)
        p, r = products[:, :m], steps32[:, :m]
        np.multiply(g3[:, start:start + m], y3[:, start:start + m], out=p, dtype=np.float64)
        first = acc  # (the sum before the block's first step)
        for pk, rk in zip(p.swapaxes(0, 1), r.swapaxes(0, 1)):  # (the sum in float64, rounded
            add(acc, pk, out=rk, casting="unsafe")            # once to float32 into rk)
            acc = rk
        acc = acc.copy()
        prior = before[:, :m]
        prior[:, 0] = first
        prior[:, 1:] = r[:, :m - 1]
        s = prior + p  # (each step's float64 sum again, as the loop computed it)
        bits = s.view(np.uint64)
        suspect = ((bits & 0x1FFFFFFF) == 0x10000000) | \
            (((bits << np.uint64(1)) - np.uint64(2)) < np.uint64((897 << 53) - 2))
        if suspect.any():  # (an exact float64 sum is rounded once: no second rounding)
            bb = s - prior  # (Knuth's two-sum: the exact error of ``prior + p``)
            suspect &= (prior - (s - bb)) + (p - bb) != 0
            steps = np.flatnonzero(suspect.any(axis=(0, 2)))
            if steps.size:  # (that step again, fused; then on from there)
                k = int(steps[0])
                i = start + k
                acc = fma(g3[:, i], y3[:, i], r[:, k - 1].copy() if k else first)
                start = i + 1
                continue
        start += m
    return acc.reshape(kept)


def _running_fma32(p: np.ndarray, g: np.ndarray, y: np.ndarray) -> float:
    """``_column_dots`` of one column: ``acc = fma(g[i], y[i], acc)`` from +0. in turn,
    ``p`` the exact products ``g * y`` (float64)."""
    buf = array("f", [0.0])  # (storing a float rounds it to float32, to nearest)
    acc = 0.0
    for i, q in enumerate(p.tolist()):
        s = acc + q
        buf[0] = s
        r = buf[0]
        if r != s:
            bb = s - acc
            if (acc - (s - bb)) + (q - bb) != 0:  # (the float64 sum was rounded too)
                bits = struct.unpack("<q", struct.pack("<d", s))[0]
                if bits & 0x1FFFFFFF == 0x10000000 or 0 < abs(s) < 2.0 ** -126:
                    r = float(fma(g[i:i + 1], y[i:i + 1], np.array([acc], np.float32))[0])
        acc = r
    return acc


@op(grad_fns=("LogSoftmaxBackward0",))
def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    """``log(softmax(input, dim))``, computed stably; ``dtype`` casts the input first."""
    x, d = _softmax_input(input, dim, dtype, "log_softmax")
    out = _wrap(_softmax_arrays(x.device.xp, x._data, d, True), x.dtype, x.device)
    if needs_grad(x):
        record(out, "LogSoftmaxBackward0",
               (named_grad("LogSoftmaxBackwardDataBackward0",
                           lambda g, y: _log_softmax_grad(g, y, d),
                           _log_softmax_double(d)),),
               (x,), (OUTPUT,),
               jvp=lambda ts: ts[0] - (out.exp() * ts[0]).sum(d, keepdim=True))
    return out


def _class_sum(g: Tensor, d: int) -> Tensor:
    """``g.sum(d, keepdim=True)`` as torch's log_softmax backward kernel takes it: over the
    last dim (a 0-d input's one element is its last dim) the sum of -0.s is -0. (elsewhere,
    as ``sum``, +0.)."""
    xp, a = g.device.xp, g._data
    if d == a.ndim - 1 and a.dtype == np.float32 and on_cpu(xp) and not needs_grad(g):
        # the kernel's reduce_all: it starts from the row's first value, so -0.s sum to -0.
        return _wrap(_lane_sums(a), g.dtype, g.device)
    s = g.sum(d, keepdim=True)
    if d == max(g._data.ndim - 1, 0) and not needs_grad(g):
        negative_zeros = xp.signbit(a) & (a == 0)
        if a.ndim:
            negative_zeros = xp.all(negative_zeros, axis=d, keepdims=True)
        s = _wrap(xp.where(negative_zeros, -s._data, s._data), g.dtype, g.device)
    return s


def _log_softmax_grad(g: Tensor, y: Tensor, d: int) -> Tensor:
    """torch's log_softmax backward kernel: ``g - exp(y) * g.sum(d)`` (the kernel's own bits
    whenever nothing records it; recorded, through the ops)."""
    if not FW_ACTIVE[0] and (not _grad_enabled.get() or not needs_grad(g, y)):
        out = _log_softmax_grad_arrays(g, y, d)
        if out is not None:
            return out
    return g - y.exp() * _class_sum(g, d)


def _log_softmax_grad_arrays(g: Tensor, y: Tensor, d: int):
    """``_log_softmax_grad`` when nothing records (a plain backward): the same NumPy operations
    in the same order on the arrays, without the ops' dispatch (cross_entropy's backward ran
    ~10x its forward's cost on a 64x10 batch through the ops). None where the ops must do it
    (other array types, mixed or integer dtypes)."""
    dt = g.dtype
    gd, yd = g._data, y._data
    if not (type(gd) is np.ndarray and type(yd) is np.ndarray) or y.dtype is not dt or \
            not dt.is_floating_point or dt.np.itemsize not in (2, 4, 8) or gd.ndim == 0 or \
            gd.shape != yd.shape:
        return None
    if dt.np == np.float32:
        return _wrap(_log_softmax_grad_f32(gd, yd, d), dt, g.device)
    acc = np.float32 if dt.np == np.float16 else dt.np  # (sum's accumulator)
    lanes = dt.np == np.float32 and d == gd.ndim - 1  # (torch's kernel: vec::reduce_all)
    if lanes:  # (from the row's first value: -0.s sum to -0.)
        s = _lane_sums(gd)
    else:
        s = np.add.reduce(gd, axis=(d,), dtype=acc, keepdims=True).astype(dt.np, copy=False)
    if d == gd.ndim - 1 and not lanes:  # (_class_sum's -0. rule)
        negative_zeros = np.all(np.signbit(gd) & (gd == 0), axis=d, keepdims=True)
        s = np.where(negative_zeros, np.negative(s), s)
    with np.errstate(all="ignore"):
        return _wrap(np.subtract(gd, np.multiply(exp_array(np, yd), s)), dt, g.device)


def _log_softmax_grad_f32(gd: np.ndarray, yd: np.ndarray, d: int) -> np.ndarray:
    """torch's float32 log_softmax backward kernel on the host, bit for bit: ``g - exp(y) *
    sum`` as one fused multiply-add, ``exp`` SLEEF's vectorised one. Over the last dim the
    sum is ``vec::reduce_all``'s (``_lane_sums``, from the first value: -0.s sum to -0.); over
    another dim it runs down ``d`` one row after the other from +0., and the inner positions
    past the last whole vector take the C library's ``expf``. Measured against torch 2.13
    (Intel AVX512, 20,000 values in [-12, 12] per layout): 603-829 gradients an ulp off ->
    0."""
    inner = math.prod(gd.shape[d + 1:])
    with np.errstate(all="ignore"):
        if d == gd.ndim - 1:
            rows = gd.reshape(-1, gd.shape[d])
            s = _lane_sums(rows).reshape(gd.shape[:d] + (1,) + gd.shape[d + 1:])
            e = sleef.expf(yd)
        else:
            s = np.expand_dims(np.add.accumulate(gd, axis=d).take(-1, axis=d), d) + \
                np.float32(0)
            e = sleef.expf(yd)
            lanes = float32_lanes()
            tail = np.arange(inner).reshape(gd.shape[d + 1:]) >= inner - inner % lanes
            if tail.any():
                tail = np.broadcast_to(tail, gd.shape)
                e[tail] = sleef.expf_libc(np.ascontiguousarray(yd[tail]))
        return fma(np.negative(e), np.ascontiguousarray(np.broadcast_to(s, gd.shape)), gd)


def _log_softmax_double(d: int):
    """torch's double backward of log_softmax: its incoming gradient's and output's."""
    return (lambda gg, g, y: gg - (gg * y.exp()).sum(d, keepdim=True),
            lambda gg, g, y: -g.sum(d, keepdim=True) * y.exp() * gg)


# --------------------------------------------------------------------------- linear


def _linear_grad_input(g, x, w):
    if g._data.ndim == 2 and g.dtype is w.dtype:
        out = plain_mm(g, g._data, w._data)
        if out is not None:
            return out
    return g @ w


def _linear_grad_weight(g, x, w):
    if x._data.ndim == 1:
        return g.unsqueeze(1) * x
    if x._data.ndim == 2:
        if g.dtype is x.dtype:
            out = plain_mm(g, g._data.T, x._data)
            if out is not None:
                return out
        return g.t() @ x
    return g.reshape(-1, g._data.shape[-1]).t() @ x.reshape(-1, x._data.shape[-1])


def _linear_grad_bias(g, x, w):
    if g._data.ndim != 2:
        return g
    a = g._data
    if type(a) is np.ndarray and a.dtype.kind == "f" and not _grad_enabled.get() and \
            not FW_ACTIVE[0]:  # nothing records it: ``sum(0)``'s own reduction, on the array
        r = cascade.add_reduce(a, (0,), False,  # (torch's order, as sum(0))
                               np.float32 if a.dtype == np.float16 else a.dtype)
        return _wrap(r.astype(a.dtype, copy=False), g.dtype, g.device)
    # (the autograd engine's ``sum_to`` of addmm's self gradient: a kept dim, then a view)
    return g.sum(0, keepdim=True).view(a.shape[1])


def _linear_grad_weight_t(g, x, w):
    """The gradient of ``weight.t()`` (torch's mm gradient of its second operand)."""
    return _linear_grad_weight(g, x, w).t()




def _linear_node(x: Tensor, w: Tensor, wt: Tensor) -> tuple:
    """The rules and saved values of F.linear's mm/addmm node: torch's node saves ``self``
    (the input) where ``mat2`` needs a gradient and ``mat2`` (``weight.t()``) where the input
    does (their sizes and strides only otherwise), so a backward after the other changed in
    place goes through and a version error names ``mat2``'s shape. (The rules read the
    weight itself.)"""
    rules = (_linear_grad_bias, lambda g, x, _wt: _linear_grad_input(g, x, w),
             lambda g, x, _wt: _linear_grad_weight_t(g, x, w))
    return rules, (x if needs_grad(w) else _Layout.of(x),
                   wt if needs_grad(x) else _Layout.of(wt))


@op(kind="function", grad_fns=("AddmmBackward0", "MmBackward0", "ViewBackward0", "TBackward0",
                               "UnsafeViewBackward0", "SqueezeBackward4", "AddBackward0"))
def linear(input, weight, bias=None):
    """``input @ weight.T + bias`` over the last dimension of ``input``, recorded as torch
    decomposes it: ``addmm(bias, input, weight.t())`` for a 2-D input with a bias (and, through
    a flattening view, for a contiguous one with a contiguous 1-D bias), else ``matmul(input,
    weight.t())`` plus the bias in place."""
    nx, nw = input._data.ndim, weight._data.ndim
    if nx == 0 or nw == 0:
        raise errors.EngineRuntimeError(
            f"both arguments to linear need to be at least 1D, but they are {nx}D and {nw}D")
    _same_device(input, weight, bias)
    if nx == 2 and nw == 2 and input.dtype is weight.dtype and \
            input._data.shape[1] == weight._data.shape[1] and (
                bias is None or (bias.dtype is input.dtype and bias._data.ndim == 1 and
                                 bias._data.shape[0] == weight._data.shape[0])):
        return _linear_2d(input, weight, bias)  # (the usual case, one product)
    if nx == 1 and nw == 2 and bias is not None and input.dtype is weight.dtype and \
            input.is_contiguous() and \
            bias.dtype is input.dtype and bias._data.ndim == 1 and bias.is_contiguous() and \
            input._data.shape[0] == weight._data.shape[1] and \
            bias._data.shape[0] == weight._data.shape[0]:
        return _linear_1d(input, weight, bias)
    from .fused import addmm
    from .linalg import matmul

    wt = weight.t()
    if bias is not None and (nx == 2 or input.is_contiguous() and bias.is_contiguous() and (
            nx == 3 or bias._data.ndim == 1)):
        if nx == 2:
            return addmm(bias, input, wt)
        lead = input._data.shape[:-1]
        res = addmm(bias, input.reshape(math.prod(lead), input._data.shape[-1]), wt)
        return res.view(lead + (res._data.shape[1],))
    out = matmul(input, wt)
    return out if bias is None else out.add_(bias)


def _linear_2d(input, weight, bias):
    """``addmm(bias, input, weight.t())`` / ``mm(input, weight.t())`` for a 2-D input whose
    arguments check out: one product, with torch's nodes (the weight through TBackward0)."""
    out_shape = (input._data.shape[0], weight._data.shape[0])
    check_numel(out_shape)
    res = input.device.xp.matmul(input._data, weight._data.T)
    if bias is not None:
        res += bias._data
    out = _wrap(res, input.dtype, input.device)
    if needs_grad(input, weight, bias):
        wt = weight.t()
        rules, saved = _linear_node(input, weight, wt)
        if bias is None:  # mm(input, weight.t()): two edges, as torch's MmBackward0
            record(out, "MmBackward0", rules[1:], (input, wt), saved,
                   jvp=lambda ts: _linear_jvp(input, wt, (None, *ts)))
        else:
            record(out, "AddmmBackward0", rules, (bias, input, wt), saved,
                   jvp=lambda ts: _linear_jvp(input, wt, ts))
    return out


def _linear_1d(input, weight, bias):
    """A 1-D input with a bias: torch flattens it to one row (``view(1, k)``), runs addmm and
    views the row back; computed as one vector-matrix product (under vmap: one matrix
    product over the batch, as the batched call's)."""
    n = weight._data.shape[0]
    res = input.device.xp.matmul(input._data, weight._data.T)
    res += bias._data
    if not needs_grad(input, weight, bias):
        return _wrap(res, input.dtype, input.device)
    row = input.view(1, input._data.shape[0])
    wt = weight.t()
    mid = _wrap(res.reshape(1, n), input.dtype, input.device)
    rules, saved = _linear_node(row, weight, wt)
    record(mid, "AddmmBackward0", rules, (bias, row, wt), saved,
           jvp=lambda ts: _linear_jvp(row, wt, ts))
    return mid.view(n)


def _linear_jvp(x, wt, tangents):
    """``tb + tx @ wt + x @ twt`` (terms without a tangent left out)."""
    tb, tx, twt = tangents
    out = None if tx is None else tx.mm(wt)
    if twt is not None:
        out = x.mm(twt) if out is None else out + x.mm(twt)
    if tb is not None:
        out = tb if out is None else out + tb
    return out


def _trilinear(i1: Tensor, i2: Tensor, i3: Tensor, e1: tuple, e2: tuple, e3: tuple,
               sumdim: tuple, unroll_dim: int = 1) -> Tensor:
    """ATen's ``_trilinear``: each input unsqueezed at its ``e`` dims (to one rank), their
    product summed over ``sumdim``. Computed as ATen does: slice by slice along
    ``unroll_dim``, (i1 * i2) contracted over the dims i3 lacks, then with i3, each slice's
    result added to zeros (or summed into one when ``unroll_dim`` is summed). Its gradients
    are ``_trilinear`` again (TrilinearBackward0 at every order)."""
    total = i1.ndim + len(e1)
    letters = "abcdefghijklmnopqrstuvwxyz"[:total]
    ins = (i1, i2, i3)
    exps = tuple(frozenset(e) for e in (e1, e2, e3))
    sums = frozenset(sumdim)
    dims = [[d for d in range(total) if d not in e] for e in exps]  # each input's real dims
    size = {}
    for t, ds in zip(ins, dims, strict=True):
        for axis, d in enumerate(ds):
            size[d] = t._data.shape[axis]
    sum12 = {d for d in sums if d in exps[2] and d != unroll_dim}
    sum23 = {d for d in sums if d not in exps[2] and d != unroll_dim}
    xp = i1.device.xp
    dt = i1.dtype
    out_dims = [d for d in range(total) if d not in sums]
    out = xp.zeros(tuple(size.get(d, 1) for d in out_dims), dtype=dt.np)
    n_unroll = size.get(unroll_dim, 1)
    if all(t._data.size for t in ins):
        for k in range(n_unroll):
            parts = []
            for t, ds in zip(ins, dims, strict=True):
                a = t._data
                if unroll_dim in ds:
                    a = xp.take(a, k, axis=ds.index(unroll_dim))
                parts.append((a, [d for d in ds if d != unroll_dim]))
            (a, da), (b, db), (c, dc) = parts
            d12 = sorted((set(da) | set(db)) - sum12)
            buf = xp.einsum(f"{_sub(letters, da)},{_sub(letters, db)}->{_sub(letters, d12)}",
                            a, b)
            drest = sorted((set(d12) | set(dc)) - sum23)
            buf = xp.einsum(f"{_sub(letters, d12)},{_sub(letters, dc)}->{_sub(letters, drest)}",
                            buf, c)
            # as the output's dims (missing ones: size 1), then added to the zeros
            target = [d for d in out_dims if d != unroll_dim]
            buf = buf.reshape(tuple(size.get(d, 1) if d in drest else 1 for d in target))
            if unroll_dim in sums:
                out = out + buf
            else:
                sl = out_dims.index(unroll_dim)
                idx = (slice(None),) * sl + (k,)
                out[idx] = out[idx] + buf.reshape(out[idx].shape)
    res = _wrap(out.astype(dt.np, copy=False), dt, i1.device)
    if needs_grad(i1, i2, i3):
        rules = (lambda g, a, b, c: _trilinear(g, b, c, sumdim, e2, e3, e1, unroll_dim),
                 lambda g, a, b, c: _trilinear(a, g, c, e1, sumdim, e3, e2, unroll_dim),
                 lambda g, a, b, c: _trilinear(a, b, g, e1, e2, sumdim, e3, unroll_dim))
        # (torch's node keeps each operand only for the others' gradients)
        n1, n2, n3 = (FW_ACTIVE[0] or needs_grad(t) for t in (i1, i2, i3))
        record(res, "TrilinearBackward0", rules, (i1, i2, i3),
               (i1 if n2 or n3 else None, i2 if n1 or n3 else None, i3 if n1 or n2 else None))
    return res


def _sub(letters: str, ds) -> str:
    return "".join(letters[d] for d in ds)


@op(kind="function", grad_fns=("ViewBackward0", "AddBackward0", "TrilinearBackward0"))
def bilinear(input1, input2, weight, bias=None):
    """``y = x1ᵀ A x2 + b`` for each output feature: ``weight`` is ``(out, in1, in2)``."""
    s1, s2 = input1._data.shape, input2._data.shape
    given = (("input1", input1), ("input2", input2), ("weight", weight), ("bias", bias))
    if len({t.dtype for _, t in given if t is not None}) > 1:
        raise errors.EngineRuntimeError("All tensors must have the same dtype, got " + ", ".join(
            f"{label}: {t.dtype.c_name}" for label, t in given if t is not None))
    if input1.ndim != input2.ndim:
        raise errors.EngineRuntimeError(
            f"bilinear(): input dimensions do not match: got {input1.ndim} and {input2.ndim}")
    for i in range(input1.ndim - 1):
        if s1[i] != s2[i]:
            raise errors.EngineRuntimeError(
                f"bilinear(): input batch dimensions do not match at dim {i}: got {s1[i]} and "
                f"{s2[i]}")
    if weight.ndim != 3:
        raise errors.EngineRuntimeError(
            f"bilinear(): weight must be 3-dimensional, got {weight.ndim}")
    o, i1, i2 = weight._data.shape
    if s1[-1] != i1:
        raise errors.EngineRuntimeError(
            f"bilinear(): input1 size does not match weight size: got {s1[-1]} but expected "
            f"{i1}")
    if s2[-1] != i2:
        raise errors.EngineRuntimeError(
            f"bilinear(): input2 size does not match weight size: got {s2[-1]} but expected "
            f"{i2}")
    if bias is not None and bias.ndim == 0:
        raise errors.EngineIndexError("Dimension specified as 0 but tensor has no dimensions")
    if bias is not None and bias._data.shape[0] != o:  # (then ``out + bias`` broadcasts)
        raise errors.EngineRuntimeError(
            f"bilinear(): bias size does not match weight size: got {bias._data.shape[0]} but "
            f"expected {o}")
    _same_device(input1, input2, weight, bias)
    if input1.dtype is bool_:  # (ATen contracts with bmm)
        raise errors.KernelNotImplemented(errors.NOT_IMPLEMENTED_FOR.format(kernel="bmm",
                                                                            dtype="Bool"))
    out = _trilinear(input1.reshape(-1, i1), weight, input2.reshape(-1, i2), (1, 3), (0,),
                     (1, 2), (2, 3))
    out = out.reshape(s1[:-1] + (o,))
    return out if bias is None else out + bias


def _check_bias(bias: Tensor, out_shape: tuple, input: Tensor) -> None:
    bs = bias._data.shape
    if bias.dtype is not input.dtype:
        raise errors.EngineRuntimeError(
            f"expected m1 and m2 to have the same dtype, but got: "
            f"{input.dtype.c_name} != {bias.dtype.c_name}")
    if len(bs) > len(out_shape):
        raise errors.EngineRuntimeError(
            f"The size of tensor a ({out_shape[-1]}) must match the size of tensor b "
            f"({bs[-1]}) at non-singleton dimension {len(bs) - 1}")
    lead = len(out_shape) - len(bs)
    for i, s in enumerate(bs):
        want = out_shape[lead + i]
        if s != want and s != 1:
            raise errors.EngineRuntimeError(
                f"The expanded size of the tensor ({want}) must match the existing size ({s}) "
                f"at non-singleton dimension {lead + i}.  Target sizes: "
                f"{list(out_shape)}.  Tensor sizes: {list(bs)}")


# --------------------------------------------------------------------------- dropout
@op(kind="function", grad_fns=("MulBackward0",))
def dropout(input, p=0.5, training=True, inplace=False):
    """Zero elements with probability ``p`` and scale the rest by ``1/(1-p)`` when
    ``training`` (``nn.Dropout`` passes its module's mode)."""
    if p < 0 or p > 1:
        raise errors.EngineValueError(
            f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0 or input._data.size == 0:
        return input
    dev = input.device
    if not input.dtype.is_floating_point:  # ATen's noise has the input's dtype
        if p == 1:
            return _maybe_inplace(input, inplace, lambda: input * _wrap(
                dev.xp.zeros((), dtype=input.dtype.np), input.dtype, dev))
        raise errors.EngineRuntimeError(
            "result type Float can't be cast to the desired output type "
            f"{input.dtype.scalar_name}")
    dt = input.dtype
    gen = current_generator(dev)
    with dev.scope():  # torch's noise: bernoulli_(1 - p) (53-bit uniforms), divided by 1 - p
        keep = draws_like(input._data, lambda shape: _random.uniform(
            gen, shape, float64)) < 1.0 - p  # (empty_like(input): the input's memory order)
    acc = np.float64 if dt.np == np.float64 else np.float32  # the division's type
    scale = dt.np.type(0) if p == 1 else dt.np.type(acc(1) / acc(1.0 - p))
    mask = _wrap((keep * scale).astype(dt.np), dt, dev)
    return _maybe_inplace(input, inplace, lambda: input * mask)


# --------------------------------------------------------------------------- normalization
def _moments(xp, a, axes: tuple):
    mean = a.mean(axis=axes, keepdims=True)
    centered = a - mean
    var = (centered * centered).mean(axis=axes, keepdims=True)
    return mean, centered, var


def _norm_grad_input(gxh: Tensor, xhat: Tensor, rstd: Tensor, axes: tuple) -> Tensor:
    """Gradient of ``(x - mean) * rstd`` (statistics over ``axes``) for an upstream ``gxh``."""
    return rstd * (gxh - gxh.mean(axes, keepdim=True) -
                   xhat * (gxh * xhat).mean(axes, keepdim=True))


def _batch_stats(x: Tensor, axes: tuple, eps: float):
    """Mean and 1/std over ``axes`` recomputed with engine ops (for ``create_graph``)."""
    mu = x.mean(axes, keepdim=True)
    xc = x - mu
    return mu, ((xc * xc).mean(axes, keepdim=True) + eps) ** -0.5


def _fmt(shape) -> str:
    return "[" + ", ".join(str(s) for s in shape) + "]"


@op(kind="function", grad_fns=("NativeLayerNormBackward0",))
def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Normalize over the trailing ``normalized_shape`` dims, then scale by ``weight`` and
    shift by ``bias``."""
    if isinstance(normalized_shape, (int, np.integer)) or not isinstance(
            normalized_shape, (tuple, list)):
        raise errors.EngineTypeError(
            "layer_norm(): argument 'normalized_shape' (position 2) must be tuple of ints, not "
            f"{type(normalized_shape).__name__}")
    ns = tuple(int(s) for s in normalized_shape)
    shape = input._data.shape
    k = len(ns)
    if len(shape) < k or shape[len(shape) - k:] != ns:
        raise errors.EngineRuntimeError(
            f"Given normalized_shape={_fmt(ns)}, expected input with shape "
            f"[*{''.join(', ' + str(s) for s in ns)}], but got input of size{_fmt(shape)}")
    for label, t in (("weight", weight), ("bias", bias)):
        if t is not None and t._data.shape != ns:
            raise errors.EngineRuntimeError(
                f"Expected {label} to be of same shape as normalized_shape, but got {label} of "
                f"shape {_fmt(t._data.shape)} and normalized_shape = {_fmt(ns)}")
    from .normalization import _check_param_dtypes

    _check_param_dtypes(input, weight, bias)  # (before the kernel's dtype check)
    kernel_dtypes.check("layer_norm", input)
    xp = input.device.xp
    axes = tuple(range(len(shape) - k, len(shape)))
    a = input._data
    acc = np.float32 if a.dtype == np.float16 else a.dtype  # (a float16 input computes in float)
    a = a.astype(acc, copy=False)
    if a.size == 0:
        mean = xp.zeros(shape[:len(shape) - k] + (1,) * k, dtype=a.dtype)
        rstd, xhat = mean, a.copy()
    else:
        mean, centered, var = _moments(xp, a, axes)
        rstd = 1.0 / xp.sqrt(var + eps)
        # ATen's form: (x * rstd + (-rstd * mean)) * gamma + beta, gamma 1 and beta 0 when
        # only one of them is given (so x == mean gives +0., and a zero weight +0.)
        xhat = a * rstd + (-rstd * mean)
    res = xhat
    if weight is not None or bias is not None:
        if weight is not None:
            res = res * weight._data.astype(acc, copy=False)
        res = res + (0.0 if bias is None else bias._data.astype(acc, copy=False))
    from .memory_format import as_row_major

    out = _const(as_row_major(res), input)  # (torch's native_layer_norm: row-major)
    if needs_grad(input, weight, bias):
        record(out, "NativeLayerNormBackward0", _layer_norm_rule, (input, weight, bias),
               (input, weight, _const(mean, input), _const(rstd, input), axes,
                (bias if weight is None else weight).dtype if needs_grad(weight, bias)
                else None, bias), per_input=False)
    return out


def _layer_norm_rule(g, needs, x, w, mean, rstd, axes, param_dtype, bias):
    from .memory_format import as_row_major, relaid

    # torch's native_layer_norm_backward(grad_out, input, mean, rstd, weight, bias): its
    # mean and rstd (not differentiable outputs) and bias (no formula) have empty gradients
    gx, gw, gb = _norm_backward_node("NativeLayerNormBackwardBackward0", _layer_norm_first,
                                     _layer_norm_double, g, needs, x, w, mean, rstd, axes,
                                     param_dtype, edges=("g", "x", None, None, "w", bias))
    return relaid(gx, as_row_major), gw, gb  # (torch's kernel: a row-major gradient)


def _layer_norm_first(g, needs, x, w, mean, rstd, axes, param_dtype):
    """ATen's layer_norm_backward (a float16 input computes in float):
    dx = rstd * dy * gamma + b * x + c, with ds = sum(dy * gamma * x), db = sum(dy * gamma),
    b = (db * mean - ds) * rstd**3 / N, c = -b * mean - db * rstd / N."""
    half = x.dtype.name == "float16"
    if half:
        g, x, mean, rstd = (t.float() for t in (g, x, mean, rstd))
        w = None if w is None else w.float()
    lead = tuple(range(x.ndim - len(axes)))
    gx = gw = gb = None
    if needs[0]:
        scale = 1.0 / int(np.prod([x.shape[d] for d in axes], dtype=np.int64))
        dyg = g if w is None else g * w
        ds = (dyg * x).sum(axes, keepdim=True)
        db = dyg.sum(axes, keepdim=True)
        b = (db * mean - ds) * rstd * rstd * rstd * scale
        c = -b * mean - db * rstd * scale
        gx = rstd * dyg + b * x + c
    if needs[1]:
        gw = g * ((x - mean) * rstd)
        gw = gw.sum(lead) if lead else gw
    if needs[2]:
        gb = g.sum(lead) if lead else g
    if half:  # (the parameters' gradients in their dtype: float32 ones with a float16 input)
        gx = None if gx is None else gx.half()
        gw, gb = (None if t is None else t.to(param_dtype) for t in (gw, gb))
    return gx, gw, gb


def _layer_norm_double(ggs, needs, g, x, w, mean, rstd, axes, param_dtype):
    """torch's layer_norm_double_backward, on the (M, N) matrix of rows it normalizes:
    gradients for (grad_out, input, weight) from those of (grad_input, grad_weight,
    grad_bias)."""
    ggI, ggW, ggB = ggs
    shape = x.shape
    n = int(np.prod(shape[len(shape) - len(axes):], dtype=np.int64))
    m = int(np.prod(shape[:len(shape) - len(axes)], dtype=np.int64))
    x2, g2 = x.reshape(m, n), g.reshape(m, n)
    affine = w is not None
    gamma = w.reshape(1, n) if affine else 1.0
    ggWe = ggW.reshape(1, n) if affine and ggW is not None else None
    ggBe = ggB.reshape(1, n) if affine and ggB is not None else None
    ggIe = ggI.reshape(m, n) if ggI is not None else None
    xmu = x2 - mean.reshape(m, 1)
    s1 = rstd.reshape(m, 1)
    s2, s3 = s1 ** 2, s1 ** 3
    xs3 = xmu * s3
    gI = None
    if ggIe is not None:
        gxhat = g2 * gamma
        gxhat_mu_sum = (gxhat * xmu).sum(1, keepdim=True)
        gxhat_sum = gxhat.sum(1, keepdim=True)
        ggI_sum = ggIe.sum(1, keepdim=True)
        ggI_mu_sum = (ggIe * xmu).sum(1, keepdim=True)
        all_sub = ((ggI_sum * gxhat_sum) / n - (ggIe * gxhat).sum(1, keepdim=True) +
                   (s2 * gxhat_mu_sum * ggI_mu_sum) * (3.0 / n))
        t0 = (xs3 * all_sub) / n
        t1 = (ggI_mu_sum * s3) / n * (gxhat_sum / n - gxhat)
        t2 = (gxhat_mu_sum * s3) / n * (ggI_sum / n - ggIe)
        gI = t0 + t1 + t2
    if ggWe is not None:
        t0 = g2 * ggWe * s1
        t1 = (s1 * (g2 * ggWe).sum(1, keepdim=True)) / -n
        t2 = (xs3 * (g2 * ggWe * xmu).sum(1, keepdim=True)) / n
        term = t0 + t1 - t2
        gI = term if gI is None else gI + term

    def first_back(go, gam):
        h0 = (gam * s1) / n
        h1 = n * go - go.sum(1, keepdim=True) - (xmu * s2) * (go * xmu).sum(1, keepdim=True)
        return h0 * h1

    gG = None
    if affine and ggIe is not None:
        gG = (g2 * first_back(ggIe, 1.0)).sum(0).reshape(w.shape)
    ggO = None
    if ggIe is not None:
        ggO = first_back(ggIe, gamma)
    if ggWe is not None:
        ggO = ggWe * xmu * s1 if ggO is None else ggO + ggWe * xmu * s1
    if ggBe is not None:
        ggO = ggBe if ggO is None else ggO + ggBe
    if ggO is not None:
        ggO = ggO.expand(m, n).reshape(shape)
    if gI is not None:
        gI = gI.reshape(shape)
    return (ggO if needs[0] else None, gI if needs[1] else None, gG if needs[2] else None)


@op(kind="function", grad_fns=("NativeBatchNormBackward0",))
def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False,
               momentum=0.1, eps=1e-5):
    """Normalize each channel (dim 1) by batch statistics (``training``, which also updates the
    running stats in place) or by the running stats."""
    shape = input._data.shape
    if training:  # F.batch_norm's own check, before ATen's
        if not shape:  # (its Python reads size[0])
            raise errors.EngineIndexError("tuple index out of range")
        count = shape[0] * int(np.prod(shape[2:], dtype=np.int64))
        if count == 1:
            raise errors.EngineValueError(
                "Expected more than 1 value per channel when training, got input size "
                f"{Size(shape)!r}")
    if momentum is None:  # (torch.batch_norm's binding; nn.BatchNorm passes 1 / count)
        raise errors.EngineTypeError(
            "batch_norm(): argument 'momentum' (position 7) must be float, not NoneType")
    _same_device(input, running_mean, running_var, weight, bias)
    if input._data.size == 0:
        # ATen's empty-input path, before any check of the other arguments: a clone, scaled by
        # weight[0] and shifted by bias[0] (so the graph reaches them); the running stats are
        # neither checked nor updated
        out = input.clone()
        if weight is not None:
            out = out * weight.select(0, 0)
        if bias is not None:
            out = out + bias.select(0, 0)
        return out
    c = shape[1] if len(shape) >= 2 else 0
    for label, t in (("running_mean", running_mean), ("running_var", running_var),
                     ("weight", weight), ("bias", bias)):
        if t is not None and t._data.size != c:
            raise errors.EngineRuntimeError(
                f"{label} should contain {c} elements not {t._data.size}")
    if not training:
        for label, t in (("running_mean", running_mean), ("running_var", running_var)):
            if t is None:
                raise errors.EngineRuntimeError(f"{label} must be defined in evaluation mode")
    if len(shape) < 2:  # what torch's CPU kernel does with no channel dim (measured)
        if not shape:
            raise errors.EngineRuntimeError(
                "SmallVector unable to grow. Requested capacity (18446744073709551615) is larger "
                "than maximum value for size type (4294967295)")
        if not training:
            kernel_dtypes.check("batch_norm", input)
        raise errors.EngineIndexError(
            "Dimension out of range (expected to be in range of [-1, 0], but got 1)")
    if training and not input.dtype.is_floating_point and not _dense_layout(input._data) and \
            all(t is None for t in (weight, bias, running_mean, running_var)):
        # torch's CPU batch norm takes the batch statistics of a strided input with nothing
        # else given from at::mean, which refuses a non-float input first (seed 11)
        raise errors.EngineRuntimeError(
            "mean(): could not infer output dtype. Input dtype must be either a floating point "
            f"or complex dtype. Got: {input.dtype.scalar_name}")
    kernel_dtypes.check("batch_norm", input)
    _batch_norm_dtypes(input, weight, bias, running_mean, running_var, training)
    axes = (0,) + tuple(range(2, len(shape)))
    count = int(np.prod([shape[i] for i in axes], dtype=np.int64))
    if training and count == 1:
        raise errors.EngineValueError(
            "Expected more than 1 value per channel when training, got input size "
            f"{Size(shape)!r}")
    xp = input.device.xp
    a = input._data
    bshape = (1, c) + (1,) * (len(shape) - 2)
    with _quiet(xp):
        half = a.dtype == np.float16 and is_numpy(xp) and _dense_layout(a)
        if training and (half or _torch_stats_apply(input, running_mean, running_var, weight,
                                                    bias)):
            # (float16: float32's statistics, running ones included; with half parameters the
            # saved mean and invstd are rounded to half, and the output is computed from those)
            mean, var_sum = batch_stats.collect_stats(
                a.astype(np.float32) if half else a, not a.flags.c_contiguous)
            rstd = batch_stats.invstd_and_update(
                mean, var_sum, count, eps, None if running_mean is None else running_mean._data,
                None if running_var is None else running_var._data, momentum).reshape(bshape)
            mean = mean.reshape(bshape)
            if half and all(t is None or t.dtype is input.dtype
                            for t in (weight, bias, running_mean, running_var)):
                mean, rstd = mean.astype(np.float16), rstd.astype(np.float16)
        else:
            # (float16: the statistics in float, as ATen's opmath)
            wide = np.float32 if a.dtype == np.float16 else a.dtype.type
            if training:
                mean, centered, var = _moments(xp, a.astype(wide, copy=False), axes)
                _update_running(running_mean, running_var, mean, var, count, momentum)
            else:
                mean = running_mean._data.reshape(bshape).astype(wide)
                var = running_var._data.reshape(bshape).astype(wide)
            rstd = wide(1) / xp.sqrt(var + wide(eps))
        # ATen's forms (a float16 input computes in float): its contiguous kernels compute
        # x * alpha + beta, alpha = invstd * weight, beta = bias - mean * alpha, both fused
        # (float32 and float64, contiguous and channels-last: bitwise torch's in eval and
        # training; with two roundings about a quarter of the elements were a last bit off);
        # its TensorIterator loop (strided operands) ((x - mean) * invstd) * weight + bias,
        # not fused, in eval with invstd = 1 / at::sqrt(running_var + eps): MKL's sqrt
        # (float32: pointwise.sqrt_array, modelled on Intel; float64 and float32 on an AMD
        # host: the correctly rounded value, which MKL's is not for some inputs)
        acc = np.float32 if a.dtype == np.float16 else a.dtype
        w = 1.0 if weight is None else weight._data.reshape(bshape).astype(acc, copy=False)
        b = 0.0 if bias is None else bias._data.reshape(bshape).astype(acc, copy=False)
        m, r, x = mean.astype(acc), rstd.astype(acc), a.astype(acc, copy=False)
        given = [t for t in (weight, bias, running_mean, running_var) if t is not None]
        if _dense_layout(a) and all(t._data.flags.c_contiguous for t in given):
            alpha = r * w
            res = _fma_bcast(x, alpha, _fma_bcast(-m, alpha, b, xp), xp)
        else:
            if not training and a.dtype == np.float32:  # (1 / at::sqrt(running_var + eps))
                r = np.float32(1) / sqrt_array(xp, var.astype(acc) + np.float32(eps))
            res = ((x - m) * r) * w + b
    out = _const(_batch_norm_layout(res, a), input)
    if needs_grad(input, weight, bias):
        record(out, "NativeBatchNormBackward0", _batch_norm_rule, (input, weight, bias),
               (input, weight, _const(mean, input), _const(rstd, input), axes, bshape,
                (bias if weight is None else weight).dtype if needs_grad(weight, bias)
                else None, training), per_input=False,
               guards=(running_mean, running_var))  # (saved by torch's node, as they are now)
    return out


def _fma_bcast(a, b, c, xp):
    """``a * b + c`` broadcast, rounded once (ATen's batch-norm kernels are contracted to
    fused multiply-adds) for float32/float64 NumPy arrays; two roundings otherwise."""
    res_dt = np.result_type(a, b, c)
    if not is_numpy(xp) or res_dt not in (np.float32, np.float64):
        return a * b + c
    shape = np.broadcast_shapes(np.shape(a), np.shape(b), np.shape(c))
    a, b, c = (np.ascontiguousarray(np.broadcast_to(np.asarray(t, dtype=res_dt), shape))
               for t in (a, b, c))
    return fma(a, b, c)


def _batch_norm_layout(res, a):
    """``res`` laid out as torch's batch norm lays its output out: row-major for a contiguous
    input, channels-last for a channels-last contiguous 4-D one (the strides of size-1 dims
    aside: measured), else as the input's suggested memory format."""
    from . import memory_format as mf

    if type(a) is np.ndarray and not a.flags.c_contiguous and \
            mf.is_contiguous_as(a, mf.channels_last):
        return mf.as_layout(res, mf.channels_last_strides(res.shape))
    return mf.as_row_major(res) if type(a) is np.ndarray and a.flags.c_contiguous else \
        mf.as_suggested(res, a)


def _torch_stats_apply(input: Tensor, *params) -> bool:
    """Whether ``batch_stats`` gives the training statistics: a float32 or float64 NumPy input
    laid out contiguous or channels-last, every parameter of its dtype."""
    a = input._data
    return is_numpy(input.device.xp) and a.dtype in (np.float32, np.float64) and \
        _dense_layout(a) and all(p is None or p.dtype is input.dtype for p in params)


def _batch_norm_dtypes(input: Tensor, weight, bias, running_mean, running_var,
                       training: bool) -> None:
    """torch's CPU rules for parameters of another dtype than the input: its mixed-dtype
    checks, then the kernel's; a strided input or parameter (the kernels want them contiguous,
    the input may be channels-last) goes through a TensorIterator loop, which asserts instead."""
    from .normalization import _check_param_dtypes

    params = (weight, bias, running_mean, running_var)
    given = [p for p in params if p is not None]
    if given and given[0].dtype is input.dtype and input.dtype.is_floating_point:
        # not mixed: training updates the running statistics first, then normalizes
        for p in (running_mean, running_var) if training else ():
            if p is not None and p.dtype is not input.dtype:
                raise errors.EngineRuntimeError(
                    f"expected scalar type {input.dtype.scalar_name} but found "
                    f"{p.dtype.scalar_name}")
        if any(p.dtype is not input.dtype for p in given) and (
                not _dense_layout(input._data) or
                any(not p._data.flags.c_contiguous for p in given)):
            raise errors.EngineRuntimeError(errors.LOOPS_DYNAMIC_CASTING)
    _check_param_dtypes(input, *params)


def _dense_any_order(a) -> bool:
    """No gaps and no overlaps in some order of the dims (a permutation of a contiguous
    array): TensorIterator then walks it as one contiguous run."""
    dims = sorted((d for d in range(a.ndim) if a.shape[d] != 1), key=lambda d: -a.strides[d])
    expected = a.itemsize
    for d in reversed(dims):
        if a.strides[d] != expected:
            return False
        expected *= a.shape[d]
    return True


def _dense_layout(a) -> bool:
    """Contiguous, or channels-last contiguous (4-D and 5-D), as torch decides it."""
    if a.flags.c_contiguous:
        return True
    if a.ndim not in (4, 5):
        return False
    order = (0,) + tuple(range(2, a.ndim)) + (1,)
    expected = a.itemsize
    for d in reversed(order):
        if a.shape[d] != 1 and a.strides[d] != expected:
            return False
        expected *= a.shape[d]
    return True


def _update_running(running_mean, running_var, mean, var, count: int, momentum: float) -> None:
    """PyTorch's running statistics: the variance enters unbiased (n / (n - 1))."""
    if running_mean is not None:
        rm = running_mean._data
        rm[...] = (1 - momentum) * rm + momentum * mean.reshape(rm.shape)
    if running_var is not None:
        rv = running_var._data
        unbiased = var.reshape(rv.shape) * (count / (count - 1)) if count > 1 else \
            var.reshape(rv.shape) * float("nan")
        rv[...] = (1 - momentum) * rv + momentum * unbiased


def _batch_norm_rule(g, needs, x, w, mean, rstd, axes, bshape, param_dtype, training):
    from .memory_format import as_suggested, relaid

    # torch's native_batch_norm_backward(grad_out, input, weight, running_mean,
    # running_var): the running statistics never require grad (torch refuses that)
    gx, gw, gb = _norm_backward_node("NativeBatchNormBackwardBackward0", _batch_norm_first,
                                     _batch_norm_double, g, needs, x, w, mean, rstd, axes,
                                     bshape, training, param_dtype=param_dtype,
                                     edges=("g", "x", "w", None, None))
    return relaid(gx, as_suggested, x._data), gw, gb  # (the input's suggested format)


def _batch_norm_first(g, needs, x, w, mean, rstd, axes, bshape, training, param_dtype=None):
    """ATen's batch_norm backward kernel, per channel (a float16 input computes in float):
    dot = sum((x - mean) * dy), grad_weight = dot * invstd, grad_bias = sum(dy);
    training: dx = (dy - sum(dy) / N - (x - mean) * (dot * invstd * invstd / N)) * invstd * w;
    evaluation: dx = dy * invstd * w."""
    half = x.dtype.name == "float16"
    if half:
        g, x, mean, rstd = (t.float() for t in (g, x, mean, rstd))
        w = None if w is None else w.float()
    n = int(np.prod([x.shape[i] for i in axes], dtype=np.int64))
    gx = gw = gb = None
    dot = ((x - mean) * g).sum(axes, keepdim=True) if needs[0] or needs[1] else None
    if needs[0]:
        if training:
            k = dot * rstd * rstd / n
            gx = (g - g.sum(axes, keepdim=True) / n - (x - mean) * k) * rstd
        else:
            gx = g * rstd
        if w is not None:
            gx = gx * w.reshape(bshape)
    if needs[1]:
        gw = (dot * rstd).reshape(-1)
    if needs[2]:
        gb = g.sum(axes)
    if half:  # (the parameters' gradients in their dtype: float32 ones with a float16 input)
        gx = None if gx is None else gx.half()
        gw, gb = (None if t is None else t.to(param_dtype) for t in (gw, gb))
    return gx, gw, gb


class _Unmaterialized(Node):
    """A node whose unused outputs' gradients stay None (torch's undefined gradients)."""

    __slots__ = ()
    materialize_grads = False
    _plain = False
    _named_by_record = True


def _norm_backward_node(name: str, first, double, g, needs, x, w, *saved, edges, **kw):
    """A normalization's backward ``first(g, needs, x, w, *saved, **kw)`` -> (gx, gw, gb);
    under ``create_graph`` its results are the three outputs of ONE node ``name`` (an absent
    one keeps its output number) with an edge to each of ``edges``: torch's
    native_*_backward's tensor arguments in its order, "g", "x" and "w" marking where ``g``,
    ``x`` and ``w`` are. Their gradients are ``double``: torch's double-backward formulas,
    given the outputs' gradients (None where undefined); the others' are undefined."""
    slots = tuple(edges.index(k) for k in ("g", "x", "w"))
    edges = tuple((g, x, w)[slots.index(i)] if i in slots else e for i, e in enumerate(edges))
    if not _grad_enabled.get() or FW_ACTIVE[0] or not needs_grad(*edges):
        return first(g, needs, x, w, *saved, **kw)
    with set_grad_enabled(False):
        outs = first(g, needs, x, w, *saved, **kw)

    def rule(grads, edge_needs, g, x, w, *saved):
        got = double(list(grads), tuple(edge_needs[i] for i in slots), g, x, w, *saved)
        res = [None] * len(edges)
        for i, r in zip(slots, got, strict=True):
            res[i] = r
        return tuple(res)

    inputs = tuple(t if type(t) is Tensor and t.dtype.is_floating_point else None
                   for t in edges)
    record(tuple(outs), name, rule, inputs, (g, x, w) + saved, per_input=False,
           node=_Unmaterialized.__new__(_Unmaterialized))
    return outs


def _sum_exclude_dim1(t: Tensor, keepdim: bool = True) -> Tensor:
    """Sums over every dim but 1: dim 0 first, then the others from the last (torch's order)."""
    r = t.sum(0, keepdim=keepdim)
    for d in range(r.ndim - 1, 1 if keepdim else 0, -1):
        r = r.sum(d, keepdim=keepdim)
    return r


def _batch_norm_double(ggs, needs, g, x, w, mean, rstd, axes, bshape, training):
    """torch's batchnorm_double_backward: gradients for (grad_out, input, weight) from the
    gradients ``ggs`` of (grad_input, grad_weight, grad_bias)."""
    ggI, ggW, ggB = ggs
    affine = w is not None
    gamma = w.reshape(bshape) if affine else 1.0
    ggWe = ggW.reshape(bshape) if affine and ggW is not None else None
    ggBe = ggB.reshape(bshape) if affine and ggB is not None else None
    m = int(np.prod([x.shape[i] for i in axes], dtype=np.int64))
    xmu = x - mean
    s1 = rstd
    s2, s3 = s1 ** 2, s1 ** 3
    xs3 = xmu * s3
    gxmu_sum = _sum_exclude_dim1(g * xmu)
    g_sum = _sum_exclude_dim1(g)
    gI = None
    if ggI is not None and training:
        ggI_sum = _sum_exclude_dim1(ggI)
        ggIxmu_sum = _sum_exclude_dim1(ggI * xmu)
        all_sub = ((ggI_sum * g_sum) / m - _sum_exclude_dim1(g * ggI) +
                   (s2 * gxmu_sum * ggIxmu_sum) * (3.0 / m))
        t0 = (xs3 * all_sub) / m
        t1 = (ggIxmu_sum * s3) / m * (g_sum / m - g)
        t2 = (gxmu_sum * s3) / m * (ggI_sum / m - ggI)
        gI = gamma * (t0 + t1 + t2)
    if ggWe is not None:
        if training:
            term = ggWe * (g * s1 + (s1 * g_sum) / -m + (xs3 * _sum_exclude_dim1(g * xmu)) / -m)
        else:
            term = ggWe * s1 * g
        gI = term if gI is None else gI + term

    def first_back(go, gam):
        h0 = (gam * s1) / m
        h1 = m * go - _sum_exclude_dim1(go) - (xmu * s2) * _sum_exclude_dim1(go * xmu)
        return h0 * h1

    gG = None
    if affine and ggI is not None:
        gG = _sum_exclude_dim1(ggI * first_back(g, 1.0) if training else ggI * g * s1, False)
    ggO = None
    if ggI is not None:
        ggO = first_back(ggI, gamma) if training else ggI * s1 * gamma
    if ggWe is not None:
        ggO = ggWe * xmu * s1 if ggO is None else ggO + ggWe * xmu * s1
    if ggBe is not None:  # (alone, spread over the incoming gradient's shape)
        ggO = ggBe.expand(g.shape) if ggO is None else ggO + ggBe
    # (an undefined gradient stays None: torch's leaf gets no .grad from it)
    return (ggO if needs[0] else None, gI if needs[1] else None, gG if needs[2] else None)


@op(kind="function", grad_fns=("DivBackward0",))
def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):
    """``input / max(norm_p(input, dim), eps)``: unit ``p``-norm slices along ``dim``. torch's
    composite, op for op (norm, clamp_min, expand, div), so its gradients, and theirs under
    ``create_graph``, are torch's: NaN where the norm's backward meets ``0 / 0`` (a slice of
    zeros differentiated twice), the two paths into ``input`` added (``AddBackward0``)."""
    if out is not None:
        raise errors.NotSupported("normalize(out=...) is not supported")
    denom = input.norm(p, dim, keepdim=True).clamp_min(eps).expand_as(input)
    return input / denom


# --------------------------------------------------------------------------- embedding
def _gather_rows(w: Tensor, idx, pad) -> Tensor:
    """Rows ``w[idx]``, zeros where ``pad`` (when given) is 0: torch's
    ``embedding_dense_double_backward`` (``index_select``, then ``masked_fill_`` of the
    ``padding_idx`` rows); adjoint of ``_scatter_rows``."""
    res = w._data[idx]
    if pad is not None:
        res = w.device.xp.where(pad[..., None] == 0, res.dtype.type(0), res)
    out = _wrap(res, w.dtype, w.device)
    if needs_grad(w):
        n = w._data.shape[0]
        record(out, "EmbeddingBackward0", (lambda g: _scatter_rows(g, idx, pad, n, pad),),
               (w,))
    return out


def _scatter_rows(g: Tensor, idx, scale, num: int, pad) -> Tensor:
    """The rows of ``g`` summed into a ``(num, D)`` gradient at ``idx``, as torch's CPU
    ``embedding_dense_backward`` loops: index by index in order, the ``padding_idx`` ones
    (``scale`` 0) skipped, each row added with ``add_(row, alpha=scale)`` (one fused
    multiply-add) when ``scale_grad_by_freq`` scales it. Its own gradient gathers rows and
    zeroes only the ``padding_idx`` ones (``pad``): torch's double backward does not divide
    by the frequencies."""
    xp = g.device.xp
    d = g._data.shape[-1]
    rows = g._data.reshape(-1, d)
    flat = idx.reshape(-1)
    res = xp.zeros((num, d), dtype=g.dtype.np)
    if scale is None:
        xp.add.at(res, flat, rows)
    else:
        s = scale.reshape(-1)
        keep = s != 0
        rows, flat, s = rows[keep], flat[keep], s[keep]
        if not bool((s == 1).all()) and res.dtype in (np.float32, np.float64):
            order = xp.argsort(flat, kind="stable")
            sorted_k = flat[order]
            starts = xp.searchsorted(sorted_k, sorted_k, side="left")
            rank = xp.empty_like(order)
            rank[order] = xp.arange(order.size) - starts  # each index's occurrence number
            for r in range(int(rank.max()) + 1 if rank.size else 0):
                sel = rank == r  # (distinct rows: one vectorized step of the loop)
                k = flat[sel]
                alpha = xp.broadcast_to(s[sel][:, None], (k.size, d)).copy()
                res[k] = fma(alpha, rows[sel], res[k], xp)
        else:
            xp.add.at(res, flat, rows * s[:, None])
    out = _wrap(res, g.dtype, g.device)
    if needs_grad(g):
        record(out, "EmbeddingDenseBackwardBackward0",
               (lambda gg: _gather_rows(gg, idx, pad),), (g,))
    return out


@op(kind="function", grad_fns=("EmbeddingBackward0",))
def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0,
              scale_grad_by_freq=False, sparse=False):
    """Rows of ``weight`` picked by the integer ``input``; ``padding_idx`` rows get no
    gradient."""
    if weight._data.ndim != 2:
        raise errors.EngineRuntimeError("'weight' must be 2-D")
    _same_device(weight, input)
    num = weight._data.shape[0]
    if padding_idx is not None:
        if not -num <= padding_idx < num:
            raise errors.EngineAssertionError("Padding_idx must be within num_embeddings")
        if padding_idx < 0:
            padding_idx += num
    if input.dtype not in (int64, int32):
        raise errors.EngineRuntimeError(
            "Expected tensor for argument #1 'indices' to have one of the following scalar "
            f"types: Long, Int; but got {errors.type_name(input)} instead (while checking "
            "arguments for embedding)")
    idx = input._data
    xp = weight.device.xp
    if idx.size and (bool((idx < 0).any()) or bool((idx >= num).any())):
        raise errors.EngineIndexError("index out of range in self")
    if max_norm is not None:
        _renorm_rows(weight, idx, max_norm, norm_type)
    scale = pad = None
    if scale_grad_by_freq or padding_idx is not None:
        scale = xp.ones(idx.shape, dtype=weight.dtype.np)
        if padding_idx is not None:
            pad = xp.where(idx == padding_idx, 0, scale).astype(weight.dtype.np)
        if scale_grad_by_freq and idx.size:
            counts = xp.bincount(idx.reshape(-1), minlength=num)
            scale = scale / counts[idx]
        if padding_idx is not None:
            scale = xp.where(idx == padding_idx, 0, scale)
        scale = scale.astype(weight.dtype.np)
    if sparse and needs_grad(weight):
        from .sparse_coo import _check_cpu

        _check_cpu(weight.device)  # (the sparse gradient is a sparse COO tensor)
    out = _wrap(weight._data[idx], weight.dtype, weight.device)
    if needs_grad(weight):
        if sparse:
            record(out, "EmbeddingBackward0",
                   (lambda g: _sparse_rows(g, idx, padding_idx, scale_grad_by_freq, num),),
                   (weight,), guards=(input,))
        else:  # (torch's node saves the indices, whose memory ``idx`` is)
            record(out, "EmbeddingBackward0",
                   (lambda g: _scatter_rows(g, idx, scale, num, pad),), (weight,),
                   guards=(input,))
    return out


def _sparse_rows(g: Tensor, idx, padding_idx, scale_grad_by_freq: bool, num: int) -> Tensor:
    """``sparse=True``'s weight gradient, as torch gives it: a sparse COO tensor, not
    coalesced, with one entry per looked-up index in input order (the ``padding_idx`` ones
    left out) and the matching rows of ``g`` as its values."""
    from .sparse_coo import SparseCOO, sparse_tensor

    if scale_grad_by_freq:
        raise errors.EngineRuntimeError(
            "embedding_backward: scale_grad_by_freq not supported with sparse gradients")
    if needs_grad(g):
        raise errors.NotSupported("the second derivative of embedding(sparse=True) is not "
                                  "supported")
    d = g._data.shape[-1]
    flat = np.asarray(idx).reshape(-1).astype(np.int64)
    rows = np.asarray(g._data).reshape(-1, d)
    if padding_idx is not None:
        keep = flat != padding_idx
        flat, rows = flat[keep], rows[keep]
    else:
        rows = rows.copy()
    return sparse_tensor(SparseCOO(flat.reshape(1, -1), rows, (num, d), False), g)


def _renorm_rows(weight: Tensor, idx, max_norm: float, norm_type: float) -> None:
    """Rescale, in place, the rows ``idx`` picks whose norm exceeds ``max_norm``."""
    xp = weight.device.xp
    rows = xp.unique(idx.reshape(-1))
    w = weight._data
    norms = (xp.abs(w[rows]) ** norm_type).sum(axis=1) ** (1.0 / norm_type)
    # as torch: the row's norm (in its dtype) read as a double, the scale computed in double,
    # then multiplied in the row's dtype
    wide = norms.astype(xp.float64)
    factor = xp.where(wide > max_norm, max_norm / (wide + 1e-7), 1.0)
    w[rows] = w[rows] * factor[:, None].astype(w.dtype)
    weight._vc[0] += 1


# --------------------------------------------------------------------------- loss helpers
_REDUCTIONS = ("mean", "sum", "none")


def _reduction(size_average, reduce, reduction: str) -> str:
    if size_average is not None or reduce is not None:
        size_average = True if size_average is None else size_average
        reduce = True if reduce is None else reduce
        reduction = "mean" if size_average and reduce else "sum" if reduce else "none"
        warnings.warn("size_average and reduce args will be deprecated, please use "
                      f"reduction='{reduction}' instead.", UserWarning, stacklevel=4)
    if reduction not in _REDUCTIONS:
        raise errors.EngineValueError(f"{reduction} is not a valid value for reduction")
    return reduction


def _reduce_array(xp, loss, reduction: str):
    if reduction == "none":
        return loss
    with _quiet(xp):
        return xp.asarray(loss.sum() if reduction == "sum" else
                          (loss.mean() if loss.size else loss.sum() / 0.0))


def _upstream(g: Tensor, reduction: str, n: int) -> Tensor:
    """The loss gradient per element: ``g`` spread over the ``n`` elements of a mean."""
    return g / n if reduction == "mean" and n else g


def _no_grad_for(fn_name: str, arg: str, t) -> None:
    if isinstance(t, Tensor) and t.requires_grad and _grad_enabled.get():
        raise errors.EngineRuntimeError(
            f"The function '{fn_name}' is not differentiable with respect to argument "
            f"'{arg}'. This input cannot have requires_grad True.")


def _warn_size(input: Tensor, target: Tensor) -> None:
    if target._data.shape != input._data.shape:
        warnings.warn(
            f"Using a target size ({Size(target._data.shape)!r}) that is different to the input "
            f"size ({Size(input._data.shape)!r}). This will likely lead to incorrect results due "
            "to broadcasting. Please ensure they have the same size.", UserWarning, stacklevel=4)


def _check_weight_size(weight: Tensor, input: Tensor) -> None:
    if weight._data.shape != input._data.shape:
        raise errors.EngineValueError("Weights and input must have the same size.")


# --------------------------------------------------------------------------- regression losses
def _difference_loss(input, target, reduction: str, node: str, value, backward, param=None,
                     kernel: str = "", input_dtype: bool = False):
    """A loss of ``d = input - target`` (broadcast): ``value(xp, d)`` elementwise, reduced.
    ``backward`` is torch's ``<loss>_backward(g, self, target)`` (``_LossBackward``): the
    target's gradient is it with the operands swapped, as torch computes it. ``kernel``: its
    name in torch's error for integer operands; ``input_dtype``: the result has ``input``'s
    dtype (torch's huber_loss)."""
    input = ensure_tensor(input)
    target = ensure_tensor(target, dtype=input.dtype)
    _same_device(input, target)
    _warn_size(input, target)
    shape = broadcast_pair(input._data.shape, target._data.shape)
    check_numel(shape)
    xp = input.device.xp
    dt = promote_args(input, target)
    if input_dtype and dt.is_floating_point and not input.dtype.is_floating_point:
        raise errors.EngineRuntimeError(
            f"result type {dt.scalar_name} can't be cast to the desired output type "
            f"{input.dtype.scalar_name}")
    if not dt.is_floating_point:
        raise errors.NotSupported(f"\"{kernel}\" not implemented for '{dt.scalar_name}'")
    if input_dtype:
        dt = input.dtype
    d = input._data.astype(dt.np, copy=False) - target._data.astype(dt.np, copy=False)
    res = value(xp, d)
    if reduction == "none":  # (torch's layout: the iterator's over input, target)
        from .memory_format import as_iterated

        res = as_iterated(res, (input, target))
    out = _wrap(_reduce_array(xp, res, reduction).astype(dt.np, copy=False), dt, input.device)
    if needs_grad(input, target):
        n = int(np.prod(shape, dtype=np.int64))
        back = backward(reduction, n, param)
        record(out, node, (lambda g, x, y: back(g, x, y), lambda g, x, y: back(g, y, x)),
               (input, target), (input, target))
    return out


class _LossBackward:
    """torch's ``<loss>_backward(grad_output, self, target)`` of a regression loss, and under
    ``create_graph`` its node ``<Loss>BackwardBackward0`` with torch's own second-derivative
    formulas: the incoming gradient's, ``self``'s and ``target``'s (its negation)."""

    name = ""
    same_dtype = False  # torch's kernel refuses operands of another dtype than ``self``

    def __init__(self, reduction: str, n: int, param):
        self.reduction, self.n, self.param = reduction, n, param
        self.norm = 1.0 / n if reduction == "mean" and n else 1.0
        self.grads = (self._grad_output, self._self, lambda gg, g, a, b: -self._self(gg, g, a, b))

    def __call__(self, g, a, b):
        if self.same_dtype:  # a TensorIterator that does not promote: (grad_input,) a, b, g
            for t in (b, g):
                if t.dtype is not a.dtype:
                    raise errors.EngineRuntimeError(
                        f"Found dtype {t.dtype.scalar_name} but expected "
                        f"{a.dtype.scalar_name}")
        if not b.dtype.is_floating_point:  # (an integer or bool operand: it has no gradient)
            self.bool_target = b.dtype is bool_
            b = b.to(a.dtype)
        elif not a.dtype.is_floating_point:
            a = a.to(b.dtype)
        return grad_node(self.name, self._in_dtype_of_a, g, a, b, grads=self.grads)

    def _in_dtype_of_a(self, g, a, b):  # torch's grad_input is zeros_like(self)
        r = self.formula(g, a, b)
        return r if r.dtype is a.dtype else r.to(a.dtype)

    def _mean(self, t):
        return t / self.n if self.reduction == "mean" and self.n else t

    def _grad_output(self, gg, g, a, b):
        if self.reduction == "none":
            return self(gg, a, b)
        return (self(zeros_like(g) + 1, a, b) * gg).sum()


class _MseBackward(_LossBackward):
    name = "MseLossBackwardBackward0"

    def formula(self, g, a, b):
        return (a - b) * (2 * self.norm) * g

    def _self(self, gg, g, a, b):
        return self._mean(2 * (gg * g))

    def _grad_output(self, gg, g, a, b):
        return self(gg, a, b)


class _HuberBackward(_LossBackward):
    name = "HuberLossBackwardBackward0"
    same_dtype = True

    def formula(self, g, a, b):
        from .pointwise import where

        x, delta = a - b, self.param
        return where(x <= -delta, g * (-self.norm * delta),
                     where(x >= delta, g * (self.norm * delta), x * g * self.norm))

    def _self(self, gg, g, a, b):
        return self._mean(gg * g * ((a - b).abs() < self.param))


class _SmoothL1Backward(_LossBackward):
    name = "SmoothL1LossBackwardBackward0"

    def formula(self, g, a, b):
        from .pointwise import where

        x, beta = a - b, self.param
        return where(x <= -beta, g * -self.norm,
                     where(x >= beta, g * self.norm, x * g * (self.norm / beta)))

    def _self(self, gg, g, a, b):
        if getattr(self, "bool_target", False):  # torch's double backward takes input - target
            raise errors.EngineRuntimeError(errors.BOOL_SUB_ONE)
        return self._mean(gg * g * ((a - b).abs() < self.param).to(g.dtype) / self.param)


def _weighted(unweighted, weight: Tensor, reduction: str, mean_by_weight: bool):
    loss = unweighted * weight
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    return loss.sum() / weight.sum() if mean_by_weight else loss.mean()


@op(kind="function", grad_fns=("MseLossBackward0",))
def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """Mean squared error ``(input - target)**2``, reduced by ``reduction``."""
    reduction = _reduction(size_average, reduce, reduction)
    if weight is not None:  # torch's composite: pow(input - target, 2) * weight, reduced
        from .pointwise import pow
        from .shape import broadcast_tensors

        input = ensure_tensor(input)
        target = ensure_tensor(target, dtype=input.dtype)
        _warn_size(input, target)
        a, b = broadcast_tensors(input, target)
        _check_weight_size(weight, input)
        return _weighted(pow(a - b, 2), weight, reduction, True)
    return _difference_loss(input, target, reduction, "MseLossBackward0",
                            lambda xp, d: d * d, _MseBackward, kernel="mse_cpu")


_L1_NODES = {"none": "AbsBackward0", "mean": "MeanBackward0", "sum": "SumBackward0"}


@op(kind="function", grad_fns=tuple(_L1_NODES.values()))
def l1_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """Mean absolute error ``|input - target|`` (gradient 0 where they are equal)."""
    reduction = _reduction(size_average, reduce, reduction)
    if weight is not None:
        _check_weight_size(weight, input)
        return _weighted(l1_loss(input, target, reduction="none"), weight, reduction, True)
    # torch's composite: (input - target).abs(), reduced
    input = ensure_tensor(input)
    target = ensure_tensor(target, dtype=input.dtype)
    _same_device(input, target)
    _warn_size(input, target)
    loss = (input - target).abs()
    return loss if reduction == "none" else loss.sum() if reduction == "sum" else loss.mean()


@op(kind="function", grad_fns=("SmoothL1LossBackward0",))
def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    """``0.5 * d**2 / beta`` where ``|d| < beta``, ``|d| - 0.5 * beta`` elsewhere."""
    reduction = _reduction(size_average, reduce, reduction)
    if beta < 0:
        raise errors.EngineRuntimeError(
            "smooth_l1_loss does not support negative values for beta.")
    if beta == 0:
        return l1_loss(input, target, reduction=reduction)
    return _difference_loss(
        input, target, reduction, "SmoothL1LossBackward0",
        lambda xp, d: xp.where(xp.abs(d) < beta, 0.5 * d * d / beta, xp.abs(d) - 0.5 * beta),
        _SmoothL1Backward, beta, kernel="smooth_l1_cpu")


@op(kind="function", grad_fns=("HuberLossBackward0",))
def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    """``0.5 * d**2`` where ``|d| < delta``, ``delta * (|d| - 0.5 * delta)`` elsewhere."""
    reduction = _reduction(None, None, reduction)
    if delta <= 0:
        raise errors.EngineRuntimeError(
            "huber_loss does not support non-positive values for delta.")
    if weight is not None:
        _check_weight_size(weight, input)
        return _weighted(huber_loss(input, target, reduction="none", delta=delta), weight,
                         reduction, False)
    return _difference_loss(
        input, target, reduction, "HuberLossBackward0",
        lambda xp, d: xp.where(xp.abs(d) < delta, 0.5 * d * d,
                               delta * (xp.abs(d) - 0.5 * delta)),
        _HuberBackward, delta, kernel="huber_cpu", input_dtype=True)


# --------------------------------------------------------------------------- binary losses
@op(kind="function", grad_fns=("BinaryCrossEntropyBackward0",))
def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None,
                         reduction="mean"):
    """``-(target * log(input) + (1 - target) * log(1 - input))``, logs clamped at -100."""
    reduction = _reduction(size_average, reduce, reduction)
    if target._data.shape != input._data.shape:
        raise errors.EngineValueError(
            f"Using a target size ({Size(target._data.shape)!r}) that is different to the input "
            f"size ({Size(input._data.shape)!r}) is deprecated. Please ensure they have the "
            "same size.")
    _no_grad_for("binary_cross_entropy", "weight", weight)
    _same_device(input, target, weight)
    if target.dtype is not input.dtype:
        raise errors.EngineRuntimeError(
            f"Found dtype {target.dtype.scalar_name} but expected "
            f"{input.dtype.scalar_name}")
    if not input.dtype.is_floating_point:
        raise errors.KernelNotImplemented(errors.NOT_IMPLEMENTED_FOR.format(
            kernel="binary_cross_entropy", dtype=input.dtype.scalar_name))
    xp = input.device.xp
    x, t = input._data, target._data.astype(input.dtype.np, copy=False)
    bad_x, bad_t = ~((x >= 0) & (x <= 1)), ~((t >= 0) & (t <= 1))
    if bool(bad_x.any()) or bool(bad_t.any()):
        # the kernel checks element by element (input, then target): the first bad one tells
        first = int(xp.argmax((bad_x | bad_t).reshape(-1)))
        what = "input" if bool(bad_x.reshape(-1)[first]) else "target"
        raise errors.EngineRuntimeError(f"all elements of {what} should be between 0 and 1")
    w = None
    if weight is not None:
        broadcast_pair(weight._data.shape, x.shape)
        w = xp.broadcast_to(weight._data.astype(x.dtype, copy=False), x.shape)
    with _quiet(xp):
        log_x, log_1mx = libc_log_array(xp, x), libc_log1p_array(xp, -x)
        loss = -(t * xp.maximum(log_x, -100) + (1 - t) * xp.maximum(log_1mx, -100))
    if w is not None:
        loss = loss * w
    if reduction == "none":  # (torch's: empty_like(input))
        from .memory_format import as_preserved

        loss = as_preserved(loss, x)
    out = _const(_reduce_array(xp, loss, reduction), input)
    if needs_grad(input, target):
        n = x.size
        wt = None if w is None else _const(w, input)

        def grad_input(g, x, t):
            return _bce_backward(g, x, t, wt, reduction, n)

        def grad_target(g, x, t):  # torch's: -logit(x) * g (* weight) (/ numel), unclamped
            out = -x.logit() * g
            if wt is not None:
                out = out * wt
            return _div_scalar(out, n) if reduction == "mean" else out

        record(out, "BinaryCrossEntropyBackward0", (grad_input, grad_target), (input, target),
               (input, target), guards=(weight,))  # (``wt`` reads the weight's memory)
    return out


_BCE_EPS = 1e-12
_BCE_KERNEL_EPS = float(np.float32(1e-12))  # the first-order kernel's EPSILON is a float


def _bce_backward(g: Tensor, x: Tensor, t: Tensor, wt, reduction: str, n: int) -> Tensor:
    """``g * (x - t) / max(x (1 - x), 1e-12)`` (times the weight, over the numel for a mean);
    under create_graph one ``BinaryCrossEntropyBackwardBackward0`` node with torch's
    double-backward formulas."""
    from ..modes import no_grad

    mean = reduction == "mean" and n
    with no_grad():
        out = g * (x - t) / ((1 - x) * x).clamp_min(_BCE_KERNEL_EPS)
        if wt is not None:
            out = out * wt
        if mean:
            out = out / n
    if _grad_enabled.get() and needs_grad(g, x, t):
        def scaled(v):
            if wt is not None:
                v = v * wt
            return v / n if mean else v

        def wrt_g(gg):
            ggo = scaled((x - t) / ((x + _BCE_EPS) * (1 - x + _BCE_EPS)))
            return ggo * gg if reduction == "none" else (ggo * gg).sum()

        def wrt_x(gg):
            gi = (x * x - 2 * x * t + t) / ((x + _BCE_EPS).pow(2) * (1 - x + _BCE_EPS).pow(2))
            return scaled(gi * (gg * g))

        def wrt_t(gg):
            return scaled(-gg * g / ((1 - x) * x).clamp_min(_BCE_EPS))

        record(out, "BinaryCrossEntropyBackwardBackward0", (wrt_g, wrt_x, wrt_t), (g, x, t))
    return out


@op(kind="function", grad_fns=("BinaryCrossEntropyWithLogitsBackward0",))
def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None,
                                     reduce=None, reduction="mean", pos_weight=None):
    """``binary_cross_entropy(sigmoid(input), target)`` computed stably from logits;
    ``pos_weight`` weighs the positive term per class."""
    reduction = _reduction(size_average, reduce, reduction)
    if target._data.shape != input._data.shape:
        raise errors.EngineValueError(
            f"Target size ({Size(target._data.shape)!r}) must be the same as input size "
            f"({Size(input._data.shape)!r})")
    _no_grad_for("binary_cross_entropy_with_logits", "weight", weight)
    _no_grad_for("binary_cross_entropy_with_logits", "pos_weight", pos_weight)
    _same_device(input, target, weight, pos_weight)
    from ..modes import no_grad
    from .activation import logsigmoid

    if not input.dtype.is_floating_point:
        raise errors.KernelNotImplemented(errors.NOT_IMPLEMENTED_FOR.format(
            kernel="log_sigmoid_cpu", dtype=input.dtype.scalar_name))
    # ATen's composition, step by step (the in-place steps keep target's dtype: a float32
    # target makes a float32 loss, an integer or bool one fails as there)
    with no_grad():
        x, t = input.detach(), target.detach()
        log_sig = logsigmoid(x)
        if pos_weight is not None:
            log_sig = log_sig.mul_((pos_weight.detach() - 1).mul(t).add_(1))
        # ``1 - t`` as ATen's ``Scalar - Tensor``: 1 filled into t's dtype, then ``-= t``
        loss = full_like(t, 1).sub_(t).mul_(x).sub_(log_sig)
        if weight is not None:
            loss = loss.mul_(weight.detach())
        out = _reduce_loss(loss, reduction)
    if needs_grad(input, target):
        n, nt = input.numel(), target.numel()

        def grad_input(g, x, t):
            if pos_weight is None:
                gi = x.sigmoid() - t
            else:
                pt = pos_weight * t
                gi = (pt + 1 - t) * x.sigmoid() - pt
            gi = gi * g
            if weight is not None:
                gi = gi * weight
            return _div_scalar(gi, n) if reduction == "mean" else gi

        def grad_target(g, x, t):
            # ATen's target backward, its in-place steps included: with pos_weight they keep
            # logsigmoid's dtype (the input's), so a float32 target of a float16 input gets a
            # float16 gradient, cast (ToCopyBackward0)
            if pos_weight is None:
                gt = -x * g
            else:
                gt = logsigmoid(-x).sub_(logsigmoid(x).mul_(pos_weight)).mul_(g)
            if weight is not None:
                gt = gt.mul_(weight)
            return _div_scalar(gt, nt) if reduction == "mean" else gt  # (div_ keeps the dtype)

        record(out, "BinaryCrossEntropyWithLogitsBackward0", (grad_input, grad_target),
               (input, target), (input, target), guards=(weight, pos_weight))
    return out


def _reduce_loss(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return loss.mean()
    return loss.sum() if reduction == "sum" else loss


# --------------------------------------------------------------------------- nll, cross-entropy
def _check_class_target(input: Tensor, target: Tensor, weight) -> int:
    """PyTorch's checks for class-index targets; returns the number of classes."""
    _same_device(input, target, weight)
    nx, nt = input._data.ndim, target._data.ndim
    if nx < 1:
        raise errors.EngineValueError(f"Expected 1 or more dimensions (got {nx})")
    if nx != 1 and (nt == 0 or input._data.shape[0] != target._data.shape[0]):
        raise errors.EngineValueError(
            f"Expected input batch_size ({input._data.shape[0]}) to match target batch_size "
            f"({target._data.shape[0] if nt else 0}).")
    if nx <= 2:
        if nt > 1:
            raise errors.EngineRuntimeError(
                "0D or 1D target tensor expected, multi-target not supported")
    else:
        want = (input._data.shape[0],) + input._data.shape[2:]
        if target._data.shape != want:
            raise errors.EngineRuntimeError(
                f"Expected target size {_fmt(want)}, got {_fmt(target._data.shape)}")
    if target.dtype is not int64 and target.dtype.name != "uint8":
        raise errors.EngineRuntimeError(
            "expected target dtype to be Long or Byte, but got "
            f"{target.dtype.scalar_name}")
    if target.dtype is not int64 and nx >= 3:  # the 2-d kernel takes Long only
        raise errors.EngineRuntimeError("expected scalar type Long but found Byte")
    c = input._data.shape[1 if nx > 1 else 0]
    if weight is not None and weight._data.size != c:
        raise errors.EngineRuntimeError(
            f"weight tensor should be defined either for all {c} classes or no classes but got "
            f"weight tensor of shape: {_fmt(weight._data.shape)}")
    return c


def _nll(input: Tensor, target: Tensor, weight, ignore_index: int, reduction: str) -> Tensor:
    """``nll_loss`` of log-probabilities ``input``. torch's nll_loss_nd: a 3-d or over 4-d
    input is made contiguous and viewed as ``(n, c, 1, -1)`` (target ``(n, 1, -1)``) for
    nll_loss2d, and an unreduced result viewed back (ViewBackward0 on both sides)."""
    nx = input._data.ndim
    if nx == 3 or nx > 4:
        _no_grad_for("nll_loss_forward", "weight", weight)
        _check_class_target(input, target, weight)
        n, c = input._data.shape[:2]
        out_size = (n,) + input._data.shape[2:]
        x4 = input.contiguous()
        x4 = x4.view(n, c, 1, -1) if x4._data.size else x4.view(n, c, 0, 0)
        t3 = target.contiguous()
        t3 = t3.view(n, 1, -1) if t3._data.size else t3.view(n, 0, 0)
        out = _nll(x4, t3, weight, ignore_index, reduction)
        return out.view(out_size) if reduction == "none" else out
    _no_grad_for("nll_loss_forward", "weight", weight)
    c = _check_class_target(input, target, weight)
    if not input.dtype.is_floating_point:
        kernel = "nll_loss_out_frame" if input._data.ndim <= 2 else \
            "nll_loss2d_forward_out_frame"
        raise errors.NotSupported(
            f"\"{kernel}\" not implemented for '{input.dtype.scalar_name}'")
    if weight is not None and weight.dtype is not input.dtype:
        raise errors.EngineRuntimeError(
            f"expected scalar type {input.dtype.scalar_name} but found "
            f"{weight.dtype.scalar_name}")
    xp = input.device.xp
    one = input._data.ndim == 1
    a = input._data[None] if one else input._data
    t = target._data.reshape(1) if one else target._data
    dt = input.dtype
    if weight is None and not 0 <= ignore_index < c and t.size and \
            0 <= int(t.min()) and int(t.max()) < c:  # (the usual case, with fewer array ops)
        tc = t  # every target is a class, none is ignored: the weights are all 1
        w_t = xp.ones(t.shape, dtype=dt.np)
        valid = None
    else:
        valid = t != ignore_index
        bad = valid & ((t < 0) | (t >= c))
        if bool(bad.any()):
            raise errors.EngineIndexError(
                f"Target {int(t[bad].reshape(-1)[0])} is out of bounds.")
        tc = xp.where(valid, t, 0)
        w_t = valid.astype(dt.np) if weight is None else \
            weight._data.astype(dt.np, copy=False)[tc] * valid
    with _quiet(xp):
        logp = a
        picked = logp[xp.arange(a.shape[0]), tc] if a.ndim == 2 else \
            xp.take_along_axis(logp, tc[:, None], axis=1)[:, 0]
        losses = -(w_t * picked) if valid is None else \
            xp.where(valid, -(w_t * picked), 0)  # ignored: 0, whatever the input holds
        if reduction == "none":
            res = losses.reshape(()) if one else losses
            total = None
        else:
            res = losses.sum()
            total = w_t.sum()
            if reduction == "mean":
                res = res / total
    out = _wrap(xp.asarray(res, dtype=dt.np), dt, input.device)
    if needs_grad(input):
        shape = (1, c) + (1,) * (a.ndim - 2)
        onehot = xp.arange(c).reshape(shape) == tc[:, None]
        if valid is not None:
            onehot &= valid[:, None]  # not ignored
        coef = w_t[:, None] if reduction != "mean" else w_t[:, None] / total
        # +0 off the target class (torch's kernel writes only there)
        base = xp.where(onehot, -coef, dt.np.type(0))
        if one:
            base, onehot, coef = base[0], onehot[0], coef[0]
        consts = (reduction == "none" and not one, 0 if one else 1, _const(base, input),
                  _const(onehot, input), _const(coef, input))
        node = _nll_node(input, reduction)
        # the gradient's own node, as torch records it under create_graph: its edges are the
        # incoming gradient's and the input's only (the constants are not its inputs)
        if a.ndim == 4 and not input.is_contiguous() and _grad_like_is_strided(input._data):
            # torch's nll_loss2d backward allocates its gradient in the input's layout and its
            # kernel refuses one that is not contiguous (a 4-d input only: the others are
            # made contiguous first; seed 12)
            def rule(g, x):
                raise errors.EngineRuntimeError("grad_input must be contiguous")
        else:
            rule = named_grad(node[:-1] + "Backward0", lambda g, x: _nll_grad(g, x, *consts))
        # (torch's node saves the target and the weight too: the constants are copies, but
        # a backward after either changed in place raises there)
        record(out, node, (rule,), (input,), (input,), guards=(target, weight))
    return out


def _grad_like_is_strided(d) -> bool:
    """Whether ``zeros_like`` of an array (torch's preserve_format: the strides of a
    non-overlapping and dense one, else dense strides in the order of its own) is not
    row-major (a strided slice of a row-major tensor, ``x[..., 0]``, gets a contiguous
    gradient)."""
    from .memory_format import contiguous_strides, elem_strides, preserved_strides

    return preserved_strides(d.shape, elem_strides(d)) != contiguous_strides(d.shape)


def _nll_node(input: Tensor, reduction: str) -> str:
    nx = input._data.ndim
    if nx <= 2:
        return "NllLossBackward0"
    if reduction == "none" and nx != 4:
        return "ViewBackward0"
    return "NllLoss2DBackward0"


def _nll_grad(g, x, per_item, cls, base, onehot, coef):
    return _where_keep((g.unsqueeze(cls) if per_item else g) * base, onehot._data != 0)


def _div_scalar(x: Tensor, n) -> Tensor:
    """``x / n`` for a Python number, recorded as PyTorch's ``div.Scalar`` (DivBackward1)."""
    out = _wrap(x.device.xp.asarray(x._data / n, dtype=x.dtype.np), x.dtype, x.device)
    if needs_grad(x):
        record(out, "DivBackward1", (lambda g: g / n,), (x,))
    return out


@op(kind="function", grad_fns=("NllLossBackward0", "NllLoss2DBackward0", "ViewBackward0"))
def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
             reduction="mean"):
    """Negative log-likelihood of class-index ``target`` under log-probabilities ``input``."""
    reduction = _reduction(size_average, reduce, reduction)
    return _nll(input, target, weight, ignore_index, reduction)


@op(kind="function", grad_fns=("NllLossBackward0", "NllLoss2DBackward0", "LogSoftmaxBackward0",
                               "ViewBackward0", "DivBackward1", "NegBackward0", "AddBackward0",
                               "AddBackward1", "MulBackward1", "FillBackward2"))
def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
                  reduction="mean", label_smoothing=0.0):
    """Cross-entropy of logits ``input`` (classes on dim 1) against class indices or class
    probabilities ``target``, with optional class ``weight`` and ``label_smoothing``."""
    reduction = _reduction(size_average, reduce, reduction)
    if label_smoothing > 1.0:  # (torch takes a negative one)
        raise errors.EngineRuntimeError(
            f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    if target._data.shape == input._data.shape:
        return _cross_entropy_probs(input, target, weight, reduction, label_smoothing,
                                    ignore_index)
    if label_smoothing <= 0:  # torch's: log_softmax, then nll_loss (two nodes); a negative
        # smoothing is no smoothing in torch
        return _nll(log_softmax(input, 1 if input._data.ndim > 1 else 0), target, weight,
                    ignore_index, reduction)
    return _cross_entropy_smoothed(input, target, weight, ignore_index, reduction,
                                   label_smoothing)


def _class_view(t: Tensor, input: Tensor, cls: int) -> Tensor:
    shape = [1] * input._data.ndim
    shape[cls] = -1
    return t.reshape(shape)


def _cross_entropy_probs(input, target, weight, reduction, label_smoothing, ignore_index):
    if not target.dtype.is_floating_point:
        raise errors.EngineRuntimeError(
            "Expected floating point type for target with class probabilities, got "
            f"{target.dtype.scalar_name}")
    if ignore_index >= 0:
        raise errors.EngineRuntimeError("ignore_index is not supported for floating point target")
    cls = 1 if input._data.ndim > 1 else 0
    c = input._data.shape[cls] if input._data.ndim else 1
    if weight is not None and (weight._data.ndim != 1 or weight._data.size != c):
        raise errors.EngineRuntimeError(
            f"cross_entropy: weight tensor should be defined either for all {c} classes or no "
            f"classes but got weight tensor of shape: {list(weight._data.shape)}")
    logp = log_softmax(input, cls)
    if label_smoothing > 0:  # C++'s mul and add of doubles: MulBackward1, AddBackward1
        from .pointwise import add_scalar, mul_scalar

        target = add_scalar(mul_scalar(target, 1 - label_smoothing), label_smoothing / c)
    terms = logp * target
    if weight is not None:
        terms = terms * _class_view(weight, input, cls)
    if reduction == "mean":
        if input._data.size == 0:  # torch's: the sum filled with NaN in place, then negated
            return -(terms.sum().fill_(float("nan")))
        return _div_scalar(-terms.sum(), input._data.size / c)
    return -terms.sum() if reduction == "sum" else -terms.sum(cls)


def _cross_entropy_smoothed(input, target, weight, ignore_index, reduction, label_smoothing):
    cls = 1 if input._data.ndim > 1 else 0
    logp = log_softmax(input, cls)  # (torch's order: before nll_loss's checks)
    _no_grad_for("nll_loss_forward", "weight", weight)
    c = _check_class_target(input, target, weight)
    nll = _nll(logp, target, weight, ignore_index, reduction)
    kept = target._data != ignore_index
    terms = logp if weight is None else logp * _class_view(weight, input, cls)
    smooth = (-terms.sum(cls)).masked_fill(_wrap(~kept, bool_, logp.device), 0.0)
    if reduction == "mean":
        if weight is None:
            smooth = smooth.sum() / int(kept.sum())
        else:
            tc = target._data[kept]
            smooth = smooth.sum() / float(weight._data[tc].sum())
    elif reduction == "sum":
        smooth = smooth.sum()
    # torch's C++ multiplies by doubles: mul(Tensor, Scalar), MulBackward1
    from .pointwise import mul_scalar

    return mul_scalar(nll, 1 - label_smoothing) + mul_scalar(smooth, label_smoothing / c)

