"""Samples for the ops the lead wrote with the core: arithmetic, a few unary, sum/mean, dot,
matmul, shape views and tensor methods (the family modules add the rest)."""

import numpy as np

from engine import float64

from . import Sample, samples, skip

rng = np.random.default_rng(0)


def r(*shape, lo=-2.0, hi=2.0):
    return rng.uniform(lo, hi, size=shape)


def pos(*shape):
    return rng.uniform(0.5, 2.0, size=shape)


samples("mul",
        Sample((r(3, 4), r(3, 4)), oracle=lambda np_, a, b: a * b),
        Sample((r(3, 1), r(4)), oracle=lambda np_, a, b: a * b, name="broadcast"),
        Sample((r(), r(2, 3)), oracle=lambda np_, a, b: a * b, name="0-d"),
        Sample((r(0, 3), r(3)), name="empty"),
        Sample((r(2, 3), 2.5), oracle=lambda np_, a: a * 2.5, name="scalar"))
samples("add",
        Sample((r(3, 4), r(4)), oracle=lambda np_, a, b: a + b),
        Sample((r(2, 3), r(2, 3)), {"alpha": 3}, oracle=lambda np_, a, b: a + 3 * b),
        Sample((r(), r())), Sample((r(0), r(1))))
samples("sub",
        Sample((r(3, 4), r(4)), oracle=lambda np_, a, b: a - b),
        Sample((r(2, 3), r(2, 1)), {"alpha": 0.5}, oracle=lambda np_, a, b: a - 0.5 * b))
samples("rsub",
        Sample((r(3, 4), r(4)), oracle=lambda np_, a, b: b - a),
        Sample((r(2, 3), r(2, 1)), {"alpha": 0.5}, oracle=lambda np_, a, b: b - 0.5 * a),
        Sample((r(2, 3), 4.2), oracle=lambda np_, a: 4.2 - a, name="number-other"))
samples("div",
        Sample((r(3, 4), pos(4)), oracle=lambda np_, a, b: a / b),
        Sample((1.5, pos(2, 3)), oracle=lambda np_, b: 1.5 / b, name="scalar-first"),
        Sample((r(2, 3), pos(2, 3)), {"rounding_mode": "floor"}, second_order=False,
               name="floor"))
samples("true_divide", Sample((r(3, 4), pos(4)), oracle=lambda np_, a, b: a / b))
samples("floor_divide", Sample((r(2, 3) * 3, pos(2, 3)), second_order=False))
samples("pow",
        Sample((pos(3, 4), r(4)), oracle=lambda np_, a, b: a ** b),
        Sample((r(3), 3), oracle=lambda np_, a: a ** 3, name="scalar-exponent"),
        Sample((2.0, r(3)), oracle=lambda np_, b: 2.0 ** b, name="scalar-base"),
        Sample((pos(), r(2, 2)), name="0-d"))
for _name, _f, _mk in (("neg", lambda np_, a: -a, r), ("exp", lambda np_, a: np_.exp(a), r),
                       ("log", lambda np_, a: np_.log(a), pos),
                       ("sin", lambda np_, a: np_.sin(a), r),
                       ("cos", lambda np_, a: np_.cos(a), r),
                       ("tanh", lambda np_, a: np_.tanh(a), r),
                       ("sigmoid", lambda np_, a: 1 / (1 + np_.exp(-a)), r)):
    samples(_name, Sample((_mk(3, 4),), oracle=_f), Sample((_mk(),), oracle=_f, name="0-d"),
            Sample((_mk(0, 2),), name="empty"))

samples("sum",
        Sample((r(3, 4),), oracle=lambda np_, a: np_.sum(a)),
        Sample((r(3, 4, 2),), {"dim": (0, -1)}, oracle=lambda np_, a: np_.sum(a, axis=(0, 2))),
        Sample((r(3, 4),), {"dim": 1, "keepdim": True},
               oracle=lambda np_, a: np_.sum(a, axis=1, keepdims=True)),
        Sample((r(),),), Sample((r(0, 3),), {"dim": 0}))
samples("mean",
        Sample((r(3, 4),), oracle=lambda np_, a: np_.mean(a)),
        Sample((r(3, 4),), {"dim": -1, "keepdim": True},
               oracle=lambda np_, a: np_.mean(a, axis=-1, keepdims=True)),
        Sample((r(),),))
samples("dot", Sample((r(4), r(4)), oracle=lambda np_, a, b: np_.dot(a, b)),
        Sample((r(0), r(0)), name="empty"))
samples("matmul",
        Sample((r(3, 4), r(4, 2)), oracle=lambda np_, a, b: np_.dot(a, b)),
        Sample((r(4), r(4, 2)), name="vec-mat"), Sample((r(3, 4), r(4)), name="mat-vec"),
        Sample((r(2, 3, 4), r(4, 2)), name="batch-broadcast"),
        Sample((r(4), r(2, 4, 3)), name="vec-batch"), Sample((r(2, 3, 4), r(4)), name="batch-vec"),
        Sample((r(4), r(4)), name="vec-vec"), Sample((r(0, 4), r(4, 2)), name="empty"))
samples("mm", Sample((r(3, 4), r(4, 2)), oracle=lambda np_, a, b: np_.dot(a, b)))

samples("reshape", Sample((r(3, 4), (2, 6))), Sample((r(3, 4), (-1,))),
        Sample((r(), (1, 1))))
samples("view", Sample((r(3, 4), 12)), Sample((r(2, 3), (3, -1))))
samples("expand", Sample((r(3, 1), (2, 3, 4))), Sample((r(), (2, 2))))
samples("expand_as", Sample((r(3, 1), r(3, 4))))
samples("unsqueeze", Sample((r(3, 4), 1)), Sample((r(), 0)))
samples("squeeze", Sample((r(3, 1, 4),)), Sample((r(3, 1, 4), 1)))
samples("transpose", Sample((r(3, 4, 2), 0, -1)))
samples("permute", Sample((r(3, 4, 2), (2, 0, 1))))
samples("t", Sample((r(3, 4),)), Sample((r(3),)))
samples("flatten", Sample((r(3, 4, 2),)), Sample((r(3, 4, 2), 1)))
samples("contiguous", Sample((r(3, 4),)))
samples("clone", Sample((r(3, 4),)), Sample((r(),)))
samples("to", Sample((r(3, 4), float64), {"copy": True}))
samples("double", Sample((r(3),)))
samples("type_as", Sample((r(3), r(2))))
samples("cpu", Sample((r(3),)))

for _name in ("float", "half"):
    skip(_name, "casts to a lower precision: checked by the float64 cast samples")
skip("cuda", "needs a GPU: covered by the GPU suite")
skip("backward", "drives autograd itself (tests/engine/test_autograd.py)")
