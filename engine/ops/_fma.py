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
import os

import numpy as np

from .._fperr import Quiet
from .._fperr import ignore as ignore_fp
from .._fperr import restore as restore_fp
from .._parallel import MIN_ELEMENTS, THREADS, run_into

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


def fma(a, b, c, xp=np, out=None):
    """``a * b + c`` rounded once, in the arrays' dtype (float32 or float64); ``xp`` the array
    module (NumPy, or CuPy for device arrays). ``out``: an array of the result's shape and
    dtype to write into (it may be ``c`` itself: an in-place update)."""
    if xp is np:
        res = _fma_chunked(a, b, c, out)
        if res is not None:
            return res
    res = _fma_vec(a, b, c, xp)
    if out is None:
        return res
    out[...] = res
    return out


def _fma_vec(a, b, c, xp=np):
    """``fma`` on whole arrays of any layout (NumPy or CuPy): rounding to odd for every
    element. Also the exact answer for the few elements the chunked kernels flag."""
    a, b, c = xp.asarray(a), xp.asarray(b), xp.asarray(c)
    dt = np.result_type(a.dtype, b.dtype, c.dtype)
    with Quiet():
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


# Elements per step of the chunked kernels: their float64 buffers stay in the core's cache.
_STEP = 1 << 14
_TINY32 = 2.0 ** -126  # float32's least normal number
_SUB32 = (897 << 53) - 2  # ((bits << 1) - 2) below this: 0 < |s| < 2**-126 (float64 bits)


def _flat(x, shape):
    """A chunked kernel's operand: 0-d for one element (broadcast), else ``x`` flat (a view),
    or None when it cannot be read flat in the output's order."""
    if x.size == 1:
        return None if x.ndim > len(shape) else x.reshape(())
    if x.shape != shape:
        return None
    if x.flags.c_contiguous:
        return x.reshape(-1)
    return x if x.ndim == 1 else None


def _fma_chunked(a, b, c, out):
    """``fma`` on NumPy operands of one dtype (float32 or float64), each a full C-contiguous
    (or 1-d) array or one element, written chunk by chunk into ``out`` (new when None);
    None when they do not qualify (``_fma_vec`` then computes it)."""
    dt = None
    shape = None
    for x in (a, b, c):
        t = type(x)
        if t is np.ndarray:
            if x.size != 1:
                if shape is None:
                    shape = x.shape
                elif x.shape != shape:
                    return None
            d = x.dtype
        elif t is float or t is np.float64:
            d = np.dtype(np.float64)
        elif t is np.float32:
            d = np.dtype(np.float32)
        else:
            return None
        if dt is None:
            dt = d
        elif d != dt:
            return None
    if shape is None or (dt != np.float32 and dt != np.float64):
        return None
    # (one element: a 0-d array, as ``_fma_vec`` has it, so a NaN meets the same loops)
    fa, fb, fc = (_flat(x, shape) if type(x) is np.ndarray else np.asarray(x, dt)
                  for x in (a, b, c))
    if fa is None or fb is None or fc is None:
        return None
    if out is None:
        out = np.empty(shape, dt)
    elif type(out) is not np.ndarray or out.dtype != dt or out.shape != shape or \
            not out.flags.c_contiguous:
        return None
    else:
        for x in (a, b, c):  # (``c`` itself may be written: an in-place update)
            if type(x) is np.ndarray and x.size != 1 and np.may_share_memory(out, x) and not (
                    x.ctypes.data == out.ctypes.data and x.strides == out.strides):
                return None
    n = out.size
    if n == 0:
        return out
    kernel = _kernel32 if dt == np.float32 else _kernel64
    fo = out.reshape(-1)
    token = ignore_fp()
    try:
        if fc.ndim and (not fa.ndim and fb.ndim and _axpy_into(dt, fa, fb, fc, fo) or
                        not fb.ndim and fa.ndim and _axpy_into(dt, fb, fa, fc, fo)):
            pass  # (a number times an array: BLAS's fused axpy; a * b is b * a, exactly)
        elif n >= MIN_ELEMENTS and THREADS > 1:
            run_into(kernel, [fa, fb, fc], fo, n)
        else:
            kernel(fa, fb, fc, out=fo)
    finally:
        restore_fp(token)
    return out


# ------------------------------------------------------------------ the hardware's fma
# ``a * x + y`` for a number ``a`` and arrays ``x``, ``y`` is BLAS's ``axpy``, and OpenBLAS's
# vector kernels for CPUs with FMA (Haswell and later) compute it with the FMA instruction:
# rounded once, torch's own rounding, in one pass (a 784x256 float32 SGD update: ~7x less
# time than the emulation). Their scalar tails (the last ``n % 32`` or so elements) are plain
# C, not fused, and OpenBLAS splits a call of more than 10000 elements over threads at
# arbitrary points; so the engine calls it on chunks of ``_AXPY_CHUNK`` elements that are
# multiples of ``_AXPY_BLOCK``, and the last partial block is copied into a whole block of its
# own. Whether the library's kernel is fused at all (an older CPU, another build) is
# established once per dtype by a probe (``_probe_axpy``): cases where one rounding and two
# give different bits, at every length the engine calls it with and many alignments, compared
# bit for bit with the emulation; if anything differs, or the library is not NumPy's bundled
# OpenBLAS, the emulation does all the work, as before (``AUTOGRAD_ENGINE_NO_BLAS_FMA=1``
# forces that).
_AXPY_BLOCK = 64
_AXPY_CHUNK = 128 * _AXPY_BLOCK
_AXPY: dict = {}  # dtype -> ``axpy(n, alpha, x_address, 1, y_address, 1)``, or None


def _openblas():
    """NumPy's bundled OpenBLAS (scipy-openblas, 64-bit integers), or None."""
    try:
        with open("/proc/self/maps") as f:
            paths = {line.split()[-1] for line in f if "libscipy_openblas64_" in line}
    except OSError:
        return None
    for path in sorted(paths):
        try:
            return ctypes.CDLL(path)
        except OSError:
            continue
    return None


def _raw_axpy(dt):
    """The library's ``cblas_?axpy`` for ``dt``: ``f(n, alpha, x_address, 1, y_address, 1)``."""
    lib = _openblas()
    name, ctype = ("scipy_cblas_saxpy64_", ctypes.c_float) if dt == np.float32 else \
        ("scipy_cblas_daxpy64_", ctypes.c_double)
    fn = getattr(lib, name, None) if lib is not None else None
    if fn is None:
        return None
    fn.restype = None
    fn.argtypes = [ctypes.c_int64, ctype, ctypes.c_void_p, ctypes.c_int64, ctypes.c_void_p,
                   ctypes.c_int64]
    return fn


def _hard_cases(dt, alpha, n: int, rng):
    """``n`` pairs (x, y) where ``alpha * x + y`` rounded once and rounded twice differ, with
    a few special values (zeros of both signs, infinities, NaN; float32's subnormals and
    largest numbers) among them."""
    xs, ys = [], []
    found = 0
    while found < n:
        x = (rng.standard_normal(4 * n) * np.exp2(rng.integers(-8, 8, 4 * n))).astype(dt)
        y = (rng.standard_normal(4 * n) * np.exp2(rng.integers(-8, 8, 4 * n))).astype(dt)
        with Quiet():
            twice = alpha * x + y
        once = _fma_vec(alpha, x, y)
        keep = once != twice
        xs.append(x[keep])
        ys.append(y[keep])
        found += int(keep.sum())
    x, y = np.concatenate(xs)[:n], np.concatenate(ys)[:n]
    special = [(0.0, -0.0), (-0.0, -0.0), (-0.0, 0.0), (np.inf, 1.0), (1.0, -np.inf),
               (np.nan, 1.0), (1.0, np.nan)]
    if dt == np.float32:  # (the float64 emulation rounds twice below 1e-290 and above 1e290)
        info = np.finfo(dt)
        special += [(info.smallest_subnormal, info.smallest_subnormal), (info.tiny, -info.tiny),
                    (info.max, info.max), (-info.max, info.max)]
    for i, (sx, sy) in zip(range(5, n, max(1, n // len(special))), special):
        x[i], y[i] = sx, sy
    return x, y


def _agrees(got, want) -> bool:
    """The same bits, NaN for NaN (a NaN's payload is the hardware's either way)."""
    nan = np.isnan(want)
    return bool(np.array_equal(np.isnan(got), nan) and
                np.array_equal(got[~nan].view(np.uint8), want[~nan].view(np.uint8)))


def _probe_axpy(dt, axpy) -> bool:
    """Does ``axpy`` round once, as the emulation, on every length the engine calls it with
    (whole chunks, a few blocks) at many alignments?"""
    rng = np.random.default_rng(20261202)
    for alpha in (dt(-0.01), dt(0.7)):
        x, y = _hard_cases(dt, alpha, _AXPY_CHUNK, rng)
        want = _fma_vec(alpha, x, y)
        for n, offsets in ((_AXPY_CHUNK, (0, 3)), (_AXPY_BLOCK, range(16)),
                           (3 * _AXPY_BLOCK, (0, 5))):
            for off in offsets:  # (addresses moved by whole elements: other alignments)
                xb = np.empty(n + off, dt)[off:]
                yb = np.empty(n + 16, dt)[16 - off:16 - off + n]
                xb[...] = x[-n:]
                yb[...] = y[-n:]
                axpy(n, float(alpha), xb.ctypes.data, 1, yb.ctypes.data, 1)
                if not _agrees(yb, want[-n:]):
                    return False
    return True


def _axpy_for(dt):
    if dt not in _AXPY:
        axpy = None
        if not os.environ.get("AUTOGRAD_ENGINE_NO_BLAS_FMA"):
            try:
                axpy = _raw_axpy(dt)
                token = ignore_fp()
                try:
                    if axpy is not None and not _probe_axpy(dt.type, axpy):
                        axpy = None
                finally:
                    restore_fp(token)
            except Exception:  # noqa: BLE001  (no library, no symbol: the emulation)
                axpy = None
        _AXPY[dt] = axpy
    return _AXPY[dt]


def warm() -> None:
    """Run the probes now (a process that forks workers: each inherits the answer instead of
    probing at its first optimizer step)."""
    _axpy_for(np.dtype(np.float32))
    _axpy_for(np.dtype(np.float64))


def _axpy_into(dt, a, b, c, out) -> bool:
    """``fma(a, b, c)`` into ``out`` (flat, C-contiguous; ``a`` one element, ``b`` and ``c``
    flat arrays) by the library's fused kernel (the last partial block copied into a whole
    one); False (nothing written) where that cannot be used."""
    alpha = float(a)
    # (OpenBLAS's axpy returns at once for alpha 0: ``0 * inf`` would be lost)
    if alpha == 0 or not c.flags.c_contiguous or not b.flags.c_contiguous:
        return False
    axpy = _axpy_for(dt)
    if axpy is None:
        return False
    y = out.ctypes.data
    if c.ctypes.data != y:
        if np.may_share_memory(out, b) or np.may_share_memory(out, c):
            return False
        np.copyto(out, c)
    n = out.shape[0]
    m = n - n % _AXPY_BLOCK
    x = b.ctypes.data
    step = dt.itemsize * _AXPY_CHUNK
    full = m - m % _AXPY_CHUNK
    for _ in range(full // _AXPY_CHUNK):
        axpy(_AXPY_CHUNK, alpha, x, 1, y, 1)
        x += step
        y += step
    if full < m:
        axpy(m - full, alpha, x, 1, y, 1)
    if m < n:  # the tail, in a whole block of its own (the kernel's rounding throughout)
        k = n - m
        block = np.zeros(2 * _AXPY_BLOCK, dt)
        bx, by = block[:_AXPY_BLOCK], block[_AXPY_BLOCK:]
        bx[:k] = b[m:]
        by[:k] = out[m:]
        axpy(_AXPY_BLOCK, alpha, bx.ctypes.data, 1, by.ctypes.data, 1)
        out[m:] = by[:k]
    return True


def _part(x, lo, hi):
    return x[lo:hi] if x.ndim else x


def _take(x, idx):
    return x[idx] if x.ndim else x


def _min_magnitude32(bits):
    """The least ``|x|`` of float32 numbers given as their bits (uint32), as bits: two
    reductions (a non-negative number's bits are below 2**31 as uint32; a negative one is
    2**31 + its magnitude, which is -2**31 + its magnitude as int32)."""
    lo_u = int(np.minimum.reduce(bits))
    lo_i = int(np.minimum.reduce(bits.view(np.int32)))
    if lo_u >= 1 << 31:  # no non-negative element
        return lo_u - (1 << 31)
    return lo_u if lo_i >= 0 else min(lo_u, lo_i + (1 << 31))


_STEP32 = 1 << 16


def _kernel32(a, b, c, out):
    """float32 ``fma`` of flat operands (arrays or floats) into ``out``. The product of two
    float32 numbers is exact in float64 (48 <= 53 bits), so the float64 sum ``s`` is the
    exact result rounded once, and rounding it to float32 is correct unless that second
    rounding is a double one: only where ``s`` lies on a midpoint of the float32 grid (its
    low 29 bits 0x10000000; a non-midpoint ``s`` has no float32 midpoint between it and the
    exact value, as midpoints are float64 numbers) or where ``|s|`` is below float32's normal
    range (the grid is coarser there). Those few elements take the rounding to odd.
    Both tests are reductions: the low words of ``s`` shifted left by 3 (a midpoint becomes
    -2**31, the least int32), the least magnitude of the float32 result."""
    n = out.shape[0]
    if not a.ndim and abs(float(a)) == 1.0:  # an exact product: one rounding, no checks
        for lo in range(0, n, _STEP32):
            hi = min(lo + _STEP32, n)
            w = np.multiply(a, _part(b, lo, hi), dtype=np.float64)
            w += _part(c, lo, hi)
            np.copyto(out[lo:hi], w, casting="unsafe")
        return
    step = min(n, _STEP32)
    pb, cb, wb = np.empty(step), np.empty(step), np.empty(step)
    lb = np.empty(2 * step, np.uint32)
    c_arr = c.ndim != 0
    for lo in range(0, n, step):
        hi = min(lo + step, n)
        k = hi - lo
        p, c64, w, low = (pb, cb, wb, lb) if k == step else (pb[:k], cb[:k], wb[:k], lb[:2 * k])
        ac, bc = _part(a, lo, hi), _part(b, lo, hi)
        np.multiply(ac, bc, out=p, dtype=np.float64)  # exact
        if c_arr:
            np.copyto(c64, c[lo:hi])  # (kept: ``out`` may be ``c``)
            np.add(p, c64, out=w)
        else:
            np.add(p, c, out=w)
        o = out[lo:hi]
        np.copyto(o, w, casting="unsafe")
        # a midpoint's low word shifted left by 3 is -2**31 as int32; a high word is that
        # only for a float64 exponent of -767, -255, 257 or 769 (tiny or beyond float32's
        # range: then the exact test below says no)
        np.left_shift(w.view(np.uint32), 3, out=low)
        suspect = np.minimum.reduce(low.view(np.int32)) == -(1 << 31)
        tiny = _min_magnitude32(o.view(np.uint32)) <= 0x00800000  # |r| <= 2**-126
        if suspect or tiny:
            bits = w.view(np.uint64)
            m = (bits & np.uint64(0x1FFFFFFF)) == np.uint64(0x10000000)
            if tiny:
                m |= (np.left_shift(bits, 1) - np.uint64(2)) < np.uint64(_SUB32)
            idx = np.flatnonzero(m)
            if idx.size:
                pi = p[idx]
                ci = c64[idx] if c_arr else c.astype(np.float64)
                o[idx] = np.where(np.isfinite(pi) & np.isfinite(ci),
                                  _sum_to_odd(pi, ci).astype(np.float32),
                                  (pi + ci).astype(np.float32))


def _split(x, hi_buf, lo_buf):
    """Veltkamp's split of ``x`` (an array into the buffers, or a 0-d one) into two halves."""
    if not x.ndim:
        x = float(x)
        t = _SPLIT * x
        h = t - (t - x)
        return h, x - h
    np.multiply(x, _SPLIT, out=hi_buf)
    np.subtract(hi_buf, x, out=lo_buf)
    np.subtract(hi_buf, lo_buf, out=hi_buf)
    np.subtract(x, hi_buf, out=lo_buf)
    return hi_buf, lo_buf


def _outside(x, bound):
    """Does any element of ``x`` (array or 0-d) have ``|x| >= bound`` or is NaN?"""
    if not x.ndim:
        return not abs(float(x)) < bound
    return not (np.maximum.reduce(x) < bound and np.minimum.reduce(x) > -bound)


def _kernel64(a, b, c, out):
    """float64 ``fma`` of flat operands (arrays or floats) into ``out``: Dekker's exact product
    ``p + e`` and Knuth's exact sum ``s + t`` of ``c + p``, so ``a*b + c == s + (t + e)``
    exactly, and the answer is ``s + z`` with ``z`` the float64 sum ``t + e``. That is
    correctly rounded (Boldo and Melquiond round ``t + e`` to odd; this rounds it to
    nearest): ``|t + e| <= 1.5 ulp(s)``, so the rounding boundaries of ``s + (t + e)`` lie at
    ``s + k 2**j`` with k in 1, 3, 5, 7, all float64 numbers, and rounding ``t + e`` to nearest
    cannot cross one; it can only land on one, so a non-zero ``z`` whose significand is
    1.00, 1.01, 1.10 or 1.11 (then zeros) takes ``_fma_vec`` (about 2**-50 of random
    elements). Outside the splitting's safe range (``|a|``, ``|b|`` >= 1e290, ``|c|`` >=
    1e300, ``|p|`` <= 1e-290, a result not finite) the answer is the plain ``a*b + c``, as
    ``_fma_vec`` answers there. A power-of-two ``a`` (a float) makes the product exact: the
    plain sum is the answer."""
    n = out.shape[0]
    fa = float(a) if not a.ndim else 1.5
    if not math.isfinite(fa) or fa == 0 or abs(math.frexp(fa)[0]) == 0.5:
        for lo in range(0, n, _STEP):
            hi = min(lo + _STEP, n)
            o = out[lo:hi]
            np.add(np.multiply(a, _part(b, lo, hi)), _part(c, lo, hi), out=o)
        return
    if not abs(fa) < 1e290:
        for lo in range(0, n, _STEP):
            hi = min(lo + _STEP, n)
            np.add(np.multiply(a, _part(b, lo, hi)), _part(c, lo, hi), out=out[lo:hi])
        return
    step = min(n, _STEP)
    bufs = [np.empty(step) for _ in range(8)]
    mb = np.empty(step, np.bool_)
    for lo in range(0, n, step):
        hi = min(lo + step, n)
        k = hi - lo
        P, S, AH, AL, BH, BL, E, T = bufs if k == step else [x[:k] for x in bufs]
        m = mb if k == step else mb[:k]
        ac, bc, cc = _part(a, lo, hi), _part(b, lo, hi), _part(c, lo, hi)
        p = np.multiply(ac, bc, out=P)
        s = np.add(p, cc, out=S)  # (p first: a NaN's bits as ``a*b + c``)
        ah, al = _split(ac, AH, AL)
        bh, bl = _split(bc, BH, BL)
        e = np.multiply(ah, bh, out=E)  # ((ah*bh - p) + ah*bl + al*bh) + al*bl: exact
        e -= p
        e += np.multiply(ah, bl, out=T)
        e += np.multiply(al, bh, out=T)
        e += np.multiply(al, bl, out=T)
        # Knuth's two_sum(c, p): s + t == c + p exactly
        bb = np.subtract(s, cc, out=AH)
        t = np.subtract(s, bb, out=AL)
        np.subtract(cc, t, out=t)
        np.subtract(p, bb, out=bb)
        t += bb
        z = np.add(t, e, out=E)
        np.equal(np.left_shift(z.view(np.uint64), 14, out=AH.view(np.uint64)), 0, out=m)
        fix = None
        if m.any():
            m &= z != 0
            idx = np.flatnonzero(m)
            if idx.size:
                fix = _fma_vec(_take(ac, idx), _take(bc, idx), _take(cc, idx))
        unsafe = None
        mag = np.absolute(p, out=AL)
        if np.fmin.reduce(mag) <= 1e-290 or _outside(ac, 1e290) or _outside(bc, 1e290) or \
                _outside(cc, 1e300):
            unsafe = mag <= 1e-290
            for x, bound in ((ac, 1e290), (bc, 1e290), (cc, 1e300)):
                unsafe |= np.logical_not(np.abs(x) < bound)
        o = out[lo:hi]
        np.add(s, z, out=o)
        if not (math.isfinite(np.maximum.reduce(o)) and math.isfinite(np.minimum.reduce(o))):
            np.copyto(o, s, where=~np.isfinite(o))
        if unsafe is not None:
            np.copyto(o, s, where=unsafe)
        if fix is not None:
            o[idx] = fix


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
    for name in ("cos", "sin", "log", "exp", "sqrt", "log1p"):
        f = getattr(lib, name + "f", None)
        if f is None:
            return None
        f.restype, f.argtypes = ctypes.c_float, [ctypes.c_float]
        funcs[name] = np.frompyfunc(f, 1, 1)
    return funcs


_LIBM32 = _load_libm()
_LIBM64 = {name: np.frompyfunc(getattr(math, name), 1, 1) for name in ("log", "exp", "acos")}
# where NumPy's float64 result is the C library's (its cos/sin/sqrt are; log/exp/acos are not:
# NumPy's arccos differs from glibc's acos in ~10 % of values)
_NUMPY64 = {"cos", "sin", "sqrt"}
_LIMITS = {"log": (0.0, np.inf), "exp": (-745.0, 709.0), "acos": (-1.0, 1.0)}


_LOG1PF_STRIDED: list = []  # [whether NumPy's non-contiguous float32 log1p is log1pf's]


def log1pf(x: np.ndarray) -> np.ndarray:
    """The C library's float32 ``log1pf`` of every element of the float32 NumPy array ``x``:
    what torch's scalar kernels call through ``std::log1p`` (``special.xlog1py``,
    ``binary_cross_entropy``: bit for bit with glibc's, where the correctly rounded value
    differs in 1,555 of 20,000 xlog1py products). NumPy's float32 log1p runs a SIMD loop on
    contiguous arrays and calls the C library element by element on a reversed view (as fast
    as NumPy's own, ~300x cheaper than ``ctypes``); checked once against ``ctypes`` on 4,096
    values, ``ctypes`` element by element where it differs."""
    if not _LOG1PF_STRIDED:
        u = np.random.Generator(np.random.PCG64(20261202)).random(4096)
        probe = np.concatenate([u * 4 - 0.99, np.exp(u * 40 - 30)]).astype(np.float32)
        ok = _LIBM32 is not None
        if ok:
            with np.errstate(all="ignore"):
                ok = np.array_equal(np.log1p(probe[::-1])[::-1],
                                    _LIBM32["log1p"](probe).astype(np.float32))
        _LOG1PF_STRIDED.append(ok)
    with np.errstate(all="ignore"):
        if _LOG1PF_STRIDED[0] or _LIBM32 is None:
            flat = np.ascontiguousarray(x).reshape(-1)
            return np.log1p(flat[::-1])[::-1].reshape(np.shape(x))
        return _LIBM32["log1p"](x).astype(np.float32)


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
