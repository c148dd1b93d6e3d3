"""``torch.asarray`` (engine/ops/asarray.py) against torch 2.13 side by side: tensors (the same
object, clones, casts, the requires_grad rules and the leaf whose flag changes), NumPy arrays
(memory shared exactly where torch shares it), NumPy and Python scalars, sequences, errors."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import engine

torch = pytest.importorskip("torch")
from .torch_compare import compare  # noqa: E402

WARN = "ignore:torch.asarray. unspecified requires_grad:UserWarning"


def _shares(r, obj) -> bool:
    if isinstance(r, engine.Tensor):
        return bool(np.shares_memory(r._data, obj._data))
    return r.data_ptr() == obj.data_ptr()


def _dt(m, name):
    return None if name is None else getattr(m, name)


@pytest.mark.filterwarnings(WARN)
@pytest.mark.parametrize("copy", [None, True, False])
@pytest.mark.parametrize("dtype", [None, "float64", "float32", "int64"])
@pytest.mark.parametrize("rg", [None, True, False])
@pytest.mark.parametrize("source", ["leaf", "nonleaf", "plain", "view", "int"])
def test_asarray_of_a_tensor_matches_torch(source, rg, dtype, copy):
    x = [[1.5, -2.0, 0.25], [3.0, 4.5, -0.5]]

    def case(m, F, leaf):
        if source == "int":
            obj = m.tensor([[1, 2], [3, 4]])
        elif source == "plain":
            obj = m.tensor(x, dtype=m.float64)
        else:
            a = leaf(x)
            obj = a if source == "leaf" else a * 2 if source == "nonleaf" else a.t()
        kw = {"copy": copy, "dtype": _dt(m, dtype)}
        if rg is not None:
            kw["requires_grad"] = rg
        r = m.asarray(obj, **kw)
        # (a copy of a transposed view: torch keeps the strides, the engine's clone copies
        # row-major, see engine/ops/memory_format.py)
        stride = r.stride() if source != "view" or r is obj else None
        return r, r is obj, obj.requires_grad, r.is_leaf, stride, _shares(r, obj)

    compare(case)


@pytest.mark.filterwarnings(WARN)
def test_asarray_keeps_the_tensor_and_its_history():
    for m in (engine, torch):
        a = m.tensor([1.0, 2.0], requires_grad=True)
        y = a * 3
        r = m.asarray(y)
        assert r is y
        r.sum().backward()
        assert a.grad.tolist() == [3.0, 3.0]
        z = m.zeros(3)
        r = m.asarray(z)
        r.add_(1)
        assert z.tolist() == [1.0, 1.0, 1.0] and z._version == 1


def test_asarray_warns_once_when_requires_grad_is_left_to_the_input(monkeypatch):
    import sys

    mod = sys.modules["engine.ops.asarray"]  # (engine.ops.asarray is the op itself)
    monkeypatch.setattr(mod, "_WARNED", [])
    a = engine.ones(2, requires_grad=True)
    with warnings.catch_warnings(record=True) as got:
        warnings.simplefilter("always")
        engine.asarray(a, requires_grad=True)
        engine.asarray(engine.ones(2))
        engine.asarray(a)
        engine.asarray(a)  # (torch's TORCH_WARN_ONCE: once per process)
    texts = [str(w.message) for w in got]
    assert texts == [
        "torch.asarray: unspecified requires_grad now defaults to obj.requires_grad instead of "
        "False. Pass requires_grad=False explicitly to get the old behavior and silence this "
        "warning."]


@pytest.mark.parametrize("copy", [None, True, False])
@pytest.mark.parametrize("dtype", [None, "float64", "float32"])
@pytest.mark.parametrize("layout", ["contiguous", "transposed"])
def test_asarray_of_a_numpy_array_shares_memory_as_torch(copy, dtype, layout):
    results = []
    for m in (engine, torch):
        n = np.arange(6.0).reshape(2, 3)
        if layout == "transposed":
            n = n.T
        try:
            r = m.asarray(n, copy=copy, dtype=_dt(m, dtype))
        except Exception as e:  # noqa: BLE001 (compared with torch's)
            results.append((isinstance(e, ValueError), str(e)))
            continue
        r[0, 0] = 9  # (writes through when the memory is shared)
        results.append((str(r.dtype), tuple(r.shape), r.stride(), float(n[0, 0]),
                        r.tolist()))
    assert results[0] == results[1]


@pytest.mark.parametrize("value", [3, 2.5, True, [1, 2, 3], [1.0, 2], [[1, 2], [3, 4.0]],
                                   (1, 2), [], [[]], [1, 2.5, True], [True, False]])
@pytest.mark.parametrize("dtype", [None, "float16", "int32", "bool", "float64"])
def test_asarray_of_python_values_matches_torch(value, dtype):
    def case(m, F, leaf):
        return m.asarray(value, dtype=_dt(m, dtype))

    compare(case)


@pytest.mark.parametrize("call", [
    lambda m: m.asarray([1, 2], copy=False),
    lambda m: m.asarray(3, copy=False),
    lambda m: m.asarray([1, 2], requires_grad=True),
    lambda m: m.asarray([1.0, 2], requires_grad=True),
    lambda m: m.asarray(2, requires_grad=True, dtype=m.float64),
    lambda m: m.asarray([[1.5]], dtype=m.int64),
    lambda m: m.asarray([[1, 2], [3]]),
    lambda m: m.asarray("abc"),
    lambda m: m.asarray([1, "a"]),
    lambda m: m.asarray(None),
    lambda m: m.asarray([1, 2], dtype=3),
    lambda m: m.asarray([1, 2], copy=3),
    lambda m: m.asarray([1, 2], requires_grad=3),
    lambda m: m.asarray([m.tensor(1.0), m.tensor(2.0)]),
    lambda m: m.asarray([m.tensor([1.0, 2]), m.tensor([3.0, 4])]),
    lambda m: m.asarray(m.ones(2, dtype=m.int32), dtype=m.bool, copy=False),
    lambda m: m.asarray(m.ones(2, dtype=m.float16), dtype=m.int8, copy=False),
    lambda m: m.asarray(m.ones(2, dtype=m.int64), dtype=m.float32, copy=False),
    lambda m: m.asarray(m.arange(3), requires_grad=True),
    lambda m: m.asarray(m.ones(2, requires_grad=True), dtype=m.int64),
    lambda m: m.asarray(np.float32(2)),
    lambda m: m.asarray(np.int64(2), dtype=m.float64),
    lambda m: m.asarray(np.float32(2), copy=False),
    lambda m: m.asarray(np.array([1, 2], dtype=np.int32)),
    lambda m: m.asarray(np.arange(3.0), dtype=m.float32, copy=False),
])
@pytest.mark.filterwarnings(WARN)
def test_asarray_values_and_errors_match_torch(call):
    def case(m, F, leaf):
        return call(m)

    compare(case)


@pytest.mark.filterwarnings(WARN)
def test_asarray_on_a_leaf_changes_its_flag_as_torch():
    for m in (engine, torch):
        a = m.ones(2, requires_grad=True)
        r = m.asarray(a, requires_grad=False)
        assert r is a and not a.requires_grad
        b = m.ones(2)
        r = m.asarray(b, requires_grad=True)
        assert r is b and b.requires_grad and b.is_leaf
        with m.no_grad():
            c = m.ones(2, requires_grad=True)
            r = m.asarray(c, copy=True)
        assert r.requires_grad and r.is_leaf and r.grad_fn is None


def test_asarray_through_the_language():
    from tests.app.lang.published import run_ours, run_torch

    cells = ["import torch\nimport numpy as np\n"
             "a = np.arange(4.0)\nt = torch.asarray(a)\nt[0] = 7\nprint(a, t.dtype)\n"
             "c = torch.asarray(a, copy=True)\nc[1] = 9\nprint(a)\n"
             "f = torch.asarray(a, dtype=torch.float32)\nf[2] = 5\nprint(a, f)\n"
             "x = torch.ones(2, 3, requires_grad=True)\ny = x * 2\n"
             "print(torch.asarray(y, requires_grad=True) is y, torch.asarray(y, copy=True, "
             "requires_grad=True).grad_fn.name())\n"
             "print(torch.asarray([1, 2.5]), torch.asarray(3), torch.asarray((True, False)))\n"
             "try:\n    torch.asarray([1, 2], copy=False)\nexcept ValueError as e:\n"
             "    print('E', e)\n"]
    assert run_ours(cells) == run_torch(cells)
