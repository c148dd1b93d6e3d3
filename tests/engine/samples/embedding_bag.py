"""engine/ops/embedding_bag.py: F.embedding_bag (sum, mean, max; offsets, per_sample_weights,
padding_idx, include_last_offset). A 2-D input (bags of fixed length) is compared with torch
in tests/engine/test_embedding_bag_ops.py: torch's wrapper reads ``input.is_nested`` first, so
an engine index tensor handed to torch here raises AttributeError, not TypeError."""

import numpy as np

import engine

from . import Sample, samples

rng = np.random.default_rng(67)
_I = engine.tensor([1, 2, 4, 5, 4, 3, 2, 0])
_O = engine.tensor([0, 3, 3, 6])


def w():
    return rng.uniform(-2.0, 2.0, size=(6, 3))


_items = []
for _mode in ("sum", "mean", "max"):
    _items += [Sample((_I, w(), _O), {"mode": _mode}, name=_mode),
               Sample((_I, w(), _O), {"mode": _mode, "padding_idx": 4}, name=f"{_mode}-pad"),
               Sample((_I, w(), engine.tensor([0, 3, 3, 6, 8])),
                      {"mode": _mode, "include_last_offset": True}, name=f"{_mode}-last")]
_items.append(Sample((_I, w(), _O, None, 2, False, "sum", False, rng.uniform(0.5, 2.0, 8)),
                     second_order=False, name="per-sample-weights"))  # (torch refuses it)
samples("embedding_bag", *_items)
