"""Error-free transformations and the fused multiply-add on NumPy arrays (the one module for
them), and the C library's own elementary functions.

torch's CPU kernels are compiled with fused multiply-add contraction: an expression
``a * b + c`` in their C++ source is computed as ``fma(a, b, c)``, rounded once (and several
of its pointwise kernels fuse on purpose: ``add``/``sub`` with ``alpha``, ``addcmul``, ``lerp``;
MKL's getrf updates with it). NumPy has no fma, so to reproduce those kernels' bits this
module computes it exactly:

- float32: the product of two float32 values is exact in float64; the sum is rounded to odd
  in float64 (53 >= 24 + 2 bits), then once to float32, which gives the correctly rounded
  result (Boldo and Melquiond, "Emulation of FMA and correctly rounded sums: proved
  algorithms using rounding to odd", IEEE TC 2008).
- float64: Dekker's exact product (Veltkamp splitting) and Knuth's exact sum, then the same
  rounding-to-odd step; outside the range where the splitting is exact (huge or tiny
  operands) it falls back to ``a * b + c``.

``libm(name, x)`` evaluates ``cos sin log exp sqrt`` as the C library does for the array's
dtype (``cosf`` for float32, ``cos`` for float64), the functions torch's scalar kernels call:
NumPy's own SIMD float32 versions, and even float64 rounded to float32, differ from glibc's
float32 functions in about 0.5 % of values.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import math

import numpy as np

_SPLIT = 134217729.0  # 2**27 + 1: Dekker's split of a float64 into two 26-bit halves


def _two_sum(a, b):
    """``a + b`` rounded, and its exact rounding error (Knuth)."""
    s = a + b
    bb = s - a
    return s, (a - (s - bb)) + (b - bb)


def _two_prod(a, b):
    """``a * b`` rounded, and its exact rounding error (Dekker's split; no overflow here)."""
    p = a * b
    t = _SPLIT * a
    ah = t - (t - a)
    t = _SPLIT * b
    bh = t - (t - b)
    al, bl = a - ah, b - bh
    return p, ((ah * bh - p) + ah * bl + al * bh) + al * bl


def _to_odd(x, err):
    """``x`` (``x + err`` rounded to nearest, ``err`` exact) rounded to odd instead: an inexact
    result takes the neighbour whose last bit is 1 (so a later rounding is not a double one)."""
    fix = (err != 0) & ((x.view(np.int64) & 1) == 0) & np.isfinite(x)
    return np.where(fix, np.nextafter(x, np.where(err > 0, np.inf, -np.inf)), x) \
        if fix.any() else x


def _sum_to_odd(a, b, xp=np):
    """``a + b`` (float64 arrays) rounded to odd: truncated, last bit set when inexact."""
    s, e = _two_sum(a, b)
    inexact = e != 0
    toward_zero = xp.where(inexact & ((e > 0) != (s > 0)), xp.nextafter(s, 0.0), s)
    odd = (xp.ascontiguousarray(toward_zero).view(np.int64) | 1).view(np.float64)
    return xp.where(inexact, odd.reshape(toward_zero.shape), s)  # (0-d stays 0-d)


def fma(a, b, c, xp=np):
    """``a * b + c`` rounded once, in the arrays' dtype (float32 or float64); ``xp`` the array
    module (NumPy, or CuPy for device arrays)."""
    a, b, c = xp.asarray(a), xp.asarray(b), xp.asarray(c)
    dt = np.result_type(a.dtype, b.dtype, c.dtype)
    with np.errstate(all="ignore"):
        if dt == np.float32:
            p = a.astype(np.float64) * b.astype(np.float64)
            cc = c.astype(np.float64)
            s = p + cc
            r = s.astype(np.float32)
            # rounding ``s`` (53 bits) to float32 (24) is a second rounding only where ``s``
            # lies on a midpoint of the float32 grid, or below float32's normal range (its
            # grid is coarser there; an exact 0 is exact): elsewhere ``r`` is ``fma``'s
            bits = xp.asarray(s).view(np.uint64)
            suspect = (bits & 0x1FFFFFFF) == 0x10000000
            suspect |= ((bits << np.uint64(1)) - np.uint64(2)) < np.uint64((897 << 53) - 2)
            if not suspect.any():
                return r
            exact = _sum_to_odd(p, cc, xp).astype(np.float32)
            return xp.where(xp.isfinite(p) & xp.isfinite(cc), exact,
                            (p + cc).astype(np.float32))
        a, b, c = a.astype(np.float64), b.astype(np.float64), c.astype(np.float64)
        ph, pl = _two_prod(a, b)
        th, tl = _two_sum(c, ph)
        res = th + _sum_to_odd(tl, pl, xp)
        safe = (xp.isfinite(res) & (xp.abs(a) < 1e290) & (xp.abs(b) < 1e290)
                & (xp.abs(ph) > 1e-290) & (xp.abs(c) < 1e300))
        return xp.where(safe, res, a * b + c)


def fma_same(a, b, c):
    """``a * b + c`` rounded once, for float64 or float32 arrays of one dtype (MKL's getrf
    update, group_norm's Welford step; moved here from decompositions). float64: Boldo and
    Melquiond's emulation (the product's exact error, then its sum with the rounding of
    ``c + a*b`` rounded to odd); float32: the exact float64 product, the sum rounded to odd,
    then to float32. An exact zero result takes the plain sum's sign (as the instruction)."""
    with np.errstate(all="ignore"):
        if a.dtype == np.float32:
            s, e = _two_sum(c.astype(np.float64), a.astype(np.float64) * b)
            return _to_odd(s, e).astype(np.float32)
        uh, ul = _two_prod(a, b)
        th, tl = _two_sum(c, uh)
        v, ve = _two_sum(tl, ul)
        r = th + _to_odd(v, ve)
        big = ~np.isfinite(r) | (np.abs(a) > 1e150) | (np.abs(b) > 1e150)  # Dekker's range
        big |= r == 0
        return np.where(big, a * b + c, r) if big.any() else r


def one_minus_square(b):
    """``fma(-b, b, 1)`` of a float64 array, rounded once (tanh's backward): Dekker's exact
    product (Veltkamp's split) and Knuth's exact sum, specialised to these operands."""
    p = b * b
    c = _SPLIT * b
    hi = c - (c - b)
    lo = b - hi
    e = ((hi * hi - p) + 2 * hi * lo) + lo * lo  # b * b == p + e exactly
    s = 1 - p
    v = s - 1
    t = (1 - (s - v)) + (-p - v)  # 1 - p == s + t exactly
    return s + (t - e)


def _load_libm():
    path = ctypes.util.find_library("m")
    if path is None:
        return None
    try:
        lib = ctypes.CDLL(path)
    except OSError:
        return None
    funcs = {}
    for name in ("cos", "sin", "log", "exp", "sqrt"):
        f = getattr(lib, name + "f", None)
        if f is None:
            return None
        f.restype, f.argtypes = ctypes.c_float, [ctypes.c_float]
        funcs[name] = np.frompyfunc(f, 1, 1)
    return funcs


_LIBM32 = _load_libm()
_LIBM64 = {name: np.frompyfunc(getattr(math, name), 1, 1) for name in ("log", "exp")}
# where NumPy's float64 result is the C library's (its cos/sin/sqrt are; log/exp are not)
_NUMPY64 = {"cos", "sin", "sqrt"}
_LIMITS = {"log": (0.0, np.inf), "exp": (-745.0, 709.0)}


def libm(name: str, x):
    """The C library's ``name`` on every element of ``x`` (float32 or float64)."""
    x = np.asarray(x)
    with np.errstate(all="ignore"):
        if x.dtype == np.float32:
            if name == "sqrt":
                return np.sqrt(x)  # correctly rounded everywhere
            if _LIBM32 is None:
                return getattr(np, name)(x.astype(np.float64)).astype(np.float32)
            return _LIBM32[name](x).astype(np.float32)
        if name in _NUMPY64:
            return getattr(np, name)(x)
        lo, hi = _LIMITS[name]
        inside = (x > lo) & (x < hi)
        if not inside.any():
            return getattr(np, name)(x)
        return np.where(inside, _LIBM64[name](np.where(inside, x, 1.0)).astype(np.float64),
                        getattr(np, name)(x))
