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


# ----------------------------------------------------------------------- instance norm
@pytest.mark.parametrize("shape", [(2, 3, 5), (2, 3, 2, 3), (1, 2, 2, 2, 2)])
@pytest.mark.parametrize("affine", [False, True])
@pytest.mark.parametrize("running", [False, True])
def test_instance_norm_matches_torch(shape, affine, running):
    x = RNG.standard_normal(shape).tolist()
    c = shape[1]
    w, b = RNG.standard_normal(c).tolist(), RNG.standard_normal(c).tolist()
    rm, rv = RNG.standard_normal(c).tolist(), RNG.random(c).tolist()

    def case(m, F, leaf):
        kw = {}
        if affine:
            kw.update(weight=leaf(w), bias=leaf(b))
        if running:
            kw.update(running_mean=m.tensor(rm, dtype=m.float64),
                      running_var=m.tensor(rv, dtype=m.float64))
        out = F.instance_norm(leaf(x), momentum=0.3, eps=1e-4, **kw)
        return (out, kw["running_mean"], kw["running_var"]) if running else out

    compare(case, rtol=1e-10, atol=1e-10)


def test_instance_norm_with_running_stats_in_eval_and_errors():
    x = RNG.standard_normal((2, 3, 4)).tolist()
    rm, rv = RNG.standard_normal(3).tolist(), RNG.random(3).tolist()

    def case(m, F, leaf):
        return F.instance_norm(leaf(x), m.tensor(rm, dtype=m.float64),
                               m.tensor(rv, dtype=m.float64), use_input_stats=False)

    compare(case, rtol=1e-10, atol=1e-10)

    def one_spatial(m, F, leaf):
        return F.instance_norm(leaf([[[1.0], [2.0]]]))

    compare(one_spatial)


@pytest.mark.parametrize("cls, shape", [("InstanceNorm1d", (2, 3, 5)), ("InstanceNorm1d", (3, 5)),
                                        ("InstanceNorm2d", (2, 3, 2, 3)),
                                        ("InstanceNorm3d", (3, 2, 2, 2))])
@pytest.mark.parametrize("kwargs", [{}, {"affine": True}, {"track_running_stats": True}])
def test_instance_norm_modules_match_torch(cls, shape, kwargs):
    ours = getattr(engine.nn, cls)(3, **kwargs).to(engine.float64)
    theirs = getattr(torch.nn, cls)(3, **kwargs).double()
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    x = RNG.standard_normal(shape)
    for mode in ("train", "eval"):
        getattr(ours, mode)()
        getattr(theirs, mode)()
        xo = engine.tensor(x, requires_grad=True)
        xt = torch.tensor(x, requires_grad=True)
        yo, yt = ours(xo), theirs(xt)
        np.testing.assert_allclose(engine.to_numpy(yo), yt.detach().numpy(), rtol=1e-10,
                                   atol=1e-10)
        assert graph_names(yo) == graph_names(yt)
        w = RNG.standard_normal(shape)
        (yo * engine.tensor(w)).sum().backward()
        (yt * torch.tensor(w)).sum().backward()
        np.testing.assert_allclose(engine.to_numpy(xo.grad), xt.grad.numpy(), rtol=1e-9,
                                   atol=1e-10)
        for (n, p), (_, q) in zip(ours.named_parameters(), theirs.named_parameters()):
            np.testing.assert_allclose(engine.to_numpy(p.grad), q.grad.numpy(), rtol=1e-9,
                                       atol=1e-10, err_msg=n)
        for (n, p), (_, q) in zip(ours.named_buffers(), theirs.named_buffers()):
            np.testing.assert_allclose(engine.to_numpy(p), q.numpy(), rtol=1e-10, err_msg=n)


@pytest.mark.parametrize("make, shape", [
    (lambda nn: nn.InstanceNorm1d(3), (2, 3, 4, 5)),
    (lambda nn: nn.InstanceNorm2d(4, affine=True), (2, 3, 4, 5)),
])
def test_instance_norm_module_errors(make, shape):
    with pytest.raises(ValueError) as theirs:
        make(torch.nn)(torch.zeros(shape))
    with pytest.raises(ValueError) as ours:
        make(engine.nn)(engine.zeros(shape))
    assert str(ours.value) == str(theirs.value)


def test_instance_norm_gradcheck():
    x = engine.tensor(RNG.standard_normal((2, 2, 3)), requires_grad=True)
    w = engine.tensor(RNG.standard_normal(2), requires_grad=True)
    b = engine.tensor(RNG.standard_normal(2), requires_grad=True)

    def f(x, w, b):
        return engine.nn.functional.instance_norm(x, weight=w, bias=b)

    assert engine.autograd.gradcheck(f, (x, w, b))
    assert engine.autograd.gradgradcheck(f, (x, w, b))


def test_batch_norm_double_backward_of_the_bias_gradient_alone():
    """Found through instance_norm's gradgradcheck: the gradient of ``grad_bias`` with respect
    to the incoming gradient is ones over the input's shape (it was left channel-shaped)."""
    xa, ga = RNG.standard_normal((2, 4, 3)).tolist(), RNG.standard_normal((2, 4, 3)).tolist()

    def case(m, F, leaf):
        x, w, b = leaf(xa), leaf([1.0, 2, 3, 4]), leaf([0.5, 0, 1, 2])
        g = leaf(ga)
        y = F.batch_norm(x, None, None, w, b, True)
        grad = engine.grad if m is engine else torch.autograd.grad
        _, _, gb = grad(y, (x, w, b), g, create_graph=True)
        return gb

    compare(case, rtol=1e-10)
