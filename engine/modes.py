"""Per-context state: grad mode, current generator, default device, limits.

All of it lives in ``contextvars``, so two sessions running on two threads (or two asyncio
tasks) never see each other's mode.
"""

from __future__ import annotations

import contextlib
from contextvars import ContextVar

_grad_enabled: ContextVar[bool] = ContextVar("grad_enabled", default=True)
_max_elements: ContextVar[int | None] = ContextVar("max_elements", default=None)

is_grad_enabled = _grad_enabled.get


class _GradMode(contextlib.ContextDecorator):
    """Base of ``no_grad`` / ``enable_grad``: a context manager and a decorator."""

    mode = True

    def __enter__(self) -> None:  # torch's managers give None to ``as``
        self._token = _grad_enabled.set(self.mode)

    def __exit__(self, *exc):
        _grad_enabled.reset(self._token)
        return False


class no_grad(_GradMode):
    mode = False


class enable_grad(_GradMode):
    mode = True


class set_grad_enabled(_GradMode):
    """``set_grad_enabled(False)`` switches the mode now and, used in ``with``, restores it;
    as a decorator it leaves the mode alone and switches it for each call of the function."""

    def __init__(self, mode: bool):
        self.mode = bool(mode)
        self._prev = _grad_enabled.get()
        _grad_enabled.set(self.mode)

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc):
        _grad_enabled.set(self._prev)
        return False

    def __call__(self, fn):
        _grad_enabled.set(self._prev)  # decorating is not switching
        mode = self.mode

        def wrapper(*args, **kwargs):
            token = _grad_enabled.set(mode)
            try:
                return fn(*args, **kwargs)
            finally:
                _grad_enabled.reset(token)

        wrapper.__name__ = getattr(fn, "__name__", "wrapper")
        wrapper.__doc__ = getattr(fn, "__doc__", None)
        return wrapper


class ContextSetting:
    """``with ContextSetting(var, value)``: ``var`` holds ``value`` inside the block, then its
    old value again. (A class, not ``contextlib.contextmanager``: a run enters several of
    these per request and a generator-based one costs about three times as much.)"""

    __slots__ = ("_var", "_value", "_token")

    def __init__(self, var: ContextVar, value) -> None:
        self._var, self._value = var, value

    def __enter__(self):
        self._token = self._var.set(self._value)
        return self._value

    def __exit__(self, *exc) -> bool:
        self._var.reset(self._token)
        return False


def use_limits(max_elements: int | None = None) -> ContextSetting:
    """Ops raise ``TensorTooLarge`` before allocating a result over ``max_elements``."""
    return ContextSetting(_max_elements, max_elements)


def check_numel(shape) -> None:
    limit = _max_elements.get()
    if limit is None:
        return
    n = 1
    for s in shape:
        n *= int(s)
    if n > limit:
        from .errors import TensorTooLarge

        raise TensorTooLarge(n, limit)


# ``torch.use_deterministic_algorithms``: (mode, warn_only), per context like grad mode.
_deterministic: ContextVar[tuple[bool, bool]] = ContextVar("deterministic",
                                                          default=(False, False))


def use_deterministic_algorithms(mode: bool, *, warn_only: bool = False) -> None:
    """Record whether the program asked for deterministic algorithms. Every op of the engine
    on the CPU is deterministic (the same inputs give the same bits), so the flag changes no
    result there; it is kept and reported as torch reports it."""
    from .errors import EngineTypeError

    if type(mode) is not bool:
        raise EngineTypeError("_set_deterministic_algorithms(): argument 'mode' (position 1) "
                              f"must be bool, not {type(mode).__name__}")
    if type(warn_only) is not bool:
        raise EngineTypeError("_set_deterministic_algorithms(): argument 'warn_only' must be "
                              f"bool, not {type(warn_only).__name__}")
    _deterministic.set((mode, warn_only))


def use_deterministic(state: tuple[bool, bool]) -> ContextSetting:
    """A context in which ``use_deterministic_algorithms`` is ``state`` (mode, warn_only)."""
    return ContextSetting(_deterministic, state)


def deterministic_state() -> tuple[bool, bool]:
    """(mode, warn_only) now (to keep them beyond a context, e.g. in a session)."""
    return _deterministic.get()


def are_deterministic_algorithms_enabled() -> bool:
    """``torch.are_deterministic_algorithms_enabled()``."""
    return _deterministic.get()[0]


def is_deterministic_algorithms_warn_only_enabled() -> bool:
    """``torch.is_deterministic_algorithms_warn_only_enabled()``."""
    return _deterministic.get()[1]
