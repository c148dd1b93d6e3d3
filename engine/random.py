"""Random generators: each session can own one, so its runs are reproducible from a seed."""

from __future__ import annotations

import secrets
from contextvars import ContextVar

import numpy as np

from .device import CPU
from .device import device as as_device
from .modes import ContextSetting


class Generator:
    """A seedable source of random numbers for one device (``torch.Generator``)."""

    def __init__(self, device="cpu"):
        self.device = as_device(device)
        self.manual_seed(secrets.randbits(63))

    def manual_seed(self, seed: int) -> Generator:
        self._seed = int(seed)
        self._state = None  # the bit generator is made on first draw (most runs draw nothing)
        return self

    @property
    def _rng(self):
        if self._state is None:
            seed = self._seed
            if self.device.type == "cpu":
                self._state = np.random.Generator(np.random.PCG64(seed & (2**64 - 1)))
            else:
                from .device import bind

                xp = bind(self.device).xp
                with self.device.scope():
                    self._state = xp.random.default_rng(seed & (2**63 - 1))
        return self._state

    def initial_seed(self) -> int:
        return self._seed

    def seed(self) -> int:
        s = secrets.randbits(63)
        self.manual_seed(s)
        return s

    def _np_state(self) -> dict:
        """The bit generator's state as NumPy writes it (snapshots store it)."""
        return self._rng.bit_generator.state

    def get_state(self):
        """The generator's state as a uint8 tensor (``torch.Generator.get_state``): the seed
        and the PCG64 state, :data:`STATE_BYTES` bytes (torch's CPU generator, an MT19937,
        has 5,056; this one is not torch's, so neither are its states)."""
        from .errors import NotSupported
        from .tensor import Tensor

        if self.device.type != "cpu":
            raise NotSupported(f"get_state of a {self.device.type} generator is not supported")
        st = self._np_state()
        raw = (self._seed.to_bytes(16, "little", signed=True)
               + st["state"]["state"].to_bytes(16, "little")
               + st["state"]["inc"].to_bytes(16, "little")
               + bytes([int(st["has_uint32"])]) + int(st["uinteger"]).to_bytes(4, "little"))
        from .dtypes import uint8

        return Tensor(np.frombuffer(raw, dtype=np.uint8).copy(), uint8)

    def set_state(self, new_state) -> Generator:
        """Restore a state :meth:`get_state` gave (``torch.Generator.set_state``)."""
        from .errors import EngineRuntimeError, EngineTypeError, NotSupported
        from .tensor import Tensor

        if not isinstance(new_state, Tensor):
            raise EngineTypeError(f"expected a torch.ByteTensor, but got "
                                  f"{type(new_state).__name__}")
        if new_state.dtype.name != "uint8":
            raise EngineTypeError("RNG state must be a torch.ByteTensor")
        if new_state.numel() != STATE_BYTES:
            raise EngineRuntimeError(
                f"Expected a CPUGeneratorImplState of size {STATE_BYTES} but found the input "
                f"RNG state size to be {new_state.numel()}")
        if self.device.type != "cpu":
            raise NotSupported(f"set_state of a {self.device.type} generator is not supported")
        raw = bytes(np.ascontiguousarray(new_state._data).reshape(-1))
        state = int.from_bytes(raw[16:32], "little")
        inc = int.from_bytes(raw[32:48], "little")
        if not inc & 1:  # PCG64's increment is odd: these bytes are no state of ours
            raise EngineRuntimeError("the RNG state is not one this generator's get_state gave")
        self._seed = int.from_bytes(raw[:16], "little", signed=True)
        self._state = None
        self._rng.bit_generator.state = {
            "bit_generator": "PCG64", "state": {"state": state, "inc": inc},
            "has_uint32": raw[48], "uinteger": int.from_bytes(raw[49:53], "little")}
        return self

    def __repr__(self) -> str:
        return f"<torch._C.Generator object at {hex(id(self))}>"  # torch's: the default repr


STATE_BYTES = 53
"""The size of :meth:`Generator.get_state`'s tensor: the seed (16 bytes), PCG64's state and
increment (16 each), its buffered half-word flag (1) and value (4)."""

_default_generators: dict = {}
_current: ContextVar[Generator | None] = ContextVar("generator", default=None)


def default_generator(device=CPU) -> Generator:
    dev = as_device(device)
    gen = _default_generators.get(dev)
    if gen is None:
        gen = _default_generators[dev] = Generator(dev)
    return gen


def current_generator(device=CPU, generator: Generator | None = None) -> Generator:
    """The generator an op without ``generator=`` uses: the context's, for its device."""
    if generator is not None:
        return generator
    gen = _current.get()
    dev = as_device(device)
    if gen is not None and gen.device == dev:
        return gen
    if gen is not None:  # a session generator for another device: derive a per-device one
        derived = getattr(gen, "_per_device", None)
        if derived is None:
            derived = gen._per_device = {}
        g = derived.get(dev)
        if g is None:
            g = derived[dev] = Generator(dev).manual_seed(gen._seed)
        return g
    return default_generator(dev)


def use_generator(gen: Generator) -> ContextSetting:
    """Random ops draw from ``gen`` (in a ``with``)."""
    return ContextSetting(_current, gen)


def manual_seed(seed: int) -> Generator:
    """Seed the current generator (the session's, inside a run) and return it."""
    gen = _current.get() or default_generator()
    gen.manual_seed(seed)
    for g in getattr(gen, "_per_device", {}).values():
        g.manual_seed(seed)
    return gen


def get_rng_state():
    """``torch.get_rng_state()``: the current generator's state (the session's, in a run)."""
    return (_current.get() or default_generator()).get_state()


def set_rng_state(new_state) -> None:
    """``torch.set_rng_state(state)``: restore the current generator's state."""
    (_current.get() or default_generator()).set_state(new_state)
