"""Decompositions that read one triangle of a symmetric input (cholesky, eigh, eigvalsh):
their gradient is torch's symmetric one, so they are checked by finite differences through a
symmetric parametrization (first and second order), and the engine.linalg namespace."""

from __future__ import annotations

import numpy as np
import pytest

import engine

EPS = 1e-6


def _spd(X):
    n = X.shape[-1]
    return X @ X.mT + n * engine.eye(n, dtype=X.dtype)


def _sym(X):
    return X + X.mT


CASES = {
    "cholesky": lambda X: engine.linalg.cholesky(_spd(X)),
    "cholesky-upper": lambda X: engine.linalg.cholesky(_spd(X), upper=True),
    "torch.cholesky": lambda X: engine.cholesky(_spd(X)),
    "eigh-values": lambda X: engine.linalg.eigh(_sym(X)).eigenvalues,
    "eigh-vectors": lambda X: engine.linalg.eigh(_sym(X))[1] ** 2,
    "eigh-upper": lambda X: engine.linalg.eigh(_sym(X), UPLO="U")[1].abs() +
    engine.linalg.eigh(_sym(X), UPLO="U")[0].unsqueeze(-1),
    "eigvalsh": lambda X: engine.linalg.eigvalsh(_sym(X)),
}


def _value(fn, x: np.ndarray, w: np.ndarray) -> float:
    with engine.no_grad():
        return float((fn(engine.tensor(x)) * engine.tensor(w)).sum().item())


def _numeric(f, x: np.ndarray) -> np.ndarray:
    g = np.zeros_like(x)
    for j in range(x.size):
        plus, minus = x.copy(), x.copy()
        plus.reshape(-1)[j] += EPS
        minus.reshape(-1)[j] -= EPS
        g.reshape(-1)[j] = (f(plus) - f(minus)) / (2 * EPS)
    return g


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("shape", [(3, 3), (2, 3, 3)], ids=["matrix", "batched"])
def test_symmetric_decomposition_gradients(name, shape):
    fn = CASES[name]
    rng = np.random.default_rng(3)
    x0 = rng.standard_normal(shape)
    w = rng.standard_normal(engine.to_numpy(fn(engine.tensor(x0))).shape)
    v = rng.standard_normal(shape)
    x = engine.tensor(x0, requires_grad=True)
    (g,) = engine.grad((fn(x) * engine.tensor(w)).sum(), x, create_graph=True)
    np.testing.assert_allclose(engine.to_numpy(g), _numeric(lambda a: _value(fn, a, w), x0),
                               rtol=1e-5, atol=1e-6)
    (h,) = engine.grad((g * engine.tensor(v)).sum(), x)

    def first_dot_v(a):
        t = engine.tensor(a, requires_grad=True)
        (ga,) = engine.grad((fn(t) * engine.tensor(w)).sum(), t)
        return float((engine.to_numpy(ga) * v).sum())

    np.testing.assert_allclose(engine.to_numpy(h), _numeric(first_dot_v, x0), rtol=1e-4,
                               atol=1e-5)


def test_linalg_namespace_is_the_op_table():
    ops = engine.ops.OPS
    names = [n for n in engine.linalg.__all__ if n != "LinAlgError"]
    assert names == sorted(n[len("linalg."):] for n in ops if n.startswith("linalg."))
    for n in names:
        assert getattr(engine.linalg, n) is ops[f"linalg.{n}"].fn
        assert ops[f"linalg.{n}"].kind == "function"
    catalog = {d["name"] for d in engine.ops.catalog()}
    assert {"linalg.det", "linalg.norm", "linalg.svd"} <= catalog


def test_linalg_norm_is_not_torch_norm():
    """``torch.linalg.norm(A, 2)`` of a matrix is its spectral norm; ``torch.norm(A, 2)`` is the
    2-norm of its elements."""
    a = engine.tensor([[3.0, 0.0], [0.0, 4.0]])
    assert engine.linalg.norm(a, 2).item() == pytest.approx(4.0)
    assert engine.norm(a, 2).item() == pytest.approx(5.0)


def test_singular_matrices_raise_linalg_error():
    s = engine.tensor([[1.0, 2.0], [2.0, 4.0]])
    with pytest.raises(engine.linalg.LinAlgError, match="The diagonal element 2 is zero"):
        engine.linalg.inv(s)
    with pytest.raises(RuntimeError, match="input matrix is singular"):
        engine.linalg.solve(s, engine.ones(2, 1))
    with pytest.raises(engine.linalg.LinAlgError, match="leading minor of order 2"):
        engine.linalg.cholesky(engine.tensor([[1.0, 2.0], [2.0, 1.0]]))
