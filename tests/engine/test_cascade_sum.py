"""float32/float64 ``sum`` and ``mean`` over trailing dims in torch's cascade order
(engine/ops/cascade.py), bit for bit with torch: rows shorter and longer than a vector, the
leftover vectors and scalar tails, every level of the cascade, whole-tensor sums up to torch's
grain size, and the gradients' un-broadcasting sums (which take the same path)."""

from __future__ import annotations

import numpy as np
import pytest

import engine as E
from engine.autograd.engine import sum_to
from engine.ops import cascade

torch = pytest.importorskip("torch")

DTYPES = [(np.float32, E.float32), (np.float64, E.float64)]


@pytest.mark.parametrize("np_dtype, ours", DTYPES)
def test_sums_over_trailing_dims_are_torchs_bits(np_dtype, ours):
    rng = np.random.default_rng(11)
    for _ in range(150):
        lead = tuple(int(n) for n in rng.integers(1, 4, size=int(rng.integers(0, 3))))
        length = int(rng.choice([rng.integers(1, 40), rng.integers(40, 3000),
                                 rng.integers(3000, 9000)]))
        trail = (length,) if rng.random() < 0.6 else (2, (length + 1) // 2)
        x = (rng.standard_normal(lead + trail) * rng.uniform(0.1, 50) +
             rng.uniform(-3, 3)).astype(np_dtype)
        t, e = torch.from_numpy(x), E.tensor(x)
        dims = tuple(range(len(lead), x.ndim))
        keep = bool(rng.random() < 0.5)
        for name in ("sum", "mean"):
            want = getattr(t, name)(dims, keepdim=keep).numpy()
            got = getattr(e, name)(dims, keepdim=keep)
            assert got.dtype is ours
            np.testing.assert_array_equal(got.numpy(), want, err_msg=f"{name} {x.shape}")
        if x.size <= cascade.GRAIN_SIZE:
            np.testing.assert_array_equal(e.sum().numpy(), t.sum().numpy(), err_msg=str(x.shape))


def test_zeros_and_specials_sum_as_torch():
    cases = [np.full(20, -0.0), np.array([-0.0] * 3), np.array([1e38, 1e38, -1e38] * 5),
             np.array([np.inf, -np.inf] + [1.0] * 9), np.array([np.nan] + [1.0] * 30)]
    for v in cases:
        for dt in (np.float32, np.float64):
            x = v.astype(dt)
            want = torch.from_numpy(x).sum().numpy()
            got = E.tensor(x).sum().numpy()
            np.testing.assert_array_equal(got, want)
            assert np.signbit(got) == np.signbit(want)


def test_sum_of_float32_with_a_float64_dtype_sums_in_float64():
    x = np.random.default_rng(2).standard_normal((3, 1001)).astype(np.float32)
    want = torch.from_numpy(x).sum(-1, dtype=torch.float64).numpy()
    np.testing.assert_array_equal(E.tensor(x).sum(-1, dtype=E.float64).numpy(), want)


def test_broadcast_gradients_sum_in_the_same_order():
    rng = np.random.default_rng(5)
    g = E.tensor(rng.standard_normal((64, 300)).astype(np.float32))
    w = torch.zeros(64, 1, requires_grad=True)
    (w + torch.zeros(64, 300)).backward(torch.from_numpy(g.numpy()))
    np.testing.assert_array_equal(sum_to(g, (64, 1)).numpy(), w.grad.numpy())
    np.testing.assert_array_equal(sum_to(g, (64, 1)).numpy(), g.sum(-1, keepdim=True).numpy())


def test_float32_two_norms_along_the_last_dim_are_torchs_bits():
    rng = np.random.default_rng(13)
    for _ in range(300):
        lead = tuple(int(n) for n in rng.integers(1, 4, size=int(rng.integers(0, 3))))
        length = int(rng.choice([rng.integers(1, 20), rng.integers(20, 2000)]))
        x = (rng.standard_normal(lead + (length,)) * rng.uniform(0.01, 30)).astype(np.float32)
        t, e = torch.from_numpy(x), E.tensor(x)
        keep = bool(rng.random() < 0.5)
        np.testing.assert_array_equal(E.norm(e, dim=-1, keepdim=keep).numpy(),
                                      torch.norm(t, dim=-1, keepdim=keep).numpy())
        np.testing.assert_array_equal(E.linalg.vector_norm(e, dim=-1).numpy(),
                                      torch.linalg.vector_norm(t, dim=-1).numpy())
    x = E.tensor([[3.0, 4.0, 0.0], [0.0, 0.0, 0.0]], requires_grad=True)
    x.norm(dim=-1).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(),
                                  np.float32([[0.6, 0.8, 0.0], [0.0, 0.0, 0.0]]))
