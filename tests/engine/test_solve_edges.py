"""linalg.solve at its edges against torch 2.13: the singular error names a batch element only
when A itself is batched (a 2-D A broadcast over a batched B is not); a singular A raises with
left=False too (torch factors A, not its transpose); B's shape checks for left=False; the
signs of exact zeros in the solution (LAPACK's getrs arithmetic on A's factors)."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("torch")
import torch  # noqa: E402

import engine  # noqa: E402
from tests.engine.torch_compare import compare  # noqa: E402

SING = [[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 1.0, 1.0]]


def _s(m):
    return m.tensor(SING, dtype=m.float64)


def _eye(m):
    return m.eye(3, dtype=m.float64)


CASES = {
    "2-D A, batched B": lambda m: m.linalg.solve(_s(m), m.ones(2, 3, 1, dtype=m.float64)),
    "2-D A, batch of vectors": lambda m: m.linalg.solve(_s(m), m.ones(2, 3, dtype=m.float64)),
    "2-D A, vector": lambda m: m.linalg.solve(_s(m), m.ones(3, dtype=m.float64)),
    "A batch of one, batched B": lambda m: m.linalg.solve(_s(m)[None],
                                                          m.ones(2, 3, 1, dtype=m.float64)),
    "batched A, second singular": lambda m: m.linalg.solve(
        m.stack([_eye(m), _s(m)]), m.ones(3, 1, dtype=m.float64)),
    "batched A broadcast over B": lambda m: m.linalg.solve(
        m.stack([_eye(m), _s(m)])[:, None], m.ones(2, 3, 3, 1, dtype=m.float64)),
    "left=False singular": lambda m: m.linalg.solve(_s(m), m.ones(1, 3, dtype=m.float64),
                                                    left=False),
    "left=False singular, batched B": lambda m: m.linalg.solve(
        _s(m), m.ones(2, 1, 3, dtype=m.float64), left=False),
    "left=False vector": lambda m: m.linalg.solve(
        m.tensor([[2.0, 1.0], [0.0, 1.0]], dtype=m.float64), m.ones(2, dtype=m.float64),
        left=False),
    "left=False 1x1 vector": lambda m: m.linalg.solve(
        m.tensor([[2.0]], dtype=m.float64), m.ones(1, dtype=m.float64), left=False),
    "left=False batch of vectors": lambda m: m.linalg.solve(
        _eye(m).expand(4, 3, 3), m.ones(4, 3, dtype=m.float64), left=False),
    "0-d B": lambda m: m.linalg.solve(_eye(m)[:1, :1], m.tensor(2.0, dtype=m.float64)),
    "0-d B left=False": lambda m: m.linalg.solve(_eye(m)[:1, :1], m.tensor(2.0, dtype=m.float64),
                                                 left=False),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_solve_errors_as_torch(name):
    compare(lambda m, F, leaf: CASES[name](m))


def _system(rng, left):
    n, k = int(rng.integers(1, 6)), int(rng.integers(1, 4))
    A = rng.standard_normal((n, n)) + 3 * np.eye(n)
    A[rng.random((n, n)) < 0.3] = 0.0
    A += np.diag(np.where(np.diag(A) == 0, 1.0, 0.0))
    A *= np.where(rng.random((n, n)) < 0.3, -1, 1)
    shape = (n, k) if left else (k, n)
    B = rng.standard_normal(shape)
    B[rng.random(shape) < 0.6] = 0.0
    return A, B * np.where(rng.random(shape) < 0.5, -1.0, 1.0)


@pytest.mark.parametrize("left", [True, False])
def test_signs_of_zeros_as_lapack(left):
    """Zero-heavy right-hand sides: the solution's exact zeros carry torch's signs in all but
    a few systems (MKL's blocked substitution from order 4 on is not modelled; measured: 8 of
    400 systems differ in some zero, NumPy's solve alone: 54)."""
    rng = np.random.default_rng(1 if left else 2)
    differ = 0
    for _ in range(200):
        A, B = _system(rng, left)
        ours = np.array(engine.linalg.solve(engine.tensor(A), engine.tensor(B),
                                            left=left).tolist())
        theirs = torch.linalg.solve(torch.tensor(A), torch.tensor(B), left=left).numpy()
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-14)
        zero = theirs == 0  # (a rounding apart, one side may have a tiny value for a zero)
        differ += bool(((ours == 0) != zero).any() or
                       (np.signbit(ours[zero]) != np.signbit(theirs[zero])).any())
    assert differ <= 6


def test_signs_of_zeros_small_orders_exact():
    """Up to order 3 every zero both solutions have carries torch's sign."""
    rng = np.random.default_rng(7)
    for _ in range(300):
        left = bool(rng.integers(0, 2))
        A, B = _system(rng, left)
        if A.shape[0] > 3:
            continue
        ours = np.array(engine.linalg.solve(engine.tensor(A), engine.tensor(B),
                                            left=left).tolist())
        theirs = torch.linalg.solve(torch.tensor(A), torch.tensor(B), left=left).numpy()
        both = (ours == 0) & (theirs == 0)
        assert (np.signbit(ours[both]) == np.signbit(theirs[both])).all(), (A, B, left)
