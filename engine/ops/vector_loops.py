"""Which elements torch's vectorised CPU loops compute in whole vectors, and which in their
scalar remainder loops.

A kernel with a vector and a scalar form (``cpu_kernel_vec``: ``sigmoid``; the non-last-dim
softmax kernels) gives an element the vector form's bits or the scalar form's by its position:
a loop over ``n`` contiguous elements runs whole vectors (or pairs of them) from its first
element and the scalar form on the last ``n % step``. Where the loops start and stop follows
the iteration: TensorIterator's rows (dims by falling stride, contiguous ones coalesced), cut
again where ``at::parallel_for`` splits the elements between threads (``cascade.chunks``). The
two forms differ in the last bit where they take different elementary functions (SLEEF's
vectorised ``expf`` against the C library's ``expf``: 9 % of values)."""

from __future__ import annotations

import numpy as np

from .cascade import GRAIN_SIZE, chunks, threads


def body_mask(rows: int, size0: int, ranges, step: int) -> np.ndarray:
    """A flat boolean array over ``rows`` rows of ``size0`` elements (row after row): True
    for the elements a loop computes in whole ``step``s, where every piece of a row that a
    range of ``ranges`` (``[begin, end)`` over the flat index) holds is one loop."""
    col = np.arange(size0)
    mask = np.tile(col < size0 - size0 % step, rows)
    for begin, end in ranges:
        r0, c0 = divmod(begin, size0)
        r1, c1 = divmod(end, size0)
        if r1 == r0:  # (one piece inside one row)
            pieces = [(r0, c0, c1)]
        else:
            pieces = [(r0, c0, size0)] + ([(r1, 0, c1)] if c1 else [])
        for r, lo, hi in pieces:
            n = hi - lo
            mask[r * size0 + lo:r * size0 + hi] = np.arange(n) < n - n % step
    return mask


def unary_body(a: np.ndarray, step: int = 32):
    """For a unary ``cpu_kernel_vec`` op on ``a`` (its output laid out as torch lays it out:
    ``a``'s layout when dense, else contiguous in ``a``'s stride order): a boolean array of
    ``a``'s shape, True where the vectorised loop (``step`` elements per iteration: two
    vectors) computes the element, False where the scalar remainder or a strided loop does;
    None when every element is in whole vectors (a dense array of one loop whose size is a
    multiple of ``step``)."""
    n = a.size
    count = threads()
    ranges = chunks(n, count) if n >= GRAIN_SIZE and count > 1 else [(0, n)]
    dims = [d for d in range(a.ndim) if a.shape[d] > 1]
    if any(a.strides[d] <= 0 for d in dims):  # (torch has no negative strides: as dense)
        dims = list(range(a.ndim))
        strides = [int(np.prod(a.shape[d + 1:])) * a.itemsize for d in dims]
    else:
        strides = [a.strides[d] for d in range(a.ndim)]
    dims.sort(key=lambda d: -strides[d])
    size0 = 1
    for d in reversed(dims):  # (coalesce from the innermost dim while contiguous)
        if strides[d] != size0 * a.itemsize:
            break
        size0 *= a.shape[d]
    if size0 == 1 and dims:  # (a strided innermost dim: the scalar loop throughout)
        size0 = a.shape[dims[-1]]
        if strides[dims[-1]] != a.itemsize:
            return np.zeros(a.shape, bool)
    if len(ranges) == 1 and size0 == n and n % step == 0:
        return None
    mask = body_mask(n // max(size0, 1), size0, ranges, step)
    perm = dims + [d for d in range(a.ndim) if d not in dims]
    return np.transpose(mask.reshape([a.shape[d] for d in perm]), np.argsort(perm))
