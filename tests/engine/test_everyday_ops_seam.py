"""The everyday ops of issue 10 through the array seam: every case of their torch comparisons
(tests/engine/test_{pointwise_extra,fused,comparison,arrange_and_factories,matrices,order_stats,
searching,distance,padding}.py) run on a ``cuda`` device backed by the strict CuPy stand-in, and
compared with the same case on the CPU (values, dtypes, node names, errors). The cases live in
the torch comparison modules, so this runs where torch is installed."""

from __future__ import annotations

import importlib
import sys
import warnings

import numpy as np
import pytest

import engine
from tests.engine import fake_cupy

device_mod = sys.modules["engine.device"]
MODULES = ("pointwise_extra", "fused", "comparison", "arrange_and_factories", "matrices",
           "order_stats", "searching", "distance", "padding")


def _cases():
    out = []
    for mod in MODULES:
        try:
            cases = importlib.import_module(f"tests.engine.test_{mod}").CASES
        except pytest.skip.Exception:  # the module needs torch to import: nothing to run
            continue
        out.extend((f"{mod}:{name}", fn) for name, fn in cases.items())
    return out


# Tensor.type("torch.DoubleTensor") names a CPU type: on a GPU tensor it moves to the CPU.
CASES = [(n, c) for n, c in _cases() if not n.startswith("arrange_and_factories:type-string")]


def _run(case):
    leaves = []

    def leaf(values, dtype=None, requires_grad=True):
        t = engine.tensor(values, dtype=dtype or engine.float64, requires_grad=requires_grad)
        leaves.append(t)
        return t

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return case(engine, engine, leaf), None
        except Exception as e:  # noqa: BLE001 (compared between devices)
            return None, e


def _flat(value) -> list:
    if isinstance(value, engine.Tensor):
        return [value]
    if isinstance(value, (list, tuple)):
        return [t for v in value for t in _flat(v)]
    return [value]


@pytest.mark.parametrize("name,case", CASES, ids=[n for n, _ in CASES])
def test_same_on_the_device(name, case, monkeypatch):
    cpu_value, cpu_error = _run(case)
    fake = fake_cupy.make_module()
    monkeypatch.setattr(device_mod, "cupy_module", lambda: fake)
    monkeypatch.setattr(device_mod, "_cache", {"cpu": device_mod.CPU})
    monkeypatch.setattr(sys.modules["engine.random"], "_default_generators", {})
    with engine.use_device("cuda"):
        dev_value, dev_error = _run(case)
    assert type(dev_error) is type(cpu_error) and str(dev_error) == str(cpu_error) or \
        cpu_error is not None and dev_error is not None and \
        str(dev_error).replace("cuda", "cpu") == str(cpu_error), \
        f"cpu: {cpu_error!r}, device: {dev_error!r}"
    if cpu_error is not None:
        return
    for a, b in zip(_flat(cpu_value), _flat(dev_value), strict=True):
        if isinstance(a, engine.Tensor):
            assert isinstance(b._data, fake.ndarray), "the result left the device"
            assert a.dtype is b.dtype and a.shape == b.shape
            assert (a.grad_fn is None) == (b.grad_fn is None)
            if a.grad_fn is not None:
                assert a.grad_fn.name() == b.grad_fn.name()
            np.testing.assert_allclose(engine.to_numpy(b).astype(np.float64),
                                       engine.to_numpy(a).astype(np.float64), rtol=1e-12,
                                       atol=0, equal_nan=True)
        elif isinstance(a, str):
            assert a == b.replace("torch.cuda.", "torch.")
        else:
            assert a == b or a != a and b != b
