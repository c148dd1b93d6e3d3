"""engine/ops/lu.py: linalg.lu_factor(_ex), linalg.lu, lu_unpack, linalg.lu_solve and the
deprecated lu / lu_solve."""

import numpy as np

import engine

from . import Sample, samples

rng = np.random.default_rng(61)


def r(*shape):
    return rng.uniform(-2.0, 2.0, size=shape)


def well(n, *batch):
    return np.eye(n) * 3 + rng.uniform(-1.0, 1.0, size=batch + (n, n))


def _factor_samples(name):
    samples(name, Sample((well(3),)), Sample((r(3, 5),), name="wide"),
            Sample((r(5, 3),), name="tall"), Sample((well(3, 2),), name="batched"))


for _name in ("linalg.lu_factor", "linalg.lu_factor_ex", "linalg.lu", "lu"):
    _factor_samples(_name)

_P3 = engine.tensor([2, 3, 3], dtype=engine.int32)
samples("lu_unpack", Sample((well(3), _P3)),
        Sample((r(3, 5), _P3), name="wide"),
        Sample((r(5, 3), engine.tensor([4, 5, 3], dtype=engine.int32)), name="tall"))
samples("linalg.lu_solve", Sample((well(3), _P3, r(3, 2))),
        Sample((well(3), _P3, r(3, 2)), {"adjoint": True}, name="adjoint"),
        Sample((well(3), _P3, r(2, 3)), {"left": False}, name="right"),
        Sample((well(3), _P3, r(2, 3)), {"left": False, "adjoint": True}, name="right-adj"),
        Sample((well(3, 2), engine.tensor([[1, 2, 3], [3, 3, 3]], dtype=engine.int32),
                r(3, 1)), name="batched"))
samples("lu_solve", Sample((r(3, 2), well(3), _P3)))
