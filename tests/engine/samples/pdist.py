"""pdist (engine/ops/pdist.py). Its second derivative is refused (as in torch): first order
only. Rows are kept apart so no pair sits at distance 0 (where the norm is not smooth)."""

import numpy as np

from . import Sample, samples

rng = np.random.default_rng(53)


def r(*shape):
    return rng.uniform(-2.0, 2.0, size=shape)


samples("pdist",
        Sample((r(4, 3),), second_order=False),
        Sample((r(5, 2), 1.0), second_order=False, name="p1"),
        Sample((r(4, 3), 3.0), second_order=False, name="p3"),
        Sample((r(3, 4), 1.5), second_order=False, name="p1.5"),
        Sample((r(3, 2), 0.5), second_order=False, name="p0.5"),
        Sample((r(3, 2), float("inf")), second_order=False, name="pinf"),
        Sample((r(1, 3),), second_order=False, name="one-row"),
        Sample((r(3, 0),), second_order=False, name="no-columns"))
# (no sample with 0 rows: torch 2.13 crashes (segmentation fault) in its backward for p != 0)
