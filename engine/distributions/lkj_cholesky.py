"""``LKJCholesky(dim, concentration=1.0)``: the LKJ distribution over Cholesky factors of
correlation matrices (density proportional to det(L L^T)^(concentration - 1)), drawn by the
onion method."""

from __future__ import annotations

import math

import engine

from .. import errors
from ..tensor import Size
from . import constraints
from .beta import Beta
from .distribution import Distribution
from .utils import broadcast_all, finfo_tiny

__all__ = ["LKJCholesky"]


class LKJCholesky(Distribution):
    """Row i of a draw: the square root of a Beta draw times a uniform direction in the first i
    coordinates, completed to unit length on the diagonal (not reparameterised)."""

    arg_constraints = {"concentration": constraints.positive}
    support = constraints.corr_cholesky

    def __init__(self, dim, concentration=1.0, validate_args=None):
        if dim < 2:
            raise errors.EngineValueError(
                f"Expected dim to be an integer greater than or equal to 2. Found dim={dim}.")
        self.dim = dim
        (self.concentration,) = broadcast_all(concentration)
        batch_shape = self.concentration.size()
        event_shape = Size((dim, dim))
        marginal = self.concentration + 0.5 * (self.dim - 2)
        offset = engine.arange(self.dim - 1, dtype=self.concentration.dtype,
                               device=self.concentration.device)
        offset = engine.cat([offset.new_zeros((1,)), offset])
        self._beta = Beta(offset + 0.5, marginal.unsqueeze(-1) - 0.5 * offset)
        super().__init__(batch_shape, event_shape, validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(LKJCholesky, _instance)
        batch_shape = Size(batch_shape)
        new.dim = self.dim
        new.concentration = self.concentration.expand(batch_shape)
        new._beta = self._beta.expand(batch_shape + (self.dim,))
        super(LKJCholesky, new).__init__(batch_shape, self.event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    def sample(self, sample_shape=Size()):
        y = self._beta.sample(sample_shape).unsqueeze(-1)
        u_normal = engine.randn(tuple(self._extended_shape(sample_shape)), dtype=y.dtype,
                                device=y.device).tril(-1)
        u_sphere = u_normal / u_normal.norm(dim=-1, keepdim=True)
        u_sphere[..., 0, :].fill_(0.0)  # the first row is (1, 0, ..., 0)
        w = engine.sqrt(y) * u_sphere
        diag = engine.clamp(1 - engine.sum(w ** 2, dim=-1), min=finfo_tiny(w.dtype)).sqrt()
        w += engine.diag_embed(diag)
        return w

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        diag = value.diagonal(dim1=-1, dim2=-2)[..., 1:]
        order = engine.arange(2, self.dim + 1, device=self.concentration.device)
        order = 2 * (self.concentration - 1).unsqueeze(-1) + self.dim - order
        unnormalized = engine.sum(order * diag.log(), dim=-1)
        dm1 = self.dim - 1
        alpha = self.concentration + 0.5 * dm1
        denominator = engine.lgamma(alpha) * dm1
        numerator = engine.mvlgamma(alpha - 0.5, dm1)
        normalizer = 0.5 * dm1 * math.log(math.pi) + numerator - denominator
        return unnormalized - normalizer
