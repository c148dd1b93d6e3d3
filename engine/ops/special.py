"""Special functions: the inverse hyperbolics ``asinh acosh atanh``, ``exp2``, ``erfc``,
``erfinv``, the gamma family ``lgamma digamma polygamma mvlgamma`` and ``i0``; and the
``torch.special`` namespace (table entries named ``special.X``, function-only, as
``linalg.X``).

No SciPy: each function is written here with NumPy array operations (series, recurrences,
Newton steps), in float64 and rounded once to the input's dtype (torch computes float16 in
float32; one rounding of a more accurate value is within the oracle's tolerance). Gradients
are torch's formulas (derivatives.yaml), written with engine ops so that they differentiate
again.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

from .. import errors
from ..autograd import record
from ..modes import is_grad_enabled, no_grad
from ..tensor import Tensor
from .families import inplace_twin, unary
from .pointwise import _erf, _no_kernel, _quiet
from .registry import OPS, register

_SQRT_PI = math.sqrt(math.pi)
_LN2 = math.log(2.0)


def _f64(fn):
    """A forward computed in float64 (the result is rounded to the input's dtype by the
    family helper)."""

    def run(xp, a):
        with np.errstate(all="ignore"):
            return fn(xp, a.astype(np.float64, copy=False))

    return run


def _floating_only(kernel: str, fn):
    """Refuse integer/bool inputs as torch's kernels do (ops that do not promote them)."""

    def run(xp, a):
        if a.dtype.kind != "f":
            raise _no_kernel(kernel, xp, a.dtype)
        return fn(xp, a)

    return run


def _smul(t: Tensor, c: float) -> Tensor:
    """``t * c`` as torch's derivative formulas scale by a C++ double (``mul(Tensor,
    Scalar)``: ``MulBackward1`` under ``create_graph``)."""
    out = t * c
    if out.grad_fn is not None:
        out.grad_fn._name = "MulBackward1"
    return out


# --------------------------------------------------------------------------- inverse hyperbolics
def _no_inplace_derivative(name: str):
    """torch's in-place ``asinh_`` (``acosh_``, ``atanh_``) records ``AsinhBackward1``, whose
    backward raises: torch has no derivative for those in-place versions."""
    node = name.capitalize() + "Backward1"

    def rule(g, *_):
        raise errors.KernelNotImplemented(
            f"the derivative for 'inplace version of {name}' is not implemented.")

    def forward(input):
        with no_grad():
            out = OPS[name].fn(input)
        if input.requires_grad and is_grad_enabled():
            record(out, node, (rule,), (input,), ())
        return out

    forward.__name__ = forward.__qualname__ = name
    return forward


def _hyperbolic_twins(*pairs) -> None:
    for name, aliases in pairs:
        fn = _no_inplace_derivative(name)
        for n in (name, *aliases):
            inplace_twin(n, fn)


asinh = unary("asinh", _quiet(lambda xp, a: xp.arcsinh(a)),
              lambda g, x: g * (x.pow(2) + 1).rsqrt(),
              doc="Elementwise inverse hyperbolic sine.", aliases=("arcsinh",), inplace=False)
acosh = unary("acosh", _quiet(lambda xp, a: xp.arccosh(a)),
              lambda g, x: g * (x.pow(2) - 1).rsqrt(),
              doc="Elementwise inverse hyperbolic cosine (NaN below 1).", aliases=("arccosh",),
              inplace=False)
atanh = unary("atanh", _quiet(lambda xp, a: xp.arctanh(a)),
              lambda g, x: _smul(g, 1) / (1 - x.pow(2)),
              doc="Elementwise inverse hyperbolic tangent (NaN outside [-1, 1]).",
              aliases=("arctanh",), inplace=False)
exp2 = unary("exp2", _quiet(lambda xp, a: xp.exp2(a)), lambda g, out: _smul(g * out, _LN2),
             save=("out",), doc="Elementwise ``2 ** input``.")
_hyperbolic_twins(("asinh", ("arcsinh",)), ("acosh", ("arccosh",)), ("atanh", ("arctanh",)))


# --------------------------------------------------------------------------- erfc, erfinv
# erfc on [0, 27] from anchors c = k/32 (Python's math.erfc, to about an ulp) and the Taylor
# series of erfc(c + h) - erfc(c) = -2/sqrt(pi) e^{-c^2} int_0^h e^{-2ct - t^2} dt, whose
# integrand's coefficients follow a_{n+1} = -(2c a_n + 2 a_{n-1}) / (n + 1).
_STEP = 1.0 / 32.0
_ANCHORS = np.array([math.erfc(k * _STEP) for k in range(27 * 32 + 2)])
_ANCHOR_SCALE = np.array([math.exp(-(k * _STEP) ** 2) for k in range(27 * 32 + 2)])
_TERMS = 40


def _erfc_nonneg(xp, x):
    """erfc of finite ``x >= 0`` (float64)."""
    k = xp.minimum(xp.rint(x / _STEP), 27 * 32).astype(np.int64)
    c = k * _STEP
    h = x - c
    anchors = xp.asarray(_ANCHORS)[k]
    scale = xp.asarray(_ANCHOR_SCALE)[k]
    a_prev = xp.zeros_like(x)
    a = xp.ones_like(x)
    hp = h.copy()              # h^(n+1)
    total = hp.copy()          # sum a_n h^(n+1) / (n+1)
    for n in range(_TERMS):
        a_next = -(2 * c * a + 2 * a_prev) / (n + 1)
        a_prev, a = a, a_next
        hp = hp * h
        total = total + a * hp / (n + 2)
    res = anchors - (2.0 / _SQRT_PI) * scale * total
    return xp.where(x > 27.3, 0.0, res)


def _erfc(xp, x):
    """erfc in float64: exact anchors and a short series; NaN stays NaN, erfc(-inf) = 2."""
    mag = xp.abs(x)
    finite = xp.isfinite(mag)
    pos = _erfc_nonneg(xp, xp.where(finite, mag, 0.0))
    pos = xp.where(finite, pos, xp.where(xp.isnan(x), xp.nan, 0.0))
    return xp.where(x < 0, 2.0 - pos, pos)


erfc = unary("erfc", _f64(_erfc),
             lambda g, x: _smul((-x.pow(2)).exp(), -2.0 / _SQRT_PI) * g,
             doc="Elementwise complementary error function ``1 - erf(input)``, accurate "
                 "where erf is near 1.")


def _erfinv(xp, y):
    """erfinv in float64: Winitzki's closed form as the first guess, then Halley steps on
    ``erf(x) = y`` (on ``erfc(x) = 1 - y`` for ``y`` above 1/2, where erf loses digits)."""
    mag = xp.abs(y)
    inside = mag < 1
    t = xp.where(inside, mag, 0.5)
    w = -xp.log((1 - t) * (1 + t))
    a = 0.147
    b = 2 / (math.pi * a) - w / 2
    x = xp.sqrt(xp.sqrt(b * b + w / a) - b)
    tail = t > 0.5
    one_minus = 1 - t  # exact for t in [1/2, 1]
    for _ in range(4):
        err = xp.where(tail, one_minus - _erfc(xp, x), _erf(xp, x) - t)
        deriv = (2 / _SQRT_PI) * xp.exp(-x * x)
        ratio = err / deriv
        x = x - ratio / (1 + x * ratio)
    x = xp.where(t == 0, 0.0, x)
    res = xp.where(inside, x, xp.where(mag == 1, xp.inf, xp.nan))
    return xp.copysign(res, y)


erfinv = unary("erfinv", _f64(_erfinv),
               lambda g, x: _smul(x.erfinv().pow(2).exp(), 0.5 * _SQRT_PI) * g,
               doc="Elementwise inverse error function (``erf(erfinv(y)) = y`` on (-1, 1)).")


__all__ = ["asinh", "acosh", "atanh", "exp2", "erfc", "erfinv"]
_ = (errors, Tensor, Fraction, OPS, register, inplace_twin, _floating_only)
