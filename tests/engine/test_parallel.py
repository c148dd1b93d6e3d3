"""Large elementwise work chunked over threads (engine/_parallel.py) gives NumPy's exact result."""

from __future__ import annotations

import os
import signal

import numpy as np
import pytest

import engine
from engine import _parallel
from engine.ops import families

N = 3 * _parallel._ALIGN + 5  # four chunks of two threads' work, the last one ragged


@pytest.fixture
def chunking(monkeypatch):
    """Chunk from a few thousand elements on, with two threads even on a one-core machine."""
    monkeypatch.setattr(_parallel, "MIN_ELEMENTS", 1024)
    monkeypatch.setattr(_parallel, "_MIN_CHUNK", _parallel._ALIGN)
    monkeypatch.setattr(_parallel, "THREADS", 2)
    monkeypatch.setattr(_parallel, "_pool", None)
    calls = []
    chunked = _parallel.chunked

    def counting(ufunc, *args):
        calls.append(ufunc.__name__)
        return chunked(ufunc, *args)

    monkeypatch.setattr(_parallel, "chunked", counting)
    return calls


def _same(a, b) -> bool:
    return a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b, equal_nan=True)


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_unary_ufuncs_are_exact(dtype, chunking):
    x = (np.random.default_rng(0).standard_normal(N) * 3).astype(dtype)
    with np.errstate(all="ignore"):
        for name in ("sin", "exp", "log", "sqrt", "tanh", "expm1", "negative", "sign"):
            u = getattr(np, name)
            assert _same(getattr(_parallel.PARALLEL_NUMPY, name)(x), u(x)), name


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_binary_ufuncs_are_exact(dtype, chunking):
    rng = np.random.default_rng(1)
    x = rng.standard_normal(N).astype(dtype)
    y = rng.standard_normal(N).astype(dtype)
    m = rng.standard_normal((N // 5, 5)).astype(dtype)
    cases = [(x, y), (x, 2.5), (3, x), (x, np.float64(2.0)), (x, np.array([[2.0]])),
             (x[::2], y[::2]), (m, m), (m, m.T.copy().T), (m, np.ones(5, dtype))]
    with np.errstate(all="ignore"):
        for name in ("multiply", "add", "true_divide", "power", "maximum", "greater"):
            u = getattr(np, name)
            for args in cases:
                assert _same(getattr(_parallel.PARALLEL_NUMPY, name)(*args), u(*args)), name


def test_ufunc_methods_and_other_functions_are_numpys():
    p = _parallel.PARALLEL_NUMPY
    assert p.add.reduce(np.arange(5.0)) == 10.0
    assert p.where is np.where and p.float32 is np.float32
    assert _parallel.is_numpy(p) and _parallel.is_numpy(np)


def test_error_state_holds_in_the_workers(chunking):
    zeros = np.zeros(N, dtype=np.float32)
    with np.errstate(divide="raise"):
        with pytest.raises(FloatingPointError):
            _parallel.chunked(np.log, zeros)
    with np.errstate(all="ignore"):
        assert np.isneginf(_parallel.chunked(np.log, zeros)).all()


def test_engine_ops_use_it_and_stay_exact(chunking, monkeypatch):
    n = families.MIN_ELEMENTS + 5  # the op families' threshold (read at import)
    x0 = np.random.default_rng(2).standard_normal(n).astype(np.float32)

    def run():
        x = engine.tensor(x0, requires_grad=True)
        y = (x.sin() * x + 1.5 - x.tanh()).sum()
        y.backward()
        return y.detach().numpy(), x.grad.numpy()

    y, grad = run()
    assert {"sin", "multiply", "add", "subtract", "tanh"} <= set(chunking)
    s, t = np.sin(x0), np.tanh(x0)
    np.testing.assert_allclose(grad, np.cos(x0) * x0 + s - (1 - t * t), rtol=1e-6, atol=1e-6)
    monkeypatch.setattr(_parallel, "THREADS", 1)  # the same program on one thread
    y1, grad1 = run()
    assert _same(y, y1) and _same(grad, grad1)


def test_a_forked_child_gets_its_own_pool(chunking):
    x = np.arange(N, dtype=np.float64)
    expected = np.sqrt(x)
    assert _same(_parallel.chunked(np.sqrt, x), expected)  # the parent's pool has threads now
    pid = os.fork()
    if pid == 0:  # pragma: no cover (the child)
        signal.alarm(30)
        ok = False
        try:
            ok = _same(_parallel.chunked(np.sqrt, x), expected)
        finally:
            os._exit(0 if ok else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_times_ufunc_is_the_two_call_form(dtype, chunking, monkeypatch):
    monkeypatch.setattr(_parallel, "_BLOCK", 1024)  # several blocks per chunk
    rng = np.random.default_rng(3)
    x = (rng.standard_normal(N) * 4).astype(dtype)
    g = rng.standard_normal(N).astype(dtype)
    scalar = np.broadcast_to(np.array(2.5, dtype), (N,))  # an expanded one-element gradient
    with np.errstate(all="ignore"):
        for threads in (2, 1):
            monkeypatch.setattr(_parallel, "THREADS", threads)
            for gg in (g, scalar):
                for u in (np.cos, np.sin, np.exp):
                    assert _same(_parallel.times_ufunc(gg, u, x), gg * u(x)), (threads, u)
            m = x[: N - N % 7].reshape(-1, 7)
            assert _same(_parallel.times_ufunc(m * 2, np.cos, m), (m * 2) * np.cos(m))
    assert _parallel.times_ufunc(g.astype(np.float64), np.cos, x.astype(np.float32)) is None
    assert _parallel.times_ufunc(g, np.cos, x[:-1]) is None
    assert _parallel.times_ufunc(g[::2], np.cos, x[::2].reshape(1, -1)) is None
    assert _parallel.times_ufunc(g.astype(np.int64), np.cos, x.astype(np.int64)) is None


def test_sine_and_cosine_backward_fuse_and_keep_their_graph(chunking, monkeypatch):
    monkeypatch.setattr(_parallel, "_BLOCK", 1024)
    x0 = np.random.default_rng(4).standard_normal(N).astype(np.float32)
    fused = []
    times = _parallel.times_ufunc

    def counting(g, u, x):
        out = times(g, u, x)
        fused.append(u.__name__ if out is not None else None)
        return out

    monkeypatch.setattr(engine.ops.pointwise, "times_ufunc", counting)
    x = engine.tensor(x0, requires_grad=True)
    (x.sin() * x).sum().backward()
    (x.cos() * 3.0).sum().backward()
    assert fused == ["cos", "sin"]
    one = np.ones(N, np.float32)
    want = (one * x0) * np.cos(x0) + one * np.sin(x0)
    want += -(one * np.float32(3.0)) * np.sin(x0)
    assert _same(x.grad.numpy(), want)
    # under create_graph the rule is recorded op by op, as torch records it
    x.grad = None
    (gx,) = engine.autograd.grad(x.sin().sum(), x, create_graph=True)
    assert gx.grad_fn.name() == "MulBackward0"
    assert "CosBackward0" in [f.name() for f, _ in gx.grad_fn.next_functions if f is not None]
    (ggx,) = engine.autograd.grad(gx.sum(), x)
    assert _same(ggx.numpy(), -np.sin(x0))
