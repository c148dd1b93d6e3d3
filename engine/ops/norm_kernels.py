"""torch's CPU ``linalg.vector_norm`` kernels for a number ``p`` (not 0 or +-inf, which are
exact), bit for bit, measured against torch 2.13 on this host:

* reduced dims all of size 1 (or a 0-d input): ``|x|`` itself (torch's shortcut, no power);
* ``p = 2`` over one coalesced dim of contiguous values, float32 or float64 (after the cast
  to ``dtype=``, which torch makes first; float16 is accumulated in float32 instead): the
  vectorized last-dim kernel (``cascade.lastdim_norm2`` for float32; float64: 4 lanes of
  ``acc + x * x`` with the square rounded, the lanes added in order, then the tail's squares
  fused into the sum), then ``sqrt``;
* otherwise ``binary_kernel_reduce``: each output's terms in the iterator's order (reduced
  dims innermost, by stride), summed one after the other in the accumulation type (float32
  for float16, else the result's): ``|x|`` for ``p = 1``, ``x * x`` (rounded) for 2, the C
  library's ``pow(|x|, p)`` otherwise; one output of ``GRAIN_SIZE`` terms or more is split
  between torch's threads, each range summed from 0, then the ranges' sums in turn. Then
  ``sqrt`` (2) or ``pow(sum, 1 / p)`` (``1 / p`` in the accumulation type).

NumPy's own sums are pairwise and its float32/float64 ``power`` SIMD loops (and its special
cases for exponents 0.5, -1 and 2) are not the C library's ``pow``/``powf``; on a reversed view
with an array of exponents NumPy calls the C library element by element."""

from __future__ import annotations

import math

import numpy as np

from .._fperr import ignore as ignore_fp
from .._fperr import restore as restore_fp
from . import cascade
from ._fma import fma

_POW_OK: list = []


def _probe() -> bool:
    """Does NumPy's power on reversed views give the C library's (``math.pow``'s) bits?"""
    u = np.random.Generator(np.random.PCG64(20261203)).random(2048)
    x = np.concatenate([u * 4, 1e3 * u])
    ok = True
    for p in (0.5, -1.0, 2.0, 3.0, 1.5, 1 / 3):
        got = np.power(x[::-1], np.full(x.size, p))[::-1]
        ok = ok and got.tolist() == [math.pow(v, p) for v in x.tolist()]
    return ok


def libm_pow(x: np.ndarray, p) -> np.ndarray:
    """The C library's ``pow`` (float64) or ``powf`` (float32) of every element of ``x`` (``p``
    a number, taken in ``x``'s dtype)."""
    if not _POW_OK:
        _POW_OK.append(_probe())
    shape = x.shape
    flat = np.ascontiguousarray(x).reshape(-1)
    exps = np.full(flat.size, p, dtype=flat.dtype)
    if not _POW_OK[0]:
        if flat.dtype == np.float64:
            return np.array([_math_pow(v, float(p)) for v in flat.tolist()],
                            np.float64).reshape(shape)
        return np.power(flat.astype(np.float64), np.float64(exps[0] if exps.size else p)
                        ).astype(flat.dtype).reshape(shape)
    return np.ascontiguousarray(np.power(flat[::-1], exps)[::-1]).reshape(shape)


def _math_pow(v: float, p: float) -> float:
    try:
        return math.pow(v, p)
    except (OverflowError, ValueError):
        return float(np.power(np.float64(v), np.float64(p)))


def _groups(a: np.ndarray, dims: list) -> list:
    """The reduced dims as the reduction iterator coalesces them: ``[(size, stride)]``
    innermost (smallest stride) first."""
    out: list = []
    for d in sorted(dims, key=lambda d: a.strides[d]):
        if out and a.strides[d] == out[-1][0] * out[-1][1]:
            out[-1] = (out[-1][0] * a.shape[d], out[-1][1])
        else:
            out.append((a.shape[d], a.strides[d]))
    return out


def _lastdim_norm2_f64(x: np.ndarray) -> np.ndarray:
    """torch's float64 2-norm of each row of ``x`` (``(R, L)``) by its vectorized last-dim
    kernel: 4 lanes of ``acc + x * x`` (squares rounded) down the ``L // 4`` vectors, the
    lanes added in order, then the tail's squares fused into the sum; ``sqrt``. Measured on
    1,500 rows of lengths 2-3 mod 4: all torch's (all-rounded tails: 1,477)."""
    r, length = x.shape
    whole = length // 4
    if whole:
        vec = x[:, :whole * 4].reshape(r, whole, 4)
        lanes = np.add.reduce(vec * vec, axis=1)  # (sequential down the vectors)
        acc = np.add.accumulate(lanes, axis=1)[:, -1]
    else:
        acc = np.zeros(r, np.float64)
    for k in range(whole * 4, length):
        t = np.ascontiguousarray(x[:, k])
        acc = fma(t, t, acc)
    return np.sqrt(acc)


def vector_norm(a: np.ndarray, p: float, dims: tuple, keepdim: bool, out_dtype: np.dtype):
    """torch's ``linalg.vector_norm(a, p, dims, keepdim, dtype=out_dtype)`` of a float16,
    float32 or float64 NumPy array (``p`` not 0 or +-inf; ``dims`` sorted, all dims for a
    full reduction), or None where not modelled (an empty input, zero or negative strides)."""
    out_dtype = np.dtype(out_dtype)
    if a.size == 0 or a.dtype.kind != "f" or out_dtype.kind != "f":
        return None
    kept_shape = tuple(1 if d in dims else s for d, s in enumerate(a.shape)) if keepdim \
        else tuple(s for d, s in enumerate(a.shape) if d not in dims)
    red = [d for d in dims if a.shape[d] > 1]
    if out_dtype != a.dtype and out_dtype != np.float16:  # (``dtype=``: torch casts first)
        a = a.astype(out_dtype)
    acc_dt = np.dtype(np.float32) if out_dtype == np.float16 else out_dtype
    token = ignore_fp()
    try:
        if not red:  # torch's shortcut: the reduction over size-1 dims is |x|
            return np.abs(a.astype(out_dtype)).reshape(kept_shape)
        if any(a.strides[d] <= 0 for d in red):
            return None
        kept = [d for d in range(a.ndim) if d not in dims]
        order = sorted(red, key=lambda d: -a.strides[d])
        rows = np.transpose(a, kept + order + [d for d in dims if d not in red])
        n = math.prod(a.shape[d] for d in red)
        rows = rows.reshape(-1, n)
        groups = _groups(a, red)
        if p == 2 and a.dtype == out_dtype and a.dtype in (np.float32, np.float64) and \
                len(groups) == 1 and groups[0][1] == a.itemsize:
            x = np.ascontiguousarray(rows)
            res = cascade.lastdim_norm2(x) if a.dtype == np.float32 else _lastdim_norm2_f64(x)
            return res.astype(out_dtype, copy=False).reshape(kept_shape)
        x = rows.astype(acc_dt, copy=False)
        if p == 1:
            terms = np.abs(x)
        elif p == 2:
            terms = x * x
        else:
            terms = libm_pow(np.abs(x), acc_dt.type(p))
        if rows.shape[0] == 1 and n >= cascade.GRAIN_SIZE and cascade.threads() > 1:
            sums = np.zeros(1, acc_dt)
            for b, e in cascade.chunks(n, cascade.threads()):
                sums = sums + np.add.accumulate(terms[:, b:e], axis=1)[:, -1]
        else:
            sums = np.add.accumulate(terms, axis=1)[:, -1]
        if p == 2:
            res = np.sqrt(sums)
        elif p == 1:
            res = sums
        else:
            res = libm_pow(sums, acc_dt.type(1) / acc_dt.type(p))
        return res.astype(out_dtype, copy=False).reshape(kept_shape)
    finally:
        restore_fp(token)


__all__ = ["libm_pow", "vector_norm"]
