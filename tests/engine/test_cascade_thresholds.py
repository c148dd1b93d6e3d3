"""The fast paths of engine/ops/cascade.py against torch, bitwise, on both sides of every
threshold they introduce: a row shorter than two vectors is one sequential chain in a fixed
order (float32 below 16 values, float64 below 8; the identity up to 4 values, then the scalar
accumulators' order below one vector, then tail-then-lanes), longer rows go through four
vector accumulators (no leftover stream below 4 vectors, sequential streams below 64 vectors,
torch's cascade from 64 vectors on), and the last-dim float32 2-norm (no vector below 8
values, a rounded-squares tail in fours, fused multiply-adds for the last 1-3 values). The
data are the kind an order shows in: mixed magnitudes, cancellation, and exact -0/inf/nan."""

from __future__ import annotations

import numpy as np
import pytest

import engine as E
from engine.ops import cascade

torch = pytest.importorskip("torch")


def _lengths(lanes: int) -> list[int]:
    around = {1, 2, 3, 4, 5, lanes - 1, lanes, lanes + 1, 2 * lanes - 1, 2 * lanes,
              2 * lanes + 1, 3 * lanes, 4 * lanes - 1, 4 * lanes, 4 * lanes + 1,
              5 * lanes + 3, 8 * lanes - 1, 8 * lanes, 64 * lanes - 1, 64 * lanes,
              64 * lanes + 1, 64 * lanes + lanes - 1, 68 * lanes + 5, 1024 * lanes + 3}
    return sorted(n for n in around if n >= 1)


def _rows(rng, shape, dtype, kind):
    x = rng.standard_normal(shape)
    if kind == 1:  # mixed magnitudes
        x *= 10.0 ** rng.integers(-9, 10, size=shape)
    elif kind == 2:  # large values that cancel, small ones riding on them
        x = np.round(x * 4) * 2.0 ** 24 + rng.standard_normal(shape)
        x[..., 1::2] = -x[..., ::2][..., :x[..., 1::2].shape[-1]] + rng.standard_normal(
            x[..., 1::2].shape)
    return x.astype(dtype)


def _bits(a: np.ndarray) -> np.ndarray:
    a = np.ascontiguousarray(a)
    return a.view(np.int32 if a.dtype == np.float32 else np.int64)


@pytest.mark.parametrize("dtype, lanes", [(np.float32, 8), (np.float64, 4)])
def test_row_sums_around_every_threshold_are_torchs_bits(dtype, lanes):
    rng = np.random.default_rng(16)
    for length in _lengths(lanes):
        for rows in ((), (1,), (3,), (2, 3)):
            for kind in range(3):
                x = _rows(rng, rows + (length,), dtype, kind)
                t, e = torch.from_numpy(x), E.tensor(x)
                for name in ("sum", "mean"):
                    want = getattr(t, name)(-1).numpy()
                    got = getattr(e, name)(-1).numpy()
                    np.testing.assert_array_equal(_bits(got), _bits(want),
                                                  err_msg=f"{name} {x.shape} {kind}")
                if x.size <= cascade.GRAIN_SIZE:  # (beyond: threads, not modelled)
                    np.testing.assert_array_equal(_bits(e.sum().numpy()),
                                                  _bits(t.sum().numpy()),
                                                  err_msg=f"sum() {x.shape} {kind}")


@pytest.mark.parametrize("dtype, lanes", [(np.float32, 8), (np.float64, 4)])
def test_short_rows_with_signed_zeros_and_specials_are_torchs(dtype, lanes):
    rng = np.random.default_rng(3)
    values = np.array([-0.0, 0.0, 1.0, -1.0, np.inf, -np.inf, np.nan, 3e38, -3e38, 1e-45])
    for length in range(1, 2 * lanes + 2):
        for _ in range(40):
            x = rng.choice(values, size=(4, length)).astype(dtype)
            want = torch.from_numpy(x).sum(-1).numpy()
            got = E.tensor(x).sum(-1).numpy()
            np.testing.assert_array_equal(got, want, err_msg=str(x))
            real = ~np.isnan(want)  # (a nan's sign bit is not modelled: repr never shows it)
            np.testing.assert_array_equal(_bits(got)[real], _bits(want)[real], err_msg=str(x))


def test_last_dim_float32_norms_around_every_threshold_are_torchs_bits():
    rng = np.random.default_rng(17)
    for length in sorted(set(range(1, 26)) | {31, 32, 33, 35, 36, 37, 39, 255, 256, 259, 1027}):
        for rows in ((1,), (5,)):
            for kind in range(3):
                x = _rows(rng, rows + (length,), np.float32, kind)
                want = torch.norm(torch.from_numpy(x), dim=-1).numpy()
                got = E.norm(E.tensor(x), dim=-1).numpy()
                np.testing.assert_array_equal(_bits(got), _bits(want), err_msg=f"{x.shape}")


@pytest.mark.parametrize("dtype, lanes", [(np.float32, 8), (np.float64, 4)])
def test_sums_over_leading_and_middle_dims_are_torchs_bits(dtype, lanes):
    # torch's outer reduction: columns in groups of 4 vectors (of 4 columns when narrower than
    # a vector) take the cascade down the rows, the rest row_sum's four interleaved streams;
    # NumPy's outer-axis sum is sequential, which differed from 5 rows on
    rng = np.random.default_rng(18)
    widths = sorted({2, 3, 4, 5, 7, lanes - 1, lanes, lanes + 1, 4 * lanes - 1, 4 * lanes,
                     4 * lanes + 1, 4 * lanes + lanes + 3, 8 * lanes + 1})
    for n in (1, 2, 3, 4, 5, 7, 15, 16, 17, 63, 64, 65, 255, 256, 257, 1000):
        for d in widths:
            for kind in range(3):
                x = _rows(rng, (n, d), dtype, kind)
                t, e = torch.from_numpy(x), E.tensor(x)
                label = f"{x.shape} {kind}"
                np.testing.assert_array_equal(_bits(e.sum(0).numpy()), _bits(t.sum(0).numpy()),
                                              err_msg=label)
                np.testing.assert_array_equal(_bits(e.mean(0, keepdim=True).numpy()),
                                              _bits(t.mean(0, keepdim=True).numpy()),
                                              err_msg=label)
                if n * d * 3 <= cascade.GRAIN_SIZE:
                    y = np.stack([x, -x[::-1], x * 3])
                    np.testing.assert_array_equal(
                        _bits(E.tensor(y).sum(1).numpy()),
                        _bits(torch.from_numpy(y).sum(1).numpy()), err_msg=label)
                if n % 2 == 0:
                    z = x.reshape(2, n // 2, d)
                    np.testing.assert_array_equal(
                        _bits(E.tensor(z).sum((0, 1)).numpy()),
                        _bits(torch.from_numpy(z).sum((0, 1)).numpy()), err_msg=label)


def test_bias_gradients_of_a_linear_layer_are_torchs_bits():
    # the un-broadcasting sum of a bias's gradient is a sum over dim 0
    rng = np.random.default_rng(19)
    for batch, width in ((5, 3), (17, 10), (64, 33), (300, 8)):
        g = _rows(rng, (batch, width), np.float32, 1)
        tb = torch.zeros(width, requires_grad=True)
        (torch.zeros(batch, width) + tb).backward(torch.from_numpy(g))
        eb = E.zeros(width, requires_grad=True)
        (E.zeros(batch, width) + eb).backward(E.tensor(g))
        np.testing.assert_array_equal(_bits(eb.grad.numpy()), _bits(tb.grad.numpy()))


def test_outer_sums_with_signed_zeros_and_specials_are_torchs():
    rng = np.random.default_rng(4)
    values = np.array([-0.0, 0.0, 1.0, -1.0, np.inf, -np.inf, 3e38, -3e38, 1e-45])
    for n in (1, 2, 3, 5, 17):
        for d in (2, 5, 9, 33):
            x = rng.choice(values, size=(n, d)).astype(np.float32)
            want = torch.from_numpy(x).sum(0).numpy()
            got = E.tensor(x).sum(0).numpy()
            real = ~np.isnan(want)
            np.testing.assert_array_equal(_bits(got)[real], _bits(want)[real], err_msg=str(x))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_outer_plan_gives_the_general_paths_bits(dtype):
    # sum(0) of a C-contiguous matrix (every Linear bias gradient) takes a per-shape plan
    # (cascade._outer_plan) with the same operations as _outer_sums: every bit the same on
    # both sides of each of its thresholds (16-row blocks, 16-block groups, 4 streams and
    # their leftover rows, groups of 4 vectors of columns, the 4096-row limit), -0 included
    rng = np.random.default_rng(20)
    for n in (1, 2, 3, 4, 5, 15, 16, 17, 63, 64, 65, 67, 255, 256, 257, 271, 1023, 1024, 4095,
              4096, 4097):
        for d in (2, 3, 4, 5, 7, 8, 9, 10, 16, 31, 32, 33, 45, 256):
            x = _rows(rng, (n, d), dtype, n % 3)
            x[rng.random((n, d)) < 0.05] = -0.0
            want = cascade._outer_sums(x[None])[0]
            np.testing.assert_array_equal(_bits(cascade.add_reduce(x, (0,), False, dtype)),
                                          _bits(want), err_msg=f"{x.shape}")
    assert cascade._OUTER[((4096, 2), np.dtype(dtype))] is False
