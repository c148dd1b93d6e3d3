"""``fractional_max_pool2d/3d`` (engine/ops/fractional_pool.py) with fixed ``_random_samples``
(float64, as the differentiated input), so the windows are the same at every call."""

from __future__ import annotations

import numpy as np

import engine

from . import Sample, samples

rng = np.random.default_rng(41)


def r(*shape):
    return rng.uniform(-2.0, 2.0, size=shape)


def u(*shape):
    return engine.tensor(rng.uniform(0.0, 1.0, size=shape), dtype=engine.float64)


samples("fractional_max_pool2d",
        Sample((r(2, 3, 7, 6), 2), {"output_size": (4, 3), "_random_samples": u(2, 3, 2)}),
        Sample((r(3, 5, 5), (2, 3)), {"output_size": 3, "_random_samples": u(1, 3, 2),
                                       "return_indices": True},
               name="unbatched-indices"),
        Sample((r(1, 2, 8, 8), 3), {"output_ratio": (0.5, 0.5),
                                     "_random_samples": u(1, 2, 2)}, name="ratio"),
        Sample((r(1, 1, 4, 4), 1), {"output_size": 4, "_random_samples": u(1, 1, 2)},
               name="identity"))
samples("fractional_max_pool3d",
        Sample((r(1, 2, 6, 5, 7), 2), {"output_size": (3, 2, 4),
                                         "_random_samples": u(1, 2, 3)}),
        Sample((r(2, 5, 6, 5), (2, 1, 2)), {"output_size": 3, "_random_samples": u(1, 2, 3)},
               name="unbatched"),
        Sample((r(1, 1, 6, 6, 6), 2), {"output_ratio": (0.5, 0.5, 0.5),
                                         "_random_samples": u(1, 1, 3)}, name="ratio"))
