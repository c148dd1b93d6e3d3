"""Which devices a session may use: the one place that decides ``device_unavailable``."""

from __future__ import annotations

import engine
from app.core.config import DEVICE_PATTERN, device_allowed
from app.core.errors import DeviceUnavailable


def resolve_device(spec: str, allowed: list[str]) -> str:
    """The canonical name of a usable device (``cuda`` → ``cuda:0``), or ``device_unavailable``:
    a malformed name and one not allowed are ``400``; an allowed one that is absent is ``503``."""
    name = spec.strip().lower()
    if not DEVICE_PATTERN.match(name):
        raise DeviceUnavailable(f"Unknown device {spec!r}: expected cpu, cuda or cuda:N.",
                                device=spec)
    if not device_allowed(name, allowed):
        raise DeviceUnavailable(f"Device {name!r} is not allowed here (allowed: "
                                f"{', '.join(allowed)}).", device=name, allowed=allowed)
    try:
        device = engine.device(name)
        with engine.use_device(device):  # binds the array module; fails if the device is absent
            pass
    except Exception as exc:  # the engine says why (no driver, no CuPy, bad ordinal)
        raise DeviceUnavailable(f"Device {name!r} is not available: {exc}", status=503,
                                device=name) from exc
    return str(device)


def check_device_computes(spec: str, allowed: list[str]) -> str:
    """``resolve_device``, then a small forward and backward on the device: ready means the
    device really computes, not only that it is named."""
    name = resolve_device(spec, allowed)
    try:
        with engine.use_device(name):
            x = engine.ones(4, requires_grad=True)
            (x * 2).sum().backward()
            ok = engine.to_numpy(x.grad).tolist() == [2.0, 2.0, 2.0, 2.0]
    except Exception as exc:
        raise DeviceUnavailable(f"Device {name!r} does not compute: {exc}", status=503,
                                device=name) from exc
    if not ok:
        raise DeviceUnavailable(f"Device {name!r} computed a wrong result", status=503,
                                device=name)
    return name
