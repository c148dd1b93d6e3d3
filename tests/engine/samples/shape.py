"""Shape and indexing ops: views, copies, gathers and scatters."""

import numpy as np

import engine

from . import Sample, samples, skip

rng = np.random.default_rng(7)


def r(*shape):
    return rng.uniform(-2.0, 2.0, size=shape)


def idx(values):
    return engine.tensor(values, dtype=engine.int64)


def mask(values):
    return engine.tensor(values, dtype=engine.bool_)


samples("view_as", Sample((r(3, 4), engine.zeros(2, 6))))
samples("reshape_as", Sample((r(3, 4), engine.zeros(6, 2)),
                             oracle=lambda np_, a: np_.reshape(a, (6, 2))))
samples("unflatten", Sample((r(2, 6), 1, (3, -1))), Sample((r(4), 0, (2, 2))))
samples("repeat",
        Sample((r(2, 3), 2, 1), oracle=lambda np_, a: np_.concatenate([a, a], axis=0)),
        Sample((r(3), (2, 1, 2)), name="new-dims"), Sample((r(), 3), name="0-d"),
        Sample((r(0, 2), 2, 3), name="empty"))
samples("select", Sample((r(3, 4), 1, -1), oracle=lambda np_, a: a[:, -1]),
        Sample((r(3), 0, 2), name="to-0-d"))
samples("narrow", Sample((r(3, 5), 1, 1, 3), oracle=lambda np_, a: a[:, 1:4]),
        Sample((r(4), 0, -2, 2)), Sample((r(3), 0, 1, 0), name="empty"))
samples("diagonal", Sample((r(3, 4),), oracle=lambda np_, a: a[np.arange(3), np.arange(3)]),
        Sample((r(3, 4), 1), name="offset"), Sample((r(2, 3, 4), -1, 2, 0), name="dims"),
        Sample((r(2, 2), 5), name="empty"))
samples("movedim", Sample((r(2, 3, 4), 0, 2)), Sample((r(2, 3, 4), (0, 1), (2, 0))))
samples("flip", Sample((r(3, 4), (0, 1)), oracle=lambda np_, a: a[::-1, ::-1]),
        Sample((r(3, 4), [-1]), name="list"), Sample((r(), ()), name="0-d"))
samples("roll", Sample((r(3, 4), 1, 0)), Sample((r(3, 4), (1, -2), (0, 1))),
        Sample((r(3, 4), 5), name="flat"))
samples("tril", Sample((r(3, 4),), oracle=lambda np_, a: np_.tril(a)),
        Sample((r(2, 3, 3), -1), name="batched"))
samples("triu", Sample((r(3, 4),), oracle=lambda np_, a: np_.triu(a)),
        Sample((r(4, 3), 1)))
samples("broadcast_to", Sample((r(3, 1), (2, 3, 4))), Sample((r(), (2,))))
samples("broadcast_tensors", Sample((r(3, 1), r(4))), Sample((r(), r(2, 2), r(2, 1))))
samples("split", Sample((r(5, 2), 2)), Sample((r(5, 2), [1, 4])),
        Sample((r(2, 6), 3, 1), name="dim"), Sample((r(1, 2), 2), name="one-piece"))
samples("chunk", Sample((r(5, 2), 2)), Sample((r(2, 6), 4, -1)))
samples("unbind", Sample((r(3, 2),)), Sample((r(2, 3), 1)), Sample((r(1, 2),), name="one"))
skip("cat", "takes a list of tensors: gradchecked in tests/engine/test_shape.py")
skip("stack", "takes a list of tensors: gradchecked in tests/engine/test_shape.py")

# --------------------------------------------------------------------------- indexing
samples("getitem",
        Sample((r(3, 4), 1), oracle=lambda np_, a: a[1], name="int"),
        Sample((r(3, 4), (slice(0, 3, 2), -1)), oracle=lambda np_, a: a[0:3:2, -1],
               name="slice-step"),
        Sample((r(3, 4), (None, Ellipsis, 2)), name="none-ellipsis"),
        Sample((r(5), [1, 1, 4]), oracle=lambda np_, a: a[np.array([1, 1, 4])],
               name="repeated"),
        Sample((r(2, 3, 4), (0, slice(None), [1, 2])), name="mixed"),
        Sample((r(2, 3, 4), ([0, 1], slice(None), [1, 1])), name="separated-advanced"),
        Sample((r(2, 3), mask([[True, False, True], [False, False, True]])), name="mask"),
        Sample((r(2, 3), (slice(None), idx([[0, 2], [2, 2]]))), name="2-d-index"),
        Sample((r(), None), name="0-d"), Sample((r(4), slice(4, 4)), name="empty"))
samples("index_put",
        Sample((r(5), (idx([0, 2]),), r(2)), name="values"),
        Sample((r(5), (idx([1, 1, 3]),), r(3)), {"accumulate": True}, name="accumulate"),
        Sample((r(3, 4), (idx([0, 2]), idx([1, 3])), r()), name="broadcast-value"),
        Sample((r(3, 4), (mask([True, False, True]),), r(4)), name="mask"))
samples("gather",
        Sample((r(3, 4), 1, idx([[0, 0], [3, 1], [2, 2]])),
               oracle=lambda np_, a: a[np.arange(3)[:, None], np.array([[0, 0], [3, 1], [2, 2]])]),
        Sample((r(3, 4), 0, idx([[2, 0, 1, 1]]))),
        Sample((r(3, 4), 1, idx(np.zeros((3, 0), dtype=np.int64))), name="empty"))
samples("scatter_add",
        Sample((r(3, 4), 1, idx([[0, 0], [3, 1], [2, 2]]), r(3, 2))),
        # src larger than index: torch refuses src's (index-shaped) gradient, so a constant
        Sample((r(3), 0, idx([1, 1]), engine.tensor(r(4))), name="src-larger"))
samples("index_select",
        Sample((r(3, 4), 1, idx([3, 0, 3])), oracle=lambda np_, a: a[:, np.array([3, 0, 3])]),
        Sample((r(3, 4), 0, idx(1)), name="0-d-index"))
samples("index_add",
        Sample((r(3, 4), 0, idx([2, 0, 2]), r(3, 4))),
        Sample((r(3, 4), 1, idx([1]), r(3, 1)), {"alpha": 2.5}, name="alpha"))
samples("masked_fill",
        Sample((r(2, 3), mask([[True, False, True], [False, False, False]]), 0.5),
               oracle=lambda np_, a: np_.where(np.array([[True, False, True], [False] * 3]),
                                               0.5, a)),
        Sample((r(2, 3), mask([False, True, True]), r()), name="tensor-value"),
        Sample((r(3), mask([[True], [False]]), 1.0), name="broadcast"))
