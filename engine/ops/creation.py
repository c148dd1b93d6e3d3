"""Creation ops: ``tensor``, ``arange``, ``zeros``, ``rand`` and friends."""

from __future__ import annotations

import functools
import inspect
import math
from collections import deque

import numpy as np

from .. import errors
from .. import random as _rand
from ..autograd import needs_grad
from ..device import bind, default_device
from ..device import device as as_device
from ..dtypes import (
    DEFAULT_INT,
    SMALL_INTS,
    as_dtype,
    bool_,
    default_float,
    float16,
    float32,
    float64,
    from_numpy_dtype,
    half_number,
    half_source,
    promote,
)
from ..modes import check_numel
from ..random import current_generator
from ..tensor import Tensor, _wrap
from ._args import check_fits, shape_arg
from .registry import op, register


def _size_kw(fn):
    """Let ``zeros(size=(2, 3))`` mean ``zeros(2, 3)``, as PyTorch's bindings allow, and
    refuse a call without a size as they do."""

    @functools.wraps(fn)
    def wrapper(*size, **kwargs):
        if "size" in kwargs:
            if size:
                raise errors.EngineTypeError(
                    f"{fn.__name__}() got multiple values for argument 'size'")
            size = (kwargs.pop("size"),)
        elif not size:
            raise _missing_size(fn.__name__, kwargs)
        return fn(*size, **kwargs)

    return wrapper


# ``rand``/``randn`` have two overloads in PyTorch's bindings (with a required keyword
# ``generator``, and without): a call without a size names the missing argument only when
# exactly one overload takes that many arguments (one keyword), else lists both.
_RANDOM_OVERLOADS = tuple(
    f"tuple of ints size, *, {g}Tensor out = None, torch.dtype dtype = None, torch.layout "
    f"layout = None, torch.device device = None, bool pin_memory = False, bool requires_grad = "
    f"False" for g in ("torch.Generator generator, ", ""))


def _arg_type_name(value) -> str:
    from ..device import Device
    from ..dtypes import DType
    from ..random import Generator

    for cls, name in ((DType, "torch.dtype"), (Device, "torch.device"),
                      (Generator, "torch._C.Generator"), (Tensor, "Tensor")):
        if isinstance(value, cls):
            return name
    return type(value).__name__


def _missing_size(name: str, kwargs: dict) -> Exception:
    if name not in ("rand", "randn") or len(kwargs) == 1:
        return errors.EngineTypeError(f'{name}() missing 1 required positional arguments: "size"')
    # PyTorch lists the keywords given last to first
    got = "".join(f"{k}={_arg_type_name(v)}, " for k, v in reversed(kwargs.items()))
    lines = "".join(f" * ({o})\n" for o in _RANDOM_OVERLOADS)
    return errors.EngineTypeError(f"{name}() received an invalid combination of arguments - got "
                                  f"({got}), but expected one of:\n{lines}")


def _device(device):
    return default_device() if device is None else bind(as_device(device))


def _leaf(t: Tensor, requires_grad: bool) -> Tensor:
    if requires_grad:
        if not t.dtype.is_floating_point:
            raise errors.EngineRuntimeError(errors.FLOAT_REQUIRES_GRAD)
        t.requires_grad = True
    return t


def _finish(arr, dtype, device, requires_grad: bool) -> Tensor:
    dev = _device(device)
    if dev.type != "cpu":
        with dev.scope():
            arr = dev.xp.asarray(arr)
    return _leaf(_wrap(arr, dtype, dev), requires_grad)


#: The sequences torch's ``tensor()`` reads element by element besides lists and tuples.
_SEQUENCES = (list, tuple, deque, range)


def _infer_dtype(values) -> object:
    """PyTorch's inference for nested Python data (``infer_scalar_type``): each element's own
    type — bool, int64 for an int, the default float dtype for a float, a tensor's, a NumPy
    array's or NumPy scalar's dtype — promoted across the elements (so ``[float64 tensor, 1.5]``
    is float64, ``[int16 tensor, 2]`` int64); an empty list is the default float dtype."""
    found = None
    stack = [values]
    while stack:
        v = stack.pop()
        if isinstance(v, _SEQUENCES):
            stack.extend(v)
            continue
        if isinstance(v, Tensor):
            dt = v.dtype
        elif isinstance(v, (np.ndarray, np.generic)) and v.dtype.kind in "biuf":
            dt = bool_ if v.dtype.kind == "b" else from_numpy_dtype(v.dtype)
        elif isinstance(v, bool):
            dt = bool_
        elif isinstance(v, int):
            dt = DEFAULT_INT
        elif isinstance(v, float):
            dt = default_float()
        else:
            raise _data_error(values, None) or _uninferable(v)
        found = dt if found is None else promote(found, dt)
    return default_float() if found is None else found


def _uninferable(v) -> Exception:
    if isinstance(v, str):
        return errors.EngineTypeError("new(): invalid data type 'str'")
    return errors.EngineRuntimeError(f"Could not infer dtype of {type(v).__name__}")


def _is_sequence(v) -> bool:
    return isinstance(v, (*_SEQUENCES, str, Tensor, np.ndarray))


def _data_sizes(data) -> list[int]:
    """torch's ``compute_sizes``: the lengths along the first elements (a string is a sequence
    of strings there, so a string reached this way has too many dimensions)."""
    sizes: list[int] = []
    v = data
    while _is_sequence(v):
        if isinstance(v, (Tensor, np.ndarray)):
            return sizes + list(v.shape)
        if isinstance(v, str) or len(sizes) >= 32:
            raise errors.EngineValueError(f"too many dimensions '{type(v).__name__}'")
        n = len(v)
        sizes.append(n)
        if n == 0:
            break
        v = v[0]
    return sizes


def _data_error(data, dtype) -> Exception | None:
    """The error torch's ``tensor()`` raises for malformed ``data`` (``dtype`` None: inferred),
    or None: sizes from the first elements, then the dtype inference, then every element in
    order (lengths, sequences where numbers belong and the reverse)."""
    try:
        sizes = _data_sizes(data)
    except errors.EngineValueError as exc:
        return exc
    if dtype is None:
        stack = [data]
        while stack:  # in order: the first element torch cannot infer is the one named
            v = stack.pop()
            if isinstance(v, _SEQUENCES):
                stack.extend(reversed(v))
            elif not isinstance(v, (Tensor, bool, int, float, np.bool_, np.integer,
                                    np.floating, np.ndarray)):
                return _uninferable(v)
        dtype = _infer_dtype(data)
    floating = dtype.is_floating_point

    def scalar(v) -> Exception | None:
        if isinstance(v, Tensor):
            if floating and v.numel() != 1:
                return errors.EngineValueError(
                    "only one element tensors can be converted to Python scalars")
            if not floating and (v.numel() != 1 or v.dtype.is_floating_point):
                return errors.EngineTypeError(
                    "only integer tensors of a single element can be converted to an index")
            return None
        if isinstance(v, (bool, int, float, np.bool_, np.integer, np.floating)):
            return None
        name = type(v).__name__
        return errors.EngineTypeError(f"must be real number, not {name}" if floating else
                                      f"'{name}' object cannot be interpreted as an integer")

    def walk(v, dim) -> Exception | None:
        if dim == len(sizes):
            return scalar(v)
        if not _is_sequence(v):
            return errors.EngineTypeError("not a sequence")
        n = v.shape[0] if isinstance(v, (Tensor, np.ndarray)) and v.ndim else len(v)
        if n != sizes[dim]:
            return errors.EngineValueError(
                f"expected sequence of length {sizes[dim]} at dim {dim} (got {n})")
        if isinstance(v, (Tensor, np.ndarray)):
            return None
        for item in v:
            err = walk(item, dim + 1)
            if err is not None:
                return err
        return None

    return walk(data, 0)


_ARRAY_LIST_WARNING = ("Creating a tensor from a list of numpy.ndarrays is extremely slow. "
                       "Please consider converting the list to a single numpy.ndarray with "
                       "numpy.array() before converting to a tensor.")
_ARRAY_LIST_WARNED: list = []


def _plain(values):
    if isinstance(values, (Tensor, np.ndarray)):
        return values.tolist()
    if isinstance(values, _SEQUENCES):
        return [_plain(v) for v in values]
    return values


def _has_long_overflow(data) -> bool:
    """Does (nested) ``data`` hold a Python int outside int64?"""
    if isinstance(data, (list, tuple)):
        return any(_has_long_overflow(x) for x in data)
    return type(data) is int and not -2 ** 63 <= data < 2 ** 63


def _copy_of(data: Tensor, dtype, device, requires_grad: bool) -> Tensor:
    """A new tensor with ``data``'s values (``torch.tensor(t)``, ``as_tensor`` of another dtype
    or device)."""
    from .memory_format import preserve_copy

    dt = data.dtype if dtype is None else as_dtype(dtype)
    # (torch's copy keeps the layout as clone() does: an expanded or otherwise overlapping
    # tensor's copy is dense in its own order of dims)
    if type(data._data) is np.ndarray:
        arr = preserve_copy(data._data, np, dt.np)
    elif data.device.type == "cpu":
        arr = data._data.astype(dt.np, copy=True)
    else:
        arr = data.device.xp.asnumpy(data._data).astype(dt.np)
    return _finish(arr, dt, device, requires_grad)


@op(kind="function")
def tensor(data, *, dtype=None, device=None, requires_grad=False):
    """Build a tensor from (nested) Python numbers, a NumPy array or another tensor (copied,
    with torch's warning)."""
    if isinstance(data, Tensor):
        import warnings

        warnings.warn(_TENSOR_COPY_WARNING, UserWarning, stacklevel=2)
        return _copy_of(data, dtype, device, requires_grad)
    if isinstance(data, np.ndarray):
        dt = from_numpy_dtype(data.dtype) if dtype is None else as_dtype(dtype)
        src = half_source(data) if dt is float16 else data
        return _finish(np.array(src, dtype=dt.np), dt, device, requires_grad)
    if isinstance(data, _SEQUENCES) and data and isinstance(data[0], np.ndarray):
        if data[0].ndim == 0:  # torch takes len() of the first element
            raise errors.EngineTypeError("len() of unsized object")
        if not _ARRAY_LIST_WARNED:
            _ARRAY_LIST_WARNED.append(True)  # (torch warns once per process)
            import warnings

            warnings.warn(_ARRAY_LIST_WARNING, UserWarning, stacklevel=2)
        err = _data_error(data, None if dtype is None else as_dtype(dtype))
        if err is not None:
            raise err
    if isinstance(data, _SEQUENCES) and data and isinstance(data[0], (str, *_SEQUENCES)):
        _data_sizes(data)  # a string where NumPy would read a number from it: torch refuses
    plain = _plain(data)
    if dtype is None:
        dt = _infer_dtype(data)  # (it refuses what is not a number)
    else:
        dt = as_dtype(dtype)
        if isinstance(plain, list):  # NumPy casts None, strings and objects: torch refuses
            try:
                kind = np.asarray(plain).dtype.kind
            except (ValueError, TypeError, OverflowError):
                kind = "O"
            if kind not in "biuf":
                err = _data_error(data, dt)
                if err is not None:
                    raise err
    if dt in SMALL_INTS:
        arr = _small_int_array(plain, dt)
        if arr is not None:
            check_numel(arr.shape)
            return _finish(arr, dt, device, requires_grad)
    try:
        if dt is float16:  # (a Python number reaches half through float, as c10::Half)
            with np.errstate(over="ignore"):
                arr = np.array(plain, dtype=np.float32).astype(np.float16)
        else:
            arr = np.array(plain, dtype=dt.np)
    except (ValueError, TypeError) as e:
        if "NaN to integer" in str(e):  # NaN into an integral dtype: torch's overflow check
            raise errors.EngineRuntimeError(f"value cannot be converted to type {dt.name} "
                                            "without overflow") from None
        raise _data_error(data, dt) or errors.EngineValueError(
            f"expected sequence of equal-length lists: {e}") from None
    except OverflowError:
        if _has_long_overflow(plain):  # torch reads every int as a C long long first
            raise errors.EngineValueError("Overflow when unpacking long long") from None
        raise errors.EngineRuntimeError(f"value cannot be converted to type {dt.name} "
                                        "without overflow") from None
    if arr.dtype == object:
        raise errors.EngineValueError("expected sequence of equal-length lists")
    check_numel(arr.shape)
    return _finish(arr, dt, device, requires_grad)


def _small_int_array(plain, dt):
    """``plain`` as an array of uint8/int8/int16 with torch's per-value overflow check (an int
    from the type's least to its greatest, -255 up for uint8, where negatives wrap; a float
    from least to greatest, NaN never), or None to take the general path."""
    try:
        wide = np.array(plain)
    except (ValueError, TypeError, OverflowError):
        return None
    if wide.dtype.kind not in "biuf":
        return None
    lim = np.iinfo(dt.np)
    lo = -int(lim.max) if dt.name == "uint8" else int(lim.min)
    if wide.dtype.kind == "f":
        bad = ~((wide >= lim.min) & (wide <= lim.max))
        if bad.any() and dt.name == "uint8":  # ints among the floats: each by its own rule
            items = np.array(plain, dtype=object).reshape(-1)
            ints = np.array([type(v) is int for v in items.tolist()], bool).reshape(wide.shape)
            bad = np.where(ints, (wide < lo) | (wide > lim.max), bad)
            if not bad.any():
                wide = np.where(ints, np.mod(wide, 256), wide)  # (exact: |int| <= 255)
    elif wide.dtype.kind in "iu":
        bad = (wide < lo) | (wide > lim.max)
    else:
        bad = np.zeros(wide.shape, bool)
    if bad.any():
        raise errors.EngineRuntimeError(f"value cannot be converted to type {dt.name} "
                                        "without overflow")
    return wide.astype(dt.np)


@op(kind="function")
def as_tensor(data, dtype=None, device=None):
    """Like ``tensor`` but shares storage with a tensor of the same dtype and device."""
    if isinstance(data, Tensor) and (dtype is None or as_dtype(dtype) is data.dtype) and \
            (device is None or as_device(device) == data.device):
        return data
    if isinstance(data, Tensor):  # a copy, without torch.tensor's warning
        return _copy_of(data, dtype, device, False)
    return tensor(data, dtype=dtype, device=device)


_F32 = np.dtype(np.float32)


def _scalar(x):
    return x.item() if isinstance(x, Tensor) else x


@op(kind="function")
def arange(start, end=None, step=1, *, dtype=None, device=None, requires_grad=False):
    """Values from ``start`` to ``end`` (exclusive) by ``step``; ``arange(n)`` is 0..n-1.

    As PyTorch: int64 truncates ``start``, ``end`` and ``step`` first; the other integer
    dtypes take the length from the exact bounds and the values from the truncated ones;
    float16 computes in float32, the other floats in double."""
    start, end, step = _scalar(start), _scalar(end), _scalar(step)
    if end is None:
        start, end = 0, start
    if dtype is None:
        is_float = isinstance(start, float) or isinstance(end, float) or \
            isinstance(step, float)
        dt = default_float() if is_float else DEFAULT_INT
    else:
        dt = as_dtype(dtype)
    if dt is bool_:
        raise errors.KernelNotImplemented(errors.NOT_IMPLEMENTED_FOR.format(
            kernel="arange_cpu", dtype="Bool"))
    if step == 0:
        raise errors.EngineRuntimeError("step must be nonzero")
    if not (step > 0 and end >= start or step < 0 and end <= start):
        raise errors.EngineRuntimeError("upper bound and lower bound inconsistent with step sign")
    if dt.np == np.int64 and any(  # (torch's checked read as int64_t, after the sign check)
            type(x) is int and not -2 ** 63 <= x < 2 ** 63 for x in (start, end, step)):
        raise errors.EngineRuntimeError(
            "value cannot be converted to type int64_t without overflow")
    if dt.is_floating_point:
        n = math.ceil((end - start) / step)
        ct = np.float32 if dt.np == np.float16 else np.float64
        if step == 1 and start == 0:  # ``+ 0. * 1.`` changes nothing (no -0. for step > 0)
            # (0 .. n-1 are exact in float32 too: made in the dtype itself, not cast)
            arr = np.arange(n, dtype=ct if n > 1 << 24 or dt.np is not _F32 else _F32)
        else:
            arr = ct(start) + np.arange(n, dtype=ct) * ct(step)
    else:
        s, e, st = int(start), int(end), int(step)
        if dt.np == np.int64:
            if st == 0:
                raise errors.EngineValueError("step must be nonzero")
            n = max(0, -((s - e) // st))  # ceil((e - s) / st) in integers
        else:
            n = math.ceil((end - start) / step)
        arr = s + np.arange(n, dtype=np.int64) * st
    check_numel((n,))
    return _finish(arr.astype(dt.np, copy=False), dt, device, requires_grad)  # (a new array)


def float_linspace(start: float, end: float, steps: int, dt):
    """torch's CPU linspace in ``dt``: the step in ``dt``, then ``start + step * i`` for the
    first half and ``end - step * (steps - 1 - i)`` for the rest, each fused (one rounding),
    emulated in a wider type."""
    wide = np.float64 if dt != np.float64 else np.longdouble
    if dt == np.float16:  # (the ends made half through float, as C++ does)
        start, end = half_number(float(start)), half_number(float(end))
    s, e = dt.type(start), dt.type(end)
    if dt == np.float16:
        # the step rounded to float16, the rest in float32 (torch's float16 linspace still
        # differs from this by an ulp at some points)
        step = dt.type((np.float32(e) - np.float32(s)) / np.float32(steps - 1)) \
            if steps > 1 else dt.type(0)
    else:
        step = (e - s) / dt.type(steps - 1) if steps > 1 else dt.type(0)
    idx = np.arange(steps)
    with np.errstate(all="ignore"):
        low = wide(s) + wide(step) * idx
        high = wide(e) - wide(step) * (steps - 1 - idx)
    out = np.where(idx < steps // 2, low, high)
    if steps == 1:  # one step is ``start``
        out[0] = wide(s)
    return (out.astype(np.float32) if dt == np.float16 else out).astype(dt)


@op(kind="function")
def linspace(start, end, steps, *, dtype=None, device=None, requires_grad=False):
    """``steps`` evenly spaced values from ``start`` to ``end`` inclusive."""
    dt = default_float() if dtype is None else as_dtype(dtype)
    steps = int(steps)
    if steps < 0:
        raise errors.EngineRuntimeError("number of steps must be non-negative")
    check_numel((steps,))
    start, end = _scalar(start), _scalar(end)
    if dt is bool_ and steps > 1:
        raise errors.KernelNotImplemented(errors.NOT_IMPLEMENTED_FOR.format(
            kernel="linspace_cpu", dtype="Bool"))
    if dt.is_floating_point:  # torch's kernel: the step and fused steps in the dtype
        return _finish(float_linspace(start, end, steps, dt.np), dt, device, requires_grad)
    if dt is not bool_ and steps:  # torch's kernel converts the ends it reads to the dtype
        # (checked; uint8 wraps): none for no steps, only ``start`` for one
        start = check_fits(start, dt)
        end = check_fits(end, dt) if steps > 1 else start
    if steps <= 1:  # (NaN and inf reach bool only here: nonzero is True)
        one = [bool(start) if dt is bool_ else int(start)] if steps else []
        return _finish(np.array(one, dtype=dt.np), dt, device, requires_grad)
    start, end = int(start), int(end)  # integer steps run between the truncated ends
    # PyTorch fills the first half from start and the second half from end
    arr = np.empty(steps, dtype=np.float64)
    if steps:
        step = (end - start) / (steps - 1) if steps > 1 else 0.0  # one step: ``start``
        half = steps // 2
        idx = np.arange(steps)
        arr[:half] = start + idx[:half] * step
        arr[half:] = end - (steps - 1 - idx[half:]) * step
        if steps == 1:
            arr[0] = start
    return _finish(np.trunc(arr).astype(dt.np), dt, device, requires_grad)


def _filled(size, value, dtype, device, requires_grad, default=None, name=None):
    shape = shape_arg(size)
    check_numel(shape)
    dt = (default or default_float()) if dtype is None else as_dtype(dtype, name)
    value = check_fits(value, dt)
    dev = _device(device)
    with dev.scope():
        arr = dev.xp.full(shape, value, dtype=dt.np)
    return _leaf(_wrap(arr, dt, dev), requires_grad)


@op(kind="function")
@_size_kw
def zeros(*size, dtype=None, device=None, requires_grad=False):
    """A tensor of zeros of the given size."""
    return _filled(size, 0, dtype, device, requires_grad, name="zeros")


@op(kind="function")
@_size_kw
def ones(*size, dtype=None, device=None, requires_grad=False):
    """A tensor of ones of the given size."""
    return _filled(size, 1, dtype, device, requires_grad, name="ones")


@op(kind="function")
@_size_kw
def empty(*size, dtype=None, device=None, requires_grad=False):
    """A tensor of the given size (filled with zeros here; never uninitialised memory)."""
    return _filled(size, 0, dtype, device, requires_grad, name="empty")


@op(kind="function")
def full(size, fill_value, *, dtype=None, device=None, requires_grad=False):
    """A tensor of the given size filled with ``fill_value``."""
    fill_value = _scalar(fill_value)
    if dtype is None:
        default = bool_ if isinstance(fill_value, bool) else DEFAULT_INT if \
            isinstance(fill_value, int) else default_float()
    else:
        default = None
    return _filled((size,), fill_value, dtype, device, requires_grad, default, "full")


@op(kind="function")
def eye(n, m=None, *, dtype=None, device=None, requires_grad=False):
    """The identity matrix (``n`` x ``m``)."""
    m = n if m is None else m
    check_numel((n, m))
    dt = default_float() if dtype is None else as_dtype(dtype)
    return _finish(np.eye(n, m, dtype=dt.np), dt, device, requires_grad)


def _like(input: Tensor, dtype, device):
    dt = input.dtype if dtype is None else as_dtype(dtype)
    dev = input.device if device is None else device
    return input._data.shape, dt, dev


@op(kind="function")
def zeros_like(input, *, dtype=None, device=None, requires_grad=False):
    """Zeros with the shape (and by default dtype and device) of ``input``."""
    shape, dt, dev = _like(input, dtype, device)
    return _filled((shape,), 0, dt, dev, requires_grad)


@op(kind="function")
def ones_like(input, *, dtype=None, device=None, requires_grad=False):
    """Ones with the shape (and by default dtype and device) of ``input``."""
    shape, dt, dev = _like(input, dtype, device)
    return _filled((shape,), 1, dt, dev, requires_grad)


@op(kind="function")
def empty_like(input, *, dtype=None, device=None, requires_grad=False):
    """A tensor shaped like ``input`` (zero-filled)."""
    shape, dt, dev = _like(input, dtype, device)
    return _filled((shape,), 0, dt, dev, requires_grad)


@op(kind="function")
def full_like(input, fill_value, *, dtype=None, device=None, requires_grad=False):
    """``fill_value`` with the shape (and by default dtype and device) of ``input``."""
    shape, dt, dev = _like(input, dtype, device)
    return _filled((shape,), _scalar(fill_value), dt, dev, requires_grad)


# --------------------------------------------------------------------------- random
def _random(size, dtype, device, generator, draw, requires_grad, default=None):
    shape = shape_arg(size)
    check_numel(shape)
    dt = (default or default_float()) if dtype is None else as_dtype(dtype)
    dev = _device(device)
    gen = current_generator(dev, generator)
    with dev.scope():
        arr = draw(gen, shape, dt)
    return _leaf(_wrap(arr, dt, dev), requires_grad)


def _float_only(dt, name):
    if not dt.is_floating_point:
        raise errors.KernelNotImplemented(errors.NOT_IMPLEMENTED_FOR.format(
            kernel=name, dtype=_scalar_name(dt)))


def _scalar_name(dt):
    return dt.scalar_name if dt.name in ("int64", "int32", "int16", "int8", "uint8", "bool") \
        else dt.name


def _uniform(gen, shape, dt):
    _float_only(dt, "check_uniform_bounds")
    return _rand.uniform(gen, shape, dt)


def _normal(gen, shape, dt):
    if math.prod(shape):  # PyTorch's normal kernel never runs on an empty tensor
        _float_only(dt, "normal_kernel_cpu")
    return _rand.normal(gen, shape, dt if dt.is_floating_point else float32).astype(
        dt.np, copy=False)


@op(kind="function")
@_size_kw
def rand(*size, generator=None, dtype=None, device=None, requires_grad=False):
    """Uniform random numbers in [0, 1)."""
    return _random(size, dtype, device, generator, _uniform, requires_grad)


@op(kind="function")
@_size_kw
def randn(*size, generator=None, dtype=None, device=None, requires_grad=False):
    """Standard normal random numbers."""
    return _random(size, dtype, device, generator, _normal, requires_grad)


@op(kind="function")
def rand_like(input, *, dtype=None, device=None, requires_grad=False):
    """Uniform random numbers in [0, 1) shaped like ``input``."""
    shape, dt, dev = _like(input, dtype, device)
    return _random((shape,), dt, dev, None, _uniform, requires_grad)


@op(kind="function")
def randn_like(input, *, dtype=None, device=None, requires_grad=False):
    """Standard normal random numbers shaped like ``input``."""
    shape, dt, dev = _like(input, dtype, device)
    return _random((shape,), dt, dev, None, _normal, requires_grad)


_INT_BOUNDS = {"bool": ("bool", 0, 1), "int32": ("int", -2 ** 31, 2 ** 31 - 1),
               "int16": ("short int", -2 ** 15, 2 ** 15 - 1),
               "int8": ("signed char", -2 ** 7, 2 ** 7 - 1),
               "uint8": ("unsigned char", 0, 2 ** 8 - 1),
               "int64": ("long", -2 ** 63, 2 ** 63 - 1)}


@op(kind="function", differentiable=False)
def randint(low=0, high=None, size=None, *, generator=None, dtype=None, device=None,
            requires_grad=False):
    """Random integers in [low, high) of the given size (``randint(high, size)`` too)."""
    if size is None:
        if high is None or not isinstance(high, (tuple, list)):
            raise errors.EngineTypeError("randint() missing required argument 'size'")
        low, high, size = 0, low, high
    if high is None:
        low, high = 0, low
    if low >= high:
        raise errors.EngineRuntimeError(
            f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")
    dt = DEFAULT_INT if dtype is None else as_dtype(dtype)
    bounds = _INT_BOUNDS.get(dt.name)
    if bounds is not None:
        c_name, lo, hi = bounds
        for what, v in (("from", low), ("to - 1", high - 1)):
            if not lo <= v <= hi:
                raise errors.EngineRuntimeError(f"{what} is out of bounds for {c_name}")

    def draw(gen, shape, dt):
        return _rand.integers(gen, shape, dt, low, high)

    return _random((size,), dtype, device, generator, draw, requires_grad, DEFAULT_INT)


def randint_like(input, *args, generator=None, dtype=None, device=None, requires_grad=False,
                 **kwargs):
    """Random integers in [low, high) shaped like ``input``, in its dtype by default
    (``randint_like(input, high)``, ``randint_like(input, low, high)``; ``high`` may be a 0-d
    tensor): ``random_(low, high)`` on ``empty_like(input)``, so the draws follow its memory
    order."""
    from . import signatures

    low, high = _low_high(args, kwargs)
    if low is None:
        text = signatures.refusal("randint_like", "function", (input, *args), kwargs)
        raise errors.EngineTypeError(text or "randint_like() missing required argument 'high'")
    if isinstance(high, Tensor):
        if high.ndim or high.device.type != "cpu":
            raise errors.EngineRuntimeError("high must be a scalar tensor and on CPU")
        high = int(high.item())
    shape, dt, dev = _like(input, dtype, device)
    out = _filled((shape,), 0, dt, dev, False)
    from .samplers import random_

    random_(out, low, high, generator=generator)
    return _leaf(out, requires_grad)


def _low_high(args: tuple, kwargs: dict):
    """``(low, high)`` of randint_like's overloads, or ``(None, None)`` where none binds."""
    ints = (int, np.integer)
    if set(kwargs) - {"low", "high"} or len(args) > 2:
        return None, None
    if len(args) == 2 and not kwargs:
        low, high = args
    elif len(args) == 1 and set(kwargs) <= {"high"}:
        low, high = (args[0], kwargs["high"]) if kwargs else (0, args[0])
    elif not args and "high" in kwargs:
        low, high = kwargs.get("low", 0), kwargs["high"]
        if "low" in kwargs and isinstance(high, Tensor):
            return None, None
    else:
        return None, None
    if isinstance(low, Tensor) and low.ndim == 0 and not low.dtype.is_floating_point:
        low = int(low.item())
    if isinstance(high, Tensor) and (len(args) == 2 or "low" in kwargs) and high.ndim == 0 \
            and not high.dtype.is_floating_point:
        high = int(high.item())  # (a 0-d integer tensor binds to ``int high``)
    ok_low = isinstance(low, ints) and not isinstance(low, bool)
    ok_high = isinstance(high, Tensor) or isinstance(high, ints) and not isinstance(high, bool)
    return (low, high) if ok_low and ok_high else (None, None)


_signature = inspect.Signature(
    [inspect.Parameter("input", inspect.Parameter.POSITIONAL_OR_KEYWORD),
     inspect.Parameter("low", inspect.Parameter.POSITIONAL_OR_KEYWORD, default=0),
     inspect.Parameter("high", inspect.Parameter.POSITIONAL_OR_KEYWORD, default=None)]
    + [inspect.Parameter(n, inspect.Parameter.KEYWORD_ONLY, default=d)
       for n, d in (("generator", None), ("dtype", None), ("device", None),
                    ("requires_grad", False))])
randint_like.__signature__ = _signature
register("randint_like", randint_like, kind="function", differentiable=False)


@op(kind="function", differentiable=False)
def randperm(n, *, generator=None, dtype=None, device=None, requires_grad=False):
    """A random permutation of 0..n-1."""
    if getattr(dtype, "name", None) == "bool":  # torch's kernel has no bool variant
        raise errors.KernelNotImplemented(errors.NOT_IMPLEMENTED_FOR.format(
            kernel="randperm", dtype="Bool"))
    return _random(((int(n),),), dtype, device, generator,
                   lambda gen, shape, dt: _rand.permutation(gen, shape[0]).astype(dt.np),
                   requires_grad, DEFAULT_INT)


@op(kind="function", grad_fns=("NormalBackward1", "NormalBackward2", "NormalBackward3"))
def normal(mean=0.0, std=1.0, size=None, *, generator=None, dtype=None, device=None,
           requires_grad=False):
    """Normal random numbers with the given mean and std (scalars or tensors, broadcast)."""
    from .. import ops

    def _check_std(s):
        if isinstance(s, Tensor):
            if s.numel() and not s.min().item() >= 0:  # NaN fails too, as torch's check
                raise errors.EngineRuntimeError("normal expects all elements of std >= 0.0")
        elif not s >= 0:
            raise errors.EngineRuntimeError(f"normal expects std >= 0.0, but found std {s:g}")

    _check_std(std)
    if isinstance(mean, Tensor) or isinstance(std, Tensor):
        ref = mean if isinstance(mean, Tensor) else std
        shape = ops.broadcast_shapes(getattr(mean, "shape", ()), getattr(std, "shape", ()))
        noise = randn(shape, generator=generator, dtype=ref.dtype, device=ref.device)
        from ..modes import no_grad

        with no_grad():  # in the result's dtype (mean's, else std's), as torch's in place steps
            out = noise.mul_(std).add_(mean)
        given = tuple(t for t in (mean, std) if isinstance(t, Tensor))
        if needs_grad(*given):  # torch's rule: zero gradients (nothing is reparameterized)
            from ..autograd import record

            node = "NormalBackward3" if len(given) == 2 else \
                "NormalBackward1" if isinstance(mean, Tensor) else "NormalBackward2"
            record(out, node, tuple((lambda g: zeros_like(g)) for _ in given), given)
        return out
    if size is None:
        raise errors.EngineTypeError("normal() missing required argument 'size'")
    shape = shape_arg(size)
    check_numel(shape)
    dt = default_float() if dtype is None else as_dtype(dtype)
    if math.prod(shape):
        _float_only(dt, "normal_kernel_cpu")
    dev = _device(device)
    gen = current_generator(dev, generator)
    with dev.scope():  # torch's normal_(mean, std) on the new tensor
        arr = _rand.normal(gen, shape, dt if dt.is_floating_point else float32,
                           float(mean), float(std)).astype(dt.np, copy=False)
    return _leaf(_wrap(arr, dt, dev), requires_grad)


# --------------------------------------------------------------------------- more factories
@op(kind="function", differentiable=False)
def logspace(start, end, steps, base=10.0, *, dtype=None, device=None, requires_grad=False):
    """``steps`` values ``base ** e`` for exponents ``e`` evenly spaced from ``start`` to
    ``end`` inclusive."""
    dt = default_float() if dtype is None else as_dtype(dtype)
    if dt is bool_ and int(steps) > 1:
        raise errors.KernelNotImplemented(errors.NOT_IMPLEMENTED_FOR.format(
            kernel="logspace_cpu", dtype="Bool"))
    if not dt.is_floating_point and int(steps) > 1:
        return _int_logspace(start, end, int(steps), base, dt, device, requires_grad)
    exponents = linspace(start, end, steps, dtype=float64)._data
    with np.errstate(all="ignore"):
        arr = np.power(float(_scalar(base)), exponents)
    if not dt.is_floating_point and dt is not bool_:
        if int(steps) == 1 and arr.size:  # one value: written as a Scalar (checked), as torch
            check_fits(float(arr[0]), dt)
        arr = np.trunc(arr)
    return _finish(arr.astype(dt.np), dt, device, requires_grad)


def _int_logspace(start, end, steps: int, base, dt, device, requires_grad) -> Tensor:
    """torch's integer kernel (``steps > 1``): the ends converted to the dtype (checked; a
    negative int wraps into uint8: -2 is 254), the step ``(end - start) / (steps - 1)`` from
    them, the first half of the exponents counted from ``start`` and the rest from ``end``,
    ``base ** e`` in double cast to the dtype as x86 converts (through int32, wrapping)."""
    check_numel((steps,))
    start = math.trunc(check_fits(_scalar(start), dt))
    end = math.trunc(check_fits(_scalar(end), dt))
    step = (end - start) / (steps - 1)
    idx = np.arange(steps)
    half = steps // 2
    exponents = np.where(idx < half, start + step * idx, end - step * (steps - 1 - idx))
    with np.errstate(all="ignore"):
        arr = np.trunc(np.power(float(_scalar(base)), exponents))
        # x86's conversion: through int32 (int64 for int64); out of range or NaN: the minimum
        bits = 63 if dt.name == "int64" else 31
        wide = np.where(np.abs(arr) < 2.0 ** bits, arr, -(2.0 ** bits))
        arr = wide.astype(np.int64).astype(dt.np)
    return _finish(arr, dt, device, requires_grad)


def _tri_indices(name: str, row, col, offset, dtype, device, lower: bool,
                 requires_grad: bool) -> Tensor:
    dt = DEFAULT_INT if dtype is None else as_dtype(dtype)
    if dt.name not in ("int64", "int32"):
        raise errors.KernelNotImplemented(errors.NOT_IMPLEMENTED_FOR.format(
            kernel=name, dtype=dt.scalar_name))
    if requires_grad:  # (its dtypes are integral)
        raise errors.EngineRuntimeError(errors.FLOAT_REQUIRES_GRAD)
    for what, n in (("row", row), ("col", col)):
        if n < 0:
            raise errors.EngineRuntimeError(f"{what} must be non-negative, got{n}")
    pick = np.tril_indices if lower else np.triu_indices
    rows, cols = pick(int(row), int(offset), int(col))
    check_numel((2, rows.size))
    return _finish(np.stack([rows, cols]).astype(dt.np).reshape(2, -1), dt, device, False)


@op(kind="function", differentiable=False)
def tril_indices(row, col, offset=0, *, dtype=None, device=None, requires_grad=False):
    """The (row, column) indices of the lower triangle of a ``row`` x ``col`` matrix (on and
    below diagonal ``offset``), as a 2 x N tensor in row-major order."""
    return _tri_indices("tril_indices", row, col, offset, dtype, device, True, requires_grad)


@op(kind="function", differentiable=False)
def triu_indices(row, col, offset=0, *, dtype=None, device=None, requires_grad=False):
    """The (row, column) indices of the upper triangle of a ``row`` x ``col`` matrix (on and
    above diagonal ``offset``), as a 2 x N tensor in row-major order."""
    return _tri_indices("triu_indices", row, col, offset, dtype, device, False, requires_grad)


# --------------------------------------------------------------------------- Tensor.new_*
def _new_size(name: str, size: tuple, kwargs: dict) -> tuple:
    if "size" in kwargs:
        if size:
            raise errors.EngineTypeError(f"{name}() got multiple values for argument 'size'")
        size = (kwargs.pop("size"),)
    if not size:
        raise errors.EngineTypeError(f'{name}() missing 1 required positional arguments: "size"')
    return size


def _new_filled(self: Tensor, name: str, size: tuple, value, dtype, device, requires_grad,
                kwargs: dict) -> Tensor:
    size = _new_size(name, size, kwargs)
    if kwargs:
        raise errors.EngineTypeError(
            f"{name}() got an unexpected keyword argument '{next(iter(kwargs))}'")
    dt = self.dtype if dtype is None else as_dtype(dtype, name)
    return _filled(size, value, dt, self.device if device is None else device, requires_grad)


@op(kind="method", differentiable=False)
def new_zeros(self, *size, dtype=None, device=None, requires_grad=False, **kwargs):
    """Zeros of the given size, with this tensor's dtype and device unless given."""
    return _new_filled(self, "new_zeros", size, 0, dtype, device, requires_grad, kwargs)


@op(kind="method", differentiable=False)
def new_ones(self, *size, dtype=None, device=None, requires_grad=False, **kwargs):
    """Ones of the given size, with this tensor's dtype and device unless given."""
    return _new_filled(self, "new_ones", size, 1, dtype, device, requires_grad, kwargs)


@op(kind="method", differentiable=False)
def new_empty(self, *size, dtype=None, device=None, requires_grad=False, **kwargs):
    """A tensor of the given size with this tensor's dtype and device unless given
    (zero-filled here; never uninitialised memory)."""
    return _new_filled(self, "new_empty", size, 0, dtype, device, requires_grad, kwargs)


@op(kind="method", differentiable=False)
def new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad=False):
    """``fill_value`` in the given size, with this tensor's dtype and device unless given."""
    return _new_filled(self, "new_full", (size,), _scalar(fill_value), dtype, device,
                       requires_grad, {})


def _size_signature(*fns) -> None:
    """Show ``new_zeros(size, *, dtype=None, ...)`` in the catalog, as PyTorch documents it
    (the functions also take the size as several ints, or as ``size=``)."""
    import inspect

    P = inspect.Parameter
    params = [P("self", P.POSITIONAL_ONLY), P("size", P.POSITIONAL_OR_KEYWORD)] + [
        P(name, P.KEYWORD_ONLY, default=d) for name, d in
        (("dtype", None), ("device", None), ("requires_grad", False))]
    for fn in fns:
        fn.__signature__ = inspect.Signature(params)


_size_signature(new_zeros, new_ones, new_empty)

_NEW_TENSOR_WARNING = (
    "To copy construct from a tensor, it is recommended to use sourceTensor.detach().clone() or "
    "sourceTensor.detach().clone().requires_grad_(True), rather than tensor.new_tensor("
    "sourceTensor).")
_TENSOR_COPY_WARNING = _NEW_TENSOR_WARNING.replace("tensor.new_tensor(", "torch.tensor(")


@op(kind="method", differentiable=False)
def new(self, *args, **kwargs):
    """torch's legacy ``Tensor.new``: ``x.new(2, 3)`` (a size), ``x.new([1, 2])`` (data) or
    ``x.new(t)`` (an alias of a tensor of ``x``'s dtype), in ``x``'s dtype and device."""
    from ..legacy import new as legacy_new

    if self.device.type == "cpu" or (len(args) == 1 and isinstance(args[0], Tensor)):
        return legacy_new(self.dtype, *args, **kwargs)
    return legacy_new(self.dtype, *args, **kwargs).to(self.device)


@op(kind="method", differentiable=False)
def new_tensor(self, data, *, dtype=None, device=None, requires_grad=False):
    """A new tensor (a copy) of ``data``, with this tensor's dtype and device unless given."""
    if isinstance(data, Tensor):
        import warnings

        warnings.warn(_NEW_TENSOR_WARNING, UserWarning, stacklevel=2)
    dt = self.dtype if dtype is None else as_dtype(dtype, "new_tensor")
    if isinstance(data, Tensor):
        values = data.detach()
    else:
        values = _plain(data)
        _infer_dtype(values)  # the same TypeError as tensor() for what is not a number
    return tensor(values, dtype=dt, device=self.device if device is None else device,
                  requires_grad=requires_grad)
