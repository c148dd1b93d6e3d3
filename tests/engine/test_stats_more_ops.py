"""Counting, statistics and products added for issue 10 (engine/ops/stats_more.py) against
torch 2.13: cov, corrcoef, bincount, inner, vdot, dist, chain_matmul: values, dtypes, node
chains, gradients (second order in the gradchecks of the samples) and error texts."""

from __future__ import annotations

import pytest

pytest.importorskip("torch")
from tests.engine.torch_compare import compare  # noqa: E402

X = [[1.0, -2.0, 3.0, 0.5], [0.0, 2.0, -1.0, 4.0], [2.5, 1.5, -3.0, 1.0]]
V = [1.0, -2.0, 0.5, 3.0]
W = [0.5, 1.0, -1.0, 2.0]


@pytest.mark.filterwarnings("ignore:cov")
@pytest.mark.parametrize("case", [
    lambda m, F, leaf: m.cov(leaf(X)),
    lambda m, F, leaf: m.cov(leaf(V)),
    lambda m, F, leaf: leaf(X).cov(correction=0),
    lambda m, F, leaf: m.cov(leaf(X), correction=5),
    lambda m, F, leaf: m.cov(leaf(X), correction=1.5),
    lambda m, F, leaf: m.cov(leaf(X), fweights=m.tensor([1, 2, 1, 1])),
    lambda m, F, leaf: m.cov(leaf(X), aweights=m.tensor([0.5, 2.0, 1.0, 1.0],
                                                        dtype=m.float64)),
    lambda m, F, leaf: m.cov(leaf(X), aweights=leaf([0.5, 2.0, 1.0, 1.0]).abs()),
    lambda m, F, leaf: m.cov(leaf(X), fweights=m.tensor([1, 2, 1, 1]),
                             aweights=m.tensor([0.5, 2.0, 1.0, 1.0], dtype=m.float64),
                             correction=2),
    lambda m, F, leaf: m.cov(leaf(X), fweights=m.tensor([1.0, 2, 1, 1])),
    lambda m, F, leaf: m.cov(leaf(X), fweights=m.tensor([1, 2, 1])),
    lambda m, F, leaf: m.cov(leaf(X), fweights=m.tensor([1, -2, 1, 1])),
    lambda m, F, leaf: m.cov(leaf(X), fweights=m.tensor([[1, 2, 1, 1]])),
    lambda m, F, leaf: m.cov(leaf(X), aweights=m.tensor([1, 2, 1, 1])),
    lambda m, F, leaf: m.cov(leaf(X), aweights=m.tensor([1.0, -2, 1, 1])),
    lambda m, F, leaf: m.cov(leaf(X)[:, :1]),
    lambda m, F, leaf: m.cov(m.tensor([[1, 2, 4], [0, 3, 3]])),
    lambda m, F, leaf: m.cov(m.tensor([[True, False]])),
    lambda m, F, leaf: m.cov(m.ones(2, 3, 4)),
    lambda m, F, leaf: m.cov(leaf(2.0)),
    lambda m, F, leaf: m.corrcoef(leaf(X)),
    lambda m, F, leaf: m.corrcoef(leaf(V)),
    lambda m, F, leaf: leaf(X).t().corrcoef(),
    lambda m, F, leaf: m.corrcoef(m.tensor([[1, 2, 4], [0, 3, 3]])),
    lambda m, F, leaf: m.corrcoef(m.ones(2, 3, 4)),
], ids=range(25))
def test_cov_corrcoef_as_torch(case):
    compare(case)


@pytest.mark.parametrize("case", [
    lambda m, F, leaf: m.bincount(m.tensor([1, 1, 3])),
    lambda m, F, leaf: m.tensor([1, 1, 3]).bincount(minlength=6),
    lambda m, F, leaf: m.bincount(m.tensor([1, 1, 3]), m.tensor([1.0, 2, 3])),
    lambda m, F, leaf: m.bincount(m.tensor([1, 1, 3]), m.tensor([1, 2, 3])),
    lambda m, F, leaf: m.bincount(m.tensor([1, 1, 3]), leaf([1.0, 2, 3])),
    lambda m, F, leaf: m.bincount(m.tensor([1, 1, 3], dtype=m.int32)),
    lambda m, F, leaf: m.bincount(m.tensor([-1])),
    lambda m, F, leaf: m.bincount(m.tensor([[1]])),
    lambda m, F, leaf: m.bincount(m.tensor([1.0])),
    lambda m, F, leaf: m.bincount(m.tensor([True])),
    lambda m, F, leaf: m.bincount(m.tensor([], dtype=m.int64)),
    lambda m, F, leaf: m.bincount(m.tensor([], dtype=m.int64), minlength=3),
    lambda m, F, leaf: m.bincount(m.tensor([1, 2]), m.tensor([1.0])),
    lambda m, F, leaf: m.bincount(m.tensor([1, 2]), minlength=-1),
], ids=range(14))
def test_bincount_as_torch(case):
    compare(case)


@pytest.mark.parametrize("case", [
    lambda m, F, leaf: m.inner(leaf(V), leaf(W)),
    lambda m, F, leaf: m.inner(leaf(X), leaf(V)),
    lambda m, F, leaf: m.inner(leaf(V), leaf(X)),
    lambda m, F, leaf: leaf(X).inner(leaf(X)),
    lambda m, F, leaf: m.inner(leaf(2.0), leaf(V)),
    lambda m, F, leaf: m.inner(leaf(V), leaf(W[:3])),
    lambda m, F, leaf: m.inner(leaf(V), 2.0),
    lambda m, F, leaf: m.inner(m.tensor([1, 2]), m.tensor([3, 4])),
    lambda m, F, leaf: m.vdot(leaf(V), leaf(W)),
    lambda m, F, leaf: leaf(V).vdot(leaf(W)),
    lambda m, F, leaf: m.vdot(leaf(X), leaf(V)),
    lambda m, F, leaf: m.vdot(leaf(V), leaf(W[:3])),
    lambda m, F, leaf: m.vdot(leaf(V), leaf(W, dtype=m.float32)),
    lambda m, F, leaf: m.vdot(m.tensor([1, 2]), m.tensor([3, 4])),
], ids=range(14))
def test_inner_vdot_as_torch(case):
    compare(case)


@pytest.mark.parametrize("p", [2, 1, 3, 0, 0.5, -1, float("inf"), float("-inf"), 2.5])
def test_dist_as_torch(p):
    compare(lambda m, F, leaf: m.dist(leaf(X), leaf(V), p))
    compare(lambda m, F, leaf: leaf(V).dist(leaf(W), p=p))
    compare(lambda m, F, leaf: m.dist(leaf(V), leaf(V), p))


def test_dist_errors_and_dtypes_as_torch():
    compare(lambda m, F, leaf: m.dist(leaf(V), leaf(W, dtype=m.float32)))
    compare(lambda m, F, leaf: m.dist(m.tensor([1, 2]), m.tensor([3, 4])))
    compare(lambda m, F, leaf: m.dist(leaf(V), 2.0))
    compare(lambda m, F, leaf: m.dist(leaf(V), leaf(W), "fro"))
    compare(lambda m, F, leaf: m.dist(leaf(X), leaf(W[:3])))


@pytest.mark.filterwarnings("ignore:torch.chain_matmul")
def test_chain_matmul_as_torch():
    compare(lambda m, F, leaf: m.chain_matmul(leaf(X[:2]), leaf(X).t(), leaf(X)))
    compare(lambda m, F, leaf: m.chain_matmul(leaf(X)))
    compare(lambda m, F, leaf: m.chain_matmul(leaf(X), leaf(X)))
    compare(lambda m, F, leaf: m.chain_matmul(leaf(V), leaf(V)))
