"""NumPy arrays as programs hold them: what ``Tensor.numpy()`` and the ``numpy`` module give.

A program gets an :class:`Array`, never NumPy itself: a NumPy array behind the language's own
value, printed as NumPy prints it, with NumPy's ``shape ndim size dtype T itemsize nbytes
strides``, indexing (integers, slices, ``None``, ``...``, and NumPy's fancy indexing with lists,
integer and boolean arrays), item and slice assignment, iteration, ``len``, the methods in
:data:`METHODS` and NumPy's operators (in place too: ``a += 1`` writes into the array, as
NumPy's). ``t.numpy()`` shares the tensor's memory, as torch's: writing into the array shows in
the tensor (with no version bump, as torch). Every result is an :class:`Array` again or a
scalar; results are bounded like tensors (``max_tensor_elements``, checked before the array is
made where its size is known from its arguments) and their memory counts for the session.
Arrays hold numbers only (``bool``, ``uint8``, ``int8/16/32/64``, ``float16/32/64``): other
dtypes (object, strings, complex, dates) are refused. ``torch.tensor(a)`` (a copy),
``torch.from_numpy(a)``, ``torch.as_tensor(a)`` and ``torch.asarray(a)`` (sharing the array's
memory, as torch's do) bring the values back to tensors.
"""

from __future__ import annotations

import math
import operator
from typing import Any

import numpy as np

import engine
from engine.cost import charge, product_cost, sort_cost

from .errors import ProgramError
from .runtime import current_rs
from .values import BuiltinType, type_name

Tensor = engine.Tensor

#: The dtypes a program's arrays may have (the ones torch's tensors share with NumPy).
ALLOWED_DTYPES = frozenset({"bool", "uint8", "int8", "int16", "int32", "int64", "float16",
                            "float32", "float64"})
_ALLOWED_NP = frozenset(np.dtype(n) for n in ALLOWED_DTYPES)


def not_supported(what: str) -> ProgramError:
    return ProgramError(f"{what} is not supported", exception="NotImplementedError")


class ArrayDType:
    """An array's ``dtype``: prints ``float32``, reprs ``dtype('float32')``, equals its name
    and NumPy's scalar type of the same name (``a.dtype == np.float32``)."""

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
        if isinstance(other, str):
            try:
                return np.dtype(other).name == self.name
            except TypeError:
                return False
        if isinstance(other, BuiltinType) and (other.pytype in (float, int, bool) or isinstance(
                other.pytype, type) and issubclass(other.pytype, np.generic)):
            return np.dtype(other.pytype).name == self.name
        return False

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
        if value.dtype not in _ALLOWED_NP and value.dtype != np.uint32:  # (a random state's key)
            raise not_supported(f"numpy.{value.dtype.name}")
        return value.item()
    return value


def check_elements(n: int) -> None:
    """A NumPy array of ``n`` elements may be made (before it is)."""
    rs = current_rs()
    limit = rs.limits.max_tensor_elements
    if n > limit:
        raise rs.limit_error(f"a NumPy array would have {n} elements, over the limit of {limit} "
                             "(max_tensor_elements)", "max_tensor_elements", limit)


_check_elements = check_elements


def check_dtype(dt: np.dtype) -> None:
    if dt not in _ALLOWED_NP:
        kind = {"O": "object", "U": "str", "S": "bytes", "c": "complex", "V": "void",
                "M": "datetime64", "m": "timedelta64"}.get(dt.kind, dt.name)
        raise not_supported(f"numpy arrays of dtype {kind}" if dt.kind in "OUSVMmc" else
                            f"numpy.{dt.name}")


def wrap(arr: Any) -> Any:
    """A NumPy result as a program value: an :class:`Array` (its memory accounted, and held by
    a tensor so the session's memory walk finds it) or a scalar (tuples of results too)."""
    if isinstance(arr, tuple):  # (NumPy's named results, SVDResult ..., stay named)
        items = tuple(wrap(a) for a in arr)
        return type(arr)._make(items) if hasattr(type(arr), "_fields") else items
    if not isinstance(arr, np.ndarray):
        return _scalar(arr)
    check_dtype(arr.dtype)
    check_elements(arr.size)
    rs = current_rs()
    rs.alloc += arr.nbytes
    if rs.alloc > rs.alloc_budget:
        rs.allocated(0)
    return Array(arr, None)


def _owner_of(arr: np.ndarray) -> Tensor:
    """A tensor over ``arr``'s memory (the session's memory walk counts tensors)."""
    base = arr
    while isinstance(base.base, np.ndarray):
        base = base.base
    if base.dtype in _ALLOWED_NP and base.flags.c_contiguous:
        return engine.from_numpy(base)
    # Fortran-ordered memory, or a random state's uint32 key: its bytes as uint8, a view of
    # the same memory (so the walk counts that memory once: never a copy's bytes object)
    flat = base.reshape(-1, order="A")
    if not flat.flags.c_contiguous:  # (memory that is no one array's: counted as a copy)
        flat = np.ascontiguousarray(flat)
    return engine.from_numpy(flat.view(np.uint8))


def view_of(a: Array, arr: np.ndarray) -> Array:
    """A view ``arr`` of ``a``'s memory, held by the same owner."""
    return Array(arr, a._owner)


def from_tensor(t: Tensor, force: bool = False) -> Array:
    """``t.numpy(force=...)``: torch's errors for tensors that require grad or live on a GPU
    (unless ``force``); the array shares the tensor's memory on the CPU (writable, as
    torch's)."""
    arr = t.numpy(force=force)
    if not isinstance(arr, np.ndarray):  # pragma: no cover - the engine gives NumPy arrays
        arr = np.asarray(arr)
    return Array(arr, owner=t)


def array_tensor(a: Array) -> Tensor:
    """A tensor of the array's values (a copy): ``tensor <op> array`` and ``torch.tensor(a)``
    as torch gives them."""
    return engine.from_numpy(np.array(a._view, copy=True))


#: Ops that take a program's array as their data (a copy of it), as torch's take ndarrays.
ARRAY_TAKING_OPS = frozenset({"tensor", "as_tensor", "asarray"})


def shared_tensor(a: Array) -> Tensor:
    """A tensor over the array's own memory, as torch's ``from_numpy``/``as_tensor`` give: an
    in-place change through it shows in the array and in the tensor the array came from.
    Memory that NumPy will not let be written (a broadcast view) is copied instead."""
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
    if isinstance(value, (list, tuple)):
        return as_numpy(value)
    return None


def _fail(exc: BaseException) -> ProgramError:
    """NumPy's error as the program's: its class (NumPy's own ``AxisError``,
    ``LinAlgError``, ``UFuncTypeError`` or Python's) and text."""
    names = {t.__name__ for t in type(exc).__mro__}
    return ProgramError(str(exc), exception=next(
        (n for n in ("AxisError", "LinAlgError", "UFuncTypeError", "ZeroDivisionError",
                     "OverflowError", "IndexError", "TypeError", "ValueError") if n in names),
        "RuntimeError"))


NUMPY_ERRORS = (TypeError, ValueError, IndexError, ZeroDivisionError, FloatingPointError,
                OverflowError, np.exceptions.AxisError)


def _binary(op: Any, swap: bool = False) -> Any:
    def run(self: Array, other: Any) -> Any:
        b = other if type(other) is str else _operand(other)  # NumPy's ufunc errors
        if b is None:
            return NotImplemented
        a = self._view
        try:
            shape = np.broadcast_shapes(a.shape, np.shape(b))
        except ValueError:
            shape = ()
        _check_elements(math.prod(shape))
        try:
            with np.errstate(all="ignore"):
                out = op(b, a) if swap else op(a, b)
        except NUMPY_ERRORS as exc:
            raise _fail(exc) from None
        return wrap(out)

    return run


def _inplace(op: Any) -> Any:
    def run(self: Array, other: Any) -> Any:
        b = _operand(other)
        if b is None:
            return NotImplemented
        try:
            with np.errstate(all="ignore"):
                op(self._view, b)
        except NUMPY_ERRORS as exc:
            raise _fail(exc) from None
        return self

    return run


def _matmul_shape(a: tuple, b: tuple) -> tuple:
    if not a or not b:
        return ()
    if len(a) == 1 and len(b) == 1:
        return ()
    if len(a) == 1:
        return b[:-2] + b[-1:]
    if len(b) == 1:
        return a[:-1]
    try:
        batch = np.broadcast_shapes(a[:-2], b[:-2])
    except ValueError:
        return ()
    return (*batch, a[-2], b[-1])


def as_numpy(value: Any, what: str = "an array") -> Any:
    """A program's value as NumPy's operand: an array's own memory, a number, or a nested
    list/tuple of them (its size checked before NumPy builds it)."""
    t = type(value)
    if t is Array:
        return value._view
    if t in (int, float, bool) or isinstance(value, np.generic):
        if isinstance(value, np.generic):
            check_dtype(value.dtype)
        return value
    if t is range:
        check_elements(len(value))
        return np.arange(value.start, value.stop, value.step)
    if t in (list, tuple):
        count = [0]
        out = _sequence(value, count, 0)
        check_elements(count[0])
        return out
    if isinstance(value, Tensor):
        raise ProgramError("NumPy functions take arrays here, not tensors: pass t.numpy() "
                           "(or t.detach().cpu().numpy())", exception="TypeError")
    if value is None:
        return None
    raise not_supported(f"numpy {what} of '{_type_name(value)}' values")


def _type_name(value: Any) -> str:
    return type_name(value)


def _sequence(value: Any, count: list, depth: int) -> Any:
    if depth > 64:
        raise ProgramError("maximum supported dimension for an ndarray is currently 64, "
                           f"found {depth + 1}", exception="ValueError")
    out = []
    for item in value:
        t = type(item)
        if t in (int, float, bool):
            count[0] += 1
            out.append(item)
        elif t is Array:
            count[0] += item._view.size
            out.append(item._view)
        elif t in (list, tuple):
            out.append(_sequence(item, count, depth + 1))
        elif t is range:
            count[0] += len(item)
            check_elements(count[0])
            out.append(list(item))
        elif isinstance(item, np.generic):
            check_dtype(item.dtype)
            count[0] += 1
            out.append(item)
        else:
            raise not_supported(f"numpy arrays of '{_type_name(item)}' values")
    return out if type(value) is list else tuple(out)


def _index_part(part: Any) -> tuple[Any, bool]:
    """One index of ``a[...]`` as NumPy's, and whether it is fancy (makes a copy)."""
    if part is None or part is Ellipsis or isinstance(part, slice):
        return part, False
    if isinstance(part, bool):
        return part, True
    if isinstance(part, (int, np.integer)):
        return part, False
    if type(part) is Array:
        if part._view.dtype.kind not in "biu":
            raise ProgramError("arrays used as indices must be of integer (or boolean) type",
                               exception="IndexError")
        return part._view, True
    if type(part) is list:
        arr = np.asarray(as_numpy(part))
        if arr.size == 0 and arr.dtype.kind == "f":  # ``a[[]]``: NumPy takes it as integers
            arr = arr.astype(np.intp)
        return arr, True
    raise ProgramError("only integers, slices (`:`), ellipsis (`...`), numpy.newaxis (`None`) "
                       "and integer or boolean arrays are valid indices", exception="IndexError")


def _index(a: np.ndarray, key: Any) -> tuple[Any, bool]:
    parts = key if type(key) is tuple else (key,)
    converted, fancy = [], False
    for part in parts:
        value, is_fancy = _index_part(part)
        converted.append(value)
        fancy = fancy or is_fancy
    if fancy:  # the result's size, before NumPy makes it
        check_elements(_fancy_size(a.shape, converted))
    return (tuple(converted) if type(key) is tuple else converted[0]), fancy


def _fancy_size(shape: tuple, parts: list) -> int:
    """The elements of ``a[parts]`` with fancy parts (an upper bound): the kept dimensions
    times the broadcast of the index arrays (a mask counts its true elements); 0 where NumPy
    will refuse the index itself."""
    used = sum(p.ndim if isinstance(p, np.ndarray) and p.dtype == bool else 1
               for p in parts if p is not None and p is not Ellipsis and
               not isinstance(p, bool))
    kept, dim, index_shapes = 1, 0, []
    for p in parts:
        if p is None or isinstance(p, bool):
            continue
        if p is Ellipsis:
            span = max(len(shape) - used, 0)
            kept *= math.prod(shape[dim:dim + span])
            dim += span
        elif isinstance(p, np.ndarray):
            if p.dtype == bool:
                index_shapes.append((int(np.count_nonzero(p)),))
                dim += p.ndim
            else:
                index_shapes.append(p.shape)
                dim += 1
        elif isinstance(p, slice):
            if dim < len(shape):
                kept *= len(range(*p.indices(shape[dim])))
            dim += 1
        else:
            dim += 1
    kept *= math.prod(shape[dim:])
    try:
        return kept * math.prod(np.broadcast_shapes(*index_shapes))
    except ValueError:
        return 0


def index_retry(obj: Any, key: Any, exc: Exception, limits: Any) -> Any:
    """After ``obj[key]`` raised ``exc`` (not a LangError): a tensor indexed by NumPy arrays,
    as torch indexes with them; otherwise ``exc`` as the program's error."""
    from .exceptions import convert_exception

    np_key = tensor_key(key) if isinstance(obj, engine.Tensor) else None
    if np_key is None:
        raise convert_exception(exc, "index", limits) from None
    try:
        return obj[np_key]
    except Exception as again:
        raise convert_exception(again, "index", limits) from None


def tensor_key(key: Any) -> Any:
    """A tensor's index key with the program's NumPy arrays as NumPy's (torch indexes with an
    array as with a list: ``b_obs[mb_inds]``), or None when it holds none."""
    if type(key) is Array:
        return key._view
    if type(key) is tuple and any(type(k) is Array for k in key):
        return tuple(k._view if type(k) is Array else k for k in key)
    return None


class Array:
    """A NumPy array in a program (see the module doc). No ``__index__``: a one-element array
    cannot stand for an int where the language guards ints (``[0] * a``)."""

    __slots__ = ("_view", "_owner")

    def __init__(self, arr: np.ndarray, owner: Tensor | None) -> None:
        self._view = arr
        self._owner = owner  # the tensor whose memory it shows (None: made when asked)

    def owner_tensor(self) -> Tensor:
        """The tensor whose memory the array shows (for the session's memory walk): the
        tensor it came from, or one made over its memory the first time it is asked for."""
        if self._owner is None:
            self._owner = _owner_of(self._view)
        return self._owner

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
        index, fancy = _index(self._view, key)
        try:
            out = self._view[index]
        except NUMPY_ERRORS as exc:
            raise _fail(exc) from None
        if not isinstance(out, np.ndarray):
            return _scalar(out)
        return wrap(out) if fancy else Array(out, self._owner)

    def __setitem__(self, key: Any, value: Any) -> None:
        index, _ = _index(self._view, key)
        b = value if type(value) is str else _operand(value)  # NumPy parses '1.5' and fails
        if b is None:
            raise not_supported(f"assigning '{_type_name(value)}' into a numpy array")
        try:
            self._view[index] = b
        except NUMPY_ERRORS as exc:
            raise _fail(exc) from None

    def __contains__(self, value: Any) -> bool:
        b = _operand(value)
        if b is None:
            return False
        try:
            check_elements(math.prod(np.broadcast_shapes(self._view.shape, np.shape(b))))
        except ValueError:
            pass
        return bool(_numpy_call(lambda: (self._view == b).any()))

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
    __rand__, __ror__, __rxor__ = (_binary(operator.and_, True), _binary(operator.or_, True),
                                   _binary(operator.xor, True))
    __lshift__, __rshift__ = _binary(operator.lshift), _binary(operator.rshift)
    __iadd__, __isub__ = _inplace(operator.iadd), _inplace(operator.isub)
    __imul__, __itruediv__ = _inplace(operator.imul), _inplace(operator.itruediv)
    __ifloordiv__, __imod__ = _inplace(operator.ifloordiv), _inplace(operator.imod)
    __ipow__ = _inplace(operator.ipow)
    __iand__, __ior__, __ixor__ = (_inplace(operator.iand), _inplace(operator.ior),
                                   _inplace(operator.ixor))

    def __matmul__(self, other: Any) -> Any:
        return self._matmul(other, False)

    def __rmatmul__(self, other: Any) -> Any:
        return self._matmul(other, True)

    def _matmul(self, other: Any, swap: bool) -> Any:
        b = _operand(other)
        if b is None:
            return NotImplemented
        a = self._view
        x, y = (b, a) if swap else (a, b)
        out_shape = _matmul_shape(np.shape(x), np.shape(y))
        check_elements(math.prod(out_shape))
        charge("matmul", product_cost(math.prod(out_shape), np.shape(x)[-1] if np.ndim(x) else 1))
        try:
            return wrap(np.matmul(x, y))
        except NUMPY_ERRORS as exc:
            raise _fail(exc) from None

    def __neg__(self) -> Any:
        return self._call(lambda v: wrap(-v))

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
    "strides": lambda a: tuple(a._view.strides),
}

#: ``dt.name`` for an array's dtype.
DTYPE_ATTRIBUTES = {
    "name": lambda d: d.name,
    "itemsize": lambda d: np.dtype(d.name).itemsize,
    "kind": lambda d: np.dtype(d.name).kind,
    "char": lambda d: np.dtype(d.name).char,
    "str": lambda d: np.dtype(d.name).str,
}

_ALLOWED_DTYPES = ALLOWED_DTYPES


def np_dtype(dtype: Any) -> Any:
    """A program's dtype argument as NumPy's (``np.float32``, ``'float32'``, ``float``,
    ``a.dtype``), or None; an error for dtypes arrays do not have here."""
    if dtype is None:
        return None
    if isinstance(dtype, ArrayDType):
        return np.dtype(dtype.name)
    if isinstance(dtype, BuiltinType):  # np.float32 (a ScalarType) and float/int/bool
        if isinstance(dtype.pytype, type) and issubclass(dtype.pytype, np.generic):
            return np.dtype(dtype.pytype)
        if dtype.pytype in (float, int, bool):
            return np.dtype(dtype.pytype)
        if dtype.pytype is complex:
            raise not_supported("numpy arrays of dtype complex")
        raise not_supported(f"numpy arrays of dtype {dtype.name}")
    if _type_repr(dtype) == "<class 'object'>":
        raise not_supported("numpy arrays of dtype object")
    if isinstance(dtype, engine.DType):
        raise ProgramError(f"Cannot interpret '{dtype}' as a data type", exception="TypeError")
    if isinstance(dtype, str):
        try:
            found = np.dtype(dtype)
        except TypeError as exc:
            raise ProgramError(str(exc), exception="TypeError") from None
        check_dtype(found)
        return found
    raise ProgramError(f"Cannot interpret '{_type_repr(dtype)}' as a data type",
                       exception="TypeError")


def _type_repr(value: Any) -> str:
    from .builtins import torch_repr

    return torch_repr(value)


def _dtype_arg(dtype: Any) -> Any:
    return np_dtype(dtype)


def _axis(value: Any) -> Any:
    if type(value) is list:
        return tuple(value)
    return value


def _numpy_call(fn: Any, *args: Any, **kwargs: Any) -> Any:
    try:
        with np.errstate(all="ignore"):
            return fn(*args, **kwargs)
    except NUMPY_ERRORS as exc:
        raise _fail(exc) from None


def _method(name: str, allowed: tuple[str, ...] = (), view: bool = False,
            size: bool = False) -> Any:
    """``a.name(*args, **kwargs)``: NumPy's method over converted arguments (keywords in
    ``allowed`` only; ``dtype=`` as a dtype, ``out=`` an array of the program's; ``size``:
    the result is the broadcast of the array and the arguments, checked first)."""
    def run(rs: Any, a: Array, *args: Any, **kwargs: Any) -> Any:
        for key in kwargs:
            if key not in allowed:
                raise ProgramError(f"{name}() got an unexpected keyword argument '{key}'",
                                   exception="TypeError")
        call_args = [_convert(x) for x in args]
        call_kwargs = {k: _convert_kw(k, v) for k, v in kwargs.items()}
        if size:
            try:
                check_elements(math.prod(np.broadcast_shapes(a._view.shape, *(
                    np.shape(x) for x in (*call_args, *call_kwargs.values())
                    if x is not None))))
            except ValueError:
                pass
        out = _numpy_call(getattr(a._view, name), *call_args, **call_kwargs)
        if "out" in kwargs and kwargs["out"] is not None:
            return kwargs["out"]
        if view and isinstance(out, np.ndarray):
            return Array(out, a._owner)
        return wrap(out)

    return run


def _convert(value: Any) -> Any:
    """A positional argument of NumPy's (data, axis, shape, dtype)."""
    if isinstance(value, ArrayDType):
        return np.dtype(value.name)
    if isinstance(value, BuiltinType):
        return np_dtype(value)
    if value is None or isinstance(value, (str, slice)) or value is Ellipsis:
        return value
    return as_numpy(value)


def _convert_kw(key: str, value: Any) -> Any:
    if key == "dtype":
        return np_dtype(value)
    if key == "out":
        if value is None:
            return None
        if type(value) is not Array:
            raise ProgramError("return arrays must be of ArrayType", exception="TypeError")
        return value._view
    return _convert(value)


_AXIS_KEEP = ("axis", "keepdims", "out", "dtype")


def _tolist(rs: Any, a: Array) -> Any:
    from .guards import size_guard

    size_guard(rs, int(a._view.size), "a list")
    return a._view.tolist()


def _item(rs: Any, a: Array, *args: Any) -> Any:
    try:
        return a._view.item(*args)
    except (IndexError, ValueError, TypeError) as exc:
        raise ProgramError(str(exc), exception=type(exc).__name__) from None


def _reshape(rs: Any, a: Array, *shape: Any, **kwargs: Any) -> Array:
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    return _method("reshape", ("order",), view=True)(rs, a, shape, **kwargs)


def _transpose(rs: Any, a: Array, *axes: Any) -> Array:
    if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
        axes = tuple(axes[0])
    return _method("transpose", view=True)(rs, a, *axes)


def _fill(rs: Any, a: Array, value: Any) -> None:
    b = _operand(value)
    if b is None:
        raise not_supported(f"filling a numpy array with '{_type_name(value)}'")
    _numpy_call(a._view.fill, b)


def _sort_charge(name: str, a: Array, axis: Any) -> None:
    shape = a._view.shape
    if not shape:
        return
    if axis is None or not isinstance(axis, (int, np.integer)):
        shape, axis = (max(a._view.size, 1),), 0
    charge(name, sort_cost(shape, int(axis) % len(shape)))


def _sort(rs: Any, a: Array, axis: Any = -1, **kwargs: Any) -> None:
    _sort_charge("sort", a, axis)
    _method("sort", ("kind", "stable"))(rs, a, axis, **kwargs)


def _argsort(rs: Any, a: Array, axis: Any = -1, **kwargs: Any) -> Any:
    _sort_charge("argsort", a, axis)
    return _method("argsort", ("kind", "stable"))(rs, a, axis, **kwargs)


def _repeat(rs: Any, a: Array, repeats: Any, axis: Any = None) -> Any:
    r = as_numpy(repeats)
    total = int(np.sum(r)) if np.ndim(r) else int(r) * (a._view.size if axis is None else
                                                          a._view.size)
    check_elements(max(total, 0) * (1 if axis is None or np.ndim(r) == 0 else
                                    max(a._view.size, 1)))
    return wrap(_numpy_call(a._view.repeat, r, axis))


def _astype(rs: Any, a: Array, dtype: Any, *args: Any, **kwargs: Any) -> Any:
    for key in kwargs:
        if key not in ("order", "casting", "subok", "copy"):
            raise ProgramError(f"astype() got an unexpected keyword argument '{key}'",
                               exception="TypeError")
    out = _numpy_call(a._view.astype, np_dtype(dtype), *args, **kwargs)
    return Array(out, a._owner) if out is a._view or np.shares_memory(out, a._view) \
        else wrap(out)


#: ``a.name(...)`` for the methods a program may call (``rs`` first, then the array).
METHODS: dict[str, Any] = {
    **{name: _method(name, _AXIS_KEEP) for name in ("sum", "mean", "prod", "any", "all")},
    **{name: _method(name, _AXIS_KEEP + ("ddof",)) for name in ("std", "var")},
    **{name: _method(name, ("axis", "keepdims", "out")) for name in ("max", "min")},
    **{name: _method(name, ("axis", "keepdims", "out")) for name in ("argmax", "argmin")},
    **{name: _method(name, ("axis", "dtype", "out")) for name in ("cumsum", "cumprod")},
    "tolist": _tolist,
    "item": _item,
    "copy": lambda rs, a: wrap(a._view.copy()),
    "astype": _astype,
    "reshape": _reshape,
    "flatten": lambda rs, a: wrap(a._view.flatten()),
    "ravel": _method("ravel", view=True),
    "transpose": _transpose,
    "squeeze": _method("squeeze", ("axis",), view=True),
    "swapaxes": _method("swapaxes", view=True),
    "round": _method("round", ("decimals", "out")),
    "clip": _method("clip", ("min", "max", "out"), size=True),
    "dot": lambda rs, a, b: _dot(a._view, as_numpy(b)),
    "fill": _fill,
    "sort": _sort,
    "argsort": _argsort,
    "repeat": _repeat,
    "nonzero": _method("nonzero"),
    "diagonal": _method("diagonal", ("offset", "axis1", "axis2"), view=True),
    "trace": _method("trace", ("offset",)),
}


def _dot(a: Any, b: Any) -> Any:
    sa, sb = np.shape(a), np.shape(b)
    if len(sa) and len(sb):
        shape = sa[:-1] + (sb[:-2] + sb[-1:] if len(sb) > 1 else ())
    else:
        shape = sa or sb
    check_elements(math.prod(shape))
    charge("dot", product_cost(math.prod(shape), sa[-1] if sa else 1))
    return wrap(_numpy_call(np.dot, a, b))


def _scalar_item(rs: Any, value: Any) -> Any:
    return value.item()


#: Methods of the NumPy float scalars arrays give (``a.sum().item()``).
SCALAR_METHODS: dict[str, Any] = {"item": _scalar_item, "tolist": _scalar_item,
                                  "is_integer": lambda rs, v: float(v).is_integer()}
SCALAR_TYPES = (np.float16, np.float32, np.float64)
Array.__name__ = Array.__qualname__ = "numpy.ndarray"  # as NumPy's messages name it
