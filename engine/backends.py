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


# --------------------------------------------------------------------------- CPU settings
# ``torch.set_num_threads`` / ``set_num_interop_threads`` / ``set_float32_matmul_precision``
# as per-context state (a session's, never the process's): (threads, interop threads,
# whether the interop count was set, float32 matmul precision). None: the default, the
# number of cores this process may use, which is what torch reports in a process here.

PRECISIONS = ("highest", "high", "medium")
_cpu: ContextVar[tuple] = ContextVar("cpu_settings", default=(None, None, False, "highest"))


def _cores() -> int:
    import os

    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def cpu_state() -> tuple:
    return _cpu.get()


def use_cpu_state(state: tuple) -> ContextSetting:
    return ContextSetting(_cpu, state)


def _count(name: str, value: object) -> int:
    if type(value) is not int:
        raise EngineRuntimeError(f"{name} expects an int, but got {type(value).__name__}")
    if value <= 0:
        raise EngineRuntimeError(f"{name} expects a positive integer")
    return value


def set_num_threads(int: object) -> None:  # noqa: A002 (torch's parameter name)
    """``torch.set_num_threads``: the intra-op thread count the context's programs read back.
    The engine's results do not depend on it (its chunked ufuncs compute each element as one
    NumPy call would)."""
    n = _count("set_num_threads", int)
    state = _cpu.get()
    _cpu.set((n,) + state[1:])


def get_num_threads() -> int:
    """``torch.get_num_threads``."""
    n = _cpu.get()[0]
    return _cores() if n is None else n


def set_num_interop_threads(int: object) -> None:  # noqa: A002
    """``torch.set_num_interop_threads``: once per context, as once per process in torch."""
    n = _count("set_num_interop_threads", int)
    state = _cpu.get()
    if state[2]:
        raise EngineRuntimeError("Error: cannot set number of interop threads after parallel "
                                 "work has started or set_num_interop_threads called")
    _cpu.set((state[0], n, True, state[3]))


def get_num_interop_threads() -> int:
    """``torch.get_num_interop_threads``."""
    n = _cpu.get()[1]
    return _cores() if n is None else n


def set_float32_matmul_precision(precision: object) -> None:
    """``torch.set_float32_matmul_precision``. "highest" and "high" compute float32 matrix
    products in float32 on the CPU (torch's "high" means TF32 on CUDA only); "medium" lets
    torch compute them in bfloat16 on CPUs with AMX / AVX512-BF16 (by sizes oneDNN picks),
    which the engine, without bfloat16, cannot reproduce: it is refused by name."""
    import warnings

    if type(precision) is not str:
        raise EngineRuntimeError(f"set_float32_matmul_precision expects a str, but got "
                                 f"{type(precision).__name__}")
    if precision not in PRECISIONS:
        warnings.warn(f"{precision} is not one of 'highest', 'high', or 'medium'; the current"
                      "setFloat32MatmulPrecision call has no effect.", UserWarning, stacklevel=2)
        return
    if precision == "medium":
        from .errors import NotSupported

        raise NotSupported(
            "torch.set_float32_matmul_precision('medium') is not supported: torch 2.13 then "
            "computes float32 matrix products in bfloat16 on CPUs that have it, and the engine "
            "has no bfloat16")
    state = _cpu.get()
    _cpu.set(state[:3] + (precision,))


def get_float32_matmul_precision() -> str:
    """``torch.get_float32_matmul_precision``."""
    return _cpu.get()[3]
