"""More of ``torch.special`` (table entries ``special.X``): the Hurwitz ``zeta``, the
orthogonal polynomials (Chebyshev T U V W and their shifted forms, Hermite H and He,
Laguerre L, Legendre P), ``spherical_bessel_j0``, ``modified_bessel_i0/i1/k0/k1`` and
``scaled_modified_bessel_k0/k1``.

NumPy only, written from the mathematics:
- zeta(x, q): direct terms until ``q + k`` passes 9, then the Euler-Maclaurin tail with
  twelve Bernoulli terms (the scheme of Cephes' ``zeta.c``, S. L. Moshier), with its domain
  rules (inf at x = 1 and at the poles q = 0, -1, ...; NaN for x < 1 and for a negative
  non-integer q with a non-integer x).
- The polynomials: their three-term recurrences (Abramowitz & Stegun 22.7), and for
  Chebyshev inside (-1, 1) beyond torch's degree thresholds the trigonometric closed forms
  (A&S 22.3.15-16; Mason & Handscomb for V and W), as torch switches; torch's values at
  x = +-1, for n < 0 (0), for a non-integer n (truncated).
- K0, K1: up to 1 their power series (A&S 9.6.13, 9.6.11 with the digamma values), above,
  the integral ``exp(x) K_nu(x) = int_0^inf exp(-x (cosh t - 1)) cosh(nu t) dt`` (A&S
  9.6.24) by the trapezoidal rule, exponentially accurate for this analytic, doubly
  exponentially decaying integrand (Trefethen & Weideman, SIAM Review 2014).
- I0, I1: engine/ops/special.py's series / asymptotic forms.

torch records no node for the Bessel functions and the polynomials (their results never
require grad); zeta records ``SpecialZetaBackward0/1/2``: its gradient in ``q`` is
``-x zeta(x + 1, q)``, in ``x`` torch's "the derivative for 'zeta' is not implemented."
float16 inputs raise torch's kernel errors.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

from .. import errors
from ..autograd import needs_grad, record
from ..dtypes import default_float
from ..tensor import Tensor, _wrap
from ._args import promote_args
from ._fma import libm
from .families import binary
from .pointwise import _invalid_combination, _no_kernel, _quiet
from .registry import register
from .special import _B, _EULER, _bessel
from .special_cephes import _result_dtype

_TWO_ARG = ("Tensor input, Tensor other, *, Tensor out = None",
            "Number self, Tensor other, *, Tensor out = None",
            "Tensor input, Number other, *, Tensor out = None")


def _is_number(v) -> bool:
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, Tensor)


# --------------------------------------------------------------------------- zeta
# (2j)! / B_2j, the Euler-Maclaurin tail's divisors, rounded once to float64
_ZETA_DIV = tuple(float(Fraction(math.factorial(2 * j)) / _B[2 * j]) for j in range(1, 13))
_MACHEP = 2.0 ** -53


def _zeta_array(xp, x, q, single: bool = False):
    """Hurwitz zeta ``sum_k (q + k)^-x`` for arrays ``x`` and ``q`` (float64), step for step
    as torch's (Cephes') loop, each element leaving it where torch's would: x == 1 is inf,
    x < 1 NaN, a pole of q (a non-positive integer, -inf too) inf, a negative q with a
    non-integer x NaN; then the direct terms ``(q + k)^-x`` (at least nine, until q + k
    passes 9), stopping as soon as a term is below 2^-53 of the sum (so a huge x stops at
    once: 1/inf/...); then Euler-Maclaurin's tail, up to twelve Bernoulli terms, stopping at
    the first one below 2^-53 of the sum. ``single``: float32 inputs, whose first power
    ``q^-x`` torch takes in float (``powf``); the rest of its loop runs in double."""
    x, q = xp.broadcast_arrays(xp.asarray(x, dtype=np.float64), xp.asarray(q, dtype=np.float64))
    x, q = x.copy(), q.copy()
    with np.errstate(all="ignore"):
        res = xp.full(x.shape, np.nan)
        pole = (q <= 0) & (q == xp.floor(q))
        res[x == 1] = np.inf
        live = (x != 1) & ~(x < 1)
        res[live & pole] = np.inf
        live &= ~pole & ~((q <= 0) & (x != xp.floor(x)))
        s = xp.where(live, q, 1.0) ** xp.where(live, -x, 0.0)
        if single:
            s = s.astype(np.float32).astype(np.float64)
        a = q.copy()
        b = xp.zeros_like(s)
        i = 0
        while True:  # the direct terms
            more = live & ((i < 9) | (a <= 9.0))
            if not more.any():
                break
            i += 1
            a = xp.where(more, a + 1.0, a)
            b = xp.where(more, xp.where(more, a, 1.0) ** xp.where(more, -x, 0.0), b)
            s = xp.where(more, s + b, s)
            stop = more & (-_MACHEP * s < b) & (b < _MACHEP * s)
            res[stop] = s[stop]
            live &= ~stop
            if i >= 1_000_000:  # (a q below -10^6: torch's loop would run on)
                break
        w = a
        s = xp.where(live, s + b * w / (x - 1.0), s)
        s = xp.where(live, s - 0.5 * b, s)
        a = xp.ones_like(s)
        k = 0.0
        for div in _ZETA_DIV:  # the tail
            a = a * (x + k)
            b = b / w
            t = a * b / div
            s = xp.where(live, s + t, s)
            stop = live & (xp.abs(t / s) < _MACHEP)
            res[stop] = s[stop]
            live &= ~stop
            k += 1.0
            a = a * (x + k)
            b = b / w
            k += 1.0
        res[live] = s[live]
    return res


def _zeta_fwd(xp, x, q):
    dt = next((a.dtype for a in (x, q) if hasattr(a, "dtype")), np.dtype(np.float64))
    if dt == np.float16:
        raise _no_kernel("zeta", xp, dt)
    return _zeta_array(xp, x, q, dt == np.float32).astype(dt)


def _zeta_no_derivative(g, *_):
    raise errors.KernelNotImplemented("the derivative for 'zeta' is not implemented.")


def _zeta_grad_q(g, x, q):
    # torch's: d/dq zeta(x, q) = -x zeta(x + 1, q), as grad * -x * zeta(x + 1, q)
    return g * -x * special_zeta(x + 1.0, q)


_zeta_values = binary("special_zeta", _quiet(_zeta_fwd), None, out="float", doc="",
                      inplace=False, public=False)


def _zeta_no_forward_ad(tangents):
    raise errors.KernelNotImplemented(
        "Trying to use forward AD with special_zeta that does not support it because it has "
        "not been implemented yet.\nPlease file an issue to PyTorch at "
        "https://github.com/pytorch/pytorch/issues/new?template=feature-request.yml so that we "
        "can prioritize its implementation or submit a PR adding the implementation to "
        "derivatives.yaml")


def special_zeta(input, other):
    """Elementwise Hurwitz zeta ``sum_k (other + k) ** -input``."""
    t_in, t_other = isinstance(input, Tensor), isinstance(other, Tensor)
    if not (t_in and (t_other or _is_number(other)) or _is_number(input) and t_other):
        raise _invalid_combination("special_zeta", (input, other), _TWO_ARG)
    out = _zeta_values(input, other)
    if needs_grad(*(a for a in (input, other) if isinstance(a, Tensor))):
        if t_in and t_other:
            record(out, "SpecialZetaBackward0", (_zeta_no_derivative, _zeta_grad_q),
                   (input, other), (input, other), jvp=_zeta_no_forward_ad)
        elif t_other:
            record(out, "SpecialZetaBackward1", (lambda g, q: _zeta_grad_q(g, input, q),),
                   (other,), (other,), jvp=_zeta_no_forward_ad)
        else:
            record(out, "SpecialZetaBackward2", (_zeta_no_derivative,), (input,), (),
                   jvp=_zeta_no_forward_ad)
    return out


# --------------------------------------------------------------------------- polynomials
_POLY_ARGS = ("Tensor x, Tensor n, *, Tensor out = None",
              "Number x, Tensor n, *, Tensor out = None",
              "Tensor x, Number n, *, Tensor out = None")


def _recurrence(xp, x, n, first, step):
    """``p_n(x)`` from ``p_0 = 1``, ``p_1 = first(x)`` and ``p_{k+1} = step(k, x, p_k,
    p_{k-1})``, elementwise for integer degrees ``n >= 0``; the loop stops early once every
    value left is no longer finite."""
    res = xp.where(n == 0, 1.0, first(x))
    top = int(n.max()) if n.size else 0
    p, q = xp.ones_like(x), first(x)
    for k in range(1, top):
        p, q = q, step(k, x, q, p)
        res = xp.where(n == k + 1, q, res)
        if k % 64 == 0:
            live = (n > k + 1) & xp.isfinite(q)
            if not live.any():
                res = xp.where(n > k + 1, xp.where(xp.isnan(q), np.nan, q), res)
                break
    return res


def _chebyshev(kind: str, threshold: int, shifted: bool):
    first = {"t": lambda x: x, "u": lambda x: x + x, "v": lambda x: x + x - 1.0,
             "w": lambda x: x + x + 1.0}[kind]

    def closed(x, n):
        th = libm("acos", x) if x.dtype == np.float64 else np.arccos(x)  # (torch's std::acos)
        if kind == "t":
            return np.cos(n * th)
        if kind == "u":
            s = np.sin(th)
            return np.where(s != 0, np.sin((n + 1) * th) / np.where(s != 0, s, 1.0),
                            (n + 1) * np.cos((n + 1) * th) / np.cos(th))
        if kind == "v":
            c = np.cos(th / 2)
            return np.where(c != 0, np.cos((n + 0.5) * th) / np.where(c != 0, c, 1.0),
                            (2 * n + 1) * np.where(n % 2, -1.0, 1.0))
        s = np.sin(th / 2)
        return np.where(s != 0, np.sin((n + 0.5) * th) / np.where(s != 0, s, 1.0), 2 * n + 1.0)

    def at_one(x, n):  # x = +1 or -1
        pos = x > 0
        odd = n % 2 == 1
        sign = np.where(pos | ~odd, 1.0, -1.0)
        if kind == "t":
            return sign
        if kind == "u":
            return sign * (n + 1)
        if kind == "v":
            return np.where(pos, 1.0, sign * (2 * n + 1))
        return np.where(pos, 2.0 * n + 1, sign)

    def fn(xp, x, n):
        if shifted:
            x = x + x - 1.0
        edge = np.abs(x) == 1
        inside = (np.abs(x) < 1) & (n > threshold)
        rec = _recurrence(xp, xp.where(edge | inside, 0.0, x), xp.where(edge | inside, 0, n),
                          first, lambda k, x, q, p: (x + x) * q - p)
        with np.errstate(all="ignore"):
            res = xp.where(inside, closed(xp.where(inside, x, 0.0), n), rec)
        return xp.where(edge, at_one(x, n), res)

    return fn


def _hermite_h(xp, x, n):
    return _recurrence(xp, x, n, lambda x: x + x, lambda k, x, q, p: (x + x) * q - 2.0 * k * p)


def _hermite_he(xp, x, n):
    return _recurrence(xp, x, n, lambda x: x, lambda k, x, q, p: x * q - k * p)


def _laguerre(xp, x, n):
    res = _recurrence(xp, x, n, lambda x: 1.0 - x,
                      lambda k, x, q, p: ((2.0 * k + 1.0 - x) * q - k * p) / (k + 1.0))
    return xp.where(x == 0, 1.0, res)


def _legendre(xp, x, n):
    res = _recurrence(xp, x, n, lambda x: x,
                      lambda k, x, q, p: ((2.0 * k + 1.0) * x * q - k * p) / (k + 1.0))
    edge = np.abs(x) == 1
    return xp.where(edge, xp.where((x > 0) | (n % 2 == 0), 1.0, -1.0), res)


def _polynomial(short: str, body):
    name = "special_" + short

    def fn(x, n):
        if not (isinstance(x, Tensor) and (isinstance(n, Tensor) or _is_number(n)) or
                _is_number(x) and isinstance(n, Tensor)):
            raise _invalid_combination(name, (x, n), _POLY_ARGS)
        dt = promote_args(x, n)
        if not dt.is_floating_point:
            dt = default_float()
        if dt.name == "float16":
            raise errors.KernelNotImplemented(errors.NOT_IMPLEMENTED_FOR.format(
                kernel=short + "_cpu", dtype=dt.scalar_name))
        dev = (x if isinstance(x, Tensor) else n).device
        xp = dev.xp
        xa = x._data if isinstance(x, Tensor) else np.asarray(x)
        na = n._data if isinstance(n, Tensor) else np.asarray(n)
        xa, na = xp.broadcast_arrays(xp.asarray(xa, dtype=np.float64), xp.asarray(na))
        with np.errstate(all="ignore"):
            # n as torch's kernels take it: cast to int64 (truncated; NaN is negative)
            nf = na.astype(np.float64)
            ni = xp.where(xp.isfinite(nf) & (nf > -1) & (nf < 2.0 ** 62), nf, -1).astype(np.int64)
            res = xp.where(ni < 0, 0.0, body(xp, xa, xp.maximum(ni, 0)))
        return _wrap(xp.asarray(res).astype(dt.np), dt, dev)

    fn.__name__ = fn.__qualname__ = short
    fn.__doc__ = f"Elementwise {short.replace('_', ' ')} of degree ``n`` at ``x``."
    return fn


_POLYNOMIALS = {
    "chebyshev_polynomial_t": _chebyshev("t", 6, False),
    "chebyshev_polynomial_u": _chebyshev("u", 8, False),
    "chebyshev_polynomial_v": _chebyshev("v", 8, False),
    "chebyshev_polynomial_w": _chebyshev("w", 8, False),
    "shifted_chebyshev_polynomial_t": _chebyshev("t", 6, True),
    "shifted_chebyshev_polynomial_u": _chebyshev("u", 6, True),
    "shifted_chebyshev_polynomial_v": _chebyshev("v", 6, True),
    "shifted_chebyshev_polynomial_w": _chebyshev("w", 6, True),
    "hermite_polynomial_h": _hermite_h,
    "hermite_polynomial_he": _hermite_he,
    "laguerre_polynomial_l": _laguerre,
    "legendre_polynomial_p": _legendre,
}


# --------------------------------------------------------------------------- Bessel
def _k_series(xp, x, order: int):
    """K0 or K1 for ``0 < x <= 1`` by their power series."""
    q = x * x / 4.0
    lg = xp.log(x / 2.0)
    if order == 0:
        # K0 = -(ln(x/2) + gamma) I0(x) + sum_k q^k / (k!)^2 H_k
        total = xp.zeros_like(x)
        term = xp.ones_like(x)
        harmonic = 0.0
        for k in range(1, 30):
            term = term * q / (k * k)
            harmonic += 1.0 / k
            total = total + term * harmonic
        return -(lg + _EULER) * _bessel(xp, x, 0, False) + total
    # K1 = 1/x + ln(x/2) I1(x) - (x/4) sum_k (psi(k+1) + psi(k+2)) q^k / (k! (k+1)!)
    total = xp.zeros_like(x)
    term = xp.ones_like(x)
    psi1, psi2 = -_EULER, 1.0 - _EULER
    for k in range(30):
        if k:
            term = term * q / (k * (k + 1))
            psi1 += 1.0 / k
            psi2 += 1.0 / (k + 1)
        total = total + term * (psi1 + psi2)
    return 1.0 / x + lg * _bessel(xp, x, 1, False) - (x / 4.0) * total


_K_NODES = np.arange(160.0)


def _k_scaled_integral(xp, x, order: int):
    """``exp(x) K_order(x)`` for ``x > 1``: the trapezoidal rule on
    ``int_0^inf exp(-x (cosh t - 1)) cosh(order t) dt``, with a step of 0.1 or, for large
    ``x`` (where the integrand narrows to a width of ``x^-1/2``), ``0.4 / sqrt(x)``: 160
    nodes reach past ``x (cosh t - 1) = 750`` either way."""
    shape = x.shape
    flat = x.reshape(-1, 1)
    h = xp.minimum(0.1, 0.4 / xp.sqrt(flat))
    t = xp.asarray(_K_NODES) * h
    weights = xp.where(t == 0, 0.5, 1.0) * (xp.cosh(order * t) if order else 1.0)
    half = xp.sinh(t / 2.0)
    vals = xp.exp(-flat * (2.0 * half * half)) * weights  # (cosh t - 1 without cancellation)
    return (vals.sum(axis=1) * h[:, 0]).reshape(shape)


def _bessel_k(xp, x, order: int, scaled: bool):
    pos = x > 0
    small = pos & (x <= 1.0)
    xs = xp.where(small, x, 1.0)
    series = _k_series(xp, xs, order)
    if scaled:
        series = series * xp.exp(xs)
    big = pos & (x > 1.0) & xp.isfinite(x)
    xb = xp.where(big, x, 3.0)
    integral = _k_scaled_integral(xp, xb, order)
    if not scaled:
        integral = integral * xp.exp(-xb)
    res = xp.where(small, series, integral)
    res = xp.where(x == np.inf, 0.0, res)
    res = xp.where(x == 0, np.inf, res)
    return xp.where((x < 0) | xp.isnan(x), np.nan, res)


def _spherical_j0(xp, x):
    ax = xp.abs(x)
    small = ax < 0.5
    xs = xp.where(small, x, 0.0)
    q = xs * xs
    # sin(x)/x = sum_k (-1)^k x^2k / (2k+1)!
    series = xp.zeros_like(x)
    for k in range(12, -1, -1):
        series = series * q + (-1.0) ** k / math.factorial(2 * k + 1)
    xl = xp.where(small | ~xp.isfinite(x), 1.0, x)
    res = xp.where(small, series, xp.sin(xl) / xl)
    return xp.where(xp.isinf(x), 0.0, xp.where(xp.isnan(x), np.nan, res))


_UNARY = {
    "modified_bessel_i0": ("input", lambda xp, a: _bessel(xp, a, 0, False)),
    "modified_bessel_i1": ("input", lambda xp, a: _bessel(xp, a, 1, False)),
    "modified_bessel_k0": ("input", lambda xp, a: _bessel_k(xp, a, 0, False)),
    "modified_bessel_k1": ("input", lambda xp, a: _bessel_k(xp, a, 1, False)),
    "scaled_modified_bessel_k0": ("x", lambda xp, a: _bessel_k(xp, a, 0, True)),
    "scaled_modified_bessel_k1": ("x", lambda xp, a: _bessel_k(xp, a, 1, True)),
    "spherical_bessel_j0": ("x", _spherical_j0),
}


def _unary(short: str, arg: str, body):
    def fn(input):
        dt = _result_dtype(short, arg, input)
        xp = input.device.xp
        with np.errstate(all="ignore"):
            res = body(xp, input._data.astype(np.float64))
        return _wrap(xp.asarray(res).astype(dt.np), dt, input.device)

    if arg == "x":  # (torch's keyword for these is ``x`` only)
        inner = fn

        def fn(x):
            return inner(x)

    fn.__name__ = fn.__qualname__ = short
    fn.__doc__ = f"Elementwise {short.replace('_', ' ')} (torch.special; no gradient)."
    return fn


def _register() -> None:
    register("special.zeta", special_zeta, kind="function",
             grad_fns=("SpecialZetaBackward0", "SpecialZetaBackward1", "SpecialZetaBackward2"))
    for short, body in _POLYNOMIALS.items():
        register("special." + short, _polynomial(short, body), kind="function",
                 differentiable=False)
    for short, (arg, body) in _UNARY.items():
        register("special." + short, _unary(short, arg, body), kind="function",
                 differentiable=False)


_register()
