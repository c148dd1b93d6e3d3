"""Fused multiply-add on NumPy arrays, and the C library's own elementary functions.

torch's CPU kernels are compiled with fused multiply-add contraction: an expression
``a * b + c`` in their C++ source is computed as ``fma(a, b, c)``, rounded once. NumPy has no
fma, so to reproduce those kernels' bits this module computes it exactly:

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

_SPLIT = 134217729.0  # 2**27 + 1


def _two_sum(a, b):
    s = a + b
    bb = s - a
    return s, (a - (s - bb)) + (b - bb)


def _two_prod(a, b):
    p = a * b
    t = _SPLIT * a
    ah = t - (t - a)
    t = _SPLIT * b
    bh = t - (t - b)
    al, bl = a - ah, b - bh
    return p, ((ah * bh - p) + ah * bl + al * bh) + al * bl


def _sum_to_odd(a, b):
    """``a + b`` (float64 arrays) rounded to odd: truncated, last bit set when inexact."""
    s, e = _two_sum(a, b)
    inexact = e != 0
    toward_zero = np.where(inexact & ((e > 0) != (s > 0)), np.nextafter(s, 0.0), s)
    odd = (np.ascontiguousarray(toward_zero).view(np.int64) | 1).view(np.float64)
    return np.where(inexact, odd, s)


def fma(a, b, c):
    """``a * b + c`` rounded once, in the arrays' dtype (float32 or float64)."""
    a, b, c = np.asarray(a), np.asarray(b), np.asarray(c)
    dt = np.result_type(a, b, c)
    with np.errstate(all="ignore"):
        if dt == np.float32:
            p = a.astype(np.float64) * b.astype(np.float64)
            cc = c.astype(np.float64)
            exact = _sum_to_odd(p, cc).astype(np.float32)
            return np.where(np.isfinite(p) & np.isfinite(cc), exact, (p + cc).astype(np.float32))
        a, b, c = a.astype(np.float64), b.astype(np.float64), c.astype(np.float64)
        ph, pl = _two_prod(a, b)
        th, tl = _two_sum(c, ph)
        res = th + _sum_to_odd(tl, pl)
        safe = (np.isfinite(res) & (np.abs(a) < 1e290) & (np.abs(b) < 1e290)
                & (np.abs(ph) > 1e-290) & (np.abs(c) < 1e300))
        return np.where(safe, res, a * b + c)


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
