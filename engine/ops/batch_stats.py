"""The batch statistics of ``batch_norm``'s training forward as torch 2.13's CPU kernels compute
them, bit for bit (float32 and float64 inputs laid out contiguous or channels-last), and the
running statistics' update that follows.

torch's ``batch_norm_cpu_collect_stats`` reduces every channel's ``K = N * H * W ...`` values
in one of two orders (measured against ``torch.native_batch_norm``):

- **contiguous, spatial size > 1**: per channel, a sequential sum in float64 over the values
  in memory order (sample by sample), ``mean = sum / K`` rounded to the input's dtype, then a
  sequential float64 sum of ``(x - mean) ** 2`` (the square in the input's dtype). A float64
  input's loop is compiled two values a step: the odd last value of each sample's plane is
  added with one fused multiply-add.
- **channels-last, or a contiguous input with spatial size 1** (``(N, C)`` and ``(N, C, 1,
  1)``): the K rows are split into ``T`` runs of ``ceil(K / T)`` rows (``T`` the intra-op
  thread count, ``torch.get_num_threads()``), each summed row by row in the input's dtype;
  the runs' sums are added in float64, ``mean = sum / K`` rounded; the squares likewise, each
  added with a fused multiply-add (``acc + (x - mean) * (x - mean)``). With ``K <= T`` rows,
  one float64 sum per channel instead.

Then (``batch_norm_cpu_update_stats_template``, no fused multiply-adds): ``var = var_sum / K``
and ``unbiased = var_sum / (K - 1)`` in the input's dtype, ``invstd = 1 / sqrt(var + eps)`` in
float64 (0 when both are 0), ``running_mean = m * mean + (1 - m) * running_mean`` in the
input's dtype and ``running_var = m * unbiased + (1 - m) * running_var``, the first product
in float64 (``m`` the momentum rounded to the input's dtype).
"""

from __future__ import annotations

import numpy as np

from .. import backends
from .._fperr import ignore as ignore_fp
from .._fperr import restore as restore_fp
from ._fma import fma

#: Rows per run of the channels-last variance up to which it is computed as torch does (a loop
#: over the rows of a run, a fused multiply-add of all runs at once each step); past it a
#: sequential float64 sum of the rounded squares stands in (the last bit may then differ).
MAX_FUSED_ROWS = 4096


def _sequential_sum(rows: np.ndarray, start=None, dtype=None) -> np.ndarray:
    """Sums of ``rows`` (``(K, C)``, any layout) down axis 0 from ``start`` (zeros when None),
    one row after the other, in ``dtype`` (``rows``' by default; each value is cast first)."""
    k, c = rows.shape
    buf = np.empty((k + 1, c), dtype or rows.dtype)
    buf[0] = 0 if start is None else start
    buf[1:] = rows
    if c == 1:  # (NumPy would reduce a single column pairwise)
        return np.add.accumulate(buf, axis=0)[-1]
    return np.add.reduce(buf, axis=0)  # (an outer axis: NumPy adds row after row)


def _channels_last_stats(a: np.ndarray, threads: int):
    dt = a.dtype.type
    rows = np.moveaxis(a, 1, -1).reshape(-1, a.shape[1])
    k, c = rows.shape
    if k <= threads and c > 16:  # one float64 sum a channel
        mean = (_sequential_sum(rows, dtype=np.float64) / k).astype(dt)
        return mean, _squares_sum(rows - mean).astype(dt)
    if k <= threads:  # (measured: one run then)
        threads = 1
    run = -(-k // threads)
    padded = np.zeros((threads, run, c), dt)
    padded.reshape(-1, c)[:k] = rows
    total = _sequential_sum(np.stack([_sequential_sum(p) for p in padded]), dtype=np.float64)
    mean = (total / k).astype(dt)
    padded.reshape(-1, c)[k:] = mean  # (a padding row adds 0)
    d = padded - mean
    if run <= MAX_FUSED_ROWS and dt is np.float32:
        acc = _fused_squares32(d)
    elif run <= MAX_FUSED_ROWS:
        acc = np.zeros((threads, c), dt)
        for j in range(run):
            dj = np.ascontiguousarray(d[:, j])
            acc = fma(dj, dj, acc)
    else:
        acc = np.stack([_sequential_sum(p * p) for p in d])
    return mean, _sequential_sum(acc, dtype=np.float64).astype(dt)


def _fused_squares32(d: np.ndarray) -> np.ndarray:
    """``acc = fma(d_j, d_j, acc)`` down axis 1 of float32 ``d`` (``(T, J, C)``) from zeros, in
    float64: a square of a float32 is exact there, and the float64 sum rounded to float32 is
    the fused result except where it fell on a float32 midpoint (or below float32's normal
    range): then ``fma`` redoes the chain."""
    dd = d.astype(np.float64)
    dd *= dd
    totals = np.empty((dd.shape[1],) + dd[:, 0].shape)
    acc = np.zeros(dd[:, 0].shape, np.float32)
    for j in range(dd.shape[1]):
        np.add(acc, dd[:, j], out=totals[j])
        acc = totals[j].astype(np.float32)
    bits = totals.view(np.uint64)
    if ((bits & 0x1FFFFFFF) == 0x10000000).any() or (
            (totals != 0) & (totals < 2.0 ** -126)).any():
        acc = np.zeros(dd[:, 0].shape, np.float32)
        for j in range(dd.shape[1]):
            dj = np.ascontiguousarray(d[:, j])
            acc = fma(dj, dj, acc)
    return acc


def _contiguous_stats(a: np.ndarray):
    dt = a.dtype.type
    n, c = a.shape[:2]
    planes = a.reshape(n, c, -1)
    if dt is np.float32:
        return _contiguous_stats32(planes)
    s = planes.shape[2]
    mean = (_sequential_sum(planes.transpose(0, 2, 1).reshape(n * s, c), dtype=np.float64) /
            (n * s)).astype(dt)
    d = planes - mean[:, None]
    if s % 2 == 0:
        var_sum = _sequential_sum((d * d).transpose(0, 2, 1).reshape(n * s, c),
                                  dtype=np.float64)
    else:
        var_sum = np.zeros(c)
        for i in range(n):
            var_sum = _squares_sum(d[i].T, var_sum)
    return mean, var_sum.astype(dt)


def _certain(total: np.ndarray, err: np.ndarray, scale: int) -> tuple[np.ndarray, np.ndarray]:
    """``total / scale`` rounded to float32 for a float64 ``total`` known within ``err``:
    the rounding of its centre, and where every value in the interval rounds the same."""
    lo = np.nextafter(total - err, -np.inf)
    hi = np.nextafter(total + err, np.inf)
    if scale != 1:
        lo /= scale
        hi /= scale
        total = total / scale
    return total.astype(np.float32), lo.astype(np.float32) == hi.astype(np.float32)


def _gamma(k: int) -> float:
    """Higham's ``gamma_k``: a float64 sum of ``k`` values in any order is within
    ``gamma_(k-1) * sum(|x|)`` of the exact one."""
    return k * 2.0 ** -53 / (1 - k * 2.0 ** -53)


def _contiguous_stats32(planes: np.ndarray):
    """NumPy's float64 sums of each channel, then torch's sequential order only for the
    channels whose float32 results the order could change. A float64 sum of ``K`` values in
    any order is within ``gamma_K * sum|x|`` of the exact one (Higham, (4.4)), so torch's and
    NumPy's are within twice that of each other; ``sum|x| <= sqrt(K * sum(d**2)) + K * |mean|``
    (Cauchy-Schwarz, ``d = x - mean``; 1 % covers the float32 rounding of ``d`` and ``d**2``).
    A float32 result that rounds the same across the bound is torch's; the rest (rare: the
    bound is ~1e-13 relative) are summed in torch's order, a channel at a time."""
    n, c, s = planes.shape
    k = n * s
    total = np.add.reduce(planes, axis=(0, 2), dtype=np.float64)
    mean = (total / k).astype(np.float32) + np.float32(0)  # (a sum from +0 is never -0)
    sq = planes - mean[:, None]
    np.multiply(sq, sq, out=sq)
    squares = np.add.reduce(sq, axis=(0, 2), dtype=np.float64)
    token = ignore_fp()
    try:
        g = 2.02 * _gamma(k)
        err = np.sqrt(squares * (1.01 * k))
        err += k * np.abs(mean.astype(np.float64))
        err *= g
        mean_sure = _certain(total, err, k)[1]
        var_sum, var_sure = _certain(squares, g * squares, 1)
    finally:
        restore_fp(token)
    sure = mean_sure & var_sure
    if sure.all():
        return mean, var_sum
    for ch in np.flatnonzero(~sure):  # (from +0: the + 0 above)
        values = planes[:, ch].reshape(-1)
        mean[ch] = np.float32(np.cumsum(values, dtype=np.float64)[-1] / k) + np.float32(0)
        dc = values - mean[ch]
        var_sum[ch] = np.float32(np.cumsum(dc * dc, dtype=np.float64)[-1])
    return mean, var_sum


def _squares_sum(d: np.ndarray, start=None) -> np.ndarray:
    """The float64 sum of the squares of ``d``'s rows (``(K, C)``), one row after the other,
    the squares rounded to ``d``'s dtype; a float64 loop takes two rows a step, so the odd
    last row's square is added with a fused multiply-add."""
    if d.dtype == np.float32 or len(d) % 2 == 0:
        return _sequential_sum(d * d, start, np.float64)
    acc = _sequential_sum(d[:-1] * d[:-1], start, np.float64)
    last = np.ascontiguousarray(d[-1])
    return fma(last, last, acc)


def collect_stats(a: np.ndarray, channels_last: bool) -> tuple[np.ndarray, np.ndarray]:
    """``(mean, var_sum)`` of each channel (dim 1) of ``a`` (float32 or float64, at least 2-D,
    C-contiguous or channels-last), in ``a``'s dtype, as torch's CPU kernel computes them."""
    if channels_last or a.size == a.shape[0] * a.shape[1]:
        return _channels_last_stats(a, backends.get_num_threads())
    return _contiguous_stats(a)


def invstd_and_update(mean: np.ndarray, var_sum: np.ndarray, count: int, eps: float,
                      running_mean: np.ndarray | None, running_var: np.ndarray | None,
                      momentum: float) -> np.ndarray:
    """``1 / sqrt(var + eps)`` per channel (in ``mean``'s dtype); updates the running
    statistics (arrays of ``mean``'s dtype) in place."""
    dt = mean.dtype.type
    with np.errstate(all="ignore"):
        var = (var_sum / dt(count)).astype(np.float64)
        invstd = np.where((var != 0) | (eps != 0), 1.0 / np.sqrt(var + eps), 0.0).astype(dt)
        m = dt(momentum)
        if running_mean is not None:
            running_mean[...] = m * mean + (dt(1) - m) * running_mean
        if running_var is not None:
            unbiased = (var_sum / dt(count - 1)).astype(np.float64)
            running_var[...] = (np.float64(m) * unbiased +
                                ((dt(1) - m) * running_var).astype(np.float64)).astype(dt)
    return invstd
