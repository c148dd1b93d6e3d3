"""engine/ops/_fma.py's hardware path (session 16): ``fma(a, x, y)`` with a number ``a`` (an
optimizer's ``add_(g, alpha=-lr)``, ``add(x, y, alpha=)``, ``lerp_`` with a small weight) by
OpenBLAS's fused ``axpy`` kernel in whole blocks, after a probe showed it rounds once. torch's
bits (its CPU kernels round ``y + alpha * x`` once) at every length, alignment and chunk
boundary; the probe refuses a kernel that rounds twice anywhere; an SGD step no longer runs the
emulation."""

from __future__ import annotations

import numpy as np
import pytest

import engine
from engine import _cpu
from engine.ops import _fma

torch = pytest.importorskip("torch")

DTYPES = [np.float32, np.float64]
BLAS = _fma._openblas() is not None and "fma" in _cpu.flags()


def _bits(x):
    return x.view(np.uint8)


def _torch_add(c, b, alpha):
    return torch.from_numpy(c.copy()).add_(torch.from_numpy(b.copy()), alpha=float(alpha)).numpy()


@pytest.mark.parametrize("dtype", DTYPES)
def test_the_fused_kernel_is_found_where_the_library_and_the_cpu_have_it(dtype):
    if not BLAS:
        pytest.skip("no bundled OpenBLAS or no FMA on this CPU")
    assert _fma._axpy_for(np.dtype(dtype)) is not None


@pytest.mark.parametrize("dtype", DTYPES)
def test_torchs_bits_at_every_length_alignment_and_chunk_boundary(dtype):
    rng = np.random.default_rng(3)
    chunk = _fma._AXPY_CHUNK
    sizes = list(range(1, 140)) + [chunk - 1, chunk, chunk + 1, 2 * chunk + 63, 200_704]
    for n in sizes:
        for off in (0, 1, 3):
            b = np.empty(n + off, dtype)[off:]
            b[...] = rng.standard_normal(n) * 2.0 ** rng.integers(-6, 6, n)
            c = np.empty(n + 2 * off, dtype)[2 * off:]
            c[...] = rng.standard_normal(n)
            a = dtype(rng.standard_normal() * 0.1)
            want = _torch_add(c, b, a)
            got = c.copy()
            assert _fma.fma(a, b, got, out=got) is got  # in place (an optimizer's add_)
            np.testing.assert_array_equal(_bits(got), _bits(want), err_msg=f"{dtype} {n} {off}")
            np.testing.assert_array_equal(_bits(_fma.fma(a, b, c)), _bits(want))  # a new array
            same = b.copy()  # x is y
            _fma.fma(a, same, same, out=same)
            np.testing.assert_array_equal(_bits(same), _bits(_torch_add(b, b, a)))


@pytest.mark.parametrize("dtype", DTYPES)
def test_special_values_as_torch(dtype):
    fi = np.finfo(dtype)
    vals = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, fi.max, -fi.max, fi.tiny,
                     fi.smallest_subnormal, 1.0, -1.0], dtype)
    b, c = (x.ravel() for x in np.meshgrid(vals, vals))
    b, c = np.tile(b, 3), np.tile(c, 3)  # (over a block: the kernel's own path)
    for a in (dtype(-0.01), dtype(3.0), dtype(-fi.max), dtype(np.inf), dtype(1e-30)):
        with np.errstate(all="ignore"):
            got = _fma.fma(a, b, c)
        want = _torch_add(c, b, a)
        nan = np.isnan(want)
        np.testing.assert_array_equal(np.isnan(got), nan)
        np.testing.assert_array_equal(_bits(got[~nan]), _bits(want[~nan]))


@pytest.mark.parametrize("dtype", DTYPES)
def test_the_probe_refuses_a_kernel_that_rounds_twice_anywhere(dtype):
    def twice(n, alpha, x, incx, y, incy, tail=None):
        xs = np.ctypeslib.as_array((np.ctypeslib.as_ctypes_type(dtype) * n).from_address(x))
        ys = np.ctypeslib.as_array((np.ctypeslib.as_ctypes_type(dtype) * n).from_address(y))
        fused = _fma._fma_vec(dtype(alpha), xs, ys)
        plain = (dtype(alpha) * xs + ys).astype(dtype)
        k = n if tail is None else n - n % tail
        ys[:k] = plain[:k] if tail is None else fused[:k]
        ys[k:] = plain[k:]

    with np.errstate(all="ignore"):
        assert not _fma._probe_axpy(dtype, twice)
        assert _fma._probe_axpy(dtype, lambda *a: twice(*a, tail=1))  # (fused throughout)
        # fused except for a scalar tail of the last n % 32 elements, as OpenBLAS's kernels:
        # accepted, the engine calls it with whole blocks of 64; a tail the engine's lengths
        # would reach (n % 128): refused
        assert _fma._probe_axpy(dtype, lambda *a: twice(*a, tail=32))
        assert not _fma._probe_axpy(dtype, lambda *a: twice(*a, tail=_fma._AXPY_BLOCK * 2))


def test_alpha_zero_and_strided_operands_keep_the_emulation():
    b = np.array([np.inf, 1.0, 2.0] * 30, np.float32)
    c = np.array([-0.0, -0.0, 5.0] * 30, np.float32)
    got = _fma.fma(np.float32(0.0), b, c)  # (OpenBLAS's axpy returns at once for alpha 0)
    want = _torch_add(c, b, 0.0)
    nan = np.isnan(want)
    assert nan[0] and np.isnan(got[0])
    np.testing.assert_array_equal(_bits(got[~nan]), _bits(want[~nan]))
    bb = np.arange(400, dtype=np.float32)[::2] / 7
    cc = np.ones(200, np.float32)
    np.testing.assert_array_equal(_bits(_fma.fma(np.float32(-0.3), bb, cc)),
                                  _bits(_torch_add(cc, bb, -0.3)))


def test_an_sgd_step_does_not_run_the_emulation(monkeypatch):
    if not BLAS:
        pytest.skip("no bundled OpenBLAS or no FMA on this CPU")

    def refused(*args, **kwargs):
        raise AssertionError("the emulation ran")

    rng = np.random.default_rng(0)
    w0 = rng.standard_normal((256, 784)).astype(np.float32)
    g0 = rng.standard_normal((256, 784)).astype(np.float32) * 1e-2
    w = engine.tensor(w0.copy(), requires_grad=True)
    w.grad = engine.tensor(g0)
    opt = engine.optim.SGD([w], lr=0.01)
    monkeypatch.setattr(_fma, "_kernel32", refused)
    monkeypatch.setattr(_fma, "_fma_vec", refused)
    opt.step()
    tw = torch.tensor(w0.copy(), requires_grad=True)
    tw.grad = torch.tensor(g0)
    torch.optim.SGD([tw], lr=0.01).step()
    np.testing.assert_array_equal(_bits(w.detach().numpy()), _bits(tw.detach().numpy()))


@pytest.mark.parametrize("dtype", DTYPES)
def test_lerp_with_a_large_weight_as_torch(dtype):
    # ``lerp_(end, w)`` for w >= 0.5 is ``fma(-(end - a), 1 - w, end)``: the number second
    rng = np.random.default_rng(4)
    for n in (5, 64, 1000, 8193):
        a0 = rng.standard_normal(n).astype(dtype)
        e0 = rng.standard_normal(n).astype(dtype)
        for w in (0.9, 0.5, 0.25):
            got = engine.tensor(a0.copy()).lerp_(engine.tensor(e0), w)
            want = torch.from_numpy(a0.copy()).lerp_(torch.from_numpy(e0), w)
            np.testing.assert_array_equal(_bits(got.numpy()), _bits(want.numpy()))
        np.testing.assert_array_equal(
            _bits(_fma.fma(-(e0 - a0), dtype(0.1), e0)),
            _bits(torch.from_numpy(e0).add(torch.from_numpy(-(e0 - a0)), alpha=0.1).numpy()))


def test_warm_probes_both_dtypes_at_once(monkeypatch):
    monkeypatch.setattr(_fma, "_AXPY", {})
    _fma.warm()
    assert set(_fma._AXPY) == {np.dtype(np.float32), np.dtype(np.float64)}
    if BLAS:
        assert all(f is not None for f in _fma._AXPY.values())
