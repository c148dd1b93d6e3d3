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

    def get_state(self):
        return self._rng.bit_generator.state if self.device.type == "cpu" else None

    def __repr__(self) -> str:
        return f"<torch._C.Generator object at {hex(id(self))}>"  # torch's: the default repr


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
