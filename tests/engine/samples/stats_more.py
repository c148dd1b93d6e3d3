"""Counting, statistics and products of engine/ops/stats_more.py."""

import numpy as np

import engine

from . import Sample, samples

rng = np.random.default_rng(31)


def r(*shape, lo=-2.0, hi=2.0):
    return rng.uniform(lo, hi, size=shape)


samples("cov", Sample((r(3, 5),)), Sample((r(4),), name="1-d"),
        Sample((r(2, 4),), {"correction": 0}, name="correction0"),
        Sample((r(2, 4),), {"fweights": engine.tensor([1, 2, 0, 3])}, name="fweights"),
        Sample((r(2, 4),), {"aweights": engine.tensor(r(4, lo=0.5))}, name="aweights"),
        Sample((r(2, 4),), {"fweights": engine.tensor([1, 2, 1, 3]),
                            "aweights": engine.tensor(r(4, lo=0.5)), "correction": 2},
               name="both-weights"))
samples("corrcoef", Sample((r(3, 5),)), Sample((r(2, 4),), name="2x4"))
samples("bincount", Sample((engine.tensor([1, 1, 3, 0]),)),
        Sample((engine.tensor([1, 1, 3]), None, 6), name="minlength"),
        Sample((engine.tensor([1, 1, 3]), engine.tensor(r(3))), name="weights"))
samples("inner", Sample((r(4), r(4))), Sample((r(2, 3), r(4, 3)), name="2-d"),
        Sample((r(), r(3)), name="0-d"), Sample((r(3), r(2, 2, 3)), name="3-d"))
samples("vdot", Sample((r(4), r(4))), Sample((r(0), r(0)), name="empty"))
samples("dist", Sample((r(2, 3), r(3))), Sample((r(4), r(4), 1), name="p1"),
        Sample((r(4), r(4), 3), name="p3"), Sample((r(2, 2), r(2, 2), float("inf")),
                                                   name="inf"),
        Sample((r(3), r(3), 0.5), name="p0.5"))
samples("chain_matmul", Sample((r(2, 3), r(3, 4), r(4, 2))), Sample((r(2, 3), r(3, 2)),
                                                                    name="two"))
