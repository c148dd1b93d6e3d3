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


# --------------------------------------------------------------------------- float16 Scalars
# doubles whose direct rounding to half differs from torch's (through float first)
_HALF_TWICE = [1.8588867, 3.1806641588613678, -0.316284172686335, -2.5322266331470855,
               0.7824707065062091, -2.743164137499491]
_XH = np.random.default_rng(1).uniform(-4, 4, (4, 6)).astype(np.float16)
_MASK = np.random.default_rng(2).random((4, 6)) < 0.5


def _half_scalar_sites():
    x = lambda T: T.tensor(_XH)  # noqa: E731
    m = lambda T: T.tensor(_MASK)  # noqa: E731
    f16 = lambda T: T.float16  # noqa: E731
    fn = lambda T: torch.nn.functional if T is torch else engine.nn.functional  # noqa: E731

    def setitem(key):
        def run(T, v):
            t = x(T).clone()
            t[key(T)] = v
            return t
        return run

    def setitem_recorded(T, v):
        y = x(T).float().requires_grad_().half() * 1
        y[m(T)] = v
        return y

    return {
        "full": lambda T, v: T.full((3,), v, dtype=f16(T)),
        "full_like": lambda T, v: T.full_like(x(T), v),
        "new_full": lambda T, v: x(T).new_full((2,), v),
        "fill_": lambda T, v: x(T).fill_(v),
        "fill_ recorded": lambda T, v: (x(T).float().requires_grad_().half() * 1).fill_(v),
        "setitem": setitem(lambda T: 1),
        "setitem mask": setitem(m),
        "setitem recorded": setitem_recorded,
        "masked_fill": lambda T, v: x(T).masked_fill(m(T), v),
        "masked_fill float64 0-d": lambda T, v: x(T).masked_fill(
            m(T), T.tensor(v, dtype=T.float64)),
        "index_fill": lambda T, v: x(T).index_fill(1, T.tensor([0, 2]), v),
        "scatter value": lambda T, v: x(T).scatter(1, T.zeros(4, 1, dtype=T.int64), v),
        "clamp": lambda T, v: x(T).clamp(-abs(v), abs(v)),
        "where": lambda T, v: T.where(m(T), x(T), v),
        "add": lambda T, v: x(T) + v,
        "rsub": lambda T, v: v - x(T),
        "add_": lambda T, v: x(T).add_(v),
        "ge": lambda T, v: T.full((2,), v, dtype=T.float32).half() >= v,
        "ne": lambda T, v: T.full((2,), v, dtype=T.float32).half() != v,
        "float64 0-d operand": lambda T, v: x(T) + T.tensor(v, dtype=T.float64),
        "maximum float64 0-d": lambda T, v: T.maximum(x(T), T.tensor(v, dtype=T.float64)),
        "threshold": lambda T, v: fn(T).threshold(x(T), v, -v),
        "hardtanh": lambda T, v: fn(T).hardtanh(x(T), -abs(v), abs(v)),
        "hardshrink": lambda T, v: fn(T).hardshrink(x(T), abs(v)),
        "nan_to_num": lambda T, v: T.nan_to_num(
            T.tensor([float("nan"), float("inf"), -float("inf")], dtype=f16(T)),
            nan=v, posinf=2 * v, neginf=-2 * v),
        "pad": lambda T, v: fn(T).pad(x(T), (1, 1), value=v),
        "linspace": lambda T, v: T.linspace(0, v, 5, dtype=f16(T)),
        "sum dtype": lambda T, v: T.tensor([v, v / 3], dtype=T.float64).sum(dtype=f16(T)),
        "cumsum dtype": lambda T, v: T.tensor([v, v / 3], dtype=T.float64).cumsum(
            0, dtype=f16(T)),
        "add alpha": lambda T, v: x(T).add(x(T).flip(0), alpha=v),
        "lerp": lambda T, v: x(T).lerp(x(T).flip(1), v),
        "xlogy": lambda T, v: T.xlogy(x(T), abs(v)),
        "xlogy 0.7": lambda T, v: T.xlogy(x(T), 0.7),
    }


@pytest.mark.parametrize("site", sorted(_half_scalar_sites()))
def test_float16_scalars_reach_half_through_float(site):
    """torch makes a Python float (a Scalar's double) half through float, two roundings:
    1.8588867 is 0x3F70 in torch, 0x3F6F rounded directly (NumPy's cast of a weak scalar)."""
    run = _half_scalar_sites()[site]
    for v in _HALF_TWICE:
        got = [run(T, v).detach().numpy() for T in (engine, torch)]
        assert got[0].dtype == got[1].dtype
        assert got[0].tobytes() == got[1].tobytes(), v


@pytest.mark.parametrize("name", ["lerp", "lerp tensor weight", "addcmul", "addcdiv",
                                  "add alpha", "sub alpha", "add number alpha"])
@pytest.mark.parametrize("n", [100000, 77])
def test_float16_fused_pointwise_ops_compute_in_float(name, n):
    """torch's half lerp, addcmul and addcdiv compute in float (a number weight or value made
    a float once) and round to half once: in half steps a third to half of the values were
    off. add/sub with alpha: alpha made half, ``x + alpha * y`` in float, except in the
    scalar remainder past the last whole 32-element vector, where c10::Half rounds the
    product first."""
    rng = np.random.default_rng(n)
    a, b = (rng.uniform(-4, 4, n).astype(np.float16) for _ in range(2))
    c = rng.uniform(0.5, 4, n).astype(np.float16)
    calls = {
        "lerp": lambda T, A, B, C, v: T.lerp(A, B, v),
        "lerp tensor weight": lambda T, A, B, C, v: T.lerp(A, B, C / 4),
        "addcmul": lambda T, A, B, C, v: T.addcmul(A, B, C, value=v),
        "addcdiv": lambda T, A, B, C, v: T.addcdiv(A, B, C, value=v),
        "add alpha": lambda T, A, B, C, v: T.add(A, B, alpha=v),
        "sub alpha": lambda T, A, B, C, v: T.sub(A, B, alpha=v),
        "add number alpha": lambda T, A, B, C, v: T.add(A, v, alpha=v),
    }
    for v in (0.3, 0.7, 1.8588867):
        got = [calls[name](T, T.tensor(a), T.tensor(b), T.tensor(c), v).numpy()
               for T in (engine, torch)]
        assert got[0].tobytes() == got[1].tobytes(), v


@pytest.mark.parametrize("name", ["maximum", "minimum", "fmax", "fmin"])
def test_maximum_minimum_gradients_are_masked_fills(name):
    """torch's maximum/minimum formula is ``where(x == y, g / 2, g).masked_fill_(loses, 0)``:
    under create_graph the gradients are MaskedFillBackward0's (the engine's were
    WhereBackward0's), filled in place (version 1); fmax/fmin fill out of place."""
    rng = np.random.default_rng(4)
    a = rng.integers(-3, 3, (4, 5)).astype(np.float32)
    b = rng.integers(-3, 3, (4, 5)).astype(np.float32)
    a[0, 0] = np.nan
    g = rng.standard_normal((4, 5)).astype(np.float32)

    def run(T):
        x, y = T.tensor(a, requires_grad=True), T.tensor(b, requires_grad=True)
        go = T.tensor(g, requires_grad=True)
        gx, gy = T.autograd.grad(getattr(T, name)(x, y), (x, y), go, create_graph=True)
        names = [type(t.grad_fn).__name__ if T is torch else t.grad_fn.name()
                 for t in (gx, gy)]
        ((gx * gx).sum() + (gy * 3).sum()).backward()
        return names, gx._version, gy._version, gx.detach().numpy().tobytes(), \
            gy.detach().numpy().tobytes(), go.grad.numpy().tobytes()

    assert run(engine) == run(torch)


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
@pytest.mark.parametrize("n", [50, 77, 1000])
def test_softshrink_is_torchs_kernel(dtype, n):
    """softshrink: in float for half (one rounding), and inside (-lambd, lambd) +0. in the
    whole 64-byte vectors (NaN kept) but ``x * 0`` in the scalar remainder."""
    rng = np.random.default_rng(n)
    a = rng.uniform(-2, 2, n).astype(dtype)
    a[:3] = [np.nan, -0.0, 0.0]
    a[-2] = np.nan
    for lambd in (0.3, 0.7, 1.8588867):
        got = [T.nn.functional.softshrink(T.tensor(a), lambd).numpy() for T in (engine, torch)]
        assert got[0].tobytes() == got[1].tobytes(), lambd
