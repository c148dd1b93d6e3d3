"""``max_unpool1d/2d/3d`` (engine/ops/unpool.py): indices as a max pool returns them (one per
window, distinct), so the op is a plain scatter and its gradient a gather."""

from __future__ import annotations

import itertools

import numpy as np

import engine

from . import Sample, samples

rng = np.random.default_rng(31)


def r(*shape):
    return rng.uniform(-2.0, 2.0, size=shape)


def pool_indices(lead, in_spatial, kernel, stride, out_spatial):
    """One distinct flat index per window (a random position inside it) in each plane."""
    out = np.zeros(tuple(lead) + tuple(in_spatial), dtype=np.int64)
    strides = [int(np.prod(out_spatial[d + 1:])) for d in range(len(out_spatial))]
    for lead_pos in itertools.product(*[range(n) for n in lead]):
        for pos in itertools.product(*[range(n) for n in in_spatial]):
            coords = [pos[d] * stride[d] + int(rng.integers(0, kernel[d]))
                      for d in range(len(pos))]
            out[lead_pos + pos] = sum(c * s for c, s in zip(coords, strides))
    return engine.tensor(out, dtype=engine.int64)


samples("max_unpool2d",
        Sample((r(2, 3, 2, 3), pool_indices((2, 3), (2, 3), (2, 2), (2, 2), (4, 6)), 2)),
        Sample((r(3, 2, 2), pool_indices((3,), (2, 2), (2, 2), (2, 2), (4, 4)), 2),
               name="unbatched"),
        Sample((r(1, 2, 2, 2), pool_indices((1, 2), (2, 2), (3, 2), (3, 2), (7, 5)), (3, 2)),
               {"output_size": (7, 5)}, name="output-size"),
        Sample((r(0, 2, 2, 2), pool_indices((0, 2), (2, 2), (2, 2), (2, 2), (4, 4)), 2),
               name="empty"))
samples("max_unpool1d",
        Sample((r(2, 3, 4), pool_indices((2, 3), (4,), (2,), (2,), (8,)), 2)),
        Sample((r(3, 3), pool_indices((3,), (3,), (3,), (2,), (7,)), 3, 2), name="unbatched"))
samples("max_unpool3d",
        Sample((r(1, 2, 2, 2, 2), pool_indices((1, 2), (2, 2, 2), (2, 2, 2), (2, 2, 2),
                                               (4, 4, 4)), 2)),
        Sample((r(2, 1, 2, 2), pool_indices((2,), (1, 2, 2), (2, 2, 2), (2, 2, 2), (2, 4, 4)),
                2), name="unbatched"))
