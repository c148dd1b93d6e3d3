"""Sums of a whole tensor in torch's order (engine/ops/cascade.py ``whole_sum``, and
``strided_sum`` for sums to more values: the last test), bitwise:
strided inputs (transposed, sliced, stepped, 3-d views) go through torch's iterator, its rows
(the innermost coalesced dim: the vector row sum where contiguous, the scalar one where
strided) added in turn; from 32,768 elements on more than one thread, one range per thread
into its own slot (rows cut at the range's ends), the slots summed as a row. Before: NumPy's
pairwise order for every strided input, and for contiguous ones over the grain on 2 threads
(419 of 512 of these cases differed). The thread count is set on both sides."""

from __future__ import annotations

import numpy as np
import pytest

import engine as E
from engine import backends

torch = pytest.importorskip("torch")

VIEWS = {
    "contiguous": lambda t: t,
    "transposed": lambda t: t.transpose(0, 1),
    "stepped": lambda t: t[:, ::2],
    "5 columns": lambda t: t[:, :5],
    "13 columns": lambda t: t[:, 3:16],
    "rows": lambda t: t[::3],
    "3-d slice": lambda t: t.reshape(t.shape[0], -1, 4)[:, :, 1:3],
    "3-d permuted": lambda t: t.reshape(t.shape[0], -1, 4).permute(2, 0, 1)[1:],
}


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("view", sorted(VIEWS))
def test_whole_sums_of_strided_and_long_tensors(threads, view):
    before = torch.get_num_threads()
    rng = np.random.default_rng(1)
    try:
        torch.set_num_threads(threads)
        with backends.use_cpu_state((threads,) + backends.cpu_state()[1:]):
            for shape in [(5, 8), (30, 40), (64, 100), (128, 260), (300, 256), (1000, 80),
                          (257, 520), (37, 3000)]:
                a = rng.standard_normal(shape) * np.exp(rng.uniform(-8, 8, shape))
                for dtype in ("float32", "float64"):
                    for op in ("sum", "mean"):
                        got = [getattr(VIEWS[view](T.tensor(a, dtype=getattr(T, dtype))), op)()
                               .numpy().reshape(-1).view(np.uint8) for T in (E, torch)]
                        np.testing.assert_array_equal(*got, err_msg=f"{shape} {dtype} {op}")
    finally:
        torch.set_num_threads(before)


def test_sum_gradients_of_strided_views_unchanged():
    """The backward of a strided whole sum is still ones in the view's shape."""
    x = E.randn(6, 8, requires_grad=True)
    x[:, ::2].sum().backward()
    expected = np.zeros((6, 8), np.float32)
    expected[:, ::2] = 1
    np.testing.assert_array_equal(x.grad.numpy(), expected)


def _layouts(T, t):
    yield "contiguous", t
    yield "reversed dims", t.permute(*reversed(range(t.dim())))
    yield "dims 0 and 1 swapped", t.transpose(0, 1)
    yield "stepped", t[..., ::2]
    yield "sliced", t[1:-1]
    if t.dim() == 4:
        yield "channels_last", t.contiguous(memory_format=T.channels_last)


@pytest.mark.parametrize("shape", [(4, 6, 5), (8, 3, 16), (2, 40, 9), (16, 5, 4, 4),
                                   (8, 16, 8, 8), (64, 10, 2), (5, 7, 11, 13), (2, 64, 32, 32)])
def test_sums_over_any_dims_of_any_layout(shape):
    """Sums to more than one value over any set of dims (non-adjacent ones such as (0, 2) and
    BatchNorm's (0, 2, 3) included) of strided layouts: torch's reduction iterator (reduced
    dims innermost by stride, kept ones in the result's row-major order; rows of the innermost
    reduced dim added in turn, or an outer reduction across the innermost kept dim). Before:
    NumPy's order, 570 of 908 of these results differed."""
    import itertools

    rng = np.random.default_rng(sum(shape))
    a = rng.standard_normal(shape) * np.exp(rng.uniform(-8, 8, shape))
    for k in range(1, len(shape)):
        for dims in itertools.combinations(range(len(shape)), k):
            for dtype in ("float32", "float64"):
                got = [{name: v.sum(dims).numpy().reshape(-1).view(np.uint8)
                        for name, v in _layouts(T, T.tensor(a, dtype=getattr(T, dtype)))}
                       for T in (E, torch)]
                for name in got[1]:
                    np.testing.assert_array_equal(got[0][name], got[1][name],
                                                  err_msg=f"{dims} {dtype} {name}")
