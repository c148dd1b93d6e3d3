"""SLEEF's vectorised float32 ``exp`` and ``log`` (``expf_u10``/``logf_u10``, the FMA builds)
on NumPy arrays, bit for bit: what torch's ATen kernels get from ``Vectorized<float>::exp()``
and ``::log()`` on x86 with AVX2 or AVX512 (``Sleef_expf16_u10``, ``Sleef_logf16_u10``).

torch's unary ops ``exp``/``log`` go to MKL VML instead (modelled as the correctly rounded
value, ``pointwise.exp_array``), but its fused kernels take these: ``sigmoid``'s vector body,
``softmax``/``log_softmax`` (the row exps, and log_softmax's logs of the row sums). SLEEF's
``expf_u10`` is the correctly rounded value in all but ~9 % of inputs in [-12, 12], so a kernel
built on it differs from one built on the correctly rounded exp in that many values (softmax:
2,300 of 20,000).

The algorithms (SLEEF's published ones, written here from their arithmetic): ``exp`` reduces
``d = q ln 2 + s`` (Cody-Waite, two constants), evaluates a degree-6 polynomial by Horner with
multiply-adds and scales by ``2**q``; ``log`` splits ``d = m 2**e`` with ``m`` in [0.75, 1.5),
takes ``x = (m - 1) / (m + 1)`` in double-float arithmetic and sums ``e ln 2 + 2x + x**3 t(x**2)``.
Each float32 multiply-add rounds once; here a product of two float32 values is exact in float64
and the sum is rounded to float32 from float64, which is the multiply-add's result unless the
float64 sum was itself inexact and landed on a float32 rounding midpoint (a chance of about
2**-29 per step). ``expf`` rounds its polynomial's steps by a fixed quantum instead (exact by
construction) and is libtorch's ``Sleef_expf16_u10`` on all 2**32 float32 inputs
(``scripts/prove_sleef_expf.py``); ``logf`` was checked on 3.2 million."""

from __future__ import annotations

import numpy as np

from .. import _parallel
from .._fperr import ignore as ignore_fp
from .._fperr import restore as restore_fp
from . import _fma

_F32 = np.float32
_F64 = np.float64
_U = "unsafe"

# expf_u10: log2(e), ln 2 split in two float32 constants (the upper one has 16 bits, so
# q * L2U and d - q * L2U are exact), the polynomial's coefficients (highest degree first)
_R_LN2 = float(_F32(1.442695040888963407359924681001892137426645954152985934135449406931))
_L2U = float(_F32(0.693145751953125))
_L2L = float(_F32(1.428606765330187045e-06))
_EXP_POLY = tuple(float(_F32(c)) for c in (
    0.000198527617612853646278381, 0.00139304355252534151077271, 0.00833336077630519866943359,
    0.0416664853692054748535156, 0.166666671633720397949219, 0.5))


# Horner's steps 1-4 land in one binade each (|s| <= 0.3466: u1 in [0.00132, 0.00147), u2 in
# [0.00782, 0.00885), u3 in [0.0386, 0.0448), u4 in [0.151, 0.183)), so rounding a step to
# float32 is rounding to that binade's fixed quantum 2**-k: adding C = 1.5 * 2**(52 - k) (whose
# float64 ulp is 2**-k) rounds to nearest even there, once. The coefficient joins the constant
# (K = C + c, exact: c is a multiple of 2**-k) and the product u * s of two float32 values is
# exact, so ``(u * s + K) - C`` is fma(u, s, c) rounded to float32, exactly.
def _quantum(c: float) -> tuple[float, float, float]:
    k = 24 - np.frexp(c)[1]  # (c's float32 quantum is 2**-k; so is each step's result's)
    big = 1.5 * 2.0 ** (52 - k)
    return c, big + c, big


_STEPS = tuple(_quantum(c) for c in _EXP_POLY[1:5])
_L2 = _L2U + _L2L  # (exact in float64: 43 bits)
_R_LN2_32 = _F32(_R_LN2)
_BLOCK = 16384  # elements per pass: a block's five float64 buffers stay in the L2 cache


def expf(x: np.ndarray) -> np.ndarray:
    """SLEEF's ``expf_u10`` of every element of the float32 array ``x`` (a new float32 array
    of its shape): 0 below -104, inf above 100, NaN for NaN. Bit for bit over all 2**32
    float32 inputs (``scripts/prove_sleef_expf.py`` against libtorch's ``Sleef_expf16_u10``).

    In blocks of ``_BLOCK`` elements through preallocated buffers, 32 NumPy passes a block:
    ``q = rint(x * log2(e))`` in float32 (SLEEF's product is rounded), the reduced argument
    ``s = x - q ln 2`` exactly in float64 (ln 2 as SLEEF's two float32 parts summed: 43 bits;
    ``q`` has 8) and rounded once to float32 (SLEEF's two multiply-adds: the first is exact),
    the polynomial's multiply-adds by the fixed quantum of their binade (``_STEPS``), the last
    (u5 = fma(u4, s, 0.5), either side of 0.5) and ``fma(s * s, u5, s)`` in float64 rounded to
    float32, then ``1 +`` in float32 and the scaling by ``2**q`` (``ldexp``: SLEEF's two
    scalings round once as this). From ``_parallel.MIN_ELEMENTS`` on, chunks run on the
    engine's threads as its large ufuncs do (elementwise: the same bits)."""
    x = np.asarray(x, _F32)
    if x.ndim == 0:
        return expf(x.reshape(1)).reshape(())
    flat = np.ascontiguousarray(x).reshape(-1)
    n = flat.size
    out = np.empty(n, _F32)
    if n == 0:
        return out.reshape(x.shape)
    if not (flat.min() >= -104 and flat.max() <= 100):  # (NaN too)
        # out of SLEEF's range: computed on the clipped values, which give the same 0 below
        # (2**-151 scales every r < 2 to 0) and inf above; NaN stays NaN
        flat = np.maximum(np.minimum(flat, _F32(101)), _F32(-105))
    if n >= _parallel.MIN_ELEMENTS and _parallel.THREADS > 1:
        _parallel.run_into(_expf_into, [flat], out, n)
    else:
        _expf_into(flat, out=out)
    return out.reshape(x.shape)


def _expf_into(x, out) -> None:
    """``expf`` of the flat float32 array ``x`` into ``out``, block by block."""
    n = x.size
    m = min(n, _BLOCK)
    bufs = (np.empty(m, _F32), np.empty(m, _F32), np.empty(m, _F64), np.empty(m, _F64),
            np.empty(m, _F64), np.empty(m, np.int32))
    token = ignore_fp()
    try:
        for i in range(0, n, m):
            _expf_block(x[i:i + m], out[i:i + m], bufs)
    finally:
        restore_fp(token)


def _expf_block(x, out, bufs) -> None:
    k = x.size
    s32, q32, s, u, t, qi = (b[:k] for b in bufs)
    mul, add, sub, copy = np.multiply, np.add, np.subtract, np.copyto
    mul(x, _R_LN2_32, out=q32)
    np.rint(q32, out=q32)
    copy(t, q32)
    mul(t, -_L2, out=t)
    copy(s, x)
    add(s, t, out=s)  # s = x - q ln 2 (exact)
    copy(s32, s, casting=_U)  # (rounded once)
    copy(s, s32)
    mul(s, _EXP_POLY[0], out=u)
    for c, big_c, big in _STEPS:
        if c != _EXP_POLY[1]:
            mul(u, s, out=u)
        add(u, big_c, out=u)
        sub(u, big, out=u)
    mul(u, s, out=u)
    add(u, 0.5, out=u)
    copy(out, u, casting=_U)  # u5 (its sum is exact where |s| >= 1/8, else rounded twice)
    copy(u, out)
    mul(s32, s32, out=out)  # s * s (a float32 product)
    copy(t, out)
    mul(t, u, out=t)
    add(t, s, out=t)
    copy(out, t, casting=_U)  # fma(s * s, u5, s)
    add(out, _F32(1), out=out)
    copy(qi, q32, casting=_U)
    np.ldexp(out, qi, out=out)


# logf_u10: ln 2 as a double-float, the polynomial in x**2
_LN2_HI = _F32(0.69314718246459960938)
_LN2_LO = _F32(-1.904654323148236017e-09)
_LOG_POLY = (_F32(0.3027294874), _F32(0.3996108174), _F32(0.6666694880))


def expf_libc(x: np.ndarray) -> np.ndarray:
    """The C library's ``expf`` (``std::exp`` of a float: torch's scalar remainder loops) of
    every element of the float32 array ``x``. glibc's is its float64 evaluation rounded once
    (0.502 ulp): the correctly rounded value but within ~0.002 ulp of a rounding midpoint (689
    of 1.2 million differ, all nearer than 0.0016 ulp), so the float64 exp rounded to float32,
    with the C library called for the elements within 1/32 ulp of a midpoint (~6 %)."""
    x = np.asarray(x, _F32)
    with np.errstate(all="ignore"):
        t = np.exp(x.astype(_F64))
        out = t.astype(_F32)
        # (the neighbour on t's side, and t's distance from their midpoint in their gaps;
        # NaN where out is inf or NaN)
        side = np.nextafter(out, np.where(t > out, _F32(np.inf), _F32(-np.inf))).astype(_F64)
        near = np.abs(t - (out + side) * 0.5) < np.abs(side - out) * (1 / 32)
        if near.any():
            out[near] = _fma.libm("exp", x[near])
    return out


# logf's fast path: SLEEF's result is fl32(hx + sy), (hx, sy) a double-float sum
# e ln 2 + 2 x + w within ~2**-44 of its value, where only w = x**3 t(x**2) is float32 (its
# products and multiply-adds round to float32, so it is emulated exactly). V = e ln 2 + 2 (m -
# 1) / (m + 1) + w in float64 is as close to hx + sy, so fl32(V) is SLEEF's result wherever V
# is not within _NEAR float64 ulps of a float32 rounding midpoint (the midpoint is 2**28 in
# V's low 29 bits); those few elements (about 2 * _NEAR / 2**29 of them) take SLEEF's own
# arithmetic (_logf_sleef). t's steps land in one binade each (x**2 <= 0.04: t1 in [0.3996,
# 0.412), t2 in [0.666, 0.684)), so they round to float32 by a fixed quantum as expf's do.
_LOG_SCALE = _F32(1.0 / 0.75)
_LN2_DF = float(_LN2_HI) + float(_LN2_LO)  # (exact in float64: 52 bits)
_T_STEPS = (_quantum(float(_LOG_POLY[1])), _quantum(float(_LOG_POLY[2])))
_NEAR = 1 << 14  # (2**-15 of a float32 ulp either side; on 6 million inputs 2**-29 sufficed)
_LOW29 = (1 << 29) - 1
_LOGF_TOP = _F32(0.75 * 2.0 ** 128)  # (x / 0.75 overflows from here: SLEEF's e is 128)


def logf(x: np.ndarray) -> np.ndarray:
    """SLEEF's ``logf_u10`` of every element of the float32 array ``x`` (a new float32 array
    of its shape; subnormals included): -inf at 0, NaN below 0 and for NaN, inf at inf. Bit
    for bit over all 2**32 float32 inputs (``scripts/prove_sleef_expf.py --logf`` against
    libtorch's ``Sleef_logf16_u10``).

    About 25 NumPy calls: ``x = m 2**e`` as SLEEF splits it, SLEEF's float32 quotient ``qx``
    and its ``w = qx**3 t(qx**2)`` exactly (float32 products; the polynomial's multiply-adds
    by the fixed quantum of their binade), the rest in float64 (``e ln 2 + 2 (m - 1) / (m +
    1) + w``) rounded once; SLEEF's whole double-float arithmetic (``_logf_sleef``) only for
    the elements whose float64 value lies within 2**-15 ulp of a float32 rounding midpoint,
    and for zeros, negatives, inf, NaN and inputs from 0.75 * 2**128 on."""
    x = np.asarray(x, _F32)
    if x.ndim == 0:
        return logf(x.reshape(1)).reshape(())
    if x.size == 0:
        return np.empty(x.shape, _F32)
    token = ignore_fp()
    try:
        out = _logf_fast(x)
        if not (x.min() > 0 and x.max() < _LOGF_TOP):  # (NaN too)
            bad = ~((x > 0) & (x < _LOGF_TOP))
            out[bad] = _logf_sleef(x[bad])
    finally:
        restore_fp(token)
    return out


def _logf_fast(x: np.ndarray) -> np.ndarray:
    """``logf`` for positive finite ``x`` below 0.75 * 2**128 (others: any value)."""
    f32, mul, sub = _F32(1), np.multiply, np.subtract
    _, ex = np.frexp(x * _LOG_SCALE)  # (x / 0.75 = f 2**ex, f in [0.5, 1): SLEEF's e = ex - 1)
    ne = sub(1, ex)
    m = np.ldexp(x, ne)  # SLEEF's getmant: [0.75, 1.5), exact
    qx = m - f32
    qx *= f32 / (m + f32)  # SLEEF's quotient's high part: (m - 1) * fl32(1 / fl32(m + 1))
    x2 = qx * qx
    x2d = x2.astype(_F64)
    w = mul(x2, qx, out=x2)
    w *= _log_poly(x2d).astype(_F32)  # SLEEF's w, exactly
    md = m.astype(_F64)
    v = sub(md, 1.0)
    md += 1.0
    v /= md
    v *= 2.0  # 2 (m - 1) / (m + 1): one rounding
    v -= mul(ne, _LN2_DF, out=md)  # (e ln 2: int32 * float64)
    v += w
    out = v.astype(_F32)
    bits = v.view(np.int64)
    bits += _NEAR - (1 << 28)
    bits &= _LOW29
    near = bits < 2 * _NEAR
    if near.any():
        out[near] = _logf_sleef(x[near])
    return out


def _log_poly(x2: np.ndarray) -> np.ndarray:
    """SLEEF's ``t = fma(fma(c0, x2, c1), x2, c2)`` in float32 of the float64 array ``x2``
    (float32 values up to 0.04), as float64 (float32 values): each step by its binade's
    quantum, exactly."""
    mul, add, sub = np.multiply, np.add, np.subtract
    t = mul(x2, float(_LOG_POLY[0]))
    for i, (_, big_c, big) in enumerate(_T_STEPS):
        if i:
            mul(t, x2, out=t)
        add(t, big_c, out=t)
        sub(t, big, out=t)
    return t


def _logf_sleef(x: np.ndarray) -> np.ndarray:
    """SLEEF's ``logf_u10`` of every element of the float32 array ``x`` (a new float32 array
    of its shape; subnormals included): -inf at 0, NaN below 0 and for NaN, inf at inf.

    Its multiply-adds are float64 arithmetic rounded once to float32, exact in float64 where
    noted: a float32 product's rounding error, and the remainder ``1 - d r`` of a correctly
    rounded reciprocal ``r``, are float32 numbers; ``m - 1`` is exact for ``m`` in [0.75, 1.5]
    (Sterbenz), so the dividend's low part is 0."""
    f32 = _F32
    with np.errstate(all="ignore"):
        # e = getexp(x / 0.75), m = getmant(x) in [0.75, 1.5): x = m 2**e
        scaled = x * f32(1.0 / 0.75)
        _, e = np.frexp(scaled)
        e = np.where(np.isinf(scaled), f32(128), (e - 1).astype(f32))
        frac, _ = np.frexp(x)  # [0.5, 1)
        m = frac * f32(2)
        m = np.where(m >= f32(1.5), m * f32(0.5), m)
        # s = (ln 2 hi, lo) * e, a double-float: sx rounded, sy = fma(lo, e, hi e - sx)
        e64 = e.astype(_F64)
        hi_e = e64 * float(_LN2_HI)  # (exact)
        sx = hi_e.astype(f32)
        hi_e -= sx
        hi_e += e64 * float(_LN2_LO)  # (exact: under 53 bits apart)
        sy = hi_e.astype(f32)
        # x = (m - 1) / (m + 1) in double-float (SLEEF's dfdiv; the dividend m - 1 is exact)
        nx = m - f32(1)
        dx = m + f32(1)
        v = dx - f32(1)
        dy = (f32(1) - (dx - v)) + (m - v)  # (dfadd2's error term: 1 + m less dx)
        r = f32(1) / dx
        r64 = r.astype(_F64)
        qx = nx * r
        qx64 = qx.astype(_F64)
        u64 = nx.astype(_F64) * r64 - qx64  # fma(r, nx, -qx): exact
        rem = 1.0 - dx.astype(_F64) * r64  # fma(-dx, r, 1): exact
        rem -= dy.astype(_F64) * r64  # fma(-dy, r, rem): exact in float64
        v32 = rem.astype(f32)
        t64 = qx64 * v32.astype(_F64)
        t64 += u64  # fma(qx, v, fma(ny, r, u)), ny = 0: exact in float64
        qy = t64.astype(f32)
        x2 = qx * qx
        x2_64 = x2.astype(_F64)
        t = _log_poly(x2_64).astype(f32)
        # s += 2 x (double-float + double-float), then s += x**3 t (double-float + float)
        bx, by = qx * f32(2), qy * f32(2)
        hx = sx + bx
        sy = (((sx - hx) + bx) + sy) + by
        sx = hx
        w = (x2 * qx) * t
        hx = sx + w
        sy = ((sx - hx) + w) + sy
        out = hx + sy
        bad = ~(x > 0) | (x == np.inf)
        if bad.any():
            out = np.where(np.isposinf(x), f32(np.inf), out)
            out = np.where((x < 0) | np.isnan(x), f32(np.nan), out)
            out = np.where(x == 0, f32(-np.inf), out)
    return out.astype(f32, copy=False)
