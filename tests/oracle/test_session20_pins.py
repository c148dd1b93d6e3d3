"""Session 20's faithfulness pins (issue 10): each case failed before its fix, checked bit for
bit against torch 2.13 run in the same process."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import engine  # noqa: E402
from engine import backends  # noqa: E402


def _softmax_grad(T, a, g, dim, transposed=False):
    x = T.tensor(a, requires_grad=True)
    xi = x.mT if transposed else x
    gi = T.tensor(g).mT if transposed else T.tensor(g)
    T.softmax(xi, dim).backward(gi)
    return x.grad.numpy().tobytes(), x.grad.stride()


@pytest.mark.parametrize("shape, dim, transposed", [
    ((60, 40), 0, False), ((6, 7, 30), 1, False), ((5, 9, 30), 0, False),
    ((40, 60), 0, True), ((3000, 1), 0, False), ((2000, 2), 0, False), ((1, 40, 30), 1, False)])
def test_float32_softmax_backward_over_other_dims_is_torchs_kernel(shape, dim, transposed):
    """Over a dim other than the last, torch's kernel sums ``g * y`` down the dim one row
    after the other from +0., each step one fused multiply-add: about half the gradients
    were an ulp off (NumPy's pairwise sum of rounded products), and a few .grad strides."""
    rng = np.random.default_rng(sum(shape) + dim)
    a = rng.uniform(-12, 12, shape).astype(np.float32)
    g = rng.standard_normal(shape).astype(np.float32)
    if transposed:
        a, g = a.T.copy(), g.T.copy()
    assert _softmax_grad(engine, a, g, dim, transposed) == \
        _softmax_grad(torch, a, g, dim, transposed)


@pytest.mark.parametrize("shape", [(20,), (1, 25), (1, 50), (37,)])
def test_float32_softmax_backward_of_one_row_fuses_its_tail(shape):
    """One row runs torch's last-dim kernel serially, whose compiled copy fuses the partial
    last vector's ``acc + g * y`` (its threads' copy does not)."""
    rng = np.random.default_rng(shape[-1])
    for _ in range(20):
        a = (rng.standard_normal(shape) * 5).astype(np.float32)
        g = rng.standard_normal(shape).astype(np.float32)
        assert _softmax_grad(engine, a, g, -1) == _softmax_grad(torch, a, g, -1)


def test_float32_softmax_backward_on_one_thread_fuses_its_tail():
    rng = np.random.default_rng(5)
    a = (rng.standard_normal((40, 25)) * 5).astype(np.float32)
    g = rng.standard_normal((40, 25)).astype(np.float32)
    threads, state = torch.get_num_threads(), backends._cpu.get()
    try:
        torch.set_num_threads(1)
        backends.set_num_threads(1)
        one = [_softmax_grad(T, a, g, -1) for T in (engine, torch)]
    finally:
        torch.set_num_threads(threads)
        backends._cpu.set(state)
    assert one[0] == one[1]
    assert _softmax_grad(engine, a, g, -1) == _softmax_grad(torch, a, g, -1)


@pytest.mark.parametrize("shape, dim", [((10, 2), 1), ((7,), 0), ((4, 7, 7), 2),
                                        ((10, 4, 3), 0), ((3, 10, 9), 1)])
def test_float32_softmax_higher_order_gradients_are_torchs(shape, dim):
    """SoftmaxBackwardDataBackward0's values are the kernel's, its own gradients torch's
    formulas in torch's node order: second and third order gradients were a last bit off."""
    rng = np.random.default_rng(len(shape) * 10 + dim)
    a = (rng.standard_normal(shape) * 3).astype(np.float32)
    w = rng.standard_normal(shape).astype(np.float32)

    def run(T):
        x = T.tensor(a, requires_grad=True)
        y = T.softmax(x, dim)
        (g1,) = T.autograd.grad((y * T.tensor(w)).sum(), x, create_graph=True)
        (g2,) = T.autograd.grad((g1 * g1).sum(), x, create_graph=True)
        (g3,) = T.autograd.grad((g2 ** 2).sum(), x)
        return [t.detach().numpy().tobytes() for t in (g1, g2, g3)]

    assert run(engine) == run(torch)
