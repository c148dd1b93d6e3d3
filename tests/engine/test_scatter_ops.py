"""The scatter family added for issue 10 (engine/ops/scatter.py) against torch 2.13: scatter
(tensor and number forms, the old reduce=), scatter_reduce (every reduction, with and without
self), take, put, take_along_dim, masked_select and masked_scatter: values, dtypes, nodes,
gradients (with ties and zeros) and error texts."""

from __future__ import annotations

import numpy as np
import pytest

import engine
from engine.autograd.gradcheck import gradcheck, gradgradcheck

pytest.importorskip("torch")
from tests.engine.torch_compare import compare  # noqa: E402

X = [[1.0, -2.0, 3.0, 0.5], [0.0, 2.0, -1.0, 4.0], [2.5, 1.5, -3.0, 1.0]]
IDX = [[0, 1, 2, 0], [2, 0, 0, 1]]


@pytest.mark.filterwarnings("ignore:The reduce argument")
def test_scatter_forms_as_torch():
    compare(lambda m, F, leaf: leaf(X).scatter(0, m.tensor(IDX), leaf(X) * 2))
    compare(lambda m, F, leaf: m.scatter(leaf(X), 1, m.tensor(IDX), 2.5))
    compare(lambda m, F, leaf: m.scatter(leaf(X), 1, m.tensor(IDX), value=2.5))
    compare(lambda m, F, leaf: leaf(X).scatter(-1, m.tensor(IDX, dtype=m.int32), 7))
    compare(lambda m, F, leaf: m.tensor([[1, 2], [3, 4]]).scatter(0, m.tensor([[1, 0]]), 2.7))
    compare(lambda m, F, leaf: leaf(X).scatter(0, m.tensor(IDX), leaf(X), reduce="add"))
    compare(lambda m, F, leaf: leaf(X).scatter(0, m.tensor(IDX), 3.0, reduce="multiply"))
    compare(lambda m, F, leaf: leaf(X).detach().scatter(0, m.tensor(IDX), 3.0,
                                                        reduce="multiply"))
    compare(lambda m, F, leaf: leaf(X).scatter(0, m.tensor(IDX), 3.0, reduce="mean"))
    compare(lambda m, F, leaf: leaf(2.0).scatter(0, m.tensor(0), leaf(3.0)))
    compare(lambda m, F, leaf: leaf([1.0, 2.0]).scatter(0, m.tensor([], dtype=m.int64), 1.0))


@pytest.mark.parametrize("case", [
    lambda m, F, leaf: leaf(X).scatter(0, m.tensor(IDX, dtype=m.float32), 1.0),
    lambda m, F, leaf: leaf(X).scatter(0, m.tensor([[5]]), 1.0),
    lambda m, F, leaf: leaf(X).scatter(0, m.tensor([[-4]]), 1.0),
    lambda m, F, leaf: leaf(X).scatter(0, m.tensor([1]), 1.0),
    lambda m, F, leaf: leaf(X).scatter(0, m.tensor([[0, 1, 2, 0, 1]]), 1.0),
    lambda m, F, leaf: leaf(X).scatter(0, m.tensor([[0, 1, 2, 0, 1]]), leaf(X)),
    lambda m, F, leaf: leaf(X).scatter(0, m.tensor(IDX), leaf(X, dtype=m.float32)),
    lambda m, F, leaf: leaf(X).scatter(0, m.tensor(IDX), m.tensor(2.0, dtype=m.float64)),
    lambda m, F, leaf: leaf(X).scatter_reduce(0, m.tensor(IDX), leaf(X), "max"),
    lambda m, F, leaf: leaf(X).scatter_reduce(0, m.tensor(IDX), leaf(X, dtype=m.float32),
                                              "sum"),
], ids=range(10))
def test_scatter_errors_as_torch(case):
    compare(case)


def test_scatter_in_place_as_torch():
    def case(m, F, leaf):
        a = leaf(X)
        y = a * 1
        y.scatter_(1, m.tensor(IDX), leaf(X) * 3)
        return y

    compare(case)

    def on_view(m, F, leaf):
        a = leaf(X)
        y = a * 1
        y.t().scatter_(0, m.tensor([[1, 0, 2]]), 5.0)
        return y

    compare(on_view)
    compare(lambda m, F, leaf: leaf(X).scatter_(0, m.tensor(IDX), 1.0))


@pytest.mark.parametrize("reduce", ["sum", "prod", "mean", "amax", "amin"])
@pytest.mark.parametrize("include_self", [True, False])
def test_scatter_reduce_as_torch(reduce, include_self):
    src = [[1.0, 0.0, 3.0, 2.0], [1.0, 0.0, -1.0, 2.0], [0.0, 2.0, 0.0, 4.0]]
    idx = [[0, 1, 1, 0], [0, 1, 1, 0], [2, 1, 0, 0]]
    compare(lambda m, F, leaf: leaf(X).scatter_reduce(0, m.tensor(idx), leaf(src), reduce,
                                                      include_self=include_self))
    compare(lambda m, F, leaf: m.scatter_reduce(leaf([0.0, 2.0, 2.0, 1.0]), 0,
                                                m.tensor([0, 0, 3, 3, 1]),
                                                leaf([2.0, 0.0, 1.0, 1.0, 2.0]), reduce,
                                                include_self=include_self))
    compare(lambda m, F, leaf: m.tensor([1, 5, 3]).scatter_reduce(
        0, m.tensor([0, 0, 1, 2]), m.tensor([-3, -5, 7, 2]), reduce, include_self=include_self))


@pytest.mark.parametrize("reduce", ["sum", "prod", "mean", "amax", "amin"])
def test_scatter_reduce_gradchecks(reduce):
    rng = np.random.default_rng(3)
    x = engine.tensor(rng.uniform(0.5, 2, (3, 4)), requires_grad=True)
    s = engine.tensor(rng.uniform(0.5, 2, (2, 4)), requires_grad=True)
    idx = engine.tensor([[0, 2, 1, 0], [0, 1, 1, 2]])
    for inc in (True, False):
        def f(a, b, inc=inc):
            return engine.scatter_reduce(a, 0, idx, b, reduce, include_self=inc)

        assert gradcheck(f, (x, s))
        assert gradgradcheck(f, (x, s))


def test_take_put_as_torch():
    compare(lambda m, F, leaf: leaf(X).take(m.tensor([[0, 11], [-1, 3]])))
    compare(lambda m, F, leaf: m.take(leaf(X).t(), m.tensor([0, 1, 1])))
    compare(lambda m, F, leaf: m.take(leaf(X), m.tensor([12])))
    compare(lambda m, F, leaf: m.take(leaf(X), m.tensor([1], dtype=m.int32)))
    compare(lambda m, F, leaf: leaf(X).put(m.tensor([0, 5, 5]), leaf([1.0, 2.0, 3.0])))
    compare(lambda m, F, leaf: leaf(X).put(m.tensor([0, 5, 5]), leaf([1.0, 2.0, 3.0]),
                                           accumulate=True))
    compare(lambda m, F, leaf: leaf(X).put(m.tensor([0, 5]), leaf([1.0, 2.0, 3.0])))
    compare(lambda m, F, leaf: leaf(X).put(m.tensor([0, 15]), leaf([1.0, 2.0])))
    compare(lambda m, F, leaf: leaf(X).put(m.tensor([0, 1]), leaf([1.0, 2.0], dtype=m.float32)))

    def in_place(m, F, leaf):
        y = leaf(X) * 1
        y.put_(m.tensor([1, 2]), leaf([[5.0], [6.0]]), accumulate=True)
        return y

    compare(in_place)


def test_take_along_dim_as_torch():
    compare(lambda m, F, leaf: m.take_along_dim(leaf(X), m.tensor([[0], [2]]), 1))
    compare(lambda m, F, leaf: m.take_along_dim(leaf(X), m.tensor([[0, 1, 2, 0]]), 0))
    compare(lambda m, F, leaf: m.take_along_dim(leaf(X), m.tensor([3, 1])))
    compare(lambda m, F, leaf: leaf(X).take_along_dim(m.tensor([[1, 2]]), dim=-1))
    compare(lambda m, F, leaf: m.take_along_dim(leaf(X), m.tensor([1, 2]), 0))
    compare(lambda m, F, leaf: m.take_along_dim(leaf(X), m.tensor([[1.0]]), 0))
    compare(lambda m, F, leaf: m.take_along_dim(leaf([[1.0], [2.0]]), m.tensor([[0, 0, 0]]), 0))


def test_masked_select_scatter_as_torch():
    compare(lambda m, F, leaf: leaf(X).masked_select(leaf(X) > 0.7))
    compare(lambda m, F, leaf: m.masked_select(leaf([1.0, 2.0, 3.0]),
                                               m.tensor([[True, False, True], [False] * 3])))
    compare(lambda m, F, leaf: m.masked_select(leaf(X), m.tensor([1, 0, 1, 0])))
    compare(lambda m, F, leaf: leaf(X).masked_scatter(leaf(X) > 0.7, leaf(X) * 10))
    compare(lambda m, F, leaf: leaf([1.0, 2.0, 3.0]).masked_scatter(
        m.tensor([[True, False, True], [False, True, False]]), leaf([5.0, 6.0, 7.0, 8.0])))
    compare(lambda m, F, leaf: leaf(X).masked_scatter(leaf(X) > 0.7, leaf([1.0])))
    compare(lambda m, F, leaf: leaf(X).masked_scatter(leaf(X) > 0.7,
                                                      leaf(X, dtype=m.float32)))

    def in_place(m, F, leaf):
        y = leaf(X) * 1
        y.masked_scatter_(m.tensor([True, False, False, True]), leaf(X) * 3)
        return y

    compare(in_place)


def test_take_along_dim_index_dtypes_as_torch():
    compare(lambda m, F, leaf: m.take_along_dim(leaf(X), m.tensor([1], dtype=m.int32)))
    compare(lambda m, F, leaf: m.take_along_dim(leaf(X), m.tensor([1.0])))
    compare(lambda m, F, leaf: m.take_along_dim(leaf(X), m.tensor([[1]], dtype=m.int32), 1))


@pytest.mark.parametrize("case", [
    lambda m, F, leaf: leaf(X).index_copy(1, m.tensor([0, 2]), leaf(X)[:, :2] * 3),
    lambda m, F, leaf: m.index_copy(leaf(X), 0, m.tensor([2, 0]), leaf(X)[:2] * 1),
    lambda m, F, leaf: m.index_copy(leaf(X), 0, m.tensor(1), leaf(X)[:1] * 1),
    lambda m, F, leaf: leaf(X).index_copy(1, m.tensor([0, 2]), leaf(X)[:, :1] * 1),
    lambda m, F, leaf: leaf(X).index_copy(1, m.tensor([0, 2]), leaf(X, dtype=m.float32)[:, :2]),
    lambda m, F, leaf: leaf(X).index_copy(1, m.tensor([0, 2.0]), leaf(X)[:, :2]),
    lambda m, F, leaf: leaf(X).index_copy(1, m.tensor([0, 5]), leaf(X)[:, :2]),
    lambda m, F, leaf: leaf(X).index_copy(1, m.tensor([0, -1]), leaf(X)[:, :2]),
    lambda m, F, leaf: leaf(X).index_copy(1, m.tensor([[0, 2]]), leaf(X)[:, :2]),
    lambda m, F, leaf: leaf(X).index_copy(1, m.tensor([0, 2], dtype=m.int32), leaf(X)[:, :2]),
    lambda m, F, leaf: m.tensor(2.0).index_copy(0, m.tensor([0]), m.tensor(3.0)),
    lambda m, F, leaf: leaf(X).index_fill(1, m.tensor([0, 2]), -1.0),
    lambda m, F, leaf: leaf(X).index_fill(1, m.tensor([0, -1]), 2),
    lambda m, F, leaf: m.index_fill(leaf(X), 0, m.tensor([2, 2]), leaf(3.0)),
    lambda m, F, leaf: m.index_fill(leaf(X), 0, m.tensor([2]), leaf(3.0, dtype=m.float32)),
    lambda m, F, leaf: leaf(X).index_fill(1, m.tensor([0, 5]), 1.0),
    lambda m, F, leaf: leaf(X).index_fill(1, m.tensor([0, 2.0]), 1.0),
    lambda m, F, leaf: leaf(X).index_fill(1, m.tensor([[0, 2]]), 1.0),
    lambda m, F, leaf: leaf(X).index_fill(1, m.tensor([0, 2]), leaf([1.0, 2.0])),
    lambda m, F, leaf: m.ones(3, dtype=m.int64).index_fill(0, m.tensor([0]), 2.7),
    lambda m, F, leaf: m.tensor(2.0).index_fill(0, m.tensor([0]), 1.0),
], ids=range(21))
def test_index_copy_fill_as_torch(case):
    compare(case)


def test_index_copy_fill_in_place_as_torch():
    def case(m, F, leaf):
        y = leaf(X) * 1
        y.index_copy_(0, m.tensor([1]), leaf([X[0]]) * 2)
        y.t().index_fill_(0, m.tensor([3]), 0.5)
        return y

    compare(case)
