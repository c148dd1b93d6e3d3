"""batch_norm's training statistics as torch's CPU kernels compute them (engine/ops/batch_stats.py):
the saved mean and 1/std, the output and the running statistics after a few steps, bit for bit
with torch, for BatchNorm1d/2d/3d inputs laid out contiguous and channels-last, float32 and
float64, a momentum and the cumulative average (momentum=None)."""

from __future__ import annotations

import numpy as np
import pytest

import engine as E
from engine import backends
from engine.ops import batch_stats

torch = pytest.importorskip("torch")

DTYPES = [(np.float32, E.float32, torch.float32), (np.float64, E.float64, torch.float64)]


def _shapes(rng, ndim: int, count: int):
    for _ in range(count):
        if ndim == 2:
            shape = [int(rng.integers(2, 70)), int(rng.integers(1, 40))]
        else:
            shape = [int(rng.integers(1, 7)), int(rng.integers(1, 24))] + \
                [int(rng.integers(1, 9)) for _ in range(ndim - 2)]
            if np.prod(shape) // shape[1] < 2:
                shape[0] = 2
        yield tuple(shape)


@pytest.fixture
def threads():
    """torch's intra-op thread count and the engine's the same (the channels-last kernel splits
    the rows between threads)."""
    count = torch.get_num_threads()
    with backends.use_cpu_state((count,) + backends.cpu_state()[1:]):
        yield count


@pytest.mark.parametrize("np_dtype, ours, theirs", DTYPES)
@pytest.mark.parametrize("ndim, channels_last", [(2, False), (3, False), (4, False), (4, True),
                                                 (5, False), (5, True)])
def test_statistics_and_running_stats_are_torchs_bits(threads, np_dtype, ours, theirs, ndim,
                                                      channels_last):
    rng = np.random.default_rng(ndim * 10 + channels_last + (np_dtype is np.float64) * 100)
    fmt = {4: (torch.channels_last, E.channels_last),
           5: (torch.channels_last_3d, E.channels_last_3d)}.get(ndim)
    for shape in _shapes(rng, ndim, 12):
        c = shape[1]
        scale, shift = rng.uniform(0.05, 8), rng.uniform(-4, 4)
        xs = [(rng.standard_normal(shape) * scale + shift).astype(np_dtype) for _ in range(3)]
        w, b = rng.standard_normal(c).astype(np_dtype), rng.standard_normal(c).astype(np_dtype)
        t_rm, t_rv = torch.zeros(c, dtype=theirs), torch.ones(c, dtype=theirs)
        e_rm, e_rv = E.zeros(c, dtype=ours), E.ones(c, dtype=ours)
        for step, x in enumerate(xs):
            momentum = (0.1, 0.3, 1.0 / 3)[step]
            tx, ex = torch.from_numpy(x), E.tensor(x)
            if channels_last:
                tx, ex = tx.contiguous(memory_format=fmt[0]), ex.contiguous(memory_format=fmt[1])
            want, t_mean, t_invstd = torch.native_batch_norm(
                tx, torch.from_numpy(w), torch.from_numpy(b), t_rm, t_rv, True, momentum, 1e-5)
            got = E.nn.functional.batch_norm(ex, e_rm, e_rv, E.tensor(w), E.tensor(b), True,
                                             momentum, 1e-5)
            mean, _ = batch_stats.collect_stats(ex._data, not ex._data.flags.c_contiguous)
            label = f"{shape} step {step}"
            np.testing.assert_array_equal(mean, t_mean.numpy(), err_msg=label)
            np.testing.assert_array_equal(e_rm.numpy(), t_rm.numpy(), err_msg=label)
            np.testing.assert_array_equal(e_rv.numpy(), t_rv.numpy(), err_msg=label)
            # the output too: torch fuses x * alpha + beta and beta = bias - mean * alpha
            np.testing.assert_array_equal(got.detach().numpy(), want.numpy(), err_msg=label)


@pytest.mark.parametrize("np_dtype, ours, theirs", DTYPES)
@pytest.mark.parametrize("layout", ["contiguous", "channels_last", "strided"])
@pytest.mark.parametrize("affine", [True, False])
def test_evaluation_output_is_torchs_bits(np_dtype, ours, theirs, layout, affine):
    """Running statistics: the dense kernels' fused ``x * alpha + beta`` (with two roundings a
    quarter of the float32 elements were a last bit off), the strided loop's unfused
    ``((x - mean) * invstd) * weight + bias`` with ``invstd = 1 / at::sqrt(running_var +
    eps)``: MKL's sqrt, which is not correctly rounded for every input (float32 modelled on
    Intel, ``pointwise.sqrt_array``; float64 nowhere, float32 not on AMD), so a strided case is
    compared where the engine's sqrt of its ``running_var + eps`` is torch's, asked live (on
    the Intel host all but one of the float64 ones; every float32 one)."""
    rng = np.random.default_rng(7 + affine)
    compared = 0
    for shape in [(8, 3), (4, 3, 5), (2, 5, 7, 9), (16, 8, 6, 6), (3, 4, 33), (2, 3, 2, 3, 4)]:
        c = shape[1]
        x = (rng.standard_normal(shape) * 2 + 0.5).astype(np_dtype)
        params = [rng.standard_normal(c).astype(np_dtype) for _ in range(2)]
        stats = [rng.standard_normal(c).astype(np_dtype) * 0.1, rng.uniform(0.5, 2, c)
                 .astype(np_dtype)]
        if layout == "strided" and not np.array_equal(
                torch.sqrt(torch.tensor(stats[1]) + 1e-5).numpy(),
                E.sqrt(E.tensor(stats[1]) + 1e-5).numpy()):
            continue
        compared += 1
        outs = []
        for T in (torch, E):
            t = T.tensor(x)
            if layout == "channels_last" and len(shape) in (4, 5):
                t = t.contiguous(memory_format=T.channels_last if len(shape) == 4 else
                                 T.channels_last_3d)
            elif layout == "strided":
                t = t.transpose(0, 1).contiguous().transpose(0, 1)
            w, b = (T.tensor(p) for p in params) if affine else (None, None)
            out = T.nn.functional.batch_norm(t, *(T.tensor(s) for s in stats), w, b, False)
            outs.append(np.asarray(out.detach().numpy()))
        np.testing.assert_array_equal(outs[1], outs[0], err_msg=str(shape))
    assert compared >= 3


@pytest.mark.parametrize("params", ["float16", "float32"])
@pytest.mark.parametrize("layout", ["contiguous", "channels_last"])
@pytest.mark.parametrize("training", [True, False])
def test_float16_input_as_torch(params, layout, training):
    """A float16 input: torch's statistics and output in float (its float32 kernel's order),
    the saved mean and invstd rounded to half when the parameters are half (the output is
    computed from those); with float32 parameters they stay float. Before: the statistics in
    half, 30-60 % of the outputs off (every running statistic with float32 parameters)."""
    rng = np.random.default_rng(5 + training)
    for shape in [(8, 3), (4, 3, 5), (16, 8, 6, 6), (2, 5, 7, 9)]:
        c = shape[1]
        x = (rng.standard_normal(shape) * 2 + 0.5).astype(np.float16)
        arrays = [rng.standard_normal(c), rng.standard_normal(c), rng.standard_normal(c) * 0.1,
                  rng.uniform(0.5, 2, c)]
        got = []
        for T in (torch, E):
            t = T.tensor(x)
            if layout == "channels_last" and len(shape) == 4:
                t = t.contiguous(memory_format=T.channels_last)
            w, b, rm, rv = (T.tensor(a, dtype=getattr(T, params)) for a in arrays)
            out = T.nn.functional.batch_norm(t, rm, rv, w, b, training)
            got.append([np.asarray(v.detach().numpy()) for v in (out, rm, rv)])
        np.testing.assert_array_equal(got[1][0], got[0][0], err_msg=str(shape))
        if params == "float16":
            for ours_stat, theirs_stat in zip(got[1][1:], got[0][1:], strict=True):
                np.testing.assert_array_equal(ours_stat, theirs_stat, err_msg=str(shape))


@pytest.mark.parametrize("np_dtype, ours, theirs", DTYPES)
@pytest.mark.parametrize("module", ["BatchNorm1d", "BatchNorm2d", "BatchNorm3d"])
def test_modules_with_cumulative_average_match_torch(threads, np_dtype, ours, theirs, module):
    shape = {"BatchNorm1d": (37, 21), "BatchNorm2d": (5, 6, 7, 9),
             "BatchNorm3d": (3, 4, 5, 3, 7)}[module]
    rng = np.random.default_rng(len(shape))
    theirs_bn = getattr(torch.nn, module)(shape[1], momentum=None, dtype=theirs)
    ours_bn = getattr(E.nn, module)(shape[1], momentum=None, dtype=ours)
    for _ in range(4):
        x = (rng.standard_normal(shape) * 3 + 1).astype(np_dtype)
        theirs_bn(torch.from_numpy(x))
        ours_bn(E.tensor(x))
    for name in ("running_mean", "running_var"):
        np.testing.assert_array_equal(getattr(ours_bn, name).numpy(),
                                      getattr(theirs_bn, name).numpy(), err_msg=name)
    assert int(ours_bn.num_batches_tracked) == int(theirs_bn.num_batches_tracked) == 4


def test_uncertain_channels_take_the_sequential_sum(monkeypatch, threads):
    # the float32 contiguous kernel's fast path leaves to torch's own order every channel whose
    # rounding its error bound cannot decide: forced for all, the result is the same
    rng = np.random.default_rng(3)
    x = (rng.standard_normal((4, 9, 6, 5)) * 2 + 0.01).astype(np.float32)
    x[:, 0] = 0.0
    x[:, 1] = -0.0
    x[0, 2, 0, 0] = np.inf
    fast = batch_stats.collect_stats(x, False)
    certain = batch_stats._certain
    monkeypatch.setattr(batch_stats, "_certain",
                        lambda t, e, s: (certain(t, e, s)[0], np.zeros(t.shape, bool)))
    slow = batch_stats.collect_stats(x, False)
    _, t_mean, _ = torch.native_batch_norm(torch.from_numpy(x), None, None, None, None, True,
                                           0.1, 1e-5)
    for ours in (fast, slow):
        np.testing.assert_array_equal(ours[0], t_mean.numpy())
        assert not np.signbit(ours[0][1])  # (a sum from +0.)
    np.testing.assert_array_equal(fast[1], slow[1])


def test_channels_last_rows_split_between_threads_as_torch():
    rng = np.random.default_rng(5)
    old = torch.get_num_threads()
    try:
        for count in (1, 3, 4):
            torch.set_num_threads(count)
            with backends.use_cpu_state((count,) + backends.cpu_state()[1:]):
                for shape in [(2, 5), (3, 20), (4, 17), (9, 3), (50, 8)]:
                    x = (rng.standard_normal(shape) * 3 + 1).astype(np.float32)
                    rv = torch.ones(shape[1])
                    torch.native_batch_norm(torch.from_numpy(x), None, None,
                                            torch.zeros(shape[1]), rv, True, 1.0, 1e-5)
                    mean, var_sum = batch_stats.collect_stats(x, False)
                    np.testing.assert_array_equal(
                        (var_sum / np.float32(shape[0] - 1)).astype(np.float32), rv.numpy(),
                        err_msg=f"{count} threads, {shape}")
    finally:
        torch.set_num_threads(old)


def test_float32_contiguous_statistics_on_order_sensitive_data_are_torchs_bits(threads):
    # the error bound of the float32 contiguous path decides most channels from NumPy's sums;
    # on data an order shows in (a large offset over a tiny spread, cancelling magnitudes,
    # exact zeros) both the decided channels and the ones summed in torch's order are its bits
    rng = np.random.default_rng(16)
    undecided = 0
    certain = batch_stats._certain

    def counting(t, e, s):
        nonlocal undecided
        value, sure = certain(t, e, s)
        undecided += int((~sure).sum())
        return value, sure

    for case in range(60):
        shape = (int(rng.integers(2, 9)), int(rng.integers(1, 12)), int(rng.integers(1, 12)),
                 int(rng.integers(2, 12)))
        kind = case % 4
        x = rng.standard_normal(shape)
        if kind == 0:
            x = 1e4 + x * 10.0 ** rng.uniform(-4, 0)
        elif kind == 1:
            x = x * 10.0 ** rng.integers(-6, 7, size=shape)
        elif kind == 2:
            x = np.round(x) * 2.0 ** 20 + x
        x = x.astype(np.float32)
        if kind == 3:
            x[:, 0] = 0.0
        rv = torch.ones(shape[1])
        _, t_mean, t_invstd = torch.native_batch_norm(torch.from_numpy(x), None, None,
                                                      torch.zeros(shape[1]), rv, True, 1.0,
                                                      1e-5)
        batch_stats._certain = counting
        try:
            mean, var_sum = batch_stats.collect_stats(x, False)
        finally:
            batch_stats._certain = certain
        count = x.size // shape[1]
        np.testing.assert_array_equal(mean, t_mean.numpy(), err_msg=f"{shape} {kind}")
        np.testing.assert_array_equal((var_sum / np.float32(count - 1)).astype(np.float32),
                                      rv.numpy(), err_msg=f"{shape} {kind}")
        invstd = batch_stats.invstd_and_update(mean, var_sum, count, 1e-5, None, None, 1.0)
        np.testing.assert_array_equal(invstd, t_invstd.numpy(), err_msg=f"{shape} {kind}")
    assert undecided  # (the sequential fallback ran too)


def test_float32_channel_whose_sum_the_order_decides_is_torchs():
    # torch's sequential float64 sum loses the 3 (2**60 + 3 rounds to 2**60, then -2**60 gives
    # 0); NumPy's unrolled sum cancels the big ones first and keeps it
    x = np.zeros((2, 3, 1, 16), np.float32)
    x[0, 1, 0, :2] = (2.0 ** 60, 3.0)
    x[0, 1, 0, 8] = -(2.0 ** 60)
    assert np.add.reduce(x, axis=(0, 2, 3), dtype=np.float64)[1] == 3.0
    _, t_mean, t_invstd = torch.native_batch_norm(torch.from_numpy(x), None, None, None, None,
                                                  True, 0.1, 1e-5)
    mean, var_sum = batch_stats.collect_stats(x, False)
    np.testing.assert_array_equal(mean, t_mean.numpy())
    invstd = batch_stats.invstd_and_update(mean, var_sum, 32, 1e-5, None, None, 0.1)
    np.testing.assert_array_equal(invstd, t_invstd.numpy())
