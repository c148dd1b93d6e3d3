"""Ops added after issue 10's list: engine/ops/stacking.py, shape_extra.py, pointwise_more.py."""

import numpy as np

import engine

from . import Sample, samples, skip

rng = np.random.default_rng(11)


def r(*shape):
    return rng.uniform(-2.0, 2.0, size=shape)


samples("atleast_1d", Sample((r(),), name="0-d"), Sample((r(3),)), Sample((r(2, 3), r()),
                                                                          name="several"))
samples("atleast_2d", Sample((r(),), name="0-d"), Sample((r(3),), name="1-d"),
        Sample((r(2, 3, 2),)), Sample((r(3), r(2, 2)), name="several"))
samples("atleast_3d", Sample((r(),), name="0-d"), Sample((r(3),), name="1-d"),
        Sample((r(2, 3),), name="2-d"), Sample((r(0, 2),), name="empty"),
        Sample((r(1, 2, 3, 2),)), Sample((r(3), r(2, 2), r()), name="several"))
samples("tensor_split", Sample((r(7, 2), 3), oracle=lambda np_, a: a[:3]),
        Sample((r(2, 7), [1, 5], 1), name="indices"),
        Sample((r(5), [4, 2, 9, -1]), name="out-of-order"),
        Sample((r(2, 5), engine.tensor(2), -1), name="tensor-sections"),
        Sample((r(2, 5), engine.tensor([1, 3]), 1), name="tensor-indices"),
        Sample((r(2), 4), name="more-sections"))
samples("hsplit", Sample((r(2, 6), 3)), Sample((r(6), [2, 3]), name="1-d"))
samples("vsplit", Sample((r(4, 2), 2)), Sample((r(5, 2), [1]), name="indices"))
samples("dsplit", Sample((r(2, 1, 4), 2)), Sample((r(1, 2, 3, 2), [1, 2]), name="indices"))
for _name in ("hstack", "vstack", "row_stack", "dstack", "column_stack"):
    skip(_name, "takes a list of tensors: compared with torch (values, gradients to second "
                "order, nodes, errors) in tests/engine/test_more_ops.py")
samples("rot90", Sample((r(2, 3),), oracle=lambda np_, a: np_.rot90(a)),
        Sample((r(2, 3, 2), 2, [2, 0]), name="k2-dims"), Sample((r(3, 2), -1), name="k-1"),
        Sample((r(2, 2), 0), name="k0"), Sample((r(2, 0, 3), 3, [-1, 0]), name="empty"))
samples("diff", Sample((r(5),), oracle=lambda np_, a: a[1:] - a[:-1]),
        Sample((r(3, 4), 2, 0), name="n2-dim0"), Sample((r(3), 4), name="n-past-size"),
        Sample((r(2, 3), 1, 1, r(2, 1)), name="prepend"),
        Sample((r(2, 3), 1, 0, None, r(2, 3)), name="append"),
        Sample((r(4), 0), name="n0"))
samples("sgn", Sample((r(2, 3),)), Sample((r(),), name="0-d"))
