"""hypot, logaddexp(2), xlogy, logit, sinc, deg2rad, rad2deg, clamp_min, clamp_max. Inputs keep
clear of the points where these are not differentiable (hypot at the origin, clamp ties)."""

import numpy as np

from engine import tensor

from . import Sample, samples

rng = np.random.default_rng(17)


def r(*shape, lo=-2.0, hi=2.0):
    return rng.uniform(lo, hi, size=shape)


def pos(*shape, lo=0.5, hi=2.0):
    return rng.uniform(lo, hi, size=shape)


def prob(*shape):
    return rng.uniform(0.15, 0.85, size=shape)


def off(*shape, bound=0.3, gap=0.1):
    """Values in [-2, 2] at least ``gap`` away from ``bound`` (no clamp ties)."""
    x = r(*shape)
    return np.where(np.abs(x - bound) < gap, bound + np.sign(x - bound + 1e-12) * gap, x)


samples("hypot",
        Sample((pos(3, 4), r(3, 4)), oracle=lambda np_, a, b: np_.sqrt(a * a + b * b)),
        Sample((pos(3, 1), pos(4)), name="broadcast"),
        Sample((pos(), pos()), name="0-d"))
samples("logaddexp",
        Sample((r(3, 4), r(3, 4)), oracle=lambda np_, a, b: np_.logaddexp(a, b)),
        Sample((r(2, 1), r(3)), name="broadcast"))
samples("logaddexp2",
        Sample((r(3, 4), r(3, 4)), oracle=lambda np_, a, b: np_.logaddexp2(a, b)),
        Sample((r(), r(2)), name="broadcast"))
samples("xlogy",
        Sample((r(3, 4), pos(3, 4)), oracle=lambda np_, a, b: a * np_.log(b)),
        Sample((2.5, pos(3)), name="number-self"),
        Sample((r(3), 1.5), name="number-other"),
        Sample((r(2, 1), pos(3)), name="broadcast"))
samples("logit",
        Sample((prob(3, 4),), oracle=lambda np_, a: np_.log(a / (1 - a))),
        Sample((prob(3, 4),), {"eps": 0.1}, name="eps"),
        Sample((prob(),), name="0-d"))
samples("sinc",
        Sample((off(3, 4, bound=0.0),),
               oracle=lambda np_, a: np_.sin(np.pi * a) / (np.pi * a)),
        Sample((off(bound=0.0),), name="0-d"))
samples("deg2rad", Sample((r(3, 4) * 90,), oracle=lambda np_, a: a * (np.pi / 180)))
samples("rad2deg", Sample((r(3, 4),), oracle=lambda np_, a: a * (180 / np.pi)))
def near(bound):
    """Values at least 0.1 away from each element of ``bound``, on both sides of it."""
    step = rng.uniform(0.1, 1.0, size=bound.shape) * rng.choice([-1.0, 1.0], size=bound.shape)
    return bound + step


_BOUND = r(3, 4)
samples("clamp_min",
        Sample((off(3, 4), 0.3), oracle=lambda np_, a: np_.maximum(a, 0.3)),
        Sample((near(_BOUND), _BOUND), name="tensor-bound"),
        Sample((off(3, 4, bound=0.0), tensor(0.0, dtype="float64")), name="0-d-bound"))
samples("clamp_max",
        Sample((off(3, 4), 0.3), oracle=lambda np_, a: np_.minimum(a, 0.3)),
        Sample((near(_BOUND[0]), _BOUND), name="tensor-bound"))
