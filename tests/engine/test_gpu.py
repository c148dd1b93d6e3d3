"""The engine on a real CUDA device (CuPy): the op table's gradchecks and the seed chapter.
Marked ``gpu``; skipped where ``cupy.cuda.is_available()`` is false."""

from __future__ import annotations

import numpy as np
import pytest

import engine
from tests.engine import test_gradcheck as gc
from tests.engine import test_seed

pytestmark = pytest.mark.gpu


@pytest.fixture
def on_cuda():
    with engine.use_device("cuda"):
        yield


@pytest.mark.parametrize("name,index", gc.CASES, ids=[f"{n}-{i}" for n, i in gc.CASES])
def test_gradcheck_on_cuda(name, index, on_cuda):
    gc.test_gradcheck(name, index, noncontig=False, oracle=False)  # oracle: CPU suite


def test_seed_chapter_on_cuda(on_cuda):
    test_seed.run_seed_chapter()


def test_tensors_live_on_cuda_and_come_back(on_cuda):
    x = engine.arange(4.0, requires_grad=True)
    assert str(x.device) == "cuda:0"
    assert repr(x) == "tensor([0., 1., 2., 3.], device='cuda:0', requires_grad=True)"
    y = (x * x).sum()
    y.backward()
    assert x.grad.device == x.device
    np.testing.assert_allclose(engine.to_numpy(x.grad), [0, 2, 4, 6])
    c = x.detach().cpu()
    assert str(c.device) == "cpu"


def test_mixing_devices_fails_with_pytorch_text(on_cuda):
    x = engine.ones(3)
    y = engine.ones(3, device="cpu")
    with pytest.raises(RuntimeError, match="Expected all tensors to be on the same device"):
        x + y


def test_cuda_generator_is_reproducible(on_cuda):
    g = engine.Generator("cuda").manual_seed(3)
    a = engine.randn(5, generator=g)
    g.manual_seed(3)
    b = engine.randn(5, generator=g)
    np.testing.assert_array_equal(engine.to_numpy(a), engine.to_numpy(b))
