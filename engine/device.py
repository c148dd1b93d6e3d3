"""Devices and the array-module seam: NumPy for ``cpu``, CuPy for ``cuda:N``.

Every op finds its array module through ``Device.xp``; nothing else in the engine imports CuPy.
"""

from __future__ import annotations

import builtins
import contextlib
import re
from contextvars import ContextVar

import numpy as np

from .errors import EngineRuntimeError
from .modes import ContextSetting

_SPEC = re.compile(r"^(cpu|cuda)(?::([1-9]\d*|0))?$")
# torch's device strings: a type, then an optional ``:index``; and the types it knows
_TORCH_SPEC = re.compile(r"^([a-zA-Z_]+)(?::([1-9]\d*|0))?$")
_TORCH_TYPES = ("cpu, cuda, ipu, xpu, mkldnn, opengl, opencl, ideep, hip, ve, fpga, maia, xla, "
                "lazy, vulkan, mps, meta, hpu, mtia, privateuseone")


class Device:
    __slots__ = ("type", "index", "xp", "_str")

    def __init__(self, type: str, index: int | None = None):
        self.type = type
        self.index = index
        self._str = type if index is None else f"{type}:{index}"
        self.xp = np if type == "cpu" else None  # CuPy is bound on first use

    def __repr__(self) -> str:
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __str__(self) -> str:
        return self._str

    def __eq__(self, other) -> bool:
        # torch's: a device equals only a device (``torch.device('cpu') == 'cpu'`` is False)
        if not isinstance(other, Device):
            return NotImplemented
        return self._str == other._str

    def __hash__(self) -> int:
        return hash(self._str)

    def scope(self):
        """A context in which CuPy allocates on this device (a no-op on the CPU)."""
        if self.type == "cpu":
            return contextlib.nullcontext()
        return self.xp.cuda.Device(self.index or 0)


CPU = Device("cpu")
_cache: dict[str, Device] = {"cpu": CPU}


def cupy_module():
    """CuPy, imported on demand; raises a clear error when it cannot run here."""
    try:
        import cupy
    except ImportError as e:
        raise EngineRuntimeError(
            "CUDA support needs CuPy: pip install 'autograd-service[cuda]'") from e
    return cupy


def cuda_device_count() -> int:
    try:
        cupy = cupy_module()
        if not cupy.cuda.is_available():
            return 0
        return cupy.cuda.runtime.getDeviceCount()
    except Exception:
        return 0


def device(spec) -> Device:
    """Parse ``"cpu"``, ``"cuda"``, ``"cuda:1"`` (or pass a Device through): where a tensor is
    placed (a CPU index, ``"cpu:0"``, places it on the one CPU, as torch does)."""
    if isinstance(spec, Device):
        if spec.index is None:  # ``torch.device("cuda")`` places on the current GPU, cuda:0
            return spec if spec.type == "cpu" else device(spec.type)
        return spec if spec.type != "cpu" else CPU
    if spec is None:
        return default_device()
    if type(spec) is int:  # torch: an accelerator's index
        if spec < 0:
            raise EngineRuntimeError("Device index must not be negative")
        if cuda_device_count() == 0:
            raise EngineRuntimeError("Cannot access accelerator device when none is available.")
        return device(f"cuda:{spec}")
    if spec == "":
        raise EngineRuntimeError("Device string must not be empty")
    key = str(spec)
    dev = _cache.get(key)
    if dev is not None:
        return dev
    m = _SPEC.match(key)
    if m is None:
        t = _TORCH_SPEC.match(key)
        if t is None:  # (``x.to('float64')``: torch reads a string as a device)
            raise EngineRuntimeError(f"Invalid device string: '{key}'")
        if t.group(1) not in _TORCH_TYPES.split(", "):
            raise EngineRuntimeError(
                f"Expected one of {_TORCH_TYPES} device type at start of device string: "
                f"{t.group(1)}")
        raise EngineRuntimeError(
            f"Expected one of cpu, cuda device type at start of device string: {key}")
    kind, index = m.group(1), m.group(2)
    if kind == "cpu":
        return CPU
    dev = Device("cuda", int(index) if index is not None else 0)
    _cache[key] = dev
    return dev


_CPU_INDEXED: dict[int, Device] = {}


def torch_device(type=None, index=None, **kwargs) -> Device:
    """``torch.device(...)``, the value a program holds: ``torch.device("cpu:0")`` and
    ``torch.device("cpu", 0)`` keep their index, as torch's do (``device(type='cpu', index=0)``,
    not equal to ``torch.device("cpu")``); a tensor placed by one is on the one CPU
    (:func:`device`), and ``x.to("cpu:0")`` copies, as torch's does (the devices differ).
    ``torch.device("cuda")`` keeps having no index (a tensor placed by it is on cuda:0)."""
    from .errors import EngineTypeError

    if kwargs:
        raise EngineTypeError(f"device() got an unexpected keyword argument '{next(iter(kwargs))}'")
    if type is None:
        raise EngineTypeError(
            "device() received an invalid combination of arguments - got ("
            + ("index=int, " if index is not None else "") + "), but expected one of:\n"
            " * (torch.device device)\n" + (
                "      didn't match because some of the keywords were incorrect: index\n"
                if index is not None else "") + " * (str type, int index = -1)\n")
    if index is not None:
        if not isinstance(type, str):
            raise EngineTypeError("device(): argument 'type' (position 1) must be str, not "
                                  + ("torch.device" if isinstance(type, Device) else
                                     builtins.type(type).__name__))
        if builtins.type(index) is not int:
            raise EngineTypeError("device(): argument 'index' (position 2) must be int, not "
                                  f"{builtins.type(index).__name__}")
        if ":" in type:
            raise EngineRuntimeError("type (string) must not include an index because index "
                                     f"was passed explicitly: {type}")
        if index < 0:
            raise EngineRuntimeError("Device index must not be negative")
        type = f"{type}:{index}"
    if isinstance(type, Device):
        return type
    if isinstance(type, str):
        m = _SPEC.match(type)
        if m is not None and m.group(1) == "cpu" and m.group(2) is not None:
            n = int(m.group(2))
            dev = _CPU_INDEXED.get(n)
            if dev is None:
                dev = _CPU_INDEXED.setdefault(n, Device("cpu", n))
            return dev
        if m is not None and m.group(1) == "cuda" and m.group(2) is None:
            return CUDA_UNINDEXED  # device(type='cuda'), not cuda:0 (a tensor made there is)
    return device(type)


#: ``torch.device("cuda")``: the current GPU without an index, as torch's (it prints as
#: ``cuda`` and is not equal to ``torch.device("cuda:0")``; :func:`device` places on cuda:0)
CUDA_UNINDEXED = Device("cuda", None)



def names_cpu_index(spec) -> bool:
    """Whether ``spec`` names the CPU with an index (``"cpu:0"``, ``torch.device("cpu", 0)``):
    torch's ``to`` then copies even a CPU tensor (its device, ``cpu``, is another one)."""
    if isinstance(spec, Device):
        return spec.type == "cpu" and spec.index is not None
    return isinstance(spec, str) and spec.startswith("cpu:")


def bind(dev: Device) -> Device:
    """Make sure a CUDA device exists and has its array module; returns it."""
    if dev.xp is None:
        count = cuda_device_count()
        if count == 0:
            raise EngineRuntimeError(
                "Found no NVIDIA driver on your system, or CuPy cannot use it: "
                f"CUDA device {dev} is not available")
        if dev.index >= count:
            raise EngineRuntimeError(
                f"CUDA error: invalid device ordinal (requested {dev}, {count} available)")
        dev.xp = cupy_module()
    return dev


_default: ContextVar[Device] = ContextVar("default_device", default=CPU)


def default_device() -> Device:
    return _default.get()


def use_device(spec) -> ContextSetting:
    """Creation ops without ``device=`` put their results on this device (in a ``with``)."""
    return ContextSetting(_default, bind(device(spec)))


def get_default_device() -> Device:
    """``torch.get_default_device()``: where creation ops put results without ``device=``."""
    return _default.get()


def set_default_device(spec) -> None:
    """``torch.set_default_device``: a session's default device is the one it was created on,
    so only that device (or ``None`` where it is the CPU) is accepted; asking for another
    raises rather than being ignored."""
    from .errors import NotSupported

    current = _default.get()
    wanted = CPU if spec is None else device(spec)
    if wanted.type == current.type and (wanted.index in (None, 0) or wanted == current):
        return
    raise NotSupported(
        f"torch.set_default_device({str(wanted)!r}) is not supported: this session's default "
        f"device is {str(current)!r} (it is chosen when the session is created)")
