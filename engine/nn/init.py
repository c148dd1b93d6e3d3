"""``torch.nn.init``: fill a tensor in place (without recording a graph) from the current
generator (the session's, inside a run), with torch's fan-in/fan-out bounds and gains."""

from __future__ import annotations

import math
import warnings

from .. import errors
from .. import random as _random
from ..dtypes import float32
from ..random import Generator, current_generator
from ..tensor import Tensor

__all__ = ["calculate_gain", "uniform_", "normal_", "trunc_normal_", "constant_", "ones_",
           "zeros_", "eye_", "dirac_", "xavier_uniform_", "xavier_normal_", "kaiming_uniform_",
           "kaiming_normal_", "orthogonal_", "sparse_"]


def _draw(tensor: Tensor, generator: Generator | None, kind: str, shape=None, low=0.0,
          high=1.0):
    """Uniform [low, high) or standard normal draws shaped like ``tensor`` (or ``shape``), in
    its dtype, as torch's ``uniform_``/``normal_`` draw them."""
    from ..ops.samplers import _in_memory_order

    gen = current_generator(tensor.device, generator)
    dt = tensor.dtype if tensor.dtype.is_floating_point else float32
    if shape is not None:
        scalar = False
    else:  # the tensor's own elements: in memory order, a non-contiguous one's normal scalar
        scalar = not tensor._data.flags.c_contiguous
    with tensor.device.scope():
        if kind == "uniform":
            def draw(s):
                return _random.uniform(gen, s, dt, low, high)
        else:
            def draw(s):
                return _random.normal(gen, s, dt, scalar=scalar)
        return draw(shape) if shape is not None else _in_memory_order(tensor, draw)


def _write(tensor: Tensor, values) -> Tensor:
    xp = tensor.device.xp
    xp.copyto(tensor._data, values, casting="unsafe")
    tensor._vc[0] += 1
    return tensor


def _check(tensor: Tensor, name: str) -> None:
    if not isinstance(tensor, Tensor):
        raise errors.EngineTypeError(
            f"{name}(): argument 'tensor' must be Tensor, not {type(tensor).__name__}")


def _floating(tensor: Tensor, kernel: str) -> None:
    if not tensor.dtype.is_floating_point:
        raise errors.EngineRuntimeError(
            f'"{kernel}" not implemented for \'{tensor.dtype.scalar_name}\'')


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The recommended gain for a nonlinearity (``tanh`` 5/3, ``relu`` sqrt(2), ...)."""
    linear = ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
              "conv_transpose3d")
    if nonlinearity in linear or nonlinearity == "sigmoid":
        return 1
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif not isinstance(param, bool) and isinstance(param, (int, float)):
            slope = param
        else:
            raise errors.EngineValueError(f"negative_slope {param} not a valid number")
        return math.sqrt(2.0 / (1 + slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise errors.EngineValueError(f"Unsupported nonlinearity {nonlinearity}")


def _fans(tensor: Tensor) -> tuple[int, int]:
    shape = tensor.shape
    if len(shape) < 2:
        raise errors.EngineValueError(
            "Fan in and fan out can not be computed for tensor with fewer than 2 dimensions")
    receptive = 1
    for s in shape[2:]:
        receptive *= s
    return shape[1] * receptive, shape[0] * receptive


def _fan(tensor: Tensor, mode: str) -> int:
    mode = mode.lower()
    if mode not in ("fan_in", "fan_out"):
        raise errors.EngineValueError(
            f"Mode {mode} not supported, please use one of ['fan_in', 'fan_out']")
    fan_in, fan_out = _fans(tensor)
    return fan_in if mode == "fan_in" else fan_out


#: torch's private names of the two, which model code calls itself (a Linear's own
#: reset_parameters re-written: ``fan_in, _ = init._calculate_fan_in_and_fan_out(w)``)
_calculate_fan_in_and_fan_out = _fans
_calculate_correct_fan = _fan


def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0,
             generator: Generator | None = None) -> Tensor:
    """Fill with draws from U(a, b)."""
    _check(tensor, "uniform_")
    _floating(tensor, "check_uniform_bounds")
    if a > b:
        raise errors.EngineRuntimeError(
            f"uniform_ expects to return a [from, to) range, but found from={a} > to={b}")
    return _write(tensor, _draw(tensor, generator, "uniform", low=a, high=b))


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0,
            generator: Generator | None = None) -> Tensor:
    """Fill with draws from N(mean, std²)."""
    _check(tensor, "normal_")
    _floating(tensor, "normal_kernel_cpu")
    if std < 0:
        raise errors.EngineRuntimeError(f"normal expects std >= 0.0, but found std {std}")
    gen = current_generator(tensor.device, generator)
    dt = tensor.dtype if tensor.dtype.is_floating_point else float32
    from ..ops.samplers import _in_memory_order

    scalar = not tensor._data.flags.c_contiguous
    with tensor.device.scope():
        return _write(tensor, _in_memory_order(tensor, lambda s: _random.normal(
            gen, s, dt, mean, std, scalar=scalar)))


def trunc_normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, a: float = -2.0,
                  b: float = 2.0, generator: Generator | None = None) -> Tensor:
    """Fill with draws from N(mean, std²) truncated to [a, b], drawn as torch 2.13 draws
    them: when [a, b] holds more than 30 % of the mass, normal draws with the ones outside
    redrawn (the whole tensor's worth each round); else uniform candidates on [a, b], each
    kept when the log of a uniform is below its log density over the peak's."""
    _check(tensor, "trunc_normal_")
    _floating(tensor, "normal_kernel_cpu")
    if mean < a - 2 * std or mean > b + 2 * std:
        warnings.warn("mean is more than 2 std from [a, b] in nn.init.trunc_normal_. "
                      "The distribution of values may be incorrect.", stacklevel=2)
    from .. import ops
    from ..modes import no_grad

    def cdf(x):
        return (1.0 + math.erf(x / math.sqrt(2.0))) / 2.0

    with no_grad():
        if cdf((b - mean) / std) - cdf((a - mean) / std) > 0.3:
            lo = ops.tensor(a, dtype=tensor.dtype).item()  # the bounds in the tensor's dtype
            hi = ops.tensor(b, dtype=tensor.dtype).item()
            result = tensor.normal_(mean, std, generator=generator)
            while True:
                outside = (result < lo) | (result > hi)
                if not outside.any():
                    break
                result = ops.where(outside, ops.empty_like(result).normal_(
                    mean, std, generator=generator), result)
            if result is not tensor:
                tensor.copy_(result)
            return tensor
        mode = max(a, min(mean, b))
        log_peak = -0.5 * ((mode - mean) / std) ** 2

        def log_density(c):  # over the peak's, in place
            return c.sub_(mean).div_(std).pow_(2).mul_(-0.5).sub_(log_peak)

        candidates = ops.empty_like(tensor)
        accept = ops.empty_like(tensor)
        tensor.uniform_(a, b, generator=generator)
        candidates.copy_(tensor)
        log_density(candidates)
        pending = accept.uniform_(generator=generator).log_().gt(candidates)
        if pending.any():
            result = tensor
            while True:
                candidates.uniform_(a, b, generator=generator)
                result = ops.where(pending, candidates, result)
                log_density(candidates)
                pending = ops.where(pending, accept.uniform_(generator=generator).log_().gt(
                    candidates), pending)
                if not pending.any():
                    break
            tensor.copy_(result)
    return tensor


def constant_(tensor: Tensor, val: float) -> Tensor:
    """Fill with ``val``."""
    _check(tensor, "constant_")
    tensor._data[...] = val
    tensor._vc[0] += 1
    return tensor


def ones_(tensor: Tensor) -> Tensor:
    """Fill with 1."""
    return constant_(tensor, 1)


def zeros_(tensor: Tensor) -> Tensor:
    """Fill with 0."""
    return constant_(tensor, 0)


def eye_(tensor: Tensor) -> Tensor:
    """The identity matrix (a 2-D tensor)."""
    if tensor.ndim != 2:
        raise errors.EngineValueError("Only tensors with 2 dimensions are supported")
    xp = tensor.device.xp
    return _write(tensor, xp.eye(*tensor._data.shape, dtype=tensor.dtype.np))


def dirac_(tensor: Tensor, groups: int = 1) -> Tensor:
    """The Dirac delta of a 3-, 4- or 5-D convolution weight (identity channels per group)."""
    dims = tensor.ndim
    if dims not in (3, 4, 5):
        raise errors.EngineValueError("Only tensors with 3, 4, or 5 dimensions are supported")
    sizes = tensor.shape
    if sizes[0] % groups != 0:
        raise errors.EngineValueError("dim 0 must be divisible by groups")
    out_per_group = sizes[0] // groups
    min_dim = min(out_per_group, sizes[1])
    xp = tensor.device.xp
    values = xp.zeros(sizes, dtype=tensor.dtype.np)
    centre = tuple(s // 2 for s in sizes[2:])
    for g in range(groups):
        for d in range(min_dim):
            values[(g * out_per_group + d, d) + centre] = 1
    return _write(tensor, values)


def xavier_uniform_(tensor: Tensor, gain: float = 1.0,
                    generator: Generator | None = None) -> Tensor:
    """U(-a, a) with ``a = gain * sqrt(6 / (fan_in + fan_out))`` (Glorot)."""
    fan_in, fan_out = _fans(tensor)
    a = math.sqrt(3.0) * gain * math.sqrt(2.0 / float(fan_in + fan_out))
    return uniform_(tensor, -a, a, generator)


def xavier_normal_(tensor: Tensor, gain: float = 1.0,
                   generator: Generator | None = None) -> Tensor:
    """N(0, std²) with ``std = gain * sqrt(2 / (fan_in + fan_out))`` (Glorot)."""
    fan_in, fan_out = _fans(tensor)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / float(fan_in + fan_out)), generator)


def kaiming_uniform_(tensor: Tensor, a: float = 0, mode: str = "fan_in",
                     nonlinearity: str = "leaky_relu",
                     generator: Generator | None = None) -> Tensor:
    """U(-bound, bound) with ``bound = gain * sqrt(3 / fan)`` (He)."""
    _check(tensor, "kaiming_uniform_")
    if 0 in tensor.shape:
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=2)
        return tensor
    std = calculate_gain(nonlinearity, a) / math.sqrt(_fan(tensor, mode))
    bound = math.sqrt(3.0) * std
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(tensor: Tensor, a: float = 0, mode: str = "fan_in",
                    nonlinearity: str = "leaky_relu",
                    generator: Generator | None = None) -> Tensor:
    """N(0, std²) with ``std = gain / sqrt(fan)`` (He)."""
    _check(tensor, "kaiming_normal_")
    if 0 in tensor.shape:
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=2)
        return tensor
    std = calculate_gain(nonlinearity, a) / math.sqrt(_fan(tensor, mode))
    return normal_(tensor, 0.0, std, generator)


def orthogonal_(tensor: Tensor, gain: float = 1, generator: Generator | None = None) -> Tensor:
    """A (semi-)orthogonal matrix (trailing dims flattened), scaled by ``gain``."""
    if tensor.ndim < 2:
        raise errors.EngineValueError("Only tensors with 2 or more dimensions are supported")
    if tensor.numel() == 0:
        return tensor
    rows = tensor.shape[0]
    cols = tensor.numel() // rows
    flat = _draw(tensor, generator, "normal", (rows, cols))
    xp = tensor.device.xp
    if rows < cols:
        flat = flat.T
    q, r = xp.linalg.qr(flat)
    q = q * xp.sign(xp.diagonal(r))
    if rows < cols:
        q = q.T
    return _write(tensor, (q * gain).reshape(tensor._data.shape))


def sparse_(tensor: Tensor, sparsity: float, std: float = 0.01,
            generator: Generator | None = None) -> Tensor:
    """N(0, std²) with a fraction ``sparsity`` of each column set to zero."""
    if tensor.ndim != 2:
        raise errors.EngineValueError("Only tensors with 2 dimensions are supported")
    rows, cols = tensor.shape
    num_zeros = int(math.ceil(sparsity * rows))
    gen = current_generator(tensor.device, generator)
    dt = tensor.dtype if tensor.dtype.is_floating_point else float32
    with tensor.device.scope():
        values = _random.normal(gen, tensor._data.shape, dt, 0.0, std)
    # torch's column permutations come from the current generator, not ``generator``
    current = current_generator(tensor.device)
    for col in range(cols):
        zeros = _random.permutation(current, rows)[:num_zeros]
        values[zeros, col] = 0
    return _write(tensor, values)
