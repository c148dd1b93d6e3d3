"""The scatter family (engine/ops/scatter.py): scatter, scatter_reduce, take, put,
take_along_dim, masked_select, masked_scatter."""

import numpy as np

import engine

from . import Sample, samples

rng = np.random.default_rng(23)


def r(*shape, lo=-2.0, hi=2.0):
    return rng.uniform(lo, hi, size=shape)


def i(values):
    return engine.tensor(values)


_IDX = i([[0, 2, 1, 0], [1, 1, 2, 0]])  # repeats along dim 0 of a (3, 4)
_UNIQUE = i([[0, 2, 1, 0], [1, 0, 2, 2]])  # (scatter's gradient assumes no position twice)

samples("scatter",
        Sample((r(3, 4), 0, _UNIQUE, r(2, 4))),
        Sample((r(3, 4), 1, i([[3, 1], [0, 2], [2, 3]]), r(3, 3)), name="src-larger",
               grad_error="Function ScatterBackward0 returned an invalid gradient at index 1 - "
                          "got [3, 2] but expected shape compatible with [3, 3]"),
        Sample((r(3, 4), 0, _IDX, 2.5), name="value"),
        Sample((r(3, 4), 0, _IDX), {"value": -1.0}, name="value-kw"),
        Sample((r(), 0, i(0), r()), name="0-d"),
        Sample((r(2, 0), 1, i(np.zeros((2, 0), dtype=np.int64)), r(2, 0)), name="empty"))
for _reduce in ("sum", "prod", "mean", "amax", "amin"):
    for _inc in (True, False):
        samples("scatter_reduce",
                Sample((r(3, 4, lo=0.5), 0, _IDX, r(2, 4, lo=0.5), _reduce),
                       {"include_self": _inc}, name=f"{_reduce}-{_inc}"))
samples("scatter_reduce",
        Sample((r(4), 0, i([0, 0, 3, 1, 3]), r(5), "sum"), name="1-d"),
        Sample((r(2, 3), -1, i([[0, 0], [2, 2]]), r(2, 2, lo=0.5), "prod"),
               {"include_self": False}, name="prod-neg-dim"))
samples("take",
        Sample((r(3, 4), i([[0, 11], [-1, 3]]))),
        Sample((r(3, 4), i([5, 5, 0])), name="repeats"),
        Sample((r(), i([0, -1])), name="0-d"))
samples("put",
        Sample((r(3, 4), i([0, 5, 7]), r(3))),
        Sample((r(3, 4), i([0, 5, 5]), r(3)), {"accumulate": True}, name="accumulate"),
        Sample((r(2, 3), i([[1], [-1]]), r(2, 1)), name="2-d-index"))
samples("take_along_dim",
        Sample((r(3, 4), i([[0], [2], [3]]), 1)),
        Sample((r(3, 4), i([[0, 1, 2, 0]]), 0), name="broadcast"),
        Sample((r(3, 4), i([3, 1, 3])), name="flat"),
        Sample((r(2, 1), i([[0, 0, 0]]), 0), name="expand-input"))
samples("masked_select",
        Sample((r(3, 4), i(r(3, 4) > 0))),
        Sample((r(3), i(r(2, 3) > 0)), name="broadcast-mask"),
        Sample((r(2, 1), i(r(2, 3) > 0)), name="broadcast-input"))
samples("masked_scatter",
        Sample((r(3, 4), i(r(3, 4) > 0), r(12))),
        Sample((r(3), i(np.array([[True, False, True], [False, True, False]])), r(2, 3)),
               name="broadcast-mask"),
        Sample((r(2, 3), i(r(2, 3) > 0), r(8)), name="longer-source"))
samples("slice_scatter",
        Sample((r(3, 4), r(3, 2), 1, 1, 3)),
        Sample((r(3, 4), r(2, 4)), {"start": 1}, name="start"),
        Sample((r(3, 4), r(3, 2), 1, None, None, 2), name="step"),
        Sample((r(3, 4), r(0, 4), 0, 3, 1), name="empty"))
samples("select_scatter",
        Sample((r(3, 4), r(4), 0, 1)),
        Sample((r(3, 4), r(3), 1, -1), name="neg-index"),
        Sample((r(3), r(), 0, 2), name="1-d"))
samples("diagonal_scatter",
        Sample((r(3, 4), r(3))),
        Sample((r(3, 4), r(3), 1), name="offset"),
        Sample((r(3, 4), r(2), -1), name="below"),
        Sample((r(2, 3, 3), r(3, 2), 0, 0, 1), name="batched"))
samples("index_copy",
        Sample((r(3, 4), 1, i([0, 2]), r(3, 2))),
        Sample((r(3, 4), 0, i([2, 0]), r(2, 4)), name="dim0"),
        Sample((r(3, 4), -1, i(3), r(3, 1)), name="0-d-index"))
samples("index_fill",
        Sample((r(3, 4), 1, i([0, 2]), -1.0)),
        Sample((r(3, 4), 0, i([2, -1]), 2), name="neg-index"),
        Sample((r(3, 4), 0, i([2, 0, 2]), r()), name="tensor-value"))
