"""torch's reparameterized gradients of gamma and Dirichlet draws, approximated as torch's
kernels approximate them (``_standard_gamma_grad``, ``_dirichlet_grad``)."""

from __future__ import annotations

import numpy as np

_PSI_10 = 2.25175258906672110764
_PSI_ASYMPTOTIC = (8.33333333333333333333e-2, -2.10927960927960927961e-2,
                   7.57575757575757575758e-3, -4.16666666666666666667e-3,
                   3.96825396825396825397e-3, -8.33333333333333333333e-3,
                   8.33333333333333333333e-2)


def digamma_series(x: np.ndarray) -> np.ndarray:
    """The digamma function as torch's distribution kernels compute it, for positive ``x``:
    shifted past 10 by the recurrence, then the asymptotic series (Cephes' psi). The shifts,
    ``log`` and ``0.5 / x`` run in ``x``'s dtype and the sums in float64; the result has
    ``x``'s dtype."""
    dt = np.asarray(x).dtype.type
    x = np.array(x, dtype=dt, copy=True)
    acc = np.zeros(x.shape)
    low = x < 10
    while low.any():
        acc[low] -= (dt(1) / x[low]).astype(np.float64)
        x[low] += dt(1)
        low = x < 10
    z = 1.0 / (x * x).astype(np.float64)
    poly = np.zeros(x.shape)
    for c in _PSI_ASYMPTOTIC:
        poly = poly * z + c
    tail = np.where(x < 1e17, z * poly, 0.0)
    with np.errstate(divide="ignore"):
        out = acc + np.log(x).astype(np.float64) - (dt(0.5) / x).astype(np.float64) - tail
    return np.where(x == 10, acc + _PSI_10, out).astype(dt)


def standard_gamma_grad(alpha: np.ndarray, x: np.ndarray) -> np.ndarray:
    """``dx/dalpha`` of Gamma(alpha, 1) draws ``x`` (float64), by torch's three
    approximations: the incomplete gamma function's Taylor series (six terms) below x = 0.8,
    Rice's saddle-point expansion for alpha above 8, a bivariate rational fit in
    (log(x / alpha), log alpha) otherwise."""
    a = np.asarray(alpha, dtype=np.float64)
    x = np.asarray(x, dtype=np.float64)
    a, x = np.broadcast_arrays(a, x)
    out = np.empty(a.shape)
    with np.errstate(all="ignore"):
        small = x < 0.8
        if small.any():
            out[small] = _gamma_grad_small_x(a[small], x[small])
        rest = ~small
        large = rest & (a > 8.0)
        if large.any():
            out[large] = _gamma_grad_large_alpha(a[large], x[large])
        mid = rest & ~large
        if mid.any():
            out[mid] = _gamma_grad_rational(a[mid], x[mid])
    return out


def _gamma_grad_small_x(a, x):
    # P(a, x) = x^a sum_k (-x)^k / (k! (a + k)); its a-derivative differentiates each 1/(a+k)
    term = np.ones_like(x)
    denom = a.copy()
    s1 = term / denom
    s2 = term / (denom * denom)
    for k in range(1, 6):
        term = term * (-x / k)
        denom = denom + 1
        s1 = s1 + term / denom
        s2 = s2 + term / (denom * denom)
    x_pow_a = np.power(x, a)
    density = np.power(x, a - 1) * np.exp(-x)
    cdf = x_pow_a * s1
    d_cdf = (np.log(x) - digamma_series(a)) * cdf - x_pow_a * s2
    result = -d_cdf / density
    return np.where(np.isnan(result), 0.0, result)


def _gamma_grad_large_alpha(a, x):
    out = np.empty_like(x)
    near = (0.9 * a <= x) & (x <= 1.1 * a)  # the expansion's removable singularity at x = a
    an, xn = a[near], x[near]
    num1 = 1 + 24 * an * (1 + 12 * an)
    num2 = 1440 * (an * an) + 6 * xn * (53 - 120 * xn) - 65 * xn * xn / an \
        + an * (107 + 3600 * xn)
    out[near] = num1 * num2 / (1244160 * (an * an) * (an * an))
    far = ~near
    a, x = a[far], x[far]
    root = np.sqrt(8 * a)
    t2 = root / (a - x)
    t3 = np.power(x - a - a * np.log(x / a), -1.5)
    t23 = np.where(x < a, t2 - t3, t2 + t3)
    t1 = np.log(x / a) * t23 - np.sqrt(2 / a) * (a + x) / ((a - x) * (a - x))
    stirling = 1 + 1 / (12 * a) * (1 + 1 / (24 * a))
    out[far] = -stirling * (x * t1) / root
    return out


# rows: constant, linear and quadratic in u = log(x / alpha); columns: the numerator's and
# the denominator's cubic coefficients in v = log(alpha)
_GAMMA_FIT = np.array([
    [0.16009398, -0.094634809, 0.025146376, -0.0030648343,
     1, 0.32668115, 0.10406089, 0.0014179084],
    [0.53487893, 0.1298071, 0.065735949, -0.0015649758,
     0.16639465, 0.020070113, -0.0035938915, -0.00058392623],
    [0.040121004, -0.0065914022, -0.0026286047, -0.0013441777,
     0.017050642, -0.0021309326, 0.00085092367, -1.5247877e-07],
])


def _gamma_grad_rational(a, x):
    u = np.log(x / a)[:, None]
    v = np.log(a)
    c = _GAMMA_FIT[0] + u * (_GAMMA_FIT[1] + u * _GAMMA_FIT[2])
    p = c[:, 0] + v * (c[:, 1] + v * (c[:, 2] + v * c[:, 3]))
    q = c[:, 4] + v * (c[:, 5] + v * (c[:, 6] + v * c[:, 7]))
    return np.exp(p / q)


def dirichlet_grad(x: np.ndarray, alpha: np.ndarray, total: np.ndarray) -> np.ndarray:
    """torch's ``_dirichlet_grad``: ``-(d/dalpha) cdf(x) / pdf(x) / (1 - x)`` of a Beta(alpha,
    total - alpha) draw ``x``, the reparameterized gradient of one Dirichlet coordinate; in the
    arrays' dtype (float32 or float64) as torch computes it: series near 0 and near 1 (in that
    dtype), a saddle-point expansion when both concentrations pass 6 and a rational correction
    to an analytic approximation otherwise (in float64)."""
    x, alpha, total = np.broadcast_arrays(x, alpha, total)
    dt = x.dtype
    one = dt.type(1)
    beta = total - alpha
    edge = total * x * (one - x)
    out = np.empty(x.shape, dtype=dt)
    with np.errstate(all="ignore"):
        near0 = (x <= 0.5) & (edge < 2.5)
        near1 = ~near0 & (x >= 0.5) & (edge < 0.75)
        both_large = ~near0 & ~near1 & (alpha > 6) & (beta > 6)
        rest = ~(near0 | near1 | both_large)
        if near0.any():
            out[near0] = _beta_grad_alpha_small(x[near0], alpha[near0], beta[near0])
        if near1.any():
            out[near1] = -_beta_grad_beta_small(one - x[near1], beta[near1], alpha[near1])
        x64, a64, t64 = (v.astype(np.float64) for v in (x, alpha, total))
        if both_large.any():
            m = both_large
            out[m] = _beta_grad_alpha_mid(x64[m], a64[m], t64[m] - a64[m])
        if rest.any():
            out[rest] = _beta_grad_rational(x64[rest], a64[rest], t64[rest], dt)
    return out


def _digamma_as(v):
    return digamma_series(v)


def _beta_grad_alpha_small(x, a, b):
    """Series of the alpha-gradient for x near 0, in the draws' dtype."""
    dt = x.dtype.type
    factor = _digamma_as(a) - _digamma_as(a + b) - np.log(x)
    numer = np.ones_like(x)
    series = numer / a * (factor + 1 / a)
    for i in range(1, 11):
        k = dt(i)
        numer = numer * ((k - b) * x / k)
        denom = a + k
        series = series + numer / denom * (factor + 1 / denom)
    result = x * np.power(1 - x, -b) * series
    return np.where(np.isnan(result), dt(0), result)


def _beta_grad_beta_small(x, a, b):
    """Series of the beta-gradient for x near 0 (used at 1 - x), in the draws' dtype."""
    dt = x.dtype.type
    factor = _digamma_as(a + b) - _digamma_as(b)
    numer, betas, dbetas = np.ones_like(x), np.ones_like(x), np.zeros_like(x)
    series = factor / a
    for i in range(1, 9):
        k = dt(i)
        numer = numer * (-x / k)
        dbetas = dbetas * (b - k) + betas
        betas = betas * (b - k)
        series = series + numer / (a + k) * (dbetas + factor * betas)
    result = -np.power(1 - x, 1 - b) * series
    return np.where(np.isnan(result), dt(0), result)


def _beta_grad_alpha_mid(x, a, b):
    """Rice's saddle-point expansion for large alpha and beta (float64)."""
    total = a + b
    mean = a / total
    std = np.sqrt(a * b / (total + 1)) / total
    out = np.empty_like(x)
    near = (mean - 0.1 * std <= x) & (x <= mean + 0.1 * std)  # the singularity at the mean
    if near.any():
        xn, an, bn, tn = x[near], a[near], b[near], total[near]
        b2 = bn * bn
        poly = 47 * xn * b2 * b2 + an * (
            (43 + 20 * (16 + 27 * bn) * xn) * b2 * bn + an * (
                3 * (59 + 180 * bn - 90 * xn) * b2 + an * (
                    (453 + 1620 * bn * (1 - xn) - 455 * xn) * bn + an * (
                        8 * (1 - xn) * (135 * bn - 11)))))
        pre_num = (1 + 12 * an) * (1 + 12 * bn) / (tn * tn)
        pre_den = 12960 * an * an * an * bn * bn * (1 + 12 * tn)
        out[near] = pre_num / (1 - xn) * poly / pre_den
    far = ~near
    if far.any():
        x, a, b, total, mean = x[far], a[far], b[far], total[far], mean[far]
        prefactor = -x / np.sqrt(2 * a * b / total)
        stirling = ((1 + 1 / (12 * a) + 1 / (288 * a * a))
                    * (1 + 1 / (12 * b) + 1 / (288 * b * b))
                    / (1 + 1 / (12 * total) + 1 / (288 * total * total)))
        t1_num = 2 * (a * a) * (x - 1) + a * b * (x - 1) - x * (b * b)
        axbx = a * (x - 1) + b * x
        t1_den = np.sqrt(2 * a / b) * np.power(total, 1.5) * axbx * axbx
        t1 = t1_num / t1_den
        t2 = 0.5 * np.log(a / (total * x))
        t3 = np.sqrt(8 * a * b / total) / (b * x + a * (x - 1))
        t4 = np.power(b * np.log(b / (total * (1 - x))) + a * np.log(a / (total * x)), -1.5)
        out[far] = stirling * prefactor * (t1 + t2 * (t3 + np.where(x < mean, t4, -t4)))
    return out


# p (index 0) and q (index 1) of the rational correction: coefficient [i][j][k] multiplies
# u^i a^j b^k with u = log x, a = log(alpha) - u, b = log(total) - a
_BETA_FIT = np.array([
    [[[1.003668233, -0.01061107488, -0.0657888334, 0.01201642863],
      [0.6336835991, -0.3557432599, 0.05486251648, -0.001465281033],
      [-0.03276231906, 0.004474107445, 0.002429354597, -0.0001557569013]],
     [[0.221950385, -0.3187676331, 0.01799915743, 0.01074823814],
      [-0.2951249643, 0.06219954479, 0.01535556598, 0.001550077057],
      [0.02155310298, 0.004170831599, 0.001292462449, 6.976601077e-05]],
     [[-0.05980841433, 0.008441916499, 0.01085618172, 0.002319392565],
      [0.02911413504, 0.01400243777, -0.002721828457, 0.000751041181],
      [0.005900514878, -0.001936558688, -9.495446725e-06, 5.385558597e-05]]],
    [[[1, -0.02924021934, -0.04438342661, 0.007285809825],
      [0.6357567472, -0.3473456711, 0.05454656494, -0.002407477521],
      [-0.03301322327, 0.004845219414, 0.00231480583, -0.0002307248149]],
     [[0.5925320577, -0.1757678135, 0.01505928619, 0.000564515273],
      [0.1014815858, -0.06589186703, 0.01272886114, -0.0007316646956],
      [-0.007258481865, 0.001096195486, 0.0003934994223, -4.12701925e-05]],
     [[0.06469649321, -0.0236701437, 0.002902096474, -5.896963079e-05],
      [0.001925008108, -0.002869809258, 0.0008000589141, -6.063713228e-05],
      [-0.0003477407336, 6.959756487e-05, 1.097287507e-05, -1.650964693e-06]]],
])


def _beta_grad_rational(x, alpha, total, dt=np.float64):
    """A rational correction (fitted in log x, log(alpha / x), log(total x / alpha)) to
    ``x (digamma(total) - digamma(alpha)) / beta`` (float64)."""
    u = np.log(x)
    a = np.log(alpha) - u
    b = np.log(total) - a
    p = np.zeros_like(x)
    q = np.zeros_like(x)
    u_pow = (np.ones_like(x), u, u * u)
    a_pow = (np.ones_like(x), a, a * a)
    for i in range(3):
        for j in range(3):
            ua = u_pow[i] * a_pow[j]
            cp, cq = _BETA_FIT[0, i, j], _BETA_FIT[1, i, j]
            p = p + ua * (cp[0] + b * (cp[1] + b * (cp[2] + b * cp[3])))
            q = q + ua * (cq[0] + b * (cq[1] + b * (cq[2] + b * cq[3])))
    psi_t = digamma_series(total.astype(dt)).astype(np.float64)
    psi_a = digamma_series(alpha.astype(dt)).astype(np.float64)
    return p / q * (x * (psi_t - psi_a) / (total - alpha))
