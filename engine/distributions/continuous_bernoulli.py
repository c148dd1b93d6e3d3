"""``ContinuousBernoulli(probs=None, logits=None, lims=(0.499, 0.501))``: the normalised
Bernoulli likelihood as a density on [0, 1]; near probs = 0.5 (within ``lims``) its normaliser
and moments are Taylor expansions."""

from __future__ import annotations

import math

import engine

from .. import errors
from ..tensor import Size
from . import constraints
from .exp_family import ExponentialFamily
from .utils import (
    _check_probs_or_logits,
    _expand_probs_logits,
    broadcast_all,
    clamp_probs,
    is_number,
    lazy_property,
    logits_to_probs,
    probs_to_logits,
)

__all__ = ["ContinuousBernoulli"]


class ContinuousBernoulli(ExponentialFamily):
    """Density ``C(probs) probs^x (1 - probs)^(1 - x)`` on [0, 1]; draws by its quantile."""

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.unit_interval
    _mean_carrier_measure = 0
    has_rsample = True

    def __init__(self, probs=None, logits=None, lims=(0.499, 0.501), validate_args=None):
        _check_probs_or_logits(probs, logits)
        if probs is not None:
            scalar = is_number(probs)
            (self.probs,) = broadcast_all(probs)
            # torch checks here, before clamping, whenever validate_args is given at all
            if validate_args is not None and \
                    not self.arg_constraints["probs"].check(self.probs).all():
                raise errors.EngineValueError("The parameter probs has invalid values")
            self.probs = clamp_probs(self.probs)
        else:
            scalar = is_number(logits)
            (self.logits,) = broadcast_all(logits)
        self._param = self.probs if probs is not None else self.logits
        batch_shape = Size() if scalar else self._param.size()
        self._lims = lims
        super().__init__(batch_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(ContinuousBernoulli, _instance)
        new._lims = self._lims
        batch_shape = Size(batch_shape)
        _expand_probs_logits(self, new, batch_shape)
        super(ContinuousBernoulli, new).__init__(batch_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    def _new(self, *args, **kwargs):
        return self._param.new(*args, **kwargs)

    def _outside_unstable_region(self):
        return engine.max(engine.le(self.probs, self._lims[0]),
                          engine.gt(self.probs, self._lims[1]))

    def _cut_probs(self):
        return engine.where(self._outside_unstable_region(), self.probs,
                            self._lims[0] * engine.ones_like(self.probs))

    def _cont_bern_log_norm(self):
        p = self._cut_probs()
        below = engine.where(engine.le(p, 0.5), p, engine.zeros_like(p))
        above = engine.where(engine.ge(p, 0.5), p, engine.ones_like(p))
        log_norm = engine.log(engine.abs(engine.log1p(-p) - engine.log(p))) - engine.where(
            engine.le(p, 0.5), engine.log1p(-2.0 * below), engine.log(2.0 * above - 1.0))
        x = engine.pow(self.probs - 0.5, 2)
        taylor = math.log(2.0) + (4.0 / 3.0 + 104.0 / 45.0 * x) * x
        return engine.where(self._outside_unstable_region(), log_norm, taylor)

    @property
    def mean(self):
        p = self._cut_probs()
        mus = p / (2.0 * p - 1.0) + 1.0 / (engine.log1p(-p) - engine.log(p))
        x = self.probs - 0.5
        taylor = 0.5 + (1.0 / 3.0 + 16.0 / 45.0 * engine.pow(x, 2)) * x
        return engine.where(self._outside_unstable_region(), mus, taylor)

    @property
    def stddev(self):
        return engine.sqrt(self.variance)

    @property
    def variance(self):
        p = self._cut_probs()
        variances = p * (p - 1.0) / engine.pow(1.0 - 2.0 * p, 2) + 1.0 / engine.pow(
            engine.log1p(-p) - engine.log(p), 2)
        x = engine.pow(self.probs - 0.5, 2)
        taylor = 1.0 / 12.0 - (1.0 / 15.0 - 128.0 / 945.0 * x) * x
        return engine.where(self._outside_unstable_region(), variances, taylor)

    @lazy_property
    def logits(self):
        return probs_to_logits(self.probs, is_binary=True)

    @lazy_property
    def probs(self):
        return clamp_probs(logits_to_probs(self.logits, is_binary=True))

    @property
    def param_shape(self):
        return self._param.size()

    def sample(self, sample_shape=Size()):
        shape = tuple(self._extended_shape(sample_shape))
        u = engine.rand(shape, dtype=self.probs.dtype, device=self.probs.device)
        with engine.no_grad():
            return self.icdf(u)

    def rsample(self, sample_shape=Size()):
        shape = tuple(self._extended_shape(sample_shape))
        u = engine.rand(shape, dtype=self.probs.dtype, device=self.probs.device)
        return self.icdf(u)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        logits, value = broadcast_all(self.logits, value)
        bce = engine.nn.functional.binary_cross_entropy_with_logits(logits, value,
                                                                    reduction="none")
        return -bce + self._cont_bern_log_norm()

    def cdf(self, value):
        if self._validate_args:
            self._validate_sample(value)
        p = self._cut_probs()
        cdfs = (engine.pow(p, value) * engine.pow(1.0 - p, 1.0 - value) + p - 1.0) / (
            2.0 * p - 1.0)
        unbounded = engine.where(self._outside_unstable_region(), cdfs, value)
        return engine.where(engine.le(value, 0.0), engine.zeros_like(value),
                            engine.where(engine.ge(value, 1.0), engine.ones_like(value),
                                         unbounded))

    def icdf(self, value):
        p = self._cut_probs()
        return engine.where(
            self._outside_unstable_region(),
            (engine.log1p(-p + value * (2.0 * p - 1.0)) - engine.log1p(-p))
            / (engine.log(p) - engine.log1p(-p)),
            value)

    def entropy(self):
        log_p0 = engine.log1p(-self.probs)
        log_p1 = engine.log(self.probs)
        return self.mean * (log_p0 - log_p1) - self._cont_bern_log_norm() - log_p0

    @property
    def _natural_params(self):
        return (self.logits,)

    def _log_normalizer(self, x):
        outside = engine.max(engine.le(x, self._lims[0] - 0.5),
                             engine.gt(x, self._lims[1] - 0.5))
        cut = engine.where(outside, x, (self._lims[0] - 0.5) * engine.ones_like(x))
        log_norm = engine.log(engine.abs(engine.expm1(cut))) - engine.log(engine.abs(cut))
        taylor = 0.5 * x + engine.pow(x, 2) / 24.0 - engine.pow(x, 4) / 2880.0
        return engine.where(outside, log_norm, taylor)
