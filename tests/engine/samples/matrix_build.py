"""engine/ops/matrix_build.py (block_diag, vander, linalg.vander) and engine/ops/
linalg_extra.py (linalg.tensorinv, tensorsolve, inv_ex, cond)."""

import numpy as np

from . import Sample, samples

rng = np.random.default_rng(53)


def r(*shape):
    return rng.uniform(-2.0, 2.0, size=shape)


def well(n, *batch):
    return np.eye(n) * 3 + rng.uniform(-0.5, 0.5, size=batch + (n, n))


# (torch's vander writes the cumulative product into the slice it read: its backward raises
# the version error, so the differentiable paths are N <= 1 (no graph) and linalg.vander)
_VERSION = "one of the variables needed for gradient computation has been modified by an " \
           "inplace operation"
samples("block_diag", Sample((r(2, 3), r(2), np.array(1.5), r(1, 1))),
        Sample((r(3, 2),), name="one"), Sample((r(2, 0), r(0, 3), r(2, 2)), name="empty"))
samples("vander", Sample((r(3),), grad_error=_VERSION),
        Sample((r(4),), {"N": 2, "increasing": True}, grad_error=_VERSION, name="N2"))
samples("linalg.vander", Sample((r(3),)), Sample((r(2, 3),), {"N": 4}, name="batched"),
        Sample((np.array(1.5),), {"N": 3}, name="0-d"))
samples("linalg.tensorinv", Sample((well(6).reshape(2, 3, 6),)),
        Sample((well(6).reshape(6, 2, 3), 1), name="ind1"))
samples("linalg.tensorsolve", Sample((well(6).reshape(2, 3, 6), r(2, 3))),
        Sample((well(6).reshape(2, 3, 2, 3), r(2, 3)), {"dims": (0,)}, name="dims"))
samples("linalg.inv_ex", Sample((well(3),)), Sample((well(3, 2),), name="batched"))
samples("linalg.cond", Sample((well(3),)), Sample((well(3), -2), name="-2"),
        Sample((r(3, 2),), name="rect"), Sample((well(3, 2), "nuc"), name="nuc"),
        Sample((well(3), 1), grad_error=_VERSION, name="1"),
        Sample((well(3), "fro"), grad_error=_VERSION, name="fro"))
