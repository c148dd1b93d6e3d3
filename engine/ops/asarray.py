"""``torch.asarray``: a tensor from a tensor, a NumPy array or scalar, a Python scalar or a
sequence of them, sharing memory where torch shares it.

As torch 2.13's ``asarray``:

- a **tensor** comes back as the same object when neither ``dtype`` nor ``device`` changes and
  no copy is asked for; a different dtype/device copies (``to``: ``ToCopyBackward0``) unless
  ``copy=False`` (then torch's ValueError "can't alias tensor ..."); ``copy=True`` alone is a
  ``clone`` (``CloneBackward0``). ``requires_grad=None`` means the input's flag (torch warns
  once it is True that this default changed); a differing flag detaches a non-leaf and sets the
  flag on the result - on a leaf that is the input itself, whose flag then changes, as torch's.
- a **NumPy array** is wrapped without a copy when its dtype is kept and it stays on the CPU
  (writes show on both sides); otherwise copied. A NumPy scalar is always a copy (copy=False:
  torch's RuntimeError).
- a **Python scalar or sequence** is ``torch.tensor``'s conversion (copy=False: torch's
  ValueError); tensors inside a sequence are read as Python scalars (one element each), as
  torch's sequence path reads them."""

from __future__ import annotations

import warnings

import numpy as np

from .. import errors
from ..device import bind
from ..device import device as as_device
from ..dtypes import DType, as_dtype, from_numpy_dtype
from ..tensor import Tensor, _wrap
from .registry import op

_REQUIRES_GRAD_WARNING = (
    "torch.asarray: unspecified requires_grad now defaults to obj.requires_grad instead of "
    "False. Pass requires_grad=False explicitly to get the old behavior and silence this "
    "warning.")
_WARNED: list = []


def _check_args(dtype, copy, requires_grad) -> None:
    """The binding's type checks on the keywords, in torch's order."""
    if dtype is not None and not isinstance(dtype, DType):
        raise errors.EngineTypeError(
            f"asarray(): argument 'dtype' must be torch.dtype, not {type(dtype).__name__}")
    for name, value in (("copy", copy), ("requires_grad", requires_grad)):
        if value is not None and not isinstance(value, (bool, np.bool_)):
            raise errors.EngineTypeError(
                f"asarray(): argument '{name}' must be bool, not {type(value).__name__}")


def _set_requires_grad(t: Tensor, flag: bool) -> Tensor:
    """``t`` with ``requires_grad == flag``: a non-leaf is detached first, then the flag is set
    (on the very tensor when it is a leaf, as torch's ``set_requires_grad``)."""
    if t.requires_grad == flag:
        return t
    if t.grad_fn is not None:
        t = t.detach()
        if not flag:
            return t
    if flag and not t.dtype.is_floating_point:
        raise errors.EngineRuntimeError(errors.FLOAT_REQUIRES_GRAD)
    t.requires_grad_(flag)
    return t


def _from_tensor(obj: Tensor, dt, dev, copy, requires_grad) -> Tensor:
    from .tensor_methods import clone, to

    if requires_grad is None:
        if obj.requires_grad and not _WARNED:
            _WARNED.append(True)  # (torch warns once per process)
            warnings.warn(_REQUIRES_GRAD_WARNING, UserWarning, stacklevel=3)
        requires_grad = obj.requires_grad
    wrong_dev = dev is not None and dev != obj.device
    wrong_dt = dt is not None and dt is not obj.dtype
    t = obj
    if copy or (copy is None and (wrong_dt or wrong_dev)):
        if wrong_dt or wrong_dev:
            t = to(obj, dev if wrong_dev else obj.device, dt if wrong_dt else obj.dtype,
                   copy=bool(copy))
        else:
            t = clone(obj)
    elif wrong_dev:
        raise errors.EngineValueError(
            f"can't alias tensor from device '{obj.device}' to '{dev}'.")
    elif wrong_dt:
        raise errors.EngineValueError(f"can't alias tensor with dtype '{obj.dtype.scalar_name}' "
                                      f"into dtype '{dt.scalar_name}'.")
    return _set_requires_grad(t, bool(requires_grad))


def _from_array(obj: np.ndarray, dt, dev, copy, requires_grad) -> Tensor:
    src = from_numpy_dtype(obj.dtype)  # (refuses what torch cannot hold, with torch's text)
    target = src if dt is None else dt
    on_cpu = dev is None or dev.type == "cpu"
    if copy is False:
        if not on_cpu:
            raise errors.EngineValueError(f"can't alias tensor from device 'cpu' to '{dev}'.")
        if target is not src:
            raise errors.EngineValueError(f"can't alias tensor with dtype '{src.scalar_name}' "
                                          f"into dtype '{target.scalar_name}'.")
    if copy or target is not src or not on_cpu:
        arr = np.array(obj, dtype=target.np, order="K", copy=True)
    else:
        arr = obj
    out = _wrap(arr, target, bind(as_device("cpu")))
    if not on_cpu:
        from .tensor_methods import to

        out = to(out, dev)
    return _set_requires_grad(out, bool(requires_grad))


def _scalars(data):
    """Nested lists/tuples with each tensor read as a Python scalar (one element each)."""
    if isinstance(data, Tensor):
        if data._data.size != 1:
            raise errors.EngineValueError(
                "only one element tensors can be converted to Python scalars")
        return data.item()
    if isinstance(data, (list, tuple)):
        return [_scalars(v) for v in data]
    return data


def _holds_tensor(data) -> bool:
    stack = [data]
    while stack:
        v = stack.pop()
        if isinstance(v, Tensor):
            return True
        if isinstance(v, (list, tuple)):
            stack.extend(v)
    return False


@op(kind="function", grad_fns=("CloneBackward0", "ToCopyBackward0"))
def asarray(obj, *, dtype=None, device=None, copy=None, requires_grad=None):
    """``obj`` as a tensor, sharing memory with a tensor or NumPy array when dtype and device
    are kept and no copy is asked for (``copy=False`` refuses where sharing is impossible)."""
    _check_args(dtype, copy, requires_grad)
    dt = None if dtype is None else as_dtype(dtype)
    dev = None if device is None else bind(as_device(device))
    if copy is not None:
        copy = bool(copy)
    if isinstance(obj, Tensor):
        return _from_tensor(obj, dt, dev, copy, requires_grad)
    if isinstance(obj, np.ndarray):
        return _from_array(obj, dt, dev, copy, requires_grad)
    if isinstance(obj, np.generic):
        if copy is False:
            raise errors.EngineRuntimeError(
                "can't alias NumPy scalars. Either remove copy=False or transform it in a "
                "ndarray. ")
        arr = np.asarray(obj)
        return _from_array(arr, dt, dev, True, requires_grad)
    if copy is False:
        raise errors.EngineValueError("can't alias arbitrary sequence into a tensor.")
    from .creation import tensor

    if isinstance(obj, str):
        raise errors.EngineTypeError("new(): invalid data type 'str'")
    if _holds_tensor(obj):
        obj = _scalars(obj)
    return tensor(obj, dtype=dt, device=dev, requires_grad=bool(requires_grad))

