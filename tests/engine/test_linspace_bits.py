"""``linspace`` to the last bit of torch 2.13's CPU kernel in float32 and float64: the step in
the dtype, then ``start + step * i`` for the first half and ``end - step * (steps - 1 - i)`` for
the rest, each with one rounding (the engine used to compute in float64 and round once at the
end: 28k of 30k float32 elements differed in a sweep; ``linspace(-1, 4, 101)[20]`` was 0.0
where torch gives 1.49e-08)."""

from __future__ import annotations

import numpy as np
import pytest

import engine

torch = pytest.importorskip("torch")


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_linspace_is_torchs_bit_for_bit(dtype):
    rng = np.random.default_rng(7)
    for k in range(300):
        start, end = (float(v) for v in rng.normal(0, 10, 2))
        if k % 3 == 0:
            start, end = float(rng.integers(-5, 5)), float(rng.integers(-5, 5))
        steps = int(rng.integers(0, 300))
        ours = engine.linspace(start, end, steps, dtype=getattr(engine, dtype)).numpy()
        theirs = torch.linspace(start, end, steps, dtype=getattr(torch, dtype)).numpy()
        assert ours.tobytes() == theirs.tobytes(), (start, end, steps)


def test_the_reported_point():
    assert engine.linspace(-1, 4, 101)[20].item() == torch.linspace(-1, 4, 101)[20].item()
    assert repr(engine.linspace(3.0, 2.0, 1)) == repr(torch.linspace(3.0, 2.0, 1))
