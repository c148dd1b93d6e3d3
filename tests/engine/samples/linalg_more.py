"""engine/ops/linalg_more.py: matrix_power, linalg.matrix_power, linalg.vecdot,
linalg.diagonal."""

import numpy as np

from . import Sample, samples

rng = np.random.default_rng(37)


def r(*shape):
    return rng.uniform(-2.0, 2.0, size=shape)


def well(*batch):
    return np.eye(3) * 2 + rng.uniform(-0.5, 0.5, size=batch + (3, 3))


for _name in ("matrix_power", "linalg.matrix_power"):
    samples(_name, Sample((well(), 2)), Sample((well(), 3), name="n3"),
            Sample((well(), 5), name="n5"), Sample((well(), 0), name="n0"),
            Sample((well(), 1), name="n1"), Sample((well(), -1), name="n-1"),
            Sample((well(), -2), name="n-2"), Sample((well(2), 4), name="batched"))
samples("linalg.vecdot", Sample((r(3, 4), r(4))), Sample((r(4), r(4)), name="1-d"),
        Sample((r(3, 4), r(3, 1)), {"dim": 0}, name="dim0"))
samples("linalg.diagonal", Sample((r(3, 4),)), Sample((r(2, 3, 3),), {"offset": 1},
                                                      name="batched-offset"),
        Sample((r(3, 4),), {"offset": -1, "dim1": -1, "dim2": -2}, name="dims"))
