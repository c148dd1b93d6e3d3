"""A NumPy scalar on the left of a tensor operator (``np.float64(2) * t``, as ``w * t`` with
``w = np.sqrt(...)`` in published programs) is the tensor's reflected operator, as in torch
2.13: a tensor of torch's dtype with its graph, never a NumPy array that drops the gradient;
a NumPy array on the left is torch's TypeError."""

from __future__ import annotations

import operator

import numpy as np
import pytest

pytest.importorskip("torch")
from tests.engine.torch_compare import compare  # noqa: E402

OPERATORS = [operator.add, operator.sub, operator.mul, operator.truediv, operator.pow,
             operator.floordiv, operator.mod, operator.lt, operator.ge, operator.eq]
SCALARS = [np.float64(2.5), np.float32(1.5), np.float16(0.5), np.int64(3), np.bool_(True)]


@pytest.mark.parametrize("scalar", SCALARS, ids=lambda s: type(s).__name__)
@pytest.mark.parametrize("op", OPERATORS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("dtype", ["float32", "float64", "int64"])
def test_numpy_scalar_on_the_left_is_the_tensors_reflected_operator(op, scalar, dtype):
    def case(m, F, leaf):
        dt = getattr(m, dtype)
        t = m.tensor([1.0, 2.0, 4.0], dtype=dt, requires_grad=dt.is_floating_point)
        out = op(scalar, t)
        assert type(out) is m.Tensor, type(out)
        if out.requires_grad:
            out.sum().backward()
            return out, t.grad
        return out

    compare(case, grads=False)


def test_numpy_array_on_the_left_is_torchs_type_error():
    compare(lambda m, F, leaf: np.ones(3) * leaf([1.0, 2.0, 3.0]))
