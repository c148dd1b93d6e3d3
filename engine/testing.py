"""``torch.testing.assert_close``: the comparison and its messages as torch 2.13 makes them.

Pairs are compared recursively: sequences (lists, tuples) item by item after their lengths,
mappings key by key after their key sets, tensors after their attributes (shape, device,
dtype, layout; strides with ``check_stride``), Python numbers of one type, booleans, None.
Tensors are close where ``|actual - expected| <= atol + rtol * |expected|`` (NaN equal to NaN
only with ``equal_nan``; infinities equal when of the same sign), with the default
tolerances of the pair's dtypes (the larger of the two). A failure is an AssertionError with
torch's text: how many elements differ, the greatest absolute and relative differences
among them and their index (0-d tensors and numbers: "Scalars are not close!" with both
values), "The failure occurred for item [0]['a']" for a nested one; ``msg`` replaces the text
(a callable gets it and returns the new one).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from . import errors
from .dtypes import DType, float64, int64
from .tensor import Tensor

__all__ = ["assert_close"]

#: (rtol, atol) by dtype name; any other dtype compares exactly.
DEFAULT_TOLERANCES = {"float16": (1e-3, 1e-5), "bfloat16": (1.6e-2, 1e-5),
                      "float32": (1.3e-6, 1e-5), "float64": (1e-7, 1e-7),
                      "complex32": (1e-3, 1e-5), "complex64": (1.3e-6, 1e-5),
                      "complex128": (1e-7, 1e-7)}


class _Mismatch(Exception):
    """A failed comparison: its message and where it happened (item path)."""

    def __init__(self, kind: type, message: str, path: str = "") -> None:
        super().__init__(message)
        self.kind, self.message, self.path = kind, message, path


def assert_close(actual: Any, expected: Any, *, allow_subclasses: bool = True,
                 rtol: Any = None, atol: Any = None, equal_nan: bool = False,
                 check_device: bool = True, check_dtype: bool = True,
                 check_layout: bool = True, check_stride: bool = False,
                 msg: Any = None) -> None:
    """``torch.testing.assert_close``: see the module doc."""
    if (rtol is None) != (atol is None):
        raise ValueError("Both 'rtol' and 'atol' must be either specified or omitted, but got "
                         f"no {'atol' if atol is None else 'rtol'}.")
    options = dict(rtol=rtol, atol=atol, equal_nan=equal_nan, check_device=check_device,
                   check_dtype=check_dtype, check_layout=check_layout,
                   check_stride=check_stride)
    try:
        _compare(actual, expected, "", options)
    except _Mismatch as m:
        text = m.message
        if m.path and m.kind is AssertionError:
            text += f"\n\nThe failure occurred for item {m.path}"
        if m.kind is AssertionError and msg is not None:
            text = msg(text) if callable(msg) else msg
        raise m.kind(text) from None


def _type_repr(value: Any) -> str:
    if isinstance(value, Tensor):
        return "<class 'torch.Tensor'>"
    return f"<class '{type(value).__name__}'>"


def _is_sequence(value: Any) -> bool:
    return isinstance(value, (list, tuple))


def _compare(actual: Any, expected: Any, path: str, options: dict) -> None:
    if _is_sequence(actual) and _is_sequence(expected):
        if len(actual) != len(expected):
            raise _Mismatch(AssertionError, "The length of the sequences mismatch: "
                            f"{len(actual)} != {len(expected)}", path)
        for i, (a, e) in enumerate(zip(actual, expected)):
            _compare(a, e, f"{path}[{i}]", options)
        return
    if isinstance(actual, dict) and isinstance(expected, dict):
        a_keys, e_keys = set(actual), set(expected)
        if a_keys != e_keys:
            missing = sorted(e_keys - a_keys, key=repr)
            extra = sorted(a_keys - e_keys, key=repr)
            raise _Mismatch(AssertionError,
                            "The keys of the mappings do not match:\n"
                            f"Missing keys in the actual mapping: {missing}\n"
                            f"Additional keys in the actual mapping: {extra}", path)
        for key in actual:
            _compare(actual[key], expected[key], f"{path}[{key!r}]", options)
        return
    if actual is None or expected is None:
        if actual is not None or expected is not None:
            raise _Mismatch(AssertionError, f"None mismatch: {actual!r} is not {expected!r}",
                            path)
        return
    if type(actual) is bool and type(expected) is bool:
        if actual is not expected:
            raise _Mismatch(AssertionError, f"Booleans mismatch: {actual} is not {expected}",
                            path)
        return
    if isinstance(actual, Tensor) and isinstance(expected, Tensor):
        _compare_tensors(actual, expected, path, options)
        return
    numbers = (int, float)
    if type(actual) in numbers and type(expected) in numbers:
        if type(actual) is not type(expected):
            raise _Mismatch(AssertionError, f"The (d)types do not match: {_type_repr(actual)} "
                            f"!= {_type_repr(expected)}.", path)
        _compare_numbers(actual, expected, path, options)
        return
    for value in (actual, expected):
        if isinstance(value, Tensor):
            continue
        if hasattr(value, "__array__") or type(value).__name__ in ("Array", "ndarray"):
            raise errors.NotSupported(
                "torch.testing.assert_close on NumPy arrays is not supported: compare "
                "tensors (torch.from_numpy)")
    raise _Mismatch(TypeError, "No comparison pair was able to handle inputs of type "
                    f"{_type_repr(actual)} and {_type_repr(expected)}.", path)


def _tolerances(dtypes: tuple, options: dict) -> tuple:
    if options["rtol"] is not None:
        return options["rtol"], options["atol"]
    pairs = [DEFAULT_TOLERANCES.get(d.name if isinstance(d, DType) else d, (0.0, 0.0))
             for d in dtypes]
    return max(p[0] for p in pairs), max(p[1] for p in pairs)


def _attribute(name: str, a: Any, e: Any, path: str) -> None:
    raise _Mismatch(AssertionError,
                    f"The values for attribute '{name}' do not match: {a} != {e}.", path)


def _compare_tensors(actual: Tensor, expected: Tensor, path: str, options: dict) -> None:
    if actual.shape != expected.shape:
        _attribute("shape", actual.shape, expected.shape, path)
    if options["check_device"] and actual.device != expected.device:
        _attribute("device", actual.device, expected.device, path)
    if options["check_dtype"] and actual.dtype is not expected.dtype:
        _attribute("dtype", actual.dtype, expected.dtype, path)
    if options["check_layout"] and actual.layout != expected.layout:
        _attribute("layout", actual.layout, expected.layout, path)
    if options["check_stride"] and actual.stride() != expected.stride():
        _attribute("stride()", actual.stride(), expected.stride(), path)
    rtol, atol = _tolerances((actual.dtype, expected.dtype), options)
    dtype = actual.dtype
    if dtype is not expected.dtype:
        from .ops.dtype_utils import promote_types

        dtype = promote_types(actual.dtype, expected.dtype)
    a = _array(actual, dtype)
    e = _array(expected, dtype)
    matches = _isclose(a, e, rtol, atol, options["equal_nan"])
    if bool(matches.all()):
        return
    if actual.ndim == 0:
        _scalar_mismatch(actual.item(), expected.item(), rtol, atol, path)
    equal = rtol == 0 and atol == 0
    n = matches.size
    wrong = n - int(matches.sum())
    flat_a, flat_e, flat_m = a.reshape(-1), e.reshape(-1), matches.reshape(-1)
    if not (dtype.is_floating_point or getattr(dtype, "is_complex", False)):
        flat_a, flat_e = flat_a.astype(np.int64), flat_e.astype(np.int64)
    with np.errstate(all="ignore"):
        abs_diff = np.abs(flat_a - flat_e)
        abs_diff[flat_m] = 0
        i_abs = _argmax(abs_diff)
        # torch divides in the difference's dtype (integers as float32, its default)
        if abs_diff.dtype.kind in "iu":
            rel = abs_diff.astype(np.float32) / np.abs(flat_e).astype(np.float32)
        else:
            rel = abs_diff / np.abs(flat_e)
        rel[flat_m] = 0
        i_rel = _argmax(rel)
    shape = tuple(actual.shape)
    lines = [f"{'Tensor-likes'} are not {'equal' if equal else 'close'}!", "",
             f"Mismatched elements: {wrong} / {n} ({wrong / n:.1%})",
             f"Greatest absolute difference: {_item(abs_diff[i_abs])} at index "
             f"{_index(i_abs, shape)}" + ("" if equal else f" (up to {atol} allowed)"),
             f"Greatest relative difference: {_item(rel[i_rel])} at index "
             f"{_index(i_rel, shape)}" + ("" if equal else f" (up to {rtol} allowed)")]
    raise _Mismatch(AssertionError, "\n".join(lines), path)


def _array(t: Tensor, dtype: DType) -> np.ndarray:
    if t.dtype is not dtype:
        t = t.to(dtype)
    data = t._data
    if not isinstance(data, np.ndarray):  # a device array
        data = data.get()
    return np.asarray(data)


def _isclose(a: np.ndarray, e: np.ndarray, rtol: float, atol: float,
             equal_nan: bool) -> np.ndarray:
    if a.dtype.kind not in "fc":
        if rtol == 0 and atol == 0:
            return a == e
        a, e = a.astype(np.float64), e.astype(np.float64)
    with np.errstate(all="ignore"):
        close = a == e
        finite = np.isfinite(a) & np.isfinite(e)
        diff = np.abs(a - e)
        allowed = atol + rtol * np.abs(e)
        close |= finite & (diff <= allowed)
        if equal_nan:
            close |= np.isnan(a) & np.isnan(e)
    return close


def _argmax(values: np.ndarray) -> int:
    """torch.max's index: the first NaN, else the first greatest."""
    nan = np.isnan(values) if values.dtype.kind in "fc" else None
    if nan is not None and nan.any():
        return int(np.argmax(nan))
    return int(np.argmax(values))


def _item(value: Any) -> Any:
    return value.item()


def _index(flat: int, shape: tuple) -> tuple:
    return tuple(int(i) for i in np.unravel_index(flat, shape))


def _compare_numbers(actual: Any, expected: Any, path: str, options: dict) -> None:
    kind = float64 if type(actual) is float else int64
    rtol, atol = _tolerances((kind,), options)
    a = np.array(actual, dtype=np.float64 if kind is float64 else np.int64)
    e = np.array(expected, dtype=a.dtype)
    if bool(_isclose(a, e, rtol, atol, options["equal_nan"])):
        return
    _scalar_mismatch(actual, expected, rtol, atol, path)


def _scalar_mismatch(actual: Any, expected: Any, rtol: float, atol: float, path: str) -> None:
    equal = rtol == 0 and atol == 0
    diff = abs(actual - expected)
    if expected == 0:
        rel = math.nan if diff == 0 or math.isnan(diff) else math.inf
    else:
        rel = diff / abs(expected)
    lines = [f"Scalars are not {'equal' if equal else 'close'}!", "",
             f"Expected {expected} but got {actual}.",
             f"Absolute difference: {diff}" + ("" if equal else f" (up to {atol} allowed)"),
             f"Relative difference: {rel}" + ("" if equal else f" (up to {rtol} allowed)")]
    raise _Mismatch(AssertionError, "\n".join(lines), path)
