"""Draws the engine's op table has no sampler for (``torch.poisson``, ``torch.binomial``,
``torch._standard_gamma``), from the current generator's stream, so a seeded session reproduces
them. On the CPU, gamma (so Gamma, Chi2, Beta, Dirichlet, StudentT) and Poisson draws are
torch's: its per-element kernels' algorithms (Marsaglia and Tsang's gamma with its float
constants, Hormann's transformed rejection for Poisson rates from 10, products of uniforms
below, BTRS or geometric gaps for binomial counts) on torch's scalar uniform and normal draws,
element by element in memory order. Other devices' draws are their array library's."""

from __future__ import annotations

import math

import numpy as np

from .. import errors
from ..cost import charge
from ..modes import check_numel
from ..random import ScalarDraws, current_generator
from ..tensor import Tensor, _wrap


def _cpu_kernel(t: Tensor, kernel: str) -> None:
    """torch's CPU samplers for binomial, gamma and Dirichlet draws have no half kernel."""
    if t.dtype.name == "float16" and t.device.type == "cpu":
        raise errors.KernelNotImplemented(errors.NOT_IMPLEMENTED_FOR.format(kernel=kernel,
                                                                           dtype="Half"))


def _result(t: Tensor, values) -> Tensor:
    return _wrap(t.device.xp.asarray(values).astype(t.dtype.np, copy=False), t.dtype, t.device)


def poisson(rate: Tensor, generator=None) -> Tensor:
    """Poisson counts with the given rates, in ``rate``'s dtype (``torch.poisson``)."""
    check_numel(rate.shape)  # the session's element limit, before NumPy allocates
    gen = current_generator(rate.device, generator)
    rates = np.asarray(rate.numpy(force=True), dtype=np.float64)
    if rate.device.type == "cpu":
        if not (rates >= 0).all():  # NaN too
            raise errors.EngineRuntimeError(
                "invalid Poisson rate, expected rate to be non-negative")
        return _result(rate, _per_element("poisson", gen, rates, _poisson_one))
    with rate.device.scope():
        return _result(rate, gen._rng.poisson(rate.device.xp.asarray(rates)))


def binomial(count: Tensor, prob: Tensor, generator=None) -> Tensor:
    """Binomial counts of ``count`` trials with success probability ``prob`` (same shape), in
    ``count``'s dtype (``torch.binomial``)."""
    _cpu_kernel(count, "binomial_cpu")
    check_numel(count.shape)
    gen = current_generator(count.device, generator)
    if count.device.type == "cpu":
        single = count.dtype.name == "float32"
        kind = np.float32 if single else np.float64
        n = np.broadcast_to(np.asarray(count.numpy(force=True), dtype=kind), count.shape)
        p = np.broadcast_to(np.asarray(prob.numpy(force=True), dtype=kind), count.shape)
        if np.isnan(n).any():  # torch's inversion loop never ends on a NaN count
            raise errors.EngineRuntimeError("binomial: a count is NaN (torch's CPU kernel "
                                            "does not return for it)")
        charge("binomial", n.size * _PER_ELEMENT)
        out = np.empty(n.size, dtype=np.float64)
        draws = ScalarDraws(gen)
        try:
            with np.errstate(all="ignore"):  # float32 steps overflow to inf, as C's
                for i, (c, q) in enumerate(zip(n.reshape(-1).tolist(),
                                               p.reshape(-1).tolist())):
                    out[i] = _binomial_one(c, q, draws, single)
        finally:
            draws.close()
        return _result(count, out.reshape(count.shape))
    with count.device.scope():
        xp = count.device.xp
        n = xp.asarray(np.asarray(count.numpy(force=True), dtype=np.float64).astype(np.int64))
        p = xp.asarray(np.clip(np.asarray(prob.numpy(force=True), dtype=np.float64), 0.0, 1.0))
        return _result(count, gen._rng.binomial(n, p))


def _floor(x: float) -> float:
    return float(math.floor(x)) if math.isfinite(x) else x


def _log(x: float) -> float:
    """C's ``log``: -inf at 0, NaN below."""
    if x > 0:
        return math.log(x)
    return -math.inf if x == 0 else math.nan


_TAILS = (0.0810614667953272, 0.0413406959554092, 0.0276779256849983, 0.02079067210376509,
          0.0166446911898211, 0.0138761288230707, 0.0118967099458917, 0.0104112652619720,
          0.00925546218271273, 0.00833056343336287)
"""``log(k!) - (k + 1/2) log(k + 1) + (k + 1) - log(2 pi) / 2`` for k = 0..9."""


def _stirling_tail(k: float) -> float:
    """The error of Stirling's approximation of ``log(k!)``: tabled to 9, then its series."""
    if k <= 9:
        return _TAILS[int(k)]
    kp1sq = (k + 1) * (k + 1)
    return (1.0 / 12 - (1.0 / 360 - 1.0 / 1260 / kp1sq) / kp1sq) / (k + 1)


def _binomial_one(count: float, prob: float, draws: ScalarDraws, single: bool) -> float:
    """One Binomial(count, prob) draw as torch's kernel makes it: the smaller of ``prob`` and
    ``1 - prob`` drawn by BTRS (Hormann's transformed rejection) when ``count`` times it is
    10 or more, else by summing geometric gaps; a float32 count and prob keep their own
    arithmetic in float32 where the kernel does."""
    s = np.float32 if single else float
    if count <= 0.0 or prob <= 0.0:
        return 0.0
    if prob >= 1.0:
        return count
    if prob <= 0.5:
        if float(s(count) * s(prob)) >= 10.0:
            return _btrs(count, prob, draws, s)
        return _inversion(count, prob, draws, s)
    if prob > 0.5:
        q = float(s(1.0 - prob))
        drawn = _btrs(count, q, draws, s) if float(s(count) * s(q)) >= 10.0 else \
            _inversion(count, q, draws, s)
        return float(s(count) - s(drawn))
    return math.nan


def _inversion(count: float, prob: float, draws: ScalarDraws, s) -> float:
    """The number of geometric(prob) gaps (``ceil(log U / log(1 - prob))``) that fit in
    ``count``."""
    if s is float:
        logprob = math.log1p(-prob)
    else:
        logprob = float(_log1pf(-prob))
    total, found = 0.0, s(0)
    while True:
        u = draws.uniform()
        total += -_floor(_log(u) / -logprob)  # ceil(log u / logprob)
        if total > count:
            return float(found)
        found = found + s(1)


def _btrs(count: float, prob: float, draws: ScalarDraws, s) -> float:
    """Hormann's BTRS, with torch's upper bound of the acceptance ratio."""
    one = s(1)
    stddev = float(np.sqrt(s(count) * s(prob) * (one - s(prob)))) if s is not float \
        else math.sqrt(count * prob * (1 - prob))
    b = 1.15 + 2.53 * stddev
    a = -0.0873 + 0.0248 * b + 0.01 * prob
    c = float(s(count) * s(prob)) + 0.5
    v_r = 0.92 - 4.2 / b
    r = float(s(prob) / (one - s(prob)))
    alpha = (2.83 + 5.1 / b) * stddev
    m = _floor(float((s(count) + one) * s(prob)))
    count1 = float(s(count) + one)
    while True:
        u = draws.uniform() - 0.5
        v = draws.uniform()
        us = 0.5 - abs(u)
        k = float(s(_floor((2 * a / us + b) * u + c)))
        if k < 0 or k > count:
            continue
        if us >= 0.07 and v <= v_r:
            return k
        v = _log(v * alpha / (a / (us * us) + b))
        left = float(s(count) - s(k) + one)
        bound = ((m + 0.5) * _log((m + 1) / (r * (count - m + 1)))
                 + count1 * _log((count - m + 1) / left)
                 + (k + 0.5) * _log(r * left / float(s(k) + one))
                 + _stirling_tail(m) + _stirling_tail(count - m) - _stirling_tail(k)
                 - _stirling_tail(float(s(count) - s(k))))
        if v <= bound:
            return k


def _log1pf(x: float) -> float:
    """The C library's single-precision ``log1pf`` (what ``std::log1p`` of a float calls)."""
    global _LOG1PF
    if _LOG1PF is None:
        import ctypes
        import ctypes.util

        fn = ctypes.CDLL(ctypes.util.find_library("m") or "libm.so.6").log1pf
        fn.restype, fn.argtypes = ctypes.c_float, [ctypes.c_float]
        _LOG1PF = fn
    return _LOG1PF(x)


_LOG1PF = None


def standard_gamma(alpha: Tensor, kernel: str = "gamma_cpu", generator=None):
    """Gamma(alpha, 1) draws as a float64 array (of ``alpha``'s device) of its shape, at least
    the smallest normal number: of ``alpha``'s dtype (``kernel`` "gamma_cpu", torch's
    ``_standard_gamma``, whose float32 alphas are worked on in float32 where torch's kernel
    does), or of float64 (``"dirichlet"``: torch's Dirichlet kernel draws in double). On a GPU
    these need CuPy's generator to have the sampler: not run on one yet."""
    _cpu_kernel(alpha, kernel)
    check_numel(alpha.shape)
    gen = current_generator(alpha.device, generator)
    if alpha.device.type == "cpu":
        single = kernel != "dirichlet" and alpha.dtype.name == "float32"
        values = np.asarray(alpha.numpy(force=True), dtype=np.float32 if single else np.float64)
        drawn = _per_element("_sample_dirichlet" if kernel == "dirichlet" else "_standard_gamma",
                             gen, values, lambda a, draws: _gamma_one(a, draws, single))
        # std::max(tiny, sample): a NaN sample gives tiny
        if single:
            drawn = drawn.astype(np.float32)
            tiny = np.finfo(np.float32).tiny
            return np.where(drawn > tiny, drawn, tiny).astype(np.float64)
        tiny = np.finfo(np.float64).tiny
        return np.where(drawn > tiny, drawn, tiny)
    with alpha.device.scope():
        xp = alpha.device.xp
        a = xp.asarray(np.asarray(alpha.numpy(force=True), dtype=np.float64))
        return xp.asarray(gen._rng.standard_gamma(a))  # (an array for a 0-d alpha too)


_PER_ELEMENT = 8000.0
"""Cost units (``engine.cost``) of one element of a per-element draw (~7 us measured)."""


def _per_element(op: str, gen, values: np.ndarray, draw) -> np.ndarray:
    """``draw(value, draws)`` for each element in memory (C) order, as torch's serial kernels
    run, from one stream of torch's scalar draws (charged to the cost meter first)."""
    charge(op, values.size * _PER_ELEMENT)
    flat = np.ascontiguousarray(values).reshape(-1)
    out = np.empty(flat.shape, dtype=np.float64)
    draws = ScalarDraws(gen)
    try:
        for i, v in enumerate(flat.tolist()):
            out[i] = draw(v, draws)
    finally:
        draws.close()
    return out.reshape(values.shape)


_ONE_THIRD = float(np.float32(1.0) / np.float32(3.0))  # torch's ``1.0f / 3.0f``
_SQUEEZE = float(np.float32(0.0331))  # ``0.0331f``


def _gamma_one(alpha: float, draws: ScalarDraws, single: bool) -> float:
    """One Gamma(alpha, 1) draw by Marsaglia and Tsang's method (alpha below 1 boosted by one
    and scaled by ``U ** (1 / alpha)``), in double, with torch's float constants; ``single``:
    alpha's own steps (``1 / alpha``, ``alpha + 1``, ``alpha - 1/3``) in float32."""
    f32 = np.float32
    scale = 1.0
    if alpha < 1.0:
        if alpha == 0.0:
            return 0.0
        exponent = float(f32(1.0) / f32(alpha)) if single else 1.0 / alpha
        try:
            scale *= math.pow(1 - draws.uniform(), exponent)
        except OverflowError:  # (C's pow: inf)
            scale = math.inf
        alpha = float(f32(alpha) + f32(1.0)) if single else alpha + 1.0
    d = float(f32(alpha) - f32(_ONE_THIRD)) if single else alpha - _ONE_THIRD
    # C's 1 / sqrt(9 d): inf at 0, NaN below (a negative or NaN alpha: the draw is NaN, which
    # the kernel's std::max turns into the smallest normal number)
    c = 1.0 / math.sqrt(9.0 * d) if d > 0 else math.inf if d == 0 else math.nan
    while True:
        while True:
            x = draws.normal()
            y = 1.0 + c * x
            if not y <= 0:  # (C's ``while (y <= 0)``: a NaN ends it)
                break
        v = y * y * y
        u = 1 - draws.uniform()
        xx = x * x
        if u < 1.0 - _SQUEEZE * xx * xx:
            return scale * d * v
        if math.log(u) < 0.5 * xx + d * (1.0 - v + math.log(v)):
            return scale * d * v


def _to_int64(x: float) -> int:
    """``(int64_t) std::floor(x)`` as x86-64 computes it: out of range or NaN is -2**63."""
    if not -2.0 ** 63 <= x < 2.0 ** 63:
        return -(2 ** 63)
    return math.floor(x)


def _poisson_one(lam: float, draws: ScalarDraws) -> float:
    """One Poisson(lam) count: Hormann's transformed rejection (PTRS) from a rate of 10, else
    the count of uniforms whose running product stays above ``exp(-lam)``. (The acceptance
    test's ``lgamma`` is CPython's, torch's is glibc's: they differ in the last bit at most.)"""
    if lam >= 10:
        slam, loglam = math.sqrt(lam), math.log(lam)
        b = 0.931 + 2.53 * slam
        a = -0.059 + 0.02483 * b
        invalpha = 1.1239 + 1.1328 / (b - 3.4)
        vr = 0.9277 - 3.6224 / (b - 2)
        while True:
            u = draws.uniform() - 0.5
            v = draws.uniform()
            us = 0.5 - abs(u)
            k = _to_int64((2 * a / us + b) * u + lam + 0.43)
            if us >= 0.07 and v <= vr:
                return k
            if k < 0 or (us < 0.013 and v > us):
                continue
            if (math.log(v) + math.log(invalpha) - math.log(a / (us * us) + b)
                    <= -lam + k * loglam - math.lgamma(k + 1.0)):
                return k
    if lam == 0:
        return 0
    bound, count, product = math.exp(-lam), 0, 1.0
    while True:
        product *= draws.uniform()
        if product > bound:
            count += 1
        else:
            return count
