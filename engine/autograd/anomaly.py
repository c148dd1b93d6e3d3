"""Anomaly detection: ``detect_anomaly`` / ``set_detect_anomaly``.

While it is on, every recorded node keeps the stack of the forward call that made it; a
backward that fails (or, with ``check_nan``, returns NaN) names the node and shows that stack,
as PyTorch does.
"""

from __future__ import annotations

import os
import traceback
import warnings
import weakref
from contextvars import ContextVar

from .. import errors
from .graph import HOOKS_ACTIVE

__all__ = ["detect_anomaly", "is_anomaly_check_nan_enabled", "is_anomaly_enabled",
           "set_detect_anomaly"]

_state: ContextVar[tuple[bool, bool]] = ContextVar("anomaly", default=(False, True))
_traces: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_ENGINE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
_forward_trace: ContextVar = ContextVar("anomaly_forward_trace", default=None)


def set_forward_trace(fn) -> None:
    """Have anomaly mode take a forward call's trace from ``fn()`` (text in Python's traceback
    format) in this context, instead of Python's stack: an interpreter running a program gives
    the program's own lines, not its own frames (``None``: Python's stack again)."""
    _forward_trace.set(fn)


def is_anomaly_enabled() -> bool:
    return _state.get()[0]


def is_anomaly_check_nan_enabled() -> bool:
    return _state.get()[1]


def _set(enabled: bool, check_nan: bool):
    was = _state.get()[0]
    token = _state.set((bool(enabled), bool(check_nan)))
    HOOKS_ACTIVE[0] += int(bool(enabled)) - int(was)
    return token, was


def _reset(token, enabled_now: bool, was: bool) -> None:
    _state.reset(token)
    HOOKS_ACTIVE[0] += int(was) - int(enabled_now)


class detect_anomaly:
    """Context manager and decorator: anomaly detection on inside the block."""

    def __init__(self, check_nan: bool = True) -> None:
        self.check_nan = check_nan
        warnings.warn("Anomaly Detection has been enabled. This mode will increase the runtime "
                      "and should only be enabled for debugging.", UserWarning, stacklevel=2)

    def __enter__(self) -> None:
        self._token, self._was = _set(True, self.check_nan)

    def __exit__(self, *exc) -> bool:
        _reset(self._token, True, self._was)
        return False

    def __call__(self, fn):
        def wrapper(*args, **kwargs):
            with detect_anomaly(self.check_nan):
                return fn(*args, **kwargs)

        return wrapper


class set_detect_anomaly:
    """``set_detect_anomaly(mode)`` switches anomaly detection now and, used in ``with``,
    restores it."""

    def __init__(self, mode: bool, check_nan: bool = True) -> None:
        self._mode = bool(mode)
        self._token, self._was = _set(mode, check_nan)

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc) -> bool:
        _reset(self._token, self._mode, self._was)
        return False


def note_forward(node) -> None:
    """Remember where ``node`` was made (called by ``record`` while anomaly mode is on)."""
    if _state.get()[0]:
        provider = _forward_trace.get()
        if provider is not None:
            _traces[node] = provider()
            return
        frames = [f for f in traceback.extract_stack()[:-2]
                  if not os.path.abspath(f.filename).startswith(_ENGINE_DIR)]
        _traces[node] = "".join(traceback.format_list(frames))


def apply(node, grads):
    """``node.apply(grads)`` with anomaly checks: a failure names the node and its forward
    stack; NaN in a returned gradient is an error when ``check_nan`` is on."""
    try:
        out = node.apply(grads)
        if _state.get()[1]:
            for i, g in enumerate(out):
                if g is not None and g.dtype.is_floating_point and \
                        bool(g.device.xp.isnan(g._data).any()):
                    raise errors.EngineRuntimeError(
                        f"Function '{node.name()}' returned nan values in its {i}th output.")
        return out
    except Exception:
        trace = _traces.get(node)
        if trace is not None:
            warnings.warn(f"Error detected in {node.name()}. Traceback of forward call that "
                          f"caused the error:\n{trace}", UserWarning, stacklevel=2)
        raise


def enabled() -> bool:
    return bool(HOOKS_ACTIVE[0]) and _state.get()[0]
