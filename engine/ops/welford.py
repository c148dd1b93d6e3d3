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
all outputs at once for many); ``m2``'s terms only need the means, so they are computed for
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

#: ATen's ``internal::GRAIN_SIZE``.
GRAIN_SIZE = 32768
#: Below this many outputs a reduction's running means are Python float loops (one output
#: after the other), from it NumPy steps across all outputs (measured crossover).
_PY_OUTPUTS = 8


def torch_threads() -> int:
    """The intra-op thread count torch's kernels would split a reduction between: the
    program's ``set_num_threads``, else the cores this process may use (what torch reports
    on this host; ``engine.backends.get_num_threads``)."""
    from ..backends import get_num_threads

    return get_num_threads()


def chunks(n: int, threads: int, grain: int = GRAIN_SIZE) -> list:
    """The ``[begin, end)`` ranges ``at::parallel_for(0, n, grain)`` gives torch's threads
    (OpenMP: ``min(threads, ceil(n / grain))`` tasks of ``ceil(n / tasks)`` elements)."""
    tasks = min(threads, -(-n // grain)) if grain > 0 else threads
    size = -(-n // tasks)
    return [(b, min(n, b + size)) for b in range(0, n, size)]


def _means_py(rows: list) -> tuple:
    """The running means and m2 of each row (a list of Python floats) one after the other."""
    means, m2s = [], []
    for xs in rows:
        m = 0.0
        m2 = 0.0
        k = 0
        for x in xs:
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
        means, m2s = _means_py(flat.tolist())
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


def welford(a: np.ndarray, dims: tuple, keepdim: bool, threads: int | None = None) -> tuple:
    """``(mean, m2)`` (float64 arrays of the reduced shape) as torch's var_mean kernel
    accumulates them over ``dims`` (sorted, non-negative, reducing at least one element)."""
    keep = [d for d in range(a.ndim) if d not in dims]
    order = sorted(dims, key=lambda d: -abs(a.strides[d]))
    n = math.prod(a.shape[d] for d in dims)
    outs = a.size // n
    shape = tuple(1 if d in dims else s for d, s in enumerate(a.shape)) if keepdim else \
        tuple(a.shape[d] for d in keep)
    flat = np.transpose(a, keep + order).reshape((outs, n)).astype(np.float64)
    token = ignore_fp()
    try:
        if outs == 1 and n >= GRAIN_SIZE:
            threads = torch_threads() if threads is None else threads
            if threads > 1:
                ranges = chunks(n, threads)
                means, m2s = _means_py([flat[0, b:e].tolist() for b, e in ranges])
                total = (0.0, 0.0, 0)
                for (b, e), m, m2 in zip(ranges, means, m2s, strict=True):
                    total = _combine(total, (m, m2, float(e - b)))
                return np.full(shape, total[0]), np.full(shape, total[1])
        mean, m2 = _serial(flat)
    finally:
        restore_fp(token)
    return mean.reshape(shape), m2.reshape(shape)
