"""Helpers shared by the distributions (``torch.distributions.utils``)."""

from __future__ import annotations

import numpy as np

import engine

from .. import errors
from ..tensor import Tensor

__all__ = ["broadcast_all", "logits_to_probs", "clamp_probs", "probs_to_logits",
           "lazy_property", "tril_matrix_to_vec", "vec_to_tril_matrix"]

euler_constant = 0.57721566490153286060
_NUMBER = (bool, int, float)


def is_number(value) -> bool:
    return isinstance(value, _NUMBER)


def broadcast_all(*values):
    """The values (tensors or Python numbers) as tensors broadcast to one shape; numbers take
    the first tensor's dtype and device (the default dtype when there is none)."""
    if not all(isinstance(v, Tensor) or is_number(v) for v in values):
        raise errors.EngineValueError(
            "Input arguments must all be instances of Number, torch.Tensor or objects "
            "implementing __torch_function__.")
    if not all(isinstance(v, Tensor) for v in values):
        like = next((v for v in values if isinstance(v, Tensor)), None)
        options = {} if like is None else {"dtype": like.dtype, "device": like.device}
        if like is None:
            options["dtype"] = engine.get_default_dtype()
        values = tuple(v if isinstance(v, Tensor) else engine.tensor(v, **options)
                       for v in values)
    return engine.broadcast_tensors(*values)


def _check_probs_or_logits(probs, logits) -> None:
    """The probs-or-logits distributions' first check: exactly one of the two given."""
    if (probs is None) == (logits is None):
        raise errors.EngineValueError(
            "Either `probs` or `logits` must be specified, but not both.")


def _count_and_probs_or_logits(dist, total_count, probs, logits) -> None:
    """Binomial's and NegativeBinomial's parameters: ``total_count`` broadcast with the one of
    ``probs`` / ``logits`` given and cast to its dtype; ``_param`` is that one."""
    _check_probs_or_logits(probs, logits)
    if probs is not None:
        dist.total_count, dist.probs = broadcast_all(total_count, probs)
        dist.total_count = dist.total_count.type_as(dist.probs)
        dist._param = dist.probs
    else:
        dist.total_count, dist.logits = broadcast_all(total_count, logits)
        dist.total_count = dist.total_count.type_as(dist.logits)
        dist._param = dist.logits


def _expand_probs_logits(dist, new, shape, param: bool = True) -> None:
    """``expand`` of a probs-or-logits distribution: whichever of ``probs`` / ``logits``
    ``dist`` holds (given, or computed since) expanded onto ``new``; ``param``: ``_param``
    follows (the last of the two, as torch's), for the distributions that keep one."""
    state = dist.__dict__
    if "probs" in state:
        new.probs = dist.probs.expand(shape)
        if param:
            new._param = new.probs
    if "logits" in state:
        new.logits = dist.logits.expand(shape)
        if param:
            new._param = new.logits


def _standard_normal(shape, dtype, device):
    """Standard normal draws of ``shape``: ``normal_`` on a new tensor, as torch draws them."""
    return engine.empty(tuple(shape), dtype=dtype, device=device).normal_()


def _sum_rightmost(value, dim: int):
    """``value`` summed over its ``dim`` rightmost dimensions."""
    if dim == 0:
        return value
    return value.reshape(tuple(value.shape[:-dim]) + (-1,)).sum(-1)


def finfo_eps(dtype) -> float:
    return float(np.finfo(dtype.np).eps)


def finfo_min(dtype) -> float:
    return float(np.finfo(dtype.np).min)


def finfo_tiny(dtype) -> float:
    return float(np.finfo(dtype.np).tiny)


def logits_to_probs(logits, is_binary: bool = False):
    """Probabilities from logits: sigmoid when binary, else softmax over the last dimension."""
    if is_binary:
        return engine.sigmoid(logits)
    return engine.nn.functional.softmax(logits, dim=-1)


def clamp_probs(probs):
    """``probs`` clamped to ``[eps, 1 - eps]`` of their dtype."""
    eps = finfo_eps(probs.dtype)
    return probs.clamp(min=eps, max=1 - eps)


def probs_to_logits(probs, is_binary: bool = False):
    """Logits from probabilities (clamped first): log-odds when binary, else log."""
    p = clamp_probs(probs)
    if is_binary:
        return engine.log(p) - engine.log1p(-p)
    return engine.log(p)


class lazy_property:
    """A property computed on first use (with gradients enabled) and then stored on the
    instance, so ``probs`` of a ``Bernoulli(logits=...)`` is made once."""

    def __init__(self, wrapped):
        self.wrapped = wrapped
        self.__name__ = wrapped.__name__
        self.__doc__ = wrapped.__doc__

    def __get__(self, instance, owner=None):
        if instance is None:
            return _lazy_property_and_property(self.wrapped)
        with engine.enable_grad():
            value = self.wrapped(instance)
        setattr(instance, self.wrapped.__name__, value)
        return value


class _lazy_property_and_property(lazy_property, property):
    """What the class attribute reads as: both a lazy property and a property."""

    def __init__(self, wrapped):
        property.__init__(self, wrapped)
        lazy_property.__init__(self, wrapped)


def _tril_mask(n: int, diag: int, device):
    idx = engine.arange(n, device=device)
    return idx < idx.view(-1, 1) + (diag + 1)


def tril_matrix_to_vec(mat, diag: int = 0):
    """The lower triangle of the last two dimensions of ``mat`` (row by row) as a vector."""
    n = mat.shape[-1]
    if diag < -n or diag >= n:
        raise errors.EngineValueError(f"diag ({diag}) provided is outside [{-n}, {n - 1}].")
    return mat[..., _tril_mask(n, diag, mat.device)]


def vec_to_tril_matrix(vec, diag: int = 0):
    """The inverse of :func:`tril_matrix_to_vec`: a lower-triangular matrix from a vector."""
    k = 1 + 2 * diag
    n = (-k + (k ** 2 + 8 * vec.shape[-1] + 4 * abs(diag) * (diag + 1)) ** 0.5) / 2
    if round(n) - n > finfo_eps(vec.dtype):
        raise errors.EngineValueError(
            f"The size of last dimension is {vec.shape[-1]} which cannot be expressed as the "
            "lower triangular part of a square D x D matrix.")
    n = round(n)
    mat = vec.new_zeros(tuple(vec.shape[:-1]) + (n, n))
    mat[..., _tril_mask(n, diag, vec.device)] = vec
    return mat
