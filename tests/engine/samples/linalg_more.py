"""engine/ops/linalg_more.py: matrix_power, linalg.matrix_power, linalg.vecdot,
linalg.diagonal, linalg.matmul."""

import numpy as np

import engine

from . import Sample, samples, skip

rng = np.random.default_rng(37)


def r(*shape):
    return rng.uniform(-2.0, 2.0, size=shape)


def well(*batch):
    return np.eye(3) * 2 + rng.uniform(-0.5, 0.5, size=batch + (3, 3))


for _name in ("matrix_power", "linalg.matrix_power"):
    samples(_name, Sample((well(), 2)), Sample((well(), 3), name="n3"),
            Sample((well(), 5), name="n5"), Sample((well(), 0), name="n0"),
            Sample((well(), 1), name="n1"), Sample((well(), -1), name="n-1"),
            Sample((well(), -2), name="n-2"), Sample((well(2), 4), name="batched"))
samples("linalg.vecdot", Sample((r(3, 4), r(4))), Sample((r(4), r(4)), name="1-d"),
        Sample((r(3, 4), r(3, 1)), {"dim": 0}, name="dim0"))
samples("linalg.matmul", Sample((r(3, 4), r(4, 2))), Sample((r(4), r(4, 2)), name="vec-mat"),
        Sample((r(2, 3, 4), r(4)), name="batch-vec"), Sample((r(4), r(4)), name="vec-vec"),
        Sample((r(0, 4), r(4, 2)), name="empty"))
samples("linalg.diagonal", Sample((r(3, 4),)), Sample((r(2, 3, 3),), {"offset": 1},
                                                      name="batched-offset"),
        Sample((r(3, 4),), {"offset": -1, "dim1": -1, "dim2": -2}, name="dims"))
# the factor is read through one triangle only, and torch's gradient for it is not masked to
# that triangle (a perturbation of the other triangle changes nothing): gradchecked for the
# right-hand side; the factor's gradient is compared with torch's in test_linalg_more_ops.py
_L = engine.tensor(np.tril(well()))
samples("cholesky_solve", Sample((r(3, 2), _L)), Sample((r(2, 3, 2), _L.mT, True),
                                                        name="batched-upper"))
skip("cholesky_inverse", "reads one triangle of its argument, and torch's gradient is not "
     "masked to it (a gradcheck fails for torch too): values, gradients and errors are "
     "compared with torch in tests/engine/test_linalg_more_ops.py")
