"""block_diag, vander, linalg.vander (engine/ops/matrix_build.py) and linalg.tensorinv,
tensorsolve, inv_ex, cond (engine/ops/linalg_extra.py) against torch 2.13: values, dtypes,
node chains, gradients and error texts."""

from __future__ import annotations

import math

import numpy as np
import pytest

pytest.importorskip("torch")
import torch  # noqa: E402

import engine  # noqa: E402
from tests.engine.torch_compare import compare  # noqa: E402

A = [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]
_rng = np.random.default_rng(0)
W = np.eye(6) * 3 + _rng.random((6, 6))
R23, R3 = _rng.random((2, 3)), _rng.random(3)
S = [[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 0.0, 1.0]]  # singular: LU's third pivot is 0
M = [[3.0, 1.0, 0.5], [0.2, 2.0, 0.1], [0.3, 0.4, 4.0]]
INF = math.inf

BUILD = [
    lambda m, F, leaf: m.block_diag(leaf(A), leaf([1.0, 2.0]), leaf(3.0),
                                    leaf(A, dtype=m.float32)),
    lambda m, F, leaf: m.block_diag(),
    lambda m, F, leaf: m.block_diag(m.tensor([1, 2]), m.tensor([[1.5]])),
    lambda m, F, leaf: m.block_diag(leaf(np.ones((2, 0))), m.ones(0, 3)),
    lambda m, F, leaf: m.block_diag(m.ones(2, 2, 2)),
    lambda m, F, leaf: m.block_diag(m.ones(2), 3),
    lambda m, F, leaf: m.block_diag(m.tensor(True), m.tensor(True)),
    lambda m, F, leaf: m.block_diag(m.tensor(1.5, dtype=m.float64), m.ones(2)),
    lambda m, F, leaf: m.block_diag(leaf(A).T, leaf([[2.0]])),
    lambda m, F, leaf: m.vander(leaf([1.0, 2.0, 3.0])),
    lambda m, F, leaf: m.vander(leaf([1.0, 2.0, 3.0]), N=2, increasing=True),
    lambda m, F, leaf: m.vander(leaf([1.0, 2.0, 3.0]), N=1),
    lambda m, F, leaf: m.vander(leaf([1.0, 2.0, 3.0]), N=0),
    lambda m, F, leaf: m.vander(m.tensor([1, 2, 3]), 4),
    lambda m, F, leaf: m.vander(m.tensor([True, False])),
    lambda m, F, leaf: m.vander(m.tensor([1, 2], dtype=m.int32)),
    lambda m, F, leaf: m.vander(m.ones(2, 2)),
    lambda m, F, leaf: m.vander(m.ones(2), N=-1),
    lambda m, F, leaf: m.vander(m.ones(2), N=2.0),
    lambda m, F, leaf: m.vander(m.tensor(2.0)),
    lambda m, F, leaf: m.vander(m.tensor([1.0, float("nan"), INF]), N=3),
    lambda m, F, leaf: m.vander(m.tensor([1.0, 2.5], dtype=m.float16), N=4),
    lambda m, F, leaf: m.linalg.vander(leaf([1.0, 2.0, 3.0])),
    lambda m, F, leaf: m.linalg.vander(leaf([[1.0, 2.0], [3.0, 4.0]]).T, N=4),
    lambda m, F, leaf: m.linalg.vander(leaf(2.0), N=3),
    lambda m, F, leaf: m.linalg.vander(leaf(2.0)),
    lambda m, F, leaf: m.linalg.vander(m.tensor([1, 2], dtype=m.int32), N=3),
    lambda m, F, leaf: m.linalg.vander(m.tensor([True])),
    lambda m, F, leaf: m.linalg.vander(m.ones(2, dtype=m.float16)),
    lambda m, F, leaf: m.linalg.vander(m.ones(0, 2)),
    lambda m, F, leaf: m.linalg.vander(m.ones(2, 0)),
    lambda m, F, leaf: m.linalg.vander(m.ones(2), N=1),
]


@pytest.mark.parametrize("case", BUILD, ids=range(len(BUILD)))
def test_block_diag_vander_as_torch(case):
    compare(case)


TENSOR = [
    lambda m, F, leaf: m.linalg.tensorinv(leaf(W.reshape(6, 2, 3)), ind=1),
    lambda m, F, leaf: m.linalg.tensorinv(leaf(W.reshape(2, 3, 6))),
    lambda m, F, leaf: m.linalg.tensorinv(leaf(W.reshape(2, 3, 6)), 0),
    lambda m, F, leaf: m.linalg.tensorinv(leaf(W.reshape(2, 3, 6)), 1),
    lambda m, F, leaf: m.linalg.tensorinv(m.ones(0, 2, 0), 1),
    lambda m, F, leaf: m.linalg.tensorinv(m.ones(0, 2, 3), 1),
    lambda m, F, leaf: m.linalg.tensorinv(m.zeros(2, 2), 1),
    lambda m, F, leaf: m.linalg.tensorinv(leaf(W.reshape(6, 2, 3)), ind=1).stride(),
    lambda m, F, leaf: m.linalg.tensorinv(m.ones(2, 2, dtype=m.int64), 1),
    lambda m, F, leaf: m.linalg.tensorinv(m.ones(2, 2), ind=1.0),
    lambda m, F, leaf: m.linalg.tensorsolve(leaf(W.reshape(2, 3, 6)), leaf(R23)),
    lambda m, F, leaf: m.linalg.tensorsolve(leaf(W.reshape(2, 3, 2, 3)), leaf(R23), dims=(0,)),
    lambda m, F, leaf: m.linalg.tensorsolve(leaf(W.reshape(2, 3, 2, 3)), leaf(R23),
                                            dims=(1, 0)),
    lambda m, F, leaf: m.linalg.tensorsolve(leaf(W.reshape(2, 3, 6)), leaf(R3)),
    lambda m, F, leaf: m.linalg.tensorsolve(leaf(W), leaf(W[0])),
    lambda m, F, leaf: m.linalg.tensorsolve(m.ones(2, 3), m.ones(2)),
    lambda m, F, leaf: m.linalg.tensorsolve(m.ones(2, 2), m.ones(2), dims=0),
    lambda m, F, leaf: m.linalg.tensorsolve(m.ones(2, 2), m.ones(2), dims=(5,)),
    lambda m, F, leaf: m.linalg.tensorsolve(m.zeros(2, 2), m.ones(2)),
    lambda m, F, leaf: m.linalg.tensorsolve(m.ones(0, 2), m.ones(0)),
    lambda m, F, leaf: m.linalg.inv_ex(leaf(M)),
    lambda m, F, leaf: m.linalg.inv_ex(m.tensor(S)),
    lambda m, F, leaf: m.linalg.inv_ex(leaf(S)),
    lambda m, F, leaf: m.linalg.inv_ex(m.zeros(2, 2)),
    lambda m, F, leaf: m.linalg.inv_ex(m.tensor([[0.0, 1.0], [0.0, 1.0]])),
    lambda m, F, leaf: m.linalg.inv_ex(m.tensor(S), check_errors=True),
    lambda m, F, leaf: m.linalg.inv_ex(m.stack([m.tensor(S), m.tensor(M)])),
    lambda m, F, leaf: m.linalg.inv_ex(m.stack([m.tensor(M), m.tensor(S)]), check_errors=True),
    lambda m, F, leaf: m.linalg.inv_ex(m.zeros(2, 0, 0)),
    lambda m, F, leaf: m.linalg.inv_ex(m.zeros(2, 3)),
    lambda m, F, leaf: m.linalg.inv_ex(m.zeros(2, 2, dtype=m.int64)),
]


@pytest.mark.parametrize("case", TENSOR, ids=range(len(TENSOR)))
def test_tensorinv_tensorsolve_inv_ex_as_torch(case):
    # (tensorinv's ind=1.0 positionally names its position in torch; by keyword it does not)
    compare(case)


ORDERS = [None, 2, -2, 1, -1, INF, -INF, "fro", "nuc", 2.0, 1.0, True]
COND = [
    lambda m, F, leaf, p: m.linalg.cond(leaf(M), p),
    lambda m, F, leaf, p: m.linalg.cond(leaf(np.stack([M, np.eye(3)])), p),
    lambda m, F, leaf, p: m.linalg.cond(m.tensor(S, dtype=m.float64), p)
    if p in (1, -1, "fro", INF, -INF) else m.linalg.cond(m.tensor(M), p),
    lambda m, F, leaf, p: m.linalg.cond(m.zeros(3, 3), p),
    lambda m, F, leaf, p: m.linalg.cond(leaf(R23), p),
    lambda m, F, leaf, p: m.linalg.cond(m.ones(2, 0, 0), p),
    lambda m, F, leaf, p: m.linalg.cond(m.ones(0, 3, dtype=m.int64), p),
    lambda m, F, leaf, p: m.linalg.cond(m.ones(3, 3, dtype=m.int64), p),
    lambda m, F, leaf, p: m.linalg.cond(m.ones(3, 3, dtype=m.float16), p),
    lambda m, F, leaf, p: m.linalg.cond(m.tensor([[1.0, float("nan")], [0, 1]]), p),
    lambda m, F, leaf, p: m.linalg.cond(m.tensor([[1.0, 0], [0, 0]]), p),
    lambda m, F, leaf, p: m.linalg.cond(m.ones(3), p),
]


@pytest.mark.parametrize("p", ORDERS, ids=[str(p) for p in ORDERS])
@pytest.mark.parametrize("k", range(len(COND)))
def test_cond_as_torch(k, p):
    compare(lambda m, F, leaf: COND[k](m, F, leaf, p))


@pytest.mark.parametrize("p", [3, 2.5, "x", 0, -INF, -1.0])
def test_cond_orders_as_torch(p):
    compare(lambda m, F, leaf: m.linalg.cond(m.ones(3, 3), p))
    compare(lambda m, F, leaf: m.linalg.cond(m.ones(2, 3), p))


def test_inv_ex_partial_result_as_torch():
    """On singular matrices torch returns getrs's partial result: the model gives the same
    info and the same NaN/inf pattern (signs included), finite entries to rounding."""
    rng = np.random.default_rng(5)
    for trial in range(300):
        n = int(rng.integers(2, 7))
        dt = (np.float32, np.float64)[trial % 2]
        a = rng.integers(-3, 4, size=(n, n)).astype(dt)
        a[:, rng.integers(n)] = a[:, rng.integers(n)] * rng.integers(-2, 3)
        inv, info = torch.linalg.inv_ex(torch.from_numpy(a.copy()))
        ours = engine.linalg.inv_ex(engine.from_numpy(a.copy()))
        assert int(ours.info) == int(info)
        if int(info) == 0:  # (singular to rounding only: rounding decides the values)
            continue
        x, y = engine.to_numpy(ours.inverse), inv.numpy()
        assert np.array_equal(np.isnan(x), np.isnan(y))
        assert np.array_equal(np.where(np.isinf(x), np.sign(x), 0),
                              np.where(np.isinf(y), np.sign(y), 0))
        finite = np.isfinite(y)
        assert np.allclose(x[finite], y[finite], rtol=1e-5 if dt is np.float32 else 1e-12,
                           atol=1e-6 if dt is np.float32 else 1e-13)


def test_inv_ex_large_singular_refuses():
    a = np.ones((17, 17))
    with pytest.raises(engine.errors.NotSupported, match="linalg.inv_ex"):
        engine.linalg.inv_ex(engine.tensor(a))


PD = [[4.0, 2.0, 0.5], [2.0, 5.0, 1.0], [0.5, 1.0, 3.0]]
NOT_PD = [[4.0, 2.0, 0], [2.0, 5.0, 1], [0, 1, -3]]
SEMI = [[4.0, 2.0, 1.0], [2.0, 1.0, 3.0], [1.0, 3.0, 5.0]]  # the second minor is 0
CHOLESKY_EX = [
    lambda m, F, leaf, up: m.linalg.cholesky_ex(leaf(PD), upper=up),
    lambda m, F, leaf, up: m.linalg.cholesky_ex(leaf(np.tril(PD)), upper=up),
    lambda m, F, leaf, up: m.linalg.cholesky_ex(leaf(np.stack([PD, np.eye(3)])), upper=up),
    lambda m, F, leaf, up: m.linalg.cholesky_ex(m.tensor(SEMI, dtype=m.float64), upper=up),
    lambda m, F, leaf, up: m.linalg.cholesky_ex(m.tensor(NOT_PD), upper=up),
    lambda m, F, leaf, up: m.linalg.cholesky_ex(m.tensor([[-1.0, 2.0], [2.0, 5.0]]), upper=up),
    lambda m, F, leaf, up: m.linalg.cholesky_ex(m.stack([m.tensor(PD), m.tensor(NOT_PD)]),
                                                upper=up),
    lambda m, F, leaf, up: m.linalg.cholesky_ex(m.tensor(SEMI), upper=up, check_errors=True),
    lambda m, F, leaf, up: m.linalg.cholesky_ex(m.stack([m.tensor(PD), m.tensor(NOT_PD)]),
                                                upper=up, check_errors=True),
    lambda m, F, leaf, up: m.linalg.cholesky_ex(m.ones(3), upper=up),
    lambda m, F, leaf, up: m.linalg.cholesky_ex(m.ones(2, 3), upper=up),
    lambda m, F, leaf, up: m.linalg.cholesky_ex(m.ones(3, 3, dtype=m.int64), upper=up),
    lambda m, F, leaf, up: m.linalg.cholesky_ex(m.ones(3, 3, dtype=m.float16), upper=up),
    lambda m, F, leaf, up: m.linalg.cholesky_ex(m.ones(2, 0, 0), upper=up),
    lambda m, F, leaf, up: m.linalg.cholesky_ex(m.tensor([[1.0, float("nan")],
                                                          [float("nan"), 1.0]]), upper=up),
]


@pytest.mark.parametrize("upper", [False, True])
@pytest.mark.parametrize("k", range(len(CHOLESKY_EX)))
def test_cholesky_ex_as_torch(k, upper):
    """Positive-definite inputs as linalg.cholesky; otherwise potrf's partial factor and info
    (gradients through a partial factor are not compared: its zero pivots make them inf/NaN
    in an arithmetic order of LAPACK's)."""
    compare(lambda m, F, leaf: CHOLESKY_EX[k](m, F, leaf, upper))
