"""Sorting and searching ops: not differentiable, so these samples are not gradchecked; they
give the differential suite (tests/oracle) its arguments for these ops."""

import numpy as np

from engine import tensor

from . import Sample, samples

rng = np.random.default_rng(53)


def r(*shape):
    return rng.uniform(-2.0, 2.0, size=shape)


def ints(*shape):
    return rng.integers(-2, 3, size=shape).astype(np.float64)  # repeats, for unique


samples("argsort", Sample((r(3, 4),)), Sample((r(3, 4), 0, True), name="dim0-descending"))
samples("nonzero", Sample((ints(3, 4),)), Sample((ints(5),), {"as_tuple": True}, name="tuple"))
samples("argwhere", Sample((ints(3, 4),)))
samples("count_nonzero", Sample((ints(3, 4),)), Sample((ints(3, 4), 1), name="dim"))
samples("searchsorted",
        Sample((tensor(np.sort(r(6))), r(3, 2))),
        Sample((tensor(np.sort(r(2, 5), axis=1)), r(2, 3)), {"right": True}, name="rows"))
samples("bucketize", Sample((r(3, 4), tensor(np.sort(r(5))))))
samples("histc", Sample((r(20),), {"bins": 5, "min": -1.0, "max": 1.0}),
        Sample((r(4, 5),), {"bins": 7}, name="data-range"))
samples("unique",
        Sample((ints(10),), {"return_inverse": True, "return_counts": True}),
        Sample((ints(4, 2),), {"dim": 0, "return_counts": True}, name="dim"))
samples("unique_consecutive",
        Sample((ints(10),), {"return_inverse": True, "return_counts": True}))
