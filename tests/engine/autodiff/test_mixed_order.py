"""Reverse over forward mode: a tangent rule that reads the op's output (exp, tanh, sqrt, ...)
must be differentiable through that output. All four orderings of a second derivative agree."""

import numpy as np
import pytest

import engine
from engine.autograd import forward_ad as fwad
from engine.func import jacfwd, jacrev

UNARY = ["exp", "tanh", "sigmoid", "sqrt", "rsqrt", "reciprocal", "sin", "log", "expm1",
         "log1p", "atan", "erf"]


def _x():
    return engine.tensor([0.3, 0.7, 1.9], dtype=engine.float64)


@pytest.mark.parametrize("name", UNARY)
def test_every_ordering_of_a_second_derivative_agrees(name):
    f = getattr(engine, name)
    want = jacrev(jacrev(f))(_x()).numpy()
    assert np.abs(want).max() > 0
    for outer, inner in [(jacrev, jacfwd), (jacfwd, jacrev), (jacfwd, jacfwd)]:
        got = outer(inner(f))(_x()).numpy()
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14,
                                   err_msg=f"{outer.__name__}({inner.__name__}({name}))")


@pytest.mark.parametrize("name", UNARY)
def test_reverse_mode_through_a_tangent_matches_torch(name):
    torch = pytest.importorskip("torch")
    x = _x().requires_grad_()
    with fwad.dual_level():
        y = getattr(engine, name)(fwad.make_dual(x, engine.ones_like(x)))
        t = fwad.unpack_dual(y).tangent
    assert t.requires_grad
    (g,) = engine.autograd.grad(t.sum(), x)
    tx = torch.tensor([0.3, 0.7, 1.9], dtype=torch.float64, requires_grad=True)
    import torch.autograd.forward_ad as tfwad
    with tfwad.dual_level():
        ty = getattr(torch, name)(tfwad.make_dual(tx, torch.ones_like(tx)))
        tt = tfwad.unpack_dual(ty).tangent
    (tg,) = torch.autograd.grad(tt.sum(), tx)
    np.testing.assert_allclose(g.numpy(), tg.numpy(), rtol=1e-12, atol=1e-14)
    want = torch.func.jacrev(torch.func.jacfwd(getattr(torch, name)))(tx.detach())
    np.testing.assert_allclose(jacrev(jacfwd(getattr(engine, name)))(_x()).numpy(),
                               want.numpy(), rtol=1e-12, atol=1e-14)
