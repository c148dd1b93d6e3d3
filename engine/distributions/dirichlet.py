"""``Dirichlet(concentration)``."""

from __future__ import annotations

import engine

from .. import errors
from ..tensor import Size, _wrap
from . import _draws, constraints
from .exp_family import ExponentialFamily
from .utils import finfo_tiny

__all__ = ["Dirichlet"]


class Dirichlet(ExponentialFamily):
    """The Dirichlet distribution over the simplex with ``concentration`` (last dimension).

    ``rsample`` is not supported: torch differentiates its draws with the implicit gradient of
    its own ``_dirichlet_grad`` kernel, which the engine does not have (``has_rsample`` is
    therefore False here); ``sample`` draws normalised gamma variates."""

    arg_constraints = {"concentration": constraints.independent(constraints.positive, 1)}
    support = constraints.simplex
    has_rsample = False

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

    def sample(self, sample_shape=Size()):
        shape = self._extended_shape(sample_shape)
        alpha = self.concentration.expand(tuple(shape)).detach()
        g = _draws.standard_gamma(alpha)
        x = g / g.sum(-1, keepdims=True)
        x = x.clip(finfo_tiny(alpha.dtype), None).astype(alpha.dtype.np)
        return _wrap(alpha.device.xp.asarray(x), alpha.dtype, alpha.device)

    def rsample(self, sample_shape=Size()):
        raise errors.NotSupported(
            f"{type(self).__name__}.rsample is not supported: the engine has no "
            "reparameterised Dirichlet sampler (torch's _dirichlet_grad); use sample()")

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
