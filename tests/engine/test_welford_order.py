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


def test_float32_two_passes_only_where_they_decide():
    """float32 statistics come from two float64 passes where a rigorous error bound shows
    they round as torch's loop does; row 27 here is one where they do not (its two-pass mean
    rounds to another float32): it, and only it, takes the loop, and every row is torch's."""
    from engine.ops import welford

    a = (np.random.default_rng(1).standard_normal((64, 40)) * 1e3 + 5).astype(np.float32)
    x = a.astype(np.float64)
    two_pass = (x.sum(1) / 40).astype(np.float32)
    loop = welford._serial(x)[0].astype(np.float32)
    assert np.flatnonzero(two_pass != loop).tolist() == [27]
    assert np.flatnonzero(~welford._certain32(x, 39, False)[2]).tolist() == [27]
    _same(a, "float32", (1,))


def _var_std(T, t, dims, corr):
    return [T.var(t, dim=dims, correction=corr), T.std(t, dim=dims, correction=corr)]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_var_std_bitwise_as_torch(dtype):
    """var/std: more than one output runs the Welford loop (as var_mean), one value torch's
    ``std_var_all_cpu`` (the dtype's own mean, then the squared deviations in double one after
    the other in memory order, a fresh sum per 2-d loop call of its iterator). Permuted and
    sliced inputs, corrections 0-2. Before: 1,727 of 4,200 such results differed (float32
    ones too: the one-value kernel is not a Welford loop)."""
    rng = np.random.default_rng(21 if dtype == "float64" else 22)
    for i in range(120):
        shape = tuple(int(rng.integers(1, 40)) for _ in range(int(rng.integers(1, 4))))
        a = rng.standard_normal(shape) * rng.choice([1.0, 1e3]) + rng.choice([0.0, 5.0, 1e4])
        if rng.random() < 0.3:
            a = np.round(a)
        perm = rng.permutation(len(shape)).tolist() if rng.random() < 0.3 else None
        sliced = rng.random() < 0.3
        dims = None if rng.random() < 0.4 else tuple(sorted(rng.choice(
            len(shape), int(rng.integers(1, len(shape) + 1)), replace=False).tolist()))
        corr = int(rng.choice([0, 1, 2]))
        got = []
        for T in (E, torch):
            t = T.tensor(a, dtype=getattr(T, dtype))
            if perm is not None:
                t = t.permute(*perm)
            if sliced and t.shape[-1] > 2:
                t = t[..., 1::2]
            got.append([_bits(r) for r in _var_std(T, t, dims, corr)])
        for name, x, y in zip(("var", "std"), *got, strict=True):
            np.testing.assert_array_equal(x, y, err_msg=f"{i} {name} {shape} {perm} {dims}")


@pytest.mark.parametrize("threads", [1, 2])
def test_var_std_of_one_long_value_split_between_threads(threads):
    """var/std to one value of >= 32,768 elements: the mean is the dtype's sum (each thread's
    range into its own slot, the slots summed as a row), the squared deviations' sum one
    range per thread (``parallel_reduce``), contiguous and strided."""
    before = torch.get_num_threads()
    rng = np.random.default_rng(8)
    try:
        torch.set_num_threads(threads)
        with backends.use_cpu_state((threads,) + backends.cpu_state()[1:]):
            for shape in [(32767,), (32768,), (40001,), (300, 270), (1000, 77)]:
                a = rng.standard_normal(shape) * 1e3 + 5.0
                for dtype in ("float32", "float64"):
                    for view in (lambda t: t, lambda t: t.T, lambda t: t[..., 1:]):
                        got = [[_bits(r) for r in _var_std(T, view(T.tensor(
                            a, dtype=getattr(T, dtype))), None, 1)] for T in (E, torch)]
                        for x, y in zip(*got, strict=True):
                            np.testing.assert_array_equal(x, y, err_msg=f"{shape} {dtype}")
    finally:
        torch.set_num_threads(before)


def test_tight_bounds_hold_and_decide_most_float32_rows():
    """The data's own bounds (welford._tight_bounds) contain the distance between torch's
    loop and the two passes on adversarial rows (offsets with a tiny spread, magnitudes
    1e-9..1e9, 2**24-scale integers, +-1e6 cancellation; lengths 1-3000), and leave far fewer
    float32 rows to the loop: 1 of 64 rows of 4,096 normal values (the cheap bound alone: 12)."""
    from engine.ops import welford

    rng = np.random.default_rng(0)
    for trial in range(150):
        n = int(rng.choice([1, 2, 3, 5, 17, 64, 257, 1000, 3000]))
        shape = (8, n)
        x = [rng.standard_normal(shape), 1e4 + rng.standard_normal(shape) * 1e-3,
             rng.standard_normal(shape) * np.exp(rng.uniform(-20, 20, shape)),
             np.round(rng.standard_normal(shape) * 2**20) + 2**24,
             np.where(rng.random(shape) < 0.5, 1e6, -1e6) + rng.standard_normal(shape)
             ][trial % 5].astype(np.float32).astype(np.float64)
        loop_mean, loop_m2 = welford._serial(x)
        mean = x.sum(1) / n
        m2 = ((x - mean[:, None]) ** 2).sum(1)
        b_mean, b_m2 = welford._tight_bounds(x, mean, m2, np.abs(x).max(1))
        assert (np.abs(loop_mean - mean) <= b_mean).all(), (trial, n)
        assert (np.abs(loop_m2 - m2) <= b_m2).all(), (trial, n)
    x = np.random.default_rng(0).standard_normal((64, 4096)).astype(np.float32)
    assert (~welford._certain32(x.astype(np.float64), 4095, False)[2]).sum() == 1
    _same(x, "float32", (1,))


def test_beyond_the_step_budget_two_float64_passes():
    """torch's loop is one Python step per element here: past ``_EXACT_STEPS`` per call the
    statistics are two float64 passes (a second per million values otherwise): not torch's
    last bits, but within float64's rounding of them; below it, the loop (tests above)."""
    from engine.ops import welford

    rng = np.random.default_rng(11)
    cases = [(rng.standard_normal(welford._EXACT_STEPS + 1) * 3 + 7, (0,)),
             (rng.standard_normal((64, welford._EXACT_STEPS // 8)), (1,))]
    for a, dims in cases:
        outs, n = a.size // a.shape[dims[0]], a.shape[dims[0]]
        assert welford.exact_cost(outs, n) > welford._EXACT_STEPS
        for dtype in ("float64", "float32"):
            t = E.tensor(a, dtype=getattr(E, dtype))
            var, mean = E.var_mean(t, dim=dims)
            tv, tm = torch.var_mean(torch.tensor(a, dtype=getattr(torch, dtype)), dim=dims)
            tol = 1e-13 if dtype == "float64" else 1e-6
            np.testing.assert_allclose(var.numpy(), tv.numpy(), rtol=tol)
            np.testing.assert_allclose(mean.numpy(), tm.numpy(), rtol=tol, atol=tol)
        flat = a.reshape(-1, n) if dims == (0,) or a.ndim == 1 else a
        m, m2 = welford._two_pass(np.ascontiguousarray(flat, np.float64))
        got_m, got_m2 = welford.welford(a, dims, False)
        np.testing.assert_array_equal(np.ravel(got_m), m)
        np.testing.assert_array_equal(np.ravel(got_m2), m2)
