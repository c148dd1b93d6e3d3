"""Elementwise ops. Each is one entry: forward on arrays, then one gradient formula per operand,
written with engine ops so that ``create_graph=True`` differentiates them again."""

from __future__ import annotations

import math

from .. import errors
from ..tensor import Tensor
from .families import binary, inplace_twin, unary
from .registry import op

# --------------------------------------------------------------------------- arithmetic
_add = binary("add", lambda xp, a, b: xp.add(a, b), (lambda g, *_: g, lambda g, *_: g),
              save=(), doc="", inplace=False, public=False)
_sub = binary("sub", lambda xp, a, b: xp.subtract(a, b), (lambda g, *_: g, lambda g, *_: -g),
              save=(), doc="", inplace=False, public=False)
_div = binary("div", lambda xp, a, b: xp.true_divide(a, b),
              (lambda g, a, b: g / b, lambda g, a, b: -g * a / (b * b)),
              out="float", doc="", inplace=False, public=False)
mul = binary("mul", lambda xp, a, b: xp.multiply(a, b),
             (lambda g, a, b: g * b, lambda g, a, b: g * a),
             doc="Elementwise product (broadcasting).", aliases=("multiply",))


def _check_alpha(alpha, *xs):
    if alpha != 1 and isinstance(alpha, float) and all(
            not isinstance(x, Tensor) or not x.dtype.is_floating_point for x in xs):
        raise errors.EngineRuntimeError(
            "For integral input tensors, argument alpha must not be a floating point number.")


@op(grad_fns=("AddBackward0",))
def add(input, other, *, alpha=1):
    """Elementwise ``input + alpha * other`` (broadcasting)."""
    if alpha != 1:
        _check_alpha(alpha, input, other)
        other = other * alpha
    return _add(input, other)


@op(grad_fns=("SubBackward0",), aliases=("subtract",))
def sub(input, other, *, alpha=1):
    """Elementwise ``input - alpha * other`` (broadcasting)."""
    if isinstance(input, Tensor) and input.dtype.name == "bool" and \
            isinstance(other, Tensor) and other.dtype.name == "bool":
        raise errors.EngineRuntimeError(errors.BOOL_SUB)
    if alpha != 1:
        _check_alpha(alpha, input, other)
        other = other * alpha
    return _sub(input, other)


@op(grad_fns=("DivBackward0",), aliases=("divide", "true_divide"))
def div(input, other, *, rounding_mode=None):
    """Elementwise division; ``rounding_mode`` None (true), "trunc" or "floor"."""
    if rounding_mode is None:
        return _div(input, other)
    if rounding_mode == "trunc":
        return _div_trunc(input, other)
    if rounding_mode == "floor":
        return floor_divide(input, other)
    raise errors.EngineRuntimeError(
        "div expected rounding_mode to be one of None, 'trunc', or 'floor' but found "
        f"'{rounding_mode}'")


for _fn in (add, sub, div):
    inplace_twin(_fn.__name__, _fn)


def _is_int_array(a) -> bool:
    return getattr(a, "dtype", None) is not None and a.dtype.kind in "iub"


def _check_int_divisor(a, b):
    if _is_int_array(a) and (b == 0 if isinstance(b, int) else (b == 0).any()):
        raise errors.EngineRuntimeError("ZeroDivisionError")


def _floor_div(xp, a, b):
    _check_int_divisor(a, b)
    return xp.floor_divide(a, b)


def _trunc_div(xp, a, b):
    if _is_int_array(a):
        _check_int_divisor(a, b)
        q = xp.floor_divide(a, b)
        return q + ((q < 0) & (q * b != a))
    return xp.trunc(xp.true_divide(a, b))


_zero_grads = (lambda g, *_: g * 0, lambda g, *_: g * 0)
floor_divide = binary("floor_divide", _floor_div, _zero_grads, save=(), node="DivBackward1",
                      doc="Elementwise division rounded down.")
_div_trunc = binary("div_trunc", _trunc_div, _zero_grads, save=(), node="DivBackward1",
                    doc="", inplace=False, public=False)


def _pow_fwd(xp, a, b):
    if _is_int_array(a) and a.dtype.kind != "b":
        neg = (b < 0) if not _is_int_array(b) else (b < 0).any()
        if (isinstance(b, int) or _is_int_array(b)) and neg:
            raise errors.EngineRuntimeError(
                "Integers to negative integer powers are not allowed.")
    return xp.power(a, b)


def _pow_grad_base(g, a, b, out):
    if not isinstance(b, Tensor):
        return g * 0 if b == 0 else g * b * a ** (b - 1)
    from . import where

    return where(b == 0, g * 0, g * b * a ** (b - 1))


def _pow_grad_exponent(g, a, b, out):
    from . import where

    if not isinstance(a, Tensor):
        if a == 0:
            return where(b >= 0, g * 0, g * out * float("-inf"))
        return g * out * (math.log(a) if a > 0 else float("nan"))
    return where((a == 0) & (b >= 0), g * 0, g * out * a.log())


_pow_grads = (_pow_grad_base, _pow_grad_exponent)
_pow_save = ("input", "other", "out")
_pow0 = binary("pow", _pow_fwd, _pow_grads, save=_pow_save, node="PowBackward0", doc="",
               inplace=False, public=False)
_pow1 = binary("pow", _pow_fwd, _pow_grads, save=_pow_save, node="PowBackward1", doc="",
               inplace=False, public=False)
_pow2 = binary("pow", _pow_fwd, _pow_grads, save=_pow_save, node="PowBackward2", doc="",
               inplace=False, public=False)


@op(grad_fns=("PowBackward0", "PowBackward1", "PowBackward2"))
def pow(input, exponent):
    """Elementwise power ``input ** exponent`` (either may be a scalar)."""
    if not isinstance(input, Tensor):
        return _pow2(input, exponent)
    if not isinstance(exponent, Tensor):
        return _pow0(input, exponent)
    return _pow1(input, exponent)


inplace_twin("pow", pow)


# --------------------------------------------------------------------------- unary
neg = unary("neg", lambda xp, a: xp.negative(a), lambda g, *_: -g, save=(), floating=False,
            doc="Elementwise negation.", aliases=("negative",))
exp = unary("exp", lambda xp, a: xp.exp(a), lambda g, out: g * out, save=("out",),
            doc="Elementwise exponential.")
log = unary("log", lambda xp, a: xp.log(a), lambda g, a: g / a,
            doc="Elementwise natural logarithm.")
sin = unary("sin", lambda xp, a: xp.sin(a), lambda g, a: g * a.cos(), doc="Elementwise sine.")
cos = unary("cos", lambda xp, a: xp.cos(a), lambda g, a: -g * a.sin(),
            doc="Elementwise cosine.")
tanh = unary("tanh", lambda xp, a: xp.tanh(a), lambda g, out: g * (1 - out * out),
             save=("out",), doc="Elementwise hyperbolic tangent.")


def _sigmoid(xp, a):
    # split by sign so neither branch overflows
    out = xp.empty_like(a)
    pos = a >= 0
    out[pos] = 1 / (1 + xp.exp(-a[pos]))
    e = xp.exp(a[~pos])
    out[~pos] = e / (1 + e)
    return out


sigmoid = unary("sigmoid", _sigmoid, lambda g, out: g * out * (1 - out), save=("out",),
                doc="Elementwise logistic sigmoid.")

# --------------------------------------------------------------------------- comparisons
for _name, _ufunc, _aliases in (("eq", "equal", ()), ("ne", "not_equal", ("not_equal",)),
                                ("lt", "less", ("less",)), ("le", "less_equal", ("less_equal",)),
                                ("gt", "greater", ("greater",)),
                                ("ge", "greater_equal", ("greater_equal",))):
    binary(_name, (lambda u: lambda xp, a, b: getattr(xp, u)(a, b))(_ufunc), None, out="bool",
           doc=f"Elementwise ``{_name}`` comparison (bool result).", aliases=_aliases)
