"""Factorizations are priced from their shapes before they run (engine.cost), as products and
sorts are; a norm or a triangular substitution is not a factorization."""

from __future__ import annotations

import numpy as np
import pytest

import engine
from engine.cost import factorization_cost


@pytest.mark.parametrize(("call", "name"), [
    (lambda a: engine.linalg.svd(a), "linalg.svd"),
    (lambda a: engine.linalg.qr(a), "linalg.qr"),
    (lambda a: engine.linalg.eigh(a), "linalg.eigh"),
    (lambda a: engine.linalg.inv(a), "linalg.inv"),
    (lambda a: engine.linalg.det(a), "linalg.det"),
    (lambda a: engine.linalg.solve(a, a), "linalg.solve"),
    (lambda a: engine.linalg.cholesky(a), "linalg.cholesky"),
])
def test_factorizations_are_charged_before_they_run(call, name):
    a = engine.Tensor(np.eye(4, dtype=np.float64) * 2).unsqueeze(0).expand(3, 4, 4)
    seen = []
    with engine.use_cost_meter(lambda op, units: seen.append((op, units))):
        call(a)
    assert (name, factorization_cost((3, 4, 4))) in seen

    def refuse(op, units):
        raise RuntimeError(f"refused {op}")

    with engine.use_cost_meter(refuse), pytest.raises(RuntimeError, match=f"refused {name}"):
        call(a)


def test_norms_and_substitutions_are_not_factorizations():
    a = engine.Tensor(np.tril(np.ones((5, 5))))
    seen = []
    with engine.use_cost_meter(lambda op, units: seen.append(op)):
        engine.linalg.matrix_norm(a)
        engine.linalg.solve_triangular(a, a, upper=False)
    assert seen == []


def test_the_cost_grows_as_the_cube():
    assert factorization_cost((20, 20)) == 8 * factorization_cost((10, 10))
    assert factorization_cost((2, 30, 10)) == 2 * 30 * 10 * 10 * factorization_cost((1, 1))
