"""``torch.linalg.ldl_factor``, ``ldl_factor_ex`` and ``ldl_solve`` against torch 2.13: the
Bunch-Kaufman factor and its pivots (1x1 and 2x2 blocks, interchanges) on random symmetric,
zero-diagonal and nearly singular matrices, the solutions, ``info`` and the errors."""

import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import engine  # noqa: E402
from tests.engine.torch_compare import compare  # noqa: E402


def _symmetric(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 9))
    a = rng.standard_normal((n, n))
    if seed % 3 == 0:
        np.fill_diagonal(a, 0)  # (2x2 blocks)
    if seed % 5 == 0:
        np.fill_diagonal(a, 1e-3 * rng.standard_normal(n))
    if seed % 7 == 0 and n > 1:
        a[:, 0] = 0  # (a zero pivot: info)
    return a + np.tril(a, -1).T - np.triu(a, 1)  # (only the lower triangle is read)


@pytest.mark.parametrize("seed", range(60))
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_factor_and_pivots_as_torch(seed, dtype):
    a = _symmetric(seed)
    got = []
    for lib in (engine, torch):
        out = lib.linalg.ldl_factor_ex(lib.tensor(a, dtype=getattr(lib, dtype)))
        got.append([np.asarray(x.tolist()) for x in out])
    (ld, piv, info), (tld, tpiv, tinfo) = got
    assert piv.tolist() == tpiv.tolist() and int(info) == int(tinfo)
    tol = 1e-4 if dtype == "float32" else 1e-12
    np.testing.assert_allclose(ld, tld, rtol=tol, atol=tol * max(1.0, np.abs(tld).max()))


@pytest.mark.parametrize("n", [30, 70])
def test_factor_past_lapacks_block_size_as_torch(n):
    rng = np.random.default_rng(n)
    a = rng.standard_normal((n, n))
    np.fill_diagonal(a, 0)
    ours = engine.linalg.ldl_factor(engine.tensor(a))
    theirs = torch.linalg.ldl_factor(torch.tensor(a))
    assert engine.to_numpy(ours.pivots).tolist() == theirs.pivots.tolist()
    np.testing.assert_allclose(engine.to_numpy(ours.LD), theirs.LD.numpy(), atol=1e-11)


rng = np.random.default_rng(0)
A = rng.standard_normal((2, 5, 5))
A = A + np.swapaxes(A, -1, -2)
np.fill_diagonal(A[1], 0)
B = rng.standard_normal((2, 5, 3))


def _ones(m, shape, dtype="int32"):
    return m.ones(*shape, dtype=getattr(m, dtype))


CASES = {
    "factor": lambda m, F, l: m.linalg.ldl_factor(l(A)),
    "factor_ex hermitian": lambda m, F, l: m.linalg.ldl_factor_ex(l(A), hermitian=True),
    "factor float32": lambda m, F, l: m.linalg.ldl_factor(l(A, dtype=m.float32)),
    "solve": lambda m, F, l: m.linalg.ldl_solve(*m.linalg.ldl_factor(l(A)), l(B)),
    "solve broadcast": lambda m, F, l: m.linalg.ldl_solve(*m.linalg.ldl_factor(l(A[0])), l(B)),
    "solve hermitian": lambda m, F, l: m.linalg.ldl_solve(
        *m.linalg.ldl_factor(l(A), hermitian=True), l(B), hermitian=True),
    "solve int64 pivots": lambda m, F, l: m.linalg.ldl_solve(
        m.linalg.ldl_factor(l(A[1]))[0], m.linalg.ldl_factor(l(A[1]))[1].long(), l(B[0])),
    "zero matrix": lambda m, F, l: m.linalg.ldl_factor_ex(m.zeros(3, 3)),
    "zero matrix raises": lambda m, F, l: m.linalg.ldl_factor(m.zeros(3, 3)),
    "check_errors in a batch": lambda m, F, l: m.linalg.ldl_factor_ex(
        m.stack([m.eye(2), m.zeros(2, 2)]), check_errors=True),
    "not square": lambda m, F, l: m.linalg.ldl_factor(m.ones(2, 3)),
    "integer": lambda m, F, l: m.linalg.ldl_factor(_ones(m, (3, 3), "int64")),
    "1-D": lambda m, F, l: m.linalg.ldl_factor(m.ones(3)),
    "half": lambda m, F, l: m.linalg.ldl_factor(_ones(m, (3, 3), "float16")),
    "empty": lambda m, F, l: m.linalg.ldl_factor_ex(l(np.zeros((0, 0)))),
    "empty batch": lambda m, F, l: m.linalg.ldl_factor_ex(l(np.zeros((0, 3, 3)))),
    "solve: B of another dtype": lambda m, F, l: m.linalg.ldl_solve(
        *m.linalg.ldl_factor(l(A[0])), m.ones(5, 1)),
    "solve: B of another size": lambda m, F, l: m.linalg.ldl_solve(
        *m.linalg.ldl_factor(l(A[0])), l(np.ones((2, 1)))),
    "solve: vector B": lambda m, F, l: m.linalg.ldl_solve(
        *m.linalg.ldl_factor(l(A[0])), l(np.ones(5))),
    "solve: LD not square": lambda m, F, l: m.linalg.ldl_solve(
        l(np.ones((2, 3))), _ones(m, (3,)), l(np.ones((2, 1)))),
    "solve: float pivots": lambda m, F, l: m.linalg.ldl_solve(
        m.linalg.ldl_factor(l(A[0]))[0], m.ones(5), l(np.ones((5, 1)))),
    "solve: pivots of another shape": lambda m, F, l: m.linalg.ldl_solve(
        m.linalg.ldl_factor(l(A[0]))[0], _ones(m, (2, 5)), l(np.ones((5, 1)))),
    "solve: B a list": lambda m, F, l: m.linalg.ldl_solve(*m.linalg.ldl_factor(l(A[0])), [1.0]),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_ldl_as_torch(name):
    """Values, pivots, dtypes, the ``NotImplemented`` node and its backward error, error
    texts."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        compare(CASES[name])
