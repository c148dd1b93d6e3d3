"""``F.local_response_norm`` / ``nn.LocalResponseNorm`` and ``F.gumbel_softmax`` against torch
2.13: values, gradients, node chains, errors; gradchecks in float64."""

from __future__ import annotations

import numpy as np
import pytest

import engine

torch = pytest.importorskip("torch")
from .torch_compare import compare, graph_names  # noqa: E402

RNG = np.random.default_rng(9)


@pytest.mark.parametrize("shape", [(2, 5, 4), (2, 5, 3, 3), (1, 4, 2, 2, 2)])
@pytest.mark.parametrize("size", [1, 2, 3])
def test_local_response_norm_matches_torch(shape, size):
    x = RNG.standard_normal(shape).tolist()

    def case(m, F, leaf):
        return F.local_response_norm(leaf(x), size, alpha=0.3, beta=0.6, k=1.5)

    compare(case, rtol=1e-10)


@pytest.mark.parametrize("x", [[[1.0, 2.0]], [[[[]]]]], ids=["2-d", "empty"])
def test_local_response_norm_edges(x):
    def case(m, F, leaf):
        t = leaf(x) if x != [[[[]]]] else m.zeros((1, 2, 0), dtype=m.float64,
                                                 requires_grad=True)
        return F.local_response_norm(t, 2)

    compare(case)


def test_local_response_norm_module_and_gradcheck():
    m, t = engine.nn.LocalResponseNorm(3, alpha=0.2), torch.nn.LocalResponseNorm(3, alpha=0.2)
    assert repr(m) == repr(t)
    x = engine.tensor(RNG.standard_normal((2, 4, 3)), requires_grad=True)
    assert engine.autograd.gradcheck(m, (x,))
    assert engine.autograd.gradgradcheck(m, (x,))


@pytest.mark.parametrize("hard", [False, True])
@pytest.mark.parametrize("dim", [-1, 0])
def test_gumbel_softmax_shape_nodes_and_sums(hard, dim):
    x = RNG.standard_normal((3, 4))
    ours = engine.nn.functional.gumbel_softmax(engine.tensor(x, requires_grad=True), tau=0.5,
                                               hard=hard, dim=dim)
    theirs = torch.nn.functional.gumbel_softmax(torch.tensor(x, requires_grad=True), tau=0.5,
                                                hard=hard, dim=dim)
    assert graph_names(ours) == graph_names(theirs)
    a = engine.to_numpy(ours)
    assert a.shape == (3, 4) and np.allclose(a.sum(dim), 1.0)
    if hard:
        assert set(np.unique(a)) <= {0.0, 1.0}


def test_gumbel_softmax_uses_the_session_generator_and_its_gradient_is_softmaxs():
    xa = RNG.standard_normal((2, 5))
    F = engine.nn.functional
    w = engine.tensor(RNG.standard_normal((2, 5)))
    grads = []
    for hard in (True, True, False):
        x = engine.tensor(xa, requires_grad=True)
        with engine.use_generator(engine.Generator().manual_seed(1)):
            y = F.gumbel_softmax(x, hard=hard)
        (y * w).sum().backward()
        grads.append((engine.to_numpy(y), engine.to_numpy(x.grad)))
    assert np.array_equal(grads[0][0], grads[1][0])  # same seed, same sample
    assert set(np.unique(grads[0][0])) <= {0.0, 1.0}
    assert np.argmax(grads[0][0], -1).tolist() == np.argmax(grads[2][0], -1).tolist()
    np.testing.assert_allclose(grads[0][1], grads[2][1], rtol=1e-12, atol=1e-14)


def test_gumbel_softmax_eps_warns():
    with pytest.warns(UserWarning, match="`eps` parameter is deprecated"):
        engine.nn.functional.gumbel_softmax(engine.zeros(2, 3), eps=1e-5)
