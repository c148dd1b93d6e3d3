"""torch.distributions' remaining transforms (Softplus, StickBreaking, CorrCholesky,
LowerCholesky, PositiveDefinite, Independent, Reshape, Cat, Stack, CumulativeDistribution),
the corr_cholesky constraint and the constraint registries (biject_to / transform_to) side by
side with torch 2.13 (values, node chains, gradients, errors, reprs); second derivatives
against torch and gradcheck / gradgradcheck in float64."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("torch")


import engine  # noqa: E402
import engine.distributions  # noqa: E402, F401
from tests.engine.test_distributions import D, _t  # noqa: E402
from tests.engine.torch_compare import (  # noqa: E402
    check_gradcheck,
    check_second_derivatives,
    compare,
)

X = [[0.3, -1.2, 2.0], [0.0, 0.5, -0.25]]
M = [[[0.3, -1.2, 2.0], [0.1, 0.5, -0.25], [1.5, -0.7, 0.2]],
     [[-0.4, 0.9, 0.0], [0.6, -1.1, 0.3], [0.8, 0.05, -2.0]]]


def T(m):
    return m.distributions.transforms


def _all(t, x):
    """Everything a program sees of a transform applied to x."""
    y = t(x)
    return (y, t.inv(y), t.log_abs_det_jacobian(x, y), repr(t), repr(t.inv), repr(t.domain),
            repr(t.codomain), t.bijective, t.domain.event_dim, t.codomain.event_dim,
            tuple(t.forward_shape(tuple(x.shape))), tuple(t.inverse_shape(tuple(y.shape))))



CASES = {
    "softplus": lambda m, F, leaf: _all(T(m).SoftplusTransform(), leaf([[0.3, -1.2, 25.0]])) + (
        T(m).SoftplusTransform().sign, T(m).SoftplusTransform() == T(m).SoftplusTransform()),
    "stick-breaking": lambda m, F, leaf: _all(T(m).StickBreakingTransform(), leaf(X)),
    "stick-breaking-extremes": lambda m, F, leaf: (lambda t: (
        t(_t(m, [[-40.0, 50.0, 0.0]])), t.inv(_t(m, [[0.0, 1.0, 0.0, 0.0]]))))(
        T(m).StickBreakingTransform()),
    "stick-breaking-shape-error": lambda m, F, leaf: T(m).StickBreakingTransform()
    .forward_shape(()),
    "corr-cholesky": lambda m, F, leaf: _all(T(m).CorrCholeskyTransform(), leaf(X)),
    "corr-cholesky-6": lambda m, F, leaf: _all(T(m).CorrCholeskyTransform(),
                                               leaf([0.3, -1.2, 2.0, 0.1, 0.5, -0.25])),
    "corr-cholesky-bad-length": lambda m, F, leaf: T(m).CorrCholeskyTransform().forward_shape(
        (2, 4)),
    "corr-cholesky-not-square": lambda m, F, leaf: T(m).CorrCholeskyTransform().inverse_shape(
        (2, 3)),
    "corr-cholesky-vector-error": lambda m, F, leaf: T(m).CorrCholeskyTransform()(
        leaf([0.1, 0.2])),
    "lower-cholesky": lambda m, F, leaf: (lambda t, x: (t(x), t.inv(t(x)), repr(t.codomain),
                                                        t.bijective))(
        T(m).LowerCholeskyTransform(), leaf(M)),
    "lower-cholesky-jacobian": lambda m, F, leaf: T(m).LowerCholeskyTransform()
    .log_abs_det_jacobian(leaf(M), leaf(M)),
    "positive-definite": lambda m, F, leaf: (lambda t, x: (t(x), t.inv(t(x)), repr(t.codomain),
                                                           repr(t.domain)))(
        T(m).PositiveDefiniteTransform(), leaf(M)),
    "independent": lambda m, F, leaf: _all(T(m).IndependentTransform(T(m).ExpTransform(), 1),
                                           leaf(X)) + (
        T(m).IndependentTransform(T(m).ExpTransform(), 1).sign,),
    "independent-2": lambda m, F, leaf: _all(
        T(m).IndependentTransform(T(m).AffineTransform(leaf(1.0), leaf(-2.0)), 2), leaf(X)),
    "independent-too-few": lambda m, F, leaf: T(m).IndependentTransform(
        T(m).ExpTransform(), 2)(leaf([1.0, 2.0])),
    "independent-inv-too-few": lambda m, F, leaf: T(m).IndependentTransform(
        T(m).ExpTransform(), 2).inv(leaf([1.0, 2.0])),
    "reshape": lambda m, F, leaf: _all(T(m).ReshapeTransform((3,), (3, 1)), leaf(X)),
    "reshape-2": lambda m, F, leaf: _all(T(m).ReshapeTransform((2, 3), (6,)), leaf(X)) + (
        T(m).ReshapeTransform((2, 3), (6,)).in_shape,),
    "reshape-numel": lambda m, F, leaf: T(m).ReshapeTransform((2, 3), (5,)),
    "reshape-shape-mismatch": lambda m, F, leaf: T(m).ReshapeTransform((2, 3), (6,))
    .forward_shape((4, 3, 2)),
    "reshape-too-few": lambda m, F, leaf: T(m).ReshapeTransform((2, 3), (6,))
    .inverse_shape(()),
    "cat": lambda m, F, leaf: (lambda t, x: (t(x), t.inv(t(x)), t.log_abs_det_jacobian(x, t(x)),
                                             t.event_dim, t.bijective, t.length,
                                             repr(t.domain), repr(t.codomain)))(
        T(m).CatTransform([T(m).ExpTransform(), T(m).AffineTransform(1.0, 2.0)], dim=1,
                          lengths=[2, 1]), leaf(X)),
    "cat-event-dim": lambda m, F, leaf: (lambda t, x: (t(x), t.log_abs_det_jacobian(x, t(x)),
                                                       t.event_dim))(
        T(m).CatTransform([T(m).ExpTransform(), T(m).SoftmaxTransform()], dim=0,
                          lengths=[1, 1]), leaf(X)),
    "cat-event-dim-last": lambda m, F, leaf: (lambda t, x: (t(x),
                                                            t.log_abs_det_jacobian(x, t(x))))(
        T(m).CatTransform([T(m).ExpTransform(), T(m).IndependentTransform(
            T(m).SigmoidTransform(), 1)], dim=-1, lengths=[1, 2]), leaf(X)),
    "cat-default-lengths": lambda m, F, leaf: (lambda t, x: t(x))(
        T(m).CatTransform([T(m).ExpTransform(), T(m).TanhTransform()]), leaf(X)),
    "cat-wrong-length": lambda m, F, leaf: T(m).CatTransform(
        [T(m).ExpTransform()], dim=1, lengths=[2])(leaf(X)),
    "cat-wrong-dim": lambda m, F, leaf: T(m).CatTransform(
        [T(m).ExpTransform()], dim=3, lengths=[2])(leaf(X)),
    "cat-inverse-wrong-length": lambda m, F, leaf: T(m).CatTransform(
        [T(m).ExpTransform()], dim=1, lengths=[2]).inv(leaf(X)),
    "cat-jacobian-wrong": lambda m, F, leaf: T(m).CatTransform(
        [T(m).ExpTransform()], dim=1, lengths=[2]).log_abs_det_jacobian(leaf(X), leaf(X)),
    "cat-lengths-mismatch": lambda m, F, leaf: T(m).CatTransform(
        [T(m).ExpTransform()], lengths=[1, 2]),
    "cat-not-transforms": lambda m, F, leaf: T(m).CatTransform([1]),
    "stack": lambda m, F, leaf: (lambda t, x: (t(x), t.inv(t(x)),
                                               t.log_abs_det_jacobian(x, t(x)), t.bijective,
                                               repr(t.domain), repr(t.codomain)))(
        T(m).StackTransform([T(m).ExpTransform(), T(m).SigmoidTransform(),
                             T(m).AffineTransform(1.0, 3.0)], dim=1), leaf(X)),
    "stack-wrong": lambda m, F, leaf: T(m).StackTransform(
        [T(m).ExpTransform()], dim=0)(leaf(X)),
    "stack-wrong-dim": lambda m, F, leaf: T(m).StackTransform(
        [T(m).ExpTransform()], dim=-3)(leaf(X)),
    "stack-inverse-wrong": lambda m, F, leaf: T(m).StackTransform(
        [T(m).ExpTransform()], dim=0).inv(leaf(X)),
    "stack-jacobian-wrong": lambda m, F, leaf: T(m).StackTransform(
        [T(m).ExpTransform()], dim=0).log_abs_det_jacobian(leaf(X), leaf(X)),
    "cdf": lambda m, F, leaf: (lambda t, x: (t(x), t.inv(t(x)), t.log_abs_det_jacobian(x, t(x)),
                                             repr(t.domain), repr(t.codomain), t.sign))(
        T(m).CumulativeDistributionTransform(D(m).Normal(leaf(0.5), leaf(2.0))), leaf(X)),
    "cdf-cached": lambda m, F, leaf: (lambda t, x: (t(x) is t(x), t.inv(t(x)) is x))(
        T(m).CumulativeDistributionTransform(D(m).Normal(0.0, 1.0)).with_cache(), leaf(X)),
    "with-cache": lambda m, F, leaf: (lambda ts, x: [(t(x) is t(x)) for t in ts])(
        [t.with_cache(1) for t in (
            T(m).SoftplusTransform(), T(m).StickBreakingTransform(),
            T(m).IndependentTransform(T(m).ExpTransform(), 1),
            T(m).ReshapeTransform((3,), (3,)),
            T(m).CatTransform([T(m).ExpTransform()], dim=1, lengths=[3]),
            T(m).StackTransform([T(m).ExpTransform()] * 3, dim=1))], leaf(X)),
    "corr-cholesky-constraint": lambda m, F, leaf: (
        D(m).constraints.corr_cholesky.check(_t(m, [[1.0, 0.0], [0.6, 0.8]])),
        D(m).constraints.corr_cholesky.check(_t(m, [[[1.0, 0.0], [0.6, 0.81]],
                                                    [[1.0, 0.1], [0.6, 0.8]]])),
        D(m).constraints.corr_cholesky.event_dim, repr(D(m).constraints.corr_cholesky)),
    "module-names": lambda m, F, leaf: (
        sorted(n for n in T(m).__all__),
        sorted(D(m).constraint_registry.__all__)),
}

C = {  # name -> constraint (built on either side)
    "real": lambda m: D(m).constraints.real,
    "real_vector": lambda m: D(m).constraints.real_vector,
    "positive": lambda m: D(m).constraints.positive,
    "nonnegative": lambda m: D(m).constraints.nonnegative,
    "greater_than": lambda m: D(m).constraints.greater_than(1.5),
    "greater_than_eq": lambda m: D(m).constraints.greater_than_eq(-2.0),
    "less_than": lambda m: D(m).constraints.less_than(3.0),
    "unit_interval": lambda m: D(m).constraints.unit_interval,
    "interval": lambda m: D(m).constraints.interval(-1.0, 4.0),
    "half_open_interval": lambda m: D(m).constraints.half_open_interval(0.0, 2.0),
    "simplex": lambda m: D(m).constraints.simplex,
    "lower_cholesky": lambda m: D(m).constraints.lower_cholesky,
    "positive_definite": lambda m: D(m).constraints.positive_definite,
    "positive_semidefinite": lambda m: D(m).constraints.positive_semidefinite,
    "corr_cholesky": lambda m: D(m).constraints.corr_cholesky,
    "independent": lambda m: D(m).constraints.independent(D(m).constraints.positive, 1),
    "cat": lambda m: D(m).constraints.cat([D(m).constraints.positive,
                                           D(m).constraints.unit_interval], 1, [2, 1]),
    "stack": lambda m: D(m).constraints.stack([D(m).constraints.positive,
                                               D(m).constraints.real,
                                               D(m).constraints.interval(0.0, 3.0)], 1),
    "boolean": lambda m: D(m).constraints.boolean,
    "integer_interval": lambda m: D(m).constraints.integer_interval(0, 3),
    "lower_triangular": lambda m: D(m).constraints.lower_triangular,
    "normal-scale": lambda m: D(m).Normal.arg_constraints["scale"],
    "dirichlet-support": lambda m: D(m).Dirichlet.support,
}
_INPUT = {"simplex": X, "lower_cholesky": M, "positive_definite": M,
          "positive_semidefinite": M, "corr_cholesky": X}


def _registry_case(registry, name):
    def case(m, F, leaf):
        t = getattr(D(m), registry)(C[name](m))
        x = leaf(_INPUT.get(name, X))
        y = t(x)
        out = (repr(t), t.bijective, y, t.inv(y))
        if t.bijective:
            out += (t.log_abs_det_jacobian(x, y),)
        return out
    return case


for _name in C:
    CASES[f"biject_to-{_name}"] = _registry_case("biject_to", _name)
    CASES[f"transform_to-{_name}"] = _registry_case("transform_to", _name)


@pytest.mark.parametrize("name", list(CASES))
def test_against_torch(name):
    compare(CASES[name], rtol=1e-12)


class _MyConstraint(engine.distributions.constraints.Constraint):
    pass


def test_registries_refuse_program_factories_and_take_a_python_users():
    """A program may not register into the shared registries (every session's); Python code
    outside the service may, as torch lets it; a private registry is the program's own."""
    reg = D(engine).constraint_registry
    program_like = engine.distributions.transforms.ExpTransform  # an engine callable
    with pytest.raises(engine.errors.NotSupported, match="shared by every session"):
        reg.biject_to.register(D(engine).constraints.boolean, program_like)
    with pytest.raises(NotImplementedError, match="Cannot transform _Boolean constraints"):
        reg.biject_to(D(engine).constraints.boolean)
    own = reg.ConstraintRegistry()
    own.register(D(engine).constraints.boolean, lambda c: program_like())
    assert isinstance(own(D(engine).constraints.boolean), program_like)

    @reg.transform_to.register(_MyConstraint)
    def _mine(constraint):
        return D(engine).transforms.ExpTransform()

    try:
        assert isinstance(reg.transform_to(_MyConstraint()), program_like)
    finally:
        del reg.transform_to._registry[_MyConstraint]
    with pytest.raises(TypeError, match="Expected constraint to be either a Constraint"):
        own.register(3, program_like)


def _params(m):
    g = np.random.default_rng(0)
    return {k: m.tensor(v, dtype=m.float64, requires_grad=True) for k, v in {
        "x": g.standard_normal((2, 3)), "v6": g.standard_normal(6) * 0.7,
        "m": g.standard_normal((2, 3, 3)), "loc": g.standard_normal(()),
        "scale": g.uniform(0.5, 2.0, ()),
    }.items()}


def _fwd_ladj(t, x):
    y = t(x)
    return y.sum() + t.log_abs_det_jacobian(x, y).sum() + t.inv(y).sum() * 0.5


GRAD_FUNCS = {
    "softplus": lambda m, p: _fwd_ladj(T(m).SoftplusTransform(), p["x"]),
    "stick-breaking": lambda m, p: _fwd_ladj(T(m).StickBreakingTransform(), p["x"]),
    "stick-breaking-values": lambda m, p: T(m).StickBreakingTransform()(p["x"]),
    "corr-cholesky": lambda m, p: _fwd_ladj(T(m).CorrCholeskyTransform(), p["v6"]),
    "corr-cholesky-values": lambda m, p: T(m).CorrCholeskyTransform()(p["v6"]),
    "lower-cholesky": lambda m, p: T(m).LowerCholeskyTransform()(p["m"]),
    "positive-definite": lambda m, p: T(m).PositiveDefiniteTransform()(p["m"]),
    "positive-definite-inverse": lambda m, p: T(m).PositiveDefiniteTransform().inv(
        T(m).PositiveDefiniteTransform()(p["m"])),
    "cat": lambda m, p: _fwd_ladj(T(m).CatTransform(
        [T(m).ExpTransform(), T(m).AffineTransform(p["loc"], p["scale"])], dim=1,
        lengths=[2, 1]), p["x"]),
    "stack": lambda m, p: _fwd_ladj(T(m).StackTransform(
        [T(m).SoftplusTransform(), T(m).SigmoidTransform(), T(m).TanhTransform()], dim=1),
        p["x"]),
    "cdf": lambda m, p: _fwd_ladj(T(m).CumulativeDistributionTransform(
        D(m).Normal(p["loc"], p["scale"])), p["x"]),
    "biject-interval": lambda m, p: _fwd_ladj(D(m).biject_to(
        D(m).constraints.interval(-1.0, 4.0)), p["x"]),
    "biject-simplex-log-prob": lambda m, p: D(m).Dirichlet(
        p["x"].exp()[0]).log_prob(D(m).biject_to(D(m).constraints.simplex)(p["x"][1, :2])),
}


@pytest.mark.parametrize("name", list(GRAD_FUNCS))
def test_second_derivatives_match_torch(name):
    check_second_derivatives(GRAD_FUNCS[name], _params)


@pytest.mark.parametrize("name", list(GRAD_FUNCS))
def test_gradcheck(name):
    check_gradcheck(GRAD_FUNCS[name], _params)
