"""kthvalue, median, nanmedian, mode, quantile, nanquantile: distinct values (no ties), so
the selected element is unambiguous and finite differences see one smooth piece."""

import numpy as np

from engine import tensor

from . import Sample, samples

rng = np.random.default_rng(37)


def distinct(*shape):
    """Values at least 0.05 apart: a shuffled grid, jittered a little."""
    n = int(np.prod(shape)) if shape else 1
    grid = (np.arange(n) - n / 2) * 0.1 + rng.uniform(-0.02, 0.02, size=n)
    return rng.permutation(grid).reshape(shape)


samples("kthvalue",
        Sample((distinct(3, 5), 2)),
        Sample((distinct(3, 5), 3, 0, True), name="dim0-keepdim"))
samples("median",
        Sample((distinct(3, 5),)),
        Sample((distinct(3, 4), 1), name="dim"),
        Sample((distinct(4, 3), 0, True), name="dim-keepdim"))
samples("nanmedian",
        Sample((distinct(3, 5),)),
        Sample((distinct(3, 4), 1), name="dim"))
samples("mode",
        Sample((distinct(3, 5),)),
        Sample((distinct(3, 4), 0), name="dim0"))
samples("quantile",
        Sample((distinct(3, 5), 0.3)),
        Sample((distinct(3, 5), 0.6, 1), name="dim"),
        Sample((distinct(3, 5), tensor([0.2, 0.5, 0.85], dtype="float64"), 0, True),
               name="q-tensor-keepdim"),
        Sample((distinct(4, 3), 0.4, 0), {"interpolation": "midpoint"}, name="midpoint"),
        Sample((distinct(4, 3), 0.4, 1), {"interpolation": "nearest"}, name="nearest"))
samples("nanquantile",
        Sample((distinct(3, 5), 0.3)),
        Sample((distinct(3, 5), tensor([0.2, 0.7], dtype="float64"), 1), name="q-tensor"))
