"""The dtype utilities of engine/ops/dtype_utils.py against torch 2.13."""

from __future__ import annotations

import itertools

import pytest

import engine

pytest.importorskip("torch")
from tests.engine.torch_compare import compare  # noqa: E402

NAMES = ["bool", "int32", "int64", "float16", "float32", "float64"]


@pytest.mark.parametrize("a,b", list(itertools.product(NAMES, repeat=2)))
def test_promote_types_and_can_cast_as_torch(a, b):
    compare(lambda m, F, leaf: m.promote_types(getattr(m, a), getattr(m, b)))
    compare(lambda m, F, leaf: m.can_cast(getattr(m, a), getattr(m, b)))


@pytest.mark.parametrize("case", [
    lambda m, F, leaf: m.result_type(leaf([1.0]), 2),
    lambda m, F, leaf: m.result_type(m.tensor([1]), 2.5),
    lambda m, F, leaf: m.result_type(2, 2.5),
    lambda m, F, leaf: m.result_type(True, 2),
    lambda m, F, leaf: m.result_type(m.tensor(1.0, dtype=m.float64), m.tensor([1], dtype=m.int32)),
    lambda m, F, leaf: m.result_type(m.tensor([1], dtype=m.int32), m.tensor(1, dtype=m.int64)),
    lambda m, F, leaf: m.result_type(m.tensor([1.0], dtype=m.float16), True),
    lambda m, F, leaf: m.result_type(m.tensor([True]), 2),
    lambda m, F, leaf: m.promote_types(m.int32, 2),
    lambda m, F, leaf: m.can_cast(1, m.int32),
    lambda m, F, leaf: m.get_default_dtype(),
    lambda m, F, leaf: m.set_default_dtype(m.float32),
    lambda m, F, leaf: m.set_default_dtype(m.int64),
    lambda m, F, leaf: m.is_complex(leaf([1.0])),
    lambda m, F, leaf: leaf([1.0]).is_complex(),
    lambda m, F, leaf: m.is_signed(m.tensor([True])),
    lambda m, F, leaf: m.tensor([1]).is_signed(),
    lambda m, F, leaf: m.is_nonzero(m.tensor([2.0])),
    lambda m, F, leaf: m.is_nonzero(m.tensor(0)),
    lambda m, F, leaf: m.is_nonzero(m.tensor(float("nan"))),
    lambda m, F, leaf: m.is_nonzero(m.tensor([])),
    lambda m, F, leaf: m.is_nonzero(m.tensor([1, 2])),
    lambda m, F, leaf: m.is_same_size(leaf([1.0, 2.0]), m.ones(2)),
    lambda m, F, leaf: leaf([1.0, 2.0]).is_same_size(m.ones(2, 1)),
], ids=range(24))
def test_dtype_predicates_as_torch(case):
    compare(case)


def test_set_default_dtype_is_the_contexts_own():
    import contextvars

    def inside():
        engine.set_default_dtype(engine.float64)
        return engine.get_default_dtype(), engine.tensor([1.5]).dtype

    assert contextvars.copy_context().run(inside) == (engine.float64, engine.float64)
    assert engine.get_default_dtype() is engine.float32
