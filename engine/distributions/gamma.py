"""``Gamma(concentration, rate)``."""

from __future__ import annotations

import engine

from .. import errors
from ..tensor import Size, Tensor
from . import constraints
from ._gamma import standard_gamma
from .exp_family import ExponentialFamily
from .utils import broadcast_all, finfo_tiny, is_number

__all__ = ["Gamma"]


class Gamma(ExponentialFamily):
    """The gamma distribution with shape ``concentration`` and inverse scale ``rate``.
    ``rsample`` differentiates the draws implicitly (engine/distributions/_gamma.py)."""

    arg_constraints = {"concentration": constraints.positive, "rate": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True
    _mean_carrier_measure = 0

    def __init__(self, concentration, rate, validate_args=None):
        self.concentration, self.rate = broadcast_all(concentration, rate)
        batch_shape = Size() if is_number(concentration) and is_number(rate) \
            else self.concentration.size()
        super().__init__(batch_shape, validate_args=validate_args)

    @property
    def mean(self):
        return self.concentration / self.rate

    @property
    def mode(self):
        return ((self.concentration - 1) / self.rate).clamp(min=0)

    @property
    def variance(self):
        return self.concentration / self.rate.pow(2)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Gamma, _instance)
        batch_shape = Size(batch_shape)
        new.concentration = self.concentration.expand(batch_shape)
        new.rate = self.rate.expand(batch_shape)
        super(Gamma, new).__init__(batch_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    def rsample(self, sample_shape=Size()):
        shape = self._extended_shape(sample_shape)
        value = standard_gamma(self.concentration.expand(shape)) / self.rate.expand(shape)
        value.detach().clamp_(min=finfo_tiny(value.dtype))  # not recorded, as torch
        return value

    def log_prob(self, value):
        if not isinstance(value, Tensor):
            value = engine.tensor(value, dtype=self.rate.dtype, device=self.rate.device)
        if self._validate_args:
            self._validate_sample(value)
        return (engine.xlogy(self.concentration, self.rate)
                + engine.xlogy(self.concentration - 1, value)
                - self.rate * value - engine.lgamma(self.concentration))

    def entropy(self):
        return (self.concentration - engine.log(self.rate) + engine.lgamma(self.concentration)
                + (1.0 - self.concentration) * engine.digamma(self.concentration))

    @property
    def _natural_params(self):
        return (self.concentration - 1, -self.rate)

    def _log_normalizer(self, x, y):
        return engine.lgamma(x + 1) + (x + 1) * engine.log(-y.reciprocal())

    def cdf(self, value):
        raise errors.NotSupported(
            "Gamma.cdf is not supported: it needs torch.special.gammainc, which the engine "
            "does not have")
