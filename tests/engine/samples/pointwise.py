"""Elementwise ops: unary math, binary broadcasting ops, clamp/where/lerp. Inputs keep clear of
kinks (a finite difference across one is not a derivative); the kinks are pinned in
tests/engine/test_pointwise.py against PyTorch's values."""

import numpy as np

from engine import tensor

from . import Sample, samples, skip

rng = np.random.default_rng(7)


def r(*shape, lo=-2.0, hi=2.0):
    return rng.uniform(lo, hi, size=shape)


def pos(*shape, lo=0.5, hi=2.0):
    return rng.uniform(lo, hi, size=shape)


def away(*shape, gap=0.2):
    """Values in [-2, 2] at least ``gap`` from every integer and half-integer."""
    x = rng.uniform(-2.0, 2.0, size=shape)
    frac = x - np.round(x * 2) / 2
    return np.asarray(x + np.where(np.abs(frac) < gap, np.sign(frac + 1e-12) * gap, 0.0))


def unit(*shape):
    return np.asarray(rng.uniform(-0.8, 0.8, size=shape))


def _unary(name, make, oracle=None, second_order=True):
    samples(name,
            Sample((make(3, 4),), oracle=oracle, second_order=second_order),
            Sample((make(),), oracle=oracle, second_order=second_order, name="0-d"),
            Sample((make(0, 2),), second_order=second_order, name="empty"))


_unary("abs", away, lambda np_, a: np_.abs(a))
_unary("sign", away, lambda np_, a: np_.sign(a))
_unary("expm1", r, lambda np_, a: np_.expm1(a))
_unary("log1p", lambda *s: pos(*s, lo=-0.5), lambda np_, a: np_.log1p(a))
_unary("log2", pos, lambda np_, a: np_.log2(a))
_unary("log10", pos, lambda np_, a: np_.log10(a))
_unary("sqrt", pos, lambda np_, a: np_.sqrt(a))
_unary("rsqrt", pos, lambda np_, a: 1 / np_.sqrt(a))
_unary("square", r, lambda np_, a: np_.square(a))
_unary("reciprocal", pos, lambda np_, a: np_.reciprocal(a))
_unary("tan", unit, lambda np_, a: np_.tan(a))
_unary("asin", unit, lambda np_, a: np_.arcsin(a))
_unary("acos", unit, lambda np_, a: np_.arccos(a))
_unary("atan", r, lambda np_, a: np_.arctan(a))
_unary("sinh", r, lambda np_, a: np_.sinh(a))
_unary("cosh", r, lambda np_, a: np_.cosh(a))
_unary("erf", lambda *s: r(*s, lo=-3.0, hi=3.0))  # autograd.scipy needs SciPy, not installed
for _name in ("floor", "ceil", "trunc"):
    _unary(_name, away, lambda np_, a, _n=_name: getattr(np_, _n)(a))
_unary("frac", away, lambda np_, a: a - np_.trunc(a))
_unary("positive", r, lambda np_, a: a)
samples("round",
        Sample((away(3, 4),), oracle=lambda np_, a: np_.round(a)),
        Sample((away(2, 3) / 10,), {"decimals": 1}, name="decimals"),
        Sample((away(2, 3) * 100,), {"decimals": -2}, name="negative-decimals"),
        Sample((away(),), name="0-d"), Sample((away(0),), name="empty"))
samples("nan_to_num",
        Sample((r(3, 4),), oracle=lambda np_, a: a),
        Sample((r(),), {"nan": 1.0, "posinf": 2.0}, name="0-d"),
        Sample((r(0, 2),), name="empty"))

# clamp: bounds away from the values, scalars (ClampBackward1) and tensors (ClampBackward0)
_x = np.array([[-1.7, -0.6, 0.3, 0.9], [1.4, -1.2, 0.05, 1.9], [-0.3, 0.7, -1.9, 1.1]])
samples("clamp",
        Sample((_x, -0.5, 1.0), oracle=lambda np_, a: np_.clip(a, -0.5, 1.0)),
        Sample((_x,), {"min": 0.0}, oracle=lambda np_, a: np_.maximum(a, 0.0), name="min"),
        Sample((_x,), {"max": 0.5}, oracle=lambda np_, a: np_.minimum(a, 0.5), name="max"),
        Sample((_x, np.full(4, -0.45), np.array([1.0, 0.5, 0.35, 2.5])),
               oracle=lambda np_, a, lo, hi: np_.minimum(np_.maximum(a, lo), hi),
               name="tensor-bounds"),
        # (a 0-d tensor next to a number bound is torch's Number overload: see test_clamp_args)
        Sample((_x, np.array(-0.4), np.array(0.8)), name="0-d-bounds"),
        Sample((_x, 1.0, -1.0), name="min-above-max"),
        Sample((r(0, 3), -1.0, 1.0), name="empty"),
        Sample((np.array(0.3), np.array([-1.0, 0.5, 0.9])), name="broadcast"))

# binary
_a, _b = r(3, 4), away(4)
samples("maximum",
        Sample((_a, _b), oracle=lambda np_, a, b: np_.maximum(a, b)),
        Sample((r(3, 1), away(1, 4)), oracle=lambda np_, a, b: np_.maximum(a, b),
               name="broadcast"),
        Sample((r(), r(2)), name="0-d"), Sample((r(0, 2), r(2)), name="empty"))
samples("fmax",
        Sample((_a, _b), oracle=lambda np_, a, b: np_.maximum(a, b)),
        Sample((r(3, 1), away(1, 4)), name="broadcast"),
        Sample((r(), r(2)), name="0-d"), Sample((r(0, 2), r(2)), name="empty"))
samples("fmin",
        Sample((_a, _b), oracle=lambda np_, a, b: np_.minimum(a, b)),
        Sample((r(3, 1), away(1, 4)), name="broadcast"),
        Sample((r(), r(2)), name="0-d"), Sample((r(0, 2), r(2)), name="empty"))
samples("minimum",
        Sample((_a, _b), oracle=lambda np_, a, b: np_.minimum(a, b)),
        Sample((r(3, 1), away(1, 4)), oracle=lambda np_, a, b: np_.minimum(a, b),
               name="broadcast"),
        Sample((r(), r(2)), name="0-d"), Sample((r(0, 2), r(2)), name="empty"))
samples("atan2",
        Sample((r(3, 4), pos(4)), oracle=lambda np_, a, b: np_.arctan2(a, b)),
        Sample((r(2, 1), -pos(3)), oracle=lambda np_, a, b: np_.arctan2(a, b), name="broadcast"),
        Sample((r(), r(0)), name="empty"))
# remainder/fmod jump where input / other crosses an integer: keep the quotient between them
_num, _den = np.array([[2.7, -2.7, 0.4], [5.1, -0.9, 3.3]]), np.array([1.2, 1.5, -0.7])
samples("remainder",
        Sample((_num, _den), oracle=lambda np_, a, b: np_.remainder(a, b)),
        Sample((_num, 0.7), oracle=lambda np_, a: np_.remainder(a, 0.7), name="scalar"),
        Sample((np.array(1.9), _den), name="0-d"))
samples("fmod",
        Sample((_num, _den)),  # autograd has no gradient for fmod
        Sample((_num, -0.7), name="scalar"),
        Sample((r(0, 3), _den), name="empty"))
samples("lerp",
        Sample((r(3, 4), r(3, 4), 0.3), oracle=lambda np_, a, b: a + 0.3 * (b - a)),
        Sample((r(3, 4), r(4), 0.8), oracle=lambda np_, a, b: a + 0.8 * (b - a),
               name="weight-above-half"),
        Sample((r(3, 1), r(4), rng.uniform(0, 1, (3, 4))),
               oracle=lambda np_, a, b, w: a + w * (b - a), name="tensor-weight"),
        Sample((r(), r(2), r(2)), name="0-d"))


def _where(cond):
    return lambda np_, a, b: np_.where(cond, a, b)


_mask = np.array([[True, False, True, False], [False, False, True, True],
                  [True, True, False, False]])
_cond = tensor(_mask)
samples("where",
        Sample((_cond, r(3, 4), r(3, 4)), oracle=_where(_mask)),
        Sample((_cond, r(4), r(3, 1)), name="broadcast"),  # autograd: no unbroadcast in where
        Sample((_cond, r(3, 4), 0.5), oracle=lambda np_, a: np_.where(_mask, a, 0.5),
               name="scalar"),
        Sample((tensor(True), r(), r(2)), name="0-d"),
        Sample((tensor(np.zeros((0, 3), bool)), r(3), r(0, 3)), name="empty"))

for _name in ("isnan", "isinf", "isfinite", "logical_and", "logical_or", "logical_xor",
              "logical_not", "bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_not"):
    skip(_name, "bool or integer result: not differentiable")
