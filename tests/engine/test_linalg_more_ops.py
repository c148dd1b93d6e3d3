"""matrix_power, linalg.matrix_power, linalg.vecdot and linalg.diagonal (engine/ops/
linalg_more.py) against torch 2.13: values, node chains, gradients and error texts."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("torch")
from tests.engine.torch_compare import compare  # noqa: E402

A = [[1.0, 0.5, -0.2], [0.3, 0.9, 0.1], [-0.4, 0.2, 1.1]]
X = [[1.0, -2.0, 3.0, 0.5], [0.0, 2.0, -1.0, 4.0], [2.5, 1.5, -3.0, 1.0]]


@pytest.mark.parametrize("n", [0, 1, 2, 3, 4, 5, 6, 7, 13, -1, -2, -3, -5])
def test_matrix_power_as_torch(n):
    compare(lambda m, F, leaf: m.matrix_power(leaf(A), n))
    compare(lambda m, F, leaf: m.linalg.matrix_power(leaf(A), n))
    compare(lambda m, F, leaf: leaf(A).matrix_power(n))
    # batched negative powers: torch's batched inverse is column-major, so its matmul
    # reshapes with a copy (ReshapeAliasBackward0); the engine's inverse is row-major
    # (ViewBackward0): values and gradients agree, the node chain does not (linalg.inv's)
    compare(lambda m, F, leaf: m.matrix_power(leaf(np.stack([A, np.eye(3)])), n),
            graph=n >= 0)


@pytest.mark.parametrize("case", [
    lambda m, F, leaf: m.matrix_power(leaf(A).expand(2, 3, 3), 3),
    lambda m, F, leaf: m.matrix_power(leaf(A).expand(2, 3, 3), 0),
    lambda m, F, leaf: m.matrix_power(leaf(X), 2),
    lambda m, F, leaf: m.matrix_power(leaf([1.0, 2.0]), 2),
    lambda m, F, leaf: m.matrix_power(m.tensor([[1, 2], [3, 4]]), -1),
    lambda m, F, leaf: m.matrix_power(m.tensor([[1, 2], [3, 4]]), 3),
    lambda m, F, leaf: m.matrix_power(m.tensor([[1, 2], [3, 4]]), 0),
    lambda m, F, leaf: m.matrix_power(leaf(A), 2.0),
    lambda m, F, leaf: m.matrix_power(leaf(A), True),
    lambda m, F, leaf: m.matrix_power(m.zeros(3, 3, dtype=m.float64), -1),
    lambda m, F, leaf: m.matrix_power(m.ones(2, 0, 0), 3),
], ids=range(11))
def test_matrix_power_edges_as_torch(case):
    compare(case)


@pytest.mark.parametrize("case", [
    lambda m, F, leaf: m.linalg.vecdot(leaf(X), leaf(X[0])),
    lambda m, F, leaf: m.linalg.vecdot(leaf(X[0]), leaf(X[1])),
    lambda m, F, leaf: m.linalg.vecdot(leaf(X), leaf(X), dim=0),
    lambda m, F, leaf: m.linalg.vecdot(leaf(X), leaf([[1.0], [2.0], [3.0]]), dim=0),
    lambda m, F, leaf: m.linalg.vecdot(leaf(X), leaf(X[0], dtype=m.float32)),
    lambda m, F, leaf: m.linalg.vecdot(leaf(X), leaf(X[:2])),
    lambda m, F, leaf: m.linalg.vecdot(m.tensor([1, 2]), m.tensor([3, 4])),
    lambda m, F, leaf: m.linalg.vecdot(leaf(X), leaf(X), dim=5),
    lambda m, F, leaf: m.linalg.diagonal(leaf(A)),
    lambda m, F, leaf: m.linalg.diagonal(leaf(X), offset=1),
    lambda m, F, leaf: m.linalg.diagonal(leaf(X), offset=-1, dim1=-1, dim2=-2),
    lambda m, F, leaf: m.linalg.diagonal(leaf([1.0, 2.0])),
    lambda m, F, leaf: m.linalg.diagonal(leaf(np.ones((2, 3, 3)))),
], ids=range(13))
def test_vecdot_diagonal_as_torch(case):
    compare(case)


@pytest.mark.parametrize("case", [
    lambda m, F, leaf: m.linalg.matmul(leaf(X), leaf(X).mT),
    lambda m, F, leaf: m.linalg.matmul(leaf(X[0]), leaf(X).mT),
    lambda m, F, leaf: m.linalg.matmul(leaf(X).expand(2, 3, 4), leaf(X[0])),
    lambda m, F, leaf: m.linalg.matmul(leaf(X[0]), leaf(X[0])),
    lambda m, F, leaf: m.linalg.matmul(leaf(X[0]), leaf(X[0][:2])),
    lambda m, F, leaf: m.linalg.matmul(m.tensor([[1, 2], [3, 4]]), m.tensor([1, 1])),
], ids=range(6))
def test_linalg_matmul_as_torch(case):
    compare(case)


SPD = (np.array(A) @ np.array(A).T + np.eye(3)).tolist()


@pytest.mark.parametrize("case", [
    lambda m, F, leaf: m.cholesky_solve(leaf(X), m.linalg.cholesky(leaf(SPD))),
    lambda m, F, leaf: m.cholesky_solve(leaf(X), m.linalg.cholesky(leaf(SPD)).mT, upper=True),
    lambda m, F, leaf: leaf(X)[:, :2].cholesky_solve(m.linalg.cholesky(leaf(SPD))),
    lambda m, F, leaf: m.cholesky_solve(leaf(X).expand(2, 3, 4), m.linalg.cholesky(leaf(SPD))),
    lambda m, F, leaf: m.cholesky_solve(leaf(X[0][:3]), leaf(SPD)),
    lambda m, F, leaf: m.cholesky_solve(leaf(X), leaf(SPD)[:2, :2]),
    lambda m, F, leaf: m.cholesky_solve(leaf(X, dtype=m.float32), leaf(SPD)),
    lambda m, F, leaf: m.cholesky_inverse(m.linalg.cholesky(leaf(SPD))),
    lambda m, F, leaf: m.cholesky_inverse(m.linalg.cholesky(leaf(SPD)).mT, upper=True),
    lambda m, F, leaf: m.linalg.cholesky(leaf(SPD)).cholesky_inverse(),
    lambda m, F, leaf: m.cholesky_inverse(leaf(X)),
    lambda m, F, leaf: m.cholesky_inverse(leaf([1.0])),
], ids=range(12))
def test_cholesky_solvers_as_torch(case):
    compare(case)


def _with_diagonal(values, batch=None):
    """An upper-triangular factor whose diagonal is ``values`` (a batch of them if given)."""
    if batch is not None:
        return np.stack([_with_diagonal(v) for v in batch])
    out = np.triu(np.full((len(values), len(values)), 0.5))
    np.fill_diagonal(out, values)
    return out


@pytest.mark.parametrize("factor", [
    _with_diagonal([1.0, 0.0, 2.0]), _with_diagonal([1.0, 0.0, 0.0]),
    _with_diagonal([-0.0, 1.0, 1.0]), _with_diagonal([1.0, 1.0, float("nan")]),
    np.zeros((2, 0, 0)),
    _with_diagonal(None, [[1.0, 2.0], [1.0, 0.0], [0.0, 1.0]]),
    _with_diagonal(None, [[1.0, 0.0]]),
], ids=["zero", "two zeros", "minus zero", "nan", "empty", "batch", "batch of 1"])
@pytest.mark.parametrize("upper", [False, True])
def test_cholesky_inverse_stops_at_an_exactly_zero_pivot_as_torch(factor, upper):
    """torch's potri: the first exactly zero diagonal element of the first such matrix raises
    torch.linalg.LinAlgError; a NaN pivot gives NaNs instead. (A subnormal pivot gives
    infinities in both, with NaNs where LAPACK's order differs from ours: not compared.)"""
    compare(lambda m, F, leaf: m.cholesky_inverse(
        leaf(factor if upper else np.swapaxes(factor, -1, -2).copy()), upper=upper),
        grads=False)

