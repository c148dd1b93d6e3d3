"""Gamma, Chi2, StudentT, Dirichlet and Beta side by side with torch 2.13 (values, node chains,
gradients, errors, reprs; KL pairs), second derivatives against torch, gradcheck /
gradgradcheck in float64; Gamma's implicit reparameterisation gradient against finite
differences of the gamma quantile and against torch's own ``_standard_gamma_grad``; draws:
shapes, dtypes, moments, reproducibility (the draws are torch's bit for bit:
tests/oracle/test_rng_bits.py)."""

from __future__ import annotations

import math

import numpy as np
import pytest

pytest.importorskip("torch")

import torch  # noqa: E402

import engine  # noqa: E402
import engine.distributions  # noqa: E402, F401
from engine.distributions._reparam import dirichlet_grad, standard_gamma_grad  # noqa: E402
from tests.engine.test_distributions import D, _t  # noqa: E402
from tests.engine.torch_compare import (  # noqa: E402
    _np,
    check_gradcheck,
    check_second_derivatives,
    close,
    compare,
    graph_names,
)

A = [[0.5, 1.0, 2.5], [3.0, 0.25, 7.5]]
X = [[0.5, 0.1, 2.0], [1.0, 3.0, 0.7]]
ALPHA = [[0.5, 1.5, 2.0], [3.0, 0.7, 1.0]]
SIMPLEX = [[0.2, 0.5, 0.3], [0.6, 0.1, 0.3]]

CASES = {
    "gamma": lambda m, F, leaf: (lambda d: (
        d.log_prob(_t(m, X)), d.entropy(), d.mean, d.mode, d.variance, d.stddev, repr(d),
        repr(d.support), d.has_rsample))(D(m).Gamma(leaf(A), leaf([1.0, 2.0, 0.5]))),
    "gamma-scalars": lambda m, F, leaf: (lambda d: (d.batch_shape, repr(d), d.log_prob(
        m.tensor(1.5)), d.log_prob(2.0)))(D(m).Gamma(2.0, 3.0)),
    "gamma-bad": lambda m, F, leaf: D(m).Gamma(m.tensor([1.0, -1.0]), 1.0),
    "gamma-bad-value": lambda m, F, leaf: D(m).Gamma(1.0, 1.0).log_prob(m.tensor([-1.0])),
    "gamma-zero-value": lambda m, F, leaf: D(m).Gamma(_t(m, [1.0, 2.0, 0.5]), 1.0).log_prob(
        _t(m, [0.0, 0.0, 0.0])),
    "gamma-expand": lambda m, F, leaf: (lambda d: (d.batch_shape, d.concentration, d.rate))(
        D(m).Gamma(leaf([1.0, 2.0]), 2.0).expand((3, 2))),
    "gamma-rsample-node": lambda m, F, leaf: (lambda x: (x.shape, x.dtype,
                                                         x.grad_fn.next_functions[0][0].name()))(
        D(m).Gamma(leaf([1.0, 2.0]), leaf(2.0)).rsample((3,))),
    "chi2": lambda m, F, leaf: (lambda d: (
        d.log_prob(_t(m, X)), d.entropy(), d.mean, d.variance, d.df, repr(d),
        d.batch_shape))(D(m).Chi2(leaf(A))),
    "chi2-bad": lambda m, F, leaf: D(m).Chi2(m.tensor([1.0, -1.0])),
    "studentt": lambda m, F, leaf: (lambda d: (
        d.log_prob(_t(m, X)), d.entropy(), d.mean, d.mode, d.variance, repr(d)))(
        D(m).StudentT(leaf(A), leaf([0.0, 1.0, -1.0]), leaf([1.0, 2.0, 0.5]))),
    "studentt-default": lambda m, F, leaf: (lambda d: (d.loc, d.scale, d.log_prob(
        m.tensor([0.5, 1.0, 2.0])), d.batch_shape))(D(m).StudentT(m.tensor([0.5, 1.5, 3.0]))),
    "studentt-bad": lambda m, F, leaf: D(m).StudentT(1.0, 0.0, -1.0),
    "studentt-expand": lambda m, F, leaf: (lambda d: (d.batch_shape, d.df, d._chi2.batch_shape))(
        D(m).StudentT(leaf([1.0, 3.0])).expand((2, 2))),
    "dirichlet": lambda m, F, leaf: (lambda d: (
        d.log_prob(_t(m, SIMPLEX)), d.entropy(), d.mean, d.mode, d.variance, repr(d),
        repr(d.support), d.batch_shape, d.event_shape))(D(m).Dirichlet(leaf(ALPHA))),
    "dirichlet-mode-small": lambda m, F, leaf: D(m).Dirichlet(_t(m, [[0.5, 0.3, 0.2],
                                                                    [2.0, 3.0, 1.0]])).mode,
    "dirichlet-0d": lambda m, F, leaf: D(m).Dirichlet(m.tensor(1.0)),
    "dirichlet-bad": lambda m, F, leaf: D(m).Dirichlet(m.tensor([1.0, -1.0])),
    "dirichlet-bad-value": lambda m, F, leaf: D(m).Dirichlet(m.ones(3)).log_prob(
        m.tensor([0.5, 0.6, 0.1])),
    "dirichlet-sample-shape": lambda m, F, leaf: (lambda s: (s.shape, s.dtype))(
        D(m).Dirichlet(m.ones(2, 3)).sample((4,))),
    "beta": lambda m, F, leaf: (lambda d: (
        d.log_prob(_t(m, [0.2, 0.5, 0.9])), d.entropy(), d.mean, d.mode, d.variance,
        d.concentration1, d.concentration0, repr(d), repr(d.support)))(
        D(m).Beta(leaf([0.5, 2.0, 3.0]), leaf([1.5, 2.0, 0.7]))),
    "beta-scalars": lambda m, F, leaf: (lambda d: (d.batch_shape, d.mean, repr(d),
                                                   d.log_prob(m.tensor(0.3))))(
        D(m).Beta(2.0, 3.0)),
    "beta-bad": lambda m, F, leaf: D(m).Beta(1.0, -1.0),
    "beta-bad-value": lambda m, F, leaf: D(m).Beta(1.0, 1.0).log_prob(m.tensor([1.5])),
    "beta-expand": lambda m, F, leaf: (lambda d: (d.batch_shape, d.concentration1))(
        D(m).Beta(leaf([1.0, 2.0]), 2.0).expand((3, 2))),
    "kl-gamma": lambda m, F, leaf: D(m).kl_divergence(
        D(m).Gamma(leaf(A), leaf(2.0)), D(m).Gamma(leaf([1.0, 2.0, 0.5]), leaf(1.0))),
    "kl-beta": lambda m, F, leaf: D(m).kl_divergence(
        D(m).Beta(leaf([0.5, 2.0]), leaf([1.5, 2.0])), D(m).Beta(leaf(1.0), leaf(3.0))),
    "kl-dirichlet": lambda m, F, leaf: D(m).kl_divergence(
        D(m).Dirichlet(leaf(ALPHA)), D(m).Dirichlet(leaf([1.0, 2.0, 0.5]))),
    "kl-exponential-gamma": lambda m, F, leaf: D(m).kl_divergence(
        D(m).Exponential(leaf([1.0, 2.0])), D(m).Gamma(leaf(2.0), leaf(0.5))),
    "kl-gamma-exponential": lambda m, F, leaf: D(m).kl_divergence(
        D(m).Gamma(leaf([1.0, 2.0]), leaf(0.5)), D(m).Exponential(leaf(2.0))),
    "kl-gamma-normal": lambda m, F, leaf: D(m).kl_divergence(
        D(m).Gamma(leaf([1.0, 2.0]), leaf(0.5)), D(m).Normal(leaf(0.3), leaf(2.0))),
    "kl-beta-normal": lambda m, F, leaf: D(m).kl_divergence(
        D(m).Beta(leaf([1.0, 2.0]), leaf(0.5)), D(m).Normal(leaf(0.3), leaf(2.0))),
    "kl-normal-gamma": lambda m, F, leaf: D(m).kl_divergence(
        D(m).Normal(leaf([1.0, 2.0]), 1.0), D(m).Gamma(1.0, 1.0)),
    "kl-gamma-uniform": lambda m, F, leaf: D(m).kl_divergence(
        D(m).Gamma(leaf([1.0, 2.0]), 1.0), D(m).Uniform(0.0, 1.0)),
    "kl-chi2-gamma": lambda m, F, leaf: D(m).kl_divergence(
        D(m).Chi2(leaf([1.0, 2.0])), D(m).Gamma(leaf(2.0), leaf(0.5))),
}


@pytest.mark.parametrize("name", list(CASES))
def test_against_torch(name):
    compare(CASES[name], rtol=1e-11)


def _params(m):
    g = np.random.default_rng(0)
    return {k: m.tensor(v, dtype=m.float64, requires_grad=True) for k, v in {
        "a": g.uniform(0.5, 3.0, (2, 3)), "b": g.uniform(0.5, 3.0, 3),
        "rate": g.uniform(0.5, 2.0, (2, 3)), "rate2": g.uniform(0.5, 2.0, 3),
        "x": g.uniform(0.1, 3.0, (2, 3)), "u": g.uniform(0.05, 0.95, (2, 3)),
        "loc": g.standard_normal((2, 3)),
    }.items()}


GRAD_FUNCS = {
    "gamma": lambda m, p: D(m).Gamma(p["a"], p["rate"]).log_prob(p["x"])
    + D(m).Gamma(p["a"], p["rate"]).entropy(),
    "chi2": lambda m, p: D(m).Chi2(p["a"]).log_prob(p["x"]) + D(m).Chi2(p["a"]).entropy(),
    "studentt": lambda m, p: D(m).StudentT(p["a"], p["loc"], p["rate"]).log_prob(p["x"])
    + D(m).StudentT(p["a"], p["loc"], p["rate"]).entropy(),
    "dirichlet": lambda m, p: D(m).Dirichlet(p["a"]).log_prob(p["u"] / p["u"].sum(-1, True))
    + D(m).Dirichlet(p["a"]).entropy(),
    "beta": lambda m, p: D(m).Beta(p["a"], p["rate"]).log_prob(p["u"])
    + D(m).Beta(p["a"], p["rate"]).entropy(),
    "kl-gamma": lambda m, p: D(m).kl_divergence(D(m).Gamma(p["a"], p["rate"]),
                                                D(m).Gamma(p["b"], p["rate2"])),
    "kl-beta": lambda m, p: D(m).kl_divergence(D(m).Beta(p["a"], p["rate"]),
                                               D(m).Beta(p["b"], p["rate2"])),
    "kl-dirichlet": lambda m, p: D(m).kl_divergence(D(m).Dirichlet(p["a"]),
                                                    D(m).Dirichlet(p["b"])),
    "kl-gamma-normal": lambda m, p: D(m).kl_divergence(D(m).Gamma(p["a"], p["rate"]),
                                                       D(m).Normal(p["loc"], p["rate2"])),
}


@pytest.mark.parametrize("name", list(GRAD_FUNCS))
def test_second_derivatives_match_torch(name):
    check_second_derivatives(GRAD_FUNCS[name], _params)


@pytest.mark.parametrize("name", list(GRAD_FUNCS))
def test_gradcheck(name):
    check_gradcheck(GRAD_FUNCS[name], _params)


def _gamma_cdf(a: float, x: float) -> float:
    total, log_t = 0.0, a * math.log(x) - x - math.lgamma(a + 1)
    for n in range(4000):
        term = math.exp(log_t)
        total += term
        if n > x and term < 1e-18 * total:
            break
        log_t += math.log(x) - math.log(a + n + 1)
    return total


def _gamma_quantile(a: float, u: float) -> float:
    lo, hi = 1e-300, 1e4
    for _ in range(200):
        mid = math.sqrt(lo * hi) if hi / lo > 4 else (lo + hi) / 2
        lo, hi = (mid, hi) if _gamma_cdf(a, mid) < u else (lo, mid)
    return (lo + hi) / 2


@pytest.mark.parametrize("a,x", [(1.0, 0.3), (2.5, 6.0), (10.0, 4.0), (10.0, 22.0),
                                 (0.3, 0.01), (0.05, 1e-8)])
def test_implicit_gamma_gradient_is_the_quantile_derivative(a, x):
    """dx/dalpha at fixed u = P(alpha, x), by central differences of the quantile: ours is
    torch's approximation of it, within 1e-3 (and torch's value to float64 rounding)."""
    u, h = _gamma_cdf(a, x), 1e-5
    fd = (_gamma_quantile(a + h, u) - _gamma_quantile(a - h, u)) / (2 * h)
    ours = standard_gamma_grad(np.array([a]), np.array([x]))[0]
    theirs = torch._standard_gamma_grad(torch.tensor([a], dtype=torch.float64),
                                        torch.tensor([x], dtype=torch.float64)).item()
    assert math.isclose(ours, fd, rel_tol=1e-3)
    assert math.isclose(ours, theirs, rel_tol=1e-13)


def _agreement(ours, theirs):
    """(fraction bit-identical, largest relative difference) of two arrays."""
    ours, theirs = np.asarray(ours), np.asarray(theirs)
    same = (ours == theirs) | (np.isnan(ours) & np.isnan(theirs))
    with np.errstate(all="ignore"):
        rel = np.abs(ours.astype(np.float64) - theirs) / np.abs(theirs.astype(np.float64))
    return same.mean(), float(np.max(np.where(same, 0.0, rel)))


def test_standard_gamma_grad_is_torchs_kernel():
    """Over 40,000 draws across all three approximations (alpha from 1e-3 to 1e4): float32
    bit for bit; float64 bit for bit on 95% (the rest within 1e-13: libm's log and pow
    against NumPy's, amplified by the saddle-point expansion's cancellation)."""
    g = np.random.default_rng(0)
    a = np.concatenate([g.uniform(0.01, 20, 20000), 10 ** g.uniform(-3, 4, 20000)])
    x = np.maximum(g.gamma(a), 1e-300)
    ours = standard_gamma_grad(a, x)
    same, rel = _agreement(ours, torch._standard_gamma_grad(torch.tensor(a),
                                                             torch.tensor(x)).numpy())
    assert same > 0.95 and rel < 1e-13, (same, rel)
    a32, x32 = a.astype(np.float32), x.astype(np.float32)
    ours = standard_gamma_grad(a32, x32).astype(np.float32)
    theirs = torch._standard_gamma_grad(torch.tensor(a32), torch.tensor(x32)).numpy()
    assert _agreement(ours, theirs)[0] == 1.0


def test_dirichlet_grad_is_torchs_kernel():
    """Beta draws over concentrations 1e-2..300 (every branch: the series at both ends, the
    saddle point, the rational fit): float64 bit for bit on 96%, all within 1e-11 (the
    saddle point's cancellation again); float32 bit for bit on 85% and within 1e-4 on 99%
    (its digamma differences cancel catastrophically where alpha << beta; float32's log and
    pow are NumPy's, not libm's)."""
    g = np.random.default_rng(0)
    a, b = 10 ** g.uniform(-2, 2.5, 40000), 10 ** g.uniform(-2, 2.5, 40000)
    x = np.clip(g.beta(a, b), 1e-300, 1 - 1e-16)
    same, rel = _agreement(dirichlet_grad(x, a, a + b), torch._dirichlet_grad(
        torch.tensor(x), torch.tensor(a), torch.tensor(a + b)).numpy())
    assert same > 0.96 and rel < 1e-11, (same, rel)
    x, a, t = x.astype(np.float32), a.astype(np.float32), (a + b).astype(np.float32)
    ours = dirichlet_grad(x, a, t)
    theirs = torch._dirichlet_grad(torch.tensor(x), torch.tensor(a), torch.tensor(t)).numpy()
    assert ours.dtype == np.float32 and _agreement(ours, theirs)[0] > 0.85
    with np.errstate(all="ignore"):
        rel = np.abs(ours.astype(np.float64) - theirs) / np.abs(theirs)
    assert np.mean((ours == theirs) | (rel < 1e-4)) > 0.99


def test_gamma_rsample_gradients_and_their_nodes():
    """The draw's gradient is -scale-free implicit: d(x/rate)/dalpha = dx/dalpha / rate and
    d/drate = -x/rate^2; the nodes are torch's and the second derivative through the implicit
    gradient fails with torch's text."""
    a = engine.tensor([0.5, 2.0, 10.0], dtype=engine.float64, requires_grad=True)
    rate = engine.tensor([1.0, 2.0, 0.5], dtype=engine.float64, requires_grad=True)
    with engine.use_generator(engine.Generator().manual_seed(0)):
        y = D(engine).Gamma(a, rate).rsample()
    assert y.grad_fn.name() == "DivBackward0"
    assert y.grad_fn.next_functions[0][0].name() == "StandardGammaBackward0"
    x = (y * rate).detach()
    ga, gr = engine.grad(y.sum(), [a, rate], create_graph=True)
    assert close(_np(ga), standard_gamma_grad(_np(a), _np(x)) / _np(rate), 1e-12, 0)
    assert close(_np(gr), -_np(x) / _np(rate) ** 2, 1e-12, 0)
    ta = torch.tensor(_np(a), requires_grad=True)
    tx = torch._standard_gamma(ta)
    (tg,) = torch.autograd.grad(tx.sum(), ta, create_graph=True)
    with pytest.raises(NotImplementedError) as theirs:
        torch.autograd.grad(tg.sum(), ta)
    with pytest.raises(NotImplementedError) as ours:
        engine.grad(ga.sum(), [a])
    assert str(ours.value) == str(theirs.value)
    tr = torch.tensor(_np(rate), requires_grad=True)
    (tga,) = torch.autograd.grad((torch._standard_gamma(ta) / tr).sum(), ta, create_graph=True)
    assert type(ga.grad_fn).__name__ == type(tga.grad_fn).__name__


def test_studentt_and_chi2_rsample_have_gradients():
    df = engine.tensor([3.0, 5.0], dtype=engine.float64, requires_grad=True)
    loc = engine.tensor([0.0, 1.0], dtype=engine.float64, requires_grad=True)
    with engine.use_generator(engine.Generator().manual_seed(0)):
        y = D(engine).StudentT(df, loc, 2.0).rsample((4,))
        c = D(engine).Chi2(df).rsample()
    assert y.shape == (4, 2) and c.shape == (2,)
    g_df, g_loc = engine.grad(y.sum() + c.sum(), [df, loc])
    assert _np(g_loc).tolist() == [4.0, 4.0] and np.all(np.isfinite(_np(g_df)))


def test_draws():
    def draw(seed):
        with engine.use_generator(engine.Generator().manual_seed(seed)):
            return (D(engine).Gamma(engine.tensor([0.5, 3.0]), 2.0).sample((20000,)),
                    D(engine).Dirichlet(engine.tensor([1.0, 2.0, 3.0])).sample((20000,)),
                    D(engine).Beta(2.0, 5.0).sample((20000,)),
                    D(engine).StudentT(5.0).sample((20000,)))

    (g, d, b, t), (g2, d2, b2, t2) = draw(1), draw(1)
    for x, y in ((g, g2), (d, d2), (b, b2), (t, t2)):
        assert np.array_equal(_np(x), _np(y)) and x.dtype is engine.float32
        assert not x.requires_grad
    assert np.allclose(_np(g).mean(0), [0.25, 1.5], rtol=0.03)
    assert np.allclose(_np(d).mean(0), [1 / 6, 2 / 6, 3 / 6], rtol=0.03)
    assert np.allclose(_np(d).sum(-1), 1.0, atol=1e-6)
    assert abs(_np(b).mean() - 2 / 7) < 0.01 and abs(_np(t).var() - 5 / 3) < 0.15


def test_dirichlet_and_beta_rsample():
    """Nodes as torch's (_DirichletBackward after the expand; Beta selects coordinate 0);
    the gradient is torch's own formula evaluated on our draws (torch's _dirichlet_grad
    projected onto the simplex) to float64 rounding; a second derivative fails as torch's
    (once differentiable: the first gradient has no graph)."""
    c = engine.tensor([[1.0, 2.0, 3.0], [0.5, 7.0, 9.0]], dtype=engine.float64,
                      requires_grad=True)
    d = D(engine).Dirichlet(c)
    assert d.has_rsample and D(engine).Beta(1.0, 2.0).has_rsample
    with engine.use_generator(engine.Generator().manual_seed(0)):
        x = d.rsample((4,))
    assert x.shape == (4, 2, 3) and x.grad_fn.name() == "_DirichletBackward"
    assert [f.name() for f, _ in x.grad_fn.next_functions] == ["ExpandBackward0"]
    tc = torch.tensor(_np(c), requires_grad=True)
    tx = torch.distributions.Dirichlet(tc).rsample((4,))
    assert type(tx.grad_fn).__name__ == "_DirichletBackward"
    w = np.random.default_rng(0).standard_normal((4, 2, 3))
    (g,) = engine.grad((x * engine.tensor(w)).sum(), [c], create_graph=True)
    xs, cs, tw = torch.tensor(_np(x)), torch.tensor(_np(c)).expand(4, 2, 3), torch.tensor(w)
    kernel = torch._dirichlet_grad(xs, cs, cs.sum(-1, True).expand_as(cs))
    expected = (kernel * (tw - (xs * tw).sum(-1, True))).sum(0).numpy()
    assert close(_np(g), expected, 1e-14, 1e-16)
    (tg,) = torch.autograd.grad((tx * tw).sum(), tc, create_graph=True)
    with pytest.raises(RuntimeError) as theirs:
        torch.autograd.grad(tg.sum(), tc)
    with pytest.raises(RuntimeError) as ours:
        engine.grad(g.sum(), [c])
    assert str(ours.value) == str(theirs.value)
    a = engine.tensor([0.5, 3.0], dtype=engine.float64, requires_grad=True)
    with engine.use_generator(engine.Generator().manual_seed(1)):
        y = D(engine).Beta(a, 2.0).rsample((3,))
        again = D(engine).Beta(a, 2.0).sample((3,))
    assert y.grad_fn.name() == "SelectBackward0" and not again.requires_grad
    ty = torch.distributions.Beta(torch.tensor(_np(a), requires_grad=True), 2.0).rsample((3,))
    assert graph_names(y) == graph_names(ty)
    (ga,) = engine.grad(y.sum(), [a])
    ys = torch.tensor(_np(y))
    ab = torch.tensor(_np(a)).expand(3, 2)
    expected = (torch._dirichlet_grad(ys, ab, ab + 2.0) * (1 - ys)).sum(0).numpy()
    assert close(_np(ga), expected, 1e-14, 1e-16)


def test_huge_concentrations_and_element_limits():
    """Huge concentrations: torch's saddle-point expansion, to float64 rounding; NumPy-drawn
    samples respect the session's element limit."""
    x = np.array([0.999e9, 1.0e9, 1.001e9, 4.9e6])
    a = np.array([1e9, 1e9, 1e9, 5e6])
    theirs = torch._standard_gamma_grad(torch.tensor(a), torch.tensor(x)).numpy()
    assert np.allclose(standard_gamma_grad(a, x), theirs, rtol=1e-13)
    with engine.use_limits(max_elements=1000):
        for make in (lambda: D(engine).Poisson(engine.ones(2)).sample((10 ** 6,)),
                     lambda: D(engine).Binomial(3, engine.ones(2) / 2).sample((10 ** 6,)),
                     lambda: D(engine).Gamma(1.0, 1.0).rsample((10 ** 6,)),
                     lambda: D(engine).Dirichlet(engine.ones(3)).sample((10 ** 6,))):
            with pytest.raises(engine.errors.TensorTooLarge):
                make()


def test_scalar_parameters_sample_a_0d_tensor():
    """``Gamma(2., 1.).sample()`` (and the families drawn through it) from Python floats: a
    0-d draw, as torch's (NumPy's sampler returns a bare float there)."""
    d = engine.distributions
    for dist in (d.Gamma(2.0, 1.0), d.Beta(2.0, 3.0), d.Chi2(3.0), d.Dirichlet(engine.ones(3)),
                 d.StudentT(3.0)):
        theirs = getattr(torch.distributions, type(dist).__name__)
        shape = () if type(dist).__name__ != "Dirichlet" else (3,)
        s = dist.sample()
        assert tuple(s.shape) == shape and s.dtype is engine.float32, dist
        assert theirs is not None


def test_per_element_draws_are_charged_before_they_run():
    """torch's per-element gamma and Poisson kernels run element by element: their cost is
    charged to the run's meter first (a refusal draws nothing)."""
    seen = []

    def meter(op, units):
        seen.append((op, units))
        if units > 1e6:
            raise MemoryError("refused")

    d = engine.distributions
    with engine.use_cost_meter(meter):
        d.Gamma(engine.ones(10), 1.0).sample()
        d.Dirichlet(engine.ones(5)).sample()
        d.Poisson(engine.ones(3)).sample()
        state = engine.get_rng_state()
        with pytest.raises(MemoryError):
            d.Gamma(engine.ones(10 ** 4), 1.0).sample()
    assert [op for op, _ in seen] == ["_standard_gamma", "_sample_dirichlet", "poisson",
                                      "_standard_gamma"]
    assert seen[0][1] == 10 * seen[2][1] / 3 > 0
    assert bytes(engine.get_rng_state().numpy()) == bytes(state.numpy())
