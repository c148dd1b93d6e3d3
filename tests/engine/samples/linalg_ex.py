"""engine/ops/linalg_ex.py: linalg.solve_ex, linalg.householder_product (orgqr)."""

import numpy as np

from . import Sample, samples

rng = np.random.default_rng(1313)


def r(*shape, lo=-2.0, hi=2.0):
    return rng.uniform(lo, hi, size=shape)


def well(n, *batch):
    return np.eye(n) * 3 + rng.uniform(-0.5, 0.5, size=batch + (n, n))


samples("linalg.solve_ex",
        Sample((well(3), r(3, 2))),
        Sample((well(3, 2), r(2, 3)), name="batched-vector"),
        Sample((well(3), r(2, 3)), {"left": False}, name="right"),
        Sample((well(3), r(2, 3, 1)), {"check_errors": True}, name="broadcast-checked"),
        Sample((well(2, 2), r(2, 0)), name="empty-rhs"))
# tau in (0.2, 0.9) keeps every reflector invertible (torch's backward moves K along their
# inverses: tau |v|^2 = 1 has none)
samples("linalg.householder_product",
        Sample((r(4, 3, lo=-0.5, hi=0.5), r(2, lo=0.2, hi=0.9))),
        Sample((r(3, 3, lo=-0.5, hi=0.5), r(3, lo=0.2, hi=0.9)), name="square"),
        Sample((r(2, 5, 3, lo=-0.5, hi=0.5), r(2, 3, lo=0.2, hi=0.9)), name="batched"),
        Sample((r(4, 2, lo=-0.5, hi=0.5), r(0)), name="no-reflector"),
        Sample((r(3, 0), r(0)), name="empty"))
samples("orgqr", Sample((r(4, 3, lo=-0.5, hi=0.5), r(3, lo=0.2, hi=0.9))),
        Sample((r(2, 3, 2, lo=-0.5, hi=0.5), r(2, 1, lo=0.2, hi=0.9)), name="batched"))
