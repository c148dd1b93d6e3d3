"""``biject_to`` and ``transform_to`` (``torch.distributions.constraint_registry``): from a
constraint to a transform from unconstrained reals onto it. ``biject_to`` gives bijections
(for samplers such as HMC), ``transform_to`` maps that may overparameterise (softmax onto the
simplex, the lower Cholesky map onto positive-definite matrices) for unconstrained
optimisation."""

from __future__ import annotations

import numbers
import types

from .. import errors
from . import constraints, transforms

__all__ = ["ConstraintRegistry", "biject_to", "transform_to"]


class ConstraintRegistry:
    """Constraint classes to transform factories (``factory(constraint) -> Transform``)."""

    def __init__(self):
        self._registry = {}
        self._loading = True
        super().__init__()

    def register(self, constraint, factory=None):
        """Registers ``factory`` for a Constraint subclass (or a singleton's class); without a
        factory, a decorator."""
        if factory is None:
            return lambda factory: self.register(constraint, factory)
        if isinstance(constraint, constraints.Constraint):
            constraint = type(constraint)
        if not isinstance(constraint, type) or not issubclass(constraint,
                                                               constraints.Constraint):
            raise errors.EngineTypeError(
                "Expected constraint to be either a Constraint subclass or instance, but got "
                f"{constraint}")
        if not self._loading and self in _SHARED:
            _check_registrable(factory)
        self._registry[constraint] = factory
        return factory

    def __call__(self, constraint):
        try:
            factory = self._registry[type(constraint)]
        except KeyError:
            raise NotImplementedError(
                f"Cannot transform {type(constraint).__name__} constraints") from None
        return factory(constraint)


def _check_registrable(factory) -> None:
    """The two shared registries are one per process, so every session's: as for
    ``register_kl``, only Python functions written outside the engine and the service may
    join them, never a program's."""
    module = getattr(factory, "__module__", None) or ""
    if not isinstance(factory, types.FunctionType) or module.split(".")[0] in ("engine", "app"):
        raise errors.NotSupported(
            "registering into torch.distributions.biject_to / transform_to is not supported in "
            "programs: the registries are shared by every session")


biject_to = ConstraintRegistry()
transform_to = ConstraintRegistry()
_SHARED = (biject_to, transform_to)


def _both(*constraint_list, bijective=True, other=True):
    def decorator(factory):
        for c in constraint_list:
            if bijective:
                biject_to.register(c, factory)
            if other:
                transform_to.register(c, factory)
        return factory

    return decorator


@_both(constraints.real)
def _transform_to_real(constraint):
    return transforms.identity_transform


@_both(constraints.independent, other=False)
def _biject_to_independent(constraint):
    return transforms.IndependentTransform(biject_to(constraint.base_constraint),
                                           constraint.reinterpreted_batch_ndims)


@_both(constraints.independent, bijective=False)
def _transform_to_independent(constraint):
    return transforms.IndependentTransform(transform_to(constraint.base_constraint),
                                           constraint.reinterpreted_batch_ndims)


@_both(constraints.positive, constraints.nonnegative)
def _transform_to_positive(constraint):
    return transforms.ExpTransform()


@_both(constraints.greater_than, constraints.greater_than_eq)
def _transform_to_greater_than(constraint):
    return transforms.ComposeTransform([transforms.ExpTransform(),
                                        transforms.AffineTransform(constraint.lower_bound, 1)])


@_both(constraints.less_than)
def _transform_to_less_than(constraint):
    return transforms.ComposeTransform([transforms.ExpTransform(),
                                        transforms.AffineTransform(constraint.upper_bound, -1)])


@_both(constraints.interval, constraints.half_open_interval)
def _transform_to_interval(constraint):
    low, high = constraint.lower_bound, constraint.upper_bound
    if isinstance(low, numbers.Number) and low == 0 and isinstance(high, numbers.Number) \
            and high == 1:
        return transforms.SigmoidTransform()
    return transforms.ComposeTransform([transforms.SigmoidTransform(),
                                        transforms.AffineTransform(low, high - low)])


@_both(constraints.simplex, other=False)
def _biject_to_simplex(constraint):
    return transforms.StickBreakingTransform()


@_both(constraints.simplex, bijective=False)
def _transform_to_simplex(constraint):
    return transforms.SoftmaxTransform()


@_both(constraints.lower_cholesky, bijective=False)
def _transform_to_lower_cholesky(constraint):
    return transforms.LowerCholeskyTransform()


@_both(constraints.positive_definite, constraints.positive_semidefinite, bijective=False)
def _transform_to_positive_definite(constraint):
    return transforms.PositiveDefiniteTransform()


@_both(constraints.corr_cholesky)
def _transform_to_corr_cholesky(constraint):
    return transforms.CorrCholeskyTransform()


@_both(constraints.cat, other=False)
def _biject_to_cat(constraint):
    return transforms.CatTransform([biject_to(c) for c in constraint.cseq], constraint.dim,
                                   constraint.lengths)


@_both(constraints.cat, bijective=False)
def _transform_to_cat(constraint):
    return transforms.CatTransform([transform_to(c) for c in constraint.cseq], constraint.dim,
                                   constraint.lengths)


@_both(constraints.stack, other=False)
def _biject_to_stack(constraint):
    return transforms.StackTransform([biject_to(c) for c in constraint.cseq], constraint.dim)


@_both(constraints.stack, bijective=False)
def _transform_to_stack(constraint):
    return transforms.StackTransform([transform_to(c) for c in constraint.cseq],
                                     constraint.dim)


biject_to._loading = transform_to._loading = False
