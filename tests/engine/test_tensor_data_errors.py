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


def _elements(mod):
    """Data whose elements carry their own dtype: tensors, NumPy arrays and NumPy scalars
    (torch promotes the elements' dtypes: ``[float64 tensor, 1.5]`` is float64)."""
    import numpy as np

    return {
        "float64 tensor": [mod.tensor(1., dtype=mod.float64)],
        "int16 tensor": [mod.tensor(1, dtype=mod.int16)],
        "int16 tensor, int": [mod.tensor(1, dtype=mod.int16), 2],
        "int16 tensor, float": [mod.tensor(1, dtype=mod.int16), 2.5],
        "bool tensor, int": [mod.tensor(True), 2],
        "float16 tensor, float": [mod.tensor(1., dtype=mod.float16), 2.5],
        "int32, uint8 tensors": [mod.tensor(1, dtype=mod.int32), mod.tensor(1, dtype=mod.uint8)],
        "int array": [np.array([1, 2])],
        "float array": [np.array([1., 2.])],
        "float32 array": [np.array([1, 2], dtype=np.float32)],
        "array, list": [np.array([1, 2]), [3, 4]],
        "list, float array": [[3, 4], np.array([1., 2.])],
        "0-d array": [np.array(1.5)],
        "bool array": [np.array([True, False])],
        "array, float": [np.array([1, 2], dtype=np.int16), 1.5],
        "ragged arrays": [np.array([1, 2]), np.array([1, 2, 3])],
        "numpy float64, int": [np.float64(1.5), 2],
        "numpy int16": [np.int16(3)],
        "numpy float16": [np.float16(3)],
    }


@pytest.mark.parametrize("case", list(_elements(engine)))
def test_elements_with_their_own_dtype_promote_as_torch(case):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch warns once per process for a list of arrays
        assert _outcome(engine, _elements(engine)[case], None) == \
            _outcome(torch, _elements(torch)[case], None)


def test_a_list_of_arrays_warns_as_torch():
    import numpy as np

    from engine.ops import creation

    creation._ARRAY_LIST_WARNED.clear()
    with pytest.warns(UserWarning, match="list of numpy.ndarrays is extremely slow") as got:
        engine.tensor([np.array([1, 2])])
        engine.tensor([np.array([1, 2])])
    assert len([w for w in got if "numpy.ndarrays" in str(w.message)]) == 1
