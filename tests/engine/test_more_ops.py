"""Ops added after issue 10's list, against torch 2.13: the stacking and splitting helpers
(engine/ops/stacking.py), rot90 and diff (shape_extra.py), sgn, signbit and isin
(pointwise_more.py): results, dtypes, node chains, gradients and error texts; and gradchecks of
the list-taking ones, which the sample-driven gradchecks cannot feed."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import engine
from engine.autograd.gradcheck import gradcheck, gradgradcheck

pytest.importorskip("torch")
from tests.engine.torch_compare import compare  # noqa: E402

SHAPES = [(), (3,), (2, 3), (3, 1), (1, 3), (2, 3, 2), (0,), (2, 0)]
LIST_OPS = ["hstack", "vstack", "row_stack", "dstack", "column_stack"]


def _values(shape, k):
    return np.arange(k, k + int(np.prod(shape)), dtype=np.float64).reshape(shape) * 0.5 - 1


@pytest.mark.parametrize("name", LIST_OPS)
@pytest.mark.parametrize("shapes", [pair for pair in itertools.product(SHAPES, repeat=2)])
def test_list_ops_as_torch(name, shapes):
    def case(m, F, leaf):
        ts = [leaf(_values(s, 3 * i)) for i, s in enumerate(shapes)]
        return getattr(m, name)(ts)

    compare(case)


@pytest.mark.parametrize("name", LIST_OPS)
def test_list_op_arguments_as_torch(name):
    compare(lambda m, F, leaf: getattr(m, name)([]))
    compare(lambda m, F, leaf: getattr(m, name)(leaf([1.0, 2.0])))
    compare(lambda m, F, leaf: getattr(m, name)((leaf([1.0]), 2)))
    compare(lambda m, F, leaf: getattr(m, name)(
        (leaf([1.0, 2.0]), m.tensor([3, 4]), leaf([5.0, 6.0], dtype=m.float32))))


@pytest.mark.parametrize("name", ["atleast_1d", "atleast_2d", "atleast_3d"])
def test_atleast_as_torch(name):
    for s in SHAPES + [(1, 2, 3, 2)]:
        compare(lambda m, F, leaf, s=s: getattr(m, name)(leaf(_values(s, 1))))
    compare(lambda m, F, leaf: getattr(m, name)(leaf(1.0), leaf([2.0, 3.0])))
    compare(lambda m, F, leaf: getattr(m, name)([leaf(1.0), leaf([[2.0]])]))
    compare(lambda m, F, leaf: getattr(m, name)((leaf([1.0]),)))
    compare(lambda m, F, leaf: getattr(m, name)([]))
    compare(lambda m, F, leaf: getattr(m, name)())
    compare(lambda m, F, leaf: getattr(m, name)(1))


def test_atleast_returns_the_tensor_itself_when_it_has_the_dimensions():
    t = engine.ones(2, 3, 4)
    assert engine.atleast_3d(t) is t and engine.atleast_1d(t) is t
    v = engine.atleast_2d(engine.ones(3))
    assert v._base is not None


SPLITS = [3, 1, 5, [1, 3], [4, 2, 9, -1], [], [0, 0]]


@pytest.mark.parametrize("arg", SPLITS + ["t0", "t1", "tf", "t2d", "tb", "ti"], ids=str)
@pytest.mark.parametrize("dim", [0, 1, -1, 2])
def test_tensor_split_as_torch(arg, dim):
    def case(m, F, leaf):
        x = leaf(_values((4, 5), 0))
        a = {"t0": m.tensor(2), "t1": m.tensor([1, 3]), "tf": m.tensor([1.0]),
             "t2d": m.tensor([[1]]), "tb": m.tensor([True]),
             "ti": m.tensor([1], dtype=m.int32)}.get(arg, arg) if isinstance(arg, str) else arg
        return m.tensor_split(x, a, dim)

    compare(case)


def test_tensor_split_forms_as_torch():
    compare(lambda m, F, leaf: m.tensor_split(leaf(2.0), 1))
    compare(lambda m, F, leaf: m.tensor_split(leaf([1.0, 2.0]), 0))
    compare(lambda m, F, leaf: m.tensor_split(leaf([1.0, 2.0]), 1.5))
    compare(lambda m, F, leaf: m.tensor_split(leaf([1.0, 2.0, 3.0]), sections=2))
    compare(lambda m, F, leaf: m.tensor_split(leaf([1.0, 2.0, 3.0]), indices=[1]))
    compare(lambda m, F, leaf: leaf([1.0, 2.0, 3.0]).tensor_split(2))
    compare(lambda m, F, leaf: m.tensor_split(leaf(_values((0, 2), 0)), 3))


@pytest.mark.parametrize("name", ["hsplit", "vsplit", "dsplit"])
@pytest.mark.parametrize("shape", [(), (6,), (2, 6), (6, 2, 4), (2, 3, 2, 2)], ids=str)
@pytest.mark.parametrize("arg", [2, 3, 0, [1, 2], [], "tensor"], ids=str)
def test_directional_splits_as_torch(name, shape, arg):
    def case(m, F, leaf):
        x = leaf(_values(shape, 0))
        return getattr(m, name)(x, m.tensor([1]) if arg == "tensor" else arg)

    compare(case)
    compare(lambda m, F, leaf: getattr(leaf(_values(shape, 0)), name)(
        2 if arg == "tensor" else arg))


@pytest.mark.parametrize("name", LIST_OPS)
def test_list_ops_gradcheck_first_and_second_order(name):
    def f(*ts):
        return getattr(engine, name)(list(ts))

    for shapes in ([(3,), (3,)], [(2, 3), (1, 3)], [(), ()], [(2, 3, 2), (2, 3, 2)]):
        try:
            f(*[engine.ones(s) for s in shapes])
        except RuntimeError:
            continue
        ts = [engine.tensor(_values(s, 2 * i) + 0.1, dtype=engine.float64, requires_grad=True)
              for i, s in enumerate(shapes)]
        assert gradcheck(f, ts)
        assert gradgradcheck(f, ts)


ROT_DIMS = [(0, 1), (1, 0), (-2, -1), (0, 0), (0, -2), (1, -1), (0, 2), (0, 1, 1), (0,)]


@pytest.mark.parametrize("shape", [(), (3,), (2, 3), (2, 3, 2), (0, 2)], ids=str)
@pytest.mark.parametrize("k", [0, 1, 2, 3, 5, -1, -6])
@pytest.mark.parametrize("dims", ROT_DIMS, ids=str)
def test_rot90_as_torch(shape, k, dims):
    compare(lambda m, F, leaf: m.rot90(leaf(_values(shape, 0)), k, list(dims)))


def test_rot90_forms_as_torch():
    compare(lambda m, F, leaf: leaf(_values((2, 3), 0)).rot90())
    compare(lambda m, F, leaf: m.rot90(leaf(_values((2, 3), 0)), 1.0))
    compare(lambda m, F, leaf: m.rot90(m.tensor([[1, 2], [3, 4]])))
    compare(lambda m, F, leaf: m.rot90(leaf(_values((2, 3), 0)), dims=(1, 0)))


def test_rot90_double_backward_records_rot90():
    def case(m, F, leaf):
        x = leaf(_values((2, 3), 0))
        w = leaf(_values((3, 2), 1))
        g, = m.autograd.grad(m.rot90(x, 1), x, w, create_graph=True)
        return g

    compare(case)


DIFF_CASES = {
    "plain": lambda m, leaf: m.diff(leaf(_values((5,), 0) ** 2)),
    "n2-dim0": lambda m, leaf: m.diff(leaf(_values((3, 4), 0) ** 2), 2, 0),
    "n-past": lambda m, leaf: m.diff(leaf(_values((3,), 0)), 5),
    "n0": lambda m, leaf: m.diff(leaf(_values((3,), 0)), 0),
    "n0-prepend": lambda m, leaf: m.diff(leaf(_values((3,), 0)), 0, prepend=leaf([1.0, 2.0])),
    "n0-int": lambda m, leaf: m.diff(m.tensor([1, 5]), 0),
    "negative": lambda m, leaf: m.diff(leaf([1.0]), -1),
    "0-d": lambda m, leaf: m.diff(leaf(1.0), -1),
    "dim": lambda m, leaf: m.diff(leaf(_values((2, 3), 0)), dim=3, prepend=leaf([[1.0]])),
    "prepend": lambda m, leaf: m.diff(leaf(_values((2, 3), 0)), dim=1,
                                      prepend=leaf(_values((2, 2), 4))),
    "append-f32": lambda m, leaf: m.diff(leaf(_values((2, 3), 0)), dim=0,
                                         append=leaf(_values((1, 3), 4), dtype=m.float32)),
    "both": lambda m, leaf: m.diff(leaf(_values((3,), 0)), 2, prepend=leaf([0.0]),
                                   append=leaf([5.0, 7.0])),
    "prepend-0d": lambda m, leaf: m.diff(leaf(_values((3,), 0)), prepend=leaf(1.0)),
    "prepend-shape": lambda m, leaf: m.diff(leaf(_values((2, 3), 0)), dim=1,
                                            prepend=leaf(_values((3, 1), 0))),
    "prepend-int": lambda m, leaf: m.diff(leaf(_values((3,), 0)), prepend=2),
    "n-float": lambda m, leaf: m.diff(leaf(_values((3,), 0)), 1.0),
    "bool": lambda m, leaf: m.diff(m.tensor([True, False, False, True]), 2),
    "bool-float-prepend": lambda m, leaf: m.diff(m.tensor([True, False]),
                                                 prepend=leaf([1.0])),
    "int": lambda m, leaf: m.diff(m.tensor([1, 4, 9, 16])),
    "inf": lambda m, leaf: m.diff(leaf([1.0, float("inf"), float("inf")])),
    "method": lambda m, leaf: leaf(_values((2, 3), 0) ** 2).diff(dim=0),
}


@pytest.mark.parametrize("name", DIFF_CASES)
def test_diff_as_torch(name):
    compare(lambda m, F, leaf: DIFF_CASES[name](m, leaf))


SIGN_VALUES = [1.0, -0.0, 0.0, float("nan"), -2.0, float("-inf"), float("inf")]


@pytest.mark.parametrize("dtype", ["float64", "float32", "float16", "int64", "int32", "bool"])
def test_sgn_and_signbit_as_torch(dtype):
    def values(m):
        v = SIGN_VALUES if dtype.startswith("float") else [3, 0, -2] if dtype != "bool" \
            else [True, False]
        return m.tensor(v, dtype=getattr(m, dtype))

    compare(lambda m, F, leaf: m.signbit(values(m)))
    compare(lambda m, F, leaf: m.sgn(values(m)))
    compare(lambda m, F, leaf: values(m).sgn_())


ISIN_CASES = {
    "ints": lambda m: m.isin(m.tensor([1, 2, 3, 4]), m.tensor([2, 4])),
    "number-element": lambda m: m.isin(2, m.tensor([2, 4])),
    "number-test": lambda m: m.isin(m.tensor([1, 2]), 2),
    "invert": lambda m: m.isin(m.tensor([1, 2, 3]), m.tensor([2]), invert=True),
    "float-int": lambda m: m.isin(m.tensor([1.0, 2.5]), m.tensor([1, 2])),
    "nan": lambda m: m.isin(m.tensor([float("nan"), 1.0]), m.tensor([float("nan")])),
    "2-d": lambda m: m.isin(m.tensor([[1, 2], [3, 4]]), m.tensor([[4]])),
    "bool": lambda m: m.isin(m.tensor([True, False]), m.tensor([True])),
    "bool-test": lambda m: m.isin(m.tensor([1]), m.tensor([True])),
    "numbers": lambda m: m.isin(1, 2),
    "numbers-kw": lambda m: m.isin(1, 2, invert=True),
    "signed-zero": lambda m: m.isin(m.tensor([-0.0]), m.tensor([0.0])),
    "assume-unique": lambda m: m.isin(m.tensor([1, 2]), m.tensor([2]), assume_unique=True),
    "half": lambda m: m.isin(m.tensor([1.0], dtype=m.float16), m.tensor([1.0])),
    "empty": lambda m: m.isin(m.tensor([]), m.tensor([1.0])),
    "grad": lambda m: m.isin(m.tensor([1.0], requires_grad=True), m.tensor([1.0])),
}


@pytest.mark.parametrize("name", ISIN_CASES)
def test_isin_as_torch(name):
    compare(lambda m, F, leaf: ISIN_CASES[name](m))
