"""``GeneralizedPareto(loc, scale, concentration)``: the peaks-over-threshold distribution
(exponential at concentration 0, bounded above for negative concentrations)."""

from __future__ import annotations

import math
import numbers

import engine

from ..tensor import Size
from . import constraints
from .distribution import Distribution
from .utils import broadcast_all

__all__ = ["GeneralizedPareto"]


class GeneralizedPareto(Distribution):
    """Drawn by its quantile; concentrations ``isclose`` to 0 use the exponential limit."""

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive,
                       "concentration": constraints.real}
    has_rsample = True

    def __init__(self, loc, scale, concentration, validate_args=None):
        self.loc, self.scale, self.concentration = broadcast_all(loc, scale, concentration)
        numbers_only = all(isinstance(v, numbers.Number) for v in (loc, scale, concentration))
        batch_shape = Size() if numbers_only else self.loc.size()
        super().__init__(batch_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(GeneralizedPareto, _instance)
        batch_shape = Size(batch_shape)
        new.loc = self.loc.expand(batch_shape)
        new.scale = self.scale.expand(batch_shape)
        new.concentration = self.concentration.expand(batch_shape)
        super(GeneralizedPareto, new).__init__(batch_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    def rsample(self, sample_shape=Size()):
        shape = tuple(self._extended_shape(sample_shape))
        u = engine.rand(shape, dtype=self.loc.dtype, device=self.loc.device)
        return self.icdf(u)

    def _safe(self, concentration):
        """(concentration is close to 0, the concentration with those entries set to 1)."""
        zero = engine.isclose(concentration, engine.tensor(0.0))
        return zero, engine.where(zero, engine.ones_like(concentration), concentration)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        z = self._z(value)
        zero, c = self._safe(self.concentration)
        y = 1 / c + engine.ones_like(z)
        nonzero = engine.where(y == 0, y, y * engine.log1p(c * z))
        log_scale = math.log(self.scale) if isinstance(self.scale, numbers.Real) \
            else self.scale.log()
        return -log_scale - engine.where(zero, z, nonzero)

    def log_survival_function(self, value):
        if self._validate_args:
            self._validate_sample(value)
        z = self._z(value)
        zero, c = self._safe(self.concentration)
        return engine.where(zero, -z, -engine.log1p(c * z) / c)

    def log_cdf(self, value):
        return engine.log1p(-engine.exp(self.log_survival_function(value)))

    def cdf(self, value):
        return engine.exp(self.log_cdf(value))

    def icdf(self, value):
        c0 = self.concentration
        zero = engine.isclose(c0, engine.zeros_like(c0))
        c = engine.where(zero, engine.ones_like(c0), c0)
        log_u = engine.log1p(-value)
        nonzero = self.loc + self.scale / c * engine.expm1(-c * log_u)
        return engine.where(zero, self.loc - self.scale * log_u, nonzero)

    def _z(self, x):
        return (x - self.loc) / self.scale

    @property
    def mean(self):
        valid = self.concentration < 1
        c = engine.where(valid, self.concentration, 0.5)
        return engine.where(valid, self.loc + self.scale / (1 - c), math.nan)

    @property
    def variance(self):
        valid = self.concentration < 0.5
        c = engine.where(valid, self.concentration, 0.25)
        return engine.where(valid, self.scale ** 2 / ((1 - c) ** 2 * (1 - 2 * c)), math.nan)

    def entropy(self):
        return engine.broadcast_to(engine.log(self.scale) + self.concentration + 1,
                                   tuple(self._batch_shape))

    @property
    def mode(self):
        return self.loc

    @constraints.dependent_property(is_discrete=False, event_dim=0)
    def support(self):
        lower = self.loc
        upper = engine.where(self.concentration < 0, lower - self.scale / self.concentration,
                             math.inf)
        return constraints.interval(lower, upper)
