"""``torch.autocast`` / ``torch.amp.autocast`` and ``torch.amp.GradScaler`` (also as
``torch.cpu.amp`` / ``torch.cuda.amp``'s deprecated spellings), as torch 2.13 CPU has them.

- **autocast.** CPU autocast makes chosen ops compute in bfloat16 (or float16) by torch's
  per-op lists. The engine has no bfloat16 and does not reproduce those lists, so entering an
  *enabled* CPU autocast (or calling a function it decorates) is refused by name. What torch
  turns off itself works as in torch: ``device_type="cuda"`` without CUDA warns and is
  disabled, a CPU dtype other than bfloat16/float16 warns and is disabled; ``enabled=False``
  is a no-op block. ``device_type`` is checked as torch checks it.
- **GradScaler.** ``GradScaler()`` (device "cuda") without CUDA warns and is disabled, as
  torch's: ``scale(x)`` returns ``x``, ``step(opt)`` calls ``opt.step()``, ``update`` and
  ``unscale_`` do nothing, ``get_scale()`` is 1.0, ``state_dict()`` is ``{}``, so training
  loops written for GPUs run unchanged. ``GradScaler("cpu")`` is enabled as in torch: the
  loss is multiplied by the scale (a float32 0-d tensor made on the first ``scale``),
  ``unscale_`` multiplies the gradients by its float32 reciprocal (computed in float64) and
  records whether any is inf/NaN, ``step`` skips the optimizer's step when one was,
  ``update`` backs off or grows the scale by torch's rule.
"""

from __future__ import annotations

import warnings
from typing import Any

from . import errors
from .dtypes import float16, float32, float64, int32
from .modes import no_grad
from .tensor import Tensor

__all__ = ["GradScaler", "autocast"]

#: torch's device types, in the order its error lists them.
DEVICE_TYPES = ("cpu", "cuda", "ipu", "xpu", "mkldnn", "opengl", "opencl", "ideep", "hip",
                "ve", "fpga", "maia", "xla", "lazy", "vulkan", "mps", "meta", "hpu", "mtia",
                "privateuseone")
_CUDA_OFF = "CUDA is not available or torch_xla is imported. Disabling autocast."


def _cuda_available() -> bool:
    """Whether the context computes on CUDA (a session's device)."""
    from .device import get_default_device

    return get_default_device().type == "cuda"


class autocast:
    """``torch.autocast(device_type, dtype=None, enabled=True, cache_enabled=None)``."""

    def __init__(self, device_type: Any, dtype: Any = None, enabled: Any = True,
                 cache_enabled: Any = None) -> None:
        if not isinstance(device_type, str):
            raise ValueError(f"Expected `device_type` of type `str`, got: "
                             f"`{_class_repr(device_type)}`")
        kind = device_type.split(":")[0]
        if kind not in DEVICE_TYPES:
            raise errors.EngineRuntimeError(
                f"Expected one of {', '.join(DEVICE_TYPES)} device type at start of device "
                f"string: {device_type}")
        self.device = kind
        self.fast_dtype = dtype
        self._enabled = bool(enabled)
        if kind == "cuda" and self._enabled and not _cuda_available():
            warnings.warn(_CUDA_OFF, UserWarning, stacklevel=2)
            self._enabled = False
        elif kind == "cpu" and self._enabled and dtype is not None and \
                dtype is not float16:
            warnings.warn("In CPU autocast, but the target dtype is not supported. Disabling "
                          "autocast.\nCPU Autocast only supports dtypes of torch.bfloat16, "
                          "torch.float16 currently.", UserWarning, stacklevel=2)
            self._enabled = False
        elif kind not in ("cpu", "cuda") and self._enabled:
            raise errors.NotSupported(f"torch.autocast(device_type={kind!r}) is not supported: "
                                      "the service runs on the CPU (and CUDA where it has it)")

    def _check(self) -> None:
        if self._enabled:
            dtype = "float16" if self.fast_dtype is float16 else "bfloat16"
            raise errors.NotSupported(
                f"torch.autocast(device_type={self.device!r}) enabled is not supported: "
                f"torch computes chosen ops in {dtype} by its own per-op lists, which the "
                "engine does not reproduce (it has no bfloat16); pass enabled=False")

    def __enter__(self) -> None:
        self._check()

    def __exit__(self, *exc: Any) -> bool:
        return False

    def __call__(self, func: Any) -> Any:
        def decorated(*args: Any, **kwargs: Any) -> Any:
            with self:
                return func(*args, **kwargs)
        decorated.__name__ = getattr(func, "__name__", None) or getattr(func, "name", "f")
        decorated.__qualname__ = getattr(func, "__qualname__", None) or \
            getattr(func, "qualname", decorated.__name__)
        return decorated


def _class_repr(value: Any) -> str:
    return f"<class '{type(value).__name__}'>"


# --------------------------------------------------------------------------- GradScaler

_READY, _UNSCALED, _STEPPED = 0, 1, 2
_FIX = ("This may indicate your script did not use scaler.scale(loss or outputs) earlier in "
        "the iteration.")


class GradScaler:
    """``torch.amp.GradScaler``: see the module doc."""

    def __init__(self, device: Any = "cuda", init_scale: Any = 2.0 ** 16,
                 growth_factor: Any = 2.0, backoff_factor: Any = 0.5,
                 growth_interval: Any = 2000, enabled: Any = True) -> None:
        self._device = device
        self._enabled = enabled
        if device == "cuda" and enabled and not _cuda_available():
            warnings.warn("torch.cuda.amp.GradScaler is enabled, but CUDA is not available.  "
                          "Disabling.", UserWarning, stacklevel=2)
            self._enabled = False
        if self._enabled:
            if device != "cpu":
                raise errors.NotSupported(
                    f"torch.amp.GradScaler({device!r}) is not supported: the service scales "
                    "on the CPU ('cpu')")
            if growth_factor <= 1.0:
                raise AssertionError("The growth factor must be > 1.0.")
            if backoff_factor >= 1.0:
                raise AssertionError("The backoff factor must be < 1.0.")
            self._init_scale = init_scale
            self._scale: Tensor | None = None
            self._growth_factor = growth_factor
            self._backoff_factor = backoff_factor
            self._growth_interval = growth_interval
            self._growth_tracker: Tensor | None = None
            self._states: dict[int, list] = {}  # id(optimizer) -> [stage, found_inf or None]

    def is_enabled(self) -> bool:
        return bool(self._enabled)

    def _state(self, optimizer: Any) -> list:
        return self._states.setdefault(id(optimizer), [_READY, None])

    def _check_tracker(self, name: str) -> None:
        if self._scale is None:
            raise AssertionError(f"Attempted {name} but _scale is None.  " + _FIX)
        if self._growth_tracker is None:
            raise AssertionError(f"Attempted {name} but _growth_tracker is None.  " + _FIX)

    def scale(self, outputs: Any) -> Any:
        if not self._enabled:
            return outputs
        if self._scale is None:
            from .ops import full

            self._scale = full((), float(self._init_scale), dtype=float32)
            self._growth_tracker = full((), 0, dtype=int32)
        return self._scaled(outputs)

    def _scaled(self, value: Any) -> Any:
        if isinstance(value, Tensor):
            return value * self._scale
        if isinstance(value, (list, tuple)):
            out = [self._scaled(v) for v in value]
            return out if isinstance(value, list) else tuple(out)
        if hasattr(value, "__iter__") and not isinstance(value, (str, bytes, dict)):
            return map(self._scaled, value)
        raise ValueError("outputs must be a Tensor or an iterable of Tensors")

    def unscale_(self, optimizer: Any) -> None:
        if not self._enabled:
            return
        self._check_tracker("unscale_")
        state = self._state(optimizer)
        if state[0] == _UNSCALED:
            raise errors.EngineRuntimeError(
                "unscale_() has already been called on this optimizer since the last update().")
        if state[0] == _STEPPED:
            raise errors.EngineRuntimeError("unscale_() is being called after step().")
        inv = (self._scale.to(float64).reciprocal()).to(float32)
        found = False
        with no_grad():
            for group in optimizer.param_groups:
                for p in group["params"]:
                    g = p.grad
                    if g is None:
                        continue
                    if g.dtype is float16:
                        raise ValueError("Attempting to unscale FP16 gradients.")
                    g.mul_(inv)
                    if not bool(g.isfinite().all()):
                        found = True
        state[1] = found if state[1] is None else (state[1] or found)
        state[0] = _UNSCALED

    def step(self, optimizer: Any, *args: Any, **kwargs: Any) -> Any:
        if not self._enabled:
            return optimizer.step(*args, **kwargs)
        if "closure" in kwargs:
            raise errors.EngineRuntimeError(
                "Closure use is not currently supported if GradScaler is enabled.")
        self._check_tracker("step")
        state = self._state(optimizer)
        if state[0] == _STEPPED:
            raise errors.EngineRuntimeError(
                "step() has already been called since the last update().")
        if state[0] == _READY:
            self.unscale_(optimizer)
        if state[1] is None:
            raise AssertionError("No inf checks were recorded for this optimizer.")
        retval = None if state[1] else optimizer.step(*args, **kwargs)
        state[0] = _STEPPED
        return retval

    def update(self, new_scale: Any = None) -> None:
        if not self._enabled:
            return
        self._check_tracker("update")
        if new_scale is not None:
            if isinstance(new_scale, float):
                self._scale.fill_(new_scale)
            else:
                reason = ("new_scale should be a float or a 1-element torch.cuda.FloatTensor or "
                          "torch.FloatTensor with requires_grad=False.")
                if not isinstance(new_scale, Tensor) or new_scale.numel() != 1 or \
                        new_scale.requires_grad or new_scale.dtype is not float32:
                    raise AssertionError(reason)
                self._scale.copy_(new_scale)
        else:
            found = [s[1] for s in self._states.values() if s[1] is not None]
            if not found:
                raise AssertionError("No inf checks were recorded prior to update.")
            with no_grad():
                if any(found):
                    self._scale.mul_(self._backoff_factor)
                    self._growth_tracker.fill_(0)
                else:
                    tracked = int(self._growth_tracker.item()) + 1
                    if tracked == self._growth_interval:
                        self._scale.mul_(self._growth_factor)
                        tracked = 0
                    self._growth_tracker.fill_(tracked)
        self._states = {}

    def get_scale(self) -> float:
        if not self._enabled:
            return 1.0
        return float(self._init_scale) if self._scale is None else self._scale.item()

    def get_growth_factor(self) -> float:
        return self._growth_factor

    def set_growth_factor(self, new_factor: float) -> None:
        self._growth_factor = new_factor

    def get_backoff_factor(self) -> float:
        return self._backoff_factor

    def set_backoff_factor(self, new_factor: float) -> None:
        self._backoff_factor = new_factor

    def get_growth_interval(self) -> int:
        return self._growth_interval

    def set_growth_interval(self, new_interval: int) -> None:
        self._growth_interval = new_interval

    def state_dict(self) -> dict:
        if not self._enabled:
            return {}
        return {"scale": self.get_scale(), "growth_factor": self._growth_factor,
                "backoff_factor": self._backoff_factor,
                "growth_interval": self._growth_interval,
                "_growth_tracker": 0 if self._growth_tracker is None
                else int(self._growth_tracker.item())}

    def load_state_dict(self, state_dict: dict) -> None:
        if not self._enabled:
            return
        if len(state_dict) == 0:
            raise errors.EngineRuntimeError(
                "The source state dict is empty, possibly because it was saved from a disabled "
                "instance of GradScaler.")
        self._init_scale = state_dict["scale"]
        if self._scale is not None:
            self._scale.fill_(state_dict["scale"])
        self._growth_factor = state_dict["growth_factor"]
        self._backoff_factor = state_dict["backoff_factor"]
        self._growth_interval = state_dict["growth_interval"]
        if self._growth_tracker is not None:
            self._growth_tracker.fill_(state_dict["_growth_tracker"])


# --------------------------------------------------------------------------- old spellings

def cpu_autocast(enabled: Any = True, dtype: Any = None, cache_enabled: Any = True) -> autocast:
    """``torch.cpu.amp.autocast`` (deprecated in torch for ``torch.amp.autocast("cpu")``)."""
    warnings.warn("`torch.cpu.amp.autocast(args...)` is deprecated. Please use "
                  "`torch.amp.autocast('cpu', args...)` instead.", FutureWarning, stacklevel=2)
    return autocast("cpu", dtype=dtype, enabled=enabled, cache_enabled=cache_enabled)


def cuda_autocast(enabled: Any = True, dtype: Any = float16,
                  cache_enabled: Any = True) -> autocast:
    """``torch.cuda.amp.autocast`` (deprecated in torch for ``torch.amp.autocast("cuda")``)."""
    warnings.warn("`torch.cuda.amp.autocast(args...)` is deprecated. Please use "
                  "`torch.amp.autocast('cuda', args...)` instead.", FutureWarning, stacklevel=2)
    return autocast("cuda", dtype=dtype, enabled=enabled, cache_enabled=cache_enabled)


def _old_scaler(device: str):
    def make(init_scale: Any = 2.0 ** 16, growth_factor: Any = 2.0, backoff_factor: Any = 0.5,
             growth_interval: Any = 2000, enabled: Any = True) -> GradScaler:
        warnings.warn(f"`torch.{device}.amp.GradScaler(args...)` is deprecated. Please use "
                      f"`torch.amp.GradScaler('{device}', args...)` instead.", FutureWarning,
                      stacklevel=2)
        return GradScaler(device, init_scale, growth_factor, backoff_factor, growth_interval,
                          enabled)
    make.__name__ = make.__qualname__ = "GradScaler"
    return make


cpu_grad_scaler = _old_scaler("cpu")
cuda_grad_scaler = _old_scaler("cuda")
