"""Batching at the array level: what makes ``vmap`` run an op once for the whole batch.

Every engine op computes on arrays through NumPy's API (``device.xp`` functions, ndarray
methods, operators). Inside ``vmap`` a batched tensor holds a ``BatchedArray``: the physical
array with the batch as axis 0, presenting the per-sample ("logical") shape. NumPy hands every
call that touches one to ``__array_ufunc__`` / ``__array_function__``, and the batching rules
below answer by families, as JAX keeps batching rules beside its primitives:

- elementwise (every ufunc, ``where``, ``clip``...): align the batch axes and broadcast;
- reductions and scans (``sum``, ``max``, ``argmax``, ``cumsum``, ``sort``...): shift ``axis``;
- shape and indexing (``reshape``, ``transpose``, ``concatenate``, ``x[key]``...): shift axes,
  prepend the batch to shapes and keys;
- ``matmul``: batch dimension in front, vectors lifted to matrices;
- anything else: the per-primitive fallback, which calls the function once per sample and
  stacks the results (correct for any function of one sample; costs a Python loop).

No engine op knows about any of this, so an op pays nothing outside ``vmap``. Where a value
cannot be batched at this level (``np.asarray`` of a batched array, ``float()`` of one, a
data-dependent shape), a ``BatchingError`` is raised and ``vmap`` runs the whole function once
per sample instead.

Levels nest: a nested ``vmap`` wraps arrays whose ``phys`` is itself a ``BatchedArray`` of the
outer level; the rule of the innermost level runs first and treats outer-level arrays as plain
values, which dispatch again when the rule touches them.
"""

from __future__ import annotations

import numbers

import numpy as np

from .. import errors


class BatchingError(errors.EngineError):
    """An array operation with no batching rule that the per-primitive fallback cannot do."""


class BatchedArray:
    __slots__ = ("phys", "level")
    __array_priority__ = 1000

    def __init__(self, phys, level: int):
        self.phys = phys
        self.level = level

    # ----------------------------------------------------------------- logical metadata
    @property
    def shape(self) -> tuple:
        return tuple(self.phys.shape[1:])

    @property
    def ndim(self) -> int:
        return self.phys.ndim - 1

    @property
    def size(self) -> int:
        n = 1
        for s in self.phys.shape[1:]:
            n *= s
        return n

    @property
    def batch(self) -> int:
        return self.phys.shape[0]

    @property
    def dtype(self):
        return self.phys.dtype

    @property
    def itemsize(self) -> int:
        return self.phys.itemsize

    @property
    def nbytes(self) -> int:
        return self.size * self.phys.itemsize

    @property
    def flags(self):
        return self.phys.flags

    @property
    def base(self):
        return None

    @property
    def T(self):
        return np.transpose(self)

    @property
    def mT(self):
        return np.swapaxes(self, -1, -2)

    @property
    def real(self):
        return self

    def __repr__(self) -> str:
        return f"BatchedArray(lvl={self.level}, bdim=0, value={self.phys!r})"

    def __getattr__(self, name):
        # an ndarray attribute with no batched meaning here (strides, ctypes, data...): the
        # whole function then runs once per sample
        if name in ("__array_interface__", "__array_struct__"):  # memory layout (as_strided)
            raise BatchingError(f"ndarray.{name} of a batched array")
        if name.startswith("__"):
            raise AttributeError(name)
        raise BatchingError(f"ndarray.{name} of a batched array")

    # ----------------------------------------------------------------- conversions
    def __array__(self, dtype=None, copy=None):
        raise BatchingError("a batched array cannot become a plain array")

    def __bool__(self):
        raise BatchingError("data-dependent control flow on a batched array")

    def __float__(self):
        raise BatchingError("a batched array is not one number")

    __int__ = __index__ = __complex__ = __float__

    def item(self, *args):
        raise BatchingError("item() of a batched array")

    def tolist(self):
        raise BatchingError("tolist() of a batched array")

    def __len__(self) -> int:
        if self.phys.ndim < 2:
            raise TypeError("len() of unsized object")
        return self.phys.shape[1]

    def __iter__(self):
        raise BatchingError("iterating over a batched array")

    def __hash__(self):
        return id(self)

    # ----------------------------------------------------------------- methods
    def astype(self, dtype, copy=True, **kwargs):
        return BatchedArray(self.phys.astype(dtype, copy=copy, **kwargs), self.level)

    def copy(self, order="C"):
        return BatchedArray(self.phys.copy(), self.level)

    def view(self, dtype=None):
        return BatchedArray(self.phys.view() if dtype is None else self.phys.view(dtype),
                            self.level)

    def reshape(self, *shape, order="C"):
        if len(shape) == 1 and not isinstance(shape[0], numbers.Integral):
            shape = tuple(shape[0])
        return np.reshape(self, shape)

    def transpose(self, *axes):
        if len(axes) == 1 and not isinstance(axes[0], numbers.Integral):
            axes = axes[0]
        return np.transpose(self, axes or None)

    def swapaxes(self, a, b):
        return np.swapaxes(self, a, b)

    def ravel(self, order="C"):
        return np.reshape(self, (-1,))

    flatten = ravel

    def squeeze(self, axis=None):
        return np.squeeze(self, axis)

    def fill(self, value):
        self.phys.fill(value)

    def diagonal(self, offset=0, axis1=0, axis2=1):
        return np.diagonal(self, offset, axis1, axis2)

    def take(self, indices, axis=None):
        return np.take(self, indices, axis)

    def repeat(self, repeats, axis=None):
        return np.repeat(self, repeats, axis)

    def clip(self, min=None, max=None):
        return np.clip(self, min, max)

    def round(self, decimals=0):
        return np.round(self, decimals)

    def conj(self):
        return self

    def dot(self, other):
        return np.dot(self, other)

    def nonzero(self):
        return np.nonzero(self)

    def argsort(self, axis=-1, kind=None):
        return np.argsort(self, axis=axis, kind=kind)

    def sort(self, axis=-1, kind=None):
        sorted_ = np.sort(self, axis=axis, kind=kind)
        self.phys[...] = sorted_.phys

    def __getitem__(self, key):
        return _getitem(self, key)

    def __setitem__(self, key, value):
        _setitem(self, key, value)

    # ----------------------------------------------------------------- NumPy protocols
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        # NumPy asks only one array of each type, so the innermost level's rule runs here
        level = _top_level(inputs, kwargs.get("out", ()))
        if method == "__call__":
            if ufunc is np.matmul:
                return _matmul(inputs, kwargs, level)
            if ufunc.signature is None and "where" not in kwargs:
                return _elementwise(ufunc, inputs, kwargs, level)
        elif method in ("reduce", "accumulate") and len(inputs) == 1 and \
                not kwargs.get("out"):
            fn = getattr(ufunc, method)
            axis = kwargs.pop("axis", 0)
            return _reduce(lambda a, axis=None, **kw: fn(a, axis=axis, **kw), (inputs[0],),
                           {"axis": axis, **kwargs}, level, method == "accumulate")
        return _loop(getattr(ufunc, method), inputs, kwargs, level)

    def __array_function__(self, func, types, args, kwargs):
        level = _top_level(args, kwargs)
        rule = RULES.get(func)
        if rule is not None:
            return rule(func, args, kwargs, level)
        return _loop(func, args, kwargs, level)


def _binop(ufunc):
    return (lambda self, other: ufunc(self, other)), (lambda self, other: ufunc(other, self))


for _name, _uf in (("add", np.add), ("sub", np.subtract), ("mul", np.multiply),
                   ("truediv", np.true_divide), ("floordiv", np.floor_divide),
                   ("mod", np.remainder), ("pow", np.power), ("matmul", np.matmul),
                   ("and", np.bitwise_and), ("or", np.bitwise_or), ("xor", np.bitwise_xor),
                   ("lshift", np.left_shift), ("rshift", np.right_shift)):
    _f, _r = _binop(_uf)
    setattr(BatchedArray, f"__{_name}__", _f)
    setattr(BatchedArray, f"__r{_name}__", _r)
    setattr(BatchedArray, f"__i{_name}__",
            lambda self, other, _uf=_uf: _uf(self, other, out=(self,)))
for _name, _uf in (("eq", np.equal), ("ne", np.not_equal), ("lt", np.less),
                   ("le", np.less_equal), ("gt", np.greater), ("ge", np.greater_equal)):
    setattr(BatchedArray, f"__{_name}__", lambda self, other, _uf=_uf: _uf(self, other))
BatchedArray.__neg__ = lambda self: np.negative(self)
BatchedArray.__pos__ = lambda self: np.positive(self)
BatchedArray.__abs__ = lambda self: np.absolute(self)
BatchedArray.__invert__ = lambda self: np.invert(self)
for _name, _fn in (("sum", np.sum), ("mean", np.mean), ("prod", np.prod), ("max", np.max),
                   ("min", np.min), ("any", np.any), ("all", np.all), ("std", np.std),
                   ("var", np.var), ("argmax", np.argmax), ("argmin", np.argmin),
                   ("cumsum", np.cumsum), ("cumprod", np.cumprod)):
    setattr(BatchedArray, _name, lambda self, *a, _fn=_fn, **k: _fn(self, *a, **k))


# --------------------------------------------------------------------------- helpers
def _top_level(args, kwargs=None) -> int:
    top = -1
    for a in _walk(args):
        if type(a) is BatchedArray and a.level > top:
            top = a.level
    if kwargs:
        for a in _walk(tuple(kwargs.values()) if isinstance(kwargs, dict) else kwargs):
            if type(a) is BatchedArray and a.level > top:
                top = a.level
    return top


def _walk(x):
    if type(x) in (tuple, list):
        for e in x:
            yield from _walk(e)
    else:
        yield x


def _at(x, level) -> bool:
    return type(x) is BatchedArray and x.level == level


def _batch_size(args, level) -> int:
    for a in _walk(args):
        if _at(a, level):
            return a.phys.shape[0]
    raise BatchingError("no batched argument")


def _ndim(x) -> int:
    return x.ndim if _at_any(x) else np.ndim(x)


def _at_any(x) -> bool:
    return type(x) is BatchedArray


def _lift(x, nd: int):
    """The physical array of a batched ``x`` with its logical dims padded to ``nd``."""
    phys = x.phys
    missing = nd - (phys.ndim - 1)
    if missing > 0:
        phys = phys.reshape((phys.shape[0],) + (1,) * missing + tuple(phys.shape[1:]))
    return phys


def _wrap_result(r, level):
    if isinstance(r, tuple):
        return tuple(_wrap_result(e, level) for e in r)
    return BatchedArray(r, level)


def _norm_axis(axis: int, nd: int) -> int:
    if axis < -nd or axis >= max(nd, 1):
        raise np.exceptions.AxisError(axis, nd)
    return axis + nd if axis < 0 else axis


# --------------------------------------------------------------------------- rules
def _elementwise(ufunc, inputs, kwargs, level):
    nd = max(_ndim(x) for x in inputs)
    out = kwargs.get("out")
    if out:
        for o in out:
            if not _at(o, level):
                raise errors.EngineRuntimeError(
                    "vmap: inplace arithmetic(self, *extra_args) is not possible because there "
                    "exists a Tensor `other` in extra_args that has more elements than `self`. "
                    "This happened due to `other` being vmapped over but `self` not being "
                    "vmapped over in a vmap. Please try to use out-of-place operators instead "
                    "of inplace arithmetic.")
        nd = max(nd, max(o.ndim for o in out))
        kwargs = dict(kwargs, out=tuple(_lift(o, nd) for o in out))
    args = [_lift(x, nd) if _at(x, level) else x for x in inputs]
    res = ufunc(*args, **kwargs)
    if out:
        return out[0] if len(out) == 1 else tuple(out)
    return _wrap_result(res, level)


def _elementwise_fn(func, args, kwargs, level):
    arrays = [a for a in args if _at(a, level) or isinstance(a, np.ndarray) or _at_any(a)]
    nd = max(_ndim(a) for a in arrays)
    lifted = [_lift(a, nd) if _at(a, level) else a for a in args]
    return _wrap_result(func(*lifted, **kwargs), level)


def _matmul(inputs, kwargs, level):
    if kwargs or len(inputs) != 2:
        return _loop(np.matmul, inputs, kwargs, level)
    a, b = inputs
    ba, bb = _at(a, level), _at(b, level)
    na, nb = _ndim(a), _ndim(b)
    if na == 0 or nb == 0:
        raise ValueError("matmul: Input operand does not have enough dimensions")
    pa = a.phys if ba else a
    pb = b.phys if bb else b
    if ba and not bb and nb == 2 and type(pa) is not BatchedArray and \
            type(pb) is not BatchedArray:
        # rows @ a shared matrix: one product with the batch folded into the rows, the very
        # product (and rounding) of the unbatched call on the whole batch
        rows = np.matmul(pa.reshape((-1, pa.shape[-1])), pb)
        return BatchedArray(rows.reshape(tuple(pa.shape[:-1]) + (rows.shape[-1],)), level)
    if ba and na == 1:
        pa = pa.reshape((pa.shape[0], 1, pa.shape[1]))
    elif na == 1:
        pa = pa.reshape((1,) + tuple(np.shape(pa)))
    if bb and nb == 1:
        pb = pb.reshape((pb.shape[0], pb.shape[1], 1))
    elif nb == 1:
        pb = pb.reshape(tuple(np.shape(pb)) + (1,))
    la, lb = max(na, 2), max(nb, 2)  # logical ranks after lifting vectors
    nd = max(la, lb)
    if ba:
        pa = _pad_batched(pa, la, nd)
    if bb:
        pb = _pad_batched(pb, lb, nd)
    if ba and not bb and nd > lb:
        pass  # an unbatched operand broadcasts from the right
    if bb and not ba and la == 2 and nd == 2:
        pa = pa.reshape((1,) + tuple(np.shape(pa)))
    if ba and not bb and lb == 2 and nd == 2:
        pb = pb.reshape((1,) + tuple(np.shape(pb)))
    res = np.matmul(pa, pb)
    if na == 1:
        res = res.reshape(tuple(res.shape[:-2]) + tuple(res.shape[-1:]))
    if nb == 1:
        res = res.reshape(tuple(res.shape[:-1]))
    return BatchedArray(res, level)


def _pad_batched(phys, logical_nd: int, nd: int):
    missing = nd - logical_nd
    if missing > 0:
        phys = phys.reshape((phys.shape[0],) + (1,) * missing + tuple(phys.shape[1:]))
    return phys


def _reduce(func, args, kwargs, level, flat_when_none=False):
    a = args[0]
    if not _at(a, level) or any(_at(x, level) for x in _walk(args[1:])):
        return _loop(func, args, kwargs, level)
    kwargs = dict(kwargs)
    rest = list(args[1:])
    if "axis" in kwargs:
        axis = kwargs.pop("axis")
    elif rest:
        axis = rest.pop(0)
    else:
        axis = None
    if kwargs.get("out") is not None:
        return _loop(func, args, dict(kwargs, axis=axis), level)
    nd = a.ndim
    phys = a.phys
    if axis is None:
        if flat_when_none:
            phys = phys.reshape((phys.shape[0], -1))
            axis = 1
        elif kwargs.get("keepdims"):
            axis = tuple(range(1, nd + 1))
        else:
            axis = tuple(range(1, nd + 1))
    elif isinstance(axis, tuple):
        axis = tuple(_norm_axis(ax, nd) + 1 for ax in axis)
    else:
        axis = _norm_axis(int(axis), nd) + 1
    return _wrap_result(func(phys, *rest, axis=axis, **kwargs), level)


def _axis_fn(pos: int = 1, name: str = "axis", flat_when_none: bool = True):
    """A function of one array whose ``axis`` argument (or positional ``pos``) is shifted."""

    def rule(func, args, kwargs, level):
        return _reduce(func, args, kwargs, level, flat_when_none)

    return rule


def _reshape(func, args, kwargs, level):
    a = args[0]
    shape = kwargs.get("newshape", kwargs.get("shape", args[1] if len(args) > 1 else None))
    if not _at(a, level) or shape is None:
        return _loop(func, args, kwargs, level)
    if isinstance(shape, numbers.Integral):
        shape = (shape,)
    return BatchedArray(a.phys.reshape((a.phys.shape[0],) + tuple(shape)), level)


def _transpose(func, args, kwargs, level):
    a = args[0]
    axes = kwargs.get("axes", args[1] if len(args) > 1 else None)
    if not _at(a, level):
        return _loop(func, args, kwargs, level)
    nd = a.ndim
    if axes is None:
        axes = tuple(range(nd - 1, -1, -1))
    axes = (0,) + tuple(_norm_axis(ax, nd) + 1 for ax in axes)
    return BatchedArray(np.transpose(a.phys, axes), level)


def _swapaxes(func, args, kwargs, level):
    a, i, j = (list(args) + [kwargs.get("axis1"), kwargs.get("axis2")])[:3]
    if not _at(a, level):
        return _loop(func, args, kwargs, level)
    nd = a.ndim
    return BatchedArray(np.swapaxes(a.phys, _norm_axis(i, nd) + 1, _norm_axis(j, nd) + 1),
                        level)


def _moveaxis(func, args, kwargs, level):
    a, src, dst = (list(args) + [kwargs.get("source"), kwargs.get("destination")])[:3]
    if not _at(a, level):
        return _loop(func, args, kwargs, level)
    nd = a.ndim

    def shift(ax):
        if isinstance(ax, (tuple, list)):
            return tuple(_norm_axis(x, nd) + 1 for x in ax)
        return _norm_axis(ax, nd) + 1

    return BatchedArray(np.moveaxis(a.phys, shift(src), shift(dst)), level)


def _expand_dims(func, args, kwargs, level):
    a = args[0]
    axis = kwargs.get("axis", args[1] if len(args) > 1 else None)
    if not _at(a, level):
        return _loop(func, args, kwargs, level)
    axes = axis if isinstance(axis, (tuple, list)) else (axis,)
    nd = a.ndim + len(axes)
    return BatchedArray(np.expand_dims(a.phys, tuple(_norm_axis(x, nd) + 1 for x in axes)),
                        level)


def _squeeze(func, args, kwargs, level):
    a = args[0]
    axis = kwargs.get("axis", args[1] if len(args) > 1 else None)
    if not _at(a, level):
        return _loop(func, args, kwargs, level)
    nd = a.ndim
    if axis is None:
        axis = tuple(i for i, s in enumerate(a.shape) if s == 1)
    axes = axis if isinstance(axis, (tuple, list)) else (axis,)
    return BatchedArray(np.squeeze(a.phys, tuple(_norm_axis(x, nd) + 1 for x in axes)), level)


def _broadcast_to(func, args, kwargs, level):
    a = args[0]
    shape = kwargs.get("shape", args[1] if len(args) > 1 else None)
    if not _at(a, level):
        return _loop(func, args, kwargs, level)
    shape = (shape,) if isinstance(shape, numbers.Integral) else tuple(shape)
    phys = _lift(a, len(shape))
    return BatchedArray(np.broadcast_to(phys, (phys.shape[0],) + shape), level)


def _like(fill):
    def rule(func, args, kwargs, level):
        a = args[0]
        if not _at(a, level) or kwargs.get("shape") is not None:
            return _loop(func, args, kwargs, level)
        return BatchedArray(func(a.phys, *args[1:], **kwargs), level)

    return rule


def _sequence(func, args, kwargs, level):
    """concatenate / stack: unbatched members are broadcast over the batch."""
    seq = args[0]
    axis = kwargs.get("axis", args[1] if len(args) > 1 else 0)
    rest = {k: v for k, v in kwargs.items() if k != "axis"}
    if axis is None or any(isinstance(x, (list, tuple)) for x in seq):
        return _loop(func, args, kwargs, level)
    seq = list(seq)
    size = _batch_size(seq, level)
    phys = []
    for x in seq:
        if _at(x, level):
            phys.append(x.phys)
        else:
            phys.append(np.broadcast_to(x, (size,) + tuple(np.shape(x))))
    nd = _ndim(seq[0]) + (1 if func is np.stack else 0)
    return BatchedArray(func(phys, axis=_norm_axis(axis, nd) + 1, **rest), level)


def _split(func, args, kwargs, level):
    a = args[0]
    ind = kwargs.get("indices_or_sections", args[1] if len(args) > 1 else None)
    axis = kwargs.get("axis", args[2] if len(args) > 2 else 0)
    if not _at(a, level):
        return _loop(func, args, kwargs, level)
    parts = func(a.phys, ind, axis=_norm_axis(axis, a.ndim) + 1)
    return [BatchedArray(p, level) for p in parts]


def _flip(func, args, kwargs, level):
    return _reduce(func, args, kwargs, level, flat_when_none=False)


def _take_along_axis(func, args, kwargs, level):
    arr, idx = args[0], args[1]
    axis = kwargs.get("axis", args[2] if len(args) > 2 else None)
    if axis is None:
        return _loop(func, args, kwargs, level)
    size = _batch_size((arr, idx), level)
    nd = _ndim(arr)
    pa = arr.phys if _at(arr, level) else np.broadcast_to(arr, (size,) + tuple(np.shape(arr)))
    pi = idx.phys if _at(idx, level) else np.broadcast_to(idx, (size,) + tuple(np.shape(idx)))
    return BatchedArray(func(pa, pi, axis=_norm_axis(axis, nd) + 1), level)


def _take(func, args, kwargs, level):
    a = args[0]
    idx = kwargs.get("indices", args[1] if len(args) > 1 else None)
    axis = kwargs.get("axis", args[2] if len(args) > 2 else None)
    if not _at(a, level) or _at_any(idx) or axis is None or kwargs.get("out") is not None:
        return _loop(func, args, kwargs, level)
    return BatchedArray(np.take(a.phys, idx, axis=_norm_axis(axis, a.ndim) + 1), level)


def _diagonal(func, args, kwargs, level):
    a = args[0]
    names = ("offset", "axis1", "axis2")
    vals = dict(zip(names, (0, 0, 1)))
    vals.update(dict(zip(names, args[1:])))
    vals.update({k: v for k, v in kwargs.items() if k in names})
    if not _at(a, level):
        return _loop(func, args, kwargs, level)
    nd = a.ndim
    return BatchedArray(func(a.phys, vals["offset"], _norm_axis(vals["axis1"], nd) + 1,
                             _norm_axis(vals["axis2"], nd) + 1), level)


def _last_two(func, args, kwargs, level):
    """tril / triu: they act on the last two axes, which the batch axis does not move."""
    a = args[0]
    if not _at(a, level) or a.ndim < 2 or any(_at_any(x) for x in args[1:]):
        return _loop(func, args, kwargs, level)
    return BatchedArray(func(a.phys, *args[1:], **kwargs), level)


def _copyto(func, args, kwargs, level):
    dst, src = args[0], args[1]
    if not _at(dst, level):
        raise errors.EngineRuntimeError(
            "vmap: inplace arithmetic(self, *extra_args) is not possible because there exists a "
            "Tensor `other` in extra_args that has more elements than `self`. This happened due "
            "to `other` being vmapped over but `self` not being vmapped over in a vmap. Please "
            "try to use out-of-place operators instead of inplace arithmetic.")
    ps = _lift(src, dst.ndim) if _at(src, level) else src
    np.copyto(dst.phys, ps, **kwargs)


def _shape(func, args, kwargs, level):
    return func(np.empty((0,) * 0) if False else _Meta(args[0]), *args[1:], **kwargs)


class _Meta:
    """Shape-only stand-in for np.shape / np.ndim / np.size of a batched array."""

    def __init__(self, a):
        self.shape, self.ndim, self.size = a.shape, a.ndim, a.size


def _result_type(func, args, kwargs, level):
    return func(*[a.phys.dtype if _at_any(a) else a for a in args], **kwargs)


RULES = {
    np.where: lambda f, a, k, lv: _elementwise_fn(f, a, k, lv) if len(a) == 3 and not k
    else _loop(f, a, k, lv),
    np.clip: _elementwise_fn,
    np.isclose: _elementwise_fn,
    np.nan_to_num: lambda f, a, k, lv: BatchedArray(f(a[0].phys, *a[1:], **k), lv)
    if _at(a[0], lv) and len(a) == 1 else _loop(f, a, k, lv),
    np.round: lambda f, a, k, lv: BatchedArray(f(a[0].phys, *a[1:], **k), lv)
    if _at(a[0], lv) else _loop(f, a, k, lv),
    np.sum: _axis_fn(flat_when_none=False), np.mean: _axis_fn(flat_when_none=False),
    np.prod: _axis_fn(flat_when_none=False), np.max: _axis_fn(flat_when_none=False),
    np.min: _axis_fn(flat_when_none=False), np.amax: _axis_fn(flat_when_none=False),
    np.amin: _axis_fn(flat_when_none=False), np.any: _axis_fn(flat_when_none=False),
    np.all: _axis_fn(flat_when_none=False), np.std: _axis_fn(flat_when_none=False),
    np.var: _axis_fn(flat_when_none=False), np.nansum: _axis_fn(flat_when_none=False),
    np.count_nonzero: _axis_fn(flat_when_none=False),
    np.argmax: _axis_fn(), np.argmin: _axis_fn(), np.cumsum: _axis_fn(),
    np.cumprod: _axis_fn(), np.sort: _axis_fn(), np.argsort: _axis_fn(),
    np.flip: _flip,
    np.reshape: _reshape, np.transpose: _transpose, np.swapaxes: _swapaxes,
    np.moveaxis: _moveaxis, np.expand_dims: _expand_dims, np.squeeze: _squeeze,
    np.broadcast_to: _broadcast_to,
    np.ravel: lambda f, a, k, lv: BatchedArray(a[0].phys.reshape((a[0].batch, -1)), lv)
    if _at(a[0], lv) else _loop(f, a, k, lv),
    np.zeros_like: _like(0), np.ones_like: _like(1), np.empty_like: _like(None),
    np.full_like: _like(None),
    np.concatenate: _sequence, np.stack: _sequence,
    np.split: _split, np.array_split: _split,
    np.take_along_axis: _take_along_axis, np.take: _take,
    np.diagonal: _diagonal, np.tril: _last_two, np.triu: _last_two,
    np.copyto: _copyto,
    np.shape: _shape, np.ndim: _shape, np.size: _shape,
    np.result_type: _result_type,
}


# --------------------------------------------------------------------------- indexing
def _index_key(key) -> tuple:
    return key if isinstance(key, tuple) else (key,)


def _advanced_positions(key: tuple) -> list:
    return [i for i, k in enumerate(key)
            if isinstance(k, (list, np.ndarray, BatchedArray)) and not isinstance(k, str)]


def _getitem(a: BatchedArray, key):
    key = _index_key(key)
    if any(type(k) is BatchedArray for k in key):
        return _loop(lambda x, *k: x[k if len(k) != 1 else k[0]], (a,) + key, {}, a.level)
    adv = _advanced_positions(key)
    if adv and adv != list(range(adv[0], adv[0] + len(adv))):
        return _loop(lambda x, *k: x[k], (a,) + key, {}, a.level)
    return BatchedArray(a.phys[(slice(None),) + key], a.level)


def _setitem(a: BatchedArray, key, value):
    key = _index_key(key)
    adv = _advanced_positions(key)
    if any(type(k) is BatchedArray for k in key) or (
            adv and adv != list(range(adv[0], adv[0] + len(adv)))):
        size = a.phys.shape[0]
        for b in range(size):
            kb = tuple(k.phys[b, ...] if _at(k, a.level) else k for k in key)
            a.phys[b, ...][kb] = value.phys[b, ...] if _at(value, a.level) else value
        return
    full = (slice(None),) + key
    if _at(value, a.level):
        region = a.phys[full]
        value = _lift(value, region.ndim - 1)
    a.phys[full] = value


# --------------------------------------------------------------------------- fallback
def _loop(func, args, kwargs, level):
    """The per-primitive fallback: run ``func`` on each sample, stack the results."""
    size = _batch_size((args, tuple(kwargs.values())), level)

    def pick(x, b):
        if _at(x, level):
            return x.phys[b, ...]  # (a view even for one element: in-place functions write it)
        if type(x) in (tuple, list):
            return type(x)(pick(e, b) for e in x)
        return x

    results = [func(*pick(args, b), **{k: pick(v, b) for k, v in kwargs.items()})
               for b in range(size)]
    return _stack(results, level)


def _stack(results: list, level: int):
    first = results[0]
    if first is None:
        return None
    if isinstance(first, (tuple, list)):
        items = [_stack([r[i] for r in results], level) for i in range(len(first))]
        # a named tuple (numpy.linalg's SVDResult, ...) takes its fields as arguments
        return type(first)(*items) if hasattr(first, "_fields") else type(first)(items)
    if isinstance(first, (np.ndarray, np.generic, BatchedArray)) or hasattr(first, "__array__"):
        return BatchedArray(np.stack([_as_array(r) for r in results]), level)
    if all(r == first for r in results):
        return first
    raise BatchingError("per-sample results differ in a way that cannot be batched")


def _as_array(r):
    return r if isinstance(r, (np.ndarray, BatchedArray)) else np.asarray(r)


# --------------------------------------------------------------------------- xp namespace
class BatchedNamespace:
    """``device.xp`` of a batched tensor: NumPy, except for the conversion functions NumPy
    does not let an array type override, and the allocations (``zeros``, ``empty``...), which
    make arrays of the whole batch (ops write batched gradients into them)."""

    def __init__(self, base, level: int, size: int):
        self._base = base
        self._level = level
        self._size = size

    def __getattr__(self, name):
        value = getattr(self._base, name)
        setattr(self, name, value)
        return value

    def asarray(self, a, dtype=None, **kwargs):
        if type(a) is BatchedArray:
            return a if dtype is None or a.dtype == np.dtype(dtype) else a.astype(dtype)
        return self._base.asarray(a, dtype=dtype, **kwargs)

    def array(self, a, dtype=None, copy=True, **kwargs):
        if type(a) is BatchedArray:
            out = a if dtype is None else a.astype(dtype)
            return out.copy() if copy and out is a else out
        return self._base.array(a, dtype=dtype, copy=copy, **kwargs)

    def ascontiguousarray(self, a, dtype=None):
        if type(a) is BatchedArray:
            return BatchedArray(self._base.ascontiguousarray(a.phys, dtype=dtype), a.level)
        return self._base.ascontiguousarray(a, dtype=dtype)

    asanyarray = asarray

    def _alloc(self, fn, shape, *args, **kwargs):
        shape = (shape,) if isinstance(shape, numbers.Integral) else tuple(shape)
        return BatchedArray(fn((self._size,) + shape, *args, **kwargs), self._level)

    def zeros(self, shape, dtype=float, **kwargs):
        return self._alloc(self._base.zeros, shape, dtype, **kwargs)

    def ones(self, shape, dtype=None, **kwargs):
        return self._alloc(self._base.ones, shape, dtype, **kwargs)

    def empty(self, shape, dtype=float, **kwargs):
        return self._alloc(self._base.empty, shape, dtype, **kwargs)

    def full(self, shape, fill_value, dtype=None, **kwargs):
        return self._alloc(self._base.full, shape, fill_value, dtype, **kwargs)
