"""diag, diag_embed, kron, cross, linalg.cross (and the existing trace, tensordot) compared
with torch 2.13: values, dtypes, node chains, gradients, errors. (tensordot's known
disagreements — size-1 contracted dims, empty dims, its dtype message, a 0-d tensor ``dims``,
the node chain for list dims — are faith's fixes under issue 10; not pinned here.)"""

from __future__ import annotations

import warnings

import pytest

torch = pytest.importorskip("torch")

import engine  # noqa: E402
from tests.engine.torch_compare import compare  # noqa: E402

V = [1.0, -2.0, 3.0]
M34 = [[0.5, 1.0, -2.0, 3.0], [4.0, -5.0, 6.0, 0.25], [7.0, 8.0, -9.0, 1.5]]
A43 = [[1.0, 2.0, 3.0], [-1.0, 0.5, 2.0], [0.0, 1.0, -3.0], [2.0, 2.0, 1.0]]
B43 = [[0.5, -1.0, 2.0], [3.0, 1.0, 0.0], [1.0, 1.0, 1.0], [-2.0, 0.5, 4.0]]


def linalg_cross(m):
    return m.linalg.cross if m is torch else engine.ops.OPS["linalg.cross"].fn


def quiet(fn):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn()


CASES = {
    "diag-vector": lambda m, F, leaf: m.diag(leaf(V)),
    "diag-vector-above": lambda m, F, leaf: m.diag(leaf(V), 1),
    "diag-vector-below": lambda m, F, leaf: m.diag(leaf(V), diagonal=-2),
    "diag-matrix": lambda m, F, leaf: m.diag(leaf(M34)),
    "diag-matrix-above": lambda m, F, leaf: m.diag(leaf(M34), 2),
    "diag-matrix-below": lambda m, F, leaf: m.diag(leaf(M34), -1),
    "diag-matrix-far": lambda m, F, leaf: m.diag(leaf(M34), 5),
    "diag-int": lambda m, F, leaf: m.diag(m.tensor([1, 2])),
    "diag-0d": lambda m, F, leaf: m.diag(m.tensor(1.0)),
    "diag-3d": lambda m, F, leaf: m.diag(m.ones(2, 2, 2)),
    "diag-method": lambda m, F, leaf: leaf(V).diag(),
    "diag_embed": lambda m, F, leaf: m.diag_embed(leaf(V)),
    "diag_embed-batch": lambda m, F, leaf: m.diag_embed(leaf(M34)),
    "diag_embed-offset": lambda m, F, leaf: m.diag_embed(leaf(V), offset=1),
    "diag_embed-dims": lambda m, F, leaf: m.diag_embed(leaf(M34), offset=-1, dim1=0, dim2=2),
    "diag_embed-dims-swapped": lambda m, F, leaf: m.diag_embed(leaf(M34), 1, 2, 0),
    "diag_embed-same-dims": lambda m, F, leaf: m.diag_embed(m.ones(2, 2), dim1=1, dim2=1),
    "diag_embed-bad-dim": lambda m, F, leaf: m.diag_embed(m.ones(2, 2), dim1=3),
    "diag_embed-0d": lambda m, F, leaf: m.diag_embed(m.tensor(1.0)),
    "diag_embed-int": lambda m, F, leaf: m.diag_embed(m.tensor([[1, 2]])),
    "kron": lambda m, F, leaf: m.kron(leaf([[1.0, 2.0], [3.0, 4.0]]), leaf([[0.0, 1.0],
                                                                            [1.5, -1.0]])),
    "kron-ranks": lambda m, F, leaf: m.kron(leaf(V), leaf(M34)),
    "kron-0d": lambda m, F, leaf: m.kron(leaf(2.0), leaf(V)),
    "kron-0d-right": lambda m, F, leaf: m.kron(leaf(V), leaf(-1.5)),
    "kron-int-float": lambda m, F, leaf: m.kron(m.tensor([1, 2]), m.tensor([1.5])),
    "kron-bool": lambda m, F, leaf: m.kron(m.tensor([True]), m.tensor([True, False])),
    "kron-number": lambda m, F, leaf: m.kron(m.tensor(V), 2.0),
    "cross": lambda m, F, leaf: m.cross(leaf(A43), leaf(B43), dim=1),
    "cross-dim0": lambda m, F, leaf: m.cross(leaf(A43).t(), leaf(B43).t(), 0),
    "cross-broadcast": lambda m, F, leaf: m.cross(leaf([[V]]), leaf([A43, B43]), dim=-1),
    "cross-default-dim": lambda m, F, leaf: quiet(lambda: m.cross(leaf(A43), leaf(B43))),
    "cross-default-first-3": lambda m, F, leaf: quiet(
        lambda: m.cross(leaf([V, V, V]), leaf(A43[:3]))),
    "cross-no-3": lambda m, F, leaf: quiet(lambda: m.cross(m.ones(4, 4), m.ones(4, 4))),
    "cross-default-mismatch": lambda m, F, leaf: quiet(lambda: m.cross(m.ones(3, 1),
                                                                       m.ones(1, 3))),
    "cross-not-3": lambda m, F, leaf: m.cross(m.ones(4, 4), m.ones(4, 4), dim=1),
    "cross-ndim": lambda m, F, leaf: m.cross(m.ones(3), m.ones(2, 3), dim=-1),
    "cross-dtypes": lambda m, F, leaf: m.cross(m.ones(3), m.ones(3, dtype=m.float64), dim=0),
    "cross-int": lambda m, F, leaf: m.cross(m.tensor([1, 0, 0]), m.tensor([0, 1, 0]), dim=0),
    "cross-bool": lambda m, F, leaf: m.cross(m.tensor([True] * 3), m.tensor([True] * 3), dim=0),
    "cross-half": lambda m, F, leaf: m.cross(m.tensor(V, dtype=m.float16),
                                             m.tensor([0.5, 1, 2], dtype=m.float16), dim=0),
    "cross-bad-dim": lambda m, F, leaf: m.cross(m.ones(2, 3), m.ones(2, 3), dim=5),
    "cross-number": lambda m, F, leaf: m.cross(m.ones(3), 2, dim=0),
    "cross-method": lambda m, F, leaf: leaf(A43).cross(leaf(B43), 1),
    "linalg.cross": lambda m, F, leaf: linalg_cross(m)(leaf(A43), leaf(B43)),
    "linalg.cross-dim": lambda m, F, leaf: linalg_cross(m)(leaf(A43).t(), leaf(B43).t(), dim=0),
    "linalg.cross-last-not-3": lambda m, F, leaf: linalg_cross(m)(m.ones(3, 4), m.ones(3, 4)),
    "trace": lambda m, F, leaf: m.trace(leaf(M34)),
    "trace-int": lambda m, F, leaf: m.trace(m.tensor([[1, 2], [3, 4]])),
    "trace-int32": lambda m, F, leaf: m.trace(m.ones(2, 2, dtype=m.int32)),
    "trace-half": lambda m, F, leaf: m.trace(m.ones(2, 2, dtype=m.float16)),
    "trace-bool": lambda m, F, leaf: m.trace(m.tensor([[True, False], [True, True]])),
    "trace-1d": lambda m, F, leaf: m.trace(m.ones(2)),
    "tensordot": lambda m, F, leaf: m.tensordot(leaf([[V, V]]), leaf(M34), dims=1),
    "tensordot-0": lambda m, F, leaf: m.tensordot(leaf(V), leaf([1.0, 2.0]), dims=0),
    "tensordot-int": lambda m, F, leaf: m.tensordot(m.ones(2, 3, dtype=m.int64),
                                                    m.ones(3, 2, dtype=m.int64), dims=1),
}


@pytest.mark.parametrize("name", list(CASES))
def test_matches_torch(name):
    compare(CASES[name])


def test_cross_without_dim_warns_as_torch_does():
    with pytest.warns(UserWarning, match="^Using torch.cross without specifying the dim arg"):
        engine.cross(engine.ones(3), engine.ones(3))
