"""Engine values ⇄ SPEC §3 JSON.

Replies are built as plain Python/NumPy structures and serialized with orjson (which writes NumPy
arrays natively, float32 in its shortest form). JSON has no NaN or infinities, so a float array
holding any is written element by element with the strings ``"NaN"``, ``"Infinity"``,
``"-Infinity"`` in their place; the same strings are accepted on input.
"""

from __future__ import annotations

import base64
import binascii
import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import orjson
from pydantic import ValidationError

import engine
from app.core.errors import InvalidRequest, LimitExceeded
from app.lang.arrays import Array
from app.lang.library import torch_class_name
from app.models.values import InferenceTensor, TensorIn

OIP_DTYPES = {"FP32": "float32", "FP64": "float64", "FP16": "float16", "INT32": "int32",
              "INT64": "int64", "BOOL": "bool", "INT16": "int16", "INT8": "int8",
              "UINT8": "uint8"}
NON_FINITE_IN = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}
JSON_OPTIONS = orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS
MAX_DEPTH = 64


def dumps(value: Any) -> bytes:
    """Serialize an encoded reply (see :func:`encode_value`)."""
    try:
        return orjson.dumps(value, option=JSON_OPTIONS)
    except orjson.JSONEncodeError:  # a string with a lone surrogate (JSON allows "\ud800")
        return orjson.dumps(_valid_unicode(value), option=JSON_OPTIONS)


def _valid_unicode(value: Any) -> Any:
    if isinstance(value, str):
        return value.encode("utf-8", "replace").decode("utf-8")
    if isinstance(value, list):
        return [_valid_unicode(v) for v in value]
    if isinstance(value, dict):
        return {_valid_unicode(k): _valid_unicode(v) for k, v in value.items()}
    return value


# ---------------------------------------------------------------- reply side


def _non_finite(x: float) -> float | str:
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    return x


def _float_with_non_finite(arr: np.ndarray) -> Any:
    """Nested lists of an array that holds NaN or infinities; finite float32/float16 values keep
    their shortest form (``0.1``, not ``0.10000000149011612``)."""
    if arr.dtype == np.float64:
        flat = [_non_finite(x) for x in arr.ravel().tolist()]
    else:
        flat = [float(str(x)) if np.isfinite(x) else _non_finite(float(x)) for x in arr.ravel()]
    if arr.ndim == 0:
        return flat[0]
    return _nest(flat, arr.shape)


def _nest(flat: list, shape: tuple[int, ...]) -> list:
    if len(shape) == 1:
        return flat
    step = len(flat) // shape[0] if shape[0] else 0
    return [_nest(flat[i * step:(i + 1) * step], shape[1:]) for i in range(shape[0])]


def array_data(arr: np.ndarray) -> Any:
    """``data`` for an array: the array itself (orjson nests it), a scalar for 0-d."""
    if arr.dtype.kind == "f":
        if arr.size <= 64:  # a Python check is faster than NumPy's for a few elements
            finite = all(map(math.isfinite, arr.ravel().tolist()))
        else:
            finite = bool(np.isfinite(arr).all())
        if not finite:
            return _float_with_non_finite(arr)
    if arr.ndim == 0:
        return arr.item() if arr.dtype.kind in "biu" else arr[()]
    if arr.size == 0:
        return arr.tolist()
    return np.ascontiguousarray(arr)  # orjson writes only C-contiguous arrays


def encode_tensor(t: engine.Tensor, encoding: str = "json") -> dict[str, Any]:
    """A tensor on the wire; a sparse one's ``data`` is its dense values (its ``repr`` is
    torch's sparse one)."""
    arr = engine.to_numpy(t.detach().to_dense() if t.is_sparse else t)
    grad_fn = t.grad_fn
    out: dict[str, Any] = {
        "type": "tensor",
        "dtype": t.dtype.name,
        "shape": list(t.shape),
        "requires_grad": bool(t.requires_grad),
        "is_leaf": bool(t.is_leaf),
        "grad_fn": None if grad_fn is None else engine.autograd.display_name(grad_fn),
        "device": str(t.device),
    }
    _put_values(out, arr, encoding)
    out["repr"] = repr(t)
    return out


def _put_values(out: dict[str, Any], arr: np.ndarray, encoding: str) -> None:
    """Puts ``arr``'s values into a reply entry: little-endian bytes as base64, or JSON data."""
    if encoding == "base64":
        little = arr.astype(arr.dtype.newbyteorder("<"), copy=False)
        out["base64"] = base64.b64encode(np.ascontiguousarray(little).tobytes()).decode()
    else:
        out["data"] = array_data(arr)


def encode_array(a: Array, encoding: str = "json") -> dict[str, Any]:
    """A program's NumPy array (``t.numpy()``): its values as a tensor's, NumPy's dtype name
    and repr."""
    arr = a.__array__()
    out: dict[str, Any] = {"type": "ndarray", "dtype": arr.dtype.name, "shape": list(arr.shape)}
    _put_values(out, arr, encoding)
    out["repr"] = repr(a)
    return out


def encode_value(value: Any, encoding: str = "json", _depth: int = 0) -> Any:
    """Any value a program can leave behind, as JSON-ready data. Never raises for an unknown
    type: such a value becomes ``{"type": <kind>, "repr": ...}``."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return value if -(2**63) <= value < 2**64 else str(value)
    if isinstance(value, float):
        return _non_finite(value)
    if isinstance(value, engine.Tensor):
        return encode_tensor(value, encoding)
    if isinstance(value, np.generic):
        return encode_value(value.item(), encoding, _depth)
    if isinstance(value, Array):
        return encode_array(value, encoding)
    if _depth >= MAX_DEPTH:
        return {"type": "object", "repr": "..."}
    if isinstance(value, (list, tuple)):  # tuples, named tuples and torch.Size become lists
        return [encode_value(v, encoding, _depth + 1) for v in value]
    if isinstance(value, Mapping):
        return {str(k): encode_value(v, encoding, _depth + 1) for k, v in value.items()}
    return describe(value)


def encode_output(value: Any, encoding: str = "json") -> Any:
    """A variable named in ``outputs``: a module gives its ``state_dict`` (tensors by name, in
    torch's order), anything else its value."""
    if isinstance(value, engine.nn.Module):
        return encode_value(value.state_dict(), encoding)
    return encode_value(value, encoding)


#: Library objects a reply shows by their torch repr (the kind is the reply's ``type``).
_LIBRARY_KINDS: tuple[tuple[type, str], ...] = (
    (engine.nn.Module, "module"),
    (engine.optim.Optimizer, "optimizer"),
    (engine.optim.lr_scheduler.LRScheduler, "lr_scheduler"),
    (engine.utils.data.DataLoader, "dataloader"),
    (engine.utils.data.Dataset, "dataset"),
)


def _library_kind(value: Any) -> str | None:
    for cls, kind in _LIBRARY_KINDS:
        if isinstance(value, cls):
            return kind
    return None


def describe(value: Any) -> dict[str, Any]:
    """A value JSON cannot carry (a module, a generator, a function, a dtype, a graph node)."""
    kind = _library_kind(value)
    if kind == "module":  # the whole nested repr, as torch prints it
        return {"type": kind, "name": value._get_name(), "repr": repr(value)}
    if kind is not None:
        return {"type": kind, "name": type(value).__name__, "repr": repr(value)}
    name_of = getattr(value, "name", None)
    if isinstance(value, engine.float32.__class__):
        return {"type": "dtype", "name": value.name, "repr": repr(value)}
    if value.__class__.__name__ == "Device" and hasattr(value, "type"):
        return {"type": "device", "name": str(value), "repr": repr(value)}
    if isinstance(value, type) and value.__module__.startswith("engine."):
        path, name = torch_class_name(value)  # a library class under torch's name
        return {"type": "type", "name": name, "repr": f"<class '{path}'>"}
    if callable(name_of) and hasattr(value, "next_functions"):
        return {"type": "grad_fn", "name": name_of(), "repr": f"<{name_of()} object>"}
    kind = type(value).__name__.lower()
    text = repr(value)
    return {"type": kind, "repr": text if len(text) <= 200 else text[:197] + "..."}


def kind_of(value: Any) -> str:
    """The ``kind`` a session listing shows for a variable."""
    if isinstance(value, engine.Tensor):
        return "tensor"
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, (list, tuple)):
        return "list"
    if isinstance(value, Mapping):
        return "dict"
    kind = _library_kind(value)
    if kind is not None:
        return kind
    if callable(value):
        return "function"
    return type(value).__name__.lower()


# ---------------------------------------------------------------- request side


def _replace_non_finite(data: Any, pointer: str, depth: int = 0) -> Any:
    if depth > MAX_DEPTH:
        raise InvalidRequest(f"Tensor data nested too deep (at {pointer}).", pointer=pointer)
    if isinstance(data, list):
        return [_replace_non_finite(v, f"{pointer}/{i}", depth + 1) for i, v in enumerate(data)]
    if isinstance(data, str):
        if data in NON_FINITE_IN:
            return NON_FINITE_IN[data]
        raise InvalidRequest(f"Tensor data must be numbers, booleans or 'NaN'/'Infinity'/"
                             f"'-Infinity', not {data!r} (at {pointer}).", pointer=pointer)
    if data is None or isinstance(data, dict):
        raise InvalidRequest(f"Tensor data must be numbers or lists (at {pointer}).",
                             pointer=pointer)
    return data


def _needs_fix(data: Any) -> bool:
    if isinstance(data, list):
        return any(_needs_fix(v) for v in data)
    return not isinstance(data, (int, float))


def _infer_dtype(arr: np.ndarray) -> str:
    if arr.dtype == np.bool_:
        return "bool"
    if arr.dtype.kind in "iu":
        return "int64"
    return "float32"


def _as_array(data: Any, pointer: str) -> np.ndarray:
    try:
        return np.array(data)
    except (ValueError, TypeError) as exc:
        raise InvalidRequest(f"Tensor data is ragged: every row must have the same length "
                             f"(at {pointer}/data).", pointer=pointer + "/data") from exc


INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
MAX_DIMS = 64
"""NumPy's (and so the engine's) most dimensions."""
OVERFLOW = "Overflow when unpacking long long"
"""PyTorch's text for a Python integer that does not fit 64 bits."""


def _has_float(data: Any) -> bool:
    if isinstance(data, list):
        return any(_has_float(v) for v in data)
    return isinstance(data, float)


def _wide_integers(arr: np.ndarray, data: Any, dtype: str | None,
                   pointer: str) -> np.ndarray | None:
    """Integers beyond 64 bits in ``data`` (an object or uint64 array): floats where the
    tensor is floating (as PyTorch converts them), else PyTorch's overflow error."""
    if arr.dtype == np.uint64:
        wide = bool(arr.size) and int(arr.max()) > INT64_MAX
    else:
        wide = any(isinstance(v, int) and not isinstance(v, bool)
                   and not INT64_MIN <= v <= INT64_MAX for v in arr.ravel().tolist())
    if not wide:
        return None
    floating = dtype in ("float32", "float64", "float16") or (dtype is None and _has_float(data))
    if not floating:
        raise InvalidRequest(f"{OVERFLOW} (at {pointer}/data).", pointer=pointer + "/data")
    return np.array(data, dtype=np.float64)


def check_shape(shape: list[int], pointer: str) -> None:
    """PyTorch's errors for shapes it cannot make (beyond 64 bits), and the engine's limit of
    64 dimensions."""
    if len(shape) > MAX_DIMS:
        raise InvalidRequest(f"A tensor may have at most {MAX_DIMS} dimensions here, not "
                             f"{len(shape)} (at {pointer}/shape).", pointer=pointer + "/shape")
    if any(d > INT64_MAX for d in shape):
        raise InvalidRequest(f"{OVERFLOW} (at {pointer}/shape).", pointer=pointer + "/shape")
    stride = 1
    for d in reversed(shape):  # PyTorch computes contiguous strides even for an empty tensor
        stride *= max(d, 1)
        if stride > INT64_MAX:
            raise InvalidRequest(f"Stride calculation overflowed (at {pointer}/shape).",
                                 pointer=pointer + "/shape")
    if stride * 8 > INT64_MAX:  # NumPy also needs the bytes of the non-zero dims to fit
        raise InvalidRequest(f"Storage size calculation overflowed with sizes={list(shape)} "
                             f"(at {pointer}/shape).", pointer=pointer + "/shape")


def _from_data(data: Any, dtype: str | None, shape: list[int] | None, pointer: str) -> np.ndarray:
    arr = _as_array(data, pointer)  # numbers only (the common case): no Python-level walk
    if arr.dtype == object or arr.dtype == np.uint64:
        widened = _wide_integers(arr, data, dtype, pointer)
        if widened is not None:
            arr = widened
    if arr.dtype.kind not in "biuf" and _needs_fix(data):
        arr = _as_array(_replace_non_finite(data, pointer + "/data"), pointer)
    if arr.dtype == object or arr.dtype.kind not in "biuf":
        raise InvalidRequest(f"Tensor data must be numbers or booleans (at {pointer}/data).",
                             pointer=pointer + "/data")
    name = dtype or _infer_dtype(arr)
    target = engine.dtype_from_name(name).np
    if target.kind in "iu" and arr.size and arr.dtype.kind in "iuf":
        info = np.iinfo(target)
        # as torch.tensor(data, dtype=torch.uint8): integers -255..-1 wrap (-1 is 255)
        least = -info.max if target == np.uint8 and arr.dtype.kind in "iu" else info.min
        if not (np.isfinite(arr).all() and least <= arr.min() and arr.max() <= info.max):
            raise InvalidRequest(f"value cannot be converted to type {name} without overflow "
                                 f"(at {pointer}/data).", pointer=pointer + "/data")
    arr = arr.astype(target, copy=False)
    if shape is not None and list(arr.shape) != list(shape):
        if arr.ndim != 1 or arr.size != math.prod(shape):
            raise InvalidRequest(
                f"Tensor data has {arr.size} elements in shape {list(arr.shape)}, which does "
                f"not fit shape {list(shape)} (at {pointer}).", pointer=pointer + "/shape")
        arr = arr.reshape(shape)
    return arr


def _from_base64(text: str, dtype: str | None, shape: list[int] | None,
                 pointer: str) -> np.ndarray:
    if dtype is None or shape is None:
        raise InvalidRequest(f"A base64 tensor needs 'dtype' and 'shape' (at {pointer}).",
                             pointer=pointer)
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InvalidRequest(f"'base64' is not valid base64 (at {pointer}/base64).",
                             pointer=pointer + "/base64") from exc
    np_dtype = engine.dtype_from_name(dtype).np.newbyteorder("<")
    count = math.prod(shape)
    if len(raw) != count * np_dtype.itemsize:
        raise InvalidRequest(
            f"'base64' holds {len(raw)} bytes; shape {shape} of {dtype} needs "
            f"{count * np_dtype.itemsize} (at {pointer}/base64).", pointer=pointer + "/base64")
    return np.frombuffer(raw, dtype=np_dtype).astype(np_dtype.newbyteorder("="))\
        .reshape(shape)


def decode_tensor(spec: TensorIn | InferenceTensor, *, device: str, max_elements: int,
                  pointer: str = "#") -> engine.Tensor:
    if spec.shape is not None:
        check_shape(spec.shape, pointer)
    if isinstance(spec, InferenceTensor):
        dtype, shape, requires_grad = OIP_DTYPES[spec.datatype], spec.shape, spec.requires_grad
        elements = math.prod(shape)
    else:
        dtype, shape, requires_grad = spec.dtype, spec.shape, spec.requires_grad
        if (spec.base64 is None) == (spec.data is None):
            raise InvalidRequest(f"A tensor needs exactly one of 'data' and 'base64' "
                                 f"(at {pointer}).", pointer=pointer)
        elements = math.prod(shape) if shape is not None else 0
    if elements > max_elements:
        raise LimitExceeded(f"A tensor of {elements} elements is over the limit of "
                            f"{max_elements} (at {pointer}).", limit="max_tensor_elements",
                            value=max_elements, pointer=pointer)
    if isinstance(spec, TensorIn) and spec.base64 is not None:
        arr = _from_base64(spec.base64, dtype, shape, pointer)
    else:
        arr = _from_data(spec.data, dtype, shape, pointer)
    if arr.size > max_elements:
        raise LimitExceeded(f"A tensor of {arr.size} elements is over the limit of "
                            f"{max_elements} (at {pointer}).", limit="max_tensor_elements",
                            value=max_elements, pointer=pointer)
    if requires_grad and arr.dtype.kind != "f":
        raise InvalidRequest("Only tensors of floating point dtype can require gradients "
                             f"(at {pointer}/requires_grad).", pointer=pointer + "/requires_grad")
    t = engine.from_numpy(arr, device=device)  # arr is this request's own: no copy needed
    return t.requires_grad_() if requires_grad else t


def _is_tensor_object(value: Any) -> bool:
    return isinstance(value, dict) and (value.get("type") == "tensor" or "datatype" in value)


def decode_value(value: Any, *, device: str, max_elements: int, pointer: str = "#") -> Any:
    """A request value as the program sees it: tensors become engine tensors; an object whose
    members are all tensors (a ``state_dict``) becomes a dict of tensors; the rest stays."""
    if isinstance(value, (TensorIn, InferenceTensor)):
        return decode_tensor(value, device=device, max_elements=max_elements, pointer=pointer)
    if isinstance(value, dict) and value and all(_is_tensor_object(v) for v in value.values()):
        out = {}
        for key, member in value.items():
            where = f"{pointer}/{key}"
            try:
                spec = InferenceTensor.model_validate(member) if "datatype" in member \
                    else TensorIn.model_validate(member)
            except ValidationError as exc:
                first = exc.errors()[0]
                path = "/".join(str(p) for p in first["loc"])
                raise InvalidRequest(f"{first['msg']} (at {where}/{path}).",
                                     pointer=f"{where}/{path}") from None
            out[key] = decode_tensor(spec, device=device, max_elements=max_elements,
                                     pointer=where)
        return out
    return value


def bind_variable(variables: dict[str, Any], name: str, value: Any) -> Any:
    """``PUT .../variables/{name}``: a dict of tensors sent to a variable holding a module is
    loaded into it (``load_state_dict``, strict, as torch's); any other value is bound. Returns
    the variable's value afterwards."""
    target = variables.get(name)
    if isinstance(target, engine.nn.Module) and isinstance(value, dict) and value and \
            all(isinstance(v, engine.Tensor) for v in value.values()):
        try:
            target.load_state_dict(value)
        except (RuntimeError, TypeError, ValueError) as exc:
            raise InvalidRequest(str(exc), pointer="#") from None
        return target
    variables[name] = value
    return value


def decode_inputs(inputs: Mapping[str, Any], *, device: str, max_elements: int,
                  pointer: str = "#/inputs") -> dict[str, Any]:
    return {name: decode_value(v, device=device, max_elements=max_elements,
                               pointer=f"{pointer}/{name}")
            for name, v in inputs.items()}
