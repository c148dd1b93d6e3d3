"""torch's variance statistics (engine/ops/welford.py) against torch, bitwise, at every length:
the Welford loop per output in memory order (float64 and float32 reductions of any length, any
number of outputs: before, float64 reductions longer than 64 per output or over 8,192 elements
took NumPy's two passes, 1,032 of 6,000 random results differed), and a single output of at
least 32,768 elements split between torch's threads, the chunks combined with fused
multiply-adds. Deterministic: fixed seeds, and the thread count is set on both sides (torch's
split of a long reduction is fixed by its thread count, not by timing)."""

from __future__ import annotations

import numpy as np
import pytest

import engine as E
from engine import backends

torch = pytest.importorskip("torch")


def _bits(x) -> np.ndarray:
    return np.ascontiguousarray(x.numpy()).reshape(-1).view(np.uint8)


def _same(a: np.ndarray, dtype: str, dims, perm=None, what=""):
    got = []
    for T in (E, torch):
        t = T.tensor(a, dtype=getattr(T, dtype))
        if perm is not None:
            t = t.permute(*perm)
        got.append([_bits(r) for r in T.var_mean(t, dim=dims) + T.std_mean(t, dim=dims)])
    for name, x, y in zip(("var", "mean", "std", "std_mean's mean"), *got, strict=True):
        np.testing.assert_array_equal(x, y, err_msg=f"{name} {what} {a.shape} {perm} {dims}")


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_var_mean_of_any_length_bitwise_as_torch(dtype):
    """Random shapes up to 40 per dim (reductions from 1 to 64,000 elements per output,
    up to 64,000 elements in all), offsets, integer-valued data, permuted inputs."""
    rng = np.random.default_rng(11 if dtype == "float64" else 12)
    for i in range(160):
        shape = tuple(int(rng.integers(1, 40)) for _ in range(int(rng.integers(1, 4))))
        a = rng.standard_normal(shape) * rng.choice([1.0, 1e3]) + rng.choice([0.0, 5.0])
        if rng.random() < 0.3:
            a = np.round(a)
        perm = rng.permutation(len(shape)).tolist() if rng.random() < 0.3 else None
        dims = None if rng.random() < 0.4 else tuple(sorted(rng.choice(
            len(shape), int(rng.integers(1, len(shape) + 1)), replace=False).tolist()))
        _same(a, dtype, dims, perm, what=str(i))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_long_float64_rows_and_many_outputs(dtype):
    """The lengths the old caps cut off: 65-2,000 values per output, few and many outputs
    (the Python-float loop below 8 outputs, NumPy steps across outputs from 8)."""
    rng = np.random.default_rng(3)
    for shape, dims in [((1, 65), (1,)), ((3, 200), (1,)), ((7, 1000), (1,)), ((8, 300), (1,)),
                        ((300, 9), (0,)), ((40, 50, 6), (0, 1)), ((2000,), None),
                        ((9, 33, 30), (1, 2)), ((5, 4, 700), (0, 2))]:
        a = rng.standard_normal(shape) * 1e3 + 5.0
        _same(a, dtype, dims)


@pytest.mark.parametrize("threads", [1, 2])
def test_one_long_output_split_between_threads(threads):
    """A single output of >= 32,768 elements: torch runs one chunk per thread (ceil(N / 2)
    each on 2 threads) and combines them with fused multiply-adds; chunks of very different
    means make the combination's rounding show (the unfused form differs in 17 of 72 such
    cases). Sizes on both sides of the grain."""
    before = torch.get_num_threads()
    rng = np.random.default_rng(5)
    try:
        torch.set_num_threads(threads)
        assert torch.get_num_threads() == threads
        with backends.use_cpu_state((threads,) + backends.cpu_state()[1:]):
            for n in (32767, 32768, 32769, 40001, 65537):
                for k in range(3):
                    step = np.where(np.arange(n) < n // 2, 0.0, rng.standard_normal() * 1e4)
                    a = rng.standard_normal(n) * [1e-3, 1.0, 1e3][k] + step
                    for dtype in ("float32", "float64"):
                        _same(a, dtype, None, what=f"threads={threads} n={n}")
                        _same(a.reshape(-1, 1), dtype, (0,), what=f"threads={threads}")
    finally:
        torch.set_num_threads(before)


def test_infinities_in_long_rows():
    """The running mean meets an infinity: NaN unless it is the last value (any length)."""
    a = np.random.default_rng(3).standard_normal((4, 300))
    a[0, 50], a[1, -1], a[2, 3], a[2, 9] = np.inf, np.inf, -np.inf, np.inf
    for dtype in ("float32", "float64"):
        _same(a, dtype, (1,))
