"""engine/ops/_fma.py's chunked fused multiply-add (session 10): the same bits as the whole-array
emulation ``_fma_vec`` (rounding to odd everywhere) on operands made to hit its special
cases: float32 sums on a float32 midpoint, sums below float32's normal range, float64 error
terms that land on a rounding boundary, the splitting's unsafe range, zeros of both signs,
infinities, NaNs; scalar and array ``a``, one-element operands, ``out`` that is ``c`` (an
in-place update), and arrays large enough for the thread pool. torch's bits, where torch is
installed."""

from __future__ import annotations

import numpy as np
import pytest

from engine._parallel import MIN_ELEMENTS
from engine.ops import _fma


def _triples(dtype, n, seed=0):
    rng = np.random.default_rng(seed)
    fi = np.finfo(dtype)
    k = n // 7
    parts = [[rng.standard_normal(k) for _ in range(3)]]
    e = 60 if dtype == np.float32 else 500
    parts.append([rng.standard_normal(k) * 2.0 ** rng.integers(-e, e, k) for _ in range(3)])
    a, b = rng.standard_normal(k), rng.standard_normal(k)
    c = -(a.astype(dtype) * b.astype(dtype)).astype(np.float64) * (
        1 + rng.integers(-4, 5, k) * float(fi.eps))
    parts.append([a, b, c])  # cancellations
    # float32 midpoints: (1 + j 2**-23)(1 - j 2**-23) 2**-24 added to c lands a hair below a
    # midpoint of c's grid, and the float64 sum rounds onto it
    j = rng.integers(1, 2 ** 10, k)
    c = (1 + rng.integers(0, 2 ** 10, k) * 2.0 ** -23) * rng.choice([1.0, -1.0], k)
    parts.append([2.0 ** -12 * (1 + j * 2.0 ** -23) * np.sign(c), 2.0 ** -12 * (1 - j * 2.0 ** -23),
                  c])
    parts.append([rng.integers(-3, 4, k).astype(float) for _ in range(3)])  # exact, zeros
    t = float(fi.tiny)
    parts.append([rng.standard_normal(k) * 2.0 ** rng.integers(-20, 20, k),
                  rng.standard_normal(k) * t * 2.0 ** rng.integers(-20, 5, k),
                  rng.standard_normal(k) * t * 2.0 ** rng.integers(-24, 4, k)])
    x = [rng.standard_normal(k) for _ in range(3)]
    for arr in x:
        idx = rng.integers(0, k, k // 10)
        arr[idx] = rng.choice([0.0, -0.0, np.inf, -np.inf, np.nan, float(fi.max), t], idx.size)
    parts.append(x)
    with np.errstate(all="ignore"):
        return [np.concatenate([p[i] for p in parts]).astype(dtype) for i in range(3)]


def _same_bits(x, y):
    assert x.dtype == y.dtype and x.shape == y.shape
    np.testing.assert_array_equal(x.view(np.uint8), y.view(np.uint8))


def _same_bits_but_nan(x, y, a, b, c, exact):
    """``x`` (``fma(a, b, c)``) has ``y``'s bits (the emulation's), except, where ``exact`` is
    false (the hardware's fma), which NaN, and in float64 outside the emulation's safe range
    (``_fma_vec``: huge operands, products below 1e-290), where it computes ``a*b + c`` with
    two roundings (and an overflowing product) and the hardware does not: there ``x`` is
    torch's (where torch is installed)."""
    if exact:
        return _same_bits(x, y)
    safe = np.ones(x.shape, bool)
    if y.dtype == np.float64:
        with np.errstate(all="ignore"):
            safe = (np.abs(a) < 1e290) & (np.abs(b) < 1e290) & (np.abs(a * b) > 1e-290) & \
                (np.abs(c) < 1e300) & np.isfinite(y)
        try:
            import torch
        except ImportError:
            torch = None
        if torch is not None:
            want = torch.from_numpy(np.broadcast_to(c, x.shape).copy()).add_(
                torch.from_numpy(np.broadcast_to(b, x.shape).copy()), alpha=float(a)).numpy()
            _same_bits_nan(x[~safe], want[~safe])
    _same_bits_nan(x[safe], y[safe])


def _same_bits_nan(x, y):
    nan = np.isnan(y)
    np.testing.assert_array_equal(np.isnan(x), nan)
    _same_bits(x[~nan], y[~nan])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_chunked_fma_same_bits_as_the_whole_array_emulation(dtype):
    a, b, c = _triples(dtype, 140_000)
    with np.errstate(all="ignore"):
        _same_bits(_fma.fma(a, b, c), _fma._fma_vec(a, b, c))
        for s in (-0.01, 0.3, -1.7, 1.0, -1.0, 0.5, -2.0, 3.0, 1e-30, 0.0, np.inf, np.nan):
            v = dtype(s)
            # (a number ``a``: the hardware's fma where BLAS has it, test_fma_blas.py; it
            # answers ``c``'s NaN where ``0 * inf`` meets a NaN ``c``, as torch, and rounds once
            # in float64's range the splitting leaves to ``a*b + c``)
            _same_bits_but_nan(_fma.fma(v, b, c), _fma._fma_vec(v, b, c), v, b, c,
                               exact=_fma._axpy_for(np.dtype(dtype)) is None)
            _same_bits_but_nan(_fma.fma(a, v, c), _fma._fma_vec(a, v, c), v, a, c,
                               exact=_fma._axpy_for(np.dtype(dtype)) is None)
            _same_bits(_fma.fma(a, b, v), _fma._fma_vec(a, b, v))
        # in place: ``out`` is ``c``
        cc = c.copy()
        assert _fma.fma(dtype(-0.01), b, cc, out=cc) is cc
        _same_bits_but_nan(cc, _fma._fma_vec(dtype(-0.01), b, c), dtype(-0.01), b, c,
                           exact=_fma._axpy_for(np.dtype(dtype)) is None)
        # a layout the chunks do not take: the whole-array path, the same bits
        _same_bits(_fma.fma(a[::2].reshape(-1, 10).T, b[::2].reshape(-1, 10).T, c[0]),
                   _fma._fma_vec(a[::2].reshape(-1, 10).T, b[::2].reshape(-1, 10).T, c[0]))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_chunked_fma_on_the_thread_pool_and_shapes(dtype):
    rng = np.random.default_rng(1)
    n = MIN_ELEMENTS + 12_344
    b = rng.standard_normal(n).astype(dtype).reshape(-1, 4)
    c = rng.standard_normal(n).astype(dtype).reshape(-1, 4)
    _same_bits(_fma.fma(dtype(0.3), b, c), _fma._fma_vec(dtype(0.3), b, c))
    out = np.empty_like(c)
    assert _fma.fma(b, c, b, out=out) is out
    _same_bits(out, _fma._fma_vec(b, c, b))
    _same_bits(_fma.fma(np.array([2.5], dtype), b[:3], c[:3]),
               _fma._fma_vec(np.array([2.5], dtype), b[:3], c[:3]))
    assert _fma.fma(dtype(2), np.ones((0, 3), dtype), np.ones((0, 3), dtype)).shape == (0, 3)
    zero_d = _fma.fma(np.array(2.0, dtype), np.array(3.0, dtype), np.array(1.0, dtype))
    assert zero_d.shape == () and zero_d == 7


def test_float32_midpoints_round_once_as_torch():
    torch = pytest.importorskip("torch")
    a, b, c = _triples(np.float32, 70_000, seed=3)
    with np.errstate(all="ignore"):
        twice = (a.astype(np.float64) * b + c).astype(np.float32)
        got = _fma.fma(a, b, c)
    want = torch.addcmul(torch.from_numpy(c), torch.from_numpy(a), torch.from_numpy(b)).numpy()
    assert (twice.view(np.uint32) != want.view(np.uint32)).sum() > 1000  # the cases are hit
    # (NaNs: the same places; which NaN's bits, where ``0 * inf`` meets a NaN ``c``, is not
    # modelled: torch answers ``c``'s)
    nan = np.isnan(want)
    np.testing.assert_array_equal(np.isnan(got), nan)
    _same_bits(got[~nan], want[~nan])
