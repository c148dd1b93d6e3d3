"""torch.distributions, group 2 (Exponential, Laplace, Poisson, Geometric, Binomial,
Multinomial and their KL pairs), side by side with torch 2.13 as in test_distributions.py:
values, node chains, gradients, errors, reprs; first and second derivatives against torch and
gradcheck / gradgradcheck in float64; draws against torch's code on twinned draws where torch
draws through a sampler the engine has (Poisson and Binomial draw through numpy's samplers on
the session generator: moments and reproducibility only)."""

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

RATE = [[0.5, 1.0, 2.5], [3.0, 0.25, 1.5]]
P = [[0.2, 0.5, 0.3], [0.6, 0.1, 0.9]]

CASES = {
    "exponential": lambda m, F, leaf: (lambda d: (
        d.log_prob(_t(m, [[0.5, 0.0, 2.0], [1.0, 3.0, 0.1]])), d.cdf(_t(m, [0.5, 1.0, 2.0])),
        d.icdf(_t(m, [0.1, 0.5, 0.9])), d.entropy(), d.mean, d.mode, d.stddev, d.variance,
        repr(d), repr(d.support)))(D(m).Exponential(leaf(RATE))),
    "exponential-scalar": lambda m, F, leaf: (lambda d: (d.batch_shape, repr(d), d.mean))(
        D(m).Exponential(2.0)),
    "exponential-bad": lambda m, F, leaf: D(m).Exponential(m.tensor([1.0, 0.0])),
    "exponential-negative-value": lambda m, F, leaf: D(m).Exponential(m.ones(2)).log_prob(
        m.tensor([1.0, -1.0])),
    "exponential-expand": lambda m, F, leaf: (lambda d: (d.batch_shape, d.rate))(
        D(m).Exponential(leaf([1.0, 2.0])).expand((3, 2))),
    "laplace": lambda m, F, leaf: (lambda d: (
        d.log_prob(_t(m, [[0.5, 0.0, 2.0], [1.0, -3.0, 0.1]])), d.cdf(_t(m, [0.5, -1.0, 2.0])),
        d.icdf(_t(m, [0.1, 0.5, 0.9])), d.entropy(), d.mean, d.mode, d.stddev, d.variance,
        repr(d)))(D(m).Laplace(leaf([[0.0, 1.0, -1.0], [0.5, 0.5, 0.5]]), leaf(RATE))),
    "laplace-bad": lambda m, F, leaf: D(m).Laplace(0.0, -1.0),
    "poisson": lambda m, F, leaf: (lambda d: (
        d.log_prob(_t(m, [[0.0, 1.0, 2.0], [5.0, 0.0, 1.0]])), d.mean, d.mode, d.variance,
        d.stddev, repr(d), repr(d.support)))(D(m).Poisson(leaf(RATE))),
    "poisson-zero-rate": lambda m, F, leaf: D(m).Poisson(_t(m, [0.0, 1.0])).log_prob(
        _t(m, [0.0, 0.0])),
    "poisson-bad-value": lambda m, F, leaf: D(m).Poisson(m.ones(2)).log_prob(
        m.tensor([0.5, 1.0])),
    "poisson-bad-rate": lambda m, F, leaf: D(m).Poisson(m.tensor([-1.0, 1.0])),
    "poisson-sample-shape": lambda m, F, leaf: (lambda s: (s.shape, s.dtype))(
        D(m).Poisson(m.tensor([1.0, 4.0])).sample((3,))),
    "geometric": lambda m, F, leaf: (lambda d: (
        d.log_prob(_t(m, [[0.0, 1.0, 2.0], [5.0, 0.0, 1.0]])), d.entropy(), d.mean, d.mode,
        d.variance, d.logits, repr(d)))(D(m).Geometric(leaf(P))),
    "geometric-logits": lambda m, F, leaf: (lambda d: (
        d.log_prob(_t(m, [0.0, 3.0])), d.entropy(), d.probs, d.mean))(
        D(m).Geometric(logits=leaf([0.3, -1.0]))),
    "geometric-one": lambda m, F, leaf: D(m).Geometric(_t(m, [1.0, 0.5])).log_prob(
        _t(m, [0.0, 0.0])),
    "geometric-zero": lambda m, F, leaf: D(m).Geometric(m.tensor([0.0, 0.5])),
    "geometric-bad": lambda m, F, leaf: D(m).Geometric(m.tensor([1.5, 0.5])),
    "binomial": lambda m, F, leaf: (lambda d: (
        d.log_prob(_t(m, [[0.0, 1.0, 2.0], [5.0, 0.0, 1.0]])), d.entropy(), d.mean, d.mode,
        d.variance, d.logits, d.enumerate_support(), repr(d), repr(d.support)))(
        D(m).Binomial(5, leaf(P))),
    "binomial-logits": lambda m, F, leaf: (lambda d: (
        d.log_prob(_t(m, [1.0, 3.0])), d.probs, d.mean, d.total_count))(
        D(m).Binomial(m.tensor([3.0, 4.0], dtype=m.float64), logits=leaf([0.3, -1.0]))),
    "binomial-inhomogeneous": lambda m, F, leaf: D(m).Binomial(
        m.tensor([3.0, 4.0]), m.tensor([0.5, 0.5])).entropy(),
    "binomial-bad-count": lambda m, F, leaf: D(m).Binomial(m.tensor([-1.0]), m.tensor([0.5])),
    "binomial-bad-value": lambda m, F, leaf: D(m).Binomial(3, m.tensor([0.5])).log_prob(
        m.tensor([4.0])),
    "binomial-both": lambda m, F, leaf: D(m).Binomial(3, 0.5, 0.1),
    "binomial-sample-shape": lambda m, F, leaf: (lambda s: (s.shape, s.dtype))(
        D(m).Binomial(10, m.tensor([0.2, 0.9])).sample((3,))),
    "multinomial": lambda m, F, leaf: (lambda d: (
        d.log_prob(_t(m, [[2.0, 1.0, 1.0], [0.0, 4.0, 0.0]])), d.entropy(), d.mean,
        d.variance, d.probs, d.logits, d.batch_shape, d.event_shape, repr(d),
        repr(d.support)))(D(m).Multinomial(4, leaf(P))),
    "multinomial-logits": lambda m, F, leaf: (lambda d: (
        d.log_prob(_t(m, [1.0, 0.0, 2.0])), d.entropy()))(
        D(m).Multinomial(3, logits=leaf([0.3, -1.0, 0.5]))),
    "multinomial-tensor-count": lambda m, F, leaf: D(m).Multinomial(m.tensor(3), m.ones(3)),
    "multinomial-bad-value": lambda m, F, leaf: D(m).Multinomial(3, m.ones(3)).log_prob(
        m.tensor([2.0, 2.0, 0.0])),
    "multinomial-sample": lambda m, F, leaf: (lambda s: (s.shape, s.dtype, s.sum(-1)))(
        D(m).Multinomial(7, m.ones(2, 3)).sample((4,))),
    "kl-exponential": lambda m, F, leaf: D(m).kl_divergence(
        D(m).Exponential(leaf(RATE)), D(m).Exponential(leaf([1.0, 2.0, 0.5]))),
    "kl-laplace": lambda m, F, leaf: D(m).kl_divergence(
        D(m).Laplace(leaf([0.0, 1.0]), leaf([1.0, 2.0])), D(m).Laplace(leaf(0.5), leaf(1.5))),
    "kl-poisson": lambda m, F, leaf: D(m).kl_divergence(
        D(m).Poisson(leaf(RATE)), D(m).Poisson(leaf([1.0, 2.0, 0.5]))),
    "kl-geometric": lambda m, F, leaf: D(m).kl_divergence(
        D(m).Geometric(leaf(P)), D(m).Geometric(logits=leaf([0.3, -1.0, 0.5]))),
    "kl-binomial": lambda m, F, leaf: D(m).kl_divergence(
        D(m).Binomial(5, leaf(P)), D(m).Binomial(5, logits=leaf([0.3, -1.0, 0.5]))),
    "kl-binomial-more-trials": lambda m, F, leaf: D(m).kl_divergence(
        D(m).Binomial(m.tensor([5.0, 6.0]), _t(m, [0.5, 0.5])),
        D(m).Binomial(m.tensor([5.0, 5.0]), _t(m, [0.4, 0.4]))),
    "kl-binomial-fewer": lambda m, F, leaf: D(m).kl_divergence(
        D(m).Binomial(4, _t(m, [0.5])), D(m).Binomial(5, _t(m, [0.4]))),
    "kl-bernoulli-poisson": lambda m, F, leaf: D(m).kl_divergence(
        D(m).Bernoulli(leaf([0.2, 0.7])), D(m).Poisson(leaf([1.0, 2.0]))),
    "kl-exponential-normal": lambda m, F, leaf: D(m).kl_divergence(
        D(m).Exponential(leaf([1.0, 2.0])), D(m).Normal(leaf(0.5), leaf([1.0, 3.0]))),
    "kl-laplace-normal": lambda m, F, leaf: D(m).kl_divergence(
        D(m).Laplace(leaf([0.0, 1.0]), leaf([1.0, 2.0])), D(m).Normal(leaf(0.5), leaf(1.5))),
    "kl-normal-laplace": lambda m, F, leaf: D(m).kl_divergence(
        D(m).Normal(leaf([0.0, 1.0]), leaf([1.0, 2.0])), D(m).Laplace(leaf(0.5), leaf(1.5))),
    "kl-uniform-exponential": lambda m, F, leaf: D(m).kl_divergence(
        D(m).Uniform(leaf([0.0, -1.0]), leaf([1.0, 2.0])), D(m).Exponential(leaf(1.5))),
    "kl-exponential-uniform": lambda m, F, leaf: D(m).kl_divergence(
        D(m).Exponential(leaf([1.0, 2.0])), D(m).Uniform(0.0, 1.0)),
    "kl-normal-exponential": lambda m, F, leaf: D(m).kl_divergence(
        D(m).Normal(leaf([1.0, 2.0]), 1.0), D(m).Exponential(1.0)),
    "kl-poisson-exponential": lambda m, F, leaf: D(m).kl_divergence(
        D(m).Poisson(1.0), D(m).Exponential(1.0)),
}


@pytest.mark.parametrize("name", list(CASES))
def test_against_torch(name):
    compare(CASES[name], rtol=1e-12)


def _params(m):
    g = np.random.default_rng(0)
    return {k: m.tensor(v, dtype=m.float64, requires_grad=True) for k, v in {
        "rate": g.uniform(0.5, 2.0, (2, 3)), "rate2": g.uniform(0.5, 2.0, 3),
        "loc": g.standard_normal((2, 3)), "loc2": g.standard_normal(3),
        "probs": g.uniform(0.1, 0.9, (2, 3)), "logits": g.standard_normal((2, 3)),
        "x": g.uniform(0.1, 2.0, (2, 3)), "u": g.uniform(0.05, 0.95, (2, 3)),
        "lp3": g.standard_normal(3),
    }.items()}


COUNTS = [[0.0, 2.0, 1.0], [3.0, 1.0, 0.0]]

GRAD_FUNCS = {
    "exponential": lambda m, p: D(m).Exponential(p["rate"]).log_prob(p["x"])
    + D(m).Exponential(p["rate"]).entropy() + D(m).Exponential(p["rate"]).cdf(p["x"]),
    "exponential-icdf": lambda m, p: D(m).Exponential(p["rate"]).icdf(p["u"]),
    "laplace": lambda m, p: D(m).Laplace(p["loc"], p["rate"]).log_prob(p["x"])
    + D(m).Laplace(p["loc"], p["rate"]).entropy(),
    "laplace-cdf-icdf": lambda m, p: D(m).Laplace(p["loc"], p["rate"]).cdf(p["x"])
    + D(m).Laplace(p["loc"], p["rate"]).icdf(p["u"]),
    "poisson": lambda m, p: D(m).Poisson(p["rate"]).log_prob(_t(m, COUNTS)),
    "geometric": lambda m, p: D(m).Geometric(p["probs"]).log_prob(_t(m, COUNTS))
    + D(m).Geometric(p["probs"]).entropy(),
    "geometric-logits": lambda m, p: D(m).Geometric(logits=p["logits"]).log_prob(
        _t(m, COUNTS)),
    "binomial": lambda m, p: D(m).Binomial(3, p["probs"]).log_prob(_t(m, COUNTS))
    + D(m).Binomial(3, p["probs"]).entropy(),
    "binomial-logits": lambda m, p: D(m).Binomial(3, logits=p["logits"]).log_prob(
        _t(m, COUNTS)),
    "multinomial": lambda m, p: D(m).Multinomial(4, logits=p["lp3"]).log_prob(_t(m, COUNTS))
    .sum() + D(m).Multinomial(4, logits=p["lp3"]).entropy(),
    "kl-exponential": lambda m, p: D(m).kl_divergence(D(m).Exponential(p["rate"]),
                                                      D(m).Exponential(p["rate2"])),
    "kl-laplace": lambda m, p: D(m).kl_divergence(D(m).Laplace(p["loc"], p["rate"]),
                                                  D(m).Laplace(p["loc2"], p["rate2"])),
    "kl-poisson": lambda m, p: D(m).kl_divergence(D(m).Poisson(p["rate"]),
                                                  D(m).Poisson(p["rate2"])),
    "kl-geometric": lambda m, p: D(m).kl_divergence(D(m).Geometric(p["probs"]),
                                                    D(m).Geometric(logits=p["logits"])),
    "kl-binomial": lambda m, p: D(m).kl_divergence(D(m).Binomial(4, p["probs"]),
                                                   D(m).Binomial(4, logits=p["logits"])),
    "kl-normal-laplace": lambda m, p: D(m).kl_divergence(D(m).Normal(p["loc"], p["rate"]),
                                                         D(m).Laplace(p["loc2"], p["rate2"])),
    "kl-exponential-normal": lambda m, p: D(m).kl_divergence(
        D(m).Exponential(p["rate"]), D(m).Normal(p["loc2"], p["rate2"])),
}


@pytest.mark.parametrize("name", list(GRAD_FUNCS))
def test_second_derivatives_match_torch(name):
    check_second_derivatives(GRAD_FUNCS[name], _params)


@pytest.mark.parametrize("name", list(GRAD_FUNCS))
def test_gradcheck(name):
    check_gradcheck(GRAD_FUNCS[name], _params)


def test_rsample_gradients():
    p = _params(engine)

    def exponential(rate):
        with engine.use_generator(engine.Generator().manual_seed(3)):
            return D(engine).Exponential(rate).rsample((3,))

    def laplace(loc, scale):
        with engine.use_generator(engine.Generator().manual_seed(3)):
            return D(engine).Laplace(loc, scale).rsample((2,))

    for f, args in ((exponential, (p["rate"],)), (laplace, (p["loc"], p["rate"]))):
        assert engine.autograd.gradcheck(f, args)
        assert engine.autograd.gradgradcheck(f, args)


DRAWS = {
    "exponential-rsample": lambda m: D(m).Exponential(_t(m, RATE)).rsample((4,)),
    "exponential-float32": lambda m: D(m).Exponential(2.0).sample((5,)),
    "laplace-rsample": lambda m: D(m).Laplace(_t(m, [0.0, 1.0]), _t(m, [1.0, 2.0])).rsample(
        (3,)),
    "laplace-float32": lambda m: D(m).Laplace(0.0, 2.0).sample((6,)),
    "geometric-sample": lambda m: D(m).Geometric(_t(m, P)).sample((3,)),
    "multinomial-sample": lambda m: D(m).Multinomial(6, _t(m, P)).sample((2,)),
    "multinomial-logits": lambda m: D(m).Multinomial(5, logits=_t(m, [0.1, 0.9, -1.0])).sample(),
}


@pytest.mark.parametrize("name", list(DRAWS))
def test_draws_match_torch_on_twinned_draws(name):
    with engine.use_generator(engine.Generator().manual_seed(7)):
        ours = DRAWS[name](engine)
    with _Twinned(7):
        theirs = DRAWS[name](torch)
    assert str(ours.dtype) == str(theirs.dtype) and tuple(ours.shape) == tuple(theirs.shape)
    # float32: the suite's tolerance for NumPy's and torch's float32 kernels (log1p ...)
    tol = _RTOL.get(str(theirs.dtype)[6:], 0.0)
    assert close(_np(ours), theirs.numpy(), tol, 0), (ours, theirs)


def test_poisson_and_binomial_draws():
    """The session generator's stream (the draws are torch's bit for bit:
    tests/oracle/test_rng_bits.py), reproducible,
    with the distribution's moments, in the parameter's dtype, without gradient."""
    def draw(seed):
        with engine.use_generator(engine.Generator().manual_seed(seed)):
            rate = engine.tensor([0.5, 4.0, 30.0], dtype=engine.float64, requires_grad=True)
            a = D(engine).Poisson(rate).sample((20000,))
            b = D(engine).Binomial(10, engine.tensor([0.2, 0.9])).sample((20000,))
        return a, b

    (a, b), (a2, b2), (a3, _) = draw(1), draw(1), draw(2)
    assert a.dtype is engine.float64 and b.dtype is engine.float32
    assert not a.requires_grad and tuple(a.shape) == (20000, 3)
    assert np.array_equal(_np(a), _np(a2)) and np.array_equal(_np(b), _np(b2))
    assert not np.array_equal(_np(a), _np(a3))
    x, y = _np(a), _np(b)
    assert np.all(x == np.floor(x)) and np.all((y >= 0) & (y <= 10))
    assert np.allclose(x.mean(0), [0.5, 4.0, 30.0], rtol=0.03)
    assert np.allclose(x.var(0), [0.5, 4.0, 30.0], rtol=0.06)
    assert np.allclose(y.mean(0), [2.0, 9.0], rtol=0.02)
