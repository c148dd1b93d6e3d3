"""index_reduce / index_reduce_ (engine/ops/index_reduce.py) against torch 2.13: values,
dtypes, node chains, gradients and error texts (torch warns that the op is in beta)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

pytest.importorskip("torch")
from tests.engine.torch_compare import compare  # noqa: E402

X = [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0], [0.0, 2.0, -1.0]]
S = [[1.0, -2.0, 3.0], [4.0, 0.0, 6.0], [7.0, 8.0, -9.0]]
S0 = [[1.0, -2.0, 0.0], [4.0, 0.0, 6.0], [7.0, 0.0, -9.0]]
CASES = []
for r in ("prod", "mean", "amax", "amin"):
    for inc in (True, False):
        CASES += [
            lambda m, F, leaf, r=r, inc=inc: m.index_reduce(
                leaf(X), 0, m.tensor([0, 2, 0]), leaf(S), r, include_self=inc
            ),
            lambda m, F, leaf, r=r, inc=inc: leaf(X).index_reduce(
                0, m.tensor([0, 2, 0]), leaf(S0), r, include_self=inc
            ),
            lambda m, F, leaf, r=r, inc=inc: leaf(np.array(X).T).index_reduce(
                1, m.tensor([3, 3, 1]), leaf(np.array(S).T), r, include_self=inc
            ),
            lambda m, F, leaf, r=r, inc=inc: (leaf(X) * 1).index_reduce_(
                0, m.tensor([1, 1, 1], dtype=m.int32), leaf(S0), r, include_self=inc
            ),
            lambda m, F, leaf, r=r, inc=inc: m.tensor([1, 2, 3]).index_reduce(
                0, m.tensor([0, 0]), m.tensor([5, 7]), r, include_self=inc
            ),
            lambda m, F, leaf, r=r, inc=inc: m.tensor([1.0, float("nan"), 3]).index_reduce(
                0, m.tensor([0, 0]), m.tensor([float("nan"), 2.0]), r, include_self=inc
            ),
            lambda m, F, leaf, r=r, inc=inc: m.ones(3, dtype=m.float16).index_reduce(
                0, m.tensor([0, 2, 0]), m.tensor([1.0, 2, 3], dtype=m.float16), r, include_self=inc
            ),
            lambda m, F, leaf, r=r, inc=inc: leaf(2.0).index_reduce(
                0, m.tensor(0), leaf(3.0), r, include_self=inc
            ),
            lambda m, F, leaf, r=r, inc=inc: leaf(X).index_reduce(
                0, m.tensor([], dtype=m.int64), leaf(np.ones((0, 3))), r, include_self=inc
            ),
        ]


def x(m):
    return m.ones(4, 3, dtype=m.float64)


def s(m):
    return m.ones(3, 3, dtype=m.float64)


def idx(m):
    return m.tensor([0, 2, 0])


CASES += [
    lambda m, F, leaf: x(m).index_reduce(0, idx(m).float(), s(m), "sum"),
    lambda m, F, leaf: x(m).index_reduce(0, m.tensor([[0, 1]]).float(), s(m).float(), "prod"),
    lambda m, F, leaf: x(m).index_reduce(0, idx(m).float(), s(m).float(), "prod"),
    lambda m, F, leaf: x(m).index_reduce(5, idx(m), s(m), "prod"),
    lambda m, F, leaf: x(m).index_reduce(0, idx(m), s(m).float(), "prod"),
    lambda m, F, leaf: x(m).index_reduce(0, idx(m)[:2], s(m), "prod"),
    lambda m, F, leaf: x(m).index_reduce(1, idx(m), s(m), "prod"),
    lambda m, F, leaf: x(m).index_reduce(0, m.tensor([0, 5, 0]), s(m), "prod"),
    lambda m, F, leaf: x(m).index_reduce(0, m.tensor([0, -1, 0]), s(m), "prod"),
    lambda m, F, leaf: m.ones(3, dtype=m.bool).index_reduce(
        0, idx(m), m.tensor([True, False, True]), "amax"
    ),
    lambda m, F, leaf: m.ones(4, 3).index_reduce(0, idx(m), m.ones(3), "prod"),
    lambda m, F, leaf: m.ones(3).index_reduce(0, idx(m), m.ones(3, 1), "prod"),
    lambda m, F, leaf: m.tensor(1.0).index_reduce(0, m.tensor([0]), m.tensor([3.0]), "prod"),
    lambda m, F, leaf: x(m).index_reduce(0, idx(m), s(m), 1),
    lambda m, F, leaf: x(m).index_reduce(0, idx(m), s(m), "prod", include_self=0),
    lambda m, F, leaf: leaf(X).index_reduce_(0, idx(m), s(m), "prod"),
]


@pytest.mark.parametrize("k", range(len(CASES)))
def test_index_reduce_as_torch(k):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        compare(CASES[k])


def test_index_reduce_warns_beta():
    import engine

    with pytest.warns(UserWarning, match="index_reduce\\(\\) is in beta"):
        engine.ones(3).index_reduce(0, engine.tensor([0]), engine.ones(1), "prod")


def test_double_backward_refused_for_two_zeros_as_torch():
    import torch

    import engine

    for lib in (engine, torch):
        x = lib.ones(4, 3, dtype=lib.float64)
        s = lib.zeros(3, 3, dtype=lib.float64, requires_grad=True)  # two zeros meet
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            o = lib.index_reduce(x, 0, lib.tensor([0, 2, 0]), s, "prod")
        (g,) = (engine.grad if lib is engine else torch.autograd.grad)(
            o.sum(), s, create_graph=True
        )
        assert type(g.grad_fn).__name__ == "Error" or g.grad_fn.name().endswith("Error")
        with pytest.raises(RuntimeError, match="Double backward is unsupported for source"):
            g.sum().backward()
