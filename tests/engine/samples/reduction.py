"""Reductions, scans and selections (sum and mean are in ``core``). Inputs keep away from ties
and kinks (max, norms at 0) except where a sample pins the behaviour there; zeros are included
for prod and cumprod, whose gradients must stay exact (to second order) at zeros."""

import numpy as np

from . import Sample, samples, skip

rng = np.random.default_rng(7)


def r(*shape, lo=-2.0, hi=2.0):
    return rng.uniform(lo, hi, size=shape)


def distinct(*shape):
    """Values far apart from each other (no near ties for max/min/sort)."""
    n = int(np.prod(shape))
    return (rng.permutation(n) * 0.7 - n * 0.3 + rng.uniform(-0.1, 0.1, n)).reshape(shape)


def away_from_zero(*shape):
    return rng.uniform(0.5, 1.5, size=shape) * rng.choice([-1.0, 1.0], size=shape)


with_zeros = np.array([[2.0, 0.0, 1.5, -1.2], [0.7, -1.1, 0.0, 0.0], [0.5, -1.0, 1.3, 0.9]])


def _lse(np_, a, axis=None, keepdims=False):
    m = np_.max(a)  # constant shift (the result does not depend on it)
    return np_.log(np_.sum(np_.exp(a - m), axis=axis, keepdims=keepdims)) + m


samples("prod",
        Sample((r(3, 4),), oracle=lambda np_, a: np_.prod(a)),
        Sample((r(3, 4),), {"dim": 1}, oracle=lambda np_, a: np_.prod(a, axis=1)),
        Sample((r(3, 4),), {"dim": -2, "keepdim": True},
               oracle=lambda np_, a: np_.prod(a, axis=0, keepdims=True)),
        Sample((with_zeros,), {"dim": 1}, name="zeros-along-dim"),
        Sample((with_zeros,), {"dim": 0}, name="zeros-along-dim0"),
        Sample((np.array([1.3, 0.0, -0.8]),), name="one-zero-full"),
        Sample((np.array([0.0, 1.3, 0.0]),), name="two-zeros-full"),
        Sample((r(),), oracle=lambda np_, a: np_.prod(a), name="0-d"),
        Sample((r(),), {"dim": 0}, name="0-d-dim"),
        Sample((r(0, 3),), {"dim": 0}, name="empty"))
samples("cumsum",
        Sample((r(3, 4), 1), oracle=lambda np_, a: np_.cumsum(a, axis=1)),
        Sample((r(3, 4), -2), oracle=lambda np_, a: np_.cumsum(a, axis=0)),
        Sample((r(), 0), name="0-d"), Sample((r(0, 3), 1), name="empty"))
samples("cumprod",
        Sample((r(3, 4), 1)), Sample((r(3, 4), 0)),
        Sample((with_zeros, 1), name="zeros"), Sample((with_zeros, 0), name="zeros-dim0"),
        Sample((np.array([1.2, 0.0, -0.7, 0.0, 1.1]), 0), name="two-zeros"),
        Sample((r(), 0), name="0-d"), Sample((r(0, 3), 1), name="empty"))
samples("var",
        Sample((r(3, 4),), oracle=lambda np_, a: np_.var(a, ddof=1)),
        Sample((r(3, 4), 1), oracle=lambda np_, a: np_.var(a, axis=1, ddof=1)),
        Sample((r(3, 4, 2), (0, 2)), {"keepdim": True, "correction": 0},
               oracle=lambda np_, a: np_.var(a, axis=(0, 2), keepdims=True)),
        Sample((r(3, 4), -1, False), oracle=lambda np_, a: np_.var(a, axis=-1),
               name="unbiased-positional"),
        Sample((r(2, 5),), {"correction": 2}, oracle=lambda np_, a: np_.var(a, ddof=2)),
        Sample((r(),), {"correction": 0}, name="0-d"))
samples("std",
        Sample((r(3, 4),), oracle=lambda np_, a: np_.std(a, ddof=1)),
        Sample((r(3, 4), 0), {"keepdim": True},
               oracle=lambda np_, a: np_.std(a, axis=0, ddof=1, keepdims=True)),
        Sample((r(3, 4), 1), {"correction": 0}, oracle=lambda np_, a: np_.std(a, axis=1)),
        Sample((r(2, 3),), {"unbiased": False}, oracle=lambda np_, a: np_.std(a)))
samples("norm",
        Sample((r(3, 4),), oracle=lambda np_, a: np_.sqrt(np_.sum(a * a))),
        Sample((away_from_zero(3, 4), 1), oracle=lambda np_, a: np_.sum(np_.abs(a)), name="p=1"),
        Sample((r(3, 4), 3, 1), oracle=lambda np_, a: np_.sum(np_.abs(a) ** 3, axis=1) ** (1 / 3),
               name="p=3"),
        Sample((away_from_zero(3, 4), 1.5, 0, True), name="p=1.5"),
        Sample((away_from_zero(3, 4), 0.5, -1), name="p=0.5"),
        Sample((away_from_zero(3, 4), -2, 1), name="p=-2"),
        Sample((distinct(3, 4), float("inf"), 1),
               oracle=lambda np_, a: np_.max(np_.abs(a), axis=1), name="p=inf"),
        Sample((distinct(3, 4), float("-inf")),
               oracle=lambda np_, a: np_.min(np_.abs(a)), name="p=-inf"),
        Sample((r(3, 4), 0), name="p=0"),
        Sample((r(3, 4), "fro", (0, 1)), name="fro"),
        Sample((r(),), name="0-d"), Sample((r(0, 3),), name="empty"))
samples("logsumexp",
        Sample((r(3, 4), 1), oracle=lambda np_, a: _lse(np_, a, axis=1)),
        Sample((r(3, 4), (0, 1)), {"keepdim": True},
               oracle=lambda np_, a: _lse(np_, a, axis=(0, 1), keepdims=True)),
        Sample((r(3, 4) * 400, 0), name="large"),
        Sample((r(), 0), name="0-d"), Sample((r(2, 0), 0), name="empty"))
for _name, _np in (("amax", "max"), ("amin", "min")):
    samples(_name,
            Sample((distinct(3, 4),), oracle=(lambda f: lambda np_, a: getattr(np_, f)(a))(_np)),
            Sample((distinct(3, 4), 1), oracle=(lambda f: lambda np_, a:
                                                getattr(np_, f)(a, axis=1))(_np)),
            Sample((distinct(3, 4, 2), (0, -1)), {"keepdim": True}, name="dims"),
            Sample((r(),), name="0-d"), Sample((r(3, 0), 0), name="empty"))
    samples(_np,
            Sample((distinct(3, 4),), oracle=(lambda f: lambda np_, a: getattr(np_, f)(a))(_np),
                   name="full"),
            Sample((distinct(3, 4), 1), name="dim"),
            Sample((distinct(3, 4), -2, True), name="dim-keepdim"),
            Sample((r(), 0), name="0-d"), Sample((r(3, 0), 0), name="empty"),
            Sample((distinct(3, 4), distinct(4)), name="other"))

samples("sort",
        Sample((distinct(6),), oracle=lambda np_, a: np_.sort(a)),
        Sample((distinct(3, 4),), name="rows"),
        Sample((distinct(3, 4), 0, True), name="descending-dim0"),
        Sample((r(),), name="0-d"), Sample((r(2, 0),), name="empty"))
samples("topk",
        Sample((distinct(3, 5), 2), name="largest"),
        Sample((distinct(3, 5), 3, 0), {"largest": False}, name="smallest-dim0"),
        Sample((r(), 1), name="0-d"), Sample((r(3, 4), 0), name="k=0"))

for _name in ("argmax", "argmin", "all", "any"):
    skip(_name, "returns indices or bools: not differentiable")
