"""``torch.nn.functional`` forms of more layers: channel-wise dropout (``dropout1d/2d/3d``),
alpha dropout (``alpha_dropout``, ``feature_alpha_dropout``), ``pixel_shuffle``,
``pixel_unshuffle``, ``channel_shuffle`` and ``rms_norm``. Masks draw from the session's
generator; the graph is torch's (``input * mask``: ``MulBackward0``; alpha dropout
``input * a + b``: ``AddBackward0``; the shuffles are one node each whose gradient is the
inverse shuffle)."""

from __future__ import annotations

import math
import warnings

import numpy as np

from .. import errors
from .. import random as _random
from ..autograd import needs_grad, record
from ..dtypes import default_float, float64
from ..random import current_generator
from ..tensor import Tensor, _wrap
from .memory_format import as_suggested, draws_like
from .nn import _maybe_inplace
from .registry import op

_ALPHA = 1.7580993408473766  # SELU's -scale * alpha: the value dropped units take


def _check_p(p: float) -> None:
    if p < 0 or p > 1:
        raise errors.EngineValueError(
            f"dropout probability has to be between 0 and 1, but got {p}")


def _keep(input: Tensor, p: float, shape: tuple, feature: bool = False):
    """A 0/1 array of ``shape``: 1 with probability ``1 - p``, from the session's generator."""
    dev = input.device
    dt = input.dtype if input.dtype.is_floating_point else default_float()
    gen = current_generator(dev)
    with dev.scope():  # torch's noise.bernoulli_(1 - p): 53-bit uniforms, the noise made as
        if not feature:  # empty_like(input) (in the input's memory order)
            u = draws_like(input._data, lambda s: _random.uniform(gen, s, float64))
        else:  # or a new row-major (N, C, 1, ...) tensor (feature dropout)
            u = _random.uniform(gen, shape, float64)
    return (u < 1.0 - p).astype(dt.np), dt


def _feature_shape(input: Tensor) -> tuple:
    return tuple(input.shape[:2]) + (1,) * (input.ndim - 2)


def _dropout_impl(input: Tensor, p: float, training: bool, inplace: bool, feature: bool,
                  alpha: bool) -> Tensor:
    _check_p(p)
    if not training or p == 0 or input.numel() == 0:
        return input
    if p == 1:
        zero = _wrap(input.device.xp.zeros((), dtype=input.dtype.np), input.dtype,
                     input.device)
        return _maybe_inplace(input, inplace, lambda: input * zero)
    if feature and input.ndim < 2:  # (ATen's make_feature_noise)
        raise errors.EngineRuntimeError(
            "Feature dropout requires at least 2 dimensions in the input")
    shape = _feature_shape(input) if feature else tuple(input.shape)
    keep, dt = _keep(input, p, shape, feature)
    if not alpha:
        mask = _wrap(keep * dt.np.type(1.0 / (1.0 - p)), dt, input.device)
        return _maybe_inplace(input, inplace, lambda: input * mask)
    a = 1.0 / math.sqrt((_ALPHA * _ALPHA * p + 1) * (1 - p))
    b = _wrap((keep - 1) * dt.np.type(_ALPHA * a) + dt.np.type(_ALPHA * a * p), dt,
              input.device)
    noise = _wrap(keep * dt.np.type(a), dt, input.device)
    if inplace:
        return input.mul_(noise).add_(b)
    return input * noise + b


def _unbatched(input: Tensor, batched: bool, run) -> Tensor:
    if batched:
        return run(input)
    return run(input.unsqueeze(0)).squeeze(0)


@op(kind="function", grad_fns=("MulBackward0", "SqueezeBackward1"))
def dropout1d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of ``(N, C, L)`` (or ``(C, L)``) inputs with probability ``p``,
    scaling the rest by ``1/(1-p)``."""
    _check_p(p)
    if input.ndim not in (2, 3):
        raise errors.EngineRuntimeError(
            f"dropout1d: Expected 2D or 3D input, but received a {input.ndim}D input. Note "
            "that dropout1d exists to provide channel-wise dropout on inputs with 1 spatial "
            "dimension, a channel dimension, and an optional batch dimension (i.e. 2D or 3D "
            "inputs).")
    return _unbatched(input, input.ndim == 3, lambda x: _dropout_impl(
        x, p, training, inplace, True, False))


def _deprecated_dims(name: str, ndim: int, spatial: int) -> None:
    warnings.warn(
        f"{name}: Received a {ndim}-D input to {name}, which is deprecated and will result in "
        f"an error in a future release. To retain the behavior and silence this warning, "
        f"please use dropout instead. Note that {name} exists to provide channel-wise dropout "
        f"on inputs with {spatial} spatial dimensions, a channel dimension, and an optional "
        f"batch dimension (i.e. {spatial + 1}D or {spatial + 2}D inputs).",
        UserWarning, stacklevel=3)


@op(kind="function", grad_fns=("MulBackward0",))
def dropout2d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of ``(N, C, H, W)`` inputs with probability ``p``, scaling the
    rest by ``1/(1-p)``."""
    _check_p(p)
    if input.ndim not in (3, 4):
        _deprecated_dims("dropout2d", input.ndim, 2)
    if input.ndim == 3:
        warnings.warn(
            "dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D "
            "dropout behavior is desired - input is interpreted as shape (N, C, L), where C "
            "is the channel dim. This behavior will change in a future release to interpret "
            "the input as one without a batch dimension, i.e. shape (C, H, W). To maintain "
            "the 1D channel-wise dropout behavior, please switch to using dropout1d instead.",
            UserWarning, stacklevel=2)
    return _dropout_impl(input, p, training, inplace, True, False)


@op(kind="function", grad_fns=("MulBackward0", "SqueezeBackward1"))
def dropout3d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of ``(N, C, D, H, W)`` (or ``(C, D, H, W)``) inputs with
    probability ``p``, scaling the rest by ``1/(1-p)``."""
    _check_p(p)
    if input.ndim not in (4, 5):
        _deprecated_dims("dropout3d", input.ndim, 3)
    return _unbatched(input, input.ndim == 5, lambda x: _dropout_impl(
        x, p, training, inplace, True, False))


@op(kind="function", grad_fns=("AddBackward0", "MulBackward0"))
def alpha_dropout(input, p=0.5, training=False, inplace=False):
    """Dropout for SELU networks: dropped units take SELU's negative saturation and the
    result is rescaled to keep the mean and variance."""
    return _dropout_impl(input, p, training, inplace, False, True)


@op(kind="function", grad_fns=("AddBackward0", "MulBackward0"))
def feature_alpha_dropout(input, p=0.5, training=False, inplace=False):
    """``alpha_dropout`` of whole channels."""
    return _dropout_impl(input, p, training, inplace, True, True)


# --------------------------------------------------------------------------- shuffles
def _shuffled(input: Tensor, shape: tuple, axes: tuple, out_shape: tuple) -> Tensor:
    """The rearranged copy, in the input's suggested memory format (torch's kernels)."""
    xp = input.device.xp
    data = xp.ascontiguousarray(input._data.reshape(shape).transpose(axes)).reshape(out_shape)
    return _wrap(as_suggested(data, input._data), input.dtype, input.device)


@op(kind="function", grad_fns=("PixelShuffleBackward0",))
def pixel_shuffle(input, upscale_factor):
    """``(*, C r², H, W)`` to ``(*, C, H r, W r)``: sub-pixel convolution's rearrangement."""
    r = int(upscale_factor)
    if input.ndim < 3:
        raise errors.EngineRuntimeError(
            "pixel_shuffle expects input to have at least 3 dimensions, but got input with "
            f"{input.ndim} dimension(s)")
    if r <= 0:
        raise errors.EngineRuntimeError(
            f"pixel_shuffle expects a positive upscale_factor, but got {r}")
    *lead, c, h, w = input.shape
    if c % (r * r):
        raise errors.EngineRuntimeError(
            "pixel_shuffle expects its input's 'channel' dimension to be divisible by the "
            f"square of upscale_factor, but input.size(-3)={c} is not divisible by {r * r}")
    n = len(lead)
    oc = c // (r * r)
    out = _shuffled(input, (*lead, oc, r, r, h, w),
                    (*range(n), n, n + 3, n + 1, n + 4, n + 2), (*lead, oc, h * r, w * r))
    if needs_grad(input):
        record(out, "PixelShuffleBackward0", (lambda g: pixel_unshuffle(g, r),), (input,),
               jvp=lambda ts: pixel_shuffle(ts[0], r))
    return out


@op(kind="function", grad_fns=("PixelUnshuffleBackward0",))
def pixel_unshuffle(input, downscale_factor):
    """``(*, C, H r, W r)`` to ``(*, C r², H, W)``: the inverse of ``pixel_shuffle``."""
    r = int(downscale_factor)
    if input.ndim < 3:
        raise errors.EngineRuntimeError(
            "pixel_unshuffle expects input to have at least 3 dimensions, but got input with "
            f"{input.ndim} dimension(s)")
    if r <= 0:
        raise errors.EngineRuntimeError(
            f"pixel_unshuffle expects a positive downscale_factor, but got {r}")
    *lead, c, h, w = input.shape
    if h % r:
        raise errors.EngineRuntimeError(
            "pixel_unshuffle expects height to be divisible by downscale_factor, but "
            f"input.size(-2)={h} is not divisible by {r}")
    if w % r:
        raise errors.EngineRuntimeError(
            "pixel_unshuffle expects width to be divisible by downscale_factor, but "
            f"input.size(-1)={w} is not divisible by {r}")
    n = len(lead)
    out = _shuffled(input, (*lead, c, h // r, r, w // r, r),
                    (*range(n), n, n + 2, n + 4, n + 1, n + 3), (*lead, c * r * r, h // r, w // r))
    if needs_grad(input):
        record(out, "PixelUnshuffleBackward0", (lambda g: pixel_shuffle(g, r),), (input,),
               jvp=lambda ts: pixel_unshuffle(ts[0], r))
    return out


@op(kind="function", grad_fns=("ChannelShuffleBackward0",))
def channel_shuffle(input, groups):
    """``(N, C, *)`` with its channels regrouped: ``C = g k`` read as ``(g, k)`` and written
    as ``(k, g)``."""
    g = int(groups)
    if input.ndim <= 2:
        raise errors.EngineRuntimeError(
            "channel_shuffle expects input with > 2 dims, but got input with sizes "
            f"{list(input.shape)}")
    if g <= 0:
        raise errors.EngineRuntimeError(
            f"Number of groups to divide channels in must be positive. Value of groups:{g}")
    n, c, *rest = input.shape
    if c % g:
        raise errors.EngineRuntimeError(
            f"Number of channels must be divisible by groups. Got {c} channels and {g} groups.")
    k = c // g
    out = _shuffled(input, (n, g, k, *rest), (0, 2, 1, *range(3, 3 + len(rest))),
                    tuple(input.shape))
    if needs_grad(input):
        record(out, "ChannelShuffleBackward0", (lambda gr: channel_shuffle(gr, k),), (input,),
               jvp=lambda ts: channel_shuffle(ts[0], g))
    return out


# --------------------------------------------------------------------------- rms_norm
def _add_scalar(t: Tensor, value: float) -> Tensor:
    """``t + value`` recorded as torch's scalar overload (``AddBackward1``)."""
    out = _wrap(t._data + t.dtype.np.type(value), t.dtype, t.device)
    if needs_grad(t):
        record(out, "AddBackward1", (lambda g: g,), (t,))
    return out


@op(kind="function", grad_fns=("MulBackward0", "RsqrtBackward0", "AddBackward1",
                               "MeanBackward1", "PowBackward0"))
def rms_norm(input, normalized_shape, weight=None, eps=None):
    """``input / sqrt(mean(input², trailing dims) + eps) * weight``; ``eps`` defaults to the
    dtype's machine epsilon. Composed as torch composes it, so the nodes are torch's."""
    if isinstance(normalized_shape, (int, np.integer)) or not isinstance(
            normalized_shape, (tuple, list)):
        raise errors.EngineTypeError(
            "rms_norm(): argument 'normalized_shape' (position 2) must be tuple of ints, not "
            f"{type(normalized_shape).__name__}")
    ns = tuple(int(s) for s in normalized_shape)
    shape = tuple(input.shape)
    k = len(ns)
    if len(shape) < k or shape[len(shape) - k:] != ns:
        raise errors.EngineRuntimeError(
            f"Given normalized_shape={list(ns)}, expected input with shape "
            f"[*{', '.join(str(s) for s in ns)}], but got input of size{list(shape)}")
    if weight is not None and tuple(weight.shape) != ns:
        raise errors.EngineRuntimeError(
            "Expected weight to be of same shape as normalized_shape, but got weight of shape "
            f"{list(weight.shape)} and normalized_shape = {list(ns)}")
    if not input.dtype.is_floating_point:
        raise errors.KernelNotImplemented(
            f"\"rms_norm\" not implemented for '{input.dtype.scalar_name}'")
    half = input.dtype.name in ("float16", "bfloat16")  # computed in float32, as torch
    if eps is None:
        eps = float(np.finfo(np.float32 if half else input.dtype.np).eps)
    dims = tuple(range(len(shape) - k, len(shape)))
    x = input.float() if half else input
    scale = _add_scalar(x.pow(2).mean(dims, keepdim=True), eps).rsqrt()
    out = x.mul(scale)
    if weight is not None:
        out = out.mul(weight)
    # torch's composite ends with ``.contiguous()``: an input of another stride order (``x.t()``)
    # gives a result in that order, so torch records CloneBackward0 on top
    return out.contiguous().to(input.dtype)
