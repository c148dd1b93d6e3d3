"""Values between NumPy and the service's wire form (README, "Values on the wire")."""

from __future__ import annotations

import base64
from typing import Any

import numpy as np

DTYPES = {"float32": "<f4", "float64": "<f8", "float16": "<f2", "int64": "<i8",
          "int32": "<i4", "bool": "|b1"}
_NON_FINITE = {"NaN": float("nan"), "Infinity": float("inf"), "-Infinity": float("-inf")}


def _wire_dtype(array: np.ndarray) -> str:
    kind = array.dtype
    for name, code in DTYPES.items():
        if np.dtype(code) == kind.newbyteorder("<") or (name == "bool" and kind == np.bool_):
            return name
    raise TypeError(f"the service has no dtype for {kind} (use one of {', '.join(DTYPES)})")


def _finite_list(array: np.ndarray) -> Any:
    data = array.tolist()
    if array.dtype.kind != "f" or np.isfinite(array).all():
        return data

    def fix(x: Any) -> Any:
        if isinstance(x, list):
            return [fix(v) for v in x]
        if x != x:
            return "NaN"
        if x in (float("inf"), float("-inf")):
            return "Infinity" if x > 0 else "-Infinity"
        return x

    return fix(data)


def encode(value: Any, *, requires_grad: bool = False, base64_from: int = 1024) -> Any:
    """A value for ``inputs`` or a PUT body: NumPy arrays (and NumPy scalars) become tensors,
    as ``base64`` from ``base64_from`` elements on, else as ``data``."""
    if isinstance(value, np.generic):
        value = np.asarray(value)
    if isinstance(value, np.ndarray):
        dtype = _wire_dtype(value)
        tensor: dict[str, Any] = {"type": "tensor", "dtype": dtype, "shape": list(value.shape)}
        if value.size >= base64_from:
            little = np.ascontiguousarray(value, dtype=np.dtype(DTYPES[dtype]))
            tensor["base64"] = base64.b64encode(little.tobytes()).decode()
        else:
            tensor["data"] = _finite_list(value)
        if requires_grad:
            tensor["requires_grad"] = True
        return tensor
    if requires_grad:
        raise TypeError("requires_grad=True needs a NumPy array")
    if isinstance(value, tuple | list):
        return [encode(v, base64_from=base64_from) for v in value]
    if isinstance(value, dict):
        return {str(k): encode(v, base64_from=base64_from) for k, v in value.items()}
    return value


def _number(x: Any) -> Any:
    if isinstance(x, list):
        return [_number(v) for v in x]
    return _NON_FINITE.get(x, x) if isinstance(x, str) else x


def decode(value: Any) -> Any:
    """A reply value in Python: a tensor becomes a NumPy array (0-d for a scalar tensor), lists
    and objects are decoded member by member, anything else stays as it is."""
    if isinstance(value, list):
        return [decode(v) for v in value]
    if not isinstance(value, dict):
        return value
    if value.get("type") != "tensor":
        return {k: decode(v) for k, v in value.items()}
    dtype = np.dtype(DTYPES[value["dtype"]])
    if "base64" in value:
        raw = base64.b64decode(value["base64"])
        array = np.frombuffer(raw, dtype=dtype).reshape(value["shape"]).copy()
    else:
        array = np.array(_number(value["data"]), dtype=dtype).reshape(value["shape"])
    return array.astype(dtype.newbyteorder("="), copy=False)
