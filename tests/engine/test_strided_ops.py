"""as_strided / as_strided_ / resize_ / resize_as_ (engine/ops/strided.py) against torch 2.13:
values, sizes, strides, storage offsets, version counters, node names, gradients (overlapping
views sum; an input element held twice shares), and error texts."""

from __future__ import annotations

import pytest

pytest.importorskip("torch")
from tests.engine.torch_compare import compare  # noqa: E402


def _geom(m, t):
    return t, tuple(t.shape), tuple(t.stride()), t.storage_offset(), t._version


def x(m):
    return m.arange(6.0, dtype=m.float64)


CASES = {
    "basic": lambda m, leaf: x(m).as_strided((2, 2), (1, 2)),
    "offset": lambda m, leaf: x(m).as_strided((2, 2), (1, 2), 1),
    "out of bounds": lambda m, leaf: x(m).as_strided((2, 2), (1, 2), 3),
    "negative stride": lambda m, leaf: x(m).as_strided((2,), (-1,)),
    "lengths": lambda m, leaf: x(m).as_strided((2, 2), (1,)),
    "negative size": lambda m, leaf: x(m).as_strided((-1,), (1,)),
    "view keeps its offset": lambda m, leaf: x(m)[2:].as_strided((2,), (1,)),
    "offset 0 of a view": lambda m, leaf: x(m)[2:].as_strided((2,), (1,), 0),
    "zero stride": lambda m, leaf: x(m).as_strided((3, 2), (0, 1)),
    "function form": lambda m, leaf: m.as_strided(x(m), (2,), (2,)),
    "of a transpose": lambda m, leaf: x(m).reshape(2, 3).t().as_strided((2, 2), (3, 1)),
    "grad leaf": lambda m, leaf: leaf([0.0, 1.0, 2.0, 3.0, 4.0, 5.0]).as_strided((2, 2), (1, 2)),
    "grad overlapping": lambda m, leaf: (leaf([0.5, 1.0, 2.0, 3.0, 4.0, 5.0]) * 1).as_strided(
        (3, 2), (1, 1), 1) * m.arange(6.0, dtype=m.float64).reshape(3, 2),
    "grad of a transpose view": lambda m, leaf: (leaf([1.0, 2.0, 3.0, 4.0, 5.0, 6.0]) * 1)
    .reshape(2, 3).t().as_strided((2, 2), (3, 1)),
    "grad of an expanded input": lambda m, leaf: leaf([[1.0], [2.0]]).expand(2, 3).as_strided(
        (2, 2), (1, 0)) * m.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=m.float64),
    "grad then sum twice": lambda m, leaf: (leaf([1.0, -2.0, 3.0, 0.5]) ** 2).as_strided(
        (3, 2), (1, 1)).sum(0),
    "0-d": lambda m, leaf: (leaf([1.0, -2.0, 3.0]) * 2).as_strided((), (), 2),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_as_strided_as_torch(name):
    compare(lambda m, F, leaf: _geom(m, CASES[name](m, leaf)))


def _written(m):
    b = m.arange(6.0, dtype=m.float64)
    v = b.as_strided((2,), (2,), 1)
    v.mul_(10)
    return b, v._version, b._version


def _inplace_grad(m, leaf):
    a = leaf([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    y = a * 1
    v = y.as_strided((2, 2), (1, 3))
    v.mul_(m.tensor([[2.0, 3.0], [4.0, 5.0]], dtype=m.float64))
    return y, v


def _inplace_geometry(m, leaf):
    y = leaf([1.0, 2.0, 3.0, 4.0, 5.0, 6.0]) * 2
    y.as_strided_((2, 2), (1, 2))
    return _geom(m, y)


def _inplace_on_view(m, leaf):
    y = leaf([1.0, 2.0, 3.0, 4.0, 5.0, 6.0]) * 2
    v = y[...]
    v.as_strided_((2, 2), (1, 2), 1)
    return _geom(m, v), y


WRITES = {
    "write through a strided view": lambda m, leaf: _written(m),
    "in place on a strided view of a graph tensor": _inplace_grad,
    "as_strided_": _inplace_geometry,
    "as_strided_ on a view": _inplace_on_view,
    "as_strided_ on a leaf": lambda m, leaf: leaf([1.0, 2.0]).as_strided_((1,), (1,)),
}


@pytest.mark.parametrize("name", sorted(WRITES))
def test_writes_as_torch(name):
    compare(lambda m, F, leaf: WRITES[name](m, leaf))


def _resize(m, sizes, base=None, view=False, grad=False, template=False):
    b = base(m) if base else m.arange(6.0)
    t = b[1:] if view else b
    if grad:
        t.requires_grad_()
    if template:
        t.resize_as_(m.ones(*sizes))
    else:
        t.resize_(*sizes)
    return _geom(m, t), b, b._version


RESIZES = {
    "shrink": lambda m: _resize(m, (2, 2)),
    "same shape": lambda m: _resize(m, (6,)),
    "tuple": lambda m: _resize(m, ((3, 2),)),
    "list": lambda m: _resize(m, ([2, 3],)),
    "zero": lambda m: _resize(m, (0,)),
    "negative": lambda m: _resize(m, (-1,)),
    "view shrinks": lambda m: _resize(m, (2, 2), view=True),
    "requires grad": lambda m: _resize(m, (2,), grad=True),
    "non-leaf requires grad": lambda m: (m.ones(3, requires_grad=True) * 1).resize_(2),
    "non-contiguous, same shape": lambda m: _resize(
        m, (3, 2), base=lambda m: m.arange(6.0).reshape(2, 3).t()),
    "non-contiguous, new shape": lambda m: _resize(
        m, (2, 3), base=lambda m: m.arange(6.0).reshape(2, 3).t()),
    "resize_as_": lambda m: _resize(m, (3, 1), template=True),
}


@pytest.mark.parametrize("name", sorted(RESIZES))
def test_resize_as_torch(name):
    compare(lambda m, F, leaf: RESIZES[name](m))


def test_resize_grows_keeping_the_elements():
    import engine

    t = engine.arange(4.0)
    t.resize_(2, 3)
    assert t.shape == (2, 3) and t.stride() == (3, 1) and t._version == 1
    assert t.reshape(-1)[:4].tolist() == [0.0, 1.0, 2.0, 3.0]  # (torch: the rest uninitialized)

