"""``torch.layout``: the memory layout of a tensor. Engine tensors are dense and strided
(``torch.strided``) or sparse COO (``torch.sparse_coo``: engine/ops/sparse_coo.py, which
installs ``Tensor.layout``); torch's other layouts exist as names so programs can pass and
compare them, and a factory asked for one refuses with NotSupported (torch would build a
sparse or MKL-DNN tensor; ``to_sparse()`` and ``torch.sparse_coo_tensor`` make sparse ones).

The factory ops torch gives ``layout=`` and ``pin_memory=`` keywords (``zeros``, ``ones``,
``empty``, ``full``, ``arange``, ``linspace``, ``logspace``, ``eye``, the ``*_like`` and
``new_*`` forms, ``rand``/``randn``/``randint``/``randperm``/``normal``, ``tril_indices``,
``triu_indices``) take them here too, read as torch's argument parser reads them; and
``pin_memory=True`` raises torch's error for a machine without an accelerator's pinned
allocator (``torch.tensor`` takes ``pin_memory=`` only, as in torch)."""

from __future__ import annotations

import dataclasses
import functools

import numpy as np

from .. import errors
from ..tensor import Tensor, _wrap
from . import creation  # noqa: F401  (its factories are registered before they are wrapped)
from .registry import OPS


class layout:  # noqa: N801 (torch's class name)
    """A tensor memory layout (``torch.strided``, ``torch.sparse_coo``, ...)."""

    __slots__ = ("_name",)

    def __new__(cls, *args, **kwargs):
        raise errors.EngineTypeError("cannot create 'torch.layout' instances")

    @classmethod
    def _make(cls, name: str) -> layout:
        obj = object.__new__(cls)
        object.__setattr__(obj, "_name", name)
        return obj

    def __setattr__(self, name, value):
        raise AttributeError(f"'torch.layout' object has no attribute '{name}'")

    def __repr__(self) -> str:
        return f"torch.{self._name}"

    __str__ = __repr__

    def __reduce__(self):
        raise errors.EngineTypeError("cannot pickle 'layout' object")


strided = layout._make("strided")
sparse_coo = layout._make("sparse_coo")
sparse_csr = layout._make("sparse_csr")
sparse_csc = layout._make("sparse_csc")
sparse_bsr = layout._make("sparse_bsr")
sparse_bsc = layout._make("sparse_bsc")
_mkldnn = layout._make("_mkldnn")
jagged = layout._make("jagged")
LAYOUTS = {"strided": strided, "sparse_coo": sparse_coo, "sparse_csr": sparse_csr,
           "sparse_csc": sparse_csc, "sparse_bsr": sparse_bsr, "sparse_bsc": sparse_bsc,
           "_mkldnn": _mkldnn, "jagged": jagged}

PIN_MEMORY_UNAVAILABLE = (
    "pin_memory=True requires a CUDA or other accelerator backend; no pinned memory allocator "
    "is available on this system.")


def _type_name(value) -> str:
    from ..dtypes import DType

    if isinstance(value, DType):
        return "torch.dtype"
    return "Tensor" if isinstance(value, Tensor) else type(value).__name__


def check_layout_args(name: str, kwargs: dict, with_layout: bool = True) -> None:
    """Take ``layout`` and ``pin_memory`` out of ``kwargs`` and check them as torch does."""
    if with_layout and "layout" in kwargs:
        value = kwargs.pop("layout")
        if value is not None and not isinstance(value, layout):
            raise errors.EngineTypeError(
                f"{name}(): argument 'layout' must be torch.layout, not {_type_name(value)}")
        if value is not None and value is not strided:
            raise errors.NotSupported(
                f"{name}(): layout={value} is not supported: the engine's factories make "
                "strided tensors (layout=torch.strided; x.to_sparse() and "
                "torch.sparse_coo_tensor make sparse COO ones)")
    if "pin_memory" in kwargs:
        value = kwargs.pop("pin_memory")
        if value is not None and not isinstance(value, bool):
            raise errors.EngineTypeError(
                f"{name}(): argument 'pin_memory' must be bool, not {_type_name(value)}")
        if value:
            raise errors.EngineRuntimeError(PIN_MEMORY_UNAVAILABLE)


def _accepting(name: str, fn, with_layout: bool = True):
    @functools.wraps(fn)
    def factory(*args, **kwargs):
        if "layout" in kwargs or "pin_memory" in kwargs:
            check_layout_args(name, kwargs, with_layout)
        return fn(*args, **kwargs)

    return factory


#: torch's factories with ``layout=`` and ``pin_memory=`` keywords (their ATen schemas).
FACTORIES = ("arange", "empty", "empty_like", "eye", "full", "full_like", "linspace",
             "logspace", "new_empty", "new_full", "new_ones", "new_zeros", "normal", "ones",
             "ones_like", "rand", "rand_like", "randint", "randint_like", "randn", "randn_like",
             "randperm", "tril_indices", "triu_indices", "zeros", "zeros_like")

for _name in FACTORIES:
    _d = OPS[_name]
    OPS[_name] = dataclasses.replace(_d, fn=_accepting(_name, _d.fn))
OPS["tensor"] = dataclasses.replace(OPS["tensor"], fn=_accepting("tensor", OPS["tensor"].fn,
                                                                  with_layout=False))

# --------------------------------------------------------------------------- *_like layouts
#: the ``*_like`` factories: torch gives them ``memory_format=`` (default preserve_format)
LIKE_FACTORIES = ("empty_like", "zeros_like", "ones_like", "full_like", "rand_like",
                  "randn_like", "randint_like")


def _like_strides(arr, fmt) -> tuple | None:
    """The strides torch's ``empty_like`` gives (None: row-major, the factory's own)."""
    from . import memory_format as mf

    if fmt is None or fmt is mf.preserve_format:
        strides = mf.preserved_strides(arr.shape, mf.elem_strides(arr))
    elif fmt is mf.contiguous_format:
        return None
    else:
        mf.check_rank(fmt, arr.ndim)
        strides = mf.channels_last_strides(arr.shape)
    return None if strides == mf.contiguous_strides(arr.shape) else strides


def _laid_out(name: str, fn):
    """``fn`` (a ``*_like`` factory) with ``memory_format=``: the result has torch's layout,
    and its values are made in memory order, as torch fills a permuted result (so
    ``rand_like(x.t())`` draws what ``rand(4, 3).t()`` draws)."""

    @functools.wraps(fn)
    def factory(input, *args, memory_format=None, **kwargs):
        from . import memory_format as mf

        fmt = mf.check(memory_format, name)
        if not isinstance(input, Tensor) or type(input._data) is not np.ndarray:
            return fn(input, *args, **kwargs)  # (its own errors; other devices row-major)
        strides = _like_strides(input._data, fmt)
        if strides is None:
            return fn(input, *args, **kwargs)
        n = len(strides)
        perm = sorted(range(n), key=lambda d: (-strides[d], d))  # outermost first
        inv = [0] * n
        for i, d in enumerate(perm):
            inv[d] = i
        arr = input._data.transpose(perm)
        made = fn(_wrap(arr, input.dtype, input.device), *args, **kwargs)
        data = made._data.transpose(inv)
        item = data.itemsize
        want = tuple(st * item for st in strides)
        if data.strides != want:  # (size-1 dimensions' strides, as torch's)
            data = np.lib.stride_tricks.as_strided(data, data.shape, want)
        out = _wrap(data, made.dtype, made.device)
        if made.requires_grad:
            out.requires_grad_(True)
        return out

    return factory


for _name in LIKE_FACTORIES:
    _d = OPS[_name]
    OPS[_name] = dataclasses.replace(_d, fn=_laid_out(_name, _d.fn))

Tensor.layout = property(lambda self: strided, doc="The memory layout (see sparse_coo).")

__all__ = ["layout", *LAYOUTS]
