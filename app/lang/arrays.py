"""NumPy arrays as programs hold them: what ``Tensor.numpy()`` returns.

A program gets an :class:`Array`, never NumPy itself: a read-only view of the tensor's memory
(so, as in torch, an in-place change of the tensor shows in the array), printed as NumPy prints
it, with NumPy's ``shape ndim size dtype T``, integer and slice indexing, iteration, ``len``,
``tolist item copy astype reshape flatten transpose squeeze round`` and the reductions
``sum mean max min argmax argmin std var prod any all cumsum`` (``axis=``, ``keepdims=``),
and elementwise arithmetic and comparisons with numbers and other arrays. Every result is an
:class:`Array` again or a scalar; results are bounded like tensors (``max_tensor_elements``)
and their memory counts for the session. Writing into an array, fancy indexing (lists, arrays
as indices) and NumPy's functions are refused: ``torch.tensor(a)`` (a copy),
``torch.from_numpy(a)``, ``torch.as_tensor(a)`` and ``torch.asarray(a)`` (sharing the array's
memory, as torch's do) bring the values back to tensors, where everything is.
"""

from __future__ import annotations

import math
import operator
from typing import Any

import numpy as np

import engine

from .errors import ProgramError
from .runtime import current_rs

Tensor = engine.Tensor


class ArrayDType:
    """An array's ``dtype``: prints ``float32``, reprs ``dtype('float32')``, equals its name."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __str__(self) -> str:
        return self.name

    def __repr__(self) -> str:
        return f"dtype('{self.name}')"

    def __eq__(self, other: Any) -> bool:
        if isinstance(other, ArrayDType):
            return other.name == self.name
        return isinstance(other, str) and other == self.name

    def __hash__(self) -> int:
        return hash(self.name)


def _readonly(arr: np.ndarray) -> np.ndarray:
    view = arr.view()
    view.flags.writeable = False
    return view


def _scalar(value: Any) -> Any:
    """A NumPy scalar as the program holds it: floats stay NumPy's (``np.float32(0.1)`` prints
    ``0.1``); integers and booleans become Python's (so every guard on ints applies)."""
    if isinstance(value, np.floating):
        return value
    if isinstance(value, np.generic):
        return value.item()
    return value


def _check_elements(n: int) -> None:
    rs = current_rs()
    limit = rs.limits.max_tensor_elements
    if n > limit:
        raise rs.limit_error(f"a NumPy array would have {n} elements, over the limit of {limit} "
                             "(max_tensor_elements)", "max_tensor_elements", limit)


def wrap(arr: Any) -> Any:
    """A NumPy result as a program value: an :class:`Array` (its memory accounted, and held by
    a tensor so the session's memory walk finds it) or a scalar."""
    if not isinstance(arr, np.ndarray):
        return _scalar(arr)
    rs = current_rs()
    rs.alloc += arr.nbytes
    if rs.alloc > rs.alloc_budget:
        rs.allocated(0)
    owner = engine.from_numpy(arr)
    return Array(owner._data, owner)


def from_tensor(t: Tensor, force: bool = False) -> Array:
    """``t.numpy(force=...)``: torch's errors for tensors that require grad or live on a GPU
    (unless ``force``); the array shares the tensor's memory on the CPU."""
    return Array(t.numpy(force=force), owner=t)


def array_tensor(a: Array) -> Tensor:
    """A tensor of the array's values (a copy): ``tensor <op> array`` and ``torch.tensor(a)``
    as torch gives them."""
    return engine.from_numpy(np.array(a._view, copy=True))


#: Ops that take a program's array as their data (a copy of it), as torch's take ndarrays.
ARRAY_TAKING_OPS = frozenset({"tensor", "as_tensor", "asarray"})


def shared_tensor(a: Array) -> Tensor:
    """A tensor over the array's own memory, as torch's ``from_numpy``/``as_tensor`` give: an
    in-place change through it shows in the array and in the tensor the array came from (the
    program's array itself stays read-only). Memory that NumPy will not let be written (a
    broadcast view) is copied instead."""
    view = a._view.view()
    try:
        view.flags.writeable = True
    except ValueError:
        return array_tensor(a)
    return engine.from_numpy(view)


def from_numpy(rs: Any, a: Any) -> Tensor:
    """``torch.from_numpy(a)``: a tensor sharing the array's memory, as torch's."""
    if type(a) is not Array:
        raise ProgramError(f"expected np.ndarray (got {type(a).__name__})",
                           exception="TypeError")
    return shared_tensor(a)


_NUMBER = (int, float, bool, np.generic)


def _operand(value: Any) -> Any:
    if isinstance(value, Array):
        return value._view
    if isinstance(value, _NUMBER):
        return value
    return None


def _binary(op: Any, swap: bool = False) -> Any:
    def run(self: Array, other: Any) -> Any:
        b = _operand(other)
        if b is None:
            return NotImplemented
        a = self._view
        shape = np.broadcast_shapes(a.shape, np.shape(b))
        _check_elements(math.prod(shape))
        try:
            out = op(b, a) if swap else op(a, b)
        except (TypeError, ValueError, ZeroDivisionError, FloatingPointError) as exc:
            raise ProgramError(str(exc), exception=type(exc).__name__) from None
        return wrap(out)

    return run


class Array:
    """A read-only NumPy array in a program (see the module doc). No ``__index__``: a
    one-element array cannot stand for an int where the language guards ints
    (``[0] * a``)."""

    __slots__ = ("_view", "_owner")

    def __init__(self, arr: np.ndarray, owner: Tensor) -> None:
        self._view = _readonly(arr)
        self._owner = owner  # the tensor whose memory it shows (for the session's memory walk)

    # ------------------------------------------------------------------ text
    def __repr__(self) -> str:
        return repr(self._view)

    def __str__(self) -> str:
        return str(self._view)

    def __format__(self, spec: str) -> str:
        return format(self._view, spec) if self._view.ndim == 0 else \
            format(str(self._view), spec)

    # ------------------------------------------------------------------ conversions
    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        """A copy for library code (``torch.tensor(a)``, ``torch.from_numpy(a)``)."""
        return np.array(self._view, dtype=dtype, copy=True)

    def __len__(self) -> int:
        if self._view.ndim == 0:
            raise ProgramError("len() of unsized object", exception="TypeError")
        return len(self._view)

    def __iter__(self) -> Any:
        if self._view.ndim == 0:
            raise ProgramError("iteration over a 0-d array", exception="TypeError")
        for row in self._view:
            yield Array(row, self._owner) if isinstance(row, np.ndarray) else _scalar(row)

    def __bool__(self) -> bool:
        return self._call(bool)

    def __float__(self) -> float:
        return self._call(float)

    def __int__(self) -> int:
        return self._call(int)

    def _call(self, fn: Any) -> Any:
        try:
            return fn(self._view)
        except (TypeError, ValueError) as exc:
            raise ProgramError(str(exc), exception=type(exc).__name__) from None

    # ------------------------------------------------------------------ indexing
    def __getitem__(self, key: Any) -> Any:
        parts = key if isinstance(key, tuple) else (key,)
        for part in parts:
            if not (part is None or part is Ellipsis or isinstance(part, slice) or
                    isinstance(part, (int, np.integer)) and not isinstance(part, bool)):
                raise ProgramError("NumPy arrays in programs take integer, slice, None and ... "
                                   "indices only (index the tensor for the rest)",
                                   exception="IndexError")
        try:
            out = self._view[key]
        except (IndexError, TypeError) as exc:
            raise ProgramError(str(exc), exception=type(exc).__name__) from None
        return Array(out, self._owner) if isinstance(out, np.ndarray) else _scalar(out)

    def __setitem__(self, key: Any, value: Any) -> None:
        raise ProgramError("assignment destination is read-only (NumPy arrays are read-only "
                           "in programs: change the tensor)", exception="ValueError")

    def __contains__(self, value: Any) -> bool:
        b = _operand(value)
        if b is None:
            return False
        return bool((self._view == b).any())

    def __hash__(self) -> int:
        raise ProgramError("unhashable type: 'numpy.ndarray'", exception="TypeError")

    # ------------------------------------------------------------------ arithmetic
    __add__, __radd__ = _binary(operator.add), _binary(operator.add, True)
    __sub__, __rsub__ = _binary(operator.sub), _binary(operator.sub, True)
    __mul__, __rmul__ = _binary(operator.mul), _binary(operator.mul, True)
    __truediv__, __rtruediv__ = _binary(operator.truediv), _binary(operator.truediv, True)
    __floordiv__ = _binary(operator.floordiv)
    __rfloordiv__ = _binary(operator.floordiv, True)
    __mod__, __rmod__ = _binary(operator.mod), _binary(operator.mod, True)
    __pow__, __rpow__ = _binary(operator.pow), _binary(operator.pow, True)
    __eq__, __ne__ = _binary(operator.eq), _binary(operator.ne)  # type: ignore[assignment]
    __lt__, __le__ = _binary(operator.lt), _binary(operator.le)
    __gt__, __ge__ = _binary(operator.gt), _binary(operator.ge)
    __and__, __or__, __xor__ = (_binary(operator.and_), _binary(operator.or_),
                                _binary(operator.xor))

    def __neg__(self) -> Any:
        return wrap(-self._view)

    def __pos__(self) -> Any:
        return wrap(+self._view)

    def __abs__(self) -> Any:
        return wrap(abs(self._view))

    def __invert__(self) -> Any:
        return self._call(lambda v: wrap(~v))


def _attr_shape(a: Array) -> tuple:
    return tuple(a._view.shape)


#: ``a.name`` for the attributes (not methods) a program may read.
ATTRIBUTES = {
    "shape": _attr_shape,
    "ndim": lambda a: a._view.ndim,
    "size": lambda a: int(a._view.size),
    "dtype": lambda a: ArrayDType(a._view.dtype.name),
    "T": lambda a: Array(a._view.T, a._owner),
    "itemsize": lambda a: a._view.itemsize,
    "nbytes": lambda a: int(a._view.nbytes),
}

_REDUCTIONS = ("sum", "mean", "max", "min", "argmax", "argmin", "std", "var", "prod", "any",
               "all", "cumsum")
_ALLOWED_DTYPES = frozenset({"float16", "float32", "float64", "int32", "int64", "bool", "int16",
                             "int8", "uint8"})


def _dtype_arg(dtype: Any) -> str:
    name = dtype.name if isinstance(dtype, ArrayDType) else getattr(dtype, "name", dtype) \
        if isinstance(dtype, engine.float32.__class__) else dtype
    if dtype is float:
        name = "float64"
    elif dtype is int:
        name = "int64"
    elif dtype is bool:
        name = "bool"
    if not isinstance(name, str) or name not in _ALLOWED_DTYPES:
        raise ProgramError(f"data type {dtype!r} not understood (programs' arrays take "
                           f"{', '.join(sorted(_ALLOWED_DTYPES))})", exception="TypeError")
    return name


def _reduction(name: str) -> Any:
    def run(rs: Any, a: Array, axis: Any = None, *, keepdims: bool = False,
            **extra: Any) -> Any:
        kwargs: dict[str, Any] = {"axis": axis}
        if name not in ("argmax", "argmin", "cumsum"):
            kwargs["keepdims"] = keepdims
        elif keepdims:
            kwargs["keepdims"] = keepdims
        if name in ("std", "var") and "ddof" in extra:
            kwargs["ddof"] = extra.pop("ddof")
        if extra:
            raise ProgramError(f"{name}() got an unexpected keyword argument "
                               f"'{next(iter(extra))}'", exception="TypeError")
        try:
            out = getattr(a._view, name)(**kwargs)
        except (TypeError, ValueError, np.exceptions.AxisError) as exc:
            raise ProgramError(str(exc), exception="ValueError" if not isinstance(
                exc, TypeError) else "TypeError") from None
        return wrap(out)

    return run


def _reshape(rs: Any, a: Array, *shape: Any) -> Array:
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    try:
        return Array(a._view.reshape(shape), a._owner)
    except (TypeError, ValueError) as exc:
        raise ProgramError(str(exc), exception=type(exc).__name__) from None


def _transpose(rs: Any, a: Array, *axes: Any) -> Array:
    if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
        axes = tuple(axes[0])
    try:
        return Array(a._view.transpose(*axes), a._owner)
    except (TypeError, ValueError) as exc:
        raise ProgramError(str(exc), exception=type(exc).__name__) from None


def _tolist(rs: Any, a: Array) -> Any:
    from .guards import size_guard

    size_guard(rs, int(a._view.size), "a list")
    return a._view.tolist()


def _item(rs: Any, a: Array, *args: Any) -> Any:
    try:
        return a._view.item(*args)
    except (IndexError, ValueError, TypeError) as exc:
        raise ProgramError(str(exc), exception=type(exc).__name__) from None


def _squeeze(rs: Any, a: Array, axis: Any = None) -> Array:
    try:
        return Array(a._view.squeeze(axis), a._owner)
    except (ValueError, TypeError) as exc:
        raise ProgramError(str(exc), exception="ValueError") from None


#: ``a.name(...)`` for the methods a program may call (``rs`` first, then the array).
METHODS: dict[str, Any] = {
    **{name: _reduction(name) for name in _REDUCTIONS},
    "tolist": _tolist,
    "item": _item,
    "copy": lambda rs, a: wrap(a._view.copy()),
    "astype": lambda rs, a, dtype: wrap(a._view.astype(_dtype_arg(dtype))),
    "reshape": _reshape,
    "flatten": lambda rs, a: wrap(a._view.flatten()),
    "ravel": lambda rs, a: wrap(a._view.ravel()),
    "transpose": _transpose,
    "squeeze": _squeeze,
    "round": lambda rs, a, decimals=0: wrap(a._view.round(int(decimals))),
}


def _scalar_item(rs: Any, value: Any) -> Any:
    return value.item()


#: Methods of the NumPy float scalars arrays give (``a.sum().item()``).
SCALAR_METHODS: dict[str, Any] = {"item": _scalar_item, "tolist": _scalar_item,
                                  "is_integer": lambda rs, v: float(v).is_integer()}
SCALAR_TYPES = (np.float16, np.float32, np.float64)
Array.__name__ = Array.__qualname__ = "numpy.ndarray"  # as NumPy's messages name it
