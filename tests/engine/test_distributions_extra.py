"""Cauchy, HalfNormal and Gumbel side by side with torch 2.13, the KL pairs added with them and
the Beta/Uniform/Gamma/Laplace/Poisson cross pairs; and kl_divergence's dispatch: for every
ordered pair of the distribution classes both libraries export, the same registered function
(by name) or none, as torch's most-specific-match rule picks it."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("torch")

import torch  # noqa: E402

import engine  # noqa: E402
import engine.distributions  # noqa: E402, F401
from tests.engine.test_distributions import D, _t, _Twinned  # noqa: E402
from tests.engine.torch_compare import _RTOL, _np, close, compare  # noqa: E402

X = [[0.5, -1.0, 2.0], [1.0, 3.0, -0.7]]

CASES = {
    "cauchy": lambda m, F, leaf: (lambda d: (
        d.log_prob(_t(m, X)), d.cdf(_t(m, X)), d.icdf(_t(m, [0.1, 0.5, 0.9])), d.entropy(),
        d.mean, d.mode, d.variance, repr(d)))(
        D(m).Cauchy(leaf([0.0, 1.0, -1.0]), leaf([1.0, 2.0, 0.5]))),
    "cauchy-bad": lambda m, F, leaf: D(m).Cauchy(0.0, 0.0),
    "halfnormal": lambda m, F, leaf: (lambda d: (
        d.log_prob(_t(m, [[0.5, 0.0, 2.0], [1.0, 3.0, 0.7]])), d.cdf(_t(m, [0.5, 1.0, 2.0])),
        d.icdf(_t(m, [0.1, 0.5, 0.9])), d.entropy(), d.mean, d.mode, d.variance, d.scale,
        repr(d), repr(d.support), d.batch_shape))(D(m).HalfNormal(leaf([1.0, 2.0, 0.5]))),
    "halfnormal-negative": lambda m, F, leaf: D(m).HalfNormal(1.0).log_prob(m.tensor([-1.0])),
    "halfnormal-negative-unchecked": lambda m, F, leaf: D(m).HalfNormal(
        1.0, validate_args=False).log_prob(m.tensor([-1.0, 1.0])),
    "halfnormal-bad": lambda m, F, leaf: D(m).HalfNormal(-1.0),
    "gumbel": lambda m, F, leaf: (lambda d: (
        d.log_prob(_t(m, X)), d.cdf(_t(m, X)), d.icdf(_t(m, [0.1, 0.5, 0.9])), d.entropy(),
        d.mean, d.mode, d.stddev, d.variance, repr(d), d.batch_shape))(
        D(m).Gumbel(leaf([0.0, 1.0, -1.0]), leaf([1.0, 2.0, 0.5]))),
    "gumbel-scalars": lambda m, F, leaf: (lambda d: (d.batch_shape, d.log_prob(m.tensor(0.3)),
                                                     d.mean))(D(m).Gumbel(0.5, 2.0)),
    "gumbel-expand": lambda m, F, leaf: (lambda d: (d.batch_shape, d.loc, d.log_prob(
        m.zeros(3, 2, dtype=m.float64))))(D(m).Gumbel(leaf([0.0, 1.0]), leaf(2.0)).expand((3, 2))),
    "kl-cauchy": lambda m, F, leaf: D(m).kl_divergence(
        D(m).Cauchy(leaf([0.0, 1.0]), leaf([1.0, 2.0])), D(m).Cauchy(leaf(0.5), leaf(1.5))),
    "kl-halfnormal": lambda m, F, leaf: D(m).kl_divergence(
        D(m).HalfNormal(leaf([1.0, 2.0])), D(m).HalfNormal(leaf(1.5))),
    "kl-gumbel": lambda m, F, leaf: D(m).kl_divergence(
        D(m).Gumbel(leaf([0.0, 1.0]), leaf([1.0, 2.0])), D(m).Gumbel(leaf(0.5), leaf(1.5))),
    "kl-gumbel-normal": lambda m, F, leaf: D(m).kl_divergence(
        D(m).Gumbel(leaf([0.0, 1.0]), leaf([1.0, 2.0])), D(m).Normal(leaf(0.5), leaf(1.5))),
    "kl-normal-gumbel": lambda m, F, leaf: D(m).kl_divergence(
        D(m).Normal(leaf([0.0, 1.0]), leaf([1.0, 2.0])), D(m).Gumbel(leaf(0.5), leaf(1.5))),
    "kl-exponential-gumbel": lambda m, F, leaf: D(m).kl_divergence(
        D(m).Exponential(leaf([1.0, 2.0])), D(m).Gumbel(leaf(0.5), leaf(1.5))),
    "kl-gamma-gumbel": lambda m, F, leaf: D(m).kl_divergence(
        D(m).Gamma(leaf([1.0, 2.0]), leaf(0.5)), D(m).Gumbel(leaf(0.5), leaf(1.5))),
    "kl-uniform-gumbel": lambda m, F, leaf: D(m).kl_divergence(
        D(m).Uniform(leaf([0.0, 1.0]), leaf([1.0, 3.0])), D(m).Gumbel(leaf(0.5), leaf(1.5))),
    "kl-gumbel-uniform": lambda m, F, leaf: D(m).kl_divergence(
        D(m).Gumbel(leaf([0.0, 1.0]), 1.0), D(m).Uniform(0.0, 1.0)),
    "kl-uniform-beta": lambda m, F, leaf: D(m).kl_divergence(
        D(m).Uniform(leaf([0.1, 0.2, -0.5]), leaf([0.5, 0.9, 0.5])),
        D(m).Beta(leaf(2.0), leaf(3.0))),
    "kl-uniform-gamma": lambda m, F, leaf: D(m).kl_divergence(
        D(m).Uniform(leaf([0.1, -1.0]), leaf([0.5, 2.0])), D(m).Gamma(leaf(2.0), leaf(3.0))),
    "kl-beta-uniform": lambda m, F, leaf: D(m).kl_divergence(
        D(m).Beta(leaf([2.0, 1.0]), leaf(3.0)),
        D(m).Uniform(_t(m, [0.0, 0.5]), _t(m, [1.0, 1.0]))),
    "kl-beta-exponential": lambda m, F, leaf: D(m).kl_divergence(
        D(m).Beta(leaf([2.0, 1.0]), leaf(3.0)), D(m).Exponential(leaf(2.0))),
    "kl-beta-gamma": lambda m, F, leaf: D(m).kl_divergence(
        D(m).Beta(leaf([2.0, 1.0]), leaf(3.0)), D(m).Gamma(leaf(2.0), leaf(0.5))),
    "kl-infinities": lambda m, F, leaf: (
        D(m).kl_divergence(D(m).Laplace(leaf([0.0]), 1.0), D(m).Gamma(1.0, 1.0)),
        D(m).kl_divergence(D(m).Poisson(leaf([1.0])), D(m).Bernoulli(0.5)),
        D(m).kl_divergence(D(m).Exponential(leaf([1.0])), D(m).Beta(1.0, 1.0)),
        D(m).kl_divergence(D(m).Gamma(leaf([1.0]), 1.0), D(m).Beta(1.0, 1.0))),
}


@pytest.mark.parametrize("name", list(CASES))
def test_against_torch(name):
    compare(CASES[name], rtol=1e-11)


def _classes():
    ours = engine.distributions
    return [n for n in ours.__all__ if isinstance(getattr(ours, n), type)
            and issubclass(getattr(ours, n), ours.Distribution)]


def test_kl_dispatch_picks_torchs_function_for_every_pair():
    from torch.distributions.kl import _dispatch_kl as theirs

    from engine.distributions.kl import _dispatch_kl as ours

    names = _classes()
    assert len(names) >= 26
    for a in names:
        for b in names:
            o = ours(getattr(engine.distributions, a), getattr(engine.distributions, b))
            t = theirs(getattr(torch.distributions, a), getattr(torch.distributions, b))
            assert (getattr(o, "__name__", None), getattr(t, "__name__", None)) == \
                (getattr(t, "__name__", None),) * 2, (a, b)


def test_gradients_match_torch():
    g = np.random.default_rng(0)
    values = {"loc": g.standard_normal(3), "scale": g.uniform(0.5, 2.0, 3),
              "x": g.uniform(0.1, 2.0, (2, 3)), "u": g.uniform(0.05, 0.95, 3)}

    def run(m):
        p = {k: m.tensor(v, requires_grad=True) for k, v in values.items()}
        out = (D(m).Cauchy(p["loc"], p["scale"]).log_prob(p["x"]).sum()
               + D(m).Cauchy(p["loc"], p["scale"]).icdf(p["u"]).sum()
               + D(m).HalfNormal(p["scale"]).log_prob(p["x"]).sum()
               + D(m).Gumbel(p["loc"], p["scale"]).log_prob(p["x"]).sum()
               + D(m).Gumbel(p["loc"], p["scale"]).cdf(p["x"]).sum()
               + D(m).kl_divergence(D(m).Gumbel(p["loc"], p["scale"]),
                                    D(m).Normal(p["x"][0], p["scale"])).sum())
        grad = engine.grad if m is engine else torch.autograd.grad
        first = grad(out, list(p.values()), create_graph=True)
        second = grad(sum((f * f).sum() for f in first), list(p.values()))
        return [_np(t) for t in first + tuple(second)]

    for a, b in zip(run(engine), run(torch), strict=True):
        assert close(a, b, 1e-9, 1e-12), (a, b)


DRAWS = {
    "cauchy": lambda m: D(m).Cauchy(_t(m, [0.0, 1.0]), _t(m, [1.0, 2.0])).rsample((3,)),
    "halfnormal": lambda m: D(m).HalfNormal(_t(m, [1.0, 2.0])).rsample((3,)),
    "gumbel": lambda m: D(m).Gumbel(_t(m, [0.0, 1.0]), _t(m, [1.0, 2.0])).sample((3,)),
}


@pytest.mark.parametrize("name", list(DRAWS))
def test_draws_match_torch_on_twinned_draws(name):
    with engine.use_generator(engine.Generator().manual_seed(7)):
        ours = DRAWS[name](engine)
    with _Twinned(7, extra=("cauchy_",)):
        theirs = DRAWS[name](torch)
    assert str(ours.dtype) == str(theirs.dtype) and tuple(ours.shape) == tuple(theirs.shape)
    tol = max(_RTOL.get(str(theirs.dtype)[6:], 0.0), 1e-14)
    assert close(_np(ours), theirs.numpy(), tol, 1e-14), (ours, theirs)
