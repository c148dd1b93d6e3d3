"""What an op will cost, estimated from its shapes before it runs (as gas, or Kubernetes CEL).

Most ops do work in proportion to the elements they make, which the element limit
(``use_limits``) bounds already. The ops here do more: a matrix product's flops, einsum's real
contraction, a sort's n log n, a convolution's kernel work. Each calls :func:`charge` with its
estimate, in *cost units* of about a nanosecond of one core's work, right before it computes;
the caller's meter (``use_cost_meter``; none by default, then ``charge`` is one context-variable
read) may refuse by raising, and the op then does nothing. A new op whose work grows faster than
its output charges the same way.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from contextvars import ContextVar

from .modes import ContextSetting

Meter = Callable[[str, float], None]
_meter: ContextVar[Meter | None] = ContextVar("cost_meter", default=None)

FLOP = 0.05
"""Cost units of one floating-point operation of a BLAS product (~20 Gflop/s a core)."""
LOOP = 1.0
"""Cost units of one multiply-add of a non-BLAS loop (NumPy's einsum without a path)."""
COMPARE = 4.0
"""Cost units of one step of a sort (n log2 n of them)."""


def use_cost_meter(meter: Meter | None) -> ContextSetting:
    """Inside the block, every costly op calls ``meter(op_name, units)`` before it runs."""
    return ContextSetting(_meter, meter)


def charge(op: str, units: float) -> None:
    meter = _meter.get()
    if meter is not None:
        meter(op, units)


def product_cost(out_numel: int, inner: int) -> float:
    """A matrix product: a multiply and an add per output element and inner index."""
    return FLOP * 2.0 * out_numel * inner


def sort_cost(shape: tuple, dim: int) -> float:
    n = shape[dim] if shape else 1
    rows = math.prod(shape) // n if n else 0
    return COMPARE * rows * n * max(1.0, math.log2(n)) if n else 0.0


def einsum_cost(subscripts: list[str], sizes: dict[str, int], optimized: bool) -> float:
    """NumPy evaluates two operands (no path) as one loop over every letter; with a path
    (three or more), pairwise contractions each looping over the letters of their pair."""
    letters = set("".join(subscripts))
    if not optimized:
        return LOOP * math.prod(sizes[c] for c in letters) * max(1, len(subscripts))
    total, acc = 0.0, set(subscripts[0])
    for sub in subscripts[1:]:
        pair = acc | set(sub)
        total += LOOP * math.prod(sizes[c] for c in pair)
        acc = pair
    return total


def factorization_cost(shape: tuple) -> float:
    """A LAPACK factorization (LU, Cholesky, QR, eigen, SVD) of each ``m x n`` matrix of a
    batch: about ``m n min(m, n)`` multiply-adds, times 5 for the slowest of them (SVD)."""
    m, n = shape[-2:]
    return FLOP * 10.0 * math.prod(shape[:-2]) * m * n * min(m, n)


def conv_cost(positions: int, weight_numel: int) -> float:
    """A convolution: every weight element at every position of the batch (the output's for a
    convolution, the input's for a transposed one); twice a product's, for the unfolding."""
    return 2 * FLOP * 2.0 * positions * weight_numel
