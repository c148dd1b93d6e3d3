"""A stand-in for CuPy, backed by NumPy, for exercising the engine's array seam on machines
without a GPU.

Its arrays are a distinct type (``DeviceArray``) that refuses to mix with plain NumPy arrays in
ufuncs and array functions — the mistake that breaks on a real GPU ("Unsupported type
<class 'numpy.ndarray'>") — and it exposes only what the engine may use of CuPy: the NumPy-like
namespace, ``asnumpy``, ``ndarray.get()``, ``cuda.Device``, ``random.default_rng`` and
``lib.stride_tricks.as_strided``.
"""

from __future__ import annotations

import contextlib
import types

import numpy as np


class DeviceArray(np.ndarray):
    """An array "on the device": NumPy operations on it must not see host arrays."""

    def get(self) -> np.ndarray:
        return np.array(self.view(np.ndarray))

    @property
    def flags(self):
        """CuPy's flags: contiguity and ownership only (no ``writeable``)."""
        f = self.view(np.ndarray).flags
        return types.SimpleNamespace(c_contiguous=f.c_contiguous, f_contiguous=f.f_contiguous,
                                     owndata=f.owndata)

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        _check(inputs, f"{ufunc.__name__}.{method}")
        host = [x.view(np.ndarray) if isinstance(x, DeviceArray) else x for x in inputs]
        if "out" in kwargs:
            kwargs["out"] = tuple(o.view(np.ndarray) for o in kwargs["out"])
        return _to_device(getattr(ufunc, method)(*host, **kwargs))

    def __array_function__(self, func, types_, args, kwargs):
        _check(args, func.__name__)
        _check(tuple(kwargs.values()), func.__name__)
        return _to_device(func(*_host(args), **_host_kw(kwargs)))


def _check(values, where: str) -> None:
    for v in values:
        if isinstance(v, (list, tuple)):
            _check(v, where)
        elif isinstance(v, np.ndarray) and not isinstance(v, DeviceArray):
            raise TypeError(f"Unsupported type {type(v)} in {where}: a host array was mixed "
                            "with device arrays")


def _host(args):
    return tuple(_host(a) if isinstance(a, (list, tuple)) else
                 a.view(np.ndarray) if isinstance(a, DeviceArray) else a for a in args)


def _host_kw(kwargs):
    return {k: (v.view(np.ndarray) if isinstance(v, DeviceArray) else v)
            for k, v in kwargs.items()}


def _to_device(result):
    if isinstance(result, tuple):
        return tuple(_to_device(r) for r in result)
    if isinstance(result, np.ndarray):
        if not result.flags.writeable:  # CuPy's views (diagonals...) are writable
            try:
                result.flags.writeable = True
            except ValueError:
                pass
        return result.view(DeviceArray)
    if isinstance(result, np.generic):
        return np.asarray(result).view(DeviceArray)
    return result


def _device_fn(fn):
    def call(*args, **kwargs):
        return _to_device(fn(*_host(args), **_host_kw(kwargs)))

    call.__name__ = getattr(fn, "__name__", "fn")
    return call


def _asarray(a, dtype=None):
    if isinstance(a, DeviceArray):
        return a if dtype is None else a.astype(dtype)
    return np.array(a, dtype=dtype).view(DeviceArray)


def _asnumpy(a):
    return a.get() if isinstance(a, DeviceArray) else np.asarray(a)


class _Generator:
    def __init__(self, seed):
        self._rng = np.random.default_rng(seed)

    def __getattr__(self, name):
        return _device_fn(getattr(self._rng, name))


def make_module() -> types.ModuleType:
    """A fresh fake ``cupy`` module."""
    mod = types.ModuleType("fake_cupy")

    def __getattr__(name):
        value = getattr(np, name)
        if callable(value) and not isinstance(value, (type, np.ufunc)):
            return _device_fn(value)
        return value

    mod.__getattr__ = __getattr__
    mod.ndarray = DeviceArray
    mod.asarray = _asarray
    mod.array = _asarray
    mod.asnumpy = _asnumpy
    mod.cuda = types.SimpleNamespace(
        Device=lambda index=0: contextlib.nullcontext(),
        is_available=lambda: True,
        runtime=types.SimpleNamespace(getDeviceCount=lambda: 1))
    mod.random = types.SimpleNamespace(default_rng=_Generator)
    mod.lib = types.SimpleNamespace(stride_tricks=types.SimpleNamespace(
        as_strided=_device_fn(np.lib.stride_tricks.as_strided)))
    return mod
