"""Exponential families (``torch.distributions.exp_family.ExponentialFamily``): entropy through
the log-normalizer's gradient (a Bregman divergence), as torch computes it."""

from __future__ import annotations

import engine

from .distribution import Distribution

__all__ = ["ExponentialFamily"]


class ExponentialFamily(Distribution):
    """A distribution ``p(x; t) = exp(<t, T(x)> - F(t) + k(x))``: subclasses give the natural
    parameters ``t``, the log-normalizer ``F`` and the mean carrier measure ``E[k(x)]``."""

    @property
    def _natural_params(self):
        raise NotImplementedError

    def _log_normalizer(self, *natural_params):
        raise NotImplementedError

    @property
    def _mean_carrier_measure(self):
        raise NotImplementedError

    def entropy(self):
        result = -self._mean_carrier_measure
        params = [p.detach().requires_grad_() for p in self._natural_params]
        normalizer = self._log_normalizer(*params)
        grads = engine.grad(normalizer.sum(), params, create_graph=True)
        result += normalizer
        for p, g in zip(params, grads):
            result -= (p * g).reshape(tuple(self._batch_shape) + (-1,)).sum(-1)
        return result
