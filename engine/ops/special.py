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
from ..autograd.graph import FW_ACTIVE
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




# --------------------------------------------------------------------------- the gamma family
def _bernoulli(n: int) -> list[Fraction]:
    """B_0 .. B_n (B_1 = -1/2), from the recurrence sum_k C(m+1, k) B_k = 0."""
    b = [Fraction(1)]
    for m in range(1, n + 1):
        b.append(-sum(Fraction(math.comb(m + 1, k)) * b[k] for k in range(m)) / (m + 1))
    return b


_B = _bernoulli(30)
_EULER = 0.57721566490153286061


def _zeta(xp, s: float, q):
    """Hurwitz zeta ``sum_k (q + k)^-s`` for a number ``s > 1`` and an array ``q`` (float64):
    terms summed until ``q + k`` passes 9 (at least 10 of them), then Euler-Maclaurin's tail
    with twelve Bernoulli terms. As torch: inf at non-positive integers ``q``, NaN at +inf."""
    q = xp.asarray(q, dtype=np.float64)
    pole = (q <= 0) & (q == xp.floor(q))
    safe = xp.where(pole | ~xp.isfinite(q), 1.0, q)
    total = xp.zeros_like(safe)
    a = safe.copy()
    steps = min(max(0, int(math.ceil(9.0 - float(safe.min()))) + 1), 100_000) if safe.size else 0
    for _ in range(steps):
        total = total + xp.where(a <= 9.0, a ** -s, 0.0)
        a = xp.where(a <= 9.0, a + 1.0, a)
    # a few more direct terms everywhere (at least 10 in all, as the tail assumes a > 9)
    for _ in range(10):
        total = total + a ** -s
        a = a + 1.0
    b = a ** -s  # (a^(1-s) as a^-s * a: it underflows to 0 where torch's does)
    tail = b * a / (s - 1.0) + 0.5 * b
    rising = 1.0  # s (s + 1) ... (s + 2j - 2)
    power = a ** -s / a  # a^(-s - 2j + 1) for j = 1
    for j in range(1, 13):
        rising = rising * (s + 2 * j - 2) if j == 1 else rising * (s + 2 * j - 3) * (s + 2 * j - 2)
        tail = tail + float(_B[2 * j] / math.factorial(2 * j)) * rising * power
        power = power / (a * a)
    res = total + tail
    res = xp.where(pole | (q == -np.inf), np.inf, res)
    return xp.where(xp.isnan(q) | (q == np.inf), np.nan, res)


def _lgamma_series(xp, e):
    """``lgamma(2 + e) = (1 - gamma) e + sum_k (-1)^k (zeta(k) - 1) e^k / k`` for
    ``|e| <= 1/2`` (its terms fall as 4^-k)."""
    total = xp.zeros_like(e)
    for k in range(40, 1, -1):
        total = (total + _ZETA_M1[k] * (-1) ** k / k) * e
    return (total + (1.0 - _EULER)) * e


_ZETA_M1 = {k: float(_zeta(np, float(k), np.array([2.0]))[0]) for k in range(2, 41)}
_LN_2PI_HALF = 0.5 * math.log(2 * math.pi)


def _lgamma_positive(xp, x):
    """lgamma of finite ``x > 0`` (float64)."""
    # [1/2, 3/2): lgamma(1 + e) = lgamma(2 + e) - log1p(e), e = x - 1 exact here
    mid = (x >= 0.5) & (x < 1.5)
    e = xp.where(mid, x - 1.0, 0.0)
    out = xp.where(mid, _lgamma_series(xp, e) - xp.log1p(e), 0.0)
    # (0, 1/2): lgamma(x) = lgamma(2 + x) - log1p(x) - log(x)
    low = x < 0.5
    xl = xp.where(low, x, 0.25)
    out = xp.where(low, _lgamma_series(xp, xl) - xp.log1p(xl) - xp.log(xl), out)
    # [1.5, 10): down to [1.5, 2.5) by lgamma(x) = lgamma(x - n) + log((x-1)...(x-n))
    shift = (x >= 1.5) & (x < 10.0)
    y = xp.where(shift, x, 2.0)
    prod = xp.ones_like(y)
    for _ in range(9):
        down = y >= 2.5
        y = xp.where(down, y - 1.0, y)
        prod = xp.where(down, prod * y, prod)
    out = xp.where(shift, _lgamma_series(xp, y - 2.0) + xp.log(prod), out)
    # [10, inf): Stirling's series
    big = x >= 10.0
    z = xp.where(big, x, 10.0)
    inv, inv2 = 1.0 / z, 1.0 / (z * z)
    series = xp.zeros_like(z)
    for k in range(8, 0, -1):
        series = series * inv2 + float(_B[2 * k] / (2 * k * (2 * k - 1)))
    stirling = (z - 0.5) * xp.log(z) - z + _LN_2PI_HALF + series * inv
    return xp.where(big, stirling, out)


def _lgamma(xp, x):
    """lgamma in float64: series about 2 below 10, Stirling above, reflection for negative
    ``x``; +inf at 0, at the negative integers and at +-inf."""
    finite = xp.isfinite(x)
    pole = (x <= 0) & (x == xp.floor(x))
    pos = xp.where(finite & (x > 0), x, 1.0)
    res = _lgamma_positive(xp, pos)
    neg = finite & (x < 0) & ~pole
    xn = xp.where(neg, x, -0.5)
    r = xn - xp.rint(xn)  # exact: |sin(pi x)| = |sin(pi r)|
    refl = xp.log(math.pi / xp.abs(xp.sin(math.pi * r))) - _lgamma_positive(xp, 1.0 - xn)
    res = xp.where(neg, refl, res)
    res = xp.where(pole | xp.isinf(x), np.inf, res)
    return xp.where(xp.isnan(x), np.nan, res)


def _digamma(xp, x):
    """digamma as torch computes it: reflection below 0 (``- pi / tan(pi r)``, ``r`` the
    fractional part), up to 10 by ``psi(x) = psi(x + 1) - 1 / x``, then the asymptotic series
    with the Bernoulli numbers to B_14; -inf/+inf at +-0 (by the zero's sign), NaN at the
    negative integers and -inf."""
    neg = x < 0
    r = x - xp.trunc(x)
    y = xp.where(neg, 1.0 - x, x)
    shift = xp.zeros_like(y)
    for _ in range(10):
        low = y < 10.0
        shift = xp.where(low, shift - 1.0 / y, shift)
        y = xp.where(low, y + 1.0, y)
    z = 1.0 / (y * y)
    poly = xp.zeros_like(y)
    for k in range(7, 0, -1):
        poly = poly * z + float(_B[2 * k] / (2 * k))
    res = shift + xp.log(y) - 0.5 / y - xp.where(y < 1e17, z * poly, 0.0)
    res = xp.where(neg, res - math.pi / xp.tan(math.pi * r), res)
    res = xp.where(neg & (x == xp.trunc(x)), np.nan, res)
    return xp.where(x == 0, xp.copysign(np.inf, -x), res)


def _trigamma(xp, x):
    """polygamma(1, x) as torch computes it (its values differ from the true ones by up to
    about 5e-10 relative: six recurrence steps, then three terms of the asymptotic series)."""
    refl = x < 0.5
    s = xp.sin(math.pi * x)
    res = xp.where(refl, -(math.pi * math.pi) / (s * s), 0.0)
    y = xp.where(refl, 1.0 - x, x)
    for _ in range(6):
        res = res + 1.0 / (y * y)
        y = y + 1.0
    ixx = 1.0 / (y * y)
    res = res + (1.0 + 1.0 / (2.0 * y) + ixx * (1.0 / 6.0 - ixx * (1.0 / 30.0 - ixx / 42.0))) / y
    return xp.where(refl, -res, res)


def _polygamma_array(xp, n: int, x):
    if n == 0:
        return _digamma(xp, x)
    if n == 1:
        return _trigamma(xp, x)
    factor = (1.0 if n % 2 else -1.0) * math.exp(math.lgamma(n + 1.0))
    return factor * _zeta(xp, float(n + 1), x)


lgamma = unary("lgamma", _f64(_lgamma), lambda g, x: g * x.digamma(),
               doc="Elementwise log of the absolute value of the gamma function.")
digamma = unary("digamma", _f64(_digamma), lambda g, x: g * polygamma(1, x),
                doc="Elementwise logarithmic derivative of the gamma function (psi).")


def _int_arg(fn: str, arg: str, pos: int, value) -> int:
    if type(value) is bool or not isinstance(value, (int, np.integer)):
        raise errors.EngineTypeError(
            f"{fn}(): argument '{arg}' (position {pos}) must be int, not "
            f"{'Tensor' if isinstance(value, Tensor) else type(value).__name__}")
    return int(value)


_polygamma_forwards: dict = {}


def _polygamma_forward(n: int, node: str):
    """The elementwise op ``polygamma(n, .)`` (one per order, made once)."""
    key = (n, node)
    fwd = _polygamma_forwards.get(key)
    if fwd is None:
        fwd = _polygamma_forwards[key] = _unary_private(
            "polygamma", _f64(lambda xp, a: _polygamma_array(xp, n, a)),
            lambda g, x: g * polygamma(n + 1, x), node)
    return fwd


def _unary_private(name: str, fwd, grad, node: str):
    """An elementwise op built as ``unary`` builds one, without a table entry."""
    from ..autograd.forward_ad import elementwise_rules
    from ..dtypes import DEFAULT_FLOAT
    from ..tensor import _wrap

    rule = elementwise_rules((grad,))

    def forward(input):
        dt = input.dtype if input.dtype.is_floating_point else DEFAULT_FLOAT
        arr = input._data if input.dtype.is_floating_point else input._data.astype(dt.np)
        res = fwd(input.device.xp, arr)
        out = _wrap(res.astype(dt.np, copy=False), dt, input.device)
        if input.requires_grad and is_grad_enabled() or FW_ACTIVE[0]:
            record(out, node, rule, (input,), (input,))
        return out

    forward.__name__ = forward.__qualname__ = name
    return forward


def polygamma(n, input):
    """Elementwise ``n``-th derivative of digamma (``polygamma(0, x)`` is ``digamma(x)``)."""
    n = _int_arg("polygamma", "n", 1, n)
    if not isinstance(input, Tensor):
        raise errors.EngineTypeError(
            f"polygamma(): argument 'input' (position 2) must be Tensor, not "
            f"{type(input).__name__}")
    if n < 0:
        raise errors.EngineRuntimeError("polygamma(n, x) does not support negative n.")
    return _polygamma_forward(n, "PolygammaBackward0")(input)


def _polygamma_method(self, n):
    return polygamma(n, self)


def _polygamma_(self, n):
    from .families import apply_inplace, check_inplace

    n = _int_arg("polygamma_", "n", 1, n)
    if n < 0:
        raise errors.EngineRuntimeError("polygamma(n, x) does not support negative n.")
    check_inplace(self)
    return apply_inplace(self, _polygamma_forward(n, "PolygammaBackward1")(self))


_polygamma_method.__name__ = _polygamma_method.__qualname__ = "polygamma"
_polygamma_.__name__ = _polygamma_.__qualname__ = "polygamma_"
register("polygamma", polygamma, kind="function",
         grad_fns=("PolygammaBackward0", "PolygammaBackward1"))
Tensor.polygamma = _polygamma_method
register("polygamma_", _polygamma_, doc="In-place version of polygamma.", kind="method")


_LOG_PI = math.log(math.pi)


def mvlgamma(input, p):
    """Elementwise multivariate log-gamma of dimension ``p``:
    ``p (p - 1) / 4 log(pi) + sum_{j < p} lgamma(input - j / 2)``."""
    from ..dtypes import DEFAULT_FLOAT
    from ..tensor import _wrap

    if not isinstance(input, Tensor):
        raise errors.EngineTypeError(
            f"mvlgamma(): argument 'input' (position 1) must be Tensor, not "
            f"{type(input).__name__}")
    p = _int_arg("mvlgamma", "p", 2, p)
    if p < 1:
        raise errors.EngineRuntimeError("p has to be greater than or equal to 1")
    dt = input.dtype if input.dtype.is_floating_point else DEFAULT_FLOAT
    xp = input.device.xp
    offsets = _mvlgamma_offsets(p)
    with np.errstate(all="ignore"):
        args = input._data.astype(np.float64)[..., None] + xp.asarray(offsets)
        res = _lgamma(xp, args).sum(-1) + p * (p - 1) * _LOG_PI / 4
    out = _wrap(xp.asarray(res).astype(dt.np), dt, input.device)
    if input.requires_grad and is_grad_enabled() or FW_ACTIVE[0]:
        record(out, "MvlgammaBackward0", (lambda g, x: _mvlgamma_grad(g, x, p),), (input,),
               (input,))
    return out


def _mvlgamma_offsets(p: int) -> np.ndarray:
    return np.arange(-p / 2 + 0.5, 0.5, 0.5)


def _mvlgamma_grad(g: Tensor, x: Tensor, p: int) -> Tensor:
    from .creation import tensor as make

    offsets = make(_mvlgamma_offsets(p), dtype=x.dtype, device=x.device)
    return g * (offsets + x.unsqueeze(-1)).digamma().sum(-1)


register("mvlgamma", mvlgamma, grad_fns=("MvlgammaBackward0",))


def _mvlgamma_(self, p):
    from .families import apply_inplace, check_inplace

    check_inplace(self)
    return apply_inplace(self, mvlgamma(self, p))


_mvlgamma_.__name__ = _mvlgamma_.__qualname__ = "mvlgamma_"
register("mvlgamma_", _mvlgamma_, doc="In-place version of mvlgamma.", kind="method")
