"""addmm, addmv, addr, baddbmm, addbmm, addcmul, addcdiv: every operand differentiated, with
scaled and broadcast ``input``s."""

import numpy as np

from . import Sample, samples

rng = np.random.default_rng(23)


def r(*shape):
    return rng.uniform(-2.0, 2.0, size=shape)


def pos(*shape):
    return rng.uniform(0.5, 2.0, size=shape)


samples("addmm",
        Sample((r(2, 3), r(2, 4), r(4, 3)), oracle=lambda np_, c, a, b: c + np_.dot(a, b)),
        Sample((r(3), r(2, 4), r(4, 3)), {"beta": 0.5, "alpha": -2}, name="broadcast-scaled"),
        Sample((r(), r(1, 2), r(2, 2)), {"beta": 0}, name="0-d-beta0"))
samples("addmv",
        Sample((r(2), r(2, 4), r(4)), oracle=lambda np_, c, a, b: c + np_.dot(a, b)),
        Sample((r(), r(3, 2), r(2)), {"beta": 2, "alpha": 0.5}, name="0-d-scaled"))
samples("addr",
        Sample((r(2, 3), r(2), r(3)), oracle=lambda np_, c, a, b: c + np_.outer(a, b)),
        Sample((r(3), r(2), r(3)), {"beta": -1, "alpha": 3}, name="broadcast-scaled"))
samples("baddbmm",
        Sample((r(3, 2, 2), r(3, 2, 4), r(3, 4, 2)),
               oracle=lambda np_, c, a, b: c + np_.matmul(a, b)),
        Sample((r(2), r(2, 3, 2), r(2, 2, 2)), {"beta": 0.5, "alpha": 2}, name="broadcast"))
samples("addbmm",
        Sample((r(2, 3), r(4, 2, 2), r(4, 2, 3)),
               oracle=lambda np_, c, a, b: c + np_.sum(np_.matmul(a, b), axis=0)),
        Sample((r(3), r(2, 2, 2), r(2, 2, 3)), {"beta": -1, "alpha": 0.5}, name="broadcast"))
samples("addcmul",
        Sample((r(3, 4), r(3, 4), r(3, 4)), {"value": 0.5},
               oracle=lambda np_, c, a, b: c + 0.5 * a * b),
        Sample((r(4), r(3, 1), r(4)), name="broadcast"),
        Sample((r(), r(), r()), name="0-d"))
samples("addcdiv",
        Sample((r(3, 4), r(3, 4), pos(3, 4)), {"value": -2},
               oracle=lambda np_, c, a, b: c - 2 * a / b),
        Sample((r(4), r(3, 1), pos(4)), name="broadcast"))
