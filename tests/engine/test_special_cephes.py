"""engine/ops/special_cephes.py and engine/ops/_fma.py against torch 2.13: bessel_j0/j1/y0/y1
and airy_ai bit for bit (torch's Cephes-based values, not the mathematical ones), their
special values, dtypes and errors, and the fused multiply-add emulation against exact
rational arithmetic."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

import engine
import engine.special
from engine.ops._fma import fma, libm

NAMES = ("bessel_j0", "bessel_j1", "bessel_y0", "bessel_y1", "airy_ai")
EDGES = [0.0, -0.0, np.inf, -np.inf, np.nan, 1e-300, 5e-324, -1e-300, 1e-6, 9e-6, 1e-5, 5.0,
         np.nextafter(5.0, 6.0), -5.0, 2.09, -2.09, 8.3203353, 103.892, 103.9, -103.9, -1e10,
         1e10, 1e20, 1e155, 1e300, -2.0, -3.5]


def _draw(dtype, n=10_000, seed=0):
    rng = np.random.default_rng(seed)
    q = n // 4
    parts = [rng.uniform(-5, 5, q), rng.uniform(0, 30, q), np.exp(rng.uniform(-12, 6, q)),
             rng.uniform(-50, 50, n - 3 * q)]
    return np.concatenate(parts).astype(dtype)


def _same(a, b):
    return ((a == b) & (np.signbit(a) == np.signbit(b))) | (np.isnan(a) & np.isnan(b))


def test_fma_is_rounded_once():
    rng = np.random.default_rng(5)
    a = rng.standard_normal(3000) * 10.0 ** rng.uniform(-5, 5, 3000)
    b = rng.standard_normal(3000)
    c = -a * b * (1 + rng.standard_normal(3000) * 1e-8)   # heavy cancellation
    got = fma(a, b, c)
    want = [float(Fraction(x) * Fraction(y) + Fraction(z)) for x, y, z in zip(a, b, c)]
    assert np.array_equal(got, np.array(want))
    a32, b32, c32 = a.astype(np.float32), b.astype(np.float32), c.astype(np.float32)
    got = fma(a32, b32, c32)
    assert got.dtype == np.float32
    exact = [Fraction(float(x)) * Fraction(float(y)) + Fraction(float(z))
             for x, y, z in zip(a32, b32, c32)]
    # the float32 nearest to the exact value: compare against both neighbours
    for g, e in zip(got, exact):
        lo, hi = np.nextafter(g, np.float32(-np.inf)), np.nextafter(g, np.float32(np.inf))
        assert abs(Fraction(float(g)) - e) <= abs(Fraction(float(lo)) - e)
        assert abs(Fraction(float(g)) - e) <= abs(Fraction(float(hi)) - e)


def test_libm_float32_edges():
    x = np.array([np.nan, np.inf, -1.0, 0.0, 1.5], np.float32)
    assert libm("log", x).dtype == np.float32
    assert np.isnan(libm("log", x)[[0, 2]]).all() and libm("log", x)[3] == -np.inf


torch = pytest.importorskip("torch")


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", NAMES)
def test_bitwise_as_torch_on_10000_inputs(name, dtype):
    x = _draw(dtype)
    want = getattr(torch.special, name)(torch.from_numpy(x)).numpy()
    got = engine.to_numpy(getattr(engine.special, name)(engine.tensor(x)))
    assert got.dtype == want.dtype
    bad = ~_same(got, want)
    assert bad.sum() == 0, (x[bad][:5], got[bad][:5], want[bad][:5])


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", NAMES)
def test_special_values_as_torch(name, dtype):
    x = np.array(EDGES, dtype=dtype)
    want = getattr(torch.special, name)(torch.from_numpy(x)).numpy()
    got = engine.to_numpy(getattr(engine.special, name)(engine.tensor(x)))
    assert _same(got, want).all(), (x, got, want)


@pytest.mark.parametrize("name", NAMES)
def test_dtypes_shapes_and_errors_as_torch(name):
    tf, ef = getattr(torch.special, name), getattr(engine.special, name)
    for data in ([1, 2, -3], [True, False]):
        assert str(ef(engine.tensor(data))) == str(tf(torch.tensor(data)))
    assert str(ef(engine.tensor(2.5, dtype=engine.float64))) == str(
        tf(torch.tensor(2.5, dtype=torch.float64)))
    assert tuple(ef(engine.zeros(0, 3)).shape) == (0, 3)
    a = engine.arange(12.0).reshape(3, 4).T
    assert np.array_equal(engine.to_numpy(ef(a)), tf(torch.arange(12.0).reshape(3, 4).T).numpy())
    x = engine.tensor([1.0, 2.0], requires_grad=True)
    y = ef(x)
    assert not y.requires_grad and y.grad_fn is None
    with pytest.raises(NotImplementedError) as theirs:
        tf(torch.ones(2, dtype=torch.float16))
    with pytest.raises(NotImplementedError) as ours:
        ef(engine.ones(2, dtype=engine.float16))
    assert str(ours.value) == str(theirs.value) == f'"{name}_cpu" not implemented for \'Half\''
    with pytest.raises(TypeError) as theirs:
        tf(1.0)
    with pytest.raises(TypeError) as ours:
        ef(1.0)
    assert str(ours.value) == str(theirs.value)


PROGRAM = """
import torch
x = torch.tensor([0.5, 5.0, 9.0, 30.0], dtype=torch.float64)
print(torch.special.bessel_j0(x).tolist(), torch.special.bessel_y1(x).tolist())
print(torch.special.airy_ai(torch.tensor([-2.5, 0.5, 3.0])).tolist())
"""


def test_a_program_reaches_them_through_the_language():
    from tests.app.lang.test_library_end_to_end import ours, torch_prints
    assert ours(PROGRAM) == torch_prints(PROGRAM)
