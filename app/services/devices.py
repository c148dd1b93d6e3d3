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
