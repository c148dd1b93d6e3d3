"""More elementwise ops, beyond the core of ``pointwise.py``: ``hypot``, ``logaddexp``,
``logaddexp2``, ``xlogy``, ``logit``, ``sinc``, ``deg2rad``, ``rad2deg``, ``clamp_min`` and
``clamp_max`` (with their in-place twins where PyTorch has them).

As in PyTorch, the composite formulas compute ``float16`` in ``float32`` and round once.
"""

from __future__ import annotations

import math

import numpy as np

from .. import errors
from ..autograd import needs_grad, record
from ..dtypes import default_float, float16, promote
from ..modes import _grad_enabled, check_numel
from ..tensor import Tensor, _wrap
from ._args import (
    broadcast_shape,
    check_int_scalar_conversion,
    device_of,
    operand,
    promote_args,
)
from .families import (
    apply_inplace,
    binary,
    check_inplace,
    check_mem_overlap,
    inplace_twin,
    method_form,
    unary,
)
from .memory_format import as_iterated
from .pointwise import (
    _finish,
    _invalid_combination,
    _no_kernel,
    _require_tensors,
    first_on_ties,
    libc_log_array,
    log_array,
    where,
)
from .registry import op, register

_PI = math.pi
_LN2 = math.log(2.0)


def _opmath(fn):
    """Run ``fn`` on float32 copies of float16 arrays and round the result back once."""

    def run(xp, *arrays):
        if not any(getattr(a, "dtype", None) == np.float16 for a in arrays):
            with np.errstate(all="ignore"):
                return fn(xp, *arrays)
        arrays = tuple(a.astype(np.float32) if getattr(a, "dtype", None) == np.float16 else a
                       for a in arrays)
        with np.errstate(all="ignore"):
            return fn(xp, *arrays).astype(np.float16)

    return run


def _floating_only(kernel: str, fn):
    """A forward that refuses integer and bool operands with PyTorch's kernel error."""

    def run(xp, a, b):
        for x in (a, b):
            dt = getattr(x, "dtype", None)
            if dt is not None and dt.kind != "f":
                raise _no_kernel(kernel, xp, dt)
        return fn(xp, a, b)

    return run


def _tensors_only(name: str, impl, doc: str, node: str):
    def fn(input, other):
        _require_tensors(name, input, other)
        return impl(input, other)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = doc
    register(name, fn, doc=doc, grad_fns=(node,))
    setattr(Tensor, name, method_form(fn, name))
    return fn


# --------------------------------------------------------------------------- two operands
hypot = _tensors_only("hypot", binary(
    "hypot", _floating_only("hypot", _opmath(lambda xp, a, b: xp.hypot(a, b))),
    (lambda g, x, y, out: g * x / out, lambda g, x, y, out: g * y / out),
    save=("input", "other", "out"), doc="", inplace=False, public=False),
    "Elementwise ``sqrt(input**2 + other**2)`` (the hypotenuse), without overflow.",
    "HypotBackward0")
inplace_twin("hypot", hypot)

logaddexp = _tensors_only("logaddexp", binary(
    "logaddexp", _floating_only("logaddexp", _opmath(lambda xp, a, b: xp.logaddexp(a, b))),
    (lambda g, x, y: g / (1 + (y - x).exp()), lambda g, x, y: g / (1 + (x - y).exp())),
    doc="", inplace=False, public=False),
    "Elementwise ``log(exp(input) + exp(other))``, without overflow.", "LogaddexpBackward0")

logaddexp2 = _tensors_only("logaddexp2", binary(
    "logaddexp2", _floating_only("logaddexp2", _opmath(lambda xp, a, b: xp.logaddexp2(a, b))),
    (lambda g, x, y: g / (1 + 2 ** (y - x)), lambda g, x, y: g / (1 + 2 ** (x - y))),
    doc="", inplace=False, public=False),
    "Elementwise ``log2(2**input + 2**other)``, without overflow.", "Logaddexp2Backward0")


def _quiet_np(fn):
    def run(xp, *arrays):
        with np.errstate(all="ignore"):
            return fn(xp, *arrays)

    return run


def _xlogy_fwd(xp, x, y):
    # 0 * log(y) is 0 (even for y = 0 or inf), but a NaN y stays NaN
    if getattr(x, "dtype", None) == np.float16:  # torch: the log rounded to half, then the product
        return xp.where((x == 0) & ~xp.isnan(y), 0, x * log_array(xp, y).astype(np.float16))
    return xp.where((x == 0) & ~xp.isnan(y), 0, x * libc_log_array(xp, y))


def _xlogy_grad_self(g, x, y):
    # PyTorch differentiates as ``log(other)`` even where x is 0, but keeps 0 there where
    # other <= 0 (where the log is not finite)
    return xlogy(g, y).masked_fill((x == 0) & (y <= 0), 0.0)  # (torch's MaskedFillBackward0)


def _xlogy_grad_other(g, x, y):
    return g * x / y


def _xlogy_grad_self_number(g, x, y):
    # with a Number ``other`` PyTorch differentiates as ``log(other)`` even where x is 0
    # (but keeps 0 there when other <= 0, where the log is not finite)
    out = xlogy(g, y)
    return out.masked_fill(x == 0, 0.0) if y <= 0 else out


_xlogy_fwd_op = _quiet_np(_xlogy_fwd)
_xlogy0 = binary("xlogy", _xlogy_fwd_op, (_xlogy_grad_self, _xlogy_grad_other), out="float",
                 node="XlogyBackward0", doc="", inplace=False, public=False)
_xlogy1 = binary("xlogy", _xlogy_fwd_op, (None, _xlogy_grad_other), out="float",
                 node="XlogyBackward1", doc="", inplace=False, public=False,
                 number_edges=False)
_xlogy2 = binary("xlogy", _xlogy_fwd_op, (_xlogy_grad_self_number, None), out="float",
                 node="XlogyBackward2", doc="", inplace=False, public=False,
                 number_edges=False)


@op(grad_fns=("XlogyBackward0", "XlogyBackward1", "XlogyBackward2"))
def xlogy(input, other):
    """Elementwise ``input * log(other)``, 0 where ``input`` is 0 (unless ``other`` is NaN)."""
    if isinstance(input, Tensor):
        return _xlogy0(input, other) if isinstance(other, Tensor) else _xlogy2(input, other)
    if isinstance(other, Tensor):
        return _xlogy1(input, other)
    raise _invalid_combination("xlogy", (input, other), (
        "Tensor input, Tensor other, *, Tensor out = None",
        "Number self, Tensor other, *, Tensor out = None",
        "Tensor input, Number other, *, Tensor out = None"))


inplace_twin("xlogy", xlogy)


# --------------------------------------------------------------------------- one operand
def _float_input(input: Tensor):
    """The array to compute on and the result dtype (integers and bools become float32)."""
    dt = input.dtype if input.dtype.is_floating_point else default_float()
    a = input._data
    if a.dtype != dt.np:
        a = a.astype(dt.np)
    return (a.astype(np.float32) if dt is float16 else a), dt


def _logit_grad(g, x, eps):
    inside = x * (1 - x)
    if not _grad_enabled.get():  # torch's (scalar) kernel: x == -0. is 0., g * inf there
        inside = inside + 0.0
    if eps is None:  # outside [0, 1] the derivative is NaN, as in PyTorch
        if _grad_enabled.get():  # (torch's differentiable form: its where's operand order)
            return where((x >= 0) & (x <= 1), g / inside, math.nan)
        return where((x < 0) | (x > 1), math.nan, g / inside)
    if _grad_enabled.get():  # torch's differentiable form (create_graph): 0 at NaN too
        return where((x >= eps) & (x <= 1 - eps), g / inside, 0.0)
    return where((x < eps) | (x > 1 - eps), 0.0, g / inside)


@op(grad_fns=("LogitBackward0",))
def logit(input, eps=None):
    """Elementwise ``log(p / (1 - p))``; with ``eps``, ``p`` is first clamped to
    ``[eps, 1 - eps]`` (and the gradient is 0 outside that range)."""
    a, dt = _float_input(input)
    xp = input.device.xp
    half = dt is float16  # torch's kernel runs in half arithmetic: each step rounds to half
    if eps is not None and eps >= 0:  # a negative eps means no clamping, as in PyTorch
        if half:
            a = xp.clip(a, np.float16(eps), np.float16(1 - eps)).astype(np.float32)
        else:
            a = xp.clip(a, eps, 1 - eps)
    else:
        eps = None
    with np.errstate(all="ignore"):
        if half:
            odds = (a / (1 - a).astype(np.float16)).astype(np.float16)
            res = log_array(xp, odds.astype(np.float32))
        else:
            res = log_array(xp, a / (1 - a))
    return _finish(input, res, dt, "LogitBackward0", lambda g, x: _logit_grad(g, x, eps),
                   (input,))


inplace_twin("logit", logit)


def _sinc(xp, a):
    y = _PI * a
    return xp.where(a == 0, 1, xp.sin(y) / xp.where(a == 0, 1, y))


def _sinc_grad(g, x):
    # torch's sinc_backward: zero where pi x^2 is zero (x == 0, or x^2 underflowing), the
    # quotient elsewhere; its double backward is that of these ops (NaN at 0, as torch's)
    y = x * _PI
    sq = x * x * _PI
    # (the quotient first, then times g: float16 0 of 63,491 values differ, float32 2,791 of
    # 20,000 (sin/cos ulps) against 8,681 the other way)
    return where(sq == 0, 0.0, g * ((y * y.cos() - y.sin()) / sq))


sinc = unary("sinc", _opmath(_sinc), _sinc_grad,
             doc="Elementwise normalized sinc, ``sin(pi x) / (pi x)`` (1 at 0).")
deg2rad = unary("deg2rad", _opmath(lambda xp, a: a * (_PI / 180)),
                lambda g: g * (_PI / 180), save=(),
                doc="Elementwise conversion from degrees to radians.")
rad2deg = unary("rad2deg", _opmath(lambda xp, a: a * (180 / _PI)),
                lambda g: g * (180 / _PI), save=(),
                doc="Elementwise conversion from radians to degrees.")


# --------------------------------------------------------------------------- one-sided clamps
_CLAMP_RULES = {  # (where the input's gradient flows, where the tensor bound's does)
    "clamp_min": (lambda x, b: x >= b, lambda x, b: x < b),
    "clamp_max": (lambda x, b: x <= b, lambda x, b: x > b),
}


def _clamp_one_sided(name: str, input, bound) -> Tensor:
    arg = name[-3:]
    if not isinstance(input, Tensor) or bound is None:
        raise _invalid_combination(name, (input, bound), (
            f"Tensor input, Tensor {arg}, *, Tensor out = None",
            f"Tensor input, Number {arg}, *, Tensor out = None"))
    dt = promote_args(input, bound)
    dev = device_of(input, bound)
    if isinstance(bound, Tensor) and bound._data.shape != input._data.shape:
        check_numel(broadcast_shape(input._data.shape, bound._data.shape))
    xp = dev.xp
    check_int_scalar_conversion(bound, dt)  # (a number bound is read as the C type)
    pick = xp.maximum if arg == "min" else xp.minimum
    first = operand(input, dt)
    res = first_on_ties(xp, pick(first, operand(bound, dt)), first)
    if res.dtype != dt.np:
        res = res.astype(dt.np)
    out = _wrap(as_iterated(xp.asarray(res), (input, bound)), dt, dev)  # (torch's layout)
    if needs_grad(input, bound):
        keep, passes = _CLAMP_RULES[name]
        rules = (lambda g, x, b: where(keep(x, b), g, 0.0),
                 lambda g, x, b: where(passes(x, b), g, 0.0))
        camel = "Clamp" + arg.capitalize()
        if isinstance(bound, Tensor):
            record(out, f"{camel}Backward1", rules, (input, bound), (input, bound))
        else:
            record(out, f"{camel}Backward0", rules[:1], (input,), (input, bound))
    return out


def _clamp_one_sided_(name: str, self: Tensor, bound) -> Tensor:
    check_inplace(self, bound)
    result = _clamp_one_sided(name, self, bound)
    check_mem_overlap(self, (bound,))
    if not isinstance(bound, Tensor) and result.dtype is not self.dtype and \
            promote(result.dtype, self.dtype) is not self.dtype:
        # with a Number bound PyTorch names the output type as C++ does
        raise errors.EngineRuntimeError(
            f"result type {result.dtype.scalar_name} can't be cast to the desired "
            f"output type {self.dtype.c_name}")
    return apply_inplace(self, result)


@op(grad_fns=("ClampMinBackward0", "ClampMinBackward1"))
def clamp_min(input, min):
    """Elementwise ``maximum(input, min)``: ``clamp`` with only a lower bound (a number or a
    broadcasting tensor)."""
    return _clamp_one_sided("clamp_min", input, min)


@op(grad_fns=("ClampMaxBackward0", "ClampMaxBackward1"))
def clamp_max(input, max):
    """Elementwise ``minimum(input, max)``: ``clamp`` with only an upper bound (a number or a
    broadcasting tensor)."""
    return _clamp_one_sided("clamp_max", input, max)


@op(kind="method", inplace=True, grad_fns=("ClampMinBackward0", "ClampMinBackward1"))
def clamp_min_(self, min):
    """In-place version of clamp_min."""
    return _clamp_one_sided_("clamp_min", self, min)


@op(kind="method", inplace=True, grad_fns=("ClampMaxBackward0", "ClampMaxBackward1"))
def clamp_max_(self, max):
    """In-place version of clamp_max."""
    return _clamp_one_sided_("clamp_max", self, max)


__all__ = ["hypot", "logaddexp", "logaddexp2", "xlogy", "logit", "sinc", "deg2rad", "rad2deg",
           "clamp_min", "clamp_max"]
