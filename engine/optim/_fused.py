"""The in-place pointwise updates optimizers are made of, rounded where torch's CPU kernels
round, so trajectories agree with torch's to the last bits.

Measured on torch 2.13's CPU kernels (float32): ``add_(x, alpha)`` is one fused multiply-add
(``a + alpha*x`` rounded once), ``addcmul_(t1, t2, value)`` rounds ``value*t1`` and then fuses
``(value*t1)*t2 + a``, ``lerp_(end, w)`` is ``fma(w, end - a, a)`` for ``w < 0.5`` and
``fma(-(end - a), 1 - w, end)`` otherwise, and ``addcdiv_`` is ``a + (value*t1)/t2`` with three
roundings. Scalars are converted to the array's dtype first, as torch's kernels convert them.
A fused multiply-add of float32 or float64 arrays is ``engine.ops._fma.fma``, rounded once
(the float64 sum of the exact float32 product rounded to float32 is a second rounding where it
lands on a float32 midpoint: ``a + alpha*x`` in float64 cast to float32 gave 1.0 where
torch's SGD step gives 1 + 2**-23, a = 1, x = 8390656 * 2**-47, alpha = 16773121 * 2**-24).
``sqrt`` is torch's kernel's (``ops.pointwise.sqrt_array``: MKL's float32 sqrt, a last bit
below the correctly rounded value for 0.6 % of inputs on Intel, modelled there; elsewhere
NumPy's correctly rounded one, and the last-bit difference remains on AMD).
"""

from __future__ import annotations

import numpy as np

from ..ops._fma import fma


def _fused_ok(a, *xs) -> bool:
    """Do ``a`` and the operands ``xs`` go to ``fma`` (float32 or float64, one dtype)?"""
    return (a.dtype == np.float32 or a.dtype == np.float64) and all(
        x.dtype == a.dtype for x in xs)


def _wide(a):
    """The dtype the other (half-precision) updates are computed in."""
    return np.float64


def sqrt(a, xp):
    """``a.sqrt()`` as torch's kernel computes it (a new array)."""
    from ..ops.pointwise import sqrt_array

    return sqrt_array(xp, a)


def scalar(value: float, like):
    """``value`` as torch's kernel sees it: converted to the array's dtype."""
    return like.dtype.type(value)


def add_(a, x, alpha: float, xp) -> None:
    """``a += alpha * x`` rounded once (torch's ``add_(x, alpha=alpha)``)."""
    if alpha == 1:
        xp.add(a, x, out=a)
        return
    if _fused_ok(a, x):
        fma(scalar(alpha, a), x, a, xp, out=a)
        return
    wide = _wide(a)
    xp.add(a, xp.multiply(x, wide(scalar(alpha, a)), dtype=wide), out=a, casting="unsafe")


def addcmul_(a, t1, t2, value: float, xp) -> None:
    """``a += value * t1 * t2`` as torch rounds it: ``value * t1``, then one fused step."""
    prod = t1 if value == 1 else t1 * scalar(value, a)
    if _fused_ok(a, prod, t2):
        fma(prod, t2, a, xp, out=a)
        return
    wide = _wide(a)
    xp.add(a, xp.multiply(prod, t2, dtype=wide), out=a, casting="unsafe")


def addcdiv_(a, t1, t2, value: float, xp) -> None:
    """``a += (value * t1) / t2``, each step rounded."""
    num = t1 if value == 1 else t1 * scalar(value, a)
    a += num / t2


def lerp_(a, end, weight: float, xp) -> None:
    """``a += weight * (end - a)`` as torch's ``lerp_`` rounds it."""
    w = scalar(weight, a)
    diff = end - a
    if _fused_ok(a, diff, end):
        if abs(weight) < 0.5:
            fma(w, diff, a, xp, out=a)
        else:
            fma(-diff, a.dtype.type(1) - w, end, xp, out=a)
        return
    wide = _wide(a)
    if abs(weight) < 0.5:
        xp.add(a, xp.multiply(diff, wide(w), dtype=wide), out=a, casting="unsafe")
    else:
        one_minus = a.dtype.type(1) - w
        xp.subtract(end, xp.multiply(diff, wide(one_minus), dtype=wide), out=a,
                    casting="unsafe")
