"""engine/ops/grid_sample.py: F.grid_sample (2-D and 3-D, every mode and padding) and
F.affine_grid. Grid values are drawn away from pixel boundaries' neighbourhoods only by
chance (random), as the finite differences need."""

import numpy as np

from . import Sample, samples

rng = np.random.default_rng(59)


def r(*shape, lo=-1.0, hi=1.0):
    return rng.uniform(lo, hi, size=shape)


_GS = []
for _mode in ("bilinear", "nearest", "bicubic"):
    for _pad in ("zeros", "border", "reflection"):
        _GS.append(Sample((r(2, 2, 3, 4), r(2, 3, 2, 2, lo=-1.3, hi=1.3)),
                          {"mode": _mode, "padding_mode": _pad, "align_corners": False},
                          name=f"{_mode}-{_pad}"))
    _GS.append(Sample((r(1, 2, 4, 3), r(1, 2, 3, 2, lo=-1.2, hi=1.2)),
                      {"mode": _mode, "padding_mode": "reflection", "align_corners": True},
                      name=f"{_mode}-corners"))
    if _mode != "bicubic":
        _GS.append(Sample((r(1, 2, 2, 3, 4), r(1, 2, 2, 2, 3, lo=-1.2, hi=1.2)),
                          {"mode": _mode, "padding_mode": "border", "align_corners": False},
                          name=f"{_mode}-3d"))
        _GS.append(Sample((r(1, 1, 3, 2, 3), r(1, 1, 2, 3, 3, lo=-1.2, hi=1.2)),
                          {"mode": _mode, "padding_mode": "zeros", "align_corners": True},
                          name=f"{_mode}-3d-corners"))
_GS.append(Sample((r(2, 0, 3, 4), r(2, 2, 2, 2)), {"align_corners": False}, name="empty"))
samples("grid_sample", *_GS)

samples("affine_grid",
        Sample((r(2, 2, 3), (2, 3, 4, 5)), {"align_corners": False}),
        Sample((r(1, 2, 3), (1, 1, 3, 2)), {"align_corners": True}, name="corners"),
        Sample((r(2, 3, 4), (2, 1, 2, 3, 4)), {"align_corners": False}, name="3d"),
        Sample((r(1, 3, 4), (1, 2, 3, 2, 2)), {"align_corners": True}, name="3d-corners"),
        Sample((r(1, 2, 3), (1, 1, 12, 11)), {"align_corners": False}, name="blas"))
