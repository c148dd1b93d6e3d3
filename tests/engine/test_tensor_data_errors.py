"""``tensor(data)`` refuses malformed data as torch 2.13 does, in torch's order: the sizes
along the first elements (a string there has "too many dimensions"), then the dtype inference
(when no dtype is given), then every element (ragged lengths, a number where a sequence
belongs and the reverse, None and strings, which NumPy would silently turn into NaN, True or
a parsed number)."""

from __future__ import annotations

import pytest

import engine

torch = pytest.importorskip("torch")

CASES = [[[1, 2], 3], [1, "a"], [[1], [2, "x"]], [1, None], ["1.5"], [[1, 2], [3]],
         [[[1]], [[2, 3]]], [1, [2]], [True, [1]], [[1], (2,)], [[1, 2], [3.5]], [["a"]],
         [2 ** 63], [1, 2 ** 64], [], [[]], [[], []], [[1], []], [1.5, None, "a"]]
DTYPES = [None, "float32", "float64", "int64", "int32", "bool"]


def _outcome(mod, data, dtype):
    kwargs = {} if dtype is None else {"dtype": getattr(mod, dtype)}
    try:
        t = mod.tensor(data, **kwargs)
    except (TypeError, ValueError, RuntimeError) as e:
        kind = next(c.__name__ for c in type(e).__mro__
                    if c.__name__ in ("TypeError", "ValueError", "RuntimeError"))
        return kind, str(e)
    return str(t.dtype), t.tolist()


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("data", CASES, ids=repr)
def test_malformed_data_is_refused_as_torch_refuses_it(data, dtype):
    assert _outcome(engine, data, dtype) == _outcome(torch, data, dtype)


def test_objects_in_the_data():
    data = [object()]
    for dtype in DTYPES:
        ours, theirs = _outcome(engine, data, dtype), _outcome(torch, data, dtype)
        assert ours[0] == theirs[0] and ours[1].split(" at 0x")[0] == theirs[1].split(" at 0x")[0]
