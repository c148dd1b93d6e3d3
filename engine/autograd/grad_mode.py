"""Grad modes: ``no_grad``, ``enable_grad``, ``set_grad_enabled`` (from ``engine.modes``) and
``inference_mode``, as ``torch.autograd.grad_mode`` has them."""

from __future__ import annotations

import sys
import weakref
from contextvars import ContextVar

from .. import errors
from ..modes import _grad_enabled, enable_grad, no_grad, set_grad_enabled
from ..tensor import Tensor
from . import forward_ad

__all__ = ["enable_grad", "inference_mode", "is_grad_enabled", "is_inference",
           "is_inference_mode_enabled", "no_grad", "set_grad_enabled"]

_inference: ContextVar[bool] = ContextVar("inference_mode", default=False)


def is_grad_enabled() -> bool:
    """Whether ops on tensors that require grad record a graph (``torch.is_grad_enabled``).
    A Python function, so programs may call it; the ops' hot paths use
    ``engine.modes.is_grad_enabled``, the context variable's own ``get``."""
    return _grad_enabled.get()

# Inference tensors: the tensors made while inference mode is on (views of them are too; a view
# made there of a normal tensor is normal). While any inference_mode is open, the tensor
# constructor (``engine.tensor._new``) notes them; with none open it costs nothing.
# ``SEEN`` turns on the checks (saving for backward, in-place, requires_grad) once any exists.
_made: dict[int, weakref.ref] = {}  # id -> weakref (a WeakSet would compare tensors)
_open = [0]
SEEN = [False]
_tensor = sys.modules[Tensor.__module__]  # (``engine.tensor`` is also the name of an op)
_plain_new = _tensor._new


def _noting_new(cls):
    t = _plain_new(cls)
    if _inference.get():
        key = id(t)
        _made[key] = weakref.ref(t, lambda _, key=key: _made.pop(key, None))
        SEEN[0] = True
    return t


def is_inference_mode_enabled() -> bool:
    return _inference.get()


def is_inference(t) -> bool:
    """``torch.is_inference``: was ``t`` (or the tensor it views) made in inference mode?"""
    if not isinstance(t, Tensor):
        raise errors.EngineTypeError(
            f"is_inference(): argument 'input' (position 1) must be Tensor, not "
            f"{type(t).__name__}")
    if not SEEN[0]:
        return False
    base = t if t._base is None else t._base
    ref = _made.get(id(base))
    return ref is not None and ref() is base


INFERENCE_SAVED = (
    "Inference tensors cannot be saved for backward. Please do not use Tensors created in "
    "inference mode in computation tracked by autograd. To work around this, you can make a "
    "clone to get a normal tensor and use it in autograd, or use `torch.no_grad()` instead of "
    "`torch.inference_mode()`.")
INFERENCE_INPLACE = (
    "Inplace update to inference tensor outside InferenceMode is not allowed.You can make a "
    "clone to get a normal tensor before doing inplace update.See "
    "https://github.com/pytorch/rfcs/pull/17 for more details.")
INFERENCE_REQUIRES_GRAD = (
    "Setting requires_grad=True on inference tensor outside InferenceMode is not allowed.")


def check_saved(saved: tuple) -> None:
    """Refuse to save an inference tensor for backward (only called once one exists)."""
    for s in saved:
        if type(s) is Tensor and is_inference(s):
            raise errors.EngineRuntimeError(INFERENCE_SAVED)


def check_inplace(t) -> None:
    """Refuse an in-place op on an inference tensor outside inference mode."""
    if not _inference.get() and is_inference(t):
        raise errors.EngineRuntimeError(INFERENCE_INPLACE)


def check_requires_grad(t) -> None:
    """Refuse to make an inference tensor require grad outside inference mode."""
    if not _inference.get() and is_inference(t):
        raise errors.EngineRuntimeError(INFERENCE_REQUIRES_GRAD)


class inference_mode:
    """Like ``no_grad``, and forward-mode AD is off too (PyTorch's inference mode). Tensors made
    inside are inference tensors: they cannot be saved for backward, written in place or made
    to require grad outside inference mode."""

    def __init__(self, mode: bool = True) -> None:
        self.mode = bool(mode)

    def __enter__(self):
        if self.mode:
            self._tokens = (_inference.set(True), _grad_enabled.set(False),
                            forward_ad._inference.set(True))
        else:
            self._tokens = (_inference.set(False), None, forward_ad._inference.set(False))
        _open[0] += 1
        _tensor._new = _noting_new
        return None

    def __exit__(self, *exc) -> bool:
        _open[0] -= 1
        if not _open[0]:
            _tensor._new = _plain_new
        inf, grad, fw = self._tokens
        forward_ad._inference.reset(fw)
        if grad is not None:
            _grad_enabled.reset(grad)
        _inference.reset(inf)
        return False

    def __call__(self, fn):
        mode = self.mode

        def wrapper(*args, **kwargs):
            with inference_mode(mode):
                return fn(*args, **kwargs)

        wrapper.__name__ = getattr(fn, "__name__", "wrapper")
        wrapper.__doc__ = getattr(fn, "__doc__", None)
        return wrapper
