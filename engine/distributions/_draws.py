"""Draws the engine's op table has no sampler for (``torch.poisson``, ``torch.binomial``,
``torch._standard_gamma``): taken from the current generator's stream, so a seeded session
reproduces them. (Values cannot equal torch's: the generators differ.)"""

from __future__ import annotations

import numpy as np

from .. import errors
from ..modes import check_numel
from ..random import current_generator
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
    with rate.device.scope():
        lam = rate.device.xp.asarray(np.asarray(rate.numpy(force=True), dtype=np.float64))
        return _result(rate, gen._rng.poisson(lam))


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
    """Gamma(alpha, 1) draws as a float64 array (of ``alpha``'s device) of its shape. On a GPU
    these need CuPy's generator to have the sampler: not run on one yet."""
    _cpu_kernel(alpha, kernel)
    check_numel(alpha.shape)
    gen = current_generator(alpha.device)
    with alpha.device.scope():
        xp = alpha.device.xp
        a = xp.asarray(np.asarray(alpha.numpy(force=True), dtype=np.float64))
        return xp.asarray(gen._rng.standard_gamma(a))  # (an array for a 0-d alpha too)
