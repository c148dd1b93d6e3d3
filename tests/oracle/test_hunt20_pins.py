"""Pinned cases of session 20's hunt (issue 10), run on the engine and on torch 2.13 side by
side. Each case failed on the engine before its fix."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import engine  # noqa: E402


def _bits(t) -> bytes:
    a = t.detach().numpy() if hasattr(t, "detach") else np.asarray(t)
    return str(a.dtype).encode() + np.ascontiguousarray(a).tobytes()


# --------------------------------------------- an op without derivative on a view (seed 1921)
def _floor_divide_on_detached_view(T, how):
    x1 = T.tensor([[1.5, -0.0], [0.39, 2.0], [3.0, -4.0]], dtype=T.float64, requires_grad=True)
    x5 = T.tensor([[0.9, 0.7, 1.1], [0.7, 1.0, 0.7]], dtype=T.float64, requires_grad=True)
    v2 = x1 * 2
    v4 = v2.detach().permute((1, 0))
    v4.floor_divide_(x5)
    loss = (v4 * 1.5).sum() + (v2 * 2).sum()
    if how == "backward":
        loss.backward()
        return [x1.grad, x5.grad]
    inputs = {"both": [x1, x5], "other": [x5]}[how]
    return list(T.autograd.grad(loss, inputs, allow_unused=True))


@pytest.mark.parametrize("how", ["both", "other", "backward"])
def test_inplace_without_derivative_on_a_view_drops_the_others_edge(how):
    """torch's NotImplemented node has edges only to inputs that require grad; CopySlices
    takes its first edge for the view's and puts the base's there, so ``other``'s edge is
    dropped: ``autograd.grad`` finds ``other`` unused (None), ``backward`` runs the node and
    gets its refusal."""
    from .backends import observed, pinned_obs

    assert observed(lambda T: _floor_divide_on_detached_view(T, how), engine, pinned_obs) == \
        observed(lambda T: _floor_divide_on_detached_view(T, how), torch, pinned_obs)


# ------------------------------------------- Chebyshev polynomials' closed form (seed 1922)
@pytest.mark.parametrize("name", ["chebyshev_polynomial_t", "chebyshev_polynomial_u",
                                  "chebyshev_polynomial_v", "chebyshev_polynomial_w"])
def test_chebyshev_closed_form_takes_the_c_librarys_acos(name):
    """Inside (-1, 1) above a degree torch evaluates ``cos((n + 1/2) acos(x)) / ...`` with
    glibc's ``acos``; NumPy's arccos differs from it in ~10 % of values, which the degree
    amplifies past float64's tolerance (seed 1922: v at x = -0.69, n = 11)."""
    from engine.ops.registry import OPS

    rng = np.random.default_rng(3)
    x = np.concatenate([[-0.6901718629705804], rng.uniform(-0.999, 0.999, 200)])
    n = np.concatenate([[11.0], rng.integers(9, 40, 200).astype(np.float64)])
    ours = OPS["special." + name].fn(engine.tensor(x), engine.tensor(n))
    theirs = getattr(torch.special, name)(torch.tensor(x), torch.tensor(n))
    assert _bits(ours) == _bits(theirs)
