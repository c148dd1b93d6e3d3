"""Gradient formulas rounded as torch's CPU kernels round them, compared bit for bit with the
kernel itself (``torch.ops.aten.<op>_backward``) on the same saved tensors: a hand-written
backward pass checked against ``x.grad`` with ``==`` (Karpathy's "backprop ninja" exercise,
tests/app/lang/programs/km_04_backprop_ninja.py.txt) sees every last-bit difference."""

from __future__ import annotations

import numpy as np
import pytest

import engine as E
from engine.ops.pointwise import _tanh_backward

torch = pytest.importorskip("torch")

DTYPES = [(np.float64, E.float64, torch.float64), (np.float32, E.float32, torch.float32),
          (np.float16, E.float16, torch.float16)]


@pytest.mark.parametrize("np_dtype, ours, theirs", DTYPES)
def test_tanh_backward_rounds_like_torch(np_dtype, ours, theirs):
    rng = np.random.default_rng(0)
    out = np.tanh(rng.standard_normal(20011) * 2).astype(np_dtype)  # not a multiple of 8: tails
    out[:4] = [0.0, -0.0, 1.0, -1.0]
    grad = rng.standard_normal(20011).astype(np_dtype)
    want = torch.ops.aten.tanh_backward(torch.from_numpy(grad), torch.from_numpy(out)).numpy()

    # the rule on torch's saved output (the forwards themselves differ by ulps: NumPy's tanh
    # is not SLEEF's)
    got = _tanh_backward(E.tensor(grad), E.tensor(out))
    assert got.dtype is ours
    np.testing.assert_array_equal(got.numpy(), want)


def test_tanh_backward_uses_the_rule_and_double_backward_the_recorded_formula():
    x = E.randn(1001, dtype=E.float32, requires_grad=True)
    y = E.tanh(x)
    g = E.randn(1001, dtype=E.float32)
    y.backward(g)
    np.testing.assert_array_equal(x.grad.numpy(), _tanh_backward(g, y.detach()).numpy())

    x = E.tensor([0.3, -1.2, 2.0], dtype=E.float64, requires_grad=True)
    (g,) = E.autograd.grad(E.tanh(x), x, E.ones(3, dtype=E.float64), create_graph=True)
    assert g.grad_fn.name() == "TanhBackwardBackward0"
    assert E.autograd.gradcheck(lambda t: E.tanh(t), (x,))
    assert E.autograd.gradgradcheck(lambda t: E.tanh(t), (x,))


@pytest.mark.parametrize("exponent", [3, -2, -0.5, 3.0])
@pytest.mark.parametrize("np_dtype", [np.float32, np.float64])
def test_pow_by_a_scalar_takes_torchs_products(exponent, np_dtype):
    # torch's pow kernel computes these exponents as x*x*x, 1/(x*x) and 1/sqrt(x); a general
    # pow differs from them in the last bit for 20-35% of values (rsqrt's gradient, which is
    # -0.5 * g * out**3, with them)
    rng = np.random.default_rng(1)
    a = (np.abs(rng.standard_normal(2003)) + 0.05).astype(np_dtype)
    a[:4] = [0.0, np.inf, np.nan, -0.0]
    want = (torch.from_numpy(a) ** exponent).numpy()
    np.testing.assert_array_equal((E.tensor(a) ** exponent).numpy(), want)

    x = E.tensor(a[4:], requires_grad=True)
    E.rsqrt(x).backward(E.ones(a.size - 4, dtype=x.dtype))
    t = torch.from_numpy(a[4:]).requires_grad_()
    torch.rsqrt(t).backward(torch.ones(a.size - 4, dtype=t.dtype))
    np.testing.assert_array_equal(x.grad.numpy(), t.grad.numpy())
