"""engine: tensors and reverse-mode autograd with PyTorch's semantics, on NumPy (CPU) and CuPy
(CUDA). Knows nothing of HTTP or JSON. See docs/engine-api.md for the public API."""

import numpy as _np

from . import _malloc, errors, linalg, ops  # noqa: F401 (_malloc: glibc thresholds; linalg: torch.linalg)
from .autograd import grad
from .autograd.anomaly import is_anomaly_check_nan_enabled, is_anomaly_enabled
from .autograd.grad_mode import inference_mode, is_grad_enabled, is_inference_mode_enabled
from .cost import use_cost_meter
from .device import (
    Device,
    cuda_device_count,
    default_device,
    device,
    get_default_device,
    set_default_device,
    torch_device,
    use_device,
)
from .dtype_info import finfo, iinfo
from .dtypes import (
    DType,
    as_dtype,
    bool_,
    dtype_from_name,
    float16,
    float32,
    float64,
    from_numpy_dtype,
    int8,
    int16,
    int32,
    int64,
    uint8,
)
from .memory import held_bytes
from .modes import (
    are_deterministic_algorithms_enabled,
    enable_grad,
    is_deterministic_algorithms_warn_only_enabled,
    no_grad,
    set_grad_enabled,
    use_deterministic_algorithms,
    use_limits,
)
from .ops.creation import _finish
from .ops.layouts import LAYOUTS as _LAYOUTS
from .ops.layouts import layout
from .ops.memory_format import FORMATS as _FORMATS
from .ops.memory_format import memory_format
from .printing import set_printoptions
from .random import Generator, get_rng_state, manual_seed, set_rng_state, use_generator
from .tensor import Size, Tensor

# PyTorch computes inf - inf, 0 * inf or log(0) silently (to nan / -inf); so do we.
_np.seterr(all="ignore")

globals().update({name: d.fn for name, d in ops.OPS.items() if d.kind != "method"})
globals().update(_LAYOUTS)  # torch.strided, torch.sparse_coo, ...
globals().update(_FORMATS)  # torch.channels_last, torch.contiguous_format, ...

half, double, long, short = float16, float64, int64, int16
float, int, bool = float32, int32, bool_  # noqa: A001 (torch.float etc.)


def from_numpy(array, device=None) -> Tensor:
    """A tensor holding ``array``'s data (shared on the CPU, copied to another device)."""
    arr = _np.asarray(array)
    dt = from_numpy_dtype(arr.dtype)
    if arr.dtype != dt.np:
        arr = arr.astype(dt.np)
    return _finish(arr, dt, device, False)


def to_numpy(t: Tensor):
    """A host NumPy array of ``t``'s data, whatever its device or requires_grad."""
    return t.numpy(force=True)


# the libraries, as ``import torch`` brings torch.nn, torch.optim and torch.utils.data
from . import legacy, nn, optim  # noqa: E402, F401
from .utils import data as _data  # noqa: E402, F401

__all__ = ["Device", "DType", "Generator", "Size", "Tensor", "errors", "ops", "grad", "device",
           "torch_device", "default_device", "use_device", "cuda_device_count",
           "dtype_from_name", "as_dtype",
           "no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled",
           "use_limits", "use_cost_meter", "held_bytes", "use_generator", "manual_seed",
           "get_rng_state", "set_rng_state",
           "from_numpy", "to_numpy", "float16", "float32", "float64", "int32", "int64", "bool_",
           "uint8", "int8", "int16", "short",
           "inference_mode", "is_inference_mode_enabled", "is_anomaly_enabled",
           "is_anomaly_check_nan_enabled", "use_deterministic_algorithms",
           "are_deterministic_algorithms_enabled",
           "is_deterministic_algorithms_warn_only_enabled", "get_default_device",
           "set_default_device", "set_printoptions", "finfo", "iinfo", "layout", *_LAYOUTS,
           "memory_format", *_FORMATS]
