"""vmap over engine/ops/strided.py's ops: they read the storage's memory layout, which a
BatchedArray refuses (BatchingError), so vmap runs them once per sample."""

from __future__ import annotations

import sys

import numpy as np

import engine
from engine.func import vmap


def test_vmap_as_strided_falls_back_per_sample():
    """Under vmap, as_strided / as_strided_ / resize_ read a BatchedArray's memory layout, which
    raises BatchingError (engine/func/batching.py): vmap runs the function once per sample."""
    stats = sys.modules["engine.func.vmap"].stats
    xs = engine.tensor(np.arange(24.0).reshape(3, 8))
    for f in (lambda x: x.as_strided((2, 2), (1, 2), 1),
              lambda x: engine.as_strided(x * 2, (3,), (2,)),
              lambda x: x.clone().as_strided_((2, 3), (3, 1))):
        before = stats["fallbacks"]
        got = vmap(f)(xs)
        assert stats["fallbacks"] == before + 1
        for k in range(3):
            np.testing.assert_array_equal(engine.to_numpy(got[k]), engine.to_numpy(f(xs[k])))
