"""Draws the engine's op table has no sampler for (``torch.poisson``, ``torch.binomial``,
``torch._standard_gamma``), from the current generator's stream, so a seeded session reproduces
them. On the CPU, gamma (so Gamma, Chi2, Beta, Dirichlet, StudentT) and Poisson draws are
torch's: its per-element kernels' algorithms (Marsaglia and Tsang's gamma with its float
constants, Hormann's transformed rejection for Poisson rates from 10, products of uniforms
below) on torch's scalar uniform and normal draws, element by element in memory order.
Binomial draws and other devices' draws are their array library's (not torch's numbers)."""

from __future__ import annotations

import math

import numpy as np

from .. import errors
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


def poisson(rate: Tensor) -> Tensor:
    """Poisson counts with the given rates, in ``rate``'s dtype (``torch.poisson``)."""
    check_numel(rate.shape)  # the session's element limit, before NumPy allocates
    gen = current_generator(rate.device)
    rates = np.asarray(rate.numpy(force=True), dtype=np.float64)
    if rate.device.type == "cpu":
        if not (rates >= 0).all():  # NaN too
            raise errors.EngineRuntimeError(
                "invalid Poisson rate, expected rate to be non-negative")
        return _result(rate, _per_element(gen, rates, _poisson_one))
    with rate.device.scope():
        return _result(rate, gen._rng.poisson(rate.device.xp.asarray(rates)))


def binomial(count: Tensor, prob: Tensor) -> Tensor:
    """Binomial counts of ``count`` trials with success probability ``prob`` (same shape), in
    ``count``'s dtype (``torch.binomial``)."""
    _cpu_kernel(count, "binomial_cpu")
    check_numel(count.shape)
    gen = current_generator(count.device)
    with count.device.scope():
        xp = count.device.xp
        n = xp.asarray(np.asarray(count.numpy(force=True), dtype=np.float64).astype(np.int64))
        p = xp.asarray(np.clip(np.asarray(prob.numpy(force=True), dtype=np.float64), 0.0, 1.0))
        return _result(count, gen._rng.binomial(n, p))


def standard_gamma(alpha: Tensor, kernel: str = "gamma_cpu"):
    """Gamma(alpha, 1) draws as a float64 array (of ``alpha``'s device) of its shape, at least
    the smallest normal number: of ``alpha``'s dtype (``kernel`` "gamma_cpu", torch's
    ``_standard_gamma``, whose float32 alphas are worked on in float32 where torch's kernel
    does), or of float64 (``"dirichlet"``: torch's Dirichlet kernel draws in double). On a GPU
    these need CuPy's generator to have the sampler: not run on one yet."""
    _cpu_kernel(alpha, kernel)
    check_numel(alpha.shape)
    gen = current_generator(alpha.device)
    if alpha.device.type == "cpu":
        single = kernel != "dirichlet" and alpha.dtype.name == "float32"
        values = np.asarray(alpha.numpy(force=True), dtype=np.float32 if single else np.float64)
        drawn = _per_element(gen, values, lambda a, draws: _gamma_one(a, draws, single))
        if single:
            return np.maximum(drawn.astype(np.float32), np.finfo(np.float32).tiny).astype(
                np.float64)
        return np.maximum(drawn, np.finfo(np.float64).tiny)
    with alpha.device.scope():
        xp = alpha.device.xp
        a = xp.asarray(np.asarray(alpha.numpy(force=True), dtype=np.float64))
        return xp.asarray(gen._rng.standard_gamma(a))  # (an array for a 0-d alpha too)


def _per_element(gen, values: np.ndarray, draw) -> np.ndarray:
    """``draw(value, draws)`` for each element in memory (C) order, as torch's serial kernels
    run, from one stream of torch's scalar draws."""
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
        scale *= math.pow(1 - draws.uniform(), exponent)
        alpha = float(f32(alpha) + f32(1.0)) if single else alpha + 1.0
    d = float(f32(alpha) - f32(_ONE_THIRD)) if single else alpha - _ONE_THIRD
    c = 1.0 / math.sqrt(9.0 * d)
    while True:
        while True:
            x = draws.normal()
            y = 1.0 + c * x
            if y > 0:
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
