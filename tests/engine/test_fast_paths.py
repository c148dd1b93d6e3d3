"""Fast paths of hot ops give exactly the bits of the general form they stand in for."""

from __future__ import annotations

import numpy as np
import pytest

import engine
from engine.ops import nn as nn_ops

F = engine.ops.OPS


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_keep_bits_is_where_bit_for_bit(dtype):
    rng = np.random.default_rng(0)
    a = rng.standard_normal((7, 9)).astype(dtype)
    a[0, :6] = [np.nan, -np.inf, np.inf, -0.0, 0.0, -1.5]
    keep = rng.random((7, 9)) < 0.5
    keep[0, :6] = [False, False, True, True, False, True]
    u = np.dtype(f"u{a.dtype.itemsize}")
    for k, x in ((keep, a), (keep[:1], a), (keep, a[:1]), (keep[:, ::2], a[:, ::2]),
                 (keep.T, a.T)):
        want = np.where(k, x, dtype(0))
        got = nn_ops._keep_bits(k, x)
        assert got.dtype == want.dtype and got.shape == want.shape
        assert np.array_equal(got.view(u), want.view(u))


def test_relu_backward_gives_plus_zero_where_cut():
    x = engine.tensor([-1.0, 0.0, -0.0, 2.0, float("nan")], requires_grad=True)
    F["relu"].fn(x).backward(engine.tensor([-3.0, -4.0, float("nan"), -5.0, 7.0]))
    g = x.grad.numpy()
    assert np.array_equal(np.signbit(g[:3]), [False, False, False]) and g[3] == -5.0
    assert g[4] == 7.0  # relu(nan) = nan is not <= 0: the gradient passes, as torch


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_fast_path_is_the_general_form(reduction):
    rng = np.random.default_rng(1)
    x0 = rng.standard_normal((12, 5)).astype(np.float32)
    t = engine.tensor(rng.integers(0, 4, 12))  # class 4 never a target
    out = []
    for ignore in (-100, 4):  # -100: the fast path; 4 (a class, absent): the general one
        x = engine.tensor(x0, requires_grad=True)
        loss = F["cross_entropy"].fn(x, t, reduction=reduction, ignore_index=ignore)
        loss.sum().backward()
        out.append((loss.detach().numpy(), x.grad.numpy()))
    for a, b in zip(*out):
        assert np.array_equal(a, b)
    with pytest.raises(IndexError, match="Target 5 is out of bounds."):
        F["cross_entropy"].fn(engine.tensor(x0), engine.tensor([5] + [0] * 11))
