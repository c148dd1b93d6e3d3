"""Linear algebra: products of vectors, matrices and batches, einsum."""

import numpy as np

from . import Sample, samples

rng = np.random.default_rng(11)


def r(*shape):
    return rng.uniform(-2.0, 2.0, size=shape)


samples("bmm", Sample((r(2, 3, 4), r(2, 4, 5)), oracle=lambda np_, a, b: np_.matmul(a, b)),
        Sample((r(0, 2, 3), r(0, 3, 1)), name="empty"))
samples("mv", Sample((r(3, 4), r(4)), oracle=lambda np_, a, b: np_.dot(a, b)),
        Sample((r(0, 2), r(2)), name="empty"))
samples("outer", Sample((r(3), r(4)), oracle=lambda np_, a, b: np_.outer(a, b)),
        Sample((r(0), r(2)), name="empty"))
samples("trace", Sample((r(3, 3),), oracle=lambda np_, a: np_.trace(a)),
        Sample((r(2, 4),), name="rectangular"))
samples("tensordot",
        Sample((r(2, 3, 4), r(3, 4, 2)), oracle=lambda np_, a, b: np_.tensordot(a, b)),
        Sample((r(2, 3), r(3, 2)), {"dims": ([1], [0])}, name="lists"),
        Sample((r(2, 3), r(4)), {"dims": 0}, name="outer"))
samples("einsum",
        Sample(("ij,jk->ik", r(2, 3), r(3, 4)),
               oracle=lambda np_, a, b: np_.einsum("ij,jk->ik", a, b)),
        Sample(("bij,bjk", r(2, 2, 3), r(2, 3, 2)), name="implicit-batch"),
        Sample(("ii->i", r(3, 3)), name="diagonal"),
        Sample(("ii", r(3, 3)), name="trace"),
        Sample(("ij->", r(2, 3)), name="sum-all"),
        Sample(("i,j->ij", r(3), r(2)), name="outer"),
        Sample(("...ij,...jk->...ik", r(2, 1, 2, 3), r(4, 3, 2)), name="ellipsis-broadcast"),
        Sample(("ij,ij,ij->i", r(2, 3), r(2, 3), r(2, 3)), name="three"),
        Sample(("iij->j", r(2, 2, 3)), name="diag-sum"),
        Sample(("i,i->", r(0), r(0)), name="empty"))
