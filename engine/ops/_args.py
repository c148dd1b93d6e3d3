"""Argument handling shared by ops: promotion, devices, dims, Python scalars."""

from __future__ import annotations

import numbers

import numpy as np

from .. import errors
from ..device import default_device
from ..dtypes import (
    DType,
    bool_,
    default_float,
    half_number,
    half_source,
    promote,
    result_type,
    scalar_dtype,
)
from ..tensor import Tensor

Number = (int, float, bool, np.number, np.bool_)


def is_scalar(x) -> bool:
    return isinstance(x, Number) and not isinstance(x, Tensor)


def check_same_device(a: Tensor, b: Tensor) -> None:
    if a.device is not b.device and a.device != b.device:
        # 0-d CPU tensors mix with any device, as in PyTorch
        if a._data.ndim == 0 and a.device.type == "cpu":
            return
        if b._data.ndim == 0 and b.device.type == "cpu":
            return
        raise errors.EngineRuntimeError(errors.DEVICE_MISMATCH.format(a=a.device, b=b.device))


_promo_cache: dict = {}


def promote_args(*xs) -> DType:
    """The result dtype of an elementwise op over tensors and Python scalars."""
    key = tuple(
        (x.dtype, x._data.ndim == 0) if type(x) is Tensor else
        _big_int_key(x) if type(x) is int and not -_INT64_LIMIT <= x < _INT64_LIMIT else
        type(x) for x in xs)
    if float in key:  # a Python float takes the context's default dtype
        key = (*key, default_float())
    dt = _promo_cache.get(key)
    if dt is None:
        if _UINT64_KEY in key:  # a uint64 Scalar: bool tensors alone cannot promote with it
            cats = [x.dtype for x in xs if type(x) is Tensor] + \
                [scalar_dtype(x) for x in xs if type(x) is not Tensor and type(x) is not int]
            if cats and all(d is bool_ for d in cats):
                raise errors.EngineRuntimeError(UINT64_PROMOTION)
        dim = zero = scal = None
        for x in xs:
            if type(x) is Tensor:
                if x._data.ndim:
                    dim = x.dtype if dim is None else promote(dim, x.dtype)
                else:
                    zero = x.dtype if zero is None else promote(zero, x.dtype)
            else:
                sd = scalar_dtype(x)
                scal = sd if scal is None else promote(scal, sd)
        dt = result_type(dim, zero, scal)
        _promo_cache[key] = dt
    return dt


_UINT64_KEY = "uint64"  # promote_args' cache key for an int of 2**63 up


def _big_int_key(x: int) -> str:
    """An int beyond int64: a uint64 Scalar, or Python's OverflowError as torch's parser."""
    check_scalar_int(x)
    return _UINT64_KEY
_broadcast_cache: dict = {}  # (shape, shape) -> the shape they broadcast to


def broadcast_shape(*shapes) -> tuple[int, ...]:
    """The shape that operands of these shapes broadcast to (PyTorch's text when they don't)."""
    if len(shapes) == 2:  # (the binary ops': the pairs a program uses repeat every step)
        key = (shapes[0], shapes[1])
        out = _broadcast_cache.get(key)
        if out is None and type(key[0]) is tuple and type(key[1]) is tuple:
            out = _broadcast_shape(shapes)
            if len(_broadcast_cache) >= 4096:
                _broadcast_cache.clear()
            _broadcast_cache[key] = out
        if out is not None:
            return out
    return _broadcast_shape(shapes)


def _broadcast_shape(shapes) -> tuple[int, ...]:
    out: tuple[int, ...] = ()
    for s in shapes:
        s = tuple(s)
        if s != out:
            out = broadcast_pair(out, s)
    return out


def broadcast_pair(a, b) -> tuple[int, ...]:
    """The shape ``a`` and ``b`` broadcast to (torch's ``infer_size``): the sizes are checked
    from the last dimension, so the first mismatch from the right is the one named."""
    n = max(len(a), len(b))
    a2, b2 = (1,) * (n - len(a)) + tuple(a), (1,) * (n - len(b)) + tuple(b)
    for i in range(n - 1, -1, -1):
        x, y = a2[i], b2[i]
        if x != y and x != 1 and y != 1:
            raise errors.EngineRuntimeError(errors.BROADCAST.format(a=x, b=y, dim=i))
    return tuple(y if x == 1 else x for x, y in zip(a2, b2, strict=True))


def py_scalar(x):
    """NumPy scalars become Python scalars (so NumPy treats them as weak, like PyTorch)."""
    if isinstance(x, (bool, np.bool_)):
        return bool(x)
    if isinstance(x, numbers.Integral):
        return int(x)
    if isinstance(x, numbers.Real):
        return float(x)
    raise errors.EngineTypeError(f"expected a Tensor or a number, got {type(x).__name__}")


def operand(x, dtype: DType):
    """The array (or Python scalar) to feed NumPy for an input, cast to ``dtype``."""
    if type(x) is Tensor:
        arr = x._data
        if arr.dtype == dtype.np:
            return arr
        return (half_source(arr) if dtype.name == "float16" else arr).astype(dtype.np)
    if type(x) is int:
        if not -_INT64_LIMIT <= x < _UINT64_LIMIT:
            check_scalar_int(x)
        if not dtype.is_floating_point and dtype is not bool_:
            return wrap_int(x, dtype)
        return x
    if type(x) is float:
        return half_number(x) if dtype.name == "float16" else x
    return py_scalar(x) if not isinstance(x, (int, float, bool)) else x


def wrap_int(x: int, dtype: DType) -> int:
    """A Python int as torch writes it into an integer dtype: a uint64 Scalar (2**63 up) is
    read as int64 (wrapping to the negatives), then cast to ``dtype`` (int32 keeps the low 32
    bits), never NumPy's OverflowError."""
    bits = 8 * dtype.np.itemsize
    if dtype.name == "uint8":  # unsigned: the low 8 bits (-1 is 255)
        return x & 0xFF
    half = 1 << (bits - 1)
    if -half <= x < half:
        return x
    return ((x + half) & ((1 << bits) - 1)) - half


UINT64_PROMOTION = ("Promotion for uint16, uint32, uint64 types is not supported, attempted to "
                    "promote Bool and UInt64")


def check_int_scalar_conversion(value, dtype: DType) -> None:
    """torch's checked conversion of an int Scalar (``alpha``, an exponent, a bound) to an
    integer dtype's C type: out of its range is an overflow (a uint64 Scalar into int64 too)."""
    check_scalar_int(value)
    if type(value) is int and not dtype.is_floating_point and dtype is not bool_:
        bits = 8 * dtype.np.itemsize
        lo = -255 if dtype.name == "uint8" else -(1 << (bits - 1))  # (unsigned: -255..255)
        if not lo <= value < (256 if dtype.name == "uint8" else 1 << (bits - 1)):
            raise errors.EngineRuntimeError(
                f"value cannot be converted to type {_C_TYPE_NAMES[dtype.name]} without "
                "overflow")


_INT64_LIMIT, _UINT64_LIMIT = 2 ** 63, 2 ** 64


def check_scalar_int(value) -> None:
    """torch's conversion of a Python int to a Scalar: an int64, or a uint64 above int64's
    range; an int beyond both raises Python's own OverflowError texts."""
    if type(value) is int and not -_INT64_LIMIT <= value < _UINT64_LIMIT:
        raise errors.EngineOverflowError("int too big to convert" if value > 0 else
                                         "can't convert negative int to unsigned")


def device_of(*xs):
    dev = None
    first = None
    for x in xs:
        if type(x) is Tensor:
            if dev is None:
                dev, first = x.device, x
            elif x.device is not dev:
                check_same_device(first, x)
                if first._data.ndim == 0 and first.device.type == "cpu":
                    dev, first = x.device, x
    if dev is None:
        dev = default_device()
    return dev


def ensure_tensor(x, dtype: DType | None = None, device=None) -> Tensor:
    if type(x) is Tensor:
        return x
    from .creation import tensor

    return tensor(x, dtype=dtype, device=device)


def float_dtype(dt: DType) -> DType:
    """Integer and bool inputs of a floating op compute in the default float dtype."""
    return dt if dt.is_floating_point else default_float()


def norm_dim(dim: int, ndim: int) -> int:
    n = max(ndim, 1)
    if not -n <= dim < n:
        raise errors.EngineIndexError(errors.DIM_RANGE.format(lo=-n, hi=n - 1, dim=dim))
    return dim + n if dim < 0 else dim


def norm_dims(dim, ndim: int) -> tuple[int, ...]:
    """``dim`` as a sorted tuple of non-negative axes (None or () means all)."""
    if dim is None:
        return tuple(range(ndim))
    if isinstance(dim, (int, np.integer)):
        dims = (int(dim),)
    else:
        dims = tuple(int(d) for d in dim)
        if not dims:
            return tuple(range(ndim))
    out = tuple(sorted({norm_dim(d, ndim) for d in dims}))
    if len(out) != len(dims):
        raise errors.EngineRuntimeError(
            f"dim {dims[0]} appears multiple times in the list of dims")
    if ndim == 0:
        return ()
    return out


def shape_arg(size) -> tuple[int, ...]:
    """``zeros(2, 3)``, ``zeros((2, 3))``, ``zeros([2, 3])`` and ``zeros(Size)`` all mean (2, 3)."""
    if len(size) == 1 and not isinstance(size[0], (int, np.integer)):
        size = size[0]
        if isinstance(size, Tensor):
            size = size.tolist()
    out = []
    for s in size:
        if isinstance(s, Tensor):
            s = s.item()
        if not isinstance(s, (int, np.integer)) or isinstance(s, bool):
            raise errors.EngineTypeError(
                f"expected a sequence of integers as a size, but got {type(s).__name__}")
        if s < 0:
            raise errors.EngineRuntimeError(
                f"Trying to create tensor with negative dimension {s}: {list(size)}")
        out.append(int(s))
    return tuple(out)



_C_TYPE_NAMES = {"int32": "int", "int16": "int16_t", "int8": "int8_t",
                 "uint8": "uint8_t", "int64": "int64_t", "float16": "c10::Half",
                 "float32": "float", "float64": "double"}


def check_fits(value, dt: DType):
    """PyTorch's check before writing a Python number into a tensor of ``dt`` (``full``,
    ``fill_``, ``masked_fill``): NaN or a value out of range for an integer dtype, a finite
    value beyond a float dtype's largest, is an overflow. Negative values and bools pass.
    Returns the value to write: a negative int into uint8 wrapped (-1 is 255), a float into
    float16 through float32 (``half_number``)."""
    check_scalar_int(value)
    if dt.name == "bool" or isinstance(value, (bool, np.bool_)) or not is_scalar(value):
        return value
    if dt.is_floating_point:
        f = float(value) if not isinstance(value, int) or abs(value) < 2 ** 1000 else np.inf
        over = np.isfinite(f) and abs(f) > float(np.finfo(dt.np).max)
    else:
        lim = np.iinfo(dt.np)
        if isinstance(value, (float, np.floating)):
            over = not (float(lim.min) <= value <= float(lim.max))  # NaN too
        elif dt.name == "uint8":  # torch's unsigned check lets -255..-1 through (they wrap)
            over = not (-int(lim.max) <= int(value) <= lim.max)
        else:
            over = not (lim.min <= int(value) <= lim.max)
    if over:
        raise errors.EngineRuntimeError(
            f"value cannot be converted to type {_C_TYPE_NAMES[dt.name]} without overflow")
    if dt.name == "uint8" and isinstance(value, (int, np.integer)) and \
            not isinstance(value, (bool, np.bool_)) and value < 0:
        return int(value) & 0xFF
    return half_number(value) if dt.name == "float16" else value
