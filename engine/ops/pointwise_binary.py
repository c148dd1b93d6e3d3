"""More elementwise ops of two operands and tests of one: ``copysign``, ``heaviside``,
``gcd``, ``lcm``, ``float_power`` (with their in-place twins), ``isposinf``, ``isneginf``,
``isreal``; and ``msort``.
"""

from __future__ import annotations

import math

import numpy as np

from .. import errors
from ..dtypes import float64
from ..tensor import Tensor, _wrap
from .families import apply_inplace, binary, check_inplace, inplace_twin, method_form, unary
from .pointwise import (
    _invalid_combination,
    _no_derivative,
    _no_kernel,
    _quiet,
    _require_tensors,
)
from .registry import register


# --------------------------------------------------------------------------- copysign
def _copysign_grad_self(g, x, out):
    # torch's: g * (result / self), 0 where self is 0
    ratio = (out / x).masked_fill(x == 0, 0)
    return g * ratio


def _copysign_grad_other(g, *_):
    from .creation import zeros_like

    return zeros_like(g)


_copysign0 = binary("copysign", _quiet(lambda xp, a, b: xp.copysign(a, b)),
                    (_copysign_grad_self, _copysign_grad_other), save=("input:input", "out"),
                    out="float", node="CopysignBackward0", doc="", inplace=False, public=False)
_copysign1 = binary("copysign", _quiet(lambda xp, a, b: xp.copysign(a, b)),
                    (_copysign_grad_self, None), save=("input", "out"), out="float",
                    node="CopysignBackward1", doc="", inplace=False, public=False,
                    number_edges=False)


def copysign(input, other):
    """Elementwise magnitude of ``input`` with the sign of ``other`` (a floating result)."""
    if not isinstance(input, Tensor):
        raise _invalid_combination("copysign", (input, other), (
            "Tensor input, Tensor other, *, Tensor out = None",
            "Tensor input, Number other, *, Tensor out = None"))
    return _copysign0(input, other) if isinstance(other, Tensor) else _copysign1(input, other)


register("copysign", copysign, grad_fns=("CopysignBackward0", "CopysignBackward1"))
inplace_twin("copysign", copysign)


# --------------------------------------------------------------------------- heaviside
def _heaviside_fwd(xp, a, b):
    return xp.where(a == 0, b, (a > 0).astype(b.dtype if hasattr(b, "dtype") else a.dtype))


_heaviside = binary("heaviside", _heaviside_fwd, (_no_derivative("heaviside"),) * 2, save=(),
                    node="NotImplemented", doc="", inplace=False, public=False)


def heaviside(input, values):
    """Elementwise step function: 0 below 0, 1 above, ``values`` at 0 (the same dtype)."""
    _require_tensors("heaviside", input, values)
    if input.dtype is not values.dtype:
        raise errors.EngineRuntimeError(
            "heaviside is not yet implemented for tensors with different dtypes.")
    return _heaviside(input, values)


register("heaviside", heaviside, differentiable=False)
Tensor.heaviside = method_form(heaviside, "heaviside")
# (its backward error names the in-place op, as torch's)
_heaviside_in_place = binary("heaviside", _heaviside_fwd,
                             (_no_derivative("heaviside_"),) * 2, save=(),
                             node="NotImplemented", doc="", inplace=False, public=False)


def _heaviside_(input, values):
    _require_tensors("heaviside", input, values)
    if input.dtype is not values.dtype:
        raise errors.EngineRuntimeError(
            "heaviside is not yet implemented for tensors with different dtypes.")
    return _heaviside_in_place(input, values)


def _same_dtypes(input, values):  # (heaviside's meta check: before the overlap check)
    if isinstance(values, Tensor) and input.dtype is not values.dtype:
        raise errors.EngineRuntimeError(
            "heaviside is not yet implemented for tensors with different dtypes.")


inplace_twin("heaviside", _heaviside_, differentiable=False, precheck=_same_dtypes)


# --------------------------------------------------------------------------- gcd, lcm
def _integer_only(kernel: str, fn):
    def run(xp, a, b):
        for x in (a, b):
            dt = getattr(x, "dtype", None)
            if dt is not None and dt.kind not in "iu":
                raise _no_kernel(kernel, xp, dt)
        return fn(xp, a, b)

    return run


def _lcm(xp, a, b):
    g = xp.gcd(a, b)
    safe = xp.where(g == 0, 1, g)
    return xp.abs((a // safe) * b)


gcd = binary("gcd", _integer_only("gcd", lambda xp, a, b: xp.gcd(a, b)), None,
             doc="Elementwise greatest common divisor of integer tensors (non-negative).")
lcm = binary("lcm", _integer_only("lcm", _lcm), None,
             doc="Elementwise least common multiple of integer tensors (non-negative).")


# --------------------------------------------------------------------------- float_power
def float_power(input, exponent):
    """Elementwise power computed in double precision (a float64 result)."""
    from .pointwise import pow as power

    if not isinstance(input, Tensor) and not isinstance(exponent, Tensor):
        raise _invalid_combination("float_power", (input, exponent), (
            "Tensor input, Tensor exponent, *, Tensor out = None",
            "Number self, Tensor exponent, *, Tensor out = None",
            "Tensor input, Number exponent, *, Tensor out = None"))
    a = input.to(float64) if isinstance(input, Tensor) else float(input)
    b = exponent.to(float64) if isinstance(exponent, Tensor) else float(exponent)
    return power(a, b)


def _float_power_(self, exponent):
    if self.dtype is not float64:
        raise errors.EngineRuntimeError(
            f"the base given to float_power_ has dtype {_label(self.dtype)} but the "
            "operation's result requires dtype Double")
    check_inplace(self, exponent)
    return apply_inplace(self, float_power(self, exponent))


def _label(dt) -> str:

    return dt.scalar_name


_float_power_.__name__ = _float_power_.__qualname__ = "float_power_"
register("float_power", float_power, grad_fns=("PowBackward0", "PowBackward1", "PowBackward2"))
register("float_power_", _float_power_, doc="In-place version of float_power.", kind="method")


# --------------------------------------------------------------------------- tests
def _is_inf(sign: int):
    def run(xp, a):
        if a.dtype.kind == "f":
            return a == sign * np.inf
        return xp.zeros(a.shape, dtype=bool)

    return run


isposinf = unary("isposinf", _is_inf(1), floating=False, bool_out=True, inplace=False,
                 doc="Elementwise test for +inf.")
isneginf = unary("isneginf", _is_inf(-1), floating=False, bool_out=True, inplace=False,
                 doc="Elementwise test for -inf.")
isreal = unary("isreal", lambda xp, a: xp.ones(a.shape, dtype=bool), floating=False,
               bool_out=True, inplace=False,
               doc="Elementwise test for a real value (always true: the engine has no "
                   "complex dtypes).")


# --------------------------------------------------------------------------- msort
def msort(input):
    """``input`` sorted along its first dimension (``sort(input, 0).values``)."""
    from .reduction import sort

    if not isinstance(input, Tensor):
        raise errors.EngineTypeError(
            f"msort(): argument 'input' (position 1) must be Tensor, not "
            f"{type(input).__name__}")
    return sort(input, 0).values


register("msort", msort, grad_fns=("SortBackward0",))


# --------------------------------------------------------------------------- ldexp
def _ldexp_grad_self(g, e, out):
    from .pointwise import pow as power

    if e.dtype.is_floating_point:
        return g * power(2, e)
    # torch's 2 ** e in e's integer dtype (a negative exponent gives 0), a constant: an integer
    # exponent has no gradient and no tangent, so nothing is recorded for it
    d = e._data
    xp = e.device.xp
    factor = xp.where(d < 0, 0, xp.power(d.dtype.type(2), xp.maximum(d, 0)))
    return g * _wrap(factor, e.dtype, e.device)


def _ldexp_grad_other(g, e, out):
    from .special import _smul

    return _smul(g * out, math.log(2.0))


_ldexp = binary("ldexp", _quiet(lambda xp, a, b: a * xp.power(a.dtype.type(2), b)),
                (_ldexp_grad_self, _ldexp_grad_other), save=("other:input", "out"),
                out="float", node="LdexpBackward0", doc="", inplace=False, public=False)


def ldexp(input, other):
    """Elementwise ``input * 2 ** other`` (a floating result)."""
    _require_tensors("ldexp", input, other)
    if other.dtype.name == "bool" and input.dtype.is_floating_point:
        # torch's floating kernel has no bool exponent (an integer input takes another path)
        raise errors.KernelNotImplemented(errors.NOT_IMPLEMENTED_FOR.format(
            kernel="ldexp_cpu_exp", dtype="Bool"))
    return _ldexp(input, other)


register("ldexp", ldexp, grad_fns=("LdexpBackward0",))
Tensor.ldexp = method_form(ldexp, "ldexp")


def _ldexp_precheck(self, other=None, *args, **kwargs):
    # torch's first check: the (floating) result must cast back into self
    if isinstance(self, Tensor) and not self.dtype.is_floating_point:

        raise errors.EngineRuntimeError(
            f"ldexp can't be cast to the desired output type {self.dtype.scalar_name}")


inplace_twin("ldexp", ldexp, precheck=_ldexp_precheck, overlap=None)  # (composite in torch)


# --------------------------------------------------------------------------- shifts
def _shift(kernel: str, left: bool):
    def run(xp, a, b):
        for x in (a, b):
            dt = getattr(x, "dtype", None)
            if dt is not None and dt.kind == "f":
                raise _no_kernel(kernel, xp, dt)
        res_dt = np.result_type(a, b)
        bits = res_dt.itemsize * 8
        bb = xp.asarray(b)
        ok = (bb >= 0) & (bb < bits)  # torch: a shift out of [0, bits) gives 0
        amount = xp.where(ok, bb, 0).astype(res_dt)
        aa = xp.asarray(a).astype(res_dt)
        shifted = xp.left_shift(aa, amount) if left else xp.right_shift(aa, amount)
        return xp.where(ok, shifted, 0).astype(res_dt)

    return run


bitwise_left_shift = binary(
    "bitwise_left_shift", _shift("lshift", True), None,
    doc="Elementwise ``input << other`` of integer tensors (0 for shifts outside the width).")
bitwise_right_shift = binary(
    "bitwise_right_shift", _shift("rshift", False), None,
    doc="Elementwise ``input >> other`` of integer tensors (0 for shifts outside the width).")
