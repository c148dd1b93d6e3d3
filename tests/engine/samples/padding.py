"""pad in every mode (gradients are gathers and scatter-adds, differentiable again)."""

import numpy as np

from . import Sample, samples

rng = np.random.default_rng(47)


def r(*shape):
    return rng.uniform(-2.0, 2.0, size=shape)


samples("pad",
        Sample((r(2, 3), (1, 2))),
        Sample((r(2, 3, 4), (1, -1, 2, 0)), {"value": 0.5}, name="constant-crop"),
        Sample((r(1, 2, 4), (3, 2)), {"mode": "reflect"}, name="reflect"),
        Sample((r(1, 3, 4), (1, 2, 2, 1)), {"mode": "reflect"}, name="reflect-2d"),
        Sample((r(1, 2, 3), (3, 2)), {"mode": "replicate"}, name="replicate"),
        Sample((r(1, 1, 2, 3, 2), (1, 1, 0, 2, 1, 1)), {"mode": "replicate"},
               name="replicate-3d"),
        Sample((r(1, 2, 3), (2, 1)), {"mode": "circular"}, name="circular"),
        Sample((r(1, 3, 4), (1, 2, -1, 1)), {"mode": "circular"}, name="circular-2d"))
