"""What the hook forms of ``weight_norm`` and ``spectral_norm`` share: one hook per
parameter, and removal by parameter name."""

from __future__ import annotations

from typing import Any

from ... import errors


def check_unique(module: Any, cls: type, name: str, what: str) -> None:
    """torch's error when ``module`` already has a ``cls`` hook on ``name``."""
    for hook in module._forward_pre_hooks.values():
        if isinstance(hook, cls) and hook.name == name:
            raise errors.EngineRuntimeError(
                f"Cannot register two {what} hooks on the same parameter {name}")


def remove_hook(module: Any, cls: type, name: str, what: str) -> Any:
    """Undo the ``cls`` hook on ``name`` (its ``remove``) and drop it; torch's error when
    there is none."""
    for k, hook in module._forward_pre_hooks.items():
        if isinstance(hook, cls) and hook.name == name:
            hook.remove(module)
            del module._forward_pre_hooks[k]
            return module
    raise errors.EngineValueError(f"{what} of '{name}' not found in {module}")
