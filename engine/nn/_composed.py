"""``torch.nn.functional`` functions that torch writes in Python over other ops
(``local_response_norm``, ``gumbel_softmax``): composed here of the table's ops in the same
order, so the recorded nodes, values and errors are torch's."""

from __future__ import annotations

import warnings

from .. import errors
from ..ops.memory_format import contiguous_format
from ..ops.registry import OPS


def _op(name: str):
    return OPS[name].fn


def local_response_norm(input, size: int, alpha: float = 1e-4, beta: float = 0.75,
                        k: float = 1.0):
    """Normalize each element by the (padded, averaged) sum of squares of its ``size``
    neighbouring channels: ``x / (k + alpha * mean(x²))**beta``."""
    dim = input.ndim
    if dim < 3:
        raise errors.EngineValueError(
            "Expected 3D or higher dimensionality                          input (got "
            f"{dim} dimensions)")
    if input.numel() == 0:
        return input
    div = input.mul(input)
    if dim == 3:
        div = div.unsqueeze(1)
        div = _op("pad")(div, (0, 0, size // 2, (size - 1) // 2))
        div = _op("avg_pool2d")(div, (size, 1), stride=1).squeeze(1)
    else:
        sizes = input.shape
        div = div.view(sizes[0], 1, sizes[1], sizes[2], -1)
        div = _op("pad")(div, (0, 0, 0, 0, size // 2, (size - 1) // 2))
        div = _op("avg_pool3d")(div, (size, 1, 1), stride=1).squeeze(1)
        div = div.view(sizes)
    div = div.mul(alpha).add(k).pow(beta)
    return input / div


def gumbel_softmax(logits, tau: float = 1, hard: bool = False, eps: float = 1e-10,
                   dim: int = -1):
    """A sample of the Gumbel-softmax distribution over ``dim`` (noise from the current
    generator), ``hard``: one-hot forward with the soft sample's gradient."""
    if eps != 1e-10:
        warnings.warn("`eps` parameter is deprecated and has no effect.", UserWarning,
                      stacklevel=2)
    # (torch's noise: empty_like(logits, memory_format=torch.legacy_contiguous_format))
    gumbels = -_op("empty_like")(logits, memory_format=contiguous_format).exponential_().log()
    gumbels = (logits + gumbels) / tau
    y_soft = gumbels.softmax(dim)
    if not hard:
        return y_soft
    index = y_soft.max(dim, keepdim=True)[1]
    d = dim % logits.ndim if logits.ndim else 0
    shape = [1] * logits.ndim
    if logits.ndim:
        shape[d] = logits.shape[d]
    positions = _op("arange")(logits.shape[d] if logits.ndim else 1,
                              device=logits.device).view(shape)
    y_hard = (positions == index).to(logits.dtype)  # (one-hot at the argmax, as a scatter)
    return y_hard - y_soft.detach() + y_soft


def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None,
                  use_input_stats: bool = True, momentum: float = 0.1, eps: float = 1e-5):
    """Normalize each channel of each sample over its spatial positions; as ATen computes it:
    a batch norm of the input viewed as one sample of ``N * C`` channels, with the running
    statistics (when given) updated by the mean over the batch."""
    if use_input_stats:
        prod = 1
        for s in input.shape[2:]:
            prod *= s
        if prod == 1:
            raise errors.EngineValueError("Expected more than 1 spatial element when training, "
                                          f"got input size {input.shape}")
    if momentum is None:  # (torch.instance_norm's binding)
        raise errors.EngineTypeError(
            "instance_norm(): argument 'momentum' (position 7) must be float, not NoneType")
    shape = list(input.shape)
    b, c = shape[0], shape[1]
    shape[1] = b * c
    shape[0] = 1

    def repeated(t):
        return None if t is None else t.repeat(b)

    mean_, var_ = repeated(running_mean), repeated(running_var)
    out = _op("batch_norm")(input.contiguous().view(shape), mean_, var_, repeated(weight),
                            repeated(bias), use_input_stats, momentum, eps)
    from ..modes import no_grad

    with no_grad():
        if running_mean is not None:
            running_mean.copy_(mean_.view(b, c).mean(0))
        if running_var is not None:
            running_var.copy_(var_.view(b, c).mean(0))
    return out.view(input.shape)


# --------------------------------------------------------------------------- power-average pools
def _tuple_of(n: int, value) -> tuple:
    if isinstance(value, (tuple, list)):
        return tuple(value)
    return (value,) * n


def _lp_pool(n: int, input, norm_type, kernel_size, stride, ceil_mode):
    """torch's composition: ``max_pool`` of ``|x|`` for p = ±inf, else the window sum of
    ``x**p`` (``avg_pool`` times the window size, negative sums clipped to 0) to the 1/p."""
    max_pool, avg_pool = _op(f"max_pool{n}d"), _op(f"avg_pool{n}d")
    if norm_type == float("inf"):
        return max_pool(input.abs(), kernel_size, stride, 0, 1, ceil_mode)
    if norm_type == -float("inf"):
        return -max_pool(-input.abs(), kernel_size, stride, 0, 1, ceil_mode)
    if stride is not None:
        out = avg_pool(input.pow(norm_type), kernel_size, stride, 0, ceil_mode)
    else:
        out = avg_pool(input.pow(norm_type), kernel_size, padding=0, ceil_mode=ceil_mode)
    if n == 1:
        window = kernel_size
    else:
        window = 1
        for k in _tuple_of(n, kernel_size):
            window *= k
    signed = _op("sign")(out) * _op("relu")(_op("abs")(out))
    return signed.mul(window).pow(1.0 / norm_type)


def lp_pool1d(input, norm_type, kernel_size, stride=None, ceil_mode: bool = False):
    """Power-average pooling over ``(N, C, L)``: ``(sum over the window of x**p)**(1/p)``."""
    return _lp_pool(1, input, norm_type, kernel_size, stride, ceil_mode)


def lp_pool2d(input, norm_type, kernel_size, stride=None, ceil_mode: bool = False):
    """Power-average pooling over ``(N, C, H, W)``: ``(sum over the window of x**p)**(1/p)``."""
    return _lp_pool(2, input, norm_type, kernel_size, stride, ceil_mode)


def lp_pool3d(input, norm_type, kernel_size, stride=None, ceil_mode: bool = False):
    """Power-average pooling over ``(N, C, D, H, W)``: ``(window sum of x**p)**(1/p)``."""
    return _lp_pool(3, input, norm_type, kernel_size, stride, ceil_mode)


# --------------------------------------------------------------------------- deprecated aliases
def _deprecated_interpolate(name: str) -> None:
    warnings.warn(f"`nn.functional.{name}` is deprecated. Use `nn.functional.interpolate` "
                  "instead.", UserWarning, stacklevel=3)


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):
    """Deprecated alias of ``interpolate`` (warns, as torch does)."""
    _deprecated_interpolate("upsample")
    return _op("interpolate")(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input, size=None, scale_factor=None):
    """Deprecated: ``interpolate(..., mode="nearest")`` (warns, as torch does)."""
    _deprecated_interpolate("upsample_nearest")
    return _op("interpolate")(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input, size=None, scale_factor=None):
    """Deprecated: ``interpolate(..., mode="bilinear", align_corners=True)`` (warns)."""
    _deprecated_interpolate("upsample_bilinear")
    return _op("interpolate")(input, size, scale_factor, mode="bilinear", align_corners=True)


# --------------------------------------------------------------------------- *_with_indices
def _max_pool_with_indices(n: int):
    def with_indices(input, kernel_size, stride=None, padding=0, dilation=1,
                     ceil_mode: bool = False, return_indices: bool = False):
        return _op(f"max_pool{n}d")(input, kernel_size, stride, padding, dilation,
                                     ceil_mode=ceil_mode, return_indices=True)

    with_indices.__name__ = with_indices.__qualname__ = f"max_pool{n}d_with_indices"
    with_indices.__doc__ = (f"``max_pool{n}d`` returning ``(output, indices)`` whatever "
                            "``return_indices`` says (torch ignores it here too).")
    return with_indices


def _adaptive_max_pool_with_indices(n: int):
    def with_indices(input, output_size, return_indices: bool = False):
        return _op(f"adaptive_max_pool{n}d")(input, output_size, return_indices=True)

    with_indices.__name__ = with_indices.__qualname__ = f"adaptive_max_pool{n}d_with_indices"
    with_indices.__doc__ = (f"``adaptive_max_pool{n}d`` returning ``(output, indices)`` "
                            "whatever ``return_indices`` says (torch ignores it here too).")
    return with_indices


max_pool1d_with_indices = _max_pool_with_indices(1)
max_pool2d_with_indices = _max_pool_with_indices(2)
max_pool3d_with_indices = _max_pool_with_indices(3)
adaptive_max_pool1d_with_indices = _adaptive_max_pool_with_indices(1)
adaptive_max_pool2d_with_indices = _adaptive_max_pool_with_indices(2)
adaptive_max_pool3d_with_indices = _adaptive_max_pool_with_indices(3)

COMPOSED = ["gumbel_softmax", "local_response_norm", "instance_norm", "lp_pool1d", "lp_pool2d",
            "lp_pool3d", "upsample", "upsample_nearest", "upsample_bilinear",
            "max_pool1d_with_indices", "max_pool2d_with_indices", "max_pool3d_with_indices",
            "adaptive_max_pool1d_with_indices", "adaptive_max_pool2d_with_indices",
            "adaptive_max_pool3d_with_indices"]
