"""engine/ops/numeric_more.py: nextafter, frexp, trapezoid / trapz / cumulative_trapezoid,
renorm (+ renorm_). (Tensor.unfold is a method only, not a table op: its gradchecks are in
tests/engine/test_numeric_more.py.)"""

import numpy as np

from engine import tensor

from . import Sample, samples

rng = np.random.default_rng(31)


def r(*shape, lo=-2.0, hi=2.0):
    return rng.uniform(lo, hi, size=shape)


# (the gradient flows to ``input`` where it differs from ``other``; ``other`` gets zeros)
samples("nextafter", Sample((r(3, 4), r(3, 4))), Sample((r(2, 1), r(3)), name="broadcast"),
        Sample((r(), r()), name="0-d"))
# (inputs away from powers of two, where the mantissa jumps)
samples("frexp", Sample((r(3, 4, lo=0.55, hi=0.95) * np.array([1, -2, 4, -8]),)),
        Sample((np.array(3.0),), name="0-d"), Sample((r(0, 2, lo=1.2, hi=1.8),), name="empty"))
for _name in ("trapezoid", "trapz"):
    samples(_name, Sample((r(3, 5),)), Sample((r(3, 5),), {"dx": 0.5}, name="dx"),
            Sample((r(4, 3),), {"dim": 0}, name="dim0"),
            Sample((r(3, 5), np.sort(r(5))), name="x"),
            Sample((r(2, 4), np.sort(r(2, 4), axis=1)), name="x-2d"),
            Sample((r(3, 4, 2), np.sort(r(4, 2), axis=0)), {"dim": 1}, name="x-padded"),
            Sample((r(1, 3),), {"dim": 0}, name="one-sample"))
# (an empty dim gives zeros that do not require grad, as torch's: test_numeric_more.py)
samples("cumulative_trapezoid", Sample((r(3, 5),)), Sample((r(3, 5),), {"dx": 0.5}, name="dx"),
        Sample((r(4, 3),), {"dim": 0}, name="dim0"),
        Sample((r(3, 5), np.sort(r(5))), name="x"),
        Sample((r(2, 4), np.sort(r(2, 4), axis=1)), name="x-2d"),
        Sample((r(0, 3),), {"dim": 0}, name="empty"))
# (slices both above and below maxnorm; none near it, where the gradient jumps)
_big = np.array([[3.0, -4.0, 2.0], [0.1, 0.2, -0.3], [1.5, 2.5, -3.5]])
samples("renorm", Sample((_big, 2, 0, 1.0)), Sample((_big, 1, 1, 2.0), name="p1-dim1"),
        Sample((_big, 3.0, -1, 1.5), name="p3"), Sample((r(2, 3, 2) * 3, 2, 1, 2.0), name="3-d"),
        Sample((_big, float("inf"), 0, 1.0), name="inf"))
samples("renorm_", Sample((_big, 2, 0, 1.0)), Sample((_big, 1, 1, 2.0), name="p1-dim1"))
# (not differentiable: torch's NotImplemented node; the suite compares its values and errors)
samples("histogram", Sample((r(20),), {"bins": 5, "range": (-1.0, 1.0)}),
        Sample((r(4, 5), 7), name="data-range"),
        Sample((r(12), tensor(np.array([-2.0, -0.5, 0.0, 0.7, 2.0]))), name="edges"),
        Sample((r(12), 4), {"weight": tensor(r(12, lo=0.0, hi=1.0)), "density": True},
               name="weight-density"))
