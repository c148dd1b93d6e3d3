"""``torch.backends.cudnn``'s switches (``enabled``, ``benchmark``, ``deterministic``,
``allow_tf32``) as per-context state, like grad mode: programs set them in seeding
boilerplate. The engine has no cuDNN (its CUDA path is CuPy), so they change no result; they
are kept, read back and checked as torch checks them."""

from __future__ import annotations

from contextvars import ContextVar

from .errors import EngineRuntimeError
from .modes import ContextSetting

CUDNN_FLAGS = ("enabled", "benchmark", "deterministic", "allow_tf32")
CUDNN_DEFAULTS = (True, False, False, True)
# the C++ setters torch's module calls, named in its errors
_SETTERS = {"enabled": "set_enabled_cudnn", "benchmark": "set_benchmark_cudnn",
            "deterministic": "set_deterministic_cudnn", "allow_tf32": "set_allow_tf32_cublas"}
_cudnn: ContextVar[tuple[bool, ...]] = ContextVar("cudnn", default=CUDNN_DEFAULTS)


def cudnn_flag(name: str) -> bool:
    """``torch.backends.cudnn.<name>``."""
    return _cudnn.get()[CUDNN_FLAGS.index(name)]


def set_cudnn_flag(name: str, value: bool) -> None:
    """``torch.backends.cudnn.<name> = value`` (a bool, as torch's setters require)."""
    if type(value) is not bool:
        raise EngineRuntimeError(f"{_SETTERS[name]} expects a bool, but got "
                                 f"{type(value).__name__}")
    state = list(_cudnn.get())
    state[CUDNN_FLAGS.index(name)] = value
    _cudnn.set(tuple(state))


def cudnn_state() -> tuple[bool, ...]:
    return _cudnn.get()


def use_cudnn_state(state: tuple[bool, ...]) -> ContextSetting:
    return ContextSetting(_cudnn, state)
