"""The shape ops added for issue 10 (engine/ops/shape_more.py, and the view scatters of
engine/ops/scatter.py) against torch 2.13: results, dtypes, node chains, gradients and error
texts; the in-place shape ops on views and non-leaves; stride and storage_offset."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("torch")
from tests.engine.torch_compare import compare  # noqa: E402

X = [[1.0, -2.0, 3.0, 0.5], [0.0, 2.0, -1.0, 4.0], [2.5, 1.5, -3.0, 1.0]]


def _values(shape, k=0):
    return (np.arange(k, k + int(np.prod(shape)), dtype=np.float64).reshape(shape) * 0.5 - 1)


@pytest.mark.parametrize("dims", [(2,), (2, 1), (1, 2, 3), (), (0,), [2, 2], 2, (-1, 1)],
                         ids=str)
@pytest.mark.parametrize("shape", [(), (3,), (2, 3), (2, 0)], ids=str)
def test_tile_as_torch(dims, shape):
    compare(lambda m, F, leaf: m.tile(leaf(_values(shape)), dims))
    compare(lambda m, F, leaf: leaf(_values(shape)).tile(dims))


def test_ravel_flips_diagflat_as_torch():
    compare(lambda m, F, leaf: leaf(X).ravel())
    compare(lambda m, F, leaf: leaf(X).t().ravel())
    compare(lambda m, F, leaf: m.ravel(leaf(2.0)))
    compare(lambda m, F, leaf: m.fliplr(leaf(X)))
    compare(lambda m, F, leaf: m.flipud(leaf(X)))
    compare(lambda m, F, leaf: m.fliplr(leaf([1.0])))
    compare(lambda m, F, leaf: m.flipud(leaf(1.0)))
    compare(lambda m, F, leaf: m.diagflat(leaf([1.0, 2.0])))
    compare(lambda m, F, leaf: m.diagflat(leaf(X), -2))
    compare(lambda m, F, leaf: leaf(X).t().diagflat(1))
    compare(lambda m, F, leaf: m.diagflat(leaf(3.0)))
    compare(lambda m, F, leaf: m.diagflat(leaf([1.0]), 1.5))


def test_splits_and_narrow_copy_as_torch():
    compare(lambda m, F, leaf: leaf(X).split_with_sizes([1, 2]))
    compare(lambda m, F, leaf: leaf(X).split_with_sizes([1, 3], dim=1))
    compare(lambda m, F, leaf: leaf(X).split_with_sizes([1, 1]))
    compare(lambda m, F, leaf: m.narrow_copy(leaf(X), 1, 1, 2))
    compare(lambda m, F, leaf: leaf(X).narrow_copy(0, -2, 2))
    compare(lambda m, F, leaf: leaf(X).narrow_copy(0, 2, 2))


def test_in_place_shape_ops_as_torch():
    def squeeze_(m, F, leaf):
        y = leaf([[1.0, 2.0]]) * 2
        y.squeeze_()
        z = leaf([[[1.0], [3.0]]]) * 1
        z.squeeze_(0)
        w = leaf([[[1.0], [3.0]]]) * 1
        w.squeeze_((0, 2))
        return y, z, w

    compare(squeeze_)

    def unsqueeze_transpose_(m, F, leaf):
        y = leaf(X) * 2
        y.unsqueeze_(1)
        z = leaf(X) * 1
        z.transpose_(0, 1)
        w = leaf(X) * 1
        w.swapaxes_(1, 0)
        u = leaf(X) * 1
        u.swapdims_(0, -1)
        return y, z, w, u

    compare(unsqueeze_transpose_)
    compare(lambda m, F, leaf: leaf(X).squeeze_())
    compare(lambda m, F, leaf: m.tensor([[1, 2]]).squeeze_().unsqueeze_(-1).transpose_(0, 1))

    def on_a_view(m, F, leaf):
        y = leaf(X) * 1
        v = y[1:]
        v.transpose_(0, 1)
        v.mul_(2)
        return y, v

    compare(on_a_view)


def test_layout_queries_as_torch():
    compare(lambda m, F, leaf: m.ones(3, 4).stride())
    compare(lambda m, F, leaf: m.ones(3, 4).t().stride())
    compare(lambda m, F, leaf: m.ones(3, 4)[:, 1:3].stride())
    compare(lambda m, F, leaf: m.ones(3, 4)[:, 1:3].stride(-1))
    compare(lambda m, F, leaf: m.ones(3, 1).expand(3, 5).stride())
    compare(lambda m, F, leaf: m.ones(3, 4)[1:, ::2].storage_offset())
    compare(lambda m, F, leaf: m.ones(3, 4)[2].storage_offset())
    compare(lambda m, F, leaf: m.ones(3, 4).storage_offset())
    compare(lambda m, F, leaf: m.ones(()).stride())
    compare(lambda m, F, leaf: m.ones(()).stride(0))
    compare(lambda m, F, leaf: m.ones(2, 3, 4).permute(2, 0, 1).stride())
    compare(lambda m, F, leaf: (m.ones(3, 4).t() * 2).stride())


def test_unravel_index_as_torch():
    compare(lambda m, F, leaf: m.unravel_index(m.tensor([5, -7, 12, -13, 30]), (3, 4)))
    compare(lambda m, F, leaf: m.unravel_index(m.tensor(5), (3, 4)))
    compare(lambda m, F, leaf: m.unravel_index(m.tensor([[1, 2]], dtype=m.int32), (2, 2)))
    compare(lambda m, F, leaf: m.unravel_index(m.tensor([1.0]), (3, 4)))
    compare(lambda m, F, leaf: m.unravel_index(m.tensor([1]), (-1, 4)))
    compare(lambda m, F, leaf: m.unravel_index(m.tensor([3]), 5))


def test_cartesian_prod_combinations_as_torch():
    compare(lambda m, F, leaf: m.cartesian_prod(leaf([1.0, 2.0]), leaf([3.0, 4.0, 5.0])))
    compare(lambda m, F, leaf: m.cartesian_prod(leaf([1.0, 2.0])))
    compare(lambda m, F, leaf: m.cartesian_prod(m.tensor([1, 2]), m.tensor([3]),
                                                m.tensor([4, 5])))
    compare(lambda m, F, leaf: m.cartesian_prod(leaf(X)))
    for r in (0, 1, 2, 3):
        for rep in (False, True):
            compare(lambda m, F, leaf, r=r, rep=rep: m.combinations(
                leaf([1.0, 2.0, 3.0, 4.0]), r, with_replacement=rep))
    compare(lambda m, F, leaf: m.combinations(m.tensor([1, 2, 3])))
    compare(lambda m, F, leaf: m.combinations(leaf(X)))
    compare(lambda m, F, leaf: m.combinations(leaf([1.0]), 2))


def test_view_scatters_as_torch():
    compare(lambda m, F, leaf: m.slice_scatter(leaf(X), leaf(_values((3, 2))), 1, 1, 3))
    compare(lambda m, F, leaf: m.slice_scatter(leaf(X), leaf(_values((2, 4))), start=1))
    compare(lambda m, F, leaf: m.slice_scatter(leaf(X), leaf(_values((3, 2))), 1, step=2))
    compare(lambda m, F, leaf: m.slice_scatter(leaf(X), leaf(_values((1, 4))), 0, -1))
    compare(lambda m, F, leaf: m.slice_scatter(leaf(X), leaf(_values((0, 4))), 0, 3, 1))
    compare(lambda m, F, leaf: m.slice_scatter(leaf(X), leaf(_values((4,))), 0, 1, 2))
    compare(lambda m, F, leaf: m.slice_scatter(leaf(X), leaf(X), 0, step=0))
    compare(lambda m, F, leaf: m.select_scatter(leaf(X), leaf([1.0, 2.0, 3.0, 4.0]), 0, 1))
    compare(lambda m, F, leaf: m.select_scatter(leaf(X), leaf([1.0, 2.0, 3.0]), 1, -1))
    compare(lambda m, F, leaf: m.select_scatter(leaf(X), leaf([1.0, 2.0, 3.0, 4.0]), 0, 5))
    compare(lambda m, F, leaf: m.diagonal_scatter(leaf(X), leaf([1.0, 2.0, 3.0])))
    compare(lambda m, F, leaf: m.diagonal_scatter(leaf(X), leaf([1.0, 2.0, 3.0]), 1))
    compare(lambda m, F, leaf: m.diagonal_scatter(leaf(X), leaf([1.0, 2.0]), -1))
    compare(lambda m, F, leaf: m.diagonal_scatter(leaf(X), leaf([1.0, 2.0]), 2, 1, 0))
    compare(lambda m, F, leaf: m.diagonal_scatter(leaf(X), leaf([1.0, 2.0, 3.0]), 2))


def test_view_scatters_convert_src_as_torch():
    compare(lambda m, F, leaf: m.select_scatter(leaf(X), leaf([1.0, 2.0, 3.0, 4.0],
                                                              dtype=m.float32), 0, 1))
    compare(lambda m, F, leaf: m.diagonal_scatter(leaf(X), leaf([1.0, 2.0, 3.0],
                                                                dtype=m.float32)))
    compare(lambda m, F, leaf: m.slice_scatter(leaf(X, dtype=m.float32),
                                               leaf(_values((3, 2))), 1, 1, 3))
    compare(lambda m, F, leaf: m.select_scatter(m.ones(3, 4, dtype=m.int64),
                                                leaf([1.0, 2.0, 3.0, 4.0]), 0, 1))
