"""engine/ops/special_cephes.py: torch.special's bessel_j0/j1/y0/y1 and airy_ai (no gradient
in torch: the samples drive the differential suite's values, dtypes and errors)."""

import numpy as np

from . import Sample, samples

rng = np.random.default_rng(53)


def r(*shape, lo=-1.0, hi=1.0):
    return rng.uniform(lo, hi, size=shape)


for _short in ("bessel_j0", "bessel_j1", "bessel_y0", "bessel_y1", "airy_ai"):
    samples("special." + _short, Sample((r(3, 4, lo=0.1, hi=8.0),)),
            Sample((r(5, lo=-30.0, hi=30.0),), name="wide"),
            Sample((r(lo=4.0, hi=6.0),), name="0-d"))
