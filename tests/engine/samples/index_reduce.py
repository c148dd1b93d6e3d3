"""engine/ops/index_reduce.py: index_reduce (prod, mean, amax, amin; include_self)."""

import numpy as np

import engine

from . import Sample, samples

rng = np.random.default_rng(59)


def r(*shape):
    return rng.uniform(0.5, 2.0, size=shape) * rng.choice([-1.0, 1.0], size=shape)


_IDX = engine.tensor([0, 2, 0])
_items = []
for _reduce in ("prod", "mean", "amax", "amin"):
    for _inc in (True, False):
        _items.append(Sample((r(4, 3), 0, _IDX, r(3, 3), _reduce), {"include_self": _inc},
                             name=f"{_reduce}-{_inc}"))
    _items.append(Sample((r(3, 4), 1, engine.tensor([3, 3, 1]), r(3, 3), _reduce),
                         name=f"{_reduce}-dim1"))
_src0 = r(3, 3)
_src0[0, 1] = 0.0  # prod: a single zero in a group, and two zeros in another
_src0[1, 2] = _src0[2, 2] = 0.0
_items.append(Sample((r(4, 3), 0, _IDX, _src0, "prod"), name="prod-zeros"))
samples("index_reduce", *_items)
