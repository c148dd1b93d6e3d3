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
from ..autograd.graph import FW_ACTIVE, rename
from ..modes import is_grad_enabled, no_grad
from ..tensor import Tensor
from .bessel_i import bessel_i
from .families import inplace_twin, unary
from .memory_format import as_row_major
from .pointwise import _erf, _no_kernel, _quiet, add_scalar, libc_log1p_array
from .registry import OPS, _called_as, register

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
    """``t * c`` as torch's C++ formulas scale by a double (``mul(Tensor, Scalar)``): the
    node is ``MulBackward1``, and its own backward scales the same way."""
    with no_grad():
        out = t * c
    if t.requires_grad and is_grad_enabled() or FW_ACTIVE[0]:
        record(out, "MulBackward1", (lambda g: _smul(g, c),), (t,))
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
              lambda g, x: g * (x * x - 1).rsqrt(),  # (torch's formula: self * self)
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
    from ..dtypes import default_float
    from ..tensor import _wrap

    rule = elementwise_rules((grad,))

    def forward(input):
        dt = input.dtype if input.dtype.is_floating_point else default_float()
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
    from ..dtypes import default_float
    from ..tensor import _wrap

    if not isinstance(input, Tensor):
        raise errors.EngineTypeError(
            f"mvlgamma(): argument 'input' (position 1) must be Tensor, not "
            f"{type(input).__name__}")
    p = _int_arg("mvlgamma", "p", 2, p)
    _mvlgamma_check(input, p)
    dt = input.dtype if input.dtype.is_floating_point else default_float()
    xp = input.device.xp
    offsets = _mvlgamma_offsets(p)
    with np.errstate(all="ignore"):
        args = input._data.astype(np.float64)[..., None] + xp.asarray(offsets)
        res = _lgamma(xp, args).sum(-1) + p * (p - 1) * _LOG_PI / 4
    out = _wrap(as_row_major(xp.asarray(res).astype(dt.np)), dt, input.device)  # (torch's)
    if input.requires_grad and is_grad_enabled() or FW_ACTIVE[0]:
        record(out, "MvlgammaBackward0", (lambda g, x: _mvlgamma_grad(g, x, p),), (input,),
               (input,))
    return out


def _mvlgamma_check(input: Tensor, p: int) -> None:
    if input.dtype.name == "bool":
        raise errors.EngineRuntimeError("The input tensor may not be a boolean tensor.")
    if p < 1:
        raise errors.EngineRuntimeError("p has to be greater than or equal to 1")


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
    if isinstance(self, Tensor) and not isinstance(p, bool) and isinstance(p, int):
        _mvlgamma_check(self, p)
        if not self.dtype.is_floating_point:  # (torch's text names the types this way round)
            raise errors.EngineRuntimeError(
                f"mvlgamma: result type {self.dtype.scalar_name} can't be cast to the "
                "desired output type Float")
    return apply_inplace(self, mvlgamma(self, p))


_mvlgamma_.__name__ = _mvlgamma_.__qualname__ = "mvlgamma_"
register("mvlgamma_", _mvlgamma_, doc="In-place version of mvlgamma.", kind="method")


# --------------------------------------------------------------------------- Bessel I0, I1
_BESSEL_SWITCH = 22.0  # below: the power series; above: the asymptotic one


def _bessel_series(xp, x, order: int):
    """``I_order(x)`` (order 0 or 1) by its power series (all terms positive), in Horner's
    form from the 60th term down."""
    q = x * x / 4.0
    total = xp.ones_like(x)
    for k in range(60, 0, -1):
        total = 1.0 + total * (q / (k * (k + order)))
    return total if order == 0 else total * (x / 2.0)


def _bessel_asymptotic_scaled(xp, ax, order: int):
    """``exp(-x) I_order(x)`` for large ``x > 0``: ``(2 pi x)^-1/2 sum_k a_k / x^k``,
    ``a_k = (-1)^k prod_{j <= k} (4 order^2 - (2j - 1)^2) / (k! 8^k)``."""
    mu = 4.0 * order * order
    coef = 1.0
    total = xp.ones_like(ax)
    power = xp.ones_like(ax)
    for k in range(1, 40):
        coef = coef * -(mu - (2 * k - 1) ** 2) / (k * 8.0)
        power = power / ax
        total = total + coef * power
    return total / xp.sqrt(2.0 * math.pi * ax)


def _bessel_forward(order: int, scaled: bool):
    """The forward of ``i0``/``i0e``/``i1``/``i1e``: on the host torch's Cephes kernels
    (``bessel_i``: float32 in float32, float16 through float32), else the series below in
    float64."""
    def run(xp, a):
        if xp is np and type(a) is np.ndarray:
            return bessel_i(a if a.dtype == np.float64 else a.astype(np.float32), order, scaled)
        with np.errstate(all="ignore"):
            return _bessel(xp, a.astype(np.float64, copy=False), order, scaled)
    return run


def _bessel(xp, x, order: int, scaled: bool):
    """``I_order(x)``, or ``exp(-|x|) I_order(x)`` when ``scaled`` (float64)."""
    ax = xp.abs(x)
    small = ax < _BESSEL_SWITCH
    xs = xp.where(small, x, 0.0)
    series = _bessel_series(xp, xs, order)
    if scaled:
        series = series * xp.exp(-xp.abs(xs))
    big = xp.where(small | ~xp.isfinite(ax), _BESSEL_SWITCH, ax)
    asym = _bessel_asymptotic_scaled(xp, big, order)
    if not scaled:
        asym = asym * xp.exp(big)
    if order == 1:
        asym = xp.copysign(asym, x)
    res = xp.where(small, series, asym)
    if order == 1:
        res = xp.where(x == 0, 0.0, res)  # +0 for -0. too, as torch's
    if scaled:
        res = xp.where(xp.isinf(x), xp.copysign(0.0, x) if order else 0.0, res)
    else:
        res = xp.where(xp.isinf(x), np.nan, res)  # (torch's: inf * 0 in its series)
    return xp.where(xp.isnan(x), np.nan, res)


# (torch's C++ evaluates a binary operator's operands right to left, so the nodes of its
# formulas are made right operand first; backward runs the node made last first, which decides
# the sign a zero gradient (sgn's) leaves in second derivatives)
def _i1_rule(g, x, out):
    # torch's i1_backward: i0(x) - i1(x) / x, 0.5 where |x| <= eps (the limit at 0)
    def formula(s, o):
        right = o * s.reciprocal()
        return s.i0() - right
    return _bessel_rule(g, x, out, formula, "i1_backward")


def _i1e_rule(g, x, out):
    def formula(s, o):
        right = s.reciprocal()
        right = o * (s.sgn() + right)
        return special_i0e(s) - right
    return _bessel_rule(g, x, out, formula, "i1e_backward")


def _i0e_rule(g, x, out):
    right = x.sgn() * out
    return g * (special_i1e(x) - right)


def _bessel_rule(g, x, out, formula, kernel: str):
    from .pointwise import where

    if x.dtype.name == "float16":  # torch has no half kernel for these backwards
        raise errors.KernelNotImplemented(errors.NOT_IMPLEMENTED_FOR.format(
            kernel=kernel, dtype="Half"))
    eps = float(np.finfo(x.dtype.np).eps)
    not_tiny = x.abs() > eps
    safe = where(not_tiny, x, eps)
    return g * where(not_tiny, formula(safe, out), 0.5)


i0 = unary("i0", _bessel_forward(0, False),
           lambda g, x: g * special_i1(x),
           doc="Elementwise modified Bessel function of the first kind, order 0.")
special_i0e = unary("special_i0e", _bessel_forward(0, True),
                    _i0e_rule,
                    save=("input", "out"), kind="function", inplace=False,
                    node="SpecialI0EBackward0",
                    doc="Elementwise exponentially scaled Bessel I0: ``exp(-|x|) i0(x)``.")
special_i1 = unary("special_i1", _bessel_forward(1, False), _i1_rule,
                   save=("input", "out"), kind="function", inplace=False,
                   doc="Elementwise modified Bessel function of the first kind, order 1.")
special_i1e = unary("special_i1e", _bessel_forward(1, True), _i1e_rule,
                    save=("input", "out"), kind="function", inplace=False,
                    node="SpecialI1EBackward0",
                    doc="Elementwise exponentially scaled Bessel I1: ``exp(-|x|) i1(x)``.")


# --------------------------------------------------------------------------- erfcx, ndtr ...
def _no_half(kernel: str, fn):
    """A forward torch has no float16 kernel for (its error)."""

    def run(xp, a):
        if a.dtype == np.float16:
            raise _no_kernel(kernel.removesuffix("_cpu"), xp, a.dtype)
        return fn(xp, a)

    return run


def _split(xp, x):
    """``x = hi + lo`` with ``hi`` of 26 significant bits (``hi * hi`` is exact)."""
    c = x * 134217729.0
    hi = c - (c - x)
    return hi, x - hi


def _erfcx(xp, x):
    """``exp(x^2) erfc(x)``: the continued fraction from 5 on, else erfc times ``exp(x^2)``
    (x^2 split so that the exponent carries no rounding); ``2 exp(x^2) - erfcx(-x)`` below
    0, with ``x^2`` rounded there as torch rounds it (its values carry that error, up to
    ~2 x^2 ulp)."""
    ax = xp.abs(x)
    big = xp.where(ax >= 5.0, ax, 5.0)
    frac = big.copy()
    for k in range(60, 0, -1):
        frac = big + (k / 2.0) / frac
    cf = 1.0 / (_SQRT_PI * frac)
    small = xp.where(ax < 5.0, ax, 0.0)
    hi, lo = _split(xp, small)
    mid = _erfc(xp, small) * xp.exp(hi * hi) * xp.exp(2.0 * hi * lo + lo * lo)
    pos = xp.where(ax >= 5.0, cf, mid)
    xn = xp.where(xp.isfinite(x), x, 0.0)
    res = xp.where(x < 0, 2.0 * xp.exp(xn * xn) - pos, pos)  # (x * x rounded, as torch's)
    res = xp.where(x == np.inf, 0.0, xp.where(x == -np.inf, np.inf, res))
    return xp.where(xp.isnan(x), np.nan, res)


def _erfcinv(xp, z):
    """The ``x`` with ``erfc(x) = z`` for ``z`` in (0, 1] (float64): Winitzki's guess, then
    Halley steps on erfc, in relative terms (so tiny ``z`` keeps its digits)."""
    w = -xp.log(z * (2.0 - z))
    a = 0.147
    b = 2 / (math.pi * a) - w / 2
    x = xp.sqrt(xp.sqrt(b * b + w / a) - b)
    log_z = xp.log(z)
    for _ in range(5):
        # r = (erfc(x) - z) / erfc'(x), with z e^{x^2} as exp(log z + x^2)
        r = -(_SQRT_PI / 2.0) * (_erfc(xp, x) / z - 1.0) * xp.exp(log_z + x * x)
        x = x - r / (1 + x * r)
    return x


def _ndtri(xp, p):
    """The standard normal quantile: ``sqrt(2) erfinv(2p - 1)`` in the middle (2p - 1 is
    exact there), ``-sqrt(2) erfcinv(2p)`` from the nearer tail."""
    central = (p > 0.25) & (p < 0.75)
    mid = math.sqrt(2.0) * _erfinv(xp, xp.where(central, 2.0 * p - 1.0, 0.0))
    lower = p < 0.5
    z = xp.where(lower, 2.0 * p, 2.0 - 2.0 * p)  # in (0, 1]: exact
    inside = (p > 0) & (p < 1)
    x = _erfcinv(xp, xp.where(inside, z, 1.0))
    res = xp.where(lower, -x, x) * math.sqrt(2.0)
    res = xp.where(p == 0, -np.inf, xp.where(p == 1, np.inf, res))
    res = xp.where(central, mid, res)
    return xp.where(inside | (p == 0) | (p == 1), res, np.nan)


_SQRT1_2 = math.sqrt(0.5)


def _log_ndtr(xp, x):
    t = x * _SQRT1_2  # (erfc's argument rounded as torch's: its error grows as 2 t^2)
    low = x < -1.0
    tl = xp.where(low, t, -1.0)
    left = xp.log(_erfcx(xp, -tl) / 2.0) - tl * tl
    right = xp.log1p(-_erfc(xp, xp.where(low, 0.0, t)) / 2.0)
    return xp.where(low, left, right)


def _entr(xp, x):
    res = -x * xp.log(xp.where(x > 0, x, 1.0))
    res = xp.where(x == 0, 0.0, xp.where(x < 0, -np.inf, res))
    return xp.where(xp.isnan(x), np.nan, res)


_SQRT_2PI = math.sqrt(2.0 * math.pi)
special_erfcx = unary("special_erfcx", _no_half("erfcx_cpu", _f64(_erfcx)),
                      lambda g, x, out: (_smul(x, 2.0) * out - 2.0 / _SQRT_PI) * g,
                      save=("input", "out"), kind="function", inplace=False,
                      doc="Elementwise scaled complementary error function "
                          "``exp(input^2) erfc(input)``.")
special_ndtri = unary("special_ndtri", _no_half("ndtri_cpu", _f64(_ndtri)),
                      lambda g, out: _smul(g, _SQRT_2PI) * (out.square() / 2).exp(),
                      save=("out",), kind="function", inplace=False,
                      doc="Elementwise inverse of the standard normal CDF.")
special_log_ndtr = unary("special_log_ndtr", _no_half("log_ndtr_cpu", _f64(_log_ndtr)),
                         lambda g, x, out: g / _SQRT_2PI * (out + x.pow(2) / 2).neg().exp(),
                         save=("input", "out"), kind="function", inplace=False,
                         doc="Elementwise log of the standard normal CDF, accurate in its "
                             "left tail.")
special_entr = unary("special_entr", _f64(_entr), lambda g, x: g * (-(1 + x.log())),
                     kind="function", inplace=False,
                     doc="Elementwise entropy term ``-x log(x)`` (0 at 0, -inf below).")


def special_ndtr(input):
    """Elementwise standard normal CDF ``(1 + erf(input / sqrt(2))) / 2``."""
    if not isinstance(input, Tensor):
        raise errors.EngineTypeError(
            "special_ndtr(): argument 'input' (position 1) must be Tensor, not "
            f"{type(input).__name__}")
    # torch's composite, node for node: mul(Tensor, Scalar), erf, add(Tensor, Scalar), mul
    half = add_scalar(_smul(input, _SQRT1_2).erf(), 1)
    return _smul(half, 0.5)


def _renamed(t: Tensor, name: str) -> Tensor:
    if t.grad_fn is not None:
        rename(t.grad_fn, name)
    return t


register("special_ndtr", special_ndtr, kind="function",
         grad_fns=("MulBackward1",))


# --------------------------------------------------------------------------- xlog1py
def _xlog1py_fwd(xp, x, y):
    # 0 * log1p(y) is 0 (even for y = -1 or inf), but a NaN y stays NaN
    return xp.where((x == 0) & ~xp.isnan(y), 0, x * libc_log1p_array(xp, y))


def _xlog1py_grad_self(g, x, y):
    return special_xlog1py(g, y).masked_fill((x == 0) & (y <= -1), 0.0)


def _xlog1py_grad_other(g, x, y):
    return g * x / (y + 1)


def _xlog1py_grad_self_number(g, x, y):
    out = special_xlog1py(g, y)
    return out.masked_fill(x == 0, 0.0) if y <= -1 else out


def _xlog1py_ops():
    from .families import binary
    from .pointwise_extra import _opmath

    fwd = _opmath(_xlog1py_fwd)
    return tuple(binary("special_xlog1py", fwd, grads, out="float",
                        node=f"SpecialXlog1PyBackward{i}", doc="", inplace=False, public=False,
                        number_edges=False)
                 for i, grads in enumerate(((_xlog1py_grad_self, _xlog1py_grad_other),
                                            (None, _xlog1py_grad_other),
                                            (_xlog1py_grad_self_number, None))))


_xlog1py0, _xlog1py1, _xlog1py2 = _xlog1py_ops()


def special_xlog1py(input, other):
    """Elementwise ``input * log1p(other)``, 0 where ``input`` is 0 (unless ``other`` is
    NaN)."""
    if isinstance(input, Tensor):
        return _xlog1py0(input, other) if isinstance(other, Tensor) else \
            _xlog1py2(input, other)
    if isinstance(other, Tensor):
        return _xlog1py1(input, other)
    from .pointwise import _invalid_combination

    raise _invalid_combination("special_xlog1py", (input, other), (
        "Tensor input, Tensor other, *, Tensor out = None",
        "Number self, Tensor other, *, Tensor out = None",
        "Tensor input, Number other, *, Tensor out = None"))


register("special_xlog1py", special_xlog1py, kind="function",
         grad_fns=("SpecialXlog1PyBackward0", "SpecialXlog1PyBackward1",
                   "SpecialXlog1PyBackward2"))


# --------------------------------------------------------------------------- torch.special
def _special_round(input, *, decimals=0):
    """``torch.special.round``: ``round`` whose node is torch's ``RoundBackward1`` (the
    ``decimals`` overload) even for 0 decimals, and which, as that overload, refuses integer
    inputs."""
    if not isinstance(input, Tensor):
        raise errors.EngineTypeError(
            "special_round(): argument 'input' (position 1) must be Tensor, not "
            f"{type(input).__name__}")
    if decimals == 0 and not input.dtype.is_floating_point:
        raise errors.KernelNotImplemented(errors.NOT_IMPLEMENTED_FOR.format(
            kernel="round_vml_cpu",
            dtype=_scalar_label(input.dtype)))
    return _renamed(OPS["round"].fn(input, decimals=decimals), "RoundBackward1")


def _scalar_label(dt) -> str:

    return dt.scalar_name


def _special_softmax(name: str):
    fn = OPS[name].fn

    def call(input, dim=None, *, dtype=None, **_given):
        if not isinstance(input, Tensor):
            raise errors.EngineTypeError(
                f"special_{name}(): argument 'input' (position 1) must be Tensor, not "
                f"{type(input).__name__}")
        if dim is None:
            raise errors.EngineTypeError(
                f'special_{name}() missing 1 required positional arguments: "dim"')
        return fn(input, dim, dtype=dtype, **_given)

    call.__name__ = call.__qualname__ = name
    call.__doc__ = fn.__doc__
    return call


# torch.special.X -> the table's op it computes (torch.special's own functions name
# themselves ``special_X`` in their argument errors)
SPECIAL = {
    "expit": "sigmoid", "logit": "logit", "xlogy": "xlogy", "xlog1py": "special_xlog1py",
    "gammaln": "lgamma", "digamma": "digamma", "psi": "digamma", "polygamma": "polygamma",
    "multigammaln": "mvlgamma", "i0": "i0", "i0e": "special_i0e", "i1": "special_i1",
    "i1e": "special_i1e", "ndtr": "special_ndtr", "ndtri": "special_ndtri",
    "log_ndtr": "special_log_ndtr", "erf": "erf", "erfc": "erfc", "erfcx": "special_erfcx",
    "erfinv": "erfinv", "entr": "special_entr", "sinc": "sinc", "expm1": "expm1",
    "exp2": "exp2", "log1p": "log1p", "logsumexp": "logsumexp",
}


def _register_special() -> None:
    for short, target in SPECIAL.items():
        # torch has no ``torch.special_i0e``: such ops live in the table as special.X only
        d = OPS.pop(target) if target.startswith("special_") else OPS[target]
        fn = d.fn if target.startswith("special_") else _called_as(
            d.fn, target, "special_" + short)
        register("special." + short, fn, doc=d.doc, differentiable=d.differentiable,
                 kind="function", grad_fns=d.grad_fns)
    register("special.round", _called_as(_special_round, "round", "special_round"),
             doc=OPS["round"].doc, kind="function", grad_fns=("RoundBackward1",))
    for name in ("softmax", "log_softmax"):
        d = OPS[name]
        register("special." + name, _called_as(_special_softmax(name), name,
                                               "special_" + name),
                 doc=d.doc, kind="function", grad_fns=d.grad_fns)


_register_special()
