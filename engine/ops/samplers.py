"""Random sampling: ``multinomial``, ``bernoulli`` and the in-place samplers ``normal_``,
``uniform_``, ``exponential_``, ``cauchy_``, ``log_normal_``, ``geometric_``, ``bernoulli_``,
``random_``.

Every draw comes from the generator of the tensor's device (the session's, inside a run; or
``generator=``), so a seeded session reproduces its runs. Distributions are derived from the
generator's uniform and normal streams with array ops (NumPy or CuPy alike). An in-place sampler
on a tensor with history records PyTorch's node (``NormalBackward0``, ...), whose gradient is
zero.
"""

from __future__ import annotations

import math

import numpy as np

from .. import errors
from .. import random as _rand
from ..autograd import needs_grad, record
from ..dtypes import (
    DEFAULT_INT,
    bool_,
    float16,
    float32,
    float64,
    int8,
    int16,
    int32,
    int64,
    uint8,
)
from ..random import current_generator
from ..tensor import Tensor, _wrap
from .families import (
    apply_inplace,
    check_inplace,
    check_overlap,
)
from .memory_format import draws_like
from .registry import op, register

_P_RANGE = ("Expected p_in >= 0 && p_in <= 1 to be true, but got false.  (Could this error "
            "message be improved?  If so, please report an enhancement request to PyTorch.)")


def _num(x) -> str:
    """A number as C++ streams a double (``-1``, ``0.5``, ``1e-09``)."""
    return f"{float(x):g}"


def _uniform(t: Tensor, generator, shape=None):
    """Uniform [0, 1) draws in ``t``'s float type (float32 for float16 and non-floats)."""
    gen = current_generator(t.device, generator)
    np_dt = np.float64 if t.dtype is float64 else np.float32
    with t.device.scope():
        return gen._rng.random(t._data.shape if shape is None else shape, dtype=np_dt)


def _in_memory_order(t: Tensor, draw):
    """``draw(shape)`` for ``t``'s elements in the order torch's TensorIterator visits them:
    memory order (the axes from the largest stride to the smallest, then row-major), so a
    transposed or permuted tensor gets the draws its storage would (a row-major one, the
    plain order). Returns the values in ``t``'s logical layout."""
    data = t._data
    if data.ndim < 2 or data.flags.c_contiguous:
        return draw(data.shape)
    axes = sorted(range(data.ndim), key=lambda a: (data.shape[a] != 1) * -abs(data.strides[a]))
    if axes == list(range(data.ndim)):
        return draw(data.shape)
    values = draw(tuple(data.shape[a] for a in axes))
    return values.transpose(np.argsort(axes))


def _normal(t: Tensor, generator, mean=0.0, std=1.0):
    """torch's normal draws in ``t``'s float type (float32 for non-floats): its vectorised
    kernel for a contiguous tensor, else the scalar one, in memory order."""
    gen = current_generator(t.device, generator)
    dt = t.dtype if t.dtype.is_floating_point else float32
    scalar = not t._data.flags.c_contiguous
    with t.device.scope():
        return _in_memory_order(t, lambda shape: _rand.normal(gen, shape, dt, mean, std,
                                                              scalar=scalar))


def _uniform_in(t: Tensor, generator, low, high):
    """torch's ``uniform_(low, high)`` draws in ``t``'s float type."""
    gen = current_generator(t.device, generator)
    with t.device.scope():
        return _in_memory_order(t, lambda shape: _rand.uniform(gen, shape, t.dtype, low, high))


def _draw(t: Tensor, generator, sampler, *args):
    """``sampler``'s draws (engine.random's: torch's rules) for ``t``'s elements, in its dtype,
    in memory order; a generator of another device draws the same distribution from its own
    stream."""
    gen = current_generator(t.device, generator)
    if gen.device.type != "cpu":
        return _device_draw(t, gen, sampler, *args)
    return _in_memory_order(t, lambda shape: sampler(gen, shape, t.dtype, *args))


def _device_draw(t: Tensor, gen, sampler, *args):
    xp = t.device.xp
    with t.device.scope():
        if sampler is _rand.log_normal:
            mean, std = args
            with np.errstate(over="ignore"):
                return xp.exp(mean + std * gen._rng.standard_normal(t._data.shape))
        u = gen._rng.random(t._data.shape)
        if sampler is _rand.exponential:
            return -xp.log1p(-u) / args[0]
        if sampler is _rand.cauchy:
            return args[0] + args[1] * xp.tan(math.pi * (u - 0.5))
        return xp.ceil(xp.log(u) / math.log1p(-args[0]))


def _zero_grad(g):
    return g * 0


def _fill(self: Tensor, values, node: str) -> Tensor:
    """Write ``values`` into ``self`` in place; with history, through a node whose gradient is
    zero (the old values no longer matter)."""
    result = _wrap(self.device.xp.asarray(values).astype(self.dtype.np, copy=False),
                   self.dtype, self.device)
    if needs_grad(self):
        record(result, node, (_zero_grad,), (self,))
    return apply_inplace(self, result)


def _sampler(name: str, doc: str):
    def deco(fn):
        fn.__name__ = fn.__qualname__ = name
        fn.__doc__ = doc
        register(name, fn, doc=doc, kind="method", inplace=True, differentiable=False)
        return fn

    return deco


def _continuous_only(self: Tensor, kernel: str) -> None:
    if not self.dtype.is_floating_point:
        dev = "cpu" if self.device.type == "cpu" else "cuda"
        raise errors.KernelNotImplemented(errors.NOT_IMPLEMENTED_FOR.format(
            kernel=kernel.format(dev=dev), dtype=self.dtype.scalar_name))


def _continuous_distribution(self: Tensor, what: str, cpp_names: bool = False) -> None:
    if not self.dtype.is_floating_point:
        name = self.dtype.c_name if cpp_names else self.dtype.scalar_name
        raise errors.EngineRuntimeError(
            f"{what} distribution is a continuous probability distribution. dtype must be a "
            f"floating point but you specified {name}")


# --------------------------------------------------------------------------- continuous
@_sampler("normal_", "Fill in place with samples of the normal distribution N(mean, std**2).")
def normal_(self, *args, generator=None, **kwargs):
    mean, std = _two("normal_", args, kwargs, ("mean", 0.0), ("std", 1.0))
    mean = _float_arg("normal_", "mean", mean, 1 if args else None)
    std = _float_arg("normal_", "std", std, 2 if len(args) > 1 else None)
    check_inplace(self)
    if not std >= 0:  # NaN too
        raise errors.EngineRuntimeError(f"normal expects std >= 0.0, but found std {_num(std)}")
    if self._data.size:  # PyTorch's kernel (and its dtype check) never runs on an empty one
        _continuous_only(self, "normal_kernel_{dev}")
    if not self._data.size:
        return _fill(self, self._data, "NormalBackward0")
    return _fill(self, _normal(self, generator, mean, std), "NormalBackward0")


def _signature(fn, *params) -> None:
    """Show PyTorch's documented signature (the function parses its arguments itself)."""
    import inspect

    P = inspect.Parameter
    fn.__signature__ = inspect.Signature(
        [P("self", P.POSITIONAL_ONLY)] + [P(n, P.POSITIONAL_OR_KEYWORD, default=d)
                                          for n, d in params]
        + [P("generator", P.KEYWORD_ONLY, default=None)])


_signature(normal_, ("mean", 0.0), ("std", 1.0))


@_sampler("uniform_", "Fill in place with samples of the uniform distribution on [from, to).")
def uniform_(self, *args, generator=None, **kwargs):
    check_inplace(self)
    low, high = _two("uniform_", args, kwargs, ("from", 0.0), ("to", 1.0))
    _continuous_only(self, "check_uniform_bounds")
    if low > high:
        raise errors.EngineRuntimeError(
            f"uniform_ expects to return a [from, to) range, but found from={_num(low)} > "
            f"to={_num(high)}")
    return _fill(self, _uniform_in(self, generator, low, high), "UniformBackward0")


def _float_arg(fn: str, name: str, value, position: int | None) -> float:
    """A ``float`` argument as PyTorch's binding reads it: a Python number or a 0-d tensor."""
    if isinstance(value, Tensor) and value.ndim == 0:
        return value.item()
    if isinstance(value, (int, float, np.integer, np.floating)):
        return value
    where = "" if position is None else f" (position {position})"
    kind = "Tensor" if isinstance(value, Tensor) else type(value).__name__
    raise errors.EngineTypeError(f"{fn}(): argument '{name}'{where} must be float, not {kind}")


def _two(name: str, args: tuple, kwargs: dict, first: tuple, second: tuple):
    """Two optional arguments named ``from``/``to`` (Python keywords), by position or name."""
    values = dict(zip((first[0], second[0]), args))
    if len(args) > 2:
        raise errors.EngineTypeError(
            f"{name}() takes from 0 to 2 positional arguments but {len(args)} were given")
    for key, value in kwargs.items():
        if key not in (first[0], second[0]):
            raise errors.EngineTypeError(f"{name}() got an unexpected keyword argument '{key}'")
        if key in values:
            raise errors.EngineTypeError(f"{name}() got multiple values for argument '{key}'")
        values[key] = value
    return values.get(first[0], first[1]), values.get(second[0], second[1])


@_sampler("exponential_", "Fill in place with samples of the exponential distribution of rate "
                          "``lambd``.")
def exponential_(self, lambd=1.0, *, generator=None):
    check_inplace(self)
    if not lambd > 0:
        raise errors.EngineRuntimeError(
            f"exponential_ expects lambda > 0.0, but found lambda={_num(lambd)}")
    check_overlap(self)  # (torch's TensorIterator, before its kernel's dtype check)
    if self._data.size:  # no kernel (and no dtype check) on an empty tensor
        _continuous_distribution(self, "Exponential")
    return _fill(self, _draw(self, generator, _rand.exponential, float(lambd)),
                 "ExponentialBackward0")


@_sampler("cauchy_", "Fill in place with samples of the Cauchy distribution (``median``, "
                     "``sigma``).")
def cauchy_(self, median=0.0, sigma=1.0, *, generator=None):
    check_inplace(self)
    if not sigma > 0:
        raise errors.EngineRuntimeError(
            f"cauchy_ expects sigma > 0.0, but found sigma={_num(sigma)}")
    _continuous_distribution(self, "Cauchy", cpp_names=True)
    return _fill(self, _draw(self, generator, _rand.cauchy, float(median), float(sigma)),
                 "CauchyBackward0")


@_sampler("log_normal_", "Fill in place with samples of the log-normal distribution: "
                         "``exp`` of N(mean, std**2).")
def log_normal_(self, mean=1.0, std=2.0, *, generator=None):
    check_inplace(self)
    if not std > 0:
        raise errors.EngineRuntimeError(
            f"log_normal_ expects std > 0.0, but found std={_num(std)}")
    check_overlap(self)
    if self._data.size:  # no kernel (and no dtype check) on an empty tensor
        _continuous_only(self, "log_normal_{dev}")
    return _fill(self, _draw(self, generator, _rand.log_normal, float(mean), float(std)),
                 "LogNormalBackward0")


# --------------------------------------------------------------------------- discrete
@_sampler("geometric_", "Fill in place with samples of the geometric distribution on 1, 2, ... "
                        "(trials up to the first success of probability ``p``).")
def geometric_(self, p, *, generator=None):
    check_inplace(self)
    if not 0 < p < 1:
        raise errors.EngineRuntimeError(
            f"geometric_ expects p to be in (0, 1), but got p={_num(p)}")
    check_overlap(self)
    if self.dtype is bool_ and self._data.size:
        raise errors.KernelNotImplemented(errors.NOT_IMPLEMENTED_FOR.format(
            kernel="geometric_cpu", dtype="Bool"))
    return _fill(self, _draw(self, generator, _rand.geometric, float(p)), "GeometricBackward0")


@_sampler("bernoulli_", "Fill in place with 0/1 samples that are 1 with probability ``p`` (a "
                        "number, or a tensor broadcasting to this one).")
def bernoulli_(self, p=0.5, *, generator=None):
    check_inplace(self)
    if isinstance(p, Tensor):
        if p._data.shape != self._data.shape:
            from .shape import expand

            p = expand(p, self._data.shape)
        probs = p._data
        if probs.size and not bool(((probs >= 0) & (probs <= 1)).all()):
            raise errors.EngineRuntimeError(_P_RANGE)
        node = "BernoulliBackward1"
    else:
        if not 0 <= p <= 1:
            raise errors.EngineRuntimeError(
                f"bernoulli_ expects p to be in [0, 1], but got p={_num(p)}")
        probs, node = p, "BernoulliBackward2"
    return _fill(self, _bernoulli_draws(self, p, generator), node)


def _bernoulli_draws(t: Tensor, p, generator, fresh: bool = False):
    """torch's bernoulli draws for ``t``'s elements: a uniform of ``p``'s precision (53 bits
    for a number or a float64 tensor, 24 for other tensors) below ``p``; in ``t``'s memory
    order, or (``fresh``: ``torch.bernoulli``'s new result, legacy-contiguous) row-major."""
    gen = current_generator(t.device, generator)
    precise = not isinstance(p, Tensor) or p.dtype is float64
    dt = float64 if precise else float32
    with t.device.scope():
        if fresh:
            u = _rand.uniform(gen, t._data.shape, dt)
        else:
            u = _in_memory_order(t, lambda shape: _rand.uniform(gen, shape, dt))
    return u < (p._data if isinstance(p, Tensor) else p)


_RANDOM_LIMITS = {float16: 2 ** 11, float32: 2 ** 24, float64: 2 ** 53, int64: 2 ** 63 - 1,
                  int32: 2 ** 31 - 1, bool_: 1, int16: 2 ** 15 - 1, int8: 2 ** 7 - 1,
                  uint8: 2 ** 8 - 1}


# the values ``from`` and ``to - 1`` must fit in (PyTorch's check, naming the C++ type)
_RANDOM_BOUNDS = {"bool": ("bool", 0, 1), "int32": ("int", -2 ** 31, 2 ** 31 - 1),
                  "int16": ("short int", -2 ** 15, 2 ** 15 - 1),
                  "int8": ("signed char", -2 ** 7, 2 ** 7 - 1),
                  "uint8": ("unsigned char", 0, 2 ** 8 - 1),
                  "int64": ("long", -2 ** 63, 2 ** 63 - 1),
                  "float16": ("c10::Half", -65504.0, 65504.0),
                  "float32": ("float", -3.4028234663852886e38, 3.4028234663852886e38),
                  "float64": ("double", -1.7976931348623157e308, 1.7976931348623157e308)}


@_sampler("random_", "Fill in place with random integers: in [0, to) or [from, to); without "
                     "``to``, up to the dtype's largest exactly representable integer.")
def random_(self, *args, generator=None, **kwargs):
    check_inplace(self)
    check_overlap(self)  # (torch builds its TensorIterator before reading the bounds)
    if not args and not kwargs:
        low, high, node = 0, None, "RandomBackward2"
    elif len(args) == 1 and not kwargs or not args and set(kwargs) == {"to"}:
        low, high, node = 0, args[0] if args else kwargs["to"], "RandomBackward1"
    else:
        low, high = _two("random_", args, kwargs, ("from", 0), ("to", None))
        node = "RandomBackward0"
    top = _RANDOM_LIMITS[self.dtype]
    if high is None:
        high = top + 1
    elif low >= high:
        raise errors.EngineRuntimeError(
            f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")
    else:
        c_name, lo, hi = _RANDOM_BOUNDS[self.dtype.name]
        for what, v in (("from", low), ("to - 1", high - 1)):
            if not lo <= v <= hi:
                raise errors.EngineRuntimeError(f"{what} is out of bounds for {c_name}")
    gen = current_generator(self.device, generator)
    with self.device.scope():
        if node == "RandomBackward2":  # torch's full-range draw
            values = _in_memory_order(self, lambda shape: _rand.full_range(gen, shape,
                                                                           self.dtype))
        else:
            values = _in_memory_order(self, lambda shape: _rand.integers(
                gen, shape, self.dtype, int(low), int(high)))
    return _fill(self, values, node)


# --------------------------------------------------------------------------- bernoulli
@op(grad_fns=("BernoulliBackward0",), differentiable=False)
def bernoulli(input, p=None, *, generator=None):
    """0/1 samples: 1 with probability ``input`` (elementwise, in [0, 1]), or with probability
    ``p`` for every element when ``p`` is given; shaped and typed like ``input``."""
    if p is None:
        # (torch's kernel, and its dtype check, never runs on a tensor of no elements)
        if not input.dtype.is_floating_point and input._data.size:
            raise errors.KernelNotImplemented(errors.NOT_IMPLEMENTED_FOR.format(
                kernel="bernoulli_tensor_cpu_p_" if input.device.type == "cpu" else
                "bernoulli_tensor_cuda_p_", dtype=input.dtype.scalar_name))
        probs = input._data
        if probs.size and not bool(((probs >= 0) & (probs <= 1)).all()):
            raise errors.EngineRuntimeError(_P_RANGE)
    else:
        if not 0 <= p <= 1:
            raise errors.EngineRuntimeError(
                f"bernoulli_ expects p to be in [0, 1], but got p={_num(p)}")
        probs = p
    # (torch's result is ``empty_like(input, legacy_contiguous_format)``, filled row-major)
    draws = _bernoulli_draws(input, input if p is None else p, generator, fresh=True)
    out = _wrap(draws.astype(input.dtype.np, order="C"), input.dtype, input.device)
    if needs_grad(input):  # a zero gradient; with a number p PyTorch has no derivative
        if p is None:
            record(out, "BernoulliBackward0", (_zero_grad,), (input,))
        else:
            record(out, "NotImplemented", (_no_bernoulli_derivative,), (input,))
    return out


def _torch_multinomial(input: Tensor, gen, rows: int, categories: int, n: int,
                       replacement: bool) -> np.ndarray:
    """torch's CPU multinomial on the generator's words: without replacement (or one sample),
    ``p / q`` for exponential draws ``q`` in ``input``'s dtype, then argmax or the top ``n``;
    with replacement, per row the cumulative sums (in the dtype) over their total, and for each
    sample a 53-bit uniform found by binary search (the first sum not below it)."""
    p = input._data.reshape(rows, categories)
    if not replacement or n == 1:  # q = empty_like(input).exponential_(): input's order
        q = draws_like(input._data, lambda shape: _rand.exponential(
            gen, shape, input.dtype, 1.0)).reshape(rows, categories)
        with np.errstate(divide="ignore", invalid="ignore"):
            keys = _wrap(np.ascontiguousarray(p / q), input.dtype, input.device)
        if n == 1:
            return keys.argmax(-1, keepdim=True)._data
        return keys.topk(n)[1]._data
    out = np.empty((rows, n), dtype=np.int64)
    u = _rand.uniform(gen, (rows, n), float64)
    for i in range(rows):
        cum = np.cumsum(p[i])
        total = cum[-1]
        if total > 0 or 0.99999 < total < 1.00001:
            cum = cum / total
        out[i] = np.searchsorted(cum.astype(np.float64), u[i], side="left")
    return out


def _no_bernoulli_derivative(g):
    raise errors.EngineRuntimeError(errors.NO_DERIVATIVE.format(op="bernoulli"))


# --------------------------------------------------------------------------- multinomial
@op(differentiable=False)
def multinomial(input, num_samples, replacement=False, *, generator=None):
    """``num_samples`` category indices per row of (unnormalised) probabilities ``input`` (1-D
    or 2-D): with replacement, independent draws; without, distinct categories."""
    if input._data.ndim not in (1, 2):
        raise errors.EngineRuntimeError("prob_dist must be 1 or 2 dim")
    if not input.dtype.is_floating_point:
        raise errors.EngineRuntimeError(
            "multinomial only supports floating-point dtypes for input, got: "
            f"{input.dtype.scalar_name}")
    n = int(num_samples)
    if n <= 0:
        raise errors.EngineRuntimeError("cannot sample n_sample <= 0 samples")
    categories = input._data.shape[-1]
    if not replacement and n > categories:
        raise errors.EngineRuntimeError(
            "cannot sample n_sample > prob_dist.size(-1) samples without replacement")
    if categories == 0:  # PyTorch's single-draw path checks with aminmax, the other sums
        raise errors.EngineRuntimeError(
            "aminmax(): cannot compute aminmax over an empty dimension as the operation has "
            "no identity." if n == 1 else
            "invalid multinomial distribution (sum of probabilities <= 0)")
    xp = input.device.xp
    probs = input._data.astype(np.float64).reshape(-1, categories)
    if replacement and n > 1:  # PyTorch's kernel checks each row's entries, then its sum
        for row in probs.tolist() if probs.size else ():
            for v in row:
                if not v >= 0:
                    raise errors.EngineRuntimeError(
                        "invalid multinomial distribution (encountering probability entry < 0)")
                if not math.isfinite(v):
                    raise errors.EngineRuntimeError(
                        "invalid multinomial distribution (encountering probability entry = "
                        "infinity or NaN)")
            if not sum(row) > 0:
                raise errors.EngineRuntimeError(
                    "invalid multinomial distribution (sum of probabilities <= 0)")
    if probs.size and not bool((xp.isfinite(probs) & (probs >= 0)).all()):
        raise errors.EngineRuntimeError(
            "probability tensor contains either `inf`, `nan` or element < 0")
    if probs.size and bool((probs.sum(axis=1) <= 0).any()):
        raise errors.EngineRuntimeError(
            "invalid multinomial distribution (sum of probabilities <= 0)")
    rows = probs.shape[0]
    gen = current_generator(input.device, generator)
    if gen.device.type == "cpu":
        picks = _torch_multinomial(input, gen, rows, categories, n, replacement)
        out = picks.reshape(input._data.shape[:-1] + (n,)).astype(np.int64)
        return _wrap(np.ascontiguousarray(out), DEFAULT_INT, input.device)
    with input.device.scope():
        u = gen._rng.random((rows, n if replacement else categories), dtype=np.float64)
    if replacement:  # invert the cumulative distribution of each row
        cdf = xp.cumsum(probs, axis=1)
        targets = u * cdf[:, -1:]
        picks = xp.stack([xp.searchsorted(cdf[i], targets[i], side="right")
                          for i in range(rows)]) if rows else xp.zeros((0, n), np.int64)
        picks = xp.minimum(picks, categories - 1)
    else:  # the n largest p / E with E ~ Exp(1): a draw without replacement
        keys = probs / -xp.log1p(-u)
        picks = xp.argsort(-keys, axis=1, kind="stable")[:, :n]
    out = picks.reshape(input._data.shape[:-1] + (n,)).astype(np.int64)
    return _wrap(xp.ascontiguousarray(out), DEFAULT_INT, input.device)


__all__ = ["multinomial", "bernoulli", "normal_", "uniform_", "exponential_", "cauchy_",
           "log_normal_", "geometric_", "bernoulli_", "random_"]
