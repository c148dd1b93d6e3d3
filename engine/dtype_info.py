"""``torch.finfo`` and ``torch.iinfo``: the numeric limits of a dtype, with torch's attributes,
reprs and argument errors."""

from __future__ import annotations

import numpy as np

from . import errors
from .dtypes import DType, default_float

# digits of decimal resolution torch reports (NumPy's finfo precision)
_RESOLUTION = {"float16": 0.001, "float32": 1e-06, "float64": 1e-15}


def _check(kind: str, value: object) -> DType:
    if not isinstance(value, DType):
        raise errors.EngineTypeError(f"{kind}(): argument 'type' (position 1) must be "
                                     f"torch.dtype, not {type(value).__name__}")
    return value


class finfo:  # noqa: N801 (torch's name)
    """``torch.finfo(type=torch.get_default_dtype())``: bits, eps, max, min, tiny,
    smallest_normal, resolution and dtype of a floating dtype (Python floats)."""

    def __init__(self, type: DType | None = None) -> None:  # noqa: A002 (torch's name)
        d = default_float() if type is None else _check("finfo", type)
        if not d.is_floating_point:
            raise errors.EngineTypeError("torch.finfo() requires a floating point input "
                                         "type. Use torch.iinfo to handle 'torch.finfo'")
        info = np.finfo(d.np)
        self.bits = int(info.bits)
        self.eps = float(info.eps)
        self.max = float(info.max)
        self.min = float(info.min)
        self.tiny = self.smallest_normal = float(info.tiny)
        self.resolution = _RESOLUTION[d.name]
        self.dtype = d.name

    def __eq__(self, other: object) -> bool:
        return isinstance(other, finfo) and other.dtype == self.dtype

    def __hash__(self) -> int:
        return hash(("finfo", self.dtype))

    def __repr__(self) -> str:
        return (f"finfo(resolution={self.resolution:g}, min={self.min:g}, max={self.max:g}, "
                f"eps={self.eps:g}, smallest_normal={self.smallest_normal:g}, "
                f"tiny={self.tiny:g}, dtype={self.dtype})")


class iinfo:  # noqa: N801 (torch's name)
    """``torch.iinfo(type)``: bits, max, min and dtype of an integer dtype (Python ints)."""

    def __init__(self, type: DType) -> None:  # noqa: A002 (torch's name)
        d = _check("iinfo", type)
        if d.name == "bool":
            raise errors.EngineTypeError("torch.bool is not supported by torch.iinfo")
        if d.is_floating_point:
            raise errors.EngineTypeError("torch.iinfo() requires an integer input type. Use "
                                         "torch.finfo to handle 'torch.iinfo'")
        info = np.iinfo(d.np)
        self.bits = int(info.bits)
        self.max = int(info.max)
        self.min = int(info.min)
        self.dtype = d.name

    def __eq__(self, other: object) -> bool:
        return isinstance(other, iinfo) and other.dtype == self.dtype

    def __hash__(self) -> int:
        return hash(("iinfo", self.dtype))

    def __repr__(self) -> str:
        return f"iinfo(min={self.min:g}, max={self.max:g}, dtype={self.dtype})"
