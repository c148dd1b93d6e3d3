"""``Dirichlet(concentration)``."""

from __future__ import annotations

import numpy as np

import engine

from .. import errors
from ..autograd.function import Function, once_differentiable
from ..tensor import Size, _wrap
from . import _draws, constraints
from ._reparam import dirichlet_grad
from .exp_family import ExponentialFamily
from .utils import finfo_tiny

__all__ = ["Dirichlet"]


class Dirichlet(ExponentialFamily):
    """The Dirichlet distribution over the simplex with ``concentration`` (last dimension).

    Draws are normalised gamma variates; ``rsample`` differentiates them with torch's implicit
    reparameterisation gradient (its ``_dirichlet_grad`` approximations, node
    ``_DirichletBackward``, not differentiable again)."""

    arg_constraints = {"concentration": constraints.independent(constraints.positive, 1)}
    support = constraints.simplex
    has_rsample = True

    def __init__(self, concentration, validate_args=None):
        if concentration.dim() < 1:
            raise errors.EngineValueError(
                "`concentration` parameter must be at least one-dimensional.")
        self.concentration = concentration
        super().__init__(concentration.shape[:-1], concentration.shape[-1:],
                         validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Dirichlet, _instance)
        batch_shape = Size(batch_shape)
        new.concentration = self.concentration.expand(
            tuple(batch_shape) + tuple(self.event_shape))
        super(Dirichlet, new).__init__(batch_shape, self.event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    def rsample(self, sample_shape=Size()):
        shape = self._extended_shape(sample_shape)
        return _Dirichlet.apply(self.concentration.expand(tuple(shape)))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return (engine.xlogy(self.concentration - 1.0, value).sum(-1)
                + engine.lgamma(self.concentration.sum(-1))
                - engine.lgamma(self.concentration).sum(-1))

    @property
    def mean(self):
        return self.concentration / self.concentration.sum(-1, True)

    @property
    def mode(self):
        cm1 = (self.concentration - 1).clamp(min=0.0)
        mode = cm1 / cm1.sum(-1, True)
        mask = (self.concentration < 1).all(dim=-1)
        mode[mask] = engine.nn.functional.one_hot(mode[mask].argmax(dim=-1),
                                                  cm1.shape[-1]).to(mode)
        return mode

    @property
    def variance(self):
        con0 = self.concentration.sum(-1, True)
        return self.concentration * (con0 - self.concentration) / (con0.pow(2) * (con0 + 1))

    def entropy(self):
        k = self.concentration.size(-1)
        a0 = self.concentration.sum(-1)
        return (engine.lgamma(self.concentration).sum(-1) - engine.lgamma(a0)
                - (k - a0) * engine.digamma(a0)
                - ((self.concentration - 1.0) * engine.digamma(self.concentration)).sum(-1))

    @property
    def _natural_params(self):
        return (self.concentration,)

    def _log_normalizer(self, x):
        return x.lgamma().sum(-1) - engine.lgamma(x.sum(-1))


def _sample_dirichlet(alpha):
    """Normalised Gamma(alpha, 1) draws along the last dimension, at least the dtype's
    smallest normal number and below 1 (torch's ``_sample_dirichlet``)."""
    g = _draws.standard_gamma(alpha, kernel="dirichlet")
    x = (g / g.sum(-1, keepdims=True)).astype(alpha.dtype.np)  # then clamped in the dtype,
    one = alpha.dtype.np.type(1)  # below 1 (torch's nexttoward(1, 0)) too
    x = x.clip(finfo_tiny(alpha.dtype), np.nextafter(one, alpha.dtype.np.type(0)))
    return _wrap(alpha.device.xp.asarray(x), alpha.dtype, alpha.device)


class _Dirichlet(Function):
    """A Dirichlet draw whose gradient is the implicit reparameterisation gradient: each
    coordinate's ``_dirichlet_grad`` (a Beta(alpha_i, total - alpha_i) draw's) projected so
    the draw stays on the simplex."""

    @staticmethod
    def forward(ctx, concentration):
        x = _sample_dirichlet(concentration)
        ctx.save_for_backward(x, concentration)
        return x

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_output):
        x, concentration = ctx.saved_tensors
        total = concentration.sum(-1, True).expand_as(concentration)
        values = dirichlet_grad(x.numpy(force=True), concentration.numpy(force=True),
                                total.numpy(force=True))
        grad = _wrap(x.device.xp.asarray(values), x.dtype, x.device)
        return grad * (grad_output - (x * grad_output).sum(-1, True))
