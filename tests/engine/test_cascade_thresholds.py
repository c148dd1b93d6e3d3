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
