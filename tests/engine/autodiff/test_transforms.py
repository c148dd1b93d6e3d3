"""torch.func details: Jacobians of large outputs by chunks of the basis, what ``jvp`` hands
back, and ``vmap`` over a shared weight computing what the unbatched call computes."""

from __future__ import annotations

import numpy as np
import pytest

import engine
import engine.func as ft
import engine.nn.functional as F
from engine.modes import use_limits


def _predict(weight, bias, x):
    return F.linear(x, weight, bias).tanh()


def _setup(dout=6, din=5, dtype=engine.float64):
    g = engine.Generator().manual_seed(3)
    with engine.use_generator(g):
        return (engine.randn(dout, din, dtype=dtype), engine.randn(dout, dtype=dtype),
                engine.randn(din, dtype=dtype))


@pytest.mark.parametrize("transform", ["jacrev", "jacfwd"])
def test_jacobians_by_chunks_equal_the_whole_basis(monkeypatch, transform):
    w, b, x = _setup()
    jac = getattr(ft, transform)
    whole = jac(jac(_predict, argnums=2), argnums=2)(w, b, x)
    aux_whole = jac(lambda x: (_predict(w, b, x), x.sum()), has_aux=True)(x)
    monkeypatch.setattr(ft, "_CHUNK_ELEMENTS", 7)  # a few rows at a time
    chunked = jac(jac(_predict, argnums=2), argnums=2)(w, b, x)
    aux_chunked = jac(lambda x: (_predict(w, b, x), x.sum()), has_aux=True)(x)
    assert chunked.shape == whole.shape == (6, 5, 5)
    np.testing.assert_array_equal(chunked.numpy(), whole.numpy())
    np.testing.assert_array_equal(aux_chunked[0].numpy(), aux_whole[0].numpy())
    assert aux_chunked[1].item() == aux_whole[1].item()
    two = jac(lambda a, c: (a * c).sum(0), argnums=(0, 1))(w, w.exp())
    monkeypatch.setattr(ft, "_CHUNK_ELEMENTS", 1 << 22)
    again = jac(lambda a, c: (a * c).sum(0), argnums=(0, 1))(w, w.exp())
    for p, q in zip(two, again):
        np.testing.assert_array_equal(p.numpy(), q.numpy())


def test_hessian_by_reverse_over_reverse_stays_under_the_element_limit():
    # the tutorial's 32 x 512 output: a whole basis would be 16384 x 16384 elements
    w, b, x = _setup(32, 512, engine.float32)
    with use_limits(50_000_000):
        rr = ft.jacrev(ft.jacrev(_predict, argnums=2), argnums=2)(w, b, x)
        api = ft.hessian(_predict, argnums=2)(w, b, x)
    assert rr.shape == (32, 512, 512)
    assert (rr - api).abs().max().item() < 1e-5


def test_jacrev_chunk_size_is_the_callers():
    w, b, x = _setup()
    np.testing.assert_array_equal(
        ft.jacrev(_predict, argnums=2, chunk_size=2)(w, b, x).numpy(),
        ft.jacrev(_predict, argnums=2)(w, b, x).numpy())


def test_jvp_outputs_are_detached_unless_an_input_requires_grad():
    x, t = engine.randn(4), engine.randn(4)
    out, tangent = ft.jvp(ft.grad(lambda v: v.sin().sum()), (x,), (t,))
    assert not out.requires_grad and not tangent.requires_grad
    xr = engine.randn(4, requires_grad=True)
    out, tangent = ft.jvp(lambda v: v.sin(), (xr,), (t,))
    assert out.requires_grad and tangent.requires_grad  # torch's too: the formula reads xr


def test_vmap_over_a_shared_weight_is_the_batched_call_bit_for_bit():
    w, b, _ = _setup(33, 31, engine.float32)
    xs = engine.randn(64, 31)
    np.testing.assert_array_equal(
        ft.vmap(_predict, in_dims=(None, None, 0))(w, b, xs).numpy(), _predict(w, b, xs).numpy())
    m = engine.randn(64, 3, 31)
    np.testing.assert_array_equal(ft.vmap(lambda a: a @ w.T)(m).numpy(), (m @ w.T).numpy())
