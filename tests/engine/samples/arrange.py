"""repeat_interleave, meshgrid, Tensor.type: built from views, expand, clone and index_select,
checked to second order like any op."""

import numpy as np

from engine import float64, tensor

from . import Sample, samples

rng = np.random.default_rng(29)


def r(*shape):
    return rng.uniform(-2.0, 2.0, size=shape)


samples("repeat_interleave",
        Sample((r(3), 2), oracle=lambda np_, a: np_.repeat(a, 2)),
        Sample((r(2, 3), 3), {"dim": 1}, name="dim"),
        Sample((r(2, 3), tensor([1, 0, 2])), {"dim": -1}, name="tensor-repeats"),
        Sample((r(2, 3), tensor([2, 1, 0, 1, 3, 1])), name="flat-tensor-repeats"),
        Sample((r(), 3), name="0-d"))
samples("meshgrid",
        Sample((r(3), r(2)), {"indexing": "ij"}),
        Sample((r(3), r(2), r(4)), {"indexing": "xy"}, name="xy"),
        Sample((r(), r(2)), {"indexing": "ij"}, name="0-d"))
samples("type",
        Sample((r(3, 2), float64)),
        Sample((r(3), "torch.DoubleTensor"), name="type-name"))
