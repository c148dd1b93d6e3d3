"""Whole-tensor comparisons: ``equal`` (same shape and elements), ``isclose`` (elementwise
within tolerances) and ``allclose`` (all of ``isclose``), with PyTorch's dtype rules."""

from __future__ import annotations

import inspect

from .. import errors
from ..dtypes import bool_, default_float
from ..modes import check_numel
from ..tensor import Tensor, _wrap
from ._args import broadcast_shape, device_of
from .families import method_form
from .memory_format import as_iterated
from .pointwise import _require_tensors
from .registry import op


def _equal_signature(input, other): ...


@op(differentiable=False)
def equal(input, other, **unexpected):
    """``True`` if both tensors have the same shape and the same elements (NaN is never
    equal); a Python bool."""
    _require_tensors("equal", input, other)  # (torch checks these before the keywords)
    for key in unexpected:
        raise errors.EngineTypeError(f"equal() got an unexpected keyword argument '{key}'")
    device_of(input, other)
    if input._data.shape != other._data.shape:
        return False
    return bool((input._data == other._data).all())


@op(differentiable=False)
def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    """Elementwise ``|input - other| <= atol + rtol * |other|`` (a bool tensor; infinities
    are close only to themselves, NaN only to NaN with ``equal_nan``)."""
    _require_tensors("isclose", input, other)
    if input.dtype is not other.dtype:
        raise errors.EngineRuntimeError(
            f"{input.dtype.scalar_name} did not match {other.dtype.scalar_name}")
    if rtol < 0:
        raise errors.EngineRuntimeError(
            f"rtol must be greater than or equal to zero, but got {_number_text(rtol)}")
    if atol < 0:
        raise errors.EngineRuntimeError(
            f"atol must be greater than or equal to zero, but got {_number_text(atol)}")
    dev = device_of(input, other)
    check_numel(broadcast_shape(input._data.shape, other._data.shape))
    xp = dev.xp
    a, b = input._data, other._data
    close = a == b
    if equal_nan and input.dtype.is_floating_point:
        close = close | (xp.isnan(a) & xp.isnan(b))
    if rtol != 0 or atol != 0:
        # As PyTorch: the tolerance of an integer or bool tensor is a float32 computation.
        if not input.dtype.is_floating_point:
            a, b = a.astype(default_float().np), b.astype(default_float().np)
        allowed = atol + xp.abs(rtol * b)
        actual = xp.abs(a - b)
        close = close | (xp.isfinite(actual) & (actual <= allowed))
    return _wrap(as_iterated(xp.asarray(close), (input, other)), bool_, dev)


def _number_text(x) -> str:
    return f"{x:g}" if isinstance(x, float) else str(x)


@op(differentiable=False)
def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    """Whether ``isclose`` holds for every element (broadcasting); a Python bool."""
    _require_tensors("allclose", input, other)
    return bool(isclose(input, other, rtol, atol, equal_nan)._data.all())


equal.__signature__ = inspect.signature(_equal_signature)
for _name, _fn in (("equal", equal), ("isclose", isclose), ("allclose", allclose)):
    setattr(Tensor, _name, method_form(_fn, _name))

__all__ = ["equal", "isclose", "allclose", "Tensor"]
