"""``import numpy as np`` in programs: a subset of NumPy 2.4, NumPy's own functions behind the
language's values.

Every function here converts its arguments (a program's arrays, numbers, nested lists and
tuples of them, dtypes) to NumPy's, bounds what it will make before NumPy makes it
(``max_tensor_elements``: shapes, ``arange``/``linspace`` lengths, broadcasts, concatenations,
products, ``einsum`` and ufunc ``outer``; every other result is at most as large as an input;
work that grows faster than the result, as ``einsum``'s loop, is charged to the run's meter),
runs NumPy and gives back an :class:`~app.lang.arrays.Array` or a scalar
(:func:`~app.lang.arrays.wrap`), so values, dtypes (NumPy's promotion), shapes, reprs and error
texts are NumPy's. Arrays hold numbers only;
nothing reaches files, Python objects or NumPy's internals (``np.load``, ``np.save``,
``np.frompyfunc``, ``np.vectorize``, ``np.lib``, ``np.ctypeslib``, object arrays ...: "numpy.X is
not supported", or NumPy's AttributeError for names NumPy lacks too).

Ufuncs (``np.add``) are values of their own with NumPy's methods ``reduce``, ``accumulate``,
``reduceat``, ``outer`` and ``at`` (which writes into a program's array, as NumPy's does).

``np.random`` is NumPy's legacy global ``RandomState`` per session: ``np.random.seed(s)`` then
``np.random.randn(...)`` draws NumPy's values; the state belongs to the session (kept in its
environment, through snapshots and replays). Before any seed, it starts from the session's
seed (NumPy starts from the OS's entropy), so a replayed session draws the same values.
``get_state()`` gives NumPy's state (its key a uint32 array, a dtype programs cannot otherwise
make or compute with) and ``set_state(state)`` sets it back, in this session only.
``np.random.RandomState(s)`` and ``np.random.default_rng(s)`` give programs their own
generators.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable
from typing import Any

import numpy as np

import engine
from engine.cost import charge, factorization_cost, product_cost, sort_cost

from .arrays import (
    Array,
    ArrayDType,
    _convert,
    _convert_kw,
    _dot,
    _matmul_shape,
    _numpy_call,
    _scalar,
    as_numpy,
    check_elements,
    not_supported,
    np_dtype,
    wrap,
)
from .errors import ProgramError
from .exceptions import LIBRARY_EXCEPTIONS
from .values import BuiltinFunction, BuiltinType

_NO = object()


# --------------------------------------------------------------------------- sizes

def _shape_size(shape: Any) -> int:
    """Elements of an array of ``shape`` (an int or a sequence of ints); 0 for what NumPy
    itself will refuse (negative, not ints)."""
    if shape is None:
        return 1
    if isinstance(shape, Array):
        shape = shape._view.tolist() if shape._view.ndim <= 1 else 0
    dims = shape if isinstance(shape, (list, tuple)) else (shape,)
    total = 1
    for d in dims:
        if not isinstance(d, (int, np.integer)) or isinstance(d, bool) or d < 0:
            return 0
        total *= int(d)
    return total


def _size(x: Any) -> int:
    return int(np.size(x)) if x is not None else 1


def _broadcast_size(*xs: Any) -> int:
    shapes = {x.shape if type(x) is np.ndarray else np.shape(x) for x in xs if x is not None}
    shapes.discard(())
    if len(shapes) <= 1:  # one shape (and scalars): no broadcast to compute
        return math.prod(shapes.pop()) if shapes else 1
    try:
        return math.prod(np.broadcast_shapes(*shapes))
    except ValueError:
        return 0


def _convert_all(args: tuple, kwargs: dict) -> tuple[list, dict]:
    return [_convert(x) for x in args], {k: _convert_kw(k, v) for k, v in kwargs.items()}


def _result(out: Any, kwargs: dict) -> Any:
    given = kwargs.get("out")
    if given is not None and type(given) is Array:
        return given
    if isinstance(out, list):  # meshgrid, split ...
        return [wrap(x) for x in out]
    return wrap(out)


def _check_kwargs(name: str, kwargs: dict, allowed: tuple[str, ...] | None) -> None:
    if allowed is None:
        return
    for key in kwargs:
        if key not in allowed:
            raise ProgramError(f"{name}() got an unexpected keyword argument '{key}'",
                               exception="TypeError")


def _function(name: str, size: Callable[..., int] | None = None,
              allowed: tuple[str, ...] | None = None, fn: Any = None,
              cost: Callable[..., float] | None = None) -> BuiltinFunction:
    """``np.name(...)``: NumPy's function over converted arguments; ``size(*args,
    **kwargs)`` (on NumPy's arguments) bounds the result before it is made, ``cost`` the
    work of the functions whose work grows faster than their result (charged to the run's
    meter as the engine's ops are, ``engine.cost``)."""
    target = fn if fn is not None else getattr(np, name)

    def run(rs: Any, *args: Any, **kwargs: Any) -> Any:
        return _call(name, target, size, allowed, cost, args, kwargs)

    if isinstance(target, np.ufunc):
        return UFunc(name, run)
    return BuiltinFunction(name, run)


def _call(name: str, target: Any, size: Callable[..., int] | None,
          allowed: tuple[str, ...] | None, cost: Callable[..., float] | None,
          args: tuple, kwargs: dict) -> Any:
    """``target(*args, **kwargs)`` as :func:`_function` describes it."""
    _check_kwargs(name, kwargs, allowed)
    call_args, call_kwargs = _convert_all(args, kwargs)
    if size is not None:
        try:
            n = size(*call_args, **call_kwargs)
        except (TypeError, ValueError):
            n = 0  # NumPy's own call gives its error
        check_elements(n)
    if cost is not None:
        try:
            units = cost(*call_args, **call_kwargs)
        except (TypeError, ValueError, IndexError):
            units = 0.0
        charge(name, units)
    return _result(_numpy_call(target, *call_args, **call_kwargs), kwargs)


class UFunc(BuiltinFunction):
    """A NumPy ufunc (``np.add``): called as a function, and its methods ``reduce``,
    ``accumulate``, ``reduceat``, ``outer`` and ``at`` (:data:`UFUNC_METHODS`)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"<ufunc '{getattr(np, self.name).__name__}'>"


UFunc.__name__ = UFunc.__qualname__ = "ufunc"
#: What a program may read of a ufunc (``np.add.nin``), NumPy's values.
_UFUNC_ATTRS = ("nin", "nout", "nargs", "ntypes", "identity")


def _reduce_size(a: Any, *rest: Any, **kwargs: Any) -> int:
    return _size(a)  # (at most its input: a reduction, or the input's shape kept)


def _reduceat_size(a: Any, indices: Any, axis: Any = 0, *rest: Any, **kwargs: Any) -> int:
    shape = list(np.shape(a))
    axis = kwargs.get("axis", axis)
    if not shape or not isinstance(axis, (int, np.integer)):
        return _size(a)
    n = shape[int(axis) % len(shape)]
    return _size(a) // n * _size(indices) if n else 0


def _ufunc_method(method: str, size: Callable[..., int] | None) -> Callable[..., Any]:
    def run(rs: Any, holder: UFunc, *args: Any, **kwargs: Any) -> Any:
        target = getattr(getattr(np, holder.name), method)
        out = _call(method, target, size, None, None, args, kwargs)
        return None if method == "at" else out  # (at writes into the program's array)

    return run


#: The methods of ufuncs, bounded as the functions are (``outer``: both sizes multiplied).
UFUNC_METHODS: dict[str, Any] = {
    "reduce": _ufunc_method("reduce", _reduce_size),
    "accumulate": _ufunc_method("accumulate", _reduce_size),
    "reduceat": _ufunc_method("reduceat", _reduceat_size),
    "outer": _ufunc_method("outer", lambda a, b, *rest, **kwargs: _outer_size(a, b)),
    "at": _ufunc_method("at", None),
}


# --------------------------------------------------------------------------- creation

def _array(rs: Any, obj: Any = _NO, dtype: Any = None, *, copy: Any = True, order: Any = "K",
           ndmin: int = 0, **kwargs: Any) -> Any:
    if obj is _NO:
        raise ProgramError("array() missing required argument 'object' (pos 0)",
                           exception="TypeError")
    _check_kwargs("array", kwargs, ("subok",))
    if isinstance(obj, engine.Tensor):
        arr = obj.numpy()  # torch's errors for a tensor that requires grad
        if copy is True:
            return wrap(_numpy_call(np.array, arr, dtype=np_dtype(dtype), ndmin=ndmin))
        out = _numpy_call(np.array, arr, dtype=np_dtype(dtype), copy=copy, ndmin=ndmin)
        return Array(out, obj) if np.shares_memory(out, arr) else wrap(out)
    data = as_numpy(obj)
    out = _numpy_call(np.array, data, dtype=np_dtype(dtype), copy=copy, order=order,
                      ndmin=ndmin)
    if type(obj) is Array and out is not None and np.shares_memory(out, obj._view):
        return Array(out, obj._owner)
    return wrap(out)


def _asarray(rs: Any, a: Any = _NO, dtype: Any = None, order: Any = None, *,
             copy: Any = None, **kwargs: Any) -> Any:
    if a is _NO:
        raise ProgramError("asarray() missing required argument 'a' (pos 0)",
                           exception="TypeError")
    return _array(rs, a, dtype, copy=copy, order=order or "K", **kwargs)


def _filled(name: str) -> BuiltinFunction:
    def run(rs: Any, shape: Any = _NO, *args: Any, **kwargs: Any) -> Any:
        if shape is _NO:
            raise ProgramError(f"{name}() missing required argument 'shape' (pos 0)",
                               exception="TypeError")
        _check_kwargs(name, kwargs, ("dtype", "order", "fill_value"))
        shape_arg = _convert(shape)
        check_elements(_shape_size(shape_arg))
        call_args, call_kwargs = _convert_all(args, kwargs)
        if name == "full":
            if call_args:
                fill, call_args = call_args[0], call_args[1:]
            elif "fill_value" in call_kwargs:
                fill = call_kwargs.pop("fill_value")
            else:
                raise ProgramError("full() missing 1 required positional argument: "
                                   "'fill_value'", exception="TypeError")
            if call_args:
                call_kwargs["dtype"] = np_dtype(args[1])
                call_args = call_args[1:]
            return wrap(_numpy_call(np.full, shape_arg, fill, *call_args, **call_kwargs))
        if call_args:
            call_kwargs["dtype"] = np_dtype(args[0])
            call_args = call_args[1:]
        maker = np.zeros if name == "empty" else getattr(np, name)  # deterministic "empty"
        return wrap(_numpy_call(maker, shape_arg, *call_args, **call_kwargs))

    return BuiltinFunction(name, run)


def _like(name: str) -> BuiltinFunction:
    def run(rs: Any, a: Any = _NO, *args: Any, **kwargs: Any) -> Any:
        if a is _NO:
            raise ProgramError(f"{name}() missing required argument 'prototype' (pos 0)",
                               exception="TypeError")
        _check_kwargs(name, kwargs, ("dtype", "order", "subok", "shape", "fill_value"))
        proto = as_numpy(a)
        shape = kwargs.get("shape")
        check_elements(_shape_size(_convert(shape)) if shape is not None else _size(proto))
        call_args, call_kwargs = _convert_all(args, kwargs)
        if name == "full_like" and len(call_args) > 1:
            call_kwargs["dtype"] = np_dtype(args[1])
            call_args = call_args[:1]
        elif name != "full_like" and call_args:
            call_kwargs["dtype"] = np_dtype(args[0])
            call_args = []
        maker = np.zeros_like if name == "empty_like" else getattr(np, name)
        return wrap(_numpy_call(maker, proto, *call_args, **call_kwargs))

    return BuiltinFunction(name, run)


def _arange_size(*args: Any, **kwargs: Any) -> int:
    args = [a for a in args if not isinstance(a, np.dtype)]
    start, stop, step = 0, None, 1
    if "start" in kwargs:
        start = kwargs["start"]
    if "stop" in kwargs:
        stop = kwargs["stop"]
    if "step" in kwargs:
        step = kwargs["step"]
    if len(args) == 1:
        if "start" in kwargs:
            stop = args[0]
        else:
            stop = args[0]
    elif len(args) >= 2:
        start, stop = args[0], args[1]
        if len(args) >= 3:
            step = args[2]
    if stop is None:
        stop, start = start, 0
    if not all(isinstance(v, (int, float, np.number)) for v in (start, stop, step)) or \
            step == 0:
        return 0
    n = math.ceil((float(stop) - float(start)) / float(step))
    return max(n, 0) if math.isfinite(n) else 0


def _arange(rs: Any, *args: Any, **kwargs: Any) -> Any:
    _check_kwargs("arange", kwargs, ("start", "stop", "step", "dtype"))
    call_args, call_kwargs = _convert_all(args, kwargs)
    for v in (*call_args, *call_kwargs.values()):
        if isinstance(v, float) and not math.isfinite(v):
            raise ProgramError("arange: cannot compute length", exception="ValueError")
    check_elements(_arange_size(*call_args, **{k: v for k, v in call_kwargs.items()
                                               if k != "dtype"}))
    return wrap(_numpy_call(np.arange, *call_args, **call_kwargs))


def _num_size(default: int) -> Callable[..., int]:
    def size(start: Any = 0, stop: Any = 0, num: Any = default, *rest: Any, **kwargs: Any) -> int:
        num = kwargs.get("num", num)
        if not isinstance(num, (int, np.integer)) or isinstance(num, bool):
            return 0
        return max(int(num), 0) * max(_broadcast_size(start, stop), 1)

    return size


def _eye_size(N: Any = 0, M: Any = None, *rest: Any, **kwargs: Any) -> int:
    M = kwargs.get("M", M)
    return _shape_size((N, N if M is None else M))


def _diag_size(v: Any, k: Any = 0, **kwargs: Any) -> int:
    k = kwargs.get("k", k)
    if np.ndim(v) == 1 and isinstance(k, (int, np.integer)):
        return (np.size(v) + abs(int(k))) ** 2
    return _size(v)


def _meshgrid_size(*xs: Any, **kwargs: Any) -> int:
    return math.prod(_size(x) for x in xs) * max(len(xs), 1)


def _tile_size(a: Any, reps: Any) -> int:
    return _size(a) * _shape_size(reps)


def _repeat_size(a: Any, repeats: Any, axis: Any = None) -> int:
    if np.ndim(repeats) == 0:
        return _size(a) * max(int(repeats), 0)
    return int(np.sum(repeats)) * max(_size(a) // max(len(repeats), 1), 1)


def _sum_size(arrays: Any, *args: Any, **kwargs: Any) -> int:
    if isinstance(arrays, np.ndarray):
        return arrays.size
    return sum(_size(x) for x in arrays)


def _append_size(arr: Any, values: Any, *args: Any, **kwargs: Any) -> int:
    return _size(arr) + _size(values)


def _binary_size(*args: Any, **kwargs: Any) -> int:
    return _broadcast_size(*(a for a in args[:2]))


def _where_size(*args: Any, **kwargs: Any) -> int:
    return _broadcast_size(*args[:3], *(v for k, v in kwargs.items()
                                        if k in ("a_min", "a_max", "min", "max")))


def _outer_size(a: Any, b: Any, *rest: Any, **kwargs: Any) -> int:
    return _size(a) * _size(b)


def _matmul_size(a: Any, b: Any, *rest: Any, **kwargs: Any) -> int:
    return math.prod(_matmul_shape(np.shape(a), np.shape(b)))


def _inner_size(a: Any, b: Any, *rest: Any, **kwargs: Any) -> int:
    return math.prod(np.shape(a)[:-1] + np.shape(b)[:-1])


def _broadcast_to_size(a: Any, shape: Any, **kwargs: Any) -> int:
    return 0 if shape is None else 1  # a view of ``a``: no new memory


def _dot_fn(rs: Any, a: Any, b: Any, out: Any = None) -> Any:
    if out is not None:
        raise not_supported("numpy.dot(out=)")
    return _dot(as_numpy(a), as_numpy(b))


# --------------------------------------------------------------------------- dtypes

class ScalarType(BuiltinType):
    """``np.float32``, ``np.int64`` ...: NumPy's scalar types, as dtype arguments and as
    callables (``np.float32(0.1)``, ``np.float32([1, 2])``)."""

    __slots__ = ()
    _torch_tp_name = "type"  # as torch names a class: "must be torch.dtype, not type"

    def __repr__(self) -> str:
        return f"<class 'numpy.{np.dtype(self.pytype).name}'>"


def _scalar_type(name: str) -> ScalarType:
    pytype = getattr(np, name)

    def make(rs: Any, value: Any = 0, *args: Any, **kwargs: Any) -> Any:
        if args or kwargs:
            raise ProgramError(f"{name}() takes at most 1 argument", exception="TypeError")
        data = as_numpy(value)
        out = _numpy_call(pytype, data)
        if isinstance(out, np.generic) and not isinstance(out, np.floating):
            return _scalar(out)
        return wrap(out)

    return ScalarType(name, make, pytype)


def _dtype(rs: Any, obj: Any, *args: Any, **kwargs: Any) -> ArrayDType:
    if args or kwargs:
        raise not_supported("numpy.dtype's align/copy/metadata")
    if isinstance(obj, Array):
        return ArrayDType(obj._view.dtype.name)
    found = np_dtype(obj)
    return ArrayDType(found.name)


class FInfo:
    """``np.finfo(dtype)``: NumPy's machine limits of a float type (its attributes as
    NumPy's; prints as NumPy's)."""

    __slots__ = ("info",)

    def __init__(self, info: Any) -> None:
        self.info = info

    def __repr__(self) -> str:
        return repr(self.info)

    def __str__(self) -> str:
        return str(self.info)


class IInfo(FInfo):
    """``np.iinfo(dtype)``: NumPy's limits of an integer type."""

    __slots__ = ()


FInfo.__name__ = FInfo.__qualname__ = "finfo"
IInfo.__name__ = IInfo.__qualname__ = "iinfo"

_FINFO_ATTRS = ("bits", "eps", "epsneg", "max", "min", "tiny", "smallest_normal",
                "smallest_subnormal", "resolution", "precision", "maxexp", "minexp", "machep",
                "negep", "nexp", "nmant", "iexp")
_IINFO_ATTRS = ("bits", "min", "max", "kind")


def _info_attr(attrs: tuple[str, ...]) -> dict[str, Any]:
    def read(name: str) -> Any:
        def get(obj: FInfo) -> Any:
            value = getattr(obj.info, name)
            if isinstance(value, np.generic) and not isinstance(value, np.floating):
                return value.item()
            return value
        return get

    table = {name: read(name) for name in attrs}
    table["dtype"] = lambda obj: ArrayDType(obj.info.dtype.name)
    return table


def _info_target(value: Any) -> Any:
    if isinstance(value, Array):
        return value._view.dtype
    if isinstance(value, (np.generic, float, int)) and not isinstance(value, bool) and \
            not isinstance(value, BuiltinType):
        return np.asarray(value).dtype if not isinstance(value, np.generic) else value.dtype
    return np_dtype(value)


def _finfo(rs: Any, dtype: Any) -> FInfo:
    return FInfo(_numpy_call(np.finfo, _info_target(dtype)))


def _iinfo(rs: Any, dtype: Any) -> IInfo:
    return IInfo(_numpy_call(np.iinfo, _info_target(dtype)))


# --------------------------------------------------------------------------- random

class RandomStateValue:
    """``np.random.RandomState(seed)`` (and the session's global one): NumPy's legacy
    generator, its methods as NumPy's."""

    __slots__ = ("rng",)

    def __init__(self, rng: np.random.RandomState) -> None:
        self.rng = rng

    def __repr__(self) -> str:
        return "RandomState(MT19937)"


class GeneratorValue:
    """``np.random.default_rng(seed)``: NumPy's ``Generator`` (PCG64)."""

    __slots__ = ("rng",)

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng

    def __repr__(self) -> str:
        return "Generator(PCG64)"


RandomStateValue.__name__ = RandomStateValue.__qualname__ = "RandomState"
GeneratorValue.__name__ = GeneratorValue.__qualname__ = "Generator"


def session_random(rs: Any) -> np.random.RandomState:
    """The session's global ``RandomState`` (made from the session's seed on first use)."""
    env = rs.env
    rng = getattr(env, "numpy_random", None)
    if rng is None:
        rng = np.random.RandomState(int(env.generator.initial_seed()) % (1 << 32))
        env.numpy_random = rng
    return rng


def _fresh_seed(rs: Any) -> int:
    """A seed for a generator made without one: drawn from the session's NumPy state, so a
    replayed session makes the same one."""
    return int(session_random(rs).randint(0, 1 << 31))


def _size_arg(size: Any) -> int:
    return 0 if size is None else _shape_size(size)


def _dims_size(*dims: Any, **kwargs: Any) -> int:
    return _shape_size(dims)


def _distribution_size(n_params: int) -> Callable[..., int]:
    def size(*args: Any, **kwargs: Any) -> int:
        if "size" in kwargs:
            given = kwargs["size"]
        elif len(args) > n_params:
            given = args[n_params]
        else:
            given = None
        if given is not None:
            return _shape_size(given)
        return _broadcast_size(*args[:n_params], *(v for k, v in kwargs.items()
                                                   if k != "size"))

    return size


def _choice_size(a: Any, size: Any = None, replace: Any = True, p: Any = None,
                 **kwargs: Any) -> int:
    n = max(_shape_size(size), 1) if size is not None else 1
    if isinstance(a, (int, np.integer)) and (not replace or p is not None):
        n = max(n, int(a))
    return n


def _permutation_size(x: Any) -> int:
    return int(x) if isinstance(x, (int, np.integer)) else _size(x)


#: (name, size bound, allowed keywords) of the legacy RandomState methods.
_LEGACY = (
    ("rand", _dims_size, ()), ("randn", _dims_size, ()),
    ("randint", lambda low, high=None, size=None, dtype=None: _size_arg(size),
     ("low", "high", "size", "dtype")),
    ("random", lambda size=None: _size_arg(size), ("size",)),
    ("random_sample", lambda size=None: _size_arg(size), ("size",)),
    ("ranf", lambda size=None: _size_arg(size), ("size",)),
    ("sample", lambda size=None: _size_arg(size), ("size",)),
    ("uniform", _distribution_size(2), ("low", "high", "size")),
    ("normal", _distribution_size(2), ("loc", "scale", "size")),
    ("standard_normal", lambda size=None: _size_arg(size), ("size",)),
    ("exponential", _distribution_size(1), ("scale", "size")),
    ("poisson", _distribution_size(1), ("lam", "size")),
    ("binomial", _distribution_size(2), ("n", "p", "size")),
    ("beta", _distribution_size(2), ("a", "b", "size")),
    ("gamma", _distribution_size(2), ("shape", "scale", "size")),
    ("laplace", _distribution_size(2), ("loc", "scale", "size")),
    ("choice", _choice_size, ("a", "size", "replace", "p")),
    ("permutation", _permutation_size, ()),
)
_GENERATOR = (
    ("random", lambda size=None, dtype=None, out=None: _size_arg(size),
     ("size", "dtype", "out")),
    ("standard_normal", lambda size=None, dtype=None, out=None: _size_arg(size),
     ("size", "dtype", "out")),
    ("integers", lambda low, high=None, size=None, dtype=None, endpoint=False:
     _size_arg(size), ("low", "high", "size", "dtype", "endpoint")),
    ("uniform", _distribution_size(2), ("low", "high", "size")),
    ("normal", _distribution_size(2), ("loc", "scale", "size")),
    ("exponential", _distribution_size(1), ("scale", "size")),
    ("poisson", _distribution_size(1), ("lam", "size")),
    ("binomial", _distribution_size(2), ("n", "p", "size")),
    ("choice", lambda a, size=None, replace=True, p=None, axis=0, shuffle=True:
     _choice_size(a, size, replace, p), ("a", "size", "replace", "p", "axis", "shuffle")),
    ("permutation", lambda x, axis=0: _permutation_size(x), ("axis",)),
)


def _draw(name: str, size: Callable[..., int], allowed: tuple[str, ...],
          rng_of: Callable[[Any, Any], Any]) -> Callable[..., Any]:
    def run(rs: Any, holder: Any, *args: Any, **kwargs: Any) -> Any:
        _check_kwargs(name, kwargs, allowed)
        call_args, call_kwargs = _convert_all(args, kwargs)
        if "dtype" in kwargs:
            call_kwargs["dtype"] = np_dtype(kwargs["dtype"])
        try:
            n = size(*call_args, **call_kwargs)
        except (TypeError, ValueError):
            n = 0
        check_elements(n)
        rng = rng_of(rs, holder)
        return _result(_numpy_call(getattr(rng, name), *call_args, **call_kwargs), kwargs)

    return run


def _shuffle_with(rng_of: Callable[[Any, Any], Any]) -> Callable[..., Any]:
    def run(rs: Any, holder: Any, x: Any, *args: Any, **kwargs: Any) -> None:
        rng = rng_of(rs, holder)
        if type(x) is Array:
            _numpy_call(rng.shuffle, x._view, *args, **kwargs)
        elif type(x) is list:
            if args or kwargs:
                raise not_supported("shuffling a list along an axis")
            _numpy_call(rng.shuffle, x)  # NumPy swaps the list's items (its own draws)
        else:
            raise not_supported(f"numpy.random.shuffle of '{type(x).__name__}'")
        return None

    return run


def _seed(rs: Any, seed: Any = None) -> None:
    rng = session_random(rs)
    if seed is None:
        seed = _fresh_seed(rs)
    _numpy_call(rng.seed, as_numpy(seed))


def _key_array(rs: Any, keys: np.ndarray) -> Array:
    """A state's MT19937 key: NumPy's own uint32 array (624 words), the one array of a dtype a
    program cannot make otherwise, so that ``set_state`` takes it back as NumPy would; NumPy
    operations that would make new uint32 arrays from it are refused as for any uint32."""
    rs.alloc += keys.nbytes
    if rs.alloc > rs.alloc_budget:
        rs.allocated(0)
    return Array(keys, None)


def _get_state_with(rng_of: Callable[[Any, Any], Any]) -> Callable[..., Any]:
    def run(rs: Any, holder: Any, *args: Any, **kwargs: Any) -> Any:
        state = _numpy_call(rng_of(rs, holder).get_state, *args, **kwargs)
        if isinstance(state, tuple):  # ('MT19937', keys, pos, has_gauss, cached_gaussian)
            return (state[0], _key_array(rs, state[1]), *state[2:])
        inner = state["state"]
        return {**state, "state": {**inner, "key": _key_array(rs, inner["key"])}}

    return run


def _state_value(value: Any) -> Any:
    """A program's state (tuple or dict, as get_state gave it) as NumPy's."""
    if type(value) is Array:
        return value._view
    if isinstance(value, str) or value is None:
        return value
    if type(value) is dict:
        return {k: _state_value(v) for k, v in value.items()}
    if type(value) is tuple:
        return tuple(_state_value(v) for v in value)
    return as_numpy(value)


def _set_state_with(rng_of: Callable[[Any, Any], Any]) -> Callable[..., Any]:
    def run(rs: Any, holder: Any, *args: Any, **kwargs: Any) -> None:
        rng = rng_of(rs, holder)
        _numpy_call(rng.set_state, *(_state_value(a) for a in args),
                    **{k: _state_value(v) for k, v in kwargs.items()})
        return None

    return run


def _global(rs: Any, holder: Any) -> Any:
    return session_random(rs)


def _own(rs: Any, holder: Any) -> Any:
    return holder.rng


def _global_fn(name: str, method: Callable[..., Any]) -> BuiltinFunction:
    return BuiltinFunction(name, lambda rs, *args, **kwargs: method(rs, None, *args, **kwargs))


RANDOMSTATE_METHODS: dict[str, Any] = {
    name: _draw(name, size, allowed, _own) for name, size, allowed in _LEGACY}
RANDOMSTATE_METHODS["shuffle"] = _shuffle_with(_own)
RANDOMSTATE_METHODS["get_state"] = _get_state_with(_own)
RANDOMSTATE_METHODS["set_state"] = _set_state_with(_own)
RANDOMSTATE_METHODS["seed"] = lambda rs, holder, seed=None: _numpy_call(
    holder.rng.seed, as_numpy(seed if seed is not None else _fresh_seed(rs)))
GENERATOR_METHODS: dict[str, Any] = {
    name: _draw(name, size, allowed, _own) for name, size, allowed in _GENERATOR}
GENERATOR_METHODS["shuffle"] = _shuffle_with(_own)


def _random_state(rs: Any, seed: Any = None) -> RandomStateValue:
    if seed is None:
        seed = _fresh_seed(rs)
    return RandomStateValue(_numpy_call(np.random.RandomState, as_numpy(seed)))


def _default_rng(rs: Any, seed: Any = None) -> GeneratorValue:
    if isinstance(seed, GeneratorValue):
        return seed
    if seed is None:
        seed = _fresh_seed(rs)
    return GeneratorValue(_numpy_call(np.random.default_rng, as_numpy(seed)))


RANDOM: dict[str, Any] = {
    name: _global_fn(name, _draw(name, size, allowed, _global))
    for name, size, allowed in _LEGACY}
RANDOM.update({
    "shuffle": _global_fn("shuffle", _shuffle_with(_global)),
    "seed": BuiltinFunction("seed", _seed),
    "get_state": _global_fn("get_state", _get_state_with(_global)),
    "set_state": _global_fn("set_state", _set_state_with(_global)),
    "RandomState": BuiltinFunction("RandomState", _random_state),
    "default_rng": BuiltinFunction("default_rng", _default_rng),
})


# --------------------------------------------------------------------------- testing

def _assertion(name: str) -> BuiltinFunction:
    target = getattr(np.testing, name)

    def run(rs: Any, *args: Any, **kwargs: Any) -> None:
        call_args = [as_numpy(a) if not isinstance(a, str) else a for a in args]
        call_kwargs = {k: (as_numpy(v) if not isinstance(v, str) else v)
                       for k, v in kwargs.items()}
        try:
            with np.errstate(all="ignore"):
                target(*call_args, **call_kwargs)
        except AssertionError as exc:
            raise ProgramError(str(exc), exception="AssertionError") from None
        except (TypeError, ValueError) as exc:
            raise ProgramError(str(exc), exception=type(exc).__name__) from None
        return None

    return BuiltinFunction(name, run)


TESTING: dict[str, Any] = {name: _assertion(name) for name in (
    "assert_allclose", "assert_array_equal", "assert_array_almost_equal",
    "assert_almost_equal", "assert_equal", "assert_array_less", "assert_array_max_ulp")}


# --------------------------------------------------------------------------- linalg

def _factorization(a: Any, *rest: Any, **kwargs: Any) -> float:
    shape = np.shape(a)
    return factorization_cost(shape) if len(shape) >= 2 else float(_size(a))


def _matrices(a: Any) -> tuple[int, int, int]:
    """(matrices in the batch, rows, columns) of a stack of matrices."""
    shape = np.shape(a)
    if len(shape) < 2:
        return 1, 1, max(_size(a), 1)
    return math.prod(shape[:-2]), shape[-2], shape[-1]


def _svd_size(a: Any, full_matrices: Any = True, compute_uv: Any = True,
              *rest: Any, **kwargs: Any) -> int:
    b, m, n = _matrices(a)
    full_matrices = kwargs.get("full_matrices", full_matrices)
    compute_uv = kwargs.get("compute_uv", compute_uv)
    k = min(m, n)
    if not compute_uv:
        return b * k
    return b * (m * m + n * n + k if full_matrices else m * k + k * n + k)


def _qr_size(a: Any, mode: Any = "reduced", *rest: Any, **kwargs: Any) -> int:
    b, m, n = _matrices(a)
    mode = kwargs.get("mode", mode)
    return b * (m * m + m * n if mode == "complete" else m * n + min(m, n) * (m + n))


def _eigen_size(a: Any, *rest: Any, **kwargs: Any) -> int:
    b, m, n = _matrices(a)
    return b * (m * n + m)


def _lstsq_size(a: Any, b: Any, *rest: Any, **kwargs: Any) -> int:
    _, m, n = _matrices(a)
    k = _size(b) // max(m, 1)
    return n * max(k, 1) + max(k, 1) + min(m, n)


def _power_cost(a: Any, n: Any, *rest: Any, **kwargs: Any) -> float:
    steps = abs(int(n)).bit_length() if isinstance(n, (int, np.integer)) else 1
    return _factorization(a) * max(1, 2 * steps)  # (squarings and products: matmuls)


LINALG: dict[str, Any] = {
    "norm": _function("norm", None, ("ord", "axis", "keepdims"), np.linalg.norm,
                      _factorization),
    "inv": _function("inv", None, (), np.linalg.inv, _factorization),
    "det": _function("det", None, (), np.linalg.det, _factorization),
    "solve": _function("solve", None, (), np.linalg.solve, _factorization),
    "pinv": _function("pinv", None, ("rcond", "hermitian", "rtol"), np.linalg.pinv,
                      _factorization),
    "matrix_rank": _function("matrix_rank", None, ("tol", "hermitian", "rtol"),
                             np.linalg.matrix_rank, _factorization),
    "svd": _function("svd", _svd_size, ("full_matrices", "compute_uv", "hermitian"),
                     np.linalg.svd, _factorization),
    "qr": _function("qr", _qr_size, ("mode",), np.linalg.qr, _factorization),
    "cholesky": _function("cholesky", None, ("upper",), np.linalg.cholesky, _factorization),
    "eigh": _function("eigh", _eigen_size, ("UPLO",), np.linalg.eigh, _factorization),
    "eigvalsh": _function("eigvalsh", _eigen_size, ("UPLO",), np.linalg.eigvalsh,
                          _factorization),
    "eig": _function("eig", _eigen_size, (), np.linalg.eig, _factorization),
    "eigvals": _function("eigvals", _eigen_size, (), np.linalg.eigvals, _factorization),
    "lstsq": _function("lstsq", _lstsq_size, ("rcond",), np.linalg.lstsq, _factorization),
    "slogdet": _function("slogdet", _eigen_size, (), np.linalg.slogdet, _factorization),
    "cond": _function("cond", _eigen_size, ("p",), np.linalg.cond, _factorization),
    "matrix_power": _function("matrix_power", None, (), np.linalg.matrix_power, _power_cost),
    "LinAlgError": LIBRARY_EXCEPTIONS["LinAlgError"],
}
EXCEPTIONS: dict[str, Any] = {"AxisError": LIBRARY_EXCEPTIONS["AxisError"]}


# --------------------------------------------------------------------------- the module

_UNARY = (
    "abs", "absolute", "negative", "positive", "sign", "exp", "exp2", "expm1", "log", "log2",
    "log10", "log1p", "sqrt", "square", "cbrt", "reciprocal", "sin", "cos", "tan", "arcsin",
    "arccos", "arctan", "sinh", "cosh", "tanh", "arcsinh", "arccosh", "arctanh", "floor",
    "ceil", "trunc", "rint", "fix", "isnan", "isinf", "isfinite", "isneginf", "isposinf",
    "logical_not", "signbit", "deg2rad", "rad2deg", "degrees", "radians", "fabs", "invert",
    "bitwise_not", "bitwise_invert", "nan_to_num", "sinc",
)
_BINARY = (
    "add", "subtract", "multiply", "divide", "true_divide", "floor_divide", "power",
    "float_power", "pow", "mod", "remainder", "fmod", "maximum", "minimum", "fmax", "fmin",
    "greater", "greater_equal", "less", "less_equal", "equal", "not_equal", "logical_and",
    "logical_or", "logical_xor", "arctan2", "atan2", "hypot", "bitwise_and", "bitwise_or",
    "bitwise_xor", "left_shift", "right_shift", "copysign", "heaviside", "logaddexp",
    "logaddexp2", "nextafter",
)
_UFUNC_KW = ("out", "where", "dtype", "casting", "order")
_REDUCE = ("sum", "mean", "std", "var", "prod", "max", "min", "amax", "amin", "argmax",
           "argmin", "cumsum", "cumprod", "all", "any", "median", "nansum", "nanmean",
           "nanmax", "nanmin", "nanstd", "nanvar", "nanprod", "nanargmax", "nanargmin",
           "count_nonzero", "average", "ptp", "percentile", "quantile", "nancumsum",
           "nanmedian")
_REDUCE_KW = ("axis", "keepdims", "dtype", "out", "ddof", "weights", "returned", "initial",
              "where", "method", "correction", "mean")
_SAME_SIZE = (  # results no larger than their first argument (or a view of it)
    "reshape", "transpose", "squeeze", "expand_dims", "ravel", "swapaxes", "moveaxis", "flip",
    "fliplr", "flipud", "rot90", "atleast_1d", "atleast_2d", "atleast_3d", "sort", "argsort",
    "unique", "nonzero", "argwhere", "flatnonzero", "diff", "round", "around", "clip",
    "copy", "ascontiguousarray", "tril", "triu", "diagonal", "trace", "roll", "cumulative_sum",
    "isclose", "searchsorted", "shape", "ndim", "size", "allclose", "array_equal",
    "array_equiv", "split", "array_split", "interp", "digitize", "isin", "delete",
)
_SIZES: dict[str, Callable[..., int]] = {
    "concatenate": _sum_size, "stack": _sum_size, "vstack": _sum_size, "hstack": _sum_size,
    "dstack": _sum_size, "column_stack": _sum_size, "concat": _sum_size, "append": _append_size,
    "outer": _outer_size, "kron": _outer_size, "matmul": _matmul_size,
    "tile": _tile_size, "repeat": _repeat_size, "meshgrid": _meshgrid_size,
    "where": _where_size, "linspace": _num_size(50), "logspace": _num_size(50),
    "geomspace": _num_size(50), "eye": _eye_size, "identity": lambda n, **k: _shape_size((n, n)),
    "tri": _eye_size, "diag": _diag_size, "broadcast_to": _broadcast_to_size,
    "cross": _binary_size, "clip": _where_size, "isclose": _binary_size,
    "allclose": _binary_size,
    # one array of f's size per axis differentiated (all of them unless axis= says)
    "gradient": lambda f, *spacing, **kw: _size(f) * max(1, np.ndim(f)),
}

NUMPY: dict[str, Any] = {"pi": math.pi, "e": math.e, "inf": math.inf, "nan": math.nan,
                         "newaxis": None, "euler_gamma": float(np.euler_gamma)}
for _name in ("float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8",
              "bool_"):
    NUMPY[_name] = _scalar_type(_name)
NUMPY.update({"bool": NUMPY["bool_"], "half": NUMPY["float16"], "single": NUMPY["float32"],
              "double": NUMPY["float64"], "int_": NUMPY["int64"], "intp": NUMPY["int64"],
              "byte": NUMPY["int8"], "ubyte": NUMPY["uint8"], "short": NUMPY["int16"],
              "longlong": NUMPY["int64"]})
SCALAR_TYPES = tuple(NUMPY[name] for name in ("float16", "float32", "float64", "int8", "int16",
                                              "int32", "int64", "uint8", "bool_"))
for _name in _UNARY + _BINARY:
    if hasattr(np, _name):
        NUMPY[_name] = _function(_name, _binary_size if _name in _BINARY else None, _UFUNC_KW)
for _name in _REDUCE:
    NUMPY[_name] = _function(_name, None, _REDUCE_KW)
for _name in _SAME_SIZE:
    if _name and hasattr(np, _name):
        NUMPY.setdefault(_name, _function(_name))
for _name, _bound in _SIZES.items():
    if _name and hasattr(np, _name):
        NUMPY[_name] = _function(_name, _bound)


def _einsum_loops(spec: str, shapes: list[tuple]) -> tuple[int, int]:
    """(elements of the result, iterations of NumPy's loop) of ``np.einsum(spec, ...)`` on
    operands of ``shapes``, bounded from above (a label's size is its largest, as NumPy
    broadcasts 1s); ValueError for subscripts this reading does not know."""
    spec = spec.replace(" ", "")
    inputs, arrow, output = spec.partition("->")
    terms = inputs.split(",")
    if len(terms) != len(shapes):
        raise ValueError(spec)
    sizes: dict[str, int] = {}
    ellipsis: list[int] = []  # the broadcast of the dims the operands' '...' stand for
    counts: dict[str, int] = {}
    for term, shape in zip(terms, shapes, strict=True):
        letters = term.replace("...", "", 1)
        if not all(c.isascii() and c.isalpha() for c in letters):
            raise ValueError(spec)
        extra = len(shape) - len(letters)
        if extra < 0 or extra and letters == term:
            raise ValueError(spec)
        at = term.find("...")
        dims = list(shape)
        if at >= 0:
            ell, dims = dims[at:at + extra], dims[:at] + dims[at + extra:]
            ellipsis = [max(x, y) for x, y in zip(
                [1] * (len(ell) - len(ellipsis)) + ellipsis,
                [1] * (len(ellipsis) - len(ell)) + ell, strict=True)]
        for c, d in zip(letters, dims, strict=True):
            sizes[c] = max(sizes.get(c, 1), int(d))
            counts[c] = counts.get(c, 0) + 1
    if arrow:
        out = output.replace("...", "", 1)
        if not all(c in sizes for c in out) or len(set(out)) != len(out):
            raise ValueError(spec)
    else:
        out = "".join(c for c, n in counts.items() if n == 1)
    ell = math.prod(ellipsis)
    return ell * math.prod(sizes[c] for c in out), ell * math.prod(sizes.values())


def _einsum(rs: Any, *args: Any, **kwargs: Any) -> Any:
    """``np.einsum(subscripts, *operands)``: NumPy's (``optimize=False``, its default, the
    plain loop over every label), bounded by its result and charged its loop."""
    if not args or not isinstance(args[0], str):
        if args:
            raise not_supported("numpy.einsum with sublists (write the subscripts as a string)")
        return _numpy_call(np.einsum)
    _check_kwargs("einsum", kwargs, ("out", "dtype", "order", "casting", "optimize"))
    if kwargs.get("optimize", False) is not False:
        raise not_supported("numpy.einsum(optimize=...)")
    call_args, call_kwargs = _convert_all(args[1:], kwargs)
    try:
        n, loops = _einsum_loops(args[0], [np.shape(x) for x in call_args])
    except ValueError:
        # NumPy's own error for the subscripts, from stand-ins of the operands' ranks
        _numpy_call(np.einsum, args[0], *(np.zeros((1,) * np.ndim(x)) for x in call_args))
        raise not_supported(f"numpy.einsum subscripts {args[0]!r}") from None
    check_elements(n)
    charge("einsum", product_cost(loops, 1))
    return _result(_numpy_call(np.einsum, args[0], *call_args, **call_kwargs), kwargs)


def _sorting(a: Any, axis: Any = -1, *rest: Any, **kwargs: Any) -> float:
    shape = np.shape(a)
    if not shape:
        return 0.0
    axis = kwargs.get("axis", axis)
    if axis is None or not isinstance(axis, (int, np.integer)):
        shape, axis = (max(_size(a), 1),), 0
    return sort_cost(shape, int(axis) % len(shape))


def _product(a: Any, b: Any, *rest: Any, **kwargs: Any) -> float:
    sa = np.shape(a)
    return product_cost(math.prod(_matmul_shape(sa, np.shape(b))), sa[-1] if sa else 1)


def _inner(a: Any, b: Any, *rest: Any, **kwargs: Any) -> float:
    sa, sb = np.shape(a), np.shape(b)
    return product_cost(math.prod(sa[:-1] + sb[:-1]), sa[-1] if sa else 1)


for _name in ("sort", "argsort", "unique", "median", "percentile", "quantile", "nanmedian",
              "searchsorted", "isin"):
    NUMPY[_name] = _function(_name, None, None, None, _sorting)
NUMPY["matmul"] = _function("matmul", _matmul_size, _UFUNC_KW, None, _product)
NUMPY["inner"] = _function("inner", _inner_size, None, None, _inner)
NUMPY.update({
    "array": BuiltinFunction("array", _array),
    "asarray": BuiltinFunction("asarray", _asarray),
    "asanyarray": BuiltinFunction("asanyarray", _asarray),
    "zeros": _filled("zeros"), "ones": _filled("ones"), "empty": _filled("empty"),
    "full": _filled("full"),
    "zeros_like": _like("zeros_like"), "ones_like": _like("ones_like"),
    "empty_like": _like("empty_like"), "full_like": _like("full_like"),
    "arange": BuiltinFunction("arange", _arange),
    "dot": BuiltinFunction("dot", _dot_fn),
    "einsum": BuiltinFunction("einsum", _einsum),
    "dtype": BuiltinFunction("dtype", _dtype),
    "finfo": BuiltinFunction("finfo", _finfo),
    "iinfo": BuiltinFunction("iinfo", _iinfo),
})


#: The attributes a program may read of these values (``np.finfo(np.float32).eps``).
ATTRIBUTES: dict[type, dict[str, Any]] = {
    FInfo: _info_attr(_FINFO_ATTRS), IInfo: _info_attr(_IINFO_ATTRS),
    UFunc: {name: (lambda attr: lambda f: getattr(getattr(np, f.name), attr))(name)
            for name in _UFUNC_ATTRS}}
#: NumPy's named results (``np.linalg.svd(a).S``): their fields, the program's values.
ATTRIBUTES.update({type(result): {name: operator.attrgetter(name) for name in result._fields}
                   for result in (np.linalg.svd(np.eye(1)), np.linalg.eigh(np.eye(1)),
                                  np.linalg.eig(np.eye(1)), np.linalg.qr(np.eye(1)),
                                  np.linalg.slogdet(np.eye(1)))})
#: Their methods (``rng.normal(...)``).
METHODS: dict[type, dict[str, Any]] = {RandomStateValue: RANDOMSTATE_METHODS,
                                       GeneratorValue: GENERATOR_METHODS, UFunc: UFUNC_METHODS}

SUBMODULES = {"numpy.random": RANDOM, "numpy.testing": TESTING, "numpy.linalg": LINALG,
              "numpy.exceptions": EXCEPTIONS}
