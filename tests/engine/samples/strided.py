"""engine/ops/strided.py: as_strided (views of the storage: strided, overlapping, offset)."""

import numpy as np

from . import Sample, samples

rng = np.random.default_rng(61)


def r(*shape):
    return rng.uniform(0.5, 2.0, size=shape) * rng.choice([-1.0, 1.0], size=shape)


# (a non-contiguous input reads other elements of its storage: not the same function of the
# input's elements, so the harness's non-contiguous variant does not apply)
samples(
    "as_strided",
    Sample((r(6), (2, 2), (1, 2)), name="transposing", noncontig=False),
    Sample((r(6), (3, 2), (1, 1), 1), name="overlapping, offset", noncontig=False),
    Sample((r(2, 3), (3, 2), (0, 1)), name="zero stride", noncontig=False),
    Sample((r(4, 3), (2, 2), (3, 1), 4), name="window", noncontig=False),
    Sample((r(5), (0, 2), (1, 1)), name="empty", noncontig=False),
    Sample((r(3), (), (), 2), name="0-d", noncontig=False),
)
