"""Shape ops of engine/ops/shape_more.py."""

import numpy as np

import engine

from . import Sample, samples

rng = np.random.default_rng(29)


def r(*shape):
    return rng.uniform(-2.0, 2.0, size=shape)


samples("tile", Sample((r(2, 3), (2,))), Sample((r(2, 3), (2, 1, 2)), name="more-dims"),
        Sample((r(), (3,)), name="0-d"), Sample((r(2, 0), (2, 2)), name="empty"))
samples("ravel", Sample((r(2, 3),)), Sample((r(),), name="0-d"))
samples("fliplr", Sample((r(2, 3),)), Sample((r(2, 3, 2),), name="3-d"))
samples("flipud", Sample((r(2, 3),)), Sample((r(3),), name="1-d"))
samples("diagflat", Sample((r(3),)), Sample((r(2, 2), 1), name="2-d-offset"),
        Sample((r(3), -2), name="below"))
samples("split_with_sizes", Sample((r(3, 4), [1, 2])), Sample((r(3, 4), [3, 1], 1),
                                                              name="dim1"))
samples("narrow_copy", Sample((r(3, 4), 1, 1, 2)), Sample((r(3, 4), 0, 2, 1), name="dim0"))
samples("squeeze_", Sample((r(1, 3, 1),)), Sample((r(1, 3, 1), 0), name="dim"),
        Sample((r(1, 3, 1), (0, 2)), name="dims"))
samples("unsqueeze_", Sample((r(2, 3), 1)), Sample((r(), 0), name="0-d"))
samples("transpose_", Sample((r(2, 3), 0, 1)), Sample((r(2, 3, 2), -1, 0), name="3-d"))
samples("cartesian_prod", Sample((r(2), r(3))), Sample((r(3),), name="one"),
        Sample((r(2), r(1), r(2)), name="three"))
samples("combinations", Sample((r(4),)), Sample((r(4), 3), name="r3"),
        Sample((r(3), 2, True), name="with-replacement"))
# not differentiable: their calls still run through the differential suite
samples("stride", Sample((r(2, 3),)), Sample((r(2, 3), 1), name="dim"),
        Sample((r(2, 3), -2), name="neg-dim"), Sample((r(),), name="0-d"))
samples("storage_offset", Sample((r(2, 3),)), Sample((r(),), name="0-d"))
samples("unravel_index", Sample((engine.tensor([5, -7, 12, 30]), (3, 4))),
        Sample((engine.tensor(5), (3, 4)), name="0-d"),
        Sample((engine.tensor([[1, 2]]), 5), name="int-shape"))
