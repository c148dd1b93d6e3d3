"""one_hot, repeat_interleave, meshgrid, t_, logspace, tril_indices/triu_indices, the
``Tensor.new_*`` factories, ``Tensor.type`` and ``nelement``, compared with torch 2.13 (values,
dtypes, node chains, gradients, errors)."""

from __future__ import annotations

import warnings

import pytest

pytest.importorskip("torch")

import engine  # noqa: E402
from tests.engine.torch_compare import compare  # noqa: E402

X23 = [[1.0, -2.0, 3.0], [0.5, 4.0, -1.5]]


def _t_(m, leaf, make):
    y = make(m, leaf)
    z = y.t_()
    assert z is y
    return y, y._version


CASES = {
    # one_hot
    "one_hot": lambda m, F, leaf: F.one_hot(m.tensor([0, 2, 1])),
    "one_hot-n": lambda m, F, leaf: F.one_hot(m.tensor([0, 2, 1]), 5),
    "one_hot-2d": lambda m, F, leaf: F.one_hot(m.tensor([[0, 2], [1, 0]]), num_classes=3),
    "one_hot-0d": lambda m, F, leaf: F.one_hot(m.tensor(1), 3),
    "one_hot-negative": lambda m, F, leaf: F.one_hot(m.tensor([-1]), 3),
    "one_hot-too-big": lambda m, F, leaf: F.one_hot(m.tensor([3]), 3),
    "one_hot-float": lambda m, F, leaf: F.one_hot(m.tensor([1.0]), 3),
    "one_hot-int32": lambda m, F, leaf: F.one_hot(m.tensor([1], dtype=m.int32), 3),
    "one_hot-empty": lambda m, F, leaf: F.one_hot(m.tensor([], dtype=m.int64)),
    "one_hot-empty-n": lambda m, F, leaf: F.one_hot(m.tensor([], dtype=m.int64), 4),
    "one_hot-n0": lambda m, F, leaf: F.one_hot(m.tensor([0]), 0),
    # repeat_interleave: int repeats (view/expand/clone chain), tensor repeats (index_select)
    "ri": lambda m, F, leaf: m.repeat_interleave(leaf([1.0, 2.0]), 2),
    "ri-dim": lambda m, F, leaf: m.repeat_interleave(leaf(X23), 2, dim=1),
    "ri-dim-neg": lambda m, F, leaf: m.repeat_interleave(leaf(X23), 3, dim=-2),
    "ri-flat": lambda m, F, leaf: m.repeat_interleave(leaf(X23), 2),
    "ri-0d": lambda m, F, leaf: m.repeat_interleave(leaf(5.0), 3),
    "ri-zero": lambda m, F, leaf: m.repeat_interleave(leaf(X23), 0, dim=0),
    "ri-tensor": lambda m, F, leaf: m.repeat_interleave(leaf(X23), m.tensor([1, 2]), dim=0),
    "ri-tensor-flat": lambda m, F, leaf: m.repeat_interleave(leaf(X23),
                                                             m.tensor([1, 2, 0, 1, 0, 3])),
    "ri-tensor-one": lambda m, F, leaf: m.repeat_interleave(leaf([1.0, 2.0]), m.tensor([3])),
    "ri-tensor-0d": lambda m, F, leaf: m.repeat_interleave(leaf(X23), m.tensor(2), dim=1),
    "ri-counts": lambda m, F, leaf: m.repeat_interleave(m.tensor([1, 2, 3])),
    "ri-counts-2d": lambda m, F, leaf: m.repeat_interleave(m.tensor([[1, 2]])),
    "ri-counts-float": lambda m, F, leaf: m.repeat_interleave(m.tensor([1.0, 2.0])),
    "ri-counts-negative": lambda m, F, leaf: m.repeat_interleave(m.tensor([1, -2])),
    "ri-bad-length": lambda m, F, leaf: m.repeat_interleave(m.tensor([1.0, 2.0]),
                                                            m.tensor([1, 2, 3])),
    "ri-negative": lambda m, F, leaf: m.repeat_interleave(m.tensor([1.0, 2.0]), -1),
    "ri-negative-tensor": lambda m, F, leaf: m.repeat_interleave(m.tensor([1.0, 2.0]),
                                                                 m.tensor([-1, 2])),
    "ri-float-repeats": lambda m, F, leaf: m.repeat_interleave(m.tensor([1.0, 2.0]),
                                                               m.tensor([1.0, 2.0])),
    "ri-2d-repeats": lambda m, F, leaf: m.repeat_interleave(m.tensor([1.0, 2.0]),
                                                            m.tensor([[1, 2]])),
    "ri-bad-dim": lambda m, F, leaf: m.repeat_interleave(m.ones(2, 3), 2, dim=2),
    "ri-output-size": lambda m, F, leaf: m.repeat_interleave(m.tensor([1.0, 2.0]), 2,
                                                             output_size=4),
    "ri-bad-output-size": lambda m, F, leaf: m.repeat_interleave(m.tensor([1.0, 2.0]), 2,
                                                                 output_size=3),
    "ri-method": lambda m, F, leaf: leaf([1.0, 2.0]).repeat_interleave(2),
    "ri-int": lambda m, F, leaf: m.repeat_interleave(m.tensor([[1, 2], [3, 4]]), 2, dim=0),
    # meshgrid
    "meshgrid-ij": lambda m, F, leaf: m.meshgrid(leaf([1.0, 2.0, 3.0]), leaf([4.0, 5.0]),
                                                 indexing="ij"),
    "meshgrid-xy": lambda m, F, leaf: m.meshgrid(leaf([1.0, 2.0, 3.0]), leaf([4.0, 5.0]),
                                                 indexing="xy"),
    "meshgrid-three-xy": lambda m, F, leaf: m.meshgrid(leaf([1.0, 2.0, 3.0]), leaf([4.0, 5.0]),
                                                       leaf([6.0, 7.0, 8.0, 9.0]), indexing="xy"),
    "meshgrid-list": lambda m, F, leaf: m.meshgrid([leaf([1.0, 2.0]), leaf([4.0, 5.0])],
                                                   indexing="ij"),
    "meshgrid-0d": lambda m, F, leaf: m.meshgrid(m.tensor(1.0), leaf([4.0, 5.0]), indexing="ij"),
    "meshgrid-one": lambda m, F, leaf: m.meshgrid(leaf([1.0, 2.0]), indexing="xy"),
    "meshgrid-int": lambda m, F, leaf: m.meshgrid(m.tensor([1, 2]), m.tensor([3]), indexing="xy"),
    "meshgrid-dtypes": lambda m, F, leaf: m.meshgrid(m.tensor([1.0]), m.tensor([1]),
                                                     indexing="ij"),
    "meshgrid-indexing": lambda m, F, leaf: m.meshgrid(m.tensor([1.0]), indexing="foo"),
    "meshgrid-empty": lambda m, F, leaf: m.meshgrid(indexing="ij"),
    # t_
    "t_": lambda m, F, leaf: _t_(m, leaf, lambda m, leaf: leaf(X23) * 1),
    "t_-1d": lambda m, F, leaf: _t_(m, leaf, lambda m, leaf: leaf([1.0, 2.0]) * 1),
    "t_-plain": lambda m, F, leaf: _t_(m, leaf, lambda m, leaf: m.tensor(X23)),
    "t_-view": lambda m, F, leaf: _t_(m, leaf, lambda m, leaf: (leaf(X23) * 1)[0:2]),
    "t_-3d": lambda m, F, leaf: m.ones(2, 3, 4).t_(),
    "t_-leaf": lambda m, F, leaf: leaf(X23).t_(),
    # logspace
    "logspace": lambda m, F, leaf: m.logspace(0, 2, 3),
    "logspace-base": lambda m, F, leaf: m.logspace(0, 2, 3, base=2),
    "logspace-base-positional": lambda m, F, leaf: m.logspace(-1, 1, 7, 3.0),
    "logspace-f32": lambda m, F, leaf: m.logspace(-1.5, 2.5, 9),
    "logspace-f64": lambda m, F, leaf: m.logspace(-1, 1, 5, dtype=m.float64),
    "logspace-int": lambda m, F, leaf: m.logspace(0, 3, 4, dtype=m.int64),
    "logspace-int32": lambda m, F, leaf: m.logspace(0, 1, 3, dtype=m.int32),
    "logspace-half": lambda m, F, leaf: m.logspace(0, 3, 4, dtype=m.float16),
    "logspace-0": lambda m, F, leaf: m.logspace(0, 2, 0),
    "logspace-negative": lambda m, F, leaf: m.logspace(0, 2, -1),
    "logspace-requires-grad": lambda m, F, leaf: m.logspace(0, 2, 3, requires_grad=True),
    "logspace-tensors": lambda m, F, leaf: m.logspace(m.tensor(0), m.tensor(2), 3),
    # tril_indices / triu_indices
    "tril_indices": lambda m, F, leaf: m.tril_indices(3, 3),
    "tril_indices-offset": lambda m, F, leaf: m.tril_indices(4, 3, 1),
    "tril_indices-negative": lambda m, F, leaf: m.tril_indices(4, 3, -1),
    "tril_indices-far": lambda m, F, leaf: m.tril_indices(3, 3, 10),
    "tril_indices-int32": lambda m, F, leaf: m.tril_indices(3, 3, dtype=m.int32),
    "tril_indices-float": lambda m, F, leaf: m.tril_indices(3, 3, dtype=m.float32),
    "tril_indices-bool": lambda m, F, leaf: m.tril_indices(3, 3, dtype=m.bool),
    "tril_indices-empty": lambda m, F, leaf: m.tril_indices(0, 3),
    "tril_indices-bad-row": lambda m, F, leaf: m.tril_indices(-1, 3),
    "tril_indices-bad-col": lambda m, F, leaf: m.tril_indices(3, -1),
    "triu_indices": lambda m, F, leaf: m.triu_indices(3, 4, 1),
    "triu_indices-negative": lambda m, F, leaf: m.triu_indices(3, 4, -2),
    "triu_indices-far": lambda m, F, leaf: m.triu_indices(3, 3, 10),
    # new_* factories
    "new_ones": lambda m, F, leaf: leaf(X23).new_ones(2, 3),
    "new_ones-tuple": lambda m, F, leaf: m.tensor(X23).new_ones((2, 3)),
    "new_ones-size-kw": lambda m, F, leaf: m.tensor(X23).new_ones(size=(2, 3)),
    "new_ones-dtype": lambda m, F, leaf: m.tensor(X23).new_ones(2, dtype=m.int32),
    "new_ones-requires-grad": lambda m, F, leaf: m.tensor(X23).new_ones(2, requires_grad=True),
    "new_ones-0d": lambda m, F, leaf: m.tensor(X23).new_ones(()),
    "new_ones-no-size": lambda m, F, leaf: m.tensor(X23).new_ones(),
    "new_zeros": lambda m, F, leaf: m.tensor([1, 2]).new_zeros([2]),
    "new_zeros-negative": lambda m, F, leaf: m.tensor(X23).new_zeros(-1),
    "new_full": lambda m, F, leaf: m.tensor(X23).new_full((2,), 3),
    "new_full-int": lambda m, F, leaf: m.tensor([1]).new_full((2,), 3.5),
    "new_full-bool": lambda m, F, leaf: m.tensor(X23).new_full((2,), True),
    "new_tensor": lambda m, F, leaf: m.tensor(X23).new_tensor([1, 2]),
    "new_tensor-int": lambda m, F, leaf: m.tensor([1]).new_tensor([1.5, 2]),
    "new_tensor-dtype": lambda m, F, leaf: m.tensor(X23).new_tensor([1, 2], dtype=m.int64),
    "new_tensor-requires-grad": lambda m, F, leaf: m.tensor(X23).new_tensor(
        [1, 2], requires_grad=True),
    "new_empty": lambda m, F, leaf: (lambda t: (t.shape, t.dtype))(
        m.tensor([1]).new_empty(2, 3)),
    "empty": lambda m, F, leaf: (lambda t: (t.shape, t.dtype, t.requires_grad))(
        m.empty(2, 3, dtype=m.float64, requires_grad=True)),
    "empty-size-kw": lambda m, F, leaf: m.empty(size=(2,)).shape,
    "empty_like": lambda m, F, leaf: (lambda t: (t.shape, t.dtype, t.requires_grad))(
        m.empty_like(leaf(X23))),
    # type, nelement
    "type": lambda m, F, leaf: leaf(X23).type(),
    "type-names": lambda m, F, leaf: [m.tensor(1, dtype=d).type() for d in (
        m.float32, m.float64, m.float16, m.int64, m.int32, m.bool)],
    "type-dtype": lambda m, F, leaf: leaf(X23).type(m.int64),
    "type-string": lambda m, F, leaf: leaf(X23, m.float32).type("torch.DoubleTensor"),
    "type-string-int": lambda m, F, leaf: m.tensor(X23).type("torch.IntTensor"),
    "type-same": lambda m, F, leaf: (lambda x: x.type(m.float64) is x)(leaf(X23)),
    "type-kw": lambda m, F, leaf: leaf(X23, m.float32).type(dtype=m.float64),
    "type-bad": lambda m, F, leaf: m.tensor(X23).type("foo"),
    "type-dtype-string": lambda m, F, leaf: m.tensor(X23).type("torch.float64"),
    "nelement": lambda m, F, leaf: m.ones(2, 3).nelement(),
}


@pytest.mark.parametrize("name", list(CASES))
def test_matches_torch(name):
    compare(CASES[name], values=name not in ("new_empty",))


def test_meshgrid_without_indexing_warns_and_uses_ij():
    with pytest.warns(UserWarning, match="it will be required to pass the indexing argument"):
        a, b = engine.meshgrid(engine.tensor([1.0, 2.0]), engine.tensor([3.0, 4.0, 5.0]))
    assert a.shape == (2, 3) and b.shape == (2, 3)


def test_new_tensor_from_a_tensor_warns_and_copies():
    src = engine.tensor([1.0, 2.0])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = engine.tensor([0]).new_tensor(src)
    assert "sourceTensor.detach().clone()" in str(caught[0].message)
    assert out.dtype is engine.int64 and out.tolist() == [1, 2]
    out.add_(1)
    assert src.tolist() == [1.0, 2.0]
