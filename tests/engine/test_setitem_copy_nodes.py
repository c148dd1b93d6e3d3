"""``t[key] = value`` (basic indexing) records torch 2.13's nodes: a value of the target's shape
is copied as is (no ExpandBackward0), otherwise it is viewed without its leading ones
(ViewBackward0) and expanded only if its shape still differs; 0-d values fill. Found through
LowRankMultivariateNormal's ``K.view(-1, m * m)[:, ::m + 1] += 1``."""

from __future__ import annotations

import math

import pytest

pytest.importorskip("torch")

from tests.engine.torch_compare import compare  # noqa: E402

# (target shape, key, value shape); the last two cannot broadcast (torch's error)
SHAPES = [((3, 2), (0,), (2,)), ((3, 2), (0,), (1, 2)),
          ((2, 2), (slice(None), slice(None, None, 1)), (2,)),
          ((2, 2), (slice(None),), (2, 2)), ((2, 2), (slice(None),), (1, 2, 2)),
          ((2, 2), (slice(None),), (2, 1)), ((2, 2), (slice(None),), (1,)),
          ((2, 2), (slice(None),), ()), ((4,), (slice(None, None, 3),), (2,)),
          ((2, 3), (1,), (1, 1, 3)), ((2, 2), (slice(None),), (3,)),
          ((2, 3), (slice(None),), (2, 1, 3))]


def _values(shape):
    n = math.prod(shape)
    flat = [float(i + 1) for i in range(n)]
    return flat[0] if not shape else _nest(flat, shape)


def _nest(flat, shape):
    if len(shape) == 1:
        return flat
    step = len(flat) // shape[0]
    return [_nest(flat[i * step:(i + 1) * step], shape[1:]) for i in range(shape[0])]


def _case(target, key, shape, how):
    def case(m, F, leaf):
        w = leaf(_values(shape))
        if how == "value-requires-grad":
            b = m.zeros(target, dtype=m.float64)
            b[key] = w * 2
        elif how == "both-require-grad":
            b = leaf(_values(target)) * 1
            b[key] = w * 2
        else:  # another dtype, no gradient
            b = m.zeros(target, dtype=m.float64)
            b[key] = m.ones(shape, dtype=m.float32)
        return b
    return case


CASES = {f"{t}-{k}-{s}-{how}": _case(t, k, s, how) for t, k, s in SHAPES
         for how in ("value-requires-grad", "both-require-grad", "cast")}


@pytest.mark.parametrize("name", list(CASES))
def test_setitem_nodes_as_torch(name):
    compare(CASES[name])
