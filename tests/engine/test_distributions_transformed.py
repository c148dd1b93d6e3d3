"""torch.distributions transforms, TransformedDistribution and LogNormal side by side with
torch 2.13 (values, node chains, gradients, errors, reprs), second derivatives against torch,
gradcheck / gradgradcheck in float64, draws against torch's code on twinned draws."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("torch")

import torch  # noqa: E402

import engine  # noqa: E402
import engine.distributions  # noqa: E402, F401
from tests.engine.test_distributions import D, _t, _Twinned  # noqa: E402
from tests.engine.torch_compare import (  # noqa: E402
    _RTOL,
    _np,
    check_gradcheck,
    check_second_derivatives,
    close,
    compare,
)

X = [[0.3, -1.2, 2.0], [0.0, 0.5, -0.25]]
Y = [[0.3, 1.2, 2.0], [0.1, 0.5, 4.0]]


def T(m):
    return m.distributions.transforms


CASES = {
    "exp": lambda m, F, leaf: (lambda t, x: (t(x), t.inv(t(x)), t.log_abs_det_jacobian(x, t(x)),
                                             repr(t), repr(t.inv), t.sign, t.bijective,
                                             repr(t.domain), repr(t.codomain), t.event_dim))(
        T(m).ExpTransform(), leaf(X)),
    "sigmoid": lambda m, F, leaf: (lambda t, x: (t(x), t.inv(t(x)),
                                                 t.log_abs_det_jacobian(x, t(x))))(
        T(m).SigmoidTransform(), leaf(X)),
    "sigmoid-extremes": lambda m, F, leaf: (lambda t: (t(_t(m, [-800.0, 40.0])),
                                                       t.inv(_t(m, [0.0, 1.0]))))(
        T(m).SigmoidTransform()),
    "tanh": lambda m, F, leaf: (lambda t, x: (t(x), t.inv(t(x)),
                                              t.log_abs_det_jacobian(x, t(x)),
                                              repr(t.codomain)))(T(m).TanhTransform(), leaf(X)),
    "affine": lambda m, F, leaf: (lambda t, x: (t(x), t.inv(t(x)),
                                                t.log_abs_det_jacobian(x, t(x)), t.sign,
                                                t.forward_shape((2, 3))))(
        T(m).AffineTransform(leaf([1.0, 2.0, 3.0]), leaf([[0.5, -2.0, 1.0]])), leaf(X)),
    "affine-number": lambda m, F, leaf: (lambda t, x: (t(x), t.log_abs_det_jacobian(x, t(x)),
                                                       t.sign, repr(t.domain)))(
        T(m).AffineTransform(1.0, -3.0), leaf(X)),
    "affine-event": lambda m, F, leaf: (lambda t, x: (t.log_abs_det_jacobian(x, t(x)),
                                                      repr(t.domain), t.event_dim))(
        T(m).AffineTransform(0.0, leaf([0.5, -2.0, 1.0]), event_dim=1), leaf(X)),
    "power": lambda m, F, leaf: (lambda t, x: (t(x), t.inv(t(x)),
                                               t.log_abs_det_jacobian(x, t(x)), t.sign))(
        T(m).PowerTransform(leaf(2.5)), leaf(Y)),
    "softmax-abs": lambda m, F, leaf: (T(m).SoftmaxTransform()(leaf(X)),
                                       T(m).SoftmaxTransform().inv(_t(m, [0.2, 0.8])),
                                       T(m).AbsTransform()(leaf(X)),
                                       repr(T(m).SoftmaxTransform().codomain)),
    "compose": lambda m, F, leaf: (lambda t, x: (t(x), t.inv(t(x)),
                                                 t.log_abs_det_jacobian(x, t(x)), repr(t),
                                                 repr(t.inv), t.sign, repr(t.domain),
                                                 repr(t.codomain), t.bijective))(
        T(m).ComposeTransform([T(m).AffineTransform(0.5, 2.0), T(m).TanhTransform(),
                               T(m).ExpTransform()]), leaf(X)),
    "compose-event": lambda m, F, leaf: (lambda t, x: (t.log_abs_det_jacobian(x, t(x)),
                                                       repr(t.domain), repr(t.codomain)))(
        T(m).ComposeTransform([T(m).ExpTransform(),
                               T(m).AffineTransform(0.0, leaf([1.0, 2.0, 3.0]), event_dim=1)]),
        leaf(X)),
    "identity": lambda m, F, leaf: (lambda t, x: (t(x), t.log_abs_det_jacobian(x, x),
                                                  repr(t.domain)))(
        T(m).identity_transform, leaf(X)),
    "equality": lambda m, F, leaf: (T(m).ExpTransform() == T(m).ExpTransform(),
                                    T(m).ExpTransform().inv == T(m).ExpTransform().inv,
                                    T(m).AffineTransform(1.0, 2.0) == T(m).AffineTransform(
                                        1.0, 2.0),
                                    T(m).AffineTransform(1.0, 2.0) == T(m).ExpTransform(),
                                    T(m).ExpTransform() != T(m).TanhTransform()),
    "cache": lambda m, F, leaf: (lambda t, x: (t(x) is t(x), t.inv(t(x)) is x))(
        T(m).ExpTransform(cache_size=1), leaf(X)),
    "cache-bad": lambda m, F, leaf: T(m).ExpTransform(cache_size=2),
    "lognormal": lambda m, F, leaf: (lambda d: (
        d.log_prob(_t(m, Y)), d.cdf(_t(m, Y)), d.icdf(_t(m, [0.1, 0.5, 0.9])), d.entropy(),
        d.mean, d.mode, d.variance, d.stddev, d.loc, d.scale, repr(d), repr(d.support),
        d.batch_shape, d.event_shape, d.has_rsample))(
        D(m).LogNormal(leaf([0.0, 0.5, -1.0]), leaf([1.0, 0.5, 2.0]))),
    "lognormal-bad": lambda m, F, leaf: D(m).LogNormal(0.0, -1.0),
    "lognormal-bad-value": lambda m, F, leaf: D(m).LogNormal(0.0, 1.0).log_prob(
        m.tensor([-1.0])),
    "lognormal-expand": lambda m, F, leaf: (lambda d: (type(d).__name__, d.batch_shape,
                                                       d.loc, d.log_prob(m.ones(3, 2))))(
        D(m).LogNormal(leaf([0.0, 0.5]), 1.0).expand((3, 2))),
    "transformed-tanh-normal": lambda m, F, leaf: (lambda d: (
        d.log_prob(_t(m, [0.5, -0.2, 0.9])), d.batch_shape, d.event_shape, repr(d.support),
        d.has_rsample, repr(d)))(
        D(m).TransformedDistribution(D(m).Normal(leaf([0.0, 0.5, -1.0]), leaf(1.5)),
                                     [T(m).TanhTransform()])),
    "transformed-affine-cdf": lambda m, F, leaf: (lambda d: (
        d.cdf(_t(m, [0.5, -0.2])), d.icdf(_t(m, [0.3, 0.7])), d.log_prob(_t(m, [0.5, -0.2]))))(
        D(m).TransformedDistribution(D(m).Normal(leaf([0.0, 0.5]), leaf(1.5)),
                                     T(m).AffineTransform(leaf(1.0), leaf(-2.0)))),
    "transformed-event": lambda m, F, leaf: (lambda d: (
        d.log_prob(_t(m, X)), d.batch_shape, d.event_shape, repr(d.support)))(
        D(m).TransformedDistribution(D(m).Normal(leaf(X), 1.0),
                                     T(m).AffineTransform(0.0, leaf([1.0, 2.0, 3.0]),
                                                          event_dim=1))),
    "transformed-bad": lambda m, F, leaf: D(m).TransformedDistribution(D(m).Normal(0.0, 1.0),
                                                                       "exp"),
    "transformed-bad-list": lambda m, F, leaf: D(m).TransformedDistribution(
        D(m).Normal(0.0, 1.0), [T(m).ExpTransform(), 1]),
    "transformed-too-small": lambda m, F, leaf: D(m).TransformedDistribution(
        D(m).Normal(0.0, 1.0), T(m).SoftmaxTransform()),
    "kl-lognormal": lambda m, F, leaf: D(m).kl_divergence(
        D(m).LogNormal(leaf([0.0, 0.5]), leaf(1.5)), D(m).LogNormal(leaf(0.2), leaf(0.7))),
    "kl-transformed-different": lambda m, F, leaf: D(m).kl_divergence(
        D(m).LogNormal(0.0, 1.0),
        D(m).TransformedDistribution(D(m).Normal(0.0, 1.0), T(m).TanhTransform())),
}


@pytest.mark.parametrize("name", list(CASES))
def test_against_torch(name):
    compare(CASES[name], rtol=1e-12)


def _params(m):
    g = np.random.default_rng(0)
    return {k: m.tensor(v, dtype=m.float64, requires_grad=True) for k, v in {
        "loc": g.standard_normal(3), "scale": g.uniform(0.5, 2.0, 3),
        "y": g.uniform(0.2, 3.0, (2, 3)), "z": g.uniform(-0.9, 0.9, (2, 3)),
        "loc2": g.standard_normal(3), "scale2": g.uniform(0.5, 2.0, 3),
        "x": g.standard_normal((2, 3)), "u": g.uniform(0.05, 0.95, (2, 3)),
    }.items()}


GRAD_FUNCS = {
    "lognormal": lambda m, p: D(m).LogNormal(p["loc"], p["scale"]).log_prob(p["y"])
    + D(m).LogNormal(p["loc"], p["scale"]).entropy() + D(m).LogNormal(p["loc"], p["scale"]).mean,
    "lognormal-cdf-icdf": lambda m, p: D(m).LogNormal(p["loc"], p["scale"]).cdf(p["y"])
    + D(m).LogNormal(p["loc"], p["scale"]).icdf(p["u"]),
    "tanh-normal": lambda m, p: D(m).TransformedDistribution(
        D(m).Normal(p["loc"], p["scale"]), [T(m).TanhTransform()]).log_prob(p["z"]),
    "sigmoid-affine": lambda m, p: D(m).TransformedDistribution(
        D(m).Normal(p["loc"], p["scale"]),
        [T(m).SigmoidTransform(), T(m).AffineTransform(p["loc2"], p["scale2"])]).log_prob(
        p["loc2"] + p["scale2"] * (p["z"] * 0.4 + 0.5)),
    "kl-lognormal": lambda m, p: D(m).kl_divergence(D(m).LogNormal(p["loc"], p["scale"]),
                                                    D(m).LogNormal(p["loc2"], p["scale2"])),
    "power": lambda m, p: T(m).PowerTransform(p["scale"]).log_abs_det_jacobian(
        p["y"], T(m).PowerTransform(p["scale"])(p["y"])),
}


@pytest.mark.parametrize("name", list(GRAD_FUNCS))
def test_second_derivatives_match_torch(name):
    check_second_derivatives(GRAD_FUNCS[name], _params)


@pytest.mark.parametrize("name", list(GRAD_FUNCS))
def test_gradcheck(name):
    check_gradcheck(GRAD_FUNCS[name], _params)


def test_rsample_gradients():
    p = _params(engine)

    def lognormal(loc, scale):
        with engine.use_generator(engine.Generator().manual_seed(3)):
            return D(engine).LogNormal(loc, scale).rsample((2,))

    def squashed(loc, scale):
        with engine.use_generator(engine.Generator().manual_seed(3)):
            d = D(engine).TransformedDistribution(D(engine).Normal(loc, scale),
                                                  [T(engine).TanhTransform()])
            return d.log_prob(d.rsample((2,)))

    for f in (lognormal, squashed):
        assert engine.autograd.gradcheck(f, (p["loc"], p["scale"]))
        assert engine.autograd.gradgradcheck(f, (p["loc"], p["scale"]))


DRAWS = {
    "lognormal-rsample": lambda m: D(m).LogNormal(_t(m, [0.0, 1.0]), _t(m, [0.5, 0.2])).rsample(
        (3,)),
    "lognormal-sample-float32": lambda m: D(m).LogNormal(0.0, 1.0).sample((4,)),
    "tanh-normal": lambda m: D(m).TransformedDistribution(
        D(m).Normal(_t(m, [0.0, 1.0]), 1.0), [T(m).TanhTransform(),
                                              T(m).AffineTransform(1.0, 2.0)]).rsample((2,)),
}


@pytest.mark.parametrize("name", list(DRAWS))
def test_draws_match_torch_on_twinned_draws(name):
    with engine.use_generator(engine.Generator().manual_seed(7)):
        ours = DRAWS[name](engine)
    with _Twinned(7):
        theirs = DRAWS[name](torch)
    assert str(ours.dtype) == str(theirs.dtype) and tuple(ours.shape) == tuple(theirs.shape)
    tol = _RTOL.get(str(theirs.dtype)[6:], 0.0)
    assert close(_np(ours), theirs.numpy(), tol, 0), (ours, theirs)
