"""The array seam without a GPU: ``cuda`` tensors backed by a strict NumPy stand-in for CuPy
(tests/engine/fake_cupy.py), so every op's gradcheck and the seed chapter run through
``Device.xp`` and fail where an op mixes host and device arrays."""

from __future__ import annotations

import sys

import numpy as np
import pytest

import engine
from tests.engine import fake_cupy, test_seed
from tests.engine import test_gradcheck as gc

device_mod = sys.modules["engine.device"]  # the module (engine.device is also a function)


@pytest.fixture
def fake_cuda(monkeypatch):
    fake = fake_cupy.make_module()
    monkeypatch.setattr(device_mod, "cupy_module", lambda: fake)
    monkeypatch.setattr(device_mod, "_cache", {"cpu": device_mod.CPU})
    monkeypatch.setattr(sys.modules["engine.random"], "_default_generators", {})
    with engine.use_device("cuda"):
        yield fake


#: Ops that refuse a device tensor with NotSupported (named in the error), and why.
HOST_ONLY = {
    "as_strided": "views a NumPy storage buffer by its addresses: CPU tensors only for now "
                  "(engine/ops/strided.py raises NotSupported on a device)",
}


@pytest.mark.parametrize("name,index", gc.CASES, ids=[f"{n}-{i}" for n, i in gc.CASES])
def test_gradcheck_through_the_seam(name, index, fake_cuda):
    if name in HOST_ONLY:
        with pytest.raises(engine.errors.NotSupported, match="not a plain contiguous buffer"):
            gc.test_gradcheck(name, index, noncontig=False)
        return
    gc.test_gradcheck(name, index, noncontig=False)


def test_seed_chapter_through_the_seam(fake_cuda):
    test_seed.run_seed_chapter()


def test_cuda_tensor_data_is_device_array(fake_cuda):
    x = engine.arange(4.0, requires_grad=True)
    assert isinstance(x._data, fake_cuda.ndarray)
    assert str(x.device) == "cuda:0"
    (x * x).sum().backward()
    assert isinstance(x.grad._data, fake_cuda.ndarray)
    assert repr(x.grad) == "tensor([0., 2., 4., 6.], device='cuda:0')"
    assert isinstance(engine.to_numpy(x.grad), np.ndarray)
    assert not isinstance(engine.to_numpy(x.grad), fake_cuda.ndarray)


def test_cpu_and_cuda_do_not_mix(fake_cuda):
    with pytest.raises(RuntimeError, match="^Expected all tensors to be on the same device, "
                                           "but found at least two devices, cuda:0 and cpu!$"):
        engine.ones(3) + engine.ones(3, device="cpu")


def test_to_moves_between_devices(fake_cuda):
    x = engine.tensor([1.0, 2.0], device="cpu", requires_grad=True)
    y = x.to("cuda")
    assert str(y.device) == "cuda:0" and y.grad_fn.name() == "ToCopyBackward0"
    (y * 3).sum().backward()
    assert str(x.grad.device) == "cpu"
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 3.0])


def test_the_unindexed_cuda_device_places_on_cuda_0(fake_cuda):
    gpu = engine.torch_device("cuda")
    assert (str(gpu), repr(gpu), gpu.index) == ("cuda", "device(type='cuda')", None)
    x = engine.ones(2, device=gpu)
    y = engine.ones(2, device="cpu").to(gpu)
    assert str(x.device) == str(y.device) == "cuda:0"
    assert x.device != gpu and x.device == engine.torch_device("cuda", 0)


def test_unavailable_cuda_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(device_mod, "cuda_device_count", lambda: 0)
    monkeypatch.setattr(device_mod, "_cache", {"cpu": device_mod.CPU})
    with pytest.raises(RuntimeError, match="not available"):
        engine.zeros(2, device="cuda")


def test_channels_last_copies_on_the_device(fake_cuda):
    """Channels-last copies keep torch's strides on a device too (a device buffer viewed with
    ``lib.stride_tricks.as_strided``), and stay device arrays."""
    x = engine.randn(2, 3, 4, 5, device="cuda")
    for y in (x.contiguous(memory_format=engine.channels_last),
              x.clone(memory_format=engine.channels_last),
              x.contiguous(memory_format=engine.channels_last).clone()):
        assert y.stride() == (60, 1, 15, 3)
        assert y.is_contiguous(memory_format=engine.channels_last)
        assert isinstance(y._data, fake_cuda.ndarray)
        np.testing.assert_array_equal(engine.to_numpy(y), engine.to_numpy(x))
    empty = engine.randn(0, 3, 4, 5, device="cuda").contiguous(
        memory_format=engine.channels_last)
    assert empty.stride() == (60, 1, 15, 3) and isinstance(empty._data, fake_cuda.ndarray)
    x3 = engine.randn(1, 2, 3, 4, 5, device="cuda")
    assert x3.contiguous(memory_format=engine.channels_last_3d).stride() == (120, 1, 40, 10, 2)
