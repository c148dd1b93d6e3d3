"""Grad modes: ``no_grad``, ``enable_grad``, ``set_grad_enabled`` (from ``engine.modes``) and
``inference_mode``, as ``torch.autograd.grad_mode`` has them."""

from __future__ import annotations

from contextvars import ContextVar

from ..modes import _grad_enabled, enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from . import forward_ad

__all__ = ["enable_grad", "inference_mode", "is_grad_enabled", "is_inference_mode_enabled",
           "no_grad", "set_grad_enabled"]

_inference: ContextVar[bool] = ContextVar("inference_mode", default=False)


def is_inference_mode_enabled() -> bool:
    return _inference.get()


class inference_mode:
    """Like ``no_grad``, and forward-mode AD is off too (PyTorch's inference mode). Tensors made
    inside are ordinary tensors here (PyTorch marks them as inference tensors)."""

    def __init__(self, mode: bool = True) -> None:
        self.mode = bool(mode)

    def __enter__(self):
        if self.mode:
            self._tokens = (_inference.set(True), _grad_enabled.set(False),
                            forward_ad._inference.set(True))
        else:
            self._tokens = (_inference.set(False), None, forward_ad._inference.set(False))
        return None

    def __exit__(self, *exc) -> bool:
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
