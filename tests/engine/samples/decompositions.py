"""torch.linalg and torch's older spellings: small well-conditioned inputs (distinct singular
values, full rank, away from norm kinks), batched and vector right-hand sides."""

import math

import numpy as np

from . import Sample, samples, skip

rng = np.random.default_rng(29)


def r(*shape):
    return rng.uniform(-1.0, 1.0, size=shape)


def wellcond(*shape):
    """Square matrices near a scaled identity (invertible, distinct singular values)."""
    n = shape[-1]
    return r(*shape) + np.diag(np.arange(2.0, 2.0 + n))


samples("linalg.det", Sample((wellcond(3, 3),), oracle=lambda np_, a: np_.linalg.det(a)),
        Sample((wellcond(2, 2, 2),), name="batched"))
samples("det", Sample((wellcond(3, 3),)))
samples("linalg.slogdet", Sample((wellcond(3, 3),)), Sample((-wellcond(2, 3, 3),),
                                                           name="negative-batched"))
samples("slogdet", Sample((wellcond(2, 2),)))
samples("logdet", Sample((wellcond(3, 3),)))
samples("linalg.inv", Sample((wellcond(3, 3),), oracle=lambda np_, a: np_.linalg.inv(a)),
        Sample((wellcond(2, 2, 2),), name="batched"))
samples("inverse", Sample((wellcond(2, 2),)))
samples("linalg.solve",
        Sample((wellcond(3, 3), r(3, 2)), oracle=lambda np_, a, b: np_.linalg.solve(a, b)),
        Sample((wellcond(2, 3, 3), r(2, 3)), name="batched-vector"),
        Sample((wellcond(3, 3), r(2, 3)), {"left": False}, name="right"),
        Sample((wellcond(3, 3), r(2, 3, 1)), name="broadcast"))
samples("linalg.solve_triangular",
        Sample((wellcond(3, 3), r(3, 2)), {"upper": True}),
        Sample((wellcond(3, 3), r(2, 3)), {"upper": False, "left": False,
                                          "unitriangular": True}, name="right-unit"))
samples("triangular_solve",
        Sample((r(3, 2), wellcond(3, 3))),
        Sample((r(2, 3, 1), wellcond(3, 3), False, True), name="lower-transposed-broadcast"),
        Sample((r(3, 2), wellcond(3, 3)), {"unitriangular": True, "transpose": True},
               name="unit-transposed"))
samples("linalg.qr", Sample((r(4, 3),)), Sample((r(2, 4),), name="wide"),
        Sample((r(3, 3),), {"mode": "complete"}, name="complete-square"))
samples("qr", Sample((r(3, 2),)))
samples("linalg.svd", Sample((r(4, 3),), {"full_matrices": False}),
        Sample((r(2, 3),), {"full_matrices": False}, name="wide"))
samples("linalg.svdvals", Sample((r(3, 4),),), Sample((r(2, 3, 2),), name="batched"))
samples("svd", Sample((r(3, 2),)))
samples("linalg.pinv", Sample((r(4, 3),)), Sample((r(2, 4),), name="wide"))
samples("pinverse", Sample((r(3, 2),)))
samples("linalg.lstsq", Sample((r(5, 3), r(5, 2))), Sample((r(4, 2), r(4)), name="vector"),
        Sample((r(5, 3), r(5, 2)), {"driver": "gels"}, name="residuals"))
samples("linalg.matrix_exp", Sample((r(3, 3),)), Sample((3 * r(2, 2, 2),), name="scaled"))
samples("matrix_exp", Sample((r(2, 2),)))
samples("linalg.vector_norm",
        Sample((r(3, 4),), oracle=lambda np_, x: np_.sqrt(np_.sum(x * x))),
        Sample((r(3, 4),), {"ord": 3, "dim": 1, "keepdim": True}, name="ord-3"),
        Sample((r(3, 4),), {"ord": 1, "dim": (0, 1)}, name="ord-1"),
        Sample((r(2, 5),), {"ord": math.inf, "dim": -1}, name="inf"))
samples("linalg.matrix_norm",
        Sample((r(3, 4),),),
        Sample((r(2, 3, 4),), {"ord": "nuc"}, name="nuc"),
        Sample((r(3, 4),), {"ord": 2}, name="spectral"),
        Sample((r(3, 4),), {"ord": -math.inf, "keepdim": True}, name="-inf"))
samples("linalg.norm", Sample((r(2, 3, 4),)), Sample((r(5),), {"ord": 3}, name="vector-ord"),
        Sample((r(3, 4),), {"ord": 1}, name="matrix-ord"))
skip("linalg.multi_dot", "takes a list of tensors (the harness differentiates positional "
     "arrays): it is a chain of mm (gradchecked), checked against torch in test_linalg_torch.py")

_SYMMETRIC = ("reads one triangle of its input, and torch's gradient is the symmetric one: "
              "checked by a symmetrized finite-difference test (tests/engine/"
              "test_decompositions.py) and against torch (test_linalg_torch.py)")
for _name in ("linalg.cholesky", "cholesky", "linalg.eigh", "linalg.eigvalsh",
              "linalg.cholesky_ex"):
    skip(_name, _SYMMETRIC)
