"""torch's CPU variance statistics, bit for bit, at every length.

``var_mean``/``std_mean`` (and ``var``/``std`` with more than one output) run ATen's
``WelfordOps`` in double through ``binary_kernel_reduce``: per output, one element after the
other in the iterator's order (the reduced dims by falling stride), ``delta = x - mean;
mean += delta / n; m2 += delta * (x - mean)``. A single output of at least ``GRAIN_SIZE``
elements is split between torch's threads (``parallel_for``: ``min(threads, ceil(N / grain))``
chunks of ``ceil(N / chunks)`` elements), each chunk's statistics from scratch, then combined
in thread order (``WelfordOps::combine``). More outputs are never split within an output.

The running mean is a recurrence with a rounding at each step, so it cannot be reassociated:
here it is one Python step per element (a Python float loop for few outputs, NumPy ops across
all outputs at once for many), within a budget per call (``_EXACT_STEPS``: beyond it, two
float64 passes, not torch's last bits); ``m2``'s terms only need the means, so they are computed for
all steps at once afterwards and summed in turn (a sequential reduction down the steps).

``var``/``std`` of a float32/float64 tensor to ONE value is another kernel
(``std_var_all_cpu``): ``mean = self.mean()`` (the dtype's own mean, rounded to the dtype),
then ``sum((double(x) - mean) ** 2)`` in double, sequentially in memory order, split by
``parallel_reduce`` above ``GRAIN_SIZE`` (``var_all_m2``).
"""

from __future__ import annotations

import math

import numpy as np

from .._fperr import ignore as ignore_fp
from .._fperr import restore as restore_fp
from ._fma import fma
from .cascade import GRAIN_SIZE, chunks, iteration
from .cascade import threads as cascade_threads

#: Below this many outputs a reduction's running means are Python float loops (one output
#: after the other), from it NumPy steps across all outputs (measured crossover).
_PY_OUTPUTS = 8


_PY_CHUNK = 1 << 16  # (values turned into Python floats at a time: bounded memory)

#: The most Python-level steps one call spends on torch's exact loop: a row's element costs
#: one step in the Python float loop, a NumPy step across many outputs about ten. Beyond it
#: the statistics are two float64 passes (about 1 ms for a million values, where the loop
#: would take a second): the same value to float64's last bits or so, not torch's bits.
_EXACT_STEPS = 1 << 17
_NUMPY_STEP_COST = 10


def exact_cost(outs: int, n: int) -> int:
    """The Python-level steps torch's loop costs for ``outs`` outputs of ``n`` values."""
    return n * min(outs, _NUMPY_STEP_COST)


def _two_pass(flat: np.ndarray) -> tuple:
    """``(mean, m2)`` of each row by two float64 passes (the fallback beyond the budget)."""
    mean = flat.sum(axis=1) / flat.shape[1]
    dev = flat - mean[:, None]
    dev *= dev
    return mean, dev.sum(axis=1)


def _means_py(rows) -> tuple:
    """The running means and m2 of each row (1-d float64 arrays) one after the other, as
    Python floats (a few rows: cheaper than NumPy calls per step)."""
    means, m2s = [], []
    for row in rows:
        m = 0.0
        m2 = 0.0
        k = 0
        for start in range(0, row.shape[0], _PY_CHUNK):
            for x in row[start:start + _PY_CHUNK].tolist():
                k += 1
                d = x - m
                m += d / k
                m2 += d * (x - m)
        means.append(m)
        m2s.append(m2)
    return means, m2s


def _serial(flat: np.ndarray) -> tuple:
    """``(mean, m2)`` of each row of ``flat`` (``(outs, n)`` float64, ``n >= 1``), each row's
    elements one after the other, as WelfordOps::reduce from its initial state."""
    outs, n = flat.shape
    if outs < _PY_OUTPUTS:
        means, m2s = _means_py(flat)
        return np.array(means, np.float64), np.array(m2s, np.float64)
    cols = np.ascontiguousarray(flat.T)  # (n, outs): step i reads one contiguous row
    means = np.empty((n + 1, outs), np.float64)
    means[0] = 0.0
    delta = np.empty((n, outs), np.float64)
    step = np.empty(outs, np.float64)
    sub, div, add = np.subtract, np.true_divide, np.add
    for i in range(n):
        d = delta[i]
        sub(cols[i], means[i], out=d)
        div(d, float(i + 1), out=step)
        add(means[i], step, out=means[i + 1])
    mean = means[n].copy()
    after = means[1:]
    sub(cols, after, out=after)  # (x - new mean), in place of the means no longer needed
    delta *= after
    # m2 starts from +0 and adds the terms in turn (NumPy adds down the outer axis one row
    # after the other when a row holds more than one value; with one output: accumulate)
    m2 = np.add.reduce(delta, axis=0) if outs > 1 else np.add.accumulate(delta[:, 0])[-1:]
    return mean, m2 + 0.0


def _fma(a: float, b: float, c: float) -> float:
    return float(fma(np.array([a]), np.array([b]), np.array([c]))[0])


def _combine(a: tuple, b: tuple) -> tuple:
    """``WelfordOps::combine`` of two ``(mean, m2, count)`` (floats). Its kernel is compiled
    with multiply-add contraction: both ``a.mean + delta * nb_over_n`` and ``a.m2 + b.m2 +
    (delta * delta * a.nf) * nb_over_n`` are fused (measured: the unfused forms differ in
    about 1 in 4 crafted cases; ``reduce``'s ``m2 + delta * new_delta`` is not fused)."""
    if a[2] == 0:
        return b
    if b[2] == 0:
        return a
    delta = b[0] - a[0]
    count = a[2] + b[2]
    nb_over_n = b[2] / count
    return (_fma(delta, nb_over_n, a[0]), _fma(delta * delta * a[2], nb_over_n, a[1] + b[1]),
            count)


#: The unit roundoff of float64.
_U = 2.0 ** -53


def _decides(mean, b_mean, var, b_var, take_root: bool) -> np.ndarray:
    """Whether every value within the bounds rounds to one float32 (mean; var, or its root)."""
    f32 = np.float32
    decided = (mean - b_mean).astype(f32) == (mean + b_mean).astype(f32)
    lo, hi = np.maximum(var - b_var, 0.0), var + b_var
    if take_root:
        lo, hi = np.sqrt(lo) * (1 - 4 * _U), np.sqrt(hi) * (1 + 4 * _U)
    return decided & (lo.astype(f32) == hi.astype(f32))


def _tight_bounds(x: np.ndarray, mean: np.ndarray, m2: np.ndarray, mag: np.ndarray) -> tuple:
    """Rigorous bounds on |torch's Welford mean - ``mean``| and on its m2's distance from
    ``m2`` (the two-pass values of the rows of ``x``, ``(r, n)``), for one Welford pass per
    row (no thread split), from the data's own running means rather than n * max|x|:
    the running mean's error E <= u (1.01 sum|m_k| + 2.01 sum|x_k - m_k-1| / k) (each step's
    two roundings, carried with a factor 1 - 1/k; m_k estimated by cumsum / k, whose own
    error, <= ~2 n u M, is added); each m2 term's error <= 3.01 u |A B| + E (|A| + |B| + E)
    (A = x_k - mu_k-1, B = x_k - mu_k, whose products sum to the exact m2), then the
    sequential sum's (n u sum|terms|); the two-pass values' from the exact identity
    sum (x - t)^2 = m2 + n (t - mu)^2 and their roundings. Inflated by 1.1 for the bounds'
    own float64 arithmetic."""
    n = x.shape[1]
    u = _U
    k = np.arange(1, n + 1, dtype=np.float64)
    run = np.cumsum(x, axis=1)
    run /= k
    prev = np.empty_like(run)
    prev[:, 0] = 0.0
    prev[:, 1:] = run[:, :-1]
    a = np.abs(x - prev)
    b = np.abs(x - run)
    s_m = np.abs(run).sum(axis=1)
    s_d = (a / k).sum(axis=1)
    s_a, s_b = a.sum(axis=1), b.sum(axis=1)
    t = (a * b).sum(axis=1)
    slack = 8 * n * u * u * mag * (1.02 * n + 2.04 * (math.log(n) + 1))
    e = u * (1.02 * s_m + 2.04 * s_d) + slack
    d0 = (2.1 * n + 1.1) * u * mag
    p = t + d0 * (s_a + s_b) + n * d0 * d0
    q = 1.001 * e * (s_a + s_b + 2 * n * d0 + n * e)
    b_w = (3.01 * u * p + q) * (1 + 1.01 * n * u) + 1.01 * n * u * p
    b_tp = 1.01 * u * np.abs(x).sum(axis=1) + 1.01 * u * np.abs(mean)
    b_t = n * b_tp * b_tp + (3.05 * u + 1.02 * n * u) * m2 / (1 - 1.02 * n * u)
    return 1.1 * (e + b_tp) + 4 * u * np.abs(mean), 1.1 * (b_w + b_t)


def _certain32(flat: np.ndarray, dof, take_root: bool, split: bool = False) -> tuple:
    """Two passes in float64 for float32 data, and which outputs they decide: ``(mean, m2,
    decided)``. Both torch's Welford values and the two-pass ones lie within a rigorous bound
    of the exact statistics, so where every value within the bound of the two-pass one rounds
    to the same float32 (mean; m2 / dof; its sqrt), the result is torch's whatever the order.
    First a cheap bound (the running mean: each step's rounding, at most ~5u max|x|, carried
    on with a factor 1 - 1/k: |error| <= 6 n u M; m2: the terms' errors from the means' and
    their own roundings plus the sequential sum's, <= ~37 n^2 u M^2; the two-pass ones' and
    the thread split's combination's added, <= ~103 n^2 u M^2: 256 is used), then, for the
    rows it leaves (without a thread split), the data's own (``_tight_bounds``: ~100x
    tighter on ordinary data). The rest run the loop. NaN/inf: undecided."""
    n = flat.shape[1]
    mag = np.abs(flat).max(axis=1)
    mean, m2 = _two_pass(flat)
    if dof <= 0:  # (m2 / 0: inf, or NaN for a zero m2: left to the loop)
        return mean, m2, np.zeros(mean.shape, bool)
    var = m2 / dof
    b_mean = (16.0 * n * _U) * mag + (4 * _U) * np.abs(mean)
    b_var = ((256.0 * n * n * _U) * mag * mag) / dof + (8 * _U) * var
    decided = _decides(mean, b_mean, var, b_var, take_root)
    if not split and not decided.all():
        rows = np.flatnonzero(~decided)
        b_mean, b_m2 = _tight_bounds(flat[rows], mean[rows], m2[rows], mag[rows])
        decided[rows] = _decides(mean[rows], b_mean, var[rows],
                                 b_m2 / dof + (8 * _U) * var[rows], take_root)
    return mean, m2, decided


def welford(a: np.ndarray, dims: tuple, keepdim: bool, threads: int | None = None,
            dof=None, take_root: bool = False) -> tuple:
    """``(mean, m2)`` (float64 arrays of the reduced shape) as torch's var_mean kernel
    accumulates them over ``dims`` (sorted, non-negative, reducing at least one element).
    For float32 data with ``dof`` given (the divisor of m2, and ``take_root`` for the standard
    deviation), values are only exact where the results rounded to float32 depend on it: the
    outputs two float64 passes decide (``_certain32``) keep theirs."""
    keep = [d for d in range(a.ndim) if d not in dims]
    order = sorted(dims, key=lambda d: -abs(a.strides[d]))
    n = math.prod(a.shape[d] for d in dims)
    outs = a.size // n
    shape = tuple(1 if d in dims else s for d, s in enumerate(a.shape)) if keepdim else \
        tuple(a.shape[d] for d in keep)
    flat = np.transpose(a, keep + order).reshape((outs, n)).astype(np.float64)
    token = ignore_fp()
    try:
        rows = None
        if dof is not None and a.dtype == np.float32 and n > 1:
            split = outs == 1 and n >= GRAIN_SIZE and (
                cascade_threads() if threads is None else threads) > 1
            mean, m2, decided = _certain32(flat, dof, take_root, split)
            if decided.all():
                return mean.reshape(shape), m2.reshape(shape)
            rows = np.flatnonzero(~decided)
            flat = flat[rows]
        if exact_cost(flat.shape[0], n) > _EXACT_STEPS:
            if rows is None:  # (float32's undecided rows keep their two-pass values)
                mean, m2 = _two_pass(flat)
            return mean.reshape(shape), m2.reshape(shape)
        if outs == 1 and n >= GRAIN_SIZE:
            threads = cascade_threads() if threads is None else threads
            if threads > 1:
                ranges = chunks(n, threads)
                means, m2s = _means_py([flat[0, b:e] for b, e in ranges])
                total = (0.0, 0.0, 0)
                for (b, e), m, m2 in zip(ranges, means, m2s, strict=True):
                    total = _combine(total, (m, m2, float(e - b)))
                return np.full(shape, total[0]), np.full(shape, total[1])
        exact_mean, exact_m2 = _serial(flat)
        if rows is not None:
            mean[rows], m2[rows] = exact_mean, exact_m2
        else:
            mean, m2 = exact_mean, exact_m2
    finally:
        restore_fp(token)
    return mean.reshape(shape), m2.reshape(shape)


def _calls(begin: int, end: int, sizes: list) -> list:
    """The ``(start, length, count)`` runs of the 2-d loop calls ``serial_for_each`` makes
    over ``[begin, end)`` of an iterator of ``sizes`` (innermost first): a partial row, rows
    to the end of a 2-d slab, whole slabs (``count`` of them), ... (``DimCounter``'s
    ``max_2d_step``)."""
    if len(sizes) == 1:
        return [(begin, end - begin, 1)]
    s0, s1 = sizes[0], sizes[1]
    slab = s0 * s1
    out = []
    off = begin
    while off < end:
        v0, v1 = off % s0, (off // s0) % s1
        if v0 or end - off < s0:
            length = min(s0 - v0, end - off)
        elif v1 or end - off < slab or len(sizes) == 2:
            length = s0 * min(s1 - v1, (end - off) // s0)
        else:
            whole = (end - off) // slab
            out.append((off, slab, whole))
            off += whole * slab
            continue
        out.append((off, length, 1))
        off += length
    return out


def var_all_m2(a: np.ndarray, mean: float, threads: int | None = None):
    """torch's ``sum((double(x) - mean) ** 2)`` of ``std_var_all_cpu`` (var/std of a float32
    or float64 tensor to one value; ``mean`` is ``self.mean()`` as a double): each 2-d loop
    call's sum from 0 one element after the other, added in turn to its thread's sum; above
    ``GRAIN_SIZE`` elements one range per thread (``parallel_reduce``), the threads' sums
    added in order. None where the iteration is not modelled."""
    it = iteration(a)
    if it is None:
        return None
    flat, sizes, _ = it
    n = flat.size
    token = ignore_fp()
    try:
        dev = flat.astype(np.float64)
        dev -= mean
        dev *= dev
        threads = cascade_threads() if threads is None else threads
        ranges = [(0, n)] if n <= GRAIN_SIZE or threads == 1 else chunks(n, threads)
        totals = []
        for b, e in ranges:
            sums = [np.zeros(1)]
            for start, length, count in _calls(b, e, sizes):
                block = dev[start:start + length * count].reshape(count, length)
                sums.append(np.add.accumulate(block, axis=1)[:, -1])
            totals.append(np.add.accumulate(np.concatenate(sums))[-1])
        return float(np.add.accumulate(np.array([0.0] + totals))[-1])
    finally:
        restore_fp(token)
